//! A report computed from every ticket's row of facts: one pass over the tickets received or
//! finished in the period (what a report falls back to, and what its days are held to).

use super::{Figures, Tally, count, day_index, key_of};
use crate::core::config::Config;
use crate::core::lifecycle::StatusDef;
use crate::core::model::{Outcome, Priority, StatusCategory};
use crate::core::sla::Targets;
use crate::store::sla::decode_status_secs;
use std::collections::{BTreeMap, HashMap};

/// Time in status, by each status's place in the lifecycle (closed statuses left out: time
/// after closing is not processing time), summed without a string per ticket.
pub(super) struct StatusTime<'a> {
    pub(super) closed: Vec<&'a str>,
    pub(super) not_closed: Vec<&'a str>,
    total: Vec<i64>,
    rows: HashMap<String, Vec<i64>>,
    /// One ticket's stretches, by slot.
    ticket: Vec<(usize, i64)>,
}

impl<'a> StatusTime<'a> {
    pub(super) fn new(cfg: &'a Config) -> StatusTime<'a> {
        let statuses = cfg.lifecycle.statuses();
        let (closed, not_closed): (Vec<&StatusDef>, Vec<&StatusDef>) = statuses
            .iter()
            .partition(|s| s.category == StatusCategory::Closed);
        let ids = |v: Vec<&'a StatusDef>| v.into_iter().map(|s| s.id.as_str()).collect();
        let not_closed: Vec<&str> = ids(not_closed);
        StatusTime {
            closed: ids(closed),
            total: vec![0; not_closed.len()],
            not_closed,
            rows: HashMap::new(),
            ticket: Vec::new(),
        }
    }

    /// Adds the figures of `slots` to `f`.
    fn add_to(&self, f: &mut Figures, slots: &[i64]) {
        for (st, secs) in self.not_closed.iter().zip(slots) {
            if *secs > 0 {
                *f.status_secs.entry(st.to_string()).or_default() += secs;
            }
        }
    }
}

impl Tally<'_> {
    /// Whether the period covers more than a quarter of the desk's history: its facts are then
    /// read straight through the narrow table (faster than half of it through an index).
    pub(super) fn long_period(&self) -> rusqlite::Result<bool> {
        let (lo, hi): (Option<i64>, Option<i64>) = self.c.query_row(
            "SELECT (SELECT min(created_at) FROM facts), (SELECT max(created_at) FROM facts)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(match (lo, hi) {
            (Some(lo), Some(hi)) => {
                let overlap = self.spec.to.min(hi + 1) - self.spec.from.max(lo);
                overlap * 4 > (hi + 1 - lo)
            }
            _ => false,
        })
    }

    /// One pass over the facts of the tickets received or finished in the period. A long
    /// period reads the narrow table straight through (faster than half of it through an
    /// index); a short one goes through the two indexes.
    pub(super) fn facts(&mut self) -> rusqlite::Result<()> {
        let whole = self.long_period()?;
        let mut stmt = self.c.prepare(&format!(
            "SELECT {}, f.created_at, f.resolved_at, f.category, f.priority,
                    f.reassignments, f.first_response_secs, f.status_secs, f.outcome,
                    f.refusal, f.satisfaction, f.resolution_secs, f.status, f.status_since,
                    f.first_response_due
             FROM facts f {}
             WHERE ((f.created_at >= ?1 AND f.created_at < ?2)
                 OR (f.resolved_at >= ?1 AND f.resolved_at < ?2)) {}",
            self.dim_sql,
            if whole { "NOT INDEXED" } else { "" },
            self.group_filter
        ))?;
        let mut time = StatusTime::new(self.cfg);
        let mut q = stmt.query(crate::store::db::params_from_iter(self.args()))?;
        while let Some(r) = q.next()? {
            let key = key_of(self.dim, &r.get_ref(0)?);
            let category = r.get_ref(3)?.as_str()?;
            let priority = Priority::from_rank(r.get(4)?).unwrap_or(Priority::Normal);
            let targets = self.cfg.sla.targets(priority, category);
            if self.in_period(r.get(1)?) {
                self.received(&r, &key, &targets, &mut time)?;
            }
            if let Some(at) = r.get::<_, Option<i64>>(2)?.filter(|at| self.in_period(*at)) {
                self.finished(&r, &key, at, &targets)?;
            }
        }
        drop(q);
        time.add_to(&mut self.total, &time.total);
        for (k, slots) in &time.rows {
            if let Some(f) = self.rows.get_mut(k) {
                time.add_to(f, slots);
            }
        }
        Ok(())
    }

    /// A ticket received in the period: intake, first response, time in each status.
    fn received(
        &mut self,
        r: &crate::store::db::Row<'_>,
        key: &str,
        targets: &Targets,
        time: &mut StatusTime<'_>,
    ) -> rusqlite::Result<()> {
        let created: i64 = r.get(1)?;
        let fr: Option<i64> = r.get(6)?;
        let fr_late = fr.is_none()
            && r.get::<_, Option<i64>>(14)?
                .is_some_and(|due| due <= self.spec.now);
        // A status no longer declared keeps its name; the current stretch counts up to the
        // report's now.
        time.ticket.clear();
        let current = match r.get::<_, Option<i64>>(13)? {
            Some(since) => Some((r.get_ref(12)?.as_str()?, (self.spec.now - since).max(0))),
            None => None,
        };
        for (st, secs) in decode_status_secs(r.get_ref(7)?.as_str()?).chain(current) {
            match time.not_closed.iter().position(|o| *o == st) {
                Some(i) => time.ticket.push((i, secs)),
                None if !time.closed.contains(&st) => {
                    for f in self.targets(key) {
                        *f.status_secs.entry(st.to_string()).or_default() += secs;
                    }
                }
                None => {}
            }
        }
        for (i, secs) in &time.ticket {
            time.total[*i] += secs;
        }
        if self.dim.is_some() {
            let width = time.not_closed.len();
            let slots = time
                .rows
                .entry(key.to_string())
                .or_insert_with(|| vec![0; width]);
            for (i, secs) in &time.ticket {
                slots[*i] += secs;
            }
        }
        for f in self.targets(key) {
            f.received += 1;
            if let Some(fr) = fr {
                f.first_response.push(fr, targets.first_response);
            } else if fr_late {
                f.first_response.late();
            }
        }
        if let Some(i) = day_index(&self.starts, created) {
            self.days[i].received += 1;
        }
        count(&mut self.categories, r.get_ref(3)?.as_str()?);
        Ok(())
    }

    /// A ticket finished in the period: outcome, resolution time, rating.
    fn finished(
        &mut self,
        r: &crate::store::db::Row<'_>,
        key: &str,
        resolved_at: i64,
        targets: &Targets,
    ) -> rusqlite::Result<()> {
        let outcome = r.get_ref(8)?.as_str_or_null()?;
        let refusal = r.get_ref(9)?.as_str_or_null()?;
        let rating: Option<i64> = r.get(10)?;
        let res: Option<i64> = r.get(11)?;
        let parsed = outcome.and_then(|o| o.parse::<Outcome>().ok());
        for f in self.targets(key) {
            f.finished += 1;
            match parsed {
                Some(Outcome::Granted | Outcome::Partial) => f.resolved += 1,
                Some(Outcome::Refused | Outcome::Invalid) => f.rejected += 1,
                _ => {}
            }
            if let Some(o) = outcome {
                count_in(&mut f.outcomes, o);
            }
            if let Some(secs) = res {
                f.resolution.push(secs, targets.resolution);
            }
            if let Some(score) = rating.filter(|s| crate::core::rating::SCORES.contains(s)) {
                f.rated += 1;
                f.rating_sum += score;
                f.ratings[(score - 1) as usize] += 1;
            }
        }
        if let Some(r) = refusal.filter(|r| !r.is_empty()) {
            count(&mut self.reasons, r);
        }
        if let Some(i) = day_index(&self.starts, resolved_at) {
            self.days[i].finished += 1;
        }
        Ok(())
    }
}

/// Counts one more of `key` in an ordered map (allocating only the first time).
fn count_in(map: &mut BTreeMap<String, i64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}
