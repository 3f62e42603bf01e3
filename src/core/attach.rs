//! Attachments: what a file attached to a ticket is called (the name it came with, made safe
//! to show and to save), how large it may be, and how its content is named (SHA-256). The
//! desk keeps every file's bytes by content and never runs or opens one.

use sha2::{Digest, Sha256};

/// Limits on what is attached (`[attachments]` in desk.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// The largest file, in bytes.
    pub max_bytes: u64,
    /// The most all of one ticket's files may add up to.
    pub max_ticket_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 25 << 20,
            max_ticket_bytes: 100 << 20,
        }
    }
}

/// The longest name kept, in characters.
pub const NAME_CHARS: usize = 200;

/// A file's name as the desk keeps it: only its last component (never a path), without
/// control, escape, bidi or format characters, path separators or a leading dot (nothing
/// hidden, nothing that climbs out of a folder when saved), at most 200 characters keeping its
/// extension. Nothing left: "attachment".
pub fn safe_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = super::sanitize::clean_line(last)
        .chars()
        .map(|c| match c {
            ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let name = if trimmed.is_empty() {
        "attachment".to_string()
    } else {
        trimmed.to_string()
    };
    shorten(&name)
}

/// At most `NAME_CHARS` characters, the extension (up to 16 characters) kept.
fn shorten(name: &str) -> String {
    if name.chars().count() <= NAME_CHARS {
        return name.to_string();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.chars().count() <= 16);
    match ext {
        Some(ext) => {
            let keep = NAME_CHARS - ext.chars().count() - 1;
            let stem: String = name.chars().take(keep).collect();
            format!("{stem}.{ext}")
        }
        None => name.chars().take(NAME_CHARS).collect(),
    }
}

/// A name not yet used on the ticket: the name itself, else "name (2).ext", "name (3).ext"…
pub fn unique_name(name: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == name) {
        return name.to_string();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    (2..)
        .map(|n| format!("{stem} ({n}){ext}"))
        .find(|candidate| !taken.iter().any(|t| t == candidate))
        .unwrap_or_else(|| name.to_string())
}

/// The content's name: its SHA-256 in lower-case hex.
pub fn hash(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a file cannot be attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TooBig {
    File { size: u64, limit: u64 },
    Ticket { total: u64, limit: u64 },
}

/// Checks a file of `size` bytes against the limits, with `already` bytes attached to its
/// ticket before it.
pub fn check_size(limits: &Limits, size: u64, already: u64) -> Result<(), TooBig> {
    if size > limits.max_bytes {
        return Err(TooBig::File {
            size,
            limit: limits.max_bytes,
        });
    }
    let total = already.saturating_add(size);
    if total > limits.max_ticket_bytes {
        return Err(TooBig::Ticket {
            total,
            limit: limits.max_ticket_bytes,
        });
    }
    Ok(())
}

/// A size as people read it: 512 B, 14 KB, 3.2 MB (powers of 1024).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    match unit {
        0 => format!("{bytes} B"),
        _ if v < 10.0 => format!("{v:.1} {}", UNITS[unit]),
        _ => format!("{v:.0} {}", UNITS[unit]),
    }
}

/// Reads a size as written in desk.toml: "25M", "512K", "1G", "300000" (bytes).
pub fn parse_size(s: &str) -> Result<u64, crate::core::message::Message> {
    let t = s.trim();
    let (num, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n > 0)
        .ok_or_else(|| crate::msg!("config.size", value = s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(safe_name("report.pdf"), "report.pdf");
        assert_eq!(safe_name("/home/olena/scans/passport.jpg"), "passport.jpg");
        assert_eq!(safe_name("C:\\Users\\o\\Letter.docx"), "Letter.docx");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        assert_eq!(safe_name("..."), "attachment");
        assert_eq!(safe_name(""), "attachment");
        // An escape sequence becomes one replacement character; a bidi override goes.
        assert_eq!(
            safe_name("a\u{1b}]0;x\u{7}b\u{202e}gpj.exe"),
            "a\u{fffd}bgpj.exe"
        );
        assert_eq!(safe_name("what?.txt"), "what_.txt");
        let long = format!("{}.pdf", "x".repeat(300));
        let short = safe_name(&long);
        assert_eq!(short.chars().count(), NAME_CHARS);
        assert!(short.ends_with(".pdf"));
    }

    #[test]
    fn a_second_file_of_the_same_name_is_numbered() {
        let taken = vec!["scan.pdf".to_string(), "scan (2).pdf".to_string()];
        assert_eq!(unique_name("scan.pdf", &taken), "scan (3).pdf");
        assert_eq!(unique_name("other.pdf", &taken), "other.pdf");
        assert_eq!(unique_name("README", &["README".into()]), "README (2)");
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("25M"), Ok(25 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999G").is_err());
        assert_eq!(human_size(512), "512 B");
        assert_eq!(human_size(3 << 20), "3.0 MB");
        assert_eq!(human_size(14 * 1024 + 10), "14 KB");
        let l = Limits {
            max_bytes: 10,
            max_ticket_bytes: 15,
        };
        assert!(check_size(&l, 10, 5).is_ok());
        assert_eq!(
            check_size(&l, 11, 0),
            Err(TooBig::File {
                size: 11,
                limit: 10
            })
        );
        assert_eq!(
            check_size(&l, 10, 6),
            Err(TooBig::Ticket {
                total: 16,
                limit: 15
            })
        );
    }

    #[test]
    fn content_is_named_by_its_sha256() {
        assert_eq!(
            hash(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
