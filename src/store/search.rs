//! The search index (schema V12: one FTS5 document per ticket, its own fields and the texts
//! of its history): the FTS5 expressions a query's text becomes, switching the index's
//! triggers off for a bulk load, and the texts a hit is shown with.

use super::Store;
use super::check::Violation;
use super::query::Start;
use super::tickets::Ticket;
use crate::core::config::Config;
use crate::core::model::Actor;
use crate::core::query::snippet::{self, Part, Snippet};
use crate::core::query::words::stem;
use crate::core::query::{Cond, Query, Text, TextField, Viewer};
use crate::core::rights::{self, Action};
use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, Transaction};

/// The triggers that keep the index in step, by name.
const TRIGGERS: [&str; 3] = [
    "search_ticket_insert",
    "search_ticket_update",
    "search_event",
];

/// Quotes a string for an FTS5 expression.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// One typed word as FTS5 finds it: the part its forms share, as the start of a word. A word
/// of one letter narrows nothing (None); a word with signs inside (`10:30`, `HSG-2611`) is the
/// phrase of its parts, the last one a start.
fn word(w: &str) -> Option<String> {
    let w = w.trim_matches(|c: char| !c.is_alphanumeric());
    if w.chars().count() < 2 {
        return None;
    }
    if w.chars().all(char::is_alphanumeric) {
        Some(format!("{}*", quoted(&stem(w))))
    } else {
        Some(format!("{}*", quoted(w)))
    }
}

/// The FTS5 expression for what a person typed: every word (None when none narrows).
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text.split_whitespace().filter_map(word).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The FTS5 expression for a text condition, None when it narrows nothing.
pub fn fts_match(t: &Text) -> Option<String> {
    let expr = if t.phrase {
        let words = t.text.split_whitespace().collect::<Vec<_>>().join(" ");
        (!words.is_empty()).then(|| quoted(&words))
    } else {
        fts_query(&t.text)
    }?;
    Some(match t.field {
        Some(f) => format!("{{{}}} : ({expr})", f.as_str()),
        None => expr,
    })
}

/// A condition made of text only (and, or, not over words and phrases) as one FTS5
/// expression, so the index alone answers it. None when it cannot be: a field that is not
/// text, a negation standing alone, words that narrow nothing.
pub fn fts_tree(c: &Cond) -> Option<String> {
    match c {
        Cond::Text(t) => fts_match(t),
        Cond::Or(cs) if !cs.is_empty() => {
            let parts = cs.iter().map(fts_tree).collect::<Option<Vec<_>>>()?;
            Some(format!("({})", parts.join(" OR ")))
        }
        Cond::And(cs) => {
            let (neg, pos): (Vec<&Cond>, Vec<&Cond>) =
                cs.iter().partition(|c| matches!(c, Cond::Not(_)));
            if pos.is_empty() {
                return None;
            }
            let mut expr = pos
                .iter()
                .map(|c| fts_tree(c))
                .collect::<Option<Vec<_>>>()?
                .join(" AND ");
            for n in neg {
                let Cond::Not(inner) = n else { continue };
                expr = format!("({expr}) NOT {}", fts_tree(inner)?);
            }
            Some(format!("({expr})"))
        }
        _ => None,
    }
}

/// FTS5's check of the index against its content: every word of every ticket where it
/// must be, and nothing else.
fn sound(c: &Connection) -> rusqlite::Result<bool> {
    match c.execute_batch("INSERT INTO search (search, rank) VALUES ('integrity-check', 1)") {
        Ok(()) => Ok(true),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `desk check`'s part: the index's triggers are in place, and it holds what the tickets
/// and their history say (FTS5 checks that by a write that changes nothing, so only where the
/// desk is writable for the one checking).
pub(super) fn check(c: &Connection, writable: bool) -> rusqlite::Result<Vec<Violation>> {
    let mut v = super::check::triggers_present(c, &TRIGGERS, "check.search_trigger")?;
    if writable && !sound(c)? {
        v.push(Violation::said(None, "check.search_index", vec![]));
    }
    Ok(v)
}

/// The index's triggers, set aside while a bulk load writes (see [`Suspended::resume`]).
pub(super) struct Suspended(Vec<String>);

/// Sets the index's triggers aside: a bulk load into an empty desk builds the index once at
/// the end instead of ticket by ticket.
pub(super) fn suspend(tx: &Transaction<'_>) -> Result<Suspended> {
    let mut kept = Vec::new();
    for name in TRIGGERS {
        let sql: Option<String> = tx
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(sql) = sql {
            tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
            kept.push(sql);
        }
    }
    Ok(Suspended(kept))
}

impl Suspended {
    /// Builds the index from everything written and puts its triggers back, word for word.
    pub(super) fn resume(self, tx: &Transaction<'_>) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        tx.execute_batch("INSERT INTO search (search) VALUES ('rebuild')")?;
        self.restore(tx)
    }

    /// Indexes the tickets numbered after row `after` — those a bulk load into a desk that
    /// already had tickets just wrote, history included — in one statement, and puts the
    /// triggers back word for word. (Through the triggers every ticket was a statement of its
    /// own, and FTS5 writes its pending words out as a new segment at every statement that
    /// could fail halfway, then merges those segments: most of an import's time.)
    pub(super) fn resume_after(self, tx: &Transaction<'_>, after: i64) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        tx.execute(
            "INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
             SELECT id, number, subject, requester, contact, body, note, reply, message
             FROM search_doc WHERE id > ?1",
            [after],
        )?;
        self.restore(tx)
    }

    fn restore(self, tx: &Transaction<'_>) -> Result<()> {
        for sql in &self.0 {
            tx.execute_batch(sql)?;
        }
        Ok(())
    }
}

/// What a hit is shown with: the ticket's searchable texts, part by part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Texts {
    pub subject: String,
    pub body: String,
    pub requester: String,
    pub contact: String,
    pub note: String,
    pub reply: String,
    pub message: String,
}

/// A ticket a search found, and the words around what matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub ticket: Ticket,
    pub snippet: Option<Snippet>,
}

impl Store {
    /// A page of a search — in the query's order, or the best matches first (`ranked`) —
    /// each ticket with the words around what matched, from the part of it that holds most
    /// of the query.
    pub fn search_page(
        &self,
        cfg: &Config,
        q: &Query,
        viewer: &Viewer,
        ranked: bool,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let tickets = if ranked {
            self.query_ranked(cfg, q, viewer, offset, limit)?
        } else {
            self.query_page(cfg, q, viewer, Start::Skip(offset), limit)?
                .into_iter()
                .map(|r| r.ticket)
                .collect()
        };
        let terms = snippet::terms(&q.cond);
        tickets
            .into_iter()
            .map(|ticket| {
                let snippet = if terms.is_empty() {
                    None
                } else {
                    let x = self.search_texts(ticket.id)?;
                    // The request and what was written later say most; a subject, name or
                    // number already shows on the ticket's line.
                    let parts = [
                        (TextField::Body, x.body.as_str()),
                        (TextField::Note, &x.note),
                        (TextField::Reply, &x.reply),
                        (TextField::Message, &x.message),
                        (TextField::Subject, &x.subject),
                        (TextField::Requester, &x.requester),
                        (TextField::Contact, &x.contact),
                        (TextField::Number, &ticket.number),
                    ]
                    .map(|(field, text)| Part { field, text });
                    snippet::best(&parts, &terms)
                };
                Ok(Hit { ticket, snippet })
            })
            .collect()
    }

    /// The searchable texts of a ticket, as the index holds them.
    pub fn search_texts(&self, ticket_id: i64) -> Result<Texts> {
        let run = || -> rusqlite::Result<Texts> {
            self.conn
                .prepare_cached(
                    "SELECT subject, body, requester, contact, note, reply, message
                     FROM search_doc WHERE id = ?1",
                )?
                .query_row([ticket_id], |r| {
                    Ok(Texts {
                        subject: r.get(0)?,
                        body: r.get(1)?,
                        requester: r.get(2)?,
                        contact: r.get(3)?,
                        note: r.get(4)?,
                        reply: r.get(5)?,
                        message: r.get(6)?,
                    })
                })
                .optional()
                .map(Option::unwrap_or_default)
        };
        run().map_err(|e| self.err(e))
    }

    /// Whether the index holds exactly what the tickets and their history say (FTS5's own
    /// check against its content); false names a damaged index, which `rebuild_search`
    /// mends.
    pub fn search_index_sound(&self) -> Result<bool> {
        sound(&self.conn).map_err(|e| self.err(e))
    }

    /// Builds the search index again from the tickets and their history, in one
    /// transaction (admins and the system service; after damage `desk check` found).
    /// Returns how many tickets it holds.
    pub fn rebuild_search(&mut self, actor: &Actor) -> Result<i64> {
        rights::check(actor, Action::RebuildSearch, None)?;
        self.write(|tx| {
            tx.execute_batch("INSERT INTO search (search) VALUES ('rebuild')")?;
            Ok(tx.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_starts_of_their_forms() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(
            fts_query("heating flat"),
            Some("\"heat\"* \"flat\"*".into())
        );
        assert_eq!(fts_query("a\"b"), Some("\"a\"\"b\"*".into()));
        assert_eq!(fts_query("(--)"), None);
        assert_eq!(
            fts_query("a heat"),
            Some("\"heat\"*".into()),
            "one letter narrows nothing"
        );
        assert_eq!(fts_query("HSG-2611"), Some("\"HSG-2611\"*".into()));
        assert_eq!(fts_query("Квартиры"), Some("\"квартир\"*".into()));
    }

    #[test]
    fn phrases_fields_and_trees() {
        let t = |field, text: &str, phrase| Text {
            field,
            text: text.into(),
            phrase,
        };
        assert_eq!(
            fts_match(&t(None, " no  heating ", true)),
            Some("\"no heating\"".into())
        );
        assert_eq!(
            fts_match(&t(Some(TextField::Requester), "olena k", false)),
            Some("{requester} : (\"olena\"*)".into())
        );
        assert_eq!(fts_match(&t(None, "  ", true)), None);
        let w = |s: &str| Cond::Text(t(None, s, false));
        assert_eq!(
            fts_tree(&Cond::And(vec![
                w("boiler"),
                Cond::Or(vec![w("leak"), w("flat")]),
                w("gas").not()
            ])),
            Some("((\"boiler\"* AND (\"leak\"* OR \"flat\"*)) NOT \"gas\"*)".into())
        );
        assert_eq!(fts_tree(&w("gas").not()), None, "a negation alone");
        assert_eq!(fts_tree(&Cond::And(vec![w("gas"), Cond::Open])), None);
        assert_eq!(fts_tree(&w("a")), None, "narrows nothing");
    }
}
