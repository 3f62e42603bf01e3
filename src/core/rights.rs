//! The rights matrix: which role may do what, declared once. The store enforces it for every
//! entry point (tickets, agents, groups, backup, restore, configuration, recomputation, demo);
//! the desk's screens ask it what to offer.
//!
//! People: operators act on their own and unassigned tickets; supervisors on anyone's, and
//! take backups; admins also run the desk (agents, groups, configuration, restore); viewers
//! only read. Services, each a system user with its own agent: `mail` registers requests and
//! records messages, `web` registers requests, records messages and ratings, `system` (timers)
//! takes backups and recomputes figures; `mail` also delivers the outbox, `web` serves the
//! requesters' page. A service holds only what its service needs; a new
//! service need gets a new line here, with its reason.

use super::model::{Actor, AgentRef, Role};
use super::refusal::Refusal;

/// Everything anyone can do to the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Look tickets up, list queues, read reports, check the desk.
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
    /// Install a new configuration (`desk config install`).
    EditConfig,
    /// Act as another agent (`--as`).
    ActAs,
    /// Take a backup of the whole desk.
    Backup,
    /// Replace the desk's content with a backup.
    Restore,
    /// Copy the whole desk into another database (`desk migrate`).
    Migrate,
    /// Recompute every ticket's service-level figures (`desk sla --recompute`).
    Recompute,
    /// Fill an empty desk with the demo.
    Demo,
    /// Correct what intake recorded: subject, category, priority, group, requester, contact
    /// (the configuration may keep the priority for some roles).
    Edit,
    /// Close a ticket as a duplicate of another (operators: their own or unassigned ones).
    Merge,
    /// Link two tickets as related or parent and child, or unlink them (any ticket).
    Link,
    /// Attach files to a ticket (any ticket, like a note; mail in keeps a message's files).
    Attach,
    /// Deliver the notices waiting in the outbox (`desk mail send`) and record what a
    /// returned message (a bounce) says of them.
    Deliver,
    /// Build the search index again from the tickets and their history (`desk search
    /// --rebuild`), as after damage `desk check` found.
    RebuildSearch,
    /// Serve the requesters' web page (`desk serve`): it registers their requests and shows
    /// each its status by number and access code.
    Serve,
    /// Run the timers (`desk tick`): reminders, closing after waiting, escalations.
    Tick,
    /// Mark an agent away or back, handing their open tickets over (`desk agent away`):
    /// operators themselves, supervisors and admins anyone.
    Away,
    /// Extend a ticket's deadline (`desk extend`); `[rights] extend` narrows the roles.
    Extend,
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
        Action::Restore,
        Action::Migrate,
        Action::Recompute,
        Action::Demo,
        Action::Edit,
        Action::Merge,
        Action::Link,
        Action::Attach,
        Action::Deliver,
        Action::RebuildSearch,
        Action::Serve,
        Action::Tick,
        Action::Away,
        Action::Extend,
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
            Action::Restore => "restore",
            Action::Migrate => "migrate",
            Action::Recompute => "recompute",
            Action::Demo => "demo",
            Action::Edit => "edit",
            Action::Merge => "merge",
            Action::Link => "link",
            Action::Attach => "attach",
            Action::Deliver => "deliver",
            Action::RebuildSearch => "rebuild_search",
            Action::Serve => "serve",
            Action::Tick => "tick",
            Action::Away => "away",
            Action::Extend => "extend",
        }
    }

    /// The roles allowed to perform this action at all.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::Read => &[Operator, Supervisor, Admin, Viewer, Mail, Web, System],
            Action::Create | Action::Comment | Action::Attach => {
                &[Operator, Supervisor, Admin, Mail, Web]
            }
            Action::Rate => &[Operator, Supervisor, Admin, Web],
            Action::Claim
            | Action::Give
            | Action::Unassign
            | Action::Move
            | Action::Reply
            | Action::Edit
            | Action::Merge
            | Action::Link
            | Action::Away
            | Action::Extend => &[Operator, Supervisor, Admin],
            Action::TakeOver => &[Supervisor, Admin],
            Action::Backup => &[Supervisor, Admin, System],
            Action::Recompute | Action::RebuildSearch | Action::Tick => &[Admin, System],
            Action::Deliver => &[Admin, Mail],
            Action::Serve => &[Admin, Web],
            Action::ManageAgents
            | Action::ManageGroups
            | Action::EditConfig
            | Action::ActAs
            | Action::Restore
            | Action::Migrate
            | Action::Demo => &[Admin],
        }
    }

    /// Whether an operator may do this only to their own or unassigned tickets.
    pub fn owner_bound(self) -> bool {
        matches!(
            self,
            Action::Give
                | Action::Unassign
                | Action::Move
                | Action::Reply
                | Action::Rate
                | Action::Edit
                | Action::Merge
                | Action::Away
                | Action::Extend
        )
    }
}

/// May this role perform this action at all?
pub fn role_may(role: Role, action: Action) -> bool {
    action.roles().contains(&role)
}

/// Roles whose rights reach every ticket. Operators are the only role bound to their own and
/// unassigned tickets; every other role's rights (few, for viewers and services) are not
/// about ownership.
pub fn acts_on_any_ticket(role: Role) -> bool {
    role != Role::Operator
}

/// Roles that can own (be assigned) tickets: the people who work them.
pub fn may_own_tickets(role: Role) -> bool {
    matches!(role, Role::Operator | Role::Supervisor | Role::Admin)
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

    /// The matrix as README states it, one row per action (written out, not derived from the
    /// code): O operator, S supervisor, A admin, V viewer, M mail, W web, Y system; a lower-case
    /// o means "operators: their own and unassigned tickets only".
    const TABLE: &[(Action, &str)] = &[
        (Action::Read, "OSAVMWY"),
        (Action::Create, "OSA.MW."),
        (Action::Claim, "OSA...."),
        (Action::Give, "oSA...."),
        (Action::TakeOver, ".SA...."),
        (Action::Unassign, "oSA...."),
        (Action::Move, "oSA...."),
        (Action::Comment, "OSA.MW."),
        (Action::Reply, "oSA...."),
        (Action::Rate, "oSA..W."),
        (Action::ManageAgents, "..A...."),
        (Action::ManageGroups, "..A...."),
        (Action::EditConfig, "..A...."),
        (Action::ActAs, "..A...."),
        (Action::Backup, ".SA...Y"),
        (Action::Restore, "..A...."),
        (Action::Migrate, "..A...."),
        (Action::Recompute, "..A...Y"),
        (Action::Tick, "..A...Y"),
        (Action::Away, "oSA...."),
        (Action::Extend, "oSA...."),
        (Action::Demo, "..A...."),
        (Action::Edit, "oSA...."),
        (Action::Merge, "oSA...."),
        (Action::Link, "OSA...."),
        (Action::Attach, "OSA.MW."),
        (Action::Deliver, "..A.M.."),
        (Action::RebuildSearch, "..A...Y"),
        (Action::Serve, "..A..W."),
    ];

    const COLUMNS: [Role; 7] = [
        Role::Operator,
        Role::Supervisor,
        Role::Admin,
        Role::Viewer,
        Role::Mail,
        Role::Web,
        Role::System,
    ];

    /// The whole matrix, cell by cell: role × action × (own, unassigned, someone else's).
    #[test]
    fn matrix_cell_by_cell() {
        assert_eq!(TABLE.len(), Action::ALL.len(), "every action has a row");
        assert_eq!(COLUMNS.len(), Role::ALL.len(), "every role has a column");
        let mut cells = 0;
        for (action, row) in TABLE {
            for (col, role) in COLUMNS.iter().enumerate() {
                let mark = row.as_bytes()[col];
                let me = agent(1, *role);
                let actor = Actor::new(me.clone());
                let other = agent(2, Role::Operator);
                for (whose, owner) in [("own", Some(&me)), ("none", None), ("other", Some(&other))]
                {
                    let want = match mark {
                        b'.' => false,
                        b'o' => whose != "other",
                        _ => true,
                    };
                    assert_eq!(
                        check(&actor, *action, owner).is_ok(),
                        want,
                        "{role} {action:?} {whose}"
                    );
                    cells += 1;
                }
            }
        }
        assert_eq!(cells, Action::ALL.len() * Role::ALL.len() * 3);
    }

    #[test]
    fn only_people_who_work_tickets_own_them() {
        let owners: Vec<Role> = Role::ALL
            .iter()
            .copied()
            .filter(|r| may_own_tickets(*r))
            .collect();
        assert_eq!(owners, vec![Role::Operator, Role::Supervisor, Role::Admin]);
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
        let viewer = Actor::new(agent(3, Role::Viewer));
        assert!(matches!(
            check(&viewer, Action::Comment, None),
            Err(Refusal::RoleNeeded {
                have: Role::Viewer,
                ..
            })
        ));
    }
}
