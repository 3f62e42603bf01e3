//! The requester's ratings, one or a survey's many.

use super::*;
use crate::core::config::Config;
use crate::core::model::{Actor, EventKind, limits};
use crate::core::rating::may_rate;
use crate::core::refusal::Refusal;
use crate::error::{Error, Result};
use crate::store::db::{Connection, params};

impl Store {
    /// Records the requester's satisfaction (1-5) on a finished ticket, once per finishing.
    #[allow(clippy::too_many_arguments)]
    pub fn rate(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        number: &str,
        score: i64,
        comment: Option<&str>,
        expected_version: Option<i64>,
        now: i64,
    ) -> Result<Changed> {
        let rating = Rating::new(number, score, comment)?;
        self.write(|tx| {
            rate_in(tx, cfg, actor, &rating, expected_version, false, now)?
                .ok_or_else(|| Refusal::AlreadyRated.into())
        })
    }

    /// Records many ratings (a survey's answers) in one transaction: all of them or, if one
    /// cannot be recorded, none, with the item named. A ticket that already has the same
    /// rating is left as it is (so an import can be run again); `None` says so.
    pub fn rate_many(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        ratings: &[Rating],
        now: i64,
    ) -> Result<Vec<Option<Changed>>> {
        let text = ratings
            .iter()
            .map(|r| r.number.len() + r.comment.as_ref().map_or(0, String::len))
            .sum();
        self.batch_fits("error.batch_ratings", ratings.len(), text)?;
        self.write(|tx| {
            let mut out = Vec::with_capacity(ratings.len());
            for (i, rating) in ratings.iter().enumerate() {
                let done =
                    rate_in(tx, cfg, actor, rating, None, true, now).map_err(|e| match e {
                        Error::Sql(e) => Error::Sql(e),
                        other => Error::Item {
                            item: i + 1,
                            name: rating.number.clone(),
                            inner: Box::new(other),
                        },
                    })?;
                out.push(done);
            }
            Ok(out)
        })
    }
}

/// A requester's rating of a ticket, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub number: String,
    pub score: i64,
    pub comment: Option<String>,
}

impl Rating {
    pub fn new(number: &str, score: i64, comment: Option<&str>) -> Result<Rating> {
        crate::core::rating::check_score(score)?;
        let comment = match comment {
            Some(c) => Some(text_arg("comment", c.trim(), limits::NOTE_BYTES, false)?),
            None => None,
        };
        Ok(Rating {
            number: number.to_string(),
            score,
            comment: comment.filter(|c| !c.is_empty()),
        })
    }
}

/// Records one rating inside the caller's transaction; `Ok(None)` when `same_again_ok` and the
/// ticket already has exactly this rating.
fn rate_in(
    tx: &Connection,
    cfg: &Config,
    actor: &Actor,
    rating: &Rating,
    expected_version: Option<i64>,
    same_again_ok: bool,
    now: i64,
) -> Result<Option<Changed>> {
    let t = Store::load_for_change(tx, cfg, &rating.number, expected_version, now)?;
    let state = t.state();
    let current = t.satisfaction;
    if !may_rate(
        &cfg.lifecycle,
        &state,
        actor,
        current,
        rating.score,
        same_again_ok,
    )? {
        return Ok(None);
    }
    tx.execute(
        "UPDATE tickets SET satisfaction = ?1, updated_at = ?2, updated_by = ?3,
            version = version + 1 WHERE id = ?4",
        params![rating.score, now, actor.id(), t.id],
    )?;
    let h = History::new(tx, t.id, &t.number, now, Some(actor));
    h.record(
        EventKind::Rated,
        None,
        Some(&rating.score.to_string()),
        rating.comment.as_deref(),
    )?;
    crate::store::sla::refresh(tx, cfg, t.id, now)?;
    Ok(Some(Changed {
        number: t.number.clone(),
        version: t.version + 1,
        status_from: t.status.clone(),
        status: t.status.clone(),
        warning: None,
    }))
}
