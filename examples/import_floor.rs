//! The floor under `desk import` on this machine (issue 17, bench/all.sh): a bare SQL loader
//! writing exactly the rows an import wrote, into a desk as it was before the import, with the
//! same schema (every table, index, constraint and trigger), in one transaction, as durable as
//! desk (WAL, synchronous=FULL: one sync of the log at the commit). No routing, numbering,
//! hash chain or checks (foreign keys neither: the rows come from a sound desk): only the
//! writing, done the fastest way plain SQLite knows here:
//!
//! - the rows read before the clock starts, each table's in its primary key's order, each
//!   table written by one prepared statement reused for every row;
//! - a page cache large enough to hold the whole load (no dirty page spilled to the log
//!   before the commit, none read back);
//! - when the load at least doubles a table, its indexes other than the primary key's set
//!   aside and built again, sorted, once at the end (in the transaction);
//! - the search index (FTS5) filled in two statements at the end, with its triggers set aside
//!   (as desk does), from the tickets and their history read in order, its in-memory buffer
//!   large enough to write few segments, and no merging of segments during the load (each
//!   setting put back as it was before the commit);
//! - secure_delete off, temp_store in memory.
//!
//!   import_floor SOURCE TARGET
//!
//! SOURCE: a desk after the import; TARGET: a copy of it from before the import (taken away
//! by the loader). The rows are read from SOURCE before the clock starts; prints the tickets
//! loaded, the rows, the time and the tickets per second, then where the time went.
//! `FLOOR_PLAIN=1` loads the way the first floor did (for comparison): the default cache,
//! every index kept, FTS5 as configured.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use std::time::Instant;

type Rows = Vec<(String, Vec<String>, Vec<Vec<Value>>)>;

/// The page cache while loading: 1 GiB at most (SQLite takes pages as it needs them).
const CACHE_KIB: i64 = 1024 * 1024;
/// FTS5's buffer of pending words before it writes a segment (its default is 1 MiB).
const FTS_HASH: i64 = 256 * 1024 * 1024;

/// Every row of SOURCE that TARGET lacks (new or changed), table by table in the schema's
/// order, each table's rows in its primary key's order; the search index's tables excepted.
fn new_rows(c: &Connection) -> rusqlite::Result<Rows> {
    let tables: Vec<String> = c
        .prepare(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
               AND name NOT LIKE 'search%' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY rowid",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::new();
    for t in tables {
        // Stored columns only (a generated one is computed again on insert), and the primary
        // key's columns in its order.
        let cols: Vec<(String, i64)> = c
            .prepare(&format!("SELECT name, pk FROM pragma_table_info('{t}')"))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let names = cols
            .iter()
            .map(|(c, _)| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut key: Vec<(i64, String)> = cols
            .iter()
            .filter(|(_, pk)| *pk > 0)
            .map(|(c, pk)| (*pk, format!("\"{c}\"")))
            .collect();
        key.sort();
        let order = if key.is_empty() {
            "1".to_string()
        } else {
            key.into_iter()
                .map(|(_, c)| c)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut st = c.prepare(&format!(
            "SELECT * FROM (SELECT {names} FROM src.\"{t}\" EXCEPT SELECT {names} FROM main.\"{t}\")
             ORDER BY {order}"
        ))?;
        let n = cols.len();
        let rows: Vec<Vec<Value>> = st
            .query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())?
            .collect::<rusqlite::Result<_>>()?;
        if !rows.is_empty() {
            out.push((t, cols.into_iter().map(|(c, _)| c).collect(), rows));
        }
    }
    Ok(out)
}

/// The CREATE statements of `table`'s indexes that can be dropped (not a constraint's).
fn indexes(c: &Connection, table: &str) -> rusqlite::Result<Vec<(String, String)>> {
    c.prepare(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1
           AND sql IS NOT NULL",
    )?
    .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
    .collect()
}

/// An FTS5 setting of the search index as stored (None: its default).
fn fts_setting(c: &Connection, key: &str) -> rusqlite::Result<Option<Value>> {
    c.query_row("SELECT v FROM search_config WHERE k = ?1", [key], |r| {
        r.get(0)
    })
    .optional()
}

fn set_fts(c: &Connection, key: &str, v: Value) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO search (search, rank) VALUES (?1, ?2)",
        rusqlite::params![key, v],
    )
    .map(drop)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, source, target] = args.as_slice() else {
        return Err("usage: import_floor SOURCE TARGET".into());
    };
    let plain = std::env::var_os("FLOOR_PLAIN").is_some();
    let mut c = Connection::open(target)?;
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = OFF; PRAGMA secure_delete = OFF",
    )?;
    if !plain {
        c.execute_batch(&format!("PRAGMA cache_size = -{CACHE_KIB}"))?;
    }
    c.execute("ATTACH ?1 AS src", [source])?;
    let rows = new_rows(&c)?;
    c.execute_batch("DETACH src")?;
    let mut phases: Vec<(String, f64)> = Vec::new();
    let start = Instant::now();
    let mut lap = Instant::now();
    let mut phase = |name: &str, lap: &mut Instant| {
        phases.push((name.to_string(), lap.elapsed().as_secs_f64()));
        *lap = Instant::now();
    };
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let last: i64 = tx.query_row("SELECT coalesce(max(id), 0) FROM tickets", [], |r| r.get(0))?;
    let triggers: Vec<(String, String)> = tx
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search%'",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (name, _) in &triggers {
        tx.execute_batch(&format!("DROP TRIGGER \"{name}\""))?;
    }
    // Indexes set aside where the load at least doubles the table.
    let mut aside = Vec::new();
    if !plain {
        for (t, _, new) in &rows {
            let had: i64 =
                tx.query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))?;
            if had as usize <= new.len() {
                for (name, sql) in indexes(&tx, t)? {
                    tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
                    aside.push(sql);
                }
            }
        }
    }
    phase("prepare", &mut lap);
    let (mut tickets, mut total) = (0, 0);
    for (t, cols, rows) in &rows {
        let marks = vec!["?"; cols.len()].join(", ");
        let names = cols
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut st = tx.prepare(&format!(
            "INSERT OR REPLACE INTO \"{t}\" ({names}) VALUES ({marks})"
        ))?;
        for r in rows {
            st.execute(params_from_iter(r))?;
        }
        total += rows.len();
        if t == "tickets" {
            tickets = rows.len();
        }
        phase(&format!("rows: {t} ({})", rows.len()), &mut lap);
    }
    for sql in &aside {
        tx.execute_batch(sql)?;
    }
    phase(&format!("indexes built again ({})", aside.len()), &mut lap);
    let kept: Vec<(&str, Option<Value>)> = if plain {
        Vec::new()
    } else {
        let kept = vec![
            ("hashsize", fts_setting(&tx, "hashsize")?),
            ("automerge", fts_setting(&tx, "automerge")?),
        ];
        set_fts(&tx, "hashsize", Value::Integer(FTS_HASH))?;
        set_fts(&tx, "automerge", Value::Integer(0))?;
        kept
    };
    // The search index, as desk builds it after a bulk load (store::search::resume_after).
    tx.execute(
        "INSERT INTO search (rowid, number, subject, requester, contact, body)
         SELECT t.id << 32, t.number || ' ' || t.number_key, t.subject, t.requester,
             t.contact, t.body
         FROM tickets t WHERE t.id > ?1",
        [last],
    )?;
    tx.execute(
        "INSERT INTO search (rowid, note, reply, message)
         SELECT (e.ticket_id << 32) + e.id + 1
                 - (SELECT min(f.id) FROM events f WHERE f.ticket_id = e.ticket_id),
             CASE WHEN e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
                 THEN e.text ELSE '' END,
             CASE WHEN e.kind = 'reply' THEN e.text ELSE '' END,
             CASE WHEN e.kind = 'message' THEN e.text ELSE '' END
         FROM events e
         WHERE e.ticket_id > ?1 AND e.text IS NOT NULL AND e.text <> ''
             AND e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply',
                 'message')",
        [last],
    )?;
    for (key, v) in kept {
        match v {
            Some(v) => set_fts(&tx, key, v)?,
            None => {
                tx.execute("DELETE FROM search_config WHERE k = ?1", [key])?;
            }
        }
    }
    phase("search index", &mut lap);
    for (_, sql) in &triggers {
        tx.execute_batch(sql)?;
    }
    tx.commit()?;
    phase("commit", &mut lap);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{tickets} tickets ({total} rows) in {:.0} ms: {:.0} tickets/s",
        secs * 1000.0,
        tickets as f64 / secs
    );
    for (name, s) in phases {
        println!("  {:>7.1} ms  {name}", s * 1000.0);
    }
    Ok(())
}
