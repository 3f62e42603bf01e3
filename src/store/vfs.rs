//! SQLite's unix file system but for one thing: a `-wal` file that exists already is opened
//! without asking SQLite to create it.
//!
//! SQLite syncs the directory at the first commit of every connection that opened its
//! write-ahead log "creating it if need be", so that a new file's name survives a power cut.
//! Each desk command is a process of its own, so every change paid for a sync of the desk's
//! directory on top of the sync of its commit (issue 17: two of the two syncs of a `desk new`).
//! The desk keeps its `-wal` (`persist_wal`); one this file system creates has its directory
//! synced at once, whoever creates it (a reader too), so the name of every `-wal` desk made is
//! durable before anything is committed in it. A commit still returns only once its pages are
//! synced in the log (`synchronous=FULL`).
//!
//! Public for bench/new_floor.rs, the floor under `desk new`, which opens a desk as desk does.

use rusqlite::ffi;
use std::ffi::{CStr, c_char, c_int};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::OnceLock;

/// The name desk's connections open their databases with.
pub const NAME: &CStr = c"desk-unix";

/// SQLite's own unix file system (its address), found when this one is registered.
static BASE: OnceLock<Option<usize>> = OnceLock::new();

/// Registers this file system once per process; false where SQLite has no default one (then
/// desk opens its databases with SQLite's default).
pub fn registered() -> bool {
    BASE.get_or_init(|| {
        keep_no_memory_statistics();
        // SAFETY: sqlite3_vfs_find initialises SQLite and returns its default file system, a
        // static struct, or null.
        let base = unsafe { ffi::sqlite3_vfs_find(std::ptr::null()) };
        if base.is_null() {
            return None;
        }
        // SAFETY: `base` points at a valid sqlite3_vfs; the copy keeps its functions and its
        // app data (the unix file system's locking finder), and differs in its name, its link
        // and its xOpen. It is leaked: SQLite keeps the pointer for the rest of the process.
        let mine = unsafe {
            let mut v: ffi::sqlite3_vfs = std::ptr::read(base);
            v.zName = NAME.as_ptr();
            v.pNext = std::ptr::null_mut();
            v.xOpen = Some(open);
            Box::leak(Box::new(v))
        };
        // SAFETY: `mine` lives as long as the process; it is not made the default.
        let rc = unsafe { ffi::sqlite3_vfs_register(mine, 0) };
        (rc == ffi::SQLITE_OK).then_some(base as usize)
    })
    .is_some()
}

/// Tells SQLite, before it starts, not to count the memory it holds (`SQLITE_CONFIG_MEMSTATUS`
/// off): with the count on, every allocation and free takes a global mutex and updates the
/// statistics, and reading a desk's schema at each start makes thousands of them (issue 17:
/// about 0.4 of a `desk show`'s 8.3 million instructions). desk reads none of the statistics
/// and sets no heap limit. Once SQLite has started (another caller was first), this does
/// nothing and SQLite keeps counting.
fn keep_no_memory_statistics() {
    // SAFETY: sqlite3_config takes SQLITE_CONFIG_MEMSTATUS with one int argument; before
    // sqlite3_initialize it sets a global, after it returns SQLITE_MISUSE and changes nothing.
    // Called once, from `registered`'s initialiser, before this file's first SQLite call.
    let _ = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int) };
}

/// Syncs the directory that holds `path`.
fn sync_directory(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)?.sync_all()
}

/// SQLite's xOpen: a `-wal` that exists is opened without "create"; one that does not is
/// created and its directory synced before SQLite writes anything in it.
unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: *const c_char,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let Some(Some(base)) = BASE.get() else {
        return ffi::SQLITE_ERROR;
    };
    let base = *base as *mut ffi::sqlite3_vfs;
    let mut flags = flags;
    let mut made: Option<&Path> = None;
    if flags & ffi::SQLITE_OPEN_WAL != 0 && flags & ffi::SQLITE_OPEN_CREATE != 0 && !name.is_null()
    {
        // SAFETY: SQLite names a write-ahead log with a NUL-terminated path.
        let path = Path::new(std::ffi::OsStr::from_bytes(
            unsafe { CStr::from_ptr(name) }.to_bytes(),
        ));
        if std::fs::symlink_metadata(path).is_ok() {
            flags &= !ffi::SQLITE_OPEN_CREATE;
        } else {
            made = Some(path);
        }
    }
    // SAFETY: `base` is SQLite's unix file system; its xOpen gets its own pointer and what
    // SQLite gave this one.
    let rc = match unsafe { (*base).xOpen } {
        Some(x) => unsafe { x(base, name, file, flags, out_flags) },
        None => ffi::SQLITE_ERROR,
    };
    if rc == ffi::SQLITE_OK
        && let Some(path) = made
        && sync_directory(path).is_err()
    {
        // Not durable: closed again, and SQLite hears the directory could not be synced.
        // SAFETY: the open succeeded, so `file` holds methods whose xClose closes it; SQLite
        // expects no methods on a file whose open failed.
        unsafe {
            if let Some(close) = (*file).pMethods.as_ref().and_then(|m| m.xClose) {
                close(file);
            }
            (*file).pMethods = std::ptr::null();
        }
        return ffi::SQLITE_IOERR_DIR_FSYNC;
    }
    rc
}
