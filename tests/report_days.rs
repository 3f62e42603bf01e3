//! `desk report` read from the report's days gives every figure the straightforward
//! computation from each ticket's facts gives (issue 17): on a demo desk in a zone 5¾ hours
//! from UTC, kept by every kind of change after it (intake, moves, waiting and back, outcomes,
//! assignments and a reassignment undone, edits, ratings, a merge, an extension, an import),
//! for every breakdown, with and without a group, over days, weeks, months, a year and
//! periods that start or end mid-day (which the facts serve). `desk check` holds the days to
//! a fresh aggregation and names a row changed behind the desk's back. Reassignments are
//! counted in the days too (schema V24): a ticket's follow it to another category, a ticket
//! passed on over several days counts once, and a desk whose days were built before V24 is
//! upgraded to the same reports. Runs on PostgreSQL too (`DESK_TEST_BACKEND=postgres`).

mod common;

use common::Desk;
use desk::session::Session;
use desk::store::Mode;
use desk::store::report::{Dimension, ReportSpec};

const DAY: i64 = 86_400;

fn ticket(s: &Session, number: &str) -> desk::store::Ticket {
    s.store
        .find(&s.cfg, number, chrono::Utc::now().date_naive())
        .expect("ticket")
}

/// Every report form, read both ways, is the same report.
fn same_reports(d: &Desk, now: i64) {
    let s = Session::open(&d.db, Some(&d.config()), Mode::Existing).expect("session");
    let today = desk::time::date(now);
    let groups: Vec<String> = s
        .cfg
        .groups
        .iter()
        .map(|g| g.code.clone())
        .take(2)
        .collect();
    let mut specs = Vec::new();
    for back in [0, 1, 6, 29, 90, 364, 800] {
        let from = today - chrono::Days::new(back);
        let (from, to) = desk::store::Store::period(from, today);
        for by in std::iter::once(None).chain(Dimension::ALL.map(Some)) {
            for group in std::iter::once(None).chain(groups.iter().cloned().map(Some)) {
                specs.push(ReportSpec {
                    from,
                    to,
                    by,
                    group,
                    now,
                });
            }
        }
    }
    // A period in the past, and one that does not start at midnight (read from the facts).
    let (from, to) = desk::store::Store::period(
        today - chrono::Days::new(200),
        today - chrono::Days::new(100),
    );
    for (from, to) in [(from, to), (from + 3 * 3600, to - 7)] {
        for by in [None, Some(Dimension::Agent)] {
            specs.push(ReportSpec {
                from,
                to,
                by,
                group: None,
                now,
            });
        }
    }
    let mut compared = 0;
    for spec in &specs {
        let fast = s.store.report(&s.cfg, spec).expect("report");
        let slow = s.store.report_from_facts(&s.cfg, spec).expect("from facts");
        assert_eq!(fast, slow, "{spec:?}");
        compared += usize::from(fast.total.received + fast.total.finished > 0);
    }
    assert!(compared > specs.len() / 2, "most periods hold tickets");
}

/// The desk's zone set to one whose midnight is not on a UTC hour. (A test process keeps the
/// first zone it is told: every test here uses this one.)
fn in_kathmandu(d: &Desk) {
    let cfg = std::fs::read_to_string(d.config()).expect("desk.toml");
    assert!(cfg.contains("timezone = \"\""), "the built-in zone setting");
    std::fs::write(
        d.config(),
        cfg.replacen("timezone = \"\"", "timezone = \"Asia/Kathmandu\"", 1),
    )
    .expect("write desk.toml");
}

#[test]
fn the_days_give_every_figure_the_facts_give() {
    let d = Desk::new();
    in_kathmandu(&d);
    // The first report builds the days (none yet), so every change after is kept by its
    // writer, the demo's included.
    d.run(&["report", "--format", "json"]).ok();
    d.run(&["demo", "--tickets", "900"]).ok();

    let agents = d.run(&["agent", "list", "--json"]).json();
    let logins: Vec<String> = agents
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["role"] == "operator" && x["active"] != false)
                .filter_map(|x| x["login"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    assert!(logins.len() >= 2, "the demo's operators: {agents}");
    // Every kind of change on tickets of our own.
    let new = |subject: &str, extra: &[&str]| d.new_ticket(subject, extra);
    let a = new("No heating in flat 3", &["--priority", "high"]);
    let b = new("Certificate of residence", &["--priority", "low"]);
    let c = new("Broken lift", &[]);
    let e = new("Broken lift again", &[]);
    d.run(&["assign", &a, &logins[0]]).ok();
    d.run(&["move", &a, "in_progress"]).ok();
    d.run(&["move", &a, "waiting_info", "--question", "Which flat?"])
        .ok();
    d.run(&["move", &a, "in_progress"]).ok();
    d.run(&["reply", &a, "We are on it"]).ok();
    d.run(&[
        "move",
        &a,
        "resolved",
        "--outcome",
        "granted",
        "--answer",
        "Fixed",
    ])
    .ok();
    d.run(&["rate", &a, "4"]).ok();
    d.run(&["assign", &b, &logins[0]]).ok();
    d.run(&["move", &b, "in_progress"]).ok();
    d.run(&[
        "move",
        &b,
        "rejected",
        "--outcome",
        "refused",
        "--reason",
        "not our office",
    ])
    .ok();
    d.run(&["rate", &b, "1"]).ok();
    d.run(&["edit", &c, "--priority", "urgent"]).ok();
    d.run(&["merge", &e, "--into", &c]).ok();
    d.run(&["extend", &c, "--by", "2d", "--reason", "parts ordered"])
        .ok();
    d.run(&["assign", &c, &logins[0]]).ok();
    // A reassignment, undone.
    {
        let mut s = Session::open(&d.db, Some(&d.config()), Mode::Existing).expect("session");
        let before = ticket(&s, &c);
        d.run(&["assign", &c, &logins[1], "--reason", "wrong desk"])
            .ok();
        let after = ticket(&s, &c);
        let me = s.store.actor(&d.me, None).expect("me");
        let cfg = s.cfg.clone();
        s.store
            .undo(&cfg, &me, &before, after.version, desk::session::now())
            .expect("undo");
    }
    d.run_stdin(
        &["import", "-"],
        br#"{"subject": "Imported one", "priority": "high"}
{"subject": "Imported two", "channel": "email"}
"#,
    )
    .ok();
    // Reopened after finishing: its finishing day moves.
    d.run(&["move", &b, "in_progress", "--reason", "new papers"])
        .ok();
    d.run(&["check"]).ok();
    // The days are kept, and valid: reports read them.
    assert_eq!(
        d.ints("SELECT count(*) FROM meta WHERE key = 'rollups'"),
        vec![1]
    );
    assert!(d.ints("SELECT count(*) FROM report_days")[0] > 100);
    let now = desk::session::now() + DAY / 3;
    same_reports(&d, now);
    // A row changed behind the desk's back is named by `desk check`.
    d.exec(
        "UPDATE report_days SET tickets = tickets + 1
         WHERE dim = 'channel' AND side = 'received'
           AND day = (SELECT max(day) FROM report_days WHERE dim = 'channel')",
    );
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5, "desk check: {} {}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("the report's daily figures differ from the tickets' facts in"),
        "{}",
        r.stdout
    );
    // `desk sla --recompute` builds them again.
    d.run(&["sla", "--recompute"]).ok();
    d.run(&["check"]).ok();
    same_reports(&d, now);
}

/// A large import sums its tickets' contributions to the report's days and writes each row
/// once, at its end: the days are what its tickets one by one would have made them — `desk
/// check` finds them equal to a fresh aggregation of the facts, building them again changes
/// no row, and every report reads the same both ways. An import refused whole leaves them
/// as they were.
#[test]
fn a_large_import_keeps_the_days_as_its_tickets_one_by_one() {
    let d = Desk::staffed();
    in_kathmandu(&d);
    // Housing's requests go to its members by themselves.
    d.run(&["group", "set", "HOUSING", "--auto-assign", "on"])
        .ok();
    // The first report builds the days: from then on every writer keeps them.
    d.run(&["report", "--format", "json"]).ok();
    d.new_ticket("Before the import", &["--priority", "high"]);
    let (priorities, channels) = (
        ["low", "normal", "high", "urgent"],
        ["email", "phone", "web", "in_person"],
    );
    let items: String = (0..150)
        .map(|i| {
            let group = if i % 3 == 0 {
                String::new()
            } else {
                format!(", \"group\": \"{}\"", ["HOUSING", "SOCIAL"][i % 2])
            };
            format!(
                "{{\"subject\": \"Request {i} about heating\", \"priority\": \"{}\", \"channel\": \"{}\"{group}, \"ref\": \"days-{i}\"}}\n",
                priorities[i % 4],
                channels[i % 4],
            )
        })
        .collect();
    let out = d.run_stdin(&["import", "-"], items.as_bytes()).ok();
    assert_eq!(out.lines().count(), 150, "{out}");
    let days = || {
        d.raw().column(
            "SELECT CAST(day AS TEXT) || ' ' || side || ' ' || group_code || ' ' || dim || ' '
                 || value || ' ' || CAST(tickets AS TEXT) || ' ' || figures
             FROM report_days ORDER BY day, side, group_code, dim, value",
        )
    };
    let after = days();
    assert!(
        after.iter().any(|r| r.contains(" received HOUSING agent ")),
        "automatic assignment counted by agent: {after:?}"
    );
    assert_eq!(
        d.ints("SELECT count(*) FROM meta WHERE key = 'rollups'"),
        vec![1],
        "the days are still valid"
    );
    d.run(&["check"]).ok();
    // Every ticket's service-level figures, as its row and its row of facts keep them.
    let figures = || {
        d.raw().column(
            "SELECT t.number || ' ' || coalesce(CAST(t.due_at AS TEXT), '-') || ' '
                 || coalesce(CAST(t.risk_at AS TEXT), '-') || ' '
                 || coalesce(CAST(t.first_response_at AS TEXT), '-') || ' '
                 || CAST(t.reassignments AS TEXT) || ' ' || CAST(f.is_open AS TEXT) || ' '
                 || coalesce(f.assignee, '-') || ' ' || coalesce(f.group_code, '-') || ' '
                 || coalesce(CAST(f.first_response_secs AS TEXT), '-') || ' '
                 || coalesce(CAST(f.first_response_due AS TEXT), '-') || ' '
                 || coalesce(CAST(f.resolution_secs AS TEXT), '-') || ' ' || f.status_secs || ' '
                 || f.status || ' ' || coalesce(CAST(f.status_since AS TEXT), '-') || ' '
                 || CAST(f.reassignments AS TEXT)
             FROM tickets t JOIN facts f ON f.ticket_id = t.id ORDER BY t.id",
        )
    };
    let imported = figures();
    assert_eq!(imported.len(), 151, "a row of facts for every ticket");
    assert!(
        imported
            .iter()
            .any(|f| f.contains(" olena ") || f.contains(" petro ")),
        "some were assigned automatically: {imported:?}"
    );
    // Refused whole (its last item): nothing of it in the days.
    let bad = format!("{items}{{\"subject\": \"\"}}\n").replace("\"days-", "\"other-");
    d.run_stdin(&["import", "-"], bad.as_bytes())
        .fails(2, "subject is empty");
    assert_eq!(days(), after);
    // Built again from the facts: the same rows. The figures intake computed from what it
    // was writing are those computed afresh from every ticket's history read back.
    d.run(&["sla", "--recompute"]).ok();
    assert_eq!(days(), after);
    assert_eq!(figures(), imported);
    same_reports(&d, desk::session::now());
}

/// Reassignments are counted in the report's days (schema V24) under the ticket's current
/// group and breakdown values, on the day they happened: a ticket passed on and then moved to
/// another category takes its reassignment with it; a ticket passed on over several days counts
/// once in a period, and one whose changes in a period come to less than none (an undo of an
/// earlier reassignment) counts nothing there — the same as the facts give, every breakdown, on
/// every period. `desk check` names a row of facts whose owner changes differ from its history.
#[test]
fn reassignments_in_the_days_follow_their_tickets() {
    let d = Desk::staffed();
    in_kathmandu(&d);
    d.run(&["report", "--format", "json"]).ok();
    let a = d.new_ticket("No hot water", &[]);
    let b = d.new_ticket("Pension papers", &[]);
    let c = d.new_ticket("Noise at night", &[]);
    // Passed on today, then its category changed.
    d.run(&["assign", &a, "olena"]).ok();
    d.run(&["assign", &a, "petro", "--reason", "his street"])
        .ok();
    let passed = |number: &str| {
        d.text(&format!(
            "SELECT f.reassigned FROM facts f JOIN tickets t ON t.id = f.ticket_id
             WHERE t.number = '{number}'"
        ))
    };
    assert!(passed(&a).ends_with(":+olena"), "{}", passed(&a));
    let category = |number: &str| d.show(number)["category"].as_str().map(str::to_string);
    let before = category(&a);
    d.run(&["edit", &a, "--category", "soc"]).ok();
    assert_ne!(category(&a), before);
    let rows = |sql: &str| d.ints(&format!("SELECT count(*) FROM report_days WHERE {sql}"))[0];
    assert_eq!(
        rows("side = 'reassigned' AND dim = 'category' AND value = 'SOC' AND tickets = 1"),
        1,
        "the reassignment moved with the category"
    );
    assert_eq!(
        rows("side = 'reassigned' AND dim = 'category' AND value <> 'SOC'"),
        0
    );
    d.run(&["check"]).ok();
    same_reports(&d, desk::session::now());
    // A row of facts that lost its owner changes is named; recomputing mends it.
    d.exec("UPDATE facts SET reassigned = NULL WHERE reassigned IS NOT NULL");
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5, "desk check: {} {}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&a), "{}", r.stdout);
    d.run(&["sla", "--recompute"]).ok();
    d.run(&["check"]).ok();
    // Histories over several days (written behind the desk's back, as a colleague's changes
    // over the past weeks would have left them), then kept by an ordinary change of each.
    let id = |number: &str| d.ints(&format!("SELECT id FROM tickets WHERE number = '{number}'"))[0];
    let now = desk::session::now();
    let change = |ticket: i64, ago: i64, from: &str, to: &str, undo: bool| {
        d.exec(&format!(
            "INSERT INTO events (id, ticket_id, at, kind, from_value, to_value, text)
             SELECT max(id) + 1, {ticket}, {}, 'assigned', '{from}', '{to}', {} FROM events",
            now - ago,
            if undo { "'undo'" } else { "NULL" }
        ));
    };
    let (b_id, c_id) = (id(&b), id(&c));
    // b: passed on three days ago and yesterday, yesterday's taken back an hour ago.
    change(b_id, 3 * DAY, "olena", "petro", false);
    change(b_id, DAY, "petro", "anna", false);
    change(b_id, 3600, "anna", "petro", true);
    // c: passed on 40 days ago, taken back two days ago, passed on again an hour ago.
    change(c_id, 40 * DAY, "petro", "olena", false);
    change(c_id, 2 * DAY, "olena", "petro", true);
    change(c_id, 3600, "petro", "anna", false);
    for n in [&b, &c] {
        d.run(&["reply", n, "We are looking into it"]).ok();
    }
    assert_eq!(passed(&b).split(';').count(), 3, "{}", passed(&b));
    assert!(rows("side = 'reassigned' AND dim = '' AND tickets < 0") > 0);
    let s = Session::open(&d.db, Some(&d.config()), Mode::Existing).expect("session");
    let today = desk::time::date(now);
    let (from, to) = desk::store::Store::period(today - chrono::Days::new(6), today);
    let week = ReportSpec {
        from,
        to,
        by: None,
        group: None,
        now,
    };
    let r = s.store.report(&s.cfg, &week).expect("report");
    // a once; b once (three days ago and yesterday, yesterday's taken back); c not at all
    // (two days ago a step back, today one forward).
    assert_eq!(
        (r.total.reassigned_tickets, r.total.reassignments),
        (2, 2),
        "{:?}",
        r.bounced_by_agent
    );
    same_reports(&d, now);
}

/// A desk whose days were built before schema V24 (facts without owner changes, days without
/// the reassignments' rows, the index of owner changes as it was, marked at version 23: what
/// the V23 code left) is upgraded: the migration writes each ticket's owner changes from its
/// history and marks the days, and the first writer — or, the second time, the first report —
/// adds the reassignments' rows. Every report is then what it was before, and `desk check`
/// finds the facts and the days as the history and the facts say.
#[test]
fn a_desk_upgraded_from_v23_gives_the_same_reports() {
    let d = Desk::new();
    in_kathmandu(&d);
    d.run(&["report", "--format", "json"]).ok();
    d.run(&["demo", "--tickets", "600"]).ok();
    // Some of the demo's tickets were passed on over more than one day.
    assert!(
        d.ints(
            "SELECT count(*) FROM (SELECT ticket_id FROM events
              WHERE kind = 'assigned' AND from_value IS NOT NULL AND to_value IS NOT NULL
              GROUP BY ticket_id HAVING max(at) - min(at) > 86400) x"
        )[0] > 0
    );
    let as_v23 = || {
        d.exec(
            "ALTER TABLE facts DROP COLUMN reassigned;
             DELETE FROM report_days WHERE side = 'reassigned';
             DROP INDEX events_reassigned;
             CREATE INDEX events_reassigned ON events (at, ticket_id, from_value, text)
                 WHERE kind = 'assigned' AND from_value IS NOT NULL AND to_value IS NOT NULL;
             DROP INDEX tickets_closed;
             DROP INDEX tickets_subject;
             DROP INDEX tickets_requester;
             DROP INDEX tickets_updated;
             DROP INDEX tickets_due_order;
             DROP INDEX tickets_due_at;
             DROP INDEX tickets_responded;
             DROP INDEX tickets_category;
             DROP INDEX tickets_group_number;
             DROP INDEX tickets_open_due;
             CREATE INDEX tickets_open_due ON tickets
                 ((coalesce(due_at, 9223372036854775807)), urgency, id) WHERE is_open = 1;",
        );
        if !d.is_postgres() {
            // The search index as V17 built it (V26 folds it, V30 through generated columns).
            d.exec(desk::store::schema::V17);
            d.exec(
                "ALTER TABLE tickets DROP COLUMN search_number;
                 ALTER TABLE tickets DROP COLUMN search_subject;
                 ALTER TABLE tickets DROP COLUMN search_requester;
                 ALTER TABLE tickets DROP COLUMN search_contact;
                 ALTER TABLE tickets DROP COLUMN search_body;
                 ALTER TABLE events DROP COLUMN search_text;",
            );
        }
        d.exec(if d.is_postgres() {
            "UPDATE desk_schema SET version = 23"
        } else {
            "PRAGMA user_version = 23"
        });
    };
    let reports = |now: i64| {
        let s = Session::open(&d.db, Some(&d.config()), Mode::Existing).expect("session");
        let today = desk::time::date(now);
        let mut out = Vec::new();
        for back in [0, 6, 29, 364] {
            let (from, to) = desk::store::Store::period(today - chrono::Days::new(back), today);
            for by in std::iter::once(None).chain(Dimension::ALL.map(Some)) {
                let spec = ReportSpec {
                    from,
                    to,
                    by,
                    group: None,
                    now,
                };
                out.push(s.store.report(&s.cfg, &spec).expect("report"));
            }
        }
        out
    };
    let marked = || d.text("SELECT value FROM meta WHERE key = 'rollups'");
    let valid = marked();
    // Upgraded, then a writer adds the reassignments' rows.
    as_v23();
    d.new_ticket("After the upgrade", &[]);
    assert_eq!(marked(), valid);
    assert!(d.ints("SELECT count(*) FROM report_days WHERE side = 'reassigned'")[0] > 0);
    d.run(&["check"]).ok();
    // Upgraded again, then a report adds them: every report as before.
    let now = desk::session::now();
    let before = reports(now);
    as_v23();
    d.run(&["report", "--format", "json"]).ok();
    assert_eq!(marked(), valid);
    let after = reports(now);
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a, "{:?}", b.spec);
    }
    assert!(after.iter().any(|r| r.total.reassignments > 0));
    d.run(&["check"]).ok();
    same_reports(&d, now);
}
