//! Text and JSON output of the command line. Text is for people (aligned, translated, every
//! piece of ticket text sanitised); JSON is for scripts (stable field names, every character
//! that could act on a terminal escaped).

use crate::core::config::Config;
use crate::core::sanitize::{clean_line, clean_text, escape_json_output};
use crate::error::{Error, Message};
use crate::i18n::Catalog;
use crate::present;
use crate::store::query::Count;
use crate::store::tickets::{Attachment, CaseFile};
use crate::store::{AgentInfo, Event, GroupInfo, Ticket};
use serde_json::{Value, json};
use std::io::Write;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

mod search;
pub use search::{hit_json, search_text};

/// One line on stderr: "desk: what is wrong".
pub fn error_line(msg: &str) {
    let line = clean_line(msg);
    let _ = writeln!(std::io::stderr(), "desk: {}", line.trim());
}

/// An error as the command line says it: its message in the reader's language, and where one
/// of the command line's flags or commands would help, which one. The rules and the store
/// never name the command line's flags (the desk has none); the command line knows which of
/// its own answer which message.
pub fn describe(e: &Error, cat: &Catalog) -> String {
    let said = e.message(cat);
    match hint(e) {
        Some(h) => cat.f("cli.with_hint", &[("message", said), ("hint", cat.say(&h))]),
        None => said,
    }
}

/// The flag or command that answers an error, with the error's own values.
fn hint(e: &Error) -> Option<Message> {
    use crate::core::model::OutcomeNote;
    use crate::core::refusal::Refusal as R;
    let flag = |f: &str| Some(crate::msg!("cli.hint.flag", flag = f));
    match e {
        Error::Refused(r) => match r {
            R::OutcomeRequired { .. } => flag("--outcome"),
            R::NoteRequired { note, .. } => flag(match note {
                OutcomeNote::Reason => "--reason",
                OutcomeNote::NextSteps => "--next-steps",
                OutcomeNote::Question => "--question",
            }),
            R::FieldRequired { field, .. } => flag(&format!("--{}", field.replace('_', "-"))),
            R::ReasonRequired {
                action: crate::core::rights::Action::Away,
            } => Some(crate::msg!("cli.hint.reason_or_keep")),
            R::ReasonRequired { .. } => flag("--reason"),
            R::RerouteWithoutCategory => flag("--category"),
            R::RerouteAndGroup => Some(crate::msg!("cli.hint.reroute_or_group")),
            _ => None,
        },
        Error::Item { inner, .. } | Error::Ticket { inner, .. } => hint(inner),
        Error::Invalid(m) | Error::NotFound(m) | Error::Forbidden(m) | Error::Database(m) => {
            let key = HINTS.iter().find(|(k, _)| *k == m.key)?.1;
            Some(Message::new(key, m.args.clone()))
        }
        _ => None,
    }
}

/// Which hint answers which message (keys of `error.*` → keys of `cli.hint.*`).
const HINTS: &[(&str, &str)] = &[
    ("error.no_agent", "cli.hint.no_agent"),
    ("error.no_agent_as", "cli.hint.no_agent"),
    ("error.deactivated", "cli.hint.deactivated"),
    ("error.deactivated_since", "cli.hint.deactivated"),
    ("error.not_an_agent", "cli.hint.not_an_agent"),
    ("error.agent_exists", "cli.hint.agent_exists"),
    ("error.group_exists", "cli.hint.group_exists"),
    ("error.no_group", "cli.hint.add_group"),
    ("error.backup.would_replace", "cli.hint.force"),
    ("error.db.closed_directory", "cli.hint.without_db"),
    ("error.db.missing", "cli.hint.another_db"),
    ("error.db.foreign", "cli.hint.choose_db"),
    ("error.demo_not_empty", "cli.hint.separate_db"),
    ("error.template_needs_group", "cli.hint.give_group"),
    ("error.assign_to_whom", "cli.hint.login_or_group"),
    ("error.no_home", "cli.hint.give_db"),
    ("error.shared_own_config", "cli.hint.drop_config"),
    ("error.not_setid", "cli.hint.run_installed"),
    ("error.shared_by_root", "cli.hint.init_shared"),
    ("error.db.wal_missing", "cli.hint.init_shared_again"),
    ("error.registry.untrusted", "cli.hint.init_shared_again"),
    ("error.registry.directory", "cli.hint.init_shared_again"),
    ("error.db.pg_permission", "cli.hint.grants"),
    ("error.db.init_not_owner", "cli.hint.init_as_owner"),
    ("error.db.upgrade_not_owner", "cli.hint.init_as_owner"),
    ("error.migrate.grants_not_owner", "cli.hint.grants_print"),
];

/// Several lines on stderr (a list worth knowing before going on): each cleaned, the first
/// after "desk: ", the others indented under it.
pub fn note_lines(text: &str) {
    let mut err = std::io::stderr().lock();
    for (i, l) in text.lines().enumerate() {
        let lead = if i == 0 { "desk: " } else { "      " };
        let _ = writeln!(err, "{lead}{}", clean_line(l).trim_end());
    }
}

/// A path as it may appear in a message: cleaned like any untrusted text, and a database's
/// URL without its password.
pub fn path(p: &std::path::Path) -> String {
    clean_line(&crate::store::shown(p)).into_owned()
}

/// Writes to stdout; a closed pipe (`desk list | head`) is not an error.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let r = out.write_all(text.as_bytes()).and_then(|_| {
        if text.ends_with('\n') {
            Ok(())
        } else {
            out.write_all(b"\n")
        }
    });
    let _ = r.and_then(|_| out.flush());
}

pub fn json_text(v: &Value) -> String {
    let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into());
    escape_json_output(&text).into_owned()
}

pub fn rfc3339(at: i64) -> Value {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
        .unwrap_or(Value::Null)
}

fn opt_time(at: Option<i64>) -> Value {
    at.map(rfc3339).unwrap_or(Value::Null)
}

/// A ticket as JSON. These field names are a stable interface (README, "JSON output").
pub fn ticket_json(cfg: &Config, t: &Ticket, history: Option<&[Event]>) -> Value {
    let mut v = json!({
        "number": t.number,
        "subject": t.subject,
        "requester": t.requester,
        "contact": t.contact,
        "channel": t.channel.as_str(),
        "category": t.category,
        "priority": t.priority.as_str(),
        "status": t.status,
        "status_category": cfg.lifecycle.category(&t.status).map(|c| c.as_str()),
        "outcome": t.outcome.map(|o| o.as_str()),
        "reason": t.reason,
        "answer": t.answer,
        "assignee": t.assignee.as_ref().map(|o| o.agent.login.clone()),
        "assignee_name": t.assignee.as_ref().map(|o| o.name.clone()),
        "group": t.group,
        "created_at": rfc3339(t.created_at),
        "created_by": t.created_by,
        "updated_at": rfc3339(t.updated_at),
        "updated_by": t.updated_by,
        "due_at": opt_time(t.due_at),
        "first_response_at": opt_time(t.first_response_at),
        "resolved_at": opt_time(t.resolved_at),
        "closed_at": opt_time(t.closed_at),
        "satisfaction": t.satisfaction,
        "reassignments": t.reassignments,
        "version": t.version,
    });
    if let Some(h) = history {
        v["body"] = json!(t.body);
        v["history"] = Value::Array(h.iter().map(event_json).collect());
    }
    v
}

pub fn event_json(e: &Event) -> Value {
    json!({
        "at": rfc3339(e.at),
        "actor": e.actor,
        "via": e.via,
        "kind": e.kind.as_str(),
        "from": e.from,
        "to": e.to,
        "text": e.text,
    })
}

/// Pads or cuts `s` to exactly `width` terminal columns.
pub fn fit(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total = UnicodeWidthStr::width(s);
    for c in s.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if total > width && used + w + 1 > width {
            if width > 0 {
                out.push('…');
                used += 1;
            }
            break;
        }
        if used + w > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push_str(&" ".repeat(width.saturating_sub(used)));
    out
}

fn label_width(cat: &Catalog, keys: &[&str]) -> usize {
    keys.iter()
        .map(|k| UnicodeWidthStr::width(cat.t(k)))
        .max()
        .unwrap_or(10)
        + 1
}

/// What the case holds besides the ticket (`show --json`): the ticket it was merged into,
/// the duplicates merged into it with their requests, its links.
pub fn case_json(v: &mut Value, case: &CaseFile) {
    v["merged_into"] = json!(case.merged_into);
    v["merged"] = Value::Array(
        case.merged
            .iter()
            .map(|m| {
                json!({
                    "number": m.number,
                    "subject": m.subject,
                    "requester": m.requester,
                    "contact": m.contact,
                    "channel": m.channel.as_str(),
                    "body": m.body,
                    "created_at": rfc3339(m.created_at),
                })
            })
            .collect(),
    );
    v["attachments"] = attachments_json(&case.attachments);
    v["links"] = Value::Array(
        case.links
            .iter()
            .map(|l| json!({"number": l.number, "role": l.role, "subject": l.subject, "status": l.status}))
            .collect(),
    );
}

/// A ticket's files as JSON: `name`, `size`, `sha256`, `added_at`, `added_by`.
pub fn attachments_json(all: &[Attachment]) -> Value {
    Value::Array(
        all.iter()
            .map(|a| {
                json!({
                    "name": a.name,
                    "size": a.size,
                    "sha256": a.hash,
                    "added_at": rfc3339(a.added_at),
                    "added_by": a.added_by,
                })
            })
            .collect(),
    )
}

/// A ticket's files, one line each: name, size, when, by whom, the start of the hash.
pub fn attachments_text(all: &[Attachment]) -> String {
    let w = all
        .iter()
        .map(|a| clean_line(&a.name).width())
        .max()
        .unwrap_or(0);
    all.iter()
        .map(|a| {
            format!(
                "{}  {:>8}  {}  {}  sha256:{}",
                fit(&clean_line(&a.name), w),
                crate::core::attach::human_size(a.size.max(0) as u64),
                crate::time::format(a.added_at),
                a.added_by.as_deref().map(clean_line).unwrap_or_default(),
                a.hash.get(..12).unwrap_or(&a.hash)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The case's own section of `desk show`: links, then the requests merged into the ticket.
fn case_text(cfg: &Config, cat: &Catalog, case: &CaseFile, out: &mut String) {
    if !case.attachments.is_empty() {
        out.push('\n');
        out.push_str(cat.t("field.attachments"));
        out.push('\n');
        for l in attachments_text(&case.attachments).lines() {
            out.push_str(&format!("  {l}\n"));
        }
    }
    if !case.links.is_empty() {
        out.push('\n');
        out.push_str(cat.t("field.links"));
        out.push('\n');
        for l in &case.links {
            out.push_str(&format!(
                "  {}  {}  {}  ({})\n",
                l.number,
                present::status(cfg, cat, &l.status),
                clean_line(&l.subject),
                present::link_role(cat, Some(l.role))
            ));
        }
    }
    for m in &case.merged {
        out.push('\n');
        out.push_str(&present::merged_head(cat, m));
        out.push('\n');
        for l in present::merged_lines(m) {
            out.push_str(&format!("  {l}\n"));
        }
    }
}

/// `desk show` as text: fields, outcome, the request, the case (links, merged requests),
/// and the history; `requester_side` (the requester's side: access code, notices) goes between
/// the case and the history.
pub fn show_text(
    cfg: &Config,
    cat: &Catalog,
    t: &Ticket,
    history: &[Event],
    case: &CaseFile,
    now: i64,
    requester_side: &str,
) -> String {
    let mut f = Fields {
        cat,
        width: label_width(cat, &SHOW_KEYS),
        out: String::new(),
    };
    identity_fields(&mut f, cfg, t, now);
    decision_fields(&mut f, t);
    let mut text = format!("{}  {}\n", t.number, clean_line(&t.subject));
    text.push_str(&f.out);
    if !t.body.trim().is_empty() {
        text.push('\n');
        for l in clean_text(&t.body).lines() {
            text.push_str("  ");
            text.push_str(l);
            text.push('\n');
        }
    }
    case_text(cfg, cat, case, &mut text);
    if !requester_side.is_empty() {
        text.push('\n');
        text.push_str(requester_side);
    }
    text.push('\n');
    text.push_str(cat.t("field.history"));
    text.push('\n');
    history_text(&mut text, cfg, cat, history);
    text
}

/// The labels `show` may use, for the width of their column.
const SHOW_KEYS: [&str; 19] = [
    "field.status",
    "field.priority",
    "field.channel",
    "field.category",
    "field.group",
    "field.assignee",
    "field.requester",
    "field.created",
    "field.outcome",
    "field.answer",
    "field.satisfaction",
    "field.reassigned",
    "field.first_response",
    "field.resolved",
    "field.closed",
    "field.reason",
    "field.next_steps",
    "field.question",
    "field.version",
];

/// Lines of "Label: value", the values aligned.
struct Fields<'a> {
    cat: &'a Catalog,
    width: usize,
    out: String,
}

impl Fields<'_> {
    fn line(&mut self, key: &str, value: String) {
        self.out
            .push_str(&fit(&format!("{}:", self.cat.t(key)), self.width + 1));
        self.out.push_str(&value);
        self.out.push('\n');
    }
}

/// What the ticket is and who has it: status, priority, channel, category, group, owner,
/// requester, registration.
fn identity_fields(f: &mut Fields<'_>, cfg: &Config, t: &Ticket, now: i64) {
    let cat = f.cat;
    let category = cfg
        .category(&t.category)
        .map(|c| format!("{} — {}", t.category, c.name))
        .unwrap_or_else(|| t.category.clone());
    f.line(
        "field.status",
        format!(
            "{} ({})",
            present::status(cfg, cat, &t.status),
            present::age(cat, now - t.updated_at)
        ),
    );
    f.line(
        "field.priority",
        format!(
            "{} {}",
            present::priority_mark(t.priority).trim(),
            cat.priority(t.priority)
        )
        .trim()
        .to_string(),
    );
    f.line("field.channel", cat.id("channel", t.channel.as_str()));
    f.line("field.category", category);
    f.line(
        "field.group",
        t.group
            .clone()
            .unwrap_or_else(|| cat.t("field.none").to_string()),
    );
    f.line("field.assignee", present::assignee(cat, t));
    let requester = match (t.requester.is_empty(), t.contact.is_empty()) {
        (true, true) => cat.t("field.no_contact").to_string(),
        (false, true) => format!(
            "{} — {}",
            clean_line(&t.requester),
            cat.t("field.no_contact")
        ),
        (true, false) => clean_line(&t.contact).into_owned(),
        (false, false) => format!("{} <{}>", clean_line(&t.requester), clean_line(&t.contact)),
    };
    f.line("field.requester", requester);
    f.line(
        "field.created",
        format!(
            "{}{}",
            crate::time::format(t.created_at),
            t.created_by
                .as_deref()
                .map(|b| format!(" ({})", clean_line(b)))
                .unwrap_or_default()
        ),
    );
}

/// Where the ticket stands: its dates, decision, answer, rating and reassignments.
fn decision_fields(f: &mut Fields<'_>, t: &Ticket) {
    let cat = f.cat;
    if let Some(at) = t.first_response_at {
        f.line("field.first_response", crate::time::format(at));
    }
    if let Some(at) = t.resolved_at {
        f.line("field.resolved", crate::time::format(at));
    }
    if let Some(at) = t.closed_at {
        f.line("field.closed", crate::time::format(at));
    }
    match t.outcome {
        Some(o) => {
            f.line("field.outcome", cat.outcome(o).to_string());
            if let Some(r) = t.reason.as_deref().filter(|r| !r.trim().is_empty()) {
                f.line(o.note_kind().label_key(), clean_line(r).into_owned());
            }
        }
        None => f.line("field.outcome", cat.t("field.none").to_string()),
    }
    if let Some(a) = t.answer.as_deref().filter(|a| !a.trim().is_empty()) {
        f.line("field.answer", clean_line(a).into_owned());
    }
    if let Some(s) = t.satisfaction {
        f.line("field.satisfaction", format!("{s}/5"));
    }
    if t.reassignments > 0 {
        f.line(
            "field.reassigned",
            if t.reassignments == 1 {
                cat.t("field.once").to_string()
            } else {
                cat.f("field.times", &[("n", t.reassignments.to_string())])
            },
        );
    }
    f.line("field.version", t.version.to_string());
}

/// The history, each event under the last, notes of several lines kept.
fn history_text(out: &mut String, cfg: &Config, cat: &Catalog, history: &[Event]) {
    // Wide enough for every actor of this history ("root as olena"), never cut.
    let actor_width = history
        .iter()
        .map(|e| present::actor(cat, e).width())
        .max()
        .unwrap_or(0)
        .max(8);
    for e in history {
        let head = format!(
            "  {}  {}  ",
            crate::time::format(e.at),
            fit(&present::actor(cat, e), actor_width)
        );
        // A note of several lines keeps them, each under the first.
        for (i, l) in present::event_lines(cfg, cat, e).iter().enumerate() {
            let lead = if i == 0 {
                head.clone()
            } else {
                " ".repeat(head.width())
            };
            out.push_str(&format!("{lead}{l}\n"));
        }
    }
}

/// Terminal width for tables: the terminal's, else $COLUMNS, else 100.
pub fn width() -> usize {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal()
        && let Ok((w, _)) = ratatui::crossterm::terminal::size()
    {
        return (w as usize).max(60);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .unwrap_or(100)
        .max(60)
}

/// A queue as an aligned table.
pub fn list_text(
    cfg: &Config,
    cat: &Catalog,
    tickets: &[Ticket],
    total: Count,
    now: i64,
    width: usize,
) -> String {
    if tickets.is_empty() {
        return format!("{}\n", cat.t("list.empty"));
    }
    let mut out = String::new();
    for line in list_rows(cfg, cat, tickets, now, width) {
        out.push_str(&line);
        out.push('\n');
    }
    let shown = tickets.len() as i64;
    let (total, exact) = total.number();
    let key = if exact { "list.more" } else { "list.more_than" };
    if total > shown {
        out.push_str(&cat.f(key, &[("n", (total - shown).to_string())]));
        out.push('\n');
    }
    out
}

/// The lines of a list of tickets, as `desk list` shows them (no header, no footer).
fn list_rows(
    cfg: &Config,
    cat: &Catalog,
    tickets: &[Ticket],
    now: i64,
    width: usize,
) -> Vec<String> {
    let num_w = tickets
        .iter()
        .map(|t| UnicodeWidthStr::width(t.number.as_str()))
        .max()
        .unwrap_or(10);
    let status_w = 16;
    let who_w = 12;
    let age_w = 4;
    let fixed = num_w + 3 + status_w + 1 + who_w + 1 + age_w + 1;
    let subject_w = width.saturating_sub(fixed).max(10);
    tickets
        .iter()
        .map(|t| {
            let who = t
                .assignee
                .as_ref()
                .map(|o| clean_line(&o.agent.login).into_owned())
                .unwrap_or_else(|| "—".into());
            format!(
                "{} {} {} {} {} {}",
                fit(&t.number, num_w),
                present::priority_mark(t.priority),
                fit(&present::status(cfg, cat, &t.status), status_w),
                fit(&who, who_w),
                fit(&present::age(cat, now - t.created_at), age_w),
                fit(&clean_line(&t.subject), subject_w).trim_end()
            )
        })
        .collect()
}

pub fn agents_json(agents: &[AgentInfo]) -> Value {
    Value::Array(
        agents
            .iter()
            .map(|a| {
                json!({
                    "login": a.login, "name": a.name, "role": a.role.as_str(), "groups": a.groups,
                    "capacity": a.capacity, "load": a.load, "active": a.active, "away": a.away,
                    "oldest_open_at": opt_time(a.oldest_open_at), "mail": a.mail,
                })
            })
            .collect(),
    )
}

pub fn agents_text(cat: &Catalog, agents: &[AgentInfo]) -> String {
    let mut out = String::new();
    for a in agents {
        let bar_len = 10usize;
        let filled = if a.capacity > 0 {
            ((a.load.min(a.capacity) * bar_len as i64) / a.capacity) as usize
        } else {
            bar_len
        };
        let state = match (a.active, a.away) {
            (false, _) => format!(" ({})", cat.t("ui.inactive")),
            (true, true) => format!(" ({})", cat.t("ui.away")),
            _ => String::new(),
        };
        let state = match &a.mail {
            Some(m) => format!("{state} ✉ {}", clean_line(m)),
            None => state,
        };
        out.push_str(&format!(
            "{} {} {} [{}{}] {:>3}/{:<3} {}{}\n",
            fit(&clean_line(&a.login), 14),
            fit(&clean_line(&a.name), 22),
            fit(&cat.id("role", a.role.as_str()), 12),
            "#".repeat(filled),
            ".".repeat(bar_len - filled),
            a.load,
            a.capacity,
            a.groups.join(","),
            state
        ));
    }
    out
}

pub fn groups_json(groups: &[GroupInfo]) -> Value {
    Value::Array(
        groups
            .iter()
            .map(|g| {
                json!({
                    "code": g.code, "name": g.name, "auto_assign": g.auto_assign,
                    "members": g.members, "open": g.open, "unassigned": g.unassigned,
                })
            })
            .collect(),
    )
}

pub fn groups_text(cat: &Catalog, groups: &[GroupInfo]) -> String {
    let mut out = String::new();
    for g in groups {
        out.push_str(&format!(
            "{} {} {} {:>3}  {} {:>6}  {} {:>6}{}\n",
            fit(&g.code, 10),
            fit(&clean_line(&g.name), 28),
            cat.t("list.members"),
            g.members,
            cat.t("list.open"),
            g.open,
            cat.t("list.unassigned"),
            g.unassigned,
            if g.auto_assign {
                format!("  {}", cat.t("list.auto_assign"))
            } else {
                String::new()
            }
        ));
    }
    out
}
