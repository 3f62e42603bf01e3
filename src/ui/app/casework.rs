//! Case work on the highlighted ticket: correcting it (`e`), merging it into the ticket it
//! repeats (`M`), linking it to another (`L`).

use super::{App, Level};
use crate::core::edit::Edit;
use crate::core::merge::LinkKind;
use crate::ui::overlays::Overlay;
use crate::ui::overlays::edit::EditForm;
use crate::ui::overlays::relate::{Relate, RelateForm, Relation};

impl App {
    /// The ticket one dialog works on: the highlighted one (several marked: said, nothing
    /// opened — corrections are made one ticket at a time).
    pub(super) fn one_target(&mut self) -> Option<crate::store::Ticket> {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return None;
        }
        if targets.len() > 1 {
            let text = self.session.catalog.t("ui.one_at_a_time").to_string();
            self.say(Level::Info, text);
            return None;
        }
        targets.into_iter().next()
    }

    /// `e`: the correction form, holding what the ticket says now.
    pub(super) fn open_edit(&mut self) {
        let Some(t) = self.one_target() else { return };
        let groups = self.assign.groups.iter().map(|g| g.code.clone()).collect();
        let form = EditForm::new(t, groups, &self.ctx());
        self.overlays.push(Overlay::Edit(Box::new(form)));
    }

    /// Saves a correction (refused: the form stays, with what was typed and why).
    pub(super) fn apply_edit(&mut self, mut form: Box<EditForm>, e: &Edit) {
        let Some(actor) = self.actor() else { return };
        let (now, cat) = (self.now, self.session.catalog);
        let s = &mut self.session;
        let number = form.ticket.number.clone();
        match s
            .store
            .edit(&s.cfg, &actor, &number, e, Some(form.ticket.version), now)
        {
            Ok(done) => {
                if let Err(e) = self.refresh(false) {
                    self.fail(&e);
                }
                let mut parts: Vec<String> = done
                    .changes
                    .iter()
                    .map(|c| crate::present::change_text(cat, c))
                    .collect();
                if let Some(from) = &done.returned_from {
                    parts.push(cat.f(
                        "msg.rerouted_from",
                        &[("number", number.clone()), ("login", from.clone())],
                    ));
                }
                if let Some(to) = &done.assigned_to {
                    parts.push(cat.f("msg.auto_assigned", &[("login", to.clone())]));
                }
                let mut text = format!("{number}: {}", parts.join(" · "));
                if let Ok(Some(t)) = self.session.store.get(form.ticket.id) {
                    text.push_str(&self.highlight(&t));
                }
                self.say(Level::Ok, text);
            }
            Err(err) => {
                form.error = Some(format!("{} — {}", err.message(cat), cat.t("ui.text_kept")));
                // A colleague's change: the form keeps what was typed, against the ticket as
                // it is now.
                if let Ok(Some(t)) = self.session.store.get(form.ticket.id) {
                    form.ticket = t;
                }
                self.overlays.push(Overlay::Edit(form));
            }
        }
    }
}

impl App {
    /// `M` (merge into another ticket) and `L` (link to another, or unlink).
    pub(super) fn open_relate(&mut self, relation: Relation) {
        let Some(t) = self.one_target() else { return };
        let form = RelateForm::new(relation, t, &self.ctx());
        self.overlays.push(Overlay::Relate(Box::new(form)));
    }

    /// Looks the number typed so far up: the ticket it names (a duplicate's number: the one
    /// it leads to), or why it names none.
    pub(super) fn look_up_other(&mut self, form: &mut RelateForm) {
        let typed = form.other();
        if typed.is_empty() {
            form.found = None;
            return;
        }
        let cat = self.session.catalog;
        let today = crate::time::date(self.now);
        form.found = Some(
            match self.session.store.find(&self.session.cfg, &typed, today) {
                Ok(t) => Ok(format!(
                    "{} · {} · {}",
                    t.number,
                    crate::present::status(&self.session.cfg, cat, &t.status),
                    crate::core::sanitize::clean_line(&t.subject)
                )),
                Err(e) => Err(e.message(cat)),
            },
        );
    }

    /// Merges, links or unlinks as the form says (refused: the form stays, with why).
    pub(super) fn apply_relate(&mut self, mut form: Box<RelateForm>, rel: Relate) {
        let Some(actor) = self.actor() else { return };
        let (now, cat) = (self.now, self.session.catalog);
        let s = &mut self.session;
        let this = form.ticket.number.clone();
        let done = match &rel {
            Relate::Merge { into, reason } => s
                .store
                .merge(
                    &s.cfg,
                    &actor,
                    &this,
                    into,
                    Some(reason.as_str()),
                    Some(form.ticket.version),
                    now,
                )
                .map(|m| {
                    let status = crate::present::status(&s.cfg, cat, &m.status);
                    cat.f(
                        "msg.merged",
                        &[
                            ("number", m.duplicate),
                            ("into", m.target),
                            ("status", status),
                        ],
                    )
                }),
            Relate::Link {
                parent,
                child,
                kind,
            } => s
                .store
                .link(&s.cfg, &actor, parent, child, *kind, now)
                .map(|(a, b)| {
                    let key = match kind {
                        LinkKind::Parent => "msg.linked_parent",
                        LinkKind::Related => "msg.linked",
                    };
                    cat.f(key, &[("a", a), ("b", b)])
                }),
            Relate::Unlink { other } => s
                .store
                .unlink(&s.cfg, &actor, &this, other, now)
                .map(|(a, b)| cat.f("msg.unlinked", &[("a", a), ("b", b)])),
        };
        match done {
            Ok(text) => {
                if let Err(e) = self.refresh(false) {
                    self.fail(&e);
                }
                self.say(Level::Ok, text);
            }
            Err(err) => {
                form.error = Some(format!("{} — {}", err.message(cat), cat.t("ui.text_kept")));
                if let Ok(Some(t)) = self.session.store.get(form.ticket.id) {
                    form.ticket = t;
                }
                self.overlays.push(Overlay::Relate(form));
            }
        }
    }
}
