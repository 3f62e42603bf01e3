//! The `desk` command line: subcommands for scripts and quick look-ups. No rule lives here;
//! every command asks the store, which asks `core`.

pub mod commands;
pub mod help;
pub mod mail;
pub mod output;
pub mod progress;
mod public;
pub mod report;
mod shared;

use crate::core::model::{Channel, NoticeState, Outcome, Priority, Role};
use crate::core::query::SortKey;
use crate::error::{Error, Message};
use crate::i18n::Catalog;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The command line. Its help — every command's `about` and every argument's help — is in
/// the catalogs (`cli.about.*`, `cli.arg.*` in assets/i18n), said in the reader's language by
/// `help::command`; a test keeps every command and argument there.
#[derive(Parser, Debug)]
#[command(
    name = "desk",
    version,
    propagate_version = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[arg(long, env = "DESK_DB", global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[arg(long, env = "DESK_CONFIG", global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[arg(long = "as", global = true, value_name = "LOGIN")]
    pub as_login: Option<String>,

    #[arg(long, global = true)]
    pub json: bool,

    #[arg(long, global = true)]
    pub no_mouse: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Each command's arguments are declared only when that command is the one run (`defer`):
/// building every command's arguments for one of them took a tenth of a one-shot command's
/// instructions (issue 17). Help, completions and the manual build them all, as before.
#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum Command {
    Init(InitArgs),
    New(NewArgs),
    Show {
        #[arg(required = true, num_args = 1.., value_name = "NUMBER")]
        number: Vec<String>,
    },
    List(ListArgs),
    Search(SearchArgs),
    Claim {
        #[arg(required = true, num_args = 1.., value_name = "NUMBER")]
        number: Vec<String>,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
    },
    Assign {
        number: String,
        login: Option<String>,
        #[arg(long)]
        group: Option<String>,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
    },
    Unassign {
        #[arg(required = true, num_args = 1.., value_name = "NUMBER")]
        number: Vec<String>,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
    },
    Move(MoveArgs),
    Edit(EditArgs),
    Merge {
        number: String,
        #[arg(long, value_name = "TARGET")]
        into: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
    },
    Link {
        a: String,
        b: String,
        #[arg(long, default_value = "related", value_parser = parse_id::<crate::core::merge::LinkKind>)]
        kind: crate::core::merge::LinkKind,
    },
    Unlink {
        a: String,
        b: String,
    },
    Attach {
        number: String,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    #[command(subcommand)]
    Attachment(AttachmentCommand),
    Comment {
        number: String,
        text: String,
    },
    Reply {
        number: String,
        #[arg(required_unless_present = "template")]
        text: Option<String>,
        #[command(flatten)]
        template: TemplateArgs,
    },
    #[command(subcommand)]
    Template(TemplateCommand),
    Tick,
    Extend {
        number: String,
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, value_name = "N")]
        if_version: Option<i64>,
    },
    Alerts {
        #[arg(long)]
        all: bool,
        #[arg(long)]
        seen: bool,
    },
    Rate {
        #[arg(required_unless_present = "import")]
        number: Option<String>,
        #[arg(allow_negative_numbers = true, required_unless_present = "import")]
        score: Option<i64>,
        #[arg(long, conflicts_with = "import")]
        comment: Option<String>,
        #[arg(long, value_name = "FILE", conflicts_with_all = ["number", "score"])]
        import: Option<String>,
    },
    #[command(subcommand)]
    Agent(AgentCommand),
    #[command(subcommand)]
    Group(GroupCommand),
    #[command(subcommand)]
    Category(CategoryCommand),
    Status(StatusArgs),
    Check {
        #[arg(long, conflicts_with = "against")]
        anchor: bool,
        #[arg(long, value_name = "ANCHOR", value_parser = parse_id::<crate::core::chain::Anchor>)]
        against: Option<crate::core::chain::Anchor>,
    },
    Report(ReportArgs),
    Sla {
        #[arg(num_args = 0.., value_name = "NUMBER")]
        number: Vec<String>,
        #[arg(long, conflicts_with = "number")]
        recompute: bool,
    },
    Import {
        file: String,
    },
    Backup {
        file: std::path::PathBuf,
    },
    Restore {
        file: std::path::PathBuf,
        #[arg(long)]
        force: bool,
    },
    Migrate {
        #[arg(
            long,
            value_name = "URL|sqlite:PATH",
            required_unless_present = "grants"
        )]
        to: Option<String>,
        #[arg(long, conflicts_with = "to")]
        grants: bool,
        #[arg(long, requires = "grants")]
        print: bool,
    },
    #[command(subcommand)]
    Config(ConfigCommand),
    Help {
        #[arg(num_args = 0.., value_name = "TOPIC")]
        topic: Vec<String>,
    },
    Demo {
        #[arg(long, default_value_t = 300)]
        tickets: usize,
    },
    #[command(subcommand)]
    Mail(MailCommand),
    Serve {
        #[arg(long, value_name = "ADDRESS")]
        listen: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum MailCommand {
    Send {
        #[arg(long)]
        limit: Option<usize>,
    },
    List {
        #[arg(long, value_delimiter = ',', value_parser = parse_id::<NoticeState>)]
        state: Vec<NoticeState>,
        #[arg(long, value_name = "NUMBER")]
        ticket: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    Show {
        id: i64,
    },
    In {
        #[arg(long, value_name = "DIR")]
        maildir: Option<PathBuf>,
    },
    Informed {
        number: String,
        #[arg(long)]
        how: String,
    },
    Language {
        number: String,
        language: String,
    },
}

#[derive(Args, Debug)]
pub struct InitArgs {
    #[arg(long, value_name = "DIR")]
    pub shared: Option<PathBuf>,
    #[arg(long, requires = "shared")]
    pub group: Option<String>,
    #[arg(long, requires = "shared", value_name = "PREFIX")]
    pub prefix: Option<PathBuf>,
    #[arg(long, requires = "shared", value_name = "LOGIN")]
    pub admin: Option<String>,
    #[arg(long, requires = "shared", value_name = "OLD_DB")]
    pub upgrade: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct NewArgs {
    #[arg(long, short)]
    pub subject: String,
    #[arg(long, short, default_value = "")]
    pub body: String,
    #[arg(long, default_value = "")]
    pub requester: String,
    #[arg(long, default_value = "")]
    pub contact: String,
    #[arg(long, default_value = "api", value_parser = parse_id::<Channel>)]
    pub channel: Channel,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long, value_parser = parse_id::<Priority>)]
    pub priority: Option<Priority>,
    #[arg(long = "ref", value_name = "REF")]
    pub external_ref: Option<String>,
    #[arg(long)]
    pub check: bool,
    #[arg(long, conflicts_with = "check")]
    pub yes: bool,
    #[arg(long, value_name = "LANG")]
    pub language: Option<String>,
}

/// Which tickets: the queue filters `desk list` and `desk search` share.
#[derive(Args, Debug, Default)]
pub struct Filters {
    #[arg(long, value_delimiter = ',')]
    pub status: Vec<String>,
    #[arg(long, conflicts_with_all = ["unassigned", "assignee"])]
    pub mine: bool,
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
    #[arg(long)]
    pub at_risk: bool,
    #[arg(long, short = 'q', value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub queue: Option<String>,
    #[arg(long = "param", value_name = "NAME=VALUE", requires = "queue")]
    pub params: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    pub filters: Filters,
    #[arg(long)]
    pub all: bool,
    #[arg(long, value_name = "WORDS")]
    pub text: Option<String>,
    #[arg(long, value_parser = parse_sort)]
    pub sort: Option<SortKey>,
    #[arg(long)]
    pub reverse: bool,
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    #[arg(long)]
    pub count: bool,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    #[arg(required_unless_present = "rebuild", num_args = 1.., value_name = "WORDS")]
    pub words: Vec<String>,
    #[arg(long, conflicts_with_all = ["words", "rank", "sort", "reverse", "open", "query"])]
    pub rebuild: bool,
    #[command(flatten)]
    pub filters: Filters,
    #[arg(long)]
    pub open: bool,
    #[arg(long, conflicts_with_all = ["sort", "reverse"])]
    pub rank: bool,
    #[arg(long, value_parser = parse_sort)]
    pub sort: Option<SortKey>,
    #[arg(long)]
    pub reverse: bool,
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    #[arg(long, conflicts_with = "rebuild")]
    pub count: bool,
}

#[derive(Args, Debug)]
pub struct MoveArgs {
    #[arg(required = true, num_args = 2.., value_names = ["NUMBER", "STATUS"])]
    pub number_status: Vec<String>,
    #[arg(long, value_parser = parse_id::<Outcome>)]
    pub outcome: Option<Outcome>,
    #[arg(long, conflicts_with_all = ["next_steps", "question"])]
    pub reason: Option<String>,
    #[arg(long, conflicts_with = "question")]
    pub next_steps: Option<String>,
    #[arg(long)]
    pub question: Option<String>,
    #[arg(long, conflicts_with = "template")]
    pub answer: Option<String>,
    #[command(flatten)]
    pub template: TemplateArgs,
    #[arg(long, value_name = "N")]
    pub if_version: Option<i64>,
}

#[derive(Args, Debug, Clone)]
pub struct TemplateArgs {
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    #[arg(long, requires = "template", value_parser = ["en", "ru", "uk"])]
    pub language: Option<String>,
}

#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum TemplateCommand {
    List {
        #[arg(long, value_parser = parse_id::<Outcome>)]
        outcome: Option<Outcome>,
        #[arg(long)]
        category: Option<String>,
    },
    Show {
        name: String,
        number: Option<String>,
        #[arg(long, value_parser = ["en", "ru", "uk"])]
        language: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct EditArgs {
    pub number: String,
    #[arg(long)]
    pub subject: Option<String>,
    #[arg(long)]
    pub category: Option<String>,
    #[arg(long, value_parser = parse_id::<Priority>)]
    pub priority: Option<Priority>,
    #[arg(long, conflicts_with = "reroute")]
    pub group: Option<String>,
    #[arg(long)]
    pub requester: Option<String>,
    #[arg(long)]
    pub contact: Option<String>,
    #[arg(long, requires = "category")]
    pub reroute: bool,
    #[arg(long, value_name = "N")]
    pub if_version: Option<i64>,
}

#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum AttachmentCommand {
    List {
        number: String,
    },
    Get {
        number: String,
        name: String,
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum AgentCommand {
    Add {
        login: String,
        #[arg(long, default_value = "")]
        name: String,
        #[arg(long, default_value = "operator", value_parser = parse_id::<Role>)]
        role: Role,
        #[arg(long)]
        group: Vec<String>,
        #[arg(long, default_value_t = crate::store::agents::DEFAULT_CAPACITY, allow_negative_numbers = true)]
        capacity: i64,
        /// Where escalations of their groups' tickets are mailed.
        #[arg(long)]
        mail: Option<String>,
    },
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
        /// A new mail address for escalations; "" removes it.
        #[arg(long)]
        mail: Option<String>,
    },
    Away {
        login: String,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long, conflicts_with = "reason")]
        keep: bool,
        #[arg(long)]
        preview: bool,
    },
    Back {
        login: String,
    },
    List,
}

#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum GroupCommand {
    Add {
        code: String,
        name: String,
        #[arg(long)]
        auto_assign: bool,
    },
    Set {
        code: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long, value_parser = parse_switch)]
        auto_assign: Option<bool>,
    },
    List,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    #[arg(long)]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, conflicts_with = "from", value_parser = ["day", "week", "month", "year"])]
    pub period: Option<String>,
    #[arg(long)]
    pub by: Option<String>,
    #[arg(long)]
    pub group: Option<String>,
    #[arg(long, default_value = "table")]
    pub format: String,
}

#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum ConfigCommand {
    Check { file: Option<std::path::PathBuf> },
    Install { file: std::path::PathBuf },
}

#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum CategoryCommand {
    List,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct StatusArgs {
    #[command(subcommand)]
    pub command: Option<StatusCommand>,
    #[arg(num_args = 0.., value_name = "NUMBER")]
    pub number: Vec<String>,
    #[arg(long, value_name = "CODE")]
    pub code: Option<String>,
}

#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum StatusCommand {
    List,
}

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

/// `desk search boiler -leak`: a word left out is typed as in a query, `-word`, anywhere among
/// the words; for the command line such a word would be an option (`-l`, `-e`, … or `-h`,
/// help). Each one becomes `(-word)`, the same query to the language and a word to the
/// command line; options that take a value keep theirs as they are.
fn search_words(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    const WITH_VALUE: [&str; 15] = [
        "--db",
        "--config",
        "--as",
        "--status",
        "--assignee",
        "--group",
        "--category",
        "--priority",
        "-q",
        "--query",
        "--queue",
        "--param",
        "--sort",
        "--limit",
        "--offset",
    ];
    const FLAGS: [&str; 2] = ["-h", "-V"];
    let mut out = Vec::with_capacity(args.len());
    let mut in_search = false;
    let mut value_next = false;
    for (i, a) in args.into_iter().enumerate() {
        let t = a.to_str().unwrap_or("");
        let word = in_search
            && !value_next
            && t.len() > 1
            && t.starts_with('-')
            && !t.starts_with("--")
            && !t.starts_with("-q")
            && !FLAGS.contains(&t);
        if word {
            out.push(format!("({t})").into());
            continue;
        }
        if value_next {
            value_next = false;
        } else if t == "search" && i > 0 && !in_search {
            in_search = true;
        } else if t == "--" {
            // What follows is words already.
            in_search = false;
        } else {
            value_next = WITH_VALUE.contains(&t);
        }
        out.push(a);
    }
    out
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
    let args = search_words(args.into_iter().map(Into::into).collect());
    // Read first as clap declares it: saying every command's help in the reader's language
    // was half of a one-shot command's instructions (callgrind, issue 17), and a command line
    // that reads needs none of it. Help, the version and mistakes are read again, said.
    let cli = match <Cli as clap::Parser>::try_parse_from(args.iter()) {
        Ok(cli) => cli,
        Err(_) => match help::command(catalog())
            .try_get_matches_from(args)
            .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m))
        {
            Ok(cli) => cli,
            Err(e) => return clap_error(e),
        },
    };
    // Keep the desk's group only for the shared desk; drop it for good otherwise.
    if let Err(e) = crate::privilege::settle(crate::privilege::Request {
        db: cli.db.as_deref(),
        config: cli.config.as_deref(),
    }) {
        output::error_line(&output::describe(&e, catalog()));
        return e.exit_code();
    }
    // Long work of the store (an upgrade, recomputing figures, a check, a restore) shows a bar.
    progress::follow_the_store(catalog());
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

/// clap's own messages span several lines, in English; desk prints one, in the reader's
/// language. Help and version are printed as clap renders them (the help from the catalog).
fn clap_error(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            0
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            2
        }
        _ => {
            output::error_line(&help::said(&e, catalog()));
            2
        }
    }
}
