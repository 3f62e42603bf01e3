//! The assignment pane: groups with their unassigned tickets, and the agents of the selected
//! group with their role, open tickets against capacity (a bar), and who is away.
//! Enter on an agent gives them the selected or marked tickets (after asking why).

use crate::core::sanitize::clean_line;
use crate::store::{AgentInfo, GroupInfo};
use crate::ui::ctx::Ctx;
use crate::ui::layout::fit;
use crate::ui::theme::{AWAY, CURSOR};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

#[derive(Debug, Clone, Default)]
pub struct AssignState {
    pub groups: Vec<GroupInfo>,
    pub agents: Vec<AgentInfo>,
    /// Index into `groups`; `groups.len()` means every agent.
    pub group: usize,
    pub cursor: usize,
}

impl AssignState {
    /// Agents of the selected group (active ones first, then by load).
    pub fn shown(&self) -> Vec<&AgentInfo> {
        let code = self.groups.get(self.group).map(|g| g.code.as_str());
        let mut v: Vec<&AgentInfo> = self
            .agents
            .iter()
            .filter(|a| code.is_none_or(|c| a.groups.iter().any(|g| g == c)))
            .collect();
        v.sort_by_key(|a| {
            (
                !a.active,
                a.away,
                a.load * 1000 / a.capacity.max(1),
                a.login.clone(),
            )
        });
        v
    }

    pub fn selected(&self) -> Option<&AgentInfo> {
        self.shown().get(self.cursor).copied()
    }

    pub fn select_group(&mut self, code: Option<&str>) {
        if let Some(i) = code.and_then(|c| self.groups.iter().position(|g| g.code == c)) {
            self.group = i;
            self.cursor = 0;
        }
    }

    pub fn move_group(&mut self, delta: i64) {
        let n = self.groups.len() as i64 + 1;
        self.group = (self.group as i64 + delta).rem_euclid(n) as usize;
        self.cursor = 0;
    }

    pub fn move_cursor(&mut self, delta: i64) {
        let n = self.shown().len() as i64;
        if n > 0 {
            self.cursor = (self.cursor as i64 + delta).clamp(0, n - 1) as usize;
        }
    }
}

/// A load bar: `█` for open tickets, `░` for room left.
pub fn bar(load: i64, capacity: i64, width: usize) -> String {
    let filled = if capacity <= 0 {
        width
    } else {
        ((load.min(capacity) as usize) * width)
            .div_ceil(capacity as usize)
            .min(width)
    };
    format!("{}{}", "█".repeat(filled), "░".repeat(width - filled))
}

/// Column widths of an agent's line in a list `width` wide: the name and the age of the
/// oldest open ticket give way first, so availability and load always show.
struct Widths {
    bar: usize,
    name: usize,
    /// The role, or why the agent cannot take tickets now: as wide as the longest of them.
    role: usize,
    oldest: usize,
}

fn widths(width: usize, ctx: &Ctx<'_>) -> Widths {
    let bar = if width >= 60 { 12 } else { 8 };
    let role = crate::core::model::Role::ALL
        .iter()
        .map(|r| ctx.cat.id("role", r.as_str()))
        .chain([
            format!("{AWAY} {}", ctx.cat.t("ui.away")),
            ctx.cat.t("ui.inactive").to_string(),
        ])
        .map(|s| unicode_width::UnicodeWidthStr::width(s.as_str()))
        .max()
        .unwrap_or(10);
    // cursor 2, login 13, role, bar, " nnn/nnn" 8
    let fixed = 2 + 13 + role + 1 + bar + 8;
    let room = width.saturating_sub(fixed);
    let oldest = if room >= 5 + 9 { 5 } else { 0 };
    let name = room.saturating_sub(oldest + 1);
    Widths {
        bar,
        name: if name >= 8 { name } else { 0 },
        role,
        oldest,
    }
}

fn agent_line<'a>(ag: &AgentInfo, selected: bool, w: &Widths, ctx: &Ctx<'_>) -> Line<'a> {
    let t = ctx.theme;
    let mut spans = vec![
        Span::raw(if selected {
            format!("{CURSOR} ")
        } else {
            "  ".into()
        }),
        Span::styled(format!("{:<12} ", fit(&clean_line(&ag.login), 12)), t.key()),
    ];
    if w.name > 0 {
        spans.push(Span::raw(format!(
            "{:<n$} ",
            fit(&clean_line(&ag.name), w.name),
            n = w.name
        )));
    }
    // Who cannot take tickets now says so where the role would be.
    let (availability, style) = if !ag.active {
        (ctx.cat.t("ui.inactive").to_string(), t.dim())
    } else if ag.away {
        (format!("{AWAY} {}", ctx.cat.t("ui.away")), t.warn())
    } else {
        (ctx.cat.id("role", ag.role.as_str()), t.dim())
    };
    spans.push(Span::styled(
        format!("{:<r$} ", fit(&availability, w.role), r = w.role),
        style,
    ));
    spans.push(Span::styled(
        bar(ag.load, ag.capacity, w.bar),
        t.load(ag.load, ag.capacity),
    ));
    spans.push(Span::raw(format!(" {:>3}/{:<3}", ag.load, ag.capacity)));
    if w.oldest > 0 {
        let age = ag
            .oldest_open_at
            .map(|at| crate::present::age(ctx.cat, ctx.now - at))
            .unwrap_or_default();
        spans.push(Span::styled(format!(" {age:>4}"), t.dim()));
    }
    let line = Line::from(spans);
    if selected {
        line.style(t.selected())
    } else {
        line
    }
}

fn group_tabs<'a>(a: &AssignState, ctx: &Ctx<'_>) -> Line<'a> {
    let t = ctx.theme;
    let mut tabs: Vec<Span> = Vec::new();
    for (i, g) in a.groups.iter().enumerate() {
        tabs.push(Span::styled(
            format!(" {} {} ", g.code, g.unassigned),
            if i == a.group {
                t.tab_active()
            } else {
                t.base()
            },
        ));
    }
    tabs.push(Span::styled(
        format!(" {} ", ctx.cat.t("ui.all_agents")),
        if a.group >= a.groups.len() {
            t.tab_active()
        } else {
            t.base()
        },
    ));
    Line::from(tabs)
}

pub fn draw(f: &mut Frame<'_>, area: Rect, a: &AssignState, ctx: &Ctx<'_>, focused: bool) {
    let t = ctx.theme;
    let block = ctx.frame(focused).title(Span::styled(
        format!(" {} ", ctx.cat.t("ui.assignment")),
        t.title(),
    ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [groups_area, list_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    f.render_widget(Paragraph::new(group_tabs(a, ctx)), groups_area);
    let w = widths(list_area.width as usize, ctx);
    let lines: Vec<Line> = a
        .shown()
        .iter()
        .enumerate()
        .skip(
            a.cursor
                .saturating_sub(list_area.height.saturating_sub(1) as usize),
        )
        .take(list_area.height as usize)
        .map(|(i, ag)| agent_line(ag, i == a.cursor && focused, &w, ctx))
        .collect();
    if lines.is_empty() {
        f.render_widget(
            Paragraph::new(Span::styled(ctx.cat.t("ui.no_agents").to_string(), t.dim())),
            list_area,
        );
    } else {
        f.render_widget(Paragraph::new(lines), list_area);
    }
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn bars() {
        assert_eq!(bar(0, 10, 10), "░░░░░░░░░░");
        assert_eq!(bar(5, 10, 10), "█████░░░░░");
        assert_eq!(bar(1, 10, 4), "█░░░");
        assert_eq!(bar(12, 10, 4), "████");
        assert_eq!(bar(0, 0, 4), "████");
    }
}
