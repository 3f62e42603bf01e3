//! `desk sla`: a ticket's clocks explained, or every figure recomputed.

use super::*;
use crate::cli::Cli;
use crate::cli::output::{self, print};
use crate::core::sla::{Clock, ClockKind, Sla, Why};
use crate::error::{Error, Result};
use crate::msg;
use crate::session::Session;
use crate::store::Ticket;
use crate::time::date as local_date;
use serde_json::json;

pub(super) fn sla(
    s: &mut Session,
    cli: &Cli,
    number: Option<&str>,
    recompute: bool,
    now: i64,
) -> Result<()> {
    if recompute {
        let who = actor(s, cli)?;
        let n = s.store.recompute(&who, &s.cfg, now)?;
        print(&s.catalog.say(&msg!("msg.recomputed", n = n)));
        return Ok(());
    }
    let Some(number) = number else {
        return Err(Error::Invalid(msg!("cli.sla_needs")));
    };
    let t = s.store.find(&s.cfg, number, local_date(now))?;
    let sla = s.store.sla_of(&s.cfg, &t, now)?;
    if cli.json {
        print(&output::json_text(&sla_json(s, &t, &sla)));
    } else {
        print(&sla_text(s, &t, &sla, now));
    }
    Ok(())
}

/// `desk sla NUMBER --json`: each clock with its intervals.
fn sla_json(s: &Session, t: &Ticket, sla: &Sla) -> serde_json::Value {
    let clocks: Vec<_> = sla
        .clocks
        .iter()
        .map(|c| {
            json!({
                "clock": c.kind.as_str(),
                "target_seconds": c.target,
                "elapsed_seconds": c.elapsed,
                "state": c.state.as_str(),
                "running": c.running,
                "due_at": c.due.map(output::rfc3339),
                "at_risk_at": c.risk_at.map(output::rfc3339),
                "stopped_at": c.stopped_at.map(output::rfc3339),
                "intervals": c.intervals.iter().map(|i| json!({
                    "from": output::rfc3339(i.from),
                    "to": output::rfc3339(i.to),
                    "status": i.status,
                    "why": match i.why { Why::Running => "counted", Why::Waiting => "paused", Why::Finished => "stopped", Why::Stopped => "after" },
                    "counted_seconds": i.counted,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "number": t.number,
        "state": sla.state.as_str(),
        "due_at": sla.due.map(output::rfc3339),
        "first_response_at": sla.first_response_at.map(output::rfc3339),
        "business_hours": s.cfg.sla.calendar.is_some(),
        "clocks": clocks,
    })
}

/// `desk sla NUMBER`: the ticket's state and due time, then each clock and why each interval
/// counted or not.
fn sla_text(s: &Session, t: &Ticket, sla: &Sla, now: i64) -> String {
    let cat = s.catalog;
    let span = |secs: i64| crate::present::duration(cat, secs);
    let mut out = format!(
        "{}  {}\n{}: {}{}\n",
        t.number,
        crate::core::sanitize::clean_line(&t.subject),
        cat.t("sla.state"),
        cat.t(&format!("sla.states.{}", sla.state.as_str())),
        sla.due
            .map(|d| format!(
                " · {} {} ({})",
                cat.t("sla.due"),
                crate::time::format(d),
                if d >= now {
                    format!("+{}", span(d - now))
                } else {
                    span(d - now)
                }
            ))
            .unwrap_or_default()
    );
    out.push_str(&format!(
        "{}\n",
        if s.cfg.sla.calendar.is_some() {
            cat.t("sla.business_hours")
        } else {
            cat.t("sla.around_the_clock")
        }
    ));
    for c in &sla.clocks {
        clock_text(s, sla, c, &mut out);
    }
    out
}

/// One clock: its state, time counted against its target, and its intervals.
fn clock_text(s: &Session, sla: &Sla, c: &Clock, out: &mut String) {
    let cat = s.catalog;
    let span = |secs: i64| crate::present::duration(cat, secs);
    let name = cat.t(&format!("sla.clock.{}", c.kind.as_str())).to_string();
    let target = c
        .target
        .map(span)
        .unwrap_or_else(|| cat.t("sla.no_target").to_string());
    out.push_str(&format!(
        "\n{name}: {} — {} / {target}",
        cat.t(&format!("sla.states.{}", c.state.as_str())),
        span(c.elapsed)
    ));
    if c.kind == ClockKind::FirstResponse
        && let Some(at) = sla.first_response_at
    {
        out.push_str(&format!(
            " ({} {})",
            cat.t("sla.answered"),
            crate::time::format(at)
        ));
    }
    if let Some(d) = c.due.filter(|_| c.running) {
        out.push_str(&format!(
            " · {} {}",
            cat.t("sla.due"),
            crate::time::format(d)
        ));
    }
    out.push('\n');
    for i in &c.intervals {
        let why = match i.why {
            Why::Running if i.counted < i.to - i.from => {
                cat.f("sla.why.outside", &[("wall", span(i.to - i.from))])
            }
            Why::Running => cat.t("sla.why.counted").to_string(),
            Why::Waiting => cat.t("sla.why.waiting").to_string(),
            Why::Finished => cat.t("sla.why.finished").to_string(),
            Why::Stopped => cat.t("sla.why.stopped").to_string(),
        };
        out.push_str(&format!(
            "  {} → {}  {}  {:>9}  {}\n",
            crate::time::format(i.from),
            crate::time::format(i.to),
            output::fit(&crate::present::status(&s.cfg, cat, &i.status), 24),
            span(i.counted),
            why
        ));
    }
}
