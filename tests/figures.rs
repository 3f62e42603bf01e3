//! Derived figures follow the history, undo included (issue 11, items 6 and 15): an undone
//! claim is no first response, an undone reassignment is none, and every reassignment figure
//! of `desk report` counts the same thing.

mod common;

use common::{Desk, check_invariants};
use desk::session::Session;
use desk::store::Mode;

/// The ticket as the store has it.
fn ticket(s: &Session, number: &str) -> desk::store::Ticket {
    s.store
        .find(&s.cfg, number, chrono::Utc::now().date_naive())
        .expect("ticket")
}

/// Undoes, as `login`, the change that turned `before` into the ticket's current version.
fn undo(d: &Desk, login: &str, before: &desk::store::Ticket) {
    let mut s = Session::open_for(&d.db, None, Mode::Existing, login).expect("session");
    let me = s.store.actor(login, None).expect("actor");
    let now = ticket(&s, &before.number);
    let cfg = s.cfg.clone();
    s.store
        .undo(&cfg, &me, before, now.version, desk::session::now())
        .expect("undo");
}

fn facts(d: &Desk, number: &str) -> (Option<i64>, i64, Option<i64>, i64) {
    d.sql()
        .query_row(
            "SELECT t.first_response_at, t.reassignments, f.first_response_secs, f.reassignments
             FROM tickets t JOIN facts f ON f.ticket_id = t.id WHERE t.number = ?1",
            [number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("facts")
}

#[test]
fn an_undone_claim_leaves_no_first_response() {
    let d = Desk::staffed();
    let n = d.new_ticket("No heating", &[]);
    let s = Session::open_for(&d.db, None, Mode::Existing, "olena").expect("session");
    let before = ticket(&s, &n);
    assert_eq!(before.first_response_at, None);
    d.run_as("olena", &["claim", &n]).ok();
    assert!(facts(&d, &n).0.is_some(), "the claim moved it out of new");
    undo(&d, "olena", &before);
    let (fr, _, fr_secs, _) = facts(&d, &n);
    assert_eq!(fr, None, "first response taken back with the claim");
    assert_eq!(fr_secs, None, "the report's figure too");
    let shown = d.show(&n);
    assert_eq!(shown["first_response_at"], serde_json::Value::Null);
    assert_eq!(shown["status"], "new");
    let sla = d.run(&["sla", &n, "--json"]).json();
    assert_eq!(sla["first_response_at"], serde_json::Value::Null);
    // A real claim afterwards is the first response.
    d.run_as("olena", &["claim", &n]).ok();
    assert!(facts(&d, &n).0.is_some());
    d.run(&["check"]).ok();
    check_invariants(&d.db);
}

#[test]
fn every_reassignment_figure_counts_the_same_reassignments() {
    let d = Desk::staffed();
    let kept = d.new_ticket("Roof leak", &[]);
    let undone = d.new_ticket("Lift broken", &[]);
    let moved = d.new_ticket("Hot water", &[]);
    for n in [&kept, &undone, &moved] {
        d.run_as("olena", &["claim", n]).ok();
    }
    // Passed on, and kept that way.
    d.run_as(
        "vasyl",
        &["assign", &kept, "petro", "--reason", "his street"],
    )
    .ok();
    // Passed on by mistake and undone at once.
    let s = Session::open_for(&d.db, None, Mode::Existing, "vasyl").expect("session");
    let before = ticket(&s, &undone);
    d.run_as("vasyl", &["assign", &undone, "petro", "--reason", "oops"])
        .ok();
    undo(&d, "vasyl", &before);
    // Moved to another group with its owner: no change of owner, no reassignment.
    d.run_as(
        "vasyl",
        &[
            "assign", &moved, "--group", "SOCIAL", "--reason", "benefits",
        ],
    )
    .ok();
    assert_eq!(facts(&d, &kept).1, 1);
    assert_eq!(facts(&d, &kept).3, 1);
    assert_eq!(facts(&d, &undone).1, 0, "an undone reassignment is none");
    assert_eq!(facts(&d, &undone).3, 0);
    assert_eq!(facts(&d, &moved).1, 0, "a group move keeps the owner");
    let r = d.run(&["report", "--format", "json"]).json();
    assert_eq!(r["total"]["reassignments"], 1, "{r}");
    assert_eq!(r["total"]["reassigned_tickets"], 1, "{r}");
    assert_eq!(
        r["reassigned_from_agent"],
        serde_json::json!([["olena", 1]])
    );
    assert_eq!(r["reassigned_in_category"], serde_json::json!([["HSG", 1]]));
    let by_agent = d
        .run(&["report", "--format", "json", "--by", "agent"])
        .json();
    let rows: i64 = by_agent["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r["reassignments"].as_i64())
                .sum()
        })
        .unwrap_or(-1);
    assert_eq!(rows, 1, "the breakdown adds up to the total: {by_agent}");
    let text = d.run(&["report"]).ok();
    assert!(text.contains("1 time(s), 1 ticket(s)"), "{text}");
    assert!(text.contains("passed on by: olena 1"), "{text}");
    d.run(&["check"]).ok();
}

/// `core::undo` refuses to undo someone else's action: the store names who performed it (the
/// ticket's last change), not the one asking.
#[test]
fn only_who_acted_may_undo_it() {
    let d = Desk::staffed();
    let n = d.new_ticket("No heating", &[]);
    let s = Session::open_for(&d.db, None, Mode::Existing, "olena").expect("session");
    let before = ticket(&s, &n);
    d.run_as("olena", &["claim", &n]).ok();
    let mut s = Session::open_for(&d.db, None, Mode::Existing, "vasyl").expect("session");
    let vasyl = s.store.actor("vasyl", None).expect("actor");
    let after = ticket(&s, &n).version;
    let cfg = s.cfg.clone();
    let refused = s
        .store
        .undo(&cfg, &vasyl, &before, after, desk::session::now())
        .expect_err("not vasyl's claim");
    assert!(
        matches!(
            refused,
            desk::error::Error::Refused(desk::core::refusal::Refusal::UndoNotYours)
        ),
        "{refused:?}"
    );
    assert_eq!(d.show(&n)["assignee"], "olena", "nothing undone");
    undo(&d, "olena", &before);
    assert_eq!(d.show(&n)["status"], "new");
}
