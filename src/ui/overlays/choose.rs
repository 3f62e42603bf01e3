//! Choosing one item of a list the desk offers: a ticket's files (`f`: Enter saves the one
//! chosen, `a` attaches another), the answers from templates (`::` in a reply, or on
//! choosing an outcome), the person's alerts (`!`: Enter opens one, `A` marks all seen). Each row may carry a second, dimmer line (a template's start).
//! What the choice is for stays with the desk; this owns the list's keys and drawing.

use super::Reply;
use crate::core::keys::{Action, Context};
use crate::ui::ctx::Ctx;
use crate::ui::keymap::Keymap;
use crate::ui::layout::centered;
use crate::ui::theme::CURSOR;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

/// What the list is for (the desk acts on the choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChooseFor {
    /// A ticket's files: save one, or attach another.
    Files { ticket: Box<crate::store::Ticket> },
    /// Answers from templates, by name, for the box below; `typed`: asked for by typing
    /// `::` (put back when none is chosen).
    Answers { names: Vec<String>, typed: bool },
    /// The person's alerts: each one's id, ticket number and whether it is still unseen.
    Alerts { alerts: Vec<(i64, String, bool)> },
}

/// One row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub text: String,
    /// A dimmer second line (may be empty).
    pub detail: String,
}

/// What was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    /// The row at this index.
    Row(usize),
    /// One of the list's extra actions (attach a file).
    Extra(Action),
}

#[derive(Debug, Clone)]
pub struct ChooseState {
    pub purpose: ChooseFor,
    pub title: String,
    pub rows: Vec<Row>,
    /// Said when there are no rows.
    pub empty: String,
    pub cursor: usize,
    /// Actions besides choosing a row (their keys are shown at the foot).
    pub extra: Vec<Action>,
}

impl ChooseState {
    pub const CONTEXT: Context = Context::Choose;

    pub fn new(purpose: ChooseFor, title: String, rows: Vec<Row>, empty: String) -> ChooseState {
        ChooseState {
            purpose,
            title,
            rows,
            empty,
            cursor: 0,
            extra: Vec::new(),
        }
    }

    pub fn on_key(&mut self, k: &KeyEvent, keymap: &Keymap) -> Reply<Chosen> {
        let Some(a) = keymap.action(Self::CONTEXT, k) else {
            return Reply::Unbound;
        };
        let last = self.rows.len().saturating_sub(1);
        self.cursor = match a {
            Action::Down => (self.cursor + 1).min(last),
            Action::Up => self.cursor.saturating_sub(1),
            Action::Top | Action::PageUp => 0,
            Action::Bottom | Action::PageDown => last,
            Action::Confirm if !self.rows.is_empty() => {
                return Reply::Done(Chosen::Row(self.cursor.min(last)));
            }
            Action::Back | Action::Quit => return Reply::Close,
            a if self.extra.contains(&a) => return Reply::Done(Chosen::Extra(a)),
            _ => return Reply::Unbound,
        };
        Reply::Stay
    }

    pub fn hints(&self) -> Vec<Action> {
        let mut v = vec![Action::Confirm];
        v.extend(self.extra.iter().copied());
        v.extend([Action::Down, Action::Back, Action::Help]);
        v
    }
}

pub fn draw(f: &mut Frame<'_>, area: Rect, c: &ChooseState, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let height = (c.rows.len() as u16 * 2 + 4).clamp(6, area.height.saturating_sub(2));
    let rect = centered(area, 74, height);
    f.render_widget(Clear, rect);
    let mut lines: Vec<Line> = Vec::new();
    if c.rows.is_empty() {
        lines.push(Line::from(Span::styled(c.empty.clone(), t.dim())));
    }
    // Keep the cursor's row in sight.
    let room = rect.height.saturating_sub(3) as usize / 2;
    let first = c.cursor.saturating_sub(room.saturating_sub(1));
    for (i, r) in c.rows.iter().enumerate().skip(first) {
        let mark = if i == c.cursor {
            format!("{CURSOR} ")
        } else {
            "  ".into()
        };
        let line = Line::from(vec![Span::raw(mark), Span::raw(r.text.clone())]);
        lines.push(if i == c.cursor {
            line.style(t.selected())
        } else {
            line
        });
        if !r.detail.is_empty() {
            let room = rect.width.saturating_sub(6) as usize;
            lines.push(Line::from(Span::styled(
                format!("    {}", crate::ui::layout::fit(&r.detail, room)),
                t.dim(),
            )));
        }
    }
    let inner_w = rect.width.saturating_sub(2);
    let block = ctx.dialog(&c.title);
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let [list, foot] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Fill(1),
        ratatui::layout::Constraint::Length(1),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), list);
    f.render_widget(
        Paragraph::new(ctx.hint_line(ChooseState::CONTEXT, &c.hints(), inner_w)),
        foot,
    );
}
