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
    let mut best = Best::default();
    for part in parts {
        if best.open_to(part.field, terms) {
            best.take(read(part, terms));
        }
    }
    best.snippet()
}

/// How many different terms a window of a part of this field can hold at most: the terms
/// that may be found in it.
fn most(field: TextField, terms: &[Term]) -> usize {
    terms
        .iter()
        .filter(|t| t.field.is_none_or(|f| f == field))
        .count()
}

/// The best snippet of parts taken one by one in their order: [`best`], for a reader that
/// reads a part only when it can still change the answer ([`Best::open_to`]) and only as far
/// as it settles it ([`read`]).
///
/// Why a part read alone is enough: the parts' windows are weighed in order and a window
/// replaces the one kept only when it holds strictly more different terms, so the answer is
/// the first window of the first part whose best window holds the most — each part's own
/// best (the first of its windows holding most) decides it, and a part whose windows can
/// hold no more than the one kept changes nothing: it need not be read at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Best(Option<(usize, Snippet)>);

impl Best {
    /// Whether a part of `field` could replace the window kept: nothing is kept yet, or its
    /// windows could hold more different terms than the one kept.
    pub fn open_to(&self, field: TextField, terms: &[Term]) -> bool {
        match &self.0 {
            None => true,
            Some((held, _)) => most(field, terms) > *held,
        }
    }

    /// Whether a part whose windows can hold at most `most` different terms could replace
    /// the window kept (a part that can hold none never can).
    pub fn open_to_most(&self, most: usize) -> bool {
        most > 0 && self.0.as_ref().is_none_or(|(held, _)| most > *held)
    }

    /// Weighs the next part, as read.
    pub fn take(&mut self, part: PartReader<'_>) {
        if let Some((held, s)) = part.best
            && self.0.as_ref().is_none_or(|(kept, _)| held > *kept)
        {
            self.0 = Some((held, s));
        }
    }

    pub fn snippet(self) -> Option<Snippet> {
        self.0.map(|(_, s)| s)
    }
}

/// A part's best window: the first of its windows holding the most different terms —
/// a window is the words from [`BEFORE`] words before a match (one of the part's first
/// [`MOST_HITS`] matches), [`WORDS`] at most, and the matches wholly inside it count.
pub fn read<'q>(part: &Part<'_>, terms: &'q [Term]) -> PartReader<'q> {
    let mut r = PartReader::new(part.field, terms);
    r.more(part.text, true);
    r
}

/// Whether the snippet of a part of `field` whose text begins with `prefix` is already
/// known from `prefix` (see [`PartReader::more`]): a line break and any text after it
/// change nothing.
pub fn settled(field: TextField, prefix: &str, terms: &[Term]) -> bool {
    PartReader::new(field, terms).more(prefix, false)
}

/// A part's best window ([`read`]) read as its text comes: the words are read only as far as
/// the answer needs — a match is decided with as many words from where it starts as the
/// longest term has; a window is weighed once every match that can lie in it was sought and
/// the word after it (whether the text goes on) read; and reading stops at the
/// [`MOST_HITS`]th match, or at a window holding every term that may be found in the part
/// (no later window can hold more, and an equal one does not replace it).
#[derive(Debug, Clone)]
pub struct PartReader<'q> {
    field: TextField,
    /// The terms that may be found in this part, and the most words one of them has.
    here: Vec<&'q Term>,
    longest: usize,
    /// The words read, and where the words not read yet begin (bytes).
    ws: Vec<Word>,
    pos: usize,
    /// Every match: its first word, how many words, which term; how many of them have had
    /// their window weighed; the next word to seek matches at; whether all were sought.
    hits: Vec<(usize, usize, usize)>,
    weighed: usize,
    i: usize,
    sought: bool,
    done: bool,
    /// The window kept: how many different terms it holds, and its words.
    best: Option<(usize, Snippet)>,
}

impl<'q> PartReader<'q> {
    pub fn new(field: TextField, terms: &'q [Term]) -> Self {
        PartReader::among(field, terms, |_| true)
    }

    /// A reader of a part that can hold only the terms `held` says (by their place in
    /// `terms`) — those an index found in it: the others are not sought, and a window
    /// holding all of those settles it.
    pub fn among(field: TextField, terms: &'q [Term], held: impl Fn(usize) -> bool) -> Self {
        let here: Vec<&Term> = terms
            .iter()
            .enumerate()
            .filter(|(k, t)| held(*k) && t.field.is_none_or(|f| f == field))
            .map(|(_, t)| t)
            .collect();
        let longest = here.iter().map(|t| t.words.len()).max().unwrap_or(0).max(1);
        PartReader {
            field,
            // Nothing that may be found here: no text can hold any of it.
            done: here.is_empty(),
            here,
            longest,
            ws: Vec::new(),
            pos: 0,
            hits: Vec::new(),
            weighed: 0,
            i: 0,
            sought: false,
            best: None,
        }
    }

    /// Reads on in `text`, the part's text so far: the text given at the last call, then a
    /// line break and more (`last`: there is no more after it). Returns whether the part's
    /// window is known — always when `last`; otherwise when the end of `text` was never
    /// needed (the answer is settled): everything it was made of — the words read, where
    /// they lie, what lies between them — is the same in `text` followed by a line break
    /// (never part of a word) and anything at all, so that text has the same answer. Where
    /// the end was needed (another match may follow, a window may go on) it stops there, to
    /// go on from there at the next call.
    pub fn more(&mut self, text: &str, last: bool) -> bool {
        while !self.done {
            if let Some(&(first, _, _)) = self.hits.get(self.weighed) {
                let from = first.saturating_sub(BEFORE);
                if self.sought || self.i >= from + WORDS {
                    // One word past the window: whether the text goes on.
                    if !self.upto(text, from + WORDS + 1) && !last {
                        return false;
                    }
                    self.weighed += 1;
                    self.done = self.weigh(text, from) == self.here.len();
                    continue;
                }
            } else if self.sought {
                self.done = true;
                continue;
            }
            if !self.upto(text, self.i + self.longest) && !last {
                return false;
            }
            if self.i >= self.ws.len() {
                self.sought = true;
                continue;
            }
            for (k, t) in self.here.iter().enumerate() {
                if let Some(n) = matches_at(&self.ws, self.i, t) {
                    self.hits.push((self.i, n, k));
                    if self.hits.len() >= MOST_HITS {
                        self.sought = true;
                        break;
                    }
                }
            }
            self.i += 1;
        }
        true
    }

    /// Reads words of `text` until `n` are read; false when it ends before.
    fn upto(&mut self, text: &str, n: usize) -> bool {
        if self.ws.len() >= n {
            return true;
        }
        let mut rest = words_of(text.get(self.pos..).unwrap_or(""));
        let at = self.pos;
        let mut enough = true;
        while self.ws.len() < n {
            match rest.next() {
                Some(mut w) => {
                    w.start += at;
                    w.end += at;
                    self.pos = w.end;
                    self.ws.push(w);
                }
                None => {
                    self.pos = text.len();
                    enough = false;
                    break;
                }
            }
        }
        enough
    }

    /// Weighs the window from word `from` on, keeping it when it holds more different terms
    /// than the window kept (or none is kept); returns how many it holds.
    fn weigh(&mut self, text: &str, from: usize) -> usize {
        let to = (from + WORDS).min(self.ws.len());
        let inside = |h: &&(usize, usize, usize)| h.0 >= from && h.0 + h.1 <= to;
        let mut distinct: Vec<usize> = self.hits.iter().filter(inside).map(|h| h.2).collect();
        distinct.sort_unstable();
        distinct.dedup();
        let held = distinct.len();
        if self.best.as_ref().is_none_or(|(s, _)| held > *s) {
            let marks: Vec<(usize, usize)> = self
                .hits
                .iter()
                .filter(inside)
                .map(|h| (h.0, h.1))
                .collect();
            let part = Part {
                field: self.field,
                text,
            };
            self.best = Some((held, cut(&part, &self.ws, from, to, &marks)));
        }
        held
    }
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

    /// The terms of words typed: a word in quotes is a phrase, `body:` or `note:` before it
    /// names the part.
    fn typed_terms(typed: &[String]) -> Vec<Term> {
        let mut q = Cond::all();
        for t in typed {
            let (field, t) = match t.split_once(':') {
                Some(("body", t)) => (Some(TextField::Body), t),
                Some(("note", t)) => (Some(TextField::Note), t),
                _ => (None, t.as_str()),
            };
            let phrase = t.starts_with('"');
            q = q.and(Cond::Text(Text {
                field,
                text: t.trim_matches('"').into(),
                phrase,
            }));
        }
        terms(&q)
    }

    /// A part is settled once the window it shows and the word after it are read, and not
    /// before: a window at the end of what was read may go on, a term not found yet may be
    /// found further on.
    #[test]
    fn a_prefix_is_settled_once_its_window_and_the_word_after_it_are_read() {
        let lift = terms(&word("lift"));
        // 18 words: the window of the match on word 2 is all of them.
        let text = "The lift stopped between floors again; the technician replaced a relay and \
                    left the building at noon today";
        assert!(!settled(TextField::Note, text, &lift), "does it go on?");
        let more = format!("{text} again");
        assert!(settled(TextField::Note, &more, &lift));
        let s = best(
            &[Part {
                field: TextField::Note,
                text: &more,
            }],
            &lift,
        )
        .expect("found");
        assert_eq!(marked(&s), format!("The [lift] {}…", &text[9..]));
        // Not found yet, or one of two terms only: anything further may hold it.
        assert!(!settled(TextField::Note, "no word of it", &lift));
        let two = terms(&word("lift").and(word("boiler")));
        assert!(!settled(TextField::Note, &more.repeat(20), &two));
        assert!(settled(
            TextField::Note,
            &format!("{more} boiler {more}"),
            &two
        ));
        // Both in one window: settled though the window is the first of many.
        assert!(settled(
            TextField::Note,
            &format!("lift boiler {more}"),
            &two
        ));
        // Terms of another part only: nothing here can change.
        let body = terms(&Cond::Text(Text {
            field: Some(TextField::Body),
            text: "lift".into(),
            phrase: false,
        }));
        assert!(settled(TextField::Note, "", &body));
        // More matches than are weighed: settled once the last window weighed is read.
        let heat = terms(&word("heat").and(word("boiler")));
        let full = "heat ".repeat(MOST_HITS + 30);
        assert!(settled(TextField::Note, &full, &heat));
        assert!(!settled(
            TextField::Note,
            &"heat ".repeat(MOST_HITS + 5),
            &heat
        ));
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
            let ts = typed_terms(&typed);
            prop_assert_eq!(best(&parts, &ts), best_whole(&parts, &ts));
        }

        /// A part whose first words settle its snippet has the snippet of that text followed
        /// by a line break and anything at all (what the store reads a ticket's history up
        /// to): alone, and among other parts (one before it, one after, the terms perhaps of
        /// one part only).
        #[test]
        fn a_settled_prefix_says_what_any_text_after_it_would(
            prefix in prop::collection::vec("(heat|heating|the|flat|no|квартира|x1|,|\\n)", 0..1500),
            rest in prop::collection::vec("(heat|the|flat|boiler|no heating|no|.|\\n)", 0..300),
            body in prop::collection::vec("(heat|flat|boiler|no|x)", 0..40),
            typed in prop::collection::vec(
                "(heat|the|flat|\"no heating\"|квартиры|boiler|x|body:flat|note:heat|note:\"no heating\")",
                1..4,
            ),
        ) {
            let ts = typed_terms(&typed);
            let (prefix, rest, body) = (prefix.join(" "), rest.join(" "), body.join(" "));
            let whole = format!("{prefix}\n{rest}");
            if settled(TextField::Note, &prefix, &ts) {
                let note = |text| Part { field: TextField::Note, text };
                prop_assert_eq!(read(&note(&prefix), &ts).best, read(&note(&whole), &ts).best);
                let parts = |text| [
                    Part { field: TextField::Body, text: &body },
                    note(text),
                    Part { field: TextField::Subject, text: "no heating in the flat" },
                ];
                prop_assert_eq!(best(&parts(&prefix), &ts), best_whole(&parts(&whole), &ts));
            }
        }

        /// A part given a line at a time, as the store reads a ticket's history event by
        /// event, says what it says read whole, and once settled what any text after it
        /// would.
        #[test]
        fn a_part_read_a_line_at_a_time_says_what_it_says_whole(
            lines in prop::collection::vec(
                prop::collection::vec("(heat|heating|the|flat|no|boiler|x1|,)", 0..120),
                0..30,
            ),
            typed in prop::collection::vec(
                "(heat|the|flat|\"no heating\"|boiler|x|note:heat|body:flat)",
                1..4,
            ),
        ) {
            let ts = typed_terms(&typed);
            let lines: Vec<String> = lines.iter().map(|l| l.join(" ")).collect();
            let whole = lines.join("\n");
            let alone = read(&Part { field: TextField::Note, text: &whole }, &ts).best;
            let mut r = PartReader::new(TextField::Note, &ts);
            let mut text = String::new();
            let mut settled = false;
            for (k, line) in lines.iter().enumerate() {
                if k > 0 {
                    text.push('\n');
                }
                text.push_str(line);
                if r.more(&text, false) {
                    settled = true;
                    break;
                }
            }
            if !settled {
                r.more(&text, true);
            }
            prop_assert_eq!(r.best, alone);
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
