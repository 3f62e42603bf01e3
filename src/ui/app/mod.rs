//! The desk's state and where each key goes. Drawing never happens here and no rule is
//! decided here: what may be done is asked of core (directly, or through the store).
//!
//! A key goes to the dialog on top (each owns its keys: `dialogs.rs` acts on its reply), else
//! to the screen: the welcome, or the desk, whose actions are in `actions.rs` (owners in
//! `owners.rs`, notes and moves in `changes.rs`, each applied through `apply.rs`); moving
//! through queues is `navigation.rs`. What the queue highlights is always what a key acts on.

mod actions;
mod alerts;
mod answers;
mod apply;
mod casework;
mod changes;
mod dialogs;
mod files;
mod navigation;
mod owners;

use super::ctx::Ctx;
use super::keymap::{Keymap, key_of};
use super::layout::{Areas, layout};
use super::overlays::Overlay;
use super::overlays::help::HelpState;
use super::panes::assign::AssignState;
use super::panes::detail::DetailState;
use super::panes::queue::{QueueState, lost_text};
use super::theme::Theme;
use crate::core::config::Config;
use crate::core::keys::{Action, Context};
use crate::core::model::Actor;
use crate::core::query::{QueueKind, Viewer};
use crate::error::{Error, Result};
use crate::session::Session;
use crate::store::Ticket;
use crate::time::{day_start as local_day_start, format as local_time};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent};
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// An empty desk: load the demo or register the first request.
    Welcome,
    Desk,
    /// The person cannot use this desk (not an agent, deactivated).
    Denied(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Queue,
    Detail,
    Assign,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub level: Level,
    pub text: String,
}

/// The last action, ready to be undone: each ticket as it was, and its version after.
#[derive(Debug, Clone)]
pub struct UndoBatch {
    pub label: String,
    pub entries: Vec<(Ticket, i64)>,
}

pub struct App {
    pub session: Session,
    pub actor: Option<Actor>,
    pub keymap: Keymap,
    pub theme: Theme,
    pub screen: Screen,
    pub focus: Pane,
    pub queue: QueueState,
    pub detail: DetailState,
    pub assign: AssignState,
    /// The dialogs open, the one on top last (it gets the keys).
    pub overlays: Vec<Overlay>,
    pub message: Option<Message>,
    pub undo: Option<UndoBatch>,
    /// `PRAGMA data_version` at the last refresh: it changes when someone else commits.
    pub data_version: i64,
    pub width: u16,
    pub height: u16,
    pub now: i64,
    pub quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Filter text typed but not yet applied, and when it was typed: the query runs once
    /// typing pauses, so every key still draws at once.
    pub pending_filter: Option<(String, std::time::Instant)>,
    /// How many tickets have a requester the desk's mail did not reach (or who has no
    /// address): someone must tell them another way. Shown beside the queues' tabs.
    pub to_inform: i64,
    /// How many alerts (escalations of the person's groups' tickets) they have not seen yet:
    /// shown beside the tabs; `!` lists them.
    pub alerts: i64,
}

/// How long typing must pause before the filter runs.
pub const FILTER_DELAY: std::time::Duration = std::time::Duration::from_millis(120);

impl App {
    /// Opens the desk for the person at the keyboard.
    pub fn new(session: Session, theme: Theme, width: u16, height: u16, now: i64) -> Result<App> {
        App::open(session, None, theme, width, height, now)
    }

    /// Opens the desk for the person at the keyboard, or (admins) as `as_login`. Acting as
    /// someone else who cannot be acted as is an error, not a screen: the desk never opens as
    /// anyone but the person asked for.
    pub fn open(
        session: Session,
        as_login: Option<&str>,
        theme: Theme,
        width: u16,
        height: u16,
        now: i64,
    ) -> Result<App> {
        let keymap = Keymap::new(&session.cfg.keys);
        let (actor, screen) = match session.store.actor(&session.login, as_login) {
            Ok(a) => (Some(a), None),
            Err(e) if as_login.is_some_and(|l| l != session.login) => return Err(e),
            Err(e @ (Error::Forbidden(_) | Error::NotFound(_))) => {
                (None, Some(Screen::Denied(e.message(session.catalog))))
            }
            Err(e) => return Err(e),
        };
        let viewer = Viewer {
            agent_id: actor.as_ref().map(|a| a.id()).unwrap_or(-1),
            groups: match &actor {
                Some(a) => session.store.groups_of(a.id())?,
                None => Vec::new(),
            },
            day_start: local_day_start(now),
            now,
        };
        let screen = match screen {
            Some(s) => s,
            None if !session.store.has_tickets()? => Screen::Welcome,
            None => Screen::Desk,
        };
        let mut app = App {
            session,
            actor,
            keymap,
            theme,
            screen,
            focus: Pane::Queue,
            queue: QueueState::new(QueueKind::Mine, viewer),
            detail: DetailState::default(),
            assign: AssignState::default(),
            overlays: Vec::new(),
            message: None,
            undo: None,
            data_version: 0,
            width,
            height,
            now,
            quit: false,
            dirty: true,
            pending_filter: None,
            to_inform: 0,
            alerts: 0,
        };
        app.set_height();
        if app.screen == Screen::Desk {
            app.choose_start_queue()?;
            app.refresh(false)?;
        }
        Ok(app)
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            cfg: &self.session.cfg,
            cat: self.session.catalog,
            theme: self.theme,
            keymap: &self.keymap,
            now: self.now,
        }
    }

    fn cfg(&self) -> &Config {
        &self.session.cfg
    }

    /// The dialog on top, if any.
    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlays.last()
    }

    /// Rows the last message needs at the bottom (it is never cut: it wraps, up to three).
    pub fn hint_rows(&self) -> u16 {
        match &self.message {
            Some(m) => {
                let w = (self.width as usize).max(1);
                ((m.text.width() + 2).div_ceil(w)).clamp(1, 3) as u16
            }
            None => 1,
        }
    }

    pub fn areas(&self) -> Areas {
        layout(
            ratatui::layout::Rect::new(0, 0, self.width, self.height),
            self.focus,
            self.hint_rows(),
        )
    }

    fn set_height(&mut self) {
        let a = self.areas();
        self.queue.height = a.queue.height.saturating_sub(3).max(1) as usize;
    }

    /// Operators start on their own tickets; an empty list starts on what needs an owner.
    fn choose_start_queue(&mut self) -> Result<()> {
        for kind in [QueueKind::Mine, QueueKind::MyGroups, QueueKind::Unassigned] {
            self.queue.spec = crate::core::query::QueueSpec::new(kind);
            let s = &self.session;
            // Whether the queue has a ticket, not how many.
            let some = s.store.query_count_upto(
                &s.cfg,
                &self.queue.spec.query(),
                &self.queue.viewer,
                Some(0),
            )?;
            if some != crate::store::query::Count::Exact(0) {
                return Ok(());
            }
        }
        self.queue.spec = crate::core::query::QueueSpec::new(QueueKind::AllOpen);
        Ok(())
    }

    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.message = Some(Message {
            level,
            text: text.into(),
        });
        self.dirty = true;
        self.set_height();
    }

    fn clear_message(&mut self) {
        if self.message.take().is_some() {
            self.set_height();
        }
    }

    fn fail(&mut self, e: &Error) {
        let text = e.message(self.session.catalog);
        self.say(Level::Error, text);
    }

    /// Re-reads everything shown: the queue (keeping the selection), the detail, the
    /// assignment pane. After a colleague's change (`colleague`), a selected ticket that
    /// left the queue is said, and nothing is selected until the person moves.
    pub fn refresh(&mut self, colleague: bool) -> Result<()> {
        self.data_version = self.session.store.data_version()?;
        if !self.recheck_actor()? {
            return Ok(());
        }
        let gone = self.queue.reload(&self.session.store, &self.session.cfg)?;
        if let Some(t) = gone.filter(|_| colleague) {
            let now = self.session.store.get(t.id)?.unwrap_or(t);
            self.queue.lost = Some(super::panes::queue::Lost {
                number: now.number.clone(),
                by: now.updated_by.clone().unwrap_or_default(),
                at: local_time(now.updated_at),
            });
        }
        self.load_detail()?;
        self.assign.groups = self.session.store.groups()?;
        self.assign.agents = self.session.store.agents()?;
        self.to_inform = self.session.store.tickets_to_inform()?;
        self.alerts = match &self.actor {
            Some(a) => self.session.store.unseen_alerts(a.id())?,
            None => 0,
        };
        self.dirty = true;
        Ok(())
    }

    /// The person's agent as the database has it now, at every refresh (an admin's change is
    /// one): a role changed since the desk opened applies at once, and an account deactivated
    /// or removed closes the desk — nothing more is read or shown for them. False when closed.
    fn recheck_actor(&mut self) -> Result<bool> {
        let Some(current) = &self.actor else {
            return Ok(true);
        };
        let as_login = current.via.as_ref().map(|_| current.agent.login.clone());
        let login = self.session.login.clone();
        let now = self
            .session
            .store
            .sign_in(&login)
            .and_then(|_| self.session.store.actor(&login, as_login.as_deref()));
        match now {
            Ok(a) => {
                self.actor = Some(a);
                Ok(true)
            }
            Err(e @ (Error::Forbidden(_) | Error::NotFound(_) | Error::Refused(_))) => {
                self.actor = None;
                self.overlays.clear();
                self.detail.ticket = None;
                self.detail.history.clear();
                self.detail.older = 0;
                self.screen = Screen::Denied(e.message(self.session.catalog));
                self.dirty = true;
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// The detail pane shows the selected ticket.
    fn load_detail(&mut self) -> Result<()> {
        let id = self.queue.selected().map(|r| r.ticket.id);
        let same = self.detail.ticket.as_ref().map(|t| t.id) == id;
        match id {
            Some(id) => {
                self.detail.ticket = self.session.store.get(id)?;
                // The same ticket again keeps the pages read; another starts at its latest.
                let from = self.detail.history.first().map(|e| e.id).filter(|_| same);
                let page = self.session.store.history_page(id, from)?;
                self.detail.history = page.events;
                self.detail.older = page.older;
                self.detail.case = match &self.detail.ticket {
                    Some(t) => self.session.store.case_file(t)?,
                    None => Default::default(),
                };
                self.detail.to_inform = to_inform(&self.session, id);
            }
            None => {
                self.detail.ticket = None;
                self.detail.history.clear();
                self.detail.older = 0;
                self.detail.case = Default::default();
                self.detail.to_inform.clear();
            }
        }
        if !same {
            self.detail.scroll = 0;
        }
        Ok(())
    }

    /// Scrolls the detail pane by `rows`; once the line saying older events are not read yet
    /// comes into view, reads the page before (one page per scroll).
    pub(super) fn scroll_detail(&mut self, rows: i64) -> Result<()> {
        self.detail.scroll = (self.detail.scroll as i64 + rows).clamp(0, 10_000) as u16;
        let Some(line) = crate::ui::panes::detail::older_line(&self.detail, &self.ctx()) else {
            return Ok(());
        };
        let height = self.areas().detail.map_or(0, |r| r.height) as usize;
        let (Some(id), Some(first)) = (
            self.detail.ticket.as_ref().map(|t| t.id),
            self.detail.history.first().map(|e| e.id),
        ) else {
            return Ok(());
        };
        if self.detail.scroll as usize + height >= line {
            let mut page = self.session.store.history_before(id, first)?;
            page.events.append(&mut self.detail.history);
            self.detail.history = page.events;
            self.detail.older = page.older;
        }
        Ok(())
    }

    /// What the detail pane says when it has no ticket.
    pub fn detail_empty(&self) -> String {
        match &self.queue.lost {
            Some(l) => lost_text(&self.ctx(), l),
            None => self.session.catalog.t("ui.no_ticket").to_string(),
        }
    }

    /// Applies typed filter text once typing has paused (or at once with `force`).
    pub fn settle_filter(&mut self, force: bool) {
        if let Some((text, at)) = self.pending_filter.take() {
            if force || at.elapsed() >= FILTER_DELAY {
                self.apply_filter(text);
                self.dirty = true;
            } else {
                self.pending_filter = Some((text, at));
            }
        }
    }

    /// From now on the queue is counted on a thread of its own, with its own connection to
    /// the desk: a frame never waits for a count (the pane says "counting…" until it comes,
    /// see `take_count`). `gate` runs on that thread before each count (tests hold one back
    /// with it); `notify` runs there once a count is sent (it wakes the terminal's loop).
    /// Without a thread the queue goes on counting where it needs the count.
    pub fn count_apart(
        &mut self,
        gate: Option<crate::ui::counter::Gate>,
        notify: Option<crate::ui::counter::Notify>,
    ) {
        let s = &self.session;
        self.queue.counter = crate::ui::counter::Counter::start(&s.store, &s.cfg, gate, notify);
    }

    /// Whether a count asked apart has not come yet.
    pub fn counting(&self) -> bool {
        self.queue.counting
    }

    /// Called once a frame is on screen: the count it asked for starts now, on its thread.
    pub fn after_frame(&mut self) {
        let s = &self.session;
        let changed = self.queue.after_frame(&s.store, &s.cfg);
        self.redraw_if(changed);
    }

    /// Shows a count asked apart once it has come (the frame is then drawn again).
    pub fn take_count(&mut self) {
        let s = &self.session;
        let changed = self.queue.take_count(&s.store, &s.cfg);
        self.redraw_if(changed);
    }

    /// Draws the frame again when the queue says it changed; says a failure.
    fn redraw_if(&mut self, changed: Result<bool>) {
        match changed {
            Ok(true) => self.dirty = true,
            Ok(false) => {}
            Err(e) => self.fail(&e),
        }
    }

    /// Waits until the count asked apart has come and shows it (tests: what the pane shows
    /// once it is known). At most `patience`.
    pub fn wait_for_count(&mut self, patience: std::time::Duration) {
        let until = std::time::Instant::now() + patience;
        while self.queue.counting && std::time::Instant::now() < until {
            self.take_count();
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Called a few times a second: a colleague's change shows without a keypress.
    pub fn tick(&mut self, now: i64) {
        if now / 60 != self.now / 60 {
            self.dirty = true;
        }
        self.now = now;
        self.queue.viewer.now = now;
        self.queue.viewer.day_start = local_day_start(now);
        if self.screen == Screen::Welcome {
            // A colleague registered the first tickets: the welcome gives way to the desk.
            if self.session.store.has_tickets().unwrap_or(false) {
                self.screen = Screen::Desk;
                self.after_first_tickets();
            }
            return;
        }
        if self.screen != Screen::Desk {
            return;
        }
        match self.session.store.data_version() {
            Ok(v) if v != self.data_version => {
                if let Err(e) = self.refresh(true) {
                    self.fail(&e);
                }
                self.stats_changed();
            }
            Ok(_) => {}
            Err(e) => self.fail(&e),
        }
        self.stats_tick();
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = width;
        self.height = height;
        self.set_height();
        if self.screen == Screen::Desk {
            let lost = self.queue.lost.take();
            let cursor = self.queue.cursor;
            let s = &self.session;
            if let Err(e) = self.queue.goto(&s.store, &s.cfg, cursor) {
                self.fail(&e);
            }
            self.queue.lost = lost;
        }
        self.dirty = true;
    }

    /// The keymap context of the focused pane.
    pub fn context(&self) -> Context {
        match self.focus {
            Pane::Queue => Context::Queue,
            Pane::Detail => Context::Detail,
            Pane::Assign => Context::Assign,
        }
    }

    /// The context keys go to now: the dialog on top, the welcome, or the focused pane.
    pub fn key_context(&self) -> Context {
        match (self.overlay(), &self.screen) {
            (Some(o), _) => o.context(),
            (None, Screen::Welcome) => Context::Welcome,
            _ => self.context(),
        }
    }

    // ---- input -------------------------------------------------------------------------

    pub fn on_key(&mut self, k: KeyEvent) {
        self.dirty = true;
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        if !self.overlays.is_empty() {
            self.overlay_key(&k);
            return;
        }
        match self.screen.clone() {
            Screen::Denied(_) => {
                if matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) {
                    self.quit = true;
                }
            }
            Screen::Welcome => match self.keymap.action(Context::Welcome, &k) {
                Some(Action::Quit | Action::Back) => self.quit = true,
                Some(Action::Demo) => self.load_demo(),
                Some(Action::New) => self.act(Action::New),
                Some(Action::Help) => self.open_help(Context::Welcome),
                _ => self.unbound(&k),
            },
            Screen::Desk => {
                // Hints ("choose an agent…") last one key; results and errors stay.
                if self
                    .message
                    .as_ref()
                    .is_some_and(|m| m.level == Level::Info)
                {
                    self.clear_message();
                }
                match self.keymap.action(self.context(), &k) {
                    Some(a) => self.act(a),
                    None => self.unbound(&k),
                }
            }
        }
    }

    /// A key that means nothing where it was pressed: said, with where to find the keys.
    fn unbound(&mut self, k: &KeyEvent) {
        let Some(key) = key_of(k) else { return };
        let context = self.key_context();
        let help = self.ctx().key(context, Action::Help);
        let text = self
            .session
            .catalog
            .f("ui.unbound", &[("key", key.to_string()), ("help", help)]);
        self.say(Level::Info, text);
    }

    pub fn on_paste(&mut self, text: &str) {
        self.dirty = true;
        if let Some(top) = self.overlays.last_mut() {
            top.on_paste(text);
            if let Overlay::Prompt(p) = top
                && p.purpose == super::overlays::prompt::Purpose::Filter
            {
                self.pending_filter = Some((p.text(), std::time::Instant::now()));
            }
        }
    }

    pub fn on_mouse(&mut self, m: MouseEvent) {
        if self.screen != Screen::Desk || !self.overlays.is_empty() {
            return;
        }
        self.mouse(m);
    }

    /// Opens `?` help for a context.
    fn open_help(&mut self, context: Context) {
        let h = HelpState::new(context, &self.ctx(), self.height);
        self.overlays.push(Overlay::Help(h));
    }

    /// The status line's "who": login (and the admin behind `--as`) and role.
    pub fn who(&self) -> String {
        match &self.actor {
            Some(a) => {
                let cat = self.session.catalog;
                let who = match &a.via {
                    Some(v) => cat.f(
                        "event.via",
                        &[("via", v.login.clone()), ("actor", a.agent.login.clone())],
                    ),
                    None => a.agent.login.clone(),
                };
                format!("{who} · {}", cat.id("role", a.role().as_str()))
            }
            None => self.session.login.clone(),
        }
    }
}

/// A ticket's notices that an operator must give the requester another way (the detail pane
/// says how); none when they cannot be read.
fn to_inform(s: &crate::session::Session, ticket: i64) -> Vec<crate::store::outbox::Notice> {
    s.store
        .notices(ticket)
        .map(|n| n.into_iter().filter(|n| n.to_inform()).collect())
        .unwrap_or_default()
}
