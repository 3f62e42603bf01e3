//! E-mail addresses and message identifiers, checked as far as a desk needs: an address it
//! will write to must be a plain `local@domain` of printable ASCII, and a Message-ID it puts in
//! its own headers must be a well-formed `<id@domain>`. Anything else is treated as absent.

/// The longest address accepted (RFC 5321 limits a path to 256 octets).
pub const MAX_ADDRESS: usize = 254;

/// The longest Message-ID kept (RFC 5322 lines are at most 998 octets; real ids are short).
pub const MAX_MESSAGE_ID: usize = 250;

fn atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c)
}

/// A bare address `local@domain`, lower-cased domain; None when it is not one.
pub fn parse_address(s: &str) -> Option<String> {
    let s = s.trim();
    if s.len() > MAX_ADDRESS {
        return None;
    }
    let (local, domain) = s.rsplit_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local.chars().all(atext)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = !domain.is_empty()
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    (local_ok && domain_ok).then(|| format!("{local}@{}", domain.to_ascii_lowercase()))
}

/// `Name <address>` or a bare address, as written in the configuration.
pub fn parse_mailbox(s: &str) -> Option<super::config::Mailbox> {
    let s = s.trim();
    match (s.rfind('<'), s.ends_with('>')) {
        (Some(open), true) => {
            let name = s[..open].trim().trim_matches('"').trim();
            if name.chars().any(|c| c.is_control()) {
                return None;
            }
            Some(super::config::Mailbox {
                name: name.to_string(),
                address: parse_address(&s[open + 1..s.len() - 1])?,
            })
        }
        (None, false) => Some(super::config::Mailbox {
            name: String::new(),
            address: parse_address(s)?,
        }),
        _ => None,
    }
}

/// The e-mail address in a ticket's contact field ("a.karimov@example.com",
/// "Olena <o@example.org>, +380 67 …", "mailto:x@y.org"), if it holds one.
pub fn address_in(contact: &str) -> Option<String> {
    contact
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')'))
        .map(|w| {
            w.trim_start_matches("mailto:")
                .trim_matches(|c| c == '"' || c == '\'')
        })
        .filter(|w| w.contains('@'))
        .find_map(parse_address)
}

/// A phone number in a ticket's contact field: the first run of at least 6 digits, written
/// with the usual separators (`+380 67 412 1190`, `(044) 123-45-67`).
pub fn phone_in(contact: &str) -> Option<String> {
    let mut best: Option<String> = None;
    let mut current = String::new();
    let mut digits = 0;
    let flush = |current: &mut String, digits: &mut usize, best: &mut Option<String>| {
        if *digits >= 6 && best.is_none() {
            *best = Some(
                current
                    .trim()
                    .trim_end_matches(['-', '('])
                    .trim()
                    .to_string(),
            );
        }
        current.clear();
        *digits = 0;
    };
    for c in contact.chars() {
        if c.is_ascii_digit() {
            current.push(c);
            digits += 1;
        } else if matches!(c, '+' | ' ' | '-' | '(' | ')' | '.')
            && (digits > 0 || c == '+' || c == '(')
        {
            current.push(c);
        } else {
            flush(&mut current, &mut digits, &mut best);
        }
    }
    flush(&mut current, &mut digits, &mut best);
    best
}

/// A Message-ID fit to be written in our own headers: `<left@right>`, printable ASCII, no
/// spaces, not too long. Returns it with its angle brackets.
pub fn message_id(s: &str) -> Option<String> {
    let s = s.trim();
    let inner = s.strip_prefix('<').unwrap_or(s);
    let inner = inner.strip_suffix('>').unwrap_or(inner);
    let ok = !inner.is_empty()
        && inner.len() + 2 <= MAX_MESSAGE_ID
        && inner.contains('@')
        && inner
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '\\' | ',' | ';'));
    ok.then(|| format!("<{inner}>"))
}

/// Every Message-ID in a header value such as References ("<a@b> <c@d>"), in order.
pub fn message_ids(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        if let Some(id) = message_id(&rest[open..open + close + 1])
            && !out.contains(&id)
        {
            out.push(id);
        }
        rest = &rest[open + close + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            parse_address("A.Karimov@Example.COM").as_deref(),
            Some("A.Karimov@example.com")
        );
        for bad in [
            "",
            "no-at",
            "@example.org",
            "a@",
            "a b@example.org",
            "a@exa mple.org",
            "a@-x.org",
            "a..b@x.org",
            "a@x..org",
            "ж@x.org",
            "a@x.org\r\nBcc: victim@y.org",
        ] {
            assert_eq!(parse_address(bad), None, "{bad:?}");
        }
        let long = format!("{}@x.org", "a".repeat(300));
        assert_eq!(parse_address(&long), None);
    }

    #[test]
    fn mailboxes() {
        let m = parse_mailbox("Service desk <desk@example.org>").expect("mailbox");
        assert_eq!(m.name, "Service desk");
        assert_eq!(m.address, "desk@example.org");
        assert_eq!(m.domain(), "example.org");
        let m = parse_mailbox("desk@example.org").expect("bare");
        assert_eq!(m.name, "");
        assert!(parse_mailbox("Desk <not an address>").is_none());
        assert!(parse_mailbox("Desk desk@example.org>").is_none());
    }

    #[test]
    fn contacts() {
        assert_eq!(
            address_in("a.karimov@example.com").as_deref(),
            Some("a.karimov@example.com")
        );
        assert_eq!(
            address_in("Olena <o@example.org>, +380 67 412 1190").as_deref(),
            Some("o@example.org")
        );
        assert_eq!(address_in("mailto:x@y.org").as_deref(), Some("x@y.org"));
        assert_eq!(address_in("+380 67 412 1190"), None);
        assert_eq!(address_in("at the @ sign"), None);
        assert_eq!(
            phone_in("+380 67 412 1190").as_deref(),
            Some("+380 67 412 1190")
        );
        assert_eq!(
            phone_in("Olena, tel. (044) 123-45-67 evenings").as_deref(),
            Some("(044) 123-45-67")
        );
        assert_eq!(phone_in("flat 12"), None);
        assert_eq!(phone_in("o@example.org"), None);
    }

    #[test]
    fn message_ids_are_checked() {
        assert_eq!(message_id("<a.b@c>").as_deref(), Some("<a.b@c>"));
        assert_eq!(message_id("a.b@c").as_deref(), Some("<a.b@c>"));
        assert_eq!(message_id("<no-at>"), None);
        assert_eq!(message_id("<a b@c>"), None);
        assert_eq!(message_id("<a@c>\r\nBcc: x"), None);
        assert_eq!(
            message_ids("<a@b>  <c@d>\r\n\t<a@b> junk <e f@g>"),
            vec!["<a@b>".to_string(), "<c@d>".to_string()]
        );
    }
}
