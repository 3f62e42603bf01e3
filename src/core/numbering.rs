//! Readable ticket numbers: templates, check characters, tolerant parsing and typo candidates.
//!
//! A template such as `{cat}-{yy}{mm}-{seq:5}-{check}` renders `HSG-2611-00042-K`.
//! A number's *series* (its scope) is the number with its sequence left open and its check
//! character and separators left out (`HSG2611{seq}`): a template with `{yyyy}` restarts every
//! year, one with `{cat}` counts per category, and two templates that differ only in separators
//! or padding continue one series. Each series keeps the check algorithm of its first number
//! (see `checksum`); `collision` proves that the templates of a configuration cannot render
//! the same number twice.

pub mod checksum;
pub mod collision;

pub use checksum::{CheckAlgo, damm, luhn, verify};

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// Where the sequence stands in a series key.
pub const SEQ_MARK: &str = "{seq}";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Token {
    Lit(String),
    Prefix,
    Yyyy,
    Yy,
    Mm,
    Dd,
    Cat,
    Group,
    /// The sequence, zero-padded to this width (0: no padding).
    Seq(usize),
    Check,
}

/// A parsed numbering template.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    source: String,
    tokens: Vec<Token>,
}

/// Why a template is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(pub crate::core::message::Message);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The widest sequence a template may ask for (u64 holds 19 digits).
const MAX_SEQ_WIDTH: usize = 18;

const KNOWN_TOKENS: &str = "{prefix} {yyyy} {yy} {mm} {dd} {cat} {group} {seq:N} {check}";

impl Template {
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        use crate::msg;
        let err = |why: crate::core::message::Message| {
            Err(TemplateError(msg!(
                "template.bad",
                template = source,
                why = why
            )))
        };
        let mut tokens = Vec::new();
        let mut lit = String::new();
        let mut chars = source.chars();
        while let Some(c) = chars.next() {
            match c {
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return err(msg!("template.unclosed"));
                    }
                    if !lit.is_empty() {
                        tokens.push(Token::Lit(std::mem::take(&mut lit)));
                    }
                    let token = match name.trim() {
                        "prefix" => Token::Prefix,
                        "yyyy" => Token::Yyyy,
                        "yy" => Token::Yy,
                        "mm" => Token::Mm,
                        "dd" => Token::Dd,
                        "cat" => Token::Cat,
                        "group" => Token::Group,
                        "check" => Token::Check,
                        "seq" => Token::Seq(0),
                        other => match other.strip_prefix("seq:") {
                            Some(width) => match width.trim().parse::<usize>() {
                                Ok(w) if (1..=MAX_SEQ_WIDTH).contains(&w) => Token::Seq(w),
                                _ => {
                                    return err(msg!(
                                        "template.seq_width",
                                        max = MAX_SEQ_WIDTH,
                                        width = width
                                    ));
                                }
                            },
                            None => {
                                return err(msg!(
                                    "template.unknown_token",
                                    token = format!("{{{other}}}"),
                                    known = KNOWN_TOKENS
                                ));
                            }
                        },
                    };
                    tokens.push(token);
                }
                '}' => return err(msg!("template.unopened")),
                c if c.is_ascii_graphic() => lit.push(c),
                c => {
                    return err(msg!("template.not_ascii", char = format!("{c:?}")));
                }
            }
        }
        if !lit.is_empty() {
            tokens.push(Token::Lit(lit));
        }
        let seqs = tokens.iter().filter(|t| matches!(t, Token::Seq(_))).count();
        if seqs != 1 {
            return err(msg!("template.seq_count", found = seqs));
        }
        let checks: Vec<usize> = positions(&tokens, |t| *t == Token::Check);
        let seq_at = positions(&tokens, |t| matches!(t, Token::Seq(_)))[0];
        match checks.as_slice() {
            [] => {}
            [c] if *c > seq_at => {
                // The check character is the number's last letter or digit: it covers every
                // other one, and a number's layout can be read back from its series.
                let after_alnum = tokens[c + 1..].iter().any(|t| match t {
                    Token::Lit(l) => l.chars().any(|ch| ch.is_ascii_alphanumeric()),
                    _ => true,
                });
                if after_alnum {
                    return err(msg!("template.check_last"));
                }
            }
            [_] => return err(msg!("template.check_after")),
            _ => return err(msg!("template.check_once")),
        }
        Ok(Template {
            source: source.to_string(),
            tokens,
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    pub fn has_check(&self) -> bool {
        self.tokens.contains(&Token::Check)
    }

    /// Renders the number for sequence value `seq`, with the check character of `algo` (the
    /// algorithm of its series).
    pub fn render(&self, parts: &Parts<'_>, seq: u64, algo: CheckAlgo) -> String {
        let values = self.values(parts, seq);
        assemble(&self.tokens, &values, algo)
    }

    /// The series key for these parts: the number with its sequence left open, upper case,
    /// letters and digits only, without the check character (`HSG2611{seq}`).
    pub fn scope(&self, parts: &Parts<'_>) -> String {
        let values = self.values(parts, 0);
        scope_of(&self.tokens, &values)
    }

    /// The values of every token but the check digit.
    fn values(&self, parts: &Parts<'_>, seq: u64) -> Vec<String> {
        self.tokens
            .iter()
            .map(|t| match t {
                Token::Lit(s) => s.clone(),
                Token::Prefix => parts.prefix.to_string(),
                Token::Yyyy => format!("{:04}", parts.date.year()),
                Token::Yy => format!("{:02}", parts.date.year().rem_euclid(100)),
                Token::Mm => format!("{:02}", parts.date.month()),
                Token::Dd => format!("{:02}", parts.date.day()),
                Token::Cat => parts.cat.to_string(),
                Token::Group => parts.group.to_string(),
                Token::Seq(w) => format!("{seq:0w$}", w = *w),
                Token::Check => String::new(),
            })
            .collect()
    }
}

fn positions(tokens: &[Token], pred: impl Fn(&Token) -> bool) -> Vec<usize> {
    tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| pred(t))
        .map(|(i, _)| i)
        .collect()
}

/// Joins token values, computing `{check}` over every letter and digit before it.
fn assemble(tokens: &[Token], values: &[String], algo: CheckAlgo) -> String {
    let mut out = String::new();
    for (t, v) in tokens.iter().zip(values) {
        if *t == Token::Check {
            out.push(algo.check_char(&normalize(&out)));
        } else {
            out.push_str(v);
        }
    }
    out
}

fn scope_of(tokens: &[Token], values: &[String]) -> String {
    let mut out = String::new();
    for (t, v) in tokens.iter().zip(values) {
        match t {
            Token::Seq(_) => out.push_str(SEQ_MARK),
            Token::Check => {}
            _ => out.push_str(&normalize(v)),
        }
    }
    out
}

/// The series key of a scope written by an older desk (`HSG-2611-{seq}-`): the same key a
/// template now gives it (`HSG2611{seq}`).
pub fn series_key(scope: &str) -> String {
    scope
        .split(SEQ_MARK)
        .map(normalize)
        .collect::<Vec<_>>()
        .join(SEQ_MARK)
}

/// How a stored number reads against its series: its check character, if it has one, and
/// whether the characters around the sequence are the series' own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// The number is its series with the sequence filled in, and no check character.
    Plain,
    /// The same, followed by this check character; `payload` is everything before it.
    Checked { payload: String, check: char },
    /// The number does not belong to this series with this sequence.
    Foreign,
}

/// Reads a stored number's normalised key against its series key and sequence value.
pub fn layout(scope: &str, seq: u64, key: &str) -> Layout {
    let scope = series_key(scope);
    let Some((before, after)) = scope.split_once(SEQ_MARK) else {
        return Layout::Foreign;
    };
    let Some(rest) = key.strip_prefix(before) else {
        return Layout::Foreign;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    // The sequence is a run of digits; what follows is the series' tail, or the tail with one
    // more character (the check) at its end. Try each length of the run, longest first.
    for len in (1..=digits).rev() {
        let (run, tail) = rest.split_at(len);
        if run.parse::<u64>().ok() != Some(seq) {
            continue;
        }
        if tail == after {
            return Layout::Plain;
        }
        if let Some(check) = tail.chars().last()
            && tail[..tail.len() - 1] == *after
        {
            return Layout::Checked {
                payload: key[..key.len() - 1].to_string(),
                check,
            };
        }
    }
    Layout::Foreign
}

/// The values a template needs besides the sequence.
#[derive(Debug, Clone)]
pub struct Parts<'a> {
    pub prefix: &'a str,
    pub date: NaiveDate,
    pub cat: &'a str,
    pub group: &'a str,
}

/// The key under which a number is looked up tolerantly: upper case, letters and digits only.
pub fn normalize(input: &str) -> String {
    input
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Everything needed to read numbers back: the templates in use and the codes they may contain.
#[derive(Debug, Clone)]
pub struct Grammar {
    pub templates: Vec<Template>,
    pub prefix: String,
    pub cats: Vec<String>,
    pub groups: Vec<String>,
    /// `[numbering] check`: the algorithm of new all-digit series.
    pub check: CheckAlgo,
}

/// A number read back through a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The number as the desk writes it (with its separators and correct check character).
    pub canonical: String,
    pub scope: String,
    pub seq: u64,
    /// False when the typed check character differs from the computed one.
    pub check_ok: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberError {
    Empty,
    /// The input fits no template; `example` shows what a number looks like.
    Malformed {
        input: String,
        example: String,
    },
    /// The input has the right shape but its check character is wrong: a typo somewhere.
    WrongCheck {
        input: String,
    },
    /// The input fits no template, but is one typo away from an existing number.
    Mistyped {
        input: String,
    },
}

impl NumberError {
    /// The catalog key and values of the message.
    pub fn key_args(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            NumberError::Empty => ("number.empty", vec![]),
            NumberError::Malformed { input, example } => (
                "number.malformed",
                vec![("input", input.clone()), ("example", example.clone())],
            ),
            NumberError::WrongCheck { input } => {
                ("number.wrong_check", vec![("input", input.clone())])
            }
            NumberError::Mistyped { input } => ("number.mistyped", vec![("input", input.clone())]),
        }
    }
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberError::Empty => f.write_str("no ticket number given"),
            NumberError::Malformed { input, example } => write!(
                f,
                "'{input}' is not a ticket number (they look like {example})"
            ),
            NumberError::WrongCheck { input } => write!(
                f,
                "'{input}' has a wrong check character: one of its characters is mistyped"
            ),
            NumberError::Mistyped { input } => write!(
                f,
                "'{input}' is not a ticket number: one of its characters is mistyped"
            ),
        }
    }
}

/// The check algorithm of each series the desk has numbered (None: not numbered yet).
pub type SeriesAlgo<'a> = &'a dyn Fn(&str) -> Option<CheckAlgo>;

impl Grammar {
    /// The algorithm of a series: its own, or the one a new series with this key would get.
    pub fn algo_of(&self, scope: &str, known: SeriesAlgo<'_>) -> CheckAlgo {
        known(scope).unwrap_or_else(|| CheckAlgo::for_new_series(scope, self.check))
    }

    /// An example number for messages: the first template, today-ish parts, sequence 42.
    pub fn example(&self, date: NaiveDate) -> String {
        let cat = self.cats.first().map(String::as_str).unwrap_or("GEN");
        let group = self.groups.first().map(String::as_str).unwrap_or("FRONT");
        match self.templates.first() {
            Some(t) => {
                let parts = Parts {
                    prefix: &self.prefix,
                    date,
                    cat,
                    group,
                };
                let algo = CheckAlgo::for_new_series(&t.scope(&parts), self.check);
                t.render(&parts, 42, algo)
            }
            None => String::from("?"),
        }
    }

    /// Reads a number typed by a person: case, spaces and missing separators are forgiven.
    /// A well-formed number with a wrong check character is an error, never another ticket.
    /// `known` gives the algorithm of each series already numbered.
    pub fn parse(
        &self,
        input: &str,
        today: NaiveDate,
        known: SeriesAlgo<'_>,
    ) -> Result<Parsed, NumberError> {
        let key = normalize(input);
        if key.is_empty() {
            return Err(NumberError::Empty);
        }
        let mut wrong_check = false;
        for t in &self.templates {
            let mut found = None;
            self.each_reading(
                t,
                &key,
                &mut |p| {
                    if p.check_ok {
                        found = Some(p);
                        true
                    } else {
                        wrong_check = true;
                        false
                    }
                },
                known,
            );
            if let Some(p) = found {
                return Ok(p);
            }
        }
        let input = input.trim().to_string();
        if wrong_check {
            Err(NumberError::WrongCheck { input })
        } else {
            Err(NumberError::Malformed {
                input,
                example: self.example(today),
            })
        }
    }

    /// Every reading of `key` (a normalised number) with a right check character.
    pub fn readings(&self, key: &str, known: SeriesAlgo<'_>) -> Vec<Parsed> {
        let mut out = Vec::new();
        for t in &self.templates {
            self.each_reading(
                t,
                key,
                &mut |p| {
                    if p.check_ok {
                        out.push(p);
                    }
                    false
                },
                known,
            );
        }
        out
    }

    /// Keys that differ from `key` only in one category or group code, its check character
    /// kept: what a person meant by a misheard code (`GEN` for `HSG`), which is more than one
    /// typo away.
    pub fn code_variants(&self, key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for t in &self.templates {
            let tokens = t.tokens();
            let mut values = vec![String::new(); tokens.len()];
            self.match_from(tokens, 0, key.as_bytes(), 0, &mut values, &mut |vals| {
                for (i, token) in tokens.iter().enumerate() {
                    let codes = match token {
                        Token::Cat => &self.cats,
                        Token::Group => &self.groups,
                        _ => continue,
                    };
                    for code in codes.iter().filter(|c| **c != vals[i]) {
                        let mut v = vals.to_vec();
                        v[i] = code.clone();
                        out.push(normalize(&v.concat()));
                    }
                }
                false
            });
        }
        out.sort();
        out.dedup();
        out.retain(|k| k != key);
        out
    }

    /// Every way `key` (a normalised number) reads through template `t`, until `visit` says
    /// it has found what it wanted.
    fn each_reading(
        &self,
        t: &Template,
        key: &str,
        visit: &mut dyn FnMut(Parsed) -> bool,
        known: SeriesAlgo<'_>,
    ) {
        let tokens = t.tokens();
        let mut values = vec![String::new(); tokens.len()];
        let mut done = |values: &[String]| -> bool {
            let Some(seq) = tokens
                .iter()
                .position(|t| matches!(t, Token::Seq(_)))
                .and_then(|i| values[i].parse::<u64>().ok())
            else {
                return false;
            };
            let scope = scope_of(tokens, values);
            let algo = self.algo_of(&scope, known);
            let canonical = assemble(tokens, values, algo);
            let check_ok = match tokens.iter().position(|t| *t == Token::Check) {
                Some(i) => {
                    let typed = values[i].chars().next().unwrap_or(' ');
                    let payload = normalize(&assemble(&tokens[..i], &values[..i], algo));
                    algo.may_be(typed) && algo.accepts(&payload, typed)
                }
                None => true,
            };
            visit(Parsed {
                canonical,
                scope,
                seq,
                check_ok,
            })
        };
        self.match_from(tokens, 0, key.as_bytes(), 0, &mut values, &mut done);
    }

    /// Backtracking match of `tokens[ti..]` against `key[pos..]`, filling `values`.
    fn match_from(
        &self,
        tokens: &[Token],
        ti: usize,
        key: &[u8],
        pos: usize,
        values: &mut Vec<String>,
        done: &mut dyn FnMut(&[String]) -> bool,
    ) -> bool {
        let Some(token) = tokens.get(ti) else {
            return pos == key.len() && done(values);
        };
        let rest = &key[pos..];
        let digits_at = |n: usize| -> Option<&str> {
            let s = rest.get(..n)?;
            if s.iter().all(u8::is_ascii_digit) {
                std::str::from_utf8(s).ok()
            } else {
                None
            }
        };
        let mut attempt = |value: String, len: usize, values: &mut Vec<String>| -> bool {
            values[ti] = value;
            self.match_from(tokens, ti + 1, key, pos + len, values, done)
        };
        match token {
            Token::Lit(lit) => {
                let norm = normalize(lit);
                rest.starts_with(norm.as_bytes()) && attempt(lit.clone(), norm.len(), values)
            }
            Token::Prefix => {
                let norm = normalize(&self.prefix);
                rest.starts_with(norm.as_bytes())
                    && attempt(self.prefix.clone(), norm.len(), values)
            }
            Token::Cat | Token::Group => {
                let codes = if *token == Token::Cat {
                    &self.cats
                } else {
                    &self.groups
                };
                let mut codes: Vec<&String> = codes.iter().collect();
                codes.sort_by_key(|c| std::cmp::Reverse(c.len()));
                codes.into_iter().any(|code| {
                    let norm = normalize(code);
                    !norm.is_empty()
                        && rest.starts_with(norm.as_bytes())
                        && attempt(code.clone(), norm.len(), values)
                })
            }
            Token::Yyyy | Token::Yy | Token::Mm | Token::Dd => {
                let (width, range) = match token {
                    Token::Yyyy => (4, 1..=9999),
                    Token::Yy => (2, 0..=99),
                    Token::Mm => (2, 1..=12),
                    _ => (2, 1..=31),
                };
                match digits_at(width) {
                    Some(d) if d.parse::<u32>().is_ok_and(|v| range.contains(&v)) => {
                        attempt(d.to_string(), width, values)
                    }
                    _ => false,
                }
            }
            Token::Check => match rest.first() {
                Some(c) if c.is_ascii_alphanumeric() => {
                    attempt(char::from(*c).to_string(), 1, values)
                }
                _ => false,
            },
            Token::Seq(width) => {
                let run = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                let min = (*width).max(1);
                let max = run.min(19);
                // Prefer the declared width, then longer (a sequence outgrew its padding).
                // A run longer than the width is only canonical without extra leading zeros.
                (min..=max).any(|len| match digits_at(len) {
                    Some(d)
                        if d.parse::<u64>().is_ok() && (len <= *width || !d.starts_with('0')) =>
                    {
                        attempt(d.to_string(), len, values)
                    }
                    _ => false,
                })
            }
        }
    }
}

/// Keys at edit distance one from `key` (a normalised number): every character replaced by
/// any other letter or digit, adjacent characters swapped, one character dropped, one added.
/// The store looks them up to suggest the ticket a person most likely meant.
pub fn edit_candidates(key: &str) -> Vec<String> {
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let chars: Vec<char> = key.chars().collect();
    let mut out = Vec::new();
    let mut push = |v: Vec<char>| {
        let s: String = v.into_iter().collect();
        if s != key && !s.is_empty() {
            out.push(s);
        }
    };
    for i in 0..chars.len() {
        for c in ALPHABET.iter().map(|b| char::from(*b)) {
            if c != chars[i] {
                let mut v = chars.clone();
                v[i] = c;
                push(v);
            }
        }
        if i + 1 < chars.len() && chars[i] != chars[i + 1] {
            let mut v = chars.clone();
            v.swap(i, i + 1);
            push(v);
        }
        let mut v = chars.clone();
        v.remove(i);
        push(v);
    }
    for i in 0..=chars.len() {
        for c in ALPHABET.iter().map(|b| char::from(*b)) {
            let mut v = chars.clone();
            v.insert(i, c);
            push(v);
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests;
