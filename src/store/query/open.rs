//! Text in a list of open tickets (the open queue filtered, `is:open heating`): the open
//! tickets whose parts the search index finds, read once and given to the list's statement
//! as a list of ids, instead of a list SQLite builds of every ticket the index finds.
//!
//! The open tickets are a few percent of a desk (5,617 of a million on the demo) and a
//! common word is in tens of thousands of tickets (`heating`: 48,592). SQLite answered
//! `+t.id IN (SELECT rowid >> 32 FROM search WHERE search MATCH ?)` by inserting every one of
//! those tickets into a temporary index before the first open ticket was tested: 55 of the 96
//! million instructions of the open queue's first page filtered by `heating`, again for each
//! page, for the count and for the position. Here the index's hits are read in their order
//! (a ticket's parts one after another, tickets in id order) beside the open tickets' ids in
//! the same order, and only the open ones that have a hit are kept: a few hundred ids, which
//! the statement reads with `json_each`. A ticket that is open has a hit exactly when it is
//! in that list, so any text condition of a condition that keeps open tickets only (under an
//! OR or a negation too) reads the list for the index: the same tickets.
//!
//! The list is kept for the desk as it is (its change stamp) and read again once it changed:
//! a filter's pages, its count and its position read the index once between them.

use std::cell::RefCell;
use std::sync::Arc;

/// How many lists are kept (a filter of several words has one per word).
const KEPT: usize = 4;

/// One expression's open tickets with hits: the expression, the change stamp of the desk they
/// were read from, their ids as a JSON array.
type Kept = (String, (i64, u64), Arc<str>);

/// The open tickets that have hits of an expression of the search index, per expression, for
/// the desk as it was when they were read.
#[derive(Debug, Default)]
pub struct OpenHits {
    /// The latest read first.
    kept: RefCell<Vec<Kept>>,
}

impl OpenHits {
    /// The ids, as a JSON array in ascending order, of the open tickets that have a part the
    /// expression `expr` finds. Read in the transaction open on `conn` (the statement that
    /// uses them reads the same snapshot), or remembered from an earlier read of the same
    /// snapshot's desk.
    pub(crate) fn json(&self, c: &rusqlite::Connection, expr: &str) -> rusqlite::Result<Arc<str>> {
        // The snapshot starts with a read; its change stamp then says which desk it is.
        c.prepare_cached("SELECT max(id) FROM tickets")?
            .query_row([], |r| r.get::<_, Option<i64>>(0))?;
        let version: i64 = c.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let stamp = (version, c.total_changes());
        let mut kept = self.kept.borrow_mut();
        if let Some(i) = kept.iter().position(|(e, s, _)| e == expr && *s == stamp) {
            let hit = kept.remove(i);
            let json = hit.2.clone();
            kept.insert(0, hit);
            return Ok(json);
        }
        let json: Arc<str> = read(c, expr)?.into();
        kept.insert(0, (expr.to_string(), stamp, json.clone()));
        kept.truncate(KEPT);
        Ok(json)
    }
}

/// The open tickets with a hit of `expr`, as a JSON array: the open ids (their own index, in
/// id order) and the hits (in row id order: a ticket's parts one after another), merged. The
/// hits are read whole, without a bound of row ids: FTS5 leaves such a bound to be checked
/// again at each hit (a fifth of the reading), and a desk's oldest open tickets are as old
/// as its oldest (152 and 1,000,007 on the 1M demo).
fn read(c: &rusqlite::Connection, expr: &str) -> rusqlite::Result<String> {
    let open = c
        .prepare_cached(
            "SELECT id FROM tickets INDEXED BY tickets_open_age WHERE is_open = 1 ORDER BY id",
        )?
        .query_map([], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    let mut json = String::from("[");
    if !open.is_empty() {
        let mut stmt =
            c.prepare_cached("SELECT rowid FROM search WHERE search MATCH ?1 ORDER BY rowid")?;
        let mut hits = stmt.query([expr])?;
        let (mut at, mut kept) = (0, None);
        while let Some(r) = hits.next()? {
            let id = r.get::<_, i64>(0)? >> 32;
            while open.get(at).is_some_and(|&o| o < id) {
                at += 1;
            }
            match open.get(at) {
                None => break,
                Some(&o) if o == id && kept != Some(id) => {
                    if kept.is_some() {
                        json.push(',');
                    }
                    json.push_str(&id.to_string());
                    kept = Some(id);
                }
                Some(_) => {}
            }
        }
    }
    json.push(']');
    Ok(json)
}
