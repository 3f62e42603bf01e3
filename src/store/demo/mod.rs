//! `desk demo`: a realistic desk — agents, groups, and tickets in every status with their
//! whole history — written in one transaction. Every step of every ticket is decided by the
//! same `core` rules as a real one: the generator walks the configured lifecycle, so the data
//! stays valid under any `desk.toml`.

mod story;

use super::Store;
use super::tickets::{ensure_group, local_date};
use crate::core::config::Config;
use crate::core::model::{Actor, AgentRef, EventKind, Role};
use crate::core::numbering::{self, Parts};
use crate::error::{Error, Result};
use crate::msg;
use crate::store::db::{Dialect, params, params_from_iter};
use rusqlite::types::Value;
use serde::Deserialize;
use std::collections::HashMap;
use story::{Intake, Story, World, intake, tell, world};

pub const DEMO: &str = include_str!("../../../assets/demo.toml");

#[derive(Deserialize)]
struct DemoData {
    agent: Vec<DemoAgent>,
    first_names: Vec<String>,
    last_names: Vec<String>,
    requesters: Vec<(String, String)>,
    requests: HashMap<String, Vec<(String, String)>>,
    texts: Texts,
}

#[derive(Deserialize)]
struct DemoAgent {
    login: String,
    name: String,
    role: Role,
    groups: Vec<String>,
    capacity: i64,
    #[serde(default)]
    away: bool,
}

#[derive(Deserialize)]
struct Texts {
    questions: Vec<String>,
    refusals: Vec<String>,
    invalid: Vec<String>,
    next_steps: Vec<String>,
    answers: Vec<String>,
    comments: Vec<String>,
    reassign_reasons: Vec<String>,
    reopen_reasons: Vec<String>,
    rework_reasons: Vec<String>,
}

/// SplitMix64: small, fast, and the same demo for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
    fn text<'a>(&mut self, items: &'a [String], fallback: &'a str) -> &'a str {
        self.pick(items).map(String::as_str).unwrap_or(fallback)
    }
    /// A delay in seconds, mostly minutes to hours, sometimes days.
    fn delay(&mut self) -> i64 {
        let base = [600, 1800, 3600, 4 * 3600, 20 * 3600, 50 * 3600][self.below(6)];
        base + self.below(base as usize) as i64
    }
}

#[derive(Clone)]
struct Agent {
    r: AgentRef,
    groups: Vec<String>,
}

struct Ev {
    at: i64,
    actor: Option<i64>,
    kind: EventKind,
    from: Option<String>,
    to: Option<String>,
    text: Option<String>,
}

/// What a demo run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub tickets: usize,
    pub events: usize,
    pub agents: usize,
}

impl Store {
    /// Fills an empty desk with `tickets` demo tickets spread over recent weeks (up to two
    /// years for large runs), ending at `now`.
    pub fn demo(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        tickets: usize,
        now: i64,
    ) -> Result<DemoSummary> {
        self.demo_with_progress(cfg, actor, tickets, now, &|_| {})
    }

    /// As [`Store::demo`]; `progress` is told how many tickets are written so far.
    pub fn demo_with_progress(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        tickets: usize,
        now: i64,
        progress: &dyn Fn(usize),
    ) -> Result<DemoSummary> {
        crate::core::rights::check(actor, crate::core::rights::Action::Demo, None)?;
        let data: DemoData = toml::from_str(DEMO)
            .map_err(|e| Error::Invalid(msg!("error.demo_data", detail = e.message())))?;
        let existing = self.ticket_count()?;
        if existing > 0 {
            return Err(Error::Invalid(msg!(
                "error.demo_not_empty",
                tickets = existing
            )));
        }
        if self.conn.is_postgres() {
            // PostgreSQL keeps its GIN search index and its other indexes as rows arrive
            // (the program's role owns none of them to drop), in one transaction as here.
            return self.write(|tx| generate(tx, cfg, &data, tickets, now, progress));
        }
        // Bulk-loading an empty desk: a rollback journal is as crash-safe here (it holds the
        // few original pages) and writes each page once instead of through the WAL, which
        // makes large demos several times faster. Only possible while nobody else has the
        // database open; otherwise the load simply stays in WAL mode.
        self.conn
            .execute_batch("PRAGMA cache_size = -262144")
            .map_err(|e| self.err(e))?;
        // Foreign keys are checked by the tests on demo output (`PRAGMA foreign_key_check`);
        // during the load every id comes from the rows just written.
        self.conn
            .execute_batch("PRAGMA foreign_keys = OFF")
            .map_err(|e| self.err(e))?;
        // Never on the shared desk: leaving WAL would delete its -wal and -shm files, which
        // must stay the ones `desk init --shared` made.
        let journal: String = if self.options.shared {
            "wal".into()
        } else {
            self.conn
                .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
                .unwrap_or_else(|_| "wal".into())
        };
        let r = self.write(|tx| {
            // The tickets' secondary indexes are rebuilt once after the load (a sorted build)
            // instead of taking scattered inserts; their definitions come from the schema.
            // Events arrive in key order, so their index is cheapest kept as it goes.
            let indexes: Vec<(String, String)> = tx
                .prepare(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
                     AND tbl_name = 'tickets'",
                )?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (name, _) in &indexes {
                tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
            }
            // The search index is built in one pass at the end, not ticket by ticket.
            let search = super::search::suspend(tx)?;
            let summary = generate(tx, cfg, &data, tickets, now, progress)?;
            for (_, sql) in &indexes {
                tx.execute_batch(sql)?;
            }
            search.resume(tx)?;
            Ok(summary)
        });
        if !journal.eq_ignore_ascii_case("wal") {
            self.conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
                .map_err(|e| self.err(e))?;
        }
        let _ = self
            .conn
            .execute_batch("PRAGMA cache_size = -2000; PRAGMA foreign_keys = ON");
        r
    }
}

/// Adds the named agents, then enough extra operators for a large desk.
fn staff(
    tx: &crate::store::db::Connection,
    cfg: &Config,
    data: &DemoData,
    rng: &mut Rng,
    count: usize,
    now: i64,
) -> Result<Vec<Agent>> {
    let group_codes: Vec<String> = cfg.groups.iter().map(|g| g.code.clone()).collect();
    let mut agents: Vec<Agent> = Vec::new();
    let mut add = |login: &str,
                   name: &str,
                   role: Role,
                   groups: &[String],
                   cap: i64,
                   away: bool|
     -> Result<()> {
        let exists: Option<i64> = tx
            .query_row("SELECT id FROM agents WHERE login = ?1", [login], |r| {
                r.get(0)
            })
            .ok();
        let id = match exists {
            Some(id) => id,
            None => {
                tx.query_row(
                    "INSERT INTO agents (login, name, role, capacity, away, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                    params![login, name, role.as_str(), cap, away, now],
                    |r| r.get(0),
                )?
            }
        };
        let groups: Vec<String> = groups
            .iter()
            .filter(|g| group_codes.contains(g))
            .cloned()
            .collect();
        for g in &groups {
            tx.execute(
                "INSERT INTO members (agent_id, group_code) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![id, g],
            )?;
        }
        crate::store::roster::record_agent(tx, None, login, now)?;
        agents.push(Agent {
            r: AgentRef {
                id,
                login: login.to_string(),
                role,
            },
            groups,
        });
        Ok(())
    };
    for a in &data.agent {
        add(&a.login, &a.name, a.role, &a.groups, a.capacity, a.away)?;
    }
    let extra = (count / 3000).saturating_sub(data.agent.len());
    for i in 0..extra {
        let first = rng.text(&data.first_names, "Agent");
        let last = rng.text(&data.last_names, "Demo");
        let group: Vec<String> = rng.pick(&group_codes).cloned().into_iter().collect();
        let login = format!("op{:04}", i + 1);
        add(
            &login,
            &format!("{first} {last}"),
            Role::Operator,
            &group,
            40,
            false,
        )?;
    }
    Ok(agents)
}

/// How many open tickets may have missed a target: a demo whose "At risk" queue holds most
/// of the desk says nothing. A real desk keeps this low; the demo keeps it under a fifth.
const BREACHED_SHARE: i64 = 5;

/// The tickets, oldest first: each one's story, finished sooner when too many open tickets
/// have already missed a target.
fn generate(
    tx: &crate::store::db::Connection,
    cfg: &Config,
    data: &DemoData,
    count: usize,
    now: i64,
    progress: &dyn Fn(usize),
) -> Result<DemoSummary> {
    let mut rng = Rng(0x5EED_DE5C);
    for g in &cfg.groups {
        ensure_group(tx, cfg, &g.code)?;
    }
    let agents = staff(tx, cfg, data, &mut rng, count, now)?;
    let w = world(cfg, data, &agents, now);
    let mut out = Writer::new(tx, cfg)?;
    let span_days = (count as i64 / 40).clamp(30, 730);
    let start = now - span_days * 86_400;
    let (mut open, mut breached) = (0i64, 0i64);
    for i in 0..count {
        // Tickets come in order, evenly over the span.
        let created = start + ((now - start) as i128 * i as i128 / count.max(1) as i128) as i64;
        let it = intake(&w, &mut rng, created);
        // Older tickets are almost all finished; recent ones are spread over the queue.
        let age = now - it.created;
        let finish = rng.chance(if age > 14 * 86_400 {
            0.995
        } else if age > 3 * 86_400 {
            0.75
        } else {
            0.3
        });
        let mut story = tell(&w, &mut rng, &it, finish);
        let mut sla = story.clocks(&w, &it);
        let missed = |s: &Story, sla: &crate::core::sla::Sla| {
            s.is_open(&w) && sla.due.is_some_and(|d| d <= now)
        };
        // Too many late already: told again (a ticket worked differently), else finished.
        for finish in [false, false, true] {
            if !(missed(&story, &sla) && (breached + 1) * BREACHED_SHARE > open + 1) {
                break;
            }
            story = tell(&w, &mut rng, &it, finish);
            sla = story.clocks(&w, &it);
        }
        if story.is_open(&w) {
            open += 1;
            breached += i64::from(missed(&story, &sla));
        }
        out.ticket(tx, &w, &it, &story, &sla)?;
        progress(i + 1);
    }
    out.finish(tx, count, agents.len())
}

/// Writes tickets, their figures and their chained history, numbering them as intake does.
struct Writer<'t> {
    insert: crate::store::db::Statement<'t>,
    chain: super::chain::Appender,
    logins: HashMap<i64, String>,
    /// Each series: its last number, the algorithm of its check character and its template.
    sequences: HashMap<String, (i64, numbering::CheckAlgo, String)>,
    events: usize,
    /// On PostgreSQL, chained events not written yet (`EVENT_COLUMNS` values each): written
    /// `EVENTS_AT_ONCE` to a statement, one round trip for them all instead of one each.
    pending: Option<Vec<Value>>,
    /// The report's days the tickets make, summed and written once at the end.
    days: super::report::rollup::Pending,
}

/// The columns of an event's row, as the demo writes them.
const EVENT_COLUMNS: usize = 10;
/// Events to one INSERT on PostgreSQL (its parameters: well under the protocol's 65,535).
const EVENTS_AT_ONCE: usize = 500;

impl<'t> Writer<'t> {
    fn new(tx: &'t crate::store::db::Connection, cfg: &Config) -> Result<Writer<'t>> {
        let insert = tx.prepare(
            "INSERT INTO tickets (number, number_key, scope, seq, subject, body, requester, contact, channel,
                category, priority, status, is_open, outcome, reason, answer, assignee_id, group_code,
                created_at, created_by, updated_at, updated_by, first_response_at, resolved_at, closed_at,
                satisfaction, reassignments, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)
             RETURNING id",
        )?;
        // Every event is chained (see `super::chain`); the logins the chain names, by id.
        let chain = super::chain::Appender::new(tx)?;
        let logins: HashMap<i64, String> = tx
            .prepare("SELECT id, login FROM agents")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Writer {
            insert,
            chain,
            logins,
            sequences: HashMap::new(),
            events: 0,
            pending: tx.is_postgres().then(Vec::new),
            days: super::report::rollup::Pending::new(tx, cfg)?,
        })
    }

    fn ticket(
        &mut self,
        tx: &crate::store::db::Connection,
        w: &World<'_>,
        it: &Intake,
        s: &Story,
        sla: &crate::core::sla::Sla,
    ) -> Result<()> {
        let cfg = w.cfg;
        let template = cfg.template_for(&it.category);
        let parts = Parts {
            prefix: &cfg.prefix,
            date: local_date(it.created),
            cat: &it.category,
            group: it.group.as_deref().unwrap_or("GEN"),
        };
        let scope = template.scope(&parts);
        let series = self.sequences.entry(scope.clone()).or_insert_with(|| {
            (
                0,
                numbering::CheckAlgo::for_new_series(&scope, cfg.check),
                template.source().to_string(),
            )
        });
        series.0 += 1;
        let (seq, algo) = (series.0, series.1);
        let number = template.render(&parts, seq as u64, algo);
        let open = s.is_open(w);
        let reassignments = s.reassignments();
        let id: i64 = self.insert.query_row(
            params![
                number,
                numbering::normalize(&number),
                scope,
                seq,
                it.subject,
                it.body,
                it.requester,
                it.contact,
                it.channel.as_str(),
                it.category,
                it.priority.rank(),
                s.st.status,
                open,
                s.st.outcome.map(|o| o.as_str()),
                s.reason,
                s.answer,
                s.st.assignee.as_ref().map(|a| a.id),
                s.group,
                it.created,
                it.creator,
                s.t,
                s.evs.last().and_then(|e| e.actor),
                sla.first_response_at,
                s.resolved_at,
                s.closed_at,
                s.satisfaction,
                reassignments,
                1 + s.changes,
            ],
            |r| r.get(0),
        )?;
        super::requester::register(tx, id, None)?;
        let facts = super::sla::FactRow {
            is_open: open,
            reassignments,
            reason: s.reason.clone(),
            fact: super::report::rollup::Fact {
                created_at: it.created,
                resolved_at: s.resolved_at,
                category: it.category.clone(),
                group_code: s.group.clone(),
                assignee: s.st.assignee.as_ref().map(|a| a.login.clone()),
                channel: it.channel.as_str().to_string(),
                priority: it.priority.rank(),
                outcome: s.st.outcome.map(|o| o.as_str().to_string()),
                satisfaction: s.satisfaction,
                reassigned: s.owner_changes(),
                ..Default::default()
            },
        };
        super::sla::store_figures(tx, cfg, id, &facts, sla, &mut self.days)?;
        self.events_of(tx, id, &number, s)?;
        self.events += s.evs.len();
        Ok(())
    }

    /// A ticket's story's events, chained: appended one by one, or (PostgreSQL) kept to be
    /// written many to a statement.
    fn events_of(
        &mut self,
        tx: &crate::store::db::Connection,
        id: i64,
        number: &str,
        s: &Story,
    ) -> Result<()> {
        for e in &s.evs {
            let event = super::chain::NewEvent {
                ticket_id: id,
                ticket_number: number,
                at: e.at,
                actor: e
                    .actor
                    .and_then(|a| self.logins.get(&a).map(|l| (a, l.as_str()))),
                via: None,
                kind: e.kind.as_str(),
                from: e.from.as_deref(),
                to: e.to.as_deref(),
                text: e.text.as_deref(),
            };
            let Some(rows) = self.pending.as_mut() else {
                self.chain.append(tx, &event)?;
                continue;
            };
            let (event_id, hash) = self.chain.link(&event);
            let text = |t: Option<&str>| t.map_or(Value::Null, |t| Value::Text(t.to_string()));
            rows.extend([
                Value::Integer(event_id),
                Value::Integer(id),
                Value::Integer(e.at),
                event.actor.map_or(Value::Null, |a| Value::Integer(a.0)),
                Value::Null,
                Value::Text(event.kind.to_string()),
                text(event.from),
                text(event.to),
                text(event.text),
                Value::Blob(hash.to_vec()),
            ]);
            if rows.len() >= EVENTS_AT_ONCE * EVENT_COLUMNS {
                self.write_pending(tx)?;
            }
        }
        Ok(())
    }

    /// Writes the events chained and not written yet, in one statement, in their order.
    fn write_pending(&mut self, tx: &crate::store::db::Connection) -> Result<()> {
        let Some(rows) = self.pending.as_mut().filter(|r| !r.is_empty()) else {
            return Ok(());
        };
        let row = format!("({})", ["?"; EVENT_COLUMNS].join(", "));
        let sql = format!(
            "INSERT INTO events (id, ticket_id, at, actor_id, via_id, kind, from_value, to_value, text, hash) VALUES {}",
            vec![row; rows.len() / EVENT_COLUMNS].join(", ")
        );
        tx.execute(&sql, params_from_iter(rows.drain(..)))?;
        Ok(())
    }

    fn finish(
        mut self,
        tx: &crate::store::db::Connection,
        tickets: usize,
        agents: usize,
    ) -> Result<DemoSummary> {
        self.write_pending(tx)?;
        self.days.write(tx)?;
        let larger = match tx.dialect() {
            Dialect::Sqlite => "max",
            Dialect::Postgres => "greatest",
        };
        for (scope, (last, algo, template)) in &self.sequences {
            tx.execute(
                &format!(
                    "INSERT INTO sequences (scope, last, algo, template) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (scope) DO UPDATE SET last = {larger}(sequences.last, excluded.last)"
                ),
                params![scope, last, algo.as_str(), template],
            )?;
        }
        Ok(DemoSummary {
            tickets,
            events: self.events,
            agents,
        })
    }
}
