//! Moving through the queues: the cursor, queues, sort and filter, the mouse, and putting
//! the cursor on a ticket opened by number — so the ticket shown is always the one
//! highlighted, and the one a key acts on.

use super::{App, Level, Pane};
use crate::core::query::{QueueKind, QueueSpec, SortKey};
use crate::store::Ticket;
use crate::ui::layout::tab_at;
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

    pub(super) fn apply_filter(&mut self, text: String) {
        self.queue.spec.text = text;
        self.with_queue(|q, s| q.load_top(&s.store, &s.cfg));
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
                        self.detail.scroll =
                            (self.detail.scroll as i64 + step).clamp(0, 10_000) as u16
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
