//! Ticket numbers in the database: the counter of each series (with the check algorithm fixed
//! at its first number), the allocator that gives intake its number, and the record of every
//! number a series skipped and why — the only gaps `desk check` accepts.
//!
//! A restore calls [`Store::counters`] before replacing the desk and [`Store::keep_counters`]
//! after, so a number a requester already holds is never given again.

use super::Store;
use super::check::Violation;
use crate::core::config::Config;
use crate::core::model::Actor;
use crate::core::numbering::{self, CheckAlgo, Layout, Parts, Template};
use crate::error::{Error, Message, Result};
use crate::msg;
use crate::store::db::{Connection, OptionalExtension, params};

/// Why a series skipped numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapReason {
    /// A backup older than the desk was restored: the numbers issued after it was taken stay
    /// given.
    Restore,
    /// The number existed already (in another series written the same way).
    Taken,
    /// Series written apart by an earlier desk were joined into one on upgrade.
    Upgrade,
}

impl GapReason {
    pub fn as_str(self) -> &'static str {
        match self {
            GapReason::Restore => "restore",
            GapReason::Taken => "taken",
            GapReason::Upgrade => "upgrade",
        }
    }

    fn parse(s: &str) -> Option<GapReason> {
        match s {
            "restore" => Some(GapReason::Restore),
            "taken" => Some(GapReason::Taken),
            "upgrade" => Some(GapReason::Upgrade),
            _ => None,
        }
    }
}

/// Numbers `first..=last` of a series that were skipped, when, by whom and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub at: i64,
    /// The login of who caused it ("desk" when the desk itself did).
    pub actor: String,
    /// The admin behind `--as`, if any.
    pub via: Option<String>,
    pub scope: String,
    pub first: i64,
    pub last: i64,
    pub reason: GapReason,
    pub detail: String,
}

/// Who a gap is recorded for.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub login: &'a str,
    pub via: Option<&'a str>,
}

impl<'a> Who<'a> {
    pub fn of(actor: &'a Actor) -> Who<'a> {
        Who {
            login: &actor.agent.login,
            via: actor.via.as_ref().map(|v| v.login.as_str()),
        }
    }

    pub fn desk() -> Who<'static> {
        Who {
            login: "desk",
            via: None,
        }
    }
}

/// A series' counter as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub scope: String,
    /// The last sequence value issued.
    pub last: i64,
    /// The check algorithm of the series (None: no number with a check character yet).
    pub algo: Option<String>,
    /// The template of its first number, where known.
    pub template: Option<String>,
}

/// Records that `first..=last` of `scope` were skipped.
#[allow(clippy::too_many_arguments)]
pub(crate) fn record_gap(
    conn: &Connection,
    who: Who<'_>,
    scope: &str,
    first: i64,
    last: i64,
    reason: GapReason,
    detail: &str,
    now: i64,
) -> rusqlite::Result<Gap> {
    conn.prepare_cached(
        "INSERT INTO number_gaps (at, actor, via, scope, first, last, reason, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        now,
        who.login,
        who.via,
        scope,
        first,
        last,
        reason.as_str(),
        detail
    ])?;
    Ok(Gap {
        at: now,
        actor: who.login.to_string(),
        via: who.via.map(str::to_string),
        scope: scope.to_string(),
        first,
        last,
        reason,
        detail: detail.to_string(),
    })
}

fn algo_col(scope: &str, algo: Option<String>) -> Result<Option<CheckAlgo>> {
    algo.map(|a| {
        a.parse::<CheckAlgo>()
            .map_err(|e| Error::Database(msg!("error.series_algo", series = scope, detail = e)))
    })
    .transpose()
}

/// The check algorithm recorded for a series, if it has one.
pub(crate) fn series_algo(conn: &Connection, scope: &str) -> rusqlite::Result<Option<CheckAlgo>> {
    let algo: Option<String> = conn
        .prepare_cached("SELECT algo FROM sequences WHERE scope = ?1")?
        .query_row([scope], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(algo.and_then(|a| a.parse().ok()))
}

/// How many numbers in a row may already exist before intake gives up (each is skipped and
/// recorded; only a configuration `desk config check` refuses can get here).
const MAX_TAKEN: usize = 1000;

/// A number given to a new ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Allocated {
    pub number: String,
    pub scope: String,
    pub seq: i64,
}

/// Takes the next number of the series `template` and `parts` make, inside the caller's
/// transaction: a new series records its check algorithm; a number that exists already in any
/// written form is skipped, and the skip recorded.
pub(crate) fn allocate(
    tx: &Connection,
    cfg: &Config,
    template: &Template,
    parts: &Parts<'_>,
    who: Who<'_>,
    now: i64,
) -> Result<Allocated> {
    let scope = template.scope(parts);
    let fresh = CheckAlgo::for_new_series(&scope, cfg.check);
    let (mut seq, algo): (i64, Option<String>) = tx
        .prepare_cached(
            "INSERT INTO sequences (scope, last, algo, template) VALUES (?1, 1, ?2, ?3)
             ON CONFLICT (scope) DO UPDATE SET last = sequences.last + 1,
                algo = coalesce(sequences.algo, excluded.algo),
                template = coalesce(sequences.template, excluded.template)
             RETURNING last, algo",
        )?
        .query_row(params![scope, fresh.as_str(), template.source()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let algo = algo_col(&scope, algo)?.unwrap_or(fresh);
    let mut taken: Option<(i64, String, String)> = None;
    for _ in 0..MAX_TAKEN {
        let number = template.render(parts, seq as u64, algo);
        let existing: Option<String> = tx
            .prepare_cached("SELECT number FROM tickets WHERE number_key = ?1")?
            .query_row([numbering::normalize(&number)], |r| r.get(0))
            .optional()?;
        let Some(existing) = existing else {
            if let Some((first, skipped, held)) = taken {
                let detail = format!("{skipped} is read as {held}, which exists");
                record_gap(
                    tx,
                    who,
                    &scope,
                    first,
                    seq - 1,
                    GapReason::Taken,
                    &detail,
                    now,
                )?;
            }
            return Ok(Allocated { number, scope, seq });
        };
        taken.get_or_insert((seq, number, existing));
        seq = tx
            .prepare_cached("UPDATE sequences SET last = last + 1 WHERE scope = ?1 RETURNING last")?
            .query_row([&scope], |r| r.get(0))?;
    }
    Err(Error::Invalid(crate::msg!(
        "number.exhausted",
        count = MAX_TAKEN,
        series = scope
    )))
}

/// Every counter of the desk.
pub(crate) fn counters(conn: &Connection) -> rusqlite::Result<Vec<Counter>> {
    let mut stmt =
        conn.prepare("SELECT scope, last, algo, template FROM sequences ORDER BY scope")?;
    let rows = stmt.query_map([], |r| {
        Ok(Counter {
            scope: r.get(0)?,
            last: r.get(1)?,
            algo: r.get(2)?,
            template: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// Raises every counter to at least the value it had in `before`, recording the numbers
/// skipped: after a restore of an older backup, no number already given is given again.
pub(crate) fn keep_counters(
    tx: &Connection,
    before: &[Counter],
    who: Who<'_>,
    detail: &str,
    now: i64,
) -> rusqlite::Result<Vec<Gap>> {
    let mut gaps = Vec::new();
    for c in before {
        let now_last: Option<i64> = tx
            .prepare_cached("SELECT last FROM sequences WHERE scope = ?1")?
            .query_row([&c.scope], |r| r.get(0))
            .optional()?;
        let from = now_last.unwrap_or(0);
        if from >= c.last {
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO sequences (scope, last, algo, template) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (scope) DO UPDATE SET last = excluded.last,
                algo = coalesce(sequences.algo, excluded.algo),
                template = coalesce(sequences.template, excluded.template)",
        )?
        .execute(params![c.scope, c.last, c.algo, c.template])?;
        gaps.push(record_gap(
            tx,
            who,
            &c.scope,
            from + 1,
            c.last,
            GapReason::Restore,
            detail,
            now,
        )?);
    }
    Ok(gaps)
}

/// Every recorded gap, oldest first.
pub(crate) fn gaps(conn: &Connection) -> rusqlite::Result<Vec<Gap>> {
    let mut stmt = conn.prepare(
        "SELECT at, actor, via, scope, first, last, reason, detail FROM number_gaps ORDER BY id",
    )?;
    let rows = stmt.query_map([], |r| {
        let reason: String = r.get(6)?;
        Ok(Gap {
            at: r.get(0)?,
            actor: r.get(1)?,
            via: r.get(2)?,
            scope: r.get(3)?,
            first: r.get(4)?,
            last: r.get(5)?,
            reason: GapReason::parse(&reason).unwrap_or(GapReason::Taken),
            detail: r.get(7)?,
        })
    })?;
    rows.collect()
}

impl Store {
    /// Every numbering counter, as it stands (a restore takes them before it replaces the
    /// desk).
    pub fn counters(&self) -> Result<Vec<Counter>> {
        counters(&self.conn).map_err(|e| self.err(e))
    }

    /// Raises the counters to at least `before` in one transaction, recording a gap for every
    /// series that moves (see `keep_counters`).
    pub fn keep_counters(
        &mut self,
        before: &[Counter],
        who: Who<'_>,
        detail: &str,
        now: i64,
    ) -> Result<Vec<Gap>> {
        self.write(|tx| keep_counters(tx, before, who, detail, now).map_err(Error::from))
    }

    /// Numbers already given that `cfg` would give again (up to `limit`).
    pub fn reissues(&self, cfg: &Config, limit: usize) -> Result<Vec<Reissue>> {
        reissues(&self.conn, cfg, limit).map_err(|e| self.err(e))
    }

    /// Refuses a configuration (from `origin`) whose templates can give one number twice, or
    /// give again a number this desk already gave, saying which with an example.
    pub fn numbering_fits(&self, cfg: &Config, origin: &str) -> Result<()> {
        let groups = self.group_codes()?;
        numbering_fits(cfg, &groups, origin)?;
        if let Some(r) = self.reissues(cfg, 1)?.into_iter().next() {
            return Err(Error::Invalid(crate::msg!(
                "number.reissue",
                config = origin,
                number = r.number,
                reading = r.reading,
                template = r.template,
            )));
        }
        Ok(())
    }

    /// The codes of the groups in the database.
    pub fn group_codes(&self) -> Result<Vec<String>> {
        group_codes(&self.conn).map_err(|e| self.err(e))
    }

    /// Every number a series skipped, with why.
    pub fn gaps(&self) -> Result<Vec<Gap>> {
        gaps(&self.conn).map_err(|e| self.err(e))
    }
}

// ---- upgrade from the series keys of earlier desks --------------------------------------------

/// Which algorithm the numbers of a series were issued with, judged from up to 64 of them:
/// the first of Damm and Luhn (over the digits, as earlier desks computed) that every checked
/// number satisfies; None when none of them has a check character.
fn judge_algo(samples: &[(String, String, i64)]) -> Option<CheckAlgo> {
    let checked: Vec<(String, char)> = samples
        .iter()
        .filter_map(
            |(scope, key, seq)| match numbering::layout(scope, *seq as u64, key) {
                Layout::Checked { payload, check } => Some((payload, check)),
                _ => None,
            },
        )
        .collect();
    if checked.is_empty() {
        return None;
    }
    [CheckAlgo::Damm, CheckAlgo::Luhn, CheckAlgo::Damm36]
        .into_iter()
        .find(|a| checked.iter().all(|(p, c)| a.accepts(p, *c)))
        .or(Some(CheckAlgo::Damm))
}

/// Migration 7's data step: series keys become letters and digits only (`HSG-2611-{seq}-` →
/// `HSG2611{seq}`), joining series that earlier desks kept apart only by separators, and each
/// series records the algorithm its numbers were issued with. Series that cannot be joined
/// (both gave the same sequence values) keep their old keys and numbers; the joined key's
/// counter starts above both, the numbers below recorded as skipped on upgrade.
pub(crate) fn upgrade_series(tx: &Connection) -> rusqlite::Result<()> {
    let mut scopes: Vec<(String, i64)> = {
        let mut stmt = tx.prepare("SELECT scope, last FROM sequences")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    {
        let mut stmt = tx.prepare(
            "SELECT scope, max(seq) FROM tickets
             WHERE scope NOT IN (SELECT scope FROM sequences) GROUP BY scope",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for r in rows {
            scopes.push(r?);
        }
    }
    let mut groups: std::collections::BTreeMap<String, Vec<(String, i64)>> = Default::default();
    for (scope, last) in scopes {
        groups
            .entry(numbering::series_key(&scope))
            .or_default()
            .push((scope, last));
    }
    let now = chrono::Utc::now().timestamp();
    for (key, members) in groups {
        let last = members.iter().map(|(_, l)| *l).max().unwrap_or(0);
        let olds: Vec<&str> = members.iter().map(|(s, _)| s.as_str()).collect();
        let marks = vec!["?"; olds.len()].join(", ");
        let samples: Vec<(String, String, i64)> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT scope, number_key, seq FROM tickets WHERE scope IN ({marks})
                 ORDER BY seq DESC LIMIT 64"
            ))?;
            let rows = stmt.query_map(crate::store::db::params_from_iter(&olds), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let algo = judge_algo(&samples).map(CheckAlgo::as_str);
        let clashes: i64 = if olds.len() < 2 {
            0
        } else {
            tx.query_row(
                &format!(
                    "SELECT count(*) FROM (SELECT seq FROM tickets WHERE scope IN ({marks})
                     GROUP BY seq HAVING count(DISTINCT scope) > 1) AS clash"
                ),
                crate::store::db::params_from_iter(&olds),
                |r| r.get(0),
            )?
        };
        if clashes == 0 {
            for old in olds.iter().filter(|o| **o != key) {
                tx.execute(
                    "UPDATE tickets SET scope = ?1 WHERE scope = ?2",
                    params![key, old],
                )?;
                tx.execute("DELETE FROM sequences WHERE scope = ?1", [old])?;
            }
        } else {
            // The old series keep their keys (and their numbers, checked as they are); the
            // joined one continues above all of them.
            tx.execute(
                &format!("UPDATE sequences SET algo = ?1 WHERE scope IN ({marks})"),
                crate::store::db::params_from_iter(
                    std::iter::once(algo.unwrap_or("damm")).chain(olds.iter().copied()),
                ),
            )?;
            let own = members
                .iter()
                .find(|(s, _)| *s == key)
                .map(|(_, l)| *l)
                .unwrap_or(0);
            if own < last {
                let detail = format!(
                    "series {} were numbered apart by an earlier desk and keep their numbers",
                    olds.join(", ")
                );
                record_gap(
                    tx,
                    Who::desk(),
                    &key,
                    own + 1,
                    last,
                    GapReason::Upgrade,
                    &detail,
                    now,
                )?;
            }
        }
        tx.execute(
            "INSERT INTO sequences (scope, last, algo) VALUES (?1, ?2, ?3)
             ON CONFLICT (scope) DO UPDATE SET last = excluded.last, algo = excluded.algo",
            params![key, last, algo],
        )?;
    }
    Ok(())
}

// ---- checks --------------------------------------------------------------------------------

/// A number already given that a configuration would give again, read another way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reissue {
    /// The number as it was given.
    pub number: String,
    /// The template that would give it again.
    pub template: String,
    /// How that template writes it.
    pub reading: String,
    pub scope: String,
    pub seq: u64,
}

/// The recorded algorithm of every series.
fn algos(conn: &Connection) -> rusqlite::Result<std::collections::HashMap<String, CheckAlgo>> {
    let mut stmt = conn.prepare("SELECT scope, algo FROM sequences WHERE algo IS NOT NULL")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = std::collections::HashMap::new();
    for r in rows {
        let (scope, algo) = r?;
        if let Ok(a) = algo.parse() {
            out.insert(scope, a);
        }
    }
    Ok(out)
}

fn group_codes(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT code FROM groups ORDER BY code")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    rows.collect()
}

/// Numbers already given that `cfg`'s templates would give again — read as another series or
/// another sequence value, with a right check character — up to `limit` of them.
pub(crate) fn reissues(
    conn: &Connection,
    cfg: &Config,
    limit: usize,
) -> rusqlite::Result<Vec<Reissue>> {
    let known = algos(conn)?;
    let known = |scope: &str| known.get(scope).copied();
    let grammars = cfg.plan_grammars(&group_codes(conn)?);
    let mut out = Vec::new();
    let mut stmt = conn.prepare("SELECT number, number_key, scope, seq FROM tickets")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (number, key, scope, seq): (String, String, String, i64) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let series = numbering::series_key(&scope);
        for g in &grammars {
            for p in g.readings(&key, &known) {
                if p.scope != series || p.seq != seq as u64 {
                    out.push(Reissue {
                        number: number.clone(),
                        template: g.templates[0].source().to_string(),
                        reading: p.canonical,
                        scope: p.scope,
                        seq: p.seq,
                    });
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `a–b, c` for sorted ranges.
fn ranges(rs: &[(i64, i64)]) -> String {
    rs.iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}–{b}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `first..=last` without the recorded gaps.
fn unexplained(first: i64, last: i64, gaps: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut at = first;
    for &(a, b) in gaps {
        if b < at || a > last {
            continue;
        }
        if a > at {
            out.push((at, a - 1));
        }
        at = at.max(b + 1);
    }
    if at <= last {
        out.push((at, last));
    }
    out
}

/// `desk check`'s numbering part: every number read back against its series and checked with
/// the series' algorithm; every series gave exactly its numbers, except where a record says
/// why one was skipped; the configuration cannot give a number twice.
pub(crate) fn check(conn: &Connection, cfg: &Config) -> rusqlite::Result<Vec<Violation>> {
    let mut v = Vec::new();
    let mut counters: std::collections::BTreeMap<String, Counter> = counters(conn)?
        .into_iter()
        .map(|c| (c.scope.clone(), c))
        .collect();
    let mut skipped: std::collections::HashMap<String, Vec<(i64, i64)>> = Default::default();
    for g in gaps(conn)? {
        skipped.entry(g.scope).or_default().push((g.first, g.last));
    }
    for s in skipped.values_mut() {
        s.sort_unstable();
    }
    let no_gaps = Vec::new();
    let series_done = |scope: &str, next: i64, last: i64, v: &mut Vec<Violation>| {
        let holes = unexplained(next, last, skipped.get(scope).unwrap_or(&no_gaps));
        if !holes.is_empty() {
            v.push(Violation::said(
                None,
                "number.check.gap",
                vec![("series", scope.to_string()), ("numbers", ranges(&holes))],
            ));
        }
    };
    let mut stmt =
        conn.prepare("SELECT scope, seq, number, number_key FROM tickets ORDER BY scope, seq")?;
    let mut rows = stmt.query([])?;
    // The series being read, the next sequence value expected in it, and its counter.
    let mut current: Option<(String, i64, Option<Counter>)> = None;
    while let Some(r) = rows.next()? {
        let (scope, seq, number, key): (String, i64, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        if current.as_ref().is_none_or(|(s, _, _)| *s != scope) {
            if let Some((s, next, Some(c))) = current.take() {
                series_done(&s, next, c.last, &mut v);
            }
            let counter = counters.remove(&scope);
            if counter.is_none() {
                v.push(Violation::said(
                    Some(number.clone()),
                    "number.check.no_series",
                    vec![("series", scope.clone())],
                ));
            }
            current = Some((scope.clone(), 1, counter));
        }
        let Some((_, next, counter)) = current.as_mut() else {
            continue;
        };
        if seq > *next {
            let holes = unexplained(*next, seq - 1, skipped.get(&scope).unwrap_or(&no_gaps));
            if !holes.is_empty() {
                v.push(Violation::said(
                    None,
                    "number.check.gap",
                    vec![("series", scope.clone()), ("numbers", ranges(&holes))],
                ));
            }
        }
        *next = seq + 1;
        let gaps = skipped.get(&scope).unwrap_or(&no_gaps);
        one_number(&mut v, (&scope, seq), &number, &key, counter.as_ref(), gaps);
    }
    if let Some((s, next, Some(c))) = current.take() {
        series_done(&s, next, c.last, &mut v);
    }
    // Series that gave numbers none of which is left.
    for c in counters.values() {
        series_done(&c.scope, 1, c.last, &mut v);
    }
    let groups = group_codes(conn)?;
    if let Some(c) = cfg.number_collision(&groups) {
        v.push(collision_violation(&c));
    }
    for r in reissues(conn, cfg, 20)? {
        v.push(Violation::said(
            Some(r.number),
            "number.check.reissue",
            vec![
                ("template", r.template),
                ("reading", r.reading),
                ("series", r.scope),
                ("seq", r.seq.to_string()),
            ],
        ));
    }
    Ok(v)
}

/// What is wrong with one number of the series `scope` (its sequence value `seq`): given
/// past its counter or out of a gap recorded as skipped, a search key that is not its own, a
/// check character its series' algorithm refuses.
fn one_number(
    v: &mut Vec<Violation>,
    (scope, seq): (&str, i64),
    number: &str,
    key: &str,
    counter: Option<&Counter>,
    skipped: &[(i64, i64)],
) {
    let said = |what: &'static str, args: Vec<(&'static str, String)>| {
        Violation::said(Some(number.to_string()), what, args)
    };
    if let Some(c) = counter {
        if seq > c.last {
            v.push(said(
                "number.check.ahead",
                vec![
                    ("series", scope.to_string()),
                    ("seq", seq.to_string()),
                    ("last", c.last.to_string()),
                ],
            ));
        }
        if skipped.iter().any(|(a, b)| (*a..=*b).contains(&seq)) {
            v.push(said(
                "number.check.skipped_given",
                vec![("series", scope.to_string()), ("seq", seq.to_string())],
            ));
        }
    }
    if numbering::normalize(number) != key {
        v.push(said("number.check.key", vec![("key", key.to_string())]));
    }
    let algo = counter.and_then(|c| c.algo.as_deref());
    match numbering::layout(scope, seq as u64, key) {
        Layout::Plain => {}
        Layout::Foreign => v.push(said(
            "number.check.foreign",
            vec![("series", scope.to_string()), ("seq", seq.to_string())],
        )),
        Layout::Checked { payload, check } => {
            match algo.and_then(|a| a.parse::<CheckAlgo>().ok()) {
                Some(a) if a.accepts(&payload, check) => {}
                Some(a) => v.push(said(
                    "number.check.bad_check",
                    vec![
                        ("series", scope.to_string()),
                        ("algo", a.as_str().to_string()),
                    ],
                )),
                None => v.push(said(
                    "number.check.no_algo",
                    vec![("series", scope.to_string())],
                )),
            }
        }
    }
}

/// Refuses a configuration whose templates can give one number twice (`groups`: the groups
/// its numbers may hold).
pub fn numbering_fits(cfg: &Config, groups: &[String], origin: &str) -> Result<()> {
    match cfg.number_collision(groups) {
        Some(c) => {
            let mut args = collision_args(&c);
            args.push(("config", origin.to_string()));
            Err(Error::Invalid(Message::text("number.collision_in", args)))
        }
        None => Ok(()),
    }
}

/// A collision of templates, said as a violation.
pub(crate) fn collision_violation(c: &numbering::collision::Collision) -> Violation {
    Violation::said(None, "number.collision", collision_args(c))
}

/// The values of `number.collision`.
pub fn collision_args(c: &numbering::collision::Collision) -> Vec<(&'static str, String)> {
    vec![
        ("first_template", c.first.template.clone()),
        ("second_template", c.second.template.clone()),
        ("first", c.first.number.clone()),
        ("second", c.second.number.clone()),
    ]
}
