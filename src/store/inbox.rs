//! Mail in, recorded (DESIGN §9): one message, one transaction. A message joins an existing
//! ticket as the requester's message only when it answers a Message-ID the desk sent for that
//! ticket or quotes that ticket's access code — a number in the subject proves nothing, since
//! numbers are readable and guessable — and a ticket waiting for the requester then resumes.
//! Any other message registers a new ticket (channel e-mail, routed like any request, its
//! Message-ID the reference), noted as possibly related to the tickets it names. A bounce of
//! one of the desk's notices marks that notice failed, on the ticket. Every message is kept in
//! `inbox` by Message-ID, so a re-delivered one changes nothing.

use super::Store;
use super::outbox;
use super::tickets::attachments::{NewFile, attach_in, names_and_total};
use super::tickets::{History, Intake, NewTicket, find_in, intake_in, local_date};
use crate::core::attach::{self, TooBig};
use crate::core::config::Config;
use crate::core::mail::inbound::{Automatic, Inbound};
use crate::core::model::{
    Actor, Channel, EventKind, NoticeKind, NoticeState, StatusCategory, limits,
};
use crate::core::numbering;
use crate::core::rights::{self, Action};
use crate::error::Result;
use crate::store::db::{Connection, OptionalExtension, params};

/// What mail in did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Registered as a new ticket. `automatic`: a program sent it, so no acknowledgement.
    New {
        number: String,
        automatic: bool,
        /// Existing tickets the message names (not joined: a number alone proves nothing).
        related: Vec<String>,
    },
    /// Added to an existing ticket as the requester's message.
    Joined {
        number: String,
        /// The status the ticket resumed to, when it was waiting for the requester.
        resumed: Option<String>,
        automatic: bool,
    },
    /// A bounce: these tickets' notices did not reach their requesters.
    Bounce { numbers: Vec<String> },
    /// One of the desk's own messages came back in: nothing is done.
    Loop,
    /// Seen before (a re-delivery): nothing is done again.
    Again { number: Option<String> },
}

/// A file of a message the desk could not keep: over `[attachments] max_bytes`, or past what
/// the ticket's files may come to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotKept {
    pub name: String,
    pub why: TooBig,
}

/// A message's files: those its ticket takes, and those it cannot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files {
    pub kept: Vec<NewFile>,
    pub not_kept: Vec<NotKept>,
}

/// The files of a message a ticket can take, in order, given the bytes its files already
/// take; and those it cannot.
fn fitting(cfg: &Config, m: &Inbound, mut total: u64) -> Files {
    let (mut kept, mut not) = (Vec::new(), Vec::new());
    for a in &m.attachments {
        let size = a.data.len() as u64;
        match attach::check_size(&cfg.attachments, size, total) {
            Ok(()) => {
                total += size;
                kept.push(NewFile {
                    name: a.name.clone(),
                    data: a.data.clone(),
                });
            }
            Err(why) => not.push(NotKept {
                name: attach::safe_name(&a.name),
                why,
            }),
        }
    }
    Files {
        kept,
        not_kept: not,
    }
}

/// Tokens of a text that could be ticket numbers, at most `limit`: words holding at least
/// four digits, as people write numbers ("HSG-2611-00042-7", "hsg2611000427").
fn number_like(text: &str, limit: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in text.split(|c: char| !(c.is_alphanumeric() || c == '-')) {
        let w = w.trim_matches('-');
        if (6..=40).contains(&w.len()) && w.chars().filter(char::is_ascii_digit).count() >= 4 {
            let key = numbering::normalize(w);
            if !key.is_empty() && !out.contains(&key) {
                out.push(key);
                if out.len() == limit {
                    break;
                }
            }
        }
    }
    out
}

/// Existing tickets (other than `except`) a message names by number.
fn related(conn: &Connection, m: &Inbound, except: i64) -> rusqlite::Result<Vec<String>> {
    let mut found: Vec<String> = Vec::new();
    let mut stmt = conn.prepare_cached("SELECT id, number FROM tickets WHERE number_key = ?1")?;
    let keys = number_like(&format!("{}\n{}", m.subject, m.text), 30);
    for key in keys {
        if let Some((id, number)) = stmt
            .query_row([&key], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?
            && id != except
            && !found.contains(&number)
        {
            found.push(number);
        }
    }
    Ok(found)
}

fn remember(
    conn: &Connection,
    m: &Inbound,
    ticket: Option<i64>,
    disposition: &str,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO inbox (message_id, ticket_id, received_at, sender, disposition)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![m.message_id, ticket, now, m.from, disposition])?;
    Ok(())
}

/// The ticket a message belongs to: the one whose notice it answers, else the one whose
/// access code it quotes.
fn ticket_of(conn: &Connection, m: &Inbound) -> rusqlite::Result<Option<i64>> {
    for id in &m.answers {
        // An answer to an alert mailed to a supervisor is not the requester's.
        if let Some(n) = outbox::by_message_id(conn, id)?.filter(|n| n.kind != NoticeKind::Alert) {
            return Ok(Some(n.ticket_id));
        }
    }
    for code in &m.codes {
        if let Some(t) = super::requester::ticket_of_code(conn, code)? {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

/// The status a waiting ticket waited from: where the move into its current status came from.
fn came_from(conn: &Connection, ticket: i64, status: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT from_value FROM events WHERE ticket_id = ?1 AND kind = 'status' AND to_value = ?2
         ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![ticket, status], |r| r.get(0))
    .optional()
    .map(Option::flatten)
}

impl Store {
    /// Records one incoming message (see the module's text), its files attached to the ticket
    /// it joins or registers, in one transaction. `text` makes what the ticket keeps of it:
    /// its words with the notes mail in adds (files, those not kept, size, a program's
    /// message), within the desk's limits.
    pub fn receive(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        m: &Inbound,
        text: &dyn Fn(&Files) -> String,
        now: i64,
    ) -> Result<Received> {
        rights::check(actor, Action::Create, None)?;
        rights::check(actor, Action::Comment, None)?;
        let r = self.write(|tx| {
            if let Some(again) = seen(tx, m)? {
                return Ok(again);
            }
            let ours = cfg.mail.from.as_ref().map(|f| f.address.as_str());
            if outbox::by_message_id(tx, &m.message_id)?.is_some()
                || (m.from.is_some() && m.from.as_deref() == ours)
            {
                remember(tx, m, None, "loop", now)?;
                return Ok(Received::Loop);
            }
            if let Some(bounce) = bounce(tx, actor, m, now)? {
                return Ok(bounce);
            }
            match ticket_of(tx, m)? {
                Some(id) => join(tx, cfg, actor, m, id, text, now),
                None => register(tx, cfg, actor, m, text, now),
            }
        });
        r.map_err(|e| self.map_db(e))
    }
}

/// A message already recorded (a re-delivery): what it was, with the ticket it went to.
fn seen(tx: &Connection, m: &Inbound) -> Result<Option<Received>> {
    let seen: Option<Option<i64>> = tx
        .prepare_cached("SELECT ticket_id FROM inbox WHERE message_id = ?1")?
        .query_row([&m.message_id], |r| r.get(0))
        .optional()?;
    let Some(ticket) = seen else {
        return Ok(None);
    };
    let number = match ticket {
        Some(id) => Some(
            tx.query_row("SELECT number FROM tickets WHERE id = ?1", [id], |r| {
                r.get(0)
            })?,
        ),
        None => None,
    };
    Ok(Some(Received::Again { number }))
}

/// A report of the mail system about the desk's own notices: each one returned is marked
/// failed on its ticket. None when the message is not one, or names none of the desk's.
fn bounce(tx: &Connection, actor: &Actor, m: &Inbound, now: i64) -> Result<Option<Received>> {
    if !matches!(
        m.automatic,
        Some(Automatic::Report | Automatic::Daemon(_) | Automatic::NullSender)
    ) {
        return Ok(None);
    }
    let mut numbers: Vec<String> = Vec::new();
    let mut first = None;
    for id in m.returned.iter().chain(&m.answers) {
        let Some(n) = outbox::by_message_id(tx, id)? else {
            continue;
        };
        first.get_or_insert(n.ticket_id);
        if matches!(n.state, NoticeState::Sent | NoticeState::Pending) {
            rights::check(actor, Action::Deliver, None)?;
            let why = crate::core::mail::notice::Note::Returned(m.diagnostic.clone());
            outbox::fail(tx, actor, &n, &why, now)?;
        }
        if !numbers.contains(&n.number) {
            numbers.push(n.number.clone());
        }
    }
    let Some(t) = first else {
        return Ok(None);
    };
    remember(tx, m, Some(t), "bounce", now)?;
    Ok(Some(Received::Bounce { numbers }))
}

/// The requester's message on their ticket `id`, its files attached; a ticket waiting for
/// them resumes (unless a program sent it).
fn join(
    tx: &Connection,
    cfg: &Config,
    actor: &Actor,
    m: &Inbound,
    id: i64,
    text: &dyn Fn(&Files) -> String,
    now: i64,
) -> Result<Received> {
    let automatic = m.automatic.is_some();
    let number: String = tx.query_row("SELECT number FROM tickets WHERE id = ?1", [id], |r| {
        r.get(0)
    })?;
    let t = find_in(tx, cfg, &number, local_date(now))?;
    let sender = m.from.clone().unwrap_or_else(|| m.from_name.clone());
    let files = fitting(cfg, m, names_and_total(tx, t.id)?.1);
    History::new(tx, t.id, &t.number, now, Some(actor)).record(
        EventKind::Message,
        Some(&sender),
        None,
        Some(&text(&files)),
    )?;
    if !files.kept.is_empty() {
        rights::check(actor, Action::Attach, None)?;
        attach_in(tx, cfg, Some(actor), (t.id, &t.number), &files.kept, now)?;
    }
    tx.execute(
        "UPDATE tickets SET updated_at = ?1, updated_by = ?2, version = version + 1
         WHERE id = ?3",
        params![now, actor.id(), t.id],
    )?;
    let mut resumed = None;
    let waiting = cfg.lifecycle.category(&t.status) == Some(StatusCategory::Waiting);
    if waiting && !automatic {
        let from = came_from(tx, t.id, &t.status)?;
        let reason = format!("the requester answered ({})", m.message_id);
        let mut now_t = t.clone();
        now_t.version += 1;
        if let Some(tr) = cfg.lifecycle.resume(&t.state(), from.as_deref(), &reason) {
            super::tickets::apply_move(tx, cfg, &now_t, &tr, actor, now)?;
            resumed = Some(tr.to);
        }
    }
    remember(tx, m, Some(t.id), "joined", now)?;
    Ok(Received::Joined {
        number: t.number,
        resumed,
        automatic,
    })
}

/// A new ticket from the message (channel e-mail, its Message-ID the reference), its files
/// attached, noted as possibly related to the tickets it names.
fn register(
    tx: &Connection,
    cfg: &Config,
    actor: &Actor,
    m: &Inbound,
    text: &dyn Fn(&Files) -> String,
    now: i64,
) -> Result<Received> {
    let automatic = m.automatic.is_some();
    let subject = if m.subject.trim().is_empty() {
        "(no subject)".to_string()
    } else {
        m.subject.clone()
    };
    let files = fitting(cfg, m, 0);
    let new = NewTicket {
        subject,
        body: text(&files),
        requester: m.from_name.clone(),
        contact: m.from.clone().unwrap_or_default(),
        channel: Channel::Email,
        category: None,
        group: None,
        priority: None,
        external_ref: Some(m.message_id.clone()),
        language: m.language.map(str::to_string),
    };
    let created = match intake_in(tx, cfg, actor, &new, !automatic, now)? {
        Intake::Created(c) => c,
        Intake::Existing(number) => {
            let id: i64 =
                tx.query_row("SELECT id FROM tickets WHERE number = ?1", [&number], |r| {
                    r.get(0)
                })?;
            remember(tx, m, Some(id), "ignored", now)?;
            return Ok(Received::Again {
                number: Some(number),
            });
        }
    };
    if !files.kept.is_empty() {
        rights::check(actor, Action::Attach, None)?;
        attach_in(
            tx,
            cfg,
            Some(actor),
            (created.id, &created.number),
            &files.kept,
            now,
        )?;
    }
    let related = related(tx, m, created.id)?;
    if !related.is_empty() {
        let note = format!(
            "possibly related to {} (named in the message; not joined to it: a number alone does not show the message is the requester's)",
            related.join(", ")
        );
        History::new(tx, created.id, &created.number, now, Some(actor)).record(
            EventKind::Comment,
            None,
            None,
            Some(&note),
        )?;
    }
    remember(tx, m, Some(created.id), "new", now)?;
    Ok(Received::New {
        number: created.number,
        automatic,
        related,
    })
}

/// The most a requester's message keeps of its text on a ticket.
pub const MESSAGE_BYTES: usize = limits::NOTE_BYTES;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_picked_from_text() {
        assert_eq!(
            number_like("Re: [HSG-2611-00042-7] heating; call 067 412", 10),
            vec!["HSG2611000427".to_string()]
        );
        assert_eq!(number_like("hsg2611000427 and 12345678", 10).len(), 2);
        assert!(number_like("no numbers here, 2026", 10).is_empty());
        let many: String = (0..100).map(|i| format!("N{i:06} ")).collect();
        assert_eq!(number_like(&many, 30).len(), 30);
    }
}
