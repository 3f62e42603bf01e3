//! The store's one seam between SQLite and PostgreSQL (issue 18): the connection.
//!
//! The store is some 12,000 lines of SQL written against rusqlite (`prepare_cached`,
//! `execute`, `query_row`, `query_map`, one transaction per action) that hold the rules —
//! rights, numbering, the hash chain, the history. They are not written twice. Instead this
//! module's [`Connection`] is either an SQLite connection or a PostgreSQL client, and offers
//! the part of rusqlite's interface the store uses, with rusqlite's own names and types:
//!
//! - parameters are `rusqlite::ToSql` values (`params![…]`, `[x]`, [`params_from_iter`]);
//! - a row is read with `row.get(i)` into anything `rusqlite::types::FromSql` reads (and
//!   `row.get_ref(i)`), so closures such as `|r| Ok((r.get(0)?, r.get(1)?))` are unchanged;
//! - errors are `rusqlite::Error` (`OptionalExtension::optional` works on both): a
//!   PostgreSQL failure travels boxed in it ([`PgFailure`]) and `error::Error::db` turns it
//!   into a message that says what is wrong, as it does SQLite's.
//!
//! So a module moves onto the seam by importing `Connection` from here instead of from
//! rusqlite, and its call sites stay as they were; SQL is shared where the dialects agree
//! (almost everywhere: the schema gives both the same tables, columns and meanings, see
//! `pg_schema`) and where they do not, a module asks [`Connection::dialect`] and picks one of
//! two small fragments. On PostgreSQL the placeholders `?N` become `$N` when a statement is
//! prepared (and the statement is cached per connection, as rusqlite caches SQLite's).
//!
//! Why this and not a trait with two store implementations: a trait at the level of the
//! store's operations would mean the rules twice; a trait at the connection would make every
//! function that takes a connection generic. An enum keeps `&Connection` a plain type in the
//! ~400 functions that take one, costs SQLite one branch per call (nothing measurable beside
//! a statement), and lets modules move over one at a time: one not yet on the seam asks for
//! [`Connection::sqlite`], which on PostgreSQL says plainly that the command does not run there
//! yet.
//!
//! The `postgres` crate is the synchronous client: the desk's store is synchronous (one short
//! transaction per action, on the caller's thread), and so is rusqlite; the async
//! `tokio-postgres` under it would only add a runtime to every command.
//!
//! Transactions: [`Connection::transaction`] is SQLite's `BEGIN IMMEDIATE` and on PostgreSQL
//! `BEGIN` followed by the desk-wide advisory lock (`pg_schema::WRITE_LOCK`): writers are
//! serialized on both, so numbering, the hash chain and the optimistic versions need nothing
//! of their own on PostgreSQL. Dropping a transaction that was not committed rolls it back.

use super::pg_schema;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};

pub use rusqlite::{OptionalExtension, ToSql, params};

pub type Result<T, E = rusqlite::Error> = std::result::Result<T, E>;

/// Which SQL a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A database connection: SQLite's or PostgreSQL's.
pub struct Connection {
    inner: Inner,
}

enum Inner {
    Sqlite(rusqlite::Connection),
    Postgres(Box<Pg>),
}

struct Pg {
    client: RefCell<postgres::Client>,
    /// The URL it was opened with: a connection the server closed (a restart, a failover) is
    /// made again from it, outside a transaction (`revive`).
    url: Option<String>,
    /// A write transaction is open: a lost connection then fails it; nothing reconnects
    /// under it (its outcome is the server's to say, and it said rollback).
    in_tx: Cell<bool>,
    /// When a new connection was last tried and failed (tried again a second later at most,
    /// so a desk whose server is gone does not wait on every call).
    failed_at: Cell<Option<std::time::Instant>>,
    /// Prepared statements by their SQL as the store wrote it.
    cache: RefCell<HashMap<String, postgres::Statement>>,
    /// Statements run once already, unprepared: the second run prepares them (see `prepare`).
    once: RefCell<HashSet<String>>,
    /// Rows the last `execute` changed.
    changes: Cell<u64>,
    /// `LISTEN desk_changed` was sent, and how many notifications came since.
    listening: Cell<bool>,
    seen: Cell<i64>,
    /// Rows changed since the connection opened.
    total: Cell<u64>,
    /// A server that stops answering mid-statement is given up on (pg_watch).
    watch: super::pg_watch::Watch,
    /// How long a statement may wait for the desk's write lock (`lock_timeout`): allowed on
    /// top of the watch's limit.
    lock_wait: Cell<std::time::Duration>,
    /// A new connection being made (`revive`): a running desk goes on while it is.
    pending: RefCell<Option<Pending>>,
}

/// A connection being made on its own thread: when it started, how long it may take (the
/// URL's connect_timeout), and where it will arrive.
struct Pending {
    started: std::time::Instant,
    deadline: std::time::Duration,
    made: std::sync::mpsc::Receiver<
        std::result::Result<super::pg_connect::Connected, super::pg_connect::ConnectError>,
    >,
}

/// The server stopped answering in the middle of a statement and the connection was cut
/// (pg_watch): how long the desk waited, and whether it was a COMMIT (whose outcome is then
/// the server's to say: it may have committed just before it stopped).
#[derive(Debug)]
pub struct NoAnswer {
    pub waited: std::time::Duration,
    pub at_commit: bool,
}

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server did not answer within {} s",
            self.waited.as_secs()
        )
    }
}

impl std::error::Error for NoAnswer {}

impl NoAnswer {
    /// The failure in `e`, when the server stopped answering.
    pub fn of(e: &rusqlite::Error) -> Option<&NoAnswer> {
        match e {
            rusqlite::Error::ToSqlConversionFailure(b) => b.downcast_ref::<NoAnswer>(),
            _ => None,
        }
    }
}

/// A PostgreSQL failure, carried inside `rusqlite::Error::ToSqlConversionFailure` so that the
/// store's functions keep one error type; `error::Error::db` reads it back.
#[derive(Debug)]
pub struct PgFailure(pub postgres::Error);

impl std::fmt::Display for PgFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_db_error() {
            Some(db) => f.write_str(db.message()),
            None => write!(f, "{}", self.0),
        }
    }
}

impl std::error::Error for PgFailure {}

impl PgFailure {
    /// The failure in `e`, when it is one of PostgreSQL's.
    pub fn of(e: &rusqlite::Error) -> Option<&postgres::Error> {
        match e {
            rusqlite::Error::ToSqlConversionFailure(b) => {
                b.downcast_ref::<PgFailure>().map(|p| &p.0)
            }
            _ => None,
        }
    }
}

fn pg_err(e: postgres::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(PgFailure(e)))
}

/// A PostgreSQL failure as the store's error (what `error::Error::db` reads back).
pub fn pg_error(e: postgres::Error) -> rusqlite::Error {
    pg_err(e)
}

/// What a module not yet on the seam says on PostgreSQL.
#[derive(Debug)]
pub struct NotOnPostgres;

impl std::fmt::Display for NotOnPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("this command does not run on a PostgreSQL desk yet")
    }
}

impl std::error::Error for NotOnPostgres {}

impl NotOnPostgres {
    pub fn is(e: &rusqlite::Error) -> bool {
        matches!(e, rusqlite::Error::ToSqlConversionFailure(b) if b.is::<NotOnPostgres>())
    }
}

impl From<rusqlite::Connection> for Connection {
    fn from(c: rusqlite::Connection) -> Connection {
        Connection {
            inner: Inner::Sqlite(c),
        }
    }
}

impl Connection {
    /// A PostgreSQL connection over `client`.
    pub fn postgres(client: postgres::Client) -> Connection {
        Connection::postgres_at(
            super::pg_connect::Connected {
                client,
                sockets: Vec::new(),
                answer: None,
            },
            None,
        )
    }

    /// A PostgreSQL connection made from `url`: connected again from it when the server
    /// closes it (see `revive`), and given up on when the server stops answering (pg_watch).
    pub fn postgres_at(c: super::pg_connect::Connected, url: Option<String>) -> Connection {
        Connection {
            inner: Inner::Postgres(Box::new(Pg {
                client: RefCell::new(c.client),
                watch: super::pg_watch::Watch::new(c.answer, c.sockets),
                lock_wait: Cell::new(std::time::Duration::ZERO),
                pending: RefCell::new(None),
                url,
                in_tx: Cell::new(false),
                failed_at: Cell::new(None),
                cache: RefCell::new(HashMap::new()),
                once: RefCell::new(HashSet::new()),
                changes: Cell::new(0),
                listening: Cell::new(false),
                seen: Cell::new(0),
                total: Cell::new(0),
            })),
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Sqlite(_) => Dialect::Sqlite,
            Inner::Postgres(_) => Dialect::Postgres,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.dialect() == Dialect::Postgres
    }

    /// The URL a PostgreSQL connection was made from (None on SQLite, or for a client made
    /// elsewhere): another connection to the same desk is made from it.
    pub fn postgres_url(&self) -> Option<&str> {
        match &self.inner {
            Inner::Sqlite(_) => None,
            Inner::Postgres(pg) => pg.url.as_deref(),
        }
    }

    /// Stops what this connection runs, from another thread: SQLite's `sqlite3_interrupt`
    /// (the statement running fails as interrupted). None on PostgreSQL, whose statement
    /// runs to its end.
    pub fn interrupt_handle(&self) -> Option<rusqlite::InterruptHandle> {
        match &self.inner {
            Inner::Sqlite(c) => Some(c.get_interrupt_handle()),
            Inner::Postgres(_) => None,
        }
    }

    /// The SQLite connection, for what only SQLite has (its pragmas, backups, FTS5): on
    /// PostgreSQL, an error saying the command does not run there yet.
    pub fn sqlite(&self) -> Result<&rusqlite::Connection> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(c),
            Inner::Postgres(_) => Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                NotOnPostgres,
            ))),
        }
    }

    /// `sqlite`, to change the connection itself.
    pub fn sqlite_mut(&mut self) -> Result<&mut rusqlite::Connection> {
        match &mut self.inner {
            Inner::Sqlite(c) => Ok(c),
            Inner::Postgres(_) => Err(rusqlite::Error::ToSqlConversionFailure(Box::new(
                NotOnPostgres,
            ))),
        }
    }

    /// The PostgreSQL client (LISTEN/NOTIFY, COPY).
    pub fn with_postgres<T>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<Option<T>> {
        match &self.inner {
            Inner::Sqlite(_) => Ok(None),
            Inner::Postgres(pg) => pg.call(|c| f(c)).map(Some),
        }
    }

    /// The PostgreSQL client itself (COPY), or None on SQLite. Not to be held across another
    /// call on this connection.
    pub fn pg_client(&self) -> Option<std::cell::RefMut<'_, postgres::Client>> {
        match &self.inner {
            Inner::Sqlite(_) => None,
            Inner::Postgres(pg) => Some(pg.client.borrow_mut()),
        }
    }

    /// Runs a query and hands `f` each row's values as SQLite's kinds of value, one row at a
    /// time on both databases (PostgreSQL's are streamed, not gathered first): for reading a
    /// whole table.
    pub fn for_each_row(&self, sql: &str, mut f: impl FnMut(&[Value]) -> Result<()>) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => {
                let mut stmt = c.prepare(sql)?;
                let n = stmt.column_count();
                let mut rows = stmt.query([])?;
                let mut values = Vec::with_capacity(n);
                while let Some(r) = rows.next()? {
                    values.clear();
                    for i in 0..n {
                        values.push(owned(r.get_ref(i)?));
                    }
                    f(&values)?;
                }
                Ok(())
            }
            Inner::Postgres(pg) => {
                use postgres::fallible_iterator::FallibleIterator;
                pg.revive();
                let _armed = pg.watch.arm(pg.lock_wait.get());
                let mut client = pg.client.borrow_mut();
                let none: [&(dyn postgres::types::ToSql + Sync); 0] = [];
                let mut rows = client
                    .query_raw(&placeholders(sql), none)
                    .map_err(|e| pg.failed(e, false))?;
                let mut values = Vec::new();
                while let Some(r) = rows.next().map_err(|e| pg.failed(e, false))? {
                    pg.watch.touch();
                    values.clear();
                    for i in 0..r.len() {
                        values.push(r.try_get::<_, Cell0>(i).map_err(pg_err)?.0);
                    }
                    f(&values)?;
                }
                Ok(())
            }
        }
    }

    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'_>> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(Statement {
                inner: Stmt::Cached(c.prepare_cached(sql)?),
            }),
            Inner::Postgres(pg) => pg.prepare(sql),
        }
    }

    pub fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        match &self.inner {
            Inner::Sqlite(c) => Ok(Statement {
                inner: Stmt::Plain(c.prepare(sql)?),
            }),
            Inner::Postgres(pg) => pg.prepare(sql),
        }
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        match &self.inner {
            Inner::Sqlite(c) => params.with(|p| c.execute(sql, p)),
            Inner::Postgres(_) => self.prepare_cached(sql)?.execute(params),
        }
    }

    pub fn query_row<T, P, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        match &self.inner {
            Inner::Sqlite(c) => params.with(|p| c.query_row(sql, p, |r| f(&Row::Sqlite(r)))),
            Inner::Postgres(_) => self.prepare_cached(sql)?.query_row(params, f),
        }
    }

    /// Runs statements without parameters, as they are (no placeholders translated).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(c) => c.execute_batch(sql),
            Inner::Postgres(pg) => {
                pg.revive();
                pg.call(|c| c.batch_execute(sql))
            }
        }
    }

    /// A number that changes when another connection commits a change: SQLite's
    /// `PRAGMA data_version`; on PostgreSQL the count of `NOTIFY desk_changed` received (the
    /// first call starts listening), read without waiting.
    pub fn data_version(&self) -> Result<i64> {
        match &self.inner {
            Inner::Sqlite(c) => c.query_row("PRAGMA data_version", [], |r| r.get(0)),
            Inner::Postgres(pg) => {
                // A new connection listens again; what happened meanwhile was not heard, so
                // it counts as a change (the desk reloads).
                let mut seen = pg.seen.get() + i64::from(pg.revive());
                if !pg.listening.get() {
                    pg.call(|c| c.batch_execute(&format!("LISTEN {}", pg_schema::CHANNEL)))?;
                    pg.listening.set(true);
                }
                // One round trip first: the server hands this connection every notification
                // committed before it asked ahead of its answer, so a change another connection
                // has committed is seen now, not when its notice happens to cross the socket.
                pg.call(|c| c.batch_execute("SELECT 1"))?;
                let mut client = pg.client.borrow_mut();
                let mut notes = client.notifications();
                let mut iter = notes.iter();
                loop {
                    match postgres::fallible_iterator::FallibleIterator::next(&mut iter) {
                        Ok(Some(_)) => seen += 1,
                        Ok(None) => break,
                        Err(e) => {
                            // The server went away while the desk waited: the next call
                            // connects again.
                            pg.seen.set(seen);
                            return Err(pg_err(e));
                        }
                    }
                }
                pg.seen.set(seen);
                Ok(seen)
            }
        }
    }

    /// How many statements this connection holds prepared on the server (none on SQLite,
    /// whose statements are its own): a statement is prepared at its second run only.
    pub fn prepared_statements(&self) -> usize {
        match &self.inner {
            Inner::Sqlite(_) => 0,
            Inner::Postgres(pg) => pg.cache.borrow().len(),
        }
    }

    /// Rows changed by this connection since it opened.
    pub fn total_changes(&self) -> u64 {
        match &self.inner {
            Inner::Sqlite(c) => c.total_changes(),
            Inner::Postgres(pg) => pg.total.get(),
        }
    }

    /// Rows changed by the last statement.
    pub fn changes(&self) -> u64 {
        match &self.inner {
            Inner::Sqlite(c) => c.changes(),
            Inner::Postgres(pg) => pg.changes.get(),
        }
    }

    /// Runs `f` with no limit on the server's answers (pg_watch): a schema upgrade, a
    /// migration, whose single statements may run for minutes.
    pub fn patient<T>(&self, f: impl FnOnce() -> T) -> T {
        match &self.inner {
            Inner::Sqlite(_) => f(),
            Inner::Postgres(pg) => pg.watch.patient(f),
        }
    }

    /// How long a statement may wait for a lock (the server's `lock_timeout`, just set):
    /// the watch allows it on top of its limit.
    pub fn set_lock_wait(&self, wait: std::time::Duration) {
        if let Inner::Postgres(pg) = &self.inner {
            pg.lock_wait.set(wait);
        }
    }

    /// Starts the write transaction of one action: SQLite's `BEGIN IMMEDIATE`; on PostgreSQL
    /// `BEGIN` and the desk's write lock (see the module's notes). Rolled back when dropped
    /// uncommitted.
    pub fn transaction(&self) -> Result<Transaction<'_>> {
        match &self.inner {
            Inner::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Inner::Postgres(pg) => {
                pg.revive();
                pg.call(|c| {
                    c.batch_execute(&format!(
                        "BEGIN; SELECT pg_advisory_xact_lock({})",
                        pg_schema::WRITE_LOCK
                    ))
                })?;
                pg.in_tx.set(true);
            }
        }
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }
}

/// An open write transaction; derefs to its connection.
pub struct Transaction<'c> {
    conn: &'c Connection,
    done: bool,
}

impl std::ops::Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl Transaction<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        self.end("COMMIT")
    }

    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        self.end("ROLLBACK")
    }

    /// Ends the transaction on the connection it began on (never on a new one).
    fn end(&self, sql: &str) -> Result<()> {
        match &self.conn.inner {
            Inner::Sqlite(c) => c.execute_batch(sql),
            Inner::Postgres(pg) => {
                pg.in_tx.set(false);
                let _armed = pg.watch.arm(pg.lock_wait.get());
                let done = pg.client.borrow_mut().batch_execute(sql);
                done.map_err(|e| pg.failed(e, sql == "COMMIT"))
            }
        }
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.done {
            // Nothing more can be done about a failed rollback here: the connection is
            // either unusable (and closes) or already out of the transaction.
            let _ = self.end("ROLLBACK");
        }
    }
}

/// How long a call waits for a new connection being made before it says the server is away.
const REVIVE_WAIT: std::time::Duration = std::time::Duration::from_millis(150);

impl Pg {
    /// Connects again when the server closed the connection (a restart, a failover: with
    /// several hosts and `target_session_attrs=read-write` in the URL, to whichever is the
    /// primary now), outside a transaction only, at most once a second after a failure.
    /// Statements are prepared anew and LISTEN is sent again. True when it did; a failure
    /// leaves the closed client, whose own error the call then says.
    fn revive(&self) -> bool {
        let Some(url) = &self.url else { return false };
        if self.in_tx.get() || !self.client.borrow().is_closed() {
            return false;
        }
        let mut pending = self.pending.borrow_mut();
        if pending.is_none() {
            if self
                .failed_at
                .get()
                .is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(1))
            {
                return false;
            }
            match super::pg_connect::start(url) {
                Ok((deadline, made)) => {
                    *pending = Some(Pending {
                        started: std::time::Instant::now(),
                        deadline,
                        made,
                    })
                }
                Err(_) => {
                    self.failed_at.set(Some(std::time::Instant::now()));
                    return false;
                }
            }
        }
        // The connection is made on its own thread: a server that is back answers within
        // a moment; one that is still stopped keeps it waiting there, not the desk, which
        // says the server is away meanwhile and looks again at its next call. A connection
        // that does not come within the URL's connect_timeout is given up and tried again.
        let Some(p) = pending.as_ref() else {
            return false;
        };
        let made = match p.made.recv_timeout(REVIVE_WAIT) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if p.started.elapsed() < p.deadline => {
                return false;
            }
            // Past its deadline: left behind (its thread ends when its socket does), and
            // tried again a second later (another host of the URL may be the primary now).
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Err(()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => Err(()),
            Ok(made) => made.map_err(|_| ()),
        };
        *pending = None;
        let Ok(mut made) = made else {
            self.failed_at.set(Some(std::time::Instant::now()));
            return false;
        };
        if self.listening.get()
            && made
                .client
                .batch_execute(&format!("LISTEN {}", pg_schema::CHANNEL))
                .is_err()
        {
            self.failed_at.set(Some(std::time::Instant::now()));
            return false;
        }
        self.failed_at.set(None);
        self.cache.borrow_mut().clear();
        self.watch.renew(made.sockets);
        *self.client.borrow_mut() = made.client;
        true
    }

    /// Runs `f` on the client, watched (pg_watch): the store's error, said as the server not
    /// answering when the watchdog cut the connection.
    fn call<T>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error>,
    ) -> Result<T> {
        let _armed = self.watch.arm(self.lock_wait.get());
        let done = f(&mut self.client.borrow_mut());
        done.map_err(|e| self.failed(e, false))
    }

    /// The store's error for a failed call: the server's own, or, when the watchdog cut the
    /// connection, that the server did not answer.
    fn failed(&self, e: postgres::Error, at_commit: bool) -> rusqlite::Error {
        match self.watch.limit() {
            Some(limit) if self.watch.fired() => {
                rusqlite::Error::ToSqlConversionFailure(Box::new(NoAnswer {
                    waited: limit + self.lock_wait.get(),
                    at_commit,
                }))
            }
            _ => pg_err(e),
        }
    }

    /// A statement of the store's SQL. Its first run in this connection is not prepared: it
    /// goes to the server unnamed, parsed, bound and run in one round trip (PostgreSQL infers
    /// the parameters' types as it does for a prepared one, and reads them as text), where a
    /// prepared statement costs one round trip to prepare and one to run. A one-shot command
    /// runs most of its statements once, so inside a write transaction — the desk-wide lock
    /// held — this halves the round trips. A statement run a second time (a loop, the
    /// terminal desk's refreshes) is prepared then and kept, as rusqlite keeps SQLite's.
    fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        self.revive();
        let prepared = std::cell::OnceCell::new();
        if let Some(s) = self.cache.borrow().get(sql) {
            let _ = prepared.set(s.clone());
        }
        let stmt = PgStmt {
            key: sql.to_string(),
            text: without_hints(&placeholders(sql)),
            prepared,
            // Seen in this connection before: prepared at its (second) run.
            ran: Cell::new(u32::from(!self.once.borrow_mut().insert(sql.to_string()))),
        };
        Ok(Statement {
            inner: Stmt::Pg { pg: self, stmt },
        })
    }

    /// The statement prepared (and kept), when it has run before or must be described.
    /// Inside a write transaction a statement not yet prepared is run unprepared however often
    /// it runs: preparing costs a round trip of its own, and there every round trip is spent
    /// holding the desk-wide write lock that every other writer queues on (8 writers at once:
    /// the report's days are read and written once per dimension, the same SQL four times).
    fn prepared(&self, st: &PgStmt) -> Result<Option<postgres::Statement>> {
        if let Some(s) = st.prepared.get() {
            return Ok(Some(s.clone()));
        }
        if st.ran.get() == 0 || self.in_tx.get() {
            return Ok(None);
        }
        self.describe(st).map(Some)
    }

    /// Prepares the statement on the server and keeps it.
    fn describe(&self, st: &PgStmt) -> Result<postgres::Statement> {
        if let Some(s) = st.prepared.get() {
            return Ok(s.clone());
        }
        let stmt = self.call(|c| c.prepare(&st.text))?;
        self.cache.borrow_mut().insert(st.key.clone(), stmt.clone());
        let _ = st.prepared.set(stmt.clone());
        Ok(stmt)
    }

    /// Runs a statement not prepared, in one round trip: the rows and the count of rows it
    /// changed. Every parameter's type is left to the server to infer (`UNKNOWN`, sent as
    /// text: `PgValue::encode_format`), but a BLOB's, which is BYTEA.
    fn unprepared(&self, st: &PgStmt, params: &[PgValue]) -> Result<(Vec<Vec<Value>>, u64)> {
        use postgres::fallible_iterator::FallibleIterator;
        use postgres::types::Type;
        st.ran.set(st.ran.get() + 1);
        let typed = params.iter().map(|v| {
            let ty = match v.0 {
                Value::Blob(_) => Type::BYTEA,
                _ => Type::UNKNOWN,
            };
            (v as &(dyn postgres::types::ToSql + Sync), ty)
        });
        let _armed = self.watch.arm(self.lock_wait.get());
        let mut client = self.client.borrow_mut();
        let mut rows = client
            .query_typed_raw(&st.text, typed)
            .map_err(|e| self.failed(e, false))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(|e| self.failed(e, false))? {
            self.watch.touch();
            out.push(
                (0..r.len())
                    .map(|i| r.try_get::<_, Cell0>(i).map(|c| c.0).map_err(pg_err))
                    .collect::<Result<Vec<Value>>>()?,
            );
        }
        Ok((out, rows.rows_affected().unwrap_or(0)))
    }

    fn run(&self, st: &PgStmt, p: &[&dyn ToSql]) -> Result<Vec<Vec<Value>>> {
        let params = pg_params(p)?;
        let Some(stmt) = self.prepared(st)? else {
            return self.unprepared(st, &params).map(|(rows, _)| rows);
        };
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        let rows = self.call(|c| c.query(&stmt, &refs))?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| r.try_get::<_, Cell0>(i).map(|c| c.0).map_err(pg_err))
                    .collect()
            })
            .collect()
    }

    fn execute(&self, st: &PgStmt, p: &[&dyn ToSql]) -> Result<usize> {
        let params = pg_params(p)?;
        let n = match self.prepared(st)? {
            None => self.unprepared(st, &params)?.1,
            Some(stmt) => {
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|v| v as &(dyn postgres::types::ToSql + Sync))
                    .collect();
                self.call(|c| c.execute(&stmt, &refs))?
            }
        };
        self.changes.set(n);
        self.total.set(self.total.get() + n);
        Ok(n as usize)
    }
}

/// Parameters of a statement: `params![…]`, an array or slice of values, `[]`, or
/// [`params_from_iter`].
pub trait Params {
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R;
}

impl Params for &[&dyn ToSql] {
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(self)
    }
}

impl Params for [&(dyn ToSql + Send + Sync); 0] {
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(&[])
    }
}

impl Params for () {
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(&[])
    }
}

macro_rules! array_params {
    ($($n:literal)*) => {$(
        impl<T: ToSql> Params for [T; $n] {
            fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
                let refs: Vec<&dyn ToSql> = self.iter().map(|v| v as &dyn ToSql).collect();
                f(&refs)
            }
        }
    )*};
}

array_params!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);

impl<T: ToSql, const N: usize> Params for &[T; N] {
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        let refs: Vec<&dyn ToSql> = self.iter().map(|v| v as &dyn ToSql).collect();
        f(&refs)
    }
}

impl<T: ToSql> Params for &Vec<T> {
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        let refs: Vec<&dyn ToSql> = self.iter().map(|v| v as &dyn ToSql).collect();
        f(&refs)
    }
}

/// Parameters from an iterator of values.
pub struct ParamsFromIter<I>(I);

pub fn params_from_iter<I>(iter: I) -> ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    ParamsFromIter(iter)
}

impl<I> Params for ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        let values: Vec<I::Item> = self.0.into_iter().collect();
        let refs: Vec<&dyn ToSql> = values.iter().map(|v| v as &dyn ToSql).collect();
        f(&refs)
    }
}

/// A prepared statement of either database.
pub struct Statement<'c> {
    inner: Stmt<'c>,
}

enum Stmt<'c> {
    Cached(rusqlite::CachedStatement<'c>),
    Plain(rusqlite::Statement<'c>),
    Pg { pg: &'c Pg, stmt: PgStmt },
}

/// A PostgreSQL statement: its SQL, and the server's prepared statement once it has one.
struct PgStmt {
    /// The SQL as the store wrote it (the cache's key).
    key: String,
    /// As PostgreSQL reads it.
    text: String,
    prepared: std::cell::OnceCell<postgres::Statement>,
    /// Runs in this connection so far (1 when an earlier statement of the same SQL ran).
    ran: Cell<u32>,
}

/// A statement of either database: SQLite's to run, or PostgreSQL's with its client.
type Split<'a, 'c> = std::result::Result<&'a mut rusqlite::Statement<'c>, (&'c Pg, &'a PgStmt)>;

impl<'c> Stmt<'c> {
    fn split(&mut self) -> Split<'_, 'c> {
        match self {
            Stmt::Cached(s) => Ok(&mut **s),
            Stmt::Plain(s) => Ok(s),
            Stmt::Pg { pg, stmt } => Err((*pg, stmt)),
        }
    }
}

impl Statement<'_> {
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        match self.inner.split() {
            Ok(s) => params.with(|p| s.execute(p)),
            Err((pg, stmt)) => params.with(|p| pg.execute(stmt, p)),
        }
    }

    pub fn query_row<T, P, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        match self.inner.split() {
            Ok(s) => params.with(|p| s.query_row(p, |r| f(&Row::Sqlite(r)))),
            Err((pg, stmt)) => match params.with(|p| pg.run(stmt, p))?.first() {
                Some(r) => f(&Row::Pg(r)),
                None => Err(rusqlite::Error::QueryReturnedNoRows),
            },
        }
    }

    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        let mut rows = self.query(params)?;
        Ok(rows.next()?.is_some())
    }

    pub fn query<P: Params>(&mut self, params: P) -> Result<Rows<'_>> {
        match self.inner.split() {
            Ok(s) => params.with(|p| s.query(p)).map(Rows::Sqlite),
            Err((pg, stmt)) => Ok(Rows::Pg(params.with(|p| pg.run(stmt, p))?, 0)),
        }
    }

    pub fn query_map<T, P, F>(&mut self, params: P, f: F) -> Result<MappedRows<'_, F>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        Ok(MappedRows {
            rows: self.query(params)?,
            f,
        })
    }

    /// The count of columns its rows have (on PostgreSQL, the statement is prepared for it).
    pub fn column_count(&self) -> Result<usize> {
        match &self.inner {
            Stmt::Cached(s) => Ok(s.column_count()),
            Stmt::Plain(s) => Ok(s.column_count()),
            Stmt::Pg { pg, stmt } => Ok(pg.describe(stmt)?.columns().len()),
        }
    }
}

/// The rows of a query. SQLite's are read one by one; PostgreSQL's come all at once.
pub enum Rows<'s> {
    Sqlite(rusqlite::Rows<'s>),
    Pg(Vec<Vec<Value>>, usize),
}

impl Rows<'_> {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<Row<'_>>> {
        match self {
            Rows::Sqlite(r) => Ok(r.next()?.map(Row::Sqlite)),
            Rows::Pg(rows, at) => {
                let i = *at;
                *at += 1;
                Ok(rows.get(i).map(|r| Row::Pg(r)))
            }
        }
    }
}

/// Rows mapped by a function, as `query_map` returns them.
pub struct MappedRows<'s, F> {
    rows: Rows<'s>,
    f: F,
}

impl<T, F> Iterator for MappedRows<'_, F>
where
    F: FnMut(&Row<'_>) -> Result<T>,
{
    type Item = Result<T>;
    fn next(&mut self) -> Option<Result<T>> {
        match self.rows.next() {
            Ok(Some(r)) => Some((self.f)(&r)),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// One row of a result.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    Pg(&'r [Value]),
}

/// A column's position (rusqlite's `RowIndex`, by position only).
pub trait Index {
    fn at(self) -> usize;
}

impl Index for usize {
    fn at(self) -> usize {
        self
    }
}

impl Row<'_> {
    pub fn get<I: Index, T: rusqlite::types::FromSql>(&self, i: I) -> Result<T> {
        let i = i.at();
        match self {
            Row::Sqlite(r) => r.get(i),
            Row::Pg(v) => {
                let value = v.get(i).ok_or(rusqlite::Error::InvalidColumnIndex(i))?;
                T::column_result(ValueRef::from(value)).map_err(|e| match e {
                    rusqlite::types::FromSqlError::InvalidType => {
                        rusqlite::Error::InvalidColumnType(
                            i,
                            String::new(),
                            ValueRef::from(value).data_type(),
                        )
                    }
                    rusqlite::types::FromSqlError::OutOfRange(n) => {
                        rusqlite::Error::IntegralValueOutOfRange(i, n)
                    }
                    other => rusqlite::Error::FromSqlConversionFailure(
                        i,
                        ValueRef::from(value).data_type(),
                        Box::new(other),
                    ),
                })
            }
        }
    }

    pub fn get_ref<I: Index>(&self, i: I) -> Result<ValueRef<'_>> {
        let i = i.at();
        match self {
            Row::Sqlite(r) => r.get_ref(i),
            Row::Pg(v) => v
                .get(i)
                .map(ValueRef::from)
                .ok_or(rusqlite::Error::InvalidColumnIndex(i)),
        }
    }
}

/// SQLite's placeholders (`?N`, `?`) as PostgreSQL's (`$N`), outside quotes and comments.
pub fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next = 1;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = digits.parse::<usize>().unwrap_or(next);
                next = n + 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// SQL without SQLite's index hints (`INDEXED BY name`, `NOT INDEXED`), which PostgreSQL's
/// planner does without: the store's SQL keeps them for SQLite, where they are measured wins.
/// Words inside quotes are left alone.
pub fn without_hints(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    // (text, quoted): the statement cut at its quotes.
    let mut rest = sql;
    while !rest.is_empty() {
        let plain_end = rest.find(['\'', '"']).unwrap_or(rest.len());
        let (plain, tail) = rest.split_at(plain_end);
        out.push_str(&drop_hints(plain));
        let Some(q) = tail.chars().next() else {
            break;
        };
        let close = tail[1..].find(q).map_or(tail.len(), |i| i + 2);
        out.push_str(&tail[..close]);
        rest = &tail[close..];
    }
    out
}

fn drop_hints(plain: &str) -> String {
    let words: Vec<&str> = plain.split(' ').collect();
    let mut kept: Vec<&str> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let w = words[i].trim();
        let next = words.get(i + 1).map(|n| n.trim());
        if w.eq_ignore_ascii_case("INDEXED") && next.is_some_and(|n| n.eq_ignore_ascii_case("BY")) {
            // The index's name may end the line: keep what follows it.
            let name = words.get(i + 2).copied().unwrap_or("");
            let after = name.find(['\n', ',', ')']).map_or("", |at| &name[at..]);
            kept.push(after);
            i += 3;
            continue;
        }
        if w.eq_ignore_ascii_case("NOT") && next.is_some_and(|n| n.eq_ignore_ascii_case("INDEXED"))
        {
            i += 2;
            continue;
        }
        kept.push(words[i]);
        i += 1;
    }
    kept.join(" ")
}

/// A parameter as PostgreSQL is to receive it: SQLite's value, written as the type the
/// server inferred for its place (an integer for a BIGINT column, text for TEXT …).
#[derive(Debug)]
struct PgValue(Value);

fn pg_params(p: &[&dyn ToSql]) -> Result<Vec<PgValue>> {
    p.iter()
        .map(|v| {
            Ok(PgValue(match v.to_sql()? {
                ToSqlOutput::Borrowed(r) => owned(r),
                ToSqlOutput::Owned(v) => v,
                _ => {
                    return Err(rusqlite::Error::ToSqlConversionFailure(
                        "a value PostgreSQL cannot take".into(),
                    ));
                }
            }))
        })
        .collect()
}

fn owned(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

type BoxError = Box<dyn std::error::Error + Sync + Send>;
use postgres::types::ToSql as PgToSql;

impl postgres::types::ToSql for PgValue {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, BoxError> {
        use postgres::types::{IsNull, Type};
        let text = |s: &str, out: &mut postgres::types::private::BytesMut| {
            out.extend_from_slice(s.as_bytes());
            Ok(IsNull::No)
        };
        match &self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT8 => PgToSql::to_sql(&i, ty, out),
                Type::INT4 => PgToSql::to_sql(&i32::try_from(*i)?, ty, out),
                Type::INT2 => PgToSql::to_sql(&i16::try_from(*i)?, ty, out),
                Type::BOOL => PgToSql::to_sql(&(*i != 0), ty, out),
                Type::FLOAT8 => PgToSql::to_sql(&(*i as f64), ty, out),
                Type::FLOAT4 => PgToSql::to_sql(&(*i as f32), ty, out),
                Type::NUMERIC => Err(format!("bind {i} as BIGINT, not NUMERIC").into()),
                _ => text(&i.to_string(), out),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => PgToSql::to_sql(&f, ty, out),
                Type::FLOAT4 => PgToSql::to_sql(&(*f as f32), ty, out),
                Type::INT8 | Type::INT4 | Type::INT2 | Type::BOOL | Type::NUMERIC => {
                    Err(format!("a real number where {ty} was expected").into())
                }
                _ => text(&f.to_string(), out),
            },
            Value::Text(s) => match *ty {
                Type::BYTEA => PgToSql::to_sql(&s.as_bytes(), ty, out),
                Type::INT8 | Type::INT4 | Type::INT2 | Type::BOOL | Type::FLOAT8 | Type::FLOAT4 => {
                    Err(format!("text where {ty} was expected").into())
                }
                _ => text(s, out),
            },
            Value::Blob(b) => match *ty {
                Type::BYTEA => PgToSql::to_sql(&b.as_slice(), ty, out),
                _ => text(std::str::from_utf8(b)?, out),
            },
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    /// Binary, as the type the server inferred for a prepared statement; text for a
    /// parameter left `UNKNOWN` (a statement run unprepared), which the server then reads
    /// as the type it infers.
    fn encode_format(&self, ty: &postgres::types::Type) -> postgres::types::Format {
        if *ty == postgres::types::Type::UNKNOWN {
            postgres::types::Format::Text
        } else {
            postgres::types::Format::Binary
        }
    }

    postgres::types::to_sql_checked!();
}

/// A column's value read from PostgreSQL as SQLite's kind of value.
struct Cell0(Value);

impl<'a> postgres::types::FromSql<'a> for Cell0 {
    fn from_sql(ty: &postgres::types::Type, raw: &'a [u8]) -> Result<Cell0, BoxError> {
        use postgres::types::Type;
        Ok(Cell0(match *ty {
            Type::BOOL => Value::Integer(i64::from(bool::from_sql(ty, raw)?)),
            Type::INT2 => Value::Integer(i64::from(i16::from_sql(ty, raw)?)),
            Type::INT4 => Value::Integer(i64::from(i32::from_sql(ty, raw)?)),
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::OID => Value::Integer(i64::from(u32::from_sql(ty, raw)?)),
            Type::FLOAT4 => Value::Real(f64::from(f32::from_sql(ty, raw)?)),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            _ => match std::str::from_utf8(raw) {
                Ok(s) => Value::Text(s.to_string()),
                Err(_) => Value::Blob(raw.to_vec()),
            },
        }))
    }

    fn from_sql_null(_: &postgres::types::Type) -> Result<Cell0, BoxError> {
        Ok(Cell0(Value::Null))
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }
}

/// NUMERIC's binary form (what `sum` and `avg` of BIGINT return): an integer when it has no
/// fraction and fits, a real number otherwise.
fn numeric(raw: &[u8]) -> Result<Value, BoxError> {
    let word = |i: usize| -> Result<i16, BoxError> {
        raw.get(i * 2..i * 2 + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a short NUMERIC".into())
    };
    let (ndigits, weight, sign, scale) = (word(0)?, word(1)?, word(2)? as u16, word(3)?);
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut real = 0f64;
    let mut int: Option<i128> = Some(0);
    for i in 0..ndigits.max(0) as usize {
        let d = word(4 + i)?;
        let power = i32::from(weight) - i as i32;
        real += f64::from(d) * 10000f64.powi(power);
        int = match (int, power) {
            (Some(n), p) if p >= 0 => 10000i128
                .checked_pow(p as u32)
                .and_then(|m| n.checked_add(i128::from(d) * m)),
            (n, _) if d == 0 => n,
            _ => None,
        };
    }
    let negative = sign == 0x4000;
    Ok(match int.and_then(|n| i64::try_from(n).ok()) {
        Some(n) if scale == 0 || real.fract() == 0.0 => {
            Value::Integer(if negative { -n } else { n })
        }
        _ => Value::Real(if negative { -real } else { real }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars_outside_quotes() {
        assert_eq!(
            placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND d = ?2 -- ?3\n AND e = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND d = $2 -- ?3\n AND e = $3"
        );
        assert_eq!(placeholders("VALUES (?, ?, ?)"), "VALUES ($1, $2, $3)");
        assert_eq!(placeholders("\"odd?\" = ?10"), "\"odd?\" = $10");
    }

    #[test]
    fn sqlites_index_hints_are_left_out() {
        assert_eq!(
            without_hints("SELECT 1 FROM facts f NOT INDEXED WHERE a = 'NOT INDEXED'"),
            "SELECT 1 FROM facts f WHERE a = 'NOT INDEXED'"
        );
        assert_eq!(
            without_hints("FROM events e INDEXED BY events_kind_at\n JOIN facts f"),
            "FROM events e \n JOIN facts f"
        );
        assert_eq!(
            without_hints(
                "(SELECT count(*) FROM tickets t INDEXED BY tickets_unassigned\n WHERE x)"
            ),
            "(SELECT count(*) FROM tickets t \n WHERE x)"
        );
        assert_eq!(
            without_hints("SELECT \"INDEXED BY\" x"),
            "SELECT \"INDEXED BY\" x"
        );
    }

    #[test]
    fn numeric_reads_integers_and_fractions() {
        // 123456789 = 1·10000² + 2345·10000 + 6789
        let n = |words: &[i16]| -> Vec<u8> { words.iter().flat_map(|w| w.to_be_bytes()).collect() };
        assert_eq!(
            numeric(&n(&[3, 2, 0, 0, 1, 2345, 6789])).ok(),
            Some(Value::Integer(123_456_789))
        );
        assert_eq!(numeric(&n(&[0, 0, 0, 0])).ok(), Some(Value::Integer(0)));
        assert_eq!(
            numeric(&n(&[1, 0, 0x4000, 0, 42])).ok(),
            Some(Value::Integer(-42))
        );
        // 2.5 = 2 + 5000·10000⁻¹, scale 1
        assert_eq!(
            numeric(&n(&[2, 0, 0, 1, 2, 5000])).ok(),
            Some(Value::Real(2.5))
        );
    }
}
