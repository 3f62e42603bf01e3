//! `desk demo`: a realistic desk — agents, groups, and tickets in every status with their
//! whole history — written in one transaction. Every step of every ticket is decided by the
//! same `core` rules as a real one: the generator walks the configured lifecycle, so the data
//! stays valid under any `desk.toml`.

use super::Store;
use super::tickets::{ensure_group, local_date};
use crate::core::config::Config;
use crate::core::lifecycle::{Fields, OutcomeChange, TicketState, TransitionDef, is_final};
use crate::core::model::{
    Actor, AgentRef, Channel, EventKind, Outcome, Priority, Role, StatusCategory,
};
use crate::core::numbering::{self, Parts};
use crate::error::{Error, Result};
use rusqlite::{OptionalExtension, params};
use serde::Deserialize;
use std::collections::HashMap;

pub const DEMO: &str = include_str!("../../assets/demo.toml");

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
        crate::core::rights::check(actor, crate::core::rights::Action::Demo, None)?;
        let data: DemoData = toml::from_str(DEMO)
            .map_err(|e| Error::Invalid(format!("demo data: {}", e.message())))?;
        let existing = self.ticket_count()?;
        if existing > 0 {
            return Err(Error::Invalid(format!(
                "this desk already has {existing} tickets; demo data goes only into an empty desk (use --db for a separate one)"
            )));
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
            let fts_trigger: Option<String> = tx
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'tickets_fts_insert'",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            if fts_trigger.is_some() {
                tx.execute_batch("DROP TRIGGER tickets_fts_insert")?;
            }
            let summary = generate(tx, cfg, &data, tickets, now)?;
            for (_, sql) in &indexes {
                tx.execute_batch(sql)?;
            }
            if let Some(sql) = fts_trigger {
                tx.execute_batch("INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild')")?;
                tx.execute_batch(&sql)?;
            }
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

fn generate(
    tx: &rusqlite::Transaction<'_>,
    cfg: &Config,
    data: &DemoData,
    count: usize,
    now: i64,
) -> Result<DemoSummary> {
    let mut rng = Rng(0x5EED_DE5C);
    let life = &cfg.lifecycle;
    for g in &cfg.groups {
        ensure_group(tx, cfg, &g.code)?;
    }
    let group_codes: Vec<String> = cfg.groups.iter().map(|g| g.code.clone()).collect();

    // Agents: the named ones, then enough extra operators for a large desk.
    let mut agents: Vec<Agent> = Vec::new();
    let mut add_agent = |login: &str,
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
                tx.execute(
                    "INSERT INTO agents (login, name, role, capacity, away, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![login, name, role.as_str(), cap, away, now],
                )?;
                tx.last_insert_rowid()
            }
        };
        let groups: Vec<String> = groups
            .iter()
            .filter(|g| group_codes.contains(g))
            .cloned()
            .collect();
        for g in &groups {
            tx.execute(
                "INSERT OR IGNORE INTO members (agent_id, group_code) VALUES (?1, ?2)",
                params![id, g],
            )?;
        }
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
        add_agent(&a.login, &a.name, a.role, &a.groups, a.capacity, a.away)?;
    }
    let extra = (count / 3000).saturating_sub(data.agent.len());
    for i in 0..extra {
        let first = rng.text(&data.first_names, "Agent");
        let last = rng.text(&data.last_names, "Demo");
        let group = rng
            .pick(&group_codes)
            .cloned()
            .into_iter()
            .collect::<Vec<_>>();
        add_agent(
            &format!("op{:04}", i + 1),
            &format!("{first} {last}"),
            Role::Operator,
            &group,
            40,
            false,
        )?;
    }
    let supervisors: Vec<Agent> = agents
        .iter()
        .filter(|a| a.r.role != Role::Operator)
        .cloned()
        .collect();
    let workers: Vec<Agent> = agents
        .iter()
        .filter(|a| a.r.role == Role::Operator)
        .cloned()
        .collect();
    // Who works in each group, as indices into `workers`, computed once.
    let all_workers: Vec<usize> = (0..workers.len()).collect();
    let mut by_group: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, w) in workers.iter().enumerate() {
        for g in &w.groups {
            by_group.entry(g.as_str()).or_default().push(i);
        }
    }
    let members_of = |g: &Option<String>| -> &[usize] {
        g.as_deref()
            .and_then(|g| by_group.get(g))
            .filter(|v| !v.is_empty())
            .map(Vec::as_slice)
            .unwrap_or(&all_workers)
    };
    let router = cfg.router();
    let supervisor = supervisors.first().map(|s| s.r.id);

    let span_days = (count as i64 / 40).clamp(30, 730);
    let start = now - span_days * 86_400;
    // Each series: its last number, the algorithm of its check character and its template.
    let mut sequences: HashMap<String, (i64, numbering::CheckAlgo, String)> = HashMap::new();
    let mut insert_ticket = tx.prepare(
        "INSERT INTO tickets (number, number_key, scope, seq, subject, body, requester, contact, channel,
            category, priority, status, is_open, outcome, reason, answer, assignee_id, group_code,
            created_at, created_by, updated_at, updated_by, first_response_at, resolved_at, closed_at,
            satisfaction, reassignments, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
            ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
    )?;
    // Every event is chained (see `super::chain`); the logins the chain names, by agent id.
    let mut chain = super::chain::Appender::new(tx)?;
    let logins: HashMap<i64, String> = tx
        .prepare("SELECT id, login FROM agents")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let channels = [
        Channel::Phone,
        Channel::Phone,
        Channel::Email,
        Channel::Web,
        Channel::Web,
        Channel::InPerson,
        Channel::Api,
    ];
    let initial = life.initial().to_string();
    let mut total_events = 0usize;

    for i in 0..count {
        // Tickets come in order, denser on weekdays' working hours.
        let mut created = start + ((now - start) as i128 * i as i128 / count.max(1) as i128) as i64;
        created += rng.below(600) as i64;
        let created = created.min(now);
        let cat = rng
            .pick(&cfg.categories)
            .map(|c| c.code.clone())
            .unwrap_or_else(|| cfg.default_category.clone());
        let requests = data.requests.get(&cat).or(data.requests.get("default"));
        let (subject, body) = requests
            .and_then(|r| rng.pick(r).cloned())
            .unwrap_or_else(|| ("Request".into(), String::new()));
        let routing = router.route(&subject, &body, Some(&cat), None);
        let priority = routing.priority.unwrap_or(match rng.below(20) {
            0 => Priority::Urgent,
            1..=3 => Priority::High,
            4..=6 => Priority::Low,
            _ => cfg.default_priority,
        });
        let (requester, contact) = rng.pick(&data.requesters).cloned().unwrap_or_default();
        let channel = *rng.pick(&channels).unwrap_or(&Channel::Phone);
        let creator = rng.pick(&workers).map(|a| a.r.id);
        let template = cfg.template_for(&routing.category);
        let parts = Parts {
            prefix: &cfg.prefix,
            date: local_date(created),
            cat: &routing.category,
            group: routing.group.as_deref().unwrap_or("GEN"),
        };
        let scope = template.scope(&parts);
        let series = sequences.entry(scope.clone()).or_insert_with(|| {
            (
                0,
                numbering::CheckAlgo::for_new_series(&scope, cfg.check),
                template.source().to_string(),
            )
        });
        series.0 += 1;
        let (seq, algo) = (series.0, series.1);
        let number = template.render(&parts, seq as u64, algo);

        // Older tickets are almost all finished; recent ones are spread over the queue.
        let age = now - created;
        let finish = rng.chance(if age > 14 * 86_400 {
            0.995
        } else if age > 3 * 86_400 {
            0.75
        } else {
            0.3
        });
        let mut st = TicketState {
            status: initial.clone(),
            assignee: None,
            outcome: None,
        };
        let mut reason: Option<String> = None;
        let mut answer: Option<String> = None;
        let mut group = routing.group.clone();
        let mut t = created;
        let mut evs: Vec<Ev> = vec![Ev {
            at: created,
            actor: creator,
            kind: EventKind::Created,
            from: None,
            to: Some(initial.clone()),
            text: Some(format!(
                "{}|{}|{}",
                channel.as_str(),
                routing.category,
                priority.as_str()
            )),
        }];
        let (mut resolved_at, mut closed_at, mut satisfaction) = (None, None, None);
        let mut changes = 0i64;
        let mut steps = 0;
        let max_steps = if finish { 14 } else { rng.below(4) };
        while steps < max_steps {
            steps += 1;
            let next = t + rng.delay();
            if next >= now {
                break;
            }
            let cat_now = life.category(&st.status).unwrap_or(StatusCategory::Active);
            // Attribution first: most tickets get an owner before anything else.
            if st.assignee.is_none()
                && cat_now != StatusCategory::Closed
                && !rng.chance(0.04)
                && let Some(a) = rng.pick(members_of(&group)).map(|&i| &workers[i])
            {
                t = next;
                st.assignee = Some(a.r.clone());
                evs.push(Ev {
                    at: t,
                    actor: Some(supervisor.unwrap_or(a.r.id)),
                    kind: EventKind::Assigned,
                    from: None,
                    to: Some(a.r.login.clone()),
                    text: None,
                });
                changes += 1;
                if let Some(tr) = life.on_assign(&st.status) {
                    evs.push(Ev {
                        at: t,
                        actor: Some(a.r.id),
                        kind: EventKind::Status,
                        from: Some(st.status.clone()),
                        to: Some(tr.to.clone()),
                        text: None,
                    });
                    st.status = tr.to.clone();
                }
                continue;
            }
            // Sometimes the ticket went to the wrong person: it bounces.
            if st.assignee.is_some() && cat_now.is_open() && rng.chance(0.06) {
                let pool = if rng.chance(0.5) {
                    members_of(&group)
                } else {
                    &all_workers
                };
                let current = st.assignee.as_ref().map(|a| a.id);
                if let Some(b) = rng
                    .pick(pool)
                    .map(|&i| &workers[i])
                    .filter(|b| Some(b.r.id) != current)
                {
                    t = next;
                    let from = st.assignee.replace(b.r.clone()).map(|a| a.login);
                    evs.push(Ev {
                        at: t,
                        actor: Some(supervisor.unwrap_or(b.r.id)),
                        kind: EventKind::Assigned,
                        from,
                        to: Some(b.r.login.clone()),
                        text: Some(
                            rng.text(&data.texts.reassign_reasons, "rebalancing")
                                .to_string(),
                        ),
                    });
                    if let Some(g) = b.groups.first().filter(|g| group.as_ref() != Some(*g)) {
                        evs.push(Ev {
                            at: t,
                            actor: supervisor,
                            kind: EventKind::Group,
                            from: group.clone(),
                            to: Some(g.clone()),
                            text: None,
                        });
                        group = Some(g.clone());
                    }
                    changes += 1;
                    continue;
                }
            }
            if rng.chance(0.12) {
                t = next;
                evs.push(Ev {
                    at: t,
                    actor: st.assignee.as_ref().map(|a| a.id),
                    kind: EventKind::Comment,
                    from: None,
                    to: None,
                    text: Some(rng.text(&data.texts.comments, "note").to_string()),
                });
                continue;
            }
            if cat_now == StatusCategory::Closed && !rng.chance(0.02) {
                break;
            }
            if cat_now == StatusCategory::Done && !finish {
                break;
            }
            // Choose a move the lifecycle offers, weighted towards an ending.
            let moves: Vec<&TransitionDef> = life.moves_from(&st.status);
            let weight = |m: &TransitionDef| -> usize {
                let to = life.category(&m.to).unwrap_or(StatusCategory::Active);
                let from_finished = cat_now.is_finished();
                match to {
                    _ if from_finished && to.is_open() => 1,
                    StatusCategory::Done | StatusCategory::Closed if !finish => 0,
                    StatusCategory::Done => 30,
                    StatusCategory::Closed => 60,
                    StatusCategory::Waiting => 6,
                    StatusCategory::Initial => 1,
                    StatusCategory::Active => 12,
                }
            };
            let total: usize = moves.iter().map(|m| weight(m)).sum();
            if total == 0 {
                break;
            }
            let mut roll = rng.below(total);
            let Some(mv) = moves.iter().find(|m| {
                let w = weight(m);
                if roll < w {
                    true
                } else {
                    roll -= w;
                    false
                }
            }) else {
                break;
            };
            let target = life.status(&mv.to);
            let outcome = target.and_then(|s| rng.pick(&s.outcomes).copied());
            let note = match outcome {
                Some(Outcome::Refused) => {
                    Some(rng.text(&data.texts.refusals, "refused").to_string())
                }
                Some(Outcome::Invalid) => {
                    Some(rng.text(&data.texts.invalid, "invalid").to_string())
                }
                Some(Outcome::Partial) => {
                    Some(rng.text(&data.texts.next_steps, "next steps").to_string())
                }
                Some(Outcome::Clarification) => {
                    Some(rng.text(&data.texts.questions, "question").to_string())
                }
                Some(Outcome::Granted) => None,
                None if cat_now.is_finished() => {
                    Some(rng.text(&data.texts.reopen_reasons, "reopened").to_string())
                }
                None => Some(rng.text(&data.texts.rework_reasons, "rework").to_string()),
            };
            let with_answer = outcome.is_some_and(is_final) && rng.chance(0.7);
            let fields = Fields {
                outcome,
                reason: note,
                answer: with_answer.then(|| rng.text(&data.texts.answers, "answer").to_string()),
            };
            let owner = st.assignee.clone();
            let actor = owner
                .clone()
                .filter(|o| mv.roles.is_empty() || mv.roles.contains(&o.role))
                .or_else(|| supervisors.first().map(|s| s.r.clone()));
            let Some(actor) = actor else { break };
            let Ok(tr) = life.check(&st, &mv.to, &Actor::new(actor.clone()), &fields) else {
                break;
            };
            t = next;
            changes += 1;
            evs.push(Ev {
                at: t,
                actor: Some(actor.id),
                kind: EventKind::Status,
                from: Some(tr.from.clone()),
                to: Some(tr.to.clone()),
                text: tr.reason.clone(),
            });
            match &tr.outcome {
                OutcomeChange::Set(o, n) => {
                    evs.push(Ev {
                        at: t,
                        actor: Some(actor.id),
                        kind: EventKind::Outcome,
                        from: st.outcome.map(|x| x.as_str().to_string()),
                        to: Some(o.as_str().to_string()),
                        text: n.clone(),
                    });
                    st.outcome = Some(*o);
                    reason = n.clone();
                }
                OutcomeChange::Clear => {
                    if st.outcome.is_some() {
                        evs.push(Ev {
                            at: t,
                            actor: Some(actor.id),
                            kind: EventKind::Outcome,
                            from: st.outcome.map(|x| x.as_str().to_string()),
                            to: None,
                            text: None,
                        });
                    }
                    st.outcome = None;
                    reason = None;
                    answer = None;
                    resolved_at = None;
                    closed_at = None;
                    satisfaction = None;
                }
                OutcomeChange::Keep => {}
            }
            if let Some(a) = &tr.answer {
                evs.push(Ev {
                    at: t,
                    actor: Some(actor.id),
                    kind: EventKind::Reply,
                    from: None,
                    to: None,
                    text: Some(a.clone()),
                });
                answer = Some(a.clone());
            }
            match tr.to_category {
                StatusCategory::Done => resolved_at = Some(t),
                StatusCategory::Closed => {
                    closed_at = Some(t);
                    if rng.chance(0.55) {
                        let score = [1, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5][rng.below(14)];
                        satisfaction = Some(score);
                        evs.push(Ev {
                            at: t,
                            actor: Some(actor.id),
                            kind: EventKind::Rated,
                            from: None,
                            to: Some(score.to_string()),
                            text: None,
                        });
                        changes += 1;
                    }
                }
                _ => {}
            }
            st.status = tr.to;
        }
        let open = life.category(&st.status).is_none_or(|c| c.is_open());
        let updated_by = evs.last().and_then(|e| e.actor);
        // The same clocks a real ticket gets, from the history just generated.
        let clock_events: Vec<crate::core::sla::ClockEvent> = evs
            .iter()
            .map(|e| crate::core::sla::ClockEvent {
                at: e.at,
                kind: e.kind,
                from: e.from.clone(),
                to: e.to.clone(),
                by_agent: e.actor.is_some(),
                undo: false,
            })
            .collect();
        let sla = super::sla::compute_for(cfg, &clock_events, priority, &routing.category, now);
        let reassignments = crate::core::sla::reassignments(&clock_events);
        insert_ticket.execute(params![
            number,
            numbering::normalize(&number),
            scope,
            seq,
            subject,
            body,
            requester,
            contact,
            channel.as_str(),
            routing.category,
            priority.rank(),
            st.status,
            open,
            st.outcome.map(|o| o.as_str()),
            reason,
            answer,
            st.assignee.as_ref().map(|a| a.id),
            group,
            created,
            creator,
            t,
            updated_by,
            sla.first_response_at,
            resolved_at,
            closed_at,
            satisfaction,
            reassignments,
            1 + changes,
        ])?;
        let id = tx.last_insert_rowid();
        super::sla::store_figures(
            tx,
            id,
            &super::sla::FactRow {
                is_open: open,
                created_at: created,
                resolved_at,
                category: routing.category.clone(),
                group_code: group.clone(),
                assignee: st.assignee.as_ref().map(|a| a.login.clone()),
                channel: channel.as_str().to_string(),
                priority: priority.rank(),
                outcome: st.outcome.map(|o| o.as_str().to_string()),
                reason: reason.clone(),
                satisfaction,
                reassignments,
            },
            &sla,
        )?;
        for e in &evs {
            chain.append(
                tx,
                &super::chain::NewEvent {
                    ticket_id: id,
                    ticket_number: &number,
                    at: e.at,
                    actor: e
                        .actor
                        .and_then(|a| logins.get(&a).map(|l| (a, l.as_str()))),
                    via: None,
                    kind: e.kind.as_str(),
                    from: e.from.as_deref(),
                    to: e.to.as_deref(),
                    text: e.text.as_deref(),
                },
            )?;
        }
        total_events += evs.len();
    }
    for (scope, (last, algo, template)) in &sequences {
        tx.execute(
            "INSERT INTO sequences (scope, last, algo, template) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (scope) DO UPDATE SET last = max(last, excluded.last)",
            params![scope, last, algo.as_str(), template],
        )?;
    }
    Ok(DemoSummary {
        tickets: count,
        events: total_events,
        agents: agents.len(),
    })
}
