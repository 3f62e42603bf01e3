//! The command line's help and mistakes in the reader's language. Every command's `about` and
//! every argument's help live in the catalogs (`cli.about.*`, `cli.arg.<command>.<argument>`,
//! else `cli.arg.common.<argument>`), not in the code; clap's own words (headings, defaults,
//! possible values, its errors) are said again from the catalog's `clap.*`.

use super::Cli;
use crate::i18n::Catalog;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, Command, CommandFactory};

/// The command line, every text in the language of `cat`.
pub fn command(cat: &Catalog) -> Command {
    let mut cmd = Cli::command();
    // Built first: clap adds its help and version flags, the help subcommand, and copies the
    // global options into every subcommand; then every one of them is said in `cat`.
    cmd.build();
    localize(cmd, "desk", cat)
}

/// The help of a command or an argument: its own entry, else the common one.
fn help_text(cat: &Catalog, path: &str, id: &str) -> Option<String> {
    [
        format!("cli.arg.{path}.{id}"),
        format!("cli.arg.common.{id}"),
    ]
    .into_iter()
    .find(|k| cat.has(k))
    .map(|k| cat.t(&k).to_string())
}

/// Where an entry is missing from the catalogs (a test keeps the list empty).
pub fn missing(cat: &Catalog) -> Vec<String> {
    fn walk(cmd: &Command, path: &str, cat: &Catalog, out: &mut Vec<String>) {
        if !cat.has(&format!("cli.about.{path}")) {
            out.push(format!("cli.about.{path}"));
        }
        for a in cmd.get_arguments() {
            if help_text(cat, path, a.get_id().as_str()).is_none() {
                out.push(format!("cli.arg.{path}.{}", a.get_id()));
            }
        }
        for s in cmd.get_subcommands() {
            walk(s, &sub_path(path, s.get_name()), cat, out);
        }
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, "desk", cat, &mut out);
    out
}

fn sub_path(path: &str, name: &str) -> String {
    if path == "desk" {
        name.to_string()
    } else {
        format!("{path}_{name}")
    }
}

fn localize(mut cmd: Command, path: &str, cat: &Catalog) -> Command {
    let about_key = format!("cli.about.{path}");
    if cat.has(&about_key) {
        cmd = cmd.about(cat.t(&about_key).to_string());
    }
    if path == "desk" {
        cmd = cmd.after_help(cat.t("cli.about.after_help").to_string());
    }
    cmd = cmd
        .help_template(format!(
            "{{before-help}}{{about-with-newline}}\n{} {{usage}}\n\n{{all-args}}{{after-help}}",
            cat.t("clap.usage")
        ))
        .subcommand_help_heading(cat.text("clap.commands").unwrap_or("Commands"));
    let ids: Vec<clap::Id> = cmd.get_arguments().map(|a| a.get_id().clone()).collect();
    for id in ids {
        cmd = cmd.mut_arg(id, |a| localize_arg(a, path, cat));
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        let p = sub_path(path, &name);
        cmd = cmd.mut_subcommand(name, |s| localize(s, &p, cat));
    }
    cmd
}

fn localize_arg(mut a: Arg, path: &str, cat: &Catalog) -> Arg {
    let id = a.get_id().as_str().to_string();
    let mut help = help_text(cat, path, &id)
        .or_else(|| a.get_help().map(ToString::to_string))
        .unwrap_or_default();
    // clap would say these in English: said here instead, in brackets after the help.
    let mut notes = Vec::new();
    if a.get_action().takes_values() {
        let defaults: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .filter(|v| !v.is_empty())
            .collect();
        if !defaults.is_empty() {
            notes.push(format!(
                "{}: {}",
                cat.t("clap.default"),
                defaults.join(", ")
            ));
        }
        let possible: Vec<String> = a
            .get_possible_values()
            .iter()
            .filter(|p| !p.is_hide_set())
            .map(|p| p.get_name().to_string())
            .collect();
        if !possible.is_empty() {
            notes.push(format!(
                "{}: {}",
                cat.t("clap.possible"),
                possible.join(", ")
            ));
        }
    }
    if let Some(env) = a.get_env() {
        notes.push(format!("{}: {}", cat.t("clap.env"), env.to_string_lossy()));
    }
    if !notes.is_empty() {
        help = format!("{help} [{}]", notes.join("; "));
    }
    let heading = if a.is_positional() {
        "clap.arguments"
    } else if a.is_global_set() || matches!(id.as_str(), "help" | "version") {
        "clap.global"
    } else {
        "clap.options"
    };
    a = a
        .help(help)
        .hide_default_value(true)
        .hide_possible_values(true)
        .hide_env(true);
    if a.get_help_heading().is_none() {
        a = a.help_heading(cat.text(heading));
    }
    a
}

/// clap's mistake as one line in the reader's language (clap's own text spans several lines,
/// in English).
pub fn said(e: &clap::Error, cat: &Catalog) -> String {
    let message = mistake(e, cat);
    let similar = context(e, ContextKind::SuggestedArg)
        .or(context(e, ContextKind::SuggestedSubcommand))
        .or(context(e, ContextKind::SuggestedValue));
    let message = match similar {
        Some(names) => cat.f(
            "clap.tip",
            &[
                ("message", message),
                ("tip", cat.f("clap.similar", &[("names", names)])),
            ],
        ),
        None => message,
    };
    cat.f("clap.see_help", &[("message", message)])
}

/// One of clap's facts about a mistake, as text.
fn context(e: &clap::Error, k: ContextKind) -> Option<String> {
    match e.get(k) {
        Some(ContextValue::String(v)) => Some(v.clone()),
        Some(ContextValue::Strings(v)) => Some(v.join(", ")),
        Some(ContextValue::StyledStr(v)) => Some(v.to_string()),
        Some(ContextValue::StyledStrs(v)) => Some(
            v.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Some(ContextValue::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// What is wrong, from the catalog, by clap's kind of mistake.
fn mistake(e: &clap::Error, cat: &Catalog) -> String {
    let s = |k: ContextKind| context(e, k);
    let f = |key: &str, args: &[(&str, Option<String>)]| -> String {
        cat.f(
            key,
            &args
                .iter()
                .map(|(k, v)| (*k, v.clone().unwrap_or_default()))
                .collect::<Vec<_>>(),
        )
    };
    let arg = s(ContextKind::InvalidArg);
    let value = s(ContextKind::InvalidValue);
    match e.kind() {
        ErrorKind::ArgumentConflict if arg.is_some() && arg == s(ContextKind::PriorArg) => {
            f("clap.conflict_many", &[("arg", arg)])
        }
        ErrorKind::ArgumentConflict => {
            let with = s(ContextKind::PriorArg)
                .map(|p| format!("'{p}'"))
                .unwrap_or_else(|| cat.t("clap.conflict_other").to_string());
            f(
                "clap.conflict",
                &[
                    ("arg", arg.or(s(ContextKind::InvalidSubcommand))),
                    ("with", Some(with)),
                ],
            )
        }
        ErrorKind::NoEquals => f("clap.no_equals", &[("arg", arg)]),
        ErrorKind::InvalidValue if value.as_deref() == Some("") => {
            f("clap.value_missing", &[("arg", arg)])
        }
        ErrorKind::InvalidValue => match s(ContextKind::ValidValue) {
            Some(values) => f(
                "clap.invalid_value_of",
                &[("value", value), ("arg", arg), ("values", Some(values))],
            ),
            None => f("clap.invalid_value", &[("value", value), ("arg", arg)]),
        },
        ErrorKind::InvalidSubcommand => f(
            "clap.invalid_subcommand",
            &[("name", s(ContextKind::InvalidSubcommand))],
        ),
        ErrorKind::MissingRequiredArgument => f("clap.missing_required", &[("args", arg)]),
        ErrorKind::MissingSubcommand => f(
            "clap.missing_subcommand",
            &[
                ("name", s(ContextKind::InvalidSubcommand)),
                ("names", s(ContextKind::ValidSubcommand)),
            ],
        ),
        ErrorKind::InvalidUtf8 => cat.t("clap.invalid_utf8").to_string(),
        ErrorKind::TooManyValues => f("clap.too_many", &[("value", value), ("arg", arg)]),
        ErrorKind::TooFewValues => f(
            "clap.too_few",
            &[
                ("arg", arg),
                ("min", s(ContextKind::MinValues)),
                ("given", s(ContextKind::ActualNumValues)),
            ],
        ),
        ErrorKind::WrongNumberOfValues => f(
            "clap.wrong_number",
            &[
                ("arg", arg),
                ("expected", s(ContextKind::ExpectedNumValues)),
                ("given", s(ContextKind::ActualNumValues)),
            ],
        ),
        ErrorKind::UnknownArgument => f("clap.unknown_argument", &[("arg", arg)]),
        ErrorKind::ValueValidation => {
            // The value parsers of this command line say why in the reader's language.
            let why = std::error::Error::source(e)
                .map(ToString::to_string)
                .unwrap_or_default();
            f(
                "clap.validation",
                &[("value", value), ("arg", arg), ("why", Some(why))],
            )
        }
        _ => cat.t("clap.other").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_and_argument_has_its_help_in_the_catalogs() {
        // English holds every entry; the catalog test keeps Russian and Ukrainian as whole.
        assert_eq!(missing(Catalog::english()), Vec::<String>::new());
    }

    #[test]
    fn help_and_mistakes_are_said_in_the_readers_language() {
        let ru = Catalog::for_lang("ru");
        let help = command(ru)
            .try_get_matches_from(["desk", "list", "--help"])
            .expect_err("help")
            .render()
            .to_string();
        for said in [
            "Использование:",
            "Только назначенные мне",
            "[по умолчанию: 50]",
            "Параметры любой команды:",
            "Показать справку",
        ] {
            assert!(help.contains(said), "{said} in {help}");
        }
        let uk = Catalog::for_lang("uk");
        let e = command(uk)
            .try_get_matches_from(["desk", "claim", "X", "--bogus"])
            .expect_err("unknown");
        assert_eq!(
            said(&e, uk),
            "неочікуваний аргумент '--bogus'; див. desk --help"
        );
        let e = command(uk)
            .try_get_matches_from(["desk", "lst"])
            .expect_err("unknown");
        assert!(said(&e, uk).contains("невідома команда 'lst' (є схоже: list)"));
        let e = command(ru)
            .try_get_matches_from(["desk", "list", "--mine", "--unassigned"])
            .expect_err("conflict");
        assert!(said(&e, ru).starts_with("аргумент '--mine' нельзя использовать вместе с"));
    }
}
