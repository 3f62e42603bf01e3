//! The desk's people and groups in the history's hash chain: every change desk makes to an
//! agent (role, active, away, capacity, groups, mail address, name) or a group (name, automatic assignment),
//! and every configuration installed, is a desk-level event of the chain carrying the whole
//! new state (`core::chain`, "Desk-level events"). `desk check` compares each agent and group
//! with the state the chain last recorded for it: a role given, an account added or removed,
//! a membership changed with `sqlite3` — by a service that holds the desk's group, by root, in
//! a restored copy — is named, as an edited ticket event is.

use super::chain::{NewDeskEvent, append_desk};
use super::check::Violation;
use crate::core::chain::{AGENT, CONFIG, GROUP, agent_state, config_state, group_state};
use crate::core::model::Actor;
use crate::store::db::{Connection, OptionalExtension, params};
use std::collections::BTreeMap;

/// Whether the agents have a mail address column: desks before schema 18 have none (schema 14's
/// hook reads them); a desk on PostgreSQL starts at schema 17 and reaches 18 before anything
/// reads its agents. Only the hook and `check` (which may read a backup's older desk) ask: a
/// desk that is open has been upgraded, so an agent's change never does.
fn agents_have_mail(conn: &Connection) -> rusqlite::Result<bool> {
    if conn.is_postgres() {
        return Ok(true);
    }
    conn.query_row(
        "SELECT count(*) > 0 FROM pragma_table_info('agents') WHERE name = 'mail'",
        [],
        |r| r.get(0),
    )
}

/// The state as the chain writes it, by login, of every agent (`only` None) or of one.
fn agents_now(
    conn: &Connection,
    has_mail: bool,
    only: Option<&str>,
) -> rusqlite::Result<BTreeMap<String, String>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT a.login, a.role, a.active, a.away, a.capacity, a.name,
                (SELECT string_agg(group_code, ',') FROM members m WHERE m.agent_id = a.id),
                {}
         FROM agents a{}",
        if has_mail { "a.mail" } else { "NULL" },
        if only.is_some() {
            " WHERE a.login = ?1"
        } else {
            ""
        }
    ))?;
    let params: &[&dyn crate::store::db::ToSql] = match &only {
        Some(login) => &[login],
        None => &[],
    };
    let rows = stmt.query_map(params, |r| {
        let groups: Option<String> = r.get(6)?;
        let groups: Vec<String> = groups
            .map(|g| g.split(',').map(str::to_string).collect())
            .unwrap_or_default();
        Ok((
            r.get::<_, String>(0)?,
            agent_state(
                &r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                &groups,
                r.get_ref(7)?.as_str_or_null()?,
                &r.get::<_, String>(5)?,
            ),
        ))
    })?;
    rows.collect()
}

/// Every group's state as the chain writes it, by code.
fn groups_now(conn: &Connection) -> rusqlite::Result<BTreeMap<String, String>> {
    let mut stmt = conn.prepare_cached("SELECT code, auto_assign, name FROM groups")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            group_state(r.get(1)?, &r.get::<_, String>(2)?),
        ))
    })?;
    rows.collect()
}

/// The state the chain last recorded for each `kind` (agent or group), by login or code.
fn recorded(conn: &Connection, kind: &str) -> rusqlite::Result<BTreeMap<String, String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT from_value, text FROM desk_events WHERE kind = ?1 AND from_value IS NOT NULL
         ORDER BY id",
    )?;
    let rows = stmt.query_map([kind], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
    })?;
    let mut last = BTreeMap::new();
    for row in rows {
        let (key, text) = row?;
        last.insert(key, text.unwrap_or_default());
    }
    Ok(last)
}

fn last_recorded(conn: &Connection, kind: &str, key: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(
        "SELECT text FROM desk_events WHERE kind = ?1 AND from_value = ?2 ORDER BY id DESC LIMIT 1",
    )?
    .query_row(params![kind, key], |r| r.get(0))
    .optional()
    .map(Option::flatten)
}

fn append(
    conn: &Connection,
    actor: Option<&Actor>,
    kind: &str,
    from: Option<&str>,
    text: &str,
    now: i64,
) -> rusqlite::Result<()> {
    append_desk(
        conn,
        &NewDeskEvent {
            at: now,
            actor: actor.map(|a| (a.id(), a.agent.login.as_str())),
            via: actor
                .and_then(|a| a.via.as_ref())
                .map(|v| (v.id, v.login.as_str())),
            kind,
            from,
            text,
        },
    )
    .map(|_| ())
}

/// Records `key` (a login, a group's code) of `kind` in its state `now_state`, in the
/// caller's write transaction, unless the chain already holds exactly that.
fn record(
    conn: &Connection,
    actor: Option<&Actor>,
    kind: &str,
    key: &str,
    now_state: Option<String>,
    now: i64,
) -> rusqlite::Result<()> {
    let Some(state) = now_state else {
        return Ok(());
    };
    if last_recorded(conn, kind, key)?.as_deref() == Some(state.as_str()) {
        return Ok(());
    }
    append(conn, actor, kind, Some(key), &state, now)
}

/// Records agent `login` as it now is (`actor` None: the desk itself).
pub(crate) fn record_agent(
    conn: &Connection,
    actor: Option<&Actor>,
    login: &str,
    now: i64,
) -> rusqlite::Result<()> {
    record_agent_as(conn, actor, login, true, now)
}

fn record_agent_as(
    conn: &Connection,
    actor: Option<&Actor>,
    login: &str,
    has_mail: bool,
    now: i64,
) -> rusqlite::Result<()> {
    let state = agents_now(conn, has_mail, Some(login))?.remove(login);
    record(conn, actor, AGENT, login, state, now)
}

/// Records group `code` as it now is (`actor` None: the desk itself).
pub(crate) fn record_group(
    conn: &Connection,
    actor: Option<&Actor>,
    code: &str,
    now: i64,
) -> rusqlite::Result<()> {
    let state = groups_now(conn)?.remove(code);
    record(conn, actor, GROUP, code, state, now)
}

/// Records that `actor` installed a configuration whose text is `text`.
pub(crate) fn record_config(
    conn: &Connection,
    actor: &Actor,
    text: &[u8],
    now: i64,
) -> rusqlite::Result<()> {
    append(conn, Some(actor), CONFIG, None, &config_state(text), now)
}

/// Records every agent and group as found (schema 14's hook, for desks written before their
/// changes were chained), by the desk itself.
pub(crate) fn record_found(tx: &crate::store::db::Connection) -> rusqlite::Result<()> {
    let now = chrono::Utc::now().timestamp();
    for code in groups_now(tx)?.keys() {
        record_group(tx, None, code, now)?;
    }
    let has_mail = agents_have_mail(tx)?;
    for login in agents_now(tx, has_mail, None)?.keys() {
        record_agent_as(tx, None, login, has_mail, now)?;
    }
    Ok(())
}

/// Each agent and group is what the chain last recorded for it.
pub(crate) fn check(conn: &Connection) -> rusqlite::Result<Vec<Violation>> {
    // A PostgreSQL desk has had it from its first version (17).
    let table: bool = conn.is_postgres()
        || conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'desk_events')",
            [],
            |r| r.get(0),
        )?;
    if !table {
        // Named by the missing triggers that protected it.
        return Ok(Vec::new());
    }
    let mut v = Vec::new();
    for (kind, now, keys) in [
        (
            AGENT,
            agents_now(conn, agents_have_mail(conn)?, None)?,
            [
                "check.agent_changed",
                "check.agent_unrecorded",
                "check.agent_removed",
            ],
        ),
        (
            GROUP,
            groups_now(conn)?,
            [
                "check.group_changed",
                "check.group_unrecorded",
                "check.group_removed",
            ],
        ),
    ] {
        let mut said = recorded(conn, kind)?;
        for (key, state) in &now {
            match said.remove(key) {
                Some(last) if last == *state => {}
                Some(last) => v.push(Violation::said(
                    None,
                    keys[0],
                    vec![
                        ("name", key.clone()),
                        ("is", state.clone()),
                        ("recorded", last),
                    ],
                )),
                None => v.push(Violation::said(
                    None,
                    keys[1],
                    vec![("name", key.clone()), ("is", state.clone())],
                )),
            }
        }
        for (key, last) in said {
            v.push(Violation::said(
                None,
                keys[2],
                vec![("name", key), ("recorded", last)],
            ));
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
    use std::sync::{Arc, Mutex};

    /// An agent's change records that agent alone, and never asks which columns the agents
    /// table has (an open desk is at the latest schema: only schema 14's hook needs to ask).
    #[test]
    fn an_agents_change_reads_no_table_info_and_records_that_agent() {
        let mut raw = rusqlite::Connection::open_in_memory().expect("memory db");
        super::super::schema::migrations()
            .to_latest(&mut raw)
            .expect("migrate");
        raw.execute_batch(
            "INSERT INTO agents (login, name, role, created_at) VALUES
               ('ada', 'Ada', 'admin', 1), ('bob', 'Bob', 'operator', 1)",
        )
        .expect("agents");
        let read = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = read.clone();
        raw.authorizer(Some(move |ctx: AuthContext<'_>| {
            if let AuthAction::Read { table_name, .. } = ctx.action
                && let Ok(mut v) = seen.lock()
            {
                v.push(table_name.to_string());
            }
            Authorization::Allow
        }))
        .expect("authorizer");
        let conn = Connection::from(raw);
        record_agent(&conn, None, "bob", 2).expect("record");
        let tables = read.lock().expect("lock").clone();
        assert!(tables.iter().any(|t| t == "agents"), "{tables:?}");
        assert!(
            !tables.iter().any(|t| t.starts_with("pragma_")),
            "an agent's change asked the schema: {tables:?}"
        );
        let recorded: Vec<String> = conn
            .sqlite()
            .expect("sqlite")
            .prepare("SELECT from_value FROM desk_events WHERE kind = ?1")
            .expect("prepare")
            .query_map([AGENT], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(recorded, vec!["bob".to_string()]);
    }
}
