//! Queues for the terminal desk: the built-in views, sortable by any column, filtered by text,
//! read a window at a time with keyset pagination (`WHERE (key) > (?)`), so a queue of a
//! million tickets scrolls like one of a hundred.

use super::Store;
use super::tickets::{COLS, FROM, Ticket, ticket_row};
use crate::core::config::Config;
use crate::core::model::StatusCategory;
use crate::error::Result;
use rusqlite::params_from_iter;
use rusqlite::types::Value;

/// The built-in queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueKind {
    Mine,
    Unassigned,
    MyGroups,
    AllOpen,
    Waiting,
    /// Open tickets at risk of missing a target, or past it.
    AtRisk,
    DoneToday,
    All,
}

impl QueueKind {
    pub const ALL: [QueueKind; 8] = [
        QueueKind::Mine,
        QueueKind::Unassigned,
        QueueKind::MyGroups,
        QueueKind::AllOpen,
        QueueKind::Waiting,
        QueueKind::AtRisk,
        QueueKind::DoneToday,
        QueueKind::All,
    ];

    /// Stable id, used in `:queue NAME` and the catalog (`queue.<id>`).
    pub fn id(self) -> &'static str {
        match self {
            QueueKind::Mine => "mine",
            QueueKind::Unassigned => "unassigned",
            QueueKind::MyGroups => "group",
            QueueKind::AllOpen => "open",
            QueueKind::Waiting => "waiting",
            QueueKind::AtRisk => "at_risk",
            QueueKind::DoneToday => "done_today",
            QueueKind::All => "all",
        }
    }

    pub fn from_id(id: &str) -> Option<QueueKind> {
        QueueKind::ALL.into_iter().find(|k| k.id() == id.trim())
    }

    /// The order a queue starts in: its sort key, and whether reversed.
    pub fn default_order(self) -> (SortKey, bool) {
        match self {
            QueueKind::DoneToday => (SortKey::Updated, false),
            QueueKind::AtRisk => (SortKey::Due, false),
            // Newest first, walking the creation index backwards.
            QueueKind::All => (SortKey::Age, true),
            _ => (SortKey::Priority, false),
        }
    }
}

/// Columns a queue can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    /// Most urgent first, then oldest first (the working order).
    Priority,
    Number,
    Status,
    Subject,
    Requester,
    Assignee,
    /// Oldest first.
    Age,
    /// Most recently changed first.
    Updated,
    /// Soonest due first (tickets without a due time last).
    Due,
}

impl SortKey {
    pub const ALL: [SortKey; 9] = [
        SortKey::Priority,
        SortKey::Number,
        SortKey::Status,
        SortKey::Subject,
        SortKey::Requester,
        SortKey::Assignee,
        SortKey::Age,
        SortKey::Updated,
        SortKey::Due,
    ];

    pub fn id(self) -> &'static str {
        match self {
            SortKey::Priority => "priority",
            SortKey::Number => "number",
            SortKey::Status => "status",
            SortKey::Subject => "subject",
            SortKey::Requester => "requester",
            SortKey::Assignee => "assignee",
            SortKey::Age => "age",
            SortKey::Updated => "updated",
            SortKey::Due => "due",
        }
    }

    pub fn from_id(id: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.id() == id.trim())
    }

    /// The key columns, each ascending; the row id last makes every key unique.
    fn exprs(self, status_order: &str) -> Vec<String> {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect();
        match self {
            SortKey::Priority => v(&["t.urgency", "t.created_at", "t.id"]),
            SortKey::Number => v(&["t.number", "t.id"]),
            SortKey::Status => vec![
                status_order.to_string(),
                "t.urgency".into(),
                "t.created_at".into(),
                "t.id".into(),
            ],
            SortKey::Subject => v(&["lower(t.subject)", "t.id"]),
            SortKey::Requester => v(&["lower(t.requester)", "t.id"]),
            SortKey::Assignee => v(&["coalesce(a.login, '')", "t.urgency", "t.created_at", "t.id"]),
            SortKey::Age => v(&["t.created_at", "t.id"]),
            SortKey::Updated => v(&["-t.updated_at", "-t.id"]),
            SortKey::Due => v(&[
                "coalesce(t.due_at, 9223372036854775807)",
                "t.urgency",
                "t.id",
            ]),
        }
    }
}

/// What a queue shows: which tickets, in which order, filtered by which text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub kind: QueueKind,
    pub sort: SortKey,
    pub reverse: bool,
    /// Words typed after `/`: every word must start a word of the number, subject, requester,
    /// contact or request.
    pub text: String,
}

impl QueueSpec {
    pub fn new(kind: QueueKind) -> QueueSpec {
        let (sort, reverse) = kind.default_order();
        QueueSpec {
            kind,
            sort,
            reverse,
            text: String::new(),
        }
    }
}

/// Who is looking, which the queues depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub agent_id: i64,
    pub groups: Vec<String>,
    /// Start of today (local) as unix seconds.
    pub day_start: i64,
    /// Now, for the at-risk queue.
    pub now: i64,
}

/// A row of a queue and its position key.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub ticket: Ticket,
    pub key: Vec<Value>,
}

/// An FTS5 query from what a person typed: each word a quoted prefix. One-letter words are
/// left out: they match most of a large desk and narrow nothing.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| w.chars().count() >= 2)
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

struct Built {
    where_sql: String,
    args: Vec<Value>,
    keys: Vec<String>,
}

fn build(cfg: &Config, spec: &QueueSpec, viewer: &Viewer) -> Built {
    let mut wheres: Vec<String> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    match spec.kind {
        QueueKind::Mine => {
            wheres.push("t.assignee_id = ? AND t.is_open = 1".into());
            args.push(Value::Integer(viewer.agent_id));
        }
        QueueKind::Unassigned => wheres.push("t.assignee_id IS NULL AND t.is_open = 1".into()),
        QueueKind::MyGroups => {
            let marks = vec!["?"; viewer.groups.len().max(1)].join(", ");
            wheres.push(format!("t.group_code IN ({marks}) AND t.is_open = 1"));
            if viewer.groups.is_empty() {
                args.push(Value::Null);
            }
            args.extend(viewer.groups.iter().map(|g| Value::Text(g.clone())));
        }
        QueueKind::AllOpen => wheres.push("t.is_open = 1".into()),
        QueueKind::Waiting => {
            let waiting = cfg.lifecycle.ids_in(StatusCategory::Waiting);
            let marks = vec!["?"; waiting.len().max(1)].join(", ");
            wheres.push(format!("t.status IN ({marks})"));
            if waiting.is_empty() {
                args.push(Value::Null);
            }
            args.extend(waiting.iter().map(|s| Value::Text(s.to_string())));
        }
        QueueKind::AtRisk => {
            wheres.push("t.is_open = 1 AND t.risk_at <= ?".into());
            args.push(Value::Integer(viewer.now));
        }
        QueueKind::DoneToday => {
            wheres.push("t.resolved_at >= ?".into());
            args.push(Value::Integer(viewer.day_start));
        }
        QueueKind::All => {}
    }
    if let Some(q) = fts_query(&spec.text) {
        // On a queue with its own index, walk that index and use the search hits as a filter
        // (`+` keeps SQLite from driving the query from thousands of hits); on the whole desk,
        // start from the hits.
        let id = if spec.kind == QueueKind::All {
            "t.id"
        } else {
            "+t.id"
        };
        let hits = format!("{id} IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)");
        let key = crate::core::numbering::normalize(&spec.text);
        if key.chars().any(|c| c.is_ascii_digit()) {
            // A number typed without its dashes ("hsg261100042") is not a word FTS knows.
            wheres.push(format!("({hits} OR t.number_key LIKE ?)"));
            args.push(Value::Text(q));
            args.push(Value::Text(format!("{key}%")));
        } else {
            wheres.push(hits);
            args.push(Value::Text(q));
        }
    }
    let statuses = cfg.lifecycle.statuses();
    let status_order = if statuses.is_empty() {
        "0".to_string()
    } else {
        let mut s = String::from("CASE t.status");
        for (i, st) in statuses.iter().enumerate() {
            // Status ids are validated identifiers ([a-z0-9_]), safe to inline.
            s.push_str(&format!(" WHEN '{}' THEN {i}", st.id));
        }
        s.push_str(&format!(" ELSE {} END", statuses.len()));
        s
    };
    Built {
        where_sql: wheres.join(" AND "),
        args,
        keys: spec.sort.exprs(&status_order),
    }
}

impl Store {
    /// How many tickets a queue holds.
    pub fn queue_count(&self, cfg: &Config, spec: &QueueSpec, viewer: &Viewer) -> Result<i64> {
        let b = build(cfg, spec, viewer);
        let w = if b.where_sql.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", b.where_sql)
        };
        self.conn
            .prepare_cached(&format!("SELECT count(*) FROM tickets t {w}"))
            .and_then(|mut s| s.query_row(params_from_iter(b.args.iter()), |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// Up to `limit` rows of a queue after `after` (forward) or before it (backward), in
    /// queue order. `None` starts at the top (forward) or the bottom (backward).
    pub fn queue_page(
        &self,
        cfg: &Config,
        spec: &QueueSpec,
        viewer: &Viewer,
        after: Option<&[Value]>,
        forward: bool,
        limit: usize,
    ) -> Result<Vec<QueueRow>> {
        let b = build(cfg, spec, viewer);
        let mut wheres = Vec::new();
        if !b.where_sql.is_empty() {
            wheres.push(b.where_sql.clone());
        }
        let mut args = b.args.clone();
        // Reading towards the end of the queue is ascending order unless the queue is reversed.
        let ascending = forward != spec.reverse;
        let tuple = format!("({})", b.keys.join(", "));
        if let Some(key) = after.filter(|k| k.len() == b.keys.len()) {
            let op = if ascending { ">" } else { "<" };
            let marks = vec!["?"; key.len()].join(", ");
            wheres.push(format!("{tuple} {op} ({marks})"));
            args.extend(key.iter().cloned());
        }
        let dir = if ascending { "ASC" } else { "DESC" };
        let order = b
            .keys
            .iter()
            .map(|k| format!("{k} {dir}"))
            .collect::<Vec<_>>()
            .join(", ");
        let w = if wheres.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wheres.join(" AND "))
        };
        let cols = COLS.replace("t.body", "''");
        let key_cols = b.keys.join(", ");
        let sql =
            format!("SELECT {cols}, {key_cols} FROM {FROM} {w} ORDER BY {order} LIMIT {limit}");
        let n = b.keys.len();
        let run = || -> rusqlite::Result<Vec<QueueRow>> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let width = stmt.column_count();
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
        let mut rows = run().map_err(|e| self.err(e))?;
        if !forward {
            rows.reverse();
        }
        Ok(rows)
    }

    /// The position of a key in its queue: how many rows come before it.
    pub fn queue_position(
        &self,
        cfg: &Config,
        spec: &QueueSpec,
        viewer: &Viewer,
        key: &[Value],
    ) -> Result<i64> {
        let b = build(cfg, spec, viewer);
        let mut wheres = Vec::new();
        if !b.where_sql.is_empty() {
            wheres.push(b.where_sql.clone());
        }
        let mut args = b.args.clone();
        let op = if spec.reverse { ">" } else { "<" };
        let marks = vec!["?"; key.len()].join(", ");
        wheres.push(format!("({}) {op} ({marks})", b.keys.join(", ")));
        args.extend(key.iter().cloned());
        self.conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM {FROM} WHERE {}",
                wheres.join(" AND ")
            ))
            .and_then(|mut s| s.query_row(params_from_iter(args.iter()), |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// Where a ticket sits in a queue: its position key, or None when the queue does not hold
    /// it (so the desk can put the cursor on a ticket opened by number).
    pub fn queue_key_of(
        &self,
        cfg: &Config,
        spec: &QueueSpec,
        viewer: &Viewer,
        ticket_id: i64,
    ) -> Result<Option<Vec<Value>>> {
        let b = build(cfg, spec, viewer);
        let mut wheres = vec!["t.id = ?".to_string()];
        if !b.where_sql.is_empty() {
            wheres.push(b.where_sql.clone());
        }
        let mut args = vec![Value::Integer(ticket_id)];
        args.extend(b.args.iter().cloned());
        let sql = format!(
            "SELECT {} FROM {FROM} WHERE {}",
            b.keys.join(", "),
            wheres.join(" AND ")
        );
        let n = b.keys.len();
        let run = || -> rusqlite::Result<Option<Vec<Value>>> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(args.iter()))?;
            match rows.next()? {
                Some(r) => (0..n)
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<rusqlite::Result<_>>()
                    .map(Some),
                None => Ok(None),
            }
        };
        run().map_err(|e| self.err(e))
    }

    /// The groups an agent belongs to.
    pub fn groups_of(&self, agent_id: i64) -> Result<Vec<String>> {
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT group_code FROM members WHERE agent_id = ?1 ORDER BY group_code",
            )?;
            let rows = stmt.query_map([agent_id], |r| r.get(0))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_queries_quote_every_word() {
        assert_eq!(fts_query("  "), None);
        assert_eq!(fts_query("heat flat"), Some("\"heat\"* \"flat\"*".into()));
        assert_eq!(fts_query("a\"b"), Some("\"a\"\"b\"*".into()));
        assert_eq!(fts_query("(--)"), None);
        assert_eq!(
            fts_query("a heat"),
            Some("\"heat\"*".into()),
            "one letter narrows nothing"
        );
        assert_eq!(fts_query("HSG-2611"), Some("\"HSG-2611\"*".into()));
    }

    #[test]
    fn ids_round_trip() {
        for k in QueueKind::ALL {
            assert_eq!(QueueKind::from_id(k.id()), Some(k));
        }
        for s in SortKey::ALL {
            assert_eq!(SortKey::from_id(s.id()), Some(s));
        }
    }
}
