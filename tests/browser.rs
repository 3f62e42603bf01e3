//! The requesters' web page in a real browser: headless Chromium driven through WebDriver
//! (Debian's `chromium` and `chromium-driver`) against a real `desk serve`. A requester opens
//! the form, sends a request, reads the number and access code from the page, follows the link
//! in the acknowledgement mail, sees the status change after an operator's decision, and is
//! refused with a wrong code — in English, Russian and Ukrainian. Each page is kept as a
//! screenshot in `target/tmp/browser/TEST/` (`LANG-STEP-PAGE.png`), the test's artefacts.
//!
//! Without `chromium` and `chromedriver` (or `DESK_CHROMIUM`, `DESK_CHROMEDRIVER`) the tests
//! say they are skipped; `.ci/run` installs both.

mod common;

use common::Desk;
use common::web::{PUBLIC_URL, Server, letters, letters_text, web_desk};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// ---- a small WebDriver client ---------------------------------------------------------------

/// The key W3C WebDriver names an element by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A program on the PATH (or the one an environment variable names).
fn program(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(var) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|n| {
        std::env::split_paths(&path)
            .map(|d| d.join(n))
            .find(|p| p.is_file())
    })
}

/// Chromium and its driver, or None (and a line saying why the test is skipped).
fn tools(test: &str) -> Option<(PathBuf, PathBuf)> {
    let chromium = program(
        "DESK_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = program("DESK_CHROMEDRIVER", &["chromedriver"]);
    match (chromium, driver) {
        (Some(c), Some(d)) => Some((c, d)),
        _ => {
            eprintln!(
                "SKIPPED {test}: needs chromium and chromedriver \
                 (Debian: apt-get install chromium chromium-driver; .ci/run installs them)"
            );
            None
        }
    }
}

/// A running chromedriver, stopped when dropped.
struct Driver {
    child: Child,
    base: String,
    http: ureq::Agent,
}

impl Driver {
    fn start(path: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let http: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http,
        };
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = d
                .call("GET", "/status", None)
                .ok()
                .is_some_and(|v| v["ready"] == true);
            if ready {
                return d;
            }
            assert!(Instant::now() < until, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// One WebDriver command: its `value`, or the error it names.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.base);
        let r = match (method, body) {
            ("GET", _) => self.http.get(&url).call(),
            ("DELETE", _) => self.http.delete(&url).call(),
            (_, body) => self
                .http
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or_else(|| json!({})).to_string()),
        };
        let mut r = r.map_err(|e| e.to_string())?;
        let ok = r.status().is_success();
        let text = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))?;
        if ok {
            Ok(v["value"].clone())
        } else {
            Err(format!("{method} {path}: {}", v["value"]))
        }
    }

    /// A new headless browser whose `Accept-Language` is `accept`.
    fn browser(&self, chromium: &Path, accept: &str, profile: &Path) -> Browser<'_> {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:chromeOptions": {
                "binary": chromium.to_string_lossy(),
                "args": [
                    "--headless=new",
                    // Root in a container has no sandbox to give; the browser only ever
                    // opens the test's own server on the loopback.
                    "--no-sandbox",
                    "--disable-dev-shm-usage",
                    "--disable-gpu",
                    "--no-first-run",
                    "--window-size=900,1100",
                    format!("--lang={accept}"),
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": {"intl.accept_languages": accept},
            },
        }}});
        let v = self
            .call("POST", "/session", Some(caps))
            .expect("a browser session");
        let id = v["sessionId"].as_str().expect("a session id").to_string();
        let b = Browser { driver: self, id };
        b.cmd(
            "POST",
            "/timeouts",
            json!({"implicit": 10_000, "pageLoad": 30_000}),
        );
        b
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session (a window), closed when dropped.
struct Browser<'a> {
    driver: &'a Driver,
    id: String,
}

impl Browser<'_> {
    #[track_caller]
    fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let path = format!("/session/{}{path}", self.id);
        match self.driver.call(method, &path, Some(body)) {
            Ok(v) => v,
            Err(e) => panic!("WebDriver: {e}"),
        }
    }

    #[track_caller]
    fn open(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }));
    }

    #[track_caller]
    fn url(&self) -> String {
        self.cmd("GET", "/url", json!({}))
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    #[track_caller]
    fn find(&self, css: &str) -> String {
        let v = self.cmd(
            "POST",
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("an element {css}: {v}"))
            .to_string()
    }

    /// Whether the page has an element matching `css` (without waiting for one).
    fn has(&self, css: &str) -> bool {
        self.cmd("POST", "/timeouts", json!({"implicit": 0}));
        let v = self.cmd(
            "POST",
            "/elements",
            json!({"using": "css selector", "value": css}),
        );
        self.cmd("POST", "/timeouts", json!({"implicit": 10_000}));
        v.as_array().is_some_and(|a| !a.is_empty())
    }

    /// What WebDriver says of the element: `text`, `attribute/NAME`, `property/NAME` (a
    /// field's `value` as it is now).
    #[track_caller]
    fn read(&self, css: &str, what: &str) -> String {
        let e = self.find(css);
        self.cmd("GET", &format!("/element/{e}/{what}"), json!({}))
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    #[track_caller]
    fn text(&self, css: &str) -> String {
        self.read(css, "text")
    }

    /// Types `text` into the field (emptied first).
    #[track_caller]
    fn fill(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), json!({}));
        self.cmd(
            "POST",
            &format!("/element/{e}/value"),
            json!({ "text": text }),
        );
    }

    /// Clicks, and waits for the page it leads to.
    #[track_caller]
    fn click(&self, css: &str) {
        let before = self.find("html");
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), json!({}));
        self.wait_for_new_page(&before);
    }

    /// Waits until the document is no longer the one whose root element is `before`.
    fn wait_for_new_page(&self, before: &str) {
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            let now = self
                .driver
                .call(
                    "POST",
                    &format!("/session/{}/element", self.id),
                    Some(json!({"using": "css selector", "value": "html"})),
                )
                .ok()
                .and_then(|v| v[ELEMENT].as_str().map(str::to_string));
            let loaded = self
                .driver
                .call(
                    "POST",
                    &format!("/session/{}/execute/sync", self.id),
                    Some(json!({"script": "return document.readyState", "args": []})),
                )
                .ok()
                .is_some_and(|v| v == "complete");
            if now.as_deref().is_some_and(|n| n != before) && loaded {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the page did not change after the click");
    }

    /// The page as a PNG in `dir/NAME.png`; its size in bytes.
    #[track_caller]
    fn screenshot(&self, dir: &Path, name: &str) -> usize {
        let b64 = self.cmd("GET", "/screenshot", json!({}));
        let png = base64(b64.as_str().expect("base64"));
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG: {name}");
        std::fs::write(dir.join(format!("{name}.png")), &png).expect("write screenshot");
        png.len()
    }
}

impl Drop for Browser<'_> {
    fn drop(&mut self) {
        let _ = self
            .driver
            .call("DELETE", &format!("/session/{}", self.id), None);
    }
}

/// Standard base64, as WebDriver sends screenshots.
fn base64(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// Where a test's screenshots are kept (`target/tmp/browser/TEST/`): emptied when it starts.
fn artefacts(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("browser")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

// ---- the requester's way through the pages ---------------------------------------------------

/// What the requester types in each language.
struct Typing {
    lang: &'static str,
    subject: &'static str,
    text: &'static str,
}

const LANGUAGES: [Typing; 3] = [
    Typing {
        lang: "en",
        subject: "No heating in flat 12",
        text: "It has been cold since Monday.\n<script>alert(1)</script>",
    },
    Typing {
        lang: "ru",
        subject: "Нет отопления в квартире 12",
        text: "Холодно с понедельника.\n<script>alert(1)</script>",
    },
    Typing {
        lang: "uk",
        subject: "Немає опалення у квартирі 12",
        text: "Холодно з понеділка.\n<script>alert(1)</script>",
    },
];

#[test]
fn a_requester_in_a_real_browser_submits_follows_the_mail_and_sees_the_decision() {
    let Some((chromium, chromedriver)) = tools("browser: the requester's way") else {
        return;
    };
    let shots = artefacts("requester");
    let mail = letters();
    let d: Desk = web_desk(mail.path());
    let s = Server::start(&d, "web");
    let base = format!("http://{}", s.addr);
    let driver = Driver::start(&chromedriver);
    let mut sizes = Vec::new();
    for w in &LANGUAGES {
        let profile = tempfile::tempdir().expect("profile");
        let b = driver.browser(&chromium, w.lang, profile.path());
        let cat = desk::i18n::Catalog::for_lang(w.lang);
        let (waiting, declined) = (cat.t("public.status.new"), cat.t("public.status.rejected"));
        let shot = |b: &Browser<'_>, step: &str| {
            let n = b.screenshot(&shots, &format!("{}-{step}", w.lang));
            assert!(n > 5_000, "{step}: a page, not a blank ({n} bytes)");
            n
        };

        // The form, in the browser's language.
        b.open(&format!("{base}/"));
        assert_eq!(b.read("html", "attribute/lang"), w.lang);
        sizes.push(shot(&b, "1-form"));
        b.fill("#name", "Olena Kovalenko");
        b.fill("#contact", &format!("olena.{}@example.org", w.lang));
        b.fill("#subject", w.subject);
        b.fill("#text", w.text);
        b.click("#send");

        // The new number and access code, read from the page.
        let number = b.text("#new-number");
        let code = b.text("#new-code");
        assert!(!number.is_empty() && !code.is_empty(), "{}", b.url());
        assert_eq!(b.text("#subject"), w.subject);
        assert_eq!(b.text("#status"), waiting);
        sizes.push(shot(&b, "2-registered"));
        let t = d.show(&number);
        assert_eq!(t["channel"], "web");
        assert_eq!(t["language"], w.lang);
        assert_eq!(t["body"], w.text, "stored as typed");

        // The acknowledgement's link, followed.
        d.run_as("mailer", &["mail", "send"]).ok();
        let ack = letters_text(mail.path())
            .into_iter()
            .find(|l| l.contains(&number))
            .expect("an acknowledgement naming the number");
        assert!(ack.contains(&code), "{ack}");
        let link = ack
            .split_whitespace()
            .find(|word| word.starts_with(PUBLIC_URL) && word.contains("/status?"))
            .expect("the status link")
            .trim_end_matches(['.', ',', ')', '>']);
        b.open(&link.replacen(PUBLIC_URL, &base, 1));
        assert_eq!(b.text("#status"), waiting);
        assert!(
            !b.has("#new-code"),
            "the code is not repeated by the mail's link"
        );
        sizes.push(shot(&b, "3-from-mail"));

        // An operator decides; the requester sees it.
        d.run(&["assign", &number, "anna", "--group", "SOCIAL"])
            .ok();
        d.run_as(
            "anna",
            &["comment", &number, "INTERNAL: neighbours complained"],
        )
        .ok();
        d.run_as("anna", &["move", &number, "in_progress"]).ok();
        d.run_as(
            "anna",
            &[
                "move",
                &number,
                "rejected",
                "--outcome",
                "refused",
                "--reason",
                "The heating is the building's management company's",
                "--answer",
                "Please call your management company: <b>0 800 300 100</b>.",
            ],
        )
        .ok();
        b.cmd("POST", "/refresh", json!({}));
        assert_eq!(b.text("#status"), declined);
        // The desk's and the group's names as desk.toml gives them in this language.
        let mut cfg = desk::core::config::Config::builtin().expect("built-in configuration");
        cfg.use_language(w.lang);
        assert_eq!(b.text("header .desk"), cfg.desk_name);
        let social = cfg.group("SOCIAL").map(|g| g.name.clone());
        assert_eq!(Some(b.text("#handled-by")), social);
        assert_eq!(
            b.text("#answer"),
            "Please call your management company: <b>0 800 300 100</b>.",
            "shown as text, never as markup"
        );
        let page = b.text("main");
        assert!(
            !page.contains("INTERNAL") && !page.contains("anna"),
            "{page}"
        );
        sizes.push(shot(&b, "4-decided"));

        // A wrong code, typed into the look-up form: refused, the same as an unknown number.
        b.open(&format!("{base}/"));
        b.fill("#number", &number);
        b.fill("#code", "AAAA-AAAA-AAAA");
        b.click("#look-up");
        assert_eq!(b.text("h1"), cat.t("web.not_found_title"));
        assert!(!b.has("#status"), "nothing of the request is shown");
        assert!(!b.text("main").contains(w.subject));
        sizes.push(shot(&b, "5-wrong-code"));
        // The same number with its code, through the form: the status.
        b.fill("#code", &code);
        b.click("#look-up");
        assert_eq!(b.text("#status"), declined);
    }
    // Five pages in each of three languages.
    assert_eq!(sizes.len(), 15);
    eprintln!("screenshots: {}", shots.display());
}

#[test]
fn the_language_switch_works_in_a_real_browser_and_is_remembered() {
    let Some((chromium, chromedriver)) = tools("browser: the language switch") else {
        return;
    };
    let mail = letters();
    let d = web_desk(mail.path());
    let s = Server::start(&d, "web");
    let base = format!("http://{}", s.addr);
    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().expect("profile");
    let b = driver.browser(&chromium, "en-GB", profile.path());
    b.open(&format!("{base}/status"));
    assert_eq!(b.read("html", "attribute/lang"), "en");
    b.click("a[hreflang=uk]");
    assert_eq!(b.read("html", "attribute/lang"), "uk");
    // Remembered on the next page, without the switch in the address.
    b.open(&format!("{base}/"));
    assert_eq!(b.read("html", "attribute/lang"), "uk");
    b.click("a[hreflang=ru]");
    assert_eq!(b.read("html", "attribute/lang"), "ru");
    assert!(b.url().contains("lang=ru"), "{}", b.url());
}

#[test]
fn every_other_page_in_every_language_in_a_real_browser() {
    let Some((chromium, chromedriver)) = tools("browser: the other pages") else {
        return;
    };
    let shots = artefacts("other");
    let mail = letters();
    let d = web_desk(mail.path());
    let s = Server::start(&d, "web");
    let base = format!("http://{}", s.addr);
    let driver = Driver::start(&chromedriver);
    for w in &LANGUAGES {
        let cat = desk::i18n::Catalog::for_lang(w.lang);
        let profile = tempfile::tempdir().expect("profile");
        let b = driver.browser(&chromium, w.lang, profile.path());
        let shot = |b: &Browser<'_>, step: &str| {
            let n = b.screenshot(&shots, &format!("{}-{step}", w.lang));
            assert!(n > 5_000, "{step}: a page, not a blank ({n} bytes)");
        };

        // The look-up form on a page of its own.
        b.open(&format!("{base}/status"));
        assert_eq!(b.text("h1"), cat.t("web.lookup_title"));
        shot(&b, "6-lookup");

        // A page that does not exist.
        b.open(&format!("{base}/no/such/page"));
        assert_eq!(b.text("h1"), cat.t("web.no_page_title"));
        shot(&b, "7-no-page");

        // The form after the browser lost its cookie (as after a day away, or a form posted
        // from another site): refused, with what was typed kept to send again.
        b.open(&format!("{base}/"));
        b.fill("#subject", w.subject);
        b.fill("#text", w.text);
        b.cmd("DELETE", "/cookie/desk_form", json!({}));
        b.click("#send");
        assert_eq!(b.text("h1"), cat.t("web.submit_title"));
        assert_eq!(b.text(".problem"), cat.t("web.expired"));
        assert_eq!(b.read("#subject", "attribute/value"), w.subject);
        assert_eq!(b.read("#text", "property/value"), w.text);
        shot(&b, "8-expired");
        // Sent again as it was given back: registered.
        b.click("#send");
        assert!(!b.text("#new-number").is_empty(), "{}", b.text("main"));
        assert!(!b.text("#new-code").is_empty());

        // A text far over the limit (typed by a script: the page itself has none).
        b.open(&format!("{base}/"));
        b.fill("#subject", w.subject);
        let e = b.find("#text");
        b.cmd(
            "POST",
            "/execute/sync",
            json!({"script": "arguments[0].value = 'x'.repeat(300000)",
                   "args": [{ ELEMENT: e }]}),
        );
        b.click("#send");
        assert_eq!(b.text("h1"), cat.t("web.too_large_title"));
        shot(&b, "9-too-large");

        // Wrong codes until the desk says to wait (ten a minute from one address, whatever
        // the language; later languages meet the limit at once).
        let mut tries = 0;
        loop {
            tries += 1;
            assert!(tries <= 11, "limited after ten failed look-ups");
            b.open(&format!(
                "{base}/status?number=HSG-2611-00001-A&code=AAAA-AAAA-AAAA"
            ));
            if b.text("h1") == cat.t("web.too_many_title") {
                break;
            }
            assert_eq!(b.text("h1"), cat.t("web.not_found_title"));
        }
        shot(&b, "10-too-many");
    }
    eprintln!("screenshots: {}", shots.display());
}
