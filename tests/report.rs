//! `desk report` on a generated history with known answers. The test writes the history
//! through the store at chosen moments, keeps its own record of what it did, and computes
//! every expected figure from that record — never by calling the code under test.

mod common;

use common::Lcg;

use desk::core::config::Config;
use desk::core::lifecycle::Fields;
use desk::core::model::{Channel, Outcome, Priority};
use desk::session::Session;
use desk::store::report::{Dimension, ReportSpec};
use desk::store::{Mode, NewTicket};
use std::collections::BTreeMap;

const DAY: i64 = 86_400;
const H: i64 = 3600;
/// 2026-06-01 00:00 UTC: the period under report is June 2026.
const FROM: i64 = 1_780_272_000;
const TO: i64 = FROM + 30 * DAY;

/// What the test did to one ticket.
#[derive(Debug, Clone)]
struct Record {
    number: String,
    category: String,
    priority: Priority,
    created: i64,
    claimed: Option<i64>,
    finished: Option<(i64, Outcome, Option<String>)>,
    rating: Option<i64>,
    reassigned: bool,
}

/// Nearest-rank quantile, written out independently.
fn quantile(values: &[i64], q: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort();
    let rank = ((q * v.len() as f64).ceil() as usize).max(1);
    Some(v[rank - 1])
}

/// A report's durations against the values the test recorded: median, p90, within target.
fn same_durations(what: &str, got: &desk::store::report::Durations, values: &[i64], within: i64) {
    assert_eq!(got.median(), quantile(values, 0.5), "{what}: median");
    assert_eq!(got.p90(), quantile(values, 0.9), "{what}: p90");
    assert_eq!(got.within, within, "{what}: within target");
}

/// The targets of the built-in desk.toml, written out by hand.
fn targets(priority: Priority, category: &str) -> (i64, i64) {
    let (fr, res) = match priority {
        Priority::Urgent => (H, 8 * H),
        Priority::High => (4 * H, 2 * DAY),
        Priority::Normal => (DAY, 5 * DAY),
        Priority::Low => (2 * DAY, 10 * DAY),
    };
    if category == "CMP" {
        (4 * H, res)
    } else {
        (fr, res)
    }
}

#[test]
fn report_figures_match_an_independent_count() {
    let d = common::Desk::new();
    let mut s = Session::open(&d.db, None, Mode::Existing).expect("session");
    let cfg: Config = s.cfg.clone();
    let me = s.store.actor(&d.me, None).expect("me");
    s.store
        .add_agent(
            &cfg,
            &me,
            &desk::store::NewAgent {
                login: "helper".into(),
                name: "Helper".into(),
                role: desk::core::model::Role::Operator,
                groups: vec!["FRONT".into()],
                capacity: 100,
                mail: None,
            },
            FROM - 20 * DAY,
        )
        .expect("agent");
    let categories = ["HSG", "SOC", "DOC", "CMP", "GEN", "TEC"];
    let reasons = ["too late", "not our office", "duplicate"];
    let mut rng = Lcg(42);
    let mut records: Vec<Record> = Vec::new();
    // Tickets from ten days before the period to two days after it, created in time order.
    let mut created = FROM - 10 * DAY;
    while created < TO + 2 * DAY {
        created += 600 + rng.next(4 * H as u64) as i64;
        let category = categories[rng.next(6) as usize].to_string();
        let priority = Priority::ALL[rng.next(4) as usize];
        let number = s
            .store
            .create(
                &cfg,
                &me,
                &NewTicket {
                    subject: format!("request about {category}"),
                    body: String::new(),
                    requester: String::new(),
                    contact: String::new(),
                    channel: Channel::Phone,
                    category: Some(category.clone()),
                    group: None,
                    priority: Some(priority),
                    external_ref: None,
                    language: None,
                },
                created,
            )
            .expect("create")
            .number;
        let mut r = Record {
            number: number.clone(),
            category,
            priority,
            created,
            claimed: None,
            finished: None,
            rating: None,
            reassigned: false,
        };
        if rng.next(10) < 8 {
            let at = created + 60 + rng.next(2 * DAY as u64) as i64;
            s.store
                .claim(&cfg, &me, &number, None, None, at)
                .expect("claim");
            s.store
                .move_to(
                    &cfg,
                    &me,
                    &number,
                    "in_progress",
                    &Fields::default(),
                    None,
                    at,
                )
                .expect("start");
            r.claimed = Some(at);
            if rng.next(10) < 2 {
                s.store
                    .assign(
                        &cfg,
                        &me,
                        &number,
                        Some("helper"),
                        None,
                        Some("specialist"),
                        None,
                        at,
                    )
                    .expect("give");
                r.reassigned = true;
            }
            let actor = if r.reassigned {
                s.store.actor(&d.me, Some("helper")).expect("as helper")
            } else {
                me.clone()
            };
            if rng.next(10) < 7 {
                let fin = at + 60 + rng.next(6 * DAY as u64) as i64;
                let (status, outcome, reason) = match rng.next(4) {
                    0 => (
                        "rejected",
                        Outcome::Refused,
                        Some(reasons[rng.next(3) as usize].to_string()),
                    ),
                    1 => (
                        "rejected",
                        Outcome::Invalid,
                        Some(reasons[rng.next(3) as usize].to_string()),
                    ),
                    2 => ("resolved", Outcome::Partial, Some("next week".to_string())),
                    _ => ("resolved", Outcome::Granted, None),
                };
                let fields = Fields {
                    outcome: Some(outcome),
                    reason: reason.clone(),
                    answer: None,
                };
                s.store
                    .move_to(&cfg, &actor, &number, status, &fields, None, fin)
                    .expect("finish");
                r.finished = Some((fin, outcome, reason));
                if rng.next(2) == 0 {
                    let score = 1 + rng.next(5) as i64;
                    s.store
                        .rate(&cfg, &actor, &number, score, None, None, fin + 60)
                        .expect("rate");
                    r.rating = Some(score);
                }
            }
        }
        records.push(r);
    }
    let now = TO + 3 * DAY;
    let spec = ReportSpec {
        from: FROM,
        to: TO,
        by: None,
        group: None,
        now,
    };
    let rep = s.store.report(&cfg, &spec).expect("report");

    // Received.
    let received: Vec<&Record> = records
        .iter()
        .filter(|r| r.created >= FROM && r.created < TO)
        .collect();
    assert!(received.len() > 100, "a real month: {}", received.len());
    assert_eq!(rep.total.received, received.len() as i64);
    // Finished in the period, by outcome.
    let finished: Vec<&Record> = records
        .iter()
        .filter(|r| {
            r.finished
                .as_ref()
                .is_some_and(|(at, _, _)| *at >= FROM && *at < TO)
        })
        .collect();
    let count = |f: &dyn Fn(Outcome) -> bool| {
        finished
            .iter()
            .filter(|r| r.finished.as_ref().is_some_and(|(_, o, _)| f(*o)))
            .count() as i64
    };
    assert_eq!(
        rep.total.resolved,
        count(&|o| matches!(o, Outcome::Granted | Outcome::Partial))
    );
    assert_eq!(
        rep.total.rejected,
        count(&|o| matches!(o, Outcome::Refused | Outcome::Invalid))
    );
    assert_eq!(rep.total.finished, finished.len() as i64);
    // Backlog at the end of the period: registered before it ended, not finished by then.
    let backlog = records
        .iter()
        .filter(|r| r.created < TO && r.finished.as_ref().is_none_or(|(at, _, _)| *at >= TO))
        .count() as i64;
    assert_eq!(rep.total.backlog, backlog);
    // First response (the claim: the first move out of new) and its target.
    let fr: Vec<i64> = received
        .iter()
        .filter_map(|r| r.claimed.map(|c| c - r.created))
        .collect();
    let fr_within = received
        .iter()
        .filter(|r| {
            r.claimed
                .is_some_and(|c| c - r.created <= targets(r.priority, &r.category).0)
        })
        .count() as i64;
    same_durations("first response", &rep.total.first_response, &fr, fr_within);
    // Never claimed, so never answered: by the report's now every one is past its target
    // (targets are at most two days, now is three days after the period) — misses.
    let unanswered = received.iter().filter(|r| r.claimed.is_none()).count() as i64;
    assert!(unanswered > 0);
    assert_eq!(rep.total.first_response.late_open, unanswered);
    assert_eq!(
        rep.total.first_response.with_target,
        fr.len() as i64 + unanswered
    );
    // Resolution: no waiting in this history, so it is wall time from registration.
    let res: Vec<i64> = finished
        .iter()
        .filter_map(|r| r.finished.as_ref().map(|(at, _, _)| at - r.created))
        .collect();
    let res_within = finished
        .iter()
        .filter(|r| {
            r.finished
                .as_ref()
                .is_some_and(|(at, _, _)| at - r.created <= targets(r.priority, &r.category).1)
        })
        .count() as i64;
    same_durations("resolution", &rep.total.resolution, &res, res_within);
    // Satisfaction.
    let ratings: Vec<i64> = finished.iter().filter_map(|r| r.rating).collect();
    assert_eq!(rep.total.rated, ratings.len() as i64);
    assert_eq!(rep.total.rating_sum, ratings.iter().sum::<i64>());
    for score in 1..=5 {
        assert_eq!(
            rep.total.ratings[(score - 1) as usize],
            ratings.iter().filter(|x| **x == score).count() as i64
        );
    }
    // Reassignments: the ones made in the period, one definition for every figure.
    let passed_in_period = records
        .iter()
        .filter(|r| r.reassigned && r.claimed.is_some_and(|c| (FROM..TO).contains(&c)))
        .count() as i64;
    assert_eq!(rep.total.reassigned_tickets, passed_in_period);
    assert_eq!(rep.total.reassignments, passed_in_period);
    assert_eq!(
        rep.bounced_by_category.iter().map(|(_, n)| n).sum::<i64>(),
        passed_in_period
    );
    let by_me = rep
        .bounced_by_agent
        .iter()
        .find(|(k, _)| *k == d.me)
        .map(|(_, n)| *n)
        .unwrap_or(0);
    assert_eq!(by_me, passed_in_period);
    // Refusal reasons.
    let mut reason_counts: BTreeMap<String, i64> = BTreeMap::new();
    for r in &finished {
        if let Some((_, Outcome::Refused | Outcome::Invalid, Some(reason))) = &r.finished {
            *reason_counts.entry(reason.clone()).or_default() += 1;
        }
    }
    for (reason, n) in &rep.refusal_reasons {
        assert_eq!(reason_counts.get(reason), Some(n), "{reason}");
    }
    assert_eq!(rep.refusal_reasons.len(), reason_counts.len());
    // Days add up, and the backlog walks back day by day.
    assert_eq!(rep.days.len(), 30);
    assert_eq!(
        rep.days.iter().map(|d| d.received).sum::<i64>(),
        rep.total.received
    );
    assert_eq!(
        rep.days.iter().map(|d| d.finished).sum::<i64>(),
        rep.total.finished
    );
    assert_eq!(rep.days.last().map(|d| d.backlog), Some(backlog));
    let day5_end = FROM + 5 * DAY;
    let backlog_day5 = records
        .iter()
        .filter(|r| {
            r.created < day5_end && r.finished.as_ref().is_none_or(|(at, _, _)| *at >= day5_end)
        })
        .count() as i64;
    assert_eq!(rep.days[4].backlog, backlog_day5);
    // Frequent problems: the most received category.
    let mut by_cat: BTreeMap<&str, i64> = BTreeMap::new();
    for r in &received {
        *by_cat.entry(r.category.as_str()).or_default() += 1;
    }
    let top = by_cat.values().max().copied();
    assert_eq!(rep.top_categories.first().map(|(_, n)| *n), top);

    // Time in each status, the current stretch counted up to the report's now: new until the
    // claim (which starts work at once), in progress until the finish, then resolved or
    // rejected until now.
    let mut in_status: BTreeMap<&str, i64> = BTreeMap::new();
    for r in &received {
        *in_status.entry("new").or_default() += r.claimed.unwrap_or(now) - r.created;
        if let Some(c) = r.claimed {
            let end = r.finished.as_ref().map(|(f, _, _)| *f).unwrap_or(now);
            *in_status.entry("in_progress").or_default() += end - c;
        }
        if let Some((f, o, _)) = &r.finished {
            let st = match o {
                Outcome::Refused | Outcome::Invalid => "rejected",
                _ => "resolved",
            };
            // (a few finish after the report's now: nothing yet in their last status)
            *in_status.entry(st).or_default() += (now - f).max(0);
        }
    }
    let got: BTreeMap<&str, i64> = rep
        .total
        .status_secs
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .filter(|(_, v)| *v > 0)
        .collect();
    assert_eq!(got, in_status, "time in each status");

    // Broken down by category, every row adds up to the total and matches its own count.
    let spec = ReportSpec {
        by: Some(Dimension::Category),
        ..spec
    };
    let rep = s.store.report(&cfg, &spec).expect("report by category");
    assert_eq!(
        rep.rows.iter().map(|f| f.received).sum::<i64>(),
        received.len() as i64
    );
    assert_eq!(rep.rows.iter().map(|f| f.backlog).sum::<i64>(), backlog);
    for row in &rep.rows {
        let mine = received.iter().filter(|r| r.category == row.key).count() as i64;
        assert_eq!(row.received, mine, "{}", row.key);
        let fr: Vec<i64> = received
            .iter()
            .filter(|r| r.category == row.key)
            .filter_map(|r| r.claimed.map(|c| c - r.created))
            .collect();
        assert_eq!(
            row.first_response.median(),
            quantile(&fr, 0.5),
            "{}",
            row.key
        );
    }
    drop(s);

    // The command line says the same, in JSON and CSV.
    let j = d
        .run(&[
            "report",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-30",
            "--by",
            "priority",
            "--format",
            "json",
        ])
        .json();
    assert_eq!(j["total"]["received"], received.len() as i64);
    assert_eq!(j["total"]["backlog"].as_i64().map(|b| b >= 0), Some(true));
    assert_eq!(
        j["rows"].as_array().map(|r| r
            .iter()
            .map(|x| x["received"].as_i64().unwrap_or(0))
            .sum::<i64>()),
        Some(received.len() as i64)
    );
    let csv = d
        .run(&[
            "report",
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-30",
            "--format",
            "csv",
        ])
        .ok();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("key,received,resolved"));
    let all: Vec<&str> = lines.last().expect("all").split(',').collect();
    assert_eq!(all[0], "all");
    assert_eq!(all[1], received.len().to_string());
    let table = d
        .run(&["report", "--from", "2026-06-01", "--to", "2026-06-30"])
        .ok();
    assert!(
        table.contains("Report 2026-06-01 → 2026-06-30 (30 days)"),
        "{table}"
    );
    // One ticket's own clock, through desk sla, against the record.
    let one = finished.first().expect("a finished ticket");
    let sla = d.run(&["sla", &one.number, "--json"]).json();
    let resolution = sla["clocks"]
        .as_array()
        .and_then(|c| c.iter().find(|x| x["clock"] == "resolution"))
        .cloned()
        .expect("resolution clock");
    let (fin, _, _) = one.finished.as_ref().expect("finished");
    assert_eq!(
        resolution["elapsed_seconds"].as_i64(),
        Some(fin - one.created)
    );
    // A calendar period instead of --from: the month holding --to, whole.
    let month = d
        .run(&["report", "--period", "month", "--to", "2026-06-15"])
        .ok();
    assert_eq!(month, table, "--period month is June, whole");
    let week = d
        .run(&[
            "report",
            "--period",
            "week",
            "--to",
            "2026-06-18",
            "--format",
            "json",
        ])
        .json();
    assert_eq!(
        (week["from"].as_str(), week["to"].as_str()),
        (Some("2026-06-15T00:00:00Z"), Some("2026-06-22T00:00:00Z")),
        "a week runs Monday to Sunday (the end is exclusive)"
    );
    d.run(&["report", "--period", "fortnight"])
        .fails(2, "fortnight");
    d.run(&["report", "--period", "week", "--from", "2026-06-01"])
        .fails(2, "--from");
    d.run(&["report", "--from", "June"])
        .fails(2, "is not a date");
    d.run(&["report", "--from", "2026-07-01", "--to", "2026-06-01"])
        .fails(2, "comes after");
    d.run(&["report", "--by", "mood"])
        .fails(2, "cannot break a report down by 'mood'");
    d.run(&["report", "--format", "pdf"])
        .fails(2, "is not table, json or csv");
}
