//! Untrusted text (subjects, bodies, requester names, comments, imported mail) made safe for a
//! terminal: escape sequences, C0/C1 control characters and Unicode format characters (bidi
//! overrides, zero-width characters) never reach the screen.
//!
//! Controls and escape sequences become a visible `�` so an operator sees that something was
//! there; invisible format characters are dropped.

use std::borrow::Cow;

/// Shown in place of a removed control character or escape sequence.
pub const PLACEHOLDER: char = '\u{FFFD}';

/// Unicode general category Cf (format) and the other invisible, direction-changing or
/// line-breaking characters a terminal should never receive from untrusted text.
pub fn is_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x0600..=0x0605 | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180B..=0x180F | 0x200B..=0x200F | 0x2028..=0x202E
        | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F | 0xFEFF | 0xFFA0 | 0xFFF9..=0xFFFB
        | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// A character that must not reach a terminal raw.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_format(c)
}

/// A character that must not appear in text output (newlines are fine there).
pub fn is_unsafe_for_output(c: char) -> bool {
    is_unsafe(c) && c != '\n'
}

fn needs_cleaning(s: &str, keep_newlines: bool) -> bool {
    s.chars()
        .any(|c| (is_unsafe(c) && !(keep_newlines && c == '\n')) || c == '\t')
}

fn clean_impl(s: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut last_placeholder = false;
    let placeholder = |out: &mut String, last: &mut bool| {
        if !*last {
            out.push(PLACEHOLDER);
        }
        *last = true;
    };
    while let Some(c) = chars.next() {
        match c {
            '\n' if keep_newlines => {
                out.push('\n');
                last_placeholder = false;
            }
            '\n' | '\t' => {
                out.push(' ');
                last_placeholder = false;
            }
            '\r' => {
                // CRLF becomes LF; a lone CR (which would overwrite the line) becomes a break.
                if chars.peek() != Some(&'\n') {
                    out.push(if keep_newlines { '\n' } else { ' ' });
                }
            }
            '\u{1b}' => {
                skip_escape(&mut chars);
                placeholder(&mut out, &mut last_placeholder);
            }
            '\u{9b}' => {
                skip_csi_body(&mut chars);
                placeholder(&mut out, &mut last_placeholder);
            }
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => {
                skip_string_body(&mut chars);
                placeholder(&mut out, &mut last_placeholder);
            }
            c if c.is_control() => placeholder(&mut out, &mut last_placeholder),
            c if is_format(c) => {}
            c => {
                out.push(c);
                last_placeholder = false;
            }
        }
    }
    out
}

/// Skips the rest of an escape sequence after ESC.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi_body(chars);
        }
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
            chars.next();
            skip_string_body(chars);
        }
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            // nF sequences: intermediates then one final byte.
            while chars
                .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                .is_some()
            {}
            chars.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
        }
        Some(c) if ('\u{30}'..='\u{7e}').contains(&c) => {
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte.
fn skip_csi_body(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while chars
        .next_if(|c| ('\u{20}'..='\u{3f}').contains(c))
        .is_some()
    {}
    chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// OSC/DCS/SOS/PM/APC: everything up to BEL, ST (ESC \) or the C1 ST.
fn skip_string_body(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

/// Safe multi-line text: newlines kept, tabs become spaces, everything else unsafe removed.
pub fn clean_text(s: &str) -> Cow<'_, str> {
    if needs_cleaning(s, true) || s.contains('\r') {
        Cow::Owned(clean_impl(s, true))
    } else {
        Cow::Borrowed(s)
    }
}

/// Safe one-line text: newlines and tabs become spaces.
pub fn clean_line(s: &str) -> Cow<'_, str> {
    if needs_cleaning(s, false) {
        Cow::Owned(clean_impl(s, false))
    } else {
        Cow::Borrowed(s)
    }
}

/// JSON text with every character that could act on a terminal written as a `\u` escape.
/// serde_json already escapes C0; this adds DEL, C1 and format characters. Such characters can
/// only occur inside JSON strings, so the replacement keeps the document valid.
pub fn escape_json_output(json: &str) -> Cow<'_, str> {
    if !json.chars().any(is_unsafe) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) && c != '\n' {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Input as the desk stores it: NUL bytes removed, line ends normalised to LF. Everything else
/// is kept as typed (the record stays faithful) and cleaned at display time.
pub fn normalize_input(s: &str) -> String {
    s.replace('\0', "").replace("\r\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escape_sequences_are_removed_whole() {
        assert_eq!(clean_line("a\u{1b}[2Jb"), "a\u{FFFD}b", "clear screen");
        assert_eq!(clean_line("a\u{1b}]0;pwned\u{7}b"), "a\u{FFFD}b", "title");
        assert_eq!(
            clean_line("\u{1b}]8;;http://evil\u{1b}\\click\u{1b}]8;;\u{1b}\\"),
            "\u{FFFD}click\u{FFFD}",
            "hyperlink"
        );
        assert_eq!(
            clean_line("x\u{1b}]52;c;cm0gLXJm\u{7}y"),
            "x\u{FFFD}y",
            "clipboard"
        );
        assert_eq!(clean_line("x\u{9b}31my"), "x\u{FFFD}y", "C1 CSI");
        assert_eq!(
            clean_line("x\u{1b}Py"),
            "x\u{FFFD}",
            "unterminated DCS eats the rest"
        );
        assert_eq!(clean_line("x\u{1b}(By"), "x\u{FFFD}y", "charset");
        assert_eq!(clean_line("x\u{1b}"), "x\u{FFFD}");
    }

    #[test]
    fn controls_and_format_characters() {
        assert_eq!(clean_line("a\u{7}\u{8}b"), "a\u{FFFD}b", "BEL BS collapse");
        assert_eq!(
            clean_line("pay\u{202E}lap.exe"),
            "paylap.exe",
            "bidi override"
        );
        assert_eq!(clean_line("zero\u{200B}width\u{FEFF}"), "zerowidth");
        assert_eq!(clean_line("tab\there"), "tab here");
        assert_eq!(clean_line("two\nlines"), "two lines");
        assert_eq!(clean_text("two\r\nlines\rover"), "two\nlines\nover");
        assert_eq!(clean_text("Привіт, світ"), "Привіт, світ");
        assert!(matches!(clean_text("plain\ntext"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escaping_keeps_documents_valid() {
        let v = serde_json::json!({"s": "a\u{1b}[2J\u{202E}\u{85}\u{E0001}b"});
        let text = serde_json::to_string(&v).expect("serialize");
        let safe = escape_json_output(&text);
        assert!(!safe.chars().any(is_unsafe), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, v);
    }

    proptest! {
        #[test]
        fn cleaned_text_holds_nothing_unsafe(s in "\\PC*|[\\x00-\\x{9f}\\x{200b}-\\x{206f}a-z]{0,64}") {
            let line = clean_line(&s);
            prop_assert!(!line.chars().any(is_unsafe), "{:?}", line);
            let text = clean_text(&s);
            prop_assert!(!text.chars().any(|c| is_unsafe(c) && c != '\n'), "{:?}", text);
        }

        #[test]
        fn safe_text_is_unchanged(s in "[a-zA-Z0-9 .,:;!?а-яА-ЯіїєґІЇЄҐ-]{0,64}") {
            prop_assert_eq!(clean_line(&s), s.as_str());
        }
    }
}
