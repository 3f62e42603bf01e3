//! The outbox (DESIGN §9, the transactional outbox): every requester-facing change writes its
//! notice here in its own transaction — the acknowledgement at registration, the question,
//! the decision, each reply — so a crash can delay a notice but never lose one or invent one.
//! `desk mail send` takes what is due (`claim`), hands it to the transport, and records what
//! happened: sent, tried again later with backoff, or failed for good — shown on the ticket,
//! so the operator learns that the requester was not reached. A requester without an e-mail
//! address gets a notice in state `manual` instead: a line in the desk saying how they must be
//! told, until an operator records that they were (`informed`).

use super::Store;
use super::tickets::History;
use crate::core::config::Config;
use crate::core::lifecycle::{OutcomeChange, Transition};
use crate::core::mail::{address, notice};
use crate::core::model::{
    Actor, Channel, EventKind, NoticeKind, NoticeState, Outcome, StatusCategory,
};
use crate::core::rights::{self, Action};
use crate::error::{Error, Result};
use crate::store::db::{Connection, OptionalExtension, Row, params};
use rusqlite::types::Type;

pub(crate) mod alert;
mod delivery;
pub use delivery::{Delivery, Recorded};

/// A notice as the desk lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    pub ticket_id: i64,
    pub number: String,
    pub kind: NoticeKind,
    pub state: NoticeState,
    pub created_at: i64,
    /// The address it goes to; None: the requester has none.
    pub recipient: Option<String>,
    pub subject: String,
    pub message_id: String,
    pub attempts: i64,
    pub next_at: i64,
    /// The last delivery error, or how the requester was told.
    pub note: Option<String>,
    pub done_at: Option<i64>,
}

impl Notice {
    /// The requester must be told another way (no address, or mail that did not arrive); an
    /// alert mailed to a supervisor never asks that.
    pub fn to_inform(&self) -> bool {
        self.state.needs_operator() && self.kind != NoticeKind::Alert
    }
}

/// A notice to hand to the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub id: i64,
    pub number: String,
    pub kind: NoticeKind,
    pub recipient: String,
    pub requester: String,
    pub language: String,
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub subject: String,
    pub body: String,
    /// `Auto-Submitted: auto-generated`.
    pub automatic: bool,
    pub created_at: i64,
    pub attempts: i64,
}

/// A notice with its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeText {
    pub notice: Notice,
    pub body: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
}

/// What `desk mail list` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeFilter {
    pub states: Vec<NoticeState>,
    pub ticket: Option<i64>,
    pub limit: usize,
}

const NOTICE_COLS: &str = "o.id, o.ticket_id, t.number, o.kind, o.state, o.created_at, o.recipient, \
    o.subject, o.message_id, o.attempts, o.next_at, o.last_error, o.done_at";

fn parse<T: std::str::FromStr<Err = crate::error::Message>>(
    r: &Row<'_>,
    i: usize,
) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    s.parse().map_err(|e: crate::error::Message| {
        rusqlite::Error::FromSqlConversionFailure(i, Type::Text, Box::new(e))
    })
}

fn notice_row(r: &Row<'_>) -> rusqlite::Result<Notice> {
    Ok(Notice {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        number: r.get(2)?,
        kind: parse(r, 3)?,
        state: parse(r, 4)?,
        created_at: r.get(5)?,
        recipient: r.get(6)?,
        subject: r.get(7)?,
        message_id: r.get(8)?,
        attempts: r.get(9)?,
        next_at: r.get(10)?,
        note: r.get(11)?,
        done_at: r.get(12)?,
    })
}

/// Why a notice is written: its kind and what it says.
#[derive(Debug, Clone, Default)]
pub(crate) struct Cause<'a> {
    pub outcome: Option<Outcome>,
    pub note: Option<&'a str>,
    pub answer: Option<&'a str>,
    pub text: Option<&'a str>,
    /// The ticket's version after the status change that caused it (undo withdraws it).
    pub undo_version: Option<i64>,
    /// The request a duplicate was merged into.
    pub target: Option<&'a str>,
    /// At registration: the program registering it showed the requester the number and the
    /// access code (the web page).
    pub shown: bool,
}

/// What a notice needs to know of its ticket.
struct About {
    number: String,
    subject: String,
    requester: String,
    contact: String,
    channel: Channel,
    created_at: i64,
    external_ref: Option<String>,
    code: String,
    language: Option<String>,
}

fn about(conn: &Connection, ticket_id: i64) -> rusqlite::Result<About> {
    conn.prepare_cached(
        "SELECT t.number, t.subject, t.requester, t.contact, t.channel, t.created_at,
                t.external_ref, coalesce(r.access_code, ''), r.language
         FROM tickets t LEFT JOIN requester r ON r.ticket_id = t.id WHERE t.id = ?1",
    )?
    .query_row([ticket_id], |r| {
        Ok(About {
            number: r.get(0)?,
            subject: r.get(1)?,
            requester: r.get(2)?,
            contact: r.get(3)?,
            channel: parse(r, 4)?,
            created_at: r.get(5)?,
            external_ref: r.get(6)?,
            code: r.get(7)?,
            language: r.get(8)?,
        })
    })
}

/// The thread's messages so far, oldest first: the requester's first message (an e-mail
/// ticket's reference), the desk's notices and the requester's messages.
fn thread_ids(conn: &Connection, ticket_id: i64, a: &About) -> rusqlite::Result<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    if a.channel == Channel::Email
        && let Some(id) = a.external_ref.as_deref().and_then(address::message_id)
    {
        ids.push(id);
    }
    let mut stmt = conn.prepare_cached(
        "SELECT message_id FROM (
            SELECT created_at AS at, id AS seq, message_id FROM outbox
             WHERE ticket_id = ?1 AND state IN ('pending', 'sent') AND kind <> 'alert'
            UNION ALL
            SELECT received_at, 0, message_id FROM inbox
             WHERE ticket_id = ?1 AND disposition IN ('new', 'joined')) AS h
         ORDER BY at, seq",
    )?;
    for id in stmt.query_map([ticket_id], |r| r.get::<_, String>(0))? {
        let id = id?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// Where a notice goes and when: to the requester's address after the hold (a person's
/// answer an hour later, and an acknowledgement not at all, past the limit per recipient and
/// hour); told at registration; or into the hands of an operator when there is no address.
fn plan(
    tx: &Connection,
    mail: &crate::core::mail::config::MailConfig,
    a: &About,
    kind: NoticeKind,
    shown: bool,
    now: i64,
) -> Result<(Option<String>, NoticeState, i64, Option<String>)> {
    let automatic = kind != NoticeKind::Reply;
    Ok(match notice::reach(&a.contact, a.channel) {
        notice::Reach::Email(addr) => {
            let recent: i64 = tx
                .prepare_cached(
                    "SELECT count(*) FROM outbox WHERE recipient = ?1 AND created_at > ?2
                   AND state IN ('pending', 'sent')",
                )?
                .query_row(params![addr, now - 3600], |r| r.get(0))?;
            let over = recent >= i64::from(mail.per_recipient_hour);
            match (over, automatic && kind == NoticeKind::Acknowledgement) {
                // An acknowledgement is what a flood of forged mail would make the desk send:
                // past the limit it is not sent at all.
                (true, true) => (
                    Some(addr),
                    NoticeState::Suppressed,
                    now,
                    Some(notice::Note::Limit(mail.per_recipient_hour).stored()),
                ),
                // A person's answer waits for the next hour instead.
                (true, false) => (Some(addr), NoticeState::Pending, now + 3600, None),
                (false, _) => (Some(addr), NoticeState::Pending, now + mail.hold, None),
            }
        }
        _ if kind == NoticeKind::Acknowledgement
            && notice::acknowledged_at_registration(a.channel, shown) =>
        {
            (
                None,
                NoticeState::Informed,
                now,
                Some(notice::Note::AtRegistration(a.channel).stored()),
            )
        }
        _ => (None, NoticeState::Manual, now, None),
    })
}

/// Writes one notice of `kind` about the ticket, inside the caller's transaction, if the
/// desk mails requesters and sends this kind.
pub(crate) fn queue(
    tx: &Connection,
    cfg: &Config,
    ticket_id: i64,
    kind: NoticeKind,
    cause: &Cause<'_>,
    now: i64,
) -> Result<()> {
    let mail = &cfg.mail;
    if !mail.sends(kind) {
        return Ok(());
    }
    let a = about(tx, ticket_id)?;
    let lang = super::requester::language(cfg, a.language.as_deref());
    let date = crate::time::format(a.created_at);
    let link = cfg
        .public_url
        .as_deref()
        .map(|u| crate::core::web::status_link(u, &a.number, &a.code));
    let r = notice::render(
        kind,
        lang,
        &notice::Facts {
            number: &a.number,
            subject: &a.subject,
            requester: &a.requester,
            date: &date,
            code: &a.code,
            desk: &cfg.desk_name,
            signature: &mail.signature,
            status_url: link.as_deref(),
            outcome: cause.outcome,
            note: cause.note,
            answer: cause.answer,
            text: cause.text,
            target: cause.target,
        },
    );
    let domain = mail
        .from
        .as_ref()
        .map(|m| m.domain())
        .unwrap_or("desk.invalid");
    let message_id = notice::message_id(&a.number, kind, super::requester::random()?, domain);
    let (in_reply_to, refs) = notice::thread(&thread_ids(tx, ticket_id, &a)?);
    let automatic = kind != NoticeKind::Reply;
    let (recipient, state, next_at, note) = plan(tx, mail, &a, kind, cause.shown, now)?;
    tx.prepare_cached(
        "INSERT INTO outbox (ticket_id, kind, undo_version, created_at, recipient, language,
            message_id, in_reply_to, refs, subject, body, automatic, state, next_at, last_error,
            done_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    )?
    .execute(params![
        ticket_id,
        kind.as_str(),
        cause.undo_version,
        now,
        recipient,
        lang,
        message_id,
        in_reply_to,
        refs.join(" "),
        r.subject,
        r.body,
        automatic,
        state.as_str(),
        next_at,
        note,
        (state == NoticeState::Informed || state == NoticeState::Suppressed).then_some(now),
    ])?;
    Ok(())
}

/// At registration: the access code, and the acknowledgement when `acknowledge` (not for a
/// message a program sent); `shown`: the registering program showed the requester the number
/// and the code (the web page).
pub(crate) fn on_created(
    tx: &Connection,
    cfg: &Config,
    ticket_id: i64,
    language: Option<&str>,
    (acknowledge, shown): (bool, bool),
    now: i64,
) -> Result<()> {
    super::requester::register(tx, ticket_id, language)?;
    if acknowledge {
        queue(
            tx,
            cfg,
            ticket_id,
            NoticeKind::Acknowledgement,
            &Cause {
                shown,
                ..Cause::default()
            },
            now,
        )?;
    }
    Ok(())
}

/// After a status change: the question when the ticket now waits for the requester's
/// information, the decision when it is done; an answer given with any other move is a reply.
pub(crate) fn on_status(
    tx: &Connection,
    cfg: &Config,
    ticket_id: i64,
    tr: &Transition,
    version_after: i64,
    now: i64,
) -> Result<()> {
    let (outcome, note) = match &tr.outcome {
        OutcomeChange::Set(o, n) => (Some(*o), n.as_deref()),
        _ => (None, None),
    };
    let cause = Cause {
        outcome,
        note,
        answer: tr.answer.as_deref(),
        text: tr.answer.as_deref(),
        undo_version: Some(version_after),
        target: None,
        shown: false,
    };
    let kind = match (tr.to_category, outcome) {
        (StatusCategory::Done, Some(_)) => NoticeKind::Decision,
        (StatusCategory::Waiting, Some(Outcome::Clarification)) => NoticeKind::Question,
        _ if tr.answer.is_some() => NoticeKind::Reply,
        _ => return Ok(()),
    };
    queue(tx, cfg, ticket_id, kind, &cause, now)
}

/// After a ticket was closed as the duplicate of `target`: its decision, which tells the
/// requester the number their request continues as.
pub(crate) fn on_merged(
    tx: &Connection,
    cfg: &Config,
    ticket_id: i64,
    outcome: Outcome,
    note: &str,
    target: &str,
    now: i64,
) -> Result<()> {
    queue(
        tx,
        cfg,
        ticket_id,
        NoticeKind::Decision,
        &Cause {
            outcome: Some(outcome),
            note: Some(note),
            target: Some(target),
            ..Cause::default()
        },
        now,
    )
}

/// After an answer to the requester was recorded.
pub(crate) fn on_reply(
    tx: &Connection,
    cfg: &Config,
    ticket_id: i64,
    text: &str,
    now: i64,
) -> Result<()> {
    queue(
        tx,
        cfg,
        ticket_id,
        NoticeKind::Reply,
        &Cause {
            text: Some(text),
            ..Cause::default()
        },
        now,
    )
}

/// After the requester's contact was corrected: the notices that could not reach them — no
/// address, or mail that did not arrive — and those still waiting go to the new address, with
/// their Message-IDs; without an address in it, those still waiting are to be given another
/// way. Notices already sent or told stay as they were.
pub(crate) fn on_contact(
    tx: &Connection,
    cfg: &Config,
    ticket_id: i64,
    contact: &str,
    channel: Channel,
    now: i64,
) -> Result<()> {
    if !cfg.mail.transport.is_on() {
        return Ok(());
    }
    match notice::reach(contact, channel) {
        notice::Reach::Email(addr) => tx
            .prepare_cached(
                "UPDATE outbox SET recipient = ?2, state = 'pending',
                    next_at = CASE WHEN state = 'pending' THEN next_at ELSE ?3 END,
                    attempts = CASE WHEN state = 'pending' THEN attempts ELSE 0 END,
                    last_error = NULL, done_at = NULL
                 WHERE ticket_id = ?1 AND state IN ('pending', 'manual', 'failed')
                   AND kind <> 'alert'",
            )?
            .execute(params![ticket_id, addr, now])?,
        _ => tx
            .prepare_cached(
                "UPDATE outbox SET recipient = NULL, state = 'manual'
                 WHERE ticket_id = ?1 AND state = 'pending' AND lease IS NULL
                   AND kind <> 'alert'",
            )?
            .execute(params![ticket_id])?,
    };
    Ok(())
}

/// After an undo: the notices of the undone change that have not left are withdrawn.
pub(crate) fn on_undo(tx: &Connection, ticket_id: i64, version_after: i64, now: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE outbox SET state = 'withdrawn', done_at = ?3, lease = NULL, last_error = ?4
         WHERE ticket_id = ?1 AND undo_version = ?2 AND state IN ('pending', 'manual', 'suppressed')",
    )?
    .execute(params![
        ticket_id,
        version_after,
        now,
        notice::Note::Undone.stored()
    ])?;
    Ok(())
}

/// Records a notice's end on the ticket's history (sent, failed for good, told another way).
fn record(
    tx: &Connection,
    actor: &Actor,
    n: &Notice,
    state: NoticeState,
    text: &str,
    now: i64,
) -> Result<()> {
    History::new(tx, n.ticket_id, &n.number, now, Some(actor)).record(
        EventKind::Notice,
        Some(n.kind.as_str()),
        Some(state.as_str()),
        Some(text),
    )?;
    Ok(())
}

fn notice_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Notice>> {
    conn.prepare_cached(&format!(
        "SELECT {NOTICE_COLS} FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE o.id = ?1"
    ))?
    .query_row([id], notice_row)
    .optional()
}

/// Marks a notice failed for good (a permanent error, too long undelivered, or a bounce).
/// The notice keeps `why` (said in the reader's language when shown); the history says it
/// in English, as it records the desk's other words.
pub(crate) fn fail(
    tx: &Connection,
    actor: &Actor,
    n: &Notice,
    why: &notice::Note,
    now: i64,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE outbox SET state = 'failed', last_error = ?2, done_at = ?3, lease = NULL
         WHERE id = ?1",
    )?
    .execute(params![n.id, why.stored(), now])?;
    let to = n.recipient.as_deref().unwrap_or("");
    let said = crate::i18n::Catalog::english().say(&why.said());
    record(
        tx,
        actor,
        n,
        NoticeState::Failed,
        &format!("{to}: {said}"),
        now,
    )
}

impl Store {
    /// Records that the requester of `number` was told another way (phone, in person,
    /// letter) of every notice that could not reach them; returns how many.
    pub fn informed(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        how: &str,
        now: i64,
    ) -> Result<(String, usize)> {
        let how = crate::core::sanitize::normalize_input(how.trim());
        if how.is_empty() {
            return Err(crate::core::refusal::Refusal::EmptyText { field: "how" }.into());
        }
        crate::core::model::check_length("how", &how, crate::core::model::limits::NAME_CHARS, true)
            .map_err(Error::Invalid)?;
        let r = self.write(|tx| {
            let t = super::tickets::find_in(tx, cfg, number, super::tickets::local_date(now))?;
            rights::check(actor, Action::Reply, t.assignee.as_ref().map(|o| &o.agent))?;
            let waiting = notices_in(tx, t.id, true)?;
            if waiting.is_empty() {
                return Err(Error::Invalid(crate::msg!(
                    "error.mail.nothing_to_inform",
                    number = &t.number
                )));
            }
            for n in &waiting {
                tx.prepare_cached(
                    "UPDATE outbox SET state = 'informed', done_at = ?2, last_error = ?3,
                        lease = NULL WHERE id = ?1",
                )?
                .execute(params![n.id, now, how])?;
                record(tx, actor, n, NoticeState::Informed, &how, now)?;
            }
            tx.execute(
                "UPDATE tickets SET updated_at = ?1 WHERE id = ?2",
                params![now, t.id],
            )?;
            Ok((t.number, waiting.len()))
        });
        r.map_err(|e| self.map_db(e))
    }

    /// One notice with its whole text, for `desk mail show`.
    pub fn notice_text(&self, id: i64) -> Result<Option<NoticeText>> {
        let run = || -> rusqlite::Result<Option<NoticeText>> {
            let Some(notice) = notice_by_id(&self.conn, id)? else {
                return Ok(None);
            };
            let (body, in_reply_to, refs): (String, Option<String>, String) = self.conn.query_row(
                "SELECT body, in_reply_to, refs FROM outbox WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            Ok(Some(NoticeText {
                notice,
                body,
                in_reply_to,
                references: refs.split_whitespace().map(str::to_string).collect(),
            }))
        };
        run().map_err(|e| self.err(e))
    }

    /// A ticket's notices, oldest first.
    pub fn notices(&self, ticket_id: i64) -> Result<Vec<Notice>> {
        notices_in(&self.conn, ticket_id, false).map_err(|e| self.err(e))
    }

    /// Notices as `desk mail list` shows them, newest first, and how many match in all.
    pub fn list_notices(&self, f: &NoticeFilter) -> Result<(Vec<Notice>, i64)> {
        let run = || -> rusqlite::Result<(Vec<Notice>, i64)> {
            // The states are the outbox's own words ([a-z]), safe to write into the SQL.
            let states: Vec<String> = f
                .states
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            let filter = format!(
                "{} AND (CAST(?1 AS BIGINT) IS NULL OR o.ticket_id = ?1)",
                if states.is_empty() {
                    "TRUE".to_string()
                } else {
                    format!("o.state IN ({})", states.join(", "))
                }
            );
            let total: i64 = self.conn.query_row(
                &format!("SELECT count(*) FROM outbox o WHERE {filter}"),
                params![f.ticket],
                |r| r.get(0),
            )?;
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {NOTICE_COLS} FROM outbox o JOIN tickets t ON t.id = o.ticket_id
                 WHERE {filter} ORDER BY o.id DESC LIMIT ?2"
            ))?;
            let rows = stmt
                .query_map(
                    params![f.ticket, f.limit.min(i64::MAX as usize) as i64],
                    notice_row,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((rows, total))
        };
        run().map_err(|e| self.err(e))
    }

    /// How many tickets have a requester still to be told another way.
    pub fn tickets_to_inform(&self) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT count(DISTINCT ticket_id) FROM outbox
                 WHERE state IN ('failed', 'manual') AND kind <> 'alert'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }
}

/// A ticket's notices (with `waiting`: only those the operator must give another way).
fn notices_in(conn: &Connection, ticket_id: i64, waiting: bool) -> rusqlite::Result<Vec<Notice>> {
    let sql = format!(
        "SELECT {NOTICE_COLS} FROM outbox o JOIN tickets t ON t.id = o.ticket_id
         WHERE o.ticket_id = ?1 {} ORDER BY o.id",
        if waiting {
            "AND o.state IN ('failed', 'manual') AND o.kind <> 'alert'"
        } else {
            ""
        }
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([ticket_id], notice_row)?;
    rows.collect()
}

/// The notice sent with this Message-ID, if the desk sent it: its id and ticket.
pub(crate) fn by_message_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<Notice>> {
    let nid: Option<i64> = conn
        .prepare_cached("SELECT id FROM outbox WHERE message_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    match nid {
        Some(n) => notice_by_id(conn, n),
        None => Ok(None),
    }
}

/// `desk check`'s part: tickets without an access code, and notices in a state their fields
/// contradict (one to deliver without an address, one delivered or given up without a time).
pub(crate) fn check(conn: &Connection) -> rusqlite::Result<Vec<super::check::Violation>> {
    let mut found = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT t.number, NULL, NULL FROM tickets t
         WHERE NOT EXISTS (SELECT 1 FROM requester r WHERE r.ticket_id = t.id)
         UNION ALL
         SELECT t.number, o.id, o.state
         FROM outbox o JOIN tickets t ON t.id = o.ticket_id
         WHERE (o.state = 'pending' AND o.recipient IS NULL)
            OR (o.state IN ('sent', 'failed', 'informed', 'withdrawn') AND o.done_at IS NULL)",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?,
            r.get::<_, Option<String>>(2)?,
        ))
    })?;
    for row in rows {
        let (number, id, state) = row?;
        let message = match (id, state) {
            (Some(id), Some(state)) if state == "pending" => {
                crate::msg!("check.notice_no_address", id = id)
            }
            (Some(id), Some(state)) => crate::msg!(
                "check.notice_no_time",
                id = id,
                state = crate::core::message::id("notice.state", state)
            ),
            _ => crate::msg!("check.no_access_code"),
        };
        found.push(super::check::Violation::message(Some(number), message));
    }
    Ok(found)
}
