//! Keys in the terminal: the bindings of desk.toml (core::keys, validated with the rest of the
//! file) looked up for the terminal's key events. One table both dispatches keys and lists
//! them in `?` help and the hint bar, for the panes and for every dialog, so they can never
//! disagree. With a Cyrillic keyboard layout active, a letter is read as the Latin key in the
//! same place (`о` is `j`), as editors do, wherever nothing is being typed.

use crate::core::keys::{self, Action, Binding, Code, Context, Key};
use crate::core::query::QueueKind;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap::new(&keys::defaults())
    }
}

/// The key of a terminal event, spelled as desk.toml spells keys; None for keys desk.toml
/// cannot name.
pub fn key_of(e: &KeyEvent) -> Option<Key> {
    let code = match e.code {
        KeyCode::Char(c) => Code::Char(c),
        KeyCode::Enter => Code::Enter,
        KeyCode::Esc => Code::Esc,
        KeyCode::Tab => Code::Tab,
        KeyCode::BackTab => Code::BackTab,
        KeyCode::Backspace => Code::Backspace,
        KeyCode::Delete => Code::Delete,
        KeyCode::Insert => Code::Insert,
        KeyCode::Up => Code::Up,
        KeyCode::Down => Code::Down,
        KeyCode::Left => Code::Left,
        KeyCode::Right => Code::Right,
        KeyCode::Home => Code::Home,
        KeyCode::End => Code::End,
        KeyCode::PageUp => Code::PageUp,
        KeyCode::PageDown => Code::PageDown,
        KeyCode::F(n) => Code::F(n),
        _ => return None,
    };
    Some(
        Key {
            code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
            shift: e.modifiers.contains(KeyModifiers::SHIFT),
        }
        .normal(),
    )
}

/// The Latin key in the same place as a letter of the Russian or Ukrainian layout (ЙЦУКЕН):
/// `о` → `j`, `О` → `J`, `ж` → `;`, `Ж` → `:`.
pub fn latin(c: char) -> Option<char> {
    const CYRILLIC: &str = "йцукенгшщзхъфывапролджэячсмитьбюёіїєґ";
    const LATIN: &str = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`s]'\\";
    const SHIFTED: &str = "QWERTYUIOP{}ASDFGHJKL:\"ZXCVBNM<>~S}\"|";
    let lower = c.to_lowercase().next()?;
    let i = CYRILLIC.chars().position(|x| x == lower)?;
    if c.is_uppercase() {
        SHIFTED.chars().nth(i)
    } else {
        LATIN.chars().nth(i)
    }
}

/// The queue a queue action switches to.
pub fn queue_of(a: Action) -> Option<QueueKind> {
    Some(match a {
        Action::QueueMine => QueueKind::Mine,
        Action::QueueUnassigned => QueueKind::Unassigned,
        Action::QueueGroups => QueueKind::MyGroups,
        Action::QueueOpen => QueueKind::AllOpen,
        Action::QueueWaiting => QueueKind::Waiting,
        Action::QueueAtRisk => QueueKind::AtRisk,
        Action::QueueDoneToday => QueueKind::DoneToday,
        Action::QueueAll => QueueKind::All,
        _ => return None,
    })
}

impl Keymap {
    pub fn new(bindings: &[Binding]) -> Keymap {
        Keymap {
            bindings: bindings.to_vec(),
        }
    }

    fn find(&self, context: Context, key: Key) -> Option<Action> {
        let own = |c: Context| {
            self.bindings
                .iter()
                .find(|b| b.context == c && b.key == key)
                .map(|b| b.action)
        };
        own(context).or_else(|| context.parent().and_then(own))
    }

    /// The action for a key in a context: the context's own bindings, then those it inherits;
    /// where nothing is typed, a Cyrillic letter as the Latin key in its place.
    pub fn action(&self, context: Context, event: &KeyEvent) -> Option<Action> {
        let key = key_of(event)?;
        if key.is_ctrl_c() {
            return Some(Action::Quit);
        }
        self.find(context, key).or_else(|| match key.code {
            Code::Char(c) if !context.is_text() => {
                let l = latin(c)?;
                self.find(
                    context,
                    Key {
                        code: Code::Char(l),
                        ..key
                    }
                    .normal(),
                )
            }
            _ => None,
        })
    }

    /// Every key of a context (its own, then those it inherits), grouped by action, in table
    /// order.
    pub fn help(&self, context: Context) -> Vec<(Action, Vec<Key>)> {
        let mut out: Vec<(Action, Vec<Key>)> = Vec::new();
        let inherited = context.parent();
        let relevant = self.bindings.iter().filter(|b| b.context == context).chain(
            self.bindings
                .iter()
                .filter(|b| Some(b.context) == inherited),
        );
        for b in relevant {
            // A key the pane took for itself is not also listed for the desk's action.
            if b.context != context && self.find(context, b.key) != Some(b.action) {
                continue;
            }
            match out.iter_mut().find(|(a, _)| *a == b.action) {
                Some((_, keys)) if !keys.contains(&b.key) => keys.push(b.key),
                Some(_) => {}
                None => out.push((b.action, vec![b.key])),
            }
        }
        out
    }

    /// The first key of an action in a context (for hints), if it has one there.
    pub fn key_for(&self, context: Context, action: Action) -> Option<Key> {
        self.help(context)
            .into_iter()
            .find(|(a, _)| *a == action)
            .and_then(|(_, keys)| keys.first().copied())
    }

    /// The hint bar of a context: the first key of each of these actions that has one.
    pub fn hints(&self, context: Context, actions: &[Action]) -> Vec<(Key, Action)> {
        actions
            .iter()
            .filter_map(|a| self.key_for(context, *a).map(|k| (k, *a)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    fn plain(c: char) -> KeyEvent {
        ev(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn defaults_dispatch() {
        let m = Keymap::default();
        assert_eq!(m.action(Context::Queue, &plain('j')), Some(Action::Down));
        assert_eq!(
            m.action(Context::Queue, &ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(m.action(Context::Queue, &plain(' ')), Some(Action::Mark));
        assert_eq!(m.action(Context::Detail, &plain(' ')), None);
        assert_eq!(m.action(Context::Assign, &plain('h')), Some(Action::Left));
        assert_eq!(
            m.action(Context::Queue, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevPane)
        );
        assert_eq!(
            m.action(Context::Queue, &plain('2')),
            Some(Action::QueueUnassigned)
        );
        assert_eq!(
            m.action(
                Context::Form,
                &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        // In a text box a letter is text, not a key.
        assert_eq!(m.action(Context::Prompt, &plain('q')), None);
        assert_eq!(m.action(Context::Help, &plain('G')), Some(Action::Bottom));
    }

    #[test]
    fn help_lists_what_dispatch_does() {
        let m = Keymap::default();
        for ctx in Context::ALL {
            for (action, keys) in m.help(ctx) {
                for k in keys {
                    let mut mods = KeyModifiers::NONE;
                    mods.set(KeyModifiers::CONTROL, k.ctrl);
                    mods.set(KeyModifiers::ALT, k.alt);
                    mods.set(KeyModifiers::SHIFT, k.shift);
                    let code = match k.code {
                        Code::Char(c) => KeyCode::Char(c),
                        Code::Enter => KeyCode::Enter,
                        Code::Esc => KeyCode::Esc,
                        Code::Tab => KeyCode::Tab,
                        Code::BackTab => KeyCode::BackTab,
                        Code::Up => KeyCode::Up,
                        Code::Down => KeyCode::Down,
                        Code::Left => KeyCode::Left,
                        Code::Right => KeyCode::Right,
                        Code::Home => KeyCode::Home,
                        Code::End => KeyCode::End,
                        Code::PageUp => KeyCode::PageUp,
                        Code::PageDown => KeyCode::PageDown,
                        Code::F(n) => KeyCode::F(n),
                        other => panic!("{other:?} not in the defaults"),
                    };
                    assert_eq!(m.action(ctx, &ev(code, mods)), Some(action), "{ctx:?} {k}");
                }
            }
        }
        let queue: Vec<Action> = m.help(Context::Queue).into_iter().map(|(a, _)| a).collect();
        assert!(queue.contains(&Action::Mark) && queue.contains(&Action::New));
        let detail: Vec<Action> = m
            .help(Context::Detail)
            .into_iter()
            .map(|(a, _)| a)
            .collect();
        assert!(!detail.contains(&Action::Mark));
    }

    #[test]
    fn a_cyrillic_layout_reads_as_the_keys_in_the_same_place() {
        assert_eq!(latin('о'), Some('j'));
        assert_eq!(latin('л'), Some('k'));
        assert_eq!(latin('П'), Some('G'));
        assert_eq!(latin('Ж'), Some(':'));
        assert_eq!(latin('і'), Some('s'), "Ukrainian і sits on s");
        assert_eq!(latin('ї'), Some(']'));
        assert_eq!(latin('x'), None);
        let m = Keymap::default();
        assert_eq!(m.action(Context::Queue, &plain('о')), Some(Action::Down));
        assert_eq!(
            m.action(Context::Queue, &ev(KeyCode::Char('П'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(m.action(Context::Queue, &plain('с')), Some(Action::Claim));
        assert_eq!(m.action(Context::Help, &plain('о')), Some(Action::Down));
        // Typing Cyrillic text types it.
        assert_eq!(m.action(Context::Prompt, &plain('о')), None);
        assert_eq!(
            m.action(
                Context::Queue,
                &ev(KeyCode::Char('ы'), KeyModifiers::CONTROL)
            ),
            None,
            "ctrl-s is not a desk key"
        );
    }

    #[test]
    fn every_queue_has_its_action() {
        for k in QueueKind::ALL {
            assert!(Action::ALL.iter().any(|a| queue_of(*a) == Some(k)), "{k:?}");
        }
        for (i, a) in keys::QUEUES.iter().enumerate() {
            assert_eq!(queue_of(*a), Some(QueueKind::ALL[i]), "tabs in order");
        }
    }
}
