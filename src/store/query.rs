//! The one reader of ticket lists: any [`Query`] (a tree of conditions, an order) becomes one
//! SQL statement, read a page at a time with keyset pagination (`WHERE (key) > (?)`), so a
//! list of a million tickets scrolls like one of a hundred. `desk list`, the desk's queues
//! and its filter all read through here.

use super::Store;
use super::search::{
    each_word, fts_match, part_exact, pg_rank, pg_ticket_ids, pg_tsquery, some_part, some_part_pg,
    ticket_of,
};
use super::tickets::{COLS, FROM, Ticket, ticket_row};
use crate::core::config::Config;
use crate::core::model::{Actor, StatusCategory};
use crate::core::query::lang::{self, Vocabulary};
use crate::core::query::{
    Cmp, Cond, DateField, Groups, Query, SlaState, SortKey, Text, Viewer, When, Who,
};
use crate::core::refusal::Refusal;
use crate::error::{Error, Result};
use crate::store::db::{Connection, params_from_iter};
use rusqlite::types::Value;

mod order;
use order::{open_order_index, sort_exprs};

/// A row of a list and its position key.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub ticket: Ticket,
    pub key: Vec<Value>,
}

/// How many tickets a query matches: all of them counted, or more than a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact(i64),
    MoreThan(i64),
}

impl Count {
    /// The number, and whether it is every ticket (else: more than it).
    pub fn number(self) -> (i64, bool) {
        match self {
            Count::Exact(n) => (n, true),
            Count::MoreThan(n) => (n, false),
        }
    }
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Start<'a> {
    /// The first rows.
    Top,
    /// The last rows.
    Bottom,
    /// The rows after this position key.
    After(&'a [Value]),
    /// The rows before this position key.
    Before(&'a [Value]),
    /// The rows after skipping this many (a script's `--offset`; slower far down a big list).
    Skip(usize),
}

/// A condition as SQL over `tickets t` (joined with its assignee `a`), with its arguments.
struct Builder<'a> {
    cfg: &'a Config,
    viewer: &'a Viewer,
    conn: &'a Connection,
    /// The whole condition is text: the search hits drive the query.
    only_text: bool,
    /// Text is looked up ticket by ticket (a page another word's hits drive).
    per_ticket: bool,
    /// A condition beside the one being built names open statuses only: its index leads
    /// (the few open tickets of a status), not a group's (all of its tickets ever).
    open_status_leads: bool,
    args: Vec<Value>,
}

/// A condition every ticket meets, and one none meets: boolean in both dialects (SQLite reads
/// them as 1 and 0; PostgreSQL's WHERE takes no integer).
const ALL: &str = "TRUE";
const NONE: &str = "FALSE";

fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

impl Builder<'_> {
    /// `col IN (values)`, or false for no values.
    fn one_of(&mut self, col: &str, values: impl IntoIterator<Item = Value>) -> String {
        let before = self.args.len();
        self.args.extend(values);
        match self.args.len() - before {
            0 => NONE.into(),
            n => format!("{col} IN ({})", marks(n)),
        }
    }

    fn instant(&self, w: When) -> i64 {
        match w {
            When::At(t) => t,
            When::Ago(secs) => self.viewer.now.saturating_sub(secs),
            When::Today => self.viewer.day_start,
            When::Days(n) => crate::time::day_start_of(
                crate::time::date(self.viewer.day_start)
                    .checked_add_signed(chrono::Duration::days(i64::from(n)))
                    .unwrap_or_default(),
            ),
            When::Day(d) => crate::time::day_start_of(d),
        }
    }

    /// Whether a condition names statuses, all of them open ones.
    fn open_statuses_only(&self, c: &Cond) -> bool {
        let life = &self.cfg.lifecycle;
        match c {
            Cond::Status(ids) => {
                !ids.is_empty()
                    && ids
                        .iter()
                        .all(|s| life.category(s).is_some_and(|c| c.is_open()))
            }
            Cond::StatusCategory(cats) => !cats.is_empty() && cats.iter().all(|c| c.is_open()),
            _ => false,
        }
    }

    fn cond(&mut self, c: &Cond) -> Result<String> {
        Ok(match c {
            Cond::And(cs) | Cond::Or(cs) => {
                let (joiner, empty) = match c {
                    Cond::And(_) => (" AND ", ALL),
                    _ => (" OR ", NONE),
                };
                // Without statistics SQLite would read a group's every ticket rather than
                // the few in a status still open (0.7 s against 12 ms on a million).
                let leads = self.open_status_leads;
                self.open_status_leads =
                    matches!(c, Cond::And(_)) && cs.iter().any(|c| self.open_statuses_only(c));
                let parts = cs.iter().map(|c| self.cond(c)).collect::<Result<Vec<_>>>();
                self.open_status_leads = leads;
                let parts = parts?;
                match parts.len() {
                    0 => empty.into(),
                    1 => parts.into_iter().next().unwrap_or_default(),
                    _ => format!("({})", parts.join(joiner)),
                }
            }
            // A field a ticket lacks makes its comparison NULL: counted as not matching, so
            // the negation matches.
            Cond::Not(c) => format!("NOT coalesce({}, {NONE})", self.cond(c)?),
            Cond::Open => "t.is_open = 1".into(),
            Cond::Status(ids) => {
                let life = &self.cfg.lifecycle;
                if let Some(bad) = ids.iter().find(|s| life.status(s).is_none()) {
                    return Err(Refusal::UnknownStatus {
                        status: bad.clone(),
                        known: life.statuses().iter().map(|s| s.id.clone()).collect(),
                    }
                    .into());
                }
                self.one_of("t.status", ids.iter().map(|s| Value::Text(s.clone())))
            }
            Cond::StatusCategory(cats) => {
                let ids = self.status_ids(cats);
                self.one_of("t.status", ids.into_iter().map(Value::Text))
            }
            Cond::Assignee(Who::Nobody) => "t.assignee_id IS NULL".into(),
            Cond::Assignee(Who::Me) => {
                self.args.push(Value::Integer(self.viewer.agent_id));
                "t.assignee_id = ?".into()
            }
            Cond::Assignee(Who::Login(login)) => {
                let id = super::agents::agent_id(self.conn, login)?;
                self.args.push(Value::Integer(id));
                "t.assignee_id = ?".into()
            }
            Cond::Group(g) => self.group(g),
            Cond::Category(codes) => {
                self.one_of("t.category", codes.iter().map(|c| Value::Text(c.clone())))
            }
            Cond::Priority(ps) => {
                self.one_of("t.priority", ps.iter().map(|p| Value::Integer(p.rank())))
            }
            Cond::Channel(cs) => self.one_of(
                "t.channel",
                cs.iter().map(|c| Value::Text(c.as_str().to_string())),
            ),
            Cond::Sla(SlaState::AtRisk) => {
                self.args.push(Value::Integer(self.viewer.now));
                "(t.is_open = 1 AND t.risk_at <= ?)".into()
            }
            Cond::Sla(SlaState::Breached) => {
                self.args.push(Value::Integer(self.viewer.now));
                let waiting = self.status_ids(&[StatusCategory::Waiting]);
                let paused = self.one_of("t.status", waiting.into_iter().map(Value::Text));
                format!("(t.is_open = 1 AND t.due_at <= ? AND NOT ({paused}))")
            }
            Cond::Date(field, cmp, when) => {
                let col = match field {
                    DateField::Created => "t.created_at",
                    DateField::Updated => "t.updated_at",
                    DateField::Due => "t.due_at",
                    DateField::Resolved => "t.resolved_at",
                    DateField::Closed => "t.closed_at",
                    DateField::FirstResponse => "t.first_response_at",
                };
                let op = match cmp {
                    Cmp::Before => "<",
                    Cmp::BeforeOrAt => "<=",
                    Cmp::After => ">",
                    Cmp::AtOrAfter => ">=",
                };
                self.args.push(Value::Integer(self.instant(*when)));
                format!("{col} {op} ?")
            }
            Cond::Text(t) => self.text(t),
        })
    }

    fn group(&mut self, g: &Groups) -> String {
        let codes = match g {
            Groups::Mine => self.viewer.groups.clone(),
            Groups::Codes(codes) => codes.clone(),
        };
        let col = if self.open_status_leads {
            "+t.group_code"
        } else {
            "t.group_code"
        };
        self.one_of(col, codes.into_iter().map(Value::Text))
    }

    fn status_ids(&self, cats: &[StatusCategory]) -> Vec<String> {
        let life = &self.cfg.lifecycle;
        cats.iter()
            .flat_map(|c| life.ids_in(*c))
            .map(str::to_string)
            .collect()
    }

    fn text(&mut self, t: &Text) -> String {
        // Words typed together: each somewhere in the ticket.
        let words = each_word(t);
        if words.len() > 1 {
            let each: Vec<String> = words.iter().map(|w| self.text(w)).collect();
            return format!("({})", each.join(" AND "));
        }
        if self.conn.is_postgres() {
            // PostgreSQL's full text: the tickets its GIN indexes find (see `search`).
            let Some(q) = pg_tsquery(t) else {
                return ALL.into();
            };
            let (ids, uses) = pg_ticket_ids(t.field);
            self.args.extend(std::iter::repeat_n(Value::Text(q), uses));
            return format!("t.id IN ({ids})");
        }
        // Nothing that narrows (one-letter words): every ticket.
        let Some(m) = fts_match(t) else {
            return ALL.into();
        };
        self.args.push(Value::Text(m));
        if self.per_ticket {
            // Among a few tickets another word's hits give: the ticket's own parts, whose row
            // ids run from its id times 2³² to the next ticket's.
            return "EXISTS (SELECT 1 FROM search WHERE search MATCH ? \
                 AND search.rowid >= (t.id << 32) AND search.rowid < ((t.id + 1) << 32))"
                .into();
        }
        // Within a queue that has its own index, walk that index and use the search hits as
        // a filter (`+` keeps SQLite from driving the query from thousands of hits); when
        // the query is only text, start from the hits. Each hit is a part of a ticket.
        let id = if self.only_text { "t.id" } else { "+t.id" };
        format!(
            "{id} IN (SELECT {} FROM search WHERE search MATCH ?)",
            ticket_of("rowid")
        )
    }
}

/// A page's LIMIT (0: no limit: the largest, which both SQLite and PostgreSQL take).
fn sql_limit(limit: usize) -> i64 {
    match limit {
        0 => i64::MAX,
        n => n.min(i64::MAX as usize) as i64,
    }
}

/// How much a word weighs in each of the search index's columns when hits are ranked:
/// number, subject, requester, contact, request, notes, replies, messages.
const RANK_WEIGHTS: &str = "10.0, 5.0, 3.0, 3.0, 1.0, 1.0, 1.0, 1.0";

/// A query as SQL: its condition (None: every ticket), arguments and key columns.
struct Built {
    cond: Option<String>,
    args: Vec<Value>,
    keys: Vec<String>,
}

impl Built {
    /// `WHERE` with the condition and `more`, or nothing.
    fn where_with(&self, more: &[String]) -> String {
        let parts: Vec<&str> = self
            .cond
            .iter()
            .map(String::as_str)
            .chain(more.iter().map(String::as_str))
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", parts.join(" AND "))
        }
    }

    /// `(k1, k2, …) op (?, ?, …)`, its arguments added (one key: a plain comparison).
    fn key_cmp(&self, op: &str, key: &[Value], args: &mut Vec<Value>) -> String {
        args.extend(key.iter().cloned());
        if self.keys.len() == 1 {
            return format!("{} {op} ?", self.keys[0]);
        }
        format!("({}) {op} ({})", self.keys.join(", "), marks(key.len()))
    }
}

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
fn driving_text(q: &Query) -> Option<(String, Cond)> {
    if q.sort != SortKey::Age {
        return None;
    }
    let parts: Vec<Cond> = match &q.cond {
        Cond::And(cs) => cs.clone(),
        c => vec![c.clone()],
    };
    let best = parts
        .iter()
        .enumerate()
        .filter_map(|(i, c)| part_exact(c).map(|e| (i, e, rarity(c))))
        // The rarest; the first among equals.
        .max_by_key(|(i, _, r)| (*r, std::cmp::Reverse(*i)))?;
    let (at, expr, _) = best;
    let rest = parts
        .into_iter()
        .enumerate()
        .filter_map(|(i, c)| (i != at).then_some(c))
        .collect();
    Some((expr, Cond::And(rest)))
}

/// A query as SQL; `from_hits`: a condition of text only is read from the search index's
/// hits (else the hits filter the tickets another way reads).
fn build(
    conn: &Connection,
    cfg: &Config,
    q: &Query,
    viewer: &Viewer,
    from_hits: bool,
) -> Result<Built> {
    let mut b = Builder {
        cfg,
        viewer,
        conn,
        only_text: from_hits && q.cond.is_only_text(),
        per_ticket: false,
        open_status_leads: false,
        args: Vec::new(),
    };
    let sql = b.cond(&q.cond)?;
    Ok(Built {
        cond: (sql != ALL).then_some(sql),
        args: b.args,
        keys: sort_exprs(cfg, q.sort),
    })
}

impl Store {
    fn build(&self, cfg: &Config, q: &Query, viewer: &Viewer) -> Result<Built> {
        build(&self.conn, cfg, q, viewer, true).map_err(|e| self.map_db(e))
    }

    /// Who is looking: the agent's groups, today and now.
    pub fn viewer(&self, actor: &Actor, now: i64) -> Result<Viewer> {
        Ok(Viewer {
            agent_id: actor.id(),
            groups: self.groups_of(actor.id())?,
            day_start: crate::time::day_start(now),
            now,
        })
    }

    /// What the database holds is unchanged while this stays the same: another connection's
    /// commit moves `PRAGMA data_version`, this connection's own writes its count of changes.
    /// (A view keeps a count it read with its stamp instead of counting again.)
    pub fn change_stamp(&self) -> Result<(i64, u64)> {
        Ok((self.data_version()?, self.conn.total_changes()))
    }

    /// How many tickets a query matches.
    pub fn query_count(&self, cfg: &Config, q: &Query, viewer: &Viewer) -> Result<i64> {
        Ok(self.query_count_upto(cfg, q, viewer, None)?.number().0)
    }

    /// How many tickets a query matches, counted up to `cap` (None: all of them): a
    /// common word's tickets are not all read to say that there are more than a page.
    pub fn query_count_upto(
        &self,
        cfg: &Config,
        q: &Query,
        viewer: &Viewer,
        cap: Option<i64>,
    ) -> Result<Count> {
        let most = cap.unwrap_or(i64::MAX).max(0);
        let counted = |n: i64| {
            if n > most {
                Count::MoreThan(most)
            } else {
                Count::Exact(n)
            }
        };
        if let Some(expr) = part_exact(&q.cond).filter(|_| !self.conn.is_postgres()) {
            // Text only: the index's hits, counted ticket by ticket without the tickets (a
            // ticket's parts come one after another in the index's order).
            let run = || -> rusqlite::Result<i64> {
                let mut stmt = self.conn.prepare_cached(&format!(
                    "SELECT {} FROM search WHERE search MATCH ?1 ORDER BY rowid",
                    ticket_of("rowid")
                ))?;
                let mut rows = stmt.query([&expr])?;
                let (mut n, mut last) = (0, None);
                while let Some(r) = rows.next()? {
                    let id: i64 = r.get(0)?;
                    if last != Some(id) {
                        n += 1;
                        last = Some(id);
                        if n > most {
                            break;
                        }
                    }
                }
                Ok(n)
            };
            return run().map(counted).map_err(|e| self.err(e));
        }
        let limit = |sql: String| match cap {
            Some(_) => format!(
                "SELECT count(*) FROM (SELECT 1 {sql} LIMIT {}) AS capped",
                most.saturating_add(1)
            ),
            None => format!("SELECT count(*) {sql}"),
        };
        // Up to a bound: the tickets another index reads, the text's hits (if any) a filter
        // on them, until enough matched. (Walking the text's hits instead, ticket by ticket,
        // reads every hit when the rest of the condition keeps few: 250 ms against 50 for a
        // common word in the open tickets of a million.)
        let b = self.build(cfg, q, viewer)?;
        // Only the assignee join's column can be in a condition; counting needs no join.
        let (sql, args) = (
            limit(format!("FROM tickets t {}", b.where_with(&[]))),
            b.args,
        );
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row(params_from_iter(args.iter()), |r| r.get(0)))
            .map(counted)
            .map_err(|e| self.err(e))
    }

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
        let (sql, args) = if self.conn.is_postgres() {
            self.ranked_pg(cfg, q, viewer, offset, limit)?
        } else {
            self.ranked_sqlite(cfg, q, viewer, offset, limit)?
        };
        let run = || -> rusqlite::Result<Vec<Ticket>> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params_from_iter(args.iter()), ticket_row)?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// [`Store::query_ranked`]'s SQL and arguments on SQLite: BM25 over the FTS5 index.
    fn ranked_sqlite(
        &self,
        cfg: &Config,
        q: &Query,
        viewer: &Viewer,
        offset: usize,
        limit: usize,
    ) -> Result<(String, Vec<Value>)> {
        let Some(expr) = some_part(&q.cond) else {
            return Err(Error::Invalid(crate::msg!("search.rank_needs_words")));
        };
        // Every ticket the query matches has a part the expression finds; the condition
        // keeps those it matches (not needed when the expression is the whole condition).
        let b = match part_exact(&q.cond) {
            Some(_) => Built {
                cond: None,
                args: Vec::new(),
                keys: Vec::new(),
            },
            // Filtered after the ranking's hits, never read from another word's.
            None => build(&self.conn, cfg, q, viewer, false).map_err(|e| self.map_db(e))?,
        };
        let mut args = vec![Value::Text(expr)];
        args.extend(b.args.iter().cloned());
        let cols = COLS.replace("t.body", "''");
        // bm25() cannot be aggregated where it is computed: the parts' scores are
        // materialised first, then each ticket takes its best.
        let sql = format!(
            "WITH p AS MATERIALIZED (SELECT {} AS tid, bm25(search, {RANK_WEIGHTS}) AS r \
             FROM search WHERE search MATCH ?), h AS (SELECT tid, min(r) AS r FROM p GROUP BY tid) \
             SELECT {cols} FROM h CROSS JOIN {FROM} {} ORDER BY h.r, h.tid DESC \
             LIMIT {} OFFSET {}",
            ticket_of("rowid"),
            b.where_with(&["t.id = h.tid".to_string()]),
            sql_limit(limit),
            offset.min(i64::MAX as usize)
        );
        Ok((sql, args))
    }

    /// [`Store::query_ranked`]'s SQL and arguments on PostgreSQL: the tickets the query
    /// matches, each weighed by the parts of it that hold any of the query's words
    /// ([`pg_rank`]), the newest first among equals.
    fn ranked_pg(
        &self,
        cfg: &Config,
        q: &Query,
        viewer: &Viewer,
        offset: usize,
        limit: usize,
    ) -> Result<(String, Vec<Value>)> {
        let Some(expr) = some_part_pg(&q.cond) else {
            return Err(Error::Invalid(crate::msg!("search.rank_needs_words")));
        };
        let b = self.build(cfg, q, viewer)?;
        let mut args = vec![Value::Text(expr)];
        args.extend(b.args.iter().cloned());
        let sql = format!(
            "WITH rq AS (SELECT (?::text)::tsquery AS q) SELECT {} FROM {FROM} CROSS JOIN rq {} \
             ORDER BY {} DESC, t.id DESC LIMIT {} OFFSET {}",
            COLS.replace("t.body", "''"),
            b.where_with(&[]),
            pg_rank(),
            sql_limit(limit),
            offset.min(i64::MAX as usize)
        );
        Ok((sql, args))
    }

    /// A page in registration order driven by the hits of `expr` (see [`driving_text`]):
    /// the tickets of its hits in the index's order from `start`, each kept when `rest`
    /// matches it (its words looked up ticket by ticket). Keys are the ticket ids.
    #[allow(clippy::too_many_arguments)]
    fn driven_page(
        &self,
        cfg: &Config,
        viewer: &Viewer,
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
        let mut b = Builder {
            cfg,
            viewer,
            conn: &self.conn,
            only_text: false,
            per_ticket: true,
            open_status_leads: false,
            args: Vec::new(),
        };
        let rest = b.cond(&rest).map_err(|e| self.map_db(e))?;
        args.extend(b.args);
        let filter = if rest == ALL {
            String::new()
        } else {
            format!(" AND {rest}")
        };
        let offset = match start {
            Start::Skip(n) => n.min(i64::MAX as usize),
            _ => 0,
        };
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
            let width = stmt.column_count();
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

    /// Up to `limit` rows of a query from `start`, in the query's order (0: no limit).
    pub fn query_page(
        &self,
        cfg: &Config,
        q: &Query,
        viewer: &Viewer,
        start: Start<'_>,
        limit: usize,
    ) -> Result<Vec<QueueRow>> {
        let forward = !matches!(start, Start::Bottom | Start::Before(_));
        // Reading towards the end of the list is ascending unless the order is reversed.
        let ascending = forward != q.reverse;
        if let Some(driving) = driving_text(q).filter(|_| !self.conn.is_postgres()) {
            let mut rows = self.driven_page(cfg, viewer, driving, ascending, start, limit)?;
            if !forward {
                rows.reverse();
            }
            return Ok(rows);
        }
        let b = self.build(cfg, q, viewer)?;
        let mut args = b.args.clone();
        let mut more = Vec::new();
        if let Start::After(key) | Start::Before(key) = start
            && key.len() == b.keys.len()
        {
            more.push(b.key_cmp(if ascending { ">" } else { "<" }, key, &mut args));
        }
        let dir = if ascending { "ASC" } else { "DESC" };
        let order = b
            .keys
            .iter()
            .map(|k| format!("{k} {dir}"))
            .collect::<Vec<_>>()
            .join(", ");
        let cols = COLS.replace("t.body", "''");
        let offset = match start {
            Start::Skip(n) => n.min(i64::MAX as usize),
            _ => 0,
        };
        // SQLite's hint; PostgreSQL's planner has statistics and picks the index itself.
        let from = match open_order_index(q).filter(|_| !self.conn.is_postgres()) {
            Some(index) => FROM.replacen("tickets t", &format!("tickets t INDEXED BY {index}"), 1),
            None => FROM.to_string(),
        };
        let sql = format!(
            "SELECT {cols}, {} FROM {from} {} ORDER BY {order} LIMIT {} OFFSET {offset}",
            b.keys.join(", "),
            b.where_with(&more),
            sql_limit(limit)
        );
        let n = b.keys.len();
        let run = || -> rusqlite::Result<Vec<QueueRow>> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let width = stmt.column_count();
            let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
                let ticket = ticket_row(r)?;
                let mut key = Vec::with_capacity(n);
                for i in width - n..width {
                    key.push(r.get::<_, Value>(i)?);
                }
                Ok(QueueRow { ticket, key })
            })?;
            rows.collect()
        };
        let mut rows = run().map_err(|e| self.err(e))?;
        if !forward {
            rows.reverse();
        }
        Ok(rows)
    }

    /// The position of a key in its list: how many rows come before it.
    pub fn query_position(
        &self,
        cfg: &Config,
        q: &Query,
        viewer: &Viewer,
        key: &[Value],
    ) -> Result<i64> {
        let b = self.build(cfg, q, viewer)?;
        let mut args = b.args.clone();
        let before = b.key_cmp(if q.reverse { ">" } else { "<" }, key, &mut args);
        self.conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM {FROM} {}",
                b.where_with(&[before])
            ))
            .and_then(|mut s| s.query_row(params_from_iter(args.iter()), |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// Where a ticket sits in a list: its position key, or None when the query does not
    /// match it (so the desk can put the cursor on a ticket opened by number).
    pub fn query_key_of(
        &self,
        cfg: &Config,
        q: &Query,
        viewer: &Viewer,
        ticket_id: i64,
    ) -> Result<Option<Vec<Value>>> {
        let b = self.build(cfg, q, viewer)?;
        let mut args = b.args.clone();
        args.push(Value::Integer(ticket_id));
        let sql = format!(
            "SELECT {} FROM {FROM} {}",
            b.keys.join(", "),
            b.where_with(&["t.id = ?".to_string()])
        );
        let n = b.keys.len();
        let run = || -> rusqlite::Result<Option<Vec<Value>>> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(args.iter()))?;
            match rows.next()? {
                Some(r) => (0..n)
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<rusqlite::Result<_>>()
                    .map(Some),
                None => Ok(None),
            }
        };
        run().map_err(|e| self.err(e))
    }

    /// The names a query may use on this desk: the statuses and categories of desk.toml,
    /// the groups and agents of the database.
    pub fn vocabulary(&self, cfg: &Config) -> Result<Vocabulary> {
        let names = |sql: &str| -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        };
        let groups = names("SELECT code FROM groups ORDER BY code").map_err(|e| self.err(e))?;
        let logins = names("SELECT login FROM agents ORDER BY login").map_err(|e| self.err(e))?;
        let mut vocab = Vocabulary::of(cfg);
        vocab.groups = Some(groups);
        vocab.logins = Some(logins);
        Ok(vocab)
    }

    /// A query as typed, read with this desk's names; a mistake is one line in the reader's
    /// language, with its column (exit 2).
    pub fn parse_query(&self, cfg: &Config, text: &str) -> Result<Cond> {
        let vocab = self.vocabulary(cfg)?;
        lang::parse(text, &vocab).map_err(|e| Error::Invalid(e.message()))
    }

    /// The groups an agent belongs to.
    pub fn groups_of(&self, agent_id: i64) -> Result<Vec<String>> {
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT group_code FROM members WHERE agent_id = ?1 ORDER BY group_code",
            )?;
            let rows = stmt.query_map([agent_id], |r| r.get(0))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }
}
