//! What every pane and dialog draws with: the configuration, the language, the theme, the
//! keymap and "now"; and the words for keys, taken from the keymap so that help and hints
//! always say what the keys really do.

use super::keymap::{Keymap, queue_of};
use super::theme::Theme;
use crate::core::config::Config;
use crate::core::keys::{Action, Context, Key};
use crate::i18n::Catalog;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};

#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub cfg: &'a Config,
    pub cat: &'static Catalog,
    pub theme: Theme,
    pub keymap: &'a Keymap,
    /// "Now" for ages and due times (unix seconds).
    pub now: i64,
}

impl Ctx<'_> {
    /// A pane's frame: brighter while the pane has the keys.
    pub fn frame(&self, focused: bool) -> Block<'static> {
        let t = self.theme;
        Block::default()
            .borders(Borders::ALL)
            .border_style(if focused {
                t.focus_border()
            } else {
                t.border()
            })
    }

    /// A dialog's frame, with its title.
    pub fn dialog(&self, title: &str) -> Block<'static> {
        self.frame(true)
            .title(Span::styled(format!(" {title} "), self.theme.title()))
    }

    /// A text box's frame, with its label.
    pub fn field(&self, label: &str, focused: bool) -> Block<'static> {
        self.frame(focused)
            .title(Span::styled(format!(" {label} "), self.theme.dim()))
    }

    /// A string that may be worded for one context: `<section>_<context>.<name>`, else
    /// `<section>.<name>`.
    fn worded(&self, section: &str, context: Context, name: &str) -> String {
        let specific = format!("{section}_{}.{name}", context.id());
        let s = self.cat.t(&specific);
        if s != specific {
            return s.to_string();
        }
        self.cat.t(&format!("{section}.{name}")).to_string()
    }

    /// What an action does, for `?` help.
    pub fn help_text(&self, context: Context, action: Action) -> String {
        match queue_of(action) {
            Some(kind) => self.cat.f(
                "help.queue",
                &[(
                    "queue",
                    self.cat.t(&format!("queue.{}", kind.id())).to_string(),
                )],
            ),
            None => self.worded("help", context, action.name()),
        }
    }

    /// An action in a word or two, for the hint bar.
    pub fn hint_text(&self, context: Context, action: Action) -> String {
        self.worded("hint", context, action.name())
    }

    /// The keys of these actions in a context with their words: `Enter save · Esc cancel`.
    pub fn hints(&self, context: Context, actions: &[Action]) -> Vec<(Key, String)> {
        self.keymap
            .hints(context, actions)
            .into_iter()
            .map(|(k, a)| (k, self.hint_text(context, a)))
            .collect()
    }

    /// The same as one line `width` wide, for the foot of a dialog: the keys that fit whole,
    /// in order (never half a word).
    pub fn hint_line(&self, context: Context, actions: &[Action], width: u16) -> Line<'static> {
        let mut spans = Vec::new();
        let mut room = width as usize;
        for (k, text) in self.hints(context, actions) {
            let sep = if spans.is_empty() { "" } else { " · " };
            let item = format!("{sep}{k} {text}");
            let w = unicode_width::UnicodeWidthStr::width(item.as_str());
            if w > room {
                continue;
            }
            room -= w;
            spans.push(Span::styled(sep, self.theme.dim()));
            spans.push(Span::styled(k.to_string(), self.theme.key()));
            spans.push(Span::styled(format!(" {text}"), self.theme.dim()));
        }
        Line::from(spans)
    }

    /// The first key of an action in a context, as help writes it ("?" when it has none).
    pub fn key(&self, context: Context, action: Action) -> String {
        self.keymap
            .key_for(context, action)
            .map(|k| k.to_string())
            .unwrap_or_else(|| "?".into())
    }
}
