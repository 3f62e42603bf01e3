//! The measurement behind keeping attachments in the database (README, "Attachments"):
//! the same files kept the two ways a desk could keep them, each as durable as the other.
//!
//!   attach_store db|files write|read SIZE COUNT DIR
//!
//! `db`: each content in a table of the desk's SQLite database (WAL, synchronous=FULL), one
//! transaction per file, as `desk attach` does. `files`: each content in a file beside the
//! database, named by its hash (written to a temporary name, fsync'd, renamed, the directory
//! fsync'd), then its row in the database in a transaction of its own. `write` adds COUNT
//! files of SIZE bytes; `read` reads back every file written so far. Run it with hyperfine
//! (bench/attach.sh).

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

fn hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn open(dir: &Path) -> rusqlite::Result<Connection> {
    let c = Connection::open(dir.join("desk.db"))?;
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE,
             size INTEGER NOT NULL, data BLOB NOT NULL);
         CREATE TABLE IF NOT EXISTS attachments (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
             hash TEXT NOT NULL, size INTEGER NOT NULL);",
    )?;
    Ok(c)
}

fn content(size: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..size)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

fn write_file(dir: &Path, hash: &str, data: &[u8]) -> std::io::Result<()> {
    let objects = dir.join("objects").join(&hash[..2]);
    std::fs::create_dir_all(&objects)?;
    let tmp = objects.join(format!(".{hash}.tmp"));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, objects.join(hash))?;
    std::fs::File::open(&objects)?.sync_all()
}

fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let [how, what, size, count, dir] = args else {
        return Err("usage: attach_store db|files write|read SIZE COUNT DIR".into());
    };
    let (size, count): (usize, i64) = (size.parse()?, count.parse()?);
    let dir = Path::new(dir);
    let mut c = open(dir)?;
    match what.as_str() {
        "write" => {
            let start: i64 = c.query_row("SELECT count(*) FROM attachments", [], |r| r.get(0))?;
            for i in start..start + count {
                let data = content(size, i as u64);
                let hash = hex(&data);
                if how == "files" {
                    write_file(dir, &hash, &data)?;
                }
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                if how == "db" {
                    tx.execute(
                        "INSERT OR IGNORE INTO blobs (hash, size, data) VALUES (?1, ?2, ?3)",
                        params![hash, size as i64, data],
                    )?;
                }
                tx.execute(
                    "INSERT INTO attachments (name, hash, size) VALUES (?1, ?2, ?3)",
                    params![format!("file{i}"), hash, size as i64],
                )?;
                tx.commit()?;
            }
        }
        "read" => {
            let hashes: Vec<String> = c
                .prepare("SELECT hash FROM attachments")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut total = 0usize;
            for h in hashes {
                let data: Vec<u8> = if how == "db" {
                    c.query_row("SELECT data FROM blobs WHERE hash = ?1", [&h], |r| r.get(0))?
                } else {
                    std::fs::read(dir.join("objects").join(&h[..2]).join(&h))?
                };
                total += data.len();
            }
            println!("{total}");
        }
        other => return Err(format!("unknown {other}").into()),
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("attach_store: {e}");
        std::process::exit(2);
    }
}
