//! The orders of a list: each order's key columns, and the index that holds the open
//! tickets in it.

use crate::core::config::Config;
use crate::core::query::{Cond, Query, SortKey};

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Each open order's index holds its keys exactly as the reader orders by them: a page
    /// walks the index, both ways, and sorts nothing (a key changed on one side only would
    /// sort every open ticket again, or refuse the hint).
    #[test]
    fn each_open_order_walks_its_index() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let mut conn = rusqlite::Connection::open_in_memory().expect("memory db");
        crate::store::schema::migrations()
            .to_latest(&mut conn)
            .expect("migrate");
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
                    "EXPLAIN QUERY PLAN SELECT t.id FROM tickets t INDEXED BY {index}
                     LEFT JOIN agents a ON a.id = t.assignee_id
                     WHERE {cond} AND ({}) > ({}) ORDER BY {} LIMIT 60",
                    keys.join(", "),
                    vec!["0"; keys.len()].join(", "),
                    order.join(", ")
                );
                let plan: Vec<String> = conn
                    .prepare(&sql)
                    .and_then(|mut s| {
                        s.query_map([], |r| r.get::<_, String>(3))?
                            .collect::<rusqlite::Result<Vec<_>>>()
                    })
                    .unwrap_or_else(|e| panic!("{sort:?} {dir}: {e}"));
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
}
