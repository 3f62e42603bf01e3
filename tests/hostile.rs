//! Hostile and malformed input. Every class of terminal attack in every field, through both
//! front ends (text output, JSON, the desk's screen); and every parser fed arbitrary input.

mod common;

use common::Desk;
use desk::core::sanitize::is_unsafe_for_output;
use proptest::prelude::*;

/// The classes of text that could act on an operator's terminal.
const CLASSES: &[(&str, &str)] = &[
    ("CSI clear screen", "\u{1b}[2J\u{1b}[H"),
    ("CSI colours and cursor", "\u{1b}[31;1m\u{1b}[10A"),
    ("OSC window title", "\u{1b}]0;you are hacked\u{7}"),
    (
        "OSC 8 hyperlink",
        "\u{1b}]8;;http://evil.example/\u{1b}\\click\u{1b}]8;;\u{1b}\\",
    ),
    ("OSC 52 clipboard write", "\u{1b}]52;c;cm0gLXJmIH4K\u{7}"),
    ("DCS string", "\u{1b}Pq#0;2;0;0;0\u{1b}\\"),
    (
        "C0 controls",
        "bell\u{7}back\u{8}\u{8}over\rwrite\u{b}\u{c}",
    ),
    ("C1 controls", "\u{9b}31m\u{9d}0;t\u{9c}\u{85}\u{90}x\u{9c}"),
    ("DEL", "a\u{7f}b"),
    (
        "bidi overrides",
        "invoice\u{202e}fdp.exe\u{202c} \u{2066}isolate\u{2069}",
    ),
    (
        "zero-width and BOM",
        "pay\u{200b}pal\u{200d}\u{feff}\u{2060}",
    ),
    ("line separators", "one\u{2028}two\u{2029}"),
];

fn assert_clean(what: &str, class: &str, out: &str) {
    if let Some(c) = out.chars().find(|c| is_unsafe_for_output(*c)) {
        panic!("{class} reached {what} raw ({c:?}):\n{out:?}");
    }
}

/// Labels from the configuration are untrusted text too: every class in a desk name, a group,
/// a category, a keyword and a status label, through every command that prints them.
#[test]
fn configuration_labels_never_reach_the_terminal_raw() {
    let evil: String = CLASSES.iter().map(|(_, t)| *t).collect();
    // TOML strings carry the characters as \u escapes.
    let escaped: String = evil
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                if c == '"' || c == '\\' {
                    format!("\\u{:04x}", c as u32)
                } else {
                    c.to_string()
                }
            } else {
                format!("\\U{:08x}", c as u32)
            }
        })
        .collect();
    let d = Desk::new();
    let cfg = d.dir.path().join("desk.toml");
    let text = std::fs::read_to_string(&cfg).expect("read");
    let text = text
        .replacen(
            "en = \"Service desk\"",
            &format!("en = \"Desk{escaped}\""),
            1,
        )
        .replacen(
            "en = \"Front desk\"",
            &format!("en = \"Front{escaped}\""),
            1,
        )
        .replacen(
            "en = \"General enquiry\"",
            &format!("en = \"General{escaped}\""),
            1,
        )
        .replacen("\"heating\", ", &format!("\"heat{escaped}\", "), 1)
        .replacen(
            "id = \"new\"\n",
            &format!("id = \"new\"\nlabel = \"Fresh{escaped}\"\n"),
            1,
        );
    let hostile = d.dir.path().join("hostile.toml");
    std::fs::write(&hostile, text).expect("write");
    d.run(&["config", "install", hostile.to_str().expect("path")])
        .ok();
    let n = d.new_ticket("Labels", &["--category", "GEN"]);
    for args in [
        vec!["show", n.as_str()],
        vec!["list"],
        vec!["sla", n.as_str()],
        vec!["report"],
        vec!["status", "list"],
        vec!["category", "list"],
        vec!["group", "list"],
        vec!["config", "check"],
        vec!["show", n.as_str(), "--json"],
        vec!["status", "list", "--json"],
        vec!["category", "list", "--json"],
    ] {
        let out = d.run(&args).ok();
        assert_clean(&format!("{args:?}"), "configuration labels", &out);
    }
    let shown = d.run(&["status", "list"]).ok();
    assert!(
        shown.contains("Fresh"),
        "the label is shown, cleaned: {shown}"
    );
}

/// A ticket with `text` in every field a person fills in — subject, body, requester, contact,
/// a note, the refusal's reason and its answer — claimed, worked on and refused.
fn refused_with_text_everywhere(d: &Desk, text: &str) -> String {
    let n = d.new_ticket(
        text,
        &["--body", text, "--requester", text, "--contact", text],
    );
    d.run(&["comment", &n, text]).ok();
    d.run(&["claim", &n]).ok();
    d.run(&["move", &n, "in_progress"]).ok();
    d.run(&[
        "move",
        &n,
        "rejected",
        "--outcome",
        "refused",
        "--reason",
        text,
        "--answer",
        text,
    ])
    .ok();
    n
}

#[test]
fn every_class_in_every_field_through_the_command_line() {
    let d = Desk::staffed();
    for (class, payload) in CLASSES {
        let text = format!("A{payload}Z");
        let n = refused_with_text_everywhere(&d, &text);
        for args in [vec!["show", n.as_str()], vec!["list", "--all"]] {
            let r = d.run(&args);
            assert_clean(&format!("desk {}", args[0]), class, &r.ok());
        }
        // JSON: escaped, and still the exact text.
        let r = d.run(&["show", &n, "--json"]);
        assert_clean("show --json", class, &r.stdout);
        let v = r.json();
        assert_eq!(
            v["subject"].as_str(),
            Some(desk::core::sanitize::normalize_input(&text).as_str()),
            "{class}"
        );
        assert_eq!(v["reason"].as_str(), Some(text.as_str()));
        let r = d.run(&["list", "--all", "--json"]);
        assert_clean("list --json", class, &r.stdout);
    }
    // Names of agents and groups are shown too.
    let evil = "Eve\u{1b}]0;x\u{7}\u{202e}";
    d.run(&["agent", "add", "eve", "--name", evil]).ok();
    d.run(&["group", "add", "EVIL", evil]).ok();
    for args in [["agent", "list"], ["group", "list"]] {
        assert_clean(args[0], "names", &d.run(&args).ok());
    }
    // Error messages quote what people typed: those are cleaned too.
    let r = d.run(&["show", "HSG\u{1b}[2J-1"]);
    assert_clean("an error message", "typed number", &r.stderr);
    assert_eq!(r.code, 2);
}

#[test]
fn every_class_in_every_field_on_the_desks_screen() {
    use desk::store::Mode;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let d = Desk::staffed();
    for (class, payload) in CLASSES {
        let text = format!("A{payload}Z");
        let n = refused_with_text_everywhere(&d, &text);
        let s = desk::session::Session::open(&d.db, None, Mode::Existing).expect("session");
        let mut app = desk::ui::app::App::new(
            s,
            desk::ui::theme::Theme { color: true },
            140,
            50,
            desk::session::now(),
        )
        .expect("app");
        app.switch_queue(desk::core::query::QueueKind::All);
        app.act(desk::core::keys::Action::Open);
        assert_eq!(
            app.detail.ticket.as_ref().map(|t| t.number.clone()),
            Some(n.clone())
        );
        let mut t = Terminal::new(TestBackend::new(140, 50)).expect("terminal");
        t.draw(|f| desk::ui::draw::draw(f, &app)).expect("draw");
        let screen: String = t
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert_clean("the desk's screen", class, &screen);
        assert!(screen.contains('A') && screen.contains('Z'));
        // Pasted into a note, it is cleaned before it lands.
        app.act(desk::core::keys::Action::Comment);
        app.on_paste(&text);
        let Some(desk::ui::overlays::Overlay::Prompt(p)) = app.overlay() else {
            panic!("note prompt")
        };
        assert_clean("a pasted note", class, &desk::ui::input::text(&p.input));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Any command line: parsed or refused, never a panic.
    #[test]
    fn command_lines_never_panic(args in prop::collection::vec("\\PC{0,12}|--[a-z-]{1,10}|[a-z]{1,8}", 0..6)) {
        let mut all = vec!["desk".to_string()];
        all.extend(args);
        let _ = <desk::cli::Cli as clap::Parser>::try_parse_from(all);
    }

    /// Any import text: requests or a one-line error, never a panic.
    #[test]
    fn imports_never_panic(text in "\\PC{0,300}") {
        if let Err(e) = desk::cli::commands::parse_import(&text) {
            prop_assert!(!e.to_string().contains('\n'), "{}", e);
        }
    }

    /// JSON-shaped import text, including wrong types and unknown fields.
    #[test]
    fn json_shaped_imports_never_panic(
        items in prop::collection::vec(
            prop::collection::btree_map(
                prop::sample::select(vec!["subject", "body", "channel", "priority", "ref", "category", "x"]),
                prop_oneof![
                    "\\PC{0,20}".prop_map(serde_json::Value::from),
                    any::<i64>().prop_map(serde_json::Value::from),
                    Just(serde_json::Value::Null),
                ],
                0..6,
            ),
            0..4,
        ),
        as_lines in any::<bool>(),
    ) {
        let values: Vec<serde_json::Value> = items
            .into_iter()
            .map(|m| serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
            .collect();
        let text = if as_lines {
            values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("\n")
        } else {
            serde_json::Value::Array(values).to_string()
        };
        match desk::cli::commands::parse_import(&text) {
            Ok(v) => prop_assert!(!v.is_empty()),
            Err(e) => prop_assert!(!e.to_string().contains('\n'), "{}", e),
        }
    }

    /// Any number a person might type, against a real desk: found, or one clear line.
    #[test]
    fn typed_numbers_never_panic(input in "\\PC{0,30}") {
        let cfg = desk::core::config::Config::builtin().expect("config");
        let _ = cfg.grammar(&[]).parse(&input, chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"), &|_| None);
        let _ = desk::core::numbering::edit_candidates(&desk::core::numbering::normalize(&input));
    }
}

/// Malformed values on the command line get a clear line and exit 2.
#[test]
fn malformed_values_get_one_line_and_exit_2() {
    let d = Desk::new();
    for (args, needle) in [
        (vec!["list", "--limit", "-3"], "unexpected argument '-3'"),
        (vec!["list", "--limit", "many"], "invalid value"),
        (vec!["rate", "X", "five"], "invalid value"),
        (vec!["new", "--subject", "x", "--channel", ""], "channel"),
        (vec!["agent", "add", "x", "--capacity", "-1"], "negative"),
        (
            vec!["agent", "set", "x", "--away", "maybe"],
            "not on or off",
        ),
        (
            vec![
                "move",
                "X",
                "resolved",
                "--reason",
                "a",
                "--next-steps",
                "b",
            ],
            "cannot be used with",
        ),
        (vec!["--db"], "a value is required"),
    ] {
        let r = d.run(&args);
        r.fails(2, needle);
    }
    // A NUL cannot be passed as an argument at all; on stdin it is removed (tests/cli.rs).
}
