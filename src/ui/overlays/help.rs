//! `?` (F1 while typing): every key of the pane or dialog it was opened from, generated from
//! the keymap that dispatches them.

use super::Reply;
use crate::core::keys::{Action, Context};
use crate::ui::ctx::Ctx;
use crate::ui::keymap::Keymap;
use crate::ui::layout::centered;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpState {
    /// The pane or dialog whose keys are shown.
    pub context: Context,
    pub scroll: u16,
    /// How far it can scroll (the lines that do not fit).
    pub max_scroll: u16,
}

impl HelpState {
    pub const CONTEXT: Context = Context::Help;

    /// Help for `context` in a terminal `height` rows high.
    pub fn new(context: Context, ctx: &Ctx<'_>, height: u16) -> HelpState {
        let inner = 70usize;
        let rows: usize = lines(context, ctx)
            .iter()
            .map(|l| l.width().max(1).div_ceil(inner))
            .sum();
        let rows = rows as u16;
        let room = box_height(height).saturating_sub(2);
        HelpState {
            context,
            scroll: 0,
            max_scroll: rows.saturating_sub(room),
        }
    }

    pub fn on_key(&mut self, k: &KeyEvent, keymap: &Keymap) -> Reply<()> {
        let Some(a) = keymap.action(Self::CONTEXT, k) else {
            return Reply::Unbound;
        };
        let page = 10;
        self.scroll = match a {
            Action::Down => self.scroll.saturating_add(1),
            Action::Up => self.scroll.saturating_sub(1),
            Action::PageDown => self.scroll.saturating_add(page),
            Action::PageUp => self.scroll.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => self.max_scroll,
            Action::Back | Action::Quit | Action::Help => return Reply::Close,
            _ => return Reply::Unbound,
        }
        .min(self.max_scroll);
        Reply::Stay
    }
}

fn box_height(height: u16) -> u16 {
    height.saturating_sub(2)
}

/// The help of a context: each action with its keys, then how typing works where it does.
pub fn lines<'a>(context: Context, ctx: &Ctx<'_>) -> Vec<Line<'a>> {
    let t = ctx.theme;
    let mut out = Vec::new();
    for (action, keys) in ctx.keymap.help(context) {
        let keys = keys
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        out.push(Line::from(vec![
            Span::styled(format!("{keys:>16}  "), t.key()),
            Span::raw(ctx.help_text(context, action)),
        ]));
    }
    out.push(Line::from(""));
    if context.is_text() {
        out.push(Line::from(Span::styled(
            ctx.cat.t("help.typing").to_string(),
            t.dim(),
        )));
    }
    out.push(Line::from(Span::styled(
        ctx.cat.t("help.ctrl_c").to_string(),
        t.dim(),
    )));
    out
}

pub fn draw(f: &mut Frame<'_>, area: Rect, h: &HelpState, ctx: &Ctx<'_>) {
    let rect = centered(area, 72, box_height(area.height));
    f.render_widget(Clear, rect);
    let title = format!(
        "{} — {}",
        ctx.cat.t("ui.help"),
        ctx.cat.t(&format!("context.{}", h.context.id()))
    );
    let block = ctx.dialog(&title).title_bottom(
        ctx.hint_line(
            HelpState::CONTEXT,
            &[Action::Back, Action::Down, Action::Up],
            rect.width.saturating_sub(4),
        )
        .right_aligned(),
    );
    f.render_widget(
        Paragraph::new(lines(h.context, ctx))
            .wrap(Wrap { trim: false })
            .scroll((h.scroll, 0))
            .block(block),
        rect,
    );
}
