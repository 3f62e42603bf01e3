//! Load: command-line processes and headless drivers of the desk's own actions create, claim,
//! comment and move tickets at the same time for a fixed time. Afterwards every acknowledged
//! action is in the database exactly once, numbers are unique and gap-free, and `desk check`
//! finds every ticket's history consistent with its state.
//!
//! `DESK_LOAD_SECONDS` sets the duration (default 3); `bash bench/load.sh` runs it longer,
//! in release mode.

mod common;

use common::{Desk, command};
use desk::core::keys::Action;
use desk::core::query::QueueKind;
use desk::session::Session;
use desk::store::Mode;
use desk::ui::app::{App, Level};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
enum Ack {
    Created(String),
    Claimed(String, String),
    Commented(String),
    Moved(String, String, String),
}

#[derive(Default)]
struct Outcome {
    acks: Vec<Ack>,
    latencies: Vec<Duration>,
    refused: usize,
}

fn cli(d: &Desk, who: &str, args: &[&str], out: &mut Outcome) -> Option<String> {
    let t = Instant::now();
    let o = command(&d.db)
        .env("DESK_BUSY_TIMEOUT_MS", "30000")
        .arg("--as")
        .arg(who)
        .args(args)
        .output()
        .expect("run desk");
    out.latencies.push(t.elapsed());
    if o.status.success() {
        Some(String::from_utf8_lossy(&o.stdout).trim().to_string())
    } else {
        out.refused += 1;
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(
            o.status.code(),
            Some(4),
            "only rule refusals are expected under load: {err}"
        );
        None
    }
}

/// A command-line worker: registers, claims, comments, starts and sometimes resolves.
fn cli_worker(d: &Desk, who: &str, until: Instant) -> Outcome {
    let mut out = Outcome::default();
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        let Some(n) = cli(
            d,
            who,
            &["new", "--subject", &format!("heating {who} {i}")],
            &mut out,
        ) else {
            continue;
        };
        out.acks.push(Ack::Created(n.clone()));
        if cli(d, who, &["claim", &n], &mut out).is_some() {
            out.acks.push(Ack::Claimed(n.clone(), who.into()));
        } else {
            continue;
        }
        let token = format!("note-{who}-{i}");
        if cli(d, who, &["comment", &n, &token], &mut out).is_some() {
            out.acks.push(Ack::Commented(token));
        }
        if cli(d, who, &["move", &n, "in_progress"], &mut out).is_some() {
            out.acks
                .push(Ack::Moved(n.clone(), "in_progress".into(), who.into()));
            if i % 3 == 0
                && cli(
                    d,
                    who,
                    &["move", &n, "resolved", "--outcome", "granted"],
                    &mut out,
                )
                .is_some()
            {
                out.acks.push(Ack::Moved(n, "resolved".into(), who.into()));
            }
        }
    }
    out
}

/// Intake only: unassigned tickets for the desk drivers to take.
fn intake_worker(d: &Desk, until: Instant) -> Outcome {
    let mut out = Outcome::default();
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        if let Some(n) = cli(
            d,
            "boss",
            &["new", "--subject", &format!("roof leak {i}")],
            &mut out,
        ) {
            out.acks.push(Ack::Created(n));
        }
    }
    out
}

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) {
    app.on_key(KeyEvent::new(code, mods));
}

/// A headless desk: the same App and keys an operator uses, racing the others for
/// unassigned tickets.
fn desk_driver(d: &Desk, login: &str, until: Instant) -> Outcome {
    let mut out = Outcome::default();
    let mut s = Session::open(&d.db, None, Mode::Existing).expect("session");
    s.login = login.into();
    s.store
        .set_busy_timeout(Duration::from_secs(30))
        .expect("timeout");
    let mut app = App::new(
        s,
        desk::ui::theme::Theme { color: false },
        120,
        40,
        desk::session::now(),
    )
    .expect("app");
    let ok = |app: &App| app.message.as_ref().is_some_and(|m| m.level == Level::Ok);
    let mut i = 0;
    while Instant::now() < until {
        i += 1;
        app.tick(desk::session::now());
        app.switch_queue(QueueKind::Unassigned);
        let Some(target) = app.queue.selected().map(|r| r.ticket.number.clone()) else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        let t = Instant::now();
        app.act(Action::Claim);
        out.latencies.push(t.elapsed());
        if !ok(&app) {
            out.refused += 1; // a colleague was faster: refused, never overwritten
            continue;
        }
        out.acks.push(Ack::Claimed(target.clone(), login.into()));
        // Open it by number, start it, add a note.
        app.act(Action::Palette);
        for c in format!("goto {target}").chars() {
            press(&mut app, KeyCode::Char(c), KeyModifiers::NONE);
        }
        press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
        let t = Instant::now();
        app.act(Action::Status);
        press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
        press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
        out.latencies.push(t.elapsed());
        if ok(&app) {
            out.acks.push(Ack::Moved(
                target.clone(),
                "in_progress".into(),
                login.into(),
            ));
        } else {
            out.refused += 1;
        }
        let token = format!("desk-{login}-{i}");
        let t = Instant::now();
        app.act(Action::Comment);
        for c in token.chars() {
            press(&mut app, KeyCode::Char(c), KeyModifiers::NONE);
        }
        press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
        out.latencies.push(t.elapsed());
        if ok(&app) {
            out.acks.push(Ack::Commented(token));
        } else {
            out.refused += 1;
        }
        press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    }
    out
}

#[test]
fn many_writers_lose_nothing_and_duplicate_nothing() {
    let seconds: u64 = std::env::var("DESK_LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let d = Desk::new();
    // An admin called boss besides the Unix user (also an admin, as `--as` needs), added
    // through desk so that `desk check` finds the desk's people as its history recorded them.
    d.run(&["agent", "add", "boss", "--name", "me", "--role", "admin"])
        .ok();
    for (login, role) in [
        ("w1", "operator"),
        ("w2", "operator"),
        ("w3", "operator"),
        ("t1", "operator"),
        ("t2", "operator"),
    ] {
        d.run(&[
            "agent",
            "add",
            login,
            "--name",
            login,
            "--role",
            role,
            "--group",
            "HOUSING",
            "--capacity",
            "100000",
        ])
        .ok();
    }
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let mut handles = Vec::new();
        for w in ["w1", "w2", "w3"] {
            let d = &d;
            handles.push(s.spawn(move || cli_worker(d, w, until)));
        }
        handles.push(s.spawn(|| intake_worker(&d, until)));
        for t in ["t1", "t2"] {
            let d = &d;
            handles.push(s.spawn(move || desk_driver(d, t, until)));
        }
        handles
            .into_iter()
            .map(|h| h.join().expect("worker"))
            .collect()
    });
    let elapsed = started.elapsed();
    for (label, range) in [("command line", 0..4), ("desk", 4..6)] {
        let mut l: Vec<Duration> = outcomes[range]
            .iter()
            .flat_map(|o| o.latencies.iter().copied())
            .collect();
        l.sort();
        if let (Some(max), Some(p99), Some(med)) =
            (l.last(), l.get(l.len() * 99 / 100), l.get(l.len() / 2))
        {
            eprintln!(
                "  {label}: {} actions, median {:.1} ms, p99 {:.1} ms, slowest {:.1} ms",
                l.len(),
                med.as_secs_f64() * 1000.0,
                p99.as_secs_f64() * 1000.0,
                max.as_secs_f64() * 1000.0
            );
        }
    }
    let acks: Vec<&Ack> = outcomes.iter().flat_map(|o| o.acks.iter()).collect();
    let mut latencies: Vec<Duration> = outcomes
        .iter()
        .flat_map(|o| o.latencies.iter().copied())
        .collect();
    latencies.sort();
    let refused: usize = outcomes.iter().map(|o| o.refused).sum();
    let worst = latencies.last().copied().unwrap_or_default();
    let p99 = latencies
        .get(latencies.len() * 99 / 100)
        .copied()
        .unwrap_or_default();
    eprintln!(
        "load: {} acknowledged actions ({} refused by the rules) in {:.1} s = {:.0} actions/s; slowest {:.1} ms, p99 {:.1} ms, median {:.1} ms",
        acks.len(),
        refused,
        elapsed.as_secs_f64(),
        acks.len() as f64 / elapsed.as_secs_f64(),
        worst.as_secs_f64() * 1000.0,
        p99.as_secs_f64() * 1000.0,
        latencies
            .get(latencies.len() / 2)
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0,
    );
    assert!(acks.len() > 20, "the load must actually run");

    // Every acknowledged action is in the database exactly once.
    let c = d.sql();
    let one = |sql: &str, args: &[&str]| -> i64 {
        c.query_row(sql, rusqlite::params_from_iter(args.iter()), |r| r.get(0))
            .expect("query")
    };
    let mut created = 0;
    for a in &acks {
        match a {
            Ack::Created(n) => {
                created += 1;
                assert_eq!(one("SELECT count(*) FROM tickets WHERE number = ?1", &[n]), 1, "{n} stored once");
            }
            Ack::Commented(token) => {
                assert_eq!(one("SELECT count(*) FROM events WHERE kind = 'comment' AND text = ?1", &[token]), 1, "{token} once");
            }
            Ack::Claimed(n, who) => assert_eq!(
                one(
                    "SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id JOIN agents a ON a.id = e.actor_id
                     WHERE t.number = ?1 AND e.kind = 'assigned' AND e.to_value = ?2 AND a.login = ?2",
                    &[n, who]
                ),
                1,
                "{who} claimed {n} once"
            ),
            Ack::Moved(n, to, who) => assert_eq!(
                one(
                    "SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id JOIN agents a ON a.id = e.actor_id
                     WHERE t.number = ?1 AND e.kind = 'status' AND e.to_value = ?2 AND a.login = ?3",
                    &[n, to, who]
                ),
                1,
                "{who} moved {n} to {to} once"
            ),
        }
    }
    assert_eq!(
        one("SELECT count(*) FROM tickets", &[]),
        created,
        "no ticket that was not acknowledged"
    );
    let claims = acks
        .iter()
        .filter(|a| matches!(a, Ack::Claimed(..)))
        .count() as i64;
    assert_eq!(
        one("SELECT count(*) FROM events WHERE kind = 'assigned'", &[]),
        claims,
        "no claim that was not acknowledged"
    );
    drop(c);
    common::check_invariants(&d.db);
    d.run(&["check"]).ok();
}
