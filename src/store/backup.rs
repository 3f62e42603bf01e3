//! `desk backup` and `desk restore`, through SQLite's online backup API: a backup is a
//! consistent copy taken while colleagues keep working; a restore replaces the desk's content
//! under SQLite's own locks (never by renaming files under running processes).
//!
//! Files the caller names are opened with the caller's rights (`privilege`), never the desk's
//! group: a backup is written into a new file the caller creates (readable by them only),
//! a restore source is read by the caller and copied into a private file beside the desk
//! before anything is checked, so what is checked is what is restored.
//!
//! A restore takes only a sound backup: a desk database of a schema this desk knows, whose
//! schema is exactly the one its version shipped with (no constraint, index or trigger
//! removed), whose history's hash chain holds, and whose tickets are all in statuses the
//! configuration in force declares.

use super::{Mode, Store, schema};
use crate::core::config::Config;
use crate::core::message::id;
use crate::core::model::Actor;
use crate::core::rights::{self, Action};
use crate::error::{Error, Result, io};
use crate::msg;
use crate::privilege;
use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a backup or restore copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub tickets: i64,
    pub bytes: u64,
    /// After a restore: the numbers given since the backup was taken, which stay given (the
    /// counters never go back).
    pub kept: Vec<super::numbers::Gap>,
}

/// Copies every page of `src` into `dst` in one step (one read transaction on the source, so
/// one consistent moment), waiting while another connection holds a lock.
fn copy_all(src: &Connection, dst: &mut Connection) -> rusqlite::Result<()> {
    use rusqlite::backup::StepResult;
    let b = Backup::new(src, dst)?;
    let started = std::time::Instant::now();
    loop {
        match b.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked => {
                if started.elapsed() > super::DEFAULT_BUSY_TIMEOUT {
                    return Err(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                        None,
                    ));
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {}
        }
    }
}

fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
}

/// A private file beside the desk's database, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn beside(db: &Path, what: &str) -> Scratch {
        let dir = db.parent().filter(|d| !d.as_os_str().is_empty());
        sweep(dir.unwrap_or(Path::new(".")));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(".desk-{what}-{}-{nanos}.tmp", std::process::id());
        Scratch(
            dir.map(|d| d.join(&name))
                .unwrap_or_else(|| PathBuf::from(name)),
        )
    }
}

/// Removes the private copies that backups and restores of processes no longer running left
/// beside the desk. A copy is removed when its process ends normally; one that was killed half
/// way (Ctrl-C, `kill -9`, a file-size limit) left a whole copy of the desk behind, in the
/// shared desk's directory where nobody but root could see it — repeated, that filled the disk.
fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        if let Some(pid) = name.to_str().and_then(scratch_pid)
            && !running(pid)
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The process that made a scratch file, from its name
/// (`.desk-backup-PID-NANOS.tmp`, then nothing or `-journal`, `-wal`, `-shm`).
fn scratch_pid(name: &str) -> Option<i32> {
    let rest = name.strip_prefix(".desk-")?;
    let rest = rest
        .strip_prefix("backup-")
        .or_else(|| rest.strip_prefix("restore-"))?;
    let (pid, tail) = rest.split_once('-')?;
    let (nanos, suffix) = tail.split_once(".tmp")?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(nanos) && ["", "-journal", "-wal", "-shm"].contains(&suffix))
        .then(|| pid.parse().ok())
        .flatten()
}

/// Whether process `pid` exists (whoever's it is: a colleague's backup still running keeps
/// its copy). Asked with signal 0, which /proc's `hidepid` does not hide.
fn running(pid: i32) -> bool {
    use nix::errno::Errno;
    pid > 0
        && !matches!(
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None),
            Err(Errno::ESRCH)
        )
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        for suffix in ["-journal", "-wal", "-shm"] {
            let mut p = self.0.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

/// The application id, schema version and integrity of a database: a desk database this desk
/// can use, whole. Returns its schema version.
fn sound(conn: &Connection, name: &str) -> Result<i64> {
    let db = |e: rusqlite::Error| Error::db(e, Path::new(name));
    let (app, version): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(db)?;
    if app != schema::APPLICATION_ID {
        return Err(Error::Invalid(msg!("error.backup.not_desk", file = name)));
    }
    if version > schema::latest_version() {
        return Err(Error::Database(msg!(
            "error.backup.newer",
            file = name,
            version = version
        )));
    }
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(db)?;
    if ok != "ok" {
        return Err(Error::Database(msg!(
            "error.backup.damaged",
            file = name,
            detail = crate::error::one_line(&ok)
        )));
    }
    Ok(version)
}

/// Every table, index, trigger and view of a database, as SQLite keeps their definitions.
fn schema_of(conn: &Connection) -> rusqlite::Result<Vec<(String, String, Option<String>)>> {
    let mut stmt = conn.prepare(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%'
         ORDER BY type, name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// The schema desk shipped at `version`: the migrations up to it, on an empty database.
fn shipped_schema(version: i64) -> Result<Vec<(String, String, Option<String>)>> {
    let mut conn = Connection::open_in_memory().map_err(Error::Sql)?;
    let v = usize::try_from(version).unwrap_or(0);
    schema::migrations().to_version(&mut conn, v).map_err(|e| {
        Error::Database(msg!(
            "error.backup.shipped_schema",
            version = v,
            detail = e.to_string()
        ))
    })?;
    schema_of(&conn).map_err(Error::Sql)
}

/// Refuses a backup whose schema is not exactly the one its version shipped with: a missing
/// UNIQUE constraint, index or trigger would let it break the desk's invariants once restored.
fn same_schema_as_shipped(conn: &Connection, version: i64, name: &str) -> Result<()> {
    let have = schema_of(conn).map_err(|e| Error::db(e, Path::new(name)))?;
    let want = shipped_schema(version)?;
    if have == want {
        return Ok(());
    }
    // Tables first: an altered table takes its indexes along.
    let rank = |kind: &str| {
        ["table", "trigger", "view", "index"]
            .iter()
            .position(|k| *k == kind)
    };
    let mut missing: Vec<_> = want.iter().filter(|w| !have.contains(w)).collect();
    missing.sort_by_key(|(kind, n, _)| (rank(kind), n.clone()));
    let mut extra: Vec<_> = have.iter().filter(|h| !want.contains(h)).collect();
    extra.sort_by_key(|(kind, n, _)| (rank(kind), n.clone()));
    let differs = missing
        .first()
        .map(|(kind, n, _)| {
            msg!(
                "error.backup.missing_part",
                kind = id("schema", kind),
                name = n
            )
        })
        .or_else(|| {
            extra.first().map(|(kind, n, _)| {
                msg!(
                    "error.backup.extra_part",
                    kind = id("schema", kind),
                    name = n
                )
            })
        })
        .unwrap_or_else(|| msg!("error.backup.differs"));
    Err(Error::Invalid(msg!(
        "error.backup.schema",
        file = name,
        version = version,
        differs = differs
    )))
}

impl Store {
    /// Writes a consistent copy of the desk to `target`: a new file, created with the caller's
    /// own rights and readable by them only (0600), never an existing one and never through a
    /// symbolic link. Supervisors, admins and the system service.
    pub fn backup(&self, actor: &Actor, target: &Path) -> Result<Copied> {
        rights::check(actor, Action::Backup, None)?;
        self.still_signed_in()?;
        // PostgreSQL's backups are pg_dump's: one consistent snapshot the server takes while
        // the desk works, restored by pg_restore (README). The desk program runs no other
        // program (DESIGN §6), so it says how instead.
        if self.conn.is_postgres() {
            return Err(Error::Forbidden(msg!("error.backup.on_postgres")));
        }
        let exists = privilege::as_caller(|| std::fs::symlink_metadata(target).is_ok());
        if exists {
            return Err(Error::Invalid(msg!(
                "error.backup.exists",
                file = target.display().to_string()
            )));
        }
        // Written under a temporary name and renamed once whole and verified: a failed backup
        // leaves nothing that looks like one.
        let mut partial = target.as_os_str().to_owned();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        privilege::as_caller(|| {
            if std::fs::symlink_metadata(&partial).is_ok_and(|m| m.is_file()) {
                let _ = std::fs::remove_file(&partial);
            }
        });
        let file = privilege::create_private(&partial).map_err(|e| {
            Error::Invalid(msg!(
                "error.file.create",
                file = partial.display().to_string(),
                why = io(&e)
            ))
        })?;
        let result = self.backup_into(file, &partial).and_then(|tickets| {
            privilege::rename_new_as_caller(&partial, target).map_err(|e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::Invalid(msg!(
                        "error.backup.exists",
                        file = target.display().to_string()
                    ))
                } else {
                    Error::Database(msg!(
                        "error.backup.move",
                        file = target.display().to_string(),
                        why = io(&e)
                    ))
                }
            })?;
            Ok(tickets)
        });
        match result {
            Ok(tickets) => Ok(Copied {
                tickets,
                bytes: privilege::as_caller(|| std::fs::metadata(target))
                    .map(|m| m.len())
                    .unwrap_or(0),
                kept: Vec::new(),
            }),
            Err(e) => {
                privilege::as_caller(|| {
                    let _ = std::fs::remove_file(&partial);
                });
                Err(e)
            }
        }
    }

    /// Fills `file` (the caller's new, empty `.partial` file) with a verified copy. A
    /// privileged run has SQLite write a private copy beside the desk and copies its bytes
    /// through the caller's file: SQLite never opens a path the caller named while the
    /// desk's group is held.
    fn backup_into(&self, mut file: std::fs::File, partial: &Path) -> Result<i64> {
        let write_copy = |path: &Path| -> Result<i64> {
            let db = |e| Error::db(e, path);
            let mut dst = Connection::open(path).map_err(db)?;
            copy_all(self.conn.sqlite().map_err(db)?, &mut dst).map_err(db)?;
            // A backup is a single self-contained file.
            let _: String = dst
                .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
                .map_err(db)?;
            sound(&dst, &path.display().to_string())?;
            count(&dst).map_err(db)
        };
        if !privilege::is_setid() {
            drop(file);
            return write_copy(partial);
        }
        let scratch = Scratch::beside(&self.path, "backup");
        let tickets = write_copy(&scratch.0)?;
        let mut copy = std::fs::File::open(&scratch.0)
            .map_err(|e| Error::Database(msg!("error.backup.read_back", why = io(&e))))?;
        std::io::copy(&mut copy, &mut file)
            .and_then(|_| file.sync_all())
            .map_err(|e| {
                Error::Database(msg!(
                    "error.file.write",
                    file = partial.display().to_string(),
                    why = io(&e)
                ))
            })?;
        Ok(tickets)
    }

    /// Replaces the desk's content with the backup in `source` (admins): read with the
    /// caller's rights into a private copy, checked (see the module's text), brought up to this
    /// desk's schema, then copied in through SQLite's backup API. A desk that has tickets is replaced only with `force`.
    pub fn restore(
        &mut self,
        actor: &Actor,
        cfg: &Config,
        source: &Path,
        force: bool,
    ) -> Result<Copied> {
        rights::check(actor, Action::Restore, None)?;
        self.still_signed_in()?;
        if self.conn.is_postgres() {
            return Err(Error::Forbidden(msg!("error.backup.restore_on_postgres")));
        }
        let name = source.display().to_string();
        let mut input = open_backup(source, &name)?;
        // How far, in its stages: the private copy, its upgrade, vetting it (its history's
        // chain walked), keeping the counters, copying it over the desk, reopening.
        let stage = |n: u64| super::progress::tell(super::progress::Work::Restore, n, 6);
        stage(0);
        let scratch = Scratch::beside(&self.path, "restore");
        private_copy(&mut input, &scratch.0, &name)?;
        stage(1);
        let db = |e| Error::db(e, &scratch.0);
        // The backup's own checks and counters are the store's (on the seam).
        let src = super::db::Connection::from(upgraded(&scratch.0, &name)?);
        stage(2);
        let tickets = count(src.sqlite().map_err(db)?).map_err(db)?;
        let have = self.ticket_count()?;
        if have > 0 && !force {
            return Err(Error::Invalid(msg!(
                "error.backup.would_replace",
                have = have,
                desk = self.path.display().to_string(),
                tickets = tickets,
                file = &name
            )));
        }
        vetted(&src, cfg, &name).map_err(|e| match e {
            Error::Sql(e) => db(e),
            e => e,
        })?;
        stage(3);
        // The counters never go back: numbers given since the backup was taken stay given,
        // recorded as skipped in the copy before it replaces the desk (in the same step).
        let before = super::numbers::counters(&self.conn).map_err(|e| self.err(e))?;
        let kept = keep_numbers(&src, &before, actor, &name).map_err(db)?;
        stage(4);
        let path = self.path.clone();
        copy_all(
            src.sqlite().map_err(db)?,
            self.conn.sqlite_mut().map_err(|e| Error::db(e, &path))?,
        )
        .map_err(|e| Error::db(e, &path))?;
        stage(5);
        drop(src);
        drop(scratch);
        // Backups are not in WAL mode; the reopened desk is (and migrated, were it needed).
        let reopened = Store::open_with(
            &path,
            Mode::Existing,
            super::DEFAULT_BUSY_TIMEOUT,
            self.options,
        )?;
        let signed_in = self.signed_in.take();
        *self = reopened;
        self.signed_in = signed_in;
        stage(6);
        Ok(Copied {
            tickets,
            bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
            kept,
        })
    }
}

/// The backup file `source` (shown as `name`), opened with the caller's rights: a file.
fn open_backup(source: &Path, name: &str) -> Result<std::fs::File> {
    let input = privilege::open_as_caller(source).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound(msg!("error.backup.no_file", file = name))
        } else {
            Error::Invalid(msg!("error.file.read", file = name, why = io(&e)))
        }
    })?;
    if input.metadata().is_ok_and(|m| !m.is_file()) {
        return Err(Error::Invalid(msg!("error.file.not_a_file", file = name)));
    }
    Ok(input)
}

/// The private copy at `copy` opened, refused unless it is a sound desk of a schema as
/// shipped, and brought up to this desk's schema.
fn upgraded(copy: &Path, name: &str) -> Result<Connection> {
    let db = |e| Error::db(e, copy);
    let mut src = Connection::open_with_flags(
        copy,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    let version = sound(&src, name)?;
    same_schema_as_shipped(&src, version, name)?;
    src.execute_batch("PRAGMA foreign_keys = OFF").map_err(db)?;
    schema::migrations().to_latest(&mut src).map_err(|e| {
        Error::Database(msg!(
            "error.db.upgrade",
            path = name,
            detail = e.to_string()
        ))
    })?;
    Ok(src)
}

/// The desk's counters (`before`) kept in the backup's copy: numbers given since the backup
/// was taken stay given, recorded as skipped; the copy then leaves WAL mode, to be copied.
fn keep_numbers(
    src: &super::db::Connection,
    before: &[super::numbers::Counter],
    actor: &Actor,
    name: &str,
) -> rusqlite::Result<Vec<super::numbers::Gap>> {
    let tx = src.transaction()?;
    let kept = super::numbers::keep_counters(
        &tx,
        before,
        super::numbers::Who::of(actor),
        &format!("restored from {name}"),
        chrono::Utc::now().timestamp(),
    )?;
    tx.commit()?;
    let _: String = src.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    Ok(kept)
}

/// The backup read with the caller's rights into a private copy at `to`, new (never an
/// existing file).
fn private_copy(input: &mut std::fs::File, to: &Path, name: &str) -> Result<()> {
    let mut copy = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(to)
        .map_err(|e| {
            Error::Database(msg!("error.backup.private_copy", file = name, why = io(&e)))
        })?;
    std::io::copy(input, &mut copy)
        .map_err(|e| Error::Database(msg!("error.backup.copy", file = name, why = io(&e))))?;
    Ok(())
}

/// Refuses a backup this desk cannot take: statuses its configuration does not declare, a
/// history whose chain is broken, people and groups that are not what its history recorded.
fn vetted(src: &super::db::Connection, cfg: &Config, name: &str) -> Result<()> {
    let undeclared = super::config::undeclared_statuses(src, cfg)?;
    if !undeclared.is_empty() {
        return Err(Error::Invalid(msg!(
            "error.backup.undeclared",
            file = name,
            statuses = undeclared.join(", ")
        )));
    }
    let chain = super::chain::verify(src, None)?;
    if let Some(b) = chain.first_break {
        return Err(Error::Invalid(match b.number {
            Some(number) => msg!(
                "error.backup.broken_of",
                file = name,
                event = b.event,
                number = number,
                what = b.what
            ),
            None => msg!(
                "error.backup.broken",
                file = name,
                event = b.event,
                what = b.what
            ),
        }));
    }
    // Its people and groups are what its history last recorded (a role given with sqlite3 in
    // a backup would otherwise come back with it).
    if let Some(v) = super::roster::check(src)?.into_iter().next() {
        return Err(Error::Invalid(msg!(
            "error.backup.people",
            file = name,
            what = v.message
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::scratch_pid;

    #[test]
    fn scratch_files_are_told_by_their_names() {
        assert_eq!(scratch_pid(".desk-backup-4242-123456.tmp"), Some(4242));
        assert_eq!(scratch_pid(".desk-restore-7-1.tmp-journal"), Some(7));
        assert_eq!(scratch_pid(".desk-backup-7-1.tmp-wal"), Some(7));
        for other in [
            "desk.db",
            "desk.db-wal",
            "desk.toml.bak",
            ".desk-backup-x-1.tmp",
            ".desk-backup-7-.tmp",
            ".desk-backup-7-1.tmp.old",
            ".desk-other-7-1.tmp",
            ".desk-backup-7-1",
        ] {
            assert_eq!(scratch_pid(other), None, "{other}");
        }
    }
}
