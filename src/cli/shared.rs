//! `desk init --shared DIR`: the shared desk, set up by root in one command (README "Many
//! people, one desk"; DESIGN §6). Operators never hold its files:
//!
//! - a system group of the desk's own (default `desk`) that no login user belongs to;
//! - the directory `DIR`, `root:GROUP 2770`, holding `desk.db` with its `-wal` and `-shm`
//!   (`root:GROUP 0660`, made here and kept by every connection) and `desk.toml`
//!   (`root:GROUP 0640`);
//! - the program, `PREFIX/bin/desk`, installed `root:GROUP 2755` (setgid), with its manual page
//!   and shell completions;
//! - the registry `SYSCONFDIR/desk/shared` (`root 0644`), naming the database and the group:
//!   the program keeps its group only for that database.
//!
//! Run again, it repairs owners and modes and installs the running program. With `--upgrade
//! OLD_DB` it moves a desk set up the old way (a group-writable directory whose members were
//! the operators) into the new layout, keeping every ticket.

use super::InitArgs;
use super::output::{path as shown, print};
use crate::core::config::Config;
use crate::error::{Error, Message, Result};
use crate::msg;
use crate::privilege::{self, Registry, trusted_path};
use crate::store::{DEFAULT_BUSY_TIMEOUT, Mode, Options, Store};
use nix::unistd::{Gid, Group, Uid};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

const DEFAULT_GROUP: &str = "desk";
const DEFAULT_PREFIX: &str = "/usr/local";
/// The files of a desk's directory, as the old and the new layout have them.
const DESK_FILES: [&str; 7] = [
    "desk.db",
    "desk.db-wal",
    "desk.db-shm",
    "desk.toml",
    "desk.toml.bak",
    "desk.toml.new",
    "desk.toml.cache",
];

fn io(what: &Path, e: std::io::Error) -> Error {
    Error::Database(msg!(
        "error.path.unreadable",
        path = shown(what),
        why = crate::error::io(&e)
    ))
}

fn errno(what: &Path, e: nix::Error) -> Error {
    io(what, std::io::Error::from(e))
}

/// Owner root, the given group, the given mode; never through a symbolic link.
fn own(path: &Path, gid: Gid, mode: u32) -> Result<()> {
    nix::unistd::fchownat(
        nix::fcntl::AT_FDCWD,
        path,
        Some(Uid::from_raw(0)),
        Some(gid),
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .map_err(|e| errno(path, e))?;
    // chown clears the set-id bits: the mode comes after.
    privilege::set_mode(path, mode).map_err(|e| io(path, e))
}

/// Writes a new file next to `path` and renames it over `path`: never half a file, never
/// through a link.
fn install_file(path: &Path, bytes: &[u8], gid: Gid, mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let tmp = dir.join(format!(
        ".{}.new",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&tmp)
        .map_err(|e| io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| io(&tmp, e))?;
    drop(f);
    own(&tmp, gid, mode)?;
    std::fs::rename(&tmp, path).map_err(|e| io(path, e))
}

fn valid_group_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// The desk's group: created as a system group when missing (a fresh gid); an existing one
/// must have no login user in it and must not be `not` (the old desk's group, whose members
/// were the operators).
fn ensure_group(name: &str, not: Option<Gid>) -> Result<Group> {
    if !valid_group_name(name) {
        return Err(Error::Invalid(msg!("shared.bad_group", group = name)));
    }
    let existing = Group::from_name(name).map_err(|e| {
        Error::Database(msg!(
            "shared.group_lookup",
            group = name,
            why = crate::error::io(&std::io::Error::from(e))
        ))
    })?;
    let group = match existing {
        Some(g) => g,
        None => {
            privilege::may_exec("groupadd")?;
            let out = std::process::Command::new("groupadd")
                .args(["--system", name])
                .env_clear()
                .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
                .output()
                .map_err(|e| {
                    Error::Database(msg!("shared.groupadd_run", why = crate::error::io(&e)))
                })?;
            if !out.status.success() {
                return Err(Error::Database(msg!(
                    "shared.groupadd_failed",
                    group = name,
                    detail = crate::error::one_line(&String::from_utf8_lossy(&out.stderr))
                )));
            }
            Group::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| Error::Database(msg!("shared.group_not_created", group = name)))?
        }
    };
    if Some(group.gid) == not {
        return Err(Error::Invalid(msg!("shared.old_group", group = name)));
    }
    let members = privilege::login_members(group.gid);
    if !members.is_empty() {
        return Err(Error::Invalid(msg!(
            "shared.group_members",
            group = name,
            members = members.join(", ")
        )));
    }
    Ok(group)
}

/// The desk's directory: `root:GROUP 2770`, below directories only root may change.
fn make_directory(dir: &Path, gid: Gid) -> Result<()> {
    let parent = dir.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(|e| io(parent, e))?;
    trusted_path(parent, true).map_err(|why| {
        Error::Invalid(msg!(
            "shared.parent_untrusted",
            dir = shown(parent),
            why = why
        ))
    })?;
    match std::fs::symlink_metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(Error::Invalid(msg!("shared.not_a_dir", dir = shown(dir))));
        }
        Ok(_) => {}
        Err(_) => std::fs::create_dir(dir).map_err(|e| io(dir, e))?,
    }
    own(dir, gid, 0o2770)
}

/// Whether the file system holding `path` honours set-id bits.
fn allows_setid(path: &Path) -> bool {
    nix::sys::statvfs::statvfs(path)
        .map(|s| !s.flags().contains(nix::sys::statvfs::FsFlags::ST_NOSUID))
        .unwrap_or(true)
}

/// Installs the running program as `PREFIX/bin/desk` (setgid to the desk's group), with its
/// manual page and shell completions.
fn install_program(prefix: &Path, gid: Gid) -> Result<PathBuf> {
    let bin = prefix.join("bin");
    std::fs::create_dir_all(&bin).map_err(|e| io(&bin, e))?;
    if !allows_setid(&bin) {
        return Err(Error::Invalid(msg!("shared.nosuid", dir = shown(&bin))));
    }
    let exe = std::fs::read("/proc/self/exe")
        .map_err(|e| Error::Database(msg!("shared.read_program", why = crate::error::io(&e))))?;
    let target = bin.join("desk");
    install_file(&target, &exe, gid, 0o2755)?;
    let root = Gid::from_raw(0);
    // The manual and the completions installed for everyone: in English.
    let mut cmd = super::help::command(crate::i18n::Catalog::english());
    let mut man = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut man)
        .map_err(|e| Error::Database(msg!("shared.manual", why = crate::error::io(&e))))?;
    install_file(&prefix.join("share/man/man1/desk.1"), &man, root, 0o644)?;
    use clap_complete::Shell;
    for (shell, place) in [
        (Shell::Bash, "share/bash-completion/completions/desk"),
        (Shell::Zsh, "share/zsh/site-functions/_desk"),
        (Shell::Fish, "share/fish/vendor_completions.d/desk.fish"),
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd, "desk", &mut out);
        install_file(&prefix.join(place), &out, root, 0o644)?;
    }
    Ok(target)
}

/// The registry: which database the set-id program serves, and its group.
fn write_registry(prefix: &Path, db: &Path, group: &str) -> Result<PathBuf> {
    let file = privilege::registry_path(prefix);
    let dir = file.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    install_file(
        &file,
        Registry::text(db, group)?.as_bytes(),
        Gid::from_raw(0),
        0o644,
    )?;
    Ok(file)
}

/// Creates the database (or opens the one there, bringing it up to date) with its `-wal` and
/// `-shm` files, kept from now on; root is its first admin. On PostgreSQL (`pg`: the schema
/// owner's URL) the database is that server's, and the desk's configuration, written once the
/// desk is there, names it by the program's role (`[database] url`, without a password).
fn make_database(
    db: &Path,
    pg: Option<&str>,
    gid: Gid,
    admin: Option<&str>,
) -> Result<(i64, bool, bool)> {
    let config = crate::session::config_beside(db);
    let missing = std::fs::symlink_metadata(&config).is_err();
    if missing && pg.is_none() {
        install_file(&config, crate::core::config::BUILTIN.as_bytes(), gid, 0o640)?;
    }
    let text = match missing {
        true if pg.is_some() => crate::core::config::BUILTIN.to_string(),
        _ => std::fs::read_to_string(&config).map_err(|e| io(&config, e))?,
    };
    let cfg = Config::from_toml(
        &text,
        &config.display().to_string(),
        &crate::time::SystemZones,
    )?;
    let mut store = Store::open_with(
        pg.map_or(db, Path::new),
        Mode::Create,
        DEFAULT_BUSY_TIMEOUT,
        Options { shared: true },
    )?;
    if let (Some(url), true) = (pg, missing) {
        let text = format!(
            "{text}\n[database]\nurl = {}\n",
            toml::Value::String(store.program_url(url)?)
        );
        install_file(&config, text.as_bytes(), gid, 0o640)?;
    }
    let now = crate::session::now();
    let fresh = store.bootstrap_admin("root", &crate::session::full_name("root"), now)?;
    if fresh {
        store.sync_groups(&cfg)?;
    }
    if let Some(login) = admin {
        if store.agent("root")?.is_none() {
            return Err(Error::Invalid(msg!("shared.root_not_agent")));
        }
        if nix::unistd::User::from_name(login).ok().flatten().is_none() {
            return Err(Error::Invalid(msg!("shared.no_user", login = login)));
        }
        if store.agent(login)?.is_none() {
            let root = store.sign_in("root")?;
            store.add_agent(
                &cfg,
                &root,
                &crate::store::NewAgent {
                    login: login.to_string(),
                    name: crate::session::full_name(login),
                    role: crate::core::model::Role::Admin,
                    groups: Vec::new(),
                    capacity: crate::store::agents::DEFAULT_CAPACITY,
                    mail: None,
                },
                now,
            )?;
        }
    }
    let tickets = store.ticket_count()?;
    let root_is_agent = store.agent("root")?.is_some();
    drop(store);
    Ok((tickets, fresh, root_is_agent))
}

/// Owners and modes of everything in the desk's directory (a desk on PostgreSQL has only its
/// configuration there).
fn own_files(dir: &Path, gid: Gid, on_postgres: bool) -> Result<()> {
    for (name, mode) in [
        ("desk.db", 0o660),
        ("desk.db-wal", 0o660),
        ("desk.db-shm", 0o660),
        ("desk.toml", 0o640),
        ("desk.toml.bak", 0o640),
    ] {
        let p = dir.join(name);
        if std::fs::symlink_metadata(&p).is_ok_and(|m| m.is_file()) {
            own(&p, gid, mode)?;
        }
    }
    for name in ["desk.db-wal", "desk.db-shm"] {
        if !on_postgres && !dir.join(name).is_file() {
            return Err(Error::Database(msg!(
                "shared.wal_not_made",
                path = shown(&dir.join(name))
            )));
        }
    }
    Ok(())
}

/// On PostgreSQL: a new desk there, or the one there already; never over an SQLite desk in
/// the directory (`desk migrate --to` moves one), never an upgrade of the old layout.
fn no_sqlite_under_postgres(args: &InitArgs, db: &Path, pg: Option<&str>) -> Result<()> {
    if pg.is_some() && (args.upgrade.is_some() || std::fs::symlink_metadata(db).is_ok()) {
        let dir = db.parent().unwrap_or(Path::new("/"));
        return Err(Error::Invalid(msg!(
            "shared.pg_over_sqlite",
            dir = shown(dir)
        )));
    }
    Ok(())
}

/// What root is to know of the host after setting the desk up: where the program's database
/// password goes (a desk on PostgreSQL whose url has none yet), whether /proc hides the
/// processes of others.
fn host_notes(db: &Path, on_postgres: bool, group: &Group) -> Result<Vec<Message>> {
    let mut notes = Vec::new();
    let g = &group.name;
    if on_postgres {
        let config = crate::session::config_beside(db);
        let text = std::fs::read_to_string(&config).map_err(|e| io(&config, e))?;
        let cfg = Config::from_toml(
            &text,
            &config.display().to_string(),
            &crate::time::SystemZones,
        )?;
        if let Some(url) = cfg
            .database_url
            .filter(|u| !crate::store::url_has_password(u))
        {
            notes.push(msg!(
                "shared.pg_password",
                config = shown(&config),
                url = url,
                group = g
            ));
        }
    }
    match privilege::proc_hides_processes() {
        (true, Some(gid)) if gid == group.gid.as_raw() => {}
        (true, _) => notes.push(msg!("shared.proc_group", group = g)),
        (false, _) => notes.push(msg!("shared.proc_open", group = g)),
    }
    Ok(notes)
}

pub fn init_shared(args: &InitArgs, dir: &Path, pg: Option<&str>) -> Result<()> {
    if !nix::unistd::getuid().is_root() || !nix::unistd::geteuid().is_root() {
        return Err(Error::Forbidden(msg!("shared.root_only")));
    }
    if !dir.is_absolute() {
        return Err(Error::Invalid(msg!(
            "error.path.relative",
            path = shown(dir)
        )));
    }
    let prefix = args
        .prefix
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PREFIX));
    if !prefix.is_absolute() {
        return Err(Error::Invalid(msg!(
            "shared.prefix_relative",
            path = shown(&prefix)
        )));
    }
    let group_name = args.group.as_deref().unwrap_or(DEFAULT_GROUP);
    // Root needs no group; the installed program run by root holds it, and runs groupadd.
    privilege::give_up_group();
    // Directories and files made here are readable by everyone unless set otherwise.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    let db = dir.join("desk.db");
    no_sqlite_under_postgres(args, &db, pg)?;
    // An old desk is closed before anything new exists, and opened again if this fails.
    let mut old = match &args.upgrade {
        Some(p) => Some(upgrade::OldDesk::close(p, dir)?),
        None => None,
    };
    let group = ensure_group(group_name, old.as_ref().map(|o| o.gid))?;
    make_directory(dir, group.gid)?;
    if let Some(o) = &old {
        if std::fs::symlink_metadata(&db).is_ok() {
            return Err(Error::Invalid(msg!("shared.holds_desk", dir = shown(dir))));
        }
        o.copy_into(&db, group.gid)?;
    }
    let (tickets, fresh, root_is_agent) = make_database(&db, pg, group.gid, args.admin.as_deref())?;
    own_files(dir, group.gid, pg.is_some())?;
    if let Some(o) = &old
        && o.tickets != tickets
    {
        return Err(Error::Database(msg!(
            "shared.ticket_count",
            old = o.tickets,
            new = tickets
        )));
    }
    let program = install_program(&prefix, group.gid)?;
    let registry = write_registry(&prefix, &db, &group.name)?;
    // What the program will check at every start, checked now.
    let reg = Registry::read(&registry)?;
    reg.check_directory()?;
    trusted_path(&program, false)
        .map_err(|why| Error::Invalid(msg!("shared.program_untrusted", why = why)))?;
    let mut notes = Vec::new();
    if let Some(o) = old.as_mut() {
        notes = o.finish(&prefix)?;
    }
    notes.extend(host_notes(&db, pg.is_some(), &group)?);
    let cat = super::catalog();
    let mut out = vec![Message::text(
        if fresh {
            "shared.ready_fresh"
        } else {
            "shared.ready"
        },
        vec![
            ("dir", shown(dir)),
            ("group", group.name.clone()),
            ("tickets", tickets.to_string()),
            ("program", shown(&program)),
            ("registry", shown(&registry)),
        ],
    )];
    out.extend(notes);
    out.push(Message::text(
        if root_is_agent {
            "shared.add_people_root"
        } else {
            "shared.add_people"
        },
        vec![("program", shown(&program))],
    ));
    print(
        &out.iter()
            .map(|m| cat.say(m))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    Ok(())
}

/// Moving a desk of the old layout (a group-writable directory whose members were the
/// operators) into the new one.
mod upgrade {
    use super::*;

    /// The old desk, closed to everyone but root while it is moved.
    pub struct OldDesk {
        pub db: PathBuf,
        /// Where its files are now (the old directory, or beside it when the new desk takes
        /// its place).
        pub dir: PathBuf,
        pub gid: Gid,
        pub tickets: i64,
        mode: u32,
        uid: u32,
        /// Where the old directory was (when it was moved aside).
        moved_from: Option<PathBuf>,
        done: bool,
    }

    /// Processes that have any of `files` open: "pid 123 (olena: desk)".
    fn holders(files: &[PathBuf]) -> Vec<String> {
        let ids: Vec<(u64, u64)> = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| (m.dev(), m.ino()))
            .collect();
        let mut out = Vec::new();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return out;
        };
        for p in procs.flatten() {
            let name = p.file_name();
            let Some(pid) = name
                .to_str()
                .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
            else {
                continue;
            };
            let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
                continue;
            };
            let open = fds.flatten().any(|fd| {
                std::fs::metadata(fd.path()).is_ok_and(|m| ids.contains(&(m.dev(), m.ino())))
            });
            if open {
                let comm = std::fs::read_to_string(p.path().join("comm")).unwrap_or_default();
                let uid = std::fs::metadata(p.path()).map(|m| m.uid()).unwrap_or(0);
                let who = nix::unistd::User::from_uid(Uid::from_raw(uid))
                    .ok()
                    .flatten()
                    .map(|u| u.name)
                    .unwrap_or_else(|| uid.to_string());
                out.push(format!("{pid} ({who}: {})", comm.trim()));
            }
        }
        out
    }

    fn is_desk_database(db: &Path) -> bool {
        let mut head = [0u8; 72];
        std::fs::File::open(db)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
            .is_ok()
            && head.starts_with(b"SQLite format 3\0")
            && i64::from(u32::from_be_bytes([head[68], head[69], head[70], head[71]]))
                == crate::store::schema::APPLICATION_ID
    }

    impl OldDesk {
        /// Closes the old desk's directory (root only, 0700) and makes sure nobody has it
        /// open; when the new desk goes where the old one was, the old directory is moved
        /// aside first.
        pub fn close(db: &Path, new_dir: &Path) -> Result<OldDesk> {
            let db = std::fs::canonicalize(db).map_err(|e| io(db, e))?;
            if !is_desk_database(&db) {
                return Err(Error::Invalid(msg!(
                    "error.backup.not_desk",
                    file = shown(&db)
                )));
            }
            let dir = db.parent().unwrap_or(Path::new("/")).to_path_buf();
            let m = std::fs::symlink_metadata(&dir).map_err(|e| io(&dir, e))?;
            let mut old = OldDesk {
                db: db.clone(),
                dir: dir.clone(),
                gid: Gid::from_raw(m.gid()),
                tickets: 0,
                mode: m.mode() & 0o7777,
                uid: m.uid(),
                moved_from: None,
                done: false,
            };
            own(&dir, Gid::from_raw(0), 0o700)?;
            let files: Vec<PathBuf> = DESK_FILES[..3].iter().map(|f| dir.join(f)).collect();
            let busy = holders(&files);
            if !busy.is_empty() {
                return Err(Error::Forbidden(msg!(
                    "shared.old_open",
                    processes = busy.join(", ")
                )));
            }
            let conn = rusqlite::Connection::open(&db).map_err(|e| Error::db(e, &db))?;
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .map_err(|e| Error::db(e, &db))?;
            let ok: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .map_err(|e| Error::db(e, &db))?;
            if ok != "ok" {
                return Err(Error::Database(msg!(
                    "shared.old_damaged",
                    file = shown(&db),
                    detail = crate::error::one_line(&ok)
                )));
            }
            old.tickets = conn
                .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
                .map_err(|e| Error::db(e, &db))?;
            drop(conn);
            if privilege::same_path(&dir, new_dir) {
                let mut aside = dir.as_os_str().to_owned();
                aside.push(".pre-upgrade");
                let aside = PathBuf::from(aside);
                if std::fs::symlink_metadata(&aside).is_ok() {
                    return Err(Error::Invalid(msg!(
                        "shared.aside_exists",
                        path = shown(&aside)
                    )));
                }
                std::fs::rename(&dir, &aside).map_err(|e| io(&dir, e))?;
                old.moved_from = Some(dir.clone());
                old.dir = aside.clone();
                old.db = aside.join("desk.db");
            }
            Ok(old)
        }

        /// Copies the database into a new file (a fresh inode: a hard link an operator made
        /// to the old one leads nowhere new) and the configuration beside it.
        pub fn copy_into(&self, db: &Path, gid: Gid) -> Result<()> {
            let conn = rusqlite::Connection::open(&self.db).map_err(|e| Error::db(e, &self.db))?;
            conn.execute("VACUUM INTO ?1", [db.to_string_lossy()])
                .map_err(|e| Error::db(e, db))?;
            drop(conn);
            let config = self.dir.join("desk.toml");
            let text = match std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(nix::libc::O_NOFOLLOW)
                .open(&config)
            {
                Ok(f) if f.metadata().is_ok_and(|m| m.is_file()) => {
                    let mut s = String::new();
                    std::io::Read::read_to_string(&mut std::io::BufReader::new(f), &mut s)
                        .map_err(|e| io(&config, e))?;
                    Config::from_toml(
                        &s,
                        &config.display().to_string(),
                        &crate::time::SystemZones,
                    )?;
                    s
                }
                Ok(_) => {
                    return Err(Error::Invalid(msg!(
                        "error.path.not_file",
                        path = shown(&config)
                    )));
                }
                Err(e) if e.raw_os_error() == Some(nix::libc::ELOOP) => {
                    return Err(Error::Invalid(msg!(
                        "shared.config_link",
                        path = shown(&config)
                    )));
                }
                Err(_) => crate::core::config::BUILTIN.to_string(),
            };
            install_file(
                &crate::session::config_beside(db),
                text.as_bytes(),
                gid,
                0o640,
            )
        }

        /// Removes the old desk's files, takes the `DESK_DB` line of the old README out of the
        /// shell profiles, and says what is left to do.
        pub fn finish(&mut self, prefix: &Path) -> Result<Vec<Message>> {
            let mut notes = vec![msg!(
                "shared.moved",
                tickets = self.tickets,
                from = shown(self.moved_from.as_deref().unwrap_or(&self.dir))
            )];
            for f in DESK_FILES {
                let _ = std::fs::remove_file(self.dir.join(f));
            }
            let left: Vec<String> = std::fs::read_dir(&self.dir)
                .map(|d| {
                    d.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            if left.is_empty() {
                let _ = std::fs::remove_dir(&self.dir);
            } else {
                notes.push(msg!(
                    "shared.left_over",
                    dir = shown(&self.dir),
                    files = crate::core::sanitize::clean_line(&left.join(", ")).into_owned()
                ));
            }
            let old_path = self.moved_from.as_ref().map(|d| d.join("desk.db"));
            let old_path = old_path.as_deref().unwrap_or(&self.db);
            notes.extend(remove_profile_lines(
                &privilege::sysconfdir(prefix).join("profile.d"),
                old_path,
            ));
            let old_group = Group::from_gid(self.gid)
                .ok()
                .flatten()
                .map(|g| g.name)
                .unwrap_or_else(|| self.gid.to_string());
            notes.push(msg!("shared.old_group_left", group = old_group));
            notes.push(msg!("shared.review_agents"));
            self.done = true;
            Ok(notes)
        }
    }

    impl Drop for OldDesk {
        /// A failed upgrade leaves the old desk as it was.
        fn drop(&mut self) {
            if self.done {
                return;
            }
            if let Some(from) = &self.moved_from {
                let _ = std::fs::remove_dir(from);
                if std::fs::rename(&self.dir, from).is_ok() {
                    self.dir = from.clone();
                }
            }
            let _ = nix::unistd::fchownat(
                nix::fcntl::AT_FDCWD,
                &self.dir,
                Some(Uid::from_raw(self.uid)),
                Some(self.gid),
                nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
            );
            let _ = privilege::set_mode(&self.dir, self.mode);
        }
    }

    /// Takes `export DESK_DB=OLD` (what the old README told admins to write) out of the shell
    /// profiles in `dir`; a profile left with nothing else is removed.
    pub fn remove_profile_lines(dir: &Path, old_db: &Path) -> Vec<Message> {
        let mut notes = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            return notes;
        };
        let old = old_db.to_string_lossy();
        for e in entries.flatten() {
            let path = e.path();
            if path.extension().is_none_or(|x| x != "sh")
                || !e.file_type().is_ok_and(|t| t.is_file())
            {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let names_old = |l: &str| {
                l.contains("DESK_DB=")
                    && l.split("DESK_DB=")
                        .nth(1)
                        .map(|v| v.trim().trim_matches(|c| c == '"' || c == '\''))
                        .is_some_and(|v| v == old)
            };
            if !text.lines().any(names_old) {
                continue;
            }
            let kept: Vec<&str> = text.lines().filter(|l| !names_old(l)).collect();
            let empty = kept
                .iter()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
            let done = if empty {
                std::fs::remove_file(&path).map(|_| "shared.profile_removed")
            } else {
                let mut body = kept.join("\n");
                body.push('\n');
                std::fs::write(&path, body).map(|_| "shared.profile_edited")
            };
            notes.push(match done {
                Ok(key) => Message::text(key, vec![("path", shown(&path))]),
                Err(e) => msg!(
                    "shared.profile_failed",
                    path = shown(&path),
                    why = crate::error::io(&e)
                ),
            });
        }
        notes
    }
}
