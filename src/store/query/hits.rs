//! A common word over the whole desk in an order that is not the index's: its hits read once
//! as a list that every walk tests its index's entries against, or, by subject, a subject's
//! tickets taken or skipped together.
//!
//! SQLite answers a text condition in a walk as `+t.id IN (SELECT rowid >> 32 FROM search
//! WHERE search MATCH ?)`, which it builds into a temporary index of every hit at each
//! statement: by status or by assignee a page is one walk per status or agent, each building
//! it again, so these orders read every hit's ticket and sorted them (`subject:heating --all`
//! on the 1M demo, 20,630 tickets: 35-45 ms of processor time, most of it the tickets' rows).
//! Here the hits are read once, in the index's order (a ticket's parts one after another,
//! tickets in id order), as a list of ascending ids that the function `desk_hit(id, list)`
//! searches: the walks of the status, assignee and working orders test each entry of their
//! index against it before reading the ticket's row, and read the rows of a page only. A walk
//! tests at most [`TESTS_PER_HIT`] entries for each hit (or [`LEAST_TESTS`]) before it gives
//! up — the hits few, or gathered at the far end of the order —, then the hits it was given
//! are read and sorted, as SQLite's own plan reads them (the index not asked again).
//!
//! By subject a condition on the subject alone is the same for every ticket of one subject
//! (their subjects differ at most in the case of ASCII letters, which `lower()` folds, and so
//! does the index's tokenizer): the subject order is walked subject by subject, one ticket of
//! each asked, and a subject's tickets are read when it matches, or skipped with one seek. The
//! hits of a word of a subject gather in that order (every ticket of the 1M demo whose subject
//! says heating is `No heating in flat 12`, after 445,000 tickets of 18 other subjects).

use super::build::{Builder, Built, offset_of, order_by, sql_limit};
use super::drive::{Window, text_few};
use super::merge::whole_desk_merge;
use super::order::sort_exprs;
use super::{QueueRow, Start};
use crate::core::config::Config;
use crate::core::query::{Cond, Query, SortKey, TextField, Viewer};
use crate::error::Result;
use crate::store::Store;
use crate::store::db::params_from_iter;
use crate::store::search::{Terms, part_exact, ticket_of};
use crate::store::tickets::{COLS, FROM};
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value, ValueRef};
use std::cell::Cell;

/// How many index entries a walk tests for each hit before it gives up: reading and sorting
/// the hits' tickets costs about one row each (a page of the table apiece), a walk's test of
/// an entry a small part of that.
const TESTS_PER_HIT: u64 = 4;

/// How many entries a walk may test however few the hits (a page of them may be near).
const LEAST_TESTS: u64 = 2_000;

/// How many subjects the subject order's walk asks about before it gives up (a desk whose
/// subjects are all different: the hits read and sorted).
const SUBJECTS: usize = 256;

thread_local! {
    /// The entries `desk_hit` has tested and how many it may test (see [`Budget`]).
    static TESTS: Cell<(u64, u64)> = const { Cell::new((0, u64::MAX)) };
}

/// While it lives, `desk_hit` fails once it has tested `most` entries on this thread: the
/// statement stops, and the walk gives up.
struct Budget;

impl Budget {
    fn new(most: u64) -> Budget {
        TESTS.set((0, most));
        Budget
    }

    fn spent(&self) -> bool {
        let (n, most) = TESTS.get();
        n > most
    }
}

impl Drop for Budget {
    fn drop(&mut self) {
        TESTS.set((0, u64::MAX));
    }
}

/// Registers `desk_hit(id, list)` on a connection: 1 when `id` is in `list`, a blob of
/// ascending ids of 8 bytes each (big-endian), else 0; searched in place, nothing built.
pub(crate) fn register(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    c.create_scalar_function(
        "desk_hit",
        2,
        // Direct only: it counts its calls against a walk's budget (a side effect), so no
        // view, trigger or index of the schema may call it.
        FunctionFlags::SQLITE_UTF8
            | FunctionFlags::SQLITE_DETERMINISTIC
            | FunctionFlags::SQLITE_DIRECTONLY,
        |ctx| {
            let (n, most) = TESTS.get();
            if n >= most {
                TESTS.set((n.saturating_add(1), most));
                return Err(rusqlite::Error::UserFunctionError(
                    "a walk tested its entries against a word's hits long enough".into(),
                ));
            }
            TESTS.set((n + 1, most));
            let ValueRef::Integer(id) = ctx.get_raw(0) else {
                return Ok(false);
            };
            let ValueRef::Blob(list) = ctx.get_raw(1) else {
                return Ok(false);
            };
            Ok(listed(list, id))
        },
    )
}

/// Whether `id` is in `list` (ascending ids, 8 bytes each, big-endian).
fn listed(list: &[u8], id: i64) -> bool {
    let at = |i: usize| -> i64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&list[i * 8..i * 8 + 8]);
        i64::from_be_bytes(b)
    };
    let (mut lo, mut hi) = (0, list.len() / 8);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match at(mid).cmp(&id) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Whether a condition reads a ticket's subject and nothing else (text of the subject field,
/// joined by AND, OR, NOT): it is the same for every ticket of one subject.
fn subject_only(c: &Cond) -> bool {
    match c {
        Cond::Text(t) => t.field == Some(TextField::Subject),
        Cond::And(cs) | Cond::Or(cs) => !cs.is_empty() && cs.iter().all(subject_only),
        Cond::Not(c) => subject_only(c),
        _ => false,
    }
}

impl Store {
    /// A page over the whole desk of a condition that is a common word (or a phrase, or an
    /// OR of them) by status, by assignee or in the working order, its hits a list the walks
    /// test (see the module's text), or, when a walk gave up (or the order has no walks),
    /// the hits already read sorted; None when this does not serve it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn hits_page(
        &self,
        cfg: &Config,
        q: &Query,
        terms: &Terms,
        ascending: bool,
        start: Start<'_>,
        limit: usize,
    ) -> Result<Option<Vec<QueueRow>>> {
        if self.conn.is_postgres()
            || !matches!(
                q.sort,
                SortKey::Status | SortKey::Assignee | SortKey::Priority
            )
        {
            return Ok(None);
        }
        let Some(expr) = part_exact(&q.cond, terms) else {
            return Ok(None);
        };
        // Read once, whether they are few or many (counting them is reading them): a walk
        // that gives up soon when they are few, then they are sorted. The walks read the
        // desk the list was read from.
        terms.hold();
        let list = self.hit_list(&expr)?;
        let hits = (list.len() / 8) as u64;
        let b = Built {
            cond: Some("desk_hit(t.id, ?)".into()),
            args: vec![Value::Blob(list)],
            keys: sort_exprs(cfg, q.sort),
        };
        let budget = Budget::new(hits.saturating_mul(TESTS_PER_HIT).max(LEAST_TESTS));
        let rows = match q.sort {
            SortKey::Priority => {
                let key = match start {
                    Start::After(k) | Start::Before(k) if k.len() == b.keys.len() => Some(k),
                    _ => None,
                };
                let offset = match start {
                    Start::Skip(n) => n,
                    _ => 0,
                };
                self.split_page(
                    &b,
                    None,
                    ascending,
                    key,
                    (limit, offset),
                    &Window::default(),
                )
            }
            _ => match whole_desk_merge(cfg, q.sort, || self.agents_by_login())? {
                Some(m) => self
                    .merged_page(&b, &m, ascending, start, limit, None)
                    .map(Some),
                None => Ok(None),
            },
        };
        let rows = match rows {
            Err(_) if budget.spent() => None,
            rows => rows?,
        };
        drop(budget);
        match rows {
            Some(rows) => Ok(Some(rows)),
            None => {
                let Some(Value::Blob(list)) = b.args.first() else {
                    return Ok(None);
                };
                self.listed_page(b.keys.clone(), list, ascending, start, limit)
                    .map(Some)
            }
        }
    }

    /// A page of the tickets in `list` (`desk_hit`'s) read from it and sorted, as SQLite's
    /// own plan reads a word's hits, the hits read once already: the page's ids from their
    /// keys, then their rows (unless a key is the assignee's, another table's).
    fn listed_page(
        &self,
        keys: Vec<String>,
        list: &[u8],
        ascending: bool,
        start: Start<'_>,
        limit: usize,
    ) -> Result<Vec<QueueRow>> {
        let mut json = String::from("[");
        for (i, id) in list.chunks_exact(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(id);
            if i > 0 {
                json.push(',');
            }
            json.push_str(&i64::from_be_bytes(b).to_string());
        }
        json.push(']');
        let b = Built {
            cond: Some("t.id IN (SELECT value FROM json_each(?))".into()),
            args: vec![Value::Text(json)],
            keys,
        };
        let (args, more) = b.after_start(start, ascending);
        let order = order_by(&b.keys, ascending);
        let offset = offset_of(start);
        let cols = COLS.replace("t.body", "''");
        let keys = b.keys.join(", ");
        let sql = if limit > 0 && !keys.contains("a.") {
            format!(
                "SELECT {cols}, {keys} FROM {FROM} WHERE t.id IN (SELECT t.id FROM tickets t {} \
                 ORDER BY {order} LIMIT {} OFFSET {offset}) ORDER BY {order}",
                b.where_with(&more),
                sql_limit(limit)
            )
        } else {
            format!(
                "SELECT {cols}, {keys} FROM {FROM} {} ORDER BY {order} LIMIT {} OFFSET {offset}",
                b.where_with(&more),
                sql_limit(limit)
            )
        };
        self.rows_keyed(&sql, &args, b.keys.len())
    }

    /// The tickets a search index expression finds, as `desk_hit`'s list: ascending, each
    /// once.
    fn hit_list(&self, expr: &str) -> Result<Vec<u8>> {
        let run = || -> rusqlite::Result<Vec<u8>> {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {} FROM search WHERE search MATCH ? ORDER BY rowid",
                ticket_of("rowid")
            ))?;
            let mut rows = stmt.query([expr])?;
            let (mut list, mut last) = (Vec::new(), None);
            while let Some(r) = rows.next()? {
                let id: i64 = r.get(0)?;
                if last != Some(id) {
                    list.extend_from_slice(&id.to_be_bytes());
                    last = Some(id);
                }
            }
            Ok(list)
        };
        run().map_err(|e| self.err(e))
    }

    /// A page by subject over the whole desk of a condition on the subject alone whose words
    /// are common: the subject order's index walked a subject at a time, one ticket of each
    /// asked, a matching subject's tickets read (see the module's text); None when this does
    /// not serve it or the walk met [`SUBJECTS`] subjects before the page was full.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn subjects_page(
        &self,
        cfg: &Config,
        viewer: &Viewer,
        q: &Query,
        terms: &Terms,
        ascending: bool,
        start: Start<'_>,
        limit: usize,
    ) -> Result<Option<Vec<QueueRow>>> {
        if self.conn.is_postgres() || q.sort != SortKey::Subject || !subject_only(&q.cond) {
            return Ok(None);
        }
        terms.hold();
        if text_few(&self.conn, q).map_err(|e| self.map_db(e))? {
            return Ok(None);
        }
        // The condition asked of one ticket: its own parts looked up.
        let mut b = Builder::per_ticket(cfg, viewer, &self.conn, terms);
        let cond = b.cond(&q.cond).map_err(|e| self.map_db(e))?;
        let cond_args = b.args;
        let (op, dir) = if ascending {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        let keys = sort_exprs(cfg, SortKey::Subject);
        let order = order_by(&keys, ascending);
        let index = "tickets t INDEXED BY tickets_subject";
        // The first ticket of the order after a position, with whether the condition keeps it
        // (and so every ticket of its subject): within the position's subject, or after it.
        let next = |within: bool| {
            let at = if within {
                format!("lower(t.subject) = ? AND t.id {op} ?")
            } else {
                format!("lower(t.subject) {op} ?")
            };
            format!(
                "SELECT lower(t.subject), t.id, {cond} FROM {index} WHERE {at} \
                 ORDER BY {order} LIMIT 1"
            )
        };
        let first =
            format!("SELECT lower(t.subject), t.id, {cond} FROM {index} ORDER BY {order} LIMIT 1");
        let eq = if ascending { ">=" } else { "<=" };
        let subject_rows = format!(
            "SELECT {}, {} FROM {} WHERE lower(t.subject) = ? AND t.id {eq} ? \
             ORDER BY t.id {dir} LIMIT ? OFFSET ?",
            COLS.replace("t.body", "''"),
            keys.join(", "),
            FROM.replacen("tickets t", index, 1),
        );
        // An offset's tickets are counted in the subject index, never read (a script's
        // `--offset 500000` kept half a million rows in memory to drop them).
        let subject_count =
            format!("SELECT count(*) FROM {index} WHERE lower(t.subject) = ? AND t.id {eq} ?");
        let (mut skip, mut at) = match start {
            Start::Skip(n) => (n, None),
            Start::After(k) | Start::Before(k) => match k {
                [Value::Text(s), Value::Integer(id)] => (0, Some((s.clone(), Some(*id)))),
                _ => return Ok(None),
            },
            Start::Top | Start::Bottom => (0, None),
        };
        let mut wanted = (limit > 0).then_some(limit);
        let mut rows: Vec<QueueRow> = Vec::new();
        for _ in 0..SUBJECTS {
            if wanted == Some(0) {
                return Ok(Some(rows));
            }
            // The condition's arguments first: it comes first in the statement.
            let mut args = cond_args.clone();
            let sql = match &at {
                None => first.clone(),
                Some((s, Some(id))) => {
                    args.extend([Value::Text(s.clone()), Value::Integer(*id)]);
                    next(true)
                }
                Some((s, None)) => {
                    args.push(Value::Text(s.clone()));
                    next(false)
                }
            };
            let found = self
                .conn
                .prepare_cached(&sql)
                .and_then(|mut st| {
                    st.query_row(params_from_iter(args.iter()), |r| {
                        Ok((
                            r.get::<_, Value>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, bool>(2)?,
                        ))
                    })
                    .map(Some)
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        e => Err(e),
                    })
                })
                .map_err(|e| self.err(e))?;
            let Some((subject, id, kept)) = found else {
                // No ticket after the position in its subject: the next subject's are next.
                if let Some((_, within @ Some(_))) = &mut at {
                    *within = None;
                    continue;
                }
                // The end of the order.
                return Ok(Some(rows));
            };
            let Value::Text(subject) = subject else {
                return Ok(None);
            };
            if kept && skip > 0 {
                let n: i64 = self
                    .conn
                    .prepare_cached(&subject_count)
                    .and_then(|mut st| {
                        st.query_row(
                            params_from_iter([Value::Text(subject.clone()), Value::Integer(id)]),
                            |r| r.get(0),
                        )
                    })
                    .map_err(|e| self.err(e))?;
                let n = usize::try_from(n).unwrap_or(0);
                if n <= skip {
                    // The whole subject is skipped.
                    skip -= n;
                    at = Some((subject, None));
                    continue;
                }
            }
            if kept {
                let n = wanted.map_or(-1, |n| n.min(i64::MAX as usize) as i64);
                let got = self.rows_keyed(
                    &subject_rows,
                    &[
                        Value::Text(subject.clone()),
                        Value::Integer(id),
                        Value::Integer(n),
                        Value::Integer(skip.min(i64::MAX as usize) as i64),
                    ],
                    keys.len(),
                )?;
                if let Some(w) = wanted.as_mut() {
                    *w = w.saturating_sub(got.len());
                }
                rows.extend(got);
                skip = 0;
            }
            // The next subject.
            at = Some((subject, None));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::super::build::{memory_desk, steps};
    use super::*;
    use crate::core::query::Text;

    /// `desk_hit` answers a statement of desk's own, and nothing the schema holds may call
    /// it (a view or trigger planted in the file would spend a walk's budget).
    #[test]
    fn desk_hit_is_for_direct_statements_only() {
        let c = rusqlite::Connection::open_in_memory().expect("open");
        register(&c).expect("register");
        let list: Vec<u8> = [2i64, 5, 9].iter().flat_map(|i| i.to_be_bytes()).collect();
        let hit = |id: i64| -> bool {
            c.query_row("SELECT desk_hit(?, ?)", rusqlite::params![id, list], |r| {
                r.get(0)
            })
            .expect("direct call")
        };
        assert!(hit(5) && hit(2) && hit(9));
        assert!(!hit(1) && !hit(6) && !hit(10));
        c.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY); INSERT INTO t VALUES (5);
             CREATE VIEW v AS SELECT desk_hit(id, x'0000000000000005') AS h FROM t;",
        )
        .expect("schema");
        let through_view = c.query_row("SELECT h FROM v", [], |r| r.get::<_, i64>(0));
        assert!(
            through_view.is_err(),
            "a view called desk_hit: {through_view:?}"
        );
    }

    /// A common word of the subject over the whole desk, 4,000 tickets of 20,000 (more than
    /// the √(50 × tickets) read and sorted), gathered at the far end of the subject order
    /// and spread across statuses, 20 agents and urgencies: a page by subject, by status, by
    /// assignee or by priority reads a page's worth of the order's index, each entry tested
    /// against the hits read once, not every hit's ticket sorted (what SQLite's own plan does,
    /// as the statement counted here): less than half its steps (reading the hits is most
    /// of them; on the 1M demo, whose rows are on disk, the rows read are what costs) — the
    /// same tickets.
    #[test]
    fn a_common_words_first_page_reads_a_page_not_every_hit() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(Vec::new());
        let c = conn.sqlite().expect("sqlite");
        register(c).expect("desk_hit");
        c.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
             INSERT INTO agents (id, login, name, role, created_at)
             SELECT i, 'op' || i, 'Op ' || i, 'operator', 0 FROM n;
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
             INSERT INTO tickets (number, number_key, scope, seq, subject, channel, category,
                 priority, status, is_open, assignee_id, created_at, updated_at)
             SELECT 'T-' || i, 'T' || i, 'T', i,
                 CASE WHEN i % 5 = 0 THEN 'Zz no heating' ELSE 'Subject ' || (i % 50) END,
                 'web', 'GEN', i % 4, CASE WHEN i % 3 = 0 THEN 'new' ELSE 'closed' END,
                 i % 3 = 0, 1 + (i / 7) % 20, i, i
             FROM n",
        )
        .expect("tickets");
        let q = |sort| Query {
            cond: Cond::Text(Text {
                field: Some(TextField::Subject),
                text: "heating".into(),
                phrase: false,
            }),
            sort,
            reverse: false,
        };
        let store = Store::over(conn, "memory".into(), false, Default::default());
        let c = store.conn.sqlite().expect("sqlite");
        for sort in [
            SortKey::Subject,
            SortKey::Status,
            SortKey::Assignee,
            SortKey::Priority,
        ] {
            let keys = sort_exprs(&cfg, sort).join(", ");
            let plain = format!(
                "SELECT t.id FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id \
                 WHERE t.id IN (SELECT rowid >> 32 FROM search WHERE search MATCH \
                 'subject : heating*') ORDER BY {keys} LIMIT 50"
            );
            let (want, sorted) = steps(c, || {
                let mut s = c.prepare(&plain).expect("plain");
                let rows = s.query_map([], |r| r.get::<_, i64>(0)).expect("plain");
                rows.collect::<rusqlite::Result<Vec<i64>>>().expect("plain")
            });
            let (page, walked) = steps(c, || {
                store
                    .query_page(&cfg, &q(sort), &viewer, Start::Top, 50)
                    .expect("a page")
            });
            let got: Vec<i64> = page.iter().map(|r| r.ticket.id).collect();
            assert_eq!(got, want, "{sort:?}");
            assert!(
                walked * 2 < sorted,
                "{sort:?}: {walked} steps, every hit sorted {sorted}"
            );
        }
    }

    /// By subject, a page from a position that is a matching subject's last ticket goes on
    /// with the next matching subject's tickets, both ways, as plain SQL does (the walk asked
    /// the position's subject for a ticket after it, found none, and took it for the end of
    /// the order: an empty page).
    #[test]
    fn a_page_after_a_subjects_last_ticket_goes_on_to_the_next_subject() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(Vec::new());
        let c = conn.sqlite().expect("sqlite");
        register(c).expect("desk_hit");
        c.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)
             INSERT INTO tickets (number, number_key, scope, seq, subject, channel, category,
                 priority, status, is_open, assignee_id, created_at, updated_at)
             SELECT 'T-' || i, 'T' || i, 'T', i,
                 CASE i % 4 WHEN 0 THEN 'Heating one' WHEN 1 THEN 'heating two'
                     ELSE 'Subject ' || (i % 50) END,
                 'web', 'GEN', i % 4, 'new', 1, NULL, i, i
             FROM n",
        )
        .expect("tickets");
        let store = Store::over(conn, "memory".into(), false, Default::default());
        let c = store.conn.sqlite().expect("sqlite");
        for reverse in [false, true] {
            let q = Query {
                cond: Cond::Text(Text {
                    field: Some(TextField::Subject),
                    text: "heating".into(),
                    phrase: false,
                }),
                sort: SortKey::Subject,
                reverse,
            };
            let dir = if reverse { "DESC" } else { "ASC" };
            let want: Vec<i64> = c
                .prepare(&format!(
                    "SELECT t.id FROM tickets t WHERE t.id IN (SELECT rowid >> 32 FROM search \
                     WHERE search MATCH 'subject : heating*') \
                     ORDER BY lower(t.subject) {dir}, t.id {dir}"
                ))
                .expect("plain")
                .query_map([], |r| r.get::<_, i64>(0))
                .expect("plain")
                .collect::<rusqlite::Result<_>>()
                .expect("plain");
            assert_eq!(want.len(), 3000);
            // The first subject's tickets are the first 1,500: a page of them, then the next.
            let first = store
                .query_page(&cfg, &q, &viewer, Start::Top, 1500)
                .expect("a page");
            let ids: Vec<i64> = first.iter().map(|r| r.ticket.id).collect();
            assert_eq!(ids, want[..1500], "{dir}: the first subject");
            let last = &first[1499].key;
            let next = store
                .query_page(&cfg, &q, &viewer, Start::After(last), 10)
                .expect("the next page");
            let ids: Vec<i64> = next.iter().map(|r| r.ticket.id).collect();
            assert_eq!(ids, want[1500..1510], "{dir}: after the first subject");
            // An offset past the first subject: the right tickets, its tickets counted in the
            // subject index, not read as rows and dropped (a page of 1,500 rows' steps).
            let (skipped, walked) = steps(c, || {
                store
                    .query_page(&cfg, &q, &viewer, Start::Skip(1505), 10)
                    .expect("a page from an offset")
            });
            let ids: Vec<i64> = skipped.iter().map(|r| r.ticket.id).collect();
            assert_eq!(ids, want[1505..1515], "{dir}: from an offset");
            let (_, read) = steps(c, || {
                store
                    .query_page(&cfg, &q, &viewer, Start::Top, 1500)
                    .expect("a page")
            });
            assert!(
                walked * 2 < read,
                "{dir}: {walked} steps from the offset, {read} for its tickets read"
            );
            // And back from the second subject's first ticket to the first's last.
            let back = store
                .query_page(&cfg, &q, &viewer, Start::Before(&next[0].key), 10)
                .expect("the page before");
            let ids: Vec<i64> = back.iter().map(|r| r.ticket.id).collect();
            assert_eq!(ids, want[1490..1500], "{dir}: before the second subject");
        }
    }

    #[test]
    fn a_list_finds_its_ids_only() {
        let ids = [-5i64, 1, 2, 7, 1 << 40];
        let list: Vec<u8> = ids.iter().flat_map(|i| i.to_be_bytes()).collect();
        for id in -6..10 {
            assert_eq!(listed(&list, id), ids.contains(&id), "{id}");
        }
        assert!(listed(&list, 1 << 40));
        assert!(!listed(&[], 1));
    }
}
