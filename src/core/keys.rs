//! The terminal desk's keys as configuration: every action a key can ask for, where (the
//! context: a pane, a dialog), the default bindings, and `[keys]` of desk.toml applied to
//! them — validated with the rest of the file, so `desk config check` and `install` refuse a
//! bad key before it can stop the desk for everyone. No terminal here: the desk turns the
//! terminal's key events into these keys (src/ui/keymap.rs).

use crate::core::message::Message;
use crate::msg;
use std::fmt;

/// Declares the actions once: the enum, its `[keys]` names and `Action::ALL` come from the
/// same list, so a new action is bindable, listed and validated without another list to
/// remember.
macro_rules! actions {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// Everything a key can ask the desk to do.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum Action {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The name used in `[keys]` and in the catalog (`help.<name>`, `hint.<name>`).
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }
        }
    };
}

actions! {
    /// Leave: the desk, or the dialog on top of it.
    Quit = "quit",
    Up = "up",
    Down = "down",
    Top = "top",
    Bottom = "bottom",
    PageUp = "page_up",
    PageDown = "page_down",
    Left = "left",
    Right = "right",
    NextPane = "next_pane",
    PrevPane = "prev_pane",
    /// Open the selected ticket; in the assignment pane, give the tickets to the agent.
    Open = "open",
    /// Back: close a dialog, leave a pane, clear marks, then the filter.
    Back = "back",
    Filter = "filter",
    QueueMine = "queue_mine",
    QueueUnassigned = "queue_unassigned",
    QueueGroups = "queue_group",
    QueueOpen = "queue_open",
    QueueWaiting = "queue_waiting",
    QueueAtRisk = "queue_at_risk",
    QueueDoneToday = "queue_done_today",
    QueueAll = "queue_all",
    PickQueue = "pick_queue",
    Sort = "sort",
    Reverse = "reverse",
    Mark = "mark",
    MarkAll = "mark_all",
    New = "new",
    Claim = "claim",
    Assign = "assign",
    Unassign = "unassign",
    Status = "status",
    Comment = "comment",
    Reply = "reply",
    Rate = "rate",
    /// Record that the requester was told another way what their notices could not say.
    Informed = "informed",
    /// Correct the ticket: subject, category, priority, group, requester, contact.
    Edit = "edit",
    /// Close the ticket as a duplicate of another.
    Merge = "merge",
    /// Link the ticket to another (or unlink it).
    Link = "link",
    /// The ticket's attached files: save one, attach another.
    Files = "files",
    /// In the list of a ticket's files: attach another file.
    AttachFile = "attach_file",
    /// Writing an answer: choose one from the templates (also `::` typed).
    Templates = "templates",
    Undo = "undo",
    Reload = "reload",
    Help = "help",
    Palette = "palette",
    Stats = "stats",
    /// The person's alerts: escalations of their groups' tickets (`desk tick`).
    Alerts = "alerts",
    /// The welcome screen: fill the empty desk with the demo.
    Demo = "demo",
    /// In a dialog: do what is chosen; in a form, the next field (on the last, save).
    Confirm = "confirm",
    /// In a form or a text box: save now, from any field.
    Save = "save",
    /// In a text box of several lines: start a new line.
    Newline = "newline",
    NextField = "next_field",
    PrevField = "prev_field",
    /// In the command palette: complete what is typed.
    Complete = "complete",
    /// In the assignment pane: mark the agent away, handing their tickets over (after a
    /// preview), or back.
    Away = "away",
    /// In the assignment pane: the queue of the agent's open tickets.
    AgentQueue = "agent_queue",
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL
            .iter()
            .copied()
            .find(|a| a.name() == name.trim())
    }
}

/// Where a key is pressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Context {
    /// Keys of every pane of the desk.
    Global,
    Queue,
    Detail,
    Assign,
    /// The empty desk's welcome.
    Welcome,
    Help,
    Stats,
    /// Choosing a queue from a list.
    Picker,
    /// Choosing the status to move to.
    Status,
    /// The fields a move asks for (outcome, note, answer): typing.
    Fields,
    /// The new-request form: typing.
    Form,
    /// Correcting a ticket: typing.
    Edit,
    /// Merging or linking a ticket: typing the other's number.
    Relate,
    /// Choosing from a list the desk offers (files, answers from templates).
    Choose,
    /// A reason, a note, an answer, a rating, the filter: typing.
    Prompt,
    /// The command palette: typing.
    Palette,
}

impl Context {
    pub const ALL: [Context; 16] = [
        Context::Global,
        Context::Queue,
        Context::Detail,
        Context::Assign,
        Context::Welcome,
        Context::Help,
        Context::Stats,
        Context::Picker,
        Context::Status,
        Context::Fields,
        Context::Form,
        Context::Edit,
        Context::Relate,
        Context::Choose,
        Context::Prompt,
        Context::Palette,
    ];

    /// Where people type text: a key that types a character cannot be bound here.
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Context::Fields
                | Context::Form
                | Context::Edit
                | Context::Relate
                | Context::Prompt
                | Context::Palette
        )
    }

    /// The context whose keys also work here (the panes share the desk's keys).
    pub fn parent(self) -> Option<Context> {
        match self {
            Context::Queue | Context::Detail | Context::Assign => Some(Context::Global),
            _ => None,
        }
    }

    /// Stable id (catalog `context.<id>`).
    pub fn id(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Queue => "queue",
            Context::Detail => "detail",
            Context::Assign => "assign",
            Context::Welcome => "welcome",
            Context::Help => "help",
            Context::Stats => "stats",
            Context::Picker => "picker",
            Context::Status => "status",
            Context::Fields => "fields",
            Context::Form => "form",
            Context::Edit => "edit",
            Context::Relate => "relate",
            Context::Choose => "choose",
            Context::Prompt => "prompt",
            Context::Palette => "palette",
        }
    }
}

/// A key without its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Code {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

/// A key with its modifiers, as written in desk.toml: `n`, `G`, `ctrl-s`, `shift-tab`, `f2`,
/// `enter`, `esc`, `space`, `pgdown`. A letter's case is the key (`G` is shift-g); shift is
/// kept only for keys that have no case (`shift-f2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Key {
    pub code: Code,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl Key {
    pub const fn plain(code: Code) -> Key {
        Key {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    pub const fn ch(c: char) -> Key {
        Key::plain(Code::Char(c))
    }

    pub const fn ctrl(c: char) -> Key {
        Key {
            code: Code::Char(c),
            ctrl: true,
            alt: false,
            shift: false,
        }
    }

    pub const fn alt(code: Code) -> Key {
        Key {
            code,
            ctrl: false,
            alt: true,
            shift: false,
        }
    }

    /// The one spelling of a key: `G` without shift, ctrl-letters in lower case, shift-tab
    /// as back-tab.
    pub fn normal(mut self) -> Key {
        match self.code {
            Code::Char(c) => {
                if c.is_uppercase() || !c.is_alphabetic() {
                    self.shift = false;
                }
                if self.ctrl {
                    self.code = Code::Char(c.to_lowercase().next().unwrap_or(c));
                }
            }
            Code::Tab if self.shift => {
                self.code = Code::BackTab;
                self.shift = false;
            }
            Code::BackTab => self.shift = false,
            _ => {}
        }
        self
    }

    /// A key that types a character in a text box (a letter, a digit, a sign, space).
    pub fn types_text(self) -> bool {
        matches!(self.code, Code::Char(_)) && !self.ctrl && !self.alt
    }

    /// Ctrl-C always quits and is never bound.
    pub fn is_ctrl_c(self) -> bool {
        self.ctrl && self.code == Code::Char('c')
    }

    pub fn parse(spec: &str) -> Result<Key, Message> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(msg!("keys.empty"));
        }
        let mut key = Key::plain(Code::Char(' '));
        let mut rest = spec;
        loop {
            let lower = rest.to_ascii_lowercase();
            let strip = |p: &str| lower.strip_prefix(p).map(|r| r.len());
            if let Some(n) = strip("ctrl-").or(strip("c-")).filter(|n| *n > 0) {
                key.ctrl = true;
                rest = &rest[rest.len() - n..];
            } else if let Some(n) = strip("alt-").or(strip("m-")).filter(|n| *n > 0) {
                key.alt = true;
                rest = &rest[rest.len() - n..];
            } else if let Some(n) = strip("shift-").filter(|n| *n > 1) {
                key.shift = true;
                rest = &rest[rest.len() - n..];
            } else {
                break;
            }
        }
        key.code = match named(&rest.to_ascii_lowercase()) {
            Some(code) => code,
            None => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if !c.is_control() => Code::Char(c),
                    _ => {
                        return Err(msg!("keys.not_a_key", key = spec));
                    }
                }
            }
        };
        let key = key.normal();
        if key.is_ctrl_c() {
            return Err(msg!("keys.ctrl_c"));
        }
        Ok(key)
    }
}

fn named(name: &str) -> Option<Code> {
    Some(match name {
        "enter" | "return" => Code::Enter,
        "esc" | "escape" => Code::Esc,
        "tab" => Code::Tab,
        "backtab" => Code::BackTab,
        "space" => Code::Char(' '),
        "up" => Code::Up,
        "down" => Code::Down,
        "left" => Code::Left,
        "right" => Code::Right,
        "home" => Code::Home,
        "end" => Code::End,
        "pgup" | "pageup" => Code::PageUp,
        "pgdown" | "pagedown" | "pgdn" => Code::PageDown,
        "backspace" => Code::Backspace,
        "delete" | "del" => Code::Delete,
        "insert" | "ins" => Code::Insert,
        f if f.len() >= 2 && f.starts_with('f') => {
            let n = f[1..].parse::<u8>().ok().filter(|n| (1..=24).contains(n))?;
            Code::F(n)
        }
        _ => return None,
    })
}

impl fmt::Display for Key {
    /// How help and hints write the key: `Ctrl-s`, `Shift-Tab`, `↑`, `PgDn`, `Space`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        if self.alt {
            f.write_str("Alt-")?;
        }
        if self.shift {
            f.write_str("Shift-")?;
        }
        match self.code {
            Code::Char(' ') => f.write_str("Space"),
            // Ctrl-S, as keyboards and manuals write it (the key is the same either way).
            Code::Char(c) if self.ctrl => write!(f, "{}", c.to_uppercase()),
            Code::Char(c) => write!(f, "{c}"),
            Code::Enter => f.write_str("Enter"),
            Code::Esc => f.write_str("Esc"),
            Code::Tab => f.write_str("Tab"),
            Code::BackTab => f.write_str("Shift-Tab"),
            Code::Backspace => f.write_str("Backspace"),
            Code::Delete => f.write_str("Del"),
            Code::Insert => f.write_str("Ins"),
            Code::Up => f.write_str("↑"),
            Code::Down => f.write_str("↓"),
            Code::Left => f.write_str("←"),
            Code::Right => f.write_str("→"),
            Code::Home => f.write_str("Home"),
            Code::End => f.write_str("End"),
            Code::PageUp => f.write_str("PgUp"),
            Code::PageDown => f.write_str("PgDn"),
            Code::F(n) => write!(f, "F{n}"),
        }
    }
}

/// One key bound to one action in one context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Binding {
    pub context: Context,
    pub key: Key,
    pub action: Action,
}

/// `[keys]` as written: an action's name, its keys, and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebinding {
    pub name: String,
    pub keys: Vec<String>,
    pub line: usize,
}

/// What moves in every list: the desk's panes and the dialogs that choose from a list.
fn movement(c: Context) -> Vec<(Context, Key, Action)> {
    use Action as A;
    use Code as K;
    vec![
        (c, Key::ch('j'), A::Down),
        (c, Key::plain(K::Down), A::Down),
        (c, Key::ch('k'), A::Up),
        (c, Key::plain(K::Up), A::Up),
        (c, Key::ch('g'), A::Top),
        (c, Key::plain(K::Home), A::Top),
        (c, Key::ch('G'), A::Bottom),
        (c, Key::plain(K::End), A::Bottom),
        (c, Key::plain(K::PageUp), A::PageUp),
        (c, Key::plain(K::PageDown), A::PageDown),
    ]
}

/// The keys every dialog closes with, and help.
fn closing(c: Context) -> Vec<(Context, Key, Action)> {
    use Action as A;
    let mut v = vec![(c, Key::plain(Code::Esc), A::Back)];
    if !c.is_text() {
        v.push((c, Key::ch('q'), A::Quit));
        v.push((c, Key::ch('?'), A::Help));
    }
    v.push((c, Key::plain(Code::F(1)), A::Help));
    v
}

/// Typing in a box: Enter confirms (the next field, or save on the last), Ctrl-S saves from
/// anywhere, Alt-Enter or Ctrl-J starts a new line in a box of several lines.
fn typing(c: Context) -> Vec<(Context, Key, Action)> {
    use Action as A;
    vec![
        (c, Key::plain(Code::Enter), A::Confirm),
        (c, Key::ctrl('s'), A::Save),
        (c, Key::alt(Code::Enter), A::Newline),
        (c, Key::ctrl('j'), A::Newline),
    ]
}

fn desk_defaults() -> Vec<(Context, Key, Action)> {
    use Action as A;
    use Code as K;
    use Context::{Assign as InAssign, Global, Queue as InQueue};
    let mut b = vec![
        (Global, Key::ch('q'), A::Quit),
        (Global, Key::plain(K::Tab), A::NextPane),
        (Global, Key::plain(K::BackTab), A::PrevPane),
        (Global, Key::plain(K::Enter), A::Open),
        (Global, Key::plain(K::Esc), A::Back),
        (Global, Key::ch('/'), A::Filter),
        (Global, Key::ch('n'), A::New),
        (Global, Key::ch('c'), A::Claim),
        (Global, Key::ch('a'), A::Assign),
        (Global, Key::ch('U'), A::Unassign),
        (Global, Key::ch('s'), A::Status),
        (Global, Key::ch('m'), A::Comment),
        (Global, Key::ch('R'), A::Reply),
        (Global, Key::ch('*'), A::Rate),
        (Global, Key::ch('I'), A::Informed),
        (Global, Key::ch('e'), A::Edit),
        (Global, Key::ch('M'), A::Merge),
        (Global, Key::ch('L'), A::Link),
        (Global, Key::ch('f'), A::Files),
        (Global, Key::ch('u'), A::Undo),
        (Global, Key::ch('r'), A::Reload),
        (Global, Key::ch('?'), A::Help),
        (Global, Key::plain(K::F(1)), A::Help),
        (Global, Key::ch(':'), A::Palette),
        (Global, Key::ch('v'), A::PickQueue),
        (Global, Key::ch('S'), A::Stats),
        (Global, Key::ch('!'), A::Alerts),
        (InQueue, Key::ch(' '), A::Mark),
        (InQueue, Key::ch('A'), A::MarkAll),
        (InQueue, Key::ch('o'), A::Sort),
        (InQueue, Key::ch('O'), A::Reverse),
        (InAssign, Key::ch('h'), A::Left),
        (InAssign, Key::plain(K::Left), A::Left),
        (InAssign, Key::ch('l'), A::Right),
        (InAssign, Key::plain(K::Right), A::Right),
        (InAssign, Key::ch('w'), A::Away),
        (InAssign, Key::ch('t'), A::AgentQueue),
    ];
    b.extend(movement(Global));
    b.extend(queue_digits(Global));
    b
}

/// `1`…`8`: the built-in queues, in the order of the tabs.
pub const QUEUES: [Action; 8] = [
    Action::QueueMine,
    Action::QueueUnassigned,
    Action::QueueGroups,
    Action::QueueOpen,
    Action::QueueWaiting,
    Action::QueueAtRisk,
    Action::QueueDoneToday,
    Action::QueueAll,
];

fn queue_digits(c: Context) -> Vec<(Context, Key, Action)> {
    QUEUES
        .iter()
        .zip('1'..='8')
        .map(|(a, d)| (c, Key::ch(d), *a))
        .collect()
}

fn dialog_defaults() -> Vec<(Context, Key, Action)> {
    use Action as A;
    use Code as K;
    use Context as C;
    let mut b = vec![
        (C::Welcome, Key::ch('d'), A::Demo),
        (C::Welcome, Key::ch('n'), A::New),
        (C::Stats, Key::plain(K::Left), A::Left),
        (C::Stats, Key::ch('h'), A::Left),
        (C::Stats, Key::plain(K::Right), A::Right),
        (C::Stats, Key::ch('l'), A::Right),
        (C::Stats, Key::plain(K::Up), A::Up),
        (C::Stats, Key::ch('k'), A::Up),
        (C::Stats, Key::plain(K::Down), A::Down),
        (C::Stats, Key::ch('j'), A::Down),
        (C::Stats, Key::ch('S'), A::Stats),
        (C::Picker, Key::plain(K::Enter), A::Confirm),
        (C::Picker, Key::ch('v'), A::PickQueue),
        (C::Status, Key::plain(K::Enter), A::Confirm),
        (C::Choose, Key::plain(K::Enter), A::Confirm),
        (C::Choose, Key::ch('a'), A::AttachFile),
        (C::Choose, Key::ch('A'), A::MarkAll),
        (C::Palette, Key::plain(K::Enter), A::Confirm),
        (C::Palette, Key::plain(K::Tab), A::Complete),
        (C::Palette, Key::plain(K::Down), A::Down),
        (C::Palette, Key::plain(K::Up), A::Up),
    ];
    b.extend(movement(C::Help));
    b.extend(movement(C::Picker));
    b.extend(queue_digits(C::Picker));
    b.extend(movement(C::Status));
    b.extend(movement(C::Choose));
    for c in [C::Form, C::Fields, C::Edit, C::Relate] {
        b.extend(typing(c));
        b.push((c, Key::plain(K::Tab), A::NextField));
        b.push((c, Key::plain(K::BackTab), A::PrevField));
        b.push((c, Key::plain(K::Left), A::Left));
        b.push((c, Key::plain(K::Right), A::Right));
    }
    b.extend(typing(C::Prompt));
    b.push((C::Fields, Key::ctrl('t'), A::Templates));
    b.push((C::Prompt, Key::ctrl('t'), A::Templates));
    for c in Context::ALL {
        if !matches!(c, C::Global | C::Queue | C::Detail | C::Assign) {
            b.extend(closing(c));
        }
    }
    b
}

/// The default bindings of every context.
pub fn defaults() -> Vec<Binding> {
    desk_defaults()
        .into_iter()
        .chain(dialog_defaults())
        .map(|(context, key, action)| Binding {
            context,
            key,
            action,
        })
        .collect()
}

/// The defaults with `[keys]` applied: each action named gets exactly the keys given, in every
/// context it had, and those keys are taken from whatever had them there. While typing, a
/// key that types a character cannot be bound: there the action keeps those of its keys that
/// cannot be typed (or its defaults). Errors name the line.
pub fn bindings(rebindings: &[Rebinding]) -> Result<Vec<Binding>, (usize, Message)> {
    let mut map = defaults();
    let mut sorted: Vec<&Rebinding> = rebindings.iter().collect();
    sorted.sort_by_key(|r| r.line);
    let mut given: Vec<(Key, Action, Vec<Context>, usize)> = Vec::new();
    for r in sorted {
        let action = Action::from_name(&r.name).ok_or_else(|| {
            let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
            (
                r.line,
                msg!(
                    "keys.unknown_action",
                    action = &r.name,
                    actions = names.join(", ")
                ),
            )
        })?;
        let keys = r
            .keys
            .iter()
            .map(|k| Key::parse(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| (r.line, msg!("keys.of_action", action = &r.name, error = e)))?;
        let contexts = contexts_of(&map, action);
        check_typing(action, &keys, &contexts).map_err(|e| (r.line, e))?;
        for &(key, other, ref theirs, line) in &given {
            let shared = with_children(theirs)
                .iter()
                .any(|c| with_children(&contexts).contains(c));
            if keys.contains(&key) && other != action && shared {
                return Err((
                    r.line,
                    msg!(
                        "keys.twice",
                        key = key.to_string(),
                        first = other.name(),
                        line = line,
                        second = action.name()
                    ),
                ));
            }
        }
        given.extend(keys.iter().map(|k| (*k, action, contexts.clone(), r.line)));
        rebind(&mut map, action, &keys, &contexts);
    }
    Ok(map)
}

/// The contexts an action has a key in.
fn contexts_of(map: &[Binding], action: Action) -> Vec<Context> {
    let mut out: Vec<Context> = Vec::new();
    for b in map.iter().filter(|b| b.action == action) {
        if !out.contains(&b.context) {
            out.push(b.context);
        }
    }
    if out.is_empty() {
        out.push(Context::Global);
    }
    out
}

/// An action used only while typing needs a key that cannot be typed.
fn check_typing(action: Action, keys: &[Key], contexts: &[Context]) -> Result<(), Message> {
    let only_typing = contexts.iter().all(|c| c.is_text());
    match keys.iter().find(|k| k.types_text()) {
        Some(k) if only_typing && keys.iter().all(|k| k.types_text()) => Err(msg!(
            "keys.typed",
            action = action.name(),
            key = k.to_string()
        )),
        _ => Ok(()),
    }
}

/// The contexts and those that inherit their keys (the panes inherit the desk's).
fn with_children(contexts: &[Context]) -> Vec<Context> {
    Context::ALL
        .into_iter()
        .filter(|c| contexts.contains(c) || c.parent().is_some_and(|p| contexts.contains(&p)))
        .collect()
}

fn rebind(map: &mut Vec<Binding>, action: Action, keys: &[Key], contexts: &[Context]) {
    let usable = |c: Context| -> Vec<Key> {
        keys.iter()
            .copied()
            .filter(|k| !(c.is_text() && k.types_text()))
            .collect()
    };
    for c in with_children(contexts) {
        let taken = usable(c);
        map.retain(|b| !(b.context == c && b.action != action && taken.contains(&b.key)));
    }
    for &c in contexts {
        let here = usable(c);
        if here.is_empty() && !keys.is_empty() {
            continue; // nothing given can be used while typing: the defaults stay
        }
        map.retain(|b| !(b.context == c && b.action == action));
        map.extend(here.iter().map(|&key| Binding {
            context: c,
            key,
            action,
        }));
    }
}

#[cfg(test)]
mod tests;
