//! `desk mail in`: one RFC 5322 message on standard input (an MTA's `|desk mail in` alias),
//! or every new message of a Maildir. Only the configured intake user may feed the desk.
//!
//! A message is read up to `[mail] max_size`; a bigger one is still read to its end (so the
//! MTA sees it taken), its header kept and its size noted on the ticket. The text a ticket
//! keeps is the message's own words, with notes in the desk's language: the files it brought
//! (attached to the ticket) and those too large to keep, an oversized text, a program's
//! message.

use crate::core::attach::{TooBig, human_size};
use crate::core::mail::inbound::{self, Inbound};
use crate::core::model::{Actor, Role};
use crate::error::{Error, Result};
use crate::i18n::Catalog;
use crate::session::Session;
use crate::store::inbox::{Files, MESSAGE_BYTES, Received};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// A size as people read it ("14 KB", "3.2 MB").
fn size_words(bytes: usize) -> String {
    human_size(bytes as u64)
}

/// Reads at most `limit + 1` bytes of `input` and counts the rest: the bytes kept and the
/// whole size.
pub fn read_limited<R: Read>(input: &mut R, limit: usize) -> std::io::Result<(Vec<u8>, usize)> {
    let mut kept = Vec::new();
    input
        .by_ref()
        .take(limit as u64 + 1)
        .read_to_end(&mut kept)?;
    let mut size = kept.len();
    if size > limit {
        let mut buf = vec![0u8; 64 << 10];
        loop {
            match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => size += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok((kept, size))
}

/// What the ticket keeps of a message: its text and the desk's notes (on its files: those
/// attached to the ticket, those it cannot take).
pub fn ticket_text(cat: &Catalog, m: &Inbound, limit: usize, files: &Files) -> String {
    let mut notes: Vec<String> = Vec::new();
    if m.too_big {
        notes.push(cat.f(
            "mail.note_too_big",
            &[("size", size_words(m.size)), ("limit", size_words(limit))],
        ));
    }
    let kept: Vec<String> = files
        .kept
        .iter()
        .map(|f| {
            format!(
                "{} ({})",
                crate::core::attach::safe_name(&f.name),
                size_words(f.data.len())
            )
        })
        .collect();
    if !kept.is_empty() {
        notes.push(cat.f("mail.note_attachments", &[("list", kept.join(", "))]));
    }
    if !files.not_kept.is_empty() {
        let list = files
            .not_kept
            .iter()
            .map(|n| match n.why {
                TooBig::File { size, limit } => cat.f(
                    "mail.not_kept_file",
                    &[
                        ("name", n.name.clone()),
                        ("size", human_size(size)),
                        ("limit", human_size(limit)),
                    ],
                ),
                TooBig::Ticket { total, limit } => cat.f(
                    "mail.not_kept_ticket",
                    &[
                        ("name", n.name.clone()),
                        ("total", human_size(total)),
                        ("limit", human_size(limit)),
                    ],
                ),
            })
            .collect::<Vec<_>>()
            .join(", ");
        notes.push(cat.f("mail.note_not_kept", &[("list", list)]));
    }
    if let Some(a) = &m.automatic {
        notes.push(cat.f("mail.note_automatic", &[("why", a.describe())]));
    }
    if m.text.trim().is_empty() && !m.too_big {
        notes.push(cat.t("mail.note_no_text").to_string());
    }
    let notes = notes
        .iter()
        .map(|n| format!("[{n}]"))
        .collect::<Vec<_>>()
        .join("\n");
    let room = MESSAGE_BYTES.saturating_sub(notes.len() + 2);
    let text = inbound::fit(m.text.trim_end(), room, |n| {
        format!(
            "[{}]",
            cat.f(
                "mail.note_cut",
                &[("size", size_words(n)), ("limit", size_words(room))]
            )
        )
    });
    match (text.trim().is_empty(), notes.is_empty()) {
        (true, _) => notes,
        (false, true) => text,
        (false, false) => format!("{text}\n\n{notes}"),
    }
}

/// Refuses anyone but the intake user: `[mail] intake_user` when set, else an agent with role
/// mail.
pub fn check_intake(s: &Session, actor: &Actor) -> Result<()> {
    match &s.cfg.mail.intake_user {
        Some(user) if *user != actor.agent.login => Err(Error::Forbidden(crate::msg!(
            "error.mail.intake_user",
            user = user,
            login = &actor.agent.login
        ))),
        Some(_) => Ok(()),
        None if actor.role() != Role::Mail => Err(Error::Forbidden(crate::msg!(
            "error.mail.intake_role",
            login = &actor.agent.login,
            role = crate::core::message::id("role", actor.role())
        ))),
        None => Ok(()),
    }
}

/// Records one raw message.
pub fn one(s: &mut Session, actor: &Actor, raw: &[u8], size: usize) -> Result<(Inbound, Received)> {
    let limit = s.cfg.mail.max_size;
    let m = inbound::read(raw, size, limit);
    let cat = Catalog::for_lang(crate::session::language(&s.cfg));
    let text = |files: &Files| ticket_text(cat, &m, limit, files);
    let r = s
        .store
        .receive(&s.cfg, actor, &m, &text, crate::session::now())?;
    Ok((m, r))
}

/// Records the message on standard input.
pub fn stdin(s: &mut Session, actor: &Actor) -> Result<(Inbound, Received)> {
    check_intake(s, actor)?;
    let (raw, size) = read_limited(&mut std::io::stdin().lock(), s.cfg.mail.max_size)
        .map_err(|e| Error::Invalid(crate::msg!("error.mail.stdin", why = crate::error::io(&e))))?;
    one(s, actor, &raw, size)
}

/// One message of a Maildir, taken.
pub struct Taken {
    pub file: PathBuf,
    pub received: Result<Received>,
}

/// Takes every message in `DIR/new`, oldest name first: each is recorded, then moved to
/// `DIR/cur` marked seen. A message whose recording failed stays in `new` for the next run
/// (the desk recognises one it has already recorded). Files are read and moved with the
/// caller's rights.
pub fn maildir(s: &mut Session, actor: &Actor, dir: &Path) -> Result<Vec<Taken>> {
    use crate::privilege::as_caller;
    check_intake(s, actor)?;
    let new = dir.join("new");
    let cur = dir.join("cur");
    let mut names: Vec<std::ffi::OsString> = as_caller(|| std::fs::read_dir(&new))
        .map_err(|e| {
            Error::NotFound(crate::msg!(
                "error.mail.not_maildir",
                dir = dir.display().to_string(),
                new = new.display().to_string(),
                why = crate::error::io(&e)
            ))
        })?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|n| !n.to_string_lossy().starts_with('.'))
        .collect();
    names.sort();
    if !as_caller(|| cur.is_dir()) {
        return Err(Error::NotFound(crate::msg!(
            "error.mail.no_cur",
            dir = dir.display().to_string(),
            cur = cur.display().to_string()
        )));
    }
    let mut out = Vec::new();
    for name in names {
        let file = new.join(&name);
        let read = as_caller(|| {
            std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(nix::libc::O_NOFOLLOW)
                .open(&file)
                .and_then(|mut f| read_limited(&mut f, s.cfg.mail.max_size))
        });
        let (raw, size) = match read {
            Ok(r) => r,
            Err(e) => {
                out.push(Taken {
                    file,
                    received: Err(Error::Invalid(crate::msg!(
                        "error.mail.read_message",
                        why = crate::error::io(&e)
                    ))),
                });
                continue;
            }
        };
        let received = one(s, actor, &raw, size).map(|(_, r)| r);
        if received.is_ok() {
            let mut seen = name.to_string_lossy().into_owned();
            if !seen.contains(":2,") {
                seen.push_str(":2,");
            }
            if !seen.rsplit(":2,").next().is_some_and(|f| f.contains('S')) {
                seen.push('S');
            }
            if let Err(e) = as_caller(|| std::fs::rename(&file, cur.join(&seen))) {
                out.push(Taken {
                    file,
                    received: Err(Error::Invalid(crate::msg!(
                        "error.mail.move_seen",
                        why = crate::error::io(&e)
                    ))),
                });
                continue;
            }
        }
        let database_down = matches!(&received, Err(Error::Database(_)));
        out.push(Taken { file, received });
        if database_down {
            break;
        }
    }
    Ok(out)
}
