//! Frequent problems' words: counted in the newest subjects of the period.

use super::Tally;
use std::collections::HashMap;

/// Words too common to say anything about a problem.
const STOP: &[&str] = &[
    "with",
    "from",
    "that",
    "this",
    "have",
    "been",
    "will",
    "your",
    "about",
    "after",
    "does",
    "when",
    "there",
    "their",
    "what",
    "into",
    "still",
    "again",
    "since",
    "also",
    "для",
    "что",
    "это",
    "как",
    "уже",
    "или",
    "при",
    "нет",
    "все",
    "был",
    "быть",
    "после",
    "від",
    "або",
    "вже",
    "при",
    "ще",
    "після",
    "його",
    "немає",
    "через",
];

fn keywords(subject: &str, counts: &mut HashMap<String, i64>) {
    let mut seen: Vec<String> = Vec::new();
    for w in subject.split(|c: char| !c.is_alphanumeric()) {
        if w.chars().count() < 4 || w.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let w = w.to_lowercase();
        if STOP.contains(&w.as_str()) || seen.contains(&w) {
            continue;
        }
        seen.push(w.clone());
        *counts.entry(w).or_default() += 1;
    }
}

/// Subjects read for the frequent words: the newest of the period, so that a year of a busy
/// desk still answers at once (the count is shown with the words).
pub const KEYWORD_SAMPLE: i64 = 20_000;

impl Tally<'_> {
    /// Frequent words, from the newest subjects of the period: the words and how many
    /// subjects were read.
    pub(super) fn keywords(&self) -> rusqlite::Result<(HashMap<String, i64>, i64)> {
        let mut words: HashMap<String, i64> = HashMap::new();
        let mut stmt = self.c.prepare(&format!(
            "SELECT f.subject FROM tickets f INDEXED BY tickets_created
             WHERE f.created_at >= ?1 AND f.created_at < ?2 {}
             ORDER BY f.created_at DESC LIMIT {KEYWORD_SAMPLE}",
            self.group_filter
        ))?;
        let mut q = stmt.query(crate::store::db::params_from_iter(self.args()))?;
        let mut sampled = 0;
        while let Some(r) = q.next()? {
            keywords(r.get_ref(0)?.as_str()?, &mut words);
            sampled += 1;
        }
        Ok((words, sampled))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
