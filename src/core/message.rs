//! Something to say to a person, without saying it: a catalog key (`assets/i18n/*.toml`) and
//! the values of its placeholders. The rules (and the store, and the front ends) return these;
//! `crate::i18n` says them in the reader's language when they are shown.

/// A catalog key and its placeholders' values. Written with [`msg!`](crate::msg):
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
    /// An identifier said through its section of the catalog (`role` and `admin`: the
    /// catalog's `role.admin`), or shown as it is where the catalog has no entry.
    Id(&'static str, String),
    /// A rule's refusal, said as the catalog says refusals.
    Refused(Box<super::refusal::Refusal>),
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

    /// The value given for a placeholder, if any.
    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args.iter().find(|(k, _)| *k == name).map(|(_, a)| a)
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
arg_from_display!(i64, u64, usize, i32, u32, char);

/// A [`Message`]: `msg!("key", name = value, …)`; values are anything an [`Arg`] is made from.
#[macro_export]
macro_rules! msg {
    ($key:expr $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::core::message::Message::new(
            $key,
            vec![$((stringify!($name), $crate::core::message::Arg::from($value))),*],
        )
    };
}

impl From<super::refusal::Refusal> for Arg {
    fn from(r: super::refusal::Refusal) -> Arg {
        Arg::Refused(Box::new(r))
    }
}

/// A word of the catalog as a placeholder's value.
pub fn term(key: &'static str) -> Arg {
    Arg::Term(key)
}

/// An identifier said through its section of the catalog (`id("role", "admin")`).
pub fn id(section: &'static str, value: impl ToString) -> Arg {
    Arg::Id(section, value.to_string())
}

/// A list of values shown as they are, joined by commas.
pub fn list<T: ToString>(items: &[T]) -> Arg {
    Arg::Text(
        items
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    )
}
