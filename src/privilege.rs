//! The OS side of the trust boundary (README "Many people, one desk"; DESIGN §6).
//!
//! The shared desk's files live in a directory only the desk's group can enter
//! (`root:GROUP 2770`). Operators are not in that group; they reach the desk through the `desk`
//! program, installed setgid to it (`root:GROUP 2755`), so every change goes through the rules.
//! This module decides, once and first thing, whether this process may keep that group:
//!
//! - at start, a set-id process sets its effective group back to the caller's (`early`); the
//!   desk's group stays only as the saved set-group-id, out of reach of everything that runs
//!   before the decision;
//! - `settle` keeps the group only for the shared desk named in the registry — a root-owned
//!   file beside the installed program (`PREFIX/bin/desk` reads `SYSCONFDIR/desk/shared`,
//!   SYSCONFDIR being `/etc` for the prefixes `/usr` and `/usr/local`, else `PREFIX/etc`),
//!   accepted only when it and every directory above it belong to root and nobody else can
//!   write them — when no other database (`--db`, `DESK_DB`) and no other configuration
//!   (`--config`, `DESK_CONFIG`) is asked for. Anything else drops the group for good
//!   (`setresgid(rgid, rgid, rgid)`) before any file is read.
//! - a privileged run keeps only a short list of environment variables, sets `umask(007)`,
//!   opens every file the caller names with the caller's rights (`as_caller`), never runs
//!   another program (`may_exec`), and stays non-dumpable as the kernel made it at exec (no
//!   `PR_SET_DUMPABLE`): that is what keeps `/proc/PID/fd`, ptrace and core dumps closed to
//!   the operator who started it.
//!
//! The kernel grants the set-id bit only when the file's owner and group are mapped in the
//! caller's user namespace, the mount allows it, no_new_privs is off and the process is not
//! traced (`fs/exec.c`, `bprm_fill_uid`): a user namespace or a debugger gains nothing.
//! Services (mail, the web page, timers) are given the group by systemd's
//! `SupplementaryGroups=` instead, and are then `Plain` processes that can open the desk.

use crate::error::{Error, Message, Result, io};
use crate::msg;
use nix::unistd::{Gid, Group, Uid, User};
use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

mod registry;
use registry::describe;
pub use registry::{Registry, registry_path, sysconfdir, this_prefix, trusted_path};

/// What this process is allowed, decided once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    /// The caller's own rights (not set-id, or the group dropped for good).
    Plain,
    /// Set-id for the registered shared desk: the effective group is the desk's, except
    /// around files the caller names.
    SetId { desk: Gid, caller: Gid },
}

/// The desk's group, when this process started set-id (effective ≠ real group).
static SETID_GROUP: OnceLock<Option<Gid>> = OnceLock::new();
static STANDING: OnceLock<Standing> = OnceLock::new();
/// The registry, as `settle` read it (None: none installed beside this program).
static REGISTRY: OnceLock<Option<Registry>> = OnceLock::new();

/// The very first thing in `main`: reads the arguments, then blanks them where other users of
/// the host read them (`/proc/PID/cmdline`, `ps`), so a subject, a requester's name and
/// contact or a note given on the command line is not shown to everyone on the host while
/// desk runs. Only the program's name stays. (Between `exec` and this moment the arguments
/// are still readable; README "Many people, one desk" says how `hidepid` closes that.)
pub fn take_arguments() -> Vec<OsString> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let Some((start, end)) = argument_area() else {
        return args;
    };
    let Some(name) = args.first() else {
        return args;
    };
    // What the kernel shows as the command line is this area: every argument, each ended by
    // a NUL. Blank it only when it is exactly that (nothing else rewrote it).
    let mut expected: Vec<u8> = Vec::new();
    for a in &args {
        expected.extend_from_slice(std::os::unix::ffi::OsStrExt::as_bytes(a.as_os_str()));
        expected.push(0);
    }
    if end.checked_sub(start) != Some(expected.len()) {
        return args;
    }
    // SAFETY: [start, end) is this process's argument area as the kernel reports it in
    // /proc/self/stat (arg_start, arg_end): the argument strings on the initial stack, mapped
    // and writable for the whole life of the process, which no Rust reference points into
    // (the standard library keeps raw pointers to them and reads them only in `args_os`,
    // which has been called above). Its length was checked against the arguments; the bytes
    // are compared before anything is written, and only the bytes after the program's name
    // and its NUL are set to NUL, which leaves every argument a valid, empty C string.
    unsafe {
        let area = std::slice::from_raw_parts_mut(start as *mut u8, expected.len());
        if area != expected.as_slice() {
            return args;
        }
        let keep = std::os::unix::ffi::OsStrExt::as_bytes(name.as_os_str()).len() + 1;
        area[keep..].fill(0);
    }
    args
}

/// `arg_start` and `arg_end` of this process (fields 48 and 49 of `/proc/self/stat`).
fn argument_area() -> Option<(usize, usize)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold anything.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts with field 3 (the state).
    let start: usize = fields.get(48 - 3)?.parse().ok()?;
    let end: usize = fields.get(49 - 3)?.parse().ok()?;
    (start != 0 && end > start).then_some((start, end))
}

/// First thing in `main`: a set-id process puts its effective group back to the caller's,
/// keeping the desk's group only as the saved set-group-id until `settle` decides.
pub fn early() {
    let (real, effective) = (nix::unistd::getgid(), nix::unistd::getegid());
    let setid = (effective != real).then_some(effective);
    let _ = SETID_GROUP.set(setid);
    if setid.is_some() && nix::unistd::setegid(real).is_err() {
        // Cannot happen (the real group is always allowed); if it did, drop everything.
        drop_for_good();
    }
}

/// Drops the desk's group for good: real, effective and saved group become the caller's.
fn drop_for_good() {
    let real = nix::unistd::getgid();
    if nix::unistd::setresgid(real, real, real).is_err() {
        // Without dropping, nothing may run: say so and stop.
        let cat = crate::i18n::Catalog::for_lang(crate::session::env_language());
        eprintln!("desk: {}", cat.t("error.cannot_drop_group"));
        std::process::exit(5);
    }
}

/// Set once the group is dropped for good after `settle` (see `give_up_group`).
static GAVE_UP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// This process's standing (Plain until `settle` decided otherwise, and after `give_up_group`).
pub fn standing() -> Standing {
    if GAVE_UP.load(std::sync::atomic::Ordering::SeqCst) {
        return Standing::Plain;
    }
    STANDING.get().cloned().unwrap_or(Standing::Plain)
}

/// Drops the desk's group for good, for work that needs none of it (root setting the desk up,
/// a program about to run another).
pub fn give_up_group() {
    if is_setid() {
        drop_for_good();
        GAVE_UP.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Whether this process holds the desk's group through the set-id bit.
pub fn is_setid() -> bool {
    matches!(standing(), Standing::SetId { .. })
}

/// The registry `settle` read, if a valid one is installed beside this program.
pub fn registry() -> Option<&'static Registry> {
    REGISTRY.get().and_then(Option::as_ref)
}

/// What `settle` was asked for.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `--db` or `DESK_DB`.
    pub db: Option<&'a Path>,
    /// `--config` or `DESK_CONFIG`.
    pub config: Option<&'a Path>,
}

/// Decides, once, whether this process keeps the desk's group (see the module's text), and
/// reads the registry for everyone (it names the default database). A registry that cannot be
/// trusted is an error when it matters: for the set-id program, and whenever no `--db` names
/// another database.
pub fn settle(req: Request<'_>) -> Result<Standing> {
    let setid = SETID_GROUP.get().copied().flatten();
    let registry = Registry::beside_this_program();
    let wanted = match (&registry, setid) {
        (Ok(Some(r)), Some(desk)) => {
            r.gid == desk
                && req.db.is_none_or(|db| same_path(db, &r.database))
                && req.config.is_none_or(|c| same_path(c, &r.config()))
        }
        _ => false,
    };
    let standing = match (setid, &registry) {
        (Some(desk), Ok(Some(r))) if wanted => match r.check_directory() {
            Ok(()) => elevate(desk),
            Err(e) => {
                drop_for_good();
                let _ = STANDING.set(Standing::Plain);
                return Err(e);
            }
        },
        (Some(_), _) => {
            drop_for_good();
            Standing::Plain
        }
        (None, _) => Standing::Plain,
    };
    let _ = STANDING.set(standing.clone());
    match registry {
        Ok(r) => {
            let _ = REGISTRY.set(r);
        }
        Err(_) if req.db.is_none() && in_user_namespace() => {
            return Err(Error::Database(msg!("error.user_namespace")));
        }
        Err(e) if req.db.is_none() => return Err(e),
        Err(_) => {}
    }
    Ok(standing)
}

/// Whether this process runs in a user namespace other than the host's (where root's files
/// show as owned by the overflow user and set-id bits are not honoured).
pub fn in_user_namespace() -> bool {
    std::fs::read_to_string("/proc/self/uid_map").is_ok_and(|m| {
        let f: Vec<&str> = m.split_whitespace().collect();
        f != ["0", "0", "4294967295"]
    })
}

/// Takes the desk's group back for a privileged run, after cleaning what it inherits.
fn elevate(desk: Gid) -> Standing {
    let caller = nix::unistd::getgid();
    // Files this process creates in the desk's directory stay the group's, never others'.
    nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o007));
    keep_only_safe_environment();
    if nix::unistd::setegid(desk).is_err() {
        drop_for_good();
        return Standing::Plain;
    }
    Standing::SetId { desk, caller }
}

/// Two spellings of one path (`a//b`, `a/./b`), compared without touching the file system.
pub fn same_path(a: &Path, b: &Path) -> bool {
    let parts = |p: &Path| -> Vec<OsString> {
        p.components()
            .filter(|c| !matches!(c, Component::CurDir))
            .map(|c| c.as_os_str().to_owned())
            .collect()
    };
    parts(a) == parts(b)
}

/// Runs `f` with the caller's own rights: for every file the caller names (imports,
/// configuration files to check or install, backup targets, restore sources, attachments,
/// Maildirs), so naming the desk's own files gets nothing the caller could not open anyway.
pub fn as_caller<T>(f: impl FnOnce() -> T) -> T {
    match standing() {
        Standing::Plain => f(),
        Standing::SetId { desk, caller } => {
            if nix::unistd::setegid(caller).is_err() {
                drop_for_good();
            }
            let r = f();
            if nix::unistd::setegid(desk).is_err() {
                // Losing the group only makes later database access fail; never worse.
                drop_for_good();
            }
            r
        }
    }
}

/// Refuses to run another program while holding the desk's group (an editor or sendmail
/// would inherit it). Services, which hold the group by their own account, may.
pub fn may_exec(what: &str) -> Result<()> {
    if is_setid() {
        return Err(Error::Forbidden(msg!("error.no_exec", program = what)));
    }
    Ok(())
}

/// Environment variables a privileged run keeps: the terminal, the language, and bounded
/// numbers. Everything else (HOME, PATH, TZ, TMPDIR, SQLITE_TMPDIR, DESK_TIMINGS, USER…) goes:
/// the time zone comes from the desk's configuration, temporary tables stay in memory.
const KEPT: &[&str] = &["TERM", "NO_COLOR", "LANG", "LANGUAGE"];
const KEPT_NUMERIC: &[(&str, u64)] = &[
    ("COLUMNS", 10_000),
    ("LINES", 10_000),
    ("DESK_BUSY_TIMEOUT_MS", crate::session::MAX_BUSY_TIMEOUT_MS),
];

/// Whether a privileged run keeps this variable with this value.
fn keeps(name: &str, value: &str) -> bool {
    if KEPT.contains(&name) || name.starts_with("LC_") {
        return value.len() <= 256 && !value.chars().any(char::is_control);
    }
    KEPT_NUMERIC
        .iter()
        .any(|(n, max)| *n == name && value.parse::<u64>().is_ok_and(|v| v <= *max))
}

fn keep_only_safe_environment() {
    let drop: Vec<OsString> = std::env::vars_os()
        .filter(|(k, v)| match (k.to_str(), v.to_str()) {
            (Some(k), Some(v)) => !keeps(k, v),
            _ => true,
        })
        .map(|(k, _)| k)
        .collect();
    for k in drop {
        // SAFETY: called from `settle`, which runs in `main` before any thread is started
        // (desk starts none before it), so nothing reads the environment concurrently.
        unsafe { std::env::remove_var(k) };
    }
}

/// The invoking user's login: the real user id's entry in the password database. Never
/// `$USER`, which anyone can set. Only an unprivileged run on a uid without an entry (a bare
/// container) falls back to `uid<N>`.
pub fn caller_login() -> Result<String> {
    let uid = nix::unistd::getuid();
    match User::from_uid(uid) {
        Ok(Some(u)) => Ok(u.name),
        _ if is_setid() => Err(Error::Forbidden(msg!(
            "error.no_passwd",
            uid = uid.as_raw()
        ))),
        _ => Ok(format!("uid{uid}")),
    }
}

// ---- who holds the lock ------------------------------------------------------------------

/// A process holding the database's write lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub login: String,
    /// The process is stopped (SIGSTOP, or Ctrl-Z of a shell job).
    pub stopped: bool,
}

/// The process holding the write lock of the WAL database `db`, read from `/proc/locks`:
/// SQLite's write lock is a POSIX lock on byte 120 of the `-shm` file.
pub fn lock_holder(db: &Path) -> Option<Holder> {
    let mut shm = db.as_os_str().to_owned();
    shm.push("-shm");
    let m = std::fs::metadata(PathBuf::from(shm)).ok()?;
    let (major, minor) = (
        nix::sys::stat::major(m.dev()),
        nix::sys::stat::minor(m.dev()),
    );
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let pid = locks.lines().find_map(|line| {
        // "1: POSIX  ADVISORY  WRITE 12345 fd:01:123456 120 120"
        let f: Vec<&str> = line.split_whitespace().collect();
        let (kind, access, pid, file, start) =
            (f.get(1)?, f.get(3)?, f.get(4)?, f.get(5)?, f.get(6)?);
        let mut dev = file.split(':');
        let maj = u64::from_str_radix(dev.next()?, 16).ok()?;
        let min = u64::from_str_radix(dev.next()?, 16).ok()?;
        let ino: u64 = dev.next()?.parse().ok()?;
        let start: u64 = start.parse().ok()?;
        (matches!(*kind, "POSIX" | "OFDLCK")
            && *access == "WRITE"
            && maj == major
            && min == minor
            && ino == m.ino()
            && start <= 120
            && f.get(7)
                .and_then(|e| {
                    if *e == "EOF" {
                        Some(u64::MAX)
                    } else {
                        e.parse().ok()
                    }
                })
                .is_some_and(|end| end >= 120))
        .then(|| pid.parse::<u32>().ok())
        .flatten()
    })?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    let uid: Option<u32> = field("Uid:")
        .split_whitespace()
        .next()
        .and_then(|u| u.parse().ok());
    let login = uid
        .and_then(|u| User::from_uid(Uid::from_raw(u)).ok().flatten())
        .map(|u| u.name)
        .or_else(|| uid.map(|u| format!("uid {u}")))
        .unwrap_or_else(|| "an unknown user".into());
    Some(Holder {
        pid,
        login,
        stopped: field("State:").starts_with('T'),
    })
}

// ---- other users' processes ----------------------------------------------------------------

/// Whether `/proc` hides each user's processes from the others (`hidepid`), so nobody reads
/// another's command line — the only way to close the moment between `exec` and
/// `take_arguments`. `gid` is then the group allowed to see every process: the desk's, so the
/// set-id program can still name who holds a lock.
pub fn proc_hides_processes() -> (bool, Option<u32>) {
    std::fs::read_to_string("/proc/mounts")
        .map(|m| hidepid_of(&m))
        .unwrap_or((false, None))
}

/// `hidepid` and `gid` of the `/proc` mount in a `/proc/mounts` text.
fn hidepid_of(mounts: &str) -> (bool, Option<u32>) {
    let Some(options) = mounts.lines().rev().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(1) == Some(&"/proc") && f.get(2) == Some(&"proc")).then(|| f.get(3).copied())?
    }) else {
        return (false, None);
    };
    let value = |name: &str| {
        options
            .split(',')
            .find_map(|o| o.strip_prefix(name)?.strip_prefix('='))
    };
    let hides = value("hidepid").is_some_and(|v| !matches!(v, "0" | "off"));
    (hides, value("gid").and_then(|g| g.parse().ok()))
}

// ---- the store group's members -------------------------------------------------------------

/// Login users (a shell that is not nologin or false) who are members of `gid`, explicitly or
/// as their primary group: each could open the desk's files directly.
pub fn login_members(gid: Gid) -> Vec<String> {
    let mut names: Vec<String> = Group::from_gid(gid)
        .ok()
        .flatten()
        .map(|g| g.mem)
        .unwrap_or_default();
    if let Ok(passwd) = std::fs::read_to_string("/etc/passwd") {
        for line in passwd.lines() {
            let f: Vec<&str> = line.split(':').collect();
            if f.len() >= 7 && f[3].parse::<u32>().ok() == Some(gid.as_raw()) {
                names.push(f[0].to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| {
            User::from_name(n).ok().flatten().is_some_and(|u| {
                let shell = u.shell.to_string_lossy();
                let base = shell.rsplit('/').next().unwrap_or("");
                !base.is_empty()
                    && !matches!(base, "nologin" | "false" | "sync" | "halt" | "shutdown")
            })
        })
        .collect()
}

/// What `desk check` finds wrong with the shared desk's side of the operating system: login
/// users in the desk's group, a directory or file no longer as `desk init --shared` made it
/// (a desk on PostgreSQL has no database file there, only its configuration).
pub fn shared_desk_problems(reg: &Registry, on_postgres: bool) -> Vec<Message> {
    let mut out = Vec::new();
    let members = login_members(reg.gid);
    if !members.is_empty() {
        out.push(msg!(
            "check.shared_members",
            group = &reg.group,
            members = members.join(", ")
        ));
    }
    if let Err(e) = reg.check_directory() {
        out.push(e.said());
    }
    let dir = reg.database.parent().unwrap_or(Path::new("/"));
    for name in ["desk.db", "desk.db-wal", "desk.db-shm", "desk.toml"] {
        if on_postgres && name != "desk.toml" {
            continue;
        }
        let p = dir.join(name);
        // The configuration is written by the admin who installs it; the database files are
        // root's, made once by `desk init --shared`.
        let owner_ok = |m: &std::fs::Metadata| name == "desk.toml" || m.uid() == 0;
        match std::fs::symlink_metadata(&p) {
            Err(_) if name == "desk.toml" => {}
            Err(_) => out.push(msg!(
                "check.shared_file_missing",
                path = p.display().to_string()
            )),
            Ok(m)
                if !m.is_file()
                    || !owner_ok(&m)
                    || m.gid() != reg.gid.as_raw()
                    || m.mode() & 0o007 != 0 =>
            {
                out.push(msg!(
                    "check.shared_file_mode",
                    path = p.display().to_string(),
                    is = describe(&m),
                    group = &reg.group
                ))
            }
            Ok(_) => {}
        }
    }
    out
}

// ---- files the caller names --------------------------------------------------------------

/// Creates `path` for writing as the caller: a new file (never an existing one, never through
/// a symbolic link), readable and writable by the caller only.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    as_caller(|| {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .open(path)
    })
}

/// Opens `path` for reading as the caller.
pub fn open_as_caller(path: &Path) -> std::io::Result<std::fs::File> {
    as_caller(|| std::fs::File::open(path))
}

/// Reads a whole file as the caller.
pub fn read_as_caller(path: &Path) -> std::io::Result<Vec<u8>> {
    as_caller(|| std::fs::read(path))
}

/// A file the caller named, as messages name it (cleaned like any untrusted text).
fn shown(path: &Path) -> String {
    crate::core::sanitize::clean_line(&path.display().to_string()).into_owned()
}

fn said(key: &'static str, path: &Path, mut args: Vec<(&'static str, String)>) -> Error {
    args.insert(0, ("path", shown(path)));
    Error::Invalid(Message::text(key, args))
}

/// Reads a file the caller names to attach it: opened with the caller's rights (so the
/// shared desk's directory stays closed), refused when it is not a regular file or is one of
/// the files in `desk_dir` (compared by device and inode, whatever path or link led to it),
/// and read only up to `limit` bytes.
pub fn read_to_attach(path: &Path, desk_dir: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::NotFound(msg!("attach.no_file", path = shown(path)))
        } else {
            Error::Invalid(msg!("attach.cannot_read", path = shown(path), why = io(&e)))
        }
    };
    let too_big = |size: u64| {
        said(
            "attach.too_big",
            path,
            vec![
                ("name", shown(path)),
                ("size", crate::core::attach::human_size(size)),
                ("limit", crate::core::attach::human_size(limit)),
            ],
        )
    };
    let file = as_caller(|| std::fs::File::open(path)).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(said("attach.not_a_file", path, vec![]));
    }
    let desks = std::iter::once(std::fs::metadata(desk_dir).ok())
        .chain(
            std::fs::read_dir(desk_dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.metadata().ok()),
        )
        .flatten()
        .any(|m| m.dev() == meta.dev() && m.ino() == meta.ino());
    if desks {
        return Err(said("attach.desks_own", path, vec![]));
    }
    if meta.len() > limit {
        return Err(too_big(meta.len()));
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut data).map_err(io)?;
    if data.len() as u64 > limit {
        return Err(too_big(data.len() as u64));
    }
    Ok(data)
}

/// Writes `data` into a new file the caller names (`create_private`: theirs, 0600, never an
/// existing file, never through a link); a file half written is removed.
pub fn write_new_as_caller(path: &Path, data: &[u8]) -> Result<()> {
    use std::io::Write;
    let cannot = |e: std::io::Error| {
        Error::Invalid(msg!(
            "attach.cannot_write",
            path = shown(path),
            why = io(&e)
        ))
    };
    let mut file = create_private(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            said("attach.exists", path, vec![])
        } else {
            cannot(e)
        }
    })?;
    file.write_all(data)
        .and_then(|_| file.sync_all())
        .map_err(|e| {
            as_caller(|| std::fs::remove_file(path).ok());
            cannot(e)
        })
}

/// Renames `from` to `to` as the caller, refusing to replace anything at `to`.
pub fn rename_new_as_caller(from: &Path, to: &Path) -> std::io::Result<()> {
    as_caller(|| {
        nix::fcntl::renameat2(
            nix::fcntl::AT_FDCWD,
            from,
            nix::fcntl::AT_FDCWD,
            to,
            nix::fcntl::RenameFlags::RENAME_NOREPLACE,
        )
        .map_err(std::io::Error::from)
    })
}

/// Sets a file's mode.
pub fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compare_by_their_components() {
        assert!(same_path(
            Path::new("/srv//desk/./desk.db"),
            Path::new("/srv/desk/desk.db")
        ));
        assert!(!same_path(
            Path::new("/srv/desk/../desk/desk.db"),
            Path::new("/srv/desk/desk.db")
        ));
        assert!(!same_path(
            Path::new("desk.db"),
            Path::new("/srv/desk/desk.db")
        ));
    }

    #[test]
    fn the_usual_prefixes_keep_their_settings_in_etc() {
        assert_eq!(
            registry_path(Path::new("/usr/local")),
            Path::new("/etc/desk/shared")
        );
        assert_eq!(
            registry_path(Path::new("/usr")),
            Path::new("/etc/desk/shared")
        );
        assert_eq!(
            registry_path(Path::new("/opt/desk")),
            Path::new("/opt/desk/etc/desk/shared")
        );
    }

    #[test]
    fn only_the_listed_environment_survives() {
        assert!(keeps("TERM", "xterm-256color"));
        assert!(keeps("LC_ALL", "uk_UA.UTF-8"));
        assert!(keeps("COLUMNS", "120"));
        assert!(keeps("DESK_BUSY_TIMEOUT_MS", "300"));
        for (k, v) in [
            ("TZ", "Europe/Kyiv"),
            ("TMPDIR", "/tmp"),
            ("SQLITE_TMPDIR", "/tmp"),
            ("DESK_TIMINGS", "/tmp/t"),
            ("HOME", "/home/x"),
            ("USER", "admin"),
            ("DESK_DB", "/srv/desk/desk.db"),
            ("COLUMNS", "12a"),
            ("DESK_BUSY_TIMEOUT_MS", "2147483648000"),
            ("LANG", "en_US.UTF-8\u{1b}]0;x"),
        ] {
            assert!(!keeps(k, v), "{k}={v}");
        }
    }

    #[test]
    fn hidepid_is_read_from_the_proc_mount() {
        let plain = "sysfs /sys sysfs rw 0 0\nproc /proc proc rw,relatime 0 0\n";
        assert_eq!(hidepid_of(plain), (false, None));
        let hidden = "proc /proc proc rw,relatime,gid=995,hidepid=invisible 0 0\n";
        assert_eq!(hidepid_of(hidden), (true, Some(995)));
        assert_eq!(
            hidepid_of("proc /proc proc rw,hidepid=2 0 0\n"),
            (true, None)
        );
        assert_eq!(
            hidepid_of("proc /proc proc rw,hidepid=0 0 0\n"),
            (false, None)
        );
        // The last mount over /proc is the one in force.
        let both = format!("{hidden}proc /proc proc rw 0 0\n");
        assert_eq!(hidepid_of(&both), (false, None));
        assert_eq!(
            hidepid_of("proc /mnt/proc proc rw,hidepid=2 0 0\n"),
            (false, None)
        );
    }

    #[test]
    fn a_path_through_a_user_writable_directory_is_not_trusted() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("shared");
        std::fs::write(&file, "x").expect("write");
        set_mode(dir.path(), 0o777).expect("chmod");
        let err = trusted_path(&file, false).expect_err("world-writable, not sticky");
        assert_eq!(err.key, "error.path.writable", "{err}");
        set_mode(dir.path(), 0o755).expect("chmod");
        if nix::unistd::getuid().is_root() {
            trusted_path(&file, false).expect("root's all the way");
            std::os::unix::fs::symlink(&file, dir.path().join("link")).expect("link");
            let err = trusted_path(&dir.path().join("link"), false).expect_err("link");
            assert_eq!(err.key, "error.path.symlink", "{err}");
        } else {
            assert!(trusted_path(&file, false).is_err(), "not root's");
        }
    }
}
