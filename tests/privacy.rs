//! Requesters' personal data stays with the desk's agents (red team): not in the command line
//! other users of the host read while desk runs, not in files of a desk of one's own that other
//! users may open.

mod common;

use common::{Desk, command};
use std::io::Read;
use std::process::Stdio;

/// The command line of a process as `ps` shows it to everyone on the host.
fn cmdline(pid: u32) -> String {
    let mut raw = Vec::new();
    std::fs::File::open(format!("/proc/{pid}/cmdline"))
        .and_then(|mut f| f.read_to_end(&mut raw))
        .expect("cmdline");
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

/// A running desk blanks its arguments: a subject, a requester's name and contact given on
/// the command line are not shown in /proc/PID/cmdline (here while desk waits for the
/// request's text on its standard input).
#[test]
fn the_command_line_does_not_show_personal_data() {
    let d = Desk::new();
    let mut child = command(&d.db)
        .args([
            "new",
            "--subject",
            "Eviction notice flat 7",
            "--requester",
            "Olena Kovalenko",
            "--contact",
            "+380 67 412 1190",
            "--body",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // desk blanks its arguments first thing, then waits for the request's text on its
    // standard input, which stays open. Until exec has finished the command line reads empty,
    // then it shows every argument: wait for the program's name without them (or give up
    // after ten seconds, and the assertions below say what was seen).
    let pid = child.id();
    let mut seen = cmdline(pid);
    for _ in 0..1000 {
        if seen.contains("desk") && !seen.contains("Olena") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
        seen = cmdline(pid);
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in ["Olena", "+380", "Eviction", "--requester"] {
        assert!(
            !seen.contains(secret),
            "{secret} in the command line: {seen}"
        );
    }
    assert!(seen.contains("desk"), "the program's name stays: {seen}");
    // The ticket has what was given all the same.
    let number = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let t = d.run(&["show", &number, "--json"]).json();
    assert_eq!(t["requester"], "Olena Kovalenko");
    assert_eq!(t["contact"], "+380 67 412 1190");
}

/// A desk of one's own belongs to its creator alone: made under the usual umask (022), at the
/// default place, its database and the `-wal` and `-shm` beside it cannot be read by the other
/// users of the host (they hold requesters' names, contacts and requests).
#[test]
fn a_desk_of_ones_own_is_not_readable_by_others() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let home = tempfile::tempdir().expect("home");
    let mut init = std::process::Command::new(common::bin());
    init.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("LANG", "C.UTF-8")
        .arg("init")
        .stdin(Stdio::null());
    // SAFETY: umask is async-signal-safe and touches nothing of the parent's.
    unsafe {
        init.pre_exec(|| {
            nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
            Ok(())
        });
    }
    let out = init.output().expect("init");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = home.path().join(".local/share/desk/desk.db");
    // Held open here, so the log files stay while desk writes and after it exits.
    let held = rusqlite::Connection::open(&db).expect("open");
    held.query_row("SELECT count(*) FROM tickets", [], |r| r.get::<_, i64>(0))
        .expect("read");
    let o = command(&db)
        .args(["new", "--subject", "Debt advice", "--requester", "Olena"])
        .output()
        .expect("new");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for suffix in ["", "-wal", "-shm"] {
        let f = format!("{}{suffix}", db.display());
        let mode = std::fs::metadata(&f).expect(&f).permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{f} is {mode:o}: others may read it");
    }
    drop(held);
}
