//! A deadline extended (`desk extend NUMBER --by 10d --reason R`; issue 15): the resolution
//! target grows by the time given, counted as targets are (working time when a calendar is
//! set), so the due time moves and the clock's state follows. Who may is the configuration's
//! (`[rights] extend`: by default supervisors and admins; operators, when listed, on their own
//! and unassigned tickets). A reason is always recorded; only an open ticket with a
//! resolution target is extended.

use super::model::{Actor, AgentRef, Role};
use super::refusal::Refusal;
use super::rights::{self, Action};

/// Who may extend a deadline when `[rights] extend` says nothing.
pub const DEFAULT_ROLES: [Role; 2] = [Role::Supervisor, Role::Admin];

/// A ticket as an extension needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extending<'a> {
    pub owner: Option<&'a AgentRef>,
    /// Not done or closed.
    pub open: bool,
    /// It has a resolution target (else there is no deadline to move).
    pub has_target: bool,
}

/// Decides an extension: the reason to record, or why not.
pub fn check(
    actor: &Actor,
    ticket: &Extending<'_>,
    roles: &[Role],
    reason: Option<&str>,
) -> Result<String, Refusal> {
    rights::check(actor, Action::Extend, ticket.owner)?;
    if !roles.contains(&actor.role()) {
        return Err(Refusal::RoleNeeded {
            action: Action::Extend,
            detail: None,
            needed: roles.to_vec(),
            have: actor.role(),
        });
    }
    if !ticket.open {
        return Err(Refusal::ExtendFinished);
    }
    if !ticket.has_target {
        return Err(Refusal::NoDeadline);
    }
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Ok(r.to_string()),
        None => Err(Refusal::ReasonRequired {
            action: Action::Extend,
        }),
    }
}

/// The time extensions add to a resolution target: the sum of the `extended` events' `from`
/// (seconds).
pub fn added<'a>(extensions: impl Iterator<Item = Option<&'a str>>) -> i64 {
    extensions
        .filter_map(|s| s?.trim().parse::<i64>().ok())
        .filter(|s| *s > 0)
        .fold(0i64, i64::saturating_add)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: i64, role: Role) -> AgentRef {
        AgentRef {
            id,
            login: format!("a{id}"),
            role,
        }
    }

    #[test]
    fn who_may_extend_and_what() {
        let sup = Actor::new(agent(1, Role::Supervisor));
        let op = Actor::new(agent(2, Role::Operator));
        let mine = agent(2, Role::Operator);
        let other = agent(3, Role::Operator);
        let t = |owner| Extending {
            owner,
            open: true,
            has_target: true,
        };
        assert_eq!(
            check(
                &sup,
                &t(Some(&other)),
                &DEFAULT_ROLES,
                Some(" late papers ")
            ),
            Ok("late papers".into())
        );
        // Operators: not by default; when listed, on their own tickets only.
        assert!(matches!(
            check(&op, &t(Some(&mine)), &DEFAULT_ROLES, Some("x")),
            Err(Refusal::RoleNeeded { .. })
        ));
        let all = [Role::Operator, Role::Supervisor, Role::Admin];
        assert!(check(&op, &t(Some(&mine)), &all, Some("x")).is_ok());
        assert!(matches!(
            check(&op, &t(Some(&other)), &all, Some("x")),
            Err(Refusal::NotYours { .. })
        ));
        assert_eq!(
            check(&sup, &t(None), &DEFAULT_ROLES, Some("  ")),
            Err(Refusal::ReasonRequired {
                action: Action::Extend
            })
        );
        let done = Extending {
            open: false,
            ..t(None)
        };
        assert_eq!(
            check(&sup, &done, &DEFAULT_ROLES, Some("x")),
            Err(Refusal::ExtendFinished)
        );
        let none = Extending {
            has_target: false,
            ..t(None)
        };
        assert_eq!(
            check(&sup, &none, &DEFAULT_ROLES, Some("x")),
            Err(Refusal::NoDeadline)
        );
    }

    #[test]
    fn extensions_add_up() {
        assert_eq!(
            added([Some("3600"), None, Some("x"), Some("-5"), Some("60")].into_iter()),
            3660
        );
    }
}
