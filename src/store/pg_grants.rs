//! What the running program may do on a PostgreSQL desk (issue 18): the grants `desk_owner`
//! gives `desk_app` after every migration.
//!
//! Two roles (README, "Deployment on PostgreSQL"): `desk_owner` owns the schema — the tables,
//! the append-only triggers and their function — and runs migrations (`desk migrate`, admins);
//! `desk_app` is what the running program holds and owns nothing. So `desk_app` cannot alter
//! the schema, create anything in it, drop or disable a trigger, truncate a table or grant
//! itself more (all of these need ownership), and it is given:
//! - SELECT and INSERT only on the append-only tables (the history and its kin,
//!   [`APPEND_ONLY`]): no UPDATE or DELETE, so even without the triggers it could not change
//!   an event;
//! - SELECT, INSERT and UPDATE on `tickets` (never deleted: no DELETE);
//! - SELECT only on the schema's version ([`READ_ONLY`]);
//! - SELECT, INSERT, UPDATE and DELETE on every other table, and USAGE on the identity
//!   sequences (what the store's transactions need).
//!
//! The grants are one statement that applies to whatever tables the schema has when it runs
//! (each table's privileges revoked first, then given as above), so a migration that adds a
//! table gets them by running it again; nothing else is granted to PUBLIC. Without a role
//! named `desk_app` (a single-role installation, a developer's cluster) it grants nothing and
//! says so in a NOTICE. Login roles of a deployment are members of `desk_app`
//! (`CREATE ROLE host1 LOGIN IN ROLE desk_app`) and inherit exactly this.

/// The role the running program holds.
pub const APP_ROLE: &str = "desk_app";

/// The role that owns the schema and runs migrations.
pub const OWNER_ROLE: &str = "desk_owner";

/// Tables the program may read and add to, never change or delete from.
pub const APPEND_ONLY: &[&str] = &[
    "events",
    "desk_events",
    "number_gaps",
    "blobs",
    "attachments",
];

/// Tables the program may read, add to and change, never delete from.
pub const NO_DELETE: &[&str] = &["tickets"];

/// Tables the program only reads: the schema's version (migrations are the owner's).
pub const READ_ONLY: &[&str] = &["desk_schema"];

fn sql_array(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    format!("ARRAY[{}]::text[]", quoted.join(", "))
}

/// The statement `desk_owner` runs after migrating, in the schema it owns (the connection's
/// current schema).
pub fn grants() -> String {
    format!(
        r#"DO $grants$
DECLARE
    t text;
    s text := current_schema();
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{app}') THEN
        RAISE NOTICE 'no role {app}: the desk''s rights are not granted to a program role';
        RETURN;
    END IF;
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC, {app}', s);
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO {app}', s);
    FOR t IN SELECT c.relname FROM pg_class c
             WHERE c.relnamespace = s::regnamespace AND c.relkind IN ('r', 'p')
             ORDER BY c.relname
    LOOP
        EXECUTE format('REVOKE ALL ON TABLE %I.%I FROM PUBLIC, {app}', s, t);
        IF t = ANY({append_only}) THEN
            EXECUTE format('GRANT SELECT, INSERT ON TABLE %I.%I TO {app}', s, t);
        ELSIF t = ANY({no_delete}) THEN
            EXECUTE format('GRANT SELECT, INSERT, UPDATE ON TABLE %I.%I TO {app}', s, t);
        ELSIF t = ANY({read_only}) THEN
            EXECUTE format('GRANT SELECT ON TABLE %I.%I TO {app}', s, t);
        ELSE
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %I.%I TO {app}', s, t);
        END IF;
    END LOOP;
    FOR t IN SELECT c.relname FROM pg_class c
             WHERE c.relnamespace = s::regnamespace AND c.relkind = 'S'
    LOOP
        EXECUTE format('REVOKE ALL ON SEQUENCE %I.%I FROM PUBLIC, {app}', s, t);
        EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %I.%I TO {app}', s, t);
    END LOOP;
END
$grants$"#,
        app = APP_ROLE,
        append_only = sql_array(APPEND_ONLY),
        no_delete = sql_array(NO_DELETE),
        read_only = sql_array(READ_ONLY),
    )
}

/// What `desk migrate --grants` did: the program's role and the tables it now has rights on
/// (None: the server has no such role, a single-role installation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regranted {
    pub role: &'static str,
    pub tables: Option<i64>,
}

impl super::Store {
    /// Gives the program's role its rights again (`grants`), as after a migration: for an
    /// admin connected as the schema's owner, after a `pg_restore` (which restores the schema
    /// and the rows, not the grants of roles it was told to leave out) or a DBA's change.
    pub fn regrant(&self, actor: &crate::core::model::Actor) -> crate::error::Result<Regranted> {
        use crate::error::Error;
        crate::core::rights::check(actor, crate::core::rights::Action::Migrate, None)?;
        self.still_signed_in()?;
        if !self.is_postgres() {
            return Err(Error::Invalid(crate::msg!("error.migrate.grants_sqlite")));
        }
        let tx = self.conn.transaction().map_err(|e| self.err(e))?;
        let (user, owner): (String, bool) = tx
            .query_row(
                "SELECT current_user::text, pg_has_role(current_user,
                     (SELECT relowner FROM pg_class WHERE oid = to_regclass('desk_schema')), 'USAGE')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?;
        if !owner {
            return Err(Error::Forbidden(crate::msg!(
                "error.migrate.grants_not_owner",
                path = self.path.display().to_string(),
                user = user,
                owner = OWNER_ROLE
            )));
        }
        tx.execute_batch(&grants()).map_err(|e| self.err(e))?;
        let tables: Option<i64> = tx
            .query_row(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?1)
                        THEN (SELECT count(*) FROM pg_class c
                              WHERE c.relnamespace = current_schema()::regnamespace
                                AND c.relkind IN ('r', 'p')
                                AND has_table_privilege(?1, c.oid, 'SELECT')) END",
                crate::store::db::params![APP_ROLE],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        tx.commit().map_err(|e| self.err(e))?;
        Ok(Regranted {
            role: APP_ROLE,
            tables,
        })
    }
}
