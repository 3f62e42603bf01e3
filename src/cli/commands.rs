//! One function per subcommand: parse nothing, decide nothing — ask the store, print the result.

use super::output::{self, print};
use super::{
    AgentCommand, CategoryCommand, Cli, Command, ConfigCommand, Failure, GroupCommand, InitArgs,
    ListArgs, MoveArgs, NewArgs, StatusCommand,
};
use crate::core::lifecycle::Fields;
use crate::core::model::Actor;
use crate::core::model::Channel;
use crate::error::{Error, Result};
use crate::session::{self, Session};
use crate::store::agents::AgentChanges;
use crate::store::tickets::Intake;
use crate::store::tickets::{AssigneeFilter, local_date};
use crate::store::{Changed, ListFilter, Mode, NewAgent, NewTicket};
use serde_json::json;
use std::io::Read;
use std::path::Path;

pub fn dispatch(cli: Cli, desk: super::Desk) -> Result<(), Failure> {
    let explicit_db = cli.db.clone();
    let db = match &explicit_db {
        Some(p) => p.clone(),
        None => session::default_db_path()?,
    };
    match cli.command {
        Some(Command::Init(ref args)) => init(&cli, args, &db).map_err(Failure::from),
        Some(Command::Config(ConfigCommand::Check { ref file }))
            if file.is_some() || crate::session::shared_desk(&db).is_none() =>
        {
            config_check(file.as_deref().or(cli.config.as_deref()), &db).map_err(Failure::from)
        }
        Some(Command::Restore { ref file, .. })
            if crate::session::shared_desk(&db).is_none() && !db.exists() =>
        {
            // A desk restored on a new machine: create it, then restore (the restorer becomes
            // its admin until the backup's agents take over).
            let mut s = Session::create(&db, cli.config.as_deref())?.session;
            restore_into(&mut s, &cli, file, true).map_err(Failure::from)
        }
        None if !session::has_terminal() => {
            // No terminal (piped, cron): the queue as text instead of the desk.
            let text = queue_text(
                &db,
                cli.config.as_deref(),
                explicit_db.is_none(),
                cli.as_login.as_deref(),
            )?;
            print(&text);
            Ok(())
        }
        None => desk(&session::DeskOptions {
            db: db.clone(),
            config: cli.config.clone(),
            create: explicit_db.is_none(),
            as_login: cli.as_login.clone(),
            mouse: !cli.no_mouse,
        })
        .map_err(Failure::from),
        Some(ref cmd) => {
            let mut s = Session::open(&db, cli.config.as_deref(), Mode::Existing)?;
            let catalog = s.catalog;
            run(&mut s, &cli, cmd).map_err(|error| Failure { error, catalog })
        }
    }
}

/// The acting agent (the Unix user, or `--as`).
fn actor(s: &Session, cli: &Cli) -> Result<Actor> {
    s.store.actor(&s.login, cli.as_login.as_deref())
}

fn run(s: &mut Session, cli: &Cli, cmd: &Command) -> Result<()> {
    let now = session::now();
    match cmd {
        Command::Init(_) => Ok(()),
        Command::New(a) => new(s, cli, a, now),
        Command::Show { number } => {
            if cli.as_login.is_some() {
                actor(s, cli)?;
            }
            let t = s
                .store
                .find(&s.cfg, &super::words(number), local_date(now))?;
            let h = s.store.history(t.id)?;
            if cli.json {
                print(&output::json_text(&output::ticket_json(
                    &s.cfg,
                    &t,
                    Some(&h),
                )));
            } else {
                print(&output::show_text(&s.cfg, s.catalog, &t, &h, now));
            }
            Ok(())
        }
        Command::List(a) => list(s, cli, a, now),
        Command::Claim {
            number,
            reason,
            if_version,
        } => {
            let who = actor(s, cli)?;
            let c = s.store.claim(
                &s.cfg,
                &who,
                &super::words(number),
                reason.as_deref(),
                *if_version,
                now,
            )?;
            changed(
                s,
                cli,
                &c,
                s.catalog.f("msg.claimed", &[("number", c.number.clone())]),
            )
        }
        Command::Assign {
            number,
            login,
            group,
            reason,
            if_version,
        } => {
            let who = actor(s, cli)?;
            let c = s.store.assign(
                &s.cfg,
                &who,
                number,
                login.as_deref(),
                group.as_deref(),
                reason.as_deref(),
                *if_version,
                now,
            )?;
            let target = login.clone().or(group.clone()).unwrap_or_default();
            changed(
                s,
                cli,
                &c,
                s.catalog.f(
                    "msg.assigned",
                    &[("number", c.number.clone()), ("login", target)],
                ),
            )
        }
        Command::Unassign {
            number,
            reason,
            if_version,
        } => {
            let who = actor(s, cli)?;
            let c = s.store.unassign(
                &s.cfg,
                &who,
                &super::words(number),
                reason.as_deref(),
                *if_version,
                now,
            )?;
            changed(
                s,
                cli,
                &c,
                s.catalog
                    .f("msg.unassigned", &[("number", c.number.clone())]),
            )
        }
        Command::Move(a) => move_cmd(s, cli, a, now),
        Command::Comment { number, text } => {
            let who = actor(s, cli)?;
            let n = s.store.comment(&s.cfg, &who, number, text, now)?;
            done(
                s,
                cli,
                &n,
                s.catalog.f("msg.commented", &[("number", n.clone())]),
            )
        }
        Command::Reply { number, text } => {
            let who = actor(s, cli)?;
            let n = s.store.reply(&s.cfg, &who, number, text, now)?;
            done(
                s,
                cli,
                &n,
                s.catalog.f("msg.replied", &[("number", n.clone())]),
            )
        }
        Command::Rate {
            import: Some(file), ..
        } => rate_import(s, cli, file, now),
        Command::Rate {
            number,
            score,
            comment,
            ..
        } => {
            let who = actor(s, cli)?;
            let (Some(number), Some(score)) = (number, score) else {
                return Err(Error::Invalid(
                    "desk rate needs a ticket number and a score (or --import FILE)".into(),
                ));
            };
            let c = s
                .store
                .rate(&s.cfg, &who, number, *score, comment.as_deref(), None, now)?;
            changed(
                s,
                cli,
                &c,
                s.catalog.f(
                    "msg.rated",
                    &[("number", c.number.clone()), ("rating", score.to_string())],
                ),
            )
        }
        Command::Agent(a) => agent(s, cli, a, now),
        Command::Group(g) => group(s, cli, g),
        Command::Category(CategoryCommand::List) => categories(s, cli),
        Command::Status(StatusCommand::List) => statuses(s, cli),
        Command::Demo { tickets } => demo(s, cli, *tickets, now),
        Command::Check { anchor, against } => check(s, cli, *anchor, against.as_ref(), now),
        Command::Report(a) => super::report::run(s, cli, a, now),
        Command::Sla { number, recompute } => {
            let number = (!number.is_empty()).then(|| super::words(number));
            sla(s, cli, number.as_deref(), *recompute, now)
        }
        Command::Import { file } => import(s, cli, file, now),
        Command::Backup { file } => {
            let who = actor(s, cli)?;
            let c = s.store.backup(&who, file)?;
            print(&format!(
                "backup written to {} (readable by you only): {} tickets, {} KiB",
                output::path(file),
                c.tickets,
                c.bytes / 1024
            ));
            Ok(())
        }
        Command::Restore { file, force } => restore_into(s, cli, file, *force),
        Command::Config(ConfigCommand::Install { file }) => install_config(s, cli, file),
        Command::Config(ConfigCommand::Check { .. }) => {
            // The shared desk's own configuration, for its agents.
            let origin = s
                .config_path
                .as_deref()
                .map(output::path)
                .unwrap_or_else(|| "the built-in configuration".into());
            s.store.numbering_fits(&s.cfg, &origin)?;
            print(&config_summary(&s.cfg, s.config_path.as_deref()));
            Ok(())
        }
    }
}

/// After a change: the confirmation line (or the ticket as JSON), and any warning.
fn changed(s: &Session, cli: &Cli, c: &Changed, message: String) -> Result<()> {
    if let Some((login, load, capacity)) = &c.warning {
        output::error_line(&s.catalog.f(
            "msg.over_capacity",
            &[
                ("login", login.clone()),
                ("load", load.to_string()),
                ("capacity", capacity.to_string()),
            ],
        ));
    }
    done(s, cli, &c.number, message)
}

fn done(s: &Session, cli: &Cli, number: &str, message: String) -> Result<()> {
    if cli.json {
        let t = s.store.find(&s.cfg, number, local_date(session::now()))?;
        print(&output::json_text(&output::ticket_json(&s.cfg, &t, None)));
    } else {
        print(&message);
    }
    Ok(())
}

/// Reads `--body -` from standard input: it must be UTF-8.
fn read_body(arg: &str) -> Result<String> {
    if arg != "-" {
        return Ok(arg.to_string());
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(crate::core::model::limits::BODY_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Invalid(format!("cannot read the body from standard input: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::Invalid(format!(
            "the body on standard input is not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

fn new(s: &mut Session, cli: &Cli, a: &NewArgs, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let body = read_body(&a.body)?;
    let intake = s.store.intake(
        &s.cfg,
        &who,
        &NewTicket {
            subject: a.subject.clone(),
            body,
            requester: a.requester.clone(),
            contact: a.contact.clone(),
            channel: a.channel,
            category: a.category.clone(),
            group: a.group.clone(),
            priority: a.priority,
            external_ref: a.external_ref.clone(),
        },
        now,
    )?;
    let number = match intake {
        Intake::Created(c) => {
            if c.no_contact {
                output::error_line(
                    &s.catalog
                        .f("msg.no_contact", &[("number", c.number.clone())]),
                );
            }
            c.number
        }
        Intake::Existing(n) => {
            output::error_line(&format!(
                "note: this reference was already registered as {n}"
            ));
            n
        }
    };
    if cli.json {
        let t = s.store.find(&s.cfg, &number, local_date(now))?;
        print(&output::json_text(&output::ticket_json(&s.cfg, &t, None)));
    } else {
        // The number alone on stdout, so scripts can capture it.
        print(&number);
    }
    Ok(())
}

/// One request of an import, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportItem {
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    requester: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default, rename = "ref")]
    external_ref: Option<String>,
}

/// Reads requests from JSON: an array of objects, or one object per line. Every mistake names
/// the item (and line) it is in.
pub fn parse_import(text: &str) -> Result<Vec<NewTicket>> {
    let items: Vec<(usize, ImportItem)> = parse_items(text, "request")?;
    items
        .into_iter()
        .map(|(n, x)| {
            let bad = |m: String| Error::Invalid(format!("item {n}: {m}"));
            Ok(NewTicket {
                subject: x.subject,
                body: x.body,
                requester: x.requester,
                contact: x.contact,
                channel: match x.channel {
                    Some(c) => c.parse().map_err(bad)?,
                    None => Channel::Email,
                },
                category: x.category,
                group: x.group,
                priority: match x.priority {
                    Some(p) => Some(p.parse().map_err(bad)?),
                    None => None,
                },
                external_ref: x.external_ref,
            })
        })
        .collect()
}

/// One rating of a survey, as JSON.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RatingItem {
    #[serde(default)]
    number: Option<String>,
    #[serde(default, rename = "ref")]
    external_ref: Option<String>,
    score: i64,
    #[serde(default)]
    comment: Option<String>,
}

/// Reads JSON items: an array, or one object per line; every mistake names its item or line.
fn parse_items<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<Vec<(usize, T)>> {
    let trimmed = text.trim_start();
    let items: Vec<(usize, T)> = if trimmed.starts_with('[') {
        let v: Vec<T> = serde_json::from_str(text).map_err(|e| {
            Error::Invalid(format!(
                "the import is not valid JSON: {} (line {}, column {})",
                crate::error::one_line(&e.to_string()),
                e.line(),
                e.column()
            ))
        })?;
        v.into_iter().enumerate().map(|(i, x)| (i + 1, x)).collect()
    } else {
        let mut v = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let item: T = serde_json::from_str(line).map_err(|e| {
                Error::Invalid(format!(
                    "line {}: not a {what} in JSON: {}",
                    i + 1,
                    crate::error::one_line(&e.to_string())
                ))
            })?;
            v.push((i + 1, item));
        }
        v
    };
    if items.is_empty() {
        return Err(Error::Invalid(format!("the import holds no {what}")));
    }
    Ok(items)
}

/// A survey's ratings, each checked and tied to its ticket (by number, or by the reference the
/// request was imported with).
fn rate_import(s: &mut Session, cli: &Cli, file: &str, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let text = read_input(file)?;
    let items: Vec<(usize, RatingItem)> = parse_items(&text, "rating")?;
    let mut ratings = Vec::with_capacity(items.len());
    for (n, x) in items {
        let bad = |e: Error| Error::Item {
            item: n,
            name: x
                .number
                .clone()
                .or_else(|| x.external_ref.clone())
                .unwrap_or_default(),
            inner: Box::new(e),
        };
        let number = match (&x.number, &x.external_ref) {
            (Some(num), None) => num.clone(),
            (None, Some(r)) => s.store.number_of_ref(r)?.ok_or_else(|| {
                bad(Error::NotFound(format!(
                    "no ticket was imported with ref '{r}'"
                )))
            })?,
            _ => {
                return Err(bad(Error::Invalid(
                    "give the ticket's number or its ref, one of the two".into(),
                )));
            }
        };
        ratings.push(
            crate::store::tickets::Rating::new(&number, x.score, x.comment.as_deref())
                .map_err(bad)?,
        );
    }
    let done = s.store.rate_many(&s.cfg, &who, &ratings, now)?;
    let recorded = done.iter().filter(|d| d.is_some()).count();
    if cli.json {
        let v: Vec<_> = ratings
            .iter()
            .zip(&done)
            .map(|(r, d)| json!({"number": d.as_ref().map(|c| c.number.clone()).unwrap_or_else(|| r.number.clone()), "score": r.score, "recorded": d.is_some()}))
            .collect();
        print(&output::json_text(&serde_json::Value::Array(v)));
    } else {
        print(&s.catalog.f(
            "msg.ratings_imported",
            &[
                ("recorded", recorded.to_string()),
                ("already", (done.len() - recorded).to_string()),
            ],
        ));
    }
    Ok(())
}

/// The text of a file, or of standard input for `-`, as UTF-8.
fn read_input(file: &str) -> Result<String> {
    let bytes = if file == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .map_err(|e| Error::Invalid(format!("cannot read standard input: {e}")))?;
        b
    } else {
        crate::privilege::read_as_caller(Path::new(file))
            .map_err(|e| Error::Invalid(format!("cannot read {file}: {e}")))?
    };
    String::from_utf8(bytes).map_err(|e| {
        Error::Invalid(format!(
            "the import is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

fn import(s: &mut Session, cli: &Cli, file: &str, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let text = read_input(file)?;
    let items = parse_import(&text)?;
    let results = s.store.import(&s.cfg, &who, &items, now)?;
    if cli.json {
        let v: Vec<_> = results
            .iter()
            .zip(&items)
            .map(|(r, it)| match r {
                Intake::Created(c) => {
                    json!({"number": c.number, "ref": it.external_ref, "created": true})
                }
                Intake::Existing(n) => {
                    json!({"number": n, "ref": it.external_ref, "created": false})
                }
            })
            .collect();
        print(&output::json_text(&serde_json::Value::Array(v)));
    } else {
        let mut out = String::new();
        for r in &results {
            match r {
                Intake::Created(c) => out.push_str(&format!("{}\n", c.number)),
                Intake::Existing(n) => out.push_str(&format!("{n} (already registered)\n")),
            }
        }
        print(&out);
    }
    Ok(())
}

fn list(s: &mut Session, cli: &Cli, a: &ListArgs, now: i64) -> Result<()> {
    let assignee = if a.mine {
        Some(AssigneeFilter::Agent(actor(s, cli)?.id()))
    } else if a.unassigned {
        Some(AssigneeFilter::Nobody)
    } else if let Some(login) = &a.assignee {
        let id = s
            .store
            .agent(login)?
            .ok_or_else(|| Error::NotFound(format!("no agent '{login}'")))?
            .id;
        Some(AssigneeFilter::Agent(id))
    } else {
        if cli.as_login.is_some() {
            actor(s, cli)?;
        }
        None
    };
    let category = match &a.category {
        Some(c) => Some(
            s.cfg
                .resolve_category(c)
                .map_err(Error::Invalid)?
                .code
                .clone(),
        ),
        None => None,
    };
    let filter = ListFilter {
        statuses: a
            .status
            .iter()
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        all: a.all,
        assignee,
        group: a.group.as_ref().map(|g| g.trim().to_ascii_uppercase()),
        category,
        priority: a.priority,
        limit: a.limit,
        offset: a.offset,
    };
    let (tickets, total) = s.store.list(&s.cfg, &filter)?;
    if cli.json {
        let arr: Vec<_> = tickets
            .iter()
            .map(|t| output::ticket_json(&s.cfg, t, None))
            .collect();
        print(&output::json_text(&serde_json::Value::Array(arr)));
        // Never cut short silently: the array is a page, and stderr says of what.
        let next = a.offset + tickets.len();
        if (next as i64) < total || a.offset > 0 {
            output::error_line(&s.catalog.f(
                "list.partial",
                &[
                    ("first", (a.offset + 1).min(next).to_string()),
                    ("last", next.to_string()),
                    ("total", total.to_string()),
                    ("next", next.to_string()),
                ],
            ));
        }
    } else {
        // The ones after this page.
        print(&output::list_text(
            &s.cfg,
            s.catalog,
            &tickets,
            total - a.offset.min(total as usize) as i64,
            now,
            output::width(),
        ));
    }
    Ok(())
}

fn move_cmd(s: &mut Session, cli: &Cli, a: &MoveArgs, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let fields = Fields {
        outcome: a.outcome,
        reason: a
            .reason
            .clone()
            .or(a.next_steps.clone())
            .or(a.question.clone()),
        answer: a.answer.clone(),
    };
    let c = s.store.move_to(
        &s.cfg,
        &who,
        &a.number(),
        a.status().trim(),
        &fields,
        a.if_version,
        now,
    )?;
    let msg = s.catalog.f(
        "msg.moved",
        &[
            ("number", c.number.clone()),
            (
                "from",
                crate::present::status(&s.cfg, s.catalog, &c.status_from),
            ),
            ("to", crate::present::status(&s.cfg, s.catalog, &c.status)),
        ],
    );
    changed(s, cli, &c, msg)
}

fn agent(s: &mut Session, cli: &Cli, a: &AgentCommand, now: i64) -> Result<()> {
    match a {
        AgentCommand::Add {
            login,
            name,
            role,
            group,
            capacity,
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
                },
                now,
            )?;
            print(&format!("agent {login} added ({role})"));
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
                },
            )?;
            print(&format!("agent {login} updated"));
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

fn group(s: &mut Session, cli: &Cli, g: &GroupCommand) -> Result<()> {
    match g {
        GroupCommand::Add {
            code,
            name,
            auto_assign,
        } => {
            let who = actor(s, cli)?;
            s.store.add_group(&who, code, name, *auto_assign)?;
            print(&format!("group {} added", code.trim().to_ascii_uppercase()));
        }
        GroupCommand::Set {
            code,
            name,
            auto_assign,
        } => {
            let who = actor(s, cli)?;
            s.store
                .set_group(&who, code, name.as_deref(), *auto_assign)?;
            print(&format!(
                "group {} updated",
                code.trim().to_ascii_uppercase()
            ));
        }
        GroupCommand::List => {
            let groups = s.store.groups()?;
            if cli.json {
                print(&output::json_text(&output::groups_json(&groups)));
            } else {
                print(&output::groups_text(&groups));
            }
        }
    }
    Ok(())
}

fn categories(s: &Session, cli: &Cli) -> Result<()> {
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

fn statuses(s: &Session, cli: &Cli) -> Result<()> {
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
            output::fit(st.category.as_str(), 8),
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

fn check(
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
        for what in crate::privilege::shared_desk_problems(reg) {
            r.violations
                .push(crate::store::check::Violation::new(None, what));
        }
    }
    if cli.json {
        print(&output::json_text(&json!({
            "ok": r.violations.is_empty(),
            "tickets": r.tickets,
            "events": r.events,
            "head": r.head.to_string(),
            "anchor_holds": r.anchor_holds,
            "violations": r.violations.iter().map(|v| json!({"number": v.number, "what": v.what})).collect::<Vec<_>>(),
        })));
    } else if r.violations.is_empty() && anchor_only {
        print(&r.head.to_string());
    } else if r.violations.is_empty() {
        print(&format!(
            "ok: {} tickets and {} history events checked; every invariant holds; the history is chained up to {}{}",
            r.tickets,
            r.events,
            r.head,
            against
                .map(|a| format!(" and still holds the anchor {a}"))
                .unwrap_or_default()
        ));
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
        print(&out);
    }
    if r.violations.is_empty() {
        Ok(())
    } else {
        Err(Error::Database(format!(
            "{} problem(s) found in {} (listed above); restore a backup (`desk restore`) or repair them",
            r.violations.len(),
            s.db_path.display()
        )))
    }
}

fn demo(s: &mut Session, cli: &Cli, tickets: usize, now: i64) -> Result<()> {
    let who = actor(s, cli)?;
    let started = std::time::Instant::now();
    let summary = s.store.demo(&s.cfg, &who, tickets, now)?;
    let secs = started.elapsed().as_secs_f64();
    if cli.json {
        print(&output::json_text(&json!({
            "tickets": summary.tickets, "events": summary.events, "agents": summary.agents,
            "seconds": secs,
        })));
    } else {
        print(&format!(
            "demo desk ready: {} tickets, {} history events, {} agents in {:.2} s ({:.0} tickets/s)",
            summary.tickets,
            summary.events,
            summary.agents,
            secs,
            summary.tickets as f64 / secs.max(1e-9)
        ));
    }
    Ok(())
}

fn init(cli: &Cli, args: &InitArgs, db: &Path) -> Result<()> {
    if let Some(dir) = &args.shared {
        return super::shared::init_shared(args, dir);
    }
    let created = Session::create(db, cli.config.as_deref())?;
    let (s, admin, wrote) = (created.session, created.became_admin, created.wrote_config);
    let mut msg = format!("desk database ready at {}", output::path(db));
    if admin {
        msg.push_str(&format!("; you ({}) are its admin", s.login));
    } else {
        msg.push_str(" (already initialised; nothing changed)");
    }
    if wrote {
        msg.push_str(&format!(
            "\nconfiguration written to {}",
            output::path(&crate::session::config_beside(db))
        ));
    }
    print(&msg);
    Ok(())
}

/// `desk` with no subcommand and no terminal: the queue as text.
fn queue_text(
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
    if as_login.is_some() {
        // Only on behalf of someone who may be acted as.
        s.store.actor(&s.login, as_login)?;
    }
    if s.store.ticket_count()? == 0 {
        return Ok(format!("{}\n", s.catalog.t("welcome.empty_cli")));
    }
    let now = session::now();
    let (tickets, total) = s.store.list(
        &s.cfg,
        &ListFilter {
            limit: 50,
            ..ListFilter::default()
        },
    )?;
    Ok(output::list_text(
        &s.cfg,
        s.catalog,
        &tickets,
        total,
        now,
        output::width(),
    ))
}

fn restore_into(s: &mut Session, cli: &Cli, file: &Path, force: bool) -> Result<()> {
    let who = actor(s, cli)?;
    let c = s.store.restore(&who, &s.cfg, file, force)?;
    print(&format!(
        "restored {} from {}: {} tickets",
        output::path(&s.db_path),
        output::path(file),
        c.tickets
    ));
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

fn config_summary(cfg: &crate::core::config::Config, path: Option<&Path>) -> String {
    let origin = path
        .map(output::path)
        .unwrap_or_else(|| "the built-in configuration".into());
    format!(
        "ok: {origin} declares {} statuses, {} transitions, {} categories, {} groups, {} routes",
        cfg.lifecycle.statuses().len(),
        cfg.lifecycle.transitions().len(),
        cfg.categories.len(),
        cfg.groups.len(),
        cfg.routes.len()
    )
}

/// `desk config check [FILE]`: a file named by the caller is read with the caller's rights.
fn config_check(file: Option<&Path>, db: &Path) -> Result<()> {
    let (cfg, path) = crate::session::load_config(file, db)?;
    let origin = path
        .as_deref()
        .map(output::path)
        .unwrap_or_else(|| "the built-in configuration".into());
    // Compared with the numbers the desk gave, where there is a desk this user may read (as
    // one of its agents; the shared desk opened as the shared desk).
    let readable = || -> Result<crate::store::Store> {
        let mut store = crate::store::Store::open_with(
            db,
            Mode::Existing,
            session::busy_timeout()?,
            crate::store::Options {
                shared: crate::session::shared_desk(db).is_some(),
            },
        )?;
        store.sign_in(&crate::privilege::caller_login()?)?;
        Ok(store)
    };
    match db.is_file().then(readable) {
        Some(Ok(store)) => store.numbering_fits(&cfg, &origin)?,
        _ => crate::store::numbers::numbering_fits(&cfg, &[], &origin)?,
    }
    print(&config_summary(&cfg, path.as_deref()));
    Ok(())
}

/// Makes `file` (read with the caller's rights) the desk's configuration: the store checks it
/// and installs it atomically, keeping the old one as .bak.
fn install_config(s: &mut Session, cli: &Cli, file: &Path) -> Result<()> {
    let who = actor(s, cli)?;
    let bytes = crate::privilege::read_as_caller(file)
        .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", file.display())))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        Error::Invalid(format!(
            "{} is not UTF-8 text (invalid byte at offset {})",
            file.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    let target = s
        .store
        .install_config(&who, &text, &file.display().to_string())?;
    print(&format!(
        "installed {} as {}",
        output::path(file),
        output::path(&target)
    ));
    Ok(())
}

fn sla(s: &mut Session, cli: &Cli, number: Option<&str>, recompute: bool, now: i64) -> Result<()> {
    use crate::core::sla::{ClockKind, Why};
    let span = |secs: i64| crate::present::duration(s.catalog, secs);
    if recompute {
        let who = actor(s, cli)?;
        let n = s.store.recompute(&who, &s.cfg, now)?;
        print(&format!("service-level figures recomputed for {n} tickets"));
        return Ok(());
    }
    let Some(number) = number else {
        return Err(Error::Invalid(
            "give a ticket number (or --recompute)".into(),
        ));
    };
    let t = s.store.find(&s.cfg, number, local_date(now))?;
    let sla = s.store.sla_of(&s.cfg, &t, now)?;
    let cat = s.catalog;
    let status = |id: &str| crate::present::status(&s.cfg, cat, id);
    if cli.json {
        let clocks: Vec<_> = sla
            .clocks
            .iter()
            .map(|c| {
                json!({
                    "clock": c.kind.as_str(),
                    "target_seconds": c.target,
                    "elapsed_seconds": c.elapsed,
                    "state": c.state.as_str(),
                    "running": c.running,
                    "due_at": c.due.map(output::rfc3339),
                    "at_risk_at": c.risk_at.map(output::rfc3339),
                    "stopped_at": c.stopped_at.map(output::rfc3339),
                    "intervals": c.intervals.iter().map(|i| json!({
                        "from": output::rfc3339(i.from),
                        "to": output::rfc3339(i.to),
                        "status": i.status,
                        "why": match i.why { Why::Running => "counted", Why::Waiting => "paused", Why::Finished => "stopped", Why::Stopped => "after" },
                        "counted_seconds": i.counted,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        print(&output::json_text(&json!({
            "number": t.number,
            "state": sla.state.as_str(),
            "due_at": sla.due.map(output::rfc3339),
            "first_response_at": sla.first_response_at.map(output::rfc3339),
            "business_hours": s.cfg.sla.calendar.is_some(),
            "clocks": clocks,
        })));
        return Ok(());
    }
    let mut out = format!(
        "{}  {}\n{}: {}{}\n",
        t.number,
        crate::core::sanitize::clean_line(&t.subject),
        cat.t("sla.state"),
        cat.t(&format!("sla.states.{}", sla.state.as_str())),
        sla.due
            .map(|d| format!(
                " · {} {} ({})",
                cat.t("sla.due"),
                crate::time::format(d),
                if d >= now {
                    format!("+{}", span(d - now))
                } else {
                    span(d - now)
                }
            ))
            .unwrap_or_default()
    );
    out.push_str(&format!(
        "{}\n",
        if s.cfg.sla.calendar.is_some() {
            cat.t("sla.business_hours")
        } else {
            cat.t("sla.around_the_clock")
        }
    ));
    for c in &sla.clocks {
        let name = cat.t(&format!("sla.clock.{}", c.kind.as_str())).to_string();
        let target = c
            .target
            .map(span)
            .unwrap_or_else(|| cat.t("sla.no_target").to_string());
        out.push_str(&format!(
            "\n{name}: {} — {} / {target}",
            cat.t(&format!("sla.states.{}", c.state.as_str())),
            span(c.elapsed)
        ));
        if c.kind == ClockKind::FirstResponse
            && let Some(at) = sla.first_response_at
        {
            out.push_str(&format!(
                " ({} {})",
                cat.t("sla.answered"),
                crate::time::format(at)
            ));
        }
        if let Some(d) = c.due.filter(|_| c.running) {
            out.push_str(&format!(
                " · {} {}",
                cat.t("sla.due"),
                crate::time::format(d)
            ));
        }
        out.push('\n');
        for i in &c.intervals {
            let why = match i.why {
                Why::Running if i.counted < i.to - i.from => {
                    cat.f("sla.why.outside", &[("wall", span(i.to - i.from))])
                }
                Why::Running => cat.t("sla.why.counted").to_string(),
                Why::Waiting => cat.t("sla.why.waiting").to_string(),
                Why::Finished => cat.t("sla.why.finished").to_string(),
                Why::Stopped => cat.t("sla.why.stopped").to_string(),
            };
            out.push_str(&format!(
                "  {} → {}  {}  {:>9}  {}\n",
                crate::time::format(i.from),
                crate::time::format(i.to),
                output::fit(&status(&i.status), 24),
                span(i.counted),
                why
            ));
        }
    }
    print(&out);
    Ok(())
}
