//! Tickets and their history: intake with numbering and routing, look-up by number with
//! suggestions, queues, and every change of state, each one transaction asked of `core`.

use super::Store;
use crate::core::attribution::{self, Assignment, Candidate, Routing};
use crate::core::config::Config;
use crate::core::lifecycle::{Fields, OutcomeChange, TicketState, non_blank};
use crate::core::model::{
    Actor, AgentRef, Channel, EventKind, Outcome, Priority, Role, check_length, limits,
};
use crate::core::numbering::{self, NumberError, Parts};
use crate::core::refusal::Refusal;
use crate::core::rights::{self, Action};
use crate::core::sanitize::normalize_input;
use crate::error::{Error, Result};
use chrono::NaiveDate;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};

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

/// Which tickets a queue shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Exact statuses; empty means every open status (or every status with `all`).
    pub statuses: Vec<String>,
    pub all: bool,
    pub assignee: Option<AssigneeFilter>,
    pub group: Option<String>,
    pub category: Option<String>,
    pub priority: Option<Priority>,
    /// How many to list at most; 0: all of them.
    pub limit: usize,
    /// How many of the first to skip (to list page after page).
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssigneeFilter {
    Nobody,
    Agent(i64),
}

pub(crate) const COLS: &str = "t.id, t.number, t.subject, t.body, t.requester, t.contact, t.channel, \
    t.category, t.priority, t.status, t.outcome, t.reason, t.answer, t.assignee_id, a.login, \
    a.name, a.role, t.group_code, t.created_at, c.login, t.updated_at, u.login, t.due_at, \
    t.first_response_at, t.resolved_at, t.closed_at, t.satisfaction, t.reassignments, \
    t.version, t.scope, t.seq, t.risk_at";

pub(crate) const FROM: &str = "tickets t LEFT JOIN agents a ON a.id = t.assignee_id \
    LEFT JOIN agents c ON c.id = t.created_by LEFT JOIN agents u ON u.id = t.updated_by";

fn parse_col<T: std::str::FromStr<Err = String>>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    s.parse()
        .map_err(|e: String| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, e.into()))
}

fn parse_opt<T: std::str::FromStr<Err = String>>(
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

pub use crate::time::{date as local_date, day_start as local_day_start, format as local_time};

/// One history step to record: its kind, what changed from and to, and any text.
pub(crate) struct Step<'a> {
    pub kind: EventKind,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub text: Option<&'a str>,
}

pub(crate) fn step<'a>(
    kind: EventKind,
    from: Option<&'a str>,
    to: Option<&'a str>,
    text: Option<&'a str>,
) -> Step<'a> {
    Step {
        kind,
        from,
        to,
        text,
    }
}

/// Appends one event to the history, chained after the last one (see `super::chain`).
fn insert_event(
    conn: &Connection,
    ticket: i64,
    at: i64,
    actor: Option<&Actor>,
    e: Step<'_>,
) -> rusqlite::Result<()> {
    let number: String = conn
        .prepare_cached("SELECT number FROM tickets WHERE id = ?1")?
        .query_row([ticket], |r| r.get(0))?;
    super::chain::append(
        conn,
        &super::chain::NewEvent {
            ticket_id: ticket,
            ticket_number: &number,
            at,
            actor: actor.map(|a| (a.id(), a.agent.login.as_str())),
            via: actor
                .and_then(|a| a.via.as_ref())
                .map(|v| (v.id, v.login.as_str())),
            kind: e.kind.as_str(),
            from: e.from,
            to: e.to,
            text: e.text,
        },
    )?;
    Ok(())
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

fn group_codes(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT code FROM groups ORDER BY code")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

/// Makes sure a group named by the configuration exists in the database.
pub(crate) fn ensure_group(conn: &Connection, cfg: &Config, code: &str) -> Result<()> {
    let exists: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM groups WHERE code = ?1)")
        .and_then(|mut s| s.query_row([code], |r| r.get(0)))?;
    if exists {
        return Ok(());
    }
    match cfg.group(code) {
        Some(g) => conn
            .execute(
                "INSERT INTO groups (code, name, auto_assign) VALUES (?1, ?2, ?3)",
                params![g.code, g.name, g.auto_assign],
            )
            .map(|_| ())
            .map_err(Error::from),
        None => Err(Error::NotFound(format!(
            "no group '{code}' (add it with `desk group add {code} \"Name\"`)"
        ))),
    }
}

/// A request validated and routed, ready to be numbered and stored.
struct Prepared {
    subject: String,
    body: String,
    requester: String,
    contact: String,
    channel: Channel,
    routing: Routing,
    priority: Priority,
    template: numbering::Template,
    external_ref: Option<String>,
}

/// What intake did with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    Created(Created),
    /// Its external reference was already registered, as this number.
    Existing(String),
}

impl Prepared {
    fn new(cfg: &Config, new: &NewTicket) -> Result<Prepared> {
        let subject = text_arg("subject", new.subject.trim(), limits::SUBJECT_CHARS, true)?;
        if subject.trim().is_empty() {
            return Err(Refusal::EmptyText { field: "subject" }.into());
        }
        let body = text_arg("body", &new.body, limits::BODY_BYTES, false)?;
        let requester = text_arg("requester", new.requester.trim(), limits::NAME_CHARS, true)?;
        let contact = text_arg("contact", new.contact.trim(), limits::NAME_CHARS, true)?;
        let external_ref = match &new.external_ref {
            Some(r) if !r.trim().is_empty() => {
                Some(text_arg("reference", r.trim(), limits::NAME_CHARS, true)?)
            }
            _ => None,
        };
        let category = match &new.category {
            Some(c) => Some(
                cfg.resolve_category(c)
                    .map_err(Error::Invalid)?
                    .code
                    .clone(),
            ),
            None => None,
        };
        let group_in = new.group.as_ref().map(|g| g.trim().to_ascii_uppercase());
        let routing = cfg
            .router()
            .route(&subject, &body, category.as_deref(), group_in.as_deref());
        let priority = new
            .priority
            .or(routing.priority)
            .or(cfg.category(&routing.category).and_then(|c| c.priority))
            .unwrap_or(cfg.default_priority);
        let template = cfg.template_for(&routing.category).clone();
        if template.tokens().contains(&numbering::Token::Group) && routing.group.is_none() {
            return Err(Error::Invalid(format!(
                "category {} has no group, but the number template needs one: give --group",
                routing.category
            )));
        }
        Ok(Prepared {
            subject,
            body,
            requester,
            contact,
            channel: new.channel,
            routing,
            priority,
            template,
            external_ref,
        })
    }
}

/// Numbers and stores one prepared request inside the caller's transaction.
fn insert_new(
    tx: &Connection,
    cfg: &Config,
    actor: &Actor,
    p: &Prepared,
    now: i64,
) -> Result<Intake> {
    if let Some(r) = &p.external_ref {
        let known: Option<String> = tx
            .prepare_cached("SELECT number FROM tickets WHERE external_ref = ?1")?
            .query_row([r], |row| row.get(0))
            .optional()?;
        if let Some(number) = known {
            return Ok(Intake::Existing(number));
        }
    }
    let life = &cfg.lifecycle;
    let routing = &p.routing;
    let mut assigned = None;
    if let Some(g) = &routing.group {
        ensure_group(tx, cfg, g)?;
        let auto: bool =
            tx.query_row("SELECT auto_assign FROM groups WHERE code = ?1", [g], |r| {
                r.get(0)
            })?;
        if auto {
            let cands = group_candidates(tx, g)?;
            assigned = attribution::pick(&cands).map(|c| c.agent.clone());
        }
    }
    let parts = Parts {
        prefix: &cfg.prefix,
        date: local_date(now),
        cat: &routing.category,
        group: routing.group.as_deref().unwrap_or(""),
    };
    let super::numbers::Allocated { number, scope, seq } = super::numbers::allocate(
        tx,
        cfg,
        &p.template,
        &parts,
        super::numbers::Who::of(actor),
        now,
    )?;
    let initial = life.initial().to_string();
    let status = match (&assigned, life.on_assign(&initial)) {
        (Some(_), Some(t)) => t.to.clone(),
        _ => initial.clone(),
    };
    let open = life.category(&status).is_none_or(|c| c.is_open());
    tx.prepare_cached(
        "INSERT INTO tickets (number, number_key, scope, seq, subject, body, requester,
            contact, channel, category, priority, status, is_open, assignee_id,
            group_code, created_at, created_by, updated_at, updated_by, external_ref)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
            ?17, ?16, ?17, ?18)",
    )?
    .execute(params![
        number,
        numbering::normalize(&number),
        scope,
        seq,
        p.subject,
        p.body,
        p.requester,
        p.contact,
        p.channel.as_str(),
        routing.category,
        p.priority.rank(),
        status,
        open,
        assigned.as_ref().map(|a| a.id),
        routing.group,
        now,
        actor.id(),
        p.external_ref,
    ])?;
    let id = tx.last_insert_rowid();
    let created = format!(
        "{}|{}|{}",
        p.channel.as_str(),
        routing.category,
        p.priority.as_str()
    );
    insert_event(
        tx,
        id,
        now,
        Some(actor),
        step(EventKind::Created, None, Some(&initial), Some(&created)),
    )?;
    if let Some(a) = &assigned {
        insert_event(
            tx,
            id,
            now,
            None,
            step(
                EventKind::Assigned,
                None,
                Some(&a.login),
                Some("automatic: least-loaded member with room"),
            ),
        )?;
        tx.execute(
            "UPDATE agents SET last_assigned_at = ?1 WHERE id = ?2",
            params![now, a.id],
        )?;
        if status != initial {
            insert_event(
                tx,
                id,
                now,
                None,
                step(EventKind::Status, Some(&initial), Some(&status), None),
            )?;
        }
    }
    super::sla::refresh(tx, cfg, id, now)?;
    Ok(Intake::Created(Created {
        id,
        number,
        routing: routing.clone(),
        priority: p.priority,
        status,
        assigned_to: assigned.map(|a| a.login),
        no_contact: p.contact.trim().is_empty(),
    }))
}

impl Store {
    /// Registers a request: routes it, gives it the next number of its scope, assigns it if
    /// its group assigns automatically, and records it with its first events, all in one
    /// transaction.
    pub fn create(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        new: &NewTicket,
        now: i64,
    ) -> Result<Created> {
        match self.intake(cfg, actor, new, now)? {
            Intake::Created(c) => Ok(c),
            Intake::Existing(number) => Err(Error::Invalid(format!(
                "a request with this reference was already registered as {number}"
            ))),
        }
    }

    /// Like `create`, but a request whose external reference is known returns the ticket it
    /// already became (so a script may safely retry).
    pub fn intake(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        new: &NewTicket,
        now: i64,
    ) -> Result<Intake> {
        rights::check(actor, Action::Create, None)?;
        let p = Prepared::new(cfg, new)?;
        self.write(|tx| insert_new(tx, cfg, actor, &p, now))
    }

    /// Registers many requests (an import) in one transaction: all of them, or none. A request
    /// whose external reference is already known is not registered again.
    pub fn import(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        items: &[NewTicket],
        now: i64,
    ) -> Result<Vec<Intake>> {
        rights::check(actor, Action::Create, None)?;
        let prepared = items
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Prepared::new(cfg, t).map_err(|e| match e {
                    Error::Invalid(m) => Error::Invalid(format!("item {}: {m}", i + 1)),
                    Error::Refused(r) => Error::Invalid(format!("item {}: {r}", i + 1)),
                    other => other,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        self.write(|tx| {
            prepared
                .iter()
                .map(|p| insert_new(tx, cfg, actor, p, now))
                .collect()
        })
    }

    /// Finds a ticket by what a person typed. Exact and tolerant (case, spaces, missing
    /// dashes) matches open it; anything else is an error that says whether the number is
    /// malformed, mistyped (wrong check digit) or simply not there, with the closest numbers.
    pub fn find(&self, cfg: &Config, input: &str, today: NaiveDate) -> Result<Ticket> {
        find_in(&self.conn, cfg, input, today).map_err(|e| self.map_db(e))
    }

    /// A ticket by its row id.
    pub fn get(&self, id: i64) -> Result<Option<Ticket>> {
        self.conn
            .prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE t.id = ?1"))
            .and_then(|mut s| s.query_row([id], ticket_row).optional())
            .map_err(|e| self.err(e))
    }

    /// Existing numbers starting like `partial` (case, spaces and dashes forgiven), for
    /// completion.
    pub fn numbers_like(&self, partial: &str, limit: usize) -> Result<Vec<String>> {
        let key = numbering::normalize(partial);
        if key.is_empty() {
            return Ok(Vec::new());
        }
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT number FROM tickets WHERE number_key >= ?1 AND number_key < ?1 || char(1114111)
                 ORDER BY number_key LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![key, limit as i64], |r| r.get(0))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// Every status tickets are in, with how many.
    pub fn statuses_in_use(&self) -> Result<Vec<(String, i64)>> {
        let run = || -> rusqlite::Result<Vec<(String, i64)>> {
            let mut stmt = self
                .conn
                .prepare("SELECT status, count(*) FROM tickets GROUP BY status ORDER BY status")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// The whole history of a ticket, oldest first.
    pub fn history(&self, ticket_id: i64) -> Result<Vec<Event>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.id, e.at, a.login, v.login, e.kind, e.from_value, e.to_value, e.text
                 FROM events e LEFT JOIN agents a ON a.id = e.actor_id
                 LEFT JOIN agents v ON v.id = e.via_id
                 WHERE e.ticket_id = ?1 ORDER BY e.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([ticket_id], event_row)
            .map_err(|e| self.err(e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))
    }

    /// A queue: tickets matching `filter`, most urgent first, then oldest first; and how many
    /// match in all.
    pub fn list(&self, cfg: &Config, filter: &ListFilter) -> Result<(Vec<Ticket>, i64)> {
        let mut wheres: Vec<String> = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        use rusqlite::types::Value as V;
        if !filter.statuses.is_empty() {
            for s in &filter.statuses {
                if cfg.lifecycle.status(s).is_none() {
                    return Err(Refusal::UnknownStatus {
                        status: s.clone(),
                        known: cfg
                            .lifecycle
                            .statuses()
                            .iter()
                            .map(|s| s.id.clone())
                            .collect(),
                    }
                    .into());
                }
            }
            let marks = vec!["?"; filter.statuses.len()].join(", ");
            wheres.push(format!("t.status IN ({marks})"));
            args.extend(filter.statuses.iter().map(|s| V::Text(s.clone())));
        } else if !filter.all {
            wheres.push("t.is_open = 1".into());
        }
        match &filter.assignee {
            Some(AssigneeFilter::Nobody) => wheres.push("t.assignee_id IS NULL".into()),
            Some(AssigneeFilter::Agent(id)) => {
                wheres.push("t.assignee_id = ?".into());
                args.push(V::Integer(*id));
            }
            None => {}
        }
        if let Some(g) = &filter.group {
            wheres.push("t.group_code = ?".into());
            args.push(V::Text(g.clone()));
        }
        if let Some(c) = &filter.category {
            wheres.push("t.category = ?".into());
            args.push(V::Text(c.clone()));
        }
        if let Some(p) = filter.priority {
            wheres.push("t.priority = ?".into());
            args.push(V::Integer(p.rank()));
        }
        let where_sql = if wheres.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wheres.join(" AND "))
        };
        let total: i64 = self
            .conn
            .query_row(
                &format!("SELECT count(*) FROM tickets t {where_sql}"),
                params_from_iter(args.iter()),
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        let cols = COLS.replace("t.body", "''");
        // No limit: every ticket (LIMIT -1 in SQLite).
        let limit = match filter.limit {
            0 => -1,
            n => n.min(i64::MAX as usize) as i64,
        };
        let sql = format!(
            "SELECT {cols} FROM {FROM} {where_sql}
             ORDER BY t.urgency, t.created_at, t.id LIMIT {limit} OFFSET {}",
            filter.offset.min(i64::MAX as usize)
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params_from_iter(args.iter()), ticket_row)
            .map_err(|e| self.err(e))?;
        let tickets = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok((tickets, total))
    }

    /// Loads a ticket inside a write transaction, refusing a stale view.
    fn load_for_change(
        tx: &Connection,
        cfg: &Config,
        number: &str,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Ticket> {
        let t = find_in(tx, cfg, number, local_date(now))?;
        if let Some(v) = expected_version
            && v != t.version
        {
            return Err(Refusal::Stale {
                by: t.updated_by.clone().unwrap_or_else(|| "desk".into()),
                at: local_time(t.updated_at),
            }
            .into());
        }
        Ok(t)
    }

    fn apply_assignment(
        tx: &Connection,
        cfg: &Config,
        t: &Ticket,
        a: &Assignment,
        group: Option<&str>,
        actor: &Actor,
        now: i64,
    ) -> Result<Changed> {
        let status = a.status_to.clone().unwrap_or_else(|| t.status.clone());
        let open = cfg.lifecycle.category(&status).is_none_or(|c| c.is_open());
        tx.prepare_cached(
            "UPDATE tickets SET assignee_id = ?1, status = ?2, is_open = ?3,
                group_code = coalesce(?4, group_code),
                updated_at = ?5, updated_by = ?6, version = version + 1
             WHERE id = ?7",
        )
        .and_then(|mut s| {
            s.execute(params![
                a.to.as_ref().map(|x| x.id),
                status,
                open,
                group,
                now,
                actor.id(),
                t.id
            ])
        })?;
        if let Some(to) = &a.to {
            tx.execute(
                "UPDATE agents SET last_assigned_at = ?1 WHERE id = ?2",
                params![now, to.id],
            )?;
        }
        if a.from.as_ref().map(|x| x.id) != a.to.as_ref().map(|x| x.id) {
            insert_event(
                tx,
                t.id,
                now,
                Some(actor),
                step(
                    EventKind::Assigned,
                    a.from.as_ref().map(|x| x.login.as_str()),
                    a.to.as_ref().map(|x| x.login.as_str()),
                    a.reason.as_deref(),
                ),
            )?;
        }
        if let Some(g) = group
            && t.group.as_deref() != Some(g)
        {
            insert_event(
                tx,
                t.id,
                now,
                Some(actor),
                step(
                    EventKind::Group,
                    t.group.as_deref(),
                    Some(g),
                    a.reason.as_deref(),
                ),
            )?;
        }
        if status != t.status {
            insert_event(
                tx,
                t.id,
                now,
                Some(actor),
                step(EventKind::Status, Some(&t.status), Some(&status), None),
            )?;
        }
        super::sla::refresh(tx, cfg, t.id, now)?;
        let warning = match &a.to {
            Some(to) if a.over_capacity => {
                candidate(tx, to.id)?.map(|c| (c.agent.login, c.load, c.capacity))
            }
            _ => None,
        };
        Ok(Changed {
            number: t.number.clone(),
            version: t.version + 1,
            status_from: t.status.clone(),
            status,
            warning,
        })
    }

    fn me(tx: &Connection, actor: &Actor) -> Result<Candidate> {
        candidate(tx, actor.id())?
            .ok_or_else(|| Error::NotFound(format!("no agent '{}'", actor.agent.login)))
    }

    /// The actor takes the ticket (a take-over, with a reason, if it is someone else's).
    pub fn claim(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        reason: Option<&str>,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Changed> {
        let r = self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, expected_version, now)?;
            let me = Self::me(tx, actor)?;
            let a = attribution::claim(&cfg.lifecycle, &t.state(), actor, &me, reason)?;
            Self::apply_assignment(tx, cfg, &t, &a, None, actor, now)
        });
        r.map_err(|e| self.map_db(e))
    }

    /// Gives the ticket to `login` and/or moves it to `group`, with a reason when it had an
    /// owner.
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        login: Option<&str>,
        group: Option<&str>,
        reason: Option<&str>,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Changed> {
        let group = group.map(|g| g.trim().to_ascii_uppercase());
        let r = self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, expected_version, now)?;
            if let Some(g) = &group {
                ensure_group(tx, cfg, g)?;
            }
            let a = match login {
                Some(login) => {
                    let id = super::agents::agent_id(tx, login)?;
                    let target = candidate(tx, id)?
                        .ok_or_else(|| Error::NotFound(format!("no agent '{login}'")))?;
                    attribution::give(&cfg.lifecycle, &t.state(), actor, &target, reason)?
                }
                None => {
                    let Some(g) = &group else {
                        return Err(Error::Invalid(
                            "say whom to assign to (LOGIN) or which group (--group)".into(),
                        ));
                    };
                    if t.group.as_deref() == Some(g.as_str()) {
                        return Err(Error::Invalid(format!(
                            "the ticket is already in group {g}"
                        )));
                    }
                    rights::check(actor, Action::Give, t.assignee.as_ref().map(|o| &o.agent))?;
                    let reason = non_blank(reason).map(str::to_string);
                    if t.group.is_some() && reason.is_none() {
                        return Err(Refusal::ReasonRequired {
                            action: Action::Give,
                        }
                        .into());
                    }
                    Assignment {
                        action: Action::Give,
                        from: t.assignee.as_ref().map(|o| o.agent.clone()),
                        to: t.assignee.as_ref().map(|o| o.agent.clone()),
                        reason,
                        status_to: None,
                        over_capacity: false,
                    }
                }
            };
            Self::apply_assignment(tx, cfg, &t, &a, group.as_deref(), actor, now)
        });
        r.map_err(|e| self.map_db(e))
    }

    /// Returns the ticket to its group's queue.
    pub fn unassign(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        reason: Option<&str>,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Changed> {
        let r = self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, expected_version, now)?;
            let a = attribution::unassign(&cfg.lifecycle, &t.state(), actor, reason)?;
            Self::apply_assignment(tx, cfg, &t, &a, None, actor, now)
        });
        r.map_err(|e| self.map_db(e))
    }

    /// Changes the status, as the lifecycle allows, recording outcome, reason and answer.
    #[allow(clippy::too_many_arguments)]
    pub fn move_to(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        to: &str,
        fields: &Fields,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Changed> {
        let mut fields = fields.clone();
        if let Some(r) = &fields.reason {
            fields.reason = Some(text_arg("reason", r, limits::NOTE_BYTES, false)?);
        }
        if let Some(a) = &fields.answer {
            fields.answer = Some(text_arg("answer", a, limits::NOTE_BYTES, false)?);
        }
        let r = self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, expected_version, now)?;
            let tr = cfg.lifecycle.check(&t.state(), to, actor, &fields)?;
            let open = tr.to_category.is_open();
            let reopened = tr.from_category.is_finished() && open;
            let (set_outcome, outcome, note) = match &tr.outcome {
                OutcomeChange::Keep => (false, t.outcome, t.reason.clone()),
                OutcomeChange::Set(o, n) => (true, Some(*o), n.clone()),
                OutcomeChange::Clear => (true, None, None),
            };
            // The answer belongs to the decision it was given with: a new decision (or none)
            // starts without one; the earlier answers stay in the history.
            let answer = match (&tr.answer, &tr.outcome) {
                (Some(a), _) => Some(a.clone()),
                (None, OutcomeChange::Keep) => t.answer.clone(),
                (None, OutcomeChange::Set(..) | OutcomeChange::Clear) => None,
            };
            use crate::core::model::StatusCategory as C;
            tx.prepare_cached(
                "UPDATE tickets SET status = ?1, is_open = ?2, outcome = ?3, reason = ?4,
                    answer = ?5,
                    resolved_at = CASE WHEN ?7 THEN ?6 WHEN ?9 THEN NULL ELSE resolved_at END,
                    closed_at = CASE WHEN ?8 THEN ?6 WHEN ?9 THEN NULL ELSE closed_at END,
                    satisfaction = CASE WHEN ?9 THEN NULL ELSE satisfaction END,
                    updated_at = ?6, updated_by = ?10, version = version + 1
                 WHERE id = ?11",
            )
            .and_then(|mut s| {
                s.execute(params![
                    tr.to,
                    open,
                    outcome.map(|o| o.as_str()),
                    note,
                    answer,
                    now,
                    tr.to_category == C::Done,
                    tr.to_category == C::Closed,
                    reopened,
                    actor.id(),
                    t.id
                ])
            })?;
            insert_event(
                tx,
                t.id,
                now,
                Some(actor),
                step(
                    EventKind::Status,
                    Some(&tr.from),
                    Some(&tr.to),
                    tr.reason.as_deref(),
                ),
            )?;
            if set_outcome && (outcome != t.outcome || note != t.reason) {
                insert_event(
                    tx,
                    t.id,
                    now,
                    Some(actor),
                    step(
                        EventKind::Outcome,
                        t.outcome.map(|o| o.as_str()),
                        outcome.map(|o| o.as_str()),
                        note.as_deref(),
                    ),
                )?;
            }
            if let Some(a) = &tr.answer {
                insert_event(
                    tx,
                    t.id,
                    now,
                    Some(actor),
                    step(EventKind::Reply, None, None, Some(a)),
                )?;
            }
            super::sla::refresh(tx, cfg, t.id, now)?;
            Ok(Changed {
                number: t.number.clone(),
                version: t.version + 1,
                status_from: tr.from.clone(),
                status: tr.to.clone(),
                warning: None,
            })
        });
        r.map_err(|e| self.map_db(e))
    }

    /// Adds an internal note. Anyone may add one to any ticket; it changes no state.
    pub fn comment(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        text: &str,
        now: i64,
    ) -> Result<String> {
        self.note(cfg, actor, number, text, now, EventKind::Comment)
    }

    /// Records a public answer sent to the requester (the first one is the first response).
    pub fn reply(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        text: &str,
        now: i64,
    ) -> Result<String> {
        self.note(cfg, actor, number, text, now, EventKind::Reply)
    }

    fn note(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        text: &str,
        now: i64,
        kind: EventKind,
    ) -> Result<String> {
        let field = if kind == EventKind::Reply {
            "answer"
        } else {
            "comment"
        };
        let text = text_arg(field, text.trim(), limits::NOTE_BYTES, false)?;
        if text.is_empty() {
            return Err(Refusal::EmptyText { field }.into());
        }
        let r = self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, None, now)?;
            let action = if kind == EventKind::Reply {
                Action::Reply
            } else {
                Action::Comment
            };
            rights::check(actor, action, t.assignee.as_ref().map(|o| &o.agent))?;
            insert_event(
                tx,
                t.id,
                now,
                Some(actor),
                step(kind, None, None, Some(&text)),
            )?;
            tx.execute(
                "UPDATE tickets SET updated_at = ?1 WHERE id = ?2",
                params![now, t.id],
            )?;
            if kind == EventKind::Reply {
                super::sla::refresh(tx, cfg, t.id, now)?;
            }
            Ok(t.number)
        });
        r.map_err(|e| self.map_db(e))
    }

    /// Records the requester's satisfaction (1-5) on a finished ticket, once per finishing.
    #[allow(clippy::too_many_arguments)]
    pub fn rate(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        score: i64,
        comment: Option<&str>,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Changed> {
        let rating = Rating::new(number, score, comment)?;
        let r = self.write(|tx| {
            rate_in(tx, cfg, actor, &rating, expected_version, false, now)?
                .ok_or_else(|| Refusal::AlreadyRated.into())
        });
        r.map_err(|e| self.map_db(e))
    }

    /// The number of the ticket imported with this external reference.
    pub fn number_of_ref(&self, external_ref: &str) -> Result<Option<String>> {
        self.conn
            .query_row(
                "SELECT number FROM tickets WHERE external_ref = ?1",
                [external_ref.trim()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Records many ratings (a survey's answers) in one transaction: all of them or, if one
    /// cannot be recorded, none, with the item named. A ticket that already has the same
    /// rating is left as it is (so an import can be run again); `None` says so.
    pub fn rate_many(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        ratings: &[Rating],
        now: i64,
    ) -> Result<Vec<Option<Changed>>> {
        let r = self.write(|tx| {
            let mut out = Vec::with_capacity(ratings.len());
            for (i, rating) in ratings.iter().enumerate() {
                let done =
                    rate_in(tx, cfg, actor, rating, None, true, now).map_err(|e| match e {
                        Error::Sql(e) => Error::Sql(e),
                        other => Error::Item {
                            item: i + 1,
                            name: rating.number.clone(),
                            inner: Box::new(other),
                        },
                    })?;
                out.push(done);
            }
            Ok(out)
        });
        r.map_err(|e| self.map_db(e))
    }
}

/// A requester's rating of a ticket, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub number: String,
    pub score: i64,
    pub comment: Option<String>,
}

impl Rating {
    pub fn new(number: &str, score: i64, comment: Option<&str>) -> Result<Rating> {
        if !(1..=5).contains(&score) {
            return Err(Refusal::RatingRange { given: score }.into());
        }
        let comment = match comment {
            Some(c) => Some(text_arg("comment", c.trim(), limits::NOTE_BYTES, false)?),
            None => None,
        };
        Ok(Rating {
            number: number.to_string(),
            score,
            comment: comment.filter(|c| !c.is_empty()),
        })
    }
}

/// Records one rating inside the caller's transaction; `Ok(None)` when `same_again_ok` and the
/// ticket already has exactly this rating.
fn rate_in(
    tx: &Connection,
    cfg: &Config,
    actor: &Actor,
    rating: &Rating,
    expected_version: Option<i64>,
    same_again_ok: bool,
    now: i64,
) -> Result<Option<Changed>> {
    let t = Store::load_for_change(tx, cfg, &rating.number, expected_version, now)?;
    rights::check(actor, Action::Rate, t.assignee.as_ref().map(|o| &o.agent))?;
    let finished = cfg
        .lifecycle
        .category(&t.status)
        .is_some_and(|c| c.is_finished());
    if !finished {
        return Err(Refusal::NotRatable {
            status: t.status.clone(),
        }
        .into());
    }
    match t.satisfaction {
        Some(s) if same_again_ok && s == rating.score => return Ok(None),
        Some(_) => return Err(Refusal::AlreadyRated.into()),
        None => {}
    }
    tx.execute(
        "UPDATE tickets SET satisfaction = ?1, updated_at = ?2, updated_by = ?3,
            version = version + 1 WHERE id = ?4",
        params![rating.score, now, actor.id(), t.id],
    )?;
    insert_event(
        tx,
        t.id,
        now,
        Some(actor),
        step(
            EventKind::Rated,
            None,
            Some(&rating.score.to_string()),
            rating.comment.as_deref(),
        ),
    )?;
    super::sla::refresh(tx, cfg, t.id, now)?;
    Ok(Some(Changed {
        number: t.number.clone(),
        version: t.version + 1,
        status_from: t.status.clone(),
        status: t.status.clone(),
        warning: None,
    }))
}

impl Store {
    /// Puts a ticket back as it was in `before`, if nobody changed it since `version_after`
    /// and it is not closed (`core::undo` decides). The history keeps both the action and its
    /// undoing: this appends the steps back, marked "undo".
    pub fn undo(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        before: &Ticket,
        version_after: i64,
        now: i64,
    ) -> Result<Changed> {
        let r = self.write(|tx| {
            let t = tx
                .prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE t.id = ?1"))?
                .query_row([before.id], ticket_row)?;
            crate::core::undo::check(
                actor,
                &crate::core::undo::UndoCheck {
                    done_by: actor.id(),
                    version_after,
                    version_now: t.version,
                    changed_by: t.updated_by.clone().unwrap_or_else(|| "desk".into()),
                    changed_at: local_time(t.updated_at),
                    category_now: cfg
                        .lifecycle
                        .category(&t.status)
                        .unwrap_or(crate::core::model::StatusCategory::Active),
                },
            )?;
            let open = cfg
                .lifecycle
                .category(&before.status)
                .is_none_or(|c| c.is_open());
            tx.prepare_cached(
                "UPDATE tickets SET status = ?1, is_open = ?2, outcome = ?3, reason = ?4,
                    answer = ?5, assignee_id = ?6, group_code = ?7, resolved_at = ?8,
                    closed_at = ?9, first_response_at = ?10, satisfaction = ?11,
                    reassignments = ?12, updated_at = ?13, updated_by = ?14,
                    version = version + 1
                 WHERE id = ?15",
            )?
            .execute(params![
                before.status,
                open,
                before.outcome.map(|o| o.as_str()),
                before.reason,
                before.answer,
                before.assignee.as_ref().map(|o| o.agent.id),
                before.group,
                before.resolved_at,
                before.closed_at,
                before.first_response_at,
                before.satisfaction,
                before.reassignments,
                now,
                actor.id(),
                t.id
            ])?;
            let login = |o: &Option<Owner>| o.as_ref().map(|o| o.agent.login.clone());
            if login(&t.assignee) != login(&before.assignee) {
                insert_event(
                    tx,
                    t.id,
                    now,
                    Some(actor),
                    step(
                        EventKind::Assigned,
                        login(&t.assignee).as_deref(),
                        login(&before.assignee).as_deref(),
                        Some("undo"),
                    ),
                )?;
            }
            if t.group != before.group {
                insert_event(
                    tx,
                    t.id,
                    now,
                    Some(actor),
                    step(
                        EventKind::Group,
                        t.group.as_deref(),
                        before.group.as_deref(),
                        Some("undo"),
                    ),
                )?;
            }
            if t.status != before.status {
                insert_event(
                    tx,
                    t.id,
                    now,
                    Some(actor),
                    step(
                        EventKind::Status,
                        Some(&t.status),
                        Some(&before.status),
                        Some("undo"),
                    ),
                )?;
            }
            if t.outcome != before.outcome || t.reason != before.reason {
                insert_event(
                    tx,
                    t.id,
                    now,
                    Some(actor),
                    step(
                        EventKind::Outcome,
                        t.outcome.map(|o| o.as_str()),
                        before.outcome.map(|o| o.as_str()),
                        before.reason.as_deref().or(Some("undo")),
                    ),
                )?;
            }
            super::sla::refresh(tx, cfg, t.id, now)?;
            Ok(Changed {
                number: t.number.clone(),
                version: t.version + 1,
                status_from: t.status.clone(),
                status: before.status.clone(),
                warning: None,
            })
        });
        r.map_err(|e| self.map_db(e))
    }
}

/// Up to three existing numbers a person most likely meant by `input`: those one typo or one
/// misheard code away, newest first (recent tickets are the ones being worked on), else the
/// nearest number of the same series.
fn suggestions(
    conn: &Connection,
    grammar: &numbering::Grammar,
    input: &str,
    scope_seq: Option<(&str, u64)>,
) -> rusqlite::Result<Vec<String>> {
    let key = numbering::normalize(input);
    let mut hits: Vec<(i64, String)> = Vec::new();
    if !key.is_empty() && key.len() <= 40 {
        let mut candidates = numbering::edit_candidates(&key);
        candidates.extend(grammar.code_variants(&key));
        for chunk in candidates.chunks(400) {
            let marks = vec!["?"; chunk.len()].join(",");
            let mut stmt = conn.prepare(&format!(
                "SELECT id, number FROM tickets WHERE number_key IN ({marks})"
            ))?;
            let rows = stmt.query_map(params_from_iter(chunk.iter()), |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            for r in rows {
                hits.push(r?);
            }
        }
    }
    hits.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    let mut found: Vec<String> = hits.into_iter().map(|(_, n)| n).collect();
    if found.is_empty()
        && let Some((scope, seq)) = scope_seq
    {
        let nearest: Option<String> = conn
            .query_row(
                "SELECT number FROM tickets WHERE scope = ?1 ORDER BY abs(seq - ?2), seq LIMIT 1",
                params![scope, seq as i64],
                |r| r.get(0),
            )
            .optional()?;
        found.extend(nearest);
    }
    found.truncate(3);
    Ok(found)
}

pub(crate) fn find_in(
    conn: &Connection,
    cfg: &Config,
    input: &str,
    today: NaiveDate,
) -> Result<Ticket> {
    let by = |col: &str, value: &str| -> Result<Option<Ticket>> {
        conn.prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE t.{col} = ?1"))
            .and_then(|mut s| s.query_row([value], ticket_row).optional())
            .map_err(Error::from)
    };
    let trimmed = input.trim();
    if let Some(t) = by("number", trimmed)? {
        return Ok(t);
    }
    let key = numbering::normalize(trimmed);
    if !key.is_empty()
        && let Some(t) = by("number_key", &key)?
    {
        return Ok(t);
    }
    let groups = group_codes(conn)?;
    let known = |scope: &str| super::numbers::series_algo(conn, scope).ok().flatten();
    let grammar = cfg.grammar(&groups);
    match grammar.parse(trimmed, today, &known) {
        Ok(parsed) => Err(Error::NoSuchTicket {
            suggestions: suggestions(conn, &grammar, trimmed, Some((&parsed.scope, parsed.seq)))?,
            number: parsed.canonical,
        }),
        Err(NumberError::Empty) => Err(Error::BadNumber {
            error: NumberError::Empty,
            suggestions: Vec::new(),
        }),
        Err(error) => {
            let suggestions = suggestions(conn, &grammar, trimmed, None)?;
            // Not a number at all, but one typo away from existing ones: a typo.
            let error = match error {
                NumberError::Malformed { input, .. } if !suggestions.is_empty() => {
                    NumberError::Mistyped { input }
                }
                other => other,
            };
            Err(Error::BadNumber { suggestions, error })
        }
    }
}
