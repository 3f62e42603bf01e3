//! The pages, as HTML text: plain forms that work without JavaScript, every piece of ticket
//! text cleaned (`clean_text`: no escape, control or bidi characters) and escaped. The words
//! come from the catalog (`web.*`, and `public.*` for the requester's view, shared with
//! `desk status`).

use crate::core::config::Config;
use crate::core::public::View;
use crate::core::sanitize::clean_text;
use crate::i18n::Catalog;
use crate::present;
use crate::time::format as local_time;
use std::fmt::Write as _;

/// Text made safe for HTML, in an element or an attribute's double quotes.
pub fn esc(s: &str) -> String {
    let clean = clean_text(s);
    let mut out = String::with_capacity(clean.len() + 16);
    for c in clean.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The languages offered by the switch, each named in itself.
const SWITCH: [(&str, &str); 3] = [("en", "English"), ("ru", "Русский"), ("uk", "Українська")];

/// A whole page: its title, the language switch (each link `?` + `query` + `lang=…`), the body.
pub fn page(cfg: &Config, cat: &Catalog, title: &str, query: &str, body: &str) -> String {
    let desk = esc(&cfg.desk_name);
    let mut switch = String::new();
    for (lang, name) in SWITCH {
        if lang == cat.lang {
            let _ = write!(
                switch,
                r#"<strong lang="{lang}" aria-current="true">{name}</strong> "#
            );
        } else {
            let _ = write!(
                switch,
                r#"<a href="?{query}lang={lang}" lang="{lang}" hreflang="{lang}">{name}</a> "#
            );
        }
    }
    format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} · {desk}</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
<header><a class="desk" href="./">{desk}</a>
<nav aria-label="{language}">{switch}</nav></header>
<main>
{body}</main>
</body>
</html>
"#,
        lang = cat.lang,
        title = esc(title),
        language = esc(cat.t("web.language")),
        switch = switch.trim_end(),
    )
}

/// What a requester typed into the request form, to give back when it must be sent again.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub name: String,
    pub contact: String,
    pub subject: String,
    pub text: String,
}

/// A box saying what went wrong, if anything.
fn problem(p: Option<&str>) -> String {
    match p {
        Some(p) => format!("<p class=\"problem\" role=\"alert\">{}</p>\n", esc(p)),
        None => String::new(),
    }
}

/// The request form (`POST /`), with `typed` filled in and `problem` above it.
pub fn submit_form(
    cat: &Catalog,
    token: &str,
    typed: &Typed,
    problem_text: Option<&str>,
) -> String {
    let field = |name: &str, label: &str, value: &str, extra: &str| {
        format!(
            r#"<p><label for="{name}">{label}</label>
<input id="{name}" name="{name}" value="{value}" {extra}></p>
"#,
            label = esc(cat.t(label)),
            value = esc(value),
        )
    };
    format!(
        r#"<section id="submit">
<h1>{title}</h1>
<p>{intro}</p>
{problem}<form method="post" action="./" accept-charset="utf-8">
<input type="hidden" name="token" value="{token}">
{name}{contact}{subject}<p><label for="text">{text_label}</label>
<textarea id="text" name="text" rows="10" required>{text}</textarea></p>
<p><button type="submit" id="send">{send}</button></p>
</form>
</section>
"#,
        title = esc(cat.t("web.submit_title")),
        intro = esc(cat.t("web.submit_intro")),
        problem = problem(problem_text),
        token = esc(token),
        name = field(
            "name",
            "web.name",
            &typed.name,
            r#"autocomplete="name" maxlength="300""#
        ),
        contact = field(
            "contact",
            "web.contact",
            &typed.contact,
            r#"autocomplete="email" maxlength="300""#
        ),
        subject = field(
            "subject",
            "web.subject",
            &typed.subject,
            r#"maxlength="500" required"#
        ),
        text_label = esc(cat.t("web.text")),
        text = esc(&typed.text),
        send = esc(cat.t("web.send")),
    )
}

/// The look-up form (`POST status`), with what was typed and `problem` above it.
pub fn lookup_form(
    cat: &Catalog,
    token: &str,
    number: &str,
    code: &str,
    problem_text: Option<&str>,
    heading: &str,
) -> String {
    format!(
        r#"<section id="lookup">
<{heading}>{title}</{heading}>
<p>{intro}</p>
{problem}<form method="post" action="status" accept-charset="utf-8">
<input type="hidden" name="token" value="{token}">
<p><label for="number">{number_label}</label>
<input id="number" name="number" value="{number}" maxlength="40" autocomplete="off" spellcheck="false" required></p>
<p><label for="code">{code_label}</label>
<input id="code" name="code" value="{code}" maxlength="20" autocomplete="off" spellcheck="false" required></p>
<p><button type="submit" id="look-up">{look_up}</button></p>
</form>
</section>
"#,
        title = esc(cat.t("web.lookup_title")),
        intro = esc(cat.t("web.lookup_intro")),
        problem = problem(problem_text),
        token = esc(token),
        number_label = esc(cat.t("web.number")),
        code_label = esc(cat.t("web.code")),
        number = esc(number),
        code = esc(code),
        look_up = esc(cat.t("web.look_up")),
    )
}

/// The requester's view of their request; `new` (number, code) when it was just registered.
pub fn status(cfg: &Config, cat: &Catalog, v: &View, new: Option<&str>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<h1>{}</h1>"#,
        esc(&cat.f("web.status_title", &[("number", v.number.clone())]))
    );
    if let Some(code) = new {
        let _ = write!(
            out,
            r#"<section class="registered" role="status">
<h2>{title}</h2>
<dl class="keys"><dt>{number_label}</dt><dd id="new-number">{number}</dd>
<dt>{code_label}</dt><dd id="new-code">{code}</dd></dl>
<p>{keep}</p>
</section>
"#,
            title = esc(cat.t("web.registered_title")),
            number_label = esc(cat.t("web.number")),
            number = esc(&v.number),
            code_label = esc(cat.t("web.code")),
            code = esc(code),
            keep = esc(cat.t("web.registered_keep")),
        );
    }
    let _ = writeln!(
        out,
        r#"<p class="subject" id="subject">{}</p>"#,
        esc(&v.subject)
    );
    let _ = write!(
        out,
        r#"<dl class="facts">
<dt>{status_label}</dt><dd><strong id="status">{status}</strong> <span class="since">{since}</span></dd>
"#,
        status_label = esc(cat.t("public.status_label")),
        status = esc(&present::public_status(cfg, cat, &v.status)),
        since = esc(&cat.f("public.since", &[("date", local_time(v.since))])),
    );
    let handled: Vec<&str> = [&v.group, &v.handler]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    if !handled.is_empty() {
        let _ = writeln!(
            out,
            r#"<dt>{}</dt><dd id="handled-by">{}</dd>"#,
            esc(cat.t("public.handled_by")),
            esc(&handled.join(" · "))
        );
    }
    if let Some(d) = present::public_decision(cat, v) {
        let _ = writeln!(
            out,
            r#"<dt>{}</dt><dd class="text" id="decision">{}</dd>"#,
            esc(cat.t("public.decision")),
            esc(&d)
        );
    }
    if let Some((_, _, Some(answer))) = &v.decision {
        let _ = writeln!(
            out,
            r#"<dt>{}</dt><dd class="text" id="answer">{}</dd>"#,
            esc(cat.t("public.answer")),
            esc(answer)
        );
    }
    out.push_str("</dl>\n");
    let _ = writeln!(
        out,
        "<h2>{}</h2>\n<ol class=\"steps\">",
        esc(cat.t("public.steps"))
    );
    for s in &v.steps {
        let (head, text) = present::public_step(cfg, cat, s);
        let at = chrono::DateTime::from_timestamp(s.at, 0)
            .map(|d| d.to_rfc3339())
            .unwrap_or_default();
        let _ = write!(
            out,
            r#"<li><time datetime="{at}">{local}</time> <span class="step">{head}</span>"#,
            local = esc(&local_time(s.at)),
            head = esc(&head),
        );
        if let Some(t) = text {
            let _ = write!(out, r#"<p class="text">{}</p>"#, esc(&t));
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n");
    let _ = writeln!(out, r#"<p><a href="./">{}</a></p>"#, esc(cat.t("web.home")));
    out
}

/// A short page: a heading, a paragraph, and what follows (a form, a link home).
pub fn message(title: &str, text: &str, after: &str) -> String {
    format!(
        "<h1>{}</h1>\n<p class=\"problem\" role=\"alert\">{}</p>\n{after}",
        esc(title),
        esc(text)
    )
}

/// A link back to the start.
pub fn home_link(cat: &Catalog) -> String {
    format!("<p><a href=\"./\">{}</a></p>\n", esc(cat.t("web.home")))
}

/// The style sheet: readable on a phone and a desk, light and dark, no fonts or images to load.
pub const CSS: &str = r#":root { color-scheme: light dark; --fg: #1b1b1b; --bg: #fdfdfc; --muted: #5b5b5b;
  --line: #c9c9c9; --accent: #0b57d0; --bad: #a40e26; --good: #1e6b35; }
@media (prefers-color-scheme: dark) { :root { --fg: #ececec; --bg: #17181a; --muted: #a9a9a9;
  --line: #44474c; --accent: #8ab4f8; --bad: #ff8a9a; --good: #81c995; } }
* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; justify-content: space-between; gap: .5rem 1rem;
  padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
header .desk { font-weight: 600; color: var(--fg); text-decoration: none; }
nav a, nav strong { margin-left: .6rem; }
main { max-width: 44rem; margin: 0 auto; padding: 1rem; }
a { color: var(--accent); }
h1 { font-size: 1.5rem; margin: 1rem 0 .5rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
section + section { margin-top: 2rem; padding-top: 1rem; border-top: 1px solid var(--line); }
label { display: block; font-weight: 600; margin-bottom: .2rem; }
input, textarea { width: 100%; font: inherit; padding: .5rem; color: var(--fg);
  background: var(--bg); border: 1px solid var(--line); border-radius: 4px; }
input:focus, textarea:focus, button:focus, a:focus { outline: 3px solid var(--accent); outline-offset: 1px; }
button { font: inherit; font-weight: 600; padding: .55rem 1.2rem; border: 0; border-radius: 4px;
  color: #fff; background: var(--accent); cursor: pointer; }
@media (prefers-color-scheme: dark) { button { color: #111; } }
.problem { border-left: 4px solid var(--bad); padding: .4rem .8rem; }
.registered { border-left: 4px solid var(--good); padding: .2rem 1rem; }
.keys dd { font: 600 1.3rem/1.4 ui-monospace, "SFMono-Regular", Menlo, monospace; margin: 0 0 .5rem; }
.subject { font-weight: 600; overflow-wrap: anywhere; }
.facts dt { color: var(--muted); margin-top: .5rem; }
.facts dd { margin: 0; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.since, time { color: var(--muted); }
.steps { padding-left: 1.2rem; }
.steps li { margin-bottom: .6rem; }
.steps .text { margin: .2rem 0 0; }
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_cleaned() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(esc("a\u{1b}[31mred\u{202e}b"), "a\u{fffd}redb");
        assert_eq!(esc("two\nlines"), "two\nlines");
    }

    #[test]
    fn every_language_makes_the_same_page_shape() {
        let cfg = Config::builtin().expect("the built-in configuration");
        for lang in ["en", "ru", "uk"] {
            let cat = Catalog::for_lang(lang);
            let html = page(
                &cfg,
                cat,
                "<T>",
                "",
                &submit_form(cat, "tok", &Typed::default(), None),
            );
            assert!(html.contains(&format!("<html lang=\"{lang}\">")));
            assert!(html.contains("&lt;T&gt;"), "the title escaped");
            assert!(!html.contains("<script"), "no script, ever");
            assert_eq!(html.matches("aria-current").count(), 1);
        }
    }
}
