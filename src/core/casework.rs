//! The case-work sections of desk.toml, read and checked: answers from templates
//! (`[[answer]]`), the timers (`[timers]`) and escalations (`[[escalation]]`). Kept apart
//! from `config` so that the file that reads the whole configuration only hands these
//! sections over.

use super::answers::{self, Answer};
use super::config::{Checker, ConfigError};
use super::lifecycle::{Lifecycle, Trigger};
use super::message::Message;
use super::model::{Outcome, Priority, StatusCategory};
use super::sanitize::{clean_line, clean_text};
use super::sla::ClockKind;
use super::timers::{Actions, Escalation, Level, TimersConfig, WaitTimers};
use crate::msg;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// What case work needs from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CaseConfig {
    /// Answers from templates, in the file's order.
    pub answers: Vec<Answer>,
    /// What `desk tick` does.
    pub timers: TimersConfig,
}

/// The case-work sections as written.
pub(super) struct RawCase<'a> {
    pub answers: &'a [Spanned<RawAnswer>],
    pub timers: Option<&'a Spanned<RawTimers>>,
    pub escalations: &'a [Spanned<RawEscalation>],
}

/// `[timers]` as written (also each `[timers.category.CODE]`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWait {
    #[serde(default)]
    remind_after: Option<String>,
    #[serde(default)]
    close_after: Option<String>,
    #[serde(default)]
    close_outcome: Option<String>,
    #[serde(default)]
    close_answer: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTimers {
    #[serde(flatten)]
    waiting: RawWait,
    #[serde(default)]
    category: BTreeMap<String, Spanned<RawWait>>,
}

/// `[[escalation]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEscalation {
    when: String,
    #[serde(default)]
    clocks: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    priorities: Vec<String>,
    #[serde(default)]
    notify: bool,
    #[serde(default)]
    raise: bool,
    #[serde(default)]
    unassign: bool,
}

/// `[[answer]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAnswer {
    name: String,
    #[serde(default)]
    outcome: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
    /// The answer in each language: `en`, `ru`, `uk`.
    #[serde(default)]
    text: BTreeMap<String, String>,
    /// The outcome's note (reason, next steps or question) in each language.
    #[serde(default)]
    note: BTreeMap<String, String>,
}

/// Reads and checks the case-work sections. `categories` are the codes the file declares.
pub(super) fn read(
    c: &Checker<'_>,
    raw: &RawCase<'_>,
    categories: &[String],
    lifecycle: &Lifecycle,
) -> Result<CaseConfig, ConfigError> {
    let answers = read_answers(c, raw.answers, categories)?;
    let mut timers = match raw.timers {
        Some(t) => read_timers(c, t, categories, lifecycle, &answers)?,
        None => TimersConfig::default(),
    };
    for e in raw.escalations {
        timers.escalations.push(read_escalation(c, e, categories)?);
    }
    Ok(CaseConfig { answers, timers })
}

fn unknown_category(code: &str, categories: &[String]) -> Message {
    msg!(
        "error.unknown_category",
        code = code,
        known = categories.join(", ")
    )
}

fn read_answers(
    c: &Checker<'_>,
    raw_answers: &[Spanned<RawAnswer>],
    categories: &[String],
) -> Result<Vec<Answer>, ConfigError> {
    let mut out: Vec<Answer> = Vec::new();
    for spanned in raw_answers {
        let a = spanned.get_ref();
        let at = |m: Message| c.at(spanned, m);
        // What the file says is quoted in messages of one line, cleaned like any label.
        let name = clean_line(a.name.trim()).into_owned();
        if !answers::valid_name(&name) {
            return Err(at(msg!("answer.name", name = &name)));
        }
        if out.iter().any(|x| x.name.eq_ignore_ascii_case(&name)) {
            return Err(at(msg!("answer.twice", name = &name)));
        }
        let outcome = match &a.outcome {
            Some(o) => Some(
                o.parse::<Outcome>()
                    .map_err(|e| at(msg!("answer.of", name = &name, error = e)))?,
            ),
            None => None,
        };
        let mut cats = Vec::new();
        for code in &a.categories {
            let code = clean_line(code.trim()).to_ascii_uppercase();
            if !categories.contains(&code) {
                let e = unknown_category(&code, categories);
                return Err(at(msg!("answer.of", name = &name, error = e)));
            }
            cats.push(code);
        }
        if a.text.is_empty() {
            return Err(at(msg!("answer.no_text", name = &name)));
        }
        let texts = |what: &str, m: &BTreeMap<String, String>| {
            let mut v = Vec::new();
            if let Some(other) = m.keys().find(|l| !answers::LANGUAGES.contains(&l.as_str())) {
                let e = msg!(
                    "answer.language",
                    lang = clean_line(other).into_owned(),
                    choices = answers::LANGUAGES.join(", ")
                );
                return Err(at(msg!(
                    "answer.of",
                    name = format!("{name} {what}"),
                    error = e
                )));
            }
            for lang in answers::LANGUAGES {
                if let Some(t) = m.get(lang) {
                    let t = clean_text(t.trim()).into_owned();
                    answers::check(&t).map_err(|e| {
                        at(msg!(
                            "answer.of",
                            name = format!("{name} {what}.{lang}"),
                            error = e
                        ))
                    })?;
                    v.push((lang.to_string(), t));
                }
            }
            Ok(v)
        };
        let texts_v = texts("text", &a.text)?;
        let notes = texts("note", &a.note)?;
        if !notes.is_empty() && outcome.is_none() {
            return Err(at(msg!("answer.note_without_outcome", name = &name)));
        }
        out.push(Answer {
            name,
            outcome,
            categories: cats,
            texts: texts_v,
            notes,
        });
    }
    Ok(out)
}

/// One `[timers]` table (the whole section, or a category's).
fn read_wait(
    at: &dyn Fn(Message) -> ConfigError,
    w: &RawWait,
    answers: &[Answer],
) -> Result<WaitTimers, ConfigError> {
    let duration = |v: &Option<String>| -> Result<Option<i64>, ConfigError> {
        v.as_deref()
            .map(|d| super::sla::parse_duration(d, None).map_err(at))
            .transpose()
    };
    let close_outcome = match &w.close_outcome {
        Some(o) => {
            let o = o.parse::<Outcome>().map_err(at)?;
            if !super::lifecycle::is_final(o) {
                return Err(at(msg!("timers.outcome_final")));
            }
            Some(o)
        }
        None => None,
    };
    let close_answer = match &w.close_answer {
        Some(name) => Some(
            answers::find(answers, name)
                .ok_or_else(|| {
                    at(msg!(
                        "timers.no_answer",
                        name = clean_line(name).into_owned()
                    ))
                })?
                .name
                .clone(),
        ),
        None => None,
    };
    Ok(WaitTimers {
        remind_after: duration(&w.remind_after)?,
        close_after: duration(&w.close_after)?,
        close_outcome,
        close_answer,
    })
}

/// Whether a waiting ticket can be closed as `w` says: a timer transition from every waiting
/// status to a done status taking the outcome, whose note an answer brings.
fn check_closing(
    at: &dyn Fn(Message) -> ConfigError,
    w: &WaitTimers,
    lifecycle: &Lifecycle,
    answers: &[Answer],
) -> Result<(), ConfigError> {
    if let (Some(r), Some(cl)) = (w.remind_after, w.close_after)
        && r >= cl
    {
        return Err(at(msg!("timers.remind_first")));
    }
    if w.close_after.is_none() {
        return Ok(());
    }
    let Some(outcome) = w.close_outcome else {
        return Err(at(msg!("timers.no_outcome")));
    };
    for waiting in lifecycle.ids_in(StatusCategory::Waiting) {
        let takes = lifecycle
            .transitions()
            .iter()
            .filter(|t| t.on == Trigger::Timer && t.from.iter().any(|f| f == waiting))
            .filter_map(|t| lifecycle.status(&t.to))
            .any(|s| s.outcomes.contains(&outcome));
        if !takes {
            return Err(at(msg!(
                "timers.no_transition",
                status = waiting,
                outcome = outcome.as_str()
            )));
        }
    }
    if outcome.required_note().is_some() {
        let note = w
            .close_answer
            .as_deref()
            .and_then(|n| answers::find(answers, n))
            .is_some_and(|a| !a.notes.is_empty());
        if !note {
            return Err(at(msg!("timers.no_note", outcome = outcome.as_str())));
        }
    }
    Ok(())
}

fn read_timers(
    c: &Checker<'_>,
    spanned: &Spanned<RawTimers>,
    categories: &[String],
    lifecycle: &Lifecycle,
    answers: &[Answer],
) -> Result<TimersConfig, ConfigError> {
    let raw = spanned.get_ref();
    let at = |m: Message| {
        c.at(
            spanned,
            msg!("config.in_section", section = "[timers]", error = m),
        )
    };
    let waiting = read_wait(&at, &raw.waiting, answers)?;
    check_closing(&at, &waiting, lifecycle, answers)?;
    let mut by_category = BTreeMap::new();
    for (code, w) in &raw.category {
        let code = clean_line(code.trim()).to_ascii_uppercase();
        let section = format!("[timers.category.{code}]");
        let at = |m: Message| c.at(w, msg!("config.in_section", section = &section, error = m));
        if !categories.contains(&code) {
            return Err(at(unknown_category(&code, categories)));
        }
        let own = read_wait(&at, w.get_ref(), answers)?;
        check_closing(&at, &waiting.overlay(&own), lifecycle, answers)?;
        by_category.insert(code, own);
    }
    Ok(TimersConfig {
        waiting,
        by_category,
        escalations: Vec::new(),
    })
}

fn read_escalation(
    c: &Checker<'_>,
    spanned: &Spanned<RawEscalation>,
    categories: &[String],
) -> Result<Escalation, ConfigError> {
    let e = spanned.get_ref();
    let at = |m: Message| {
        c.at(
            spanned,
            msg!("config.in_section", section = "[[escalation]]", error = m),
        )
    };
    let when = Level::parse(e.when.trim()).ok_or_else(|| {
        at(msg!(
            "timers.when",
            value = clean_line(&e.when).into_owned()
        ))
    })?;
    let mut clocks = Vec::new();
    for k in &e.clocks {
        let clock = match k.trim() {
            "first_response" => ClockKind::FirstResponse,
            "resolution" => ClockKind::Resolution,
            "keep_in_touch" => ClockKind::KeepInTouch,
            other => {
                return Err(at(msg!(
                    "timers.clock",
                    value = clean_line(other).into_owned()
                )));
            }
        };
        clocks.push(clock);
    }
    let mut cats = Vec::new();
    for code in &e.categories {
        let code = clean_line(code.trim()).to_ascii_uppercase();
        if !categories.contains(&code) {
            return Err(at(unknown_category(&code, categories)));
        }
        cats.push(code);
    }
    let mut priorities = Vec::new();
    for p in &e.priorities {
        priorities.push(p.parse::<Priority>().map_err(&at)?);
    }
    let actions = Actions {
        notify: e.notify,
        raise: e.raise,
        unassign: e.unassign,
    };
    if !actions.any() {
        return Err(at(msg!("timers.no_action")));
    }
    Ok(Escalation {
        when,
        clocks,
        categories: cats,
        priorities,
        actions,
    })
}
