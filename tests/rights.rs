//! The rights matrix, cell by cell, through the real binary: every role × every action ×
//! whose ticket (own, unassigned, someone else's), including every manual transition of the
//! lifecycle. Each cell's expected answer is written here, independently of the code.

mod common;

use common::Desk;
use std::collections::BTreeMap;

const ROLES: [&str; 3] = ["operator", "supervisor", "admin"];

/// A desk with one agent per role (op, sup, adm) plus `other` (an operator) who owns the
/// "someone else's" tickets.
fn desk() -> Desk {
    let d = Desk::new();
    for (login, role) in [
        ("op", "operator"),
        ("sup", "supervisor"),
        ("adm", "admin"),
        ("other", "operator"),
        ("third", "operator"),
    ] {
        d.run(&[
            "agent", "add", login, "--name", login, "--role", role, "--group", "HOUSING",
        ])
        .ok();
    }
    d
}

fn login(role: &str) -> &'static str {
    match role {
        "operator" => "op",
        "supervisor" => "sup",
        _ => "adm",
    }
}

/// A ticket in `status`, owned by `owner` (None: unassigned), set up by the owner (or an
/// admin) through the normal moves.
fn ticket_in(d: &Desk, status: &str, owner: Option<&str>) -> String {
    let n = d.new_ticket("No heating", &[]);
    let by = owner.unwrap_or("adm");
    let path: &[&[&str]] = match status {
        "new" => &[],
        "attributed" => &[&["claim"]],
        "in_progress" => &[&["claim"], &["move", "in_progress"]],
        "waiting_info" => &[
            &["claim"],
            &["move", "in_progress"],
            &["move", "waiting_info", "--question", "which flat?"],
        ],
        "in_execution" => &[
            &["claim"],
            &["move", "in_progress"],
            &["move", "in_execution"],
        ],
        "on_review" => &[&["claim"], &["move", "in_progress"], &["move", "on_review"]],
        "resolved" => &[
            &["claim"],
            &["move", "in_progress"],
            &["move", "resolved", "--outcome", "granted"],
        ],
        "rejected" => &[
            &["claim"],
            &["move", "in_progress"],
            &["move", "rejected", "--outcome", "refused", "--reason", "no"],
        ],
        "closed" => &[
            &["claim"],
            &["move", "in_progress"],
            &["move", "resolved", "--outcome", "granted"],
            &["move", "closed"],
        ],
        other => panic!("no path to {other}"),
    };
    for step in path {
        let mut args: Vec<&str> = vec![step[0], &n];
        args.extend_from_slice(&step[1..]);
        d.run_as(by, &args).ok();
    }
    if owner.is_none() && status != "new" {
        d.run_as(
            "adm",
            &["unassign", &n, "--reason", "set-up: back to the queue"],
        )
        .ok();
    }
    n
}

#[test]
fn the_rights_matrix_cell_by_cell() {
    let d = desk();
    let mut cells = 0;
    let mut by_action: BTreeMap<String, usize> = BTreeMap::new();
    let mut check =
        |action: &str, role: &str, whose: &str, code: i32, expected_ok: bool, stderr: &str| {
            cells += 1;
            *by_action.entry(action.to_string()).or_default() += 1;
            if expected_ok {
                assert_eq!(code, 0, "{role} may {action} ({whose}): {stderr}");
            } else {
                assert_eq!(
                    code, 4,
                    "{role} may not {action} ({whose}): exit {code}, {stderr}"
                );
                assert!(
                    stderr.lines().count() == 1 && !stderr.is_empty(),
                    "one line: {stderr}"
                );
            }
        };
    let owners = |role: &str, whose: &str| -> Option<&'static str> {
        match whose {
            "own" => Some(login(role)),
            "other" => Some("other"),
            _ => None,
        }
    };
    let privileged = |role: &str| role != "operator";
    let files = tempfile::tempdir().expect("tmp");
    let scan = files.path().join("scan.pdf");
    std::fs::write(&scan, b"%PDF-1.4").expect("write");

    // Ticket actions × whose ticket.
    for role in ROLES {
        let me = login(role);
        for whose in ["own", "unassigned", "other"] {
            // claim: unassigned → anyone; someone else's → a take-over (supervisors, admins).
            if whose != "own" {
                let n = ticket_in(&d, "in_progress", owners(role, whose));
                let r = d.run_as(me, &["claim", &n, "--reason", "cover"]);
                check(
                    "claim / take over",
                    role,
                    whose,
                    r.code,
                    whose == "unassigned" || privileged(role),
                    &r.stderr,
                );
            }
            // extend the deadline: supervisors and admins ([rights] extend's default).
            let n = ticket_in(&d, "in_progress", owners(role, whose));
            let r = d.run_as(me, &["extend", &n, "--by", "1d", "--reason", "late papers"]);
            check("extend", role, whose, r.code, privileged(role), &r.stderr);
            // give to a third agent.
            let n = ticket_in(&d, "in_progress", owners(role, whose));
            let r = d.run_as(me, &["assign", &n, "third", "--reason", "specialist"]);
            check(
                "give",
                role,
                whose,
                r.code,
                whose != "other" || privileged(role),
                &r.stderr,
            );
            // unassign (only meaningful on an assigned ticket).
            if whose != "unassigned" {
                let n = ticket_in(&d, "in_progress", owners(role, whose));
                let r = d.run_as(me, &["unassign", &n, "--reason", "rebalance"]);
                check(
                    "unassign",
                    role,
                    whose,
                    r.code,
                    whose == "own" || privileged(role),
                    &r.stderr,
                );
            }
            // comment: anyone, any ticket.
            let n = ticket_in(&d, "in_progress", owners(role, whose));
            let r = d.run_as(me, &["comment", &n, "a note"]);
            check("comment", role, whose, r.code, true, &r.stderr);
            // attach a file: anyone, any ticket (like a note).
            let r = d.run_as(me, &["attach", &n, scan.to_str().unwrap_or("")]);
            check("attach", role, whose, r.code, true, &r.stderr);
            // reply: owner-bound.
            let r = d.run_as(me, &["reply", &n, "an answer"]);
            check(
                "reply",
                role,
                whose,
                r.code,
                whose != "other" || privileged(role),
                &r.stderr,
            );
            // correct a ticket: owner-bound.
            let n = ticket_in(&d, "in_progress", owners(role, whose));
            let r = d.run_as(me, &["edit", &n, "--subject", "Corrected subject"]);
            check(
                "edit",
                role,
                whose,
                r.code,
                whose != "other" || privileged(role),
                &r.stderr,
            );
            // merge a duplicate: owner-bound on the duplicate; link: anyone, any ticket.
            let n = ticket_in(&d, "in_progress", owners(role, whose));
            let target = d.new_ticket("The original", &["--yes"]);
            let r = d.run_as(me, &["link", &n, &target]);
            check("link", role, whose, r.code, true, &r.stderr);
            let r = d.run_as(me, &["merge", &n, "--into", &target]);
            check(
                "merge",
                role,
                whose,
                r.code,
                whose != "other" || privileged(role),
                &r.stderr,
            );
            // rate a finished ticket: owner-bound (a closed ticket always has had an owner).
            if whose != "unassigned" {
                let n = ticket_in(&d, "closed", owners(role, whose));
                let r = d.run_as(me, &["rate", &n, "5"]);
                check(
                    "rate",
                    role,
                    whose,
                    r.code,
                    whose == "own" || privileged(role),
                    &r.stderr,
                );
            }
        }
    }

    // Every manual transition × role × own / someone else's.
    let cfg = desk::core::config::Config::builtin().expect("config");
    for t in cfg.lifecycle.transitions() {
        if t.on != desk::core::lifecycle::Trigger::Move {
            continue;
        }
        let from = &t.from[0];
        for role in ROLES {
            for whose in ["own", "other"] {
                let owner = if from == "new" {
                    None
                } else {
                    owners(role, whose)
                };
                if from == "new" && whose == "other" {
                    continue; // a new ticket has no owner
                }
                let n = ticket_in(&d, from, owner);
                let mut args = vec!["move", n.as_str(), t.to.as_str()];
                let outcome = cfg
                    .lifecycle
                    .status(&t.to)
                    .and_then(|s| s.outcomes.first().copied());
                let o;
                if let Some(out) = outcome {
                    o = out.as_str().to_string();
                    args.extend(["--outcome", o.as_str(), "--reason", "because"]);
                } else {
                    args.extend(["--reason", "because"]);
                }
                let r = d.run_as(login(role), &args);
                let role_ok = t.roles.is_empty() || t.roles.iter().any(|x| x.as_str() == role);
                let owner_ok = whose == "own" || from == "new" || privileged(role);
                check(
                    &format!("move {}", t.name),
                    role,
                    whose,
                    r.code,
                    role_ok && owner_ok,
                    &r.stderr,
                );
                if !role_ok && role == "operator" && owner_ok {
                    assert!(
                        r.stderr.contains("needs the role supervisor or admin"),
                        "says which role: {}",
                        r.stderr
                    );
                }
            }
        }
    }

    // Administration and whole-desk actions.
    let backup_dir = tempfile::tempdir().expect("tmp");
    for role in ROLES {
        let me = login(role);
        let admin = role == "admin";
        let r = d.run_as(me, &["agent", "add", &format!("new_{role}"), "--name", "x"]);
        check("manage agents", role, "-", r.code, admin, &r.stderr);
        let r = d.run_as(me, &["agent", "set", "third", "--capacity", "30"]);
        check("manage agents (set)", role, "-", r.code, admin, &r.stderr);
        let r = d.run_as(me, &["group", "add", &format!("G{}", role.len()), "Group"]);
        check("manage groups", role, "-", r.code, admin, &r.stderr);
        let cfg_file = d.config();
        let r = d.run_as(me, &["config", "install", cfg_file.to_str().unwrap_or("")]);
        check("edit config", role, "-", r.code, admin, &r.stderr);
        let file = backup_dir.path().join(format!("{role}.db"));
        let r = d.run_as(me, &["backup", file.to_str().unwrap_or("")]);
        check("backup", role, "-", r.code, role != "operator", &r.stderr);
        let r = d.run_as(me, &["restore", file.to_str().unwrap_or("/none")]);
        // Restore is admin-only; an admin without --force on a desk with tickets is told to
        // add it (exit 2), which is not a rights refusal.
        if admin {
            assert_eq!(r.code, 2, "{}", r.stderr);
        } else {
            check("restore", role, "-", r.code, false, &r.stderr);
        }
        let r = d.run_as(me, &["tick"]);
        check("tick", role, "-", r.code, admin, &r.stderr);
        // away: oneself (then back), or a colleague (supervisors and admins).
        let r = d.run_as(me, &["agent", "away", me, "--keep"]);
        check("away", role, "own", r.code, true, &r.stderr);
        d.run_as(me, &["agent", "back", me]).ok();
        let r = d.run_as(me, &["agent", "away", "third", "--keep"]);
        check("away", role, "other", r.code, role != "operator", &r.stderr);
        d.run(&["agent", "back", "third"]).ok();
        let r = d.run_as(me, &["list"]);
        check("read", role, "-", r.code, true, &r.stderr);
        let r = d.run_as(me, &["new", "--subject", "from a role"]);
        check("create", role, "-", r.code, true, &r.stderr);
    }
    // --as: only an admin may act as someone else. Make the Unix user an operator for this.
    d.exec(&format!(
        "UPDATE agents SET role = 'operator' WHERE login = '{}'",
        d.me
    ));
    let r = d.run(&["--as", "adm", "list"]);
    check("act as (--as)", "operator", "-", r.code, false, &r.stderr);
    assert!(r.stderr.contains("needs the role admin"), "{}", r.stderr);
    d.exec(&format!(
        "UPDATE agents SET role = 'admin' WHERE login = '{}'",
        d.me
    ));
    let r = d.run(&["--as", "op", "list"]);
    check("act as (--as)", "admin", "-", r.code, true, &r.stderr);

    eprintln!("rights matrix: {cells} cells through the CLI: {by_action:?}");
    assert!(cells >= 100, "{cells} cells");
    common::check_invariants(&d.db);
}

/// Viewers only read; the services hold what their service needs and nothing else, and none
/// of them can own a ticket. Whole-desk actions (recompute, demo) for every role. Each
/// expectation is written here, independently of `core::rights`.
#[test]
fn viewers_and_services_cell_by_cell() {
    let d = desk();
    for (login, role) in [
        ("viewer", "viewer"),
        ("mailer", "mail"),
        ("webform", "web"),
        ("timers", "system"),
    ] {
        d.run(&["agent", "add", login, "--name", login, "--role", role])
            .ok();
    }
    // What each may do, by action (true: allowed).
    let may = |role: &str, action: &str| -> bool {
        match action {
            "read" => true,
            "create" | "comment" | "attach" => matches!(role, "mail" | "web"),
            "rate" => role == "web",
            "backup" | "recompute" | "tick" => role == "system",
            _ => false,
        }
    };
    let backups = tempfile::tempdir().expect("tmp");
    let scan = backups.path().join("scan.pdf");
    std::fs::write(&scan, b"%PDF-1.4").expect("write");
    let mut cells = 0;
    for (login, role) in [
        ("viewer", "viewer"),
        ("mailer", "mail"),
        ("webform", "web"),
        ("timers", "system"),
    ] {
        let open = ticket_in(&d, "in_progress", Some("op"));
        let unassigned = ticket_in(&d, "new", None);
        let closed = ticket_in(&d, "closed", Some("op"));
        let backup = backups.path().join(format!("{role}.db"));
        let cfg = d.config();
        let tries: Vec<(&str, Vec<String>)> = vec![
            ("read", vec!["show".into(), open.clone()]),
            ("read", vec!["list".into()]),
            ("read", vec!["check".into()]),
            (
                "create",
                vec!["new".into(), "--subject".into(), "by a service".into()],
            ),
            (
                "comment",
                vec!["comment".into(), open.clone(), "a note".into()],
            ),
            (
                "attach",
                vec!["attach".into(), open.clone(), scan.display().to_string()],
            ),
            (
                "reply",
                vec!["reply".into(), open.clone(), "an answer".into()],
            ),
            ("claim", vec!["claim".into(), unassigned.clone()]),
            (
                "give",
                vec!["assign".into(), unassigned.clone(), "third".into()],
            ),
            (
                "move",
                vec!["move".into(), open.clone(), "in_execution".into()],
            ),
            (
                "unassign",
                vec![
                    "unassign".into(),
                    open.clone(),
                    "--reason".into(),
                    "x".into(),
                ],
            ),
            ("rate", vec!["rate".into(), closed.clone(), "4".into()]),
            (
                "edit",
                vec!["edit".into(), open.clone(), "--subject".into(), "x".into()],
            ),
            ("link", vec!["link".into(), open.clone(), closed.clone()]),
            (
                "merge",
                vec![
                    "merge".into(),
                    unassigned.clone(),
                    "--into".into(),
                    open.clone(),
                ],
            ),
            (
                "backup",
                vec!["backup".into(), backup.display().to_string()],
            ),
            ("recompute", vec!["sla".into(), "--recompute".into()]),
            ("tick", vec!["tick".into()]),
            (
                "away",
                vec!["agent".into(), "away".into(), login.into(), "--keep".into()],
            ),
            (
                "extend",
                vec![
                    "extend".into(),
                    open.clone(),
                    "--by".into(),
                    "1d".into(),
                    "--reason".into(),
                    "x".into(),
                ],
            ),
            (
                "restore",
                vec!["restore".into(), "/nonexistent.db".into(), "--force".into()],
            ),
            ("demo", vec!["demo".into(), "--tickets".into(), "5".into()]),
            (
                "manage agents",
                vec!["agent".into(), "add".into(), format!("by_{login}")],
            ),
            (
                "manage groups",
                vec!["group".into(), "add".into(), "ZZ".into(), "Z".into()],
            ),
            (
                "edit config",
                vec!["config".into(), "install".into(), cfg.display().to_string()],
            ),
        ];
        for (action, args) in tries {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let r = d.run_as(login, &args);
            cells += 1;
            if may(role, action) {
                assert_eq!(r.code, 0, "{role} may {action}: {}", r.stderr);
            } else {
                assert_eq!(
                    r.code, 4,
                    "{role} may not {action}: exit {}, {}",
                    r.code, r.stderr
                );
                assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
            }
        }
    }
    // Nobody gives a ticket to a viewer or a service, and automatic assignment never picks
    // one: they are in a group with auto-assignment and no operator has room.
    let n = d.new_ticket("For a viewer?", &[]);
    d.run(&["assign", &n, "viewer"])
        .fails(4, "cannot own tickets");
    d.run(&["group", "add", "SVC", "Services", "--auto-assign"])
        .ok();
    for login in ["viewer", "mailer", "webform", "timers"] {
        d.run(&["agent", "set", login, "--add-group", "SVC"]).ok();
    }
    let auto = d.new_ticket("Auto-assigned?", &["--group", "SVC"]);
    assert!(
        d.show(&auto)["assignee"].is_null(),
        "no viewer or service owns it"
    );
    // Recompute and demo for the people's roles: admins only (demo: on an empty desk only,
    // so an admin is told that instead, exit 2).
    for role in ROLES {
        let r = d.run_as(login(role), &["sla", "--recompute"]);
        assert_eq!(
            r.code,
            if role == "admin" { 0 } else { 4 },
            "{role}: {}",
            r.stderr
        );
        let r = d.run_as(login(role), &["demo", "--tickets", "5"]);
        assert_eq!(
            r.code,
            if role == "admin" { 2 } else { 4 },
            "{role}: {}",
            r.stderr
        );
        cells += 2;
    }
    eprintln!("viewers and services: {cells} cells through the CLI");
    common::check_invariants(&d.db);
}
