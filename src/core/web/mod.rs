//! The requesters' web page (`desk serve`), its rules without IO: `[web]` of `desk.toml`, the
//! link an acknowledgement carries, which language a browser is answered in, and
//! (`guard`) who the client is behind a proxy, how often it may try, and the forms' tokens.

pub mod guard;

use crate::core::config::{Checker, ConfigError};
use crate::msg;
use serde::Deserialize;
use toml::Spanned;

pub use guard::{Client, Net, Token, Window};

/// `[web]`: how `desk serve` answers requesters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebConfig {
    /// Where `desk serve` listens unless `--listen` says otherwise.
    pub listen: String,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub proxies: Vec<Net>,
    /// The status page (and `desk status`) names the person handling a request and who took
    /// each decision.
    pub show_staff: bool,
    /// Failed look-ups one client address may make in a minute; then 429.
    pub lookups_per_minute: u32,
    /// Requests one client address may submit in an hour; then 429.
    pub submissions_per_hour: u32,
}

impl Default for WebConfig {
    fn default() -> WebConfig {
        WebConfig {
            listen: DEFAULT_LISTEN.to_string(),
            proxies: Vec::new(),
            show_staff: false,
            lookups_per_minute: 10,
            submissions_per_hour: 20,
        }
    }
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    #[serde(default)]
    listen: Option<Spanned<String>>,
    #[serde(default)]
    proxies: Vec<Spanned<String>>,
    #[serde(default)]
    show_staff: bool,
    #[serde(default)]
    lookups_per_minute: Option<Spanned<u32>>,
    #[serde(default)]
    submissions_per_hour: Option<Spanned<u32>>,
}

/// `[web]` validated.
pub(in crate::core) fn from_raw(
    c: &Checker<'_>,
    raw: Option<&Spanned<RawWeb>>,
) -> Result<WebConfig, ConfigError> {
    let mut cfg = WebConfig::default();
    let Some(r) = raw.map(Spanned::get_ref) else {
        return Ok(cfg);
    };
    if let Some(l) = &r.listen {
        let text = l.get_ref().trim();
        if text.parse::<std::net::SocketAddr>().is_err() {
            return Err(c.at(l, msg!("config.web.listen", value = text)));
        }
        cfg.listen = text.to_string();
    }
    for p in &r.proxies {
        let net = p
            .get_ref()
            .parse::<Net>()
            .map_err(|_| c.at(p, msg!("config.web.proxy", value = p.get_ref().trim())))?;
        cfg.proxies.push(net);
    }
    cfg.show_staff = r.show_staff;
    for (field, value, target) in [
        (
            "lookups_per_minute",
            &r.lookups_per_minute,
            &mut cfg.lookups_per_minute,
        ),
        (
            "submissions_per_hour",
            &r.submissions_per_hour,
            &mut cfg.submissions_per_hour,
        ),
    ] {
        if let Some(v) = value {
            if *v.get_ref() == 0 {
                return Err(c.at(v, msg!("config.web.zero", field = field)));
            }
            *target = *v.get_ref();
        }
    }
    Ok(cfg)
}

/// The path of the status page under the desk's public address.
pub const STATUS_PATH: &str = "status";

/// The ready link to a ticket's status page: the public address, `/status`, the number and
/// the access code (both made of letters, digits and dashes, so nothing needs escaping; any
/// other character is percent-encoded all the same).
pub fn status_link(public_url: &str, number: &str, code: &str) -> String {
    format!(
        "{}/{STATUS_PATH}?number={}&code={}",
        public_url.trim_end_matches('/'),
        percent(number),
        percent(code)
    )
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The languages the page speaks.
pub const LANGUAGES: [&str; 3] = ["en", "ru", "uk"];

/// The language to answer in: the one chosen on the page (`?lang=`, then its cookie), else
/// the browser's `Accept-Language` by preference (`q`), else the desk's.
pub fn language(chosen: &[Option<&str>], accept: Option<&str>, desk: &str) -> &'static str {
    let known = |tag: &str| -> Option<&'static str> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        LANGUAGES.into_iter().find(|l| *l == primary)
    };
    if let Some(l) = chosen.iter().flatten().find_map(|c| known(c)) {
        return l;
    }
    let mut best: Option<(u16, usize, &'static str)> = None;
    for (i, item) in accept.unwrap_or("").split(',').enumerate().take(32) {
        let mut parts = item.split(';');
        let Some(lang) = parts.next().and_then(known) else {
            continue;
        };
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1000), quality)
            .unwrap_or(0);
        // The highest quality wins; between equals, the one listed first.
        if q > 0 && best.is_none_or(|(bq, _, _)| q > bq) {
            best = Some((q, i, lang));
        }
    }
    match best {
        Some((_, _, l)) => l,
        None => known(desk).unwrap_or("en"),
    }
}

/// A `q` value in thousandths (None: not one).
fn quality(q: &str) -> Option<u16> {
    let q = q.trim();
    let (int, frac) = q.split_once('.').unwrap_or((q, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match int {
        "0" => 0,
        "1" => 1000,
        _ => return None,
    };
    let frac_value: u16 = format!("{frac:0<3}").parse().ok()?;
    (whole + frac_value <= 1000).then_some(whole + frac_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_carries_number_and_code() {
        assert_eq!(
            status_link(
                "https://desk.example.org/",
                "HSG-2611-00042-A",
                "7KQM-3XTA-PW9R"
            ),
            "https://desk.example.org/status?number=HSG-2611-00042-A&code=7KQM-3XTA-PW9R"
        );
        assert_eq!(
            status_link("https://x.org/desk", "A B&c", "é"),
            "https://x.org/desk/status?number=A%20B%26c&code=%C3%A9"
        );
    }

    #[test]
    fn the_language_follows_the_choice_then_the_browser_then_the_desk() {
        assert_eq!(language(&[], Some("uk-UA,uk;q=0.9,en;q=0.8"), "en"), "uk");
        assert_eq!(language(&[], Some("de-DE, en;q=0.5, ru;q=0.7"), "en"), "ru");
        assert_eq!(language(&[], Some("en;q=0.5, ru;q=0.5"), "uk"), "en");
        assert_eq!(language(&[], Some("ru;q=0, fr"), "uk"), "uk");
        assert_eq!(language(&[], Some("*"), "ru"), "ru");
        assert_eq!(language(&[], None, ""), "en");
        assert_eq!(language(&[], Some("RU"), "en"), "ru");
        assert_eq!(
            language(&[None, Some("uk")], Some("ru"), "en"),
            "uk",
            "the cookie beats the browser"
        );
        assert_eq!(
            language(&[Some("xx"), Some("ru")], Some("en"), "en"),
            "ru",
            "an unknown choice is passed over"
        );
        assert_eq!(language(&[], Some("ru;q=1.5, uk;q=0.3"), "en"), "uk");
        assert_eq!(language(&[], Some(&"x,".repeat(10_000)), "ru"), "ru");
    }
}
