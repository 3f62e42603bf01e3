//! The ticket-detail pane: every field, the outcome with its note and answer, the request,
//! and the whole history as a timeline. Long text wraps, text of several lines keeps its
//! lines; the pane scrolls when focused. It always shows the ticket highlighted in the queue.

use crate::core::sanitize::{clean_line, clean_text};
use crate::present;
use crate::store::tickets::CaseFile;
use crate::store::{Event, Ticket};
use crate::time::format as local_time;
use crate::ui::ctx::Ctx;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

#[derive(Debug, Clone, Default)]
pub struct DetailState {
    pub ticket: Option<Ticket>,
    /// The newest part of the history (a page, and the older pages read since).
    pub history: Vec<Event>,
    /// How many older events are not read yet: scrolling to them reads the page before.
    pub older: i64,
    /// What the case holds besides the ticket: links, merged duplicates.
    pub case: CaseFile,
    pub scroll: u16,
    /// Notices that could not reach the requester: the pane says how to tell them instead.
    pub to_inform: Vec<crate::store::outbox::Notice>,
}

fn field<'a>(ctx: &Ctx<'_>, key: &str, value: String) -> Vec<Span<'a>> {
    vec![
        Span::styled(format!("{}: ", ctx.cat.t(key)), ctx.theme.dim()),
        Span::raw(value),
    ]
}

/// A labelled text of several lines: the first beside the label, the others below it.
fn text_field<'a>(ctx: &Ctx<'_>, key: &str, text: &str, out: &mut Vec<Line<'a>>) {
    let clean = clean_text(text);
    let mut lines = clean.trim_end().lines();
    out.push(Line::from(field(
        ctx,
        key,
        lines.next().unwrap_or_default().to_string(),
    )));
    out.extend(lines.map(|l| Line::from(format!("  {l}"))));
}

fn head<'a>(tk: &Ticket, ctx: &Ctx<'_>, out: &mut Vec<Line<'a>>) {
    let t = ctx.theme;
    out.push(Line::from(vec![
        Span::styled(tk.number.clone(), t.title()),
        Span::raw("  "),
        Span::styled(
            format!(
                "{} {}",
                present::priority_mark(tk.priority),
                ctx.cat.priority(tk.priority)
            ),
            t.priority(tk.priority),
        ),
        Span::raw(" · "),
        Span::styled(present::status(ctx.cfg, ctx.cat, &tk.status), t.title()),
        Span::styled(format!("  v{}", tk.version), t.dim()),
    ]));
    out.push(Line::from(Span::styled(
        clean_line(&tk.subject).into_owned(),
        t.title(),
    )));
}

fn people<'a>(d: &DetailState, tk: &Ticket, ctx: &Ctx<'_>, out: &mut Vec<Line<'a>>) {
    let requester = match (tk.requester.trim().is_empty(), tk.contact.trim().is_empty()) {
        (true, true) => ctx.cat.t("field.none").to_string(),
        (false, true) => clean_line(&tk.requester).into_owned(),
        (true, false) => clean_line(&tk.contact).into_owned(),
        (false, false) => format!(
            "{} <{}>",
            clean_line(&tk.requester),
            clean_line(&tk.contact)
        ),
    };
    let mut l = field(ctx, "field.requester", requester);
    l.push(Span::raw("  "));
    l.extend(field(
        ctx,
        "field.channel",
        ctx.cat.id("channel", tk.channel.as_str()),
    ));
    out.push(Line::from(l));
    let key = ctx.key(
        crate::core::keys::Context::Global,
        crate::core::keys::Action::Informed,
    );
    let then = ctx.cat.f("ui.then_key", &[("key", key)]);
    if let Some(line) = present::inform_line(ctx.cat, tk, &d.to_inform, then) {
        out.push(Line::from(Span::styled(
            format!("⚠ {line}"),
            ctx.theme.warn(),
        )));
    }
    let category = ctx
        .cfg
        .category(&tk.category)
        .map(|c| format!("{} {}", tk.category, clean_line(&c.name)))
        .unwrap_or_else(|| tk.category.clone());
    let mut l = field(ctx, "field.category", category);
    l.push(Span::raw("  "));
    l.extend(field(
        ctx,
        "field.group",
        tk.group.clone().unwrap_or_else(|| "—".into()),
    ));
    out.push(Line::from(l));
    let mut l = field(ctx, "field.assignee", present::assignee(ctx.cat, tk));
    if tk.reassignments > 1 {
        l.push(Span::styled(
            format!(
                "  ⇄ {}",
                ctx.cat
                    .f("field.times", &[("n", tk.reassignments.to_string())])
            ),
            ctx.theme.warn(),
        ));
    }
    out.push(Line::from(l));
}

fn times<'a>(tk: &Ticket, ctx: &Ctx<'_>, out: &mut Vec<Line<'a>>) {
    let t = ctx.theme;
    let mut l = field(
        ctx,
        "field.created",
        format!(
            "{} ({})",
            local_time(tk.created_at),
            present::age(ctx.cat, ctx.now - tk.created_at)
        ),
    );
    if let Some(due) = tk.due_at {
        let overdue = due < ctx.now
            && ctx
                .cfg
                .lifecycle
                .category(&tk.status)
                .is_some_and(|c| c.is_open());
        l.push(Span::raw("  "));
        l.push(Span::styled(
            format!("{}: ", ctx.cat.t("field.due")),
            t.dim(),
        ));
        l.push(Span::styled(
            format!("{}{}", if overdue { "⚠ " } else { "" }, local_time(due)),
            if overdue { t.overdue() } else { t.base() },
        ));
    }
    out.push(Line::from(l));
    if let Some(at) = tk.first_response_at {
        out.push(Line::from(field(
            ctx,
            "field.first_response",
            local_time(at),
        )));
    }
}

/// The decision: outcome, its note, the answer to the requester, the rating.
fn decision<'a>(tk: &Ticket, ctx: &Ctx<'_>, out: &mut Vec<Line<'a>>) {
    match tk.outcome {
        Some(o) => {
            let mut l = field(ctx, "field.outcome", String::new());
            l.push(Span::styled(
                ctx.cat.outcome(o).to_string(),
                ctx.theme.title(),
            ));
            out.push(Line::from(l));
            if let Some(r) = tk.reason.as_deref().filter(|r| !r.trim().is_empty()) {
                text_field(ctx, o.note_kind().label_key(), r, out);
            }
        }
        None => out.push(Line::from(field(
            ctx,
            "field.outcome",
            ctx.cat.t("field.none").to_string(),
        ))),
    }
    if let Some(a) = tk.answer.as_deref().filter(|a| !a.trim().is_empty()) {
        text_field(ctx, "field.answer", a, out);
    }
    if let Some(s) = tk.satisfaction {
        out.push(Line::from(field(
            ctx,
            "field.satisfaction",
            format!("{} {s}/5", "★".repeat(s.clamp(0, 5) as usize)),
        )));
    }
}

/// The case around the ticket: what it was merged into, its links, and the requests merged
/// into it (each with its requester and text).
fn case<'a>(d: &DetailState, ctx: &Ctx<'_>, out: &mut Vec<Line<'a>>) {
    let t = ctx.theme;
    if let Some(into) = &d.case.merged_into {
        out.push(Line::from(field(ctx, "field.merged_into", into.clone())));
    }
    if !d.case.attachments.is_empty() {
        let files = d
            .case
            .attachments
            .iter()
            .map(|a| {
                format!(
                    "{} ({})",
                    clean_line(&a.name),
                    crate::core::attach::human_size(a.size.max(0) as u64)
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Line::from(field(ctx, "field.attachments", files)));
    }
    if !d.case.links.is_empty() {
        let links = d
            .case
            .links
            .iter()
            .map(|l| {
                format!(
                    "{} ({})",
                    l.number,
                    present::link_role(ctx.cat, Some(l.role))
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Line::from(field(ctx, "field.links", links)));
    }
    for m in &d.case.merged {
        out.push(Line::from(Span::styled(
            format!("── {} ──", present::merged_head(ctx.cat, m)),
            t.dim(),
        )));
        out.extend(present::merged_lines(m).into_iter().map(Line::from));
    }
}

/// The request, the case and the history's title.
fn request<'a>(d: &DetailState, tk: &Ticket, ctx: &Ctx<'_>, out: &mut Vec<Line<'a>>) {
    let t = ctx.theme;
    if !tk.body.trim().is_empty() {
        out.push(Line::from(Span::styled(
            format!("── {} ──", ctx.cat.t("field.body")),
            t.dim(),
        )));
        for line in clean_text(&tk.body).lines() {
            out.push(Line::from(line.to_string()));
        }
    }
    case(d, ctx, out);
    out.push(Line::from(Span::styled(
        format!("── {} ──", ctx.cat.t("field.history")),
        t.dim(),
    )));
}

fn history<'a>(d: &DetailState, ctx: &Ctx<'_>, out: &mut Vec<Line<'a>>) {
    let t = ctx.theme;
    if d.older > 0 {
        out.push(Line::from(Span::styled(
            ctx.cat.f("ui.history_older", &[("n", d.older.to_string())]),
            t.dim(),
        )));
    }
    for e in &d.history {
        let mut lines = present::event_lines(ctx.cfg, ctx.cat, e).into_iter();
        out.push(Line::from(vec![
            Span::styled(format!("{} ", local_time(e.at)), t.dim()),
            Span::styled(format!("{} ", present::actor(ctx.cat, e)), t.key()),
            Span::raw(lines.next().unwrap_or_default()),
        ]));
        // A note of several lines keeps them.
        out.extend(lines.map(|l| Line::from(format!("    {l}"))));
    }
}

/// The lines of the pane (also used by tests to check content without drawing). Without a
/// ticket: `empty`, which says why.
pub fn lines<'a>(d: &DetailState, ctx: &Ctx<'_>, empty: &str) -> Vec<Line<'a>> {
    let Some(tk) = &d.ticket else {
        return vec![Line::from(Span::styled(empty.to_string(), ctx.theme.dim()))];
    };
    let mut out = before_history(d, tk, ctx);
    history(d, ctx, &mut out);
    out
}

/// Every line of the pane before the history's events.
fn before_history<'a>(d: &DetailState, tk: &Ticket, ctx: &Ctx<'_>) -> Vec<Line<'a>> {
    let mut out: Vec<Line> = Vec::new();
    head(tk, ctx, &mut out);
    people(d, tk, ctx, &mut out);
    times(tk, ctx, &mut out);
    decision(tk, ctx, &mut out);
    request(d, tk, ctx, &mut out);
    out
}

/// The line of the pane (before wrapping) that says older events are not read yet, when
/// some are not.
pub fn older_line(d: &DetailState, ctx: &Ctx<'_>) -> Option<usize> {
    let tk = d.ticket.as_ref().filter(|_| d.older > 0)?;
    Some(before_history(d, tk, ctx).len())
}

pub fn draw(
    f: &mut Frame<'_>,
    area: Rect,
    d: &DetailState,
    ctx: &Ctx<'_>,
    focused: bool,
    empty: &str,
) {
    let t = ctx.theme;
    let title = match &d.ticket {
        Some(tk) => format!(" {} ", tk.number),
        None => format!(" {} ", ctx.cat.t("ui.detail")),
    };
    let block = ctx.frame(focused).title(Span::styled(title, t.title()));
    let p = Paragraph::new(lines(d, ctx, empty))
        .wrap(Wrap { trim: false })
        .scroll((d.scroll, 0))
        .block(block);
    f.render_widget(p, area);
}
