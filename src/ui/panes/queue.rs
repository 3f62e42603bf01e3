//! The queue pane: a window of rows around the cursor, read with keyset pagination so only
//! what can be seen (and a page either side) is ever in memory. The highlighted row is always
//! the ticket a key acts on: when a colleague's change takes it out of the queue, nothing is
//! highlighted (and the pane says why) until the person moves.

use crate::core::config::Config;
use crate::core::keys::{Action, Context};
use crate::core::query::{Cond, QueueKind, QueueSpec, SortKey, Viewer};
use crate::core::sanitize::clean_line;
use crate::error::Result;
use crate::present;
use crate::store::Store;
use crate::store::Ticket;
use crate::store::query::{QueueRow, Start};
use crate::ui::counter::Counter;
use crate::ui::ctx::Ctx;
use crate::ui::layout::fit;
use crate::ui::theme::{CURSOR, MARK};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row, Table};
use rusqlite::types::Value;
use std::collections::BTreeMap;
use unicode_width::UnicodeWidthStr;

/// Rows kept either side of the visible ones, in pages.
const SPARE_PAGES: usize = 2;

/// A filtered queue of at most this many tickets is read whole when the filter is applied:
/// its count is how many rows came, in the one walk of the text index's hits that counting
/// them would take again (tens of thousands of hits for a common word on a million tickets,
/// most of a filter's time), and moving in it reads nothing more.
const READ_WHOLE: usize = 500;

/// The longest a key that needs the count (the last row) waits for the one being counted
/// apart before counting it itself.
const WAIT_FOR_COUNT: std::time::Duration = std::time::Duration::from_secs(5);

/// The selected ticket left the queue through someone else's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lost {
    pub number: String,
    /// Who changed it last, and when (desk time).
    pub by: String,
    pub at: String,
}

/// What a count is of: the condition, for whom and when (the clock only for a condition
/// that reads it), and the store's change stamp.
type CountKey = (Cond, Viewer, (i64, u64));

#[derive(Debug)]
pub struct QueueState {
    pub spec: QueueSpec,
    pub viewer: Viewer,
    /// How many tickets the queue holds; while `counting`, how many are known so far (the
    /// rows read reach that far).
    pub total: i64,
    /// The count is not known yet: it is being counted apart (`counter`), and the pane says
    /// so instead of a number.
    pub counting: bool,
    /// Absolute position of `rows[0]` in the queue.
    pub offset: i64,
    pub rows: Vec<QueueRow>,
    /// Absolute position of the selected row.
    pub cursor: i64,
    /// Absolute position of the first visible row.
    pub top: i64,
    /// Tickets marked for a bulk action, with their state when marked.
    pub marks: BTreeMap<i64, Ticket>,
    /// Visible rows (set from the layout).
    pub height: usize,
    /// Set when the selected ticket left the queue through someone else's change: nothing
    /// is selected until the person moves.
    pub lost: Option<Lost>,
    /// The last count read: of which condition, for whom and when (the clock only for a
    /// condition that reads it; the store's change stamp), how many. Another order of the
    /// same tickets counts nothing again while nothing changed (on a million tickets a count
    /// is most of a key's time).
    counted: Option<(Cond, Viewer, (i64, u64), i64)>,
    /// Counts the queue on a thread of its own, when the desk runs one (the terminal does;
    /// without it, as in tests that drive the app, a count is made where it is needed).
    pub counter: Option<Counter>,
    /// The count asked of `counter` and not answered yet: of what, and the question's id.
    asked: Option<(CountKey, u64)>,
    /// After a change, the selected row's place is counted once its frame is drawn (with a
    /// counting thread, see `reload`): its key, and the place the positions were read
    /// from meanwhile (where it was before the change).
    placing: Option<(Vec<Value>, i64)>,
}

impl QueueState {
    pub fn new(kind: QueueKind, viewer: Viewer) -> QueueState {
        QueueState {
            spec: QueueSpec::new(kind),
            viewer,
            total: 0,
            counting: false,
            offset: 0,
            rows: Vec::new(),
            cursor: 0,
            top: 0,
            marks: BTreeMap::new(),
            height: 10,
            lost: None,
            counted: None,
            counter: None,
            asked: None,
            placing: None,
        }
    }

    /// What a count is of: the condition, for whom and when (the clock only for a condition
    /// that reads it; the store's change stamp).
    fn count_key(&self, store: &Store) -> Result<CountKey> {
        let cond = self.spec.query().cond;
        let stamp = store.change_stamp()?;
        let mut viewer = self.viewer.clone();
        if !cond.reads_the_clock() {
            (viewer.now, viewer.day_start) = (0, 0);
        }
        Ok((cond, viewer, stamp))
    }

    /// The last count read, when it is of `key`.
    fn known_count(&self, key: &CountKey) -> Option<i64> {
        let (cond, who, at, n) = self.counted.as_ref()?;
        (*cond == key.0 && *who == key.1 && *at == key.2).then_some(*n)
    }

    /// How many tickets the queue holds, now: the last count while the condition and the
    /// database are as they were, else the count asked apart for it (waited for: it is
    /// under way), else counted here.
    fn count(&mut self, store: &Store, cfg: &Config) -> Result<i64> {
        let key = self.count_key(store)?;
        if let Some(n) = self.known_count(&key) {
            return Ok(n);
        }
        if let (Some((asked, _)), Some(c)) = (&self.asked, self.counter.as_mut())
            && *asked == key
            && let Some(a) = c.wait(WAIT_FOR_COUNT)
            && let Ok(n) = a.count
        {
            self.asked = None;
            self.counted = Some((key.0, key.1, key.2, n));
            return Ok(n);
        }
        let n = store.query_count(cfg, &self.spec.query(), &self.viewer)?;
        self.know(key, n);
        Ok(n)
    }

    /// `n` is the count of `key`: kept, and anything asked apart forgotten.
    fn know(&mut self, key: CountKey, n: i64) {
        if self.asked.take().is_some()
            && let Some(c) = self.counter.as_mut()
        {
            c.forget();
        }
        self.counted = Some((key.0, key.1, key.2, n));
    }

    /// Sets `total`: the count when it is known (or, without a thread to count on, counted
    /// here), else asked apart: until it comes the queue is `counting` and `total` is how far
    /// the rows read go.
    fn set_total(&mut self, store: &Store, cfg: &Config) -> Result<()> {
        let key = self.count_key(store)?;
        if let Some(n) = self.known_count(&key) {
            (self.total, self.counting) = (n, false);
            return Ok(());
        }
        if self.asked.as_ref().is_some_and(|(k, _)| *k == key) {
            (self.total, self.counting) = (self.known_end(), true);
            return Ok(());
        }
        let asked = match self.counter.as_mut() {
            Some(c) => c.ask(self.spec.query(), self.viewer.clone()),
            None => None,
        };
        match asked {
            Some(id) => {
                self.asked = Some((key, id));
                (self.total, self.counting) = (self.known_end(), true);
            }
            None => {
                self.count_here(store, cfg)?;
            }
        }
        Ok(())
    }

    /// After a frame is drawn: the count it asked for goes to the counting thread (true:
    /// the thread is gone, and the queue was counted here instead).
    pub fn after_frame(&mut self, store: &Store, cfg: &Config) -> Result<bool> {
        // The count goes to its thread even when the place could not be counted.
        let placed = self.place(store, cfg);
        if self.counter.as_mut().is_none_or(|c| c.send()) {
            return placed;
        }
        self.counter = None;
        if self.asked.take().is_some() && self.counting {
            self.count_here(store, cfg)?;
        }
        placed.map(|_| true)
    }

    /// Counts where the selected row sits, when a change left it to be counted after the
    /// frame (`reload`): every position read meanwhile moves by the difference (true: the
    /// pane changed).
    fn place(&mut self, store: &Store, cfg: &Config) -> Result<bool> {
        let Some((key, guessed)) = self.placing.take() else {
            return Ok(false);
        };
        let pos = match store.query_position(cfg, &self.spec.query(), &self.viewer, &key) {
            Ok(pos) => pos,
            Err(e) => {
                // Still to be counted (the pane keeps saying `…`), at the next frame.
                self.placing = Some((key, guessed));
                return Err(e);
            }
        };
        let moved = pos - guessed;
        self.offset = (self.offset + moved).max(0);
        self.cursor = (self.cursor + moved).max(0);
        self.top = (self.top + moved).max(0);
        if self.counting {
            self.total = self.total.max(self.known_end());
        }
        let (lost, cursor) = (self.lost.take(), self.cursor);
        self.goto(store, cfg, cursor)?;
        self.lost = lost;
        Ok(true)
    }

    /// Whether the selected row's place is still to be counted (the pane shows `…` for it).
    pub fn placing(&self) -> bool {
        self.placing.is_some()
    }

    /// The count asked apart, when it has come: `total` is then the count (true: the pane
    /// changed). A count of a database that changed meanwhile is not believed: the queue as
    /// it is now is counted again.
    pub fn take_count(&mut self, store: &Store, cfg: &Config) -> Result<bool> {
        if self.after_frame(store, cfg)? {
            return Ok(true);
        }
        let Some(answer) = self.counter.as_mut().and_then(|c| c.answer()) else {
            return Ok(false);
        };
        let Some((asked, _)) = self.asked.take() else {
            return Ok(false);
        };
        let n = match answer.count {
            Ok(n) => n,
            // The counting connection failed: counted here from now on.
            Err(_) => {
                self.counter = None;
                self.count_here(store, cfg)?;
                return Ok(true);
            }
        };
        let now = self.count_key(store)?;
        // Another queue or filter since: its own count is under way or known.
        if now.0 != asked.0 || now.1.agent_id != asked.1.agent_id {
            return Ok(false);
        }
        if now.2 != asked.2 {
            // The database changed while it counted: asked again (sent after the frame).
            self.set_total(store, cfg)?;
            return Ok(true);
        }
        self.counted = Some((asked.0, asked.1, asked.2, n));
        if self.counting {
            (self.total, self.counting) = (n, false);
            self.cursor = self.cursor.min((n - 1).max(0));
            self.top = self.top.min((n - 1).max(0));
        }
        Ok(true)
    }

    /// Counts the queue here (waiting for the count under way apart, if any): `total` is
    /// then the count.
    fn count_here(&mut self, store: &Store, cfg: &Config) -> Result<()> {
        self.total = self.count(store, cfg)?;
        self.counting = false;
        Ok(())
    }

    /// The queue of `key` holds `n` tickets (its rows were read to its end): `total` is
    /// that, and it is kept as the count.
    fn whole(&mut self, key: CountKey, n: i64) {
        (self.total, self.counting) = (n, false);
        self.know(key, n);
    }

    /// How far the rows read go: the position after the last one.
    fn known_end(&self) -> i64 {
        self.offset + self.rows.len() as i64
    }

    /// The rows read reached the queue's end: its count is known (and anything asked apart
    /// is not needed).
    fn end_reached(&mut self, store: &Store) -> Result<()> {
        self.total = self.known_end();
        if self.counting {
            self.counting = false;
            let key = self.count_key(store)?;
            self.know(key, self.total);
        }
        Ok(())
    }

    fn page(&self) -> usize {
        self.height.max(1)
    }

    /// The row at the cursor, whether or not it is selected.
    fn at_cursor(&self) -> Option<&QueueRow> {
        let i = self.cursor - self.offset;
        (i >= 0).then(|| self.rows.get(i as usize)).flatten()
    }

    /// The selected row: the one highlighted, which every key acts on.
    pub fn selected(&self) -> Option<&QueueRow> {
        if self.lost.is_some() {
            return None;
        }
        self.at_cursor()
    }

    /// The rows on screen, from `top`.
    pub fn visible(&self) -> &[QueueRow] {
        let start = (self.top - self.offset).clamp(0, self.rows.len() as i64) as usize;
        let end = (start + self.page()).min(self.rows.len());
        &self.rows[start..end]
    }

    fn read(
        &self,
        store: &Store,
        cfg: &Config,
        after: Option<&[Value]>,
        forward: bool,
        n: usize,
    ) -> Result<Vec<QueueRow>> {
        let start = match (after, forward) {
            (None, true) => Start::Top,
            (None, false) => Start::Bottom,
            (Some(k), true) => Start::After(k),
            (Some(k), false) => Start::Before(k),
        };
        store.query_page(cfg, &self.spec.query(), &self.viewer, start, n)
    }

    /// Reads the queue from its top: the rows on screen only (a new queue, order or filter
    /// shows them sooner; on a million tickets each row read is a page of the table, often
    /// one not yet in memory). The rows beyond are read as the cursor goes there.
    /// Without a counting thread, a filter not counted yet reads up to [`READ_WHOLE`] rows
    /// at once instead, and is counted apart only when it keeps more; with one, a filter is
    /// a queue like any other: its page now, its count when it comes (reading 500 rows of a
    /// common word's hits was most of a filter's time on a million tickets).
    pub fn load_top(&mut self, store: &Store, cfg: &Config) -> Result<()> {
        (self.offset, self.cursor, self.top) = (0, 0, 0);
        self.lost = None;
        self.placing = None;
        if self.spec.filter.is_some() && self.counter.is_none() {
            let key = self.count_key(store)?;
            if self.known_count(&key).is_none() {
                self.rows = self.read(store, cfg, None, true, READ_WHOLE + 1)?;
                if self.rows.len() <= READ_WHOLE {
                    self.whole(key, self.rows.len() as i64);
                } else {
                    self.set_total(store, cfg)?;
                }
                return Ok(());
            }
        }
        self.rows = self.read(store, cfg, None, true, self.page())?;
        if self.rows.len() < self.page() {
            // A page not full from the top is the whole queue: its count.
            let key = self.count_key(store)?;
            self.whole(key, self.rows.len() as i64);
            return Ok(());
        }
        self.set_total(store, cfg)
    }

    /// Reads the queue's last rows (those on screen): where they are needs the count, so it
    /// is waited for here when it is being counted apart.
    fn load_bottom(&mut self, store: &Store, cfg: &Config) -> Result<()> {
        self.count_here(store, cfg)?;
        self.placing = None;
        self.rows = self.read(store, cfg, None, false, self.page())?;
        self.offset = (self.total - self.rows.len() as i64).max(0);
        self.cursor = (self.total - 1).max(0);
        self.top = (self.total - self.page() as i64).max(0);
        Ok(())
    }

    /// The first visible row that keeps `index` on screen and the screen full.
    fn top_for(&self, index: i64) -> i64 {
        let page = self.page() as i64;
        let mut top = self.top;
        if index < top {
            top = index;
        } else if index >= top + page {
            top = index - page + 1;
        }
        // Never a half-empty pane while rows are left below (while counting, how far the
        // queue goes is not known: rows are read until the screen is full or the end comes).
        if !self.counting {
            top = top.min(self.total - page);
        }
        top.max(0)
    }

    /// Moves the cursor to the queue's last row (the count is needed: waited for while it
    /// is being counted apart).
    pub fn last(&mut self, store: &Store, cfg: &Config) -> Result<()> {
        if self.counting {
            self.count_here(store, cfg)?;
        }
        self.goto(store, cfg, self.total - 1)
    }

    /// Moves the cursor to an absolute position, reading pages as needed.
    pub fn goto(&mut self, store: &Store, cfg: &Config, index: i64) -> Result<()> {
        self.lost = None;
        let mut index = index.max(0);
        // Far jumps to either end read the end directly.
        if index == 0 && self.offset > 0 {
            return self.load_top(store, cfg);
        }
        if self.counting {
            // How far the queue goes is not known yet: the rows this move needs are read
            // first (when they reach the end, the count is known).
            let top = self.top_for(index);
            let want_to = (top + self.page() as i64).max(index + 1);
            self.read_window(store, cfg, top.min(index), want_to)?;
            self.total = self.total.max(self.known_end());
        }
        if self.total == 0 {
            self.cursor = 0;
            self.top = 0;
            return Ok(());
        }
        index = index.min(self.total - 1);
        if !self.counting && index == self.total - 1 && self.known_end() < self.total {
            return self.load_bottom(store, cfg);
        }
        let top = self.top_for(index);
        let want_from = top.min(index);
        let want_to = (top + self.page() as i64).max(index + 1).min(self.total);
        self.read_window(store, cfg, want_from, want_to)?;
        self.trim(top);
        self.cursor = index.min((self.total - 1).max(0));
        self.top = top.clamp(0, (self.total - 1).max(0));
        Ok(())
    }

    /// Reads pages until rows `from..to` are in memory.
    fn read_window(&mut self, store: &Store, cfg: &Config, from: i64, to: i64) -> Result<()> {
        let page = self.page();
        while from < self.offset {
            let Some(first) = self.rows.first() else {
                break;
            };
            let mut before = self.read(store, cfg, Some(&first.key), false, page * 2)?;
            if before.is_empty() {
                self.offset = 0;
                break;
            }
            self.offset -= before.len() as i64;
            before.append(&mut self.rows);
            self.rows = before;
        }
        while to > self.offset + self.rows.len() as i64 {
            let after = self.rows.last().map(|r| r.key.clone());
            let more = self.read(store, cfg, after.as_deref(), true, page * 2)?;
            // Fewer rows than asked for: the queue ends there.
            let end = more.len() < page * 2;
            self.rows.extend(more);
            if end {
                self.end_reached(store)?;
                break;
            }
        }
        Ok(())
    }

    /// Keeps the window small: drops what is far from the screen.
    fn trim(&mut self, top: i64) {
        let page = self.page();
        let keep = page * (1 + 2 * SPARE_PAGES);
        // A queue read whole stays whole.
        let whole = self.offset == 0
            && self.rows.len() as i64 >= self.total
            && self.rows.len() <= READ_WHOLE;
        if !whole && self.rows.len() > keep * 2 {
            let start = ((top - self.offset) as usize).saturating_sub(page * SPARE_PAGES);
            let end = (start + keep).min(self.rows.len());
            self.rows = self.rows[start..end].to_vec();
            self.offset += start as i64;
        }
    }

    /// Reads the rows around the ticket with this key (at position `pos`), keeping it `gap`
    /// rows below the top of the screen. `guessed`: `pos` is where it was before a change,
    /// its place to be counted after the frame (`placing`), unless the rows read reach either
    /// end of the queue (then they say it) — kept between the rows read before it and the
    /// count less those from it on, so that it stays the row at the cursor.
    fn load_around(
        &mut self,
        store: &Store,
        cfg: &Config,
        key: &[Value],
        pos: i64,
        gap: i64,
        guessed: bool,
    ) -> Result<()> {
        let page = self.page();
        let before = self.read(store, cfg, Some(key), false, page * SPARE_PAGES)?;
        let from_key = before.last().map(|r| r.key.clone());
        let from = self.read(
            store,
            cfg,
            from_key.as_deref(),
            true,
            page * (1 + SPARE_PAGES),
        )?;
        let mut pos = pos;
        if guessed {
            let (b, a) = (before.len() as i64, from.len() as i64);
            let top = b < (page * SPARE_PAGES) as i64;
            let end = !self.counting && a < (page * (1 + SPARE_PAGES)) as i64;
            pos = if top {
                b
            } else if end {
                self.total - a
            } else if self.counting {
                pos.max(b)
            } else {
                pos.min(self.total - a).max(b)
            };
            self.placing = (!top && !end).then(|| (key.to_vec(), pos));
        }
        self.offset = pos - before.len() as i64;
        self.rows = before;
        self.rows.extend(from);
        if self.counting {
            self.total = self.known_end();
        }
        self.cursor = pos.min(self.total - 1).max(0);
        self.top = (self.cursor - gap).max(0);
        let cursor = self.cursor;
        self.goto(store, cfg, cursor)
    }

    /// Puts the cursor on a ticket if this queue holds it; false when it does not.
    pub fn locate(&mut self, store: &Store, cfg: &Config, ticket_id: i64) -> Result<bool> {
        let Some(key) = store.query_key_of(cfg, &self.spec.query(), &self.viewer, ticket_id)?
        else {
            return Ok(false);
        };
        self.set_total(store, cfg)?;
        let pos = store.query_position(cfg, &self.spec.query(), &self.viewer, &key)?;
        let gap = (self.page() as i64 / 3).min(pos);
        self.placing = None;
        self.load_around(store, cfg, &key, pos, gap, false)?;
        Ok(true)
    }

    /// Re-reads the queue after a change, keeping the selected ticket selected (and its place
    /// on screen). Returns the ticket that was selected when it is no longer in the queue.
    pub fn reload(&mut self, store: &Store, cfg: &Config) -> Result<Option<Ticket>> {
        let lost = self.lost.take();
        let Some(sel) = self.at_cursor().cloned() else {
            self.load_top(store, cfg)?;
            return Ok(None);
        };
        let gap = (self.cursor - self.top).clamp(0, self.page() as i64 - 1);
        self.set_total(store, cfg)?;
        if self.total == 0 && !self.counting {
            self.rows.clear();
            (self.offset, self.cursor, self.top) = (0, 0, 0);
            self.lost = lost;
            return Ok(Some(sel.ticket).filter(|_| self.lost.is_none()));
        }
        // Where the selected row sits now is counted once the frame is drawn, with a counting
        // thread (the terminal): the rows around it are read by its key, their positions
        // from where it was, moved once its place is counted (`place`). Without one, here.
        if self.counter.is_some() {
            let cursor = self.cursor;
            self.load_around(store, cfg, &sel.key, cursor, gap, true)?;
        } else {
            self.placing = None;
            let pos = store.query_position(cfg, &self.spec.query(), &self.viewer, &sel.key)?;
            self.load_around(store, cfg, &sel.key, pos, gap, false)?;
        }
        if let Some(i) = self.rows.iter().position(|r| r.ticket.id == sel.ticket.id) {
            let cursor = self.offset + i as i64;
            self.goto(store, cfg, cursor)?;
        }
        // Refresh the snapshots of marked tickets we can see.
        for r in &self.rows {
            if let Some(m) = self.marks.get_mut(&r.ticket.id) {
                *m = r.ticket.clone();
            }
        }
        let gone = self
            .at_cursor()
            .is_none_or(|r| r.ticket.id != sel.ticket.id);
        if lost.is_some() {
            self.lost = lost; // still nothing selected: the person has not moved
            return Ok(None);
        }
        Ok(gone.then_some(sel.ticket))
    }

    /// The tickets a bulk action applies to: the marked ones, else the selected one.
    pub fn targets(&self) -> Vec<Ticket> {
        if self.marks.is_empty() {
            self.selected()
                .map(|r| vec![r.ticket.clone()])
                .unwrap_or_default()
        } else {
            self.marks.values().cloned().collect()
        }
    }
}

/// The label of a queue in the current language.
pub fn queue_label(ctx: &Ctx<'_>, kind: QueueKind) -> String {
    ctx.cat.t(&format!("queue.{}", kind.id())).to_string()
}

/// The title of what the pane shows: a saved queue's own, else the built-in queue's.
pub fn spec_label(ctx: &Ctx<'_>, spec: &QueueSpec) -> String {
    match &spec.saved {
        Some(s) => s.title.clone(),
        None => queue_label(ctx, spec.kind),
    }
}

pub fn sort_label(ctx: &Ctx<'_>, sort: SortKey) -> String {
    ctx.cat.t(&format!("sort.{}", sort.id())).to_string()
}

/// A column of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Lead,
    Number,
    Priority,
    Sla,
    Status,
    Subject,
    Requester,
    Assignee,
    Age,
    Due,
}

impl Column {
    /// The sort a click on the header chooses.
    pub fn sort(self) -> Option<SortKey> {
        Some(match self {
            Column::Number => SortKey::Number,
            Column::Priority => SortKey::Priority,
            Column::Sla | Column::Due => SortKey::Due,
            Column::Status => SortKey::Status,
            Column::Subject => SortKey::Subject,
            Column::Requester => SortKey::Requester,
            Column::Assignee => SortKey::Assignee,
            Column::Age => SortKey::Age,
            Column::Lead => return None,
        })
    }

    fn header(self) -> Option<&'static str> {
        Some(match self {
            Column::Number => "col.number",
            Column::Priority => "col.priority",
            Column::Status => "col.status",
            Column::Subject => "col.subject",
            Column::Requester => "col.requester",
            Column::Assignee => "col.assignee",
            Column::Age => "col.age",
            Column::Due => "col.due",
            Column::Lead | Column::Sla => return None,
        })
    }
}

/// The least room the subject keeps.
const MIN_SUBJECT: u16 = 20;

/// The columns that fit in a pane `width` wide, with their widths. The status column is as
/// wide as the longest status name where there is room; the optional columns (age, due,
/// requester) come in as room allows, the column the queue is sorted by first.
pub fn columns(ctx: &Ctx<'_>, width: u16, sort: SortKey) -> Vec<(Column, u16)> {
    let longest = ctx
        .cfg
        .lifecycle
        .statuses()
        .iter()
        .map(|s| present::status(ctx.cfg, ctx.cat, &s.id).width() as u16)
        .max()
        .unwrap_or(12);
    let status = if width >= 120 {
        longest.clamp(8, 26)
    } else {
        longest.clamp(8, 12)
    };
    let inner = width.saturating_sub(2);
    let mut cols = vec![
        (Column::Lead, 2),
        (Column::Number, 16),
        (Column::Priority, 1),
        (Column::Sla, 1),
        (Column::Status, status),
        (Column::Subject, 0),
        (Column::Assignee, 10),
    ];
    let mut optional = vec![(Column::Age, 5), (Column::Due, 6), (Column::Requester, 16)];
    if let Some(i) = optional.iter().position(|(c, _)| c.sort() == Some(sort)) {
        let first = optional.remove(i);
        optional.insert(0, first);
    }
    let used = |cols: &[(Column, u16)]| -> u16 {
        cols.iter()
            .map(|(_, w)| w + 1)
            .sum::<u16>()
            .saturating_sub(1)
    };
    for c in optional {
        if used(&cols) + c.1 + 1 + MIN_SUBJECT <= inner {
            cols.push(c);
        }
    }
    let order = |c: &Column| *c as u8;
    cols.sort_by_key(|(c, _)| order(c));
    let subject = inner.saturating_sub(used(&cols) + 1).max(1);
    for c in cols.iter_mut().filter(|(c, _)| *c == Column::Subject) {
        c.1 = subject;
    }
    cols
}

/// The column under `x` in a queue pane drawn at `area`.
pub fn column_at(ctx: &Ctx<'_>, area: Rect, sort: SortKey, x: u16) -> Option<Column> {
    let mut at = area.x + 1;
    for (c, w) in columns(ctx, area.width, sort) {
        if x >= at && x < at + w + 1 {
            return Some(c);
        }
        at += w + 1;
    }
    None
}

/// How many tickets the title says: the count, or that it is being counted.
fn count_text(ctx: &Ctx<'_>, q: &QueueState) -> String {
    if q.counting {
        ctx.cat.t("ui.counting").to_string()
    } else {
        q.total.to_string()
    }
}

fn title<'a>(q: &QueueState, ctx: &Ctx<'_>) -> Line<'a> {
    let t = ctx.theme;
    let mut title = vec![
        Span::styled(
            format!(" {} ({}) ", spec_label(ctx, &q.spec), count_text(ctx, q)),
            t.title(),
        ),
        Span::styled(
            format!(
                "· {} {} ",
                sort_label(ctx, q.spec.sort),
                if q.spec.reverse { "▼" } else { "▲" }
            ),
            t.dim(),
        ),
    ];
    if let Some(login) = &q.spec.agent {
        let whose = ctx.cat.f(
            "ui.agent_queue",
            &[("login", clean_line(login).into_owned())],
        );
        title.push(Span::styled(format!("· {whose} "), t.warn()));
    }
    if !q.spec.text.is_empty() {
        title.push(Span::styled(
            format!("· / {} ", clean_line(&q.spec.text)),
            t.warn(),
        ));
    }
    if !q.marks.is_empty() {
        let marked = ctx.cat.f("ui.marked", &[("n", q.marks.len().to_string())]);
        title.push(Span::styled(format!("· {MARK} {marked} "), t.marked()));
    }
    Line::from(title)
}

fn header_cell(ctx: &Ctx<'_>, q: &QueueState, c: Column, w: u16) -> Cell<'static> {
    let Some(key) = c.header() else {
        return Cell::from("");
    };
    let mut label = ctx.cat.t(key).to_string();
    // The sort's arrow where it fits beside the name (a one-letter column keeps its letter).
    if c.sort() == Some(q.spec.sort) && label.width() < w as usize {
        label.push(if q.spec.reverse { '▼' } else { '▲' });
    }
    Cell::from(fit(&label, w as usize))
}

fn due_cell(ctx: &Ctx<'_>, tk: &Ticket, mark: present::SlaMark) -> Cell<'static> {
    let t = ctx.theme;
    match (mark, tk.due_at) {
        (present::SlaMark::Breached, Some(d)) => Cell::from(Span::styled(
            format!("-{}", present::age(ctx.cat, ctx.now - d)),
            t.overdue(),
        )),
        (present::SlaMark::Paused, _) => Cell::from(Span::styled("⏸", t.dim())),
        (present::SlaMark::AtRisk, Some(d)) => {
            Cell::from(Span::styled(present::age(ctx.cat, d - ctx.now), t.warn()))
        }
        (present::SlaMark::Ok, Some(d)) => {
            Cell::from(Span::styled(present::age(ctx.cat, d - ctx.now), t.dim()))
        }
        _ => Cell::from(Span::styled("—", t.dim())),
    }
}

fn row<'a>(
    ctx: &Ctx<'_>,
    q: &QueueState,
    cols: &[(Column, u16)],
    abs: i64,
    r: &QueueRow,
) -> Row<'a> {
    let t = ctx.theme;
    let tk = &r.ticket;
    let selected = abs == q.cursor && q.lost.is_none();
    let marked = q.marks.contains_key(&tk.id);
    let mark = present::sla_mark(ctx.cfg, tk, ctx.now);
    let cells = cols.iter().map(|&(c, w)| {
        let w = w as usize;
        match c {
            Column::Lead => Cell::from(format!(
                "{}{}",
                if selected { CURSOR } else { " " },
                if marked { MARK } else { " " }
            )),
            Column::Number => Cell::from(tk.number.clone()),
            Column::Priority => Cell::from(Span::styled(
                present::priority_mark(tk.priority),
                t.priority(tk.priority),
            )),
            Column::Sla => Cell::from(Span::styled(
                mark.symbol(),
                match mark {
                    present::SlaMark::Breached => t.overdue(),
                    present::SlaMark::AtRisk => t.warn(),
                    _ => t.dim(),
                },
            )),
            Column::Status => Cell::from(fit(&present::status(ctx.cfg, ctx.cat, &tk.status), w)),
            Column::Subject => Cell::from(fit(&clean_line(&tk.subject), w)),
            Column::Requester => Cell::from(fit(&clean_line(&tk.requester), w)),
            Column::Assignee => Cell::from(match &tk.assignee {
                Some(o) => fit(&clean_line(&o.agent.login), w),
                None => "—".into(),
            }),
            Column::Age => Cell::from(present::age(ctx.cat, ctx.now - tk.created_at)),
            Column::Due => due_cell(ctx, tk, mark),
        }
    });
    let style = if selected {
        t.selected()
    } else if marked {
        t.marked()
    } else {
        t.priority(tk.priority)
    };
    Row::new(cells.collect::<Vec<_>>()).style(style)
}

/// What an empty pane says: why it is empty, and the keys that help.
fn empty_text(q: &QueueState, ctx: &Ctx<'_>) -> String {
    if let Some(l) = &q.lost {
        return lost_text(ctx, l);
    }
    if !q.spec.text.is_empty() {
        return ctx.cat.f(
            "ui.filter_empty",
            &[("back", ctx.key(Context::Queue, Action::Back))],
        );
    }
    ctx.cat.f(
        "ui.queue_empty",
        &[
            ("first", ctx.key(Context::Queue, Action::QueueMine)),
            ("last", ctx.key(Context::Queue, Action::QueueAll)),
            ("new", ctx.key(Context::Queue, Action::New)),
        ],
    )
}

/// "HSG-… left this queue (changed by olena at 12:03); move to choose a ticket".
pub fn lost_text(ctx: &Ctx<'_>, l: &Lost) -> String {
    ctx.cat.f(
        "ui.selection_left",
        &[
            ("number", l.number.clone()),
            ("by", l.by.clone()),
            ("at", l.at.clone()),
        ],
    )
}

pub fn draw(f: &mut Frame<'_>, area: Rect, q: &QueueState, ctx: &Ctx<'_>, focused: bool) {
    let t = ctx.theme;
    // While the queue is being counted its size is not a number yet.
    let of = if q.counting {
        "…".to_string()
    } else {
        q.total.to_string()
    };
    let pos = match (q.total, &q.lost) {
        (0, _) if !q.counting => " 0/0 ".to_string(),
        (_, Some(_)) => format!(" –/{of} "),
        // Where the row sits is counted once this frame is on screen.
        _ if q.placing() => format!(" …/{of} "),
        _ => format!(" {}/{of} ", q.cursor + 1),
    };
    let block = ctx
        .frame(focused)
        .title(title(q, ctx))
        .title_top(Line::from(Span::styled(pos, t.dim())).right_aligned());
    let cols = columns(ctx, area.width, q.spec.sort);
    let header: Vec<Cell> = cols
        .iter()
        .map(|&(c, w)| header_cell(ctx, q, c, w))
        .collect();
    let rows: Vec<Row> = q
        .visible()
        .iter()
        .enumerate()
        .map(|(i, r)| row(ctx, q, &cols, q.top + i as i64, r))
        .collect();
    let widths: Vec<Constraint> = cols.iter().map(|(_, w)| Constraint::Length(*w)).collect();
    let empty = rows.is_empty();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header()))
        .column_spacing(1)
        .block(block);
    f.render_widget(table, area);
    if empty || q.lost.is_some() {
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2 + if empty { 0 } else { q.visible().len() as u16 },
            width: area.width.saturating_sub(4),
            height: 1,
        };
        if inner.y < area.y + area.height.saturating_sub(1) {
            let style = if q.lost.is_some() { t.warn() } else { t.dim() };
            let text = fit(&empty_text(q, ctx), inner.width as usize);
            f.render_widget(Line::from(Span::styled(text, style)), inner);
        }
    }
}
