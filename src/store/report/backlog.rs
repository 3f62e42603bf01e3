//! The backlog at the end of the period and day by day, from indexed counts of the facts.

use super::{Tally, key_of};
use std::collections::HashMap;

impl Tally<'_> {
    /// How many tickets of each breakdown value the facts index `index` finds under `cond`
    /// (`?1` is `at`).
    fn grouped(&self, index: &str, cond: &str, at: i64) -> rusqlite::Result<HashMap<String, i64>> {
        let mut stmt = self.c.prepare(&format!(
            "SELECT {}, count(*) FROM facts f INDEXED BY {index} WHERE {cond} {} GROUP BY 1",
            self.dim_sql,
            if self.spec.group.is_some() {
                "AND f.group_code = ?2"
            } else {
                ""
            }
        ))?;
        let mut args: Vec<rusqlite::types::Value> = vec![at.into()];
        if let Some(g) = &self.spec.group {
            args.push(g.clone().into());
        }
        let mut out = HashMap::new();
        let mut q = stmt.query(crate::store::db::params_from_iter(args))?;
        while let Some(r) = q.next()? {
            out.insert(key_of(self.dim, &r.get_ref(0)?), r.get(1)?);
        }
        Ok(out)
    }

    /// Backlog at the end of the period: open now, plus what finished after it, minus what
    /// arrived after it (indexed counts; a reopened ticket counts where it is now); then day
    /// by day, backwards from the end.
    pub(super) fn backlog(&mut self) -> rusqlite::Result<()> {
        let end = self.spec.to.min(self.spec.now.max(self.spec.from + 1));
        let open_now = self.grouped("facts_open", "f.is_open = 1 AND ?1 = ?1", 0)?;
        let finished_after = self.grouped("facts_resolved", "f.resolved_at >= ?1", end)?;
        let received_after = self.grouped("facts_created", "f.created_at >= ?1", end)?;
        let mut keys: Vec<&String> = open_now.keys().chain(finished_after.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let b = open_now.get(k).copied().unwrap_or(0)
                + finished_after.get(k).copied().unwrap_or(0)
                - received_after.get(k).copied().unwrap_or(0);
            self.total.backlog += b.max(0);
            if self.dim.is_some() && (b > 0 || self.rows.contains_key(k)) {
                self.rows.entry(k.clone()).or_default().backlog = b.max(0);
            }
        }
        let mut backlog = self.total.backlog;
        for day in self.days.iter_mut().rev() {
            day.backlog = backlog.max(0);
            backlog = backlog - day.received + day.finished;
        }
        Ok(())
    }
}
