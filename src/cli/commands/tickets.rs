//! Registering, listing and moving tickets.

use super::*;
use crate::cli::output::{self, print};
use crate::cli::{Cli, ListArgs, MoveArgs, NewArgs};
use crate::core::lifecycle::Fields;
use crate::error::{Error, Result};
use crate::session::Session;
use crate::store::tickets::Intake;
use crate::store::tickets::{AssigneeFilter, local_date};
use crate::store::{ListFilter, NewTicket};
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
        .map_err(|e| Error::Invalid(format!("cannot read the body from standard input: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::Invalid(format!(
            "the body on standard input is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

pub(super) fn new(s: &mut Session, cli: &Cli, a: &NewArgs, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let body = read_body(&a.body)?;
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
            c.number
        }
        Intake::Existing(n) => {
            output::error_line(&format!(
                "note: this reference was already registered as {n}"
            ));
            n
        }
    };
    if cli.json {
        let t = s.store.find(&s.cfg, &number, local_date(now))?;
        print(&output::json_text(&output::ticket_json(&s.cfg, &t, None)));
    } else {
        // The number alone on stdout, so scripts can capture it.
        print(&number);
    }
    Ok(())
}

pub(super) fn list(s: &mut Session, cli: &Cli, a: &ListArgs, now: i64) -> Result<()> {
    let assignee = if a.mine {
        Some(AssigneeFilter::Agent(actor(s, cli)?.id()))
    } else if a.unassigned {
        Some(AssigneeFilter::Nobody)
    } else if let Some(login) = &a.assignee {
        let id = s
            .store
            .agent(login)?
            .ok_or_else(|| Error::NotFound(format!("no agent '{login}'")))?
            .id;
        Some(AssigneeFilter::Agent(id))
    } else {
        if cli.as_login.is_some() {
            actor(s, cli)?;
        }
        None
    };
    let category = match &a.category {
        Some(c) => Some(
            s.cfg
                .resolve_category(c)
                .map_err(Error::Invalid)?
                .code
                .clone(),
        ),
        None => None,
    };
    let filter = ListFilter {
        statuses: a
            .status
            .iter()
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        all: a.all,
        assignee,
        group: a.group.as_ref().map(|g| g.trim().to_ascii_uppercase()),
        category,
        priority: a.priority,
        limit: a.limit,
        offset: a.offset,
    };
    let (tickets, total) = s.store.list(&s.cfg, &filter)?;
    if cli.json {
        let arr: Vec<_> = tickets
            .iter()
            .map(|t| output::ticket_json(&s.cfg, t, None))
            .collect();
        print(&output::json_text(&serde_json::Value::Array(arr)));
        // Never cut short silently: the array is a page, and stderr says of what.
        let next = a.offset + tickets.len();
        if (next as i64) < total || a.offset > 0 {
            output::error_line(&s.catalog.f(
                "list.partial",
                &[
                    ("first", (a.offset + 1).min(next).to_string()),
                    ("last", next.to_string()),
                    ("total", total.to_string()),
                    ("next", next.to_string()),
                ],
            ));
        }
    } else {
        // The ones after this page.
        print(&output::list_text(
            &s.cfg,
            s.catalog,
            &tickets,
            total - a.offset.min(total as usize) as i64,
            now,
            output::width(),
        ));
    }
    Ok(())
}

pub(super) fn move_cmd(s: &mut Session, cli: &Cli, a: &MoveArgs, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let fields = Fields {
        outcome: a.outcome,
        reason: a
            .reason
            .clone()
            .or(a.next_steps.clone())
            .or(a.question.clone()),
        answer: a.answer.clone(),
    };
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
