//! The desk's clock for people: dates in ticket numbers, times on screen, "today". One time
//! zone for the whole desk (`[desk] timezone` in desk.toml, else the host's), so colleagues
//! with different `TZ` settings see the same times and number tickets into the same month.

use crate::core::zone::Tz;
use chrono::{DateTime, Local, NaiveDate, TimeZone};
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Zone {
    /// The host's zone (`TZ`, else /etc/localtime).
    Host,
    Named(Tz),
}

/// The system's tz database, where Debian's `tzdata` puts it. Not `TZDIR`: the shared desk's
/// program runs with a group the caller does not have and trusts no such variable (DESIGN §6).
pub const ZONEINFO: &str = "/usr/share/zoneinfo";

/// The zones of the system's tz database (read from [`ZONEINFO`], one file per zone named).
pub struct SystemZones;

impl crate::core::zone::Zones for SystemZones {
    fn zone(&self, name: &str) -> Result<Tz, crate::core::message::Message> {
        zone_in(std::path::Path::new(ZONEINFO), name)
    }
}

/// The zone `name` from the database in `dir`: a name that is not a zone there is unknown (one
/// line naming it); without the database at all, the line says so and how to get it; UTC is
/// known without it.
fn zone_in(dir: &std::path::Path, name: &str) -> Result<Tz, crate::core::message::Message> {
    let unknown = || crate::msg!("config.time_zone", name = name);
    if !crate::core::zone::valid_name(name) {
        return Err(unknown());
    }
    match std::fs::read(dir.join(name)) {
        Ok(bytes) => Tz::from_tzif(name, &bytes).ok_or_else(unknown),
        Err(_) if matches!(name, "UTC" | "Etc/UTC") => Ok(Tz::utc()),
        Err(_) if !dir.is_dir() => Err(crate::msg!(
            "config.time_zone_database",
            name = name,
            dir = dir.display().to_string()
        )),
        Err(_) => Err(unknown()),
    }
}

static ZONE: OnceLock<Zone> = OnceLock::new();

/// Sets the desk's zone for this process (the first setting wins).
pub fn set_zone(zone: Zone) {
    let _ = ZONE.set(zone);
}

pub fn zone() -> &'static Zone {
    ZONE.get_or_init(|| Zone::Host)
}

fn with<R>(at: i64, f: impl Fn(&dyn Fn(&str) -> String, NaiveDate) -> R) -> Option<R> {
    match zone() {
        Zone::Host => match Local.timestamp_opt(at, 0) {
            chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                Some(f(&|fmt| t.format(fmt).to_string(), t.date_naive()))
            }
            chrono::LocalResult::None => None,
        },
        Zone::Named(tz) => tz
            .at(at)
            .map(|t| f(&|fmt| t.format(fmt).to_string(), t.date_naive())),
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
        Zone::Named(tz) => tz.earliest(midnight),
    };
    // A day that starts in a DST gap starts at the first valid instant after midnight.
    resolved.unwrap_or_else(|| midnight.and_utc().timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::core::zone::Zones;

    #[test]
    fn zones_come_from_the_system_database() {
        let kyiv = SystemZones
            .zone("Europe/Kyiv")
            .expect("tzdata has Europe/Kyiv");
        assert_eq!(kyiv.name(), "Europe/Kyiv");
        // 2026-07-01 12:00 UTC is 15:00 in Kyiv (summer time), 2026-01-15 12:00 is 14:00.
        assert_eq!(kyiv.offset_at(1_782_907_200).local_minus_utc(), 3 * 3600);
        assert_eq!(kyiv.offset_at(1_768_478_400).local_minus_utc(), 2 * 3600);
        for bad in [
            "Mars/Olympus",
            "Europe",              // a directory of the database
            "zone1970.tab",        // a file of the database that is not a zone
            "../../../etc/passwd", // never read: not a zone's name
            "/etc/localtime",
            "Europe/./Kyiv",
            "",
        ] {
            let e = SystemZones.zone(bad).expect_err(bad).to_string();
            assert!(e.contains("unknown time zone"), "{bad}: {e}");
        }
    }

    #[test]
    fn without_the_database_a_zone_is_refused_in_one_line_and_utc_still_works() {
        let none = std::path::Path::new("/nonexistent/zoneinfo");
        let e = zone_in(none, "Europe/Kyiv")
            .expect_err("no database")
            .to_string();
        assert!(
            e.contains("Europe/Kyiv")
                && e.contains("/nonexistent/zoneinfo")
                && e.contains("tzdata"),
            "{e}"
        );
        assert!(!e.contains('\n'));
        assert_eq!(
            zone_in(none, "UTC").map(|z| z.offset_at(0).local_minus_utc()),
            Ok(0)
        );
    }
}
