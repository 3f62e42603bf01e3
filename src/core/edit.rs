//! Correcting a ticket after intake: which fields change, from what to what, and whether this
//! person may make each change. Every change becomes one history event (before → after); the
//! store writes them. A category change re-runs routing only when asked (`reroute`).

use super::model::{Actor, AgentRef, Priority, Role};
use super::refusal::Refusal;
use super::rights::{self, Action};

/// The fields a ticket's intake recorded that can be corrected later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EditField {
    Subject,
    Category,
    Priority,
    Group,
    Requester,
    Contact,
}

impl EditField {
    pub const ALL: [EditField; 6] = [
        EditField::Subject,
        EditField::Category,
        EditField::Priority,
        EditField::Group,
        EditField::Requester,
        EditField::Contact,
    ];

    /// The stable id, in the history (`field` events' text) and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EditField::Subject => "subject",
            EditField::Category => "category",
            EditField::Priority => "priority",
            EditField::Group => "group",
            EditField::Requester => "requester",
            EditField::Contact => "contact",
        }
    }

    pub fn parse(s: &str) -> Option<EditField> {
        EditField::ALL.into_iter().find(|f| f.as_str() == s.trim())
    }
}

/// What a ticket says now, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub subject: String,
    pub category: String,
    pub priority: Priority,
    pub group: Option<String>,
    pub requester: String,
    pub contact: String,
    pub assignee: Option<AgentRef>,
}

/// What the person asks to change (None: leave it). Values are already cleaned and checked
/// against the configuration by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Edit {
    pub subject: Option<String>,
    pub category: Option<String>,
    pub priority: Option<Priority>,
    pub group: Option<String>,
    pub requester: Option<String>,
    pub contact: Option<String>,
    /// After a category change, route the ticket again: the category's group (and, when its
    /// owner does not work there, its queue).
    pub reroute: bool,
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub field: EditField,
    pub from: String,
    pub to: String,
}

/// Who may change what: everyone who may edit a ticket may change any field, except the
/// priority, which the configuration may keep for some roles (`[rights] edit_priority`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EditRights {
    /// Roles allowed to change a ticket's priority; empty: whoever may edit the ticket.
    pub priority: Vec<Role>,
}

/// A decided edit: the changes to record, in a fixed order, and whether to route again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub reroute: bool,
}

impl Plan {
    pub fn changes(&self, field: EditField) -> Option<&Change> {
        self.changes.iter().find(|c| c.field == field)
    }
}

/// Decides an edit: what changes (fields given with the value they already have change
/// nothing), and whether `actor` may make it.
pub fn plan(
    current: &Current,
    edit: &Edit,
    actor: &Actor,
    rights_cfg: &EditRights,
) -> Result<Plan, Refusal> {
    if edit.reroute && edit.group.is_some() {
        return Err(Refusal::RerouteAndGroup);
    }
    if edit.subject.as_deref().is_some_and(|s| s.trim().is_empty()) {
        return Err(Refusal::EmptyText { field: "subject" });
    }
    let mut changes = Vec::new();
    let mut push = |field: EditField, from: &str, to: Option<&str>| {
        if let Some(to) = to
            && to != from
        {
            changes.push(Change {
                field,
                from: from.to_string(),
                to: to.to_string(),
            });
        }
    };
    push(
        EditField::Subject,
        &current.subject,
        edit.subject.as_deref(),
    );
    push(
        EditField::Category,
        &current.category,
        edit.category.as_deref(),
    );
    push(
        EditField::Priority,
        current.priority.as_str(),
        edit.priority.map(|p| p.as_str()),
    );
    push(
        EditField::Group,
        current.group.as_deref().unwrap_or(""),
        edit.group.as_deref(),
    );
    push(
        EditField::Requester,
        &current.requester,
        edit.requester.as_deref(),
    );
    push(
        EditField::Contact,
        &current.contact,
        edit.contact.as_deref(),
    );
    let category_changes = changes.iter().any(|c| c.field == EditField::Category);
    if edit.reroute && !category_changes {
        return Err(Refusal::RerouteWithoutCategory);
    }
    if changes.is_empty() {
        return Err(Refusal::NothingToChange);
    }
    rights::check(actor, Action::Edit, current.assignee.as_ref())?;
    let priority = changes.iter().any(|c| c.field == EditField::Priority);
    if priority && !rights_cfg.priority.is_empty() && !rights_cfg.priority.contains(&actor.role()) {
        return Err(Refusal::RoleNeeded {
            action: Action::Edit,
            detail: Some("priority".into()),
            needed: rights_cfg.priority.clone(),
            have: actor.role(),
        });
    }
    Ok(Plan {
        changes,
        reroute: edit.reroute,
    })
}

/// After routing again, whether the ticket's owner keeps it: only when they work in the group
/// it goes to (else it goes back to that group's queue).
pub fn owner_stays(owner_groups: &[String], group: Option<&str>) -> bool {
    match group {
        Some(g) => owner_groups.iter().any(|o| o == g),
        None => true,
    }
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

    fn current(owner: Option<AgentRef>) -> Current {
        Current {
            subject: "No heating".into(),
            category: "HSG".into(),
            priority: Priority::Normal,
            group: Some("HOUSING".into()),
            requester: "Olena".into(),
            contact: "+380".into(),
            assignee: owner,
        }
    }

    #[test]
    fn only_what_differs_changes_in_a_fixed_order() {
        let op = Actor::new(agent(1, Role::Operator));
        let p = plan(
            &current(None),
            &Edit {
                contact: Some("olena@example.org".into()),
                subject: Some("No heating".into()),
                priority: Some(Priority::High),
                ..Edit::default()
            },
            &op,
            &EditRights::default(),
        )
        .expect("allowed");
        let fields: Vec<_> = p.changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, [EditField::Priority, EditField::Contact]);
        assert_eq!(p.changes[0].from, "normal");
        assert_eq!(p.changes[0].to, "high");
    }

    #[test]
    fn mistakes_and_refusals() {
        let op = Actor::new(agent(1, Role::Operator));
        let none = EditRights::default();
        let cur = current(None);
        assert_eq!(
            plan(&cur, &Edit::default(), &op, &none),
            Err(Refusal::NothingToChange)
        );
        let same = Edit {
            category: Some("HSG".into()),
            reroute: true,
            ..Edit::default()
        };
        assert_eq!(
            plan(&cur, &same, &op, &none),
            Err(Refusal::RerouteWithoutCategory)
        );
        let both = Edit {
            category: Some("SOC".into()),
            group: Some("SOCIAL".into()),
            reroute: true,
            ..Edit::default()
        };
        assert_eq!(plan(&cur, &both, &op, &none), Err(Refusal::RerouteAndGroup));
        let blank = Edit {
            subject: Some("  ".into()),
            ..Edit::default()
        };
        assert_eq!(
            plan(&cur, &blank, &op, &none),
            Err(Refusal::EmptyText { field: "subject" })
        );
        // Someone else's ticket: operators may not; supervisors may.
        let theirs = current(Some(agent(2, Role::Operator)));
        let subject = Edit {
            subject: Some("Cold radiators".into()),
            ..Edit::default()
        };
        assert!(matches!(
            plan(&theirs, &subject, &op, &none),
            Err(Refusal::NotYours { .. })
        ));
        let sup = Actor::new(agent(3, Role::Supervisor));
        assert!(plan(&theirs, &subject, &sup, &none).is_ok());
        let viewer = Actor::new(agent(4, Role::Viewer));
        assert!(matches!(
            plan(&cur, &subject, &viewer, &none),
            Err(Refusal::RoleNeeded { .. })
        ));
    }

    #[test]
    fn the_priority_may_be_kept_for_some_roles() {
        let op = Actor::new(agent(1, Role::Operator));
        let sup = Actor::new(agent(3, Role::Supervisor));
        let rights = EditRights {
            priority: vec![Role::Supervisor, Role::Admin],
        };
        let urgent = Edit {
            priority: Some(Priority::Urgent),
            ..Edit::default()
        };
        match plan(&current(None), &urgent, &op, &rights) {
            Err(Refusal::RoleNeeded { detail, needed, .. }) => {
                assert_eq!(detail.as_deref(), Some("priority"));
                assert_eq!(needed, vec![Role::Supervisor, Role::Admin]);
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(plan(&current(None), &urgent, &sup, &rights).is_ok());
        // The other fields stay the operator's to correct.
        let subject = Edit {
            subject: Some("Cold".into()),
            ..Edit::default()
        };
        assert!(plan(&current(None), &subject, &op, &rights).is_ok());
    }

    #[test]
    fn the_owner_stays_only_in_a_group_they_work_in() {
        let groups = vec!["HOUSING".to_string()];
        assert!(owner_stays(&groups, Some("HOUSING")));
        assert!(!owner_stays(&groups, Some("SOCIAL")));
        assert!(owner_stays(&groups, None));
    }
}
