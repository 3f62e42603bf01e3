//! The registry: the root-owned file beside the installed program that names the shared desk,
//! trusted only when it and every directory above it belong to root and nobody else may write
//! them.

use super::*;

/// The root-owned file that names the shared desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// Where the registry itself is.
    pub file: PathBuf,
    /// The shared desk's database.
    pub database: PathBuf,
    /// The desk's group: the set-id program's group, the directory's group.
    pub group: String,
    pub gid: Gid,
}

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegistryFile {
    database: PathBuf,
    group: String,
}

/// `/etc` for the usual prefixes (`/usr`, `/usr/local`), else `PREFIX/etc`.
pub fn sysconfdir(prefix: &Path) -> PathBuf {
    if same_path(prefix, Path::new("/usr")) || same_path(prefix, Path::new("/usr/local")) {
        PathBuf::from("/etc")
    } else {
        prefix.join("etc")
    }
}

/// The registry file for programs installed under `prefix`.
pub fn registry_path(prefix: &Path) -> PathBuf {
    sysconfdir(prefix).join("desk").join("shared")
}

/// The prefix this program is installed under: `PREFIX/bin/desk` → `PREFIX`.
pub fn this_prefix() -> Option<PathBuf> {
    let exe = std::fs::read_link("/proc/self/exe").ok()?;
    let bin = exe.parent()?;
    (bin.file_name()? == "bin").then(|| bin.parent().map(Path::to_path_buf))?
}

impl Registry {
    /// The registry installed beside this program: None when there is none; an error when
    /// there is one that cannot be trusted or read.
    pub fn beside_this_program() -> Result<Option<Registry>> {
        let Some(prefix) = this_prefix() else {
            return Ok(None);
        };
        let file = registry_path(&prefix);
        match std::fs::symlink_metadata(&file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            // A directory on the way that this user may not search: not a desk install.
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Ok(None),
            Err(e) => Err(Error::Database(msg!(
                "error.registry.read",
                file = file.display().to_string(),
                why = io(&e)
            ))),
            Ok(_) => Registry::read(&file).map(Some),
        }
    }

    /// Reads and checks a registry file: it and every directory above it must belong to root
    /// and be writable by nobody else.
    pub fn read(file: &Path) -> Result<Registry> {
        let untrusted = |why: Message| {
            Error::Database(msg!(
                "error.registry.untrusted",
                file = file.display().to_string(),
                why = why
            ))
        };
        trusted_path(file, false).map_err(untrusted)?;
        let text = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(file)
            .and_then(|mut f| {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut f, &mut s).map(|_| s)
            })
            .map_err(|e| untrusted(msg!("error.registry.unreadable", why = io(&e))))?;
        let raw: RegistryFile = toml::from_str(&text).map_err(|e| {
            untrusted(msg!(
                "error.registry.syntax",
                detail = crate::error::one_line(e.message())
            ))
        })?;
        if !raw.database.is_absolute() {
            return Err(untrusted(msg!("error.registry.relative")));
        }
        let gid = Group::from_name(&raw.group)
            .ok()
            .flatten()
            .map(|g| g.gid)
            .ok_or_else(|| untrusted(msg!("error.registry.no_group", group = &raw.group)))?;
        Ok(Registry {
            file: file.to_path_buf(),
            database: raw.database,
            group: raw.group,
            gid,
        })
    }

    /// The registry's text for `desk init --shared`.
    pub fn text(database: &Path, group: &str) -> Result<String> {
        let body = toml::to_string(&RegistryFile {
            database: database.to_path_buf(),
            group: group.to_string(),
        })
        .map_err(|e| Error::Invalid(msg!("error.registry.write", detail = e.to_string())))?;
        Ok(format!(
            "# The shared desk, for the set-id desk program installed beside this directory.\n\
             # Written by `desk init --shared`; it must stay root's (read by everyone, written by root).\n{body}"
        ))
    }

    /// The shared desk's directory: `root:GROUP`, setgid, closed to everyone else, and every
    /// directory above it root's and writable by nobody else.
    pub fn check_directory(&self) -> Result<()> {
        let dir = self.database.parent().unwrap_or(Path::new("/"));
        let bad = |why: Message| {
            Error::Database(msg!(
                "error.registry.directory",
                dir = dir.display().to_string(),
                why = why
            ))
        };
        let m = std::fs::symlink_metadata(dir)
            .map_err(|e| bad(msg!("error.registry.dir_unreadable", why = io(&e))))?;
        if !m.is_dir() {
            return Err(bad(msg!("error.registry.not_dir")));
        }
        if m.uid() != 0 || m.gid() != self.gid.as_raw() || m.mode() & 0o7777 != 0o2770 {
            return Err(bad(msg!(
                "error.registry.dir_mode",
                is = describe(&m),
                group = &self.group
            )));
        }
        if let Some(parent) = dir.parent() {
            trusted_path(parent, true).map_err(bad)?;
        }
        Ok(())
    }

    /// The desk's own configuration: `desk.toml` beside the database.
    pub fn config(&self) -> PathBuf {
        crate::session::config_beside(&self.database)
    }
}

/// "owner:group mode" of a file, for messages.
pub(super) fn describe(m: &std::fs::Metadata) -> String {
    let owner = User::from_uid(Uid::from_raw(m.uid()))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| m.uid().to_string());
    let group = Group::from_gid(Gid::from_raw(m.gid()))
        .ok()
        .flatten()
        .map(|g| g.name)
        .unwrap_or_else(|| m.gid().to_string());
    format!("{owner}:{group} {:o}", m.mode() & 0o7777)
}

/// Every component of `path` (an absolute path) is root's, no symbolic link, and writable
/// by nobody else — except directories with the sticky bit (such as `/tmp`), where others
/// cannot remove or replace root's entries. `dir` says whether `path` itself is a directory.
pub fn trusted_path(path: &Path, dir: bool) -> Result<(), Message> {
    let shown = |p: &Path| p.display().to_string();
    if !path.is_absolute() {
        return Err(msg!("error.path.relative", path = shown(path)));
    }
    let mut at = PathBuf::new();
    let parts: Vec<Component<'_>> = path.components().collect();
    for (i, c) in parts.iter().enumerate() {
        at.push(c.as_os_str());
        if matches!(c, Component::ParentDir) {
            return Err(msg!("error.path.dotdot", path = shown(path)));
        }
        let m = std::fs::symlink_metadata(&at)
            .map_err(|e| msg!("error.path.unreadable", path = shown(&at), why = io(&e)))?;
        let last = i + 1 == parts.len();
        if m.file_type().is_symlink() {
            return Err(msg!("error.path.symlink", path = shown(&at)));
        }
        if m.uid() != 0 {
            return Err(msg!(
                "error.path.owner",
                path = shown(&at),
                is = describe(&m)
            ));
        }
        let is_dir = m.is_dir();
        if (!last || dir) && !is_dir {
            return Err(msg!("error.path.not_dir", path = shown(&at)));
        }
        if last && !dir && !m.is_file() {
            return Err(msg!("error.path.not_file", path = shown(&at)));
        }
        let sticky = is_dir && m.permissions().mode() & 0o1000 != 0;
        if m.mode() & 0o022 != 0 && !sticky {
            return Err(msg!(
                "error.path.writable",
                path = shown(&at),
                is = describe(&m)
            ));
        }
    }
    Ok(())
}
