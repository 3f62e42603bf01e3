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
//!   share at or under the ticket's target (its category's, else its priority's), where a
//!   first response still awaited past its target counts as a miss;
//! - *time in status*: wall time the tickets received in the period spent in each status,
//!   the current one counted up to the report's now (closed statuses left out: time after
//!   closing is not processing time);
//! - *satisfaction*: ratings of the tickets finished in the period; response rate = rated /
//!   finished.

use super::Store;
use crate::core::config::Config;
use crate::core::model::Priority;
use crate::error::{Error, Message, Result};
use crate::msg;
use crate::store::db::Connection;
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

    pub fn parse(s: &str) -> std::result::Result<Dimension, Message> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.id() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| msg!("error.report_by", value = s))
    }

    /// The column of `facts f` holding this dimension.
    fn sql(self) -> &'static str {
        match self {
            Dimension::Group => "coalesce(f.group_code, '')",
            Dimension::Category => "f.category",
            Dimension::Agent => "coalesce(f.assignee, '')",
            Dimension::Channel => "f.channel",
            Dimension::Priority => "f.priority",
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
#[derive(Debug, Clone, Default)]
pub struct Durations {
    values: Vec<i64>,
    pub with_target: i64,
    pub within: i64,
    /// Still awaited but already past the target: misses with no duration yet (counted in
    /// `with_target`, not in the median).
    pub late_open: i64,
    /// Read from the report's days instead of from every value: how many, the median and the
    /// 90th percentile (`values` is then empty).
    counted: Option<(usize, Option<i64>, Option<i64>)>,
}

/// Two sets of durations are the same when every figure a report shows of them is.
impl PartialEq for Durations {
    fn eq(&self, o: &Durations) -> bool {
        (self.count(), self.median(), self.p90(), self.with_target)
            == (o.count(), o.median(), o.p90(), o.with_target)
            && (self.within, self.late_open) == (o.within, o.late_open)
    }
}

impl Durations {
    fn late(&mut self) {
        self.with_target += 1;
        self.late_open += 1;
    }

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
        self.counted.map_or(self.values.len(), |c| c.0)
    }

    fn sort(&mut self) {
        self.values.sort_unstable();
    }

    /// The rank (1-based, nearest rank) of the value under which a share `q` of `n` fall.
    fn rank(q: f64, n: usize) -> usize {
        ((q * n as f64).ceil() as usize).clamp(1, n.max(1))
    }

    /// The value under which a share `q` of the durations fall (nearest rank).
    pub fn quantile(&self, q: f64) -> Option<i64> {
        if self.values.is_empty() {
            return None;
        }
        Some(self.values[Durations::rank(q, self.values.len()) - 1])
    }

    pub fn median(&self) -> Option<i64> {
        match self.counted {
            Some((_, m, _)) => m,
            None => self.quantile(0.5),
        }
    }

    pub fn p90(&self) -> Option<i64> {
        match self.counted {
            Some((_, _, p)) => p,
            None => self.quantile(0.9),
        }
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
    /// Tickets passed from one agent to another in the period, and how many times (undone
    /// reassignments left out).
    pub reassigned_tickets: i64,
    pub reassignments: i64,
    pub finished: i64,
    pub rated: i64,
    pub rating_sum: i64,
    /// Ratings 1 to 5.
    pub ratings: [i64; 5],
    /// Deadlines extended in the period (`desk extend`).
    pub extended: Extensions,
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
    /// How many subjects the words were counted in (at most [`KEYWORD_SAMPLE`], the newest).
    pub keyword_sample: i64,
    /// Who passed tickets on (reassignments in the period, by the agent they left).
    pub bounced_by_agent: Vec<(String, i64)>,
    pub bounced_by_category: Vec<(String, i64)>,
    /// Finished tickets' figures predate the current [sla] settings.
    pub stale: bool,
}

fn top(map: HashMap<String, i64>, n: usize) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

/// A dimension value as shown: priorities by name, empty as "—".
fn key_of(dim: Option<Dimension>, raw: &rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef as V;
    match (dim, raw) {
        (None, _) => String::new(),
        (Some(Dimension::Priority), V::Integer(p)) => Priority::from_rank(*p)
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| p.to_string()),
        (_, V::Text([])) => "—".into(),
        (_, V::Text(s)) => String::from_utf8_lossy(s).into_owned(),
        (_, V::Integer(i)) => i.to_string(),
        _ => "—".into(),
    }
}

/// The figures a row of facts adds to: the total, and its breakdown row if there is one.
fn targets_of<'a>(
    rows: &'a mut HashMap<String, Figures>,
    total: &'a mut Figures,
    dim: Option<Dimension>,
    key: &str,
) -> impl Iterator<Item = &'a mut Figures> {
    let row = match dim {
        Some(_) => {
            if !rows.contains_key(key) {
                rows.insert(key.to_string(), Figures::default());
            }
            rows.get_mut(key)
        }
        None => None,
    };
    std::iter::once(total).chain(row)
}

/// Counts one more of `key` (allocating only the first time).
fn count(map: &mut HashMap<String, i64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

/// Which day of the period an instant falls on, from the days' starts (sorted).
fn day_index(starts: &[i64], at: i64) -> Option<usize> {
    starts.partition_point(|s| *s <= at).checked_sub(1)
}

/// A report being computed: the query's parts and the figures so far.
struct Tally<'a> {
    c: &'a Connection,
    cfg: &'a Config,
    spec: &'a ReportSpec,
    dim: Option<Dimension>,
    /// The breakdown's column (`''` without one).
    dim_sql: &'static str,
    /// `AND f.group_code = ?3` when the report keeps one group.
    group_filter: &'static str,
    rows: HashMap<String, Figures>,
    total: Figures,
    categories: HashMap<String, i64>,
    reasons: HashMap<String, i64>,
    days: Vec<Day>,
    /// The days' starts in the desk's zone.
    starts: Vec<i64>,
    /// The reassignments as the report's days sum them, when the report reads them.
    reassigned_days: Option<reassignments::FromDays>,
}

impl<'a> Tally<'a> {
    fn new(c: &'a Connection, cfg: &'a Config, spec: &'a ReportSpec) -> Tally<'a> {
        // The days of the period, by their starts in the desk's zone.
        let mut days = Vec::new();
        let mut starts = Vec::new();
        let mut d = crate::time::date(spec.from);
        let last = crate::time::date(spec.to - 1);
        while d <= last && days.len() < 3700 {
            starts.push(crate::time::day_start_of(d));
            days.push(Day {
                date: d,
                received: 0,
                finished: 0,
                backlog: 0,
            });
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
        Tally {
            c,
            cfg,
            spec,
            dim: spec.by,
            dim_sql: spec.by.map(Dimension::sql).unwrap_or("''"),
            group_filter: if spec.group.is_some() {
                "AND f.group_code = ?3"
            } else {
                ""
            },
            rows: HashMap::new(),
            total: Figures::default(),
            categories: HashMap::new(),
            reasons: HashMap::new(),
            days,
            starts,
            reassigned_days: None,
        }
    }

    /// The period (and the group) as arguments `?1 ?2 [?3]`.
    fn args(&self) -> Vec<rusqlite::types::Value> {
        let mut v = vec![self.spec.from.into(), self.spec.to.into()];
        if let Some(g) = &self.spec.group {
            v.push(g.clone().into());
        }
        v
    }

    fn in_period(&self, at: i64) -> bool {
        at >= self.spec.from && at < self.spec.to
    }

    /// The figures a row of facts adds to: the total, and its breakdown row if there is one.
    fn targets(&mut self, key: &str) -> impl Iterator<Item = &mut Figures> {
        targets_of(&mut self.rows, &mut self.total, self.dim, key)
    }

    /// The report, its figures of tickets received and finished read from the report's days
    /// (`from_days`) or from every ticket's facts.
    fn report(mut self, from_days: bool) -> rusqlite::Result<Report> {
        if from_days {
            self.read_days()?;
        } else {
            self.facts()?;
        }
        let (words, sampled) = self.keywords()?;
        self.backlog()?;
        let [by_agent, by_category] = match self.reassigned_days.take() {
            Some(d) => self.reassignments_from_days(d)?,
            None => self.reassignments()?,
        };
        self.extensions()?;
        let mut total = self.total;
        let mut rows: Vec<Figures> = self
            .rows
            .into_iter()
            .map(|(k, mut f)| {
                f.key = k;
                f
            })
            .collect();
        for f in rows.iter_mut().chain(std::iter::once(&mut total)) {
            f.first_response.sort();
            f.resolution.sort();
            f.extended.sort();
        }
        rows.sort_by(|a, b| b.received.cmp(&a.received).then_with(|| a.key.cmp(&b.key)));
        Ok(Report {
            spec: self.spec.clone(),
            total,
            rows,
            days: self.days,
            refusal_reasons: top(self.reasons, 5),
            top_categories: top(self.categories, 5),
            top_keywords: top(words, 10),
            keyword_sample: sampled,
            bounced_by_agent: top(by_agent, 10),
            bounced_by_category: top(by_category, 10),
            stale: super::sla::figures_stale(self.c, self.cfg)?,
        })
    }
}

impl Store {
    pub fn report(&self, cfg: &Config, spec: &ReportSpec) -> Result<Report> {
        if spec.to <= spec.from {
            return Err(Error::Invalid(msg!("error.period_reversed")));
        }
        let days = self.days_usable(cfg, spec).map_err(|e| self.err(e))?;
        Tally::new(&self.conn, cfg, spec)
            .report(days)
            .map_err(|e| self.err(e))
    }

    /// The report computed from every ticket's facts, never from the report's days: what
    /// `report` falls back to, and what its days are held to in tests.
    pub fn report_from_facts(&self, cfg: &Config, spec: &ReportSpec) -> Result<Report> {
        if spec.to <= spec.from {
            return Err(Error::Invalid(msg!("error.period_reversed")));
        }
        Tally::new(&self.conn, cfg, spec)
            .report(false)
            .map_err(|e| self.err(e))
    }

    /// Whether a report can be read from the report's days: a period of whole days of the
    /// desk's zone, and days valid under this configuration — built (or rebuilt) from the
    /// facts first when they are not and the desk can be written (a replica cannot: its
    /// reports read the facts).
    fn days_usable(&self, cfg: &Config, spec: &ReportSpec) -> rusqlite::Result<bool> {
        let whole = |at: i64| crate::time::day_start(at) == at;
        if !whole(spec.from) || !whole(spec.to) || spec.group.as_deref() == Some("") {
            return Ok(false);
        }
        // A report as of an earlier moment than now: a ticket whose current status began
        // after that moment has spent nothing in it yet, which each ticket's facts say and a
        // day's sums (count × now − the stretches' starts) cannot.
        if spec.now < crate::session::now() - 60 {
            return Ok(false);
        }
        if rollup::valid(&self.conn, cfg)? {
            return Ok(true);
        }
        if rollup::make_valid(&self.conn, cfg).is_err() {
            return Ok(false);
        }
        rollup::valid(&self.conn, cfg)
    }

    /// The period's bounds from dates (inclusive) in the desk's time zone.
    pub fn period(from: NaiveDate, to: NaiveDate) -> (i64, i64) {
        let start = crate::time::day_start_of(from);
        let end = crate::time::day_start_of(to.succ_opt().unwrap_or(to));
        (start, end)
    }
}

mod backlog;
mod days;
mod extensions;
pub use extensions::Extensions;
mod facts;
use facts::StatusTime;
mod reassignments;
pub(crate) mod rollup;
mod words;
pub use words::KEYWORD_SAMPLE;

#[cfg(test)]
mod tests;
