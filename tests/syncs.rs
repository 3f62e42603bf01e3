//! What a change costs in syncs (issue 17), traced with strace: a desk's `-wal` exists, so a
//! change syncs its log once and the directory not at all; a `-wal` that is missing is made
//! again and its directory synced before anything is committed in it.

mod common;

use common::{Desk, bin};
use std::path::Path;
use std::process::Command;

/// The syncs of `desk ARGS` on `d`, as strace saw them: (how many, whether the desk's
/// directory was opened and synced).
fn syncs(d: &Desk, args: &[&str]) -> Option<(usize, bool)> {
    let trace = d.dir.path().join("strace.txt");
    let out = Command::new("strace")
        .args(["-f", "-e", "trace=openat,fsync,fdatasync", "-o"])
        .arg(&trace)
        .arg(bin())
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", d.dir.path())
        .env("LANG", "C.UTF-8")
        .env("TZ", "UTC")
        .env("DESK_DB", &d.db)
        .output()
        .ok()?;
    if !out.status.success() {
        // No strace here, or not allowed to trace.
        return None;
    }
    let text = std::fs::read_to_string(&trace).ok()?;
    let dir = d.dir.path().display().to_string();
    let dir_fds: Vec<String> = text
        .lines()
        .filter(|l| l.contains(&format!("openat(AT_FDCWD, \"{dir}\"")))
        .filter_map(|l| l.rsplit("= ").next().map(|fd| fd.trim().to_string()))
        .collect();
    let synced: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" fsync(") || l.contains(" fdatasync("))
        .collect();
    let dir_synced = synced
        .iter()
        .any(|l| dir_fds.iter().any(|fd| l.contains(&format!("sync({fd})"))));
    Some((synced.len(), dir_synced))
}

#[test]
fn a_change_syncs_its_log_once_and_a_new_log_its_directory() {
    let d = Desk::new();
    d.new_ticket("Radiator cold", &[]);
    let Some((n, dir)) = syncs(&d, &["new", "--subject", "Boiler noisy"]) else {
        eprintln!("SKIPPED: strace cannot trace desk here");
        return;
    };
    assert_eq!(
        (n, dir),
        (1, false),
        "one sync of the log, none of the directory"
    );
    // The -wal removed (as sqlite3 does when it closes a desk last): made again, durably.
    let wal = Path::new(&format!("{}-wal", d.db.display())).to_path_buf();
    let shm = Path::new(&format!("{}-shm", d.db.display())).to_path_buf();
    let c = rusqlite::Connection::open(&d.db).expect("open");
    c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .expect("checkpoint");
    drop(c);
    std::fs::remove_file(&wal).ok();
    std::fs::remove_file(&shm).ok();
    let (_, dir) = syncs(&d, &["new", "--subject", "Lift stuck"]).expect("traced");
    assert!(dir, "a new -wal's directory is synced");
    assert!(wal.exists());
    let tickets: i64 = d
        .sql()
        .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
        .expect("count");
    assert_eq!(tickets, 3);
}
