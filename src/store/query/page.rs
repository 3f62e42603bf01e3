//! A page of a query's tickets from a position, read with keyset pagination; and where a
//! ticket sits in a list.

use super::build::{offset_of, order_by, sql_limit};
use super::drive::{
    Drive, Driven, WALKED_DENSE, Window, categories, driven, groups, urgencies, walked_order,
};
use super::merge::{merged_order, whole_desk_merge};
use super::order::{OPEN_FIELDS, open_fields, open_order_index};
use super::text::driving_text;
use super::{QueueRow, Start};
use crate::core::config::Config;
use crate::core::query::{Query, SortKey, Viewer};
use crate::error::Result;
use crate::store::Store;
use crate::store::db::params_from_iter;
use crate::store::tickets::{COLS, FROM};
use rusqlite::types::Value;

impl Store {
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
        let terms = self.terms();
        // Not the open tickets with text alone: their own index (registration's) walked, the
        // open ones among the hits a list (see `open`), instead of the hits walked for the
        // few open among them (`subject:heating --sort age`: 38 ms of processor time on a
        // million, its hits being mostly of closed tickets).
        let open_text = open_order_index(q).is_some() && q.cond.has_text();
        if let Some(driving) =
            driving_text(q, &terms).filter(|_| !self.conn.is_postgres() && !open_text)
        {
            let mut rows =
                self.driven_page(cfg, viewer, &terms, driving, ascending, start, limit)?;
            if !forward {
                rows.reverse();
            }
            return Ok(rows);
        }
        // A common word over the whole desk by subject, status, assignee or priority: its
        // hits a list that walks test, or a subject's tickets taken together (see `hits`).
        let hits = match self.subjects_page(cfg, viewer, q, &terms, ascending, start, limit)? {
            Some(rows) => Some(rows),
            None => self.hits_page(cfg, q, &terms, ascending, start, limit)?,
        };
        if let Some(mut rows) = hits {
            if !forward {
                rows.reverse();
            }
            return Ok(rows);
        }
        let b = self.build(&terms, cfg, q, viewer)?;
        if let Some(m) = merged_order(cfg, q).filter(|_| !self.conn.is_postgres()) {
            let mut rows = self.merged_page(&b, &m, ascending, start, limit, None)?;
            if !forward {
                rows.reverse();
            }
            return Ok(rows);
        }
        let (args, more) = b.after_start(start, ascending);
        let order = order_by(&b.keys, ascending);
        let cols = COLS.replace("t.body", "''");
        let offset = offset_of(start);
        // SQLite's hint; PostgreSQL's planner has statistics and picks the index itself.
        let sqlite = !self.conn.is_postgres();
        let order_index = open_order_index(q).filter(|_| sqlite);
        // Over the whole desk: a condition's own index when it finds few tickets, else the
        // working order walked (see `drive`).
        let Driven {
            drive: driven,
            window,
        } = if sqlite && order_index.is_none() {
            driven(&self.conn, cfg, q, viewer, true).map_err(|e| self.map_db(e))?
        } else {
            Driven {
                drive: Drive::Own,
                window: Window::default(),
            }
        };
        let index = order_index.or_else(|| {
            (sqlite && q.sort == SortKey::Priority && open_fields(&q.cond)).then_some(OPEN_FIELDS)
        });
        let index = match driven {
            Drive::Index(i) | Drive::Walk(Some(i)) => Some(i),
            // A walk that gives up: the time's index (see `drive::Window`).
            _ => window.fallback.or(index),
        };
        let hinted = |from: &str| match index {
            Some(index) => from.replacen("tickets t", &format!("tickets t INDEXED BY {index}"), 1),
            None => from.to_string(),
        };
        let keys = b.keys.join(", ");
        // The page's ids first, from the condition and the order alone, then their rows: a
        // sort (an order no index gives) sorts keys read from an index, not whole rows with
        // their agents joined (`-status:closed` on a million: 7,000 rows read to show 50).
        // Not where an order's own index walks the page, nor by assignee (another table's).
        if driven == Drive::Merged
            && let Some(m) = whole_desk_merge(cfg, q.sort, || self.agents_by_login())?
        {
            let ids = window.ids_sql("t", false);
            let mut rows = self.merged_page(&b, &m, ascending, start, limit, ids.as_deref())?;
            if !forward {
                rows.reverse();
            }
            return Ok(rows);
        }
        if let (Drive::Walk(_), Some(against)) = (driven, walked_order(q.sort)) {
            let key = match start {
                Start::After(k) | Start::Before(k) if k.len() == b.keys.len() => Some(k),
                _ => None,
            };
            let page = (limit, offset);
            let cats = categories(&q.cond);
            let cats = cats.as_deref();
            let groups = groups(&q.cond, viewer);
            let groups = groups.as_deref();
            let mut walked =
                self.walk_page(&b, against, cats, groups, ascending, key, page, &window)?;
            if walked.is_none() && window.dense {
                // A time that keeps much of the desk: the walk goes on a while longer.
                let longer = Window {
                    walked: WALKED_DENSE,
                    ..window.clone()
                };
                walked =
                    self.walk_page(&b, against, cats, groups, ascending, key, page, &longer)?;
            }
            if let Some(mut rows) = walked {
                if !forward {
                    rows.reverse();
                }
                return Ok(rows);
            }
        }
        if driven == Drive::Split {
            let key = match start {
                Start::After(k) | Start::Before(k) if k.len() == b.keys.len() => Some(k),
                _ => None,
            };
            if let Some(mut rows) = self.split_page(
                &b,
                urgencies(&q.cond).as_deref(),
                ascending,
                key,
                (limit, offset),
                &window,
            )? {
                if !forward {
                    rows.reverse();
                }
                return Ok(rows);
            }
        }
        let sql = if sqlite && limit > 0 && order_index.is_none() && !keys.contains("a.") {
            format!(
                "SELECT {cols}, {keys} FROM {FROM} WHERE t.id IN (SELECT t.id FROM {} {} \
                 ORDER BY {order} LIMIT {} OFFSET {offset}) ORDER BY {order}",
                hinted("tickets t"),
                b.where_with(&more),
                sql_limit(limit)
            )
        } else {
            format!(
                "SELECT {cols}, {keys} FROM {} {} ORDER BY {order} LIMIT {} OFFSET {offset}",
                hinted(FROM),
                b.where_with(&more),
                sql_limit(limit)
            )
        };
        let mut rows = self.rows_keyed(&sql, &args, b.keys.len())?;
        if !forward {
            rows.reverse();
        }
        Ok(rows)
    }

    /// Every agent (id, login), in login order.
    pub(super) fn agents_by_login(&self) -> Result<Vec<(i64, String)>> {
        let run = || -> rusqlite::Result<Vec<(i64, String)>> {
            let mut stmt = self
                .conn
                .prepare_cached("SELECT id, login FROM agents ORDER BY login")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// The position of a key in its list: how many rows come before it.
    pub fn query_position(
        &self,
        cfg: &Config,
        q: &Query,
        viewer: &Viewer,
        key: &[Value],
    ) -> Result<i64> {
        let terms = self.terms();
        let b = self.build(&terms, cfg, q, viewer)?;
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
        let terms = self.terms();
        let b = self.build(&terms, cfg, q, viewer)?;
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
}
