//! The assignment pane: groups with their unassigned tickets, and the agents of the selected
//! group with their role, open tickets against capacity (a bar), and who is away.
//! Enter on an agent gives them the selected or marked tickets (after asking why).

use super::Ctx;
use super::theme::{AWAY, CURSOR};
use crate::core::sanitize::clean_line;
use crate::store::{AgentInfo, GroupInfo};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

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

pub fn draw(f: &mut Frame<'_>, area: Rect, a: &AssignState, ctx: &Ctx<'_>, focused: bool) {
    let t = ctx.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused {
            t.focus_border()
        } else {
            t.border()
        })
        .title(Span::styled(
            format!(" {} ", ctx.cat.t("ui.assignment")),
            t.title(),
        ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [groups_area, list_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let mut tabs: Vec<Span> = Vec::new();
    for (i, g) in a.groups.iter().enumerate() {
        let label = format!(" {} {} ", g.code, g.unassigned);
        tabs.push(Span::styled(
            label,
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
    f.render_widget(Paragraph::new(Line::from(tabs)), groups_area);
    let bar_w = if list_area.width >= 60 { 12 } else { 8 };
    let lines: Vec<Line> = a
        .shown()
        .iter()
        .enumerate()
        .skip(
            a.cursor
                .saturating_sub(list_area.height.saturating_sub(1) as usize),
        )
        .take(list_area.height as usize)
        .map(|(i, ag)| {
            let selected = i == a.cursor && focused;
            // The age of their oldest open ticket, where there is room for it.
            let oldest_w = if list_area.width >= 44 { 5 } else { 0 };
            let name_w = (list_area.width as usize)
                .saturating_sub(bar_w + 34 + oldest_w)
                .max(6);
            let mut spans = vec![
                Span::raw(if selected {
                    format!("{CURSOR} ")
                } else {
                    "  ".into()
                }),
                Span::styled(format!("{:<12.12} ", clean_line(&ag.login)), t.key()),
                Span::raw(format!("{:<w$.w$} ", clean_line(&ag.name), w = name_w)),
                Span::styled(
                    format!("{:<10.10} ", ctx.cat.id("role", ag.role.as_str())),
                    t.dim(),
                ),
                Span::styled(
                    bar(ag.load, ag.capacity, bar_w),
                    t.load(ag.load, ag.capacity),
                ),
                Span::raw(format!(" {:>3}/{:<3}", ag.load, ag.capacity)),
            ];
            if oldest_w > 0 {
                let age = ag
                    .oldest_open_at
                    .map(|at| crate::present::age(ctx.cat, ctx.now - at))
                    .unwrap_or_default();
                spans.push(Span::styled(format!("{age:>4} "), t.dim()));
            }
            if ag.away {
                spans.push(Span::styled(
                    format!(" {AWAY} {}", ctx.cat.t("ui.away")),
                    t.warn(),
                ));
            }
            if !ag.active {
                spans.push(Span::styled(
                    format!(" {}", ctx.cat.t("ui.inactive")),
                    t.dim(),
                ));
            }
            let line = Line::from(spans);
            if selected {
                line.style(t.selected())
            } else {
                line
            }
        })
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
