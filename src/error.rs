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
    Invalid(String),
    /// Bad input, said through the catalog (a key and its values). Exit 2.
    Said(Message),
    /// A bad configuration file. Exit 2.
    Config(ConfigError),
    /// A ticket number that is malformed or has a wrong check digit. Exit 2.
    BadNumber {
        error: NumberError,
        suggestions: Vec<String>,
    },
    /// Something named does not exist. Exit 3.
    NotFound(String),
    /// A well-formed number no ticket has. Exit 3.
    NoSuchTicket {
        number: String,
        suggestions: Vec<String>,
    },
    /// A rule of the desk said no. Exit 4.
    Refused(Refusal),
    /// Not allowed for another reason (unknown user, deactivated agent). Exit 4.
    Forbidden(String),
    /// The database cannot be used as asked. Exit 5.
    Database(String),
    /// An SQLite failure not yet tied to its file; the store turns it into `Database`.
    Sql(rusqlite::Error),
    /// One item of a batch failed, so the whole batch did: the item named, its own error
    /// (and exit code) kept.
    Item {
        item: usize,
        name: String,
        inner: Box<Error>,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Something to say to a person: a catalog key (`assets/i18n/*.toml`) and the values of its
/// placeholders, said in the reader's language when it is shown. Written with [`msg!`]:
/// `msg!("error.no_agent", login = login)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

/// The value of a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Shown as it is (a number, a login, a path).
    Text(String),
    /// A word of the catalog, said in the reader's language (`term.nobody`).
    Term(&'static str),
    /// A message of its own (why a file could not be read).
    Said(Box<Message>),
}

impl Message {
    pub fn new(key: &'static str, args: Vec<(&'static str, Arg)>) -> Message {
        Message { key, args }
    }

    /// A message from plain values (each shown as it is).
    pub fn text(key: &'static str, args: Vec<(&'static str, String)>) -> Message {
        Message {
            key,
            args: args.into_iter().map(|(k, v)| (k, Arg::Text(v))).collect(),
        }
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(s)
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_string())
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Text(s.clone())
    }
}

impl From<Message> for Arg {
    fn from(m: Message) -> Arg {
        Arg::Said(Box::new(m))
    }
}

macro_rules! arg_from_display {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg::Text(v.to_string())
            }
        }
    )*};
}
arg_from_display!(i64, u64, usize, i32, u32);

/// A [`Message`]: `msg!("key", name = value, …)`; values are anything an [`Arg`] is made from.
#[macro_export]
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::error::Message::new($key, vec![$((stringify!($name), $crate::error::Arg::from($value))),*])
    };
}

/// A word of the catalog as a placeholder's value.
pub fn term(key: &'static str) -> Arg {
    Arg::Term(key)
}

fn did_you_mean(cat: &Catalog, suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => cat.f("number.did_you_mean", &[("number", one.clone())]),
        many => cat.f("number.did_you_mean_many", &[("numbers", many.join(", "))]),
    }
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Invalid(_) | Error::Said(_) | Error::Config(_) | Error::BadNumber { .. } => 2,
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
            Error::Item { inner, .. } => inner.exit_code(),
        }
    }

    /// The one-line message in the user's language (where the catalog has it).
    pub fn message(&self, cat: &Catalog) -> String {
        match self {
            Error::Said(m) => cat.say(m),
            Error::Invalid(m) | Error::NotFound(m) | Error::Forbidden(m) | Error::Database(m) => {
                m.clone()
            }
            Error::Config(e) => format!("configuration error: {e}"),
            Error::BadNumber { error, suggestions } => {
                let (key, args) = error.key_args();
                format!("{}{}", cat.f(key, &args), did_you_mean(cat, suggestions))
            }
            Error::NoSuchTicket {
                number,
                suggestions,
            } => format!(
                "{}{}",
                cat.f("number.missing", &[("number", number.clone())]),
                did_you_mean(cat, suggestions)
            ),
            Error::Refused(r) => cat.refusal(r),
            Error::Sql(e) => format!("database error: {}", one_line(&e.to_string())),
            Error::Item { item, name, inner } if name.is_empty() => {
                format!("item {item}: {}; nothing was recorded", inner.message(cat))
            }
            Error::Item { item, name, inner } => format!(
                "item {item} ({name}): {}; nothing was recorded",
                inner.message(cat)
            ),
        }
    }

    /// Turns an SQLite failure into a message that says what is wrong and what to do.
    pub fn db(e: rusqlite::Error, path: &std::path::Path) -> Error {
        use rusqlite::ErrorCode as C;
        let p = path.display();
        let msg = match e.sqlite_error_code() {
            Some(C::DatabaseBusy) | Some(C::DatabaseLocked) => format!(
                "the database {p} stayed locked by another desk user past the timeout{}; nothing was written, try again",
                match crate::privilege::lock_holder(path) {
                    Some(h) if h.stopped => format!(
                        " (held by {}, process {}, which is stopped: ask them to resume it, or an administrator to end it with kill {})",
                        h.login, h.pid, h.pid
                    ),
                    Some(h) => format!(" (held by {}, process {})", h.login, h.pid),
                    None => String::new(),
                }
            ),
            Some(C::ReadOnly) => {
                format!("the database {p} is read-only for you: nothing was written")
            }
            Some(C::CannotOpen) => {
                format!("cannot open the database {p}: its directory is missing or closed to you")
            }
            Some(C::NotADatabase) | Some(C::DatabaseCorrupt) => {
                format!("{p} is corrupt or not a desk database; restore a backup (`desk restore`)")
            }
            Some(C::DiskFull) => {
                format!(
                    "the disk holding {p} is full; nothing was written, free some space and try again"
                )
            }
            Some(C::PermissionDenied) => format!("no permission to use the database {p}"),
            Some(C::SystemIoFailure) => format!(
                "input/output error on the database {p} (disk full, removed or failing?); nothing was written"
            ),
            _ => format!("database error on {p}: {}", one_line(&e.to_string())),
        };
        Error::Database(msg)
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
