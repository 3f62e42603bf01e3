//! Case work: looking a ticket up with everything its case holds, merging duplicates, linking.

use super::*;
use crate::cli::Cli;
use crate::cli::output::{self, print};
use crate::core::merge::{Likeness, LinkKind};
use crate::error::Result;
use crate::session::Session;
use crate::store::tickets::Likely;
use crate::time::date as local_date;

/// `desk show`: the ticket (a duplicate's number shows the ticket it was merged into, and
/// says so), its fields, what its case holds and its whole history.
pub(super) fn show(s: &mut Session, cli: &Cli, number: &str, now: i64) -> Result<()> {
    if cli.as_login.is_some() {
        actor(s, cli)?;
    }
    let asked = s.store.find_exact(&s.cfg, number, local_date(now))?;
    let t = s.store.find(&s.cfg, number, local_date(now))?;
    if t.id != asked.id {
        output::error_line(&s.catalog.f(
            "msg.leads_to",
            &[("number", asked.number.clone()), ("into", t.number.clone())],
        ));
    }
    let h = s.store.history(t.id)?;
    let case = s.store.case_file(&t)?;
    let access = s.store.access(t.id)?;
    let notices = s.store.notices(t.id)?;
    if cli.json {
        let mut v = output::ticket_json(&s.cfg, &t, Some(&h));
        output::case_json(&mut v, &case);
        super::super::mail::ticket_json(&mut v, &access, &notices);
        print(&output::json_text(&v));
    } else {
        let block = super::super::mail::ticket_block(&s.cfg, s.catalog, &t, &access, &notices);
        print(&output::show_text(
            &s.cfg, s.catalog, &t, &h, &case, now, &block,
        ));
    }
    Ok(())
}

pub(super) fn merge(
    s: &mut Session,
    cli: &Cli,
    number: &str,
    into: &str,
    reason: Option<&str>,
    if_version: Option<i64>,
    now: i64,
) -> Result<()> {
    let who = actor(s, cli)?;
    let m = s
        .store
        .merge(&s.cfg, &who, number, into, reason, if_version, now)?;
    let status = crate::present::status(&s.cfg, s.catalog, &m.status);
    done(
        s,
        cli,
        &m.target,
        s.catalog.f(
            "msg.merged",
            &[
                ("number", m.duplicate.clone()),
                ("into", m.target.clone()),
                ("status", status),
            ],
        ),
    )
}

/// `desk link` (a kind) and `desk unlink` (none).
pub(super) fn link(
    s: &mut Session,
    cli: &Cli,
    a: &str,
    b: &str,
    kind: Option<LinkKind>,
    now: i64,
) -> Result<()> {
    let who = actor(s, cli)?;
    let (x, y, key) = match kind {
        Some(k) => {
            let (x, y) = s.store.link(&s.cfg, &who, a, b, k, now)?;
            let key = if k == LinkKind::Parent {
                "msg.linked_parent"
            } else {
                "msg.linked"
            };
            (x, y, key)
        }
        None => {
            let (x, y) = s.store.unlink(&s.cfg, &who, a, b, now)?;
            (x, y, "msg.unlinked")
        }
    };
    done(
        s,
        cli,
        &x,
        s.catalog.f(key, &[("a", x.clone()), ("b", y.clone())]),
    )
}

/// The likely duplicates of a request, one line each (for `desk new`).
pub(super) fn likely_text(s: &Session, found: &[Likely], now: i64) -> String {
    let cat = s.catalog;
    let mut out = vec![cat.f("msg.likely", &[("n", found.len().to_string())])];
    for l in found {
        let why = match &l.why {
            Likeness::Contact => cat.t("msg.likely_contact").to_string(),
            Likeness::Words(w) => cat.f("msg.likely_words", &[("words", w.join(", "))]),
        };
        out.push(format!(
            "  {}  {}  {}  {} ({})",
            l.number,
            crate::present::status(&s.cfg, cat, &l.status),
            crate::present::age(cat, now - l.created_at),
            crate::core::sanitize::clean_line(&l.subject),
            why
        ));
    }
    out.join("\n")
}

/// The likely duplicates as JSON.
pub(super) fn likely_json(found: &[Likely]) -> serde_json::Value {
    serde_json::Value::Array(
        found
            .iter()
            .map(|l| {
                serde_json::json!({
                    "number": l.number,
                    "subject": l.subject,
                    "requester": l.requester,
                    "status": l.status,
                    "created_at": output::rfc3339(l.created_at),
                    "why": match &l.why {
                        Likeness::Contact => serde_json::json!("contact"),
                        Likeness::Words(w) => serde_json::json!({ "words": w }),
                    },
                })
            })
            .collect(),
    )
}

/// `desk attach`: each file read with the caller's rights (never one of the desk's own), then
/// all of them attached in one transaction.
pub(super) fn attach(
    s: &mut Session,
    cli: &Cli,
    number: &str,
    files: &[std::path::PathBuf],
    now: i64,
) -> Result<()> {
    let who = actor(s, cli)?;
    let desk_dir = s.desk_dir();
    let mut new = Vec::new();
    for f in files {
        let data = crate::privilege::read_to_attach(f, &desk_dir, s.cfg.attachments.max_bytes)?;
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        new.push(crate::store::tickets::NewFile { name, data });
    }
    let (number, added) = s.store.attach(&s.cfg, &who, number, &new, now)?;
    let lines: Vec<String> = added
        .iter()
        .map(|a| {
            s.catalog.f(
                "msg.attached",
                &[
                    ("number", number.clone()),
                    ("name", a.name.clone()),
                    ("size", crate::core::attach::human_size(a.size as u64)),
                ],
            )
        })
        .collect();
    done(s, cli, &number, lines.join("\n"))
}

pub(super) fn attachment_list(s: &mut Session, cli: &Cli, number: &str, now: i64) -> Result<()> {
    if cli.as_login.is_some() {
        actor(s, cli)?;
    }
    let t = s.store.find(&s.cfg, number, local_date(now))?;
    let all = s.store.attachments(t.id)?;
    if cli.json {
        print(&output::json_text(&output::attachments_json(&all)));
    } else if all.is_empty() {
        print(
            &s.catalog
                .f("msg.no_attachments", &[("number", t.number.clone())]),
        );
    } else {
        print(&output::attachments_text(&all));
    }
    Ok(())
}

/// `desk attachment get`: into a new file of the caller's (0600, never over an existing file
/// nor through a link), or to standard output when it is not a terminal.
pub(super) fn attachment_get(
    s: &mut Session,
    cli: &Cli,
    number: &str,
    name: &str,
    out: Option<&std::path::Path>,
    now: i64,
) -> Result<()> {
    use std::io::Write;
    if cli.as_login.is_some() {
        actor(s, cli)?;
    }
    let t = s.store.find(&s.cfg, number, local_date(now))?;
    let (a, data) = s.store.attachment(&t, name)?;
    let Some(path) = out else {
        use std::io::IsTerminal;
        if std::io::stdout().is_terminal() {
            return Err(Error::Invalid(crate::msg!("attach.terminal")));
        }
        let mut stdout = std::io::stdout().lock();
        return stdout
            .write_all(&data)
            .and_then(|_| stdout.flush())
            .map_err(|e| {
                Error::Invalid(crate::msg!(
                    "attach.cannot_write",
                    path = "-",
                    why = crate::error::io(&e)
                ))
            });
    };
    crate::privilege::write_new_as_caller(path, &data)?;
    print(&s.catalog.f(
        "msg.got",
        &[
            ("name", a.name.clone()),
            ("path", output::path(path)),
            ("size", crate::core::attach::human_size(a.size as u64)),
        ],
    ));
    Ok(())
}
