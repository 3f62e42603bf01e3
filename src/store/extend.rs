//! `desk extend`: a ticket's deadline moved by a time given, with a reason (core::extend
//! decides; the SLA figures follow from the history's `extended` event). The requester is
//! told the new deadline and why (the outbox, when the desk mails), in their language.

use super::Store;
use super::sla::{clock_events, compute_for};
use super::tickets::History;
use crate::core::extend::{self, Extending};
use crate::core::model::{Actor, EventKind};
use crate::core::sla::{ClockEvent, ClockKind};
use crate::error::Result;
use crate::i18n::Catalog;
use crate::store::db::params;

/// An extension made: the ticket and its new deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extended {
    pub number: String,
    pub by: i64,
    pub due: Option<i64>,
    pub version: i64,
}

impl Store {
    /// Extends ticket `number`'s deadline by `by` seconds of the targets' time, for `reason`.
    #[allow(clippy::too_many_arguments)]
    pub fn extend(
        &mut self,
        cfg: &crate::core::config::Config,
        actor: &Actor,
        number: &str,
        by: i64,
        reason: Option<&str>,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Extended> {
        self.write(|tx| {
            let t = Self::load_for_change(tx, cfg, number, expected_version, now)?;
            let mut events = clock_events(tx, t.id)?;
            let sla = compute_for(cfg, &events, t.priority, &t.category, now);
            let owner = t.assignee.as_ref().map(|o| &o.agent);
            let reason = extend::check(
                actor,
                &Extending {
                    owner,
                    open: cfg
                        .lifecycle
                        .category(&t.status)
                        .is_some_and(|c| c.is_open()),
                    has_target: sla
                        .clock(ClockKind::Resolution)
                        .is_some_and(|c| c.target.is_some()),
                },
                &cfg.rights.extend,
                reason,
            )?;
            events.push(ClockEvent {
                at: now,
                kind: EventKind::Extended,
                from: Some(by.to_string()),
                to: None,
                by_agent: true,
                undo: false,
            });
            let due = compute_for(cfg, &events, t.priority, &t.category, now)
                .clock(ClockKind::Resolution)
                .and_then(|c| c.due);
            History::new(tx, t.id, &t.number, now, Some(actor)).record(
                EventKind::Extended,
                Some(&by.to_string()),
                due.map(|d| d.to_string()).as_deref(),
                Some(&reason),
            )?;
            tx.prepare_cached(
                "UPDATE tickets SET updated_at = ?1, updated_by = ?2, version = version + 1
                 WHERE id = ?3",
            )?
            .execute(params![now, actor.id(), t.id])?;
            crate::store::sla::refresh(tx, cfg, t.id, now)?;
            // The requester hears of it in their own language.
            let (_, own) = super::requester::of(tx, t.id)?;
            let cat = Catalog::for_lang(super::requester::language(cfg, own.as_deref()));
            let when = due.map_or_else(String::new, crate::time::format);
            let text = cat.f(
                "extend.notice",
                &[
                    ("number", t.number.clone()),
                    ("due", when),
                    ("reason", reason.clone()),
                ],
            );
            super::outbox::on_reply(tx, cfg, t.id, &text, now)?;
            Ok(Extended {
                number: t.number.clone(),
                by,
                due,
                version: t.version + 1,
            })
        })
    }
}
