//! Conditions on the status alone, merged: the statuses of `status:`, `is:` and their
//! negations side by side in one conjunction (or one disjunction) are one set of statuses.
//! `-is:done -is:closed` is every status but the done and closed ones, so the store reads
//! the statuses left from the status index instead of testing every ticket against two
//! negations; `status:a,b -status:b` is `status:a`; `is:waiting OR is:active` one list.
//!
//! A set is the statuses named (`In`) or every status but these (`Out`, a ticket in a status
//! the configuration no longer names included). The rules are those of sets:
//! in a conjunction In(a)·In(b) = In(a∩b), Out(a)·Out(b) = Out(a∪b), In(a)·Out(b) = In(a∖b);
//! in a disjunction In(a)+In(b) = In(a∪b), Out(a)+Out(b) = Out(a∩b), In(a)+Out(b) =
//! Out(b∖a).

use super::Cond;
use crate::core::lifecycle::Lifecycle;

/// A condition on the status alone, as a set.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Set {
    /// One of these statuses.
    In(Vec<String>),
    /// Any status but these.
    Out(Vec<String>),
}

/// The set a condition on the status alone stands for (None: another condition).
fn set_of(c: &Cond, life: &Lifecycle) -> Option<Set> {
    match c {
        Cond::Status(ids) => Some(Set::In(ids.clone())),
        Cond::StatusCategory(cats) => Some(Set::In(
            cats.iter()
                .flat_map(|c| life.ids_in(*c))
                .map(str::to_string)
                .collect(),
        )),
        Cond::Not(c) => Some(match set_of(c, life)? {
            Set::In(s) => Set::Out(s),
            Set::Out(s) => Set::In(s),
        }),
        _ => None,
    }
}

/// `a` with `b`'s statuses kept (`keep`) or left out, each once, in `a`'s order.
fn filter(a: Vec<String>, b: &[String], keep: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(a.len());
    for s in a {
        if b.contains(&s) == keep && !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// `a`, then `b`'s statuses not in it.
fn union(mut a: Vec<String>, b: Vec<String>) -> Vec<String> {
    for s in b {
        if !a.contains(&s) {
            a.push(s);
        }
    }
    a
}

/// Two sets side by side: in a conjunction (`all`) or a disjunction.
fn combine(x: Set, y: Set, all: bool) -> Set {
    use Set::{In, Out};
    match (x, y, all) {
        (In(a), In(b), true) => In(filter(a, &b, true)),
        (Out(a), Out(b), true) => Out(union(a, b)),
        (In(a), Out(b), true) | (Out(b), In(a), true) => In(filter(a, &b, false)),
        (In(a), In(b), false) => In(union(a, b)),
        (Out(a), Out(b), false) => Out(filter(a, &b, true)),
        (In(a), Out(b), false) | (Out(b), In(a), false) => Out(filter(b, &a, false)),
    }
}

fn cond_of(s: Set) -> Cond {
    match s {
        Set::In(ids) => Cond::Status(ids),
        Set::Out(ids) => Cond::Not(Box::new(Cond::Status(ids))),
    }
}

/// The members of a conjunction (`all`) or a disjunction with their conditions on the status
/// alone merged into one, where the first of them stood; the rest as they are. (One such
/// condition alone is left as it is.)
pub fn merge(cs: &[Cond], all: bool, life: &Lifecycle) -> Vec<Cond> {
    let sets: Vec<Option<Set>> = cs.iter().map(|c| set_of(c, life)).collect();
    if sets.iter().filter(|s| s.is_some()).count() < 2 {
        return cs.to_vec();
    }
    let mut merged: Option<Set> = None;
    let mut first = None;
    let mut out = Vec::with_capacity(cs.len());
    for (c, s) in cs.iter().zip(sets) {
        match s {
            Some(s) => {
                first.get_or_insert(out.len());
                merged = Some(match merged {
                    None => s,
                    Some(m) => combine(m, s, all),
                });
            }
            None => out.push(c.clone()),
        }
    }
    if let (Some(at), Some(m)) = (first, merged) {
        out.insert(at, cond_of(m));
    }
    out
}

/// The whole condition with every conjunction's and disjunction's statuses merged (what the
/// store's reader does at each level).
pub fn merged(c: &Cond, life: &Lifecycle) -> Cond {
    match c {
        Cond::And(cs) | Cond::Or(cs) => {
            let all = matches!(c, Cond::And(_));
            let inner: Vec<Cond> = cs.iter().map(|c| merged(c, life)).collect();
            let out = merge(&inner, all, life);
            if all { Cond::And(out) } else { Cond::Or(out) }
        }
        Cond::Not(x) => Cond::Not(Box::new(merged(x, life))),
        c => c.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::Config;
    use crate::core::model::StatusCategory;
    use crate::core::query::Who;
    use proptest::prelude::*;

    fn life() -> Lifecycle {
        Config::builtin()
            .expect("the built-in configuration")
            .lifecycle
    }

    fn ids(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn negations_side_by_side_are_one_set() {
        let life = life();
        let done_closed = [
            Cond::StatusCategory(vec![StatusCategory::Done]).not(),
            Cond::StatusCategory(vec![StatusCategory::Closed]).not(),
            Cond::Assignee(Who::Nobody),
        ];
        let mut out: Vec<String> = life
            .ids_in(StatusCategory::Done)
            .iter()
            .map(|s| s.to_string())
            .collect();
        out.extend(
            life.ids_in(StatusCategory::Closed)
                .iter()
                .map(|s| s.to_string()),
        );
        assert_eq!(
            merge(&done_closed, true, &life),
            vec![Cond::Status(out).not(), Cond::Assignee(Who::Nobody)]
        );
        // In a disjunction, what both leave out.
        let either = [
            Cond::Status(ids(&["new", "closed"])).not(),
            Cond::Status(ids(&["closed"])).not(),
        ];
        assert_eq!(
            merge(&either, false, &life),
            vec![Cond::Status(ids(&["closed"])).not()]
        );
        // Named and not named.
        let named = [
            Cond::Assignee(Who::Me),
            Cond::Status(ids(&["new", "closed"])),
            Cond::Status(ids(&["closed"])).not(),
        ];
        assert_eq!(
            merge(&named, true, &life),
            vec![Cond::Assignee(Who::Me), Cond::Status(ids(&["new"]))]
        );
        assert_eq!(
            merge(&named, false, &life),
            vec![Cond::Assignee(Who::Me), Cond::Status(Vec::new()).not()]
        );
        // One alone stays as it was.
        let one = [
            Cond::StatusCategory(vec![StatusCategory::Done]).not(),
            Cond::Open,
        ];
        assert_eq!(merge(&one, true, &life), one.to_vec());
    }

    /// A condition over a few statuses (the configuration's and one it does not name) and two
    /// other conditions.
    fn arb_cond() -> impl Strategy<Value = Cond> {
        let statuses = prop::sample::subsequence(
            vec![
                "new",
                "in_progress",
                "waiting_info",
                "resolved",
                "closed",
                "gone",
            ],
            0..4,
        )
        .prop_map(|s| Cond::Status(s.into_iter().map(str::to_string).collect()));
        let cats = prop::sample::subsequence(StatusCategory::ALL.to_vec(), 0..3)
            .prop_map(Cond::StatusCategory);
        let leaf = prop_oneof![
            statuses,
            cats,
            Just(Cond::Open),
            Just(Cond::Assignee(Who::Me)),
        ];
        leaf.prop_recursive(4, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Cond::And),
                prop::collection::vec(inner.clone(), 0..5).prop_map(Cond::Or),
                inner.prop_map(|c| Cond::Not(Box::new(c))),
            ]
        })
    }

    /// Whether a ticket in `status` (open or not, the viewer's or not) matches.
    fn holds(c: &Cond, life: &Lifecycle, status: &str, open: bool, mine: bool) -> bool {
        match c {
            Cond::And(cs) => cs.iter().all(|c| holds(c, life, status, open, mine)),
            Cond::Or(cs) => cs.iter().any(|c| holds(c, life, status, open, mine)),
            Cond::Not(c) => !holds(c, life, status, open, mine),
            Cond::Status(ids) => ids.iter().any(|s| s == status),
            Cond::StatusCategory(cats) => life.category(status).is_some_and(|c| cats.contains(&c)),
            Cond::Open => open,
            Cond::Assignee(_) => mine,
            _ => false,
        }
    }

    proptest! {
        /// Merged, a condition matches the same tickets, whatever their status (one the
        /// configuration does not name included).
        #[test]
        fn merging_keeps_the_tickets(
            c in arb_cond(),
            status in prop::sample::select(vec!["new", "attributed", "in_progress",
                "waiting_info", "resolved", "rejected", "closed", "gone", "other"]),
            open: bool,
            mine: bool,
        ) {
            let life = life();
            let m = merged(&c, &life);
            prop_assert_eq!(
                holds(&c, &life, status, open, mine),
                holds(&m, &life, status, open, mine),
                "{:?} → {:?}", c, m
            );
        }
    }
}
