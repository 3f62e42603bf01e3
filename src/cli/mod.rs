//! The `desk` command line: subcommands for scripts and quick look-ups. No rule lives here;
//! every command asks the store, which asks `core`.

pub mod commands;
pub mod mail;
pub mod output;
pub mod report;
mod shared;

use crate::core::model::{Channel, NoticeState, Outcome, Priority, Role};
use crate::core::query::SortKey;
use crate::error::{Error, Message};
use crate::i18n::Catalog;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes: 0 ok · 2 bad input · 3 not found · 4 refused by a rule · 5 database problem.
Without a subcommand, desk opens the terminal desk (or prints the queue when not in a terminal).";

#[derive(Parser, Debug)]
#[command(
    name = "desk",
    version,
    about = "A terminal ticket desk: register, route, decide and answer every request",
    after_help = AFTER_HELP,
    propagate_version = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// The database file [default: desk.db in your data directory]
    #[arg(long, env = "DESK_DB", global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// The configuration file [default: desk.toml beside the database, else the built-in one]
    #[arg(long, env = "DESK_CONFIG", global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Act as another agent (admins only; the history records both)
    #[arg(long = "as", global = true, value_name = "LOGIN")]
    pub as_login: Option<String>,

    /// Print machine-readable JSON (stable field names; see README)
    #[arg(long, global = true)]
    pub json: bool,

    /// Terminal desk: do not capture the mouse
    #[arg(long, global = true)]
    pub no_mouse: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create the database and its desk.toml (idempotent); the creator becomes admin
    Init(InitArgs),
    /// Register a request; prints its new number
    New(NewArgs),
    /// A ticket's fields, owner, outcome and full history
    Show {
        /// Ticket number (case, spaces and dashes are forgiven; it may be typed in words:
        /// hsg 2611 00042 a)
        #[arg(required = true, num_args = 1.., value_name = "NUMBER")]
        number: Vec<String>,
    },
    /// List tickets (open ones by default), most urgent and oldest first
    List(ListArgs),
    /// Take a ticket (taking someone else's is a take-over: supervisors, with --reason)
    Claim {
        #[arg(required = true, num_args = 1.., value_name = "NUMBER")]
        number: Vec<String>,
        #[arg(long)]
        reason: Option<String>,
        /// Refuse if the ticket changed since this version (for scripts and the desk)
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
    },
    /// Give a ticket to an agent and/or a group (a reason is required when it had an owner)
    Assign {
        number: String,
        /// The agent's login
        login: Option<String>,
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
    },
    /// Return a ticket to its group's queue
    Unassign {
        #[arg(required = true, num_args = 1.., value_name = "NUMBER")]
        number: Vec<String>,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
    },
    /// Change a ticket's status (see `desk status list` for the moves)
    Move(MoveArgs),
    /// Correct what intake recorded: subject, category, priority, group, requester, contact
    /// (each change goes to the history, before → after)
    Edit(EditArgs),
    /// Close a ticket as a duplicate of another: outcome invalid, "duplicate of TARGET"; its
    /// number leads to the target from then on, where its request is shown
    Merge {
        /// The duplicate
        number: String,
        /// The ticket it repeats
        #[arg(long, value_name = "TARGET")]
        into: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
    },
    /// Link two tickets: related, or (--kind parent) A as the parent of B
    Link {
        a: String,
        b: String,
        #[arg(long, default_value = "related", value_parser = parse_id::<crate::core::merge::LinkKind>)]
        kind: crate::core::merge::LinkKind,
    },
    /// Remove the link between two tickets
    Unlink { a: String, b: String },
    /// Attach files to a ticket (all of them or none; kept in the desk by content)
    Attach {
        number: String,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// A ticket's attached files: list them, or get one
    #[command(subcommand)]
    Attachment(AttachmentCommand),
    /// Add an internal note
    Comment { number: String, text: String },
    /// Record an answer sent to the requester (typed, or from a template)
    Reply {
        number: String,
        #[arg(required_unless_present = "template")]
        text: Option<String>,
        #[command(flatten)]
        template: TemplateArgs,
    },
    /// Answers from templates ([[answer]] in desk.toml): list them, or fill one in
    #[command(subcommand)]
    Template(TemplateCommand),
    /// Record the requester's satisfaction, 1 to 5, on a finished ticket (or many, from a
    /// survey's answers with --import)
    Rate {
        #[arg(required_unless_present = "import")]
        number: Option<String>,
        #[arg(allow_negative_numbers = true, required_unless_present = "import")]
        score: Option<i64>,
        #[arg(long, conflicts_with = "import")]
        comment: Option<String>,
        /// JSON file (or - for standard input) of ratings: number (or ref), score, comment;
        /// all are recorded or none
        #[arg(long, value_name = "FILE", conflicts_with_all = ["number", "score"])]
        import: Option<String>,
    },
    /// Agents: add, change, list
    #[command(subcommand)]
    Agent(AgentCommand),
    /// Groups (departments): add, change, list
    #[command(subcommand)]
    Group(GroupCommand),
    /// Categories from desk.toml
    #[command(subcommand)]
    Category(CategoryCommand),
    /// Statuses and transitions from desk.toml
    #[command(subcommand)]
    Status(StatusCommand),
    /// Check the database's integrity, the desk's invariants and the history's hash chain
    /// (exit 0 only when all hold)
    Check {
        /// Print only the history's head (ID:HASH) once everything holds: an anchor to keep
        /// elsewhere, to prove later that nothing before it changed
        #[arg(long, conflicts_with = "against")]
        anchor: bool,
        /// Also prove that the history still holds this anchor (an earlier --anchor)
        #[arg(long, value_name = "ANCHOR", value_parser = parse_id::<crate::core::chain::Anchor>)]
        against: Option<crate::core::chain::Anchor>,
    },
    /// Analysis of a period: intake, outcomes, response and resolution times against targets,
    /// time in status, reassignments, frequent problems, satisfaction, workload
    Report(ReportArgs),
    /// A ticket's service-level clocks, explained: each interval counted or paused, and why
    Sla {
        #[arg(num_args = 0.., value_name = "NUMBER")]
        number: Vec<String>,
        /// Recompute every ticket's figures from its history (admins; after changing [sla])
        #[arg(long, conflicts_with = "number")]
        recompute: bool,
    },
    /// Register requests from JSON (an array, or one object per line; "-" reads stdin)
    Import {
        /// File with the requests: subject, body, requester, contact, channel, category,
        /// group, priority, ref
        file: String,
    },
    /// Write a consistent copy of the desk to FILE while others keep working
    Backup { file: std::path::PathBuf },
    /// Replace the desk's content with a backup (admins; --force when the desk has tickets)
    Restore {
        file: std::path::PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// The configuration: check a file, or install it as the desk's desk.toml (admins)
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Help on a command (desk help list), or on the query language (desk help query)
    Help {
        #[arg(num_args = 0.., value_name = "TOPIC")]
        topic: Vec<String>,
    },
    /// Fill an empty desk with realistic demo data
    Demo {
        #[arg(long, default_value_t = 300)]
        tickets: usize,
    },
    /// The requester's side: deliver notices, list the outbox, take mail in, record that a
    /// requester was told another way
    #[command(subcommand)]
    Mail(MailCommand),
}

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// Deliver the notices that are due, then exit (the mail service, from a timer)
    Send {
        /// Deliver at most this many
        #[arg(long)]
        limit: Option<usize>,
    },
    /// The outbox, newest first, with each notice's state
    List {
        /// Only these states (comma-separated): pending, sent, failed, manual, informed,
        /// withdrawn, suppressed
        #[arg(long, value_delimiter = ',', value_parser = parse_id::<NoticeState>)]
        state: Vec<NoticeState>,
        /// Only this ticket's notices
        #[arg(long, value_name = "NUMBER")]
        ticket: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One notice in full: its headers and text
    Show { id: i64 },
    /// Record incoming mail: one message on standard input (an MTA's `|desk mail in`), or
    /// every new message of a Maildir
    In {
        #[arg(long, value_name = "DIR")]
        maildir: Option<PathBuf>,
    },
    /// Record that the requester was told another way (phone, in person, letter) what could
    /// not reach them by e-mail
    Informed {
        number: String,
        /// How they were told ("by phone", "letter posted")
        #[arg(long)]
        how: String,
    },
    /// The language the requester is written to in: en, ru or uk
    Language { number: String, language: String },
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Set up the shared desk in DIR (as root): its own system group, the directory closed
    /// to everyone else, the set-id program in PREFIX/bin and the registry naming the desk
    #[arg(long, value_name = "DIR")]
    pub shared: Option<PathBuf>,
    /// The desk's own system group; nobody is added to it [default: desk]
    #[arg(long, requires = "shared")]
    pub group: Option<String>,
    /// Where the set-id program, its manual and completions go [default: /usr/local]
    #[arg(long, requires = "shared", value_name = "PREFIX")]
    pub prefix: Option<PathBuf>,
    /// Make this user an admin of a new shared desk (root is one already)
    #[arg(long, requires = "shared", value_name = "LOGIN")]
    pub admin: Option<String>,
    /// Move a shared desk set up the old way (a group-writable directory) into DIR, keeping
    /// every ticket
    #[arg(long, requires = "shared", value_name = "OLD_DB")]
    pub upgrade: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct NewArgs {
    #[arg(long, short)]
    pub subject: String,
    /// The request's text; "-" reads it from standard input
    #[arg(long, short, default_value = "")]
    pub body: String,
    #[arg(long, default_value = "")]
    pub requester: String,
    #[arg(long, default_value = "")]
    pub contact: String,
    #[arg(long, default_value = "api", value_parser = parse_id::<Channel>)]
    pub channel: Channel,
    /// Category code [default: routed by keywords, else the desk's default]
    #[arg(long)]
    pub category: Option<String>,
    /// Group code [default: the category's group]
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long, value_parser = parse_id::<Priority>)]
    pub priority: Option<Priority>,
    /// A reference from outside (an e-mail's Message-ID): registering it again prints the
    /// ticket it already became instead of a second one
    #[arg(long = "ref", value_name = "REF")]
    pub external_ref: Option<String>,
    /// Only list the open tickets of the last 30 days this request looks like (the same
    /// contact, or a subject sharing half of its significant words); register nothing
    #[arg(long)]
    pub check: bool,
    /// Register even when it looks like a duplicate, without asking (in a terminal, desk
    /// new lists the likely duplicates and asks first)
    #[arg(long, conflicts_with = "check")]
    pub yes: bool,
    /// The requester's language for notices: en, ru or uk [default: [mail] language, else
    /// the desk's]
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only these statuses (comma-separated)
    #[arg(long, value_delimiter = ',')]
    pub status: Vec<String>,
    /// Include finished tickets
    #[arg(long)]
    pub all: bool,
    /// Only tickets assigned to me
    #[arg(long, conflicts_with_all = ["unassigned", "assignee"])]
    pub mine: bool,
    /// Only tickets nobody owns
    #[arg(long, conflicts_with = "assignee")]
    pub unassigned: bool,
    #[arg(long, value_name = "LOGIN")]
    pub assignee: Option<String>,
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long, value_parser = parse_id::<Priority>)]
    pub priority: Option<Priority>,
    /// Only tickets whose number, subject, requester, contact or request has these words
    /// (each word the start of one)
    #[arg(long, value_name = "WORDS")]
    pub text: Option<String>,
    /// Only tickets matching a query (`desk help query`): status:waiting_info assignee:me
    /// -category:CMP (a OR b) created>2026-11-01 updated<7d "a phrase"
    #[arg(long, short = 'q', value_name = "QUERY")]
    pub query: Option<String>,
    /// Only open tickets at risk of missing a service-level target, or past it
    #[arg(long)]
    pub at_risk: bool,
    /// Order: priority (most urgent, then oldest), number, status, subject, requester,
    /// assignee, age (oldest first), updated (latest first), due (soonest first)
    #[arg(long, default_value = "priority", value_parser = parse_sort)]
    pub sort: SortKey,
    /// The order reversed
    #[arg(long)]
    pub reverse: bool,
    /// How many to list at most (0: all)
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Skip this many first (list page after page)
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
}

#[derive(Args, Debug)]
pub struct MoveArgs {
    /// The ticket number (it may be typed in words) and the new status id (e.g. in_progress,
    /// resolved)
    #[arg(required = true, num_args = 2.., value_names = ["NUMBER", "STATUS"])]
    pub number_status: Vec<String>,
    #[arg(long, value_parser = parse_id::<Outcome>)]
    pub outcome: Option<Outcome>,
    /// Why (refused or invalid outcome, reopening, sending back)
    #[arg(long, conflicts_with_all = ["next_steps", "question"])]
    pub reason: Option<String>,
    /// The next steps offered (partial outcome)
    #[arg(long, conflicts_with = "question")]
    pub next_steps: Option<String>,
    /// The question put to the requester (asking for information)
    #[arg(long)]
    pub question: Option<String>,
    /// An answer to the requester
    #[arg(long, conflicts_with = "template")]
    pub answer: Option<String>,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[arg(long, value_name = "N")]
    pub if_version: Option<i64>,
}

/// An answer from a template instead of one typed.
#[derive(Args, Debug, Clone)]
pub struct TemplateArgs {
    /// The answer from this template (`desk template list`), filled in for the ticket; with
    /// an outcome it also brings the outcome and its note, unless given
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// The template's language (default: the desk's)
    #[arg(long, requires = "template", value_parser = ["en", "ru", "uk"])]
    pub language: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum TemplateCommand {
    /// The answers from templates: name, outcome, categories, languages, how each starts
    List {
        /// Only those offered when choosing this outcome
        #[arg(long, value_parser = parse_id::<Outcome>)]
        outcome: Option<Outcome>,
        /// Only those offered for this category
        #[arg(long)]
        category: Option<String>,
    },
    /// One answer's text: filled in for NUMBER when given, else as written
    Show {
        name: String,
        number: Option<String>,
        #[arg(long, value_parser = ["en", "ru", "uk"])]
        language: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct EditArgs {
    /// The ticket number
    pub number: String,
    #[arg(long)]
    pub subject: Option<String>,
    /// Category code; the ticket keeps its group unless --reroute
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long, value_parser = parse_id::<Priority>)]
    pub priority: Option<Priority>,
    /// Group code
    #[arg(long, conflicts_with = "reroute")]
    pub group: Option<String>,
    #[arg(long)]
    pub requester: Option<String>,
    #[arg(long)]
    pub contact: Option<String>,
    /// With --category: route the ticket again (the category's group; an owner who does not
    /// work there gives it back to that group's queue)
    #[arg(long, requires = "category")]
    pub reroute: bool,
    #[arg(long, value_name = "N")]
    pub if_version: Option<i64>,
}

#[derive(Subcommand, Debug)]
pub enum AttachmentCommand {
    /// The files attached to a ticket: name, size, when, by whom, SHA-256
    List { number: String },
    /// Write one attached file to FILE (a new file, readable by you only), or to standard
    /// output when that is not a terminal
    Get {
        number: String,
        /// The file's name as `attachment list` shows it
        name: String,
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgentCommand {
    /// Add an agent (admins)
    Add {
        login: String,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long, default_value = "operator", value_parser = parse_id::<Role>)]
        role: Role,
        /// Group code (repeat for several)
        #[arg(long)]
        group: Vec<String>,
        #[arg(long, default_value_t = crate::store::agents::DEFAULT_CAPACITY, allow_negative_numbers = true)]
        capacity: i64,
    },
    /// Change an agent (admins)
    Set {
        login: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = parse_id::<Role>)]
        role: Option<Role>,
        #[arg(long, allow_negative_numbers = true)]
        capacity: Option<i64>,
        #[arg(long, value_parser = parse_switch)]
        active: Option<bool>,
        #[arg(long, value_parser = parse_switch)]
        away: Option<bool>,
        #[arg(long = "add-group")]
        add_group: Vec<String>,
        #[arg(long = "remove-group")]
        remove_group: Vec<String>,
    },
    /// Every agent with role, groups and load against capacity
    List,
}

#[derive(Subcommand, Debug)]
pub enum GroupCommand {
    /// Add a group (admins)
    Add {
        code: String,
        name: String,
        /// Assign new tickets automatically to the least-loaded member with room
        #[arg(long)]
        auto_assign: bool,
    },
    /// Change a group (admins)
    Set {
        code: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = parse_switch)]
        auto_assign: Option<bool>,
    },
    /// Every group with members, open and unassigned tickets
    List,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// First day (YYYY-MM-DD, desk time) [default: 30 days before --to]
    #[arg(long)]
    pub from: Option<String>,
    /// Last day, included [default: today]
    #[arg(long)]
    pub to: Option<String>,
    /// The whole calendar day, week (Monday to Sunday), month or year holding --to (up to
    /// today), instead of --from
    #[arg(long, conflicts_with = "from", value_parser = ["day", "week", "month", "year"])]
    pub period: Option<String>,
    /// Break the figures down by group, category, agent, channel or priority
    #[arg(long)]
    pub by: Option<String>,
    /// Only the tickets of this group
    #[arg(long)]
    pub group: Option<String>,
    /// table (for people), json or csv (for spreadsheets)
    #[arg(long, default_value = "table")]
    pub format: String,
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Check a configuration file (default: the desk's own) and say what it declares
    Check { file: Option<std::path::PathBuf> },
    /// Check FILE against the desk (every status in use must still be declared) and make it
    /// the desk's desk.toml, atomically; the previous one is kept as desk.toml.bak
    Install { file: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum CategoryCommand {
    /// Categories with their group and routing keywords
    List,
}

#[derive(Subcommand, Debug)]
pub enum StatusCommand {
    /// Statuses with their category and the moves out of each
    List,
}

/// The catalog of the environment's language, for what is said before a desk is open (the
/// command line's help and mistakes, `desk init`).
pub fn catalog() -> &'static Catalog {
    static CAT: std::sync::OnceLock<&'static Catalog> = std::sync::OnceLock::new();
    CAT.get_or_init(|| Catalog::for_lang(crate::session::env_language()))
}

fn parse_id<T: std::str::FromStr<Err = Message>>(s: &str) -> Result<T, String> {
    s.parse().map_err(|m: Message| catalog().say(&m))
}

fn parse_sort(s: &str) -> Result<SortKey, String> {
    SortKey::from_id(&s.to_ascii_lowercase()).ok_or_else(|| {
        catalog().say(&crate::msg!(
            "cli.bad_sort",
            value = s,
            choices = SortKey::ALL.map(|k| k.id()).join(", ")
        ))
    })
}

fn parse_switch(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Ok(true),
        "off" | "no" | "false" | "0" => Ok(false),
        other => Err(catalog().say(&crate::msg!("cli.bad_switch", value = other))),
    }
}

/// A ticket number typed as one word or several (`hsg 2611 00042 a`).
pub fn words(w: &[String]) -> String {
    w.join(" ")
}

impl MoveArgs {
    /// The ticket number: every word but the last.
    pub fn number(&self) -> String {
        words(&self.number_status[..self.number_status.len().saturating_sub(1)])
    }

    /// The new status: the last word.
    pub fn status(&self) -> &str {
        self.number_status.last().map(String::as_str).unwrap_or("")
    }
}

/// Opens the terminal desk (the program passes `ui::run`: the command line never imports the
/// desk, nor the desk the command line).
pub type Desk = fn(&crate::session::DeskOptions) -> crate::error::Result<()>;

/// Runs desk with these arguments and returns the exit code; without a subcommand, in a
/// terminal, `desk` opens the terminal desk.
pub fn run<I, T>(args: I, desk: Desk) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    // Keep the desk's group only for the shared desk; drop it for good otherwise.
    if let Err(e) = crate::privilege::settle(crate::privilege::Request {
        db: cli.db.as_deref(),
        config: cli.config.as_deref(),
    }) {
        output::error_line(&output::describe(&e, catalog()));
        return e.exit_code();
    }
    // An MTA keeps a message and tries again later only on EX_TEMPFAIL (75): mail in says
    // so whenever the database could not take it, instead of making the MTA bounce it.
    let mail_in = matches!(cli.command, Some(Command::Mail(MailCommand::In { .. })));
    match commands::dispatch(cli, desk) {
        Ok(()) => 0,
        Err(Failure { error, catalog }) => {
            output::error_line(&output::describe(&error, catalog));
            match error.exit_code() {
                5 if mail_in => 75,
                code => code,
            }
        }
    }
}

/// An error with the catalog to say it in.
pub struct Failure {
    pub error: Error,
    pub catalog: &'static Catalog,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure {
            error,
            catalog: catalog(),
        }
    }
}

/// clap's own messages span several lines; desk prints one.
fn clap_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                2
            } else {
                0
            }
        }
        _ => {
            let rendered = e.render().to_string();
            // The first paragraph: the error line and any indented lines under it.
            let first = rendered
                .lines()
                .skip_while(|l| l.trim().is_empty())
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect::<Vec<_>>()
                .join(" ")
                .trim_start_matches("error: ")
                .to_string();
            let first = if first.is_empty() {
                "invalid arguments".to_string()
            } else {
                first
            };
            let tip = rendered
                .lines()
                .find_map(|l| l.trim().strip_prefix("tip: "))
                .map(|t| format!(" ({t})"))
                .unwrap_or_default();
            output::error_line(&format!("{first}{tip}; see `desk --help`"));
            2
        }
    }
}
