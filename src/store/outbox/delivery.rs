//! Delivery's side of the outbox: a sender takes the notices that are due (taking over those
//! of a sender that died), and records what each attempt gave: sent, tried again later with
//! backoff, or failed for good.

use super::*;

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Worth trying again later (a 4xx answer, no connection).
    Temporary(String),
    /// Will never work (a 5xx answer, a bad address).
    Permanent(String),
}

/// What recording an attempt decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Sent,
    /// Tried again at this time.
    Retry(i64),
    Failed,
    /// The notice was no longer being delivered by us (withdrawn meanwhile, or taken over).
    Gone,
}

impl Store {
    /// Takes up to `limit` notices due for delivery for the sender `lease` (`pid:start`),
    /// leaving out those in `skip` (tried already in this run). A notice held by another
    /// sender is left alone unless `alive` says that sender is gone (killed mid-way): then it
    /// is taken over, and sent again with its Message-ID.
    pub fn claim_notices(
        &mut self,
        actor: &Actor,
        lease: &str,
        alive: &dyn Fn(&str) -> bool,
        skip: &std::collections::HashSet<i64>,
        limit: usize,
        now: i64,
    ) -> Result<Vec<Outgoing>> {
        rights::check(actor, Action::Deliver, None)?;
        let r = self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "SELECT o.id, o.lease FROM outbox o WHERE o.state = 'pending' AND o.next_at <= ?1
                 ORDER BY o.next_at, o.id LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![now, (limit * 4 + skip.len() + 16) as i64], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut ids = Vec::new();
            for (id, held) in rows {
                if ids.len() == limit {
                    break;
                }
                match held {
                    _ if skip.contains(&id) => continue,
                    Some(h) if h != lease && alive(&h) => continue,
                    _ => ids.push(id),
                }
            }
            let mut out = Vec::with_capacity(ids.len());
            let mut take = tx.prepare_cached("UPDATE outbox SET lease = ?2 WHERE id = ?1")?;
            let mut read = tx.prepare_cached(
                "SELECT o.id, t.number, o.kind, o.recipient,
                        CASE WHEN o.kind = 'alert' THEN '' ELSE t.requester END, o.language,
                        o.message_id, o.in_reply_to, o.refs, o.subject, o.body, o.automatic,
                        o.created_at, o.attempts
                 FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE o.id = ?1",
            )?;
            for id in ids {
                take.execute(params![id, lease])?;
                out.push(read.query_row([id], |r| {
                    let refs: String = r.get(8)?;
                    Ok(Outgoing {
                        id: r.get(0)?,
                        number: r.get(1)?,
                        kind: parse(r, 2)?,
                        recipient: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                        requester: r.get(4)?,
                        language: r.get(5)?,
                        message_id: r.get(6)?,
                        in_reply_to: r.get(7)?,
                        references: refs.split_whitespace().map(str::to_string).collect(),
                        subject: r.get(9)?,
                        body: r.get(10)?,
                        automatic: r.get(11)?,
                        created_at: r.get(12)?,
                        attempts: r.get(13)?,
                    })
                })?);
            }
            Ok(out)
        });
        r.map_err(|e| self.map_db(e))
    }

    /// Records what one delivery attempt did. A temporary failure is tried again with backoff
    /// until `[mail] give_up` has passed since the notice was written; then, like a permanent
    /// failure, it fails for good and the ticket shows it.
    pub fn record_delivery(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        id: i64,
        lease: &str,
        result: &Delivery,
        now: i64,
    ) -> Result<Recorded> {
        rights::check(actor, Action::Deliver, None)?;
        let r = self.write(|tx| {
            let held: Option<(String, Option<String>)> = tx
                .prepare_cached("SELECT state, lease FROM outbox WHERE id = ?1")?
                .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let ours = matches!(&held, Some((s, Some(l))) if s == "pending" && l == lease);
            let Some(n) = notice_by_id(tx, id)? else {
                return Ok(Recorded::Gone);
            };
            // Withdrawn, or taken over by another sender that believed us gone: a notice
            // that did leave is still recorded, once.
            let left = matches!(n.state, NoticeState::Pending | NoticeState::Withdrawn);
            if !(ours || (*result == Delivery::Sent && left)) {
                return Ok(Recorded::Gone);
            }
            match result {
                Delivery::Sent => {
                    tx.prepare_cached(
                        "UPDATE outbox SET state = 'sent', done_at = ?2, lease = NULL,
                            attempts = attempts + 1, last_error = NULL WHERE id = ?1",
                    )?
                    .execute(params![id, now])?;
                    record(
                        tx,
                        actor,
                        &n,
                        NoticeState::Sent,
                        n.recipient.as_deref().unwrap_or(""),
                        now,
                    )?;
                    Ok(Recorded::Sent)
                }
                Delivery::Temporary(e) if now - n.created_at < cfg.mail.give_up => {
                    let next = notice::retry_at(now, n.attempts + 1, cfg.mail.retry);
                    tx.prepare_cached(
                        "UPDATE outbox SET attempts = attempts + 1, next_at = ?2, last_error = ?3,
                            lease = NULL WHERE id = ?1",
                    )?
                    .execute(params![id, next, e])?;
                    Ok(Recorded::Retry(next))
                }
                Delivery::Temporary(e) => {
                    tx.execute(
                        "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?1",
                        [id],
                    )?;
                    let why = notice::Note::GaveUp {
                        hours: (now - n.created_at) / 3600,
                        error: e.clone(),
                    };
                    fail(tx, actor, &n, &why, now)?;
                    Ok(Recorded::Failed)
                }
                Delivery::Permanent(e) => {
                    tx.execute(
                        "UPDATE outbox SET attempts = attempts + 1 WHERE id = ?1",
                        [id],
                    )?;
                    fail(tx, actor, &n, &notice::Note::Text(e.clone()), now)?;
                    Ok(Recorded::Failed)
                }
            }
        });
        r.map_err(|e| self.map_db(e))
    }
}
