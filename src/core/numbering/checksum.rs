//! Check characters: which algorithm a series uses, and the arithmetic of each.
//!
//! A number's check character is its last letter or digit. Numbers that hold letters get a
//! character from `0-9A-Z` computed over every letter and digit before it (Damm's scheme over a
//! totally anti-symmetric quasigroup of order 36); all-digit numbers keep a decimal digit
//! (Damm of order 10, or Luhn on request). Both Damm variants catch every single substituted
//! character and every swap of two neighbours, the check character included; see the tests,
//! which prove it exhaustively over the tables and by property over whole numbers.
//!
//! Why not ISO 7064 MOD 37-36, the usual hybrid system for this alphabet: it misses some swaps
//! of neighbours (72 of the 45,360 swaps of two different characters at each position of the
//! running state, and about 0.16% of swaps with the check character; `mod37_36` is kept for
//! that comparison). A pure ISO system that catches every swap (MOD 37-2) needs a 37th
//! character, `*`, which no one can read out on the phone.

use std::fmt;

/// The check algorithm of a series, recorded with it at its first number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckAlgo {
    /// Damm of order 10 over the digits: every single-digit error and every adjacent swap.
    #[default]
    Damm,
    /// Luhn over the digits: every single-digit error and most adjacent swaps (not 09/90).
    Luhn,
    /// Damm of order 36 over every letter and digit, with a letter-or-digit check character:
    /// every single substituted character and every adjacent swap. Chosen by the desk for
    /// series whose numbers hold letters; not a value of `[numbering] check`.
    #[serde(skip)]
    Damm36,
}

impl CheckAlgo {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckAlgo::Damm => "damm",
            CheckAlgo::Luhn => "luhn",
            CheckAlgo::Damm36 => "damm36",
        }
    }

    /// The algorithm a new series gets: one that covers letters when its numbers hold any,
    /// else the configured decimal one. `scope` is a series key (see `Template::scope`).
    pub fn for_new_series(scope: &str, configured: CheckAlgo) -> CheckAlgo {
        let letters = scope
            .replace(super::SEQ_MARK, "")
            .chars()
            .any(|c| c.is_ascii_alphabetic());
        if letters {
            CheckAlgo::Damm36
        } else {
            configured
        }
    }

    /// The check character of `payload` (a normalised number without its check character:
    /// upper-case letters and digits). The decimal algorithms read only its digits, as desk
    /// always did, so numbers issued before letters were covered stay valid.
    pub fn check_char(self, payload: &str) -> char {
        match self {
            CheckAlgo::Damm => digit_char(damm(payload.chars())),
            CheckAlgo::Luhn => digit_char(luhn(payload.chars())),
            CheckAlgo::Damm36 => base36_char(damm36(payload.chars())),
        }
    }

    /// Whether `typed` is the right check character for `payload`.
    pub fn accepts(self, payload: &str, typed: char) -> bool {
        self.check_char(payload) == typed.to_ascii_uppercase()
    }

    /// The characters a check character of this algorithm may be.
    pub fn may_be(self, c: char) -> bool {
        match self {
            CheckAlgo::Damm | CheckAlgo::Luhn => c.is_ascii_digit(),
            CheckAlgo::Damm36 => c.is_ascii_digit() || c.is_ascii_uppercase(),
        }
    }
}

impl std::str::FromStr for CheckAlgo {
    type Err = crate::core::message::Message;
    fn from_str(s: &str) -> Result<CheckAlgo, Self::Err> {
        match s {
            "damm" => Ok(CheckAlgo::Damm),
            "luhn" => Ok(CheckAlgo::Luhn),
            "damm36" => Ok(CheckAlgo::Damm36),
            other => Err(crate::msg!(
                "error.unknown_id",
                what = crate::core::message::term("what.check_algorithm"),
                value = other,
                choices = "damm, luhn, damm36"
            )),
        }
    }
}

impl fmt::Display for CheckAlgo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn digit_char(d: u8) -> char {
    char::from(b'0' + d)
}

/// `0-9A-Z` as 0..36.
pub fn base36_value(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        'A'..='Z' => Some(c as u8 - b'A' + 10),
        'a'..='z' => Some(c as u8 - b'a' + 10),
        _ => None,
    }
}

pub fn base36_char(v: u8) -> char {
    if v < 10 {
        char::from(b'0' + v)
    } else {
        char::from(b'A' + (v - 10))
    }
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

/// The operation of a totally anti-symmetric quasigroup of order 36 with `x ∘ x = 0`: the
/// direct product of `x ∘ y = 2(x − y)` over Z9 and `x ∘ y = ω(x + y)` over GF(4) (both
/// anti-symmetric because `a` and `1 − a` are invertible for a = 2 in Z9 and a = ω in GF(4),
/// and a product of such quasigroups is one too). Element `e` is the pair (e mod 9, e div 9).
pub fn damm36_op(x: u8, y: u8) -> u8 {
    let (x9, x4) = (x % 9, x / 9);
    let (y9, y4) = (y % 9, y / 9);
    let z9 = (2 * (9 + x9 - y9)) % 9;
    // GF(4) = {0, 1, ω, ω²} as bits b0 + b1·ω; addition is xor, and ω·(b0 + b1ω) = b1 + (b0+b1)ω.
    let s = x4 ^ y4;
    let z4 = ((s >> 1) & 1) | ((((s & 1) ^ ((s >> 1) & 1)) & 1) << 1);
    z9 + 9 * z4
}

/// The Damm check value (0..36) of a string of letters and digits (other characters ignored).
pub fn damm36(chars: impl IntoIterator<Item = char>) -> u8 {
    chars
        .into_iter()
        .filter_map(base36_value)
        .fold(0u8, damm36_op)
}

/// ISO 7064 MOD 37-36 (hybrid), for comparison only: the check value (0..36) of a string of
/// letters and digits. See the module's documentation for why desk does not use it.
pub fn mod37_36(chars: impl IntoIterator<Item = char>) -> u8 {
    let p = chars
        .into_iter()
        .filter_map(base36_value)
        .fold(36u32, |p, v| {
            let s = (p + u32::from(v)) % 36;
            let s = if s == 0 { 36 } else { s };
            (s * 2) % 37
        });
    ((37 - p) % 36) as u8
}

/// Whether the last character of `s` is the right check character for the ones before it
/// (letters and digits only; other characters ignored).
pub fn verify(algo: CheckAlgo, s: &str) -> bool {
    let key: Vec<char> = s.chars().filter(char::is_ascii_alphanumeric).collect();
    match key.split_last() {
        Some((last, payload)) => {
            let payload: String = payload.iter().collect::<String>().to_ascii_uppercase();
            algo.may_be(last.to_ascii_uppercase()) && algo.accepts(&payload, *last)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALPHABET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    #[test]
    fn test_vectors() {
        assert_eq!(damm("572".chars()), 4);
        assert_eq!(luhn("7992739871".chars()), 3);
        assert_eq!(damm("5724".chars()), 0);
        assert!(verify(CheckAlgo::Damm, "5724"));
        assert!(verify(CheckAlgo::Luhn, "79927398713"));
        assert!(!verify(CheckAlgo::Luhn, "79927398710"));
        assert!(!verify(CheckAlgo::Damm, ""));
        // The ISO 7064 example: MOD 37-36 of "A12425GABC1234002" is M.
        assert_eq!(base36_char(mod37_36("A12425GABC1234002".chars())), 'M');
    }

    #[test]
    fn damm36_is_a_totally_anti_symmetric_quasigroup_with_a_zero_diagonal() {
        for x in 0..36u8 {
            assert_eq!(damm36_op(x, x), 0, "x∘x = 0 for {x}");
            let row: std::collections::HashSet<u8> = (0..36).map(|y| damm36_op(x, y)).collect();
            let col: std::collections::HashSet<u8> = (0..36).map(|y| damm36_op(y, x)).collect();
            assert_eq!(row.len(), 36, "row {x} is a permutation");
            assert_eq!(col.len(), 36, "column {x} is a permutation");
            assert!(row.iter().all(|v| *v < 36));
        }
        // (c∘x)∘y = (c∘y)∘x only when x = y: every swap of neighbours changes the result.
        for c in 0..36u8 {
            for x in 0..36u8 {
                for y in 0..36u8 {
                    if x != y {
                        assert_ne!(
                            damm36_op(damm36_op(c, x), y),
                            damm36_op(damm36_op(c, y), x),
                            "c={c} x={x} y={y}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn mod37_36_misses_some_swaps_which_is_why_it_is_not_used() {
        let step = |p: u32, v: u32| {
            let s = (p + v) % 36;
            ((if s == 0 { 36 } else { s }) * 2) % 37
        };
        let mut missed = 0;
        for p in 1..=36u32 {
            for a in 0..36u32 {
                for b in 0..36u32 {
                    if a != b && step(step(p, a), b) == step(step(p, b), a) {
                        missed += 1;
                    }
                }
            }
        }
        assert_eq!(missed, 72);
    }

    fn with_check(algo: CheckAlgo, payload: &str) -> String {
        format!("{payload}{}", algo.check_char(payload))
    }

    proptest! {
        #[test]
        fn damm36_catches_every_substitution_anywhere(payload in "[0-9A-Z]{1,20}", pos in any::<prop::sample::Index>(), by in 1usize..36) {
            let n: Vec<char> = with_check(CheckAlgo::Damm36, &payload).chars().collect();
            prop_assert!(verify(CheckAlgo::Damm36, &n.iter().collect::<String>()));
            let i = pos.index(n.len());
            let alphabet: Vec<char> = ALPHABET.chars().collect();
            let at = alphabet.iter().position(|c| *c == n[i]).unwrap_or(0);
            let mut typo = n.clone();
            typo[i] = alphabet[(at + by) % 36];
            let typo: String = typo.into_iter().collect();
            prop_assert!(!verify(CheckAlgo::Damm36, &typo), "{} not caught", typo);
        }

        #[test]
        fn damm36_catches_every_adjacent_swap_anywhere(payload in "[0-9A-Z]{1,20}", pos in any::<prop::sample::Index>()) {
            let mut n: Vec<char> = with_check(CheckAlgo::Damm36, &payload).chars().collect();
            let i = pos.index(n.len() - 1);
            prop_assume!(n[i] != n[i + 1]);
            n.swap(i, i + 1);
            let typo: String = n.into_iter().collect();
            prop_assert!(!verify(CheckAlgo::Damm36, &typo), "{} not caught", typo);
        }

        #[test]
        fn damm_catches_every_single_digit_error(digits in "[0-9]{1,16}", pos in any::<prop::sample::Index>(), delta in 1u8..10) {
            let mut bytes = with_check(CheckAlgo::Damm, &digits).into_bytes();
            let i = pos.index(bytes.len());
            bytes[i] = b'0' + (bytes[i] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap_or_default();
            prop_assert!(!verify(CheckAlgo::Damm, &typo), "{} not caught", typo);
        }

        #[test]
        fn damm_catches_every_adjacent_swap(digits in "[0-9]{2,16}", pos in any::<prop::sample::Index>()) {
            let mut bytes = with_check(CheckAlgo::Damm, &digits).into_bytes();
            let i = pos.index(bytes.len() - 1);
            prop_assume!(bytes[i] != bytes[i + 1]);
            bytes.swap(i, i + 1);
            let typo = String::from_utf8(bytes).unwrap_or_default();
            prop_assert!(!verify(CheckAlgo::Damm, &typo), "{} not caught", typo);
        }

        #[test]
        fn luhn_catches_every_single_digit_error(digits in "[0-9]{1,16}", pos in any::<prop::sample::Index>(), delta in 1u8..10) {
            let good = with_check(CheckAlgo::Luhn, &digits);
            let mut bytes = good.clone().into_bytes();
            let i = pos.index(bytes.len());
            bytes[i] = b'0' + (bytes[i] - b'0' + delta) % 10;
            let typo = String::from_utf8(bytes).unwrap_or_default();
            prop_assert!(verify(CheckAlgo::Luhn, &good));
            prop_assert!(!verify(CheckAlgo::Luhn, &typo), "{} not caught", typo);
        }
    }
}
