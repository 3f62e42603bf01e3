//! An agent away (`desk agent away`, `desk agent back`; issue 15, absence): marking someone
//! away hands their open tickets over — each to the least-loaded colleague of its group with
//! room, or back to the group's queue — in one transaction, the reason on each, after a
//! preview that changes nothing. Operators mark themselves; supervisors and admins anyone.

use super::Store;
use super::tickets::{COLS, FROM, Ticket, group_candidates, ticket_row};
use crate::core::attribution::{self, Candidate};
use crate::core::config::Config;
use crate::core::model::{Actor, AgentRef, Role};
use crate::core::refusal::Refusal;
use crate::core::rights::{self, Action};
use crate::error::{Error, Result};
use crate::msg;
use crate::store::db::{Connection, OptionalExtension, params};
use std::collections::BTreeMap;

/// One of an away agent's open tickets and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandOver {
    pub number: String,
    pub subject: String,
    pub group: Option<String>,
    /// The colleague it goes to; None: back to its group's queue.
    pub to: Option<String>,
}

/// The agent `login` (id, login, role, whether away), or not found.
fn agent(conn: &Connection, login: &str) -> Result<(AgentRef, bool)> {
    let row: Option<(i64, String, String, bool)> = conn
        .prepare_cached("SELECT id, login, role, away FROM agents WHERE login = ?1")?
        .query_row([login.trim()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((id, login, role, away)) = row else {
        return Err(Error::NotFound(msg!(
            "error.no_agent",
            login = login.trim()
        )));
    };
    let role = role.parse::<Role>().map_err(Error::Database)?;
    Ok((AgentRef { id, login, role }, away))
}

/// The agent's open tickets, most urgent first (the earliest deadline, then the oldest), and
/// where each goes: decided by `attribution::hand_over` from the groups' members as they are.
fn plan(conn: &Connection, away: i64, now: i64) -> Result<Vec<(Ticket, Option<Candidate>)>> {
    let tickets: Vec<Ticket> = conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM {FROM} WHERE t.assignee_id = ?1 AND t.is_open = 1
             ORDER BY t.due_at IS NULL, t.due_at, t.id"
        ))?
        .query_map([away], ticket_row)?
        .collect::<rusqlite::Result<_>>()?;
    let mut members: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
    for g in tickets.iter().filter_map(|t| t.group.as_deref()) {
        if !members.contains_key(g) {
            members.insert(g.to_string(), group_candidates(conn, g)?);
        }
    }
    let groups: Vec<Option<String>> = tickets.iter().map(|t| t.group.clone()).collect();
    let to = attribution::hand_over(away, &groups, &members, now);
    let find = |id: i64| {
        members
            .values()
            .flatten()
            .find(|c| c.agent.id == id)
            .cloned()
    };
    Ok(tickets
        .into_iter()
        .zip(to)
        .map(|(t, to)| {
            let c = to.and_then(|a| find(a.id));
            (t, c)
        })
        .collect())
}

fn said(plan: &[(Ticket, Option<Candidate>)]) -> Vec<HandOver> {
    plan.iter()
        .map(|(t, to)| HandOver {
            number: t.number.clone(),
            subject: t.subject.clone(),
            group: t.group.clone(),
            to: to.as_ref().map(|c| c.agent.login.clone()),
        })
        .collect()
}

/// Whether `actor` may mark `who` away or back: operators themselves, supervisors and admins
/// anyone.
fn may_mark(actor: &Actor, who: &AgentRef) -> Result<()> {
    rights::check(actor, Action::Away, Some(who)).map_err(|e| match e {
        Refusal::NotYours { .. } => Refusal::RoleNeeded {
            action: Action::Away,
            detail: None,
            needed: vec![Role::Supervisor, Role::Admin],
            have: actor.role(),
        },
        e => e,
    })?;
    Ok(())
}

impl Store {
    /// What marking `login` away would hand over, changing nothing.
    pub fn away_preview(&self, actor: &Actor, login: &str, now: i64) -> Result<Vec<HandOver>> {
        let run = || -> Result<Vec<HandOver>> {
            let (who, _) = agent(&self.conn, login)?;
            may_mark(actor, &who)?;
            Ok(said(&plan(&self.conn, who.id, now)?))
        };
        run().map_err(|e| self.map_db(e))
    }

    /// Marks `login` away. With `hand_over` (the reason, which each change records), their
    /// open tickets are handed over as the preview says — decided again inside the
    /// transaction, so what changed meanwhile counts — all of them or none; without it they
    /// keep them. Returns what was handed over.
    pub fn set_away(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        login: &str,
        hand_over: Option<&str>,
        now: i64,
    ) -> Result<Vec<HandOver>> {
        let reason = hand_over.map(str::trim);
        self.write(|tx| {
            let (who, _) = agent(tx, login)?;
            may_mark(actor, &who)?;
            tx.prepare_cached("UPDATE agents SET away = 1 WHERE id = ?1")?
                .execute([who.id])?;
            super::roster::record_agent(tx, Some(actor), &who.login, now)?;
            let Some(reason) = reason else {
                return Ok(Vec::new());
            };
            let plan = plan(tx, who.id, now)?;
            if !plan.is_empty() && reason.is_empty() {
                return Err(Refusal::ReasonRequired {
                    action: Action::Away,
                }
                .into());
            }
            for (t, to) in &plan {
                let a = attribution::hand_over_one(
                    &cfg.lifecycle,
                    &t.state(),
                    actor,
                    to.as_ref(),
                    reason,
                )?;
                Self::apply_assignment(tx, cfg, t, &a, None, actor, now)?;
            }
            Ok(said(&plan))
        })
    }

    /// Marks `login` back: automatic assignment counts them again.
    pub fn set_back(&mut self, actor: &Actor, login: &str, now: i64) -> Result<()> {
        self.write(|tx| {
            let (who, _) = agent(tx, login)?;
            may_mark(actor, &who)?;
            tx.execute("UPDATE agents SET away = 0 WHERE id = ?1", params![who.id])?;
            super::roster::record_agent(tx, Some(actor), &who.login, now)?;
            Ok(())
        })
    }
}
