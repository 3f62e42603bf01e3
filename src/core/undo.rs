//! Undoing the last action: only what nobody has touched since, and never a closed ticket.
//! An undo does not erase history; it appends the steps that put the ticket back.

use super::model::{Actor, StatusCategory};
use super::refusal::Refusal;

/// What the rules need to know to allow an undo of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoCheck {
    /// The ticket's version right after the action being undone.
    pub version_after: i64,
    /// The ticket's version now, and who made it (login; "desk" for the desk itself) when:
    /// while the version is the one after the action, that is who performed it.
    pub version_now: i64,
    pub changed_by: String,
    pub changed_at: String,
    pub category_now: StatusCategory,
}

/// Allows the undo, or says why not: someone changed the ticket since, the action was
/// someone else's, or the ticket is closed.
pub fn check(actor: &Actor, c: &UndoCheck) -> Result<(), Refusal> {
    if c.version_now != c.version_after {
        return Err(Refusal::UndoChanged {
            by: c.changed_by.clone(),
            at: c.changed_at.clone(),
        });
    }
    if c.changed_by != actor.agent.login {
        return Err(Refusal::UndoNotYours);
    }
    if c.category_now == StatusCategory::Closed {
        return Err(Refusal::UndoClosed);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{AgentRef, Role};

    fn actor(id: i64) -> Actor {
        Actor::new(AgentRef {
            id,
            login: format!("a{id}"),
            role: Role::Operator,
        })
    }

    fn c(done_by: i64, after: i64, now: i64, cat: StatusCategory) -> UndoCheck {
        UndoCheck {
            version_after: after,
            version_now: now,
            changed_by: format!("a{done_by}"),
            changed_at: "12:00".into(),
            category_now: cat,
        }
    }

    #[test]
    fn undo_rules() {
        assert_eq!(
            check(&actor(1), &c(1, 5, 5, StatusCategory::Active)),
            Ok(())
        );
        assert_eq!(check(&actor(1), &c(1, 5, 5, StatusCategory::Done)), Ok(()));
        assert_eq!(
            check(&actor(2), &c(1, 5, 5, StatusCategory::Active)),
            Err(Refusal::UndoNotYours)
        );
        assert_eq!(
            check(&actor(1), &c(2, 5, 6, StatusCategory::Active)),
            Err(Refusal::UndoChanged {
                by: "a2".into(),
                at: "12:00".into()
            }),
            "a colleague's change since is said first, with who made it"
        );
        assert_eq!(
            check(&actor(1), &c(1, 5, 5, StatusCategory::Closed)),
            Err(Refusal::UndoClosed)
        );
    }
}
