//! Service-level clocks, computed from a ticket's history: first response, resolution and
//! "keep in touch". Business time over a calendar (weekdays, hours, holidays, a time zone,
//! DST-correct) or plain wall time; paused in every `waiting` status, stopped at done, resumed
//! on reopening. Pure: events and configuration in, intervals and instants out.

use super::lifecycle::Lifecycle;
use super::model::{EventKind, Priority, StatusCategory};
use super::zone::Tz;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use std::collections::{BTreeMap, BTreeSet};

/// Working hours: which weekdays, from when to when (local), which dates are holidays.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Calendar {
    pub tz: Tz,
    /// Monday first.
    pub days: [bool; 7],
    pub open: NaiveTime,
    pub close: NaiveTime,
    pub holidays: BTreeSet<NaiveDate>,
}

/// A local time as an instant; a time that does not exist (a DST gap) moves to the first one
/// after it, an ambiguous one takes the earlier.
fn instant(tz: &Tz, local: NaiveDateTime) -> i64 {
    for shift in [0, 30, 60, 90, 120] {
        if let Some(t) = tz.earliest(local + Duration::minutes(shift)) {
            return t;
        }
    }
    local.and_utc().timestamp()
}

impl Calendar {
    pub fn local_date(&self, at: i64) -> NaiveDate {
        self.tz.date(at).unwrap_or_default()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        self.days[d.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&d)
    }

    /// The working window of a date, as instants, if it is a working day.
    pub fn window(&self, d: NaiveDate) -> Option<(i64, i64)> {
        if !self.is_working_day(d) {
            return None;
        }
        let start = instant(&self.tz, d.and_time(self.open));
        let end = instant(&self.tz, d.and_time(self.close));
        (end > start).then_some((start, end))
    }

    /// The length of a plain working day (for durations written in days).
    pub fn day_seconds(&self) -> i64 {
        (self.close - self.open).num_seconds().max(0)
    }

    /// Business seconds between two instants.
    pub fn business_seconds(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let mut d = self.local_date(from).pred_opt().unwrap_or_default();
        let last = self.local_date(to).succ_opt().unwrap_or_default();
        let mut total = 0;
        while d <= last {
            if let Some((s, e)) = self.window(d) {
                let a = s.max(from);
                let b = e.min(to);
                if b > a {
                    total += b - a;
                }
            }
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
        total
    }

    /// The instant at which `secs` business seconds after `from` have passed.
    pub fn add(&self, from: i64, secs: i64) -> i64 {
        if secs <= 0 {
            return from;
        }
        let mut remaining = secs;
        let mut d = self.local_date(from).pred_opt().unwrap_or_default();
        // Ten years of days is far beyond any target; a calendar without working days never
        // reaches one.
        for _ in 0..3660 {
            if let Some((s, e)) = self.window(d) {
                let a = s.max(from);
                if e > a {
                    if e - a >= remaining {
                        return a + remaining;
                    }
                    remaining -= e - a;
                }
            }
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
        i64::MAX
    }
}

/// Business time, or wall time when there is no calendar.
pub fn seconds(cal: Option<&Calendar>, from: i64, to: i64) -> i64 {
    match cal {
        Some(c) => c.business_seconds(from, to),
        None => (to - from).max(0),
    }
}

/// `from` plus `secs` of business time (or wall time).
pub fn add(cal: Option<&Calendar>, from: i64, secs: i64) -> i64 {
    match cal {
        Some(c) => c.add(from, secs),
        None => from.saturating_add(secs.max(0)),
    }
}

/// Targets of one kind of request, in seconds of (business) time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Targets {
    pub first_response: Option<i64>,
    pub resolution: Option<i64>,
    /// The longest silence towards the requester while the ticket is open.
    pub keep_in_touch: Option<i64>,
}

impl Targets {
    /// `over`'s targets where it sets them, else these.
    pub fn overlay(self, over: Targets) -> Targets {
        Targets {
            first_response: over.first_response.or(self.first_response),
            resolution: over.resolution.or(self.resolution),
            keep_in_touch: over.keep_in_touch.or(self.keep_in_touch),
        }
    }
}

/// What counts as the first response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstResponse {
    /// The first answer to the requester.
    Reply,
    /// The first move out of the initial status by an agent.
    Move,
    /// Whichever of the two comes first.
    #[default]
    ReplyOrMove,
}

/// The service-level configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SlaConfig {
    pub by_priority: BTreeMap<Priority, Targets>,
    /// Category overrides, field by field.
    pub by_category: BTreeMap<String, Targets>,
    pub calendar: Option<Calendar>,
    /// A running clock is at risk when less than this share of its target is left.
    pub at_risk: f64,
    pub first_response: FirstResponse,
}

impl Default for SlaConfig {
    fn default() -> SlaConfig {
        SlaConfig {
            by_priority: BTreeMap::new(),
            by_category: BTreeMap::new(),
            calendar: None,
            at_risk: 0.25,
            first_response: FirstResponse::ReplyOrMove,
        }
    }
}

impl SlaConfig {
    /// The targets of a ticket: its category's where set, else its priority's.
    pub fn targets(&self, priority: Priority, category: &str) -> Targets {
        let base = self.by_priority.get(&priority).copied().unwrap_or_default();
        match self.by_category.get(category) {
            Some(over) => base.overlay(*over),
            None => base,
        }
    }
}

/// One step of history, as the clocks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockEvent {
    pub at: i64,
    pub kind: EventKind,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Whether a person (not the desk itself) did it.
    pub by_agent: bool,
    /// The step puts back an earlier one (`u`: undo).
    pub undo: bool,
}

/// Which steps of a history were taken back by an undo, and the undo steps themselves: the
/// history keeps both, the figures count neither (an accidental claim undone at once is no
/// first response, and a reassignment undone is none). An undo step takes back the latest
/// earlier step of its kind, not itself taken back, that it reverses.
pub fn undone(events: &[ClockEvent]) -> Vec<bool> {
    let mut out = vec![false; events.len()];
    for (u, e) in events.iter().enumerate() {
        if !e.undo {
            continue;
        }
        let taken_back = (0..u).rev().find(|&i| {
            let o = &events[i];
            !out[i] && !o.undo && o.kind == e.kind && o.from == e.to && o.to == e.from
        });
        if let Some(i) = taken_back {
            out[i] = true;
            out[u] = true;
        }
    }
    out
}

/// Whether a change of owner passes a ticket from one agent to another: the one definition of
/// a reassignment (misattribution) every figure uses.
pub fn is_reassignment(from: Option<&str>, to: Option<&str>) -> bool {
    matches!((from, to), (Some(a), Some(b)) if a != b)
}

/// How many times a ticket was passed from one agent to another, undone ones left out.
pub fn reassignments(events: &[ClockEvent]) -> i64 {
    let gone = undone(events);
    events
        .iter()
        .zip(gone)
        .filter(|(e, gone)| {
            !gone
                && e.kind == EventKind::Assigned
                && is_reassignment(e.from.as_deref(), e.to.as_deref())
        })
        .count() as i64
}

/// A stretch of time in one status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub from: i64,
    pub to: i64,
    pub status: String,
    pub category: StatusCategory,
}

/// The statuses a ticket went through, from its creation until `now`.
pub fn spans(events: &[ClockEvent], life: &Lifecycle, now: i64) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    let mut current: Option<(i64, String)> = None;
    for e in events {
        let status = match (e.kind, &e.to) {
            (EventKind::Created, Some(s)) | (EventKind::Status, Some(s)) => s,
            _ => continue,
        };
        if let Some((from, st)) = current.take() {
            let cat = life.category(&st).unwrap_or(StatusCategory::Active);
            out.push(Span {
                from,
                to: e.at.max(from),
                status: st,
                category: cat,
            });
        }
        current = Some((e.at, status.clone()));
    }
    if let Some((from, st)) = current {
        let cat = life.category(&st).unwrap_or(StatusCategory::Active);
        out.push(Span {
            from,
            to: now.max(from),
            status: st,
            category: cat,
        });
    }
    out
}

/// Whether a clock runs in a status of this category.
pub fn runs_in(c: StatusCategory) -> bool {
    matches!(c, StatusCategory::Initial | StatusCategory::Active)
}

/// Why an interval counted or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The clock ran (business hours applied).
    Running,
    /// Waiting for the requester: paused.
    Waiting,
    /// Done or closed: stopped.
    Finished,
    /// After the clock's event (first response given).
    Stopped,
}

/// An interval of a clock's explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interval {
    pub from: i64,
    pub to: i64,
    pub status: String,
    pub why: Why,
    /// The seconds that counted (business time when a calendar applies).
    pub counted: i64,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SlaState {
    /// No target applies.
    None,
    /// Stopped within its target.
    Met,
    /// Running with room.
    Ok,
    /// Waiting for the requester, within its target.
    Paused,
    /// Running with less than the at-risk share left.
    AtRisk,
    /// Stopped after its target.
    Missed,
    /// Over its target and still open.
    Breached,
}

impl SlaState {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaState::None => "none",
            SlaState::Met => "met",
            SlaState::Ok => "ok",
            SlaState::Paused => "paused",
            SlaState::AtRisk => "at_risk",
            SlaState::Missed => "missed",
            SlaState::Breached => "breached",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ClockKind {
    FirstResponse,
    Resolution,
    KeepInTouch,
}

impl ClockKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockKind::FirstResponse => "first_response",
            ClockKind::Resolution => "resolution",
            ClockKind::KeepInTouch => "keep_in_touch",
        }
    }
}

/// One clock of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub kind: ClockKind,
    pub target: Option<i64>,
    /// Seconds counted so far (or until it stopped).
    pub elapsed: i64,
    /// When it stopped for good (first response given, ticket finished), if it has.
    pub stopped_at: Option<i64>,
    pub running: bool,
    /// When the target is (or was) reached; None while paused before reaching it.
    pub due: Option<i64>,
    /// When less than the at-risk share of the target is (or was) left.
    pub risk_at: Option<i64>,
    pub state: SlaState,
    pub intervals: Vec<Interval>,
}

/// Runs a clock over `spans` from `start`: it counts in running statuses, pauses in waiting
/// ones, and stops at `stop` (if given) or while the ticket is finished.
fn run_clock(
    kind: ClockKind,
    spans: &[Span],
    start: i64,
    stop: Option<i64>,
    target: Option<i64>,
    cfg: &SlaConfig,
    now: i64,
) -> Clock {
    let cal = cfg.calendar.as_ref();
    let mut elapsed = 0;
    let mut intervals = Vec::new();
    let mut due = None;
    let mut risk_at = None;
    let risk_left = target.map(|t| ((t as f64) * cfg.at_risk).round() as i64);
    for s in spans {
        let from = s.from.max(start);
        let mut to = s.to;
        if to <= from && !(s.from == s.to && s.from >= start) {
            continue;
        }
        let mut after_stop = None;
        if let Some(stop) = stop {
            if from >= stop {
                intervals.push(stopped(from, to, &s.status));
                continue;
            }
            if to > stop {
                after_stop = Some((stop, to));
                to = stop;
            }
        }
        let why = why_in(s.category);
        let counted = if why == Why::Running {
            seconds(cal, from, to)
        } else {
            0
        };
        if why == Why::Running {
            if let (Some(t), None) = (target, due)
                && elapsed + counted >= t
            {
                due = Some(add(cal, from, t - elapsed));
            }
            if let (Some(t), Some(left), None) = (target, risk_left, risk_at)
                && elapsed + counted >= t - left
            {
                risk_at = Some(add(cal, from, (t - left - elapsed).max(0)));
            }
        }
        elapsed += counted;
        intervals.push(Interval {
            from,
            to,
            status: s.status.clone(),
            why,
            counted,
        });
        if let Some((a, b)) = after_stop {
            intervals.push(stopped(a, b, &s.status));
        }
    }
    let last = spans.last();
    let finished = last.is_some_and(|s| s.category.is_finished());
    let stopped_at = match stop {
        Some(s) if s <= now => Some(s),
        _ if finished => last.map(|s| s.from),
        _ => None,
    };
    let running = stopped_at.is_none() && last.is_some_and(|s| runs_in(s.category));
    // Still running short of the target: it falls due in the future, counting from now.
    if running && let Some(t) = target {
        if due.is_none() {
            due = Some(add(cal, now, t - elapsed));
        }
        if risk_at.is_none()
            && let Some(left) = risk_left
        {
            risk_at = Some(add(cal, now, (t - left - elapsed).max(0)));
        }
    }
    let state = clock_state(target, elapsed, stopped_at.is_some(), running, risk_left);
    Clock {
        kind,
        target,
        elapsed,
        stopped_at,
        running,
        due,
        risk_at,
        state,
        intervals,
    }
}

/// Why a clock counts, pauses or stops in a status of this category.
fn why_in(category: StatusCategory) -> Why {
    if runs_in(category) {
        Why::Running
    } else if category == StatusCategory::Waiting {
        Why::Waiting
    } else {
        Why::Finished
    }
}

/// Time after the clock stopped, in `status`: shown, never counted.
fn stopped(from: i64, to: i64, status: &str) -> Interval {
    Interval {
        from,
        to,
        status: status.to_string(),
        why: Why::Stopped,
        counted: 0,
    }
}

/// Where a clock stands: met or missed once stopped; else breached, paused, at risk (less
/// than `risk_left` of its target left) or on time.
fn clock_state(
    target: Option<i64>,
    elapsed: i64,
    stopped: bool,
    running: bool,
    risk_left: Option<i64>,
) -> SlaState {
    match target {
        None => SlaState::None,
        Some(t) if stopped => {
            if elapsed <= t {
                SlaState::Met
            } else {
                SlaState::Missed
            }
        }
        Some(t) if elapsed > t => SlaState::Breached,
        Some(_) if !running => SlaState::Paused,
        Some(t) if t - elapsed <= risk_left.unwrap_or(0) => SlaState::AtRisk,
        Some(_) => SlaState::Ok,
    }
}

/// The first response, as the configuration defines it.
pub fn first_response_at(
    events: &[ClockEvent],
    life: &Lifecycle,
    mode: FirstResponse,
) -> Option<i64> {
    let reply = events
        .iter()
        .find(|e| e.kind == EventKind::Reply && e.by_agent)
        .map(|e| e.at);
    let initial: Vec<&str> = life.ids_in(StatusCategory::Initial);
    let mut status: Option<&str> = None;
    let mut moved = None;
    // A move undone (with its undoing) never happened, as far as the requester can tell.
    let gone = undone(events);
    for e in events.iter().zip(gone).filter(|(_, g)| !g).map(|(e, _)| e) {
        match (e.kind, e.to.as_deref()) {
            (EventKind::Created, Some(s)) => status = Some(s),
            (EventKind::Status, Some(s)) => {
                let leaving =
                    status.is_some_and(|st| initial.contains(&st)) && !initial.contains(&s);
                if leaving && e.by_agent && moved.is_none() {
                    moved = Some(e.at);
                }
                status = Some(s);
            }
            _ => {}
        }
    }
    match mode {
        FirstResponse::Reply => reply,
        FirstResponse::Move => moved,
        FirstResponse::ReplyOrMove => match (reply, moved) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
    }
}

/// Every clock of a ticket, and what the queue needs from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sla {
    pub created: i64,
    pub first_response_at: Option<i64>,
    pub clocks: Vec<Clock>,
    /// The soonest due instant of the running clocks.
    pub due: Option<i64>,
    /// The soonest at-risk instant of the running clocks.
    pub risk_at: Option<i64>,
    /// The worst state of its clocks.
    pub state: SlaState,
    /// Wall seconds spent in each status so far.
    pub status_secs: BTreeMap<String, i64>,
    /// The stretch in the current status (until `now`).
    pub current: Option<Span>,
}

impl Sla {
    /// Wall seconds in each status before the current stretch: what stays true whenever it is
    /// read (the current stretch keeps growing; readers add it up to their own now).
    pub fn settled_status_secs(&self) -> BTreeMap<String, i64> {
        let mut out = self.status_secs.clone();
        if let Some(c) = &self.current
            && let Some(v) = out.get_mut(&c.status)
        {
            *v -= c.to - c.from;
            if *v <= 0 {
                out.remove(&c.status);
            }
        }
        out
    }
}

impl Sla {
    pub fn clock(&self, kind: ClockKind) -> Option<&Clock> {
        self.clocks.iter().find(|c| c.kind == kind)
    }
}

/// Computes every clock of one ticket from its history.
pub fn compute(
    events: &[ClockEvent],
    life: &Lifecycle,
    cfg: &SlaConfig,
    targets: Targets,
    now: i64,
) -> Sla {
    let created = events.first().map(|e| e.at).unwrap_or(now);
    let sp = spans(events, life, now);
    // Extensions (`desk extend`) move the resolution target by the time each gave.
    let extended = super::extend::added(
        events
            .iter()
            .filter(|e| e.kind == EventKind::Extended && !e.undo)
            .map(|e| e.from.as_deref()),
    );
    let targets = Targets {
        resolution: targets.resolution.map(|t| t.saturating_add(extended)),
        ..targets
    };
    let fr = first_response_at(events, life, cfg.first_response);
    let mut clocks = vec![
        run_clock(
            ClockKind::FirstResponse,
            &sp,
            created,
            fr,
            targets.first_response,
            cfg,
            now,
        ),
        run_clock(
            ClockKind::Resolution,
            &sp,
            created,
            None,
            targets.resolution,
            cfg,
            now,
        ),
    ];
    if targets.keep_in_touch.is_some() {
        let last_contact = events
            .iter()
            .filter(|e| e.kind == EventKind::Reply && e.by_agent)
            .map(|e| e.at)
            .max()
            .unwrap_or(created);
        clocks.push(run_clock(
            ClockKind::KeepInTouch,
            &sp,
            last_contact,
            None,
            targets.keep_in_touch,
            cfg,
            now,
        ));
    }
    let due = clocks
        .iter()
        .filter(|c| c.running)
        .filter_map(|c| c.due)
        .min();
    let risk_at = clocks
        .iter()
        .filter(|c| c.running)
        .filter_map(|c| c.risk_at)
        .min();
    let state = clocks
        .iter()
        .map(|c| c.state)
        .max()
        .unwrap_or(SlaState::None);
    let mut status_secs = BTreeMap::new();
    for s in &sp {
        *status_secs.entry(s.status.clone()).or_insert(0) += s.to - s.from;
    }
    Sla {
        created,
        first_response_at: fr,
        clocks,
        due,
        risk_at,
        state,
        status_secs,
        current: sp.last().cloned(),
    }
}

/// Reads a duration: "90m", "4h", "2d", "1w", "1d 4h". A day is a working day's hours when a
/// calendar is set (9-18: 9 h), else 24 h; a week is the calendar's working days.
pub fn parse_duration(
    s: &str,
    cal: Option<&Calendar>,
) -> Result<i64, crate::core::message::Message> {
    let day = cal.map(|c| c.day_seconds()).unwrap_or(86_400);
    let week_days = cal
        .map(|c| c.days.iter().filter(|d| **d).count() as i64)
        .unwrap_or(7);
    let mut total: i64 = 0;
    let mut any = false;
    for part in s.split_whitespace() {
        let (num, unit) = part.split_at(
            part.find(|c: char| !c.is_ascii_digit())
                .unwrap_or(part.len()),
        );
        let n: i64 = num
            .parse()
            .map_err(|_| crate::msg!("config.duration", value = s))?;
        let secs = match unit {
            "m" | "min" => 60,
            "h" => 3600,
            "d" => day,
            "w" => day * week_days,
            _ => return Err(crate::msg!("config.duration", value = s)),
        };
        total = total.saturating_add(n.saturating_mul(secs));
        any = true;
    }
    if !any || total <= 0 {
        return Err(crate::msg!("config.positive_duration", value = s));
    }
    Ok(total)
}

/// The weekday names a calendar accepts.
pub fn weekday(name: &str) -> Option<Weekday> {
    match name.trim().to_ascii_lowercase().get(..3)? {
        "mon" => Some(Weekday::Mon),
        "tue" => Some(Weekday::Tue),
        "wed" => Some(Weekday::Wed),
        "thu" => Some(Weekday::Thu),
        "fri" => Some(Weekday::Fri),
        "sat" => Some(Weekday::Sat),
        "sun" => Some(Weekday::Sun),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
