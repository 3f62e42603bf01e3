//! Intake: a request validated, routed, numbered and stored with its first events.

use super::*;
use crate::core::attribution::{Compiled, Routing};
use crate::core::config::Config;
use crate::core::model::{Actor, Channel, EventKind, Priority, limits};
use crate::core::numbering::{self, Parts};
use crate::core::refusal::Refusal;
use crate::core::rights::{self, Action};
use crate::core::sla::ClockEvent;
use crate::error::{Error, Result};
use crate::msg;
use crate::store::chain::Appender;
use crate::store::db::{Connection, OptionalExtension, params};
use crate::store::report::rollup::{Fact, Pending};
use crate::store::sla::FactRow;
use std::cell::RefCell;

/// From how many requests an import builds their search index in one pass at the end.
const BULK: usize = 64;
/// The page cache a large import may take: so much per request, 1 GiB at most.
const CACHE_KIB_PER_REQUEST: i64 = 16;
const CACHE_KIB_MAX: i64 = 1024 * 1024;

/// The indexes an import sets aside and builds again, sorted, once at its end (in its
/// transaction: nobody sees the desk without them) instead of taking each row as it comes:
/// those of the tickets, their rows of facts and their history, each table's when the import
/// at least doubles it (`requests`: how many it registers, each with one row of each at
/// least). Kept: the unique ones (they refuse a number or reference given twice, and find a
/// reference already registered), the two intake reads (an agent's open tickets, a group's
/// unassigned ones) for automatic assignment, and a ticket's history in order (the search
/// index is built from it at the end).
fn set_indexes_aside(tx: &Connection, requests: usize) -> rusqlite::Result<Vec<String>> {
    let mut aside = Vec::new();
    for table in ["tickets", "facts", "events"] {
        let last: i64 = tx.query_row(
            &format!("SELECT coalesce(max(rowid), 0) FROM {table}"),
            [],
            |r| r.get(0),
        )?;
        if last as usize > requests {
            continue;
        }
        let indexes: Vec<(String, String)> = tx
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1
                   AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE %'
                   AND name NOT IN ('tickets_assignee', 'tickets_unassigned', 'events_ticket')",
            )?
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, sql) in indexes {
            tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
            aside.push(sql);
        }
    }
    Ok(aside)
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
    language: Option<String>,
    /// Acknowledge the request to the requester (not for mail a program sent).
    acknowledge: bool,
}

/// What intake did with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    Created(Created),
    /// Its external reference was already registered, as this number.
    Existing(String),
}

impl Prepared {
    /// `router`: the desk's (`cfg.router()`), compiled once for all the requests at hand.
    fn new(cfg: &Config, router: &Compiled<'_>, new: &NewTicket) -> Result<Prepared> {
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
        let category = category_arg(cfg, new.category.as_deref())?;
        let group_in = new.group.as_ref().map(|g| g.trim().to_ascii_uppercase());
        let routing = router.route(&subject, &body, category.as_deref(), group_in.as_deref());
        let priority = new
            .priority
            .or(routing.priority)
            .or(cfg.category(&routing.category).and_then(|c| c.priority))
            .unwrap_or(cfg.default_priority);
        let language = match new.language.as_deref().map(str::trim) {
            Some(l) if !l.is_empty() => Some(crate::store::requester::parse_language(l)?),
            _ => None,
        };
        let template = cfg.template_for(&routing.category).clone();
        if template.tokens().contains(&numbering::Token::Group) && routing.group.is_none() {
            return Err(Error::Invalid(msg!(
                "error.template_needs_group",
                category = routing.category
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
            language,
            acknowledge: true,
        })
    }
}

/// The next number of the request's series (by its template, date, category and group).
fn number_for(
    tx: &Connection,
    cfg: &Config,
    p: &Prepared,
    actor: &Actor,
    now: i64,
) -> Result<crate::store::numbers::Allocated> {
    let parts = Parts {
        prefix: &cfg.prefix,
        date: local_date(now),
        cat: &p.routing.category,
        group: p.routing.group.as_deref().unwrap_or(""),
    };
    crate::store::numbers::allocate(
        tx,
        cfg,
        &p.template,
        &parts,
        crate::store::numbers::Who::of(actor),
        now,
    )
}

/// The number of the ticket already registered under the request's external reference.
fn registered_as(tx: &Connection, p: &Prepared) -> Result<Option<String>> {
    let Some(r) = &p.external_ref else {
        return Ok(None);
    };
    Ok(tx
        .prepare_cached("SELECT number FROM tickets WHERE external_ref = ?1")?
        .query_row([r], |row| row.get(0))
        .optional()?)
}

/// A new ticket's number, first status and automatic assignee, as intake decided them.
struct Decided {
    alloc: crate::store::numbers::Allocated,
    initial: String,
    status: String,
    assigned: Option<AgentRef>,
}

/// Stores the ticket's row with its service-level figures (`f`, `s`); returns its id.
fn insert_row(
    tx: &Connection,
    actor: &Actor,
    p: &Prepared,
    d: &Decided,
    (f, s): (&FactRow, &crate::core::sla::Sla),
    now: i64,
) -> Result<i64> {
    let a = &d.alloc;
    Ok(tx
        .prepare_cached(
            "INSERT INTO tickets (number, number_key, scope, seq, subject, body, requester,
            contact, channel, category, priority, status, is_open, assignee_id,
            group_code, created_at, created_by, updated_at, updated_by, external_ref,
            due_at, risk_at, first_response_at, reassignments)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
            ?17, ?16, ?17, ?18, ?19, ?20, ?21, ?22)
         RETURNING id",
        )?
        .query_row(
            params![
                a.number,
                numbering::normalize(&a.number),
                a.scope,
                a.seq,
                p.subject,
                p.body,
                p.requester,
                p.contact,
                p.channel.as_str(),
                p.routing.category,
                p.priority.rank(),
                d.status,
                f.is_open,
                d.assigned.as_ref().map(|a| a.id),
                p.routing.group,
                now,
                actor.id(),
                p.external_ref,
                s.due,
                s.risk_at,
                s.first_response_at,
                f.reassignments,
            ],
            |r| r.get::<_, i64>(0),
        )?)
}

/// One of a new ticket's first events: by the registering actor, or (`by_desk`) by the desk
/// itself.
struct FirstEvent {
    by_desk: bool,
    kind: EventKind,
    from: Option<String>,
    to: Option<String>,
    text: Option<String>,
}

/// The new ticket's first events: created (sealing the request it took), and the desk's
/// automatic assignment with the status that moves it to.
fn first_events(cfg: &Config, p: &Prepared, d: &Decided) -> Vec<FirstEvent> {
    let routing = &p.routing;
    let created = crate::core::chain::created_text(
        p.channel.as_str(),
        &routing.category,
        p.priority.as_str(),
        &crate::core::chain::Request {
            subject: &p.subject,
            body: &p.body,
            requester: &p.requester,
            contact: &p.contact,
        },
    );
    let mut out = vec![FirstEvent {
        by_desk: false,
        kind: EventKind::Created,
        from: None,
        to: Some(d.initial.clone()),
        text: Some(created),
    }];
    if let (Some(a), Some(g)) = (&d.assigned, &routing.group) {
        out.push(FirstEvent {
            by_desk: true,
            kind: EventKind::Assigned,
            from: None,
            to: Some(a.login.clone()),
            text: Some(auto_assignment_note(cfg, g).to_string()),
        });
        if d.status != d.initial {
            out.push(FirstEvent {
                by_desk: true,
                kind: EventKind::Status,
                from: Some(d.initial.clone()),
                to: Some(d.status.clone()),
                text: None,
            });
        }
    }
    out
}

/// The new ticket's service-level figures, computed by the same rules as from its history
/// read back (`sla::settle`), from the row and the first events it is about to get.
fn figures(
    cfg: &Config,
    p: &Prepared,
    d: &Decided,
    events: &[FirstEvent],
    now: i64,
) -> (FactRow, crate::core::sla::Sla) {
    let is_open = cfg
        .lifecycle
        .category(&d.status)
        .is_none_or(|c| c.is_open());
    let row = FactRow {
        is_open,
        reassignments: 0,
        reason: None,
        fact: Fact {
            created_at: now,
            resolved_at: None,
            category: p.routing.category.clone(),
            group_code: p.routing.group.clone(),
            assignee: d.assigned.as_ref().map(|a| a.login.clone()),
            channel: p.channel.as_str().to_string(),
            priority: p.priority.rank(),
            outcome: None,
            satisfaction: None,
            ..Fact::default()
        },
    };
    let clock: Vec<ClockEvent> = events
        .iter()
        .map(|e| ClockEvent {
            at: now,
            kind: e.kind,
            from: e.from.clone(),
            to: e.to.clone(),
            by_agent: !e.by_desk,
            undo: false,
        })
        .collect();
    crate::store::sla::settle(cfg, row, &clock, now)
}

/// Numbers and stores one prepared request inside the caller's transaction, its events chained
/// after `chain` (the chain's tail).
fn insert_new(
    tx: &Connection,
    cfg: &Config,
    actor: &Actor,
    p: &Prepared,
    now: i64,
    days: &mut Pending,
    chain: &RefCell<Appender>,
) -> Result<Intake> {
    if let Some(number) = registered_as(tx, p)? {
        return Ok(Intake::Existing(number));
    }
    let life = &cfg.lifecycle;
    let mut assigned = None;
    if let Some(g) = &p.routing.group {
        if ensure_group(tx, cfg, g)? {
            // Its making was chained as a desk-level event.
            *chain.borrow_mut() = Appender::new(tx)?;
        }
        assigned = auto_assignee(tx, cfg, g)?;
    }
    let alloc = number_for(tx, cfg, p, actor, now)?;
    let initial = life.initial().to_string();
    let status = match (&assigned, life.on_assign(&initial)) {
        (Some(_), Some(t)) => t.to.clone(),
        _ => initial.clone(),
    };
    let d = Decided {
        alloc,
        initial,
        status,
        assigned,
    };
    let events = first_events(cfg, p, &d);
    let (f, s) = figures(cfg, p, &d, &events, now);
    let id = insert_row(tx, actor, p, &d, (&f, &s), now)?;
    let h = History::new(tx, id, &d.alloc.number, now, Some(actor)).chained(chain);
    for e in &events {
        let h = if e.by_desk { h.by_desk() } else { h };
        h.record(
            e.kind,
            e.from.as_deref(),
            e.to.as_deref(),
            e.text.as_deref(),
        )?;
    }
    if let (Some(a), Some(g)) = (&d.assigned, &p.routing.group) {
        note_auto_assignment(tx, g, a, now)?;
    }
    crate::store::sla::store_new_figures(tx, cfg, id, &f, &s, days)?;
    // The web page shows the requester the new number and access code.
    let shown = actor.role() == crate::core::model::Role::Web;
    crate::store::outbox::on_created(
        tx,
        cfg,
        id,
        p.language.as_deref(),
        (p.acknowledge, shown),
        now,
    )?;
    Ok(Intake::Created(Created {
        id,
        number: d.alloc.number,
        routing: p.routing.clone(),
        priority: p.priority,
        status: d.status,
        assigned_to: d.assigned.map(|a| a.login),
        no_contact: p.contact.trim().is_empty(),
    }))
}

/// Registers one request inside the caller's transaction (mail in); `acknowledge` says
/// whether the requester is sent the acknowledgement.
pub(crate) fn intake_in(
    tx: &Connection,
    cfg: &Config,
    actor: &Actor,
    new: &NewTicket,
    acknowledge: bool,
    now: i64,
) -> Result<Intake> {
    rights::check(actor, Action::Create, None)?;
    let mut p = Prepared::new(cfg, &cfg.router().compile(), new)?;
    p.acknowledge = acknowledge;
    one(tx, cfg, actor, &p, now)
}

/// One request's intake, its report's days written at its end.
fn one(tx: &Connection, cfg: &Config, actor: &Actor, p: &Prepared, now: i64) -> Result<Intake> {
    let mut days = Pending::new(tx, cfg)?;
    let chain = RefCell::new(Appender::new(tx)?);
    let out = insert_new(tx, cfg, actor, p, now, &mut days, &chain)?;
    days.write(tx)?;
    Ok(out)
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
            Intake::Existing(number) => Err(Error::Invalid(msg!(
                "error.ref_registered",
                number = number
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
        let p = Prepared::new(cfg, &cfg.router().compile(), new)?;
        self.write(|tx| one(tx, cfg, actor, &p, now))
    }

    /// Registers many requests (an import) in one transaction: all of them, or none. A request
    /// whose external reference is already known is not registered again. `progress` is told
    /// how many are written so far.
    pub fn import(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        items: &[NewTicket],
        now: i64,
        progress: &dyn Fn(usize),
    ) -> Result<Vec<Intake>> {
        rights::check(actor, Action::Create, None)?;
        let text: usize = items
            .iter()
            .map(|t| {
                t.subject.len()
                    + t.body.len()
                    + t.requester.len()
                    + t.contact.len()
                    + t.external_ref.as_ref().map_or(0, String::len)
            })
            .sum();
        self.batch_fits("error.batch_requests", items.len(), text)?;
        let router = cfg.router();
        let router = router.compile();
        let prepared = items
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Prepared::new(cfg, &router, t).map_err(|e| match e {
                    Error::Invalid(m) => {
                        Error::Invalid(msg!("error.in_item", item = i + 1, error = m))
                    }
                    Error::Refused(r) => Error::Invalid(msg!(
                        "error.in_item",
                        item = i + 1,
                        error = msg!("error.refusal", refusal = r)
                    )),
                    other => other,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        // A page cache large enough for what a large import writes (SQLite takes pages as it
        // needs them), so that no page goes to the log before the commit and is read back.
        let cache = if prepared.len() >= BULK && !self.conn.is_postgres() {
            let was: i64 = self.conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
            let kib = (prepared.len() as i64)
                .saturating_mul(CACHE_KIB_PER_REQUEST)
                .min(CACHE_KIB_MAX);
            self.conn
                .execute_batch(&format!("PRAGMA cache_size = -{kib}"))?;
            Some(was)
        } else {
            None
        };
        let out = self.write(|tx| {
            // A large import indexes its tickets for search in one pass at the end (in this
            // transaction, so all or nothing still); a few go through the triggers as usual.
            let bulk = if prepared.len() >= BULK && !tx.is_postgres() {
                let last: i64 =
                    tx.query_row("SELECT coalesce(max(id), 0) FROM tickets", [], |r| r.get(0))?;
                let aside = set_indexes_aside(tx, prepared.len())?;
                Some((last, crate::store::search::suspend(tx)?, aside))
            } else {
                None
            };
            // The report's days summed over the whole import and written once.
            let mut days = Pending::new(tx, cfg)?;
            // The chain's tail read once, kept as the import appends.
            let chain = RefCell::new(Appender::new(tx)?);
            let out = prepared
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let r = insert_new(tx, cfg, actor, p, now, &mut days, &chain);
                    progress(i + 1);
                    r
                })
                .collect::<Result<Vec<_>>>()?;
            days.write(tx)?;
            if let Some((last, search, aside)) = bulk {
                for sql in &aside {
                    tx.execute_batch(sql)?;
                }
                search.resume_after(tx, last)?;
            }
            Ok(out)
        });
        if let Some(was) = cache {
            let put_back = self
                .conn
                .execute_batch(&format!("PRAGMA cache_size = {was}"));
            return out.and_then(|out| put_back.map(|()| out).map_err(Error::from));
        }
        out
    }
}
