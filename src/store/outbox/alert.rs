//! Escalations mailed to supervisors (issue 15): when `desk tick` alerts a supervisor of a
//! ticket's group who has a mail address (`desk agent set LOGIN --mail ADDRESS`), the alert
//! is also a notice of kind `alert` in the outbox, written in the same transaction as the
//! alert and its event — so a tick run again, or catching up after a day, mails nothing twice.
//! It is in the desk's language, threads with nothing (the requester's thread never holds
//! it, and an answer to it never joins the ticket), and goes out with `desk mail send` like
//! any other notice, past the same limit per recipient and hour.

use crate::core::config::Config;
use crate::core::mail::notice;
use crate::core::model::{NoticeKind, NoticeState};
use crate::error::Result;
use crate::store::db::{Connection, params};

/// A supervisor to mail: their name and address.
pub(crate) struct Recipient<'a> {
    pub name: &'a str,
    pub mail: &'a str,
}

/// Writes the mail of one alert about ticket `ticket_id`: `what` happened (the escalation as
/// people read it), `done` what the desk did about it. Nothing when the desk does not mail or
/// `[mail] notify` leaves alerts out.
pub(crate) fn queue(
    tx: &Connection,
    cfg: &Config,
    ticket_id: i64,
    to: &Recipient<'_>,
    (what, done): (&str, &str),
    now: i64,
) -> Result<()> {
    let mail = &cfg.mail;
    if !mail.sends(NoticeKind::Alert) {
        return Ok(());
    }
    let a = super::about(tx, ticket_id)?;
    let lang = crate::i18n::language_from_locale(cfg.language.as_deref().unwrap_or("en"));
    let date = crate::time::format(a.created_at);
    let r = notice::render(
        NoticeKind::Alert,
        lang,
        &notice::Facts {
            number: &a.number,
            subject: &a.subject,
            requester: to.name,
            date: &date,
            desk: &cfg.desk_name,
            signature: &mail.signature,
            text: Some(what),
            answer: Some(done),
            ..notice::Facts::default()
        },
    );
    let domain = mail
        .from
        .as_ref()
        .map(|m| m.domain())
        .unwrap_or("desk.invalid");
    let message_id = notice::message_id(
        &a.number,
        NoticeKind::Alert,
        crate::store::requester::random()?,
        domain,
    );
    let recent: i64 = tx
        .prepare_cached(
            "SELECT count(*) FROM outbox WHERE recipient = ?1 AND created_at > ?2
               AND state IN ('pending', 'sent')",
        )?
        .query_row(params![to.mail, now - 3600], |r| r.get(0))?;
    // Past the limit per recipient and hour, it waits for the next hour.
    let next_at = if recent >= i64::from(mail.per_recipient_hour) {
        now + 3600
    } else {
        now
    };
    tx.prepare_cached(
        "INSERT INTO outbox (ticket_id, kind, created_at, recipient, language, message_id,
            subject, body, automatic, state, next_at)
         VALUES (?1, 'alert', ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9)",
    )?
    .execute(params![
        ticket_id,
        now,
        to.mail,
        lang,
        message_id,
        r.subject,
        r.body,
        NoticeState::Pending.as_str(),
        next_at,
    ])?;
    Ok(())
}
