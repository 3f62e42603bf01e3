//! `desk tick` (the timers, run by the system service) and `desk alerts`.

use super::*;
use crate::core::sanitize::clean_line;
use crate::store::timers::{Alert, TickReport};
use serde_json::json;

/// One escalation as people read it: "resolution breached: supervisors notified, …".
fn escalation_text(s: &Session, clock: &str, level: &str, actions: &str) -> String {
    crate::present::escalation(s.catalog, clock, level, actions)
}

fn report_json(r: &TickReport) -> serde_json::Value {
    json!({
        "reminded": r.reminded,
        "closed": r.closed,
        "escalated": r.escalated.iter().map(|(n, c, l, a)| json!({
            "number": n,
            "clock": c.as_str(),
            "level": l.as_str(),
            "actions": a.names(),
        })).collect::<Vec<_>>(),
        "failed": r.failed.iter().map(|(n, e)| json!({
            "number": n,
            "error": e.key(),
        })).collect::<Vec<_>>(),
        "next": r.next.map(output::rfc3339),
    })
}

pub(super) fn tick(s: &mut Session, cli: &Cli, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let r = s.store.tick(&s.cfg, &who, now)?;
    if cli.json {
        print(&output::json_text(&report_json(&r)));
    } else {
        let mut lines = Vec::new();
        for n in &r.reminded {
            lines.push(s.catalog.f("tick.reminded", &[("number", n.clone())]));
        }
        for n in &r.closed {
            lines.push(s.catalog.f("tick.closed", &[("number", n.clone())]));
        }
        for (n, c, l, a) in &r.escalated {
            lines.push(format!(
                "{n}: {}",
                escalation_text(s, c.as_str(), l.as_str(), &a.names().join(" "))
            ));
        }
        if lines.is_empty() {
            lines.push(s.catalog.t("tick.nothing").to_string());
        }
        if let Some(next) = r.next {
            lines.push(
                s.catalog
                    .f("tick.next", &[("at", crate::time::format(next))]),
            );
        }
        print(&lines.join("\n"));
    }
    // Everything else was done: each failure is said, the last one (with its exit code) as
    // the command's error.
    let mut failed = r.failed;
    let last = failed.pop();
    for (number, e) in failed {
        let e = Error::Ticket {
            number,
            inner: Box::new(e),
        };
        output::error_line(&e.message(s.catalog));
    }
    match last {
        Some((number, e)) => Err(Error::Ticket {
            number,
            inner: Box::new(e),
        }),
        None => Ok(()),
    }
}

fn alert_json(n: &Alert) -> serde_json::Value {
    json!({
        "number": n.number,
        "subject": n.subject,
        "at": output::rfc3339(n.at),
        "clock": n.clock,
        "level": n.level,
        "actions": n.actions.split_whitespace().collect::<Vec<_>>(),
        "seen_at": n.seen_at.map(output::rfc3339),
    })
}

pub(super) fn alerts(s: &mut Session, cli: &Cli, all: bool, seen: bool, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let list = s.store.alerts(&who, all)?;
    if cli.json {
        print(&output::json_text(&serde_json::Value::Array(
            list.iter().map(alert_json).collect(),
        )));
    } else if list.is_empty() {
        print(s.catalog.t("tick.no_alerts"));
    } else {
        let lines: Vec<String> = list
            .iter()
            .map(|n| {
                format!(
                    "{}  {}  {}  {}{}",
                    crate::time::format(n.at),
                    n.number,
                    output::fit(&clean_line(&n.subject), 30).trim_end(),
                    escalation_text(s, &n.clock, &n.level, &n.actions),
                    if n.seen_at.is_some() { "" } else { "  ●" }
                )
            })
            .collect();
        print(&lines.join("\n"));
    }
    if seen {
        s.store.mark_alerts_seen(&who, None, now)?;
    }
    Ok(())
}

/// `desk extend NUMBER --by 10d --reason R`.
pub(super) fn extend(
    s: &mut Session,
    cli: &Cli,
    (number, by, reason, if_version): (&str, &str, Option<&str>, Option<i64>),
    now: i64,
) -> Result<()> {
    let who = actor(s, cli)?;
    let secs = crate::core::sla::parse_duration(by, s.cfg.sla.calendar.as_ref())
        .map_err(Error::Invalid)?;
    let e = s
        .store
        .extend(&s.cfg, &who, number, secs, reason, if_version, now)?;
    if cli.json {
        print(&output::json_text(&json!({
            "number": e.number,
            "extended_by": e.by,
            "due": e.due.map(output::rfc3339),
            "version": e.version,
        })));
        return Ok(());
    }
    let by = crate::present::duration(s.catalog, e.by);
    print(&match e.due {
        Some(due) => s.catalog.f(
            "extend.done",
            &[
                ("number", e.number.clone()),
                ("due", crate::time::format(due)),
                ("by", by),
            ],
        ),
        None => s.catalog.f(
            "extend.done_no_due",
            &[("number", e.number.clone()), ("by", by)],
        ),
    });
    Ok(())
}
