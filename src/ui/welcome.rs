//! Screens instead of the desk: the welcome on an empty desk, a person who is not an agent,
//! and a terminal too small to work in.

use super::ctx::Ctx;
use super::layout::centered;
use crate::core::keys::{Action, Context};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

pub fn draw_welcome(f: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, login: &str) {
    let t = ctx.theme;
    let rect = centered(area, 78, 16);
    let key = |a: Action, text: &str| -> Line<'static> {
        Line::from(vec![
            Span::styled(format!("  {}  ", ctx.key(Context::Welcome, a)), t.key()),
            Span::raw(text.to_string()),
        ])
    };
    let lines = vec![
        Line::from(Span::styled(
            ctx.cat
                .f("welcome.title", &[("desk", ctx.cfg.desk_name.clone())]),
            t.title(),
        )),
        Line::from(""),
        Line::from(ctx.cat.t("welcome.empty").to_string()),
        Line::from(""),
        key(Action::Demo, ctx.cat.t("welcome.demo")),
        key(Action::New, ctx.cat.t("welcome.new")),
        key(Action::Quit, ctx.cat.t("welcome.quit")),
        Line::from(""),
        Line::from(Span::styled(
            ctx.cat.t("welcome.colleagues").to_string(),
            t.dim(),
        )),
        Line::from(Span::styled(
            format!(
                "  desk agent add LOGIN --name \"{}\" --role operator --group {}",
                ctx.cat.t("welcome.full_name"),
                ctx.cfg
                    .groups
                    .first()
                    .map(|g| g.code.as_str())
                    .unwrap_or("FRONT")
            ),
            t.key(),
        )),
        Line::from(Span::styled(
            ctx.cat.f("welcome.you", &[("login", login.to_string())]),
            t.dim(),
        )),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focus_border());
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

pub fn draw_message(f: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>, message: &str) {
    let t = ctx.theme;
    let rect = centered(area, 74, 9);
    let lines = vec![
        Line::from(Span::styled(message.to_string(), t.error())),
        Line::from(""),
        Line::from(Span::styled(ctx.cat.t("ui.press_q").to_string(), t.dim())),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border());
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        rect,
    );
}

/// Below 80×24 the desk is not drawn: the message says what is needed.
pub fn draw_too_small(f: &mut Frame<'_>, area: Rect, ctx: &Ctx<'_>) {
    let msg = ctx.cat.f(
        "ui.too_small",
        &[
            ("w", area.width.to_string()),
            ("h", area.height.to_string()),
        ],
    );
    let y = area.y + area.height / 2;
    let line = Rect {
        x: area.x,
        y,
        width: area.width,
        height: 1.min(area.height),
    };
    f.render_widget(
        Paragraph::new(Line::from(msg).centered()).wrap(Wrap { trim: true }),
        line,
    );
}
