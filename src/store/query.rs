//! The one reader of ticket lists: any [`Query`] (a tree of conditions, an order) becomes one
//! SQL statement, read a page at a time with keyset pagination (`WHERE (key) > (?)`), so a
//! list of a million tickets scrolls like one of a hundred. `desk list`, the desk's queues
//! and its filter all read through here.

use super::Store;
use super::tickets::Ticket;
use crate::core::config::Config;
use crate::core::model::Actor;
use crate::core::query::lang::{self, Vocabulary};
use crate::core::query::{Cond, Viewer};
use crate::error::{Error, Result};
use rusqlite::types::Value;

mod build;
mod count;
mod drive;
mod hits;
mod merge;
mod open;
mod order;
mod page;
mod text;

pub use open::OpenHits;

pub(crate) use hits::register as register_hits;

/// A row of a list and its position key.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub ticket: Ticket,
    pub key: Vec<Value>,
}

/// How many tickets a query matches: all of them counted, or more than a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact(i64),
    MoreThan(i64),
}

impl Count {
    /// The number, and whether it is every ticket (else: more than it).
    pub fn number(self) -> (i64, bool) {
        match self {
            Count::Exact(n) => (n, true),
            Count::MoreThan(n) => (n, false),
        }
    }
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Start<'a> {
    /// The first rows.
    Top,
    /// The last rows.
    Bottom,
    /// The rows after this position key.
    After(&'a [Value]),
    /// The rows before this position key.
    Before(&'a [Value]),
    /// The rows after skipping this many (a script's `--offset`; slower far down a big list).
    Skip(usize),
}

impl Store {
    /// Who is looking: the agent's groups, today and now.
    pub fn viewer(&self, actor: &Actor, now: i64) -> Result<Viewer> {
        Ok(Viewer {
            agent_id: actor.id(),
            groups: self.groups_of(actor.id())?,
            day_start: crate::time::day_start(now),
            now,
        })
    }

    /// What the database holds is unchanged while this stays the same: another connection's
    /// commit moves `PRAGMA data_version`, this connection's own writes its count of changes.
    /// (A view keeps a count it read with its stamp instead of counting again.)
    pub fn change_stamp(&self) -> Result<(i64, u64)> {
        Ok((self.data_version()?, self.conn.total_changes()))
    }
    /// The names a query may use on this desk: the statuses and categories of desk.toml,
    /// the groups and agents of the database.
    pub fn vocabulary(&self, cfg: &Config) -> Result<Vocabulary> {
        let names = |sql: &str| -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare_cached(sql)?;
            let rows = stmt.query_map([], |r| r.get(0))?;
            rows.collect()
        };
        let groups = names("SELECT code FROM groups ORDER BY code").map_err(|e| self.err(e))?;
        let logins = names("SELECT login FROM agents ORDER BY login").map_err(|e| self.err(e))?;
        let mut vocab = Vocabulary::of(cfg);
        vocab.groups = Some(groups);
        vocab.logins = Some(logins);
        Ok(vocab)
    }

    /// A query as typed, read with this desk's names; a mistake is one line in the reader's
    /// language, with its column (exit 2).
    pub fn parse_query(&self, cfg: &Config, text: &str) -> Result<Cond> {
        let vocab = self.vocabulary(cfg)?;
        lang::parse(text, &vocab).map_err(|e| Error::Invalid(e.message()))
    }

    /// The groups an agent belongs to.
    pub fn groups_of(&self, agent_id: i64) -> Result<Vec<String>> {
        let run = || -> rusqlite::Result<Vec<String>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT group_code FROM members WHERE agent_id = ?1 ORDER BY group_code",
            )?;
            let rows = stmt.query_map([agent_id], |r| r.get(0))?;
            rows.collect()
        };
        run().map_err(|e| self.err(e))
    }
}
