//! Reads: a ticket by what a person typed (with suggestions), by id, its history, lists.

use super::*;
use crate::core::config::Config;
use crate::core::numbering::{self, NumberError};
use crate::error::{Error, Result};
use crate::store::db::{Connection, OptionalExtension, params, params_from_iter};
use chrono::NaiveDate;

impl Store {
    /// Finds a ticket by what a person typed. Exact and tolerant (case, spaces, missing
    /// dashes) matches open it; anything else is an error that says whether the number is
    /// malformed, mistyped (wrong check digit) or simply not there, with the closest numbers.
    /// A duplicate's number leads to the ticket it was merged into.
    pub fn find(&self, cfg: &Config, input: &str, today: NaiveDate) -> Result<Ticket> {
        find_in(&self.conn, cfg, input, today).map_err(|e| self.map_db(e))
    }

    /// The ticket with this very number: a duplicate itself, not the ticket it leads to.
    pub fn find_exact(&self, cfg: &Config, input: &str, today: NaiveDate) -> Result<Ticket> {
        find_exact_in(&self.conn, cfg, input, today).map_err(|e| self.map_db(e))
    }

    /// A ticket by its row id.
    pub fn get(&self, id: i64) -> Result<Option<Ticket>> {
        self.conn
            .prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE t.id = ?1"))
            .and_then(|mut s| s.query_row([id], ticket_row).optional())
            .map_err(|e| self.err(e))
    }

    /// Existing numbers starting like `partial` (case, spaces and dashes forgiven), for
    /// completion.
    pub fn numbers_like(&self, partial: &str, limit: usize) -> Result<Vec<String>> {
        let key = numbering::normalize(partial);
        if key.is_empty() {
            return Ok(Vec::new());
        }
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT number FROM tickets WHERE number_key >= ?1 AND number_key < ?3
                 ORDER BY number_key LIMIT ?2",
            )?;
            let past = format!("{key}{}", char::MAX);
            let rows = stmt.query_map(params![key, limit as i64, past], |r| r.get(0))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Every status tickets are in, with how many.
    pub fn statuses_in_use(&self) -> Result<Vec<(String, i64)>> {
        statuses_in_use(&self.conn).map_err(|e| self.err(e))
    }

    /// The whole history of a ticket, oldest first.
    pub fn history(&self, ticket_id: i64) -> Result<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.id, e.at, a.login, v.login, e.kind, e.from_value, e.to_value, e.text
                 FROM events e LEFT JOIN agents a ON a.id = e.actor_id
                 LEFT JOIN agents v ON v.id = e.via_id
                 WHERE e.ticket_id = ?1 ORDER BY e.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ticket_id], event_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// The newest part of a ticket's history, oldest first: the events from `from` on (an
    /// event id: what is already shown, with whatever came since), or else the latest
    /// [`HISTORY_PAGE`] events, fewer when their texts pass [`HISTORY_PAGE_BYTES`] (at least
    /// one); and how many older events were not read. The desk's detail pane reads a ticket
    /// this way at every cursor move, so a long history costs a page, not its length.
    pub fn history_page(&self, ticket_id: i64, from: Option<i64>) -> Result<HistoryPage> {
        self.read_history(
            ticket_id,
            from.unwrap_or(i64::MIN),
            i64::MAX,
            from.is_none(),
        )
    }

    /// The page of a ticket's history just before event `before`, oldest first, measured as
    /// [`Store::history_page`] measures one.
    pub fn history_before(&self, ticket_id: i64, before: i64) -> Result<HistoryPage> {
        self.read_history(ticket_id, i64::MIN, before, true)
    }

    /// Events `from..before` of a ticket, newest first up to a page when `page`, returned
    /// oldest first with the count of the older ones.
    fn read_history(&self, ticket: i64, from: i64, before: i64, page: bool) -> Result<HistoryPage> {
        let run = || -> rusqlite::Result<HistoryPage> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT e.id, e.at, a.login, v.login, e.kind, e.from_value, e.to_value, e.text
                 FROM events e LEFT JOIN agents a ON a.id = e.actor_id
                 LEFT JOIN agents v ON v.id = e.via_id
                 WHERE e.ticket_id = ?1 AND e.id >= ?2 AND e.id < ?3 ORDER BY e.id DESC",
            )?;
            let mut events = Vec::new();
            let mut bytes = 0;
            let mut rows = stmt.query(params![ticket, from, before])?;
            while let Some(r) = rows.next()? {
                let e = event_row(&r)?;
                bytes += e.text.as_ref().map_or(0, String::len);
                events.push(e);
                if page && (events.len() >= HISTORY_PAGE || bytes >= HISTORY_PAGE_BYTES) {
                    break;
                }
            }
            drop(rows);
            events.reverse();
            let older = match events.first() {
                Some(first) => self
                    .conn
                    .prepare_cached("SELECT count(*) FROM events WHERE ticket_id = ?1 AND id < ?2")?
                    .query_row(params![ticket, first.id], |r| r.get(0))?,
                None => 0,
            };
            Ok(HistoryPage { events, older })
        };
        run().map_err(|e| self.err(e))
    }

    /// The number of the ticket imported with this external reference.
    pub fn number_of_ref(&self, external_ref: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT number FROM tickets WHERE external_ref = ?1",
                [external_ref.trim()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

/// Up to three existing numbers a person most likely meant by `input`: those one typo or one
/// misheard code away, newest first (recent tickets are the ones being worked on), else the
/// nearest number of the same series.
fn suggestions(
    conn: &Connection,
    grammar: &numbering::Grammar,
    input: &str,
    scope_seq: Option<(&str, u64)>,
) -> rusqlite::Result<Vec<String>> {
    let key = numbering::normalize(input);
    let mut hits: Vec<(i64, String)> = Vec::new();
    if !key.is_empty() && key.len() <= 40 {
        let mut candidates = numbering::edit_candidates(&key);
        candidates.extend(grammar.code_variants(&key));
        for chunk in candidates.chunks(400) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = conn.prepare(&format!(
                "SELECT id, number FROM tickets WHERE number_key IN ({marks})"
            ))?;
            let rows = stmt.query_map(params_from_iter(chunk.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            for r in rows {
                hits.push(r?);
            }
        }
    }
    hits.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    let mut found: Vec<String> = hits.into_iter().map(|(_, n)| n).collect();
    if found.is_empty()
        && let Some((scope, seq)) = scope_seq
    {
        let nearest: Option<String> = conn
            .query_row(
                "SELECT number FROM tickets WHERE scope = ?1 ORDER BY abs(seq - ?2), seq LIMIT 1",
                params![scope, seq as i64],
                |r| r.get(0),
            )
            .optional()?;
        found.extend(nearest);
    }
    found.truncate(3);
    Ok(found)
}

/// How many merges a look-up follows at most (a merge never targets a merged ticket, so one
/// is all there is unless the database was changed outside desk).
const MERGE_HOPS: usize = 8;

/// The ticket a person means by `input`: a duplicate's number leads to the ticket it was
/// merged into.
pub(crate) fn find_in(
    conn: &Connection,
    cfg: &Config,
    input: &str,
    today: NaiveDate,
) -> Result<Ticket> {
    let mut t = find_exact_in(conn, cfg, input, today)?;
    for _ in 0..MERGE_HOPS {
        let Some(target) = t.merged_into else { break };
        match conn
            .prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE t.id = ?1"))?
            .query_row([target], ticket_row)
            .optional()?
        {
            Some(next) => t = next,
            None => break,
        }
    }
    Ok(t)
}

/// The ticket with this very number (a duplicate itself, not the ticket it was merged into).
pub(crate) fn find_exact_in(
    conn: &Connection,
    cfg: &Config,
    input: &str,
    today: NaiveDate,
) -> Result<Ticket> {
    let by = |col: &str, value: &str| -> Result<Option<Ticket>> {
        conn.prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE t.{col} = ?1"))
            .and_then(|mut s| s.query_row([value], ticket_row).optional())
            .map_err(Error::from)
    };
    let trimmed = input.trim();
    if let Some(t) = by("number", trimmed)? {
        return Ok(t);
    }
    let key = numbering::normalize(trimmed);
    if !key.is_empty()
        && let Some(t) = by("number_key", &key)?
    {
        return Ok(t);
    }
    let groups = group_codes(conn)?;
    let known = |scope: &str| {
        crate::store::numbers::series_algo(conn, scope)
            .ok()
            .flatten()
    };
    let grammar = cfg.grammar(&groups);
    match grammar.parse(trimmed, today, &known) {
        Ok(parsed) => Err(Error::NoSuchTicket {
            suggestions: suggestions(conn, &grammar, trimmed, Some((&parsed.scope, parsed.seq)))?,
            number: parsed.canonical,
        }),
        Err(NumberError::Empty) => Err(Error::BadNumber {
            error: NumberError::Empty,
            suggestions: Vec::new(),
        }),
        Err(error) => {
            let suggestions = suggestions(conn, &grammar, trimmed, None)?;
            // Not a number at all, but one typo away from existing ones: a typo.
            let error = match error {
                NumberError::Malformed { input, .. } if !suggestions.is_empty() => {
                    NumberError::Mistyped { input }
                }
                other => other,
            };
            Err(Error::BadNumber { suggestions, error })
        }
    }
}

/// Every status the tickets of a database are in, with how many.
pub(crate) fn statuses_in_use(conn: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut stmt =
        conn.prepare("SELECT status, count(*) FROM tickets GROUP BY status ORDER BY status")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}
