//! `desk mail send`: delivers every notice that is due, once each, and exits.
//!
//! Each notice is taken with a lease naming this process (`pid:start time`), handed to the
//! transport, and its outcome recorded in its own transaction. A sender killed mid-way leaves
//! its notices leased to a process that no longer exists; the next run sees that and sends
//! them again — with the Message-ID they were written with, so a notice that had already left
//! shows once in the requester's mail program.

use super::transport::Sender;
use crate::core::model::Actor;
use crate::error::{Error, Result};
use crate::session::Session;
use crate::store::outbox::{Delivery, Recorded};
use std::collections::HashSet;

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    pub sent: usize,
    /// Failed for now; tried again later.
    pub retry: usize,
    /// Failed for good: shown on their tickets.
    pub failed: usize,
    /// The earliest retry, if any.
    pub next_retry: Option<i64>,
    /// The last temporary error, to say why.
    pub last_error: Option<String>,
}

/// This process's lease name: its pid and start time (so a reused pid is not mistaken for it).
pub fn lease_of_this_process() -> String {
    let pid = std::process::id();
    format!("{pid}:{}", start_time(pid).unwrap_or(0))
}

/// A process's start time, in clock ticks since boot (field 22 of `/proc/PID/stat`).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the sender named by a lease is still running.
pub fn lease_alive(lease: &str) -> bool {
    let Some((pid, start)) = lease.split_once(':') else {
        return false;
    };
    match (pid.parse::<u32>(), start.parse::<u64>()) {
        (Ok(pid), Ok(start)) => start_time(pid) == Some(start),
        _ => false,
    }
}

/// Notices taken at a time.
const BATCH: usize = 64;

/// Delivers what is due; at most `limit` notices when given.
pub fn run(s: &mut Session, actor: &Actor, limit: Option<usize>) -> Result<Sent> {
    if crate::privilege::is_setid() {
        return Err(Error::Forbidden(crate::msg!("error.mail.setid")));
    }
    crate::core::rights::check(actor, crate::core::rights::Action::Deliver, None)?;
    let sender = Sender::open(&s.cfg.mail)?;
    let lease = lease_of_this_process();
    let mut done = Sent::default();
    let mut tried: HashSet<i64> = HashSet::new();
    loop {
        let room = limit
            .map(|l| l.saturating_sub(tried.len()))
            .unwrap_or(BATCH);
        if room == 0 {
            break;
        }
        let batch = s.store.claim_notices(
            actor,
            &lease,
            &lease_alive,
            &tried,
            room.min(BATCH),
            crate::session::now(),
        )?;
        if batch.is_empty() {
            break;
        }
        for o in &batch {
            tried.insert(o.id);
        }
        deliver_batch(s, actor, &sender, &lease, &batch, &mut done)?;
    }
    Ok(done)
}

/// Hands a batch to the transport over `[mail] connections` parallel connections, recording
/// each outcome as it comes (one transaction each, on this thread): a sender killed mid-batch
/// has recorded everything that it knew had left.
fn deliver_batch(
    s: &mut Session,
    actor: &Actor,
    sender: &Sender,
    lease: &str,
    batch: &[crate::store::outbox::Outgoing],
    done: &mut Sent,
) -> Result<()> {
    let workers = s.cfg.mail.connections.clamp(1, batch.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let cfg = s.cfg.mail.clone();
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::channel::<(usize, Delivery)>();
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, cfg) = (&next, &stop, &cfg);
            scope.spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(o) = batch.get(i) else { break };
                    if tx.send((i, sender.deliver(cfg, o))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut failure = None;
        for (i, result) in rx {
            if failure.is_some() {
                continue;
            }
            if let Delivery::Temporary(e) = &result {
                done.last_error = Some(e.clone());
            }
            let recorded = s.store.record_delivery(
                &s.cfg,
                actor,
                batch[i].id,
                lease,
                &result,
                crate::session::now(),
            );
            match recorded {
                Ok(Recorded::Sent) => done.sent += 1,
                Ok(Recorded::Retry(at)) => {
                    done.retry += 1;
                    done.next_retry = Some(done.next_retry.map_or(at, |n: i64| n.min(at)));
                }
                Ok(Recorded::Failed) => done.failed += 1,
                Ok(Recorded::Gone) => {}
                Err(e) => {
                    // The database refused: stop handing notices over; what has left without
                    // being recorded is sent again by the next run, with its Message-ID.
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    failure = Some(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}
