//! The search index (schema V17: one FTS5 document per part of a ticket — its own fields,
//! each text of its history — so that a write indexes what it adds): the FTS5 expressions a
//! query's text becomes, switching the index's triggers off for a bulk load, and the texts a
//! hit is shown with.

use super::Store;
use super::check::Violation;
use super::query::Start;
use super::tickets::Ticket;
use crate::core::config::Config;
use crate::core::model::Actor;
use crate::core::query::snippet::{self, Best, Part, PartReader, Snippet, Term};
use crate::core::query::words::{fold_char, stem};
use crate::core::query::{Cond, Query, Text, TextField, Viewer};
use crate::core::rights::{self, Action};
use crate::error::Result;
use crate::store::db::{Connection, OptionalExtension, params, params_from_iter};
pub use crate::store::fts_terms::Terms;
use rusqlite::types::Value;
use std::collections::HashMap;

/// The triggers that keep the index in step, by name.
const TRIGGERS: [&str; 3] = [
    "search_ticket_insert",
    "search_ticket_update",
    "search_event",
];

/// Quotes a string for an FTS5 expression, folded as the desk folds letters (`fold_char`):
/// the index holds ł ø đ ħ ŀ ŧ folded (schema V26), and its tokenizer folds the rest of them
/// alike.
fn quoted(s: &str) -> String {
    let folded: String = s.chars().map(fold_char).collect();
    format!("\"{}\"", folded.replace('"', "\"\""))
}

/// One typed word as FTS5 finds it: the part its forms share, as the start of a word — or,
/// where `terms` names them, the words of the index it is the start of, any of them (the same
/// hits, read lazily: see `fts_terms`). A word of one letter narrows nothing (None); a word
/// with signs inside (`10:30`, `HSG-2611`) is the phrase of its parts, the last one a start.
fn word(w: &str, terms: &Terms) -> Option<String> {
    let w = w.trim_matches(|c: char| !c.is_alphanumeric());
    if w.chars().count() < 2 {
        return None;
    }
    if !w.chars().all(char::is_alphanumeric) {
        return Some(format!("{}*", quoted(w)));
    }
    let start = stem(w);
    Some(match terms.words(&start) {
        Some(words) if !words.is_empty() => {
            let any: Vec<String> = words.iter().map(|w| quoted(w)).collect();
            format!("({})", any.join(" OR "))
        }
        _ => format!("{}*", quoted(&start)),
    })
}

/// The FTS5 expression for what a person typed: every word (None when none narrows).
pub fn fts_query(text: &str, terms: &Terms) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .filter_map(|w| word(w, terms))
        .collect();
    (!words.is_empty()).then(|| words.join(" AND "))
}

/// The FTS5 expression for a text condition, None when it narrows nothing.
pub fn fts_match(t: &Text, terms: &Terms) -> Option<String> {
    let expr = if t.phrase {
        let words = t.text.split_whitespace().collect::<Vec<_>>().join(" ");
        (!words.is_empty()).then(|| quoted(&words))
    } else {
        fts_query(&t.text, terms)
    }?;
    Some(match t.field {
        Some(f) => format!("{{{}}} : ({expr})", f.as_str()),
        None => expr,
    })
}

/// A text condition as the conditions each of its words makes (a phrase: itself): words
/// typed together must each be somewhere in the ticket, not all in one part of it. Words that
/// narrow nothing are left out.
pub fn each_word(t: &Text) -> Vec<Text> {
    if t.phrase {
        return vec![t.clone()];
    }
    t.text
        .split_whitespace()
        .filter(|w| word(w, &Terms::none()).is_some())
        .map(|w| Text {
            field: t.field,
            text: w.to_string(),
            phrase: false,
        })
        .collect()
}

/// A part's row id as its ticket's: a ticket's parts are numbered from its id times 2³²
/// (schema V17).
pub fn ticket_of(rowid: &str) -> String {
    format!("({rowid} >> 32)")
}

/// How one dialect's index is asked: the expression of one word or phrase, and its OR.
struct Leaf<'a> {
    of: &'a dyn Fn(&Text) -> Option<String>,
    or: &'static str,
}

/// FTS5's, its starts read as `terms` names them.
fn fts5<'a>(terms: &'a Terms<'a>) -> impl Fn(&Text) -> Option<String> + 'a {
    move |t| fts_match(t, terms)
}

/// PostgreSQL's: a `tsquery` without its field (the field is a column to test, see
/// [`pg_ticket_ids`]), so only a condition of no field is one expression.
const TSQUERY: Leaf = Leaf {
    of: &pg_unfielded,
    or: " | ",
};

fn pg_unfielded(t: &Text) -> Option<String> {
    if t.field.is_some() {
        return None;
    }
    pg_tsquery(t)
}

/// A condition the index answers part by part as it is meant ticket by ticket — a word, a
/// phrase, or several of them joined by OR: a ticket matches when one of its parts does. As
/// one FTS5 expression, its starts read as `terms` names them; None for anything else (words
/// that must all be in the ticket may be in different parts of it).
pub fn part_exact(c: &Cond, terms: &Terms) -> Option<String> {
    part_exact_in(
        c,
        &Leaf {
            of: &fts5(terms),
            or: " OR ",
        },
    )
}

/// [`part_exact`] as a PostgreSQL `tsquery`, for [`pg_ticket_ids`] of no field.
pub fn part_exact_pg(c: &Cond) -> Option<String> {
    part_exact_in(c, &TSQUERY)
}

fn part_exact_in(c: &Cond, leaf: &Leaf) -> Option<String> {
    match c {
        Cond::Text(t) if each_word(t).len() == 1 => (leaf.of)(t),
        Cond::Or(cs) if !cs.is_empty() => {
            let parts = cs
                .iter()
                .map(|c| part_exact_in(c, leaf))
                .collect::<Option<Vec<_>>>()?;
            Some(format!("({})", parts.join(leaf.or)))
        }
        Cond::And(cs) if cs.len() == 1 => part_exact_in(&cs[0], leaf),
        _ => None,
    }
}

/// An FTS5 expression every ticket a condition matches has a part for (its words and
/// phrases, any of them; what is left out, never): the hits a ranking reads, its starts read
/// as FTS5 reads them (a start's weight is its own, not the sum of its words'). None when the
/// condition may match a ticket without any of its words.
pub fn some_part(c: &Cond) -> Option<String> {
    let plain = Terms::none();
    some_part_in(
        c,
        &Leaf {
            of: &fts5(&plain),
            or: " OR ",
        },
    )
}

/// [`some_part`] as a PostgreSQL `tsquery` (fields left out: any part).
pub fn some_part_pg(c: &Cond) -> Option<String> {
    let unfielded = Leaf {
        of: &pg_tsquery,
        or: TSQUERY.or,
    };
    some_part_in(c, &unfielded)
}

fn some_part_in(c: &Cond, leaf: &Leaf) -> Option<String> {
    let any = |parts: Vec<String>| match parts.len() {
        0 => None,
        1 => parts.into_iter().next(),
        _ => Some(format!("({})", parts.join(leaf.or))),
    };
    match c {
        Cond::Text(t) => any(each_word(t).iter().filter_map(leaf.of).collect()),
        Cond::Or(cs) if !cs.is_empty() => {
            let parts = cs
                .iter()
                .map(|c| some_part_in(c, leaf))
                .collect::<Option<Vec<_>>>()?;
            Some(format!("({})", parts.join(leaf.or)))
        }
        Cond::And(cs) => any(cs.iter().filter_map(|c| some_part_in(c, leaf)).collect()),
        _ => None,
    }
}

/// A `tsquery` lexeme of the desk's documents (pg_schema V20: their words as written).
fn lexeme(word: &str, prefix: bool) -> String {
    format!(
        "'{}'{}",
        word.replace('\\', "\\\\").replace('\'', "''"),
        if prefix { ":*" } else { "" }
    )
}

/// The words of a text as a PostgreSQL document holds them (pg_schema V19's `desk_fold`):
/// folded, cut at anything not a letter or a digit.
fn pg_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            w.chars()
                .map(crate::core::query::words::fold_char)
                .collect()
        })
        .collect()
}

/// A word or phrase as PostgreSQL's `tsquery` over the desk's documents, finding what FTS5
/// finds: a word, the words that start with its stem; a word with signs inside, its parts in
/// a row, the last one a start; a phrase, its words in a row. None when it narrows nothing.
pub fn pg_tsquery(t: &Text) -> Option<String> {
    let in_a_row = |words: Vec<String>, last_a_start: bool| -> Option<String> {
        let n = words.len();
        let parts: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| lexeme(w, last_a_start && i + 1 == n))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" <-> "))
    };
    if t.phrase {
        return in_a_row(pg_words(&t.text), false);
    }
    let words: Vec<String> = t
        .text
        .split_whitespace()
        .filter(|w| word(w, &Terms::none()).is_some())
        .filter_map(|w| {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            if w.chars().all(char::is_alphanumeric) {
                Some(lexeme(&stem(w), true))
            } else {
                in_a_row(pg_words(w), true).map(|p| format!("({p})"))
            }
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" & "))
}

/// A ticket's own fields as one PostgreSQL document (the expression `tickets_search` indexes).
const PG_TICKET_DOC: &str = "desk_tsv(x.number || ' ' || x.number_key || ' ' || x.subject || ' ' \
     || x.requester || ' ' || x.contact || ' ' || x.body)";

/// The history's texts PostgreSQL indexes (`events_search`'s condition, word for word).
const PG_EVENT_TEXTS: &str = "e.text IS NOT NULL AND e.text <> '' \
     AND e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply', 'message')";

/// The kinds of history each part of a ticket is written by (FTS5's note, reply, message).
fn history_kinds(field: TextField) -> Option<&'static str> {
    match field {
        TextField::Note => Some("'comment', 'status', 'outcome', 'assigned', 'group'"),
        TextField::Reply => Some("'reply'"),
        TextField::Message => Some("'message'"),
        _ => None,
    }
}

/// On PostgreSQL: the ids of the tickets whose `field` (None: any part) a `tsquery` given as
/// each `?` finds — read through the two GIN indexes, a field tested on their hits. Returns
/// the SQL and how many times it takes the query.
pub fn pg_ticket_ids(field: Option<TextField>) -> (String, usize) {
    let q = "(?::text)::tsquery";
    let tickets =
        |test: &str| format!("SELECT x.id FROM tickets x WHERE {PG_TICKET_DOC} @@ {q}{test}");
    let events = |kinds: &str| {
        format!(
            "SELECT e.ticket_id FROM events e WHERE {PG_EVENT_TEXTS}{kinds} AND desk_tsv(e.text) @@ {q}"
        )
    };
    match field {
        None => (format!("{} UNION ALL {}", tickets(""), events("")), 2),
        Some(f) => match history_kinds(f) {
            Some(kinds) => (events(&format!(" AND e.kind IN ({kinds})")), 1),
            None => {
                let col = match f {
                    TextField::Number => "x.number || ' ' || x.number_key",
                    TextField::Subject => "x.subject",
                    TextField::Requester => "x.requester",
                    TextField::Contact => "x.contact",
                    _ => "x.body",
                };
                (tickets(&format!(" AND desk_tsv({col}) @@ {q}")), 2)
            }
        },
    }
}

/// On PostgreSQL, how well a ticket `t` matches the `tsquery` `rq.q`: the parts that hold
/// it, weighed as FTS5's ranking weighs its columns (number 10, subject 5, requester and
/// contact 3, the request and the history 1). Higher is better.
pub fn pg_rank() -> String {
    let holds = |col: &str| format!("(desk_tsv({col}) @@ rq.q)::int");
    format!(
        "10 * {} + 5 * {} + 3 * {} + 3 * {} + {} + (EXISTS (SELECT 1 FROM events e \
         WHERE e.ticket_id = t.id AND {PG_EVENT_TEXTS} AND desk_tsv(e.text) @@ rq.q))::int",
        holds("t.number || ' ' || t.number_key"),
        holds("t.subject"),
        holds("t.requester"),
        holds("t.contact"),
        holds("t.body"),
    )
}

/// FTS5's check of the index against its content: every word of every ticket where it
/// must be, and nothing else.
fn sound(c: &Connection) -> rusqlite::Result<bool> {
    if c.is_postgres() {
        // Its GIN indexes are PostgreSQL's own, kept by the server with the rows.
        return Ok(true);
    }
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
    if c.is_postgres() {
        return pg_check(c);
    }
    let mut v = super::check::triggers_present(c, &TRIGGERS, "check.search_trigger")?;
    if writable && !sound(c)? {
        v.push(Violation::said(None, "check.search_index", vec![]));
    }
    Ok(v)
}

/// On PostgreSQL the search index is two GIN indexes the server keeps with the rows: `desk
/// check` makes sure they are there, over the documents of this schema.
fn pg_check(c: &Connection) -> rusqlite::Result<Vec<Violation>> {
    let mut v = Vec::new();
    for name in ["tickets_search", "events_search"] {
        let def: Option<String> = c
            .query_row(
                "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                 AND indexname = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if !def.is_some_and(|d| d.contains("desk_tsv(")) {
            v.push(Violation::said(
                None,
                "check.search_pg_index",
                vec![("index", name.to_string())],
            ));
        }
    }
    Ok(v)
}

/// FTS5's buffer of words before it writes a segment, by default and during a bulk load.
const FTS_DEFAULT_HASHSIZE: i64 = 1024 * 1024;
const BULK_HASHSIZE: i64 = 256 * 1024 * 1024;
/// How many segments of a level FTS5 merges as it writes, by default.
const FTS_DEFAULT_AUTOMERGE: i64 = 4;

/// An FTS5 setting of the search index as stored (None: not stored, its default).
fn fts_setting(tx: &Connection, key: &str) -> Result<Option<i64>> {
    Ok(tx
        .query_row("SELECT v FROM search_config WHERE k = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?)
}

/// Sets an FTS5 setting of the search index (in the caller's transaction).
fn set_fts(tx: &Connection, key: &str, value: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO search (search, rank) VALUES (?1, ?2)",
        crate::store::db::params![key, value],
    )?;
    Ok(())
}

/// The index's triggers, set aside while a bulk load writes (see [`Suspended::resume`]).
pub(super) struct Suspended(Vec<String>);

/// Sets the index's triggers aside: a bulk load into an empty desk builds the index once at
/// the end instead of ticket by ticket.
pub(super) fn suspend(tx: &Connection) -> Result<Suspended> {
    let mut kept = Vec::new();
    if tx.is_postgres() {
        // No triggers: PostgreSQL's GIN indexes take the rows as they come.
        return Ok(Suspended(kept));
    }
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
    pub(super) fn resume(self, tx: &Connection) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        tx.execute_batch("INSERT INTO search (search) VALUES ('rebuild')")?;
        self.restore(tx)
    }

    /// Indexes the tickets numbered after row `after` — those a bulk load into a desk that
    /// already had tickets just wrote, history included — in two statements, and puts the
    /// triggers back word for word. (Through the triggers every ticket was a statement of its
    /// own, and FTS5 writes its pending words out as a new segment at every statement that
    /// could fail halfway, then merges those segments: most of an import's time.)
    pub(super) fn resume_after(self, tx: &Connection, after: i64) -> Result<()> {
        if self.0.is_empty() {
            return Ok(());
        }
        // FTS5 keeps up to 1 MiB of words before it writes them out as a segment, and
        // merges segments as they pile up: for a bulk load, a large buffer (few segments,
        // each written once) and no merging while it writes; both put back as they were.
        let kept = [
            (
                "hashsize",
                fts_setting(tx, "hashsize")?,
                FTS_DEFAULT_HASHSIZE,
            ),
            (
                "automerge",
                fts_setting(tx, "automerge")?,
                FTS_DEFAULT_AUTOMERGE,
            ),
        ];
        set_fts(tx, "hashsize", BULK_HASHSIZE)?;
        set_fts(tx, "automerge", 0)?;
        // The parts of those tickets, as `search_doc` has them (folded by the rows' generated
        // columns: schema V26, V30), read through the tickets' and the history's own indexes
        // (the view's row ids are computed).
        tx.execute(
            "INSERT INTO search (rowid, number, subject, requester, contact, body)
             SELECT t.id << 32, t.search_number, t.search_subject, t.search_requester,
                 t.search_contact, t.search_body
             FROM tickets t WHERE t.id > ?1",
            [after],
        )?;
        tx.execute(
            "INSERT INTO search (rowid, note, reply, message)
             SELECT (e.ticket_id << 32) + e.id + 1
                     - (SELECT min(f.id) FROM events f WHERE f.ticket_id = e.ticket_id),
                 CASE WHEN e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
                     THEN e.search_text ELSE '' END,
                 CASE WHEN e.kind = 'reply' THEN e.search_text ELSE '' END,
                 CASE WHEN e.kind = 'message' THEN e.search_text ELSE '' END
             FROM events e
             WHERE e.ticket_id > ?1 AND e.text IS NOT NULL AND e.text <> ''
                 AND e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply',
                     'message')",
            [after],
        )?;
        for (key, was, default) in kept {
            set_fts(tx, key, was.unwrap_or(default))?;
            if was.is_none() {
                // Not stored before (FTS5's default, which it now holds again).
                tx.execute("DELETE FROM search_config WHERE k = ?1", [key])?;
            }
        }
        self.restore(tx)
    }

    fn restore(self, tx: &Connection) -> Result<()> {
        for sql in &self.0 {
            tx.execute_batch(sql)?;
        }
        Ok(())
    }
}

/// What a hit is shown with: the ticket's own searchable texts (its history is read text by
/// text: see `Store::history_snippet`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Texts {
    subject: String,
    body: String,
    requester: String,
    contact: String,
}

impl Texts {
    /// The text of a part of the ticket (None: its number, which is the ticket's own, or its
    /// history).
    fn of(&self, field: TextField) -> Option<&str> {
        Some(match field {
            TextField::Subject => &self.subject,
            TextField::Body => &self.body,
            TextField::Requester => &self.requester,
            TextField::Contact => &self.contact,
            TextField::Note | TextField::Reply | TextField::Message | TextField::Number => {
                return None;
            }
        })
    }
}

/// The parts of a ticket in the order a snippet weighs them (an earlier one wins a tie): the
/// request and what was written later say most; a subject, name or number already shows on
/// the ticket's line.
const SNIPPET_ORDER: [TextField; 8] = [
    TextField::Body,
    TextField::Note,
    TextField::Reply,
    TextField::Message,
    TextField::Subject,
    TextField::Requester,
    TextField::Contact,
    TextField::Number,
];

/// How many bytes of a ticket's history texts its snippet reads at most (the texts the index
/// says hold the words, where they can still change it; see `Store::history_snippet`).
const HISTORY_READ_MOST: usize = 1 << 20;

/// One part of a ticket's history to weigh for a snippet: the ticket, the part (notes,
/// replies, messages), the terms shown, and how typed starts are read in the index.
struct HistoryRead<'a> {
    ticket_id: i64,
    field: TextField,
    terms: &'a [Term],
    starts: &'a Terms<'a>,
}

/// Where a ticket's history texts holding a term of a snippet are found in the index.
enum Found {
    /// The parts an FTS5 expression finds.
    Parts(String),
    /// Not asked of the index (every text of the part may hold it, read in turn).
    Every,
}

/// A term of a snippet as an FTS5 expression finding the parts that hold it, read without
/// merging the hits of every word its start stands for (FTS5 gathers those for the whole
/// index before the first, for a start of other than 2 or 3 characters, the lengths with an
/// index of their own; that for every ticket of a page): a word, the words of the index it
/// is the start of (see `fts_terms`); a phrase, its words in a row, the last one each of
/// those words; a start of 2 or 3 characters as it is. `Every` when the index's words are
/// not read so (too many, another store), None when it has no words or no word of the index
/// has that start.
fn fts_term(t: &Term, starts: &Terms) -> Option<Found> {
    let (last, before) = t.words.split_last()?;
    if last.is_empty() {
        return None;
    }
    let said = |w: &str| {
        let mut words = before.to_vec();
        words.push(w.to_string());
        quoted(&words.join(" "))
    };
    if matches!(last.chars().count(), 2 | 3) {
        return Some(Found::Parts(format!("{}*", said(last))));
    }
    match starts.words(last) {
        Some(words) if words.is_empty() => None,
        Some(words) => {
            let any: Vec<String> = words.iter().map(|w| said(w)).collect();
            Some(Found::Parts(format!("({})", any.join(" OR "))))
        }
        None => Some(Found::Every),
    }
}

/// A term of a snippet as a PostgreSQL `tsquery` over the desk's documents (its words in a
/// row, the last a start). None when it has no words.
fn pg_term(t: &Term) -> Option<String> {
    let n = t.words.len();
    let parts: Vec<String> = t
        .words
        .iter()
        .enumerate()
        .map(|(i, w)| lexeme(w, i + 1 == n))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" <-> "))
}

/// For each term of a snippet, its place, and a statement and its arguments reading the
/// events of a ticket's history it is found in (see [`Store::history_hits`]).
type Hits = Vec<(usize, String, Vec<Value>)>;

/// The next event id a statement of [`Store::history_hits`] reads (None: no more).
fn next_id(rows: &mut crate::store::db::Rows<'_>) -> rusqlite::Result<Option<i64>> {
    rows.next()?.map(|r| r.get::<_, i64>(0)).transpose()
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
        if terms.is_empty() {
            return Ok(tickets
                .into_iter()
                .map(|ticket| Hit {
                    ticket,
                    snippet: None,
                })
                .collect());
        }
        let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
        // The tickets' own texts in one statement; their history text by text, only the
        // texts the index says hold the words, only where they can still change the snippet
        // and only as far as they settle it (a ticket's history may be megabytes: see
        // `history_snippet`).
        let mut own = self.own_texts_of(&ids)?;
        let starts = self.terms();
        tickets
            .into_iter()
            .map(|ticket| {
                let x = own.remove(&ticket.id).unwrap_or_default();
                let mut best = Best::default();
                let mut budget = HISTORY_READ_MOST;
                for field in SNIPPET_ORDER {
                    if !best.open_to(field, &terms) {
                        continue;
                    }
                    if history_kinds(field).is_some() {
                        let read = HistoryRead {
                            ticket_id: ticket.id,
                            field,
                            terms: &terms,
                            starts: &starts,
                        };
                        self.history_snippet(&read, &mut best, &mut budget)?;
                    } else {
                        best.take(snippet::read(
                            &Part {
                                field,
                                text: x.of(field).unwrap_or(&ticket.number),
                            },
                            &terms,
                        ));
                    }
                }
                Ok(Hit {
                    ticket,
                    snippet: best.snippet(),
                })
            })
            .collect()
    }

    /// The bytes of history texts snippets have read since this store was opened (tests,
    /// the bench: a snippet reads what the page shows, not a ticket's whole history).
    pub fn history_bytes_read(&self) -> u64 {
        self.history_read.get()
    }

    /// Weighs a ticket's history texts of one part (`read.field`: notes, replies or
    /// messages) for its snippet, each text a part of its own (a window never runs from one
    /// text into the next): only the texts the index says hold any of the words (and which
    /// of them), in the order written, each only when the words it holds could make a
    /// window holding more of them than the one kept, read only as far as that settles it,
    /// and no more than `budget` bytes of them in all (then the snippet is the best of what
    /// was read). The index's hits of each word in the part are read in the order written,
    /// side by side, and no further than a window holding every word that may be found
    /// there. Before, the history was one text read from its start until its snippet
    /// settled: `desk search keeps` on the 1M demo read the 25 MB history of the one ticket
    /// whose subject says `keeps` (290 MB of memory), as no note ever held it.
    fn history_snippet(
        &self,
        read: &HistoryRead<'_>,
        best: &mut Best,
        budget: &mut usize,
    ) -> Result<()> {
        let here: Vec<(usize, &Term)> = read
            .terms
            .iter()
            .enumerate()
            .filter(|(_, t)| t.field.is_none_or(|f| f == read.field))
            .collect();
        if here.is_empty() {
            return Ok(());
        }
        let mut run = || -> rusqlite::Result<()> {
            let Some(hits) = self.history_hits(read, &here)? else {
                return Ok(());
            };
            // Each word's statement, and the rows of each (all of them prepared before any
            // is read: the rows borrow them).
            let mut stmts = Vec::new();
            for (_, sql, _) in &hits {
                stmts.push(self.conn.prepare(sql)?);
            }
            let mut rows = Vec::new();
            for (stmt, (_, _, args)) in stmts.iter_mut().zip(&hits) {
                rows.push(stmt.query(params_from_iter(args.iter()))?);
            }
            let mut heads: Vec<Option<i64>> = Vec::new();
            for r in rows.iter_mut() {
                heads.push(next_id(r)?);
            }
            let mut text_of = self.conn.prepare_cached(
                "SELECT e.text FROM events e WHERE e.id = ?1 AND e.ticket_id = ?2 \
                 AND e.text IS NOT NULL",
            )?;
            // The next text holding any of the words, and which of them, until no text
            // can change the snippet.
            while let Some(event) = heads.iter().flatten().min().copied() {
                if !best.open_to_most(here.len()) || *budget == 0 {
                    break;
                }
                let mut held = Vec::new();
                for (i, head) in heads.iter_mut().enumerate() {
                    if *head == Some(event) {
                        held.push(hits[i].0);
                        *head = next_id(&mut rows[i])?;
                    }
                }
                if !best.open_to_most(held.len()) {
                    continue;
                }
                let text: Option<String> = text_of
                    .query_row(params![event, read.ticket_id], |r| r.get(0))
                    .optional()?;
                let Some(text) = text else { continue };
                *budget = budget.saturating_sub(text.len());
                self.history_read
                    .set(self.history_read.get().saturating_add(text.len() as u64));
                let mut reader = PartReader::among(read.field, read.terms, |k| held.contains(&k));
                reader.more(&text, true);
                best.take(reader);
            }
            Ok(())
        };
        run().map_err(|e| self.err(e))
    }

    /// For each term of `here` that has words, its place in the terms, and the statement and
    /// its arguments that read the events of `read.ticket_id`'s history of `read.field` that the index finds it in,
    /// by id, in the order written: on SQLite FTS5's parts of that ticket (a history text
    /// is a part of its own, its row id past the ticket's by its event's place in the
    /// history: schema V17, so the events' ids are the parts' row ids moved by the first
    /// event's), on PostgreSQL the history's GIN index. None when the ticket has no history.
    fn history_hits(
        &self,
        read: &HistoryRead<'_>,
        here: &[(usize, &Term)],
    ) -> rusqlite::Result<Option<Hits>> {
        let mut hits = Vec::new();
        if self.conn.is_postgres() {
            let kinds = history_kinds(read.field).unwrap_or("''");
            for (k, t) in here {
                let Some(q) = pg_term(t) else { continue };
                hits.push((
                    *k,
                    format!(
                        "SELECT e.id FROM events e WHERE e.ticket_id = ? AND {PG_EVENT_TEXTS} \
                         AND e.kind IN ({kinds}) AND desk_tsv(e.text) @@ (?::text)::tsquery \
                         ORDER BY e.id"
                    ),
                    vec![Value::Integer(read.ticket_id), Value::Text(q)],
                ));
            }
            return Ok(Some(hits));
        }
        let first: Option<i64> = self.conn.query_row(
            "SELECT min(id) FROM events WHERE ticket_id = ?1",
            [read.ticket_id],
            |r| r.get(0),
        )?;
        let Some(first) = first else { return Ok(None) };
        let part = read.ticket_id << 32;
        let kinds = history_kinds(read.field).unwrap_or("''");
        for (k, t) in here {
            match fts_term(t, read.starts) {
                None => {}
                Some(Found::Parts(expr)) => hits.push((
                    *k,
                    "SELECT rowid - ?1 - 1 + ?2 FROM search WHERE search MATCH ?3 \
                     AND rowid > ?1 AND rowid < ?4 ORDER BY rowid"
                        .to_string(),
                    vec![
                        Value::Integer(part),
                        Value::Integer(first),
                        Value::Text(format!("{{{}}} : ({expr})", read.field.as_str())),
                        Value::Integer(part.saturating_add(1 << 32)),
                    ],
                )),
                Some(Found::Every) => hits.push((
                    *k,
                    format!(
                        "SELECT e.id FROM events e WHERE e.ticket_id = ?1 \
                         AND e.text IS NOT NULL AND e.kind IN ({kinds}) ORDER BY e.id"
                    ),
                    vec![Value::Integer(read.ticket_id)],
                )),
            }
        }
        Ok(Some(hits))
    }

    /// The own searchable fields of these tickets, by id (a ticket not there is left out).
    fn own_texts_of(&self, ids: &[i64]) -> Result<HashMap<i64, Texts>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let run = || -> rusqlite::Result<HashMap<i64, Texts>> {
            let marks = vec!["?"; ids.len()].join(", ");
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT t.id, t.subject, t.body, t.requester, t.contact
                 FROM tickets t WHERE t.id IN ({marks})"
            ))?;
            stmt.query_map(params_from_iter(ids), |r| {
                Ok((
                    r.get(0)?,
                    Texts {
                        subject: r.get(1)?,
                        body: r.get(2)?,
                        requester: r.get(3)?,
                        contact: r.get(4)?,
                    },
                ))
            })?
            .collect()
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
            // PostgreSQL's GIN indexes hold what the rows hold: nothing to build again.
            if !tx.is_postgres() {
                tx.execute_batch("INSERT INTO search (search) VALUES ('rebuild')")?;
            }
            Ok(tx.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_starts_of_their_forms() {
        let plain = Terms::none();
        assert_eq!(fts_query("  ", &plain), None);
        assert_eq!(
            fts_query("heating flat", &plain),
            Some("\"heat\"* AND \"flat\"*".into())
        );
        assert_eq!(fts_query("a\"b", &plain), Some("\"a\"\"b\"*".into()));
        assert_eq!(fts_query("(--)", &plain), None);
        assert_eq!(
            fts_query("a heat", &plain),
            Some("\"heat\"*".into()),
            "one letter narrows nothing"
        );
        assert_eq!(fts_query("HSG-2611", &plain), Some("\"hsg-2611\"*".into()));
        // Folded as the index holds them (schema V26), which FTS5's tokenizer would not do.
        assert_eq!(fts_query("Łódź", &plain), Some("\"lodz\"*".into()));
        assert_eq!(
            fts_match(
                &Text {
                    field: None,
                    text: "Søren Łukasz".into(),
                    phrase: true
                },
                &plain
            ),
            Some("\"soren lukasz\"".into())
        );
        assert_eq!(fts_query("Квартиры", &plain), Some("\"квартир\"*".into()));
    }

    #[test]
    fn phrases_fields_and_trees() {
        let plain = Terms::none();
        let t = |field, text: &str, phrase| Text {
            field,
            text: text.into(),
            phrase,
        };
        assert_eq!(
            fts_match(&t(None, " no  heating ", true), &plain),
            Some("\"no heating\"".into())
        );
        assert_eq!(
            fts_match(&t(Some(TextField::Requester), "olena k", false), &plain),
            Some("{requester} : (\"olena\"*)".into())
        );
        assert_eq!(fts_match(&t(None, "  ", true), &plain), None);
        let w = |s: &str| Cond::Text(t(None, s, false));
        // Words that must all be in a ticket may be in different parts of it.
        let tree = Cond::And(vec![
            w("boiler"),
            Cond::Or(vec![w("leak"), w("flat")]),
            w("gas").not(),
        ]);
        assert_eq!(part_exact(&tree, &plain), None);
        assert_eq!(
            some_part(&tree),
            Some("(\"boiler\"* OR (\"leak\"* OR \"flat\"*))".into())
        );
        assert_eq!(
            part_exact(&Cond::Or(vec![w("leak"), w("flat")]), &plain),
            Some("(\"leak\"* OR \"flat\"*)".into())
        );
        assert_eq!(
            part_exact(&Cond::And(vec![w("leak")]), &plain),
            Some("\"leak\"*".into())
        );
        assert_eq!(some_part(&w("gas").not()), None, "a negation alone");
        assert_eq!(
            part_exact(&Cond::Or(vec![w("gas"), Cond::Open]), &plain),
            None
        );
        assert_eq!(
            some_part(&Cond::And(vec![w("gas"), Cond::Open])),
            Some("\"gas\"*".into())
        );
        assert_eq!(part_exact(&w("a"), &plain), None, "narrows nothing");
        // Words typed together: each somewhere in the ticket.
        assert_eq!(part_exact(&w("a heat"), &plain), Some("\"heat\"*".into()));
        assert_eq!(part_exact(&w("boiler leak"), &plain), None);
        assert_eq!(
            some_part(&w("boiler leak")),
            Some("(\"boiler\"* OR \"leak\"*)".into())
        );
        assert_eq!(
            part_exact(&Cond::Text(t(None, "no heating", true)), &plain),
            Some("\"no heating\"".into())
        );
    }
}
