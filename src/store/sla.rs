//! Keeping each ticket's service-level figures: computed by core from the ticket's whole
//! history after every change, in the same transaction, and stored where queues and reports
//! can use them.

use super::Store;
use super::tickets::Ticket;
use crate::core::config::Config;
use crate::core::model::{Actor, EventKind, Priority};
use crate::core::rights::{self, Action};
use crate::core::sla::{self, ClockEvent, ClockKind, Sla};
use crate::error::Result;
use crate::store::db::{Connection, OptionalExtension, params};
use crate::store::report::rollup::Fact;

/// A ticket's history as the clocks read it.
pub(crate) fn clock_events(conn: &Connection, ticket: i64) -> rusqlite::Result<Vec<ClockEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, kind, from_value, to_value, actor_id IS NOT NULL, text IS NOT DISTINCT FROM 'undo'
         FROM events WHERE ticket_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([ticket], |r| {
        let kind: String = r.get(1)?;
        Ok((
            r.get::<_, i64>(0)?,
            kind,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, Option<String>>(3)?,
            r.get::<_, bool>(4)?,
            r.get::<_, bool>(5)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (at, kind, from, to, by_agent, undo) = row?;
        if let Ok(kind) = kind.parse::<EventKind>() {
            out.push(ClockEvent {
                at,
                kind,
                from,
                to,
                by_agent,
                undo,
            });
        }
    }
    Ok(out)
}

/// Status seconds as stored: `status=seconds` pairs, `;`-separated (cheap to read back in
/// reports over a million tickets), for the stretches before the current one; the current
/// status and since when are stored beside them, so a report counts it up to its own now.
pub fn encode_status_secs(s: &Sla) -> String {
    s.settled_status_secs()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}

pub fn decode_status_secs(s: &str) -> impl Iterator<Item = (&str, i64)> {
    // By bytes: ';' and '=' are ASCII, so every cut falls between characters.
    let mut rest = s;
    std::iter::from_fn(move || {
        while !rest.is_empty() {
            let bytes = rest.as_bytes();
            let end = bytes.iter().position(|b| *b == b';').unwrap_or(bytes.len());
            let part = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or("");
            if let Some(pair) = status_pair(part) {
                return Some(pair);
            }
        }
        None
    })
}

/// One `status=seconds` pair, or nothing if it is not one.
fn status_pair(p: &str) -> Option<(&str, i64)> {
    let eq = p.bytes().position(|b| b == b'=')?;
    let (sign, digits) = match &p.as_bytes()[eq + 1..] {
        [b'-', rest @ ..] => (-1, rest),
        rest => (1, rest),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits
        .iter()
        .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
    Some((&p[..eq], sign * v))
}

/// A ticket's owner changes from one agent to another as its row of facts keeps them (schema
/// V24, whose migration writes the same from the events): each, oldest first, as
/// `instant:+agent` (the agent who passed it on) or, for an undo, `instant:-agent` (the agent
/// it goes back to), `;`-separated, with `%` and `;` escaped in the agent; None without any.
pub(crate) fn owner_changes(events: &[ClockEvent]) -> Option<String> {
    let mut out = String::new();
    for e in events.iter().filter(|e| e.kind == EventKind::Assigned) {
        let (Some(from), Some(to)) = (&e.from, &e.to) else {
            continue;
        };
        if !out.is_empty() {
            out.push(';');
        }
        let (sign, agent) = if e.undo { ('-', to) } else { ('+', from) };
        out.push_str(&e.at.to_string());
        out.push(':');
        out.push(sign);
        out.push_str(&agent.replace('%', "%25").replace(';', "%3B"));
    }
    (!out.is_empty()).then_some(out)
}

/// The owner changes [`owner_changes`] stored: (instant, +1 or -1, the agent), each given to
/// `f` (a malformed part is skipped).
pub(crate) fn decode_owner_changes(s: &str, mut f: impl FnMut(i64, i64, &str)) {
    for part in s.split(';') {
        let Some((at, rest)) = part.split_once(':') else {
            continue;
        };
        let Ok(at) = at.parse::<i64>() else {
            continue;
        };
        let (step, agent) = match rest.as_bytes().first() {
            Some(b'+') => (1, &rest[1..]),
            Some(b'-') => (-1, &rest[1..]),
            _ => continue,
        };
        if agent.contains('%') {
            f(at, step, &agent.replace("%3B", ";").replace("%25", "%"));
        } else {
            f(at, step, agent);
        }
    }
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

/// What a report needs of a ticket besides its clocks: its row of facts as the ticket gives
/// it (the clocks' figures in it are left empty: [`store_figures`] fills them), whether it is
/// open, how many times it was reassigned, and its outcome's reason as recorded (the facts
/// keep it as a refusal only for a refused or invalid outcome).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FactRow {
    pub is_open: bool,
    pub reassignments: i64,
    pub reason: Option<String>,
    pub fact: Fact,
}

/// The stored figures of one computation: the ticket's due and at-risk instants and first
/// response, and its row of facts for reports (its report's days summed into `days`, which
/// the caller writes).
pub(crate) fn store_figures(
    conn: &Connection,
    cfg: &Config,
    ticket: i64,
    f: &FactRow,
    s: &Sla,
    days: &mut super::report::rollup::Pending,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE tickets SET due_at = ?1, risk_at = ?2, first_response_at = ?3, reassignments = ?4
         WHERE id = ?5",
    )?
    .execute(params![
        s.due,
        s.risk_at,
        s.first_response_at,
        f.reassignments,
        ticket
    ])?;
    let fact = fact_of(f, s);
    // The report's days, from the row as it was and as it will be.
    days.keep(conn, cfg, ticket, &fact)?;
    write_fact(conn, ticket, f.is_open, f.reassignments, &fact)
}

/// The row of facts of a ticket just registered, whose row already holds the figures of `s`
/// (intake writes them with it): no row of facts to read back or replace, its report's days
/// summed into `days`.
pub(crate) fn store_new_figures(
    conn: &Connection,
    cfg: &Config,
    ticket: i64,
    f: &FactRow,
    s: &Sla,
    days: &mut super::report::rollup::Pending,
) -> rusqlite::Result<()> {
    let fact = fact_of(f, s);
    days.add(cfg, &fact);
    write_fact(conn, ticket, f.is_open, f.reassignments, &fact)
}

/// A ticket's row of facts from its report figures and its clocks.
fn fact_of(f: &FactRow, s: &Sla) -> Fact {
    let fr = s
        .clock(ClockKind::FirstResponse)
        .filter(|c| c.stopped_at.is_some())
        .map(|c| c.elapsed)
        .or_else(|| s.first_response_at.map(|_| 0));
    let res = s
        .clock(ClockKind::Resolution)
        .filter(|c| c.stopped_at.is_some())
        .map(|c| c.elapsed);
    // When a first response still awaited is (or was) due: a report counts it as late from then.
    let fr_due = s
        .clock(ClockKind::FirstResponse)
        .filter(|c| c.stopped_at.is_none() && s.first_response_at.is_none())
        .and_then(|c| c.due);
    let refusal = match f.fact.outcome.as_deref() {
        Some("refused") | Some("invalid") => f.reason.as_deref().map(str::trim),
        _ => None,
    };
    Fact {
        refusal: refusal.map(str::to_string),
        first_response_secs: fr,
        first_response_due: fr_due,
        resolution_secs: res,
        status_secs: encode_status_secs(s),
        status: s
            .current
            .as_ref()
            .map(|c| c.status.clone())
            .unwrap_or_default(),
        status_since: s.current.as_ref().map(|c| c.from),
        ..f.fact.clone()
    }
}

/// Writes (or rewrites) a ticket's row of facts.
fn write_fact(
    conn: &Connection,
    ticket: i64,
    is_open: bool,
    reassignments: i64,
    fact: &Fact,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO facts (ticket_id, is_open, created_at, resolved_at, category, group_code, assignee,
            channel, priority, outcome, refusal, satisfaction, reassignments, first_response_secs,
            resolution_secs, status_secs, status, status_since, first_response_due, reassigned)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
            ?20)
         ON CONFLICT (ticket_id) DO UPDATE SET
            is_open = excluded.is_open,
            created_at = excluded.created_at,
            resolved_at = excluded.resolved_at,
            category = excluded.category,
            group_code = excluded.group_code,
            assignee = excluded.assignee,
            channel = excluded.channel,
            priority = excluded.priority,
            outcome = excluded.outcome,
            refusal = excluded.refusal,
            satisfaction = excluded.satisfaction,
            reassignments = excluded.reassignments,
            first_response_secs = excluded.first_response_secs,
            resolution_secs = excluded.resolution_secs,
            status_secs = excluded.status_secs,
            status = excluded.status,
            status_since = excluded.status_since,
            first_response_due = excluded.first_response_due,
            reassigned = excluded.reassigned",
    )?
    .execute(params![
        ticket,
        is_open,
        fact.created_at,
        fact.resolved_at,
        fact.category,
        fact.group_code,
        fact.assignee,
        fact.channel,
        fact.priority,
        fact.outcome,
        fact.refusal,
        fact.satisfaction,
        reassignments,
        fact.first_response_secs,
        fact.resolution_secs,
        fact.status_secs,
        fact.status,
        fact.status_since,
        fact.first_response_due,
        fact.reassigned,
    ])?;
    Ok(())
}

/// Recomputes one ticket's figures inside the caller's transaction.
pub(crate) fn refresh(
    conn: &Connection,
    cfg: &Config,
    ticket: i64,
    now: i64,
) -> rusqlite::Result<()> {
    let mut days = super::report::rollup::Pending::new(conn, cfg)?;
    refresh_into(conn, cfg, ticket, now, &mut days)?;
    days.write(conn)
}

/// The same, the report's days summed into `days` (many tickets in one transaction: the
/// caller writes them once, at the end).
pub(crate) fn refresh_into(
    conn: &Connection,
    cfg: &Config,
    ticket: i64,
    now: i64,
    days: &mut super::report::rollup::Pending,
) -> rusqlite::Result<()> {
    let f: FactRow = conn
        .prepare_cached(
            "SELECT t.is_open, t.created_at, t.resolved_at, t.category, t.group_code, a.login, t.channel,
                    t.priority, t.outcome, t.reason, t.satisfaction, t.reassignments
             FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id WHERE t.id = ?1",
        )?
        .query_row([ticket], |r| {
            Ok(FactRow {
                is_open: r.get(0)?,
                reassignments: r.get(11)?,
                reason: r.get(9)?,
                fact: Fact {
                    created_at: r.get(1)?,
                    resolved_at: r.get(2)?,
                    category: r.get(3)?,
                    group_code: r.get(4)?,
                    assignee: r.get(5)?,
                    channel: r.get(6)?,
                    priority: r.get(7)?,
                    outcome: r.get(8)?,
                    satisfaction: r.get(10)?,
                    ..Fact::default()
                },
            })
        })?;
    let events = clock_events(conn, ticket)?;
    let (f, s) = settle(cfg, f, &events, now);
    store_figures(conn, cfg, ticket, &f, &s, days)
}

/// A ticket's figures from its row of facts as the ticket gives it and its whole history:
/// read back from the database (`refresh_into`), or as intake is about to write them.
pub(crate) fn settle(cfg: &Config, f: FactRow, events: &[ClockEvent], now: i64) -> (FactRow, Sla) {
    // Derived from the history like the clocks, so an undone reassignment is none.
    let f = FactRow {
        reassignments: sla::reassignments(events),
        fact: Fact {
            reassigned: owner_changes(events),
            ..f.fact
        },
        ..f
    };
    let priority = Priority::from_rank(f.fact.priority).unwrap_or(Priority::Normal);
    let s = compute_for(cfg, events, priority, &f.fact.category, now);
    (f, s)
}

/// The `[sla]` settings open tickets' figures were last computed under.
const FINGERPRINT: &str = "sla_fingerprint";
/// The settings every ticket's figures were last computed under.
const ALL: &str = "sla_all";

fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

fn set_meta(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )
    .map(|_| ())
}

/// Whether finished tickets' figures predate the current `[sla]` settings.
pub(crate) fn figures_stale(conn: &Connection, cfg: &Config) -> rusqlite::Result<bool> {
    Ok(meta(conn, ALL)?.is_some_and(|v| v != cfg.sla_fingerprint()))
}

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

    /// `desk sla --recompute`: every ticket's figures from its history (admins and the
    /// system service; after changing `[sla]`).
    pub fn recompute(&mut self, actor: &Actor, cfg: &Config, now: i64) -> Result<usize> {
        rights::check(actor, Action::Recompute, None)?;
        self.recompute_sla(cfg, true, now)
    }

    /// Recomputes the figures of open tickets (or of all with `all`), in batches of one
    /// transaction each, and records the configuration they were computed under.
    pub(crate) fn recompute_sla(&mut self, cfg: &Config, all: bool, now: i64) -> Result<usize> {
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
        let total = ids.len() as u64;
        for (c, chunk) in ids.chunks(5000).enumerate() {
            self.write(|tx| {
                for (i, id) in chunk.iter().enumerate() {
                    refresh(tx, cfg, *id, now)?;
                    let done = (c * 5000 + i + 1) as u64;
                    if done.is_multiple_of(64) && done < total {
                        super::progress::tell(super::progress::Work::Recompute, done, total);
                    }
                }
                Ok(())
            })?;
        }
        super::progress::tell(super::progress::Work::Recompute, total, total);
        let fp = cfg.sla_fingerprint();
        self.write(|tx| {
            set_meta(tx, FINGERPRINT, &fp)?;
            if all {
                set_meta(tx, ALL, &fp)?;
            }
            Ok(())
        })?;
        if all {
            // Every row of facts is fresh: the report's days are built from them again.
            super::report::rollup::rebuild(&self.conn, cfg).map_err(|e| self.err(e))?;
        }
        Ok(ids.len())
    }

    /// Keeps the stored figures in step with the configuration: when the service-level
    /// settings changed, open tickets are recomputed at once (their due times drive the
    /// queues), and every ticket the first time (`notify` hears how many, before). Finished
    /// tickets' figures may still predate the settings: reports say so (`stale`) and
    /// `desk sla --recompute` brings them up to date.
    pub fn sync_sla(&mut self, cfg: &Config, now: i64, notify: impl FnOnce(i64)) -> Result<()> {
        if self.is_read_only() {
            return Ok(());
        }
        let get = |k: &str| meta(&self.conn, k).map_err(|e| self.err(e));
        if get(ALL)?.is_none() {
            let n: i64 = self
                .conn
                .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            if n > 0 {
                notify(n);
            }
            return self.recompute_sla(cfg, true, now).map(|_| ());
        }
        if get(FINGERPRINT)?.as_deref() != Some(cfg.sla_fingerprint().as_str()) {
            self.recompute_sla(cfg, false, now)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::decode_status_secs;

    #[test]
    fn status_seconds_read_back_and_skip_what_is_not_a_pair() {
        let got: Vec<(&str, i64)> =
            decode_status_secs("new=60;в_работе=3600;bad;x=;y=1e3;z=-5;").collect();
        assert_eq!(got, vec![("new", 60), ("в_работе", 3600), ("z", -5)]);
        assert_eq!(decode_status_secs("").count(), 0);
    }
}
