//! The requester's view of a ticket, read for `desk status` and the web page: the facts and
//! history `core::public` needs, and the look-up by number and access code.

use super::Store;
use super::tickets::{COLS, FROM, Ticket, ticket_row};
use crate::core::config::Config;
use crate::core::mail::access;
use crate::core::model::{EventKind, Role};
use crate::core::numbering;
use crate::core::public::{self, Facts, Happened, View};
use crate::error::Result;
use crate::store::db::{Connection, OptionalExtension};

/// One event with its actor's name and role, as read.
struct Row {
    at: i64,
    kind: EventKind,
    actor: Option<String>,
    role: Option<Role>,
    from: Option<String>,
    to: Option<String>,
    text: Option<String>,
}

fn history(conn: &Connection, ticket_id: i64) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.at, e.kind, a.name, a.role, e.from_value, e.to_value, e.text
         FROM events e LEFT JOIN agents a ON a.id = e.actor_id
         WHERE e.ticket_id = ?1 ORDER BY e.id",
    )?;
    let rows = stmt.query_map([ticket_id], |r| {
        let kind: String = r.get(1)?;
        let role: Option<String> = r.get(3)?;
        Ok(Row {
            at: r.get(0)?,
            kind: kind.parse().map_err(|e: crate::core::message::Message| {
                rusqlite::Error::FromSqlConversionFailure(
                    1,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
            actor: r.get(2)?,
            role: role.and_then(|r| r.parse().ok()),
            from: r.get(4)?,
            to: r.get(5)?,
            text: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// The requester's view of a ticket read in `conn`.
fn view_in(conn: &Connection, cfg: &Config, t: &Ticket) -> rusqlite::Result<View> {
    let rows = history(conn, t.id)?;
    let events: Vec<Happened<'_>> = rows
        .iter()
        .map(|r| Happened {
            at: r.at,
            kind: r.kind,
            actor: r.actor.as_deref(),
            by_person: r.role.is_some_and(crate::core::rights::may_own_tickets),
            from: r.from.as_deref(),
            to: r.to.as_deref(),
            text: r.text.as_deref(),
        })
        .collect();
    let group = match &t.group {
        // Named per language in desk.toml: in the reader's (the configuration is theirs).
        Some(code) if cfg.group_named_per_language(code) => cfg
            .group(code)
            .map(|g| g.name.clone())
            .or_else(|| Some(code.clone())),
        Some(code) => conn
            .prepare_cached("SELECT name FROM groups WHERE code = ?1")?
            .query_row([code], |r| r.get::<_, String>(0))
            .optional()?
            .or_else(|| Some(code.clone())),
        None => None,
    };
    let merged_into = match t.merged_into {
        Some(id) => conn
            .prepare_cached("SELECT number FROM tickets WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?,
        None => None,
    };
    Ok(public::view(
        Facts {
            number: t.number.clone(),
            subject: t.subject.clone(),
            status: t.status.clone(),
            status_category: cfg.lifecycle.category(&t.status),
            group,
            handler: t.assignee.as_ref().map(|o| o.name.clone()),
            outcome: t.outcome,
            note: t.reason.clone(),
            answer: t.answer.clone(),
            registered_at: t.created_at,
            merged_into,
        },
        &events,
        cfg.web.show_staff,
    ))
}

impl Store {
    /// The requester's view of a ticket (an agent reads it, e.g. out on the phone).
    pub fn requester_view(&self, cfg: &Config, t: &Ticket) -> Result<View> {
        view_in(&self.conn, cfg, t).map_err(|e| self.err(e))
    }

    /// The requester's view of the ticket with this number and access code, as typed (case,
    /// spaces and dashes forgiven). None when either is wrong, malformed or unknown: the
    /// caller cannot tell which, and neither can whoever asked. A duplicate's number shows
    /// the duplicate itself (its code is its own), which says where it is handled.
    pub fn look_up(&self, cfg: &Config, number: &str, code: &str) -> Result<Option<View>> {
        let key = numbering::normalize(number);
        let code = access::parse(code);
        let run = || -> rusqlite::Result<Option<View>> {
            let (Some(code), false) = (code, key.is_empty() || key.len() > 64) else {
                return Ok(None);
            };
            let t = self
                .conn
                .prepare_cached(&format!(
                    "SELECT {COLS} FROM {FROM} JOIN requester r ON r.ticket_id = t.id
                     WHERE t.number_key = ?1 AND r.access_code = ?2"
                ))?
                .query_row([&key, &code], ticket_row)
                .optional()?;
            t.map(|t| view_in(&self.conn, cfg, &t)).transpose()
        };
        run().map_err(|e| self.err(e))
    }
}
