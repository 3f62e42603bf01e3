//! The history's hash chain: one desk-wide chain over every event, so that a rewritten,
//! deleted or inserted event is found by `desk check`, and an anchor kept elsewhere proves
//! later that nothing before it changed — even by someone who could write the database file
//! and recompute every hash after their edit (root, a restored copy).
//!
//! # Canonical encoding (version 1)
//!
//! This is the contract every store implements (SQLite today, PostgreSQL later); it is also
//! written down in `docs/hash-chain.md`. Events are chained in the order of their id. Each
//! event's hash is
//!
//! ```text
//! hash(event) = SHA-256( "desk-chain-v1" 0x00
//!                        prev                      32 bytes: the previous event's hash,
//!                                                  32 zero bytes for the first event
//!                        i64(id)
//!                        str(ticket number)
//!                        i64(at)                   Unix seconds, UTC
//!                        opt(actor login)
//!                        opt(via login)            the admin behind --as
//!                        str(kind)
//!                        opt(from) opt(to) opt(text) )
//!
//! i64(n)  = 8 bytes, big-endian two's complement
//! str(s)  = u32 big-endian byte length, then the UTF-8 bytes exactly as stored
//! opt(s)  = 0x00 when absent (NULL); 0x01 then str(s) when present (an empty string is present)
//! ```
//!
//! People, tickets and values appear by what people read (logins, the ticket's number), not by
//! the store's internal ids, so the encoding means the same in every store and a renamed agent
//! or renumbered ticket breaks the chain too. The chain's *head* is the last event's id and
//! hash, printed as an *anchor*: `ID:HEX` (64 lower-case hex digits); an empty history's
//! anchor is `0:` followed by 64 zeros.
//!
//! # Desk-level events
//!
//! Changes to the desk itself — its people (agents: role, whether active or away, capacity,
//! groups, name), its groups and the configuration installed — are events of the same chain,
//! numbered in the same sequence, with no ticket: their ticket number is the empty string.
//! Their kind is `agent`, `group` or `config`; `from` names what changed (the login, the group
//! code; nothing for the configuration) and `text` is its whole state after the change, as
//! `agent_state`, `group_state` and `config_state` write it. `desk check` compares each agent
//! and group with the state the chain last recorded for it, so a role given or an account
//! added outside desk is found like an edited ticket event.

use sha2::{Digest, Sha256};

/// The previous hash of the first event.
pub const GENESIS: [u8; 32] = [0; 32];

/// Prefix of every hashed message: names the encoding and its version.
pub const DOMAIN: &[u8] = b"desk-chain-v1\0";

/// One event as the chain reads it: text fields are the bytes as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link<'a> {
    pub id: i64,
    pub ticket: &'a [u8],
    pub at: i64,
    pub actor: Option<&'a [u8]>,
    pub via: Option<&'a [u8]>,
    pub kind: &'a [u8],
    pub from: Option<&'a [u8]>,
    pub to: Option<&'a [u8]>,
    pub text: Option<&'a [u8]>,
}

fn put_str(h: &mut Sha256, s: &[u8]) {
    // Longer than 4 GiB cannot be stored (SQLite's limit is 1 GB); saturate rather than wrap.
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    h.update(len.to_be_bytes());
    h.update(s);
}

fn put_opt(h: &mut Sha256, s: Option<&[u8]>) {
    match s {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            put_str(h, s);
        }
    }
}

/// The hash of `link` chained after `prev`.
pub fn hash(prev: &[u8; 32], link: &Link<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(prev);
    h.update(link.id.to_be_bytes());
    put_str(&mut h, link.ticket);
    h.update(link.at.to_be_bytes());
    put_opt(&mut h, link.actor);
    put_opt(&mut h, link.via);
    put_str(&mut h, link.kind);
    put_opt(&mut h, link.from);
    put_opt(&mut h, link.to);
    put_opt(&mut h, link.text);
    h.finalize().into()
}

/// Kinds of desk-level events (see the module's text).
pub const AGENT: &str = "agent";
pub const GROUP: &str = "group";
pub const CONFIG: &str = "config";

/// An agent's state as a desk-level event records it:
/// `role=ROLE active=0|1 away=0|1 capacity=N groups=CODE,CODE [mail=ADDRESS ]name=NAME` —
/// the group codes sorted, the mail address only when the agent has one (it holds no space),
/// the name last and as stored (it may hold spaces and `=`).
pub fn agent_state(
    role: &str,
    active: bool,
    away: bool,
    capacity: i64,
    groups: &[String],
    mail: Option<&str>,
    name: &str,
) -> String {
    let mut groups = groups.to_vec();
    groups.sort();
    groups.dedup();
    let mail = match mail {
        Some(m) if !m.is_empty() => format!("mail={m} "),
        _ => String::new(),
    };
    format!(
        "role={role} active={} away={} capacity={capacity} groups={} {mail}name={name}",
        u8::from(active),
        u8::from(away),
        groups.join(",")
    )
}

/// A group's state as a desk-level event records it: `auto_assign=0|1 name=NAME`.
pub fn group_state(auto_assign: bool, name: &str) -> String {
    format!("auto_assign={} name={name}", u8::from(auto_assign))
}

/// An installed configuration as a desk-level event records it: `sha256:HEX BYTES` of its text.
pub fn config_state(text: &[u8]) -> String {
    format!("sha256:{} {}", hex(&Sha256::digest(text)), text.len())
}

/// The request as intake took it: subject, body, requester and contact, fixed by a seal in
/// the ticket's `created` event so that `desk check` finds any of them changed outside desk
/// (edits are `field` events, from → to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    pub subject: &'a str,
    pub body: &'a str,
    pub requester: &'a str,
    pub contact: &'a str,
}

/// Prefix of a request's seals: names the encoding and its version.
const REQUEST_DOMAIN: &[u8] = b"desk-request-v1\0";

/// The request's fields in the order its seal holds them.
pub const REQUEST_FIELDS: [&str; 4] = ["subject", "body", "requester", "contact"];

/// One field's seal: the first 128 bits of SHA-256("desk-request-v1" 0x00 str(field)
/// str(value)), in lower-case hex — enough that no one finds another value with the same seal,
/// short enough for a million tickets' histories.
pub fn field_seal(field: &str, value: &str) -> String {
    let mut h = Sha256::new();
    h.update(REQUEST_DOMAIN);
    put_str(&mut h, field.as_bytes());
    put_str(&mut h, value.as_bytes());
    hex(&h.finalize()[..16])
}

impl Request<'_> {
    /// The fields' values in the order of `REQUEST_FIELDS`.
    pub fn values(&self) -> [&str; 4] {
        [self.subject, self.body, self.requester, self.contact]
    }
}

/// The request's seal: `v1:` then each field's seal, in the order of `REQUEST_FIELDS`, joined
/// by dots.
pub fn request_seal(r: &Request<'_>) -> String {
    let seals: Vec<String> = REQUEST_FIELDS
        .iter()
        .zip(r.values())
        .map(|(f, v)| field_seal(f, v))
        .collect();
    format!("v1:{}", seals.join("."))
}

/// The fields' seals a request's seal holds (None: not one this version writes).
pub fn seals(seal: &str) -> Option<[&str; 4]> {
    let mut parts = seal.strip_prefix("v1:")?.split('.');
    let s = [parts.next()?, parts.next()?, parts.next()?, parts.next()?];
    parts.next().is_none().then_some(s)
}

/// The text of a ticket's `created` event: `channel|category|priority|SEAL` (the last part
/// the request's seal; histories written before it have the first three only).
pub fn created_text(channel: &str, category: &str, priority: &str, r: &Request<'_>) -> String {
    format!("{channel}|{category}|{priority}|{}", request_seal(r))
}

/// A `created` event's text read back: channel, category, priority and, when recorded, the
/// request's seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreatedText<'a> {
    pub channel: &'a str,
    pub category: &'a str,
    pub priority: &'a str,
    pub seal: Option<&'a str>,
}

/// Reads a `created` event's text; None when it does not have at least three parts.
pub fn parse_created(text: &str) -> Option<CreatedText<'_>> {
    let mut parts = text.splitn(4, '|');
    Some(CreatedText {
        channel: parts.next()?,
        category: parts.next()?,
        priority: parts.next()?,
        seal: parts.next(),
    })
}

/// The head of a chain: the last event's id and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anchor {
    pub id: i64,
    pub hash: [u8; 32],
}

impl Anchor {
    /// The anchor of an empty history.
    pub const EMPTY: Anchor = Anchor {
        id: 0,
        hash: GENESIS,
    };
}

impl std::fmt::Display for Anchor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.id, hex(&self.hash))
    }
}

impl std::str::FromStr for Anchor {
    type Err = crate::core::message::Message;
    fn from_str(s: &str) -> Result<Anchor, Self::Err> {
        let bad = || {
            crate::msg!(
                "error.anchor",
                value = crate::core::sanitize::clean_line(s.trim()).into_owned()
            )
        };
        let (id, hex_part) = s.trim().split_once(':').ok_or_else(bad)?;
        let id: i64 = id.parse().map_err(|_| bad())?;
        let hash = unhex(hex_part).ok_or_else(bad)?;
        if id < 0 {
            return Err(bad());
        }
        Ok(Anchor { id, hash })
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let s = s.as_bytes();
    if s.len() != 64 {
        return None;
    }
    let digit = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    let mut out = [0u8; 32];
    for (i, pair) in s.chunks(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {

    #[test]
    fn desk_states_are_written_one_way() {
        assert_eq!(
            agent_state(
                "operator",
                true,
                false,
                20,
                &["IT".into(), "FRONT".into(), "IT".into()],
                None,
                "Petro = P. Hnatyuk"
            ),
            "role=operator active=1 away=0 capacity=20 groups=FRONT,IT name=Petro = P. Hnatyuk"
        );
        assert_eq!(
            agent_state("admin", false, true, 0, &[], None, "root"),
            "role=admin active=0 away=1 capacity=0 groups= name=root"
        );
        assert_eq!(
            agent_state(
                "supervisor",
                true,
                false,
                5,
                &["IT".into()],
                Some("v@x.org"),
                "V"
            ),
            "role=supervisor active=1 away=0 capacity=5 groups=IT mail=v@x.org name=V"
        );
        assert_eq!(group_state(true, "Housing"), "auto_assign=1 name=Housing");
        assert_eq!(
            config_state(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 3"
        );
    }

    use super::*;

    fn link<'a>(id: i64, text: Option<&'a [u8]>) -> Link<'a> {
        Link {
            id,
            ticket: b"HSG-2611-00042-7",
            at: 1_790_000_000,
            actor: Some(b"olena"),
            via: None,
            kind: b"comment",
            from: None,
            to: None,
            text,
        }
    }

    /// A fixed vector: any change to the encoding changes it, and the PostgreSQL store must
    /// reproduce it byte for byte.
    #[test]
    fn a_created_text_reads_back_with_its_request() {
        let r = Request {
            subject: "Printer",
            body: "It jams|often",
            requester: "Ann",
            contact: "ann@example.org",
        };
        let text = created_text("email", "GEN", "normal", &r);
        let c = parse_created(&text).unwrap();
        assert_eq!(
            (c.channel, c.category, c.priority),
            ("email", "GEN", "normal")
        );
        let seal = c.seal.unwrap();
        let each = seals(seal).unwrap();
        assert_eq!(each[1], field_seal("body", "It jams|often"));
        assert_eq!(each[3], field_seal("contact", "ann@example.org"));
        assert_ne!(field_seal("body", "It jams"), each[1]);
        // The field's name is sealed too: the same text as another field differs.
        assert_ne!(field_seal("subject", "Ann"), each[2]);
        assert_eq!(each[0].len(), 32);
        assert_eq!(seals("v1:a.b.c"), None);
        assert_eq!(seals("v2:a.b.c.d"), None);
        let old = parse_created("web|GEN|high").unwrap();
        assert_eq!((old.priority, old.seal), ("high", None));
        assert_eq!(parse_created("web|GEN"), None);
    }

    #[test]
    fn the_encoding_is_pinned() {
        let h = hash(&GENESIS, &link(1, Some(b"called back")));
        let mut m = Vec::new();
        m.extend_from_slice(b"desk-chain-v1\0");
        m.extend_from_slice(&[0u8; 32]);
        m.extend_from_slice(&1i64.to_be_bytes());
        m.extend_from_slice(&16u32.to_be_bytes());
        m.extend_from_slice(b"HSG-2611-00042-7");
        m.extend_from_slice(&1_790_000_000i64.to_be_bytes());
        m.extend_from_slice(&[1, 0, 0, 0, 5]);
        m.extend_from_slice(b"olena");
        m.push(0);
        m.extend_from_slice(&7u32.to_be_bytes());
        m.extend_from_slice(b"comment");
        m.push(0);
        m.push(0);
        m.extend_from_slice(&[1, 0, 0, 0, 11]);
        m.extend_from_slice(b"called back");
        let want: [u8; 32] = Sha256::digest(&m).into();
        assert_eq!(h, want);
        assert_eq!(
            hex(&h),
            "bcccf49f163c108c5d32ab958c41753aa71d126596ca85388c11655d1cfade77"
        );
    }

    #[test]
    fn absent_and_empty_differ_and_fields_do_not_run_together() {
        assert_ne!(
            hash(&GENESIS, &link(1, None)),
            hash(&GENESIS, &link(1, Some(b"")))
        );
        let mut a = link(1, None);
        a.from = Some(b"ab");
        a.to = Some(b"c");
        let mut b = link(1, None);
        b.from = Some(b"a");
        b.to = Some(b"bc");
        assert_ne!(hash(&GENESIS, &a), hash(&GENESIS, &b));
    }

    #[test]
    fn every_field_and_the_previous_hash_count() {
        let base = link(7, Some(b"x"));
        let h = hash(&GENESIS, &base);
        assert_ne!(hash(&[1; 32], &base), h);
        let variants = [
            Link { id: 8, ..base },
            Link {
                ticket: b"HSG-2611-00042-8",
                ..base
            },
            Link { at: 1, ..base },
            Link {
                actor: Some(b"petro"),
                ..base
            },
            Link {
                via: Some(b"admin"),
                ..base
            },
            Link {
                kind: b"reply",
                ..base
            },
            Link {
                from: Some(b"x"),
                ..base
            },
            Link {
                to: Some(b"x"),
                ..base
            },
            Link {
                text: Some(b"y"),
                ..base
            },
        ];
        for v in variants {
            assert_ne!(hash(&GENESIS, &v), h, "{v:?}");
        }
    }

    #[test]
    fn anchors_print_and_parse() {
        let a = Anchor {
            id: 42,
            hash: hash(&GENESIS, &link(42, None)),
        };
        let text = a.to_string();
        assert_eq!(text.parse::<Anchor>(), Ok(a));
        assert_eq!(Anchor::EMPTY.to_string(), format!("0:{}", "0".repeat(64)));
        for bad in ["", "12", "x:00", "1:abc", &format!("-1:{}", "0".repeat(64))] {
            assert!(bad.parse::<Anchor>().is_err(), "{bad}");
        }
        assert_eq!(
            format!(" 42:{} ", hex(&a.hash).to_uppercase()).parse::<Anchor>(),
            Ok(a)
        );
    }
}
