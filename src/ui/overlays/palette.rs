//! The command palette (`:`): `goto NUMBER`, `assign LOGIN`, `status STATUS`, `claim`,
//! `queue NAME`, `new`, `quit`, … with completion from the desk's own data (Tab completes,
//! ↑/↓ choose, Enter runs).

use super::Reply;
use crate::core::keys::{Action, Context};
use crate::core::query::{QueueKind, SortKey};
use crate::ui::ctx::Ctx;
use crate::ui::input;
use crate::ui::keymap::Keymap;
use crate::ui::layout::centered;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};
use ratatui_textarea::TextArea;

/// Every command, and what its argument is.
pub const COMMANDS: &[(&str, Arg)] = &[
    ("goto", Arg::Number),
    ("assign", Arg::Agent),
    ("status", Arg::Status),
    ("claim", Arg::None),
    ("unassign", Arg::None),
    ("queue", Arg::Queue),
    ("sort", Arg::Sort),
    ("filter", Arg::Text),
    ("new", Arg::None),
    ("comment", Arg::Text),
    ("reply", Arg::Text),
    ("undo", Arg::None),
    ("reload", Arg::None),
    ("help", Arg::None),
    ("quit", Arg::None),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    None,
    Number,
    Agent,
    Status,
    Queue,
    Sort,
    Text,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Goto(String),
    Assign(String),
    Status(String),
    Claim,
    Unassign,
    Queue(QueueKind),
    /// A saved queue by name, then the values of its parameters (`queue per-agent olena`).
    Saved(String),
    Sort(SortKey),
    Filter(String),
    New,
    Comment(String),
    Reply(String),
    Undo,
    Reload,
    Help,
    Quit,
}

/// Why a command line cannot run (the desk says it in the user's language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Nothing typed.
    Empty,
    Unknown(String),
    /// A prefix of several commands.
    Ambiguous(String, Vec<String>),
    NeedsArgument(String),
    NoQueue(String),
    NoSort(String),
}

impl ParseError {
    /// The error in the catalog's words.
    pub fn message(&self, cat: &crate::i18n::Catalog) -> String {
        match self {
            ParseError::Empty => String::new(),
            ParseError::Unknown(w) => cat.f("palette.unknown", &[("word", w.clone())]),
            ParseError::Ambiguous(w, all) => cat.f(
                "palette.ambiguous",
                &[("word", w.clone()), ("commands", all.join(", "))],
            ),
            ParseError::NeedsArgument(c) => cat.f("palette.needs", &[("command", c.clone())]),
            ParseError::NoQueue(q) => cat.f("palette.no_queue", &[("queue", q.clone())]),
            ParseError::NoSort(q) => cat.f("palette.no_sort", &[("sort", q.clone())]),
        }
    }
}

/// The commands whose names start with `word`; with several, an argument (or its absence)
/// tells them apart (`q` is quit, `q open` is queue).
fn candidates(word: &str, rest: &str) -> Vec<&'static (&'static str, Arg)> {
    let matches: Vec<&(&str, Arg)> = COMMANDS
        .iter()
        .filter(|(c, _)| c.starts_with(word))
        .collect();
    if matches.len() > 1 {
        let by_arg: Vec<&(&str, Arg)> = matches
            .iter()
            .copied()
            .filter(|(_, a)| match a {
                Arg::None => rest.is_empty(),
                Arg::Text => true,
                _ => !rest.is_empty(),
            })
            .collect();
        if by_arg.len() == 1 {
            return by_arg;
        }
    }
    matches
}

/// Reads a command line; a unique prefix of a command name is enough (`:as olena`).
pub fn parse(line: &str) -> Result<Command, ParseError> {
    let line = line.trim().trim_start_matches(':').trim();
    let (word, rest) = match line.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (line, ""),
    };
    if word.is_empty() {
        return Err(ParseError::Empty);
    }
    let matches = candidates(word, rest);
    let (name, arg) = match matches.as_slice() {
        [one] => **one,
        _ => match COMMANDS.iter().find(|(c, _)| *c == word) {
            Some(exact) => *exact,
            None if matches.is_empty() => return Err(ParseError::Unknown(word.into())),
            None => {
                let all = matches.iter().map(|(c, _)| c.to_string()).collect();
                return Err(ParseError::Ambiguous(word.into(), all));
            }
        },
    };
    if arg != Arg::None && arg != Arg::Text && rest.is_empty() {
        return Err(ParseError::NeedsArgument(name.into()));
    }
    command(name, rest)
}

fn command(name: &str, rest: &str) -> Result<Command, ParseError> {
    Ok(match name {
        "goto" => Command::Goto(rest.to_string()),
        "assign" => Command::Assign(rest.to_string()),
        "status" => Command::Status(rest.to_string()),
        "claim" => Command::Claim,
        "unassign" => Command::Unassign,
        // A built-in queue by its id; anything else names a saved queue (or the start of a
        // built-in one's id), which the desk resolves with its configuration.
        "queue" => match QueueKind::from_id(rest) {
            Some(k) => Command::Queue(k),
            None => Command::Saved(rest.to_string()),
        },
        "sort" => Command::Sort(
            SortKey::from_id(rest)
                .or_else(|| SortKey::ALL.into_iter().find(|k| k.id().starts_with(rest)))
                .ok_or_else(|| ParseError::NoSort(rest.into()))?,
        ),
        "filter" => Command::Filter(rest.to_string()),
        "new" => Command::New,
        "comment" => Command::Comment(rest.to_string()),
        "reply" => Command::Reply(rest.to_string()),
        "undo" => Command::Undo,
        "reload" => Command::Reload,
        "help" => Command::Help,
        _ => Command::Quit,
    })
}

/// Where completions come from: the app fills these lists for the current argument.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub agents: Vec<String>,
    /// The saved queues' names.
    pub queues: Vec<String>,
    pub statuses: Vec<String>,
    pub numbers: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Palette {
    pub input: TextArea<'static>,
    pub candidates: Vec<String>,
    pub selected: usize,
    pub error: Option<String>,
}

impl Palette {
    pub const CONTEXT: Context = Context::Palette;

    pub fn new(prefill: &str) -> Palette {
        let mut input = input::with_text("", prefill, false);
        input::set_focus(&mut input, true);
        Palette {
            input,
            candidates: Vec::new(),
            selected: 0,
            error: None,
        }
    }

    pub fn line(&self) -> String {
        input::text(&self.input)
    }

    /// The argument kind being typed and its partial text, or the partial command name.
    pub fn typing(&self) -> (Option<Arg>, String) {
        let line = self.line();
        match line.split_once(char::is_whitespace) {
            None => (None, line.trim().to_string()),
            Some((w, rest)) => {
                let arg = COMMANDS
                    .iter()
                    .find(|(c, _)| {
                        *c == w
                            || (c.starts_with(w)
                                && COMMANDS.iter().filter(|(x, _)| x.starts_with(w)).count() == 1)
                    })
                    .map(|(_, a)| *a);
                (arg, rest.trim_start().to_string())
            }
        }
    }

    /// Completions for what is typed, from `src`.
    pub fn complete(&mut self, src: &Sources) {
        let (arg, partial) = self.typing();
        let p = partial.to_lowercase();
        let pick = |items: Vec<String>| -> Vec<String> {
            items
                .into_iter()
                .filter(|i| i.to_lowercase().starts_with(&p))
                .collect()
        };
        self.candidates = match arg {
            None => pick(COMMANDS.iter().map(|(c, _)| c.to_string()).collect()),
            Some(Arg::Agent) => pick(src.agents.clone()),
            Some(Arg::Status) => pick(src.statuses.clone()),
            Some(Arg::Queue) => pick(
                QueueKind::ALL
                    .iter()
                    .map(|k| k.id().to_string())
                    .chain(src.queues.iter().cloned())
                    .collect(),
            ),
            Some(Arg::Sort) => pick(SortKey::ALL.iter().map(|k| k.id().to_string()).collect()),
            Some(Arg::Number) => src.numbers.clone(),
            Some(Arg::None) | Some(Arg::Text) => Vec::new(),
        };
        self.selected = self.selected.min(self.candidates.len().saturating_sub(1));
    }

    fn accept(&mut self) {
        let Some(c) = self.candidates.get(self.selected).cloned() else {
            return;
        };
        let line = self.line();
        let new = match line.split_once(char::is_whitespace) {
            None => format!("{c} "),
            Some((w, _)) => format!("{w} {c}"),
        };
        self.input = input::with_text("", &new, false);
        input::set_focus(&mut self.input, true);
    }

    /// Enter runs the line, Tab completes, ↑/↓ choose a completion; the rest is typed.
    pub fn on_key(&mut self, k: &KeyEvent, keymap: &Keymap) -> Reply<String> {
        match keymap.action(Self::CONTEXT, k) {
            Some(Action::Back) => return Reply::Close,
            Some(Action::Confirm | Action::Save) => return Reply::Done(self.line()),
            Some(Action::Complete) => self.accept(),
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(self.candidates.len().saturating_sub(1))
            }
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            _ => {
                input::feed(&mut self.input, *k, false);
                self.selected = 0;
            }
        }
        self.error = None;
        Reply::Stay
    }

    pub fn on_paste(&mut self, s: &str) {
        input::paste(&mut self.input, s, false);
    }
}

/// The completions that fit in `rows`, scrolled to keep the chosen one in view, and how many
/// are left out.
fn window(p: &Palette, rows: usize) -> (usize, usize) {
    let n = p.candidates.len();
    if n <= rows {
        return (0, n);
    }
    let room = rows.saturating_sub(1).max(1); // one row says how many more
    let first = p.selected.saturating_sub(room - 1).min(n - room);
    (first, room)
}

pub fn draw(f: &mut Frame<'_>, area: Rect, p: &Palette, ctx: &Ctx<'_>) {
    let t = ctx.theme;
    // Below the tabs, as tall as the completions need and the screen allows.
    let below = Rect {
        y: area.y + 2,
        height: area.height.saturating_sub(3),
        ..area
    };
    let want = 4 + p.candidates.len().max(1) as u16 + 1;
    let rect = centered(below, 70, want);
    let rect = Rect { y: below.y, ..rect };
    f.render_widget(Clear, rect);
    let block = ctx.dialog(ctx.cat.t("ui.palette"));
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    let [line, list, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let [colon, field] =
        Layout::horizontal([Constraint::Length(2), Constraint::Fill(1)]).areas(line);
    f.render_widget(Paragraph::new(Span::styled(":", t.key())), colon);
    f.render_widget(&p.input, field);
    let (first, shown) = window(p, list.height as usize);
    let mut items: Vec<Line> = p
        .candidates
        .iter()
        .enumerate()
        .skip(first)
        .take(shown)
        .map(|(i, c)| {
            let l = Line::from(format!("  {c}"));
            if i == p.selected {
                l.style(t.selected())
            } else {
                l.style(t.dim())
            }
        })
        .collect();
    let more = p.candidates.len().saturating_sub(first + shown);
    if more > 0 {
        items.push(Line::from(Span::styled(
            format!("  {}", ctx.cat.f("ui.more", &[("n", more.to_string())])),
            t.dim(),
        )));
    }
    f.render_widget(Paragraph::new(items), list);
    let footer = match &p.error {
        Some(e) => Line::from(Span::styled(e.clone(), t.error())),
        None => ctx.hint_line(
            Palette::CONTEXT,
            &[
                Action::Confirm,
                Action::Complete,
                Action::Down,
                Action::Back,
            ],
            foot.width,
        ),
    };
    f.render_widget(Paragraph::new(footer), foot);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_prefixes() {
        assert_eq!(
            parse(":goto HSG-2611-00001-3"),
            Ok(Command::Goto("HSG-2611-00001-3".into()))
        );
        assert_eq!(parse("g hsg 2611"), Ok(Command::Goto("hsg 2611".into())));
        assert_eq!(parse("as olena"), Ok(Command::Assign("olena".into())));
        assert_eq!(
            parse("status resolved"),
            Ok(Command::Status("resolved".into()))
        );
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert_eq!(
            parse("queue unassigned"),
            Ok(Command::Queue(QueueKind::Unassigned))
        );
        assert_eq!(parse("queue unas"), Ok(Command::Saved("unas".into())));
        assert_eq!(parse("sort age"), Ok(Command::Sort(SortKey::Age)));
        assert!(
            parse("re").is_err_and(|e| matches!(&e, ParseError::Ambiguous(_, all)
                if all.contains(&"reload".to_string()) && all.contains(&"reply".to_string())))
        );
        assert_eq!(parse("fly"), Err(ParseError::Unknown("fly".into())));
        assert_eq!(parse("goto"), Err(ParseError::NeedsArgument("goto".into())));
        assert_eq!(
            parse("queue Per agent olena"),
            Ok(Command::Saved("Per agent olena".into()))
        );
        let ru = crate::i18n::Catalog::for_lang("ru");
        assert!(
            ParseError::Unknown("fly".into())
                .message(ru)
                .contains("fly")
                && !ParseError::Unknown("fly".into())
                    .message(ru)
                    .contains("unknown"),
            "said in the user's language"
        );
    }

    #[test]
    fn completes_commands_and_arguments() {
        let src = Sources {
            agents: vec!["olena".into(), "oleg".into(), "petro".into()],
            statuses: vec!["resolved".into(), "rejected".into()],
            numbers: vec![],
            queues: vec!["Agent's open".into()],
        };
        let mut p = Palette::new("as");
        p.complete(&src);
        assert_eq!(p.candidates, vec!["assign"]);
        let mut p = Palette::new("assign ol");
        p.complete(&src);
        assert_eq!(p.candidates, vec!["olena", "oleg"]);
        p.accept();
        assert_eq!(p.line(), "assign olena");
        let mut p = Palette::new("status re");
        p.complete(&src);
        assert_eq!(p.candidates.len(), 2);
        // Saved queues after the built-in ones.
        let mut p = Palette::new("queue a");
        p.complete(&src);
        assert_eq!(p.candidates, vec!["at_risk", "all", "Agent's open"]);
    }
}
