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
    /// The SQLite file, or the PostgreSQL URL of a desk on the test cluster
    /// (`DESK_TEST_BACKEND=postgres`, `super::Desk::new`'s rule).
    pub db: std::path::PathBuf,
    /// The configuration given explicitly: a desk on PostgreSQL's `desk.toml` in its
    /// directory (none for an SQLite desk: its own is beside its file, in the same place).
    pub config: Option<std::path::PathBuf>,
}

impl Desk {
    /// The desk's `desk.toml`.
    pub fn config_file(&self) -> std::path::PathBuf {
        self._dir.path().join("desk.toml")
    }

    /// A direct connection to its database, for checks behind the desk's back.
    pub fn raw(&self) -> super::Raw {
        super::Raw::open(&self.db)
    }

    /// A command for the desk binary on this desk, its configuration given on PostgreSQL.
    pub fn command(&self) -> std::process::Command {
        let mut c = super::command(&self.db);
        if let Some(config) = &self.config {
            c.arg("--config").arg(config);
        }
        c
    }

    /// The desk opened as `login`, as another desk process would.
    pub fn session(&self, login: &str) -> desk::error::Result<Session> {
        session_on(&self.db, self.config.as_deref(), login)
    }
}

/// `db` opened as `login` with the configuration `config` (see `Desk::config`): for a thread
/// that cannot borrow the desk.
pub fn session_on(
    db: &std::path::Path,
    config: Option<&std::path::Path>,
    login: &str,
) -> desk::error::Result<Session> {
    Session::open_for(db, config, Mode::Existing, login)
}

/// A desk in a temp dir, its configuration in `lang` and UTC, its admin called "boss".
pub fn desk(lang: &str, demo: usize) -> Desk {
    desk_at(lang, demo, NOW)
}

/// A desk in a temp dir, the built-in configuration in UTC (and in `lang`, when given), its
/// admin the user running the tests.
/// On PostgreSQL (`DESK_TEST_BACKEND=postgres`) the desk is a fresh database of the test
/// cluster, its configuration the same file in the same directory, given explicitly.
pub fn plain_desk(lang: Option<&str>) -> Desk {
    let dir = tempfile::tempdir().expect("tmp");
    let mut cfg = BUILTIN.replacen("timezone = \"\"", "timezone = \"UTC\"", 1);
    if let Some(lang) = lang {
        cfg = cfg.replacen("language = \"\"", &format!("language = \"{lang}\""), 1);
    }
    let config = dir.path().join("desk.toml");
    std::fs::write(&config, cfg).expect("config");
    let (db, config) = match super::on_postgres().then(super::pg::db).flatten() {
        Some(pg) => (std::path::PathBuf::from(pg.url), Some(config)),
        None => (dir.path().join("desk.db"), None),
    };
    Session::create(&db, config.as_deref()).expect("init");
    Desk {
        _dir: dir,
        db,
        config,
    }
}

/// The same, its demo loaded at `now`.
pub fn desk_at(lang: &str, demo: usize, now: i64) -> Desk {
    let d = plain_desk(Some(lang));
    let db = d.db.clone();
    let mut s = Session::open(&db, d.config.as_deref(), Mode::Existing).expect("open");
    // The admin every snapshot shows, whoever runs the tests.
    super::Raw::open(&db)
        .batch("UPDATE agents SET login = 'boss', name = 'Bohdan Boss'")
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
    let s = d.session(login).expect("session");
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
    let s = d.session(login).expect("session");
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
