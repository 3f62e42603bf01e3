//! `desk config install`: the desk's configuration file (`desk.toml` beside the database) is
//! part of the desk, so it is replaced here, by admins, under the same rules as the database:
//! the new text must be valid and still declare every status tickets are in; it is written to
//! a new file (never through a symbolic link) and renamed over the old one, which is kept as
//! `desk.toml.bak` (a copy, written the same way).

use super::Store;
use crate::core::config::Config;
use crate::core::model::Actor;
use crate::core::rights::{self, Action};
use crate::error::{Error, Result, io};
use crate::msg;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Writes `bytes` into a new file at `path` (an existing one, or a link, is removed first:
/// unlinking never follows a link), synced to disk.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o640)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The current file's bytes, read without following a symbolic link (None: there is none).
fn read_current(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
        .open(path)
    {
        Ok(mut f) => {
            let mut b = Vec::new();
            f.read_to_end(&mut b)?;
            Ok(Some(b))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The statuses tickets are in that `cfg` does not declare, each with its count:
/// "parked (3 tickets)".
pub(crate) fn undeclared_statuses(
    conn: &crate::store::db::Connection,
    cfg: &Config,
) -> rusqlite::Result<Vec<String>> {
    let in_use = super::tickets::statuses_in_use(conn)?;
    Ok(cfg
        .lifecycle
        .undeclared(&in_use)
        .iter()
        .map(|(status, n)| format!("{status} ({n} tickets)"))
        .collect())
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

impl Store {
    /// Makes `text` (read by the caller from `origin`) the desk's configuration (admins):
    /// valid, still declaring every status tickets are in, unable to give a number twice or to
    /// give an issued one again (`numbering_fits`), installed atomically. Returns the
    /// file it was installed as.
    pub fn install_config(&mut self, actor: &Actor, text: &str, origin: &str) -> Result<PathBuf> {
        rights::check(actor, Action::EditConfig, None)?;
        self.still_signed_in()?;
        let cfg = Config::from_toml(text, origin, &crate::time::SystemZones)?;
        let missing = undeclared_statuses(&self.conn, &cfg).map_err(|e| self.err(e))?;
        if !missing.is_empty() {
            return Err(Error::Invalid(msg!(
                "error.config_undeclares",
                origin = origin,
                statuses = missing.join(", ")
            )));
        }
        self.numbering_fits(&cfg, origin)?;
        let target = crate::session::config_beside(&self.path);
        let fail = |what: &Path, e: std::io::Error| {
            Error::Database(msg!(
                "error.config_install",
                file = what.display().to_string(),
                why = io(&e)
            ))
        };
        if let Some(old) = read_current(&target).map_err(|e| fail(&target, e))? {
            let bak = sibling(&target, ".bak");
            let bak_new = sibling(&target, ".bak.new");
            write_new(&bak_new, &old).map_err(|e| fail(&bak_new, e))?;
            std::fs::rename(&bak_new, &bak).map_err(|e| fail(&bak, e))?;
        }
        let new = sibling(&target, ".new");
        write_new(&new, text.as_bytes()).map_err(|e| fail(&new, e))?;
        std::fs::rename(&new, &target).map_err(|e| fail(&target, e))?;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
        }
        // Who installed what, in the history's chain.
        let now = chrono::Utc::now().timestamp();
        self.write(|tx| {
            Ok(super::roster::record_config(
                tx,
                actor,
                text.as_bytes(),
                now,
            )?)
        })?;
        Ok(target)
    }
}
