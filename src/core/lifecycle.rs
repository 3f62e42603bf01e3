//! Statuses and transitions as declared data, and the one function that decides every move.

use super::model::{Actor, AgentRef, Outcome, Role, StatusCategory};
use super::refusal::Refusal;
use super::rights::{self, Action};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// An explicit status change (`desk move`, `s` in the desk).
    #[default]
    Move,
    /// The ticket gets an assignee (claim, give, auto-assignment).
    Assign,
    /// The ticket loses its assignee.
    Unassign,
    /// The timers close a ticket that waited too long for its requester (`desk tick`).
    Timer,
}

/// Fields a transition can require besides the outcome's own note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
        self.decide(def, current, target, ticket, fields)
    }

    /// Decides the timers' closing of a ticket that waited too long for its requester: the
    /// `on = "timer"` transition from its status to a status taking `fields`' outcome. No
    /// one's rights are asked: the configuration decided it (`desk tick` checks who runs it).
    pub fn check_timer(
        &self,
        ticket: &TicketState,
        fields: &Fields,
    ) -> Result<Transition, Refusal> {
        let current = self
            .status(&ticket.status)
            .ok_or_else(|| Refusal::CurrentStatusUnknown {
                status: ticket.status.clone(),
            })?;
        let found = self
            .transitions
            .iter()
            .filter(|t| t.on == Trigger::Timer && t.from.contains(&current.id))
            .filter_map(|t| Some((t, self.status(&t.to)?)))
            .find(|(_, s)| fields.outcome.is_some_and(|o| s.outcomes.contains(&o)));
        let Some((def, target)) = found else {
            return Err(Refusal::NoTransition {
                from: current.id.clone(),
                to: String::new(),
                allowed: Vec::new(),
            });
        };
        self.decide(def, current, target, ticket, fields)
    }

    /// The transition `def` from `current` to `target` with these fields: its outcome, the
    /// fields it requires, and what closing needs.
    fn decide(
        &self,
        def: &TransitionDef,
        current: &StatusDef,
        target: &StatusDef,
        ticket: &TicketState,
        fields: &Fields,
    ) -> Result<Transition, Refusal> {
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
mod tests;
