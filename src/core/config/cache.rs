//! A checked configuration kept as bytes, so that the next process reads it back instead of
//! parsing and checking `desk.toml` again (2 of a one-shot command's 7.6 million instructions).
//! Pure: bytes in, bytes out; where the bytes live, and who may have written them, is the
//! caller's business (`crate::session`, under the trust boundary of DESIGN §6).
//!
//! The bytes hold what they were made from — the program that made them and the file's whole
//! text — and are believed only for the same two: a file edited in any way, a program rebuilt
//! or upgraded, makes them worthless. (Not its name: the cache lies beside the file, and the
//! same desk named by another path, `desk.db` or `/srv/desk/desk.db`, keeps one cache.) A checksum over everything after it
//! makes a damaged file (a torn write, a disk's error) worthless too.

use super::Config;
use crate::core::fx::checksum;
use crate::core::zone::{Tz, Zones};
use serde::{Deserialize, Serialize};

/// What every cache file starts with (its format: a new one when what follows changes).
const MAGIC: &[u8; 8] = b"deskcfg1";

/// What the bytes were made from, written before the configuration itself, so that a cache
/// of another file or program is told without reading the rest.
#[derive(Serialize, Deserialize)]
struct Source<'a> {
    program: &'a str,
    text: &'a str,
}

/// The bytes that keep `cfg`, checked from `text` by `program` (a string naming this very
/// build of the program: a cache is never read by another).
pub fn encode(cfg: &Config, program: &str, text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 2 + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[0; 8]);
    let source = Source { program, text };
    let out = postcard::to_extend(&source, out).ok()?;
    let mut out = postcard::to_extend(cfg, out).ok()?;
    let sum = checksum(&out[16..]);
    out[8..16].copy_from_slice(&sum.to_le_bytes());
    Some(out)
}

/// The configuration kept in `bytes`, when they were made by `program` from exactly `text`,
/// are whole, and every zone they name is still in `zones` (read again from there: the tz
/// database may have changed since); `origin` names the file in what is said of it. `None`
/// for anything else — a cache that cannot be believed is made again, never an error.
pub fn decode(
    bytes: &[u8],
    program: &str,
    origin: &str,
    text: &str,
    zones: &dyn Zones,
) -> Option<Config> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let (sum, rest) = rest.split_first_chunk::<8>()?;
    if u64::from_le_bytes(*sum) != checksum(rest) {
        return None;
    }
    let (source, rest) = postcard::take_from_bytes::<Source<'_>>(rest).ok()?;
    if source.program != program || source.text != text {
        return None;
    }
    let (mut cfg, left) = postcard::take_from_bytes::<Config>(rest).ok()?;
    if !left.is_empty() {
        return None;
    }
    cfg.resolve_zones(zones)?;
    cfg.origin = origin.to_string();
    Some(cfg)
}

impl Config {
    /// Reads every zone this configuration names again from `zones` (one read per name);
    /// `None` when one is no longer there.
    fn resolve_zones(&mut self, zones: &dyn Zones) -> Option<()> {
        let mut read: Vec<Tz> = Vec::new();
        let places = self
            .zone
            .iter_mut()
            .chain(self.sla.calendar.iter_mut().map(|c| &mut c.tz));
        for tz in places {
            let fresh = match read.iter().find(|r| r.name() == tz.name()) {
                Some(r) => r.clone(),
                None => {
                    let r = tz.resolved(zones).ok()?;
                    read.push(r.clone());
                    r
                }
            };
            *tz = fresh;
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::zone::UtcOnly;

    const PROGRAM: &str = "desk 0.1.0 1:2:3:4";

    fn builtin() -> (Config, Vec<u8>) {
        let cfg = Config::builtin().expect("built-in configuration");
        let bytes = encode(&cfg, PROGRAM, super::super::BUILTIN).expect("encoded");
        (cfg, bytes)
    }

    #[test]
    fn a_configuration_reads_back_as_it_was_checked() {
        let (cfg, bytes) = builtin();
        let back = decode(
            &bytes,
            PROGRAM,
            &cfg.origin,
            super::super::BUILTIN,
            &UtcOnly,
        );
        assert_eq!(back, Some(cfg));
    }

    /// The built-in configuration with what it leaves out: a zone, a calendar, mail, the web
    /// page.
    fn full() -> String {
        let text = super::super::BUILTIN
            .replacen("timezone = \"\"", "timezone = \"UTC\"", 1)
            .replacen(
                "# [sla.calendar]\n# timezone = \"Europe/Kyiv\"",
                "[sla.calendar]\ntimezone = \"Etc/UTC\"",
                1,
            )
            .replacen("# days = ", "days = ", 1)
            .replacen("# hours = ", "hours = ", 1)
            .replacen("# holidays = ", "holidays = ", 1);
        text + "\n[mail]\nfrom = \"City desk <desk@example.org>\"\ntransport = \"dir:/nonexistent\"\n\
                \n[web]\nshow_staff = true\n"
    }

    #[test]
    fn every_part_of_a_full_configuration_reads_back() {
        let text = full();
        let cfg = Config::from_toml(&text, "full.toml", &UtcOnly).expect("it checks");
        assert!(cfg.zone.is_some() && cfg.sla.calendar.is_some() && cfg.mail.transport.is_on());
        let bytes = encode(&cfg, PROGRAM, &text).expect("encoded");
        let back = decode(&bytes, PROGRAM, "full.toml", &text, &UtcOnly);
        assert_eq!(back, Some(cfg));
    }

    /// Knows no zone at all: a zone gone from the tz database since the cache was made.
    struct NoZones;

    impl Zones for NoZones {
        fn zone(&self, name: &str) -> Result<Tz, crate::core::message::Message> {
            Err(crate::msg!("config.time_zone", name = name))
        }
    }

    #[test]
    fn zones_are_read_again_and_a_zone_gone_is_not_believed() {
        let text = full();
        let cfg = Config::from_toml(&text, "full.toml", &UtcOnly).expect("it checks");
        let bytes = encode(&cfg, PROGRAM, &text).expect("encoded");
        assert_eq!(decode(&bytes, PROGRAM, "full.toml", &text, &NoZones), None);
        let asked = Asked(std::cell::RefCell::new(Vec::new()));
        let back = decode(&bytes, PROGRAM, "full.toml", &text, &asked).expect("read back");
        // UtcOnly names both zones (the desk's, the calendar's) "UTC": read once.
        assert_eq!(*asked.0.borrow(), ["UTC"]);
        assert_eq!(back, cfg);
    }

    /// Knows UTC under both its names, and keeps which names were asked for.
    struct Asked(std::cell::RefCell<Vec<String>>);

    impl Zones for Asked {
        fn zone(&self, name: &str) -> Result<Tz, crate::core::message::Message> {
            self.0.borrow_mut().push(name.to_string());
            UtcOnly.zone(name)
        }
    }

    #[test]
    fn another_text_or_program_is_not_believed() {
        let (cfg, bytes) = builtin();
        let text = super::super::BUILTIN;
        let edited = text.replacen("desk", "dusk", 1);
        assert_eq!(
            decode(&bytes, PROGRAM, &cfg.origin, &edited, &UtcOnly),
            None
        );
        assert_eq!(
            decode(&bytes, "desk 0.1.0 1:2:3:5", &cfg.origin, text, &UtcOnly),
            None
        );
        // The same file by another path: the same configuration, named as asked.
        let other = decode(&bytes, PROGRAM, "./desk.toml", text, &UtcOnly).expect("believed");
        assert_eq!(other.origin, "./desk.toml");
        assert_eq!(
            Config {
                origin: cfg.origin.clone(),
                ..other
            },
            cfg
        );
    }

    #[test]
    fn damaged_bytes_are_not_believed() {
        let (cfg, bytes) = builtin();
        let text = super::super::BUILTIN;
        for at in [0, 9, 20, bytes.len() / 2, bytes.len() - 1] {
            let mut bad = bytes.clone();
            bad[at] ^= 0x20;
            assert_eq!(
                decode(&bad, PROGRAM, &cfg.origin, text, &UtcOnly),
                None,
                "{at}"
            );
        }
        for len in [0, 8, 16, bytes.len() - 1] {
            assert_eq!(
                decode(&bytes[..len], PROGRAM, &cfg.origin, text, &UtcOnly),
                None
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer, PROGRAM, &cfg.origin, text, &UtcOnly), None);
        assert_eq!(
            decode(&[0; 4096], PROGRAM, &cfg.origin, text, &UtcOnly),
            None
        );
    }
}
