//! The terminal desk without a terminal, for the tests that drive it: a desk in a temporary
//! directory (its admin "boss", UTC), the app opened on it, keys, and the frame as text.
#![allow(dead_code)]

use desk::core::config::BUILTIN;
use desk::session::Session;
use desk::store::Mode;
use desk::ui::app::App;
use desk::ui::draw::draw;
use desk::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// 2026-11-23 12:00 UTC: every snapshot is drawn at this moment.
pub const NOW: i64 = 1_795_435_200;

pub struct Desk {
    pub _dir: tempfile::TempDir,
    pub db: std::path::PathBuf,
}

/// A desk in a temp dir, its configuration in `lang` and UTC, its admin called "boss".
pub fn desk(lang: &str, demo: usize) -> Desk {
    desk_at(lang, demo, NOW)
}

/// A desk in a temp dir, the built-in configuration in UTC (and in `lang`, when given), its
/// admin the user running the tests.
pub fn plain_desk(lang: Option<&str>) -> Desk {
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("desk.db");
    let mut cfg = BUILTIN.replacen("timezone = \"\"", "timezone = \"UTC\"", 1);
    if let Some(lang) = lang {
        cfg = cfg.replacen("language = \"\"", &format!("language = \"{lang}\""), 1);
    }
    std::fs::write(dir.path().join("desk.toml"), cfg).expect("config");
    Session::create(&db, None).expect("init");
    Desk { _dir: dir, db }
}

/// The same, its demo loaded at `now`.
pub fn desk_at(lang: &str, demo: usize, now: i64) -> Desk {
    let d = plain_desk(Some(lang));
    let db = d.db.clone();
    let mut s = Session::open(&db, None, Mode::Existing).expect("open");
    // The admin every snapshot shows, whoever runs the tests.
    rusqlite::Connection::open(&db)
        .and_then(|c| c.execute("UPDATE agents SET login = 'boss', name = 'Bohdan Boss'", []))
        .expect("rename admin");
    s.login = "boss".into();
    // Signed in again under the new login: every change checks that its person is still who
    // signed in.
    s.store.sign_in("boss").expect("sign in as boss");
    if demo > 0 {
        let actor = s.store.actor("boss", None).expect("actor");
        s.store.demo(&s.cfg, &actor, demo, now).expect("demo");
    }
    d
}

pub fn open(d: &Desk, login: &str, w: u16, h: u16) -> App {
    let s = Session::open_for(&d.db, None, Mode::Existing, login).expect("session");
    App::new(s, Theme { color: false }, w, h, NOW).expect("app")
}

pub fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| draw(f, app)).expect("draw");
    t.backend().to_string()
}

pub fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

pub fn keys(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

pub fn ctrl(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL));
}

/// A request taken on the phone with only its subject.
pub fn phoned(subject: &str) -> desk::store::NewTicket {
    desk::store::NewTicket {
        subject: subject.into(),
        body: String::new(),
        requester: String::new(),
        contact: String::new(),
        channel: desk::core::model::Channel::Phone,
        category: None,
        group: None,
        priority: None,
        external_ref: None,
        language: None,
    }
}

pub fn alt(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::ALT));
}

/// The number of the highlighted ticket.
pub fn highlighted(app: &App) -> Option<String> {
    app.queue.selected().map(|r| r.ticket.number.clone())
}

/// Another desk process, as `login`.
pub fn colleague(d: &Desk, login: &str) -> (Session, desk::core::model::Actor) {
    let s = Session::open_for(&d.db, None, Mode::Existing, login).expect("session");
    let a = s.store.actor(login, None).expect("actor");
    (s, a)
}

pub fn register(d: &Desk, subject: &str, priority: Option<desk::core::model::Priority>) -> String {
    let (mut s, boss) = colleague(d, "boss");
    let mut nt = phoned(subject);
    nt.priority = priority;
    s.store
        .create(&s.cfg, &boss, &nt, NOW)
        .expect("create")
        .number
}

/// The events of one kind in ticket `number`'s history, oldest first.
pub fn history_of(
    s: &Session,
    number: &str,
    kind: desk::core::model::EventKind,
) -> Vec<desk::store::Event> {
    let t = s
        .store
        .find(&s.cfg, number, desk::time::date(NOW))
        .expect("ticket");
    s.store
        .history(t.id)
        .expect("history")
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

pub fn message(app: &App) -> String {
    app.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}
