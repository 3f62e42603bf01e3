//! `desk check` replays each ticket's fields from its history: the request intake took
//! (subject, body, requester, contact — sealed in the `created` event), its channel, category
//! and priority, and its group once an event moved it. A field changed behind the desk's back
//! (direct SQL, as anyone who can write the SQLite file or desk_app on PostgreSQL can) is named
//! by ticket and field; a desk worked only through desk passes. Runs on PostgreSQL too
//! (DESK_TEST_BACKEND=postgres).

mod common;
use common::Desk;

/// A desk with a demo's history, a ticket never edited, one edited in every field and one
/// merged into another.
fn worked_desk() -> (Desk, String, String) {
    let d = Desk::staffed();
    d.run(&["demo", "--tickets", "150"]).ok();
    let plain = d.new_ticket(
        "Leaking roof",
        &[
            "--body",
            "Water comes in | through the ceiling",
            "--requester",
            "Ann Lee",
            "--contact",
            "ann@example.org",
            "--channel",
            "phone",
            "--category",
            "HSG",
            "--priority",
            "high",
        ],
    );
    let edited = d.new_ticket(
        "Heating off",
        &[
            "--body",
            "Since Monday",
            "--requester",
            "Bob",
            "--contact",
            "+380 44 000 00 00",
        ],
    );
    d.run(&[
        "edit",
        &edited,
        "--subject",
        "Heating off in block B",
        "--requester",
        "Bob Stone",
        "--contact",
        "bob@example.org",
        "--priority",
        "urgent",
        "--category",
        "SOC",
        "--group",
        "SOCIAL",
    ])
    .ok();
    // Edited twice: the second edit's `from` is the first's `to`.
    d.run(&[
        "edit",
        &edited,
        "--subject",
        "Heating off in block B, flat 4",
    ])
    .ok();
    let dup = d.new_ticket("Roof leaking again", &["--requester", "Ann Lee", "--yes"]);
    d.run(&["merge", &dup, "--into", &plain]).ok();
    (d, plain, edited)
}

#[track_caller]
fn names(d: &Desk, number: &str, field: &str) {
    let r = d.run(&["check"]);
    assert_eq!(r.code, 5, "{}{}", r.stdout, r.stderr);
    let said = format!("{number}: its {field} is not what its history recorded");
    assert!(r.stdout.contains(&said), "{said}: {}", r.stdout);
    assert_eq!(
        r.stdout.matches("is not what its history recorded").count(),
        1,
        "{}",
        r.stdout
    );
}

#[test]
fn a_field_changed_behind_the_desks_back_is_named() {
    let (d, plain, edited) = worked_desk();
    d.run(&["check"]).ok();
    let tampers = [
        ("subject", "subject = 'Nothing to see'"),
        ("body", "body = body || ' (changed)'"),
        ("requester", "requester = 'Someone Else'"),
        ("contact", "contact = 'thief@example.org'"),
        ("channel", "channel = 'web'"),
        ("category", "category = 'GEN'"),
        ("priority", "priority = 0"),
    ];
    for number in [&plain, &edited] {
        for (field, set) in tampers {
            let was = d.text(&format!(
                "SELECT {field} FROM tickets WHERE number = '{number}'"
            ));
            d.exec(&format!(
                "UPDATE tickets SET {set} WHERE number = '{number}'"
            ));
            names(&d, number, field);
            let back = if field == "priority" {
                was
            } else {
                format!("'{}'", was.replace('\'', "''"))
            };
            d.exec(&format!(
                "UPDATE tickets SET {field} = {back} WHERE number = '{number}'"
            ));
            d.run(&["check"]).ok();
        }
    }
    // The group the history last gave the edited ticket.
    d.exec(&format!(
        "UPDATE tickets SET group_code = 'HOUSING' WHERE number = '{edited}'"
    ));
    names(&d, &edited, "group");
}

#[test]
fn a_request_rewritten_with_its_edit_history_kept_is_named() {
    // Setting the edited subject back to what intake took: the last edit no longer holds.
    let (d, _, edited) = worked_desk();
    d.exec(&format!(
        "UPDATE tickets SET subject = 'Heating off' WHERE number = '{edited}'"
    ));
    names(&d, &edited, "subject");
}
