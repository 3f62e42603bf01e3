//! One catalog for every string shown to a person, in English, Russian and Ukrainian.
//! Keys are dotted paths into `assets/i18n/<lang>.toml`; a key missing from a translation falls
//! back to English, and a key missing from English shows itself (a test keeps all three whole).

use crate::core::message::{Arg, Message};
use crate::core::model::{Outcome, Priority, StatusCategory};
use crate::core::refusal::Refusal;

/// The catalogs, compiled by build.rs from `assets/i18n/<lang>.toml` into keys and texts
/// sorted by key: nothing is parsed at start-up. Each is one string and the offsets where its
/// keys and texts begin (`Strings`), so that the loader has no pointer in them to relocate.
mod compiled {
    include!(concat!(env!("OUT_DIR"), "/catalogs.rs"));
}

/// A compiled catalog: entry i's key is `text[at[2i]..at[2i+1]]` and its string
/// `text[at[2i+1]..at[2i+2]]`, the keys in byte order.
#[derive(Debug, Clone, Copy)]
struct Strings {
    text: &'static str,
    at: &'static [u32],
}

impl Strings {
    fn len(&self) -> usize {
        self.at.len().saturating_sub(1) / 2
    }

    /// The `n`th piece (`2i` a key, `2i + 1` its string); empty past the end.
    fn piece(&self, n: usize) -> &'static str {
        let (Some(&a), Some(&b)) = (self.at.get(n), self.at.get(n + 1)) else {
            return "";
        };
        self.text.get(a as usize..b as usize).unwrap_or("")
    }

    fn key(&self, i: usize) -> &'static str {
        self.piece(2 * i)
    }

    /// Entry i's key as bytes: compared in the search without checking where characters
    /// begin (byte order is `str`'s order), which `str::get` would at every step.
    fn key_bytes(&self, i: usize) -> &'static [u8] {
        let (Some(&a), Some(&b)) = (self.at.get(2 * i), self.at.get(2 * i + 1)) else {
            return &[];
        };
        self.text
            .as_bytes()
            .get(a as usize..b as usize)
            .unwrap_or(&[])
    }

    fn get(&self, key: &str) -> Option<&'static str> {
        let key = key.as_bytes();
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key_bytes(mid).cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(self.piece(2 * mid + 1)),
            }
        }
        None
    }
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub lang: &'static str,
    strings: Strings,
    fallback: Option<&'static Catalog>,
}

static EN_CAT: Catalog = Catalog {
    lang: "en",
    strings: Strings {
        text: compiled::EN_TEXT,
        at: &compiled::EN_AT,
    },
    fallback: None,
};
static RU_CAT: Catalog = Catalog {
    lang: "ru",
    strings: Strings {
        text: compiled::RU_TEXT,
        at: &compiled::RU_AT,
    },
    fallback: Some(&EN_CAT),
};
static UK_CAT: Catalog = Catalog {
    lang: "uk",
    strings: Strings {
        text: compiled::UK_TEXT,
        at: &compiled::UK_AT,
    },
    fallback: Some(&EN_CAT),
};

/// Picks a language from a `LANG`-style value: `ru_RU.UTF-8` → ru, `uk_UA` → uk, else en.
pub fn language_from_locale(locale: &str) -> &'static str {
    let l = locale.to_ascii_lowercase();
    if l.starts_with("ru") {
        "ru"
    } else if l.starts_with("uk") {
        "uk"
    } else {
        "en"
    }
}

impl Catalog {
    pub fn english() -> &'static Catalog {
        &EN_CAT
    }

    /// The catalog for "en", "ru" or "uk" (anything else: English).
    pub fn for_lang(lang: &str) -> &'static Catalog {
        match lang {
            "ru" => &RU_CAT,
            "uk" => &UK_CAT,
            _ => &EN_CAT,
        }
    }

    pub fn keys(&self) -> impl Iterator<Item = &'static str> {
        let strings = self.strings;
        (0..strings.len()).map(move |i| strings.key(i))
    }

    fn get(&self, key: &str) -> Option<&'static str> {
        self.strings.get(key)
    }

    /// The string for `key` as the catalog holds it (for what needs a `'static` text), falling
    /// back to English; None where no catalog has it.
    pub fn text(&self, key: &str) -> Option<&'static str> {
        self.get(key)
            .or_else(|| self.fallback.and_then(|f| f.text(key)))
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The string for `key`, or the key itself when no catalog has it.
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        match self.get(key) {
            Some(s) => s,
            None => match self.fallback {
                Some(f) => f.t(key),
                None => key,
            },
        }
    }

    /// The string for `key` with `{name}` placeholders filled.
    pub fn f(&self, key: &str, args: &[(&str, String)]) -> String {
        let mut s = self.t(key).to_string();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), value);
        }
        s
    }

    /// A message in this language, its placeholders filled (terms and inner messages said in
    /// this language too).
    pub fn say(&self, m: &Message) -> String {
        let args: Vec<(&str, String)> = m
            .args
            .iter()
            .map(|(name, a)| {
                let v = match a {
                    Arg::Text(t) => t.clone(),
                    Arg::Term(k) => self.t(k).to_string(),
                    Arg::Said(inner) => self.say(inner),
                    Arg::Id(section, id) => self.id(section, id),
                    Arg::Refused(r) => self.refusal(r),
                };
                (*name, v)
            })
            .collect();
        self.f(m.key, &args)
    }

    /// A status's label: the config's `label`, else the catalog's, else its id.
    pub fn status(&self, id: &str, label: Option<&str>) -> String {
        if let Some(l) = label {
            return l.to_string();
        }
        let key = format!("status.{id}");
        let s = self.t(&key);
        if s == key {
            id.to_string()
        } else {
            s.to_string()
        }
    }

    pub fn outcome(&self, o: Outcome) -> &str {
        self.t(match o {
            Outcome::Granted => "outcome.granted",
            Outcome::Refused => "outcome.refused",
            Outcome::Partial => "outcome.partial",
            Outcome::Clarification => "outcome.clarification",
            Outcome::Invalid => "outcome.invalid",
        })
    }

    pub fn priority(&self, p: Priority) -> &str {
        self.t(match p {
            Priority::Low => "priority.low",
            Priority::Normal => "priority.normal",
            Priority::High => "priority.high",
            Priority::Urgent => "priority.urgent",
        })
    }

    pub fn status_category(&self, c: StatusCategory) -> &str {
        self.t(match c {
            StatusCategory::Initial => "status_category.initial",
            StatusCategory::Active => "status_category.active",
            StatusCategory::Waiting => "status_category.waiting",
            StatusCategory::Done => "status_category.done",
            StatusCategory::Closed => "status_category.closed",
        })
    }

    /// Any catalog entry addressed by a section and a stable id (`channel.phone`, `role.admin`).
    pub fn id(&self, section: &str, id: &str) -> String {
        let key = format!("{section}.{id}");
        let s = self.t(&key);
        if s == key {
            id.to_string()
        } else {
            s.to_string()
        }
    }

    /// A mistake in a query, with its column: one line.
    pub fn query_error(&self, e: &crate::core::query::lang::QueryError) -> String {
        self.say(&e.message())
    }

    pub fn refusal(&self, r: &Refusal) -> String {
        let (key, mut args) = r.key_args();
        // Actions and roles in people's words, not the ids the code uses.
        match r {
            Refusal::RoleNeeded {
                action,
                detail,
                needed,
                have,
            } => {
                let act = self.id("action", action.as_str());
                let or = format!(" {} ", self.t("refusal.or"));
                args = vec![
                    (
                        "action",
                        match detail {
                            Some(d) => format!("{act} ({d})"),
                            None => act,
                        },
                    ),
                    (
                        "needed",
                        needed
                            .iter()
                            .map(|r| self.id("role", &r.to_string()))
                            .collect::<Vec<_>>()
                            .join(&or),
                    ),
                    ("have", self.id("role", &have.to_string())),
                ];
            }
            Refusal::CannotOwn { role, .. } => {
                for a in args.iter_mut().filter(|(k, _)| *k == "role") {
                    a.1 = self.id("role", &role.to_string());
                }
            }
            Refusal::AlreadyLinked { role, .. } => {
                for a in args.iter_mut().filter(|(k, _)| *k == "role") {
                    a.1 = self.t(&format!("link.{role}")).to_string();
                }
            }
            _ => {}
        }
        self.f(&format!("refusal.{key}"), &args)
    }
}

/// A message in English (logs, tests, and errors of the libraries that want a `Display`).
impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&Catalog::english().say(self))
    }
}

impl std::error::Error for Message {}

/// The `{name}` placeholders of a text (tests check that translations keep them).
#[cfg(test)]
pub(crate) fn placeholders(s: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let mut rest = s;
    while let Some(start) = rest.find('{') {
        match rest[start..].find('}') {
            Some(end) => {
                out.insert(rest[start..start + end + 1].to_string());
                rest = &rest[start + end + 1..];
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: &str = include_str!("../assets/i18n/en.toml");
    const RU: &str = include_str!("../assets/i18n/ru.toml");
    const UK: &str = include_str!("../assets/i18n/uk.toml");

    fn flatten(prefix: &str, table: &toml::Table, out: &mut Vec<(String, String)>) {
        for (k, v) in table {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::String(s) => out.push((key, s.clone())),
                toml::Value::Table(t) => flatten(&key, t, out),
                _ => {}
            }
        }
    }

    /// The compiled catalogs (one string and its offsets) hold exactly the files' strings:
    /// every key, in byte order, found by the look-up, with its own text.
    #[test]
    fn the_compiled_catalogs_hold_every_string_of_their_files() {
        for (lang, file) in [("en", EN), ("ru", RU), ("uk", UK)] {
            let cat = Catalog::for_lang(lang);
            let table: toml::Table = file.parse().expect("parses");
            let mut want = Vec::new();
            flatten("", &table, &mut want);
            want.sort();
            let keys: Vec<&str> = cat.keys().collect();
            assert_eq!(keys.len(), want.len(), "{lang}: as many keys");
            for (got, (key, text)) in keys.iter().zip(&want) {
                assert_eq!(got, key, "{lang}: the keys in order");
                assert_eq!(cat.get(key), Some(text.as_str()), "{lang}: {key}");
            }
            assert_eq!(cat.get("no.such.key"), None);
            assert_eq!(cat.get(""), None);
            assert_eq!(cat.get("zzzz"), None);
        }
    }

    #[test]
    fn every_catalog_parses_and_has_every_english_key() {
        let en = Catalog::english();
        assert!(en.keys().count() > 50);
        for lang in ["ru", "uk"] {
            let cat = Catalog::for_lang(lang);
            let text = if lang == "ru" { RU } else { UK };
            assert!(text.parse::<toml::Table>().is_ok(), "{lang} parses");
            let mut missing: Vec<&str> = en.keys().filter(|k| !cat.has(k)).collect();
            missing.sort();
            assert!(missing.is_empty(), "{lang} lacks {missing:?}");
            let mut extra: Vec<&str> = cat.keys().filter(|k| !en.has(k)).collect();
            extra.sort();
            assert!(extra.is_empty(), "{lang} has keys English lacks: {extra:?}");
            for k in en.keys() {
                assert_eq!(
                    placeholders(en.t(k)),
                    placeholders(cat.t(k)),
                    "{lang}: placeholders of {k}"
                );
            }
        }
    }

    /// What the rules, the store and the shared code say, whichever front end shows it.
    const SHARED_SECTIONS: [&str; 9] = [
        "error.",
        "refusal.",
        "chain.",
        "check.",
        "config.",
        "template.",
        "keys.",
        "number.",
        "attach.",
    ];

    #[test]
    fn what_the_store_says_names_no_flag_and_is_said_in_every_language() {
        let en = Catalog::english();
        for k in en
            .keys()
            .filter(|k| SHARED_SECTIONS.iter().any(|s| k.starts_with(s)))
        {
            // The command line adds its own flags (cli.hint); the desk has none to name.
            assert!(
                !en.t(k)
                    .split_whitespace()
                    .any(|w| w.trim_start_matches('(').starts_with("--")),
                "{k} names a command-line flag: {}",
                en.t(k)
            );
            // Said, not left in English (messages of placeholders, names from desk.toml and
            // punctuation alone aside).
            let mut bare = String::new();
            let mut inside = false;
            for c in en.t(k).chars() {
                match c {
                    '{' | '[' => inside = true,
                    '}' | ']' => inside = false,
                    c if !inside => bare.push(c),
                    _ => {}
                }
            }
            let words = bare
                .split_whitespace()
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
                .filter(|w| w.len() > 3 && w.chars().all(char::is_alphabetic))
                .count();
            for lang in ["ru", "uk"] {
                let cat = Catalog::for_lang(lang);
                assert!(
                    words < 2 || cat.t(k) != en.t(k),
                    "{lang}: {k} is still English: {}",
                    cat.t(k)
                );
            }
        }
    }

    #[test]
    fn an_error_is_said_in_the_readers_language_with_its_values() {
        use crate::error::Error;
        let e = Error::NotFound(crate::msg!("error.no_agent", login = "nobody"));
        assert_eq!(e.message(Catalog::english()), "no agent 'nobody'");
        assert_eq!(
            e.message(Catalog::for_lang("ru")),
            "нет сотрудника 'nobody'"
        );
        assert_eq!(
            e.message(Catalog::for_lang("uk")),
            "немає працівника 'nobody'"
        );
        let io = Error::Invalid(crate::msg!(
            "error.file.read",
            file = "/x",
            why = crate::error::io(&std::io::Error::from(std::io::ErrorKind::PermissionDenied))
        ));
        assert_eq!(
            io.message(Catalog::for_lang("uk")),
            "не вдалося прочитати /x: доступ заборонено"
        );
        let bad: Result<crate::core::model::Priority, _> = "soon".parse();
        assert_eq!(
            Catalog::for_lang("ru").say(&bad.expect_err("not a priority")),
            "неизвестное значение «приоритет»: 'soon' (допустимо: low, normal, high, urgent)"
        );
    }

    #[test]
    fn compiled_catalogs_are_sorted_for_binary_search() {
        for lang in ["en", "ru", "uk"] {
            let keys: Vec<&str> = Catalog::for_lang(lang).keys().collect();
            assert!(
                keys.windows(2).all(|w| w[0] < w[1]),
                "{lang} sorted, no repeats"
            );
            assert!(keys.iter().all(|k| Catalog::for_lang(lang).has(k)));
        }
        assert_eq!(Catalog::english().t("status.new"), "New");
        assert_eq!(Catalog::english().t("no.such.key"), "no.such.key");
    }

    #[test]
    fn messages_say_their_terms_and_inner_messages_in_the_language() {
        use crate::error::{Arg, Message};
        let m = Message::new(
            "check.owner_history",
            vec![
                ("owner", Arg::Term("term.nobody")),
                ("last", crate::msg!("check.integrity", detail = "x").into()),
            ],
        );
        assert_eq!(
            Catalog::english().say(&m),
            "is assigned to nobody but its history last gave it to integrity: x"
        );
        assert_eq!(
            Catalog::for_lang("uk").say(&m),
            "виконавець: ніхто, а за історією останнім його отримав: цілісність: x"
        );
    }

    #[test]
    fn statuses_are_translated() {
        assert_eq!(Catalog::for_lang("ru").status("new", None), "Новое");
        assert_eq!(Catalog::for_lang("ru").status("closed", None), "Закрыто");
        assert_eq!(Catalog::for_lang("uk").status("resolved", None), "Вирішено");
        assert_eq!(
            Catalog::english().status("custom_thing", None),
            "custom_thing"
        );
        assert_eq!(Catalog::english().status("new", Some("Fresh")), "Fresh");
    }

    #[test]
    fn every_refusal_has_a_message() {
        use crate::core::model::{OutcomeNote, Role};
        use crate::core::rights::Action;
        let samples = vec![
            Refusal::UnknownStatus {
                status: "x".into(),
                known: vec!["a".into()],
            },
            Refusal::CurrentStatusUnknown { status: "x".into() },
            Refusal::AlreadyInStatus { status: "x".into() },
            Refusal::NoTransition {
                from: "a".into(),
                to: "b".into(),
                allowed: vec!["c".into()],
            },
            Refusal::NoTransition {
                from: "a".into(),
                to: "b".into(),
                allowed: vec![],
            },
            Refusal::ByAssignment { to: "x".into() },
            Refusal::RoleNeeded {
                action: Action::TakeOver,
                detail: None,
                needed: vec![Role::Admin],
                have: Role::Operator,
            },
            Refusal::NotYours { owner: "x".into() },
            Refusal::OutcomeRequired {
                status: "x".into(),
                allowed: vec![Outcome::Granted],
            },
            Refusal::OutcomeNotAllowed {
                status: "x".into(),
                outcome: Outcome::Granted,
                allowed: vec![Outcome::Refused],
            },
            Refusal::OutcomeNotAllowed {
                status: "x".into(),
                outcome: Outcome::Granted,
                allowed: vec![],
            },
            Refusal::NoteRequired {
                outcome: Outcome::Refused,
                note: OutcomeNote::Reason,
            },
            Refusal::NoteRequired {
                outcome: Outcome::Partial,
                note: OutcomeNote::NextSteps,
            },
            Refusal::NoteRequired {
                outcome: Outcome::Clarification,
                note: OutcomeNote::Question,
            },
            Refusal::FieldRequired {
                field: "reason",
                transition: "reopen".into(),
            },
            Refusal::NoOutcome {
                status: "closed".into(),
            },
            Refusal::AlreadyYours,
            Refusal::AlreadyAssigned { to: "x".into() },
            Refusal::NotAssigned,
            Refusal::AlreadyInGroup { group: "x".into() },
            Refusal::AgentInactive { login: "x".into() },
            Refusal::CannotOwn {
                login: "x".into(),
                role: Role::Viewer,
            },
            Refusal::ReasonRequired {
                action: Action::TakeOver,
            },
            Refusal::ReasonRequired {
                action: Action::Give,
            },
            Refusal::ReasonRequired {
                action: Action::Unassign,
            },
            Refusal::TicketClosed {
                status: "closed".into(),
            },
            Refusal::Stale {
                by: "x".into(),
                at: "now".into(),
            },
            Refusal::NotRatable { status: "x".into() },
            Refusal::AlreadyRated,
            Refusal::RatingRange { given: 9 },
            Refusal::EmptyText { field: "comment" },
            Refusal::UndoNotYours,
            Refusal::UndoChanged {
                by: "x".into(),
                at: "now".into(),
            },
            Refusal::UndoClosed,
            Refusal::NothingToChange,
            Refusal::RerouteWithoutCategory,
            Refusal::RerouteAndGroup,
            Refusal::MergeSelf,
            Refusal::AlreadyMerged {
                number: "a".into(),
                into: "b".into(),
            },
            Refusal::MergeFinished { status: "x".into() },
            Refusal::NoClosingStatus,
            Refusal::LinkSelf,
            Refusal::AlreadyLinked {
                other: "x".into(),
                role: "parent",
            },
            Refusal::NotLinked { other: "x".into() },
        ];
        for lang in ["en", "ru", "uk"] {
            let cat = Catalog::for_lang(lang);
            for r in &samples {
                let text = cat.refusal(r);
                assert!(
                    !text.starts_with("refusal."),
                    "{lang}: {r:?} has no message"
                );
                assert!(
                    !text.contains('{'),
                    "{lang}: unfilled placeholder in {text}"
                );
            }
        }
    }

    #[test]
    fn locale_detection() {
        assert_eq!(language_from_locale("ru_RU.UTF-8"), "ru");
        assert_eq!(language_from_locale("uk_UA.UTF-8"), "uk");
        assert_eq!(language_from_locale("C.UTF-8"), "en");
        assert_eq!(language_from_locale(""), "en");
    }
}
