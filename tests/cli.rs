//! Every subcommand through the real binary, with its documented error paths and exit codes.

mod common;

use common::{Desk, check_invariants, command};
use serde_json::Value;

fn status(d: &Desk, n: &str) -> String {
    d.show(n)["status"].as_str().unwrap_or("").to_string()
}

#[test]
fn init_is_idempotent_and_makes_the_creator_admin() {
    let d = Desk::new();
    assert!(d.config().is_file(), "config beside the db");
    let again = d.run(&["init"]).ok();
    assert!(again.contains("already initialised"), "{again}");
    let agents = d.run(&["agent", "list", "--json"]).json();
    assert_eq!(agents[0]["login"], d.me.as_str());
    assert_eq!(agents[0]["role"], "admin");
    let groups = d.run(&["group", "list", "--json"]).json();
    assert_eq!(
        groups.as_array().map(Vec::len),
        Some(5),
        "config groups created"
    );
}

#[test]
fn new_prints_the_number_alone_and_routes_by_keywords() {
    let d = Desk::new();
    let n = d.new_ticket(
        "No heating in flat 12",
        &[
            "--requester",
            "Olena K.",
            "--contact",
            "+380 1",
            "--channel",
            "phone",
            "--priority",
            "high",
        ],
    );
    assert!(n.starts_with("HSG-"), "{n}");
    assert_eq!(n.len(), "HSG-2611-00001-3".len());
    assert!(!n.contains(char::is_whitespace));
    let t = d.show(&n);
    assert_eq!(t["category"], "HSG");
    assert_eq!(t["group"], "HOUSING");
    assert_eq!(t["priority"], "high");
    assert_eq!(t["channel"], "phone");
    assert_eq!(t["status"], "new");
    assert_eq!(t["requester"], "Olena K.");
    assert_eq!(t["history"][0]["kind"], "created");
    assert_eq!(t["history"][0]["actor"], d.me.as_str());

    // Routing rules can set the priority; explicit values win.
    let gas = d.new_ticket("Gas smell in the stairwell", &[]);
    assert_eq!(d.show(&gas)["priority"], "urgent");
    let explicit = d.new_ticket("heating", &["--category", "soc", "--group", "front"]);
    let t = d.show(&explicit);
    assert_eq!(
        (t["category"].as_str(), t["group"].as_str()),
        (Some("SOC"), Some("FRONT"))
    );
    let plain = d.new_ticket("Hello", &[]);
    assert_eq!(d.show(&plain)["category"], "GEN");

    // The sequence counts per category and month.
    let third = d.new_ticket("Water leak", &[]);
    assert!(
        third.starts_with("HSG-") && third.contains("-00003-"),
        "after the gas ticket: {third}"
    );
    check_invariants(&d.db);
}

#[test]
fn new_refuses_bad_input() {
    let d = Desk::new();
    d.run(&["new", "--subject", "x", "--category", "NOPE"])
        .fails(2, "unknown category 'NOPE'");
    d.run(&["new", "--subject", "x", "--priority", "hgh"])
        .fails(2, "unknown priority");
    d.run(&["new", "--subject", "x", "--channel", "fax"])
        .fails(2, "unknown channel");
    d.run(&["new", "--subject", "   "])
        .fails(2, "subject is empty");
    d.run(&["new"]).fails(2, "--subject");
    d.run(&["new", "--subject", &"x".repeat(501)])
        .fails(2, "limit is 500 characters");
    d.run(&["new", "--subject", "x", "--group", "NOGROUP"])
        .fails(3, "no group 'NOGROUP'");
    d.run(&["frobnicate"]).fails(2, "unrecognized subcommand");
    assert_eq!(d.run(&["list", "--json"]).json(), Value::Array(vec![]));
}

#[test]
fn body_from_stdin() {
    let d = Desk::new();
    let n = d
        .run_stdin(
            &["new", "--subject", "Letter", "--body", "-"],
            "Line one\r\nLine two\0!".as_bytes(),
        )
        .ok();
    let t = d.show(&n);
    assert_eq!(
        t["body"], "Line one\nLine two!",
        "CRLF normalised, NUL removed"
    );
    d.run_stdin(
        &["new", "--subject", "Bad", "--body", "-"],
        &[0x66, 0xff, 0xfe],
    )
    .fails(2, "not UTF-8");
    let big = vec![b'a'; 1 << 20];
    let n = d
        .run_stdin(&["new", "--subject", "Big", "--body", "-"], &big)
        .ok();
    assert_eq!(
        d.show(&n)["body"].as_str().map(str::len),
        Some(1 << 20),
        "1 MiB kept whole"
    );
    let huge = vec![b'a'; (4 << 20) + 1];
    d.run_stdin(&["new", "--subject", "Huge", "--body", "-"], &huge)
        .fails(2, "limit is 4194304 bytes");
    check_invariants(&d.db);
}

#[test]
fn show_is_tolerant_and_explains_bad_numbers() {
    let d = Desk::new();
    let n = d.new_ticket("No heating", &[]);
    for typed in [
        n.to_lowercase(),
        n.replace('-', ""),
        format!("  {} ", n.replace('-', " ")),
    ] {
        assert_eq!(d.show(&typed)["number"], n.as_str(), "typed {typed:?}");
    }
    let text = d.run(&["show", &n]).ok();
    assert!(text.starts_with(&n) && text.contains("No heating") && text.contains("History"));

    // Wrong check character: exit 2 and the real number suggested.
    let last = n.chars().last().unwrap_or('0');
    let wrong = format!(
        "{}{}",
        &n[..n.len() - 1],
        if last == 'Z' {
            '0'
        } else if last == '9' {
            'A'
        } else {
            (last as u8 + 1) as char
        }
    );
    let r = d.run(&["show", &wrong]);
    r.fails(2, "wrong check character");
    assert!(
        r.stderr.contains(&format!("did you mean {n}")),
        "{}",
        r.stderr
    );
    // Adjacent characters swapped, and a letter of the category mistyped.
    let key = desk::core::numbering::normalize(&n);
    let mut c: Vec<char> = key.chars().collect();
    let l = c.len();
    c.swap(l - 3, l - 2);
    let swapped: String = c.into_iter().collect();
    assert_ne!(swapped, key);
    let r = d.run(&["show", &swapped]);
    r.fails(2, "mistyped");
    assert!(
        r.stderr.contains(&n),
        "swap suggests the real one: {}",
        r.stderr
    );
    let misheard = format!("{}F{}", &n[..2], &n[3..]);
    assert_ne!(misheard, n);
    let r = d.run(&["show", &misheard]);
    r.fails(2, "mistyped");
    assert!(
        r.stderr.contains(&format!("did you mean {n}")),
        "{}",
        r.stderr
    );
    d.run(&["show", "HSG-26"])
        .fails(2, "is not a ticket number");
    d.run(&["show", ""]).fails(2, "no ticket number given");
    // Well-formed but absent: exit 3, nearest existing number offered.
    let prefix = &n[..n.len() - "00001-3".len()];
    let absent = {
        let body = format!("{prefix}00005");
        let payload = desk::core::numbering::normalize(&body);
        format!(
            "{body}-{}",
            desk::core::numbering::CheckAlgo::Damm36.check_char(&payload)
        )
    };
    let r = d.run(&["show", &absent]);
    r.fails(3, "no ticket");
    assert!(r.stderr.contains(&n), "nearest suggested: {}", r.stderr);
}

#[test]
fn list_filters() {
    let d = Desk::staffed();
    let a = d.new_ticket("No heating", &["--priority", "low"]);
    let b = d.new_ticket("Pension question", &["--priority", "urgent"]);
    let c = d.new_ticket("Roof leak", &[]);
    d.run_as("olena", &["claim", &a]).ok();
    d.run_as("anna", &["claim", &b]).ok();
    let numbers = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--json"];
        all.extend_from_slice(args);
        d.run(&all)
            .json()
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|t| t["number"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(
        numbers(&[]),
        vec![b.clone(), c.clone(), a.clone()],
        "urgent first, then oldest"
    );
    assert_eq!(numbers(&["--unassigned"]), vec![c.clone()]);
    assert_eq!(numbers(&["--assignee", "olena"]), vec![a.clone()]);
    assert_eq!(
        d.run_as("olena", &["list", "--mine", "--json"]).json()[0]["number"],
        a.as_str()
    );
    assert_eq!(numbers(&["--group", "social"]), vec![b.clone()]);
    assert_eq!(numbers(&["--category", "HSG"]), vec![c.clone(), a.clone()]);
    assert_eq!(numbers(&["--priority", "urgent"]), vec![b.clone()]);
    assert_eq!(numbers(&["--status", "new"]), vec![c.clone()]);
    assert_eq!(numbers(&["--status", "new,attributed"]).len(), 3);
    assert_eq!(numbers(&["--limit", "1"]), vec![b.clone()]);
    d.run(&["list", "--status", "bogus"])
        .fails(2, "no status 'bogus'");
    d.run(&["list", "--assignee", "ghost"])
        .fails(3, "no agent 'ghost'");
    let text = d.run(&["list", "--limit", "2"]).ok();
    assert!(text.contains("1 more"), "{text}");
    d.run_as("olena", &["move", &a, "rejected"])
        .fails(4, "cannot go from");
    d.run_as("olena", &["move", &a, "in_progress"]).ok();
    d.run_as(
        "olena",
        &[
            "move",
            &a,
            "rejected",
            "--outcome",
            "invalid",
            "--reason",
            "dup",
        ],
    )
    .ok();
    assert!(
        !numbers(&[]).contains(&a),
        "finished tickets leave the open queue"
    );
    assert!(numbers(&["--all"]).contains(&a));
}

#[test]
fn full_lifecycle_with_outcomes() {
    let d = Desk::staffed();
    let n = d.new_ticket("No heating in flat 12", &[]);
    d.run_as("olena", &["move", &n, "attributed"])
        .fails(4, "claimed or assigned");
    d.run_as("olena", &["move", &n, "resolved"])
        .fails(4, "cannot go from new to resolved");
    assert_eq!(
        d.run_as("olena", &["claim", &n]).ok(),
        format!("{n} is now yours")
    );
    assert_eq!(status(&d, &n), "attributed");
    d.run_as("olena", &["claim", &n]).fails(4, "already yours");
    d.run_as("olena", &["move", &n, "in_progress"]).ok();
    d.run_as("olena", &["move", &n, "waiting_info"])
        .fails(4, "--question");
    d.run_as(
        "olena",
        &["move", &n, "waiting_info", "--question", "Which entrance?"],
    )
    .ok();
    let t = d.show(&n);
    assert_eq!(
        (t["outcome"].as_str(), t["reason"].as_str()),
        (Some("clarification"), Some("Which entrance?"))
    );
    d.run_as("olena", &["move", &n, "in_progress"]).ok();
    d.run_as("olena", &["move", &n, "resolved"])
        .fails(4, "needs an outcome: granted, partial");
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "resolved",
            "--outcome",
            "refused",
            "--reason",
            "x",
        ],
    )
    .fails(4, "takes the outcome granted, partial");
    d.run_as("olena", &["move", &n, "resolved", "--outcome", "partial"])
        .fails(4, "--next-steps");
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
    assert!(t["resolved_at"].is_string() && t["first_response_at"].is_string());
    let text = d.run(&["show", &n]).ok();
    assert!(
        text.contains("granted") && text.contains("Fixed on Monday."),
        "{text}"
    );

    d.run_as("olena", &["rate", &n, "0"]).fails(2, "1 to 5");
    d.run_as("olena", &["move", &n, "closed"]).ok();
    d.run_as("olena", &["rate", &n, "4", "--comment", "quick"])
        .ok();
    d.run_as("olena", &["rate", &n, "5"])
        .fails(4, "already rated");
    assert_eq!(d.show(&n)["satisfaction"], 4);

    // Reopen needs a reason, clears the result (the history keeps it).
    d.run_as("olena", &["move", &n, "in_progress"])
        .fails(4, "reopen needs a reason");
    d.run_as(
        "olena",
        &["move", &n, "in_progress", "--reason", "cold again"],
    )
    .ok();
    let t = d.show(&n);
    assert!(t["outcome"].is_null() && t["satisfaction"].is_null() && t["closed_at"].is_null());
    let kinds: Vec<&str> = t["history"]
        .as_array()
        .map(|h| h.iter().filter_map(|e| e["kind"].as_str()).collect())
        .unwrap_or_default();
    let outcomes: Vec<&Value> = t["history"]
        .as_array()
        .map(|h| h.iter().filter(|e| e["kind"] == "outcome").collect())
        .unwrap_or_default();
    let to: Vec<Value> = outcomes.iter().map(|e| e["to"].clone()).collect();
    // The question answered leaves its decision to the history too (issue 11, item 7).
    assert_eq!(
        to,
        vec![
            Value::from("clarification"),
            Value::Null,
            Value::from("granted"),
            Value::Null
        ],
        "{kinds:?}"
    );
    assert!(d.run(&["show", &n]).ok().contains("outcome cleared"));
    assert!(kinds.contains(&"rated") && kinds.contains(&"reply"));
    // Rejected needs refused or invalid with a reason.
    d.run_as("olena", &["move", &n, "rejected", "--outcome", "refused"])
        .fails(4, "needs a reason");
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "rejected",
            "--outcome",
            "refused",
            "--reason",
            "not our building",
        ],
    )
    .ok();
    d.run_as("olena", &["move", &n, "nowhere"])
        .fails(2, "no status 'nowhere'");
    check_invariants(&d.db);
}

#[test]
fn replies_are_first_responses_and_comments_are_not() {
    let d = Desk::staffed();
    let n = d.new_ticket("Pension question", &[]);
    d.run_as("petro", &["comment", &n, "internal: check the register"])
        .ok();
    assert!(
        d.show(&n)["first_response_at"].is_null(),
        "a note is not a response"
    );
    d.run_as("anna", &["claim", &n]).ok();
    d.run_as("petro", &["reply", &n, "We received it"])
        .fails(4, "belongs to anna");
    d.run_as("anna", &["reply", &n, "   "])
        .fails(2, "answer is empty");
    assert_eq!(
        d.run_as("anna", &["reply", &n, "We received your request."])
            .ok(),
        format!("answer recorded on {n}")
    );
    let t = d.show(&n);
    assert!(t["first_response_at"].is_string());
    let last = t["history"]
        .as_array()
        .and_then(|h| h.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (last["kind"].as_str(), last["text"].as_str()),
        (Some("reply"), Some("We received your request."))
    );
    assert_eq!(last["actor"], "anna");
    d.run(&["reply", "XYZ-1", "x"])
        .fails(2, "is not a ticket number");
}

#[test]
fn review_and_execution_paths() {
    let d = Desk::staffed();
    let n = d.new_ticket("Roof leak", &[]);
    d.run_as("olena", &["claim", &n]).ok();
    d.run_as("olena", &["move", &n, "in_progress"]).ok();
    d.run_as("olena", &["move", &n, "on_review"]).ok();
    d.run_as("olena", &["move", &n, "resolved", "--outcome", "granted"])
        .fails(4, "needs the role supervisor or admin");
    d.run_as("vasyl", &["move", &n, "in_progress"])
        .fails(4, "send_back needs a reason");
    d.run_as(
        "vasyl",
        &["move", &n, "in_progress", "--reason", "attach the estimate"],
    )
    .ok();
    d.run_as("olena", &["move", &n, "in_execution"]).ok();
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "resolved",
            "--outcome",
            "partial",
            "--next-steps",
            "rest in spring",
        ],
    )
    .ok();
    let t = d.show(&n);
    assert_eq!(
        (t["outcome"].as_str(), t["reason"].as_str()),
        (Some("partial"), Some("rest in spring"))
    );
    assert!(d.run(&["show", &n]).ok().contains("Next steps:"));
}

#[test]
fn attribution_rights_and_reasons() {
    let d = Desk::staffed();
    let n = d.new_ticket("No hot water", &[]);
    d.run_as("olena", &["claim", &n]).ok();
    // Another operator may not touch it.
    d.run_as("petro", &["claim", &n])
        .fails(4, "belongs to olena");
    d.run_as("petro", &["move", &n, "in_progress"])
        .fails(4, "belongs to olena");
    d.run_as("petro", &["assign", &n, "petro", "--reason", "mine"])
        .fails(4, "belongs to olena");
    d.run_as("petro", &["unassign", &n, "--reason", "x"])
        .fails(4, "belongs to olena");
    d.run_as("petro", &["comment", &n, "I know this building"])
        .ok();
    // The owner gives it away: a reassignment needs a reason.
    d.run_as("olena", &["assign", &n, "petro"])
        .fails(4, "needs a reason");
    d.run_as("olena", &["assign", &n, "ghost", "--reason", "x"])
        .fails(3, "no agent 'ghost'");
    d.run_as(
        "olena",
        &["assign", &n, "petro", "--reason", "his district"],
    )
    .ok();
    // A supervisor takes over with a reason; the history says who and why.
    d.run_as("vasyl", &["claim", &n]).fails(4, "needs a reason");
    d.run_as("vasyl", &["claim", &n, "--reason", "petro is ill"])
        .ok();
    d.run_as(
        "vasyl",
        &[
            "assign",
            &n,
            "olena",
            "--group",
            "social",
            "--reason",
            "benefit case",
        ],
    )
    .ok();
    let t = d.show(&n);
    assert_eq!(
        (t["assignee"].as_str(), t["group"].as_str()),
        (Some("olena"), Some("SOCIAL"))
    );
    assert_eq!(t["reassignments"], 3, "bounced three times");
    let h = t["history"].as_array().cloned().unwrap_or_default();
    let assigned: Vec<&Value> = h.iter().filter(|e| e["kind"] == "assigned").collect();
    assert_eq!(assigned.len(), 4);
    assert_eq!(assigned[2]["text"], "petro is ill");
    assert_eq!(assigned[2]["actor"], "vasyl");
    assert_eq!(assigned[2]["via"], d.me.as_str(), "--as is recorded");
    assert!(
        h.iter()
            .any(|e| e["kind"] == "group" && e["to"] == "SOCIAL")
    );
    let text = d.run(&["show", &n]).ok();
    assert!(text.contains("3 times (bounced)"), "{text}");

    // Unassign returns an attributed ticket to new; deactivated agents receive nothing.
    let m = d.new_ticket("Lift broken", &[]);
    d.run_as("petro", &["claim", &m]).ok();
    d.run_as("petro", &["unassign", &m]).ok();
    assert_eq!(status(&d, &m), "new");
    d.run_as("petro", &["unassign", &m])
        .fails(4, "not assigned");
    d.run(&["agent", "set", "olena", "--active", "off"]).ok();
    d.run_as("petro", &["assign", &m, "olena"])
        .fails(4, "deactivated");
    d.run_as("olena", &["list"]).fails(4, "deactivated");
    // Over capacity is allowed with a warning.
    d.run(&["agent", "set", "petro", "--capacity", "0"]).ok();
    let r = d.run_as("vasyl", &["assign", &m, "petro"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("capacity 0"), "{}", r.stderr);
    check_invariants(&d.db);
}

#[test]
fn automatic_assignment_picks_the_least_loaded_member_with_room() {
    let d = Desk::staffed();
    d.run(&["group", "set", "housing", "--auto-assign", "on"])
        .ok();
    d.run(&["agent", "set", "vasyl", "--remove-group", "housing"])
        .ok();
    let a = d.new_ticket("heating 1", &[]);
    let b = d.new_ticket("heating 2", &[]);
    let ta = d.show(&a);
    let tb = d.show(&b);
    assert_eq!(ta["status"], "attributed");
    let owners = [
        ta["assignee"].as_str().unwrap_or(""),
        tb["assignee"].as_str().unwrap_or(""),
    ];
    let mut sorted = owners;
    sorted.sort();
    assert_eq!(sorted, ["olena", "petro"], "spread over both operators");
    d.run(&["agent", "set", "olena", "--away", "on"]).ok();
    d.run(&["agent", "set", "petro", "--capacity", "1"]).ok();
    let c = d.new_ticket("heating 3", &[]);
    let tc = d.show(&c);
    assert!(
        tc["assignee"].is_null(),
        "nobody with room: waits in the queue"
    );
    assert_eq!(tc["status"], "new");
}

#[test]
fn stale_versions_are_refused() {
    let d = Desk::staffed();
    let n = d.new_ticket("Lift", &[]);
    let v = d.show(&n)["version"].as_i64().unwrap_or(0);
    d.run_as("olena", &["claim", &n, "--if-version", &v.to_string()])
        .ok();
    let r = d.run_as(
        "olena",
        &["move", &n, "in_progress", "--if-version", &v.to_string()],
    );
    r.fails(4, "changed by olena");
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "in_progress",
            "--if-version",
            &(v + 1).to_string(),
        ],
    )
    .ok();
}

#[test]
fn roles_for_administration() {
    let d = Desk::staffed();
    d.run_as("olena", &["agent", "add", "x", "--name", "X"])
        .fails(4, "needs the role admin");
    d.run_as("vasyl", &["group", "add", "NEW", "New"])
        .fails(4, "needs the role admin");
    d.run(&["--as", "ghost", "list"])
        .fails(3, "no agent 'ghost'");
    d.run(&["agent", "add", "olena", "--name", "again"])
        .fails(2, "already exists");
    d.run(&["agent", "add", "-bad", "--name", "x"]).fails(2, "");
    d.run(&["agent", "add", "bad login"])
        .fails(2, "not a valid login");
    d.run(&["agent", "set", d.me.as_str(), "--role", "operator"])
        .fails(2, "only active admin");
    d.run(&["group", "add", "ARCH", "Archive", "--auto-assign"])
        .ok();
    d.run(&["group", "add", "arch", "Again"])
        .fails(2, "already exists");
    d.run(&["group", "set", "NOPE", "--name", "x"])
        .fails(3, "no group 'NOPE'");
    let g = d.run(&["group", "list", "--json"]).json();
    assert!(g.as_array().is_some_and(|a| {
        a.iter()
            .any(|x| x["code"] == "ARCH" && x["auto_assign"] == true)
    }));
    let agents = d.run(&["agent", "list"]).ok();
    assert!(
        agents.contains("olena") && agents.contains("supervisor"),
        "{agents}"
    );
    let cats = d.run(&["category", "list", "--json"]).json();
    assert_eq!(cats[0]["code"], "GEN");
    let st = d.run(&["status", "list", "--json"]).json();
    assert_eq!(st[0]["id"], "new");
    assert!(d.run(&["status", "list"]).ok().contains("in_progress"));
}

#[test]
fn an_unknown_unix_user_is_told_how_to_get_in() {
    let d = Desk::new();
    d.exec("UPDATE agents SET login = 'someone_else'");
    let r = d.run(&["new", "--subject", "x"]);
    r.fails(4, "not an agent of this desk");
    assert!(
        r.stderr.contains(&format!("desk agent add {}", d.me)),
        "{}",
        r.stderr
    );
    // Reading needs an agent too (a viewer, at least): tickets hold personal data.
    d.run(&["list"]).fails(4, "not an agent of this desk");
    d.run(&["show", "HSG-2611-00001-1"])
        .fails(4, "not an agent of this desk");
}

#[test]
fn hostile_text_never_reaches_the_terminal_raw() {
    let d = Desk::new();
    let evil = "Hi\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}gnp.exe\u{200b}\u{9b}31m";
    let n = d.new_ticket(
        evil,
        &[
            "--requester",
            "\u{1b}[31mred",
            "--body",
            "body\u{1b}]52;c;ZXZpbA==\u{7}",
        ],
    );
    d.run(&["comment", &n, "note \u{1b}[5m blink"]).ok();
    for args in [vec!["show", n.as_str()], vec!["list"]] {
        let out = d.run(&args).ok();
        assert!(
            !out.chars().any(desk::core::sanitize::is_unsafe_for_output),
            "{args:?}: {out:?}"
        );
    }
    let json = d.run(&["show", &n, "--json"]);
    assert!(
        !json
            .stdout
            .chars()
            .any(desk::core::sanitize::is_unsafe_for_output),
        "{:?}",
        json.stdout
    );
    assert_eq!(json.json()["subject"], evil, "JSON keeps the text, escaped");
}

#[test]
fn database_problems_exit_5_with_a_clear_line() {
    let dir = tempfile::tempdir().expect("tmp");
    let run = |db: &std::path::Path, args: &[&str]| {
        let o = command(db).args(args).output().expect("run");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let missing = dir.path().join("none.db");
    let (code, err) = run(&missing, &["list"]);
    assert_eq!(code, Some(5));
    assert!(
        err.contains("no desk database") && err.contains("desk init"),
        "{err}"
    );
    let (code, err) = run(&dir.path().join("no/such/dir/desk.db"), &["list"]);
    assert_eq!(code, Some(5), "{err}");

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x42u8; 8192]).expect("write");
    let (code, err) = run(&garbage, &["list"]);
    assert_eq!(code, Some(5));
    assert!(err.contains("corrupt or not a desk database"), "{err}");

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .and_then(|c| c.execute_batch("CREATE TABLE t(x)"))
        .expect("other db");
    let (code, err) = run(&other, &["list"]);
    assert_eq!(code, Some(5));
    assert!(err.contains("not a desk database"), "{err}");

    let d = Desk::new();
    d.exec(if d.is_postgres() {
        "UPDATE desk_schema SET version = 99"
    } else {
        "PRAGMA user_version = 99"
    });
    let r = d.run(&["list"]);
    r.fails(5, "newer desk");

    // Locked past the busy timeout: nothing written, exit 5. (PostgreSQL: another desk
    // holding the write lock every writer takes first.)
    let d = Desk::new();
    let lock = if d.is_postgres() {
        format!(
            "BEGIN; SELECT pg_advisory_xact_lock({})",
            desk::store::pg_schema::WRITE_LOCK
        )
    } else {
        "BEGIN IMMEDIATE".to_string()
    };
    let mut holder = d.raw();
    holder.batch(&lock).expect("lock");
    let o = command(&d.db)
        .env("DESK_BUSY_TIMEOUT_MS", "300")
        .args(["new", "--subject", "blocked"])
        .output()
        .expect("run");
    assert_eq!(o.status.code(), Some(5));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("locked"),
        "{:?}",
        o
    );
    holder.batch("ROLLBACK").expect("unlock");
    assert_eq!(
        d.run(&["list", "--json"]).json(),
        Value::Array(vec![]),
        "nothing half-written"
    );
}

#[test]
fn a_bad_configuration_names_file_and_line() {
    let d = Desk::new();
    let cfg = d.config();
    let text = std::fs::read_to_string(&cfg)
        .expect("read")
        .replace("to = \"closed\"", "to = \"closd\"");
    std::fs::write(&cfg, text).expect("write");
    let r = d.run(&["list"]);
    r.fails(2, "desk.toml:");
    assert!(r.stderr.contains("unknown status 'closd'"), "{}", r.stderr);
    d.run(&["--config", "/nonexistent.toml", "list"])
        .fails(2, "no configuration file");
}

#[test]
fn the_history_cannot_be_edited() {
    let d = Desk::new();
    let n = d.new_ticket("x", &[]);
    let mut c = d.raw();
    let upd = c.batch("UPDATE events SET text = 'forged'");
    assert!(upd.is_err_and(|e| e.contains("append-only")));
    let del = c.batch("DELETE FROM events");
    assert!(del.is_err_and(|e| e.contains("append-only")));
    let del = c.batch("DELETE FROM tickets");
    assert!(del.is_err_and(|e| e.contains("never deleted")));
    assert_eq!(d.show(&n)["history"].as_array().map(Vec::len), Some(1));
}

/// Even the sqlite3 shell, the tool a person would reach for, cannot edit the history.
#[test]
fn the_sqlite3_shell_cannot_edit_the_history_either() {
    let d = Desk::new();
    if !d.has_sqlite_file() {
        return;
    }
    let n = d.new_ticket("Keep me", &[]);
    let shell = |sql: &str| {
        std::process::Command::new("sqlite3")
            .arg(&d.db)
            .arg(sql)
            .output()
            .expect("the sqlite3 shell is needed (.ci/run installs it)")
    };
    for sql in [
        "UPDATE events SET text = 'forged';",
        "DELETE FROM events;",
        "DELETE FROM tickets;",
    ] {
        let o = shell(sql);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{sql} must fail");
        assert!(
            err.contains("append-only") || err.contains("never deleted"),
            "{sql}: {err}"
        );
    }
    assert_eq!(d.show(&n)["history"].as_array().map(Vec::len), Some(1));
    d.run(&["check"]).ok();
}

#[test]
fn demo_desk_is_valid_and_covers_every_status() {
    let d = Desk::new();
    let out = d.run(&["demo", "--tickets", "1500"]).ok();
    assert!(out.contains("1500 tickets"), "{out}");
    d.run(&["demo"]).fails(2, "already has 1500 tickets");
    check_invariants(&d.db);
    let mut c = d.raw();
    let statuses = c.column("SELECT DISTINCT status FROM tickets");
    for s in [
        "new",
        "attributed",
        "in_progress",
        "waiting_info",
        "resolved",
        "rejected",
        "closed",
    ] {
        assert!(
            statuses.iter().any(|x| x == s),
            "demo has {s}: {statuses:?}"
        );
    }
    let bad = c.ints(
        "SELECT count(*) FROM tickets WHERE status IN ('resolved','rejected','closed')
           AND (outcome IS NULL OR outcome = 'clarification')",
    );
    assert_eq!(bad, vec![0], "no finished ticket without a final outcome");
    let mismatched = c.ints(
        "SELECT count(*) FROM tickets t WHERE t.status !=
           coalesce((SELECT to_value FROM events e WHERE e.ticket_id = t.id
                     AND e.kind IN ('status', 'created') ORDER BY e.id DESC LIMIT 1), '')",
    );
    assert_eq!(mismatched, vec![0], "current status = last status event");
    d.assert_wal();
    // The demo's tickets can be worked like any other.
    let row = c.rows(
        "SELECT t.number, a.login FROM tickets t JOIN agents a ON a.id = t.assignee_id
         WHERE t.status = 'in_progress' AND a.role = 'operator' LIMIT 1",
    );
    let (number, owner) = match row.first().map(Vec::as_slice) {
        Some([Some(n), Some(o)]) => (n.clone(), o.clone()),
        _ => panic!("an in-progress ticket"),
    };
    d.run_as(
        &owner,
        &["move", &number, "resolved", "--outcome", "granted"],
    )
    .ok();
}

#[test]
fn without_a_terminal_desk_prints_the_queue() {
    let d = Desk::new();
    let out = d.run(&[]).ok();
    assert!(
        out.contains("desk demo"),
        "empty desk explains what to do: {out}"
    );
    let n = d.new_ticket("No heating", &[]);
    let out = d.run(&[]).ok();
    assert!(out.contains(&n), "{out}");
}

#[test]
fn help_and_version_exit_0() {
    let d = Desk::new();
    assert!(d.run(&["--help"]).ok().contains("Exit codes"));
    assert!(d.run(&["--version"]).ok().starts_with("desk "));
    assert!(d.run(&["move", "--help"]).ok().contains("--outcome"));
}

#[test]
fn survey_ratings_import_all_or_nothing_and_again_harmlessly() {
    let d = Desk::staffed();
    let a = d.new_ticket("Broken lift", &[]);
    let b = d
        .run_stdin(
            &["import", "-"],
            br#"{"subject": "Leak from above", "ref": "web-77"}"#,
        )
        .ok();
    let open = d.new_ticket("Noise at night", &[]);
    for n in [&a, &b] {
        d.run_as("olena", &["claim", n]).ok();
        d.run_as("olena", &["move", n, "in_progress"]).ok();
        d.run_as(
            "olena",
            &[
                "move",
                n,
                "resolved",
                "--outcome",
                "granted",
                "--answer",
                "Done.",
            ],
        )
        .ok();
    }
    let survey = format!(
        "{{\"number\": \"{a}\", \"score\": 5}}\n{{\"ref\": \"web-77\", \"score\": 3, \"comment\": \"slow\"}}\n{{\"number\": \"{open}\", \"score\": 4}}\n"
    );
    // The open ticket cannot be rated, so nothing is: the item is named.
    let r = d.run_stdin(&["rate", "--import", "-"], survey.as_bytes());
    r.fails(4, &format!("item 3 ({open}): "));
    assert!(r.stderr.contains("nothing was recorded"), "{}", r.stderr);
    assert!(d.show(&a)["satisfaction"].is_null());
    let survey: String = survey.lines().take(2).map(|l| format!("{l}\n")).collect();
    let out = d
        .run_stdin(&["rate", "--import", "-"], survey.as_bytes())
        .ok();
    assert_eq!(out, "2 rating(s) recorded, 0 already there");
    assert_eq!(d.show(&a)["satisfaction"], 5);
    let t = d.show(&b);
    assert_eq!(t["satisfaction"], 3);
    let rated: Vec<&Value> = t["history"]
        .as_array()
        .map(|h| h.iter().filter(|e| e["kind"] == "rated").collect())
        .unwrap_or_default();
    assert_eq!(rated.len(), 1);
    assert_eq!(rated[0]["text"], "slow");
    // The same survey again changes nothing; a different score for a rated ticket is refused.
    let again = d
        .run_stdin(&["rate", "--import", "-", "--json"], survey.as_bytes())
        .json();
    assert_eq!(again[0]["recorded"], false);
    assert_eq!(again[1]["number"], b.as_str());
    let changed = survey.replace("\"score\": 5", "\"score\": 1");
    d.run_stdin(&["rate", "--import", "-"], changed.as_bytes())
        .fails(4, "already rated");
    assert_eq!(d.show(&a)["satisfaction"], 5);
    d.run_stdin(
        &["rate", "--import", "-"],
        br#"[{"ref": "nowhere", "score": 4}]"#,
    )
    .fails(
        3,
        "item 1 (nowhere): no ticket was imported with ref 'nowhere'",
    );
    d.run_stdin(
        &["rate", "--import", "-"],
        format!("[{{\"number\": \"{a}\", \"score\": 9}}]").as_bytes(),
    )
    .fails(2, "item 1");
    d.run_stdin(&["rate", "--import", "-"], b"{\"score\": 4}\n")
        .fails(
            2,
            "item 1: give the ticket's number or its ref, one of the two",
        );
    d.run(&["rate", &a]).fails(2, "");
    d.run(&["rate", &a, "4", "--import", "x.json"]).fails(2, "");
}

/// `desk list` and the desk's queues read through one query type and one reader: the same
/// filter gives the same tickets, in the same order, whichever front end asks.
#[test]
fn desk_list_and_the_desks_queues_give_the_same_tickets() {
    use desk::core::query::{QueueKind, QueueSpec, SortKey};
    use desk::store::Mode;
    use desk::store::query::Start;
    let d = Desk::new();
    d.run(&["demo", "--tickets", "400"]).ok();
    // Open the desk as `login` and read a queue whole, as the queue pane reads it.
    let queue = |login: &str, kind: QueueKind, text: &str, sort: Option<(SortKey, bool)>| {
        let s =
            desk::session::Session::open_for(&d.db, None, Mode::Existing, login).expect("session");
        let who = s.store.actor(login, None).expect("actor");
        let viewer = s.store.viewer(&who, desk::session::now()).expect("viewer");
        let mut spec = QueueSpec::new(kind);
        spec.text = text.into();
        if let Some((key, reverse)) = sort {
            (spec.sort, spec.reverse) = (key, reverse);
        }
        let q = spec.query();
        let rows = s
            .store
            .query_page(&s.cfg, &q, &viewer, Start::Top, 0)
            .expect("page");
        let count = s.store.query_count(&s.cfg, &q, &viewer).expect("count");
        assert_eq!(count, rows.len() as i64, "{kind:?}: count and rows agree");
        rows.into_iter()
            .map(|r| r.ticket.number)
            .collect::<Vec<_>>()
    };
    let list = |login: &str, flags: &[&str]| {
        let mut args = vec!["--as", login, "--json", "list", "--limit", "0"];
        args.extend_from_slice(flags);
        let v = d.run(&args).json();
        v.as_array()
            .expect("array")
            .iter()
            .map(|t| t["number"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    let me = d.me.clone();
    type Case<'a> = (
        &'a str,
        QueueKind,
        &'a str,
        Option<(SortKey, bool)>,
        Vec<&'a str>,
    );
    let cases: Vec<Case> = vec![
        (&me, QueueKind::AllOpen, "", None, vec![]),
        ("opetrenko", QueueKind::Mine, "", None, vec!["--mine"]),
        (&me, QueueKind::Unassigned, "", None, vec!["--unassigned"]),
        (
            "opetrenko",
            QueueKind::MyGroups,
            "",
            None,
            vec!["--group", "housing"],
        ),
        (
            &me,
            QueueKind::Waiting,
            "",
            None,
            vec!["--status", "waiting_info"],
        ),
        (
            &me,
            QueueKind::AtRisk,
            "",
            None,
            vec!["--at-risk", "--sort", "due"],
        ),
        (
            &me,
            QueueKind::All,
            "",
            None,
            vec!["--all", "--sort", "age", "--reverse"],
        ),
        (
            &me,
            QueueKind::AllOpen,
            "heating flat",
            None,
            vec!["--text", "heating flat"],
        ),
        (
            &me,
            QueueKind::All,
            "heat",
            None,
            vec!["--all", "--text", "heat", "--sort", "age", "--reverse"],
        ),
        (
            &me,
            QueueKind::AllOpen,
            "",
            Some((SortKey::Assignee, true)),
            vec!["--sort", "assignee", "--reverse"],
        ),
        (
            &me,
            QueueKind::AllOpen,
            "",
            Some((SortKey::Subject, false)),
            vec!["--sort", "subject"],
        ),
    ];
    for (login, kind, text, sort, flags) in cases {
        // The clocks move between two reads (a ticket may turn at risk): the command line's
        // answer must be the queue as read just before it or just after.
        let before = queue(login, kind, text, sort);
        let cli = list(login, &flags);
        let after = queue(login, kind, text, sort);
        assert!(
            cli == before || cli == after,
            "{kind:?} {flags:?}: desk list gave {} tickets, the queue {}",
            cli.len(),
            after.len()
        );
        assert!(
            !cli.is_empty() || kind == QueueKind::AtRisk,
            "{kind:?} {flags:?}: an empty list proves nothing"
        );
    }
    // What the desk cannot express is refused the same way in both: an unknown agent.
    d.run(&["list", "--assignee", "nobody_here"])
        .fails(3, "nobody_here");
    d.run(&["list", "--sort", "colour"]).fails(2, "colour");
}

/// A run with the environment's language (what is said before a desk's configuration is read
/// follows LANG; after, the desk's `language`, else LANG).
fn run_in(d: &Desk, lang: &str, args: &[&str]) -> common::Run {
    common::Run::from(
        command(&d.db)
            .env("LANG", lang)
            .args(args)
            .output()
            .expect("run desk"),
    )
}

#[test]
fn errors_and_answers_are_said_in_russian_and_ukrainian() {
    let d = Desk::staffed();
    // Before any desk is open: the environment's language, the command line's own hint.
    let none = d.dir.path().join("none/desk.db");
    let r = common::Run::from(
        command(&none)
            .env("LANG", "ru_RU.UTF-8")
            .args(["list"])
            .output()
            .expect("run"),
    );
    r.fails(5, "нет базы деска");
    assert!(
        r.stderr.contains("--db"),
        "the command line's hint: {}",
        r.stderr
    );
    // The store's errors, with their values; a refusal and the flag that answers it.
    run_in(
        &d,
        "uk_UA.UTF-8",
        &["agent", "set", "nobody", "--name", "X"],
    )
    .fails(3, "немає працівника 'nobody'");
    let n = d.new_ticket("Leaking roof", &[]);
    d.run_as("olena", &["claim", &n]).ok();
    let r = run_in(&d, "ru_RU.UTF-8", &["--as", "vasyl", "claim", &n]);
    r.fails(
        4,
        "чтобы забрать чужое обращение, укажите причину (--reason)",
    );
    // What a command answers.
    let r = run_in(&d, "uk_UA.UTF-8", &["group", "add", "ARCH", "Archive"]);
    assert!(r.ok().contains("групу ARCH додано"), "{}", r.stdout);
    let r = run_in(&d, "ru_RU.UTF-8", &["init"]);
    assert!(
        r.ok().contains("уже создана; ничего не изменено"),
        "{}",
        r.stdout
    );
    let backup = d.dir.path().join("b.db");
    run_in(
        &d,
        "uk_UA.UTF-8",
        &["backup", backup.to_str().expect("path")],
    )
    .ok();
    run_in(
        &d,
        "uk_UA.UTF-8",
        &["backup", backup.to_str().expect("path")],
    )
    .fails(2, "уже існує");
    // A configuration's mistake, with its file and line.
    let bad = d.dir.path().join("bad.toml");
    std::fs::write(&bad, "language = \"de\"\n").expect("write");
    run_in(
        &d,
        "ru_RU.UTF-8",
        &["config", "check", bad.to_str().expect("path")],
    )
    .fails(2, "ошибка конфигурации");
    // clap's help and mistakes, before anything is open.
    let help = run_in(&d, "uk_UA.UTF-8", &["new", "--help"]).ok();
    assert!(
        help.contains("Використання:") && help.contains("Зареєструвати звернення"),
        "{help}"
    );
    run_in(&d, "ru_RU.UTF-8", &["list", "--bogus"]).fails(2, "неожиданный аргумент '--bogus'");
    run_in(&d, "ru_RU.UTF-8", &["new", "-s", "x", "--priority", "soon"])
        .fails(2, "неизвестное значение «приоритет»: 'soon'");
    // Names desk.toml gives per language, in the reader's.
    let cats = run_in(&d, "uk_UA.UTF-8", &["category", "list"]).ok();
    assert!(cats.contains("Житло й комунальні послуги"), "{cats}");
    let cats = run_in(&d, "C.UTF-8", &["category", "list"]).ok();
    assert!(cats.contains("Housing and utilities"), "{cats}");
    // desk.toml's language wins over LANG once the desk is open.
    let toml = d.dir.path().join("desk.toml");
    let text = std::fs::read_to_string(&toml).expect("config");
    std::fs::write(
        &toml,
        text.replacen("language = \"\"", "language = \"uk\"", 1),
    )
    .expect("write");
    run_in(
        &d,
        "ru_RU.UTF-8",
        &["agent", "set", "nobody", "--name", "X"],
    )
    .fails(3, "немає працівника");
}

/// A database's password never appears in what the desk prints, whether it stands after the
/// user or as a parameter of the URL (a review found `desk init` and `desk check` printing it).
#[test]
fn a_database_password_is_never_printed() {
    for url in [
        "postgres://desk_app:s3cret@127.0.0.1:9/desk",
        "postgres://desk_app@127.0.0.1:9/desk?sslmode=disable&password=s3cret",
    ] {
        for args in [
            &["list"][..],
            &["init"],
            &["check"],
            &["--json", "show", "1"],
        ] {
            let r = common::Run::from(
                command(std::path::Path::new(url))
                    .args(args)
                    .output()
                    .expect("run desk"),
            );
            assert_ne!(r.code, 0, "{args:?} on a closed port: {}", r.stderr);
            assert!(
                !r.stderr.contains("s3cret") && !r.stdout.contains("s3cret"),
                "{args:?} printed the password: {} {}",
                r.stdout,
                r.stderr
            );
        }
    }
}

/// `desk --json config check` answers in JSON, like every other command (a review found it
/// printing its sentence): the desk's own configuration and a file named, on either store.
#[test]
fn config_check_answers_in_json() {
    let d = Desk::new();
    let own = d.run(&["--json", "config", "check"]).json();
    assert_eq!(own["valid"], true, "{own}");
    assert_eq!(own["file"], d.config().display().to_string().as_str());
    assert!(own["statuses"].as_u64().is_some_and(|n| n > 3), "{own}");
    assert!(own["groups"].as_u64().is_some(), "{own}");
    let file = d.dir.path().join("other.toml");
    std::fs::copy(d.config(), &file).expect("copy");
    let named = d
        .run(&["--json", "config", "check", file.to_str().expect("path")])
        .json();
    assert_eq!(named["file"], file.display().to_string().as_str());
    assert_eq!(named["valid"], true);
    // A mistake is still one line on stderr with its exit code.
    std::fs::write(&file, "language = \"de\"\n").expect("write");
    d.run(&["--json", "config", "check", file.to_str().expect("path")])
        .fails(2, "configuration");
}
