//! The orders of a list: each order's key columns, and the index that holds the open
//! tickets in it.

use crate::core::config::Config;
use crate::core::query::{Cond, DateField, Query, SortKey, Who};

/// The key columns of an order, each ascending; the row id last makes every key unique.
pub(super) fn sort_exprs(cfg: &Config, key: SortKey) -> Vec<String> {
    let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect();
    match key {
        SortKey::Priority => v(&["t.urgency", "t.created_at", "t.id"]),
        SortKey::Number => v(&["t.number", "t.id"]),
        SortKey::Status => {
            let statuses = cfg.lifecycle.statuses();
            let mut order = String::from("CASE t.status");
            for (i, st) in statuses.iter().enumerate() {
                // Status ids are validated identifiers ([a-z0-9_]), safe to inline.
                order.push_str(&format!(" WHEN '{}' THEN {i}", st.id));
            }
            order.push_str(&format!(" ELSE {} END", statuses.len()));
            if statuses.is_empty() {
                order = "0".into();
            }
            vec![
                order,
                "t.urgency".into(),
                "t.created_at".into(),
                "t.id".into(),
            ]
        }
        SortKey::Subject => v(&["lower(t.subject)", "t.id"]),
        SortKey::Requester => v(&["lower(t.requester)", "t.id"]),
        SortKey::Assignee => v(&["coalesce(a.login, '')", "t.urgency", "t.created_at", "t.id"]),
        // Registration order: ticket ids are given as tickets are registered, so the search
        // index (whose row ids they are) can serve this order itself.
        SortKey::Age => v(&["t.id"]),
        SortKey::Updated => v(&["-t.updated_at", "-t.id"]),
        SortKey::Due => v(&[
            "coalesce(t.due_at, 9223372036854775807)",
            "t.urgency",
            "t.id",
        ]),
    }
}

/// The partial index (schema V19) that holds the open tickets in this order, when the
/// condition is the open tickets (or those at risk, or breached), alone or with text only. SQLite, without statistics, would
/// read every open ticket through the open-status index and sort them (5,614 on a million:
/// 36-52 ms a page); walking the order's own index reads a page.
pub(super) fn open_order_index(q: &Query) -> Option<&'static str> {
    // The open tickets, or those at risk or breached (open ones too: the index holds them).
    let open = |c: &Cond| matches!(c, Cond::Open | Cond::Sla(_));
    let usable = match &q.cond {
        Cond::And(cs) => cs.iter().any(open) && cs.iter().all(|c| open(c) || c.is_only_text()),
        c => open(c),
    };
    if !usable {
        return None;
    }
    match q.sort {
        SortKey::Number => Some("tickets_open_number"),
        SortKey::Subject => Some("tickets_open_subject"),
        SortKey::Requester => Some("tickets_open_requester"),
        SortKey::Age => Some("tickets_open_age"),
        SortKey::Updated => Some("tickets_open_updated"),
        SortKey::Due => Some("tickets_open_due"),
        SortKey::Priority | SortKey::Status | SortKey::Assignee => None,
    }
}

/// The partial index (schema V23) that holds, for each open ticket, the working order's key
/// and every field a query compares.
pub(super) const OPEN_FIELDS: &str = "tickets_open_fields";

/// Whether a condition reads only fields [`OPEN_FIELDS`] holds (`any`: an assignee, a group
/// or a status too; else those another index finds directly are left to it).
fn in_open_fields(c: &Cond, any: bool) -> bool {
    match c {
        Cond::And(cs) => cs.iter().all(|c| in_open_fields(c, any)),
        // Neither an alternative nor a negation is found through an index of its own.
        Cond::Or(cs) => cs.iter().all(|c| in_open_fields(c, true)),
        Cond::Not(c) => in_open_fields(c, true),
        Cond::Open
        | Cond::Category(_)
        | Cond::Priority(_)
        | Cond::Channel(_)
        | Cond::Sla(_)
        | Cond::Assignee(Who::Nobody) => true,
        Cond::Date(f, _, _) => !matches!(f, DateField::Resolved | DateField::Closed),
        Cond::Status(_) | Cond::StatusCategory(_) | Cond::Assignee(_) | Cond::Group(_) => any,
        Cond::Text(_) => false,
    }
}

/// Whether a condition is the open tickets (or those at risk or breached) narrowed by fields
/// [`OPEN_FIELDS`] holds and no index finds more directly: its count and its page in the
/// working order read that index alone. SQLite (no statistics) would read the open tickets
/// through `tickets_queue` and each one's row (5,614 rows on a million: 14 ms a count).
pub(super) fn open_fields(c: &Cond) -> bool {
    let open = |c: &Cond| matches!(c, Cond::Open | Cond::Sla(_));
    match c {
        Cond::And(cs) => {
            cs.len() > 1 && cs.iter().any(open) && cs.iter().all(|c| in_open_fields(c, false))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each open order's index holds its keys exactly as the reader orders by them: a page
    /// walks the index, both ways, and sorts nothing (a key changed on one side only would
    /// sort every open ticket again, or refuse the hint).
    #[test]
    fn each_open_order_walks_its_index() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, _) = crate::store::query::build::memory_desk(Vec::new());
        let mut indexed = 0;
        for sort in SortKey::ALL {
            let q = Query {
                cond: Cond::Open,
                sort,
                reverse: false,
            };
            let Some(index) = open_order_index(&q) else {
                continue;
            };
            indexed += 1;
            let keys = sort_exprs(&cfg, sort);
            // The open queue, and the at-risk queue as the reader writes its condition.
            let conds = ["t.is_open = 1", "(t.is_open = 1 AND t.risk_at <= 0)"];
            for (dir, cond) in ["ASC", "DESC"]
                .into_iter()
                .flat_map(|d| conds.map(|c| (d, c)))
            {
                let order: Vec<String> = keys.iter().map(|k| format!("{k} {dir}")).collect();
                let sql = format!(
                    "SELECT t.id FROM tickets t INDEXED BY {index}
                     LEFT JOIN agents a ON a.id = t.assignee_id
                     WHERE {cond} AND ({}) > ({}) ORDER BY {} LIMIT 60",
                    keys.join(", "),
                    vec!["0"; keys.len()].join(", "),
                    order.join(", ")
                );
                let plan = crate::store::query::build::plan(&conn, &sql, &[]);
                assert!(
                    plan.iter().all(|l| !l.contains("TEMP B-TREE")),
                    "{sort:?} {dir}: {plan:?}"
                );
            }
        }
        assert_eq!(indexed, 6);
        // Another condition beside the open tickets keeps the planner's own choice.
        let mine = Query {
            cond: Cond::And(vec![
                Cond::Open,
                Cond::Assignee(crate::core::query::Who::Me),
            ]),
            sort: SortKey::Subject,
            reverse: false,
        };
        assert_eq!(open_order_index(&mine), None);
        let at_risk = Query {
            cond: Cond::Sla(crate::core::query::SlaState::AtRisk),
            sort: SortKey::Due,
            reverse: false,
        };
        assert_eq!(open_order_index(&at_risk), Some("tickets_open_due"));
    }

    /// The at-risk queue walks the open tickets' due index without reading a ticket's row
    /// to know whether it is at risk (schema V28: the time of risk is in the index), both ways,
    /// sorting nothing: its last page (End) walks the index from its far end — the tickets
    /// with no due time or a distant one, none at risk — and read each one's row before
    /// (3,478 on the 1M demo).
    #[test]
    fn the_at_risk_queue_walks_its_index_alone() {
        use crate::core::query::SlaState;
        use crate::store::query::build::{built, memory_desk, plan};
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(Vec::new());
        for reverse in [false, true] {
            let q = Query {
                cond: Cond::Sla(SlaState::AtRisk),
                sort: SortKey::Due,
                reverse,
            };
            let index = open_order_index(&q).expect("an index");
            let b = built(&conn, &cfg, &q, &viewer);
            // Everything the condition reads is in the index: a ticket's row is read only
            // for a ticket at risk (SQLite defers the row until a column the index lacks is
            // needed; the urgency, a generated column, is one: the plan of the page itself
            // never says covering).
            let count = format!(
                "SELECT count(*) FROM tickets t INDEXED BY {index} {}",
                b.where_with(&[])
            );
            let plan_of_count = plan(&conn, &count, &b.args);
            assert!(
                plan_of_count
                    .iter()
                    .any(|l| l.contains(&format!("COVERING INDEX {index}"))),
                "{plan_of_count:?}"
            );
            for dir in ["ASC", "DESC"] {
                let order: Vec<String> = b.keys.iter().map(|k| format!("{k} {dir}")).collect();
                let sql = format!(
                    "SELECT t.id FROM tickets t INDEXED BY {index} {} ORDER BY {} LIMIT 38",
                    b.where_with(&[]),
                    order.join(", ")
                );
                let plan = plan(&conn, &sql, &b.args);
                assert!(
                    plan.iter().all(|l| !l.contains("TEMP B-TREE")),
                    "{dir}: {plan:?}"
                );
            }
        }
    }

    /// A condition on the open tickets' fields is counted and paged from the open fields'
    /// index alone: every column the reader compares is in it (a column left out would read
    /// each open ticket's row again), and the working order is its key (nothing sorted).
    #[test]
    fn the_open_fields_are_read_from_their_index_alone() {
        use crate::core::model::{Channel, Priority, StatusCategory};
        use crate::core::query::{Cmp, Groups, SlaState, Text, When};
        use crate::store::query::build::{built, memory_desk, plan};
        let cfg = Config::builtin().expect("the built-in configuration");
        let (conn, viewer) = memory_desk(vec!["HOUSING".into()]);
        let date = |f, cmp| Cond::Date(f, cmp, When::Ago(86_400));
        let mine = Cond::Assignee(Who::Me);
        let fields = [
            Cond::Category(vec!["HSG".into()]),
            Cond::Channel(vec![Channel::Phone]).not(),
            Cond::Priority(vec![Priority::High, Priority::Urgent]),
            Cond::Sla(SlaState::Breached),
            Cond::Assignee(Who::Nobody),
            mine.clone().not(),
            Cond::Group(Groups::Mine).not(),
            Cond::Or(vec![mine.clone(), Cond::Assignee(Who::Nobody)]),
            Cond::StatusCategory(vec![StatusCategory::Waiting]).not(),
            date(DateField::Created, Cmp::After),
            date(DateField::Updated, Cmp::Before),
            date(DateField::Due, Cmp::AtOrAfter),
            date(DateField::FirstResponse, Cmp::BeforeOrAt),
        ];
        for f in fields {
            let cond = Cond::Open.and(f);
            assert!(open_fields(&cond), "{cond:?}");
            let q = Query::new(cond.clone());
            let b = built(&conn, &cfg, &q, &viewer);
            let plan = |select: &str, tail: &str| {
                let sql = format!(
                    "SELECT {select} FROM tickets t INDEXED BY {OPEN_FIELDS} {} {tail}",
                    b.where_with(&[])
                );
                plan(&conn, &sql, &b.args)
            };
            // The count reads the index alone; the page walks it in its order (the urgency,
            // a generated column, is read from the row: a page's few rows).
            let count = plan("1", "LIMIT 1051");
            assert!(
                count
                    .iter()
                    .any(|l| l.contains(&format!("COVERING INDEX {OPEN_FIELDS}"))),
                "{cond:?}: {count:?}"
            );
            let page = plan("t.id", &format!("ORDER BY {} LIMIT 50", b.keys.join(", ")));
            assert!(
                page.iter().any(|l| l.contains(OPEN_FIELDS))
                    && page.iter().all(|l| !l.contains("TEMP B-TREE")),
                "{cond:?}: {page:?}"
            );
        }
        // An assignee, a group or a status named is found through its own index; text and
        // the times of finished tickets are not in this one; the open queue alone has its own.
        for c in [
            mine,
            Cond::Group(Groups::Mine),
            Cond::Status(vec!["new".into()]),
            Text::words("heat"),
            date(DateField::Resolved, Cmp::After),
        ] {
            assert!(!open_fields(&Cond::Open.and(c.clone())), "{c:?}");
        }
        assert!(!open_fields(&Cond::Open));
        assert!(!open_fields(&Cond::Category(vec!["HSG".into()])));
    }
}
