//! Applying a store operation to the tickets highlighted (or marked): one undo entry per
//! ticket that core allows undoing, one line saying what happened, a refresh. A ticket changed
//! by someone else meanwhile is refused (never overwritten) and the view reloads.

use super::{App, Level, Pane, UndoBatch};
use crate::core::config::Config;
use crate::core::keys::{Action, Context};
use crate::core::model::Actor;
use crate::core::refusal::Refusal;
use crate::core::undo::{UndoCheck, check as undo_check};
use crate::error::{Error, Result};
use crate::store::{Changed, Store, Ticket};

/// What applying an operation to tickets came to.
#[derive(Default)]
pub(super) struct Applied {
    pub done: usize,
    /// The tickets it failed for, as they are now, and the first error.
    pub failed: Vec<Ticket>,
    pub first_error: Option<String>,
}

impl App {
    /// Whether core allows undoing a change that left a ticket in `status`.
    fn undoable(&self, actor: &Actor, c: &Changed) -> bool {
        let Some(category_now) = self.cfg().lifecycle.category(&c.status) else {
            return false;
        };
        // Just done by this actor.
        let check = UndoCheck {
            version_after: c.version,
            version_now: c.version,
            changed_by: actor.agent.login.clone(),
            changed_at: String::new(),
            category_now,
        };
        undo_check(actor, &check).is_ok()
    }

    /// Applies one store operation to each target; one undo entry per ticket that changed
    /// (where core allows undoing it); a summary message; a refresh. A ticket changed by
    /// someone else meanwhile is refused (never overwritten) and the view reloads.
    pub(super) fn apply_each<F>(
        &mut self,
        label: String,
        undoable: bool,
        targets: Vec<Ticket>,
        mut op: F,
    ) -> Applied
    where
        F: FnMut(&mut Store, &Config, &Actor, &Ticket, i64) -> Result<Changed>,
    {
        let mut applied = Applied {
            done: 0,
            failed: Vec::new(),
            first_error: None,
        };
        let Some(actor) = self.actor() else {
            return applied;
        };
        let (now, cat) = (self.now, self.session.catalog);
        let mut entries = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        let mut warning: Option<String> = None;
        for t in &targets {
            let s = &mut self.session;
            match op(&mut s.store, &s.cfg, &actor, t, now) {
                Ok(c) => {
                    if let Some((login, load, capacity)) = &c.warning {
                        warning.get_or_insert(cat.f(
                            "msg.over_capacity",
                            &[
                                ("login", login.clone()),
                                ("load", load.to_string()),
                                ("capacity", capacity.to_string()),
                            ],
                        ));
                    }
                    applied.done += 1;
                    if undoable && self.undoable(&actor, &c) {
                        entries.push((t.clone(), c.version));
                    }
                }
                Err(e) => {
                    errors.push(match e {
                        Error::Refused(Refusal::Stale { by, at }) => cat.f(
                            "ui.stale_reloaded",
                            &[("number", t.number.clone()), ("by", by), ("at", at)],
                        ),
                        e => format!("{}: {}", t.number, e.message(cat)),
                    });
                    let now = self.session.store.get(t.id).ok().flatten();
                    applied.failed.push(now.unwrap_or_else(|| t.clone()));
                }
            }
        }
        if applied.done > 0 {
            self.queue.marks.clear();
            if undoable {
                self.undo = (!entries.is_empty()).then(|| UndoBatch {
                    label: label.clone(),
                    entries,
                });
            }
        }
        if let Err(e) = self.refresh(false) {
            self.fail(&e);
        }
        let followed = self.follow(&targets);
        applied.first_error = errors.first().cloned();
        self.say_applied(&label, &applied, errors.len(), warning);
        if let (Some(m), Some(text)) = (self.message.as_mut(), followed) {
            m.text.push_str(&text);
        }
        applied
    }

    /// A ticket open in the ticket pane stays in front of the person who changed it: when
    /// the change took it out of the queue, the queue that holds it now is shown (in the
    /// queue pane, the cursor moves on to the next ticket instead).
    fn follow(&mut self, targets: &[Ticket]) -> Option<String> {
        let [one] = targets else { return None };
        if self.focus != Pane::Detail
            || self.queue.selected().is_some_and(|r| r.ticket.id == one.id)
        {
            return None;
        }
        let now = self.session.store.get(one.id).ok().flatten()?;
        let text = self.highlight(&now);
        if self.queue.selected().is_some_and(|r| r.ticket.id == one.id) {
            self.focus = Pane::Detail;
            self.set_height();
        }
        Some(text)
    }

    fn say_applied(&mut self, label: &str, a: &Applied, failed: usize, warning: Option<String>) {
        let cat = self.session.catalog;
        let done = a.done.to_string();
        match &a.first_error {
            None => {
                let mut text = cat.f("ui.done", &[("what", label.into()), ("n", done)]);
                if let Some(w) = warning {
                    text.push_str(&format!(" · {w}"));
                }
                if self.undo.as_ref().is_some_and(|u| u.label == label) {
                    let key = self.ctx().key(Context::Queue, Action::Undo);
                    text.push_str(&format!(" · {}", cat.f("ui.undo_hint", &[("key", key)])));
                }
                self.say(Level::Ok, text);
            }
            Some(first) if a.done == 0 => self.say(Level::Error, first.clone()),
            Some(first) => {
                let text = cat.f(
                    "ui.partly",
                    &[
                        ("what", label.into()),
                        ("n", done),
                        ("failed", failed.to_string()),
                        ("first", first.clone()),
                    ],
                );
                self.say(Level::Error, text);
            }
        }
    }
}
