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
use crate::core::query::{Cond, DateField, Query, SortKey, Viewer};
use crate::error::Result;
use crate::store::Store;
use crate::store::db::Connection;
use crate::store::db::params_from_iter;
use crate::store::search::Terms;
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
        Cond::Assignee(_) => Some("tickets_assignee"),
        Cond::Date(DateField::Created, _, _) => Some("tickets_created"),
        Cond::Date(DateField::Resolved, _, _) => Some("tickets_resolved"),
        Cond::Date(DateField::Closed, _, _) => Some("tickets_closed"),
        _ => None,
    }
}

/// Whether a condition keeps open tickets only (the open queue's own readers serve it).
fn only_open(c: &Cond) -> bool {
    let open = |c: &Cond| matches!(c, Cond::Open | Cond::Sla(_));
    match c {
        Cond::And(cs) => cs.iter().any(open),
        c => open(c),
    }
}

/// What drives a page of `q` on SQLite (see the module's text). Counts each of its conditions
/// with an index of its own, up to [`FEW`].
pub(super) fn drive(conn: &Connection, cfg: &Config, q: &Query, viewer: &Viewer) -> Result<Drive> {
    // The open queue, text (its hits drive or filter) and the whole desk unfiltered have
    // readers of their own.
    if conn.is_postgres() || only_open(&q.cond) || q.cond.has_text() || q.cond == Cond::all() {
        return Ok(Drive::Own);
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
        match units.iter_mut().find(|(i, _)| *i == index) {
            Some(unit) if matches!(c, Cond::Date(..)) => unit.1 = unit.1.clone().and(c.clone()),
            _ => units.push((index, c.clone())),
        }
    }
    // The fewest, and the fewest of a time's.
    let mut best: Option<(i64, &'static str)> = None;
    let mut dated = best;
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
            return Ok(Drive::Own);
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
        if matches!(c, Cond::Date(..) | Cond::And(_)) && dated.is_none_or(|(m, _)| n < m) {
            dated = Some((n, index));
        }
    }
    Ok(match best {
        Some((n, index)) if n <= FEW => Drive::Index(index),
        // Many tickets in a stretch of time: the walk would read the order's every ticket
        // before it (the times follow registration, the order's second key), so the time's
        // index drives (not a group's, which SQLite would take for few).
        _ if dated.is_some() => dated.map_or(Drive::Own, |(_, i)| Drive::Index(i)),
        _ if q.sort == SortKey::Priority => Drive::Split,
        _ => Drive::Own,
    })
}

/// How many of the other tickets a page's walk of the working order reads at most (each one's
/// row: a few milliseconds on a million): a condition that keeps fewer than a page among them
/// (less than one in a hundred, or all at the far end of the order: `updated<7d`) is read the
/// other way (see
/// [`Store::split_page`]).
pub(super) const WALKED: i64 = 5_000;

/// The SQL of a split page's two arms (see [`Store::split_page`]): rows of (arm, id, key…),
/// the open tickets' (arm 0) walked in their fields' index, the others' (arm 1) in the working
/// order's index (`tickets_queue`: not open, then the key) up to [`WALKED`] of them, each arm
/// up to `cap` rows matching the condition from the position `more` (written over `t`; `w`
/// for the walk). The others come in the walk's order (a CROSS JOIN keeps it), so that the walk
/// stops at the page: no ORDER BY, which would read the whole walk to sort it; the caller
/// sorts the two arms' rows. Its arguments: the condition's and the position's, then the position's and
/// the condition's.
pub(super) fn split_sql(
    b: &Built,
    more: &[String],
    more_w: &[String],
    ascending: bool,
    cap: i64,
) -> String {
    let dir = if ascending { "ASC" } else { "DESC" };
    let order = |alias: &str| {
        b.keys
            .iter()
            .map(|k| format!("{} {dir}", k.replace("t.", alias)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let named = (0..b.keys.len())
        .map(|i| format!("{} AS q_k{i}", b.keys[i]))
        .collect::<Vec<_>>()
        .join(", ");
    let mut open = vec!["t.is_open = 1".to_string()];
    open.extend(more.iter().cloned());
    let mut walk = vec!["w.is_open = 0".to_string()];
    walk.extend(more_w.iter().cloned());
    format!(
        "SELECT * FROM (SELECT 0 AS q_arm, t.id AS q_id, {named} FROM tickets t \
         INDEXED BY {OPEN_FIELDS} {} ORDER BY {} LIMIT {cap}) \
         UNION ALL SELECT * FROM (SELECT 1 AS q_arm, t.id AS q_id, {named} FROM \
         (SELECT w.id AS w_id FROM tickets w INDEXED BY tickets_queue WHERE {} ORDER BY {} \
         LIMIT {WALKED}) AS s CROSS JOIN tickets t ON t.id = s.w_id {} LIMIT {cap})",
        b.where_with(&open),
        order("t."),
        walk.join(" AND "),
        order("w."),
        b.where_with(&[]),
    )
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
        ascending: bool,
        key: Option<&[Value]>,
        limit: usize,
        offset: usize,
    ) -> Result<Option<Vec<QueueRow>>> {
        let op = if ascending { ">" } else { "<" };
        let (mut more, mut more_w, mut args, mut args_w) = (vec![], vec![], b.args.clone(), vec![]);
        if let Some(key) = key {
            more.push(b.key_cmp(op, key, &mut args));
            let walked = Built {
                cond: None,
                args: Vec::new(),
                keys: b.keys.iter().map(|k| k.replace("t.", "w.")).collect(),
            };
            more_w.push(walked.key_cmp(op, key, &mut args_w));
        }
        let cap = sql_limit(limit).saturating_add(offset.min(i64::MAX as usize) as i64);
        args.extend(args_w.iter().cloned());
        args.extend(b.args.iter().cloned());
        let sql = split_sql(b, &more, &more_w, ascending, cap);
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
            let walk = format!(
                "SELECT count(*) FROM (SELECT 1 FROM tickets w INDEXED BY tickets_queue \
                 WHERE {} LIMIT {WALKED})",
                std::iter::once("w.is_open = 0".to_string())
                    .chain(more_w.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(" AND ")
            );
            let walked: i64 = self
                .conn
                .prepare_cached(&walk)
                .and_then(|mut s| s.query_row(params_from_iter(args_w.iter()), |r| r.get(0)))
                .map_err(|e| self.err(e))?;
            if walked >= WALKED {
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
        let order = order_by(&b.keys, ascending);
        let sql = format!(
            "SELECT {}, {} FROM {FROM} WHERE t.id IN ({}) ORDER BY {order}",
            COLS.replace("t.body", "''"),
            b.keys.join(", "),
            marks(ids.len())
        );
        self.rows_keyed(&sql, &ids, n).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{Channel, Priority, StatusCategory};
    use crate::core::query::{Cmp, Groups, SlaState, Text, When, Who};
    use crate::store::query::build::{build, memory_desk, plan};
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
            Cond::Category(vec!["HSG".into()]),
            Cond::Category(vec!["HSG".into()]).not(),
            Cond::Channel(vec![Channel::Phone]),
            Cond::Priority(vec![Priority::Urgent]),
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
            // A time no index holds: walked too, its tickets' share unknown.
            Cond::Date(DateField::Updated, Cmp::After, day),
            Cond::Date(DateField::Due, Cmp::Before, day).not(),
            Cond::Date(DateField::FirstResponse, Cmp::Before, day).and(Cond::Or(vec![
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
                let (mut args, mut args_w) = (b.args.clone(), Vec::new());
                let more: Vec<String> = from
                    .map(|k| b.key_cmp(op, k, &mut args))
                    .into_iter()
                    .collect();
                let walked = Built {
                    cond: None,
                    args: Vec::new(),
                    keys: b.keys.iter().map(|k| k.replace("t.", "w.")).collect(),
                };
                let more_w: Vec<String> = from
                    .map(|k| walked.key_cmp(op, k, &mut args_w))
                    .into_iter()
                    .collect();
                args.extend(args_w);
                args.extend(b.args.iter().cloned());
                let plan = plan(&conn, &split_sql(&b, &more, &more_w, ascending, 57), &args);
                // Each arm walks its index (the open tickets' whole, from the top), reads the
                // rows it walks by their id, and sorts nothing.
                assert!(plan.iter().all(|l| l != "SCAN t"), "{cond:?}: {plan:?}");
                for (alias, index) in [("t", OPEN_FIELDS), ("w", "tickets_queue")] {
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
            // In an order no index of every ticket holds, SQLite's own plan.
            let by_subject = Query {
                sort: SortKey::Subject,
                ..q
            };
            let driven = drive(&conn, &cfg, &by_subject, &viewer).expect("drive");
            assert_eq!(driven, Drive::Own, "{cond:?}");
        }
        // The open queue, text and the whole desk have readers of their own.
        for cond in [
            Cond::Open.and(Cond::Category(vec!["HSG".into()])),
            Cond::Sla(SlaState::Breached),
            Text::words("heating").and(Cond::Channel(vec![Channel::Phone])),
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
        ] {
            let q = Query::new(cond.clone().and(Cond::Category(vec!["HSG".into()])));
            assert_eq!(
                drive(&conn, &cfg, &q, &viewer).expect("drive"),
                Drive::Index(index)
            );
            let b = build(
                &conn,
                &Terms::none(),
                &cfg,
                &Query::new(cond.clone()),
                &viewer,
                true,
            )
            .expect("build");
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
}
