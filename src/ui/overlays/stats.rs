//! The Stats pane (`S` from anywhere): headline figures for a period and a group, received
//! against finished day by day, the backlog's line, service-level compliance, the most
//! frequent problems and the most loaded agents. Drawn from the same report as `desk report`.

use super::Reply;
use crate::core::keys::{Action, Context};
use crate::store::AgentInfo;
use crate::store::report::Report;
use crate::ui::ctx::Ctx;
use crate::ui::keymap::Keymap;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Bar, BarChart, BarGroup, Block, Borders, Clear, Gauge, Paragraph, Sparkline,
};

/// The periods the pane offers, in days.
pub const PERIODS: [i64; 5] = [1, 7, 30, 90, 365];

#[derive(Debug, Clone)]
pub struct StatsState {
    /// Index into PERIODS.
    pub period: usize,
    /// None: every group; else this group's code.
    pub group: Option<String>,
    pub report: Option<Report>,
    pub agents: Vec<AgentInfo>,
    /// How long the report took (a slow one is recomputed less often: see `due`).
    pub millis: u128,
    /// When it was computed, and whether colleagues changed tickets since: a slow report
    /// (a year of a big desk) is recomputed at most every twenty times its own duration, so
    /// the desk stays responsive while others work.
    pub loaded: Option<std::time::Instant>,
    pub dirty: bool,
}

impl StatsState {
    pub const CONTEXT: Context = Context::Stats;

    /// ←/→ the period, ↑/↓ the group (of `groups`, then all): `Done` when the report must be
    /// computed again.
    pub fn on_key(&mut self, k: &KeyEvent, keymap: &Keymap, groups: &[String]) -> Reply<()> {
        let Some(a) = keymap.action(Self::CONTEXT, k) else {
            return Reply::Unbound;
        };
        let at = self
            .group
            .as_ref()
            .and_then(|g| groups.iter().position(|x| x == g))
            .map(|i| i + 1)
            .unwrap_or(0);
        let n = groups.len() + 1;
        let pick = |i: usize| i.checked_sub(1).and_then(|i| groups.get(i).cloned());
        match a {
            Action::Left => self.period = self.period.saturating_sub(1),
            Action::Right => self.period = (self.period + 1).min(PERIODS.len() - 1),
            Action::Up => self.group = pick((at + n - 1) % n),
            Action::Down => self.group = pick((at + 1) % n),
            Action::Back | Action::Quit | Action::Stats => return Reply::Close,
            _ => return Reply::Unbound,
        }
        Reply::Done(())
    }

    /// Whether a report made stale by colleagues' changes is due to be recomputed.
    pub fn due(&self) -> bool {
        let pause = std::time::Duration::from_millis(
            u64::try_from(self.millis.saturating_mul(20)).unwrap_or(u64::MAX),
        );
        self.dirty && self.loaded.is_none_or(|at| at.elapsed() >= pause)
    }
}

impl Default for StatsState {
    fn default() -> StatsState {
        StatsState {
            period: 2,
            group: None,
            report: None,
            agents: Vec::new(),
            millis: 0,
            loaded: None,
            dirty: false,
        }
    }
}

fn dur(cat: &crate::i18n::Catalog, secs: Option<i64>) -> String {
    secs.map(|s| crate::present::duration(cat, s))
        .unwrap_or_else(|| "—".into())
}

pub fn draw(f: &mut Frame<'_>, area: Rect, st: &StatsState, ctx: &Ctx<'_>) {
    let cat = ctx.cat;
    f.render_widget(Clear, area);
    let days = PERIODS[st.period];
    let title = cat.f(
        "stats.title",
        &[
            ("days", days.to_string()),
            (
                "group",
                st.group
                    .clone()
                    .unwrap_or_else(|| cat.t("stats.all_groups").to_string()),
            ),
        ],
    );
    let block = ctx.dialog(&title).title_bottom(
        ctx.hint_line(
            StatsState::CONTEXT,
            &[Action::Left, Action::Right, Action::Up, Action::Back],
            area.width / 2,
        )
        .right_aligned(),
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(r) = &st.report else {
        f.render_widget(Paragraph::new(cat.t("stats.loading").to_string()), inner);
        return;
    };
    let tall = inner.height >= 30;
    let [head, chart, spark, gauges, lists] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(if tall { 4 } else { 2 }),
        Constraint::Length(2),
        Constraint::Length(if tall { 7 } else { 6 }),
    ])
    .areas(inner);
    headline(f, head, r, ctx);
    per_day(f, chart, r, ctx);
    backlog(f, spark, r, ctx);
    compliance(f, gauges, r, ctx);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(lists);
    problems(f, left, r, ctx);
    most_loaded(f, right, st, ctx);
}

/// Headline figures: received, resolved, rejected, backlog, satisfaction; response times.
fn headline(f: &mut Frame<'_>, area: Rect, r: &Report, ctx: &Ctx<'_>) {
    let (t, cat) = (ctx.theme, ctx.cat);
    let tot = &r.total;
    let kv = |k: &str, v: String| -> Vec<Span<'static>> {
        vec![
            Span::styled(format!("{} ", cat.t(k)), t.dim()),
            Span::styled(v, t.title()),
            Span::raw("  "),
        ]
    };
    let mut l1 = kv("report.received", tot.received.to_string());
    l1.extend(kv("report.resolved", tot.resolved.to_string()));
    l1.extend(kv("report.rejected", tot.rejected.to_string()));
    l1.extend(kv("report.backlog", tot.backlog.to_string()));
    l1.extend(kv(
        "report.csat",
        tot.satisfaction()
            .map(|x| format!("{x:.1}★"))
            .unwrap_or_else(|| "—".into()),
    ));
    let pair = |d: &crate::store::report::Durations| {
        format!("{} / {}", dur(cat, d.median()), dur(cat, d.p90()))
    };
    let mut l2 = kv("stats.first_response", pair(&tot.first_response));
    l2.extend(kv("stats.resolution", pair(&tot.resolution)));
    l2.push(Span::styled(cat.t("stats.median_p90").to_string(), t.dim()));
    f.render_widget(Paragraph::new(vec![Line::from(l1), Line::from(l2)]), area);
}

/// Received against finished, day by day: the most recent days that fit.
fn per_day(f: &mut Frame<'_>, area: Rect, r: &Report, ctx: &Ctx<'_>) {
    let (t, cat) = (ctx.theme, ctx.cat);
    let per_day = 3u16; // two bars and a gap
    let fit = ((area.width.saturating_sub(2)) / per_day).max(1) as usize;
    let shown = &r.days[r.days.len().saturating_sub(fit)..];
    let mut bars = BarChart::default()
        .block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(t.border())
                .title(Line::from(vec![
                    Span::styled(format!(" {} ", cat.t("stats.per_day")), t.dim()),
                    Span::styled(format!("▮ {} ", cat.t("report.received")), t.warn()),
                    Span::styled(format!("▮ {} ", cat.t("stats.finished")), t.ok()),
                ])),
        )
        .bar_width(1)
        .bar_gap(0)
        .group_gap(1);
    for d in shown {
        bars = bars.data(
            BarGroup::default().bars(&[
                Bar::default()
                    .value(d.received as u64)
                    .style(t.warn())
                    .text_value(String::new()),
                Bar::default()
                    .value(d.finished as u64)
                    .style(t.ok())
                    .text_value(String::new()),
            ]),
        );
    }
    f.render_widget(bars, area);
}

/// The backlog's line over the period.
fn backlog(f: &mut Frame<'_>, area: Rect, r: &Report, ctx: &Ctx<'_>) {
    let backlog: Vec<u64> = r.days.iter().map(|d| d.backlog.max(0) as u64).collect();
    let first = r.days.first().map(|d| d.backlog).unwrap_or(0);
    let last = r.days.last().map(|d| d.backlog).unwrap_or(0);
    f.render_widget(
        Sparkline::default()
            .block(Block::default().title(Span::styled(
                format!(" {} {first} → {last} ", ctx.cat.t("stats.backlog_line")),
                ctx.theme.dim(),
            )))
            .data(&backlog[backlog.len().saturating_sub(area.width as usize)..])
            .style(ctx.theme.warn()),
        area,
    );
}

/// Service-level compliance as two gauges.
fn compliance(f: &mut Frame<'_>, area: Rect, r: &Report, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let [g1, g2] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let gauge = |label: &str, share: Option<f64>| -> Gauge<'static> {
        let ratio = share.unwrap_or(0.0).clamp(0.0, 1.0);
        let style = if ratio >= 0.9 {
            t.ok()
        } else if ratio >= 0.7 {
            t.warn()
        } else {
            t.overdue()
        };
        Gauge::default()
            .block(Block::default().title(Span::styled(format!(" {label} "), t.dim())))
            .gauge_style(style)
            .ratio(ratio)
            .label(
                share
                    .map(|s| format!("{:.0}%", s * 100.0))
                    .unwrap_or_else(|| "—".into()),
            )
    };
    let tot = &r.total;
    f.render_widget(
        gauge(
            ctx.cat.t("stats.fr_in_time"),
            tot.first_response.within_share(),
        ),
        g1,
    );
    f.render_widget(
        gauge(
            ctx.cat.t("stats.res_in_time"),
            tot.resolution.within_share(),
        ),
        g2,
    );
}

/// The most frequent categories; under them, the deadlines extended in the period, if any.
fn problems(f: &mut Frame<'_>, area: Rect, r: &Report, ctx: &Ctx<'_>) {
    let mut lines = vec![Line::from(Span::styled(
        ctx.cat.t("report.frequent").to_string(),
        ctx.theme.dim(),
    ))];
    let ext = &r.total.extended;
    let extended = (ext.count() > 0).then(|| {
        Line::from(Span::styled(
            ctx.cat.f(
                "stats.extended",
                &[
                    ("times", ext.count().to_string()),
                    ("tickets", ext.tickets.to_string()),
                    ("total", dur(ctx.cat, Some(ext.total()))),
                ],
            ),
            ctx.theme.warn(),
        ))
    });
    let rows = (area.height as usize).saturating_sub(1 + usize::from(extended.is_some()));
    for (c, n) in r.top_categories.iter().take(rows) {
        let name = ctx
            .cfg
            .category(c)
            .map(|x| x.name.clone())
            .unwrap_or_default();
        // A long name ends in … inside its column, never running into the next one.
        let room = (area.width as usize).saturating_sub(9 + c.chars().count());
        lines.push(Line::from(format!(
            "{n:>5}  {c} {}",
            crate::ui::layout::fit(&crate::core::sanitize::clean_line(&name), room)
        )));
    }
    lines.extend(extended);
    f.render_widget(Paragraph::new(lines), area);
}

/// The agents with the most open tickets for their capacity.
fn most_loaded(f: &mut Frame<'_>, area: Rect, st: &StatsState, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let mut lines = vec![Line::from(Span::styled(
        ctx.cat.t("stats.most_loaded").to_string(),
        t.dim(),
    ))];
    let mut agents: Vec<&AgentInfo> = st.agents.iter().filter(|a| a.active).collect();
    agents.sort_by(|a, b| {
        (b.load * 1000 / b.capacity.max(1))
            .cmp(&(a.load * 1000 / a.capacity.max(1)))
            .then(a.login.cmp(&b.login))
    });
    for a in agents.iter().take((area.height as usize).saturating_sub(1)) {
        lines.push(Line::from(vec![
            Span::raw(format!(
                "{:<12.12} ",
                crate::core::sanitize::clean_line(&a.login)
            )),
            Span::styled(
                crate::ui::panes::assign::bar(a.load, a.capacity, 10),
                t.load(a.load, a.capacity),
            ),
            Span::raw(format!(" {:>3}/{:<3}", a.load, a.capacity)),
        ]));
    }
    f.render_widget(Paragraph::new(lines), area);
}
