//! A message that came in, read into what the desk needs: who wrote, what it answers, what it
//! says (as text, whatever its charset or HTML), whether a program sent it (auto-replies,
//! bounces, lists: they never trigger a notice), and which of our messages a bounce returns.
//! Reading never fails: any input, however malformed, gives a defined result.

use super::{access, address};
use crate::core::sanitize::{clean_line, normalize_input};
use mail_parser::{MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// Why a message is taken as sent by a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Automatic {
    /// `Auto-Submitted:` other than `no` (RFC 3834): auto-replies, notifications.
    AutoSubmitted(String),
    /// `Precedence: bulk | junk | list`.
    Precedence(String),
    /// A mailing list (`List-Id`, `List-Unsubscribe`).
    List,
    /// Empty envelope sender (`Return-Path: <>`): a bounce or another automatic report.
    NullSender,
    /// From a mail system's own mailbox (mailer-daemon, postmaster).
    Daemon(String),
    /// A delivery or read report (`multipart/report`).
    Report,
    /// An auto-responder's own marks (`X-Autoreply`, `X-Autorespond`).
    Autoresponder,
}

impl Automatic {
    /// Words for a note on the ticket.
    pub fn describe(&self) -> String {
        match self {
            Automatic::AutoSubmitted(v) => format!("Auto-Submitted: {v}"),
            Automatic::Precedence(v) => format!("Precedence: {v}"),
            Automatic::List => "mailing list".into(),
            Automatic::NullSender => "empty return path".into(),
            Automatic::Daemon(a) => format!("from {a}"),
            Automatic::Report => "delivery report".into(),
            Automatic::Autoresponder => "auto-responder".into(),
        }
    }
}

/// A file that came with a message: the name it came with (or one made from its type) and
/// its decoded content. The desk keeps it with the ticket (`[attachments]` permitting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub data: Vec<u8>,
}

/// A name for a part that came without one, from its type: "attachment.pdf", "message.eml".
fn name_for_type(c_type: &str, c_subtype: Option<&str>) -> String {
    let t = c_type.to_ascii_lowercase();
    let sub = c_subtype.unwrap_or("").to_ascii_lowercase();
    let ext = match (t.as_str(), sub.as_str()) {
        ("message", _) => return "message.eml".into(),
        ("text", "plain") => "txt",
        ("text", "html") => "html",
        ("image", "jpeg") => "jpg",
        (_, "octet-stream") | (_, "") => return "attachment".into(),
        (_, s) if s.len() <= 10 && s.chars().all(|c| c.is_ascii_alphanumeric()) => s,
        _ => return "attachment".into(),
    };
    format!("attachment.{ext}")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inbound {
    /// The message's Message-ID, or (without a usable one) one derived from its content, so
    /// a re-delivery is still recognised.
    pub message_id: String,
    /// The sender's address, when it is one the desk could write to.
    pub from: Option<String>,
    /// The sender's display name, one line.
    pub from_name: String,
    /// One line, at most `SUBJECT_CHARS` characters (longer ones are shortened with "…").
    pub subject: String,
    /// The text as written (plain part, else the HTML part as text), line ends normalised;
    /// kept faithfully and cleaned where it is shown.
    pub text: String,
    /// Message-IDs this one answers: In-Reply-To, then References.
    pub answers: Vec<String>,
    pub automatic: Option<Automatic>,
    /// For a bounce: the Message-IDs of the returned message, and the reason given.
    pub returned: Vec<String>,
    pub diagnostic: Option<String>,
    pub attachments: Vec<Attachment>,
    /// The requester's language, when the message says or its text shows it.
    pub language: Option<&'static str>,
    /// The whole message's size in bytes.
    pub size: usize,
    /// Bigger than the desk accepts: only its header was read.
    pub too_big: bool,
    /// Access codes the subject or text quotes, to be looked up.
    pub codes: Vec<String>,
}

/// The longest subject kept (a ticket's subject limit).
pub const SUBJECT_CHARS: usize = crate::core::model::limits::SUBJECT_CHARS;

/// How many quoted access codes are looked up at most.
const CODES: usize = 20;

fn header(m: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    m.header_raw(name)
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|v| !v.is_empty())
}

/// Shortens a one-line text to `max` characters, marking the cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Where the header ends in a raw message (the first empty line), or the whole of it.
fn header_end(raw: &[u8]) -> usize {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|p| p + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b).unwrap_or(raw.len()),
    }
}

/// Reads a message. `raw` holds the message, or only its beginning when `size` (its whole
/// length) is over the desk's limit: then only the header is read.
pub fn read(raw: &[u8], size: usize, limit: usize) -> Inbound {
    let too_big = size > limit;
    let raw = if too_big {
        &raw[..header_end(raw).min(raw.len())]
    } else {
        raw
    };
    let parsed = MessageParser::default().parse(raw);
    let Some(m) = parsed else {
        return Inbound {
            message_id: derived_id(raw, size),
            from: None,
            from_name: String::new(),
            subject: String::new(),
            text: normalize_input(&String::from_utf8_lossy(raw)),
            answers: Vec::new(),
            automatic: None,
            returned: Vec::new(),
            diagnostic: None,
            attachments: Vec::new(),
            language: None,
            size,
            too_big,
            codes: Vec::new(),
        };
    };
    let own_id = header(&m, "Message-ID")
        .map(|v| address::message_ids(&v))
        .and_then(|ids| ids.into_iter().next());
    let sender = m.from().and_then(|a| a.first());
    let from = sender
        .and_then(|a| a.address.as_deref())
        .and_then(address::parse_address);
    let from_name = sender
        .and_then(|a| a.name.as_deref())
        .map(|n| {
            shorten(
                clean_line(n.trim()).trim(),
                crate::core::model::limits::NAME_CHARS,
            )
        })
        .unwrap_or_default();
    let subject = shorten(
        clean_line(m.subject().unwrap_or("").trim()).trim(),
        SUBJECT_CHARS,
    );
    let answers = answers(&m);
    let text = if too_big { String::new() } else { text_of(&m) };
    let attachments = attachments(&m);
    let automatic = automatic(&m, from.as_deref());
    let (returned, diagnostic) = if matches!(
        automatic,
        Some(Automatic::Report | Automatic::Daemon(_) | Automatic::NullSender)
    ) {
        returned(raw)
    } else {
        (Vec::new(), None)
    };
    let language = header(&m, "Content-Language")
        .and_then(|l| language_tag(&l))
        .or_else(|| guess_language(&format!("{subject}\n{text}")));
    let codes = codes(&subject, &text);
    Inbound {
        message_id: own_id.unwrap_or_else(|| derived_id(raw, size)),
        from,
        from_name,
        subject,
        text,
        answers,
        automatic,
        returned,
        diagnostic,
        attachments,
        language,
        size,
        too_big,
        codes,
    }
}

/// The Message-IDs a message answers (In-Reply-To, then References), each once.
fn answers(m: &mail_parser::Message<'_>) -> Vec<String> {
    let mut answers = Vec::new();
    for name in ["In-Reply-To", "References"] {
        for id in header(m, name)
            .map(|v| address::message_ids(&v))
            .unwrap_or_default()
        {
            if !answers.contains(&id) {
                answers.push(id);
            }
        }
    }
    answers
}

/// The message's text parts, one after another.
fn text_of(m: &mail_parser::Message<'_>) -> String {
    let parts: Vec<String> = (0..m.text_body_count())
        .filter_map(|i| m.body_text(i))
        .map(|t| normalize_input(&t).trim_end().to_string())
        .filter(|t| !t.trim().is_empty())
        .collect();
    parts.join("\n\n")
}

/// The files a message brings, each named (by its type when it has no name).
fn attachments(m: &mail_parser::Message<'_>) -> Vec<Attachment> {
    m.attachments()
        .map(|p| Attachment {
            name: p
                .attachment_name()
                .map(|n| clean_line(n.trim()).trim().to_string())
                .filter(|n| !n.is_empty())
                .or_else(|| {
                    p.content_type()
                        .map(|ct| name_for_type(&ct.c_type, ct.c_subtype.as_deref()))
                })
                .unwrap_or_else(|| "attachment".into()),
            data: p.contents().to_vec(),
        })
        .collect()
}

/// The access codes quoted in the subject, then the text: at most `CODES`, each once.
fn codes(subject: &str, text: &str) -> Vec<String> {
    let mut codes = access::find_in(subject, CODES);
    for c in access::find_in(text, CODES) {
        if codes.len() < CODES && !codes.contains(&c) {
            codes.push(c);
        }
    }
    codes
}

/// A Message-ID for a message without a usable one: its content's hash, so the same message
/// delivered twice is still recognised.
fn derived_id(raw: &[u8], size: usize) -> String {
    let mut h = Sha256::new();
    h.update(raw);
    h.update(size.to_le_bytes());
    let hex: String = h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("<sha256.{hex}@desk.invalid>")
}

fn automatic(m: &mail_parser::Message<'_>, from: Option<&str>) -> Option<Automatic> {
    if let Some(v) = header(m, "Auto-Submitted")
        && !v.trim().eq_ignore_ascii_case("no")
    {
        return Some(Automatic::AutoSubmitted(shorten(&clean_line(&v), 60)));
    }
    if m.content_type().is_some_and(|ct| {
        ct.c_type.eq_ignore_ascii_case("multipart")
            && ct
                .c_subtype
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    }) {
        return Some(Automatic::Report);
    }
    if let Some(v) = header(m, "Precedence") {
        let v = v.trim().to_ascii_lowercase();
        if matches!(v.as_str(), "bulk" | "junk" | "list" | "auto_reply") {
            return Some(Automatic::Precedence(v));
        }
    }
    if let Some(rp) = header(m, "Return-Path")
        && rp.replace(' ', "") == "<>"
    {
        return Some(Automatic::NullSender);
    }
    if let Some(f) = from {
        let local = f.split('@').next().unwrap_or("").to_ascii_lowercase();
        if matches!(
            local.as_str(),
            "mailer-daemon" | "postmaster" | "mail-daemon"
        ) {
            return Some(Automatic::Daemon(f.to_string()));
        }
    }
    if header(m, "X-Autoreply").is_some()
        || header(m, "X-Autorespond").is_some()
        || header(m, "X-Auto-Response-Suppress")
            .is_some_and(|v| v.to_ascii_lowercase().contains("oof"))
    {
        return Some(Automatic::Autoresponder);
    }
    if header(m, "List-Id").is_some() || header(m, "List-Unsubscribe").is_some() {
        return Some(Automatic::List);
    }
    None
}

/// In a bounce: the Message-IDs of the returned message (its `Message-ID:` lines) and the
/// first diagnostic the report gives.
fn returned(raw: &[u8]) -> (Vec<String>, Option<String>) {
    let text = String::from_utf8_lossy(raw);
    let mut ids = Vec::new();
    let mut diagnostic = None;
    for line in text.lines() {
        let lower = line.to_ascii_lowercase();
        if let Some(rest) = lower
            .strip_prefix("message-id:")
            .map(|_| &line["message-id:".len()..])
        {
            for id in address::message_ids(rest) {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        if diagnostic.is_none()
            && let Some(rest) = lower
                .strip_prefix("diagnostic-code:")
                .map(|_| &line["diagnostic-code:".len()..])
        {
            let d = clean_line(rest.trim()).into_owned();
            if !d.is_empty() {
                diagnostic = Some(shorten(&d, 300));
            }
        }
    }
    if diagnostic.is_none() {
        diagnostic = text
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("status:")
                    .map(|_| l["status:".len()..].trim().to_string())
            })
            .filter(|s| !s.is_empty())
            .map(|s| shorten(&clean_line(&s), 100));
    }
    (ids, diagnostic)
}

/// "uk-UA", "ru", "en-GB, fr" → the first language the desk writes in.
fn language_tag(v: &str) -> Option<&'static str> {
    v.split(',')
        .find_map(|t| match t.trim().to_ascii_lowercase().get(..2)? {
            "en" => Some("en"),
            "ru" => Some("ru"),
            "uk" => Some("uk"),
            _ => None,
        })
}

/// The language a text is written in, if it clearly is one the desk writes: Cyrillic text is
/// Ukrainian when it uses letters only Ukrainian has (і ї є ґ) more than letters only Russian
/// has (ы э ъ ё), else Russian; Latin text is English.
pub fn guess_language(text: &str) -> Option<&'static str> {
    let (mut cyr, mut lat, mut uk, mut ru) = (0usize, 0usize, 0usize, 0usize);
    for c in text.chars().take(20_000) {
        match c {
            'і' | 'ї' | 'є' | 'ґ' | 'І' | 'Ї' | 'Є' | 'Ґ' => {
                uk += 1;
                cyr += 1;
            }
            'ы' | 'э' | 'ъ' | 'ё' | 'Ы' | 'Э' | 'Ъ' | 'Ё' => {
                ru += 1;
                cyr += 1;
            }
            '\u{0400}'..='\u{04FF}' => cyr += 1,
            'a'..='z' | 'A'..='Z' => lat += 1,
            _ => {}
        }
    }
    if cyr >= 10 && cyr > lat {
        Some(if uk > ru { "uk" } else { "ru" })
    } else if lat >= 10 && lat > cyr * 4 {
        Some("en")
    } else {
        None
    }
}

/// Text cut to at most `limit` bytes (on a character boundary) with a note saying what was
/// left out; the text itself when it fits.
pub fn fit(text: &str, limit: usize, note: impl FnOnce(usize) -> String) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let note = note(text.len());
    let keep = limit.saturating_sub(note.len() + 2);
    let mut cut = keep.min(text.len());
    while cut > 0 && !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}\n\n{note}", &text[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_without_a_name_are_named_by_their_type() {
        assert_eq!(name_for_type("application", Some("pdf")), "attachment.pdf");
        assert_eq!(name_for_type("IMAGE", Some("JPEG")), "attachment.jpg");
        assert_eq!(name_for_type("text", Some("plain")), "attachment.txt");
        assert_eq!(name_for_type("message", Some("rfc822")), "message.eml");
        assert_eq!(
            name_for_type("application", Some("octet-stream")),
            "attachment"
        );
        assert_eq!(
            name_for_type("application", Some("vnd.ms-excel")),
            "attachment"
        );
        assert_eq!(name_for_type("image", None), "attachment");
    }

    fn msg(headers: &str, body: &str) -> Vec<u8> {
        format!("{headers}\r\n\r\n{body}").into_bytes()
    }

    #[test]
    fn a_plain_reply_is_read() {
        let raw = msg(
            "From: \"Olena K.\" <olena@example.org>\r\nTo: desk@example.org\r\n\
             Subject: Re: [HSG-2611-00042-7] We need more information\r\n\
             Message-ID: <abc@mail.example.org>\r\nIn-Reply-To: <hsg.q.1@example.org>\r\n\
             References: <orig@mail.example.org> <hsg.q.1@example.org>",
            "Flat 12, third floor.\r\n",
        );
        let m = read(&raw, raw.len(), 1 << 20);
        assert_eq!(m.message_id, "<abc@mail.example.org>");
        assert_eq!(m.from.as_deref(), Some("olena@example.org"));
        assert_eq!(m.from_name, "Olena K.");
        assert_eq!(
            m.answers,
            vec![
                "<hsg.q.1@example.org>".to_string(),
                "<orig@mail.example.org>".to_string()
            ]
        );
        assert_eq!(m.text, "Flat 12, third floor.");
        assert_eq!(m.automatic, None);
    }

    #[test]
    fn programs_are_recognised() {
        for (h, want) in [
            ("Auto-Submitted: auto-replied", "Auto-Submitted"),
            ("Precedence: bulk", "Precedence"),
            ("Return-Path: <>", "empty return path"),
            ("List-Id: <news.example.org>", "mailing list"),
            ("X-Autoreply: yes", "auto-responder"),
        ] {
            let raw = msg(&format!("From: a@example.org\r\nSubject: x\r\n{h}"), "hi");
            let m = read(&raw, raw.len(), 1 << 20);
            let why = m.automatic.map(|a| a.describe()).unwrap_or_default();
            assert!(why.contains(want), "{h}: {why}");
        }
        let raw = msg("From: a@example.org\r\nAuto-Submitted: no", "hi");
        assert_eq!(read(&raw, raw.len(), 1 << 20).automatic, None);
        let raw = msg(
            "From: MAILER-DAEMON@mx.example.org\r\nSubject: failure",
            "x",
        );
        assert!(matches!(
            read(&raw, raw.len(), 1 << 20).automatic,
            Some(Automatic::Daemon(_))
        ));
    }

    #[test]
    fn a_bounce_names_the_returned_message() {
        let raw = msg(
            "From: MAILER-DAEMON@mx.example.org\r\nTo: desk@example.org\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"",
            "--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\
             --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n\
             Final-Recipient: rfc822; gone@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\
             Diagnostic-Code: smtp; 550 5.1.1 <gone@example.net>: user unknown\r\n\
             --b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: desk@example.org\r\n\
             Message-ID: <hsg.d.abc@example.org>\r\nSubject: [HSG] Decision\r\n--b--\r\n",
        );
        let m = read(&raw, raw.len(), 1 << 20);
        assert_eq!(m.automatic, Some(Automatic::Report));
        assert_eq!(m.returned, vec!["<hsg.d.abc@example.org>".to_string()]);
        assert!(
            m.diagnostic
                .as_deref()
                .is_some_and(|d| d.contains("user unknown")),
            "{:?}",
            m.diagnostic
        );
    }

    #[test]
    fn hostile_headers_stay_one_harmless_line() {
        let raw = msg(
            "From: =?utf-8?b?QWRtaW4bWzJKIDxhZG1pbkBkZXNrPg==?= <evil@example.net>\r\n\
             Subject: =?utf-8?q?Hi=0D=0ABcc=3A_x=1B]0;pwned=07?=",
            "\u{1b}[31mred\u{1b}[0m",
        );
        let m = read(&raw, raw.len(), 1 << 20);
        assert_eq!(m.from.as_deref(), Some("evil@example.net"));
        assert!(!m.from_name.chars().any(crate::core::sanitize::is_unsafe));
        assert!(!m.subject.chars().any(crate::core::sanitize::is_unsafe));
        assert!(!m.subject.contains('\n'));
        // The text is kept as written; it is cleaned where it is shown.
        assert!(m.text.contains("red"));
    }

    #[test]
    fn html_only_and_charsets() {
        let raw = msg(
            "From: a@example.org\r\nContent-Type: text/html; charset=utf-8",
            "<html><body><p>Hello <b>desk</b></p><script>alert(1)</script></body></html>",
        );
        let m = read(&raw, raw.len(), 1 << 20);
        assert!(m.text.contains("Hello"), "{:?}", m.text);
        assert!(!m.text.contains("<b>"), "{:?}", m.text);
        let mut raw =
            b"From: a@example.org\r\nContent-Type: text/plain; charset=koi8-u\r\n\r\n".to_vec();
        raw.extend_from_slice(&[0xf0, 0xd2, 0xc9, 0xd7, 0xa6, 0xd4]); // "Привіт"
        let m = read(&raw, raw.len(), 1 << 20);
        assert_eq!(m.text, "Привіт");
        let mut raw =
            b"From: a@example.org\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n".to_vec();
        raw.extend_from_slice(&[0xcf, 0xf0, 0xe8, 0xe2, 0xb3, 0xf2]); // cp1251 declared as UTF-8
        let m = read(&raw, raw.len(), 1 << 20);
        assert!(!m.text.is_empty());
        let raw = msg(
            "From: a@example.org\r\nContent-Type: text/plain; charset=x-no-such-charset",
            "plain words",
        );
        assert!(read(&raw, raw.len(), 1 << 20).text.contains("plain words"));
    }

    #[test]
    fn too_big_messages_keep_their_header_only() {
        let raw = msg(
            "From: a@example.org\r\nSubject: scans\r\nMessage-ID: <big@x>",
            &"A".repeat(5000),
        );
        let m = read(&raw[..200], 30 << 20, 1 << 20);
        assert!(m.too_big);
        assert_eq!(m.size, 30 << 20);
        assert_eq!(m.subject, "scans");
        assert_eq!(m.message_id, "<big@x>");
        assert!(m.text.is_empty());
    }

    #[test]
    fn garbage_still_gives_a_defined_result() {
        for raw in [
            &b""[..],
            b"\0\0\0\xff\xfe",
            b"no header at all",
            b":\r\n:\r\n\r\n",
        ] {
            let a = read(raw, raw.len(), 1 << 20);
            let b = read(raw, raw.len(), 1 << 20);
            assert_eq!(a.message_id, b.message_id, "stable for the same bytes");
            assert!(address::message_id(&a.message_id).is_some());
        }
    }

    #[test]
    fn languages() {
        assert_eq!(
            guess_language("Добрий день, у квартирі немає опалення"),
            Some("uk")
        );
        assert_eq!(
            guess_language("Здравствуйте, в квартире нет отопления, всё плохо"),
            Some("ru")
        );
        assert_eq!(
            guess_language("Hello, there is no heating in flat 12"),
            Some("en")
        );
        assert_eq!(guess_language("12 34"), None);
        assert_eq!(language_tag("uk-UA"), Some("uk"));
        assert_eq!(language_tag("de, ru"), Some("ru"));
    }

    #[test]
    fn fitting_cuts_on_a_character_and_says_so() {
        assert_eq!(fit("short", 100, |_| "cut".into()), "short");
        let long = "ж".repeat(100);
        let out = fit(&long, 51, |n| format!("[{n} bytes]"));
        assert!(out.len() <= 51, "{}", out.len());
        assert!(out.ends_with("[200 bytes]"));
    }
}
