//! Timers (`[timers]` in desk.toml, run by `desk tick`): what is due on a ticket waiting for
//! its requester — a reminder, then closing it — and which escalations a ticket at risk or
//! past its target calls for. Everything is decided from the ticket's state and history and
//! the time now, never from when the timers last ran: a tick that did not run for a day
//! catches up on its next run, and whatever was done is in the history, so nothing is done
//! twice.

use super::model::{Outcome, Priority};
use super::sla::{ClockKind, SlaState};
use std::collections::BTreeMap;

/// What the timers do while a ticket waits for its requester.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WaitTimers {
    /// A reminder to the requester after this many seconds of waiting.
    pub remind_after: Option<i64>,
    /// Closed after this many seconds of waiting.
    pub close_after: Option<i64>,
    /// The outcome it is closed with.
    pub close_outcome: Option<Outcome>,
    /// The answer from the templates (`[[answer]]`) its decision is written with.
    pub close_answer: Option<String>,
}

impl WaitTimers {
    /// `over`'s settings where it sets them, else these.
    pub fn overlay(&self, over: &WaitTimers) -> WaitTimers {
        WaitTimers {
            remind_after: over.remind_after.or(self.remind_after),
            close_after: over.close_after.or(self.close_after),
            close_outcome: over.close_outcome.or(self.close_outcome),
            close_answer: over.close_answer.clone().or(self.close_answer.clone()),
        }
    }

    /// The grace a reminder gives: the time from the reminder to closing.
    fn grace(&self) -> Option<i64> {
        match (self.remind_after, self.close_after) {
            (Some(r), Some(c)) => Some(c - r),
            _ => None,
        }
    }
}

/// Which escalation a ticket's clock is due.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Level {
    AtRisk,
    Breached,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::AtRisk => "at_risk",
            Level::Breached => "breached",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "at_risk" => Some(Level::AtRisk),
            "breached" => Some(Level::Breached),
            _ => None,
        }
    }

    /// The level a clock in `state` has reached, if any.
    pub fn of(state: SlaState) -> Option<Level> {
        match state {
            SlaState::AtRisk => Some(Level::AtRisk),
            SlaState::Breached => Some(Level::Breached),
            _ => None,
        }
    }
}

/// What an escalation does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Actions {
    /// A notice to the supervisors of the ticket's group.
    pub notify: bool,
    /// The priority one step up (urgent stays urgent).
    pub raise: bool,
    /// Back to the group's queue (its owner loses it).
    pub unassign: bool,
}

impl Actions {
    fn merge(self, o: Actions) -> Actions {
        Actions {
            notify: self.notify || o.notify,
            raise: self.raise || o.raise,
            unassign: self.unassign || o.unassign,
        }
    }

    pub fn any(self) -> bool {
        self.notify || self.raise || self.unassign
    }

    /// The actions' names, as the history records them.
    pub fn names(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.notify {
            v.push("notify");
        }
        if self.raise {
            v.push("raise");
        }
        if self.unassign {
            v.push("unassign");
        }
        v
    }
}

/// One `[[escalation]]` rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Escalation {
    pub when: Level,
    /// The clocks it watches (empty: every one).
    pub clocks: Vec<ClockKind>,
    /// The categories it applies to (empty: every one).
    pub categories: Vec<String>,
    /// The priorities it applies to (empty: every one).
    pub priorities: Vec<Priority>,
    pub actions: Actions,
}

/// The timers' whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimersConfig {
    pub waiting: WaitTimers,
    /// Category overrides, field by field.
    pub by_category: BTreeMap<String, WaitTimers>,
    pub escalations: Vec<Escalation>,
}

impl TimersConfig {
    /// The waiting timers of a ticket of `category`.
    pub fn waiting_for(&self, category: &str) -> WaitTimers {
        match self.by_category.get(category) {
            Some(over) => self.waiting.overlay(over),
            None => self.waiting.clone(),
        }
    }

    /// Whether any timer can ever close a ticket.
    pub fn closes(&self) -> bool {
        self.waiting.close_after.is_some()
            || self.by_category.values().any(|w| w.close_after.is_some())
    }
}

/// A ticket waiting for its requester, as the timers see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// When it began to wait (this time).
    pub since: i64,
    /// When the reminder of this wait was sent, if it was.
    pub reminded_at: Option<i64>,
}

/// What is due on a waiting ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitDue {
    /// Nothing now; the next thing falls due then (if anything will).
    Nothing { next: Option<i64> },
    /// Remind the requester.
    Remind,
    /// Close it.
    Close,
}

/// When a waiting ticket is closed: `close_after` from when it began to wait, but never
/// sooner than the grace a reminder gives after the reminder was actually sent (a late
/// reminder, after a day the timers did not run, moves the closing with it). Never before
/// the reminder was sent: a ticket whose reminder is due is reminded first.
pub fn close_at(t: &WaitTimers, w: &Waiting) -> Option<i64> {
    let close = w.since.checked_add(t.close_after?)?;
    match (t.remind_after, w.reminded_at, t.grace()) {
        (Some(_), Some(r), Some(grace)) => Some(close.max(r.saturating_add(grace))),
        (Some(_), None, Some(grace)) => {
            // Not reminded yet: at the earliest the grace after the reminder's own time.
            let remind = w.since.saturating_add(t.remind_after.unwrap_or(0));
            Some(close.max(remind.saturating_add(grace)))
        }
        _ => Some(close),
    }
}

/// What is due on a waiting ticket at `now`.
pub fn waiting(t: &WaitTimers, w: &Waiting, now: i64) -> WaitDue {
    let remind_at = match (t.remind_after, w.reminded_at) {
        (Some(after), None) => Some(w.since.saturating_add(after)),
        _ => None,
    };
    if remind_at.is_some_and(|at| now >= at) {
        return WaitDue::Remind;
    }
    let close = close_at(t, w);
    if remind_at.is_none() && close.is_some_and(|at| now >= at) {
        return WaitDue::Close;
    }
    let next = [remind_at, close].into_iter().flatten().min();
    WaitDue::Nothing { next }
}

/// The escalations due on a ticket: for each clock at risk or breached, the rules that apply
/// (by category, priority and clock), unless that clock's level was already escalated since
/// the deadline last moved (`done`). A breach not yet escalated at risk is escalated as a
/// breach only: the at-risk actions come with it.
pub fn escalations(
    rules: &[Escalation],
    clocks: &[(ClockKind, SlaState)],
    category: &str,
    priority: Priority,
    done: &[(ClockKind, Level)],
) -> Vec<(ClockKind, Level, Actions)> {
    let mut out = Vec::new();
    for (clock, state) in clocks {
        let Some(level) = Level::of(*state) else {
            continue;
        };
        if done.contains(&(*clock, level)) {
            continue;
        }
        let applies = |r: &&Escalation| {
            (r.clocks.is_empty() || r.clocks.contains(clock))
                && (r.categories.is_empty() || r.categories.iter().any(|c| c == category))
                && (r.priorities.is_empty() || r.priorities.contains(&priority))
        };
        let mut actions = Actions::default();
        for r in rules.iter().filter(applies) {
            let reached = r.when == level || (r.when == Level::AtRisk && level == Level::Breached);
            let already = r.when == Level::AtRisk && done.contains(&(*clock, Level::AtRisk));
            if reached && !already {
                actions = actions.merge(r.actions);
            }
        }
        if actions.any() {
            out.push((*clock, level, actions));
        }
    }
    out
}

/// One step up: low → normal → high → urgent (urgent stays).
pub fn raised(p: Priority) -> Priority {
    match p {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn t(remind: Option<i64>, close: Option<i64>) -> WaitTimers {
        WaitTimers {
            remind_after: remind.map(|d| d * DAY),
            close_after: close.map(|d| d * DAY),
            close_outcome: Some(Outcome::Refused),
            close_answer: None,
        }
    }

    #[test]
    fn a_waiting_ticket_is_reminded_then_closed() {
        let timers = t(Some(7), Some(30));
        let w = Waiting {
            since: 0,
            reminded_at: None,
        };
        assert_eq!(
            waiting(&timers, &w, 6 * DAY),
            WaitDue::Nothing {
                next: Some(7 * DAY)
            }
        );
        assert_eq!(waiting(&timers, &w, 7 * DAY), WaitDue::Remind);
        let w = Waiting {
            since: 0,
            reminded_at: Some(7 * DAY),
        };
        assert_eq!(
            waiting(&timers, &w, 8 * DAY),
            WaitDue::Nothing {
                next: Some(30 * DAY)
            }
        );
        assert_eq!(waiting(&timers, &w, 30 * DAY), WaitDue::Close);
    }

    #[test]
    fn missed_days_catch_up_without_cutting_the_grace() {
        let timers = t(Some(7), Some(30));
        // The timers did not run for weeks: the reminder goes first, never the closing.
        let w = Waiting {
            since: 0,
            reminded_at: None,
        };
        assert_eq!(waiting(&timers, &w, 40 * DAY), WaitDue::Remind);
        // Reminded late (day 40): closed 23 days after the reminder, not at once.
        let w = Waiting {
            since: 0,
            reminded_at: Some(40 * DAY),
        };
        assert_eq!(close_at(&timers, &w), Some(63 * DAY));
        assert_eq!(
            waiting(&timers, &w, 41 * DAY),
            WaitDue::Nothing {
                next: Some(63 * DAY)
            }
        );
        assert_eq!(waiting(&timers, &w, 63 * DAY), WaitDue::Close);
        // A tick a day late closes a day late, once.
        let w = Waiting {
            since: 0,
            reminded_at: Some(7 * DAY),
        };
        assert_eq!(waiting(&timers, &w, 31 * DAY), WaitDue::Close);
    }

    #[test]
    fn only_what_is_configured_happens() {
        let w = Waiting {
            since: 0,
            reminded_at: None,
        };
        assert_eq!(
            waiting(&t(None, None), &w, 100 * DAY),
            WaitDue::Nothing { next: None }
        );
        assert_eq!(waiting(&t(None, Some(30)), &w, 30 * DAY), WaitDue::Close);
        assert_eq!(waiting(&t(Some(3), None), &w, 3 * DAY), WaitDue::Remind);
        let reminded = Waiting {
            since: 0,
            reminded_at: Some(3 * DAY),
        };
        assert_eq!(
            waiting(&t(Some(3), None), &reminded, 100 * DAY),
            WaitDue::Nothing { next: None }
        );
        // Category settings override field by field.
        let base = t(Some(7), Some(30));
        let over = WaitTimers {
            close_after: Some(14 * DAY),
            ..WaitTimers::default()
        };
        let both = base.overlay(&over);
        assert_eq!(both.remind_after, Some(7 * DAY));
        assert_eq!(both.close_after, Some(14 * DAY));
        assert_eq!(both.close_outcome, Some(Outcome::Refused));
    }

    #[test]
    fn escalations_once_per_clock_and_level() {
        let notify = Escalation {
            when: Level::AtRisk,
            clocks: vec![],
            categories: vec![],
            priorities: vec![],
            actions: Actions {
                notify: true,
                ..Actions::default()
            },
        };
        let raise = Escalation {
            when: Level::Breached,
            clocks: vec![ClockKind::Resolution],
            categories: vec!["HSG".into()],
            priorities: vec![],
            actions: Actions {
                raise: true,
                unassign: true,
                ..Actions::default()
            },
        };
        let rules = [notify, raise];
        let r = ClockKind::Resolution;
        let at_risk = [(r, SlaState::AtRisk)];
        let breached = [(r, SlaState::Breached)];
        let due = escalations(&rules, &at_risk, "HSG", Priority::Normal, &[]);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].1, Level::AtRisk);
        assert_eq!(due[0].2.names(), ["notify"]);
        assert!(
            escalations(
                &rules,
                &at_risk,
                "HSG",
                Priority::Normal,
                &[(r, Level::AtRisk)]
            )
            .is_empty()
        );
        // A breach after the at-risk notice: only the breach's own actions.
        let due = escalations(
            &rules,
            &breached,
            "HSG",
            Priority::Normal,
            &[(r, Level::AtRisk)],
        );
        assert_eq!(due[0].2.names(), ["raise", "unassign"]);
        // A breach never seen at risk (the timers did not run): both at once.
        let due = escalations(&rules, &breached, "HSG", Priority::Normal, &[]);
        assert_eq!(due[0].2.names(), ["notify", "raise", "unassign"]);
        // Another category: only the general rule.
        let due = escalations(&rules, &breached, "SOC", Priority::Normal, &[]);
        assert_eq!(due[0].2.names(), ["notify"]);
        assert!(
            escalations(
                &rules,
                &breached,
                "HSG",
                Priority::Normal,
                &[(r, Level::Breached)]
            )
            .is_empty()
        );
        assert!(escalations(&rules, &[(r, SlaState::Ok)], "HSG", Priority::Normal, &[]).is_empty());
        assert_eq!(raised(Priority::Low), Priority::Normal);
        assert_eq!(raised(Priority::Urgent), Priority::Urgent);
    }
}
