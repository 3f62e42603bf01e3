//! Agents (the people who work the desk) and groups (departments).

use super::Store;
use super::tickets::ensure_group;
use crate::core::config::Config;
use crate::core::message::id;
use crate::core::model::{Actor, AgentRef, Role, check_length, limits};
use crate::core::refusal::Refusal;
use crate::core::rights::{self, Action};
use crate::error::{Error, Result};
use crate::msg;
use crate::store::db::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAgent {
    pub login: String,
    pub name: String,
    pub role: Role,
    pub groups: Vec<String>,
    pub capacity: i64,
    /// Where escalations of their groups' tickets are mailed (optional).
    pub mail: Option<String>,
}

/// Changes to an agent; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub capacity: Option<i64>,
    pub active: Option<bool>,
    pub away: Option<bool>,
    pub add_groups: Vec<String>,
    pub remove_groups: Vec<String>,
    /// A new mail address; an empty one removes it.
    pub mail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInfo {
    pub id: i64,
    pub login: String,
    pub name: String,
    pub role: Role,
    pub groups: Vec<String>,
    pub capacity: i64,
    /// Open tickets assigned now.
    pub load: i64,
    pub active: bool,
    pub away: bool,
    /// When their oldest open ticket was registered.
    pub oldest_open_at: Option<i64>,
    /// Where escalations of their groups' tickets are mailed.
    pub mail: Option<String>,
}

/// A mail address as an agent's: `Ok(None)` for an empty one, one clear line for a bad one.
fn agent_mail(mail: Option<&str>) -> Result<Option<String>> {
    match mail.map(str::trim) {
        None | Some("") => Ok(None),
        Some(m) => crate::core::mail::address::parse_address(m)
            .map(Some)
            .ok_or_else(|| Error::Invalid(msg!("error.bad_agent_mail", mail = m))),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    pub code: String,
    pub name: String,
    pub auto_assign: bool,
    pub members: i64,
    pub open: i64,
    pub unassigned: i64,
}

pub const DEFAULT_CAPACITY: i64 = 20;

/// A login as Unix allows it: letters, digits, `.`, `_`, `-`; not starting with `-`.
pub fn valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 64
        && !login.starts_with('-')
        && login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

pub(crate) fn agent_id(conn: &Connection, login: &str) -> Result<i64> {
    conn.prepare_cached("SELECT id FROM agents WHERE login = ?1")?
        .query_row([login], |r| r.get(0))
        .optional()?
        .ok_or_else(|| Error::NotFound(msg!("error.no_agent", login = login)))
}

fn agent_ref(conn: &Connection, login: &str) -> Result<Option<(AgentRef, bool)>> {
    conn.prepare_cached("SELECT id, login, role, active FROM agents WHERE login = ?1")?
        .query_row([login], |r| {
            let role: String = r.get(2)?;
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, role, r.get(3)?))
        })
        .optional()?
        .map(|(id, login, role, active)| {
            let role = role.parse::<Role>().map_err(Error::Database)?;
            Ok((AgentRef { id, login, role }, active))
        })
        .transpose()
}

/// See `Store::still_signed_in`; `conn` is the change's own transaction when there is one.
pub(crate) fn still_as_signed_in(conn: &Connection, me: &AgentRef) -> Result<()> {
    let now: Option<(String, bool)> = conn
        .prepare_cached("SELECT role, active FROM agents WHERE id = ?1 AND login = ?2")?
        .query_row(params![me.id, me.login], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match now {
        Some((role, true)) if role == me.role.as_str() => Ok(()),
        Some((role, true)) => Err(Error::Forbidden(msg!(
            "error.role_changed",
            from = id("role", me.role.as_str()),
            to = id("role", &role)
        ))),
        _ => Err(Error::Forbidden(msg!(
            "error.deactivated_since",
            login = &me.login
        ))),
    }
}

fn normalize_group(code: &str) -> String {
    code.trim().to_ascii_uppercase()
}

fn check_group_code(code: &str) -> Result<()> {
    if code.is_empty()
        || code.len() > 16
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(Error::Invalid(msg!("error.group_code", code = code)));
    }
    Ok(())
}

impl Store {
    /// Signs the Unix user in: they must be an active agent of this desk (any role may
    /// read; nobody else may). Front ends open every desk this way.
    pub fn sign_in(&mut self, login: &str) -> Result<Actor> {
        let me = self.actor(login, None)?;
        rights::check(&me, Action::Read, None)?;
        self.signed_in = Some(me.agent.clone());
        Ok(me)
    }

    /// The agent signed in, if any.
    pub fn signed_in(&self) -> Option<&AgentRef> {
        self.signed_in.as_ref()
    }

    /// Refuses when the agent signed in is no longer as they signed in: deactivated, removed,
    /// or given another role since (a desk left open for hours). Every change checks this in
    /// its own transaction, so nobody acts with a role they no longer have.
    pub(crate) fn still_signed_in(&self) -> Result<()> {
        match &self.signed_in {
            Some(me) => still_as_signed_in(&self.conn, me).map_err(|e| self.map_db(e)),
            None => Ok(()),
        }
    }

    /// Who is acting: the Unix user's agent, or with `--as` (admins only) the named agent,
    /// the admin being recorded too.
    pub fn actor(&self, login: &str, as_login: Option<&str>) -> Result<Actor> {
        let me = match agent_ref(&self.conn, login).map_err(|e| self.map_db(e))? {
            Some((a, true)) => a,
            Some((_, false)) => {
                return Err(Error::Forbidden(msg!("error.deactivated", login = login)));
            }
            None => {
                return Err(Error::Forbidden(msg!("error.not_an_agent", login = login)));
            }
        };
        let Some(other) = as_login.filter(|o| *o != login) else {
            return Ok(Actor::new(me));
        };
        rights::check(&Actor::new(me.clone()), Action::ActAs, None)?;
        match agent_ref(&self.conn, other).map_err(|e| self.map_db(e))? {
            Some((a, true)) => Ok(Actor {
                agent: a,
                via: Some(me),
            }),
            Some((_, false)) => Err(Refusal::AgentInactive {
                login: other.to_string(),
            }
            .into()),
            None => Err(Error::NotFound(msg!("error.no_agent_as", login = other))),
        }
    }

    /// Creates the groups the configuration declares that the database lacks.
    pub fn sync_groups(&mut self, cfg: &Config) -> Result<usize> {
        let now = chrono::Utc::now().timestamp();
        self.write(|tx| {
            let mut added = 0;
            for g in &cfg.groups {
                let n = tx.execute(
                    "INSERT INTO groups (code, name, auto_assign) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                    params![g.code, g.name, g.auto_assign],
                )?;
                if n > 0 {
                    super::roster::record_group(tx, None, &g.code, now)?;
                }
                added += n;
            }
            Ok(added)
        })
    }

    /// The first person to create a desk becomes its admin. Returns whether they were added.
    pub fn bootstrap_admin(&mut self, login: &str, name: &str, now: i64) -> Result<bool> {
        if !valid_login(login) {
            return Err(Error::Invalid(msg!("error.bad_admin_login", login = login)));
        }
        self.write(|tx| {
            let count: i64 = tx.query_row("SELECT count(*) FROM agents", [], |r| r.get(0))?;
            if count > 0 {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO agents (login, name, role, capacity, created_at)
                 VALUES (?1, ?2, 'admin', ?3, ?4)",
                params![login, name, DEFAULT_CAPACITY, now],
            )?;
            super::roster::record_agent(tx, None, login, now)?;
            Ok(true)
        })
    }

    pub fn add_agent(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        new: &NewAgent,
        now: i64,
    ) -> Result<()> {
        rights::check(actor, Action::ManageAgents, None)?;
        let login = new.login.trim();
        if !valid_login(login) {
            return Err(Error::Invalid(msg!("error.bad_login", login = login)));
        }
        let name = new.name.trim();
        check_length("name", name, limits::NAME_CHARS, true).map_err(Error::Invalid)?;
        if new.capacity < 0 {
            return Err(Error::Invalid(msg!("error.negative_capacity")));
        }
        let groups: Vec<String> = new.groups.iter().map(|g| normalize_group(g)).collect();
        let mail = agent_mail(new.mail.as_deref())?;
        self.write(|tx| {
            if agent_ref(tx, login)?.is_some() {
                return Err(Error::Invalid(msg!("error.agent_exists", login = login)));
            }
            let id: i64 = tx.query_row(
                "INSERT INTO agents (login, name, role, capacity, created_at, mail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                params![
                    login,
                    if name.is_empty() { login } else { name },
                    new.role.as_str(),
                    new.capacity,
                    now,
                    mail
                ],
                |r| r.get(0),
            )?;
            for g in &groups {
                ensure_group(tx, cfg, g)?;
                tx.execute(
                    "INSERT INTO members (agent_id, group_code) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    params![id, g],
                )?;
            }
            super::roster::record_agent(tx, Some(actor), login, now)?;
            Ok(())
        })
    }

    pub fn update_agent(
        &mut self,
        cfg: &Config,
        actor: &Actor,
        login: &str,
        ch: &AgentChanges,
    ) -> Result<()> {
        rights::check(actor, Action::ManageAgents, None)?;
        if let Some(name) = &ch.name {
            check_length("name", name, limits::NAME_CHARS, true).map_err(Error::Invalid)?;
        }
        if ch.capacity.is_some_and(|c| c < 0) {
            return Err(Error::Invalid(msg!("error.negative_capacity")));
        }
        // Some(None): the address removed.
        let mail = match &ch.mail {
            Some(m) => Some(agent_mail(Some(m))?),
            None => None,
        };
        self.write(|tx| {
            let id = agent_id(tx, login)?;
            if id == actor.id()
                && (ch.active == Some(false) || ch.role.is_some_and(|r| r != Role::Admin))
            {
                let admins: i64 = tx.query_row(
                    "SELECT count(*) FROM agents WHERE role = 'admin' AND active = 1",
                    [],
                    |r| r.get(0),
                )?;
                if admins <= 1 {
                    return Err(Error::Invalid(msg!("error.last_admin")));
                }
            }
            tx.execute(
                "UPDATE agents SET name = coalesce(?1, name), role = coalesce(?2, role),
                    capacity = coalesce(?3, capacity), active = coalesce(?4, active),
                    away = coalesce(?5, away)
                 WHERE id = ?6",
                params![
                    ch.name.as_deref().map(str::trim),
                    ch.role.map(|r| r.as_str()),
                    ch.capacity,
                    ch.active,
                    ch.away,
                    id
                ],
            )?;
            if let Some(mail) = &mail {
                tx.execute(
                    "UPDATE agents SET mail = ?1 WHERE id = ?2",
                    params![mail, id],
                )?;
            }
            for g in &ch.add_groups {
                let g = normalize_group(g);
                ensure_group(tx, cfg, &g)?;
                tx.execute(
                    "INSERT INTO members (agent_id, group_code) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                    params![id, g],
                )?;
            }
            for g in &ch.remove_groups {
                tx.execute(
                    "DELETE FROM members WHERE agent_id = ?1 AND group_code = ?2",
                    params![id, normalize_group(g)],
                )?;
            }
            super::roster::record_agent(tx, Some(actor), login, chrono::Utc::now().timestamp())?;
            Ok(())
        })
    }

    /// Every agent with their groups, load against capacity and oldest open ticket.
    pub fn agents(&self) -> Result<Vec<AgentInfo>> {
        let run = || -> Result<Vec<AgentInfo>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT a.id, a.login, a.name, a.role, a.capacity, a.active, a.away,
                        (SELECT string_agg(group_code, ',') FROM
                            (SELECT group_code FROM members m WHERE m.agent_id = a.id ORDER BY group_code) AS g),
                        (SELECT count(*) FROM tickets t WHERE t.assignee_id = a.id AND t.is_open = 1),
                        (SELECT min(created_at) FROM tickets t WHERE t.assignee_id = a.id AND t.is_open = 1),
                        a.mail
                 FROM agents a ORDER BY a.login",
            )?;
            let rows = stmt.query_map([], |r| {
                let role: String = r.get(3)?;
                let groups: Option<String> = r.get(7)?;
                Ok((
                    AgentInfo {
                        id: r.get(0)?,
                        login: r.get(1)?,
                        name: r.get(2)?,
                        role: Role::Operator,
                        groups: groups
                            .map(|g| g.split(',').map(str::to_string).collect())
                            .unwrap_or_default(),
                        capacity: r.get(4)?,
                        load: r.get(8)?,
                        active: r.get(5)?,
                        away: r.get(6)?,
                        oldest_open_at: r.get(9)?,
                        mail: r.get(10)?,
                    },
                    role,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (mut info, role) = row?;
                info.role = role.parse().map_err(Error::Database)?;
                out.push(info);
            }
            Ok(out)
        };
        run().map_err(|e| self.map_db(e))
    }

    pub fn agent(&self, login: &str) -> Result<Option<AgentInfo>> {
        Ok(self.agents()?.into_iter().find(|a| a.login == login))
    }

    pub fn add_group(
        &mut self,
        actor: &Actor,
        code: &str,
        name: &str,
        auto_assign: bool,
    ) -> Result<()> {
        rights::check(actor, Action::ManageGroups, None)?;
        let code = normalize_group(code);
        check_group_code(&code)?;
        check_length("name", name, limits::NAME_CHARS, true).map_err(Error::Invalid)?;
        self.write(|tx| {
            let n = tx.execute(
                "INSERT INTO groups (code, name, auto_assign) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![code, name.trim(), auto_assign],
            )?;
            if n == 0 {
                return Err(Error::Invalid(msg!("error.group_exists", code = code)));
            }
            super::roster::record_group(tx, Some(actor), &code, chrono::Utc::now().timestamp())?;
            Ok(())
        })
    }

    pub fn set_group(
        &mut self,
        actor: &Actor,
        code: &str,
        name: Option<&str>,
        auto_assign: Option<bool>,
    ) -> Result<()> {
        rights::check(actor, Action::ManageGroups, None)?;
        let code = normalize_group(code);
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE groups SET name = coalesce(?1, name), auto_assign = coalesce(?2, auto_assign)
                 WHERE code = ?3",
                params![name.map(str::trim), auto_assign, code],
            )?;
            if n == 0 {
                return Err(Error::NotFound(msg!("error.no_group", code = code)));
            }
            super::roster::record_group(tx, Some(actor), &code, chrono::Utc::now().timestamp())?;
            Ok(())
        })
    }

    /// Every group with its members, open tickets and unassigned open tickets.
    pub fn groups(&self) -> Result<Vec<GroupInfo>> {
        let run = || -> Result<Vec<GroupInfo>> {
            // SQLite is told which index counts a group's unassigned tickets; PostgreSQL
            // chooses by its statistics and takes no such hint.
            let hint = if self.conn.is_postgres() {
                ""
            } else {
                "INDEXED BY tickets_unassigned"
            };
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT g.code, g.name, g.auto_assign,
                        (SELECT count(*) FROM members m WHERE m.group_code = g.code),
                        (SELECT count(*) FROM tickets t WHERE t.group_code = g.code AND t.is_open = 1),
                        (SELECT count(*) FROM tickets t {hint}
                            WHERE t.group_code = g.code AND t.is_open = 1 AND t.assignee_id IS NULL)
                 FROM groups g ORDER BY g.code"
            ))?;
            let rows = stmt.query_map([], |r| {
                Ok(GroupInfo {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    auto_assign: r.get(2)?,
                    members: r.get(3)?,
                    open: r.get(4)?,
                    unassigned: r.get(5)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        };
        run().map_err(|e| self.map_db(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins() {
        assert!(valid_login("ivanov"));
        assert!(valid_login("o.kovalenko"));
        assert!(valid_login("user_1-x"));
        assert!(!valid_login(""));
        assert!(!valid_login("-rf"));
        assert!(!valid_login("a b"));
        assert!(!valid_login("пётр"));
        assert!(!valid_login(&"x".repeat(65)));
    }
}
