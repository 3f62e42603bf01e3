//! How far the store's long work is — an upgrade of the database, recomputing service-level
//! figures, a check, a restore — told to whoever listens on this thread: the command line
//! draws a bar on a terminal (`cli::progress`); the store itself never touches one, and work
//! nobody listens to costs one look at an empty cell per step.

use std::cell::RefCell;

/// Long work the store tells about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// The database's migrations, in migrations.
    Upgrade,
    /// Service-level figures, in tickets.
    Recompute,
    /// `desk check`, in its checks.
    Check,
    /// A restore, in the database's pages copied.
    Restore,
    /// `desk migrate`, in rows copied.
    Migrate,
    /// The report's days built from the facts, in tickets.
    Rollups,
}

type Listener = Box<dyn Fn(Work, u64, u64)>;

thread_local! {
    static LISTENER: RefCell<Option<Listener>> = const { RefCell::new(None) };
}

/// From now on this thread's long work tells `f` how far it is: `(work, done, total)`, the
/// last call of a piece of work with `done == total`.
pub fn listen(f: impl Fn(Work, u64, u64) + 'static) {
    LISTENER.with_borrow_mut(|l| *l = Some(Box::new(f)));
}

/// Nobody listens any more.
pub fn stop_listening() {
    LISTENER.with_borrow_mut(|l| *l = None);
}

/// `done` of `total` steps of `work` are done.
pub(crate) fn tell(work: Work, done: u64, total: u64) {
    LISTENER.with_borrow(|l| {
        if let Some(f) = l {
            f(work, done, total);
        }
    });
}
