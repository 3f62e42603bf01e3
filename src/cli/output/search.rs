//! `desk search`'s output: each hit's line as `desk list` shows it, with the words that
//! matched under it (text), or the ticket with the part that matched (JSON).

use super::{list_rows, ticket_json};
use crate::core::config::Config;
use crate::core::query::TextField;
use crate::core::query::snippet::Snippet;
use crate::i18n::Catalog;
use crate::store::Ticket;
use crate::store::query::Count;
use crate::store::search::Hit;
use serde_json::{Value, json};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `desk search`'s hits: each ticket's line as `desk list` shows it, and under it the words
/// that matched, from the part of the ticket that holds most of them (marked in bold on a
/// terminal that takes colour) — unless that is the subject or number the line shows.
pub fn search_text(
    cfg: &Config,
    cat: &Catalog,
    hits: &[Hit],
    offset: usize,
    total: Count,
    now: i64,
    width: usize,
) -> String {
    if hits.is_empty() {
        return format!("{}\n", cat.t("search.none"));
    }
    let tickets: Vec<Ticket> = hits.iter().map(|h| h.ticket.clone()).collect();
    let bold = marks_shown();
    let mut out = String::new();
    for (line, h) in list_rows(cfg, cat, &tickets, now, width).iter().zip(hits) {
        out.push_str(line);
        out.push('\n');
        // A match in the subject or the number shows on the ticket's line already.
        let shown = h
            .snippet
            .as_ref()
            .filter(|s| !matches!(s.field, TextField::Subject | TextField::Number));
        if let Some(s) = shown {
            let label = cat.id("search.part", s.field.as_str());
            let room = width
                .saturating_sub(6 + UnicodeWidthStr::width(label.as_str()))
                .max(20);
            out.push_str(&format!("    {label}: {}\n", marked(s, room, bold)));
        }
    }
    let shown = (offset + hits.len()) as i64;
    let (total, exact) = total.number();
    let key = ["search.more_than", "search.more"][usize::from(exact)];
    if total > shown {
        out.push_str(&cat.f(
            key,
            &[
                ("n", (total - shown).to_string()),
                ("next", shown.to_string()),
            ],
        ));
        out.push('\n');
    }
    out
}

/// Matched words are shown in bold on a terminal, unless NO_COLOR says otherwise.
fn marks_shown() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A snippet at most `room` columns wide, its matched words in bold when `bold`.
fn marked(s: &Snippet, room: usize, bold: bool) -> String {
    let mut out = String::new();
    let mut used = 0;
    let mut in_mark = false;
    for (i, c) in s.text.char_indices() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room.saturating_sub(1) {
            if in_mark && bold {
                out.push_str("\x1b[22m");
            }
            out.push('…');
            return out;
        }
        let starts = s.marks.iter().any(|(a, _)| *a == i);
        let ends = s.marks.iter().any(|(_, b)| *b == i);
        if bold && ends && in_mark {
            out.push_str("\x1b[22m");
            in_mark = false;
        }
        if bold && starts {
            out.push_str("\x1b[1m");
            in_mark = true;
        }
        out.push(c);
        used += w;
    }
    if in_mark {
        out.push_str("\x1b[22m");
    }
    out
}

/// A hit for scripts: the ticket as `desk show --json` gives it, and `match`: the part that
/// matched, the words around it, and where the matched words are (character offsets).
pub fn hit_json(cfg: &Config, h: &Hit) -> Value {
    let mut v = ticket_json(cfg, &h.ticket, None);
    if let (Some(s), Some(obj)) = (&h.snippet, v.as_object_mut()) {
        let chars = |byte: usize| s.text[..byte].chars().count();
        let marks: Vec<Value> = s
            .marks
            .iter()
            .map(|(a, b)| json!([chars(*a), chars(*b)]))
            .collect();
        obj.insert(
            "match".into(),
            json!({"part": s.field.as_str(), "text": s.text, "marks": marks}),
        );
    }
    v
}
