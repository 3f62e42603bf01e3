//! The configuration's tests: the built-in file, every refusal and where it points.

use super::*;
use proptest::prelude::*;

fn with(find: &str, replace: &str) -> Result<Config, ConfigError> {
    assert!(BUILTIN.contains(find), "test edit must apply: {find}");
    Config::from_toml(
        &BUILTIN.replacen(find, replace, 1),
        "desk.toml",
        &crate::time::SystemZones,
    )
}

/// Labels reach every screen and report: escape sequences, controls and bidi characters
/// in them never survive loading.
#[test]
fn labels_are_cleaned_when_loaded() {
    let evil = "\\u001b]0;pwned\\u0007\\u001b[2J\\u202e";
    let text = BUILTIN
        .replacen("en = \"Service desk\"", &format!("en = \"Desk{evil}\""), 1)
        .replacen("en = \"Front desk\"", &format!("en = \"Front{evil}\""), 1)
        .replacen(
            "en = \"General enquiry\"",
            &format!("en = \"General{evil}\""),
            1,
        )
        .replacen("\"heating\", ", &format!("\"heat{evil}\", "), 1)
        .replacen(
            "id = \"new\"\n",
            &format!("id = \"new\"\nlabel = \"Fresh{evil}\"\n"),
            1,
        );
    let cfg = Config::from_toml(&text, "desk.toml", &crate::time::SystemZones).expect("valid");
    let mut labels = vec![cfg.desk_name.clone()];
    labels.extend(cfg.groups.iter().map(|g| g.name.clone()));
    labels.extend(cfg.categories.iter().map(|c| c.name.clone()));
    labels.extend(cfg.categories.iter().flat_map(|c| c.keywords.clone()));
    labels.extend(
        cfg.lifecycle
            .statuses()
            .iter()
            .filter_map(|s| s.label.clone()),
    );
    assert!(labels.iter().any(|l| l.starts_with("Fresh")), "{labels:?}");
    for l in &labels {
        assert!(
            !l.chars().any(crate::core::sanitize::is_unsafe),
            "{l:?} still holds a control or format character"
        );
    }
}

fn line_of(find: &str) -> usize {
    BUILTIN[..BUILTIN.find(find).expect("present")]
        .matches('\n')
        .count()
        + 1
}

#[test]
fn the_builtin_configuration_is_valid() {
    let c = Config::builtin().expect("valid");
    assert_eq!(c.lifecycle.initial(), "new");
    assert_eq!(c.default_category, "GEN");
    assert!(
        c.groups.iter().all(|g| !g.auto_assign),
        "auto-assign off by default"
    );
    assert_eq!(c.template.source(), "{cat}-{yy}{mm}-{seq:5}-{check}");
    assert_eq!(c.template_for("HSG"), &c.template);
}

#[test]
fn errors_name_the_line() {
    let e = with("to = \"closed\"", "to = \"closd\"").expect_err("unknown status");
    assert_eq!(e.line, Some(line_of("to = \"closed\"")));
    assert!(e.to_string().contains("unknown status 'closd'"), "{e}");
    assert!(e.to_string().starts_with("desk.toml:"), "{e}");

    let e = with(
        "group = \"HOUSING\"\nkeywords",
        "group = \"HOUSE\"\nkeywords",
    )
    .expect_err("group");
    assert!(e.to_string().contains("group 'HOUSE'"), "{e}");

    let e = with("{cat}-{yy}{mm}-{seq:5}-{check}", "{cat}-{yy}{mm}-{sq:5}").expect_err("template");
    assert!(e.to_string().contains("unknown token {sq:5}"), "{e}");
    assert_eq!(e.line, Some(line_of("template = \"{cat}")));

    let e = with("language = \"\"", "language = \"de\"").expect_err("language");
    assert!(e.to_string().contains("'de' is not available"), "{e}");

    let e = with("check = \"damm\"", "check = \"crc\"").expect_err("algo");
    assert!(e.line.is_some() && e.to_string().contains("crc"), "{e}");

    let e = with("[desk]", "[desk]\ncolour = 1").expect_err("unknown key");
    assert!(e.to_string().contains("colour"), "{e}");

    let e = with("outcomes = [\"granted\", \"partial\"]", "").expect_err("done without outcomes");
    assert!(e.to_string().contains("must list the outcomes"), "{e}");

    let e = with("roles = [\"supervisor\", \"admin\"]", "roles = [\"boss\"]").expect_err("role");
    assert!(e.to_string().contains("boss"), "{e}");

    let e = Config::from_toml("this is = not toml", "x.toml", &crate::time::SystemZones)
        .expect_err("syntax");
    assert_eq!(e.line, Some(1));
    assert!(!e.to_string().contains('\n'), "one line: {e}");
}

#[test]
fn attachment_limits_are_read_and_checked() {
    let c = Config::builtin().expect("valid");
    assert_eq!(c.attachments.max_bytes, 25 << 20);
    assert_eq!(c.attachments.max_ticket_bytes, 100 << 20);
    let c = with("max_bytes = \"25M\"", "max_bytes = \"512K\"").expect("valid");
    assert_eq!(c.attachments.max_bytes, 512 << 10);
    let e = with("max_bytes = \"25M\"", "max_bytes = \"lots\"").expect_err("size");
    assert!(e.to_string().contains("'lots' is not a size"), "{e}");
    assert_eq!(e.line, Some(line_of("[attachments]")));
    let e = with("max_bytes = \"25M\"", "max_bytes = \"1G\"").expect_err("too big");
    assert!(e.to_string().contains("at most 512M"), "{e}");
}

#[test]
fn duplicates_are_refused() {
    let e = with("code = \"SOCIAL\"", "code = \"HOUSING\"").expect_err("dup group");
    assert!(e.to_string().contains("declared twice"), "{e}");
    let e = with("id = \"rejected\"", "id = \"resolved\"").expect_err("dup status");
    assert!(e.to_string().contains("declared twice"), "{e}");
}

#[test]
fn automatic_transitions_cannot_finish_a_ticket() {
    let e = with(
        "to = \"attributed\"\non = \"assign\"",
        "to = \"resolved\"\non = \"assign\"",
    )
    .expect_err("auto finish");
    assert!(e.to_string().contains("cannot finish"), "{e}");
}

#[test]
fn category_templates_join_the_grammar() {
    let c = with(
        "code = \"SOC\"\nname = { en = \"Social support and benefits\"",
        "code = \"SOC\"\ntemplate = \"SRV-{yyyy}-{seq:3}\"\nname = { en = \"Social support and benefits\"",
    )
    .expect("valid");
    assert_eq!(c.template_for("SOC").source(), "SRV-{yyyy}-{seq:3}");
    assert_eq!(c.grammar(&[]).templates.len(), 2);
    assert!(
        c.grammar(&["EXTRA".into()])
            .groups
            .contains(&"EXTRA".into())
    );
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
        let _ = Config::from_toml(&s, "desk.toml", &crate::time::SystemZones);
    }

    #[test]
    fn mutated_builtin_never_panics(pos in 0usize..BUILTIN.len(), junk in "[\\[\\]{}=\"a-z0-9 \n]{0,8}") {
        let mut s = BUILTIN.to_string();
        let mut p = pos;
        while !s.is_char_boundary(p) { p -= 1; }
        s.insert_str(p, &junk);
        if let Err(e) = Config::from_toml(&s, "desk.toml", &crate::time::SystemZones) {
            prop_assert!(!e.to_string().contains('\n'));
        }
    }
}

#[test]
fn names_and_labels_may_be_given_per_language() {
    let mut ru = Config::builtin().expect("builtin");
    assert_eq!(
        ru.desk_name, "Service desk",
        "English where no language is chosen"
    );
    ru.use_language("ru");
    assert_eq!(ru.desk_name, "Служба обращений");
    assert_eq!(
        ru.category("HSG").map(|c| c.name.as_str()),
        Some("Жильё и коммунальные услуги")
    );
    assert_eq!(ru.group("FRONT").map(|g| g.name.as_str()), Some("Приёмная"));
    let mut uk = with(
        "id = \"new\"\n",
        "id = \"new\"\nlabel = { uk = \"Свіже\", en = \"Fresh\" }\n",
    )
    .expect("a label per language");
    assert_eq!(
        uk.lifecycle
            .status("new")
            .and_then(|s| s.label.clone())
            .as_deref(),
        Some("Fresh")
    );
    uk.use_language("uk");
    assert_eq!(
        uk.lifecycle
            .status("new")
            .and_then(|s| s.label.clone())
            .as_deref(),
        Some("Свіже")
    );
    assert_eq!(uk.category("CMP").map(|c| c.name.as_str()), Some("Скарга"));
    // One language after another (the web page's): each its own, never the one before.
    uk.use_language("ru");
    assert_eq!(
        uk.lifecycle
            .status("new")
            .and_then(|s| s.label.clone())
            .as_deref(),
        Some("Fresh"),
        "not given in Russian: English's"
    );
    assert_eq!(uk.desk_name, "Служба обращений");
    uk.use_language("en");
    assert_eq!(uk.desk_name, "Service desk");
    assert_eq!(
        uk.category("CMP").map(|c| c.name.as_str()),
        Some("Complaint")
    );
    assert!(uk.group_named_per_language("FRONT") && !uk.group_named_per_language("NOPE"));
    // A language the desk does not speak, or nothing at all: refused, with the line.
    let e = with(
        "en = \"Complaint\"",
        "de = \"Beschwerde\", en = \"Complaint\"",
    )
    .expect_err("German");
    assert!(e.line.is_some() && e.to_string().contains("'de'"), "{e}");
    let e = with(
        "name = { en = \"Complaint\", ru = \"Жалоба\", uk = \"Скарга\" }",
        "name = { en = \"\" }",
    )
    .expect_err("empty");
    assert!(e.to_string().contains("empty in every language"), "{e}");
}

#[test]
fn saved_queue_names_may_be_given_per_language() {
    let mut cfg = Config::builtin().expect("builtin");
    assert_eq!(cfg.queues[1].name, "Waiting a week");
    cfg.use_language("uk");
    assert_eq!(cfg.queues[1].name, "Чекають тиждень");
    // Known by any of its names, whatever the reader's language.
    for name in ["Waiting a week", "ждут НЕДЕЛЮ", "Чекають тиждень"] {
        assert!(cfg.queues[1].is_named(name), "{name}");
    }
    assert!(!cfg.queues[0].is_named("Waiting a week"));
    cfg.use_language("en");
    assert_eq!(cfg.queues[1].name, "Waiting a week");
    // A name per language clashing with another queue's is refused with its line.
    let e = with(
        "name = { en = \"Agent's open\", ru = \"Открытые исполнителя\", uk = \"Відкриті виконавця\" }",
        "name = { en = \"Late\", ru = \"Ждут неделю\" }",
    )
    .expect_err("twice");
    assert!(e.message.key.contains("twice"), "{e:?}");
}
