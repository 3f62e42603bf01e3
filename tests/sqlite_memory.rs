//! SQLite keeps no memory statistics in a desk process (issue 17): with them on, every
//! allocation and free SQLite makes — thousands while it reads a desk's schema at each start —
//! takes a global mutex and updates the counts, which desk never reads. This file holds one
//! test, so that, as in the desk program, desk's opening of a desk is its process's first call
//! into SQLite.

use desk::store::{Mode, Store};

#[test]
fn sqlite_counts_no_memory_once_desk_opened_a_desk() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open(
        &dir.path().join("desk.db"),
        Mode::Create,
        desk::store::DEFAULT_BUSY_TIMEOUT,
    )
    .expect("a new desk");
    // SAFETY: sqlite3_memory_used reads a counter; SQLite is initialised (a desk is open).
    let used = unsafe { rusqlite::ffi::sqlite3_memory_used() };
    // With the statistics on, a desk's open connection (its schema, its pages) counts hundreds
    // of kilobytes.
    assert_eq!(
        used, 0,
        "SQLite counted {used} bytes held: its statistics are on"
    );
    drop(store);
}
