//! The requester's rating: a score from 1 to 5, recorded once per finishing of a ticket, by
//! whoever may act on it.

use super::lifecycle::{Lifecycle, TicketState};
use super::model::Actor;
use super::refusal::Refusal;
use super::rights::{self, Action};

/// The scores a requester can give.
pub const SCORES: std::ops::RangeInclusive<i64> = 1..=5;

/// A score, or why it is none.
pub fn check_score(score: i64) -> Result<i64, Refusal> {
    if SCORES.contains(&score) {
        Ok(score)
    } else {
        Err(Refusal::RatingRange { given: score })
    }
}

/// Whether `score` may be recorded on this ticket, which has the rating `current`: only on a
/// finished ticket, once per finishing (reopening clears it). `Ok(false)`: the ticket already
/// has exactly this rating and `same_again_ok` (a survey imported again), so nothing changes.
pub fn may_rate(
    life: &Lifecycle,
    ticket: &TicketState,
    actor: &Actor,
    current: Option<i64>,
    score: i64,
    same_again_ok: bool,
) -> Result<bool, Refusal> {
    rights::check(actor, Action::Rate, ticket.assignee.as_ref())?;
    check_score(score)?;
    if !life
        .category(&ticket.status)
        .is_some_and(|c| c.is_finished())
    {
        return Err(Refusal::NotRatable {
            status: ticket.status.clone(),
        });
    }
    match current {
        Some(s) if same_again_ok && s == score => Ok(false),
        Some(_) => Err(Refusal::AlreadyRated),
        None => Ok(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::Config;
    use crate::core::model::{AgentRef, Role};

    fn ticket(status: &str) -> TicketState {
        TicketState {
            status: status.into(),
            assignee: None,
            outcome: None,
        }
    }

    #[test]
    fn once_per_finishing_on_finished_tickets() {
        let cfg = Config::builtin().expect("built-in configuration");
        let life = &cfg.lifecycle;
        let me = Actor::new(AgentRef {
            id: 1,
            login: "olena".into(),
            role: Role::Operator,
        });
        assert_eq!(check_score(0), Err(Refusal::RatingRange { given: 0 }));
        assert_eq!(check_score(5), Ok(5));
        assert_eq!(
            may_rate(life, &ticket("in_progress"), &me, None, 4, false),
            Err(Refusal::NotRatable {
                status: "in_progress".into()
            })
        );
        assert_eq!(
            may_rate(life, &ticket("resolved"), &me, None, 4, false),
            Ok(true)
        );
        assert_eq!(
            may_rate(life, &ticket("closed"), &me, None, 4, false),
            Ok(true)
        );
        assert_eq!(
            may_rate(life, &ticket("resolved"), &me, Some(4), 4, false),
            Err(Refusal::AlreadyRated)
        );
        assert_eq!(
            may_rate(life, &ticket("resolved"), &me, Some(4), 4, true),
            Ok(false)
        );
        assert_eq!(
            may_rate(life, &ticket("resolved"), &me, Some(3), 4, true),
            Err(Refusal::AlreadyRated)
        );
        assert_eq!(
            may_rate(life, &ticket("resolved"), &me, None, 6, false),
            Err(Refusal::RatingRange { given: 6 })
        );
    }
}
