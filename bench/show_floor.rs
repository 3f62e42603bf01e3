//! The floor under `desk show` on this machine (issue 17, target 1; bench/floor.sh): the least
//! a process can do to show one ticket of a desk the way `desk show` does. Linked against the
//! same bundled SQLite (rusqlite, the desk's features), it opens the desk as desk opens it —
//! desk's file system (`store::vfs`, which also keeps SQLite from counting its memory),
//! read-write, no mutex, a busy timeout, temporary storage in memory, the log kept between
//! processes and not copied back at close, WAL, synchronous=FULL, foreign keys on, the
//! journal's size limit, the version check — reads the two settings desk reads at each start
//! and the person running it, then runs the very statements `desk show` runs (captured from a
//! run of desk with a breakpoint on SQLite's prepare) and prints the ticket's fields, its
//! history and its access code as plain lines. No configuration, no command line parser, no
//! translations, no rights, no formatting beyond the values: what is left is the program's
//! start, SQLite reading the schema and the look-ups.
//!
//!   show_floor DESK.db NUMBER
//!
//! Exit code 0 when the ticket was found, 1 when not, 2 on a database error.

use rusqlite::config::DbConfig;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, ffi};
use std::io::Write;
use std::time::Duration;

const TICKET: &str = "SELECT t.id, t.number, t.subject, t.body, t.requester, t.contact, t.channel, \
    t.category, t.priority, t.status, t.outcome, t.reason, t.answer, t.assignee_id, a.login, a.name, \
    a.role, t.group_code, t.created_at, c.login, t.updated_at, u.login, t.due_at, \
    t.first_response_at, t.resolved_at, t.closed_at, t.satisfaction, t.reassignments, t.version, \
    t.scope, t.seq, t.risk_at, t.merged_into FROM tickets t LEFT JOIN agents a ON a.id = \
    t.assignee_id LEFT JOIN agents c ON c.id = t.created_by LEFT JOIN agents u ON u.id = \
    t.updated_by WHERE t.number = ?1";
const HISTORY: &str = "SELECT e.id, e.at, a.login, v.login, e.kind, e.from_value, e.to_value, \
    e.text FROM events e LEFT JOIN agents a ON a.id = e.actor_id LEFT JOIN agents v ON v.id = \
    e.via_id WHERE e.ticket_id = ?1 ORDER BY e.id";
const MERGED: &str = "SELECT number, subject, requester, contact, channel, body, created_at \
    FROM tickets WHERE merged_into = ?1 ORDER BY id";
const LINKS: &str = "SELECT l.a, l.kind, o.number, o.subject, o.status FROM links l JOIN \
    tickets o ON o.id = CASE WHEN l.a = ?1 THEN l.b ELSE l.a END WHERE l.a = ?1 OR l.b = ?1 \
    ORDER BY o.id";
const ATTACHMENTS: &str = "SELECT x.name, x.hash, x.size, x.added_at, a.login FROM attachments \
    x LEFT JOIN agents a ON a.id = x.added_by WHERE x.ticket_id = ?1 ORDER BY x.id";
const ACCESS: &str = "SELECT access_code, language FROM requester WHERE ticket_id = ?1";
const OUTBOX: &str = "SELECT o.id, o.ticket_id, t.number, o.kind, o.state, o.created_at, \
    o.recipient, o.subject, o.message_id, o.attempts, o.next_at, o.last_error, o.done_at FROM \
    outbox o JOIN tickets t ON t.id = o.ticket_id WHERE o.ticket_id = ?1 ORDER BY o.id";

/// One row as a line: its values separated by two spaces (NULL as '-').
fn line(out: &mut impl Write, r: &Row, n: usize) -> rusqlite::Result<()> {
    for i in 0..n {
        let sep = if i == 0 { "" } else { "  " };
        let _ = match r.get_ref(i)? {
            ValueRef::Null => write!(out, "{sep}-"),
            ValueRef::Integer(v) => write!(out, "{sep}{v}"),
            ValueRef::Real(v) => write!(out, "{sep}{v}"),
            ValueRef::Text(t) => write!(out, "{sep}{}", String::from_utf8_lossy(t)),
            ValueRef::Blob(b) => write!(out, "{sep}<{} bytes>", b.len()),
        };
    }
    let _ = writeln!(out);
    Ok(())
}

fn rows(c: &Connection, out: &mut impl Write, sql: &str, id: i64) -> rusqlite::Result<()> {
    let mut st = c.prepare(sql)?;
    let n = st.column_count();
    let mut q = st.query([id])?;
    while let Some(r) = q.next()? {
        line(out, r, n)?;
    }
    Ok(())
}

fn show(path: &str, number: &str) -> rusqlite::Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let c = if desk::store::vfs::registered() {
        Connection::open_with_flags_and_vfs(path, flags, desk::store::vfs::NAME)?
    } else {
        Connection::open_with_flags(path, flags)?
    };
    c.busy_timeout(Duration::from_secs(5))?;
    c.execute_batch("PRAGMA temp_store = MEMORY")?;
    // The log is kept between processes, as desk keeps it (SQLITE_FCNTL_PERSIST_WAL).
    let mut on: std::ffi::c_int = 1;
    // SAFETY: the connection is open; PERSIST_WAL takes a pointer to an int.
    unsafe {
        ffi::sqlite3_file_control(
            c.handle(),
            c"main".as_ptr(),
            ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&mut on as *mut std::ffi::c_int).cast(),
        );
    }
    let (_app, _version, _tables): (i64, i64, i64) = c.query_row(
        "SELECT (SELECT application_id FROM pragma_application_id), \
         (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master)",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let _: String = c.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    c.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = OFF;")?;
    c.execute_batch("PRAGMA foreign_keys = ON;")?;
    c.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    c.execute_batch("PRAGMA journal_size_limit = 1048576")?;
    // The two settings desk reads at each start, and the person running it.
    for key in ["sla_fingerprint", "sla_all"] {
        let _: Option<String> = c
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
    }
    let me = std::env::var("USER").unwrap_or_default();
    let _: Option<i64> = c
        .query_row(
            "SELECT id, login, role, active FROM agents WHERE login = ?1",
            [&me],
            |r| r.get(0),
        )
        .optional()?;
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let mut st = c.prepare(TICKET)?;
    let n = st.column_count();
    let mut q = st.query([number])?;
    let Some(r) = q.next()? else {
        return Ok(());
    };
    let id: i64 = r.get(0)?;
    line(&mut out, r, n)?;
    for sql in [HISTORY, MERGED, LINKS, ATTACHMENTS, ACCESS, OUTBOX] {
        rows(&c, &mut out, sql, id)?;
    }
    let _ = out.flush();
    // Out without closing the connection or freeing anything, as a one-shot desk command
    // exits (its commits are in the log already).
    std::process::exit(0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(number)) = (args.next(), args.next()) else {
        eprintln!("usage: show_floor DESK.db NUMBER");
        std::process::exit(2);
    };
    match show(&path, &number) {
        // Not found (a ticket found exits in `show`, once printed).
        Ok(()) => std::process::exit(1),
        Err(e) => {
            eprintln!("show_floor: {e}");
            std::process::exit(2);
        }
    }
}
