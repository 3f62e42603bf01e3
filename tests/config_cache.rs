//! The cache of a desk's checked `desk.toml` (`desk.toml.cache` beside it; README
//! "Configuration"): an edit of the file is seen at the very next start, and a cache the desk
//! did not write as it writes it — another mode, a link, garbage, one beside a `--config` the
//! caller names — is never believed, only made again. The shared desk's side (its group, an
//! operator who would plant one) is in tests/trust.rs, as root.

mod common;

use common::Desk;
use desk::core::config::{Config, cache};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// The desk's own `desk.toml` with one more category, `PLT`, which the desk's real
/// configuration does not have: what a planted cache would slip in.
fn with_planted_category(text: &str) -> String {
    format!("{text}\n[[category]]\ncode = \"PLT\"\nname = \"Planted\"\ngroup = \"FRONT\"\n")
}

/// A cache the desk itself would believe for `config` as it is now, holding the configuration
/// checked from another text (with `PLT`): made the way the program makes its own.
fn forged_cache(config: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(config).expect("desk.toml");
    let origin = config.display().to_string();
    let planted = Config::from_toml(
        &with_planted_category(&text),
        &origin,
        &desk::time::SystemZones,
    )
    .expect("the planted configuration checks");
    let program = desk::session::config_cache_program(Path::new(common::bin())).expect("program");
    cache::encode(&planted, &program, &text).expect("encoded")
}

/// Whether the desk took the planted configuration (a ticket in `PLT` is registered).
fn believes_plt(d: &Desk) -> bool {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let subject = format!("Planted {n}?");
    let r = d.run(&["new", "--subject", &subject, "--category", "PLT"]);
    if r.code != 0 {
        r.fails(2, "unknown category 'PLT'");
    }
    r.code == 0
}

fn write_mode(path: &Path, bytes: &[u8], mode: u32) {
    let _ = std::fs::remove_file(path);
    std::fs::write(path, bytes).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn an_edit_of_desk_toml_is_seen_at_the_next_start() {
    let d = Desk::sqlite();
    let cfg = d.config();
    let cached = desk::session::config_cache_path(&cfg);
    d.run(&["new", "--subject", "Printer", "--category", "TEC"])
        .ok();
    let m = std::fs::symlink_metadata(&cached).expect("the cache was made");
    assert!(m.is_file());
    assert_eq!(m.mode() & 0o7777, 0o600, "the user's own, like the desk");
    let first = std::fs::read(&cached).expect("cache");
    // Edited at once, to a text of the same size: the same second, the same length.
    let text = std::fs::read_to_string(&cfg).expect("cfg");
    let edited = text.replace("code = \"TEC\"", "code = \"TEK\"");
    assert_eq!(edited.len(), text.len());
    std::fs::write(&cfg, &edited).expect("edit");
    d.run(&["new", "--subject", "Scanner", "--category", "TEC"])
        .fails(2, "unknown category 'TEC'");
    d.run(&["new", "--subject", "Mouse", "--category", "TEK"])
        .ok();
    assert_ne!(std::fs::read(&cached).expect("cache"), first, "made again");
    // A mistake made in the file is said as before, cache or not.
    std::fs::write(&cfg, text.replace("code = \"TEC\"", "code = \"T-C\"")).expect("edit");
    let r = d.run(&["list"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("desk.toml:"), "{}", r.stderr);
    // Put back: believed again, from a cache made again.
    std::fs::write(&cfg, &text).expect("edit");
    d.run(&["new", "--subject", "Keyboard", "--category", "TEC"])
        .ok();
}

#[test]
fn a_cache_the_desk_did_not_write_is_not_believed() {
    let d = Desk::sqlite();
    let cfg = d.config();
    let cached = desk::session::config_cache_path(&cfg);
    d.run(&["list"]).ok();
    let forged = forged_cache(&cfg);
    // Garbage, an empty file, a cut one: ignored, and made again.
    for bad in [
        b"garbage".to_vec(),
        Vec::new(),
        forged[..forged.len() / 2].to_vec(),
    ] {
        write_mode(&cached, &bad, 0o600);
        assert!(!believes_plt(&d));
        let now = std::fs::read(&cached).expect("cache");
        assert!(now.len() > 1000 && now != bad, "made again");
    }
    // Others may read or write it, or it is a link: not the desk's.
    for mode in [0o644, 0o660, 0o620, 0o606, 0o4600] {
        write_mode(&cached, &forged, mode);
        assert!(!believes_plt(&d), "mode {mode:o}");
    }
    let elsewhere = d.dir.path().join("elsewhere");
    write_mode(&elsewhere, &forged, 0o600);
    let _ = std::fs::remove_file(&cached);
    std::os::unix::fs::symlink(&elsewhere, &cached).expect("link");
    assert!(!believes_plt(&d), "through a link");
    assert!(std::fs::symlink_metadata(&cached).expect("cache").is_file());
    // A second name for it (a hard link): not as the desk writes it.
    std::fs::remove_file(&cached).expect("rm");
    std::fs::hard_link(&elsewhere, &cached).expect("link");
    assert!(!believes_plt(&d), "a file with two names");
    // A forged cache as the desk writes its own is believed: the forgery is a good one, and
    // the cases above were refused for who wrote them, not for what they hold.
    write_mode(&cached, &forged, 0o600);
    assert!(believes_plt(&d));
}

#[test]
fn a_configuration_the_caller_names_is_never_read_from_a_cache() {
    let d = Desk::sqlite();
    let mine = d.dir.path().join("mine");
    std::fs::create_dir(&mine).expect("dir");
    let named = mine.join("desk.toml");
    std::fs::copy(d.config(), &named).expect("copy");
    let cached = desk::session::config_cache_path(&named);
    write_mode(&cached, &forged_cache(&named), 0o600);
    let r = d.run(&[
        "--config",
        named.to_str().expect("path"),
        "new",
        "--subject",
        "Planted?",
        "--category",
        "PLT",
    ]);
    r.fails(2, "unknown category 'PLT'");
    // Nor is one made for it.
    std::fs::remove_file(&cached).expect("rm");
    d.run(&["--config", named.to_str().expect("path"), "list"])
        .ok();
    assert!(!cached.exists());
}
