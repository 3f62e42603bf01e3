//! The desk's clock for people: dates in ticket numbers, times on screen, "today". One time
//! zone for the whole desk (`[desk] timezone` in desk.toml, else the host's), so colleagues
//! with different `TZ` settings see the same times and number tickets into the same month.

use chrono::{DateTime, Local, NaiveDate, TimeZone};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// The host's zone (`TZ`, else /etc/localtime).
    Host,
    Named(chrono_tz::Tz),
}

static ZONE: OnceLock<Zone> = OnceLock::new();

/// Sets the desk's zone for this process (the first setting wins).
pub fn set_zone(zone: Zone) {
    let _ = ZONE.set(zone);
}

pub fn zone() -> Zone {
    *ZONE.get_or_init(|| Zone::Host)
}

/// Parses an IANA zone name ("Europe/Kyiv", "UTC").
pub fn parse_zone(name: &str) -> Result<Zone, crate::core::message::Message> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(Zone::Host);
    }
    name.parse::<chrono_tz::Tz>()
        .map(Zone::Named)
        .map_err(|_| crate::msg!("config.time_zone", name = name))
}

fn with<R>(at: i64, f: impl Fn(&dyn Fn(&str) -> String, NaiveDate) -> R) -> Option<R> {
    match zone() {
        Zone::Host => match Local.timestamp_opt(at, 0) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                Some(f(&|fmt| t.format(fmt).to_string(), t.date_naive()))
            }
            chrono::LocalResult::None => None,
        },
        Zone::Named(tz) => match tz.timestamp_opt(at, 0) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                Some(f(&|fmt| t.format(fmt).to_string(), t.date_naive()))
            }
            chrono::LocalResult::None => None,
        },
    }
}

/// The desk's calendar date of a unix time.
pub fn date(at: i64) -> NaiveDate {
    with(at, |_, d| d).unwrap_or_else(|| {
        DateTime::from_timestamp(at, 0)
            .map(|t| t.date_naive())
            .unwrap_or_default()
    })
}

/// A unix time as people read it: `YYYY-MM-DD HH:MM` in the desk's zone.
pub fn format(at: i64) -> String {
    with(at, |fmt, _| fmt("%Y-%m-%d %H:%M")).unwrap_or_else(|| at.to_string())
}

/// The start (00:00, desk time) of the day containing `at`, as unix seconds.
pub fn day_start(at: i64) -> i64 {
    day_start_of(date(at))
}

/// The start (00:00, desk time) of a date, as unix seconds.
pub fn day_start_of(d: NaiveDate) -> i64 {
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    let resolved = match zone() {
        Zone::Host => Local
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.timestamp()),
        Zone::Named(tz) => tz
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.timestamp()),
    };
    // A day that starts in a DST gap starts at the first valid instant after midnight.
    resolved.unwrap_or_else(|| midnight.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_parse() {
        assert_eq!(parse_zone(""), Ok(Zone::Host));
        assert!(matches!(parse_zone("Europe/Kyiv"), Ok(Zone::Named(_))));
        assert!(parse_zone("Mars/Olympus").is_err_and(|e| e.to_string().contains("Mars/Olympus")));
    }
}
