//! SQLite through rusqlite: WAL, `synchronous=FULL`, foreign keys, a busy timeout, and one
//! short `BEGIN IMMEDIATE` transaction per user action. Nothing outside this module writes SQL.

pub mod agents;
pub mod away;
pub mod backup;
pub mod chain;
pub mod check;
pub mod config;
pub mod db;
pub mod demo;
pub mod extend;
mod fields_check;
pub(crate) mod fts_terms;
pub mod inbox;
pub mod migrate;
pub mod numbers;
pub mod outbox;
pub mod pg_connect;
pub mod pg_grants;
pub mod pg_schema;
pub mod pg_watch;
pub mod progress;
pub mod public;
pub mod query;
pub mod report;
pub mod requester;
pub(crate) mod roster;
pub mod schema;
pub mod search;
pub mod sla;
pub mod tickets;
pub mod timers;
pub mod vfs;

use crate::error::{Error, Result};
use crate::msg;
use rusqlite::config::DbConfig;
use rusqlite::params;
use rusqlite::{Connection, OpenFlags};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use agents::{AgentInfo, GroupInfo, NewAgent};
pub use tickets::{Changed, Created, Event, HistoryPage, NewTicket, Owner, Ticket};

/// How long a writer waits for another one before giving up (exit 5).
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A commit leaving more pages than this in the write-ahead log copies them into the
/// database and empties the log (see `Store::keep_wal`).
pub const WAL_PAGES: u32 = 256;

pub struct Store {
    /// SQLite's connection or PostgreSQL's (`db`: the seam).
    conn: db::Connection,
    path: PathBuf,
    /// Opened read-only: the file or its directory is not writable for this user.
    read_only: bool,
    options: Options,
    /// The agent at the keyboard, once signed in (`sign_in`).
    signed_in: Option<crate::core::model::AgentRef>,
    /// Every typed start read as FTS5 reads a start, never as the words of the index it
    /// stands for (`fts_terms`): the plain plan, which tests compare with.
    plain_starts: bool,
    /// Text in a list of open tickets read as the open tickets the index finds, kept per
    /// state of the desk (`query::open`); `plain_open_text`: asked of the index in the
    /// statement instead (the plain plan, which tests compare with).
    open_hits: query::OpenHits,
    plain_open_text: bool,
    /// The bytes of history texts snippets have read (`Store::history_bytes_read`).
    history_read: std::cell::Cell<u64>,
}

/// How a database is opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// The shared desk, reached through the set-id program (or by a service holding its
    /// group): the file is opened without following a symbolic link, never read-only, with
    /// temporary tables in memory (no temporary files anywhere), and the `-wal` and `-shm`
    /// files are kept when the last connection closes, so they stay the ones `desk init
    /// --shared` made instead of belonging to whichever operator opened the desk first.
    pub shared: bool,
}

/// Another connection to an open desk (`Store::reopen`), for reading lists on another thread.
#[derive(Clone)]
pub struct Reopen {
    path: PathBuf,
    /// The PostgreSQL URL the desk was opened with (its password included).
    url: Option<String>,
    options: Options,
}

impl std::fmt::Debug for Reopen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold a password.
        write!(f, "Reopen({})", self.path.display())
    }
}

impl Reopen {
    /// Opens it: the same file opened the same way (never following a link on the shared
    /// desk, temporary tables in memory, the write-ahead log kept and never copied back when
    /// it closes), or the same PostgreSQL URL. Nothing is migrated or checked again (the
    /// desk's first connection did that) and nobody is signed in: it reads lists only.
    pub fn open(&self) -> Result<Store> {
        if let Some(url) = &self.url {
            let (conn, shown) = connect_postgres(url)?;
            return Ok(Store::over(conn, shown, true, self.options));
        }
        let path = &self.path;
        let db = |e| Error::db(e, path);
        // Read-only whatever the first connection may do: it only reads lists, so on the
        // shared (set-id) desk a thread of the program holds no connection that could write
        // the desk's file outside the store's rules.
        let mut flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if self.options.shared {
            flags |= OpenFlags::SQLITE_OPEN_NOFOLLOW;
        }
        let conn = open_desk_file(path, flags).map_err(db)?;
        set_busy(&conn, DEFAULT_BUSY_TIMEOUT).map_err(db)?;
        conn.set_prepared_statement_cache_capacity(64);
        conn.execute_batch("PRAGMA temp_store = MEMORY")
            .map_err(db)?;
        persist_wal(&conn).map_err(db)?;
        // A count walks an index once, far larger than any cache: a small one keeps the
        // reader's memory small (the system's page cache holds the file's pages anyway).
        conn.execute_batch("PRAGMA cache_size = -512").map_err(db)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
            .map_err(db)?;
        Ok(Store::over(conn.into(), path.clone(), true, self.options))
    }
}

/// The longest any connection of this process waits for a lock, in milliseconds.
static BUSY_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

thread_local! {
    /// This thread is emptying the write-ahead log after a commit: it never waits for that.
    static CHECKPOINTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Called after every commit with the pages now in the write-ahead log: past [`WAL_PAGES`],
/// they are copied into the database and the log is emptied (truncated), so the next process
/// to open the desk alone has nothing to read back. This never waits: while another desk
/// reads, the pages are copied (`PASSIVE`) and the log is emptied at a later commit.
fn wal_committed(wal: &rusqlite::hooks::Wal, pages: std::os::raw::c_int) -> rusqlite::Result<()> {
    if (pages as i64) < WAL_PAGES as i64 {
        return Ok(());
    }
    CHECKPOINTING.set(true);
    let emptied = wal.checkpoint_v2(rusqlite::hooks::CheckpointMode::TRUNCATE);
    CHECKPOINTING.set(false);
    if emptied.is_err() {
        let _ = wal.checkpoint_v2(rusqlite::hooks::CheckpointMode::PASSIVE);
    }
    Ok(())
}

/// Waits for a busy database by polling every millisecond, up to the timeout. SQLite's own
/// handler backs off to 100 ms sleeps, so under many writers one could wait far longer than
/// the lock is actually held (measured with tests/load.rs).
fn wait_for_lock(attempt: i32) -> bool {
    if CHECKPOINTING.get() {
        return false;
    }
    let limit = BUSY_MS.load(std::sync::atomic::Ordering::Relaxed);
    if (attempt as u64) >= limit {
        return false;
    }
    std::thread::sleep(Duration::from_millis(1));
    true
}

fn set_busy(conn: &Connection, timeout: Duration) -> rusqlite::Result<()> {
    BUSY_MS.fetch_max(
        timeout.as_millis() as u64,
        std::sync::atomic::Ordering::Relaxed,
    );
    if timeout.is_zero() {
        return conn.busy_handler(None);
    }
    conn.busy_handler(Some(wait_for_lock))
}

/// A new database file is its creator's alone (0600, whatever the umask): it will hold
/// requesters' names, contacts and requests, and SQLite gives its `-wal` and `-shm` the
/// database's mode. Left as it is when it exists (its owner may have opened it to others);
/// never made through a symbolic link.
fn create_private(path: &Path) -> Result<()> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::Database(msg!(
            "error.file.create",
            file = path.display().to_string(),
            why = crate::error::io(&e)
        ))),
    }
}

fn is_permission(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ReadOnly)
            | Some(rusqlite::ErrorCode::CannotOpen)
            | Some(rusqlite::ErrorCode::PermissionDenied)
    )
}

/// Keeps the `-wal` and `-shm` files when this connection is the last to close
/// (`SQLITE_FCNTL_PERSIST_WAL`).
fn persist_wal(conn: &Connection) -> rusqlite::Result<()> {
    let mut on: std::os::raw::c_int = 1;
    // SAFETY: the handle belongs to `conn`, which outlives the call; "main" is a NUL-terminated
    // schema name; SQLITE_FCNTL_PERSIST_WAL reads and writes one int through the pointer,
    // which points at `on` for the duration of the call.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&mut on as *mut std::os::raw::c_int).cast(),
        )
    };
    if rc == rusqlite::ffi::SQLITE_OK {
        Ok(())
    } else {
        Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rc),
            Some("cannot keep the write-ahead log files".into()),
        ))
    }
}

/// An older desk's migrations one at a time, telling how far the upgrade is (on a big desk
/// some take a while). Each leaves a database of its version, so an upgrade cut short goes on
/// from there at the next start.
fn upgrade(conn: &mut Connection, from: i64) -> std::result::Result<(), rusqlite_migration::Error> {
    use progress::{Work, tell};
    let latest = schema::latest_version();
    let migrations = schema::migrations();
    let total = (latest - from) as u64;
    tell(Work::Upgrade, 0, total);
    for v in from + 1..=latest {
        migrations.to_version(conn, v as usize)?;
        tell(Work::Upgrade, (v - from) as u64, total);
    }
    Ok(())
}

/// Opens a desk's database with desk's file system (see `vfs`: no sync of the directory at
/// every change), else SQLite's default.
fn open_desk_file(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = if vfs::registered() {
        Connection::open_with_flags_and_vfs(path, flags, vfs::NAME)
    } else {
        Connection::open_with_flags(path, flags)
    }?;
    // The function a walk tests a word's hits with (see `query::hits`).
    query::register_hits(&conn)?;
    Ok(conn)
}

/// Opens a desk's database for reading only with SQLite's default file system (a desk this
/// user may not write), with the functions every desk connection has (`desk_hit`: without
/// it a common word's page by status, assignee or priority failed on such a desk).
fn open_read_only(path: &Path, flags: OpenFlags) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)?;
    query::register_hits(&conn)?;
    Ok(conn)
}

/// The PostgreSQL URL `path` is, when it is one (`postgres://…`, `postgresql://…`).
pub fn postgres_url(path: &Path) -> Option<&str> {
    path.to_str()
        .filter(|p| p.starts_with("postgres://") || p.starts_with("postgresql://"))
}

/// Whether a PostgreSQL URL carries a password (`postgres://user:PASSWORD@host/…`).
pub fn url_has_password(url: &str) -> bool {
    let Some((_, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .and_then(|(auth, _)| auth.split_once(':'))
        .is_some_and(|(_, pw)| !pw.is_empty())
        || rest
            .split_once('?')
            .is_some_and(|(_, q)| q.split('&').any(|kv| kv.starts_with("password=")))
}

/// A URL as it may be shown: without its password, whether it stands after the user
/// (`user:secret@host`) or as a parameter (`?password=secret`, `sslpassword=…`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let mut shown = match rest.rsplit_once('@') {
        Some((auth, host)) => {
            let user = auth.split(':').next().unwrap_or("");
            format!("{scheme}://{user}@{host}")
        }
        None => format!("{scheme}://{rest}"),
    };
    if let Some(q) = query {
        let kept: Vec<&str> = q
            .split('&')
            .filter(|kv| {
                let key = kv.split('=').next().unwrap_or("").to_ascii_lowercase();
                !key.ends_with("password")
            })
            .collect();
        if !kept.is_empty() {
            shown.push('?');
            shown.push_str(&kept.join("&"));
        }
    }
    shown
}

/// A desk's database as a message may name it: the file's path, or its URL without a
/// password. Everything that shows where a desk lives goes through this.
pub fn shown(path: &Path) -> String {
    match postgres_url(path) {
        Some(url) => redact_url(url),
        None => path.display().to_string(),
    }
}

#[cfg(test)]
mod reopen_tests {
    use super::*;

    /// The counting thread's connection reads the desk and writes nothing, even when the
    /// desk's own connection may write it.
    #[test]
    fn a_reopened_desk_reads_and_cannot_write() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("desk.db");
        let store = Store::open(&path, Mode::Create, DEFAULT_BUSY_TIMEOUT).expect("open");
        assert!(!store.read_only);
        let reader = store.reopen().open().expect("reopen");
        let c = reader.conn.sqlite().expect("sqlite");
        let tickets: i64 = c
            .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
            .expect("reads");
        assert_eq!(tickets, 0);
        assert!(c.execute_batch("CREATE TABLE x (a)").is_err(), "wrote");
        assert!(c.execute("DELETE FROM tickets", []).is_err(), "wrote");
    }
}

#[cfg(test)]
mod shown_tests {
    use super::*;

    #[test]
    fn no_password_is_ever_shown() {
        for (url, want) in [
            (
                "postgres://app:s3cret@db:5432/desk",
                "postgres://app@db:5432/desk",
            ),
            (
                "postgres://app:s3cret@db/desk?sslmode=require",
                "postgres://app@db/desk?sslmode=require",
            ),
            (
                "postgres://app@db/desk?password=s3cret",
                "postgres://app@db/desk",
            ),
            (
                "postgresql://db/desk?sslmode=require&Password=s3cret&x=1",
                "postgresql://db/desk?sslmode=require&x=1",
            ),
            (
                "postgres://db/desk?sslpassword=s3cret",
                "postgres://db/desk",
            ),
            (
                "postgres://a:b:s3cret@h1,h2/desk",
                "postgres://a@h1,h2/desk",
            ),
        ] {
            assert_eq!(redact_url(url), want);
            assert_eq!(shown(Path::new(url)), want);
            assert!(!shown(Path::new(url)).contains("s3cret"));
        }
        assert_eq!(shown(Path::new("/srv/desk/desk.db")), "/srv/desk/desk.db");
    }
}

/// How long opening a desk waits for a PostgreSQL server that is starting or stopping.
const PG_STARTUP_WAIT: Duration = Duration::from_secs(10);

/// The schema's application id and version on a PostgreSQL database, or None when it has
/// no desk schema yet; a database with tables of its own but no desk schema is not a desk.
fn pg_version(conn: &db::Connection) -> rusqlite::Result<Option<(i64, i64)>> {
    let has_schema: bool =
        conn.query_row("SELECT to_regclass('desk_schema') IS NOT NULL", [], |r| {
            r.get(0)
        })?;
    if has_schema {
        return conn.query_row(
            "SELECT application_id, max(version) FROM desk_schema GROUP BY application_id",
            [],
            |r| Ok(Some((r.get(0)?, r.get(1)?))),
        );
    }
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
        [],
        |r| r.get(0),
    )?;
    // Not a desk (and not empty): says so as a foreign database.
    Ok((tables > 0).then_some((0, 0)))
}

/// Refuses to make a desk in a database whose character classes are not a UTF-8 locale's:
/// under LC_CTYPE C or POSIX (or an encoding other than UTF-8) PostgreSQL's full text takes
/// Cyrillic for no letters at all, so every Russian or Ukrainian search would find nothing,
/// without a word. A database's LC_CTYPE is fixed when it is created, so init is the moment to
/// say so, before anything is written (README's CREATE DATABASE sets it).
fn pg_locale(conn: &db::Connection, shown: &Path) -> Result<()> {
    let (encoding, ctype): (String, String) = conn
        .query_row(
            "SELECT pg_encoding_to_char(encoding), datctype FROM pg_database
             WHERE datname = current_database()",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| Error::db(e, shown))?;
    if encoding == "UTF8" && !matches!(ctype.as_str(), "C" | "POSIX") {
        return Ok(());
    }
    Err(Error::Database(msg!(
        "error.db.locale",
        path = shown.display().to_string(),
        ctype = ctype,
        encoding = encoding
    )))
}

/// Refuses, in one line before anything is written, to build a desk's schema (`version`
/// None) or upgrade it (from `version`) as a role that may not: the program's role
/// (`desk_app`) owns nothing, and the server's own refusal would say only "permission denied".
fn pg_owner(conn: &db::Connection, shown: &Path, version: Option<i64>) -> Result<()> {
    let (user, may): (String, bool) = conn
        .query_row(
            "SELECT current_user::text,
                    CASE WHEN to_regclass('desk_schema') IS NULL
                         THEN has_schema_privilege(current_schema(), 'CREATE')
                         ELSE pg_has_role(current_user,
                             (SELECT relowner FROM pg_class WHERE oid = to_regclass('desk_schema')),
                             'USAGE')
                    END",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| Error::db(e, shown))?;
    if may {
        return Ok(());
    }
    let path = shown.display().to_string();
    let owner = pg_grants::OWNER_ROLE;
    Err(Error::Forbidden(match version {
        None => msg!(
            "error.db.init_not_owner",
            path = path,
            user = user,
            owner = owner
        ),
        Some(v) => msg!(
            "error.db.upgrade_not_owner",
            path = path,
            user = user,
            owner = owner,
            version = v,
            known = pg_schema::latest_version()
        ),
    }))
}

/// Runs the PostgreSQL migrations not yet run, each with its version row, in one transaction
/// under the write lock, then gives the program's role its rights (`pg_grants`).
fn migrate_postgres(conn: &db::Connection) -> rusqlite::Result<()> {
    // Unwatched (pg_watch): an upgrade's index over a big desk's rows may take minutes.
    conn.patient(|| migrate_postgres_now(conn))
}

fn migrate_postgres_now(conn: &db::Connection) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    // Another host may have migrated while this one waited for the lock.
    let now = pg_version(&tx)?.map_or(0, |v| v.1);
    for (version, sql) in pg_schema::ALL.iter().filter(|m| m.0 > now) {
        tx.execute_batch(sql)?;
        tx.execute("DELETE FROM desk_schema", [])?;
        tx.execute(
            "INSERT INTO desk_schema (application_id, version) VALUES (?1, ?2)",
            params![pg_schema::APPLICATION_ID, version],
        )?;
    }
    tx.execute_batch(&pg_grants::grants())?;
    tx.commit()
}

/// Whether `open` may create the database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The file must exist.
    Existing,
    /// Create the file (its directory must exist) if it is missing.
    Create,
}

/// A connection to a PostgreSQL desk, TLS as its URL asks (`sslmode`, `sslrootcert`:
/// pg_connect), and the URL as it may be shown (without its password).
pub(crate) fn connect_postgres(url: &str) -> Result<(db::Connection, PathBuf)> {
    let shown = PathBuf::from(redact_url(url));
    // A server that is starting or stopping (a restart, a failover under way) is waited for,
    // a while: a desk started in that moment goes on once it is back. A connection refused
    // (nothing listening) is said at once, unless the server was heard restarting or its
    // socket is there: a desk pointed at a server that is not running does not wait 10 s.
    let started = std::time::Instant::now();
    let mut restarting = false;
    let client = loop {
        match pg_connect::open(url) {
            Err(pg_connect::ConnectError::Server(e))
                if started.elapsed() < PG_STARTUP_WAIT
                    && (pg_connect::transient(&e)
                        || (pg_connect::refused(&e)
                            && (restarting || pg_connect::socket_present(url)))) =>
            {
                restarting |= pg_connect::transient(&e);
                std::thread::sleep(Duration::from_millis(200));
            }
            other => break other,
        }
    };
    // A URL that cannot be used is the user's to correct (exit 2), not an outage.
    let client = client.map_err(|e| match e {
        pg_connect::ConnectError::Server(e)
            if e.as_db_error().is_none()
                && std::error::Error::source(&e)
                    .is_some_and(|s| s.to_string() == "password missing") =>
        {
            Error::Invalid(msg!(
                "error.db.no_password",
                path = shown.display().to_string()
            ))
        }
        pg_connect::ConnectError::Server(e) => Error::db(
            rusqlite::Error::ToSqlConversionFailure(Box::new(db::PgFailure(e))),
            &shown,
        ),
        pg_connect::ConnectError::NoAnswer(d) => Error::Database(msg!(
            "error.db.no_answer",
            path = shown.display().to_string(),
            seconds = d.as_secs()
        )),
        other => Error::Invalid(msg!(
            "error.db.url",
            path = shown.display().to_string(),
            // "… is not a usable database URL: sslmode …", not "…: the database URL: …".
            detail = match other {
                pg_connect::ConnectError::Url(why) => why,
                other => other.to_string(),
            }
        )),
    })?;
    Ok((
        db::Connection::postgres_at(client, Some(url.to_string())),
        shown,
    ))
}

/// Refuses, before SQLite touches anything, what is not a desk to open: a directory one may
/// not enter, a desk that is not there (unless it is to be made), a directory, and on the
/// shared desk a -wal or -shm file missing (made by root's sqlite3, not by desk).
fn openable(path: &Path, mode: Mode, options: Options) -> Result<()> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(Error::Database(msg!(
                "error.db.closed_directory",
                path = path.display().to_string()
            )));
        }
        Err(_) if mode == Mode::Existing => {
            return Err(Error::Database(msg!(
                "error.db.missing",
                path = path.display().to_string()
            )));
        }
        _ => {}
    }
    if path.is_dir() {
        return Err(Error::Database(msg!(
            "error.db.directory",
            path = path.display().to_string()
        )));
    }
    if options.shared && mode == Mode::Existing {
        // Made by `desk init --shared` and kept by every desk; missing only when someone
        // opened the file outside desk (root's sqlite3). Were desk to make them now, they
        // would belong to whoever happened to run it.
        for suffix in ["-wal", "-shm"] {
            let mut f = path.as_os_str().to_owned();
            f.push(suffix);
            if std::fs::symlink_metadata(PathBuf::from(&f)).is_err() {
                return Err(Error::Database(msg!(
                    "error.db.wal_missing",
                    path = PathBuf::from(f).display().to_string()
                )));
            }
        }
    }
    Ok(())
}

impl Store {
    /// A store over an open connection, nobody signed in yet, every query read as it
    /// normally is (not the plain plan tests compare with).
    fn over(conn: db::Connection, path: PathBuf, read_only: bool, options: Options) -> Store {
        Store {
            conn,
            path,
            read_only,
            options,
            signed_in: None,
            plain_starts: false,
            open_hits: query::OpenHits::default(),
            plain_open_text: false,
            history_read: std::cell::Cell::new(0),
        }
    }

    /// Opens (or creates) a desk database, applies pending migrations, refuses a database
    /// written by a newer desk or a file that is not a desk database.
    pub fn open(path: &Path, mode: Mode, busy_timeout: Duration) -> Result<Store> {
        Store::open_with(path, mode, busy_timeout, Options::default())
    }

    /// `open`, with the shared desk's precautions when `options.shared`.
    pub fn open_with(
        path: &Path,
        mode: Mode,
        busy_timeout: Duration,
        options: Options,
    ) -> Result<Store> {
        if let Some(url) = postgres_url(path) {
            let store = Store::open_postgres(url, mode)?;
            store.set_busy_timeout(busy_timeout)?;
            return Ok(store);
        }
        openable(path, mode, options)?;
        if mode == Mode::Create {
            create_private(path)?;
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if mode == Mode::Create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        if options.shared {
            flags |= OpenFlags::SQLITE_OPEN_NOFOLLOW;
        }
        let db = |e| Error::db(e, path);
        let (conn, read_only) = match open_desk_file(path, flags) {
            Ok(c) => (c, false),
            // Not writable for this user: open it for reading, so look-ups still work and
            // every write says why it cannot be done. (Never the shared desk: its readers are
            // viewers, a role, not a file mode.)
            Err(e)
                if mode == Mode::Existing
                    && !options.shared
                    && path.exists()
                    && is_permission(&e) =>
            {
                let ro = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                (open_read_only(path, ro).map_err(db)?, true)
            }
            Err(e) => return Err(db(e)),
        };
        set_busy(&conn, busy_timeout).map_err(db)?;
        conn.set_prepared_statement_cache_capacity(64);
        // SQLite opens a file it may not write read-only without saying so: ask it.
        let read_only = read_only
            || conn
                .is_readonly(rusqlite::MAIN_DB)
                .map_err(|e| Error::db(e, path))?;
        // Temporary tables, sorts and statement journals stay in memory: no file in /var/tmp
        // for each change (and none anywhere for the shared desk). The -wal and -shm files
        // are kept from the first moment (see `keep_wal`).
        conn.execute_batch("PRAGMA temp_store = MEMORY")
            .map_err(db)?;
        persist_wal(&conn).map_err(db)?;
        let mut store = Store::over(conn.into(), path.to_path_buf(), read_only, options);
        match store.prepare(mode) {
            // The file opened but cannot be written (its journal, its WAL): read-only.
            Err(Error::Database(m))
                if !store.read_only
                    && !options.shared
                    && m.key == "error.db.read_only"
                    && mode == Mode::Existing =>
            {
                let ro = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = open_read_only(path, ro).map_err(|e| Error::db(e, path))?;
                set_busy(&conn, busy_timeout).map_err(|e| Error::db(e, path))?;
                store.conn = conn.into();
                store.read_only = true;
                store.prepare(mode)?;
            }
            r => r?,
        }
        Ok(store)
    }

    /// Opens a desk on PostgreSQL (`--db postgres://…`, `[database] url`): connects, makes
    /// the schema in an empty database when `mode` allows (`desk init`), brings an older one
    /// up to date, and refuses one written by a newer desk or a database that is not a desk.
    /// Migrations run under the desk's write lock, so two hosts starting at once migrate once.
    pub fn open_postgres(url: &str, mode: Mode) -> Result<Store> {
        let (conn, shown) = connect_postgres(url)?;
        let db = |e| Error::db(e, &shown);
        let version = pg_version(&conn).map_err(db)?;
        match version {
            Some((app, _)) if app != pg_schema::APPLICATION_ID => {
                return Err(Error::Database(msg!(
                    "error.db.foreign_server",
                    path = shown.display().to_string()
                )));
            }
            Some((_, v)) if v > pg_schema::latest_version() => {
                return Err(Error::Database(msg!(
                    "error.db.newer",
                    path = shown.display().to_string(),
                    version = v,
                    known = pg_schema::latest_version()
                )));
            }
            None if mode == Mode::Existing => {
                return Err(Error::Database(msg!(
                    "error.db.missing",
                    path = shown.display().to_string()
                )));
            }
            Some((_, v)) if v == pg_schema::latest_version() => {}
            None => {
                pg_locale(&conn, &shown)?;
                pg_owner(&conn, &shown, None)?;
                migrate_postgres(&conn).map_err(db)?
            }
            Some((_, v)) => {
                pg_owner(&conn, &shown, Some(v))?;
                migrate_postgres(&conn).map_err(db)?
            }
        }
        Ok(Store::over(conn, shown, false, Options::default()))
    }

    /// The URL the running program is to use for this PostgreSQL desk opened on `url`, for
    /// its configuration: without a password, and as the program's role (`desk_app`) when
    /// this connection is the schema's owner and that role exists; as given otherwise (a
    /// login role of the program's own, or a single-role installation).
    pub fn program_url(&self, url: &str) -> Result<String> {
        let owner_with_app: bool = self
            .conn
            .query_row(
                "SELECT has_schema_privilege(current_schema(), 'CREATE')
                        AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?1)
                        AND current_user <> ?1",
                params![pg_grants::APP_ROLE],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        Ok(if owner_with_app {
            pg_connect::as_user(url, pg_grants::APP_ROLE)
        } else {
            redact_url(url)
        })
    }

    /// Opens the desk's report replica (`[database] report_url`: a PostgreSQL standby that
    /// streams the primary's changes) to read from, never to write: it must hold a desk of
    /// this very schema (a standby cannot be migrated; it follows its primary's).
    pub fn open_report(url: &str) -> Result<Store> {
        let (conn, shown) = connect_postgres(url)?;
        let path = shown.display().to_string();
        match pg_version(&conn).map_err(|e| Error::db(e, &shown))? {
            Some((app, v)) if app == pg_schema::APPLICATION_ID => {
                if v != pg_schema::latest_version() {
                    return Err(Error::Database(msg!(
                        "error.db.report_version",
                        path = path,
                        version = v,
                        known = pg_schema::latest_version()
                    )));
                }
            }
            Some(_) => return Err(Error::Database(msg!("error.db.foreign", path = path))),
            None => return Err(Error::Database(msg!("error.db.missing", path = path))),
        }
        Ok(Store::over(conn, shown, true, Options::default()))
    }

    /// How to open another connection to this desk, to read from on another thread (an
    /// SQLite connection is one thread's; the terminal desk counts a queue on one of its own
    /// while it draws): plain values that cross to that thread, which opens it
    /// ([`Reopen::open`]).
    pub fn reopen(&self) -> Reopen {
        Reopen {
            path: self.path.clone(),
            url: self.conn.postgres_url().map(str::to_string),
            options: self.options,
        }
    }

    /// Stops what this store is reading, from another thread (SQLite: the statement running
    /// fails as interrupted; None on PostgreSQL, where it runs to its end).
    pub fn interrupt_handle(&self) -> Option<rusqlite::InterruptHandle> {
        self.conn.interrupt_handle()
    }

    /// Whether this desk is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.conn.is_postgres()
    }

    /// How this desk was opened.
    pub fn options(&self) -> Options {
        self.options
    }

    /// Whether this desk could only be opened for reading.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn prepare(&mut self, mode: Mode) -> Result<()> {
        let path = self.path.clone();
        let db = |e| Error::db(e, &path);
        let (app_id, version, tables): (i64, i64, i64) = self
            .conn
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id),
                        (SELECT user_version FROM pragma_user_version),
                        (SELECT count(*) FROM sqlite_master)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(db)?;
        let fresh = app_id == 0 && version == 0 && tables == 0;
        if !fresh && app_id != schema::APPLICATION_ID {
            return Err(Error::Database(msg!(
                "error.db.foreign",
                path = self.path.display().to_string()
            )));
        }
        if version > schema::latest_version() {
            return Err(Error::Database(msg!(
                "error.db.newer",
                path = self.path.display().to_string(),
                version = version,
                known = schema::latest_version()
            )));
        }
        if fresh && mode == Mode::Existing {
            return Err(Error::Database(msg!(
                "error.db.empty_file",
                path = self.path.display().to_string()
            )));
        }
        if self.read_only {
            if version < schema::latest_version() {
                return Err(Error::Database(msg!(
                    "error.db.upgrade_read_only",
                    path = self.path.display().to_string()
                )));
            }
            return Ok(());
        }
        // WAL persists in the file; setting it again is a cheap no-op.
        let journal: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(db)?;
        if !journal.eq_ignore_ascii_case("wal") {
            return Err(Error::Database(msg!(
                "error.db.no_wal",
                path = self.path.display().to_string(),
                journal = journal
            )));
        }
        // Foreign keys are switched on after the migrations: a migration that rebuilds a
        // table (the documented way: copy, drop, rename) must run with them off, and proves
        // the references with `PRAGMA foreign_key_check` instead.
        self.conn
            .execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;")
            .map_err(db)?;
        // Before the migrations, so that an upgrade's log (an index built over a big desk: 46
        // MB on the 1M demo) is copied into the database as it grows past [`WAL_PAGES`], as
        // any other commit's is, instead of being read back by every process until the next
        // change.
        self.keep_wal().map_err(db)?;
        if version < schema::latest_version() {
            if fresh {
                self.conn
                    .execute_batch(&format!(
                        "PRAGMA application_id = {}",
                        schema::APPLICATION_ID
                    ))
                    .map_err(db)?;
            }
            let migrated = if fresh {
                schema::migrations().to_latest(self.conn.sqlite_mut().map_err(db)?)
            } else {
                upgrade(self.conn.sqlite_mut().map_err(db)?, version)
            };
            if let Err(e) = migrated {
                // Another desk may have migrated the same file a moment ago.
                let now: i64 = self
                    .conn
                    .query_row("PRAGMA user_version", [], |r| r.get(0))
                    .map_err(db)?;
                if now < schema::latest_version() {
                    return Err(match e {
                        rusqlite_migration::Error::RusqliteError { err, .. } => {
                            Error::db(err, &path)
                        }
                        other => Error::Database(msg!(
                            "error.db.upgrade",
                            path = path.display().to_string(),
                            detail = other.to_string()
                        )),
                    });
                }
            }
        }
        self.conn
            .execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(db)?;
        Ok(())
    }

    /// How the write-ahead log lives between processes. Each desk command is a process of its
    /// own: closing the last connection used to copy the log into the database and delete
    /// it, so every change paid for recreating the log (and syncing its directory), writing
    /// its pages a second time and two more syncs (issue 17). Now the `-wal` and `-shm`
    /// files are kept (`SQLITE_FCNTL_PERSIST_WAL`, which the shared desk needs anyway: they
    /// stay the ones `desk init --shared` made) and closing copies nothing
    /// (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`): a commit is one sync of the log. The log stays
    /// short, because the next process to open the desk alone reads it back: a commit that
    /// leaves [`WAL_PAGES`] pages or more in it copies them into the database and empties it
    /// (`wal_committed`), whatever wrote them (one change, an import, the demo, a restore).
    /// Durability is unchanged: a commit returns once its pages are synced in the log.
    fn keep_wal(&self) -> rusqlite::Result<()> {
        let conn = self.conn.sqlite()?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
        conn.execute_batch(&format!(
            "PRAGMA journal_size_limit = {}",
            WAL_PAGES as u64 * 4096
        ))?;
        conn.wal_hook(Some(wal_committed));
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> Error {
        Error::db(e, &self.path)
    }

    /// Ties an SQLite failure raised inside an operation to this database's file.
    pub(crate) fn map_db(&self, e: Error) -> Error {
        match e {
            Error::Sql(e) => Error::db(e, &self.path),
            other => other,
        }
    }

    /// Runs `f` in one write transaction (`BEGIN IMMEDIATE`; on PostgreSQL under the desk's
    /// write lock, `db::Connection::transaction`): all of it is written, or none of it.
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&db::Connection) -> Result<T>) -> Result<T> {
        let path = self.path.clone();
        let me = self.signed_in.clone();
        let tx = self.conn.transaction().map_err(|e| Error::db(e, &path))?;
        // The person acting is still who they were when they signed in (role, active).
        if let Some(me) = &me {
            agents::still_as_signed_in(&tx, me).map_err(|e| match e {
                Error::Sql(e) => Error::db(e, &path),
                other => other,
            })?;
        }
        let value = f(&tx).map_err(|e| match e {
            Error::Sql(e) => Error::db(e, &path),
            other => other,
        })?;
        tx.commit().map_err(|e| Error::db(e, &path))?;
        Ok(value)
    }

    /// Refuses an import larger than one transaction of the shared desk may be (see
    /// `limits::BATCH_ITEMS`): colleagues' changes wait while it runs. `key` says what it
    /// holds (requests, ratings). A desk of one's own takes any size.
    pub(crate) fn batch_fits(&self, key: &'static str, items: usize, bytes: usize) -> Result<()> {
        use crate::core::model::limits::{BATCH_BYTES, BATCH_ITEMS};
        if !self.options.shared || (items <= BATCH_ITEMS && bytes <= BATCH_BYTES) {
            return Ok(());
        }
        let size = |b: usize| crate::core::attach::human_size(b as u64);
        Err(Error::Invalid(crate::msg!(
            key,
            count = items,
            size = size(bytes),
            max = BATCH_ITEMS,
            max_size = size(BATCH_BYTES)
        )))
    }

    /// How long a write waits for another desk before giving up.
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<()> {
        match self.conn.sqlite() {
            Ok(conn) => set_busy(conn, timeout).map_err(|e| self.err(e)),
            // PostgreSQL: a writer waits for the desk's write lock (and any row lock) this
            // long, then gives up as a locked SQLite desk does (55P03: error.db.locked). Zero
            // waits not at all, as on SQLite (PostgreSQL's 0 would wait for ever).
            Err(_) => {
                self.conn
                    .execute_batch(&format!(
                        "SET lock_timeout = {}",
                        timeout.as_millis().clamp(1, i32::MAX as u128)
                    ))
                    .map_err(|e| self.err(e))?;
                // Waiting that long for the lock is not the server failing to answer.
                self.conn.set_lock_wait(timeout);
                Ok(())
            }
        }
    }

    /// Changes every committed write makes, from any connection: poll this to refresh views.
    /// On PostgreSQL, `LISTEN/NOTIFY` (`db::Connection::data_version`).
    pub fn data_version(&self) -> Result<i64> {
        self.conn.data_version().map_err(|e| self.err(e))
    }

    /// `PRAGMA integrity_check`: "ok" or the problems found.
    /// On PostgreSQL the server keeps its pages (checksums, WAL): "ok" once it answers.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        if self.conn.is_postgres() {
            let ok: String = self
                .conn
                .query_row("SELECT 'ok'", [], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            return Ok(vec![ok]);
        }
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// Whether the desk has any ticket at all (cheap on any size).
    pub fn has_tickets(&self) -> Result<bool> {
        self.conn
            .query_row("SELECT EXISTS (SELECT 1 FROM tickets)", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    pub fn ticket_count(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}
