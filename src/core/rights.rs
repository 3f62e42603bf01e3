//! The rights matrix: which role may do what, declared once. The store enforces it; the UI asks it.

use super::model::{Actor, AgentRef, Role};
use super::refusal::Refusal;

/// Everything a person can do to the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Look tickets up, list queues, read reports.
    Read,
    /// Register a new ticket.
    Create,
    /// Take an unassigned ticket for oneself.
    Claim,
    /// Give a ticket to someone (or to a group).
    Give,
    /// Take a ticket that belongs to someone else.
    TakeOver,
    /// Put a ticket back in its group's queue.
    Unassign,
    /// Change a ticket's status (each transition may further restrict roles).
    Move,
    /// Add an internal note.
    Comment,
    /// Record a public answer sent to the requester.
    Reply,
    /// Record the requester's satisfaction.
    Rate,
    /// Add or change agents.
    ManageAgents,
    /// Add or change groups.
    ManageGroups,
    /// Change the desk's configuration, restore a backup.
    EditConfig,
    /// Act as another agent (`--as`).
    ActAs,
    /// Take a backup of the whole desk.
    Backup,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Read,
        Action::Create,
        Action::Claim,
        Action::Give,
        Action::TakeOver,
        Action::Unassign,
        Action::Move,
        Action::Comment,
        Action::Reply,
        Action::Rate,
        Action::ManageAgents,
        Action::ManageGroups,
        Action::EditConfig,
        Action::ActAs,
        Action::Backup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Create => "create",
            Action::Claim => "claim",
            Action::Give => "give",
            Action::TakeOver => "take_over",
            Action::Unassign => "unassign",
            Action::Move => "move",
            Action::Comment => "comment",
            Action::Reply => "reply",
            Action::Rate => "rate",
            Action::ManageAgents => "manage_agents",
            Action::ManageGroups => "manage_groups",
            Action::EditConfig => "edit_config",
            Action::ActAs => "act_as",
            Action::Backup => "backup",
        }
    }

    /// The roles allowed to perform this action at all.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::Read
            | Action::Create
            | Action::Claim
            | Action::Give
            | Action::Unassign
            | Action::Move
            | Action::Comment
            | Action::Reply
            | Action::Rate => &[Operator, Supervisor, Admin],
            Action::TakeOver | Action::Backup => &[Supervisor, Admin],
            Action::ManageAgents | Action::ManageGroups | Action::EditConfig | Action::ActAs => {
                &[Admin]
            }
        }
    }

    /// Whether an operator may do this only to their own or unassigned tickets.
    /// Supervisors and admins may do it to any ticket.
    pub fn owner_bound(self) -> bool {
        matches!(
            self,
            Action::Give | Action::Unassign | Action::Move | Action::Reply | Action::Rate
        )
    }
}

/// May this role perform this action at all?
pub fn role_may(role: Role, action: Action) -> bool {
    action.roles().contains(&role)
}

/// Roles that act on any ticket, not only their own or unassigned ones.
pub fn acts_on_any_ticket(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Admin)
}

/// Decides whether `actor` may perform `action` on a ticket owned by `owner` (None: unassigned
/// or not about a ticket).
pub fn check(actor: &Actor, action: Action, owner: Option<&AgentRef>) -> Result<(), Refusal> {
    if !role_may(actor.role(), action) {
        return Err(Refusal::RoleNeeded {
            action,
            detail: None,
            needed: action.roles().to_vec(),
            have: actor.role(),
        });
    }
    if action.owner_bound()
        && !acts_on_any_ticket(actor.role())
        && let Some(owner) = owner
        && owner.id != actor.id()
    {
        return Err(Refusal::NotYours {
            owner: owner.login.clone(),
        });
    }
    Ok(())
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

    /// The whole matrix, cell by cell: role × action × (own, unassigned, someone else's).
    #[test]
    fn matrix_cell_by_cell() {
        use Action::*;
        use Role::*;
        let expect = |role: Role, action: Action, whose: &str| -> bool {
            let admin_only = matches!(action, ManageAgents | ManageGroups | EditConfig | ActAs);
            match role {
                Admin => true,
                Supervisor => !admin_only,
                Operator => {
                    !admin_only
                        && !matches!(action, TakeOver | Backup)
                        && (whose != "other" || !action.owner_bound())
                }
            }
        };
        let mut cells = 0;
        for role in Role::ALL {
            let me = agent(1, *role);
            let actor = Actor::new(me.clone());
            let other = agent(2, Operator);
            for action in Action::ALL {
                for (whose, owner) in [("own", Some(&me)), ("none", None), ("other", Some(&other))]
                {
                    let got = check(&actor, *action, owner).is_ok();
                    assert_eq!(
                        got,
                        expect(*role, *action, whose),
                        "{role} {action:?} {whose}"
                    );
                    cells += 1;
                }
            }
        }
        assert_eq!(cells, 3 * Action::ALL.len() * 3);
    }

    #[test]
    fn refusals_name_the_role_needed() {
        let op = Actor::new(agent(1, Role::Operator));
        match check(&op, Action::TakeOver, None) {
            Err(Refusal::RoleNeeded { needed, have, .. }) => {
                assert_eq!(needed, vec![Role::Supervisor, Role::Admin]);
                assert_eq!(have, Role::Operator);
            }
            other => panic!("expected RoleNeeded, got {other:?}"),
        }
        let owner = agent(2, Role::Operator);
        assert_eq!(
            check(&op, Action::Move, Some(&owner)),
            Err(Refusal::NotYours { owner: "a2".into() })
        );
    }
}
