//! Words as search sees them: a text split into words as the search index splits it
//! (letters and digits; case folded, Latin accents dropped), and the part of a typed word
//! that its other forms share — `heating` finds heat, heater, heated; `квартира` finds
//! квартиры, квартире; `опалення` finds опаленні. No dictionary: common endings of English,
//! Russian and Ukrainian are cut from the word typed (never from the text), and what is
//! left is searched as the start of a word, so a word is always found where it was written.

/// The shortest part a word is cut to: shorter stems would find unrelated words.
const MIN_STEM: usize = 3;

/// Endings cut from Cyrillic words, longest first (Russian and Ukrainian nouns, adjectives
/// and the common verb forms).
const CYRILLIC: &[&str] = &[
    "иями",
    "ениям",
    "ениями",
    "ением",
    "енням",
    "еннями",
    "ення",
    "ение",
    "ения",
    "ении",
    "ений",
    "енні",
    "ость",
    "ости",
    "остью",
    "ість",
    "ості",
    "істю",
    "ями",
    "ами",
    "ого",
    "его",
    "ому",
    "ему",
    "ыми",
    "ими",
    "іми",
    "ией",
    "иях",
    "ях",
    "ах",
    "ам",
    "ям",
    "ом",
    "ем",
    "ой",
    "ей",
    "ий",
    "ый",
    "ій",
    "ая",
    "яя",
    "ое",
    "ее",
    "ые",
    "ие",
    "ых",
    "их",
    "іх",
    "ов",
    "ев",
    "ів",
    "їв",
    "ою",
    "ею",
    "ую",
    "юю",
    "ия",
    "ию",
    "ье",
    "ья",
    "ью",
    "ої",
    "ти",
    "ть",
    "а",
    "я",
    "о",
    "е",
    "ы",
    "и",
    "і",
    "ї",
    "у",
    "ю",
    "ь",
    "й",
];

/// Endings cut from Latin words (English).
const LATIN: &[&str] = &["ings", "ing", "ies", "ied", "ed", "es", "s"];

/// Folds one character as the index does: lower case, Latin accents dropped (é → e, ß kept).
pub fn fold_char(c: char) -> char {
    let lower = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'ţ' | 'ť' | 'ŧ' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    }
}

/// Whether a character belongs to a word (the index's `unicode61` splits on the rest).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// A word of a text: where it is (byte offsets) and its folded form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub folded: String,
}

/// The words of a text, in order.
pub fn words(text: &str) -> Vec<Word> {
    words_of(text).collect()
}

/// The words of a text, in order, each read when it is asked for (a snippet reads a long
/// note only as far as it needs).
pub fn words_of(text: &str) -> impl Iterator<Item = Word> + '_ {
    let mut chars = text.char_indices();
    std::iter::from_fn(move || {
        let mut start: Option<usize> = None;
        let mut folded = String::new();
        for (i, c) in chars.by_ref() {
            if is_word_char(c) {
                if start.is_none() {
                    start = Some(i);
                }
                folded.push(fold_char(c));
            } else if let Some(s) = start {
                return Some(Word {
                    start: s,
                    end: i,
                    folded,
                });
            }
        }
        start.map(|s| Word {
            start: s,
            end: text.len(),
            folded,
        })
    })
}

/// The part of a typed word that its other forms share (folded): a common ending cut when
/// enough is left. Words with digits are kept whole.
pub fn stem(word: &str) -> String {
    let folded: String = word.chars().map(fold_char).collect();
    if folded.chars().any(|c| c.is_ascii_digit()) {
        return folded;
    }
    let cyrillic = folded
        .chars()
        .last()
        .is_some_and(|c| ('\u{0400}'..='\u{04FF}').contains(&c));
    let endings = if cyrillic { CYRILLIC } else { LATIN };
    let len = folded.chars().count();
    for ending in endings {
        let n = ending.chars().count();
        if len >= n + MIN_STEM
            && let Some(stem) = folded.strip_suffix(ending)
        {
            // "glass", "boss": a double s is not a plural.
            if !cyrillic && *ending == "s" && (stem.ends_with('s') || stem.ends_with('u')) {
                return folded;
            }
            return stem.to_string();
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn forms_share_their_stem() {
        let found = |typed: &str, written: &str| {
            let s = stem(typed);
            words(written).iter().any(|w| w.folded.starts_with(&s))
        };
        for (typed, written) in [
            ("heating", "No heat in flat 12"),
            ("heating", "the heater is broken"),
            ("leaks", "a leak under the sink"),
            ("repaired", "please repair"),
            ("batteries", "battery"),
            ("Café", "CAFE au lait"),
            ("отопление", "нет отопления в квартире"),
            ("квартира", "в КВАРТИРЕ холодно"),
            ("квартиры", "квартира 12"),
            ("батареи", "батарея течёт"),
            ("опалення", "немає опаленні"),
            ("квартира", "у квартирі"),
            ("їжак", "Їжаки"),
            ("трубы", "замена трубопровода"),
        ] {
            assert!(
                found(typed, written),
                "{typed} in {written}: {}",
                stem(typed)
            );
        }
        // Short words and numbers stay whole; a double s is no plural.
        assert_eq!(stem("bed"), "bed");
        assert_eq!(stem("gas"), "gas");
        assert_eq!(stem("glass"), "glass");
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("00042"), "00042");
        assert_eq!(stem("HSG"), "hsg");
        assert_eq!(stem("кот"), "кот");
        assert_eq!(stem("течь"), "теч");
    }

    #[test]
    fn words_are_split_and_folded_as_the_index_does() {
        let ws = words("HSG-2611-00042-A: Ёлка, café!");
        let folded: Vec<&str> = ws.iter().map(|w| w.folded.as_str()).collect();
        assert_eq!(folded, ["hsg", "2611", "00042", "a", "ёлка", "cafe"]);
        assert_eq!(
            &"HSG-2611-00042-A: Ёлка, café!"[ws[4].start..ws[4].end],
            "Ёлка"
        );
    }

    proptest! {
        /// A stem is always the start of its folded word, and never empty.
        #[test]
        fn a_stem_starts_its_word(w in "[a-zA-Zа-яА-ЯіїєґІЇЄҐéü0-9]{1,14}") {
            let s = stem(&w);
            let folded: String = w.chars().map(fold_char).collect();
            prop_assert!(folded.starts_with(&s), "{} → {}", w, s);
            prop_assert!(!s.is_empty());
        }
    }
}
