//! The command line as a new user met it (issue 11, items 7, 13, 14 and 16).

mod common;

use common::{Desk, check_invariants};
use serde_json::Value;

#[test]
fn each_decision_keeps_its_own_outcome_note_and_answer() {
    let d = Desk::staffed();
    let n = d.new_ticket(
        "No heating in flat 12",
        &["--contact", "+380 67 412 1190", "--requester", "Olena K."],
    );
    d.run_as("olena", &["claim", &n]).ok();
    d.run_as("olena", &["move", &n, "in_progress"]).ok();
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "waiting_info",
            "--question",
            "Which entrance?",
            "--answer",
            "Dear Olena, which entrance is flat 12 in?",
        ],
    )
    .ok();
    let t = d.show(&n);
    assert_eq!(t["outcome"], "clarification");
    assert_eq!(t["answer"], "Dear Olena, which entrance is flat 12 in?");
    // The requester answered: the question is no longer the ticket's decision.
    d.run_as("olena", &["move", &n, "in_progress"]).ok();
    let t = d.show(&n);
    assert_eq!(t["outcome"], Value::Null);
    assert_eq!(t["reason"], Value::Null);
    assert_eq!(t["answer"], Value::Null);
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "resolved",
            "--outcome",
            "partial",
            "--next-steps",
            "Plumber on Thursday",
        ],
    )
    .ok();
    let t = d.show(&n);
    assert_eq!(t["outcome"], "partial");
    assert_eq!(t["reason"], "Plumber on Thursday");
    assert_eq!(
        t["answer"],
        Value::Null,
        "the clarification letter is not the answer of the decision"
    );
    let text = d.run(&["show", &n]).ok();
    let answer_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("Answer")).collect();
    assert!(answer_lines.is_empty(), "{text}");
    // The history keeps the earlier decision and its letter.
    assert!(text.contains("Which entrance?"), "{text}");
    assert!(text.contains("which entrance is flat 12 in?"), "{text}");
    d.run(&["check"]).ok();
    check_invariants(&d.db);
}

#[test]
fn a_request_nobody_can_be_answered_on_is_flagged_at_intake() {
    let d = Desk::new();
    let r = d.run(&[
        "new",
        "--subject",
        "Broken bench",
        "--requester",
        "A passer-by",
    ]);
    let n = r.ok();
    assert!(r.stderr.contains("no contact"), "{}", r.stderr);
    assert!(r.stderr.contains(&n), "{}", r.stderr);
    let text = d.run(&["show", &n]).ok();
    assert!(
        text.contains("A passer-by — no contact: the requester cannot be sent an answer"),
        "{text}"
    );
    let r = d.run(&[
        "new",
        "--subject",
        "Bench",
        "--contact",
        "bench@example.com",
    ]);
    r.ok();
    assert!(!r.stderr.contains("no contact"), "{}", r.stderr);
}

/// The number's words as a person reads it out: `hsg 2611 00001 x`.
fn words(n: &str) -> Vec<String> {
    n.split('-').map(str::to_lowercase).collect()
}

#[test]
fn a_number_may_be_typed_in_words() {
    let d = Desk::staffed();
    let n = d.new_ticket("No heating", &[]);
    let w = words(&n);
    let mut args: Vec<&str> = vec!["claim"];
    args.extend(w.iter().map(String::as_str));
    let r = d.run_as("olena", &args);
    assert!(r.ok().contains(&n));
    let mut show: Vec<&str> = vec!["show", "--json"];
    show.extend(w.iter().map(String::as_str));
    assert_eq!(d.run(&show).json()["status"], "attributed");
    let mut mv: Vec<&str> = vec!["move"];
    mv.extend(w.iter().map(String::as_str));
    mv.push("in_progress");
    d.run_as("olena", &mv).ok();
    assert_eq!(d.show(&n)["status"], "in_progress");
    let mut sla: Vec<&str> = vec!["sla"];
    sla.extend(w.iter().map(String::as_str));
    d.run(&sla).ok();
    // A typo in one of the words is still a typo.
    let mut typo = w.clone();
    typo[2] = "00002".into();
    let mut args: Vec<&str> = vec!["show"];
    args.extend(typo.iter().map(String::as_str));
    d.run(&args).fails(2, "mistyped");
}

#[test]
fn json_lists_never_stop_short_silently() {
    let d = Desk::new();
    let items: Vec<String> = (0..60)
        .map(|i| format!(r#"{{"subject": "Request {i}", "contact": "x{i}@example.com"}}"#))
        .collect();
    d.run_stdin(
        &["import", "-"],
        format!("[{}]", items.join(",")).as_bytes(),
    )
    .ok();
    let len = |r: &common::Run| r.json().as_array().map(Vec::len).unwrap_or(0);
    let r = d.run(&["list", "--json"]);
    assert_eq!(len(&r), 50, "the default limit");
    assert!(
        r.stderr.contains("1–50 of 60") && r.stderr.contains("--offset 50"),
        "said on stderr: {}",
        r.stderr
    );
    let r = d.run(&["list", "--json", "--offset", "50"]);
    assert_eq!(len(&r), 10);
    assert!(r.stderr.contains("51–60 of 60"), "{}", r.stderr);
    let r = d.run(&["list", "--json", "--limit", "0"]);
    assert_eq!(len(&r), 60, "--limit 0 lists all");
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let text = d.run(&["list"]).ok();
    assert!(text.contains("10 more (--limit 0 lists all"), "{text}");
    let text = d.run(&["list", "--offset", "55"]).ok();
    assert_eq!(text.lines().count(), 5, "{text}");
}

#[test]
fn what_the_desk_says_is_what_it_accepts() {
    let d = Desk::staffed();
    // The channel shows as "script", and "script" is accepted.
    let n = d.new_ticket("From a script", &["--channel", "script"]);
    assert_eq!(d.show(&n)["channel"], "api");
    assert!(d.run(&["show", &n]).ok().contains("Channel:        script"));
    d.new_ticket("From the web", &["--channel", "web form"]);
    // An agent who does not exist is said before any reason is asked for.
    d.run_as("olena", &["claim", &n]).ok();
    d.run(&["assign", &n, "nobody"])
        .fails(3, "no agent 'nobody'");
    // Refusals in people's words, not the code's.
    let r = d.run_as("olena", &["agent", "add", "newbie"]);
    r.fails(
        4,
        "managing agents needs the role admin (your role: operator)",
    );
    assert!(!r.stderr.contains("manage_agents"), "{}", r.stderr);
    let r = d.run_as("olena", &["group", "add", "X", "Extra"]);
    r.fails(4, "managing groups needs the role admin");
    // The history names who acted for whom, whole.
    d.run_as("olena", &["comment", &n, "called back"]).ok();
    let text = d.run(&["show", &n]).ok();
    let who = format!("{} as olena", d.me);
    assert!(text.contains(&format!("{who}  ")), "{text}");
}
