//! Tests of `sla`.

use super::*;
use crate::core::config::Config;
use proptest::prelude::*;

fn ts(y: i32, mo: u32, d: u32, h: u32, mi: u32, tz: &Tz) -> i64 {
    instant(
        tz,
        NaiveDate::from_ymd_opt(y, mo, d)
            .expect("date")
            .and_hms_opt(h, mi, 0)
            .expect("time"),
    )
}

/// A zone of the system's tz database.
fn zone(name: &str) -> Tz {
    use crate::core::zone::Zones;
    crate::time::SystemZones
        .zone(name)
        .expect("the system's tz database (tzdata)")
}

fn kyiv() -> Calendar {
    Calendar {
        tz: zone("Europe/Kyiv"),
        days: [true, true, true, true, true, false, false],
        open: NaiveTime::from_hms_opt(9, 0, 0).expect("t"),
        close: NaiveTime::from_hms_opt(18, 0, 0).expect("t"),
        holidays: [NaiveDate::from_ymd_opt(2026, 12, 25).expect("d")]
            .into_iter()
            .collect(),
    }
}

fn life() -> Lifecycle {
    Config::builtin().expect("config").lifecycle
}

fn ev(at: i64, kind: EventKind, to: Option<&str>) -> ClockEvent {
    ClockEvent {
        at,
        kind,
        from: None,
        to: to.map(Into::into),
        by_agent: true,
        undo: false,
    }
}

const H: i64 = 3600;

fn step(kind: EventKind, from: Option<&str>, to: Option<&str>, undo: bool) -> ClockEvent {
    ClockEvent {
        from: from.map(Into::into),
        undo,
        ..ev(0, kind, to)
    }
}

#[test]
fn an_undo_takes_back_the_step_it_reverses() {
    use EventKind::{Assigned, Created, Status};
    let events = vec![
        step(Created, None, Some("new"), false),
        step(Assigned, None, Some("olena"), false),
        step(Status, Some("new"), Some("attributed"), false),
        step(Assigned, Some("olena"), None, true),
        step(Status, Some("attributed"), Some("new"), true),
    ];
    assert_eq!(undone(&events), [false, true, true, true, true]);
    assert_eq!(
        first_response_at(&events, &life(), FirstResponse::Move),
        None,
        "an undone claim is no first response"
    );
    // A reassignment, another undone, and a step back that is no undo.
    let events = vec![
        step(Assigned, Some("a"), Some("b"), false),
        step(Assigned, Some("b"), Some("c"), false),
        step(Assigned, Some("c"), Some("b"), true),
        step(Assigned, Some("b"), Some("a"), false),
        step(Assigned, Some("a"), Some("a"), false),
    ];
    assert_eq!(undone(&events), [false, true, true, false, false]);
    assert_eq!(reassignments(&events), 2);
    assert!(!is_reassignment(Some("a"), Some("a")));
    assert!(!is_reassignment(None, Some("a")));
    assert!(is_reassignment(Some("a"), Some("b")));
}

#[test]
fn business_time_skips_nights_weekends_and_holidays() {
    let c = kyiv();
    let tz = &c.tz.clone();
    // Friday 17:00 → Monday 10:00: 1 h on Friday + 1 h on Monday.
    let fri = ts(2026, 11, 20, 17, 0, tz);
    let mon = ts(2026, 11, 23, 10, 0, tz);
    assert_eq!(c.business_seconds(fri, mon), 2 * H);
    // 3 h from Friday 17:00 lands on Monday 11:00.
    assert_eq!(c.add(fri, 3 * H), ts(2026, 11, 23, 11, 0, tz));
    // Christmas (a holiday, a Friday): Thursday 17:00 → Monday 10:00 is 2 h.
    let thu = ts(2026, 12, 24, 17, 0, tz);
    assert_eq!(c.business_seconds(thu, ts(2026, 12, 28, 10, 0, tz)), 2 * H);
    // Before opening and after closing count nothing.
    assert_eq!(
        c.business_seconds(ts(2026, 11, 24, 6, 0, tz), ts(2026, 11, 24, 8, 59, tz)),
        0
    );
    assert_eq!(
        c.business_seconds(ts(2026, 11, 24, 18, 0, tz), ts(2026, 11, 25, 9, 0, tz)),
        0
    );
}

#[test]
fn daylight_saving_changes_are_counted_right() {
    let tz = &zone("Europe/Kyiv");
    let all_week = Calendar {
        tz: tz.clone(),
        days: [true; 7],
        open: NaiveTime::from_hms_opt(0, 0, 0).expect("t"),
        close: NaiveTime::from_hms_opt(23, 59, 59).expect("t"),
        holidays: BTreeSet::new(),
    };
    // 29 March 2026: clocks go forward at 03:00 in Kyiv; the day is an hour shorter.
    let a = ts(2026, 3, 29, 0, 0, tz);
    let b = ts(2026, 3, 30, 0, 0, tz);
    assert_eq!(b - a, 23 * H);
    assert_eq!(all_week.business_seconds(a, b), 23 * H - 1);
    // A 9-18 working day on the change days is still 9 hours.
    let mut c = kyiv();
    c.days = [true; 7];
    let d = NaiveDate::from_ymd_opt(2026, 3, 29).expect("d");
    let (s, e) = c.window(d).expect("working");
    assert_eq!(e - s, 9 * H, "March change");
    let d = NaiveDate::from_ymd_opt(2026, 10, 25).expect("d");
    let (s, e) = c.window(d).expect("working");
    assert_eq!(e - s, 9 * H, "October change");
    // A window opening inside the spring-forward gap starts at the first valid instant.
    c.open = NaiveTime::from_hms_opt(3, 30, 0).expect("t");
    let (s, _) = c
        .window(NaiveDate::from_ymd_opt(2026, 3, 29).expect("d"))
        .expect("w");
    assert_eq!(s, ts(2026, 3, 29, 4, 0, tz));
}

#[test]
fn clocks_pause_while_waiting_stop_when_done_and_resume_on_reopen() {
    let l = life();
    let cfg = SlaConfig::default();
    let t0 = 1_000_000;
    let events = vec![
        ev(t0, EventKind::Created, Some("new")),
        ev(t0 + H, EventKind::Status, Some("attributed")),
        ev(t0 + 2 * H, EventKind::Status, Some("in_progress")),
        ev(t0 + 3 * H, EventKind::Status, Some("waiting_info")),
        ev(t0 + 10 * H, EventKind::Status, Some("in_progress")),
        ev(t0 + 12 * H, EventKind::Status, Some("resolved")),
        ev(t0 + 20 * H, EventKind::Status, Some("in_progress")),
    ];
    let targets = Targets {
        first_response: Some(2 * H),
        resolution: Some(8 * H),
        keep_in_touch: None,
    };
    let s = compute(&events, &l, &cfg, targets, t0 + 22 * H);
    let fr = s.clock(ClockKind::FirstResponse).expect("fr");
    assert_eq!(
        s.first_response_at,
        Some(t0 + H),
        "the first move out of new"
    );
    assert_eq!((fr.elapsed, fr.state), (H, SlaState::Met));
    let r = s.clock(ClockKind::Resolution).expect("res");
    // 3 h before waiting, 2 h after, paused 7 h, stopped 8 h while resolved, 2 h since reopen.
    assert_eq!(r.elapsed, 3 * H + 2 * H + 2 * H);
    assert!(r.running);
    assert_eq!(
        r.state,
        SlaState::AtRisk,
        "1 h of 8 left is under a quarter"
    );
    assert_eq!(r.due, Some(t0 + 23 * H));
    assert_eq!(s.due, Some(t0 + 23 * H));
    let whys: Vec<&Why> = r.intervals.iter().map(|i| &i.why).collect();
    assert!(whys.contains(&&Why::Waiting) && whys.contains(&&Why::Finished));
    assert_eq!(s.status_secs.get("waiting_info"), Some(&(7 * H)));
    // Done again: stopped, missed (9 h > 8 h).
    let mut done = events.clone();
    done.push(ev(t0 + 24 * H, EventKind::Status, Some("resolved")));
    let s = compute(&done, &l, &cfg, targets, t0 + 30 * H);
    let r = s.clock(ClockKind::Resolution).expect("res");
    assert_eq!(
        (r.elapsed, r.state, r.running),
        (9 * H, SlaState::Missed, false)
    );
    assert_eq!(s.due, None, "nothing runs");
}

#[test]
fn first_response_modes() {
    let l = life();
    let t0 = 0;
    let events = vec![
        ev(t0, EventKind::Created, Some("new")),
        ev(t0 + 5 * H, EventKind::Reply, None),
        ClockEvent {
            by_agent: false,
            ..ev(t0 + 7 * H, EventKind::Status, Some("attributed"))
        },
        ev(t0 + 9 * H, EventKind::Status, Some("in_progress")),
    ];
    assert_eq!(
        first_response_at(&events, &l, FirstResponse::Reply),
        Some(5 * H)
    );
    assert_eq!(
        first_response_at(&events, &l, FirstResponse::Move),
        None,
        "the desk's own move is not a response"
    );
    assert_eq!(
        first_response_at(&events, &l, FirstResponse::ReplyOrMove),
        Some(5 * H)
    );
}

#[test]
fn keep_in_touch_counts_from_the_last_answer() {
    let l = life();
    let t0 = 0;
    let events = vec![
        ev(t0, EventKind::Created, Some("new")),
        ev(t0 + H, EventKind::Status, Some("attributed")),
        ev(t0 + 2 * H, EventKind::Reply, None),
    ];
    let targets = Targets {
        keep_in_touch: Some(4 * H),
        ..Targets::default()
    };
    let s = compute(&events, &l, &SlaConfig::default(), targets, t0 + 7 * H);
    let k = s.clock(ClockKind::KeepInTouch).expect("kit");
    assert_eq!((k.elapsed, k.state), (5 * H, SlaState::Breached));
    assert_eq!(k.due, Some(t0 + 6 * H));
}

#[test]
fn durations() {
    let c = kyiv();
    assert_eq!(parse_duration("90m", None), Ok(5400));
    assert_eq!(parse_duration("2d", None), Ok(2 * 86_400));
    assert_eq!(
        parse_duration("2d", Some(&c)),
        Ok(18 * H),
        "two working days of 9 h"
    );
    assert_eq!(parse_duration("1w", Some(&c)), Ok(45 * H));
    assert_eq!(parse_duration("1d 4h", None), Ok(28 * H));
    assert!(parse_duration("soon", None).is_err());
    assert!(parse_duration("0h", None).is_err());
    assert!(parse_duration("", None).is_err());
}

fn arb_calendar() -> impl Strategy<Value = Option<Calendar>> {
    prop_oneof![
        Just(None),
        (
            any::<[bool; 7]>(),
            0u32..12,
            1u32..12,
            prop::sample::select(vec![
                zone("Europe/Kyiv"),
                zone("America/New_York"),
                zone("UTC"),
                zone("Australia/Lord_Howe"),
            ])
        )
            .prop_filter("a working day", |(d, _, _, _)| d.iter().any(|x| *x))
            .prop_map(|(days, open, len, tz)| Some(Calendar {
                tz,
                days,
                open: NaiveTime::from_hms_opt(open, 0, 0).expect("t"),
                close: NaiveTime::from_hms_opt(open + len, 0, 0).expect("t"),
                holidays: BTreeSet::new(),
            })),
    ]
}

proptest! {
    /// Business time never exceeds wall time, is additive, and add() inverts it.
    #[test]
    fn business_time_is_sane(cal in arb_calendar(), a in 1_700_000_000i64..1_900_000_000, len in 0i64..40 * 86_400, cut in 0i64..40 * 86_400) {
        let b = a + len;
        let m = a + cut.min(len);
        let all = seconds(cal.as_ref(), a, b);
        prop_assert!(all >= 0 && all <= b - a);
        prop_assert_eq!(seconds(cal.as_ref(), a, m) + seconds(cal.as_ref(), m, b), all);
        let back = add(cal.as_ref(), a, all);
        prop_assert!(back <= b, "add overshoots");
        prop_assert_eq!(seconds(cal.as_ref(), a, back), all);
    }

    /// Waiting can only pause a clock: turning part of an active stretch into waiting
    /// (the rest of the history unchanged) never adds counted time and never brings a due
    /// time forward.
    #[test]
    fn pausing_never_shortens_the_time_left(cal in arb_calendar(), gaps in prop::collection::vec(600i64..20 * 3600, 2..6), which in any::<prop::sample::Index>(), start in 0.0f64..1.0, len in 0.0f64..1.0) {
        let l = life();
        let cfg = SlaConfig { calendar: cal, ..SlaConfig::default() };
        let t0 = 1_800_000_000i64;
        let mut at = t0;
        let mut plain = vec![ev(at, EventKind::Created, Some("new"))];
        let path = ["attributed", "in_progress", "in_execution", "resolved", "closed"];
        for (g, st) in gaps.iter().zip(path.iter()) {
            at += g;
            plain.push(ev(at, EventKind::Status, Some(st)));
        }
        let now = at + 3600;
        // Pick an active stretch [plain[i], plain[i+1]) and make a part of it a wait.
        let active: Vec<usize> = (1..plain.len() - 1)
            .filter(|&i| matches!(plain[i].to.as_deref(), Some("attributed") | Some("in_progress") | Some("in_execution")))
            .collect();
        prop_assume!(!active.is_empty());
        let i = active[which.index(active.len())];
        let (a0, a1) = (plain[i].at, plain[i + 1].at);
        let w0 = a0 + ((a1 - a0) as f64 * start) as i64;
        let w1 = (w0 + ((a1 - w0) as f64 * len) as i64).max(w0 + 1).min(a1);
        prop_assume!(w0 < w1 && w1 <= a1);
        let back = plain[i].to.clone();
        let mut waited: Vec<ClockEvent> = plain[..=i].to_vec();
        waited.push(ev(w0, EventKind::Status, Some("waiting_info")));
        waited.push(ClockEvent { to: back, ..ev(w1, EventKind::Status, None) });
        waited.extend(plain[i + 1..].iter().cloned());
        let targets = Targets { first_response: Some(4 * 3600), resolution: Some(30 * 3600), keep_in_touch: None };
        let a = compute(&plain, &l, &cfg, targets, now);
        let b = compute(&waited, &l, &cfg, targets, now);
        let ra = a.clock(ClockKind::Resolution).expect("r");
        let rb = b.clock(ClockKind::Resolution).expect("r");
        prop_assert!(rb.elapsed <= ra.elapsed, "a wait added time: {} > {}", rb.elapsed, ra.elapsed);
        prop_assert_eq!(ra.elapsed - rb.elapsed, seconds(cfg.calendar.as_ref(), w0, w1), "exactly the wait is not counted");
        if let (Some(da), Some(db)) = (ra.due, rb.due) {
            prop_assert!(db >= da, "a wait brought the due time forward");
        }
        // Elapsed never exceeds wall time, and grows with time.
        prop_assert!(ra.elapsed <= now - t0);
        let later = compute(&plain, &l, &cfg, targets, now + 7200);
        prop_assert!(later.clock(ClockKind::Resolution).expect("r").elapsed >= ra.elapsed);
    }
}
