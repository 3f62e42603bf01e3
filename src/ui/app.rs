//! The desk's state and what every action does to it. Drawing never happens here and no rule
//! is decided here: what may be done is asked of core (directly, or through the store).

use super::Ctx;
use super::assign::AssignState;
use super::detail::DetailState;
use super::draw::{Areas, layout};
use super::form::{FormResult, NewTicketForm};
use super::keymap::{Action, Context, Keymap};
use super::palette::{self, Command, Palette, PaletteResult, Sources};
use super::prompt::{Prompt, PromptResult, Purpose};
use super::queue::QueueState;
use super::status::{MoveOption, StatusFlow, StatusResult};
use super::theme::Theme;
use crate::core::config::Config;
use crate::core::lifecycle::Fields;
use crate::core::model::Actor;
use crate::core::refusal::Refusal;
use crate::core::rights;
use crate::error::{Error, Result};
use crate::session::Session;
use crate::store::queue::{QueueKind, SortKey, Viewer};
use crate::store::{Changed, Store, Ticket};
use crate::time::{date as local_date, day_start as local_day_start, format as local_time};
use ratatui::crossterm::event::{
    KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

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

pub enum Overlay {
    Help { context: Context, scroll: u16 },
    Palette(Box<Palette>),
    Form(Box<NewTicketForm>),
    Status(Box<StatusFlow>),
    Prompt(Box<Prompt>),
    Picker { cursor: usize },
    Stats(Box<super::stats::StatsState>),
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
    pub overlay: Option<Overlay>,
    pub message: Option<Message>,
    pub undo: Option<UndoBatch>,
    /// `PRAGMA data_version` at the last refresh: it changes when someone else commits.
    pub data_version: i64,
    pub width: u16,
    pub height: u16,
    pub now: i64,
    /// The detail pane shows a ticket opened with `:goto`, not the queue's selection.
    pub pinned: bool,
    pub quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Filter text typed but not yet applied, and when it was typed: the query runs once
    /// typing pauses, so every key still draws at once.
    pub pending_filter: Option<(String, std::time::Instant)>,
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
        let keymap = Keymap::with_overrides(&session.cfg.keys).map_err(|(line, message)| {
            Error::Config(crate::core::config::ConfigError {
                origin: session.cfg.origin.clone(),
                line: Some(line),
                message,
            })
        })?;
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
            overlay: None,
            message: None,
            undo: None,
            data_version: 0,
            width,
            height,
            now,
            pinned: false,
            quit: false,
            dirty: true,
            pending_filter: None,
        };
        app.set_height();
        if app.screen == Screen::Desk {
            app.choose_start_queue()?;
            app.refresh()?;
        }
        Ok(app)
    }

    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            cfg: &self.session.cfg,
            cat: self.session.catalog,
            theme: self.theme,
            now: self.now,
        }
    }

    fn cfg(&self) -> &Config {
        &self.session.cfg
    }

    pub fn areas(&self) -> Areas {
        layout(
            ratatui::layout::Rect::new(0, 0, self.width, self.height),
            self.focus,
        )
    }

    fn set_height(&mut self) {
        let a = self.areas();
        self.queue.height = a.queue.height.saturating_sub(3).max(1) as usize;
    }

    /// Operators start on their own tickets; an empty list starts on what needs an owner.
    fn choose_start_queue(&mut self) -> Result<()> {
        for kind in [QueueKind::Mine, QueueKind::MyGroups, QueueKind::Unassigned] {
            self.queue.spec = crate::store::queue::QueueSpec::new(kind);
            if self.session.store.queue_count(
                &self.session.cfg,
                &self.queue.spec,
                &self.queue.viewer,
            )? > 0
            {
                return Ok(());
            }
        }
        self.queue.spec = crate::store::queue::QueueSpec::new(QueueKind::AllOpen);
        Ok(())
    }

    pub fn say(&mut self, level: Level, text: impl Into<String>) {
        self.message = Some(Message {
            level,
            text: text.into(),
        });
        self.dirty = true;
    }

    fn fail(&mut self, e: &Error) {
        let text = e.message(self.session.catalog);
        self.say(Level::Error, text);
    }

    /// Re-reads everything shown: the queue (keeping the selection), the detail, the
    /// assignment pane.
    pub fn refresh(&mut self) -> Result<()> {
        self.data_version = self.session.store.data_version()?;
        self.queue.reload(&self.session.store, &self.session.cfg)?;
        self.load_detail()?;
        self.assign.groups = self.session.store.groups()?;
        self.assign.agents = self.session.store.agents()?;
        self.dirty = true;
        Ok(())
    }

    fn load_detail(&mut self) -> Result<()> {
        let id = if self.pinned {
            self.detail.ticket.as_ref().map(|t| t.id)
        } else {
            self.queue.selected().map(|r| r.ticket.id)
        };
        let same = self.detail.ticket.as_ref().map(|t| t.id) == id;
        match id {
            Some(id) => {
                self.detail.ticket = self.session.store.get(id)?;
                self.detail.history = self.session.store.history(id)?;
            }
            None => {
                self.detail.ticket = None;
                self.detail.history.clear();
            }
        }
        if !same {
            self.detail.scroll = 0;
        }
        Ok(())
    }

    /// Applies typed filter text once typing has paused (or at once with `force`).
    pub fn settle_filter(&mut self, force: bool) {
        if let Some((text, at)) = self.pending_filter.take() {
            if force || at.elapsed() >= FILTER_DELAY {
                self.apply_filter(text);
            } else {
                self.pending_filter = Some((text, at));
            }
        }
    }

    /// Called a few times a second: a colleague's change shows without a keypress.
    pub fn tick(&mut self, now: i64) {
        if now / 60 != self.now / 60 {
            self.dirty = true;
        }
        self.now = now;
        self.queue.viewer.now = now;
        let day = local_day_start(now);
        if day != self.queue.viewer.day_start {
            self.queue.viewer.day_start = day;
        }
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
                if let Err(e) = self.refresh() {
                    self.fail(&e);
                }
                if let Some(Overlay::Stats(st)) = &mut self.overlay {
                    st.dirty = true;
                }
            }
            Ok(_) => {}
            Err(e) => self.fail(&e),
        }
        if matches!(&self.overlay, Some(Overlay::Stats(st)) if st.due())
            && let Some(Overlay::Stats(mut st)) = self.overlay.take()
        {
            self.load_stats(&mut st);
            self.overlay = Some(Overlay::Stats(st));
        }
    }

    pub fn resize(&mut self, width: u16, height: u16) {
        self.width = width;
        self.height = height;
        self.set_height();
        if self.screen == Screen::Desk {
            let cursor = self.queue.cursor;
            let r = self
                .queue
                .goto(&self.session.store, &self.session.cfg, cursor);
            if let Err(e) = r {
                self.fail(&e);
            }
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

    // ---- input -------------------------------------------------------------------------

    pub fn on_key(&mut self, k: KeyEvent) {
        self.dirty = true;
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        if let Some(overlay) = self.overlay.take() {
            self.overlay_key(overlay, k);
            return;
        }
        match self.screen.clone() {
            Screen::Denied(_) => {
                if matches!(k.code, KeyCode::Char('q') | KeyCode::Esc) {
                    self.quit = true;
                }
            }
            Screen::Welcome => match k.code {
                KeyCode::Char('q') | KeyCode::Esc => self.quit = true,
                KeyCode::Char('d') => self.load_demo(),
                KeyCode::Char('n') => {
                    self.overlay = Some(Overlay::Form(Box::new(NewTicketForm::new(&self.ctx()))))
                }
                _ => {}
            },
            Screen::Desk => {
                // Hints ("choose an agent…") last one key; results and errors stay.
                if self
                    .message
                    .as_ref()
                    .is_some_and(|m| m.level == Level::Info)
                {
                    self.message = None;
                }
                if let Some(a) = self.keymap.action(self.context(), &k) {
                    self.act(a);
                }
            }
        }
    }

    pub fn on_paste(&mut self, text: &str) {
        self.dirty = true;
        match &mut self.overlay {
            Some(Overlay::Form(f)) => f.on_paste(text),
            Some(Overlay::Status(s)) => s.on_paste(text),
            Some(Overlay::Prompt(p)) => {
                p.on_paste(text);
                if p.purpose == Purpose::Filter {
                    let t = super::input::text(&p.input);
                    self.pending_filter = Some((t, std::time::Instant::now()));
                }
            }
            Some(Overlay::Palette(p)) => p.on_paste(text),
            _ => {}
        }
    }

    pub fn on_mouse(&mut self, m: MouseEvent) {
        if self.screen != Screen::Desk || self.overlay.is_some() {
            return;
        }
        let a = self.areas();
        let inside = |r: ratatui::layout::Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        let pane = if inside(a.queue) {
            Some(Pane::Queue)
        } else if a.detail.is_some_and(inside) {
            Some(Pane::Detail)
        } else if a.assign.is_some_and(inside) {
            Some(Pane::Assign)
        } else {
            None
        };
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let down = m.kind == MouseEventKind::ScrollDown;
                match pane {
                    Some(Pane::Detail) => {
                        self.detail.scroll = if down {
                            self.detail.scroll.saturating_add(3)
                        } else {
                            self.detail.scroll.saturating_sub(3)
                        }
                    }
                    Some(Pane::Assign) => self.assign.move_cursor(if down { 1 } else { -1 }),
                    _ => self.move_queue(if down { 3 } else { -3 }),
                }
                self.dirty = true;
            }
            MouseEventKind::Down(MouseButton::Left) => {
                if inside(a.tabs) {
                    if let Some(kind) = super::draw::tab_at(&self.ctx(), m.column) {
                        self.switch_queue(kind);
                    }
                    return;
                }
                if let Some(p) = pane {
                    self.focus = p;
                    self.set_height();
                }
                if pane == Some(Pane::Queue) {
                    let first_row = a.queue.y + 2;
                    if m.row == a.queue.y + 1 {
                        if let Some(sort) = super::draw::column_at(a.queue, m.column) {
                            self.set_sort(sort);
                        }
                    } else if m.row >= first_row {
                        let index = self.queue.top + (m.row - first_row) as i64;
                        if index < self.queue.total {
                            self.pinned = false;
                            self.goto_row(index);
                        }
                    }
                }
                self.dirty = true;
            }
            _ => {}
        }
    }

    // ---- actions -----------------------------------------------------------------------

    fn actor(&self) -> Option<Actor> {
        self.actor.clone()
    }

    /// What an action applies to: the ticket in the detail pane when it has focus, else the
    /// marked tickets, else the selected one.
    pub fn targets(&self) -> Vec<Ticket> {
        if self.focus == Pane::Detail
            && let Some(t) = &self.detail.ticket
        {
            return vec![t.clone()];
        }
        if self.pinned
            && self.queue.marks.is_empty()
            && let Some(t) = &self.detail.ticket
        {
            return vec![t.clone()];
        }
        self.queue.targets()
    }

    fn goto_row(&mut self, index: i64) {
        let r = self
            .queue
            .goto(&self.session.store, &self.session.cfg, index);
        let r = r.and_then(|_| self.load_detail());
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    fn move_queue(&mut self, delta: i64) {
        self.pinned = false;
        let i = self.queue.cursor + delta;
        self.goto_row(i);
    }

    pub fn switch_queue(&mut self, kind: QueueKind) {
        self.queue.spec = crate::store::queue::QueueSpec::new(kind);
        self.pinned = false;
        self.focus = Pane::Queue;
        self.set_height();
        let r = self
            .queue
            .load_top(&self.session.store, &self.session.cfg)
            .and_then(|_| self.load_detail());
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    /// Sorts by `sort`; choosing the current column again reverses it.
    fn set_sort(&mut self, sort: SortKey) {
        let reverse = self.queue.spec.sort == sort && !self.queue.spec.reverse;
        self.sort_by(sort, reverse);
    }

    fn sort_by(&mut self, sort: SortKey, reverse: bool) {
        self.queue.spec.sort = sort;
        self.queue.spec.reverse = reverse;
        let r = self
            .queue
            .load_top(&self.session.store, &self.session.cfg)
            .and_then(|_| self.load_detail());
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    fn apply_filter(&mut self, text: String) {
        self.queue.spec.text = text;
        let r = self
            .queue
            .load_top(&self.session.store, &self.session.cfg)
            .and_then(|_| self.load_detail());
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    pub fn act(&mut self, a: Action) {
        self.dirty = true;
        let page = self.queue.height as i64;
        match a {
            Action::Quit => self.quit = true,
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => {
                let delta = match a {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -page,
                    Action::PageDown => page,
                    Action::Top => i64::MIN / 2,
                    _ => i64::MAX / 2,
                };
                match self.focus {
                    Pane::Queue => {
                        let target = match a {
                            Action::Top => 0,
                            Action::Bottom => self.queue.total - 1,
                            _ => self.queue.cursor + delta,
                        };
                        self.pinned = false;
                        self.goto_row(target);
                    }
                    Pane::Detail => {
                        let d = delta.clamp(-10_000, 10_000);
                        self.detail.scroll =
                            (self.detail.scroll as i64 + d).clamp(0, 10_000) as u16;
                    }
                    Pane::Assign => self.assign.move_cursor(delta.clamp(-10_000, 10_000)),
                }
            }
            Action::Left => self.assign.move_group(-1),
            Action::Right => self.assign.move_group(1),
            Action::NextPane | Action::PrevPane => {
                let order = [Pane::Queue, Pane::Detail, Pane::Assign];
                let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
                let step = if a == Action::NextPane { 1 } else { 2 };
                self.focus = order[(i + step) % 3];
                if self.focus == Pane::Assign {
                    self.select_group_of_targets();
                }
                self.set_height();
            }
            Action::Open => match self.focus {
                Pane::Queue => {
                    if self.queue.selected().is_some() {
                        self.focus = Pane::Detail;
                        self.set_height();
                    }
                }
                Pane::Detail => {}
                Pane::Assign => self.assign_to_selected_agent(),
            },
            Action::Back => {
                if self.focus != Pane::Queue {
                    self.focus = Pane::Queue;
                    self.set_height();
                } else if self.pinned {
                    self.pinned = false;
                    let r = self.load_detail();
                    if let Err(e) = r {
                        self.fail(&e);
                    }
                } else if !self.queue.marks.is_empty() {
                    self.queue.marks.clear();
                } else if !self.queue.spec.text.is_empty() {
                    self.apply_filter(String::new());
                } else {
                    self.message = None;
                }
            }
            Action::Filter => {
                let mut p = Prompt::new(
                    self.session.catalog.t("ui.filter").to_string(),
                    self.session.catalog.t("ui.filter_label").to_string(),
                    Purpose::Filter,
                    false,
                    false,
                );
                p.input = super::input::with_text("", &self.queue.spec.text, false);
                super::input::set_focus(&mut p.input, true);
                self.overlay = Some(Overlay::Prompt(Box::new(p)));
            }
            Action::Queue(kind) => self.switch_queue(kind),
            Action::PickQueue => {
                let cursor = QueueKind::ALL
                    .iter()
                    .position(|k| *k == self.queue.spec.kind)
                    .unwrap_or(0);
                self.overlay = Some(Overlay::Picker { cursor });
            }
            Action::Sort => {
                let i = SortKey::ALL
                    .iter()
                    .position(|k| *k == self.queue.spec.sort)
                    .unwrap_or(0);
                self.set_sort(SortKey::ALL[(i + 1) % SortKey::ALL.len()]);
            }
            Action::Reverse => {
                let s = self.queue.spec.sort;
                self.set_sort(s);
            }
            Action::Mark => {
                if let Some(row) = self.queue.selected().cloned() {
                    if self.queue.marks.remove(&row.ticket.id).is_none() {
                        self.queue.marks.insert(row.ticket.id, row.ticket.clone());
                    }
                    self.move_queue(1);
                }
            }
            Action::MarkAll => {
                let visible: Vec<Ticket> = self
                    .queue
                    .visible()
                    .iter()
                    .map(|r| r.ticket.clone())
                    .collect();
                if visible.iter().all(|t| self.queue.marks.contains_key(&t.id)) {
                    for t in &visible {
                        self.queue.marks.remove(&t.id);
                    }
                } else {
                    for t in visible {
                        self.queue.marks.insert(t.id, t);
                    }
                }
            }
            Action::New => {
                self.overlay = Some(Overlay::Form(Box::new(NewTicketForm::new(&self.ctx()))))
            }
            Action::Claim => self.claim(),
            Action::Assign => {
                if self.targets().is_empty() {
                    self.say(Level::Info, self.session.catalog.t("ui.nothing_selected"));
                    return;
                }
                self.focus = Pane::Assign;
                self.select_group_of_targets();
                self.set_height();
                let n = self.targets().len();
                self.say(
                    Level::Info,
                    self.session
                        .catalog
                        .f("ui.choose_agent", &[("n", n.to_string())]),
                );
            }
            Action::Unassign => self.unassign(),
            Action::Status => self.open_status(None),
            Action::Comment => self.open_note(Purpose::Comment),
            Action::Reply => self.open_note(Purpose::Reply),
            Action::Undo => self.undo(),
            Action::Reload => match self.refresh() {
                Ok(()) => self.say(Level::Info, self.session.catalog.t("ui.reloaded")),
                Err(e) => self.fail(&e),
            },
            Action::Help => {
                self.overlay = Some(Overlay::Help {
                    context: self.context(),
                    scroll: 0,
                })
            }
            Action::Stats => {
                let mut st = super::stats::StatsState::default();
                self.load_stats(&mut st);
                self.overlay = Some(Overlay::Stats(Box::new(st)));
            }
            Action::Rate => self.open_note(Purpose::Rate),
            Action::Palette => {
                let mut p = Palette::new("");
                p.complete(&self.sources(&p));
                self.overlay = Some(Overlay::Palette(Box::new(p)));
            }
        }
    }

    /// Computes the Stats pane's report for its period and group.
    pub fn load_stats(&mut self, st: &mut super::stats::StatsState) {
        let days = super::stats::PERIODS[st.period];
        let to = local_day_start(self.now) + 86_400;
        let from = local_day_start(self.now) - (days - 1) * 86_400;
        let spec = crate::store::report::ReportSpec {
            from,
            to,
            by: None,
            group: st.group.clone(),
            now: self.now,
        };
        let started = std::time::Instant::now();
        match self.session.store.report(&self.session.cfg, &spec) {
            Ok(r) => st.report = Some(r),
            Err(e) => self.fail(&e),
        }
        st.millis = started.elapsed().as_millis();
        st.loaded = Some(started);
        st.dirty = false;
        st.agents = self.session.store.agents().unwrap_or_default();
    }

    fn select_group_of_targets(&mut self) {
        let group = self.targets().first().and_then(|t| t.group.clone());
        self.assign.select_group(group.as_deref());
    }

    fn load_demo(&mut self) {
        let Some(actor) = self.actor() else { return };
        let now = self.now;
        let s = &mut self.session;
        match s.store.demo(&s.cfg, &actor, 300, now) {
            Ok(summary) => {
                self.screen = Screen::Desk;
                self.after_first_tickets();
                let text = self.session.catalog.f(
                    "ui.demo_loaded",
                    &[
                        ("tickets", summary.tickets.to_string()),
                        ("agents", summary.agents.to_string()),
                    ],
                );
                self.say(Level::Ok, text);
            }
            Err(e) => self.fail(&e),
        }
    }

    fn after_first_tickets(&mut self) {
        let r = (|| -> Result<()> {
            if let Some(a) = &self.actor {
                self.queue.viewer.groups = self.session.store.groups_of(a.id())?;
            }
            self.choose_start_queue()?;
            self.queue
                .load_top(&self.session.store, &self.session.cfg)?;
            self.refresh()
        })();
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    /// Applies one store operation to each target; one undo entry per ticket that changed;
    /// a summary message; a refresh. A ticket changed by someone else meanwhile is refused
    /// (never overwritten) and the view reloads.
    fn apply_each<F>(&mut self, label: String, undoable: bool, targets: Vec<Ticket>, mut op: F)
    where
        F: FnMut(&mut Store, &Config, &Actor, &Ticket, i64) -> Result<Changed>,
    {
        let Some(actor) = self.actor() else { return };
        let now = self.now;
        let mut entries = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        let cat = self.session.catalog;
        for t in &targets {
            let s = &mut self.session;
            match op(&mut s.store, &s.cfg, &actor, t, now) {
                Ok(c) => {
                    if let Some((login, load, capacity)) = &c.warning {
                        warnings.push(cat.f(
                            "msg.over_capacity",
                            &[
                                ("login", login.clone()),
                                ("load", load.to_string()),
                                ("capacity", capacity.to_string()),
                            ],
                        ));
                    }
                    entries.push((t.clone(), c.version));
                }
                Err(Error::Refused(Refusal::Stale { by, at })) => errors.push(cat.f(
                    "ui.stale_reloaded",
                    &[("number", t.number.clone()), ("by", by), ("at", at)],
                )),
                Err(e) => errors.push(format!("{}: {}", t.number, e.message(cat))),
            }
        }
        let done = entries.len();
        if done > 0 {
            self.queue.marks.clear();
            if undoable {
                self.undo = Some(UndoBatch {
                    label: label.clone(),
                    entries,
                });
            }
        }
        if let Err(e) = self.refresh() {
            self.fail(&e);
            return;
        }
        match (done, errors.first()) {
            (_, None) => {
                let mut text = cat.f("ui.done", &[("what", label), ("n", done.to_string())]);
                if let Some(w) = warnings.first() {
                    text.push_str(" · ");
                    text.push_str(w);
                }
                if undoable {
                    text.push_str(&format!(" · {}", cat.t("ui.undo_hint")));
                }
                self.say(Level::Ok, text);
            }
            (0, Some(first)) => self.say(Level::Error, first.clone()),
            (_, Some(first)) => {
                let text = cat.f(
                    "ui.partly",
                    &[
                        ("what", label),
                        ("n", done.to_string()),
                        ("failed", errors.len().to_string()),
                        ("first", first.clone()),
                    ],
                );
                self.say(Level::Error, text);
            }
        }
    }

    fn claim(&mut self) {
        let targets = self.targets();
        let Some(actor) = self.actor() else { return };
        if targets.is_empty() {
            self.say(Level::Info, self.session.catalog.t("ui.nothing_selected"));
            return;
        }
        let others = targets
            .iter()
            .filter(|t| {
                t.assignee
                    .as_ref()
                    .is_some_and(|o| o.agent.id != actor.id())
            })
            .count();
        if others > 0 && rights::role_may(actor.role(), rights::Action::TakeOver) {
            let cat = self.session.catalog;
            let mut p = Prompt::new(
                cat.t("ui.take_over").to_string(),
                cat.t("field.reason").to_string(),
                Purpose::Claim,
                true,
                false,
            );
            p.preview = vec![cat.f(
                "ui.take_over_preview",
                &[
                    ("n", targets.len().to_string()),
                    ("others", others.to_string()),
                ],
            )];
            self.overlay = Some(Overlay::Prompt(Box::new(p)));
            return;
        }
        self.do_claim(targets, None);
    }

    fn do_claim(&mut self, targets: Vec<Ticket>, reason: Option<String>) {
        let label = self.session.catalog.t("ui.verb_claim").to_string();
        self.apply_each(label, true, targets, |store, cfg, actor, t, now| {
            store.claim(
                cfg,
                actor,
                &t.number,
                reason.as_deref(),
                Some(t.version),
                now,
            )
        });
    }

    fn unassign(&mut self) {
        let targets = self.targets();
        let Some(actor) = self.actor() else { return };
        if targets.iter().any(|t| {
            t.assignee
                .as_ref()
                .is_some_and(|o| o.agent.id != actor.id())
        }) {
            let cat = self.session.catalog;
            let mut p = Prompt::new(
                cat.t("ui.unassign").to_string(),
                cat.t("field.reason").to_string(),
                Purpose::Unassign,
                true,
                false,
            );
            p.preview = vec![cat.f("ui.n_tickets", &[("n", targets.len().to_string())])];
            self.overlay = Some(Overlay::Prompt(Box::new(p)));
            return;
        }
        self.do_unassign(targets, None);
    }

    fn do_unassign(&mut self, targets: Vec<Ticket>, reason: Option<String>) {
        let label = self.session.catalog.t("ui.verb_unassign").to_string();
        self.apply_each(label, true, targets, |store, cfg, actor, t, now| {
            store.unassign(
                cfg,
                actor,
                &t.number,
                reason.as_deref(),
                Some(t.version),
                now,
            )
        });
    }

    /// Enter on an agent in the assignment pane: ask why (with a preview), then give.
    fn assign_to_selected_agent(&mut self) {
        let Some(agent) = self.assign.selected().cloned() else {
            return;
        };
        self.ask_assign(
            agent.login.clone(),
            self.assign
                .groups
                .get(self.assign.group)
                .map(|g| g.code.clone()),
        );
    }

    fn ask_assign(&mut self, login: String, group: Option<String>) {
        let targets = self.targets();
        if targets.is_empty() {
            self.say(Level::Info, self.session.catalog.t("ui.nothing_selected"));
            return;
        }
        let cat = self.session.catalog;
        let reassigned = targets.iter().filter(|t| t.assignee.is_some()).count();
        let group = group.filter(|g| {
            targets
                .iter()
                .any(|t| t.group.as_deref() != Some(g.as_str()))
        });
        let mut p = Prompt::new(
            cat.t("ui.assign").to_string(),
            cat.t("field.reason").to_string(),
            Purpose::Assign {
                login: login.clone(),
                group: group.clone(),
            },
            reassigned > 0,
            false,
        );
        let load = self
            .assign
            .agents
            .iter()
            .find(|a| a.login == login)
            .map(|a| format!(" ({}/{})", a.load + targets.len() as i64, a.capacity))
            .unwrap_or_default();
        p.preview = vec![cat.f(
            "ui.assign_preview",
            &[
                ("n", targets.len().to_string()),
                ("login", format!("{login}{load}")),
                ("reassigned", reassigned.to_string()),
            ],
        )];
        if let Some(g) = &group {
            p.preview
                .push(cat.f("ui.group_preview", &[("group", g.clone())]));
        }
        self.overlay = Some(Overlay::Prompt(Box::new(p)));
    }

    fn do_assign(
        &mut self,
        targets: Vec<Ticket>,
        login: String,
        group: Option<String>,
        reason: Option<String>,
    ) {
        let label = self
            .session
            .catalog
            .f("ui.verb_assign", &[("login", login.clone())]);
        self.apply_each(label, true, targets, |store, cfg, actor, t, now| {
            let already = t.assignee.as_ref().is_some_and(|o| o.agent.login == login);
            let group = group.as_deref().filter(|g| t.group.as_deref() != Some(*g));
            store.assign(
                cfg,
                actor,
                &t.number,
                if already { None } else { Some(login.as_str()) },
                group,
                reason.as_deref(),
                Some(t.version),
                now,
            )
        });
        self.focus = Pane::Queue;
        self.set_height();
    }

    /// A prompt for text about the selected or marked tickets: a note, an answer, a rating.
    fn open_note(&mut self, purpose: Purpose) {
        let targets = self.targets();
        if targets.is_empty() {
            self.say(Level::Info, self.session.catalog.t("ui.nothing_selected"));
            return;
        }
        let cat = self.session.catalog;
        let (title, label) = match purpose {
            Purpose::Reply => (cat.t("ui.reply"), cat.t("field.answer")),
            Purpose::Rate => (cat.t("ui.rate"), cat.t("ui.rate_label")),
            _ => (cat.t("ui.comment"), cat.t("ui.note")),
        };
        // A rating is a score and a short comment on one line; notes and answers are text.
        let multiline = purpose != Purpose::Rate;
        let mut p = Prompt::new(
            title.to_string(),
            label.to_string(),
            purpose,
            true,
            multiline,
        );
        p.preview = vec![match targets.as_slice() {
            [one] => format!(
                "{} {}",
                one.number,
                crate::core::sanitize::clean_line(&one.subject)
            ),
            many => cat.f("ui.n_tickets", &[("n", many.len().to_string())]),
        }];
        self.overlay = Some(Overlay::Prompt(Box::new(p)));
    }

    fn do_note(&mut self, purpose: &Purpose, text: String) {
        let label = self
            .session
            .catalog
            .t(if *purpose == Purpose::Reply {
                "ui.verb_reply"
            } else {
                "ui.verb_comment"
            })
            .to_string();
        let reply = *purpose == Purpose::Reply;
        let targets = self.targets();
        self.apply_each(label, false, targets, |store, cfg, actor, t, now| {
            if reply {
                store.reply(cfg, actor, &t.number, &text, now)?;
            } else {
                store.comment(cfg, actor, &t.number, &text, now)?;
            }
            Ok(Changed {
                number: t.number.clone(),
                version: t.version,
                status_from: t.status.clone(),
                status: t.status.clone(),
                warning: None,
            })
        });
    }

    /// "4" or "4 quick and polite": the score, then an optional comment.
    fn do_rate(&mut self, targets: Vec<Ticket>, text: &str) {
        let (score, comment) = match text.trim().split_once(char::is_whitespace) {
            Some((s, c)) => (s, Some(c.trim().to_string())),
            None => (text.trim(), None),
        };
        let Ok(score) = score.parse::<i64>() else {
            let r = Refusal::RatingRange { given: 0 };
            self.say(Level::Error, self.session.catalog.refusal(&r));
            return;
        };
        let label = self
            .session
            .catalog
            .f("ui.verb_rate", &[("score", score.to_string())]);
        self.apply_each(label, false, targets, |store, cfg, actor, t, now| {
            store.rate(
                cfg,
                actor,
                &t.number,
                score,
                comment.as_deref(),
                Some(t.version),
                now,
            )
        });
    }

    /// The moves core offers this person on every target, with what each asks for.
    pub fn move_options(&self, targets: &[Ticket]) -> Vec<MoveOption> {
        let Some(actor) = &self.actor else {
            return Vec::new();
        };
        let life = &self.session.cfg.lifecycle;
        let mut options: Option<Vec<MoveOption>> = None;
        for t in targets {
            let here: Vec<MoveOption> = life
                .offered(&t.state(), actor)
                .into_iter()
                .map(|d| MoveOption {
                    to: d.to.clone(),
                    name: d.name.clone(),
                    outcomes: life
                        .status(&d.to)
                        .map(|s| s.outcomes.clone())
                        .unwrap_or_default(),
                    requires: d.requires.clone(),
                })
                .collect();
            options = Some(match options {
                None => here,
                Some(prev) => prev
                    .into_iter()
                    .filter(|o| here.iter().any(|h| h.to == o.to))
                    .collect(),
            });
        }
        options.unwrap_or_default()
    }

    fn open_status(&mut self, preset: Option<String>) {
        let targets = self.targets();
        if targets.is_empty() {
            self.say(Level::Info, self.session.catalog.t("ui.nothing_selected"));
            return;
        }
        let options = self.move_options(&targets);
        if let Some(to) = &preset
            && !options.iter().any(|o| &o.to == to)
        {
            // Not offered: say why, in core's words.
            if let Some(actor) = &self.actor {
                let refusal = self
                    .session
                    .cfg
                    .lifecycle
                    .check(&targets[0].state(), to, actor, &Fields::default())
                    .err();
                if let Some(r) = refusal {
                    let text = self.session.catalog.refusal(&r);
                    self.say(Level::Error, text);
                    return;
                }
            }
        }
        if options.is_empty() {
            // Say why nothing is offered, in core's words.
            let why = self.actor.as_ref().and_then(|actor| {
                rights::check(
                    actor,
                    rights::Action::Move,
                    targets[0].assignee.as_ref().map(|o| &o.agent),
                )
                .err()
            });
            let text = match why {
                Some(r) => self.session.catalog.refusal(&r),
                None => self.session.catalog.t("ui.no_moves").to_string(),
            };
            self.say(Level::Error, text);
            return;
        }
        let mut flow = StatusFlow::new(targets, options);
        if let Some(to) = preset
            && let Some(i) = flow.options.iter().position(|o| o.to == to)
        {
            flow.cursor = i;
            flow.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
        }
        self.overlay = Some(Overlay::Status(Box::new(flow)));
    }

    fn undo(&mut self) {
        let Some(batch) = self.undo.take() else {
            self.say(Level::Info, self.session.catalog.t("ui.nothing_to_undo"));
            return;
        };
        let Some(actor) = self.actor() else { return };
        let now = self.now;
        let cat = self.session.catalog;
        let mut done = 0;
        let mut errors = Vec::new();
        for (before, after) in &batch.entries {
            let s = &mut self.session;
            match s.store.undo(&s.cfg, &actor, before, *after, now) {
                Ok(_) => done += 1,
                Err(e) => errors.push(format!("{}: {}", before.number, e.message(cat))),
            }
        }
        if let Err(e) = self.refresh() {
            self.fail(&e);
            return;
        }
        match errors.first() {
            None => self.say(
                Level::Ok,
                cat.f(
                    "ui.undone",
                    &[("what", batch.label), ("n", done.to_string())],
                ),
            ),
            Some(first) => self.say(
                Level::Error,
                cat.f(
                    "ui.undo_partly",
                    &[("n", done.to_string()), ("first", first.clone())],
                ),
            ),
        }
    }

    // ---- overlays ----------------------------------------------------------------------

    fn overlay_key(&mut self, overlay: Overlay, k: KeyEvent) {
        let cat = self.session.catalog;
        match overlay {
            Overlay::Help { context, scroll } => {
                let scroll = match k.code {
                    KeyCode::Char('j') | KeyCode::Down => scroll.saturating_add(1),
                    KeyCode::Char('k') | KeyCode::Up => scroll.saturating_sub(1),
                    KeyCode::PageDown => scroll.saturating_add(10),
                    KeyCode::PageUp => scroll.saturating_sub(10),
                    _ => return,
                };
                self.overlay = Some(Overlay::Help { context, scroll });
            }
            Overlay::Stats(mut st) => {
                let groups: Vec<String> =
                    self.assign.groups.iter().map(|g| g.code.clone()).collect();
                let gi = st
                    .group
                    .as_ref()
                    .and_then(|g| groups.iter().position(|x| x == g))
                    .map(|i| i + 1)
                    .unwrap_or(0);
                match k.code {
                    KeyCode::Esc | KeyCode::Char('S') => return,
                    KeyCode::Char('q') => {
                        self.quit = true;
                        return;
                    }
                    KeyCode::Left | KeyCode::Char('h') => st.period = st.period.saturating_sub(1),
                    KeyCode::Right | KeyCode::Char('l') => {
                        st.period = (st.period + 1).min(super::stats::PERIODS.len() - 1)
                    }
                    KeyCode::Up | KeyCode::Char('k') => {
                        let i = (gi + groups.len()) % (groups.len() + 1);
                        st.group = i.checked_sub(1).map(|i| groups[i].clone());
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        let i = (gi + 1) % (groups.len() + 1);
                        st.group = i.checked_sub(1).map(|i| groups[i].clone());
                    }
                    _ => {
                        self.overlay = Some(Overlay::Stats(st));
                        return;
                    }
                }
                self.load_stats(&mut st);
                self.overlay = Some(Overlay::Stats(st));
            }
            Overlay::Picker { cursor } => match k.code {
                KeyCode::Char('j') | KeyCode::Down => {
                    self.overlay = Some(Overlay::Picker {
                        cursor: (cursor + 1).min(QueueKind::ALL.len() - 1),
                    })
                }
                KeyCode::Char('k') | KeyCode::Up => {
                    self.overlay = Some(Overlay::Picker {
                        cursor: cursor.saturating_sub(1),
                    })
                }
                KeyCode::Enter => self.switch_queue(QueueKind::ALL[cursor]),
                KeyCode::Char(c) if c.is_ascii_digit() => {
                    let i = (c as usize).wrapping_sub('1' as usize);
                    if let Some(kind) = QueueKind::ALL.get(i) {
                        self.switch_queue(*kind);
                    } else {
                        self.overlay = Some(Overlay::Picker { cursor });
                    }
                }
                KeyCode::Esc | KeyCode::Char('q') => {}
                _ => self.overlay = Some(Overlay::Picker { cursor }),
            },
            Overlay::Form(mut form) => {
                let result = form.on_key(k, &self.ctx());
                match result {
                    FormResult::Continue => self.overlay = Some(Overlay::Form(form)),
                    FormResult::Cancel => {}
                    FormResult::Submit(nt) => {
                        let Some(actor) = self.actor() else { return };
                        let now = self.now;
                        let s = &mut self.session;
                        match s.store.create(&s.cfg, &actor, &nt, now) {
                            Ok(c) => {
                                let first = self.screen == Screen::Welcome;
                                self.screen = Screen::Desk;
                                if first {
                                    self.after_first_tickets();
                                } else if let Err(e) = self.refresh() {
                                    self.fail(&e);
                                }
                                self.open_number(&c.number);
                                let mut text =
                                    cat.f("msg.created", &[("number", c.number.clone())]);
                                if let Some(a) = &c.assigned_to {
                                    text.push_str(" · ");
                                    text.push_str(
                                        &cat.f("msg.auto_assigned", &[("login", a.clone())]),
                                    );
                                }
                                self.say(Level::Ok, text);
                            }
                            Err(e) => {
                                form.error = Some(e.message(cat));
                                self.overlay = Some(Overlay::Form(form));
                            }
                        }
                    }
                }
            }
            Overlay::Status(mut flow) => match flow.on_key(k) {
                StatusResult::Continue => self.overlay = Some(Overlay::Status(flow)),
                StatusResult::Cancel => {}
                StatusResult::Submit { to, fields } => {
                    let Some(actor) = self.actor() else { return };
                    // Ask core first, so a missing field is asked for here, not reported after.
                    let first = flow.targets.first().map(|t| t.state());
                    if let Some(state) = first
                        && let Err(r) = self
                            .session
                            .cfg
                            .lifecycle
                            .check(&state, &to, &actor, &fields)
                    {
                        flow.error = Some(cat.refusal(&r));
                        self.overlay = Some(Overlay::Status(flow));
                        return;
                    }
                    let label = cat.f(
                        "ui.verb_move",
                        &[("to", crate::present::status(self.cfg(), cat, &to))],
                    );
                    let targets = flow.targets.clone();
                    self.apply_each(label, true, targets, |store, cfg, actor, t, now| {
                        store.move_to(cfg, actor, &t.number, &to, &fields, Some(t.version), now)
                    });
                }
            },
            Overlay::Prompt(mut p) => {
                let result = p.on_key(k, cat.t("ui.required"));
                if p.purpose == Purpose::Filter {
                    match result {
                        PromptResult::Continue => {
                            let text = super::input::text(&p.input);
                            if text != self.queue.spec.text {
                                self.pending_filter = Some((text, std::time::Instant::now()));
                            }
                            self.overlay = Some(Overlay::Prompt(p));
                        }
                        PromptResult::Cancel => {
                            self.pending_filter = None;
                            self.apply_filter(String::new());
                        }
                        PromptResult::Submit(text) => {
                            self.pending_filter = None;
                            if text != self.queue.spec.text {
                                self.apply_filter(text);
                            }
                        }
                    }
                    return;
                }
                match result {
                    PromptResult::Continue => self.overlay = Some(Overlay::Prompt(p)),
                    PromptResult::Cancel => {}
                    PromptResult::Submit(text) => {
                        let reason = (!text.is_empty()).then_some(text.clone());
                        let targets = self.targets();
                        match p.purpose.clone() {
                            Purpose::Comment | Purpose::Reply => self.do_note(&p.purpose, text),
                            Purpose::Assign { login, group } => {
                                self.do_assign(targets, login, group, reason)
                            }
                            Purpose::Claim => self.do_claim(targets, reason),
                            Purpose::Unassign => self.do_unassign(targets, reason),
                            Purpose::Rate => self.do_rate(targets, &text),
                            Purpose::Filter => {}
                        }
                    }
                }
            }
            Overlay::Palette(mut p) => match p.on_key(k) {
                PaletteResult::Continue => {
                    let src = self.sources(&p);
                    p.complete(&src);
                    self.overlay = Some(Overlay::Palette(p));
                }
                PaletteResult::Cancel => {}
                PaletteResult::Run(line) => match palette::parse(&line) {
                    Ok(cmd) => self.run_command(cmd),
                    Err(e) if e.is_empty() => {}
                    Err(e) => {
                        p.error = Some(e);
                        self.overlay = Some(Overlay::Palette(p));
                    }
                },
            },
        }
    }

    /// Completion sources for what the palette is typing.
    fn sources(&self, p: &Palette) -> Sources {
        let (arg, partial) = p.typing();
        let mut src = Sources {
            agents: self
                .assign
                .agents
                .iter()
                .filter(|a| a.active)
                .map(|a| a.login.clone())
                .collect(),
            ..Sources::default()
        };
        if arg == Some(palette::Arg::Status) {
            let targets = self.targets();
            let offered: Vec<String> = self
                .move_options(&targets)
                .into_iter()
                .map(|o| o.to)
                .collect();
            let mut all = offered.clone();
            for s in self.session.cfg.lifecycle.statuses() {
                if !all.contains(&s.id) {
                    all.push(s.id.clone());
                }
            }
            src.statuses = all;
        }
        if arg == Some(palette::Arg::Number) && !partial.trim().is_empty() {
            src.numbers = self
                .session
                .store
                .numbers_like(&partial, 6)
                .unwrap_or_default();
        }
        src
    }

    /// Opens a ticket by number in the detail pane (the queue stays where it was).
    fn open_number(&mut self, number: &str) -> bool {
        let today = local_date(self.now);
        match self.session.store.find(&self.session.cfg, number, today) {
            Ok(t) => {
                self.pinned = true;
                self.detail.history = self.session.store.history(t.id).unwrap_or_default();
                self.detail.ticket = Some(t);
                self.detail.scroll = 0;
                self.focus = Pane::Detail;
                self.set_height();
                true
            }
            Err(e) => {
                let suggestion = match &e {
                    Error::BadNumber { suggestions, .. }
                    | Error::NoSuchTicket { suggestions, .. } => suggestions.first().cloned(),
                    _ => None,
                };
                let text = e.message(self.session.catalog);
                match suggestion {
                    // Offer the suggestion: Enter opens it.
                    Some(s) => {
                        let mut p = Palette::new(&format!("goto {s}"));
                        p.error = Some(text);
                        self.overlay = Some(Overlay::Palette(Box::new(p)));
                    }
                    None => self.say(Level::Error, text),
                }
                false
            }
        }
    }

    fn run_command(&mut self, cmd: Command) {
        match cmd {
            Command::Goto(n) => {
                if self.open_number(&n) {
                    let number = self
                        .detail
                        .ticket
                        .as_ref()
                        .map(|t| t.number.clone())
                        .unwrap_or_default();
                    self.say(
                        Level::Info,
                        self.session.catalog.f("ui.opened", &[("number", number)]),
                    );
                }
            }
            Command::Assign(login) => self.ask_assign(login, None),
            Command::Status(s) => self.open_status(Some(s.trim().to_string())),
            Command::Claim => self.act(Action::Claim),
            Command::Unassign => self.act(Action::Unassign),
            Command::Queue(k) => self.switch_queue(k),
            Command::Sort(s) => self.sort_by(s, false),
            Command::Filter(t) => self.apply_filter(t),
            Command::New => self.act(Action::New),
            Command::Comment(t) if !t.is_empty() => self.do_note(&Purpose::Comment, t),
            Command::Comment(_) => self.act(Action::Comment),
            Command::Reply(t) if !t.is_empty() => self.do_note(&Purpose::Reply, t),
            Command::Reply(_) => self.act(Action::Reply),
            Command::Undo => self.act(Action::Undo),
            Command::Reload => self.act(Action::Reload),
            Command::Help => self.act(Action::Help),
            Command::Quit => self.quit = true,
        }
    }

    /// The status line's "who": login and role.
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

    /// For tests and the hint bar: when was the open ticket last changed.
    pub fn detail_changed(&self) -> Option<String> {
        self.detail
            .ticket
            .as_ref()
            .map(|t| local_time(t.updated_at))
    }
}
