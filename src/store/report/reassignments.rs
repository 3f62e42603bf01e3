//! Reassignments (misattribution) in the period: from the index of owner changes joined to
//! each ticket's facts, or from the report's days (schema V24) corrected by that index alone.

use super::{Tally, day_index, key_of};
use std::collections::HashMap;

/// The reassignments as the report's days sum them over the period.
#[derive(Debug, Default)]
pub(super) struct FromDays {
    /// By breakdown value (None: the total): the tickets counted day by day (a ticket whose
    /// changes came to more than none on each of two days counts twice) and the owner changes
    /// (an undo counts -1).
    pub(super) by_key: HashMap<Option<String>, (i64, i64)>,
    /// Owner changes by the agent who passed the ticket on, and by its category.
    pub(super) by_agent: HashMap<String, i64>,
    pub(super) by_category: HashMap<String, i64>,
}

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

    /// The same figures from the report's days: the days count each ticket once per day and
    /// its undos as steps back, where a report counts a ticket once in the period and only if
    /// its changes there came to more than none. The index of owner changes alone (the ticket,
    /// when, undone or not) finds the tickets for which the two differ — changed on several
    /// days of the period, or taken back further than they went — and only those are looked
    /// up in the facts for their breakdown value and group.
    pub(super) fn reassignments_from_days(
        &mut self,
        mut d: FromDays,
    ) -> rusqlite::Result<[HashMap<String, i64>; 2]> {
        let mut changes: Vec<(i64, usize, i64)> = Vec::new();
        {
            let mut stmt = self.c.prepare(
                "SELECT e.ticket_id, e.at, e.text IS NOT DISTINCT FROM 'undo'
                 FROM events e INDEXED BY events_reassigned
                 WHERE e.kind = 'assigned' AND e.at >= ?1 AND e.at < ?2
                   AND e.from_value IS NOT NULL AND e.to_value IS NOT NULL",
            )?;
            let mut q = stmt.query(crate::store::db::params![self.spec.from, self.spec.to])?;
            while let Some(r) = q.next()? {
                let Some(day) = day_index(&self.starts, r.get(1)?) else {
                    continue;
                };
                let step = if r.get::<_, bool>(2)? { -1 } else { 1 };
                changes.push((r.get(0)?, day, step));
            }
        }
        changes.sort_unstable();
        // (ticket, tickets to add, changes to add) where the days' count is not the report's.
        let mut fixes: Vec<(i64, i64, i64)> = Vec::new();
        for one in changes.chunk_by(|a, b| a.0 == b.0) {
            let n: i64 = one.iter().map(|c| c.2).sum();
            let days_counted = one
                .chunk_by(|a, b| a.1 == b.1)
                .filter(|day| day.iter().map(|c| c.2).sum::<i64>() > 0)
                .count() as i64;
            let tickets = i64::from(n > 0) - days_counted;
            let steps = if n < 0 { -n } else { 0 };
            if tickets != 0 || steps != 0 {
                fixes.push((one[0].0, tickets, steps));
            }
        }
        let mut fix = |key: Option<String>, tickets: i64, steps: i64| {
            let v = d.by_key.entry(key).or_default();
            v.0 += tickets;
            v.1 += steps;
        };
        if self.dim.is_none() && self.spec.group.is_none() {
            for (_, tickets, steps) in fixes {
                fix(None, tickets, steps);
            }
        } else {
            let mut stmt = self.c.prepare_cached(&format!(
                "SELECT {}, f.group_code FROM facts f WHERE f.ticket_id = ?1",
                self.dim_sql
            ))?;
            for (ticket, tickets, steps) in fixes {
                let mut q = stmt.query([ticket])?;
                let Some(r) = q.next()? else { continue };
                if let Some(g) = &self.spec.group
                    && r.get_ref(1)?.as_str_or_null()? != Some(g.as_str())
                {
                    continue;
                }
                fix(None, tickets, steps);
                if self.dim.is_some() {
                    fix(Some(key_of(self.dim, &r.get_ref(0)?)), tickets, steps);
                }
            }
        }
        for (key, (tickets, steps)) in d.by_key {
            if tickets == 0 && steps == 0 {
                continue;
            }
            let f = match key {
                None => &mut self.total,
                Some(k) => self.rows.entry(k).or_default(),
            };
            f.reassigned_tickets += tickets;
            f.reassignments += steps;
        }
        d.by_agent.retain(|_, n| *n > 0);
        d.by_category.retain(|_, n| *n > 0);
        Ok([d.by_agent, d.by_category])
    }
}
