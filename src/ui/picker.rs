//! Choosing a queue from a list (`v`), besides the number keys.

use super::Ctx;
use super::prompt::centered;
use super::queue::queue_label;
use crate::store::queue::QueueKind;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn draw(f: &mut Frame<'_>, area: Rect, cursor: usize, current: QueueKind, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let rect = centered(area, 40, QueueKind::ALL.len() as u16 + 2);
    f.render_widget(Clear, rect);
    let lines: Vec<Line> = QueueKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let l = Line::from(vec![
                Span::raw(if i == cursor {
                    format!("{} ", super::theme::CURSOR)
                } else {
                    "  ".into()
                }),
                Span::styled(format!("{} ", i + 1), t.key()),
                Span::raw(queue_label(ctx, *k)),
                Span::styled(if *k == current { " ◉" } else { "" }, t.dim()),
            ]);
            if i == cursor {
                l.style(t.selected())
            } else {
                l
            }
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focus_border())
        .title(Span::styled(
            format!(" {} ", ctx.cat.t("ui.queues")),
            t.title(),
        ));
    f.render_widget(Paragraph::new(lines).block(block), rect);
}
