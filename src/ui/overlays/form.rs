//! The new-ticket form: subject, request (several lines), requester, contact, channel,
//! category, priority, the language the requester is written to — with the routing preview
//! (category, group, priority) that core would apply. Enter goes to the next field and saves on the last; Ctrl-S saves from anywhere;
//! Alt-Enter (or Ctrl-J) starts a new line in the request. On a choice, ←/→ choose and a
//! typed letter jumps to the first choice starting with it: nothing typed is dropped.

use super::{Reply, choice};
use crate::core::config::LANGUAGES;
use crate::core::keys::{Action, Context};
use crate::core::model::{Channel, Priority};
use crate::core::sanitize::clean_line;
use crate::store::NewTicket;
use crate::ui::ctx::Ctx;
use crate::ui::input;
use crate::ui::keymap::Keymap;
use crate::ui::layout::centered;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui_textarea::TextArea;

pub const SUBJECT: usize = 0;
pub const BODY: usize = 1;
pub const REQUESTER: usize = 2;
pub const CONTACT: usize = 3;
pub const CHANNEL: usize = 4;
pub const CATEGORY: usize = 5;
pub const PRIORITY: usize = 6;
pub const LANGUAGE: usize = 7;
const FIELDS: usize = 8;
const CTRL_ALT: ratatui::crossterm::event::KeyModifiers =
    ratatui::crossterm::event::KeyModifiers::CONTROL
        .union(ratatui::crossterm::event::KeyModifiers::ALT);

#[derive(Debug, Clone)]
pub struct NewTicketForm {
    pub texts: [TextArea<'static>; 4],
    pub channel: usize,
    /// 0: routed by keywords; i: the (i-1)th category of the configuration.
    pub category: usize,
    /// 0: from routing/category; i: `Priority::ALL[i-1]`.
    pub priority: usize,
    /// The language the requester's notices are written in. 0: the desk's; i: `LANGUAGES[i-1]`.
    pub language: usize,
    pub focus: usize,
    pub error: Option<String>,
    /// Open tickets this request looks like, found when it was about to be saved: shown
    /// before saving, and saving again (unchanged) registers it anyway.
    pub duplicates: Vec<crate::store::tickets::Likely>,
    /// The subject and contact they were found for.
    pub duplicates_for: Option<(String, String)>,
}

impl NewTicketForm {
    pub const CONTEXT: Context = Context::Form;

    pub fn new(ctx: &Ctx<'_>) -> NewTicketForm {
        let mut f = NewTicketForm {
            texts: [
                input::field(ctx.cat.t("field.subject"), false),
                input::field(ctx.cat.t("field.body"), true),
                input::field(ctx.cat.t("field.requester"), false),
                input::field(ctx.cat.t("field.contact"), false),
            ],
            channel: 0,
            category: 0,
            priority: 0,
            language: 0,
            focus: SUBJECT,
            error: None,
            duplicates: Vec::new(),
            duplicates_for: None,
        };
        f.refocus();
        f
    }

    fn refocus(&mut self) {
        for (i, t) in self.texts.iter_mut().enumerate() {
            input::set_focus(t, i == self.focus);
        }
    }

    pub fn ticket(&self, ctx: &Ctx<'_>) -> NewTicket {
        NewTicket {
            subject: input::text(&self.texts[SUBJECT]),
            body: input::text(&self.texts[BODY]),
            requester: input::text(&self.texts[REQUESTER]),
            contact: input::text(&self.texts[CONTACT]),
            channel: Channel::ALL
                .get(self.channel)
                .copied()
                .unwrap_or(Channel::Phone),
            category: self
                .category
                .checked_sub(1)
                .and_then(|i| ctx.cfg.categories.get(i))
                .map(|c| c.code.clone()),
            group: None,
            priority: self
                .priority
                .checked_sub(1)
                .and_then(|i| Priority::ALL.get(i))
                .copied(),
            external_ref: None,
            language: self
                .language
                .checked_sub(1)
                .and_then(|i| LANGUAGES.get(i))
                .map(|l| l.to_string()),
        }
    }

    /// The labels of the field's choices, in order (empty for a text field).
    fn choices(&self, ctx: &Ctx<'_>) -> Vec<String> {
        let auto = ctx.cat.t("ui.auto").to_string();
        match self.focus {
            CHANNEL => Channel::ALL
                .iter()
                .map(|c| ctx.cat.id("channel", c.as_str()))
                .collect(),
            CATEGORY => std::iter::once(auto)
                .chain(
                    ctx.cfg
                        .categories
                        .iter()
                        .map(|c| format!("{} {}", c.code, c.name)),
                )
                .collect(),
            PRIORITY => std::iter::once(auto)
                .chain(
                    Priority::ALL
                        .iter()
                        .map(|p| ctx.cat.priority(*p).to_string()),
                )
                .collect(),
            LANGUAGE => std::iter::once(desks_language(ctx))
                .chain(LANGUAGES.iter().map(|l| ctx.cat.id("language", l)))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn choice(&mut self) -> Option<&mut usize> {
        match self.focus {
            CHANNEL => Some(&mut self.channel),
            CATEGORY => Some(&mut self.category),
            PRIORITY => Some(&mut self.priority),
            LANGUAGE => Some(&mut self.language),
            _ => None,
        }
    }

    fn cycle(&mut self, delta: i64, ctx: &Ctx<'_>) {
        let n = self.choices(ctx).len();
        if let Some(value) = self.choice() {
            *value = choice::cycle(*value, delta, n);
        }
    }

    /// A letter typed on a choice: the next choice starting with it, else a word on what to do.
    fn type_ahead(&mut self, c: char, ctx: &Ctx<'_>) {
        let choices = self.choices(ctx);
        let current = self.choice().map(|v| *v).unwrap_or(0);
        match choice::type_ahead(&choices, current, c, ctx, Self::CONTEXT) {
            Ok(i) => {
                if let Some(v) = self.choice() {
                    *v = i;
                }
            }
            Err(e) => self.error = Some(e),
        }
    }

    fn submit(&mut self, ctx: &Ctx<'_>) -> Reply<Box<NewTicket>> {
        if input::text(&self.texts[SUBJECT]).trim().is_empty() {
            self.error = Some(ctx.cat.t("ui.subject_required").to_string());
            self.focus = SUBJECT;
            self.refocus();
            return Reply::Stay;
        }
        Reply::Done(Box::new(self.ticket(ctx)))
    }

    pub fn on_key(
        &mut self,
        k: &KeyEvent,
        keymap: &Keymap,
        ctx: &Ctx<'_>,
    ) -> Reply<Box<NewTicket>> {
        self.error = None;
        let text = self.focus < CHANNEL;
        match keymap.action(Self::CONTEXT, k) {
            Some(Action::Back) => return Reply::Close,
            Some(Action::Save) => return self.submit(ctx),
            Some(Action::Confirm) if self.focus == FIELDS - 1 => return self.submit(ctx),
            Some(Action::Confirm | Action::NextField) => self.focus = (self.focus + 1) % FIELDS,
            Some(Action::PrevField) => self.focus = (self.focus + FIELDS - 1) % FIELDS,
            Some(Action::Newline) if self.focus == BODY => self.texts[BODY].insert_newline(),
            Some(Action::Newline) => self.error = Some(ctx.cat.t("ui.one_line").to_string()),
            Some(Action::Left) if !text => self.cycle(-1, ctx),
            Some(Action::Right) if !text => self.cycle(1, ctx),
            _ if text => {
                input::feed(&mut self.texts[self.focus], *k, self.focus == BODY);
            }
            _ => match k.code {
                KeyCode::Char(c) if !k.modifiers.intersects(CTRL_ALT) => self.type_ahead(c, ctx),
                _ => return Reply::Unbound,
            },
        }
        self.refocus();
        Reply::Stay
    }

    pub fn on_paste(&mut self, s: &str) {
        if self.focus < CHANNEL {
            input::paste(&mut self.texts[self.focus], s, self.focus == BODY);
        }
    }
}

fn boxed(
    f: &mut Frame<'_>,
    form: &NewTicketForm,
    i: usize,
    label: &str,
    area: Rect,
    ctx: &Ctx<'_>,
) {
    choice::boxed(f, &form.texts[i], label, form.focus == i, area, ctx);
}

/// The language choice's first entry: the one notices are written in when none is chosen.
fn desks_language(ctx: &Ctx<'_>) -> String {
    let lang = crate::store::requester::language(ctx.cfg, None);
    ctx.cat.f(
        "ui.language_default",
        &[("language", ctx.cat.id("language", lang))],
    )
}

fn choice_line<'a>(
    form: &NewTicketForm,
    i: usize,
    label: &str,
    value: String,
    ctx: &Ctx<'_>,
) -> Line<'a> {
    choice::line(label, 13, value, form.focus == i, ctx)
}

/// Where core would route the request as it stands: category, group, priority, and why.
fn routing_line<'a>(nt: &NewTicket, ctx: &Ctx<'_>) -> Line<'a> {
    let t = ctx.theme;
    let routing = ctx
        .cfg
        .router()
        .route(&nt.subject, &nt.body, nt.category.as_deref(), None);
    let priority = nt
        .priority
        .or(routing.priority)
        .or(ctx.cfg.category(&routing.category).and_then(|c| c.priority))
        .unwrap_or(ctx.cfg.default_priority);
    Line::from(vec![
        Span::styled(format!("{} ", ctx.cat.t("ui.routing")), t.dim()),
        Span::styled(
            format!(
                "{} / {} · {}{}",
                routing.category,
                routing.group.clone().unwrap_or_else(|| "—".into()),
                ctx.cat.priority(priority),
                routing
                    .keyword
                    .as_ref()
                    .map(|k| format!(" ({} «{}»)", ctx.cat.t("ui.keyword"), clean_line(k)))
                    .unwrap_or_default()
            ),
            t.ok(),
        ),
    ])
}

pub fn draw(f: &mut Frame<'_>, area: Rect, form: &NewTicketForm, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let rect = centered(area, 76, 22);
    f.render_widget(Clear, rect);
    let block = ctx.dialog(ctx.cat.t("ui.new_ticket"));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let dups = if form.duplicates.is_empty() {
        0
    } else {
        form.duplicates.len() as u16 + 1
    };
    let rows = Layout::vertical([
        Constraint::Length(3),
        Constraint::Fill(1),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(dups),
        Constraint::Length(1),
    ])
    .split(inner);
    let subject = format!("{} *", ctx.cat.t("field.subject"));
    boxed(f, form, SUBJECT, &subject, rows[0], ctx);
    boxed(f, form, BODY, ctx.cat.t("field.body"), rows[1], ctx);
    let [req, con] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(rows[2]);
    boxed(f, form, REQUESTER, ctx.cat.t("field.requester"), req, ctx);
    boxed(f, form, CONTACT, ctx.cat.t("field.contact"), con, ctx);
    let nt = form.ticket(ctx);
    let auto = ctx.cat.t("ui.auto").to_string();
    let category = match form
        .category
        .checked_sub(1)
        .and_then(|i| ctx.cfg.categories.get(i))
    {
        Some(c) => format!("{} {}", c.code, clean_line(&c.name)),
        None => auto.clone(),
    };
    let priority = nt
        .priority
        .map(|p| ctx.cat.priority(p).to_string())
        .unwrap_or(auto);
    let channel = ctx.cat.id("channel", nt.channel.as_str());
    let language = match &nt.language {
        Some(l) => ctx.cat.id("language", l),
        None => desks_language(ctx),
    };
    let lines = [
        choice_line(form, CHANNEL, ctx.cat.t("field.channel"), channel, ctx),
        choice_line(form, CATEGORY, ctx.cat.t("field.category"), category, ctx),
        choice_line(form, PRIORITY, ctx.cat.t("field.priority"), priority, ctx),
        choice_line(form, LANGUAGE, ctx.cat.t("field.language"), language, ctx),
        routing_line(&nt, ctx),
    ];
    for (line, area) in lines.into_iter().zip(&rows[3..8]) {
        f.render_widget(line, *area);
    }
    if !form.duplicates.is_empty() {
        f.render_widget(Paragraph::new(duplicate_lines(form, ctx)), rows[8]);
    }
    let foot = match &form.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.error())),
        None => ctx.hint_line(
            NewTicketForm::CONTEXT,
            &[Action::Confirm, Action::Save, Action::Back, Action::Newline],
            rows[9].width,
        ),
    };
    f.render_widget(Paragraph::new(foot), rows[9]);
}

/// The open tickets this request looks like, one line each, and why.
fn duplicate_lines<'a>(form: &NewTicketForm, ctx: &Ctx<'_>) -> Vec<Line<'a>> {
    let t = ctx.theme;
    let mut out = vec![Line::from(Span::styled(
        ctx.cat
            .f("msg.likely", &[("n", form.duplicates.len().to_string())]),
        t.warn(),
    ))];
    for l in &form.duplicates {
        let why = match &l.why {
            crate::core::merge::Likeness::Contact => ctx.cat.t("msg.likely_contact").to_string(),
            crate::core::merge::Likeness::Words(w) => {
                ctx.cat.f("msg.likely_words", &[("words", w.join(", "))])
            }
        };
        out.push(Line::from(vec![
            Span::styled(format!("{} ", l.number), t.key()),
            Span::raw(format!("{} ", clean_line(&l.subject))),
            Span::styled(format!("({why})"), t.dim()),
        ]));
    }
    out
}
