//! Correcting a ticket after intake (`desk edit`, `e` in the desk): core decides what changes
//! and whether this person may change it; each change is one event (before → after); a
//! category change routes the ticket again only when asked.

use super::*;
use crate::core::config::Config;
use crate::core::edit::{self, Change, Edit, EditField};
use crate::core::model::{Actor, EventKind, limits};
use crate::error::Result;
use crate::store::db::{Connection, params};

/// What an edit did, for the confirmation lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edited {
    pub number: String,
    pub version: i64,
    /// The fields changed, before → after (with the group routing chose, on `reroute`).
    pub changes: Vec<Change>,
    /// Routing again took the ticket from its owner, who does not work in its new group.
    pub returned_from: Option<String>,
    /// …and the new group's automatic assignment gave it to this agent.
    pub assigned_to: Option<String>,
}

/// The text fields of an edit, cleaned and checked against their limits; the category
/// resolved against the configuration and the group upper-cased.
fn cleaned(cfg: &Config, e: &Edit) -> Result<Edit> {
    let line = |field: &str, v: &Option<String>, limit: usize| -> Result<Option<String>> {
        v.as_deref()
            .map(|v| text_arg(field, v.trim(), limit, true))
            .transpose()
    };
    Ok(Edit {
        subject: line("subject", &e.subject, limits::SUBJECT_CHARS)?,
        requester: line("requester", &e.requester, limits::NAME_CHARS)?,
        contact: line("contact", &e.contact, limits::NAME_CHARS)?,
        category: category_arg(cfg, e.category.as_deref())?,
        group: e.group.as_ref().map(|g| g.trim().to_ascii_uppercase()),
        priority: e.priority,
        reroute: e.reroute,
    })
}

/// The group routing gives a ticket of `category` with this text (None: the category has
/// none, and the ticket keeps its group).
fn routed_group(cfg: &Config, t: &Ticket, category: &str) -> Option<String> {
    cfg.router()
        .route(&t.subject, &t.body, Some(category), None)
        .group
}

fn agent_groups(conn: &Connection, agent: i64) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT group_code FROM members WHERE agent_id = ?1")?;
    let rows = stmt.query_map([agent], |r| r.get(0))?;
    rows.collect()
}

impl Store {
    /// Corrects what intake recorded, in one transaction: each field that differs becomes a
    /// `field` event (a group change a `group` event), the service-level figures follow the
    /// new priority and category. With `reroute`, the new category's routing chooses the
    /// group; an owner who does not work there gives the ticket back to that group's queue
    /// (where automatic assignment may give it to a member).
    pub fn edit(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        e: &Edit,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Edited> {
        let e = cleaned(cfg, e)?;
        self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, expected_version, now)?;
            let current = edit::Current {
                subject: t.subject.clone(),
                category: t.category.clone(),
                priority: t.priority,
                group: t.group.clone(),
                requester: t.requester.clone(),
                contact: t.contact.clone(),
                assignee: t.assignee.as_ref().map(|o| o.agent.clone()),
            };
            let mut plan = edit::plan(&current, &e, actor, &cfg.rights.edit)?;
            if let Some(g) = &e.group {
                ensure_group(tx, cfg, g)?;
            }
            if plan.reroute
                && let Some(c) = plan.changes(EditField::Category)
                && let Some(g) = routed_group(cfg, &t, &c.to.clone())
                && t.group.as_deref() != Some(g.as_str())
            {
                ensure_group(tx, cfg, &g)?;
                plan.changes.push(Change {
                    field: EditField::Group,
                    from: t.group.clone().unwrap_or_default(),
                    to: g,
                });
            }
            let value = |f: EditField| plan.changes(f).map(|c| c.to.clone());
            let priority = plan
                .changes(EditField::Priority)
                .and_then(|c| c.to.parse::<crate::core::model::Priority>().ok());
            tx.prepare_cached(
                "UPDATE tickets SET subject = coalesce(?1, subject), category = coalesce(?2, category),
                    priority = coalesce(?3, priority), group_code = coalesce(?4, group_code),
                    requester = coalesce(?5, requester), contact = coalesce(?6, contact),
                    updated_at = ?7, updated_by = ?8, version = version + 1
                 WHERE id = ?9",
            )?
            .execute(params![
                value(EditField::Subject),
                value(EditField::Category),
                priority.map(|p| p.rank()),
                value(EditField::Group),
                value(EditField::Requester),
                value(EditField::Contact),
                now,
                actor.id(),
                t.id
            ])?;
            let h = History::new(tx, t.id, &t.number, now, Some(actor));
            for c in &plan.changes {
                match c.field {
                    EditField::Group => h.record(
                        EventKind::Group,
                        (!c.from.is_empty()).then_some(c.from.as_str()),
                        Some(&c.to),
                        plan.reroute.then_some("routed again"),
                    )?,
                    f => h.record(
                        EventKind::Field,
                        Some(&c.from),
                        Some(&c.to),
                        Some(f.as_str()),
                    )?,
                }
            }
            if let Some(c) = plan.changes(EditField::Contact) {
                // Notices that could not reach the requester go to the corrected address.
                crate::store::outbox::on_contact(tx, cfg, t.id, &c.to, t.channel, now)?;
            }
            let mut edited = Edited {
                number: t.number.clone(),
                version: t.version + 1,
                changes: plan.changes.clone(),
                returned_from: None,
                assigned_to: None,
            };
            let new_group = plan.changes(EditField::Group).map(|c| c.to.clone());
            if plan.reroute
                && let Some(g) = &new_group
            {
                edited = Self::follow_routing(tx, cfg, &t, g, &h, edited)?;
            }
            crate::store::sla::refresh(tx, cfg, t.id, now)?;
            Ok(edited)
        })
        .map_err(|e| self.map_db(e))
    }

    /// After routing a ticket again into `group`: an owner who does not work there gives it
    /// back to the group's queue, where automatic assignment may give it to a member. Each
    /// step is an event, by the desk itself (routing did it, not the person).
    fn follow_routing(
        tx: &Connection,
        cfg: &Config,
        t: &Ticket,
        group: &str,
        h: &History<'_>,
        mut edited: Edited,
    ) -> Result<Edited> {
        let life = &cfg.lifecycle;
        let mut status = t.status.clone();
        let mut owner = t.assignee.as_ref().map(|o| o.agent.clone());
        if let Some(o) = &owner
            && !edit::owner_stays(&agent_groups(tx, o.id)?, Some(group))
        {
            h.by_desk().record(
                EventKind::Assigned,
                Some(&o.login),
                None,
                Some("routed to another group"),
            )?;
            if let Some(tr) = life.on_unassign(&status) {
                h.by_desk()
                    .record(EventKind::Status, Some(&status), Some(&tr.to), None)?;
                status = tr.to.clone();
            }
            edited.returned_from = Some(o.login.clone());
            owner = None;
        }
        let open = life.category(&status).is_none_or(|c| c.is_open());
        if owner.is_none()
            && open
            && let Some(a) = auto_assignee(tx, cfg, group)?
        {
            record_auto_assignment(h, tx, cfg, group, &a, h.at())?;
            if let Some(tr) = life.on_assign(&status) {
                h.by_desk()
                    .record(EventKind::Status, Some(&status), Some(&tr.to), None)?;
                status = tr.to.clone();
            }
            edited.assigned_to = Some(a.login.clone());
            owner = Some(a);
        }
        let open = life.category(&status).is_none_or(|c| c.is_open());
        tx.prepare_cached(
            "UPDATE tickets SET assignee_id = ?1, status = ?2, is_open = ?3 WHERE id = ?4",
        )?
        .execute(params![owner.map(|o| o.id), status, open, t.id])?;
        Ok(edited)
    }
}
