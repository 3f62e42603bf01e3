//! Changing status: first only the moves core allows this person on these tickets, then the
//! fields the chosen move needs (outcome, its reason / next steps / question, an answer).

use super::Ctx;
use super::input;
use super::prompt::centered;
use crate::core::lifecycle::{Field, Fields};
use crate::core::model::{Outcome, OutcomeNote};
use crate::store::Ticket;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui_textarea::TextArea;

/// A status the tickets may move to, with what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoveOption {
    pub to: String,
    pub name: String,
    pub outcomes: Vec<Outcome>,
    pub requires: Vec<Field>,
}

#[derive(Debug, Clone)]
pub struct StatusFlow {
    pub targets: Vec<Ticket>,
    pub options: Vec<MoveOption>,
    pub cursor: usize,
    /// False while choosing the status, true while filling its fields.
    pub filling: bool,
    pub outcome: usize,
    pub note: TextArea<'static>,
    pub answer: TextArea<'static>,
    /// 0 outcome, 1 note, 2 answer.
    pub field: usize,
    pub error: Option<String>,
}

pub enum StatusResult {
    Continue,
    Cancel,
    Submit { to: String, fields: Fields },
}

impl StatusFlow {
    pub fn new(targets: Vec<Ticket>, options: Vec<MoveOption>) -> StatusFlow {
        StatusFlow {
            targets,
            options,
            cursor: 0,
            filling: false,
            outcome: 0,
            note: input::field("", true),
            answer: input::field("", true),
            field: 0,
            error: None,
        }
    }

    pub fn chosen(&self) -> Option<&MoveOption> {
        self.options.get(self.cursor)
    }

    fn outcome_choice(&self) -> Option<Outcome> {
        self.chosen()
            .and_then(|o| o.outcomes.get(self.outcome).copied())
    }

    /// Which note this move needs, if any: the outcome's, or a reason the transition requires.
    pub fn note_kind(&self) -> Option<(OutcomeNote, bool)> {
        let opt = self.chosen()?;
        if let Some(o) = self.outcome_choice() {
            return Some(match o.required_note() {
                Some(n) => (n, true),
                None => (OutcomeNote::Reason, false),
            });
        }
        let required = opt.requires.contains(&Field::Reason);
        Some((OutcomeNote::Reason, required))
    }

    fn answer_required(&self) -> bool {
        self.chosen()
            .is_some_and(|o| o.requires.contains(&Field::Answer))
    }

    /// The fields as they stand.
    pub fn fields(&self) -> Fields {
        let note = input::text(&self.note);
        let answer = input::text(&self.answer);
        Fields {
            outcome: self.outcome_choice(),
            reason: (!note.trim().is_empty()).then_some(note),
            answer: (!answer.trim().is_empty()).then_some(answer),
        }
    }

    fn refocus(&mut self) {
        input::set_focus(&mut self.note, self.filling && self.field == 1);
        input::set_focus(&mut self.answer, self.filling && self.field == 2);
    }

    fn first_field(&self) -> usize {
        if self.chosen().is_some_and(|o| o.outcomes.len() > 1) {
            0
        } else {
            1
        }
    }

    pub fn on_key(&mut self, k: KeyEvent) -> StatusResult {
        if !self.filling {
            match k.code {
                KeyCode::Esc => return StatusResult::Cancel,
                KeyCode::Char('j') | KeyCode::Down => {
                    self.cursor = (self.cursor + 1).min(self.options.len().saturating_sub(1))
                }
                KeyCode::Char('k') | KeyCode::Up => self.cursor = self.cursor.saturating_sub(1),
                KeyCode::Enter if self.chosen().is_some() => {
                    self.filling = true;
                    self.outcome = 0;
                    self.field = self.first_field();
                }
                _ => {}
            }
            self.refocus();
            return StatusResult::Continue;
        }
        if k.code == KeyCode::Esc {
            self.filling = false;
            self.error = None;
            self.refocus();
            return StatusResult::Continue;
        }
        if input::is_submit(&k)
            && let Some(opt) = self.chosen()
        {
            return StatusResult::Submit {
                to: opt.to.clone(),
                fields: self.fields(),
            };
        }
        let first = self.first_field();
        match k.code {
            KeyCode::Tab => {
                self.field = if self.field >= 2 {
                    first
                } else {
                    self.field + 1
                }
            }
            KeyCode::BackTab => {
                self.field = if self.field <= first {
                    2
                } else {
                    self.field - 1
                }
            }
            KeyCode::Left | KeyCode::Char('h') if self.field == 0 => {
                let n = self.chosen().map(|o| o.outcomes.len()).unwrap_or(1).max(1);
                self.outcome = (self.outcome + n - 1) % n;
            }
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') if self.field == 0 => {
                let n = self.chosen().map(|o| o.outcomes.len()).unwrap_or(1).max(1);
                self.outcome = (self.outcome + 1) % n;
            }
            KeyCode::Enter if self.field == 0 => self.field = 1,
            _ if self.field == 1 => {
                input::feed(&mut self.note, k, true);
            }
            _ if self.field == 2 => {
                input::feed(&mut self.answer, k, true);
            }
            _ => {}
        }
        self.error = None;
        self.refocus();
        StatusResult::Continue
    }

    pub fn on_paste(&mut self, s: &str) {
        match self.field {
            1 => input::paste(&mut self.note, s, true),
            2 => input::paste(&mut self.answer, s, true),
            _ => {}
        }
    }
}

pub fn draw(f: &mut Frame<'_>, area: Rect, s: &StatusFlow, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let rect = centered(
        area,
        72,
        if s.filling {
            20
        } else {
            (s.options.len() as u16 + 6).max(8)
        },
    );
    f.render_widget(Clear, rect);
    let what = match s.targets.as_slice() {
        [one] => one.number.clone(),
        many => ctx.cat.f("ui.n_tickets", &[("n", many.len().to_string())]),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focus_border())
        .title(Span::styled(
            format!(" {} — {what} ", ctx.cat.t("ui.change_status")),
            t.title(),
        ));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    if !s.filling {
        let mut lines: Vec<Line> = Vec::new();
        if s.options.is_empty() {
            lines.push(Line::from(Span::styled(
                ctx.cat.t("ui.no_moves").to_string(),
                t.warn(),
            )));
        }
        for (i, o) in s.options.iter().enumerate() {
            let needs: Vec<String> = o
                .outcomes
                .iter()
                .map(|x| ctx.cat.outcome(*x).to_string())
                .chain(
                    o.requires
                        .iter()
                        .map(|f| ctx.cat.t(&format!("field.{}", f.as_str())).to_string()),
                )
                .collect();
            let line = Line::from(vec![
                Span::raw(if i == s.cursor {
                    format!("{} ", super::theme::CURSOR)
                } else {
                    "  ".into()
                }),
                Span::styled(
                    format!("{:<26}", crate::present::status(ctx.cfg, ctx.cat, &o.to)),
                    t.title(),
                ),
                Span::styled(
                    if needs.is_empty() {
                        String::new()
                    } else {
                        format!("({})", needs.join(" / "))
                    },
                    t.dim(),
                ),
            ]);
            lines.push(if i == s.cursor {
                line.style(t.selected())
            } else {
                line
            });
        }
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            ctx.cat.t("ui.status_keys").to_string(),
            t.dim(),
        )));
        f.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let Some(opt) = s.chosen() else { return };
    let [head, outcome, note, answer, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    f.render_widget(
        Paragraph::new(Line::from(vec![Span::styled(
            format!("→ {}", crate::present::status(ctx.cfg, ctx.cat, &opt.to)),
            t.title(),
        )])),
        head,
    );
    if opt.outcomes.is_empty() {
        f.render_widget(
            Paragraph::new(Span::styled(
                ctx.cat.t("ui.no_outcome_needed").to_string(),
                t.dim(),
            )),
            outcome,
        );
    } else {
        let mut spans = vec![Span::styled(
            format!("{}: ", ctx.cat.t("field.outcome")),
            t.dim(),
        )];
        for (i, o) in opt.outcomes.iter().enumerate() {
            let chosen = i == s.outcome;
            let style = if chosen && s.field == 0 {
                t.selected()
            } else if chosen {
                t.title()
            } else {
                t.dim()
            };
            spans.push(Span::styled(
                format!(
                    "{}{} ",
                    if chosen { "◉ " } else { "○ " },
                    ctx.cat.outcome(*o)
                ),
                style,
            ));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), outcome);
    }
    let boxed =
        |ta: &TextArea<'static>, label: String, focused: bool, area: Rect, f: &mut Frame<'_>| {
            let mut ta = ta.clone();
            ta.set_block(
                Block::default()
                    .borders(Borders::ALL)
                    .border_style(if focused {
                        t.focus_border()
                    } else {
                        t.border()
                    })
                    .title(Span::styled(format!(" {label} "), t.dim())),
            );
            f.render_widget(&ta, area);
        };
    let (kind, required) = s.note_kind().unwrap_or((OutcomeNote::Reason, false));
    boxed(
        &s.note,
        format!(
            "{}{}",
            ctx.cat.t(kind.label_key()),
            if required { " *" } else { "" }
        ),
        s.field == 1,
        note,
        f,
    );
    boxed(
        &s.answer,
        format!(
            "{}{}",
            ctx.cat.t("ui.answer_to_requester"),
            if s.answer_required() { " *" } else { "" }
        ),
        s.field == 2,
        answer,
        f,
    );
    let footer = match &s.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.error())),
        None => Line::from(Span::styled(
            ctx.cat.t("ui.fields_keys").to_string(),
            t.dim(),
        )),
    };
    f.render_widget(Paragraph::new(footer), foot);
}
