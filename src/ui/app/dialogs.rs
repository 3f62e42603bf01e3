//! What the desk does with a dialog's reply. The dialog on top gets every key (its own
//! context in the keymap); help opens from any of them and returns to it. When an action
//! typed into a dialog is refused (a colleague changed the ticket meanwhile, a rule said no),
//! the dialog comes back with the text as it was and the reason: nothing typed is dropped.

use super::apply::Applied;
use super::{App, Level, Pane, Screen};
use crate::core::keys::Action;
use crate::error::Error;
use crate::store::{NewTicket, Ticket};
use crate::ui::overlays::choose::ChooseFor;
use crate::ui::overlays::form::NewTicketForm;
use crate::ui::overlays::palette::{self, Arg, Command, Palette, ParseError, Sources};
use crate::ui::overlays::picker::Pick;
use crate::ui::overlays::prompt::{Prompt, Purpose};
use crate::ui::overlays::status::{Move, StatusFlow};
use crate::ui::overlays::{Overlay, Reply};
use ratatui::crossterm::event::KeyEvent;

impl App {
    pub(super) fn overlay_key(&mut self, k: &KeyEvent) {
        let Some(top) = self.overlays.pop() else {
            return;
        };
        let context = top.context();
        if !matches!(top, Overlay::Help(_)) && self.keymap.action(context, k) == Some(Action::Help)
        {
            self.overlays.push(top);
            return self.open_help(context);
        }
        let cat = self.session.catalog;
        match top {
            Overlay::Help(mut h) => {
                let r = h.on_key(k, &self.keymap);
                self.settle(Overlay::Help(h), r, k, |_, _: ()| {});
            }
            Overlay::Stats(mut st) => {
                let groups: Vec<String> =
                    self.assign.groups.iter().map(|g| g.code.clone()).collect();
                let r = st.on_key(k, &self.keymap, &groups);
                if r == Reply::Done(()) {
                    self.load_stats(&mut st);
                    self.overlays.push(Overlay::Stats(st));
                } else {
                    self.settle(Overlay::Stats(st), r, k, |_, _: ()| {});
                }
            }
            Overlay::Picker(mut p) => {
                let r = p.on_key(k, &self.keymap);
                self.settle(Overlay::Picker(p), r, k, |app, pick| match pick {
                    Pick::Builtin(kind) => app.switch_queue(kind),
                    Pick::Saved(i) => app.open_saved(i, Vec::new()),
                });
            }
            Overlay::Palette(mut p) => {
                let r = p.on_key(k, &self.keymap);
                self.on_palette(p, r);
            }
            Overlay::Prompt(mut p) => {
                let r = p.on_key(k, &self.keymap, cat);
                if let Some(typed) = p.asked_templates.take() {
                    self.overlays.push(Overlay::Prompt(p));
                    return self.open_answers(None, typed);
                }
                self.on_prompt(p, r);
            }
            Overlay::Form(mut f) => {
                let r = f.on_key(k, &self.keymap, &self.ctx());
                match r {
                    Reply::Done(nt) => self.register(f, &nt),
                    r => self.settle(Overlay::Form(f), r, k, |_, _| {}),
                }
            }
            Overlay::Edit(mut form) => {
                let r = form.on_key(k, &self.keymap, &self.ctx());
                match r {
                    Reply::Done(e) => self.apply_edit(form, &e),
                    r => self.settle(Overlay::Edit(form), r, k, |_, _| {}),
                }
            }
            Overlay::Relate(mut form) => {
                let r = form.on_key(k, &self.keymap, &self.ctx());
                match r {
                    Reply::Done(rel) => self.apply_relate(form, rel),
                    r => {
                        self.look_up_other(&mut form);
                        self.settle(Overlay::Relate(form), r, k, |_, _| {})
                    }
                }
            }
            Overlay::Choose(mut c) => {
                let r = c.on_key(k, &self.keymap);
                match r {
                    Reply::Done(chosen) => self.on_chosen(&c, chosen),
                    Reply::Close if matches!(c.purpose, ChooseFor::Answers { typed: true, .. }) => {
                        self.put_colons_back()
                    }
                    r => self.settle(Overlay::Choose(c), r, k, |_, _| {}),
                }
            }
            Overlay::Status(mut flow) => {
                let r = flow.on_key(k, &self.keymap);
                if let Some(typed) = flow.asked_templates.take() {
                    let outcome = flow.outcome_chosen();
                    self.overlays.push(Overlay::Status(flow));
                    return self.open_answers(outcome, typed);
                }
                match r {
                    Reply::Done(m) => self.apply_move(flow, m),
                    r => self.settle(Overlay::Status(flow), r, k, |_, _| {}),
                }
            }
        }
    }

    /// The common replies: stay open, close, a key that means nothing here (said), or done.
    fn settle<T>(&mut self, o: Overlay, r: Reply<T>, k: &KeyEvent, done: impl FnOnce(&mut App, T)) {
        match r {
            Reply::Stay => self.overlays.push(o),
            Reply::Close => {}
            Reply::Unbound => {
                self.overlays.push(o);
                self.unbound(k);
            }
            Reply::Done(x) => done(self, x),
        }
    }

    fn on_palette(&mut self, mut p: Box<Palette>, r: Reply<String>) {
        match r {
            Reply::Stay | Reply::Unbound => {
                let src = self.sources(&p);
                p.complete(&src);
                self.overlays.push(Overlay::Palette(p));
            }
            Reply::Close => {}
            Reply::Done(line) => match palette::parse(&line) {
                Ok(cmd) => self.run_command(cmd),
                Err(ParseError::Empty) => {}
                Err(e) => {
                    p.error = Some(e.message(self.session.catalog));
                    self.overlays.push(Overlay::Palette(p));
                }
            },
        }
    }

    fn on_prompt(&mut self, p: Box<Prompt>, r: Reply<String>) {
        if p.purpose == Purpose::Filter {
            return self.on_filter(p, r);
        }
        if let Purpose::QueueParam { queue, values } = &p.purpose {
            let (queue, mut values) = (*queue, values.clone());
            match r {
                Reply::Done(text) if !text.trim().is_empty() => {
                    let names = self
                        .session
                        .cfg
                        .queues
                        .get(queue)
                        .map(|q| q.param_names().into_iter().map(String::from).collect())
                        .unwrap_or_else(Vec::<String>::new);
                    if let Some(name) = names.get(values.len()) {
                        values.push((name.clone(), text.trim().to_string()));
                    }
                    self.open_saved(queue, values);
                }
                Reply::Close => {}
                _ => self.overlays.push(Overlay::Prompt(p)),
            }
            return;
        }
        let Reply::Done(text) = r else {
            if matches!(r, Reply::Stay | Reply::Unbound) {
                self.overlays.push(Overlay::Prompt(p));
            }
            return;
        };
        let reason = (!text.is_empty()).then(|| text.clone());
        let targets = p.targets.clone();
        let applied = match p.purpose.clone() {
            Purpose::Comment | Purpose::Reply => {
                Some(self.do_note(&p.purpose, targets, text, p.templated))
            }
            Purpose::Assign { login, group } => Some(self.do_assign(targets, login, group, reason)),
            Purpose::Claim => Some(self.do_claim(targets, reason)),
            Purpose::Unassign => Some(self.do_unassign(targets, reason)),
            Purpose::Rate => self.do_rate(targets, &text),
            Purpose::Informed => Some(self.do_informed(targets, &text)),
            Purpose::AttachFile => self.attach_file(targets, &text),
            Purpose::SaveFile { name } => self.save_file(targets, &name, &text),
            Purpose::Away { login } => Some(self.do_away(&login, reason)),
            Purpose::Filter | Purpose::QueueParam { .. } => None,
        };
        match applied {
            Some(a) => self.keep_text(Overlay::Prompt(p), a),
            // Not a score: the box stays, with the reason.
            None => self.keep_text(
                Overlay::Prompt(p),
                Applied {
                    done: 0,
                    failed: Vec::new(),
                    first_error: self.message.as_ref().map(|m| m.text.clone()),
                },
            ),
        }
    }

    /// The filter applies as people type; Esc clears it, Enter keeps it.
    fn on_filter(&mut self, p: Box<Prompt>, r: Reply<String>) {
        match r {
            Reply::Stay | Reply::Unbound => {
                let text = p.text();
                if text != self.queue.spec.text {
                    self.pending_filter = Some((text, std::time::Instant::now()));
                }
                self.overlays.push(Overlay::Prompt(p));
            }
            Reply::Close => {
                self.pending_filter = None;
                self.apply_filter(String::new());
            }
            Reply::Done(text) => {
                self.pending_filter = None;
                // A mistake keeps the box open, saying where.
                self.overlays.push(Overlay::Prompt(p));
                if text == self.queue.spec.text || self.apply_filter(text) {
                    self.overlays.pop();
                }
            }
        }
    }

    /// After an action typed into a dialog: when some tickets refused it, the dialog comes
    /// back for them (as they are now) with the text and the reason, for Enter to apply it
    /// again or Esc to drop it.
    fn keep_text(&mut self, mut o: Overlay, a: Applied) {
        let Some(first) = a.first_error else {
            return;
        };
        let cat = self.session.catalog;
        let error = format!("{first} — {}", cat.t("ui.text_kept"));
        let failed = a.failed;
        match &mut o {
            Overlay::Prompt(p) => {
                if !failed.is_empty() {
                    p.targets = failed;
                }
                p.error = Some(error);
            }
            Overlay::Status(s) => {
                if !failed.is_empty() {
                    s.targets = failed;
                }
                s.error = Some(error);
            }
            _ => {}
        }
        self.overlays.push(o);
    }

    /// Registers the form's request and highlights the new ticket.
    fn register(&mut self, mut form: Box<NewTicketForm>, nt: &NewTicket) {
        let Some(actor) = self.actor.clone() else {
            return;
        };
        let (now, cat) = (self.now, self.session.catalog);
        // Likely duplicates are shown before saving; saving again, unchanged, registers it.
        let key = (nt.subject.clone(), nt.contact.clone());
        if form.duplicates_for.as_ref() != Some(&key) {
            match self
                .session
                .store
                .likely_duplicates(&nt.subject, &nt.contact, now, 5)
            {
                Ok(found) if !found.is_empty() => {
                    let again = self.ctx().key(NewTicketForm::CONTEXT, Action::Save);
                    form.error = Some(cat.f("ui.duplicates_found", &[("key", again)]));
                    form.duplicates = found;
                    form.duplicates_for = Some(key);
                    self.overlays.push(Overlay::Form(form));
                    return;
                }
                Ok(_) => {}
                Err(e) => return self.fail(&e),
            }
        }
        let s = &mut self.session;
        match s.store.create(&s.cfg, &actor, nt, now) {
            Ok(c) => {
                if self.screen == Screen::Welcome {
                    self.screen = Screen::Desk;
                    self.after_first_tickets();
                } else if let Err(e) = self.refresh(false) {
                    self.fail(&e);
                }
                let mut text = cat.f("msg.created", &[("number", c.number.clone())]);
                // Told on the spot: the operator reads the access code out.
                if crate::core::mail::notice::told_at_registration(nt.channel)
                    && let Ok(a) = self.session.store.access(c.id)
                {
                    text.push_str(" · ");
                    text.push_str(&cat.f(
                        "mail.tell_code",
                        &[("number", c.number.clone()), ("code", a.code)],
                    ));
                }
                if let Some(a) = &c.assigned_to {
                    text.push_str(" · ");
                    text.push_str(&cat.f("msg.auto_assigned", &[("login", a.clone())]));
                }
                if let Ok(Some(t)) = self.session.store.get(c.id) {
                    text.push_str(&self.highlight(&t));
                }
                self.say(Level::Ok, text);
            }
            Err(e) => {
                form.error = Some(e.message(cat));
                self.overlays.push(Overlay::Form(form));
            }
        }
    }

    /// Highlights a ticket (switching queues if this one does not hold it); returns what to
    /// add to the message when the queue changed.
    pub(super) fn highlight(&mut self, t: &Ticket) -> String {
        match self.select_ticket(t) {
            Some(kind) => {
                let ctx = self.ctx();
                let name = crate::ui::panes::queue::queue_label(&ctx, kind);
                format!(" · {}", ctx.cat.f("ui.in_queue", &[("queue", name)]))
            }
            None => String::new(),
        }
    }

    /// Applies the status flow's move: core is asked first, so a missing field is asked for
    /// in the dialog, not reported after it closed.
    fn apply_move(&mut self, mut flow: Box<StatusFlow>, m: Move) {
        let Some(actor) = self.actor.clone() else {
            return;
        };
        let cat = self.session.catalog;
        if let Some(t) = flow.targets.first()
            && let Err(r) = self
                .session
                .cfg
                .lifecycle
                .check(&t.state(), &m.to, &actor, &m.fields)
        {
            flow.error = Some(cat.refusal(&r));
            self.overlays.push(Overlay::Status(flow));
            return;
        }
        let status = crate::present::status(self.cfg(), cat, &m.to);
        let label = cat.f("ui.verb_move", &[("to", status)]);
        let targets = flow.targets.clone();
        let templated = flow.templated;
        let applied = self.apply_each(label, true, targets, |store, cfg, actor, t, now| {
            let mut fields = m.fields.clone();
            if templated {
                let fill = |text: &Option<String>| -> crate::error::Result<Option<String>> {
                    text.as_deref()
                        .map(|x| {
                            super::answers::fill_for(store, cfg, &actor.agent.login, t, x, now)
                        })
                        .transpose()
                };
                fields.answer = fill(&fields.answer)?;
                fields.reason = fill(&fields.reason)?;
            }
            store.move_to(cfg, actor, &t.number, &m.to, &fields, Some(t.version), now)
        });
        self.keep_text(Overlay::Status(flow), applied);
    }

    /// Completion sources for what the palette is typing.
    pub(super) fn sources(&self, p: &Palette) -> Sources {
        let (arg, partial) = p.typing();
        let mut src = Sources {
            agents: self
                .assign
                .agents
                .iter()
                .filter(|a| a.active)
                .map(|a| a.login.clone())
                .collect(),
            queues: self
                .session
                .cfg
                .queues
                .iter()
                .map(|q| q.name.clone())
                .collect(),
            ..Sources::default()
        };
        if arg == Some(Arg::Status) {
            let targets = self.targets();
            let mut all: Vec<String> = self
                .move_options(&targets)
                .into_iter()
                .map(|o| o.to)
                .collect();
            for s in self.session.cfg.lifecycle.statuses() {
                if !all.contains(&s.id) {
                    all.push(s.id.clone());
                }
            }
            src.statuses = all;
        }
        if arg == Some(Arg::Number) && !partial.trim().is_empty() {
            src.numbers = self
                .session
                .store
                .numbers_like(&partial, 6)
                .unwrap_or_default();
        }
        src
    }

    /// Opens a ticket by number: highlighted in the queue (another queue when this one does
    /// not hold it) and shown in the ticket pane. A typo is answered with the ticket meant.
    pub(super) fn open_number(&mut self, number: &str) {
        let today = crate::time::date(self.now);
        match self.session.store.find(&self.session.cfg, number, today) {
            Ok(t) => {
                let cat = self.session.catalog;
                let mut text = match self
                    .session
                    .store
                    .find_exact(&self.session.cfg, number, today)
                {
                    Ok(asked) if asked.id != t.id => cat.f(
                        "msg.leads_to",
                        &[("number", asked.number), ("into", t.number.clone())],
                    ),
                    _ => cat.f("ui.opened", &[("number", t.number.clone())]),
                };
                text.push_str(&self.highlight(&t));
                if self.queue.selected().is_some_and(|r| r.ticket.id == t.id) {
                    self.focus = Pane::Detail;
                    self.set_height();
                }
                self.say(Level::Info, text);
            }
            Err(e) => {
                let suggestion = match &e {
                    Error::BadNumber { suggestions, .. }
                    | Error::NoSuchTicket { suggestions, .. } => suggestions.first().cloned(),
                    _ => None,
                };
                let text = e.message(self.session.catalog);
                match suggestion {
                    // Offer the suggestion: Enter opens it.
                    Some(s) => {
                        let mut p = Palette::new(&format!("goto {s}"));
                        p.error = Some(text);
                        self.overlays.push(Overlay::Palette(Box::new(p)));
                    }
                    None => self.say(Level::Error, text),
                }
            }
        }
    }

    fn run_command(&mut self, cmd: Command) {
        match cmd {
            Command::Goto(n) => self.open_number(&n),
            Command::Assign(login) => self.ask_assign(login, None),
            Command::Status(s) => self.open_status(Some(s.trim().to_string())),
            Command::Claim => self.act(Action::Claim),
            Command::Unassign => self.act(Action::Unassign),
            Command::Queue(k) => self.switch_queue(k),
            Command::Saved(line) => self.open_named(&line),
            Command::Sort(s) => self.sort_by(s, false),
            Command::Filter(t) => {
                self.apply_filter(t);
            }
            Command::New => self.act(Action::New),
            Command::Comment(t) if !t.is_empty() => self.note_now(Purpose::Comment, t),
            Command::Reply(t) if !t.is_empty() => self.note_now(Purpose::Reply, t),
            Command::Comment(_) => self.act(Action::Comment),
            Command::Reply(_) => self.act(Action::Reply),
            Command::Undo => self.act(Action::Undo),
            Command::Reload => self.act(Action::Reload),
            Command::Help => self.act(Action::Help),
            Command::Quit => self.quit = true,
        }
    }

    /// `:comment TEXT`, `:reply TEXT`: the text for the highlighted (or marked) tickets.
    fn note_now(&mut self, purpose: Purpose, text: String) {
        let targets = self.targets();
        if !self.nothing_to_act_on(&targets) {
            self.do_note(&purpose, targets, text, false);
        }
    }
}
