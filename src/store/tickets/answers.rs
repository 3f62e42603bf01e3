//! Answers from templates filled in for a ticket: the facts its placeholders stand for, read
//! from the ticket, its clocks and the agent writing. Nothing is written here: the text goes
//! to the person, who may change it, and is saved as their reply or decision.

use super::*;
use crate::core::answers::{self, Answer, Facts};
use crate::core::config::Config;
use crate::core::model::Outcome;
use crate::core::sla::ClockKind;
use crate::error::{Error, Result};

/// An answer filled in for one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filled {
    pub name: String,
    /// The language of the text.
    pub lang: String,
    pub text: String,
    /// The outcome's note it brings, if any.
    pub note: Option<String>,
    pub outcome: Option<Outcome>,
}

/// The answer called `name`, or a refusal naming those that exist.
pub fn named<'a>(cfg: &'a Config, name: &str) -> Result<&'a Answer> {
    answers::find(&cfg.case.answers, name).ok_or_else(|| {
        let names: Vec<&str> = cfg.case.answers.iter().map(|a| a.name.as_str()).collect();
        let which = if names.is_empty() {
            crate::msg!("answer.none_declared")
        } else {
            crate::msg!("answer.there_are", names = names.join(", "))
        };
        Error::NotFound(crate::msg!(
            "answer.no_such",
            name = crate::core::sanitize::clean_line(name.trim()).into_owned(),
            which = which
        ))
    })
}

fn day(at: i64) -> String {
    crate::time::date(at).format("%Y-%m-%d").to_string()
}

impl Store {
    /// What the placeholders of an answer stand for on ticket `t`, written by `agent`.
    pub fn answer_facts(&self, cfg: &Config, t: &Ticket, agent: &str, now: i64) -> Result<Facts> {
        let sla = self.sla_of(cfg, t, now)?;
        let deadline = sla
            .clock(ClockKind::Resolution)
            .and_then(|c| c.due)
            .map(day)
            .unwrap_or_default();
        let agent_name = self
            .agent(agent)?
            .map(|a| a.name)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| agent.to_string());
        let category = cfg
            .categories
            .iter()
            .find(|c| c.code == t.category)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| t.category.clone());
        Ok(Facts {
            number: t.number.clone(),
            subject: t.subject.clone(),
            requester: t.requester.clone(),
            registered: day(t.created_at),
            today: day(now),
            deadline,
            agent: agent_name,
            category,
            desk: cfg.desk_name.clone(),
        })
    }

    /// Fills the answer called `name` in for ticket `t`, in `lang` (else `fallback`, else the
    /// first language it is written in).
    pub fn fill_answer(
        &self,
        cfg: &Config,
        t: &Ticket,
        name: &str,
        (lang, fallback): (&str, &str),
        agent: &str,
        now: i64,
    ) -> Result<Filled> {
        let a = named(cfg, name)?;
        let facts = self.answer_facts(cfg, t, agent, now)?;
        Ok(fill(a, &facts, lang, fallback))
    }
}

/// One answer filled in with `facts`.
pub fn fill(a: &Answer, facts: &Facts, lang: &str, fallback: &str) -> Filled {
    let (lang, text) = a.text(lang, fallback);
    Filled {
        name: a.name.clone(),
        lang: lang.to_string(),
        text: answers::fill(text, facts),
        note: a.note(lang).map(|n| answers::fill(n, facts)),
        outcome: a.outcome,
    }
}
