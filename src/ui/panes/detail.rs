//! The ticket-detail pane: every field, the outcome with its note and answer, the request,
//! and the whole history as a timeline. Long text wraps, text of several lines keeps its
//! lines; the pane scrolls when focused. It always shows the ticket highlighted in the queue.
//!
//! A frame lays out only what it can show: the pane's lines are built up to a bound of text
//! (the rows down to the bottom of the view and a few more, so what is on screen is exactly
//! what the whole text would show there), a line below says there is more, and scrolling on
//! moves the bound. The lines built are kept for the next frame until something they show
//! changes (the ticket, its history, its case, the language, the clock, the bound), so a key
//! that does not change the ticket builds nothing again (issue 17: one ticket of the 1M demo
//! holds 24 MB of notes).

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
use std::borrow::Cow;
use std::cell::RefCell;
use unicode_width::UnicodeWidthChar;

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
    /// The lines drawn last, kept while nothing they show changes.
    pub cache: RefCell<PaneCache>,
}

/// The pane's lines for one state of what it shows, and how often they were built (tests
/// read it to see that a frame reused them, or did not).
#[derive(Debug, Clone, Default)]
pub struct PaneCache {
    key: Option<CacheKey>,
    lines: Vec<Line<'static>>,
    pub builds: u64,
}

impl PaneCache {
    /// The lines kept, as text.
    pub fn text(&self) -> Vec<String> {
        self.lines.iter().map(ToString::to_string).collect()
    }
}

/// Everything the pane's lines are made of. The history is append-only: its first and last
/// event and its length say which events are read.
#[derive(Debug, Clone, PartialEq)]
struct CacheKey {
    ticket: Option<Ticket>,
    history: (usize, Option<i64>, Option<i64>),
    older: i64,
    case: CaseFile,
    to_inform: Vec<crate::store::outbox::Notice>,
    /// The configuration, the language and the keymap in use (each lives as long as the desk).
    sources: (usize, usize, usize),
    theme: crate::ui::theme::Theme,
    now: i64,
    empty: String,
    /// The pane's text width and the bound of text laid out.
    width: u16,
    bound: Option<usize>,
}

/// Which events are read: the history is append-only, so its first and last and its length.
fn events_read(d: &DetailState) -> (usize, Option<i64>, Option<i64>) {
    (
        d.history.len(),
        d.history.first().map(|e| e.id),
        d.history.last().map(|e| e.id),
    )
}

/// The configuration, the language and the keymap a frame draws with (each lives as long as
/// the desk: their addresses say which).
fn sources(ctx: &Ctx<'_>) -> (usize, usize, usize) {
    (
        std::ptr::from_ref(ctx.cfg) as usize,
        std::ptr::from_ref(ctx.cat) as usize,
        std::ptr::from_ref(ctx.keymap) as usize,
    )
}

impl CacheKey {
    fn of(d: &DetailState, ctx: &Ctx<'_>, empty: &str, width: u16, bound: Option<usize>) -> Self {
        CacheKey {
            ticket: d.ticket.clone(),
            history: events_read(d),
            older: d.older,
            case: d.case.clone(),
            to_inform: d.to_inform.clone(),
            sources: sources(ctx),
            theme: ctx.theme,
            now: ctx.now,
            empty: empty.to_string(),
            width,
            bound,
        }
    }

    /// Whether it is the key of `d` seen through `ctx` (compared without copying anything).
    fn matches(
        &self,
        d: &DetailState,
        ctx: &Ctx<'_>,
        empty: &str,
        width: u16,
        bound: Option<usize>,
    ) -> bool {
        self.ticket == d.ticket
            && self.history == events_read(d)
            && self.older == d.older
            && self.case == d.case
            && self.to_inform == d.to_inform
            && self.sources == sources(ctx)
            && self.theme == ctx.theme
            && self.now == ctx.now
            && self.empty == empty
            && self.width == width
            && self.bound == bound
    }
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

/// The history's lines; with `left`, only until that many cells of text are laid out (a
/// longer text is read only as far as it can count). True when events were left out.
fn history<'a>(
    d: &DetailState,
    ctx: &Ctx<'_>,
    mut left: Option<usize>,
    out: &mut Vec<Line<'a>>,
) -> bool {
    let t = ctx.theme;
    if d.older > 0 {
        out.push(Line::from(Span::styled(
            ctx.cat.f("ui.history_older", &[("n", d.older.to_string())]),
            t.dim(),
        )));
    }
    for e in &d.history {
        if left == Some(0) {
            return true;
        }
        let e = match left {
            Some(cells) => shortened(e, cells),
            None => Cow::Borrowed(e),
        };
        // A text read only in part is the last shown: what follows it is further down.
        let partial = matches!(e, Cow::Owned(_));
        let mut lines = present::event_lines(ctx.cfg, ctx.cat, &e).into_iter();
        let from = out.len();
        out.push(Line::from(vec![
            Span::styled(format!("{} ", local_time(e.at)), t.dim()),
            Span::styled(format!("{} ", present::actor(ctx.cat, &e)), t.key()),
            Span::raw(lines.next().unwrap_or_default()),
        ]));
        // A note of several lines keeps them.
        out.extend(lines.map(|l| Line::from(format!("    {l}"))));
        if partial {
            return true;
        }
        if let Some(cells) = left.as_mut() {
            *cells = cells.saturating_sub(out[from..].iter().map(Line::width).sum());
        }
    }
    false
}

/// The event with no more of its text than can make `cells` cells once cleaned: four bytes a
/// cell and a little more (a character of text is at most four bytes and at least one cell,
/// a combining mark aside).
fn shortened(e: &Event, cells: usize) -> Cow<'_, Event> {
    let most = cells.saturating_mul(4).saturating_add(64);
    match &e.text {
        Some(text) if text.len() > most => {
            let mut end = most;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let mut short = e.clone();
            short.text = Some(text[..end].to_string());
            Cow::Owned(short)
        }
        _ => Cow::Borrowed(e),
    }
}

/// Keeps the lines up to `bound` cells of text (the line that passes it cut there); true when
/// something was left out.
fn cut(out: &mut Vec<Line<'_>>, bound: usize) -> bool {
    let mut left = bound;
    for (i, line) in out.iter_mut().enumerate() {
        let width = line.width();
        if width <= left {
            left -= width;
            continue;
        }
        let mut spans = std::mem::take(&mut line.spans).into_iter();
        for mut span in spans.by_ref() {
            let width = span.width();
            if width <= left {
                left -= width;
                line.spans.push(span);
                continue;
            }
            let mut end = 0;
            for (at, c) in span.content.char_indices() {
                let w = c.width().unwrap_or(0);
                if w > left {
                    break;
                }
                left -= w;
                end = at + c.len_utf8();
            }
            span.content = Cow::Owned(span.content[..end].to_string());
            line.spans.push(span);
            break;
        }
        out.truncate(i + 1);
        return true;
    }
    false
}

/// The lines of the pane (also used by tests to check content without drawing). Without a
/// ticket: `empty`, which says why.
pub fn lines<'a>(d: &DetailState, ctx: &Ctx<'_>, empty: &str) -> Vec<Line<'a>> {
    build(d, ctx, empty, None)
}

/// The pane's lines, with a bound: only up to that many cells of text, then a line saying
/// there is more.
fn build<'a>(d: &DetailState, ctx: &Ctx<'_>, empty: &str, bound: Option<usize>) -> Vec<Line<'a>> {
    let Some(tk) = &d.ticket else {
        return vec![Line::from(Span::styled(empty.to_string(), ctx.theme.dim()))];
    };
    let mut out = before_history(d, tk, ctx);
    let left = bound.map(|b| b.saturating_sub(out.iter().map(Line::width).sum()));
    let stopped = history(d, ctx, left, &mut out);
    if let Some(b) = bound
        && (cut(&mut out, b) | stopped)
    {
        out.push(Line::from(Span::styled(
            ctx.cat.t("ui.more_below").to_string(),
            ctx.theme.dim(),
        )));
    }
    out
}

/// Rows laid out below the view, past its last: a cut line and the words wrapped around it
/// stay out of sight.
const SPARE_ROWS: usize = 4;

/// The bound grows in steps of this many rows, so that scrolling reuses the lines built.
const BOUND_STEP: usize = 64;

/// The cells of text a frame lays out to fill rows down to `scroll + height` at `width`: a
/// row holds at most `width` cells, so that much text fills at least as many rows, and the
/// rows on screen are exactly those of the whole text.
pub fn bound(scroll: u16, height: u16, width: u16) -> usize {
    let rows = (scroll as usize + height as usize + SPARE_ROWS).div_ceil(BOUND_STEP) * BOUND_STEP;
    rows * width.max(1) as usize
}

/// The pane's lines for a view `width` cells wide, up to `bound`: the ones built for the last
/// frame while nothing they show changed, else built again.
pub fn cached(
    d: &DetailState,
    ctx: &Ctx<'_>,
    empty: &str,
    width: u16,
    bound: Option<usize>,
) -> Vec<Line<'static>> {
    let mut cache = d.cache.borrow_mut();
    if !cache
        .key
        .as_ref()
        .is_some_and(|k| k.matches(d, ctx, empty, width, bound))
    {
        cache.lines = build(d, ctx, empty, bound);
        cache.key = Some(CacheKey::of(d, ctx, empty, width, bound));
        cache.builds += 1;
    }
    cache.lines.clone()
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
    let inner = block.inner(area);
    let bound = bound(d.scroll, inner.height, inner.width);
    let p = Paragraph::new(cached(d, ctx, empty, inner.width, Some(bound)))
        .wrap(Wrap { trim: false })
        .scroll((d.scroll, 0))
        .block(block);
    f.render_widget(p, area);
}
