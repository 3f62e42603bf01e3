//! The terminal desk: queue, ticket-detail and assignment panes, driven from the keyboard.
//!
//! - `app/` holds the state and routes each key: to the dialog on top, else to the focused
//!   pane's action (`app/actions.rs`), asking core and the store; nothing is decided there.
//! - `panes/` (queue, detail, assign) and `overlays/` (help, stats, picker, palette, prompt,
//!   form, status) each own their state, their keys and their drawing.
//! - `keymap.rs` turns terminal keys into the actions of core::keys (the bindings of
//!   desk.toml): the same table dispatches keys, lists them in `?` help and fills the hint bar.
//! - `draw.rs` is a pure function of the app's state; `layout.rs` says where things go;
//!   `ctx.rs` is what everything draws with.
//!
//! This module runs the terminal: it draws only when something changed, sleeps until a key or
//! a count comes (terminal events are read on a thread of their own), looks at the database a
//! few times a second for colleagues' changes, and restores the terminal however it exits.

pub mod app;
pub mod counter;
pub mod ctx;
pub mod draw;
pub mod input;
pub mod keymap;
pub mod layout;
pub mod overlays;
pub mod panes;
pub mod theme;
pub mod welcome;

use crate::error::{Error, Result};
use crate::msg;
use crate::session::{self, Session};
use crate::store::Mode;
use app::App;
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::crossterm::{execute, terminal};
use std::io::Write;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// How often the desk looks for colleagues' changes.
const POLL: Duration = Duration::from_millis(250);

/// A write waits at most this long for another desk before saying so (the desk stays usable).
const TUI_BUSY_TIMEOUT: Duration = Duration::from_millis(2000);

/// Opens the desk. Who is acting is settled before the terminal is taken over, so `--as`
/// with an unknown login or without the right is one line and an exit code, like any command.
pub fn run(opts: &session::DeskOptions) -> Result<()> {
    let started = Instant::now();
    let session = if opts.create && !opts.db.exists() {
        Session::create(&opts.db, opts.config.as_deref())?.session
    } else {
        Session::open(&opts.db, opts.config.as_deref(), Mode::Existing)?
    };
    session.store.set_busy_timeout(TUI_BUSY_TIMEOUT)?;
    let (w, h) = terminal::size().unwrap_or((80, 24));
    let mut app = App::open(
        session,
        opts.as_login.as_deref(),
        theme::Theme::from_env(),
        w,
        h,
        session::now(),
    )?;
    let timings = Timings::from_env(started);
    let mut term = ratatui::try_init()
        .map_err(|e| Error::Invalid(msg!("error.terminal", why = crate::error::io(&e))))?;
    crate::bug::terminal_taken(true);
    let _ = execute!(std::io::stdout(), event::EnableBracketedPaste);
    if opts.mouse {
        let _ = execute!(std::io::stdout(), event::EnableMouseCapture);
    }
    let wakes = Wakes::new();
    read_terminal(wakes.sender());
    let mut draw = |app: &App| -> Result<()> {
        // Synchronized update: the terminal shows the whole frame at once (over SSH too).
        let _ = execute!(std::io::stdout(), terminal::BeginSynchronizedUpdate);
        term.draw(|f| draw::draw(f, app))
            .map_err(|e| terminal_error(&e))?;
        let _ = execute!(std::io::stdout(), terminal::EndSynchronizedUpdate);
        let _ = std::io::stdout().flush();
        Ok(())
    };
    let result = event_loop(&mut app, wakes, None, timings, &mut draw).map(|_| ());
    if opts.mouse {
        let _ = execute!(std::io::stdout(), event::DisableMouseCapture);
    }
    let _ = execute!(std::io::stdout(), event::DisableBracketedPaste);
    ratatui::restore();
    crate::bug::terminal_taken(false);
    result
}

fn terminal_error(e: &std::io::Error) -> Error {
    Error::Invalid(msg!("error.terminal", why = crate::error::io(e)))
}

/// What wakes the desk's loop: the terminal's next event (or why there is none), or a count
/// come from the counting thread.
pub enum Wake {
    Input(std::io::Result<Event>),
    Count,
}

/// The channel the loop waits on: the terminal's events and the counting thread's answers
/// come through it, so the loop sleeps until one of them comes (or it is time to look for
/// colleagues' changes), never polling for a count.
pub struct Wakes {
    tx: Sender<Wake>,
    rx: Receiver<Wake>,
}

impl Wakes {
    pub fn new() -> Wakes {
        let (tx, rx) = mpsc::channel();
        Wakes { tx, rx }
    }

    /// Where to send what wakes the loop.
    pub fn sender(&self) -> Sender<Wake> {
        self.tx.clone()
    }
}

impl Default for Wakes {
    fn default() -> Wakes {
        Wakes::new()
    }
}

/// Reads the terminal's events on a thread of their own, each sent to the loop (until the
/// loop is gone, or reading fails: that is sent too).
fn read_terminal(to: Sender<Wake>) {
    let _ = std::thread::Builder::new()
        .name("desk-input".into())
        .spawn(move || {
            loop {
                let event = event::read();
                let failed = event.is_err();
                if to.send(Wake::Input(event)).is_err() || failed {
                    return;
                }
            }
        });
}

/// The desk's loop on `app` without a terminal (tests): what wakes it comes through `wakes`
/// (keys sent as terminal events), each frame goes to `draw`, counts are held by `gate` on
/// their thread. Returns how many times the loop woke, once `app` quits.
pub fn run_on(
    app: &mut App,
    wakes: Wakes,
    gate: Option<counter::Gate>,
    draw: &mut dyn FnMut(&App) -> Result<()>,
) -> Result<u64> {
    event_loop(app, wakes, gate, Timings::off(), draw)
}

/// Draws when something changed and sleeps until something wakes it (see [`Wakes`]).
/// Returns how many times it woke.
fn event_loop(
    app: &mut App,
    wakes: Wakes,
    gate: Option<counter::Gate>,
    mut timings: Timings,
    draw: &mut dyn FnMut(&App) -> Result<()>,
) -> Result<u64> {
    let mut last_poll = Instant::now();
    // What the next frame answers (a key, or the filter applied once typing paused), since when.
    let mut pending_key: Option<(Instant, String)> = None;
    let mut gate = gate;
    let mut counting_apart = false;
    let mut woke = 0;
    loop {
        if app.dirty {
            draw(app)?;
            app.dirty = false;
            timings.frame(app, pending_key.take());
            if !counting_apart {
                // Counts go to a thread of their own once the first frame is on screen (its
                // queue was counted before it; the thread's connection is made meanwhile):
                // no key waits for a count. A count that comes wakes the loop.
                let to = wakes.sender();
                let notify: counter::Notify = Box::new(move || {
                    let _ = to.send(Wake::Count);
                });
                app.count_apart(gate.take(), Some(notify));
                counting_apart = true;
            }
            app.after_frame();
        }
        if app.quit {
            return Ok(woke);
        }
        let mut wait = POLL.saturating_sub(last_poll.elapsed());
        if let Some((_, at)) = &app.pending_filter {
            wait = wait.min(app::FILTER_DELAY.saturating_sub(at.elapsed()));
        }
        let wake = match wakes.rx.recv_timeout(wait) {
            Ok(w) => Some(w),
            Err(RecvTimeoutError::Timeout) => None,
            // Both ends are held here: never.
            Err(RecvTimeoutError::Disconnected) => return Ok(woke),
        };
        woke += 1;
        if let Some(Wake::Input(event)) = wake {
            let t0 = Instant::now();
            match event.map_err(|e| terminal_error(&e))? {
                Event::Key(k) if k.kind != KeyEventKind::Release => {
                    crate::bug::test_trigger("key");
                    app.on_key(k);
                    if timings.on() {
                        let key = keymap::key_of(&k).map(|k| k.to_string());
                        let key = key.unwrap_or_else(|| "?".into()).replace(' ', "_");
                        pending_key = Some((t0, format!("key_to_frame_ms {{ms}} {key}")));
                    }
                }
                Event::Mouse(m) => app.on_mouse(m),
                Event::Paste(s) => app.on_paste(&s),
                Event::Resize(w, h) => app.resize(w, h),
                _ => {}
            }
        }
        let typed = app.pending_filter.is_some();
        let t0 = Instant::now();
        app.settle_filter(false);
        if typed && app.pending_filter.is_none() && timings.on() {
            pending_key = Some((t0, "filter_to_frame_ms {ms} filter".into()));
        }
        if app.counting() {
            app.take_count();
        }
        if last_poll.elapsed() >= POLL {
            app.tick(session::now());
            last_poll = Instant::now();
        }
    }
}

/// With `DESK_TIMINGS=FILE`, the desk appends how long the first frame took from start-up,
/// how long each key took until its frame was on screen, and how long a filter took from the
/// pause in typing that applied it to its frame; each line ends with the queue and its sort
/// (bench/tui.sh and bench/all.sh read them):
/// `key_to_frame_ms 1.234 o open priority`, `filter_to_frame_ms 8.1 filter open priority`.
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

    /// No timings written.
    fn off() -> Timings {
        Timings {
            file: None,
            started: Instant::now(),
            first: false,
        }
    }

    fn on(&self) -> bool {
        self.file.is_some()
    }

    fn frame(&mut self, app: &App, what: Option<(Instant, String)>) {
        let Some(f) = self.file.as_mut() else { return };
        if self.first {
            self.first = false;
            let _ = writeln!(
                f,
                "first_frame_ms {:.3}",
                self.started.elapsed().as_secs_f64() * 1000.0
            );
        }
        if let Some((at, line)) = what {
            let ms = format!("{:.3}", at.elapsed().as_secs_f64() * 1000.0);
            let spec = &app.queue.spec;
            let _ = writeln!(
                f,
                "{} {} {}",
                line.replace("{ms}", &ms),
                spec.kind.id(),
                spec.sort.id()
            );
        }
    }
}

#[cfg(test)]
mod tests {
    /// Every `.rs` file under `dir`, with its text.
    fn sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                out.extend(sources(&p));
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push((p.clone(), std::fs::read_to_string(&p).unwrap_or_default()));
            }
        }
        out
    }

    /// The front ends never import each other (issue 12, item 1): the program hands the
    /// command line the desk to open.
    #[test]
    fn front_ends_do_not_import_each_other() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for (front, other) in [("ui", "cli"), ("cli", "ui")] {
            let files = sources(&src.join(front));
            assert!(!files.is_empty(), "{front} has sources");
            for (path, text) in files {
                assert!(
                    !text.contains(&format!("crate::{other}")),
                    "{} imports {other}",
                    path.display()
                );
            }
        }
    }
}
