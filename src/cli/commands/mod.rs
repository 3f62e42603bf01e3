//! One function per subcommand: parse nothing, decide nothing — ask the store, print the result.

mod admin;
mod answers;
mod casework;
mod find;
mod import;
mod sla;
mod tickets;
mod timers;

use admin::*;
use casework::*;
use find::*;
pub use import::parse_import;
use import::*;
use sla::*;
use tickets::*;

use super::output::{self, print};
use super::{CategoryCommand, Cli, Command, ConfigCommand, Failure, StatusCommand};
use crate::core::model::Actor;
use crate::error::{Error, Result};
use crate::session::{self, Session};
use crate::store::{Changed, Mode};
use crate::time::date as local_date;

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
            config_check(file.as_deref().or(cli.config.as_deref()), &db, cli.json)
                .map_err(Failure::from)
        }
        Some(Command::Restore { ref file, .. })
            if crate::session::shared_desk(&db).is_none() && !db.exists() =>
        {
            // A desk restored on a new machine: create it, then restore (the restorer becomes
            // its admin until the backup's agents take over).
            let mut s = Session::create(&db, cli.config.as_deref())?.session;
            restore_into(&mut s, &cli, file, true).map_err(Failure::from)
        }
        // The grants' statement, for a DBA's psql: no desk needed to print it.
        Some(Command::Migrate { print: true, .. }) => {
            print(&crate::store::pg_grants::grants());
            Ok(())
        }
        Some(Command::Help { ref topic }) => help(topic).map_err(|error| Failure {
            error,
            catalog: super::catalog(),
        }),
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
            let done = run(&mut s, &cli, cmd).map_err(|error| Failure { error, catalog });
            // The process ends here. Closing an SQLite desk would only free what the exit
            // frees — its commits are synced in the log already, and the log is kept — at
            // half a million instructions, 5% of a look-up (callgrind, issue 17). A
            // PostgreSQL desk says goodbye to its server.
            if !s.store.is_postgres() {
                std::mem::forget(s);
            }
            done
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
        Command::Init(_) | Command::Help { .. } => Ok(()),
        Command::New(a) => new(s, cli, a, now),
        Command::Show { number } => show(s, cli, &super::words(number), now),
        Command::List(a) => list(s, cli, a, now),
        Command::Search(a) => search(s, cli, a, now),
        Command::Claim {
            number,
            reason,
            if_version,
        } => claim(s, cli, number, reason.as_deref(), *if_version, now),
        Command::Assign {
            number,
            login,
            group,
            reason,
            if_version,
        } => assign(
            s,
            cli,
            number,
            (login.as_deref(), group.as_deref()),
            reason.as_deref(),
            *if_version,
            now,
        ),
        Command::Unassign {
            number,
            reason,
            if_version,
        } => unassign(s, cli, number, reason.as_deref(), *if_version, now),
        Command::Move(a) => move_cmd(s, cli, a, now),
        Command::Edit(a) => edit(s, cli, a, now),
        Command::Merge {
            number,
            into,
            reason,
            if_version,
        } => merge(s, cli, number, into, reason.as_deref(), *if_version, now),
        Command::Link { a, b, kind } => link(s, cli, a, b, Some(*kind), now),
        Command::Unlink { a, b } => link(s, cli, a, b, None, now),
        Command::Attach { number, files } => attach(s, cli, number, files, now),
        Command::Attachment(super::AttachmentCommand::List { number }) => {
            attachment_list(s, cli, number, now)
        }
        Command::Attachment(super::AttachmentCommand::Get {
            number,
            name,
            output,
        }) => attachment_get(s, cli, number, name, output.as_deref(), now),
        Command::Comment { number, text } => comment(s, cli, number, text, now),
        Command::Reply {
            number,
            text,
            template,
        } => answers::reply(s, cli, number, text.as_deref(), template, now),
        Command::Template(t) => answers::template(s, cli, t, now),
        Command::Tick => timers::tick(s, cli, now),
        Command::Extend {
            number,
            by,
            reason,
            if_version,
        } => timers::extend(s, cli, (number, by, reason.as_deref(), *if_version), now),
        Command::Alerts { all, seen } => timers::alerts(s, cli, *all, *seen, now),
        Command::Rate {
            import: Some(file), ..
        } => rate_import(s, cli, file, now),
        Command::Rate {
            number,
            score,
            comment,
            ..
        } => rate(s, cli, number.as_deref(), *score, comment.as_deref(), now),
        Command::Agent(a) => agent(s, cli, a, now),
        Command::Group(g) => group(s, cli, g),
        Command::Category(CategoryCommand::List) => categories(s, cli),
        Command::Status(a) => match (&a.command, a.number.is_empty()) {
            (Some(StatusCommand::List), _) | (None, true) => statuses(s, cli),
            (None, false) => super::public::status(s, cli, a, now),
        },
        Command::Demo { tickets } => demo(s, cli, *tickets, now),
        Command::Mail(m) => mail(s, cli, m),
        Command::Serve { listen } => super::public::serve(s, cli, listen.as_deref()),
        Command::Check { anchor, against } => check(s, cli, *anchor, against.as_ref(), now),
        Command::Report(a) => super::report::run(s, cli, a, now),
        Command::Sla { number, recompute } => sla_of(s, cli, number, *recompute, now),
        Command::Import { file } => import(s, cli, file, now),
        Command::Backup { file } => backup(s, cli, file),
        Command::Migrate { to: Some(to), .. } => migrate(s, cli, to),
        Command::Migrate { to: None, .. } => regrant(s, cli),
        Command::Restore { file, force } => restore_into(s, cli, file, *force),
        Command::Config(ConfigCommand::Install { file }) => install_config(s, cli, file),
        Command::Config(ConfigCommand::Check { .. }) => config_check_own(s, cli.json),
    }
}

/// `desk mail …`, as the acting agent.
fn mail(s: &mut Session, cli: &Cli, m: &super::MailCommand) -> Result<()> {
    let who = actor(s, cli)?;
    super::mail::run(s, cli, &who, m)
}

/// `desk sla [NUMBER…] [--recompute]`: the number's words joined, as everywhere.
fn sla_of(s: &mut Session, cli: &Cli, number: &[String], recompute: bool, now: i64) -> Result<()> {
    let number = (!number.is_empty()).then(|| super::words(number));
    sla(s, cli, number.as_deref(), recompute, now)
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

/// `desk help query`: the query language in the reader's language; `desk help COMMAND`:
/// that command's options.
fn help(topic: &[String]) -> Result<()> {
    let catalog = super::catalog();
    let mut cmd = super::help::command(catalog);
    match topic
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => {
            print(&cmd.render_long_help().to_string());
            Ok(())
        }
        ["query"] => {
            print(catalog.t("help_query.text").trim_end());
            Ok(())
        }
        path => {
            let mut at = &mut cmd;
            for name in path {
                at = at.find_subcommand_mut(name).ok_or_else(|| {
                    Error::Invalid(crate::msg!("query.no_help", command = path.join(" ")))
                })?;
            }
            let mut named = at.clone().bin_name(format!("desk {}", path.join(" ")));
            print(&named.render_long_help().to_string());
            Ok(())
        }
    }
}
