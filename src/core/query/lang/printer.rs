//! Printing: a condition back as text of the language, which parses to it again.

use super::*;

/// A query as text of the language: parsing it gives the query back.
pub fn print(c: &Cond) -> String {
    let mut out = String::new();
    write_cond(&mut out, c, Ctx::Top);
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Ctx {
    Top,
    /// A part of an and: an or needs parentheses.
    InAnd,
    /// A part of an or: another or needs parentheses.
    InOr,
    /// After `-`: anything of several parts needs parentheses.
    Negated,
}

pub(super) fn write_cond(out: &mut String, c: &Cond, ctx: Ctx) {
    let group = |out: &mut String, inner: &dyn Fn(&mut String)| {
        out.push('(');
        inner(out);
        out.push(')');
    };
    match c {
        Cond::And(cs) if cs.is_empty() && ctx == Ctx::Top => {}
        Cond::And(cs) if cs.len() == 1 && ctx != Ctx::Negated => write_cond(out, &cs[0], ctx),
        Cond::And(cs) => {
            let inner = |out: &mut String| {
                for (i, c) in cs.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    write_cond(out, c, Ctx::InAnd);
                }
            };
            if matches!(ctx, Ctx::Negated) || cs.is_empty() || matches!(ctx, Ctx::InAnd) {
                group(out, &inner);
            } else {
                inner(out);
            }
        }
        Cond::Or(cs) => {
            if let Some(compact) = compact_or(cs) {
                out.push_str(&compact);
                return;
            }
            let inner = |out: &mut String| {
                for (i, c) in cs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(" OR ");
                    }
                    write_cond(out, c, Ctx::InOr);
                }
            };
            if ctx == Ctx::Top && !cs.is_empty() {
                inner(out);
            } else {
                group(out, &inner);
            }
        }
        Cond::Not(inner) => {
            out.push('-');
            write_cond(out, inner, Ctx::Negated);
        }
        Cond::Open => out.push_str("is:open"),
        Cond::Status(ids) => field_list(out, "status", ids.iter().map(String::as_str)),
        Cond::StatusCategory(cats) => field_list(out, "is", cats.iter().map(|c| c.as_str())),
        Cond::Assignee(w) => {
            out.push_str("assignee:");
            out.push_str(&who_text(w));
        }
        Cond::Group(Groups::Mine) => out.push_str("group:mine"),
        Cond::Group(Groups::Codes(codes)) => {
            out.push_str("group:");
            out.push_str(&list_text(codes.iter().map(|c| group_value(c))));
        }
        Cond::Category(codes) => field_list(out, "category", codes.iter().map(String::as_str)),
        Cond::Priority(ps) => field_list(out, "priority", ps.iter().map(|p| p.as_str())),
        Cond::Channel(cs) => field_list(out, "channel", cs.iter().map(|c| c.as_str())),
        Cond::Sla(s) => {
            out.push_str("sla:");
            out.push_str(sla_text(*s));
        }
        Cond::Date(f, cmp, when) => out.push_str(&date_text(*f, *cmp, *when)),
        Cond::Text(t) => out.push_str(&text_text(t)),
    }
}

/// `assignee:me OR assignee:olena` as `assignee:me,olena` (and the like for groups, sla and
/// is), which reads back as the same or.
pub(super) fn compact_or(cs: &[Cond]) -> Option<String> {
    if cs.len() < 2 {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    let field = match &cs[0] {
        Cond::Assignee(_) => "assignee",
        Cond::Sla(_) => "sla",
        _ => return None,
    };
    for c in cs {
        match (field, c) {
            ("assignee", Cond::Assignee(w)) => parts.push(who_text(w)),
            ("sla", Cond::Sla(s)) => parts.push(sla_text(*s).to_string()),
            _ => return None,
        }
    }
    Some(format!("{field}:{}", parts.join(",")))
}

pub(super) fn sla_text(s: SlaState) -> &'static str {
    SLA_VALUES
        .iter()
        .find(|(_, x)| *x == s)
        .map(|(w, _)| *w)
        .unwrap_or("at-risk")
}

pub(super) fn who_text(w: &Who) -> String {
    match w {
        Who::Me => "me".into(),
        Who::Nobody => "none".into(),
        Who::Login(l) if l.eq_ignore_ascii_case("me") || l.eq_ignore_ascii_case("none") => quote(l),
        Who::Login(l) => value_text(l, Field::Assignee, true),
    }
}

pub(super) fn group_value(code: &str) -> String {
    if code.eq_ignore_ascii_case("mine") {
        quote(code)
    } else {
        value_text(code, Field::Group, true)
    }
}

pub(super) fn field_list<'s>(out: &mut String, name: &str, values: impl Iterator<Item = &'s str>) {
    out.push_str(name);
    out.push(':');
    out.push_str(&list_text(
        values.map(|v| value_text(v, Field::Status, true)),
    ));
}

pub(super) fn list_text(values: impl Iterator<Item = String>) -> String {
    values.collect::<Vec<_>>().join(",")
}

/// A value as it must be written to read back the same: bare when it can be, else quoted.
pub(super) fn value_text(v: &str, field: Field, exact: bool) -> String {
    let special = v
        .chars()
        .any(|c| ends_word(c) || (field.is_list() && c == ','));
    let bare = !(v.is_empty() || special || exact && v.trim() != v);
    if bare { v.to_string() } else { quote(v) }
}

pub(super) fn quote(v: &str) -> String {
    let mut out = String::from("\"");
    for c in v.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Whether a bare word would be read as a field's condition (`name:`, `name<`).
pub(super) fn looks_like_field(w: &str) -> bool {
    let prefix = w
        .chars()
        .take_while(|c| c.is_alphabetic() || *c == '_')
        .count();
    prefix > 0 && matches!(w.chars().nth(prefix), Some(':' | '<' | '>'))
}

/// Whether a word reads back as the same word when printed bare: not empty, no character
/// that ends a word, not a negation, not the operator `OR`, not a field's condition. A word
/// that is not is printed quoted, so the parser reads such a word (`-OR`) as that phrase.
pub(super) fn bare_word(w: &str) -> bool {
    !w.is_empty()
        && !w.chars().any(ends_word)
        && !w.starts_with('-')
        && w != "OR"
        && !looks_like_field(w)
}

pub(super) fn text_text(t: &Text) -> String {
    match t.field {
        None if !t.phrase && bare_word(&t.text) => t.text.clone(),
        None => quote(&t.text),
        Some(f) => {
            let name = Field::Text(f).name();
            if t.phrase {
                format!("{name}:{}", quote(&t.text))
            } else {
                format!("{name}:{}", value_text(&t.text, Field::Text(f), true))
            }
        }
    }
}

pub(super) fn op_text(c: Cmp) -> &'static str {
    match c {
        Cmp::Before => "<",
        Cmp::BeforeOrAt => "<=",
        Cmp::After => ">",
        Cmp::AtOrAfter => ">=",
    }
}

/// A day as the language names it, when it can.
pub(super) fn day_name(w: When) -> Option<String> {
    match w {
        When::Today => Some("today".into()),
        When::Days(-1) => Some("yesterday".into()),
        When::Days(0) => Some("today".into()),
        When::Day(d) => Some(d.format("%Y-%m-%d").to_string()),
        _ => None,
    }
}

/// The day before (for `<=` and `>`).
pub(super) fn day_before(w: When) -> Option<When> {
    match w {
        When::Today => Some(When::Days(-1)),
        When::Days(1) => Some(When::Today),
        When::Days(n) => Some(When::Days(n - 1)),
        When::Day(d) => d.pred_opt().map(When::Day),
        _ => None,
    }
}

pub(super) fn date_text(f: DateField, cmp: Cmp, when: When) -> String {
    let name = Field::Date(f).name();
    match when {
        When::Ago(0) => format!("{name}{}now", op_text(cmp)),
        When::Ago(s) if f == DateField::Due => {
            format!(
                "{name}{}{}",
                op_text(cmp),
                duration_text(s.saturating_neg())
            )
        }
        When::Ago(s) => format!("{name}{}{}", op_text(flip(cmp)), duration_text(s)),
        When::At(t) => format!("{name}{}@{t}", op_text(cmp)),
        day => {
            let (op, shown) = match cmp {
                Cmp::Before | Cmp::AtOrAfter => match day_name(day) {
                    Some(n) => (op_text(cmp), n),
                    None => {
                        let op = if cmp == Cmp::Before { "<=" } else { ">" };
                        (op, day_before(day).and_then(day_name).unwrap_or_default())
                    }
                },
                // Never read from the language (a day compares by its start): said as near as
                // it can be.
                _ => (op_text(cmp), day_name(day).unwrap_or_default()),
            };
            format!("{name}{op}{shown}")
        }
    }
}
