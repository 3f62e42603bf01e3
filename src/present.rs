//! How things read to a person, shared by the command line and the terminal desk: labels,
//! history lines, ages, priority marks. Every string passes through the catalog, and every
//! piece of ticket text through the sanitiser.

use crate::core::config::Config;
use crate::core::model::{Channel, EventKind, Outcome, Priority};
use crate::core::sanitize::{clean_line, clean_text};
use crate::i18n::Catalog;
use crate::store::{Event, Ticket};

/// A status as people read it (config label, else the catalog, else its id).
pub fn status(cfg: &Config, cat: &Catalog, id: &str) -> String {
    let label = cfg.lifecycle.status(id).and_then(|s| s.label.as_deref());
    cat.status(id, label)
}

/// A mark that makes urgency visible without colour.
pub fn priority_mark(p: Priority) -> &'static str {
    match p {
        Priority::Urgent => "‼",
        Priority::High => "!",
        Priority::Normal => " ",
        Priority::Low => "↓",
    }
}

/// Where a ticket's service level stands now, from its stored due and at-risk instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaMark {
    Ok,
    /// Waiting for the requester: the clocks are paused.
    Paused,
    AtRisk,
    Breached,
    /// Finished, or no target.
    None,
}

impl SlaMark {
    /// The symbol that says it without colour.
    pub fn symbol(self) -> &'static str {
        match self {
            SlaMark::Breached => "⚠",
            SlaMark::AtRisk => "◷",
            SlaMark::Paused => "⏸",
            SlaMark::Ok | SlaMark::None => " ",
        }
    }
}

pub fn sla_mark(cfg: &Config, t: &Ticket, now: i64) -> SlaMark {
    use crate::core::model::StatusCategory as C;
    match cfg.lifecycle.category(&t.status) {
        Some(C::Waiting) => SlaMark::Paused,
        Some(c) if c.is_finished() => SlaMark::None,
        _ => match (t.due_at, t.risk_at) {
            (Some(d), _) if d <= now => SlaMark::Breached,
            (_, Some(r)) if r <= now => SlaMark::AtRisk,
            (Some(_), _) => SlaMark::Ok,
            _ => SlaMark::None,
        },
    }
}

/// A duration in seconds as a short age in the catalog's units: 45s, 12m, 5h, 3d, 7w.
pub fn age(cat: &Catalog, seconds: i64) -> String {
    let s = seconds.max(0);
    let (n, unit) = match s {
        0..60 => (s, "age.s"),
        60..3600 => (s / 60, "age.m"),
        3600..86_400 => (s / 3600, "age.h"),
        86_400..1_209_600 => (s / 86_400, "age.d"),
        _ => (s / 604_800, "age.w"),
    };
    cat.f(unit, &[("n", n.to_string())])
}

/// A duration in the catalog's units, to two places: 45s, 12m, 3h 05m, 2d 4h (negative: -).
pub fn duration(cat: &Catalog, secs: i64) -> String {
    let s = secs.abs();
    let sign = if secs < 0 { "-" } else { "" };
    let u = |key: &str, n: i64| cat.f(key, &[("n", n.to_string())]);
    let text = match s {
        0..60 => u("age.s", s),
        60..3600 => u("age.m", s / 60),
        3600..86_400 => format!("{} {}", u("age.h", s / 3600), u("age.m", (s % 3600) / 60)),
        _ => format!(
            "{} {}",
            u("age.d", s / 86_400),
            u("age.h", (s % 86_400) / 3600)
        ),
    };
    format!("{sign}{text}")
}

/// The outcome with its note: "refused — Reason: income too high" (a note of several lines
/// keeps them).
pub fn outcome_line(cat: &Catalog, outcome: Outcome, note: Option<&str>) -> String {
    match note {
        Some(n) if !n.trim().is_empty() => format!(
            "{} — {}: {}",
            cat.outcome(outcome),
            cat.t(outcome.note_kind().label_key()),
            clean_text(n).trim_end()
        ),
        _ => cat.outcome(outcome).to_string(),
    }
}

/// Who did it: "ivanov", "admin as ivanov", or the desk itself.
pub fn actor(cat: &Catalog, e: &Event) -> String {
    match (&e.actor, &e.via) {
        (Some(a), Some(v)) => cat.f(
            "event.via",
            &[
                ("via", clean_line(v).into()),
                ("actor", clean_line(a).into()),
            ],
        ),
        (Some(a), None) => clean_line(a).into_owned(),
        (None, _) => cat.t("event.system").to_string(),
    }
}

/// One history step as text (without time and actor). A note, an answer or a reason of
/// several lines keeps its lines: see `event_lines`.
pub fn event(cfg: &Config, cat: &Catalog, e: &Event) -> String {
    let from = e
        .from
        .as_deref()
        .map(clean_line)
        .unwrap_or_default()
        .into_owned();
    let to =
        e.to.as_deref()
            .map(clean_line)
            .unwrap_or_default()
            .into_owned();
    let text = e.text.as_deref().map(clean_text);
    match e.kind {
        EventKind::Created => created(cat, e),
        EventKind::Status => with_text(
            &text,
            cat.f(
                "event.status",
                &[
                    ("from", status(cfg, cat, &from)),
                    ("to", status(cfg, cat, &to)),
                ],
            ),
        ),
        EventKind::Outcome => outcome_event(cat, e, from, to, &text),
        EventKind::Assigned => with_text(
            &text,
            match (e.from.is_some(), e.to.is_some()) {
                (true, true) => cat.f("event.reassigned", &[("from", from), ("to", to)]),
                (false, true) => cat.f("event.assigned", &[("to", to)]),
                _ => cat.f("event.unassigned", &[("from", from)]),
            },
        ),
        EventKind::Group => with_text(
            &text,
            cat.f(
                "event.group",
                &[
                    ("from", if from.is_empty() { "—".into() } else { from }),
                    ("to", to),
                ],
            ),
        ),
        EventKind::Comment => with_text(&text, cat.t("event.comment").to_string()),
        EventKind::Reply => with_text(&text, cat.t("event.reply").to_string()),
        EventKind::Rated => with_text(&text, cat.f("event.rated", &[("to", to)])),
        EventKind::Attached => attached(cat, e, to),
        EventKind::Merged if e.to.is_some() => {
            with_text(&text, cat.f("event.merged_into", &[("to", to)]))
        }
        EventKind::Merged => with_text(&text, cat.f("event.merged_from", &[("from", from)])),
        EventKind::Linked => cat.f(
            "event.linked",
            &[("to", to), ("kind", link_role(cat, e.text.as_deref()))],
        ),
        EventKind::Unlinked => cat.f(
            "event.unlinked",
            &[("from", from), ("kind", link_role(cat, e.text.as_deref()))],
        ),
        EventKind::Reminded => reminded(cat, e),
        // from: the clock; to: the level; text: the actions taken.
        EventKind::Escalated => escalation(cat, &from, &to, e.text.as_deref().unwrap_or("")),
        // from: the clock; to: the supervisor told; text: the level.
        EventKind::Alerted => cat.f(
            "event.alerted",
            &[
                ("to", to),
                ("clock", cat.id("sla.clock", &from)),
                ("level", cat.id("sla.states", text.as_deref().unwrap_or(""))),
            ],
        ),
        EventKind::AlertSeen => cat.f("event.alert_seen", &[("to", to)]),
        EventKind::Extended => extended(cat, from, to, &text),
        EventKind::Field => field_event(cat, e, &from, &to),
        EventKind::Message => {
            let head = cat.f("event.message", &[("from", from)]);
            match &text {
                Some(t) if !t.trim().is_empty() => {
                    format!("{}: {}", head.trim_end(), shorten(t, MESSAGE_CHARS))
                }
                _ => head,
            }
        }
        EventKind::Notice => with_text(
            &text,
            cat.f(
                if from == "alert" {
                    "event.notice_staff"
                } else {
                    "event.notice"
                },
                &[
                    ("kind", notice_kind(cat, &from)),
                    ("state", notice_state(cat, &to)),
                ],
            ),
        ),
    }
}

/// One ticket of an agent going away and where it goes: "HSG-… Leak in flat 1 → petro".
pub fn hand_over_line(cat: &Catalog, h: &crate::store::away::HandOver) -> String {
    let to = match (&h.to, &h.group) {
        (Some(to), _) => clean_line(to).into_owned(),
        (None, Some(g)) => cat.f(
            "msg.hand_over_queue",
            &[("group", clean_line(g).into_owned())],
        ),
        (None, None) => cat.t("msg.hand_over_unrouted").to_string(),
    };
    format!(
        "{}  {}  → {to}",
        h.number,
        shorten(&clean_line(&h.subject), 40)
    )
}

/// A head followed by the event's text, when it has one.
fn with_text(text: &Option<std::borrow::Cow<'_, str>>, head: String) -> String {
    match text {
        Some(t) if !t.trim().is_empty() => format!("{head}: {}", t.trim_end()),
        _ => head,
    }
}

/// An outcome recorded (with its reason, next steps or answer) or cleared by an undo.
fn outcome_event(
    cat: &Catalog,
    e: &Event,
    from: String,
    to: String,
    text: &Option<std::borrow::Cow<'_, str>>,
) -> String {
    match e.to {
        None => cat.f(
            "event.outcome_cleared",
            &[(
                "from",
                from.parse::<Outcome>()
                    .map(|o| cat.outcome(o).to_string())
                    .unwrap_or(from),
            )],
        ),
        Some(_) => {
            let o = to.parse::<Outcome>().ok();
            match o {
                Some(o) => cat.f(
                    "event.outcome",
                    &[("to", outcome_line(cat, o, e.text.as_deref()))],
                ),
                None => with_text(text, cat.f("event.outcome", &[("to", to)])),
            }
        }
    }
}

/// A ticket registered: its text is "channel|category|priority".
fn created(cat: &Catalog, e: &Event) -> String {
    let raw = e.text.clone().unwrap_or_default();
    let mut parts = raw.split('|');
    let channel = parts.next().unwrap_or("");
    let category = parts.next().unwrap_or("");
    let priority = parts.next().unwrap_or("");
    cat.f(
        "event.created",
        &[
            (
                "channel",
                channel
                    .parse::<Channel>()
                    .map(|c| cat.id("channel", c.as_str()))
                    .unwrap_or_else(|_| clean_line(channel).into()),
            ),
            ("category", clean_line(category).into()),
            (
                "priority",
                priority
                    .parse::<Priority>()
                    .map(|p| cat.priority(p).to_string())
                    .unwrap_or_else(|_| clean_line(priority).into()),
            ),
        ],
    )
}

/// A file attached: the text is "sha256:HASH SIZE" (the hash chain holds both).
fn attached(cat: &Catalog, e: &Event, to: String) -> String {
    // The text is "sha256:HASH SIZE" (the hash chain holds both).
    let size = e
        .text
        .as_deref()
        .and_then(|t| t.rsplit(' ').next())
        .and_then(|s| s.parse::<u64>().ok())
        .map(crate::core::attach::human_size)
        .unwrap_or_default();
    cat.f("event.attached", &[("name", to), ("size", size)])
}

/// A field corrected (`core::edit`): the text names the field.
fn field_event(cat: &Catalog, e: &Event, from: &str, to: &str) -> String {
    // The text names the field corrected (`core::edit`).
    let field = e.text.as_deref().unwrap_or("");
    let f = crate::core::edit::EditField::parse(field);
    let label = match f {
        Some(f) => cat.t(&format!("field.{}", f.as_str())).to_string(),
        None => clean_line(field).into_owned(),
    };
    cat.f(
        "event.field",
        &[
            ("field", label),
            ("from", field_value(cat, f, from)),
            ("to", field_value(cat, f, to)),
        ],
    )
}

/// A reminder: "reminded; closed on … unless they answer" (`to`: when it closes).
fn reminded(cat: &Catalog, e: &Event) -> String {
    match e.to.as_deref().and_then(|v| v.parse::<i64>().ok()) {
        Some(at) => cat.f("event.reminded_until", &[("at", crate::time::format(at))]),
        None => cat.t("event.reminded").to_string(),
    }
}

/// An escalation as people read it: "resolution breached: supervisors notified, …" — from its
/// clock, its level and the actions taken (their ids, separated by spaces).
pub fn escalation(cat: &Catalog, clock: &str, level: &str, actions: &str) -> String {
    let actions: Vec<String> = actions
        .split_whitespace()
        .map(|a| cat.id("escalation", a))
        .collect();
    cat.f(
        "event.escalated",
        &[
            ("clock", cat.id("sla.clock", clock)),
            ("level", cat.id("sla.states", level)),
            ("actions", actions.join(", ")),
        ],
    )
}

/// A deadline extended: `from` the time added (seconds), `to` the new due time, the reason.
fn extended(
    cat: &Catalog,
    from: String,
    to: String,
    text: &Option<std::borrow::Cow<'_, str>>,
) -> String {
    with_text(
        text,
        cat.f(
            "event.extended",
            &[
                (
                    "by",
                    from.parse::<i64>()
                        .map(|s| duration(cat, s))
                        .unwrap_or(from),
                ),
                (
                    "to",
                    to.parse::<i64>().map(crate::time::format).unwrap_or(to),
                ),
            ],
        ),
    )
}

/// The head of a duplicate merged into a ticket: "Merged HSG-… (duplicate), registered
/// 2026-11-23 12:00 via phone: Olena K. <+380…>".
pub fn merged_head(cat: &Catalog, m: &crate::store::tickets::MergedRequest) -> String {
    let who = match (m.requester.trim().is_empty(), m.contact.trim().is_empty()) {
        (true, true) => cat.t("field.none").to_string(),
        (false, true) => clean_line(&m.requester).into_owned(),
        (true, false) => clean_line(&m.contact).into_owned(),
        (false, false) => format!("{} <{}>", clean_line(&m.requester), clean_line(&m.contact)),
    };
    cat.f(
        "field.merged_request",
        &[
            ("number", m.number.clone()),
            ("at", crate::time::format(m.created_at)),
            ("channel", cat.id("channel", m.channel.as_str())),
            ("who", who),
        ],
    )
}

/// A merged duplicate's subject and request, line by line (cleaned).
pub fn merged_lines(m: &crate::store::tickets::MergedRequest) -> Vec<String> {
    let mut out = vec![clean_line(&m.subject).into_owned()];
    out.extend(clean_text(&m.body).trim_end().lines().map(str::to_string));
    out
}

/// What a linked ticket is to this one: related, its parent, its part.
pub fn link_role(cat: &Catalog, role: Option<&str>) -> String {
    match role {
        Some(r @ ("related" | "parent" | "child")) => cat.t(&format!("link.{r}")).to_string(),
        Some(other) => clean_line(other).into_owned(),
        None => String::new(),
    }
}

/// A field's correction in one line: "HSG-…: Priority Normal → High".
pub fn change(cat: &Catalog, number: &str, c: &crate::core::edit::Change) -> String {
    cat.f(
        "msg.changed",
        &[
            ("number", number.to_string()),
            ("change", change_text(cat, c)),
        ],
    )
}

/// A field's correction: "Priority Normal → High".
pub fn change_text(cat: &Catalog, c: &crate::core::edit::Change) -> String {
    cat.f(
        "msg.change",
        &[
            (
                "field",
                cat.t(&format!("field.{}", c.field.as_str())).to_string(),
            ),
            ("from", field_value(cat, Some(c.field), &c.from)),
            ("to", field_value(cat, Some(c.field), &c.to)),
        ],
    )
}

/// A corrected field's value as people read it: a priority in words, nothing as a dash.
fn field_value(cat: &Catalog, field: Option<crate::core::edit::EditField>, v: &str) -> String {
    match v.parse::<Priority>() {
        Ok(p) if field == Some(crate::core::edit::EditField::Priority) => {
            cat.priority(p).to_string()
        }
        _ if v.is_empty() => "—".to_string(),
        _ => clean_line(v).into_owned(),
    }
}

/// One history step as lines: the step with the first line of its text, then the text's
/// further lines (for the caller to indent under the first).
pub fn event_lines(cfg: &Config, cat: &Catalog, e: &Event) -> Vec<String> {
    event(cfg, cat, e).lines().map(str::to_string).collect()
}

/// The longest part of a requester's message shown in a history line (`desk mail` and the
/// ticket's messages show all of it).
const MESSAGE_CHARS: usize = 2000;

fn shorten(s: &str, max: usize) -> String {
    crate::core::mail::inbound::shorten(s.trim(), max)
}

/// A notice's kind in the reader's language (its id when unknown).
pub fn notice_kind(cat: &Catalog, kind: &str) -> String {
    let key = format!("notice.kind.{kind}");
    if cat.has(&key) {
        cat.t(&key).to_string()
    } else {
        clean_line(kind).into_owned()
    }
}

/// What the outbox keeps of a notice's fate, in the reader's language (a server's answer or
/// an operator's words as they were, on one line).
pub fn notice_note(cat: &Catalog, stored: &str) -> String {
    cat.say(&crate::core::mail::notice::Note::read(stored).said())
}

/// A notice's state in the reader's language (its id when unknown).
pub fn notice_state(cat: &Catalog, state: &str) -> String {
    let key = format!("notice.state.{state}");
    if cat.has(&key) {
        cat.t(&key).to_string()
    } else {
        clean_line(state).into_owned()
    }
}

/// The line the desk shows while a requester must be told something another way: how to
/// reach them and what to tell; None when nothing waits. `waiting` are the ticket's notices
/// in state failed or manual.
pub fn inform_line(
    cat: &Catalog,
    t: &Ticket,
    waiting: &[crate::store::outbox::Notice],
    then: String,
) -> Option<String> {
    use crate::core::mail::notice::{Reach, reach};
    if waiting.is_empty() {
        return None;
    }
    let what = waiting
        .iter()
        .map(|n| notice_kind(cat, n.kind.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let how = match reach(&t.contact, t.channel) {
        Reach::Phone(p) => cat.f("mail.how_phone", &[("phone", clean_line(&p).into_owned())]),
        Reach::InPerson => cat.t("mail.how_in_person").to_string(),
        Reach::Unknown => cat.t("mail.how_unknown").to_string(),
        Reach::Email(a) => {
            let why = waiting
                .iter()
                .rev()
                .find_map(|n| n.note.as_deref())
                .map(|e| notice_note(cat, e))
                .unwrap_or_default();
            cat.f(
                "mail.how_failed",
                &[("address", clean_line(&a).into_owned()), ("error", why)],
            )
        }
    };
    Some(cat.f(
        "mail.inform",
        &[("how", how), ("what", what), ("then", then)],
    ))
}

/// The assignee as "Name (login)", or "unassigned".
pub fn assignee(cat: &Catalog, t: &Ticket) -> String {
    match &t.assignee {
        Some(o) => format!("{} ({})", clean_line(&o.name), clean_line(&o.agent.login)),
        None => cat.t("field.unassigned").to_string(),
    }
}

/// A status as the requester reads it (`desk status`, the web page): the catalog's plain
/// words for the status, else for its category, else the status's label.
pub fn public_status(cfg: &Config, cat: &Catalog, id: &str) -> String {
    let key = format!("public.status.{id}");
    if cat.has(&key) || crate::i18n::Catalog::english().has(&key) {
        return cat.t(&key).to_string();
    }
    match cfg.lifecycle.category(id) {
        Some(c) => cat.id("public.category", c.as_str()),
        None => status(cfg, cat, id),
    }
}

/// One public step as the requester reads it: its head ("Decision: refused") and its text
/// (a reason, an answer, a message; sanitised, lines kept), without time. Shared by the
/// command line and the web page, which escapes both.
pub fn public_step(
    cfg: &Config,
    cat: &Catalog,
    s: &crate::core::public::Step,
) -> (String, Option<String>) {
    use crate::core::public::StepKind;
    let text = |t: &str| Some(clean_text(t).trim_end().to_string()).filter(|t| !t.is_empty());
    let (head, body) = match &s.kind {
        StepKind::Registered { channel: Some(c) } => (
            cat.f(
                "public.registered_via",
                &[("channel", cat.id("channel", c.as_str()))],
            ),
            None,
        ),
        StepKind::Registered { channel: None } => (cat.t("public.registered").to_string(), None),
        StepKind::Status { status } => (public_status(cfg, cat, status), None),
        StepKind::Decision { outcome, note } => (
            cat.f(
                "public.decision_step",
                &[("outcome", cat.outcome(*outcome).to_string())],
            ),
            note.as_deref().and_then(|n| {
                text(n).map(|n| format!("{}: {n}", cat.t(outcome.note_kind().label_key())))
            }),
        ),
        StepKind::Answer { text: t } => (cat.t("public.answer_step").to_string(), text(t)),
        StepKind::Message { text: t } => (cat.t("public.message_step").to_string(), text(t)),
        StepKind::Merged { into } => (
            cat.f(
                "public.merged",
                &[("number", clean_line(into).into_owned())],
            ),
            None,
        ),
    };
    let head = match &s.by {
        Some(by) => format!(
            "{head} ({})",
            cat.f("public.by", &[("name", clean_line(by).into_owned())])
        ),
        None => head,
    };
    (head, body)
}

/// The decision in force as the requester reads it: "partially granted — Next steps: …".
pub fn public_decision(cat: &Catalog, v: &crate::core::public::View) -> Option<String> {
    v.decision
        .as_ref()
        .map(|(o, note, _)| outcome_line(cat, *o, note.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        let en = Catalog::english();
        assert_eq!(age(en, -5), "0s");
        assert_eq!(age(en, 59), "59s");
        assert_eq!(age(en, 60), "1m");
        assert_eq!(age(en, 3600 * 5 + 7), "5h");
        assert_eq!(age(en, 86_400 * 3), "3d");
        assert_eq!(age(en, 86_400 * 30), "4w");
        assert_eq!(age(Catalog::for_lang("ru"), 86_400 * 3), "3д");
        assert_eq!(age(Catalog::for_lang("uk"), 3600 * 12), "12год");
        assert_eq!(duration(en, 3600 * 3 + 300), "3h 5m");
        assert_eq!(duration(en, -(86_400 * 2 + 3600 * 4)), "-2d 4h");
        assert_eq!(duration(Catalog::for_lang("ru"), 3600 + 60), "1ч 1м");
    }

    #[test]
    fn history_lines_are_sanitised_and_translated() {
        let cfg = Config::builtin().expect("config");
        let en = Catalog::english();
        let ev = |kind, from: Option<&str>, to: Option<&str>, text: Option<&str>| Event {
            id: 1,
            at: 0,
            actor: Some("ivanov".into()),
            via: None,
            kind,
            from: from.map(Into::into),
            to: to.map(Into::into),
            text: text.map(Into::into),
        };
        assert_eq!(
            event(
                &cfg,
                en,
                &ev(EventKind::Status, Some("new"), Some("attributed"), None)
            ),
            "New → Attributed"
        );
        assert_eq!(
            event(
                &cfg,
                en,
                &ev(
                    EventKind::Created,
                    None,
                    Some("new"),
                    Some("phone|HSG|high")
                )
            ),
            "registered via phone: HSG, high"
        );
        assert_eq!(
            event(
                &cfg,
                en,
                &ev(EventKind::Outcome, None, Some("refused"), Some("too late"))
            ),
            "outcome: refused — Reason: too late"
        );
        assert_eq!(
            event(
                &cfg,
                en,
                &ev(
                    EventKind::Assigned,
                    Some("a"),
                    Some("b"),
                    Some("wrong dept")
                )
            ),
            "reassigned a → b: wrong dept"
        );
        let evil = event(
            &cfg,
            en,
            &ev(
                EventKind::Comment,
                None,
                None,
                Some("hi\u{1b}]0;x\u{7}\u{202e}"),
            ),
        );
        assert!(
            !evil.contains('\u{1b}') && !evil.contains('\u{202e}'),
            "{evil:?}"
        );
        let note = ev(
            EventKind::Comment,
            None,
            None,
            Some("Called twice.\nNo answer.\n"),
        );
        assert_eq!(
            event_lines(&cfg, en, &note),
            ["note: Called twice.", "No answer."],
            "a note of several lines keeps them"
        );
        let ru = Catalog::for_lang("ru");
        assert_eq!(
            event(
                &cfg,
                ru,
                &ev(
                    EventKind::Status,
                    Some("in_progress"),
                    Some("waiting_info"),
                    None
                )
            ),
            "В обработке → Ожидание доп. информации"
        );
    }
}
