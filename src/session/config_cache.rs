//! The desk's checked `desk.toml`, kept beside it (`desk.toml.cache`), so that a one-shot
//! command reads the configuration back instead of parsing and checking it again
//! (`core::config::cache` holds the format and what a cache is believed for: this build of the
//! program, the same file name and exactly the same text).
//!
//! Who may have written it is the trust boundary (DESIGN §6): a cache is believed only where
//! only the desk writes, as the desk writes it — never for a `--config` the caller names (the
//! caller does not call this), never through a symbolic link, never a file with other links,
//! and only with the owner and mode the desk gives it:
//!
//! - the shared desk's, in its closed directory: the desk's group, mode 0640 (written by the
//!   set-group-id program, or a service given the group; the operator whose command wrote it
//!   owns it, but cannot reach the directory it is in);
//! - a desk of one's own: the user running desk, writable by nobody else (0600).
//!
//! Anything else — missing, foreign, damaged, stale — is ignored and made again after the file
//! is checked; a cache that cannot be written (a directory the user may only read) is simply
//! not kept. Neither is ever an error.

use crate::core::config::{Config, cache};
use nix::unistd::Gid;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Who writes a desk's cache, and so whose cache is believed.
#[derive(Debug, Clone, Copy)]
pub enum Writer {
    /// A desk of one's own: the user running desk.
    Caller,
    /// The shared desk: its group.
    Desk(Gid),
}

impl Writer {
    /// The mode the desk gives the cache.
    fn mode(self) -> u32 {
        match self {
            Writer::Caller => 0o600,
            Writer::Desk(_) => 0o640,
        }
    }

    /// Whether a file's owner and mode are the ones the desk gives its cache.
    fn wrote(self, m: &std::fs::Metadata) -> bool {
        let mode = m.mode() & 0o7777;
        m.is_file()
            && m.nlink() == 1
            && match self {
                Writer::Caller => m.uid() == nix::unistd::geteuid().as_raw() && mode & 0o7077 == 0,
                Writer::Desk(gid) => m.gid() == gid.as_raw() && mode == 0o640,
            }
    }
}

/// A cache larger than this is not read (the desk's own are tens of kilobytes).
const MAX_BYTES: u64 = 16 << 20;

/// The cache of the configuration file `config`: `desk.toml.cache` beside `desk.toml`.
pub fn path_of(config: &Path) -> PathBuf {
    let mut name = config.file_name().unwrap_or_default().to_os_string();
    name.push(".cache");
    config.with_file_name(name)
}

/// This very build of the program, as a cache names it: its version and its file's identity
/// (device, inode, size, modification time), so that a rebuilt or upgraded program never
/// believes a cache an older one made. `None` (no cache at all) where the system does not
/// say which file runs.
fn program() -> Option<&'static str> {
    static PROGRAM: OnceLock<Option<String>> = OnceLock::new();
    PROGRAM
        .get_or_init(|| program_of(Path::new("/proc/self/exe")))
        .as_deref()
}

/// How the program in the file `exe` names itself in the caches it writes.
pub fn program_of(exe: &Path) -> Option<String> {
    let m = std::fs::metadata(exe).ok()?;
    Some(format!(
        "desk {} {}:{}:{}:{}.{:09}",
        env!("CARGO_PKG_VERSION"),
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec()
    ))
}

/// The configuration checked from `text` (the file `config`, named `origin` in messages), when
/// its cache is one `writer` wrote for exactly this text and this program.
pub fn read(config: &Path, origin: &str, text: &str, writer: Writer) -> Option<Config> {
    let program = program()?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        // Never through a link; a FIFO put in its place does not hold the command up.
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK | nix::libc::O_CLOEXEC)
        .open(path_of(config))
        .ok()?;
    let m = file.metadata().ok()?;
    if !writer.wrote(&m) || m.len() > MAX_BYTES {
        return None;
    }
    let mut bytes = Vec::with_capacity(usize::try_from(m.len()).ok()?);
    file.take(MAX_BYTES).read_to_end(&mut bytes).ok()?;
    cache::decode(&bytes, program, origin, text, &crate::time::SystemZones)
}

/// Keeps `cfg`, checked from `text`, as the cache of `config`: written to a new file of its
/// own beside it and renamed over the old cache, so that a reader sees the old one or the new
/// one, whole. Not synced: a cache a power cut damaged fails its checksum and is made again.
pub fn write(config: &Path, text: &str, cfg: &Config, writer: Writer) {
    let Some(bytes) = program().and_then(|p| cache::encode(cfg, p, text)) else {
        return;
    };
    let path = path_of(config);
    let mut tmp = path.clone().into_os_string();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let made = (|| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(writer.mode())
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .open(&tmp)?;
        if let Writer::Desk(gid) = writer
            && file.metadata()?.gid() != gid.as_raw()
        {
            nix::unistd::fchown(&file, None, Some(gid))?;
        }
        // The mode whatever the umask.
        file.set_permissions(std::fs::Permissions::from_mode(writer.mode()))?;
        file.write_all(&bytes)?;
        drop(file);
        std::fs::rename(&tmp, &path)
    })();
    if made.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}
