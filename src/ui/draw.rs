//! The frame: a pure function of the app's state. Layout, the queue tabs, the panes, the
//! overlay on top, and the hint bar with the last message.

use super::Ctx;
use super::app::{App, Level, Overlay, Pane, Screen};
use super::keymap::Action;
use crate::store::queue::{QueueKind, SortKey};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

/// The smallest terminal the desk draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// From this width the ticket and assignment panes sit side by side below the queue.
pub const WIDE: u16 = 120;
/// From this width the queue sits beside them.
pub const VERY_WIDE: u16 = 160;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub tabs: Rect,
    pub queue: Rect,
    pub detail: Option<Rect>,
    pub assign: Option<Rect>,
    pub hint: Rect,
}

/// Where each pane goes. Very wide (160+): the queue on the left, ticket and assignment on
/// the right. Wide (120+): the queue across the top with every column, ticket and assignment
/// side by side below. Narrow: the queue on top and, below it, the assignment pane when it
/// has focus, else the ticket.
pub fn layout(area: Rect, focus: Pane) -> Areas {
    let [tabs, body, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    if area.width >= VERY_WIDE {
        let [queue, right] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(body);
        let [detail, assign] =
            Layout::vertical([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(right);
        return Areas {
            tabs,
            queue,
            detail: Some(detail),
            assign: Some(assign),
            hint,
        };
    }
    let [queue, lower] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
    if area.width >= WIDE {
        let [detail, assign] =
            Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
                .areas(lower);
        return Areas {
            tabs,
            queue,
            detail: Some(detail),
            assign: Some(assign),
            hint,
        };
    }
    let (detail, assign) = if focus == Pane::Assign {
        (None, Some(lower))
    } else {
        (Some(lower), None)
    };
    Areas {
        tabs,
        queue,
        detail,
        assign,
        hint,
    }
}

fn tab_labels(ctx: &Ctx<'_>) -> Vec<(QueueKind, String)> {
    QueueKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| {
            (
                *k,
                format!(
                    " {} {} ",
                    i + 1,
                    ctx.cat.t(&format!("queue_short.{}", k.id()))
                ),
            )
        })
        .collect()
}

/// The queue whose tab is at column `x` of the tab bar.
pub fn tab_at(ctx: &Ctx<'_>, x: u16) -> Option<QueueKind> {
    let mut at = 0u16;
    for (k, label) in tab_labels(ctx) {
        let w = UnicodeWidthStr::width(label.as_str()) as u16;
        if x >= at && x < at + w {
            return Some(k);
        }
        at += w;
    }
    None
}

/// The sortable column under column `x` of the queue's header (an approximation from the
/// fixed widths the queue draws with).
pub fn column_at(queue: Rect, x: u16) -> Option<SortKey> {
    let x = x.saturating_sub(queue.x + 1);
    let status_w = if queue.width >= 100 { 18 } else { 12 };
    let fixed = [
        (3, None),
        (17, Some(SortKey::Number)),
        (2, Some(SortKey::Priority)),
        (2, Some(SortKey::Due)),
        (status_w + 1, Some(SortKey::Status)),
    ];
    let mut at = 0;
    for (w, key) in fixed {
        if x < at + w {
            return key;
        }
        at += w;
    }
    Some(SortKey::Subject)
}

fn draw_tabs(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let mut spans: Vec<Span> = Vec::new();
    for (k, label) in tab_labels(ctx) {
        let style = if k == app.queue.spec.kind && app.screen == Screen::Desk {
            t.tab_active()
        } else {
            t.dim()
        };
        spans.push(Span::styled(label, style));
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let who = if app.session.store.is_read_only() {
        format!(" {} · {} ", ctx.cat.t("ui.read_only"), app.who())
    } else {
        format!(" {} ", app.who())
    };
    let room = (area.width as usize).saturating_sub(used);
    if room > who.width() {
        spans.push(Span::raw(" ".repeat(room - who.width())));
        spans.push(Span::styled(who, t.dim()));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_hint(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let mut spans: Vec<Span> = Vec::new();
    if let Some(m) = &app.message {
        let style = match m.level {
            Level::Ok => t.ok(),
            Level::Error => t.error(),
            Level::Info => t.warn(),
        };
        let mark = match m.level {
            Level::Ok => "✓ ",
            Level::Error => "✗ ",
            Level::Info => "• ",
        };
        spans.push(Span::styled(format!("{mark}{}", m.text), style));
        spans.push(Span::raw("  "));
    }
    let main = [
        Action::New,
        Action::Claim,
        Action::Assign,
        Action::Status,
        Action::Comment,
        Action::Filter,
        Action::Palette,
        Action::Stats,
        Action::Help,
        Action::Quit,
    ];
    for a in main {
        if let Some(k) = app.keymap.key_for(a) {
            spans.push(Span::styled(k.label(), t.key()));
            spans.push(Span::styled(
                format!(" {}  ", ctx.cat.t(&format!("hint.{}", a.name()))),
                t.dim(),
            ));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn draw(f: &mut Frame<'_>, app: &App) {
    let area = f.area();
    let ctx = app.ctx();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        super::welcome::draw_too_small(f, area, &ctx);
        return;
    }
    match &app.screen {
        Screen::Denied(msg) => {
            super::welcome::draw_message(f, area, &ctx, msg);
            return;
        }
        Screen::Welcome => {
            super::welcome::draw_welcome(f, area, &ctx, &app.session.login);
        }
        Screen::Desk => {
            let a = layout(area, app.focus);
            draw_tabs(f, a.tabs, app, &ctx);
            super::queue::draw(f, a.queue, &app.queue, &ctx, app.focus == Pane::Queue);
            if let Some(d) = a.detail {
                super::detail::draw(f, d, &app.detail, &ctx, app.focus == Pane::Detail);
            }
            if let Some(r) = a.assign {
                super::assign::draw(f, r, &app.assign, &ctx, app.focus == Pane::Assign);
            }
            draw_hint(f, a.hint, app, &ctx);
        }
    }
    match &app.overlay {
        None => {}
        Some(Overlay::Help { context, scroll }) => {
            super::help::draw(f, area, &app.keymap, *context, *scroll, &ctx)
        }
        Some(Overlay::Palette(p)) => super::palette::draw(f, area, p, &ctx),
        Some(Overlay::Form(form)) => super::form::draw(f, area, form, &ctx),
        Some(Overlay::Status(s)) => super::status::draw(f, area, s, &ctx),
        Some(Overlay::Prompt(p)) => super::prompt::draw(f, area, p, &ctx),
        Some(Overlay::Stats(st)) => {
            let a = layout(area, app.focus);
            let body = Rect {
                x: area.x,
                y: a.tabs.y + 1,
                width: area.width,
                height: a.hint.y.saturating_sub(a.tabs.y + 1),
            };
            super::stats::draw(f, body, st, &ctx)
        }
        Some(Overlay::Picker { cursor }) => {
            super::picker::draw(f, area, *cursor, app.queue.spec.kind, &ctx)
        }
    }
}
