//! The detail pane reads a ticket's history a page at a time (issue 17): the latest page when
//! the ticket is selected, the page before each time the pane is scrolled to the line saying
//! older events are not read yet; a refresh keeps what was read.

mod common;

use common::ui::*;
use desk::ui::app::{App, Pane};
use desk::ui::draw::draw;
use desk::ui::panes::detail;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::KeyCode;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

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

/// The detail pane's rows inside its frame, as drawn.
fn pane_rows(buf: &Buffer, area: Rect) -> Vec<String> {
    let inner = Block::bordered().inner(area);
    (inner.top()..inner.bottom())
        .map(|y| {
            (inner.left()..inner.right())
                .map(|x| buf[(x, y)].symbol())
                .collect()
        })
        .collect()
}

/// The detail pane as the desk draws it, and as the whole of its text would be drawn there
/// (every line laid out and wrapped, at the same scroll).
fn drawn_and_whole(app: &App) -> (Vec<String>, Vec<String>) {
    let mut t = Terminal::new(TestBackend::new(app.width, app.height)).expect("terminal");
    t.draw(|f| draw(f, app)).expect("draw");
    let area = app.areas().detail.expect("a detail pane");
    let drawn = pane_rows(t.backend().buffer(), area);
    let mut buf = Buffer::empty(area);
    let whole = detail::lines(&app.detail, &app.ctx(), &app.detail_empty());
    Paragraph::new(whole)
        .wrap(Wrap { trim: false })
        .scroll((app.detail.scroll, 0))
        .block(Block::bordered())
        .render(area, &mut buf);
    (drawn, pane_rows(&buf, area))
}

fn builds(app: &App) -> u64 {
    app.detail.cache.borrow().builds
}

#[test]
fn the_pane_is_built_again_when_a_note_appears_or_the_width_changes() {
    let d = desk("en", 0);
    let number = noted(&d, 3, 0);
    let mut app = open(&d, "boss", 120, 40);
    let (drawn, whole) = drawn_and_whole(&app);
    assert_eq!(drawn, whole);
    let built = builds(&app);
    // Another frame with nothing changed builds nothing.
    let (again, _) = drawn_and_whole(&app);
    assert_eq!((again, builds(&app)), (drawn.clone(), built));

    // A colleague's note: the pane is built again and shows it.
    let (mut s, boss) = colleague(&d, "boss");
    s.store
        .comment(&s.cfg, &boss, &number, "the lift moves again", NOW)
        .expect("note");
    app.refresh(true).expect("refresh");
    let (shown, whole) = drawn_and_whole(&app);
    assert_eq!(builds(&app), built + 1);
    assert_eq!(shown, whole);
    assert!(
        shown.iter().any(|r| r.contains("the lift moves again")),
        "{shown:#?}"
    );

    // Narrower: laid out again for the new width.
    app.resize(100, 40);
    let (narrow, whole) = drawn_and_whole(&app);
    assert_eq!(builds(&app), built + 2);
    assert_eq!(narrow, whole);
    assert_ne!(narrow[0].chars().count(), shown[0].chars().count());
}

#[test]
fn a_huge_note_is_laid_out_a_view_at_a_time() {
    let d = desk("en", 0);
    let number = register(&d, "Lift stuck", None);
    let (mut s, boss) = colleague(&d, "boss");
    // 300 KB on one line: words w000001, w000002, …
    let words: Vec<String> = (1..=37_500).map(|i| format!("w{i:06}")).collect();
    s.store
        .comment(&s.cfg, &boss, &number, &words.join(" "), NOW)
        .expect("note");
    let mut app = open(&d, "boss", 120, 40);
    assert_eq!(highlighted(&app).as_deref(), Some(number.as_str()));
    let (drawn, whole) = drawn_and_whole(&app);
    assert_eq!(
        drawn, whole,
        "the rows on screen are those of the whole text"
    );
    assert!(drawn.iter().any(|r| r.contains("w000001")), "{drawn:#?}");
    // Only about a view's worth of the note is laid out, and a line says there is more.
    let kept = app.detail.cache.borrow().text();
    let cells: usize = kept.iter().map(|l| l.chars().count()).sum();
    let inner = Block::bordered().inner(app.areas().detail.expect("pane"));
    let bound = detail::bound(0, inner.height, inner.width);
    assert!(cells < bound + 100, "{cells} cells laid out, bound {bound}");
    assert!(cells < 300_000 / 10);
    assert_eq!(
        kept.last().map(String::as_str),
        Some("⋯ more below: scroll on to read it")
    );
    assert!(!drawn.iter().any(|r| r.contains("more below")));

    // Scrolling on lays out more, exactly as the whole text reads there.
    app.focus = Pane::Detail;
    let last_word = |rows: &[String]| {
        rows.iter()
            .flat_map(|r| r.split_whitespace())
            .filter_map(|w| w.strip_prefix('w')?.parse::<u32>().ok())
            .max()
            .unwrap_or(0)
    };
    let mut seen = last_word(&drawn);
    for _ in 0..5 {
        key(&mut app, KeyCode::PageDown);
        let (drawn, whole) = drawn_and_whole(&app);
        assert_eq!(drawn, whole, "at scroll {}", app.detail.scroll);
        let now = last_word(&drawn);
        assert!(now > seen, "{now} after {seen}: {drawn:#?}");
        seen = now;
    }
}
