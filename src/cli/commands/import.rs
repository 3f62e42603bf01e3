//! Imports from JSON: requests, and a survey's ratings.

use super::*;
use crate::cli::Cli;
use crate::cli::output::{self, print};
use crate::cli::progress::Progress;
use crate::core::model::Channel;
use crate::error::{Error, Result};
use crate::error::{Message, term};
use crate::msg;
use crate::session::Session;
use crate::store::NewTicket;
use crate::store::tickets::Intake;
use serde_json::json;
use std::io::Read;
use std::path::Path;

/// One request of an import, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportItem {
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    requester: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default, rename = "ref")]
    external_ref: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

/// Reads requests from JSON: an array of objects, or one object per line. Every mistake names
/// the item (and line) it is in.
pub fn parse_import(text: &str) -> Result<Vec<NewTicket>> {
    let items: Vec<(usize, ImportItem)> = parse_items(text, "term.request")?;
    items
        .into_iter()
        .map(|(n, x)| {
            let bad = |m: Message| Error::Invalid(msg!("error.in_item", item = n, error = m));
            Ok(NewTicket {
                subject: x.subject,
                body: x.body,
                requester: x.requester,
                contact: x.contact,
                channel: match x.channel {
                    Some(c) => c.parse().map_err(bad)?,
                    None => Channel::Email,
                },
                category: x.category,
                group: x.group,
                priority: match x.priority {
                    Some(p) => Some(p.parse().map_err(bad)?),
                    None => None,
                },
                external_ref: x.external_ref,
                language: x.language,
            })
        })
        .collect()
}

/// One rating of a survey, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RatingItem {
    #[serde(default)]
    number: Option<String>,
    #[serde(default, rename = "ref")]
    external_ref: Option<String>,
    score: i64,
    #[serde(default)]
    comment: Option<String>,
}

/// Reads JSON items: an array, or one object per line; every mistake names its item or line.
pub(super) fn parse_items<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &'static str,
) -> Result<Vec<(usize, T)>> {
    let trimmed = text.trim_start();
    let items: Vec<(usize, T)> = if trimmed.starts_with('[') {
        let v: Vec<T> = serde_json::from_str(text).map_err(|e| {
            Error::Invalid(msg!(
                "cli.import.json",
                detail = crate::error::one_line(&e.to_string()),
                line = e.line(),
                column = e.column()
            ))
        })?;
        v.into_iter().enumerate().map(|(i, x)| (i + 1, x)).collect()
    } else {
        let mut v = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let item: T = serde_json::from_str(line).map_err(|e| {
                Error::Invalid(msg!(
                    "cli.import.line",
                    line = i + 1,
                    what = term(what),
                    detail = crate::error::one_line(&e.to_string())
                ))
            })?;
            v.push((i + 1, item));
        }
        v
    };
    if items.is_empty() {
        return Err(Error::Invalid(msg!("cli.import.empty", what = term(what))));
    }
    Ok(items)
}

/// A survey's ratings, each checked and tied to its ticket (by number, or by the reference the
/// request was imported with).
pub(super) fn rate_import(s: &mut Session, cli: &Cli, file: &str, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let text = read_input(file)?;
    let items: Vec<(usize, RatingItem)> = parse_items(&text, "term.rating")?;
    let mut ratings = Vec::with_capacity(items.len());
    for (n, x) in items {
        let bad = |e: Error| Error::Item {
            item: n,
            name: x
                .number
                .clone()
                .or_else(|| x.external_ref.clone())
                .unwrap_or_default(),
            inner: Box::new(e),
        };
        let number = match (&x.number, &x.external_ref) {
            (Some(num), None) => num.clone(),
            (None, Some(r)) => s
                .store
                .number_of_ref(r)?
                .ok_or_else(|| bad(Error::NotFound(msg!("cli.import.no_ref", reference = r))))?,
            _ => {
                return Err(bad(Error::Invalid(msg!("cli.import.number_or_ref"))));
            }
        };
        ratings.push(
            crate::store::tickets::Rating::new(&number, x.score, x.comment.as_deref())
                .map_err(bad)?,
        );
    }
    let done = s.store.rate_many(&s.cfg, &who, &ratings, now)?;
    let recorded = done.iter().filter(|d| d.is_some()).count();
    if cli.json {
        let v: Vec<_> = ratings
            .iter()
            .zip(&done)
            .map(|(r, d)| json!({"number": d.as_ref().map(|c| c.number.clone()).unwrap_or_else(|| r.number.clone()), "score": r.score, "recorded": d.is_some()}))
            .collect();
        print(&output::json_text(&serde_json::Value::Array(v)));
    } else {
        print(&s.catalog.f(
            "msg.ratings_imported",
            &[
                ("recorded", recorded.to_string()),
                ("already", (done.len() - recorded).to_string()),
            ],
        ));
    }
    Ok(())
}

/// The text of a file, or of standard input for `-`, as UTF-8.
pub(super) fn read_input(file: &str) -> Result<String> {
    let bytes = if file == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| Error::Invalid(msg!("cli.stdin", why = crate::error::io(&e))))?;
        b
    } else {
        crate::privilege::read_as_caller(Path::new(file)).map_err(|e| {
            Error::Invalid(msg!(
                "error.file.read",
                file = file,
                why = crate::error::io(&e)
            ))
        })?
    };
    String::from_utf8(bytes).map_err(|e| {
        Error::Invalid(msg!(
            "cli.import.utf8",
            offset = e.utf8_error().valid_up_to()
        ))
    })
}

pub(super) fn import(s: &mut Session, cli: &Cli, file: &str, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let text = read_input(file)?;
    let items = parse_import(&text)?;
    let bar = Progress::new(
        items.len(),
        &s.catalog.f("cli.progress.import", &[]),
        &s.catalog.f("cli.progress.left", &[]),
    );
    let results = s
        .store
        .import(&s.cfg, &who, &items, now, &|done| bar.set(done))?;
    drop(bar);
    if cli.json {
        let v: Vec<_> = results
            .iter()
            .zip(&items)
            .map(|(r, it)| match r {
                Intake::Created(c) => {
                    json!({"number": c.number, "ref": it.external_ref, "created": true})
                }
                Intake::Existing(n) => {
                    json!({"number": n, "ref": it.external_ref, "created": false})
                }
            })
            .collect();
        print(&output::json_text(&serde_json::Value::Array(v)));
    } else {
        let mut out = String::new();
        for r in &results {
            match r {
                Intake::Created(c) => out.push_str(&format!("{}\n", c.number)),
                Intake::Existing(n) => {
                    out.push_str(&s.catalog.say(&msg!("msg.already_registered", number = n)));
                    out.push('\n');
                }
            }
        }
        print(&out);
    }
    Ok(())
}
