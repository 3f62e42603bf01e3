//! A real `desk serve` started by a test, and a plain HTTP/1.1 client over a TCP socket that
//! sends exactly what a test writes (hostile heads, huge bodies, forged forwarding headers).

use super::{Desk, command};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

/// `desk.toml` beside the desk, with `[desk] public_url` set and `extra` appended (a `[web]`
/// or `[mail]` section).
pub fn configure(d: &Desk, public_url: &str, extra: &str) {
    let cfg = d.dir.path().join("desk.toml");
    let text = std::fs::read_to_string(&cfg).expect("desk.toml");
    let text = text.replacen(
        "# public_url = \"https://desk.example.org\"",
        &format!("public_url = \"{public_url}\""),
        1,
    );
    assert!(
        text.contains("\npublic_url = "),
        "the [desk] table takes public_url"
    );
    std::fs::write(&cfg, format!("{text}\n{extra}\n")).expect("write desk.toml");
}

/// Where a test desk says requesters reach it (its acknowledgements' links start here).
pub const PUBLIC_URL: &str = "https://desk.example.org/help";

/// A desk with the usual staff, a web service agent `web`, a public address, notices written
/// to a folder, and the loopback as its proxy (so a test can be many clients).
pub fn web_desk(letters: &std::path::Path) -> Desk {
    let d = Desk::staffed();
    configure(
        &d,
        PUBLIC_URL,
        &format!(
            "[mail]\nfrom = \"City desk <desk@example.org>\"\nhold = \"0\"\ntransport = \"dir:{}\"\n\n\
             [web]\nproxies = [\"127.0.0.1\"]\n",
            letters.display()
        ),
    );
    d.run(&["agent", "add", "web", "--role", "web", "--name", "Web page"])
        .ok();
    d.run(&["agent", "add", "mailer", "--role", "mail"]).ok();
    d
}

/// A folder for the notices a test desk writes (`transport = "dir:…"`).
pub fn letters() -> tempfile::TempDir {
    tempfile::tempdir().expect("letters")
}

/// The plain text of every letter a test desk wrote to `dir`, oldest first.
pub fn letters_text(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("letters")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    files
        .iter()
        .map(|p| {
            let raw = std::fs::read(p).expect("letter");
            let msg = mail_parser::MessageParser::default()
                .parse(&raw)
                .expect("a message");
            msg.body_text(0).expect("plain text").to_string()
        })
        .collect()
}

/// A running `desk serve`, stopped (SIGTERM) when dropped.
pub struct Server {
    child: Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
}

impl Server {
    /// `desk --as LOGIN serve` on a free port of the loopback.
    pub fn start(d: &Desk, login: &str) -> Server {
        let mut child = command(&d.db)
            .args(["--as", login, "serve", "--listen", "127.0.0.1:0"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn desk serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let mut said = String::new();
        let addr = loop {
            match lines.next() {
                Some(Ok(l)) => {
                    said.push_str(&l);
                    said.push('\n');
                    if let Some(rest) = l.split("http://").nth(1) {
                        break rest
                            .split(|c: char| c == ',' || c.is_whitespace())
                            .next()
                            .unwrap_or("")
                            .to_string();
                    }
                }
                _ => {
                    let _ = child.wait();
                    panic!("desk serve did not start: {said}");
                }
            }
        };
        // Keep reading what it says, so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Server { child, addr }
    }

    pub fn client(&self) -> Client {
        Client {
            addr: self.addr.clone(),
            cookies: HashMap::new(),
            headers: Vec::new(),
        }
    }

    /// Stops it with SIGTERM and returns its exit status code.
    pub fn stop(mut self) -> Option<i32> {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        self.child.wait().ok().and_then(|s| s.code())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let _ = self.child.wait();
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The value of the first `<input name="NAME" value="…">` (or the element with id `id`).
    pub fn input(&self, name: &str) -> Option<String> {
        let at = self.body.find(&format!("name=\"{name}\" value=\""))?;
        let rest = &self.body[at + name.len() + 15..];
        Some(rest[..rest.find('"')?].to_string())
    }

    /// The text of the element with this id.
    pub fn by_id(&self, id: &str) -> Option<String> {
        let at = self.body.find(&format!("id=\"{id}\""))?;
        let rest = &self.body[at..];
        let start = rest.find('>')? + 1;
        let end = rest.find('<')?;
        Some(rest[start..end].to_string())
    }
}

/// Sends `raw` as it is on a new connection and reads the answer until the server closes it
/// (or until `Content-Length` is satisfied).
pub fn exchange(addr: &str, raw: &[u8]) -> std::io::Result<Resp> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    s.set_write_timeout(Some(Duration::from_secs(60)))?;
    // The server may answer and close before a body it refuses is all written.
    let _ = s.write_all(raw);
    let mut bytes = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if bytes.is_empty() => return Err(e),
            Err(_) => break,
        }
        if let Some(r) = parse(&bytes)
            && r.1
        {
            break;
        }
    }
    parse(&bytes).map(|(r, _)| r).ok_or_else(|| {
        std::io::Error::other(format!("no answer: {:?}", String::from_utf8_lossy(&bytes)))
    })
}

/// The answer in `bytes`, and whether its body is all there.
fn parse(bytes: &[u8]) -> Option<(Resp, bool)> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let body = &bytes[end + 4..];
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let complete = len.is_some_and(|l| body.len() >= l);
    let body = &body[..len.unwrap_or(body.len()).min(body.len())];
    Some((
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(body).into_owned(),
        },
        complete,
    ))
}

/// Form fields, encoded.
pub fn form(fields: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        s.append_pair(k, v);
    }
    s.finish()
}

/// A client that keeps its cookies, like a browser, and may send extra headers.
#[derive(Clone)]
pub struct Client {
    pub addr: String,
    pub cookies: HashMap<String, String>,
    pub headers: Vec<(String, String)>,
}

impl Client {
    /// The same client, seen as coming from `ip` through the desk's proxy.
    pub fn seen_from(&self, ip: &str) -> Client {
        let mut c = self.clone();
        c.headers.retain(|(k, _)| k != "X-Forwarded-For");
        c.headers.push(("X-Forwarded-For".into(), ip.into()));
        c
    }

    pub fn with_header(&self, k: &str, v: &str) -> Client {
        let mut c = self.clone();
        c.headers.push((k.into(), v.into()));
        c
    }

    fn head(&self, method: &str, path: &str) -> String {
        let mut h = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            h.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
        }
        for (k, v) in &self.headers {
            h.push_str(&format!("{k}: {v}\r\n"));
        }
        h
    }

    fn keep(&mut self, r: &Resp) {
        for c in r.all("set-cookie") {
            if let Some((k, v)) = c.split(';').next().and_then(|kv| kv.split_once('=')) {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
    }

    pub fn get(&mut self, path: &str) -> Resp {
        let raw = format!("{}\r\n", self.head("GET", path));
        let r = exchange(&self.addr, raw.as_bytes()).expect("GET");
        self.keep(&r);
        r
    }

    pub fn post(&mut self, path: &str, body: &str) -> Resp {
        let raw = format!(
            "{}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.head("POST", path),
            body.len()
        );
        let r = exchange(&self.addr, raw.as_bytes()).expect("POST");
        self.keep(&r);
        r
    }

    /// The token of the form on `/` (getting the page, and its cookie, first).
    pub fn token(&mut self) -> String {
        let r = self.get("/");
        assert_eq!(r.status, 200, "{}", r.body);
        r.input("token").expect("a token in the form")
    }

    /// Submits a request through the form; the answer (a redirect when registered).
    pub fn submit(&mut self, fields: &[(&str, &str)]) -> Resp {
        let token = self.token();
        let mut all = vec![("token", token.as_str())];
        all.extend_from_slice(fields);
        self.post("/", &form(&all))
    }
}
