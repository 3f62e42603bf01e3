//! Tickets and their history: the types and their rows (here), intake with numbering and
//! routing (`intake`), look-up by number with suggestions and lists (`read`), every change
//! of state (`write`) and ratings (`rating`), each change one transaction asked of `core`.

pub mod answers;
pub(crate) mod attachments;
mod edit;
mod intake;
mod rating;
mod read;
mod relations;
mod write;

pub use attachments::{Attachment, NewFile};
pub use edit::Edited;
pub use intake::Intake;
pub(crate) use intake::intake_in;
pub use rating::Rating;
pub(crate) use read::{find_in, statuses_in_use};
pub use relations::{CaseFile, Likely, LinkInfo, Merged, MergedRequest};
pub(crate) use write::apply_move;

use super::Store;
use crate::core::attribution::{Candidate, Routing};
use crate::core::config::Config;
use crate::core::lifecycle::TicketState;
use crate::core::model::AssignRule;
use crate::core::model::{
    Actor, AgentRef, Channel, EventKind, Outcome, Priority, Role, check_length,
};
use crate::core::sanitize::normalize_input;
use crate::error::{Error, Message, Result};
use crate::msg;
use crate::store::db::{Connection, OptionalExtension, Row, params};
use rusqlite::types::Type;
use std::cell::RefCell;

/// The assignee or another agent as shown to people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub agent: AgentRef,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: i64,
    pub number: String,
    pub subject: String,
    /// Empty in queue listings; read with `get`.
    pub body: String,
    pub requester: String,
    pub contact: String,
    pub channel: Channel,
    pub category: String,
    pub priority: Priority,
    pub status: String,
    pub outcome: Option<Outcome>,
    pub reason: Option<String>,
    pub answer: Option<String>,
    pub assignee: Option<Owner>,
    pub group: Option<String>,
    pub created_at: i64,
    pub created_by: Option<String>,
    pub updated_at: i64,
    pub updated_by: Option<String>,
    pub due_at: Option<i64>,
    pub first_response_at: Option<i64>,
    pub resolved_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub satisfaction: Option<i64>,
    pub reassignments: i64,
    pub version: i64,
    pub scope: String,
    pub seq: i64,
    /// When less than the at-risk share of a running target is left (see core::sla).
    pub risk_at: Option<i64>,
    /// The ticket this one was merged into as a duplicate (its row id).
    pub merged_into: Option<i64>,
}

impl Ticket {
    pub fn state(&self) -> TicketState {
        TicketState {
            status: self.status.clone(),
            assignee: self.assignee.as_ref().map(|o| o.agent.clone()),
            outcome: self.outcome,
        }
    }
}

/// One step of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub at: i64,
    /// The agent who acted (None: the desk itself).
    pub actor: Option<String>,
    /// The admin behind `--as`, when there was one.
    pub via: Option<String>,
    pub kind: EventKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub text: Option<String>,
}

/// A part of a ticket's history, oldest first, and how many events come before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryPage {
    pub events: Vec<Event>,
    pub older: i64,
}

/// The most events a page of history holds.
pub const HISTORY_PAGE: usize = 50;
/// A page of history ends once its texts hold this many bytes (a page has one event at least).
pub const HISTORY_PAGE_BYTES: usize = 256 * 1024;

/// A request as it comes in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTicket {
    pub subject: String,
    pub body: String,
    pub requester: String,
    pub contact: String,
    pub channel: Channel,
    pub category: Option<String>,
    pub group: Option<String>,
    pub priority: Option<Priority>,
    /// A reference from outside (an e-mail's Message-ID): registering it twice finds the
    /// first ticket instead.
    pub external_ref: Option<String>,
    /// The requester's language for notices (en, ru, uk); None: the desk's.
    pub language: Option<String>,
}

/// What intake did with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub id: i64,
    pub number: String,
    pub routing: Routing,
    pub priority: Priority,
    pub status: String,
    /// The agent chosen by automatic assignment.
    pub assigned_to: Option<String>,
    /// No contact was given: nobody can send the requester an answer. Said at intake, while
    /// the requester may still be on the line.
    pub no_contact: bool,
}

/// What a change did, for the confirmation line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub number: String,
    pub version: i64,
    pub status_from: String,
    pub status: String,
    /// A warning worth showing (an agent over capacity).
    pub warning: Option<(String, i64, i64)>,
}

pub(crate) const COLS: &str = "t.id, t.number, t.subject, t.body, t.requester, t.contact, t.channel, \
    t.category, t.priority, t.status, t.outcome, t.reason, t.answer, t.assignee_id, a.login, \
    a.name, a.role, t.group_code, t.created_at, c.login, t.updated_at, u.login, t.due_at, \
    t.first_response_at, t.resolved_at, t.closed_at, t.satisfaction, t.reassignments, \
    t.version, t.scope, t.seq, t.risk_at, t.merged_into";

pub(crate) const FROM: &str = "tickets t LEFT JOIN agents a ON a.id = t.assignee_id \
    LEFT JOIN agents c ON c.id = t.created_by LEFT JOIN agents u ON u.id = t.updated_by";

fn parse_col<T: std::str::FromStr<Err = Message>>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    s.parse()
        .map_err(|e: Message| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, Box::new(e)))
}

fn parse_opt<T: std::str::FromStr<Err = Message>>(
    r: &Row<'_>,
    i: usize,
) -> rusqlite::Result<Option<T>> {
    match r.get::<_, Option<String>>(i)? {
        Some(_) => parse_col(r, i).map(Some),
        None => Ok(None),
    }
}

pub(crate) fn ticket_row(r: &Row<'_>) -> rusqlite::Result<Ticket> {
    let priority: i64 = r.get(8)?;
    let assignee = match r.get::<_, Option<i64>>(13)? {
        Some(id) => Some(Owner {
            agent: AgentRef {
                id,
                login: r.get(14)?,
                role: parse_col::<Role>(r, 16)?,
            },
            name: r.get(15)?,
        }),
        None => None,
    };
    Ok(Ticket {
        id: r.get(0)?,
        number: r.get(1)?,
        subject: r.get(2)?,
        body: r.get(3)?,
        requester: r.get(4)?,
        contact: r.get(5)?,
        channel: parse_col(r, 6)?,
        category: r.get(7)?,
        priority: Priority::from_rank(priority).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                8,
                Type::Integer,
                format!("priority {priority}").into(),
            )
        })?,
        status: r.get(9)?,
        outcome: parse_opt(r, 10)?,
        reason: r.get(11)?,
        answer: r.get(12)?,
        assignee,
        group: r.get(17)?,
        created_at: r.get(18)?,
        created_by: r.get(19)?,
        updated_at: r.get(20)?,
        updated_by: r.get(21)?,
        due_at: r.get(22)?,
        first_response_at: r.get(23)?,
        resolved_at: r.get(24)?,
        closed_at: r.get(25)?,
        satisfaction: r.get(26)?,
        reassignments: r.get(27)?,
        version: r.get(28)?,
        scope: r.get(29)?,
        seq: r.get(30)?,
        risk_at: r.get(31)?,
        merged_into: r.get(32)?,
    })
}

fn event_row(r: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        via: r.get(3)?,
        kind: parse_col(r, 4)?,
        from: r.get(5)?,
        to: r.get(6)?,
        text: r.get(7)?,
    })
}

// The store's own shorthand; front ends import `crate::time` themselves.
pub(super) use crate::time::{date as local_date, format as local_time};

/// The history of one ticket as a change writes it: every event it records is by the same
/// actor (None: the desk itself) at the same time, chained after the last one (see
/// `super::chain`).
#[derive(Clone, Copy)]
pub(crate) struct History<'a> {
    tx: &'a Connection,
    ticket: i64,
    number: &'a str,
    at: i64,
    actor: Option<&'a Actor>,
    /// The chain's tail kept by the caller across many events (an import), instead of read
    /// before each one.
    chain: Option<&'a RefCell<super::chain::Appender>>,
}

impl<'a> History<'a> {
    pub(crate) fn new(
        tx: &'a Connection,
        ticket: i64,
        number: &'a str,
        at: i64,
        actor: Option<&'a Actor>,
    ) -> History<'a> {
        History {
            tx,
            ticket,
            number,
            at,
            actor,
            chain: None,
        }
    }

    /// The same history, its events chained after `chain`'s tail (which must be the chain's
    /// tail: nothing else appends in between).
    pub(crate) fn chained(self, chain: &'a RefCell<super::chain::Appender>) -> History<'a> {
        History {
            chain: Some(chain),
            ..self
        }
    }

    /// When the change happens.
    pub(crate) fn at(&self) -> i64 {
        self.at
    }

    /// The same ticket's history, written by the desk itself (automatic assignment).
    pub(crate) fn by_desk(&self) -> History<'a> {
        History {
            actor: None,
            ..*self
        }
    }

    /// Appends one event: its kind, what changed from and to, and any text.
    pub(crate) fn record(
        &self,
        kind: EventKind,
        from: Option<&str>,
        to: Option<&str>,
        text: Option<&str>,
    ) -> rusqlite::Result<()> {
        self.record_id(kind, from, to, text).map(drop)
    }

    /// The same, returning the new event's id (for a row that points at it).
    pub(crate) fn record_id(
        &self,
        kind: EventKind,
        from: Option<&str>,
        to: Option<&str>,
        text: Option<&str>,
    ) -> rusqlite::Result<i64> {
        let actor = self.actor;
        let e = super::chain::NewEvent {
            ticket_id: self.ticket,
            ticket_number: self.number,
            at: self.at,
            actor: actor.map(|a| (a.id(), a.agent.login.as_str())),
            via: actor
                .and_then(|a| a.via.as_ref())
                .map(|v| (v.id, v.login.as_str())),
            kind: kind.as_str(),
            from,
            to,
            text,
        };
        match self.chain {
            Some(chain) => chain.borrow_mut().append(self.tx, &e),
            None => super::chain::append(self.tx, &e),
        }
    }
}

/// Load and capacity of one agent, as attribution needs them.
pub(crate) fn candidate(conn: &Connection, agent_id: i64) -> rusqlite::Result<Option<Candidate>> {
    conn.prepare_cached(
        "SELECT a.id, a.login, a.role, a.active, a.away, a.capacity, a.last_assigned_at,
                (SELECT count(*) FROM tickets t WHERE t.assignee_id = a.id AND t.is_open = 1)
         FROM agents a WHERE a.id = ?1",
    )?
    .query_row([agent_id], candidate_row)
    .optional()
}

pub(crate) fn candidate_row(r: &Row<'_>) -> rusqlite::Result<Candidate> {
    Ok(Candidate {
        agent: AgentRef {
            id: r.get(0)?,
            login: r.get(1)?,
            role: parse_col(r, 2)?,
        },
        active: r.get(3)?,
        away: r.get(4)?,
        capacity: r.get(5)?,
        last_assigned_at: r.get(6)?,
        load: r.get(7)?,
    })
}

/// How group `code` assigns automatically: its `[[group]] assign` (least-loaded for a group
/// the configuration does not declare).
fn assign_rule(cfg: &Config, code: &str) -> AssignRule {
    cfg.group(code)
        .map_or(AssignRule::LeastLoaded, |g| g.assign)
}

/// The member a group's automatic assignment gives a new ticket to, when the group assigns
/// automatically (`attribution::pick_by`, by the group's rule).
pub(crate) fn auto_assignee(
    conn: &Connection,
    cfg: &Config,
    group: &str,
) -> Result<Option<AgentRef>> {
    let group_row: Option<(bool, Option<i64>)> = conn
        .prepare_cached("SELECT auto_assign, turn_agent_id FROM groups WHERE code = ?1")?
        .query_row([group], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((true, last)) = group_row else {
        return Ok(None);
    };
    let cands = group_candidates(conn, group)?;
    Ok(
        crate::core::attribution::pick_by(assign_rule(cfg, group), &cands, last)
            .map(|c| c.agent.clone()),
    )
}

/// Records an automatic assignment in `group` (by the desk itself), when the agent last got a
/// ticket, and (round robin) that it was their turn.
pub(crate) fn record_auto_assignment(
    h: &History<'_>,
    conn: &Connection,
    cfg: &Config,
    group: &str,
    to: &AgentRef,
    now: i64,
) -> Result<()> {
    h.by_desk().record(
        EventKind::Assigned,
        None,
        Some(&to.login),
        Some(auto_assignment_note(cfg, group)),
    )?;
    note_auto_assignment(conn, group, to, now)
}

/// The text of an automatic assignment's event in `group`.
pub(crate) fn auto_assignment_note(cfg: &Config, group: &str) -> &'static str {
    match assign_rule(cfg, group) {
        AssignRule::LeastLoaded => "automatic: least-loaded member with room",
        AssignRule::RoundRobin => "automatic: the next member in turn with room",
    }
}

/// Keeps when the agent last got a ticket by automatic assignment in `group`, and (round
/// robin) that it was their turn.
pub(crate) fn note_auto_assignment(
    conn: &Connection,
    group: &str,
    to: &AgentRef,
    now: i64,
) -> Result<()> {
    conn.prepare_cached("UPDATE agents SET last_assigned_at = ?1 WHERE id = ?2")?
        .execute(params![now, to.id])?;
    conn.prepare_cached("UPDATE groups SET turn_agent_id = ?1 WHERE code = ?2")?
        .execute(params![to.id, group])?;
    Ok(())
}

/// Every member of a group with their load.
pub(crate) fn group_candidates(conn: &Connection, group: &str) -> rusqlite::Result<Vec<Candidate>> {
    let mut stmt = conn.prepare_cached(
        "SELECT a.id, a.login, a.role, a.active, a.away, a.capacity, a.last_assigned_at,
                (SELECT count(*) FROM tickets t WHERE t.assignee_id = a.id AND t.is_open = 1)
         FROM agents a JOIN members m ON m.agent_id = a.id
         WHERE m.group_code = ?1 ORDER BY a.id",
    )?;
    let rows = stmt.query_map([group], candidate_row)?;
    rows.collect()
}

fn text_arg(field: &str, value: &str, limit: usize, chars: bool) -> Result<String> {
    let v = normalize_input(value);
    check_length(field, &v, limit, chars).map_err(Error::Invalid)?;
    Ok(v)
}

/// A category as typed (any case), as its code; one the configuration does not declare is
/// bad input, with the ones it does.
fn category_arg(cfg: &Config, typed: Option<&str>) -> Result<Option<String>> {
    typed
        .map(|c| {
            cfg.resolve_category(c)
                .map(|c| c.code.clone())
                .map_err(Error::Invalid)
        })
        .transpose()
}

fn group_codes(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT code FROM groups ORDER BY code")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

/// Makes sure a group named by the configuration exists in the database; true when it made
/// it (and recorded that in the desk's history).
pub(crate) fn ensure_group(conn: &Connection, cfg: &Config, code: &str) -> Result<bool> {
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM groups WHERE code = ?1)")
        .and_then(|mut s| s.query_row([code], |r| r.get(0)))?;
    if exists {
        return Ok(false);
    }
    match cfg.group(code) {
        Some(g) => {
            conn.execute(
                "INSERT INTO groups (code, name, auto_assign) VALUES (?1, ?2, ?3)",
                params![g.code, g.name, g.auto_assign],
            )?;
            crate::store::roster::record_group(
                conn,
                None,
                &g.code,
                chrono::Utc::now().timestamp(),
            )?;
            Ok(true)
        }
        None => Err(Error::NotFound(msg!("error.no_group", code = code))),
    }
}
