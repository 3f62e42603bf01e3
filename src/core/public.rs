//! The requester's view of a ticket: what a person who wrote in may learn about their request
//! — its status, who handles it, and the public steps with their dates. Decided once, here,
//! for `desk status` (read out on the phone) and the web page (`desk serve`).
//!
//! Public: the registration, each change of status, each decision with its reason, next
//! steps or question, each answer sent, the requester's own messages, and a merge into the
//! ticket that handles the same request. Never public: internal notes, the reasons given with
//! a status change (sending back for rework, reopening — written for colleagues), assignments
//! and groups moving, corrections of fields, links, files, ratings and notices' delivery.
//! Staff are named only where the desk says so (`[web] show_staff`).

use super::model::{Channel, EventKind, Outcome, StatusCategory};

/// One event of the history, as the store read it.
#[derive(Debug, Clone, Copy)]
pub struct Happened<'a> {
    pub at: i64,
    pub kind: EventKind,
    /// The acting agent's display name (None: the desk itself).
    pub actor: Option<&'a str>,
    /// Whether the actor is a person (not a service or the desk).
    pub by_person: bool,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub text: Option<&'a str>,
}

/// What happened, as the requester reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// The request was registered, having come in this way.
    Registered { channel: Option<Channel> },
    /// The request moved to this status (its id).
    Status { status: String },
    /// A decision: the outcome and its note (the reason, the next steps, or the question).
    Decision {
        outcome: Outcome,
        note: Option<String>,
    },
    /// An answer sent to the requester.
    Answer { text: String },
    /// The requester's own message.
    Message { text: String },
    /// The request was joined with another one that asks the same (its number).
    Merged { into: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub at: i64,
    pub kind: StepKind,
    /// The person who took the step, where staff are named.
    pub by: Option<String>,
}

/// The ticket as the store knows it, for the view.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub number: String,
    pub subject: String,
    pub status: String,
    pub status_category: Option<StatusCategory>,
    /// The group handling it: its name.
    pub group: Option<String>,
    /// The person handling it: their name.
    pub handler: Option<String>,
    pub outcome: Option<Outcome>,
    pub note: Option<String>,
    pub answer: Option<String>,
    pub registered_at: i64,
    /// The number of the ticket this one was merged into.
    pub merged_into: Option<String>,
}

/// The requester's view of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub number: String,
    pub subject: String,
    /// The status id (say it with the catalog's `public.status`).
    pub status: String,
    pub status_category: Option<StatusCategory>,
    /// Since when it is in that status.
    pub since: i64,
    pub group: Option<String>,
    /// Named only where staff are shown.
    pub handler: Option<String>,
    /// The decision in force: outcome, its note and the answer given with it.
    pub decision: Option<(Outcome, Option<String>, Option<String>)>,
    pub registered_at: i64,
    pub merged_into: Option<String>,
    /// Oldest first.
    pub steps: Vec<Step>,
}

/// An undone change records "undo" where a reason would go: not a reason to show.
const UNDO: &str = "undo";

fn text_of(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|t| !t.is_empty() && *t != UNDO)
        .map(str::to_string)
}

/// The public steps of a history (oldest first), staff named when `staff` is true.
pub fn steps(events: &[Happened<'_>], staff: bool) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut status: Option<&str> = None;
    for e in events {
        let by = || {
            e.actor
                .filter(|_| staff && e.by_person)
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
        };
        let kind = match e.kind {
            EventKind::Created => {
                status = e.to;
                // The text is "channel|category|priority".
                let channel = e
                    .text
                    .and_then(|t| t.split('|').next())
                    .and_then(|c| c.parse::<Channel>().ok());
                StepKind::Registered { channel }
            }
            EventKind::Status => {
                let Some(to) = e.to.filter(|to| Some(*to) != status) else {
                    continue;
                };
                status = Some(to);
                StepKind::Status {
                    status: to.to_string(),
                }
            }
            EventKind::Outcome => {
                let Some(outcome) = e.to.and_then(|o| o.parse::<Outcome>().ok()) else {
                    // A decision taken back (reopening, undo): the status step says so.
                    continue;
                };
                StepKind::Decision {
                    outcome,
                    note: text_of(e.text),
                }
            }
            EventKind::Reply => match text_of(e.text) {
                Some(text) => StepKind::Answer { text },
                None => continue,
            },
            EventKind::Message => StepKind::Message {
                text: e.text.map(str::trim).unwrap_or("").to_string(),
            },
            EventKind::Merged => match e.to {
                Some(into) => StepKind::Merged {
                    into: into.to_string(),
                },
                // Another request joined this one: the other requester's business.
                None => continue,
            },
            EventKind::Assigned
            | EventKind::Group
            | EventKind::Comment
            | EventKind::Rated
            | EventKind::Field
            | EventKind::Linked
            | EventKind::Unlinked
            | EventKind::Attached
            | EventKind::Notice
            | EventKind::Reminded
            | EventKind::Escalated
            | EventKind::Extended
            | EventKind::Alerted
            | EventKind::AlertSeen => continue,
        };
        let by = match kind {
            StepKind::Decision { .. } | StepKind::Answer { .. } => by(),
            _ => None,
        };
        out.push(Step { at: e.at, kind, by });
    }
    out
}

/// The requester's view: the facts, and the public steps of the history (staff named when
/// `staff` is true).
pub fn view(f: Facts, events: &[Happened<'_>], staff: bool) -> View {
    let steps = steps(events, staff);
    let since = steps
        .iter()
        .rev()
        .find(|s| {
            matches!(
                s.kind,
                StepKind::Status { .. } | StepKind::Registered { .. }
            )
        })
        .map_or(f.registered_at, |s| s.at);
    View {
        decision: f
            .outcome
            .map(|o| (o, text_of(f.note.as_deref()), text_of(f.answer.as_deref()))),
        number: f.number,
        subject: f.subject,
        status: f.status,
        status_category: f.status_category,
        since,
        group: f.group,
        handler: if staff { f.handler } else { None },
        registered_at: f.registered_at,
        merged_into: f.merged_into,
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(
        at: i64,
        kind: EventKind,
        from: Option<&'a str>,
        to: Option<&'a str>,
        text: Option<&'a str>,
    ) -> Happened<'a> {
        Happened {
            at,
            kind,
            actor: Some("Petro Hnatyuk"),
            by_person: true,
            from,
            to,
            text,
        }
    }

    fn history() -> Vec<Happened<'static>> {
        use EventKind::*;
        vec![
            ev(1, Created, None, Some("new"), Some("phone|HSG|high")),
            ev(2, Assigned, None, Some("petro"), Some("automatic")),
            ev(2, Status, Some("new"), Some("attributed"), None),
            ev(3, Comment, None, None, Some("the neighbour says she lies")),
            ev(4, Status, Some("attributed"), Some("in_progress"), None),
            ev(5, Status, Some("in_progress"), Some("waiting_info"), None),
            ev(
                5,
                Outcome,
                None,
                Some("clarification"),
                Some("Which radiator?"),
            ),
            ev(
                6,
                Message,
                Some("olena@example.org"),
                None,
                Some("The one in the kitchen"),
            ),
            ev(
                6,
                Status,
                Some("waiting_info"),
                Some("in_progress"),
                Some("the requester answered (<m@x>)"),
            ),
            ev(7, Field, Some("low"), Some("high"), Some("priority")),
            ev(8, Status, Some("in_progress"), Some("on_review"), None),
            ev(
                9,
                Status,
                Some("on_review"),
                Some("in_progress"),
                Some("typos in the letter"),
            ),
            ev(10, Status, Some("in_progress"), Some("resolved"), None),
            ev(
                10,
                Outcome,
                Some("clarification"),
                Some("partial"),
                Some("Plumber on Thursday"),
            ),
            ev(10, Reply, None, None, Some("We will replace the valve.")),
            ev(11, Notice, Some("decision"), Some("sent"), None),
            ev(12, Attached, None, Some("scan.pdf"), Some("sha256:00 12")),
            ev(13, Linked, None, Some("HSG-2611-00001-X"), Some("related")),
            ev(
                14,
                Merged,
                Some("HSG-2611-00050-Q"),
                None,
                Some("same flat"),
            ),
        ]
    }

    #[test]
    fn only_public_steps_are_shown() {
        let s = steps(&history(), false);
        let kinds: Vec<&StepKind> = s.iter().map(|s| &s.kind).collect();
        assert_eq!(
            kinds,
            vec![
                &StepKind::Registered {
                    channel: Some(Channel::Phone)
                },
                &StepKind::Status {
                    status: "attributed".into()
                },
                &StepKind::Status {
                    status: "in_progress".into()
                },
                &StepKind::Status {
                    status: "waiting_info".into()
                },
                &StepKind::Decision {
                    outcome: Outcome::Clarification,
                    note: Some("Which radiator?".into())
                },
                &StepKind::Message {
                    text: "The one in the kitchen".into()
                },
                &StepKind::Status {
                    status: "in_progress".into()
                },
                &StepKind::Status {
                    status: "on_review".into()
                },
                &StepKind::Status {
                    status: "in_progress".into()
                },
                &StepKind::Status {
                    status: "resolved".into()
                },
                &StepKind::Decision {
                    outcome: Outcome::Partial,
                    note: Some("Plumber on Thursday".into())
                },
                &StepKind::Answer {
                    text: "We will replace the valve.".into()
                },
            ]
        );
        // No internal text anywhere: notes, reasons of moves, corrections, files, links.
        let all = format!("{s:?}");
        for secret in [
            "neighbour",
            "typos",
            "requester answered",
            "priority",
            "scan.pdf",
            "HSG-2611-00001-X",
            "HSG-2611-00050-Q",
            "Petro",
        ] {
            assert!(!all.contains(secret), "{secret} leaked: {all}");
        }
        assert!(s.iter().all(|s| s.by.is_none()));
    }

    #[test]
    fn staff_are_named_only_when_configured_and_only_people() {
        let mut h = history();
        let s = steps(&h, true);
        let named: Vec<_> = s.iter().filter_map(|s| s.by.as_deref()).collect();
        assert_eq!(named, vec!["Petro Hnatyuk"; 3], "decisions and the answer");
        for e in h.iter_mut() {
            e.by_person = false;
        }
        assert!(steps(&h, true).iter().all(|s| s.by.is_none()));
    }

    #[test]
    fn undone_and_cleared_decisions_say_no_reason_of_their_own() {
        use EventKind::*;
        let h = vec![
            ev(1, Created, None, Some("new"), Some("web|GEN|normal")),
            ev(2, Status, Some("new"), Some("rejected"), None),
            ev(2, Outcome, None, Some("invalid"), Some("spam")),
            ev(3, Status, Some("rejected"), Some("new"), Some("undo")),
            ev(3, Outcome, Some("invalid"), None, Some("undo")),
            ev(4, Status, Some("new"), Some("resolved"), None),
            ev(4, Outcome, None, Some("granted"), Some("undo")),
        ];
        let s = steps(&h, false);
        assert_eq!(s.len(), 6, "{s:?}");
        assert_eq!(
            s[5].kind,
            StepKind::Decision {
                outcome: crate::core::model::Outcome::Granted,
                note: None
            }
        );
    }

    #[test]
    fn a_merged_ticket_says_where_it_is_handled() {
        use EventKind::*;
        let h = vec![
            ev(1, Created, None, Some("new"), Some("email|GEN|normal")),
            ev(2, Status, Some("new"), Some("closed"), Some("duplicate")),
            ev(
                2,
                Outcome,
                None,
                Some("invalid"),
                Some("duplicate of GEN-2611-00001-7"),
            ),
            ev(2, Merged, None, Some("GEN-2611-00001-7"), None),
        ];
        let v = view(
            Facts {
                number: "GEN-2611-00002-5".into(),
                status: "closed".into(),
                registered_at: 1,
                merged_into: Some("GEN-2611-00001-7".into()),
                handler: Some("Petro".into()),
                outcome: Some(crate::core::model::Outcome::Invalid),
                note: Some("duplicate of GEN-2611-00001-7".into()),
                ..Facts::default()
            },
            &h,
            false,
        );
        assert_eq!(v.handler, None, "staff not shown");
        assert_eq!(v.since, 2);
        assert_eq!(
            v.steps.last().map(|s| &s.kind),
            Some(&StepKind::Merged {
                into: "GEN-2611-00001-7".into()
            })
        );
        assert_eq!(
            v.decision,
            Some((
                crate::core::model::Outcome::Invalid,
                Some("duplicate of GEN-2611-00001-7".into()),
                None
            ))
        );
    }
}
