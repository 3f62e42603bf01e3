//! Who owns the tickets: claim (a take-over asks why), give to an agent (after a preview of
//! what changes, by core's rules), return to the group's queue.

use super::apply::Applied;
use super::{App, Level, Pane};
use crate::core::attribution::{self, Assignment, Candidate, group_on_give};
use crate::core::config::Config;
use crate::core::keys::{Action, Context};
use crate::core::model::Actor;
use crate::core::query::{QueueKind, QueueSpec};
use crate::core::refusal::Refusal;
use crate::error::Result;
use crate::store::{Changed, Store, Ticket};

/// A store operation changing a ticket's owner with an optional reason (claim, unassign).
type OwnerChange =
    fn(&mut Store, &Config, &Actor, &str, Option<&str>, Option<i64>, i64) -> Result<Changed>;
use crate::ui::overlays::Overlay;
use crate::ui::overlays::prompt::{Prompt, Purpose};

impl App {
    pub(super) fn claim(&mut self) {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return;
        }
        let Some(actor) = self.actor() else { return };
        let others = owned_by_others(&targets, actor.id());
        let me = self.candidate(&actor);
        let life = &self.cfg().lifecycle;
        if wants_reason(&targets, |t| {
            attribution::claim(life, &t.state(), &actor, &me, None)
        }) {
            let preview = self.session.catalog.f(
                "ui.take_over_preview",
                &[
                    ("n", targets.len().to_string()),
                    ("others", others.to_string()),
                ],
            );
            let preview = vec![preview];
            return self.ask_reason(
                "ui.take_over",
                Purpose::Claim,
                true,
                (preview, vec![]),
                targets,
            );
        }
        self.do_claim(targets, None);
    }

    /// Asks why before changing the owner of `targets`, saying first what will happen (and
    /// what is worth knowing before saying yes).
    fn ask_reason(
        &mut self,
        title: &str,
        purpose: Purpose,
        required: bool,
        (preview, warnings): (Vec<String>, Vec<String>),
        targets: Vec<Ticket>,
    ) {
        let cat = self.session.catalog;
        let label = cat.t("field.reason").to_string();
        let mut p = Prompt::new(cat.t(title).to_string(), label, purpose, required, false);
        p.preview = preview;
        p.warnings = warnings;
        self.overlays
            .push(Overlay::Prompt(Box::new(p.about(targets))));
    }

    pub(super) fn do_claim(&mut self, targets: Vec<Ticket>, reason: Option<String>) -> Applied {
        self.with_reason("ui.verb_claim", targets, reason, Store::claim)
    }

    /// Applies a change of owner that may carry a reason (claim, unassign) to each target.
    fn with_reason(
        &mut self,
        verb: &str,
        targets: Vec<Ticket>,
        reason: Option<String>,
        op: OwnerChange,
    ) -> Applied {
        let label = self.session.catalog.t(verb).to_string();
        self.apply_each(label, true, targets, |store, cfg, actor, t, now| {
            op(
                store,
                cfg,
                actor,
                &t.number,
                reason.as_deref(),
                Some(t.version),
                now,
            )
        })
    }

    pub(super) fn unassign(&mut self) {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return;
        }
        let Some(actor) = self.actor() else { return };
        let life = &self.cfg().lifecycle;
        if wants_reason(&targets, |t| {
            attribution::unassign(life, &t.state(), &actor, None)
        }) {
            let n = targets.len().to_string();
            let preview = self.session.catalog.f("ui.n_tickets", &[("n", n)]);
            let preview = vec![preview];
            return self.ask_reason(
                "ui.unassign",
                Purpose::Unassign,
                true,
                (preview, vec![]),
                targets,
            );
        }
        self.do_unassign(targets, None);
    }

    pub(super) fn do_unassign(&mut self, targets: Vec<Ticket>, reason: Option<String>) -> Applied {
        self.with_reason("ui.verb_unassign", targets, reason, Store::unassign)
    }

    /// `a`: choose an agent in the assignment pane.
    pub(super) fn start_assign(&mut self) {
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
    pub(super) fn assign_to_selected_agent(&mut self) {
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
        let n = targets.len() as i64;
        let mut preview = vec![cat.f(
            "ui.assign_preview",
            &[
                ("n", n.to_string()),
                (
                    "login",
                    format!("{login} ({}/{})", agent.load + n, agent.capacity),
                ),
                ("reassigned", reassigned.to_string()),
            ],
        )];
        if let Some(g) = moves.first() {
            preview.push(cat.f(
                "ui.group_preview",
                &[("group", g.clone()), ("n", moves.len().to_string())],
            ));
        }
        let required = match self.actor() {
            Some(actor) => {
                let (life, target) = (&self.cfg().lifecycle, candidate(&agent));
                wants_reason(&targets, |t| {
                    let group =
                        group_on_give(t.group.as_deref(), &agent.groups, chosen_group.as_deref());
                    match (&t.assignee, group) {
                        (Some(o), Some(g)) if o.agent.login == login => attribution::move_group(
                            &t.state(),
                            &actor,
                            t.group.as_deref(),
                            &g,
                            None,
                        ),
                        _ => attribution::give(life, &t.state(), &actor, &target, None),
                    }
                })
            }
            None => false,
        };
        let purpose = Purpose::Assign {
            login,
            group: chosen_group,
        };
        let warnings = warnings(cat, &agent, n);
        self.ask_reason("ui.assign", purpose, required, (preview, warnings), targets);
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
}

impl App {
    /// The actor as attribution sees them (their load and capacity, when the assignment pane
    /// has them).
    fn candidate(&self, actor: &Actor) -> Candidate {
        match self.assign.agents.iter().find(|a| a.id == actor.id()) {
            Some(a) => candidate(a),
            None => Candidate {
                agent: actor.agent.clone(),
                active: true,
                away: false,
                load: 0,
                capacity: i64::MAX,
                last_assigned_at: None,
            },
        }
    }
}

fn candidate(a: &crate::store::AgentInfo) -> Candidate {
    Candidate {
        agent: crate::core::model::AgentRef {
            id: a.id,
            login: a.login.clone(),
            role: a.role,
        },
        active: a.active,
        away: a.away,
        load: a.load,
        capacity: a.capacity,
        last_assigned_at: None,
    }
}

/// Whether core wants a reason for this change of owner on any of the targets. Asked before
/// anything is done, so the prompt opens exactly when the rules want one (and a change the
/// rules refuse is said at once, before anything is typed).
fn wants_reason(
    targets: &[Ticket],
    check: impl Fn(&Ticket) -> Result<Assignment, Refusal>,
) -> bool {
    targets
        .iter()
        .any(|t| matches!(check(t), Err(Refusal::ReasonRequired { .. })))
}

/// How many of the tickets belong to someone other than `me`.
fn owned_by_others(targets: &[Ticket], me: i64) -> usize {
    targets
        .iter()
        .filter(|t| t.assignee.as_ref().is_some_and(|o| o.agent.id != me))
        .count()
}

/// What is worth knowing before giving `n` tickets to an agent: away, inactive, over capacity.
fn warnings(cat: &crate::i18n::Catalog, agent: &crate::store::AgentInfo, n: i64) -> Vec<String> {
    let login = || agent.login.clone();
    let mut out = Vec::new();
    if agent.away {
        out.push(cat.f("ui.agent_away", &[("login", login())]));
    }
    if !agent.active {
        out.push(cat.f("ui.agent_inactive", &[("login", login())]));
    }
    if agent.load + n > agent.capacity {
        out.push(cat.f(
            "msg.over_capacity",
            &[
                ("login", login()),
                ("load", (agent.load + n).to_string()),
                ("capacity", agent.capacity.to_string()),
            ],
        ));
    }
    out
}

impl App {
    /// `w` on an agent in the assignment pane: away (after a preview of where each of their
    /// open tickets would go, asking why — no reason: they keep them), or back when away.
    pub(super) fn away_selected(&mut self) {
        let Some(agent) = self.assign.selected().cloned() else {
            return;
        };
        let Some(actor) = self.actor() else { return };
        let cat = self.session.catalog;
        if agent.away {
            let r = self.session.store.set_back(&actor, &agent.login, self.now);
            return match r.and_then(|_| self.refresh(false)) {
                Ok(()) => {
                    let text = cat.say(&crate::msg!("msg.agent_back", login = &agent.login));
                    self.say(Level::Ok, text)
                }
                Err(e) => self.fail(&e),
            };
        }
        let steps = match self
            .session
            .store
            .away_preview(&actor, &agent.login, self.now)
        {
            Ok(s) => s,
            Err(e) => return self.fail(&e),
        };
        let mut preview: Vec<String> = steps
            .iter()
            .take(AWAY_PREVIEW)
            .map(|h| crate::present::hand_over_line(cat, h))
            .collect();
        if steps.len() > AWAY_PREVIEW {
            let more = (steps.len() - AWAY_PREVIEW).to_string();
            preview.push(cat.f("ui.and_more", &[("n", more)]));
        }
        let note = if steps.is_empty() {
            cat.say(&crate::msg!("msg.hand_over_none", login = &agent.login))
        } else {
            cat.f(
                "ui.away_keep",
                &[
                    ("n", steps.len().to_string()),
                    ("login", agent.login.clone()),
                ],
            )
        };
        let purpose = Purpose::Away {
            login: agent.login.clone(),
        };
        self.ask_reason(
            "ui.away_title",
            purpose,
            false,
            (preview, vec![note]),
            Vec::new(),
        );
    }

    /// Marks `login` away: with a reason, handing their open tickets over, all at once.
    pub(super) fn do_away(&mut self, login: &str, reason: Option<String>) -> Applied {
        let cat = self.session.catalog;
        let Some(actor) = self.actor() else {
            return Applied::default();
        };
        let cfg = self.session.cfg.clone();
        let r = self
            .session
            .store
            .set_away(&cfg, &actor, login, reason.as_deref(), self.now);
        match r.and_then(|steps| self.refresh(false).map(|()| steps)) {
            Ok(steps) => {
                let text = cat.f(
                    "ui.away_done",
                    &[("login", login.to_string()), ("n", steps.len().to_string())],
                );
                self.say(Level::Ok, text);
                Applied {
                    done: steps.len(),
                    ..Applied::default()
                }
            }
            Err(e) => Applied {
                first_error: Some(e.message(cat)),
                ..Applied::default()
            },
        }
    }

    /// `t` on an agent in the assignment pane: the queue of their open tickets.
    pub(super) fn agent_queue(&mut self) {
        let Some(agent) = self.assign.selected().cloned() else {
            return;
        };
        let mut spec = QueueSpec::new(QueueKind::AllOpen);
        spec.agent = Some(agent.login);
        self.queue.spec = spec;
        self.focus = Pane::Queue;
        self.clear_message();
        self.set_height();
        self.apply_filter(String::new());
    }
}

/// How many of an away agent's tickets the preview lists (the rest are counted).
const AWAY_PREVIEW: usize = 8;
