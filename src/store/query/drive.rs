//! What drives a page of a query over the whole desk on SQLite, which has no statistics: the
//! index of one of its conditions, or the working order's own indexes.
//!
//! A condition over every ticket, closed ones too, is read either from an index of one of its
//! conditions (a status, a group, an assignee, a time: then what it finds is sorted) or by
//! walking an index in the page's order and keeping the tickets that match (then it stops
//! after a page). The first is quick when the condition's tickets are few and the second when
//! they are many; SQLite, without statistics, takes an equality for ten rows and so reads a
//! group's every ticket (160,000 on a million) rather than a month's resolved ones, and with no
//! index for the condition sorts the whole desk (`category:HSG`, `(assignee:none OR -is:open)`:
//! 0.2-0.3 s of processor time on a million). Here each condition with an index of its own
//! (the comparisons of one time together) is counted in it up to [`FEW`], from the index
//! alone; the fewest drive the page when they are few. Else, in the working order, the open
//! tickets and the others are each walked in an index of that order and merged; the walk of
//! the others stops at the page, or after [`WALKED`] tickets without one (a condition that
//! keeps few of them, or keeps them at the far end of the order): then SQLite's own plan.

use super::QueueRow;
use super::build::{ALL, Builder, Built, NONE, marks, order_by, sql_limit};
use super::order::OPEN_FIELDS;
use crate::core::config::Config;
use crate::core::model::Priority;
use crate::core::query::{Cmp, Cond, DateField, Groups, Query, SortKey, Viewer};
use crate::error::Result;
use crate::store::Store;
use crate::store::db::Connection;
use crate::store::db::params_from_iter;
use crate::store::search::{Terms, each_word, fts_match};
use crate::store::tickets::{COLS, FROM};
use rusqlite::types::Value;

/// How many tickets of a condition are few enough to be sorted: counting them reads that
/// many entries of their index at most, and sorting them reads their rows.
pub(super) const FEW: i64 = 20_000;

/// What drives a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Drive {
    /// This index, of one of the conditions (its tickets are few).
    Index(&'static str),
    /// The working order walked in the open tickets' index and in the others', merged.
    Split,
    /// Another order walked in its own index over the whole desk, each ticket tested (see
    /// [`Store::walk_page`]); when the walk finds less than a page among [`WALKED`] tickets,
    /// this index (a time's) drives, or SQLite's own plan.
    Walk(Option<&'static str>),
    /// By status or by assignee, each status's or agent's tickets walked in turn (see
    /// [`merge`](super::merge)), each ticket tested.
    Merged,
    /// SQLite's own plan.
    Own,
}

/// The index a condition is found by, when it has one of its own over the whole desk.
fn own_index(c: &Cond) -> Option<&'static str> {
    match c {
        Cond::Status(_) | Cond::StatusCategory(_) => Some("tickets_status"),
        Cond::Not(x) if matches!(**x, Cond::Status(_) | Cond::StatusCategory(_)) => {
            Some("tickets_status")
        }
        Cond::Group(_) => Some("tickets_group"),
        Cond::Category(_) => Some("tickets_category"),
        Cond::Assignee(_) => Some("tickets_assignee"),
        Cond::Date(DateField::Created, _, _) => Some("tickets_created"),
        Cond::Date(DateField::Resolved, _, _) => Some("tickets_resolved"),
        Cond::Date(DateField::Closed, _, _) => Some("tickets_closed"),
        Cond::Date(DateField::Updated, _, _) => Some("tickets_updated"),
        Cond::Date(DateField::Due, _, _) => Some("tickets_due_at"),
        Cond::Date(DateField::FirstResponse, _, _) => Some("tickets_responded"),
        // A time every ticket has, negated: the other comparison (see `Builder::cond`).
        Cond::Not(x) if matches!(**x, Cond::Date(DateField::Created | DateField::Updated, ..)) => {
            own_index(x)
        }
        _ => None,
    }
}

/// Whether a condition's text finds few tickets, its rarest word's hits counted, or
/// is not a condition of its own (under an alternative or a negation: then SQLite's own plan
/// reads it, as it always did). Few: reading and sorting its `n` tickets costs less than a
/// walk that meets a page of them, about 50 × the desk's tickets / `n` rows read, so up to
/// √(50 × tickets) (7,071 on a million).
pub(super) fn text_few(conn: &Connection, q: &Query) -> Result<bool> {
    let parts: &[Cond] = match &q.cond {
        Cond::And(cs) => cs,
        c => std::slice::from_ref(c),
    };
    if parts
        .iter()
        .any(|c| c.has_text() && !matches!(c, Cond::Text(_)))
    {
        return Ok(true);
    }
    let tickets: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM tickets")?
        .query_row([], |r| r.get(0))?;
    let few = (50.0 * tickets.max(0) as f64).sqrt() as i64;
    for c in parts {
        let Cond::Text(t) = c else {
            continue;
        };
        // Each word typed must be somewhere: the rarest counts. Its hits are parts of
        // tickets (a ticket's notes each one), counted in the index alone.
        let words = each_word(t);
        for w in if words.is_empty() {
            vec![t.clone()]
        } else {
            words
        } {
            let Some(m) = fts_match(&w, &Terms::none()) else {
                continue;
            };
            let n: i64 = conn
                .prepare_cached(&format!(
                    "SELECT count(*) FROM (SELECT 1 FROM search WHERE search MATCH ?1 LIMIT {})",
                    few + 1
                ))?
                .query_row([m], |r| r.get(0))?;
            if n <= few {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Whether a condition keeps open tickets only (the open queue's own readers serve it).
fn only_open(c: &Cond) -> bool {
    let open = |c: &Cond| matches!(c, Cond::Open | Cond::Sla(_));
    match c {
        Cond::And(cs) => cs.iter().any(open),
        c => open(c),
    }
}

/// Whether a condition on a time bounds it from below (`updated<7d`, a month): its tickets are
/// the last registered, at the far end of the working order.
fn since(c: &Cond) -> bool {
    match c {
        Cond::Date(_, cmp, _) => matches!(cmp, Cmp::After | Cmp::AtOrAfter),
        Cond::And(cs) => cs.iter().any(since),
        _ => false,
    }
}

/// Whether an order other than the working one has an index of its own over the whole desk
/// (schema V27; a ticket's number its unique index, registration the table's), and whether
/// that index runs against the order: the update time's holds `updated_at`, the order is
/// `-updated_at` (see [`Store::walk_page`]).
pub(super) fn walked_order(sort: SortKey) -> Option<bool> {
    match sort {
        SortKey::Number | SortKey::Age | SortKey::Subject | SortKey::Requester | SortKey::Due => {
            Some(false)
        }
        SortKey::Updated => Some(true),
        SortKey::Priority | SortKey::Status | SortKey::Assignee => None,
    }
}

/// How many tickets of a time are read for the ids they lie between (see [`Window`]): a
/// month's on a desk of a million (40,000), not a time most of the desk has.
pub(super) const WINDOWED: i64 = 100_000;

/// How many tickets a walk reads at most, tried again, when a time keeps more than [`FEW`]:
/// a condition much of the desk meets, whose first tickets in the order may still be a few
/// thousand that it does not (`resolved>7d` by update time: the tickets updated this week,
/// most of them resolved this week or open), where the plan SQLite would take instead sorts
/// every ticket it keeps (2.6 s on a million).
pub(super) const WALKED_DENSE: i64 = 50_000;

/// A walk is given the ids of a time's tickets only when at least one ticket in this many
/// between them is one: a month's are one in two on the demo; the tickets updated this week
/// are one in seventy (old tickets are updated too), and a walk in the number order under a
/// category, given those ids, read 14,000 rows before giving up (103 ms against 20 sorted).
const SPREAD: i64 = 10;

/// What a walk of an order's index is given beside the condition, from the index of one of
/// its times (see [`driven`]).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Window {
    /// The least and the greatest id of the tickets the time keeps: every ticket of the
    /// condition lies between them, and an index of an order holds each ticket's id, so a
    /// walk skips the entries outside without reading their rows. On a desk the times follow
    /// registration: a month's tickets (4% of a desk of two years) lie where about half of
    /// the tickets are theirs, but at the far end of every order that has the registration
    /// as its second key (by subject, requester, number, priority: 0 of the first 5,000
    /// tickets by subject on the 1M demo are those resolved in its last October).
    pub(super) ids: Option<(i64, i64)>,
    /// How many tickets a walk reads at most before it gives up ([`WALKED`]; as many as the
    /// time keeps, up to [`FEW`], between its ids).
    pub(super) walked: i64,
    /// The time keeps more than [`FEW`]: a walk of an order's index that gives up is tried
    /// again up to [`WALKED_DENSE`] before the page is read another way.
    pub(super) dense: bool,
    /// The update time's own condition, over the walk's `w`, with its arguments: the
    /// update order's walk seeks it in its index (`updated>7d --sort updated` read the week's
    /// tickets first, none of them kept). By subject: the categories the condition keeps or
    /// leaves out, which the subject index holds (see [`subject_categories`]).
    pub(super) seek: Option<(String, Vec<Value>)>,
    /// The index that drives the page when a walk gives up (and counts): the time's.
    pub(super) fallback: Option<&'static str>,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            ids: None,
            walked: WALKED,
            dense: false,
            seek: None,
            fallback: None,
        }
    }
}

impl Window {
    /// The condition on the ids over the alias `t` or `w` (they are the database's own
    /// integers: written in the statement), tested in an index's entries: not sought in the
    /// table (`+`), where SQLite would read every row between them and sort them (the 57,000
    /// of a month's closed tickets by due time: 70 ms on a million) — unless `sought`, the
    /// walk of the registration order, the table's own.
    pub(super) fn ids_sql(&self, alias: &str, sought: bool) -> Option<String> {
        let plus = if sought { "" } else { "+" };
        self.ids
            .map(|(lo, hi)| format!("{plus}{alias}.id BETWEEN {lo} AND {hi}"))
    }
}

/// What drives a page, and what a walk is given.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Driven {
    pub(super) drive: Drive,
    pub(super) window: Window,
}

/// What drives a page of `q` on SQLite (see the module's text). Counts each of its conditions
/// with an index of its own, up to [`FEW`].
#[cfg(test)]
pub(super) fn drive(conn: &Connection, cfg: &Config, q: &Query, viewer: &Viewer) -> Result<Drive> {
    driven(conn, cfg, q, viewer, true).map(|d| d.drive)
}

/// What drives a page of `q` on SQLite (see the module's text), and what a walk is given:
/// counts each of its conditions with an index of its own, up to [`FEW`]; `windowed`: the
/// page's (a count needs only the index).
pub(super) fn driven(
    conn: &Connection,
    cfg: &Config,
    q: &Query,
    viewer: &Viewer,
    windowed: bool,
) -> Result<Driven> {
    let own = |drive| Driven {
        drive,
        window: Window::default(),
    };
    // The open queue has readers of their own, and so has the whole desk unfiltered but in an
    // order with an index of its own: that index walked from the position (SQLite reads an
    // index of expressions from its start up to a position it compares as a row).
    if conn.is_postgres() || only_open(&q.cond) {
        return Ok(own(Drive::Own));
    }
    // Text is a list of its hits' tickets (read once: for a common word most of the time)
    // that each walked ticket is looked up in; in registration order the hits drive the page
    // (see `driving_text`). Walked only in an order that spreads a text's hits (SQLite's own
    // plan sorted them all: `subject:heating --all --sort requester` 35 ms of processor time
    // on a million, its 20,630 hits): not by subject or number, which gather them (tickets of
    // one subject together; a number begins with its category's code), nor a merge or the
    // working order's two walks, each of which would read the list again. Nor when a word
    // finds few tickets: SQLite reads them from its hits and sorts them (`requester:heating`:
    // 6 ms, where a walk would meet too few of them and read the order's index in vain).
    if q.cond.has_text() {
        let walked = matches!(q.sort, SortKey::Requester | SortKey::Updated | SortKey::Due);
        if !walked || text_few(conn, q)? {
            return Ok(own(Drive::Own));
        }
    }
    if q.cond == Cond::all() {
        return Ok(own(match walked_order(q.sort) {
            Some(_) => Drive::Walk(None),
            None => Drive::Own,
        }));
    }
    let parts: &[Cond] = match &q.cond {
        Cond::And(cs) => cs,
        c => std::slice::from_ref(c),
    };
    // Each condition with an index of its own; the comparisons of one time together (a
    // month is two, each of which alone holds most of the desk).
    let mut units: Vec<(&'static str, Cond)> = Vec::new();
    for c in parts {
        let Some(index) = own_index(c) else {
            continue;
        };
        // A time every ticket has, negated: the other comparison (see `Builder::cond`).
        let c = &match c {
            Cond::Not(x) => match **x {
                Cond::Date(f, cmp, when) => Cond::Date(f, cmp.negated(), when),
                _ => c.clone(),
            },
            c => c.clone(),
        };
        match units.iter_mut().find(|(i, _)| *i == index) {
            Some(unit) if matches!(c, Cond::Date(..)) => unit.1 = unit.1.clone().and(c.clone()),
            _ => units.push((index, c.clone())),
        }
    }
    // The fewest, the fewest of a time's since a time, and the fewest of a time's.
    let mut best: Option<(i64, &'static str)> = None;
    let mut dated = best;
    let mut timed: Option<(i64, &'static str, String, Vec<Value>, bool)> = None;
    let mut seek = None;
    for (index, c) in &units {
        let (index, c) = (*index, c);
        let mut b = Builder {
            cfg,
            viewer,
            conn,
            terms: &Terms::none(),
            only_text: false,
            per_ticket: false,
            open_only: false,
            status_leads: false,
            args: Vec::new(),
        };
        let sql = b.cond(c)?;
        if sql == NONE {
            // No ticket: nothing to walk.
            return Ok(own(Drive::Own));
        }
        if sql == ALL {
            continue;
        }
        let n: i64 = conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM (SELECT 1 FROM tickets t INDEXED BY {index} WHERE {sql} \
                 LIMIT {})",
                FEW + 1
            ))?
            .query_row(params_from_iter(b.args.iter()), |r| r.get(0))?;
        if best.is_none_or(|(m, _)| n < m) {
            best = Some((n, index));
        }
        let is_time = matches!(c, Cond::Date(..) | Cond::And(_));
        if is_time && since(c) && dated.is_none_or(|(m, _)| n < m) {
            dated = Some((n, index));
        }
        if is_time && timed.as_ref().is_none_or(|(m, ..)| n < *m) {
            timed = Some((n, index, sql.clone(), b.args.clone(), since(c)));
        }
        if is_time && index == "tickets_updated" && q.sort == SortKey::Updated {
            seek = Some((sql.replace("t.", "w."), b.args.clone()));
        }
    }
    let mut window = Window {
        seek,
        ..Window::default()
    };
    if q.sort == SortKey::Subject && window.seek.is_none() {
        window.seek = subject_categories(&q.cond);
    }
    // A time's tickets, more than are sorted (fewer are, as before: a walk given their ids
    // may still read thousands of rows before a page when another condition keeps few of
    // them early in the order, `category:HSG updated<7d` by number 20 -> 56 ms): where their
    // ids lie, for a walk to skip the others (a count needs none). Only a time bounded from
    // below: one that is not (`>7d`: older than a week) keeps the desk's oldest tickets on,
    // its ids all of the desk's, and reading 100,000 of them would cost every such page 7 ms.
    let mut spread = None;
    if let Some((_, index, sql, args, from_below)) = timed.as_ref().filter(|(n, ..)| *n > FEW) {
        window.dense = true;
        // Not when another condition's index finds few: it drives (`assignee:none
        // created>2026-11-01`: the month's 33,000 ids read for nothing, 1.5 ms).
        if windowed && *from_below && best.is_none_or(|(n, _)| n > FEW) {
            let (m, lo, hi): (i64, Option<i64>, Option<i64>) = conn
                .prepare_cached(&format!(
                    "SELECT count(*), min(id), max(id) FROM (SELECT t.id AS id FROM tickets t \
                     INDEXED BY {index} WHERE {sql} LIMIT {})",
                    WINDOWED + 1
                ))?
                .query_row(params_from_iter(args.iter()), |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            if m <= WINDOWED
                && let (Some(lo), Some(hi)) = (lo, hi)
                && m.saturating_mul(SPREAD) >= hi.saturating_sub(lo).saturating_add(1)
            {
                window.ids = Some((lo, hi));
                // As many as the time keeps (what its index, driving, would sort), up to
                // [`FEW`]: its tickets may be few at the near end of the ids and many at the
                // far one (those resolved in October, registered from August on: 2 of the
                // first 5,000 ids are phone tickets resolved then).
                window.walked = m.clamp(WALKED, FEW);
                spread = Some(*index);
            }
        }
    }
    // A time's tickets, fewer than are sorted but the fewest and more than a walk given
    // their ids reads for a page: where their ids lie too (see [`near_window`]).
    if windowed
        && spread.is_none()
        && let Some((n, index, sql, args, true)) = timed.as_ref()
        && best.is_none_or(|(_, i)| i == *index)
        && let Some((ids, walked)) = near_window(conn, q, parts, (*n, index), sql, args)?
    {
        window.ids = Some(ids);
        window.walked = walked;
        spread = Some(*index);
    }
    let drive = match best {
        // Few tickets, unless a time's that a walk given their ids reads faster.
        Some((n, index)) if n <= FEW && (spread.is_none() || best.map(|b| b.1) != spread) => {
            Drive::Index(index)
        }
        _ if spread.is_some() => match q.sort {
            s if walked_order(s).is_some() => Drive::Walk(window.fallback.or(dated.map(|d| d.1))),
            SortKey::Priority => Drive::Split,
            _ => Drive::Merged,
        },
        // Many tickets: another order's own index walked, tested ticket by ticket; the time's
        // index when the walk finds too few (below).
        _ if walked_order(q.sort).is_some() => Drive::Walk(dated.map(|(_, i)| i)),
        // Many tickets since a time: the walk would read the order's every ticket before
        // them (the times follow registration, the order's second key), so the time's index
        // drives (not a group's, which SQLite would take for few).
        _ if dated.is_some() => dated.map_or(Drive::Own, |(_, i)| Drive::Index(i)),
        _ if q.sort == SortKey::Priority => Drive::Split,
        // By status or assignee: each status's tickets, or each agent's (sorted in turn),
        // walked and tested, instead of every ticket the condition keeps sorted.
        _ if matches!(q.sort, SortKey::Status | SortKey::Assignee) => Drive::Merged,
        _ => Drive::Own,
    };
    if window.fallback.is_none() {
        window.fallback = dated.map(|d| d.1).filter(|_| matches!(drive, Drive::Split));
    }
    Ok(Driven { drive, window })
}

/// The ids a time's `n` tickets lie between and how many of them a walk reads at most (as
/// [`driven`] gives a time of more than [`FEW`]), when the walk of the page's order given
/// their ids reads less than sorting them, although they are fewer than [`FEW`]: the tickets
/// updated this week on the demo of a million (14,612, one in two of the 33,543 ids they lie
/// between) took 17-24 ms of processor time read and sorted, against 5-12 walked.
/// None, and the time's index drives as before, unless:
/// - every condition has an index of its own and keeps more tickets than the time (so is
///   counted, not rare among them): a condition no index counts may keep a few of them (the
///   urgent ones, by api), and a walk that meets none of them reads all of its budget before
///   they are sorted anyway (56-76 ms for 14,612 on the demo, against 24);
/// - by age, only beside another condition: the time alone is sorted from its index alone,
///   which holds the ids (no row read: 5 ms, against 7 walked);
/// - they are at least √(50 × the desk's tickets) (7,071 on a million; as [`text_few`]):
///   a walk in an order that spreads them meets a page of them after about 50 × the tickets
///   / `n` entries of its index, where sorting them reads `n` rows (fewer: 4,500 due this
///   week, 9-10 ms either way; 1,300 registered yesterday by subject, 4.5 ms sorted and 6.4
///   walked). By number twice as many: a number begins with its category's code, and
///   each category's tickets are in registration order, so the walk reads the entries of a
///   category's older tickets before the first of the time's (the walk costs 7 ms on the
///   demo whatever the time: 9,100 registered this week sorted in 8.6 ms, walked in 10.4);
/// - they lie spread no thinner than one in [`SPREAD`] between their ids;
/// - in the working order, at least half of them are not open: the others' walk (see
///   [`others_walk`]) meets them, and a time of open tickets (due since a day, registered
///   yesterday) would have it read all of the others' index in vain (25-30 ms, against 5-9).
fn near_window(
    conn: &Connection,
    q: &Query,
    parts: &[Cond],
    (n, index): (i64, &str),
    sql: &str,
    args: &[Value],
) -> Result<Option<((i64, i64), i64)>> {
    if n > FEW || parts.iter().any(|c| own_index(c).is_none()) {
        return Ok(None);
    }
    if q.sort == SortKey::Age && parts.iter().all(|c| own_index(c) == Some(index)) {
        return Ok(None);
    }
    let tickets: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM tickets")?
        .query_row([], |r| r.get(0))?;
    let mut near = (50.0 * tickets.max(0) as f64).sqrt() as i64;
    if q.sort == SortKey::Number {
        near = near.saturating_mul(2);
    }
    if n < near {
        return Ok(None);
    }
    let (m, lo, hi): (i64, Option<i64>, Option<i64>) = conn
        .prepare_cached(&format!(
            "SELECT count(*), min(id), max(id) FROM (SELECT t.id AS id FROM tickets t \
             INDEXED BY {index} WHERE {sql} LIMIT {})",
            FEW + 1
        ))?
        .query_row(params_from_iter(args.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Ok(None);
    };
    if m.saturating_mul(SPREAD) < hi.saturating_sub(lo).saturating_add(1) {
        return Ok(None);
    }
    if q.sort == SortKey::Priority {
        let open: i64 = conn
            .prepare_cached(
                "SELECT count(*) FROM tickets INDEXED BY tickets_open_age \
                 WHERE is_open = 1 AND id BETWEEN ?1 AND ?2",
            )?
            .query_row([lo, hi], |r| r.get(0))?;
        if open.saturating_mul(2) > m {
            return Ok(None);
        }
    }
    Ok(Some(((lo, hi), m.clamp(WALKED, FEW))))
}

/// How many of the other tickets a page's walk of the working order reads at most (each one's
/// row: a few milliseconds on a million): a condition that keeps fewer than a page among them
/// (less than one in a hundred, or all at the far end of the order: `updated<7d`) is read the
/// other way (see
/// [`Store::split_page`]).
pub(super) const WALKED: i64 = 5_000;

/// The SQL of a split page's two arms (see [`Store::split_page`]): rows of (arm, id, key…),
/// the open tickets' (arm 0) walked in their fields' index, the others' (arm 1) by `walk` (see
/// [`others_walk`]: ids, in the working order's index, up to [`WALKED`] of them), each arm up
/// to `cap` rows matching the condition from the position `more` (written over `t`). The
/// others come in the walk's order (a CROSS JOIN keeps it), so that the walk stops at the
/// page: no ORDER BY, which would read the whole walk to sort it; the caller sorts the two
/// arms' rows. Its arguments: the condition's and the position's, then the walk's and the
/// condition's.
pub(super) fn split_sql(
    b: &Built,
    more: &[String],
    walk: &str,
    ascending: bool,
    cap: i64,
    window: &Window,
) -> String {
    let named = (0..b.keys.len())
        .map(|i| format!("{} AS q_k{i}", b.keys[i]))
        .collect::<Vec<_>>()
        .join(", ");
    let mut open = vec!["t.is_open = 1".to_string()];
    open.extend(more.iter().cloned());
    open.extend(window.ids_sql("t", false));
    format!(
        "SELECT * FROM (SELECT 0 AS q_arm, t.id AS q_id, {named} FROM tickets t \
         INDEXED BY {OPEN_FIELDS} {} ORDER BY {} LIMIT {cap}) \
         UNION ALL SELECT * FROM (SELECT 1 AS q_arm, t.id AS q_id, {named} FROM \
         ({walk}) AS s CROSS JOIN tickets t ON t.id = s.w_id {} LIMIT {cap})",
        b.where_with(&open),
        order_by(&b.keys, ascending),
        b.where_with(&[]),
    )
}

/// The working order's keys (urgency, registration, id).
const WORKING: [&str; 3] = ["t.urgency", "t.created_at", "t.id"];

/// The urgencies a condition keeps, when it names priorities (`priority:low,high`,
/// `priority<normal`, `-priority:normal`; the urgency is 3 less the priority's rank), else
/// None: every urgency.
pub(super) fn urgencies(c: &Cond) -> Option<Vec<i64>> {
    let all = || Priority::ALL.iter().map(|p| 3 - p.rank());
    match c {
        Cond::Priority(ps) => Some(ps.iter().map(|p| 3 - p.rank()).collect()),
        Cond::Not(x) => match &**x {
            Cond::Priority(ps) => Some(
                all()
                    .filter(|u| !ps.iter().any(|p| 3 - p.rank() == *u))
                    .collect(),
            ),
            _ => None,
        },
        Cond::And(cs) => cs
            .iter()
            .filter_map(urgencies)
            .reduce(|a, b| a.into_iter().filter(|u| b.contains(u)).collect()),
        _ => None,
    }
}

/// The walk of a split page's others (the tickets not open; see [`Store::split_page`]): up to
/// the window's ([`WALKED`] by default) ids, between its ids if it has them, from the position `key` in the working order's index (`tickets_queue`: not
/// open, then the key), and its arguments. When the condition keeps only some urgencies (its
/// priorities: the order's first key), each of them from the position on is walked in turn,
/// one seek each, instead of the index through every urgency between them (`priority<normal`:
/// the low ones are the last 150,000 of a million).
pub(super) fn others_walk(
    keys: &[String],
    urgencies: Option<&[i64]>,
    ascending: bool,
    key: Option<&[Value]>,
    window: &Window,
) -> (String, Vec<Value>) {
    let op = if ascending { ">" } else { "<" };
    let dir = if ascending { "ASC" } else { "DESC" };
    let keys_w: Vec<String> = keys.iter().map(|k| k.replace("t.", "w.")).collect();
    let walked = window.walked;
    let mut head =
        "SELECT w.id AS w_id FROM tickets w INDEXED BY tickets_queue WHERE w.is_open = 0"
            .to_string();
    if let Some(ids) = window.ids_sql("w", false) {
        head.push_str(&format!(" AND {ids}"));
    }
    let working = keys.iter().map(String::as_str).eq(WORKING);
    let (Some(urgencies), true) = (urgencies, working) else {
        let mut args = Vec::new();
        let mut walk = head.clone();
        if let Some(key) = key {
            let walked = Built {
                cond: None,
                args: Vec::new(),
                keys: keys_w.clone(),
            };
            walk.push_str(&format!(" AND {}", walked.key_cmp(op, key, &mut args)));
        }
        walk.push_str(&format!(
            " ORDER BY {} LIMIT {walked}",
            order_by(&keys_w, ascending)
        ));
        return (walk, args);
    };
    let mut urgencies = urgencies.to_vec();
    urgencies.sort_unstable();
    urgencies.dedup();
    if !ascending {
        urgencies.reverse();
    }
    // The position's urgency, its registration and id.
    let from = match key {
        Some([Value::Integer(u), created, id]) => Some((*u, created, id)),
        // A position no ticket has: every one after it is walked as before.
        Some(_) => return others_walk(keys, None, ascending, key, window),
        None => None,
    };
    let mut args = Vec::new();
    let mut arms = Vec::new();
    for u in urgencies {
        let mut arm = format!("{head} AND w.urgency = ?");
        match from {
            Some((at, _, _)) if (ascending && u < at) || (!ascending && u > at) => continue,
            Some((at, created, id)) if u == at => {
                args.push(Value::Integer(u));
                args.extend([created.clone(), id.clone()]);
                arm.push_str(&format!(" AND (w.created_at, w.id) {op} (?, ?)"));
            }
            _ => args.push(Value::Integer(u)),
        }
        arms.push(format!(
            "SELECT w_id FROM ({arm} ORDER BY w.created_at {dir}, w.id {dir} LIMIT {walked})"
        ));
    }
    if arms.is_empty() {
        return ("SELECT NULL AS w_id WHERE 0".into(), Vec::new());
    }
    (format!("{} LIMIT {walked}", arms.join(" UNION ALL ")), args)
}

/// SQLite's order of two values of a key (NULL, numbers, text, blobs).
fn value_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let class = |v: &Value| match v {
        Value::Null => 0,
        Value::Integer(_) | Value::Real(_) => 1,
        Value::Text(_) => 2,
        Value::Blob(_) => 3,
    };
    let num = |v: &Value| match v {
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        _ => 0.0,
    };
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
        _ if class(a) == class(b) && class(a) == 1 => {
            num(a).partial_cmp(&num(b)).unwrap_or(Ordering::Equal)
        }
        _ => class(a).cmp(&class(b)),
    }
}

fn key_order(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| value_order(x, y))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

impl Store {
    /// A page in the working order over the whole desk read as the open tickets and the
    /// others, each walked in an index of that order and merged (see the module's text): a
    /// page of either reads about a page when the condition keeps many of them. None when the
    /// walk of the others read [`WALKED`] of them and found less than the page: the condition
    /// keeps few, and is read the other way.
    pub(super) fn split_page(
        &self,
        b: &Built,
        urgencies: Option<&[i64]>,
        ascending: bool,
        key: Option<&[Value]>,
        (limit, offset): (usize, usize),
        window: &Window,
    ) -> Result<Option<Vec<QueueRow>>> {
        let op = if ascending { ">" } else { "<" };
        let (mut more, mut args) = (vec![], b.args.clone());
        if let Some(key) = key {
            more.push(b.key_cmp(op, key, &mut args));
        }
        let (walk, args_w) = others_walk(&b.keys, urgencies, ascending, key, window);
        let cap = sql_limit(limit).saturating_add(offset.min(i64::MAX as usize) as i64);
        args.extend(args_w.iter().cloned());
        args.extend(b.args.iter().cloned());
        let sql = split_sql(b, &more, &walk, ascending, cap, window);
        let n = b.keys.len();
        let run = || -> rusqlite::Result<Vec<(i64, i64, Vec<Value>)>> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
                let key = (0..n)
                    .map(|i| r.get::<_, Value>(2 + i))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((r.get(0)?, r.get(1)?, key))
            })?;
            rows.collect()
        };
        let mut found = run().map_err(|e| self.err(e))?;
        let others = found.iter().filter(|(arm, _, _)| *arm == 1).count() as i64;
        if others < cap {
            // Fewer than the page among the others walked: all of them, or the walk's end?
            let count = format!("SELECT count(*) FROM ({walk})");
            let walked: i64 = self
                .conn
                .prepare_cached(&count)
                .and_then(|mut s| s.query_row(params_from_iter(args_w.iter()), |r| r.get(0)))
                .map_err(|e| self.err(e))?;
            if walked >= window.walked {
                return Ok(None);
            }
        }
        found.sort_by(|x, y| {
            let o = key_order(&x.2, &y.2);
            if ascending { o } else { o.reverse() }
        });
        let ids: Vec<Value> = found
            .into_iter()
            .skip(offset)
            .take(if limit == 0 { usize::MAX } else { limit })
            .map(|(_, id, _)| Value::Integer(id))
            .collect();
        if ids.is_empty() {
            return Ok(Some(Vec::new()));
        }
        self.rows_of_ids(&b.keys, ascending, &ids).map(Some)
    }

    /// The rows of these tickets, whose ids are in the page's order, with their keys: read
    /// [`IDS_AT_ONCE`] at a time, each part sorted, so a page with no limit (`--limit 0`)
    /// of more tickets than SQLite takes variables in one statement (32,766) is read whole
    /// (it failed with "too many SQL variables").
    fn rows_of_ids(
        &self,
        keys: &[String],
        ascending: bool,
        ids: &[Value],
    ) -> Result<Vec<QueueRow>> {
        let mut rows = Vec::with_capacity(ids.len());
        for part in ids.chunks(IDS_AT_ONCE) {
            let sql = format!(
                "SELECT {}, {} FROM {FROM} WHERE t.id IN ({}) ORDER BY {}",
                COLS.replace("t.body", "''"),
                keys.join(", "),
                marks(part.len()),
                order_by(keys, ascending)
            );
            rows.extend(self.rows_keyed(&sql, part, keys.len())?);
        }
        Ok(rows)
    }
}

/// How many tickets' rows one statement reads by their ids (see [`Store::rows_of_ids`]):
/// fewer than the variables SQLite takes in one statement (32,766).
const IDS_AT_ONCE: usize = 10_000;

/// The walk of a page in an order with an index of its own over the whole desk (see
/// [`Store::walk_page`]): up to [`WALKED`] ticket ids from the position `key` in the index's
/// order, and its arguments. None when the position cannot be negated (`against`: no ticket's).
pub(super) fn walk_sql(
    b: &Built,
    against: bool,
    categories: Option<&[String]>,
    groups: Option<&[String]>,
    ascending: bool,
    key: Option<&[Value]>,
    window: &Window,
) -> Option<(String, Vec<Value>)> {
    if let Some(codes) = categories
        && b.keys.iter().map(String::as_str).eq(["t.number", "t.id"])
    {
        return Some(category_walk(codes, ascending, key, window));
    }
    if let Some(codes) = groups
        && b.keys.iter().map(String::as_str).eq(["t.number", "t.id"])
    {
        return Some(group_walk(codes, ascending, key, window));
    }
    let keys_w: Vec<String> = b
        .keys
        .iter()
        .map(|k| {
            let k = if against {
                k.strip_prefix('-').unwrap_or(k)
            } else {
                k
            };
            k.replace("t.", "w.")
        })
        .collect();
    let walk_ascending = ascending != against;
    let mut args_w = Vec::new();
    let mut bound = Vec::new();
    if let Some(key) = key {
        let key: Vec<Value> = if against {
            let negated = key
                .iter()
                .map(|v| match v {
                    Value::Integer(i) => i.checked_neg().map(Value::Integer),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>();
            negated?
        } else {
            key.to_vec()
        };
        let walked = Built {
            cond: None,
            args: Vec::new(),
            keys: keys_w.clone(),
        };
        let op = if walk_ascending { ">" } else { "<" };
        // The first key's bound alone too: SQLite seeks an index of expressions by it,
        // where it would read the index from its start up to the position.
        if let (Some(k0), Some(v0)) = (keys_w.first(), key.first()) {
            args_w.push(v0.clone());
            bound.push(format!("{k0} {op}= ?"));
        }
        bound.push(walked.key_cmp(op, &key, &mut args_w));
    }
    // The ids the condition's tickets lie between, tested in the index's own entries, and the
    // update time's condition, which the update order's index seeks.
    bound.extend(window.ids_sql("w", keys_w == ["w.id"]));
    if let Some((seek, args)) = &window.seek {
        bound.push(seek.clone());
        args_w.extend(args.iter().cloned());
    }
    let walk_where = if bound.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", bound.join(" AND "))
    };
    let walk = format!(
        "SELECT w.id AS w_id FROM tickets w {walk_where} ORDER BY {} LIMIT {}",
        order_by(&keys_w, walk_ascending),
        window.walked
    );
    Some((walk, args_w))
}

/// The categories a condition keeps or leaves out (`category:SOC`, `-category:HSG`, beside
/// others), over the walk's `w`, with their arguments: a walk in subject order tests them in
/// the subject index's own entries, which hold each ticket's category (schema V32), instead of
/// in each walked ticket's row. A subject is most often one category's (`broken entrance door
/// lock`: the first 20,571 tickets by subject on the 1M demo, all HSG), so a walk under a
/// category met its tickets only past every earlier subject's: `-category:HSG --sort subject`
/// read 25,000 rows (40 ms of processor time), `category:SOC` 130,000 (0.5 s). None when the
/// condition names no category outside an alternative.
fn subject_categories(c: &Cond) -> Option<(String, Vec<Value>)> {
    let parts: &[Cond] = match c {
        Cond::And(cs) => cs,
        c => std::slice::from_ref(c),
    };
    let (mut terms, mut args) = (Vec::new(), Vec::new());
    for c in parts {
        let (codes, not) = match c {
            Cond::Category(codes) => (codes, ""),
            Cond::Not(x) => match &**x {
                Cond::Category(codes) => (codes, "NOT "),
                _ => continue,
            },
            _ => continue,
        };
        if codes.is_empty() {
            // No category: none kept, or none left out (the condition's own SQL says so).
            continue;
        }
        // (Not sought in the category's index, which SQLite would read and sort.)
        terms.push(format!("+w.category {not}IN ({})", marks(codes.len())));
        args.extend(codes.iter().map(|c| Value::Text(c.clone())));
    }
    (!terms.is_empty()).then(|| (terms.join(" AND "), args))
}

/// The categories a condition keeps its tickets in, when it names them (`category:HSG,DOC`
/// alone or beside others), else None.
pub(super) fn categories(c: &Cond) -> Option<Vec<String>> {
    match c {
        Cond::Category(codes) => Some(codes.clone()),
        Cond::And(cs) => cs.iter().find_map(categories),
        _ => None,
    }
}

/// The walk of a page in number order of the tickets of some categories (see
/// [`walk_sql`]): each category's tickets from the position in the category's index
/// (`tickets_category`: category, number, id; schema V29), one seek each, merged in number
/// order (SQLite merges the arms of a compound SELECT whose ORDER BY each arm's index gives),
/// up to the window's ([`WALKED`] by default) of them, between its ids if it has them. The numbers of a category are most often a stretch of the
/// number order far from its start (they begin with its code), which a walk of every number
/// reached only after every earlier category's.
fn category_walk(
    codes: &[String],
    ascending: bool,
    key: Option<&[Value]>,
    window: &Window,
) -> (String, Vec<Value>) {
    numbered_walk(
        "tickets_category",
        "category",
        &[""],
        codes,
        ascending,
        key,
        window,
    )
}

/// The groups a condition keeps its tickets in (`group:HOUSING,IT`, `group:mine`: the viewer's)
/// alone or beside others, else None.
pub(super) fn groups(c: &Cond, viewer: &Viewer) -> Option<Vec<String>> {
    match c {
        Cond::Group(Groups::Codes(codes)) => Some(codes.clone()),
        Cond::Group(Groups::Mine) => Some(viewer.groups.clone()),
        Cond::And(cs) => cs.iter().find_map(|c| groups(c, viewer)),
        _ => None,
    }
}

/// The walk of a page in number order of the tickets of some groups, as [`category_walk`]'s
/// of categories: each group's open tickets and its others from the position in the group's
/// index (`tickets_group_number`: open or not, group, number, id; schema V31), merged in
/// number order. A group's
/// tickets are in every category (a ticket passed on keeps its category and number), so a
/// walk of every number met them spread over the whole order: one in 60 among the first
/// category's on the 1M demo, one in 300 with `priority>=high` beside.
fn group_walk(
    codes: &[String],
    ascending: bool,
    key: Option<&[Value]>,
    window: &Window,
) -> (String, Vec<Value>) {
    numbered_walk(
        "tickets_group_number",
        "group_code",
        &[" AND w.is_open = 0", " AND w.is_open = 1"],
        codes,
        ascending,
        key,
        window,
    )
}

/// The walk in number order of the tickets whose `column` is one of `codes`, each code's in
/// `index` (column, number, id) from the position, merged (see [`category_walk`]); each code's
/// in as many `parts` as its index holds before the number (each one more condition).
fn numbered_walk(
    index: &str,
    column: &str,
    parts: &[&str],
    codes: &[String],
    ascending: bool,
    key: Option<&[Value]>,
    window: &Window,
) -> (String, Vec<Value>) {
    let (op, dir) = if ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let mut codes = codes.to_vec();
    codes.sort();
    codes.dedup();
    let mut args = Vec::new();
    let arms: Vec<String> = codes
        .into_iter()
        .flat_map(|code| parts.iter().map(move |part| (code.clone(), part)))
        .map(|(code, part)| {
            args.push(Value::Text(code));
            let mut arm = format!(
                "SELECT w.id AS w_id, w.number AS w_number FROM tickets w \
                 INDEXED BY {index} WHERE w.{column} = ?{part}"
            );
            if let Some(ids) = window.ids_sql("w", false) {
                arm.push_str(&format!(" AND {ids}"));
            }
            if let Some(key) = key {
                args.extend(key.iter().cloned());
                arm.push_str(&format!(
                    " AND (w.number, w.id) {op} ({})",
                    marks(key.len())
                ));
            }
            arm
        })
        .collect();
    if arms.is_empty() {
        return ("SELECT NULL AS w_id WHERE 0".into(), Vec::new());
    }
    (
        format!(
            "{} ORDER BY 2 {dir}, 1 {dir} LIMIT {}",
            arms.join(" UNION ALL "),
            window.walked
        ),
        args,
    )
}

impl Store {
    /// A page in an order with an index of its own over the whole desk (see
    /// [`walked_order`]): that index walked from the position, up to [`WALKED`] tickets, each
    /// one's row tested against the condition until the page is full, so a condition that
    /// keeps many tickets reads about a page of rows instead of all of them sorted. `against`:
    /// the index holds the order's keys negated (walked the other way, from the position
    /// negated). None when the walk read [`WALKED`] tickets and found less than the page: the
    /// condition keeps few, and is read the other way.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn walk_page(
        &self,
        b: &Built,
        against: bool,
        categories: Option<&[String]>,
        groups: Option<&[String]>,
        ascending: bool,
        key: Option<&[Value]>,
        (limit, offset): (usize, usize),
        window: &Window,
    ) -> Result<Option<Vec<QueueRow>>> {
        // A position no ticket of the index can have: the plain reader's.
        let Some((walk, args_w)) = walk_sql(b, against, categories, groups, ascending, key, window)
        else {
            return Ok(None);
        };
        let cap = sql_limit(limit).saturating_add(offset.min(i64::MAX as usize) as i64);
        // The walk's order kept by the CROSS JOIN: no ORDER BY, which would read the whole
        // walk to sort it.
        let sql = format!(
            "SELECT t.id FROM ({walk}) AS s CROSS JOIN tickets t ON t.id = s.w_id {} LIMIT {cap}",
            b.where_with(&[])
        );
        let mut args = args_w.clone();
        args.extend(b.args.iter().cloned());
        let run = |sql: &str, args: &[Value]| -> rusqlite::Result<Vec<i64>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map(params_from_iter(args.iter()), |r| r.get(0))?;
            rows.collect()
        };
        let found = run(&sql, &args).map_err(|e| self.err(e))?;
        if (found.len() as i64) < cap {
            // Fewer than the page: every ticket from the position walked, or the walk's end?
            let count = format!("SELECT count(*) FROM ({walk})");
            let walked: i64 = self
                .conn
                .prepare_cached(&count)
                .and_then(|mut s| s.query_row(params_from_iter(args_w.iter()), |r| r.get(0)))
                .map_err(|e| self.err(e))?;
            if walked >= window.walked {
                return Ok(None);
            }
        }
        let ids: Vec<Value> = found
            .into_iter()
            .skip(offset)
            .take(if limit == 0 { usize::MAX } else { limit })
            .map(Value::Integer)
            .collect();
        if ids.is_empty() {
            return Ok(Some(Vec::new()));
        }
        self.rows_of_ids(&b.keys, ascending, &ids).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{Channel, Priority, StatusCategory};
    use crate::core::query::{Cmp, Groups, SlaState, Text, When, Who};
    use crate::store::query::build::{build, built, memory_desk, plan};
    use rusqlite::types::Value;

    /// Over the whole desk in the working order, a condition no index of its own finds is read
    /// as the open tickets and the others, each walked in an index of that order and merged:
    /// no ticket's row is read but those walked, nothing sorted but each arm's page, from the
    /// top and from a position, both ways. (SQLite read and sorted every ticket of a million:
    /// `category:HSG`, `(assignee:none OR -is:open)` 0.3-0.6 s.)
    #[test]
    fn a_condition_no_index_finds_walks_the_working_order() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(vec!["HOUSING".into()]);
        let day = When::Ago(86_400);
        for cond in [
            // (A category has an index of its own, schema V30: on this empty desk it finds
            // few and drives.)
            Cond::Channel(vec![Channel::Web, Channel::Phone]),
            Cond::Category(vec!["HSG".into()]).not(),
            Cond::Channel(vec![Channel::Phone]),
            Cond::Priority(vec![Priority::Urgent]),
            Cond::Priority(vec![Priority::Low, Priority::High]),
            Cond::Priority(vec![Priority::Normal]).not(),
            Cond::Open.not(),
            Cond::Or(vec![Cond::Assignee(Who::Nobody), Cond::Open.not()]),
            Cond::Or(vec![
                Cond::Category(vec!["HSG".into()]).not(),
                Cond::Priority(vec![Priority::Urgent]),
            ]),
            Cond::Or(vec![
                Cond::Group(Groups::Mine),
                Cond::Channel(vec![Channel::Web]),
            ]),
            // A time's negation: walked too, its tickets' share unknown.
            Cond::Date(DateField::Due, Cmp::Before, day).not(),
            Cond::Date(DateField::FirstResponse, Cmp::Before, day)
                .not()
                .and(Cond::Or(vec![
                    Cond::Group(Groups::Mine),
                    Cond::Channel(vec![Channel::Web]),
                ])),
        ] {
            let q = Query::new(cond.clone());
            let driven = drive(&conn, &cfg, &q, &viewer).expect("drive");
            assert_eq!(driven, Drive::Split, "{cond:?}");
            let b = build(&conn, &Terms::none(), &cfg, &q, &viewer, true).expect("build");
            let key = [1, 2, 3].map(Value::Integer);
            for (ascending, from) in [(true, None), (false, Some(&key)), (true, Some(&key))] {
                let op = if ascending { ">" } else { "<" };
                let mut args = b.args.clone();
                let more: Vec<String> = from
                    .map(|k| b.key_cmp(op, k, &mut args))
                    .into_iter()
                    .collect();
                let (walk, args_w) = others_walk(
                    &b.keys,
                    urgencies(&cond).as_deref(),
                    ascending,
                    from.map(|k| &k[..]),
                    &Window::default(),
                );
                args.extend(args_w);
                args.extend(b.args.iter().cloned());
                let plan = plan(
                    &conn,
                    &split_sql(&b, &more, &walk, ascending, 57, &Window::default()),
                    &args,
                );
                // Each arm walks its index (the open tickets' whole, from the top), reads the
                // rows it walks by their id, and sorts nothing; the others' walk searches
                // each urgency the priorities keep from the position, each one's own seek
                // (none left after the position: no walk).
                assert!(plan.iter().all(|l| l != "SCAN t"), "{cond:?}: {plan:?}");
                let kept = urgencies(&cond).map(|u| {
                    u.iter()
                        .filter(|&&u| from.is_none_or(|_| if ascending { u >= 1 } else { u <= 1 }))
                        .count()
                });
                let seeks = plan
                    .iter()
                    .filter(|l| {
                        l.starts_with("SEARCH w USING INDEX tickets_queue (is_open=? AND urgency=?")
                    })
                    .count();
                assert_eq!(kept.unwrap_or(0), seeks, "{cond:?} {ascending}: {plan:?}");
                let walks: &[_] = if kept == Some(0) {
                    &[("t", OPEN_FIELDS)]
                } else {
                    &[("t", OPEN_FIELDS), ("w", "tickets_queue")]
                };
                for &(alias, index) in walks {
                    assert!(
                        plan.iter().any(|l| l
                            .starts_with(&format!("SEARCH {alias} USING INDEX {index}"))
                            || l == &format!("SCAN {alias} USING INDEX {index}")),
                        "{cond:?}: {plan:?}"
                    );
                }
                assert!(
                    plan.iter().all(|l| !l.contains("TEMP B-TREE")),
                    "{cond:?}: {plan:?}"
                );
            }
            // Another order with an index of every ticket walks it (a time's index when
            // too few are found); by status or assignee, each one's tickets in turn.
            let by = |sort| {
                let q = Query { sort, ..q.clone() };
                drive(&conn, &cfg, &q, &viewer).expect("drive")
            };
            assert_eq!(by(SortKey::Subject), Drive::Walk(None), "{cond:?}");
            assert_eq!(by(SortKey::Status), Drive::Merged, "{cond:?}");
            assert_eq!(by(SortKey::Assignee), Drive::Merged, "{cond:?}");
        }
        // Text walks an order that spreads its hits when they are many, else SQLite's own
        // plan reads it (here: none).
        let text = Text::words("heating").and(Cond::Channel(vec![Channel::Phone]));
        for sort in SortKey::ALL {
            let q = Query {
                cond: text.clone(),
                sort,
                reverse: false,
            };
            let driven = drive(&conn, &cfg, &q, &viewer).expect("drive");
            assert_eq!(driven, Drive::Own, "{sort:?}");
        }
        // The open queue and the whole desk have readers of their own.
        for cond in [
            Cond::Open.and(Cond::Category(vec!["HSG".into()])),
            Cond::Sla(SlaState::Breached),
            Cond::all(),
        ] {
            let q = Query::new(cond.clone());
            assert_eq!(drive(&conn, &cfg, &q, &viewer).expect("drive"), Drive::Own);
        }
    }

    /// A condition with an index of its own finding few tickets drives the page and the
    /// count through that index, the fewest among several (all none on an empty desk: the
    /// first), the count from the index alone (schema V25: the closing time had no index).
    #[test]
    fn a_few_tickets_are_found_by_their_own_index() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(vec!["HOUSING".into()]);
        let month = When::Day(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).expect("a day"));
        for (cond, index) in [
            (
                Cond::Date(DateField::Closed, Cmp::After, month),
                "tickets_closed",
            ),
            (
                Cond::Date(DateField::Resolved, Cmp::AtOrAfter, month),
                "tickets_resolved",
            ),
            (
                Cond::Date(DateField::Created, Cmp::Before, month),
                "tickets_created",
            ),
            // Schema V27: the update, due and first response times had none.
            (
                Cond::Date(DateField::Updated, Cmp::After, month),
                "tickets_updated",
            ),
            (
                Cond::Date(DateField::Due, Cmp::BeforeOrAt, month),
                "tickets_due_at",
            ),
            (
                Cond::Date(DateField::FirstResponse, Cmp::AtOrAfter, month),
                "tickets_responded",
            ),
        ] {
            let q = Query::new(cond.clone().and(Cond::Category(vec!["HSG".into()])));
            assert_eq!(
                drive(&conn, &cfg, &q, &viewer).expect("drive"),
                Drive::Index(index)
            );
            let b = built(&conn, &cfg, &Query::new(cond.clone()), &viewer);
            let sql = format!(
                "SELECT count(*) FROM tickets t INDEXED BY {index} {}",
                b.where_with(&[])
            );
            let plan = plan(&conn, &sql, &b.args);
            assert!(
                plan.iter()
                    .any(|l| l.contains(&format!("COVERING INDEX {index} "))),
                "{cond:?}: {plan:?}"
            );
        }
        let q = Query::new(
            Cond::Group(Groups::Mine)
                .and(Cond::StatusCategory(vec![StatusCategory::Closed]).not())
                .and(Cond::Assignee(Who::Me)),
        );
        assert_eq!(
            drive(&conn, &cfg, &q, &viewer).expect("drive"),
            Drive::Index("tickets_group")
        );
    }

    /// A desk of 25,000 closed tickets, registered 100 s apart, each updated 50 s and
    /// resolved 10 s after it was registered: a time's tickets are a stretch of ids.
    fn dated_desk() -> (Connection, Viewer) {
        let (conn, viewer) = memory_desk(vec!["HOUSING".into()]);
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25000)
             INSERT INTO tickets (id, number, number_key, scope, seq, subject, channel,
                 category, priority, status, is_open, created_at, updated_at, resolved_at)
             SELECT i, 'N' || i, 'N' || i, 'S', i, 'Subject ' || (i % 7), 'web', 'HSG', i % 4,
                 'closed', 0, i * 100, i * 100 + 50, i * 100 + 10 FROM n",
        )
        .expect("tickets");
        (conn, viewer)
    }

    /// A time that keeps more tickets than are sorted ([`FEW`]) no longer drives a sort of
    /// them all, in any order: the page is walked and the walk given the ids they lie
    /// between, read from the time's index, which still drives the count and the page a walk
    /// gives up on; far fewer are still sorted (schema V28's reader sorted 40,000 tickets for a
    /// month on a million: 40-60 ms).
    #[test]
    fn a_time_of_thousands_gives_the_walk_their_ids() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = dated_desk();
        let between = |field, a: i64, b: i64| {
            Cond::Date(field, Cmp::AtOrAfter, When::At(a * 100)).and(Cond::Date(
                field,
                Cmp::Before,
                When::At(b * 100),
            ))
        };
        for sort in SortKey::ALL {
            for (cond, index) in [
                (
                    between(DateField::Resolved, 2000, 24000),
                    "tickets_resolved",
                ),
                (between(DateField::Created, 2000, 24000), "tickets_created"),
                (
                    between(DateField::Updated, 2000, 24000).and(Cond::Channel(vec![Channel::Web])),
                    "tickets_updated",
                ),
            ] {
                let q = Query {
                    cond: cond.clone(),
                    sort,
                    reverse: false,
                };
                let d = driven(&conn, &cfg, &q, &viewer, true).expect("drive");
                let want = match walked_order(sort) {
                    Some(_) => Drive::Walk(Some(index)),
                    None if sort == SortKey::Priority => Drive::Split,
                    None => Drive::Merged,
                };
                assert_eq!(d.drive, want, "{sort:?} {cond:?}");
                assert_eq!(d.window.ids, Some((2000, 23999)), "{sort:?} {cond:?}");
                // The working order's walk gives up to the time's index; the others' to
                // their own.
                let fallback = (sort == SortKey::Priority).then_some(index);
                assert_eq!(d.window.fallback, fallback, "{sort:?} {cond:?}");
                // The update order seeks the update time's own bound.
                assert_eq!(
                    d.window.seek.is_some(),
                    sort == SortKey::Updated && index == "tickets_updated",
                    "{sort:?} {cond:?}"
                );
                // A count reads the time's index alone.
                let counted = driven(&conn, &cfg, &q, &viewer, false).expect("drive");
                let want = match walked_order(sort) {
                    Some(_) => Drive::Walk(Some(index)),
                    None => Drive::Index(index),
                };
                assert_eq!(counted.drive, want, "{sort:?} {cond:?}");
                assert_eq!(counted.window.ids, None);
                // Far fewer are sorted (fewer than √(50 × the tickets): see
                // `a_time_of_a_few_thousand_gives_the_walk_their_ids`).
                let few = Query {
                    cond: between(DateField::Resolved, 2000, 3000),
                    ..q.clone()
                };
                assert_eq!(
                    drive(&conn, &cfg, &few, &viewer).expect("drive"),
                    Drive::Index("tickets_resolved")
                );
            }
        }
    }

    /// A time bounded from below that keeps fewer tickets than are sorted ([`FEW`]) but more
    /// than √(50 × the desk's tickets) (1,118 of 25,000; by number twice as many), the
    /// fewest of a condition whose every part an index counts, gives the walk of any order
    /// the ids they lie between (the tickets updated this week on a million: 14,612 read
    /// and sorted in 17-24 ms of processor time, 5-12 walked); sorted as before: fewer, by
    /// age the time alone (its index gives the ids sorted), beside a condition no index
    /// counts, in the working order when half of them are open; a count reads the time's
    /// index alone.
    #[test]
    fn a_time_of_a_few_thousand_gives_the_walk_their_ids() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = dated_desk();
        // Updated from the 21,000th ticket on: 4,001 tickets, ids 21,000 to 25,000.
        let since = |i: i64| Cond::Date(DateField::Updated, Cmp::AtOrAfter, When::At(i * 100));
        let hsg = Cond::Category(vec!["HSG".into()]);
        let index = "tickets_updated";
        let by = |cond: &Cond, sort, windowed| {
            let q = Query {
                cond: cond.clone(),
                sort,
                reverse: false,
            };
            driven(&conn, &cfg, &q, &viewer, windowed).expect("drive")
        };
        for sort in SortKey::ALL {
            for cond in [since(21_000), since(21_000).and(hsg.clone())] {
                let d = by(&cond, sort, true);
                let sorted = sort == SortKey::Age && cond == since(21_000);
                let want = match walked_order(sort) {
                    _ if sorted => Drive::Index(index),
                    Some(_) => Drive::Walk(Some(index)),
                    None if sort == SortKey::Priority => Drive::Split,
                    None => Drive::Merged,
                };
                assert_eq!(d.drive, want, "{sort:?} {cond:?}");
                let ids = (!sorted).then_some((21_000, 25_000));
                assert_eq!(d.window.ids, ids, "{sort:?} {cond:?}");
                let fallback = (sort == SortKey::Priority).then_some(index);
                assert_eq!(d.window.fallback, fallback, "{sort:?} {cond:?}");
                let counted = by(&cond, sort, false);
                assert_eq!(counted.drive, Drive::Index(index), "{sort:?} {cond:?}");
                assert_eq!(counted.window.ids, None, "{sort:?} {cond:?}");
            }
            // 1,001 tickets: sorted; 2,001: walked, but by number sorted.
            for (cond, walked) in [
                (since(24_000), false),
                (
                    since(23_000),
                    sort != SortKey::Number && sort != SortKey::Age,
                ),
                (since(21_000).and(Cond::Channel(vec![Channel::Web])), false),
            ] {
                let d = by(&cond, sort, true);
                assert_eq!(d.window.ids.is_some(), walked, "{sort:?} {cond:?}");
                if !walked {
                    assert_eq!(d.drive, Drive::Index(index), "{sort:?} {cond:?}");
                }
            }
        }
        // Half of them open and one more: the working order's walk of the others would
        // read their whole index; the other orders walk all tickets.
        conn.execute_batch("UPDATE tickets SET is_open = 1, status = 'new' WHERE id >= 23000")
            .expect("open");
        let d = by(&since(21_000), SortKey::Priority, true);
        assert_eq!((d.drive, d.window.ids), (Drive::Index(index), None));
        let d = by(&since(21_000), SortKey::Subject, true);
        assert_eq!(d.window.ids, Some((21_000, 25_000)));
        conn.execute_batch("UPDATE tickets SET is_open = 0, status = 'closed' WHERE id = 23000")
            .expect("closed");
        let d = by(&since(21_000), SortKey::Priority, true);
        assert_eq!(
            (d.drive, d.window.ids),
            (Drive::Split, Some((21_000, 25_000)))
        );
    }

    /// A walk given the ids of a time's tickets tests them in the index it walks (the row id
    /// every index holds), before reading a row: the registration order seeks them in the
    /// table itself, and the update order seeks the update time's bound in its index instead
    /// of reading the tickets updated since (`updated>7d --all --sort updated`: 136 ms on a
    /// million).
    #[test]
    fn a_walk_seeks_the_ids_and_the_update_time() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = dated_desk();
        // Every walked order walks its index, the ids tested in its entries: SQLite would
        // rather seek the ids in the table and sort every ticket between them.
        let month = Cond::Date(DateField::Resolved, Cmp::AtOrAfter, When::At(200_000)).and(
            Cond::Date(DateField::Resolved, Cmp::Before, When::At(2_400_000)),
        );
        let mut walked = 0;
        for sort in SortKey::ALL {
            let Some(against) = walked_order(sort) else {
                continue;
            };
            let q = Query {
                cond: month.clone(),
                sort,
                reverse: false,
            };
            let d = driven(&conn, &cfg, &q, &viewer, true).expect("drive");
            assert_eq!(d.window.ids, Some((2000, 23999)), "{sort:?}");
            let b = build(&conn, &Terms::none(), &cfg, &q, &viewer, true).expect("build");
            let key: Vec<Value> = (0..b.keys.len() as i64).map(Value::Integer).collect();
            for (ascending, from) in [(true, None), (false, Some(&key[..]))] {
                let (walk, args) = walk_sql(&b, against, None, None, ascending, from, &d.window)
                    .expect("a position");
                let plan = plan(&conn, &walk, &args);
                assert!(
                    plan.iter().all(|l| !l.contains("TEMP B-TREE")),
                    "{sort:?}: {plan:?}"
                );
                walked += 1;
            }
        }
        assert_eq!(walked, 12);
        // Most of the desk, updated before a time: no ids, but the seek.
        let before = Cond::Date(DateField::Updated, Cmp::Before, When::At(2_400_000));
        for (sort, cond, step) in [
            (
                SortKey::Age,
                Cond::Date(DateField::Resolved, Cmp::AtOrAfter, When::At(200_000)),
                "USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)",
            ),
            (
                SortKey::Updated,
                before.clone(),
                "INDEX tickets_updated (updated_at<?)",
            ),
            (
                SortKey::Updated,
                before.and(Cond::Channel(vec![Channel::Web])),
                "INDEX tickets_updated (updated_at<?)",
            ),
        ] {
            let q = Query {
                cond: cond.clone(),
                sort,
                reverse: false,
            };
            let d = driven(&conn, &cfg, &q, &viewer, true).expect("drive");
            assert!(matches!(d.drive, Drive::Walk(_)), "{cond:?}: {d:?}");
            let b = build(&conn, &Terms::none(), &cfg, &q, &viewer, true).expect("build");
            let against = walked_order(sort).expect("walked");
            let key: Vec<Value> = (0..b.keys.len() as i64).map(Value::Integer).collect();
            for from in [None, Some(&key[..])] {
                let (walk, args) =
                    walk_sql(&b, against, None, None, true, from, &d.window).expect("a position");
                let plan = plan(&conn, &walk, &args);
                assert!(
                    plan.iter()
                        .any(|l| l.starts_with("SEARCH w ") && l.ends_with(step)),
                    "{cond:?}: {plan:?}"
                );
                assert!(
                    plan.iter().all(|l| !l.contains("TEMP B-TREE")),
                    "{cond:?}: {plan:?}"
                );
            }
        }
    }

    /// Over the whole desk another order with an index of its own is walked in that index,
    /// from the top and from a position, both ways: a seek to the position (never the index
    /// read from its start), each walked ticket's row read by its id, nothing sorted (schema
    /// V27: SQLite read and sorted every ticket a condition kept: 0.5 s on a million for
    /// `status:closed --sort subject`).
    #[test]
    fn another_order_walks_its_own_index() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(vec!["HOUSING".into()]);
        let mut walked = 0;
        for sort in SortKey::ALL {
            let Some(against) = walked_order(sort) else {
                continue;
            };
            walked += 1;
            for cond in [Cond::all(), Cond::Channel(vec![Channel::Phone])] {
                let q = Query {
                    cond: cond.clone(),
                    sort,
                    reverse: false,
                };
                assert_eq!(
                    drive(&conn, &cfg, &q, &viewer).expect("drive"),
                    Drive::Walk(None),
                    "{sort:?} {cond:?}"
                );
                let b = build(&conn, &Terms::none(), &cfg, &q, &viewer, true).expect("build");
                let key: Vec<Value> = (0..b.keys.len() as i64).map(Value::Integer).collect();
                for (ascending, from) in [
                    (true, None),
                    (false, Some(&key[..])),
                    (true, Some(&key[..])),
                ] {
                    let (walk, args) =
                        walk_sql(&b, against, None, None, ascending, from, &Window::default())
                            .expect("a position");
                    let plan = plan(&conn, &walk, &args);
                    assert!(
                        plan.iter().all(|l| !l.contains("TEMP B-TREE")),
                        "{sort:?} {ascending}: {plan:?}"
                    );
                    if from.is_some() {
                        assert!(
                            plan.iter().any(|l| l.starts_with("SEARCH w USING")),
                            "{sort:?} {ascending}: {plan:?}"
                        );
                    }
                }
            }
        }
        assert_eq!(walked, 6);
        // A position the update time's index cannot hold (its negation overflows).
        let q = Query {
            cond: Cond::all(),
            sort: SortKey::Updated,
            reverse: false,
        };
        let b = build(&conn, &Terms::none(), &cfg, &q, &viewer, true).expect("build");
        let key = [Value::Integer(i64::MIN), Value::Integer(1)];
        assert!(walk_sql(&b, true, None, None, true, Some(&key), &Window::default()).is_none());
    }

    /// A page reader: (store, query, ascending, position, limit) to its rows, None when its
    /// walk gave up.
    type Reader<'a> =
        dyn Fn(&Store, &Built, bool, Option<&[Value]>, usize) -> Option<Vec<QueueRow>> + 'a;

    /// A desk of 120 tickets whose numbers interleave their categories and their groups (some
    /// with none) and whose registration times repeat, some open; a page reader over it
    /// against plain SQL: every
    /// page of 7 forwards and of 6 backwards from the bottom gives exactly the tickets and the
    /// order of the plain statement, whatever walk reads them.
    fn pages_match_plain_sql(read: &Reader, cond: &Cond, sort: SortKey, plain: &str) {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(vec!["HOUSING".into(), "IT".into()]);
        conn.execute_batch(
            "INSERT INTO groups (code, name) VALUES ('HOUSING', 'h'), ('IT', 'i'), ('SOCIAL', 's')",
        )
        .expect("groups");
        for i in 0..120_i64 {
            let (open, cat) = (i % 5 == 0, ["CMP", "DOC", "HSG"][(i % 3) as usize]);
            let group = [Some("HOUSING"), Some("IT"), None, Some("SOCIAL")][(i % 4) as usize];
            let subject = ["Roof", "door", "Heating", "lift", "Bins"][(i % 5) as usize];
            conn.execute(
                "INSERT INTO tickets (number, number_key, scope, seq, subject, channel, category,
                 priority, status, is_open, created_at, updated_at, group_code)
                 VALUES (?1, ?1, 'x', ?2, ?9, 'web', ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
                rusqlite::params![
                    format!("N{:03}", (i * 37) % 121),
                    i,
                    cat,
                    (i / 3) % 4,
                    if open { "new" } else { "closed" },
                    open,
                    1_000 + (i * 13) % 40,
                    group,
                    subject
                ],
            )
            .expect("a ticket");
        }
        let want: Vec<i64> = {
            let mut stmt = conn
                .prepare(&format!("SELECT id FROM tickets t WHERE {plain}"))
                .expect("plain");
            let rows = stmt.query_map([], |r| r.get(0)).expect("plain");
            rows.collect::<rusqlite::Result<_>>().expect("plain")
        };
        assert!(want.len() > 20, "{plain}: {want:?}");
        let store = Store::over(conn, "memory".into(), false, Default::default());
        for reverse in [false, true] {
            let q = Query {
                cond: cond.clone(),
                sort,
                reverse,
            };
            let b = build(&store.conn, &Terms::none(), &cfg, &q, &viewer, true).expect("build");
            let mut want = want.clone();
            if reverse {
                want.reverse();
            }
            let ids = |rows: &[QueueRow]| rows.iter().map(|r| r.ticket.id).collect::<Vec<_>>();
            let mut seen = Vec::new();
            let mut rows = read(&store, &b, !reverse, None, 7).expect("a page");
            // (A walk that does not move on stops at more rows than the plain statement's.)
            while let Some(last) = rows.last().map(|r| r.key.clone())
                && seen.len() <= want.len()
            {
                seen.extend(ids(&rows));
                rows = read(&store, &b, !reverse, Some(&last), 7).expect("a page");
            }
            assert_eq!(seen, want, "{plain} {reverse}: forwards");
            let mut back = Vec::new();
            let mut rows = read(&store, &b, reverse, None, 6).expect("a page");
            // Read the other way: each page's last row is the position of the next.
            while let Some(last) = rows.last().map(|r| r.key.clone())
                && back.len() <= want.len()
            {
                back.extend(ids(&rows));
                rows = read(&store, &b, reverse, Some(&last), 6).expect("a page");
            }
            back.reverse();
            assert_eq!(back, want, "{plain} {reverse}: backwards");
        }
    }

    /// In number order the tickets of some categories are each one's walked in the category's
    /// index and merged (schema V30), from the top and from a position, both ways: exactly
    /// the order plain SQL gives (fails when the walks are read one after the other).
    #[test]
    fn a_categorys_tickets_are_walked_in_number_order() {
        for (cond, plain) in [
            (Cond::Category(vec!["HSG".into()]), "category = 'HSG'"),
            (
                Cond::Category(vec!["HSG".into(), "CMP".into()]),
                "category IN ('HSG', 'CMP')",
            ),
            (
                Cond::Category(vec!["DOC".into(), "HSG".into(), "CMP".into()])
                    .and(Cond::Priority(vec![Priority::Urgent]).not()),
                "priority <> 3",
            ),
        ] {
            let codes = categories(&cond).expect("categories");
            let read = |s: &Store, b: &Built, asc: bool, key: Option<&[Value]>, n: usize| {
                s.walk_page(
                    b,
                    false,
                    Some(&codes),
                    None,
                    asc,
                    key,
                    (n, 0),
                    &Window::default(),
                )
                .expect("walk")
            };
            pages_match_plain_sql(
                &read,
                &cond,
                SortKey::Number,
                &format!("{plain} ORDER BY number, id"),
            );
        }
    }

    /// In number order the tickets of some groups (the viewer's for `group:mine`) are each
    /// one's walked in the group's index and merged (schema V31), from the top and from a
    /// position, both ways, beside other conditions: exactly the order plain SQL gives (fails
    /// when the walks are read one after the other, or when a group's walk does not start
    /// from the position); each walk seeks its group in that index and sorts nothing.
    #[test]
    fn a_groups_tickets_are_walked_in_number_order() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(vec!["HOUSING".into(), "IT".into()]);
        let codes = |c: &[&str]| Groups::Codes(c.iter().map(|c| c.to_string()).collect());
        // SQLite's own plans never take the group's number index for a group over the whole
        // desk (its count, its page by number: the group's own index walks it by urgency),
        // and take it for a group's open tickets by number (their count either way).
        let high = Cond::Group(codes(&["HOUSING"]))
            .and(Cond::Priority(vec![Priority::High, Priority::Urgent]));
        for (cond, number_index) in [(high.clone(), false), (Cond::Open.and(high), true)] {
            let q = Query {
                cond,
                sort: SortKey::Number,
                reverse: false,
            };
            let b = built(&conn, &cfg, &q, &viewer);
            for sql in [
                format!("SELECT count(*) FROM tickets t {}", b.where_with(&[])),
                format!(
                    "SELECT t.id FROM tickets t {} ORDER BY {} LIMIT 50",
                    b.where_with(&[]),
                    order_by(&b.keys, true)
                ),
            ] {
                let plan = plan(&conn, &sql, &b.args);
                let uses = plan.iter().any(|l| l.contains("tickets_group_number"));
                if !number_index || sql.contains("LIMIT") {
                    assert_eq!(uses, number_index, "{sql}: {plan:?}");
                }
            }
        }
        for (cond, plain) in [
            (Cond::Group(codes(&["HOUSING"])), "group_code = 'HOUSING'"),
            (
                Cond::Group(codes(&["IT", "HOUSING"])),
                "group_code IN ('HOUSING', 'IT')",
            ),
            (Cond::Group(Groups::Mine), "group_code IN ('HOUSING', 'IT')"),
            (
                Cond::Group(codes(&["SOCIAL", "HOUSING", "IT"]))
                    .and(Cond::Priority(vec![Priority::Urgent]).not()),
                "group_code IS NOT NULL AND priority <> 3",
            ),
            (
                Cond::Group(codes(&["HOUSING", "IT", "SOCIAL"]))
                    .and(Cond::Priority(vec![Priority::High, Priority::Urgent])),
                "group_code IS NOT NULL AND priority >= 2",
            ),
        ] {
            let walked = groups(&cond, &viewer).expect("groups");
            let read = |s: &Store, b: &Built, asc: bool, key: Option<&[Value]>, n: usize| {
                let (walk, args) =
                    walk_sql(b, false, None, Some(&walked), asc, key, &Window::default())
                        .expect("a walk");
                let plan = plan(&s.conn, &walk, &args);
                let seeks = plan
                    .iter()
                    .filter(|l| {
                        l.starts_with(
                            "SEARCH w USING COVERING INDEX tickets_group_number \
                             (is_open=? AND group_code=?",
                        )
                    })
                    .count();
                assert_eq!(seeks, 2 * walked.len(), "{plan:?}");
                assert!(plan.iter().all(|l| !l.contains("TEMP B-TREE")), "{plan:?}");
                s.walk_page(
                    b,
                    false,
                    None,
                    Some(&walked),
                    asc,
                    key,
                    (n, 0),
                    &Window::default(),
                )
                .expect("walk")
            };
            pages_match_plain_sql(
                &read,
                &cond,
                SortKey::Number,
                &format!("{plain} ORDER BY number, id"),
            );
        }
    }

    /// By subject the walk that tests a condition's categories in the subject index's entries
    /// (schema V32) gives every page of plain SQL's order, forwards and backwards, from the top
    /// and from a position (fails when the walk's test is left out or is the wrong way round).
    #[test]
    fn a_category_walked_by_subject_pages_as_plain_sql() {
        for (cond, plain) in [
            (
                Cond::Category(vec!["HSG".into()]).not(),
                "category <> 'HSG'",
            ),
            (
                Cond::Category(vec!["CMP".into(), "DOC".into()])
                    .and(Cond::Priority(vec![Priority::Urgent]).not()),
                "category IN ('CMP', 'DOC') AND priority <> 3",
            ),
            (
                Cond::Category(vec!["HSG".into()])
                    .not()
                    .and(Cond::Category(vec!["DOC".into()]).not()),
                "category NOT IN ('HSG', 'DOC')",
            ),
        ] {
            let window = Window {
                seek: subject_categories(&cond),
                ..Window::default()
            };
            assert!(window.seek.is_some(), "{plain}");
            let read = |s: &Store, b: &Built, asc: bool, key: Option<&[Value]>, n: usize| {
                s.walk_page(b, false, None, None, asc, key, (n, 0), &window)
                    .expect("walk")
            };
            pages_match_plain_sql(
                &read,
                &cond,
                SortKey::Subject,
                &format!("{plain} ORDER BY lower(subject), id"),
            );
        }
    }

    /// By subject a condition on categories is tested in the subject index's own entries
    /// (schema V32), which hold each ticket's category: on a desk whose first 21,000 tickets
    /// by subject are all HSG (and the last 29,000 all DOC, read backwards), a walk meets a
    /// page of the others (it gave up after its 5,000, and SQLite read every row before them),
    /// the first two pages plain SQL's, both ways.
    #[test]
    fn a_category_is_tested_in_the_subject_index() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(Vec::new());
        conn.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000)
             INSERT INTO tickets (id, number, number_key, scope, seq, subject, channel,
                 category, priority, status, is_open, created_at, updated_at)
             SELECT i, 'N' || i, 'N' || i, 'S', i, 'Subject ' || (i % 7), 'web',
                 CASE WHEN i % 7 < 3 THEN 'HSG' ELSE 'DOC' END, i % 4, 'closed', 0,
                 i * 100, i * 100 + 50 FROM n",
        )
        .expect("tickets");
        let store = Store::over(conn, "memory".into(), false, Default::default());
        let hsg = || Cond::Category(vec!["HSG".into()]);
        for (cond, plain) in [
            (hsg().not(), "category <> 'HSG'"),
            (hsg(), "category = 'HSG'"),
            (Cond::Category(vec!["DOC".into()]), "category = 'DOC'"),
            (
                hsg()
                    .not()
                    .and(Cond::Category(vec!["GEN".into()]).not())
                    .and(Cond::Priority(vec![Priority::Low]).not()),
                "category NOT IN ('HSG', 'GEN') AND priority <> 0",
            ),
        ] {
            for reverse in [false, true] {
                let q = Query {
                    cond: cond.clone(),
                    sort: SortKey::Subject,
                    reverse,
                };
                let d = driven(&store.conn, &cfg, &q, &viewer, true).expect("drive");
                assert_eq!(d.drive, Drive::Walk(None), "{plain}");
                let b = build(&store.conn, &Terms::none(), &cfg, &q, &viewer, true).expect("b");
                let (walk, args) =
                    walk_sql(&b, false, None, None, !reverse, None, &d.window).expect("a walk");
                let plan = plan(&store.conn, &walk, &args);
                assert!(
                    plan.iter()
                        .any(|l| l.contains("COVERING INDEX tickets_subject")),
                    "{plain}: {plan:?}"
                );
                assert!(plan.iter().all(|l| !l.contains("TEMP B-TREE")), "{plan:?}");
                let dir = if reverse { "DESC" } else { "ASC" };
                let want: Vec<i64> = {
                    let sql = format!(
                        "SELECT id FROM tickets WHERE {plain} \
                         ORDER BY lower(subject) {dir}, id {dir} LIMIT 100"
                    );
                    let mut stmt = store.conn.prepare(&sql).expect("plain");
                    let rows = stmt.query_map([], |r| r.get(0)).expect("plain");
                    rows.collect::<rusqlite::Result<_>>().expect("plain")
                };
                let page = |key: Option<&[Value]>| {
                    store
                        .walk_page(&b, false, None, None, !reverse, key, (50, 0), &d.window)
                        .expect("walk")
                        .unwrap_or_else(|| panic!("{plain} {reverse}: the walk gave up"))
                };
                let first = page(None);
                let last = first.last().map(|r| r.key.clone()).expect("a page");
                let second = page(Some(&last));
                let got: Vec<i64> = first.iter().chain(&second).map(|r| r.ticket.id).collect();
                assert_eq!(got, want, "{plain} {reverse}");
            }
        }
    }

    /// In the working order over the whole desk a condition on priorities walks each of
    /// their urgencies in turn among the tickets not open, from the top and from a position,
    /// both ways, beside the open ones: exactly the order plain SQL gives (fails when an
    /// urgency's walk does not start from the position).
    #[test]
    fn a_prioritys_tickets_are_walked_urgency_by_urgency() {
        for (cond, plain) in [
            (Cond::Priority(vec![Priority::Low]), "priority = 0"),
            (
                Cond::Priority(vec![Priority::Low, Priority::High]),
                "priority IN (0, 2)",
            ),
            (
                Cond::Priority(vec![Priority::Normal]).not(),
                "priority <> 1",
            ),
            (
                Cond::Priority(vec![Priority::Urgent, Priority::Normal])
                    .and(Cond::Category(vec!["CMP".into()]).not()),
                "priority IN (3, 1) AND category <> 'CMP'",
            ),
        ] {
            let kept = urgencies(&cond).expect("urgencies");
            let read = |s: &Store, b: &Built, asc: bool, key: Option<&[Value]>, n: usize| {
                s.split_page(b, Some(&kept), asc, key, (n, 0), &Window::default())
                    .expect("split")
            };
            pages_match_plain_sql(
                &read,
                &cond,
                SortKey::Priority,
                &format!("{plain} ORDER BY urgency, created_at, id"),
            );
        }
    }
}
