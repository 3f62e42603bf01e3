//! The detail pane reads a ticket's history a page at a time (issue 17): the latest page when
//! the ticket is selected, the page before each time the pane is scrolled to the line saying
//! older events are not read yet; a refresh keeps what was read.

mod common;

use common::ui::*;
use desk::ui::app::{App, Pane};
use ratatui::crossterm::event::KeyCode;

/// A ticket with `n` notes, "note 1" to "note N", each padded to `size` bytes.
fn noted(d: &Desk, n: usize, size: usize) -> String {
    let number = register(d, "Lift stuck", None);
    let (mut s, boss) = colleague(d, "boss");
    for i in 1..=n {
        let text = format!("note {i} {}", "x".repeat(size.saturating_sub(12)));
        s.store
            .comment(&s.cfg, &boss, &number, &text, NOW)
            .expect("note");
    }
    number
}

fn pane_lines(app: &App) -> Vec<String> {
    desk::ui::panes::detail::lines(&app.detail, &app.ctx(), "")
        .iter()
        .map(|l| l.to_string())
        .collect()
}

fn notes_shown(app: &App) -> Vec<usize> {
    app.detail
        .history
        .iter()
        .filter_map(|e| {
            e.text
                .as_deref()?
                .strip_prefix("note ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn the_latest_page_first_and_older_pages_on_scrolling() {
    let d = desk("en", 0);
    let number = noted(&d, 120, 0);
    let mut app = open(&d, "boss", 120, 40);
    assert_eq!(highlighted(&app).as_deref(), Some(number.as_str()));
    // 121 events (registered, 120 notes): the latest 50 are read.
    assert_eq!(notes_shown(&app), (71..=120).collect::<Vec<_>>());
    assert_eq!(app.detail.older, 71);
    let lines = pane_lines(&app);
    let marker = lines
        .iter()
        .position(|l| l.contains("71 earlier event(s): scroll to read them"))
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(lines[marker + 1].ends_with("note: note 71"), "{lines:?}");

    // Scrolling the pane to that line reads the page before, then the rest.
    app.focus = Pane::Detail;
    let mut steps = 0;
    while app.detail.older > 0 && steps < 100 {
        key(&mut app, KeyCode::PageDown);
        steps += 1;
    }
    assert_eq!(app.detail.older, 0, "every page read after {steps} steps");
    assert_eq!(notes_shown(&app), (1..=120).collect::<Vec<_>>());
    let (s, _) = colleague(&d, "boss");
    let t = s
        .store
        .find(&s.cfg, &number, desk::time::date(NOW))
        .expect("ticket");
    assert_eq!(app.detail.history, s.store.history(t.id).expect("history"));
    assert!(!pane_lines(&app).iter().any(|l| l.contains("earlier event")));

    // A colleague's note: the refresh keeps every page read and adds it.
    let (mut s, boss) = colleague(&d, "boss");
    s.store
        .comment(&s.cfg, &boss, &number, "note 121", NOW)
        .expect("note");
    app.refresh(true).expect("refresh");
    assert_eq!(notes_shown(&app), (1..=121).collect::<Vec<_>>());
    assert_eq!(app.detail.older, 0);
}

#[test]
fn a_page_ends_at_a_quarter_of_a_megabyte_of_text() {
    let d = desk("en", 0);
    let number = noted(&d, 5, 100_000);
    let (s, _) = colleague(&d, "boss");
    let t = s
        .store
        .find(&s.cfg, &number, desk::time::date(NOW))
        .expect("ticket");
    let page = s.store.history_page(t.id, None).expect("page");
    // Three notes pass 256 KiB: the page holds them, and says the other three events.
    assert_eq!(page.events.len(), 3);
    assert_eq!(page.older, 3);
    let before = s
        .store
        .history_before(t.id, page.events[0].id)
        .expect("before");
    assert_eq!(before.events.len(), 3);
    assert_eq!(before.older, 0);
    let whole: Vec<_> = before.events.into_iter().chain(page.events).collect();
    assert_eq!(whole, s.store.history(t.id).expect("history"));
    // From an event on: everything since, however long.
    let since = s
        .store
        .history_page(t.id, Some(whole[1].id))
        .expect("since");
    assert_eq!((since.events.len(), since.older), (5, 1));
}
