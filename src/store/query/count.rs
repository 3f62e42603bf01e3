//! How many tickets a query matches: all counted, or up to a bound.

use super::Count;
use super::drive::{Drive, driven};
use super::order::{OPEN_FIELDS, open_fields};
use crate::core::config::Config;
use crate::core::query::{Cond, Query, SlaState, Viewer};
use crate::error::Result;
use crate::store::Store;
use crate::store::db::params_from_iter;
use crate::store::search::{part_exact, part_exact_pg, pg_ticket_ids, ticket_of};

impl Store {
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
        let terms = self.terms();
        if let Some(expr) = part_exact(&q.cond, &terms).filter(|_| !self.conn.is_postgres()) {
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
        if let Some(tsq) = part_exact_pg(&q.cond).filter(|_| self.conn.is_postgres()) {
            // Text only, as above: the tickets the GIN indexes give, each once, without
            // reading the tickets (joining them back cost as much again as finding them).
            let (ids, uses) = pg_ticket_ids(None);
            let sql = format!(
                "SELECT count(*) FROM (SELECT DISTINCT id FROM ({ids}) AS h (id){}) AS c",
                match cap {
                    Some(_) => format!(" LIMIT {}", most.saturating_add(1)),
                    None => String::new(),
                }
            );
            return self
                .conn
                .query_row(
                    &sql,
                    params_from_iter(std::iter::repeat_n(&tsq, uses)),
                    |r| r.get(0),
                )
                .map(counted)
                .map_err(|e| self.err(e));
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
        let b = self.build(&terms, cfg, q, viewer)?;
        // Only the assignee join's column can be in a condition; counting needs no join.
        // Over the whole desk, the index of the condition that finds the fewest tickets when
        // they are few (see `drive`).
        let index = match count_index(q, self.conn.is_postgres()) {
            Some(i) => Some(i),
            None => {
                let d = driven(&self.conn, cfg, q, viewer, false).map_err(|e| self.map_db(e))?;
                match d.drive {
                    Drive::Index(i) | Drive::Walk(Some(i)) => Some(i),
                    Drive::Split | Drive::Walk(None) | Drive::Merged | Drive::Own => {
                        d.window.fallback
                    }
                }
            }
        };
        let index = index
            .map(|i| format!(" INDEXED BY {i}"))
            .unwrap_or_default();
        let (sql, args) = (
            limit(format!("FROM tickets t{index} {}", b.where_with(&[]))),
            b.args,
        );
        self.conn
            .prepare_cached(&sql)
            .and_then(|mut s| s.query_row(params_from_iter(args.iter()), |r| r.get(0)))
            .map(counted)
            .map_err(|e| self.err(e))
    }
}

/// SQLite's hint for a count, where it has one (PostgreSQL's planner has statistics): the
/// open fields' index for a condition on them; the tickets at risk in their own index (the
/// open tickets with a time of risk), where SQLite, without statistics, would read every open
/// ticket's row for its time of risk (5,614 rows on a million, most of the at-risk queue's
/// key).
fn count_index(q: &Query, postgres: bool) -> Option<&'static str> {
    if postgres {
        None
    } else if open_fields(&q.cond) {
        Some(OPEN_FIELDS)
    } else {
        matches!(q.cond, Cond::Sla(SlaState::AtRisk)).then_some("tickets_risk")
    }
}

#[cfg(test)]
mod tests {
    use super::super::build::{build, memory_desk, plan};
    use super::*;
    use crate::store::search::Terms;

    /// The at-risk queue's count walks the index of the tickets at risk, with the condition
    /// as the reader writes it (a hint SQLite could not follow would fail the count).
    #[test]
    fn the_at_risk_queue_is_counted_in_its_index() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(Vec::new());
        let at_risk = Query::new(Cond::Sla(SlaState::AtRisk));
        let b = build(&conn, &Terms::none(), &cfg, &at_risk, &viewer, true).expect("build");
        let sql = format!(
            "SELECT count(*) FROM tickets t INDEXED BY {} {}",
            count_index(&at_risk, false).expect("a hint"),
            b.where_with(&[])
        );
        let plan = plan(&conn, &sql, &b.args);
        assert!(plan.iter().any(|l| l.contains("tickets_risk")), "{plan:?}");
        assert_eq!(count_index(&Query::new(Cond::Open), false), None);
        assert_eq!(count_index(&at_risk, true), None);
    }
}
