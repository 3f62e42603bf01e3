//! The requester hears from the desk: notices delivered through a real SMTP server on loopback
//! (Debian's python3-aiosmtpd, started by the test), in every language; temporary and
//! permanent failures; senders killed mid-way; STARTTLS with authentication; sendmail and a
//! folder of letters; and mail in: threading, access codes, re-delivery, programs, bounces,
//! and malformed, huge and hostile messages.

mod common;

use common::{Desk, Lcg, Run, check_invariants, command};
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

// ---- the SMTP server ----------------------------------------------------------------------

/// A Python with aiosmtpd, if this machine has one (`.ci/run` installs python3-aiosmtpd).
fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|p| {
        std::process::Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Skips the calling test (with a message) when no SMTP server can be started here.
macro_rules! need_smtp {
    () => {
        match python() {
            Some(p) => p,
            None => {
                eprintln!(
                    "skipped: python3 with aiosmtpd not found (apt-get install python3-aiosmtpd)"
                );
                return;
            }
        }
    };
}

struct Sink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

/// One message as it arrived.
struct Arrived {
    to: Vec<String>,
    raw: Vec<u8>,
}

impl Arrived {
    fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a message")
    }
    fn header(&self, name: &str) -> Option<String> {
        self.parsed()
            .header_raw(name)
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
    }
    fn message_id(&self) -> String {
        self.header("Message-ID").expect("Message-ID")
    }
    fn text(&self) -> String {
        self.parsed().body_text(0).expect("text").into_owned()
    }
}

impl Sink {
    fn start(python: &str, args: &[&str]) -> Sink {
        let dir = tempfile::tempdir().expect("tmp");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/sink.py");
        let mut child = std::process::Command::new(python)
            .arg(&script)
            .arg(dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP server");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("port");
        let port = line.trim().parse().expect("the server prints its port");
        Sink { child, port, dir }
    }

    fn arrived(&self) -> Vec<Arrived> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| {
                let bytes = std::fs::read(f).expect("read");
                let nl = bytes
                    .iter()
                    .position(|b| *b == b'\n')
                    .expect("envelope line");
                let env: serde_json::Value = serde_json::from_slice(&bytes[..nl]).expect("json");
                Arrived {
                    to: env["to"]
                        .as_array()
                        .expect("to")
                        .iter()
                        .map(|v| v.as_str().unwrap_or("").to_string())
                        .collect(),
                    raw: bytes[nl + 1..].to_vec(),
                }
            })
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- a desk that mails ---------------------------------------------------------------------

/// A desk whose `[mail]` section is `mail` (from, hold and retry already set), with a mail
/// service agent `mailer`.
fn mailing_desk(mail: &str) -> Desk {
    let d = Desk::staffed();
    let cfg = d.dir.path().join("desk.toml");
    let mut text = std::fs::read_to_string(&cfg).expect("desk.toml");
    text.push_str(&format!(
        "\n[mail]\nfrom = \"City desk <desk@example.org>\"\nhold = \"0\"\nretry = \"0\"\n{mail}\n"
    ));
    std::fs::write(&cfg, text).expect("write desk.toml");
    d.run(&[
        "agent",
        "add",
        "mailer",
        "--role",
        "mail",
        "--name",
        "Mail service",
    ])
    .ok();
    d
}

fn smtp(port: u16) -> String {
    format!("transport = \"smtp://127.0.0.1:{port}?tls=none\"")
}

fn send(d: &Desk) -> Run {
    d.run_as("mailer", &["mail", "send"])
}

/// The outbox as `desk mail list --json` shows it (up to 10,000 notices).
fn outbox(d: &Desk) -> Vec<serde_json::Value> {
    d.run(&["mail", "list", "--json", "--limit", "10000"])
        .json()
        .as_array()
        .expect("array")
        .clone()
}

fn email_ticket(d: &Desk, subject: &str, who: &str, lang: &str) -> String {
    d.new_ticket(
        subject,
        &[
            "--requester",
            "Olena K.",
            "--contact",
            who,
            "--channel",
            "email",
            "--language",
            lang,
            "--category",
            "HSG",
        ],
    )
}

/// Takes a ticket through claim and start, as olena.
fn start(d: &Desk, n: &str) {
    d.run_as("olena", &["claim", n]).ok();
    d.run_as("olena", &["move", n, "in_progress"]).ok();
}

#[test]
fn notices_arrive_through_a_real_smtp_server_in_each_language() {
    let py = need_smtp!();
    let sink = Sink::start(py, &[]);
    let d = mailing_desk(&smtp(sink.port));
    let mut numbers = HashMap::new();
    for (lang, who) in [
        ("en", "en@example.org"),
        ("ru", "ru@example.org"),
        ("uk", "uk@example.org"),
    ] {
        numbers.insert(lang, email_ticket(&d, "No heating in flat 12", who, lang));
    }
    // The Ukrainian requester is asked, answered, and told the decision.
    let uk = numbers["uk"].clone();
    start(&d, &uk);
    d.run_as(
        "olena",
        &["move", &uk, "waiting_info", "--question", "Which radiator?"],
    )
    .ok();
    d.run_as("olena", &["move", &uk, "in_progress"]).ok();
    d.run_as("olena", &["reply", &uk, "The plumber comes on Thursday."])
        .ok();
    d.run_as(
        "olena",
        &[
            "move",
            &uk,
            "resolved",
            "--outcome",
            "partial",
            "--next-steps",
            "Valve on Thursday",
            "--answer",
            "We replace the valve.",
        ],
    )
    .ok();
    let r = send(&d);
    assert_eq!(r.ok(), "sent 6, to try again 0, failed 0");
    let arrived = sink.arrived();
    assert_eq!(arrived.len(), 6);
    let by_id: HashMap<String, &Arrived> = arrived.iter().map(|a| (a.message_id(), a)).collect();
    assert_eq!(by_id.len(), 6, "six distinct Message-IDs");
    for (lang, phrase) in [
        ("en", "Your access code is"),
        ("ru", "Ваш код доступа:"),
        ("uk", "Ваш код доступу:"),
    ] {
        let n = &numbers[lang];
        let code = d.show(n)["access_code"].as_str().expect("code").to_string();
        let t = d.show(n);
        let ack_id = t["notices"][0]["message_id"].as_str().expect("id");
        assert_eq!(t["notices"][0]["kind"], "acknowledgement");
        let ack = by_id[ack_id];
        assert_eq!(ack.to, [format!("{lang}@example.org")]);
        let subject = ack.parsed().subject().expect("subject").to_string();
        assert!(subject.starts_with(&format!("[{n}] ")), "{subject}");
        assert_eq!(
            ack.header("Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        assert_eq!(ack.header("Content-Language").as_deref(), Some(lang));
        let ct = ack.header("Content-Type").expect("content type");
        assert!(ct.starts_with("text/plain"), "{ct}");
        assert!(ack.parsed().body_html(0).is_some(), "a body");
        let text = ack.text();
        assert!(text.contains(phrase), "{lang}: {text}");
        assert!(text.contains(&code), "{lang}: the access code");
        let from = ack.header("From").expect("from");
        assert!(from.contains("desk@example.org"), "{from}");
    }
    // The thread: each later notice answers the one before, the root kept in References.
    let list = outbox(&d);
    let mine: Vec<&serde_json::Value> = list
        .iter()
        .filter(|n| n["number"] == uk.as_str())
        .rev()
        .collect();
    let kinds: Vec<&str> = mine
        .iter()
        .map(|n| n["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["acknowledgement", "question", "reply", "decision"]);
    let ids: Vec<String> = mine
        .iter()
        .map(|n| n["message_id"].as_str().unwrap_or("").to_string())
        .collect();
    for (i, id) in ids.iter().enumerate().skip(1) {
        let a = by_id[id];
        assert_eq!(
            a.header("In-Reply-To").as_deref(),
            Some(ids[i - 1].as_str())
        );
        let refs = a.header("References").expect("references");
        assert!(refs.starts_with(&ids[0]), "{refs}");
    }
    let reply = by_id[&ids[2]];
    assert_eq!(reply.header("Auto-Submitted"), None, "a person's answer");
    assert!(reply.text().contains("The plumber comes on Thursday."));
    let decision = by_id[&ids[3]].text();
    assert!(decision.contains("частково"), "{decision}");
    assert!(decision.contains("Valve on Thursday"), "{decision}");
    assert!(decision.contains("We replace the valve."), "{decision}");
    // The ticket says what was sent, and the history records it.
    let show = d.run(&["show", &uk]).ok();
    assert!(show.contains("sent → uk@example.org"), "{show}");
    let history = d.show(&uk)["history"].clone();
    let sent = history
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == "notice" && e["to"] == "sent")
        .count();
    assert_eq!(sent, 4);
    // Nothing is sent twice.
    assert_eq!(send(&d).ok(), "sent 0, to try again 0, failed 0");
    assert_eq!(sink.arrived().len(), 6);
    assert_eq!(d.run(&["check"]).code, 0, "{}", d.run(&["check"]).stdout);
}

#[test]
fn a_temporary_then_permanent_failure_is_retried_then_shown_on_the_ticket() {
    let py = need_smtp!();
    let sink = Sink::start(py, &["--plan", "451,550"]);
    let d = mailing_desk(&smtp(sink.port));
    let n = email_ticket(&d, "Leak in the roof", "gone@example.net", "en");
    let r = send(&d).ok();
    assert!(r.starts_with("sent 0, to try again 1, failed 0"), "{r}");
    assert!(r.contains("451"), "the reason is said: {r}");
    let pending = &outbox(&d)[0];
    assert_eq!(pending["state"], "pending");
    assert_eq!(pending["attempts"], 1);
    assert!(pending["note"].as_str().is_some_and(|e| e.contains("451")));
    assert_eq!(send(&d).ok(), "sent 0, to try again 0, failed 1");
    let failed = &outbox(&d)[0];
    assert_eq!(failed["state"], "failed");
    assert!(
        failed["note"].as_str().is_some_and(|e| e.contains("550")),
        "{failed}"
    );
    // The ticket shows it, in the desk and on the command line.
    let t = d.show(&n);
    assert_eq!(t["to_inform"], true);
    let show = d.run(&["show", &n]).ok();
    assert!(show.contains("not delivered"), "{show}");
    assert!(
        show.contains("Tell the requester another way: mail to gone@example.net did not arrive"),
        "{show}"
    );
    let event = t["history"]
        .as_array()
        .expect("history")
        .iter()
        .find(|e| e["kind"] == "notice")
        .expect("a notice event")
        .clone();
    assert_eq!(event["to"], "failed");
    assert!(
        event["text"].as_str().is_some_and(|t| t.contains("550")),
        "{event}"
    );
    let failed_list = d.run(&["mail", "list", "--state", "failed"]).ok();
    assert!(failed_list.contains(&n), "{failed_list}");
    // Nothing more is tried; the operator tells the requester and records it.
    assert_eq!(send(&d).ok(), "sent 0, to try again 0, failed 0");
    assert_eq!(sink.arrived().len(), 0);
    let r = d.run(&["mail", "informed", &n, "--how", "by phone, 14:05"]);
    assert_eq!(
        r.ok(),
        format!("{n}: recorded that the requester was told (1 notices)")
    );
    assert_eq!(d.show(&n)["to_inform"], false);
    d.run(&["mail", "informed", &n, "--how", "again"])
        .fails(2, "no notice is waiting");
}

#[test]
fn temporary_failures_give_up_after_the_configured_time() {
    let py = need_smtp!();
    let sink = Sink::start(py, &["--plan", "451,451"]);
    let d = mailing_desk(&format!("{}\ngive_up = \"0\"", smtp(sink.port)));
    let n = email_ticket(&d, "Lift broken", "x@example.org", "en");
    assert_eq!(send(&d).ok(), "sent 0, to try again 0, failed 1");
    let note = outbox(&d)[0]["note"].as_str().unwrap_or("").to_string();
    assert!(note.contains("given up"), "{note}");
    assert_eq!(d.show(&n)["to_inform"], true);
}

/// `desk mail send` killed with SIGKILL at random moments, many times, while a slow server
/// takes the messages: every notice arrives, none is lost, and a notice sent twice keeps its
/// Message-ID (and is byte for byte the same message).
#[test]
fn killed_senders_lose_nothing_and_resend_the_same_message() {
    let py = need_smtp!();
    let sink = Sink::start(py, &["--delay", "0.02"]);
    let d = mailing_desk(&smtp(sink.port));
    let items: Vec<serde_json::Value> = (0..60)
        .map(|i| {
            serde_json::json!({
                "subject": format!("heating #{i}"),
                "requester": format!("R{i}"),
                "contact": format!("r{i}@example.org"),
            })
        })
        .collect();
    let file = d.dir.path().join("requests.json");
    std::fs::write(&file, serde_json::to_string(&items).expect("json")).expect("write");
    d.run(&["import", &file.display().to_string()]).ok();
    let mut rng = Lcg(7);
    let mut killed = 0;
    for _ in 0..25 {
        let mut child = command(&d.db)
            .args(["--as", "mailer", "mail", "send"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(20 + rng.next(150)));
        if child.try_wait().expect("wait").is_none() {
            killed += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    assert!(killed >= 10, "only {killed} senders were killed mid-way");
    let last = send(&d).ok();
    assert!(last.ends_with("to try again 0, failed 0"), "{last}");
    let list = outbox(&d);
    assert_eq!(list.len(), 60);
    assert!(
        list.iter().all(|n| n["state"] == "sent"),
        "every notice is sent"
    );
    let wanted: HashSet<String> = list
        .iter()
        .map(|n| n["message_id"].as_str().unwrap_or("").to_string())
        .collect();
    let arrived = sink.arrived();
    let mut seen: HashMap<String, Vec<u8>> = HashMap::new();
    let mut duplicates = 0;
    for a in &arrived {
        let id = a.message_id();
        assert!(wanted.contains(&id), "{id} is one of the desk's notices");
        if let Some(before) = seen.get(&id) {
            duplicates += 1;
            assert_eq!(before, &a.raw, "a notice sent again is the same message");
        }
        seen.insert(id, a.raw.clone());
    }
    assert_eq!(seen.len(), 60, "every notice arrived");
    eprintln!(
        "{killed} senders killed; {} messages arrived, {duplicates} twice",
        arrived.len()
    );
    check_invariants(&d.db);
    assert_eq!(d.run(&["check"]).code, 0);
}

/// An office relay that wants STARTTLS and a password: the certificate is checked against
/// the CA named in `[mail] ca_file`, the password comes from a file only the desk may read.
#[test]
fn starttls_and_authentication() {
    let py = need_smtp!();
    let certs = tempfile::tempdir().expect("tmp");
    let c = |f: &str| certs.path().join(f).display().to_string();
    let openssl = |args: &[&str]| {
        std::process::Command::new("openssl")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    std::fs::write(
        certs.path().join("leaf.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .expect("ext");
    let made = openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=desk test CA",
        "-keyout",
        &c("ca.key"),
        "-out",
        &c("ca.pem"),
    ]) && openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &c("leaf.key"),
        "-out",
        &c("leaf.csr"),
    ]) && openssl(&[
        "x509",
        "-req",
        "-in",
        &c("leaf.csr"),
        "-CA",
        &c("ca.pem"),
        "-CAkey",
        &c("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        &c("leaf.ext"),
        "-out",
        &c("leaf.pem"),
    ]);
    if !made {
        eprintln!("skipped: openssl cannot make a test certificate here");
        return;
    }
    let sink = Sink::start(
        py,
        &[
            "--tls",
            &c("leaf.pem"),
            &c("leaf.key"),
            "--auth",
            "desk:s3cret",
        ],
    );
    let secret = certs.path().join("smtp-credentials");
    std::fs::write(&secret, "username = \"desk\"\npassword = \"s3cret\"\n").expect("write");
    desk_set_mode(&secret, 0o644);
    let d = mailing_desk(&format!(
        "transport = \"smtp://127.0.0.1:{}\"\ncredentials = \"{}\"\nca_file = \"{}\"",
        sink.port,
        secret.display(),
        c("ca.pem")
    ));
    let n = email_ticket(&d, "Heating", "tls@example.org", "en");
    send(&d).fails(2, "other users may read or change it");
    desk_set_mode(&secret, 0o640);
    assert_eq!(send(&d).ok(), "sent 1, to try again 0, failed 0");
    let arrived = sink.arrived();
    assert_eq!(arrived.len(), 1);
    assert!(arrived[0].parsed().subject().unwrap_or("").contains(&n));
    // A wrong password is the desk's problem, not the requester's: tried again, never failed.
    std::fs::write(&secret, "username = \"desk\"\npassword = \"wrong\"\n").expect("write");
    email_ticket(&d, "Heating again", "tls@example.org", "en");
    let r = send(&d).ok();
    assert!(r.starts_with("sent 0, to try again 1, failed 0"), "{r}");
}

fn desk_set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn sendmail_is_run_with_the_message_and_its_exit_code_decides() {
    let d0 = tempfile::tempdir().expect("tmp");
    let script = d0.path().join("sendmail");
    let out = d0.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let code = d0.path().join("exit-code");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nc=$(cat {code})\nif [ \"$c\" != 0 ]; then cat >/dev/null; echo \"no luck\" >&2; exit \"$c\"; fi\nn=$(ls {out} | wc -l)\n{{ echo \"$@\"; cat; }} > {out}/$n.eml\n",
            code = code.display(),
            out = out.display()
        ),
    )
    .expect("script");
    desk_set_mode(&script, 0o755);
    let d = mailing_desk(&format!("transport = \"sendmail:{}\"", script.display()));
    std::fs::write(&code, "75").expect("code");
    let n = email_ticket(&d, "Heating", "s@example.org", "en");
    let r = send(&d).ok();
    assert!(r.starts_with("sent 0, to try again 1"), "{r}");
    assert!(r.contains("exited with 75: no luck"), "{r}");
    std::fs::write(&code, "0").expect("code");
    assert_eq!(send(&d).ok(), "sent 1, to try again 0, failed 0");
    let mail = std::fs::read_to_string(out.join("0.eml")).expect("delivered");
    assert!(
        mail.starts_with("-i -f desk@example.org -- s@example.org\n"),
        "{mail}"
    );
    assert!(mail.contains(&format!("[{n}]")));
    std::fs::write(&code, "67").expect("code");
    email_ticket(&d, "Other", "nobody@example.org", "en");
    assert_eq!(send(&d).ok(), "sent 0, to try again 0, failed 1");
}

#[test]
fn a_folder_of_letters_gets_each_notice_once() {
    let d0 = tempfile::tempdir().expect("tmp");
    let letters = d0.path().join("letters");
    std::fs::create_dir(&letters).expect("mkdir");
    let d = mailing_desk(&format!("transport = \"dir:{}\"", letters.display()));
    let n = email_ticket(&d, "Heating", "l@example.org", "uk");
    assert_eq!(send(&d).ok(), "sent 1, to try again 0, failed 0");
    let files: Vec<PathBuf> = std::fs::read_dir(&letters)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 1);
    assert!(
        files[0]
            .file_name()
            .is_some_and(|f| f.to_string_lossy().starts_with(&n))
    );
    let text = std::fs::read_to_string(&files[0]).expect("letter");
    assert!(text.contains("Message-ID: <"), "{text}");
    // A folder that disappeared is a temporary failure.
    std::fs::remove_dir_all(&letters).expect("rm");
    email_ticket(&d, "Second", "l2@example.org", "uk");
    let r = send(&d).ok();
    assert!(r.starts_with("sent 0, to try again 1"), "{r}");
}

#[test]
fn requesters_without_an_address_get_a_line_saying_how_to_tell_them() {
    let d = mailing_desk("transport = \"dir:/nonexistent\"");
    let n = d.new_ticket(
        "No heating",
        &[
            "--contact",
            "+380 67 412 1190",
            "--channel",
            "phone",
            "--category",
            "HSG",
        ],
    );
    // Told at registration: the operator was on the phone with them.
    let t = d.show(&n);
    assert_eq!(t["notices"][0]["state"], "informed");
    assert_eq!(t["to_inform"], false);
    start(&d, &n);
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "resolved",
            "--outcome",
            "granted",
            "--answer",
            "Fixed.",
        ],
    )
    .ok();
    let t = d.show(&n);
    assert_eq!(t["to_inform"], true);
    let show = d.run(&["show", &n]).ok();
    assert!(
        show.contains("Tell the requester by phone (+380 67 412 1190): decision"),
        "{show}"
    );
    d.run_as("petro", &["mail", "informed", &n, "--how", "phoned"])
        .fails(4, "olena");
    d.run_as(
        "olena",
        &["mail", "informed", &n, "--how", "phoned at 10:00"],
    )
    .ok();
    let t = d.show(&n);
    assert_eq!(t["to_inform"], false);
    let e = t["history"]
        .as_array()
        .expect("history")
        .iter()
        .rev()
        .find(|e| e["kind"] == "notice")
        .expect("event")
        .clone();
    assert_eq!(
        (e["to"].as_str(), e["text"].as_str()),
        (Some("informed"), Some("phoned at 10:00"))
    ); // The operator gets an address from them: what they were not sent goes there now.
    let letters = tempfile::tempdir().expect("tmp");
    let cfg = d.dir.path().join("desk.toml");
    let text = std::fs::read_to_string(&cfg).expect("desk.toml");
    std::fs::write(
        &cfg,
        text.replace(
            "transport = \"dir:/nonexistent\"",
            &format!("transport = \"dir:{}\"", letters.path().display()),
        ),
    )
    .expect("write");
    let n2 = d.new_ticket(
        "Broken window",
        &[
            "--contact",
            "+380 67 412 1190",
            "--channel",
            "phone",
            "--category",
            "HSG",
        ],
    );
    d.run(&["reply", &n2, "A glazier comes on Monday."]).ok();
    assert_eq!(d.show(&n2)["to_inform"], true);
    d.run(&["edit", &n2, "--contact", "Olena K. <olena@example.org>"])
        .ok();
    let t = d.show(&n2);
    assert_eq!(t["to_inform"], false, "{t}");
    let reply = t["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .find(|n| n["kind"] == "reply")
        .expect("the reply's notice")
        .clone();
    assert_eq!(
        (reply["state"].as_str(), reply["recipient"].as_str()),
        (Some("pending"), Some("olena@example.org"))
    );
    assert_eq!(
        t["notices"][0]["state"], "informed",
        "the acknowledgement was given at registration"
    );
    assert_eq!(send(&d).ok(), "sent 1, to try again 0, failed 0");
    let letter = std::fs::read_dir(letters.path())
        .expect("dir")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("letter"))
        .next()
        .expect("a letter");
    assert!(
        letter.contains(reply["message_id"].as_str().expect("id")),
        "{letter}"
    );
    assert!(letter.contains("A glazier comes on Monday."), "{letter}");
    // Back to a phone number: what waits is to be told another way again.
    d.run(&["reply", &n2, "He comes at nine."]).ok();
    d.run(&["edit", &n2, "--contact", "+380 67 412 1190"]).ok();
    assert_eq!(d.show(&n2)["to_inform"], true);
    assert_eq!(d.run(&["check"]).code, 0, "{}", d.run(&["check"]).stdout);
}

#[test]
fn too_many_notices_to_one_address_are_held_back() {
    let d = mailing_desk("transport = \"dir:/nonexistent\"\nper_recipient_hour = 2");
    for i in 0..3 {
        email_ticket(&d, &format!("flood {i}"), "victim@example.org", "en");
    }
    let states: Vec<String> = outbox(&d)
        .iter()
        .rev()
        .map(|n| n["state"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(states, ["pending", "pending", "suppressed"]);
    // Why, in the reader's language.
    let third = outbox(&d)[0]["number"]
        .as_str()
        .expect("number")
        .to_string();
    let ru = Run::from(
        command(&d.db)
            .env("LANG", "ru_RU.UTF-8")
            .args(["mail", "list"])
            .output()
            .expect("desk"),
    );
    assert!(
        ru.ok()
            .contains("не отправлено: больше 2 уведомлений на этот адрес за час"),
        "{}",
        ru.stdout
    );
    assert!(
        d.run(&["show", &third])
            .ok()
            .contains("(not sent: more than 2 notices to this address within an hour)"),
        "{}",
        d.run(&["show", &third]).stdout
    );
}

#[test]
fn only_the_mail_service_delivers_and_mail_must_be_configured() {
    let d = mailing_desk("");
    send(&d).fails(2, "names no transport");
    let d = mailing_desk("transport = \"dir:/tmp\"");
    d.run_as("olena", &["mail", "send"]).fails(
        4,
        "delivering notices to requesters needs the role admin or mail service",
    );
    d.run_as("olena", &["mail", "in"]).fails(4, "mail service");
}

// ---- mail in -------------------------------------------------------------------------------

fn mail_in(d: &Desk, raw: &[u8]) -> Run {
    d.run_stdin(&["--as", "mailer", "mail", "in"], raw)
}

fn message(headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut m = String::new();
    for (k, v) in headers {
        m.push_str(&format!("{k}: {v}\r\n"));
    }
    m.push_str("\r\n");
    m.push_str(body);
    m.into_bytes()
}

/// The number `desk mail in` printed for a new ticket.
fn new_number(r: &Run) -> String {
    r.ok()
        .strip_prefix("new ticket ")
        .map(|s| s.split_whitespace().next().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("not a new ticket: {}", r.stdout))
}

fn ticket_count(d: &Desk) -> i64 {
    d.sql()
        .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
        .expect("count")
}

fn events(d: &Desk, n: &str, kind: &str) -> Vec<serde_json::Value> {
    d.show(n)["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

#[test]
fn a_reply_to_the_desks_message_threads_and_resumes_the_ticket() {
    let d = mailing_desk("transport = \"dir:/nonexistent\"");
    let first = message(
        &[
            ("From", "\"Olena K.\" <olena@example.org>"),
            ("To", "desk@example.org"),
            ("Subject", "Немає опалення у квартирі 12"),
            ("Message-ID", "<first@mail.example.org>"),
        ],
        "Добрий день! У квартирі 12 немає опалення вже третій день.",
    );
    let n = new_number(&mail_in(&d, &first));
    let t = d.show(&n);
    assert_eq!(t["channel"], "email");
    assert_eq!(t["contact"], "olena@example.org");
    assert_eq!(t["requester"], "Olena K.");
    assert_eq!(t["language"], "uk", "the language the requester wrote in");
    assert_eq!(t["category"], "HSG", "routed by the same keyword rules");
    let ack = &t["notices"][0];
    assert_eq!(ack["kind"], "acknowledgement");
    start(&d, &n);
    d.run_as(
        "olena",
        &["move", &n, "waiting_info", "--question", "Which radiator?"],
    )
    .ok();
    let question = outbox(&d)[0].clone();
    assert_eq!(question["kind"], "question");
    let qid = question["message_id"].as_str().expect("id").to_string();
    // The desk's notice answers the requester's own first message.
    let ack_id = ack["message_id"].as_str().expect("id");
    let q = d
        .run(&["mail", "show", &question["id"].to_string(), "--json"])
        .json();
    assert_eq!(q["in_reply_to"].as_str(), Some(ack_id));
    assert_eq!(q["references"][0], "<first@mail.example.org>");
    let reply = message(
        &[
            ("From", "olena@example.org"),
            ("Subject", "Re: something else entirely"),
            ("Message-ID", "<answer@mail.example.org>"),
            ("In-Reply-To", &qid),
            ("References", &format!("<first@mail.example.org> {qid}")),
        ],
        "The one in the kitchen.",
    );
    let r = mail_in(&d, &reply);
    assert_eq!(r.ok(), format!("added to {n} (resumed: in_progress)"));
    let t = d.show(&n);
    assert_eq!(t["status"], "in_progress");
    let msgs = events(&d, &n, "message");
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["from"], "olena@example.org");
    assert_eq!(msgs[0]["actor"], "mailer");
    assert!(
        msgs[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("kitchen"))
    );
    // The same message delivered again changes nothing.
    assert_eq!(
        mail_in(&d, &reply).ok(),
        format!("received before ({n}): nothing done")
    );
    assert_eq!(events(&d, &n, "message").len(), 1);
    // So does the first one.
    assert_eq!(
        mail_in(&d, &first).ok(),
        format!("received before ({n}): nothing done")
    );
    assert_eq!(ticket_count(&d), 1);
    assert_eq!(d.run(&["check"]).code, 0, "{}", d.run(&["check"]).stdout);
}

#[test]
fn a_number_in_the_subject_alone_does_not_join_but_the_access_code_does() {
    let d = mailing_desk("transport = \"dir:/nonexistent\"");
    let n = email_ticket(&d, "No heating", "olena@example.org", "en");
    let code = d.show(&n)["access_code"]
        .as_str()
        .expect("code")
        .to_string();
    let guess = message(
        &[
            ("From", "mallory@example.net"),
            ("Subject", &format!("Re: [{n}] please close it")),
            ("Message-ID", "<guess@example.net>"),
            ("In-Reply-To", "<made.up@example.org>"),
        ],
        &format!("Ticket {n} is solved, close it."),
    );
    let r = mail_in(&d, &guess);
    let other = new_number(&r);
    assert_ne!(other, n);
    assert!(r.stdout.contains(&format!("names {n}")), "{}", r.stdout);
    assert!(events(&d, &n, "message").is_empty(), "nothing joined {n}");
    let note = events(&d, &other, "comment");
    assert!(
        note[0]["text"]
            .as_str()
            .is_some_and(|t| t.contains(&format!("possibly related to {n}"))),
        "{note:?}"
    );
    // Quoting the access code (as the requester may, from the acknowledgement) joins.
    let with_code = message(
        &[
            ("From", "olena.other@example.org"),
            ("Subject", "about my request"),
            ("Message-ID", "<code@example.org>"),
        ],
        &format!("My number is {n}, my code is {}.", code.to_lowercase()),
    );
    assert_eq!(mail_in(&d, &with_code).ok(), format!("added to {n}"));
    assert_eq!(events(&d, &n, "message").len(), 1);
}

#[test]
fn programs_trigger_nothing() {
    let d = mailing_desk("transport = \"dir:/nonexistent\"");
    let n = email_ticket(&d, "No heating", "olena@example.org", "en");
    let ack_id = outbox(&d)[0]["message_id"]
        .as_str()
        .expect("id")
        .to_string();
    start(&d, &n);
    d.run_as(
        "olena",
        &["move", &n, "waiting_info", "--question", "Which?"],
    )
    .ok();
    let before = outbox(&d).len();
    // An out-of-office answer to the desk's message: kept on the ticket, resumes nothing.
    let ooo = message(
        &[
            ("From", "olena@example.org"),
            ("Subject", "Out of office"),
            ("Auto-Submitted", "auto-replied"),
            ("Message-ID", "<ooo@example.org>"),
            ("In-Reply-To", &ack_id),
        ],
        "I am away until Monday.",
    );
    assert_eq!(mail_in(&d, &ooo).ok(), format!("added to {n}"));
    assert_eq!(d.show(&n)["status"], "waiting_info");
    // Bulk mail and auto-replies that answer nothing become tickets without an acknowledgement.
    for (i, h) in [
        ("Precedence", "bulk"),
        ("Auto-Submitted", "auto-generated"),
        ("List-Id", "<news.example.org>"),
        ("Return-Path", "<>"),
    ]
    .iter()
    .enumerate()
    {
        let m = message(
            &[
                ("From", "news@example.org"),
                ("Subject", "Newsletter"),
                ("Message-ID", &format!("<bulk{i}@example.org>")),
                *h,
            ],
            "Our offers.",
        );
        let r = mail_in(&d, &m);
        let t = new_number(&r);
        assert!(
            d.show(&t)["notices"]
                .as_array()
                .is_some_and(|a| a.is_empty()),
            "{h:?}"
        );
        let body = d.show(&t)["body"].as_str().unwrap_or("").to_string();
        assert!(body.contains("Sent by a program"), "{body}");
    }
    assert_eq!(outbox(&d).len(), before, "no notice was written");
    // The desk's own message coming back (a forwarding loop) is ignored.
    let own = message(
        &[
            ("From", "City desk <desk@example.org>"),
            ("Subject", "[x] Your request is registered"),
            ("Message-ID", "<loop@example.org>"),
        ],
        "…",
    );
    assert_eq!(
        mail_in(&d, &own).ok(),
        "one of the desk's own messages: ignored"
    );
}

#[test]
fn a_bounce_marks_the_notice_failed_on_the_ticket() {
    let d0 = tempfile::tempdir().expect("tmp");
    let d = mailing_desk(&format!("transport = \"dir:{}\"", d0.path().display()));
    let n = email_ticket(&d, "No heating", "gone@example.net", "en");
    assert_eq!(send(&d).ok(), "sent 1, to try again 0, failed 0");
    let id = outbox(&d)[0]["message_id"]
        .as_str()
        .expect("id")
        .to_string();
    let dsn = message(
        &[
            ("From", "MAILER-DAEMON@mx.example.org"),
            ("To", "desk@example.org"),
            ("Subject", "Undelivered Mail Returned to Sender"),
            ("Message-ID", "<dsn1@mx.example.org>"),
            (
                "Content-Type",
                "multipart/report; report-type=delivery-status; boundary=\"b\"",
            ),
        ],
        &format!(
            "--b\r\nContent-Type: text/plain\r\n\r\nI could not deliver it.\r\n\
             --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n\
             Final-Recipient: rfc822; gone@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\
             Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\
             --b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: desk@example.org\r\n\
             Message-ID: {id}\r\n--b--\r\n"
        ),
    );
    assert_eq!(
        mail_in(&d, &dsn).ok(),
        format!("bounce: not delivered to the requester of {n}")
    );
    let t = d.show(&n);
    assert_eq!(t["notices"][0]["state"], "failed");
    assert_eq!(t["to_inform"], true);
    assert!(
        t["notices"][0]["note"]
            .as_str()
            .is_some_and(|e| e.contains("user unknown")),
        "{t}"
    );
    assert_eq!(ticket_count(&d), 1, "a bounce is no request");
}

/// Characters that must never reach a terminal from `desk show`, `desk mail list` or JSON.
fn assert_safe(what: &str, out: &str) {
    let bad: Vec<char> = out
        .chars()
        .filter(|c| desk::core::sanitize::is_unsafe_for_output(*c))
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: unsafe characters {bad:?} in {out:?}"
    );
}

#[test]
fn malformed_huge_and_hostile_messages_get_defined_behaviour() {
    let d = mailing_desk("transport = \"dir:/nonexistent\"\nmax_size = \"1MB\"");
    let esc = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m\u{202e}";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "encoded-word tricks",
            message(
                &[
                    (
                        "From",
                        "=?utf-8?b?QWRtaW4bWzJKIDxhZG1pbkBkZXNrPg==?= <evil@example.net>",
                    ),
                    (
                        "Subject",
                        "=?utf-8?q?Hi=0D=0ABcc=3A_x=1B]0;pwned=07?= =?bogus?x?zz?=",
                    ),
                    ("Message-ID", "<ew@example.net>"),
                ],
                "hello",
            ),
        ),
        (
            "escape sequences",
            message(
                &[
                    ("From", &format!("\"{esc}\" <esc@example.net>")),
                    ("Subject", &format!("subject {esc}")),
                    ("Message-ID", "<esc@example.net>"),
                ],
                &format!("body {esc}\r\nline two"),
            ),
        ),
        (
            "HTML only",
            message(
                &[
                    ("From", "html@example.net"),
                    ("Subject", "html"),
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Message-ID", "<html@example.net>"),
                ],
                "<html><body><p>Heating <b>broken</b></p><script>x</script></body></html>",
            ),
        ),
        ("wrong charset", {
            let mut m = message(
                &[
                    ("From", "cs@example.net"),
                    ("Subject", "=?x-unknown?b?0J/RgNC40LLRltGC?="),
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Message-ID", "<cs@example.net>"),
                ],
                "",
            );
            m.extend_from_slice(&[0xcf, 0xf0, 0xe8, 0xe2, 0xb3, 0xf2, 0xff, 0xfe, 0x00]);
            m
        }),
        (
            "no header at all",
            b"just some bytes\x00\xff without any header".to_vec(),
        ),
        ("empty", Vec::new()),
        (
            "no From, long subject",
            message(&[("Subject", &"x".repeat(5000))], "body"),
        ),
        (
            "attachments",
            message(
                &[
                    ("From", "att@example.net"),
                    ("Subject", "scans"),
                    ("Message-ID", "<att@example.net>"),
                    ("Content-Type", "multipart/mixed; boundary=\"z\""),
                ],
                "--z\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
                 --z\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"passport\u{1b}[2J.pdf\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--z--\r\n",
            ),
        ),
    ];
    for (what, raw) in &cases {
        let r = mail_in(&d, raw);
        assert_eq!(r.code, 0, "{what}: {}", r.stderr);
        let n = new_number(&r);
        let show = d.run(&["show", &n]).ok();
        assert_safe(what, &show);
        let json = d.run(&["show", &n, "--json"]).ok();
        assert_safe(what, &json);
    }
    assert_safe("mail list", &d.run(&["mail", "list"]).ok());
    let html = d
        .run(&[
            "show",
            "--json",
            &new_number(&mail_in(
                &d,
                &message(
                    &[
                        ("From", "h2@example.net"),
                        ("Subject", "h2"),
                        ("Content-Type", "text/html"),
                        ("Message-ID", "<h2@x>"),
                    ],
                    "<p>Only <i>html</i></p>",
                ),
            )),
        ])
        .json();
    assert!(
        html["body"]
            .as_str()
            .is_some_and(|b| b.contains("Only html") && !b.contains("<i>")),
        "{html}"
    );
    let att = d.run(&["list", "--all", "--json", "--limit", "100"]).json();
    let scans = att
        .as_array()
        .expect("tickets")
        .iter()
        .find(|t| t["subject"] == "scans")
        .expect("scans")["number"]
        .as_str()
        .expect("number")
        .to_string();
    let body = d.show(&scans)["body"].as_str().unwrap_or("").to_string();
    assert!(
        body.contains("Files attached to the ticket: passport\u{fffd}.pdf (9 B)"),
        "{body}"
    );
    let files = d.run(&["attachment", "list", &scans, "--json"]).json();
    assert_eq!(files[0]["name"], "passport\u{fffd}.pdf", "{files}");
    assert_eq!(files[0]["size"], 9);
    // 20 MB: read to its end (so the MTA sees it taken), its header kept, its size noted.
    let mut huge = message(
        &[
            ("From", "big@example.net"),
            ("Subject", "twenty megabytes"),
            ("Message-ID", "<huge@example.net>"),
        ],
        "",
    );
    huge.extend(std::iter::repeat_n(b'A', 20 << 20));
    let r = mail_in(&d, &huge);
    let n = new_number(&r);
    let t = d.show(&n);
    assert_eq!(t["subject"], "twenty megabytes");
    let body = t["body"].as_str().unwrap_or("");
    assert!(
        body.contains("The message was 20 MB, more than the desk takes (1.0 MB)"),
        "{body}"
    );
    assert!(body.len() < 2000);
    assert_eq!(d.run(&["check"]).code, 0);
    check_invariants(&d.db);
}

/// A multipart message with files: (name, content type, content).
fn with_files(headers: &[(&str, &str)], text: &str, files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut h: Vec<(&str, &str)> = headers.to_vec();
    h.push(("MIME-Version", "1.0"));
    h.push(("Content-Type", "multipart/mixed; boundary=\"b0und\""));
    let mut body = format!("--b0und\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n");
    for (name, ct, data) in files {
        let disposition = if name.is_empty() {
            "attachment".to_string()
        } else {
            format!("attachment; filename=\"{name}\"")
        };
        body.push_str(&format!(
            "--b0und\r\nContent-Type: {ct}\r\nContent-Disposition: {disposition}\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            base64(data)
        ));
    }
    body.push_str("--b0und--\r\n");
    message(&h, &body)
}

/// Base64 in lines of 76 characters, as mail programs write it.
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(A[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn files_that_come_with_mail_are_kept_with_the_ticket() {
    let d = mailing_desk("transport = \"dir:/nonexistent\"");
    let cfg = d.dir.path().join("desk.toml");
    let text = std::fs::read_to_string(&cfg).expect("desk.toml");
    let limited = text
        .replace("max_bytes = \"25M\"", "max_bytes = \"40K\"")
        .replace("max_ticket_bytes = \"100M\"", "max_ticket_bytes = \"100K\"");
    assert_ne!(limited, text, "the desk's [attachments]");
    std::fs::write(&cfg, limited).expect("write");
    let scan: Vec<u8> = (0..30_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let big: Vec<u8> = vec![b'x'; 50_000];
    let first = with_files(
        &[
            ("From", "\"Olena K.\" <olena@example.org>"),
            ("Subject", "Passport scan for the subsidy"),
            ("Message-ID", "<files1@example.org>"),
        ],
        "Scans attached.",
        &[
            ("../../etc/passport.png", "image/png", &scan),
            ("", "application/pdf", b"%PDF-1.4 tiny"),
            ("video.mp4", "video/mp4", &big),
        ],
    );
    let n = new_number(&mail_in(&d, &first));
    let names = |d: &Desk| -> Vec<String> {
        d.run(&["attachment", "list", &n, "--json"])
            .json()
            .as_array()
            .expect("files")
            .iter()
            .map(|f| f["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    assert_eq!(names(&d), ["passport.png", "attachment.pdf"]);
    let files = d.run(&["attachment", "list", &n, "--json"]).json();
    assert_eq!(files[0]["added_by"], "mailer", "{files}");
    let out = d.dir.path().join("got.png");
    d.run(&[
        "attachment",
        "get",
        &n,
        "passport.png",
        "-o",
        out.to_str().expect("path"),
    ])
    .ok();
    assert_eq!(std::fs::read(&out).expect("saved"), scan, "byte for byte");
    let body = d.show(&n)["body"].as_str().unwrap_or("").to_string();
    assert!(
        body.contains("Files attached to the ticket: passport.png (29 KB), attachment.pdf (13 B)"),
        "{body}"
    );
    assert!(
        body.contains("video.mp4 (49 KB; a file may be at most 40 KB)"),
        "{body}"
    );
    // The requester's answer brings more: it joins with its files until the ticket is full.
    let ack = d.show(&n)["notices"][0]["message_id"]
        .as_str()
        .expect("id")
        .to_string();
    let answer = with_files(
        &[
            ("From", "olena@example.org"),
            ("Subject", "Re: more"),
            ("Message-ID", "<files2@example.org>"),
            ("In-Reply-To", &ack),
        ],
        "Two more pages.",
        &[
            ("passport.png", "image/png", &scan),
            ("page3.png", "image/png", &scan),
            ("page4.png", "image/png", &scan),
        ],
    );
    assert_eq!(mail_in(&d, &answer).ok(), format!("added to {n}"));
    assert_eq!(
        names(&d),
        [
            "passport.png",
            "attachment.pdf",
            "passport (2).png",
            "page3.png"
        ],
        "the same name numbered; the fourth file would pass the ticket's 100 KB"
    );
    let msg = events(&d, &n, "message");
    let said = msg[0]["text"].as_str().unwrap_or("");
    assert!(
        said.contains("page4.png (the ticket's files would come to"),
        "{said}"
    );
    // Each content once, and the history (and its hash chain) holds every file.
    let blobs: i64 = d
        .sql()
        .query_row("SELECT count(*) FROM blobs", [], |r| r.get(0))
        .expect("blobs");
    assert_eq!(blobs, 2);
    assert_eq!(events(&d, &n, "attached").len(), 4);
    // A message delivered again attaches nothing again.
    mail_in(&d, &answer).ok();
    assert_eq!(events(&d, &n, "attached").len(), 4);
    assert_eq!(d.run(&["check"]).code, 0, "{}", d.run(&["check"]).stdout);
    check_invariants(&d.db);
}

#[test]
fn a_duplicates_requester_learns_the_number_their_request_continues_as() {
    let d = mailing_desk("transport = \"dir:/nonexistent\"");
    let target = email_ticket(&d, "No heating in flat 12", "olena@example.org", "en");
    let dup = email_ticket(&d, "Still no heating", "petro@example.org", "uk");
    d.run(&["merge", &dup, "--into", &target, "--reason", "same flat"])
        .ok();
    // (The duplicate's number leads to the target now: its notices are in the outbox.)
    let all = outbox(&d);
    let decision = all
        .iter()
        .find(|n| n["kind"] == "decision" && n["number"] == dup.as_str())
        .unwrap_or_else(|| panic!("a decision for the duplicate: {all:?}"))
        .clone();
    assert_eq!(decision["recipient"], "petro@example.org");
    assert_eq!(decision["state"], "pending");
    assert_eq!(
        decision["subject"],
        format!("[{dup}] Ваше звернення продовжується як {target}: Still no heating"),
        "in the requester's language"
    );
    let text = d
        .run(&["mail", "show", &decision["id"].to_string(), "--json"])
        .json();
    let body = text["body"].as_str().unwrap_or("");
    assert!(body.contains(&format!("під номером {target}")), "{body}");
    assert!(
        !body.contains("same flat"),
        "the merge's reason is the desk's own: {body}"
    );
    // The target's requester hears nothing of it.
    assert!(
        d.show(&target)["notices"]
            .as_array()
            .expect("notices")
            .iter()
            .all(|n| n["kind"] == "acknowledgement")
    );
    // Answering it adds to the request it continues as.
    let id = decision["message_id"].as_str().expect("id");
    let answer = message(
        &[
            ("From", "petro@example.org"),
            ("Subject", "Re: продовжується"),
            ("Message-ID", "<petro-answer@example.org>"),
            ("In-Reply-To", id),
        ],
        "Дякую, чекаю.",
    );
    assert_eq!(mail_in(&d, &answer).ok(), format!("added to {target}"));
    assert_eq!(events(&d, &target, "message").len(), 1);
    assert_eq!(d.run(&["check"]).code, 0, "{}", d.run(&["check"]).stdout);
}

#[test]
fn a_maildir_is_taken_once() {
    let d = mailing_desk("transport = \"dir:/nonexistent\"");
    let md = d.dir.path().join("Maildir");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(md.join(sub)).expect("mkdir");
    }
    for i in 0..3 {
        std::fs::write(
            md.join("new").join(format!("1700000000.{i}.host")),
            message(
                &[
                    ("From", &format!("m{i}@example.org")),
                    ("Subject", &format!("maildir {i}")),
                    ("Message-ID", &format!("<md{i}@example.org>")),
                ],
                "text",
            ),
        )
        .expect("write");
    }
    let dir = md.display().to_string();
    let r = d.run_as("mailer", &["mail", "in", "--maildir", &dir]);
    assert_eq!(r.ok().lines().count(), 3, "{}", r.stdout);
    assert_eq!(std::fs::read_dir(md.join("new")).expect("new").count(), 0);
    let cur: Vec<String> = std::fs::read_dir(md.join("cur"))
        .expect("cur")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(cur.len(), 3);
    assert!(cur.iter().all(|n| n.ends_with(":2,S")), "{cur:?}");
    assert_eq!(
        d.run_as("mailer", &["mail", "in", "--maildir", &dir]).ok(),
        "No new mail."
    );
    // A message put back (a crash before it was moved) is recognised.
    let back = md.join("cur").join(&cur[0]);
    std::fs::rename(&back, md.join("new").join("again")).expect("mv");
    let r = d.run_as("mailer", &["mail", "in", "--maildir", &dir]).ok();
    assert!(r.contains("received before"), "{r}");
    assert_eq!(ticket_count(&d), 3);
    d.run_as("mailer", &["mail", "in", "--maildir", "/nonexistent"])
        .fails(3, "is not a Maildir");
}

#[test]
fn only_the_intake_user_feeds_the_desk_and_a_busy_desk_asks_the_mta_to_retry() {
    let d = mailing_desk("transport = \"dir:/nonexistent\"\nintake_user = \"postie\"");
    d.run(&["agent", "add", "postie", "--role", "mail"]).ok();
    let m = message(&[("From", "a@example.org"), ("Subject", "x")], "x");
    mail_in(&d, &m).fails(4, "only from postie");
    let r = d.run_stdin(&["--as", "postie", "mail", "in"], &m);
    new_number(&r);
    // No database to write to: EX_TEMPFAIL, so the MTA keeps the message and tries again.
    let gone = d.dir.path().join("missing.db");
    let r = command(&gone)
        .args(["mail", "in"])
        .stdin(Stdio::piped())
        .output()
        .expect("run");
    assert_eq!(
        r.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let _ = std::io::stdout().flush();
}

/// Undoing a decision withdraws its notice while it has not left; the hold gives that time.
#[test]
fn an_undone_decision_takes_its_notice_back() {
    use desk::core::lifecycle::Fields;
    use desk::core::model::Outcome;
    let letters = tempfile::tempdir().expect("tmp");
    let d = mailing_desk(&format!("transport = \"dir:{}\"", letters.path().display()));
    let n = email_ticket(&d, "No heating", "olena@example.org", "en");
    start(&d, &n);
    let me = desk::session::login();
    let mut s = desk::session::Session::open_for(&d.db, None, desk::store::Mode::Existing, &me)
        .expect("session");
    let olena = s.store.actor("olena", None).expect("olena");
    let now = desk::session::now();
    let before = s
        .store
        .find(&s.cfg, &n, desk::time::date(now))
        .expect("ticket");
    let fields = Fields {
        outcome: Some(Outcome::Refused),
        reason: Some("Not our building".into()),
        answer: None,
    };
    let c = s
        .store
        .move_to(&s.cfg, &olena, &n, "rejected", &fields, None, now)
        .expect("decide");
    assert_eq!(outbox(&d)[0]["kind"], "decision");
    assert_eq!(outbox(&d)[0]["state"], "pending");
    s.store
        .undo(&s.cfg, &olena, &before, c.version, now)
        .expect("undo");
    let decision = outbox(&d)[0].clone();
    assert_eq!(decision["state"], "withdrawn");
    assert_eq!(
        send(&d).ok(),
        "sent 1, to try again 0, failed 0",
        "the acknowledgement only"
    );
    assert_eq!(d.run(&["check"]).code, 0);
}
