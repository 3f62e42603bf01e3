//! `desk check`'s replay of the fields a ticket's history determines: the request intake took
//! (subject, body, requester, contact — sealed in the `created` event, then changed only by
//! `field` events), its channel, category and priority (the `created` event, then `field`
//! events) and its group once a `group` event moved it. One pass over the history in order,
//! no query per ticket.

use super::check::Violation;
use crate::core::chain::{self, REQUEST_FIELDS};
use crate::core::model::Priority;
use crate::store::db::Connection;

/// One ticket as stored and as its history, replayed so far, says it is.
#[derive(Default)]
struct Replay {
    id: i64,
    number: String,
    /// Subject, body, requester and contact as stored (the order of `REQUEST_FIELDS`).
    stored: [String; 4],
    channel: String,
    category: String,
    priority: Option<&'static str>,
    group: Option<String>,
    /// The request's seal from the `created` event, if it records one.
    seal: Option<String>,
    /// Each request field's value before its first edit, and after its last.
    before: [Option<String>; 4],
    after: [Option<String>; 4],
    /// Channel, category, priority from the history; the group once an event set it.
    h_channel: Option<String>,
    h_category: Option<String>,
    h_priority: Option<String>,
    h_group: Option<Option<String>>,
}

impl Replay {
    fn event(
        &mut self,
        kind: &str,
        from: Option<String>,
        to: Option<String>,
        text: Option<String>,
    ) {
        match kind {
            "created" => {
                if let Some(c) = text.as_deref().and_then(chain::parse_created) {
                    self.h_channel = Some(c.channel.to_string());
                    self.h_category = Some(c.category.to_string());
                    self.h_priority = Some(c.priority.to_string());
                    self.seal = c.seal.map(str::to_string);
                }
            }
            "group" => self.h_group = Some(to),
            _ => match text.as_deref() {
                Some("category") => self.h_category = to,
                Some("priority") => self.h_priority = to,
                Some(f) => {
                    if let Some(i) = REQUEST_FIELDS.iter().position(|x| *x == f) {
                        if self.before[i].is_none() {
                            self.before[i] = Some(from.unwrap_or_default());
                        }
                        self.after[i] = to;
                    }
                }
                None => {}
            },
        }
    }

    /// The fields that are not what the history says.
    fn differing(&self) -> Vec<&'static str> {
        let mut bad = Vec::new();
        for (i, f) in REQUEST_FIELDS.iter().enumerate() {
            if self.after[i].as_ref().is_some_and(|a| *a != self.stored[i]) {
                bad.push(*f);
            }
        }
        if let Some(seal) = &self.seal {
            match chain::seals(seal) {
                None => bad.push("request"),
                Some(seals) => {
                    for (i, f) in REQUEST_FIELDS.iter().enumerate() {
                        let first = self.before[i].as_deref().unwrap_or(&self.stored[i]);
                        if chain::field_seal(f, first) != seals[i] && !bad.contains(f) {
                            bad.push(*f);
                        }
                    }
                }
            }
        }
        let differs = |h: &Option<String>, stored: Option<&str>| {
            h.as_ref().is_some_and(|h| Some(h.as_str()) != stored)
        };
        if differs(&self.h_channel, Some(&self.channel)) {
            bad.push("channel");
        }
        if differs(&self.h_category, Some(&self.category)) {
            bad.push("category");
        }
        if differs(&self.h_priority, self.priority) {
            bad.push("priority");
        }
        if self.h_group.as_ref().is_some_and(|g| *g != self.group) {
            bad.push("group");
        }
        bad
    }
}

/// Every ticket's fields the history determines are what it says.
pub(super) fn check(c: &Connection) -> rusqlite::Result<Vec<Violation>> {
    let mut v = Vec::new();
    let mut stmt = c.prepare(
        "SELECT e.ticket_id, t.number, t.subject, t.body, t.requester, t.contact, t.channel,
                t.category, t.priority, t.group_code, e.kind, e.from_value, e.to_value, e.text
         FROM events e JOIN tickets t ON t.id = e.ticket_id
         WHERE e.kind IN ('created', 'field', 'group')
         ORDER BY e.ticket_id, e.id",
    )?;
    let mut rows = stmt.query([])?;
    let mut cur: Option<Replay> = None;
    let finish = |r: Replay, v: &mut Vec<Violation>| {
        for f in r.differing() {
            v.push(Violation::said(
                Some(r.number.clone()),
                "check.field_history",
                vec![("field", f.to_string())],
            ));
        }
    };
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        if cur.as_ref().is_none_or(|r| r.id != id) {
            if let Some(done) = cur.take() {
                finish(done, &mut v);
            }
            let rank: i64 = row.get(8)?;
            cur = Some(Replay {
                id,
                number: row.get(1)?,
                stored: [row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?],
                channel: row.get(6)?,
                category: row.get(7)?,
                priority: Priority::from_rank(rank).map(|p| p.as_str()),
                group: row.get(9)?,
                ..Replay::default()
            });
        }
        if let Some(r) = cur.as_mut() {
            let kind: String = row.get(10)?;
            r.event(&kind, row.get(11)?, row.get(12)?, row.get(13)?);
        }
    }
    if let Some(done) = cur.take() {
        finish(done, &mut v);
    }
    Ok(v)
}
