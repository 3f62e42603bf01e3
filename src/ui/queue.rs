//! The queue pane: a window of rows around the cursor, read with keyset pagination so only
//! what can be seen (and a page either side) is ever in memory.

use super::Ctx;
use crate::core::config::Config;
use crate::core::sanitize::clean_line;
use crate::error::Result;
use crate::present;
use crate::store::Store;
use crate::store::Ticket;
use crate::store::queue::{QueueKind, QueueRow, QueueSpec, SortKey, Viewer};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Row, Table};
use std::collections::BTreeMap;

/// Rows kept either side of the visible ones, in pages.
const SPARE_PAGES: usize = 2;

#[derive(Debug, Clone)]
pub struct QueueState {
    pub spec: QueueSpec,
    pub viewer: Viewer,
    pub total: i64,
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
}

impl QueueState {
    pub fn new(kind: QueueKind, viewer: Viewer) -> QueueState {
        QueueState {
            spec: QueueSpec::new(kind),
            viewer,
            total: 0,
            offset: 0,
            rows: Vec::new(),
            cursor: 0,
            top: 0,
            marks: BTreeMap::new(),
            height: 10,
        }
    }

    fn page(&self) -> usize {
        self.height.max(1)
    }

    pub fn selected(&self) -> Option<&QueueRow> {
        let i = self.cursor - self.offset;
        (i >= 0).then(|| self.rows.get(i as usize)).flatten()
    }

    /// The rows on screen, from `top`.
    pub fn visible(&self) -> &[QueueRow] {
        let start = (self.top - self.offset).clamp(0, self.rows.len() as i64) as usize;
        let end = (start + self.page()).min(self.rows.len());
        &self.rows[start..end]
    }

    /// Reads the queue from its top.
    pub fn load_top(&mut self, store: &Store, cfg: &Config) -> Result<()> {
        self.total = store.queue_count(cfg, &self.spec, &self.viewer)?;
        self.rows = store.queue_page(
            cfg,
            &self.spec,
            &self.viewer,
            None,
            true,
            self.page() * (1 + SPARE_PAGES),
        )?;
        self.offset = 0;
        self.cursor = 0;
        self.top = 0;
        Ok(())
    }

    /// Reads the queue's last rows.
    pub fn load_bottom(&mut self, store: &Store, cfg: &Config) -> Result<()> {
        self.total = store.queue_count(cfg, &self.spec, &self.viewer)?;
        self.rows = store.queue_page(
            cfg,
            &self.spec,
            &self.viewer,
            None,
            false,
            self.page() * (1 + SPARE_PAGES),
        )?;
        self.offset = (self.total - self.rows.len() as i64).max(0);
        self.cursor = (self.total - 1).max(0);
        self.top = (self.total - self.page() as i64).max(0);
        Ok(())
    }

    /// Moves the cursor to an absolute position, reading pages as needed.
    pub fn goto(&mut self, store: &Store, cfg: &Config, index: i64) -> Result<()> {
        if self.total == 0 {
            self.cursor = 0;
            self.top = 0;
            return Ok(());
        }
        let index = index.clamp(0, self.total - 1);
        let page = self.page();
        // Far jumps to either end read the end directly.
        if index == 0 && self.offset > 0 {
            return self.load_top(store, cfg);
        }
        if index == self.total - 1 && self.offset + (self.rows.len() as i64) < self.total {
            return self.load_bottom(store, cfg);
        }
        let mut top = self.top;
        if index < top {
            top = index;
        } else if index >= top + page as i64 {
            top = index - page as i64 + 1;
        }
        let want_from = top.min(index);
        let want_to = (top + page as i64).max(index + 1).min(self.total);
        // Read backwards until the window starts early enough.
        while want_from < self.offset {
            let Some(first) = self.rows.first() else {
                break;
            };
            let mut before = store.queue_page(
                cfg,
                &self.spec,
                &self.viewer,
                Some(&first.key),
                false,
                page * 2,
            )?;
            if before.is_empty() {
                self.offset = 0;
                break;
            }
            self.offset -= before.len() as i64;
            before.append(&mut self.rows);
            self.rows = before;
        }
        while want_to > self.offset + self.rows.len() as i64 {
            let after = self.rows.last().map(|r| r.key.clone());
            let more = store.queue_page(
                cfg,
                &self.spec,
                &self.viewer,
                after.as_deref(),
                true,
                page * 2,
            )?;
            if more.is_empty() {
                self.total = self.offset + self.rows.len() as i64;
                break;
            }
            self.rows.extend(more);
        }
        // Keep the window small: trim what is far from the screen.
        let keep = page * (1 + 2 * SPARE_PAGES);
        if self.rows.len() > keep * 2 {
            let start = ((top - self.offset) as usize).saturating_sub(page * SPARE_PAGES);
            let end = (start + keep).min(self.rows.len());
            self.rows = self.rows[start..end].to_vec();
            self.offset += start as i64;
        }
        self.cursor = index.min((self.total - 1).max(0));
        self.top = top.clamp(0, (self.total - 1).max(0));
        Ok(())
    }

    /// Re-reads the queue after a change, keeping the selected ticket selected (or its place,
    /// if it left the queue) and its place on screen.
    pub fn reload(&mut self, store: &Store, cfg: &Config) -> Result<()> {
        let Some(sel) = self.selected().cloned() else {
            return self.load_top(store, cfg);
        };
        let gap = (self.cursor - self.top).clamp(0, self.page() as i64 - 1);
        self.total = store.queue_count(cfg, &self.spec, &self.viewer)?;
        if self.total == 0 {
            self.rows.clear();
            self.offset = 0;
            self.cursor = 0;
            self.top = 0;
            return Ok(());
        }
        let pos = store.queue_position(cfg, &self.spec, &self.viewer, &sel.key)?;
        let page = self.page();
        let before = store.queue_page(
            cfg,
            &self.spec,
            &self.viewer,
            Some(&sel.key),
            false,
            page * SPARE_PAGES,
        )?;
        let from_key = before.last().map(|r| r.key.clone());
        let from = store.queue_page(
            cfg,
            &self.spec,
            &self.viewer,
            from_key.as_deref(),
            true,
            page * (1 + SPARE_PAGES),
        )?;
        self.offset = pos - before.len() as i64;
        self.rows = before;
        self.rows.extend(from);
        let still_here = self.rows.iter().position(|r| r.ticket.id == sel.ticket.id);
        self.cursor = match still_here {
            Some(i) => self.offset + i as i64,
            None => pos.min(self.total - 1),
        };
        self.top = (self.cursor - gap).max(0);
        // Refresh the snapshots of marked tickets we can see.
        for r in &self.rows {
            if let Some(m) = self.marks.get_mut(&r.ticket.id) {
                *m = r.ticket.clone();
            }
        }
        self.goto(store, cfg, self.cursor)
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

pub fn sort_label(ctx: &Ctx<'_>, sort: SortKey) -> String {
    ctx.cat.t(&format!("sort.{}", sort.id())).to_string()
}

/// Which columns fit: the requester and the due time need width (the SLA mark is always
/// there).
fn columns(width: u16) -> (bool, bool) {
    (width >= 110, width >= 90)
}

pub fn draw(f: &mut Frame<'_>, area: Rect, q: &QueueState, ctx: &Ctx<'_>, focused: bool) {
    let t = ctx.theme;
    let pos = if q.total > 0 {
        format!(" {}/{} ", q.cursor + 1, q.total)
    } else {
        " 0/0 ".to_string()
    };
    let mut title = vec![Span::styled(
        format!(" {} ({}) ", queue_label(ctx, q.spec.kind), q.total),
        t.title(),
    )];
    title.push(Span::styled(
        format!(
            "· {} {} ",
            sort_label(ctx, q.spec.sort),
            if q.spec.reverse { "▼" } else { "▲" }
        ),
        t.dim(),
    ));
    if !q.spec.text.is_empty() {
        title.push(Span::styled(
            format!("· / {} ", clean_line(&q.spec.text)),
            t.warn(),
        ));
    }
    if !q.marks.is_empty() {
        title.push(Span::styled(
            format!(
                "· {} {} ",
                theme_mark(),
                ctx.cat.f("ui.marked", &[("n", q.marks.len().to_string())])
            ),
            t.marked(),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            t.focus_border()
        } else {
            t.border()
        })
        .title(Line::from(title))
        .title_top(Line::from(Span::styled(pos, t.dim())).right_aligned());
    let (show_requester, show_due) = columns(area.width);
    let h = |key: &str, sort: SortKey| -> Cell<'static> {
        let mut label = ctx.cat.t(key).to_string();
        if q.spec.sort == sort {
            label.push(if q.spec.reverse { '▼' } else { '▲' });
        }
        Cell::from(label)
    };
    let mut header = vec![
        Cell::from(""),
        h("col.number", SortKey::Number),
        h("col.priority", SortKey::Priority),
        Cell::from(""),
        h("col.status", SortKey::Status),
        h("col.subject", SortKey::Subject),
    ];
    if show_requester {
        header.push(h("col.requester", SortKey::Requester));
    }
    header.push(h("col.assignee", SortKey::Assignee));
    header.push(h("col.age", SortKey::Age));
    if show_due {
        header.push(h("col.due", SortKey::Due));
    }
    let rows: Vec<Row> = q
        .visible()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let abs = q.top + i as i64;
            let tk = &r.ticket;
            let selected = abs == q.cursor;
            let marked = q.marks.contains_key(&tk.id);
            let lead = format!(
                "{}{}",
                if selected { super::theme::CURSOR } else { " " },
                if marked { super::theme::MARK } else { " " }
            );
            let mark = present::sla_mark(ctx.cfg, tk, ctx.now);
            let mark_style = match mark {
                present::SlaMark::Breached => t.overdue(),
                present::SlaMark::AtRisk => t.warn(),
                _ => t.dim(),
            };
            let due = match (mark, tk.due_at) {
                (present::SlaMark::Breached, Some(d)) => Cell::from(Span::styled(
                    format!("-{}", present::age(ctx.cat, ctx.now - d)),
                    t.overdue(),
                )),
                (present::SlaMark::Paused, _) => Cell::from(Span::styled("⏸", t.dim())),
                (present::SlaMark::Ok | present::SlaMark::AtRisk, Some(d)) => {
                    Cell::from(Span::styled(present::age(ctx.cat, d - ctx.now), mark_style))
                }
                _ => Cell::from(Span::styled("—", t.dim())),
            };
            let mut cells = vec![
                Cell::from(lead),
                Cell::from(tk.number.clone()),
                Cell::from(Span::styled(
                    present::priority_mark(tk.priority),
                    t.priority(tk.priority),
                )),
                Cell::from(Span::styled(mark.symbol(), mark_style)),
                Cell::from(present::status(ctx.cfg, ctx.cat, &tk.status)),
                Cell::from(clean_line(&tk.subject).into_owned()),
            ];
            if show_requester {
                cells.push(Cell::from(clean_line(&tk.requester).into_owned()));
            }
            cells.push(Cell::from(
                tk.assignee
                    .as_ref()
                    .map(|o| clean_line(&o.agent.login).into_owned())
                    .unwrap_or_else(|| "—".into()),
            ));
            cells.push(Cell::from(present::age(ctx.cat, ctx.now - tk.created_at)));
            if show_due {
                cells.push(due);
            }
            let mut style = t.priority(tk.priority);
            if marked {
                style = t.marked();
            }
            if selected {
                style = t.selected();
            }
            Row::new(cells).style(style)
        })
        .collect();
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Length(16),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(if area.width >= 100 { 18 } else { 12 }),
        Constraint::Fill(1),
    ];
    if show_requester {
        widths.push(Constraint::Length(16));
    }
    widths.push(Constraint::Length(10));
    widths.push(Constraint::Length(5));
    if show_due {
        widths.push(Constraint::Length(6));
    }
    let empty = rows.is_empty();
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(t.header()))
        .column_spacing(1)
        .block(block);
    f.render_widget(table, area);
    if empty {
        let msg = if q.spec.text.is_empty() {
            ctx.cat.t("ui.queue_empty")
        } else {
            ctx.cat.t("ui.filter_empty")
        };
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 2,
            width: area.width.saturating_sub(4),
            height: 1,
        };
        f.render_widget(Line::from(Span::styled(msg.to_string(), t.dim())), inner);
    }
}

fn theme_mark() -> &'static str {
    super::theme::MARK
}
