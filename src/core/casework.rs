//! The case-work sections of desk.toml, read and checked: answers from templates
//! (`[[answer]]`). Kept apart from `config` so that the file that reads the whole
//! configuration only hands these sections over.

use super::answers::{self, Answer};
use super::config::{Checker, ConfigError};
use super::message::Message;
use super::model::Outcome;
use super::sanitize::{clean_line, clean_text};
use crate::msg;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// What case work needs from the configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseConfig {
    /// Answers from templates, in the file's order.
    pub answers: Vec<Answer>,
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
    raw_answers: &[Spanned<RawAnswer>],
    categories: &[String],
) -> Result<CaseConfig, ConfigError> {
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
                let e = msg!(
                    "error.unknown_category",
                    code = &code,
                    known = categories.join(", ")
                );
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
    Ok(CaseConfig { answers: out })
}
