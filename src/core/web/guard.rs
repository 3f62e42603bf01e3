//! What keeps the web page from being abused, as pure rules: who the client is (believing
//! `X-Forwarded-For` only from the desk's own proxies), how many attempts a client has left
//! in a sliding window, and the token that proves a form was sent from the desk's own page.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::str::FromStr;

/// An address or a network (`192.0.2.10`, `10.0.0.0/8`, `2001:db8::/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Net {
    addr: IpAddr,
    prefix: u8,
}

impl FromStr for Net {
    type Err = ();
    fn from_str(s: &str) -> Result<Net, ()> {
        let s = s.trim();
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr = canonical(a.parse::<IpAddr>().map_err(|_| ())?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p
                .parse::<u8>()
                .map_err(|_| ())
                .and_then(|p| if p <= max { Ok(p) } else { Err(()) })?,
            None => max,
        };
        Ok(Net { addr, prefix })
    }
}

impl Net {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u32::from(n).into(), u32::from(a).into(), self.prefix, 32)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), u128::from(a), self.prefix, 128)
            }
            _ => false,
        }
    }
}

fn masked(n: u128, a: u128, prefix: u8, bits: u32) -> bool {
    let shift = bits - u32::from(prefix);
    shift >= bits || (n >> shift) == (a >> shift)
}

/// IPv4 written as IPv6 (`::ffff:192.0.2.1`) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Who is asking, as far as the desk can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub addr: IpAddr,
    /// The request reached the desk's proxy over HTTPS (said by a trusted proxy).
    pub https: bool,
}

impl Client {
    /// The client: the peer, unless the peer is one of `proxies`; then the nearest address in
    /// `X-Forwarded-For` (every occurrence, in order) that is not one of them, read from the
    /// right, where each proxy appends what it saw. What a client writes there itself is to
    /// the left and never believed. `X-Forwarded-Proto` likewise only from a proxy.
    pub fn of(
        peer: IpAddr,
        proxies: &[Net],
        forwarded_for: &[&str],
        proto: Option<&str>,
    ) -> Client {
        let trusted = |ip: IpAddr| proxies.iter().any(|n| n.contains(ip));
        let peer = canonical(peer);
        if !trusted(peer) {
            return Client {
                addr: peer,
                https: false,
            };
        }
        let mut addr = peer;
        let hops = forwarded_for
            .iter()
            .rev()
            .flat_map(|h| h.rsplit(','))
            .take(64);
        for hop in hops {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    addr = canonical(ip);
                    if !trusted(addr) {
                        break;
                    }
                }
                // Not an address: nothing left of it can be believed.
                Err(_) => break,
            }
        }
        let https = proto
            .and_then(|p| p.rsplit(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
        Client { addr, https }
    }

    /// The key its attempts are counted under: the address, or for IPv6 its /64 (one
    /// household or host holds a whole /64).
    pub fn key(&self) -> IpAddr {
        match self.addr {
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
            v4 => v4,
        }
    }
}

/// At most `limit` events per client within `span` seconds (a sliding window), for at most
/// `clients` clients at a time (the one seen least recently is forgotten first).
#[derive(Debug)]
pub struct Window {
    limit: usize,
    span: i64,
    clients: usize,
    seen: HashMap<IpAddr, VecDeque<i64>>,
}

impl Window {
    pub fn new(limit: u32, span: i64, clients: usize) -> Window {
        Window {
            limit: limit.max(1) as usize,
            span,
            clients: clients.max(1),
            seen: HashMap::new(),
        }
    }

    fn recent(&mut self, key: IpAddr, now: i64) -> Option<&mut VecDeque<i64>> {
        let span = self.span;
        let times = self.seen.get_mut(&key)?;
        while times.front().is_some_and(|t| *t <= now - span) {
            times.pop_front();
        }
        Some(times)
    }

    /// Whether the client may try now; None, or the seconds until it may.
    pub fn wait(&mut self, key: IpAddr, now: i64) -> Option<i64> {
        let (limit, span) = (self.limit, self.span);
        let times = self.recent(key, now)?;
        (times.len() >= limit).then(|| times.front().map_or(1, |t| (t + span - now).max(1)))
    }

    /// Counts one event of the client.
    pub fn record(&mut self, key: IpAddr, now: i64) {
        if !self.seen.contains_key(&key) && self.seen.len() >= self.clients {
            self.forget(now);
        }
        let limit = self.limit;
        let times = self.seen.entry(key).or_default();
        times.push_back(now);
        while times.len() > limit {
            times.pop_front();
        }
    }

    /// Forgets every client whose events are all past the window; if none is, the one seen
    /// least recently.
    fn forget(&mut self, now: i64) {
        let span = self.span;
        self.seen
            .retain(|_, t| t.back().is_some_and(|last| *last > now - span));
        if self.seen.len() >= self.clients
            && let Some(oldest) = self
                .seen
                .iter()
                .min_by_key(|(_, t)| t.back().copied().unwrap_or(i64::MIN))
                .map(|(k, _)| *k)
        {
            self.seen.remove(&oldest);
        }
    }

    pub fn clients(&self) -> usize {
        self.seen.len()
    }
}

/// How long a form stays good: long enough to write a long request.
pub const TOKEN_LIFE: i64 = 4 * 3600;

/// The token of a form: proves it was sent from a page the desk gave this browser (a random
/// value in its cookie), recently, and names the form itself (so the same form sent twice
/// registers one request). `ISSUED.FORM.MAC`, the MAC an HMAC-SHA256 under the server's
/// secret over the cookie's value, the time and the form's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub issued: i64,
    /// The form's own random id (hex).
    pub form: String,
}

/// The server's secret: random, made when it starts (a restart makes forms opened before it
/// ask to be sent again). As long as SHA-256's block.
pub type Secret = [u8; 64];

fn mac(secret: &Secret, cookie: &str, issued: i64, form: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as hmac::digest::KeyInit>::new(secret.into());
    m.update(format!("desk-form\n{cookie}\n{issued}\n{form}").as_bytes());
    m
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

/// A cookie value or form id made of random bytes.
pub fn random_id(bytes: [u8; 16]) -> String {
    hex(&bytes)
}

/// Whether a cookie value is one the desk could have made (32 hex digits).
pub fn is_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Token {
    /// The token for a form with id `form`, given at `now` to the browser holding `cookie`.
    pub fn make(secret: &Secret, cookie: &str, form: &str, now: i64) -> String {
        let m = mac(secret, cookie, now, form).finalize().into_bytes();
        format!("{now}.{form}.{}", hex(&m))
    }

    /// The token as sent back, if it is the desk's for this cookie and still good.
    pub fn check(secret: &Secret, cookie: &str, token: &str, now: i64) -> Option<Token> {
        if !is_id(cookie) || token.len() > 200 {
            return None;
        }
        let mut parts = token.trim().splitn(3, '.');
        let issued: i64 = parts.next()?.parse().ok()?;
        let form = parts.next()?;
        let sent = unhex(parts.next()?)?;
        if !is_id(form) || issued > now + 60 || now - issued > TOKEN_LIFE {
            return None;
        }
        mac(secret, cookie, issued, form).verify_slice(&sent).ok()?;
        Some(Token {
            issued,
            form: form.to_string(),
        })
    }
}

/// The mark a registration puts in the address it sends the browser to: an HMAC-SHA256,
/// under the server's secret, over the number and code it has just given. With it the status
/// page repeats the code and is shown even to a client over its look-up limit: that client
/// guessed nothing, and must not lose the number and code of the request it just sent.
pub fn registered_mark(secret: &Secret, number: &str, code: &str) -> String {
    hex(&registered_mac(secret, number, code).finalize().into_bytes())
}

/// Whether `mark` is the desk's own for this number and code (compared in constant time).
pub fn is_registered_mark(secret: &Secret, number: &str, code: &str, mark: &str) -> bool {
    mark.len() == 64
        && unhex(mark).is_some_and(|m| {
            registered_mac(secret, number, code)
                .verify_slice(&m)
                .is_ok()
        })
}

fn registered_mac(secret: &Secret, number: &str, code: &str) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as hmac::digest::KeyInit>::new(secret.into());
    m.update(format!("desk-registered\n{number}\n{code}").as_bytes());
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| panic!("{s}"))
    }

    fn nets(list: &[&str]) -> Vec<Net> {
        list.iter().map(|n| n.parse().expect("a net")).collect()
    }

    #[test]
    fn a_registration_mark_holds_only_for_its_number_code_and_server() {
        let (a, b) = ([7u8; 64], [8u8; 64]);
        let m = registered_mark(&a, "HSG-2611-00001-A", "5DW8-TM9B-Y3GM");
        assert!(is_registered_mark(
            &a,
            "HSG-2611-00001-A",
            "5DW8-TM9B-Y3GM",
            &m
        ));
        assert!(!is_registered_mark(
            &b,
            "HSG-2611-00001-A",
            "5DW8-TM9B-Y3GM",
            &m
        ));
        assert!(!is_registered_mark(
            &a,
            "HSG-2611-00002-A",
            "5DW8-TM9B-Y3GM",
            &m
        ));
        assert!(!is_registered_mark(
            &a,
            "HSG-2611-00001-A",
            "5DW8-TM9B-Y3GN",
            &m
        ));
        assert!(!is_registered_mark(
            &a,
            "HSG-2611-00001-A",
            "5DW8-TM9B-Y3GM",
            "1"
        ));
        assert!(!is_registered_mark(
            &a,
            "HSG-2611-00001-A",
            "5DW8-TM9B-Y3GM",
            &m[..63]
        ));
    }

    #[test]
    fn networks_contain_their_addresses() {
        let n: Net = "10.0.0.0/8".parse().expect("net");
        assert!(n.contains(ip("10.200.1.1")));
        assert!(n.contains(ip("::ffff:10.0.0.1")), "mapped IPv4");
        assert!(!n.contains(ip("11.0.0.1")));
        assert!(!n.contains(ip("::1")));
        let all: Net = "0.0.0.0/0".parse().expect("net");
        assert!(all.contains(ip("203.0.113.9")));
        let v6: Net = "2001:db8::/32".parse().expect("net");
        assert!(v6.contains(ip("2001:db8:1::5")));
        assert!(!v6.contains(ip("2001:db9::5")));
        let one: Net = "127.0.0.1".parse().expect("net");
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "localhost",
            "10.0.0.0/x",
            "",
            "1.2.3.4/",
        ] {
            assert!(bad.parse::<Net>().is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_proxies() {
        let proxies = nets(&["127.0.0.1", "10.0.0.0/8"]);
        // Straight from the internet: whatever it claims, the peer is the client.
        let c = Client::of(ip("203.0.113.7"), &proxies, &["1.1.1.1"], Some("https"));
        assert_eq!(
            c,
            Client {
                addr: ip("203.0.113.7"),
                https: false
            }
        );
        // Through the proxy: what the proxy appended, not what the client wrote before it.
        let c = Client::of(
            ip("127.0.0.1"),
            &proxies,
            &["6.6.6.6, 198.51.100.4"],
            Some("https"),
        );
        assert_eq!(
            c,
            Client {
                addr: ip("198.51.100.4"),
                https: true
            }
        );
        // Through two proxies, with the header split over two lines.
        let c = Client::of(
            ip("10.1.1.1"),
            &proxies,
            &["6.6.6.6", "198.51.100.4, 10.2.2.2"],
            None,
        );
        assert_eq!(c.addr, ip("198.51.100.4"));
        assert!(!c.https);
        // A proxy without the header, or garbage: the nearest address that can be believed.
        assert_eq!(
            Client::of(ip("10.1.1.1"), &proxies, &[], None).addr,
            ip("10.1.1.1")
        );
        assert_eq!(
            Client::of(ip("10.1.1.1"), &proxies, &["<script>, 10.9.9.9"], None).addr,
            ip("10.9.9.9")
        );
        // No proxies configured: nobody is believed.
        assert_eq!(
            Client::of(ip("127.0.0.1"), &[], &["1.1.1.1"], None).addr,
            ip("127.0.0.1")
        );
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a = Client {
            addr: ip("2001:db8:1:2:aaaa::1"),
            https: false,
        };
        let b = Client {
            addr: ip("2001:db8:1:2:bbbb::9"),
            https: false,
        };
        let c = Client {
            addr: ip("2001:db8:1:3::1"),
            https: false,
        };
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), c.key());
        let v4 = Client {
            addr: ip("192.0.2.1"),
            https: false,
        };
        assert_eq!(v4.key(), ip("192.0.2.1"));
    }

    #[test]
    fn the_window_slides() {
        let mut w = Window::new(3, 60, 100);
        let k = ip("192.0.2.1");
        for t in [0, 10, 20] {
            assert_eq!(w.wait(k, t), None);
            w.record(k, t);
        }
        assert_eq!(
            w.wait(k, 30),
            Some(30),
            "until the first one is a minute old"
        );
        assert_eq!(w.wait(ip("192.0.2.2"), 30), None, "others are not held");
        assert_eq!(w.wait(k, 60), None);
        w.record(k, 60);
        assert_eq!(w.wait(k, 61), Some(9));
    }

    #[test]
    fn the_window_forgets_rather_than_grow() {
        let mut w = Window::new(2, 60, 10);
        for i in 0..1000u32 {
            w.record(IpAddr::from(i.to_be_bytes()), i64::from(i));
        }
        assert!(w.clients() <= 10, "{}", w.clients());
        let last = IpAddr::from(999u32.to_be_bytes());
        w.record(last, 1000);
        assert_eq!(w.wait(last, 1000), Some(59), "the latest are kept");
    }

    #[test]
    fn tokens_hold_only_for_their_cookie_and_time() {
        let secret = [7u8; 64];
        let cookie = random_id([1; 16]);
        let form = random_id([2; 16]);
        let t = Token::make(&secret, &cookie, &form, 1000);
        assert_eq!(
            Token::check(&secret, &cookie, &t, 1000 + 60),
            Some(Token {
                issued: 1000,
                form: form.clone()
            })
        );
        assert_eq!(
            Token::check(&secret, &random_id([3; 16]), &t, 1001),
            None,
            "other cookie"
        );
        assert_eq!(
            Token::check(&[8u8; 64], &cookie, &t, 1001),
            None,
            "other secret"
        );
        assert_eq!(
            Token::check(&secret, &cookie, &t, 1000 + TOKEN_LIFE + 1),
            None,
            "too old"
        );
        assert_eq!(
            Token::check(&secret, &cookie, &t, 800),
            None,
            "from the future"
        );
        let forged = t.replacen("1000.", "1001.", 1);
        assert_eq!(
            Token::check(&secret, &cookie, &forged, 1001),
            None,
            "time changed"
        );
        for junk in ["", "1.2.3", "x.y.z", "1000..", &"9".repeat(1000)] {
            assert_eq!(Token::check(&secret, &cookie, junk, 1001), None, "{junk}");
        }
        assert_eq!(Token::check(&secret, "not-hex", &t, 1001), None);
    }

    proptest! {
        #[test]
        fn no_junk_passes_for_a_token(junk in ".{0,120}", cookie in "[0-9a-f]{32}") {
            prop_assert_eq!(Token::check(&[1u8; 64], &cookie, &junk, 1000), None);
        }

        #[test]
        fn client_addresses_never_come_from_an_untrusted_peer(
            a in any::<[u8; 4]>(), fwd in ".{0,60}", proto in ".{0,10}"
        ) {
            let peer = IpAddr::from(a);
            let proxies = nets(&["127.0.0.1"]);
            let c = Client::of(peer, &proxies, &[&fwd], Some(&proto));
            if peer != ip("127.0.0.1") {
                prop_assert_eq!(c.addr, peer);
                prop_assert!(!c.https);
            }
        }
    }
}
