//! Counting a queue off the terminal's thread (issue 17): on a million tickets a count is most
//! of a key's time (all tickets: ~26 ms), and a frame never waits for one. The queue asks, the
//! frame is drawn with the rows and "counting…", and the count is shown when it comes.
//!
//! The count runs on a thread of its own with its own connection to the desk
//! (`Store::reader`: an SQLite connection is one thread's). Only the last question matters:
//! asking again makes the one before stale, and a stale count still running is interrupted
//! (SQLite; on PostgreSQL it runs to its end) and its answer dropped. An answer says which
//! question it answers; the queue believes it only while the database is still as it was
//! when it asked (its change stamp), as it does a count it made itself.

use crate::core::config::Config;
use crate::core::query::{Query, Viewer};
use crate::error::Result;
use crate::store::Store;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs on the counting thread before each count (tests hold a count back with it, to see
/// what is drawn meanwhile).
pub type Gate = Box<dyn FnMut() + Send>;

/// Runs on the counting thread once an answer is sent: wakes the terminal's loop, which sleeps
/// until something comes (see `ui::Wakes`).
pub type Notify = Box<dyn Fn() + Send>;

/// A question: count this query for this viewer.
struct Ask {
    id: u64,
    query: Query,
    viewer: Viewer,
}

/// An answer to the question `id`.
pub struct Answer {
    pub id: u64,
    pub count: Result<i64>,
}

/// The counting thread, seen from the terminal's.
pub struct Counter {
    ask: Sender<Ask>,
    answers: Receiver<Answer>,
    /// The last question asked (the only one whose answer counts).
    last: Arc<AtomicU64>,
    /// The id of the question asked last, 0 before the first.
    asked: u64,
    /// The question asked last, until it is sent: after the frame (`send`), so that the
    /// count does not take the processor from the frame that asked for it.
    held: Option<Ask>,
    /// The counting thread is gone: nothing asked of it will be answered.
    gone: bool,
    /// Interrupts the count running (SQLite), once the counting connection is open.
    interrupt: Arc<Mutex<Option<rusqlite::InterruptHandle>>>,
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Counter {{ asked: {} }}", self.asked)
    }
}

impl Counter {
    /// Starts the counting thread on a connection of its own to `store`'s desk (made on that
    /// thread: the terminal's waits for nothing). None when no thread can be started; a
    /// connection that cannot be made answers every question with why. `notify` runs after
    /// each answer is sent.
    pub fn start(
        store: &Store,
        cfg: &Config,
        mut gate: Option<Gate>,
        notify: Option<Notify>,
    ) -> Option<Counter> {
        let (ask_tx, ask_rx) = mpsc::channel::<Ask>();
        let (answer_tx, answer_rx) = mpsc::channel::<Answer>();
        let last = Arc::new(AtomicU64::new(0));
        let interrupt = Arc::new(Mutex::new(None));
        // The connection is made from the first store's own description of itself, on the
        // counting thread; what it needs crosses as plain values.
        let reopen = store.reopen();
        let cfg = cfg.clone();
        let (last_t, interrupt_t) = (last.clone(), interrupt.clone());
        std::thread::Builder::new()
            .name("desk-count".into())
            .spawn(move || {
                let reader = reopen.open();
                if let (Ok(r), Ok(mut slot)) = (&reader, interrupt_t.lock()) {
                    *slot = r.interrupt_handle();
                }
                while let Ok(mut ask) = ask_rx.recv() {
                    // Only the last question is answered.
                    while let Ok(newer) = ask_rx.try_recv() {
                        ask = newer;
                    }
                    if let Some(g) = gate.as_mut() {
                        g();
                    }
                    if last_t.load(Ordering::SeqCst) != ask.id {
                        continue;
                    }
                    let count = match &reader {
                        Ok(r) => r.query_count(&cfg, &ask.query, &ask.viewer),
                        Err(e) => Err(crate::error::Error::Database(e.said())),
                    };
                    // A count made stale while it ran (interrupted or not) is dropped.
                    if last_t.load(Ordering::SeqCst) != ask.id {
                        continue;
                    }
                    if answer_tx.send(Answer { id: ask.id, count }).is_err() {
                        return;
                    }
                    if let Some(n) = notify.as_ref() {
                        n();
                    }
                }
            })
            .ok()?;
        Some(Counter {
            ask: ask_tx,
            answers: answer_rx,
            last,
            asked: 0,
            held: None,
            gone: false,
            interrupt,
        })
    }

    /// Asks for a count, sent once the frame is drawn (`send`); the one asked before is
    /// stale from now on (stopped if it runs). Returns the question's id, or None when the
    /// counting thread is gone.
    pub fn ask(&mut self, query: Query, viewer: Viewer) -> Option<u64> {
        if self.gone {
            return None;
        }
        let id = self.asked + 1;
        self.asked = id;
        self.last.store(id, Ordering::SeqCst);
        // Interrupted before the new question is sent: the interrupt can only reach a count
        // already running, never the new one (the thread takes it after the old one ends).
        if let Ok(slot) = self.interrupt.lock()
            && let Some(h) = slot.as_ref()
        {
            h.interrupt();
        }
        self.held = Some(Ask { id, query, viewer });
        Some(id)
    }

    /// Sends the question held until the frame was drawn. False when the counting thread is
    /// gone (what was asked will not be answered: the queue counts it itself).
    pub fn send(&mut self) -> bool {
        if let Some(ask) = self.held.take()
            && self.ask.send(ask).is_err()
        {
            self.gone = true;
        }
        !self.gone
    }

    /// Forgets the question asked: its answer, when it comes, is dropped.
    pub fn forget(&mut self) {
        self.asked += 1;
        self.held = None;
        self.last.store(self.asked, Ordering::SeqCst);
    }

    /// The answer to the last question, if it has come.
    pub fn answer(&mut self) -> Option<Answer> {
        self.send();
        loop {
            match self.answers.try_recv() {
                Ok(a) if a.id == self.asked => return Some(a),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Waits for the answer to the last question (a key that cannot go on without the count:
    /// the queue's last row). None when the thread is gone, or after `patience`.
    pub fn wait(&mut self, patience: Duration) -> Option<Answer> {
        if !self.send() {
            return None;
        }
        let until = std::time::Instant::now() + patience;
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            match self.answers.recv_timeout(left) {
                Ok(a) if a.id == self.asked => return Some(a),
                Ok(_) => continue,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}
