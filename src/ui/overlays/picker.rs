//! Choosing a queue from a list (`v`), besides the number keys: the built-in queues, then the
//! saved queues of desk.toml (a saved queue with parameters asks for their values next).

use super::Reply;
use crate::core::keys::{Action, Context};
use crate::core::query::QueueKind;
use crate::core::sanitize::clean_line;
use crate::ui::ctx::Ctx;
use crate::ui::keymap::{Keymap, queue_of};
use crate::ui::layout::{centered, fit};
use crate::ui::panes::queue::queue_label;
use crate::ui::theme::CURSOR;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

/// A queue chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Builtin(QueueKind),
    /// The saved queue at this index of desk.toml's.
    Saved(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerState {
    pub cursor: usize,
    /// How many saved queues follow the built-in ones.
    pub saved: usize,
}

impl PickerState {
    pub const CONTEXT: Context = Context::Picker;

    /// The list, with the cursor on the queue shown now.
    pub fn new(current: Pick, saved: usize) -> PickerState {
        let cursor = match current {
            Pick::Builtin(k) => QueueKind::ALL.iter().position(|x| *x == k).unwrap_or(0),
            Pick::Saved(i) => QueueKind::ALL.len() + i.min(saved.saturating_sub(1)),
        };
        PickerState { cursor, saved }
    }

    fn pick(&self, i: usize) -> Pick {
        match QueueKind::ALL.get(i) {
            Some(k) => Pick::Builtin(*k),
            None => Pick::Saved(i - QueueKind::ALL.len()),
        }
    }

    pub fn on_key(&mut self, k: &KeyEvent, keymap: &Keymap) -> Reply<Pick> {
        let last = QueueKind::ALL.len() + self.saved - 1;
        let Some(a) = keymap.action(Self::CONTEXT, k) else {
            return Reply::Unbound;
        };
        if let Some(kind) = queue_of(a) {
            return Reply::Done(Pick::Builtin(kind));
        }
        self.cursor = match a {
            Action::Down => (self.cursor + 1).min(last),
            Action::Up => self.cursor.saturating_sub(1),
            Action::Top | Action::PageUp => 0,
            Action::Bottom | Action::PageDown => last,
            Action::Confirm => return Reply::Done(self.pick(self.cursor.min(last))),
            Action::Back | Action::Quit | Action::PickQueue => return Reply::Close,
            _ => return Reply::Unbound,
        };
        Reply::Stay
    }
}

pub fn draw(f: &mut Frame<'_>, area: Rect, p: &PickerState, current: Pick, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let saved = &ctx.cfg.queues;
    let rows = QueueKind::ALL.len() + saved.len() + usize::from(!saved.is_empty());
    let rect = centered(area, 44, rows as u16 + 3);
    f.render_widget(Clear, rect);
    let inner = rect.width.saturating_sub(7) as usize;
    let line = |i: usize, key: String, label: String, here: bool| -> Line<'static> {
        let l = Line::from(vec![
            Span::raw(if i == p.cursor {
                format!("{CURSOR} ")
            } else {
                "  ".into()
            }),
            Span::styled(format!("{key:<2}"), t.key()),
            Span::raw(fit(&label, inner)),
            Span::styled(if here { " ◉" } else { "" }, t.dim()),
        ]);
        if i == p.cursor {
            l.style(t.selected())
        } else {
            l
        }
    };
    let mut lines: Vec<Line> = QueueKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let key = crate::core::keys::QUEUES
                .get(i)
                .map(|a| ctx.key(PickerState::CONTEXT, *a))
                .unwrap_or_default();
            line(i, key, queue_label(ctx, *k), current == Pick::Builtin(*k))
        })
        .collect();
    if !saved.is_empty() {
        lines.push(Line::from(Span::styled(
            format!("  {}", ctx.cat.t("ui.saved_queues")),
            t.dim(),
        )));
    }
    for (i, q) in saved.iter().enumerate() {
        let mut label = clean_line(&q.name).into_owned();
        for name in q.param_names() {
            label.push_str(&format!(" {{{name}}}"));
        }
        let at = QueueKind::ALL.len() + i;
        lines.push(line(at, String::new(), label, current == Pick::Saved(i)));
    }
    lines.push(ctx.hint_line(
        PickerState::CONTEXT,
        &[Action::Confirm, Action::Down, Action::Back],
        rect.width.saturating_sub(2),
    ));
    let block = ctx.dialog(ctx.cat.t("ui.queues"));
    f.render_widget(Paragraph::new(lines).block(block), rect);
}
