//! Long work tells how far it is (issue 17, item 4): the store tells whoever listens — an
//! upgrade of the database in migrations, recomputing service-level figures in tickets, a
//! check in its checks, a restore in its stages — and the command line draws that as a bar on
//! standard error only when it is a terminal: piped, standard error says nothing of it.

mod common;

use common::Desk;
use desk::session::Session;
use desk::store::progress::{Work, listen, stop_listening};
use desk::store::{Mode, Store};
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

type Heard = Rc<RefCell<Vec<(Work, u64, u64)>>>;

/// Listens on this thread: everything told, in order.
fn listening() -> Heard {
    let heard: Heard = Rc::default();
    let h = heard.clone();
    listen(move |w, done, total| h.borrow_mut().push((w, done, total)));
    heard
}

/// What was told of `work`: it never goes back, and it ends with every step done.
#[track_caller]
fn told(heard: &Heard, work: Work) -> Vec<(u64, u64)> {
    let t: Vec<(u64, u64)> = heard
        .borrow()
        .iter()
        .filter(|(w, ..)| *w == work)
        .map(|(_, d, t)| (*d, *t))
        .collect();
    assert!(t.windows(2).all(|p| p[0].0 <= p[1].0), "{work:?}: {t:?}");
    let last = t.last().copied();
    assert!(last.is_some_and(|(d, total)| d == total), "{work:?}: {t:?}");
    t
}

/// A database as a desk `back` migrations old left it (an empty one).
fn older_desk(path: &Path, back: i64) {
    let mut c = rusqlite::Connection::open(path).expect("open");
    c.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA application_id = {}",
        desk::store::schema::APPLICATION_ID
    ))
    .expect("pragmas");
    desk::store::schema::migrations()
        .to_version(
            &mut c,
            (desk::store::schema::latest_version() - back) as usize,
        )
        .expect("an older desk");
}

#[test]
fn the_store_tells_how_far_its_long_work_is() {
    let d = Desk::new();
    d.run(&["demo", "--tickets", "150"]).ok();
    let backup = d.dir.path().join("before.db");
    d.run(&["backup", backup.to_str().expect("path")]).ok();
    let heard = listening();
    let mut s = Session::open(&d.db, None, Mode::Existing).expect("session");
    let me = s.store.actor(&d.me, None).expect("actor");
    let cfg = s.cfg.clone();
    let now = desk::session::now();

    let n = s.store.recompute(&me, &cfg, now).expect("recompute") as u64;
    assert!(n >= 150);
    assert_eq!(told(&heard, Work::Recompute).last(), Some(&(n, n)));

    s.store.check(&cfg, now, None).expect("check");
    let checks = told(&heard, Work::Check);
    assert_eq!(checks.len(), 13, "one step per check: {checks:?}");

    s.store.restore(&me, &cfg, &backup, true).expect("restore");
    assert_eq!(told(&heard, Work::Restore).last(), Some(&(6, 6)));

    // An older desk is upgraded one migration at a time, each told.
    let old = d.dir.path().join("old.db");
    older_desk(&old, 3);
    Store::open(&old, Mode::Existing, desk::store::DEFAULT_BUSY_TIMEOUT).expect("upgraded");
    assert_eq!(
        told(&heard, Work::Upgrade),
        vec![(0, 3), (1, 3), (2, 3), (3, 3)]
    );
    stop_listening();
}

#[test]
fn piped_long_work_says_nothing_of_its_progress() {
    let d = Desk::new();
    d.run(&["demo", "--tickets", "300"]).ok();
    let backup = d.dir.path().join("before.db");
    let b = backup.to_str().expect("path");
    for args in [
        vec!["sla", "--recompute"],
        vec!["check"],
        vec!["backup", b],
        vec!["restore", b, "--force"],
    ] {
        let r = d.run(&args);
        r.ok();
        assert_eq!(r.stderr, "", "desk {args:?}: nothing on standard error");
    }
    let old = d.dir.path().join("old.db");
    older_desk(&old, 3);
    let r = common::Run::from(
        common::command(&old)
            .arg("list")
            .output()
            .expect("run desk"),
    );
    // Upgraded, then refused (the older desk has no agents): one line, no bar.
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(!r.stderr.contains("Upgrading"), "{}", r.stderr);
    let v: i64 = rusqlite::Connection::open(&old)
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(v, desk::store::schema::latest_version());
}
