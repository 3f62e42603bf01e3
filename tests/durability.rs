//! Nothing lost, nothing duplicated: concurrent intake through the real binary, and writers
//! killed with SIGKILL at random moments.

mod common;

use common::{Desk, Lcg, check_invariants};
use std::collections::HashSet;
use std::process::Stdio;
use std::time::Duration;

/// 4 processes' worth of streams, 250 tickets each, all at once, all in one numbering scope:
/// 1000 tickets, numbers unique and gap-free, integrity ok, every acknowledged number stored.
#[test]
fn concurrent_intake_is_gap_free_and_collision_free() {
    let d = Desk::new();
    let streams = 4;
    let per = 250;
    let acknowledged: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..streams)
            .map(|w| {
                let d = &d;
                s.spawn(move || {
                    let mut got = Vec::new();
                    for i in 0..per {
                        let o = d
                            .command()
                            .env("DESK_BUSY_TIMEOUT_MS", "30000")
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
                        got.push(String::from_utf8_lossy(&o.stdout).trim().to_string());
                    }
                    got
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("stream"))
            .collect()
    });
    assert_eq!(acknowledged.len(), streams * per);
    let unique: HashSet<&String> = acknowledged.iter().collect();
    assert_eq!(unique.len(), streams * per, "no duplicate numbers");
    let mut c = d.raw();
    assert_eq!(
        c.ints("SELECT count(*), min(seq), max(seq) FROM tickets"),
        vec![1000, 1, 1000],
        "gap-free 1..=1000"
    );
    let stored = c.column("SELECT number FROM tickets");
    let stored: HashSet<&String> = stored.iter().collect();
    for n in &acknowledged {
        assert!(stored.contains(n), "{n} stored");
    }
    check_invariants(&d.db);
}

/// How long a command typically takes here (median of a few unkilled runs), so kill moments
/// can be spread over its whole life, from start-up to exit, on a fast or a slow machine.
fn typical_micros(d: &Desk, args: &[&str]) -> u64 {
    let mut times: Vec<u64> = (0..5)
        .map(|_| {
            let t = std::time::Instant::now();
            let _ = d.command().args(args).output();
            t.elapsed().as_micros() as u64
        })
        .collect();
    times.sort();
    times[2]
}

/// Writers killed with SIGKILL at random moments, many rounds: the database stays whole,
/// no ticket lacks its creation event, no number is skipped, and every creation that was
/// acknowledged (exit 0 with a number) is there.
#[test]
fn killed_writers_leave_no_half_ticket_and_no_gap() {
    let d = Desk::new();
    let big = "x".repeat(2 << 20);
    let mut rng = Lcg(7);
    let span = typical_micros(&d, &["new", "--subject", "timing", "--category", "SOC"]) * 3 / 2;
    let mut acknowledged = Vec::new();
    let mut killed = 0;
    let rounds = 120;
    for round in 0..rounds {
        let body = if round % 3 == 0 {
            big.as_str()
        } else {
            "short"
        };
        let mut child = d
            .command()
            .args([
                "new",
                "--subject",
                &format!("round {round}"),
                "--category",
                "SOC",
                "--body",
                "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            let _ = stdin.write_all(body.as_bytes());
        }
        std::thread::sleep(Duration::from_micros(rng.next(span)));
        // Child::kill is SIGKILL on Unix: no chance to clean up.
        let _ = child.kill();
        let out = child.wait_with_output().expect("wait");
        if out.status.success() {
            acknowledged.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
        } else {
            killed += 1;
        }
    }
    eprintln!(
        "{killed} of {rounds} writers killed, {} acknowledged",
        acknowledged.len()
    );
    assert!(
        killed > 10,
        "the test must actually kill writers ({killed} killed)"
    );
    assert!(!acknowledged.is_empty(), "and let some finish");
    check_invariants(&d.db);
    for n in &acknowledged {
        assert_eq!(d.show(n)["number"], n.as_str(), "acknowledged {n} survives");
    }
    // The desk keeps working after all that, and its own check agrees.
    let n = d.new_ticket("after the storm", &["--category", "SOC"]);
    assert!(!n.is_empty());
    check_invariants(&d.db);
    d.run(&["check"]).ok();
}

/// Every kind of write killed at random moments: claims, moves with outcomes, notes,
/// reassignments. Afterwards `desk check` finds every history consistent with its ticket.
#[test]
fn killed_actions_of_every_kind_leave_consistent_histories() {
    let d = Desk::staffed();
    let tickets: Vec<String> = (0..30)
        .map(|i| d.new_ticket(&format!("heating {i}"), &[]))
        .collect();
    let mut rng = Lcg(11);
    let mut killed = 0;
    let mut finished = 0;
    // The moment of the kill is drawn from a span that adapts to this machine's load: it
    // widens after a kill and narrows after a finish, so about half the writers are killed
    // at every stage of their work however busy the machine is; the rounds go on until
    // enough of both happened (a machine where that never happens fails the test).
    let mut span = typical_micros(&d, &["comment", &tickets[0], "timing"]) * 3 / 2;
    let mut rounds = 0;
    for round in 0..1000 {
        if round >= 150 && killed > 20 && finished > 10 {
            break;
        }
        rounds += 1;
        let n = &tickets[rng.next(tickets.len() as u64) as usize];
        let who = ["olena", "petro", "vasyl"][rng.next(3) as usize];
        let note = format!("note {round}");
        let args: Vec<&str> = match rng.next(6) {
            0 => vec!["claim", n],
            1 => vec!["move", n, "in_progress"],
            2 => vec![
                "move",
                n,
                "resolved",
                "--outcome",
                "partial",
                "--next-steps",
                "plumber on Monday",
                "--answer",
                "We are on it",
            ],
            3 => vec!["comment", n, &note],
            4 => vec!["assign", n, "petro", "--reason", "his district"],
            _ => vec!["move", n, "waiting_info", "--question", "which flat?"],
        };
        let mut child = d
            .command()
            .arg("--as")
            .arg(who)
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_micros(rng.next(span)));
        let _ = child.kill();
        if child.wait().expect("wait").success() {
            finished += 1;
            span = (span * 9 / 10).max(1);
        } else {
            killed += 1;
            span = span * 11 / 10 + 1;
        }
    }
    eprintln!("{killed} of {rounds} mixed writers killed, {finished} finished");
    assert!(
        killed > 20,
        "the test must actually kill writers ({killed})"
    );
    assert!(finished > 10, "and let some finish ({finished})");
    check_invariants(&d.db);
    let r = d.run(&["check"]);
    assert_eq!(
        r.code, 0,
        "desk check after the kills: {}{}",
        r.stdout, r.stderr
    );
}

/// A demo load killed half-way rolls back whole, and the desk is back in WAL mode.
#[test]
fn a_killed_demo_load_rolls_back_whole() {
    let d = Desk::new();
    let mut child = d
        .command()
        .args(["demo", "--tickets", "200000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(700));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        d.run(&["list", "--json", "--all"]).json(),
        serde_json::json!([])
    );
    check_invariants(&d.db);
    d.assert_wal();
    d.run(&["demo", "--tickets", "50"]).ok();
    check_invariants(&d.db);
}

/// An upgrade that builds an index over a big desk writes a long log (46 MB on the 1M demo when
/// schema 32 rebuilt the subject index). Like any other commit's, it is copied into the database
/// once it passes `WAL_PAGES`, not left for every later process to read back before its first
/// statement (about 14 ms each on the 1M demo, until the next change).
#[test]
fn an_upgrades_log_is_copied_into_the_database() {
    let d = Desk::new();
    if !common::sqlite_only(&d.db) {
        return;
    }
    // 3,000 requests whose subjects are about 500 characters: their subject index alone is some
    // 400 pages.
    let long = "heating ".repeat(61);
    let lines: String = (0..3000)
        .map(|i| {
            serde_json::json!({ "subject": format!("{long}{i}"), "category": "HSG" }).to_string()
                + "\n"
        })
        .collect();
    d.run_stdin(&["import", "-"], lines.as_bytes()).ok();
    // Back to schema 30: V31's index gone, the subject index as V27 made it.
    d.exec(
        "DROP INDEX tickets_group_number;
         DROP INDEX tickets_subject;
         CREATE INDEX tickets_subject ON tickets (lower(subject), id);
         PRAGMA user_version = 30;",
    );
    let wal = std::path::PathBuf::from(format!("{}-wal", d.db.display()));
    let before = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(before < 4096, "the downgrade left a log of {before} bytes");
    d.run(&["list", "--limit", "1"]).ok();
    // Measured before any other connection opens the desk: the last one to close copies the log.
    let after = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let bound = u64::from(desk::store::WAL_PAGES) * 4120;
    assert!(
        after < bound,
        "the upgrade left {after} bytes of log for every process to read back (bound {bound})"
    );
    assert_eq!(
        d.ints("PRAGMA user_version")[0],
        32,
        "the desk was upgraded"
    );
    check_invariants(&d.db);
}
