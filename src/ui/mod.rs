//! The terminal desk: queue, ticket-detail and assignment panes, driven from the keyboard.
//!
//! `App` (app.rs) holds the state and turns actions into calls to core and the store; `draw`
//! (draw.rs) is a pure function of that state; the keymap feeds both dispatch and help. This
//! module runs the terminal: it draws only when something changed, polls the database a few
//! times a second for colleagues' changes, and restores the terminal however it exits.

pub mod app;
pub mod assign;
pub mod detail;
pub mod draw;
pub mod form;
pub mod help;
pub mod input;
pub mod keymap;
pub mod palette;
pub mod picker;
pub mod prompt;
pub mod queue;
pub mod stats;
pub mod status;
pub mod theme;
pub mod welcome;

use crate::cli::Cli;
use crate::core::config::Config;
use crate::error::{Error, Result};
use crate::i18n::Catalog;
use crate::session::{self, Session};
use crate::store::Mode;
use app::App;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::crossterm::{execute, terminal};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// What every pane draws with.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub cfg: &'a Config,
    pub cat: &'static Catalog,
    pub theme: theme::Theme,
    /// "Now" for ages and due times (unix seconds).
    pub now: i64,
}

/// How often the desk looks for colleagues' changes.
const POLL: Duration = Duration::from_millis(250);

/// A write waits at most this long for another desk before saying so (the desk stays usable).
const TUI_BUSY_TIMEOUT: Duration = Duration::from_millis(2000);

/// Opens the desk on `db` (creating the default database on first run). Without a terminal,
/// prints the queue as text instead.
pub fn run(cli: &Cli, db: &Path, is_default_db: bool) -> Result<()> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        let text = crate::cli::commands::queue_text(db, cli.config.as_deref(), is_default_db)?;
        crate::cli::output::print(&text);
        return Ok(());
    }
    let started = Instant::now();
    let session = if is_default_db && !db.exists() {
        crate::cli::commands::init_desk(db, cli.config.as_deref())?.0
    } else {
        Session::open(db, cli.config.as_deref(), Mode::Existing)?
    };
    session.store.set_busy_timeout(TUI_BUSY_TIMEOUT)?;
    let (w, h) = terminal::size().unwrap_or((80, 24));
    let mut app = App::new(session, theme::Theme::from_env(), w, h, session::now())?;
    let timings = Timings::from_env(started);
    let mut term = ratatui::try_init()
        .map_err(|e| Error::Invalid(format!("cannot use this terminal: {e}")))?;
    let mouse = !cli.no_mouse;
    let _ = execute!(std::io::stdout(), event::EnableBracketedPaste);
    if mouse {
        let _ = execute!(std::io::stdout(), event::EnableMouseCapture);
    }
    let result = event_loop(&mut term, &mut app, timings);
    if mouse {
        let _ = execute!(std::io::stdout(), event::DisableMouseCapture);
    }
    let _ = execute!(std::io::stdout(), event::DisableBracketedPaste);
    ratatui::restore();
    result
}

fn event_loop(
    term: &mut ratatui::DefaultTerminal,
    app: &mut App,
    mut timings: Timings,
) -> Result<()> {
    let io = |e: std::io::Error| Error::Invalid(format!("terminal error: {e}"));
    let mut last_poll = Instant::now();
    let mut pending_key: Option<Instant> = None;
    loop {
        if app.dirty {
            // Synchronized update: the terminal shows the whole frame at once (over SSH too).
            let _ = execute!(std::io::stdout(), terminal::BeginSynchronizedUpdate);
            term.draw(|f| draw::draw(f, app)).map_err(io)?;
            let _ = execute!(std::io::stdout(), terminal::EndSynchronizedUpdate);
            let _ = std::io::stdout().flush();
            app.dirty = false;
            timings.frame(pending_key.take());
        }
        if app.quit {
            return Ok(());
        }
        let mut wait = POLL.saturating_sub(last_poll.elapsed());
        if let Some((_, at)) = &app.pending_filter {
            wait = wait.min(app::FILTER_DELAY.saturating_sub(at.elapsed()));
        }
        if event::poll(wait).map_err(io)? {
            let t0 = Instant::now();
            match event::read().map_err(io)? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    app.on_key(k);
                    pending_key = Some(t0);
                }
                Event::Mouse(m) => app.on_mouse(m),
                Event::Paste(s) => app.on_paste(&s),
                Event::Resize(w, h) => app.resize(w, h),
                _ => {}
            }
        }
        app.settle_filter(false);
        if last_poll.elapsed() >= POLL {
            app.tick(session::now());
            last_poll = Instant::now();
        }
    }
}

/// With `DESK_TIMINGS=FILE`, the desk appends how long the first frame took from start-up and
/// how long each key took until its frame was on screen (bench/tui.sh reads them).
struct Timings {
    file: Option<std::fs::File>,
    started: Instant,
    first: bool,
}

impl Timings {
    fn from_env(started: Instant) -> Timings {
        let file = std::env::var_os("DESK_TIMINGS").and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        Timings {
            file,
            started,
            first: true,
        }
    }

    fn frame(&mut self, key: Option<Instant>) {
        let Some(f) = self.file.as_mut() else { return };
        if self.first {
            self.first = false;
            let _ = writeln!(
                f,
                "first_frame_ms {:.3}",
                self.started.elapsed().as_secs_f64() * 1000.0
            );
        }
        if let Some(k) = key {
            let _ = writeln!(
                f,
                "key_to_frame_ms {:.3}",
                k.elapsed().as_secs_f64() * 1000.0
            );
        }
    }
}
