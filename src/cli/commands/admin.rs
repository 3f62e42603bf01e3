//! The desk itself: agents, groups, the configuration, check, demo, init, backup and restore.

use super::*;
use crate::cli::output::{self, print};
use crate::cli::{AgentCommand, Cli, GroupCommand, InitArgs};
use crate::core::message::id;
use crate::core::query::{Cond, Query};
use crate::error::{Error, Result};
use crate::i18n::Catalog;
use crate::msg;
use crate::session::{self, Session};
use crate::store::agents::AgentChanges;
use crate::store::query::Start;
use crate::store::{Mode, NewAgent};
use serde_json::json;
use std::path::Path;

pub(super) fn agent(s: &mut Session, cli: &Cli, a: &AgentCommand, now: i64) -> Result<()> {
    match a {
        AgentCommand::Add {
            login,
            name,
            role,
            group,
            capacity,
            mail,
        } => {
            let who = actor(s, cli)?;
            s.store.add_agent(
                &s.cfg,
                &who,
                &NewAgent {
                    login: login.clone(),
                    name: name.clone(),
                    role: *role,
                    groups: group.clone(),
                    capacity: *capacity,
                    mail: mail.clone(),
                },
                now,
            )?;
            print(&s.catalog.say(&msg!(
                "msg.agent_added",
                login = login,
                role = id("role", role.as_str())
            )));
            Ok(())
        }
        AgentCommand::Set {
            login,
            name,
            role,
            capacity,
            active,
            away,
            add_group,
            remove_group,
            mail,
        } => {
            let who = actor(s, cli)?;
            s.store.update_agent(
                &s.cfg,
                &who,
                login,
                &AgentChanges {
                    name: name.clone(),
                    role: *role,
                    capacity: *capacity,
                    active: *active,
                    away: *away,
                    add_groups: add_group.clone(),
                    remove_groups: remove_group.clone(),
                    mail: mail.clone(),
                },
            )?;
            print(&s.catalog.say(&msg!("msg.agent_updated", login = login)));
            Ok(())
        }
        AgentCommand::Away {
            login,
            reason,
            keep,
            preview,
        } => away(s, cli, login, (reason.as_deref(), *keep, *preview), now),
        AgentCommand::Back { login } => {
            let who = actor(s, cli)?;
            s.store.set_back(&who, login, now)?;
            print(&s.catalog.say(&msg!("msg.agent_back", login = login.trim())));
            Ok(())
        }
        AgentCommand::List => {
            let agents = s.store.agents()?;
            if cli.json {
                print(&output::json_text(&output::agents_json(&agents)));
            } else {
                print(&output::agents_text(s.catalog, &agents));
            }
            Ok(())
        }
    }
}

/// `desk agent away LOGIN`: the preview (`--preview`), or marking them away, handing their
/// open tickets over with the reason (or keeping them, `--keep`).
fn away(
    s: &mut Session,
    cli: &Cli,
    login: &str,
    (reason, keep, preview): (Option<&str>, bool, bool),
    now: i64,
) -> Result<()> {
    let who = actor(s, cli)?;
    let steps = if preview {
        s.store.away_preview(&who, login, now)?
    } else {
        let hand_over = (!keep).then(|| reason.unwrap_or(""));
        s.store.set_away(&s.cfg, &who, login, hand_over, now)?
    };
    if cli.json {
        print(&output::json_text(&json!({
            "login": login.trim(),
            "away": !preview,
            "tickets": steps.iter().map(|h| json!({
                "number": h.number,
                "subject": h.subject,
                "group": h.group,
                "to": h.to,
            })).collect::<Vec<_>>(),
        })));
        return Ok(());
    }
    let mut lines = Vec::new();
    if !preview {
        lines.push(s.catalog.say(&msg!("msg.agent_away", login = login.trim())));
    }
    if preview && steps.is_empty() {
        lines.push(
            s.catalog
                .say(&msg!("msg.hand_over_none", login = login.trim())),
        );
    }
    for h in &steps {
        lines.push(crate::present::hand_over_line(s.catalog, h));
    }
    print(&lines.join("\n"));
    Ok(())
}

pub(super) fn group(s: &mut Session, cli: &Cli, g: &GroupCommand) -> Result<()> {
    match g {
        GroupCommand::Add {
            code,
            name,
            auto_assign,
        } => {
            let who = actor(s, cli)?;
            s.store.add_group(&who, code, name, *auto_assign)?;
            print(&s.catalog.say(&msg!(
                "msg.group_added",
                code = code.trim().to_ascii_uppercase()
            )));
        }
        GroupCommand::Set {
            code,
            name,
            auto_assign,
        } => {
            let who = actor(s, cli)?;
            s.store
                .set_group(&who, code, name.as_deref(), *auto_assign)?;
            print(&s.catalog.say(&msg!(
                "msg.group_updated",
                code = code.trim().to_ascii_uppercase()
            )));
        }
        GroupCommand::List => {
            let groups = s.store.groups()?;
            if cli.json {
                print(&output::json_text(&output::groups_json(&groups)));
            } else {
                print(&output::groups_text(s.catalog, &groups));
            }
        }
    }
    Ok(())
}

pub(super) fn categories(s: &Session, cli: &Cli) -> Result<()> {
    if cli.json {
        let v: Vec<_> = s
            .cfg
            .categories
            .iter()
            .map(|c| {
                json!({
                    "code": c.code, "name": c.name, "group": c.group, "keywords": c.keywords,
                    "template": c.template.as_ref().map(|t| t.source()),
                    "priority": c.priority.map(|p| p.as_str()),
                })
            })
            .collect();
        print(&output::json_text(&serde_json::Value::Array(v)));
    } else {
        let mut out = String::new();
        for c in &s.cfg.categories {
            out.push_str(&format!(
                "{} {} {} {}\n",
                output::fit(&c.code, 6),
                output::fit(&c.name, 30),
                output::fit(c.group.as_deref().unwrap_or("—"), 10),
                c.keywords.join(", ")
            ));
        }
        print(&out);
    }
    Ok(())
}

pub(super) fn statuses(s: &Session, cli: &Cli) -> Result<()> {
    let life = &s.cfg.lifecycle;
    if cli.json {
        let v: Vec<_> = life
            .statuses()
            .iter()
            .map(|st| {
                json!({
                    "id": st.id,
                    "label": crate::present::status(&s.cfg, s.catalog, &st.id),
                    "category": st.category.as_str(),
                    "outcomes": st.outcomes.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
                    "moves": life.moves_from(&st.id).iter().map(|t| json!({
                        "name": t.name, "to": t.to,
                        "roles": t.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                        "requires": t.requires.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        print(&output::json_text(&serde_json::Value::Array(v)));
        return Ok(());
    }
    let mut out = String::new();
    for st in life.statuses() {
        let moves: Vec<String> = life
            .moves_from(&st.id)
            .iter()
            .map(|t| {
                let mut m = t.to.clone();
                if !t.roles.is_empty() {
                    m.push_str(&format!(
                        " [{}]",
                        t.roles
                            .iter()
                            .map(|r| r.as_str())
                            .collect::<Vec<_>>()
                            .join("/")
                    ));
                }
                m
            })
            .collect();
        out.push_str(&format!(
            "{} {} {} → {}\n",
            output::fit(&st.id, 14),
            output::fit(&crate::present::status(&s.cfg, s.catalog, &st.id), 26),
            output::fit(s.catalog.status_category(st.category), 8),
            if moves.is_empty() {
                "—".to_string()
            } else {
                moves.join(", ")
            }
        ));
    }
    print(&out);
    Ok(())
}

pub(super) fn check(
    s: &Session,
    cli: &Cli,
    anchor_only: bool,
    against: Option<&crate::core::chain::Anchor>,
    now: i64,
) -> Result<()> {
    let mut r = s.store.check(&s.cfg, now, against)?;
    if s.shared
        && let Some(reg) = crate::privilege::registry()
    {
        for what in crate::privilege::shared_desk_problems(reg, s.store.is_postgres()) {
            r.violations
                .push(crate::store::check::Violation::message(None, what));
        }
    }
    if cli.json {
        print(&output::json_text(&json!({
            "ok": r.violations.is_empty(),
            "tickets": r.tickets,
            "events": r.events,
            "head": r.head.to_string(),
            "anchor_holds": r.anchor_holds,
            "violations": r.violations.iter().map(|v| json!({"number": v.number, "what": v.what()})).collect::<Vec<_>>(),
            "warnings": r.warnings.iter().map(|v| v.what()).collect::<Vec<_>>(),
        })));
    } else if r.violations.is_empty() && anchor_only {
        print(&r.head.to_string());
    } else if r.violations.is_empty() {
        let (tickets, events, head) = (r.tickets, r.events, r.head.to_string());
        print(&s.catalog.say(&match against {
            Some(a) => msg!(
                "msg.check_ok_anchor",
                tickets = tickets,
                events = events,
                head = head,
                anchor = a.to_string()
            ),
            None => msg!(
                "msg.check_ok",
                tickets = tickets,
                events = events,
                head = head
            ),
        }));
    } else {
        let mut out = String::new();
        for v in &r.violations {
            out.push_str(&format!(
                "{}{}\n",
                v.number
                    .as_ref()
                    .map(|n| format!("{n}: "))
                    .unwrap_or_default(),
                crate::core::sanitize::clean_line(&v.text(s.catalog))
            ));
        }
        // What repairs them, once: the store and the checks name no command.
        let any = |keys: &[&str]| r.violations.iter().any(|v| keys.contains(&v.message.key));
        if any(&[
            "check.facts_missing",
            "check.facts_differ",
            "check.rollups_differ",
            "check.sla_differ",
        ]) {
            out.push_str(s.catalog.t("cli.hint.recompute"));
            out.push('\n');
        }
        if any(&["check.search_trigger", "check.search_index"]) {
            out.push_str(s.catalog.t("cli.hint.search_index"));
            out.push('\n');
        }
        if any(&["check.shared_file_missing", "check.shared_file_mode"]) {
            out.push_str(s.catalog.t("cli.hint.repair_shared"));
            out.push('\n');
        }
        print(&out);
    }
    // Warnings follow, each on its line (`--anchor` prints the head alone).
    if !cli.json && !anchor_only {
        warnings(s, &r.warnings);
    }
    if r.violations.is_empty() {
        Ok(())
    } else {
        Err(Error::Database(msg!(
            "cli.check_failed",
            count = r.violations.len(),
            path = output::path(&s.db_path)
        )))
    }
}

/// `desk check`'s warnings, each on its line, and what gives a supervisor an address.
fn warnings(s: &Session, warnings: &[crate::store::check::Violation]) {
    if warnings.is_empty() {
        return;
    }
    let lines: Vec<String> = warnings
        .iter()
        .map(|w| {
            format!(
                "⚠ {}",
                crate::core::sanitize::clean_line(&w.text(s.catalog))
            )
        })
        .chain(std::iter::once(
            s.catalog.t("cli.hint.agent_mail").to_string(),
        ))
        .collect();
    print(&lines.join("\n"));
}

pub(super) fn demo(s: &mut Session, cli: &Cli, tickets: usize, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let started = std::time::Instant::now();
    let bar = crate::cli::progress::Progress::new(
        tickets,
        &s.catalog.f("cli.progress.demo", &[]),
        &s.catalog.f("cli.progress.left", &[]),
    );
    let summary = s
        .store
        .demo_with_progress(&s.cfg, &who, tickets, now, &|done| bar.set(done))?;
    drop(bar);
    let secs = started.elapsed().as_secs_f64();
    if cli.json {
        print(&output::json_text(&json!({
            "tickets": summary.tickets, "events": summary.events, "agents": summary.agents,
            "seconds": secs,
        })));
    } else {
        print(&s.catalog.say(&msg!(
            "msg.demo_ready",
            tickets = summary.tickets,
            events = summary.events,
            agents = summary.agents,
            seconds = format!("{secs:.2}"),
            rate = format!("{:.0}", summary.tickets as f64 / secs.max(1e-9))
        )));
    }
    Ok(())
}

pub(super) fn init(cli: &Cli, args: &InitArgs, db: &Path) -> Result<()> {
    if let Some(dir) = &args.shared {
        let pg = cli.db.as_deref().and_then(crate::store::postgres_url);
        return crate::cli::shared::init_shared(args, dir, pg);
    }
    let created = Session::create(db, cli.config.as_deref())?;
    let (s, admin, wrote) = (created.session, created.became_admin, created.wrote_config);
    let mut said = vec![if admin {
        msg!("msg.init_admin", path = output::path(db), login = &s.login)
    } else {
        msg!("msg.init_again", path = output::path(db))
    }];
    let config = output::path(&crate::session::config_beside(db));
    match (wrote, created.database) {
        (true, Some(url)) => said.push(msg!("msg.config_written_pg", path = config, url = url)),
        (true, None) => said.push(msg!("msg.config_written", path = config)),
        (false, Some(url)) => said.push(msg!("msg.config_add_pg", path = config, url = url)),
        (false, None) => {}
    }
    print(
        &said
            .iter()
            .map(|m| s.catalog.say(m))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    Ok(())
}

/// `desk` with no subcommand and no terminal: the queue as text.
pub(super) fn queue_text(
    db: &Path,
    config: Option<&Path>,
    create: bool,
    as_login: Option<&str>,
) -> Result<String> {
    let s = if create && !db.exists() {
        Session::create(db, config)?.session
    } else {
        Session::open(db, config, Mode::Existing)?
    };
    // Only on behalf of someone who may be acted as.
    let who = s.store.actor(&s.login, as_login)?;
    if s.store.ticket_count()? == 0 {
        return Ok(format!("{}\n", s.catalog.t("welcome.empty_cli")));
    }
    let now = session::now();
    let viewer = s.store.viewer(&who, now)?;
    let query = Query::new(Cond::Open);
    let total =
        s.store
            .query_count_upto(&s.cfg, &query, &viewer, Some(50 + super::find::COUNT_BOUND))?;
    let tickets: Vec<_> = s
        .store
        .query_page(&s.cfg, &query, &viewer, Start::Top, 50)?
        .into_iter()
        .map(|r| r.ticket)
        .collect();
    Ok(output::list_text(
        &s.cfg,
        s.catalog,
        &tickets,
        total,
        now,
        output::width(),
    ))
}

pub(super) fn restore_into(s: &mut Session, cli: &Cli, file: &Path, force: bool) -> Result<()> {
    let who = actor(s, cli)?;
    let c = s.store.restore(&who, &s.cfg, file, force)?;
    print(&s.catalog.say(&msg!(
        "msg.restored",
        desk = output::path(&s.db_path),
        file = output::path(file),
        tickets = c.tickets
    )));
    for g in &c.kept {
        output::error_line(&s.catalog.f(
            "number.kept",
            &[
                ("series", g.scope.clone()),
                ("first", g.first.to_string()),
                ("last", g.last.to_string()),
            ],
        ));
    }
    Ok(())
}

/// A configuration file as messages name it (the built-in one in the reader's words).
pub(super) fn config_origin(cat: &Catalog, path: Option<&Path>) -> String {
    path.map(output::path)
        .unwrap_or_else(|| cat.t("term.builtin_config").to_string())
}

/// What `desk config check` says of a sound configuration: a line, or with `--json` an
/// object (`file`: null for the built-in one).
pub(super) fn config_summary(
    cat: &Catalog,
    cfg: &crate::core::config::Config,
    path: Option<&Path>,
    json: bool,
) -> String {
    let (statuses, transitions) = (
        cfg.lifecycle.statuses().len(),
        cfg.lifecycle.transitions().len(),
    );
    if json {
        return output::json_text(&json!({
            "valid": true,
            "file": path.map(|p| p.display().to_string()),
            "statuses": statuses,
            "transitions": transitions,
            "categories": cfg.categories.len(),
            "groups": cfg.groups.len(),
            "routes": cfg.routes.len(),
            "database": cfg.database_url.as_deref().map(crate::store::redact_url),
            "report_database": cfg.report_url.as_deref().map(crate::store::redact_url),
        }));
    }
    cat.say(&msg!(
        "msg.config_ok",
        origin = config_origin(cat, path),
        statuses = statuses,
        transitions = transitions,
        categories = cfg.categories.len(),
        groups = cfg.groups.len(),
        routes = cfg.routes.len()
    ))
}

/// `desk config check [FILE]`: a file named by the caller is read with the caller's rights.
pub(super) fn config_check(file: Option<&Path>, db: &Path, json: bool) -> Result<()> {
    let (cfg, path) = crate::session::load_config(file, db)?;
    let cat = crate::cli::catalog();
    let origin = config_origin(cat, path.as_deref());
    // Compared with the numbers the desk gave, where there is a desk this user may read (as
    // one of its agents), opened as every command opens it: the shared desk as the shared
    // desk, and wherever its own configuration's `[database] url` puts it (PostgreSQL) — not
    // the file the registry names.
    let a_desk = db.is_file()
        || crate::store::postgres_url(db).is_some()
        || crate::session::shared_desk(db).is_some()
        || crate::session::load_config(None, db).is_ok_and(|(c, _)| c.database_url.is_some());
    match a_desk.then(|| Session::open(db, None, Mode::Existing)) {
        Some(Ok(s)) => s.store.numbering_fits(&cfg, &origin)?,
        _ => crate::store::numbers::numbering_fits(&cfg, &[], &origin)?,
    }
    print(&config_summary(cat, &cfg, path.as_deref(), json));
    Ok(())
}

/// Makes `file` (read with the caller's rights) the desk's configuration: the store checks it
/// and installs it atomically, keeping the old one as .bak.
pub(super) fn install_config(s: &mut Session, cli: &Cli, file: &Path) -> Result<()> {
    let who = actor(s, cli)?;
    let bytes = crate::privilege::read_as_caller(file).map_err(|e| {
        Error::Invalid(msg!(
            "error.file.read",
            file = file.display().to_string(),
            why = crate::error::io(&e)
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::Invalid(msg!(
            "error.not_utf8",
            file = file.display().to_string(),
            offset = e.utf8_error().valid_up_to()
        ))
    })?;
    let target = s
        .store
        .install_config(&who, &text, &file.display().to_string())?;
    print(&s.catalog.say(&msg!(
        "msg.installed",
        file = output::path(file),
        target = output::path(&target)
    )));
    Ok(())
}

pub(super) fn backup(s: &Session, cli: &Cli, file: &Path) -> Result<()> {
    let who = actor(s, cli)?;
    let c = s.store.backup(&who, file)?;
    print(&s.catalog.say(&msg!(
        "msg.backup_written",
        path = output::path(file),
        tickets = c.tickets,
        kib = c.bytes / 1024
    )));
    Ok(())
}

/// `desk migrate --to TARGET`: the whole desk copied and verified; what was copied said
/// (per table in JSON).
pub(super) fn migrate(s: &Session, cli: &Cli, to: &str) -> Result<()> {
    use crate::store::migrate::Target;
    let who = actor(s, cli)?;
    let target = Target::parse(to).ok_or_else(|| {
        Error::Invalid(msg!(
            "error.migrate.target",
            target = crate::store::redact_url(to)
        ))
    })?;
    let m = s.store.migrate(&who, &target)?;
    if cli.json {
        let tables: serde_json::Map<String, serde_json::Value> = m
            .tables
            .iter()
            .map(|(t, n)| (t.clone(), json!(n)))
            .collect();
        print(&output::json_text(&json!({
            "target": target.shown(),
            "tables": tables,
            "events": m.events,
            "head": m.head.to_string(),
            "verified": true,
        })));
        return Ok(());
    }
    print(&s.catalog.say(&msg!(
        "msg.migrated",
        target = output::path(Path::new(&target.shown())),
        tickets = m.rows("tickets"),
        events = m.events,
        rows = m.tables.iter().map(|t| t.1).sum::<u64>(),
        tables = m.tables.len(),
        head = m.head.to_string()
    )));
    Ok(())
}

/// `desk migrate --grants`: the program's role given its rights again (as the schema's
/// owner, after a pg_restore).
pub(super) fn regrant(s: &Session, cli: &Cli) -> Result<()> {
    let who = actor(s, cli)?;
    let r = s.store.regrant(&who)?;
    if cli.json {
        print(&output::json_text(&json!({
            "role": r.role,
            "role_exists": r.tables.is_some(),
            "tables": r.tables,
        })));
        return Ok(());
    }
    print(&s.catalog.say(&match r.tables {
        Some(tables) => msg!(
            "msg.regranted",
            role = r.role,
            tables = tables,
            path = output::path(&s.db_path)
        ),
        None => msg!("msg.regranted_no_role", role = r.role),
    }));
    Ok(())
}

/// `desk config check` on the shared desk: its own configuration, for its agents.
pub(super) fn config_check_own(s: &Session, json: bool) -> Result<()> {
    let origin = config_origin(s.catalog, s.config_path.as_deref());
    s.store.numbering_fits(&s.cfg, &origin)?;
    print(&config_summary(
        s.catalog,
        &s.cfg,
        s.config_path.as_deref(),
        json,
    ));
    Ok(())
}
