//! The history's hash chain (docs/hash-chain.md): every event chained after the one before in
//! the documented encoding, recomputed here independently; an edited, a deleted and an
//! inserted event each named by `desk check`, however the damage was done; an anchor kept
//! elsewhere catches even a history rewritten with every hash recomputed. The same tests run
//! on PostgreSQL (`DESK_TEST_BACKEND=postgres`; .ci/run does): there the damage is done by
//! the server's superuser with the triggers off, on a database copied from the desk's.

mod common;

use common::{Desk, Run};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The encoding, written again from docs/hash-chain.md (not from the code).
fn link(prev: &[u8; 32], e: &Ev) -> [u8; 32] {
    fn s(m: &mut Vec<u8>, b: &[u8]) {
        m.extend_from_slice(&(b.len() as u32).to_be_bytes());
        m.extend_from_slice(b);
    }
    fn o(m: &mut Vec<u8>, b: &Option<String>) {
        match b {
            None => m.push(0),
            Some(b) => {
                m.push(1);
                s(m, b.as_bytes());
            }
        }
    }
    let mut m = b"desk-chain-v1\0".to_vec();
    m.extend_from_slice(prev);
    m.extend_from_slice(&e.id.to_be_bytes());
    s(&mut m, e.number.as_bytes());
    m.extend_from_slice(&e.at.to_be_bytes());
    o(&mut m, &e.actor);
    o(&mut m, &e.via);
    s(&mut m, e.kind.as_bytes());
    o(&mut m, &e.from);
    o(&mut m, &e.to);
    o(&mut m, &e.text);
    Sha256::digest(&m).into()
}

struct Ev {
    id: i64,
    number: String,
    at: i64,
    actor: Option<String>,
    via: Option<String>,
    kind: String,
    from: Option<String>,
    to: Option<String>,
    text: Option<String>,
    /// The stored hash in lower-case hex.
    hash: Option<String>,
    /// A desk-level event (an agent, a group, a configuration): no ticket.
    desk: bool,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// A column of bytes as lower-case hex (NULL stays NULL), in the desk's database's dialect.
fn hex_of(d: &Desk, column: &str) -> String {
    if d.is_postgres() {
        format!("encode({column}, 'hex')")
    } else {
        format!("CASE WHEN {column} IS NULL THEN NULL ELSE lower(hex({column})) END")
    }
}

fn events(d: &Desk) -> Vec<Ev> {
    let sql = format!(
        "SELECT e.id, t.number, e.at, a.login, v.login, e.kind, e.from_value, e.to_value, e.text, {}, 0
         FROM events e JOIN tickets t ON t.id = e.ticket_id
         LEFT JOIN agents a ON a.id = e.actor_id LEFT JOIN agents v ON v.id = e.via_id
         UNION ALL
         SELECT d.id, '', d.at, a.login, v.login, d.kind, d.from_value, d.to_value, d.text, {}, 1
         FROM desk_events d
         LEFT JOIN agents a ON a.id = d.actor_id LEFT JOIN agents v ON v.id = d.via_id
         ORDER BY 1",
        hex_of(d, "e.hash"),
        hex_of(d, "d.hash")
    );
    let int = |v: &Option<String>| -> i64 {
        v.as_deref()
            .and_then(|v| v.parse().ok())
            .expect("an integer")
    };
    d.raw()
        .rows(&sql)
        .into_iter()
        .map(|r| Ev {
            id: int(&r[0]),
            number: r[1].clone().unwrap_or_default(),
            at: int(&r[2]),
            actor: r[3].clone(),
            via: r[4].clone(),
            kind: r[5].clone().unwrap_or_default(),
            from: r[6].clone(),
            to: r[7].clone(),
            text: r[8].clone(),
            hash: r[9].clone(),
            desk: int(&r[10]) == 1,
        })
        .collect()
}

/// The database's name in a PostgreSQL URL.
fn db_name(url: &str) -> &str {
    let path = url.rsplit_once('/').map_or("", |(_, p)| p);
    path.split('?').next().unwrap_or(path)
}

/// `sql`, written for SQLite, as PostgreSQL takes it from someone holding the server (its
/// superuser, the triggers not firing under `session_replication_role = replica`): no
/// trigger to drop or make again, no FTS5 index to rebuild, zero bytes spelt its way.
fn for_postgres(sql: &str) -> String {
    let mut rest = sql.to_string();
    while let Some(at) = rest.find("CREATE TRIGGER") {
        let end = rest[at..]
            .find("END;")
            .map_or(rest.len(), |e| at + e + "END;".len());
        rest.replace_range(at..end, "");
    }
    let kept: Vec<&str> = rest
        .split(';')
        .map(str::trim)
        .filter(|st| {
            !st.is_empty()
                && !st.starts_with("DROP TRIGGER")
                && !st.starts_with("INSERT INTO search")
        })
        .collect();
    kept.join(";\n")
        .replace("zeroblob(32)", "decode(repeat('00', 32), 'hex')")
}

/// Statements run behind the desk's back by whoever holds its database: the SQLite file's
/// owner, or PostgreSQL's superuser with the triggers off (`for_postgres`).
#[track_caller]
fn tamper(d: &Desk, sql: &str) {
    let done = if d.is_postgres() {
        let c = common::pg::cluster().expect("the test cluster");
        let url = c.url("postgres", db_name(&d.db.to_string_lossy()));
        common::Raw::open(std::path::Path::new(&url)).batch(&format!(
            "SET session_replication_role = replica;\n{}",
            for_postgres(sql)
        ))
    } else {
        d.raw().batch(sql)
    };
    if let Err(e) = done {
        panic!("{sql}: {e}");
    }
}

/// Rewrites every hash the way someone with the database and this document could: the chain
/// then holds again, and only an anchor kept elsewhere tells.
fn rechain(d: &Desk) {
    let mut sql = String::from(
        "DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS desk_events_no_update;",
    );
    let mut prev = [0u8; 32];
    for e in events(d) {
        prev = link(&prev, &e);
        let table = if e.desk { "desk_events" } else { "events" };
        let bytes = if d.is_postgres() {
            format!("'\\x{}'::bytea", hex(&prev))
        } else {
            format!("X'{}'", hex(&prev))
        };
        sql.push_str(&format!(
            "\nUPDATE {table} SET hash = {bytes} WHERE id = {};",
            e.id
        ));
    }
    tamper(d, &sql);
}

/// A desk with some history of every kind (the demo, a take-over via --as, notes).
fn busy_desk() -> Desk {
    let d = Desk::staffed();
    d.run(&["demo", "--tickets", "60"]).ok();
    let n = d.new_ticket("Chained", &[]);
    d.run_as("olena", &["claim", &n]).ok();
    d.run(&["--as", "vasyl", "comment", &n, "on behalf"]).ok();
    d
}

/// A copy of `d`, damaged by `sql`, and what `desk check` says of it: a copy of its file in
/// a directory of its own, or on PostgreSQL a database made from its database.
fn damaged(d: &Desk, sql: &str) -> (Desk, Run) {
    static COPIES: AtomicUsize = AtomicUsize::new(0);
    let dir = tempfile::tempdir().expect("tmp");
    let copy = if d.is_postgres() {
        let url = d.db.to_string_lossy().into_owned();
        let from = db_name(&url).to_string();
        let to = format!("{from}_copy{}", COPIES.fetch_add(1, Ordering::SeqCst));
        common::pg::cluster().expect("the test cluster").admin(
            "postgres",
            &format!(
                "CREATE DATABASE {to} TEMPLATE {from} OWNER {}",
                common::pg::OWNER
            ),
        );
        let copy = Desk {
            db: std::path::PathBuf::from(url.replacen(&format!("/{from}"), &format!("/{to}"), 1)),
            dir,
            me: d.me.clone(),
        };
        let config = copy.config();
        std::fs::create_dir_all(config.parent().expect("its directory")).expect("mkdir");
        std::fs::copy(d.config(), config).expect("copy the configuration");
        copy
    } else {
        d.sql()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
        for f in ["desk.db", "desk.toml"] {
            std::fs::copy(d.dir.path().join(f), dir.path().join(f)).expect("copy");
        }
        Desk {
            db: dir.path().join("desk.db"),
            dir,
            me: d.me.clone(),
        }
    };
    tamper(&copy, sql);
    let r = copy.run(&["check"]);
    (copy, r)
}

fn number_of(d: &Desk, event: i64) -> String {
    d.text(&format!(
        "SELECT t.number FROM events e JOIN tickets t ON t.id = e.ticket_id WHERE e.id = {event}"
    ))
}

#[test]
fn every_event_is_chained_as_documented() {
    let d = busy_desk();
    let all = events(&d);
    assert!(all.len() > 300, "{}", all.len());
    assert!(
        all.iter().any(|e| e.via.is_some()),
        "an --as event is covered"
    );
    assert!(
        all.iter().any(|e| e.desk && e.kind == "agent") && all.iter().any(|e| !e.desk),
        "desk-level events are in the same chain"
    );
    let mut prev = [0u8; 32];
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.id, i as i64 + 1, "ids follow one another");
        prev = link(&prev, e);
        assert_eq!(e.hash, Some(hex(&prev)), "event {}", e.id);
    }
    let anchor = d.run(&["check", "--anchor"]).ok();
    assert_eq!(anchor, format!("{}:{}", all.len(), hex(&prev)));
    let ok = d.run(&["check", "--against", &anchor]).ok();
    assert!(ok.contains("still holds the anchor"), "{ok}");
    let json = d.run(&["check", "--json"]).json();
    assert_eq!(json["head"], anchor.as_str());
}

#[test]
fn an_edited_event_is_named() {
    let d = busy_desk();
    let k = 40;
    let n = number_of(&d, k);
    let (_, r) = damaged(
        &d,
        &format!(
            "DROP TRIGGER events_no_update; UPDATE events SET text = 'forged' WHERE id = {k};
             CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'x'); END;"
        ),
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "{n}: history event {k} was changed after it was written"
        )),
        "{}",
        r.stdout
    );
    // The blame moved to someone else, the time moved, an agent renamed: each named too.
    for (sql, event) in [
        (
            format!("DROP TRIGGER events_no_update; UPDATE events SET actor_id = (SELECT id FROM agents WHERE login = 'petro') WHERE id = {k}"),
            k,
        ),
        (
            format!("DROP TRIGGER events_no_update; UPDATE events SET at = at - 86400 WHERE id = {k}"),
            k,
        ),
        (
            "UPDATE agents SET login = 'someone' WHERE login = 'olena'".to_string(),
            d.ints(
                "SELECT min(e.id) FROM events e JOIN agents a ON a.id = e.actor_id WHERE a.login = 'olena'",
            )[0],
        ),
    ] {
        let (_, r) = damaged(&d, &sql);
        assert_eq!(r.code, 5, "{sql}: {}", r.stderr);
        assert!(
            r.stdout.contains(&format!("history event {event} ")),
            "{sql}: {}",
            r.stdout
        );
    }
}

#[test]
fn a_deleted_event_is_named() {
    let d = busy_desk();
    let k = 77;
    let (_, r) = damaged(
        &d,
        &format!("DROP TRIGGER events_no_delete; DELETE FROM events WHERE id = {k}"),
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "history event {} does not follow event {}: the events between them were deleted",
            k + 1,
            k - 1
        )),
        "{}",
        r.stdout
    );
    // Deleted, and the ids after it shifted down to hide the hole.
    let (_, r) = damaged(
        &d,
        &format!(
            "DROP TRIGGER events_no_delete; DROP TRIGGER events_no_update;
             DELETE FROM events WHERE id = {k};
             UPDATE events SET id = -id WHERE id > {k};
             UPDATE events SET id = -id - 1 WHERE id < 0;"
        ),
    );
    assert_eq!(r.code, 5);
    assert!(
        r.stdout
            .contains(&format!("history event {k} does not match its hash")),
        "{}",
        r.stdout
    );
    // The first events gone (the desk's own: its admin and groups).
    let (_, r) = damaged(
        &d,
        "DROP TRIGGER events_no_delete; DELETE FROM events WHERE id <= 2;
         DROP TRIGGER desk_events_no_delete; DELETE FROM desk_events WHERE id <= 2",
    );
    assert!(
        r.stdout
            .contains("history event 3 is not the first event: the events before it were deleted"),
        "{}",
        r.stdout
    );
}

#[test]
fn an_inserted_event_is_named() {
    let d = busy_desk();
    let last = d.ints("SELECT max(id) FROM events")[0];
    // Appended by hand, without a hash.
    let (_, r) = damaged(
        &d,
        &format!(
            "INSERT INTO events (id, ticket_id, at, actor_id, kind, text) VALUES ({}, 1, 1, 1, 'comment', 'slipped in')",
            last + 1
        ),
    );
    assert_eq!(r.code, 5);
    assert!(
        r.stdout.contains(&format!(
            "history event {} has no hash: it was written outside desk",
            last + 1
        )),
        "{}",
        r.stdout
    );
    // Appended with a made-up hash.
    let (_, r) = damaged(
        &d,
        &format!(
            "INSERT INTO events (id, ticket_id, at, actor_id, kind, text, hash) VALUES ({}, 1, 1, 1, 'comment', 'slipped in', zeroblob(32))",
            last + 1
        ),
    );
    assert!(
        r.stdout.contains(&format!(
            "history event {} does not match its hash",
            last + 1
        )),
        "{}",
        r.stdout
    );
    // Inserted in the middle, the ids after it shifted up to make room.
    let k = 50;
    let (_, r) = damaged(
        &d,
        &format!(
            "DROP TRIGGER events_no_update;
             UPDATE events SET id = -id WHERE id >= {k};
             UPDATE events SET id = -id + 1 WHERE id < 0;
             INSERT INTO events (id, ticket_id, at, actor_id, kind, text, hash)
                 VALUES ({k}, 1, 1, 1, 'comment', 'slipped in', zeroblob(32));"
        ),
    );
    assert!(
        r.stdout.contains(&format!(
            "history event {k} does not match its hash, nor does the event after it: events were inserted"
        )),
        "{}",
        r.stdout
    );
}

#[test]
fn an_anchor_catches_a_history_rewritten_with_its_hashes() {
    let d = busy_desk();
    let anchor = d.run(&["check", "--anchor"]).ok();
    d.new_ticket("After the anchor", &[]);
    d.run(&["check", "--against", &anchor]).ok();
    // Someone with the database (root, its superuser) edits an old event and recomputes every
    // hash after it.
    tamper(
        &d,
        "DROP TRIGGER events_no_update;
         UPDATE events SET text = 'rewritten' WHERE id = (SELECT id FROM events ORDER BY id LIMIT 1 OFFSET 9)",
    );
    rechain(&d);
    // The search index holds the old text and would give the edit away: rebuilt too (on
    // PostgreSQL the index follows the rows itself); the triggers made again.
    tamper(
        &d,
        "INSERT INTO search (search) VALUES ('rebuild');
         CREATE TRIGGER events_no_update BEFORE UPDATE ON events
         BEGIN SELECT RAISE(ABORT, 'desk: the history is append-only; events cannot be changed'); END;
         CREATE TRIGGER desk_events_no_update BEFORE UPDATE ON desk_events
         BEGIN SELECT RAISE(ABORT, 'desk: the history is append-only; events cannot be changed'); END;",
    );
    // Without the anchor the chain holds (that is why auditors keep one)…
    d.run(&["check"]).ok();
    // …with it, the rewrite is found.
    let id: i64 = anchor
        .split(':')
        .next()
        .and_then(|i| i.parse().ok())
        .expect("id");
    let r = d.run(&["check", "--against", &anchor]);
    assert_eq!(r.code, 5);
    assert!(
        r.stdout.contains(&format!(
            "the history up to event {id} is not the one anchored"
        )),
        "{}",
        r.stdout
    );
    // Events cut off the end (and the chain recomputed): the anchor's event is gone.
    tamper(
        &d,
        &format!(
            "DROP TRIGGER events_no_delete; DELETE FROM events WHERE id >= {}",
            id - 5
        ),
    );
    let r = d.run(&["check", "--against", &anchor]);
    assert!(
        r.stdout.contains(&format!(
            "the anchor's event {id} is no longer in the history"
        )),
        "{}",
        r.stdout
    );
    d.run(&["check", "--against", "12:nothex"])
        .fails(2, "is not an anchor");
}

/// The desk's people and groups are in the chain too: every change desk makes to them is a
/// desk-level event with the new state, and `desk check` names an agent or group that is not
/// what the chain last recorded. Before, a role given with `sqlite3` (by a service holding the
/// desk's group, by root, in a backup later restored) went unnoticed.
#[test]
fn the_desks_people_are_chained_too() {
    let d = busy_desk();
    // Changes made through desk keep the desk whole.
    d.run(&[
        "agent",
        "set",
        "petro",
        "--capacity",
        "7",
        "--add-group",
        "SOCIAL",
    ])
    .ok();
    d.run(&["agent", "set", "anna", "--active", "off"]).ok();
    d.run(&["--as", "vasyl", "agent", "list"]).ok();
    d.run(&["group", "add", "NIGHT", "Night shift"]).ok();
    d.run(&["group", "set", "NIGHT", "--auto-assign", "on"])
        .ok();
    d.run(&[
        "agent", "add", "ivan", "--role", "viewer", "--group", "NIGHT",
    ])
    .ok();
    let text = std::fs::read_to_string(d.config()).expect("config");
    let mine = d.dir.path().join("mine.toml");
    std::fs::write(&mine, &text).expect("copy");
    d.run(&["config", "install", mine.to_str().expect("path")])
        .ok();
    d.run(&["check"]).ok();
    let recorded: Vec<(String, Option<String>, Option<String>)> = d
        .raw()
        .rows("SELECT kind, from_value, text FROM desk_events ORDER BY id")
        .into_iter()
        .map(|r| (r[0].clone().unwrap_or_default(), r[1].clone(), r[2].clone()))
        .collect();
    let petro = recorded
        .iter()
        .rev()
        .find(|(k, f, _)| k == "agent" && f.as_deref() == Some("petro"))
        .and_then(|(_, _, t)| t.clone());
    assert_eq!(
        petro.as_deref(),
        Some("role=operator active=1 away=0 capacity=7 groups=HOUSING,SOCIAL name=petro")
    );
    assert!(
        recorded.iter().any(
            |(k, _, t)| k == "config" && t.as_deref().is_some_and(|t| t.starts_with("sha256:"))
        ),
        "the configuration installed is recorded"
    );
    // The same changes made behind desk's back: each named.
    for (sql, said) in [
        (
            "UPDATE agents SET role = 'admin' WHERE login = 'petro'",
            "agent petro is role=admin",
        ),
        (
            "UPDATE agents SET active = 1 WHERE login = 'anna'",
            "agent anna is role=operator active=1",
        ),
        (
            "INSERT INTO agents (login, name, role, capacity, created_at) VALUES ('mallory', 'M', 'admin', 20, 0)",
            "agent mallory (role=admin active=1 away=0 capacity=20 groups= name=M) is not in the history: added outside desk",
        ),
        (
            "INSERT INTO members (agent_id, group_code) SELECT id, 'SOCIAL' FROM agents WHERE login = 'olena'",
            "agent olena is role=operator active=1 away=0 capacity=20 groups=HOUSING,SOCIAL",
        ),
        (
            "UPDATE groups SET auto_assign = 0 WHERE code = 'NIGHT'",
            "group NIGHT is auto_assign=0 name=Night shift, but the history last recorded auto_assign=1",
        ),
        (
            "DELETE FROM members WHERE agent_id = (SELECT id FROM agents WHERE login = 'ivan');
             DELETE FROM agents WHERE login = 'ivan'",
            "agent ivan, last recorded as role=viewer",
        ),
    ] {
        let (_, r) = damaged(&d, sql);
        assert_eq!(r.code, 5, "{sql}: {}", r.stderr);
        assert!(
            r.stdout.contains(said) && r.stdout.contains("outside desk"),
            "{sql}: {}",
            r.stdout
        );
    }
    // Rewriting what the chain recorded to match breaks the chain itself.
    let (_, r) = damaged(
        &d,
        "UPDATE agents SET role = 'admin' WHERE login = 'petro';
         DROP TRIGGER desk_events_no_update;
         UPDATE desk_events SET text = replace(text, 'role=operator', 'role=admin')
             WHERE id = (SELECT max(id) FROM desk_events WHERE from_value = 'petro');",
    );
    assert_eq!(r.code, 5);
    assert!(
        r.stdout.contains("was changed after it was written"),
        "{}",
        r.stdout
    );
}

/// An import keeps the chain's tail as it appends, where a single change reads it before each
/// event: a group the configuration declares and the database does not hold yet is made by
/// the first request routed to it, and that making is chained as a desk-level event in the
/// middle of the import. Every event after it still chains on it.
#[test]
fn an_import_that_makes_a_group_chains_on_after_its_making() {
    let d = Desk::new();
    let text = std::fs::read_to_string(d.config()).expect("config");
    std::fs::write(
        d.config(),
        format!(
            "{text}\n[[group]]\ncode = \"NIGHT\"\nname = \"Night shift\"\nauto_assign = false\n"
        ),
    )
    .expect("write the configuration");
    let items: String = (0..100)
        .map(|i| {
            let group = if i >= 40 {
                ", \"group\": \"NIGHT\""
            } else {
                ""
            };
            format!("{{\"subject\": \"Request {i} about the lift\"{group}}}\n")
        })
        .collect();
    let out = d.run_stdin(&["import", "-"], items.as_bytes()).ok();
    assert_eq!(out.lines().count(), 100, "{out}");
    assert_eq!(
        d.ints("SELECT count(*) FROM desk_events WHERE kind = 'group' AND from_value = 'NIGHT'"),
        vec![1],
        "the group's making is in the history"
    );
    d.run(&["check"]).ok();
    let numbers = d.new_ticket("After the import", &["--group", "NIGHT"]);
    assert!(!numbers.is_empty());
    d.run(&["check"]).ok();
}
