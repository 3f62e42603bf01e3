//! Helpers for integration tests: a desk in a temporary directory, driven through the real
//! `desk` binary, plus direct access to its SQLite file for checks.
#![allow(dead_code)]

pub mod pg;
pub mod ui;
pub mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Desk {
    pub dir: tempfile::TempDir,
    /// The SQLite file, or the PostgreSQL URL (`desk_owner`'s) of a desk on PostgreSQL.
    pub db: PathBuf,
    pub me: String,
}

/// Which store the tests' desks use: SQLite, or PostgreSQL when `DESK_TEST_BACKEND=postgres`
/// (the same tests on the test cluster, `pg::db()`; skipped, said on stderr, without one).
pub fn on_postgres() -> bool {
    std::env::var("DESK_TEST_BACKEND").is_ok_and(|v| v == "postgres")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    /// Asserts success and returns stdout, trimmed.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(self.code, 0, "expected success, stderr: {}", self.stderr);
        self.stdout.trim().to_string()
    }
    /// Asserts this exit code and one line on stderr containing `needle`.
    #[track_caller]
    pub fn fails(&self, code: i32, needle: &str) {
        assert_eq!(
            self.code, code,
            "expected exit {code}; stdout: {} stderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains(needle),
            "stderr should mention {needle:?}: {}",
            self.stderr
        );
        assert_eq!(
            self.stderr.trim_end().lines().count(),
            1,
            "one line on stderr: {:?}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.ok()).expect("valid JSON")
    }
    /// The ticket numbers of a JSON list, in its order.
    #[allow(dead_code)]
    pub fn numbers(&self) -> Vec<String> {
        self.json()
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t["number"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_desk")
}

/// A command for the desk binary with a clean, predictable environment.
/// A desk's HOME: its file's directory; /tmp for a desk on PostgreSQL.
fn home_of(db: &Path) -> &Path {
    if is_url(db) {
        return Path::new("/tmp");
    }
    db.parent().unwrap_or(Path::new("/tmp"))
}

/// Whether `db` is a PostgreSQL URL rather than a file.
pub fn is_url(db: &Path) -> bool {
    db.to_str().is_some_and(|s| s.starts_with("postgres://"))
}

pub fn command(db: &Path) -> Command {
    let mut c = Command::new(bin());
    c.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home_of(db))
        .env("LANG", "C.UTF-8")
        .env("TZ", "UTC")
        .env("DESK_DB", db)
        .stdin(Stdio::null());
    c
}

impl Desk {
    /// A fresh, initialised desk whose admin is the user running the tests.
    pub fn new() -> Desk {
        if on_postgres()
            && let Some(d) = Desk::postgres()
        {
            return d;
        }
        Desk::sqlite()
    }

    /// A fresh desk in an SQLite file.
    pub fn sqlite() -> Desk {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("desk.db");
        let d = Desk {
            dir,
            db,
            me: desk::session::login(),
        };
        d.run(&["init"]).ok();
        d
    }

    /// A fresh desk on a new database of the test PostgreSQL cluster; None (said on stderr)
    /// without PostgreSQL.
    pub fn postgres() -> Option<Desk> {
        let pg = pg::db()?;
        let d = Desk {
            dir: tempfile::tempdir().expect("temp dir"),
            db: PathBuf::from(pg.url),
            me: desk::session::login(),
        };
        d.run(&["init"]).ok();
        Some(d)
    }

    /// Whether this desk is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        is_url(&self.db)
    }

    /// One row of integers read with SQL both databases take alike.
    pub fn ints(&self, sql: &str) -> Vec<i64> {
        if self.is_postgres() {
            let url = self.db.to_str().unwrap_or_default();
            let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
            let row = c.query_one(sql, &[]).expect("query");
            return (0..row.len()).map(|i| row.get::<_, i64>(i)).collect();
        }
        let c = self.sql();
        let mut stmt = c.prepare(sql).expect("prepare");
        let n = stmt.column_count();
        stmt.query_row([], |r| (0..n).map(|i| r.get::<_, i64>(i)).collect())
            .expect("query")
    }

    /// A desk with the usual staff: two operators in HOUSING, one in SOCIAL, a supervisor.
    pub fn staffed() -> Desk {
        let d = Desk::new();
        for (login, role, group) in [
            ("olena", "operator", "HOUSING"),
            ("petro", "operator", "HOUSING"),
            ("anna", "operator", "SOCIAL"),
            ("vasyl", "supervisor", "HOUSING"),
        ] {
            d.run(&[
                "agent", "add", login, "--name", login, "--role", role, "--group", group,
            ])
            .ok();
        }
        d
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let mut c = command(&self.db);
        if self.is_postgres() {
            // Its configuration lives in the user's data directory: this desk's own.
            c.env("HOME", self.dir.path());
        }
        Run::from(c.args(args).output().expect("run desk"))
    }

    /// Runs as another agent through the admin's `--as`.
    pub fn run_as(&self, login: &str, args: &[&str]) -> Run {
        let mut all = vec!["--as", login];
        all.extend_from_slice(args);
        self.run(&all)
    }

    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        use std::io::Write;
        let mut child = command(&self.db)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn desk");
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(input);
        }
        Run::from(child.wait_with_output().expect("wait desk"))
    }

    /// Registers a ticket and returns its number.
    pub fn new_ticket(&self, subject: &str, extra: &[&str]) -> String {
        let mut args = vec!["new", "--subject", subject];
        args.extend_from_slice(extra);
        self.run(&args).ok()
    }

    pub fn show(&self, number: &str) -> serde_json::Value {
        self.run(&["show", number, "--json"]).json()
    }

    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db).expect("open db")
    }
}

/// Invariants every desk database must satisfy, whatever happened to it.
pub fn check_invariants(db: &Path) {
    let c = rusqlite::Connection::open(db).expect("open");
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity");
    assert_eq!(ok, "ok");
    let fk: i64 = c
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .expect("fk");
    assert_eq!(fk, 0, "foreign keys");
    let orphans: i64 = c
        .query_row(
            "SELECT count(*) FROM tickets t WHERE NOT EXISTS
               (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'created')",
            [],
            |r| r.get(0),
        )
        .expect("orphans");
    assert_eq!(orphans, 0, "every ticket has its creation event");
    // Numbers per scope: 1..=last, no duplicate, the sequence never behind, and no gap but
    // the numbers recorded as skipped.
    let mut stmt = c
        .prepare(
            "SELECT s.scope, s.last,
                    count(t.id) + (SELECT coalesce(sum(g.last - g.first + 1), 0)
                                   FROM number_gaps g WHERE g.scope = s.scope),
                    max(coalesce(max(t.seq), 0),
                        (SELECT coalesce(max(g.last), 0) FROM number_gaps g WHERE g.scope = s.scope)),
                    count(DISTINCT t.seq) + (SELECT coalesce(sum(g.last - g.first + 1), 0)
                                   FROM number_gaps g WHERE g.scope = s.scope)
             FROM sequences s LEFT JOIN tickets t ON t.scope = s.scope GROUP BY s.scope",
        )
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
            ))
        })
        .expect("query");
    for row in rows {
        let (scope, last, count, max, distinct) = row.expect("row");
        assert_eq!(
            count, last,
            "scope {scope}: {count} tickets and skipped numbers but sequence at {last}"
        );
        assert_eq!(
            max, last,
            "scope {scope}: highest number {max}, sequence {last}"
        );
        assert_eq!(distinct, count, "scope {scope}: duplicate sequence values");
    }
    let unscoped: i64 = c
        .query_row(
            "SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM sequences s WHERE s.scope = t.scope)",
            [],
            |r| r.get(0),
        )
        .expect("unscoped");
    assert_eq!(unscoped, 0);
}

/// A tiny deterministic generator (a linear congruential one): the same seed gives the same
/// history, kill timings or choices on every machine.
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `n`.
    pub fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}
