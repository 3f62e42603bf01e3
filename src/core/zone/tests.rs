//! Tests of `zone`: the system's tz database read through `Tz` agrees with chrono-tz (an
//! independent compilation of the same database) on offsets and on local times, across the
//! years a desk lives in, DST gaps and folds included.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;

const NAMES: [&str; 8] = [
    "Europe/Kyiv",
    "America/New_York",
    "Australia/Lord_Howe", // a half-hour DST shift
    "Asia/Kolkata",
    "America/St_Johns",
    "Europe/London",
    "Pacific/Auckland",
    "UTC",
];

fn system(name: &str) -> Tz {
    crate::time::SystemZones
        .zone(name)
        .expect("the system's tz database (tzdata)")
}

fn reference(name: &str) -> chrono_tz::Tz {
    name.parse().expect("chrono-tz knows it")
}

proptest! {
    #[test]
    fn offsets_agree_with_chrono_tz(i in 0..NAMES.len(), at in 0i64..4_102_444_800) {
        let (ours, theirs) = (system(NAMES[i]), reference(NAMES[i]));
        let expected = theirs.timestamp_opt(at, 0).single().map(|t| t.naive_local());
        prop_assert_eq!(ours.at(at).map(|t| t.naive_local()), expected);
        prop_assert_eq!(ours.date(at), expected.map(|t| t.date()));
    }

    #[test]
    fn local_times_agree_with_chrono_tz(i in 0..NAMES.len(), at in 0i64..4_102_444_800) {
        // Local times near every kind of instant: a whole quarter-hour, as schedules are.
        let local = DateTime::from_timestamp(at - at % 900, 0).map(|t| t.naive_utc());
        let local = local.unwrap_or_default();
        let (ours, theirs) = (system(NAMES[i]), reference(NAMES[i]));
        let expected = theirs.from_local_datetime(&local).earliest().map(|t| t.timestamp());
        prop_assert_eq!(ours.earliest(local), expected);
    }
}

#[test]
fn gaps_and_folds_in_kyiv() {
    let kyiv = system("Europe/Kyiv");
    let local = |d: u32, m: u32, h: u32, mi: u32| {
        chrono::NaiveDate::from_ymd_opt(2026, m, d)
            .and_then(|d| d.and_hms_opt(h, mi, 0))
            .expect("a date")
    };
    // 29 March 2026, 03:00 → 04:00: 03:30 does not exist.
    assert_eq!(kyiv.earliest(local(29, 3, 3, 30)), None);
    assert_eq!(kyiv.earliest(local(29, 3, 4, 0)), Some(1_774_746_000));
    // 25 October 2026, 04:00 → 03:00: 03:30 happens twice; the first is in summer time.
    assert_eq!(kyiv.earliest(local(25, 10, 3, 30)), Some(1_792_888_200));
}

#[test]
fn a_zone_is_written_as_chrono_tz_wrote_it() {
    // `[sla]`'s fingerprint is the Debug text of its calendars: unchanged across the upgrade.
    for name in NAMES {
        assert_eq!(
            format!("{:?}", system(name)),
            format!("{:?}", reference(name))
        );
    }
}

#[test]
fn names_that_cannot_be_zones() {
    for good in [
        "UTC",
        "Europe/Kyiv",
        "America/Argentina/Buenos_Aires",
        "Etc/GMT+5",
    ] {
        assert!(valid_name(good), "{good}");
    }
    for bad in [
        "",
        "/etc/passwd",
        "../x",
        "Europe/../../x",
        "a//b",
        "Europe/",
        "a b",
        "é",
    ] {
        assert!(!valid_name(bad), "{bad}");
    }
    assert!(Tz::from_tzif("x", b"not a zone").is_none());
    assert_eq!(
        UtcOnly.zone("UTC").map(|z| z.offset_at(0)),
        Ok(Tz::utc().offset_at(0))
    );
    assert!(UtcOnly.zone("Europe/Kyiv").is_err());
}
