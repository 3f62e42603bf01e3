//! Case work in the terminal desk (issue 15), without a terminal: key sequences that drive the
//! app against a real database file, and snapshots of each new dialog.

mod common;

use common::ui::*;
use desk::ui::app::{App, Level};
use desk::ui::overlays::Overlay;
use ratatui::crossterm::event::KeyCode;

/// The ticket `number` highlighted in the All-open queue.
fn on(app: &mut App, number: &str) {
    app.switch_queue(desk::core::query::QueueKind::AllOpen);
    keys(app, &format!(":goto {number}"));
    key(app, KeyCode::Enter);
    key(app, KeyCode::Esc);
    assert_eq!(highlighted(app).as_deref(), Some(number));
}

fn top(app: &App) -> Option<&Overlay> {
    app.overlays.last()
}

fn tab(app: &mut App, n: usize) {
    for _ in 0..n {
        key(app, KeyCode::Tab);
    }
}

#[test]
fn correcting_a_ticket_from_the_desk() {
    for lang in ["en", "ru"] {
        let d = desk(lang, 0);
        let n = register(&d, "No heating in flat 3", None);
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            let mut app = open(&d, "boss", w, h);
            on(&mut app, &n);
            keys(&mut app, "e");
            assert!(matches!(top(&app), Some(Overlay::Edit(_))));
            // The subject's end corrected, the priority chosen by its first letter.
            key(&mut app, KeyCode::End);
            key(&mut app, KeyCode::Backspace);
            keys(&mut app, "12");
            tab(&mut app, 4);
            key(&mut app, KeyCode::Right);
            insta::assert_snapshot!(format!("edit_{lang}_{w}x{h}"), render(&app, w, h));
            key(&mut app, KeyCode::Esc);
            assert!(app.overlays.is_empty(), "Esc closes without saving");
        }
        let mut app = open(&d, "boss", 120, 40);
        on(&mut app, &n);
        keys(&mut app, "e");
        key(&mut app, KeyCode::End);
        key(&mut app, KeyCode::Backspace);
        keys(&mut app, "12");
        tab(&mut app, 4);
        key(&mut app, KeyCode::Right);
        ctrl(&mut app, 's');
        assert!(app.overlays.is_empty(), "saved: {}", message(&app));
        assert_eq!(app.message.as_ref().map(|m| m.level), Some(Level::Ok));
        let (s, _) = colleague(&d, "boss");
        let t = s
            .store
            .find(&s.cfg, &n, desk::time::date(NOW))
            .expect("ticket");
        assert_eq!(t.subject, "No heating in flat 12");
        assert_eq!(t.priority, desk::core::model::Priority::High);
        let history = s.store.history(t.id).expect("history");
        assert_eq!(
            history
                .iter()
                .filter(|e| e.kind == desk::core::model::EventKind::Field)
                .count(),
            2
        );
    }
}

#[test]
fn a_refused_correction_keeps_what_was_typed() {
    let d = desk("en", 0);
    let n = register(&d, "Leaking roof", None);
    {
        let (mut s, boss) = colleague(&d, "boss");
        s.store
            .add_agent(
                &s.cfg,
                &boss,
                &desk::store::NewAgent {
                    login: "olena".into(),
                    name: "Olena".into(),
                    role: desk::core::model::Role::Operator,
                    groups: vec!["HOUSING".into()],
                    capacity: 20,
                    mail: None,
                },
                NOW,
            )
            .expect("agent");
        s.store
            .claim(&s.cfg, &boss, &n, None, None, NOW)
            .expect("boss takes it");
    }
    let mut app = open(&d, "olena", 120, 40);
    on(&mut app, &n);
    keys(&mut app, "e");
    keys(&mut app, " in the attic");
    key(&mut app, KeyCode::Enter);
    tab(&mut app, 5);
    key(&mut app, KeyCode::Enter);
    match top(&app) {
        Some(Overlay::Edit(f)) => {
            let error = f.error.clone().unwrap_or_default();
            assert!(error.contains("boss"), "{error}");
            assert_eq!(
                f.edit(&app.ctx()).subject.as_deref(),
                Some("Leaking roof in the attic"),
                "the text stays"
            );
        }
        _ => panic!("the form stays open with the refusal"),
    }
    // Several marked: one at a time.
    key(&mut app, KeyCode::Esc);
    let mut app = open(&d, "boss", 120, 40);
    register(&d, "Second", None);
    app.switch_queue(desk::core::query::QueueKind::AllOpen);
    keys(&mut app, "A");
    keys(&mut app, "e");
    assert!(app.overlays.is_empty());
    assert!(
        message(&app).contains("one ticket at a time"),
        "{}",
        message(&app)
    );
}

/// A request registered by the admin with a contact.
fn registered(d: &Desk, subject: &str, contact: &str) -> String {
    let (mut s, boss) = colleague(d, "boss");
    let mut nt = phoned(subject);
    nt.contact = contact.into();
    s.store
        .create(&s.cfg, &boss, &nt, NOW)
        .expect("create")
        .number
}

#[test]
fn merging_and_linking_from_the_desk() {
    for lang in ["en", "ru"] {
        let d = desk(lang, 0);
        let a = registered(&d, "No heating in flat 12", "+380 67 412 1190");
        let b = registered(&d, "Heating off, flat 12", "380674121190");
        let c = registered(&d, "Repairs in block 3", "");
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            let mut app = open(&d, "boss", w, h);
            on(&mut app, &b);
            keys(&mut app, "M");
            keys(&mut app, &a);
            key(&mut app, KeyCode::Tab);
            keys(&mut app, "same flat");
            match top(&app) {
                Some(Overlay::Relate(f)) => assert!(
                    matches!(&f.found, Some(Ok(line)) if line.contains("No heating")),
                    "the other ticket is looked up as it is typed"
                ),
                _ => panic!("the merge dialog is open"),
            }
            insta::assert_snapshot!(format!("merge_{lang}_{w}x{h}"), render(&app, w, h));
            key(&mut app, KeyCode::Esc);
            keys(&mut app, "L");
            keys(&mut app, &c);
            key(&mut app, KeyCode::Tab);
            key(&mut app, KeyCode::Right);
            insta::assert_snapshot!(format!("link_{lang}_{w}x{h}"), render(&app, w, h));
            key(&mut app, KeyCode::Esc);
        }
        let mut app = open(&d, "boss", 120, 40);
        // A number nobody has: said in the dialog as it is typed; saving is refused there.
        on(&mut app, &b);
        keys(&mut app, "M");
        keys(&mut app, "HSG-2611-99999-Z");
        assert!(matches!(top(&app), Some(Overlay::Relate(f)) if matches!(f.found, Some(Err(_)))));
        ctrl(&mut app, 's');
        assert!(
            matches!(top(&app), Some(Overlay::Relate(f)) if f.error.is_some()),
            "refused, the dialog stays"
        );
        key(&mut app, KeyCode::Esc);
        // Merge B into A.
        keys(&mut app, "M");
        keys(&mut app, &a);
        key(&mut app, KeyCode::Tab);
        keys(&mut app, "same flat");
        key(&mut app, KeyCode::Enter);
        assert!(app.overlays.is_empty(), "{}", message(&app));
        assert!(message(&app).contains(&a), "{}", message(&app));
        // C is A's part.
        on(&mut app, &c);
        keys(&mut app, "L");
        keys(&mut app, &a);
        key(&mut app, KeyCode::Tab);
        key(&mut app, KeyCode::Right);
        ctrl(&mut app, 's');
        assert!(app.overlays.is_empty(), "{}", message(&app));
        // B's number now leads to A, whose pane shows B's request and the link.
        keys(&mut app, &format!(":goto {b}"));
        key(&mut app, KeyCode::Enter);
        assert_eq!(highlighted(&app).as_deref(), Some(a.as_str()));
        assert!(message(&app).contains(&b), "{}", message(&app));
        let detail = render(&app, 120, 40);
        assert!(detail.contains(&b), "{detail}");
        assert!(detail.contains(&c), "{detail}");
        if lang == "en" {
            insta::assert_snapshot!("merged_detail_en_120x40", detail);
        }
    }
}

#[test]
fn the_new_request_form_shows_likely_duplicates_before_saving() {
    let d = desk("en", 0);
    let a = registered(&d, "No heating in flat 12", "olena@example.org");
    let mut app = open(&d, "boss", 120, 40);
    keys(&mut app, "n");
    keys(&mut app, "Heating off in flat 12");
    for _ in 0..3 {
        key(&mut app, KeyCode::Tab);
    }
    keys(&mut app, "olena@example.org");
    ctrl(&mut app, 's');
    match top(&app) {
        Some(Overlay::Form(f)) => {
            assert_eq!(f.duplicates.len(), 1);
            assert_eq!(f.duplicates[0].number, a);
        }
        _ => panic!("the form stays, with the likely duplicates"),
    }
    insta::assert_snapshot!("new_duplicates_en_120x40", render(&app, 120, 40));
    // Saving again, unchanged, registers it anyway.
    ctrl(&mut app, 's');
    assert!(app.overlays.is_empty(), "{}", message(&app));
    let (s, _) = colleague(&d, "boss");
    assert_eq!(s.store.ticket_count().expect("count"), 2);
}

#[test]
fn files_from_the_desk() {
    let d = desk("en", 0);
    let n = register(&d, "Photos of the leak", None);
    let dir = tempfile::tempdir().expect("tmp");
    let photo = dir.path().join("leak.jpg");
    std::fs::write(&photo, b"JPEG...").expect("write");
    let mut app = open(&d, "boss", 120, 40);
    on(&mut app, &n);
    keys(&mut app, "f");
    assert!(matches!(top(&app), Some(Overlay::Choose(_))));
    insta::assert_snapshot!("files_empty_en_120x40", render(&app, 120, 40));
    // a: attach by path. The desk's own database is refused, and the box stays.
    keys(&mut app, "a");
    // (A desk on PostgreSQL has no database file: its configuration, then.)
    let own = match &d.config {
        None => d.db.clone(),
        Some(config) => config.clone(),
    };
    keys(&mut app, own.to_str().unwrap_or(""));
    key(&mut app, KeyCode::Enter);
    match top(&app) {
        Some(Overlay::Prompt(p)) => assert!(
            p.error
                .as_deref()
                .unwrap_or("")
                .contains("desk's own files"),
            "{:?}",
            p.error
        ),
        _ => panic!("the path box stays with the refusal"),
    }
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "f");
    keys(&mut app, "a");
    keys(&mut app, photo.to_str().unwrap_or(""));
    key(&mut app, KeyCode::Enter);
    assert!(app.overlays.is_empty(), "{}", message(&app));
    assert!(message(&app).contains("leak.jpg"), "{}", message(&app));
    assert!(
        render(&app, 120, 40).contains("leak.jpg (7 B)"),
        "listed in the ticket pane"
    );
    keys(&mut app, "f");
    insta::assert_snapshot!("files_en_120x40", render(&app, 120, 40));
    // Enter: save it, to a path offered with its name.
    key(&mut app, KeyCode::Enter);
    match top(&app) {
        Some(Overlay::Prompt(p)) => assert_eq!(p.text(), "leak.jpg"),
        _ => panic!("the save box is open"),
    }
    let out = dir.path().join("saved.jpg");
    ctrl(&mut app, 'a');
    for _ in 0..20 {
        key(&mut app, KeyCode::Delete);
    }
    keys(&mut app, out.to_str().unwrap_or(""));
    key(&mut app, KeyCode::Enter);
    assert!(app.overlays.is_empty(), "{}", message(&app));
    assert_eq!(std::fs::read(&out).expect("saved"), b"JPEG...");
}

/// A request of the social services' category from a named requester, registered by boss.
fn social(d: &Desk, subject: &str, requester: &str) -> String {
    let (mut s, boss) = colleague(d, "boss");
    let mut nt = phoned(subject);
    nt.requester = requester.into();
    nt.category = Some("SOC".into());
    s.store
        .create(&s.cfg, &boss, &nt, NOW)
        .expect("create")
        .number
}

fn history_texts(d: &Desk, number: &str, kind: desk::core::model::EventKind) -> Vec<String> {
    let (s, _) = colleague(d, "boss");
    history_of(&s, number, kind)
        .into_iter()
        .filter_map(|e| e.text)
        .collect()
}

#[test]
fn answers_from_templates_in_the_desk() {
    use desk::core::model::EventKind;
    let d = desk("en", 0);
    let a = social(&d, "Housing benefit", "Olena K.");
    let b = social(&d, "Child benefit", "Petro H.");
    let mut app = open(&d, "boss", 120, 40);
    on(&mut app, &a);
    // A reply: `::` lists the answers offered for replies; Esc puts the `::` back.
    keys(&mut app, "R");
    keys(&mut app, "Hi::");
    assert!(matches!(top(&app), Some(Overlay::Choose(_))));
    insta::assert_snapshot!("templates_reply_en_120x40", render(&app, 120, 40));
    key(&mut app, KeyCode::Esc);
    match top(&app) {
        Some(Overlay::Prompt(p)) => assert_eq!(p.text(), "Hi::"),
        _ => panic!("the reply box is back"),
    }
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    // Ctrl-T lists them too; the one chosen is filled in for the ticket and stays editable.
    ctrl(&mut app, 't');
    key(&mut app, KeyCode::Enter);
    let text = match top(&app) {
        Some(Overlay::Prompt(p)) => p.text(),
        _ => panic!("the reply box holds the answer"),
    };
    assert!(
        text.starts_with(&format!(
            "Dear Olena K., we have registered your request {a} (Housing benefit) and will answer by 2026-"
        )),
        "{text}"
    );
    key(&mut app, KeyCode::End);
    keys(&mut app, " Thank you.");
    key(&mut app, KeyCode::Enter);
    assert!(app.overlays.is_empty(), "{}", message(&app));
    let replies = history_texts(&d, &a, EventKind::Reply);
    assert_eq!(replies.len(), 1);
    assert!(
        replies[0].ends_with("Thank you.") && replies[0].contains(&a),
        "{replies:?}"
    );

    // A decision: the answers of the outcome come first; the note comes with the answer.
    let (mut s, boss) = colleague(&d, "boss");
    s.store
        .claim(&s.cfg, &boss, &a, None, None, NOW)
        .expect("claim");
    s.store
        .move_to(
            &s.cfg,
            &boss,
            &a,
            "in_progress",
            &Default::default(),
            None,
            NOW,
        )
        .expect("start");
    app.refresh(true).expect("refresh");
    keys(&mut app, "s");
    let at = match top(&app) {
        Some(Overlay::Status(f)) => f.options.iter().position(|o| o.to == "waiting_info"),
        _ => None,
    }
    .expect("waiting_info offered");
    for _ in 0..at {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "::");
    insta::assert_snapshot!("templates_decision_en_120x40", render(&app, 120, 40));
    key(&mut app, KeyCode::Enter);
    ctrl(&mut app, 's');
    assert!(app.overlays.is_empty(), "{}", message(&app));
    let (s, _) = colleague(&d, "boss");
    let t = s
        .store
        .find(&s.cfg, &a, desk::time::date(NOW))
        .expect("ticket");
    assert_eq!(t.status, "waiting_info");
    assert_eq!(
        t.reason.as_deref(),
        Some("Please send the documents listed below.")
    );
    assert!(
        t.answer
            .as_deref()
            .is_some_and(|x| x.starts_with("Dear Olena K., to decide on your request")),
        "{:?}",
        t.answer
    );

    // Several tickets at once: each answer is filled in for its own ticket.
    let mut app = open(&d, "boss", 120, 40);
    app.switch_queue(desk::core::query::QueueKind::AllOpen);
    keys(&mut app, "A");
    keys(&mut app, "R");
    ctrl(&mut app, 't');
    key(&mut app, KeyCode::Enter);
    match top(&app) {
        Some(Overlay::Prompt(p)) => assert!(p.text().contains("{number}"), "{}", p.text()),
        _ => panic!("the reply box holds the template"),
    }
    key(&mut app, KeyCode::Enter);
    assert!(app.overlays.is_empty(), "{}", message(&app));
    for (n, who) in [(&a, "Olena K."), (&b, "Petro H.")] {
        let last = history_texts(&d, n, EventKind::Reply)
            .pop()
            .unwrap_or_default();
        assert!(
            last.starts_with(&format!("Dear {who}, we have registered your request {n}")),
            "{last}"
        );
    }
}

/// Olena and Petro in HOUSING, Olena holding `subjects`; their numbers.
fn olena_holds(d: &Desk, subjects: &[&str]) -> Vec<String> {
    let (mut s, boss) = colleague(d, "boss");
    for login in ["olena", "petro"] {
        s.store
            .add_agent(
                &s.cfg,
                &boss,
                &desk::store::NewAgent {
                    login: login.into(),
                    name: login.into(),
                    role: desk::core::model::Role::Operator,
                    groups: vec!["HOUSING".into()],
                    capacity: 20,
                    mail: None,
                },
                NOW,
            )
            .expect("agent");
    }
    subjects.iter().map(|s| olena_holds_one(d, s)).collect()
}

/// The assignment pane on HOUSING with `login` highlighted.
fn on_agent(app: &mut App, login: &str) {
    while app.focus != desk::ui::app::Pane::Assign {
        key(app, KeyCode::Tab);
    }
    for _ in 0..=app.assign.groups.len() {
        if app
            .assign
            .groups
            .get(app.assign.group)
            .map(|g| g.code.as_str())
            == Some("HOUSING")
        {
            break;
        }
        keys(app, "l");
    }
    keys(app, "g");
    for _ in 0..app.assign.shown().len() {
        if app.assign.selected().map(|a| a.login.as_str()) == Some(login) {
            return;
        }
        keys(app, "j");
    }
    panic!("{login} is not in HOUSING");
}

#[test]
fn an_agent_away_and_their_queue_from_the_assignment_pane() {
    let d = desk("en", 0);
    let mine = olena_holds(&d, &["Leak in flat 1", "No heating in flat 2"]);
    let other = register(&d, "Lift stuck", None);
    let mut app = open(&d, "boss", 120, 40);
    // t: Olena's open tickets as a queue; Esc leaves it.
    on_agent(&mut app, "olena");
    keys(&mut app, "t");
    assert_eq!(app.focus, desk::ui::app::Pane::Queue);
    assert_eq!(app.queue.total, 2);
    insta::assert_snapshot!("agent_queue_en_120x40", render(&app, 120, 40));
    key(&mut app, KeyCode::Esc);
    assert!(app.queue.spec.agent.is_none());
    assert_eq!(app.queue.total, 3, "all open again ({other} too)");
    // w: where each of her tickets would go, before anything changes.
    on_agent(&mut app, "olena");
    keys(&mut app, "w");
    assert!(matches!(top(&app), Some(Overlay::Prompt(_))));
    insta::assert_snapshot!("away_en_120x40", render(&app, 120, 40));
    insta::assert_snapshot!("away_en_80x24", render(&app, 80, 24));
    let (s, _) = colleague(&d, "boss");
    let owner = |n: &str| {
        s.store
            .find(&s.cfg, n, desk::time::date(NOW))
            .expect("ticket")
            .assignee
            .map(|o| o.agent.login)
    };
    assert_eq!(owner(&mine[0]).as_deref(), Some("olena"), "a preview only");
    // A reason hands them over, all at once.
    keys(&mut app, "sick leave");
    key(&mut app, KeyCode::Enter);
    assert!(app.overlays.is_empty(), "{}", message(&app));
    assert!(
        message(&app).contains("olena is away; 2"),
        "{}",
        message(&app)
    );
    for n in &mine {
        assert_eq!(owner(n).as_deref(), Some("petro"));
    }
    assert!(
        app.assign
            .agents
            .iter()
            .any(|a| a.login == "olena" && a.away)
    );
    // w again: back.
    on_agent(&mut app, "olena");
    keys(&mut app, "w");
    assert!(message(&app).contains("olena is back"), "{}", message(&app));
    assert!(
        app.assign
            .agents
            .iter()
            .any(|a| a.login == "olena" && !a.away)
    );
    // Away with nothing typed: she keeps what she holds.
    let kept = olena_holds_one(&d, "Leak in flat 9");
    app.refresh(false).expect("refresh");
    on_agent(&mut app, "olena");
    keys(&mut app, "w");
    key(&mut app, KeyCode::Enter);
    assert!(
        message(&app).contains("olena is away; 0"),
        "{}",
        message(&app)
    );
    assert_eq!(owner(&kept).as_deref(), Some("olena"));
}

fn olena_holds_one(d: &Desk, subject: &str) -> String {
    let (mut s, olena) = colleague(d, "olena");
    let n = register(d, subject, None);
    s.store
        .claim(&s.cfg, &olena, &n, None, None, NOW)
        .expect("claim");
    n
}

/// The Stats pane says how many deadlines were extended in its period, and by how much.
#[test]
fn stats_count_deadline_extensions() {
    let d = desk("en", 0);
    let n = register(&d, "No heating in flat 3", None);
    let (mut s, boss) = colleague(&d, "boss");
    for days in [10, 2] {
        s.store
            .extend(&s.cfg, &boss, &n, days * 86_400, Some("plumber"), None, NOW)
            .expect("extend");
    }
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let mut app = open(&d, "boss", w, h);
        keys(&mut app, "S");
        let screen = render(&app, w, h);
        assert!(
            screen.contains("extended 2× on 1 ticket(s), +12d 0h"),
            "{screen}"
        );
        insta::assert_snapshot!(format!("stats_extended_{w}x{h}"), screen);
    }
}

/// Alerts in the desk: the count of those not seen beside the tabs, `!` lists them (the ones
/// not seen first), Enter opens one's ticket and marks it seen, `A` marks them all seen —
/// each seeing an event of the ticket by the person.
#[test]
fn alerts_are_listed_opened_and_marked_seen_in_the_desk() {
    use desk::core::model::{EventKind, Priority};
    for lang in ["en", "ru"] {
        let d = desk(lang, 0);
        let n = register(&d, "No heating in flat 3", Some(Priority::Urgent));
        let (mut s, boss) = colleague(&d, "boss");
        // Nobody supervises its group: the admin is told. Both clocks are breached.
        let r = s.store.tick(&s.cfg, &boss, NOW + 9 * 3600).expect("tick");
        assert_eq!(r.escalated.len(), 2, "{:?}", r.escalated);
        assert_eq!(s.store.unseen_alerts(boss.id()).expect("count"), 2);
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            let mut app = open(&d, "boss", w, h);
            assert_eq!(app.alerts, 2);
            let tabs = render(&app, w, h);
            assert!(
                tabs.lines().next().is_some_and(|l| l.contains("⚑")),
                "{tabs}"
            );
            keys(&mut app, "!");
            assert!(matches!(top(&app), Some(Overlay::Choose(_))));
            insta::assert_snapshot!(format!("alerts_{lang}_{w}x{h}"), render(&app, w, h));
            key(&mut app, KeyCode::Esc);
            assert!(app.overlays.is_empty());
        }
        let mut app = open(&d, "boss", 120, 40);
        keys(&mut app, "!");
        key(&mut app, KeyCode::Enter);
        assert!(app.overlays.is_empty(), "{}", message(&app));
        assert_eq!(highlighted(&app).as_deref(), Some(n.as_str()));
        assert_eq!(app.alerts, 1, "the one opened is seen");
        keys(&mut app, "!");
        keys(&mut app, "A");
        assert!(app.overlays.is_empty());
        assert_eq!(app.message.as_ref().map(|m| m.level), Some(Level::Ok));
        assert_eq!(app.alerts, 0);
        let tabs = render(&app, 120, 40);
        assert!(
            !tabs.lines().next().is_some_and(|l| l.contains("⚑")),
            "{tabs}"
        );
        // Seen twice, by the admin, in the ticket's history; the list keeps them, seen.
        let (s, boss) = colleague(&d, "boss");
        let seen = history_of(&s, &n, EventKind::AlertSeen);
        assert_eq!(seen.len(), 2);
        assert!(seen.iter().all(|e| e.actor.as_deref() == Some("boss")));
        assert_eq!(s.store.alerts(&boss, true).expect("all").len(), 2);
        let mut app = open(&d, "boss", 120, 40);
        keys(&mut app, "!");
        insta::assert_snapshot!(format!("alerts_seen_{lang}"), render(&app, 120, 40));
    }
}
