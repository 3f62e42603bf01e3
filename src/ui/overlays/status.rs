//! Changing status: first only the moves core allows this person on these tickets, then the
//! fields the chosen move needs (outcome, its reason / next steps / question, an answer).
//! Enter goes to the next field and applies on the last; text typed on the outcome's row goes
//! into the note, where it belongs, never nowhere.

use super::Reply;
use crate::core::keys::{Action, Context};
use crate::core::lifecycle::{Field, Fields};
use crate::core::model::{Outcome, OutcomeNote};
use crate::store::Ticket;
use crate::ui::ctx::Ctx;
use crate::ui::input;
use crate::ui::keymap::Keymap;
use crate::ui::layout::centered;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
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
    /// The person asked for the answers from templates (`Some(true)`: by typing `::`, put
    /// back if none is chosen).
    pub asked_templates: Option<bool>,
    /// The answer holds a template's placeholders, filled in for each ticket when applied
    /// (one decision for several tickets).
    pub templated: bool,
}

/// The move chosen, with its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub to: String,
    pub fields: Fields,
}

const OUTCOME: usize = 0;
const NOTE: usize = 1;
const ANSWER: usize = 2;

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
            asked_templates: None,
            templated: false,
        }
    }

    /// The outcome chosen, if the move takes one.
    pub fn outcome_chosen(&self) -> Option<Outcome> {
        self.outcome_choice()
    }

    /// An answer chosen from the templates: its text into the answer box (all of it when the
    /// box is empty, else at the cursor), its outcome chosen when this move takes it, its
    /// note into the note box when that is empty. The answer box gets the focus.
    pub fn put_answer(&mut self, text: &str, outcome: Option<Outcome>, note: Option<&str>) {
        if let Some(o) = outcome
            && let Some(i) = self
                .chosen()
                .and_then(|opt| opt.outcomes.iter().position(|x| *x == o))
        {
            self.outcome = i;
        }
        if let Some(n) = note
            && input::text(&self.note).trim().is_empty()
        {
            input::put_answer(&mut self.note, n, true);
        }
        input::put_answer(&mut self.answer, text, true);
        self.field = ANSWER;
        self.refocus();
    }

    /// Puts back the `::` taken out of the box being typed in.
    pub fn put_colons(&mut self) {
        input::put_colons(self.text_mut());
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
        input::set_focus(&mut self.note, self.filling && self.field == NOTE);
        input::set_focus(&mut self.answer, self.filling && self.field == ANSWER);
    }

    fn first_field(&self) -> usize {
        if self.chosen().is_some_and(|o| o.outcomes.len() > 1) {
            OUTCOME
        } else {
            NOTE
        }
    }

    /// Choosing the status, or filling its fields.
    pub fn context(&self) -> Context {
        if self.filling {
            Context::Fields
        } else {
            Context::Status
        }
    }

    pub fn hints(&self) -> Vec<Action> {
        use Action as A;
        if self.filling {
            vec![
                A::Confirm,
                A::Save,
                A::Back,
                A::Newline,
                A::Templates,
                A::Help,
            ]
        } else {
            vec![A::Confirm, A::Down, A::Up, A::Back, A::Help]
        }
    }

    /// Starts filling the chosen move's fields.
    pub fn choose(&mut self) {
        if self.chosen().is_some() {
            self.filling = true;
            self.outcome = 0;
            self.field = self.first_field();
            self.refocus();
        }
    }

    pub fn on_key(&mut self, k: &KeyEvent, keymap: &Keymap) -> Reply<Move> {
        let action = keymap.action(self.context(), k);
        if !self.filling {
            let last = self.options.len().saturating_sub(1);
            match action {
                Some(Action::Back | Action::Quit) => return Reply::Close,
                Some(Action::Down) => self.cursor = (self.cursor + 1).min(last),
                Some(Action::Up) => self.cursor = self.cursor.saturating_sub(1),
                Some(Action::Top | Action::PageUp) => self.cursor = 0,
                Some(Action::Bottom | Action::PageDown) => self.cursor = last,
                Some(Action::Confirm) => self.choose(),
                _ => return Reply::Unbound,
            }
            return Reply::Stay;
        }
        self.error = None;
        let first = self.first_field();
        match action {
            Some(Action::Back) => self.filling = false,
            Some(Action::Save) => return self.submit(),
            Some(Action::Confirm) if self.field == ANSWER => return self.submit(),
            Some(Action::Confirm | Action::NextField) => {
                self.field = if self.field >= ANSWER {
                    first
                } else {
                    self.field + 1
                }
            }
            Some(Action::PrevField) => {
                self.field = if self.field <= first {
                    ANSWER
                } else {
                    self.field - 1
                }
            }
            Some(Action::Left) if self.field == OUTCOME => self.step_outcome(-1),
            Some(Action::Right) if self.field == OUTCOME => self.step_outcome(1),
            Some(Action::Newline) if self.field == OUTCOME => self.field = NOTE,
            Some(Action::Newline) => self.text_mut().insert_newline(),
            Some(Action::Templates) => self.asked_templates = Some(false),
            _ => {
                self.type_in(*k);
                if self.field != OUTCOME && input::took_colons(self.text_mut(), k) {
                    self.asked_templates = Some(true);
                }
            }
        }
        self.refocus();
        Reply::Stay
    }

    fn submit(&self) -> Reply<Move> {
        match self.chosen() {
            Some(opt) => Reply::Done(Move {
                to: opt.to.clone(),
                fields: self.fields(),
            }),
            None => Reply::Close,
        }
    }

    fn step_outcome(&mut self, delta: i64) {
        let n = self.chosen().map(|o| o.outcomes.len()).unwrap_or(1).max(1) as i64;
        self.outcome = (self.outcome as i64 + delta).rem_euclid(n) as usize;
    }

    fn text_mut(&mut self) -> &mut TextArea<'static> {
        if self.field == ANSWER {
            &mut self.answer
        } else {
            &mut self.note
        }
    }

    /// A key left to the fields: typed into the focused box. Typed on the outcome's row (a
    /// letter, a digit), it starts the note.
    fn type_in(&mut self, k: KeyEvent) {
        let typed = matches!(k.code, KeyCode::Char(_))
            && !k
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if self.field == OUTCOME {
            if !typed {
                return;
            }
            self.field = NOTE;
        }
        input::feed(self.text_mut(), k, true);
    }

    pub fn on_paste(&mut self, s: &str) {
        if !self.filling {
            return;
        }
        if self.field == OUTCOME {
            self.field = NOTE;
            self.refocus();
        }
        input::paste(self.text_mut(), s, true);
    }
}

pub fn draw(f: &mut Frame<'_>, area: Rect, s: &StatusFlow, ctx: &Ctx<'_>) {
    let height = if s.filling {
        20
    } else {
        (s.options.len() as u16 + 6).max(8)
    };
    let rect = centered(area, 72, height);
    f.render_widget(Clear, rect);
    let what = match s.targets.as_slice() {
        [one] => one.number.clone(),
        many => ctx.cat.f("ui.n_tickets", &[("n", many.len().to_string())]),
    };
    let block = ctx.dialog(&format!("{} — {what}", ctx.cat.t("ui.change_status")));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    if s.filling {
        draw_fields(f, inner, s, ctx);
    } else {
        draw_choice(f, inner, s, ctx);
    }
}

/// The moves offered, each with what it asks for.
fn draw_choice(f: &mut Frame<'_>, area: Rect, s: &StatusFlow, ctx: &Ctx<'_>) {
    let t = ctx.theme;
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
                format!("{} ", crate::ui::theme::CURSOR)
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
    lines.push(ctx.hint_line(Context::Status, &s.hints(), area.width));
    f.render_widget(Paragraph::new(lines), area);
}

fn outcome_line<'a>(s: &StatusFlow, opt: &MoveOption, ctx: &Ctx<'_>) -> Line<'a> {
    let t = ctx.theme;
    if opt.outcomes.is_empty() {
        return Line::from(Span::styled(
            ctx.cat.t("ui.no_outcome_needed").to_string(),
            t.dim(),
        ));
    }
    let mut spans = vec![Span::styled(
        format!("{}: ", ctx.cat.t("field.outcome")),
        t.dim(),
    )];
    for (i, o) in opt.outcomes.iter().enumerate() {
        let chosen = i == s.outcome;
        let style = if chosen && s.field == OUTCOME {
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
    Line::from(spans)
}

fn boxed(
    f: &mut Frame<'_>,
    ta: &TextArea<'static>,
    label: String,
    focused: bool,
    area: Rect,
    ctx: &Ctx<'_>,
) {
    let mut ta = ta.clone();
    ta.set_block(ctx.field(&label, focused));
    f.render_widget(&ta, area);
}

/// The chosen move's fields: the outcome, its note, the answer to the requester.
fn draw_fields(f: &mut Frame<'_>, area: Rect, s: &StatusFlow, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let Some(opt) = s.chosen() else { return };
    let [head, outcome, note, answer, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(
        Paragraph::new(Span::styled(
            format!("→ {}", crate::present::status(ctx.cfg, ctx.cat, &opt.to)),
            t.title(),
        )),
        head,
    );
    f.render_widget(Paragraph::new(outcome_line(s, opt, ctx)), outcome);
    let star = |required: bool| if required { " *" } else { "" };
    let (kind, required) = s.note_kind().unwrap_or((OutcomeNote::Reason, false));
    let label = format!("{}{}", ctx.cat.t(kind.label_key()), star(required));
    boxed(f, &s.note, label, s.field == NOTE, note, ctx);
    let offered = ctx
        .cfg
        .case
        .answers
        .iter()
        .filter(|a| {
            s.targets
                .iter()
                .all(|t| a.offered(s.outcome_chosen(), &t.category))
        })
        .count();
    let label = format!(
        "{}{}{}",
        ctx.cat.t("ui.answer_to_requester"),
        star(s.answer_required()),
        if offered > 0 {
            format!(
                " · {}",
                ctx.cat
                    .f("ui.templates_offer", &[("n", offered.to_string())])
            )
        } else {
            String::new()
        }
    );
    boxed(f, &s.answer, label, s.field == ANSWER, answer, ctx);
    let footer = match &s.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.error())),
        None => ctx.hint_line(Context::Fields, &s.hints(), foot.width),
    };
    f.render_widget(Paragraph::new(footer), foot);
}
