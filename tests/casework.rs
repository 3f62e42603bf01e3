//! Case work through the real binary (issue 15): correcting a ticket after intake, duplicates
//! and links, attachments, answers from templates, timers, deadline extensions, escalation and
//! absence — each command with its error paths, and `desk check` after each.

mod common;

use common::Desk;

/// A ticket of HOUSING taken by `owner` and in progress.
fn taken(d: &Desk, subject: &str, owner: &str) -> String {
    let n = d.new_ticket(
        subject,
        &["--requester", "Olena K.", "--contact", "+380 67 000"],
    );
    d.run_as(owner, &["claim", &n]).ok();
    d.run_as(owner, &["move", &n, "in_progress"]).ok();
    n
}

/// The history's events of one kind, as (from, to, text).
fn events(d: &Desk, number: &str, kind: &str) -> Vec<(String, String, String)> {
    let t = d.show(number);
    t["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("").to_string();
            (s("from"), s("to"), s("text"))
        })
        .collect()
}

#[track_caller]
fn checked(d: &Desk) {
    let r = d.run(&["check"]);
    assert_eq!(r.code, 0, "desk check: {} {}", r.stdout, r.stderr);
}

#[test]
fn edit_records_each_change_before_and_after() {
    let d = Desk::staffed();
    let n = taken(&d, "No heating in flat 3", "olena");
    let out = d
        .run_as(
            "olena",
            &[
                "edit",
                &n,
                "--subject",
                "No heating in flat 12",
                "--priority",
                "high",
                "--contact",
                "olena@example.org",
            ],
        )
        .ok();
    assert!(
        out.contains("No heating in flat 3 → No heating in flat 12"),
        "{out}"
    );
    assert!(out.contains("normal → high"), "{out}");
    let t = d.show(&n);
    assert_eq!(t["subject"], "No heating in flat 12");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["contact"], "olena@example.org");
    assert_eq!(t["requester"], "Olena K.", "untouched");
    let fields = events(&d, &n, "field");
    assert_eq!(
        fields,
        [
            (
                "No heating in flat 3".into(),
                "No heating in flat 12".into(),
                "subject".into()
            ),
            ("normal".into(), "high".into(), "priority".into()),
            (
                "+380 67 000".into(),
                "olena@example.org".into(),
                "contact".into()
            ),
        ]
    );
    let shown = d.run(&["show", &n]).ok();
    assert!(shown.contains("Priority: normal → high"), "{shown}");
    // A higher priority tightens the clocks at once.
    let due_before = t["due_at"].as_str().map(str::to_string);
    d.run_as("olena", &["edit", &n, "--priority", "urgent"])
        .ok();
    assert_ne!(
        d.show(&n)["due_at"].as_str().map(str::to_string),
        due_before
    );
    // A category change keeps the group and the owner unless routed again.
    d.run_as("olena", &["edit", &n, "--category", "soc"]).ok();
    let t = d.show(&n);
    assert_eq!(
        (t["category"].as_str(), t["group"].as_str()),
        (Some("SOC"), Some("HOUSING"))
    );
    assert_eq!(t["assignee"], "olena");
    checked(&d);
}

#[test]
fn rerouting_follows_the_new_category_and_its_queue() {
    let d = Desk::staffed();
    let n = d.new_ticket("Pension question", &["--category", "HSG"]);
    d.run_as("olena", &["claim", &n]).ok();
    assert_eq!(d.show(&n)["status"], "attributed");
    d.run(&["group", "set", "SOCIAL", "--auto-assign", "on"])
        .ok();
    let out = d
        .run_as("olena", &["edit", &n, "--category", "SOC", "--reroute"])
        .ok();
    assert!(out.contains("HOUSING → SOCIAL"), "{out}");
    assert!(out.contains("olena"), "says who lost it: {out}");
    assert!(out.contains("anna"), "and who got it: {out}");
    let t = d.show(&n);
    assert_eq!(t["group"], "SOCIAL");
    assert_eq!(t["assignee"], "anna", "SOCIAL assigns automatically");
    assert_eq!(t["status"], "attributed");
    let assigned = events(&d, &n, "assigned");
    assert_eq!(
        assigned
            .iter()
            .map(|(f, t, _)| (f.as_str(), t.as_str()))
            .collect::<Vec<_>>(),
        [("", "olena"), ("olena", ""), ("", "anna")]
    );
    // Routed again into a group the owner works in: they keep it.
    let m = taken(&d, "Leaking roof", "olena");
    d.run_as("olena", &["edit", &m, "--category", "GEN"]).ok();
    d.run_as("olena", &["edit", &m, "--category", "HSG", "--reroute"])
        .ok();
    let t = d.show(&m);
    assert_eq!(
        (t["group"].as_str(), t["assignee"].as_str()),
        (Some("HOUSING"), Some("olena"))
    );
    d.run_as("olena", &["edit", &m, "--category", "HSG", "--reroute"])
        .fails(2, "another category");
    checked(&d);
}

#[test]
fn edit_refuses_what_it_must() {
    let d = Desk::staffed();
    let n = taken(&d, "Cold radiators", "olena");
    d.run_as("olena", &["edit", &n])
        .fails(2, "nothing to change");
    d.run_as("olena", &["edit", &n, "--subject", "Cold radiators"])
        .fails(2, "nothing to change");
    d.run_as("olena", &["edit", &n, "--subject", "   "])
        .fails(2, "subject is empty");
    d.run_as("olena", &["edit", &n, "--reroute"])
        .fails(2, "--category");
    d.run_as(
        "olena",
        &[
            "edit",
            &n,
            "--category",
            "SOC",
            "--reroute",
            "--group",
            "IT",
        ],
    )
    .fails(2, "--group");
    d.run_as("olena", &["edit", &n, "--category", "NOPE"])
        .fails(2, "NOPE");
    d.run_as("olena", &["edit", &n, "--group", "NOPE"])
        .fails(3, "NOPE");
    d.run_as("olena", &["edit", &n, "--priority", "sky-high"])
        .fails(2, "sky-high");
    let long = "x".repeat(501);
    d.run_as("olena", &["edit", &n, "--subject", &long])
        .fails(2, "limit");
    d.run_as("olena", &["edit", "HSG-2611-99999-Z", "--subject", "x"])
        .fails(2, "HSG-2611-99999-Z");
    // Someone else's ticket: operators may not, supervisors may.
    d.run_as("petro", &["edit", &n, "--subject", "Mine now"])
        .fails(4, "olena");
    d.run_as(
        "vasyl",
        &["edit", &n, "--subject", "Cold radiators, flat 9"],
    )
    .ok();
    // A stale view is refused with who changed it.
    d.run_as(
        "olena",
        &["edit", &n, "--subject", "x", "--if-version", "1"],
    )
    .fails(4, "vasyl");
    let before = d.show(&n);
    d.run(&["agent", "add", "vic", "--role", "viewer"]).ok();
    d.run_as("vic", &["edit", &n, "--subject", "x"])
        .fails(4, "role");
    assert_eq!(d.show(&n)["version"], before["version"], "nothing written");
    checked(&d);
}

#[test]
fn the_configuration_may_keep_the_priority_for_supervisors() {
    let d = Desk::staffed();
    let cfg = d.dir.path().join("desk.toml");
    let text = std::fs::read_to_string(&cfg).expect("config").replacen(
        "edit_priority = []",
        "edit_priority = [\"supervisor\", \"admin\"]",
        1,
    );
    std::fs::write(&cfg, text).expect("write");
    let n = taken(&d, "Lift stuck", "olena");
    d.run_as("olena", &["edit", &n, "--priority", "urgent"])
        .fails(4, "priority");
    d.run_as("olena", &["edit", &n, "--subject", "Lift stuck on 5"])
        .ok();
    d.run_as("vasyl", &["edit", &n, "--priority", "urgent"])
        .ok();
    assert_eq!(d.show(&n)["priority"], "urgent");
    checked(&d);
}
