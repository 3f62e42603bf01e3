//! `desk report`: the analysis of a period as a table for people, JSON for scripts, or CSV
//! for spreadsheets.

use super::output::{self, fit, print};
use super::{Cli, ReportArgs};
use crate::error::{Error, Result};
use crate::i18n::Catalog;
use crate::msg;
use crate::session::Session;
use crate::store::Store;
use crate::store::report::{Dimension, Durations, Figures, Report, ReportSpec};
use chrono::NaiveDate;
use serde_json::{Value, json};

fn date(s: &str, what: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Error::Invalid(msg!(
            "cli.report.date",
            flag = format!("--{what}"),
            value = s
        ))
    })
}

/// The first and last day of the calendar day, week (from Monday), month or year holding `d`.
fn calendar_period(d: NaiveDate, period: &str) -> Result<(NaiveDate, NaiveDate)> {
    use chrono::Datelike;
    let invalid = || {
        Error::Invalid(msg!(
            "cli.report.no_period",
            period = period,
            date = d.to_string()
        ))
    };
    let (first, next) = match period {
        "day" => (d, d.succ_opt()),
        "week" => {
            let monday = d - chrono::Duration::days(i64::from(d.weekday().num_days_from_monday()));
            (monday, monday.checked_add_signed(chrono::Duration::days(7)))
        }
        "month" => {
            let first = d.with_day(1).ok_or_else(invalid)?;
            (first, first.checked_add_months(chrono::Months::new(1)))
        }
        "year" => {
            let first = NaiveDate::from_ymd_opt(d.year(), 1, 1).ok_or_else(invalid)?;
            (first, NaiveDate::from_ymd_opt(d.year() + 1, 1, 1))
        }
        other => {
            return Err(Error::Invalid(msg!("cli.report.period", value = other)));
        }
    };
    let last = next.and_then(|n| n.pred_opt()).ok_or_else(invalid)?;
    Ok((first, last))
}

/// The spec a command line asks for.
pub fn spec(a: &ReportArgs, now: i64) -> Result<ReportSpec> {
    let today = crate::time::date(now);
    let mut to = match &a.to {
        Some(s) => date(s, "to")?,
        None => today,
    };
    let from = match (&a.from, a.period.as_deref()) {
        (Some(s), _) => date(s, "from")?,
        (None, Some(p)) => {
            let (first, last) = calendar_period(to, p)?;
            to = if last > today && first <= today {
                today
            } else {
                last
            };
            first
        }
        (None, None) => to - chrono::Duration::days(29),
    };
    if from > to {
        return Err(Error::Invalid(msg!(
            "cli.report.reversed",
            from = from.to_string(),
            to = to.to_string()
        )));
    }
    let (from, to) = Store::period(from, to);
    Ok(ReportSpec {
        from,
        to,
        by: a
            .by
            .as_deref()
            .map(Dimension::parse)
            .transpose()
            .map_err(Error::Invalid)?,
        group: a.group.as_ref().map(|g| g.trim().to_ascii_uppercase()),
        now,
    })
}

fn secs(cat: &crate::i18n::Catalog, v: Option<i64>) -> String {
    v.map(|s| crate::present::duration(cat, s))
        .unwrap_or_else(|| "—".into())
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.0}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

fn durations_json(d: &Durations) -> Value {
    json!({
        "count": d.count(),
        "median_seconds": d.median(),
        "p90_seconds": d.p90(),
        "with_target": d.with_target,
        "within_target": d.within,
        "within_target_share": d.within_share(),
        "late_still_open": d.late_open,
    })
}

fn figures_json(f: &Figures) -> Value {
    json!({
        "key": f.key,
        "received": f.received,
        "resolved": f.resolved,
        "rejected": f.rejected,
        "backlog": f.backlog,
        "first_response": durations_json(&f.first_response),
        "resolution": durations_json(&f.resolution),
        "time_in_status_seconds": f.status_secs,
        "outcomes": f.outcomes,
        "reassigned_tickets": f.reassigned_tickets,
        "reassignments": f.reassignments,
        "extensions": {
            "tickets": f.extended.tickets,
            "count": f.extended.count(),
            "total_seconds": f.extended.total(),
            "median_seconds": f.extended.median(),
        },
        "finished": f.finished,
        "satisfaction": {
            "rated": f.rated,
            "average": f.satisfaction(),
            "response_rate": f.response_rate(),
            "distribution": f.ratings,
        },
    })
}

pub fn run(s: &Session, cli: &Cli, a: &ReportArgs, now: i64) -> Result<()> {
    let format = if cli.json { "json" } else { a.format.as_str() };
    if !matches!(format, "table" | "json" | "csv") {
        return Err(Error::Invalid(msg!("cli.report.format", value = format)));
    }
    if cli.as_login.is_some() {
        s.store.actor(&s.login, cli.as_login.as_deref())?;
    }
    let spec = spec(a, now)?;
    // Read from the report replica when the desk names one (`[database] report_url`), once
    // the desk itself has said who may ask.
    let r = match &s.cfg.report_url {
        Some(url) => crate::store::Store::open_report(url)?.report(&s.cfg, &spec)?,
        None => s.store.report(&s.cfg, &spec)?,
    };
    if r.stale {
        output::error_line(s.catalog.t("msg.report_stale"));
    }
    match format {
        "json" => print(&output::json_text(&json(s, &r)?)),
        "csv" => print(&csv(&r)),
        _ => print(&table(s, &r)?),
    }
    Ok(())
}

fn json(s: &Session, r: &Report) -> Result<Value> {
    let agents = s.store.agents()?;
    let groups = s.store.groups()?;
    Ok(json!({
        "from": output::rfc3339(r.spec.from),
        "to": output::rfc3339(r.spec.to),
        "by": r.spec.by.map(|d| d.id()),
        "group": r.spec.group,
        "total": figures_json(&r.total),
        "rows": r.rows.iter().map(figures_json).collect::<Vec<_>>(),
        "days": r.days.iter().map(|d| json!({
            "date": d.date.to_string(), "received": d.received, "finished": d.finished, "backlog": d.backlog,
        })).collect::<Vec<_>>(),
        "refusal_reasons": r.refusal_reasons,
        "top_categories": r.top_categories,
        "top_keywords": r.top_keywords,
        "keyword_sample": r.keyword_sample,
        "reassigned_from_agent": r.bounced_by_agent,
        "reassigned_in_category": r.bounced_by_category,
        "workload": agents.iter().filter(|a| a.active).map(|a| json!({
            "login": a.login, "open": a.load, "capacity": a.capacity, "away": a.away,
            "oldest_open_at": a.oldest_open_at.map(output::rfc3339),
        })).collect::<Vec<_>>(),
        "unassigned": groups.iter().map(|g| json!({"group": g.code, "unassigned": g.unassigned, "open": g.open})).collect::<Vec<_>>(),
        "stale_figures": r.stale,
    }))
}

/// One line per breakdown value (and "all"), in plain seconds, for spreadsheets.
pub fn csv(r: &Report) -> String {
    let mut out = String::from(
        "key,received,resolved,rejected,backlog,first_response_median_s,first_response_p90_s,first_response_within_target,resolution_median_s,resolution_p90_s,resolution_within_target,satisfaction_average,rated,finished,reassigned_tickets,reassignments,extended_tickets,extensions,extension_total_s,extension_median_s\n",
    );
    let field = |s: &str| -> String {
        // Ticket-free keys, but quoted the CSV way anyway; a leading = + - @ could be read as
        // a formula by a spreadsheet, so it is prefixed with a quote.
        let s = crate::core::sanitize::clean_line(s);
        let s = if s.starts_with(['=', '+', '-', '@']) {
            format!("'{s}")
        } else {
            s.into_owned()
        };
        if s.contains([',', '"', '\n']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let optf = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_default();
    let all = Figures {
        key: "all".into(),
        ..r.total.clone()
    };
    for f in r.rows.iter().chain(std::iter::once(&all)) {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            field(&f.key),
            f.received,
            f.resolved,
            f.rejected,
            f.backlog,
            opt(f.first_response.median()),
            opt(f.first_response.p90()),
            optf(f.first_response.within_share()),
            opt(f.resolution.median()),
            opt(f.resolution.p90()),
            optf(f.resolution.within_share()),
            optf(f.satisfaction()),
            f.rated,
            f.finished,
            f.reassigned_tickets,
            f.reassignments,
            f.extended.tickets,
            f.extended.count(),
            f.extended.total(),
            opt(f.extended.median()),
        ));
    }
    out
}

fn table(s: &Session, r: &Report) -> Result<String> {
    let mut out = String::new();
    title(&mut out, s.catalog, r);
    figures(&mut out, s.catalog, r);
    time_in_status(&mut out, s, r);
    outcomes(&mut out, s.catalog, r);
    reassignments(&mut out, s.catalog, r);
    extensions(&mut out, s.catalog, r);
    problems(&mut out, s.catalog, r);
    satisfaction(&mut out, s.catalog, r);
    workload(&mut out, s, r)?;
    Ok(out)
}

/// "name 3 · other 1": counts by name, names cleaned.
fn pairs(v: &[(String, i64)]) -> String {
    v.iter()
        .map(|(k, n)| format!("{} {n}", crate::core::sanitize::clean_line(k)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The period, and what the figures are broken down by.
fn title(out: &mut String, cat: &Catalog, r: &Report) {
    let t = |k: &str| cat.t(k).to_string();
    let days = r.days.len();
    out.push_str(&cat.f(
        "report.title",
        &[
            ("from", crate::time::format(r.spec.from)[..10].to_string()),
            ("to", crate::time::format(r.spec.to - 1)[..10].to_string()),
            ("days", days.to_string()),
        ],
    ));
    if let Some(d) = r.spec.by {
        out.push_str(&format!(
            ", {} {}",
            t("report.by"),
            cat.t(&format!("report.dim.{}", d.id()))
        ));
    }
    if let Some(g) = &r.spec.group {
        out.push_str(&format!(", {} {g}", t("field.group")));
    }
    out.push_str("\n\n");
}

/// The headline figures: one row per breakdown value, and the whole.
fn figures(out: &mut String, cat: &Catalog, r: &Report) {
    let t = |k: &str| cat.t(k).to_string();
    let head = format!(
        "{} {:>8} {:>8} {:>8} {:>8}  {:>9} {:>9} {:>6}  {:>9} {:>9} {:>6}  {:>5} {:>5}\n",
        fit("", 14),
        t("report.received"),
        t("report.resolved"),
        t("report.rejected"),
        t("report.backlog"),
        t("report.fr_median"),
        t("report.fr_p90"),
        t("report.in_time"),
        t("report.res_median"),
        t("report.res_p90"),
        t("report.in_time"),
        t("report.csat"),
        t("report.rated"),
    );
    out.push_str(&head);
    let line = |f: &Figures, key: &str| -> String {
        format!(
            "{} {:>8} {:>8} {:>8} {:>8}  {:>9} {:>9} {:>6}  {:>9} {:>9} {:>6}  {:>5} {:>5}\n",
            fit(&crate::core::sanitize::clean_line(key), 14),
            f.received,
            f.resolved,
            f.rejected,
            f.backlog,
            secs(cat, f.first_response.median()),
            secs(cat, f.first_response.p90()),
            pct(f.first_response.within_share()),
            secs(cat, f.resolution.median()),
            secs(cat, f.resolution.p90()),
            pct(f.resolution.within_share()),
            f.satisfaction()
                .map(|x| format!("{x:.1}"))
                .unwrap_or_else(|| "—".into()),
            f.rated,
        )
    };
    for f in &r.rows {
        out.push_str(&line(f, &f.key));
    }
    out.push_str(&line(&r.total, &t("report.all")));
}

fn time_in_status(out: &mut String, s: &Session, r: &Report) {
    let cat = s.catalog;
    let t = |k: &str| cat.t(k).to_string();
    let total_secs: i64 = r.total.status_secs.values().sum();
    if total_secs > 0 {
        out.push_str(&format!("\n{}\n", t("report.time_in_status")));
        let mut v: Vec<(&String, &i64)> = r.total.status_secs.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1));
        for (st, secs_) in v {
            out.push_str(&format!(
                "  {} {:>5.1}%  {:>10} {}\n",
                fit(&crate::present::status(&s.cfg, cat, st), 26),
                *secs_ as f64 * 100.0 / total_secs as f64,
                crate::present::duration(cat, *secs_ / r.total.received.max(1)),
                t("report.per_ticket"),
            ));
        }
    }
}

fn outcomes(out: &mut String, cat: &Catalog, r: &Report) {
    let t = |k: &str| cat.t(k).to_string();
    if !r.total.outcomes.is_empty() {
        out.push_str(&format!("\n{}\n  ", t("report.outcomes")));
        let parts: Vec<String> = r
            .total
            .outcomes
            .iter()
            .map(|(o, n)| {
                let label = o
                    .parse()
                    .map(|x| cat.outcome(x).to_string())
                    .unwrap_or_else(|_| o.clone());
                format!("{label} {n}")
            })
            .collect();
        out.push_str(&parts.join(" · "));
        out.push('\n');
    }
    if !r.refusal_reasons.is_empty() {
        out.push_str(&format!("{}\n", t("report.reasons")));
        for (reason, n) in &r.refusal_reasons {
            out.push_str(&format!(
                "  {n:>5}  {}\n",
                crate::core::sanitize::clean_line(reason)
            ));
        }
    }
}

fn reassignments(out: &mut String, cat: &Catalog, r: &Report) {
    let t = |k: &str| cat.t(k).to_string();
    out.push_str(&format!(
        "\n{}\n",
        cat.f(
            "report.reassigned",
            &[
                ("tickets", r.total.reassigned_tickets.to_string()),
                ("times", r.total.reassignments.to_string()),
            ]
        )
    ));
    if !r.bounced_by_agent.is_empty() {
        out.push_str(&format!(
            "  {}: {}\n",
            t("report.passed_on_by"),
            pairs(&r.bounced_by_agent)
        ));
        out.push_str(&format!(
            "  {}: {}\n",
            t("report.in_categories"),
            pairs(&r.bounced_by_category)
        ));
    }
}

/// Deadlines extended in the period: how many tickets, how many times, by how much in all and
/// the median extension; each breakdown value's on a line of its own.
fn extensions(out: &mut String, cat: &Catalog, r: &Report) {
    let line = |key: &str, f: &Figures| {
        cat.f(
            key,
            &[
                ("times", f.extended.count().to_string()),
                ("tickets", f.extended.tickets.to_string()),
                ("total", crate::present::duration(cat, f.extended.total())),
                ("median", secs(cat, f.extended.median())),
            ],
        )
    };
    if r.total.extended.count() == 0 {
        out.push_str(&format!("{}\n", cat.t("report.extended_none")));
        return;
    }
    out.push_str(&format!("{}\n", line("report.extended", &r.total)));
    for f in r.rows.iter().filter(|f| f.extended.count() > 0) {
        out.push_str(&format!(
            "  {}: {}\n",
            crate::core::sanitize::clean_line(&f.key),
            line("report.extended_row", f)
        ));
    }
}

fn problems(out: &mut String, cat: &Catalog, r: &Report) {
    let t = |k: &str| cat.t(k).to_string();
    out.push_str(&format!("\n{}\n", t("report.frequent")));
    out.push_str(&format!(
        "  {}: {}\n",
        t("field.category"),
        pairs(&r.top_categories)
    ));
    let words = if r.keyword_sample < r.total.received {
        cat.f(
            "report.words_sampled",
            &[("n", r.keyword_sample.to_string())],
        )
    } else {
        t("report.words")
    };
    out.push_str(&format!("  {}: {}\n", words, pairs(&r.top_keywords)));
}

fn satisfaction(out: &mut String, cat: &Catalog, r: &Report) {
    out.push_str(&format!(
        "\n{}\n",
        cat.f(
            "report.satisfaction",
            &[
                (
                    "avg",
                    r.total
                        .satisfaction()
                        .map(|x| format!("{x:.2}"))
                        .unwrap_or_else(|| "—".into())
                ),
                ("rated", r.total.rated.to_string()),
                ("rate", pct(r.total.response_rate())),
            ]
        )
    ));
    if r.total.rated > 0 {
        let parts: Vec<String> = r
            .total
            .ratings
            .iter()
            .enumerate()
            .map(|(i, n)| format!("{}★ {n}", i + 1))
            .collect();
        out.push_str(&format!("  {}\n", parts.join("  ")));
    }
}

/// Workload now: the most loaded agents, and each group's unassigned tickets.
fn workload(out: &mut String, s: &Session, r: &Report) -> Result<()> {
    let cat = s.catalog;
    let t = |k: &str| cat.t(k).to_string();
    out.push_str(&format!("\n{}\n", t("report.workload")));
    let mut agents = s.store.agents()?;
    agents.retain(|a| a.active);
    agents.sort_by(|a, b| {
        (b.load * 1000 / b.capacity.max(1)).cmp(&(a.load * 1000 / a.capacity.max(1)))
    });
    for a in agents.iter().take(10) {
        out.push_str(&format!(
            "  {} {:>4}/{:<4} {}{}\n",
            fit(&crate::core::sanitize::clean_line(&a.login), 14),
            a.load,
            a.capacity,
            a.oldest_open_at
                .map(|o| format!(
                    "{} {}",
                    t("report.oldest"),
                    crate::present::age(cat, r.spec.now - o)
                ))
                .unwrap_or_default(),
            if a.away {
                format!("  ({})", t("ui.away"))
            } else {
                String::new()
            }
        ));
    }
    let groups = s.store.groups()?;
    let un: Vec<String> = groups
        .iter()
        .filter(|g| g.unassigned > 0)
        .map(|g| format!("{} {}", g.code, g.unassigned))
        .collect();
    if !un.is_empty() {
        out.push_str(&format!(
            "  {}: {}\n",
            t("report.unassigned"),
            un.join(" · ")
        ));
    }
    Ok(())
}
