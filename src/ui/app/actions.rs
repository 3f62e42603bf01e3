//! What each desk action does: move, switch panes and queues, open a dialog (owners in
//! `owners.rs`, notes and status in `changes.rs`), undo the last action.

use super::{App, Level, Pane, Screen};
use crate::core::keys::Action;
use crate::core::model::Actor;
use crate::error::Result;
use crate::store::{Store, Ticket};
use crate::ui::keymap::queue_of;
use crate::ui::overlays::Overlay;
use crate::ui::overlays::form::NewTicketForm;
use crate::ui::overlays::palette::Palette;
use crate::ui::overlays::picker::PickerState;
use crate::ui::overlays::prompt::{Prompt, Purpose};
use crate::ui::overlays::stats::StatsState;

impl App {
    pub(super) fn actor(&self) -> Option<Actor> {
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
                let p = PickerState::new(self.current_pick(), self.session.cfg.queues.len());
                self.overlays.push(Overlay::Picker(p));
            }
            Action::Sort => {
                let all = crate::core::query::SortKey::ALL;
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
            Action::Informed => self.open_note(Purpose::Informed),
            Action::Edit => self.open_edit(),
            Action::Files => self.open_files(),
            Action::Merge => self.open_relate(crate::ui::overlays::relate::Relation::Merge),
            Action::Link => self.open_relate(crate::ui::overlays::relate::Relation::Link),
            Action::Undo => self.undo(),
            Action::Reload => match self.refresh(true) {
                Ok(()) => self.say(Level::Info, self.session.catalog.t("ui.reloaded")),
                Err(e) => self.fail(&e),
            },
            Action::Help => self.open_help(self.context()),
            Action::Stats => self.open_stats(),
            Action::Alerts => self.open_alerts(),
            Action::Palette => {
                let mut p = Palette::new("");
                p.complete(&self.sources(&p));
                self.overlays.push(Overlay::Palette(Box::new(p)));
            }
            Action::Demo => self.load_demo(),
            Action::Away => self.away_selected(),
            Action::AgentQueue => self.agent_queue(),
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
                Action::Bottom => self.last_row(),
                _ => self.move_queue(delta),
            },
            Pane::Detail => {
                let d = match a {
                    Action::Top => -100_000,
                    Action::Bottom => 100_000,
                    _ => delta,
                };
                if let Err(e) = self.scroll_detail(d) {
                    self.fail(&e);
                }
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
        } else if self.queue.spec.agent.is_some() {
            self.queue.spec.agent = None;
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
        // From the report replica when the desk names one (`[database] report_url`), as
        // `desk report` reads: the desk itself (the primary) said who may look when it signed
        // this person in, and keeps the agents' load below.
        let report = match &self.session.cfg.report_url {
            Some(url) => Store::open_report(url).and_then(|r| r.report(&self.session.cfg, &spec)),
            None => self.session.store.report(&self.session.cfg, &spec),
        };
        match report {
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
