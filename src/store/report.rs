//! Analysis for a period: intake and outcomes, response and resolution times against their
//! targets, time in each status, reassignments, frequent problems, satisfaction, workload.
//!
//! Definitions (also in README):
//! - *received*: tickets registered in the period;
//! - *resolved* / *rejected*: tickets whose last finishing (entry into a done status) falls in
//!   the period, by outcome (granted or partial / refused or invalid);
//! - *backlog*: tickets open at the end of the period;
//! - *first response*: business time from registration to the first response, for tickets
//!   received in the period; *resolution*: business time the resolution clock counted, for
//!   tickets finished in the period (pauses while waiting excluded); *within target*: the
//!   share at or under the ticket's target (its category's, else its priority's);
//! - *time in status*: wall time the tickets received in the period spent in each status
//!   (closed statuses left out: time after closing is not processing time);
//! - *satisfaction*: ratings of the tickets finished in the period; response rate = rated /
//!   finished.

use super::Store;
use super::sla::decode_status_secs;
use crate::core::config::Config;
use crate::core::model::{Outcome, Priority};
use crate::error::{Error, Result};
use chrono::NaiveDate;
use std::collections::{BTreeMap, HashMap};

/// What a report is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Group,
    Category,
    Agent,
    Channel,
    Priority,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::Group,
        Dimension::Category,
        Dimension::Agent,
        Dimension::Channel,
        Dimension::Priority,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Dimension::Group => "group",
            Dimension::Category => "category",
            Dimension::Agent => "agent",
            Dimension::Channel => "channel",
            Dimension::Priority => "priority",
        }
    }

    pub fn parse(s: &str) -> std::result::Result<Dimension, String> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.id() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| format!("cannot break a report down by '{s}' (group, category, agent, channel, priority)"))
    }

    /// The column of `tickets t` (or the assignee's login) holding this dimension.
    fn sql(self) -> &'static str {
        match self {
            Dimension::Group => "coalesce(t.group_code, '')",
            Dimension::Category => "t.category",
            Dimension::Agent => "coalesce(a.login, '')",
            Dimension::Channel => "t.channel",
            Dimension::Priority => "t.priority",
        }
    }
}

/// A period and a breakdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    /// Start (inclusive) and end (exclusive), unix seconds.
    pub from: i64,
    pub to: i64,
    pub by: Option<Dimension>,
    /// Only tickets of this group.
    pub group: Option<String>,
    pub now: i64,
}

/// Durations of a set of tickets against their targets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Durations {
    values: Vec<i64>,
    pub with_target: i64,
    pub within: i64,
}

impl Durations {
    fn push(&mut self, secs: i64, target: Option<i64>) {
        self.values.push(secs);
        if let Some(t) = target {
            self.with_target += 1;
            if secs <= t {
                self.within += 1;
            }
        }
    }

    pub fn count(&self) -> usize {
        self.values.len()
    }

    fn sort(&mut self) {
        self.values.sort_unstable();
    }

    /// The value under which a share `q` of the durations fall (nearest rank).
    pub fn quantile(&self, q: f64) -> Option<i64> {
        if self.values.is_empty() {
            return None;
        }
        let rank = ((q * self.values.len() as f64).ceil() as usize).clamp(1, self.values.len());
        Some(self.values[rank - 1])
    }

    pub fn median(&self) -> Option<i64> {
        self.quantile(0.5)
    }

    pub fn p90(&self) -> Option<i64> {
        self.quantile(0.9)
    }

    /// The share within target, of those that have one.
    pub fn within_share(&self) -> Option<f64> {
        (self.with_target > 0).then(|| self.within as f64 / self.with_target as f64)
    }
}

/// The figures of one breakdown value (or of everything).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    pub key: String,
    pub received: i64,
    pub resolved: i64,
    pub rejected: i64,
    pub backlog: i64,
    pub first_response: Durations,
    pub resolution: Durations,
    /// Total wall seconds in each status, over the tickets received.
    pub status_secs: BTreeMap<String, i64>,
    pub outcomes: BTreeMap<String, i64>,
    /// Received tickets reassigned at least once, and all their reassignments.
    pub reassigned_tickets: i64,
    pub reassignments: i64,
    pub finished: i64,
    pub rated: i64,
    pub rating_sum: i64,
    /// Ratings 1 to 5.
    pub ratings: [i64; 5],
}

impl Figures {
    pub fn satisfaction(&self) -> Option<f64> {
        (self.rated > 0).then(|| self.rating_sum as f64 / self.rated as f64)
    }
    pub fn response_rate(&self) -> Option<f64> {
        (self.finished > 0).then(|| self.rated as f64 / self.finished as f64)
    }
}

/// One day of the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub received: i64,
    pub finished: i64,
    /// Open at the end of the day.
    pub backlog: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub spec: ReportSpec,
    pub total: Figures,
    pub rows: Vec<Figures>,
    pub days: Vec<Day>,
    pub refusal_reasons: Vec<(String, i64)>,
    pub top_categories: Vec<(String, i64)>,
    pub top_keywords: Vec<(String, i64)>,
    /// Who passed tickets on (reassignments in the period, by the agent they left).
    pub bounced_by_agent: Vec<(String, i64)>,
    pub bounced_by_category: Vec<(String, i64)>,
    /// Finished tickets' figures predate the current [sla] settings.
    pub stale: bool,
}

/// Words too common to say anything about a problem.
const STOP: &[&str] = &[
    "with",
    "from",
    "that",
    "this",
    "have",
    "been",
    "will",
    "your",
    "about",
    "after",
    "does",
    "when",
    "there",
    "their",
    "what",
    "into",
    "still",
    "again",
    "since",
    "also",
    "для",
    "что",
    "это",
    "как",
    "уже",
    "или",
    "при",
    "нет",
    "все",
    "был",
    "быть",
    "после",
    "від",
    "або",
    "вже",
    "при",
    "ще",
    "після",
    "його",
    "немає",
    "через",
];

fn keywords(subject: &str, counts: &mut HashMap<String, i64>) {
    let mut seen: Vec<String> = Vec::new();
    for w in subject.split(|c: char| !c.is_alphanumeric()) {
        if w.chars().count() < 4 || w.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let w = w.to_lowercase();
        if STOP.contains(&w.as_str()) || seen.contains(&w) {
            continue;
        }
        seen.push(w.clone());
        *counts.entry(w).or_default() += 1;
    }
}

fn top(map: HashMap<String, i64>, n: usize) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// A dimension value as shown: priorities by name, empty as "—".
fn key_of(dim: Option<Dimension>, raw: &rusqlite::types::Value) -> String {
    use rusqlite::types::Value as V;
    match (dim, raw) {
        (None, _) => String::new(),
        (Some(Dimension::Priority), V::Integer(p)) => Priority::from_rank(*p)
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| p.to_string()),
        (_, V::Text(s)) if s.is_empty() => "—".into(),
        (_, V::Text(s)) => s.clone(),
        (_, V::Integer(i)) => i.to_string(),
        _ => "—".into(),
    }
}

impl Store {
    pub fn report(&self, cfg: &Config, spec: &ReportSpec) -> Result<Report> {
        if spec.to <= spec.from {
            return Err(Error::Invalid(
                "the report's period ends before it starts".into(),
            ));
        }
        let run = || -> rusqlite::Result<Report> {
            let c = &self.conn;
            let dim = spec.by;
            let dim_sql = dim.map(Dimension::sql).unwrap_or("''");
            let group_filter = if spec.group.is_some() {
                "AND t.group_code = ?3"
            } else {
                ""
            };
            let group = spec.group.clone().unwrap_or_default();
            let mut rows: HashMap<String, Figures> = HashMap::new();
            let mut total = Figures::default();
            let mut categories: HashMap<String, i64> = HashMap::new();
            let mut words: HashMap<String, i64> = HashMap::new();
            let day_of = |at: i64| crate::time::date(at);
            let mut received_by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
            let mut finished_by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();

            // Received in the period.
            let sql = format!(
                "SELECT {dim_sql}, t.created_at, t.category, t.priority, t.reassignments,
                        s.first_response_secs, coalesce(s.status_secs, ''), t.subject
                 FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id
                 LEFT JOIN ticket_stats s ON s.ticket_id = t.id
                 WHERE t.created_at >= ?1 AND t.created_at < ?2 {group_filter}"
            );
            let mut stmt = c.prepare(&sql)?;
            let bind: Vec<rusqlite::types::Value> =
                vec![spec.from.into(), spec.to.into(), group.clone().into()];
            let n = if spec.group.is_some() { 3 } else { 2 };
            let mut q = stmt.query(rusqlite::params_from_iter(bind.iter().take(n)))?;
            while let Some(r) = q.next()? {
                let key = key_of(dim, &r.get::<_, rusqlite::types::Value>(0)?);
                let created: i64 = r.get(1)?;
                let category: String = r.get(2)?;
                let priority = Priority::from_rank(r.get(3)?).unwrap_or(Priority::Normal);
                let reassignments: i64 = r.get(4)?;
                let fr: Option<i64> = r.get(5)?;
                let status_secs: String = r.get(6)?;
                let subject: String = r.get(7)?;
                let target = cfg.sla.targets(priority, &category).first_response;
                for f in [&mut total, rows.entry(key.clone()).or_default()] {
                    f.received += 1;
                    if let Some(fr) = fr {
                        f.first_response.push(fr, target);
                    }
                    for (st, secs) in decode_status_secs(&status_secs) {
                        // Time after closing is not processing time.
                        if cfg.lifecycle.category(st)
                            != Some(crate::core::model::StatusCategory::Closed)
                        {
                            *f.status_secs.entry(st.to_string()).or_default() += secs;
                        }
                    }
                    if reassignments > 0 {
                        f.reassigned_tickets += 1;
                        f.reassignments += reassignments;
                    }
                }
                *received_by_day.entry(day_of(created)).or_default() += 1;
                *categories.entry(category).or_default() += 1;
                keywords(&subject, &mut words);
            }
            drop(q);

            // Finished in the period.
            let sql = format!(
                "SELECT {dim_sql}, t.resolved_at, t.category, t.priority, t.outcome, t.reason,
                        t.satisfaction, s.resolution_secs
                 FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id
                 LEFT JOIN ticket_stats s ON s.ticket_id = t.id
                 WHERE t.resolved_at >= ?1 AND t.resolved_at < ?2 {group_filter}"
            );
            let mut stmt = c.prepare(&sql)?;
            let mut q = stmt.query(rusqlite::params_from_iter(bind.iter().take(n)))?;
            let mut reasons: HashMap<String, i64> = HashMap::new();
            while let Some(r) = q.next()? {
                let key = key_of(dim, &r.get::<_, rusqlite::types::Value>(0)?);
                let resolved_at: i64 = r.get(1)?;
                let category: String = r.get(2)?;
                let priority = Priority::from_rank(r.get(3)?).unwrap_or(Priority::Normal);
                let outcome: Option<String> = r.get(4)?;
                let reason: Option<String> = r.get(5)?;
                let rating: Option<i64> = r.get(6)?;
                let res: Option<i64> = r.get(7)?;
                let parsed = outcome.as_deref().and_then(|o| o.parse::<Outcome>().ok());
                let target = cfg.sla.targets(priority, &category).resolution;
                for f in [&mut total, rows.entry(key.clone()).or_default()] {
                    f.finished += 1;
                    match parsed {
                        Some(Outcome::Granted | Outcome::Partial) => f.resolved += 1,
                        Some(Outcome::Refused | Outcome::Invalid) => f.rejected += 1,
                        _ => {}
                    }
                    if let Some(o) = &outcome {
                        *f.outcomes.entry(o.clone()).or_default() += 1;
                    }
                    if let Some(secs) = res {
                        f.resolution.push(secs, target);
                    }
                    if let Some(score) = rating.filter(|s| (1..=5).contains(s)) {
                        f.rated += 1;
                        f.rating_sum += score;
                        f.ratings[(score - 1) as usize] += 1;
                    }
                }
                if matches!(parsed, Some(Outcome::Refused | Outcome::Invalid))
                    && let Some(r) = reason.as_deref().map(str::trim).filter(|r| !r.is_empty())
                {
                    *reasons.entry(r.to_string()).or_default() += 1;
                }
                *finished_by_day.entry(day_of(resolved_at)).or_default() += 1;
            }
            drop(q);

            // Backlog at the end of the period: open now, plus what finished after it, minus
            // what arrived after it (indexed counts; a reopened ticket counts where it is now).
            let end = spec.to.min(spec.now.max(spec.from + 1));
            let grouped = |sql: &str, at: i64| -> rusqlite::Result<HashMap<String, i64>> {
                let full = format!(
                    "SELECT {dim_sql}, count(*) FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id
                     WHERE {sql} {} GROUP BY 1",
                    if spec.group.is_some() { "AND t.group_code = ?2" } else { "" }
                );
                let mut stmt = c.prepare(&full)?;
                let args: Vec<rusqlite::types::Value> = vec![at.into(), group.clone().into()];
                let m = if spec.group.is_some() { 2 } else { 1 };
                let mut out = HashMap::new();
                let mut q = stmt.query(rusqlite::params_from_iter(args.iter().take(m)))?;
                while let Some(r) = q.next()? {
                    out.insert(
                        key_of(dim, &r.get::<_, rusqlite::types::Value>(0)?),
                        r.get(1)?,
                    );
                }
                Ok(out)
            };
            let open_now = grouped("t.is_open = 1 AND ?1 = ?1", 0)?;
            let finished_after = grouped("t.resolved_at >= ?1", end)?;
            let received_after = grouped("t.created_at >= ?1", end)?;
            let mut keys: Vec<String> = open_now
                .keys()
                .chain(finished_after.keys())
                .cloned()
                .collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let b = open_now.get(&k).copied().unwrap_or(0)
                    + finished_after.get(&k).copied().unwrap_or(0)
                    - received_after.get(&k).copied().unwrap_or(0);
                if b > 0 || rows.contains_key(&k) {
                    rows.entry(k.clone()).or_default().backlog = b.max(0);
                    total.backlog += b.max(0);
                }
            }

            // Day by day, with the backlog at the end of each day.
            let mut days = Vec::new();
            let mut d = crate::time::date(spec.from);
            let last = crate::time::date(spec.to - 1);
            while d <= last && days.len() < 3700 {
                days.push(Day {
                    date: d,
                    received: received_by_day.get(&d).copied().unwrap_or(0),
                    finished: finished_by_day.get(&d).copied().unwrap_or(0),
                    backlog: 0,
                });
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
            let mut backlog = total.backlog;
            for day in days.iter_mut().rev() {
                day.backlog = backlog.max(0);
                backlog = backlog - day.received + day.finished;
            }

            // Who passed tickets on, and in which categories.
            let mut stmt = c.prepare(&format!(
                "SELECT e.from_value, t.category FROM events e INDEXED BY events_kind_at
                 JOIN tickets t ON t.id = e.ticket_id
                 WHERE e.kind = 'assigned' AND e.at >= ?1 AND e.at < ?2
                   AND e.from_value IS NOT NULL AND e.to_value IS NOT NULL
                   AND coalesce(e.text, '') != 'undo' {}",
                if spec.group.is_some() {
                    "AND t.group_code = ?3"
                } else {
                    ""
                }
            ))?;
            let mut by_agent: HashMap<String, i64> = HashMap::new();
            let mut by_category: HashMap<String, i64> = HashMap::new();
            let mut q = stmt.query(rusqlite::params_from_iter(bind.iter().take(n)))?;
            while let Some(r) = q.next()? {
                *by_agent.entry(r.get(0)?).or_default() += 1;
                *by_category.entry(r.get(1)?).or_default() += 1;
            }
            drop(q);

            let mut rows: Vec<Figures> = if dim.is_some() {
                rows.into_iter()
                    .map(|(k, mut f)| {
                        f.key = k;
                        f
                    })
                    .collect()
            } else {
                Vec::new()
            };
            for f in rows.iter_mut().chain(std::iter::once(&mut total)) {
                f.first_response.sort();
                f.resolution.sort();
            }
            rows.sort_by(|a, b| b.received.cmp(&a.received).then_with(|| a.key.cmp(&b.key)));
            let stale: bool = c
                .query_row("SELECT value FROM meta WHERE key = 'sla_all'", [], |r| {
                    r.get::<_, String>(0)
                })
                .map(|v| v != cfg.sla_fingerprint())
                .unwrap_or(false);
            Ok(Report {
                spec: spec.clone(),
                total,
                rows,
                days,
                refusal_reasons: top(reasons, 5),
                top_categories: top(categories, 5),
                top_keywords: top(words, 10),
                bounced_by_agent: top(by_agent, 10),
                bounced_by_category: top(by_category, 10),
                stale,
            })
        };
        run().map_err(|e| self.err(e))
    }

    /// The period's bounds from dates (inclusive) in the desk's time zone.
    pub fn period(from: NaiveDate, to: NaiveDate) -> (i64, i64) {
        let start = crate::time::day_start_of(from);
        let end = crate::time::day_start_of(to.succ_opt().unwrap_or(to));
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let mut d = Durations::default();
        for v in [5, 1, 4, 2, 3, 10, 9, 8, 7, 6] {
            d.push(v, Some(5));
        }
        d.sort();
        assert_eq!(d.median(), Some(5));
        assert_eq!(d.p90(), Some(9));
        assert_eq!(d.quantile(1.0), Some(10));
        assert_eq!(d.within_share(), Some(0.5));
        assert_eq!(Durations::default().median(), None);
    }

    #[test]
    fn keywords_skip_short_and_common_words() {
        let mut m = HashMap::new();
        keywords("No heating in flat 12 — heating again!", &mut m);
        keywords("Нет отопления, отопления нет", &mut m);
        assert_eq!(m.get("heating"), Some(&1), "counted once per subject");
        assert_eq!(m.get("flat"), Some(&1));
        assert!(!m.contains_key("again") && !m.contains_key("no") && !m.contains_key("12"));
        assert_eq!(m.get("отопления"), Some(&1));
    }
}
