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
