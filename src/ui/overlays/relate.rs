//! Relating the highlighted ticket to another one by its number: merging it into the ticket
//! it repeats (`M`, with a reason), or linking it (`L`: related, its parent, its part) and
//! unlinking it. The other ticket is looked up as the number is typed (the desk fills
//! `found`), so what will happen is on screen before Enter.

use super::{Reply, choice};
use crate::core::keys::{Action, Context};
use crate::core::merge::LinkKind;
use crate::core::sanitize::clean_line;
use crate::store::Ticket;
use crate::ui::ctx::Ctx;
use crate::ui::input;
use crate::ui::keymap::Keymap;
use crate::ui::layout::centered;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};
use ratatui_textarea::TextArea;

/// What relating does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// Close this ticket as a duplicate of the other.
    Merge,
    /// Link, or unlink, the two.
    Link,
}

/// A link's choice: what the other ticket is to this one, or no link.
pub const LINK_CHOICES: [&str; 4] = ["related", "parent", "child", "unlink"];

/// What to do, as the desk applies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relate {
    Merge {
        into: String,
        reason: String,
    },
    /// `parent` first (related: either way).
    Link {
        parent: String,
        child: String,
        kind: LinkKind,
    },
    Unlink {
        other: String,
    },
}

#[derive(Debug, Clone)]
pub struct RelateForm {
    pub relation: Relation,
    /// The ticket it was opened for, as it was then.
    pub ticket: Ticket,
    pub number: TextArea<'static>,
    /// Merge: the reason.
    pub reason: TextArea<'static>,
    /// Link: index into `LINK_CHOICES`.
    pub kind: usize,
    /// 0: the number, 1: the reason or the kind.
    pub focus: usize,
    /// The other ticket as typed so far, looked up by the desk: its line, or why none.
    pub found: Option<Result<String, String>>,
    pub error: Option<String>,
}

impl RelateForm {
    pub const CONTEXT: Context = Context::Relate;

    pub fn new(relation: Relation, ticket: Ticket, ctx: &Ctx<'_>) -> RelateForm {
        let mut f = RelateForm {
            relation,
            ticket,
            number: input::field(ctx.cat.t("ui.other_number"), false),
            reason: input::field(ctx.cat.t("field.reason"), false),
            kind: 0,
            focus: 0,
            found: None,
            error: None,
        };
        f.refocus();
        f
    }

    fn refocus(&mut self) {
        input::set_focus(&mut self.number, self.focus == 0);
        input::set_focus(&mut self.reason, self.focus == 1);
    }

    /// The number typed, trimmed.
    pub fn other(&self) -> String {
        input::text(&self.number).trim().to_string()
    }

    fn done(&mut self, ctx: &Ctx<'_>) -> Reply<Relate> {
        let other = self.other();
        if other.is_empty() {
            self.error = Some(ctx.cat.t("ui.other_needed").to_string());
            self.focus = 0;
            self.refocus();
            return Reply::Stay;
        }
        let this = self.ticket.number.clone();
        Reply::Done(match (self.relation, LINK_CHOICES[self.kind]) {
            (Relation::Merge, _) => Relate::Merge {
                into: other,
                reason: input::text(&self.reason).trim().to_string(),
            },
            (Relation::Link, "unlink") => Relate::Unlink { other },
            (Relation::Link, "parent") => Relate::Link {
                parent: other,
                child: this,
                kind: LinkKind::Parent,
            },
            (Relation::Link, "child") => Relate::Link {
                parent: this,
                child: other,
                kind: LinkKind::Parent,
            },
            (Relation::Link, _) => Relate::Link {
                parent: this,
                child: other,
                kind: LinkKind::Related,
            },
        })
    }

    pub fn on_key(&mut self, k: &KeyEvent, keymap: &Keymap, ctx: &Ctx<'_>) -> Reply<Relate> {
        self.error = None;
        let on_kind = self.relation == Relation::Link && self.focus == 1;
        match keymap.action(Self::CONTEXT, k) {
            Some(Action::Back) => return Reply::Close,
            Some(Action::Save) => return self.done(ctx),
            Some(Action::Confirm) if self.focus == 1 => return self.done(ctx),
            Some(Action::Confirm | Action::NextField | Action::PrevField) => {
                self.focus = 1 - self.focus;
            }
            Some(Action::Newline) => self.error = Some(ctx.cat.t("ui.one_line").to_string()),
            Some(a @ (Action::Left | Action::Right)) if on_kind => {
                let delta = if a == Action::Left { -1 } else { 1 };
                self.kind = choice::cycle(self.kind, delta, LINK_CHOICES.len());
            }
            _ if on_kind => match k.code {
                KeyCode::Char(c)
                    if !k
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                {
                    match choice::type_ahead(&kind_labels(ctx), self.kind, c, ctx, Self::CONTEXT) {
                        Ok(i) => self.kind = i,
                        Err(e) => self.error = Some(e),
                    }
                }
                _ => return Reply::Unbound,
            },
            _ if self.focus == 0 => {
                input::feed(&mut self.number, *k, false);
            }
            _ => {
                input::feed(&mut self.reason, *k, false);
            }
        }
        self.refocus();
        Reply::Stay
    }

    pub fn on_paste(&mut self, s: &str) {
        match self.focus {
            0 => input::paste(&mut self.number, s, false),
            _ if self.relation == Relation::Merge => input::paste(&mut self.reason, s, false),
            _ => {}
        }
    }
}

fn kind_labels(ctx: &Ctx<'_>) -> Vec<String> {
    LINK_CHOICES
        .iter()
        .map(|k| match *k {
            "unlink" => ctx.cat.t("ui.unlink").to_string(),
            role => ctx.cat.t(&format!("link.{role}")).to_string(),
        })
        .collect()
}

pub fn draw(f: &mut Frame<'_>, area: Rect, form: &RelateForm, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let rect = centered(area, 72, 12);
    f.render_widget(Clear, rect);
    let title = ctx.cat.f(
        match form.relation {
            Relation::Merge => "ui.merge_title",
            Relation::Link => "ui.link_title",
        },
        &[("number", form.ticket.number.clone())],
    );
    let block = ctx.dialog(&title);
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let [about, number, found, second, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(1),
    ])
    .areas(inner);
    let explain = match form.relation {
        Relation::Merge => ctx.cat.f(
            "ui.merge_explain",
            &[("number", form.ticket.number.clone())],
        ),
        Relation::Link => clean_line(&form.ticket.subject).into_owned(),
    };
    f.render_widget(
        Paragraph::new(Span::styled(explain, t.dim())).wrap(Wrap { trim: false }),
        about,
    );
    choice::boxed(
        f,
        &form.number,
        ctx.cat.t("ui.other_number"),
        form.focus == 0,
        number,
        ctx,
    );
    let found_line = match &form.found {
        Some(Ok(line)) => Line::from(Span::styled(format!("→ {line}"), t.ok())),
        Some(Err(why)) => Line::from(Span::styled(why.clone(), t.warn())),
        None => Line::from(""),
    };
    f.render_widget(Paragraph::new(found_line), found);
    match form.relation {
        Relation::Merge => choice::boxed(
            f,
            &form.reason,
            ctx.cat.t("field.reason"),
            form.focus == 1,
            second,
            ctx,
        ),
        Relation::Link => {
            let [row, _] =
                Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(second);
            let label = ctx.cat.t("ui.link_kind");
            let value = kind_labels(ctx)[form.kind].clone();
            let width = unicode_width::UnicodeWidthStr::width(label) + 1;
            f.render_widget(choice::line(label, width, value, form.focus == 1, ctx), row);
        }
    }
    let hint = match &form.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.error())),
        None => ctx.hint_line(
            RelateForm::CONTEXT,
            &[Action::Confirm, Action::Save, Action::Back, Action::Help],
            foot.width,
        ),
    };
    f.render_widget(Paragraph::new(hint), foot);
}
