//! Moving through the queues: the cursor, queues, sort and filter, the mouse, and putting
//! the cursor on a ticket opened by number — so the ticket shown is always the one
//! highlighted, and the one a key acts on.

use super::{App, Level, Pane};
use crate::core::message::Arg;
use crate::core::query::{QueueKind, QueueSpec, SavedView, SortKey};
use crate::core::sanitize::clean_line;
use crate::store::Ticket;
use crate::ui::layout::tab_at;
use crate::ui::overlays::Overlay;
use crate::ui::overlays::palette::ParseError;
use crate::ui::overlays::picker::Pick;
use crate::ui::overlays::prompt::{Prompt, Purpose};
use crate::ui::panes::queue::column_at;
use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

impl App {
    /// What an action applies to: in the ticket pane, its ticket; else the marked tickets,
    /// else the highlighted one. Nothing when nothing is highlighted.
    pub fn targets(&self) -> Vec<Ticket> {
        if self.focus == Pane::Detail
            && let Some(t) = &self.detail.ticket
        {
            return vec![t.clone()];
        }
        self.queue.targets()
    }

    /// Runs a queue operation, then shows the selected ticket; says what failed.
    fn with_queue<F>(&mut self, f: F)
    where
        F: FnOnce(
            &mut crate::ui::panes::queue::QueueState,
            &crate::session::Session,
        ) -> crate::error::Result<()>,
    {
        let r = f(&mut self.queue, &self.session).and_then(|_| self.load_detail());
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    pub(super) fn goto_row(&mut self, index: i64) {
        self.with_queue(|q, s| q.goto(&s.store, &s.cfg, index));
    }

    /// Moves the cursor to the queue's last row.
    pub(super) fn last_row(&mut self) {
        self.with_queue(|q, s| q.last(&s.store, &s.cfg));
    }

    /// Moves the cursor. After the selected ticket left the queue, the first step down
    /// selects the ticket now in its place, and a step up the one above it.
    pub(super) fn move_queue(&mut self, delta: i64) {
        let from = self.queue.cursor;
        let target = match self.queue.lost {
            Some(_) if delta > 0 => from + delta - 1,
            _ => from + delta,
        };
        self.goto_row(target);
    }

    /// The queue shown now, as the picker names it.
    pub fn current_pick(&self) -> Pick {
        match &self.queue.spec.saved {
            Some(s) => Pick::Saved(s.index),
            None => Pick::Builtin(self.queue.spec.kind),
        }
    }

    pub fn switch_queue(&mut self, kind: QueueKind) {
        self.queue.spec = QueueSpec::new(kind);
        self.focus = Pane::Queue;
        self.clear_message();
        self.set_height();
        self.with_queue(|q, s| q.load_top(&s.store, &s.cfg));
    }

    /// Sorts by `sort`; choosing the current column again reverses it.
    pub(super) fn set_sort(&mut self, sort: SortKey) {
        let reverse = self.queue.spec.sort == sort && !self.queue.spec.reverse;
        self.sort_by(sort, reverse);
    }

    pub(super) fn sort_by(&mut self, sort: SortKey, reverse: bool) {
        self.queue.spec.sort = sort;
        self.queue.spec.reverse = reverse;
        self.with_queue(|q, s| q.load_top(&s.store, &s.cfg));
    }

    /// Filters the queue by a query of the language (words find text anywhere). A mistake
    /// keeps the filter as it was and is said with its column: in the filter's box while it
    /// is open, else below. Returns whether the filter applies.
    pub(super) fn apply_filter(&mut self, text: String) -> bool {
        let filter = if text.trim().is_empty() {
            None
        } else {
            match self.session.store.parse_query(&self.session.cfg, &text) {
                Ok(c) => Some(c),
                Err(e) => {
                    let said = e.message(self.session.catalog);
                    match self.overlays.last_mut() {
                        Some(Overlay::Prompt(p)) if p.purpose == Purpose::Filter => {
                            p.error = Some(said)
                        }
                        _ => self.say(Level::Error, said),
                    }
                    return false;
                }
            }
        };
        if let Some(Overlay::Prompt(p)) = self.overlays.last_mut()
            && p.purpose == Purpose::Filter
        {
            p.error = None;
        }
        self.queue.spec.text = text;
        self.queue.spec.filter = filter;
        self.with_queue(|q, s| q.load_top(&s.store, &s.cfg));
        true
    }

    /// Opens the saved queue at `index` of desk.toml with these values of its parameters,
    /// asking for the next one still missing. A value the desk does not know is said, and
    /// asked for again.
    pub(super) fn open_saved(&mut self, index: usize, values: Vec<(String, String)>) {
        let Some(q) = self.session.cfg.queues.get(index).cloned() else {
            return;
        };
        let cat = self.session.catalog;
        let names = q.param_names();
        if let Some(next) = names.get(values.len()) {
            let mut p = Prompt::new(
                clean_line(&q.name).into_owned(),
                cat.f("ui.queue_param", &[("param", next.to_string())]),
                Purpose::QueueParam {
                    queue: index,
                    values,
                },
                true,
                false,
            );
            p.preview = vec![clean_line(&q.query).into_owned()];
            self.overlays.push(Overlay::Prompt(Box::new(p)));
            return;
        }
        let read = q
            .text_with(&values)
            .map_err(crate::error::Error::Invalid)
            .and_then(|text| self.session.store.parse_query(&self.session.cfg, &text));
        match read {
            Ok(cond) => {
                let mut title = clean_line(&q.name).into_owned();
                for (_, v) in &values {
                    title.push_str(&format!(" · {}", clean_line(v)));
                }
                let view = SavedView { index, title, cond };
                self.queue.spec = QueueSpec::saved(view, q.sort, q.reverse);
                self.focus = Pane::Queue;
                self.clear_message();
                self.set_height();
                self.with_queue(|q, s| q.load_top(&s.store, &s.cfg));
            }
            Err(e) => {
                if names.is_empty() {
                    self.say(Level::Error, e.message(cat));
                } else {
                    // The last value asked for again, as typed, with why: the mistake
                    // itself, not the column of a query nobody typed.
                    let said = match e.said() {
                        m if m.key == "query.at" => m
                            .args
                            .into_iter()
                            .find_map(|(k, a)| match a {
                                Arg::Said(inner) if k == "message" => Some(cat.say(&inner)),
                                _ => None,
                            })
                            .unwrap_or_else(|| e.message(cat)),
                        _ => e.message(cat),
                    };
                    let mut values = values;
                    let typed = values.pop().map(|(_, v)| v).unwrap_or_default();
                    self.open_saved(index, values);
                    if let Some(Overlay::Prompt(p)) = self.overlays.last_mut() {
                        p.error = Some(said);
                        p.input = crate::ui::input::with_text(&p.label, &typed, false);
                        crate::ui::input::set_focus(&mut p.input, true);
                    }
                }
            }
        }
    }

    /// `:queue NAME [VALUES…]`: the saved queue whose name the line starts with (the longest
    /// that fits), its parameters' values after it; else the built-in queue whose id starts
    /// so.
    pub(super) fn open_named(&mut self, line: &str) {
        let lower = line.trim().to_lowercase();
        // Any of its names, in any language desk.toml gives.
        let saved = self
            .session
            .cfg
            .queues
            .iter()
            .enumerate()
            .flat_map(|(i, q)| q.all_names().map(move |n| (i, q, n.to_lowercase())))
            .filter(|(_, _, n)| lower == *n || lower.starts_with(&format!("{n} ")))
            .max_by_key(|(_, _, n)| n.chars().count())
            .map(|(i, q, n)| (i, q.clone(), n.chars().count()));
        if let Some((i, q, chars)) = saved {
            let rest = line.trim().chars().skip(chars).collect::<String>();
            let rest = rest.split_whitespace();
            let values = q
                .param_names()
                .into_iter()
                .zip(rest)
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect();
            return self.open_saved(i, values);
        }
        let prefix = QueueKind::ALL
            .into_iter()
            .find(|k| !lower.is_empty() && k.id().starts_with(&lower));
        match prefix {
            Some(k) => self.switch_queue(k),
            None => {
                let said =
                    ParseError::NoQueue(line.trim().to_string()).message(self.session.catalog);
                self.say(Level::Error, said);
            }
        }
    }

    /// Highlights a ticket: in this queue when it holds the ticket, else in the first of
    /// mine, unassigned, my groups, all open and all that does. Returns the queue switched
    /// to, if any.
    pub(super) fn select_ticket(&mut self, t: &Ticket) -> Option<QueueKind> {
        self.focus = Pane::Queue;
        self.set_height();
        let s = &self.session;
        match self.queue.locate(&s.store, &s.cfg, t.id) {
            Ok(true) => {
                self.with_queue(|_, _| Ok(()));
                return None;
            }
            Ok(false) => {}
            Err(e) => {
                self.fail(&e);
                return None;
            }
        }
        let kinds = [
            QueueKind::Mine,
            QueueKind::Unassigned,
            QueueKind::MyGroups,
            QueueKind::AllOpen,
            QueueKind::All,
        ];
        let before = self.queue.spec.clone();
        for kind in kinds {
            self.queue.spec = QueueSpec::new(kind);
            let s = &self.session;
            match self.queue.locate(&s.store, &s.cfg, t.id) {
                Ok(true) => {
                    self.with_queue(|_, _| Ok(()));
                    return Some(kind);
                }
                Ok(false) => {}
                Err(e) => {
                    self.fail(&e);
                    break;
                }
            }
        }
        self.queue.spec = before;
        None
    }

    /// The pane under a point.
    fn pane_at(&self, column: u16, row: u16) -> Option<Pane> {
        let a = self.areas();
        let inside =
            |r: Rect| column >= r.x && column < r.x + r.width && row >= r.y && row < r.y + r.height;
        if inside(a.queue) {
            Some(Pane::Queue)
        } else if a.detail.is_some_and(inside) {
            Some(Pane::Detail)
        } else if a.assign.is_some_and(inside) {
            Some(Pane::Assign)
        } else {
            None
        }
    }

    /// The wheel scrolls the pane under it; a click chooses a tab, a pane, a column to sort
    /// by or a row.
    pub(super) fn mouse(&mut self, m: MouseEvent) {
        let pane = self.pane_at(m.column, m.row);
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let step = if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                match pane {
                    Some(Pane::Detail) => {
                        if let Err(e) = self.scroll_detail(step) {
                            self.fail(&e);
                        }
                    }
                    Some(Pane::Assign) => self.assign.move_cursor(step.signum()),
                    _ => self.move_queue(step),
                }
            }
            MouseEventKind::Down(MouseButton::Left) => self.click(m.column, m.row, pane),
            _ => {}
        }
        self.dirty = true;
    }

    fn click(&mut self, column: u16, row: u16, pane: Option<Pane>) {
        let a = self.areas();
        if row == a.tabs.y {
            let kind = self.queue.spec.kind;
            if let Some(k) = tab_at(&self.ctx(), kind, a.tabs.width as usize, column) {
                self.switch_queue(k);
            }
            return;
        }
        if let Some(p) = pane {
            self.focus = p;
            self.set_height();
        }
        if pane != Some(Pane::Queue) {
            return;
        }
        let first_row = a.queue.y + 2;
        if row == a.queue.y + 1 {
            let sort = self.queue.spec.sort;
            if let Some(s) = column_at(&self.ctx(), a.queue, sort, column).and_then(|c| c.sort()) {
                self.set_sort(s);
            }
        } else if row >= first_row {
            let index = self.queue.top + (row - first_row) as i64;
            if index < self.queue.total {
                self.goto_row(index);
            }
        }
    }

    /// Says "nothing selected" and returns true when there is nothing to act on.
    pub(super) fn nothing_to_act_on(&mut self, targets: &[Ticket]) -> bool {
        if targets.is_empty() {
            let text = match &self.queue.lost {
                Some(l) => crate::ui::panes::queue::lost_text(&self.ctx(), l),
                None => self.session.catalog.t("ui.nothing_selected").to_string(),
            };
            self.say(Level::Info, text);
        }
        targets.is_empty()
    }
}
