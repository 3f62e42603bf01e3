//! The floor under `desk import` on this machine (issue 17, bench/all.sh): a bare SQL loader
//! writing exactly the rows an import wrote, into a desk as it was before the import, with the
//! same schema (every index, constraint and trigger but the search index's, which it fills
//! in one statement at the end as a large import does), in one transaction, as durable as desk
//! (WAL, synchronous=FULL). No routing, numbering, hash chain or checks (foreign keys
//! neither: the rows come from a sound desk): only the writing.
//!
//!   import_floor SOURCE TARGET
//!
//! SOURCE: a desk after the import; TARGET: a copy of it from before the import (taken away
//! by the loader). The rows are read from SOURCE before the clock starts; prints the tickets
//! loaded, the rows, the time and the tickets per second.

use rusqlite::types::Value;
use rusqlite::{Connection, params_from_iter};
use std::time::Instant;

type Rows = Vec<(String, Vec<String>, Vec<Vec<Value>>)>;

/// Every row of SOURCE that TARGET lacks (new or changed), table by table; the search index's
/// tables excepted.
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
        let cols: Vec<String> = c
            .prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        // Stored columns only (a generated one is computed again on insert).
        let names = cols
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let mut st = c.prepare(&format!(
            "SELECT {names} FROM src.\"{t}\" EXCEPT SELECT {names} FROM main.\"{t}\""
        ))?;
        let n = cols.len();
        let rows: Vec<Vec<Value>> = st
            .query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())?
            .collect::<rusqlite::Result<_>>()?;
        if !rows.is_empty() {
            out.push((t, cols, rows));
        }
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, source, target] = args.as_slice() else {
        return Err("usage: import_floor SOURCE TARGET".into());
    };
    let mut c = Connection::open(target)?;
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA temp_store = MEMORY;
         PRAGMA foreign_keys = OFF",
    )?;
    c.execute("ATTACH ?1 AS src", [source])?;
    let rows = new_rows(&c)?;
    c.execute_batch("DETACH src")?;
    let start = Instant::now();
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
    }
    tx.execute(
        "INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
         SELECT id, number, subject, requester, contact, body, note, reply, message
         FROM search_doc WHERE id > ?1",
        [last],
    )?;
    for (_, sql) in &triggers {
        tx.execute_batch(sql)?;
    }
    tx.commit()?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{tickets} tickets ({total} rows) in {:.0} ms: {:.0} tickets/s",
        secs * 1000.0,
        tickets as f64 / secs
    );
    Ok(())
}
