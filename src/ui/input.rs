//! Text fields: ratatui-textarea does the editing; this makes one-line and multi-line fields
//! that look alike and sanitises pasted text before it lands in a field. Which keys move
//! between fields, save or close is the keymap's business (each dialog asks it first); what
//! is left is typed.

use crate::core::sanitize::{clean_line, clean_text};
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::style::{Modifier, Style};
use ratatui_textarea::{TextArea, WrapMode};

pub fn field(placeholder: &str, multiline: bool) -> TextArea<'static> {
    let mut t = TextArea::default();
    t.set_placeholder_text(placeholder.to_string());
    t.set_cursor_line_style(Style::new());
    t.set_placeholder_style(Style::new().add_modifier(Modifier::DIM));
    if multiline {
        t.set_wrap_mode(WrapMode::WordOrGlyph);
    }
    t
}

/// A field holding `text`.
pub fn with_text(placeholder: &str, text: &str, multiline: bool) -> TextArea<'static> {
    let mut t = field(placeholder, multiline);
    t.insert_str(text);
    t
}

pub fn text(t: &TextArea<'_>) -> String {
    t.lines().join("\n")
}

/// Pasted text: escape sequences, controls and bidi characters removed; one-line fields get
/// one line.
pub fn paste(t: &mut TextArea<'_>, s: &str, multiline: bool) {
    let clean = if multiline {
        clean_text(s).into_owned()
    } else {
        clean_line(s).into_owned()
    };
    t.insert_str(clean);
}

/// Shows the field's cursor only while it has focus.
pub fn set_focus(t: &mut TextArea<'_>, focused: bool) {
    t.set_cursor_style(if focused {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    });
}

/// Whether the key just typed made `::` before the cursor — how a person asks for the
/// answers from templates while writing one. If so, the two colons are taken back out (and
/// put back with `put_colons` when no answer is chosen).
pub fn took_colons(t: &mut TextArea<'_>, k: &KeyEvent) -> bool {
    if k.code != KeyCode::Char(':') {
        return false;
    }
    let cursor = t.cursor();
    let before: String = t
        .lines()
        .get(cursor.0)
        .map(|l| l.chars().take(cursor.1).collect())
        .unwrap_or_default();
    if before.ends_with("::") {
        t.delete_char();
        t.delete_char();
        return true;
    }
    false
}

/// Puts back the `::` taken out by `took_colons`.
pub fn put_colons(t: &mut TextArea<'_>) {
    t.insert_str("::");
}

/// Puts an answer chosen from the templates into a field: the whole text when the field is
/// empty, else at the cursor.
pub fn put_answer(t: &mut TextArea<'_>, answer: &str, multiline: bool) {
    if text(t).trim().is_empty() {
        t.select_all();
        t.cut();
    }
    paste(t, answer, multiline);
}

/// A key the keymap left to the field: typed, or an editing key (arrows, Home, Backspace,
/// Ctrl-A…). A one-line field never takes a line break, and no field takes a tab (Tab moves
/// between fields where there are several).
pub fn feed(t: &mut TextArea<'_>, k: KeyEvent, multiline: bool) -> bool {
    if (!multiline && k.code == KeyCode::Enter) || matches!(k.code, KeyCode::Tab | KeyCode::BackTab)
    {
        return false;
    }
    t.input(k)
}
