//! Keys: one table that both dispatches keys and lists them in `?` help, so the two can never
//! disagree. Defaults below; `[keys]` in desk.toml rebinds any action.

use crate::store::queue::QueueKind;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key can ask the desk to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Left,
    Right,
    NextPane,
    PrevPane,
    Open,
    Back,
    Filter,
    Queue(QueueKind),
    PickQueue,
    Sort,
    Reverse,
    Mark,
    MarkAll,
    New,
    Claim,
    Assign,
    Unassign,
    Status,
    Comment,
    Reply,
    Undo,
    Reload,
    Help,
    Palette,
    Stats,
    Rate,
}

impl Action {
    /// The name used in `[keys]` and in help.
    pub fn name(self) -> String {
        match self {
            Action::Queue(k) => format!("queue_{}", k.id()),
            other => match other {
                Action::Quit => "quit",
                Action::Up => "up",
                Action::Down => "down",
                Action::Top => "top",
                Action::Bottom => "bottom",
                Action::PageUp => "page_up",
                Action::PageDown => "page_down",
                Action::Left => "left",
                Action::Right => "right",
                Action::NextPane => "next_pane",
                Action::PrevPane => "prev_pane",
                Action::Open => "open",
                Action::Back => "back",
                Action::Filter => "filter",
                Action::PickQueue => "pick_queue",
                Action::Sort => "sort",
                Action::Reverse => "reverse",
                Action::Mark => "mark",
                Action::MarkAll => "mark_all",
                Action::New => "new",
                Action::Claim => "claim",
                Action::Assign => "assign",
                Action::Unassign => "unassign",
                Action::Status => "status",
                Action::Comment => "comment",
                Action::Reply => "reply",
                Action::Undo => "undo",
                Action::Reload => "reload",
                Action::Help => "help",
                Action::Palette => "palette",
                Action::Stats => "stats",
                Action::Rate => "rate",
                Action::Queue(_) => "queue",
            }
            .to_string(),
        }
    }

    /// Catalog key of the one-line description shown in help.
    pub fn help_key(self) -> String {
        match self {
            Action::Queue(_) => "help.queue".to_string(),
            other => format!("help.{}", other.name()),
        }
    }

    fn all() -> Vec<Action> {
        let mut v = vec![
            Action::Quit,
            Action::Up,
            Action::Down,
            Action::Top,
            Action::Bottom,
            Action::PageUp,
            Action::PageDown,
            Action::Left,
            Action::Right,
            Action::NextPane,
            Action::PrevPane,
            Action::Open,
            Action::Back,
            Action::Filter,
            Action::PickQueue,
            Action::Sort,
            Action::Reverse,
            Action::Mark,
            Action::MarkAll,
            Action::New,
            Action::Claim,
            Action::Assign,
            Action::Unassign,
            Action::Status,
            Action::Comment,
            Action::Reply,
            Action::Undo,
            Action::Reload,
            Action::Help,
            Action::Palette,
            Action::Stats,
            Action::Rate,
        ];
        v.extend(QueueKind::ALL.iter().map(|k| Action::Queue(*k)));
        v
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::all().into_iter().find(|a| a.name() == name.trim())
    }
}

/// Where a key is pressed: the focused pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    /// Keys that work in every pane.
    Global,
    Queue,
    Detail,
    Assign,
}

/// A key with its modifiers, as written in desk.toml: `n`, `G`, `ctrl-s`, `shift-tab`, `f2`,
/// `enter`, `esc`, `space`, `pgdown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }

    /// Normalises an event so `G` with or without SHIFT, and BackTab, compare equal.
    pub fn from_event(e: &KeyEvent) -> Key {
        let mut mods =
            e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match e.code {
            KeyCode::Char(c) => {
                if c.is_ascii_uppercase() || !c.is_alphabetic() {
                    mods.remove(KeyModifiers::SHIFT);
                }
                KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else {
                    c
                })
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn parse(spec: &str) -> Result<Key, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("an empty key".into());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = spec;
        loop {
            let lower = rest.to_ascii_lowercase();
            if let Some(r) = lower.strip_prefix("ctrl-").or(lower.strip_prefix("c-")) {
                mods |= KeyModifiers::CONTROL;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("alt-").or(lower.strip_prefix("m-")) {
                mods |= KeyModifiers::ALT;
                rest = &rest[rest.len() - r.len()..];
            } else if let Some(r) = lower.strip_prefix("shift-").filter(|r| r.len() > 1) {
                mods |= KeyModifiers::SHIFT;
                rest = &rest[rest.len() - r.len()..];
            } else {
                break;
            }
        }
        let named = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => Some(KeyCode::Enter),
            "esc" | "escape" => Some(KeyCode::Esc),
            "tab" if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                Some(KeyCode::BackTab)
            }
            "tab" => Some(KeyCode::Tab),
            "backtab" => Some(KeyCode::BackTab),
            "space" => Some(KeyCode::Char(' ')),
            "up" => Some(KeyCode::Up),
            "down" => Some(KeyCode::Down),
            "left" => Some(KeyCode::Left),
            "right" => Some(KeyCode::Right),
            "home" => Some(KeyCode::Home),
            "end" => Some(KeyCode::End),
            "pgup" | "pageup" => Some(KeyCode::PageUp),
            "pgdown" | "pagedown" | "pgdn" => Some(KeyCode::PageDown),
            "backspace" => Some(KeyCode::Backspace),
            "delete" | "del" => Some(KeyCode::Delete),
            "insert" | "ins" => Some(KeyCode::Insert),
            f if f.len() >= 2
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=24).contains(&n)) =>
            {
                f[1..].parse::<u8>().ok().map(KeyCode::F)
            }
            _ => None,
        };
        let code = match named {
            Some(c) => c,
            None => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => {
                        return Err(format!(
                            "'{spec}' is not a key (try n, G, ctrl-s, shift-tab, f2, enter, space)"
                        ));
                    }
                }
            }
        };
        let key = Key::from_event(&KeyEvent::new(code, mods));
        if key == Key::parse_ctrl_c() {
            return Err("ctrl-c always quits and cannot be rebound".into());
        }
        Ok(key)
    }

    const fn parse_ctrl_c() -> Key {
        Key {
            code: KeyCode::Char('c'),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// How help writes the key.
    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("Ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("Alt-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            s.push_str("Shift-");
        }
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            KeyCode::Insert => "Ins".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        s.push_str(&name);
        s
    }
}

/// One key bound to one action in one context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub context: Context,
    pub key: Key,
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

fn defaults() -> Vec<Binding> {
    use Action as A;
    use Context::{Assign as InAssign, Global, Queue as InQueue};
    use KeyCode as K;
    let mut b: Vec<(Context, Key, Action)> = vec![
        (Global, Key::ch('q'), A::Quit),
        (Global, Key::plain(K::Tab), A::NextPane),
        (Global, Key::plain(K::BackTab), A::PrevPane),
        (Global, Key::ch('j'), A::Down),
        (Global, Key::plain(K::Down), A::Down),
        (Global, Key::ch('k'), A::Up),
        (Global, Key::plain(K::Up), A::Up),
        (Global, Key::ch('g'), A::Top),
        (Global, Key::plain(K::Home), A::Top),
        (Global, Key::ch('G'), A::Bottom),
        (Global, Key::plain(K::End), A::Bottom),
        (Global, Key::plain(K::PageUp), A::PageUp),
        (Global, Key::plain(K::PageDown), A::PageDown),
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
        (Global, Key::ch('u'), A::Undo),
        (Global, Key::ch('r'), A::Reload),
        (Global, Key::ch('?'), A::Help),
        (Global, Key::ch(':'), A::Palette),
        (Global, Key::ch('v'), A::PickQueue),
        (Global, Key::ch('S'), A::Stats),
        (Global, Key::ch('*'), A::Rate),
        (InQueue, Key::ch(' '), A::Mark),
        (InQueue, Key::ch('A'), A::MarkAll),
        (InQueue, Key::ch('o'), A::Sort),
        (InQueue, Key::ch('O'), A::Reverse),
        (InAssign, Key::ch('h'), A::Left),
        (InAssign, Key::plain(K::Left), A::Left),
        (InAssign, Key::ch('l'), A::Right),
        (InAssign, Key::plain(K::Right), A::Right),
    ];
    for (i, k) in QueueKind::ALL.iter().enumerate() {
        let digit = char::from(b'1' + i as u8);
        b.push((Global, Key::ch(digit), A::Queue(*k)));
    }
    b.into_iter()
        .map(|(context, key, action)| Binding {
            context,
            key,
            action,
        })
        .collect()
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap {
            bindings: defaults(),
        }
    }
}

impl Keymap {
    /// The defaults with `[keys]` overrides applied: each named action gets exactly the keys
    /// given (in the contexts it had), and those keys are taken away from other actions.
    pub fn with_overrides(
        overrides: &[(String, Vec<String>, usize)],
    ) -> Result<Keymap, (usize, String)> {
        let mut map = Keymap::default();
        for (name, keys, line) in overrides {
            let action = Action::from_name(name).ok_or_else(|| {
                (
                    *line,
                    format!(
                        "unknown action '{name}' in [keys] (actions: {})",
                        Action::all()
                            .iter()
                            .map(|a| a.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            let parsed = keys
                .iter()
                .map(|k| Key::parse(k))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| (*line, format!("[keys] {name}: {e}")))?;
            let mut contexts: Vec<Context> = map
                .bindings
                .iter()
                .filter(|b| b.action == action)
                .map(|b| b.context)
                .collect();
            contexts.dedup();
            if contexts.is_empty() {
                contexts.push(Context::Global);
            }
            map.bindings
                .retain(|b| b.action != action && !parsed.contains(&b.key));
            for key in parsed {
                for c in &contexts {
                    map.bindings.push(Binding {
                        context: *c,
                        key,
                        action,
                    });
                }
            }
        }
        Ok(map)
    }

    /// The action for a key in a context: the pane's own bindings first, then global ones.
    pub fn action(&self, context: Context, event: &KeyEvent) -> Option<Action> {
        if event.code == KeyCode::Char('c') && event.modifiers.contains(KeyModifiers::CONTROL) {
            return Some(Action::Quit);
        }
        let key = Key::from_event(event);
        self.bindings
            .iter()
            .find(|b| b.context == context && b.key == key)
            .or_else(|| {
                self.bindings
                    .iter()
                    .find(|b| b.context == Context::Global && b.key == key)
            })
            .map(|b| b.action)
    }

    /// Every key of a context (its own and the global ones), grouped by action, in table order.
    pub fn help(&self, context: Context) -> Vec<(Action, Vec<Key>)> {
        let mut out: Vec<(Action, Vec<Key>)> = Vec::new();
        let relevant = self.bindings.iter().filter(|b| b.context == context).chain(
            self.bindings
                .iter()
                .filter(|b| b.context == Context::Global && context != Context::Global),
        );
        for b in relevant {
            match out.iter_mut().find(|(a, _)| *a == b.action) {
                Some((_, keys)) => {
                    if !keys.contains(&b.key) {
                        keys.push(b.key)
                    }
                }
                None => out.push((b.action, vec![b.key])),
            }
        }
        out
    }

    /// The first key bound to an action (for the hint bar), if any.
    pub fn key_for(&self, action: Action) -> Option<Key> {
        self.bindings
            .iter()
            .find(|b| b.action == action)
            .map(|b| b.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_dispatch() {
        let m = Keymap::default();
        assert_eq!(
            m.action(Context::Queue, &ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            m.action(Context::Queue, &ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            m.action(Context::Queue, &ev(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Action::Mark)
        );
        assert_eq!(
            m.action(Context::Detail, &ev(KeyCode::Char(' '), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            m.action(Context::Assign, &ev(KeyCode::Char('h'), KeyModifiers::NONE)),
            Some(Action::Left)
        );
        assert_eq!(
            m.action(Context::Queue, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevPane)
        );
        assert_eq!(
            m.action(Context::Queue, &ev(KeyCode::Char('2'), KeyModifiers::NONE)),
            Some(Action::Queue(QueueKind::Unassigned))
        );
        assert_eq!(
            m.action(
                Context::Queue,
                &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
    }

    #[test]
    fn help_lists_what_dispatch_does() {
        let m = Keymap::default();
        for ctx in [Context::Queue, Context::Detail, Context::Assign] {
            for (action, keys) in m.help(ctx) {
                for k in keys {
                    let e = KeyEvent::new(k.code, k.mods);
                    assert_eq!(m.action(ctx, &e), Some(action), "{ctx:?} {}", k.label());
                }
            }
        }
        let queue_help: Vec<Action> = m.help(Context::Queue).into_iter().map(|(a, _)| a).collect();
        assert!(queue_help.contains(&Action::Mark) && queue_help.contains(&Action::New));
    }

    #[test]
    fn overrides_rebind_and_free_keys() {
        let m = Keymap::with_overrides(&[
            ("new".into(), vec!["ctrl-n".into(), "F2".into()], 3),
            ("claim".into(), vec!["n".into()], 4),
        ])
        .expect("valid");
        let n = ev(KeyCode::Char('n'), KeyModifiers::NONE);
        assert_eq!(m.action(Context::Queue, &n), Some(Action::Claim));
        assert_eq!(
            m.action(
                Context::Queue,
                &ev(KeyCode::Char('n'), KeyModifiers::CONTROL)
            ),
            Some(Action::New)
        );
        assert_eq!(
            m.action(Context::Queue, &ev(KeyCode::F(2), KeyModifiers::NONE)),
            Some(Action::New)
        );
        assert_eq!(
            m.action(Context::Queue, &ev(KeyCode::Char('c'), KeyModifiers::NONE)),
            None
        );
        let e =
            Keymap::with_overrides(&[("fly".into(), vec!["x".into()], 7)]).expect_err("unknown");
        assert_eq!(e.0, 7);
        assert!(e.1.contains("unknown action 'fly'"));
        let e = Keymap::with_overrides(&[("new".into(), vec!["ctrl-c".into()], 2)])
            .expect_err("reserved");
        assert!(e.1.contains("always quits"));
        let e =
            Keymap::with_overrides(&[("new".into(), vec!["hello".into()], 2)]).expect_err("bad");
        assert!(e.1.contains("not a key"));
    }

    #[test]
    fn key_specs() {
        assert_eq!(Key::parse("shift-tab"), Ok(Key::plain(KeyCode::BackTab)));
        assert_eq!(Key::parse("G"), Ok(Key::ch('G')));
        assert_eq!(Key::parse("ctrl-S").map(|k| k.label()), Ok("Ctrl-s".into()));
        assert_eq!(Key::parse("space"), Ok(Key::ch(' ')));
        assert_eq!(Key::parse("f12"), Ok(Key::plain(KeyCode::F(12))));
        assert!(Key::parse("f99").is_err());
    }
}
