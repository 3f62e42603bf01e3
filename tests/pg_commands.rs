//! The commands that read a whole desk, on PostgreSQL as on SQLite (issue 18): the same demo
//! desk made on both (`desk demo` writes the same tickets for the same day), then each
//! command's answer compared — search and the query language's text (words, every form of a
//! word, phrases, negation, OR, a field beside a word, numbers), paged and counted. Without
//! the test PostgreSQL cluster the test says SKIPPED on stderr (a failure under
//! `DESK_TEST_PG=require`).

mod common;

use common::Desk;

/// The same demo desk on SQLite and on PostgreSQL; None (said) without PostgreSQL.
fn both(tickets: usize) -> Option<(Desk, Desk)> {
    let pg = Desk::postgres()?;
    let lite = Desk::sqlite();
    for d in [&lite, &pg] {
        d.run(&["demo", "--tickets", &tickets.to_string()]).ok();
    }
    Some((lite, pg))
}

/// A JSON answer's tickets: number and, for a search, the words shown around the match.
fn answer(d: &Desk, args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.push("--json");
    d.run(&all)
        .json()
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| format!("{} {}", t["number"], t["match"]))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn search_and_text_queries_find_on_postgresql_what_they_find_on_sqlite() {
    let Some((lite, pg)) = both(300) else {
        return;
    };
    // A ticket of Cyrillic and accented words, a note, a reply, an edited subject.
    for d in [&lite, &pg] {
        let a = d.new_ticket(
            "Котёл не работает",
            &["--body", "В КВАРТИРЕ холодно, батареи ледяные"],
        );
        let c = d.new_ticket("Broken boiler", &["--requester", "Zbigniew Café"]);
        d.run(&["comment", &a, "Called the plumber: waiting for the part"])
            .ok();
        d.run(&["reply", &c, "Плановий ремонт опалювальної системи"])
            .ok();
        d.run(&["edit", &c, "--subject", "Boilers leaking on the stairs"])
            .ok();
    }
    let number = lite
        .run(&["list", "--all", "--limit", "1", "--json"])
        .numbers()[0]
        .clone();
    let plain: String = number.chars().filter(char::is_ascii_alphanumeric).collect();
    let queries = [
        "heating",
        "HEATING flat",
        "квартира",
        "квартирі OR семьи",
        "котёл",
        "котел",
        "батарея",
        "plumber",
        "note:plumber",
        "reply:ремонт",
        "subject:leaking",
        "subject:broken",
        "cafe",
        "requester:zbigniew",
        "requester:koval",
        "contact:koval",
        "\"no heating\"",
        "body:\"батареи ледяные\"",
        "\"was not actually\"",
        "repair needs",
        "repair -needs",
        "-repair",
        "repair OR koval",
        "(repair OR fee) -koval",
        "is:open -heating",
        "is:open heating",
        "status:closed repair",
        "a",
        number.as_str(),
        plain.as_str(),
        &plain.to_lowercase(),
    ];
    let mut found = 0;
    for q in queries {
        let list = ["list", "--all", "--limit", "0", "--query", q];
        let (want, got) = (answer(&lite, &list), answer(&pg, &list));
        assert_eq!(got, want, "desk list --query {q:?}");
        found += usize::from(!want.is_empty());
    }
    assert!(found > 20, "most queries find something: {found}");
    for words in [
        &["repair"][..],
        &["koval"],
        &["needs", "repair"],
        &["note:repair", "-koval"],
        &["квартирі"],
        &[number.as_str()],
    ] {
        for paging in [
            &[][..],
            &["--limit", "5"],
            &["--limit", "5", "--offset", "5"],
            &["--reverse"],
            &["--open"],
        ] {
            let mut args = vec!["search"];
            args.extend_from_slice(paging);
            args.extend_from_slice(words);
            assert_eq!(answer(&pg, &args), answer(&lite, &args), "desk {args:?}");
        }
        // Ranked: the same tickets, the best first (PostgreSQL weighs the parts that hold a
        // word, not BM25, so equals may come in another order).
        let mut args = vec!["search", "--rank", "--limit", "0"];
        args.extend_from_slice(words);
        let (mut want, mut got) = (answer(&lite, &args), answer(&pg, &args));
        want.sort();
        got.sort();
        assert_eq!(got, want, "desk {args:?}");
    }
    // What is counted past a page, and a mistake, said as on SQLite.
    for args in [&["search", "--limit", "3", "repair"][..], &["search", "a:"]] {
        let (want, got) = (lite.run(args), pg.run(args));
        assert_eq!((got.code, got.stderr), (want.code, want.stderr), "{args:?}");
    }
}

/// `desk check` on PostgreSQL: a sound desk passes, as its owner and as the program's role;
/// then what only the database's superuser could do behind the desk's back is found — an
/// event rewritten with its trigger disabled (the chain breaks there), a trigger against
/// TRUNCATE dropped, the triggers' function given to another role, UPDATE on the history
/// granted to the program's role.
#[test]
fn desk_check_verifies_the_history_and_its_protection_on_postgresql() {
    use common::pg;
    let Some(db) = pg::db() else {
        return;
    };
    let Some(cluster) = pg::cluster() else {
        return;
    };
    let d = Desk {
        dir: tempfile::tempdir().expect("temp dir"),
        db: std::path::PathBuf::from(&db.url),
        me: desk::session::login(),
    };
    d.run(&["init"]).ok();
    d.run(&["demo", "--tickets", "40"]).ok();
    let app = Desk {
        dir: tempfile::tempdir().expect("temp dir"),
        db: std::path::PathBuf::from(&db.app_url),
        me: d.me.clone(),
    };
    // The program's role reads the same desk with the owner's configuration.
    let as_app = |args: &[&str]| {
        common::Run::from(
            common::command(&app.db)
                .env("HOME", d.dir.path())
                .args(args)
                .output()
                .expect("run desk"),
        )
    };
    let ok = d.run(&["check"]).ok();
    assert!(ok.starts_with("ok: 40 tickets"), "{ok}");
    assert!(as_app(&["check"]).ok().starts_with("ok: 40 tickets"));
    let event: i64 = d.ints("SELECT min(id) + 7 FROM events")[0];
    cluster.admin(
        &db.name,
        &format!(
            "ALTER TABLE events DISABLE TRIGGER events_no_update;
             UPDATE events SET text = 'rewritten' WHERE id = {event};
             DROP TRIGGER blobs_no_truncate ON blobs;
             ALTER FUNCTION desk_refuse() OWNER TO postgres;
             GRANT UPDATE ON events TO desk_app;"
        ),
    );
    for r in [d.run(&["check"]), as_app(&["check"])] {
        assert_ne!(r.code, 0, "{}", r.stdout);
        let said = format!("{}{}", r.stdout, r.stderr);
        for needle in [
            "events_no_update protecting the history is disabled",
            "blobs_no_truncate protecting the history is missing",
            "desk_refuse() belongs to postgres, not to the schema's owner desk_owner",
            &format!("event {event}"),
        ] {
            assert!(said.contains(needle), "{needle}: {said}");
        }
    }
    let r = as_app(&["check"]);
    let said = format!("{}{}", r.stdout, r.stderr);
    assert!(
        said.contains("desk_app, the role this desk runs as, may UPDATE events"),
        "{said}"
    );
    assert!(!d.run(&["check"]).stdout.contains("may UPDATE"));
}

/// Two answers alike: the same shape and texts, numbers within what a second between the two
/// demos and the two runs can move (time in a status grows while a ticket waits).
fn alike(a: &serde_json::Value, b: &serde_json::Value, at: &str) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys = |o: &serde_json::Map<String, Value>| o.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(x), keys(y), "{at}");
            for (k, v) in x {
                alike(v, &y[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                alike(v, w, &format!("{at}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            assert!(
                (x - y).abs() <= 2.0 + x.abs().max(y.abs()) / 500.0,
                "{at}: {x} and {y}"
            );
        }
        (Value::String(x), Value::String(y)) if at.ends_with("_at") => {
            // Times of the demos' tickets: a second or two apart.
            assert_eq!(x.get(..15), y.get(..15), "{at}");
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

/// `desk report` on PostgreSQL gives the figures SQLite gives, in every form: each breakdown,
/// a group, a period, JSON and CSV.
#[test]
fn desk_report_gives_on_postgresql_the_figures_it_gives_on_sqlite() {
    let Some((lite, pg)) = both(300) else {
        return;
    };
    for by in ["", "group", "category", "agent", "channel", "priority"] {
        for extra in [&[][..], &["--group", "HOUSING"], &["--period", "year"]] {
            let mut args = vec!["report", "--format", "json"];
            if !by.is_empty() {
                args.extend(["--by", by]);
            }
            args.extend_from_slice(extra);
            alike(
                &lite.run(&args).json(),
                &pg.run(&args).json(),
                &format!("{args:?}"),
            );
        }
    }
    let csv = ["report", "--format", "csv", "--by", "category"];
    let (want, got) = (lite.run(&csv).ok(), pg.run(&csv).ok());
    assert_eq!(got.lines().count(), want.lines().count());
    assert_eq!(got.lines().next(), want.lines().next(), "the same columns");
    let table = pg.run(&["report", "--by", "agent"]).ok();
    assert!(table.contains("Time in each status"), "{table}");
}

/// `[database] report_url`: `desk report` and the terminal desk's Stats pane read from a
/// streaming replica. Caught up, it gives the primary's figures; stopped, the report fails
/// naming the replica (exit 5; the pane says it) while the desk itself goes on working on the
/// primary; a URL that is not PostgreSQL's is refused.
#[test]
fn desk_report_reads_from_the_replica_report_url_names() {
    use common::pg;
    let Some(cluster) = pg::cluster() else {
        return;
    };
    let db = cluster.create_db();
    let d = Desk {
        dir: tempfile::tempdir().expect("temp dir"),
        db: std::path::PathBuf::from(&db.url),
        me: desk::session::login(),
    };
    d.run(&["init"]).ok();
    d.run(&["demo", "--tickets", "60"]).ok();
    let report = ["report", "--format", "json", "--by", "group"];
    let primary = d.run(&report).json();
    let standby = cluster.standby().expect("a standby");
    standby
        .caught_up(&cluster.primary_lsn())
        .expect("it follows");
    let config = d.dir.path().join(".local/share/desk/desk.toml");
    let original = std::fs::read_to_string(&config).expect("the desk's configuration");
    // (desk init on PostgreSQL wrote its `[database]` table, with the program's url.)
    let with = |url: &str| {
        let line = format!("report_url = \"{url}\"\n");
        let text = match original.contains("\n[database]\n") {
            true => original.replacen("\n[database]\n", &format!("\n[database]\n{line}"), 1),
            false => format!("{original}\n[database]\n{line}"),
        };
        std::fs::write(&config, text).expect("write the configuration");
    };
    // The Stats pane's figures of the primary (no report_url yet), by the desk itself.
    let stats = |app: &desk::ui::app::App| match app.overlays.last() {
        Some(desk::ui::overlays::Overlay::Stats(st)) => {
            st.report.as_ref().map(|r| r.total.received)
        }
        _ => panic!("the Stats pane is open"),
    };
    let open = || {
        let s = desk::session::Session::open(&d.db, Some(&config), desk::store::Mode::Existing)
            .expect("the desk");
        let mut app = desk::ui::app::App::new(
            s,
            desk::ui::theme::Theme { color: false },
            120,
            40,
            desk::session::now(),
        )
        .expect("the desk's app");
        common::ui::key(&mut app, ratatui::crossterm::event::KeyCode::Char('S'));
        app
    };
    let on_primary = stats(&open()).expect("the primary's figures");
    assert!(on_primary > 0);
    with(&standby.url(pg::APP, &db.name));
    alike(&d.run(&report).json(), &primary, "the replica's report");
    let mut app = open();
    assert_eq!(
        stats(&app),
        Some(on_primary),
        "the replica's figures in the pane"
    );
    let replica_port = standby.port;
    drop(standby);
    let r = d.run(&report);
    r.fails(5, "127.0.0.1");
    assert!(!r.stderr.contains(":desk_app"), "no password: {}", r.stderr);
    // The pane reads the replica again (another period): it says the replica is gone.
    common::ui::key(&mut app, ratatui::crossterm::event::KeyCode::Right);
    let said = common::ui::message(&app);
    assert!(
        said.contains(&format!("127.0.0.1:{replica_port}")) && !said.contains(":desk_app"),
        "{said}"
    );
    d.run(&["list"]).ok();
    with("sqlite:/tmp/x.db");
    d.run(&report).fails(2, "report_url");
}

/// `desk import` on PostgreSQL keeps every guarantee of an intake (all or nothing, a request
/// registered once by its ref, numbered without gaps, searchable at once); `desk backup` and
/// `desk restore` say in one line how a PostgreSQL desk is backed up (pg_dump, pg_restore:
/// the desk program runs no other program) and refuse (exit 4), writing nothing.
#[test]
fn import_backup_and_restore_on_postgresql() {
    let Some(d) = Desk::postgres() else {
        return;
    };
    let lines: Vec<String> = (0..30)
        .map(|i| {
            format!(
                r#"{{"subject": "Flooded basement {i}", "requester": "Person {i}", "ref": "r-{i}"}}"#
            )
        })
        .collect();
    let file = d.dir.path().join("in.jsonl");
    std::fs::write(&file, lines.join("\n")).expect("write");
    let path = file.to_str().unwrap_or_default();
    let first = d.run(&["import", path]).ok();
    assert_eq!(first.lines().count(), 30, "{first}");
    let again = d.run(&["import", path]).ok();
    assert_eq!(again.matches("already registered").count(), 30, "{again}");
    let bad = d.dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"subject\": \"Fine\", \"ref\": \"r-x\"}\n{\"subject\": \"\"}\n",
    )
    .expect("write");
    d.run(&["import", bad.to_str().unwrap_or_default()])
        .fails(2, "item 2");
    assert_eq!(
        d.ints("SELECT count(*), max(seq) FROM tickets"),
        vec![30, 30]
    );
    let found = d
        .run(&["search", "--limit", "0", "--json", "flooded"])
        .numbers();
    assert_eq!(found.len(), 30);
    assert!(d.run(&["check"]).ok().starts_with("ok: 30 tickets"));
    let copy = d.dir.path().join("copy.db");
    let copy = copy.to_str().unwrap_or_default();
    d.run(&["backup", copy]).fails(4, "pg_dump -Fc");
    d.run(&["restore", copy])
        .fails(4, "pg_restore, as desk_owner");
    assert!(!std::path::Path::new(copy).exists());
}
