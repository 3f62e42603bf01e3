//! Ticket numbers end to end (issue 11, items 1-3): the check character covers every
//! character, configurations cannot stop intake or give a number twice, restores never give a
//! number again, and `desk check` accepts a gap only where a record says why.

mod common;

use common::{Desk, check_invariants};
use desk::core::numbering::{self, CheckAlgo};

/// The built-in configuration with `edit` applied, written into the desk's directory.
fn config(d: &Desk, name: &str, edit: impl Fn(String) -> String) -> String {
    let text = edit(desk::core::config::BUILTIN.to_string());
    let path = d.dir.path().join(name);
    std::fs::write(&path, text).expect("write config");
    path.display().to_string()
}

/// Category declarations to add to the built-in configuration.
fn with_categories(extra: String) -> impl Fn(String) -> String {
    move |t: String| {
        t.replace(
            "\n# Routing rules are tried before category keywords",
            &format!("\n{extra}\n# Routing rules are tried before category keywords"),
        )
    }
}

fn category(code: &str, template: &str) -> String {
    format!(
        "[[category]]\ncode = \"{code}\"\nname = \"{code}\"\ngroup = \"FRONT\"\ntemplate = \"{template}\"\n"
    )
}

#[test]
fn a_misheard_category_is_a_typo_not_another_ticket() {
    let d = Desk::new();
    let hsg = d.new_ticket("First", &["--category", "HSG"]);
    let gen_ = d.new_ticket("Second", &["--category", "GEN"]);
    assert_eq!(
        hsg[3..14],
        gen_[3..14],
        "same period, same sequence: {hsg} {gen_}"
    );
    // Before, the check digit read only the digits: GEN-… with HSG's digits opened the GEN
    // ticket. Now the check character covers the letters too.
    let misheard = format!("GEN{}", &hsg[3..]);
    assert_ne!(misheard, gen_);
    let r = d.run(&["show", &misheard]);
    r.fails(2, "mistyped");
    assert!(r.stderr.contains(&hsg), "the ticket meant: {}", r.stderr);
    let misheard = format!("CMP{}", &hsg[3..]);
    let r = d.run(&["show", &misheard]);
    r.fails(2, "mistyped");
    assert!(r.stderr.contains(&hsg), "the ticket meant: {}", r.stderr);
    // Every single character of the number, letters included, is checked.
    let key = numbering::normalize(&hsg);
    for (i, c) in key.char_indices() {
        let other = if c == 'Q' { 'R' } else { 'Q' };
        let typo = format!("{}{}{}", &key[..i], other, &key[i + 1..]);
        let r = d.run(&["show", &typo]);
        assert_eq!(r.code, 2, "{typo}: {}", r.stderr);
        assert!(r.stderr.contains(&hsg), "{typo} names {hsg}: {}", r.stderr);
    }
    check_invariants(&d.db);
    d.run(&["check"]).ok();
}

/// Turns a desk made by this desk into one as an earlier desk left it: before the numbering
/// migration, series keys
/// with separators, check digits over the digits only.
fn make_legacy(d: &Desk) -> Vec<(String, String)> {
    let c = d.sql();
    let tickets: Vec<(i64, String)> = {
        let mut stmt = c
            .prepare("SELECT id, number FROM tickets ORDER BY id")
            .expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    let mut renamed = Vec::new();
    for (id, number) in &tickets {
        // {cat}-{yy}{mm}-{seq:5}-{check}: HSG-2611-00001-K
        let body = &number[..15];
        let old = format!("{body}{}", numbering::damm(body.chars()));
        let scope = format!("{}{{seq}}-", &number[..9]);
        c.execute(
            "UPDATE tickets SET number = ?1, number_key = ?2, scope = ?3 WHERE id = ?4",
            rusqlite::params![old, numbering::normalize(&old), scope, id],
        )
        .expect("rename");
        renamed.push((number.clone(), old));
    }
    // Undo the numbering migration and the history's hash chain (which reads the numbers):
    // the upgrade chains the history of the numbers as they were.
    let before_numbering = desk::store::schema::ALL
        .iter()
        .position(|m| *m == desk::store::schema::V8)
        .expect("the hash chain's migration");
    assert_eq!(
        desk::store::schema::ALL.get(before_numbering + 1),
        Some(&desk::store::schema::V9)
    );
    c.pragma_update(None, "user_version", before_numbering as i64)
        .expect("version");
    c.execute_batch(
        "CREATE TABLE old_seq AS SELECT scope, last FROM sequences;
         DROP TABLE sequences;
         CREATE TABLE sequences (scope TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;
         DROP TABLE old_seq;
         INSERT INTO sequences SELECT scope, max(seq) FROM tickets GROUP BY scope;
         DROP TRIGGER number_gaps_no_update;
         DROP TRIGGER number_gaps_no_delete;
         DROP TABLE number_gaps;
         DROP TABLE requester;
         DROP TABLE outbox;
         DROP TABLE inbox;
         ALTER TABLE events DROP COLUMN hash;
         DROP TABLE alerts;
         ALTER TABLE groups DROP COLUMN turn_agent_id;
         DROP TABLE attachments;
         DROP TABLE blobs;
         DROP INDEX tickets_merged_into;
         ALTER TABLE tickets DROP COLUMN merged_into;
         DROP TABLE links;
         DROP TRIGGER search_ticket_insert;
         DROP TRIGGER search_ticket_update;
         DROP TRIGGER search_event;
         DROP TABLE search;
         DROP VIEW search_doc;
         ALTER TABLE tickets DROP COLUMN search_number;
         ALTER TABLE tickets DROP COLUMN search_subject;
         ALTER TABLE tickets DROP COLUMN search_requester;
         ALTER TABLE tickets DROP COLUMN search_contact;
         ALTER TABLE tickets DROP COLUMN search_body;
         ALTER TABLE events DROP COLUMN search_text;
         DROP TABLE desk_events;
         ALTER TABLE agents DROP COLUMN mail;
         DROP INDEX tickets_open_number;
         DROP INDEX tickets_open_subject;
         DROP INDEX tickets_open_requester;
         DROP INDEX tickets_open_age;
         DROP INDEX tickets_open_updated;
         DROP INDEX tickets_open_due;
         DROP INDEX tickets_open_fields;
         DROP TABLE report_days;
         DROP INDEX facts_awaited;
         DROP INDEX facts_first_response;
         DROP INDEX facts_resolution;
         DELETE FROM meta WHERE key = 'rollups';
         ALTER TABLE facts DROP COLUMN reassigned;
         DROP INDEX events_reassigned;
         CREATE INDEX events_reassigned ON events (at, ticket_id, from_value, text)
             WHERE kind = 'assigned' AND from_value IS NOT NULL AND to_value IS NOT NULL;
         DROP INDEX tickets_closed;
         DROP INDEX tickets_subject;
         DROP INDEX tickets_requester;
         DROP INDEX tickets_updated;
         DROP INDEX tickets_due_order;
         DROP INDEX tickets_due_at;
         DROP INDEX tickets_responded;
         DROP INDEX tickets_category;
         DROP INDEX tickets_group_number;",
    )
    .expect("downgrade");
    // (V28 made `tickets_open_due` again with the time of risk: dropped above with V21's.)
    // The search index as V2 made it.
    c.execute_batch(desk::store::schema::V2)
        .expect("V2's search index");
    renamed
}

#[test]
fn numbers_of_an_earlier_desk_stay_valid_after_upgrade() {
    let d = Desk::new();
    // An earlier desk is an SQLite file of schema 8: no PostgreSQL desk before schema 17
    // ever existed to be upgraded.
    if !d.has_sqlite_file() {
        return;
    }
    for s in ["One", "Two", "Three"] {
        d.new_ticket(s, &["--category", "HSG"]);
    }
    d.new_ticket("Four", &["--category", "GEN"]);
    let old = make_legacy(&d);
    // The upgrade keeps every number: each opens its ticket, and a typo in its digits is
    // still caught by the digits-only check its series keeps.
    for (_, number) in &old {
        assert_eq!(d.show(number)["number"], number.as_str());
    }
    let (_, first) = &old[0];
    let typo = format!(
        "{}{}",
        &first[..13],
        if &first[13..14] == "1" { "2" } else { "1" }
    );
    d.run(&["show", &typo]).fails(2, "");
    let scopes: Vec<(String, Option<String>)> = {
        let c = d.sql();
        let mut stmt = c
            .prepare("SELECT scope, algo FROM sequences ORDER BY scope")
            .expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert!(
        scopes
            .iter()
            .all(|(s, a)| !s.contains('-') && a.as_deref() == Some("damm")),
        "{scopes:?}"
    );
    let r = d.run(&["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // The series goes on with its own algorithm: number 4 of HSG, a digits-only check.
    let next = d.new_ticket("Five", &["--category", "HSG"]);
    assert_eq!(&next[..15], &format!("{}00004-", &first[..9]));
    assert!(numbering::verify(CheckAlgo::Damm, &next), "{next}");
    d.run(&["check"]).ok();
    check_invariants(&d.db);
}

#[test]
fn dropping_a_dash_from_the_template_continues_the_series() {
    let d = Desk::new();
    let a = d.new_ticket("One", &["--category", "HSG"]);
    let b = d.new_ticket("Two", &["--category", "HSG"]);
    let file = config(&d, "nodash.toml", |t| {
        t.replace("{seq:5}-{check}", "{seq:5}{check}")
    });
    d.run(&["config", "check", &file]).ok();
    d.run(&["config", "install", &file]).ok();
    // Before: every later intake in the series failed on `UNIQUE constraint failed`.
    let c = d.new_ticket("Three", &["--category", "HSG"]);
    assert_eq!(&c[..14], &format!("{}00003", &a[..9]), "{c}");
    assert!(!c[9..].contains('-'), "{c}");
    assert_eq!(d.show(&a)["number"], a.as_str());
    assert_eq!(d.show(&b)["number"], b.as_str());
    // A mistyped old number is still a typo, not another ticket.
    let mut typo: Vec<char> = a.chars().collect();
    typo.swap(12, 13);
    let typo: String = typo.into_iter().collect();
    d.run(&["show", &typo]).fails(2, "mistyped");
    d.run(&["check"]).ok();
    check_invariants(&d.db);
}

#[test]
fn two_templates_written_alike_share_one_series() {
    let d = Desk::new();
    let file = config(
        &d,
        "twins.toml",
        with_categories(format!(
            "{}\n{}",
            category("SRVA", "SRV-{yyyy}-{seq:3}"),
            category("SRVB", "SRV{yyyy}-{seq:3}")
        )),
    );
    d.run(&["config", "install", &file]).ok();
    let mut numbers = Vec::new();
    for i in 0..6 {
        let cat = if i % 2 == 0 { "SRVA" } else { "SRVB" };
        numbers.push(d.new_ticket("Request", &["--category", cat]));
    }
    let keys: std::collections::BTreeSet<String> =
        numbers.iter().map(|n| numbering::normalize(n)).collect();
    assert_eq!(keys.len(), 6, "{numbers:?}");
    assert!(numbers[5].ends_with("-006"), "{numbers:?}");
    d.run(&["check"]).ok();
    check_invariants(&d.db);
}

#[test]
fn templates_that_can_collide_are_refused_with_an_example() {
    let d = Desk::new();
    let colliding = with_categories(format!(
        "{}\n{}",
        category("A", "{cat}-{seq:2}"),
        category("A1", "{cat}-{seq:2}")
    ));
    let file = config(&d, "a_a1.toml", colliding);
    let r = d.run(&["config", "check", &file]);
    r.fails(2, "can give two numbers desk reads as one");
    assert!(
        r.stderr.contains("A-111") && r.stderr.contains("A1-11"),
        "{}",
        r.stderr
    );
    d.run(&["config", "install", &file])
        .fails(2, "can give two numbers desk reads as one");
    let shared = config(
        &d,
        "yy.toml",
        with_categories(format!(
            "{}\n{}",
            category("SRVA", "SRV-{yyyy}-{seq:3}"),
            category("SRVB", "SRV{yy}-{seq:5}")
        )),
    );
    d.run(&["config", "check", &shared])
        .fails(2, "can give two numbers desk reads as one");
    d.run(&["config", "check"]).ok();
}

#[test]
fn a_template_that_reads_issued_numbers_another_way_is_refused() {
    let d = Desk::new();
    let before = config(&d, "three.toml", |t| {
        t.replace("{cat}-{yy}{mm}-{seq:5}-{check}", "{cat}{seq:3}")
    });
    d.run(&["config", "install", &before]).ok();
    let n = d.new_ticket("One", &["--category", "HSG"]);
    assert_eq!(n, "HSG001");
    // HSG0 followed by 01: number 1 of another series.
    let after = config(&d, "zero.toml", |t| {
        t.replace("{cat}-{yy}{mm}-{seq:5}-{check}", "{cat}0{seq:2}")
    });
    let r = d.run(&["config", "install", &after]);
    r.fails(2, "would give numbers already given again");
    assert!(r.stderr.contains("HSG001"), "{}", r.stderr);
    d.run(&["config", "check", &after])
        .fails(2, "would give numbers already given again");
    assert_eq!(d.new_ticket("Two", &["--category", "HSG"]), "HSG002");
}

#[test]
fn intake_skips_a_number_that_exists_and_records_why() {
    let d = Desk::new();
    // Installed by hand, past `config install`: codes A and A1 with {cat}{seq:1}.
    let text = with_categories(format!(
        "{}\n{}",
        category("A", "{cat}{seq:1}"),
        category("A1", "{cat}{seq:1}")
    ))(desk::core::config::BUILTIN.to_string());
    std::fs::write(d.config(), text).expect("write");
    assert_eq!(d.new_ticket("x", &["--category", "A1"]), "A11");
    let mut got = Vec::new();
    for _ in 0..11 {
        got.push(d.new_ticket("x", &["--category", "A"]));
    }
    // A11 is taken by category A1's first ticket: A's eleventh number skips to A12.
    assert_eq!(got[9], "A10");
    assert_eq!(got[10], "A12", "{got:?}");
    let gaps = d
        .raw()
        .rows("SELECT reason, first, last, actor FROM number_gaps");
    let one = |v: &str| Some(v.to_string());
    assert_eq!(
        gaps,
        vec![vec![one("taken"), one("11"), one("11"), one(&d.me)]],
        "one gap recorded"
    );
    check_invariants(&d.db);
    // desk check accepts the recorded gap but names the configuration's collision.
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5);
    assert!(
        r.stdout.contains("A-1") || r.stdout.contains("A1"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("never given"), "{}", r.stdout);
}

#[test]
fn restoring_an_older_backup_never_gives_a_number_again() {
    let d = Desk::new();
    let first = d.new_ticket("One", &["--category", "HSG"]);
    d.new_ticket("Two", &["--category", "HSG"]);
    let backup = d.dir.path().join("backup.db");
    d.run(&["backup", &backup.display().to_string()]).ok();
    let given: Vec<String> = (0..3)
        .map(|_| d.new_ticket("Later", &["--category", "HSG"]))
        .collect();
    let r = d.run(&["restore", &backup.display().to_string(), "--force"]);
    r.ok();
    assert!(
        r.stderr.contains("numbers 3–5"),
        "the kept numbers are said: {}",
        r.stderr
    );
    let next = d.new_ticket("After restore", &["--category", "HSG"]);
    assert_eq!(&next[..14], &format!("{}00006", &first[..9]));
    for n in &given {
        assert_ne!(numbering::normalize(n), numbering::normalize(&next));
    }
    let one = |v: &str| Some(v.to_string());
    assert_eq!(
        d.raw().rows("SELECT reason, first, last FROM number_gaps"),
        vec![vec![one("restore"), one("3"), one("5")]],
        "the restore's gap recorded"
    );
    d.run(&["check"]).ok();
    check_invariants(&d.db);
}

#[test]
fn check_accepts_a_gap_only_where_a_record_says_why() {
    let d = Desk::new();
    let n = d.new_ticket("One", &["--category", "HSG"]);
    d.run(&["check"]).ok();
    // A counter moved on with nothing to say why: numbers 2-4 were never given.
    d.exec("UPDATE sequences SET last = last + 3");
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5);
    assert!(r.stdout.contains("2–4 were never given"), "{}", r.stdout);
    // The record is what makes a gap acceptable.
    let scope = d.text("SELECT scope FROM tickets");
    d.exec(&format!(
        "INSERT INTO number_gaps (at, actor, scope, first, last, reason, detail)
         VALUES (0, 'test', '{scope}', 2, 4, 'restore', 'test')"
    ));
    d.run(&["check"]).ok();
    // And the record itself cannot be rewritten.
    let mut raw = d.raw();
    assert!(raw.batch("UPDATE number_gaps SET last = 9").is_err());
    assert!(raw.batch("DELETE FROM number_gaps").is_err());
    assert_eq!(d.show(&n)["number"], n.as_str());
}

#[test]
fn check_verifies_every_number_against_its_series_algorithm() {
    let d = Desk::new();
    let n = d.new_ticket("One", &["--category", "HSG"]);
    d.run(&["check"]).ok();
    // A number whose check character was computed over the digits only, in a series that
    // records the algorithm over every character.
    let body = &n[..15];
    let forged = format!("{body}{}", numbering::damm(body.chars()));
    if numbering::normalize(&forged) == numbering::normalize(&n) {
        return; // the two algorithms happen to agree on this number
    }
    d.exec(&format!(
        "UPDATE tickets SET number = '{forged}', number_key = '{}'",
        numbering::normalize(&forged)
    ));
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5);
    assert!(
        r.stdout
            .contains(&format!("{forged}: its check character is wrong")),
        "{}",
        r.stdout
    );
}

/// What became of the typos of one algorithm's numbers.
#[derive(Default, Debug)]
struct Tally {
    substitutions: u64,
    substitutions_caught: u64,
    swaps: u64,
    swaps_caught: u64,
    /// Typos that read as a number some other ticket has.
    other_ticket: u64,
}

/// Measures, over every number of a 100,000-ticket demo, the share of single-character
/// substitutions (any of 0-9A-Z for any letter or digit) and neighbour swaps that desk reports
/// as mistyped: with desk's check characters, and with the same numbers under the earlier
/// digits-only Damm digit and ISO 7064 MOD 37-36, for comparison.
#[test]
#[ignore = "a measurement on a 100,000-ticket demo: cargo test --release --test numbers -- --ignored --nocapture"]
fn share_of_typos_caught_over_a_100k_demo() {
    use desk::core::numbering::NumberError;
    use desk::core::numbering::checksum::{base36_char, mod37_36};
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let d = Desk::new();
    d.run(&["demo", "--tickets", "100000"]).ok();
    let cfg = desk::core::config::Config::builtin().expect("built-in configuration");
    let c = d.sql();
    let groups: Vec<String> = {
        let mut s = c.prepare("SELECT code FROM groups").expect("prepare");
        s.query_map([], |r| r.get(0))
            .expect("groups")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    let keys: Vec<String> = {
        let mut s = c
            .prepare("SELECT number_key FROM tickets ORDER BY id")
            .expect("prepare");
        s.query_map([], |r| r.get(0))
            .expect("keys")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(keys.len(), 100_000);
    let grammar = cfg.grammar(&groups);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let fresh = |_: &str| None;
    // Whether a typed key has the shape of a number (whatever its check character).
    let shaped = |typo: &str| {
        !matches!(
            grammar.parse(typo, today, &fresh),
            Err(NumberError::Malformed { .. } | NumberError::Empty)
        )
    };
    type Check = fn(&str) -> char;
    let algos: [(&str, Check); 3] = [
        ("desk (Damm over 0-9A-Z)", |p| {
            CheckAlgo::Damm36.check_char(p)
        }),
        ("earlier desk (Damm over the digits)", |p| {
            CheckAlgo::Damm.check_char(p)
        }),
        ("ISO 7064 MOD 37-36", |p| base36_char(mod37_36(p.chars()))),
    ];
    for (name, check) in algos {
        let numbers: Vec<String> = keys
            .iter()
            .map(|k| {
                let p = &k[..k.len() - 1];
                format!("{p}{}", check(p))
            })
            .collect();
        let given: std::collections::HashSet<&str> = numbers.iter().map(String::as_str).collect();
        let valid = |typo: &str| {
            let (p, c) = typo.split_at(typo.len() - 1);
            shaped(typo) && c.starts_with(check(p))
        };
        let (valid, given) = (&valid, &given);
        let tally = std::thread::scope(|s| {
            let halves: Vec<_> = numbers
                .chunks(numbers.len() / 2 + 1)
                .map(|part| {
                    s.spawn(move || {
                        let mut t = Tally::default();
                        for n in part {
                            let b = n.as_bytes();
                            for i in 0..b.len() {
                                for &other in ALPHABET.iter().filter(|c| **c != b[i]) {
                                    let mut v = b.to_vec();
                                    v[i] = other;
                                    let typo = String::from_utf8(v).unwrap_or_default();
                                    t.substitutions += 1;
                                    if valid(&typo) {
                                        t.other_ticket += u64::from(given.contains(typo.as_str()));
                                    } else {
                                        t.substitutions_caught += 1;
                                    }
                                }
                                if i + 1 < b.len() && b[i] != b[i + 1] {
                                    let mut v = b.to_vec();
                                    v.swap(i, i + 1);
                                    let typo = String::from_utf8(v).unwrap_or_default();
                                    t.swaps += 1;
                                    if valid(&typo) {
                                        t.other_ticket += u64::from(given.contains(typo.as_str()));
                                    } else {
                                        t.swaps_caught += 1;
                                    }
                                }
                            }
                        }
                        t
                    })
                })
                .collect();
            halves
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .fold(Tally::default(), |a, b| Tally {
                    substitutions: a.substitutions + b.substitutions,
                    substitutions_caught: a.substitutions_caught + b.substitutions_caught,
                    swaps: a.swaps + b.swaps,
                    swaps_caught: a.swaps_caught + b.swaps_caught,
                    other_ticket: a.other_ticket + b.other_ticket,
                })
        });
        let pct = |a: u64, b: u64| 100.0 * a as f64 / b.max(1) as f64;
        println!(
            "{name}: substitutions caught {}/{} ({:.4}%), neighbour swaps caught {}/{} ({:.4}%), typos opening another ticket {}",
            tally.substitutions_caught,
            tally.substitutions,
            pct(tally.substitutions_caught, tally.substitutions),
            tally.swaps_caught,
            tally.swaps,
            pct(tally.swaps_caught, tally.swaps),
            tally.other_ticket
        );
        if name.starts_with("desk") {
            assert_eq!(tally.substitutions_caught, tally.substitutions);
            assert_eq!(tally.swaps_caught, tally.swaps);
        }
    }
    // And the real numbers of the demo are desk's own.
    for k in keys.iter().take(1000) {
        assert!(numbering::verify(CheckAlgo::Damm36, k), "{k}");
    }
}
