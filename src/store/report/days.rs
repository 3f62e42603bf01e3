//! A report read from the report's days (`rollup`) instead of every ticket's facts: a year
//! is a few hundred rows per breakdown value. The figures are the same as the facts give
//! (tests/report_days.rs holds both to each other); only the medians and 90th percentiles
//! need single durations, and those come from the histogram's bucket that holds them, read
//! exactly from the facts' duration indexes (a bucket is about 9% of the durations' range).

use super::reassignments::FromDays;
use super::rollup::{self, FINISHED, REASSIGNED, RECEIVED, name};
use super::{Durations, Figures, StatusTime, Tally, key_of};
use crate::core::fx::Fx;
use crate::core::model::Outcome;
use crate::store::db::params_from_iter;
use rusqlite::types::{Value, ValueRef};
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;

/// The sums of one breakdown value (or of everything) over the period's days.
#[derive(Default)]
struct Sums {
    received: Side,
    finished: Side,
    /// Owner changes (`tickets`: how many).
    reassigned: Side,
}

/// One side's sums: how many tickets, the histogram of its durations (by bucket, kept apart
/// from the other figures: most of a row's figures are buckets, and a year adds up thousands
/// of rows), and every other figure by name.
#[derive(Default)]
struct Side {
    tickets: i64,
    histogram: Vec<i64>,
    figures: Named,
}

/// Figures by name, hashed cheaply: a year adds up hundreds of thousands of them, and the
/// names are the desk's own (statuses, outcomes, reasons, agents), not chosen to collide.
type Named = HashMap<String, i64, BuildHasherDefault<Fx>>;

impl Side {
    /// Adds a stored row's figures (`bucket_prefix`: the name of this side's buckets).
    fn add(&mut self, tickets: i64, figures: &str, bucket_prefix: Option<&str>) {
        self.tickets += tickets;
        rollup::decode(figures, |k, v| {
            if let Some(b) = bucket_prefix
                .and_then(|p| k.strip_prefix(p))
                .and_then(|b| b.parse::<usize>().ok())
                .filter(|b| *b <= rollup::BUCKETS)
            {
                if self.histogram.len() <= b {
                    self.histogram.resize(b + 1, 0);
                }
                self.histogram[b] += v;
            } else if let Some(n) = self.figures.get_mut(k) {
                *n += v;
            } else {
                self.figures.insert(k.to_string(), v);
            }
        });
    }
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
            let side = r.get_ref(1)?.as_str()?;
            let tickets: i64 = r.get(3)?;
            let figures = r.get_ref(4)?.as_str()?;
            if let Some(d) = usize::try_from(day - first)
                .ok()
                .and_then(|i| self.days.get_mut(i))
            {
                match side {
                    RECEIVED => d.received += tickets,
                    FINISHED => d.finished += tickets,
                    _ => {}
                }
            }
            add(&mut total, side, tickets, figures);
            if self.dim == Some(super::Dimension::Group) {
                let key = key_of(self.dim, &r.get_ref(2)?);
                add(rows.entry(key).or_default(), side, tickets, figures);
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
                let side = r.get_ref(0)?.as_str()?;
                let key = self.value_key(r.get_ref(1)?.as_str()?);
                add(
                    rows.entry(key).or_default(),
                    side,
                    r.get(2)?,
                    r.get_ref(3)?.as_str()?,
                );
            }
        }
        let by_category = self.read_categories(&filter, args)?;
        for (k, v) in total.finished.figures.iter().filter(|(_, v)| **v != 0) {
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
        // A value with owner changes in the period but no ticket received or finished in it
        // has a row only if a reassignment counts (`reassignments_from_days`).
        for (k, s) in rows
            .iter()
            .filter(|(_, s)| s.received.tickets + s.finished.tickets != 0)
        {
            let mut f = Figures::default();
            fill(&mut f, s, Some(k));
            self.rows.insert(k.clone(), f);
        }
        let mut from_days = FromDays {
            by_category,
            ..FromDays::default()
        };
        let all = std::iter::once((None, &total)).chain(rows.iter().map(|(k, s)| (Some(k), s)));
        for (key, s) in all {
            let r = &s.reassigned;
            let tickets = r
                .figures
                .get(name::REASSIGNED_TICKETS)
                .copied()
                .unwrap_or(0);
            from_days.by_key.insert(key.cloned(), (tickets, r.tickets));
        }
        for (k, v) in &total.reassigned.figures {
            if let Some(agent) = k.strip_prefix(name::PASSED) {
                *from_days.by_agent.entry(agent.to_string()).or_default() += v;
            }
        }
        self.reassigned_days = Some(from_days);
        Ok(())
    }

    /// The categories received in the period (the frequent problems), from the report's days;
    /// and returned, the owner changes in the period by the category of their tickets.
    fn read_categories(
        &mut self,
        filter: &str,
        args: Vec<Value>,
    ) -> rusqlite::Result<HashMap<String, i64>> {
        // Summed here rather than by SQL's GROUP BY, which sorts the year's rows by their text.
        let mut stmt = self.c.prepare(&format!(
            "SELECT value, side = '{REASSIGNED}', tickets FROM report_days
             WHERE dim = 'category' AND side IN ('{RECEIVED}', '{REASSIGNED}')
               AND day >= ?1 AND day <= ?2 {filter}"
        ))?;
        let mut q = stmt.query(params_from_iter(args))?;
        let mut sums: [Named; 2] = Default::default();
        while let Some(r) = q.next()? {
            let n: i64 = r.get(2)?;
            let side = &mut sums[usize::from(r.get::<_, bool>(1)?)];
            let category = r.get_ref(0)?.as_str()?;
            match side.get_mut(category) {
                Some(v) => *v += n,
                None => {
                    side.insert(category.to_string(), n);
                }
            }
        }
        let [received, changes] = sums;
        self.categories
            .extend(received.into_iter().filter(|(_, n)| *n > 0));
        Ok(changes.into_iter().collect())
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
        // A few buckets are read one by one from the durations' index; many (a breakdown's
        // values spread over the durations) in one pass over the period's facts, for both kinds
        // at once when both need it.
        let mut values = Values::default();
        let mut whole = Vec::new();
        for kind in 0..KINDS.len() {
            let buckets: Vec<i64> = wanted
                .keys()
                .filter(|(k, _)| *k == kind)
                .map(|(_, b)| *b)
                .collect();
            if buckets.len() <= SEPARATE_BUCKETS {
                for b in buckets {
                    self.bucket_values(&[kind], Some(b), &wanted, &mut values)?;
                }
            } else {
                whole.push(kind);
            }
        }
        if !whole.is_empty() {
            self.bucket_values(&whole, None, &wanted, &mut values)?;
        }
        for v in values.durations.values_mut() {
            v.sort_unstable();
        }
        let mut out = HashMap::new();
        for ((_, b), list) in wanted {
            for (key, kind, qi, rank) in list {
                let whose = match &key {
                    None => Some(0),
                    Some(k) => values.by_name.get(k).copied(),
                };
                let v = whose
                    .and_then(|w| values.durations.get(&(kind, b, w)))
                    .and_then(|v| v.get(rank.saturating_sub(1)))
                    .copied();
                out.insert((key, kind, qi), v);
            }
        }
        Ok(out)
    }
}

/// Durations read for the quantiles, by (kind, bucket, whose): whose is 0 for the total, else
/// a breakdown value's number — each value's name is made once, not once per row of a pass
/// over a million.
#[derive(Default)]
struct Values {
    durations: HashMap<(usize, i64, usize), Vec<i64>>,
    by_name: HashMap<String, usize>,
    by_text: HashMap<Vec<u8>, usize>,
    by_int: HashMap<i64, usize>,
}

impl Values {
    /// The number of a breakdown value as stored.
    fn whose(&mut self, dim: Option<super::Dimension>, raw: &ValueRef<'_>) -> usize {
        let cached = match raw {
            ValueRef::Text(t) => self.by_text.get(*t).copied(),
            ValueRef::Integer(i) => self.by_int.get(i).copied(),
            _ => None,
        };
        if let Some(w) = cached {
            return w;
        }
        let next = self.by_name.len() + 1;
        let w = *self.by_name.entry(key_of(dim, raw)).or_insert(next);
        match raw {
            ValueRef::Text(t) => {
                self.by_text.insert(t.to_vec(), w);
            }
            ValueRef::Integer(i) => {
                self.by_int.insert(*i, w);
            }
            _ => {}
        }
        w
    }

    fn push(&mut self, kind: usize, bucket: i64, whose: usize, v: i64) {
        self.durations
            .entry((kind, bucket, whose))
            .or_default()
            .push(v);
    }
}

impl Tally<'_> {
    /// The durations of the `kinds` in the period — of one bucket (through the durations'
    /// index), or all of them (through the period's index, or straight through the facts for a
    /// long period) — into `values` for the buckets `wanted` asks about.
    fn bucket_values(
        &self,
        kinds: &[usize],
        bucket: Option<i64>,
        wanted: &BTreeMap<(usize, i64), Vec<Wanted>>,
        values: &mut Values,
    ) -> rusqlite::Result<()> {
        let (lo, hi) = bucket.map_or((i64::MIN, i64::MAX), rollup::bucket_range);
        let hint = match (bucket, kinds) {
            (Some(_), [kind]) => format!("INDEXED BY {}", KINDS[*kind].3),
            (None, _) if self.long_period()? => "NOT INDEXED".to_string(),
            (None, [0]) => "INDEXED BY facts_created".to_string(),
            (None, [_]) => "INDEXED BY facts_resolved".to_string(),
            _ => String::new(),
        };
        // The period is `?1 ?2`, a bucket's bounds `?3 ?4`.
        let mut args: Vec<Value> = vec![self.spec.from.into(), self.spec.to.into()];
        if bucket.is_some() {
            args.extend([lo.into(), hi.into()]);
        }
        let (filter, args) = self.with_group("f.group_code", args);
        let mut columns = String::new();
        let mut when = Vec::new();
        for kind in kinds {
            let (_, col, at, _) = KINDS[*kind];
            columns.push_str(&format!(", {col}, {at}"));
            let range = match bucket {
                Some(_) => format!("AND {col} >= ?3 AND {col} < ?4"),
                None => String::new(),
            };
            when.push(format!(
                "({col} IS NOT NULL {range} AND {at} >= ?1 AND {at} < ?2)"
            ));
        }
        let mut stmt = self.c.prepare(&format!(
            "SELECT {}{columns} FROM facts f {hint} WHERE ({}) {filter}",
            self.dim_sql,
            when.join(" OR ")
        ))?;
        let mut q = stmt.query(params_from_iter(args))?;
        while let Some(r) = q.next()? {
            let mut whose = None;
            for (i, kind) in kinds.iter().enumerate() {
                let (Some(v), Some(at)) = (
                    r.get::<_, Option<i64>>(1 + 2 * i)?,
                    r.get::<_, Option<i64>>(2 + 2 * i)?,
                ) else {
                    continue;
                };
                let b = rollup::bucket(v);
                if !(lo..hi).contains(&v)
                    || !self.in_period(at)
                    || !wanted.contains_key(&(*kind, b))
                {
                    continue;
                }
                values.push(*kind, b, 0, v);
                if self.dim.is_some() {
                    let w = match whose {
                        Some(w) => w,
                        None => *whose.insert(values.whose(self.dim, &r.get_ref(0)?)),
                    };
                    values.push(*kind, b, w, v);
                }
            }
        }
        Ok(())
    }
}

/// Adds a stored row of a side to the sums.
fn add(s: &mut Sums, side: &str, tickets: i64, figures: &str) {
    match side {
        RECEIVED => s.received.add(tickets, figures, Some(name::FR_BUCKET)),
        FINISHED => s.finished.add(tickets, figures, Some(name::RES_BUCKET)),
        REASSIGNED => s.reassigned.add(tickets, figures, None),
        _ => {}
    }
}

/// The histogram of a kind of duration (bucket → how many).
fn histogram(s: &Sums, kind: usize) -> BTreeMap<i64, i64> {
    let side = match kind {
        0 => &s.received,
        _ => &s.finished,
    };
    (0i64..)
        .zip(&side.histogram)
        .filter(|(_, v)| **v > 0)
        .map(|(b, v)| (b, *v))
        .collect()
}

/// The figures the sums give, but the quantiles and late first responses.
fn figures(f: &mut Figures, s: &Sums, time: &StatusTime<'_>, now: i64) {
    use name::*;
    // A name whose rows summed to nothing is no figure (as the facts give none).
    let (rm, dm) = (&s.received.figures, &s.finished.figures);
    let get = |m: &Named, k: &str| m.get(k).copied().unwrap_or(0);
    let (r, d) = (
        rm.iter().filter(|(_, v)| **v != 0),
        dm.iter().filter(|(_, v)| **v != 0),
    );
    f.received = s.received.tickets;
    f.first_response.with_target = get(rm, FR_WITH);
    f.first_response.within = get(rm, FR_WITHIN);
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
    f.resolution.with_target = get(dm, RES_WITH);
    f.resolution.within = get(dm, RES_WITHIN);
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
