//! Dates of the language: days, months, days counted from today, durations, ranges.

use super::*;

/// A span of days: a date, a month, or a day counted from today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Days {
    Date(NaiveDate),
    Month(NaiveDate),
    /// Today (0), yesterday (-1).
    Rel(i32),
}

impl Days {
    pub(super) fn start(self) -> When {
        match self {
            Days::Date(d) | Days::Month(d) => When::Day(d),
            Days::Rel(n) => rel(n),
        }
    }

    /// The start of the day (or month) after.
    pub(super) fn next(self) -> When {
        match self {
            Days::Date(d) => When::Day(d.succ_opt().unwrap_or(d)),
            Days::Month(d) => When::Day(next_month(d)),
            Days::Rel(n) => rel(n + 1),
        }
    }

    /// For telling whether a range is reversed: a comparable start, when there is one.
    pub(super) fn date(self) -> Option<NaiveDate> {
        match self {
            Days::Date(d) | Days::Month(d) => Some(d),
            Days::Rel(_) => None,
        }
    }
}

pub(super) fn rel(n: i32) -> When {
    if n == 0 { When::Today } else { When::Days(n) }
}

pub(super) fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 {
        (d.year() + 1, 1)
    } else {
        (d.year(), d.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

/// A point or span of time as typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Instant {
    Day(Days),
    /// Seconds: how long ago (for `due`, how long from now).
    Duration(i64),
    Now,
    /// Unix seconds.
    At(i64),
}

impl Instant {
    /// The instant itself (not for days).
    pub(super) fn when(self, f: DateField) -> When {
        match self {
            Instant::Day(d) => d.start(),
            Instant::Now => When::Ago(0),
            Instant::At(t) => When::At(t),
            Instant::Duration(s) if f == DateField::Due => When::Ago(s.saturating_neg()),
            Instant::Duration(s) => When::Ago(s),
        }
    }
}

/// A range's end before its start (when that can be told without a clock).
pub(super) fn reversed(f: DateField, lo: Instant, hi: Instant) -> bool {
    match (lo, hi) {
        (Instant::Day(a), Instant::Day(b)) => match (a.date(), b.date()) {
            (Some(a), Some(b)) => a > b,
            _ => match (a, b) {
                (Days::Rel(a), Days::Rel(b)) => a > b,
                _ => false,
            },
        },
        (Instant::Duration(a), Instant::Duration(b)) if f == DateField::Due => a > b,
        (Instant::Duration(a), Instant::Duration(b)) => a < b,
        (Instant::At(a), Instant::At(b)) => a > b,
        _ => false,
    }
}

/// `created<D` is before day D; `created>D` after the whole of it; a duration is an age:
/// `updated<7d` is less than seven days ago (for `due`, less than seven days from now).
pub(super) fn compare(f: DateField, cmp: Cmp, x: Instant) -> Cond {
    match x {
        Instant::Day(d) => match cmp {
            Cmp::Before => Cond::Date(f, Cmp::Before, d.start()),
            Cmp::AtOrAfter => Cond::Date(f, Cmp::AtOrAfter, d.start()),
            Cmp::After => Cond::Date(f, Cmp::AtOrAfter, d.next()),
            Cmp::BeforeOrAt => Cond::Date(f, Cmp::Before, d.next()),
        },
        Instant::Duration(s) if f != DateField::Due => Cond::Date(f, flip(cmp), When::Ago(s)),
        x => Cond::Date(f, cmp, x.when(f)),
    }
}

pub(super) fn flip(c: Cmp) -> Cmp {
    match c {
        Cmp::Before => Cmp::After,
        Cmp::After => Cmp::Before,
        Cmp::BeforeOrAt => Cmp::AtOrAfter,
        Cmp::AtOrAfter => Cmp::BeforeOrAt,
    }
}

pub(super) fn instant(t: &str) -> Option<Instant> {
    let lower = t.to_lowercase();
    match lower.as_str() {
        "today" => return Some(Instant::Day(Days::Rel(0))),
        "yesterday" => return Some(Instant::Day(Days::Rel(-1))),
        "now" => return Some(Instant::Now),
        _ => {}
    }
    if let Some(secs) = lower.strip_prefix('@') {
        return secs.parse().ok().map(Instant::At);
    }
    if let Some(d) = day(&lower) {
        return Some(Instant::Day(Days::Date(d)));
    }
    if let Some(m) = month(&lower) {
        return Some(Instant::Day(Days::Month(m)));
    }
    duration(&lower).map(Instant::Duration)
}

/// `YYYY-MM-DD`.
pub(super) fn day(t: &str) -> Option<NaiveDate> {
    let mut parts = t.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// `YYYY-MM`: its first day.
pub(super) fn month(t: &str) -> Option<NaiveDate> {
    let (y, m) = t.split_once('-')?;
    if y.len() != 4 || m.len() != 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

pub(super) const UNITS: [(char, i64); 5] = [
    ('w', 604_800),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// `7d`, `1d12h`, `-2h`, `30m`: seconds. At most ten years either way.
pub(super) fn duration(t: &str) -> Option<i64> {
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    if body.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in body.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            if digits.len() > 9 {
                return None;
            }
            continue;
        }
        let unit = UNITS.iter().find(|(u, _)| *u == c)?.1;
        let n: i64 = digits.parse().ok()?;
        digits.clear();
        total = total.checked_add(n.checked_mul(unit)?)?;
    }
    if !digits.is_empty() || total > 10 * 366 * 86_400 {
        return None;
    }
    Some(if neg { -total } else { total })
}

pub(super) fn duration_text(secs: i64) -> String {
    let (sign, n) = if secs < 0 { ("-", -secs) } else { ("", secs) };
    // Days rather than weeks: `updated<7d` prints as typed.
    let (unit, size) = UNITS[1..]
        .iter()
        .find(|(_, size)| n % size == 0)
        .map(|(u, s)| (*u, *s))
        .unwrap_or(('s', 1));
    format!("{sign}{}{unit}", n / size)
}
