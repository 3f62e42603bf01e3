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
use super::sla::decode_status_secs;
use crate::core::config::Config;
use crate::core::lifecycle::StatusDef;
use crate::core::model::{Outcome, Priority, StatusCategory};
use crate::core::sla::Targets;
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

/// Subjects read for the frequent words: the newest of the period, so that a year of a busy
/// desk still answers at once (the count is shown with the words).
pub const KEYWORD_SAMPLE: i64 = 20_000;

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
}

/// Time in status, by each status's place in the lifecycle (closed statuses left out: time
/// after closing is not processing time), summed without a string per ticket.
struct StatusTime<'a> {
    closed: Vec<&'a str>,
    not_closed: Vec<&'a str>,
    total: Vec<i64>,
    rows: HashMap<String, Vec<i64>>,
    /// One ticket's stretches, by slot.
    ticket: Vec<(usize, i64)>,
}

impl<'a> StatusTime<'a> {
    fn new(cfg: &'a Config) -> StatusTime<'a> {
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

    /// Whether the period covers more than a quarter of the desk's history: its facts are then
    /// read straight through the narrow table (faster than half of it through an index).
    fn long_period(&self) -> rusqlite::Result<bool> {
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
    fn facts(&mut self) -> rusqlite::Result<()> {
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

    /// Frequent words, from the newest subjects of the period: the words and how many
    /// subjects were read.
    fn keywords(&self) -> rusqlite::Result<(HashMap<String, i64>, i64)> {
        let mut words: HashMap<String, i64> = HashMap::new();
        let mut stmt = self.c.prepare(&format!(
            "SELECT f.subject FROM tickets f INDEXED BY tickets_created
             WHERE f.created_at >= ?1 AND f.created_at < ?2 {}
             ORDER BY f.created_at DESC LIMIT {KEYWORD_SAMPLE}",
            self.group_filter
        ))?;
        let mut q = stmt.query(crate::store::db::params_from_iter(self.args()))?;
        let mut sampled = 0;
        while let Some(r) = q.next()? {
            keywords(r.get_ref(0)?.as_str()?, &mut words);
            sampled += 1;
        }
        Ok((words, sampled))
    }

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
    fn backlog(&mut self) -> rusqlite::Result<()> {
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

    /// Reassignments: one definition (`core::sla::is_reassignment`, undone ones left out) for
    /// every figure — how many, of how many tickets, by whom, in which categories. Counted by
    /// when they happened; an undo takes its step back (desk writes an owner change only when
    /// the owner changes, so the index holds them). Returns who passed tickets on and in
    /// which categories.
    fn reassignments(&mut self) -> rusqlite::Result<[HashMap<String, i64>; 2]> {
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
        let [by_agent, by_category] = self.reassignments()?;
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

/// Counts one more of `key` in an ordered map (allocating only the first time).
fn count_in(map: &mut BTreeMap<String, i64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
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
        if rollup::rebuild(&self.conn, cfg).is_err() {
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

mod extensions;
pub use extensions::Extensions;
mod days;
pub(crate) mod rollup;

#[cfg(test)]
mod tests;
