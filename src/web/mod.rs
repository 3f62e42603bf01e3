//! `desk serve`: the requesters' web page — a form to submit a request (channel web) and the
//! status of a request by its number and access code — run as the desk's `web` service.
//!
//! HTTP is hyper 1 on a small tokio runtime: hyper bounds what it reads of a request's head
//! (`max_buf_size`) and gives up on a head that does not arrive in time
//! (`header_read_timeout`), so a slow or endless client holds a connection task, never
//! memory without bound; the connections at once are capped too. The desk's database work
//! stays synchronous, on blocking threads each with its own connection. Everything that
//! decides — what is public, who the client is, how often it may try, the forms' tokens, the
//! language — is `core::public` and `core::web`; this module reads requests and writes pages.

mod page;
mod serve;

pub use serve::{Options, run};

use crate::core::config::Config;
use crate::core::web::guard::{self, Client, Secret, Token, Window};
use crate::i18n::Catalog;
use std::collections::HashMap;
use std::sync::Mutex;

/// The largest request body taken: a long request in Cyrillic, percent-encoded, fits.
pub const MAX_BODY: usize = 256 << 10;

/// The cookie holding the browser's random value the forms' tokens are bound to.
const FORM_COOKIE: &str = "desk_form";
/// The cookie keeping the language chosen with the switch.
const LANG_COOKIE: &str = "desk_lang";

/// What every request shares: the configuration, the server's secret and the clients'
/// attempts.
pub struct App {
    pub cfg: Config,
    /// The configuration with its names and labels in each language the page speaks.
    by_language: Vec<(&'static str, Config)>,
    pub secret: Secret,
    /// Failed look-ups per client, per minute.
    pub lookups: Mutex<Window>,
    /// Requests submitted per client, per hour.
    pub submissions: Mutex<Window>,
    /// The desk's language, when the browser says nothing the page speaks.
    pub desk_lang: &'static str,
}

/// How many clients' attempts are remembered at once (the least recent are forgotten first).
const CLIENTS: usize = 100_000;

impl App {
    pub fn new(cfg: Config, secret: Secret, desk_lang: &'static str) -> App {
        let w = &cfg.web;
        let by_language = crate::core::config::LANGUAGES
            .iter()
            .map(|&lang| {
                let mut c = cfg.clone();
                c.use_language(lang);
                (lang, c)
            })
            .collect();
        App {
            by_language,
            lookups: Mutex::new(Window::new(w.lookups_per_minute, 60, CLIENTS)),
            submissions: Mutex::new(Window::new(w.submissions_per_hour, 3600, CLIENTS)),
            cfg,
            secret,
            desk_lang,
        }
    }

    /// The configuration in the page's language (names of the desk, groups, statuses).
    pub fn cfg_in(&self, cat: &Catalog) -> &Config {
        self.by_language
            .iter()
            .find(|(l, _)| *l == cat.lang)
            .map_or(&self.cfg, |(_, c)| c)
    }

    /// Seconds until the client may try again in `window`, if it must wait.
    fn wait(&self, window: &Mutex<Window>, client: &Client, now: i64) -> Option<i64> {
        window
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .wait(client.key(), now)
    }

    fn count(&self, window: &Mutex<Window>, client: &Client, now: i64) {
        window
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .record(client.key(), now);
    }
}

/// A request as the pages need it: who asks, in which language, with which cookies and form
/// fields.
pub struct Asked {
    pub client: Client,
    pub cat: &'static Catalog,
    /// The language was chosen with the switch just now: remember it.
    pub chose_lang: bool,
    pub cookies: HashMap<String, String>,
    /// The query string's fields (the first of each name).
    pub query: HashMap<String, String>,
}

impl Asked {
    pub fn new(
        app: &App,
        client: Client,
        cookie_headers: &[&str],
        accept_language: Option<&str>,
        query: Option<&str>,
    ) -> Asked {
        let cookies = cookies(cookie_headers);
        let query = fields(query.unwrap_or("").as_bytes());
        let chosen = query.get("lang").map(String::as_str);
        let lang = crate::core::web::language(
            &[chosen, cookies.get(LANG_COOKIE).map(String::as_str)],
            accept_language,
            app.desk_lang,
        );
        Asked {
            client,
            cat: Catalog::for_lang(lang),
            chose_lang: chosen.is_some_and(|c| c == lang),
            cookies,
            query,
        }
    }

    /// The browser's form cookie, when it holds one the desk could have made.
    fn form_cookie(&self) -> Option<&str> {
        self.cookies
            .get(FORM_COOKIE)
            .map(String::as_str)
            .filter(|c| guard::is_id(c))
    }

    /// The cookies to set with the answer: the language chosen, and the form cookie when
    /// `cookie` is new.
    fn set_cookies(&self, cookie: Option<&str>) -> Vec<String> {
        let secure = if self.client.https { "; Secure" } else { "" };
        let mut out = Vec::new();
        if self.chose_lang {
            out.push(format!(
                "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
                self.cat.lang
            ));
        }
        if let Some(c) = cookie.filter(|c| self.form_cookie() != Some(*c)) {
            out.push(format!(
                "{FORM_COOKIE}={c}; Path=/; HttpOnly; SameSite=Lax{secure}"
            ));
        }
        out
    }
}

/// A new random id (a form cookie, a form).
fn random_id() -> Option<String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).ok()?;
    Some(guard::random_id(b))
}

/// A form's token for this browser, and its cookie (the browser's, or a new one).
fn token_for(app: &App, asked: &Asked, now: i64) -> Option<(String, String)> {
    let cookie = match asked.form_cookie() {
        Some(c) => c.to_string(),
        None => random_id()?,
    };
    let token = Token::make(&app.secret, &cookie, &random_id()?, now);
    Some((token, cookie))
}

/// Cookies from every `Cookie` header: the first value of each name.
fn cookies(headers: &[&str]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for h in headers {
        for pair in h.split(';').take(64) {
            if let Some((k, v)) = pair.split_once('=') {
                out.entry(k.trim().to_string())
                    .or_insert_with(|| v.trim().to_string());
            }
        }
    }
    out
}

/// Form or query fields (`application/x-www-form-urlencoded`): the first of each name, any
/// byte that is not UTF-8 replaced.
pub fn fields(bytes: &[u8]) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for (k, v) in form_urlencoded::parse(bytes).take(64) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_take_the_first_of_each_name() {
        let f = fields(b"a=1&b=%3Cx%3E&a=2&c=%FF&d");
        assert_eq!(f.get("a").map(String::as_str), Some("1"));
        assert_eq!(f.get("b").map(String::as_str), Some("<x>"));
        assert_eq!(f.get("c").map(String::as_str), Some("\u{fffd}"));
        assert_eq!(f.get("d").map(String::as_str), Some(""));
        let c = cookies(&["a=1; b=2", "a=3;junk; c = 4 "]);
        assert_eq!(c.get("a").map(String::as_str), Some("1"));
        assert_eq!(c.get("c").map(String::as_str), Some("4"));
    }
}
