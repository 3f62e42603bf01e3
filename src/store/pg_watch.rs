//! A server that stops answering in the middle of a statement (issue 18).
//!
//! The `postgres` crate waits for the server's answer for ever: it has no per-statement
//! timeout, and a server whose process is stopped (SIGSTOP, a wedged host whose kernel still
//! runs) keeps acknowledging TCP, so keepalives and `tcp_user_timeout` never fire either. A
//! cancel request would go to the same stopped server. What ends the wait is the client's
//! own socket: a watchdog thread shuts it down (`shutdown(2)`), the crate's read then sees
//! the end of the stream, and the call returns its "connection closed" error, which the
//! store says as "the server did not answer within N s" (exit 5).
//!
//! Nothing is half-written by this: a transaction the server had not committed dies with the
//! connection (the server rolls it back when it sees the socket closed, whenever it runs
//! again); one it had acknowledged is committed. Only a COMMIT sent and not answered is
//! uncertain — the server may have committed it just before it stopped — and is said so.
//!
//! The socket is found when the connection is made: the client keeps it inside its runtime,
//! so the sockets that appeared in `/proc/self/fd` during the connect and whose peer is the
//! server (its TCP port, or its Unix socket `.s.PGSQL.PORT`) are the connection's. Each is
//! kept with its inode, and shut down only while the descriptor still names that socket.
//!
//! A call is watched from its start (`arm`) to its end; a streamed result (`for_each_row`)
//! counts every row as an answer (`touch`), so a long read that keeps answering is not cut.
//! The limit is the URL's `answer_timeout` (seconds; `0` waits for ever), 30 s by default,
//! and a statement that may legitimately wait for the desk's write lock gets the lock's
//! timeout on top. Schema upgrades and `desk migrate`, whose single statements (an index
//! over millions of rows) may run for minutes, are not watched (`Watch::patient`).

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

/// How long a call waits for the server by default (`answer_timeout` in the URL).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// How often the watchdog looks.
const TICK: Duration = Duration::from_millis(200);

/// One connection's watch: shared with the watchdog thread.
#[derive(Clone)]
pub struct Watch(Arc<Shared>);

struct Shared {
    /// The limit; None waits for ever.
    limit: Option<Duration>,
    /// When the call under way started or last heard from the server (ms since `epoch()`,
    /// plus one); 0 when no call is under way.
    since: AtomicU64,
    /// Extra time the call under way may take (the lock's timeout), in ms.
    extra: AtomicU64,
    /// Not watched at all for now (`patient`).
    patient: AtomicBool,
    /// The watchdog cut the connection.
    fired: AtomicBool,
    /// The connection's sockets: descriptor and inode.
    sockets: Mutex<Vec<(RawFd, u64)>>,
}

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64 + 1
}

/// The watches the watchdog looks after; the thread is started with the first.
fn watches() -> &'static Mutex<Vec<Weak<Shared>>> {
    static WATCHES: OnceLock<Mutex<Vec<Weak<Shared>>>> = OnceLock::new();
    WATCHES.get_or_init(|| {
        let _ = std::thread::Builder::new()
            .name("pg-watchdog".into())
            .spawn(watchdog);
        Mutex::new(Vec::new())
    })
}

fn watchdog() {
    loop {
        std::thread::sleep(TICK);
        let live: Vec<Arc<Shared>> = {
            let Ok(mut all) = watches().lock() else {
                return;
            };
            all.retain(|w| w.strong_count() > 0);
            all.iter().filter_map(Weak::upgrade).collect()
        };
        let now = now_ms();
        for w in live {
            w.look(now);
        }
    }
}

impl Shared {
    fn look(&self, now: u64) {
        let Some(limit) = self.limit else { return };
        let since = self.since.load(Ordering::SeqCst);
        if since == 0 || self.patient.load(Ordering::SeqCst) || self.fired.load(Ordering::SeqCst) {
            return;
        }
        let allowed = limit.as_millis() as u64 + self.extra.load(Ordering::SeqCst);
        if now.saturating_sub(since) < allowed {
            return;
        }
        self.fired.store(true, Ordering::SeqCst);
        let Ok(sockets) = self.sockets.lock() else {
            return;
        };
        for &(fd, inode) in sockets.iter() {
            if socket_inode(fd) == Some(inode) {
                let _ = nix::sys::socket::shutdown(fd, nix::sys::socket::Shutdown::Both);
            }
        }
    }
}

impl Watch {
    /// A watch of `sockets` (from `sockets_since`) with `limit` (None: never).
    pub fn new(limit: Option<Duration>, sockets: Vec<(RawFd, u64)>) -> Watch {
        let shared = Arc::new(Shared {
            limit,
            since: AtomicU64::new(0),
            extra: AtomicU64::new(0),
            patient: AtomicBool::new(false),
            fired: AtomicBool::new(false),
            sockets: Mutex::new(sockets),
        });
        if limit.is_some()
            && let Ok(mut all) = watches().lock()
        {
            all.push(Arc::downgrade(&shared));
        }
        Watch(shared)
    }

    /// The limit, None when calls wait for ever.
    pub fn limit(&self) -> Option<Duration> {
        self.0.limit
    }

    /// The connection was made again: its new sockets, and nothing fired.
    pub fn renew(&self, sockets: Vec<(RawFd, u64)>) {
        if let Ok(mut s) = self.0.sockets.lock() {
            *s = sockets;
        }
        self.0.since.store(0, Ordering::SeqCst);
        self.0.fired.store(false, Ordering::SeqCst);
    }

    /// Watches a call from now until the guard is dropped, allowing `extra` beyond the limit.
    pub fn arm(&self, extra: Duration) -> Armed<'_> {
        self.0
            .extra
            .store(extra.as_millis() as u64, Ordering::SeqCst);
        self.0.since.store(now_ms(), Ordering::SeqCst);
        Armed(self)
    }

    /// The server answered (a row of a streamed result): the wait starts again.
    pub fn touch(&self) {
        if self.0.since.load(Ordering::SeqCst) != 0 {
            self.0.since.store(now_ms(), Ordering::SeqCst);
        }
    }

    /// Whether the watchdog cut the connection.
    pub fn fired(&self) -> bool {
        self.0.fired.load(Ordering::SeqCst)
    }

    /// Runs `f` unwatched (a schema upgrade, `desk migrate`: statements that may run for
    /// minutes), then watches again as before.
    pub fn patient<T>(&self, f: impl FnOnce() -> T) -> T {
        let was = self.0.patient.swap(true, Ordering::SeqCst);
        let out = f();
        self.0.patient.store(was, Ordering::SeqCst);
        out
    }
}

/// A call under watch; the watch ends when it is dropped.
pub struct Armed<'w>(&'w Watch);

impl Drop for Armed<'_> {
    fn drop(&mut self) {
        self.0.0.since.store(0, Ordering::SeqCst);
    }
}

/// The inode of the socket descriptor `fd` names, if it names one.
fn socket_inode(fd: RawFd) -> Option<u64> {
    let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
    let link = link.to_str()?;
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// The process's open sockets: descriptor and inode.
pub fn sockets() -> Vec<(RawFd, u64)> {
    let Ok(dir) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let fd: RawFd = e.ok()?.file_name().to_str()?.parse().ok()?;
        Some((fd, socket_inode(fd)?))
    })
    .collect()
}

/// The sockets open now that were not in `before`, connected to one of `ports` (TCP) or to a
/// PostgreSQL Unix socket of one of them: the connection just made.
pub fn sockets_since(before: &[(RawFd, u64)], ports: &[u16]) -> Vec<(RawFd, u64)> {
    use nix::sys::socket::{SockaddrLike, SockaddrStorage, getpeername};
    sockets()
        .into_iter()
        .filter(|s| !before.contains(s))
        .filter(|&(fd, _)| {
            let Ok(peer) = getpeername::<SockaddrStorage>(fd) else {
                return false;
            };
            if let Some(ip) = peer.as_sockaddr_in() {
                return ports.contains(&ip.port());
            }
            if let Some(ip) = peer.as_sockaddr_in6() {
                return ports.contains(&ip.port());
            }
            if peer.family() == Some(nix::sys::socket::AddressFamily::Unix) {
                let path = peer
                    .as_unix_addr()
                    .and_then(|u| u.path())
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default();
                return ports
                    .iter()
                    .any(|p| path.ends_with(&format!(".s.PGSQL.{p}")));
            }
            false
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_peer_is_cut_and_a_patient_call_is_not() {
        // A listener that accepts and never answers: what a stopped server looks like.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let before = sockets();
        let mut client = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connects");
        let (_server, _) = listener.accept().expect("accepts");
        let mine = sockets_since(&before, &[port]);
        assert_eq!(mine.len(), 1, "{mine:?}");
        let watch = Watch::new(Some(Duration::from_millis(300)), mine);
        watch.patient(|| {
            let _armed = watch.arm(Duration::ZERO);
            std::thread::sleep(Duration::from_millis(900));
        });
        assert!(!watch.fired(), "a patient call is not cut");
        let _armed = watch.arm(Duration::ZERO);
        let mut buf = [0u8; 1];
        let n = std::io::Read::read(&mut client, &mut buf).expect("the read ends");
        assert_eq!(n, 0, "the stream ends when the watchdog cuts it");
        assert!(watch.fired());
    }
}
