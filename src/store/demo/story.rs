//! A demo ticket's story, told by the same core rules as a real one: who takes it, the notes,
//! the moves the lifecycle offers (towards an ending when the story has one), outcomes,
//! answers and ratings.

use super::{Agent, DemoData, Ev, Rng};
use crate::core::config::Config;
use crate::core::lifecycle::{Fields, OutcomeChange, TicketState, TransitionDef, is_final};
use crate::core::model::{Actor, Channel, EventKind, Outcome, Priority, Role, StatusCategory};
use std::collections::HashMap;

/// What every ticket's story is drawn from: the configuration, the texts, the staff.
pub(super) struct World<'a> {
    pub(super) cfg: &'a Config,
    pub(super) data: &'a DemoData,
    pub(super) workers: Vec<Agent>,
    pub(super) supervisors: Vec<Agent>,
    /// Who works in each group, as indices into `workers`.
    pub(super) by_group: HashMap<String, Vec<usize>>,
    pub(super) all_workers: Vec<usize>,
    pub(super) now: i64,
}

impl World<'_> {
    fn members_of(&self, g: &Option<String>) -> &[usize] {
        g.as_deref()
            .and_then(|g| self.by_group.get(g))
            .filter(|v| !v.is_empty())
            .map(Vec::as_slice)
            .unwrap_or(&self.all_workers)
    }

    fn supervisor(&self) -> Option<i64> {
        self.supervisors.first().map(|s| s.r.id)
    }
}

/// A ticket as it came in.
pub(super) struct Intake {
    pub(super) created: i64,
    pub(super) creator: Option<i64>,
    pub(super) channel: Channel,
    pub(super) category: String,
    pub(super) priority: Priority,
    pub(super) group: Option<String>,
    pub(super) subject: String,
    pub(super) body: String,
    pub(super) requester: String,
    pub(super) contact: String,
}

/// One ticket's story: its history, and where it stands at the end.
pub(super) struct Story {
    pub(super) evs: Vec<Ev>,
    pub(super) st: TicketState,
    pub(super) reason: Option<String>,
    pub(super) answer: Option<String>,
    pub(super) group: Option<String>,
    /// When it last changed.
    pub(super) t: i64,
    pub(super) resolved_at: Option<i64>,
    pub(super) closed_at: Option<i64>,
    pub(super) satisfaction: Option<i64>,
    pub(super) changes: i64,
}

/// Whether a story goes on after a step.
pub(super) enum Flow {
    Next,
    Stop,
}

impl Story {
    fn new(w: &World<'_>, i: &Intake) -> Story {
        let initial = w.cfg.lifecycle.initial().to_string();
        Story {
            evs: vec![Ev {
                at: i.created,
                actor: i.creator,
                kind: EventKind::Created,
                from: None,
                to: Some(initial.clone()),
                text: Some(crate::core::chain::created_text(
                    i.channel.as_str(),
                    &i.category,
                    i.priority.as_str(),
                    &crate::core::chain::Request {
                        subject: &i.subject,
                        body: &i.body,
                        requester: &i.requester,
                        contact: &i.contact,
                    },
                )),
            }],
            st: TicketState {
                status: initial,
                assignee: None,
                outcome: None,
            },
            reason: None,
            answer: None,
            group: i.group.clone(),
            t: i.created,
            resolved_at: None,
            closed_at: None,
            satisfaction: None,
            changes: 0,
        }
    }

    fn push(
        &mut self,
        at: i64,
        actor: Option<i64>,
        kind: EventKind,
        from: Option<String>,
        to: Option<String>,
        text: Option<String>,
    ) {
        self.evs.push(Ev {
            at,
            actor,
            kind,
            from,
            to,
            text,
        });
    }

    pub(super) fn is_open(&self, w: &World<'_>) -> bool {
        w.cfg
            .lifecycle
            .category(&self.st.status)
            .is_none_or(|c| c.is_open())
    }

    /// The history as the clocks read it.
    fn clock_events(&self) -> Vec<crate::core::sla::ClockEvent> {
        self.evs
            .iter()
            .map(|e| crate::core::sla::ClockEvent {
                at: e.at,
                kind: e.kind,
                from: e.from.clone(),
                to: e.to.clone(),
                by_agent: e.actor.is_some(),
                undo: false,
            })
            .collect()
    }

    /// The clocks a real ticket with this history would have at `now`.
    pub(super) fn clocks(&self, w: &World<'_>, i: &Intake) -> crate::core::sla::Sla {
        crate::store::sla::compute_for(w.cfg, &self.clock_events(), i.priority, &i.category, w.now)
    }

    /// Owner changes from one agent to another (core's one definition).
    pub(super) fn reassignments(&self) -> i64 {
        crate::core::sla::reassignments(&self.clock_events())
    }

    /// Its owner changes as its row of facts keeps them.
    pub(super) fn owner_changes(&self) -> Option<String> {
        crate::store::sla::owner_changes(&self.clock_events())
    }
}

/// Tells a ticket's story from its registration: owners, notes, moves the lifecycle allows,
/// up to an ending when `finish`.
pub(super) fn tell(w: &World<'_>, rng: &mut Rng, i: &Intake, finish: bool) -> Story {
    let mut s = Story::new(w, i);
    let max_steps = if finish { 14 } else { rng.below(4) };
    for _ in 0..max_steps {
        let next = s.t + rng.delay();
        if next >= w.now {
            break;
        }
        if let Flow::Stop = step(w, rng, &mut s, next, finish) {
            break;
        }
    }
    s
}

fn step(w: &World<'_>, rng: &mut Rng, s: &mut Story, next: i64, finish: bool) -> Flow {
    let cat_now = w
        .cfg
        .lifecycle
        .category(&s.st.status)
        .unwrap_or(StatusCategory::Active);
    if attribute(w, rng, s, next, cat_now) || bounce(w, rng, s, next, cat_now) {
        return Flow::Next;
    }
    if rng.chance(0.12) {
        let note = rng.text(&w.data.texts.comments, "note").to_string();
        let by = s.st.assignee.as_ref().map(|a| a.id);
        s.t = next;
        s.push(next, by, EventKind::Comment, None, None, Some(note));
        return Flow::Next;
    }
    if cat_now == StatusCategory::Closed && !rng.chance(0.02) {
        return Flow::Stop;
    }
    if cat_now == StatusCategory::Done && !finish {
        return Flow::Stop;
    }
    advance(w, rng, s, next, cat_now, finish)
}

/// Most tickets get an owner before anything else.
fn attribute(
    w: &World<'_>,
    rng: &mut Rng,
    s: &mut Story,
    next: i64,
    cat_now: StatusCategory,
) -> bool {
    if s.st.assignee.is_some() || cat_now == StatusCategory::Closed || rng.chance(0.04) {
        return false;
    }
    let Some(a) = rng.pick(w.members_of(&s.group)).map(|&i| &w.workers[i]) else {
        return false;
    };
    s.t = next;
    s.st.assignee = Some(a.r.clone());
    let by = Some(w.supervisor().unwrap_or(a.r.id));
    s.push(
        next,
        by,
        EventKind::Assigned,
        None,
        Some(a.r.login.clone()),
        None,
    );
    s.changes += 1;
    if let Some(tr) = w.cfg.lifecycle.on_assign(&s.st.status) {
        let from = Some(s.st.status.clone());
        s.push(
            next,
            Some(a.r.id),
            EventKind::Status,
            from,
            Some(tr.to.clone()),
            None,
        );
        s.st.status = tr.to.clone();
    }
    true
}

/// Sometimes the ticket went to the wrong person: it bounces, into their group.
fn bounce(w: &World<'_>, rng: &mut Rng, s: &mut Story, next: i64, cat_now: StatusCategory) -> bool {
    if s.st.assignee.is_none() || !cat_now.is_open() || !rng.chance(0.06) {
        return false;
    }
    let pool = if rng.chance(0.5) {
        w.members_of(&s.group)
    } else {
        &w.all_workers
    };
    let current = s.st.assignee.as_ref().map(|a| a.id);
    let Some(b) = rng
        .pick(pool)
        .map(|&i| &w.workers[i])
        .filter(|b| Some(b.r.id) != current)
    else {
        return false;
    };
    s.t = next;
    let from = s.st.assignee.replace(b.r.clone()).map(|a| a.login);
    let why = rng
        .text(&w.data.texts.reassign_reasons, "rebalancing")
        .to_string();
    let by = Some(w.supervisor().unwrap_or(b.r.id));
    s.push(
        next,
        by,
        EventKind::Assigned,
        from,
        Some(b.r.login.clone()),
        Some(why),
    );
    if let Some(g) = b.groups.first().filter(|g| s.group.as_ref() != Some(*g)) {
        let from = s.group.clone();
        s.push(
            next,
            w.supervisor(),
            EventKind::Group,
            from,
            Some(g.clone()),
            None,
        );
        s.group = Some(g.clone());
    }
    s.changes += 1;
    true
}

/// A move the lifecycle offers, weighted towards an ending when the story has one.
fn choose_move<'a>(
    w: &'a World<'_>,
    rng: &mut Rng,
    s: &Story,
    cat_now: StatusCategory,
    finish: bool,
) -> Option<&'a TransitionDef> {
    let life = &w.cfg.lifecycle;
    let moves: Vec<&TransitionDef> = life.moves_from(&s.st.status);
    let weight = |m: &TransitionDef| -> usize {
        let to = life.category(&m.to).unwrap_or(StatusCategory::Active);
        match to {
            _ if cat_now.is_finished() && to.is_open() => 1,
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
        return None;
    }
    let mut roll = rng.below(total);
    moves.into_iter().find(|m| {
        let wt = weight(m);
        if roll < wt {
            true
        } else {
            roll -= wt;
            false
        }
    })
}

/// The note a move carries: the outcome's, or why the ticket was reopened or sent back.
fn note_for(
    w: &World<'_>,
    rng: &mut Rng,
    outcome: Option<Outcome>,
    cat_now: StatusCategory,
) -> Option<String> {
    let t = &w.data.texts;
    let text = match outcome {
        Some(Outcome::Refused) => rng.text(&t.refusals, "refused"),
        Some(Outcome::Invalid) => rng.text(&t.invalid, "invalid"),
        Some(Outcome::Partial) => rng.text(&t.next_steps, "next steps"),
        Some(Outcome::Clarification) => rng.text(&t.questions, "question"),
        Some(Outcome::Granted) => return None,
        None if cat_now.is_finished() => rng.text(&t.reopen_reasons, "reopened"),
        None => rng.text(&t.rework_reasons, "rework"),
    };
    Some(text.to_string())
}

/// A status change, as core allows it, with its outcome, answer and rating.
fn advance(
    w: &World<'_>,
    rng: &mut Rng,
    s: &mut Story,
    next: i64,
    cat_now: StatusCategory,
    finish: bool,
) -> Flow {
    let life = &w.cfg.lifecycle;
    let Some(mv) = choose_move(w, rng, s, cat_now, finish) else {
        return Flow::Stop;
    };
    let outcome = life
        .status(&mv.to)
        .and_then(|st| rng.pick(&st.outcomes).copied());
    let note = note_for(w, rng, outcome, cat_now);
    let with_answer = outcome.is_some_and(is_final) && rng.chance(0.7);
    let fields = Fields {
        outcome,
        reason: note,
        answer: with_answer.then(|| rng.text(&w.data.texts.answers, "answer").to_string()),
    };
    let actor =
        s.st.assignee
            .clone()
            .filter(|o| mv.roles.is_empty() || mv.roles.contains(&o.role))
            .or_else(|| w.supervisors.first().map(|x| x.r.clone()));
    let Some(actor) = actor else {
        return Flow::Stop;
    };
    let Ok(tr) = life.check(&s.st, &mv.to, &Actor::new(actor.clone()), &fields) else {
        return Flow::Stop;
    };
    s.t = next;
    s.changes += 1;
    let by = Some(actor.id);
    s.push(
        next,
        by,
        EventKind::Status,
        Some(tr.from.clone()),
        Some(tr.to.clone()),
        tr.reason.clone(),
    );
    record_outcome(s, next, by, &tr.outcome);
    if let Some(a) = &tr.answer {
        s.push(next, by, EventKind::Reply, None, None, Some(a.clone()));
        s.answer = Some(a.clone());
    }
    match tr.to_category {
        StatusCategory::Done => s.resolved_at = Some(next),
        StatusCategory::Closed => {
            s.closed_at = Some(next);
            if rng.chance(0.55) {
                let score = [1, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5][rng.below(14)];
                s.satisfaction = Some(score);
                s.push(
                    next,
                    by,
                    EventKind::Rated,
                    None,
                    Some(score.to_string()),
                    None,
                );
                s.changes += 1;
            }
        }
        _ => {}
    }
    s.st.status = tr.to;
    Flow::Next
}

fn record_outcome(s: &mut Story, at: i64, by: Option<i64>, change: &OutcomeChange) {
    let was = s.st.outcome.map(|x| x.as_str().to_string());
    match change {
        OutcomeChange::Set(o, n) => {
            s.push(
                at,
                by,
                EventKind::Outcome,
                was,
                Some(o.as_str().to_string()),
                n.clone(),
            );
            s.st.outcome = Some(*o);
            s.reason = n.clone();
        }
        OutcomeChange::Clear => {
            if s.st.outcome.is_some() {
                s.push(at, by, EventKind::Outcome, was, None, None);
            }
            s.st.outcome = None;
            s.reason = None;
            s.answer = None;
            s.resolved_at = None;
            s.closed_at = None;
            s.satisfaction = None;
        }
        OutcomeChange::Keep => {}
    }
}

pub(super) fn world<'a>(
    cfg: &'a Config,
    data: &'a DemoData,
    agents: &[Agent],
    now: i64,
) -> World<'a> {
    let (supervisors, workers): (Vec<Agent>, Vec<Agent>) = agents
        .iter()
        .cloned()
        .partition(|a| a.r.role != Role::Operator);
    let mut by_group: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, w) in workers.iter().enumerate() {
        for g in &w.groups {
            by_group.entry(g.clone()).or_default().push(i);
        }
    }
    World {
        cfg,
        data,
        all_workers: (0..workers.len()).collect(),
        workers,
        supervisors,
        by_group,
        now,
    }
}

/// The next request, registered at `created` (plus up to ten minutes).
pub(super) fn intake(w: &World<'_>, rng: &mut Rng, created: i64) -> Intake {
    const CHANNELS: [Channel; 7] = [
        Channel::Phone,
        Channel::Phone,
        Channel::Email,
        Channel::Web,
        Channel::Web,
        Channel::InPerson,
        Channel::Api,
    ];
    let cfg = w.cfg;
    let created = (created + rng.below(600) as i64).min(w.now);
    let cat = rng
        .pick(&cfg.categories)
        .map(|c| c.code.clone())
        .unwrap_or_else(|| cfg.default_category.clone());
    let requests = w.data.requests.get(&cat).or(w.data.requests.get("default"));
    let (subject, body) = requests
        .and_then(|r| rng.pick(r).cloned())
        .unwrap_or_else(|| ("Request".into(), String::new()));
    let routing = cfg.router().route(&subject, &body, Some(&cat), None);
    let roll = rng.below(20);
    let priority = routing.priority.unwrap_or(match roll {
        0 => Priority::Urgent,
        1..=3 => Priority::High,
        4..=6 => Priority::Low,
        _ => cfg.default_priority,
    });
    let (requester, contact) = rng.pick(&w.data.requesters).cloned().unwrap_or_default();
    let channel = *rng.pick(&CHANNELS).unwrap_or(&Channel::Phone);
    let creator = rng.pick(&w.workers).map(|a| a.r.id);
    Intake {
        created,
        creator,
        channel,
        category: routing.category,
        priority,
        group: routing.group,
        subject,
        body,
        requester,
        contact,
    }
}
