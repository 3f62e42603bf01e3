//! One store, two databases (issue 18): the same commands through the real binary on an
//! SQLite desk and, when the test PostgreSQL cluster can be started (`common::pg`), on a
//! PostgreSQL desk — each test is one function run on both. Without PostgreSQL the
//! PostgreSQL half says SKIPPED on stderr (and fails under `DESK_TEST_PG=require`).
//! The rest of the suite runs on PostgreSQL with `DESK_TEST_BACKEND=postgres`.

mod common;

use common::{Desk, command};
use std::collections::HashSet;

/// Runs `f` on a new SQLite desk, then on a new PostgreSQL desk when there is a cluster.
fn on_both(staffed: bool, f: impl Fn(&Desk)) {
    let d = Desk::sqlite();
    staff(&d, staffed);
    f(&d);
    if let Some(d) = Desk::postgres() {
        staff(&d, staffed);
        f(&d);
    }
}

fn staff(d: &Desk, staffed: bool) {
    if !staffed {
        return;
    }
    for (login, role, group) in [
        ("olena", "operator", "HOUSING"),
        ("petro", "operator", "HOUSING"),
        ("vasyl", "supervisor", "HOUSING"),
    ] {
        d.run(&[
            "agent", "add", login, "--name", login, "--role", role, "--group", group,
        ])
        .ok();
    }
}

#[test]
fn register_show_and_list() {
    on_both(false, |d| {
        let a = d.new_ticket("No heating in flat 12", &["--requester", "Olena K"]);
        let b = d.new_ticket("Broken lift", &["--priority", "urgent"]);
        assert_ne!(a, b);
        let t = d.show(&a);
        assert_eq!(t["number"], a.as_str());
        assert_eq!(t["subject"], "No heating in flat 12");
        assert_eq!(t["requester"], "Olena K");
        assert_eq!(t["status"], "new");
        let text = d.run(&["show", &a]).ok();
        assert!(text.contains("No heating in flat 12"), "{text}");
        // Most urgent first.
        let listed = d.run(&["list", "--json"]).numbers();
        assert_eq!(listed, vec![b.clone(), a.clone()]);
        assert_eq!(
            d.run(&["list", "--priority", "urgent", "--json"]).numbers(),
            vec![b.clone()]
        );
        assert_eq!(d.ints("SELECT count(*) FROM tickets"), vec![2]);
    });
}

#[test]
fn lifecycle_decision_and_history() {
    on_both(true, |d| {
        let n = d.new_ticket("No heating in flat 12", &[]);
        d.run_as("olena", &["move", &n, "resolved"])
            .fails(4, "cannot go from new to resolved");
        d.run_as("olena", &["claim", &n]).ok();
        d.run_as("olena", &["move", &n, "in_progress"]).ok();
        d.run_as(
            "olena",
            &[
                "move",
                &n,
                "resolved",
                "--outcome",
                "granted",
                "--answer",
                "Fixed on Monday.",
            ],
        )
        .ok();
        let t = d.show(&n);
        assert_eq!(t["status"], "resolved");
        assert_eq!(t["outcome"], "granted");
        assert_eq!(t["answer"], "Fixed on Monday.");
        let text = d.run(&["show", &n]).ok();
        assert!(text.contains("Fixed on Monday."), "{text}");
        // The history is append-only for everyone, the database's own triggers say so.
        let refused = if d.is_postgres() {
            let url = d.db.to_str().unwrap_or_default();
            let mut c = postgres::Client::connect(url, postgres::NoTls).expect("connect");
            c.execute("UPDATE events SET text = 'forged'", &[])
                .map(|_| ())
                .map_err(|e| e.as_db_error().map(|e| e.message().to_string()))
        } else {
            d.sql()
                .execute("UPDATE events SET text = 'forged'", [])
                .map(|_| ())
                .map_err(|e| Some(e.to_string()))
        };
        let why = refused.expect_err("events cannot be changed");
        assert!(
            why.unwrap_or_default().contains("append-only"),
            "the trigger refused it"
        );
    });
}

/// 4 processes × 250 intakes at once in one numbering scope: 1000 unique, gap-free numbers,
/// on PostgreSQL (the SQLite run is tests/durability.rs).
#[test]
fn concurrent_intake_on_postgres_is_gap_free() {
    let Some(d) = Desk::postgres() else {
        return;
    };
    let (streams, per) = (4, 250);
    let acknowledged: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..streams)
            .map(|w| {
                let db = d.db.clone();
                s.spawn(move || {
                    (0..per)
                        .map(|i| {
                            let o = command(&db)
                                .args([
                                    "new",
                                    "--subject",
                                    &format!("heating w{w} #{i}"),
                                    "--category",
                                    "HSG",
                                ])
                                .output()
                                .expect("run desk");
                            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
                            String::from_utf8_lossy(&o.stdout).trim().to_string()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("stream"))
            .collect()
    });
    let unique: HashSet<&String> = acknowledged.iter().collect();
    assert_eq!(unique.len(), streams * per, "no duplicate numbers");
    assert_eq!(
        d.ints("SELECT count(*), min(seq), max(seq), count(DISTINCT number) FROM tickets"),
        vec![1000, 1, 1000, 1000],
        "gap-free 1..=1000, each stored once"
    );
}
