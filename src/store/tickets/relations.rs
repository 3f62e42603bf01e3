//! Duplicates and related requests: merging a duplicate into the ticket it repeats (closed
//! `invalid` with "duplicate of TARGET", its request shown with the target), linking tickets,
//! what a ticket's case file holds besides its own history, and the open tickets that look
//! like a request about to be registered.

use super::*;
use crate::core::config::Config;
use crate::core::merge::{self, Likeness, LinkKind, Side};
use crate::core::model::{Actor, Channel, EventKind, StatusCategory, limits};
use crate::error::Result;
use crate::store::db::{Connection, OptionalExtension, params};

/// A ticket linked to another one, as the other one shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkInfo {
    /// What the linked ticket is to this one: "related", "parent" or "child".
    pub role: &'static str,
    pub number: String,
    pub subject: String,
    pub status: String,
}

/// A duplicate merged into a ticket: the requester's request, shown with the ticket it
/// repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedRequest {
    pub number: String,
    pub subject: String,
    pub requester: String,
    pub contact: String,
    pub channel: Channel,
    pub body: String,
    pub created_at: i64,
}

/// What a ticket's case holds besides its own fields and history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFile {
    /// The ticket this one was merged into (its number).
    pub merged_into: Option<String>,
    /// Duplicates merged into this ticket, oldest first.
    pub merged: Vec<MergedRequest>,
    pub links: Vec<LinkInfo>,
    /// Its attached files.
    pub attachments: Vec<super::Attachment>,
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub duplicate: String,
    pub target: String,
    /// The status the duplicate was closed in.
    pub status: String,
}

/// An open ticket that looks like a request being registered, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Likely {
    pub number: String,
    pub subject: String,
    pub requester: String,
    pub status: String,
    pub created_at: i64,
    pub why: Likeness,
}

fn side(conn: &Connection, t: &Ticket) -> rusqlite::Result<Side> {
    Ok(Side {
        number: t.number.clone(),
        state: t.state(),
        merged_into: number_of(conn, t.merged_into)?,
    })
}

fn number_of(conn: &Connection, id: Option<i64>) -> rusqlite::Result<Option<String>> {
    match id {
        Some(id) => conn
            .prepare_cached("SELECT number FROM tickets WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional(),
        None => Ok(None),
    }
}

/// The link between two tickets, whichever way it was stored: (a, b, kind).
fn link_between(conn: &Connection, x: i64, y: i64) -> rusqlite::Result<Option<(i64, i64, String)>> {
    conn.prepare_cached(
        "SELECT a, b, kind FROM links WHERE (a = ?1 AND b = ?2) OR (a = ?2 AND b = ?1)",
    )?
    .query_row([x, y], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
    .optional()
}

/// What `other` is to `this` under a stored link (a, b, kind): related, or the parent (a) and
/// its part (b).
fn role(this: i64, a: i64, kind: &str) -> &'static str {
    match kind {
        "parent" if this == a => "child",
        "parent" => "parent",
        _ => "related",
    }
}

impl Store {
    /// Closes `duplicate` as a duplicate of `target` in one transaction: the duplicate moves
    /// to the lifecycle's closing status with the outcome `invalid` and the note "duplicate
    /// of TARGET" (and the reason), and points at the target, so its number leads there from
    /// now on; the target's history records the duplicate, whose request is shown with it.
    #[allow(clippy::too_many_arguments)]
    pub fn merge(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        duplicate: &str,
        target: &str,
        reason: Option<&str>,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Merged> {
        let reason = reason
            .map(|r| text_arg("reason", r.trim(), limits::NOTE_BYTES, false))
            .transpose()?;
        self.write(|tx| {
            let today = local_date(now);
            let d = read::find_exact_in(tx, cfg, duplicate, today)?;
            if let Some(v) = expected_version
                && v != d.version
            {
                return Err(crate::core::refusal::Refusal::Stale {
                    by: d.updated_by.clone().unwrap_or_else(|| "desk".into()),
                    at: local_time(d.updated_at),
                }
                .into());
            }
            let t = read::find_exact_in(tx, cfg, target, today)?;
            let m = merge::check(
                &cfg.lifecycle,
                &side(tx, &d)?,
                &side(tx, &t)?,
                actor,
                reason.as_deref(),
            )?;
            let closed = cfg.lifecycle.category(&m.status) == Some(StatusCategory::Closed);
            tx.prepare_cached(
                "UPDATE tickets SET status = ?1, is_open = 0, outcome = ?2, reason = ?3, answer = NULL,
                    merged_into = ?4, resolved_at = ?5, closed_at = CASE WHEN ?6 THEN ?5 ELSE closed_at END,
                    updated_at = ?5, updated_by = ?7, version = version + 1
                 WHERE id = ?8",
            )?
            .execute(params![
                m.status,
                m.outcome.as_str(),
                m.note,
                t.id,
                now,
                closed,
                actor.id(),
                d.id
            ])?;
            let h = History::new(tx, d.id, &d.number, now, Some(actor));
            h.record(EventKind::Status, Some(&d.status), Some(&m.status), Some(&m.note))?;
            h.record(
                EventKind::Outcome,
                d.outcome.map(|o| o.as_str()),
                Some(m.outcome.as_str()),
                Some(&m.note),
            )?;
            h.record(EventKind::Merged, None, Some(&t.number), reason.as_deref())?;
            History::new(tx, t.id, &t.number, now, Some(actor)).record(
                EventKind::Merged,
                Some(&d.number),
                None,
                reason.as_deref(),
            )?;
            tx.prepare_cached("UPDATE tickets SET updated_at = ?1 WHERE id = ?2")?
                .execute(params![now, t.id])?;
            // The duplicate's requester learns the number their request continues as.
            crate::store::outbox::on_merged(tx, cfg, d.id, m.outcome, &m.note, &t.number, now)?;
            crate::store::sla::refresh(tx, cfg, d.id, now)?;
            crate::store::sla::refresh(tx, cfg, t.id, now)?;
            Ok(Merged {
                duplicate: d.number,
                target: t.number,
                status: m.status,
            })
        })
    }

    /// Links two tickets: as related, or `a` as the parent of `b`. Each ticket's history says
    /// so. Returns both numbers (as stored).
    pub fn link(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        a: &str,
        b: &str,
        kind: LinkKind,
        now: i64,
    ) -> Result<(String, String)> {
        self.write(|tx| {
            let (x, y) = Self::pair(tx, cfg, actor, a, b, now)?;
            if let Some((p, _, k)) = link_between(tx, x.id, y.id)? {
                return Err(crate::core::refusal::Refusal::AlreadyLinked {
                    other: y.number.clone(),
                    role: role(x.id, p, &k),
                }
                .into());
            }
            let (first, second) = match kind {
                LinkKind::Parent => (x.id, y.id),
                LinkKind::Related => (x.id.min(y.id), x.id.max(y.id)),
            };
            tx.prepare_cached(
                "INSERT INTO links (a, b, kind, created_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![first, second, kind.as_str(), now])?;
            for (this, other) in [(&x, &y), (&y, &x)] {
                History::new(tx, this.id, &this.number, now, Some(actor)).record(
                    EventKind::Linked,
                    None,
                    Some(&other.number),
                    Some(role(this.id, first, kind.as_str())),
                )?;
            }
            Ok((x.number, y.number))
        })
    }

    /// Removes the link between two tickets, whichever way it goes; both histories say so.
    pub fn unlink(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        a: &str,
        b: &str,
        now: i64,
    ) -> Result<(String, String)> {
        self.write(|tx| {
            let (x, y) = Self::pair(tx, cfg, actor, a, b, now)?;
            let Some((p, q, kind)) = link_between(tx, x.id, y.id)? else {
                return Err(crate::core::refusal::Refusal::NotLinked {
                    other: y.number.clone(),
                }
                .into());
            };
            tx.prepare_cached("DELETE FROM links WHERE a = ?1 AND b = ?2")?
                .execute(params![p, q])?;
            for (this, other) in [(&x, &y), (&y, &x)] {
                History::new(tx, this.id, &this.number, now, Some(actor)).record(
                    EventKind::Unlinked,
                    Some(&other.number),
                    None,
                    Some(role(this.id, p, &kind)),
                )?;
            }
            Ok((x.number, y.number))
        })
    }

    /// The two tickets a link is about, once the actor may link them.
    fn pair(
        tx: &Connection,
        cfg: &Config,
        actor: &Actor,
        a: &str,
        b: &str,
        now: i64,
    ) -> Result<(Ticket, Ticket)> {
        let x = find_in(tx, cfg, a, local_date(now))?;
        let y = find_in(tx, cfg, b, local_date(now))?;
        merge::check_link(actor, &x.number, &y.number)?;
        Ok((x, y))
    }

    /// What a ticket's case holds besides its own history: the ticket it was merged into,
    /// the duplicates merged into it (with their requests), and its links.
    pub fn case_file(&self, t: &Ticket) -> Result<CaseFile> {
        let run = || -> rusqlite::Result<CaseFile> {
            let c = &self.conn;
            let merged_into = number_of(c, t.merged_into)?;
            let mut stmt = c.prepare_cached(
                "SELECT number, subject, requester, contact, channel, body, created_at
                 FROM tickets WHERE merged_into = ?1 ORDER BY id",
            )?;
            let merged = stmt
                .query_map([t.id], |r| {
                    Ok(MergedRequest {
                        number: r.get(0)?,
                        subject: r.get(1)?,
                        requester: r.get(2)?,
                        contact: r.get(3)?,
                        channel: parse_col(r, 4)?,
                        body: r.get(5)?,
                        created_at: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut stmt = c.prepare_cached(
                "SELECT l.a, l.kind, o.number, o.subject, o.status
                 FROM links l JOIN tickets o ON o.id = CASE WHEN l.a = ?1 THEN l.b ELSE l.a END
                 WHERE l.a = ?1 OR l.b = ?1 ORDER BY o.id",
            )?;
            let links = stmt
                .query_map([t.id], |r| {
                    let a: i64 = r.get(0)?;
                    let kind: String = r.get(1)?;
                    Ok(LinkInfo {
                        role: role(t.id, a, &kind),
                        number: r.get(2)?,
                        subject: r.get(3)?,
                        status: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(CaseFile {
                merged_into,
                merged,
                links,
                attachments: Vec::new(),
            })
        };
        let mut case = run().map_err(|e| self.err(e))?;
        case.attachments = self.attachments(t.id)?;
        Ok(case)
    }

    /// Open tickets of the last 30 days that look like a request with this subject and
    /// contact: the same contact first, then the most significant words shared, then the
    /// newest; at most `limit`.
    pub fn likely_duplicates(
        &self,
        subject: &str,
        contact: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<Likely>> {
        let words = merge::significant_words(subject);
        let key = merge::contact_key(contact);
        if words.is_empty() && key.is_none() {
            return Ok(Vec::new());
        }
        let run = || -> rusqlite::Result<Vec<Likely>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT number, subject, requester, contact, status, created_at FROM tickets
                 WHERE created_at >= ?1 AND +is_open = 1 ORDER BY created_at DESC",
            )?;
            let mut rows = stmt.query([now - merge::DUPLICATE_WINDOW])?;
            // Only the best few are kept as the open tickets are read newest first, and the
            // reading stops once no older one could be among them (issue 17: a flood of
            // look-alike requests made every registration build and sort them all). Read
            // through the registration date's index (`+is_open`: not the open tickets' of
            // any age, sorted before the first could be looked at).
            let mut best = merge::Likeliest::new(limit, words.len(), key.is_some());
            while let Some(r) = rows.next()? {
                if best.settled() {
                    break;
                }
                let subject: String = r.get(1)?;
                let contact: String = r.get(3)?;
                let Some(why) = merge::likeness(&words, key.as_deref(), &subject, &contact) else {
                    continue;
                };
                if best.wants(&why) {
                    let likely = Likely {
                        number: r.get(0)?,
                        subject,
                        requester: r.get(2)?,
                        status: r.get(4)?,
                        created_at: r.get(5)?,
                        why: why.clone(),
                    };
                    best.offer(&why, likely);
                }
            }
            Ok(best.into_vec())
        };
        run().map_err(|e| self.err(e))
    }
}
