//! Reassignments (misattribution) in the period, from the index of owner changes.

use super::{Tally, key_of};
use std::collections::HashMap;

impl Tally<'_> {
    /// Reassignments: one definition (`core::sla::is_reassignment`, undone ones left out) for
    /// every figure — how many, of how many tickets, by whom, in which categories. Counted by
    /// when they happened; an undo takes its step back (desk writes an owner change only when
    /// the owner changes, so the index holds them). Returns who passed tickets on and in
    /// which categories.
    pub(super) fn reassignments(&mut self) -> rusqlite::Result<[HashMap<String, i64>; 2]> {
        let mut stmt = self.c.prepare(&format!(
            "SELECT {}, e.ticket_id, f.category,
                    CASE WHEN e.text IS NOT DISTINCT FROM 'undo' THEN e.to_value ELSE e.from_value END,
                    e.text IS NOT DISTINCT FROM 'undo'
             FROM events e INDEXED BY events_reassigned
             JOIN facts f ON f.ticket_id = e.ticket_id
             WHERE e.kind = 'assigned' AND e.at >= ?1 AND e.at < ?2
               AND e.from_value IS NOT NULL AND e.to_value IS NOT NULL {}",
            self.dim_sql, self.group_filter
        ))?;
        let mut by_agent: HashMap<String, i64> = HashMap::new();
        let mut by_category: HashMap<String, i64> = HashMap::new();
        let mut by_ticket: HashMap<i64, (i64, String)> = HashMap::new();
        let mut q = stmt.query(crate::store::db::params_from_iter(self.args()))?;
        while let Some(r) = q.next()? {
            let step = if r.get::<_, bool>(4)? { -1 } else { 1 };
            let t = by_ticket
                .entry(r.get(1)?)
                .or_insert_with(|| (0, String::new()));
            t.0 += step;
            if self.dim.is_some() && t.1.is_empty() {
                t.1 = key_of(self.dim, &r.get_ref(0)?);
            }
            *by_agent
                .entry(r.get_ref(3)?.as_str()?.to_string())
                .or_default() += step;
            *by_category
                .entry(r.get_ref(2)?.as_str()?.to_string())
                .or_default() += step;
        }
        drop(q);
        for (n, key) in by_ticket.values().filter(|(n, _)| *n > 0) {
            for f in self.targets(key) {
                f.reassigned_tickets += 1;
                f.reassignments += n;
            }
        }
        by_agent.retain(|_, n| *n > 0);
        by_category.retain(|_, n| *n > 0);
        Ok([by_agent, by_category])
    }
}
