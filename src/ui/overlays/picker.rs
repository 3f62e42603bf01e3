//! Choosing a queue from a list (`v`), besides the number keys.

use super::Reply;
use crate::core::keys::{Action, Context};
use crate::core::query::QueueKind;
use crate::ui::ctx::Ctx;
use crate::ui::keymap::{Keymap, queue_of};
use crate::ui::layout::centered;
use crate::ui::panes::queue::queue_label;
use crate::ui::theme::CURSOR;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerState {
    pub cursor: usize,
}

impl PickerState {
    pub const CONTEXT: Context = Context::Picker;

    /// The list, with the cursor on the queue shown now.
    pub fn new(current: QueueKind) -> PickerState {
        PickerState {
            cursor: QueueKind::ALL
                .iter()
                .position(|k| *k == current)
                .unwrap_or(0),
        }
    }

    pub fn on_key(&mut self, k: &KeyEvent, keymap: &Keymap) -> Reply<QueueKind> {
        let last = QueueKind::ALL.len() - 1;
        let Some(a) = keymap.action(Self::CONTEXT, k) else {
            return Reply::Unbound;
        };
        if let Some(kind) = queue_of(a) {
            return Reply::Done(kind);
        }
        self.cursor = match a {
            Action::Down => (self.cursor + 1).min(last),
            Action::Up => self.cursor.saturating_sub(1),
            Action::Top | Action::PageUp => 0,
            Action::Bottom | Action::PageDown => last,
            Action::Confirm => return Reply::Done(QueueKind::ALL[self.cursor.min(last)]),
            Action::Back | Action::Quit | Action::PickQueue => return Reply::Close,
            _ => return Reply::Unbound,
        };
        Reply::Stay
    }
}

pub fn draw(f: &mut Frame<'_>, area: Rect, p: &PickerState, current: QueueKind, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let rect = centered(area, 44, QueueKind::ALL.len() as u16 + 3);
    f.render_widget(Clear, rect);
    let mut lines: Vec<Line> = QueueKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let key = crate::core::keys::QUEUES
                .get(i)
                .map(|a| ctx.key(PickerState::CONTEXT, *a))
                .unwrap_or_default();
            let l = Line::from(vec![
                Span::raw(if i == p.cursor {
                    format!("{CURSOR} ")
                } else {
                    "  ".into()
                }),
                Span::styled(format!("{key} "), t.key()),
                Span::raw(queue_label(ctx, *k)),
                Span::styled(if *k == current { " ◉" } else { "" }, t.dim()),
            ]);
            if i == p.cursor {
                l.style(t.selected())
            } else {
                l
            }
        })
        .collect();
    lines.push(ctx.hint_line(
        PickerState::CONTEXT,
        &[Action::Confirm, Action::Down, Action::Back],
        rect.width.saturating_sub(2),
    ));
    let block = ctx.dialog(ctx.cat.t("ui.queues"));
    f.render_widget(Paragraph::new(lines).block(block), rect);
}
