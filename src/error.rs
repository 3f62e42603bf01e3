//! One error type for the whole program, each kind with its exit code:
//! 0 ok · 2 bad input · 3 not found · 4 refused by a rule · 5 database problem.

use crate::core::config::ConfigError;
use crate::core::numbering::NumberError;
use crate::core::refusal::Refusal;
use crate::i18n::Catalog;
use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// Bad input: an invalid value, a usage mistake. Exit 2.
    Invalid(Message),
    /// A bad configuration file. Exit 2.
    Config(ConfigError),
    /// A ticket number that is malformed or has a wrong check digit. Exit 2.
    BadNumber {
        error: NumberError,
        suggestions: Vec<String>,
    },
    /// Something named does not exist. Exit 3.
    NotFound(Message),
    /// A well-formed number no ticket has. Exit 3.
    NoSuchTicket {
        number: String,
        suggestions: Vec<String>,
    },
    /// A rule of the desk said no. Exit 4.
    Refused(Refusal),
    /// Not allowed for another reason (unknown user, deactivated agent). Exit 4.
    Forbidden(Message),
    /// The database cannot be used as asked. Exit 5.
    Database(Message),
    /// An SQLite failure not yet tied to its file; the store turns it into `Database`.
    Sql(rusqlite::Error),
    /// One item of a batch failed, so the whole batch did: the item named, its own error
    /// (and exit code) kept.
    Item {
        item: usize,
        name: String,
        inner: Box<Error>,
    },
    /// One ticket of many could not be handled (the others were): the ticket named, its own
    /// error (and exit code) kept.
    Ticket { number: String, inner: Box<Error> },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use crate::core::message::{Arg, Message, term};

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::Config(_) | Error::BadNumber { .. } => 2,
            // Refusals that are really bad values: an empty text, a rating out of range,
            // a status that does not exist.
            Error::Refused(
                Refusal::EmptyText { .. }
                | Refusal::RatingRange { .. }
                | Refusal::UnknownStatus { .. }
                | Refusal::NothingToChange
                | Refusal::RerouteWithoutCategory
                | Refusal::RerouteAndGroup
                | Refusal::MergeSelf
                | Refusal::LinkSelf,
            ) => 2,
            Error::NotFound(_) | Error::NoSuchTicket { .. } => 3,
            Error::Refused(_) | Error::Forbidden(_) => 4,
            Error::Database(_) | Error::Sql(_) => 5,
            Error::Item { inner, .. } | Error::Ticket { inner, .. } => inner.exit_code(),
        }
    }

    /// The one-line message in the user's language.
    pub fn message(&self, cat: &Catalog) -> String {
        cat.say(&self.said())
    }

    /// What to say, unsaid: the catalog's key and its values.
    pub fn said(&self) -> Message {
        match self {
            Error::Invalid(m) | Error::NotFound(m) | Error::Forbidden(m) | Error::Database(m) => {
                m.clone()
            }
            Error::Config(e) => e.said(),
            Error::BadNumber { error, suggestions } => {
                let (key, args) = error.key_args();
                crate::msg!(
                    "error.then",
                    first = Message::text(key, args),
                    then = did_you_mean(suggestions)
                )
            }
            Error::NoSuchTicket {
                number,
                suggestions,
            } => crate::msg!(
                "error.then",
                first = crate::msg!("number.missing", number = number),
                then = did_you_mean(suggestions)
            ),
            Error::Refused(r) => crate::msg!("error.refusal", refusal = r.clone()),
            Error::Sql(e) => crate::msg!("error.sql", detail = one_line(&e.to_string())),
            Error::Item { item, name, inner } if name.is_empty() => {
                crate::msg!("error.item", item = *item, error = inner.said())
            }
            Error::Item { item, name, inner } => crate::msg!(
                "error.item_named",
                item = *item,
                name = name,
                error = inner.said()
            ),
            Error::Ticket { number, inner } => {
                crate::msg!("error.ticket", number = number, error = inner.said())
            }
        }
    }

    /// The catalog key of what is said (tests and front ends tell errors apart by it).
    pub fn key(&self) -> &'static str {
        match self {
            Error::Invalid(m) | Error::NotFound(m) | Error::Forbidden(m) | Error::Database(m) => {
                m.key
            }
            _ => "",
        }
    }

    /// Turns an SQLite failure into a message that says what is wrong and what to do.
    pub fn db(e: rusqlite::Error, path: &std::path::Path) -> Error {
        use crate::msg;
        use rusqlite::ErrorCode as C;
        let p = crate::store::shown(path);
        if crate::store::db::NotOnPostgres::is(&e) {
            return Error::Database(msg!("error.db.not_on_postgres", path = p));
        }
        if let Some(n) = crate::store::db::NoAnswer::of(&e) {
            let key = if n.at_commit {
                "error.db.commit_unanswered"
            } else {
                "error.db.stopped_answering"
            };
            return Error::Database(msg!(key, path = p, seconds = n.waited.as_secs()));
        }
        if let Some(pg) = crate::store::db::PgFailure::of(&e) {
            return Error::Database(postgres_said(pg, p));
        }
        Error::Database(match e.sqlite_error_code() {
            Some(C::DatabaseBusy) | Some(C::DatabaseLocked) => {
                let holder = match crate::privilege::lock_holder(path) {
                    Some(h) if h.stopped => {
                        msg!("error.db.held_stopped", login = h.login, pid = h.pid)
                    }
                    Some(h) => msg!("error.db.held", login = h.login, pid = h.pid),
                    None => msg!("error.empty"),
                };
                msg!("error.db.locked", path = p, holder = holder)
            }
            Some(C::ReadOnly) => msg!("error.db.read_only", path = p),
            Some(C::CannotOpen) => msg!("error.db.cannot_open", path = p),
            Some(C::NotADatabase) | Some(C::DatabaseCorrupt) => msg!("error.db.corrupt", path = p),
            Some(C::DiskFull) => msg!("error.db.full", path = p),
            Some(C::PermissionDenied) => msg!("error.db.permission", path = p),
            Some(C::SystemIoFailure) => msg!("error.db.io", path = p),
            _ => msg!(
                "error.db.other",
                path = p,
                detail = one_line(&e.to_string())
            ),
        })
    }
}

/// A PostgreSQL failure as a message that says what is wrong, by its SQLSTATE class: the
/// same kinds as SQLite's (locked, read-only, permission, disk full), the server out of
/// reach, or the server's own words.
fn postgres_said(e: &postgres::Error, p: String) -> Message {
    use crate::msg;
    use postgres::error::SqlState as S;
    let Some(db) = e.as_db_error() else {
        return msg!(
            "error.db.server",
            path = p,
            detail = one_line(&crate::store::pg_connect::said(e))
        );
    };
    let code = db.code();
    if *code == S::T_R_SERIALIZATION_FAILURE
        || *code == S::T_R_DEADLOCK_DETECTED
        || *code == S::LOCK_NOT_AVAILABLE
        || *code == S::QUERY_CANCELED
    {
        msg!("error.db.locked", path = p, holder = msg!("error.empty"))
    } else if *code == S::READ_ONLY_SQL_TRANSACTION {
        msg!("error.db.read_only", path = p)
    } else if *code == S::INSUFFICIENT_PRIVILEGE {
        // The server's words say which right (a table's, the schema's): a desk_app that lost
        // its grants (a pg_restore) is told how its owner gives them again.
        msg!(
            "error.db.pg_permission",
            path = p,
            detail = one_line(db.message()),
            owner = crate::store::pg_grants::OWNER_ROLE,
            app = crate::store::pg_grants::APP_ROLE
        )
    } else if *code == S::DISK_FULL {
        msg!("error.db.full", path = p)
    } else if code.code().starts_with("08") || code.code().starts_with("57P") {
        msg!("error.db.server", path = p, detail = one_line(db.message()))
    } else {
        msg!("error.db.other", path = p, detail = one_line(db.message()))
    }
}

/// "; did you mean …?" for the numbers given, or nothing.
fn did_you_mean(suggestions: &[String]) -> Message {
    match suggestions {
        [] => crate::msg!("error.empty"),
        [one] => crate::msg!("number.did_you_mean", number = one),
        many => crate::msg!("number.did_you_mean_many", numbers = many.join(", ")),
    }
}

/// Why a file could not be read or written, in the reader's words where the kind is a common
/// one (the operating system's own text otherwise).
pub fn io(e: &std::io::Error) -> Arg {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::NotFound => term("io.not_found"),
        K::PermissionDenied => term("io.permission_denied"),
        K::AlreadyExists => term("io.already_exists"),
        K::IsADirectory => term("io.is_a_directory"),
        K::NotADirectory => term("io.not_a_directory"),
        K::StorageFull => term("io.storage_full"),
        K::ReadOnlyFilesystem => term("io.read_only"),
        K::InvalidData => term("io.invalid_data"),
        _ => Arg::Text(one_line(&e.to_string())),
    }
}

/// Text for a one-line message: newlines folded.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Catalog::english()))
    }
}

impl std::error::Error for Error {}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        Error::Refused(r)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        Error::Sql(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::Config(e)
    }
}
