//! The new-ticket form: subject, request (multi-line), requester, contact, channel, category,
//! priority — with the routing preview (category, group, priority) that core would apply.

use super::Ctx;
use super::input;
use super::prompt::centered;
use crate::core::model::{Channel, Priority};
use crate::core::sanitize::clean_line;
use crate::store::NewTicket;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui_textarea::TextArea;

pub const SUBJECT: usize = 0;
pub const BODY: usize = 1;
pub const REQUESTER: usize = 2;
pub const CONTACT: usize = 3;
pub const CHANNEL: usize = 4;
pub const CATEGORY: usize = 5;
pub const PRIORITY: usize = 6;
const FIELDS: usize = 7;

#[derive(Debug, Clone)]
pub struct NewTicketForm {
    pub texts: [TextArea<'static>; 4],
    pub channel: usize,
    /// 0: routed by keywords; i: the (i-1)th category of the configuration.
    pub category: usize,
    /// 0: from routing/category; i: `Priority::ALL[i-1]`.
    pub priority: usize,
    pub focus: usize,
    pub error: Option<String>,
}

pub enum FormResult {
    Continue,
    Cancel,
    Submit(Box<NewTicket>),
}

impl NewTicketForm {
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
            focus: SUBJECT,
            error: None,
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
        }
    }

    fn cycle(&mut self, delta: i64, ctx: &Ctx<'_>) {
        let (value, n) = match self.focus {
            CHANNEL => (&mut self.channel, Channel::ALL.len()),
            CATEGORY => (&mut self.category, ctx.cfg.categories.len() + 1),
            PRIORITY => (&mut self.priority, Priority::ALL.len() + 1),
            _ => return,
        };
        *value = (*value as i64 + delta).rem_euclid(n as i64) as usize;
    }

    pub fn on_key(&mut self, k: KeyEvent, ctx: &Ctx<'_>) -> FormResult {
        if k.code == KeyCode::Esc {
            return FormResult::Cancel;
        }
        if input::is_submit(&k) {
            if input::text(&self.texts[SUBJECT]).trim().is_empty() {
                self.error = Some(ctx.cat.t("ui.subject_required").to_string());
                self.focus = SUBJECT;
                self.refocus();
                return FormResult::Continue;
            }
            return FormResult::Submit(Box::new(self.ticket(ctx)));
        }
        match k.code {
            KeyCode::Tab => self.focus = (self.focus + 1) % FIELDS,
            KeyCode::BackTab => self.focus = (self.focus + FIELDS - 1) % FIELDS,
            KeyCode::Enter if self.focus != BODY => self.focus = (self.focus + 1) % FIELDS,
            KeyCode::Left | KeyCode::Char('h') if self.focus >= CHANNEL => self.cycle(-1, ctx),
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') if self.focus >= CHANNEL => {
                self.cycle(1, ctx)
            }
            _ if self.focus < CHANNEL => {
                input::feed(&mut self.texts[self.focus], k, self.focus == BODY);
            }
            _ => {}
        }
        self.error = None;
        self.refocus();
        FormResult::Continue
    }

    pub fn on_paste(&mut self, s: &str) {
        if self.focus < CHANNEL {
            input::paste(&mut self.texts[self.focus], s, self.focus == BODY);
        }
    }
}

pub fn draw(f: &mut Frame<'_>, area: Rect, form: &NewTicketForm, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    let rect = centered(area, 76, 22);
    f.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.focus_border())
        .title(Span::styled(
            format!(" {} ", ctx.cat.t("ui.new_ticket")),
            t.title(),
        ));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let rows = Layout::vertical([
        Constraint::Length(3),
        Constraint::Fill(1),
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .split(inner);
    let boxed = |i: usize, label: &str, area: Rect, f: &mut Frame<'_>| {
        let mut ta = form.texts[i].clone();
        ta.set_block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(if form.focus == i {
                    t.focus_border()
                } else {
                    t.border()
                })
                .title(Span::styled(format!(" {label} "), t.dim())),
        );
        f.render_widget(&ta, area);
    };
    boxed(
        SUBJECT,
        &format!("{} *", ctx.cat.t("field.subject")),
        rows[0],
        f,
    );
    boxed(BODY, ctx.cat.t("field.body"), rows[1], f);
    let [req, con] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(rows[2]);
    boxed(REQUESTER, ctx.cat.t("field.requester"), req, f);
    boxed(CONTACT, ctx.cat.t("field.contact"), con, f);
    let choice = |i: usize, label: &str, value: String| -> Line<'static> {
        let focused = form.focus == i;
        Line::from(vec![
            Span::styled(format!("{:<14}", format!("{label}:")), t.dim()),
            Span::styled(
                format!("◀ {value} ▶"),
                if focused { t.selected() } else { t.base() },
            ),
        ])
    };
    let auto = ctx.cat.t("ui.auto").to_string();
    let nt = form.ticket(ctx);
    let routing = ctx
        .cfg
        .router()
        .route(&nt.subject, &nt.body, nt.category.as_deref(), None);
    let category_value = match form
        .category
        .checked_sub(1)
        .and_then(|i| ctx.cfg.categories.get(i))
    {
        Some(c) => format!("{} {}", c.code, c.name),
        None => auto.clone(),
    };
    f.render_widget(
        choice(
            CHANNEL,
            ctx.cat.t("field.channel"),
            ctx.cat.id("channel", nt.channel.as_str()),
        ),
        rows[3],
    );
    f.render_widget(
        choice(CATEGORY, ctx.cat.t("field.category"), category_value),
        rows[4],
    );
    let priority_value = match nt.priority {
        Some(p) => ctx.cat.priority(p).to_string(),
        None => auto,
    };
    f.render_widget(
        choice(PRIORITY, ctx.cat.t("field.priority"), priority_value),
        rows[5],
    );
    let effective_priority = nt
        .priority
        .or(routing.priority)
        .or(ctx.cfg.category(&routing.category).and_then(|c| c.priority))
        .unwrap_or(ctx.cfg.default_priority);
    let preview = match &form.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.error())),
        None => Line::from(vec![
            Span::styled(format!("{} ", ctx.cat.t("ui.routing")), t.dim()),
            Span::styled(
                format!(
                    "{} / {} · {}{}",
                    routing.category,
                    routing.group.clone().unwrap_or_else(|| "—".into()),
                    ctx.cat.priority(effective_priority),
                    routing
                        .keyword
                        .as_ref()
                        .map(|k| format!(" ({} «{}»)", ctx.cat.t("ui.keyword"), clean_line(k)))
                        .unwrap_or_default()
                ),
                t.ok(),
            ),
            Span::styled(format!("   {}", ctx.cat.t("ui.form_keys")), t.dim()),
        ]),
    };
    f.render_widget(Paragraph::new(preview), rows[6]);
}
