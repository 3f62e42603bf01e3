//! Answers from templates (`[[answer]]` in desk.toml): the letters a desk writes again and
//! again ("documents were not provided within 30 days"), kept once, per language, offered for
//! an outcome and/or some categories, and filled in with the ticket's facts. The text chosen
//! stays editable: a template only starts the answer.

use super::message::Message;
use super::model::Outcome;
use crate::msg;

/// The languages an answer may be written in (those of the desk's catalogs).
pub const LANGUAGES: [&str; 3] = ["en", "ru", "uk"];

/// The placeholders a template may use, each `{name}`; `{{` and `}}` write a brace.
pub const PLACEHOLDERS: [&str; 9] = [
    "number",
    "subject",
    "requester",
    "registered",
    "today",
    "deadline",
    "agent",
    "category",
    "desk",
];

/// One answer from a template.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    /// How it is chosen (`--template NAME`): letters, digits, `_` and `-`.
    pub name: String,
    /// Offered when choosing this outcome (None: offered for replies, and for any outcome).
    pub outcome: Option<Outcome>,
    /// Offered for tickets of these categories (empty: every category).
    pub categories: Vec<String>,
    /// The text in each language it is written in (language, text).
    pub texts: Vec<(String, String)>,
    /// The outcome's note (reason, next steps or question) in each language, if it sets one.
    pub notes: Vec<(String, String)>,
}

impl Answer {
    /// The text in `lang`, else in `fallback`, else the first one written.
    pub fn text(&self, lang: &str, fallback: &str) -> (&str, &str) {
        self.texts
            .iter()
            .find(|(l, _)| l == lang)
            .or_else(|| self.texts.iter().find(|(l, _)| l == fallback))
            .or_else(|| self.texts.first())
            .map(|(l, t)| (l.as_str(), t.as_str()))
            .unwrap_or(("", ""))
    }

    /// The note in the language its text is in (`text(..).0`), else the first one written.
    pub fn note(&self, lang: &str) -> Option<&str> {
        self.notes
            .iter()
            .find(|(l, _)| l == lang)
            .or_else(|| self.notes.first())
            .map(|(_, n)| n.as_str())
    }

    /// Whether it is offered for a ticket of `category` when choosing `outcome` (None: a
    /// reply, where only answers without an outcome are offered).
    pub fn offered(&self, outcome: Option<Outcome>, category: &str) -> bool {
        let for_outcome = match (self.outcome, outcome) {
            (None, _) => true,
            (Some(mine), Some(o)) => mine == o,
            (Some(_), None) => false,
        };
        for_outcome && (self.categories.is_empty() || self.categories.iter().any(|c| c == category))
    }
}

/// The answers offered for a ticket of `category` when choosing `outcome` (None: a reply):
/// those made for that outcome first, then the general ones, each group in the file's order.
pub fn offered<'a>(all: &'a [Answer], outcome: Option<Outcome>, category: &str) -> Vec<&'a Answer> {
    let mut out: Vec<&Answer> = all
        .iter()
        .filter(|a| a.outcome.is_some() && a.offered(outcome, category))
        .collect();
    out.extend(
        all.iter()
            .filter(|a| a.outcome.is_none() && a.offered(outcome, category)),
    );
    out
}

/// What a template's placeholders stand for. Each is plain text, already as the requester
/// should read it (dates in the desk's time).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub number: String,
    pub subject: String,
    pub requester: String,
    pub registered: String,
    pub today: String,
    /// The ticket's resolution target, if it has one.
    pub deadline: String,
    /// The agent writing.
    pub agent: String,
    pub category: String,
    pub desk: String,
}

impl Facts {
    fn get(&self, name: &str) -> Option<&str> {
        Some(match name {
            "number" => &self.number,
            "subject" => &self.subject,
            "requester" => &self.requester,
            "registered" => &self.registered,
            "today" => &self.today,
            "deadline" => &self.deadline,
            "agent" => &self.agent,
            "category" => &self.category,
            "desk" => &self.desk,
            _ => return None,
        })
    }
}

/// A template's pieces: literal text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Brace(char),
    Field(&'a str),
}

fn pieces(text: &str) -> Result<Vec<Piece<'_>>, Message> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        if i > 0 {
            out.push(Piece::Text(&rest[..i]));
        }
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push(Piece::Brace(if tail.starts_with('{') { '{' } else { '}' }));
            rest = &tail[2..];
            continue;
        }
        if tail.starts_with('}') {
            return Err(msg!("answer.unopened"));
        }
        let Some(end) = tail.find('}') else {
            return Err(msg!("answer.unclosed"));
        };
        let name = &tail[1..end];
        if !PLACEHOLDERS.contains(&name) {
            return Err(msg!(
                "answer.unknown_placeholder",
                placeholder = format!("{{{}}}", super::sanitize::clean_line(name)),
                known = PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        out.push(Piece::Field(name));
        rest = &tail[end + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

/// Checks a template's text: every placeholder known, every brace paired.
pub fn check(text: &str) -> Result<(), Message> {
    pieces(text).map(|_| ())
}

/// Fills a template in. A template that does not check (it cannot come from a loaded
/// configuration) is returned as written.
pub fn fill(text: &str, facts: &Facts) -> String {
    let Ok(pieces) = pieces(text) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len() + 64);
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Brace(c) => out.push(c),
            Piece::Field(f) => out.push_str(facts.get(f).unwrap_or("")),
        }
    }
    // A template's lines may end in spaces the file's layout left; the answer does not.
    out.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// Whether a name may name an answer.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Finds an answer by name, ignoring case.
pub fn find<'a>(all: &'a [Answer], name: &str) -> Option<&'a Answer> {
    let name = name.trim();
    all.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(name: &str, outcome: Option<Outcome>, cats: &[&str]) -> Answer {
        Answer {
            name: name.into(),
            outcome,
            categories: cats.iter().map(|c| c.to_string()).collect(),
            texts: vec![
                ("en".into(), format!("{name} in English")),
                ("uk".into(), format!("{name} українською")),
            ],
            notes: vec![("uk".into(), "примітка".into())],
        }
    }

    #[test]
    fn templates_are_filled_in() {
        let f = Facts {
            number: "SOC-2611-00042-7".into(),
            requester: "Olena K.".into(),
            deadline: "2026-12-23".into(),
            ..Facts::default()
        };
        assert_eq!(
            fill(
                "Dear {requester},   \nplease send the documents for {number} by {deadline}. {{sic}}\n",
                &f
            ),
            "Dear Olena K.,\nplease send the documents for SOC-2611-00042-7 by 2026-12-23. {sic}"
        );
        assert!(check("{number} and {deadline}").is_ok());
        let e = check("Dear {name}").expect_err("unknown");
        assert_eq!(e.key, "answer.unknown_placeholder");
        assert_eq!(e.arg("placeholder"), Some(&"{name}".into()));
        assert!(check("an open { brace").is_err());
        assert!(check("a lone } brace").is_err());
        assert!(check("{{ and }} are braces").is_ok());
        // Facts are text, never read as placeholders again.
        let f = Facts {
            subject: "{number}".into(),
            number: "X".into(),
            ..Facts::default()
        };
        assert_eq!(fill("{subject} {number}", &f), "{number} X");
    }

    #[test]
    fn what_is_offered_where() {
        let all = vec![
            answer("hello", None, &[]),
            answer("documents_missing", Some(Outcome::Refused), &["SOC", "DOC"]),
            answer("granted", Some(Outcome::Granted), &[]),
        ];
        let names =
            |o, c| -> Vec<String> { offered(&all, o, c).iter().map(|a| a.name.clone()).collect() };
        assert_eq!(names(None, "SOC"), ["hello"]);
        assert_eq!(
            names(Some(Outcome::Refused), "SOC"),
            ["documents_missing", "hello"]
        );
        assert_eq!(names(Some(Outcome::Refused), "HSG"), ["hello"]);
        assert_eq!(names(Some(Outcome::Granted), "HSG"), ["granted", "hello"]);
        // The requester's language, else the desk's, else the first written.
        let a = &all[1];
        assert_eq!(a.text("uk", "en").0, "uk");
        assert_eq!(a.text("ru", "en").0, "en");
        assert_eq!(a.text("ru", "ru").0, "en");
        assert_eq!(a.note("en"), Some("примітка"));
        assert_eq!(
            find(&all, " Documents_Missing ").map(|a| a.name.as_str()),
            Some("documents_missing")
        );
        assert!(find(&all, "nope").is_none());
        assert!(valid_name("no-documents_30d"));
        assert!(!valid_name("no documents"));
        assert!(!valid_name(""));
    }
}
