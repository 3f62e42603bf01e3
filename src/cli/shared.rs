//! `desk init --shared DIR`: one database for a team of Unix users.
//!
//! The directory belongs to a Unix group, is setgid and group-writable (2770), so the database
//! and the `-wal`/`-shm` files SQLite creates next to it stay writable for every member,
//! whoever created them first (SQLite gives them the database file's mode, and the setgid bit
//! gives them the directory's group).

use super::Cli;
use super::output::print;
use crate::error::{Error, Result};
use nix::sys::stat::{Mode, umask};
use nix::unistd::{Gid, Group, chown};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| Error::Database(format!("cannot set the mode of {}: {e}", path.display())))
}

fn set_group(path: &Path, gid: Gid, group: &str) -> Result<()> {
    chown(path, None, Some(gid)).map_err(|e| {
        Error::Database(format!(
            "cannot give {} to group {group}: {e} (you must be a member of {group}, or root)",
            path.display()
        ))
    })
}

pub fn init_shared(cli: &Cli, dir: &Path, group: Option<&str>) -> Result<()> {
    let group = match group {
        Some(name) => Group::from_name(name)
            .map_err(|e| Error::Invalid(format!("cannot look up group '{name}': {e}")))?
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "no Unix group '{name}': create it first (sudo groupadd {name})"
                ))
            })?,
        None => Group::from_gid(nix::unistd::getgid())
            .ok()
            .flatten()
            .ok_or_else(|| Error::Invalid("cannot find your primary group; give --group".into()))?,
    };
    // Files desk creates from here on are group-readable and -writable.
    umask(Mode::from_bits_truncate(0o007));
    std::fs::create_dir_all(dir).map_err(|e| {
        Error::Database(format!(
            "cannot create the directory {}: {e}",
            dir.display()
        ))
    })?;
    set_group(dir, group.gid, &group.name)?;
    set_mode(dir, 0o2770)?;
    let db = dir.join("desk.db");
    let created = crate::session::Session::create(&db, cli.config.as_deref())?;
    let (s, admin) = (created.session, created.became_admin);
    for file in [db.clone(), crate::session::config_beside(&db)] {
        if file.exists() {
            set_group(&file, group.gid, &group.name)?;
        }
    }
    set_mode(&db, 0o660)?;
    let config = crate::session::config_beside(&db);
    if config.exists() {
        set_mode(&config, 0o640)?;
    }
    let d = dir.display();
    let g = &group.name;
    print(&format!(
        "shared desk ready in {d} (group {g}, mode 2770){}\n\
         To let a colleague in:\n\
         \x20 sudo usermod -aG {g} LOGIN        # they log in again afterwards\n\
         \x20 desk --db {d}/desk.db agent add LOGIN --name \"Full Name\" --role operator --group FRONT\n\
         Everyone then works on it with:  export DESK_DB={d}/desk.db   (e.g. in /etc/profile.d/desk.sh)",
        if admin {
            format!("; you ({}) are its admin", s.login)
        } else {
            String::new()
        }
    ));
    Ok(())
}
