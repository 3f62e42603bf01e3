//! The frame: a pure function of the app's state. The queue tabs, the panes, the dialogs on
//! top, and the hint bar: the keys of whatever has the keys now (generated from the keymap)
//! and the last message, which is never cut.

use super::app::{App, Level, Pane, Screen};
use super::ctx::Ctx;
use super::layout::{MIN_HEIGHT, MIN_WIDTH, layout, tabs};
use super::overlays::Overlay;
use crate::core::keys::Action;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

/// What stands beside the tabs for someone to act on: the alerts the person has not seen
/// (escalations of their groups' tickets, `!` lists them), and the requesters the mail did
/// not reach — each long, and short when room is scarce.
fn attention(app: &App, ctx: &Ctx<'_>) -> (String, String) {
    let mut long = Vec::new();
    let mut short = Vec::new();
    for (n, key) in [(app.alerts, "ui.alerts"), (app.to_inform, "ui.attention")] {
        if n > 0 {
            let n = [("n", n.to_string())];
            long.push(ctx.cat.f(key, &n));
            short.push(ctx.cat.f(&format!("{key}_short"), &n));
        }
    }
    (long.join("  "), short.join(" "))
}

fn draw_tabs(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let current = app.queue.spec.kind;
    // A saved queue is none of the tabs.
    let saved = app.queue.spec.saved.is_some();
    // What must be acted on keeps its room (short), the tabs shortened for it.
    let (long, short) = attention(app, ctx);
    let reserve = match short.width() {
        0 => 0,
        w => w + 2,
    };
    let width = (area.width as usize).saturating_sub(reserve);
    let mut spans: Vec<Span> = tabs(ctx, current, width)
        .into_iter()
        .map(|(k, label)| {
            let active = k == current && !saved && app.screen == Screen::Desk;
            Span::styled(label, if active { t.tab_active() } else { t.dim() })
        })
        .collect();
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let who = if app.session.store.is_read_only() {
        format!(" {} · {} ", ctx.cat.t("ui.read_only"), app.who())
    } else {
        format!(" {} ", app.who())
    };
    let mut room = (area.width as usize).saturating_sub(used);
    // Alerts and requesters the mail did not reach come first: someone must act on them.
    let attention = [
        (long.clone(), format!(" {who}")),
        (long, String::new()),
        (short, String::new()),
    ]
    .into_iter()
    .filter(|(a, _)| !a.is_empty())
    .find(|(a, rest)| room > a.width() + rest.width() + 1);
    match attention {
        Some((a, rest)) => {
            room -= a.width() + rest.width() + 1;
            spans.push(Span::raw(" ".repeat(room + 1)));
            spans.push(Span::styled(a, t.warn()));
            spans.push(Span::styled(rest, t.dim()));
        }
        None if room > who.width() => {
            spans.push(Span::raw(" ".repeat(room - who.width())));
            spans.push(Span::styled(who, t.dim()));
        }
        None => {}
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The main keys of what has the keys now.
fn hint_actions(app: &App) -> Vec<Action> {
    use Action as A;
    match (app.overlay(), &app.screen) {
        (Some(o), _) => o.hints(),
        (None, Screen::Welcome) => vec![A::Demo, A::New, A::Help, A::Quit],
        _ => vec![
            A::New,
            A::Claim,
            A::Assign,
            A::Status,
            A::Comment,
            A::Filter,
            A::Palette,
            A::Stats,
            A::Help,
            A::Quit,
        ],
    }
}

/// The message (whole, wrapped over the rows it needs), then the keys that fit whole on
/// what is left of the last row; help is never left out for another key.
fn draw_hint(f: &mut Frame<'_>, area: Rect, app: &App, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let width = (area.width as usize).max(1);
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0;
    if let Some(m) = &app.message {
        let (style, mark) = match m.level {
            Level::Ok => (t.ok(), "✓ "),
            Level::Error => (t.error(), "✗ "),
            Level::Info => (t.warn(), "• "),
        };
        let text = format!("{mark}{}  ", m.text);
        used = text.width() % width;
        spans.push(Span::styled(text, style));
    }
    let context = app.key_context();
    let help_key = ctx.keymap.key_for(context, Action::Help);
    let hints: Vec<(String, String, bool)> = ctx
        .hints(context, &hint_actions(app))
        .into_iter()
        .map(|(k, text)| (k.to_string(), text, Some(k) == help_key))
        .collect();
    let width_of = |k: &str, text: &str| format!("{k} {text}  ").width();
    // Room for help is kept whatever comes before it.
    let help = hints
        .iter()
        .find(|h| h.2)
        .map(|(k, text, _)| width_of(k, text))
        .unwrap_or(0);
    let help_fits = width.saturating_sub(used) >= help;
    let mut room = width.saturating_sub(used).saturating_sub(help);
    for (k, text, is_help) in hints {
        let w = width_of(&k, &text);
        if is_help && !help_fits {
            continue;
        }
        if !is_help {
            if w > room {
                continue;
            }
            room -= w;
        }
        spans.push(Span::styled(k, t.key()));
        spans.push(Span::styled(format!(" {text}  "), t.dim()));
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).wrap(Wrap { trim: false }),
        area,
    );
}

pub fn draw(f: &mut Frame<'_>, app: &App) {
    let area = f.area();
    let ctx = app.ctx();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        super::welcome::draw_too_small(f, area, &ctx);
        return;
    }
    let a = layout(area, app.focus, app.hint_rows());
    match &app.screen {
        Screen::Denied(msg) => {
            super::welcome::draw_message(f, area, &ctx, msg);
            return;
        }
        Screen::Welcome => {
            super::welcome::draw_welcome(f, area, &ctx, &app.session.login);
        }
        Screen::Desk => {
            draw_tabs(f, a.tabs, app, &ctx);
            super::panes::queue::draw(f, a.queue, &app.queue, &ctx, app.focus == Pane::Queue);
            if let Some(d) = a.detail {
                let empty = app.detail_empty();
                let focused = app.focus == Pane::Detail;
                super::panes::detail::draw(f, d, &app.detail, &ctx, focused, &empty);
            }
            if let Some(r) = a.assign {
                let focused = app.focus == Pane::Assign;
                super::panes::assign::draw(f, r, &app.assign, &ctx, focused);
            }
        }
    }
    draw_hint(f, a.hint, app, &ctx);
    for o in &app.overlays {
        draw_overlay(f, area, o, app, &ctx);
    }
}

fn draw_overlay(f: &mut Frame<'_>, area: Rect, o: &Overlay, app: &App, ctx: &Ctx<'_>) {
    use super::overlays::{
        choose, edit, form, help, palette, picker, prompt, relate, stats, status,
    };
    match o {
        Overlay::Help(h) => help::draw(f, area, h, ctx),
        Overlay::Palette(p) => palette::draw(f, area, p, ctx),
        Overlay::Form(form) => form::draw(f, area, form, ctx),
        Overlay::Edit(e) => edit::draw(f, area, e, ctx),
        Overlay::Relate(r) => relate::draw(f, area, r, ctx),
        Overlay::Choose(c) => choose::draw(f, area, c, ctx),
        Overlay::Status(s) => status::draw(f, area, s, ctx),
        Overlay::Prompt(p) => prompt::draw(f, area, p, ctx),
        Overlay::Picker(p) => picker::draw(f, area, p, app.current_pick(), ctx),
        Overlay::Stats(st) => {
            // Between the tabs and the hint bar, over the panes.
            let a = layout(area, app.focus, app.hint_rows());
            let body = Rect {
                x: area.x,
                y: a.tabs.y + 1,
                width: area.width,
                height: a.hint.y.saturating_sub(a.tabs.y + 1),
            };
            stats::draw(f, body, st, ctx)
        }
    }
}
