//! What both front ends need before they start: who is acting, which database and which
//! configuration, in which language. This is the only place that reads the environment (with
//! `privilege`, which decides what a set-id run keeps of it).

use crate::core::config::Config;
use crate::error::{Arg, Error, Result, io, term};
use crate::i18n::{self, Catalog};
use crate::msg;
use crate::privilege;
use crate::store::{DEFAULT_BUSY_TIMEOUT, Mode, Options, Store};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

mod config_cache;
use config_cache::Writer;
pub use config_cache::{path_of as config_cache_path, program_of as config_cache_program};

/// The longest a writer may be told to wait for the database (`DESK_BUSY_TIMEOUT_MS`).
pub const MAX_BUSY_TIMEOUT_MS: u64 = 600_000;

/// The Unix user running desk: the name of the real user id in the password database (never
/// `$USER`, which anyone can set); `uid<N>` for a uid without an entry.
pub fn login() -> String {
    privilege::caller_login().unwrap_or_else(|_| format!("uid{}", nix::unistd::getuid()))
}

/// The user's full name from the password database (GECOS), or the login.
pub fn full_name(login: &str) -> String {
    nix::unistd::User::from_name(login)
        .ok()
        .flatten()
        .and_then(|u| {
            let gecos = u.gecos.to_string_lossy().to_string();
            let name = gecos.split(',').next().unwrap_or("").trim().to_string();
            (!name.is_empty()).then_some(name)
        })
        .unwrap_or_else(|| login.to_string())
}

/// The database used when neither `--db` nor `DESK_DB` names one: the shared desk when one
/// is installed beside this program (its registry names it), else `desk.db` in the user's
/// data directory (XDG: `~/.local/share/desk/desk.db`).
pub fn default_db_path() -> Result<PathBuf> {
    if let Some(r) = privilege::registry() {
        return Ok(r.database.clone());
    }
    directories::ProjectDirs::from("", "", "desk")
        .map(|d| d.data_dir().join("desk.db"))
        .ok_or_else(|| Error::Invalid(msg!("error.no_home")))
}

/// Where the configuration of a database lives by default: `desk.toml` beside it.
/// A desk on PostgreSQL has no directory of its own: its configuration is `desk.toml` in
/// the user's data directory (or the file named with `--config`, or the shared desk's).
pub fn config_beside(db: &Path) -> PathBuf {
    if crate::store::postgres_url(db).is_some() {
        return directories::ProjectDirs::from("", "", "desk")
            .map(|d| d.data_dir().join("desk.toml"))
            .unwrap_or_else(|| PathBuf::from("desk.toml"));
    }
    db.parent()
        .map(|d| d.join("desk.toml"))
        .unwrap_or_else(|| PathBuf::from("desk.toml"))
}

/// Loads the configuration: the named file (it must exist), else `desk.toml` beside the
/// database, else the built-in one. Returns it with the file it came from. A file named by
/// the caller is read with the caller's rights.
pub fn load_config(explicit: Option<&Path>, db: &Path) -> Result<(Config, Option<PathBuf>)> {
    let cannot = |p: &Path, e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Invalid(msg!("error.no_config", file = p.display().to_string()))
        } else {
            Error::Invalid(msg!(
                "error.read_config",
                file = p.display().to_string(),
                why = io(&e)
            ))
        }
    };
    if let Some(p) = explicit {
        let bytes = privilege::read_as_caller(p).map_err(|e| cannot(p, e))?;
        return parse_config(p, bytes, None, None).map(|cfg| (cfg, Some(p.to_path_buf())));
    }
    let p = config_beside(db);
    if !p.is_file() {
        return Ok((Config::builtin()?, None));
    }
    let bytes = std::fs::read(&p).map_err(|e| cannot(&p, e))?;
    parse_config(&p, bytes, None, Some(Writer::Caller)).map(|cfg| (cfg, Some(p)))
}

/// Reads a configuration file's text; `desk_group` is the shared desk's group, which may
/// read its configuration. With `cache` (the desk's own configuration, never one the caller
/// names), the configuration checked from the same text before is read back from its cache,
/// and one checked now is kept there.
fn parse_config(
    p: &Path,
    bytes: Vec<u8>,
    desk_group: Option<u32>,
    cache: Option<Writer>,
) -> Result<Config> {
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::Invalid(msg!(
            "error.not_utf8",
            file = p.display().to_string(),
            offset = e.utf8_error().valid_up_to()
        ))
    })?;
    let origin = p.display().to_string();
    let cached = cache.and_then(|w| config_cache::read(p, &origin, &text, w));
    let cfg = match cached {
        Some(cfg) => cfg,
        None => {
            let cfg = Config::from_toml(&text, &origin, &crate::time::SystemZones)?;
            if let Some(w) = cache {
                config_cache::write(p, &text, &cfg, w);
            }
            cfg
        }
    };
    password_guarded(p, &cfg, desk_group)?;
    Ok(cfg)
}

/// A configuration whose `[database] url` carries the database's password must be readable
/// only under the trust boundary (DESIGN §6): by its owner, and by the shared desk's group
/// (which only the set-id program holds) or a group of the owner alone — never by every
/// user, nor by a group operators are in. Refused, in one line, before anything connects.
fn password_guarded(p: &Path, cfg: &Config, desk_group: Option<u32>) -> Result<()> {
    let Some(url) = &cfg.database_url else {
        return Ok(());
    };
    if !crate::store::url_has_password(url) {
        return Ok(());
    }
    let Ok(m) = std::fs::metadata(p) else {
        return Ok(());
    };
    let mode = m.mode() & 0o7777;
    let owners_own = |gid: u32| {
        let owner = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(m.uid()))
            .ok()
            .flatten();
        match nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid)) {
            Ok(Some(g)) => {
                g.mem
                    .iter()
                    .all(|login| owner.as_ref().is_some_and(|o| o.name == *login))
                    && owner.as_ref().is_some_and(|o| o.gid.as_raw() == gid)
            }
            _ => false,
        }
    };
    let who = if mode & 0o004 != 0 {
        msg!("error.password.everyone")
    } else if mode & 0o040 != 0 && Some(m.gid()) != desk_group && !owners_own(m.gid()) {
        let group = nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(m.gid()))
            .ok()
            .flatten()
            .map_or_else(|| m.gid().to_string(), |g| g.name);
        msg!("error.password.group", group = group)
    } else {
        return Ok(());
    };
    Err(Error::Forbidden(msg!(
        "error.password.readable",
        file = p.display().to_string(),
        who = who,
        mode = format!("{mode:04o}")
    )))
}

/// The shared desk's own configuration: `desk.toml` beside the database, read without
/// following a symbolic link, and only if it is the desk's (root's or the desk group's) and
/// nobody else may write it. Missing: the built-in configuration.
fn load_shared_config(reg: &privilege::Registry) -> Result<(Config, Option<PathBuf>)> {
    let p = reg.config();
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&p)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Config::builtin()?, None));
        }
        Err(e) => {
            return Err(Error::Database(msg!(
                "error.read_config",
                file = p.display().to_string(),
                why = io(&e)
            )));
        }
    };
    let m = file.metadata().map_err(|e| {
        Error::Database(msg!(
            "error.file.read",
            file = p.display().to_string(),
            why = io(&e)
        ))
    })?;
    if !m.is_file() || m.gid() != reg.gid.as_raw() || m.mode() & 0o002 != 0 {
        return Err(Error::Database(msg!(
            "error.shared_config_not_desks",
            file = p.display().to_string(),
            group = &reg.group
        )));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::BufReader::new(file), &mut bytes).map_err(|e| {
        Error::Database(msg!(
            "error.file.read",
            file = p.display().to_string(),
            why = io(&e)
        ))
    })?;
    parse_config(
        &p,
        bytes,
        Some(reg.gid.as_raw()),
        Some(Writer::Desk(reg.gid)),
    )
    .map(|cfg| (cfg, Some(p)))
}

/// The language: the configuration's, else the first of LC_ALL, LC_MESSAGES, LANG that is set.
pub fn language(cfg: &Config) -> &'static str {
    match &cfg.language {
        Some(l) => i18n::language_from_locale(l),
        None => env_language(),
    }
}

/// The language of the environment: the first of LC_ALL, LC_MESSAGES, LANG that is set (what
/// is said before a desk's configuration is read: the command line's help and mistakes).
pub fn env_language() -> &'static str {
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return i18n::language_from_locale(&v);
        }
    }
    "en"
}

/// How long to wait for a busy database: `DESK_BUSY_TIMEOUT_MS` (0 to 600000), else 5 s.
pub fn busy_timeout() -> Result<Duration> {
    match std::env::var("DESK_BUSY_TIMEOUT_MS") {
        Err(_) => Ok(DEFAULT_BUSY_TIMEOUT),
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|ms| *ms <= MAX_BUSY_TIMEOUT_MS)
            .map(Duration::from_millis)
            .ok_or_else(|| {
                Error::Invalid(msg!(
                    "error.busy_timeout",
                    value = crate::core::sanitize::clean_line(&v).into_owned(),
                    max = MAX_BUSY_TIMEOUT_MS
                ))
            }),
    }
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// How the terminal desk is opened, as the command line asked.
#[derive(Debug, Clone, Default)]
pub struct DeskOptions {
    pub db: PathBuf,
    pub config: Option<PathBuf>,
    /// Create the database when it does not exist (the default database on first run).
    pub create: bool,
    /// Act as this agent (admins only), as `--as` does for every command.
    pub as_login: Option<String>,
    pub mouse: bool,
}

/// Whether there is a terminal to draw the desk in (standard input and output).
pub fn has_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
}

/// A path a person typed, with a leading `~/` meaning their home directory (from the password
/// database: a set-id desk keeps no HOME).
pub fn expand_home(typed: &str) -> PathBuf {
    match typed.strip_prefix("~/") {
        Some(rest) => nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.dir.join(rest))
            .unwrap_or_else(|| PathBuf::from(typed)),
        None => PathBuf::from(typed),
    }
}

/// Whether a question can be asked and answered: standard input and error are a terminal.
pub fn can_ask() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// What creating a desk did: the open session, whether the creator became its admin (a new
/// desk) and whether a `desk.toml` was written beside it.
pub struct Creation {
    pub session: Session,
    pub became_admin: bool,
    pub wrote_config: bool,
    /// A desk made on PostgreSQL: the `[database] url` its configuration holds (written
    /// there when `wrote_config`), or, when a configuration that was there already names
    /// another database or none, the url to add to it.
    pub database: Option<String>,
}

/// An open desk: database, configuration, language and the person at the keyboard.
pub struct Session {
    pub store: Store,
    pub cfg: Config,
    pub catalog: &'static Catalog,
    pub login: String,
    pub db_path: PathBuf,
    pub config_path: Option<PathBuf>,
    /// This is the shared desk named in the registry.
    pub shared: bool,
}

/// Whether this process holds the group `gid`, as its effective group or a supplementary one.
fn holds_group(gid: nix::unistd::Gid) -> bool {
    nix::unistd::getegid() == gid || nix::unistd::getgroups().is_ok_and(|g| g.contains(&gid))
}

/// The registry's shared desk, when `db` is it.
pub fn shared_desk(db: &Path) -> Option<&'static privilege::Registry> {
    privilege::registry().filter(|r| privilege::same_path(db, &r.database))
}

impl Session {
    /// The directory of the desk's own files, none of which may be attached: the database
    /// file's, or for a desk on PostgreSQL (no file of its own) its configuration's.
    pub fn desk_dir(&self) -> PathBuf {
        let own = match crate::store::postgres_url(&self.db_path) {
            Some(_) => self
                .config_path
                .clone()
                .unwrap_or_else(|| config_beside(&self.db_path)),
            None => self.db_path.clone(),
        };
        own.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    }

    /// Opens an existing desk (or, with `Mode::Create`, a new one) for the person at the
    /// keyboard, who must be one of its agents (every role may read; nobody else may).
    pub fn open(db: &Path, config: Option<&Path>, mode: Mode) -> Result<Session> {
        let mut s = Session::open_unsigned(db, config, mode)?;
        if mode == Mode::Existing {
            s.store.sign_in(&s.login)?;
        }
        Ok(s)
    }

    /// Opens the desk for `login`, who must be one of its agents. The tests drive the desk as
    /// several people this way; desk itself only ever signs in the real user (`open`).
    pub fn open_for(db: &Path, config: Option<&Path>, mode: Mode, login: &str) -> Result<Session> {
        let mut s = Session::open_unsigned(db, config, mode)?;
        s.store.sign_in(login)?;
        s.login = login.to_string();
        Ok(s)
    }

    /// Opens the desk without signing in: for `init`, whose first user becomes the admin.
    pub fn open_unsigned(db: &Path, config: Option<&Path>, mode: Mode) -> Result<Session> {
        let shared = shared_desk(db);
        let (cfg, config_path) = match shared {
            Some(reg) => {
                if config.is_some_and(|c| !privilege::same_path(c, &reg.config())) {
                    return Err(Error::Forbidden(msg!("error.shared_own_config")));
                }
                if !privilege::is_setid() && !holds_group(reg.gid) {
                    return Err(Error::Database(msg!(
                        "error.not_setid",
                        path = crate::store::shown(db),
                        program = match privilege::this_prefix() {
                            Some(p) => Arg::Text(p.join("bin/desk").display().to_string()),
                            None => term("term.installed_desk"),
                        }
                    )));
                }
                if mode == Mode::Create {
                    return Err(Error::Forbidden(msg!("error.shared_by_root")));
                }
                load_shared_config(reg)?
            }
            None => load_config(config, db)?,
        };
        crate::time::set_zone(match &cfg.zone {
            Some(tz) => crate::time::Zone::Named(tz.clone()),
            None => crate::time::Zone::Host,
        });
        let login = privilege::caller_login()?;
        // `[database] url` in the desk's configuration: its data is on PostgreSQL.
        let pg_db = cfg.database_url.as_ref().map(PathBuf::from);
        let db = match &pg_db {
            Some(url) if crate::store::postgres_url(db).is_none() => url.as_path(),
            _ => db,
        };
        let mut store = Store::open_with(
            db,
            mode,
            busy_timeout()?,
            Options {
                shared: shared.is_some(),
            },
        )?;
        store.sync_sla(&cfg, now(), |n| {
            // Once, after an upgrade: on a big desk it takes a while, so say what it is doing.
            if n >= 10_000 {
                eprintln!(
                    "desk: {}",
                    Catalog::for_lang(language(&cfg)).say(&msg!("msg.computing", n = n))
                );
            }
        })?;
        let catalog = Catalog::for_lang(language(&cfg));
        // Names and labels desk.toml gives in several languages: the reader's.
        let mut cfg = cfg;
        cfg.use_language(catalog.lang);
        Ok(Session {
            store,
            cfg,
            catalog,
            login,
            db_path: db.to_path_buf(),
            config_path,
            shared: shared.is_some(),
        })
    }

    /// Creates a database (and its directory and `desk.toml`), or opens it when it exists;
    /// the creator of a new desk becomes its admin.
    pub fn create(db: &Path, config: Option<&Path>) -> Result<Creation> {
        if shared_desk(db).is_some() {
            return Err(Error::Forbidden(msg!("error.shared_by_root")));
        }
        // A desk on PostgreSQL: no directory of its own; its configuration's is made.
        let dir_of = match crate::store::postgres_url(db) {
            Some(_) => config_beside(db).parent().map(Path::to_path_buf),
            None => db.parent().map(Path::to_path_buf),
        };
        if let Some(dir) = dir_of.filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(&dir).map_err(|e| {
                Error::Database(msg!(
                    "error.file.create_dir",
                    file = dir.display().to_string(),
                    why = io(&e)
                ))
            })?;
        }
        let config_file = config_beside(db);
        let write = |text: &str| {
            std::fs::write(&config_file, text).map_err(|e| {
                Error::Database(msg!(
                    "error.file.write",
                    file = config_file.display().to_string(),
                    why = io(&e)
                ))
            })
        };
        let pg_url = crate::store::postgres_url(db);
        let mut wrote_config = false;
        // A desk on PostgreSQL gets its configuration once its database took the desk.
        if config.is_none() && !config_file.exists() && pg_url.is_none() {
            write(crate::core::config::BUILTIN)?;
            wrote_config = true;
        }
        let mut session = Session::open_unsigned(db, config, Mode::Create)?;
        // Its `[database] url` (the program's, without a password), so that the next run
        // without --db opens this desk and not an SQLite file.
        let mut database = None;
        if let (Some(url), None) = (pg_url, config) {
            let url = session.store.program_url(url)?;
            if !config_file.exists() {
                write(&format!(
                    "{}\n[database]\nurl = {}\n",
                    crate::core::config::BUILTIN,
                    toml::Value::String(url.clone())
                ))?;
                wrote_config = true;
                database = Some(url);
            } else if session
                .cfg
                .database_url
                .as_deref()
                .map(crate::store::redact_url)
                != Some(url.clone())
            {
                database = Some(url);
            }
        }
        let name = full_name(&session.login);
        let became_admin = session
            .store
            .bootstrap_admin(&session.login, &name, now())?;
        // A new desk gets its configuration's groups; an existing one is left as it is (a
        // configuration named on the command line changes nothing in it).
        if became_admin {
            session.store.sync_groups(&session.cfg)?;
        }
        session.store.sign_in(&session.login)?;
        Ok(Creation {
            session,
            became_admin,
            wrote_config,
            database,
        })
    }
}
