//! Each ticket's requester side: the access code issued at registration (`core::mail::access`)
//! and the language the requester's notices are written in.

use super::Store;
use crate::core::config::Config;
use crate::core::mail::access;
use crate::error::{Error, Result};
use crate::store::db::{Connection, OptionalExtension, params};

/// Random bytes from the operating system.
pub(crate) fn random<const N: usize>() -> rusqlite::Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| {
        rusqlite::Error::ToSqlConversionFailure(
            format!("the operating system gave no random numbers: {e}").into(),
        )
    })?;
    Ok(b)
}

/// Gives a new ticket its access code (inside the caller's transaction) and keeps its
/// requester's language; returns the code. A collision with another ticket's code (one chance
/// in 2^60 per ticket) draws again.
pub(crate) fn register(
    conn: &Connection,
    ticket_id: i64,
    language: Option<&str>,
) -> rusqlite::Result<String> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO requester (ticket_id, access_code, language) VALUES (?1, ?2, ?3)
         ON CONFLICT (access_code) DO NOTHING",
    )?;
    loop {
        let code = access::from_random(random()?);
        if insert.execute(params![ticket_id, code, language])? == 1 {
            return Ok(code);
        }
    }
}

/// The migration's hook: every ticket registered before access codes existed gets one.
pub(crate) fn codes_for_existing(conn: &Connection) -> rusqlite::Result<()> {
    let ids: Vec<i64> = conn
        .prepare(
            "SELECT id FROM tickets t WHERE NOT EXISTS
               (SELECT 1 FROM requester r WHERE r.ticket_id = t.id) ORDER BY id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for id in ids {
        register(conn, id, None)?;
    }
    Ok(())
}

/// The ticket whose access code this is.
pub(crate) fn ticket_of_code(conn: &Connection, code: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT ticket_id FROM requester WHERE access_code = ?1")?
        .query_row([code], |r| r.get(0))
        .optional()
}

/// A ticket's access code and its requester's own language (None: the desk's).
pub(crate) fn of(conn: &Connection, ticket_id: i64) -> rusqlite::Result<(String, Option<String>)> {
    conn.prepare_cached("SELECT access_code, language FROM requester WHERE ticket_id = ?1")?
        .query_row([ticket_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
        .map(|o| o.unwrap_or_default())
}

/// The language a requester's notices are written in: theirs, else `[mail] language`, else
/// the desk's, else English.
pub fn language(cfg: &Config, own: Option<&str>) -> &'static str {
    let pick = own
        .or(cfg.mail.language.as_deref())
        .or(cfg.language.as_deref())
        .unwrap_or("en");
    crate::i18n::language_from_locale(pick)
}

/// A language given for a requester: en, ru or uk.
pub fn parse_language(s: &str) -> Result<String> {
    let l = s.trim().to_ascii_lowercase();
    if crate::core::config::LANGUAGES.contains(&l.as_str()) {
        Ok(l)
    } else {
        Err(Error::Invalid(crate::msg!(
            "error.mail.language",
            language = crate::core::sanitize::clean_line(s).into_owned()
        )))
    }
}

/// What a ticket's requester side holds, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub code: String,
    /// The requester's own language; None: the desk's.
    pub language: Option<String>,
}

impl Store {
    /// A ticket's access code and requester's language.
    pub fn access(&self, ticket_id: i64) -> Result<Access> {
        of(&self.conn, ticket_id)
            .map(|(code, language)| Access { code, language })
            .map_err(|e| self.err(e))
    }

    /// Changes the language a ticket's requester is written to in (anyone who may reply).
    pub fn set_language(
        &mut self,
        cfg: &Config,
        actor: &crate::core::model::Actor,
        number: &str,
        language: &str,
        now: i64,
    ) -> Result<String> {
        let lang = parse_language(language)?;
        let r = self.write(|tx| {
            let t = super::tickets::find_in(tx, cfg, number, super::tickets::local_date(now))?;
            crate::core::rights::check(
                actor,
                crate::core::rights::Action::Reply,
                t.assignee.as_ref().map(|o| &o.agent),
            )?;
            tx.execute(
                "UPDATE requester SET language = ?1 WHERE ticket_id = ?2",
                params![lang, t.id],
            )?;
            Ok(t.number)
        });
        r.map_err(|e| self.map_db(e))
    }
}
