//! What both front ends need before they start: who is acting, which database and which
//! configuration, in which language. This is the only place that reads the environment.

use crate::core::config::Config;
use crate::error::{Error, Result};
use crate::i18n::{self, Catalog};
use crate::store::{DEFAULT_BUSY_TIMEOUT, Mode, Store};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The Unix user running desk: the name of the real user id in the password database.
/// `$USER` is only a fallback for a uid without an entry: anyone can set `$USER`, so trusting
/// it first would let an operator act as the admin.
pub fn login() -> String {
    let uid = nix::unistd::getuid();
    if let Ok(Some(user)) = nix::unistd::User::from_uid(uid) {
        return user.name;
    }
    for var in ["USER", "LOGNAME"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return v;
        }
    }
    format!("uid{uid}")
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

/// The database used when neither `--db` nor `DESK_DB` names one: `desk.db` in the user's
/// data directory (XDG: `~/.local/share/desk/desk.db`).
pub fn default_db_path() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "desk")
        .map(|d| d.data_dir().join("desk.db"))
        .ok_or_else(|| {
            Error::Invalid(
                "cannot find a home directory for the default database; give one with --db PATH"
                    .into(),
            )
        })
}

/// Where the configuration of a database lives by default: `desk.toml` beside it.
pub fn config_beside(db: &Path) -> PathBuf {
    db.parent()
        .map(|d| d.join("desk.toml"))
        .unwrap_or_else(|| PathBuf::from("desk.toml"))
}

/// Loads the configuration: the named file (it must exist), else `desk.toml` beside the
/// database, else the built-in one. Returns it with the file it came from.
pub fn load_config(explicit: Option<&Path>, db: &Path) -> Result<(Config, Option<PathBuf>)> {
    let path = match explicit {
        Some(p) => {
            if !p.is_file() {
                return Err(Error::Invalid(format!(
                    "no configuration file at {}",
                    p.display()
                )));
            }
            Some(p.to_path_buf())
        }
        None => Some(config_beside(db)).filter(|p| p.is_file()),
    };
    match path {
        Some(p) => {
            let bytes = std::fs::read(&p).map_err(|e| {
                Error::Invalid(format!(
                    "cannot read the configuration {}: {e}",
                    p.display()
                ))
            })?;
            let text = String::from_utf8(bytes).map_err(|e| {
                Error::Invalid(format!(
                    "{} is not UTF-8 text (invalid byte at offset {})",
                    p.display(),
                    e.utf8_error().valid_up_to()
                ))
            })?;
            let cfg = Config::from_toml(&text, &p.display().to_string())?;
            Ok((cfg, Some(p)))
        }
        None => Ok((Config::builtin()?, None)),
    }
}

/// The language: the configuration's, else the first of LC_ALL, LC_MESSAGES, LANG that is set.
pub fn language(cfg: &Config) -> &'static str {
    if let Some(l) = &cfg.language {
        return i18n::language_from_locale(l);
    }
    for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return i18n::language_from_locale(&v);
        }
    }
    "en"
}

/// How long to wait for a busy database: `DESK_BUSY_TIMEOUT_MS`, else 5 s.
pub fn busy_timeout() -> Duration {
    std::env::var("DESK_BUSY_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_BUSY_TIMEOUT)
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// What creating a desk did: the open session, whether the creator became its admin (a new
/// desk) and whether a `desk.toml` was written beside it.
pub struct Creation {
    pub session: Session,
    pub became_admin: bool,
    pub wrote_config: bool,
}

/// An open desk: database, configuration, language and the person at the keyboard.
pub struct Session {
    pub store: Store,
    pub cfg: Config,
    pub catalog: &'static Catalog,
    pub login: String,
    pub db_path: PathBuf,
    pub config_path: Option<PathBuf>,
}

impl Session {
    pub fn open(db: &Path, config: Option<&Path>, mode: Mode) -> Result<Session> {
        let (cfg, config_path) = load_config(config, db)?;
        if let Ok(zone) = crate::time::parse_zone(&cfg.timezone) {
            crate::time::set_zone(zone);
        }
        let mut store = Store::open(db, mode, busy_timeout())?;
        store.sync_sla(&cfg, now(), |n| {
            // Once, after an upgrade: on a big desk it takes a while, so say what it is doing.
            if n >= 10_000 {
                eprintln!(
                    "desk: computing the figures of {n} tickets from their history (once, after an upgrade)…"
                );
            }
        })?;
        let catalog = Catalog::for_lang(language(&cfg));
        Ok(Session {
            store,
            cfg,
            catalog,
            login: login(),
            db_path: db.to_path_buf(),
            config_path,
        })
    }

    /// Creates a database (and its directory and `desk.toml`), or opens it when it exists;
    /// the creator of a new desk becomes its admin.
    pub fn create(db: &Path, config: Option<&Path>) -> Result<Creation> {
        if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                Error::Database(format!(
                    "cannot create the directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let config_file = config_beside(db);
        let mut wrote_config = false;
        if config.is_none() && !config_file.exists() {
            std::fs::write(&config_file, crate::core::config::BUILTIN).map_err(|e| {
                Error::Database(format!(
                    "cannot write the configuration {}: {e}",
                    config_file.display()
                ))
            })?;
            wrote_config = true;
        }
        let mut session = Session::open(db, config, Mode::Create)?;
        session.store.sync_groups(&session.cfg)?;
        let name = full_name(&session.login);
        let became_admin = session
            .store
            .bootstrap_admin(&session.login, &name, now())?;
        Ok(Creation {
            session,
            became_admin,
            wrote_config,
        })
    }
}
