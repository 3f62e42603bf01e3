//! A [`Query`]'s condition as SQL over `tickets t` (joined with its assignee `a`), with its
//! arguments and the key columns of its order.

use super::Start;
use super::order::sort_exprs;
use crate::core::config::Config;
use crate::core::model::StatusCategory;
use crate::core::query::{
    Cmp, Cond, DateField, Groups, Query, SlaState, Text, Viewer, When, Who, statuses,
};
use crate::core::refusal::Refusal;
use crate::error::Result;
use crate::store::Store;
use crate::store::db::Connection;
use crate::store::search::{Terms, each_word, fts_match, pg_ticket_ids, pg_tsquery, ticket_of};
use rusqlite::types::Value;

/// A condition as SQL over `tickets t` (joined with its assignee `a`), with its arguments.
pub(super) struct Builder<'a> {
    pub(super) cfg: &'a Config,
    pub(super) viewer: &'a Viewer,
    pub(super) conn: &'a Connection,
    /// The words of the index a typed start stands for (SQLite; see `fts_terms`).
    pub(super) terms: &'a Terms<'a>,
    /// The whole condition is text: the search hits drive the query.
    pub(super) only_text: bool,
    /// Text is looked up ticket by ticket (a page another word's hits drive).
    pub(super) per_ticket: bool,
    /// The whole condition keeps open tickets only: its text reads the open tickets the index
    /// finds, read first (see `query::open`), where `terms` reads them.
    pub(super) open_only: bool,
    /// A condition beside the one being built names statuses none of them closed: the
    /// status index leads (the few tickets not yet closed in those statuses), not a group's
    /// (all of its tickets ever).
    pub(super) status_leads: bool,
    pub(super) args: Vec<Value>,
}

/// A condition every ticket meets, and one none meets: boolean in both dialects (SQLite reads
/// them as 1 and 0; PostgreSQL's WHERE takes no integer).
pub(super) const ALL: &str = "TRUE";
pub(super) const NONE: &str = "FALSE";

pub(super) fn marks(n: usize) -> String {
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

    /// Whether a condition on the status alone keeps statuses none of which is closed (of
    /// the configuration's: a status it does not name may hold any number of tickets). On a
    /// desk tickets pile up closed; the others are few, whatever the desk's age.
    fn status_lead(&self, c: &Cond) -> Result<bool> {
        let life = &self.cfg.lifecycle;
        let kept = match c {
            Cond::Status(ids) => ids.clone(),
            Cond::StatusCategory(cats) => self.status_ids(cats),
            Cond::Not(x) if !self.conn.is_postgres() => match self.named_statuses(x)? {
                Some(named) => self.other_statuses(&named)?,
                None => return Ok(false),
            },
            _ => return Ok(false),
        };
        Ok(!kept.is_empty()
            && kept.iter().all(|s| {
                life.category(s)
                    .is_some_and(|c| c != StatusCategory::Closed)
            }))
    }

    /// Every status a condition names is one the configuration declares (also under a
    /// negation, before statuses side by side are merged into one set).
    fn check_named(&self, c: &Cond) -> Result<()> {
        match c {
            Cond::Status(ids) => self.check_statuses(ids),
            Cond::Not(x) => self.check_named(x),
            _ => Ok(()),
        }
    }

    pub(super) fn cond(&mut self, c: &Cond) -> Result<String> {
        Ok(match c {
            Cond::And(cs) | Cond::Or(cs) => {
                let all = matches!(c, Cond::And(_));
                let (joiner, empty) = if all { (" AND ", ALL) } else { (" OR ", NONE) };
                // Statuses side by side are one set (`-is:done -is:closed`: the statuses
                // left), which the status index reads.
                for c in cs {
                    self.check_named(c)?;
                }
                let cs = statuses::merge(cs, all, &self.cfg.lifecycle);
                // Without statistics SQLite would read a group's every ticket rather than
                // the few in a status not closed (0.7 s against 12 ms on a million).
                let leads = self.status_leads;
                let mut lead = false;
                if all {
                    for c in &cs {
                        lead = lead || self.status_lead(c)?;
                    }
                }
                self.status_leads = lead;
                let parts = cs.iter().map(|c| self.cond(c)).collect::<Result<Vec<_>>>();
                self.status_leads = leads;
                let parts = parts?;
                match parts.len() {
                    0 => empty.into(),
                    1 => parts.into_iter().next().unwrap_or_default(),
                    _ => format!("({})", parts.join(joiner)),
                }
            }
            // A time every ticket has (registration, the last update): the other comparison,
            // which its index seeks (`-updated<7d`: SQLite read every ticket for the negation).
            Cond::Not(c)
                if let Cond::Date(f @ (DateField::Created | DateField::Updated), cmp, when) =
                    **c =>
            {
                self.cond(&Cond::Date(f, cmp.negated(), when))?
            }
            // A field a ticket lacks makes its comparison NULL: counted as not matching, so
            // the negation matches.
            Cond::Not(c) => match self.named_statuses(c)? {
                // Every status but these, as the statuses tickets have: the status index
                // reads them (SQLite reads every ticket for a negation: 1.4 s on a million
                // for `-status:closed updated<7d`).
                Some(named) if !self.conn.is_postgres() => {
                    let others = self.other_statuses(&named)?;
                    self.one_of("t.status", others.into_iter().map(Value::Text))
                }
                _ => format!("NOT coalesce({}, {NONE})", self.cond(c)?),
            },
            Cond::Open => "t.is_open = 1".into(),
            Cond::Status(ids) => {
                self.check_statuses(ids)?;
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
                let id = crate::store::agents::agent_id(self.conn, login)?;
                self.args.push(Value::Integer(id));
                "t.assignee_id = ?".into()
            }
            Cond::Group(g) => self.group(g),
            Cond::Category(codes) => {
                // The category's index (schema V30) holds the whole desk: never for the open
                // tickets, a few in a thousand of it, which SQLite, without statistics, would
                // read through it (`category:HSG --sort updated`: 165,897 rows of a million).
                let col = if self.open_only && !self.conn.is_postgres() {
                    "+t.category"
                } else {
                    "t.category"
                };
                self.one_of(col, codes.iter().map(|c| Value::Text(c.clone())))
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
        let col = if self.status_leads {
            "+t.group_code"
        } else {
            "t.group_code"
        };
        self.one_of(col, codes.into_iter().map(Value::Text))
    }

    /// A status the configuration does not name is refused with the ones it does.
    fn check_statuses(&self, ids: &[String]) -> Result<()> {
        let life = &self.cfg.lifecycle;
        match ids.iter().find(|s| life.status(s).is_none()) {
            Some(bad) => Err(Refusal::UnknownStatus {
                status: bad.clone(),
                known: life.statuses().iter().map(|s| s.id.clone()).collect(),
            }
            .into()),
            None => Ok(()),
        }
    }

    /// The statuses a condition on the status alone names (None: another condition).
    fn named_statuses(&self, c: &Cond) -> Result<Option<Vec<String>>> {
        Ok(match c {
            Cond::Status(ids) => {
                self.check_statuses(ids)?;
                Some(ids.clone())
            }
            Cond::StatusCategory(cats) => Some(self.status_ids(cats)),
            _ => None,
        })
    }

    /// Every status a ticket can have but `named`: the configuration's, and any other that
    /// tickets still have (a status a changed configuration no longer names), each found
    /// by one seek in the status index.
    fn other_statuses(&self, named: &[String]) -> Result<Vec<String>> {
        let mut all: Vec<String> = self
            .cfg
            .lifecycle
            .statuses()
            .iter()
            .map(|s| s.id.clone())
            .collect();
        all.extend(statuses_present(self.conn)?);
        all.sort();
        all.dedup();
        all.retain(|s| !named.contains(s));
        Ok(all)
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
        let Some(m) = fts_match(t, self.terms) else {
            return ALL.into();
        };
        let id = if self.only_text { "t.id" } else { "+t.id" };
        if self.open_only
            && !self.per_ticket
            && let Some(ids) = self.terms.open_hits(&m)
        {
            // The open tickets that have a hit: the condition keeps open tickets only.
            self.args.push(Value::Text(ids.to_string()));
            return format!("{id} IN (SELECT value FROM json_each(?))");
        }
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
        format!(
            "{id} IN (SELECT {} FROM search WHERE search MATCH ?)",
            ticket_of("rowid")
        )
    }
}

/// The statuses tickets have, in the status index's order: each the least one after the
/// last, one index seek each (never a read of the tickets).
fn statuses_present(conn: &Connection) -> Result<Vec<String>> {
    let mut found: Vec<String> = Vec::new();
    loop {
        let next: Option<String> = match found.last() {
            None => conn
                .prepare_cached("SELECT min(status) FROM tickets")?
                .query_row([], |r| r.get(0))?,
            Some(last) => conn
                .prepare_cached("SELECT min(status) FROM tickets WHERE status > ?1")?
                .query_row([last], |r| r.get(0))?,
        };
        match next {
            Some(s) => found.push(s),
            None => return Ok(found),
        }
    }
}

/// Whether a condition keeps open tickets only: the open tickets, or those at risk or
/// breached (open ones too), beside anything else.
pub(super) fn keeps_open_only(c: &Cond) -> bool {
    match c {
        Cond::Open | Cond::Sla(_) => true,
        Cond::And(cs) => cs.iter().any(keeps_open_only),
        _ => false,
    }
}

/// A page's LIMIT (0: no limit: the largest, which both SQLite and PostgreSQL take).
pub(super) fn sql_limit(limit: usize) -> i64 {
    match limit {
        0 => i64::MAX,
        n => n.min(i64::MAX as usize) as i64,
    }
}

/// `ORDER BY`'s terms: each key read `ascending` or descending.
pub(super) fn order_by(keys: &[String], ascending: bool) -> String {
    let dir = if ascending { "ASC" } else { "DESC" };
    keys.iter()
        .map(|k| format!("{k} {dir}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A query as SQL: its condition (None: every ticket), arguments and key columns.
pub(super) struct Built {
    pub(super) cond: Option<String>,
    pub(super) args: Vec<Value>,
    pub(super) keys: Vec<String>,
}

impl Built {
    /// Where a page starts: the arguments with a position's key, and the comparison that
    /// keeps what lies after it (before it, reading backwards; nothing from the top or an
    /// offset).
    pub(super) fn after_start(
        &self,
        start: Start<'_>,
        ascending: bool,
    ) -> (Vec<Value>, Vec<String>) {
        let mut args = self.args.clone();
        let mut more = Vec::new();
        if let Start::After(key) | Start::Before(key) = start
            && key.len() == self.keys.len()
        {
            more.push(self.key_cmp(if ascending { ">" } else { "<" }, key, &mut args));
        }
        (args, more)
    }

    /// `WHERE` with the condition and `more`, or nothing.
    pub(super) fn where_with(&self, more: &[String]) -> String {
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
    pub(super) fn key_cmp(&self, op: &str, key: &[Value], args: &mut Vec<Value>) -> String {
        args.extend(key.iter().cloned());
        if self.keys.len() == 1 {
            return format!("{} {op} ?", self.keys[0]);
        }
        format!("({}) {op} ({})", self.keys.join(", "), marks(key.len()))
    }
}

/// The tickets a page asked by its place skips (none for a page from a position or an end).
pub(super) fn offset_of(start: Start<'_>) -> usize {
    match start {
        Start::Skip(n) => n.min(i64::MAX as usize),
        _ => 0,
    }
}

impl<'a> Builder<'a> {
    /// A builder of a condition asked of one ticket at a time, its text looked up in the
    /// ticket's own parts (a page another reading drives: a word's hits, a subject's tickets).
    pub(super) fn per_ticket(
        cfg: &'a Config,
        viewer: &'a Viewer,
        conn: &'a Connection,
        terms: &'a Terms<'a>,
    ) -> Builder<'a> {
        Builder {
            cfg,
            viewer,
            conn,
            terms,
            only_text: false,
            per_ticket: true,
            open_only: false,
            status_leads: false,
            args: Vec::new(),
        }
    }
}

/// A query as SQL; `from_hits`: a condition of text only is read from the search index's
/// hits (else the hits filter the tickets another way reads). Its starts of words are read as
/// `terms` names them: it must live until the statement has run.
pub(super) fn build(
    conn: &Connection,
    terms: &Terms,
    cfg: &Config,
    q: &Query,
    viewer: &Viewer,
    from_hits: bool,
) -> Result<Built> {
    let mut b = Builder {
        cfg,
        viewer,
        conn,
        terms,
        only_text: from_hits && q.cond.is_only_text(),
        per_ticket: false,
        open_only: keeps_open_only(&q.cond),
        status_leads: false,
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
    pub(super) fn build(
        &self,
        terms: &Terms,
        cfg: &Config,
        q: &Query,
        viewer: &Viewer,
    ) -> Result<Built> {
        build(&self.conn, terms, cfg, q, viewer, true).map_err(|e| self.map_db(e))
    }

    /// The words of the index typed starts stand for, for one statement (see `fts_terms`):
    /// on SQLite, unless the plain plan was asked for.
    pub(in crate::store) fn terms(&self) -> Terms<'_> {
        match self.conn.sqlite() {
            Ok(c) if !self.plain_starts => {
                let terms = Terms::of(c);
                if self.plain_open_text {
                    terms
                } else {
                    terms.with_open_hits(&self.open_hits)
                }
            }
            _ => Terms::none(),
        }
    }

    /// Reads text in a list of open tickets as the index's hits asked in the statement
    /// (`plain`), or as the open tickets the index finds read first (the default, see
    /// `query::open`): the same tickets in the same order. For comparing the two.
    pub fn read_open_text_plainly(&mut self, plain: bool) {
        self.plain_open_text = plain;
    }

    /// Reads every typed start as FTS5 reads a start (`plain`), or as the words of the index
    /// it stands for when they are few (the default): the same tickets in the same order,
    /// the second lazily. For comparing the two.
    pub fn read_starts_plainly(&mut self, plain: bool) {
        self.plain_starts = plain;
    }
}

/// A desk in memory at the latest schema and a viewer of it (agent 1 in `groups`, a million
/// seconds after the epoch), for the tests of SQLite's plans.
/// How many of SQLite's virtual machine steps `run` takes on `c` (the work it does, the
/// same on any machine at any load).
#[cfg(test)]
pub(super) fn steps<T>(c: &rusqlite::Connection, run: impl FnOnce() -> T) -> (T, u64) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let n = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&n);
    c.progress_handler(
        1,
        Some(move || {
            counted.fetch_add(1, Ordering::Relaxed);
            false
        }),
    )
    .expect("count");
    let out = run();
    c.progress_handler(1, None::<fn() -> bool>)
        .expect("stop counting");
    (out, n.load(Ordering::Relaxed))
}

#[cfg(test)]
pub(super) fn memory_desk(groups: Vec<String>) -> (Connection, Viewer) {
    let mut raw = rusqlite::Connection::open_in_memory().expect("memory db");
    crate::store::schema::migrations()
        .to_latest(&mut raw)
        .expect("migrate");
    let viewer = Viewer {
        agent_id: 1,
        groups,
        day_start: 0,
        now: 1_000_000,
    };
    (Connection::from(raw), viewer)
}

/// A query's SQL as a page reads it, its starts read as FTS5 reads them (the tests' one way
/// to build it).
#[cfg(test)]
pub(super) fn built(conn: &Connection, cfg: &Config, q: &Query, viewer: &Viewer) -> Built {
    build(conn, &Terms::none(), cfg, q, viewer, true).expect("build")
}

/// SQLite's plan of a statement, one line per step.
#[cfg(test)]
pub(super) fn plan(conn: &Connection, sql: &str, args: &[Value]) -> Vec<String> {
    conn.sqlite()
        .and_then(|c| {
            let mut s = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
            let rows = s.query_map(rusqlite::params_from_iter(args.iter()), |r| {
                r.get::<_, String>(3)
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::query::Query;

    /// A negation of statuses reads the status index for the other statuses (those of the
    /// configuration and any other a ticket still has), never every ticket: SQLite scanned
    /// a million tickets for `-status:closed updated<7d` (1.4 s).
    #[test]
    fn a_negation_of_statuses_reads_the_status_index() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(Vec::new());
        let week_ago = Cond::Date(DateField::Updated, Cmp::After, When::Ago(7 * 86_400));
        let housing = Cond::Group(Groups::Codes(vec!["HOUSING".into()]));
        for cond in [
            // Two negations are one set, the statuses neither names (none closed): the
            // status index leads, not the group's every ticket (1.77 s on a million).
            Cond::StatusCategory(vec![StatusCategory::Done])
                .not()
                .and(Cond::StatusCategory(vec![StatusCategory::Closed]).not())
                .and(housing.clone()),
            Cond::Status(vec!["closed".into()])
                .not()
                .and(Cond::StatusCategory(vec![StatusCategory::Done]).not())
                .and(housing),
            Cond::Status(vec!["closed".into()])
                .not()
                .and(week_ago.clone()),
            Cond::StatusCategory(vec![StatusCategory::Closed, StatusCategory::Done])
                .not()
                .and(week_ago),
        ] {
            let b = built(&conn, &cfg, &Query::new(cond.clone()), &viewer);
            // One set of statuses: the index reads those left, not one negation's (the
            // closed tickets among them) filtered by the other's.
            let sql = b.cond.clone().unwrap_or_default();
            assert_eq!(sql.matches("t.status IN").count(), 1, "{sql}");
            let sql = format!("SELECT t.id FROM tickets t {} LIMIT 50", b.where_with(&[]));
            let plan = plan(&conn, &sql, &b.args);
            assert!(
                plan.iter().all(|l| !l.starts_with("SCAN t")),
                "{cond:?}: {plan:?}"
            );
            assert!(
                plan.iter()
                    .any(|l| l.contains("tickets_status") && !l.contains("tickets_group")),
                "{cond:?}: {plan:?}"
            );
            assert!(
                plan.iter().all(|l| !l.contains("tickets_group")),
                "{cond:?}: {plan:?}"
            );
        }
    }
}
