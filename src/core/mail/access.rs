//! Access codes: what proves a requester's right to read or add to a ticket. Ticket numbers
//! are sequential and readable by design, so anyone can guess one; the code is random.
//!
//! A code is 12 characters of Crockford's base 32 — digits and the capital letters without
//! I, L, O and U, so no two of its characters look or sound alike — shown in groups of four
//! (`7KQM-3XTA-PW9R`): 60 random bits, read out over the phone in three breaths. Reading one
//! back forgives case, spaces and dashes, and takes O for 0 and I or L for 1, as people
//! write them.

/// The 32 symbols, in value order.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code.
pub const LEN: usize = 12;

/// Random bits in a code (5 per character).
pub const BITS: usize = LEN * 5;

/// A code made from 8 random bytes (the low 60 bits of them are used), in its canonical form
/// (`XXXX-XXXX-XXXX`).
pub fn from_random(bytes: [u8; 8]) -> String {
    let mut v = u64::from_le_bytes(bytes);
    let mut chars = [0u8; LEN];
    for c in chars.iter_mut() {
        *c = ALPHABET[(v & 31) as usize];
        v >>= 5;
    }
    format(&chars)
}

fn format(chars: &[u8; LEN]) -> String {
    let mut out = String::with_capacity(LEN + 2);
    for (i, c) in chars.iter().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(*c as char);
    }
    out
}

/// One character as typed, as a symbol of the alphabet (None: not one).
fn symbol(c: char) -> Option<u8> {
    let c = c.to_ascii_uppercase();
    let c = match c {
        'O' => '0',
        'I' | 'L' => '1',
        c => c,
    };
    (c.is_ascii() && ALPHABET.contains(&(c as u8))).then_some(c as u8)
}

/// A code as a person typed it, in its canonical form; None when it cannot be one (wrong
/// length, a character outside the alphabet).
pub fn parse(input: &str) -> Option<String> {
    let mut chars = [0u8; LEN];
    let mut n = 0;
    for c in input.chars() {
        if c == '-' || c == ' ' {
            continue;
        }
        if n == LEN {
            return None;
        }
        chars[n] = symbol(c)?;
        n += 1;
    }
    (n == LEN).then(|| format(&chars))
}

/// Codes that may appear in a text (a requester quoting theirs in a message), canonical, at
/// most `limit` of them: first those written in three groups of four (`XXXX-XXXX-XXXX`, or
/// with spaces), then twelve symbols written as one word. The caller looks each up, so a word
/// that only looks like a code costs one look-up and matches nothing.
pub fn find_in(text: &str, limit: usize) -> Vec<String> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-'))
        .filter(|w| !w.is_empty())
        .collect();
    // Written as one word with its dashes, as three words of four, as twelve symbols.
    let mut found: [Vec<String>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    let mut add = |rank: usize, candidate: &str| {
        if let Some(code) = parse(candidate)
            && !found.iter().any(|l| l.contains(&code))
        {
            found[rank].push(code);
        }
    };
    for (i, w) in words.iter().enumerate() {
        let b = w.as_bytes();
        if w.len() == LEN + 2 && b[4] == b'-' && b[9] == b'-' {
            add(0, w);
        } else if w.len() == LEN {
            add(2, w);
        } else if w.len() == 4
            && let (Some(x), Some(y)) = (words.get(i + 1), words.get(i + 2))
            && x.len() == 4
            && y.len() == 4
        {
            // Every window of three, since the word before a code may have four letters too.
            add(1, &format!("{w}{x}{y}"));
        }
    }
    let mut all: Vec<String> = found.into_iter().flatten().collect();
    all.truncate(limit);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_read_well_and_carry_sixty_bits() {
        let code = from_random([0xff; 8]);
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        const { assert!(BITS >= 60) };
        for bad in ['I', 'L', 'O', 'U'] {
            assert!(!ALPHABET.contains(&(bad as u8)), "{bad}");
        }
        assert_ne!(from_random([1, 0, 0, 0, 0, 0, 0, 0]), from_random([2; 8]));
    }

    #[test]
    fn typing_is_forgiven() {
        let code = "7KQM-3XTA-PW9R";
        assert_eq!(parse("7kqm 3xta pw9r").as_deref(), Some(code));
        assert_eq!(parse("7KQM3XTAPW9R").as_deref(), Some(code));
        assert_eq!(parse("1O00-0000-0000").as_deref(), Some("1000-0000-0000"));
        assert_eq!(parse("lI00-0000-0000").as_deref(), Some("1100-0000-0000"));
        assert_eq!(parse("7KQM-3XTA-PW9"), None, "short");
        assert_eq!(parse("7KQM-3XTA-PW9RR"), None, "long");
        assert_eq!(parse("7KQM-3XTA-PW9U"), None, "U is not a symbol");
        assert_eq!(parse("7KQM-3XTA-PW9Ж"), None);
    }

    #[test]
    fn codes_are_found_in_text() {
        let text = "Hello, my number is HSG-2611-00042-7 and my code 7kqm-3xta-pw9r.\n\
                    Also 7KQM 3XTA PW9S, call +380 67 412 1190, reference ABCDEFGHJKMN.";
        assert_eq!(
            find_in(text, 10),
            vec![
                "7KQM-3XTA-PW9R".to_string(),
                "A1S0-7KQM-3XTA".to_string(),
                "7KQM-3XTA-PW9S".to_string(),
                // "PW9S call": a window that only looks like a code; its look-up finds nothing.
                "3XTA-PW9S-CA11".to_string(),
                "ABCD-EFGH-JKMN".to_string()
            ]
        );
        assert_eq!(find_in(text, 1), vec!["7KQM-3XTA-PW9R".to_string()]);
        assert!(find_in("nothing here at all", 5).is_empty());
    }

    proptest! {
        #[test]
        fn every_code_parses_back_and_is_found(bytes in any::<[u8; 8]>()) {
            let code = from_random(bytes);
            prop_assert_eq!(parse(&code), Some(code.clone()));
            prop_assert_eq!(parse(&code.to_lowercase()), Some(code.clone()));
            let text = format!("Re: my request\n\ncode: {code}\n");
            prop_assert_eq!(find_in(&text, 3), vec![code.clone()]);
            let spaced = code.replace('-', " ");
            prop_assert_eq!(find_in(&spaced, 3), vec![code.clone()]);
        }
    }
}
