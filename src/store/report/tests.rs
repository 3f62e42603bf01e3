//! Tests of `report`.

use super::*;

#[test]
fn quantiles_use_the_nearest_rank() {
    let mut d = Durations::default();
    for v in [5, 1, 4, 2, 3, 10, 9, 8, 7, 6] {
        d.push(v, Some(5));
    }
    d.sort();
    assert_eq!(d.median(), Some(5));
    assert_eq!(d.p90(), Some(9));
    assert_eq!(d.quantile(1.0), Some(10));
    assert_eq!(d.within_share(), Some(0.5));
    assert_eq!(Durations::default().median(), None);
}

#[test]
fn keywords_skip_short_and_common_words() {
    let mut m = HashMap::new();
    keywords("No heating in flat 12 — heating again!", &mut m);
    keywords("Нет отопления, отопления нет", &mut m);
    assert_eq!(m.get("heating"), Some(&1), "counted once per subject");
    assert_eq!(m.get("flat"), Some(&1));
    assert!(!m.contains_key("again") && !m.contains_key("no") && !m.contains_key("12"));
    assert_eq!(m.get("отопления"), Some(&1));
}
