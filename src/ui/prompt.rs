//! A text prompt over the desk: a reason for an assignment, a note, an answer. It shows what
//! will happen (how many tickets, to whom) before anything is written.

use super::Ctx;
use super::input;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;

/// What the text is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Comment,
    Reply,
    /// Give the targets to an agent (and/or group).
    Assign {
        login: String,
        group: Option<String>,
    },
    /// Claim the targets (taking over someone else's needs a reason).
    Claim,
    Unassign,
    /// Filter the queue by text.
    Filter,
    /// Record the requester's satisfaction: a score 1-5, then an optional comment.
    Rate,
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub title: String,
    pub preview: Vec<String>,
    pub label: String,
    pub input: TextArea<'static>,
    pub required: bool,
    pub multiline: bool,
    pub purpose: Purpose,
    pub error: Option<String>,
}

pub enum PromptResult {
    Continue,
    Cancel,
    Submit(String),
}

impl Prompt {
    pub fn new(
        title: String,
        label: String,
        purpose: Purpose,
        required: bool,
        multiline: bool,
    ) -> Prompt {
        let mut input = input::field(&label, multiline);
        input::set_focus(&mut input, true);
        Prompt {
            title,
            preview: Vec::new(),
            label,
            input,
            required,
            multiline,
            purpose,
            error: None,
        }
    }

    pub fn on_key(&mut self, k: KeyEvent, ctx_required: &str) -> PromptResult {
        if k.code == KeyCode::Esc {
            return PromptResult::Cancel;
        }
        let submit = input::is_submit(&k) || (k.code == KeyCode::Enter && !self.multiline);
        if submit {
            let text = input::text(&self.input).trim().to_string();
            if self.required && text.is_empty() {
                self.error = Some(ctx_required.to_string());
                return PromptResult::Continue;
            }
            return PromptResult::Submit(text);
        }
        input::feed(&mut self.input, k, self.multiline);
        self.error = None;
        PromptResult::Continue
    }

    pub fn on_paste(&mut self, s: &str) {
        input::paste(&mut self.input, s, self.multiline);
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

pub fn draw(f: &mut Frame<'_>, area: Rect, p: &Prompt, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let width = 70u16.min(area.width);
    let inner_w = width.saturating_sub(2).max(1) as usize;
    let preview_rows: u16 = p
        .preview
        .iter()
        .map(|l| {
            (unicode_width::UnicodeWidthStr::width(l.as_str()).max(1)).div_ceil(inner_w) as u16
        })
        .sum();
    let height = preview_rows + if p.multiline { 10 } else { 6 };
    let rect = centered(area, width, height);
    f.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focus_border())
        .title(Span::styled(format!(" {} ", p.title), t.title()));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let [preview, field, status] = Layout::vertical([
        Constraint::Length(preview_rows),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let lines: Vec<Line> = p.preview.iter().map(|l| Line::from(l.clone())).collect();
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), preview);
    let mut input = p.input.clone();
    input.set_block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(t.border())
            .title(Span::styled(
                format!(" {}{} ", p.label, if p.required { " *" } else { "" }),
                t.dim(),
            )),
    );
    f.render_widget(&input, field);
    let hint = match &p.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.error())),
        None => Line::from(Span::styled(
            ctx.cat
                .t(if p.multiline {
                    "ui.prompt_keys_multi"
                } else {
                    "ui.prompt_keys"
                })
                .to_string(),
            t.dim(),
        )),
    };
    f.render_widget(Paragraph::new(hint), status);
}
