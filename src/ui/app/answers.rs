//! Answers from templates in the desk: `::` (or Ctrl-T) while writing a reply or a decision's
//! answer lists the answers offered for the tickets and the outcome chosen; the one chosen
//! goes into the box, filled in for the ticket, and stays editable. For several tickets at
//! once the box keeps the placeholders, and each ticket's answer is filled in as it is saved.

use super::{App, Level};
use crate::core::answers::{self, Answer};
use crate::core::model::Outcome;
use crate::core::sanitize::clean_line;
use crate::store::Ticket;
use crate::ui::overlays::Overlay;
use crate::ui::overlays::choose::{ChooseFor, ChooseState, Row};

impl App {
    /// The languages answers are written in here: the desk's, else the person's.
    fn answer_langs(&self) -> (&'static str, &'static str) {
        let lang = match self.session.cfg.language.as_deref() {
            Some("ru") => "ru",
            Some("uk") => "uk",
            Some(_) => "en",
            None => self.session.catalog.lang,
        };
        (lang, lang)
    }

    /// The tickets of the box on top (a reply or a change of status).
    fn answer_targets(&self) -> Vec<Ticket> {
        match self.overlays.last() {
            Some(Overlay::Prompt(p)) => p.targets.clone(),
            Some(Overlay::Status(s)) => s.targets.clone(),
            _ => Vec::new(),
        }
    }

    /// The answers offered for every one of `targets` with `outcome` (None: a reply): those
    /// made for the outcome first, as `core::answers::offered` orders them.
    pub(super) fn answers_offered(
        &self,
        targets: &[Ticket],
        outcome: Option<Outcome>,
    ) -> Vec<&Answer> {
        let mut v: Vec<&Answer> = self
            .session
            .cfg
            .case
            .answers
            .iter()
            .filter(|a| targets.iter().all(|t| a.offered(outcome, &t.category)))
            .collect();
        v.sort_by_key(|a| a.outcome.is_none());
        v
    }

    /// Opens the list of answers over the box on top. `typed`: asked for by typing `::`.
    pub(super) fn open_answers(&mut self, outcome: Option<Outcome>, typed: bool) {
        let cat = self.session.catalog;
        let targets = self.answer_targets();
        let (lang, fallback) = self.answer_langs();
        let rows: Vec<Row> = self
            .answers_offered(&targets, outcome)
            .iter()
            .map(|a| Row {
                text: match a.outcome {
                    Some(o) => format!("{}  ({})", a.name, cat.outcome(o)),
                    None => a.name.clone(),
                },
                detail: clean_line(a.text(lang, fallback).1.lines().next().unwrap_or(""))
                    .into_owned(),
            })
            .collect();
        if rows.is_empty() {
            if typed {
                self.put_colons_back();
            }
            return self.say(Level::Info, cat.t("ui.no_templates").to_string());
        }
        let names = self
            .answers_offered(&targets, outcome)
            .iter()
            .map(|a| a.name.clone())
            .collect();
        let c = ChooseState::new(
            ChooseFor::Answers { names, typed },
            cat.t("ui.templates_title").to_string(),
            rows,
            String::new(),
        );
        self.overlays.push(Overlay::Choose(Box::new(c)));
    }

    /// No answer chosen: the `::` typed goes back into the box.
    pub(super) fn put_colons_back(&mut self) {
        match self.overlays.last_mut() {
            Some(Overlay::Prompt(p)) => crate::ui::input::put_colons(&mut p.input),
            Some(Overlay::Status(s)) => s.put_colons(),
            _ => {}
        }
    }

    /// The answer `name` chosen: into the box below, filled in for its ticket (for several,
    /// with its placeholders, filled in for each when saved).
    pub(super) fn put_chosen_answer(&mut self, name: &str) {
        let Some(a) = answers::find(&self.session.cfg.case.answers, name).cloned() else {
            return;
        };
        let targets = self.answer_targets();
        let (lang, fallback) = self.answer_langs();
        let login = self
            .actor
            .as_ref()
            .map(|a| a.agent.login.clone())
            .unwrap_or_default();
        let (text, note, templated) = match targets.as_slice() {
            [one] => {
                let s = &self.session;
                match s.store.answer_facts(&s.cfg, one, &login, self.now) {
                    Ok(facts) => {
                        let f = crate::store::tickets::answers::fill(&a, &facts, lang, fallback);
                        (f.text, f.note, false)
                    }
                    Err(e) => return self.fail(&e),
                }
            }
            _ => {
                let (l, text) = a.text(lang, fallback);
                (text.to_string(), a.note(l).map(str::to_string), true)
            }
        };
        match self.overlays.last_mut() {
            Some(Overlay::Prompt(p)) => {
                crate::ui::input::put_answer(&mut p.input, &text, p.multiline);
                p.templated |= templated;
            }
            Some(Overlay::Status(s)) => {
                s.put_answer(&text, a.outcome, note.as_deref());
                s.templated |= templated;
            }
            _ => {}
        }
    }
}

/// A decision's or a reply's text for one of several tickets: a template's placeholders
/// filled in for it.
pub(super) fn fill_for(
    store: &crate::store::Store,
    cfg: &crate::core::config::Config,
    login: &str,
    t: &Ticket,
    text: &str,
    now: i64,
) -> crate::error::Result<String> {
    let facts = store.answer_facts(cfg, t, login, now)?;
    Ok(answers::fill(text, &facts))
}
