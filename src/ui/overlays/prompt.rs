//! A text box over the desk: a reason for an assignment, a note, an answer, a rating, the
//! filter. It shows what will happen (how many tickets, to whom) before anything is written,
//! and keeps the tickets it was opened for: a colleague's change moving the queue underneath
//! never sends the text elsewhere. Enter saves; in a box of several lines Alt-Enter (or
//! Ctrl-J) starts a new line; the box says so.

use super::Reply;
use crate::core::keys::{Action, Context};
use crate::i18n::Catalog;
use crate::store::Ticket;
use crate::ui::ctx::Ctx;
use crate::ui::input;
use crate::ui::keymap::Keymap;
use crate::ui::layout::centered;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
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
    /// A value for a saved queue's parameter: the queue (its index in desk.toml) and the
    /// values given so far.
    QueueParam {
        queue: usize,
        values: Vec<(String, String)>,
    },
    /// Record the requester's satisfaction: a score 1-5, then an optional comment.
    Rate,
    /// Record how the requester was told what their notices could not say (by phone…).
    Informed,
    /// Attach the file at the path typed.
    AttachFile,
    /// Save the ticket's file of this name to the path typed.
    SaveFile {
        name: String,
    },
    /// Mark the agent away: with a reason, their open tickets are handed over; without, they
    /// keep them.
    Away {
        login: String,
    },
}

#[derive(Debug, Clone)]
pub struct Prompt {
    pub title: String,
    pub preview: Vec<String>,
    /// Worth knowing before saying yes (an agent away, over capacity).
    pub warnings: Vec<String>,
    pub label: String,
    pub input: TextArea<'static>,
    pub required: bool,
    pub multiline: bool,
    pub purpose: Purpose,
    pub error: Option<String>,
    /// The tickets the text is for, as they were when the box opened.
    pub targets: Vec<Ticket>,
    /// An answer: the person asked for the answers from templates (`::` typed, or the key);
    /// `Some(true)` when by typing `::`, which is put back if none is chosen.
    pub asked_templates: Option<bool>,
    /// The text holds a template's placeholders, filled in for each ticket when saved (an
    /// answer to several tickets at once).
    pub templated: bool,
}

impl Prompt {
    pub const CONTEXT: Context = Context::Prompt;

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
            warnings: Vec::new(),
            label,
            input,
            required,
            multiline,
            purpose,
            error: None,
            targets: Vec::new(),
            asked_templates: None,
            templated: false,
        }
    }

    /// For these tickets.
    pub fn about(mut self, targets: Vec<Ticket>) -> Prompt {
        self.targets = targets;
        self
    }

    pub fn text(&self) -> String {
        input::text(&self.input)
    }

    pub fn hints(&self) -> Vec<Action> {
        if self.purpose == Purpose::Reply {
            vec![
                Action::Confirm,
                Action::Newline,
                Action::Templates,
                Action::Back,
                Action::Help,
            ]
        } else if self.multiline {
            vec![Action::Confirm, Action::Newline, Action::Back, Action::Help]
        } else {
            vec![Action::Confirm, Action::Back, Action::Help]
        }
    }

    pub fn on_key(&mut self, k: &KeyEvent, keymap: &Keymap, cat: &Catalog) -> Reply<String> {
        self.error = None;
        match keymap.action(Self::CONTEXT, k) {
            Some(Action::Back) => Reply::Close,
            Some(Action::Confirm | Action::Save) => {
                let text = self.text().trim().to_string();
                if self.required && text.is_empty() {
                    self.error = Some(cat.t("ui.required").to_string());
                    return Reply::Stay;
                }
                Reply::Done(text)
            }
            Some(Action::Newline) if self.multiline => {
                self.input.insert_newline();
                Reply::Stay
            }
            Some(Action::Newline) => {
                self.error = Some(cat.t("ui.one_line").to_string());
                Reply::Stay
            }
            Some(Action::Templates) if self.purpose == Purpose::Reply => {
                self.asked_templates = Some(false);
                Reply::Stay
            }
            _ => {
                input::feed(&mut self.input, *k, self.multiline);
                if self.purpose == Purpose::Reply && input::took_colons(&mut self.input, k) {
                    self.asked_templates = Some(true);
                }
                Reply::Stay
            }
        }
    }

    pub fn on_paste(&mut self, s: &str) {
        input::paste(&mut self.input, s, self.multiline);
    }
}

/// Rows the preview lines take when wrapped to `width`.
fn rows(lines: &[String], width: usize) -> u16 {
    lines
        .iter()
        .map(|l| (unicode_width::UnicodeWidthStr::width(l.as_str()).max(1)).div_ceil(width) as u16)
        .sum()
}

pub fn draw(f: &mut Frame<'_>, area: Rect, p: &Prompt, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let width = 70u16.min(area.width);
    let inner_w = width.saturating_sub(2).max(1) as usize;
    let preview_rows = rows(&p.preview, inner_w);
    let warning_rows = rows(&p.warnings, inner_w);
    let height = preview_rows + warning_rows + if p.multiline { 10 } else { 6 };
    let rect = centered(area, width, height);
    f.render_widget(Clear, rect);
    let block = ctx.dialog(&p.title);
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let [preview, warnings, field, status] = Layout::vertical([
        Constraint::Length(preview_rows),
        Constraint::Length(warning_rows),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let lines: Vec<Line> = p.preview.iter().map(|l| Line::from(l.clone())).collect();
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), preview);
    let lines: Vec<Line> = p
        .warnings
        .iter()
        .map(|l| Line::from(Span::styled(format!("⚠ {l}"), t.warn())))
        .collect();
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), warnings);
    let mut input = p.input.clone();
    let label = format!("{}{}", p.label, if p.required { " *" } else { "" });
    input.set_block(ctx.field(&label, false));
    f.render_widget(&input, field);
    let hint = match &p.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.error())),
        None => ctx.hint_line(Prompt::CONTEXT, &p.hints(), status.width),
    };
    f.render_widget(Paragraph::new(hint), status);
}
