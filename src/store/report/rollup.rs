//! The report's days (`report_days`, schema V22): what a report counts of each ticket, kept
//! per calendar day of the desk's zone so that a year's report reads a few hundred rows
//! instead of a million tickets (issue 17).
//!
//! Every figure is derived from a ticket's row of facts alone (and the `[sla]` targets), by
//! [`contributions`]: a ticket adds one to its creation day's `received` rows and, once
//! finished, one to its finishing day's `finished` rows — its group's own row (`dim` '') and
//! one row per breakdown (category, agent, channel, priority) — with its additive figures:
//! time in each status, the current stretch (how many, and the sum of their starts, so a
//! report adds its own now), the first response and resolution as histograms (the bucket
//! holding a quantile is then read exactly from the facts' duration indexes) and whether they
//! met the target, outcomes, ratings, refusal reasons.
//!
//! [`Pending::keep`] is called wherever a row of facts is written (`sla::store_figures`, the
//! one place, in the transaction of the change): it subtracts the old row's contributions and
//! adds the new one's, and [`Pending::write`] writes the rows so changed once (an import sums
//! all its tickets' before it writes). The rows are valid while `meta.rollups` holds [`fingerprint`] — the zone their
//! days were cut in and the `[sla]` settings their targets came from. A writer under other
//! settings invalidates them (it cannot keep them); a report finding them invalid rebuilds
//! them from the facts ([`rebuild`]) when it can write, and otherwise computes from the facts.
//! `desk check` compares them with a fresh aggregation of the facts ([`differences`]).

use crate::core::config::Config;
use crate::core::model::Priority;
use crate::store::db::{Connection, OptionalExtension, params};
use crate::store::sla::{decode_owner_changes, decode_status_secs};
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// The `meta` key that says under which settings the rows were built.
pub(crate) const META: &str = "rollups";

pub(crate) const RECEIVED: &str = "received";
pub(crate) const FINISHED: &str = "finished";
/// Tickets' owner changes from one agent to another (schema V24), on the day they happened:
/// on this side `tickets` holds how many changes (an undo counts -1), and the figure
/// [`name::REASSIGNED_TICKETS`] how many tickets' changes of the day came to more than none.
pub(crate) const REASSIGNED: &str = "reassigned";

/// The mark (before the fingerprint in `meta.rollups`) of days built before schema V24, which
/// lack the reassignments' rows: the first writer or report under the same settings adds them.
const BEFORE_V24: &str = "v23:";

/// The breakdowns kept besides a group's own row, as `dim` values.
pub(crate) const DIMS: [&str; 4] = ["category", "agent", "channel", "priority"];

/// One ticket's row of facts, as reports read it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Fact {
    pub created_at: i64,
    pub resolved_at: Option<i64>,
    pub category: String,
    pub group_code: Option<String>,
    pub assignee: Option<String>,
    pub channel: String,
    pub priority: i64,
    pub outcome: Option<String>,
    pub refusal: Option<String>,
    pub satisfaction: Option<i64>,
    pub first_response_secs: Option<i64>,
    pub first_response_due: Option<i64>,
    pub resolution_secs: Option<i64>,
    pub status_secs: String,
    pub status: String,
    pub status_since: Option<i64>,
    /// Its owner changes (`sla::owner_changes`): when, who passed it on, undone or not.
    pub reassigned: Option<String>,
}

/// The columns of `facts` a [`Fact`] is read from, in [`Fact::read`]'s order.
pub(crate) const FACT_COLUMNS: &str = "created_at, resolved_at, category, group_code, assignee,
    channel, priority, outcome, refusal, satisfaction, first_response_secs, first_response_due,
    resolution_secs, status_secs, status, status_since, reassigned";

impl Fact {
    pub(crate) fn read(r: &crate::store::db::Row<'_>, at: usize) -> rusqlite::Result<Fact> {
        Ok(Fact {
            created_at: r.get(at)?,
            resolved_at: r.get(at + 1)?,
            category: r.get(at + 2)?,
            group_code: r.get(at + 3)?,
            assignee: r.get(at + 4)?,
            channel: r.get(at + 5)?,
            priority: r.get(at + 6)?,
            outcome: r.get(at + 7)?,
            refusal: r.get(at + 8)?,
            satisfaction: r.get(at + 9)?,
            first_response_secs: r.get(at + 10)?,
            first_response_due: r.get(at + 11)?,
            resolution_secs: r.get(at + 12)?,
            status_secs: r.get(at + 13)?,
            status: r.get(at + 14)?,
            status_since: r.get(at + 15)?,
            reassigned: r.get(at + 16)?,
        })
    }

    /// The ticket's value of a breakdown (`dim` '' for none), as stored.
    fn value(&self, dim: &str) -> String {
        match dim {
            "category" => self.category.clone(),
            "agent" => self.assignee.clone().unwrap_or_default(),
            "channel" => self.channel.clone(),
            "priority" => self.priority.to_string(),
            _ => String::new(),
        }
    }
}

/// A row of `report_days`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub day: i64,
    pub side: &'static str,
    pub group: String,
    pub dim: &'static str,
    pub value: String,
}

/// A row's figures: how many tickets, and named counts (none zero).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Cell {
    pub tickets: i64,
    pub figures: BTreeMap<String, i64>,
}

impl Cell {
    fn add(&mut self, other: &Cell, sign: i64) {
        self.tickets += sign * other.tickets;
        for (k, v) in &other.figures {
            self.bump(k, sign * v);
        }
    }

    pub(crate) fn bump(&mut self, name: &str, by: i64) {
        if by == 0 {
            return;
        }
        match self.figures.get_mut(name) {
            Some(n) => {
                *n += by;
                if *n == 0 {
                    self.figures.remove(name);
                }
            }
            None => {
                self.figures.insert(name.to_string(), by);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.tickets == 0 && self.figures.is_empty()
    }
}

/// A calendar day as stored: days since 0001-01-01.
pub(crate) fn day_number(d: NaiveDate) -> i64 {
    use chrono::Datelike;
    i64::from(d.num_days_from_ce())
}

/// The day of an instant in the desk's zone, as stored.
fn day_of(at: i64) -> i64 {
    day_number(crate::time::date(at))
}

/// The histogram's bucket bounds: bucket `b ≥ 1` holds the durations in
/// `[BOUNDS[b-1], BOUNDS[b])`, eight buckets to a doubling (each about 9% wide); bucket 0
/// holds zero and anything below.
fn bounds() -> &'static [i64] {
    static B: OnceLock<Vec<i64>> = OnceLock::new();
    B.get_or_init(|| {
        (0..=8 * DOUBLINGS)
            .map(|k| 2f64.powf(f64::from(k) / 8.0).ceil() as i64)
            .collect()
    })
}

/// How many doublings the buckets cover (2⁴⁰ seconds: all a duration can be).
const DOUBLINGS: i32 = 40;

/// The highest bucket.
pub(crate) const BUCKETS: usize = 8 * DOUBLINGS as usize + 1;

/// The histogram bucket of a duration.
pub(crate) fn bucket(secs: i64) -> i64 {
    bounds().partition_point(|b| *b <= secs) as i64
}

/// The durations bucket `b` holds: `[lo, hi)`.
pub(crate) fn bucket_range(b: i64) -> (i64, i64) {
    let bs = bounds();
    let at = |i: i64| usize::try_from(i).ok().and_then(|i| bs.get(i)).copied();
    let lo = if b <= 0 {
        i64::MIN
    } else {
        at(b - 1).unwrap_or(i64::MAX)
    };
    let hi = at(b).unwrap_or(i64::MAX);
    (lo, hi)
}

/// Figure names. A status, an outcome or a reason follows its prefix.
pub(crate) mod name {
    /// First responses given, by histogram bucket.
    pub const FR_BUCKET: &str = "fh:";
    /// First responses given with a target, and within it.
    pub const FR_WITH: &str = "fw";
    pub const FR_WITHIN: &str = "fi";
    /// First responses still awaited that have a due time.
    pub const FR_AWAITED: &str = "fa";
    /// Resolutions, by bucket; with a target; within it.
    pub const RES_BUCKET: &str = "rh:";
    pub const RES_WITH: &str = "rw";
    pub const RES_WITHIN: &str = "ri";
    /// Settled seconds in a status.
    pub const STATUS: &str = "s:";
    /// Tickets in a status now, and the sum of the instants they entered it.
    pub const CURRENT: &str = "c:";
    pub const CURRENT_SINCE: &str = "t:";
    pub const OUTCOME: &str = "o:";
    /// Ratings by score.
    pub const RATING: &str = "g:";
    /// Refusal reasons (in a group's own row only).
    pub const REASON: &str = "x:";
    /// Tickets whose owner changes of the day came to more than none (`reassigned` side).
    pub const REASSIGNED_TICKETS: &str = "n";
    /// Owner changes by the agent who passed the ticket on, an undo counted -1 (`reassigned`
    /// side, in a group's own row only).
    pub const PASSED: &str = "p:";
}

/// Adds a ticket's `cell` to its rows of a day and side: its group's own row (with the
/// figures `own` kept there only) and one per breakdown.
fn add_rows(
    out: &mut BTreeMap<Key, Cell>,
    f: &Fact,
    (day, side): (i64, &'static str),
    cell: &Cell,
    own: &[(String, i64)],
    sign: i64,
) {
    for dim in std::iter::once("").chain(DIMS) {
        let key = Key {
            day,
            side,
            group: f.group_code.clone().unwrap_or_default(),
            dim,
            value: f.value(dim),
        };
        let row = out.entry(key).or_default();
        row.add(cell, sign);
        if dim.is_empty() {
            for (name, n) in own {
                row.bump(name, sign * n);
            }
        }
    }
}

/// What one ticket adds to the report's days: each row it counts in and its figures there.
pub(crate) fn contributions(cfg: &Config, f: &Fact, out: &mut BTreeMap<Key, Cell>, sign: i64) {
    use name::*;
    let priority = Priority::from_rank(f.priority).unwrap_or(Priority::Normal);
    let targets = cfg.sla.targets(priority, &f.category);
    let mut r = Cell {
        tickets: 1,
        figures: BTreeMap::new(),
    };
    match f.first_response_secs {
        Some(secs) => {
            r.bump(&format!("{FR_BUCKET}{}", bucket(secs)), 1);
            if let Some(t) = targets.first_response {
                r.bump(FR_WITH, 1);
                r.bump(FR_WITHIN, i64::from(secs <= t));
            }
        }
        None if f.first_response_due.is_some() => r.bump(FR_AWAITED, 1),
        None => {}
    }
    for (st, secs) in decode_status_secs(&f.status_secs) {
        r.bump(&format!("{STATUS}{st}"), secs);
    }
    if let Some(since) = f.status_since {
        r.bump(&format!("{CURRENT}{}", f.status), 1);
        r.bump(&format!("{CURRENT_SINCE}{}", f.status), since);
    }
    add_rows(out, f, (day_of(f.created_at), RECEIVED), &r, &[], sign);
    if let Some(at) = f.resolved_at {
        let mut d = Cell {
            tickets: 1,
            figures: BTreeMap::new(),
        };
        if let Some(o) = &f.outcome {
            d.bump(&format!("{OUTCOME}{o}"), 1);
        }
        if let Some(secs) = f.resolution_secs {
            d.bump(&format!("{RES_BUCKET}{}", bucket(secs)), 1);
            if let Some(t) = targets.resolution {
                d.bump(RES_WITH, 1);
                d.bump(RES_WITHIN, i64::from(secs <= t));
            }
        }
        if let Some(score) = f
            .satisfaction
            .filter(|s| crate::core::rating::SCORES.contains(s))
        {
            d.bump(&format!("{RATING}{score}"), 1);
        }
        let reason: Vec<(String, i64)> = f
            .refusal
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(|r| (format!("{REASON}{r}"), 1))
            .into_iter()
            .collect();
        add_rows(out, f, (day_of(at), FINISHED), &d, &reason, sign);
    }
    reassigned_contributions(f, out, sign);
}

/// What a ticket's owner changes add to the report's days (the `reassigned` side).
fn reassigned_contributions(f: &Fact, out: &mut BTreeMap<Key, Cell>, sign: i64) {
    use name::*;
    // Its owner changes, by the day they happened: the steps (an undo takes one back), the
    // ticket once if they came to more than none that day, and who passed it on.
    if let Some(changes) = &f.reassigned {
        let mut days: BTreeMap<i64, (i64, BTreeMap<String, i64>)> = BTreeMap::new();
        decode_owner_changes(changes, |at, step, agent| {
            let (steps, agents) = days.entry(day_of(at)).or_default();
            *steps += step;
            match agents.get_mut(agent) {
                Some(n) => *n += step,
                None => {
                    agents.insert(agent.to_string(), step);
                }
            }
        });
        for (day, (steps, agents)) in days {
            let mut c = Cell {
                tickets: steps,
                figures: BTreeMap::new(),
            };
            c.bump(REASSIGNED_TICKETS, i64::from(steps > 0));
            let own: Vec<(String, i64)> = agents
                .into_iter()
                .map(|(a, n)| (format!("{PASSED}{a}"), n))
                .collect();
            add_rows(out, f, (day, REASSIGNED), &c, &own, sign);
        }
    }
}

/// A figure's name as stored: `%`, `;` and `=` escaped.
fn escape(name: &str, out: &mut String) {
    for c in name.chars() {
        match c {
            '%' => out.push_str("%25"),
            ';' => out.push_str("%3B"),
            '=' => out.push_str("%3D"),
            c => out.push(c),
        }
    }
}

fn unescape(name: &str) -> String {
    if !name.contains('%') {
        return name.to_string();
    }
    name.replace("%3B", ";")
        .replace("%3D", "=")
        .replace("%25", "%")
}

/// A row's figures as stored: `name=count;…`.
pub(crate) fn encode(figures: &BTreeMap<String, i64>) -> String {
    let mut s = String::new();
    for (k, v) in figures {
        if !s.is_empty() {
            s.push(';');
        }
        escape(k, &mut s);
        s.push('=');
        s.push_str(&v.to_string());
    }
    s
}

/// The figures stored as `name=count;…`, each given to `f` (a malformed part is skipped).
pub(crate) fn decode(s: &str, mut f: impl FnMut(&str, i64)) {
    for part in s.split(';') {
        if let Some((k, v)) = part.rsplit_once('=')
            && let Ok(v) = v.parse::<i64>()
        {
            if k.contains('%') {
                f(&unescape(k), v);
            } else {
                f(k, v);
            }
        }
    }
}

/// What the rows are valid under: the zone their days are cut in and the `[sla]` settings.
pub(crate) fn fingerprint(cfg: &Config) -> String {
    use sha2::{Digest, Sha256};
    let zone = match crate::time::zone() {
        crate::time::Zone::Named(tz) => tz.name().to_string(),
        // The host's zone has no name here: its midnights over the years stand for it.
        crate::time::Zone::Host => {
            let mut s = String::from("host");
            for y in (1990..=2050).step_by(4) {
                for m in [1, 4, 7, 10] {
                    if let Some(d) = NaiveDate::from_ymd_opt(y, m, 1) {
                        s.push_str(&format!(":{}", crate::time::day_start_of(d) % 86_400));
                    }
                }
            }
            s
        }
    };
    let mut h = Sha256::new();
    h.update(zone.as_bytes());
    h.update([0]);
    h.update(cfg.sla_fingerprint().as_bytes());
    h.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether the rows are valid for `cfg`.
pub(crate) fn valid(c: &Connection, cfg: &Config) -> rusqlite::Result<bool> {
    Ok(stored_fingerprint(c)?.is_some_and(|v| v == fingerprint(cfg)))
}

fn stored_fingerprint(c: &Connection) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([META], |r| r.get(0))
        .optional()
}

/// A ticket's row of facts, if it has one.
pub(crate) fn fact_of(c: &Connection, ticket: i64) -> rusqlite::Result<Option<Fact>> {
    c.prepare_cached(&format!(
        "SELECT {FACT_COLUMNS} FROM facts WHERE ticket_id = ?1"
    ))?
    .query_row([ticket], |r| Fact::read(r, 0))
    .optional()
}

/// Keeps the days in step with tickets' rows of facts about to change (inside the writer's
/// transaction), over one change or many (an import): whether the rows are valid is read
/// once, the tickets' contributions are summed in memory as they come, and each row touched
/// is written once, at the end ([`Pending::write`], before the commit). Under settings other
/// than the rows': they are invalidated.
pub(crate) struct Pending {
    valid: bool,
    delta: BTreeMap<Key, Cell>,
}

impl Pending {
    /// Under settings other than the rows': they are invalidated, and nothing is kept.
    pub(crate) fn new(c: &Connection, cfg: &Config) -> rusqlite::Result<Pending> {
        let fp = fingerprint(cfg);
        let valid = match stored_fingerprint(c)? {
            None => false,
            Some(stored) if stored == format!("{BEFORE_V24}{fp}") => {
                add_reassignments(c, &fp)?;
                true
            }
            Some(stored) if stored != fp => {
                c.prepare_cached("DELETE FROM meta WHERE key = ?1")?
                    .execute([META])?;
                false
            }
            Some(_) => true,
        };
        Ok(Pending {
            valid,
            delta: BTreeMap::new(),
        })
    }

    /// A ticket's row of facts about to become `new`: the old row's contributions taken
    /// off, the new one's added (called before it is written).
    pub(crate) fn keep(
        &mut self,
        c: &Connection,
        cfg: &Config,
        ticket: i64,
        new: &Fact,
    ) -> rusqlite::Result<()> {
        if !self.valid {
            return Ok(());
        }
        let old = fact_of(c, ticket)?;
        if old.as_ref() == Some(new) {
            return Ok(());
        }
        if let Some(old) = &old {
            contributions(cfg, old, &mut self.delta, -1);
        }
        contributions(cfg, new, &mut self.delta, 1);
        Ok(())
    }

    /// The row of facts of a ticket that had none (just registered): its contributions added.
    pub(crate) fn add(&mut self, cfg: &Config, new: &Fact) {
        if self.valid {
            contributions(cfg, new, &mut self.delta, 1);
        }
    }

    /// Writes what was summed: each row touched, once.
    pub(crate) fn write(self, c: &Connection) -> rusqlite::Result<()> {
        for (key, d) in self.delta.iter().filter(|(_, d)| !d.is_empty()) {
            apply(c, key, d)?;
        }
        Ok(())
    }
}

/// Adds `d` to one stored row.
fn apply(c: &Connection, key: &Key, d: &Cell) -> rusqlite::Result<()> {
    let now: Option<(i64, String)> = c
        .prepare_cached(
            "SELECT tickets, figures FROM report_days
             WHERE day = ?1 AND side = ?2 AND group_code = ?3 AND dim = ?4 AND value = ?5",
        )?
        .query_row(
            params![key.day, key.side, key.group, key.dim, key.value],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let mut cell = Cell::default();
    if let Some((tickets, figures)) = now {
        cell.tickets = tickets;
        decode(&figures, |k, v| cell.bump(k, v));
    }
    cell.add(d, 1);
    if cell.is_empty() {
        c.prepare_cached(
            "DELETE FROM report_days
             WHERE day = ?1 AND side = ?2 AND group_code = ?3 AND dim = ?4 AND value = ?5",
        )?
        .execute(params![key.day, key.side, key.group, key.dim, key.value])?;
    } else {
        upsert(c, key, &cell)?;
    }
    Ok(())
}

fn upsert(c: &Connection, key: &Key, cell: &Cell) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO report_days (day, side, group_code, dim, value, tickets, figures)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (day, side, group_code, dim, value)
         DO UPDATE SET tickets = excluded.tickets, figures = excluded.figures",
    )?
    .execute(params![
        key.day,
        key.side,
        key.group,
        key.dim,
        key.value,
        cell.tickets,
        encode(&cell.figures)
    ])?;
    Ok(())
}

/// Every ticket's contributions, from the facts (one pass; `tell` hears how many tickets
/// were read of how many).
pub(crate) fn aggregate(
    c: &Connection,
    cfg: &Config,
    tell: &dyn Fn(u64, u64),
) -> rusqlite::Result<BTreeMap<Key, Cell>> {
    let total: i64 = c.query_row("SELECT count(*) FROM facts", [], |r| r.get(0))?;
    let total = total.max(0) as u64;
    let mut out = BTreeMap::new();
    let mut stmt = c.prepare(&format!("SELECT {FACT_COLUMNS} FROM facts"))?;
    let mut q = stmt.query([])?;
    let mut done = 0u64;
    while let Some(r) = q.next()? {
        contributions(cfg, &Fact::read(&r, 0)?, &mut out, 1);
        done += 1;
        if done.is_multiple_of(4096) {
            tell(done, total);
        }
    }
    out.retain(|_, cell| !cell.is_empty());
    tell(total, total);
    Ok(out)
}

/// Builds the rows afresh from the facts, in one transaction, and marks them valid for `cfg`.
pub(crate) fn rebuild(c: &Connection, cfg: &Config) -> rusqlite::Result<()> {
    use crate::store::progress::{Work, tell};
    let tx = c.transaction()?;
    let rows = aggregate(&tx, cfg, &|done, total| tell(Work::Rollups, done, total))?;
    tx.execute("DELETE FROM report_days", [])?;
    for (key, cell) in &rows {
        upsert(&tx, key, cell)?;
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![META, fingerprint(cfg)],
    )?;
    tx.commit()
}

/// Makes the rows valid for `cfg` (in one transaction): days built before schema V24 under
/// these settings get the reassignments' rows they lack, any others are built afresh.
pub(crate) fn make_valid(c: &Connection, cfg: &Config) -> rusqlite::Result<()> {
    let fp = fingerprint(cfg);
    if stored_fingerprint(c)? != Some(format!("{BEFORE_V24}{fp}")) {
        return rebuild(c, cfg);
    }
    let tx = c.transaction()?;
    add_reassignments(&tx, &fp)?;
    tx.commit()
}

/// The reassignments' rows, added to days built before schema V24 (valid for the settings
/// `fp` but for them), from the facts of the tickets that changed owner; the rows then marked
/// valid. Inside the caller's transaction.
fn add_reassignments(c: &Connection, fp: &str) -> rusqlite::Result<()> {
    let mut rows = BTreeMap::new();
    let mut stmt = c.prepare(&format!(
        "SELECT {FACT_COLUMNS} FROM facts WHERE reassigned IS NOT NULL"
    ))?;
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        // Only the owner changes: the other sides' rows are there.
        reassigned_contributions(&Fact::read(&r, 0)?, &mut rows, 1);
    }
    drop(q);
    drop(stmt);
    for (key, cell) in rows.iter().filter(|(_, d)| !d.is_empty()) {
        apply(c, key, cell)?;
    }
    c.execute(
        "UPDATE meta SET value = ?2 WHERE key = ?1",
        params![META, fp],
    )?;
    Ok(())
}

/// The stored rows that differ from a fresh aggregation of the facts (at most `limit`, in
/// the key's order), when the rows are valid for `cfg`; and how many differ in all.
pub(crate) fn differences(
    c: &Connection,
    cfg: &Config,
    limit: usize,
) -> rusqlite::Result<(Vec<Key>, usize)> {
    if !valid(c, cfg)? {
        return Ok((Vec::new(), 0));
    }
    let mut want = aggregate(c, cfg, &|_, _| {})?;
    let mut differ = Vec::new();
    let mut count = 0;
    let mut note = |k: Key| {
        count += 1;
        if differ.len() < limit {
            differ.push(k);
        }
    };
    let mut stmt =
        c.prepare("SELECT day, side, group_code, dim, value, tickets, figures FROM report_days")?;
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        let side = match r.get_ref(1)?.as_str()? {
            RECEIVED => RECEIVED,
            FINISHED => FINISHED,
            REASSIGNED => REASSIGNED,
            _ => "?",
        };
        let dim = match r.get_ref(3)?.as_str()? {
            "" => "",
            d => DIMS.into_iter().find(|x| *x == d).unwrap_or("?"),
        };
        let key = Key {
            day: r.get(0)?,
            side,
            group: r.get(2)?,
            dim,
            value: r.get(4)?,
        };
        let mut cell = Cell {
            tickets: r.get(5)?,
            figures: BTreeMap::new(),
        };
        decode(r.get_ref(6)?.as_str()?, |k, v| cell.bump(k, v));
        if want.remove(&key).as_ref() != Some(&cell) {
            note(key);
        }
    }
    for key in want.into_keys() {
        note(key);
    }
    differ.sort();
    Ok((differ, count))
}
