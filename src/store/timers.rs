//! `desk tick`: the timers, run periodically by the `system` service. Each ticket something
//! is due on is one short transaction that checks again, inside it, that the thing is still
//! due — so two ticks at once, or a tick after a missed day, never do anything twice: what
//! was done is in the history, and the history is what decides.

use super::Store;
use super::sla::{clock_events, compute_for};
use super::tickets::{History, Ticket, ticket_row};
use crate::core::answers;
use crate::core::attribution;
use crate::core::config::Config;
use crate::core::lifecycle::Fields;
use crate::core::model::{Actor, EventKind, StatusCategory};
use crate::core::rights::{self, Action};
use crate::core::sla::{ClockEvent, ClockKind};
use crate::core::timers::{self, Actions, Level, WaitDue, Waiting};
use crate::error::{Error, Result};
use crate::store::db::{Connection, params};

/// What one tick did.
#[derive(Debug, Default)]
pub struct TickReport {
    /// Tickets whose requester was reminded.
    pub reminded: Vec<String>,
    /// Tickets closed after waiting too long for their requester.
    pub closed: Vec<String>,
    /// Escalations: the ticket, the clock, the level and what was done.
    pub escalated: Vec<(String, ClockKind, Level, Actions)>,
    /// Tickets a timer could not act on (the ticket and why); the others went ahead.
    pub failed: Vec<(String, Error)>,
    /// When the next waiting timer falls due, if one will.
    pub next: Option<i64>,
}

/// A waiting ticket as the timers read it: its row id, number, category, when it began to
/// wait and when it was reminded during this wait.
struct WaitingRow {
    id: i64,
    number: String,
    category: String,
    waiting: Waiting,
}

/// Waiting tickets (all, or the one with `only` as its id).
fn waiting_rows(
    conn: &Connection,
    cfg: &Config,
    only: Option<i64>,
) -> rusqlite::Result<Vec<WaitingRow>> {
    let statuses = cfg.lifecycle.ids_in(StatusCategory::Waiting);
    if statuses.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; statuses.len()].join(", ");
    let sql = format!(
        "SELECT t.id, t.number, t.category, f.status_since,
            (SELECT max(e.at) FROM events e
              WHERE e.ticket_id = t.id AND e.kind = 'reminded' AND e.at >= f.status_since)
         FROM tickets t JOIN facts f ON f.ticket_id = t.id
         WHERE t.is_open = 1 AND t.status IN ({marks}) AND f.status_since IS NOT NULL
           AND (CAST(?{n} AS BIGINT) IS NULL OR t.id = ?{n})
         ORDER BY t.id",
        n = statuses.len() + 1
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut args: Vec<rusqlite::types::Value> = statuses
        .iter()
        .map(|s| rusqlite::types::Value::Text(s.to_string()))
        .collect();
    args.push(only.map_or(
        rusqlite::types::Value::Null,
        rusqlite::types::Value::Integer,
    ));
    let rows = stmt.query_map(crate::store::db::params_from_iter(args), |r| {
        Ok(WaitingRow {
            id: r.get(0)?,
            number: r.get(1)?,
            category: r.get(2)?,
            waiting: Waiting {
                since: r.get(3)?,
                reminded_at: r.get(4)?,
            },
        })
    })?;
    rows.collect()
}

/// The waiting ticket `id` and its timers, if `due` is (still) what is due on it: checked
/// again inside the transaction that acts, so nothing is done twice.
fn still_due(
    tx: &Connection,
    cfg: &Config,
    id: i64,
    now: i64,
    due: WaitDue,
) -> rusqlite::Result<Option<(WaitingRow, timers::WaitTimers)>> {
    let Some(row) = waiting_rows(tx, cfg, Some(id))?.into_iter().next() else {
        return Ok(None);
    };
    let w = cfg.case.timers.waiting_for(&row.category);
    Ok((timers::waiting(&w, &row.waiting, now) == due).then_some((row, w)))
}

fn load(tx: &Connection, id: i64) -> rusqlite::Result<Ticket> {
    tx.prepare_cached(&format!(
        "SELECT {} FROM {} WHERE t.id = ?1",
        super::tickets::COLS,
        super::tickets::FROM
    ))?
    .query_row([id], ticket_row)
}

/// The escalations already made on a ticket since its deadline last moved (an extension).
fn escalated(events: &[ClockEvent]) -> Vec<(ClockKind, Level)> {
    let since = events
        .iter()
        .rposition(|e| e.kind == EventKind::Extended)
        .map_or(0, |i| i + 1);
    events[since..]
        .iter()
        .filter(|e| e.kind == EventKind::Escalated)
        .filter_map(|e| {
            let clock = clock_kind(e.from.as_deref()?)?;
            Some((clock, Level::parse(e.to.as_deref()?)?))
        })
        .collect()
}

fn clock_kind(s: &str) -> Option<ClockKind> {
    [
        ClockKind::FirstResponse,
        ClockKind::Resolution,
        ClockKind::KeepInTouch,
    ]
    .into_iter()
    .find(|k| k.as_str() == s)
}

/// The escalations due on one ticket now.
fn escalations_due(
    conn: &Connection,
    cfg: &Config,
    t: &Ticket,
    now: i64,
) -> rusqlite::Result<Vec<(ClockKind, Level, Actions)>> {
    let events = clock_events(conn, t.id)?;
    let sla = compute_for(cfg, &events, t.priority, &t.category, now);
    let clocks: Vec<(ClockKind, crate::core::sla::SlaState)> =
        sla.clocks.iter().map(|c| (c.kind, c.state)).collect();
    Ok(timers::escalations(
        &cfg.case.timers.escalations,
        &clocks,
        &t.category,
        t.priority,
        &escalated(&events),
    ))
}

/// A supervisor who hears of a ticket's escalation: id, login, name and mail address.
struct Supervisor {
    id: i64,
    login: String,
    name: String,
    mail: Option<String>,
}

/// The supervisors who hear of a ticket's escalation: its group's active supervisors, else (a
/// group without one) the desk's active admins.
fn supervisors(tx: &Connection, group: Option<&str>) -> rusqlite::Result<Vec<Supervisor>> {
    let row = |r: &crate::store::db::Row<'_>| {
        Ok(Supervisor {
            id: r.get(0)?,
            login: r.get(1)?,
            name: r.get(2)?,
            mail: r.get(3)?,
        })
    };
    let of_group: Vec<Supervisor> = tx
        .prepare_cached(
            "SELECT a.id, a.login, a.name, a.mail FROM agents a JOIN members m ON m.agent_id = a.id
             WHERE m.group_code = ?1 AND a.role = 'supervisor' AND a.active = 1 ORDER BY a.id",
        )?
        .query_map([group.unwrap_or("")], row)?
        .collect::<rusqlite::Result<_>>()?;
    if !of_group.is_empty() {
        return Ok(of_group);
    }
    tx.prepare_cached(
        "SELECT id, login, name, mail FROM agents WHERE role = 'admin' AND active = 1 ORDER BY id",
    )?
    .query_map([], row)?
    .collect()
}

/// An escalation mailed to `to`, in the desk's language: what happened, what was done.
fn mail_alert(
    tx: &Connection,
    cfg: &Config,
    ticket_id: i64,
    to: &Supervisor,
    (clock, level, actions): (ClockKind, Level, &Actions),
    now: i64,
) -> Result<()> {
    let Some(mail) = to.mail.as_deref() else {
        return Ok(());
    };
    let cat = crate::i18n::Catalog::for_lang(crate::i18n::language_from_locale(
        cfg.language.as_deref().unwrap_or("en"),
    ));
    let what = format!(
        "{} {}",
        cat.id("sla.clock", clock.as_str()),
        cat.id("sla.states", level.as_str())
    );
    let done: Vec<String> = actions
        .names()
        .iter()
        .map(|a| cat.id("escalation", a))
        .collect();
    let done = cat.f("tick.alert_done", &[("actions", done.join(", "))]);
    super::outbox::alert::queue(
        tx,
        cfg,
        ticket_id,
        &super::outbox::alert::Recipient {
            name: &to.name,
            mail,
        },
        (&what, &done),
        now,
    )
}

impl Store {
    /// Runs the timers once (`desk tick`; the `system` service and admins): reminders and
    /// closing for tickets waiting for their requester, escalations for tickets at risk or
    /// past a target. A ticket that cannot be handled is reported and the others go ahead.
    pub fn tick(&mut self, cfg: &Config, actor: &Actor, now: i64) -> Result<TickReport> {
        rights::check(actor, Action::Tick, None)?;
        let mut report = TickReport::default();
        self.tick_waiting(cfg, actor, now, &mut report)?;
        self.tick_escalations(cfg, actor, now, &mut report)?;
        Ok(report)
    }

    fn tick_waiting(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        now: i64,
        report: &mut TickReport,
    ) -> Result<()> {
        let rows = waiting_rows(&self.conn, cfg, None).map_err(|e| self.err(e))?;
        for row in rows {
            let w = cfg.case.timers.waiting_for(&row.category);
            let r = match timers::waiting(&w, &row.waiting, now) {
                WaitDue::Nothing { next } => {
                    report.next = [report.next, next].into_iter().flatten().min();
                    continue;
                }
                WaitDue::Remind => self.remind(cfg, actor, row.id, now).map(|done| {
                    if done {
                        report.reminded.push(row.number.clone());
                        let reminded = Waiting {
                            reminded_at: Some(now),
                            ..row.waiting
                        };
                        let close = timers::close_at(&w, &reminded);
                        report.next = [report.next, close].into_iter().flatten().min();
                    }
                }),
                WaitDue::Close => self.close_waiting(cfg, actor, row.id, now).map(|done| {
                    if done {
                        report.closed.push(row.number.clone());
                    }
                }),
            };
            if let Err(e) = r {
                report.failed.push((row.number, e));
            }
        }
        Ok(())
    }

    /// Reminds the requester of a waiting ticket, if that is still due (false: it no longer
    /// is — another tick did it, or the ticket moved).
    fn remind(&mut self, cfg: &Config, actor: &Actor, id: i64, now: i64) -> Result<bool> {
        self.write(|tx| {
            let Some((row, w)) = still_due(tx, cfg, id, now, WaitDue::Remind)? else {
                return Ok(false);
            };
            let reminded = Waiting {
                reminded_at: Some(now),
                ..row.waiting
            };
            let close = timers::close_at(&w, &reminded).map(|at| at.to_string());
            History::new(tx, row.id, &row.number, now, Some(actor)).record(
                EventKind::Reminded,
                None,
                close.as_deref(),
                None,
            )?;
            // The requester is sent the question again, as it was put (when the desk mails).
            let t = load(tx, row.id)?;
            crate::store::outbox::queue(
                tx,
                cfg,
                row.id,
                crate::core::model::NoticeKind::Question,
                &crate::store::outbox::Cause {
                    outcome: t.outcome,
                    note: t.reason.as_deref(),
                    answer: t.answer.as_deref(),
                    text: None,
                    undo_version: None,
                    target: None,
                    shown: false,
                },
                now,
            )?;
            tx.prepare_cached("UPDATE tickets SET updated_at = ?1 WHERE id = ?2")?
                .execute(params![now, row.id])?;
            Ok(true)
        })
    }

    /// The decision a waiting ticket is closed with: the configured outcome, and the answer
    /// from the templates (with its note) filled in for the ticket.
    fn closing_fields(&self, cfg: &Config, t: &Ticket, login: &str, now: i64) -> Result<Fields> {
        let w = cfg.case.timers.waiting_for(&t.category);
        let lang = cfg.language.as_deref().unwrap_or("en");
        let (answer, note) = match w
            .close_answer
            .as_deref()
            .and_then(|n| answers::find(&cfg.case.answers, n))
        {
            Some(a) => {
                let facts = self.answer_facts(cfg, t, login, now)?;
                let f = super::tickets::answers::fill(a, &facts, lang, lang);
                (Some(f.text), f.note)
            }
            None => (None, None),
        };
        Ok(Fields {
            outcome: w.close_outcome,
            reason: note,
            answer,
        })
    }

    /// Closes a waiting ticket whose requester did not answer in time, if that is still due.
    fn close_waiting(&mut self, cfg: &Config, actor: &Actor, id: i64, now: i64) -> Result<bool> {
        let t = load(&self.conn, id).map_err(|e| self.err(e))?;
        let fields = self.closing_fields(cfg, &t, &actor.agent.login, now)?;
        self.write(|tx| {
            if still_due(tx, cfg, id, now, WaitDue::Close)?.is_none() {
                return Ok(false);
            }
            let t = load(tx, id)?;
            let tr = cfg.lifecycle.check_timer(&t.state(), &fields)?;
            super::tickets::apply_move(tx, cfg, &t, &tr, actor, now)?;
            Ok(true)
        })
    }

    fn tick_escalations(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        now: i64,
        report: &mut TickReport,
    ) -> Result<()> {
        if cfg.case.timers.escalations.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = self
            .conn
            .prepare_cached(
                "SELECT id FROM tickets WHERE is_open = 1 AND risk_at IS NOT NULL AND risk_at <= ?1
                 ORDER BY risk_at, id",
            )
            .and_then(|mut s| s.query_map([now], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        for id in ids {
            let t = load(&self.conn, id).map_err(|e| self.err(e))?;
            let due = escalations_due(&self.conn, cfg, &t, now).map_err(|e| self.err(e))?;
            if due.is_empty() {
                continue;
            }
            match self.escalate(cfg, actor, id, now) {
                Ok(done) => report.escalated.extend(
                    done.into_iter()
                        .map(|(c, l, a)| (t.number.clone(), c, l, a)),
                ),
                Err(e) => report.failed.push((t.number.clone(), e)),
            }
        }
        Ok(())
    }

    /// Makes the escalations due on one ticket, each an event; what they do follows.
    fn escalate(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        id: i64,
        now: i64,
    ) -> Result<Vec<(ClockKind, Level, Actions)>> {
        self.write(|tx| {
            let t = load(tx, id)?;
            if cfg.lifecycle.category(&t.status).is_some_and(|c| !c.is_open()) {
                return Ok(Vec::new());
            }
            let due = escalations_due(tx, cfg, &t, now)?;
            let h = History::new(tx, t.id, &t.number, now, Some(actor));
            let mut all = Actions::default();
            for (clock, level, actions) in &due {
                h.record(
                    EventKind::Escalated,
                    Some(clock.as_str()),
                    Some(level.as_str()),
                    Some(&actions.names().join(" ")),
                )?;
                if actions.notify {
                    // Each alert is an event of the ticket's history (so of the chain), and
                    // its row points at that event: `desk check` holds one to the other.
                    // A supervisor with a mail address is mailed too, in this transaction.
                    for sup in supervisors(tx, t.group.as_deref())? {
                        let event = h.record_id(
                            EventKind::Alerted,
                            Some(clock.as_str()),
                            Some(&sup.login),
                            Some(level.as_str()),
                        )?;
                        tx.prepare_cached(
                            "INSERT INTO alerts (agent_id, ticket_id, event_id, at) VALUES (?1, ?2, ?3, ?4)",
                        )?
                        .execute(params![sup.id, t.id, event, now])?;
                        mail_alert(tx, cfg, t.id, &sup, (*clock, *level, actions), now)?;
                    }
                }
                all.raise |= actions.raise;
                all.unassign |= actions.unassign;
            }
            if all.raise && timers::raised(t.priority) != t.priority {
                let to = timers::raised(t.priority);
                tx.prepare_cached(
                    "UPDATE tickets SET priority = ?1, updated_at = ?2, updated_by = ?3,
                        version = version + 1 WHERE id = ?4",
                )?
                .execute(params![to.rank(), now, actor.id(), t.id])?;
                h.record(
                    EventKind::Field,
                    Some(t.priority.as_str()),
                    Some(to.as_str()),
                    Some("priority"),
                )?;
            }
            if all.unassign && t.assignee.is_some() {
                let t = load(tx, id)?;
                let why = due
                    .iter()
                    .map(|(c, l, _)| format!("{} {}", c.as_str(), l.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ");
                let a = attribution::escalate_unassign(&cfg.lifecycle, &t.state(), &why)?;
                Self::apply_assignment(tx, cfg, &t, &a, None, actor, now)?;
            }
            crate::store::sla::refresh(tx, cfg, t.id, now)?;
            Ok(due)
        })
    }
}

/// An alert to an agent: an escalation of one of their groups' tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub id: i64,
    pub number: String,
    pub subject: String,
    pub at: i64,
    /// The clock, the level and the actions of the escalation (as its event records them).
    pub clock: String,
    pub level: String,
    pub actions: String,
    pub seen_at: Option<i64>,
}

impl Store {
    /// An agent's alerts, newest first: those not yet seen, or (`all`) the last 100.
    pub fn alerts(&self, actor: &Actor, all: bool) -> Result<Vec<Alert>> {
        rights::check(actor, Action::Read, None)?;
        let run = || -> rusqlite::Result<Vec<Alert>> {
            // The alert's event says the clock and the level; the escalation it belongs to
            // (the last one of that clock before it) says what was done.
            let mut stmt = self.conn.prepare_cached(
                "SELECT n.id, t.number, t.subject, n.at, coalesce(e.from_value, ''),
                        coalesce(e.text, ''),
                        coalesce((SELECT x.text FROM events x
                                  WHERE x.ticket_id = e.ticket_id AND x.kind = 'escalated'
                                    AND x.id < e.id AND x.from_value IS NOT DISTINCT FROM e.from_value
                                  ORDER BY x.id DESC LIMIT 1), ''),
                        n.seen_at
                 FROM alerts n JOIN tickets t ON t.id = n.ticket_id
                 JOIN events e ON e.id = n.event_id
                 WHERE n.agent_id = ?1 AND (?2 OR n.seen_at IS NULL)
                 ORDER BY n.id DESC LIMIT 100",
            )?;
            let rows = stmt.query_map(params![actor.id(), all], |r| {
                Ok(Alert {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    subject: r.get(2)?,
                    at: r.get(3)?,
                    clock: r.get(4)?,
                    level: r.get(5)?,
                    actions: r.get(6)?,
                    seen_at: r.get(7)?,
                })
            })?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }

    /// How many alerts an agent has not seen yet.
    pub fn unseen_alerts(&self, agent: i64) -> Result<i64> {
        self.conn
            .prepare_cached("SELECT count(*) FROM alerts WHERE agent_id = ?1 AND seen_at IS NULL")
            .and_then(|mut s| s.query_row([agent], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// Marks the acting agent's alerts seen: these (`ids`), or all of them. Each is an event
    /// of its ticket's history by the agent (`alert_seen`, naming the alert's event), so the
    /// chain proves who saw which escalation when.
    pub fn mark_alerts_seen(
        &mut self,
        actor: &Actor,
        ids: Option<&[i64]>,
        now: i64,
    ) -> Result<usize> {
        rights::check(actor, Action::Read, None)?;
        let me = actor.id();
        self.write(|tx| {
            let unseen: Vec<(i64, i64, String, i64)> = tx
                .prepare_cached(
                    "SELECT n.id, n.ticket_id, t.number, n.event_id
                     FROM alerts n JOIN tickets t ON t.id = n.ticket_id
                     WHERE n.agent_id = ?1 AND n.seen_at IS NULL ORDER BY n.id",
                )?
                .query_map([me], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut n = 0;
            for (id, ticket, number, event) in unseen {
                if ids.is_some_and(|ids| !ids.contains(&id)) {
                    continue;
                }
                History::new(tx, ticket, &number, now, Some(actor)).record(
                    EventKind::AlertSeen,
                    Some(&event.to_string()),
                    Some(&actor.agent.login),
                    None,
                )?;
                n += tx
                    .prepare_cached("UPDATE alerts SET seen_at = ?1 WHERE id = ?2")?
                    .execute(params![now, id])?;
            }
            Ok(n)
        })
    }
}

/// `desk check`: every alert is the one its ticket's history records (an `alerted` event
/// naming its agent) and its being seen is recorded too (`alert_seen` by that agent, at that
/// moment, naming the alert's event); every such event has its alert.
pub(crate) fn check(c: &Connection) -> rusqlite::Result<Vec<super::check::Violation>> {
    let mut v = Vec::new();
    let mut said = |sql: &str, key: &'static str| -> rusqlite::Result<()> {
        let mut stmt = c.prepare(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (number, login) = row?;
            v.push(super::check::Violation::said(
                Some(number),
                key,
                vec![("login", login)],
            ));
        }
        Ok(())
    };
    said(
        "SELECT t.number, coalesce(a.login, '?') FROM alerts n
         JOIN tickets t ON t.id = n.ticket_id LEFT JOIN agents a ON a.id = n.agent_id
         WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = n.event_id
                             AND e.ticket_id = n.ticket_id AND e.kind = 'alerted'
                             AND e.to_value IS NOT DISTINCT FROM a.login AND e.at = n.at)
            OR (n.seen_at IS NULL) = EXISTS (
                SELECT 1 FROM events e WHERE e.ticket_id = n.ticket_id AND e.kind = 'alert_seen'
                   AND e.from_value = CAST(n.event_id AS TEXT) AND e.actor_id = n.agent_id
                   AND e.at IS NOT DISTINCT FROM n.seen_at)
         ORDER BY n.id",
        "check.alert_unsaid",
    )?;
    said(
        "SELECT t.number, coalesce(e.to_value, '') FROM events e
         JOIN tickets t ON t.id = e.ticket_id
         WHERE (e.kind = 'alerted' AND NOT EXISTS (SELECT 1 FROM alerts n WHERE n.event_id = e.id))
            OR (e.kind = 'alert_seen' AND NOT EXISTS (SELECT 1 FROM alerts n
                   WHERE CAST(n.event_id AS TEXT) = e.from_value AND n.seen_at IS NOT NULL))
         ORDER BY e.id",
        "check.alert_missing",
    )?;
    Ok(v)
}

/// `desk check`'s warnings about escalations: when a rule notifies supervisors and the desk
/// mails alerts, each one who would be told (a group's supervisors, else the admins) without a
/// mail address hears of escalations in the desk only. (A desk that mails nothing, or leaves
/// alerts out of `[mail] notify`, chose the desk alone.)
pub(crate) fn alert_warnings(
    c: &Connection,
    cfg: &Config,
) -> rusqlite::Result<Vec<super::check::Violation>> {
    use super::check::Violation;
    use crate::core::model::NoticeKind;
    if !cfg.case.timers.escalations.iter().any(|e| e.actions.notify)
        || !cfg.mail.sends(NoticeKind::Alert)
    {
        return Ok(Vec::new());
    }
    let groups: Vec<String> = c
        .prepare("SELECT code FROM groups ORDER BY code")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    // Each login once, with the groups whose escalations they would not be mailed.
    let mut without: Vec<(String, Vec<String>)> = Vec::new();
    for g in groups {
        for sup in supervisors(c, Some(&g))?
            .into_iter()
            .filter(|s| s.mail.is_none())
        {
            match without.iter_mut().find(|(l, _)| *l == sup.login) {
                Some((_, gs)) => gs.push(g.clone()),
                None => without.push((sup.login, vec![g.clone()])),
            }
        }
    }
    Ok(without
        .into_iter()
        .map(|(login, groups)| {
            Violation::said(
                None,
                "check.alert_no_mail",
                vec![("login", login), ("groups", groups.join(", "))],
            )
        })
        .collect())
}
