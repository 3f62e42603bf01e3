//! Tests of `numbering`.

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
        check: CheckAlgo::Damm,
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

/// No series numbered yet: every series gets the algorithm of a new one.
fn fresh(_: &str) -> Option<CheckAlgo> {
    None
}

/// A new number of template `t`, as intake renders it.
fn issue(t: &Template, p: &Parts<'_>, seq: u64) -> String {
    t.render(
        p,
        seq,
        CheckAlgo::for_new_series(&t.scope(p), CheckAlgo::Damm),
    )
}

const DEFAULT: &str = "{cat}-{yy}{mm}-{seq:5}-{check}";

#[test]
fn the_check_character_covers_the_letters() {
    let t = Template::parse(DEFAULT).expect("valid");
    let n = issue(&t, &parts("HSG"), 24);
    assert_eq!(&n[..15], "HSG-2611-00024-");
    assert!(verify(CheckAlgo::Damm36, &n));
    // The three numbers of the issue, all valid under the old digits-only check, now
    // differ in their check character: at most one of them can be valid.
    let others: Vec<String> = ["GEN", "SOC"]
        .iter()
        .map(|c| issue(&t, &parts(c), 24))
        .collect();
    for o in &others {
        assert_ne!(o[15..], n[15..], "{o} and {n} share a check character");
        let misheard = format!("{}{}", &o[..3], &n[3..]);
        assert!(!verify(CheckAlgo::Damm36, &misheard), "{misheard} passes");
    }
    // The old algorithm read the digits only, so all three were valid.
    let old = t.render(&parts("HSG"), 24, CheckAlgo::Damm);
    assert_eq!(old, format!("HSG-2611-00024-{}", damm("261100024".chars())));
    assert!(verify(CheckAlgo::Damm, &format!("GEN{}", &old[3..])));
}

#[test]
fn all_digit_numbers_keep_a_decimal_check_digit() {
    let t = Template::parse("{yyyy}{mm}{seq:4}{check}").expect("valid");
    let p = parts("HSG");
    assert_eq!(
        CheckAlgo::for_new_series(&t.scope(&p), CheckAlgo::Damm),
        CheckAlgo::Damm
    );
    assert_eq!(
        CheckAlgo::for_new_series(&t.scope(&p), CheckAlgo::Luhn),
        CheckAlgo::Luhn
    );
    let n = issue(&t, &p, 7);
    assert_eq!(n, format!("2026110007{}", damm("2026110007".chars())));
}

#[test]
fn renders_every_token() {
    let t = Template::parse("{prefix}/{yyyy}{dd}.{group}.{seq:3}").expect("valid");
    assert_eq!(
        t.render(&parts("HSG"), 7, CheckAlgo::Damm36),
        "REQ/202623.HOUSING.007"
    );
    let t = Template::parse("{seq}").expect("valid");
    assert_eq!(t.render(&parts("HSG"), 12345, CheckAlgo::Damm), "12345");
}

#[test]
fn a_series_is_the_number_without_its_sequence_separators_and_check() {
    let p = parts("HSG");
    let key = |s: &str| Template::parse(s).expect("valid").scope(&p);
    assert_eq!(key(DEFAULT), "HSG2611{seq}");
    // Separators and padding do not start a new series: the issue's template change
    // continues the old one instead of numbering from 1 into the numbers already given.
    assert_eq!(key("{cat}-{yy}{mm}-{seq:5}{check}"), key(DEFAULT));
    assert_eq!(key("{cat}/{yy}{mm}/{seq:6}-{check}"), key(DEFAULT));
    assert_eq!(key("{cat}-{yy}{mm}-{seq:5}"), key(DEFAULT));
    assert_ne!(key("{cat}{yyyy}{mm}{seq:5}"), key(DEFAULT));
    // Keys written by earlier desks read the same way.
    assert_eq!(series_key("HSG-2611-{seq}-"), "HSG2611{seq}");
    assert_eq!(series_key("srv-2026-{seq}"), "SRV2026{seq}");
    assert_eq!(series_key("{seq}"), "{seq}");
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
    let e = |s: &str| Template::parse(s).expect_err("should fail").to_string();
    assert!(e("ABC-{seq:5").contains("not closed"));
    assert!(e("ABC-{sequence}").contains("unknown token {sequence}"));
    assert!(e("ABC-{yyyy}").contains("exactly one {seq:N}"));
    assert!(e("{seq:3}{seq:3}").contains("exactly one"));
    assert!(e("{check}{seq:3}").contains("must come after"));
    assert!(e("{seq:3}{check}/{yy}").contains("last letter or digit"));
    assert!(e("{seq:3}{check}X").contains("last letter or digit"));
    assert!(
        Template::parse("{seq:3}-{check}.").is_ok(),
        "separators may follow"
    );
    assert!(e("{seq:0}").contains("width"));
    assert!(e("{seq:99}").contains("width"));
    assert!(e("A}{seq}").contains("no matching"));
    assert!(e("A B{seq}").contains("printable ASCII"));
}

#[test]
fn parses_tolerantly() {
    let g = grammar(DEFAULT);
    let n = issue(&g.templates[0], &parts("HSG"), 42);
    let today = date(2026, 11, 23);
    for typed in [
        n.clone(),
        n.to_lowercase(),
        format!("  {n} "),
        n.replace('-', ""),
        n.replace('-', " "),
    ] {
        let p = g.parse(&typed, today, &fresh).expect("parses");
        assert_eq!(p.canonical, n, "typed {typed:?}");
        assert_eq!(p.seq, 42);
        assert_eq!(p.scope, "HSG2611{seq}");
    }
}

#[test]
fn a_series_numbered_before_keeps_its_digits_only_check() {
    let g = grammar(DEFAULT);
    let old = g.templates[0].render(&parts("HSG"), 42, CheckAlgo::Damm);
    let legacy = |scope: &str| (scope == "HSG2611{seq}").then_some(CheckAlgo::Damm);
    let p = g
        .parse(&old, date(2026, 11, 23), &legacy)
        .expect("still valid");
    assert_eq!(p.canonical, old);
    // Without the record it would read as a new series with another check character.
    assert!(
        matches!(
            g.parse(&old, date(2026, 11, 23), &fresh),
            Err(NumberError::WrongCheck { .. })
        ) || issue(&g.templates[0], &parts("HSG"), 42) == old
    );
}

#[test]
fn distinguishes_malformed_from_wrong_check() {
    let g = grammar(DEFAULT);
    let today = date(2026, 11, 23);
    let n = issue(&g.templates[0], &parts("HSG"), 42);
    let last = n.chars().last().expect("non-empty");
    let wrong = format!(
        "{}{}",
        &n[..n.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    assert!(matches!(
        g.parse(&wrong, today, &fresh),
        Err(NumberError::WrongCheck { .. })
    ));
    match g.parse("HSG-26", today, &fresh) {
        Err(NumberError::Malformed { example, .. }) => {
            assert!(example.starts_with("HSG-2611-00042-"), "{example}")
        }
        other => panic!("expected malformed, got {other:?}"),
    }
    assert_eq!(g.parse("  - ", today, &fresh), Err(NumberError::Empty));
    // Unknown category code: malformed, not some other ticket.
    assert!(matches!(
        g.parse("XYZ-2611-00042-1", today, &fresh),
        Err(NumberError::Malformed { .. })
    ));
    // Month 13 is not a month.
    assert!(matches!(
        g.parse("HSG-2613-00042-1", today, &fresh),
        Err(NumberError::Malformed { .. })
    ));
}

#[test]
fn sequence_may_outgrow_its_padding() {
    let g = grammar("ABC-{seq:3}");
    let p = g
        .parse("abc1234", date(2026, 1, 1), &fresh)
        .expect("parses");
    assert_eq!(p.canonical, "ABC-1234");
    assert_eq!(p.seq, 1234);
    // But a padded run longer than the width is not the same number.
    assert!(g.parse("ABC-0123", date(2026, 1, 1), &fresh).is_err());
}

#[test]
fn luhn_templates_parse_too() {
    let mut g = grammar("{yyyy}{seq:3}{check}");
    g.check = CheckAlgo::Luhn;
    let t = &g.templates[0];
    let n = t.render(&parts("HSG"), 1, CheckAlgo::Luhn);
    assert_eq!(n.len(), 8);
    let p = g.parse(&n, date(2026, 1, 1), &fresh).expect("parses");
    assert_eq!(p.canonical, n);
}

#[test]
fn a_check_letter_after_the_sequence_reads_back() {
    let g = grammar("{cat}{seq:2}{check}");
    for seq in 1..300 {
        let n = issue(&g.templates[0], &parts("SOC"), seq);
        let p = g.parse(&n, date(2026, 1, 1), &fresh).expect("parses");
        assert_eq!((p.canonical.as_str(), p.seq), (n.as_str(), seq));
    }
}

#[test]
fn layout_reads_stored_numbers_back() {
    assert_eq!(
        layout("HSG2611{seq}", 42, "HSG261100042K"),
        Layout::Checked {
            payload: "HSG261100042".into(),
            check: 'K'
        }
    );
    assert_eq!(
        layout("HSG-2611-{seq}-", 42, "HSG2611000427"),
        Layout::Checked {
            payload: "HSG261100042".into(),
            check: '7'
        }
    );
    assert_eq!(layout("SRV2026{seq}", 7, "SRV2026007"), Layout::Plain);
    assert_eq!(layout("{seq}X", 7, "07X"), Layout::Plain);
    assert_eq!(layout("SRV2026{seq}", 8, "SRV2026007"), Layout::Foreign);
    assert_eq!(layout("SRV2027{seq}", 7, "SRV2026007"), Layout::Foreign);
    assert_eq!(layout("SRV{seq}", 7, "SRV007AB"), Layout::Foreign);
}

#[test]
fn a_misheard_code_has_its_variants() {
    let g = grammar(DEFAULT);
    let v = g.code_variants("GEN261100024E");
    assert!(v.contains(&"HSG261100024E".to_string()), "{v:?}");
    assert!(v.contains(&"SOC261100024E".to_string()), "{v:?}");
    assert!(!v.contains(&"GEN261100024E".to_string()));
    assert!(g.code_variants("nothing").is_empty());
}

#[test]
fn candidates_include_the_usual_typos() {
    let c = edit_candidates("HSG261100042K");
    assert!(c.contains(&"HSG261100043K".to_string()), "substitution");
    assert!(c.contains(&"HSG26110004K2".to_string()), "swap");
    assert!(c.contains(&"HSG26110042K".to_string()), "deletion");
    assert!(c.contains(&"HSG2611000042K".to_string()), "insertion");
    assert!(c.contains(&"HSF261100042K".to_string()), "letter");
    assert!(
        c.contains(&"HSG2611000427".to_string()),
        "a digit for a letter"
    );
    assert!(
        c.contains(&"HS6261100042K".to_string()),
        "a digit for a letter"
    );
    assert!(!c.contains(&"HSG261100042K".to_string()), "not itself");
}

const TEMPLATES: [&str; 7] = [
    DEFAULT,
    "{prefix}-{yyyy}-{seq:6}",
    "{cat}{seq:3}{check}",
    "{yyyy}{mm}{dd}{seq:4}{check}",
    "{group}/{yy}/{seq:2}-{check}",
    "ABC-{seq:5}",
    "{seq:4}{check}",
];

proptest! {
    #[test]
    fn numbers_round_trip_through_parse(
        seq in 1u64..10_000_000,
        y in 2000i32..2100, m in 1u32..=12, d in 1u32..=28,
        cat in prop::sample::select(vec!["HSG", "SOC", "GEN"]),
        template in prop::sample::select(TEMPLATES.to_vec()),
        lower in any::<bool>(),
        dashless in any::<bool>(),
    ) {
        let g = grammar(template);
        let p = Parts { prefix: "REQ", date: date(y, m, d), cat, group: "HOUSING" };
        let n = issue(&g.templates[0], &p, seq);
        let mut typed = n.clone();
        if lower { typed = typed.to_lowercase(); }
        if dashless { typed = typed.replace(['-', '/'], ""); }
        let parsed = g.parse(&typed, date(2026, 1, 1), &fresh);
        prop_assert!(parsed.is_ok(), "{} did not parse: {:?}", typed, parsed);
        let parsed = parsed.expect("checked");
        prop_assert_eq!(&parsed.canonical, &n);
        prop_assert_eq!(parsed.seq, seq);
        prop_assert_eq!(parsed.scope, g.templates[0].scope(&p));
    }

    /// Issue 11, item 1: a single character mistyped anywhere (any letter or digit for any
    /// other) or two neighbours swapped never reads as a valid number, for every template
    /// with a check character, letters included.
    #[test]
    fn every_substitution_and_every_swap_is_caught(
        seq in 1u64..1_000_000,
        cat in prop::sample::select(vec!["HSG", "SOC", "GEN"]),
        template in prop::sample::select(vec![TEMPLATES[0], TEMPLATES[2], TEMPLATES[3], TEMPLATES[4], TEMPLATES[6]]),
        pos in any::<prop::sample::Index>(),
        by in 1usize..36,
        swap in any::<bool>(),
    ) {
        const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let g = grammar(template);
        let n = issue(&g.templates[0], &parts(cat), seq);
        let mut chars: Vec<u8> = n.clone().into_bytes();
        let alnum: Vec<usize> = (0..chars.len()).filter(|&i| chars[i].is_ascii_alphanumeric()).collect();
        if swap {
            // Neighbours as a person reads them: separators do not count.
            let k = pos.index(alnum.len() - 1);
            let (i, j) = (alnum[k], alnum[k + 1]);
            prop_assume!(chars[i] != chars[j]);
            chars.swap(i, j);
        } else {
            let i = alnum[pos.index(alnum.len())];
            let at = ALPHABET.iter().position(|c| *c == chars[i]).unwrap_or(0);
            chars[i] = ALPHABET[(at + by) % 36];
        }
        let typo = String::from_utf8(chars).unwrap_or_default();
        let parsed = g.parse(&typo, date(2026, 1, 1), &fresh);
        prop_assert!(parsed.is_err(), "{} (from {}) read as {:?}", typo, n, parsed);
    }

    #[test]
    fn parse_never_panics(input in "\\PC{0,40}") {
        let _ = grammar(DEFAULT).parse(&input, date(2026, 1, 1), &fresh);
    }

    #[test]
    fn template_parse_never_panics(input in "\\PC{0,40}") {
        let _ = Template::parse(&input);
    }

    #[test]
    fn layout_finds_the_check_of_every_issued_number(
        seq in 1u64..10_000_000,
        template in prop::sample::select(TEMPLATES.to_vec()),
    ) {
        let t = Template::parse(template).expect("valid");
        let p = parts("SOC");
        let n = issue(&t, &p, seq);
        let key = normalize(&n);
        let scope = t.scope(&p);
        match layout(&scope, seq, &key) {
            Layout::Checked { payload, check } => {
                prop_assert!(t.has_check());
                let algo = CheckAlgo::for_new_series(&scope, CheckAlgo::Damm);
                prop_assert!(algo.accepts(&payload, check));
            }
            Layout::Plain => prop_assert!(!t.has_check()),
            Layout::Foreign => prop_assert!(false, "{} not read back", n),
        }
    }
}
