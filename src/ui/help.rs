//! `?`: every key of the focused pane, generated from the keymap that dispatches them.

use super::Ctx;
use super::keymap::{Context, Keymap};
use super::prompt::centered;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn lines<'a>(keymap: &Keymap, context: Context, ctx: &Ctx<'_>) -> Vec<Line<'a>> {
    let t = ctx.theme;
    let mut out = Vec::new();
    for (action, keys) in keymap.help(context) {
        let keys = keys.iter().map(|k| k.label()).collect::<Vec<_>>().join(" ");
        out.push(Line::from(vec![
            Span::styled(format!("{keys:>16}  "), t.key()),
            Span::raw(ctx.cat.t(&action.help_key()).to_string()),
        ]));
    }
    out.push(Line::from(""));
    out.push(Line::from(Span::styled(
        ctx.cat.t("help.forms").to_string(),
        t.dim(),
    )));
    out.push(Line::from(Span::styled(
        ctx.cat.t("help.ctrl_c").to_string(),
        t.dim(),
    )));
    out
}

pub fn draw(
    f: &mut Frame<'_>,
    area: Rect,
    keymap: &Keymap,
    context: Context,
    scroll: u16,
    ctx: &Ctx<'_>,
) {
    let t = ctx.theme;
    let rect = centered(area, 72, area.height.saturating_sub(2));
    f.render_widget(Clear, rect);
    let pane = match context {
        Context::Queue | Context::Global => "ui.queue_pane",
        Context::Detail => "ui.detail",
        Context::Assign => "ui.assignment",
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focus_border())
        .title(Span::styled(
            format!(" {} — {} ", ctx.cat.t("ui.help"), ctx.cat.t(pane)),
            t.title(),
        ))
        .title_bottom(
            Line::from(Span::styled(
                format!(" {} ", ctx.cat.t("ui.help_close")),
                t.dim(),
            ))
            .right_aligned(),
        );
    f.render_widget(
        Paragraph::new(lines(keymap, context, ctx))
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0))
            .block(block),
        rect,
    );
}
