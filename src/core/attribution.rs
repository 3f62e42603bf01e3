//! Who owns a ticket: claim, give, take over, unassign; routing at intake; least-loaded pick.

use super::lifecycle::{Lifecycle, TicketState, non_blank};
use super::model::{Actor, AgentRef, AssignRule, Priority, StatusCategory};
use super::refusal::Refusal;
use super::rights::{self, Action};
use std::collections::BTreeMap;

/// An agent as a possible assignee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub agent: AgentRef,
    pub active: bool,
    pub away: bool,
    /// Open tickets assigned now.
    pub load: i64,
    pub capacity: i64,
    /// When the agent last received a ticket (unix seconds); None: never.
    pub last_assigned_at: Option<i64>,
}

impl Candidate {
    pub fn has_room(&self) -> bool {
        self.load < self.capacity
    }
}

/// A change of owner the rules allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The right that was exercised (claim, give, take over, unassign).
    pub action: Action,
    pub from: Option<AgentRef>,
    pub to: Option<AgentRef>,
    pub reason: Option<String>,
    /// The status the ticket moves to because of the assignment (e.g. new → attributed).
    pub status_to: Option<String>,
    /// The new owner already has as many open tickets as their capacity, or more.
    pub over_capacity: bool,
}

impl Assignment {
    /// The ticket passes from one agent to another: counted towards misattribution (the
    /// definition is `sla::is_reassignment`, which every figure uses).
    pub fn is_reassignment(&self) -> bool {
        super::sla::is_reassignment(
            self.from.as_ref().map(|a| a.login.as_str()),
            self.to.as_ref().map(|a| a.login.as_str()),
        )
    }
}

fn refuse_if_closed(life: &Lifecycle, ticket: &TicketState) -> Result<(), Refusal> {
    match life.category(&ticket.status) {
        Some(StatusCategory::Closed) => Err(Refusal::TicketClosed {
            status: ticket.status.clone(),
        }),
        Some(_) => Ok(()),
        None => Err(Refusal::CurrentStatusUnknown {
            status: ticket.status.clone(),
        }),
    }
}

fn status_after_assign(life: &Lifecycle, ticket: &TicketState) -> Option<String> {
    life.on_assign(&ticket.status).map(|t| t.to.clone())
}

/// The actor takes the ticket. Taking someone else's ticket is a take-over: supervisors and
/// admins only, and with a reason.
pub fn claim(
    life: &Lifecycle,
    ticket: &TicketState,
    actor: &Actor,
    me: &Candidate,
    reason: Option<&str>,
) -> Result<Assignment, Refusal> {
    refuse_if_closed(life, ticket)?;
    let reason = non_blank(reason).map(str::to_string);
    let action = match &ticket.assignee {
        Some(a) if a.id == actor.id() => return Err(Refusal::AlreadyYours),
        Some(owner) => {
            if !rights::role_may(actor.role(), Action::TakeOver) {
                return Err(Refusal::NotYours {
                    owner: owner.login.clone(),
                });
            }
            if reason.is_none() {
                return Err(Refusal::ReasonRequired {
                    action: Action::TakeOver,
                });
            }
            Action::TakeOver
        }
        None => {
            rights::check(actor, Action::Claim, None)?;
            Action::Claim
        }
    };
    Ok(Assignment {
        action,
        from: ticket.assignee.clone(),
        to: Some(actor.agent.clone()),
        reason,
        status_to: status_after_assign(life, ticket),
        over_capacity: !me.has_room(),
    })
}

/// The actor gives the ticket to `target`. A reassignment (the ticket had an owner) needs a
/// reason; operators may give only their own or unassigned tickets.
pub fn give(
    life: &Lifecycle,
    ticket: &TicketState,
    actor: &Actor,
    target: &Candidate,
    reason: Option<&str>,
) -> Result<Assignment, Refusal> {
    refuse_if_closed(life, ticket)?;
    if target.agent.id == actor.id() {
        return claim(life, ticket, actor, target, reason);
    }
    rights::check(actor, Action::Give, ticket.assignee.as_ref())?;
    if !rights::may_own_tickets(target.agent.role) {
        return Err(Refusal::CannotOwn {
            login: target.agent.login.clone(),
            role: target.agent.role,
        });
    }
    if !target.active {
        return Err(Refusal::AgentInactive {
            login: target.agent.login.clone(),
        });
    }
    if ticket
        .assignee
        .as_ref()
        .is_some_and(|a| a.id == target.agent.id)
    {
        return Err(Refusal::AlreadyAssigned {
            to: target.agent.login.clone(),
        });
    }
    let reason = non_blank(reason).map(str::to_string);
    if ticket.assignee.is_some() && reason.is_none() {
        return Err(Refusal::ReasonRequired {
            action: Action::Give,
        });
    }
    Ok(Assignment {
        action: Action::Give,
        from: ticket.assignee.clone(),
        to: Some(target.agent.clone()),
        reason,
        status_to: status_after_assign(life, ticket),
        over_capacity: !target.has_room(),
    })
}

/// The ticket moves to another group and keeps its owner (no reassignment). Operators move
/// only their own or unassigned tickets; taking a ticket out of the group it was in needs a
/// reason.
pub fn move_group(
    ticket: &TicketState,
    actor: &Actor,
    from: Option<&str>,
    to: &str,
    reason: Option<&str>,
) -> Result<Assignment, Refusal> {
    if from == Some(to) {
        return Err(Refusal::AlreadyInGroup {
            group: to.to_string(),
        });
    }
    rights::check(actor, Action::Give, ticket.assignee.as_ref())?;
    let reason = non_blank(reason).map(str::to_string);
    if from.is_some() && reason.is_none() {
        return Err(Refusal::ReasonRequired {
            action: Action::Give,
        });
    }
    Ok(Assignment {
        action: Action::Give,
        from: ticket.assignee.clone(),
        to: ticket.assignee.clone(),
        reason,
        status_to: None,
        over_capacity: false,
    })
}

/// The group a ticket moves to when it is given to an agent, the same for every way of giving
/// it (the assignment pane, `:assign`, a bulk assignment): the group chosen, when the agent is
/// in it; else it stays where it is when the agent works in that group; else it follows its
/// new owner into their first group (so it shows in their group's queue). None: it stays.
pub fn group_on_give(
    ticket_group: Option<&str>,
    agent_groups: &[String],
    chosen: Option<&str>,
) -> Option<String> {
    let member = |g: &str| agent_groups.iter().any(|a| a == g);
    let target = match (chosen, ticket_group) {
        (Some(c), _) if member(c) => Some(c),
        (_, Some(g)) if member(g) => Some(g),
        _ => agent_groups.first().map(String::as_str),
    }?;
    (Some(target) != ticket_group).then(|| target.to_string())
}

/// The ticket goes back to its group's queue. Supervisors unassigning someone else's ticket
/// must say why.
pub fn unassign(
    life: &Lifecycle,
    ticket: &TicketState,
    actor: &Actor,
    reason: Option<&str>,
) -> Result<Assignment, Refusal> {
    refuse_if_closed(life, ticket)?;
    let Some(owner) = &ticket.assignee else {
        return Err(Refusal::NotAssigned);
    };
    rights::check(actor, Action::Unassign, Some(owner))?;
    let reason = non_blank(reason).map(str::to_string);
    if owner.id != actor.id() && reason.is_none() {
        return Err(Refusal::ReasonRequired {
            action: Action::Unassign,
        });
    }
    Ok(Assignment {
        action: Action::Unassign,
        from: Some(owner.clone()),
        to: None,
        reason,
        status_to: life.on_unassign(&ticket.status).map(|t| t.to.clone()),
        over_capacity: false,
    })
}

/// An escalation returns the ticket to its group's queue (`[[escalation]] unassign`): what
/// the configuration decided, run by the timers, so no one's rights are asked.
pub fn escalate_unassign(
    life: &Lifecycle,
    ticket: &TicketState,
    reason: &str,
) -> Result<Assignment, Refusal> {
    refuse_if_closed(life, ticket)?;
    let Some(owner) = &ticket.assignee else {
        return Err(Refusal::NotAssigned);
    };
    Ok(Assignment {
        action: Action::Unassign,
        from: Some(owner.clone()),
        to: None,
        reason: Some(reason.to_string()),
        status_to: life.on_unassign(&ticket.status).map(|t| t.to.clone()),
        over_capacity: false,
    })
}

/// Least-loaded active member with room; ties go to the one who waited longest since their
/// last assignment (never assigned first), then to the earliest registered.
pub fn pick(candidates: &[Candidate]) -> Option<&Candidate> {
    candidates
        .iter()
        .filter(|c| may_get(c))
        .min_by_key(|c| (c.load, c.last_assigned_at.unwrap_or(i64::MIN), c.agent.id))
}

/// Who may get a ticket automatically: active, not away, with room, a role that owns tickets.
fn may_get(c: &Candidate) -> bool {
    c.active && !c.away && c.has_room() && rights::may_own_tickets(c.agent.role)
}

/// Whose turn it is in a round-robin group: the first member who may get a ticket after
/// `last` (the one who got the group's last ticket automatically) in the order they were
/// registered, going round; the first one when nobody got one yet.
pub fn next_in_turn(candidates: &[Candidate], last: Option<i64>) -> Option<&Candidate> {
    let mut able: Vec<&Candidate> = candidates.iter().filter(|c| may_get(c)).collect();
    able.sort_by_key(|c| c.agent.id);
    able.iter()
        .find(|c| last.is_some_and(|l| c.agent.id > l))
        .or(able.first())
        .copied()
}

/// The member a group's automatic assignment gives a ticket to, by the group's rule
/// (`last`: who got its last ticket automatically, for round robin).
pub fn pick_by(
    rule: AssignRule,
    candidates: &[Candidate],
    last: Option<i64>,
) -> Option<&Candidate> {
    match rule {
        AssignRule::LeastLoaded => pick(candidates),
        AssignRule::RoundRobin => next_in_turn(candidates, last),
    }
}

/// Where an away agent's open tickets go: each to the least-loaded colleague of its group
/// with room (as `pick` chooses, counting what this hand-over already gave them), or back to
/// its group's queue (None) when nobody there has room or it has no group. `groups` are the
/// tickets' groups, the most urgent ticket first; `members` each group's members as they are.
pub fn hand_over(
    away: i64,
    groups: &[Option<String>],
    members: &BTreeMap<String, Vec<Candidate>>,
    now: i64,
) -> Vec<Option<AgentRef>> {
    let mut members = members.clone();
    let mut plan = Vec::with_capacity(groups.len());
    for g in groups {
        let to = g.as_ref().and_then(|g| members.get(g)).and_then(|list| {
            let others: Vec<Candidate> = list
                .iter()
                .filter(|c| c.agent.id != away)
                .cloned()
                .collect();
            pick(&others).map(|c| c.agent.clone())
        });
        if let Some(a) = &to {
            for c in members
                .values_mut()
                .flatten()
                .filter(|c| c.agent.id == a.id)
            {
                c.load += 1;
                c.last_assigned_at = Some(now);
            }
        }
        plan.push(to);
    }
    plan
}

/// The change that hands one of an away agent's tickets over, by the rules of giving (to a
/// colleague) and unassigning (back to the queue), with the reason.
pub fn hand_over_one(
    life: &Lifecycle,
    ticket: &TicketState,
    actor: &Actor,
    to: Option<&Candidate>,
    reason: &str,
) -> Result<Assignment, Refusal> {
    match to {
        Some(c) => give(life, ticket, actor, c, Some(reason)),
        None => unassign(life, ticket, actor, Some(reason)),
    }
}

/// A category as routing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryRule {
    pub code: String,
    pub group: Option<String>,
    pub keywords: Vec<String>,
}

/// An explicit routing rule: keywords send a ticket to a category and/or a group.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RouteRule {
    pub keywords: Vec<String>,
    pub category: Option<String>,
    pub group: Option<String>,
    pub priority: Option<Priority>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Router {
    pub categories: Vec<CategoryRule>,
    pub routes: Vec<RouteRule>,
    pub default_category: String,
}

/// Where a ticket goes, and why (shown to the operator as a preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    pub category: String,
    pub group: Option<String>,
    /// The priority a routing rule sets, if any.
    pub priority: Option<Priority>,
    /// The keyword that decided the category or group, if any.
    pub keyword: Option<String>,
}

/// Lower-case words of a text (letters and digits of any script).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// A keyword split into its lower-case words once: one or more words, a trailing `*` matching
/// any ending of the last.
struct Keyword<'a> {
    text: &'a String,
    words: Vec<String>,
    stem: bool,
}

impl<'a> Keyword<'a> {
    fn new(text: &'a String) -> Keyword<'a> {
        let t = text.trim();
        Keyword {
            text,
            words: words(t.trim_end_matches('*')),
            stem: t.ends_with('*'),
        }
    }

    /// Does it occur in `text`? Its first word looked up among the text's sorted words
    /// first: most keywords of a desk are not in a given request at all.
    fn matches(&self, text: &TextWords) -> bool {
        let Some(first) = self.words.first() else {
            return false;
        };
        text.has(first, self.stem && self.words.len() == 1) && self.occurs_in(&text.words)
    }

    /// Does it occur in `text_words`, read in order?
    fn occurs_in(&self, text_words: &[String]) -> bool {
        let kw = &self.words;
        if kw.is_empty() || kw.len() > text_words.len() {
            return false;
        }
        text_words.windows(kw.len()).any(|window| {
            window.iter().zip(kw).enumerate().all(|(i, (w, k))| {
                if self.stem && i == kw.len() - 1 {
                    w.starts_with(k.as_str())
                } else {
                    w == k
                }
            })
        })
    }
}

/// Does `keyword` (one or more words; a trailing `*` matches any ending) occur in `text_words`?
pub fn keyword_matches(keyword: &str, text_words: &[String]) -> bool {
    Keyword::new(&keyword.to_string()).occurs_in(text_words)
}

/// A request's words as routing reads them: in their order (for phrases), and sorted once
/// (positions into them), so that a keyword is looked up, not scanned for.
struct TextWords {
    words: Vec<String>,
    sorted: Vec<usize>,
}

impl TextWords {
    fn new(text: &str) -> TextWords {
        let words = words(text);
        let mut sorted: Vec<usize> = (0..words.len()).collect();
        sorted.sort_unstable_by(|a, b| words[*a].cmp(&words[*b]));
        TextWords { words, sorted }
    }

    /// Is `w` one of the words (`stem`: does one begin with it)? Every word that begins with
    /// `w` sorts at or after it, before any that does not, so the first word not below `w`
    /// decides.
    fn has(&self, w: &str, stem: bool) -> bool {
        let at = self.sorted.partition_point(|i| self.words[*i].as_str() < w);
        self.sorted.get(at).is_some_and(|i| {
            let found = &self.words[*i];
            if stem {
                found.starts_with(w)
            } else {
                found == w
            }
        })
    }
}

impl Router {
    /// Routes a request: explicit category/group win; then the first matching route rule;
    /// then the category with the most keyword hits; then the default category. The group
    /// comes from the rule, else the category's default group.
    pub fn route(
        &self,
        subject: &str,
        body: &str,
        category: Option<&str>,
        group: Option<&str>,
    ) -> Routing {
        self.compile().route(subject, body, category, group)
    }

    /// The router with every keyword split into words once, for routing many requests (an
    /// import) without doing it again for each.
    pub fn compile(&self) -> Compiled<'_> {
        fn split(ks: &[String]) -> Vec<Keyword<'_>> {
            ks.iter().map(Keyword::new).collect()
        }
        Compiled {
            router: self,
            routes: self.routes.iter().map(|r| split(&r.keywords)).collect(),
            categories: self.categories.iter().map(|c| split(&c.keywords)).collect(),
        }
    }
}

/// A [`Router`] whose keywords are split into words (see [`Router::compile`]).
pub struct Compiled<'a> {
    router: &'a Router,
    routes: Vec<Vec<Keyword<'a>>>,
    categories: Vec<Vec<Keyword<'a>>>,
}

impl Compiled<'_> {
    /// As [`Router::route`].
    pub fn route(
        &self,
        subject: &str,
        body: &str,
        category: Option<&str>,
        group: Option<&str>,
    ) -> Routing {
        let r = self.router;
        let text = TextWords::new(&format!("{subject}\n{body}"));
        let first_hit = |keywords: &[Keyword<'_>]| -> Option<String> {
            keywords
                .iter()
                .find(|k| k.matches(&text))
                .map(|k| k.text.clone())
        };
        let mut keyword = None;
        let mut rule_group = None;
        let mut priority = None;
        let mut chosen = category.map(str::to_string);
        for (rule, keywords) in r.routes.iter().zip(&self.routes) {
            if chosen.is_some() && rule.category.is_some() && rule.group.is_none() {
                continue;
            }
            if let Some(k) = first_hit(keywords) {
                if chosen.is_none() {
                    chosen = rule.category.clone();
                }
                rule_group = rule.group.clone();
                priority = rule.priority;
                keyword = Some(k);
                break;
            }
        }
        if chosen.is_none() {
            let best = r
                .categories
                .iter()
                .zip(&self.categories)
                .map(|(c, keywords)| {
                    let hits: Vec<&Keyword<'_>> =
                        keywords.iter().filter(|k| k.matches(&text)).collect();
                    (hits.len(), c, hits.first().map(|k| k.text.clone()))
                })
                .filter(|(n, _, _)| *n > 0)
                .fold(
                    None::<(usize, &CategoryRule, Option<String>)>,
                    |best, cur| match best {
                        Some(b) if b.0 >= cur.0 => Some(b),
                        _ => Some(cur),
                    },
                );
            if let Some((_, c, k)) = best {
                chosen = Some(c.code.clone());
                keyword = keyword.or(k);
            }
        }
        let category = chosen.unwrap_or_else(|| r.default_category.clone());
        let default_group = r
            .categories
            .iter()
            .find(|c| c.code == category)
            .and_then(|c| c.group.clone());
        Routing {
            group: group.map(str::to_string).or(rule_group).or(default_group),
            category,
            priority,
            keyword,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::Config;
    use crate::core::model::Role;

    fn agent(id: i64, role: Role) -> AgentRef {
        AgentRef {
            id,
            login: format!("agent{id}"),
            role,
        }
    }

    fn cand(id: i64, load: i64, capacity: i64, last: Option<i64>) -> Candidate {
        Candidate {
            agent: agent(id, Role::Operator),
            active: true,
            away: false,
            load,
            capacity,
            last_assigned_at: last,
        }
    }

    fn life() -> Lifecycle {
        Config::builtin().expect("built-in").lifecycle
    }

    fn state(status: &str, owner: Option<AgentRef>) -> TicketState {
        TicketState {
            status: status.into(),
            assignee: owner,
            outcome: None,
        }
    }

    #[test]
    fn a_group_move_keeps_the_owner_and_needs_a_reason_out_of_a_group() {
        let op = Actor::new(agent(1, Role::Operator));
        let theirs = state("in_progress", Some(agent(2, Role::Operator)));
        let mine = state("in_progress", Some(agent(1, Role::Operator)));
        assert_eq!(
            move_group(&mine, &op, Some("HOUSING"), "HOUSING", Some("x")),
            Err(Refusal::AlreadyInGroup {
                group: "HOUSING".into()
            })
        );
        assert!(matches!(
            move_group(&theirs, &op, Some("HOUSING"), "SOCIAL", Some("x")),
            Err(Refusal::NotYours { .. } | Refusal::RoleNeeded { .. })
        ));
        assert_eq!(
            move_group(&mine, &op, Some("HOUSING"), "SOCIAL", Some("  ")),
            Err(Refusal::ReasonRequired {
                action: Action::Give
            })
        );
        let a = move_group(&mine, &op, None, "SOCIAL", None).expect("into a first group");
        assert_eq!(a.from, a.to, "the owner stays");
        assert!(!a.is_reassignment());
        let sup = Actor::new(agent(3, Role::Supervisor));
        let a = move_group(&theirs, &sup, Some("HOUSING"), "SOCIAL", Some("wrong desk"))
            .expect("supervisors move anyone's");
        assert_eq!(a.reason.as_deref(), Some("wrong desk"));
    }

    #[test]
    fn pick_prefers_least_loaded_then_longest_waiting() {
        let c = vec![
            cand(1, 3, 10, Some(50)),
            cand(2, 1, 10, Some(90)),
            cand(3, 1, 10, Some(10)),
        ];
        assert_eq!(pick(&c).map(|c| c.agent.id), Some(3));
        let c = vec![cand(1, 1, 10, Some(5)), cand(2, 1, 10, None)];
        assert_eq!(
            pick(&c).map(|c| c.agent.id),
            Some(2),
            "never assigned waited longest"
        );
    }

    #[test]
    fn round_robin_goes_round_whatever_the_load() {
        // Member 2 carries far more than the others: least-loaded would pass them over,
        // round robin gives them their turn.
        let c = [
            cand(3, 0, 10, Some(50)),
            cand(2, 8, 10, None),
            cand(4, 1, 10, Some(60)),
        ];
        let turn = |last| next_in_turn(&c, last).map(|c| c.agent.id);
        assert_eq!(turn(None), Some(2), "the first registered first");
        assert_eq!(turn(Some(2)), Some(3));
        assert_eq!(turn(Some(3)), Some(4));
        assert_eq!(turn(Some(4)), Some(2), "and round again");
        assert_eq!(turn(Some(99)), Some(2), "the last one left the group");
        assert_eq!(pick(&c).map(|c| c.agent.id), Some(3));
        assert_eq!(
            pick_by(AssignRule::RoundRobin, &c, Some(3)).map(|c| c.agent.id),
            Some(4)
        );
        assert_eq!(
            pick_by(AssignRule::LeastLoaded, &c, Some(3)).map(|c| c.agent.id),
            Some(3)
        );
        // Who may not get a ticket loses their turn: away, inactive, full.
        let mut skip = c.clone();
        skip[2].away = true;
        assert_eq!(next_in_turn(&skip, Some(3)).map(|c| c.agent.id), Some(2));
        skip[1].load = 10;
        assert_eq!(next_in_turn(&skip, Some(3)).map(|c| c.agent.id), Some(3));
        skip[0].active = false;
        assert_eq!(next_in_turn(&skip, Some(3)), None);
    }

    #[test]
    fn an_away_agents_tickets_spread_over_colleagues_with_room() {
        // Agent 1 goes away with five tickets: three of group A (colleagues 2, with room for
        // one, and 3, with room for many), one of B (nobody with room), one without a group.
        let mut members = BTreeMap::new();
        members.insert(
            "A".to_string(),
            vec![
                cand(1, 5, 10, None),
                cand(2, 4, 5, None),
                cand(3, 4, 10, Some(9)),
            ],
        );
        members.insert(
            "B".to_string(),
            vec![cand(1, 5, 10, None), cand(4, 3, 3, None)],
        );
        let groups = [
            Some("A".to_string()),
            Some("A".to_string()),
            Some("B".to_string()),
            None,
            Some("A".to_string()),
        ];
        let plan: Vec<Option<i64>> = hand_over(1, &groups, &members, 100)
            .into_iter()
            .map(|a| a.map(|a| a.id))
            .collect();
        // 2 and 3 tie on load (2 never got one): 2 first, then full; the rest to 3.
        assert_eq!(plan, [Some(2), Some(3), None, None, Some(3)]);
        // Never to the one going away, even with the most room.
        let mut alone = BTreeMap::new();
        alone.insert("A".to_string(), vec![cand(1, 0, 10, None)]);
        assert_eq!(hand_over(1, &[Some("A".to_string())], &alone, 100), [None]);
    }

    #[test]
    fn pick_respects_capacity_absence_and_activity() {
        let mut away = cand(1, 0, 10, None);
        away.away = true;
        let mut gone = cand(2, 0, 10, None);
        gone.active = false;
        let full = cand(3, 10, 10, None);
        assert_eq!(pick(&[away.clone(), gone.clone(), full.clone()]), None);
        let ok = cand(4, 9, 10, None);
        assert_eq!(pick(&[away, gone, full, ok]).map(|c| c.agent.id), Some(4));
    }

    #[test]
    fn claim_give_take_over_unassign() {
        let l = life();
        let op = Actor::new(agent(1, Role::Operator));
        let me = cand(1, 0, 10, None);
        let a = claim(&l, &state("new", None), &op, &me, None).expect("claim unassigned");
        assert_eq!(a.action, Action::Claim);
        assert_eq!(a.status_to.as_deref(), Some("attributed"));
        assert!(!a.is_reassignment());

        let theirs = state("in_progress", Some(agent(2, Role::Operator)));
        assert_eq!(
            claim(&l, &theirs, &op, &me, Some("x")),
            Err(Refusal::NotYours {
                owner: "agent2".into()
            })
        );
        let sup = Actor::new(agent(5, Role::Supervisor));
        let sup_c = cand(5, 0, 10, None);
        assert_eq!(
            claim(&l, &theirs, &sup, &sup_c, None),
            Err(Refusal::ReasonRequired {
                action: Action::TakeOver
            })
        );
        let t = claim(&l, &theirs, &sup, &sup_c, Some("ivan is ill")).expect("take over");
        assert_eq!(t.action, Action::TakeOver);
        assert!(t.is_reassignment());
        assert_eq!(t.status_to, None);

        // Give: operators only their own or unassigned; reassignment needs a reason.
        let colleague = cand(3, 2, 10, None);
        assert!(give(&l, &theirs, &op, &colleague, Some("r")).is_err());
        let mine = state("in_progress", Some(agent(1, Role::Operator)));
        assert_eq!(
            give(&l, &mine, &op, &colleague, None),
            Err(Refusal::ReasonRequired {
                action: Action::Give
            })
        );
        let g = give(&l, &mine, &op, &colleague, Some("wrong department")).expect("give");
        assert!(g.is_reassignment());
        assert!(give(&l, &state("new", None), &op, &colleague, None).is_ok());
        let mut inactive = colleague.clone();
        inactive.active = false;
        assert!(matches!(
            give(&l, &state("new", None), &op, &inactive, None),
            Err(Refusal::AgentInactive { .. })
        ));
        let full = cand(3, 10, 10, None);
        assert!(
            give(&l, &state("new", None), &op, &full, None)
                .expect("allowed")
                .over_capacity
        );

        // Unassign: own without reason; someone else's by a supervisor with a reason.
        let u = unassign(
            &l,
            &state("attributed", Some(agent(1, Role::Operator))),
            &op,
            None,
        )
        .expect("own");
        assert_eq!(u.status_to.as_deref(), Some("new"));
        assert!(unassign(&l, &theirs, &op, Some("x")).is_err());
        assert!(unassign(&l, &theirs, &sup, None).is_err());
        assert!(unassign(&l, &theirs, &sup, Some("rebalancing")).is_ok());
        assert_eq!(
            unassign(&l, &state("new", None), &sup, None),
            Err(Refusal::NotAssigned)
        );
        assert!(matches!(
            claim(&l, &state("closed", None), &op, &me, None),
            Err(Refusal::TicketClosed { .. })
        ));
    }

    #[test]
    fn keywords_match_words_phrases_and_stems() {
        let w = words("No HEATING in flat 12; отопления нет!");
        assert!(keyword_matches("heating", &w));
        assert!(keyword_matches("Flat 12", &w));
        assert!(!keyword_matches("heat", &w));
        assert!(keyword_matches("heat*", &w));
        assert!(keyword_matches("отоплени*", &w));
        assert!(!keyword_matches("", &w));
        assert!(!keyword_matches("*", &w));
    }

    proptest::proptest! {
        /// A keyword looked up among the sorted words matches exactly where a scan of the
        /// text in order finds it.
        #[test]
        fn a_keyword_looked_up_matches_as_scanned(
            text in proptest::collection::vec("(he|heat|heating|flat|12|a|ab|abc|b|от|отоплени|отопления)", 0..12),
            keyword in "(he|heat|heating|flat|12|a|ab|abc|b|zz|от|отоплени)( (a|ab|flat|12|heating|b))?[*]?",
        ) {
            let joined = text.join(" ");
            let kw = keyword.to_string();
            let k = Keyword::new(&kw);
            let t = TextWords::new(&joined);
            proptest::prop_assert_eq!(k.matches(&t), k.occurs_in(&words(&joined)));
        }
    }

    #[test]
    fn routing_order() {
        let r = Router {
            categories: vec![
                CategoryRule {
                    code: "HSG".into(),
                    group: Some("HOUSING".into()),
                    keywords: vec!["heating".into(), "water".into()],
                },
                CategoryRule {
                    code: "SOC".into(),
                    group: Some("SOCIAL".into()),
                    keywords: vec!["pension".into()],
                },
                CategoryRule {
                    code: "GEN".into(),
                    group: Some("FRONT".into()),
                    keywords: vec![],
                },
            ],
            routes: vec![RouteRule {
                keywords: vec!["gas leak".into()],
                category: Some("HSG".into()),
                group: Some("EMERGENCY".into()),
                priority: Some(Priority::Urgent),
            }],
            default_category: "GEN".into(),
        };
        let x = r.route("No heating", "and no hot water", None, None);
        assert_eq!(
            (x.category.as_str(), x.group.as_deref()),
            ("HSG", Some("HOUSING"))
        );
        assert_eq!(x.keyword.as_deref(), Some("heating"));
        let x = r.route("Pension and water", "pension again", None, None);
        // Tie on one hit each would go to the first declared; here HSG has 1, SOC has 1.
        assert_eq!(x.category, "HSG");
        let x = r.route("smell: gas leak", "", None, None);
        assert_eq!(
            (x.category.as_str(), x.group.as_deref()),
            ("HSG", Some("EMERGENCY"))
        );
        assert_eq!(x.priority, Some(Priority::Urgent));
        let x = r.route("hello", "", None, None);
        assert_eq!(
            (x.category.as_str(), x.group.as_deref(), x.keyword),
            ("GEN", Some("FRONT"), None)
        );
        let x = r.route("heating", "", Some("SOC"), None);
        assert_eq!(
            (x.category.as_str(), x.group.as_deref()),
            ("SOC", Some("SOCIAL"))
        );
        let x = r.route("heating", "", None, Some("FRONT"));
        assert_eq!(
            (x.category.as_str(), x.group.as_deref()),
            ("HSG", Some("FRONT"))
        );
    }

    #[test]
    fn a_given_ticket_follows_its_owner_into_their_group() {
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // In the ticket's group: it stays.
        assert_eq!(
            group_on_give(Some("HOUSING"), &g(&["HOUSING", "IT"]), None),
            None
        );
        // Not in it: the agent's group.
        assert_eq!(
            group_on_give(Some("HOUSING"), &g(&["IT"]), None),
            Some("IT".into())
        );
        assert_eq!(group_on_give(None, &g(&["IT"]), None), Some("IT".into()));
        // Chosen (the pane's group) and a member: that group.
        assert_eq!(
            group_on_give(Some("HOUSING"), &g(&["HOUSING", "IT"]), Some("IT")),
            Some("IT".into())
        );
        // Chosen but not a member: as if not chosen.
        assert_eq!(
            group_on_give(Some("HOUSING"), &g(&["HOUSING"]), Some("IT")),
            None
        );
        // An agent in no group: the ticket stays.
        assert_eq!(group_on_give(Some("HOUSING"), &[], None), None);
    }
}
