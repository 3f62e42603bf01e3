//! Correcting a ticket (`e`): its subject, requester and contact as text, its category,
//! priority and group as choices, and whether a new category routes it again. The form opens
//! with what the ticket says and lists what will change (before → after) as it is edited;
//! core decides on save whether this person may make each change (a refusal stays in the form
//! with everything typed).

use super::{Reply, choice};
use crate::core::edit::{Change, Edit, EditField};
use crate::core::keys::{Action, Context};
use crate::core::model::Priority;
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

pub const SUBJECT: usize = 0;
pub const REQUESTER: usize = 1;
pub const CONTACT: usize = 2;
pub const CATEGORY: usize = 3;
pub const PRIORITY: usize = 4;
pub const GROUP: usize = 5;
pub const REROUTE: usize = 6;
const FIELDS: usize = 7;

#[derive(Debug, Clone)]
pub struct EditForm {
    /// The ticket as it was when the form opened (its version guards the save).
    pub ticket: Ticket,
    pub texts: [TextArea<'static>; 3],
    /// Index into the configuration's categories.
    pub category: usize,
    /// Index into `Priority::ALL`.
    pub priority: usize,
    /// Index into `groups`; the first is "no group" when the ticket has none.
    pub group: usize,
    pub groups: Vec<String>,
    pub reroute: bool,
    pub focus: usize,
    pub error: Option<String>,
}

impl EditForm {
    pub const CONTEXT: Context = Context::Edit;

    /// The form for `t`, holding what it says now; `groups` are the desk's group codes.
    pub fn new(t: Ticket, groups: Vec<String>, ctx: &Ctx<'_>) -> EditForm {
        let text = |key: &str, value: &str| input::with_text(ctx.cat.t(key), value, false);
        let mut groups = groups;
        if let Some(g) = &t.group
            && !groups.contains(g)
        {
            groups.push(g.clone());
        }
        if t.group.is_none() {
            groups.insert(0, String::new());
        }
        let mut f = EditForm {
            texts: [
                text("field.subject", &t.subject),
                text("field.requester", &t.requester),
                text("field.contact", &t.contact),
            ],
            category: ctx
                .cfg
                .categories
                .iter()
                .position(|c| c.code == t.category)
                .unwrap_or(0),
            priority: Priority::ALL
                .iter()
                .position(|p| *p == t.priority)
                .unwrap_or(1),
            group: groups
                .iter()
                .position(|g| Some(g) == t.group.as_ref())
                .unwrap_or(0),
            groups,
            reroute: false,
            focus: SUBJECT,
            error: None,
            ticket: t,
        };
        f.refocus();
        f
    }

    fn refocus(&mut self) {
        for (i, t) in self.texts.iter_mut().enumerate() {
            input::set_focus(t, i == self.focus);
        }
    }

    fn category_code(&self, ctx: &Ctx<'_>) -> String {
        ctx.cfg
            .categories
            .get(self.category)
            .map(|c| c.code.clone())
            .unwrap_or_else(|| self.ticket.category.clone())
    }

    /// The edit as it stands: every field that differs from the ticket (the group only when
    /// routing does not choose it).
    pub fn edit(&self, ctx: &Ctx<'_>) -> Edit {
        let t = &self.ticket;
        let differs = |new: String, old: &str| (new.trim() != old).then(|| new.trim().to_string());
        let category = differs(self.category_code(ctx), &t.category);
        let group = self.groups.get(self.group).cloned().unwrap_or_default();
        Edit {
            subject: differs(input::text(&self.texts[SUBJECT]), &t.subject),
            requester: differs(input::text(&self.texts[REQUESTER]), &t.requester),
            contact: differs(input::text(&self.texts[CONTACT]), &t.contact),
            priority: Priority::ALL
                .get(self.priority)
                .copied()
                .filter(|p| *p != t.priority),
            group: (!self.reroute && !group.is_empty() && Some(&group) != t.group.as_ref())
                .then_some(group),
            reroute: self.reroute && category.is_some(),
            category,
        }
    }

    /// What will change, before → after, in the form's order.
    pub fn changes(&self, ctx: &Ctx<'_>) -> Vec<Change> {
        let e = self.edit(ctx);
        let t = &self.ticket;
        let mut out = Vec::new();
        let mut push = |field: EditField, from: &str, to: Option<String>| {
            if let Some(to) = to {
                out.push(Change {
                    field,
                    from: from.to_string(),
                    to,
                });
            }
        };
        push(EditField::Subject, &t.subject, e.subject);
        push(EditField::Category, &t.category, e.category);
        push(
            EditField::Priority,
            t.priority.as_str(),
            e.priority.map(|p| p.as_str().to_string()),
        );
        push(EditField::Group, t.group.as_deref().unwrap_or(""), e.group);
        push(EditField::Requester, &t.requester, e.requester);
        push(EditField::Contact, &t.contact, e.contact);
        out
    }

    fn choices(&self, ctx: &Ctx<'_>) -> Vec<String> {
        match self.focus {
            CATEGORY => ctx
                .cfg
                .categories
                .iter()
                .map(|c| format!("{} {}", c.code, c.name))
                .collect(),
            PRIORITY => Priority::ALL
                .iter()
                .map(|p| ctx.cat.priority(*p).to_string())
                .collect(),
            GROUP => self.groups.iter().map(|g| group_label(g, ctx)).collect(),
            REROUTE => vec![ctx.cat.t("ui.no").into(), ctx.cat.t("ui.yes").into()],
            _ => Vec::new(),
        }
    }

    fn choose(&mut self, value: usize) {
        match self.focus {
            CATEGORY => self.category = value,
            PRIORITY => self.priority = value,
            GROUP => self.group = value,
            REROUTE => self.reroute = value == 1,
            _ => {}
        }
    }

    fn chosen(&self) -> usize {
        match self.focus {
            CATEGORY => self.category,
            PRIORITY => self.priority,
            GROUP => self.group,
            REROUTE => usize::from(self.reroute),
            _ => 0,
        }
    }

    pub fn on_key(&mut self, k: &KeyEvent, keymap: &Keymap, ctx: &Ctx<'_>) -> Reply<Edit> {
        self.error = None;
        let text = self.focus < CATEGORY;
        match keymap.action(Self::CONTEXT, k) {
            Some(Action::Back) => return Reply::Close,
            Some(Action::Save) => return Reply::Done(self.edit(ctx)),
            Some(Action::Confirm) if self.focus == FIELDS - 1 => {
                return Reply::Done(self.edit(ctx));
            }
            Some(Action::Confirm | Action::NextField) => self.focus = (self.focus + 1) % FIELDS,
            Some(Action::PrevField) => self.focus = (self.focus + FIELDS - 1) % FIELDS,
            Some(Action::Newline) => self.error = Some(ctx.cat.t("ui.one_line").to_string()),
            Some(a @ (Action::Left | Action::Right)) if !text => {
                let n = self.choices(ctx).len();
                let delta = if a == Action::Left { -1 } else { 1 };
                self.choose(choice::cycle(self.chosen(), delta, n));
            }
            _ if text => {
                input::feed(&mut self.texts[self.focus], *k, false);
            }
            _ => match k.code {
                KeyCode::Char(c)
                    if !k
                        .modifiers
                        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
                {
                    let choices = self.choices(ctx);
                    match choice::type_ahead(&choices, self.chosen(), c, ctx, Self::CONTEXT) {
                        Ok(i) => self.choose(i),
                        Err(e) => self.error = Some(e),
                    }
                }
                _ => return Reply::Unbound,
            },
        }
        self.refocus();
        Reply::Stay
    }

    pub fn on_paste(&mut self, s: &str) {
        if self.focus < CATEGORY {
            input::paste(&mut self.texts[self.focus], s, false);
        }
    }
}

fn group_label(code: &str, ctx: &Ctx<'_>) -> String {
    if code.is_empty() {
        return "—".into();
    }
    match ctx.cfg.group(code) {
        Some(g) => format!("{code} {}", clean_line(&g.name)),
        None => code.to_string(),
    }
}

pub fn draw(f: &mut Frame<'_>, area: Rect, form: &EditForm, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let rect = centered(area, 76, 22);
    f.render_widget(Clear, rect);
    let title = ctx
        .cat
        .f("ui.edit_title", &[("number", form.ticket.number.clone())]);
    let block = ctx.dialog(&title);
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let rows = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .split(inner);
    let subject = format!("{} *", ctx.cat.t("field.subject"));
    choice::boxed(
        f,
        &form.texts[SUBJECT],
        &subject,
        form.focus == SUBJECT,
        rows[0],
        ctx,
    );
    let [req, con] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(rows[1]);
    for (i, key, area) in [
        (REQUESTER, "field.requester", req),
        (CONTACT, "field.contact", con),
    ] {
        choice::boxed(
            f,
            &form.texts[i],
            ctx.cat.t(key),
            form.focus == i,
            area,
            ctx,
        );
    }
    choice_lines(f, form, &rows[2..6], ctx);
    f.render_widget(
        Paragraph::new(preview(form, ctx)).wrap(Wrap { trim: false }),
        rows[6],
    );
    let foot = match &form.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.error())),
        None => ctx.hint_line(
            EditForm::CONTEXT,
            &[Action::Confirm, Action::Save, Action::Back, Action::Help],
            rows[7].width,
        ),
    };
    f.render_widget(Paragraph::new(foot), rows[7]);
}

/// The choices: category, priority, group (or "by routing") and whether to route again.
fn choice_lines(f: &mut Frame<'_>, form: &EditForm, rows: &[Rect], ctx: &Ctx<'_>) {
    let category = ctx
        .cfg
        .categories
        .get(form.category)
        .map(|c| format!("{} {}", c.code, clean_line(&c.name)))
        .unwrap_or_default();
    let priority = Priority::ALL
        .get(form.priority)
        .map(|p| ctx.cat.priority(*p).to_string())
        .unwrap_or_default();
    let group = if form.reroute {
        ctx.cat.t("ui.by_routing").to_string()
    } else {
        group_label(
            form.groups
                .get(form.group)
                .map(String::as_str)
                .unwrap_or(""),
            ctx,
        )
    };
    let reroute = ctx
        .cat
        .t(if form.reroute { "ui.yes" } else { "ui.no" })
        .to_string();
    let lines = [
        (CATEGORY, "field.category", category),
        (PRIORITY, "field.priority", priority),
        (GROUP, "field.group", group),
        (REROUTE, "ui.reroute", reroute),
    ];
    let width = lines
        .iter()
        .map(|(_, key, _)| unicode_width::UnicodeWidthStr::width(ctx.cat.t(key)) + 1)
        .max()
        .unwrap_or(13);
    for ((i, key, value), area) in lines.into_iter().zip(rows) {
        f.render_widget(
            choice::line(ctx.cat.t(key), width, value, form.focus == i, ctx),
            *area,
        );
    }
}

/// What saving will change, before → after (or that nothing changes yet).
fn preview<'a>(form: &EditForm, ctx: &Ctx<'a>) -> Vec<Line<'a>> {
    let t = ctx.theme;
    let changes = form.changes(ctx);
    let mut preview = vec![Line::from(Span::styled(
        ctx.cat.t("ui.edit_changes").to_string(),
        t.dim(),
    ))];
    if changes.is_empty() {
        preview.push(Line::from(Span::styled(
            ctx.cat.t("ui.edit_unchanged").to_string(),
            t.dim(),
        )));
    }
    for c in &changes {
        preview.push(Line::from(Span::styled(
            crate::present::change_text(ctx.cat, c),
            t.ok(),
        )));
    }
    preview
}
