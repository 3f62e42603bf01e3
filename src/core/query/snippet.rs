//! Why a ticket was found: the few words around what a search matched, from the part of the
//! ticket holding most of it, with the matched words marked — one clean line, safe for a
//! terminal. Pure: it takes the ticket's texts and the query; the store reads them.

use super::words::{Word, stem, words, words_of};
use super::{Cond, Text, TextField};
use crate::core::sanitize::is_unsafe;

/// What a query looks for in text: the stem of a word (found at the start of a word), or a
/// phrase's words in a row; perhaps in one part of the ticket only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub field: Option<TextField>,
    /// Folded: a word's stem, or a phrase's words (the last one found as a start).
    pub words: Vec<String>,
    pub phrase: bool,
}

/// The terms a condition looks for (not those it leaves out).
pub fn terms(c: &Cond) -> Vec<Term> {
    let mut out = Vec::new();
    collect(c, &mut out);
    out
}

fn collect(c: &Cond, out: &mut Vec<Term>) {
    match c {
        Cond::And(cs) | Cond::Or(cs) => cs.iter().for_each(|c| collect(c, out)),
        Cond::Text(Text {
            field,
            text,
            phrase: true,
        }) => {
            let ws: Vec<String> = words(text).into_iter().map(|w| w.folded).collect();
            if !ws.is_empty() {
                out.push(Term {
                    field: *field,
                    words: ws,
                    phrase: true,
                });
            }
        }
        Cond::Text(Text { field, text, .. }) => {
            for w in text.split_whitespace() {
                let w = w.trim_matches(|c: char| !c.is_alphanumeric());
                if w.chars().count() < 2 {
                    continue;
                }
                // A word with signs inside is the phrase of its parts, the last a start.
                let parts: Vec<String> = words(w).into_iter().map(|x| x.folded).collect();
                let (ws, phrase) = if parts.len() == 1 {
                    (vec![stem(w)], false)
                } else {
                    (parts, true)
                };
                out.push(Term {
                    field: *field,
                    words: ws,
                    phrase,
                });
            }
        }
        // What is left out is not shown.
        _ => {}
    }
}

/// A part of the ticket a snippet may come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part<'a> {
    pub field: TextField,
    pub text: &'a str,
}

/// The words around a match, on one line, and where the matched words are in it (byte
/// ranges, in order, not overlapping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub field: TextField,
    pub text: String,
    pub marks: Vec<(usize, usize)>,
}

/// Words shown before the first match, and at most in all.
const BEFORE: usize = 4;
const WORDS: usize = 18;
/// Matches weighed per part (a long text full of a common word is not read to its end).
const MOST_HITS: usize = 200;

/// How many words from `i` on match a term.
fn matches_at(ws: &[Word], i: usize, t: &Term) -> Option<usize> {
    let n = t.words.len();
    if n == 0 || i + n > ws.len() {
        return None;
    }
    let ok = t.words.iter().enumerate().all(|(k, w)| {
        let have = &ws[i + k].folded;
        if t.phrase && k + 1 < n {
            have == w
        } else {
            have.starts_with(w.as_str())
        }
    });
    ok.then_some(n)
}

/// The best snippet: the window of words holding the most different terms, from the parts
/// in the order given (an earlier part wins a tie). None when no part holds a term.
pub fn best(parts: &[Part<'_>], terms: &[Term]) -> Option<Snippet> {
    let mut best: Option<(usize, Snippet)> = None;
    // A term's words: a match is decided with that many words from where it starts.
    let longest = terms.iter().map(|t| t.words.len()).max().unwrap_or(0);
    for part in parts {
        // The part's words, read as far as the matches and their windows need: a long text
        // full of a common word is read to its first matches only (a note of megabytes).
        let mut rest = words_of(part.text);
        let mut ws: Vec<Word> = Vec::new();
        let mut upto = |ws: &mut Vec<Word>, n: usize| {
            while ws.len() < n {
                match rest.next() {
                    Some(w) => ws.push(w),
                    None => break,
                }
            }
        };
        let here: Vec<&Term> = terms
            .iter()
            .filter(|t| t.field.is_none_or(|f| f == part.field))
            .collect();
        // Every match: its first word, how many words, which term.
        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        let mut i = 0;
        'words: loop {
            upto(&mut ws, i + longest.max(1));
            if i >= ws.len() {
                break;
            }
            for (k, t) in here.iter().enumerate() {
                if let Some(n) = matches_at(&ws, i, t) {
                    hits.push((i, n, k));
                    if hits.len() >= MOST_HITS {
                        break 'words;
                    }
                }
            }
            i += 1;
        }
        for &(first, _, _) in &hits {
            let from = first.saturating_sub(BEFORE);
            // One word past the window: whether the text goes on.
            upto(&mut ws, from + WORDS + 1);
            let to = (from + WORDS).min(ws.len());
            let inside: Vec<(usize, usize)> = hits
                .iter()
                .filter(|(i, n, _)| *i >= from && i + n <= to)
                .map(|(i, n, _)| (*i, *n))
                .collect();
            let mut distinct: Vec<usize> = hits
                .iter()
                .filter(|(i, n, _)| *i >= from && i + n <= to)
                .map(|h| h.2)
                .collect();
            distinct.sort_unstable();
            distinct.dedup();
            if best.as_ref().is_some_and(|(s, _)| *s >= distinct.len()) {
                continue;
            }
            let snippet = cut(part, &ws, from, to, &inside);
            best = Some((distinct.len(), snippet));
        }
    }
    best.map(|(_, s)| s)
}

/// What lies between words, on one line: spaces, controls and line breaks become one space.
fn gap(between: &str) -> String {
    let mut out = String::new();
    for c in between.chars() {
        let c = if c.is_whitespace() || is_unsafe(c) {
            ' '
        } else {
            c
        };
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

/// The words `from..to` of a part on one line (what lies between words kept when it is
/// printable, a space otherwise), with the matches marked.
fn cut(part: &Part<'_>, ws: &[Word], from: usize, to: usize, hits: &[(usize, usize)]) -> Snippet {
    let mut text = String::new();
    let mut starts = vec![0usize; to - from];
    let mut ends = vec![0usize; to - from];
    if from > 0 {
        text.push('…');
    } else {
        text.push_str(gap(&part.text[..ws[0].start]).trim_start());
    }
    for k in from..to {
        if k > from {
            text.push_str(&gap(&part.text[ws[k - 1].end..ws[k].start]));
        }
        starts[k - from] = text.len();
        text.push_str(&part.text[ws[k].start..ws[k].end]);
        ends[k - from] = text.len();
    }
    if to < ws.len() {
        text.push('…');
    } else {
        text.push_str(gap(&part.text[ws[to - 1].end..]).trim_end());
    }
    let mut marks: Vec<(usize, usize)> = hits
        .iter()
        .map(|(i, n)| (starts[i - from], ends[i + n - 1 - from]))
        .collect();
    marks.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for m in marks {
        match merged.last_mut() {
            Some(last) if m.0 <= last.1 => last.1 = last.1.max(m.1),
            _ => merged.push(m),
        }
    }
    Snippet {
        field: part.field,
        text,
        marks: merged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn word(s: &str) -> Cond {
        Text::words(s)
    }

    fn marked(s: &Snippet) -> String {
        let mut out = String::new();
        let mut at = 0;
        for (a, b) in &s.marks {
            out.push_str(&s.text[at..*a]);
            out.push('[');
            out.push_str(&s.text[*a..*b]);
            out.push(']');
            at = *b;
        }
        out.push_str(&s.text[at..]);
        out
    }

    #[test]
    fn the_part_with_most_of_the_query_is_shown_with_its_words_marked() {
        let body = "Since Monday the radiators in flat 12 are cold.\nThe heating\tcompany \
                    says the boiler was repaired, but\u{1b}[31m nothing changed. Please send someone.";
        let note = "Called the heating company: a plumber comes Thursday.";
        let parts = [
            Part {
                field: TextField::Subject,
                text: "No heating",
            },
            Part {
                field: TextField::Body,
                text: body,
            },
            Part {
                field: TextField::Note,
                text: note,
            },
        ];
        let q = word("heating").and(word("boilers"));
        let s = best(&parts, &terms(&q)).expect("found");
        assert_eq!(s.field, TextField::Body);
        assert_eq!(
            marked(&s),
            "…12 are cold. The [heating] company says the [boiler] was repaired, but [31m nothing changed. Please send someone."
        );
        assert!(!s.text.chars().any(is_unsafe), "{:?}", s.text);
        // A phrase, and a part named.
        let q = Cond::Text(Text {
            field: Some(TextField::Note),
            text: "heating company".into(),
            phrase: true,
        });
        let s = best(&parts, &terms(&q)).expect("found");
        assert_eq!(
            marked(&s),
            "Called the [heating company]: a plumber comes Thursday."
        );
        // Left out: not shown; nothing found: nothing.
        assert_eq!(best(&parts, &terms(&word("boiler").not())), None);
        assert_eq!(best(&parts, &terms(&word("gas"))), None);
        // Cyrillic forms.
        let parts = [Part {
            field: TextField::Body,
            text: "В КВАРТИРЕ холодно",
        }];
        let s = best(&parts, &terms(&word("квартира"))).expect("found");
        assert_eq!(marked(&s), "В [КВАРТИРЕ] холодно");
    }

    /// The snippet as it was read before words were read lazily: every word of every part
    /// first.
    fn best_whole(parts: &[Part<'_>], terms: &[Term]) -> Option<Snippet> {
        let mut best: Option<(usize, Snippet)> = None;
        for part in parts {
            let ws = words(part.text);
            let here: Vec<&Term> = terms
                .iter()
                .filter(|t| t.field.is_none_or(|f| f == part.field))
                .collect();
            let mut hits: Vec<(usize, usize, usize)> = Vec::new();
            'words: for i in 0..ws.len() {
                for (k, t) in here.iter().enumerate() {
                    if let Some(n) = matches_at(&ws, i, t) {
                        hits.push((i, n, k));
                        if hits.len() >= MOST_HITS {
                            break 'words;
                        }
                    }
                }
            }
            for &(first, _, _) in &hits {
                let from = first.saturating_sub(BEFORE);
                let to = (from + WORDS).min(ws.len());
                let inside: Vec<(usize, usize)> = hits
                    .iter()
                    .filter(|(i, n, _)| *i >= from && i + n <= to)
                    .map(|(i, n, _)| (*i, *n))
                    .collect();
                let mut distinct: Vec<usize> = hits
                    .iter()
                    .filter(|(i, n, _)| *i >= from && i + n <= to)
                    .map(|h| h.2)
                    .collect();
                distinct.sort_unstable();
                distinct.dedup();
                if best.as_ref().is_some_and(|(s, _)| *s >= distinct.len()) {
                    continue;
                }
                best = Some((distinct.len(), cut(part, &ws, from, to, &inside)));
            }
        }
        best.map(|(_, s)| s)
    }

    /// A text with more matches than are weighed is read to them and one window past (a
    /// note of megabytes full of `the` was split into words whole, 3 billion instructions
    /// for a page of `desk search the` on the 1M demo): the same snippet, which goes on.
    #[test]
    fn a_long_text_is_read_as_far_as_its_matches() {
        let body = format!(
            "{}flat heat {}",
            "heat ".repeat(MOST_HITS - 1),
            "and more words ".repeat(100_000)
        );
        let parts = [Part {
            field: TextField::Body,
            text: &body,
        }];
        let ts = terms(&word("heat").and(word("flat")));
        let s = best(&parts, &ts).expect("found");
        assert_eq!(Some(&s), best_whole(&parts, &ts).as_ref());
        // The first window that holds both words, and the text goes on.
        assert_eq!(marked(&s), format!("…{}[flat]…", "[heat] ".repeat(17)));
    }

    proptest! {
        /// Reading a part's words only as far as needed gives the snippet reading them all
        /// gave: texts of a few words, many times over (past the matches weighed per part),
        /// words and phrases in any part.
        #[test]
        fn words_read_as_needed_give_the_same_snippet(
            body in prop::collection::vec("(heat|heating|the|flat|no|квартира|x1|,|\\n)", 0..1500),
            note in prop::collection::vec("(the|heat|boiler|no heating|.)", 0..60),
            typed in prop::collection::vec("(heat|the|flat|\"no heating\"|квартиры|boiler|x)", 1..4),
        ) {
            let (body, note) = (body.join(" "), note.join(" "));
            let parts = [
                Part { field: TextField::Body, text: &body },
                Part { field: TextField::Note, text: &note },
            ];
            let mut q = Cond::all();
            for t in &typed {
                q = q.and(match t.strip_prefix('"') {
                    Some(p) => Cond::Text(Text {
                        field: None,
                        text: p.trim_end_matches('"').into(),
                        phrase: true,
                    }),
                    None => word(t),
                });
            }
            let ts = terms(&q);
            prop_assert_eq!(best(&parts, &ts), best_whole(&parts, &ts));
        }

        /// Any text and any words: marks inside the text, on character boundaries, in order;
        /// one line with nothing unsafe.
        #[test]
        fn snippets_are_clean_and_marked_within(
            text in "[ -~а-яё\\n\\t\\u{1b}\\u{202e}]{0,300}",
            typed in "[a-zа-я ]{1,20}",
        ) {
            let parts = [Part { field: TextField::Body, text: &text }];
            if let Some(s) = best(&parts, &terms(&word(&typed))) {
                prop_assert!(!s.text.contains('\n'));
                prop_assert!(!s.text.chars().any(is_unsafe));
                let mut at = 0;
                for (a, b) in &s.marks {
                    prop_assert!(at <= *a && a < b && *b <= s.text.len());
                    prop_assert!(s.text.is_char_boundary(*a) && s.text.is_char_boundary(*b));
                    at = *b;
                }
            }
        }
    }
}
