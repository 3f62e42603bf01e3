//! Nothing lost, nothing duplicated, nothing half-written: `desk check`, backups taken while
//! others work, restores, imports, configuration installs, a read-only user, a full disk.

mod common;

use common::{Desk, check_invariants, command};
use serde_json::Value;
use std::process::Command;

fn is_root() -> bool {
    nix::unistd::getuid().is_root()
}

#[test]
fn desk_check_names_every_kind_of_damage() {
    let d = Desk::new();
    d.run(&["demo", "--tickets", "400"]).ok();
    let ok = d.run(&["check"]).ok();
    assert!(ok.starts_with("ok: 400 tickets"), "{ok}");
    assert_eq!(d.run(&["check", "--json"]).json()["ok"], true);
    let c = d.sql();
    let pick = |sql: &str| -> String { c.query_row(sql, [], |r| r.get(0)).expect("a ticket") };
    let closed = pick("SELECT number FROM tickets WHERE status = 'closed' LIMIT 1");
    let owned = pick(
        "SELECT number FROM tickets WHERE assignee_id IS NOT NULL AND status = 'in_progress' LIMIT 1",
    );
    let open = pick("SELECT number FROM tickets WHERE status = 'new' LIMIT 1");
    c.execute(
        "UPDATE tickets SET status = 'in_progress', is_open = 1 WHERE number = ?1",
        [&closed],
    )
    .expect("edit");
    c.execute(
        "UPDATE tickets SET assignee_id = NULL WHERE number = ?1",
        [&owned],
    )
    .expect("edit");
    c.execute(
        "UPDATE tickets SET outcome = 'granted' WHERE number = ?1",
        [&open],
    )
    .expect("edit");
    c.execute_batch("DROP TRIGGER events_no_update")
        .expect("drop");
    c.execute(
        "UPDATE sequences SET last = last + 1 WHERE scope = (SELECT scope FROM tickets LIMIT 1)",
        [],
    )
    .expect("gap");
    let stale = pick(
        "SELECT number FROM tickets WHERE is_open = 1 AND due_at IS NOT NULL AND status != 'new' LIMIT 1",
    );
    c.execute(
        "UPDATE tickets SET due_at = due_at + 3600 WHERE number = ?1",
        [&stale],
    )
    .expect("edit");
    // Reports' facts: one row gone, one disagreeing with its ticket.
    let factless = pick("SELECT number FROM tickets WHERE status = 'resolved' LIMIT 1");
    let recategorised = pick("SELECT number FROM tickets WHERE status = 'attributed' LIMIT 1");
    c.execute(
        "DELETE FROM facts WHERE ticket_id = (SELECT id FROM tickets WHERE number = ?1)",
        [&factless],
    )
    .expect("edit");
    c.execute(
        "UPDATE facts SET category = 'elsewhere' WHERE ticket_id = (SELECT id FROM tickets WHERE number = ?1)",
        [&recategorised],
    )
    .expect("edit");
    drop(c);
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("problem(s) found"), "{}", r.stderr);
    for needle in [
        format!("{closed}: status is in_progress but its history ends at closed"),
        format!("{owned}: is assigned to nobody but its history last gave it to"),
        format!("{open}: outcome is granted but its history says none"),
        "the trigger events_no_update protecting the history is missing".to_string(),
        "were never given, and no record says why".to_string(),
        format!("{stale}: its service-level figures differ from its history"),
        format!("{factless}: has no row of report facts"),
        format!("{recategorised}: its report facts differ from the ticket"),
    ] {
        assert!(
            r.stdout.contains(&needle),
            "check reports {needle:?}:\n{}",
            r.stdout
        );
    }
    let j = d.run(&["check", "--json"]);
    assert_eq!(j.code, 5);
    let v: Value = serde_json::from_str(&j.stdout).expect("json");
    assert_eq!(v["ok"], false);
    assert!(v["violations"].as_array().is_some_and(|a| a.len() >= 5));
}

#[test]
fn backups_are_consistent_while_others_write_and_restore_is_careful() {
    let d = Desk::new();
    d.run(&["demo", "--tickets", "300"]).ok();
    let backups = tempfile::tempdir().expect("tmp");
    let db = d.db.clone();
    // Writers keep registering tickets while the backup runs.
    let writer = std::thread::spawn(move || {
        let mut n = 0;
        for i in 0..60 {
            let o = command(&db)
                .args(["new", "--subject", &format!("during backup {i}")])
                .output()
                .expect("run");
            if o.status.success() {
                n += 1;
            }
        }
        n
    });
    let mut files = Vec::new();
    for i in 0..5 {
        let f = backups.path().join(format!("b{i}.db"));
        d.run(&["backup", f.to_str().expect("path")]).ok();
        files.push(f);
    }
    let written = writer.join().expect("writer");
    assert_eq!(written, 60);
    for f in &files {
        check_invariants(f);
        assert!(!f.with_extension("db.partial").exists());
    }
    let r = d.run(&["backup", files[0].to_str().expect("path")]);
    r.fails(2, "backups are never overwritten");
    // Restore refuses to replace tickets without --force, then does it and stays whole.
    let now: i64 = d
        .sql()
        .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
        .expect("count");
    assert_eq!(now, 360);
    let r = d.run(&["restore", files[0].to_str().expect("path")]);
    r.fails(2, "add --force");
    let restored = d
        .run(&["restore", files[0].to_str().expect("path"), "--force"])
        .ok();
    assert!(restored.starts_with("restored"), "{restored}");
    d.run(&["check"]).ok();
    let after: i64 = d
        .sql()
        .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
        .expect("count");
    assert!((300..360).contains(&after), "the backup's moment: {after}");
    let mode: String = d
        .sql()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    // The restored desk keeps numbering after its highest number.
    d.new_ticket("after restore", &[]);
    check_invariants(&d.db);
    // Restoring onto a new machine: the database does not exist yet.
    let fresh = backups.path().join("new-machine").join("desk.db");
    std::fs::create_dir_all(fresh.parent().expect("dir")).expect("dir");
    let o = command(&fresh)
        .args(["restore", files[1].to_str().expect("path")])
        .output()
        .expect("run");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    check_invariants(&fresh);
    // Bad backups are refused before anything is touched.
    let junk = backups.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, not even close").expect("write");
    let r = d.run(&["restore", junk.to_str().expect("path"), "--force"]);
    assert!(r.code == 2 || r.code == 5, "{}", r.stderr);
    d.run(&["restore", "/nonexistent.db", "--force"])
        .fails(3, "no backup file");
    check_invariants(&d.db);
}

#[test]
fn import_is_all_or_nothing_and_never_twice() {
    let d = Desk::new();
    let json = r#"[
        {"subject": "No heating", "requester": "Olena", "ref": "<m1@mail>"},
        {"subject": "Pension recalculation", "channel": "web", "priority": "high", "ref": "form-77"},
        {"subject": "Copy of a certificate"}
    ]"#;
    let out = d.run_stdin(&["import", "-"], json.as_bytes()).ok();
    let numbers: Vec<&str> = out.lines().collect();
    assert_eq!(numbers.len(), 3, "{out}");
    assert!(numbers[0].starts_with("HSG-") && numbers[1].starts_with("SOC-"));
    let t = d.show(numbers[1]);
    assert_eq!(
        (t["channel"].as_str(), t["priority"].as_str()),
        (Some("web"), Some("high"))
    );
    assert_eq!(
        d.show(numbers[2])["channel"],
        "email",
        "imports default to e-mail"
    );
    // The same messages again: nothing new for the known references.
    let again = d
        .run_stdin(&["import", "-", "--json"], json.as_bytes())
        .json();
    assert_eq!(again[0]["created"], false);
    assert_eq!(again[0]["number"], numbers[0]);
    assert_eq!(again[1]["created"], false);
    assert_eq!(again[2]["created"], true, "no reference: a new request");
    // One bad item: nothing at all is registered, and the message names it.
    let before = d
        .run(&["list", "--json", "--all"])
        .json()
        .as_array()
        .map(Vec::len);
    let bad = "{\"subject\": \"ok\"}\n{\"subject\": \"x\", \"priority\": \"sometime\"}\n";
    d.run_stdin(&["import", "-"], bad.as_bytes())
        .fails(2, "item 2");
    d.run_stdin(&["import", "-"], b"{\"subject\": \"\"}")
        .fails(2, "subject is empty");
    d.run_stdin(&["import", "-"], b"[{\"subject\": 5}]")
        .fails(2, "not valid JSON");
    d.run_stdin(&["import", "-"], b"{\"body\": \"no subject\"}")
        .fails(2, "line 1");
    d.run_stdin(&["import", "-"], b"")
        .fails(2, "holds no request");
    d.run_stdin(&["import", "-"], &[0xff, 0xfe])
        .fails(2, "not UTF-8");
    let after = d
        .run(&["list", "--json", "--all"])
        .json()
        .as_array()
        .map(Vec::len);
    assert_eq!(before, after);
    // desk new --ref is idempotent for a retrying script.
    let n = d.new_ticket("Lift broken", &["--ref", "call-1234"]);
    let r = d.run(&["new", "--subject", "Lift broken", "--ref", "call-1234"]);
    assert_eq!(r.ok(), n);
    assert!(r.stderr.contains("already registered"), "{}", r.stderr);
    check_invariants(&d.db);
}

#[test]
fn a_configuration_is_checked_before_it_is_installed() {
    let d = Desk::new();
    let cfg = d.dir.path().join("desk.toml");
    let good = std::fs::read_to_string(&cfg).expect("read");
    let ok = d.run(&["config", "check"]).ok();
    assert!(
        ok.contains("9 statuses") && ok.contains("17 transitions"),
        "{ok}"
    );
    let bad = d.dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        good.replacen("template = \"{cat}", "template = \"{kat}", 1),
    )
    .expect("write");
    d.run(&["config", "check", bad.to_str().expect("p")])
        .fails(2, "unknown token {kat}");
    d.run(&["config", "install", bad.to_str().expect("p")])
        .fails(2, "bad.toml:");
    // A configuration that drops a status tickets are in is refused.
    let n = d.new_ticket("Waiting one", &[]);
    d.run(&["claim", &n]).ok();
    d.run(&["move", &n, "in_progress"]).ok();
    d.run(&["move", &n, "waiting_info", "--question", "which flat?"])
        .ok();
    let without_waiting = good
        .replace("[[status]]\nid = \"waiting_info\"\ncategory = \"waiting\"\noutcomes = [\"clarification\"]      # the question to the requester is required\n", "")
        .replace("[[transition]]\nname = \"request_info\"\nfrom = [\"in_progress\"]\nto = \"waiting_info\"\n", "")
        .replace("[[transition]]\nname = \"info_received\"\nfrom = [\"waiting_info\"]\nto = \"in_progress\"\n", "")
        .replace("[[transition]]\nname = \"expire\"                    # the requester did not answer in time ([timers])\nfrom = [\"waiting_info\"]\nto = \"rejected\"\non = \"timer\"\n", "");
    let dropped = d.dir.path().join("dropped.toml");
    std::fs::write(&dropped, &without_waiting).expect("write");
    d.run(&["config", "check", dropped.to_str().expect("p")])
        .ok();
    d.run(&["config", "install", dropped.to_str().expect("p")])
        .fails(2, "waiting_info (1 tickets)");
    // A good change is installed atomically, the old file kept.
    let renamed = d.dir.path().join("renamed.toml");
    std::fs::write(
        &renamed,
        good.replacen("en = \"Service desk\"", "en = \"City desk\"", 1),
    )
    .expect("write");
    d.run(&["config", "install", renamed.to_str().expect("p")])
        .ok();
    assert!(
        std::fs::read_to_string(&cfg)
            .expect("read")
            .contains("City desk")
    );
    assert_eq!(
        std::fs::read_to_string(cfg.with_extension("toml.bak")).expect("bak"),
        good
    );
}

/// As root, run desk as the unprivileged user `nobody` against a desk it may read but not
/// write. Root only: `cargo test --test safety -- --ignored` (`.ci/run` does); run so by
/// anyone else it says that it cannot run here.
#[test]
#[ignore = "root only: cargo test --test safety -- --ignored"]
fn a_user_who_may_only_read_can_read() {
    if !is_root() {
        eprintln!("SKIPPED: needs root to run desk as another user (runuser)");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::set_permissions(root, std::os::unix::fs::PermissionsExt::from_mode(0o1777))
        .expect("chmod");
    let db = root.join("desk.db");
    let bin = root.join("desk");
    std::fs::copy(common::bin(), &bin).expect("copy binary");
    let o = command(&db).arg("init").output().expect("init");
    assert!(o.status.success());
    let o = command(&db)
        .args(["new", "--subject", "Readable"])
        .output()
        .expect("new");
    let number = String::from_utf8_lossy(&o.stdout).trim().to_string();
    command(&db)
        .args(["agent", "add", "nobody", "--name", "Nobody"])
        .output()
        .expect("agent");
    // The owner opens the desk to readers: the database, its configuration and the
    // write-ahead log with its index, which stay beside it between processes.
    for f in ["desk.db", "desk.toml", "desk.db-wal", "desk.db-shm"] {
        if f.starts_with("desk.db-") && !root.join(f).exists() {
            continue;
        }
        std::fs::set_permissions(
            root.join(f),
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )
        .expect("chmod");
    }
    let run = |args: &[&str]| {
        let o = Command::new("runuser")
            .args([
                "-u",
                "nobody",
                "--",
                "env",
                &format!("DESK_DB={}", db.display()),
                "LANG=C.UTF-8",
            ])
            .arg(&bin)
            .args(args)
            .output()
            .expect("runuser");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["show", &number]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("Readable"));
    let (code, _, err) = run(&["new", "--subject", "not allowed"]);
    assert_eq!(code, Some(5), "{err}");
    assert!(
        err.contains("read-only for you") && err.lines().count() == 1,
        "{err}"
    );
    let (code, _, err) = run(&["check"]);
    assert_eq!(code, Some(0), "{err}");
    // The desk itself opens read-only, says so, refuses a write with the reason, keeps running.
    if Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let sock = format!("desk-ro-{}", std::process::id());
        let tmux = |args: &[&str]| {
            let o = Command::new("tmux")
                .args(["-L", &sock])
                .args(args)
                .output()
                .expect("tmux");
            String::from_utf8_lossy(&o.stdout).into_owned()
        };
        let script = format!(
            "runuser -u nobody -- env DESK_DB={} LANG=C.UTF-8 TERM=xterm {}; echo EXITED:$?; sleep 20",
            db.display(),
            bin.display()
        );
        tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "ro",
            "-x",
            "120",
            "-y",
            "30",
            &script,
        ]);
        let wait = |needle: &str| -> String {
            for _ in 0..100 {
                let s = tmux(&["capture-pane", "-p", "-t", "ro"]);
                if s.contains(needle) {
                    return s;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let s = tmux(&["capture-pane", "-p", "-t", "ro"]);
            let _ = Command::new("tmux")
                .args(["-L", &sock, "kill-server"])
                .output();
            panic!("waited for {needle:?}:\n{s}");
        };
        wait("read-only");
        wait(&number);
        tmux(&["send-keys", "-t", "ro", "c"]);
        wait("read-only for you");
        tmux(&["send-keys", "-t", "ro", "q"]);
        wait("EXITED:0");
        let _ = Command::new("tmux")
            .args(["-L", &sock, "kill-server"])
            .output();
    }
    check_invariants(&db);
}

/// As root, a 400 KiB tmpfs fills up: the write fails with its own message, nothing is
/// half-written, and the desk keeps working once there is room. Root only, like the test
/// above.
#[test]
#[ignore = "root only: cargo test --test safety -- --ignored"]
fn a_full_disk_is_said_and_nothing_is_half_written() {
    if !is_root() {
        eprintln!("SKIPPED: needs root to mount a small tmpfs");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let mnt = dir.path().join("tiny");
    std::fs::create_dir(&mnt).expect("dir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIPPED: this machine does not allow mounting a tmpfs");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let d = Desk {
        db: mnt.join("desk.db"),
        dir: tempfile::tempdir().expect("tmp"),
        me: desk::session::login(),
    };
    d.run(&["init"]).ok();
    let first = d.new_ticket("small", &[]);
    // A desk of every table (and its write-ahead log while writing) fits; this does not.
    let big = "x".repeat(4 * 1024 * 1024);
    let r = d.run_stdin(
        &["new", "--subject", "too big", "--body", "-"],
        big.as_bytes(),
    );
    r.fails(5, "is full; nothing was written");
    check_invariants(&d.db);
    d.run(&["check"]).ok();
    assert_eq!(
        d.run(&["list", "--json"]).json().as_array().map(Vec::len),
        Some(1)
    );
    let second = d.new_ticket("small again", &[]);
    assert_ne!(first, second);
    check_invariants(&d.db);
}
