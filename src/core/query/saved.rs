//! Saved queues (`[[queue]]` in desk.toml): a name, a query of the language, an order. A
//! query may leave values open as parameters — `assignee:{agent} is:open` is every agent's
//! own queue, the agent chosen when it is opened (`desk list --queue NAME --param
//! agent=olena`, or asked for in the desk). Each value fills its place as one value, so a
//! value can never change the query's shape.

use super::lang::{self, Param, Vocabulary};
use super::{QueueKind, SortKey};
use crate::core::config::{Checker, ConfigError, RawLabel};
use crate::core::message::Message;
use crate::core::sanitize::clean_line;
use crate::msg;
use serde::Deserialize;
use toml::Spanned;

/// A saved queue, checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedQueue {
    /// Its name in the reader's language (`Config::use_language`).
    pub name: String,
    /// Every name desk.toml gives it, in every language (`name = { en = "…", ru = "…" }`):
    /// `desk list --queue` and `:queue` take any of them, whatever the reader's language.
    pub other_names: Vec<String>,
    /// The query as written, placeholders and all.
    pub query: String,
    pub params: Vec<Param>,
    pub sort: SortKey,
    pub reverse: bool,
}

impl SavedQueue {
    /// Every name it answers to, its name in the reader's language first.
    pub fn all_names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.other_names.iter().map(String::as_str))
    }

    /// Whether `name` is one of its names (case does not matter, in any alphabet).
    pub fn is_named(&self, name: &str) -> bool {
        let name = name.trim().to_lowercase();
        self.all_names().any(|n| n.to_lowercase() == name)
    }

    /// The names of its parameters, each once, in the order they first appear.
    pub fn param_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for p in &self.params {
            if !names.contains(&p.name.as_str()) {
                names.push(&p.name);
            }
        }
        names
    }

    /// The query with its parameters filled: every parameter needs a value, and every value
    /// a parameter.
    pub fn text_with(&self, values: &[(String, String)]) -> Result<String, Message> {
        let names = self.param_names();
        if let Some((n, _)) = values.iter().find(|(n, _)| !names.contains(&n.as_str())) {
            return Err(msg!(
                "query.param_unknown",
                queue = &self.name,
                param = n,
                params = if names.is_empty() {
                    "—".to_string()
                } else {
                    names.join(", ")
                }
            ));
        }
        if let Some(missing) = names.iter().find(|n| !values.iter().any(|(v, _)| v == *n)) {
            return Err(msg!(
                "query.param_missing",
                queue = &self.name,
                param = *missing
            ));
        }
        Ok(lang::instantiate(&self.query, &self.params, values))
    }
}

/// `[[queue]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawQueue {
    /// One name, or one per language like the other labels.
    name: Spanned<RawLabel>,
    query: String,
    #[serde(default)]
    sort: Option<String>,
    #[serde(default)]
    reverse: bool,
}

impl RawQueue {
    pub(crate) fn name(&self) -> &Spanned<RawLabel> {
        &self.name
    }
}

/// The longest name of a saved queue (it is a tab's title and a word of `:queue`).
const NAME_CHARS: usize = 40;

/// Reads and checks `[[queue]]`: names unique and not a built-in queue's, queries of the
/// language (with the statuses, categories and groups desk.toml declares: agents, and
/// groups added later, are the database's, checked when the queue is opened), orders known.
pub(crate) fn read(
    c: &Checker<'_>,
    raw: &[Spanned<RawQueue>],
    vocab: &Vocabulary,
) -> Result<Vec<SavedQueue>, ConfigError> {
    let mut out: Vec<SavedQueue> = Vec::new();
    for spanned in raw {
        let q = spanned.get_ref();
        let at = |m: Message| c.at(spanned, m);
        // Each of its names (in every language it is given in) is checked.
        let names: Vec<String> = q
            .name
            .get_ref()
            .texts()
            .into_iter()
            .map(|n| clean_line(n.trim()).into_owned())
            .collect();
        for name in &names {
            if name.is_empty() || name.chars().count() > NAME_CHARS {
                return Err(at(msg!("saved.name", name = name, max = NAME_CHARS)));
            }
            if QueueKind::from_id(name).is_some() {
                return Err(at(msg!("saved.builtin", name = name)));
            }
            if out.iter().any(|x| x.is_named(name)) {
                return Err(at(msg!("saved.twice", name = name)));
            }
        }
        let name = names.first().cloned().unwrap_or_default();
        let params = lang::parse_template(&q.query, vocab)
            .map_err(|e| at(msg!("saved.query", name = &name, error = e.message())))?;
        let sort = match q.sort.as_deref() {
            None => SortKey::Priority,
            Some(s) => SortKey::from_id(&s.to_ascii_lowercase()).ok_or_else(|| {
                at(msg!(
                    "saved.sort",
                    name = &name,
                    sort = s,
                    known = SortKey::ALL.map(|k| k.id()).join(", ")
                ))
            })?,
        };
        out.push(SavedQueue {
            name,
            other_names: names,
            query: q.query.clone(),
            params,
            sort,
            reverse: q.reverse,
        });
    }
    Ok(out)
}

/// The saved queue of this name (case does not matter).
pub fn find<'a>(queues: &'a [SavedQueue], name: &str) -> Result<&'a SavedQueue, Message> {
    let name = name.trim();
    queues.iter().find(|q| q.is_named(name)).ok_or_else(|| {
        if queues.is_empty() {
            msg!("query.no_queues", queue = name)
        } else {
            msg!(
                "query.no_queue",
                queue = name,
                queues = queues
                    .iter()
                    .map(|q| q.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    })
}
