//! `[mail]` of `desk.toml`: where notices come from, how they leave, which events send them,
//! how delivery is retried, and what mail in accepts. Pure: validated from the parsed file.

use super::address;
use crate::core::config::{Checker, ConfigError, LANGUAGES};
use crate::core::message::Message;
use crate::core::model::NoticeKind;
use crate::msg;
use serde::Deserialize;
use std::path::PathBuf;
use toml::Spanned;

/// How an SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Security {
    /// TLS from the first byte (`smtps://`, port 465).
    Tls,
    /// STARTTLS, required (`smtp://`).
    StartTls,
    /// STARTTLS when the server offers it (`?tls=opportunistic`).
    Opportunistic,
    /// No encryption (`?tls=none`): only for a relay on this host.
    None,
}

/// Where `desk mail send` hands messages over.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Transport {
    /// Not configured: no e-mail notices are queued.
    Off,
    Smtp {
        host: String,
        port: u16,
        security: Security,
    },
    /// The host's sendmail program (run only by the mail service, never set-id).
    Sendmail(PathBuf),
    /// A folder of `.eml` files (offices that print letters).
    Dir(PathBuf),
}

impl Transport {
    pub fn is_on(&self) -> bool {
        !matches!(self, Transport::Off)
    }

    /// The transport as written in the configuration, for messages.
    pub fn describe(&self) -> String {
        match self {
            Transport::Off => "off".into(),
            Transport::Smtp {
                host,
                port,
                security,
            } => {
                let (scheme, tls) = match security {
                    Security::Tls => ("smtps", ""),
                    Security::StartTls => ("smtp", ""),
                    Security::Opportunistic => ("smtp", "?tls=opportunistic"),
                    Security::None => ("smtp", "?tls=none"),
                };
                format!("{scheme}://{host}:{port}{tls}")
            }
            Transport::Sendmail(p) => format!("sendmail:{}", p.display()),
            Transport::Dir(p) => format!("dir:{}", p.display()),
        }
    }
}

/// A mailbox: a display name (possibly empty) and an address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mailbox {
    pub name: String,
    pub address: String,
}

impl Mailbox {
    /// The domain part of the address.
    pub fn domain(&self) -> &str {
        self.address.rsplit('@').next().unwrap_or("localhost")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MailConfig {
    /// Who notices come from. Required when a transport is set.
    pub from: Option<Mailbox>,
    /// Where requesters' answers should go (the address `desk mail in` receives), if not `from`.
    pub reply_to: Option<Mailbox>,
    pub transport: Transport,
    /// A file with the SMTP user name and password, readable only by the desk.
    pub credentials: Option<PathBuf>,
    /// Extra certificate authority (PEM) trusted for the SMTP server.
    pub ca_file: Option<PathBuf>,
    /// Which events send a notice.
    pub notify: Vec<NoticeKind>,
    /// The requesters' language when a ticket does not say (None: the desk's language).
    pub language: Option<String>,
    /// Seconds a notice waits before it may leave (an undone change withdraws it meanwhile).
    pub hold: i64,
    /// Seconds before the first retry after a temporary failure; doubles, at most 4 hours.
    pub retry: i64,
    /// Seconds after which a notice still not delivered fails for good.
    pub give_up: i64,
    /// At most this many notices to one address in an hour.
    pub per_recipient_hour: u32,
    /// How many connections (or sendmail processes) deliver at once.
    pub connections: usize,
    /// The largest incoming message whose text is kept, in bytes.
    pub max_size: usize,
    /// The only login `desk mail in` accepts (None: any agent with role mail).
    pub intake_user: Option<String>,
    /// Text closing every notice.
    pub signature: String,
}

impl Default for MailConfig {
    fn default() -> MailConfig {
        MailConfig {
            from: None,
            reply_to: None,
            transport: Transport::Off,
            credentials: None,
            ca_file: None,
            notify: NoticeKind::ALL.to_vec(),
            language: None,
            hold: 60,
            retry: 60,
            give_up: 2 * 86_400,
            per_recipient_hour: 20,
            connections: 4,
            max_size: 10 << 20,
            intake_user: None,
            signature: String::new(),
        }
    }
}

impl MailConfig {
    /// Whether notices of this kind are mailed.
    pub fn sends(&self, kind: NoticeKind) -> bool {
        self.transport.is_on() && self.notify.contains(&kind)
    }
}

/// A size: bytes, or a string with a unit ("512KB", "10MB": binary multiples).
#[derive(Deserialize)]
#[serde(untagged)]
pub enum RawSize {
    Bytes(u64),
    Text(String),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawMail {
    #[serde(default)]
    from: Option<Spanned<String>>,
    #[serde(default)]
    reply_to: Option<Spanned<String>>,
    #[serde(default)]
    transport: Option<Spanned<String>>,
    #[serde(default)]
    credentials: Option<String>,
    #[serde(default)]
    ca_file: Option<String>,
    #[serde(default)]
    notify: Option<Vec<NoticeKind>>,
    #[serde(default)]
    language: Option<Spanned<String>>,
    #[serde(default)]
    hold: Option<Spanned<String>>,
    #[serde(default)]
    retry: Option<Spanned<String>>,
    #[serde(default)]
    give_up: Option<Spanned<String>>,
    #[serde(default)]
    per_recipient_hour: Option<u32>,
    #[serde(default)]
    connections: Option<usize>,
    #[serde(default)]
    max_size: Option<Spanned<RawSize>>,
    #[serde(default)]
    intake_user: Option<String>,
    #[serde(default)]
    signature: Option<String>,
}

/// Seconds in "0", "30s", "10m", "4h", "2d", "1w" (several parts add up: "1h 30m").
pub fn parse_seconds(s: &str) -> Result<i64, Message> {
    let bad = || msg!("config.mail.duration", value = s);
    let mut total: i64 = 0;
    let mut any = false;
    for part in s.split_whitespace() {
        let split = part
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(part.len());
        let (num, unit) = part.split_at(split);
        let n: i64 = num.parse().map_err(|_| bad())?;
        let unit_secs = match unit {
            "" if n == 0 => 0,
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return Err(bad()),
        };
        total = total.saturating_add(n.saturating_mul(unit_secs));
        any = true;
    }
    if any { Ok(total) } else { Err(bad()) }
}

fn parse_size(raw: &RawSize) -> Result<usize, Message> {
    match raw {
        RawSize::Bytes(n) => usize::try_from(*n).map_err(|_| msg!("config.size", value = *n)),
        RawSize::Text(s) => {
            // As [attachments] writes sizes ("10M"), or with a B ("10MB", "512 KiB").
            let t = s.trim();
            let upper = t.to_ascii_uppercase();
            let short = upper
                .strip_suffix("IB")
                .or_else(|| upper.strip_suffix('B'))
                .unwrap_or(&upper)
                .trim_end();
            let n = crate::core::attach::parse_size(short)
                .map_err(|_| msg!("config.size", value = t))?;
            usize::try_from(n).map_err(|_| msg!("config.size", value = t))
        }
    }
}

/// Reads `smtp://host:port[?tls=…]`, `smtps://host:port`, `sendmail[:PATH]`, `dir:PATH`.
pub fn parse_transport(s: &str) -> Result<Transport, Message> {
    let s = s.trim();
    if s.is_empty() || s == "off" {
        return Ok(Transport::Off);
    }
    if s == "sendmail" {
        return Ok(Transport::Sendmail(PathBuf::from("/usr/sbin/sendmail")));
    }
    if let Some(p) = s.strip_prefix("sendmail:") {
        let p = PathBuf::from(p);
        if !p.is_absolute() {
            return Err(msg!("config.mail.sendmail_path"));
        }
        return Ok(Transport::Sendmail(p));
    }
    if let Some(p) = s.strip_prefix("dir:") {
        let p = PathBuf::from(p);
        if !p.is_absolute() {
            return Err(msg!("config.mail.dir_path"));
        }
        return Ok(Transport::Dir(p));
    }
    let (scheme, rest) = s
        .split_once("://")
        .ok_or_else(|| msg!("config.mail.transport", transport = s))?;
    let (hostport, query) = match rest.split_once('?') {
        Some((h, q)) => (h.trim_end_matches('/'), Some(q)),
        None => (rest.trim_end_matches('/'), None),
    };
    if hostport.contains('@') {
        return Err(msg!("config.mail.password_in_url"));
    }
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(':') && !p.contains(']') => (
            h,
            Some(
                p.parse::<u16>()
                    .map_err(|_| msg!("config.mail.port", port = p))?,
            ),
        ),
        _ => (hostport, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(msg!("config.mail.no_host", transport = s));
    }
    let (security, default_port) = match scheme {
        "smtps" => (Security::Tls, 465),
        "smtp" => (Security::StartTls, 25),
        other => {
            return Err(msg!("config.mail.scheme", scheme = other));
        }
    };
    let security = match query {
        None => security,
        Some(q) => match (scheme, q) {
            ("smtp", "tls=starttls" | "tls=required") => Security::StartTls,
            ("smtp", "tls=opportunistic") => Security::Opportunistic,
            ("smtp", "tls=none") => Security::None,
            _ => {
                return Err(msg!("config.mail.tls", query = q));
            }
        },
    };
    Ok(Transport::Smtp {
        host: host.to_string(),
        port: port.unwrap_or(default_port),
        security,
    })
}

/// Whether `host` is this machine (a relay that needs no encryption).
pub fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Validates `[mail]`.
pub(in crate::core) fn from_raw(
    c: &Checker<'_>,
    raw: Option<&Spanned<RawMail>>,
) -> Result<MailConfig, ConfigError> {
    let mut cfg = MailConfig::default();
    let Some(spanned) = raw else {
        return Ok(cfg);
    };
    let r = spanned.get_ref();
    sending(c, spanned, &mut cfg)?;
    if let Some(n) = &r.notify {
        cfg.notify = n.clone();
    }
    if let Some(l) = &r.language {
        let lang = l.get_ref().trim();
        if !lang.is_empty() {
            if !LANGUAGES.contains(&lang) {
                return Err(c.at(
                    l,
                    msg!(
                        "config.mail.language",
                        language = lang,
                        choices = LANGUAGES.join(", ")
                    ),
                ));
            }
            cfg.language = Some(lang.to_string());
        }
    }
    limits(c, spanned, &mut cfg)?;
    cfg.intake_user = r
        .intake_user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_string);
    cfg.signature = r.signature.clone().unwrap_or_default().trim().to_string();
    Ok(cfg)
}

/// How the desk sends: its addresses, the transport, the files of its credentials and CA
/// (absolute paths), never a password over an unencrypted connection to another machine.
fn sending(
    c: &Checker<'_>,
    spanned: &Spanned<RawMail>,
    cfg: &mut MailConfig,
) -> Result<(), ConfigError> {
    let r = spanned.get_ref();
    let mailbox = |s: &Spanned<String>, what: &str| -> Result<Option<Mailbox>, ConfigError> {
        let text = s.get_ref().trim();
        if text.is_empty() {
            return Ok(None);
        }
        address::parse_mailbox(text)
            .map(Some)
            .ok_or_else(|| c.at(s, msg!("config.mail.address", what = what, text = text)))
    };
    if let Some(f) = &r.from {
        cfg.from = mailbox(f, "from")?;
    }
    if let Some(f) = &r.reply_to {
        cfg.reply_to = mailbox(f, "reply_to")?;
    }
    if let Some(t) = &r.transport {
        cfg.transport = parse_transport(t.get_ref()).map_err(|e| c.at(t, e))?;
        if cfg.transport.is_on() && cfg.from.is_none() {
            return Err(c.at(t, msg!("config.mail.no_sender")));
        }
    }
    let path = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
    };
    cfg.credentials = path(&r.credentials);
    cfg.ca_file = path(&r.ca_file);
    for (p, what) in [(&cfg.credentials, "credentials"), (&cfg.ca_file, "ca_file")] {
        if let Some(p) = p
            && !p.is_absolute()
        {
            return Err(c.at(spanned, msg!("config.mail.absolute", what = what)));
        }
    }
    if let (
        Transport::Smtp {
            host,
            security: Security::None,
            ..
        },
        Some(_),
        Some(t),
    ) = (&cfg.transport, &cfg.credentials, &r.transport)
        && !is_loopback(host)
    {
        return Err(c.at(t, msg!("config.mail.unencrypted", host = host)));
    }
    Ok(())
}

/// The delays (hold, retry, give up), the rates and the largest message taken in.
fn limits(
    c: &Checker<'_>,
    spanned: &Spanned<RawMail>,
    cfg: &mut MailConfig,
) -> Result<(), ConfigError> {
    let r = spanned.get_ref();
    let seconds = |s: &Option<Spanned<String>>, default: i64| -> Result<i64, ConfigError> {
        match s {
            Some(s) => parse_seconds(s.get_ref()).map_err(|e| c.at(s, e)),
            None => Ok(default),
        }
    };
    cfg.hold = seconds(&r.hold, cfg.hold)?;
    cfg.retry = seconds(&r.retry, cfg.retry)?;
    cfg.give_up = seconds(&r.give_up, cfg.give_up)?;
    if let Some(n) = r.per_recipient_hour {
        if n == 0 {
            return Err(c.at(spanned, msg!("config.mail.per_recipient_hour")));
        }
        cfg.per_recipient_hour = n;
    }
    if let Some(n) = r.connections {
        if !(1..=32).contains(&n) {
            return Err(c.at(spanned, msg!("config.mail.connections")));
        }
        cfg.connections = n;
    }
    if let Some(s) = &r.max_size {
        cfg.max_size = parse_size(s.get_ref()).map_err(|e| c.at(s, e))?;
        if cfg.max_size < 64 << 10 {
            return Err(c.at(s, msg!("config.mail.max_size")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_are_read() {
        assert_eq!(parse_transport(""), Ok(Transport::Off));
        assert_eq!(
            parse_transport("smtp://mail.example.org:587"),
            Ok(Transport::Smtp {
                host: "mail.example.org".into(),
                port: 587,
                security: Security::StartTls
            })
        );
        assert_eq!(
            parse_transport("smtps://mail.example.org"),
            Ok(Transport::Smtp {
                host: "mail.example.org".into(),
                port: 465,
                security: Security::Tls
            })
        );
        assert_eq!(
            parse_transport("smtp://127.0.0.1:2525?tls=none"),
            Ok(Transport::Smtp {
                host: "127.0.0.1".into(),
                port: 2525,
                security: Security::None
            })
        );
        assert_eq!(
            parse_transport("smtp://[::1]:25?tls=opportunistic"),
            Ok(Transport::Smtp {
                host: "::1".into(),
                port: 25,
                security: Security::Opportunistic
            })
        );
        assert_eq!(
            parse_transport("sendmail"),
            Ok(Transport::Sendmail("/usr/sbin/sendmail".into()))
        );
        assert_eq!(
            parse_transport("dir:/srv/letters"),
            Ok(Transport::Dir("/srv/letters".into()))
        );
        for bad in [
            "dir:letters",
            "smtp://user:pw@host",
            "imap://host",
            "smtp://host:99999",
            "smtps://host?tls=none",
            "carrier pigeon",
        ] {
            assert!(parse_transport(bad).is_err(), "{bad}");
        }
        let t = parse_transport("smtp://h:25?tls=none").expect("ok");
        assert_eq!(parse_transport(&t.describe()), Ok(t));
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_seconds("0"), Ok(0));
        assert_eq!(parse_seconds("30s"), Ok(30));
        assert_eq!(parse_seconds("1h 30m"), Ok(5400));
        assert!(parse_seconds("soon").is_err());
        assert!(parse_seconds("5").is_err());
        assert_eq!(parse_size(&RawSize::Text("10MB".into())), Ok(10 << 20));
        assert_eq!(parse_size(&RawSize::Text("512 kb".into())), Ok(512 << 10));
        assert_eq!(parse_size(&RawSize::Bytes(1000)), Ok(1000));
        assert!(parse_size(&RawSize::Text("big".into())).is_err());
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("localhost"));
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("::1"));
        assert!(!is_loopback("mail.example.org"));
    }
}
