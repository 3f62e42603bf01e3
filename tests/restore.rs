//! `desk restore` takes only a sound backup, and refuses each of the others before touching
//! the desk: a schema that is not exactly the one its version shipped with (a UNIQUE
//! constraint gone, a trigger gone, a trigger added), statuses the configuration in force does
//! not declare, a history whose hash chain does not hold, a newer schema. Its numbers never go
//! back. Backups are the caller's: new files, 0600, never through a link.

mod common;

use common::{Desk, check_invariants};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A desk with tickets and a backup of it.
fn desk_and_backup() -> (Desk, PathBuf) {
    let d = Desk::staffed();
    d.run(&["demo", "--tickets", "40"]).ok();
    let b = d.dir.path().join("backup.db");
    d.run(&["backup", b.to_str().expect("path")]).ok();
    (d, b)
}

/// A copy of the backup, changed by `sql`.
fn altered(b: &Path, name: &str, sql: &str) -> PathBuf {
    let out = b.with_file_name(name);
    std::fs::copy(b, &out).expect("copy");
    rusqlite::Connection::open(&out)
        .and_then(|c| c.execute_batch(sql))
        .expect("alter");
    out
}

/// The restore is refused with `needle`, exit `code`, and the desk is as it was.
#[track_caller]
fn refused(d: &Desk, file: &Path, code: i32, needle: &str) {
    let before = d.run(&["check", "--anchor"]).ok();
    d.run(&["restore", file.to_str().expect("path"), "--force"])
        .fails(code, needle);
    assert_eq!(
        d.run(&["check", "--anchor"]).ok(),
        before,
        "the desk is untouched"
    );
    let leftovers: Vec<_> = std::fs::read_dir(d.dir.path())
        .expect("dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".desk-"))
        .collect();
    assert!(leftovers.is_empty(), "no private copy left behind");
}

#[test]
fn a_backup_whose_schema_lost_a_constraint_is_refused() {
    let (d, b) = desk_and_backup();
    // Twin ticket numbers would follow: the tickets table rebuilt without its UNIQUE.
    // (legacy_alter_table: the search index's view names the tickets, which are briefly gone.)
    let sql = r#"
        PRAGMA foreign_keys = OFF;
        PRAGMA legacy_alter_table = ON;
        CREATE TABLE t2 AS SELECT * FROM tickets;
        DROP TABLE tickets;
        ALTER TABLE t2 RENAME TO tickets;
    "#;
    let f = altered(&b, "no-unique.db", sql);
    refused(&d, &f, 2, "its table tickets is missing or altered");
    // The history's protection dropped.
    let f = altered(&b, "no-trigger.db", "DROP TRIGGER events_no_delete");
    refused(
        &d,
        &f,
        2,
        "its trigger events_no_delete is missing or altered",
    );
    // Something added that would run once restored.
    let f = altered(
        &b,
        "extra-trigger.db",
        "CREATE TRIGGER promote AFTER INSERT ON events BEGIN UPDATE agents SET role = 'admin'; END",
    );
    refused(&d, &f, 2, "it has a trigger promote that desk never made");
    check_invariants(&d.db);
}

#[test]
fn a_backup_with_undeclared_statuses_is_refused_naming_them() {
    let d = Desk::staffed();
    let cfg = d.dir.path().join("desk.toml");
    let good = std::fs::read_to_string(&cfg).expect("read");
    let parked = good
        .replacen(
            "[[status]]\nid = \"attributed\"",
            "[[status]]\nid = \"parked\"\ncategory = \"active\"\n\n[[status]]\nid = \"attributed\"",
            1,
        )
        .replacen(
            "[[transition]]\nname = \"start\"",
            "[[transition]]\nname = \"park\"\nfrom = [\"attributed\"]\nto = \"parked\"\n\n\
             [[transition]]\nname = \"unpark\"\nfrom = [\"parked\"]\nto = \"in_progress\"\n\n\
             [[transition]]\nname = \"start\"",
            1,
        );
    let with_parked = d.dir.path().join("parked.toml");
    std::fs::write(&with_parked, parked).expect("write");
    d.run(&["config", "install", with_parked.to_str().expect("p")])
        .ok();
    let n = d.new_ticket("Parked one", &[]);
    d.run(&["claim", &n]).ok();
    d.run(&["move", &n, "parked"]).ok();
    let b = d.dir.path().join("with-parked.db");
    d.run(&["backup", b.to_str().expect("p")]).ok();
    // The desk moves on without that status…
    d.run(&["move", &n, "in_progress"]).ok();
    let plain = d.dir.path().join("plain.toml");
    std::fs::write(&plain, &good).expect("write");
    d.run(&["config", "install", plain.to_str().expect("p")])
        .ok();
    // …so a backup with a ticket parked there would leave it where nobody can move it.
    refused(
        &d,
        &b,
        2,
        "statuses the configuration in force does not declare: parked (1 tickets)",
    );
}

#[test]
fn a_backup_whose_history_was_rewritten_is_refused() {
    let (d, b) = desk_and_backup();
    // A ticket's event (desk-level events come first: the desk's admin, groups, agents).
    let k: i64 = rusqlite::Connection::open(&b)
        .and_then(|c| {
            c.query_row(
                "SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 11",
                [],
                |r| r.get(0),
            )
        })
        .expect("an event");
    let f = altered(
        &b,
        "rewritten.db",
        &format!(
            "DROP TRIGGER events_no_update; UPDATE events SET text = 'forged' WHERE id = {k}; {}",
            desk::store::schema::EVENTS_NO_UPDATE
        ),
    );
    refused(&d, &f, 2, &format!("history is not intact: event {k}"));
    // Its people changed behind desk's back, the chain left whole: refused too.
    let f = altered(
        &b,
        "promoted.db",
        "UPDATE agents SET role = 'admin' WHERE login = 'petro'",
    );
    refused(
        &d,
        &f,
        2,
        "people are not what its history says: agent petro is role=admin",
    );
}

#[test]
fn a_backup_from_a_newer_desk_or_not_a_desk_is_refused() {
    let (d, b) = desk_and_backup();
    let f = altered(&b, "newer.db", "PRAGMA user_version = 99");
    refused(&d, &f, 5, "newer desk");
    let f = altered(&b, "foreign.db", "PRAGMA application_id = 7");
    refused(&d, &f, 2, "not a desk database");
    refused(&d, Path::new("/nonexistent.db"), 3, "no backup file");
}

#[test]
fn numbers_never_go_back() {
    let (d, b) = desk_and_backup();
    let given: Vec<String> = (0..3)
        .map(|i| d.new_ticket(&format!("given {i}"), &[]))
        .collect();
    d.run(&["restore", b.to_str().expect("p"), "--force"]).ok();
    for n in &given {
        d.run(&["show", n]).fails(3, "no ticket");
    }
    // The numbers requesters already hold are never issued again.
    let next = d.new_ticket("after the restore", &[]);
    assert!(
        !given.contains(&next),
        "{next} was issued before the restore"
    );
    d.run(&["check"]).ok();
}

#[test]
fn a_backup_is_the_callers_new_private_file() {
    let (d, b) = desk_and_backup();
    let mode = std::fs::metadata(&b).expect("backup").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "readable by its owner only");
    // Never through a link planted where the backup goes.
    let victim = d.dir.path().join("victim");
    std::fs::write(&victim, "precious").expect("write");
    let link = d.dir.path().join("link.db");
    std::os::unix::fs::symlink(&victim, &link).expect("link");
    d.run(&["backup", link.to_str().expect("p")])
        .fails(2, "already exists");
    let partial = d.dir.path().join("p.db");
    std::os::unix::fs::symlink(&victim, d.dir.path().join("p.db.partial")).expect("link");
    let r = d.run(&["backup", partial.to_str().expect("p")]);
    assert_ne!(
        r.code, 0,
        "a link in place of the .partial file is not written through"
    );
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
}
