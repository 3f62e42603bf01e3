//! `desk check`: the database's integrity and the desk's own invariants, each violation named
//! by the ticket it concerns.

use super::Store;
use crate::core::config::Config;
use crate::core::lifecycle::is_final;
use crate::core::model::Outcome;
use crate::error::Result;
use crate::store::db::{Connection, OptionalExtension};

/// How many checks `desk check` makes (its steps of progress).
const CHECKS: u64 = 13;

/// One thing that is not as it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The ticket concerned, if it is about one.
    pub number: Option<String>,
    /// What is wrong: a catalog key and its values.
    pub message: Message,
}

use crate::error::Arg;
pub use crate::error::Message;

impl Violation {
    /// A violation said through the catalog with plain values.
    pub fn said(
        number: Option<String>,
        key: &'static str,
        args: Vec<(&'static str, String)>,
    ) -> Violation {
        Violation::message(number, Message::text(key, args))
    }

    /// A violation said through the catalog.
    pub fn message(number: Option<String>, message: Message) -> Violation {
        Violation { number, message }
    }

    /// The text in the language of `cat`.
    pub fn text(&self, cat: &crate::i18n::Catalog) -> String {
        cat.say(&self.message)
    }

    /// The text in English (the JSON output's stable `what`).
    pub fn what(&self) -> String {
        self.text(crate::i18n::Catalog::english())
    }
}

/// What was looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub tickets: i64,
    pub events: i64,
    pub violations: Vec<Violation>,
    /// What holds but deserves a look (a supervisor escalations cannot be mailed to); they
    /// do not make the check fail.
    pub warnings: Vec<Violation>,
    /// The history's head: the anchor an auditor keeps (`desk check --anchor`).
    pub head: crate::core::chain::Anchor,
    /// With an anchor to check against: whether it is still in the history, unchanged.
    pub anchor_holds: Option<bool>,
}

/// An open ticket's id, number, priority, category and stored due and at-risk instants.
type OpenFigures = (i64, String, i64, String, Option<i64>, Option<i64>);

/// A ticket number with two values to compare.
type Finding = (String, Option<String>, Option<String>);

fn rows(conn: &Connection, sql: &str) -> rusqlite::Result<Vec<Finding>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

const TRIGGERS: [&str; 11] = [
    "events_no_update",
    "events_no_delete",
    "tickets_no_delete",
    "number_gaps_no_update",
    "number_gaps_no_delete",
    "blobs_no_update",
    "blobs_no_delete",
    "attachments_no_update",
    "attachments_no_delete",
    "desk_events_no_update",
    "desk_events_no_delete",
];

/// Merges and links agree with the history: a duplicate points at a ticket that exists and
/// was not itself merged, is finished with the outcome `invalid`, and both histories record
/// the merge; every link stored is the one the histories' last `linked`/`unlinked` events
/// say, and every link they say is stored.
fn relations(c: &Connection) -> rusqlite::Result<Vec<Violation>> {
    let mut v = Vec::new();
    for (n, target, problem) in rows(
        c,
        "SELECT number, target, problem FROM (SELECT d.number, t.number AS target, CASE
             WHEN t.id IS NULL THEN 'missing'
             WHEN t.id = d.id THEN 'itself'
             WHEN t.merged_into IS NOT NULL THEN 'merged'
             WHEN d.is_open = 1 OR d.outcome IS DISTINCT FROM 'invalid' THEN 'open'
             WHEN (SELECT e.to_value FROM events e WHERE e.ticket_id = d.id AND e.kind = 'merged'
                   ORDER BY e.id DESC LIMIT 1) IS DISTINCT FROM t.number THEN 'history'
             WHEN NOT EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'merged'
                   AND e.from_value = d.number) THEN 'target history'
             END AS problem
         FROM tickets d LEFT JOIN tickets t ON t.id = d.merged_into
         WHERE d.merged_into IS NOT NULL) AS m WHERE problem IS NOT NULL",
    )? {
        let target = target.unwrap_or_default();
        v.push(Violation::said(
            Some(n),
            match problem.as_deref() {
                Some("missing") => "check.merged_missing",
                Some("itself") | Some("merged") => "check.merged_chain",
                Some("open") => "check.merged_open",
                Some("history") => "check.merged_history",
                _ => "check.merged_target_history",
            },
            vec![("target", target)],
        ));
    }
    for (n, target, _) in rows(
        c,
        "SELECT d.number, e.to_value, NULL FROM tickets d JOIN events e ON e.ticket_id = d.id
         WHERE e.kind = 'merged' AND e.to_value IS NOT NULL AND d.merged_into IS NULL",
    )? {
        v.push(Violation::said(
            Some(n),
            "check.merged_history",
            vec![("target", target.unwrap_or_default())],
        ));
    }
    // The links the histories say, each from both ends: (ticket, other) → role.
    let mut said: std::collections::BTreeMap<(String, String), String> = Default::default();
    let mut stmt = c.prepare(
        "SELECT t.number, e.kind, coalesce(e.to_value, e.from_value), coalesce(e.text, '')
         FROM events e JOIN tickets t ON t.id = e.ticket_id
         WHERE e.kind IN ('linked', 'unlinked') ORDER BY e.id",
    )?;
    let mut all = stmt.query([])?;
    while let Some(r) = all.next()? {
        let (this, kind, other, role): (String, String, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        if kind == "linked" {
            said.insert((this, other), role);
        } else {
            said.remove(&(this, other));
        }
    }
    let mut stored: std::collections::BTreeMap<(String, String), String> = Default::default();
    let mut stmt = c.prepare(
        "SELECT x.number, y.number, l.kind FROM links l
         JOIN tickets x ON x.id = l.a JOIN tickets y ON y.id = l.b",
    )?;
    let mut all = stmt.query([])?;
    while let Some(r) = all.next()? {
        let (a, b, kind): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        let (to_a, to_b) = if kind == "parent" {
            ("child", "parent")
        } else {
            ("related", "related")
        };
        stored.insert((a.clone(), b.clone()), to_a.to_string());
        stored.insert((b, a), to_b.to_string());
    }
    for ((this, other), role) in &stored {
        if said.get(&(this.clone(), other.clone())) != Some(role) {
            v.push(Violation::said(
                Some(this.clone()),
                "check.link_unsaid",
                vec![("other", other.clone())],
            ));
        }
    }
    for (this, other) in said.keys() {
        if !stored.contains_key(&(this.clone(), other.clone())) {
            v.push(Violation::said(
                Some(this.clone()),
                "check.link_missing",
                vec![("other", other.clone())],
            ));
        }
    }
    Ok(v)
}

/// Every attached file's content hashes to its name and has its size; every file of a ticket
/// is the one its history's `attached` event names (name, hash and size), and every such
/// event has its file.
fn attachments(c: &Connection) -> rusqlite::Result<Vec<Violation>> {
    let mut v = Vec::new();
    let mut stmt = c.prepare("SELECT hash, size, data FROM blobs ORDER BY id")?;
    let mut all = stmt.query([])?;
    while let Some(r) = all.next()? {
        let hash: String = r.get(0)?;
        let size: i64 = r.get(1)?;
        let data = r.get_ref(2)?.as_blob().unwrap_or_default();
        if crate::core::attach::hash(data) != hash || data.len() as i64 != size {
            v.push(Violation::said(
                None,
                "check.blob_damaged",
                vec![("hash", hash.clone())],
            ));
        }
    }
    for (n, name, _) in rows(
        c,
        "SELECT t.number, x.name, NULL FROM attachments x JOIN tickets t ON t.id = x.ticket_id
         LEFT JOIN blobs b ON b.hash = x.hash
         WHERE b.id IS NULL OR b.size IS DISTINCT FROM x.size OR NOT EXISTS (
             SELECT 1 FROM events e WHERE e.ticket_id = x.ticket_id AND e.kind = 'attached'
                AND e.to_value = x.name AND e.text = 'sha256:' || x.hash || ' ' || x.size)",
    )? {
        v.push(Violation::said(
            Some(n),
            "check.attachment_unsaid",
            vec![("name", name.unwrap_or_default())],
        ));
    }
    for (n, name, _) in rows(
        c,
        "SELECT t.number, e.to_value, NULL FROM events e JOIN tickets t ON t.id = e.ticket_id
         WHERE e.kind = 'attached' AND NOT EXISTS (SELECT 1 FROM attachments x
             WHERE x.ticket_id = e.ticket_id AND x.name = e.to_value
               AND e.text = 'sha256:' || x.hash || ' ' || x.size)",
    )? {
        v.push(Violation::said(
            Some(n),
            "check.attachment_missing",
            vec![("name", name.unwrap_or_default())],
        ));
    }
    Ok(v)
}

impl Store {
    /// Checks integrity (`PRAGMA integrity_check`, foreign keys) and the invariants: every
    /// ticket has its creation event first; its status, outcome and owner are what its history
    /// says last, and so are the request intake took (subject, body, requester, contact), its
    /// channel, category, priority and group, as far as the history records them; its status is declared and its open flag agrees; a finished ticket has a
    /// final outcome; every number reads back against its series and its series' algorithm, and
    /// every series gave exactly its numbers but those recorded as skipped (see
    /// `numbers::check`); the history's protecting triggers are in place.
    ///
    /// The history's hash chain is walked from the first event to the last; the first event
    /// that breaks it is named. With `anchor` (an earlier head), says whether that head is
    /// still in the chain with the same hash.
    pub fn check(
        &self,
        cfg: &Config,
        now: i64,
        anchor: Option<&crate::core::chain::Anchor>,
    ) -> Result<CheckReport> {
        let run = || -> rusqlite::Result<CheckReport> {
            let c = &self.conn;
            // How far: one step per check below.
            let done = std::cell::Cell::new(0);
            let step = || {
                done.set(done.get() + 1);
                super::progress::tell(super::progress::Work::Check, done.get(), CHECKS);
            };
            let mut v = integrity(c)?;
            step();
            v.extend(history_agrees(c)?);
            step();
            v.extend(super::fields_check::check(c)?);
            step();
            let (tickets, states) = states(c, cfg)?;
            v.extend(states);
            step();
            v.extend(figures_agree(c, cfg, now)?);
            step();
            let chain = super::chain::verify(c, anchor)?;
            v.extend(chain_holds(&chain, anchor));
            step();
            v.extend(super::numbers::check(c, cfg)?);
            step();
            v.extend(relations(c)?);
            step();
            v.extend(attachments(c)?);
            step();
            v.extend(super::timers::check(c)?);
            step();
            // The requester's side: every ticket has its access code; a notice waiting to be
            // delivered has an address to go to, a finished one its time.
            v.extend(super::outbox::check(c)?);
            step();
            v.extend(super::roster::check(c)?);
            step();
            v.extend(super::search::check(c, !self.is_read_only())?);
            step();
            Ok(CheckReport {
                tickets,
                events: chain.events,
                violations: v,
                warnings: super::timers::alert_warnings(c, cfg)?,
                head: chain.head,
                anchor_holds: chain.anchor_holds,
            })
        };
        run().map_err(|e| self.err(e))
    }
}

/// The file itself: SQLite's integrity check, foreign keys, the history's triggers.
fn integrity(c: &Connection) -> rusqlite::Result<Vec<Violation>> {
    if c.is_postgres() {
        return pg_protection(c);
    }
    let mut v = Vec::new();
    let mut stmt = c.prepare("PRAGMA integrity_check")?;
    for r in stmt.query_map([], |r| r.get::<_, String>(0))? {
        let r = r?;
        if r != "ok" {
            v.push(Violation::said(
                None,
                "check.integrity",
                vec![("detail", r)],
            ));
        }
    }
    let fk: i64 = c.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if fk > 0 {
        v.push(Violation::said(
            None,
            "check.foreign_keys",
            vec![("n", fk.to_string())],
        ));
    }
    v.extend(triggers_present(c, &TRIGGERS, "check.trigger_missing")?);
    Ok(v)
}

/// The tables whose rows the history keeps, each protected by triggers of its own.
const PROTECTED: [&str; 6] = [
    "events",
    "desk_events",
    "tickets",
    "number_gaps",
    "blobs",
    "attachments",
];

/// On PostgreSQL (which checks its own pages and always its foreign keys): the history's
/// triggers are there and enabled — those against TRUNCATE too —, every protected table and
/// the triggers' function belong to the schema's owner (the owner of `desk_schema`: what it
/// owns, the program's role cannot alter), and the role the desk runs as, unless it is that
/// owner, may not UPDATE, DELETE or TRUNCATE any of them.
fn pg_protection(c: &Connection) -> rusqlite::Result<Vec<Violation>> {
    let mut v = Vec::new();
    let owner_of = "SELECT pg_get_userbyid(c.relowner) FROM pg_class c \
         WHERE c.relname = ?1 AND c.relnamespace = current_schema()::regnamespace";
    let schema_owner: String = c.query_row(owner_of, ["desk_schema"], |r| r.get(0))?;
    let me: String = c.query_row("SELECT current_user::text", [], |r| r.get(0))?;
    let truncate: Vec<String> = PROTECTED
        .iter()
        .map(|t| format!("{t}_no_truncate"))
        .collect();
    let names = TRIGGERS
        .iter()
        .copied()
        .chain(truncate.iter().map(String::as_str));
    for name in names {
        let enabled: Option<String> = c
            .query_row(
                "SELECT t.tgenabled::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
                 WHERE t.tgname = ?1 AND NOT t.tgisinternal \
                 AND c.relnamespace = current_schema()::regnamespace",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        let key = match enabled.as_deref() {
            None => "check.trigger_missing",
            Some("D") => "check.trigger_disabled",
            Some(_) => continue,
        };
        v.push(Violation::said(
            None,
            key,
            vec![("trigger", name.to_string())],
        ));
    }
    let function: Option<String> = c
        .query_row(
            "SELECT pg_get_userbyid(p.proowner) FROM pg_proc p \
             WHERE p.proname = 'desk_refuse' AND p.pronamespace = current_schema()::regnamespace",
            [],
            |r| r.get(0),
        )
        .optional()?;
    let mut owned = vec![("desk_refuse()".to_string(), function)];
    for t in PROTECTED {
        owned.push((
            t.to_string(),
            c.query_row(owner_of, [t], |r| r.get(0)).optional()?,
        ));
    }
    for (what, owner) in owned {
        if let Some(owner) = owner.filter(|o| *o != schema_owner) {
            v.push(Violation::said(
                None,
                "check.owner",
                vec![
                    ("what", what),
                    ("owner", owner),
                    ("schema_owner", schema_owner.clone()),
                ],
            ));
        }
    }
    if me != schema_owner {
        for t in PROTECTED {
            for privilege in ["UPDATE", "DELETE", "TRUNCATE"] {
                // Tickets are updated, never deleted.
                if t == "tickets" && privilege == "UPDATE" {
                    continue;
                }
                let may: bool = c.query_row(
                    "SELECT has_table_privilege(current_user, ?1::text, ?2::text)",
                    [t, privilege],
                    |r| r.get(0),
                )?;
                if may {
                    v.push(Violation::said(
                        None,
                        "check.privilege",
                        vec![
                            ("role", me.clone()),
                            ("privilege", privilege.to_string()),
                            ("table", t.to_string()),
                        ],
                    ));
                }
            }
        }
    }
    Ok(v)
}

/// Each of these triggers is in place; `key` says one that is not.
pub(super) fn triggers_present(
    c: &Connection,
    names: &[&str],
    key: &'static str,
) -> rusqlite::Result<Vec<Violation>> {
    let mut v = Vec::new();
    for t in names {
        let present: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?1)",
            [t],
            |r| r.get(0),
        )?;
        if !present {
            v.push(Violation::said(None, key, vec![("trigger", t.to_string())]));
        }
    }
    Ok(v)
}

/// Each ticket is what its history says: one creation event, first; the status, owner and
/// outcome the history recorded last.
fn history_agrees(c: &Connection) -> rusqlite::Result<Vec<Violation>> {
    // (query, message, names of the two values, the word for an absent value)
    let checks: [(&str, &'static str, [&'static str; 2], &'static str); 4] = [
        (
            "SELECT t.number,
                    CAST((SELECT count(*) FROM events e WHERE e.ticket_id = t.id AND e.kind = 'created') AS TEXT),
                    (SELECT e.kind FROM events e WHERE e.ticket_id = t.id ORDER BY e.id LIMIT 1)
             FROM tickets t
             WHERE (SELECT count(*) FROM events e WHERE e.ticket_id = t.id AND e.kind = 'created') != 1
                OR (SELECT e.kind FROM events e WHERE e.ticket_id = t.id ORDER BY e.id LIMIT 1) IS DISTINCT FROM 'created'",
            "check.creation",
            ["count", "first"],
            "term.nothing",
        ),
        (
            "SELECT number, status, last FROM (
                SELECT t.number, t.status,
                  (SELECT e.to_value FROM events e WHERE e.ticket_id = t.id
                     AND e.kind IN ('created', 'status') ORDER BY e.id DESC LIMIT 1) AS last
                FROM tickets t) AS h WHERE status IS DISTINCT FROM last",
            "check.status_history",
            ["status", "last"],
            "term.nothing",
        ),
        (
            "SELECT number, owner, last FROM (
                SELECT t.number, a.login AS owner,
                  (SELECT e.to_value FROM events e WHERE e.ticket_id = t.id
                     AND e.kind = 'assigned' ORDER BY e.id DESC LIMIT 1) AS last
                FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id) AS h WHERE owner IS DISTINCT FROM last",
            "check.owner_history",
            ["owner", "last"],
            "term.nobody",
        ),
        (
            "SELECT number, outcome, last FROM (
                SELECT t.number, t.outcome,
                  (SELECT e.to_value FROM events e WHERE e.ticket_id = t.id
                     AND e.kind = 'outcome' ORDER BY e.id DESC LIMIT 1) AS last,
                  EXISTS (SELECT 1 FROM events e WHERE e.ticket_id = t.id AND e.kind = 'outcome') AS decided
                FROM tickets t) AS h
                WHERE decided AND outcome IS DISTINCT FROM last OR NOT decided AND outcome IS NOT NULL",
            "check.outcome_history",
            ["outcome", "last"],
            "term.none",
        ),
    ];
    let mut v = Vec::new();
    for (sql, key, [a, b], absent) in checks {
        for (n, x, y) in rows(c, sql)? {
            let said = |x: Option<String>| x.map(Arg::Text).unwrap_or(Arg::Term(absent));
            let m = Message::new(key, vec![(a, said(x)), (b, said(y))]);
            v.push(Violation::message(Some(n), m));
        }
    }
    Ok(v)
}

/// Statuses declared, open flags right, finished tickets with a final outcome; and how many
/// tickets there are.
fn states(c: &Connection, cfg: &Config) -> rusqlite::Result<(i64, Vec<Violation>)> {
    let mut v = Vec::new();
    let mut stmt = c.prepare("SELECT number, status, is_open, outcome FROM tickets")?;
    let mut all = stmt.query([])?;
    let mut tickets = 0;
    while let Some(r) = all.next()? {
        tickets += 1;
        let number: String = r.get(0)?;
        let status: String = r.get(1)?;
        let open: bool = r.get(2)?;
        let outcome: Option<String> = r.get(3)?;
        let Some(cat) = cfg.lifecycle.category(&status) else {
            v.push(Violation::said(
                Some(number),
                "check.undeclared_status",
                vec![("status", status)],
            ));
            continue;
        };
        if cat.is_open() != open {
            v.push(Violation::said(
                Some(number.clone()),
                if open {
                    "check.marked_open"
                } else {
                    "check.marked_finished"
                },
                vec![
                    ("status", status.clone()),
                    ("category", cat.as_str().to_string()),
                ],
            ));
        }
        let final_outcome = outcome
            .as_deref()
            .and_then(|o| o.parse::<Outcome>().ok())
            .is_some_and(is_final);
        if cat.is_finished() && !final_outcome {
            v.push(Violation::said(
                Some(number),
                "check.no_final_outcome",
                vec![("status", status)],
            ));
        }
    }
    Ok((tickets, v))
}

/// A ticket's (`f.ticket_id`) owner changes from its history, as `sla::owner_changes` writes
/// them (the same on SQLite and PostgreSQL).
const OWNER_CHANGES: &str =
    "SELECT string_agg(e.at || ':' || CASE WHEN e.text IS NOT DISTINCT FROM 'undo'
            THEN '-' || replace(replace(e.to_value, '%', '%25'), ';', '%3B')
            ELSE '+' || replace(replace(e.from_value, '%', '%25'), ';', '%3B') END,
        ';' ORDER BY e.id)
    FROM events e
    WHERE e.ticket_id = f.ticket_id AND e.kind = 'assigned'
      AND e.from_value IS NOT NULL AND e.to_value IS NOT NULL";

/// Derived data equals what it is derived from: each ticket's row of report facts, and the
/// service-level figures of open tickets (they drive the queues) against a fresh computation
/// from the history.
fn figures_agree(c: &Connection, cfg: &Config, now: i64) -> rusqlite::Result<Vec<Violation>> {
    let mut v = Vec::new();
    for (n, what, _) in rows(
        c,
        "SELECT t.number, CASE WHEN f.ticket_id IS NULL THEN 'missing' ELSE 'differs' END, NULL
         FROM tickets t LEFT JOIN facts f ON f.ticket_id = t.id
         LEFT JOIN agents a ON a.id = t.assignee_id
         WHERE f.ticket_id IS NULL OR f.is_open IS DISTINCT FROM t.is_open
            OR f.created_at IS DISTINCT FROM t.created_at OR f.resolved_at IS DISTINCT FROM t.resolved_at
            OR f.category IS DISTINCT FROM t.category OR f.group_code IS DISTINCT FROM t.group_code
            OR f.assignee IS DISTINCT FROM a.login OR f.channel IS DISTINCT FROM t.channel
            OR f.priority IS DISTINCT FROM t.priority OR f.outcome IS DISTINCT FROM t.outcome
            OR f.satisfaction IS DISTINCT FROM t.satisfaction OR f.status IS DISTINCT FROM t.status
            OR f.reassignments IS DISTINCT FROM t.reassignments",
    )? {
        let key = if what.as_deref() == Some("missing") {
            "check.facts_missing"
        } else {
            "check.facts_differ"
        };
        v.push(Violation::said(Some(n), key, Vec::new()));
    }
    // Each ticket's owner changes as its facts keep them (`sla::owner_changes`), against its
    // history: the rows that hold some, and the tickets with some in the history's index of
    // them whose row holds none.
    for (n, ..) in rows(
        c,
        &format!(
            "SELECT t.number, NULL, NULL FROM facts f JOIN tickets t ON t.id = f.ticket_id
             WHERE f.reassigned IS NOT NULL AND f.reassigned IS DISTINCT FROM ({OWNER_CHANGES})
             UNION
             SELECT t.number, NULL, NULL FROM facts f JOIN tickets t ON t.id = f.ticket_id
             WHERE f.reassigned IS NULL AND f.ticket_id IN (
                SELECT ticket_id FROM events INDEXED BY events_reassigned
                WHERE kind = 'assigned' AND from_value IS NOT NULL AND to_value IS NOT NULL)"
        ),
    )? {
        v.push(Violation::said(Some(n), "check.facts_differ", Vec::new()));
    }
    // The report's days equal a fresh aggregation of the facts.
    let (differ, count) = super::report::rollup::differences(c, cfg, 1)?;
    if let Some(k) = differ.first() {
        let day = chrono::NaiveDate::from_num_days_from_ce_opt(k.day as i32)
            .map_or_else(|| k.day.to_string(), |d| d.to_string());
        v.push(Violation::said(
            None,
            "check.rollups_differ",
            vec![
                ("count", count.to_string()),
                ("day", day),
                ("side", k.side.to_string()),
                ("group", k.group.clone()),
                ("by", k.dim.to_string()),
                ("value", k.value.clone()),
            ],
        ));
    }
    let mut stmt = c.prepare(
        "SELECT id, number, priority, category, due_at, risk_at FROM tickets WHERE is_open = 1",
    )?;
    let open: Vec<OpenFigures> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (id, number, priority, category, due, risk) in open {
        let events = super::sla::clock_events(c, id)?;
        let priority = crate::core::model::Priority::from_rank(priority)
            .unwrap_or(crate::core::model::Priority::Normal);
        let s = super::sla::compute_for(cfg, &events, priority, &category, now);
        if s.due != due || s.risk_at != risk {
            v.push(Violation::said(
                Some(number),
                "check.sla_differ",
                Vec::new(),
            ));
        }
    }
    Ok(v)
}

/// The history's hash chain holds, and so does the anchor asked about.
fn chain_holds(
    chain: &super::chain::ChainReport,
    anchor: Option<&crate::core::chain::Anchor>,
) -> Vec<Violation> {
    let mut v = Vec::new();
    if let Some(b) = &chain.first_break {
        v.push(Violation::message(
            b.number.clone(),
            crate::msg!("check.chain_break", event = b.event, what = b.what.clone()),
        ));
    }
    if let (Some(a), Some(false)) = (anchor, chain.anchor_holds) {
        v.push(if a.id > chain.head.id {
            Violation::said(
                None,
                "check.anchor_deleted",
                vec![
                    ("event", a.id.to_string()),
                    ("head", chain.head.id.to_string()),
                ],
            )
        } else {
            Violation::said(
                None,
                "check.anchor_rewritten",
                vec![("event", a.id.to_string())],
            )
        });
    }
    v
}
