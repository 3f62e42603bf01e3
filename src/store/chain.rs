//! The history's hash chain in SQLite (the encoding is `core::chain`'s): every event is
//! written through `append`, which chains it after the last one in the transaction that
//! writes it (`BEGIN IMMEDIATE`, so nobody else appends in between); `Store::verify_chain`
//! walks the whole history and names the first event that does not hold.

use super::Store;
use crate::core::chain::{self, Anchor, GENESIS, Link};
use crate::core::message::{Message, term};
use crate::error::Result;
use crate::msg;
use crate::store::db::{Connection, OptionalExtension, params};
use rusqlite::types::ValueRef;

/// The last event's id and hash: where the next event is chained. Ticket events and
/// desk-level events share one sequence of ids (`desk_events` exists from schema 14 on).
pub(crate) fn tail(conn: &Connection) -> rusqlite::Result<Anchor> {
    let last_of = |sql: &str| -> rusqlite::Result<Option<(i64, Option<Vec<u8>>)>> {
        conn.prepare_cached(sql)?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
    };
    // Both tables' last event in one statement (on PostgreSQL one round trip, inside the
    // write transaction that holds the desk's lock); a desk older than `desk_events` reads
    // its events alone.
    let last = match last_of(
        "SELECT id, hash FROM (SELECT id, hash FROM events ORDER BY id DESC LIMIT 1) AS t \
         UNION ALL SELECT id, hash FROM (SELECT id, hash FROM desk_events ORDER BY id DESC LIMIT 1) AS d \
         ORDER BY id DESC LIMIT 1",
    ) {
        Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.starts_with("no such table") => {
            last_of("SELECT id, hash FROM events ORDER BY id DESC LIMIT 1")?
        }
        other => other?,
    };
    Ok(match last {
        None => Anchor::EMPTY,
        // A hash that is missing or malformed was damaged outside desk; `desk check` names
        // that event, and new events still chain on (after zeros) so the damage stays local.
        Some((id, hash)) => Anchor {
            id,
            hash: hash
                .and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok())
                .unwrap_or(GENESIS),
        },
    })
}

/// One event to append: text as it will be stored.
pub(crate) struct NewEvent<'a> {
    pub ticket_id: i64,
    pub ticket_number: &'a str,
    pub at: i64,
    pub actor: Option<(i64, &'a str)>,
    pub via: Option<(i64, &'a str)>,
    pub kind: &'a str,
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub text: Option<&'a str>,
}

/// Appends events one after another from a known tail (the demo's bulk load keeps one of these
/// for the whole load instead of reading the tail before every event).
pub(crate) struct Appender {
    tail: Anchor,
}

impl Appender {
    pub fn new(conn: &Connection) -> rusqlite::Result<Appender> {
        Ok(Appender { tail: tail(conn)? })
    }

    /// Writes `e` as the next event of the chain; returns its id.
    pub fn append(&mut self, conn: &Connection, e: &NewEvent<'_>) -> rusqlite::Result<i64> {
        let (id, hash) = self.link(e);
        conn.prepare_cached(
            "INSERT INTO events (id, ticket_id, at, actor_id, via_id, kind, from_value, to_value, text, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            id,
            e.ticket_id,
            e.at,
            e.actor.map(|a| a.0),
            e.via.map(|a| a.0),
            e.kind,
            e.from,
            e.to,
            e.text,
            &hash[..]
        ])?;
        Ok(id)
    }

    /// Chains `e` as the next event without writing it: its id and hash, for a bulk load
    /// that writes many events' rows at once (the demo on PostgreSQL), in this order.
    pub fn link(&mut self, e: &NewEvent<'_>) -> (i64, [u8; 32]) {
        let id = self.tail.id + 1;
        let hash = chain::hash(
            &self.tail.hash,
            &Link {
                id,
                ticket: e.ticket_number.as_bytes(),
                at: e.at,
                actor: e.actor.map(|a| a.1.as_bytes()),
                via: e.via.map(|a| a.1.as_bytes()),
                kind: e.kind.as_bytes(),
                from: e.from.map(str::as_bytes),
                to: e.to.map(str::as_bytes),
                text: e.text.map(str::as_bytes),
            },
        );
        self.tail = Anchor { id, hash };
        (id, hash)
    }
}

/// Appends one event after the current tail (inside the caller's write transaction).
pub(crate) fn append(conn: &Connection, e: &NewEvent<'_>) -> rusqlite::Result<i64> {
    Appender::new(conn)?.append(conn, e)
}

/// A desk-level event to append (see `core::chain`, "Desk-level events"): no ticket.
pub(crate) struct NewDeskEvent<'a> {
    pub at: i64,
    pub actor: Option<(i64, &'a str)>,
    pub via: Option<(i64, &'a str)>,
    pub kind: &'a str,
    pub from: Option<&'a str>,
    pub text: &'a str,
}

/// Appends a desk-level event after the current tail (inside the caller's write
/// transaction), chained like a ticket's event whose number is the empty string.
pub(crate) fn append_desk(conn: &Connection, e: &NewDeskEvent<'_>) -> rusqlite::Result<i64> {
    let last = tail(conn)?;
    let id = last.id + 1;
    let hash = chain::hash(
        &last.hash,
        &Link {
            id,
            ticket: b"",
            at: e.at,
            actor: e.actor.map(|a| a.1.as_bytes()),
            via: e.via.map(|a| a.1.as_bytes()),
            kind: e.kind.as_bytes(),
            from: e.from.map(str::as_bytes),
            to: None,
            text: Some(e.text.as_bytes()),
        },
    );
    conn.prepare_cached(
        "INSERT INTO desk_events (id, at, actor_id, via_id, kind, from_value, to_value, text, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, ?7, ?8)",
    )?
    .execute(params![
        id,
        e.at,
        e.actor.map(|a| a.0),
        e.via.map(|a| a.0),
        e.kind,
        e.from,
        e.text,
        &hash[..]
    ])?;
    Ok(id)
}

/// Where the chain first fails to hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The event where it breaks (for a deletion: the first event after the gap).
    pub event: i64,
    /// Its ticket's number, when the ticket still exists.
    pub number: Option<String>,
    pub what: Message,
}

/// The chain walked from the first event to the last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub events: i64,
    /// The stored head (the last event's id and hash).
    pub head: Anchor,
    pub first_break: Option<Break>,
    /// The anchor asked about was found in the chain, with the same hash.
    pub anchor_holds: Option<bool>,
}

/// An event row as the walk reads it (values kept as stored, whatever their type).
struct Row {
    id: i64,
    number: Option<Vec<u8>>,
    at: Option<i64>,
    actor: Option<Vec<u8>>,
    actor_missing: bool,
    via: Option<Vec<u8>>,
    via_missing: bool,
    kind: Option<Vec<u8>>,
    from: Field,
    to: Field,
    text: Field,
    hash: Option<[u8; 32]>,
}

/// A nullable text column: absent, text, or something no desk writes (a number, a blob).
enum Field {
    Null,
    Text(Vec<u8>),
    Foreign,
}

fn field(v: ValueRef<'_>) -> Field {
    match v {
        ValueRef::Null => Field::Null,
        ValueRef::Text(t) => Field::Text(t.to_vec()),
        _ => Field::Foreign,
    }
}

fn text(v: ValueRef<'_>) -> Option<Vec<u8>> {
    match v {
        ValueRef::Text(t) => Some(t.to_vec()),
        _ => None,
    }
}

impl Row {
    fn read(r: &crate::store::db::Row<'_>) -> rusqlite::Result<Row> {
        let int = |i: usize| -> rusqlite::Result<Option<i64>> {
            Ok(match r.get_ref(i)? {
                ValueRef::Integer(n) => Some(n),
                _ => None,
            })
        };
        Ok(Row {
            id: r.get(0)?,
            number: text(r.get_ref(1)?),
            at: int(2)?,
            actor: text(r.get_ref(3)?),
            actor_missing: r.get::<_, bool>(4)?,
            via: text(r.get_ref(5)?),
            via_missing: r.get::<_, bool>(6)?,
            kind: text(r.get_ref(7)?),
            from: field(r.get_ref(8)?),
            to: field(r.get_ref(9)?),
            text: field(r.get_ref(10)?),
            hash: match r.get_ref(11)? {
                ValueRef::Blob(b) => <[u8; 32]>::try_from(b).ok(),
                _ => None,
            },
        })
    }

    /// The hash this row must carry after `prev`, or why none can be computed (a catalog key).
    fn expected(&self, prev: &[u8; 32]) -> Result<[u8; 32], &'static str> {
        let opt = |f: &Field| -> Result<Option<Vec<u8>>, &'static str> {
            match f {
                Field::Null => Ok(None),
                Field::Text(t) => Ok(Some(t.clone())),
                Field::Foreign => Err("chain.foreign_value"),
            }
        };
        let number = self.number.as_deref().ok_or("chain.no_ticket")?;
        let at = self.at.ok_or("chain.no_time")?;
        let kind = self.kind.as_deref().ok_or("chain.no_kind")?;
        if self.actor_missing || self.via_missing {
            return Err("chain.no_agent");
        }
        let (from, to, text) = (opt(&self.from)?, opt(&self.to)?, opt(&self.text)?);
        Ok(chain::hash(
            prev,
            &Link {
                id: self.id,
                ticket: number,
                at,
                actor: self.actor.as_deref(),
                via: self.via.as_deref(),
                kind,
                from: from.as_deref(),
                to: to.as_deref(),
                text: text.as_deref(),
            },
        ))
    }
}

/// Every event in chain order, with what the encoding needs of its ticket and agents.
const WALK: &str = "SELECT e.id, t.number, e.at, a.login, e.actor_id IS NOT NULL AND a.id IS NULL,
        v.login, e.via_id IS NOT NULL AND v.id IS NULL, e.kind, e.from_value, e.to_value, e.text, e.hash
     FROM events e
     LEFT JOIN tickets t ON t.id = e.ticket_id
     LEFT JOIN agents a ON a.id = e.actor_id
     LEFT JOIN agents v ON v.id = e.via_id
     ORDER BY e.id";

/// The desk-level events in chain order, read as ticket events whose number is empty.
const DESK_WALK: &str = "SELECT d.id, '', d.at, a.login, d.actor_id IS NOT NULL AND a.id IS NULL,
        v.login, d.via_id IS NOT NULL AND v.id IS NULL, d.kind, d.from_value, d.to_value, d.text, d.hash
     FROM desk_events d
     LEFT JOIN agents a ON a.id = d.actor_id
     LEFT JOIN agents v ON v.id = d.via_id
     ORDER BY d.id";

fn number_of(row: &Row) -> Option<String> {
    row.number
        .as_ref()
        .filter(|n| !n.is_empty())
        .map(|n| String::from_utf8_lossy(n).into_owned())
}

/// Why the event `bad` (which does not match its hash) broke the chain, judged by how the
/// event after it links: after an event edited in place the next one still chains on the
/// edited event's stored hash. (Each hash covers the event's id, so an event inserted or
/// removed with the ids shifted to hide it breaks every link from there on.)
fn judge(bad: &Row, next: Option<&Row>) -> Message {
    match next {
        None => msg!("chain.added_outside"),
        Some(n)
            if bad
                .hash
                .is_some_and(|h| n.hash.is_some() && n.expected(&h).ok() == n.hash) =>
        {
            msg!("chain.changed")
        }
        Some(_) => msg!("chain.rewritten"),
    }
}

/// Walks the chain on `conn`: the first break, the head, and whether `anchor` is in it.
pub(crate) fn verify(conn: &Connection, anchor: Option<&Anchor>) -> rusqlite::Result<ChainReport> {
    let mut stmt = conn.prepare(WALK)?;
    let mut desk_stmt = conn.prepare(DESK_WALK)?;
    let mut rows = Merged {
        tickets: stmt.query([])?,
        desk: desk_stmt.query([])?,
        next_ticket: None,
        next_desk: None,
    };
    let mut prev = GENESIS;
    let mut prev_id = 0i64;
    let mut events = 0i64;
    let mut first_break: Option<Break> = None;
    let mut anchor_holds = anchor.map(|a| *a == Anchor::EMPTY);
    // An event that does not match its hash: judged once the next event is read.
    let mut pending: Option<Row> = None;
    while let Some(row) = rows.next()? {
        events += 1;
        let (id, stored) = (row.id, row.hash);
        if let Some(a) = anchor
            && a.id == id
        {
            anchor_holds = Some(stored == Some(a.hash));
        }
        if let Some(bad) = pending.take() {
            first_break = Some(Break {
                event: bad.id,
                number: number_of(&bad),
                what: judge(&bad, Some(&row)),
            });
        } else if first_break.is_none() {
            let what = match (row.expected(&prev), stored) {
                (Err(why), _) => Some(msg!("chain.unchainable", why = term(why))),
                (Ok(_), None) => Some(msg!("chain.no_hash")),
                (Ok(want), Some(h)) if want == h => None,
                (Ok(_), Some(_)) if id != prev_id + 1 => Some(if prev_id == 0 {
                    msg!("chain.not_first")
                } else {
                    msg!("chain.gap", prev = prev_id)
                }),
                (Ok(_), Some(_)) => {
                    pending = Some(row);
                    prev = stored.unwrap_or(GENESIS);
                    prev_id = id;
                    continue;
                }
            };
            if let Some(what) = what {
                first_break = Some(Break {
                    event: id,
                    number: number_of(&row),
                    what,
                });
            }
        }
        prev = stored.unwrap_or(GENESIS);
        prev_id = id;
    }
    if let Some(bad) = pending.take() {
        first_break = Some(Break {
            event: bad.id,
            number: number_of(&bad),
            what: judge(&bad, None),
        });
    }
    Ok(ChainReport {
        events,
        head: tail(conn)?,
        first_break,
        anchor_holds,
    })
}

/// Ticket events and desk-level events, read together in id order.
struct Merged<'s> {
    tickets: crate::store::db::Rows<'s>,
    desk: crate::store::db::Rows<'s>,
    next_ticket: Option<Row>,
    next_desk: Option<Row>,
}

impl Merged<'_> {
    fn next(&mut self) -> rusqlite::Result<Option<Row>> {
        if self.next_ticket.is_none() {
            self.next_ticket = self.tickets.next()?.map(|r| Row::read(&r)).transpose()?;
        }
        if self.next_desk.is_none() {
            self.next_desk = self.desk.next()?.map(|r| Row::read(&r)).transpose()?;
        }
        let desk_first = match (&self.next_ticket, &self.next_desk) {
            (Some(t), Some(d)) => d.id < t.id,
            (None, Some(_)) => true,
            _ => false,
        };
        Ok(if desk_first {
            self.next_desk.take()
        } else {
            self.next_ticket.take()
        })
    }
}

/// Chains every event of a database written before the chain existed (the migration's hook),
/// in id order.
pub(crate) fn chain_existing(tx: &crate::store::db::Connection) -> rusqlite::Result<()> {
    let mut read = tx.prepare(WALK)?;
    let mut rows = read.query([])?;
    let mut write = tx.prepare("UPDATE events SET hash = ?1 WHERE id = ?2")?;
    let mut prev = GENESIS;
    while let Some(r) = rows.next()? {
        let row = Row::read(&r)?;
        // A row no desk could have written gets no hash: `desk check` names it.
        let Ok(h) = row.expected(&prev) else { continue };
        write.execute(params![&h[..], row.id])?;
        prev = h;
    }
    Ok(())
}

impl Store {
    /// Walks the whole history's hash chain; with `anchor`, also says whether that earlier
    /// head is still in the chain with the same hash.
    pub fn verify_chain(&self, anchor: Option<&Anchor>) -> Result<ChainReport> {
        verify(&self.conn, anchor).map_err(|e| self.err(e))
    }
}
