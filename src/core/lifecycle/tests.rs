//! Tests of `lifecycle`.

use super::*;
use crate::core::config::Config;
use proptest::prelude::*;

fn life() -> Lifecycle {
    Config::builtin().expect("built-in config").lifecycle
}

fn agent(id: i64, role: Role) -> AgentRef {
    AgentRef {
        id,
        login: format!("agent{id}"),
        role,
    }
}

fn ticket(status: &str, assignee: Option<AgentRef>) -> TicketState {
    TicketState {
        status: status.into(),
        assignee,
        outcome: None,
    }
}

fn op() -> Actor {
    Actor::new(agent(1, Role::Operator))
}

fn with(outcome: Option<Outcome>, reason: Option<&str>) -> Fields {
    Fields {
        outcome,
        reason: reason.map(str::to_string),
        answer: None,
    }
}

#[test]
fn statuses_in_use_must_stay_declared() {
    let in_use = vec![("new".to_string(), 3), ("archived".to_string(), 2)];
    assert_eq!(
        life().undeclared(&in_use),
        vec![("archived".to_string(), 2)]
    );
    assert!(life().undeclared(&in_use[..1]).is_empty());
}

#[test]
fn a_requester_answer_resumes_only_a_waiting_ticket() {
    let l = life();
    let mut waiting = ticket("waiting_info", Some(agent(1, Role::Operator)));
    waiting.outcome = Some(Outcome::Clarification);
    let tr = l
        .resume(&waiting, Some("in_progress"), "answered")
        .expect("resumes");
    assert_eq!(
        (tr.from.as_str(), tr.to.as_str()),
        ("waiting_info", "in_progress")
    );
    // The same as an operator's move back: the question leaves the ticket for its history.
    let by_hand = l
        .check(
            &waiting,
            "in_progress",
            &Actor::new(agent(1, Role::Operator)),
            &Fields::default(),
        )
        .expect("allowed");
    assert_eq!(tr.outcome, by_hand.outcome);
    assert_eq!(tr.reason.as_deref(), Some("answered"));
    // Where it came from is preferred, else the first way back to work.
    let tr = l.resume(&waiting, Some("nowhere"), "x").expect("resumes");
    assert_eq!(tr.to, "in_progress");
    for status in ["new", "in_progress", "resolved", "closed"] {
        assert!(
            l.resume(&ticket(status, None), None, "x").is_none(),
            "{status}"
        );
    }
}

#[test]
fn the_default_lifecycle_mirrors_the_seeds() {
    let l = life();
    assert_eq!(l.initial(), "new");
    let targets =
        |from: &str| -> Vec<String> { l.moves_from(from).iter().map(|t| t.to.clone()).collect() };
    assert_eq!(targets("new"), vec!["rejected"]);
    assert_eq!(
        l.on_assign("new").map(|t| t.to.as_str()),
        Some("attributed")
    );
    assert_eq!(targets("attributed"), vec!["in_progress"]);
    let mut ip = targets("in_progress");
    ip.sort();
    assert_eq!(
        ip,
        vec![
            "in_execution",
            "on_review",
            "rejected",
            "resolved",
            "waiting_info"
        ]
    );
    assert_eq!(targets("waiting_info"), vec!["in_progress"]);
    assert_eq!(targets("in_execution"), vec!["resolved"]);
    let mut review = targets("on_review");
    review.sort();
    assert_eq!(review, vec!["in_progress", "rejected", "resolved"]);
    for done in ["resolved", "rejected"] {
        let mut t = targets(done);
        t.sort();
        assert_eq!(t, vec!["closed", "in_progress"]);
    }
    assert_eq!(targets("closed"), vec!["in_progress"]);
}

#[test]
fn a_done_status_needs_an_outcome() {
    let l = life();
    let mine = ticket("in_progress", Some(agent(1, Role::Operator)));
    assert!(matches!(
        l.check(&mine, "resolved", &op(), &Fields::default()),
        Err(Refusal::OutcomeRequired { .. })
    ));
    assert!(matches!(
        l.check(
            &mine,
            "resolved",
            &op(),
            &with(Some(Outcome::Refused), Some("x"))
        ),
        Err(Refusal::OutcomeNotAllowed { .. })
    ));
    let ok = l
        .check(
            &mine,
            "resolved",
            &op(),
            &with(Some(Outcome::Granted), None),
        )
        .expect("granted is enough");
    assert_eq!(ok.outcome, OutcomeChange::Set(Outcome::Granted, None));
    assert_eq!(ok.to_category, StatusCategory::Done);
}

#[test]
fn outcomes_require_their_notes() {
    let l = life();
    let mine = ticket("in_progress", Some(agent(1, Role::Operator)));
    for (to, outcome) in [
        ("rejected", Outcome::Refused),
        ("rejected", Outcome::Invalid),
        ("resolved", Outcome::Partial),
    ] {
        assert!(
            matches!(
                l.check(&mine, to, &op(), &with(Some(outcome), Some("   "))),
                Err(Refusal::NoteRequired { .. })
            ),
            "{outcome} without note"
        );
        let t = l
            .check(&mine, to, &op(), &with(Some(outcome), Some("because")))
            .expect("with note");
        assert_eq!(
            t.outcome,
            OutcomeChange::Set(outcome, Some("because".into()))
        );
    }
}

#[test]
fn asking_for_information_records_a_clarification_and_its_question() {
    let l = life();
    let mine = ticket("in_progress", Some(agent(1, Role::Operator)));
    match l.check(&mine, "waiting_info", &op(), &Fields::default()) {
        Err(Refusal::NoteRequired { outcome, note }) => {
            assert_eq!(outcome, Outcome::Clarification);
            assert_eq!(note, crate::core::model::OutcomeNote::Question);
        }
        other => panic!("expected a question to be required, got {other:?}"),
    }
    let t = l
        .check(
            &mine,
            "waiting_info",
            &op(),
            &with(None, Some("Which flat?")),
        )
        .expect("question given");
    assert_eq!(
        t.outcome,
        OutcomeChange::Set(Outcome::Clarification, Some("Which flat?".into()))
    );
}

#[test]
fn reopen_needs_a_reason_and_clears_the_outcome() {
    let l = life();
    let mut done = ticket("resolved", Some(agent(1, Role::Operator)));
    done.outcome = Some(Outcome::Granted);
    assert!(matches!(
        l.check(&done, "in_progress", &op(), &Fields::default()),
        Err(Refusal::FieldRequired {
            field: "reason",
            ..
        })
    ));
    let t = l
        .check(
            &done,
            "in_progress",
            &op(),
            &with(None, Some("requester called back")),
        )
        .expect("reopen");
    assert_eq!(t.outcome, OutcomeChange::Clear);
    assert_eq!(t.reason.as_deref(), Some("requester called back"));
}

#[test]
fn review_decisions_belong_to_supervisors() {
    let l = life();
    let t = ticket("on_review", Some(agent(1, Role::Operator)));
    match l.check(&t, "resolved", &op(), &with(Some(Outcome::Granted), None)) {
        Err(Refusal::RoleNeeded { needed, .. }) => {
            assert_eq!(needed, vec![Role::Supervisor, Role::Admin])
        }
        other => panic!("expected RoleNeeded, got {other:?}"),
    }
    let sup = Actor::new(agent(2, Role::Supervisor));
    assert!(
        l.check(&t, "resolved", &sup, &with(Some(Outcome::Granted), None))
            .is_ok()
    );
    assert!(l.offered(&t, &op()).is_empty());
    assert_eq!(l.offered(&t, &sup).len(), 3);
}

#[test]
fn operators_may_not_move_another_agents_ticket() {
    let l = life();
    let theirs = ticket("in_progress", Some(agent(9, Role::Operator)));
    assert_eq!(
        l.check(
            &theirs,
            "resolved",
            &op(),
            &with(Some(Outcome::Granted), None)
        ),
        Err(Refusal::NotYours {
            owner: "agent9".into()
        })
    );
    assert!(l.offered(&theirs, &op()).is_empty());
}

#[test]
fn attributed_is_reached_by_assignment_not_by_a_move() {
    let l = life();
    assert_eq!(
        l.check(
            &ticket("new", None),
            "attributed",
            &op(),
            &Fields::default()
        ),
        Err(Refusal::ByAssignment {
            to: "attributed".into()
        })
    );
    match l.check(&ticket("new", None), "closed", &op(), &Fields::default()) {
        Err(Refusal::NoTransition { allowed, .. }) => assert_eq!(allowed, vec!["rejected"]),
        other => panic!("expected NoTransition, got {other:?}"),
    }
    assert!(matches!(
        l.check(&ticket("new", None), "nonsense", &op(), &Fields::default()),
        Err(Refusal::UnknownStatus { .. })
    ));
    assert!(matches!(
        l.check(&ticket("new", None), "new", &op(), &Fields::default()),
        Err(Refusal::AlreadyInStatus { .. })
    ));
}

#[test]
fn outcome_on_a_status_that_takes_none_is_refused() {
    let l = life();
    let mine = ticket("attributed", Some(agent(1, Role::Operator)));
    assert!(matches!(
        l.check(
            &mine,
            "in_progress",
            &op(),
            &with(Some(Outcome::Granted), None)
        ),
        Err(Refusal::OutcomeNotAllowed { .. })
    ));
}

#[derive(Debug, Clone)]
enum Step {
    Move(usize, Option<Outcome>, bool),
    Claim(bool),
    Give(i64, bool),
    Unassign(bool),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (
            0usize..16,
            prop::option::of(prop::sample::select(Outcome::ALL.to_vec())),
            any::<bool>()
        )
            .prop_map(|(t, o, r)| Step::Move(t, o, r)),
        any::<bool>().prop_map(Step::Claim),
        (1i64..4, any::<bool>()).prop_map(|(a, r)| Step::Give(a, r)),
        any::<bool>().prop_map(Step::Unassign),
    ]
}

proptest! {
    /// Random action sequences by random actors, through the real attribution and lifecycle
    /// rules: never a done or closed status without a final outcome, never an undeclared
    /// transition, never an operator moving or re-attributing another's ticket, never a
    /// reassignment without a reason.
    #[test]
    fn random_actions_keep_the_invariants(
        steps in prop::collection::vec((step(), 1i64..4), 1..60)
    ) {
        let l = life();
        let roles = [Role::Operator, Role::Operator, Role::Supervisor];
        let agents: Vec<AgentRef> = (1..4).map(|i| agent(i, roles[(i - 1) as usize])).collect();
        let mut t = ticket("new", None);
        let ids: Vec<String> = l.statuses().iter().map(|s| s.id.clone()).collect();
        for (step, who) in steps {
            let actor = Actor::new(agents[(who - 1) as usize].clone());
            match step {
                Step::Move(target, outcome, with_reason) => {
                    let to = &ids[target % ids.len()];
                    let fields = Fields { outcome, reason: with_reason.then(|| "r".to_string()), answer: None };
                    let before = t.clone();
                    if let Ok(tr) = l.check(&t, to, &actor, &fields) {
                        prop_assert!(l.moves_from(&before.status).iter().any(|d| &d.to == to),
                            "undeclared {} -> {}", before.status, to);
                        if actor.role() == Role::Operator {
                            prop_assert!(before.assignee.as_ref().is_none_or(|a| a.id == actor.id()),
                                "operator moved another's ticket");
                        }
                        t.status = tr.to.clone();
                        match tr.outcome {
                            OutcomeChange::Set(o, _) => t.outcome = Some(o),
                            OutcomeChange::Clear => t.outcome = None,
                            OutcomeChange::Keep => {}
                        }
                    }
                }
                Step::Claim(_) | Step::Give(..) | Step::Unassign(_) => {
                    use crate::core::attribution::{self, Candidate};
                    let cand = |a: &AgentRef| Candidate {
                        agent: a.clone(), active: true, away: false, load: 0, capacity: 10,
                        last_assigned_at: None,
                    };
                    let reason = |r: bool| r.then_some("because");
                    let result = match &step {
                        Step::Claim(r) => attribution::claim(&l, &t, &actor, &cand(&actor.agent), reason(*r)),
                        Step::Give(to, r) => attribution::give(&l, &t, &actor, &cand(&agents[(*to - 1) as usize]), reason(*r)),
                        Step::Unassign(r) => attribution::unassign(&l, &t, &actor, reason(*r)),
                        Step::Move(..) => unreachable!("handled above"),
                    };
                    if let Ok(a) = result {
                        if actor.role() == Role::Operator {
                            prop_assert!(t.assignee.as_ref().is_none_or(|o| o.id == actor.id()),
                                "operator re-attributed another's ticket: {:?}", step);
                        }
                        if a.is_reassignment() || (a.to.is_none() && t.assignee.as_ref().is_some_and(|o| o.id != actor.id())) {
                            prop_assert!(a.reason.is_some(), "reassignment without a reason");
                        }
                        t.assignee = a.to.clone();
                        if let Some(s) = a.status_to { t.status = s; }
                    }
                }
            }
            let cat = l.category(&t.status).expect("known status");
            if cat.is_finished() {
                prop_assert!(t.outcome.is_some_and(is_final), "{} without a final outcome", t.status);
            }
        }
    }
}
