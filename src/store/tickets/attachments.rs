//! Files attached to tickets, kept in the database by content (SHA-256): each content once in
//! `blobs`, each file of a ticket in `attachments` with its safe name, and an `attached` event
//! carrying its hash into the history's hash chain. Nothing here runs or opens a file.

use super::*;
use crate::core::attach::{self, TooBig};
use crate::core::config::Config;
use crate::core::model::{Actor, EventKind};
use crate::core::rights::{self, Action};
use crate::error::{Error, Message, Result};
use crate::store::db::{Connection, OptionalExtension, params};

/// A file attached to a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    /// SHA-256 of the content, lower-case hex.
    pub hash: String,
    pub size: i64,
    pub added_at: i64,
    /// The agent who attached it (None: the desk itself).
    pub added_by: Option<String>,
}

/// A file to attach: the name it came with (made safe when stored) and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub name: String,
    pub data: Vec<u8>,
}

/// The `attached` event's text: the content's hash and size, so the hash chain holds them.
pub(crate) fn event_text(hash: &str, size: i64) -> String {
    format!("sha256:{hash} {size}")
}

pub(crate) fn names_and_total(
    conn: &Connection,
    ticket: i64,
) -> rusqlite::Result<(Vec<String>, u64)> {
    let mut stmt =
        conn.prepare_cached("SELECT name, size FROM attachments WHERE ticket_id = ?1")?;
    let rows = stmt.query_map([ticket], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut names = Vec::new();
    let mut total = 0u64;
    for r in rows {
        let (n, s) = r?;
        names.push(n);
        total = total.saturating_add(s.max(0) as u64);
    }
    Ok((names, total))
}

fn too_big(name: &str, e: TooBig) -> Error {
    let (key, args) = match e {
        TooBig::File { size, limit } => (
            "attach.too_big",
            vec![
                ("name", name.to_string()),
                ("size", attach::human_size(size)),
                ("limit", attach::human_size(limit)),
            ],
        ),
        TooBig::Ticket { total, limit } => (
            "attach.ticket_full",
            vec![
                ("name", name.to_string()),
                ("total", attach::human_size(total)),
                ("limit", attach::human_size(limit)),
            ],
        ),
    };
    Error::Invalid(Message::text(key, args))
}

/// Attaches files to a ticket inside the caller's transaction (intake of a mail message keeps
/// its files this way, in the transaction that records the message): each stored under a safe
/// name not yet used on the ticket, its content once by hash, one `attached` event each by
/// `actor` (None: the desk itself). Checks the sizes against `[attachments]`; the caller
/// checks the right to attach.
pub(crate) fn attach_in(
    tx: &Connection,
    cfg: &Config,
    actor: Option<&Actor>,
    ticket: (i64, &str),
    files: &[NewFile],
    now: i64,
) -> Result<Vec<Attachment>> {
    let (id, number) = ticket;
    let (mut names, mut total) = names_and_total(tx, id)?;
    let h = History::new(tx, id, number, now, actor);
    let mut out = Vec::new();
    for f in files {
        let name = attach::unique_name(&attach::safe_name(&f.name), &names);
        let size = f.data.len() as u64;
        attach::check_size(&cfg.attachments, size, total).map_err(|e| too_big(&name, e))?;
        let hash = attach::hash(&f.data);
        tx.prepare_cached(
            "INSERT INTO blobs (hash, size, data) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?
        .execute(params![hash, size as i64, f.data])?;
        tx.prepare_cached(
            "INSERT INTO attachments (ticket_id, name, hash, size, added_at, added_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            id,
            name,
            hash,
            size as i64,
            now,
            actor.map(|a| a.id())
        ])?;
        h.record(
            EventKind::Attached,
            None,
            Some(&name),
            Some(&event_text(&hash, size as i64)),
        )?;
        total += size;
        names.push(name.clone());
        out.push(Attachment {
            name,
            hash,
            size: size as i64,
            added_at: now,
            added_by: actor.map(|a| a.agent.login.clone()),
        });
    }
    tx.prepare_cached("UPDATE tickets SET updated_at = ?1 WHERE id = ?2")?
        .execute(params![now, id])?;
    Ok(out)
}

fn attachment_row(r: &crate::store::db::Row<'_>) -> rusqlite::Result<Attachment> {
    Ok(Attachment {
        name: r.get(0)?,
        hash: r.get(1)?,
        size: r.get(2)?,
        added_at: r.get(3)?,
        added_by: r.get(4)?,
    })
}

const ATTACHMENT_COLS: &str = "x.name, x.hash, x.size, x.added_at, a.login";

impl Store {
    /// Attaches files to a ticket, all of them or none, in one transaction. Anyone who may
    /// add a note may attach (any ticket).
    pub fn attach(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        files: &[NewFile],
        now: i64,
    ) -> Result<(String, Vec<Attachment>)> {
        rights::check(actor, Action::Attach, None)?;
        self.write(|tx| {
            let t = find_in(tx, cfg, number, local_date(now))?;
            let added = attach_in(tx, cfg, Some(actor), (t.id, &t.number), files, now)?;
            Ok((t.number, added))
        })
    }

    /// A ticket's files, in the order they were attached.
    pub fn attachments(&self, ticket: i64) -> Result<Vec<Attachment>> {
        let run = || -> rusqlite::Result<Vec<Attachment>> {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT {ATTACHMENT_COLS} FROM attachments x LEFT JOIN agents a ON a.id = x.added_by
                 WHERE x.ticket_id = ?1 ORDER BY x.id"
            ))?;
            let rows = stmt.query_map([ticket], attachment_row)?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// One of a ticket's files and its content, by its name (exactly, else ignoring case when
    /// that names one file).
    pub fn attachment(&self, ticket: &Ticket, name: &str) -> Result<(Attachment, Vec<u8>)> {
        let all = self.attachments(ticket.id)?;
        let wanted = name.trim();
        let lower = wanted.to_lowercase();
        let found = all.iter().find(|a| a.name == wanted).or_else(|| {
            let same: Vec<&Attachment> = all
                .iter()
                .filter(|a| a.name.to_lowercase() == lower)
                .collect();
            (same.len() == 1).then(|| same[0])
        });
        let Some(a) = found else {
            let names = if all.is_empty() {
                crate::msg!("attach.has_none")
            } else {
                let names: Vec<&str> = all.iter().map(|a| a.name.as_str()).collect();
                crate::msg!("attach.its_files", names = names.join(", "))
            };
            return Err(Error::NotFound(crate::msg!(
                "attach.no_such_file",
                number = &ticket.number,
                name = crate::core::sanitize::clean_line(wanted).into_owned(),
                names = names
            )));
        };
        let data: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT data FROM blobs WHERE hash = ?1")
            .and_then(|mut s| s.query_row([&a.hash], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))?;
        let data = data.ok_or_else(|| {
            Error::Database(crate::msg!("attach.content_missing", name = &a.name))
        })?;
        if attach::hash(&data) != a.hash {
            return Err(Error::Database(crate::msg!(
                "attach.content_damaged",
                name = &a.name
            )));
        }
        Ok((a.clone(), data))
    }
}
