//! Plain domain values shared by every layer. No IO.

use std::fmt;
use std::str::FromStr;

/// Declares a closed set of identifiers with their stable text form, parsing and display.
macro_rules! ident_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The stable identifier used in the database, config files and JSON.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// Every accepted identifier, for error messages.
            pub fn choices() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl FromStr for $name {
            type Err = crate::core::message::Message;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let key = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
                match key.as_str() {
                    $($text $(| $alias)* => Ok($name::$variant),)+
                    _ => Err(crate::msg!(
                        "error.unknown_id",
                        what = crate::core::message::term(concat!("what.", $what)),
                        value = s,
                        choices = Self::choices()
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <String as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

ident_enum!(
    /// What an agent may do is decided by their role (see `rights`). People work the desk as
    /// operators, supervisors and admins, or only read it as viewers; `mail`, `web` and
    /// `system` are the roles of background services (mail delivery, the requesters' web page,
    /// timers), each running as its own system user.
    Role, "role" {
        Operator => "operator",
        Supervisor => "supervisor",
        Admin => "admin",
        Viewer => "viewer",
        Mail => "mail",
        Web => "web",
        System => "system",
    }
);

ident_enum!(
    /// How a group's automatic assignment chooses among its members with room
    /// (`[[group]] assign`): the least loaded (ties: who waited longest since their last
    /// ticket), or each in turn.
    AssignRule, "assign_rule" {
        LeastLoaded => "least_loaded",
        RoundRobin => "round_robin",
    }
);

ident_enum!(
    Priority, "priority" {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

impl Priority {
    /// Rank used for sorting: higher is more urgent.
    pub fn rank(self) -> i64 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }
    pub fn from_rank(rank: i64) -> Option<Priority> {
        Priority::ALL.iter().copied().find(|p| p.rank() == rank)
    }
}

ident_enum!(
    /// How a request reached the desk.
    Channel, "channel" {
        Phone => "phone",
        InPerson => "in_person",
        // The words the desk shows are accepted too.
        Email => "email" | "e_mail",
        Web => "web" | "web_form",
        Api => "api" | "script",
    }
);

ident_enum!(
    /// The result of processing a request.
    Outcome, "outcome" {
        Granted => "granted",
        Refused => "refused",
        Partial => "partial",
        Clarification => "clarification",
        Invalid => "invalid",
    }
);

/// What text an outcome must carry in the ticket's `reason` field, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeNote {
    /// Why the request was refused or is invalid.
    Reason,
    /// The next steps offered to the requester.
    NextSteps,
    /// The question put to the requester.
    Question,
}

impl OutcomeNote {
    /// Catalog key of the label shown beside the note.
    pub fn label_key(self) -> &'static str {
        match self {
            OutcomeNote::Reason => "field.reason",
            OutcomeNote::NextSteps => "field.next_steps",
            OutcomeNote::Question => "field.question",
        }
    }
}

impl Outcome {
    /// The note this outcome requires (refused/invalid: reason; partial: next steps;
    /// clarification: the question). Granted requires none.
    pub fn required_note(self) -> Option<OutcomeNote> {
        match self {
            Outcome::Granted => None,
            Outcome::Refused | Outcome::Invalid => Some(OutcomeNote::Reason),
            Outcome::Partial => Some(OutcomeNote::NextSteps),
            Outcome::Clarification => Some(OutcomeNote::Question),
        }
    }
    /// The label of the note field for this outcome (granted: an optional reason).
    pub fn note_kind(self) -> OutcomeNote {
        self.required_note().unwrap_or(OutcomeNote::Reason)
    }
}

ident_enum!(
    /// Every status belongs to one category; the rules speak of categories.
    StatusCategory, "status_category" {
        Initial => "initial",
        Active => "active",
        Waiting => "waiting",
        Done => "done",
        Closed => "closed",
    }
);

impl StatusCategory {
    /// Open tickets count towards an agent's load and appear in work queues.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            StatusCategory::Initial | StatusCategory::Active | StatusCategory::Waiting
        )
    }
    /// Done or closed: processing has ended.
    pub fn is_finished(self) -> bool {
        !self.is_open()
    }
}

ident_enum!(
    /// The kinds of history events. The history is append-only. `message`: a message from
    /// the requester (mail in); `notice`: a notice to the requester sent, failed for good, or
    /// given another way; `alerted`: an escalation told to a supervisor (`desk tick`), who
    /// then saw it (`alert_seen`).
    EventKind, "event_kind" {
        Created => "created",
        Status => "status",
        Outcome => "outcome",
        Assigned => "assigned",
        Group => "group",
        Comment => "comment",
        Reply => "reply",
        Rated => "rated",
        Field => "field",
        Merged => "merged",
        Linked => "linked",
        Unlinked => "unlinked",
        Attached => "attached",
        Message => "message",
        Notice => "notice",
        Reminded => "reminded",
        Escalated => "escalated",
        Extended => "extended",
        Alerted => "alerted",
        AlertSeen => "alert_seen",
    }
);

ident_enum!(
    /// What a notice is about (DESIGN §9): to the requester, or (`alert`) to a supervisor of
    /// the ticket's group, an escalation.
    NoticeKind, "notice" {
        Acknowledgement => "acknowledgement",
        Question => "question",
        Decision => "decision",
        Reply => "reply",
        Alert => "alert",
    }
);

ident_enum!(
    /// Where a notice stands: pending (to be delivered, again after a temporary failure),
    /// sent, failed (for good: the requester must be told another way), manual (no e-mail
    /// address: the same), informed (told another way, as an operator recorded), withdrawn
    /// (its change was undone before it left), suppressed (too many to this address in an
    /// hour).
    NoticeState, "notice state" {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
        Manual => "manual",
        Informed => "informed",
        Withdrawn => "withdrawn",
        Suppressed => "suppressed",
    }
);

impl NoticeState {
    /// The operator must act: tell the requester another way and record it.
    pub fn needs_operator(self) -> bool {
        matches!(self, NoticeState::Failed | NoticeState::Manual)
    }
}

/// A reference to an agent as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentRef {
    pub id: i64,
    pub login: String,
    pub role: Role,
}

/// The person acting: the agent whose rights apply, and the admin behind `--as`, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub agent: AgentRef,
    pub via: Option<AgentRef>,
}

impl Actor {
    pub fn new(agent: AgentRef) -> Actor {
        Actor { agent, via: None }
    }
    pub fn role(&self) -> Role {
        self.agent.role
    }
    pub fn id(&self) -> i64 {
        self.agent.id
    }
}

/// Input limits. A request larger than this is refused with a clear message (exit 2), never
/// truncated silently.
pub mod limits {
    /// Subject: one line a person reads in a queue.
    pub const SUBJECT_CHARS: usize = 500;
    /// Requester name, contact, codes.
    pub const NAME_CHARS: usize = 300;
    /// The request itself (4 MiB: a long letter with quoted history fits comfortably).
    pub const BODY_BYTES: usize = 4 << 20;
    /// Comments, answers, reasons.
    pub const NOTE_BYTES: usize = 1 << 20;
    /// What one import (requests, or a survey's ratings) may record on the shared desk: it is
    /// one transaction, all or nothing, and every colleague's change waits while it runs —
    /// unbounded, an operator's import of 20,000 requests held everyone's writes past their
    /// timeout. At most this many items…
    pub const BATCH_ITEMS: usize = 1000;
    /// …and this much text (subjects, requests, names, comments) at a time.
    pub const BATCH_BYTES: usize = 16 << 20;
}

/// Checks one text field against its limit; `chars` counts characters, else bytes.
pub fn check_length(
    field: &str,
    value: &str,
    limit: usize,
    chars: bool,
) -> Result<(), crate::core::message::Message> {
    let len = if chars {
        value.chars().count()
    } else {
        value.len()
    };
    if len > limit {
        Err(crate::msg!(
            if chars {
                "error.too_many_chars"
            } else {
                "error.too_many_bytes"
            },
            field = crate::core::message::id("what", field),
            len = len,
            limit = limit
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_round_trip_and_are_tolerant() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(*c));
        }
        assert_eq!("In-Person".parse::<Channel>(), Ok(Channel::InPerson));
        assert_eq!(" URGENT ".parse::<Priority>(), Ok(Priority::Urgent));
        assert_eq!("script".parse::<Channel>(), Ok(Channel::Api));
        assert_eq!("web form".parse::<Channel>(), Ok(Channel::Web));
        let err = "hgh".parse::<Priority>().unwrap_err();
        assert!(
            err.to_string().contains("low, normal, high, urgent"),
            "{err}"
        );
    }

    #[test]
    fn priority_rank_round_trips() {
        for p in Priority::ALL {
            assert_eq!(Priority::from_rank(p.rank()), Some(*p));
        }
        assert_eq!(Priority::from_rank(9), None);
    }

    #[test]
    fn outcomes_name_their_required_note() {
        assert_eq!(Outcome::Granted.required_note(), None);
        assert_eq!(Outcome::Refused.required_note(), Some(OutcomeNote::Reason));
        assert_eq!(Outcome::Invalid.required_note(), Some(OutcomeNote::Reason));
        assert_eq!(
            Outcome::Partial.required_note(),
            Some(OutcomeNote::NextSteps)
        );
        assert_eq!(
            Outcome::Clarification.required_note(),
            Some(OutcomeNote::Question)
        );
    }
}
