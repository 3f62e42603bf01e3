//! Keeping each ticket's service-level figures: computed by core from the ticket's whole
//! history after every change, in the same transaction, and stored where queues and reports
//! can use them.

use super::Store;
use super::tickets::Ticket;
use crate::core::config::Config;
use crate::core::model::{EventKind, Priority};
use crate::core::sla::{self, ClockEvent, ClockKind, Sla};
use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, params};

/// A ticket's history as the clocks read it.
pub(crate) fn clock_events(conn: &Connection, ticket: i64) -> rusqlite::Result<Vec<ClockEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, kind, to_value, actor_id IS NOT NULL FROM events WHERE ticket_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([ticket], |r| {
        let kind: String = r.get(1)?;
        Ok((
            r.get::<_, i64>(0)?,
            kind,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, bool>(3)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, kind, to, by_agent) = row?;
        if let Ok(kind) = kind.parse::<EventKind>() {
            out.push(ClockEvent {
                at,
                kind,
                to,
                by_agent,
            });
        }
    }
    Ok(out)
}

/// Status seconds as stored: `status=seconds` pairs, `;`-separated (cheap to read back in
/// reports over a million tickets).
pub fn encode_status_secs(s: &Sla) -> String {
    s.status_secs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}

pub fn decode_status_secs(s: &str) -> impl Iterator<Item = (&str, i64)> {
    s.split(';').filter_map(|p| {
        let (k, v) = p.split_once('=')?;
        Some((k, v.parse().ok()?))
    })
}

/// Computes the clocks of one ticket from its history.
pub fn compute_for(
    cfg: &Config,
    events: &[ClockEvent],
    priority: Priority,
    category: &str,
    now: i64,
) -> Sla {
    let targets = cfg.sla.targets(priority, category);
    sla::compute(events, &cfg.lifecycle, &cfg.sla, targets, now)
}

/// The stored figures of one computation.
pub(crate) fn store_figures(conn: &Connection, ticket: i64, s: &Sla) -> rusqlite::Result<()> {
    let fr = s
        .clock(ClockKind::FirstResponse)
        .filter(|c| c.stopped_at.is_some())
        .map(|c| c.elapsed)
        .or_else(|| s.first_response_at.map(|_| 0));
    let res = s
        .clock(ClockKind::Resolution)
        .filter(|c| c.stopped_at.is_some())
        .map(|c| c.elapsed);
    conn.prepare_cached(
        "UPDATE tickets SET due_at = ?1, risk_at = ?2, first_response_at = ?3 WHERE id = ?4",
    )?
    .execute(params![s.due, s.risk_at, s.first_response_at, ticket])?;
    conn.prepare_cached(
        "INSERT INTO ticket_stats (ticket_id, first_response_secs, resolution_secs, status_secs, sla_state)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (ticket_id) DO UPDATE SET first_response_secs = excluded.first_response_secs,
            resolution_secs = excluded.resolution_secs, status_secs = excluded.status_secs,
            sla_state = excluded.sla_state",
    )?
    .execute(params![ticket, fr, res, encode_status_secs(s), s.state.as_str()])?;
    Ok(())
}

/// Recomputes one ticket's figures inside the caller's transaction.
pub(crate) fn refresh(
    conn: &Connection,
    cfg: &Config,
    ticket: i64,
    now: i64,
) -> rusqlite::Result<()> {
    let (priority, category): (i64, String) = conn
        .prepare_cached("SELECT priority, category FROM tickets WHERE id = ?1")?
        .query_row([ticket], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let events = clock_events(conn, ticket)?;
    let s = compute_for(
        cfg,
        &events,
        Priority::from_rank(priority).unwrap_or(Priority::Normal),
        &category,
        now,
    );
    store_figures(conn, ticket, &s)
}

const FINGERPRINT: &str = "sla_fingerprint";

impl Store {
    /// A ticket's clocks, explained (`desk sla`).
    pub fn sla_of(&self, cfg: &Config, ticket: &Ticket, now: i64) -> Result<Sla> {
        let events = clock_events(&self.conn, ticket.id).map_err(|e| self.err(e))?;
        Ok(compute_for(
            cfg,
            &events,
            ticket.priority,
            &ticket.category,
            now,
        ))
    }

    /// Recomputes the figures of open tickets (or of all with `all`), in batches of one
    /// transaction each, and records the configuration they were computed under.
    pub fn recompute_sla(&mut self, cfg: &Config, all: bool, now: i64) -> Result<usize> {
        let ids: Vec<i64> = {
            let sql = if all {
                "SELECT id FROM tickets ORDER BY id"
            } else {
                "SELECT id FROM tickets WHERE is_open = 1 ORDER BY id"
            };
            let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
            let rows = stmt.query_map([], |r| r.get(0)).map_err(|e| self.err(e))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(|e| self.err(e))?
        };
        for chunk in ids.chunks(5000) {
            self.write(|tx| {
                for id in chunk {
                    refresh(tx, cfg, *id, now)?;
                }
                Ok(())
            })?;
        }
        let fp = cfg.sla_fingerprint();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![FINGERPRINT, fp],
            )?;
            if all {
                tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('sla_all', ?1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![fp],
                )?;
            }
            Ok(())
        })?;
        Ok(ids.len())
    }

    /// Keeps the stored figures in step with the configuration: when the service-level
    /// settings changed, open tickets are recomputed at once (their due times drive the
    /// queues), and every ticket the first time. Returns whether finished tickets' figures
    /// still predate the settings (`desk sla --recompute` brings them up to date).
    pub fn sync_sla(&mut self, cfg: &Config, now: i64) -> Result<bool> {
        if self.is_read_only() {
            return Ok(false);
        }
        let get = |k: &str| -> Result<Option<String>> {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
                .optional()
                .map_err(|e| self.err(e))
        };
        let fp = cfg.sla_fingerprint();
        let all = get("sla_all")?;
        if all.is_none() {
            self.recompute_sla(cfg, true, now)?;
            return Ok(false);
        }
        if get(FINGERPRINT)?.as_deref() != Some(fp.as_str()) {
            self.recompute_sla(cfg, false, now)?;
        }
        Ok(all.as_deref() != Some(fp.as_str()))
    }

    /// The ticket with its stored figures, for checks.
    pub fn stored_due(&self, id: i64) -> Result<(Option<i64>, Option<i64>)> {
        self.conn
            .query_row(
                "SELECT due_at, risk_at FROM tickets WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))
    }
}
