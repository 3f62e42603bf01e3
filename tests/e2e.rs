//! The real binary in a real terminal: tmux at 80×24, keys sent as a person types them.

mod common;

use common::Desk;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own, killed when the test ends.
struct Tmux {
    socket: String,
}

/// Whether tmux can run here; without it the end-to-end tests say so and skip.
fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: tmux is needed for the end-to-end tests (.ci/run installs it)");
    }
    ok
}

impl Tmux {
    fn start(desk: &Desk, w: u16, h: u16) -> Tmux {
        Tmux::start_with(desk, w, h, "", &[])
    }

    /// The desk with extra environment (`NAME=value …`) and arguments.
    fn start_with(desk: &Desk, w: u16, h: u16, env: &str, args: &[&str]) -> Tmux {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "desk-e2e-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let script = format!(
            "env DESK_DB='{}' LANG=C.UTF-8 TZ=UTC TERM=xterm-256color {env} '{}' {}; echo EXITED:$?; sleep 30",
            desk.db.display(),
            common::bin(),
            args.join(" ")
        );
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "e2e",
            ])
            .args(["-x", &w.to_string(), "-y", &h.to_string(), &script])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "tmux new-session failed");
        Tmux { socket }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-t", "e2e"])
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        self.tmux(&args);
        std::thread::sleep(Duration::from_millis(150));
    }

    fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "e2e", "-l", text]);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Esc alone: a pause after it, so the next key is not read as Alt+key.
    fn esc(&self) {
        self.keys(&["Escape"]);
        std::thread::sleep(Duration::from_millis(250));
    }

    #[track_caller]
    fn wait_for(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return s;
            }
            if start.elapsed() > Duration::from_secs(15) {
                panic!("waited 15 s for {needle:?}; the screen shows:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

#[test]
fn register_find_claim_and_resolve_in_a_real_terminal() {
    if !tmux_available() {
        return;
    }
    let d = Desk::new();
    let t = Tmux::start(&d, 80, 24);
    t.wait_for("This desk has no tickets yet");

    // Register a request through the form.
    t.keys(&["n"]);
    t.wait_for("New request");
    t.text("No heating in flat 12");
    t.keys(&["Tab"]);
    t.text("Radiators cold since Monday");
    t.keys(&["C-s"]);
    let screen = t.wait_for("registered ");
    let number = screen
        .split_whitespace()
        .skip_while(|w| *w != "registered")
        .nth(1)
        .expect("number on screen")
        .to_string();
    assert!(number.starts_with("HSG-"), "routed by keyword: {number}");

    // Find it with :goto, typed the way people do (lower case, spaces).
    t.esc();
    t.esc();
    t.keys(&[":"]);
    t.wait_for("Command");
    t.text(&format!("goto {}", number.to_lowercase().replace('-', " ")));
    t.keys(&["Enter"]);
    t.wait_for(&format!("opened {number}"));

    // Claim it, start it, resolve it with an outcome and an answer.
    t.keys(&["c"]);
    t.wait_for("claimed: 1 done");
    t.keys(&["s"]);
    t.wait_for("Change status");
    t.keys(&["Enter"]);
    t.keys(&["C-s"]);
    t.wait_for("moved to In progress");
    t.keys(&["s"]);
    let screen = t.wait_for("Change status");
    let order = [
        "Waiting for information",
        "In execution",
        "Under review",
        "Resolved",
    ];
    let pos = order.iter().position(|s| *s == "Resolved").unwrap_or(3);
    assert!(screen.contains("Resolved"), "{screen}");
    for _ in 0..pos {
        t.keys(&["j"]);
    }
    t.keys(&["Enter"]);
    t.wait_for("Outcome:");
    t.keys(&["Tab", "Tab"]);
    t.text("Valve replaced on Monday.");
    t.keys(&["C-s"]);
    t.wait_for("moved to Resolved");

    // Too small, then back: the desk says what it needs and redraws on resize.
    t.tmux(&["resize-window", "-t", "e2e", "-x", "70", "-y", "20"]);
    t.wait_for("terminal too small (need 80×24");
    t.tmux(&["resize-window", "-t", "e2e", "-x", "80", "-y", "24"]);
    t.wait_for("moved to Resolved");

    t.keys(&["q"]);
    let screen = t.wait_for("EXITED:0");
    assert!(
        !screen.contains("Change status"),
        "the terminal is restored:\n{screen}"
    );

    // The store holds exactly that.
    let v = d.show(&number);
    assert_eq!(v["status"], "resolved");
    assert_eq!(v["outcome"], "granted");
    assert_eq!(v["answer"], "Valve replaced on Monday.");
    assert_eq!(v["assignee"], d.me.as_str());
    assert_eq!(v["subject"], "No heating in flat 12");
    assert_eq!(v["body"], "Radiators cold since Monday");
    assert_eq!(v["channel"], "phone");
    let kinds: Vec<&str> = v["history"]
        .as_array()
        .map(|h| h.iter().filter_map(|e| e["kind"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        kinds,
        [
            "created", "assigned", "status", "status", "status", "outcome", "reply"
        ]
    );
}

/// A colleague's change (another process) shows in a running desk without a keypress.
#[test]
fn a_colleagues_change_appears_without_a_keypress() {
    if !tmux_available() {
        return;
    }
    let d = Desk::staffed();
    let n = d.new_ticket("Lift broken in entrance 2", &[]);
    let t = Tmux::start(&d, 120, 40);
    t.keys(&["4"]);
    t.wait_for(&n);
    d.run_as("olena", &["claim", &n]).ok();
    t.wait_for("olena");
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}

/// `desk --as LOGIN` opens the desk as LOGIN (admins), and refuses an unknown login or a
/// person without the right before the terminal is taken: one line, its exit code.
#[test]
fn the_desk_acts_as_the_agent_named_or_refuses() {
    if !tmux_available() {
        return;
    }
    let d = Desk::staffed();
    let n = d.new_ticket("Lift broken in entrance 2", &[]);
    d.run(&["assign", &n, "olena"]).ok();
    let t = Tmux::start_with(&d, 120, 40, "", &["--as", "olena"]);
    let screen = t.wait_for(&n);
    assert!(
        screen.contains(&format!("{} as olena · operator", d.me)),
        "{screen}"
    );
    assert!(
        screen.contains("My tickets (1)"),
        "olena's own queue: {screen}"
    );
    t.keys(&["q"]);
    t.wait_for("EXITED:0");

    let t = Tmux::start_with(&d, 120, 40, "", &["--as", "nobody"]);
    let screen = t.wait_for("EXITED:3");
    assert!(screen.contains("no agent 'nobody'"), "{screen}");
    // Without a terminal too: the queue as text is not printed for the wrong person.
    d.run_as("nobody", &[]).fails(3, "no agent 'nobody'");
}

/// A bug (a panic) gives the terminal back before its report, and the report says where it
/// happened and where to report it.
#[test]
fn a_bug_restores_the_terminal_before_its_report() {
    let d = Desk::new();
    // On the command line: the report, exit 101, nothing else.
    let out = common::command(&d.db)
        .env("DESK_TEST_PANIC", "start")
        .args(["list"])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(101), "{err}");
    assert!(
        err.contains("desk: internal error") && err.contains("Location: src/main.rs"),
        "{err}"
    );
    assert!(
        err.contains("bug in desk") && err.contains("report it"),
        "{err}"
    );
    if !tmux_available() {
        return;
    }
    // In the desk: raw mode, the alternate screen and the mouse are given back first.
    d.new_ticket("Lift broken in entrance 2", &[]);
    let t = Tmux::start_with(&d, 100, 30, "DESK_TEST_PANIC=key RUST_BACKTRACE=0", &[]);
    t.wait_for("Lift broken");
    assert_eq!(
        t.tmux(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
            .trim(),
        "1"
    );
    t.keys(&["j"]);
    let screen = t.wait_for("EXITED:101");
    assert!(screen.contains("Location: src/ui/"), "{screen}");
    assert!(screen.contains("report it"), "{screen}");
    assert_eq!(
        t.tmux(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
            .trim(),
        "0",
        "the alternate screen is left"
    );
    assert_eq!(
        t.tmux(&["display", "-p", "-t", "e2e", "#{mouse_any_flag}"])
            .trim(),
        "0",
        "the mouse is given back"
    );
}

/// A bad `[keys]` is refused by `desk config check` and `install`, with its line, before it
/// can stop the desk for everyone; a good one works in the desk at once.
#[test]
fn keys_are_checked_before_they_reach_the_desk() {
    let d = Desk::new();
    let cfg = d.dir.path().join("desk.toml");
    let text = std::fs::read_to_string(&cfg).expect("desk.toml");
    let bad = d.dir.path().join("bad.toml");
    for (keys, says) in [
        ("fly = \"x\"\n", "unknown action 'fly'"),
        ("new = \"ctrl-c\"\n", "always quits"),
        ("save = \"s\"\n", "would be typed"),
        ("new = \"x\"\nclaim = \"x\"\n", "given to both new"),
    ] {
        std::fs::write(&bad, format!("{text}{keys}")).expect("write");
        let line = text.lines().count() + 1;
        let check = d.run(&["config", "check", bad.to_str().expect("path")]);
        check.fails(2, says);
        assert!(
            check.stderr.contains(&format!("bad.toml:{line}")) || keys.contains("claim"),
            "names the line: {}",
            check.stderr
        );
        d.run(&["config", "install", bad.to_str().expect("path")])
            .fails(2, says);
    }
    let good = d.dir.path().join("good.toml");
    std::fs::write(&good, format!("{text}new = \"F2\"\n")).expect("write");
    d.run(&["config", "check", good.to_str().expect("path")])
        .ok();
    d.run(&["config", "install", good.to_str().expect("path")])
        .ok();
    if !tmux_available() {
        return;
    }
    d.new_ticket("Lift broken in entrance 2", &[]);
    let t = Tmux::start(&d, 100, 50);
    t.wait_for("Lift broken");
    t.keys(&["F2"]);
    t.wait_for("New request");
    t.esc();
    t.keys(&["?"]);
    let screen = t.wait_for("Keys — Queue");
    assert!(screen.contains("F2  register a new request"), "{screen}");
    t.esc();
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}

/// Issue 11, items 4 and 18 in a real terminal: rows registered from another shell while the
/// cursor is at the bottom are all drawn; with a Cyrillic layout the keys in the same places
/// work (`о` is j, `п` is g, `с` is c).
#[test]
fn live_rows_and_a_cyrillic_layout_in_a_real_terminal() {
    if !tmux_available() {
        return;
    }
    let d = Desk::new();
    let old: Vec<String> = ["Leaking tap", "Broken window", "Noisy neighbours"]
        .iter()
        .map(|s| d.new_ticket(s, &[]))
        .collect();
    let t = Tmux::start(&d, 80, 24);
    t.wait_for(&old[0]);
    t.keys(&["2"]);
    t.keys(&["G"]);
    t.wait_for(" 3/3 ");
    let urgent: Vec<String> = ["No heating", "Gas smell"]
        .iter()
        .map(|s| d.new_ticket(s, &["--priority", "urgent"]))
        .collect();
    let screen = t.wait_for(" 5/5 ");
    for n in old.iter().chain(&urgent) {
        assert!(screen.contains(n.as_str()), "{n} drawn:\n{screen}");
    }
    // Cyrillic: п (g) to the top, о (j) down one, с (c) claims the ticket highlighted.
    t.text("п");
    t.wait_for(" 1/5 ");
    t.text("о");
    let screen = t.wait_for(" 2/5 ");
    let row = screen
        .lines()
        .find(|l| l.contains('▶'))
        .unwrap_or_default()
        .to_string();
    let second = [&urgent[..], &old[..]]
        .concat()
        .into_iter()
        .find(|n| row.contains(n.as_str()))
        .unwrap_or_else(|| panic!("a ticket on the ▶ row: {row}"));
    t.text("с");
    t.wait_for("claimed: 1 done");
    assert_eq!(d.show(&second)["assignee"], d.me.as_str());
    t.keys(&["q"]);
    t.wait_for("EXITED:0");
}

/// Issue 11, item 11: `desk show` keeps the lines of a note of several lines.
#[test]
fn show_keeps_the_lines_of_a_note() {
    let d = Desk::new();
    let n = d.new_ticket("Radiator noisy", &[]);
    d.run(&[
        "comment",
        &n,
        "Called twice.\nNo answer.\nWill try tomorrow.",
    ])
    .ok();
    let out = d.run(&["show", &n]).ok();
    let at = out
        .lines()
        .position(|l| l.ends_with("note: Called twice."))
        .unwrap_or_else(|| panic!("{out}"));
    let lines: Vec<&str> = out.lines().collect();
    let indent = lines[at].find("note:").unwrap_or(0);
    assert_eq!(lines[at + 1], format!("{}No answer.", " ".repeat(indent)));
    assert_eq!(lines[at + 2].trim(), "Will try tomorrow.");
}

/// A bar of long work in `t`: it names `label` with how many of `total`, the rate and the
/// time left while the command runs, and is gone from the screen once the command ends well.
fn bar_shows_then_clears(t: &Tmux, label: &str, total: &str) {
    let screen = t.wait_for(label);
    assert!(
        screen.contains(&format!("/{total}")) && screen.contains("/s ·") && screen.contains("left"),
        "{screen}"
    );
    let start = Instant::now();
    while !t.screen().contains("EXITED:0") {
        assert!(start.elapsed() < Duration::from_secs(300), "{}", t.screen());
        std::thread::sleep(Duration::from_millis(200));
    }
    // Not a word of the bar is left (its first word, as the screen may wrap the rest).
    let first = label.split_whitespace().next().unwrap_or(label);
    assert!(
        !t.screen().contains(first),
        "the bar is cleared: {}",
        t.screen()
    );
}

/// Long work shows a bar with its rate and the time left on a terminal, clears it when done,
/// and writes nothing of it where standard error is not a terminal.
#[test]
fn long_work_shows_progress_on_a_terminal_only() {
    let d = Desk::new();
    // Piped: the summary on standard output, nothing on standard error.
    let piped = common::command(&d.db)
        .args(["demo", "--tickets", "300"])
        .output()
        .expect("run");
    assert_eq!(piped.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&piped.stderr),
        "",
        "no bar when piped"
    );
    if !tmux_available() {
        return;
    }
    let d = Desk::new();
    let t = Tmux::start_with(
        &d,
        120,
        10,
        "",
        &["demo", "--tickets", "30000", ">/dev/null"],
    );
    bar_shows_then_clears(&t, "Generating demo tickets", "30,000");
}

/// `desk import` shows its bar (how many of how many, the rate, the time left) on a terminal,
/// clears it when done, and writes nothing of it when standard error is piped.
#[test]
fn an_import_shows_its_progress_on_a_terminal_only() {
    let d = Desk::new();
    let file = d.dir.path().join("requests.jsonl");
    let items: String = (0..20_000)
        .map(|i| format!("{{\"subject\": \"Leak in flat {i}\", \"ref\": \"leak-{i}\"}}\n"))
        .collect();
    std::fs::write(&file, items).expect("write the import");
    let few = d.dir.path().join("few.jsonl");
    std::fs::write(
        &few,
        "{\"subject\": \"One leak\"}\n{\"subject\": \"Two leaks\"}\n",
    )
    .expect("write the import");
    let piped = common::command(&d.db)
        .args(["import", &few.display().to_string()])
        .output()
        .expect("run");
    assert_eq!(piped.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&piped.stderr),
        "",
        "no bar when piped"
    );
    if !tmux_available() {
        return;
    }
    let t = Tmux::start_with(
        &d,
        120,
        10,
        "",
        &["import", &file.display().to_string(), ">/dev/null"],
    );
    bar_shows_then_clears(&t, "Registering requests", "20,000");
    assert_eq!(d.ints("SELECT count(*) FROM tickets"), vec![20_002]);
}
