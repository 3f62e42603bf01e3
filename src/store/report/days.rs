//! A report read from the report's days (`rollup`) instead of every ticket's facts: a year
//! is a few hundred rows per breakdown value. The figures are the same as the facts give
//! (tests/report_days.rs holds both to each other); only the medians and 90th percentiles
//! need single durations, and those come from the histogram's bucket that holds them, read
//! exactly from the facts' duration indexes (a bucket is about 9% of the durations' range).

use super::rollup::{self, Cell, RECEIVED, name};
use super::{Durations, Figures, StatusTime, Tally, key_of};
use crate::core::model::Outcome;
use crate::store::db::params_from_iter;
use rusqlite::types::Value;
use std::collections::{BTreeMap, HashMap};

/// The sums of one breakdown value (or of everything) over the period's days.
#[derive(Default)]
struct Sums {
    received: Cell,
    finished: Cell,
}

/// The two kinds of duration: their histogram's prefix, and the facts' columns and index a
/// bucket's values are read from.
const KINDS: [(&str, &str, &str, &str); 2] = [
    (
        name::FR_BUCKET,
        "f.first_response_secs",
        "f.created_at",
        "facts_first_response",
    ),
    (
        name::RES_BUCKET,
        "f.resolution_secs",
        "f.resolved_at",
        "facts_resolution",
    ),
];

/// Up to this many buckets of a kind are read one by one, more in one range.
const SEPARATE_BUCKETS: usize = 4;

/// The quantiles a report shows.
const QUANTILES: [f64; 2] = [0.5, 0.9];

/// A quantile to find: whose (None: the total), which kind, which quantile, and its rank
/// inside its bucket (1-based).
type Wanted = (Option<String>, usize, usize, usize);

/// A quantile found: whose, which kind, which quantile.
type Found = (Option<String>, usize, usize);

impl Tally<'_> {
    /// The `AND group_code = ?N` of a report that keeps one group, with `?N` the group's
    /// place among the arguments, and the arguments `before` it.
    fn with_group(&self, column: &str, before: Vec<Value>) -> (String, Vec<Value>) {
        let mut args = before;
        match &self.spec.group {
            Some(g) => {
                args.push(g.clone().into());
                (format!("AND {column} = ?{}", args.len()), args)
            }
            None => (String::new(), args),
        }
    }

    /// The figures of tickets received or finished in the period, from the report's days.
    pub(super) fn read_days(&mut self) -> rusqlite::Result<()> {
        let (Some(first), Some(last)) = (self.days.first(), self.days.last()) else {
            return Ok(());
        };
        let first = rollup::day_number(first.date);
        let last = rollup::day_number(last.date);
        let mut total = Sums::default();
        let mut rows: HashMap<String, Sums> = HashMap::new();
        let by_dim = self
            .dim
            .map(|d| d.id())
            .filter(|d| rollup::DIMS.contains(d));
        // The groups' own rows: the total, the days, and the breakdown by group.
        let (filter, args) = self.with_group("group_code", vec![first.into(), last.into()]);
        let mut stmt = self.c.prepare(&format!(
            "SELECT day, side, group_code, tickets, figures FROM report_days
             WHERE dim = '' AND day >= ?1 AND day <= ?2 {filter}"
        ))?;
        let mut q = stmt.query(params_from_iter(args.clone()))?;
        while let Some(r) = q.next()? {
            let day: i64 = r.get(0)?;
            let received = r.get_ref(1)?.as_str()? == RECEIVED;
            let tickets: i64 = r.get(3)?;
            let figures = r.get_ref(4)?.as_str()?;
            if let Some(d) = usize::try_from(day - first)
                .ok()
                .and_then(|i| self.days.get_mut(i))
            {
                if received {
                    d.received += tickets;
                } else {
                    d.finished += tickets;
                }
            }
            add(&mut total, received, tickets, figures);
            if self.dim == Some(super::Dimension::Group) {
                let key = key_of(self.dim, &r.get_ref(2)?);
                add(rows.entry(key).or_default(), received, tickets, figures);
            }
        }
        drop(q);
        drop(stmt);
        // Another breakdown's rows.
        if let Some(dim) = by_dim {
            let mut stmt = self.c.prepare(&format!(
                "SELECT side, value, tickets, figures FROM report_days
                 WHERE dim = '{dim}' AND day >= ?1 AND day <= ?2 {filter}"
            ))?;
            let mut q = stmt.query(params_from_iter(args.clone()))?;
            while let Some(r) = q.next()? {
                let received = r.get_ref(0)?.as_str()? == RECEIVED;
                let key = self.value_key(r.get_ref(1)?.as_str()?);
                add(
                    rows.entry(key).or_default(),
                    received,
                    r.get(2)?,
                    r.get_ref(3)?.as_str()?,
                );
            }
        }
        self.read_categories(&filter, args)?;
        for (k, v) in &total.finished.figures {
            if let Some(reason) = k.strip_prefix(name::REASON) {
                *self.reasons.entry(reason.to_string()).or_default() += v;
            }
        }
        let not_yet_due = self.not_yet_due()?;
        let quantiles = self.quantiles(&total, &rows)?;
        let time = StatusTime::new(self.cfg);
        let now = self.spec.now;
        let fill = |f: &mut Figures, s: &Sums, key: Option<&String>| {
            figures(f, s, &time, now);
            let awaited = s.received.figures.get(name::FR_AWAITED).copied();
            let not_yet = not_yet_due.get(&key.cloned()).copied();
            let late = (awaited.unwrap_or(0) - not_yet.unwrap_or(0)).max(0);
            f.first_response.with_target += late;
            f.first_response.late_open += late;
            for (kind, d) in [&mut f.first_response, &mut f.resolution]
                .into_iter()
                .enumerate()
            {
                let q = |qi: usize| quantiles.get(&(key.cloned(), kind, qi)).copied().flatten();
                d.counted = Some((
                    histogram(s, kind).values().sum::<i64>() as usize,
                    q(0),
                    q(1),
                ));
            }
        };
        fill(&mut self.total, &total, None);
        for (k, s) in &rows {
            let mut f = Figures::default();
            fill(&mut f, s, Some(k));
            self.rows.insert(k.clone(), f);
        }
        Ok(())
    }

    /// The categories received in the period (the frequent problems), from the report's days.
    fn read_categories(&mut self, filter: &str, args: Vec<Value>) -> rusqlite::Result<()> {
        let mut stmt = self.c.prepare(&format!(
            "SELECT value, sum(tickets) FROM report_days
             WHERE dim = 'category' AND side = '{RECEIVED}' AND day >= ?1 AND day <= ?2 {filter}
             GROUP BY value"
        ))?;
        let mut q = stmt.query(params_from_iter(args))?;
        while let Some(r) = q.next()? {
            let n: i64 = r.get(1)?;
            if n > 0 {
                self.categories
                    .insert(r.get_ref(0)?.as_str()?.to_string(), n);
            }
        }
        Ok(())
    }

    /// A breakdown value as stored, as the report shows it (priorities by name, empty as —).
    fn value_key(&self, raw: &str) -> String {
        match (self.dim, raw.parse::<i64>()) {
            (Some(super::Dimension::Priority), Ok(p)) => {
                key_of(self.dim, &rusqlite::types::ValueRef::Integer(p))
            }
            _ => key_of(self.dim, &rusqlite::types::ValueRef::Text(raw.as_bytes())),
        }
    }

    /// First responses still awaited and not yet due, of tickets received in the period (few,
    /// from their own index): those awaited with a due time (counted in the days) less these
    /// are late. By breakdown value, and None for the total.
    fn not_yet_due(&self) -> rusqlite::Result<HashMap<Option<String>, i64>> {
        let (filter, args) = self.with_group(
            "f.group_code",
            vec![
                self.spec.now.into(),
                self.spec.from.into(),
                self.spec.to.into(),
            ],
        );
        let mut stmt = self.c.prepare(&format!(
            "SELECT {}, count(*) FROM facts f INDEXED BY facts_awaited
             WHERE f.first_response_secs IS NULL AND f.first_response_due IS NOT NULL
               AND f.first_response_due > ?1 AND f.created_at >= ?2 AND f.created_at < ?3 {filter}
             GROUP BY 1",
            self.dim_sql
        ))?;
        let mut not_yet: HashMap<Option<String>, i64> = HashMap::new();
        let mut q = stmt.query(params_from_iter(args))?;
        while let Some(r) = q.next()? {
            let n: i64 = r.get(1)?;
            *not_yet.entry(None).or_default() += n;
            if self.dim.is_some() {
                *not_yet
                    .entry(Some(key_of(self.dim, &r.get_ref(0)?)))
                    .or_default() += n;
            }
        }
        Ok(not_yet)
    }

    /// Each median and 90th percentile, by (whose, kind, quantile): the bucket that holds it
    /// from the histograms, then that bucket's durations of the period from the facts.
    fn quantiles(
        &self,
        total: &Sums,
        rows: &HashMap<String, Sums>,
    ) -> rusqlite::Result<HashMap<Found, Option<i64>>> {
        let mut wanted: BTreeMap<(usize, i64), Vec<Wanted>> = BTreeMap::new();
        let all = std::iter::once((None, total)).chain(rows.iter().map(|(k, s)| (Some(k), s)));
        for (key, s) in all {
            for kind in 0..KINDS.len() {
                let h = histogram(s, kind);
                let n: i64 = h.values().sum();
                if n <= 0 {
                    continue;
                }
                for (qi, q) in QUANTILES.iter().enumerate() {
                    let rank = Durations::rank(*q, n as usize) as i64;
                    let mut before = 0;
                    for (b, c) in &h {
                        if before + c >= rank {
                            wanted.entry((kind, *b)).or_default().push((
                                key.cloned(),
                                kind,
                                qi,
                                (rank - before) as usize,
                            ));
                            break;
                        }
                        before += c;
                    }
                }
            }
        }
        let mut out = HashMap::new();
        for kind in 0..KINDS.len() {
            let buckets: Vec<i64> = wanted
                .keys()
                .filter(|(k, _)| *k == kind)
                .map(|(_, b)| *b)
                .collect();
            // A few buckets are read one by one from the durations' index; many (a breakdown's
            // values spread over the durations) in one pass over the period's facts.
            let mut values: HashMap<(i64, Option<String>), Vec<i64>> = HashMap::new();
            if buckets.len() <= SEPARATE_BUCKETS {
                for b in &buckets {
                    self.bucket_values(kind, Some(*b), &wanted, &mut values)?;
                }
            } else {
                self.bucket_values(kind, None, &wanted, &mut values)?;
            }
            for v in values.values_mut() {
                v.sort_unstable();
            }
            for b in buckets {
                for (key, kind, qi, rank) in wanted.remove(&(kind, b)).unwrap_or_default() {
                    let v = values
                        .get(&(b, key.clone()))
                        .and_then(|v| v.get(rank.saturating_sub(1)))
                        .copied();
                    out.insert((key, kind, qi), v);
                }
            }
        }
        Ok(out)
    }
}

impl Tally<'_> {
    /// The durations of a kind in the period — of one bucket (through the durations' index), or
    /// all of them (through the period's index, or straight through the facts for a long
    /// period) — into `values` by (bucket, whose) for the buckets `wanted` asks about.
    fn bucket_values(
        &self,
        kind: usize,
        bucket: Option<i64>,
        wanted: &BTreeMap<(usize, i64), Vec<Wanted>>,
        values: &mut HashMap<(i64, Option<String>), Vec<i64>>,
    ) -> rusqlite::Result<()> {
        let (_, col, at, index) = KINDS[kind];
        let (lo, hi) = bucket.map_or((i64::MIN, i64::MAX), rollup::bucket_range);
        let hint = match bucket {
            Some(_) => format!("INDEXED BY {index}"),
            None if self.long_period()? => "NOT INDEXED".to_string(),
            None if kind == 0 => "INDEXED BY facts_created".to_string(),
            None => "INDEXED BY facts_resolved".to_string(),
        };
        let (filter, args) = self.with_group(
            "f.group_code",
            vec![
                lo.into(),
                hi.into(),
                self.spec.from.into(),
                self.spec.to.into(),
            ],
        );
        let mut stmt = self.c.prepare(&format!(
            "SELECT {}, {col} FROM facts f {hint}
             WHERE {col} IS NOT NULL AND {col} >= ?1 AND {col} < ?2
               AND {at} >= ?3 AND {at} < ?4 {filter}",
            self.dim_sql
        ))?;
        let mut q = stmt.query(params_from_iter(args))?;
        while let Some(r) = q.next()? {
            let v: i64 = r.get(1)?;
            let b = rollup::bucket(v);
            if !wanted.contains_key(&(kind, b)) {
                continue;
            }
            values.entry((b, None)).or_default().push(v);
            if self.dim.is_some() {
                values
                    .entry((b, Some(key_of(self.dim, &r.get_ref(0)?))))
                    .or_default()
                    .push(v);
            }
        }
        Ok(())
    }
}

/// Adds a stored row to the sums.
fn add(s: &mut Sums, received: bool, tickets: i64, figures: &str) {
    let cell = if received {
        &mut s.received
    } else {
        &mut s.finished
    };
    cell.tickets += tickets;
    rollup::decode(figures, |k, v| cell.bump(k, v));
}

/// The histogram of a kind of duration (bucket → how many).
fn histogram(s: &Sums, kind: usize) -> BTreeMap<i64, i64> {
    let (prefix, cell) = match kind {
        0 => (name::FR_BUCKET, &s.received),
        _ => (name::RES_BUCKET, &s.finished),
    };
    cell.figures
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?.parse::<i64>().ok()?, *v)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

/// The figures the sums give, but the quantiles and late first responses.
fn figures(f: &mut Figures, s: &Sums, time: &StatusTime<'_>, now: i64) {
    use name::*;
    let (r, d) = (&s.received.figures, &s.finished.figures);
    let get = |m: &BTreeMap<String, i64>, k: &str| m.get(k).copied().unwrap_or(0);
    f.received = s.received.tickets;
    f.first_response.with_target = get(r, FR_WITH);
    f.first_response.within = get(r, FR_WITHIN);
    // Time in each status: settled stretches, and the current ones up to the report's now.
    let mut secs: BTreeMap<&str, i64> = BTreeMap::new();
    for (k, v) in r {
        if let Some(st) = k.strip_prefix(STATUS) {
            *secs.entry(st).or_default() += v;
        } else if let Some(st) = k.strip_prefix(CURRENT) {
            *secs.entry(st).or_default() += v * now;
        } else if let Some(st) = k.strip_prefix(CURRENT_SINCE) {
            *secs.entry(st).or_default() -= v;
        }
    }
    for (st, v) in secs {
        if time.not_closed.contains(&st) {
            if v > 0 {
                *f.status_secs.entry(st.to_string()).or_default() += v;
            }
        } else if !time.closed.contains(&st) {
            *f.status_secs.entry(st.to_string()).or_default() += v;
        }
    }
    f.finished = s.finished.tickets;
    f.resolution.with_target = get(d, RES_WITH);
    f.resolution.within = get(d, RES_WITHIN);
    for (k, v) in d {
        if let Some(o) = k.strip_prefix(OUTCOME) {
            match o.parse::<Outcome>().ok() {
                Some(Outcome::Granted | Outcome::Partial) => f.resolved += v,
                Some(Outcome::Refused | Outcome::Invalid) => f.rejected += v,
                _ => {}
            }
            *f.outcomes.entry(o.to_string()).or_default() += v;
        } else if let Some(score) = k.strip_prefix(RATING).and_then(|g| g.parse::<i64>().ok())
            && let Some(slot) = usize::try_from(score - 1)
                .ok()
                .and_then(|i| f.ratings.get_mut(i))
        {
            *slot += v;
            f.rated += v;
            f.rating_sum += score * v;
        }
    }
}
