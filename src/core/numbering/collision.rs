//! Whether a configuration's templates can render the same number twice.
//!
//! desk reads numbers tolerantly (case, separators), so two numbers collide when their
//! normalised keys are equal. Each template, with the codes it may hold, is an automaton over
//! `0-9A-Z` whose every step says which part of the number it reads: the sequence, the check
//! character, or the rest. Two renderings of one text are the same number exactly when they
//! read the sequence and the check at the same places (the rest then spells the same series
//! key, so they are the same series and the same sequence value). The product of two automata
//! finds, by breadth-first search, the shortest text both accept while reading some character
//! differently: a collision, with an example. Template pairs and each template with itself are
//! tried, since two category codes of one template can collide too (`A` and `A1` with
//! `{cat}-{seq:2}`: `A-105` and `A1-05`).
//!
//! The automata over-approximate a little (years 2000-2099, months 00-19, days 00-39, any check
//! character): a configuration is refused if a collision is possible within that, never
//! accepted when one is possible in fact.

use super::{Template, Token, normalize};
use std::collections::{HashMap, VecDeque};

/// Which part of a number a character belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Seq,
    Check,
    Other,
}

#[derive(Debug, Clone)]
struct Edge {
    /// The characters accepted: bit i for the i-th of `0-9A-Z`.
    mask: u64,
    to: usize,
    role: Role,
    /// The template token this character belongs to.
    token: usize,
}

#[derive(Debug, Default)]
struct Nfa {
    edges: Vec<Vec<Edge>>,
    eps: Vec<Vec<usize>>,
    accept: usize,
}

const DIGITS: u64 = (1 << 10) - 1;
const ALNUM: u64 = (1 << 36) - 1;

fn bit(c: char) -> u64 {
    match super::checksum::base36_value(c) {
        Some(v) => 1 << v,
        None => 0,
    }
}

fn range(from: char, to: char) -> u64 {
    (from..=to).map(bit).fold(0, |a, b| a | b)
}

impl Nfa {
    fn state(&mut self) -> usize {
        self.edges.push(Vec::new());
        self.eps.push(Vec::new());
        self.edges.len() - 1
    }

    fn edge(&mut self, from: usize, mask: u64, role: Role, token: usize) -> usize {
        let to = self.state();
        self.edges[from].push(Edge {
            mask,
            to,
            role,
            token,
        });
        to
    }

    /// One state reached from every state of `frontier`.
    fn join(&mut self, frontier: &[usize]) -> usize {
        let j = self.state();
        for &f in frontier {
            self.eps[f].push(j);
        }
        j
    }

    fn chain(&mut self, from: usize, masks: &[u64], role: Role, token: usize) -> usize {
        masks
            .iter()
            .fold(from, |at, &m| self.edge(at, m, role, token))
    }

    fn text(&mut self, from: usize, text: &str, token: usize) -> usize {
        let masks: Vec<u64> = normalize(text).chars().map(bit).collect();
        self.chain(from, &masks, Role::Other, token)
    }

    /// The automaton of `template` holding one of `cats` and one of `groups`.
    fn build(template: &Template, prefix: &str, cats: &[String], groups: &[String]) -> Nfa {
        let mut n = Nfa::default();
        let start = n.state();
        let mut frontier = vec![start];
        let letters = template.tokens().iter().any(|t| match t {
            Token::Lit(l) => l.chars().any(|c| c.is_ascii_alphabetic()),
            Token::Prefix => prefix.chars().any(|c| c.is_ascii_alphabetic()),
            Token::Cat => cats
                .iter()
                .any(|c| c.chars().any(|c| c.is_ascii_alphabetic())),
            Token::Group => groups
                .iter()
                .any(|c| c.chars().any(|c| c.is_ascii_alphabetic())),
            _ => false,
        });
        for (i, t) in template.tokens().iter().enumerate() {
            let j = n.join(&frontier);
            frontier = match t {
                Token::Lit(l) => vec![n.text(j, l, i)],
                Token::Prefix => vec![n.text(j, prefix, i)],
                Token::Cat | Token::Group => {
                    let codes = if *t == Token::Cat { cats } else { groups };
                    codes.iter().map(|c| n.text(j, c, i)).collect()
                }
                Token::Yyyy => {
                    let d = DIGITS;
                    vec![n.chain(j, &[bit('2'), bit('0'), d, d], Role::Other, i)]
                }
                Token::Yy => vec![n.chain(j, &[DIGITS, DIGITS], Role::Other, i)],
                Token::Mm => vec![n.chain(j, &[range('0', '1'), DIGITS], Role::Other, i)],
                Token::Dd => vec![n.chain(j, &[range('0', '3'), DIGITS], Role::Other, i)],
                Token::Seq(w) => {
                    // Exactly the width, or longer without a leading zero.
                    let mut ends = Vec::new();
                    if *w > 0 {
                        ends.push(n.chain(j, &vec![DIGITS; *w], Role::Seq, i));
                    }
                    let first = n.edge(j, range('1', '9'), Role::Seq, i);
                    let longer = n.chain(first, &vec![DIGITS; *w], Role::Seq, i);
                    n.edges[longer].push(Edge {
                        mask: DIGITS,
                        to: longer,
                        role: Role::Seq,
                        token: i,
                    });
                    ends.push(longer);
                    ends
                }
                Token::Check => {
                    let mask = if letters { ALNUM } else { DIGITS };
                    vec![n.edge(j, mask, Role::Check, i)]
                }
            };
        }
        n.accept = n.join(&frontier);
        n
    }
}

/// One template's reading of a colliding text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The template's source.
    pub template: String,
    /// The number as this template writes it.
    pub number: String,
}

/// Two different numbers that desk would read as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    /// The text both normalise to.
    pub key: String,
    pub first: Reading,
    pub second: Reading,
}

/// A template with the codes it is used with.
#[derive(Debug, Clone)]
pub struct Plan {
    pub template: Template,
    /// The category codes numbered with this template.
    pub cats: Vec<String>,
}

/// The first collision between the templates of `plans` (each with itself included), or None
/// when no two different numbers they can render read the same.
pub fn find(plans: &[Plan], prefix: &str, groups: &[String]) -> Option<Collision> {
    let nfas: Vec<Nfa> = plans
        .iter()
        .map(|p| Nfa::build(&p.template, prefix, &p.cats, groups))
        .collect();
    for i in 0..plans.len() {
        for j in i..plans.len() {
            if let Some((key, a, b)) = product(&nfas[i], &nfas[j]) {
                let reading = |p: &Plan, chars: &[(char, usize)]| Reading {
                    template: p.template.source().to_string(),
                    number: spell(&p.template, prefix, chars),
                };
                return Some(Collision {
                    key,
                    first: reading(&plans[i], &a),
                    second: reading(&plans[j], &b),
                });
            }
        }
    }
    None
}

/// Writes a template's reading: each character with the token it belongs to, literals as
/// written in the template.
fn spell(t: &Template, prefix: &str, chars: &[(char, usize)]) -> String {
    let mut out = String::new();
    for (i, token) in t.tokens().iter().enumerate() {
        match token {
            Token::Lit(l) => out.push_str(l),
            Token::Prefix => out.push_str(prefix),
            _ => out.extend(chars.iter().filter(|(_, k)| *k == i).map(|(c, _)| *c)),
        }
    }
    out
}

type Found = (String, Vec<(char, usize)>, Vec<(char, usize)>);

/// How a product state was reached: the previous state and the character read (with the
/// tokens of both sides), or None for an empty step.
type Step = (usize, Option<(char, usize, usize)>);

/// The shortest text both automata accept while reading some character differently.
fn product(a: &Nfa, b: &Nfa) -> Option<Found> {
    let nb = b.edges.len();
    let index = |qa: usize, qb: usize, d: bool| (qa * nb + qb) * 2 + usize::from(d);
    let mut seen: HashMap<usize, Step> = HashMap::new();
    let start = index(0, 0, false);
    seen.insert(start, (start, None));
    let mut queue = VecDeque::from([(0usize, 0usize, false)]);
    while let Some((qa, qb, d)) = queue.pop_front() {
        let here = index(qa, qb, d);
        if qa == a.accept && qb == b.accept && d {
            return Some(trace(&seen, here));
        }
        let mut next = |qa2: usize, qb2: usize, d2: bool, via: Option<(char, usize, usize)>| {
            if let std::collections::hash_map::Entry::Vacant(v) = seen.entry(index(qa2, qb2, d2)) {
                v.insert((here, via));
                queue.push_back((qa2, qb2, d2));
            }
        };
        for &e in &a.eps[qa] {
            next(e, qb, d, None);
        }
        for &e in &b.eps[qb] {
            next(qa, e, d, None);
        }
        for ea in &a.edges[qa] {
            for eb in &b.edges[qb] {
                let common = ea.mask & eb.mask;
                if common != 0 {
                    next(
                        ea.to,
                        eb.to,
                        d || ea.role != eb.role,
                        Some((pick(common), ea.token, eb.token)),
                    );
                }
            }
        }
    }
    None
}

/// A readable character of a set: the smallest, but a digit 1 rather than 0 where it may.
fn pick(mask: u64) -> char {
    let v = if mask & 0b10 != 0 {
        1
    } else {
        mask.trailing_zeros() as u8
    };
    super::checksum::base36_char(v)
}

fn trace(seen: &HashMap<usize, Step>, mut at: usize) -> Found {
    let mut steps = Vec::new();
    while let Some(&(prev, via)) = seen.get(&at) {
        if let Some(v) = via {
            steps.push(v);
        }
        if prev == at {
            break;
        }
        at = prev;
    }
    steps.reverse();
    let key = steps.iter().map(|(c, _, _)| *c).collect();
    let a = steps.iter().map(|(c, t, _)| (*c, *t)).collect();
    let b = steps.iter().map(|(c, _, t)| (*c, *t)).collect();
    (key, a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(source: &str, cats: &[&str]) -> Plan {
        Plan {
            template: Template::parse(source).expect("valid template"),
            cats: cats.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn groups() -> Vec<String> {
        vec!["FRONT".into(), "HOUSING".into()]
    }

    fn collide(plans: &[Plan]) -> Option<Collision> {
        find(plans, "REQ", &groups())
    }

    #[test]
    fn the_default_configuration_cannot_collide() {
        let cats = ["GEN", "HSG", "SOC", "DOC", "CMP"];
        assert_eq!(
            collide(&[plan("{cat}-{yy}{mm}-{seq:5}-{check}", &cats)]),
            None
        );
        assert_eq!(
            collide(&[
                plan("{cat}-{yy}{mm}-{seq:5}-{check}", &["GEN", "HSG"]),
                plan("SRV-{yyyy}-{seq:3}", &["SOC"]),
            ]),
            None
        );
        assert_eq!(collide(&[plan("{yyyy}{mm}{seq:4}{check}", &["A"])]), None);
    }

    #[test]
    fn codes_a_and_a1_collide_within_one_template() {
        let c = collide(&[plan("{cat}-{seq:2}", &["A", "A1"])]).expect("a collision");
        assert_eq!(normalize(&c.first.number), c.key);
        assert_eq!(normalize(&c.second.number), c.key);
        assert_ne!(c.first.number, c.second.number);
        let mut both = [c.first.number.clone(), c.second.number.clone()];
        both.sort();
        assert_eq!(both, ["A-111", "A1-11"]);
    }

    #[test]
    fn a_yearly_series_beside_its_twin_without_a_dash_collides() {
        let c = collide(&[
            plan("SRV-{yyyy}-{seq:3}", &["SOC"]),
            plan("SRV{yyyy}-{seq:3}", &["HSG"]),
        ]);
        // Same key and layout: one series, not a collision (they share its counter).
        assert_eq!(c, None);
        let c = collide(&[
            plan("SRV-{yyyy}-{seq:3}", &["SOC"]),
            plan("SRV{yy}-{seq:5}", &["HSG"]),
        ])
        .expect("SRV2026001 vs SRV20 26001");
        assert_eq!(normalize(&c.first.number), normalize(&c.second.number));
    }

    #[test]
    fn a_check_character_where_another_template_has_a_digit_collides() {
        let c = collide(&[plan("X{seq:3}", &["A"]), plan("X{seq:3}{check}", &["B"])])
            .expect("X1234 is sequence 1234 and sequence 123 with check 4");
        assert_eq!(c.key.len(), 5);
    }

    #[test]
    fn separators_and_padding_alone_never_collide() {
        assert_eq!(
            collide(&[
                plan("{cat}-{yy}{mm}-{seq:5}-{check}", &["HSG"]),
                plan("{cat}-{yy}{mm}-{seq:5}{check}", &["HSG"]),
                plan("{cat}/{yy}{mm}/{seq:4}/{check}", &["HSG"]),
            ]),
            None
        );
    }
}
