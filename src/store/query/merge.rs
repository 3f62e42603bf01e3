//! Orders no one index holds, read as a merge of index walks that each stop after a page.
//!
//! By status the order is the configuration's order of statuses (a `CASE` no index can hold):
//! each status's tickets are walked in `tickets_status` (status, urgency, created, id), one
//! status after another, until the page is full. By assignee (their login, then urgency,
//! created, id) the unassigned come first from `tickets_assignee`, then the agents in login
//! order, each agent's open tickets from the same index. Either way a page reads about a
//! page of rows instead of every open ticket sorted (5,614 on a million: 30-60 ms a page).
//! The keys are the ones [`sort_exprs`](super::order::sort_exprs) gives, so a position read
//! here and one read by the plain reader are the same.

use super::build::{Built, order_by, sql_limit};
use super::{QueueRow, Start};
use crate::core::config::Config;
use crate::core::query::{Cond, Query, SortKey};
use crate::error::Result;
use crate::store::Store;
use crate::store::db::params_from_iter;
use crate::store::tickets::{COLS, FROM, ticket_row};
use rusqlite::types::Value;

/// How a merged order is walked.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Merge {
    /// By status: these statuses (rank, id), then (unless the queue is open tickets only)
    /// the tickets whose status the configuration does not name, ranked last.
    Status {
        walks: Vec<(i64, String)>,
        unknown: Option<(i64, Vec<String>)>,
    },
    /// By assignee, in the open tickets: the unassigned, then each agent by login.
    Assignee,
    /// By assignee over the whole desk: the unassigned, then each of these agents (id,
    /// login) in login order, one walk each (an agent's tickets sorted: SQLite would sort
    /// every agent's together).
    Agents(Vec<(i64, String)>),
}

/// A condition that holds open tickets only and nothing narrower than an index of open
/// tickets serves: the open queue, or its tickets at risk or breached.
fn only_open(c: &Cond) -> bool {
    let open = |c: &Cond| matches!(c, Cond::Open | Cond::Sla(_));
    match c {
        Cond::And(cs) => !cs.is_empty() && cs.iter().all(open),
        c => open(c),
    }
}

/// The merge that reads a query's order, when one serves it: by status in the open queue
/// or the whole desk, by assignee in the open queue.
pub(super) fn merged_order(cfg: &Config, q: &Query) -> Option<Merge> {
    let open = only_open(&q.cond);
    let all = q.cond == Cond::all();
    match q.sort {
        SortKey::Status if open || all => {
            let life = &cfg.lifecycle;
            let statuses = life.statuses();
            let walks = statuses
                .iter()
                .enumerate()
                .filter(|(_, s)| !open || life.category(&s.id).is_some_and(|c| c.is_open()))
                .map(|(i, s)| (i as i64, s.id.clone()))
                .collect();
            let mut known: Vec<String> = statuses.iter().map(|s| s.id.clone()).collect();
            known.sort();
            known.dedup();
            // An open ticket has an open status (the store keeps `is_open` so); the whole
            // desk may hold statuses a changed configuration no longer names.
            let unknown = (all && !known.is_empty()).then_some((statuses.len() as i64, known));
            Some(Merge::Status { walks, unknown })
        }
        SortKey::Assignee if open => Some(Merge::Assignee),
        _ => None,
    }
}

/// The merge that reads a page of the whole desk under a condition by status or by assignee
/// (see `drive`): every status's tickets in turn, or the unassigned and each agent's (an
/// agent's sorted, a few thousand on a million).
pub(super) fn whole_desk_merge(
    cfg: &Config,
    sort: SortKey,
    agents: impl FnOnce() -> Result<Vec<(i64, String)>>,
) -> Result<Option<Merge>> {
    match sort {
        SortKey::Status => Ok(merged_order(
            cfg,
            &Query {
                cond: Cond::all(),
                sort,
                reverse: false,
            },
        )),
        SortKey::Assignee => Ok(Some(Merge::Agents(agents()?))),
        _ => Ok(None),
    }
}

/// One walk of an index: where from, what it adds to the query's condition, the key
/// columns it selects, and the columns its index gives in order (a suffix of the key).
struct Walk {
    from: String,
    only: String,
    only_args: Vec<Value>,
    keys: Vec<String>,
    walked: usize,
    /// The key's first value every row of this walk has (None: it varies, it is walked).
    lead: Option<Value>,
}

const RANKED: [&str; 3] = ["t.urgency", "t.created_at", "t.id"];

fn keys(lead: &str, rest: &[&str]) -> Vec<String> {
    std::iter::once(lead.to_string())
        .chain(rest.iter().map(|s| s.to_string()))
        .collect()
}

/// `t.status` outside every one of `known` (sorted): the ranges between them, each one an
/// index search, so finding none reads nothing.
fn outside(known: &[String]) -> (String, Vec<Value>) {
    let mut parts = Vec::new();
    let mut args = Vec::new();
    let mut below: Option<&String> = None;
    for k in known {
        match below {
            None => parts.push("t.status < ?".to_string()),
            Some(b) => {
                args.push(Value::Text(b.clone()));
                parts.push("(t.status > ? AND t.status < ?)".to_string());
            }
        }
        args.push(Value::Text(k.clone()));
        below = Some(k);
    }
    if let Some(b) = below {
        args.push(Value::Text(b.clone()));
        parts.push("t.status > ?".to_string());
    }
    (format!("({})", parts.join(" OR ")), args)
}

fn walks(m: &Merge) -> Vec<Walk> {
    let indexed =
        |index: &str| FROM.replacen("tickets t", &format!("tickets t INDEXED BY {index}"), 1);
    match m {
        Merge::Status { walks, unknown } => {
            let mut out: Vec<Walk> = walks
                .iter()
                .map(|(rank, id)| Walk {
                    from: indexed("tickets_status"),
                    only: "t.status = ?".into(),
                    only_args: vec![Value::Text(id.clone())],
                    keys: keys(&rank.to_string(), &RANKED),
                    walked: 3,
                    lead: Some(Value::Integer(*rank)),
                })
                .collect();
            if let Some((rank, known)) = unknown {
                let (only, only_args) = outside(known);
                out.push(Walk {
                    from: indexed("tickets_status"),
                    only,
                    only_args,
                    keys: keys(&rank.to_string(), &RANKED),
                    walked: 3,
                    lead: Some(Value::Integer(*rank)),
                });
            }
            out
        }
        Merge::Agents(agents) => std::iter::once(Walk {
            from: indexed("tickets_assignee"),
            only: "t.assignee_id IS NULL".into(),
            only_args: Vec::new(),
            keys: keys("''", &RANKED),
            walked: 3,
            lead: Some(Value::Text(String::new())),
        })
        .chain(agents.iter().map(|(id, login)| Walk {
            from: indexed("tickets_assignee"),
            only: "t.assignee_id = ?".into(),
            only_args: vec![Value::Integer(*id)],
            keys: keys("a.login", &RANKED),
            walked: 3,
            lead: Some(Value::Text(login.clone())),
        }))
        .collect(),
        Merge::Assignee => vec![
            Walk {
                from: indexed("tickets_assignee"),
                only: "t.assignee_id IS NULL".into(),
                only_args: Vec::new(),
                keys: keys("''", &RANKED),
                walked: 3,
                lead: Some(Value::Text(String::new())),
            },
            Walk {
                // The agents in login order (its unique index), each one's tickets in the
                // assignee index's order: nothing to sort.
                from: FROM.replacen(
                    "tickets t LEFT JOIN agents a ON a.id = t.assignee_id",
                    "agents a CROSS JOIN tickets t INDEXED BY tickets_assignee",
                    1,
                ),
                only: "t.assignee_id = a.id".into(),
                only_args: Vec::new(),
                keys: keys("a.login", &RANKED),
                walked: 4,
                lead: None,
            },
        ],
    }
}

impl Store {
    /// A page of a merged order (see [`merged_order`]), read `ascending` or not from `start`.
    pub(super) fn merged_page(
        &self,
        b: &Built,
        m: &Merge,
        ascending: bool,
        start: Start<'_>,
        limit: usize,
        ids: Option<&str>,
    ) -> Result<Vec<QueueRow>> {
        let mut walks = walks(m);
        if !ascending {
            walks.reverse();
        }
        let (skip, key) = match start {
            Start::Skip(n) => (n, None),
            Start::After(k) | Start::Before(k) if k.len() == b.keys.len() => (0, Some(k)),
            _ => (0, None),
        };
        // Rows still wanted (None: all of them).
        let mut wanted = (limit > 0).then(|| limit.saturating_add(skip));
        let mut rows = Vec::new();
        for w in &walks {
            if wanted == Some(0) {
                break;
            }
            let Some((sql, args)) = walk_query(b, w, key, ascending, wanted.unwrap_or(0), ids)
            else {
                continue;
            };
            let got = self.rows_keyed(&sql, &args, w.keys.len())?;
            if let Some(n) = wanted.as_mut() {
                *n = n.saturating_sub(got.len());
            }
            rows.extend(got);
        }
        Ok(rows.into_iter().skip(skip).collect())
    }

    /// The rows of `sql`, each with its last `n` columns as its key.
    pub(super) fn rows_keyed(&self, sql: &str, args: &[Value], n: usize) -> Result<Vec<QueueRow>> {
        let run = || -> rusqlite::Result<Vec<QueueRow>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let width = stmt.column_count()?;
            let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
                let ticket = ticket_row(r)?;
                let mut key = Vec::with_capacity(n);
                for i in width - n..width {
                    key.push(r.get::<_, Value>(i)?);
                }
                Ok(QueueRow { ticket, key })
            })?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }
}

/// A walk's SQL and arguments from the position `key` (None: its start), reading `ascending`
/// or not, up to `limit` rows (0: all); None when the walk comes wholly before the position.
fn walk_query(
    b: &Built,
    w: &Walk,
    key: Option<&[Value]>,
    ascending: bool,
    limit: usize,
    ids: Option<&str>,
) -> Option<(String, Vec<Value>)> {
    let op = if ascending { ">" } else { "<" };
    let mut more = vec![w.only.clone()];
    // The ids the condition's tickets lie between (see `drive::Window`), tested in the
    // index's entries before a row is read.
    more.extend(ids.map(str::to_string));
    let mut args = b.args.clone();
    args.extend(w.only_args.iter().cloned());
    let walked = &w.keys[w.keys.len() - w.walked..];
    if let Some(key) = key {
        match &w.lead {
            // A walk wholly before the start: nothing of it is read.
            Some(lead) if before(lead, &key[0], ascending) => return None,
            // The walk the start is in: from the start on.
            Some(lead) if lead == &key[0] => {
                more.push(cmp(walked, op, &key[key.len() - w.walked..], &mut args));
            }
            Some(_) => {}
            None => {
                args.push(key[0].clone());
                more.push(format!("{} {op}= ?", w.keys[0]));
                more.push(cmp(&w.keys, op, key, &mut args));
            }
        }
    }
    let order = order_by(walked, ascending);
    let sql = format!(
        "SELECT {}, {} FROM {} {} ORDER BY {order} LIMIT {}",
        COLS.replace("t.body", "''"),
        w.keys.join(", "),
        w.from,
        b.where_with(&more),
        sql_limit(limit)
    );
    Some((sql, args))
}

/// Whether a walk whose every row leads with `lead` comes wholly before the position whose
/// key leads with `at`, reading `ascending` or not.
fn before(lead: &Value, at: &Value, ascending: bool) -> bool {
    let order = match (lead, at) {
        (Value::Integer(a), Value::Integer(b)) => a.cmp(b),
        (Value::Text(a), Value::Text(b)) => a.cmp(b),
        _ => return false,
    };
    if ascending {
        order.is_lt()
    } else {
        order.is_gt()
    }
}

/// `(cols) op (?, …)` with the key's values added to `args`.
fn cmp(cols: &[String], op: &str, key: &[Value], args: &mut Vec<Value>) -> String {
    args.extend(key.iter().cloned());
    format!(
        "({}) {op} ({})",
        cols.join(", "),
        vec!["?"; key.len()].join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every walk of every merged order reads its index in order and stops after a page:
    /// no sort of the tickets it walks, from the top and from a position, both ways.
    #[test]
    fn each_walk_reads_its_index_in_order() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (desk, _) = super::super::build::memory_desk(Vec::new());
        let mut seen = 0;
        for (cond, sql) in [(Cond::Open, "t.is_open = 1"), (Cond::all(), "TRUE")] {
            for sort in [SortKey::Status, SortKey::Assignee] {
                let q = Query {
                    cond: cond.clone(),
                    sort,
                    reverse: false,
                };
                let Some(m) = merged_order(&cfg, &q) else {
                    continue;
                };
                let b = Built {
                    cond: Some(sql.to_string()),
                    args: Vec::new(),
                    keys: super::super::order::sort_exprs(&cfg, sort),
                };
                for w in walks(&m) {
                    let key = [w.lead.clone().unwrap_or(Value::Text("m".into()))]
                        .into_iter()
                        .chain([0, 0, 0].map(Value::Integer))
                        .collect::<Vec<_>>();
                    for (ascending, key) in [
                        (true, None),
                        (false, Some(&key[..])),
                        (true, Some(&key[..])),
                    ] {
                        let (sql, args) =
                            walk_query(&b, &w, key, ascending, 60, None).expect("a walk");
                        let plan = super::super::build::plan(&desk, &sql, &args);
                        if w.only.starts_with("(t.status <") {
                            // The statuses no one names: each range an index search that
                            // finds none (what it finds is sorted: normally nothing).
                            assert!(plan.iter().any(|l| l == "MULTI-INDEX OR"), "{plan:?}");
                        } else {
                            assert!(
                                plan.iter().all(|l| !l.contains("TEMP B-TREE")
                                    && !l.starts_with("SCAN t")),
                                "{sort:?} {ascending}: {plan:?} {sql}"
                            );
                        }
                        seen += 1;
                    }
                }
            }
        }
        // Open: 4 open statuses' walks and the assignee's 2; all: 6 statuses and the rest.
        assert!(seen >= 3 * (6 + 7), "{seen}");
    }

    /// By assignee over the whole desk each agent's tickets are one walk, found by the agent's
    /// id in the assignee index (an agent's few thousand sorted), never every ticket sorted
    /// together (SQLite sorted all of them for one agents-and-tickets walk: 2.4 s on a million
    /// for `-assignee:none --all --sort assignee`, whose first page has no unassigned ticket).
    #[test]
    fn each_agent_is_a_walk_over_the_whole_desk() {
        let cfg = Config::builtin().expect("the built-in configuration");
        let (desk, _) = super::super::build::memory_desk(Vec::new());
        let m = whole_desk_merge(&cfg, SortKey::Assignee, || {
            Ok(vec![(2, "anna".into()), (1, "boris".into())])
        })
        .expect("merge")
        .expect("by assignee");
        let b = Built {
            cond: Some("NOT coalesce(t.assignee_id IS NULL, FALSE)".into()),
            args: Vec::new(),
            keys: super::super::order::sort_exprs(&cfg, SortKey::Assignee),
        };
        let ws = walks(&m);
        assert_eq!(ws.len(), 3);
        assert_eq!(ws[1].lead, Some(Value::Text("anna".into())));
        for w in &ws {
            let (sql, args) = walk_query(&b, w, None, true, 50, None).expect("a walk");
            let plan = super::super::build::plan(&desk, &sql, &args);
            assert!(
                plan.iter()
                    .any(|l| l.starts_with("SEARCH t USING INDEX tickets_assignee (assignee_id=?)"))
                    && plan.iter().all(|l| !l.starts_with("SCAN")),
                "{plan:?}"
            );
        }
    }
}
