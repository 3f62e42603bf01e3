//! Answers from templates on the command line: `desk template list|show`, and `--template`
//! on `desk reply` and `desk move`, which fill the template in for the ticket.

use super::*;
use crate::cli::{MoveArgs, TemplateArgs, TemplateCommand};
use crate::core::answers;
use crate::core::lifecycle::Fields;
use crate::core::message::id;
use crate::core::sanitize::clean_line;
use crate::store::tickets::answers::{Filled, named};
use serde_json::json;

/// The language asked for, else the desk's; the desk's is also the fallback.
fn langs<'a>(s: &'a Session, asked: Option<&'a str>) -> (&'a str, &'a str) {
    let desk = s.cfg.language.as_deref().unwrap_or(s.catalog.lang);
    (asked.unwrap_or(desk), desk)
}

/// The template named in `args`, filled in for ticket `number` as `who` writes it.
fn filled(
    s: &Session,
    who: &Actor,
    number: &str,
    args: &TemplateArgs,
    now: i64,
) -> Result<Option<Filled>> {
    let Some(name) = &args.template else {
        return Ok(None);
    };
    let t = s.store.find(&s.cfg, number, local_date(now))?;
    let langs = langs(s, args.language.as_deref());
    let f = s
        .store
        .fill_answer(&s.cfg, &t, name, langs, &who.agent.login, now)?;
    Ok(Some(f))
}

/// `desk move`'s fields: as given, with a template's answer, outcome and note where the
/// command line leaves them out.
pub(super) fn move_fields(s: &Session, who: &Actor, a: &MoveArgs, now: i64) -> Result<Fields> {
    let note = a
        .reason
        .clone()
        .or(a.next_steps.clone())
        .or(a.question.clone());
    let Some(f) = filled(s, who, &a.number(), &a.template, now)? else {
        return Ok(Fields {
            outcome: a.outcome,
            reason: note,
            answer: a.answer.clone(),
        });
    };
    if let (Some(mine), Some(asked)) = (f.outcome, a.outcome)
        && mine != asked
    {
        return Err(Error::Invalid(crate::msg!(
            "answer.outcome_mismatch",
            name = &f.name,
            outcome = id("outcome", mine.as_str()),
            asked = id("outcome", asked.as_str())
        )));
    }
    Ok(Fields {
        outcome: a.outcome.or(f.outcome),
        reason: note.or(f.note),
        answer: Some(f.text),
    })
}

/// `desk reply`: the text typed, or a template's filled in for the ticket.
pub(super) fn reply(
    s: &mut Session,
    cli: &Cli,
    number: &str,
    text: Option<&str>,
    args: &TemplateArgs,
    now: i64,
) -> Result<()> {
    let who = actor(s, cli)?;
    let text = match (filled(s, &who, number, args, now)?, text) {
        (Some(_), Some(_)) => {
            return Err(Error::Invalid(crate::msg!("answer.text_and_template")));
        }
        (Some(f), None) => {
            if let Some(o) = f.outcome {
                return Err(Error::Invalid(crate::msg!(
                    "answer.reply_with_outcome",
                    name = &f.name,
                    outcome = id("outcome", o.as_str())
                )));
            }
            f.text
        }
        (None, Some(t)) => t.to_string(),
        (None, None) => {
            return Err(Error::Invalid(crate::msg!("answer.reply_needs_text")));
        }
    };
    let n = s.store.reply(&s.cfg, &who, number, &text, now)?;
    done(
        s,
        cli,
        &n,
        s.catalog.f("msg.replied", &[("number", n.clone())]),
    )
}

pub(super) fn template(s: &mut Session, cli: &Cli, cmd: &TemplateCommand, now: i64) -> Result<()> {
    if cli.as_login.is_some() {
        actor(s, cli)?;
    }
    match cmd {
        TemplateCommand::List { outcome, category } => {
            template_list(s, cli, *outcome, category.as_deref())
        }
        TemplateCommand::Show {
            name,
            number,
            language,
        } => template_show(s, cli, name, number.as_deref(), language.as_deref(), now),
    }
}

/// `desk template list`: the answers for an outcome or a category, each with how it starts.
fn template_list(
    s: &Session,
    cli: &Cli,
    outcome: Option<crate::core::model::Outcome>,
    category: Option<&str>,
) -> Result<()> {
    let category = category.map(|c| c.trim().to_ascii_uppercase());
    if let Some(c) = &category
        && !s.cfg.categories.iter().any(|x| &x.code == c)
    {
        let known: Vec<&str> = s.cfg.categories.iter().map(|x| x.code.as_str()).collect();
        return Err(Error::Invalid(crate::msg!(
            "error.unknown_category",
            code = clean_line(c).into_owned(),
            known = known.join(", ")
        )));
    }
    let shown: Vec<&answers::Answer> = s
        .cfg
        .case
        .answers
        .iter()
        .filter(|a| outcome.is_none_or(|o| a.outcome.is_none_or(|mine| mine == o)))
        .filter(|a| {
            category
                .as_deref()
                .is_none_or(|c| a.categories.is_empty() || a.categories.iter().any(|x| x == c))
        })
        .collect();
    if cli.json {
        let v: Vec<serde_json::Value> = shown.iter().map(|a| answer_json(a)).collect();
        print(&output::json_text(&serde_json::Value::Array(v)));
    } else if shown.is_empty() {
        print(s.catalog.t("msg.no_templates"));
    } else {
        let (lang, fallback) = langs(s, None);
        let w = shown.iter().map(|a| a.name.len()).max().unwrap_or(0);
        let lines: Vec<String> = shown
            .iter()
            .map(|a| {
                let first = a.text(lang, fallback).1.lines().next().unwrap_or("");
                format!(
                    "{:<w$}  {:<13}  {:<11}  {:<8}  {}",
                    a.name,
                    a.outcome.map(|o| o.as_str()).unwrap_or("-"),
                    if a.categories.is_empty() {
                        "-".to_string()
                    } else {
                        a.categories.join(",")
                    },
                    a.texts
                        .iter()
                        .map(|(l, _)| l.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                    clean_line(output::fit(first, 60).trim_end())
                )
            })
            .collect();
        print(&lines.join("\n"));
    }
    Ok(())
}

/// `desk template show`: one answer's text, filled in for a ticket when one is named.
fn template_show(
    s: &mut Session,
    cli: &Cli,
    name: &str,
    number: Option<&str>,
    language: Option<&str>,
    now: i64,
) -> Result<()> {
    let langs = langs(s, language);
    let f = match number {
        Some(n) => {
            let t = s.store.find(&s.cfg, n, local_date(now))?;
            let who = s
                .store
                .signed_in()
                .map(|a| a.login.clone())
                .unwrap_or_default();
            s.store.fill_answer(&s.cfg, &t, name, langs, &who, now)?
        }
        None => {
            let a = named(&s.cfg, name)?;
            let (lang, text) = a.text(langs.0, langs.1);
            Filled {
                name: a.name.clone(),
                lang: lang.to_string(),
                text: text.to_string(),
                note: a.note(lang).map(str::to_string),
                outcome: a.outcome,
            }
        }
    };
    if cli.json {
        print(&output::json_text(&json!({
            "name": f.name,
            "language": f.lang,
            "outcome": f.outcome.map(|o| o.as_str()),
            "note": f.note,
            "text": f.text,
        })));
    } else {
        print(&crate::core::sanitize::clean_text(&f.text));
    }
    Ok(())
}

fn answer_json(a: &answers::Answer) -> serde_json::Value {
    let map = |v: &[(String, String)]| {
        serde_json::Value::Object(
            v.iter()
                .map(|(l, t)| (l.clone(), serde_json::Value::String(t.clone())))
                .collect(),
        )
    };
    json!({
        "name": a.name,
        "outcome": a.outcome.map(|o| o.as_str()),
        "categories": a.categories,
        "text": map(&a.texts),
        "note": map(&a.notes),
    })
}
