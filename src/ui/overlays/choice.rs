//! What the forms' choices share (channel, category, priority, group…): ←/→ cycle, a typed
//! letter jumps to the next choice starting with it, and each is drawn as one line
//! `Label:  ◀ value ▶`. Text boxes of a form are drawn with their label in the frame.

use crate::core::keys::{Action, Context};
use crate::ui::ctx::Ctx;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui_textarea::TextArea;

/// `current` moved by `delta` among `n` choices, wrapping.
pub fn cycle(current: usize, delta: i64, n: usize) -> usize {
    (current as i64 + delta).rem_euclid(n.max(1) as i64) as usize
}

/// The choice a typed character selects: Space the next one, a letter the next choice (after
/// `current`, wrapping) starting with it. Err: the words saying that none does.
pub fn type_ahead(
    choices: &[String],
    current: usize,
    c: char,
    ctx: &Ctx<'_>,
    context: Context,
) -> Result<usize, String> {
    let n = choices.len();
    if c == ' ' {
        return Ok(cycle(current, 1, n));
    }
    let typed = c.to_lowercase().to_string();
    (1..=n)
        .map(|d| (current + d) % n)
        .find(|i| choices[*i].to_lowercase().starts_with(&typed))
        .ok_or_else(|| {
            ctx.cat.f(
                "ui.no_choice",
                &[
                    ("typed", c.to_string()),
                    ("left", ctx.key(context, Action::Left)),
                    ("right", ctx.key(context, Action::Right)),
                ],
            )
        })
}

/// A choice as one line: its label (in a column `width` wide), then `◀ value ▶`
/// (highlighted while focused).
pub fn line<'a>(
    label: &str,
    width: usize,
    value: String,
    focused: bool,
    ctx: &Ctx<'_>,
) -> Line<'a> {
    let t = ctx.theme;
    let label = format!("{label}:");
    let pad = width.saturating_sub(unicode_width::UnicodeWidthStr::width(label.as_str()));
    Line::from(vec![
        Span::styled(format!("{label}{} ", " ".repeat(pad)), t.dim()),
        Span::styled(
            format!("◀ {value} ▶"),
            if focused { t.selected() } else { t.base() },
        ),
    ])
}

/// A text box with its label in the frame.
pub fn boxed(
    f: &mut Frame<'_>,
    text: &TextArea<'static>,
    label: &str,
    focused: bool,
    area: Rect,
    ctx: &Ctx<'_>,
) {
    let mut ta = text.clone();
    ta.set_block(ctx.field(label, focused));
    f.render_widget(&ta, area);
}
