//! Why a rule said no. Every refusal has a message key and arguments, rendered in the user's
//! language by `crate::i18n`; `Display` gives the English text.

use super::model::{Outcome, OutcomeNote, Role};
use super::rights::Action;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    UnknownStatus {
        status: String,
        known: Vec<String>,
    },
    CurrentStatusUnknown {
        status: String,
    },
    AlreadyInStatus {
        status: String,
    },
    NoTransition {
        from: String,
        to: String,
        allowed: Vec<String>,
    },
    /// The status is reached by claiming or assigning, not by a move.
    ByAssignment {
        to: String,
    },
    RoleNeeded {
        action: Action,
        /// The transition, for moves restricted by the lifecycle.
        detail: Option<String>,
        needed: Vec<Role>,
        have: Role,
    },
    NotYours {
        owner: String,
    },
    OutcomeRequired {
        status: String,
        allowed: Vec<Outcome>,
    },
    OutcomeNotAllowed {
        status: String,
        outcome: Outcome,
        allowed: Vec<Outcome>,
    },
    NoteRequired {
        outcome: Outcome,
        note: OutcomeNote,
    },
    FieldRequired {
        field: &'static str,
        transition: String,
    },
    NoOutcome {
        status: String,
    },
    AlreadyYours,
    AlreadyAssigned {
        to: String,
    },
    NotAssigned,
    AlreadyInGroup {
        group: String,
    },
    AgentInactive {
        login: String,
    },
    /// Viewers and services never own tickets.
    CannotOwn {
        login: String,
        role: Role,
    },
    ReasonRequired {
        action: Action,
    },
    TicketClosed {
        status: String,
    },
    Stale {
        by: String,
        at: String,
    },
    NotRatable {
        status: String,
    },
    AlreadyRated,
    RatingRange {
        given: i64,
    },
    EmptyText {
        field: &'static str,
    },
    UndoNotYours,
    UndoChanged {
        by: String,
        at: String,
    },
    UndoClosed,
    /// An edit that changes nothing.
    NothingToChange,
    /// Routing again needs a new category to route by.
    RerouteWithoutCategory,
    /// Routing again chooses the group: a group given as well contradicts it.
    RerouteAndGroup,
    MergeSelf,
    /// This ticket was already merged into another one.
    AlreadyMerged {
        number: String,
        into: String,
    },
    /// A finished ticket is not merged (link it instead).
    MergeFinished {
        status: String,
    },
    /// The lifecycle has no status to close a duplicate in.
    NoClosingStatus,
    LinkSelf,
    AlreadyLinked {
        other: String,
        /// What the other ticket is to this one: related, parent, child.
        role: &'static str,
    },
    NotLinked {
        other: String,
    },
    /// A finished ticket's deadline is not extended.
    ExtendFinished,
    /// The ticket has no resolution target to extend.
    NoDeadline,
}

fn list<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl Refusal {
    /// The catalog key (under `refusal.`) and named arguments of this refusal.
    pub fn key_args(&self) -> (&'static str, Vec<(&'static str, String)>) {
        use Refusal::*;
        match self {
            UnknownStatus { status, known } => (
                "unknown_status",
                vec![("status", status.clone()), ("known", list(known))],
            ),
            CurrentStatusUnknown { status } => {
                ("current_status_unknown", vec![("status", status.clone())])
            }
            AlreadyInStatus { status } => ("already_in_status", vec![("status", status.clone())]),
            NoTransition { from, to, allowed } if allowed.is_empty() => (
                "no_transition_none",
                vec![("from", from.clone()), ("to", to.clone())],
            ),
            NoTransition { from, to, allowed } => (
                "no_transition",
                vec![
                    ("from", from.clone()),
                    ("to", to.clone()),
                    ("allowed", list(allowed)),
                ],
            ),
            ByAssignment { to } => ("by_assignment", vec![("to", to.clone())]),
            RoleNeeded {
                action,
                detail,
                needed,
                have,
            } => (
                "role_needed",
                role_needed(*action, detail.as_deref(), needed, *have),
            ),
            NotYours { owner } => ("not_yours", vec![("owner", owner.clone())]),
            OutcomeRequired { status, allowed } => (
                "outcome_required",
                vec![("status", status.clone()), ("allowed", list(allowed))],
            ),
            OutcomeNotAllowed {
                status,
                outcome,
                allowed,
            } => outcome_not_allowed(status, *outcome, allowed),
            NoteRequired { outcome, note } => {
                (note_required(*note), vec![("outcome", outcome.to_string())])
            }
            FieldRequired { field, transition } => (
                "field_required",
                vec![
                    ("field", field.to_string()),
                    ("transition", transition.clone()),
                ],
            ),
            NoOutcome { status } => ("no_outcome", vec![("status", status.clone())]),
            AlreadyYours => ("already_yours", vec![]),
            AlreadyAssigned { to } => ("already_assigned", vec![("to", to.clone())]),
            NotAssigned => ("not_assigned", vec![]),
            AlreadyInGroup { group } => ("already_in_group", vec![("group", group.clone())]),
            AgentInactive { login } => ("agent_inactive", vec![("login", login.clone())]),
            CannotOwn { login, role } => (
                "cannot_own",
                vec![("login", login.clone()), ("role", role.to_string())],
            ),
            ReasonRequired { action } => (reason_required(*action), vec![]),
            TicketClosed { status } => ("ticket_closed", vec![("status", status.clone())]),
            Stale { by, at } => ("stale", vec![("by", by.clone()), ("at", at.clone())]),
            NotRatable { status } => ("not_ratable", vec![("status", status.clone())]),
            AlreadyRated => ("already_rated", vec![]),
            RatingRange { given } => ("rating_range", vec![("given", given.to_string())]),
            EmptyText { field } => ("empty_text", vec![("field", field.to_string())]),
            UndoNotYours => ("undo_not_yours", vec![]),
            UndoChanged { by, at } => {
                ("undo_changed", vec![("by", by.clone()), ("at", at.clone())])
            }
            UndoClosed => ("undo_closed", vec![]),
            NothingToChange => ("nothing_to_change", vec![]),
            RerouteWithoutCategory => ("reroute_without_category", vec![]),
            RerouteAndGroup => ("reroute_and_group", vec![]),
            MergeSelf => ("merge_self", vec![]),
            AlreadyMerged { number, into } => (
                "already_merged",
                vec![("number", number.clone()), ("into", into.clone())],
            ),
            MergeFinished { status } => ("merge_finished", vec![("status", status.clone())]),
            NoClosingStatus => ("no_closing_status", vec![]),
            ExtendFinished => ("extend_finished", vec![]),
            NoDeadline => ("no_deadline", vec![]),
            LinkSelf => ("link_self", vec![]),
            AlreadyLinked { other, role } => (
                "already_linked",
                vec![("other", other.clone()), ("role", role.to_string())],
            ),
            NotLinked { other } => ("not_linked", vec![("other", other.clone())]),
        }
    }
}

/// `role_needed`'s arguments: the action (with what it was about), the roles that may, the
/// role the person has.
fn role_needed(
    action: Action,
    detail: Option<&str>,
    needed: &[Role],
    have: Role,
) -> Vec<(&'static str, String)> {
    let action = match detail {
        Some(d) => format!("{} {d}", action.as_str()),
        None => action.as_str().to_string(),
    };
    vec![
        ("action", action),
        ("needed", list(needed).replace(", ", " or ")),
        ("have", have.to_string()),
    ]
}

/// An outcome a status does not take: none at all, or not this one.
fn outcome_not_allowed(
    status: &str,
    outcome: Outcome,
    allowed: &[Outcome],
) -> (&'static str, Vec<(&'static str, String)>) {
    let mut args = vec![
        ("status", status.to_string()),
        ("outcome", outcome.to_string()),
    ];
    if allowed.is_empty() {
        return ("outcome_not_taken", args);
    }
    args.push(("allowed", list(allowed)));
    ("outcome_not_allowed", args)
}

fn note_required(note: OutcomeNote) -> &'static str {
    match note {
        OutcomeNote::Reason => "reason_for_outcome",
        OutcomeNote::NextSteps => "next_steps_for_outcome",
        OutcomeNote::Question => "question_for_outcome",
    }
}

fn reason_required(action: Action) -> &'static str {
    match action {
        Action::TakeOver => "reason_for_take_over",
        Action::Unassign => "reason_for_unassign",
        Action::Away => "reason_for_hand_over",
        Action::Extend => "reason_for_extend",
        _ => "reason_for_reassign",
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::i18n::Catalog::english().refusal(self))
    }
}

impl std::error::Error for Refusal {}
