//! Notices to requesters: what each one says (templates per language in `assets/mail/`), its
//! Message-ID and threading, how a requester without an e-mail address must be told instead,
//! and when a failed delivery is tried again.

use super::address;
use crate::core::model::{Channel, NoticeKind, Outcome};
use crate::core::sanitize::{clean_line, clean_text};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

pub const EN: &str = include_str!("../../../assets/mail/en.toml");
pub const RU: &str = include_str!("../../../assets/mail/ru.toml");
pub const UK: &str = include_str!("../../../assets/mail/uk.toml");

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub subject: String,
    pub body: String,
}

/// One language's templates.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Templates {
    pub greeting: String,
    pub greeting_anonymous: String,
    pub closing: String,
    pub outcome: HashMap<String, String>,
    pub acknowledgement: Part,
    pub question: Part,
    pub decision: Part,
    pub reply: Part,
    /// The decision on a request closed as the duplicate of another.
    pub merged: Part,
    /// An escalation, to a supervisor of the ticket's group (`{requester}` is their name,
    /// `{text}` what happened, `{answer}` what the desk did).
    pub alert: Part,
}

impl Templates {
    pub fn part(&self, kind: NoticeKind) -> &Part {
        match kind {
            NoticeKind::Acknowledgement => &self.acknowledgement,
            NoticeKind::Question => &self.question,
            NoticeKind::Decision => &self.decision,
            NoticeKind::Reply => &self.reply,
            NoticeKind::Alert => &self.alert,
        }
    }
}

/// The templates of "en", "ru" or "uk" (anything else: English). The files are part of the
/// binary and tested; a broken one would give empty notices, never a crash.
pub fn templates(lang: &str) -> &'static Templates {
    static CACHE: OnceLock<[Templates; 3]> = OnceLock::new();
    let all = CACHE.get_or_init(|| {
        [EN, RU, UK].map(|text| toml::from_str::<Templates>(text).unwrap_or_default())
    });
    match lang {
        "ru" => &all[1],
        "uk" => &all[2],
        _ => &all[0],
    }
}

/// What a notice may say about its ticket.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    pub number: &'a str,
    pub subject: &'a str,
    pub requester: &'a str,
    /// When the request was registered, in the desk's time.
    pub date: &'a str,
    pub code: &'a str,
    pub desk: &'a str,
    pub signature: &'a str,
    /// The ready link to the request's status page (the desk's public address with its
    /// number and access code, `core::web::status_link`), if the address is configured.
    pub status_url: Option<&'a str>,
    pub outcome: Option<Outcome>,
    /// The outcome's note: the reason, the next steps or the question.
    pub note: Option<&'a str>,
    pub answer: Option<&'a str>,
    /// A reply's text.
    pub text: Option<&'a str>,
    /// The request a duplicate continues as (its decision says so instead of an outcome).
    pub target: Option<&'a str>,
}

/// A notice's subject and plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

/// The longest ticket subject quoted in a notice's subject line.
const SUBJECT_QUOTE: usize = 120;

/// Fills `{name}` placeholders; a line whose placeholders are all empty is dropped, and runs
/// of blank lines left behind collapse into one.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in template.lines() {
        let mut out = String::new();
        let mut rest = line;
        let (mut any, mut filled) = (false, false);
        while let Some(open) = rest.find('{') {
            let Some(close) = rest[open..].find('}') else {
                break;
            };
            let name = &rest[open + 1..open + close];
            match values.iter().find(|(k, _)| *k == name) {
                Some((_, v)) => {
                    out.push_str(&rest[..open]);
                    out.push_str(v);
                    any = true;
                    filled |= !v.trim().is_empty();
                }
                None => out.push_str(&rest[..open + close + 1]),
            }
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        if any && !filled {
            continue;
        }
        lines.push(out.trim_end().to_string());
    }
    let mut text = String::new();
    let mut blank = true;
    for l in lines.join("\n").lines() {
        if l.trim().is_empty() {
            if !blank {
                text.push('\n');
            }
            blank = true;
        } else {
            text.push_str(l);
            text.push('\n');
            blank = false;
        }
    }
    text.trim_end().to_string()
}

fn shorten(s: &str, max: usize) -> String {
    let line = clean_line(s.trim());
    if line.chars().count() <= max {
        return line.into_owned();
    }
    let mut out: String = line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Writes a notice of `kind` in `lang`.
pub fn render(kind: NoticeKind, lang: &str, f: &Facts<'_>) -> Rendered {
    let t = templates(lang);
    let text = |s: Option<&str>| clean_text(s.unwrap_or("").trim()).into_owned();
    let requester = clean_line(f.requester.trim()).into_owned();
    let greeting = if requester.is_empty() {
        t.greeting_anonymous.clone()
    } else {
        fill(&t.greeting, &[("requester", requester.clone())])
    };
    let outcome = f
        .outcome
        .and_then(|o| t.outcome.get(o.as_str()).cloned())
        .unwrap_or_default();
    let note_as = |which: &[Outcome]| match f.outcome {
        Some(o) if which.contains(&o) => text(f.note),
        _ => String::new(),
    };
    let subject_line = shorten(f.subject, SUBJECT_QUOTE);
    let values: Vec<(&str, String)> = vec![
        ("greeting", greeting),
        ("number", f.number.to_string()),
        ("subject", subject_line.clone()),
        ("requester", requester),
        ("date", f.date.to_string()),
        ("code", f.code.to_string()),
        ("desk", clean_line(f.desk).into_owned()),
        ("status_url", f.status_url.unwrap_or("").to_string()),
        ("outcome", outcome),
        (
            "reason",
            note_as(&[Outcome::Granted, Outcome::Refused, Outcome::Invalid]),
        ),
        ("next_steps", note_as(&[Outcome::Partial])),
        (
            "question",
            if kind == NoticeKind::Question {
                text(f.note)
            } else {
                String::new()
            },
        ),
        ("answer", text(f.answer)),
        ("text", text(f.text)),
        ("target", f.target.unwrap_or("").to_string()),
    ];
    let part = match f.target {
        Some(_) if kind == NoticeKind::Decision => &t.merged,
        _ => t.part(kind),
    };
    let mut body = fill(&part.body, &values);
    let closing = fill(&t.closing, &values);
    if !closing.is_empty() {
        body.push_str("\n\n");
        body.push_str(&closing);
    }
    let signature = clean_text(f.signature.trim());
    if !signature.is_empty() {
        body.push_str("\n-- \n");
        body.push_str(&signature);
    }
    body.push('\n');
    let subject = fill(&part.subject, &values);
    Rendered {
        subject: clean_line(&subject).into_owned(),
        body,
    }
}

/// A new Message-ID for a notice about ticket `number`: unique by its random part, and
/// unguessable, so that a reply naming it proves the writer received the notice.
pub fn message_id(number: &str, kind: NoticeKind, random: [u8; 12], domain: &str) -> String {
    let key: String = number
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let domain = if address::parse_address(&format!("x@{domain}")).is_some() {
        domain
    } else {
        "desk.invalid"
    };
    format!("<{key}.{}.{hex}@{domain}>", &kind.as_str()[..1])
}

/// Threading for a new message after the thread's earlier ones (oldest first): it replies to
/// the last, and References name the first and the most recent others (RFC 5322 §3.6.4 lets
/// a long list be shortened; the first keeps the thread's root).
pub fn thread(earlier: &[String]) -> (Option<String>, Vec<String>) {
    const KEEP: usize = 10;
    let ids: Vec<&String> = earlier.iter().collect();
    let Some(last) = ids.last() else {
        return (None, Vec::new());
    };
    let refs: Vec<String> = if ids.len() <= KEEP {
        ids.iter().map(|s| s.to_string()).collect()
    } else {
        std::iter::once(ids[0])
            .chain(ids[ids.len() - (KEEP - 1)..].iter().copied())
            .cloned()
            .collect()
    };
    (Some(last.to_string()), refs)
}

/// When a notice that failed temporarily for the `attempts`-th time is tried again: `base`
/// seconds after the first failure, doubling each time, at most four hours apart.
pub fn retry_at(now: i64, attempts: i64, base: i64) -> i64 {
    const MAX: i64 = 4 * 3600;
    let shift = attempts.clamp(1, 20) - 1;
    now + base.saturating_mul(1 << shift).min(MAX)
}

/// What the desk says of a notice's fate, kept with it in the outbox and said in the reader's
/// language when shown. A delivery's own diagnostic (a mail server's answer) and an operator's
/// words on how they told the requester are kept as they came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// Not sent: past `[mail] per_recipient_hour` notices to the address within an hour.
    Limit(u32),
    /// Given when the request was registered, by phone or in person.
    AtRegistration(Channel),
    /// Withdrawn: the change that wrote it was undone before it left.
    Undone,
    /// Returned by the receiving mail system (a bounce), with the reason it gave.
    Returned(Option<String>),
    /// Still failing after this many hours: given up, with the last error.
    GaveUp { hours: i64, error: String },
    /// As written: a server's answer, or how an operator told the requester.
    Text(String),
}

/// Marks a note the desk wrote (the rest of it says which and its values).
const NOTE_MARK: &str = "desk:";

impl Note {
    /// As the outbox keeps it.
    pub fn stored(&self) -> String {
        match self {
            Note::Limit(n) => format!("{NOTE_MARK}limit:{n}"),
            Note::AtRegistration(c) => format!("{NOTE_MARK}registration:{c}"),
            Note::Undone => format!("{NOTE_MARK}undone"),
            Note::Returned(why) => format!("{NOTE_MARK}returned:{}", why.as_deref().unwrap_or("")),
            Note::GaveUp { hours, error } => format!("{NOTE_MARK}gave_up:{hours}:{error}"),
            Note::Text(t) => t.clone(),
        }
    }

    /// Read back from the outbox; anything else (a server's answer, an operator's words, a
    /// note written before notes were kept this way) is text.
    pub fn read(stored: &str) -> Note {
        let text = || Note::Text(stored.to_string());
        let Some(rest) = stored.strip_prefix(NOTE_MARK) else {
            return text();
        };
        let (kind, value) = rest.split_once(':').unwrap_or((rest, ""));
        match kind {
            "limit" => value.parse().map(Note::Limit).unwrap_or_else(|_| text()),
            "registration" => value
                .parse()
                .map(Note::AtRegistration)
                .unwrap_or_else(|_| text()),
            "undone" => Note::Undone,
            "returned" => Note::Returned(Some(value.to_string()).filter(|v| !v.is_empty())),
            "gave_up" => match value.split_once(':') {
                Some((h, e)) => match h.parse() {
                    Ok(hours) => Note::GaveUp {
                        hours,
                        error: e.to_string(),
                    },
                    Err(_) => text(),
                },
                None => text(),
            },
            _ => text(),
        }
    }

    /// What to say (text from outside cleaned to one line).
    pub fn said(&self) -> crate::core::message::Message {
        use crate::core::message::id;
        use crate::msg;
        let line = |s: &str| clean_line(s).into_owned();
        match self {
            Note::Limit(n) => msg!("notice_note.limit", n = *n),
            Note::AtRegistration(c) => msg!("notice_note.registration", channel = id("channel", c)),
            Note::Undone => msg!("notice_note.undone"),
            Note::Returned(Some(why)) => msg!("notice_note.returned", why = line(why)),
            Note::Returned(None) => msg!("notice_note.returned_no_reason"),
            Note::GaveUp { hours, error } => {
                msg!("notice_note.gave_up", error = line(error), hours = *hours)
            }
            Note::Text(t) => msg!("notice_note.text", text = line(t)),
        }
    }
}

/// How a requester is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Email(String),
    /// No e-mail address; a phone number in the contact.
    Phone(String),
    /// Registered in person, no address nor phone: when they come back, or by letter.
    InPerson,
    /// Nothing to reach them by.
    Unknown,
}

/// How the requester of a ticket is reached, from its contact and channel.
pub fn reach(contact: &str, channel: Channel) -> Reach {
    if let Some(a) = address::address_in(contact) {
        return Reach::Email(a);
    }
    if let Some(p) = address::phone_in(contact) {
        return Reach::Phone(p);
    }
    if channel == Channel::InPerson {
        return Reach::InPerson;
    }
    Reach::Unknown
}

/// Whether a requester without an e-mail address was told the ticket's number (and access
/// code) at registration: the operator was talking to them, by phone or face to face.
pub fn told_at_registration(channel: Channel) -> bool {
    matches!(channel, Channel::Phone | Channel::InPerson)
}

/// Whether the acknowledgement of a request without an e-mail address was given at
/// registration: told by the operator (phone, in person), or `shown` by the program that
/// registered it (the web page shows the number and the access code).
pub fn acknowledged_at_registration(channel: Channel, shown: bool) -> bool {
    told_at_registration(channel) || shown
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::placeholders;

    #[test]
    fn every_language_has_every_template_with_the_same_placeholders() {
        for (lang, text) in [("en", EN), ("ru", RU), ("uk", UK)] {
            let t: Templates = toml::from_str(text).unwrap_or_else(|e| panic!("{lang}: {e}"));
            let en: Templates = toml::from_str(EN).expect("en");
            let parts = |t: &Templates| -> Vec<Part> {
                let mut all: Vec<Part> =
                    NoticeKind::ALL.iter().map(|k| t.part(*k).clone()).collect();
                all.push(t.merged.clone());
                all
            };
            for (kind, (a, b)) in ["acknowledgement", "question", "decision", "reply", "merged"]
                .iter()
                .zip(parts(&t).iter().zip(parts(&en).iter()))
            {
                assert!(!a.subject.is_empty() && !a.body.is_empty(), "{lang} {kind}");
                assert!(a.subject.contains("{number}"), "{lang} {kind}: number");
                assert_eq!(
                    placeholders(&a.body),
                    placeholders(&b.body),
                    "{lang} {kind}"
                );
                assert_eq!(
                    placeholders(&a.subject),
                    placeholders(&b.subject),
                    "{lang} {kind}"
                );
            }
            for o in Outcome::ALL {
                assert!(t.outcome.contains_key(o.as_str()), "{lang}: outcome {o}");
            }
        }
    }

    fn facts<'a>() -> Facts<'a> {
        Facts {
            number: "HSG-2611-00042-7",
            subject: "No heating\u{1b}[2J in flat 12",
            requester: "Olena K.",
            date: "2026-11-03 09:12",
            code: "7KQM-3XTA-PW9R",
            desk: "City desk",
            signature: "",
            status_url: None,
            outcome: None,
            note: None,
            answer: None,
            text: None,
            target: None,
        }
    }

    #[test]
    fn an_acknowledgement_says_number_code_and_what_happens_next() {
        let r = render(NoticeKind::Acknowledgement, "en", &facts());
        assert!(
            r.subject.starts_with("[HSG-2611-00042-7] "),
            "{}",
            r.subject
        );
        assert!(!r.subject.contains('\u{1b}') && !r.body.contains('\u{1b}'));
        assert!(r.body.starts_with("Dear Olena K.,"), "{}", r.body);
        assert!(r.body.contains("7KQM-3XTA-PW9R"));
        assert!(r.body.contains("What happens next"));
        assert!(
            !r.body.contains("Follow your request"),
            "no link configured"
        );
        assert!(!r.body.contains("\n\n\n"), "{}", r.body);
        let with_url = Facts {
            status_url: Some(
                "https://desk.example.org/status?number=HSG-2611-00042-7&code=7KQM-3XTA-PW9R",
            ),
            ..facts()
        };
        let r = render(NoticeKind::Acknowledgement, "en", &with_url);
        assert!(
            r.body.contains("Follow your request at any time: https://desk.example.org/status?number=HSG-2611-00042-7&code=7KQM-3XTA-PW9R\n"),
            "{}",
            r.body
        );
        let r = render(NoticeKind::Acknowledgement, "uk", &with_url);
        assert!(
            r.body.contains("https://desk.example.org/status?"),
            "{}",
            r.body
        );
        assert!(r.body.contains("за номером HSG-2611-00042-7"), "{}", r.body);
    }

    #[test]
    fn a_decision_carries_its_outcome_note_and_answer() {
        let f = Facts {
            outcome: Some(Outcome::Partial),
            note: Some("Plumber on Thursday"),
            answer: Some("We replace the valve."),
            ..facts()
        };
        let r = render(NoticeKind::Decision, "en", &f);
        assert!(r.body.contains("partly granted"), "{}", r.body);
        assert!(r.body.contains("Next steps: Plumber on Thursday"));
        assert!(!r.body.contains("Reason:"), "{}", r.body);
        assert!(r.body.contains("We replace the valve."));
        let f = Facts {
            outcome: Some(Outcome::Refused),
            note: Some("Not our building"),
            requester: "",
            ..facts()
        };
        let r = render(NoticeKind::Decision, "ru", &f);
        assert!(r.body.starts_with("Здравствуйте!"), "{}", r.body);
        assert!(r.body.contains("Причина: Not our building"), "{}", r.body);
        assert!(!r.body.contains("Дальнейшие шаги"), "{}", r.body);
    }

    #[test]
    fn a_duplicates_decision_names_the_request_it_continues_as() {
        let f = Facts {
            outcome: Some(Outcome::Invalid),
            note: Some("duplicate of HSG-2611-00040-5"),
            target: Some("HSG-2611-00040-5"),
            ..facts()
        };
        let r = render(NoticeKind::Decision, "en", &f);
        assert!(
            r.subject.starts_with(
                "[HSG-2611-00042-7] Your request continues as HSG-2611-00040-5: No heating"
            ),
            "{}",
            r.subject
        );
        assert!(
            r.body.contains("the same as request HSG-2611-00040-5"),
            "{}",
            r.body
        );
        assert!(!r.body.contains("cannot be processed"), "{}", r.body);
        let r = render(NoticeKind::Decision, "uk", &f);
        assert!(
            r.body.contains("під номером HSG-2611-00040-5"),
            "{}",
            r.body
        );
    }

    #[test]
    fn the_desks_notes_read_back_and_anything_else_is_text() {
        for n in [
            Note::Limit(20),
            Note::AtRegistration(Channel::InPerson),
            Note::Undone,
            Note::Returned(Some("550 5.1.1 no such user: a:b".into())),
            Note::Returned(None),
            Note::GaveUp {
                hours: 48,
                error: "421 try: later".into(),
            },
            Note::Text("by phone on 3 March".into()),
        ] {
            assert_eq!(Note::read(&n.stored()), n);
        }
        for raw in [
            "desk:limit:many",
            "desk:what",
            "desk:gave_up:x:y",
            "451 busy",
            "",
        ] {
            assert_eq!(Note::read(raw), Note::Text(raw.into()));
        }
        let cat = crate::i18n::Catalog::for_lang("uk");
        let said = cat.say(&Note::AtRegistration(Channel::Phone).said());
        assert!(!said.contains("phone") && !said.contains("desk:"), "{said}");
    }

    #[test]
    fn filling_drops_empty_lines_only() {
        let t = "A {x}\nB {y}\n\n\nC\nliteral {braces}";
        assert_eq!(
            fill(t, &[("x", "1".into()), ("y", String::new())]),
            "A 1\n\nC\nliteral {braces}"
        );
    }

    #[test]
    fn message_ids_are_unique_and_well_formed() {
        let a = message_id(
            "HSG-2611-00042-7",
            NoticeKind::Decision,
            [7; 12],
            "example.org",
        );
        assert_eq!(a, "<hsg2611000427.d.070707070707070707070707@example.org>");
        assert_eq!(address::message_id(&a).as_deref(), Some(a.as_str()));
        let b = message_id("X", NoticeKind::Reply, [1; 12], "bad domain");
        assert!(b.ends_with("@desk.invalid>"), "{b}");
    }

    #[test]
    fn threads_keep_the_root_and_the_latest() {
        assert_eq!(thread(&[]), (None, vec![]));
        let ids: Vec<String> = (0..15).map(|i| format!("<{i}@x>")).collect();
        let (reply_to, refs) = thread(&ids);
        assert_eq!(reply_to.as_deref(), Some("<14@x>"));
        assert_eq!(refs.len(), 10);
        assert_eq!(refs[0], "<0@x>");
        assert_eq!(refs[1], "<6@x>");
        assert_eq!(refs[9], "<14@x>");
    }

    #[test]
    fn retries_back_off_to_four_hours() {
        assert_eq!(retry_at(0, 1, 60), 60);
        assert_eq!(retry_at(0, 2, 60), 120);
        assert_eq!(retry_at(0, 3, 60), 240);
        assert_eq!(retry_at(0, 40, 60), 4 * 3600);
        assert_eq!(retry_at(100, 5, 0), 100);
    }

    #[test]
    fn requesters_are_reached_by_what_their_contact_holds() {
        assert_eq!(
            reach("o@example.org", Channel::Phone),
            Reach::Email("o@example.org".into())
        );
        assert_eq!(
            reach("+380 67 412 1190", Channel::Phone),
            Reach::Phone("+380 67 412 1190".into())
        );
        assert_eq!(reach("", Channel::InPerson), Reach::InPerson);
        assert_eq!(reach("flat 12", Channel::Web), Reach::Unknown);
    }
}
