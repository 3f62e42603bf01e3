//! Saved queues and the desk's filter: `[[queue]]` of desk.toml checked by `desk config
//! check`, listed by `desk list --queue` and opened in the desk (the picker, `:queue`), a
//! parameter asked for; the desk's `/` and `:filter` read the query language and give the
//! tickets `desk list --query` gives.

mod common;

use common::ui::*;
use desk::core::query::Query;
use desk::store::query::Start;
use desk::ui::app::App;
use desk::ui::overlays::Overlay;
use ratatui::crossterm::event::KeyCode;

/// The numbers the queue pane reads now, in its order (the whole queue).
fn pane(app: &App) -> Vec<String> {
    let s = &app.session;
    let q: Query = app.queue.spec.query();
    s.store
        .query_page(&s.cfg, &q, &app.queue.viewer, Start::Top, 0)
        .expect("page")
        .into_iter()
        .map(|r| r.ticket.number)
        .collect()
}

/// A demo desk made through the binary (its admin the user running the tests, who may act
/// as anyone with `--as`), and the terminal desk opened on it as `login`.
fn desk_and_app(tickets: usize, login: &str) -> (common::Desk, App) {
    let d = common::Desk::new();
    d.run(&["demo", "--tickets", &tickets.to_string()]).ok();
    let s = desk::session::Session::open_for(&d.db, None, desk::store::Mode::Existing, login)
        .expect("session");
    let app = App::new(
        s,
        desk::ui::theme::Theme { color: false },
        120,
        40,
        desk::session::now(),
    )
    .expect("app");
    (d, app)
}

/// `desk list` through the binary, as `login`, every ticket in its order.
fn list(d: &common::Desk, login: &str, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--as", login, "--json", "list", "--limit", "0"];
    all.extend_from_slice(args);
    d.run(&all).numbers()
}

/// What a prompt or the footer says.
fn said(app: &App) -> String {
    match app.overlay() {
        Some(Overlay::Prompt(p)) => p.error.clone().unwrap_or_default(),
        _ => message(app),
    }
}

#[test]
fn the_desks_filter_and_the_command_line_give_the_same_tickets() {
    let (d, mut app) = desk_and_app(400, "opetrenko");
    use desk::core::query::QueueKind;
    // The open tickets, most urgent first; every ticket, newest first (the search index's own
    // order).
    for (kind, flags, queries) in [
        (
            QueueKind::AllOpen,
            &[][..],
            &[
                "heating",
                "priority>=high",
                "status:new,attributed heat",
                "(sla:at-risk OR priority:urgent) group:HOUSING",
                "created<30d \"no heating\" OR subsidy",
            ][..],
        ),
        (
            QueueKind::All,
            &["--all", "--sort", "age", "--reverse"][..],
            &[
                "квартира",
                "note:accounting -assignee:none",
                "is:done heating OR reply:thursday",
                "assignee:me",
            ][..],
        ),
    ] {
        app.switch_queue(kind);
        for q in queries {
            keys(&mut app, ":filter ");
            keys(&mut app, q);
            key(&mut app, KeyCode::Enter);
            assert_eq!(app.queue.spec.text, *q, "{}", said(&app));
            let desk_side = pane(&app);
            let mut args = flags.to_vec();
            args.extend(["--query", q]);
            assert!(!desk_side.is_empty(), "{q}: an empty answer proves nothing");
            assert_eq!(desk_side, list(&d, "opetrenko", &args), "{q}");
        }
    }
    app.switch_queue(QueueKind::AllOpen);
    // The same through `/`, typed: it applies after a pause, Enter keeps it.
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "/");
    keys(&mut app, "status:new,attributed heat");
    app.settle_filter(true);
    let typed = pane(&app);
    key(&mut app, KeyCode::Enter);
    assert!(app.overlay().is_none());
    assert_eq!(typed, pane(&app));
    assert_eq!(
        typed,
        list(&d, "opetrenko", &["--query", "status:new,attributed heat"])
    );
}

#[test]
fn a_mistake_in_the_filter_is_said_where_it_is_and_changes_nothing() {
    let d = desk("en", 300);
    let mut app = open(&d, "boss", 120, 40);
    app.switch_queue(desk::core::query::QueueKind::AllOpen);
    keys(&mut app, "/heating");
    app.settle_filter(true);
    let heating = pane(&app);
    assert!(!heating.is_empty());
    // Typing on: a mistake on the way is said in the box, the queue stays as it was.
    keys(&mut app, " stauts:new");
    app.settle_filter(true);
    assert_eq!(pane(&app), heating);
    assert!(
        said(&app).contains("column 9: there is no field 'stauts'; did you mean status?"),
        "{}",
        said(&app)
    );
    insta::assert_snapshot!("filter_mistake_en_120x40", render(&app, 120, 40));
    // Enter on a mistake keeps the box open, with the text typed.
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay(), Some(Overlay::Prompt(_))));
    for _ in 0..11 {
        key(&mut app, KeyCode::Backspace);
    }
    key(&mut app, KeyCode::Enter);
    assert!(app.overlay().is_none());
    assert_eq!(app.queue.spec.text, "heating");
    assert_eq!(pane(&app), heating);
    // `:filter` with a mistake: said below, nothing changed.
    keys(&mut app, ":filter (a");
    key(&mut app, KeyCode::Enter);
    assert!(message(&app).contains("column 1"), "{}", message(&app));
    assert_eq!(app.queue.spec.text, "heating");
}

#[test]
fn saved_queues_open_from_the_picker_and_the_palette_asking_for_their_parameters() {
    // The built-in configuration's saved queues follow the built-in ones.
    let boss = desk("en", 300);
    let mut app = open(&boss, "boss", 120, 40);
    keys(&mut app, "v");
    insta::assert_snapshot!("picker_saved_en_120x40", render(&app, 120, 40));
    let (d, mut app) = desk_and_app(400, "opetrenko");
    keys(&mut app, "v");
    for _ in 0..8 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    assert!(app.overlay().is_none());
    assert_eq!(
        app.queue.spec.saved.as_ref().map(|s| s.title.as_str()),
        Some("Urgent, nobody's")
    );
    assert_eq!(
        pane(&app),
        list(
            &d,
            "opetrenko",
            &["--query", "is:open assignee:none priority>=high"]
        )
    );
    assert_eq!(
        pane(&app),
        list(&d, "opetrenko", &["--queue", "urgent, NOBODY'S"])
    );
    // A parameter: asked for; a login the desk does not know is said, and asked again.
    keys(&mut app, "v");
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Enter);
    let Some(Overlay::Prompt(p)) = app.overlay() else {
        panic!("a value is asked for")
    };
    assert_eq!(p.title, "Agent's open");
    keys(&mut app, "opetrenkko");
    key(&mut app, KeyCode::Enter);
    assert!(
        said(&app).contains("assignee has no value 'opetrenkko'; did you mean opetrenko?"),
        "{}",
        said(&app)
    );
    // The box alone: the desk behind it is a demo of today's date.
    let screen = render(&app, 120, 40);
    let the_box: Vec<String> = screen
        .lines()
        .skip(16)
        .take(7)
        .map(|l| l.chars().skip(26).take(70).collect())
        .collect();
    insta::assert_snapshot!("saved_param_en_120x40", the_box.join("\n"));
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "v");
    key(&mut app, KeyCode::End);
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "opetrenko");
    key(&mut app, KeyCode::Enter);
    assert!(app.overlay().is_none(), "{}", said(&app));
    let mine = list(&d, "opetrenko", &["--mine"]);
    assert!(!mine.is_empty());
    assert_eq!(pane(&app), mine);
    assert_eq!(
        pane(&app),
        list(
            &d,
            "opetrenko",
            &["--queue", "Agent's open", "--param", "agent=opetrenko"]
        )
    );
    let screen = render(&app, 120, 40);
    assert!(screen.contains("Agent's open · opetrenko"), "{screen}");
    // The palette, with the value after the name; a filter narrows a saved queue too.
    keys(&mut app, ":queue waiting a week");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        pane(&app),
        list(
            &d,
            "opetrenko",
            &[
                "--query",
                "is:waiting updated>7d",
                "--sort",
                "updated",
                "--reverse"
            ]
        )
    );
    keys(&mut app, ":queue agent's open lbondar");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, ":filter priority>=high");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        pane(&app),
        list(&d, "lbondar", &["--mine", "--query", "priority>=high"])
    );
    keys(&mut app, ":queue nowhere");
    key(&mut app, KeyCode::Enter);
    assert!(
        message(&app).contains("no queue 'nowhere'"),
        "{}",
        message(&app)
    );
    // A built-in queue again: its tab is lit, the saved one is gone.
    keys(&mut app, "4");
    assert!(app.queue.spec.saved.is_none());
}

#[test]
fn saved_queues_are_checked_with_their_line_and_listed_by_name() {
    let d = common::Desk::staffed();
    let cfg = |extra: &str| {
        let path = d.dir.path().join("queues.toml");
        std::fs::write(&path, format!("{}\n{extra}", desk::core::config::BUILTIN)).expect("write");
        path
    };
    let check = |extra: &str| d.run(&["config", "check", cfg(extra).to_str().expect("path")]);
    let line = desk::core::config::BUILTIN.lines().count() + 2;
    check("[[queue]]\nname = \"Mine late\"\nquery = \"assignee:me stauts:new\"").fails(
        2,
        &format!(
            "queues.toml:{line}: [[queue]] 'Mine late': query, column 13: there is no field 'stauts'"
        ),
    );
    check("[[queue]]\nname = \"open\"\nquery = \"is:open\"")
        .fails(2, "[[queue]] 'open' is the name of a built-in queue");
    check("[[queue]]\nname = \"Urgent, NOBODY'S\"\nquery = \"is:open\"")
        .fails(2, "[[queue]] 'Urgent, NOBODY'S' is declared twice");
    check("[[queue]]\nname = \"X\"\nquery = \"is:open\"\nsort = \"size\"")
        .fails(2, "[[queue]] 'X': 'size' is not an order");
    check("[[queue]]\nname = \"X\"\nquery = \"group:{g} category:{c}\"\nsort = \"due\"").ok();
    // Listed by name, with its parameters.
    let n = d.new_ticket("Broken bench", &["--category", "HSG"]);
    d.run(&["assign", &n, "olena"]).ok();
    let numbers = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["list", "--json", "--limit", "0"];
        all.extend_from_slice(args);
        d.run(&all).numbers()
    };
    assert_eq!(
        numbers(&["--queue", "agent's open", "--param", "agent=olena"]),
        vec![n.clone()]
    );
    assert_eq!(
        numbers(&[
            "--queue",
            "agent's open",
            "--param",
            "agent=olena",
            "--category",
            "GEN"
        ]),
        Vec::<String>::new()
    );
    d.run(&["list", "--queue", "agent's open"]).fails(
        2,
        "the saved queue 'Agent's open' needs a value for {agent} (--param agent=VALUE)",
    );
    d.run(&["list", "--queue", "agent's open", "--param", "who=olena"])
        .fails(
            2,
            "the saved queue 'Agent's open' has no parameter who (it has: agent)",
        );
    d.run(&["list", "--queue", "agent's open", "--param", "olena"])
        .fails(2, "'olena' is not NAME=VALUE");
    d.run(&["list", "--queue", "agent's open", "--param", "agent=nobody"])
        .fails(2, "assignee has no value 'nobody'");
    d.run(&["list", "--queue", "nowhere"]).fails(
        2,
        "there is no saved queue 'nowhere' (saved: Urgent, nobody's, Waiting a week, Agent's open)",
    );
    d.run(&["list", "--param", "agent=olena"])
        .fails(2, "--queue");
}

/// `[[queue]]` names given per language: the desk shows them in the reader's language,
/// `desk list --queue` and `:queue` take any of them, and each is checked like a name.
#[test]
fn saved_queues_are_named_in_the_readers_language() {
    let d = common::Desk::staffed();
    let n = d.new_ticket("Broken bench", &["--category", "HSG"]);
    d.run(&["assign", &n, "olena"]).ok();
    let ru = |args: &[&str]| {
        common::Run::from(
            common::command(&d.db)
                .env("LANG", "ru_RU.UTF-8")
                .args(args)
                .output()
                .expect("run desk"),
        )
    };
    // In Russian by its Russian name (any case), and by its English one; in English by either.
    let by = |run: &common::Run| run.numbers();
    let all = [
        "--json",
        "list",
        "--limit",
        "0",
        "--param",
        "agent=olena",
        "--queue",
    ];
    for (lang_ru, name) in [
        (true, "открытые ИСПОЛНИТЕЛЯ"),
        (true, "Agent's open"),
        (false, "Відкриті виконавця"),
    ] {
        let args: Vec<&str> = all.iter().copied().chain([name]).collect();
        let got = if lang_ru {
            by(&ru(&args))
        } else {
            by(&d.run(&args))
        };
        assert_eq!(got, vec![n.clone()], "{name}");
    }
    // An unknown name is answered with the names in the reader's language.
    ru(&["list", "--queue", "nowhere"]).fails(2, "Срочные без исполнителя, Ждут неделю");
    d.run(&["list", "--queue", "nowhere"])
        .fails(2, "Urgent, nobody's, Waiting a week");
    // Each name is checked: another queue's name in any language, a built-in queue's, a
    // language the desk does not speak.
    let check = |extra: &str| {
        let path = d.dir.path().join("queues.toml");
        std::fs::write(&path, format!("{}\n{extra}", desk::core::config::BUILTIN)).expect("write");
        d.run(&["config", "check", path.to_str().expect("path")])
    };
    check("[[queue]]\nname = { en = \"Late\", ru = \"ждут неделю\" }\nquery = \"is:open\"")
        .fails(2, "[[queue]] 'ждут неделю' is declared twice");
    check("[[queue]]\nname = { en = \"Late\", uk = \"open\" }\nquery = \"is:open\"")
        .fails(2, "[[queue]] 'open' is the name of a built-in queue");
    check("[[queue]]\nname = { en = \"Late\", de = \"Spät\" }\nquery = \"is:open\"").fails(2, "de");
    check("[[queue]]\nname = { en = \"Late\", ru = \"Поздние\" }\nquery = \"is:open\"").ok();
    // The desk in Russian: the list and :queue by the Russian name.
    let boss = desk("ru", 60);
    let mut app = open(&boss, "boss", 120, 40);
    keys(&mut app, "v");
    let screen = render(&app, 120, 40);
    assert!(screen.contains("Ждут неделю"), "{screen}");
    key(&mut app, KeyCode::Esc);
    keys(&mut app, ":queue ждут неделю");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.queue.spec.saved.as_ref().map(|s| s.title.as_str()),
        Some("Ждут неделю"),
        "{}",
        message(&app)
    );
}

/// The numbers of the rows the queue pane holds in memory.
fn held(app: &App) -> Vec<String> {
    app.queue
        .rows
        .iter()
        .map(|r| r.ticket.number.clone())
        .collect()
}

/// A filter is counted in the reading of its rows when it keeps few tickets (issue 17: on a
/// million tickets counting a common word's tickets walked the text index's hits once, and
/// reading the page walked them again): the pane holds every ticket it keeps, moving to its
/// end reads nothing more, and the count is theirs; one that keeps more is counted apart.
#[test]
fn a_filter_keeping_few_tickets_is_read_whole_and_counted_by_its_rows() {
    use desk::core::query::QueueKind;
    let (d, mut app) = desk_and_app(600, "opetrenko");
    app.switch_queue(QueueKind::All);
    keys(&mut app, ":filter priority>=high");
    key(&mut app, KeyCode::Enter);
    let whole = pane(&app);
    assert!(
        whole.len() > 2 * app.queue.height && whole.len() <= 500,
        "{} tickets: more than a screen, fewer than the bound",
        whole.len()
    );
    assert_eq!(app.queue.total, whole.len() as i64);
    assert_eq!(held(&app), whole);
    keys(&mut app, "G");
    assert_eq!(highlighted(&app).as_ref(), whole.last());
    assert_eq!(held(&app), whole, "the queue stays whole");
    keys(&mut app, "g");
    assert_eq!(highlighted(&app).as_ref(), whole.first());
    assert_eq!(
        whole,
        list(
            &d,
            "opetrenko",
            &[
                "--all",
                "--sort",
                "age",
                "--reverse",
                "--query",
                "priority>=high"
            ]
        )
    );

    // More than the bound: counted apart, and the pane keeps a window.
    keys(&mut app, ":filter -priority:urgent");
    key(&mut app, KeyCode::Enter);
    let whole = pane(&app);
    assert!(whole.len() > 500, "{}", whole.len());
    assert_eq!(app.queue.total, whole.len() as i64);
    keys(&mut app, "G");
    assert_eq!(highlighted(&app).as_ref(), whole.last());
    assert!(app.queue.rows.len() < whole.len());
}
