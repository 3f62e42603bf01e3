//! Deadline extensions in a report (`desk extend`, issue 15): how many tickets had their
//! deadline extended in the period, how many times, and by how much — in all, and the median
//! extension. Counted by when each extension was made (the history's `extended` events, read
//! through the index of events by kind and time), in the breakdown row of the ticket as it is
//! now, like reassignments.

use super::Tally;
use std::collections::HashMap;

/// The extensions of a set of tickets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extensions {
    /// Tickets extended at least once.
    pub tickets: i64,
    /// Each extension's length in seconds of the targets' time (working time when `[sla]`
    /// has a calendar), sorted once the report is made.
    secs: Vec<i64>,
}

impl Extensions {
    /// How many extensions.
    pub fn count(&self) -> usize {
        self.secs.len()
    }

    /// The time they added up to.
    pub fn total(&self) -> i64 {
        self.secs.iter().sum()
    }

    /// The median extension (nearest rank, as the report's other medians).
    pub fn median(&self) -> Option<i64> {
        if self.secs.is_empty() {
            return None;
        }
        Some(self.secs[self.secs.len().div_ceil(2) - 1])
    }

    pub(super) fn add(&mut self, secs: i64) {
        self.secs.push(secs);
    }

    pub(super) fn sort(&mut self) {
        self.secs.sort_unstable();
    }
}

impl Tally<'_> {
    /// The period's extensions, into the total and each breakdown row.
    pub(super) fn extensions(&mut self) -> rusqlite::Result<()> {
        let mut stmt = self.c.prepare(&format!(
            "SELECT {}, e.ticket_id, e.from_value
             FROM events e INDEXED BY events_kind_at
             JOIN facts f ON f.ticket_id = e.ticket_id
             WHERE e.kind = 'extended' AND e.at >= ?1 AND e.at < ?2 {}",
            self.dim_sql, self.group_filter
        ))?;
        let mut by_ticket: HashMap<i64, (String, Vec<i64>)> = HashMap::new();
        let mut q = stmt.query(crate::store::db::params_from_iter(self.args()))?;
        while let Some(r) = q.next()? {
            let secs = r
                .get_ref(2)?
                .as_str_or_null()?
                .and_then(|s| s.trim().parse::<i64>().ok())
                .filter(|s| *s > 0);
            let Some(secs) = secs else { continue };
            let t = by_ticket
                .entry(r.get(1)?)
                .or_insert_with(|| (String::new(), Vec::new()));
            if self.dim.is_some() && t.1.is_empty() {
                t.0 = super::key_of(self.dim, &r.get_ref(0)?);
            }
            t.1.push(secs);
        }
        drop(q);
        for (key, all) in by_ticket.values() {
            for f in self.targets(key) {
                f.extended.tickets += 1;
                for secs in all {
                    f.extended.add(*secs);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_and_the_median_extension() {
        let mut e = Extensions::default();
        assert_eq!((e.count(), e.total(), e.median()), (0, 0, None));
        for s in [86_400 * 10, 3_600, 86_400] {
            e.add(s);
        }
        e.sort();
        assert_eq!(e.count(), 3);
        assert_eq!(e.total(), 86_400 * 11 + 3_600);
        assert_eq!(e.median(), Some(86_400));
        e.add(7_200);
        e.sort();
        assert_eq!(e.median(), Some(7_200), "the lower middle of an even count");
    }
}
