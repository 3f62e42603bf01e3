//! `desk status NUMBER`: a ticket as its requester sees it, for an operator to read out on the
//! phone — exactly what the web page shows (`core::public` decides what that is).

use super::output::{json_text, print, rfc3339};
use super::{Cli, StatusArgs};
use crate::core::mail::access;
use crate::core::public::{StepKind, View};
use crate::core::sanitize::{clean_line, clean_text};
use crate::error::{Error, Result};
use crate::present;
use crate::session::Session;
use crate::time::{date as local_date, format as local_time};
use serde_json::{Value, json};

pub fn status(s: &mut Session, cli: &Cli, a: &StatusArgs, now: i64) -> Result<()> {
    let who = s.store.actor(&s.login, cli.as_login.as_deref())?;
    crate::core::rights::check(&who, crate::core::rights::Action::Read, None)?;
    // The very ticket the requester names: a duplicate shows where it is handled.
    let t = s
        .store
        .find_exact(&s.cfg, &super::words(&a.number), local_date(now))?;
    if let Some(code) = &a.code {
        let own = s.store.access(t.id)?.code;
        if access::parse(code).as_deref() != Some(own.as_str()) {
            return Err(Error::Forbidden(crate::msg!(
                "error.public.code",
                number = t.number.clone()
            )));
        }
    }
    let v = s.store.requester_view(&s.cfg, &t)?;
    if cli.json {
        print(&json_text(&view_json(s, &v)));
    } else {
        print(&view_text(s, &v));
    }
    Ok(())
}

fn view_text(s: &Session, v: &View) -> String {
    let cat = s.catalog;
    let mut out = vec![format!("{}  {}", v.number, clean_line(&v.subject))];
    out.push(format!(
        "{}: {} ({})",
        cat.t("public.status_label"),
        present::public_status(&s.cfg, cat, &v.status),
        cat.f("public.since", &[("date", local_time(v.since))])
    ));
    let handled: Vec<String> = [&v.group, &v.handler]
        .into_iter()
        .flatten()
        .map(|x| clean_line(x).into_owned())
        .collect();
    if !handled.is_empty() {
        out.push(format!(
            "{}: {}",
            cat.t("public.handled_by"),
            handled.join(" · ")
        ));
    }
    if let Some(d) = present::public_decision(cat, v) {
        out.push(format!("{}: {d}", cat.t("public.decision")));
    }
    if let Some((_, _, Some(answer))) = &v.decision {
        out.push(format!(
            "{}: {}",
            cat.t("public.answer"),
            clean_text(answer).trim_end()
        ));
    }
    out.push(String::new());
    out.push(format!("{}:", cat.t("public.steps")));
    for step in &v.steps {
        let (head, text) = present::public_step(&s.cfg, cat, step);
        out.push(format!("  {}  {head}", local_time(step.at)));
        for line in text.iter().flat_map(|t| t.lines()) {
            out.push(format!("      {line}"));
        }
    }
    out.join("\n")
}

fn view_json(s: &Session, v: &View) -> Value {
    let cat = s.catalog;
    let steps: Vec<Value> = v
        .steps
        .iter()
        .map(|st| {
            let mut j = json!({"at": rfc3339(st.at), "by": st.by});
            match &st.kind {
                StepKind::Registered { channel } => {
                    j["kind"] = json!("registered");
                    j["channel"] = json!(channel.map(|c| c.as_str()));
                }
                StepKind::Status { status } => {
                    j["kind"] = json!("status");
                    j["status"] = json!(status);
                    j["status_text"] = json!(present::public_status(&s.cfg, cat, status));
                }
                StepKind::Decision { outcome, note } => {
                    j["kind"] = json!("decision");
                    j["outcome"] = json!(outcome.as_str());
                    j["note"] = json!(note);
                }
                StepKind::Answer { text } => {
                    j["kind"] = json!("answer");
                    j["text"] = json!(text);
                }
                StepKind::Message { text } => {
                    j["kind"] = json!("message");
                    j["text"] = json!(text);
                }
                StepKind::Merged { into } => {
                    j["kind"] = json!("merged");
                    j["into"] = json!(into);
                }
            }
            j
        })
        .collect();
    json!({
        "number": v.number,
        "subject": v.subject,
        "status": v.status,
        "status_text": present::public_status(&s.cfg, cat, &v.status),
        "status_category": v.status_category.map(|c| c.as_str()),
        "since": rfc3339(v.since),
        "group": v.group,
        "handler": v.handler,
        "decision": v.decision.as_ref().map(|(o, note, answer)| json!({
            "outcome": o.as_str(), "note": note, "answer": answer
        })),
        "registered_at": rfc3339(v.registered_at),
        "merged_into": v.merged_into,
        "steps": steps,
    })
}

/// `desk serve`: the requesters' web page, until SIGTERM or Ctrl-C.
pub fn serve(s: &mut Session, cli: &Cli, listen: Option<&str>) -> Result<()> {
    use crate::core::rights::{self, Action};
    // A service of its own, never an operator's set-id process.
    if crate::privilege::is_setid() {
        return Err(Error::Forbidden(crate::msg!("error.web.setid")));
    }
    let who = s.store.actor(&s.login, cli.as_login.as_deref())?;
    rights::check(&who, Action::Serve, None)?;
    let address = listen.unwrap_or(&s.cfg.web.listen).trim().to_string();
    let addr: std::net::SocketAddr = address.parse().map_err(|_| {
        Error::Invalid(crate::msg!(
            "error.web.address",
            address = clean_line(&address).into_owned()
        ))
    })?;
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        Error::Invalid(crate::msg!(
            "error.web.listen",
            address = address.clone(),
            why = crate::error::io(&e)
        ))
    })?;
    let runtime = |e: std::io::Error| {
        Error::Database(crate::msg!("error.web.runtime", why = crate::error::io(&e)))
    };
    let local = listener.local_addr().map_err(runtime)?;
    let mut secret = [0u8; 64];
    getrandom::fill(&mut secret).map_err(|e| runtime(std::io::Error::other(e.to_string())))?;
    if s.cfg.public_url.is_none() {
        super::output::error_line(s.catalog.t("web.no_public_url"));
    }
    super::output::error_line(&s.catalog.f(
        "web.listening",
        &[
            ("address", local.to_string()),
            ("login", who.agent.login.clone()),
        ],
    ));
    let lang = crate::session::language(&s.cfg);
    crate::web::run(
        crate::web::App::new(s.cfg.clone(), secret, lang),
        crate::web::Options {
            listener,
            db: s.db_path.clone(),
            shared: s.shared,
            busy_timeout: crate::session::busy_timeout()?,
            login: s.login.clone(),
            as_login: cli.as_login.clone(),
        },
    )
}
