//! Duplicates and related requests: which ticket may be merged into which, how a duplicate is
//! closed, how tickets are linked, and which open tickets look like the request being
//! registered (same contact, or subjects sharing at least half of their significant words).

use super::lifecycle::{Lifecycle, TicketState};
use super::model::{Actor, Outcome, StatusCategory};
use super::refusal::Refusal;
use super::rights::{self, Action};
use std::collections::BTreeSet;

/// How two tickets are related.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// About the same matter.
    Related,
    /// The first is the parent of the second (a matter and its parts).
    Parent,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Related => "related",
            LinkKind::Parent => "parent",
        }
    }
}

impl std::str::FromStr for LinkKind {
    type Err = crate::core::message::Message;
    fn from_str(s: &str) -> Result<LinkKind, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "related" => Ok(LinkKind::Related),
            "parent" => Ok(LinkKind::Parent),
            other => Err(crate::msg!(
                "error.unknown_id",
                what = crate::core::message::term("what.link_kind"),
                value = other,
                choices = "related, parent"
            )),
        }
    }
}

/// A ticket as merging needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    pub number: String,
    pub state: TicketState,
    /// The number of the ticket it was merged into, if it was.
    pub merged_into: Option<String>,
}

/// What merging a duplicate does to it: the status it is closed in, and the outcome's note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    pub status: String,
    pub outcome: Outcome,
    pub note: String,
}

/// The status a duplicate is closed in: the first `closed` status, else the first `done` one
/// that takes the outcome `invalid`.
pub fn closing_status(life: &Lifecycle) -> Option<String> {
    life.statuses()
        .iter()
        .find(|s| s.category == StatusCategory::Closed)
        .or_else(|| {
            life.statuses().iter().find(|s| {
                s.category == StatusCategory::Done && s.outcomes.contains(&Outcome::Invalid)
            })
        })
        .map(|s| s.id.clone())
}

/// The note a duplicate's outcome carries: "duplicate of TARGET", and the reason given.
pub fn duplicate_note(target: &str, reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("duplicate of {target}: {r}"),
        None => format!("duplicate of {target}"),
    }
}

/// Decides a merge of `dup` into `target`: the duplicate must be open and not merged, the
/// target must not be closed nor itself merged, and the actor may change the duplicate
/// (operators: their own or unassigned).
pub fn check(
    life: &Lifecycle,
    dup: &Side,
    target: &Side,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<Merge, Refusal> {
    if dup.number == target.number {
        return Err(Refusal::MergeSelf);
    }
    if let Some(into) = &dup.merged_into {
        return Err(Refusal::AlreadyMerged {
            number: dup.number.clone(),
            into: into.clone(),
        });
    }
    if let Some(into) = &target.merged_into {
        return Err(Refusal::AlreadyMerged {
            number: target.number.clone(),
            into: into.clone(),
        });
    }
    match life.category(&dup.state.status) {
        Some(c) if c.is_finished() => {
            return Err(Refusal::MergeFinished {
                status: dup.state.status.clone(),
            });
        }
        None => {
            return Err(Refusal::CurrentStatusUnknown {
                status: dup.state.status.clone(),
            });
        }
        _ => {}
    }
    if life.category(&target.state.status) == Some(StatusCategory::Closed) {
        return Err(Refusal::TicketClosed {
            status: target.state.status.clone(),
        });
    }
    rights::check(actor, Action::Merge, dup.state.assignee.as_ref())?;
    let status = closing_status(life).ok_or(Refusal::NoClosingStatus)?;
    Ok(Merge {
        status,
        outcome: Outcome::Invalid,
        note: duplicate_note(&target.number, reason),
    })
}

/// Linking needs the right to link, and two different tickets.
pub fn check_link(actor: &Actor, a: &str, b: &str) -> Result<(), Refusal> {
    rights::check(actor, Action::Link, None)?;
    if a == b {
        return Err(Refusal::LinkSelf);
    }
    Ok(())
}

// ---- likely duplicates ---------------------------------------------------------------------

/// Words too common to tell two requests apart (English, Russian, Ukrainian).
const STOP: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "from",
    "not",
    "are",
    "was",
    "has",
    "have",
    "had",
    "this",
    "that",
    "our",
    "your",
    "their",
    "please",
    "request",
    "about",
    "into",
    "there",
    "since",
    "для",
    "при",
    "что",
    "как",
    "это",
    "или",
    "нет",
    "без",
    "над",
    "под",
    "про",
    "так",
    "уже",
    "прошу",
    "просьба",
    "його",
    "що",
    "або",
    "немає",
    "під",
    "вже",
    "будь",
    "ласка",
];

/// The significant words of a subject: lower-case words of three letters or more, common ones
/// left out, each once.
pub fn significant_words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 3 && !STOP.contains(&w.as_str()))
        .collect()
}

/// A contact as it is compared: an e-mail address in lower case, anything else by its digits
/// (a phone number however it is written); too little to compare: None.
pub fn contact_key(contact: &str) -> Option<String> {
    let c = contact.trim();
    if c.contains('@') {
        let lower = c.to_lowercase();
        return (lower.len() >= 3).then_some(lower);
    }
    let digits: String = c.chars().filter(char::is_ascii_digit).collect();
    (digits.len() >= 5).then_some(digits)
}

/// Why a ticket looks like the request being registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Likeness {
    /// The same contact.
    Contact,
    /// Subjects sharing these significant words (at least half of each one's).
    Words(Vec<String>),
}

/// Whether an existing ticket looks like a new request: the same contact, or subjects that
/// share at least half of their significant words (of each of them).
pub fn likeness(
    new_subject: &BTreeSet<String>,
    new_contact: Option<&str>,
    subject: &str,
    contact: &str,
) -> Option<Likeness> {
    if new_contact.is_some() && contact_key(contact).as_deref() == new_contact {
        return Some(Likeness::Contact);
    }
    // Most open tickets share no word with the request: told without building their words
    // (this runs over every open ticket of the last 30 days at each registration, issue 17).
    if new_subject.is_empty() || !shares_a_word(new_subject, subject) {
        return None;
    }
    let theirs = significant_words(subject);
    let shared: Vec<String> = new_subject.intersection(&theirs).cloned().collect();
    let enough = !shared.is_empty()
        && shared.len() * 2 >= new_subject.len()
        && shared.len() * 2 >= theirs.len();
    enough.then_some(Likeness::Words(shared))
}

/// Whether a word of `subject`, in lower case, is one of `words` (as `significant_words`
/// splits and lowers it), without allocating for each word of the subject.
fn shares_a_word(words: &BTreeSet<String>, subject: &str) -> bool {
    subject
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .any(|t| {
            if t.contains('Σ') {
                // A final sigma lowers by its context: as `str::to_lowercase` does.
                return words.contains(&t.to_lowercase());
            }
            words
                .iter()
                .any(|w| t.chars().flat_map(char::to_lowercase).eq(w.chars()))
        })
}

/// How far back likely duplicates are looked for.
pub const DUPLICATE_WINDOW: i64 = 30 * 86_400;

/// The few tickets most like a request, chosen from candidates offered newest first: the same
/// contact first, then the most significant words shared, then the newest. A candidate is
/// kept only while it is among the best `limit` (so a flood of look-alike requests costs
/// nothing to keep), and once no later candidate could be kept the search is `settled`.
pub struct Likeliest<T> {
    limit: usize,
    /// The best a later candidate could be: its contact (when the request has one), else
    /// every word of the request shared.
    best_possible: (u8, usize),
    /// Best first; among equals, in the order offered (newest first).
    kept: Vec<((u8, usize), T)>,
}

impl<T> Likeliest<T> {
    /// For a request with `words` significant words and a contact to compare or not.
    pub fn new(limit: usize, words: usize, has_contact: bool) -> Likeliest<T> {
        Likeliest {
            limit,
            best_possible: if has_contact {
                (0, 0)
            } else {
                (1, usize::MAX - words)
            },
            kept: Vec::new(),
        }
    }

    fn rank(why: &Likeness) -> (u8, usize) {
        match why {
            Likeness::Contact => (0, 0),
            Likeness::Words(w) => (1, usize::MAX - w.len()),
        }
    }

    /// Whether a candidate that looks like this, offered after every one so far, would be
    /// kept (an older one never displaces a newer one as alike).
    pub fn wants(&self, why: &Likeness) -> bool {
        self.limit > 0
            && (self.kept.len() < self.limit
                || self.kept.last().is_some_and(|(r, _)| Self::rank(why) < *r))
    }

    /// Offers a candidate (after every one so far), kept if `wants` says so.
    pub fn offer(&mut self, why: &Likeness, item: T) {
        if !self.wants(why) {
            return;
        }
        let rank = Self::rank(why);
        let at = self.kept.partition_point(|(r, _)| *r <= rank);
        self.kept.insert(at, (rank, item));
        self.kept.truncate(self.limit);
    }

    /// No candidate offered from now on could be kept.
    pub fn settled(&self) -> bool {
        self.kept.len() >= self.limit
            && self
                .kept
                .last()
                .is_none_or(|(r, _)| *r <= self.best_possible)
    }

    /// The ones kept, best first.
    pub fn into_vec(self) -> Vec<T> {
        self.kept.into_iter().map(|(_, t)| t).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::Config;
    use crate::core::model::{AgentRef, Role};

    fn side(number: &str, status: &str, owner: Option<AgentRef>) -> Side {
        Side {
            number: number.into(),
            state: TicketState {
                status: status.into(),
                assignee: owner,
                outcome: None,
            },
            merged_into: None,
        }
    }

    fn agent(id: i64, role: Role) -> AgentRef {
        AgentRef {
            id,
            login: format!("a{id}"),
            role,
        }
    }

    #[test]
    fn a_duplicate_is_closed_invalid_with_its_target_named() {
        let cfg = Config::builtin().expect("config");
        let op = Actor::new(agent(1, Role::Operator));
        let m = check(
            &cfg.lifecycle,
            &side("B", "new", None),
            &side("A", "in_progress", None),
            &op,
            Some("same flat"),
        )
        .expect("allowed");
        assert_eq!(m.status, "closed");
        assert_eq!(m.outcome, Outcome::Invalid);
        assert_eq!(m.note, "duplicate of A: same flat");
        assert_eq!(duplicate_note("A", Some("  ")), "duplicate of A");
    }

    #[test]
    fn what_cannot_be_merged() {
        let cfg = Config::builtin().expect("config");
        let life = &cfg.lifecycle;
        let op = Actor::new(agent(1, Role::Operator));
        let open = side("A", "in_progress", None);
        assert_eq!(
            check(life, &side("A", "new", None), &open, &op, None),
            Err(Refusal::MergeSelf)
        );
        let mut merged = side("B", "closed", None);
        merged.merged_into = Some("C".into());
        assert!(matches!(
            check(life, &merged, &open, &op, None),
            Err(Refusal::AlreadyMerged { .. })
        ));
        assert!(matches!(
            check(life, &side("D", "new", None), &merged, &op, None),
            Err(Refusal::AlreadyMerged { into, .. }) if into == "C"
        ));
        assert!(matches!(
            check(life, &side("B", "resolved", None), &open, &op, None),
            Err(Refusal::MergeFinished { .. })
        ));
        assert!(matches!(
            check(
                life,
                &side("B", "new", None),
                &side("A", "closed", None),
                &op,
                None
            ),
            Err(Refusal::TicketClosed { .. })
        ));
        let theirs = side("B", "in_progress", Some(agent(2, Role::Operator)));
        assert!(matches!(
            check(life, &theirs, &open, &op, None),
            Err(Refusal::NotYours { .. })
        ));
        let sup = Actor::new(agent(3, Role::Supervisor));
        assert!(check(life, &theirs, &open, &sup, None).is_ok());
    }

    #[test]
    fn likely_duplicates_by_contact_or_shared_words() {
        let new = significant_words("No heating in flat 12, Shevchenka 5");
        assert!(new.contains("heating") && !new.contains("in"));
        let phone = contact_key("+380 (67) 412-11-90");
        assert_eq!(phone.as_deref(), Some("380674121190"));
        assert_eq!(
            likeness(&new, phone.as_deref(), "Anything", "380674121190"),
            Some(Likeness::Contact)
        );
        assert_eq!(contact_key("12"), None, "too short to compare");
        assert_eq!(
            contact_key(" Olena@Example.ORG "),
            Some("olena@example.org".into())
        );
        assert!(matches!(
            likeness(&new, None, "Heating off in flat 12 at Shevchenka 5", ""),
            Some(Likeness::Words(w)) if w.len() >= 3
        ));
        assert_eq!(likeness(&new, None, "Passport copy needed", ""), None);
        // Half of each side's words: a long subject sharing two words is not alike.
        assert_eq!(
            likeness(
                &new,
                None,
                "Heating bill for flat 7 was wrong and the manager never called back",
                ""
            ),
            None
        );
        assert_eq!(
            likeness(&BTreeSet::new(), None, "", ""),
            None,
            "nothing to compare"
        );
    }

    proptest::proptest! {
        /// The shortcut that skips subjects sharing no word never changes the answer: the
        /// same as comparing the two subjects' words in full (cases, final sigmas, Cyrillic).
        #[test]
        fn sharing_a_word_is_told_as_the_full_comparison_tells_it(
            new in "[a-zA-ZΣσςΟΔΟΣабвгдЕЖЗ ,.'-]{0,40}",
            theirs in "[a-zA-ZΣσςΟΔΟΣабвгдЕЖЗ ,.'-]{0,40}",
        ) {
            let words = significant_words(&new);
            let full = !words.is_disjoint(&significant_words(&theirs));
            proptest::prop_assert_eq!(shares_a_word(&words, &theirs), full);
        }

        /// Keeping only the best few as they come, and stopping once settled, chooses what
        /// ranking every look-alike and taking the first `limit` chose.
        #[test]
        fn the_likeliest_are_those_a_full_ranking_gives(
            words in 1usize..4,
            has_contact in proptest::bool::ANY,
            limit in 0usize..6,
            offered in proptest::collection::vec(proptest::option::of(0usize..5), 0..40),
        ) {
            let why = |o: &Option<usize>| match o {
                None => Likeness::Contact,
                Some(n) => Likeness::Words(vec![String::new(); (*n).min(words)]),
            };
            // Without a contact to compare, no candidate is alike by contact.
            let offered: Vec<(usize, Likeness)> = offered
                .iter()
                .filter(|o| has_contact || o.is_some())
                .map(why)
                .enumerate()
                .collect();
            let mut all: Vec<&(usize, Likeness)> = offered.iter().collect();
            all.sort_by_key(|(_, w)| Likeliest::<usize>::rank(w));
            let want: Vec<usize> = all.iter().take(limit).map(|(i, _)| *i).collect();
            let mut best = Likeliest::new(limit, words, has_contact);
            for (i, w) in &offered {
                if best.settled() {
                    break;
                }
                best.offer(w, *i);
            }
            proptest::prop_assert_eq!(best.into_vec(), want);
        }
    }
}
