//! Statuses and transitions as declared data, and the one function that decides every move.

use super::model::{Actor, AgentRef, Outcome, Role, StatusCategory};
use super::refusal::Refusal;
use super::rights::{self, Action};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusDef {
    pub id: String,
    pub category: StatusCategory,
    /// Outcomes a ticket entering this status must carry (one of them). A single entry is
    /// implied when none is given; done statuses always list some.
    pub outcomes: Vec<Outcome>,
    /// A label that overrides the translation catalog.
    pub label: Option<String>,
}

/// What makes a transition happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// An explicit status change (`desk move`, `s` in the desk).
    #[default]
    Move,
    /// The ticket gets an assignee (claim, give, auto-assignment).
    Assign,
    /// The ticket loses its assignee.
    Unassign,
}

/// Fields a transition can require besides the outcome's own note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Reason,
    Answer,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Reason => "reason",
            Field::Answer => "answer",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionDef {
    pub name: String,
    pub from: Vec<String>,
    pub to: String,
    /// Roles allowed; empty means every role.
    pub roles: Vec<Role>,
    pub requires: Vec<Field>,
    pub on: Trigger,
}

/// What the rules need to know about a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketState {
    pub status: String,
    pub assignee: Option<AgentRef>,
    pub outcome: Option<Outcome>,
}

/// Values offered with a status change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fields {
    pub outcome: Option<Outcome>,
    /// The outcome's note (reason, next steps or question), or the reason for the move.
    pub reason: Option<String>,
    /// An answer to the requester.
    pub answer: Option<String>,
}

impl Fields {
    fn reason(&self) -> Option<&str> {
        non_blank(self.reason.as_deref())
    }
    fn answer(&self) -> Option<&str> {
        non_blank(self.answer.as_deref())
    }
}

pub fn non_blank(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// What happens to the ticket's recorded outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeChange {
    Keep,
    /// Record this outcome with its note.
    Set(Outcome, Option<String>),
    /// Reopened: the previous result stays in the history only.
    Clear,
}

/// A move the rules allow, with everything the store must record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub name: String,
    pub from: String,
    pub to: String,
    pub from_category: StatusCategory,
    pub to_category: StatusCategory,
    pub outcome: OutcomeChange,
    /// The reason for the move itself (when the target takes no outcome).
    pub reason: Option<String>,
    pub answer: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    statuses: Vec<StatusDef>,
    transitions: Vec<TransitionDef>,
}

/// Outcomes that end processing; `clarification` is a question, not a result.
pub fn is_final(outcome: Outcome) -> bool {
    outcome != Outcome::Clarification
}

impl Lifecycle {
    /// Builds a lifecycle; `config` has validated the declarations.
    pub fn new(statuses: Vec<StatusDef>, transitions: Vec<TransitionDef>) -> Lifecycle {
        Lifecycle {
            statuses,
            transitions,
        }
    }

    pub fn statuses(&self) -> &[StatusDef] {
        &self.statuses
    }

    /// Gives a status the label the configuration names it by (in the reader's language).
    pub fn set_label(&mut self, id: &str, label: &str) {
        if let Some(s) = self.statuses.iter_mut().find(|s| s.id == id) {
            s.label = Some(label.to_string());
        }
    }

    pub fn transitions(&self) -> &[TransitionDef] {
        &self.transitions
    }

    pub fn status(&self, id: &str) -> Option<&StatusDef> {
        self.statuses.iter().find(|s| s.id == id)
    }

    pub fn category(&self, id: &str) -> Option<StatusCategory> {
        self.status(id).map(|s| s.category)
    }

    /// The status every new ticket starts in (the first `initial` one).
    pub fn initial(&self) -> &str {
        self.statuses
            .iter()
            .find(|s| s.category == StatusCategory::Initial)
            .or(self.statuses.first())
            .map(|s| s.id.as_str())
            .unwrap_or("new")
    }

    /// Of the statuses tickets are in (with how many), those this lifecycle does not
    /// declare: a configuration that leaves them out would strand those tickets, so it is
    /// neither installed nor put in force by a restore.
    pub fn undeclared(&self, in_use: &[(String, i64)]) -> Vec<(String, i64)> {
        in_use
            .iter()
            .filter(|(st, _)| self.status(st).is_none())
            .cloned()
            .collect()
    }

    /// Status ids of one category, in declaration order.
    pub fn ids_in(&self, category: StatusCategory) -> Vec<&str> {
        self.statuses
            .iter()
            .filter(|s| s.category == category)
            .map(|s| s.id.as_str())
            .collect()
    }

    /// Status ids that count as open (initial, active, waiting).
    pub fn open_ids(&self) -> Vec<&str> {
        self.statuses
            .iter()
            .filter(|s| s.category.is_open())
            .map(|s| s.id.as_str())
            .collect()
    }

    fn triggered(&self, from: &str, on: Trigger) -> Option<&TransitionDef> {
        self.transitions
            .iter()
            .find(|t| t.on == on && t.from.iter().any(|f| f == from))
    }

    /// The status a ticket in `from` moves to when it gets an assignee, if the lifecycle says so.
    pub fn on_assign(&self, from: &str) -> Option<&TransitionDef> {
        self.triggered(from, Trigger::Assign)
    }

    /// The status a ticket in `from` moves to when it loses its assignee.
    pub fn on_unassign(&self, from: &str) -> Option<&TransitionDef> {
        self.triggered(from, Trigger::Unassign)
    }

    /// Manual transitions out of `from`, whoever asks.
    pub fn moves_from(&self, from: &str) -> Vec<&TransitionDef> {
        self.transitions
            .iter()
            .filter(|t| t.on == Trigger::Move && t.from.iter().any(|f| f == from))
            .collect()
    }

    /// The manual transitions this actor may attempt on this ticket (fields are asked later).
    /// This is what the desk offers on `s`.
    pub fn offered(&self, ticket: &TicketState, actor: &Actor) -> Vec<&TransitionDef> {
        if rights::check(actor, Action::Move, ticket.assignee.as_ref()).is_err() {
            return Vec::new();
        }
        self.moves_from(&ticket.status)
            .into_iter()
            .filter(|t| t.roles.is_empty() || t.roles.contains(&actor.role()))
            .collect()
    }

    /// Where a ticket waiting for its requester goes when the requester answers (mail in, the
    /// web page): back to the status it waited from (`came_from`) when a move leads there,
    /// else the first move to an active status. None: the ticket is not waiting, or no move
    /// that needs nothing more than a reason leads back. The requester's answer is the
    /// trigger, so no role is asked; `reason` is recorded with the move.
    pub fn resume(
        &self,
        ticket: &TicketState,
        came_from: Option<&str>,
        reason: &str,
    ) -> Option<Transition> {
        let current = self.status(&ticket.status)?;
        if current.category != StatusCategory::Waiting {
            return None;
        }
        let moves = self.moves_from(&current.id);
        let fits = |t: &TransitionDef| {
            self.category(&t.to) == Some(StatusCategory::Active)
                && !t.requires.contains(&Field::Answer)
        };
        let def = came_from
            .and_then(|f| moves.iter().find(|t| t.to == f && fits(t)))
            .or_else(|| moves.iter().find(|t| fits(t)))?;
        let target = self.status(&def.to)?;
        let outcome = self
            .decide_outcome(current, target, &Fields::default())
            .ok()?;
        Some(Transition {
            name: def.name.clone(),
            from: current.id.clone(),
            to: target.id.clone(),
            from_category: current.category,
            to_category: target.category,
            outcome,
            reason: Some(reason.to_string()),
            answer: None,
        })
    }

    /// Decides one status change: the transition with everything to record, or why not.
    pub fn check(
        &self,
        ticket: &TicketState,
        to: &str,
        actor: &Actor,
        fields: &Fields,
    ) -> Result<Transition, Refusal> {
        let target = self.status(to).ok_or_else(|| Refusal::UnknownStatus {
            status: to.to_string(),
            known: self.statuses.iter().map(|s| s.id.clone()).collect(),
        })?;
        let current = self
            .status(&ticket.status)
            .ok_or_else(|| Refusal::CurrentStatusUnknown {
                status: ticket.status.clone(),
            })?;
        if current.id == target.id {
            return Err(Refusal::AlreadyInStatus {
                status: target.id.clone(),
            });
        }
        let def = self
            .moves_from(&current.id)
            .into_iter()
            .find(|t| t.to == target.id);
        let Some(def) = def else {
            let by_assignment = self.transitions.iter().any(|t| {
                t.on != Trigger::Move && t.to == target.id && t.from.contains(&current.id)
            });
            if by_assignment {
                return Err(Refusal::ByAssignment {
                    to: target.id.clone(),
                });
            }
            return Err(Refusal::NoTransition {
                from: current.id.clone(),
                to: target.id.clone(),
                allowed: self
                    .moves_from(&current.id)
                    .iter()
                    .map(|t| t.to.clone())
                    .collect(),
            });
        };
        rights::check(actor, Action::Move, ticket.assignee.as_ref())?;
        if !def.roles.is_empty() && !def.roles.contains(&actor.role()) {
            return Err(Refusal::RoleNeeded {
                action: Action::Move,
                detail: Some(format!("{} → {}", current.id, target.id)),
                needed: def.roles.clone(),
                have: actor.role(),
            });
        }
        let outcome = self.decide_outcome(current, target, fields)?;
        let takes_outcome = matches!(outcome, OutcomeChange::Set(..));
        for field in &def.requires {
            let present = match field {
                Field::Reason => fields.reason().is_some(),
                Field::Answer => fields.answer().is_some(),
            };
            if !present {
                return Err(Refusal::FieldRequired {
                    field: field.as_str(),
                    transition: def.name.clone(),
                });
            }
        }
        if target.category == StatusCategory::Closed {
            let has_final = match &outcome {
                OutcomeChange::Set(o, _) => is_final(*o),
                OutcomeChange::Keep => ticket.outcome.is_some_and(is_final),
                OutcomeChange::Clear => false,
            };
            if !has_final {
                return Err(Refusal::NoOutcome {
                    status: target.id.clone(),
                });
            }
        }
        Ok(Transition {
            name: def.name.clone(),
            from: current.id.clone(),
            to: target.id.clone(),
            from_category: current.category,
            to_category: target.category,
            outcome,
            reason: if takes_outcome {
                None
            } else {
                fields.reason().map(str::to_string)
            },
            answer: fields.answer().map(str::to_string),
        })
    }

    fn decide_outcome(
        &self,
        current: &StatusDef,
        target: &StatusDef,
        fields: &Fields,
    ) -> Result<OutcomeChange, Refusal> {
        if target.outcomes.is_empty() {
            if let Some(o) = fields.outcome {
                return Err(Refusal::OutcomeNotAllowed {
                    status: target.id.clone(),
                    outcome: o,
                    allowed: Vec::new(),
                });
            }
            // Each decision keeps its own outcome, note and answer: reopening a finished
            // ticket, or taking it up again once the requester has answered a question,
            // leaves the earlier decision to the history.
            let reopening = current.category.is_finished() && target.category.is_open();
            let answered = current.category == StatusCategory::Waiting
                && target.category != StatusCategory::Waiting;
            return Ok(if reopening || answered {
                OutcomeChange::Clear
            } else {
                OutcomeChange::Keep
            });
        }
        let outcome = match (fields.outcome, target.outcomes.as_slice()) {
            (Some(o), allowed) if allowed.contains(&o) => o,
            (Some(o), allowed) => {
                return Err(Refusal::OutcomeNotAllowed {
                    status: target.id.clone(),
                    outcome: o,
                    allowed: allowed.to_vec(),
                });
            }
            (None, [only]) => *only,
            (None, allowed) => {
                return Err(Refusal::OutcomeRequired {
                    status: target.id.clone(),
                    allowed: allowed.to_vec(),
                });
            }
        };
        let note = fields.reason().map(str::to_string);
        if let Some(kind) = outcome.required_note()
            && note.is_none()
        {
            return Err(Refusal::NoteRequired {
                outcome,
                note: kind,
            });
        }
        Ok(OutcomeChange::Set(outcome, note))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::Config;
    use proptest::prelude::*;

    fn life() -> Lifecycle {
        Config::builtin().expect("built-in config").lifecycle
    }

    fn agent(id: i64, role: Role) -> AgentRef {
        AgentRef {
            id,
            login: format!("agent{id}"),
            role,
        }
    }

    fn ticket(status: &str, assignee: Option<AgentRef>) -> TicketState {
        TicketState {
            status: status.into(),
            assignee,
            outcome: None,
        }
    }

    fn op() -> Actor {
        Actor::new(agent(1, Role::Operator))
    }

    fn with(outcome: Option<Outcome>, reason: Option<&str>) -> Fields {
        Fields {
            outcome,
            reason: reason.map(str::to_string),
            answer: None,
        }
    }

    #[test]
    fn statuses_in_use_must_stay_declared() {
        let in_use = vec![("new".to_string(), 3), ("archived".to_string(), 2)];
        assert_eq!(
            life().undeclared(&in_use),
            vec![("archived".to_string(), 2)]
        );
        assert!(life().undeclared(&in_use[..1]).is_empty());
    }

    #[test]
    fn a_requester_answer_resumes_only_a_waiting_ticket() {
        let l = life();
        let mut waiting = ticket("waiting_info", Some(agent(1, Role::Operator)));
        waiting.outcome = Some(Outcome::Clarification);
        let tr = l
            .resume(&waiting, Some("in_progress"), "answered")
            .expect("resumes");
        assert_eq!(
            (tr.from.as_str(), tr.to.as_str()),
            ("waiting_info", "in_progress")
        );
        // The same as an operator's move back: the question leaves the ticket for its history.
        let by_hand = l
            .check(
                &waiting,
                "in_progress",
                &Actor::new(agent(1, Role::Operator)),
                &Fields::default(),
            )
            .expect("allowed");
        assert_eq!(tr.outcome, by_hand.outcome);
        assert_eq!(tr.reason.as_deref(), Some("answered"));
        // Where it came from is preferred, else the first way back to work.
        let tr = l.resume(&waiting, Some("nowhere"), "x").expect("resumes");
        assert_eq!(tr.to, "in_progress");
        for status in ["new", "in_progress", "resolved", "closed"] {
            assert!(
                l.resume(&ticket(status, None), None, "x").is_none(),
                "{status}"
            );
        }
    }

    #[test]
    fn the_default_lifecycle_mirrors_the_seeds() {
        let l = life();
        assert_eq!(l.initial(), "new");
        let targets = |from: &str| -> Vec<String> {
            l.moves_from(from).iter().map(|t| t.to.clone()).collect()
        };
        assert_eq!(targets("new"), vec!["rejected"]);
        assert_eq!(
            l.on_assign("new").map(|t| t.to.as_str()),
            Some("attributed")
        );
        assert_eq!(targets("attributed"), vec!["in_progress"]);
        let mut ip = targets("in_progress");
        ip.sort();
        assert_eq!(
            ip,
            vec![
                "in_execution",
                "on_review",
                "rejected",
                "resolved",
                "waiting_info"
            ]
        );
        assert_eq!(targets("waiting_info"), vec!["in_progress"]);
        assert_eq!(targets("in_execution"), vec!["resolved"]);
        let mut review = targets("on_review");
        review.sort();
        assert_eq!(review, vec!["in_progress", "rejected", "resolved"]);
        for done in ["resolved", "rejected"] {
            let mut t = targets(done);
            t.sort();
            assert_eq!(t, vec!["closed", "in_progress"]);
        }
        assert_eq!(targets("closed"), vec!["in_progress"]);
    }

    #[test]
    fn a_done_status_needs_an_outcome() {
        let l = life();
        let mine = ticket("in_progress", Some(agent(1, Role::Operator)));
        assert!(matches!(
            l.check(&mine, "resolved", &op(), &Fields::default()),
            Err(Refusal::OutcomeRequired { .. })
        ));
        assert!(matches!(
            l.check(
                &mine,
                "resolved",
                &op(),
                &with(Some(Outcome::Refused), Some("x"))
            ),
            Err(Refusal::OutcomeNotAllowed { .. })
        ));
        let ok = l
            .check(
                &mine,
                "resolved",
                &op(),
                &with(Some(Outcome::Granted), None),
            )
            .expect("granted is enough");
        assert_eq!(ok.outcome, OutcomeChange::Set(Outcome::Granted, None));
        assert_eq!(ok.to_category, StatusCategory::Done);
    }

    #[test]
    fn outcomes_require_their_notes() {
        let l = life();
        let mine = ticket("in_progress", Some(agent(1, Role::Operator)));
        for (to, outcome) in [
            ("rejected", Outcome::Refused),
            ("rejected", Outcome::Invalid),
            ("resolved", Outcome::Partial),
        ] {
            assert!(
                matches!(
                    l.check(&mine, to, &op(), &with(Some(outcome), Some("   "))),
                    Err(Refusal::NoteRequired { .. })
                ),
                "{outcome} without note"
            );
            let t = l
                .check(&mine, to, &op(), &with(Some(outcome), Some("because")))
                .expect("with note");
            assert_eq!(
                t.outcome,
                OutcomeChange::Set(outcome, Some("because".into()))
            );
        }
    }

    #[test]
    fn asking_for_information_records_a_clarification_and_its_question() {
        let l = life();
        let mine = ticket("in_progress", Some(agent(1, Role::Operator)));
        match l.check(&mine, "waiting_info", &op(), &Fields::default()) {
            Err(Refusal::NoteRequired { outcome, note }) => {
                assert_eq!(outcome, Outcome::Clarification);
                assert_eq!(note, crate::core::model::OutcomeNote::Question);
            }
            other => panic!("expected a question to be required, got {other:?}"),
        }
        let t = l
            .check(
                &mine,
                "waiting_info",
                &op(),
                &with(None, Some("Which flat?")),
            )
            .expect("question given");
        assert_eq!(
            t.outcome,
            OutcomeChange::Set(Outcome::Clarification, Some("Which flat?".into()))
        );
    }

    #[test]
    fn reopen_needs_a_reason_and_clears_the_outcome() {
        let l = life();
        let mut done = ticket("resolved", Some(agent(1, Role::Operator)));
        done.outcome = Some(Outcome::Granted);
        assert!(matches!(
            l.check(&done, "in_progress", &op(), &Fields::default()),
            Err(Refusal::FieldRequired {
                field: "reason",
                ..
            })
        ));
        let t = l
            .check(
                &done,
                "in_progress",
                &op(),
                &with(None, Some("requester called back")),
            )
            .expect("reopen");
        assert_eq!(t.outcome, OutcomeChange::Clear);
        assert_eq!(t.reason.as_deref(), Some("requester called back"));
    }

    #[test]
    fn review_decisions_belong_to_supervisors() {
        let l = life();
        let t = ticket("on_review", Some(agent(1, Role::Operator)));
        match l.check(&t, "resolved", &op(), &with(Some(Outcome::Granted), None)) {
            Err(Refusal::RoleNeeded { needed, .. }) => {
                assert_eq!(needed, vec![Role::Supervisor, Role::Admin])
            }
            other => panic!("expected RoleNeeded, got {other:?}"),
        }
        let sup = Actor::new(agent(2, Role::Supervisor));
        assert!(
            l.check(&t, "resolved", &sup, &with(Some(Outcome::Granted), None))
                .is_ok()
        );
        assert!(l.offered(&t, &op()).is_empty());
        assert_eq!(l.offered(&t, &sup).len(), 3);
    }

    #[test]
    fn operators_may_not_move_another_agents_ticket() {
        let l = life();
        let theirs = ticket("in_progress", Some(agent(9, Role::Operator)));
        assert_eq!(
            l.check(
                &theirs,
                "resolved",
                &op(),
                &with(Some(Outcome::Granted), None)
            ),
            Err(Refusal::NotYours {
                owner: "agent9".into()
            })
        );
        assert!(l.offered(&theirs, &op()).is_empty());
    }

    #[test]
    fn attributed_is_reached_by_assignment_not_by_a_move() {
        let l = life();
        assert_eq!(
            l.check(
                &ticket("new", None),
                "attributed",
                &op(),
                &Fields::default()
            ),
            Err(Refusal::ByAssignment {
                to: "attributed".into()
            })
        );
        match l.check(&ticket("new", None), "closed", &op(), &Fields::default()) {
            Err(Refusal::NoTransition { allowed, .. }) => assert_eq!(allowed, vec!["rejected"]),
            other => panic!("expected NoTransition, got {other:?}"),
        }
        assert!(matches!(
            l.check(&ticket("new", None), "nonsense", &op(), &Fields::default()),
            Err(Refusal::UnknownStatus { .. })
        ));
        assert!(matches!(
            l.check(&ticket("new", None), "new", &op(), &Fields::default()),
            Err(Refusal::AlreadyInStatus { .. })
        ));
    }

    #[test]
    fn outcome_on_a_status_that_takes_none_is_refused() {
        let l = life();
        let mine = ticket("attributed", Some(agent(1, Role::Operator)));
        assert!(matches!(
            l.check(
                &mine,
                "in_progress",
                &op(),
                &with(Some(Outcome::Granted), None)
            ),
            Err(Refusal::OutcomeNotAllowed { .. })
        ));
    }

    #[derive(Debug, Clone)]
    enum Step {
        Move(usize, Option<Outcome>, bool),
        Claim(bool),
        Give(i64, bool),
        Unassign(bool),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (
                0usize..16,
                prop::option::of(prop::sample::select(Outcome::ALL.to_vec())),
                any::<bool>()
            )
                .prop_map(|(t, o, r)| Step::Move(t, o, r)),
            any::<bool>().prop_map(Step::Claim),
            (1i64..4, any::<bool>()).prop_map(|(a, r)| Step::Give(a, r)),
            any::<bool>().prop_map(Step::Unassign),
        ]
    }

    proptest! {
        /// Random action sequences by random actors, through the real attribution and lifecycle
        /// rules: never a done or closed status without a final outcome, never an undeclared
        /// transition, never an operator moving or re-attributing another's ticket, never a
        /// reassignment without a reason.
        #[test]
        fn random_actions_keep_the_invariants(
            steps in prop::collection::vec((step(), 1i64..4), 1..60)
        ) {
            let l = life();
            let roles = [Role::Operator, Role::Operator, Role::Supervisor];
            let agents: Vec<AgentRef> = (1..4).map(|i| agent(i, roles[(i - 1) as usize])).collect();
            let mut t = ticket("new", None);
            let ids: Vec<String> = l.statuses().iter().map(|s| s.id.clone()).collect();
            for (step, who) in steps {
                let actor = Actor::new(agents[(who - 1) as usize].clone());
                match step {
                    Step::Move(target, outcome, with_reason) => {
                        let to = &ids[target % ids.len()];
                        let fields = Fields { outcome, reason: with_reason.then(|| "r".to_string()), answer: None };
                        let before = t.clone();
                        if let Ok(tr) = l.check(&t, to, &actor, &fields) {
                            prop_assert!(l.moves_from(&before.status).iter().any(|d| &d.to == to),
                                "undeclared {} -> {}", before.status, to);
                            if actor.role() == Role::Operator {
                                prop_assert!(before.assignee.as_ref().is_none_or(|a| a.id == actor.id()),
                                    "operator moved another's ticket");
                            }
                            t.status = tr.to.clone();
                            match tr.outcome {
                                OutcomeChange::Set(o, _) => t.outcome = Some(o),
                                OutcomeChange::Clear => t.outcome = None,
                                OutcomeChange::Keep => {}
                            }
                        }
                    }
                    Step::Claim(_) | Step::Give(..) | Step::Unassign(_) => {
                        use crate::core::attribution::{self, Candidate};
                        let cand = |a: &AgentRef| Candidate {
                            agent: a.clone(), active: true, away: false, load: 0, capacity: 10,
                            last_assigned_at: None,
                        };
                        let reason = |r: bool| r.then_some("because");
                        let result = match &step {
                            Step::Claim(r) => attribution::claim(&l, &t, &actor, &cand(&actor.agent), reason(*r)),
                            Step::Give(to, r) => attribution::give(&l, &t, &actor, &cand(&agents[(*to - 1) as usize]), reason(*r)),
                            Step::Unassign(r) => attribution::unassign(&l, &t, &actor, reason(*r)),
                            Step::Move(..) => unreachable!("handled above"),
                        };
                        if let Ok(a) = result {
                            if actor.role() == Role::Operator {
                                prop_assert!(t.assignee.as_ref().is_none_or(|o| o.id == actor.id()),
                                    "operator re-attributed another's ticket: {:?}", step);
                            }
                            if a.is_reassignment() || (a.to.is_none() && t.assignee.as_ref().is_some_and(|o| o.id != actor.id())) {
                                prop_assert!(a.reason.is_some(), "reassignment without a reason");
                            }
                            t.assignee = a.to.clone();
                            if let Some(s) = a.status_to { t.status = s; }
                        }
                    }
                }
                let cat = l.category(&t.status).expect("known status");
                if cat.is_finished() {
                    prop_assert!(t.outcome.is_some_and(is_final), "{} without a final outcome", t.status);
                }
            }
        }
    }
}
