//! Helpers for integration tests: a desk in a temporary directory, driven through the real
//! `desk` binary, plus direct access to its database for checks (`Raw`). With
//! `DESK_TEST_BACKEND=postgres` every desk made here (and in `ui`) is a fresh database of the
//! test PostgreSQL cluster instead (`pg`): the same tests, on the other store.
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
        self.raw().ints(sql)
    }

    /// The first column of the first row, as text ("" for NULL or no row).
    pub fn text(&self, sql: &str) -> String {
        self.raw().text(sql)
    }

    /// Statements run behind the desk's back (a tamper, a demotion), which must succeed.
    #[track_caller]
    pub fn exec(&self, sql: &str) {
        if let Err(e) = self.raw().batch(sql) {
            panic!("{sql}: {e}");
        }
    }

    /// A direct connection to this desk's database, whichever it is.
    pub fn raw(&self) -> Raw {
        Raw::open(&self.db)
    }

    /// Where this desk's `desk.toml` is: beside its file, or in the data directory of the
    /// desk's HOME for a desk on PostgreSQL.
    pub fn config(&self) -> PathBuf {
        if self.is_postgres() {
            return self.dir.path().join(".local/share/desk/desk.toml");
        }
        self.dir.path().join("desk.toml")
    }

    /// False, said on stderr, on PostgreSQL: for the part of a test about the SQLite file
    /// itself (its pragmas, its locks, the sqlite3 shell), which a desk on PostgreSQL has not.
    pub fn has_sqlite_file(&self) -> bool {
        sqlite_only(&self.db)
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

    /// A command for the desk binary on this desk (`command`; on PostgreSQL its HOME is the
    /// desk's directory, whose data directory holds its configuration).
    pub fn command(&self) -> Command {
        let mut c = command(&self.db);
        if self.is_postgres() {
            c.env("HOME", self.dir.path());
        }
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command().args(args).output().expect("run desk"))
    }

    /// Runs as another agent through the admin's `--as`.
    pub fn run_as(&self, login: &str, args: &[&str]) -> Run {
        let mut all = vec!["--as", login];
        all.extend_from_slice(args);
        self.run(&all)
    }

    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        use std::io::Write;
        let mut child = self
            .command()
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

    /// The SQLite file is back in WAL mode (after a bulk load that leaves it); nothing to see on
    /// PostgreSQL (said on stderr).
    #[track_caller]
    pub fn assert_wal(&self) {
        if self.has_sqlite_file() {
            let mode: String = self
                .sql()
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .expect("mode");
            assert_eq!(mode, "wal");
        }
    }

    /// The SQLite file itself, for tests about it (see `has_sqlite_file`); `raw` for checks
    /// that hold on both databases.
    pub fn sql(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(&self.db).expect("open db")
    }
}

/// Whether `db` is an SQLite file; on PostgreSQL says on stderr that the test's part about the
/// SQLite file is skipped there.
pub fn sqlite_only(db: &Path) -> bool {
    if is_url(db) {
        let test = std::thread::current()
            .name()
            .unwrap_or("this test")
            .to_string();
        eprintln!("SKIPPED on PostgreSQL {test}: this part is about the SQLite file itself");
        return false;
    }
    true
}

/// A direct connection to a desk's database, its SQLite file or its PostgreSQL database (as
/// `desk_owner`), for a test's checks and tampering behind the desk's back. Values come back
/// as text, as both databases write them.
pub enum Raw {
    Lite(rusqlite::Connection),
    Pg(Box<postgres::Client>),
}

impl Raw {
    pub fn open(db: &Path) -> Raw {
        if is_url(db) {
            let url = db.to_str().unwrap_or_default();
            let c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
            return Raw::Pg(Box::new(c));
        }
        Raw::Lite(rusqlite::Connection::open(db).expect("open db"))
    }

    /// Runs statements separated by `;`; the database's message when it refuses.
    pub fn batch(&mut self, sql: &str) -> Result<(), String> {
        match self {
            Raw::Lite(c) => c.execute_batch(sql).map_err(|e| e.to_string()),
            Raw::Pg(c) => c.batch_execute(sql).map_err(|e| {
                e.as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_string())
            }),
        }
    }

    /// Every row, each value as text (None for NULL).
    pub fn rows(&mut self, sql: &str) -> Vec<Vec<Option<String>>> {
        match self {
            Raw::Lite(c) => {
                use rusqlite::types::ValueRef;
                let mut stmt = c.prepare(sql).expect("prepare");
                let n = stmt.column_count();
                let rows = stmt.query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            Ok(match r.get_ref(i)? {
                                ValueRef::Null => None,
                                ValueRef::Integer(v) => Some(v.to_string()),
                                ValueRef::Real(v) => Some(v.to_string()),
                                ValueRef::Text(t) | ValueRef::Blob(t) => {
                                    Some(String::from_utf8_lossy(t).into_owned())
                                }
                            })
                        })
                        .collect::<rusqlite::Result<Vec<_>>>()
                });
                rows.and_then(|r| r.collect::<rusqlite::Result<Vec<_>>>())
                    .expect("query")
            }
            Raw::Pg(c) => c
                .simple_query(sql)
                .expect("query")
                .into_iter()
                .filter_map(|m| match m {
                    postgres::SimpleQueryMessage::Row(r) => {
                        Some((0..r.len()).map(|i| r.get(i).map(String::from)).collect())
                    }
                    _ => None,
                })
                .collect(),
        }
    }

    /// The first row's values as integers.
    pub fn ints(&mut self, sql: &str) -> Vec<i64> {
        let rows = self.rows(sql);
        let row = rows.first().expect("a row");
        row.iter()
            .map(|v| {
                v.as_deref()
                    .unwrap_or("")
                    .parse::<i64>()
                    .expect("an integer")
            })
            .collect()
    }

    /// The first column of the first row, as text ("" for NULL or no row).
    pub fn text(&mut self, sql: &str) -> String {
        self.rows(sql)
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next().flatten())
            .unwrap_or_default()
    }

    /// The first column of every row, as text.
    pub fn column(&mut self, sql: &str) -> Vec<String> {
        self.rows(sql)
            .into_iter()
            .map(|r| r.into_iter().next().flatten().unwrap_or_default())
            .collect()
    }
}

/// Invariants every desk database must satisfy, whatever happened to it: on SQLite its
/// integrity and foreign keys too (PostgreSQL keeps those itself, always).
pub fn check_invariants(db: &Path) {
    let mut c = Raw::open(db);
    if let Raw::Lite(l) = &c {
        let ok: String = l
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity");
        assert_eq!(ok, "ok");
        let fk: i64 = l
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
                r.get(0)
            })
            .expect("fk");
        assert_eq!(fk, 0, "foreign keys");
    }
    let orphans = c.ints(
        "SELECT count(*) FROM tickets t WHERE NOT EXISTS
           (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'created')",
    );
    assert_eq!(orphans, vec![0], "every ticket has its creation event");
    // Numbers per scope: 1..=last, no duplicate, the sequence never behind, and no gap but
    // the numbers recorded as skipped.
    let rows = c.rows(
        "SELECT s.scope, s.last, count(t.id), coalesce(max(t.seq), 0), count(DISTINCT t.seq),
                (SELECT coalesce(sum(g.last - g.first + 1), 0) FROM number_gaps g WHERE g.scope = s.scope),
                (SELECT coalesce(max(g.last), 0) FROM number_gaps g WHERE g.scope = s.scope)
         FROM sequences s LEFT JOIN tickets t ON t.scope = s.scope GROUP BY s.scope, s.last",
    );
    for row in rows {
        let int = |i: usize| -> i64 {
            row[i]
                .as_deref()
                .unwrap_or("0")
                .parse()
                .expect("an integer")
        };
        let scope = row[0].clone().unwrap_or_default();
        let (last, skipped) = (int(1), int(5));
        let (count, max, distinct) = (int(2) + skipped, int(3).max(int(6)), int(4) + skipped);
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
    let unscoped = c.ints(
        "SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM sequences s WHERE s.scope = t.scope)",
    );
    assert_eq!(unscoped, vec![0]);
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
