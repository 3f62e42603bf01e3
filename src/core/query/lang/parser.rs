//! Reading: the query's text to a condition, with the column of any mistake.

use super::*;

pub(super) struct Parser<'a> {
    pub(super) s: Vec<char>,
    pub(super) i: usize,
    pub(super) vocab: &'a Vocabulary,
    pub(super) template: bool,
    pub(super) params: Vec<Param>,
    pub(super) terms: usize,
    pub(super) depth: usize,
}

/// A value as typed: its text, whether it was quoted, and where it starts.
pub(super) struct Value {
    pub(super) text: String,
    pub(super) quoted: bool,
    pub(super) at: usize,
}

pub(super) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Characters that end a bare word.
pub(super) fn ends_word(c: char) -> bool {
    is_space(c) || matches!(c, '(' | ')' | '"')
}

pub(super) fn err<T>(i: usize, kind: ErrorKind) -> Result<T, QueryError> {
    Err(QueryError::at(i, kind))
}

/// `{name}`: a placeholder.
pub(super) fn placeholder(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut cs = inner.chars();
    let first = cs.next()?;
    (first.is_ascii_alphabetic() || first == '_')
        .then_some(())
        .filter(|_| cs.all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(|_| inner)
}

impl<'a> Parser<'a> {
    pub(super) fn new(
        text: &str,
        vocab: &'a Vocabulary,
        template: bool,
    ) -> Result<Parser<'a>, QueryError> {
        let s: Vec<char> = text.chars().collect();
        if s.len() > MAX_CHARS {
            return err(MAX_CHARS, ErrorKind::TooLong);
        }
        Ok(Parser {
            s,
            i: 0,
            vocab,
            template,
            params: Vec::new(),
            terms: 0,
            depth: 0,
        })
    }

    pub(super) fn run(&mut self) -> Result<Cond, QueryError> {
        let c = self.or()?;
        self.skip_space();
        if self.i < self.s.len() {
            // Only a `)` stops the reading early.
            return err(self.i, ErrorKind::UnopenedParen);
        }
        Ok(c.unwrap_or_else(Cond::all))
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.s.get(self.i).copied()
    }

    pub(super) fn skip_space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.i += 1;
        }
    }

    /// `OR` standing alone (not `ORDER`, not `OR:`).
    pub(super) fn at_or(&self) -> bool {
        self.s.get(self.i) == Some(&'O')
            && self.s.get(self.i + 1) == Some(&'R')
            && self.s.get(self.i + 2).is_none_or(|c| ends_word(*c))
    }

    pub(super) fn or(&mut self) -> Result<Option<Cond>, QueryError> {
        self.skip_space();
        let first = match self.and()? {
            Some(c) => c,
            None if self.at_or() => return err(self.i, ErrorKind::OrWithoutLeft),
            None => return Ok(None),
        };
        let mut items = vec![first];
        loop {
            self.skip_space();
            if !self.at_or() {
                break;
            }
            let at = self.i;
            self.i += 2;
            match self.and()? {
                Some(c) => items.push(c),
                None => return err(at, ErrorKind::OrWithoutRight),
            }
        }
        Ok(Some(if items.len() == 1 {
            items.remove(0)
        } else {
            let mut flat = Vec::new();
            for c in items {
                match c {
                    Cond::Or(cs) => flat.extend(cs),
                    c => flat.push(c),
                }
            }
            Cond::Or(flat)
        }))
    }

    pub(super) fn and(&mut self) -> Result<Option<Cond>, QueryError> {
        let mut c: Option<Cond> = None;
        loop {
            self.skip_space();
            match self.peek() {
                None | Some(')') => break,
                _ if self.at_or() => break,
                _ => {}
            }
            let u = self.unary()?;
            c = Some(match c {
                None => u,
                Some(prev) => prev.and(u),
            });
        }
        Ok(c)
    }

    pub(super) fn deeper(&mut self, at: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return err(at, ErrorKind::TooDeep);
        }
        Ok(())
    }

    pub(super) fn unary(&mut self) -> Result<Cond, QueryError> {
        let at = self.i;
        match self.peek() {
            Some('-') => {
                if self.s.get(at + 1).is_none_or(|c| is_space(*c) || *c == ')') {
                    return err(at, ErrorKind::LoneMinus);
                }
                self.deeper(at)?;
                self.i += 1;
                let c = self.unary()?;
                self.depth -= 1;
                Ok(c.not())
            }
            Some('(') => {
                self.deeper(at)?;
                self.i += 1;
                let inner = self.or()?;
                self.skip_space();
                if self.peek() != Some(')') {
                    return err(at, ErrorKind::UnclosedParen);
                }
                self.i += 1;
                self.depth -= 1;
                match inner {
                    Some(c) => Ok(c),
                    None => err(at, ErrorKind::EmptyGroup),
                }
            }
            Some('"') => {
                self.count(at)?;
                let text = self.quoted()?;
                if text.trim().is_empty() {
                    return err(at, ErrorKind::EmptyPhrase);
                }
                Ok(Cond::Text(Text {
                    field: None,
                    text,
                    phrase: true,
                }))
            }
            _ => {
                self.count(at)?;
                self.term()
            }
        }
    }

    pub(super) fn count(&mut self, at: usize) -> Result<(), QueryError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return err(at, ErrorKind::TooMany);
        }
        Ok(())
    }

    /// A quoted string from the `"` at the cursor; `\"` and `\\` stand for themselves.
    pub(super) fn quoted(&mut self) -> Result<String, QueryError> {
        let at = self.i;
        self.i += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return err(at, ErrorKind::UnclosedQuote),
                Some('"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some('\\') if matches!(self.s.get(self.i + 1), Some('"' | '\\')) => {
                    out.push(self.s[self.i + 1]);
                    self.i += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// A bare word or a field's condition.
    pub(super) fn term(&mut self) -> Result<Cond, QueryError> {
        let start = self.i;
        let mut j = start;
        while self
            .s
            .get(j)
            .is_some_and(|c| c.is_alphabetic() || *c == '_')
        {
            j += 1;
        }
        let op = match (self.s.get(j), self.s.get(j + 1)) {
            _ if j == start => None,
            (Some(':'), _) => Some(":"),
            (Some('<'), Some('=')) => Some("<="),
            (Some('>'), Some('=')) => Some(">="),
            (Some('<'), _) => Some("<"),
            (Some('>'), _) => Some(">"),
            _ => None,
        };
        let Some(op) = op else {
            while self.peek().is_some_and(|c| !ends_word(c)) {
                self.i += 1;
            }
            let word: String = self.s[start..self.i].iter().collect();
            return Ok(Cond::Text(Text {
                field: None,
                phrase: !super::printer::bare_word(&word),
                text: word,
            }));
        };
        let name: String = self.s[start..j].iter().collect();
        let Some(field) = Field::lookup(&name) else {
            let suggestion = nearest(&name, FIELDS.iter().map(|(n, _)| *n));
            return err(start, ErrorKind::UnknownField { name, suggestion });
        };
        self.i = j + op.len();
        let fname = field.name();
        match field {
            Field::Date(f) => self.date(f, fname, op),
            Field::Priority => self.priority(op),
            _ if op != ":" => err(
                j,
                ErrorKind::NoComparison {
                    field: fname,
                    op: op.to_string(),
                },
            ),
            Field::Text(f) => {
                let v = self.value(field, false)?;
                if v.quoted && v.text.trim().is_empty() {
                    return err(v.at, ErrorKind::EmptyPhrase);
                }
                Ok(Cond::Text(Text {
                    field: Some(f),
                    text: v.text,
                    phrase: v.quoted,
                }))
            }
            _ => {
                let values = self.values(field)?;
                self.listed(field, values)
            }
        }
    }

    /// One value: quoted, or bare up to a space, a parenthesis, a quote (or a comma in a
    /// list).
    pub(super) fn value(&mut self, field: Field, list: bool) -> Result<Value, QueryError> {
        let at = self.i;
        if self.peek() == Some('"') {
            let text = self.quoted()?;
            return Ok(Value {
                text,
                quoted: true,
                at,
            });
        }
        while self
            .peek()
            .is_some_and(|c| !(ends_word(c) || list && c == ','))
        {
            self.i += 1;
        }
        if self.i == at {
            return err(
                at,
                ErrorKind::NoValue {
                    field: field.name(),
                },
            );
        }
        let text: String = self.s[at..self.i].iter().collect();
        if self.template
            && let Some(name) = placeholder(&text)
        {
            self.params.push(Param {
                name: name.to_string(),
                field,
                start: at,
                end: self.i,
            });
        }
        Ok(Value {
            text,
            quoted: false,
            at,
        })
    }

    pub(super) fn values(&mut self, field: Field) -> Result<Vec<Value>, QueryError> {
        let mut out = vec![self.value(field, true)?];
        while self.peek() == Some(',') {
            self.i += 1;
            out.push(self.value(field, true)?);
        }
        Ok(out)
    }

    /// Whether a value is a placeholder of a saved queue being checked: it is not a name
    /// the desk must know.
    pub(super) fn is_param(&self, v: &Value) -> bool {
        self.template && !v.quoted && placeholder(&v.text).is_some()
    }

    /// A name the desk must know, as the desk spells it (statuses, categories, groups,
    /// logins).
    pub(super) fn known(
        &self,
        v: &Value,
        field: Field,
        known: Option<&Vec<String>>,
        fold: bool,
    ) -> Result<String, QueryError> {
        let typed = v.text.trim();
        let Some(known) = known.filter(|_| !self.is_param(v)) else {
            return Ok(typed.to_string());
        };
        let found = known.iter().find(|k| {
            if fold {
                k.to_lowercase() == typed.to_lowercase()
            } else {
                k.as_str() == typed
            }
        });
        match found {
            Some(k) => Ok(k.clone()),
            None => err(
                v.at,
                ErrorKind::UnknownValue {
                    field: field.name(),
                    value: typed.to_string(),
                    suggestion: nearest(typed, known.iter().map(String::as_str)),
                    known: known.clone(),
                },
            ),
        }
    }

    /// A value from a fixed list of words.
    pub(super) fn word<T: Copy>(
        &self,
        v: &Value,
        field: Field,
        words: &[(&str, T)],
    ) -> Result<T, QueryError> {
        let typed = v.text.trim().to_lowercase().replace('_', "-");
        match words.iter().find(|(w, _)| w.replace('_', "-") == typed) {
            Some((_, x)) => Ok(*x),
            None => err(
                v.at,
                ErrorKind::UnknownValue {
                    field: field.name(),
                    value: v.text.trim().to_string(),
                    suggestion: nearest(&typed, words.iter().map(|(w, _)| *w)),
                    known: words.iter().map(|(w, _)| w.to_string()).collect(),
                },
            ),
        }
    }

    pub(super) fn listed(&mut self, field: Field, values: Vec<Value>) -> Result<Cond, QueryError> {
        // A saved queue's placeholders are checked when the queue is read, filled.
        let values: Vec<Value> = values.into_iter().filter(|v| !self.is_param(v)).collect();
        if values.is_empty() {
            return Ok(Cond::all());
        }
        let mut ors: Vec<Cond> = Vec::new();
        Ok(match field {
            Field::Status => {
                let ids = values
                    .iter()
                    .map(|v| self.known(v, field, self.vocab.statuses.as_ref(), true))
                    .collect::<Result<Vec<_>, _>>()?;
                Cond::Status(ids.into_iter().map(|s| s.to_lowercase()).collect())
            }
            Field::Is => {
                let mut words: Vec<(&str, Option<StatusCategory>)> = vec![(IS_OPEN, None)];
                words.extend(StatusCategory::ALL.iter().map(|c| (c.as_str(), Some(*c))));
                let mut open = false;
                let mut cats = Vec::new();
                for v in &values {
                    match self.word(v, field, &words)? {
                        None => open = true,
                        Some(c) => cats.push(c),
                    }
                }
                if open {
                    ors.push(Cond::Open);
                }
                if !cats.is_empty() {
                    ors.push(Cond::StatusCategory(cats));
                }
                one_or_any(ors)
            }
            Field::Assignee => {
                for v in &values {
                    let typed = v.text.trim();
                    ors.push(Cond::Assignee(match typed.to_lowercase().as_str() {
                        "me" if !v.quoted => Who::Me,
                        "none" if !v.quoted => Who::Nobody,
                        _ => Who::Login(self.known(v, field, self.vocab.logins.as_ref(), false)?),
                    }));
                }
                one_or_any(ors)
            }
            Field::Group => {
                let mut mine = false;
                let mut codes = Vec::new();
                for v in &values {
                    if !v.quoted && v.text.trim().eq_ignore_ascii_case("mine") {
                        mine = true;
                    } else {
                        codes.push(self.known(v, field, self.vocab.groups.as_ref(), true)?);
                    }
                }
                if mine {
                    ors.push(Cond::Group(Groups::Mine));
                }
                if !codes.is_empty() {
                    ors.push(Cond::Group(Groups::Codes(codes)));
                }
                one_or_any(ors)
            }
            Field::Category => Cond::Category(
                values
                    .iter()
                    .map(|v| self.known(v, field, self.vocab.categories.as_ref(), true))
                    .collect::<Result<_, _>>()?,
            ),
            Field::Priority => Cond::Priority(
                values
                    .iter()
                    .map(|v| self.word(v, field, &priorities()))
                    .collect::<Result<_, _>>()?,
            ),
            Field::Channel => {
                let mut cs = Vec::new();
                for v in &values {
                    match v.text.parse::<Channel>() {
                        Ok(c) => cs.push(c),
                        Err(_) => {
                            let words: Vec<(&str, Channel)> =
                                Channel::ALL.iter().map(|c| (c.as_str(), *c)).collect();
                            cs.push(self.word(v, field, &words)?);
                        }
                    }
                }
                Cond::Channel(cs)
            }
            Field::Sla => {
                for v in &values {
                    ors.push(Cond::Sla(self.word(v, field, &SLA_VALUES)?));
                }
                one_or_any(ors)
            }
            Field::Date(_) | Field::Text(_) => Cond::all(),
        })
    }

    /// `priority:high,urgent` or `priority>=high`.
    pub(super) fn priority(&mut self, op: &str) -> Result<Cond, QueryError> {
        if op == ":" {
            let values = self.values(Field::Priority)?;
            return self.listed(Field::Priority, values);
        }
        let v = self.value(Field::Priority, false)?;
        if self.is_param(&v) {
            return Ok(Cond::all());
        }
        let p = self.word(&v, Field::Priority, &priorities())?;
        let keep: Vec<Priority> = Priority::ALL
            .iter()
            .copied()
            .filter(|x| match op {
                "<" => x.rank() < p.rank(),
                "<=" => x.rank() <= p.rank(),
                ">" => x.rank() > p.rank(),
                _ => x.rank() >= p.rank(),
            })
            .collect();
        if keep.is_empty() {
            return err(
                v.at,
                ErrorKind::NothingBeyond {
                    field: "priority",
                    op: op.to_string(),
                    value: p.as_str().to_string(),
                },
            );
        }
        Ok(Cond::Priority(keep))
    }

    pub(super) fn date(
        &mut self,
        f: DateField,
        fname: &'static str,
        op: &str,
    ) -> Result<Cond, QueryError> {
        let v = self.value(Field::Date(f), false)?;
        if self.is_param(&v) {
            return Ok(Cond::all());
        }
        let text = v.text.trim().to_string();
        let at = v.at;
        let fail = |kind: fn(&'static str, String) -> ErrorKind| err(at, kind(fname, text.clone()));
        let bad_date = |field, value| ErrorKind::BadDate { field, value };
        if op != ":" {
            let Some(x) = instant(&text) else {
                return fail(bad_date);
            };
            let cmp = match op {
                "<" => Cmp::Before,
                "<=" => Cmp::BeforeOrAt,
                ">" => Cmp::After,
                _ => Cmp::AtOrAfter,
            };
            return Ok(compare(f, cmp, x));
        }
        let Some((a, b)) = text.split_once("..") else {
            return match instant(&text) {
                Some(Instant::Day(d)) => Ok(Cond::And(vec![
                    Cond::Date(f, Cmp::AtOrAfter, d.start()),
                    Cond::Date(f, Cmp::Before, d.next()),
                ])),
                Some(_) => fail(|field, value| ErrorKind::NotADay { field, value }),
                None => fail(bad_date),
            };
        };
        let bad_range = |field, value| ErrorKind::BadRange { field, value };
        let end = |t: &str| -> Result<Option<Instant>, QueryError> {
            match t.trim() {
                "" => Ok(None),
                t => instant(t)
                    .map(Some)
                    .ok_or_else(|| QueryError::at(at, bad_date(fname, text.clone()))),
            }
        };
        let (lo, hi) = (end(a)?, end(b)?);
        match (lo, hi) {
            (None, None) => return fail(bad_range),
            (Some(lo), Some(hi)) if reversed(f, lo, hi) => return fail(bad_range),
            _ => {}
        }
        let mut c = Cond::all();
        if let Some(lo) = lo {
            c = c.and(Cond::Date(f, Cmp::AtOrAfter, lo.when(f)));
        }
        if let Some(hi) = hi {
            c = c.and(match hi {
                Instant::Day(d) => Cond::Date(f, Cmp::Before, d.next()),
                x => Cond::Date(f, Cmp::BeforeOrAt, x.when(f)),
            });
        }
        Ok(match c {
            Cond::And(mut cs) if cs.len() == 1 => cs.remove(0),
            c => c,
        })
    }
}

pub(super) fn priorities() -> Vec<(&'static str, Priority)> {
    Priority::ALL.iter().map(|p| (p.as_str(), *p)).collect()
}

/// One condition, or any of several.
pub(super) fn one_or_any(mut cs: Vec<Cond>) -> Cond {
    if cs.len() == 1 {
        cs.remove(0)
    } else {
        Cond::Or(cs)
    }
}
