//! `desk backup` and `desk restore`, through SQLite's online backup API: a backup is a
//! consistent copy taken while colleagues keep working; a restore replaces the desk's content
//! under SQLite's own locks, after checking that the file is a sound desk database.

use super::{Mode, Store, schema};
use crate::error::{Error, Result};
use rusqlite::backup::Backup;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::time::Duration;

/// What a backup or restore copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub tickets: i64,
    pub bytes: u64,
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

/// Checks that `path` is a desk database this desk can use: the right application id, a
/// schema no newer than ours, and `PRAGMA integrity_check` ok.
pub fn verify(path: &Path) -> Result<i64> {
    let p = path.display();
    if !path.is_file() {
        return Err(Error::NotFound(format!("no backup file at {p}")));
    }
    let db = |e| Error::db(e, path);
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(db)?;
    let (app, version): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM pragma_user_version)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(db)?;
    if app != schema::APPLICATION_ID {
        return Err(Error::Invalid(format!("{p} is not a desk database")));
    }
    if version > schema::latest_version() {
        return Err(Error::Database(format!(
            "{p} was written by a newer desk (schema {version}); upgrade desk to restore it"
        )));
    }
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(db)?;
    if ok != "ok" {
        return Err(Error::Database(format!(
            "{p} is damaged ({ok}); it cannot be restored"
        )));
    }
    count(&conn).map_err(db)
}

impl Store {
    /// Writes a consistent copy of the desk to `target` (which must not exist yet).
    pub fn backup(&self, target: &Path) -> Result<Copied> {
        if target.exists() {
            return Err(Error::Invalid(format!(
                "{} already exists; choose a new file name (backups are never overwritten)",
                target.display()
            )));
        }
        // Written under a temporary name and renamed once whole and verified: a failed backup
        // leaves nothing that looks like one.
        let mut partial = target.as_os_str().to_owned();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        let _ = std::fs::remove_file(&partial);
        let result = (|| -> Result<i64> {
            let db = |e| Error::db(e, &partial);
            let mut dst = Connection::open(&partial).map_err(db)?;
            copy_all(&self.conn, &mut dst).map_err(db)?;
            // A backup is a single self-contained file.
            let _: String = dst
                .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
                .map_err(db)?;
            let tickets = count(&dst).map_err(db)?;
            drop(dst);
            verify(&partial)?;
            std::fs::rename(&partial, target).map_err(|e| {
                Error::Database(format!(
                    "cannot move the backup into {}: {e}",
                    target.display()
                ))
            })?;
            Ok(tickets)
        })();
        match result {
            Ok(tickets) => Ok(Copied {
                tickets,
                bytes: std::fs::metadata(target).map(|m| m.len()).unwrap_or(0),
            }),
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                Err(e)
            }
        }
    }

    /// Replaces the desk's content with the backup in `source` (verified first), then brings
    /// it up to this desk's schema.
    pub fn restore(&mut self, source: &Path) -> Result<Copied> {
        let tickets = verify(source)?;
        let src = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| Error::db(e, source))?;
        let path = self.path.clone();
        copy_all(&src, &mut self.conn).map_err(|e| Error::db(e, &path))?;
        drop(src);
        // The restored copy may be of an older schema, and backups are not in WAL mode.
        let path = self.path.clone();
        let reopened = Store::open(&path, Mode::Existing, super::DEFAULT_BUSY_TIMEOUT)?;
        *self = reopened;
        Ok(Copied {
            tickets,
            bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
        })
    }
}
