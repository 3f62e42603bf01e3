//! A named time zone from the tz database's compiled form (TZif, RFC 8536), as the system
//! keeps it in /usr/share/zoneinfo: the bytes are read by the caller (`crate::time`), parsed
//! here. Pure: bytes in, offsets and instants out.
//!
//! desk used chrono-tz, which compiles every zone of the database into the program: its tables
//! were 30,000 of the program's 56,000 relocated pointers, about 250 of a one-shot command's
//! 670 page faults at start. A desk needs one or two zones, read once per process.

use crate::core::message::Message;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Timelike};

/// Where the zones named in a configuration come from (the system's tz database for the
/// program; see `crate::time::SystemZones`).
pub trait Zones {
    /// The zone of an IANA name, or why not, said as one line.
    fn zone(&self, name: &str) -> Result<Tz, Message>;
}

/// Knows UTC alone (for text that names no other zone, such as the built-in configuration).
pub struct UtcOnly;

impl Zones for UtcOnly {
    fn zone(&self, name: &str) -> Result<Tz, Message> {
        match name {
            "UTC" | "Etc/UTC" => Ok(Tz::utc()),
            _ => Err(crate::msg!("config.time_zone", name = name)),
        }
    }
}

/// One time zone, cheap to clone (its transitions are shared).
#[derive(Clone, PartialEq, Eq)]
pub struct Tz {
    name: std::sync::Arc<str>,
    tz: jiff::tz::TimeZone,
}

/// The name alone, as chrono-tz wrote a zone: the configuration's `[sla]` fingerprint (its
/// `Debug` text, `Config::sla_fingerprint`) stays what desks recorded before, so an upgrade
/// does not recompute every ticket's figures.
impl std::fmt::Debug for Tz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

/// Kept by its name alone (in the cache of a checked configuration): a zone read back so is
/// not usable until [`Tz::resolved`] reads its rules from the tz database again, so that an
/// update of the system's database is seen as it is without the cache.
impl serde::Serialize for Tz {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> serde::Deserialize<'de> for Tz {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Tz {
            name: name.into(),
            tz: jiff::tz::TimeZone::unknown(),
        })
    }
}

/// Whether `name` can name a zone file under the database's directory: IANA names are ASCII
/// letters, digits, `_`, `-`, `+`, parts joined by `/`; never absolute, never `.` or `..`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '.'))
        })
}

impl Tz {
    /// Coordinated universal time, known without the database.
    pub fn utc() -> Tz {
        Tz {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    /// The zone `name` from its TZif bytes; `None` when they are not TZif.
    pub fn from_tzif(name: &str, data: &[u8]) -> Option<Tz> {
        let tz = jiff::tz::TimeZone::tzif(name, data).ok()?;
        Some(Tz {
            name: name.into(),
            tz,
        })
    }

    /// This zone read again by its name from `zones` (a zone read back from a cache).
    pub fn resolved(&self, zones: &dyn Zones) -> Result<Tz, Message> {
        zones.zone(&self.name)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The offset from UTC in force at the unix time `at`.
    pub fn offset_at(&self, at: i64) -> FixedOffset {
        let seconds = jiff::Timestamp::from_second(at)
            .map(|t| self.tz.to_offset(t).seconds())
            .unwrap_or(0);
        // jiff's offsets stay within ±26 hours, chrono's within ±24: UTC past that.
        FixedOffset::east_opt(seconds).unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc))
    }

    /// The unix time `at` as a local date and time of this zone.
    pub fn at(&self, at: i64) -> Option<DateTime<FixedOffset>> {
        DateTime::from_timestamp(at, 0).map(|t| t.with_timezone(&self.offset_at(at)))
    }

    /// The local calendar date of the unix time `at`.
    pub fn date(&self, at: i64) -> Option<NaiveDate> {
        self.at(at).map(|t| t.date_naive())
    }

    /// The first instant a local time names: the earlier of two when clocks go back; `None`
    /// when it does not exist (clocks went forward over it).
    pub fn earliest(&self, local: NaiveDateTime) -> Option<i64> {
        use chrono::Datelike;
        use jiff::tz::AmbiguousOffset;
        let civil = jiff::civil::DateTime::new(
            i16::try_from(local.year()).ok()?,
            i8::try_from(local.month()).ok()?,
            i8::try_from(local.day()).ok()?,
            i8::try_from(local.hour()).ok()?,
            i8::try_from(local.minute()).ok()?,
            i8::try_from(local.second()).ok()?,
            0,
        )
        .ok()?;
        let offset = match self.tz.to_ambiguous_timestamp(civil).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset,
            AmbiguousOffset::Fold { before, .. } => before,
            AmbiguousOffset::Gap { .. } => return None,
        };
        Some(local.and_utc().timestamp() - i64::from(offset.seconds()))
    }
}

#[cfg(test)]
mod tests;
