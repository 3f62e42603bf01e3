//! What each desk action does: open a dialog, or apply a store operation to the tickets
//! highlighted (or marked), one undo entry per ticket, one line saying what happened.

use super::{App, Level, Pane, Screen, UndoBatch};
use crate::core::attribution::group_on_give;
use crate::core::config::Config;
use crate::core::keys::{Action, Context};
use crate::core::model::Actor;
use crate::core::refusal::Refusal;
use crate::core::rights;
use crate::core::undo::{UndoCheck, check as undo_check};
use crate::error::{Error, Result};
use crate::store::{Changed, Store, Ticket};
use crate::ui::keymap::queue_of;
use crate::ui::overlays::Overlay;
use crate::ui::overlays::form::NewTicketForm;
use crate::ui::overlays::palette::Palette;
use crate::ui::overlays::picker::PickerState;
use crate::ui::overlays::prompt::{Prompt, Purpose};
use crate::ui::overlays::stats::StatsState;
use crate::ui::overlays::status::{MoveOption, StatusFlow};

/// What applying an operation to tickets came to.
pub(super) struct Applied {
    pub done: usize,
    /// The tickets it failed for, as they are now, and the first error.
    pub failed: Vec<Ticket>,
    pub first_error: Option<String>,
}

impl App {
    fn actor(&self) -> Option<Actor> {
        self.actor.clone()
    }

    pub fn act(&mut self, a: Action) {
        self.dirty = true;
        if let Some(kind) = queue_of(a) {
            return self.switch_queue(kind);
        }
        match a {
            Action::Quit => self.quit = true,
            Action::Up
            | Action::Down
            | Action::PageUp
            | Action::PageDown
            | Action::Top
            | Action::Bottom => self.step(a),
            Action::Left => self.assign.move_group(-1),
            Action::Right => self.assign.move_group(1),
            Action::NextPane | Action::PrevPane => self.next_pane(a == Action::NextPane),
            Action::Open => self.open_selected(),
            Action::Back => self.back(),
            Action::Filter => self.open_filter(),
            Action::PickQueue => {
                let p = PickerState::new(self.queue.spec.kind);
                self.overlays.push(Overlay::Picker(p));
            }
            Action::Sort => {
                let all = crate::store::queue::SortKey::ALL;
                let i = all.iter().position(|k| *k == self.queue.spec.sort);
                self.set_sort(all[i.map_or(0, |i| (i + 1) % all.len())]);
            }
            Action::Reverse => self.set_sort(self.queue.spec.sort),
            Action::Mark => self.mark(),
            Action::MarkAll => self.mark_all(),
            Action::New => {
                let f = NewTicketForm::new(&self.ctx());
                self.overlays.push(Overlay::Form(Box::new(f)));
            }
            Action::Claim => self.claim(),
            Action::Assign => self.start_assign(),
            Action::Unassign => self.unassign(),
            Action::Status => self.open_status(None),
            Action::Comment => self.open_note(Purpose::Comment),
            Action::Reply => self.open_note(Purpose::Reply),
            Action::Rate => self.open_note(Purpose::Rate),
            Action::Undo => self.undo(),
            Action::Reload => match self.refresh(true) {
                Ok(()) => self.say(Level::Info, self.session.catalog.t("ui.reloaded")),
                Err(e) => self.fail(&e),
            },
            Action::Help => self.open_help(self.context()),
            Action::Stats => self.open_stats(),
            Action::Palette => {
                let mut p = Palette::new("");
                p.complete(&self.sources(&p));
                self.overlays.push(Overlay::Palette(Box::new(p)));
            }
            Action::Demo => self.load_demo(),
            _ => {} // the keys of dialogs: never bound in the panes
        }
    }

    fn step(&mut self, a: Action) {
        let page = self.queue.height as i64;
        let delta = match a {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            _ => 0,
        };
        match self.focus {
            Pane::Queue => match a {
                Action::Top => self.goto_row(0),
                Action::Bottom => self.goto_row(self.queue.total - 1),
                _ => self.move_queue(delta),
            },
            Pane::Detail => {
                let d = match a {
                    Action::Top => -100_000,
                    Action::Bottom => 100_000,
                    _ => delta,
                };
                self.detail.scroll = (self.detail.scroll as i64 + d).clamp(0, 10_000) as u16;
            }
            Pane::Assign => match a {
                Action::Top => self.assign.cursor = 0,
                Action::Bottom => self.assign.move_cursor(10_000),
                _ => self.assign.move_cursor(delta),
            },
        }
    }

    fn next_pane(&mut self, forward: bool) {
        let order = [Pane::Queue, Pane::Detail, Pane::Assign];
        let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
        self.focus = order[(i + if forward { 1 } else { 2 }) % 3];
        if self.focus == Pane::Assign {
            self.select_group_of_targets();
        }
        self.set_height();
    }

    fn open_selected(&mut self) {
        match self.focus {
            Pane::Queue if self.queue.selected().is_some() => {
                self.focus = Pane::Detail;
                self.set_height();
            }
            Pane::Assign => self.assign_to_selected_agent(),
            _ => {}
        }
    }

    fn back(&mut self) {
        if self.focus != Pane::Queue {
            self.focus = Pane::Queue;
            self.set_height();
        } else if !self.queue.marks.is_empty() {
            self.queue.marks.clear();
        } else if !self.queue.spec.text.is_empty() {
            self.apply_filter(String::new());
        } else {
            self.clear_message();
        }
    }

    fn open_filter(&mut self) {
        let cat = self.session.catalog;
        let mut p = Prompt::new(
            cat.t("ui.filter").to_string(),
            cat.t("ui.filter_label").to_string(),
            Purpose::Filter,
            false,
            false,
        );
        p.input = crate::ui::input::with_text("", &self.queue.spec.text, false);
        crate::ui::input::set_focus(&mut p.input, true);
        self.overlays.push(Overlay::Prompt(Box::new(p)));
    }

    fn mark(&mut self) {
        let Some(row) = self.queue.selected().cloned() else {
            return;
        };
        if self.queue.marks.remove(&row.ticket.id).is_none() {
            self.queue.marks.insert(row.ticket.id, row.ticket.clone());
        }
        self.move_queue(1);
    }

    fn mark_all(&mut self) {
        let visible: Vec<Ticket> = self
            .queue
            .visible()
            .iter()
            .map(|r| r.ticket.clone())
            .collect();
        if visible.iter().all(|t| self.queue.marks.contains_key(&t.id)) {
            for t in &visible {
                self.queue.marks.remove(&t.id);
            }
        } else {
            for t in visible {
                self.queue.marks.insert(t.id, t);
            }
        }
    }

    fn open_stats(&mut self) {
        let mut st = StatsState::default();
        self.load_stats(&mut st);
        self.overlays.push(Overlay::Stats(Box::new(st)));
    }

    /// Computes the Stats pane's report for its period (whole days of the desk's calendar)
    /// and group.
    pub fn load_stats(&mut self, st: &mut StatsState) {
        let days = crate::ui::overlays::stats::PERIODS[st.period];
        let today = crate::time::date(self.now);
        let first = today
            .checked_sub_days(chrono::Days::new((days - 1).max(0) as u64))
            .unwrap_or(today);
        let (from, to) = Store::period(first, today);
        let spec = crate::store::report::ReportSpec {
            from,
            to,
            by: None,
            group: st.group.clone(),
            now: self.now,
        };
        let started = std::time::Instant::now();
        match self.session.store.report(&self.session.cfg, &spec) {
            Ok(r) => st.report = Some(r),
            Err(e) => self.fail(&e),
        }
        st.millis = started.elapsed().as_millis();
        st.loaded = Some(started);
        st.dirty = false;
        st.agents = self.session.store.agents().unwrap_or_default();
    }

    /// Colleagues changed tickets: the Stats pane's report is out of date.
    pub(super) fn stats_changed(&mut self) {
        for o in &mut self.overlays {
            if let Overlay::Stats(st) = o {
                st.dirty = true;
            }
        }
    }

    /// Recomputes an out-of-date Stats report once it is due.
    pub(super) fn stats_tick(&mut self) {
        let i = self
            .overlays
            .iter()
            .position(|o| matches!(o, Overlay::Stats(st) if st.due()));
        if let Some(i) = i
            && let Overlay::Stats(mut st) = self.overlays.remove(i)
        {
            self.load_stats(&mut st);
            self.overlays.insert(i, Overlay::Stats(st));
        }
    }

    pub(super) fn select_group_of_targets(&mut self) {
        let group = self.targets().first().and_then(|t| t.group.clone());
        self.assign.select_group(group.as_deref());
    }

    pub(super) fn load_demo(&mut self) {
        let Some(actor) = self.actor() else { return };
        let now = self.now;
        let s = &mut self.session;
        match s.store.demo(&s.cfg, &actor, 300, now) {
            Ok(summary) => {
                self.screen = Screen::Desk;
                self.after_first_tickets();
                let text = self.session.catalog.f(
                    "ui.demo_loaded",
                    &[
                        ("tickets", summary.tickets.to_string()),
                        ("agents", summary.agents.to_string()),
                    ],
                );
                self.say(Level::Ok, text);
            }
            Err(e) => self.fail(&e),
        }
    }

    pub(super) fn after_first_tickets(&mut self) {
        let r = (|| -> Result<()> {
            if let Some(a) = &self.actor {
                self.queue.viewer.groups = self.session.store.groups_of(a.id())?;
            }
            self.choose_start_queue()?;
            self.queue
                .load_top(&self.session.store, &self.session.cfg)?;
            self.refresh(false)
        })();
        if let Err(e) = r {
            self.fail(&e);
        }
    }

    /// Whether core allows undoing a change that left a ticket in `status`.
    fn undoable(&self, actor: &Actor, c: &Changed) -> bool {
        let Some(category_now) = self.cfg().lifecycle.category(&c.status) else {
            return false;
        };
        let check = UndoCheck {
            done_by: actor.id(),
            version_after: c.version,
            version_now: c.version,
            changed_by: String::new(),
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

    fn claim(&mut self) {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return;
        }
        let Some(actor) = self.actor() else { return };
        let others = targets
            .iter()
            .filter(|t| {
                t.assignee
                    .as_ref()
                    .is_some_and(|o| o.agent.id != actor.id())
            })
            .count();
        if others > 0 && rights::role_may(actor.role(), rights::Action::TakeOver) {
            let cat = self.session.catalog;
            let mut p = Prompt::new(
                cat.t("ui.take_over").to_string(),
                cat.t("field.reason").to_string(),
                Purpose::Claim,
                true,
                false,
            );
            p.preview = vec![cat.f(
                "ui.take_over_preview",
                &[
                    ("n", targets.len().to_string()),
                    ("others", others.to_string()),
                ],
            )];
            self.overlays
                .push(Overlay::Prompt(Box::new(p.about(targets))));
            return;
        }
        self.do_claim(targets, None);
    }

    pub(super) fn do_claim(&mut self, targets: Vec<Ticket>, reason: Option<String>) -> Applied {
        let label = self.session.catalog.t("ui.verb_claim").to_string();
        self.apply_each(label, true, targets, |store, cfg, actor, t, now| {
            store.claim(
                cfg,
                actor,
                &t.number,
                reason.as_deref(),
                Some(t.version),
                now,
            )
        })
    }

    fn unassign(&mut self) {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return;
        }
        let Some(actor) = self.actor() else { return };
        if targets.iter().any(|t| {
            t.assignee
                .as_ref()
                .is_some_and(|o| o.agent.id != actor.id())
        }) {
            let cat = self.session.catalog;
            let mut p = Prompt::new(
                cat.t("ui.unassign").to_string(),
                cat.t("field.reason").to_string(),
                Purpose::Unassign,
                true,
                false,
            );
            p.preview = vec![cat.f("ui.n_tickets", &[("n", targets.len().to_string())])];
            self.overlays
                .push(Overlay::Prompt(Box::new(p.about(targets))));
            return;
        }
        self.do_unassign(targets, None);
    }

    pub(super) fn do_unassign(&mut self, targets: Vec<Ticket>, reason: Option<String>) -> Applied {
        let label = self.session.catalog.t("ui.verb_unassign").to_string();
        self.apply_each(label, true, targets, |store, cfg, actor, t, now| {
            store.unassign(
                cfg,
                actor,
                &t.number,
                reason.as_deref(),
                Some(t.version),
                now,
            )
        })
    }

    /// `a`: choose an agent in the assignment pane.
    fn start_assign(&mut self) {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return;
        }
        self.focus = Pane::Assign;
        self.select_group_of_targets();
        self.set_height();
        let cat = self.session.catalog;
        let text = cat.f(
            "ui.choose_agent",
            &[
                ("n", targets.len().to_string()),
                ("keys", self.ctx().key(Context::Assign, Action::Down)),
                ("open", self.ctx().key(Context::Assign, Action::Open)),
            ],
        );
        self.say(Level::Info, text);
    }

    /// Enter on an agent in the assignment pane: ask why (with a preview), then give.
    fn assign_to_selected_agent(&mut self) {
        let Some(agent) = self.assign.selected().cloned() else {
            return;
        };
        let group = self
            .assign
            .groups
            .get(self.assign.group)
            .map(|g| g.code.clone());
        self.ask_assign(agent.login.clone(), group);
    }

    /// Asks why before giving the targets to `login`, saying first what will happen: how
    /// many change owner, the group they move to (core's rule, the same for every way of
    /// assigning), and whether the agent is away or over capacity.
    pub(super) fn ask_assign(&mut self, login: String, chosen_group: Option<String>) {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return;
        }
        let cat = self.session.catalog;
        let Some(agent) = self
            .assign
            .agents
            .iter()
            .find(|a| a.login == login)
            .cloned()
        else {
            // Said before a reason is asked for: nothing typed in vain.
            let text = cat.f("ui.no_agent", &[("login", login)]);
            return self.say(Level::Error, text);
        };
        let moves: Vec<String> = targets
            .iter()
            .filter_map(|t| {
                group_on_give(t.group.as_deref(), &agent.groups, chosen_group.as_deref())
            })
            .collect();
        let reassigned = targets.iter().filter(|t| t.assignee.is_some()).count();
        let mut p = Prompt::new(
            cat.t("ui.assign").to_string(),
            cat.t("field.reason").to_string(),
            Purpose::Assign {
                login: login.clone(),
                group: chosen_group,
            },
            reassigned > 0,
            false,
        );
        p.preview = vec![cat.f(
            "ui.assign_preview",
            &[
                ("n", targets.len().to_string()),
                (
                    "login",
                    format!(
                        "{login} ({}/{})",
                        agent.load + targets.len() as i64,
                        agent.capacity
                    ),
                ),
                ("reassigned", reassigned.to_string()),
            ],
        )];
        if let Some(g) = moves.first() {
            p.preview.push(cat.f(
                "ui.group_preview",
                &[("group", g.clone()), ("n", moves.len().to_string())],
            ));
        }
        if agent.away {
            p.warnings
                .push(cat.f("ui.agent_away", &[("login", login.clone())]));
        }
        if !agent.active {
            p.warnings
                .push(cat.f("ui.agent_inactive", &[("login", login.clone())]));
        }
        if agent.load + targets.len() as i64 > agent.capacity {
            p.warnings.push(cat.f(
                "msg.over_capacity",
                &[
                    ("login", login),
                    ("load", (agent.load + targets.len() as i64).to_string()),
                    ("capacity", agent.capacity.to_string()),
                ],
            ));
        }
        self.overlays
            .push(Overlay::Prompt(Box::new(p.about(targets))));
    }

    pub(super) fn do_assign(
        &mut self,
        targets: Vec<Ticket>,
        login: String,
        chosen_group: Option<String>,
        reason: Option<String>,
    ) -> Applied {
        let label = self
            .session
            .catalog
            .f("ui.verb_assign", &[("login", login.clone())]);
        let agent_groups = self
            .assign
            .agents
            .iter()
            .find(|a| a.login == login)
            .map(|a| a.groups.clone())
            .unwrap_or_default();
        let applied = self.apply_each(label, true, targets, |store, cfg, actor, t, now| {
            let already = t.assignee.as_ref().is_some_and(|o| o.agent.login == login);
            let group = group_on_give(t.group.as_deref(), &agent_groups, chosen_group.as_deref());
            store.assign(
                cfg,
                actor,
                &t.number,
                (!already).then_some(login.as_str()),
                group.as_deref(),
                reason.as_deref(),
                Some(t.version),
                now,
            )
        });
        self.focus = Pane::Queue;
        self.set_height();
        applied
    }

    /// A box for text about the highlighted or marked tickets: a note, an answer, a rating.
    pub(super) fn open_note(&mut self, purpose: Purpose) {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return;
        }
        let cat = self.session.catalog;
        let (title, label) = match purpose {
            Purpose::Reply => (cat.t("ui.reply"), cat.t("field.answer")),
            Purpose::Rate => (cat.t("ui.rate"), cat.t("ui.rate_label")),
            _ => (cat.t("ui.comment"), cat.t("ui.note")),
        };
        // A rating is a score and a short comment on one line; notes and answers are text.
        let multiline = purpose != Purpose::Rate;
        let mut p = Prompt::new(
            title.to_string(),
            label.to_string(),
            purpose,
            true,
            multiline,
        );
        p.preview = vec![match targets.as_slice() {
            [one] => format!(
                "{} {}",
                one.number,
                crate::core::sanitize::clean_line(&one.subject)
            ),
            many => cat.f("ui.n_tickets", &[("n", many.len().to_string())]),
        }];
        self.overlays
            .push(Overlay::Prompt(Box::new(p.about(targets))));
    }

    pub(super) fn do_note(
        &mut self,
        purpose: &Purpose,
        targets: Vec<Ticket>,
        text: String,
    ) -> Applied {
        let reply = *purpose == Purpose::Reply;
        let key = if reply {
            "ui.verb_reply"
        } else {
            "ui.verb_comment"
        };
        let label = self.session.catalog.t(key).to_string();
        self.apply_each(label, false, targets, |store, cfg, actor, t, now| {
            if reply {
                store.reply(cfg, actor, &t.number, &text, now)?;
            } else {
                store.comment(cfg, actor, &t.number, &text, now)?;
            }
            Ok(Changed {
                number: t.number.clone(),
                version: t.version,
                status_from: t.status.clone(),
                status: t.status.clone(),
                warning: None,
            })
        })
    }

    /// "4" or "4 quick and polite": the score, then an optional comment. None when the score
    /// is not a number (said, and nothing applied).
    pub(super) fn do_rate(&mut self, targets: Vec<Ticket>, text: &str) -> Option<Applied> {
        let (score, comment) = match text.trim().split_once(char::is_whitespace) {
            Some((s, c)) => (s, Some(c.trim().to_string())),
            None => (text.trim(), None),
        };
        let Ok(score) = score.parse::<i64>() else {
            let r = Refusal::RatingRange { given: 0 };
            self.say(Level::Error, self.session.catalog.refusal(&r));
            return None;
        };
        let label = self
            .session
            .catalog
            .f("ui.verb_rate", &[("score", score.to_string())]);
        Some(
            self.apply_each(label, false, targets, |store, cfg, actor, t, now| {
                store.rate(
                    cfg,
                    actor,
                    &t.number,
                    score,
                    comment.as_deref(),
                    Some(t.version),
                    now,
                )
            }),
        )
    }

    /// The moves core offers this person on every target, with what each asks for.
    pub fn move_options(&self, targets: &[Ticket]) -> Vec<MoveOption> {
        let Some(actor) = &self.actor else {
            return Vec::new();
        };
        let life = &self.session.cfg.lifecycle;
        let mut options: Option<Vec<MoveOption>> = None;
        for t in targets {
            let here: Vec<MoveOption> = life
                .offered(&t.state(), actor)
                .into_iter()
                .map(|d| MoveOption {
                    to: d.to.clone(),
                    name: d.name.clone(),
                    outcomes: life
                        .status(&d.to)
                        .map(|s| s.outcomes.clone())
                        .unwrap_or_default(),
                    requires: d.requires.clone(),
                })
                .collect();
            options = Some(match options {
                None => here,
                Some(prev) => prev
                    .into_iter()
                    .filter(|o| here.iter().any(|h| h.to == o.to))
                    .collect(),
            });
        }
        options.unwrap_or_default()
    }

    /// Why no move (or not this one) is offered, in core's words.
    fn why_not(&self, target: &Ticket, to: Option<&str>) -> String {
        let cat = self.session.catalog;
        let Some(actor) = &self.actor else {
            return cat.t("ui.no_moves").to_string();
        };
        let refusal = match to {
            Some(to) => self
                .cfg()
                .lifecycle
                .check(&target.state(), to, actor, &Default::default())
                .err(),
            None => rights::check(
                actor,
                rights::Action::Move,
                target.assignee.as_ref().map(|o| &o.agent),
            )
            .err(),
        };
        match refusal {
            Some(r) => cat.refusal(&r),
            None => cat.t("ui.no_moves").to_string(),
        }
    }

    pub(super) fn open_status(&mut self, preset: Option<String>) {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return;
        }
        let options = self.move_options(&targets);
        let offered = |to: &str| options.iter().any(|o| o.to == to);
        if let Some(to) = preset.as_deref().filter(|to| !offered(to)) {
            let text = self.why_not(&targets[0], Some(to));
            return self.say(Level::Error, text);
        }
        if options.is_empty() {
            let text = self.why_not(&targets[0], None);
            return self.say(Level::Error, text);
        }
        let mut flow = StatusFlow::new(targets, options);
        if let Some(i) = preset.and_then(|to| flow.options.iter().position(|o| o.to == to)) {
            flow.cursor = i;
            flow.choose();
        }
        self.overlays.push(Overlay::Status(Box::new(flow)));
    }

    fn undo(&mut self) {
        let Some(batch) = self.undo.take() else {
            self.say(Level::Info, self.session.catalog.t("ui.nothing_to_undo"));
            return;
        };
        let Some(actor) = self.actor() else { return };
        let (now, cat) = (self.now, self.session.catalog);
        let mut done = 0;
        let mut errors = Vec::new();
        for (before, after) in &batch.entries {
            let s = &mut self.session;
            match s.store.undo(&s.cfg, &actor, before, *after, now) {
                Ok(_) => done += 1,
                Err(e) => errors.push(format!("{}: {}", before.number, e.message(cat))),
            }
        }
        if let Err(e) = self.refresh(false) {
            return self.fail(&e);
        }
        match errors.first() {
            None => self.say(
                Level::Ok,
                cat.f(
                    "ui.undone",
                    &[("what", batch.label), ("n", done.to_string())],
                ),
            ),
            Some(first) => self.say(
                Level::Error,
                cat.f(
                    "ui.undo_partly",
                    &[("n", done.to_string()), ("first", first.clone())],
                ),
            ),
        }
    }
}
