//! `desk mail …`: the outbox and mail in from the command line, and the requester's side of
//! `desk show`. No rule lives here.

use super::output::{self, fit, json_text, print, rfc3339};
use super::{Cli, MailCommand};
use crate::core::model::Actor;
use crate::core::sanitize::{clean_line, clean_text};
use crate::error::{Error, Result};
use crate::i18n::Catalog;
use crate::mail::receive::Taken;
use crate::present;
use crate::session::{self, Session};
use crate::store::Ticket;
use crate::store::inbox::Received;
use crate::store::outbox::{Notice, NoticeFilter};
use crate::store::requester::Access;
use crate::time::format as local_time;
use serde_json::{Value, json};

pub fn run(s: &mut Session, cli: &Cli, who: &Actor, cmd: &MailCommand) -> Result<()> {
    let now = session::now();
    match cmd {
        MailCommand::Send { limit } => send(s, cli, who, *limit),
        MailCommand::List {
            state,
            ticket,
            limit,
        } => list(s, cli, state, ticket.as_deref(), *limit, now),
        MailCommand::Show { id } => show(s, cli, *id),
        MailCommand::In { maildir: None } => {
            let (_, r) = crate::mail::receive::stdin(s, who)?;
            if cli.json {
                print(&json_text(&received_json(&r)));
            } else {
                print(&received_text(s.catalog, &r));
            }
            Ok(())
        }
        MailCommand::In { maildir: Some(dir) } => {
            let taken = crate::mail::receive::maildir(s, who, dir)?;
            report_maildir(s.catalog, cli, &taken)
        }
        MailCommand::Informed { number, how } => {
            let (number, n) = s.store.informed(&s.cfg, who, number, how, now)?;
            if cli.json {
                let t = s.store.find(&s.cfg, &number, crate::time::date(now))?;
                print(&json_text(&output::ticket_json(&s.cfg, &t, None)));
            } else {
                print(
                    &s.catalog
                        .f("mail.informed", &[("number", number), ("n", n.to_string())]),
                );
            }
            Ok(())
        }
        MailCommand::Language { number, language } => {
            let number = s.store.set_language(&s.cfg, who, number, language, now)?;
            print(&s.catalog.f(
                "mail.language_set",
                &[
                    ("number", number),
                    ("language", language.trim().to_string()),
                ],
            ));
            Ok(())
        }
    }
}

/// `desk mail send`: what was sent, what waits for a retry and why.
fn send(s: &mut Session, cli: &Cli, who: &Actor, limit: Option<usize>) -> Result<()> {
    let r = crate::mail::send::run(s, who, limit)?;
    if cli.json {
        print(&json_text(&json!({
            "sent": r.sent,
            "retry": r.retry,
            "failed": r.failed,
            "next_retry": r.next_retry.map(rfc3339),
            "last_error": r.last_error,
        })));
        return Ok(());
    }
    let mut line = s.catalog.f(
        "mail.sent",
        &[
            ("sent", r.sent.to_string()),
            ("retry", r.retry.to_string()),
            ("failed", r.failed.to_string()),
        ],
    );
    if let (Some(at), Some(e)) = (r.next_retry, &r.last_error) {
        line.push_str(&format!(
            "\n{}",
            s.catalog.f(
                "mail.retry_at",
                &[
                    ("at", local_time(at)),
                    ("error", clean_line(e).into_owned())
                ]
            )
        ));
    }
    print(&line);
    Ok(())
}

/// `desk mail list`: the notices, newest first, of a state or a ticket.
fn list(
    s: &Session,
    cli: &Cli,
    state: &[crate::core::model::NoticeState],
    ticket: Option<&str>,
    limit: usize,
    now: i64,
) -> Result<()> {
    let ticket = match ticket {
        Some(n) => Some(s.store.find(&s.cfg, n, crate::time::date(now))?.id),
        None => None,
    };
    let (rows, total) = s.store.list_notices(&NoticeFilter {
        states: state.to_vec(),
        ticket,
        limit,
    })?;
    if cli.json {
        print(&json_text(&Value::Array(
            rows.iter().map(notice_json).collect(),
        )));
    } else {
        print(&list_text(s.catalog, &rows, total));
    }
    Ok(())
}

/// `desk mail show`: one notice as it is sent, headers and text.
fn show(s: &Session, cli: &Cli, id: i64) -> Result<()> {
    let Some(n) = s.store.notice_text(id)? else {
        return Err(Error::NotFound(crate::msg!(
            "error.mail.no_notice",
            id = id
        )));
    };
    if cli.json {
        let mut v = notice_json(&n.notice);
        v["body"] = json!(n.body);
        v["in_reply_to"] = json!(n.in_reply_to);
        v["references"] = json!(n.references);
        print(&json_text(&v));
        return Ok(());
    }
    let mut out = format!("Message-ID: {}\n", clean_line(&n.notice.message_id));
    if let Some(r) = &n.in_reply_to {
        out.push_str(&format!("In-Reply-To: {}\n", clean_line(r)));
    }
    out.push_str(&format!(
        "To: {}\nSubject: {}\n{}: {}\n\n",
        clean_line(n.notice.recipient.as_deref().unwrap_or("—")),
        clean_line(&n.notice.subject),
        s.catalog.t("mail.state"),
        present::notice_state(s.catalog, n.notice.state.as_str()),
    ));
    out.push_str(&clean_text(&n.body));
    print(&out);
    Ok(())
}

fn report_maildir(cat: &Catalog, cli: &Cli, taken: &[Taken]) -> Result<()> {
    let mut failed: Option<&Error> = None;
    if cli.json {
        let items: Vec<Value> = taken
            .iter()
            .map(|t| {
                let mut v = match &t.received {
                    Ok(r) => received_json(r),
                    Err(e) => json!({"error": e.message(cat)}),
                };
                v["file"] = json!(t.file.display().to_string());
                v
            })
            .collect();
        print(&json_text(&Value::Array(items)));
    }
    for t in taken {
        match &t.received {
            Ok(r) if !cli.json => print(&format!(
                "{}: {}",
                output::path(
                    t.file
                        .file_name()
                        .map(std::path::Path::new)
                        .unwrap_or(&t.file)
                ),
                received_text(cat, r)
            )),
            Ok(_) => {}
            Err(e) => {
                output::error_line(&format!("{}: {}", output::path(&t.file), e.message(cat)));
                failed.get_or_insert(e);
            }
        }
    }
    if taken.is_empty() && !cli.json {
        print(cat.t("mail.maildir_empty"));
    }
    match failed {
        // The first failure decides the exit code; the others were reported above.
        Some(Error::Database(m)) => Err(Error::Database(m.clone())),
        Some(_) => Err(Error::Invalid(crate::msg!("mail.maildir_failed"))),
        None => Ok(()),
    }
}

fn received_json(r: &Received) -> Value {
    match r {
        Received::New {
            number,
            automatic,
            related,
        } => json!({"result": "new", "number": number, "automatic": automatic, "related": related}),
        Received::Joined {
            number,
            resumed,
            automatic,
        } => {
            json!({"result": "joined", "number": number, "resumed": resumed, "automatic": automatic})
        }
        Received::Bounce { numbers } => json!({"result": "bounce", "numbers": numbers}),
        Received::Loop => json!({"result": "loop"}),
        Received::Again { number } => json!({"result": "again", "number": number}),
    }
}

fn received_text(cat: &Catalog, r: &Received) -> String {
    match r {
        Received::New {
            number, related, ..
        } => {
            let mut s = cat.f("mail.in_new", &[("number", number.clone())]);
            if !related.is_empty() {
                s.push_str(&format!(
                    " ({})",
                    cat.f("mail.in_related", &[("numbers", related.join(", "))])
                ));
            }
            s
        }
        Received::Joined {
            number, resumed, ..
        } => {
            let mut s = cat.f("mail.in_joined", &[("number", number.clone())]);
            if let Some(st) = resumed {
                s.push_str(&format!(
                    " ({})",
                    cat.f("mail.in_resumed", &[("status", st.clone())])
                ));
            }
            s
        }
        Received::Bounce { numbers } => cat.f("mail.in_bounce", &[("numbers", numbers.join(", "))]),
        Received::Loop => cat.t("mail.in_loop").to_string(),
        Received::Again { number } => cat.f(
            "mail.in_again",
            &[("number", number.clone().unwrap_or_else(|| "—".into()))],
        ),
    }
}

pub fn notice_json(n: &Notice) -> Value {
    json!({
        "id": n.id,
        "number": n.number,
        "kind": n.kind.as_str(),
        "state": n.state.as_str(),
        "created_at": rfc3339(n.created_at),
        "recipient": n.recipient,
        "subject": n.subject,
        "message_id": n.message_id,
        "attempts": n.attempts,
        "next_at": rfc3339(n.next_at),
        "note": n.note.as_deref().map(|e| present::notice_note(Catalog::english(), e)),
        "done_at": n.done_at.map(rfc3339),
    })
}

fn list_text(cat: &Catalog, rows: &[Notice], total: i64) -> String {
    if rows.is_empty() {
        return cat.t("mail.list_empty").to_string();
    }
    let mut out = String::new();
    for n in rows {
        let state = present::notice_state(cat, n.state.as_str());
        let mut line = format!(
            "{:>6}  {}  {}  {}  {}  {}",
            n.id,
            local_time(n.created_at),
            fit(&n.number, 18),
            fit(&present::notice_kind(cat, n.kind.as_str()), 16),
            fit(&state, 22),
            clean_line(n.recipient.as_deref().unwrap_or("—")),
        );
        if let Some(note) = &n.note {
            line.push_str(&format!("  ({})", present::notice_note(cat, note)));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if total > rows.len() as i64 {
        out.push_str(&cat.f(
            "list.more",
            &[("n", (total - rows.len() as i64).to_string())],
        ));
        out.push('\n');
    }
    out
}

/// The requester's side of `desk show`: the access code, the language, every notice and,
/// while one could not reach the requester, how they must be told instead.
pub fn ticket_block(
    cfg: &crate::core::config::Config,
    cat: &Catalog,
    t: &Ticket,
    access: &Access,
    notices: &[Notice],
) -> String {
    let lang = crate::store::requester::language(cfg, access.language.as_deref());
    let mut out = format!(
        "{}: {}  ({}: {})\n",
        cat.t("mail.access_code"),
        access.code,
        cat.t("mail.language"),
        lang
    );
    if !notices.is_empty() {
        out.push_str(cat.t("mail.notices"));
        out.push('\n');
        for n in notices {
            let mut line = format!(
                "  {}  {}  {}",
                local_time(n.created_at),
                fit(&present::notice_kind(cat, n.kind.as_str()), 16),
                present::notice_state(cat, n.state.as_str())
            );
            if let Some(r) = &n.recipient {
                line.push_str(&format!(" → {}", clean_line(r)));
            }
            if let Some(note) = &n.note {
                line.push_str(&format!(" ({})", present::notice_note(cat, note)));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    let waiting: Vec<Notice> = notices.iter().filter(|n| n.to_inform()).cloned().collect();
    let then = cat.f("mail.then_cli", &[("number", t.number.clone())]);
    if let Some(line) = present::inform_line(cat, t, &waiting, then) {
        out.push_str(&format!("⚠ {line}\n"));
    }
    out
}

/// The requester's side of `desk show --json`.
pub fn ticket_json(v: &mut Value, access: &Access, notices: &[Notice]) {
    v["access_code"] = json!(access.code);
    v["language"] = json!(access.language);
    v["notices"] = Value::Array(notices.iter().map(notice_json).collect());
    v["to_inform"] = json!(notices.iter().any(|n| n.to_inform()));
}
