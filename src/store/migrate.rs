//! `desk migrate --to …` (issue 18): the whole desk copied into another database — an SQLite
//! desk into an empty PostgreSQL database, or a PostgreSQL desk back into a new SQLite file —
//! and proved the same before it is kept.
//!
//! - **All or nothing.** On PostgreSQL everything — the schema, every row, the identity
//!   sequences moved past the copied ids, the program role's grants — happens in one
//!   transaction, committed only once verified: a failure, a refusal or a killed process
//!   leaves the database as empty as it was. An SQLite file is written under a private name
//!   beside the target and linked to the target's name only once whole, verified and synced
//!   (a link never replaces a file that appeared meanwhile).
//! - **One moment of the source.** The source is read inside its own write transaction
//!   (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's desk-wide write lock), so nobody's change
//!   slips in while it is copied, and no ticket is acknowledged on the old desk after the
//!   copy was taken: a colleague's write waits, then says the desk is busy. The transaction
//!   is rolled back: the source is never changed.
//! - **Fast.** Rows go into PostgreSQL by `COPY … FROM STDIN` (text format) in one stream per
//!   table, not one INSERT each; into SQLite by one prepared INSERT in one transaction.
//! - **Verified.** Every table's count and content (an order-independent digest of every row,
//!   so every number and every history hash among them), and the history's hash chain walked
//!   from the stored rows on the SQLite side, its head the other side's stored head.
//! - **Admins only** (`Action::Migrate`), and on PostgreSQL with the credentials of the
//!   schema's owner (`desk_owner`, README): the program's role may not create tables.

use super::{Store, chain, db, pg_grants, pg_schema, progress, schema};
use crate::core::chain::Anchor;
use crate::core::model::Actor;
use crate::core::rights::{self, Action};
use crate::error::{Error, Result};
use crate::msg;
use crate::privilege;
use rusqlite::types::Value;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Every table of a desk that holds its data, in an order that copies each row after the
/// rows it refers to. SQLite's search index (`search*`, FTS5) is not among them: it is
/// derived, and rebuilt by the target's own triggers or indexes. A test holds this list to
/// both schemas.
pub const TABLES: &[&str] = &[
    "agents",
    "groups",
    "members",
    "sequences",
    "meta",
    "tickets",
    "events",
    "desk_events",
    "facts",
    "report_days",
    "number_gaps",
    "links",
    "blobs",
    "attachments",
    "requester",
    "outbox",
    "inbox",
    "alerts",
];

/// SQLite tables that are not the desk's data: the search index and its shadow tables.
fn derived(table: &str) -> bool {
    table == "search" || table.starts_with("search_") || table.starts_with("sqlite_")
}

/// Where a desk is to be copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An empty PostgreSQL database (`postgres://…`, `postgresql://…`).
    Postgres(String),
    /// A new SQLite file (`sqlite:PATH`).
    Sqlite(PathBuf),
}

impl Target {
    /// `postgres://…`, `postgresql://…` or `sqlite:PATH`; None for anything else.
    pub fn parse(s: &str) -> Option<Target> {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Some(Target::Postgres(s.to_string()));
        }
        s.strip_prefix("sqlite:")
            .filter(|p| !p.is_empty())
            .map(|p| Target::Sqlite(PathBuf::from(p)))
    }

    /// The target as it may be shown: a URL without its password.
    pub fn shown(&self) -> String {
        match self {
            Target::Postgres(url) => super::redact_url(url),
            Target::Sqlite(p) => p.display().to_string(),
        }
    }
}

/// What a migration copied, verified on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Migrated {
    /// Rows copied, per table, in [`TABLES`]' order.
    pub tables: Vec<(String, u64)>,
    /// Events in the history (tickets' and the desk's).
    pub events: i64,
    /// The history's head, the same on both sides.
    pub head: Anchor,
}

impl Migrated {
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|(t, _)| t == table)
            .map_or(0, |(_, n)| *n)
    }
}

/// A table's rows as one order-independent value: how many, and the sum of each row's
/// SHA-256 (over its values as SQLite's kinds of value), so two databases that return the
/// same rows in different orders agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Digest256 {
    rows: u64,
    sum: [u64; 4],
}

impl Digest256 {
    fn add(&mut self, values: &[Value]) {
        let mut h = Sha256::new();
        for v in values {
            match v {
                Value::Null => h.update([0u8]),
                Value::Integer(i) => {
                    h.update([1u8]);
                    h.update(i.to_be_bytes());
                }
                Value::Real(f) => {
                    h.update([2u8]);
                    h.update(f.to_bits().to_be_bytes());
                }
                Value::Text(t) => {
                    h.update([3u8]);
                    h.update((t.len() as u64).to_be_bytes());
                    h.update(t.as_bytes());
                }
                Value::Blob(b) => {
                    h.update([4u8]);
                    h.update((b.len() as u64).to_be_bytes());
                    h.update(b);
                }
            }
        }
        let d = h.finalize();
        for (lane, chunk) in self.sum.iter_mut().zip(d.chunks_exact(8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            *lane = lane.wrapping_add(u64::from_be_bytes(w));
        }
        self.rows += 1;
    }
}

/// The columns of `table` a copy carries (generated ones are computed again), in the
/// database's order, with whether each is PostgreSQL's BYTEA.
fn columns(conn: &db::Connection, table: &str) -> rusqlite::Result<Columns> {
    let sql = match conn.dialect() {
        db::Dialect::Sqlite => {
            "SELECT name, 0 FROM pragma_table_xinfo(?1) WHERE hidden = 0 ORDER BY cid"
        }
        db::Dialect::Postgres => {
            "SELECT column_name::text, (data_type = 'bytea')::int FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = ?1 AND is_generated = 'NEVER'
             ORDER BY ordinal_position"
        }
    };
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([table], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? == 1)))?;
    rows.collect()
}

/// The tables of a database's schema (SQLite's search index left out).
fn tables_of(conn: &db::Connection) -> rusqlite::Result<Vec<String>> {
    let sql = match conn.dialect() {
        db::Dialect::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
        db::Dialect::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()
             ORDER BY tablename"
        }
    };
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let all: rusqlite::Result<Vec<String>> = rows.collect();
    Ok(all?
        .into_iter()
        .filter(|t| !derived(t) && t != "desk_schema")
        .collect())
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One value in COPY's text format (NULL is `\N`; a backslash, tab, newline and carriage
/// return escaped; BYTEA in hex).
fn copy_value(out: &mut Vec<u8>, v: &Value, bytea: bool) -> std::result::Result<(), String> {
    let text = |out: &mut Vec<u8>, s: &str| {
        for b in s.bytes() {
            match b {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\t' => out.extend_from_slice(b"\\t"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                _ => out.push(b),
            }
        }
    };
    match v {
        Value::Null => out.extend_from_slice(b"\\N"),
        Value::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Real(f) => out.extend_from_slice(f.to_string().as_bytes()),
        Value::Text(s) if bytea => hex_bytes(out, s.as_bytes()),
        Value::Text(s) => text(out, s),
        Value::Blob(b) if bytea => hex_bytes(out, b),
        Value::Blob(b) => text(
            out,
            std::str::from_utf8(b).map_err(|_| "bytes that are not text in a text column")?,
        ),
    }
    Ok(())
}

fn hex_bytes(out: &mut Vec<u8>, b: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\\\x");
    for x in b {
        out.push(HEX[usize::from(x >> 4)]);
        out.push(HEX[usize::from(x & 15)]);
    }
}

/// A table's columns a copy carries: name, and whether PostgreSQL's type is BYTEA.
type Columns = Vec<(String, bool)>;

/// Rows between two reports of progress.
const STEP: u64 = 4096;

/// One more row copied of `total`: told every [`STEP`] rows.
fn tick(done: &mut u64, total: u64) {
    *done += 1;
    if done.is_multiple_of(STEP) {
        progress::tell(progress::Work::Migrate, *done, total);
    }
}

/// A migration under way: the source (inside its transaction), the target, what is known.
struct Migration<'a> {
    source: &'a db::Connection,
    target: &'a db::Connection,
    shown: String,
    total: u64,
    done: u64,
}

impl Migration<'_> {
    fn differs(&self, what: String) -> Error {
        Error::Database(msg!(
            "error.migrate.differs",
            target = self.shown.clone(),
            what = what
        ))
    }

    /// The tables both databases have are the desk's own; the columns each copies are the
    /// same in both (else nothing is copied and the difference is named).
    fn plan(&self) -> Result<Vec<(String, Columns)>> {
        let src = |e| Error::Sql(e);
        for t in tables_of(self.source).map_err(src)? {
            if !TABLES.contains(&t.as_str()) {
                return Err(Error::Database(msg!(
                    "error.migrate.unknown_table",
                    table = t
                )));
            }
        }
        let mut plan = Vec::new();
        for t in TABLES {
            let from = columns(self.source, t).map_err(src)?;
            let to = columns(self.target, t).map_err(src)?;
            let mut a: Vec<&String> = from.iter().map(|c| &c.0).collect();
            let mut b: Vec<&String> = to.iter().map(|c| &c.0).collect();
            a.sort();
            b.sort();
            if a != b {
                return Err(Error::Database(msg!(
                    "error.migrate.columns",
                    table = *t,
                    target = self.shown.clone(),
                    detail = format!(
                        "{} / {}",
                        a.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "),
                        b.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
                    )
                )));
            }
            // The source's order, with the target's types.
            let cols = from
                .into_iter()
                .map(|(n, _)| {
                    let bytea = to.iter().any(|(m, b)| *m == n && *b);
                    (n, bytea)
                })
                .collect();
            plan.push((t.to_string(), cols));
        }
        Ok(plan)
    }

    fn count(&self, table: &str) -> rusqlite::Result<u64> {
        self.source
            .query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
    }

    /// Copies `table` into PostgreSQL with one COPY.
    fn copy_into_postgres(&mut self, table: &str, cols: &Columns) -> Result<()> {
        let names: Vec<String> = cols.iter().map(|c| c.0.clone()).collect();
        let select = format!("SELECT {} FROM \"{table}\"", quoted(&names));
        let copy = format!("COPY \"{table}\" ({}) FROM STDIN", quoted(&names));
        let mut client = self
            .target
            .pg_client()
            .ok_or_else(|| Error::Sql(rusqlite::Error::InvalidQuery))?;
        let mut writer = client
            .copy_in(&copy)
            .map_err(|e| Error::Sql(db::pg_error(e)))?;
        let mut line = Vec::with_capacity(1024);
        let mut failed: Option<Error> = None;
        let source = self.source;
        let shown = self.shown.clone();
        let (done, total) = (&mut self.done, self.total);
        source
            .for_each_row(&select, |values| {
                line.clear();
                for (i, (v, (name, bytea))) in values.iter().zip(cols).enumerate() {
                    if i > 0 {
                        line.push(b'\t');
                    }
                    if let Err(why) = copy_value(&mut line, v, *bytea) {
                        failed = Some(Error::Database(msg!(
                            "error.migrate.value",
                            table = table,
                            column = name.clone(),
                            target = shown.clone(),
                            detail = why
                        )));
                        return Err(rusqlite::Error::InvalidQuery);
                    }
                }
                line.push(b'\n');
                writer.write_all(&line).map_err(|e| {
                    failed = Some(Error::Database(msg!(
                        "error.db.server",
                        path = shown.clone(),
                        detail = e.to_string()
                    )));
                    rusqlite::Error::InvalidQuery
                })?;
                tick(done, total);
                Ok(())
            })
            .map_err(|e| failed.take().unwrap_or(Error::Sql(e)))?;
        writer.finish().map_err(|e| Error::Sql(db::pg_error(e)))?;
        Ok(())
    }

    /// Copies `table` into SQLite, one prepared INSERT per row.
    fn copy_into_sqlite(&mut self, table: &str, cols: &Columns) -> Result<()> {
        let names: Vec<String> = cols.iter().map(|c| c.0.clone()).collect();
        let select = format!("SELECT {} FROM \"{table}\" ORDER BY 1", quoted(&names));
        let marks = vec!["?"; names.len()].join(", ");
        let insert = format!(
            "INSERT INTO \"{table}\" ({}) VALUES ({marks})",
            quoted(&names)
        );
        let target = self.target;
        let mut stmt = target.prepare(&insert).map_err(Error::Sql)?;
        let (done, total) = (&mut self.done, self.total);
        self.source
            .for_each_row(&select, |values| {
                stmt.execute(db::params_from_iter(values.iter()))?;
                tick(done, total);
                Ok(())
            })
            .map_err(Error::Sql)
    }

    /// Copies every table: `into` copies one.
    fn copy_all(
        &mut self,
        into: fn(&mut Self, &str, &Columns) -> Result<()>,
    ) -> Result<Vec<(String, u64)>> {
        let plan = self.plan()?;
        let mut counts = Vec::new();
        for (t, _) in &plan {
            let n = self.count(t).map_err(Error::Sql)?;
            counts.push((t.clone(), n));
        }
        self.total = counts.iter().map(|c| c.1).sum::<u64>().max(1);
        progress::tell(progress::Work::Migrate, 0, self.total);
        for (t, cols) in &plan {
            into(self, t, cols)?;
        }
        Ok(counts)
    }

    /// Both sides hold the same rows in every table, and the same history: counts, every
    /// row's values, the chain walked once, its head the same on both.
    fn verify(&self, counts: &[(String, u64)]) -> Result<(i64, Anchor)> {
        for (t, n) in counts {
            let cols: Vec<String> = columns(self.source, t)
                .map_err(Error::Sql)?
                .into_iter()
                .map(|c| c.0)
                .collect();
            let select = format!("SELECT {} FROM \"{t}\"", quoted(&cols));
            let digest = |conn: &db::Connection| -> Result<Digest256> {
                let mut d = Digest256::default();
                conn.for_each_row(&select, |v| {
                    d.add(v);
                    Ok(())
                })
                .map_err(Error::Sql)?;
                Ok(d)
            };
            let (a, b) = (digest(self.source)?, digest(self.target)?);
            if a.rows != *n || b.rows != *n {
                return Err(self.differs(format!("{t}: {} / {} rows", a.rows, b.rows)));
            }
            if a != b {
                return Err(self.differs(format!("{t}: the rows' values")));
            }
        }
        // Every row being the same on both sides, the chain is walked once, from the stored
        // rows, where it streams (SQLite: PostgreSQL's walk reads it whole into memory);
        // the other side's stored head must be the walk's.
        let (walked, other) = match self.source.dialect() {
            db::Dialect::Sqlite => (self.source, self.target),
            db::Dialect::Postgres => (self.target, self.source),
        };
        let walk = chain::verify(walked, None).map_err(Error::Sql)?;
        let head = stored_head(other).map_err(Error::Sql)?;
        if head != walk.head {
            return Err(self.differs(format!("the history's chain: {} / {head}", walk.head)));
        }
        Ok((walk.events, walk.head))
    }
}

/// The last event of the history as stored (the desk's or a ticket's, whichever is later).
fn stored_head(conn: &db::Connection) -> rusqlite::Result<Anchor> {
    let last = conn.query_row(
        "SELECT id, hash FROM (SELECT id, hash FROM events UNION ALL SELECT id, hash FROM desk_events) h
         ORDER BY id DESC LIMIT 1",
        [],
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<Vec<u8>>>(1)?)),
    );
    match last {
        Ok((id, Some(h))) if h.len() == 32 => {
            let mut hash = [0u8; 32];
            hash.copy_from_slice(&h);
            Ok(Anchor { id, hash })
        }
        Ok((id, _)) => Ok(Anchor {
            id,
            hash: [0u8; 32],
        }),
        Err(rusqlite::Error::QueryReturnedNoRows) => Ok(Anchor::EMPTY),
        Err(e) => Err(e),
    }
}

impl Store {
    /// Copies this whole desk into `to` — an empty PostgreSQL database, or a new SQLite file —
    /// and verifies the copy before keeping it (see the module's notes). Admins only.
    pub fn migrate(&self, actor: &Actor, to: &Target) -> Result<Migrated> {
        rights::check(actor, Action::Migrate, None)?;
        self.still_signed_in()?;
        // The source's one moment: writers wait until the copy is done; rolled back.
        let source = self.conn.transaction().map_err(|e| self.err(e))?;
        // A PostgreSQL source's whole tables are read unwatched (pg_watch), as they may take.
        let r = self.conn.patient(|| match to {
            Target::Postgres(url) => to_postgres(&source, url),
            Target::Sqlite(path) => privilege::as_caller(|| to_sqlite(&source, path)),
        });
        progress::tell(progress::Work::Migrate, 1, 1);
        r.map_err(|e| self.map_db(e))
    }
}

/// Into an empty PostgreSQL database, in one transaction.
/// The target is not watched (pg_watch): an index over millions of rows is one statement that
/// may take minutes.
fn to_postgres(source: &db::Connection, url: &str) -> Result<Migrated> {
    let shown = super::redact_url(url);
    let (target, _) = super::connect_postgres(url)?;
    target.patient(|| into_postgres(source, &target, shown))
}

fn into_postgres(
    source: &db::Connection,
    target: &db::Connection,
    shown: String,
) -> Result<Migrated> {
    let pg = |e| Error::db(e, Path::new(&shown));
    empty_and_ours(target, &shown)?;
    let tx = target.transaction().map_err(pg)?;
    for (version, sql) in pg_schema::ALL {
        tx.execute_batch(sql).map_err(pg)?;
        tx.execute("DELETE FROM desk_schema", []).map_err(pg)?;
        tx.execute(
            "INSERT INTO desk_schema (application_id, version) VALUES (?1, ?2)",
            db::params![pg_schema::APPLICATION_ID, version],
        )
        .map_err(pg)?;
    }
    let mut copy = Migration {
        source,
        target: &tx,
        shown: shown.clone(),
        total: 0,
        done: 0,
    };
    // Indexes that no constraint needs are made after the rows are in: one sorted build
    // each (a GIN over the search's documents especially) instead of one insertion per row.
    let later = secondary_indexes(&tx).map_err(pg)?;
    for (name, _) in &later {
        tx.execute_batch(&format!("DROP INDEX \"{name}\""))
            .map_err(pg)?;
    }
    let counts = copy.copy_all(Migration::copy_into_postgres)?;
    tx.execute_batch("SET LOCAL maintenance_work_mem = '256MB'")
        .map_err(pg)?;
    for (_, def) in &later {
        tx.execute_batch(def).map_err(pg)?;
    }
    // Identity columns go on after the ids copied.
    identities_after_copied(&tx).map_err(pg)?;
    tx.execute_batch(&pg_grants::grants()).map_err(pg)?;
    // The planner's statistics of the rows copied, now: without them the first searches on
    // the new desk chose plans that took seconds (100,000 tickets: 3–4 s against 0.2–0.3 s
    // once analysed) until autovacuum came round to the tables.
    tx.execute_batch("ANALYZE").map_err(pg)?;
    let (events, head) = copy.verify(&counts)?;
    tx.commit().map_err(pg)?;
    Ok(Migrated {
        tables: counts,
        events,
        head,
    })
}

/// Refuses a target that is not empty, or whose schema this role may not create in (the
/// program's role instead of the owner's).
fn empty_and_ours(target: &db::Connection, shown: &str) -> Result<()> {
    let (objects, user, schema, may_create): (i64, String, String, bool) = target
        .query_row(
            "SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace)
                  + (SELECT count(*) FROM pg_proc WHERE pronamespace = current_schema()::regnamespace)
                  + (SELECT count(*) FROM pg_type t WHERE typnamespace = current_schema()::regnamespace
                       AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid)
                       AND t.typelem = 0),
                    current_user::text, current_schema()::text,
                    has_schema_privilege(current_schema(), 'CREATE')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .map_err(|e| Error::db(e, Path::new(shown)))?;
    if objects > 0 {
        return Err(Error::Forbidden(msg!(
            "error.migrate.not_empty",
            target = shown.to_string(),
            schema = schema,
            count = objects
        )));
    }
    if !may_create {
        return Err(Error::Forbidden(msg!(
            "error.migrate.not_owner",
            target = shown.to_string(),
            user = user,
            schema = schema,
            owner = pg_grants::OWNER_ROLE
        )));
    }
    Ok(())
}

/// The indexes of the new schema that no constraint needs (name, definition), dropped before
/// the rows go in and made again after.
fn secondary_indexes(tx: &db::Transaction<'_>) -> rusqlite::Result<Vec<(String, String)>> {
    let mut stmt = tx.prepare(
        "SELECT c.relname::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         WHERE c.relnamespace = current_schema()::regnamespace
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
         ORDER BY c.relname",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// Each identity column's sequence set past the ids copied.
fn identities_after_copied(tx: &db::Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "DO $ids$
         DECLARE r record;
         BEGIN
             FOR r IN SELECT table_name, column_name FROM information_schema.columns
                      WHERE table_schema = current_schema() AND is_identity = 'YES'
             LOOP
                 EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), m) FROM (SELECT max(%I) AS m FROM %I) x WHERE m IS NOT NULL',
                                r.table_name, r.column_name, r.column_name, r.table_name);
             END LOOP;
         END
         $ids$",
    )
}

/// A file that is removed when dropped, unless kept.
struct Partial(Option<PathBuf>);

impl Drop for Partial {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(&p);
            for suffix in ["-journal", "-wal", "-shm"] {
                let mut q = p.as_os_str().to_owned();
                q.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(q));
            }
        }
    }
}

/// Into a new SQLite file: written beside it under a private name, linked to its name once
/// whole and verified.
fn to_sqlite(source: &db::Connection, path: &Path) -> Result<Migrated> {
    let shown = path.display().to_string();
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::Forbidden(msg!("error.migrate.exists", file = shown)));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial_path = dir.join(format!(".{name}.migrate-{}.partial", std::process::id()));
    let file_err = |e: std::io::Error| {
        Error::Database(msg!(
            "error.migrate.file",
            file = shown.clone(),
            detail = e.to_string()
        ))
    };
    // Made new, readable by its maker only (the desk's file mode).
    {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&partial_path)
            .map_err(file_err)?;
    }
    let partial = Partial(Some(partial_path.clone()));
    let at = |e| Error::db(e, &partial_path);
    let mut conn = rusqlite::Connection::open(&partial_path).map_err(at)?;
    conn.execute_batch(&format!(
        "PRAGMA application_id = {}; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;",
        schema::APPLICATION_ID
    ))
    .map_err(at)?;
    schema::migrations().to_latest(&mut conn).map_err(|e| {
        Error::Database(msg!(
            "error.migrate.file",
            file = shown.clone(),
            detail = e.to_string()
        ))
    })?;
    let target = db::Connection::from(conn);
    target.execute_batch("BEGIN").map_err(at)?;
    let mut copy = Migration {
        source,
        target: &target,
        shown: shown.clone(),
        total: 0,
        done: 0,
    };
    let counts = copy.copy_all(Migration::copy_into_sqlite)?;
    let (events, head) = copy.verify(&counts)?;
    target
        .execute_batch("COMMIT; PRAGMA journal_mode = DELETE;")
        .map_err(at)?;
    let bad: i64 = target
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(at)?;
    if bad > 0 {
        return Err(copy.differs(format!("{bad} rows refer to rows that are not there")));
    }
    drop(target);
    std::fs::File::open(&partial_path)
        .and_then(|f| f.sync_all())
        .map_err(file_err)?;
    // A link never replaces a file: one that appeared meanwhile is kept, and said.
    std::fs::hard_link(&partial_path, path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Forbidden(msg!("error.migrate.exists", file = shown.clone()))
        } else {
            file_err(e)
        }
    })?;
    drop(partial);
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(Migrated {
        tables: counts,
        events,
        head,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_urls_or_sqlite_paths() {
        assert_eq!(
            Target::parse("postgres://u:pw@h/db"),
            Some(Target::Postgres("postgres://u:pw@h/db".into()))
        );
        assert_eq!(
            Target::parse("sqlite:/tmp/x.db"),
            Some(Target::Sqlite("/tmp/x.db".into()))
        );
        assert_eq!(Target::parse("sqlite:"), None);
        assert_eq!(Target::parse("/tmp/x.db"), None);
        assert_eq!(
            Target::parse("postgres://u:pw@h/db").map(|t| t.shown()),
            Some("postgres://u@h/db".into())
        );
    }

    #[test]
    fn copy_text_escapes_what_copy_reads_as_syntax() {
        let mut out = Vec::new();
        copy_value(&mut out, &Value::Text("a\\b\tc\nd\re".into()), false).ok();
        assert_eq!(out, b"a\\\\b\\tc\\nd\\re");
        out.clear();
        copy_value(&mut out, &Value::Blob(vec![0, 0xab, 0x10]), true).ok();
        assert_eq!(out, b"\\\\x00ab10");
        out.clear();
        copy_value(&mut out, &Value::Null, false).ok();
        assert_eq!(out, b"\\N");
        assert!(copy_value(&mut out, &Value::Blob(vec![0xff]), false).is_err());
    }

    #[test]
    fn digests_ignore_order_and_see_every_value() {
        let a = [Value::Integer(1), Value::Text("x".into())];
        let b = [Value::Integer(2), Value::Blob(vec![1])];
        let (mut d1, mut d2, mut d3) = (
            Digest256::default(),
            Digest256::default(),
            Digest256::default(),
        );
        d1.add(&a);
        d1.add(&b);
        d2.add(&b);
        d2.add(&a);
        assert_eq!(d1, d2);
        d3.add(&a);
        d3.add(&[Value::Integer(2), Value::Blob(vec![2])]);
        assert_ne!(d1, d3);
    }

    /// Every table of SQLite's latest schema is in TABLES (or is the search index), and
    /// every one of TABLES is in it.
    #[test]
    fn tables_cover_the_sqlite_schema() {
        let Ok(mut c) = rusqlite::Connection::open_in_memory() else {
            panic!("an in-memory database");
        };
        assert!(schema::migrations().to_latest(&mut c).is_ok());
        let conn = db::Connection::from(c);
        let mut have = tables_of(&conn).unwrap_or_default();
        have.sort();
        let mut want: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
        want.sort();
        assert_eq!(have, want);
    }
}
