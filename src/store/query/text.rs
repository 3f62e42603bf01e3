//! Text in a query: a page whose words' hits drive it, and hits ranked by the search index.

use super::build::{ALL, Builder, Built, build, offset_of, sql_limit};
use super::{QueueRow, Start};
use crate::core::config::Config;
use crate::core::query::{Cond, Query, SortKey, Viewer};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::db::params_from_iter;
use crate::store::db::{Connection, OptionalExtension};
use crate::store::search::{Terms, part_exact, pg_rank, some_part, some_part_pg, ticket_of};
use crate::store::tickets::{COLS, FROM, Ticket, ticket_row};
use rusqlite::types::Value;
use std::collections::BinaryHeap;

/// How much a word weighs in each of the search index's columns when hits are ranked:
/// number, subject, requester, contact, request, notes, replies, messages.
const RANK_WEIGHTS: &str = "10.0, 5.0, 3.0, 3.0, 1.0, 1.0, 1.0, 1.0";

/// How rare a text condition's hits are likely to be: a longer word, a phrase, a field
/// narrow more (an OR is as common as its commonest side). The rarest drives a page.
fn rarity(c: &Cond) -> usize {
    match c {
        Cond::Text(t) => {
            let words: Vec<usize> = t
                .text
                .split_whitespace()
                .map(|w| w.chars().filter(|ch| ch.is_alphanumeric()).count())
                .collect();
            let longest = words.iter().copied().max().unwrap_or(0);
            let phrase = if t.phrase {
                4 * words.len().saturating_sub(1)
            } else {
                0
            };
            longest + phrase + if t.field.is_some() { 2 } else { 0 }
        }
        Cond::Or(cs) => cs.iter().map(rarity).min().unwrap_or(0),
        _ => 0,
    }
}

/// A page in registration order whose condition has text the search index can answer
/// part by part (a word, a phrase, an OR of them): that text's hits, read in the index's
/// order (a part's row id says its ticket), drive the page, so a common word's first page
/// comes without reading every hit; the rest of the condition (other words too, looked up
/// ticket by ticket) filters them. Returns the index's expression and the rest.
pub(super) fn driving_text(q: &Query, terms: &Terms) -> Option<(String, Cond)> {
    if q.sort != SortKey::Age {
        return None;
    }
    let parts: Vec<Cond> = match &q.cond {
        Cond::And(cs) => cs.clone(),
        c => vec![c.clone()],
    };
    let (at, _) = parts
        .iter()
        .enumerate()
        .filter(|(_, c)| part_exact(c, &Terms::none()).is_some())
        // The rarest; the first among equals.
        .max_by_key(|(i, c)| (rarity(c), std::cmp::Reverse(*i)))?;
    // Only the one that drives has its starts looked up.
    let expr = part_exact(&parts[at], terms)?;
    let rest = parts
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| (i != at).then_some(c))
        .collect();
    Some((expr, Cond::And(rest)))
}

impl Store {
    /// Up to `limit` tickets of a query after skipping `offset`, the best matches first:
    /// ranked by the search index (BM25, the words in a number or subject weighing most,
    /// then requester and contact, then the rest) — a ticket by its best part — the newest
    /// first among equals. Only a query with words to rank by can be ranked.
    pub fn query_ranked(
        &self,
        cfg: &Config,
        q: &Query,
        viewer: &Viewer,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Ticket>> {
        let pg = self.conn.is_postgres();
        // The expression that finds the parts holding any of the query's words.
        let expr = if pg {
            some_part_pg(&q.cond)
        } else {
            some_part(&q.cond)
        };
        let Some(expr) = expr else {
            return Err(Error::Invalid(crate::msg!("search.rank_needs_words")));
        };
        // The condition that keeps the ranked tickets the query matches. On SQLite every
        // ticket it matches has a part the expression finds: no condition when the
        // expression is the whole of it, else filtered after the ranking's hits, never read
        // from another word's.
        // The condition's starts are read as the words they stand for (the ranking's own
        // expression keeps them whole: its weights are a start's).
        let terms = self.terms();
        let b = match (pg, part_exact(&q.cond, &Terms::none())) {
            (true, _) => self.build(&terms, cfg, q, viewer)?,
            (false, Some(_)) => Built {
                cond: None,
                args: Vec::new(),
                keys: Vec::new(),
            },
            (false, None) => {
                build(&self.conn, &terms, cfg, q, viewer, false).map_err(|e| self.map_db(e))?
            }
        };
        if !pg {
            return self
                .ranked_hits(&expr, &b, offset, limit)
                .map_err(|e| self.err(e));
        }
        let mut args = vec![Value::Text(expr)];
        args.extend(b.args.iter().cloned());
        let (offset, limit) = (offset.min(i64::MAX as usize), sql_limit(limit));
        let sql = ranked_pg(&b, offset, limit);
        let run = || -> rusqlite::Result<Vec<Ticket>> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(args.iter()), ticket_row)?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// [`Store::query_ranked`] on SQLite: the parts that hold the words read once in the
    /// index's order with their scores, a ticket's parts one after another (its best kept),
    /// and only the best `offset + limit` tickets held while reading — no hit materialised,
    /// grouped or sorted, no ticket read but the page's. With a condition (`b.cond`) every
    /// ticket is kept and ranked, then the condition is asked of them in that order, in one
    /// statement read until the page is full. The order is the plain SQL's (every hit's
    /// bm25() materialised, each ticket's least, `ORDER BY r, tid DESC`): the same scores,
    /// the lower first, the newer ticket first among equals.
    /// Every part's ticket is there (tickets are never deleted and the index's triggers add
    /// only the parts of a ticket written).
    ///
    /// Every hit is still scored: no column bounds what a part can score. FTS5's bm25() adds
    /// a column's weight to a word's frequency in the part, `f`, and scores it
    /// `idf·f·(k1+1) / (f + k1·(1 − b + b·D/avgdl))` (k1 = 1.2, b = 0.75, D the part's
    /// length): at most `idf·(k1+1)` whatever the column, so a short note holding the word
    /// once (f = 1, D = 1) outscores the word in the subject of a long ticket (f = 5). A bound
    /// needs each part's length, which is the lookup per hit (`search_docsize`) that costs:
    /// on the 1,000,000-ticket demo, bounding `heating`'s parts by the lengths their hits
    /// show (the furthest hit in each column) leaves 20,630 of its 48,592 parts (every
    /// subject hit) able to reach the first page's score.
    fn ranked_hits(
        &self,
        expr: &str,
        b: &Built,
        offset: usize,
        limit: usize,
    ) -> rusqlite::Result<Vec<Ticket>> {
        let keep = offset.saturating_add(match limit {
            0 => usize::MAX,
            n => n,
        });
        let mut best = Best::new(if b.cond.is_some() { usize::MAX } else { keep });
        {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {} AS tid, bm25(search, {RANK_WEIGHTS}) FROM search \
                 WHERE search MATCH ? ORDER BY rowid",
                ticket_of("rowid")
            ))?;
            let rows =
                stmt.query_map([expr], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))?;
            let mut at: Option<Ranked> = None;
            for row in rows {
                let (tid, r) = row?;
                match &mut at {
                    Some(a) if a.tid == tid => {
                        if r < a.r {
                            a.r = r;
                        }
                    }
                    _ => {
                        if let Some(done) = at.replace(Ranked { r, tid }) {
                            best.offer(done);
                        }
                    }
                }
            }
            if let Some(done) = at {
                best.offer(done);
            }
        }
        let mut ranked: Vec<i64> = best.sorted().into_iter().map(|r| r.tid).collect();
        if let Some(cond) = &b.cond {
            ranked = keeping(&self.conn, cond, &b.args, &ranked, keep)?;
        }
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {} FROM {FROM} WHERE t.id = ?",
            COLS.replace("t.body", "''")
        ))?;
        let mut page = Vec::new();
        for tid in ranked.into_iter().skip(offset) {
            if let Some(t) = stmt.query_row([tid], ticket_row).optional()? {
                page.push(t);
            }
        }
        Ok(page)
    }

    /// A page in registration order driven by the hits of `expr` (see [`driving_text`]):
    /// the tickets of its hits in the index's order from `start`, each kept when `rest`
    /// matches it (its words looked up ticket by ticket). Keys are the ticket ids.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn driven_page(
        &self,
        cfg: &Config,
        viewer: &Viewer,
        terms: &Terms,
        (expr, rest): (String, Cond),
        ascending: bool,
        start: Start<'_>,
        limit: usize,
    ) -> Result<Vec<QueueRow>> {
        let mut args = vec![Value::Text(expr)];
        // Where the page starts, as a bound on the row ids of the parts (a ticket's parts
        // run from its id times 2³² to the next ticket's).
        let mut bound = String::new();
        if let Start::After(key) | Start::Before(key) = start
            && let [Value::Integer(id)] = key
        {
            args.push(Value::Integer(*id));
            bound = if ascending {
                " AND rowid >= ((? + 1) << 32)".into()
            } else {
                " AND rowid < (? << 32)".into()
            };
        }
        let mut b = Builder::per_ticket(cfg, viewer, &self.conn, terms);
        let rest = b.cond(&rest).map_err(|e| self.map_db(e))?;
        args.extend(b.args);
        let filter = if rest == ALL {
            String::new()
        } else {
            format!(" AND {rest}")
        };
        let offset = offset_of(start);
        // The hits come in the index's order, a ticket once; joined in that order (CROSS
        // JOIN keeps it), so the page is read without sorting every hit: no ORDER BY
        // outside. (SQLite ignores a subquery's ORDER BY that has no LIMIT.)
        let sql = format!(
            "SELECT {}, t.id FROM (SELECT DISTINCT {} AS tid FROM search \
             WHERE search MATCH ?{bound} ORDER BY rowid {} LIMIT -1) h CROSS JOIN {FROM} \
             WHERE t.id = h.tid{filter} LIMIT {} OFFSET {offset}",
            COLS.replace("t.body", "''"),
            ticket_of("rowid"),
            if ascending { "ASC" } else { "DESC" },
            sql_limit(limit)
        );
        let run = || -> rusqlite::Result<Vec<QueueRow>> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let width = stmt.column_count()?;
            let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
                Ok(QueueRow {
                    ticket: ticket_row(r)?,
                    key: vec![r.get::<_, Value>(width - 1)?],
                })
            })?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }
}

/// The first `keep` of the tickets `ids` (in their order) that `cond` keeps: one
/// statement over them all (a JSON array, read in its order: CROSS JOIN keeps it), its
/// rows taken until `keep` are — the condition's subqueries (a word's hits, a group's
/// categories) run once, not once for every few hundred tickets as when they were asked
/// a chunk at a time.
fn keeping(
    conn: &Connection,
    cond: &str,
    args: &[Value],
    ids: &[i64],
    keep: usize,
) -> rusqlite::Result<Vec<i64>> {
    if ids.is_empty() || keep == 0 {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT t.id FROM json_each(?) j CROSS JOIN {FROM} \
         WHERE t.id = j.value AND ({cond})"
    ))?;
    let json = format!(
        "[{}]",
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    );
    let mut values = vec![Value::Text(json)];
    values.extend(args.iter().cloned());
    let mut rows = stmt.query(params_from_iter(values.iter()))?;
    let mut kept = Vec::new();
    while kept.len() < keep
        && let Some(row) = rows.next()?
    {
        kept.push(row.get::<_, i64>(0)?);
    }
    Ok(kept)
}

/// A ticket's score in a ranking: its best part's bm25() (the lower, the better).
#[derive(Debug, Clone, Copy)]
struct Ranked {
    r: f64,
    tid: i64,
}

impl Ranked {
    /// Whether `self` comes before `other`: the lower score first, then the newer ticket
    /// (SQL's `ORDER BY r, tid DESC`; bm25() gives no NaN).
    fn before(&self, other: &Ranked) -> bool {
        self.r < other.r || (self.r == other.r && self.tid > other.tid)
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Ranked) -> bool {
        !self.before(other) && !other.before(self)
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Ranked) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    /// The order of a ranking: the first is the least.
    fn cmp(&self, other: &Ranked) -> std::cmp::Ordering {
        if self.before(other) {
            std::cmp::Ordering::Less
        } else if other.before(self) {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }
}

/// The first `keep` of the tickets offered, in a ranking's order: a heap whose top is the
/// last of them, replaced by anything that comes before it.
struct Best {
    keep: usize,
    heap: BinaryHeap<Ranked>,
}

impl Best {
    fn new(keep: usize) -> Best {
        Best {
            keep,
            heap: BinaryHeap::new(),
        }
    }

    fn offer(&mut self, r: Ranked) {
        if self.heap.len() < self.keep {
            self.heap.push(r);
        } else if let Some(mut last) = self.heap.peek_mut()
            && r.before(&last)
        {
            *last = r;
        }
    }

    /// The tickets kept, the first first.
    fn sorted(self) -> Vec<Ranked> {
        self.heap.into_sorted_vec()
    }
}

/// [`Store::query_ranked`]'s SQL on PostgreSQL: the tickets the query matches, each weighed
/// by the parts of it that hold any of the query's words ([`pg_rank`]), the newest first
/// among equals.
fn ranked_pg(b: &Built, offset: usize, limit: i64) -> String {
    format!(
        "WITH rq AS (SELECT (?::text)::tsquery AS q) SELECT {} FROM {FROM} CROSS JOIN rq {} \
         ORDER BY {} DESC, t.id DESC LIMIT {limit} OFFSET {offset}",
        COLS.replace("t.body", "''"),
        b.where_with(&[]),
        pg_rank(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::build::{memory_desk, steps};
    use super::*;
    use crate::core::query::Text;

    /// A ranked search under a condition asks the condition of the ranked tickets in one
    /// statement read in their order until the page is full: its subquery (here: the
    /// tickets whose subject ends in 0, out of 20,000) runs once for 2,000 ranked tickets —
    /// it ran once for every 256 of them — and the tickets it keeps come in the ranking's
    /// order.
    #[test]
    fn a_ranked_pages_condition_runs_once() {
        let (conn, _) = memory_desk(Vec::new());
        let c = conn.sqlite().expect("sqlite");
        c.execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
             INSERT INTO tickets (number, number_key, scope, seq, subject, channel, category,
                 priority, status, is_open, created_at, updated_at)
             SELECT 'T-' || i, 'T' || i, 'T', i, 'Subject ' || i, 'web', 'GEN', 1, 'new', 1, i, i
             FROM n",
        )
        .expect("tickets");
        let cond = "t.id IN (SELECT x.id FROM tickets x WHERE x.subject LIKE ?)";
        let args = [Value::Text("%0".into())];
        // The ranking: 2,000 tickets in an odd order.
        let ranked: Vec<i64> = (1..=2000).map(|i| (i * 7919) % 20000 + 1).collect();
        let expected: Vec<i64> = ranked.iter().copied().filter(|i| i % 10 == 0).collect();
        let (kept, asked) = steps(c, || keeping(&conn, cond, &args, &ranked, usize::MAX));
        assert_eq!(kept.expect("kept"), expected);
        let (page, _) = steps(c, || keeping(&conn, cond, &args, &ranked, 7));
        assert_eq!(page.expect("page"), expected[..7]);
        // The subquery alone, once.
        let (n, once) = steps(c, || {
            c.query_row(
                "SELECT count(*) FROM tickets x WHERE x.subject LIKE ?",
                ["%0"],
                |r| r.get::<_, i64>(0),
            )
        });
        assert_eq!(n.expect("count"), 2000);
        assert!(asked < 2 * once, "{asked} steps, the subquery once {once}");
    }

    /// A page in registration order driven by a start of a word reads the words of the index
    /// it starts, joined by OR (FTS5 merges them lazily), not the start (whose hits FTS5
    /// gathers all before the first): where they are few, and the start has no index of its
    /// own (2 and 3 characters do).
    #[test]
    fn a_start_drives_a_page_as_the_words_it_stands_for() {
        let (conn, _) = memory_desk(Vec::new());
        let c = conn.sqlite().expect("sqlite");
        c.execute(
            "INSERT INTO search (rowid, subject, body) VALUES (1 << 32, 'Heating', 'heat heater')",
            [],
        )
        .expect("index");
        let many: String = (0..40).map(|i| format!("lift{i} ")).collect();
        c.execute(
            "INSERT INTO search (rowid, body) VALUES (2 << 32, ?1)",
            [&many],
        )
        .expect("index");
        let driving = |typed: &str| {
            let q = Query {
                cond: Cond::Text(Text {
                    field: None,
                    text: typed.into(),
                    phrase: false,
                }),
                sort: SortKey::Age,
                reverse: true,
            };
            driving_text(&q, &Terms::of(c)).map(|(expr, _)| expr)
        };
        assert_eq!(
            driving("heating").as_deref(),
            Some("(\"heat\" OR \"heater\" OR \"heating\")")
        );
        assert_eq!(driving("heaters").as_deref(), Some("(\"heater\")"));
        assert_eq!(
            driving("hea").as_deref(),
            Some("\"hea\"*"),
            "an index of its own"
        );
        assert_eq!(driving("lift").as_deref(), Some("\"lift\"*"), "40 words");
        assert_eq!(driving("quokka").as_deref(), Some("\"quokka\"*"), "none");
        assert!(c.is_autocommit(), "the snapshot ended with the terms");
    }
}
