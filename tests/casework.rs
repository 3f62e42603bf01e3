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
    let cfg = d.config();
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

#[test]
fn merging_a_duplicate_closes_it_and_its_number_leads_to_the_target() {
    let d = Desk::staffed();
    let a = d.new_ticket(
        "No heating in flat 12",
        &["--requester", "Olena K.", "--contact", "+380 67 412 1190"],
    );
    let b = d.new_ticket(
        "Heating off, flat 12",
        &[
            "--requester",
            "Olena Kozak",
            "--contact",
            "380674121190",
            "--body",
            "Still cold, two kids at home",
            "--yes",
        ],
    );
    d.run_as("olena", &["claim", &b]).ok();
    let out = d
        .run_as(
            "olena",
            &["merge", &b, "--into", &a, "--reason", "same flat"],
        )
        .ok();
    assert!(out.contains(&format!("{b} merged into {a}")), "{out}");
    // The duplicate: closed invalid, "duplicate of A", its history says so.
    let row = d.raw().rows(&format!(
        "SELECT status, outcome, reason FROM tickets WHERE number = '{b}'"
    ));
    let reason = format!("duplicate of {a}: same flat");
    assert_eq!(
        row,
        vec![vec![
            Some("closed".to_string()),
            Some("invalid".to_string()),
            Some(reason)
        ]]
    );
    // Its number leads to the target, everywhere: show (said on stderr), comment, JSON.
    let r = d.run(&["show", &b]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with(&a), "{}", r.stdout);
    assert!(r.stderr.contains("was merged into"), "{}", r.stderr);
    assert!(
        r.stdout.contains("Still cold, two kids at home"),
        "the duplicate's request is shown with the target: {}",
        r.stdout
    );
    let t = d.show(&b);
    assert_eq!(t["number"], a.as_str());
    assert_eq!(t["merged"][0]["number"], b.as_str());
    assert_eq!(t["merged"][0]["body"], "Still cold, two kids at home");
    d.run(&["comment", &b, "called back"]).ok();
    assert_eq!(
        events(&d, &a, "comment").len(),
        1,
        "the note went to the target"
    );
    assert_eq!(events(&d, &a, "merged")[0].0, b);
    // Refusals: itself, again, a finished duplicate, a closed target, someone else's.
    d.run(&["merge", &a, "--into", &a]).fails(2, "itself");
    d.run(&["merge", &b, "--into", &a])
        .fails(4, "already merged");
    let c = taken(&d, "Leak on the roof", "olena");
    d.run_as("olena", &["move", &c, "resolved", "--outcome", "granted"])
        .ok();
    d.run(&["merge", &c, "--into", &a]).fails(4, "finished");
    let e = d.new_ticket("Leak in the cellar", &["--yes"]);
    d.run_as("olena", &["move", &c, "closed"]).ok();
    d.run(&["merge", &e, "--into", &c]).fails(4, "closed");
    let f = taken(&d, "Broken window", "petro");
    d.run_as("olena", &["merge", &f, "--into", &a])
        .fails(4, "petro");
    d.run(&["merge", &f, "--into", "HSG-2611-99999-Z"])
        .fails(2, "HSG-2611-99999-Z");
    d.run(&["merge", &f, "--into", &a, "--if-version", "1"])
        .fails(4, "changed");
    checked(&d);
    // desk check notices a merge the history does not record.
    d.exec(&format!(
        "UPDATE tickets SET merged_into = (SELECT id FROM tickets WHERE number = '{a}') WHERE number = '{e}'"
    ));
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5, "{}", r.stdout);
    assert!(r.stdout.contains(&e), "{}", r.stdout);
}

#[test]
fn links_go_both_ways_and_desk_check_follows_them() {
    let d = Desk::staffed();
    let a = d.new_ticket("Lift broken in block 3", &[]);
    let b = d.new_ticket("Lift noise in block 3, floor 5", &["--yes"]);
    let c = d.new_ticket("Repairs in block 3", &["--yes"]);
    d.run_as("anna", &["link", &a, &b]).ok();
    d.run_as("anna", &["link", &c, &a, "--kind", "parent"]).ok();
    let t = d.show(&a);
    let links: Vec<(String, String)> = t["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| {
            (
                l["number"].as_str().unwrap_or("").to_string(),
                l["role"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        links,
        [(b.clone(), "related".into()), (c.clone(), "parent".into())]
    );
    assert_eq!(d.show(&c)["links"][0]["role"], "child");
    let shown = d.run(&["show", &c]).ok();
    assert!(shown.contains("its part"), "{shown}");
    d.run(&["link", &b, &a]).fails(4, "already linked");
    d.run(&["link", &a, &a]).fails(2, "itself");
    d.run(&["link", &a, &b, "--kind", "sibling"])
        .fails(2, "sibling");
    d.run(&["unlink", &b, &c]).fails(4, "not linked");
    d.run(&["agent", "add", "vic", "--role", "viewer"]).ok();
    d.run_as("vic", &["link", &b, &c]).fails(4, "role");
    d.run(&["unlink", &b, &a]).ok();
    assert_eq!(d.show(&a)["links"].as_array().map(Vec::len), Some(1));
    assert_eq!(events(&d, &a, "unlinked").len(), 1);
    checked(&d);
    d.exec("DELETE FROM links");
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5);
    assert!(r.stdout.contains("no such link is stored"), "{}", r.stdout);
}

#[test]
fn likely_duplicates_are_shown_before_registering() {
    let d = Desk::staffed();
    let a = d.new_ticket("No heating in flat 12", &["--contact", "olena@example.org"]);
    // --check lists them and registers nothing.
    let out = d
        .run(&["new", "--subject", "Flat 12: no heating at all", "--check"])
        .ok();
    assert!(out.contains(&a), "{out}");
    assert!(out.contains("heating"), "says why: {out}");
    let out = d
        .run(&[
            "new",
            "--subject",
            "Passport",
            "--contact",
            "OLENA@example.org",
            "--check",
        ])
        .ok();
    assert!(out.contains("the same contact"), "{out}");
    let out = d.run(&["new", "--subject", "Passport", "--check"]).ok();
    assert!(out.contains("no likely duplicates"), "{out}");
    let json = d
        .run(&["new", "--subject", "Heating, flat 12", "--check", "--json"])
        .json();
    assert_eq!(json[0]["number"], a.as_str());
    assert_eq!(
        d.run(&["list", "--all", "--json"])
            .json()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    // Without a terminal, desk new registers and says what it looks like on stderr.
    let r = d.run(&["new", "--subject", "Heating, flat 12"]);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains(&a), "{}", r.stderr);
    // A finished ticket, or one older than 30 days, is no longer a likely duplicate.
    d.run(&["claim", &a]).ok();
    d.run(&["move", &a, "in_progress"]).ok();
    d.run(&["move", &a, "resolved", "--outcome", "granted"])
        .ok();
    let out = d
        .run(&["new", "--subject", "No heating in flat 12", "--check"])
        .ok();
    assert!(!out.contains(&a), "{out}");
    checked(&d);
}

/// A directory of files to attach, away from the desk's own directory.
fn files() -> tempfile::TempDir {
    tempfile::tempdir().expect("tmp")
}

#[test]
fn attachments_are_kept_by_content_listed_and_got_back() {
    let d = Desk::staffed();
    let n = taken(&d, "Passport copy", "olena");
    let dir = files();
    let scan = dir.path().join("passport scan.pdf");
    std::fs::write(&scan, b"%PDF-1.4 not really").expect("write");
    let photo = dir.path().join(".photo\u{202e}gpj.exe");
    std::fs::write(&photo, vec![7u8; 3000]).expect("write");
    let out = d
        .run_as(
            "olena",
            &[
                "attach",
                &n,
                scan.to_str().unwrap_or(""),
                photo.to_str().unwrap_or(""),
            ],
        )
        .ok();
    assert!(out.contains("passport scan.pdf"), "{out}");
    // The same file again: a second name, one content.
    d.run_as("petro", &["attach", &n, scan.to_str().unwrap_or("")])
        .ok();
    let list = d.run(&["attachment", "list", &n, "--json"]).json();
    let names: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["passport scan.pdf", "photogpj.exe", "passport scan (2).pdf"]
    );
    assert_eq!(list[0]["sha256"], list[2]["sha256"]);
    assert_eq!(list[2]["added_by"], "petro");
    assert_eq!(
        d.ints("SELECT count(*) FROM blobs"),
        vec![2],
        "each content once"
    );
    let text = d.run(&["attachment", "list", &n]).ok();
    assert!(text.contains("sha256:"), "{text}");
    assert!(d.run(&["show", &n]).ok().contains("passport scan (2).pdf"));
    assert_eq!(d.show(&n)["attachments"].as_array().map(Vec::len), Some(3));
    assert_eq!(events(&d, &n, "attached").len(), 3);
    // Back out: a new file readable by its owner only, the same bytes; or a pipe.
    let back = dir.path().join("back.pdf");
    d.run(&[
        "attachment",
        "get",
        &n,
        "passport scan.pdf",
        "-o",
        back.to_str().unwrap_or(""),
    ])
    .ok();
    assert_eq!(std::fs::read(&back).expect("read"), b"%PDF-1.4 not really");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&back).expect("meta").permissions().mode() & 0o777,
        0o600
    );
    let r = d.run(&["attachment", "get", &n, "PASSPORT SCAN.PDF"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, "%PDF-1.4 not really");
    checked(&d);
}

#[test]
fn attaching_refuses_what_it_must() {
    let d = Desk::staffed();
    let n = d.new_ticket("Lease contract", &[]);
    let dir = files();
    let path = |name: &str| dir.path().join(name).to_str().unwrap_or("").to_string();
    // Not a file, nothing there, the desk's own files (however reached), too big.
    d.run(&["attach", &n, dir.path().to_str().unwrap_or("")])
        .fails(2, "not a file");
    d.run(&["attach", &n, "/dev/null"]).fails(2, "not a file");
    d.run(&["attach", &n, &path("missing.pdf")])
        .fails(3, "no file");
    let cfg = d.config();
    d.run(&["attach", &n, cfg.to_str().unwrap_or("")])
        .fails(2, "desk's own files");
    // The database file (a desk on PostgreSQL has none), however reached.
    let own = if d.has_sqlite_file() { &d.db } else { &cfg };
    d.run(&["attach", &n, own.to_str().unwrap_or("")])
        .fails(2, "desk's own files");
    std::os::unix::fs::symlink(own, dir.path().join("innocent.pdf")).expect("link");
    d.run(&["attach", &n, &path("innocent.pdf")])
        .fails(2, "desk's own files");
    std::fs::hard_link(own, dir.path().join("hard.pdf")).expect("hard link");
    d.run(&["attach", &n, &path("hard.pdf")])
        .fails(2, "desk's own files");
    let text = std::fs::read_to_string(&cfg)
        .expect("config")
        .replacen("max_bytes = \"25M\"", "max_bytes = \"1K\"", 1)
        .replacen(
            "max_ticket_bytes = \"100M\"",
            "max_ticket_bytes = \"2K\"",
            1,
        );
    assert!(
        text.contains("max_ticket_bytes = \"2K\""),
        "the shipped configuration has [attachments]"
    );
    std::fs::write(&cfg, text).expect("write");
    std::fs::write(dir.path().join("big.bin"), vec![1u8; 1025]).expect("write");
    d.run(&["attach", &n, &path("big.bin")])
        .fails(2, "at most 1.0 KB");
    std::fs::write(dir.path().join("a.bin"), vec![1u8; 1000]).expect("write");
    std::fs::write(dir.path().join("b.bin"), vec![2u8; 1000]).expect("write");
    std::fs::write(dir.path().join("c.bin"), vec![3u8; 1000]).expect("write");
    // All or none: the third would pass the ticket's limit, so none is attached.
    d.run(&["attach", &n, &path("a.bin"), &path("b.bin"), &path("c.bin")])
        .fails(2, "max_ticket_bytes");
    assert_eq!(d.show(&n)["attachments"].as_array().map(Vec::len), Some(0));
    d.run(&["attach", &n, &path("a.bin")]).ok();
    // Getting: an unknown name, an existing file or a link to write through, a terminal.
    d.run(&["attachment", "get", &n, "nope.bin"])
        .fails(3, "a.bin");
    std::fs::write(dir.path().join("exists"), b"keep me").expect("write");
    d.run(&["attachment", "get", &n, "a.bin", "-o", &path("exists")])
        .fails(2, "already exists");
    assert_eq!(
        std::fs::read(dir.path().join("exists")).expect("read"),
        b"keep me"
    );
    std::os::unix::fs::symlink(dir.path().join("target"), dir.path().join("through"))
        .expect("link");
    d.run(&["attachment", "get", &n, "a.bin", "-o", &path("through")])
        .fails(2, "already exists");
    assert!(
        !dir.path().join("target").exists(),
        "nothing written through the link"
    );
    d.run(&["agent", "add", "vic", "--role", "viewer"]).ok();
    d.run_as("vic", &["attach", &n, &path("b.bin")])
        .fails(4, "role");
    d.run_as("vic", &["attachment", "list", &n]).ok();
    checked(&d);
}

#[test]
fn desk_check_proves_every_file_and_backups_keep_them() {
    let d = Desk::staffed();
    let n = d.new_ticket("Photos of the leak", &[]);
    let dir = files();
    let photo = dir.path().join("leak.jpg");
    std::fs::write(&photo, vec![0xffu8; 5000]).expect("write");
    d.run(&["attach", &n, photo.to_str().unwrap_or("")]).ok();
    let backup = dir.path().join("desk.backup");
    d.run(&["backup", backup.to_str().unwrap_or("")]).ok();
    // Restored elsewhere, the file comes back with the same bytes.
    let other = Desk::new();
    other
        .run(&["restore", backup.to_str().unwrap_or(""), "--force"])
        .ok();
    let back = dir.path().join("back.jpg");
    other
        .run(&[
            "attachment",
            "get",
            &n,
            "leak.jpg",
            "-o",
            back.to_str().unwrap_or(""),
        ])
        .ok();
    assert_eq!(std::fs::read(&back).expect("read"), vec![0xffu8; 5000]);
    checked(&other);
    // Damage the content behind desk's back: desk check names it.
    d.exec(if d.is_postgres() {
        "DROP TRIGGER blobs_no_update ON blobs;
         UPDATE blobs SET data = decode(repeat('00', 5000), 'hex');"
    } else {
        "DROP TRIGGER blobs_no_update; UPDATE blobs SET data = zeroblob(5000);"
    });
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5);
    assert!(
        r.stdout.contains("no longer matches its hash"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("blobs_no_update"), "{}", r.stdout);
    d.run(&["attachment", "get", &n, "leak.jpg"])
        .fails(5, "no longer matches");
}

#[test]
fn answers_from_templates_on_the_command_line() {
    let d = Desk::staffed();
    let n = d.new_ticket(
        "Housing benefit",
        &[
            "--requester",
            "Olena K.",
            "--contact",
            "olena@example.org",
            "--category",
            "SOC",
        ],
    );
    d.run_as("anna", &["claim", &n]).ok();
    d.run_as("anna", &["move", &n, "in_progress"]).ok();
    // Listed, by outcome and category; shown as written and filled in, in a language.
    let list = d.run(&["template", "list"]).ok();
    assert!(
        list.contains("documents_request") && list.contains("received"),
        "{list}"
    );
    let refusals = d
        .run(&[
            "template",
            "list",
            "--outcome",
            "refused",
            "--category",
            "SOC",
            "--json",
        ])
        .json();
    let names: Vec<&str> = refusals
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["received", "documents_missing"]);
    assert_eq!(
        d.run(&["template", "show", "granted"]).ok(),
        "Dear {requester}, your request {number} ({subject}) has been granted."
    );
    assert_eq!(
        d.run(&["template", "show", "granted", &n, "--language", "uk"])
            .ok(),
        format!("Вітаємо, Olena K.! Ваше звернення {n} (Housing benefit) задоволено.")
    );
    // A reply from a template; a decision from one brings its outcome and note.
    d.run_as("anna", &["reply", &n, "--template", "received"])
        .ok();
    let replies = events(&d, &n, "reply");
    assert!(
        replies[0].2.starts_with(&format!(
            "Dear Olena K., we have registered your request {n} (Housing benefit) and will answer by 20"
        )),
        "{replies:?}"
    );
    d.run_as(
        "anna",
        &[
            "move",
            &n,
            "waiting_info",
            "--template",
            "documents_request",
        ],
    )
    .ok();
    let t = d.show(&n);
    assert_eq!(t["outcome"], "clarification");
    assert_eq!(t["reason"], "Please send the documents listed below.");
    assert!(
        t["answer"]
            .as_str()
            .is_some_and(|a| a.starts_with("Dear Olena K., to decide on your request")),
        "{}",
        t["answer"]
    );
    // What is given on the command line wins over the template's note.
    d.run_as("anna", &["move", &n, "in_progress"]).ok();
    d.run_as(
        "anna",
        &[
            "move",
            &n,
            "rejected",
            "--template",
            "documents_missing",
            "--reason",
            "No income certificate.",
        ],
    )
    .ok();
    let t = d.show(&n);
    assert_eq!(t["outcome"], "refused");
    assert_eq!(t["reason"], "No income certificate.");
    // Error paths.
    d.run_as("anna", &["reply", &n, "--template", "nope"])
        .fails(3, "no answer template 'nope' (there are: received");
    d.run_as("anna", &["reply", &n, "typed", "--template", "received"])
        .fails(2, "not both");
    d.run_as("anna", &["reply", &n, "--template", "granted"])
        .fails(2, "goes with the outcome granted");
    d.run_as("anna", &["move", &n, "in_progress", "--reason", "again"])
        .ok();
    d.run_as(
        "anna",
        &[
            "move",
            &n,
            "resolved",
            "--outcome",
            "partial",
            "--template",
            "granted",
        ],
    )
    .fails(2, "for the outcome granted, not partial");
    d.run(&["template", "list", "--category", "NOPE"])
        .fails(2, "unknown category");
    d.run(&["reply", &n, "--language", "uk"])
        .fails(2, "--template");
    checked(&d);
}

#[test]
fn answer_templates_are_checked_with_the_configuration() {
    let d = Desk::new();
    let cfg = d.config();
    let text = std::fs::read_to_string(&cfg).expect("config");
    let bad = d.dir.path().join("bad.toml");
    for (from, to, says) in [
        (
            "will answer by {deadline}",
            "will answer by {when}",
            "unknown placeholder {when}",
        ),
        (
            "name = \"granted\"",
            "name = \"received\"",
            "'received' is declared twice",
        ),
        (
            "outcome = \"granted\"",
            "outcome = \"maybe\"",
            "unknown outcome 'maybe'",
        ),
        (
            "categories = [\"SOC\", \"DOC\", \"HSG\"]",
            "categories = [\"XYZ\"]",
            "unknown category 'XYZ'",
        ),
        (
            "name = \"granted\"",
            "name = \"granted now\"",
            "letters, digits",
        ),
    ] {
        assert!(text.contains(from), "{from}");
        std::fs::write(&bad, text.replacen(from, to, 1)).expect("write");
        let r = d.run(&["config", "check", bad.to_str().unwrap_or("")]);
        assert_eq!(r.code, 2, "{to}: {}", r.stderr);
        assert!(
            r.stderr.contains(says) && r.stderr.contains("bad.toml:"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn tick_and_alerts_on_the_command_line() {
    let d = Desk::staffed();
    d.run(&["agent", "add", "timers", "--role", "system"]).ok();
    d.run_as("olena", &["tick"]).fails(4, "role");
    assert_eq!(d.run_as("timers", &["tick"]).ok(), "nothing was due");
    let n = taken(&d, "No heating", "olena");
    d.run_as(
        "olena",
        &["move", &n, "waiting_info", "--question", "Which flat?"],
    )
    .ok();
    let r = d.run_as("timers", &["tick", "--json"]).json();
    assert_eq!(r["reminded"].as_array().map(Vec::len), Some(0));
    assert!(r["next"].as_str().is_some(), "{r}");
    let text = d.run_as("timers", &["tick"]).ok();
    assert!(
        text.starts_with("nothing was due\nthe next timer falls due at "),
        "{text}"
    );
    assert_eq!(d.run_as("vasyl", &["alerts"]).ok(), "no alerts");
    assert_eq!(
        d.run_as("vasyl", &["alerts", "--all", "--json"]).json(),
        serde_json::json!([])
    );
    // What the timers did is in the history; show says it in words.
    checked(&d);
}

#[test]
fn a_round_robin_group_gives_its_members_tickets_in_turn() {
    let d = Desk::staffed();
    let cfg = d.config();
    let text = std::fs::read_to_string(&cfg).expect("config");
    let housing = "code = \"HOUSING\"\n";
    assert!(text.contains(housing));
    std::fs::write(
        &cfg,
        text.replacen(housing, &format!("{housing}assign = \"round_robin\"\n"), 1),
    )
    .expect("write");
    // Olena already carries two: least-loaded would pass her over; in turn, she is first.
    for s in ["Leak in the roof", "Lift stuck"] {
        let n = d.new_ticket(s, &["--category", "HSG"]);
        d.run_as("petro", &["assign", &n, "olena"]).ok();
    }
    d.run(&["group", "set", "HOUSING", "--auto-assign", "on"])
        .ok();
    let owners: Vec<String> = (0..5)
        .map(|i| {
            let n = d.new_ticket(&format!("No heating in flat {i}"), &["--category", "HSG"]);
            d.show(&n)["assignee"].as_str().unwrap_or("").to_string()
        })
        .collect();
    assert_eq!(owners, ["olena", "petro", "vasyl", "olena", "petro"]);
    // Petro away: he loses his turn.
    d.run(&["agent", "set", "petro", "--away", "on"]).ok();
    let n = d.new_ticket("No hot water", &["--category", "HSG"]);
    assert_eq!(d.show(&n)["assignee"], "vasyl");
    let auto = events(&d, &n, "assigned");
    assert_eq!(auto[0].2, "automatic: the next member in turn with room");
    checked(&d);
    // A rule the desk does not know is refused with its line and the choices.
    let text = std::fs::read_to_string(&cfg).expect("config");
    std::fs::write(
        &cfg,
        text.replacen("assign = \"round_robin\"\n", "assign = \"random\"\n", 1),
    )
    .expect("write");
    let r = d.run(&["list"]);
    r.fails(2, "least_loaded, round_robin");
}

#[test]
fn an_agent_away_hands_their_tickets_over_in_one_go() {
    let d = Desk::staffed();
    let mine: Vec<String> = [
        "Leak in flat 1",
        "No heating in flat 2",
        "Lift stuck in block 3",
    ]
    .iter()
    .map(|s| taken(&d, s, "olena"))
    .collect();
    // Room for one each: petro (an operator) and vasyl (the supervisor); the third goes back
    // to the queue.
    for who in ["petro", "vasyl"] {
        d.run(&["agent", "set", who, "--capacity", "1"]).ok();
    }
    let to = |v: &serde_json::Value| -> Vec<(String, String)> {
        v["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .map(|t| {
                let s = |k: &str| t[k].as_str().unwrap_or("").to_string();
                (s("number"), s("to"))
            })
            .collect()
    };
    let want = vec![
        (mine[0].clone(), "petro".to_string()),
        (mine[1].clone(), "vasyl".to_string()),
        (mine[2].clone(), String::new()),
    ];
    // The preview changes nothing; she may ask it for herself.
    let p = d
        .run_as("olena", &["--json", "agent", "away", "olena", "--preview"])
        .json();
    assert_eq!(to(&p), want);
    assert_eq!(d.show(&mine[0])["assignee"], "olena");
    let text = d
        .run_as("olena", &["agent", "away", "olena", "--preview"])
        .ok();
    assert!(
        text.contains("→ petro") && text.contains("→ the HOUSING queue"),
        "{text}"
    );
    // Not for a colleague (operators mark only themselves), not without a reason, not a
    // stranger.
    d.run_as("petro", &["agent", "away", "olena", "--reason", "x"])
        .fails(4, "supervisor");
    d.run_as("olena", &["agent", "away", "olena"])
        .fails(4, "--reason");
    d.run(&["agent", "away", "ghost", "--reason", "x"])
        .fails(3, "ghost");
    assert_eq!(d.show(&mine[0])["assignee"], "olena", "nothing half done");
    // Her supervisor marks her away: everything at once, the reason on each.
    let done = d
        .run_as(
            "vasyl",
            &["--json", "agent", "away", "olena", "--reason", "sick leave"],
        )
        .json();
    assert_eq!(to(&done), want);
    assert_eq!(d.show(&mine[0])["assignee"], "petro");
    assert_eq!(d.show(&mine[1])["assignee"], "vasyl");
    assert!(d.show(&mine[2])["assignee"].is_null());
    assert_eq!(d.show(&mine[2])["group"], "HOUSING");
    for n in &mine {
        let a = events(&d, n, "assigned");
        let last = a.last().expect("assigned");
        assert_eq!((last.0.as_str(), last.2.as_str()), ("olena", "sick leave"));
    }
    let away = |login: &str| -> bool {
        d.run(&["--json", "agent", "list"])
            .json()
            .as_array()
            .expect("agents")
            .iter()
            .any(|a| a["login"] == login && a["away"] == true)
    };
    assert!(away("olena"));
    checked(&d);
    // Back.
    d.run_as("olena", &["agent", "back", "olena"]).ok();
    assert!(!away("olena"));
    // Away keeping her tickets.
    let n = taken(&d, "Leak in flat 9", "olena");
    d.run_as("olena", &["agent", "away", "olena", "--keep"])
        .ok();
    assert!(away("olena"));
    assert_eq!(d.show(&n)["assignee"], "olena");
    checked(&d);
}

#[test]
fn a_deadline_extended_with_a_reason_moves_and_is_recorded() {
    let d = Desk::staffed();
    let n = taken(&d, "Leak in flat 4", "olena");
    let at = |v: &serde_json::Value| -> i64 {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
            .expect("RFC 3339")
            .timestamp()
    };
    // The resolution clock's due time (the ticket's own due time is the soonest of its
    // clocks, keeping in touch included).
    let resolution = |d: &Desk| -> i64 {
        let sla = d.run(&["sla", &n, "--json"]).json();
        let clocks = sla["clocks"].as_array().expect("clocks").clone();
        let c = clocks
            .iter()
            .find(|c| c["clock"] == "resolution")
            .expect("resolution");
        at(&c["due_at"])
    };
    let due = resolution(&d);
    // By default supervisors and admins extend; a reason and a duration are required.
    d.run_as(
        "olena",
        &["extend", &n, "--by", "10d", "--reason", "plumber"],
    )
    .fails(4, "supervisor");
    d.run_as("vasyl", &["extend", &n, "--by", "10d"])
        .fails(4, "--reason");
    d.run_as(
        "vasyl",
        &["extend", &n, "--by", "ten days", "--reason", "x"],
    )
    .fails(2, "ten days");
    d.run_as(
        "vasyl",
        &["extend", "HSG-0000-00000", "--by", "1d", "--reason", "x"],
    )
    .fails(2, "HSG-0000-00000");
    assert_eq!(resolution(&d), due, "nothing moved");
    let out = d
        .run_as(
            "vasyl",
            &[
                "--json",
                "extend",
                &n,
                "--by",
                "10d",
                "--reason",
                "waiting for the plumber",
            ],
        )
        .json();
    let ten_days = 10 * 86_400;
    assert_eq!(at(&out["due"]), due + ten_days);
    assert_eq!(resolution(&d), due + ten_days);
    assert_eq!(
        events(&d, &n, "extended"),
        [(
            ten_days.to_string(),
            (due + ten_days).to_string(),
            "waiting for the plumber".to_string()
        )]
    );
    let text = d
        .run_as("vasyl", &["extend", &n, "--by", "2d", "--reason", "again"])
        .ok();
    assert!(text.contains("extended by 2"), "{text}");
    assert_eq!(resolution(&d), due + ten_days + 2 * 86_400, "they add up");
    checked(&d);
    // The configuration may let operators extend their own tickets (not a colleague's).
    let cfg = d.config();
    let text = std::fs::read_to_string(&cfg).expect("config");
    let line = "extend = [\"supervisor\", \"admin\"]";
    assert!(text.contains(line));
    std::fs::write(
        &cfg,
        text.replacen(
            line,
            "extend = [\"operator\", \"supervisor\", \"admin\"]",
            1,
        ),
    )
    .expect("write");
    d.run_as(
        "olena",
        &["extend", &n, "--by", "4h", "--reason", "plumber"],
    )
    .ok();
    d.run_as(
        "petro",
        &["extend", &n, "--by", "4h", "--reason", "plumber"],
    )
    .fails(4, "olena");
    checked(&d);
}

#[test]
fn reports_count_deadline_extensions_by_group() {
    let d = Desk::staffed();
    let a = taken(&d, "Leak in flat 4", "olena");
    let b = taken(&d, "Leak in flat 5", "petro");
    let c = d.new_ticket(
        "Housing subsidy application",
        &["--category", "SOC", "--requester", "Iryna"],
    );
    let day = 86_400;
    for (n, by) in [(&a, "10d"), (&a, "2d"), (&b, "1d"), (&c, "3d")] {
        d.run(&[
            "extend",
            n,
            "--by",
            by,
            "--reason",
            "waiting for the plumber",
        ])
        .ok();
    }
    let r = d
        .run(&["report", "--by", "group", "--format", "json"])
        .json();
    let ext = |f: &serde_json::Value| {
        let e = &f["extensions"];
        (
            e["tickets"].as_i64().unwrap_or(-1),
            e["count"].as_i64().unwrap_or(-1),
            e["total_seconds"].as_i64().unwrap_or(-1),
            e["median_seconds"].as_i64(),
        )
    };
    assert_eq!(ext(&r["total"]), (3, 4, 16 * day, Some(2 * day)));
    let row = |key: &str| {
        r["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .find(|f| f["key"] == key)
            .map(ext)
    };
    assert_eq!(row("HOUSING"), Some((2, 3, 13 * day, Some(2 * day))));
    assert_eq!(row("SOCIAL"), Some((1, 1, 3 * day, Some(3 * day))));
    // The table says it in all and per group; one group's report keeps its own.
    let table = d.run(&["report", "--by", "group"]).ok();
    assert!(
        table.contains(
            "Deadlines extended in the period: 4 time(s), 3 ticket(s), 16d 0h in all (median 2d 0h)"
        ),
        "{table}"
    );
    assert!(
        table.contains("  HOUSING: 3 time(s), 2 ticket(s), 13d 0h in all (median 2d 0h)"),
        "{table}"
    );
    let social = d
        .run(&["report", "--group", "SOCIAL", "--format", "json"])
        .json();
    assert_eq!(ext(&social["total"]), (1, 1, 3 * day, Some(3 * day)));
    let csv = d.run(&["report", "--by", "group", "--format", "csv"]).ok();
    let head = csv.lines().next().unwrap_or("");
    assert!(
        head.ends_with(",extended_tickets,extensions,extension_total_s,extension_median_s"),
        "{head}"
    );
    let all = csv.lines().find(|l| l.starts_with("all,")).unwrap_or("");
    assert!(
        all.ends_with(&format!(",3,4,{},{}", 16 * day, 2 * day)),
        "{all}"
    );
    // A period with none says so; in Russian too.
    let before = d
        .run(&["report", "--from", "2020-01-01", "--to", "2020-01-31"])
        .ok();
    assert!(
        before.contains("Deadlines extended in the period: none"),
        "{before}"
    );
    let ru = common::Run::from(
        d.command()
            .env("LANG", "ru_RU.UTF-8")
            .arg("report")
            .output()
            .expect("run desk"),
    )
    .ok();
    assert!(
        ru.contains("Сроки продлены за период: 4 раз(а), обращений: 3"),
        "{ru}"
    );
}

#[test]
fn agents_have_an_optional_mail_address_for_escalations() {
    let d = Desk::staffed();
    // A bad address is refused with its line, and nothing is added.
    d.run(&[
        "agent",
        "add",
        "taras",
        "--role",
        "supervisor",
        "--mail",
        "taras at home",
    ])
    .fails(2, "taras at home");
    d.run(&[
        "agent",
        "add",
        "taras",
        "--role",
        "supervisor",
        "--group",
        "HOUSING",
        "--mail",
        "taras@Example.org",
    ])
    .ok();
    d.run(&["agent", "set", "vasyl", "--mail", "vasyl@-example.org"])
        .fails(2, "vasyl@-example.org");
    d.run(&["agent", "set", "vasyl", "--mail", "vasyl@example.org"])
        .ok();
    d.run(&["agent", "set", "nobody", "--mail", "n@example.org"])
        .fails(3, "nobody");
    let mail_of = |login: &str| -> serde_json::Value {
        let list = d.run(&["agent", "list", "--json"]).json();
        list.as_array()
            .expect("agents")
            .iter()
            .find(|a| a["login"] == login)
            .map(|a| a["mail"].clone())
            .unwrap_or_default()
    };
    assert_eq!(mail_of("taras"), "taras@example.org");
    assert_eq!(mail_of("vasyl"), "vasyl@example.org");
    assert_eq!(mail_of("olena"), serde_json::Value::Null);
    let text = d.run(&["agent", "list"]).ok();
    assert!(text.contains("✉ vasyl@example.org"), "{text}");
    // The history's chain records the address; an empty one removes it.
    checked(&d);
    d.run(&["agent", "set", "vasyl", "--mail", ""]).ok();
    assert_eq!(mail_of("vasyl"), serde_json::Value::Null);
    checked(&d);
    // An address changed outside desk is named.
    d.exec("UPDATE agents SET mail = 'eve@example.org' WHERE login = 'taras'");
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5, "{}", r.stdout);
    assert!(r.stdout.contains("taras"), "{}", r.stdout);
    d.exec("UPDATE agents SET mail = 'taras@example.org' WHERE login = 'taras'");
    checked(&d);
    // A desk that mails says who hears of escalations in the desk only (vasyl now), without
    // failing the check.
    let cfg = d.config();
    let mut text = std::fs::read_to_string(&cfg).expect("config");
    text.push_str(&format!(
        "\n[mail]\nfrom = \"desk@example.org\"\ntransport = \"dir:{}\"\n",
        d.dir.path().join("letters").display()
    ));
    std::fs::write(&cfg, text).expect("write");
    let out = d.run(&["check"]).ok();
    assert!(
        out.contains("⚠ vasyl hears of escalations (HOUSING) in the desk only"),
        "{out}"
    );
    assert!(!out.contains("⚠ taras"), "{out}");
    let json = d.run(&["check", "--json"]).json();
    assert_eq!(json["ok"], true);
    // The admin, told of the groups without a supervisor, has no address either.
    assert_eq!(out.matches("⚠ ").count(), 2, "{out}");
    assert_eq!(json["warnings"].as_array().map(Vec::len), Some(2));
}
