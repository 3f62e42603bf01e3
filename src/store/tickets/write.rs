//! Changes of owner, group and status, notes and answers, and undo: each one transaction.

use super::*;
use crate::core::attribution::{self, Assignment, Candidate};
use crate::core::config::Config;
use crate::core::lifecycle::{Fields, OutcomeChange};
use crate::core::model::{Actor, EventKind, limits};
use crate::core::refusal::Refusal;
use crate::core::rights::{self, Action};
use crate::error::{Error, Result};
use crate::msg;
use crate::store::db::{Connection, params};

impl Store {
    /// Loads a ticket inside a write transaction, refusing a stale view.
    pub(crate) fn load_for_change(
        tx: &Connection,
        cfg: &Config,
        number: &str,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Ticket> {
        let t = find_in(tx, cfg, number, local_date(now))?;
        if let Some(v) = expected_version
            && v != t.version
        {
            return Err(Refusal::Stale {
                by: t.updated_by.clone().unwrap_or_else(|| "desk".into()),
                at: local_time(t.updated_at),
            }
            .into());
        }
        Ok(t)
    }

    pub(crate) fn apply_assignment(
        tx: &Connection,
        cfg: &Config,
        t: &Ticket,
        a: &Assignment,
        group: Option<&str>,
        actor: &Actor,
        now: i64,
    ) -> Result<Changed> {
        let status = a.status_to.clone().unwrap_or_else(|| t.status.clone());
        let open = cfg.lifecycle.category(&status).is_none_or(|c| c.is_open());
        tx.prepare_cached(
            "UPDATE tickets SET assignee_id = ?1, status = ?2, is_open = ?3,
                group_code = coalesce(?4, group_code),
                updated_at = ?5, updated_by = ?6, version = version + 1
             WHERE id = ?7",
        )
        .and_then(|mut s| {
            s.execute(params![
                a.to.as_ref().map(|x| x.id),
                status,
                open,
                group,
                now,
                actor.id(),
                t.id
            ])
        })?;
        if let Some(to) = &a.to {
            tx.execute(
                "UPDATE agents SET last_assigned_at = ?1 WHERE id = ?2",
                params![now, to.id],
            )?;
        }
        let h = History::new(tx, t.id, &t.number, now, Some(actor));
        if a.from.as_ref().map(|x| x.id) != a.to.as_ref().map(|x| x.id) {
            h.record(
                EventKind::Assigned,
                a.from.as_ref().map(|x| x.login.as_str()),
                a.to.as_ref().map(|x| x.login.as_str()),
                a.reason.as_deref(),
            )?;
        }
        if let Some(g) = group
            && t.group.as_deref() != Some(g)
        {
            h.record(
                EventKind::Group,
                t.group.as_deref(),
                Some(g),
                a.reason.as_deref(),
            )?;
        }
        if status != t.status {
            h.record(EventKind::Status, Some(&t.status), Some(&status), None)?;
        }
        crate::store::sla::refresh(tx, cfg, t.id, now)?;
        let warning = match &a.to {
            Some(to) if a.over_capacity => {
                candidate(tx, to.id)?.map(|c| (c.agent.login, c.load, c.capacity))
            }
            _ => None,
        };
        Ok(Changed {
            number: t.number.clone(),
            version: t.version + 1,
            status_from: t.status.clone(),
            status,
            warning,
        })
    }

    fn me(tx: &Connection, actor: &Actor) -> Result<Candidate> {
        candidate(tx, actor.id())?
            .ok_or_else(|| Error::NotFound(msg!("error.no_agent", login = &actor.agent.login)))
    }

    /// The actor takes the ticket (a take-over, with a reason, if it is someone else's).
    pub fn claim(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        reason: Option<&str>,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Changed> {
        self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, expected_version, now)?;
            let me = Self::me(tx, actor)?;
            let a = attribution::claim(&cfg.lifecycle, &t.state(), actor, &me, reason)?;
            Self::apply_assignment(tx, cfg, &t, &a, None, actor, now)
        })
    }

    /// Gives the ticket to `login` and/or moves it to `group`, with a reason when it had an
    /// owner.
    #[allow(clippy::too_many_arguments)]
    pub fn assign(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        login: Option<&str>,
        group: Option<&str>,
        reason: Option<&str>,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Changed> {
        let group = group.map(|g| g.trim().to_ascii_uppercase());
        self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, expected_version, now)?;
            if let Some(g) = &group {
                ensure_group(tx, cfg, g)?;
            }
            let a = match login {
                Some(login) => {
                    let id = crate::store::agents::agent_id(tx, login)?;
                    let target = candidate(tx, id)?
                        .ok_or_else(|| Error::NotFound(msg!("error.no_agent", login = login)))?;
                    attribution::give(&cfg.lifecycle, &t.state(), actor, &target, reason)?
                }
                None => {
                    let Some(g) = &group else {
                        return Err(Error::Invalid(msg!("error.assign_to_whom")));
                    };
                    attribution::move_group(&t.state(), actor, t.group.as_deref(), g, reason)?
                }
            };
            Self::apply_assignment(tx, cfg, &t, &a, group.as_deref(), actor, now)
        })
    }

    /// Returns the ticket to its group's queue.
    pub fn unassign(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        reason: Option<&str>,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Changed> {
        self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, expected_version, now)?;
            let a = attribution::unassign(&cfg.lifecycle, &t.state(), actor, reason)?;
            Self::apply_assignment(tx, cfg, &t, &a, None, actor, now)
        })
    }

    /// Changes the status, as the lifecycle allows, recording outcome, reason and answer.
    #[allow(clippy::too_many_arguments)]
    pub fn move_to(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        to: &str,
        fields: &Fields,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Changed> {
        let mut fields = fields.clone();
        if let Some(r) = &fields.reason {
            fields.reason = Some(text_arg("reason", r, limits::NOTE_BYTES, false)?);
        }
        if let Some(a) = &fields.answer {
            fields.answer = Some(text_arg("answer", a, limits::NOTE_BYTES, false)?);
        }
        self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, expected_version, now)?;
            let tr = cfg.lifecycle.check(&t.state(), to, actor, &fields)?;
            apply_move(tx, cfg, &t, &tr, actor, now)
        })
    }

    /// Adds an internal note. Anyone may add one to any ticket; it changes no state.
    pub fn comment(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        text: &str,
        now: i64,
    ) -> Result<String> {
        self.note(cfg, actor, number, text, now, EventKind::Comment)
    }

    /// Records a public answer sent to the requester (the first one is the first response).
    pub fn reply(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        text: &str,
        now: i64,
    ) -> Result<String> {
        self.note(cfg, actor, number, text, now, EventKind::Reply)
    }

    fn note(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        text: &str,
        now: i64,
        kind: EventKind,
    ) -> Result<String> {
        let field = if kind == EventKind::Reply {
            "answer"
        } else {
            "comment"
        };
        let text = text_arg(field, text.trim(), limits::NOTE_BYTES, false)?;
        if text.is_empty() {
            return Err(Refusal::EmptyText { field }.into());
        }
        self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, None, now)?;
            let action = if kind == EventKind::Reply {
                Action::Reply
            } else {
                Action::Comment
            };
            rights::check(actor, action, t.assignee.as_ref().map(|o| &o.agent))?;
            History::new(tx, t.id, &t.number, now, Some(actor)).record(
                kind,
                None,
                None,
                Some(&text),
            )?;
            tx.execute(
                "UPDATE tickets SET updated_at = ?1 WHERE id = ?2",
                params![now, t.id],
            )?;
            if kind == EventKind::Reply {
                crate::store::sla::refresh(tx, cfg, t.id, now)?;
                crate::store::outbox::on_reply(tx, cfg, t.id, &text, now)?;
            }
            Ok(t.number)
        })
    }
}

impl Store {
    /// Puts a ticket back as it was in `before`, if nobody changed it since `version_after`
    /// and it is not closed (`core::undo` decides). The history keeps both the action and its
    /// undoing: this appends the steps back, marked "undo".
    pub fn undo(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        before: &Ticket,
        version_after: i64,
        now: i64,
    ) -> Result<Changed> {
        self.write(|tx| {
            let t = tx
                .prepare_cached(&format!("SELECT {COLS} FROM {FROM} WHERE t.id = ?1"))?
                .query_row([before.id], ticket_row)?;
            crate::core::undo::check(
                actor,
                &crate::core::undo::UndoCheck {
                    version_after,
                    version_now: t.version,
                    changed_by: t.updated_by.clone().unwrap_or_else(|| "desk".into()),
                    changed_at: local_time(t.updated_at),
                    category_now: cfg
                        .lifecycle
                        .category(&t.status)
                        .unwrap_or(crate::core::model::StatusCategory::Active),
                },
            )?;
            let open = cfg
                .lifecycle
                .category(&before.status)
                .is_none_or(|c| c.is_open());
            tx.prepare_cached(
                "UPDATE tickets SET status = ?1, is_open = ?2, outcome = ?3, reason = ?4,
                    answer = ?5, assignee_id = ?6, group_code = ?7, resolved_at = ?8,
                    closed_at = ?9, first_response_at = ?10, satisfaction = ?11,
                    reassignments = ?12, updated_at = ?13, updated_by = ?14,
                    version = version + 1
                 WHERE id = ?15",
            )?
            .execute(params![
                before.status,
                open,
                before.outcome.map(|o| o.as_str()),
                before.reason,
                before.answer,
                before.assignee.as_ref().map(|o| o.agent.id),
                before.group,
                before.resolved_at,
                before.closed_at,
                before.first_response_at,
                before.satisfaction,
                before.reassignments,
                now,
                actor.id(),
                t.id
            ])?;
            let h = History::new(tx, t.id, &t.number, now, Some(actor));
            let login = |o: &Option<Owner>| o.as_ref().map(|o| o.agent.login.clone());
            if login(&t.assignee) != login(&before.assignee) {
                h.record(
                    EventKind::Assigned,
                    login(&t.assignee).as_deref(),
                    login(&before.assignee).as_deref(),
                    Some("undo"),
                )?;
            }
            if t.group != before.group {
                h.record(
                    EventKind::Group,
                    t.group.as_deref(),
                    before.group.as_deref(),
                    Some("undo"),
                )?;
            }
            if t.status != before.status {
                h.record(
                    EventKind::Status,
                    Some(&t.status),
                    Some(&before.status),
                    Some("undo"),
                )?;
            }
            if t.outcome != before.outcome || t.reason != before.reason {
                h.record(
                    EventKind::Outcome,
                    t.outcome.map(|o| o.as_str()),
                    before.outcome.map(|o| o.as_str()),
                    before.reason.as_deref().or(Some("undo")),
                )?;
            }
            crate::store::sla::refresh(tx, cfg, t.id, now)?;
            crate::store::outbox::on_undo(tx, t.id, version_after, now)?;
            Ok(Changed {
                number: t.number.clone(),
                version: t.version + 1,
                status_from: t.status.clone(),
                status: before.status.clone(),
                warning: None,
            })
        })
    }
}

/// Records a status change the rules allowed (`Lifecycle::check`, or `Lifecycle::resume` when
/// the requester answers) inside the caller's transaction: the ticket, its history, its
/// clocks, and the notice the change owes the requester.
pub(crate) fn apply_move(
    tx: &Connection,
    cfg: &Config,
    t: &Ticket,
    tr: &crate::core::lifecycle::Transition,
    actor: &Actor,
    now: i64,
) -> Result<Changed> {
    let open = tr.to_category.is_open();
    let reopened = tr.from_category.is_finished() && open;
    let (set_outcome, outcome, note) = match &tr.outcome {
        OutcomeChange::Keep => (false, t.outcome, t.reason.clone()),
        OutcomeChange::Set(o, n) => (true, Some(*o), n.clone()),
        OutcomeChange::Clear => (true, None, None),
    };
    // The answer belongs to the decision it was given with: a new decision (or none)
    // starts without one; the earlier answers stay in the history.
    let answer = match (&tr.answer, &tr.outcome) {
        (Some(a), _) => Some(a.clone()),
        (None, OutcomeChange::Keep) => t.answer.clone(),
        (None, OutcomeChange::Set(..) | OutcomeChange::Clear) => None,
    };
    use crate::core::model::StatusCategory as C;
    tx.prepare_cached(
        "UPDATE tickets SET status = ?1, is_open = ?2, outcome = ?3, reason = ?4,
            answer = ?5,
            resolved_at = CASE WHEN ?7 THEN ?6 WHEN ?9 THEN NULL ELSE resolved_at END,
            closed_at = CASE WHEN ?8 THEN ?6 WHEN ?9 THEN NULL ELSE closed_at END,
            satisfaction = CASE WHEN ?9 THEN NULL ELSE satisfaction END,
            updated_at = ?6, updated_by = ?10, version = version + 1
         WHERE id = ?11",
    )
    .and_then(|mut s| {
        s.execute(params![
            tr.to,
            open,
            outcome.map(|o| o.as_str()),
            note,
            answer,
            now,
            tr.to_category == C::Done,
            tr.to_category == C::Closed,
            reopened,
            actor.id(),
            t.id
        ])
    })?;
    let h = History::new(tx, t.id, &t.number, now, Some(actor));
    h.record(
        EventKind::Status,
        Some(&tr.from),
        Some(&tr.to),
        tr.reason.as_deref(),
    )?;
    if set_outcome && (outcome != t.outcome || note != t.reason) {
        h.record(
            EventKind::Outcome,
            t.outcome.map(|o| o.as_str()),
            outcome.map(|o| o.as_str()),
            note.as_deref(),
        )?;
    }
    if let Some(a) = &tr.answer {
        h.record(EventKind::Reply, None, None, Some(a))?;
    }
    crate::store::sla::refresh(tx, cfg, t.id, now)?;
    crate::store::outbox::on_status(tx, cfg, t.id, tr, t.version + 1, now)?;
    Ok(Changed {
        number: t.number.clone(),
        version: t.version + 1,
        status_from: tr.from.clone(),
        status: tr.to.clone(),
        warning: None,
    })
}
