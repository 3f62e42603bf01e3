//! Registering, listing and moving tickets.

use super::*;
use crate::cli::output::{self, print};
use crate::cli::{Cli, EditArgs, MoveArgs, NewArgs};
use crate::error::{Error, Result};
use crate::msg;
use crate::session::Session;
use crate::store::NewTicket;
use crate::store::tickets::Intake;
use crate::time::date as local_date;
use std::io::Read;

/// Reads `--body -` from standard input: it must be UTF-8.
pub(super) fn read_body(arg: &str) -> Result<String> {
    if arg != "-" {
        return Ok(arg.to_string());
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(crate::core::model::limits::BODY_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Invalid(msg!("cli.stdin", why = crate::error::io(&e))))?;
    String::from_utf8(bytes)
        .map_err(|e| Error::Invalid(msg!("cli.body_utf8", offset = e.utf8_error().valid_up_to())))
}

pub(super) fn new(s: &mut Session, cli: &Cli, a: &NewArgs, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let body = read_body(&a.body)?;
    if !a.yes {
        let found = s.store.likely_duplicates(&a.subject, &a.contact, now, 5)?;
        if a.check {
            if cli.json {
                print(&output::json_text(&super::casework::likely_json(&found)));
            } else if found.is_empty() {
                print(s.catalog.t("msg.no_likely"));
            } else {
                print(&super::casework::likely_text(s, &found, now));
            }
            return Ok(());
        }
        if !found.is_empty() {
            // Someone who may not register hears that first, not a list of duplicates.
            crate::core::rights::check(&who, crate::core::rights::Action::Create, None)?;
            output::note_lines(&super::casework::likely_text(s, &found, now));
            if crate::session::can_ask() && !ask(s.catalog.t("msg.register_anyway")) {
                return Err(Error::Invalid(crate::msg!("msg.not_registered")));
            }
        }
    }
    let intake = s.store.intake(
        &s.cfg,
        &who,
        &NewTicket {
            subject: a.subject.clone(),
            body,
            requester: a.requester.clone(),
            contact: a.contact.clone(),
            channel: a.channel,
            category: a.category.clone(),
            group: a.group.clone(),
            priority: a.priority,
            external_ref: a.external_ref.clone(),
            language: a.language.clone(),
        },
        now,
    )?;
    let number = match intake {
        Intake::Created(c) => {
            if c.no_contact {
                output::error_line(
                    &s.catalog
                        .f("msg.no_contact", &[("number", c.number.clone())]),
                );
            }
            // On the phone or at the counter: the operator reads the access code out.
            if crate::core::mail::notice::told_at_registration(a.channel) && !cli.json {
                let code = s.store.access(c.id)?.code;
                output::error_line(&s.catalog.f(
                    "mail.tell_code",
                    &[("number", c.number.clone()), ("code", code)],
                ));
            }
            c.number
        }
        Intake::Existing(n) => {
            output::error_line(&s.catalog.say(&msg!("msg.ref_known", number = &n)));
            n
        }
    };
    if cli.json {
        let t = s.store.find(&s.cfg, &number, local_date(now))?;
        let mut v = output::ticket_json(&s.cfg, &t, None);
        v["access_code"] = serde_json::json!(s.store.access(t.id)?.code);
        print(&output::json_text(&v));
    } else {
        // The number alone on stdout, so scripts can capture it.
        print(&number);
    }
    Ok(())
}

/// Asks a yes/no question on the terminal; only "y" or "yes" (or the catalog's word) is yes.
fn ask(question: &str) -> bool {
    use std::io::Write;
    let mut err = std::io::stderr();
    let _ = write!(err, "{question} ");
    let _ = err.flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    let a = answer.trim().to_lowercase();
    matches!(a.as_str(), "y" | "yes" | "д" | "да" | "т" | "так")
}

pub(super) fn move_cmd(s: &mut Session, cli: &Cli, a: &MoveArgs, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let fields = super::answers::move_fields(s, &who, a, now)?;
    let c = s.store.move_to(
        &s.cfg,
        &who,
        &a.number(),
        a.status().trim(),
        &fields,
        a.if_version,
        now,
    )?;
    let msg = s.catalog.f(
        "msg.moved",
        &[
            ("number", c.number.clone()),
            (
                "from",
                crate::present::status(&s.cfg, s.catalog, &c.status_from),
            ),
            ("to", crate::present::status(&s.cfg, s.catalog, &c.status)),
        ],
    );
    changed(s, cli, &c, msg)
}

pub(super) fn edit(s: &mut Session, cli: &Cli, a: &EditArgs, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let e = s.store.edit(
        &s.cfg,
        &who,
        &a.number,
        &crate::core::edit::Edit {
            subject: a.subject.clone(),
            category: a.category.clone(),
            priority: a.priority,
            group: a.group.clone(),
            requester: a.requester.clone(),
            contact: a.contact.clone(),
            reroute: a.reroute,
        },
        a.if_version,
        now,
    )?;
    if cli.json {
        return done(s, cli, &e.number, String::new());
    }
    let mut lines: Vec<String> = e
        .changes
        .iter()
        .map(|c| crate::present::change(s.catalog, &e.number, c))
        .collect();
    if let Some(from) = &e.returned_from {
        lines.push(s.catalog.f(
            "msg.rerouted_from",
            &[("number", e.number.clone()), ("login", from.clone())],
        ));
    }
    if let Some(to) = &e.assigned_to {
        lines.push(s.catalog.f("msg.auto_assigned", &[("login", to.clone())]));
    }
    print(&lines.join("\n"));
    Ok(())
}

/// A change of owner (`claim`, `assign`, `unassign`): made by the store as the acting agent,
/// then said — `key` with the ticket's number (and `login`, when given) — or the ticket in
/// JSON, with a warning when someone is now over capacity.
fn owner_change(
    s: &mut Session,
    cli: &Cli,
    (key, login): (&str, Option<String>),
    make: impl FnOnce(&mut crate::store::Store, &crate::core::config::Config, &Actor) -> Result<Changed>,
) -> Result<()> {
    let who = actor(s, cli)?;
    let c = make(&mut s.store, &s.cfg, &who)?;
    let mut args = vec![("number", c.number.clone())];
    args.extend(login.map(|l| ("login", l)));
    let said = s.catalog.f(key, &args);
    changed(s, cli, &c, said)
}

pub(super) fn claim(
    s: &mut Session,
    cli: &Cli,
    number: &[String],
    reason: Option<&str>,
    if_version: Option<i64>,
    now: i64,
) -> Result<()> {
    let number = crate::cli::words(number);
    owner_change(s, cli, ("msg.claimed", None), |st, cfg, who| {
        st.claim(cfg, who, &number, reason, if_version, now)
    })
}

/// `(login, group)`: to whom, or to which group (with its owner kept), or both.
pub(super) fn assign(
    s: &mut Session,
    cli: &Cli,
    number: &str,
    (login, group): (Option<&str>, Option<&str>),
    reason: Option<&str>,
    if_version: Option<i64>,
    now: i64,
) -> Result<()> {
    let target = login.or(group).unwrap_or_default().to_string();
    owner_change(s, cli, ("msg.assigned", Some(target)), |st, cfg, who| {
        st.assign(cfg, who, number, login, group, reason, if_version, now)
    })
}

pub(super) fn unassign(
    s: &mut Session,
    cli: &Cli,
    number: &[String],
    reason: Option<&str>,
    if_version: Option<i64>,
    now: i64,
) -> Result<()> {
    let number = crate::cli::words(number);
    owner_change(s, cli, ("msg.unassigned", None), |st, cfg, who| {
        st.unassign(cfg, who, &number, reason, if_version, now)
    })
}

pub(super) fn comment(
    s: &mut Session,
    cli: &Cli,
    number: &str,
    text: &str,
    now: i64,
) -> Result<()> {
    let who = actor(s, cli)?;
    let n = s.store.comment(&s.cfg, &who, number, text, now)?;
    let said = s.catalog.f("msg.commented", &[("number", n.clone())]);
    done(s, cli, &n, said)
}

pub(super) fn rate(
    s: &mut Session,
    cli: &Cli,
    number: Option<&str>,
    score: Option<i64>,
    comment: Option<&str>,
    now: i64,
) -> Result<()> {
    let who = actor(s, cli)?;
    let (Some(number), Some(score)) = (number, score) else {
        return Err(Error::Invalid(msg!("cli.rate_needs")));
    };
    let c = s
        .store
        .rate(&s.cfg, &who, number, score, comment, None, now)?;
    let said = s.catalog.f(
        "msg.rated",
        &[("number", c.number.clone()), ("rating", score.to_string())],
    );
    changed(s, cli, &c, said)
}
