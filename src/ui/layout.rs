//! Where things go: the panes for each terminal size, the queue tabs that always fit, dialogs
//! centred. Pure functions of sizes and text, shared by drawing and by the mouse.

use super::app::Pane;
use super::ctx::Ctx;
use crate::core::keys::{Context, QUEUES};
use crate::core::query::QueueKind;
use ratatui::layout::{Constraint, Layout, Rect};
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
    /// The hint bar and the last message (more than one line when a message needs them).
    pub hint: Rect,
}

/// Where each pane goes. Very wide (160+): the queue on the left, ticket and assignment on
/// the right. Wide (120+): the queue across the top with every column, ticket and assignment
/// side by side below. Narrow: the queue on top and, below it, the assignment pane when it
/// has focus, else the ticket.
pub fn layout(area: Rect, focus: Pane, hint_rows: u16) -> Areas {
    let [tabs, body, hint] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(hint_rows.clamp(1, 3)),
    ])
    .areas(area);
    let beside = |r: Rect, left: u16| {
        let [a, b] = Layout::horizontal([
            Constraint::Percentage(left),
            Constraint::Percentage(100 - left),
        ])
        .areas(r);
        (a, b)
    };
    let (queue, detail, assign) = if area.width >= VERY_WIDE {
        let (queue, right) = beside(body, 58);
        let [detail, assign] =
            Layout::vertical([Constraint::Percentage(62), Constraint::Percentage(38)]).areas(right);
        (queue, Some(detail), Some(assign))
    } else {
        let [queue, lower] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        if area.width >= WIDE {
            let (detail, assign) = beside(lower, 58);
            (queue, Some(detail), Some(assign))
        } else if focus == Pane::Assign {
            (queue, None, Some(lower))
        } else {
            (queue, Some(lower), None)
        }
    };
    Areas {
        tabs,
        queue,
        detail,
        assign,
        hint,
    }
}

/// A rectangle centred in `area`, at most `w`×`h`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Cuts text to `width` columns, ending with `…` when something was cut.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// The queue tabs as they fit in `width`: each queue's key and name (the same words as its
/// title). When they do not fit, the gaps narrow, then the longest names of the queues not
/// shown are shortened (with `…`); the current queue's name is never cut.
pub fn tabs(ctx: &Ctx<'_>, current: QueueKind, width: usize) -> Vec<(QueueKind, String)> {
    let entries: Vec<(QueueKind, String, String)> = QUEUES
        .iter()
        .zip(QueueKind::ALL)
        .map(|(a, k)| {
            let key = ctx
                .keymap
                .key_for(Context::Global, *a)
                .map(|k| format!("{k} "))
                .unwrap_or_default();
            (
                k,
                key,
                ctx.cat.t(&format!("queue_short.{}", k.id())).to_string(),
            )
        })
        .collect();
    let render = |names: &[String], pad: &str| -> Vec<(QueueKind, String)> {
        entries
            .iter()
            .zip(names)
            .map(|((k, key, _), name)| (*k, format!("{pad}{key}{name}{pad}")))
            .collect()
    };
    let total = |v: &[(QueueKind, String)]| v.iter().map(|(_, l)| l.width()).sum::<usize>();
    let mut names: Vec<String> = entries.iter().map(|(_, _, n)| n.clone()).collect();
    let roomy = render(&names, " ");
    if total(&roomy) <= width {
        return roomy;
    }
    // One space between tabs, then the longest names of other queues shortened.
    let mut lens: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
    loop {
        let tight: Vec<(QueueKind, String)> = render(&names, "")
            .into_iter()
            .map(|(k, l)| (k, format!(" {l}")))
            .collect();
        if total(&tight) < width {
            return tight;
        }
        let longest = (0..names.len())
            .filter(|i| entries[*i].0 != current && lens[*i] > 1)
            .max_by_key(|i| lens[*i]);
        let Some(i) = longest else { return tight };
        lens[i] -= 1;
        let full = &entries[i].2;
        names[i] = format!("{}…", full.chars().take(lens[i] - 1).collect::<String>());
    }
}

/// The queue whose tab is at column `x` of the tab bar.
pub fn tab_at(ctx: &Ctx<'_>, current: QueueKind, width: usize, x: u16) -> Option<QueueKind> {
    let mut at = 0u16;
    for (k, label) in tabs(ctx, current, width) {
        let w = label.width() as u16;
        if x >= at && x < at + w {
            return Some(k);
        }
        at += w;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_text() {
        assert_eq!(fit("Attributed", 12), "Attributed");
        assert_eq!(fit("Waiting for information", 12), "Waiting for…");
        assert_eq!(fit("Ожидание доп. информации", 12), "Ожидание до…");
        assert_eq!(fit("abc", 0), "");
    }
}
