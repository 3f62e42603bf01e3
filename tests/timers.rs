//! The timers (`desk tick`) driven by an injected clock: each tick is the store's `tick` at a
//! chosen instant, against a real database file. Reminders, closing after waiting, what a
//! missed day does (catch-up, nothing twice), escalations and their notices; `desk check`
//! after each. The command line's own paths are in `tests/casework.rs`.

mod common;

use common::ui::*;
use desk::core::lifecycle::Fields;
use desk::core::model::{Actor, EventKind, Outcome, Priority, Role};
use desk::session::Session;
use desk::store::agents::NewAgent;

const H: i64 = 3600;
const DAY: i64 = 86_400;

/// A desk in UTC whose admin is the user running the tests (so `desk check` finds every
/// agent as the history recorded it), staffed for the timers.
fn desk_for_timers() -> Desk {
    plain_desk(None)
}

fn admin() -> String {
    desk::session::login()
}

/// The desk with a social-services operator, its supervisor and the timers' service user.
fn staffed(d: &Desk) {
    let (mut s, boss) = colleague(d, &admin());
    for (login, role) in [
        ("olena", Role::Operator),
        ("sara", Role::Supervisor),
        ("timers", Role::System),
    ] {
        let groups = if role == Role::System {
            vec![]
        } else {
            vec!["SOCIAL".to_string()]
        };
        s.store
            .add_agent(
                &s.cfg,
                &boss,
                &NewAgent {
                    login: login.into(),
                    name: login.into(),
                    role,
                    groups,
                    capacity: 20,
                    mail: None,
                },
                NOW,
            )
            .expect("agent");
    }
}

/// A SOC request from Olena K., taken by olena at `at` and in progress.
fn started(d: &Desk, subject: &str, priority: Priority, at: i64) -> String {
    let (mut s, olena) = colleague(d, "olena");
    let mut nt = phoned(subject);
    nt.requester = "Olena K.".into();
    nt.category = Some("SOC".into());
    nt.priority = Some(priority);
    let n = s
        .store
        .create(&s.cfg, &olena, &nt, at)
        .expect("create")
        .number;
    s.store
        .claim(&s.cfg, &olena, &n, None, None, at)
        .expect("claim");
    s.store
        .move_to(
            &s.cfg,
            &olena,
            &n,
            "in_progress",
            &Fields::default(),
            None,
            at,
        )
        .expect("start");
    n
}

/// The same, then put to its requester (waiting for information).
fn waiting(d: &Desk, subject: &str, at: i64) -> String {
    let n = started(d, subject, Priority::Normal, at);
    let (mut s, olena) = colleague(d, "olena");
    let ask = Fields {
        outcome: Some(Outcome::Clarification),
        reason: Some("Please send the income certificate.".into()),
        answer: None,
    };
    s.store
        .move_to(&s.cfg, &olena, &n, "waiting_info", &ask, None, at)
        .expect("ask");
    n
}

fn tick(d: &Desk, at: i64) -> desk::store::timers::TickReport {
    let (mut s, timers) = colleague(d, "timers");
    let r = s.store.tick(&s.cfg, &timers, at).expect("tick");
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    r
}

fn events(s: &Session, number: &str, kind: EventKind) -> Vec<desk::store::Event> {
    history_of(s, number, kind)
}

#[track_caller]
fn checked(d: &Desk, at: i64) {
    let (s, _) = colleague(d, &admin());
    let r = s.store.check(&s.cfg, at, None).expect("check");
    assert!(r.violations.is_empty(), "{:?}", r.violations);
}

#[test]
fn a_waiting_ticket_is_reminded_then_closed_by_the_system() {
    let d = desk_for_timers();
    staffed(&d);
    let t0 = NOW;
    let n = waiting(&d, "Housing benefit", t0);
    // Before the reminder: nothing, and when the next timer falls due.
    let r = tick(&d, t0 + 6 * DAY);
    assert!(r.reminded.is_empty() && r.closed.is_empty());
    assert_eq!(r.next, Some(t0 + 7 * DAY));
    // The reminder, once: a second tick at the same moment (or a little later) does nothing.
    let r = tick(&d, t0 + 7 * DAY + H);
    assert_eq!(r.reminded, std::slice::from_ref(&n));
    assert!(tick(&d, t0 + 7 * DAY + H).reminded.is_empty());
    assert!(tick(&d, t0 + 8 * DAY).reminded.is_empty());
    let (s, _) = colleague(&d, &admin());
    let reminded = events(&s, &n, EventKind::Reminded);
    assert_eq!(reminded.len(), 1);
    assert_eq!(reminded[0].actor.as_deref(), Some("timers"));
    // It says when the ticket will be closed: 30 days after it began to wait, and never
    // less than the 23 days of grace after the reminder (sent an hour late here).
    assert_eq!(
        reminded[0].to.as_deref(),
        Some(&*(t0 + 30 * DAY + H).to_string())
    );
    // Closed then, by the system, with the configured outcome and answer.
    assert!(tick(&d, t0 + 30 * DAY).closed.is_empty());
    let r = tick(&d, t0 + 30 * DAY + H);
    assert_eq!(r.closed, std::slice::from_ref(&n));
    let (s, _) = colleague(&d, &admin());
    let t = s
        .store
        .find(&s.cfg, &n, desk::time::date(NOW))
        .expect("ticket");
    assert_eq!(t.status, "rejected");
    assert_eq!(t.outcome, Some(Outcome::Refused));
    assert_eq!(
        t.reason.as_deref(),
        Some("Documents were not provided within 30 days.")
    );
    assert!(
        t.answer.as_deref().is_some_and(
            |a| a.starts_with(&format!("Dear Olena K., we have closed your request {n}"))
        ),
        "{:?}",
        t.answer
    );
    let status = events(&s, &n, EventKind::Status);
    assert_eq!(
        status.last().and_then(|e| e.actor.as_deref()),
        Some("timers")
    );
    assert!(tick(&d, t0 + 31 * DAY).closed.is_empty(), "closed once");
    checked(&d, t0 + 31 * DAY);
}

#[test]
fn a_missed_month_reminds_first_and_still_gives_the_grace() {
    let d = desk_for_timers();
    staffed(&d);
    let t0 = NOW;
    let n = waiting(&d, "Child benefit", t0);
    // The timers did not run for 40 days: the reminder goes now, the closing waits.
    let r = tick(&d, t0 + 40 * DAY);
    assert_eq!(r.reminded, std::slice::from_ref(&n));
    assert!(r.closed.is_empty());
    assert_eq!(
        r.next,
        Some(t0 + 63 * DAY),
        "23 days after the late reminder"
    );
    assert!(tick(&d, t0 + 62 * DAY).closed.is_empty());
    // Missed again, by a day: closed once, at the next run.
    assert_eq!(tick(&d, t0 + 64 * DAY).closed, std::slice::from_ref(&n));
    assert!(tick(&d, t0 + 64 * DAY + H).closed.is_empty());
    let (s, _) = colleague(&d, &admin());
    assert_eq!(events(&s, &n, EventKind::Reminded).len(), 1);
    checked(&d, t0 + 65 * DAY);
}

#[test]
fn an_answer_from_the_requester_stops_the_timers() {
    let d = desk_for_timers();
    staffed(&d);
    let t0 = NOW;
    let n = waiting(&d, "Pension certificate", t0);
    assert_eq!(tick(&d, t0 + 8 * DAY).reminded, std::slice::from_ref(&n));
    let (mut s, olena) = colleague(&d, "olena");
    s.store
        .move_to(
            &s.cfg,
            &olena,
            &n,
            "in_progress",
            &Fields::default(),
            None,
            t0 + 9 * DAY,
        )
        .expect("answered");
    assert!(tick(&d, t0 + 40 * DAY).closed.is_empty());
    // Asked again: a new wait, with its own reminder.
    let ask = Fields {
        outcome: Some(Outcome::Clarification),
        reason: Some("And the second page, please.".into()),
        answer: None,
    };
    s.store
        .move_to(
            &s.cfg,
            &olena,
            &n,
            "waiting_info",
            &ask,
            None,
            t0 + 40 * DAY,
        )
        .expect("ask again");
    assert!(tick(&d, t0 + 46 * DAY).reminded.is_empty());
    assert_eq!(tick(&d, t0 + 47 * DAY).reminded, std::slice::from_ref(&n));
    checked(&d, t0 + 47 * DAY);
}

#[test]
fn two_ticks_at_once_remind_once() {
    let d = desk_for_timers();
    staffed(&d);
    let t0 = NOW;
    let numbers: Vec<String> = (0..20)
        .map(|i| waiting(&d, &format!("Request {i}"), t0))
        .collect();
    let (db, config) = (d.db.clone(), d.config.clone());
    let run = move || {
        let s = session_on(&db, config.as_deref(), "timers").expect("session");
        let mut s = s;
        let a: Actor = s.store.actor("timers", None).expect("actor");
        s.store.tick(&s.cfg, &a, t0 + 8 * DAY).expect("tick")
    };
    let (a, b) = (std::thread::spawn(run.clone()), std::thread::spawn(run));
    let (a, b) = (a.join().expect("a"), b.join().expect("b"));
    assert_eq!(a.reminded.len() + b.reminded.len(), numbers.len());
    let (s, _) = colleague(&d, &admin());
    for n in &numbers {
        assert_eq!(events(&s, n, EventKind::Reminded).len(), 1, "{n}");
    }
    checked(&d, t0 + 8 * DAY);
}

#[test]
fn a_breach_is_escalated_once_to_the_groups_supervisors() {
    let d = desk_for_timers();
    staffed(&d);
    let t0 = NOW;
    let n = started(&d, "Heating allowance", Priority::Urgent, t0);
    let olena = colleague(&d, "olena").1;
    // Urgent: resolution within 8 hours; breached after that, escalated once.
    assert!(tick(&d, t0 + 5 * H).escalated.is_empty());
    let r = tick(&d, t0 + 9 * H);
    assert_eq!(r.escalated.len(), 1, "{:?}", r.escalated);
    assert_eq!(r.escalated[0].0, n);
    assert!(tick(&d, t0 + 10 * H).escalated.is_empty());
    let (mut s, sara) = colleague(&d, "sara");
    let notices = s.store.alerts(&sara, false).expect("notices");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].number, n);
    assert_eq!(
        (notices[0].clock.as_str(), notices[0].level.as_str()),
        ("resolution", "breached")
    );
    assert_eq!(s.store.unseen_alerts(sara.id()).expect("count"), 1);
    // Olena (an operator) hears nothing; sara marks hers seen.
    assert!(s.store.alerts(&olena, false).expect("none").is_empty());
    s.store
        .mark_alerts_seen(&sara, None, t0 + 11 * H)
        .expect("seen");
    assert_eq!(s.store.unseen_alerts(sara.id()).expect("count"), 0);
    assert_eq!(s.store.alerts(&sara, true).expect("all").len(), 1);
    // The alert and its being seen are the ticket's history, so the chain's.
    let alerted = events(&s, &n, EventKind::Alerted);
    assert_eq!(alerted.len(), 1);
    assert_eq!(alerted[0].actor.as_deref(), Some("timers"));
    assert_eq!(alerted[0].to.as_deref(), Some("sara"));
    let seen = events(&s, &n, EventKind::AlertSeen);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].actor.as_deref(), Some("sara"));
    checked(&d, t0 + 11 * H);
}

/// An alert written, removed or marked seen outside desk is named by `desk check`.
#[test]
fn desk_check_holds_the_alerts_to_the_history() {
    let d = desk_for_timers();
    staffed(&d);
    let t0 = NOW;
    let n = started(&d, "Heating allowance", Priority::Urgent, t0);
    assert_eq!(tick(&d, t0 + 9 * H).escalated.len(), 1);
    checked(&d, t0 + 10 * H);
    // Each change is committed outside desk, checked, then put back.
    let tamper = |sql: &str, undo: &str| -> Vec<String> {
        let mut c = d.raw();
        c.batch(sql).expect("tamper");
        let (s, _) = colleague(&d, &admin());
        let found = s.store.check(&s.cfg, t0 + 10 * H, None).expect("check");
        c.batch(undo).expect("undo");
        found.violations.iter().map(|v| format!("{v:?}")).collect()
    };
    // Seen, without the history saying so.
    let v = tamper(
        "UPDATE alerts SET seen_at = 1",
        "UPDATE alerts SET seen_at = NULL",
    );
    assert!(
        v.iter()
            .any(|v| v.contains("alert_unsaid") && v.contains(&n)),
        "{v:?}"
    );
    // Given to another agent (olena).
    let v = tamper(
        "UPDATE alerts SET agent_id = (SELECT id FROM agents WHERE login = 'olena')",
        "UPDATE alerts SET agent_id = (SELECT id FROM agents WHERE login = 'sara')",
    );
    assert!(v.iter().any(|v| v.contains("alert_unsaid")), "{v:?}");
    // Removed.
    let v = tamper(
        "CREATE TABLE keep AS SELECT * FROM alerts; DELETE FROM alerts",
        "INSERT INTO alerts SELECT * FROM keep; DROP TABLE keep",
    );
    assert!(
        v.iter()
            .any(|v| v.contains("alert_missing") && v.contains(&n)),
        "{v:?}"
    );
    checked(&d, t0 + 10 * H);
}

#[test]
fn escalations_raise_and_return_to_the_queue_as_configured() {
    let d = desk_for_timers();
    let cfg = d.config_file();
    let text = std::fs::read_to_string(&cfg).expect("config").replacen(
        "[[escalation]]\nwhen = \"breached\"\nnotify = true",
        "[[escalation]]\nwhen = \"at_risk\"\nclocks = [\"resolution\"]\nraise = true\n\n\
         [[escalation]]\nwhen = \"breached\"\nunassign = true\nnotify = true",
        1,
    );
    assert!(text.contains("when = \"at_risk\""));
    std::fs::write(&cfg, text).expect("write");
    staffed(&d);
    let t0 = NOW;
    let n = started(&d, "Disability benefit", Priority::High, t0);
    // High: resolution in 2 days, at risk with a quarter left (after 36 hours).
    let r = tick(&d, t0 + 37 * H);
    assert_eq!(r.escalated.len(), 1, "{:?}", r.escalated);
    let (s, _) = colleague(&d, &admin());
    let t = s.store.find(&s.cfg, &n, desk::time::date(NOW)).expect("t");
    assert_eq!(t.priority, Priority::Urgent, "raised one step");
    assert!(t.assignee.is_some());
    // Urgent now: its targets are shorter, but the at-risk step is not repeated for it.
    let r = tick(&d, t0 + 37 * H + 60);
    assert!(
        r.escalated
            .iter()
            .all(|(_, _, l, _)| *l == desk::core::timers::Level::Breached),
        "{:?}",
        r.escalated
    );
    let (s, _) = colleague(&d, &admin());
    let t = s.store.find(&s.cfg, &n, desk::time::date(NOW)).expect("t");
    assert!(t.assignee.is_none(), "back to the group's queue");
    let raised = events(&s, &n, EventKind::Field);
    assert_eq!(raised.len(), 1);
    assert_eq!(raised[0].actor.as_deref(), Some("timers"));
    assert!(tick(&d, t0 + 3 * DAY).escalated.is_empty());
    checked(&d, t0 + 3 * DAY);
}

#[test]
fn the_requester_is_sent_the_question_again_and_the_decision() {
    let d = desk_for_timers();
    let cfg = d.config_file();
    let mut text = std::fs::read_to_string(&cfg).expect("config");
    let letters = d._dir.path().join("letters");
    text.push_str(&format!(
        "\n[mail]\nfrom = \"City desk <desk@example.org>\"\ntransport = \"dir:{}\"\n",
        letters.display()
    ));
    std::fs::write(&cfg, text).expect("write");
    staffed(&d);
    let t0 = NOW;
    let n = waiting(&d, "Housing benefit", t0);
    let outbox = |kind: &str| -> i64 {
        d.raw().ints(&format!(
            "SELECT count(*) FROM outbox o JOIN tickets t ON t.id = o.ticket_id
             WHERE t.number = '{n}' AND o.kind = '{kind}'"
        ))[0]
    };
    assert_eq!(outbox("question"), 1, "asked");
    tick(&d, t0 + 7 * DAY);
    assert_eq!(outbox("question"), 2, "reminded: the question again");
    tick(&d, t0 + 7 * DAY + H);
    assert_eq!(outbox("question"), 2, "once");
    tick(&d, t0 + 30 * DAY);
    assert_eq!(outbox("decision"), 1, "closed: the decision");
    checked(&d, t0 + 30 * DAY);
}

/// Gives agent `login` a mail address (as the admin).
fn give_mail(d: &Desk, login: &str, mail: &str) {
    let (mut s, boss) = colleague(d, &admin());
    let ch = desk::store::agents::AgentChanges {
        mail: Some(mail.into()),
        ..Default::default()
    };
    s.store
        .update_agent(&s.cfg, &boss, login, &ch)
        .expect("mail address");
}

/// An escalation reaches a supervisor with a mail address in their mail too: one notice of
/// kind `alert` per alert, written with it — so a tick run again, or a tick catching up after
/// a day without one, mails nothing twice — never threaded with the requester's mail, and
/// delivered by `desk mail send`. A supervisor without an address has the desk's alert alone,
/// and `desk check` says so.
#[test]
fn escalations_are_mailed_once_to_supervisors_with_an_address() {
    let d = desk_for_timers();
    let cfg = d.config_file();
    let mut text = std::fs::read_to_string(&cfg).expect("config");
    let letters = d._dir.path().join("letters");
    std::fs::create_dir(&letters).expect("letters");
    text.push_str(&format!(
        "\n[mail]\nfrom = \"City desk <desk@example.org>\"\ntransport = \"dir:{}\"\n",
        letters.display()
    ));
    std::fs::write(&cfg, text).expect("write");
    staffed(&d);
    let (mut s, boss) = colleague(&d, &admin());
    s.store
        .add_agent(
            &s.cfg,
            &boss,
            &NewAgent {
                login: "taras".into(),
                name: "Taras".into(),
                role: Role::Supervisor,
                groups: vec!["SOCIAL".into()],
                capacity: 20,
                mail: None,
            },
            NOW,
        )
        .expect("taras");
    give_mail(&d, "sara", "sara@Example.ORG");
    // Before anything is due, desk check says who would hear of escalations in the desk only.
    let warned = |at: i64| -> Vec<String> {
        let (s, _) = colleague(&d, &admin());
        let r = s.store.check(&s.cfg, at, None).expect("check");
        assert!(r.violations.is_empty(), "{:?}", r.violations);
        r.warnings.iter().map(|w| w.what()).collect()
    };
    // (The admin, told of the groups without a supervisor, has no address either.)
    let w = warned(NOW);
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w.iter()
            .any(|w| w.starts_with("taras ") && w.contains("(SOCIAL)")),
        "{w:?}"
    );
    assert!(!w.iter().any(|w| w.starts_with("sara ")), "{w:?}");
    let t0 = NOW;
    let n = started(&d, "Heating allowance", Priority::Urgent, t0);
    let mailed = || -> Vec<(String, Option<String>, String, String)> {
        d.raw()
            .rows(&format!(
                "SELECT o.recipient, o.in_reply_to, o.subject, o.body FROM outbox o
                 JOIN tickets t ON t.id = o.ticket_id
                 WHERE t.number = '{n}' AND o.kind = 'alert' ORDER BY o.id"
            ))
            .into_iter()
            .map(|r| {
                let text = |i: usize| r[i].clone().unwrap_or_default();
                (text(0), r[1].clone(), text(2), text(3))
            })
            .collect()
    };
    // Breached after 8 hours; the timers did not run for a day, then twice in a row.
    assert!(tick(&d, t0 + 5 * H).escalated.is_empty());
    assert!(mailed().is_empty());
    let r = tick(&d, t0 + 9 * H + DAY);
    assert_eq!(r.escalated.len(), 1, "{:?}", r.escalated);
    assert_eq!(tick(&d, t0 + 9 * H + DAY).escalated.len(), 0);
    assert_eq!(tick(&d, t0 + 9 * H + 2 * DAY).escalated.len(), 0);
    let m = mailed();
    assert_eq!(m.len(), 1, "sara once, taras has no address: {m:?}");
    let (to, in_reply_to, subject, body) = &m[0];
    assert_eq!(to, "sara@example.org");
    assert_eq!(in_reply_to, &None, "not in the requester's thread");
    assert!(
        subject.contains(&n) && subject.contains("Resolution breached"),
        "{subject}"
    );
    assert!(body.contains("Dear sara,"), "{body}");
    assert!(body.contains("supervisors notified"), "{body}");
    // Both supervisors have the desk's alert, each their own.
    let (s, sara) = colleague(&d, "sara");
    let (_, taras) = colleague(&d, "taras");
    assert_eq!(s.store.unseen_alerts(sara.id()).expect("sara"), 1);
    assert_eq!(s.store.unseen_alerts(taras.id()).expect("taras"), 1);
    // The requester's side is untouched: nobody is asked to tell them another way.
    assert_eq!(s.store.tickets_to_inform().expect("to inform"), 0);
    // desk mail send delivers it to sara, as itself (not in the requester's name).
    let out = d
        .command()
        .args(["mail", "send"])
        .output()
        .expect("mail send");
    assert!(
        out.status.success(),
        "{} {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let letters: Vec<String> = std::fs::read_dir(&letters)
        .expect("letters")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter(|l| l.contains("sara@example.org"))
        .collect();
    assert_eq!(letters.len(), 1);
    assert!(!letters[0].contains("Olena K."), "{}", letters[0]);
    assert!(!letters[0].contains("In-Reply-To"), "{}", letters[0]);
    let notices = events(&s, &n, EventKind::Notice);
    assert!(
        notices.iter().any(|e| e.from.as_deref() == Some("alert")),
        "{notices:?}"
    );
    checked(&d, t0 + 3 * DAY);
    // With an address, taras is mailed from then on and no longer named.
    give_mail(&d, "taras", "taras@example.org");
    let w = warned(t0 + 3 * DAY);
    assert!(w.len() == 1 && !w[0].starts_with("taras "), "{w:?}");
}
