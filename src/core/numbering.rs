//! Readable ticket numbers: templates, check digits, tolerant parsing and typo candidates.
//!
//! A template such as `{cat}-{yy}{mm}-{seq:5}-{check}` renders `HSG-2611-00042-7`.
//! The sequence scope is the rendered template with the sequence left open, so a template
//! with `{yyyy}` restarts every year and one with `{cat}` counts per category; two templates
//! that could render the same number share one counter.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// The check-digit algorithm used by `{check}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckAlgo {
    /// Damm: catches every single-digit error and every adjacent transposition.
    #[default]
    Damm,
    /// Luhn: catches every single-digit error and most adjacent transpositions.
    Luhn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    tokens: Vec<Token>,
}

/// Why a template is not usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError(pub String);

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The widest sequence a template may ask for (u64 holds 19 digits).
const MAX_SEQ_WIDTH: usize = 18;

const KNOWN_TOKENS: &str = "{prefix} {yyyy} {yy} {mm} {dd} {cat} {group} {seq:N} {check}";

impl Template {
    pub fn parse(source: &str) -> Result<Template, TemplateError> {
        let err = |msg: String| {
            Err(TemplateError(format!(
                "numbering template '{source}': {msg}"
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
                        return err("a '{' is not closed".into());
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
                                    return err(format!(
                                        "{{seq:N}} needs a width N from 1 to {MAX_SEQ_WIDTH}, not '{width}'"
                                    ));
                                }
                            },
                            None => {
                                return err(format!(
                                    "unknown token {{{other}}} (known: {KNOWN_TOKENS})"
                                ));
                            }
                        },
                    };
                    tokens.push(token);
                }
                '}' => return err("a '}' has no matching '{'".into()),
                c if c.is_ascii_graphic() => lit.push(c),
                c => {
                    return err(format!(
                        "only printable ASCII may appear between tokens, not {c:?}"
                    ));
                }
            }
        }
        if !lit.is_empty() {
            tokens.push(Token::Lit(lit));
        }
        let seqs = tokens.iter().filter(|t| matches!(t, Token::Seq(_))).count();
        if seqs != 1 {
            return err(format!("needs exactly one {{seq:N}}, found {seqs}"));
        }
        let checks: Vec<usize> = positions(&tokens, |t| *t == Token::Check);
        let seq_at = positions(&tokens, |t| matches!(t, Token::Seq(_)))[0];
        match checks.as_slice() {
            [] => {}
            [c] if *c > seq_at => {}
            [_] => return err("{check} must come after {seq:N}, so it covers it".into()),
            _ => return err("{check} may appear only once".into()),
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

    /// Renders the number for sequence value `seq`.
    pub fn render(&self, parts: &Parts<'_>, seq: u64, algo: CheckAlgo) -> String {
        let values = self.values(parts, seq);
        assemble(&self.tokens, &values, algo)
    }

    /// The sequence scope for these parts: the number with its sequence left open.
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

/// Joins token values, computing `{check}` over every digit before it.
fn assemble(tokens: &[Token], values: &[String], algo: CheckAlgo) -> String {
    let mut out = String::new();
    for (t, v) in tokens.iter().zip(values) {
        if *t == Token::Check {
            let digit = check_digit(algo, out.chars().filter(char::is_ascii_digit));
            out.push(char::from(b'0' + digit));
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
            Token::Seq(_) => out.push_str("{seq}"),
            Token::Check => {}
            _ => out.push_str(v),
        }
    }
    out
}

/// The values a template needs besides the sequence.
#[derive(Debug, Clone)]
pub struct Parts<'a> {
    pub prefix: &'a str,
    pub date: NaiveDate,
    pub cat: &'a str,
    pub group: &'a str,
}

const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

fn digit_values(digits: impl IntoIterator<Item = char>) -> Vec<u8> {
    digits
        .into_iter()
        .filter_map(|c| c.to_digit(10))
        .map(|d| d as u8)
        .collect()
}

/// The Damm check digit of a digit string (non-digits are ignored).
pub fn damm(digits: impl IntoIterator<Item = char>) -> u8 {
    digit_values(digits)
        .into_iter()
        .fold(0u8, |interim, d| DAMM[interim as usize][d as usize])
}

/// The Luhn check digit of a digit string (non-digits are ignored).
pub fn luhn(digits: impl IntoIterator<Item = char>) -> u8 {
    let sum: u32 = digit_values(digits)
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = d as u32;
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

pub fn check_digit(algo: CheckAlgo, digits: impl IntoIterator<Item = char>) -> u8 {
    match algo {
        CheckAlgo::Damm => damm(digits),
        CheckAlgo::Luhn => luhn(digits),
    }
}

/// Whether the last digit of `digits` is the correct check digit of the digits before it.
pub fn verify(algo: CheckAlgo, digits: &str) -> bool {
    let d: Vec<char> = digits.chars().filter(char::is_ascii_digit).collect();
    match d.split_last() {
        Some((last, payload)) => {
            char::from(b'0' + check_digit(algo, payload.iter().copied())) == *last
        }
        None => false,
    }
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
    pub algo: CheckAlgo,
}

/// A number read back through a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The number as the desk writes it (with its separators and correct check digit).
    pub canonical: String,
    pub scope: String,
    pub seq: u64,
    /// False when the typed check digit differs from the computed one.
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
    /// The input has the right shape but its check digit is wrong: a typo somewhere.
    WrongCheck {
        input: String,
    },
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
                "'{input}' has a wrong check digit: one of its characters is mistyped"
            ),
        }
    }
}

impl Grammar {
    /// An example number for messages: the first template, today-ish parts, sequence 42.
    pub fn example(&self, date: NaiveDate) -> String {
        let cat = self.cats.first().map(String::as_str).unwrap_or("GEN");
        let group = self.groups.first().map(String::as_str).unwrap_or("FRONT");
        match self.templates.first() {
            Some(t) => t.render(
                &Parts {
                    prefix: &self.prefix,
                    date,
                    cat,
                    group,
                },
                42,
                self.algo,
            ),
            None => String::from("?"),
        }
    }

    /// Reads a number typed by a person: case, spaces and missing separators are forgiven.
    /// A well-formed number with a wrong check digit is an error, never another ticket.
    pub fn parse(&self, input: &str, today: NaiveDate) -> Result<Parsed, NumberError> {
        let key = normalize(input);
        if key.is_empty() {
            return Err(NumberError::Empty);
        }
        let mut wrong_check = false;
        for t in &self.templates {
            if let Some(p) = self.match_template(t, &key) {
                if p.check_ok {
                    return Ok(p);
                }
                wrong_check = true;
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

    fn match_template(&self, t: &Template, key: &str) -> Option<Parsed> {
        let tokens = t.tokens();
        let mut values = vec![String::new(); tokens.len()];
        if !self.match_from(tokens, 0, key.as_bytes(), 0, &mut values) {
            return None;
        }
        let typed_check = tokens
            .iter()
            .position(|t| *t == Token::Check)
            .map(|i| values[i].clone());
        let canonical = assemble(tokens, &values, self.algo);
        let check_ok = match typed_check {
            Some(typed) => {
                let i = tokens.iter().position(|t| *t == Token::Check)?;
                let prefix = assemble(&tokens[..i], &values[..i], self.algo);
                let digit = check_digit(self.algo, prefix.chars().filter(char::is_ascii_digit));
                typed == char::from(b'0' + digit).to_string()
            }
            None => true,
        };
        let seq_at = tokens.iter().position(|t| matches!(t, Token::Seq(_)))?;
        let seq = values[seq_at].parse::<u64>().ok()?;
        Some(Parsed {
            canonical,
            scope: scope_of(tokens, &values),
            seq,
            check_ok,
        })
    }

    /// Backtracking match of `tokens[ti..]` against `key[pos..]`, filling `values`.
    fn match_from(
        &self,
        tokens: &[Token],
        ti: usize,
        key: &[u8],
        pos: usize,
        values: &mut Vec<String>,
    ) -> bool {
        let Some(token) = tokens.get(ti) else {
            return pos == key.len();
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
        let attempt = |value: String, len: usize, values: &mut Vec<String>| -> bool {
            values[ti] = value;
            self.match_from(tokens, ti + 1, key, pos + len, values)
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
            Token::Check => match digits_at(1) {
                Some(d) => attempt(d.to_string(), 1, values),
                None => false,
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

/// Keys at edit distance one from `key` (a normalised number): every digit replaced by another,
/// every letter by another, adjacent characters swapped, one character dropped, one digit added.
/// The store looks them up to suggest the ticket a person most likely meant.
pub fn edit_candidates(key: &str) -> Vec<String> {
    let chars: Vec<char> = key.chars().collect();
    let mut out = Vec::new();
    let mut push = |v: Vec<char>| {
        let s: String = v.into_iter().collect();
        if s != key && !s.is_empty() {
            out.push(s);
        }
    };
    for i in 0..chars.len() {
        let alphabet: Vec<char> = if chars[i].is_ascii_digit() {
            ('0'..='9').collect()
        } else {
            ('A'..='Z').collect()
        };
        for c in alphabet {
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
        for c in '0'..='9' {
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn grammar(source: &str) -> Grammar {
        Grammar {
            templates: vec![Template::parse(source).expect("valid template")],
            prefix: "REQ".into(),
            cats: vec!["HSG".into(), "SOC".into(), "GEN".into()],
            groups: vec!["FRONT".into(), "HOUSING".into()],
            algo: CheckAlgo::Damm,
        }
    }

    fn parts(cat: &str) -> Parts<'_> {
        Parts {
            prefix: "REQ",
            date: date(2026, 11, 23),
            cat,
            group: "HOUSING",
        }
    }

    const DEFAULT: &str = "{cat}-{yy}{mm}-{seq:5}-{check}";

    #[test]
    fn check_digit_test_vectors() {
        assert_eq!(damm("572".chars()), 4);
        assert_eq!(luhn("7992739871".chars()), 3);
        // A number followed by its own Damm digit checks to zero.
        assert_eq!(damm("5724".chars()), 0);
        assert!(verify(CheckAlgo::Damm, "5724"));
        assert!(verify(CheckAlgo::Luhn, "79927398713"));
        assert!(!verify(CheckAlgo::Luhn, "79927398710"));
        assert!(!verify(CheckAlgo::Damm, ""));
    }

    #[test]
    fn renders_the_default_template() {
        let t = Template::parse(DEFAULT).expect("valid");
        let n = t.render(&parts("HSG"), 42, CheckAlgo::Damm);
        let digit = damm("261100042".chars());
        assert_eq!(n, format!("HSG-2611-00042-{digit}"));
        assert_eq!(t.scope(&parts("HSG")), "HSG-2611-{seq}-");
    }

    #[test]
    fn renders_every_token() {
        let t = Template::parse("{prefix}/{yyyy}{dd}.{group}.{seq:3}").expect("valid");
        assert_eq!(
            t.render(&parts("HSG"), 7, CheckAlgo::Damm),
            "REQ/202623.HOUSING.007"
        );
        let t = Template::parse("{seq}").expect("valid");
        assert_eq!(t.render(&parts("HSG"), 12345, CheckAlgo::Damm), "12345");
    }

    #[test]
    fn scope_follows_the_template() {
        let yearly = Template::parse("SRV-{yyyy}-{seq:3}").expect("valid");
        let a = yearly.scope(&Parts {
            date: date(2026, 12, 31),
            ..parts("HSG")
        });
        let b = yearly.scope(&Parts {
            date: date(2027, 1, 1),
            ..parts("HSG")
        });
        assert_ne!(a, b, "a yearly template restarts every year");
        let c = yearly.scope(&Parts {
            date: date(2026, 1, 1),
            ..parts("SOC")
        });
        assert_eq!(a, c, "a template without {{cat}} counts across categories");
        let per_cat = Template::parse("{cat}{seq:4}").expect("valid");
        assert_ne!(per_cat.scope(&parts("HSG")), per_cat.scope(&parts("SOC")));
    }

    #[test]
    fn template_errors_are_clear() {
        let e = |s: &str| Template::parse(s).expect_err("should fail").0;
        assert!(e("ABC-{seq:5").contains("not closed"));
        assert!(e("ABC-{sequence}").contains("unknown token {sequence}"));
        assert!(e("ABC-{yyyy}").contains("exactly one {seq:N}"));
        assert!(e("{seq:3}{seq:3}").contains("exactly one"));
        assert!(e("{check}{seq:3}").contains("must come after"));
        assert!(e("{seq:0}").contains("width"));
        assert!(e("{seq:99}").contains("width"));
        assert!(e("A}{seq}").contains("no matching"));
        assert!(e("A B{seq}").contains("printable ASCII"));
    }

    #[test]
    fn parses_tolerantly() {
        let g = grammar(DEFAULT);
        let n = Template::parse(DEFAULT)
            .expect("valid")
            .render(&parts("HSG"), 42, CheckAlgo::Damm);
        let today = date(2026, 11, 23);
        for typed in [
            n.clone(),
            n.to_lowercase(),
            format!("  {n} "),
            n.replace('-', ""),
            n.replace('-', " "),
        ] {
            let p = g.parse(&typed, today).expect("parses");
            assert_eq!(p.canonical, n, "typed {typed:?}");
            assert_eq!(p.seq, 42);
            assert_eq!(p.scope, "HSG-2611-{seq}-");
        }
    }

    #[test]
    fn distinguishes_malformed_from_wrong_check() {
        let g = grammar(DEFAULT);
        let today = date(2026, 11, 23);
        let n = Template::parse(DEFAULT)
            .expect("valid")
            .render(&parts("HSG"), 42, CheckAlgo::Damm);
        let last = n.chars().last().expect("non-empty");
        let wrong = format!(
            "{}{}",
            &n[..n.len() - 1],
            if last == '0' { '1' } else { '0' }
        );
        assert!(matches!(
            g.parse(&wrong, today),
            Err(NumberError::WrongCheck { .. })
        ));
        match g.parse("HSG-26", today) {
            Err(NumberError::Malformed { example, .. }) => {
                assert!(
                    example.starts_with("GEN-2611-00042-")
                        || example.starts_with("HSG-2611-00042-")
                )
            }
            other => panic!("expected malformed, got {other:?}"),
        }
        assert_eq!(g.parse("  - ", today), Err(NumberError::Empty));
        // Unknown category code: malformed, not some other ticket.
        assert!(matches!(
            g.parse("XYZ-2611-00042-1", today),
            Err(NumberError::Malformed { .. })
        ));
        // Month 13 is not a month.
        assert!(matches!(
            g.parse("HSG-2613-00042-1", today),
            Err(NumberError::Malformed { .. })
        ));
    }

    #[test]
    fn sequence_may_outgrow_its_padding() {
        let g = grammar("ABC-{seq:3}");
        let p = g.parse("abc1234", date(2026, 1, 1)).expect("parses");
        assert_eq!(p.canonical, "ABC-1234");
        assert_eq!(p.seq, 1234);
        // But a padded run longer than the width is not the same number.
        assert!(g.parse("ABC-0123", date(2026, 1, 1)).is_err());
    }

    #[test]
    fn luhn_templates_parse_too() {
        let mut g = grammar("{yyyy}{seq:3}{check}");
        g.algo = CheckAlgo::Luhn;
        let t = &g.templates[0];
        let n = t.render(&parts("HSG"), 1, CheckAlgo::Luhn);
        assert_eq!(n.len(), 8);
        assert_eq!(g.parse(&n, date(2026, 1, 1)).expect("parses").canonical, n);
    }

    #[test]
    fn candidates_include_the_usual_typos() {
        let c = edit_candidates("HSG261100042");
        assert!(c.contains(&"HSG261100043".to_string()), "substitution");
        assert!(c.contains(&"HSG261100024".to_string()), "swap");
        assert!(c.contains(&"HSG26110042".to_string()), "deletion");
        assert!(c.contains(&"HSG2611000042".to_string()), "insertion");
        assert!(c.contains(&"HSF261100042".to_string()), "letter");
        assert!(!c.contains(&"HSG261100042".to_string()), "not itself");
    }

    proptest! {
        #[test]
        fn numbers_round_trip_through_parse(
            seq in 0u64..10_000_000,
            y in 2000i32..2100, m in 1u32..=12, d in 1u32..=28,
            cat in prop::sample::select(vec!["HSG", "SOC", "GEN"]),
            template in prop::sample::select(vec![
                DEFAULT, "{prefix}-{yyyy}-{seq:6}", "{cat}{seq:3}{check}",
                "{yyyy}{mm}{dd}{seq:4}", "{group}/{yy}/{seq:2}-{check}", "ABC-{seq:5}",
            ]),
            lower in any::<bool>(),
            dashless in any::<bool>(),
        ) {
            let g = grammar(template);
            let p = Parts { prefix: "REQ", date: date(y, m, d), cat, group: "HOUSING" };
            let n = g.templates[0].render(&p, seq, CheckAlgo::Damm);
            let mut typed = n.clone();
            if lower { typed = typed.to_lowercase(); }
            if dashless { typed = typed.replace(['-', '/'], ""); }
            let parsed = g.parse(&typed, date(2026, 1, 1));
            prop_assert!(parsed.is_ok(), "{} did not parse: {:?}", typed, parsed);
            let parsed = parsed.expect("checked");
            prop_assert_eq!(&parsed.canonical, &n);
            prop_assert_eq!(parsed.seq, seq);
            prop_assert_eq!(parsed.scope, g.templates[0].scope(&p));
        }

        #[test]
        fn damm_catches_every_single_digit_error(digits in "[0-9]{1,16}", pos in any::<prop::sample::Index>(), delta in 1u8..10) {
            let with_check = format!("{digits}{}", damm(digits.chars()));
            let mut bytes = with_check.into_bytes();
            let i = pos.index(bytes.len());
            bytes[i] = b'0' + (bytes[i] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).expect("ascii");
            prop_assert!(!verify(CheckAlgo::Damm, &typo), "{} not caught", typo);
        }

        #[test]
        fn damm_catches_every_adjacent_swap(digits in "[0-9]{2,16}", pos in any::<prop::sample::Index>()) {
            let with_check = format!("{digits}{}", damm(digits.chars()));
            let mut bytes = with_check.into_bytes();
            let i = pos.index(bytes.len() - 1);
            prop_assume!(bytes[i] != bytes[i + 1]);
            bytes.swap(i, i + 1);
            let typo = String::from_utf8(bytes).expect("ascii");
            prop_assert!(!verify(CheckAlgo::Damm, &typo), "{} not caught", typo);
        }

        #[test]
        fn luhn_catches_every_single_digit_error(digits in "[0-9]{1,16}", pos in any::<prop::sample::Index>(), delta in 1u8..10) {
            let with_check = format!("{digits}{}", luhn(digits.chars()));
            let mut bytes = with_check.clone().into_bytes();
            let i = pos.index(bytes.len());
            bytes[i] = b'0' + (bytes[i] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).expect("ascii");
            prop_assert!(verify(CheckAlgo::Luhn, &with_check));
            prop_assert!(!verify(CheckAlgo::Luhn, &typo), "{} not caught", typo);
        }

        #[test]
        fn a_typo_never_parses_as_another_valid_number(seq in 0u64..100_000, pos in any::<prop::sample::Index>(), delta in 1u8..10) {
            let g = grammar(DEFAULT);
            let n = g.templates[0].render(&parts("HSG"), seq, CheckAlgo::Damm);
            let mut bytes = n.clone().into_bytes();
            let digit_positions: Vec<usize> = (0..bytes.len()).filter(|&i| bytes[i].is_ascii_digit()).collect();
            let i = digit_positions[pos.index(digit_positions.len())];
            bytes[i] = b'0' + (bytes[i] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).expect("ascii");
            let parsed = g.parse(&typo, date(2026, 1, 1));
            prop_assert!(parsed.is_err(), "{} parsed as {:?}", typo, parsed);
        }

        #[test]
        fn parse_never_panics(input in "\\PC{0,40}") {
            let _ = grammar(DEFAULT).parse(&input, date(2026, 1, 1));
        }

        #[test]
        fn template_parse_never_panics(input in "\\PC{0,40}") {
            let _ = Template::parse(&input);
        }
    }
}
