//! The floor under `desk new` on this machine (issue 17, target 1; bench/floor.sh, bench/all.sh):
//! the least a process can do to register one request durably the way `desk new` does. Linked
//! against the same bundled SQLite (rusqlite, the desk's features), it opens the desk as desk
//! opens it — desk's file system (no sync of the directory at each change: `store::vfs`, which
//! also keeps SQLite from counting its memory), read-write, no mutex, a busy timeout, temporary
//! storage in memory, the log kept between processes and not copied back at close, the version
//! check, WAL, synchronous=FULL, foreign keys off then on, the log's size limit, the log copied
//! into the database past 256 pages as desk's commit hook does — then runs the very statements
//! `desk new --subject S --category C` runs, in its order and as often (captured from a run of
//! desk with a breakpoint on SQLite's sqlite3_step printing sqlite3_expanded_sql): the two
//! settings and the person at start, the likely duplicates of the last 30 days read as far as
//! desk reads them, then in one `BEGIN IMMEDIATE` transaction the person's rights, the report's
//! settings, the hash chain's tail, the group, the number's sequence and its uniqueness, the
//! ticket's row (its triggers write the search index), its first event chained by SHA-256, its
//! facts, its requester's access code and the report's five days, and `COMMIT` (one sync of the
//! log). What is computed in between is desk's own pure code (`desk::core`: the number and its
//! check character, the chain's hash, the request's seal, the duplicates' likeness, the access
//! code), so the rows are the ones desk writes — but for the report's figures, which are written
//! back as read with the day's count plus one (the floor's desk is a copy of its own: bench
//! scripts never point it at the desk `desk` itself is timed on). No configuration (the
//! template, the group and the service-level offsets are the bench desk's, fixed below), no
//! command line parser, no translations, no rights beyond the statement that reads them.
//!
//!   new_floor DESK.db SUBJECT CATEGORY GROUP
//!
//! Prints the new number. Exit code 0 when registered, 2 on a database error.

use desk::core::chain::{self, Link, Request};
use desk::core::mail::access;
use desk::core::merge;
use desk::core::numbering::{self, CheckAlgo, Parts, Template};
use rusqlite::config::DbConfig;
use rusqlite::hooks::{CheckpointMode, Wal};
use rusqlite::{Connection, OpenFlags, OptionalExtension, ffi, params};
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The bench desk's numbering template (desk.toml `[numbering] template`).
const TEMPLATE: &str = "{cat}-{yy}{mm}-{seq:5}-{check}";
/// The bench desk's first response and resolution targets for a normal request, and when it
/// turns at risk (what desk's SLA computed for `desk new --category GEN` on it).
const DUE_SECS: i64 = 86_400;
const RISK_SECS: i64 = 64_800;
/// Pages in the log past which a commit copies them into the database (`store::WAL_PAGES`).
const WAL_PAGES: i32 = 256;

const TAIL: &str = "SELECT id, hash FROM (SELECT id, hash FROM events ORDER BY id DESC LIMIT 1) \
    AS t UNION ALL SELECT id, hash FROM (SELECT id, hash FROM desk_events ORDER BY id DESC LIMIT \
    1) AS d ORDER BY id DESC LIMIT 1";
const SEQUENCE: &str = "INSERT INTO sequences (scope, last, algo, template) VALUES (?1, 1, ?2, \
    ?3) ON CONFLICT (scope) DO UPDATE SET last = sequences.last + 1, algo = \
    coalesce(sequences.algo, excluded.algo), template = coalesce(sequences.template, \
    excluded.template) RETURNING last, algo";
const TICKET: &str = "INSERT INTO tickets (number, number_key, scope, seq, subject, body, \
    requester, contact, channel, category, priority, status, is_open, assignee_id, group_code, \
    created_at, created_by, updated_at, updated_by, external_ref, due_at, risk_at, \
    first_response_at, reassignments) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, \
    ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) RETURNING id";
const EVENT: &str = "INSERT INTO events (id, ticket_id, at, actor_id, via_id, kind, from_value, \
    to_value, text, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
const FACTS: &str = "INSERT INTO facts (ticket_id, is_open, created_at, resolved_at, category, \
    group_code, assignee, channel, priority, outcome, refusal, satisfaction, reassignments, \
    first_response_secs, resolution_secs, status_secs, status, status_since, first_response_due, \
    reassigned) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
    ?17, ?18, ?19, ?20) ON CONFLICT (ticket_id) DO UPDATE SET is_open = excluded.is_open, \
    created_at = excluded.created_at, resolved_at = excluded.resolved_at, category = \
    excluded.category, group_code = excluded.group_code, assignee = excluded.assignee, channel = \
    excluded.channel, priority = excluded.priority, outcome = excluded.outcome, refusal = \
    excluded.refusal, satisfaction = excluded.satisfaction, reassignments = \
    excluded.reassignments, first_response_secs = excluded.first_response_secs, resolution_secs \
    = excluded.resolution_secs, status_secs = excluded.status_secs, status = excluded.status, \
    status_since = excluded.status_since, first_response_due = excluded.first_response_due, \
    reassigned = excluded.reassigned";
const DAY: &str = "SELECT tickets, figures FROM report_days WHERE day = ?1 AND side = ?2 AND \
    group_code = ?3 AND dim = ?4 AND value = ?5";
const DAY_WRITE: &str = "INSERT INTO report_days (day, side, group_code, dim, value, tickets, \
    figures) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (day, side, group_code, dim, value) \
    DO UPDATE SET tickets = excluded.tickets, figures = excluded.figures";

/// Keeps the `-wal` and `-shm` files between processes (`SQLITE_FCNTL_PERSIST_WAL`), as desk.
fn persist_wal(c: &Connection) {
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
}

/// desk's commit hook (`store::wal_committed`): past 256 pages the log is copied back and
/// emptied.
fn wal_committed(wal: &Wal, pages: std::ffi::c_int) -> rusqlite::Result<()> {
    if pages >= WAL_PAGES && wal.checkpoint_v2(CheckpointMode::TRUNCATE).is_err() {
        let _ = wal.checkpoint_v2(CheckpointMode::PASSIVE);
    }
    Ok(())
}

fn open(path: &str) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let c = if desk::store::vfs::registered() {
        Connection::open_with_flags_and_vfs(path, flags, desk::store::vfs::NAME)?
    } else {
        Connection::open_with_flags(path, flags)?
    };
    c.busy_timeout(Duration::from_secs(5))?;
    c.execute_batch("PRAGMA temp_store = MEMORY")?;
    persist_wal(&c);
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
    c.execute_batch(&format!("PRAGMA journal_size_limit = {}", WAL_PAGES * 4096))?;
    c.wal_hook(Some(wal_committed));
    Ok(c)
}

fn meta(c: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// Reads the likely duplicates as `desk new` does: the open tickets of the last 30 days,
/// newest first, until no older one could be among the five likeliest.
fn likely_duplicates(c: &Connection, subject: &str, now: i64) -> rusqlite::Result<usize> {
    let words = merge::significant_words(subject);
    if words.is_empty() {
        return Ok(0);
    }
    let mut st = c.prepare_cached(
        "SELECT number, subject, requester, contact, status, created_at FROM tickets \
         WHERE created_at >= ?1 AND +is_open = 1 ORDER BY created_at DESC",
    )?;
    let mut rows = st.query([now - merge::DUPLICATE_WINDOW])?;
    let mut best = merge::Likeliest::new(5, words.len(), false);
    while let Some(r) = rows.next()? {
        if best.settled() {
            break;
        }
        let subject: String = r.get(1)?;
        let contact: String = r.get(3)?;
        let Some(why) = merge::likeness(&words, None, &subject, &contact) else {
            continue;
        };
        if best.wants(&why) {
            let number: String = r.get(0)?;
            best.offer(&why, number);
        }
    }
    Ok(best.into_vec().len())
}

fn register(path: &str, subject: &str, category: &str, group: &str) -> rusqlite::Result<String> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let date = chrono::DateTime::from_timestamp(now, 0)
        .unwrap_or_default()
        .date_naive();
    let mut c = open(path)?;
    // At start: the two settings desk reads, and the person running it (read twice, as desk).
    for key in ["sla_all", "sla_fingerprint"] {
        meta(&c, key)?;
    }
    let me = std::env::var("USER").unwrap_or_default();
    let mut actor = None;
    for _ in 0..2 {
        actor = c
            .prepare_cached("SELECT id, login, role, active FROM agents WHERE login = ?1")?
            .query_row([&me], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .optional()?;
    }
    let Some((actor_id, login)) = actor else {
        return Err(rusqlite::Error::QueryReturnedNoRows);
    };
    likely_duplicates(&c, subject, now)?;

    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let _: (String, bool) = tx
        .prepare_cached("SELECT role, active FROM agents WHERE id = ?1 AND login = ?2")?
        .query_row(params![actor_id, login], |r| Ok((r.get(0)?, r.get(1)?)))?;
    meta(&tx, "rollups")?;
    let (tail_id, tail_hash): (i64, Vec<u8>) = tx
        .prepare_cached(TAIL)?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or((0, vec![0; 32]));
    let _: bool = tx
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM groups WHERE code = ?1)")?
        .query_row([group], |r| r.get(0))?;
    let _: Option<(bool, Option<i64>)> = tx
        .prepare_cached("SELECT auto_assign, turn_agent_id FROM groups WHERE code = ?1")?
        .query_row([group], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    // The number: the series' next value, rendered with its check character.
    let template = Template::parse(TEMPLATE).map_err(|_| rusqlite::Error::InvalidQuery)?;
    let parts = Parts {
        prefix: "",
        date,
        cat: category,
        group,
    };
    let scope = template.scope(&parts);
    let fresh = CheckAlgo::for_new_series(&scope, CheckAlgo::Damm);
    let (seq, algo): (i64, Option<String>) = tx
        .prepare_cached(SEQUENCE)?
        .query_row(params![scope, fresh.as_str(), template.source()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let algo = [CheckAlgo::Damm, CheckAlgo::Luhn, CheckAlgo::Damm36]
        .into_iter()
        .find(|a| algo.as_deref() == Some(a.as_str()))
        .unwrap_or(fresh);
    let number = template.render(&parts, seq as u64, algo);
    let key = numbering::normalize(&number);
    let _: Option<String> = tx
        .prepare_cached("SELECT number FROM tickets WHERE number_key = ?1")?
        .query_row([&key], |r| r.get(0))
        .optional()?;
    let id: i64 = tx.prepare_cached(TICKET)?.query_row(
        params![
            number,
            key,
            scope,
            seq,
            subject,
            "",
            "",
            "",
            "api",
            category,
            1,
            "new",
            1,
            None::<i64>,
            group,
            now,
            actor_id,
            now,
            actor_id,
            None::<String>,
            now + DUE_SECS,
            now + RISK_SECS,
            None::<i64>,
            0
        ],
        |r| r.get(0),
    )?;
    // Its first event, chained after the tail.
    let request = Request {
        subject,
        body: "",
        requester: "",
        contact: "",
    };
    let text = chain::created_text("api", category, "normal", &request);
    let prev: [u8; 32] = tail_hash.try_into().unwrap_or([0; 32]);
    let event_id = tail_id + 1;
    let hash = chain::hash(
        &prev,
        &Link {
            id: event_id,
            ticket: number.as_bytes(),
            at: now,
            actor: Some(login.as_bytes()),
            via: None,
            kind: b"created",
            from: None,
            to: Some(&b"new"[..]),
            text: Some(text.as_bytes()),
        },
    );
    tx.prepare_cached(EVENT)?.execute(params![
        event_id,
        id,
        now,
        actor_id,
        None::<i64>,
        "created",
        None::<String>,
        "new",
        text,
        &hash[..]
    ])?;
    tx.prepare_cached(FACTS)?.execute(params![
        id,
        1,
        now,
        None::<i64>,
        category,
        group,
        None::<String>,
        "api",
        1,
        None::<String>,
        None::<String>,
        None::<i64>,
        0,
        None::<i64>,
        None::<i64>,
        "",
        "new",
        now,
        now + DUE_SECS,
        None::<i64>
    ])?;
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|_| rusqlite::Error::InvalidQuery)?;
    tx.prepare_cached(
        "INSERT INTO requester (ticket_id, access_code, language) VALUES (?1, ?2, ?3) \
         ON CONFLICT (access_code) DO NOTHING",
    )?
    .execute(params![id, access::from_random(random), None::<String>])?;
    // The report's days: the day's row of each dimension read and written back.
    use chrono::Datelike;
    let day = date.num_days_from_ce() as i64;
    for (dim, value) in [
        ("", ""),
        ("agent", ""),
        ("category", category),
        ("channel", "api"),
        ("priority", "1"),
    ] {
        let (tickets, figures): (i64, String) = tx
            .prepare_cached(DAY)?
            .query_row(params![day, "received", group, dim, value], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?
            .unwrap_or_else(|| (0, format!("c:new=0;fa=0;t:new={now}")));
        tx.prepare_cached(DAY_WRITE)?.execute(params![
            day,
            "received",
            group,
            dim,
            value,
            tickets + 1,
            figures
        ])?;
    }
    tx.commit()?;
    // Out without closing the connection, as a one-shot desk command exits.
    std::mem::forget(c);
    Ok(number)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, subject, category, group] = &args[..] else {
        eprintln!("usage: new_floor DESK.db SUBJECT CATEGORY GROUP");
        std::process::exit(2);
    };
    match register(path, subject, category, group) {
        Ok(number) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{number}");
            let _ = out.flush();
            std::process::exit(0)
        }
        Err(e) => {
            eprintln!("new_floor: {e}");
            std::process::exit(2);
        }
    }
}
