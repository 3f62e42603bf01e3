//! Handing a notice over: SMTP (STARTTLS or TLS, with authentication from a credentials file
//! only the desk can read) through lettre, the host's sendmail, or a folder of `.eml` files.
//! Every message is built from what the outbox holds, so a notice sent again is the same
//! message, with the same Message-ID and Date.

use crate::core::mail::{MailConfig, Security, Transport};
use crate::error::{Error, Result};
use crate::store::outbox::{Delivery, Outgoing};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{SmtpTransport, Transport as _};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How long one SMTP conversation step may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(60);

/// An open transport for one `desk mail send` run.
pub enum Sender {
    Smtp(Box<SmtpTransport>),
    Sendmail(PathBuf),
    Dir(PathBuf),
}

/// The SMTP user name and password, from `[mail] credentials`: a file of two lines,
/// `username = "…"` and `password = "…"`, that other users may not read.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialFile {
    username: String,
    password: String,
}

fn read_credentials(path: &Path) -> Result<Credentials> {
    let file = path.display().to_string();
    let bad = |why: crate::error::Message| {
        Error::Invalid(crate::msg!(
            "error.mail.credentials",
            file = &file,
            why = why
        ))
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| {
            bad(crate::msg!(
                "error.mail.cannot_read",
                why = crate::error::io(&e)
            ))
        })?;
    let m = file.metadata().map_err(|e| {
        bad(crate::msg!(
            "error.mail.cannot_read",
            why = crate::error::io(&e)
        ))
    })?;
    if !m.is_file() {
        return Err(bad(crate::msg!("error.mail.not_regular")));
    }
    if m.mode() & 0o077 & !0o040 != 0 {
        return Err(bad(crate::msg!(
            "error.mail.credentials_open",
            mode = format!("{:o}", m.mode() & 0o777)
        )));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::BufReader::new(file), &mut text).map_err(|e| {
        bad(crate::msg!(
            "error.mail.cannot_read",
            why = crate::error::io(&e)
        ))
    })?;
    let c: CredentialFile = toml::from_str(&text).map_err(|e| {
        bad(crate::msg!(
            "error.mail.credentials_form",
            detail = crate::error::one_line(e.message())
        ))
    })?;
    Ok(Credentials::new(c.username, c.password))
}

fn tls_parameters(host: &str, ca_file: Option<&Path>) -> Result<TlsParameters> {
    let mut b = TlsParameters::builder(host.to_string());
    if let Some(ca) = ca_file {
        let pem = std::fs::read(ca).map_err(|e| {
            Error::Invalid(crate::msg!(
                "error.mail.ca_read",
                file = ca.display().to_string(),
                why = crate::error::io(&e)
            ))
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|e| {
            Error::Invalid(crate::msg!(
                "error.mail.ca_pem",
                file = ca.display().to_string(),
                detail = crate::error::one_line(&e.to_string())
            ))
        })?;
        b = b.add_root_certificate(cert);
    }
    b.build_rustls().map_err(|e| {
        Error::Invalid(crate::msg!(
            "error.mail.tls",
            host = host,
            detail = crate::error::one_line(&e.to_string())
        ))
    })
}

impl Sender {
    /// Opens the configured transport (no connection is made until the first message).
    pub fn open(cfg: &MailConfig) -> Result<Sender> {
        match &cfg.transport {
            Transport::Off => Err(Error::Invalid(crate::msg!("error.mail.no_transport"))),
            Transport::Smtp {
                host,
                port,
                security,
            } => {
                let ca = cfg.ca_file.as_deref();
                let tls = match security {
                    Security::Tls => Tls::Wrapper(tls_parameters(host, ca)?),
                    Security::StartTls => Tls::Required(tls_parameters(host, ca)?),
                    Security::Opportunistic => Tls::Opportunistic(tls_parameters(host, ca)?),
                    Security::None => Tls::None,
                };
                let domain = cfg
                    .from
                    .as_ref()
                    .map(|f| f.domain().to_string())
                    .unwrap_or_else(|| "localhost".into());
                let mut b = SmtpTransport::builder_dangerous(host.as_str())
                    .port(*port)
                    .tls(tls)
                    .timeout(Some(SMTP_TIMEOUT))
                    .hello_name(ClientId::Domain(domain));
                if let Some(path) = &cfg.credentials {
                    b = b.credentials(read_credentials(path)?);
                }
                Ok(Sender::Smtp(Box::new(b.build())))
            }
            Transport::Sendmail(p) => {
                crate::privilege::may_exec("sendmail")?;
                Ok(Sender::Sendmail(p.clone()))
            }
            Transport::Dir(p) => Ok(Sender::Dir(p.clone())),
        }
    }

    /// Hands one notice over.
    pub fn deliver(&self, cfg: &MailConfig, o: &Outgoing) -> Delivery {
        let message = match build(cfg, o) {
            Ok(m) => m,
            Err(e) => return Delivery::Permanent(e),
        };
        match self {
            Sender::Smtp(t) => match t.send(&message) {
                Ok(_) => Delivery::Sent,
                Err(e) => smtp_failure(&e),
            },
            Sender::Sendmail(path) => sendmail(path, cfg, o, &message.formatted()),
            Sender::Dir(dir) => to_folder(dir, o, &message.formatted()),
        }
    }
}

/// An SMTP answer of 5xx is permanent (the address does not exist, the message is refused);
/// 4xx, no connection and TLS trouble are temporary. Authentication refused (530, 534, 535,
/// 538) is the desk's configuration, not the requester's: temporary, so nothing fails for
/// good while an admin fixes it.
fn smtp_failure(e: &lettre::transport::smtp::Error) -> Delivery {
    let text = crate::error::one_line(&format!("{e}"));
    let text = crate::core::sanitize::clean_line(&text).into_owned();
    let code = e.status().map(|c| c.to_string());
    let auth = matches!(code.as_deref(), Some("530" | "534" | "535" | "538"));
    if e.is_permanent() && !auth {
        Delivery::Permanent(text)
    } else {
        Delivery::Temporary(text)
    }
}

fn mailbox(name: &str, address: &str) -> std::result::Result<Mailbox, String> {
    let addr = address
        .parse()
        .map_err(|e| format!("'{address}' is not an address lettre accepts: {e}"))?;
    let name = crate::core::sanitize::clean_line(name.trim()).into_owned();
    Ok(Mailbox::new((!name.is_empty()).then_some(name), addr))
}

fn raw_header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// The message for a notice: plain text, threaded, marked automatic when it is.
pub fn build(cfg: &MailConfig, o: &Outgoing) -> std::result::Result<Message, String> {
    let from = cfg
        .from
        .as_ref()
        .ok_or_else(|| "[mail] names no sender".to_string())?;
    let mut b = Message::builder()
        .from(mailbox(&from.name, &from.address)?)
        .to(mailbox(&o.requester, &o.recipient)?)
        .subject(o.subject.clone())
        .date(SystemTime::UNIX_EPOCH + Duration::from_secs(o.created_at.max(0) as u64))
        .message_id(Some(o.message_id.clone()))
        .raw_header(raw_header("Content-Language", o.language.clone()))
        .raw_header(raw_header("X-Desk-Ticket", o.number.clone()));
    if let Some(r) = &cfg.reply_to {
        b = b.reply_to(mailbox(&r.name, &r.address)?);
    }
    if let Some(r) = &o.in_reply_to {
        b = b.in_reply_to(r.clone());
    }
    if !o.references.is_empty() {
        b = b.references(o.references.join(" "));
    }
    if o.automatic {
        // RFC 3834: a notice the desk wrote by itself; auto-responders must not answer it.
        b = b
            .raw_header(raw_header("Auto-Submitted", "auto-generated".into()))
            .raw_header(raw_header("X-Auto-Response-Suppress", "All".into()));
    }
    b.singlepart(SinglePart::plain(o.body.clone()))
        .map_err(|e| format!("cannot build the message: {e}"))
}

/// `sendmail -i -f FROM -- TO` with the message on its standard input. Exit 75 (EX_TEMPFAIL)
/// and the other temporary codes of sysexits.h are tried again; the rest fail for good.
fn sendmail(path: &Path, cfg: &MailConfig, o: &Outgoing, bytes: &[u8]) -> Delivery {
    let from = cfg.from.as_ref().map(|f| f.address.as_str()).unwrap_or("");
    let child = std::process::Command::new(path)
        .arg("-i")
        .arg("-f")
        .arg(from)
        .arg("--")
        .arg(&o.recipient)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Delivery::Temporary(format!("cannot run {}: {e}", path.display())),
    };
    if let Some(mut stdin) = child.stdin.take()
        && let Err(e) = stdin.write_all(bytes)
    {
        let _ = child.kill();
        let _ = child.wait();
        return Delivery::Temporary(format!("{} stopped reading: {e}", path.display()));
    }
    match child.wait_with_output() {
        Ok(out) if out.status.success() => Delivery::Sent,
        Ok(out) => {
            let said = crate::core::sanitize::clean_line(&crate::error::one_line(
                &String::from_utf8_lossy(&out.stderr),
            ))
            .into_owned();
            let code = out.status.code();
            let text = format!(
                "{} exited with {}{}",
                path.display(),
                code.map(|c| c.to_string())
                    .unwrap_or_else(|| "a signal".into()),
                if said.is_empty() {
                    String::new()
                } else {
                    format!(": {said}")
                }
            );
            // sysexits.h: 69 unavailable, 71 OS error, 74 I/O error, 75 temporary failure.
            match code {
                Some(69 | 71 | 74 | 75) | None => Delivery::Temporary(text),
                Some(_) => Delivery::Permanent(text),
            }
        }
        Err(e) => Delivery::Temporary(format!("{}: {e}", path.display())),
    }
}

/// Writes `NUMBER-ID.eml` into the folder: a temporary file first, renamed into place without
/// replacing anything. A file already there is the same notice written before a crash.
fn to_folder(dir: &Path, o: &Outgoing, bytes: &[u8]) -> Delivery {
    let name = format!("{}-{}.eml", o.number, o.id);
    let target = dir.join(&name);
    if crate::privilege::as_caller(|| std::fs::symlink_metadata(&target)).is_ok() {
        return Delivery::Sent;
    }
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o640)
            .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        nix::fcntl::renameat2(
            nix::fcntl::AT_FDCWD,
            &tmp,
            nix::fcntl::AT_FDCWD,
            &target,
            nix::fcntl::RenameFlags::RENAME_NOREPLACE,
        )
        .map_err(std::io::Error::from)
    };
    match crate::privilege::as_caller(write) {
        Ok(()) => Delivery::Sent,
        Err(e) => {
            let _ = crate::privilege::as_caller(|| std::fs::remove_file(&tmp));
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Delivery::Sent
            } else {
                Delivery::Temporary(format!("cannot write {}: {e}", target.display()))
            }
        }
    }
}
