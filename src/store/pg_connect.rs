//! Connecting to PostgreSQL (issue 18): a desk's URL, TLS as it asks, and a message that says
//! what went wrong.
//!
//! The URL is libpq's (`postgres://user:password@host:port/db?sslmode=…&sslrootcert=…`), so
//! an admin's `psql` URL works here too. TLS follows libpq's `sslmode`:
//! - `disable`: plain TCP;
//! - `prefer` (the default, as libpq's): TLS when the server offers it, without checking who
//!   the server is — only right on a trusted network or a Unix socket;
//! - `require`: TLS or nothing; the certificate is not checked unless `sslrootcert` names a
//!   CA, then it is checked as `verify-ca` (libpq does the same);
//! - `verify-ca`: the server's certificate must chain to `sslrootcert` (or to the system's
//!   roots without it);
//! - `verify-full`: as `verify-ca`, and the certificate must name the host connected to. This
//!   is the one to use across any network an attacker may reach (README).
//!
//! TLS is rustls with ring, through `tokio-postgres-rustls`: the same TLS stack as mail
//! (lettre), so the binary has one, and building needs no OpenSSL headers (postgres-openssl
//! and postgres-native-tls both link OpenSSL on Linux). It also gives the server SCRAM's
//! channel binding (`scram-sha-256-plus`), so even under `require` a man in the middle cannot
//! relay the password exchange to the real server.

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How the connection is protected (libpq's `sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Why a URL cannot be used, or a connection could not be made.
#[derive(Debug)]
pub enum ConnectError {
    /// The URL itself is wrong (said without the password).
    Url(String),
    /// The CA file of `sslrootcert` could not be read.
    RootCert(PathBuf, String),
    /// The server refused, could not be reached, or TLS failed.
    Server(postgres::Error),
    /// The server did not finish the startup within the deadline (it accepted the
    /// connection, or the network swallowed it, and then said nothing).
    NoAnswer(Duration),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Url(why) => write!(f, "the database URL: {why}"),
            ConnectError::RootCert(path, why) => {
                write!(f, "sslrootcert {}: {why}", path.display())
            }
            ConnectError::NoAnswer(d) => {
                write!(f, "no answer within {} s", d.as_secs())
            }
            ConnectError::Server(e) => write!(f, "{}", said(e)),
        }
    }
}

impl std::error::Error for ConnectError {}

/// A URL taken apart: the client's configuration, and the TLS it asks for.
pub struct Target {
    pub config: postgres::Config,
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
    /// How long a statement may go unanswered (`answer_timeout`, ours: pg_watch); None
    /// waits for ever.
    pub answer: Option<Duration>,
}

/// Reads a `postgres://` (or `postgresql://`) URL: `sslmode` and `sslrootcert` are ours (the
/// client knows only disable, prefer and require, and no CA file), the rest the client's —
/// handed on exactly as written (percent-encoding is libpq's, where `+` is a plus sign: a
/// form's encoding would turn `%20` into `+`, and `options=-c%20statement_timeout%3D1` into a
/// parameter named `+statement_timeout`).
pub fn parse(url: &str) -> Result<Target, ConnectError> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut mode = SslMode::Prefer;
    let mut root_cert = None;
    let mut user_timeout = None;
    let mut answer = Some(super::pg_watch::ANSWER_TIMEOUT);
    let mut rest: Vec<&str> = Vec::new();
    let mut given: Vec<String> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let k = decode(k);
        match &*k {
            "sslmode" => {
                mode = match &*decode(v) {
                    "disable" => SslMode::Disable,
                    "allow" | "prefer" => SslMode::Prefer,
                    "require" => SslMode::Require,
                    "verify-ca" => SslMode::VerifyCa,
                    "verify-full" => SslMode::VerifyFull,
                    other => {
                        return Err(ConnectError::Url(format!(
                            "sslmode {other:?} is not one of disable, prefer, require, verify-ca, verify-full"
                        )));
                    }
                }
            }
            "sslrootcert" => root_cert = Some(PathBuf::from(&*decode(v))),
            // libpq's is in milliseconds, the client's in seconds: read as libpq's.
            "tcp_user_timeout" => {
                let ms: u64 = decode(v).parse().map_err(|_| {
                    ConnectError::Url(format!(
                        "tcp_user_timeout {v:?} is not a number of milliseconds"
                    ))
                })?;
                user_timeout = Some(Duration::from_millis(ms));
            }
            // Ours (pg_watch): seconds a statement may go unanswered, 0 for ever.
            "answer_timeout" => {
                let s: u64 = decode(v).parse().map_err(|_| {
                    ConnectError::Url(format!("answer_timeout {v:?} is not a number of seconds"))
                })?;
                answer = (s > 0).then(|| Duration::from_secs(s));
            }
            _ => rest.push(pair),
        }
        given.push(k.into_owned());
    }
    let plain = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    let mut config: postgres::Config = plain
        .parse()
        .map_err(|e: postgres::Error| ConnectError::Url(said(&e)))?;
    if config.get_hosts().is_empty() {
        return Err(ConnectError::Url("it names no host".into()));
    }
    // A password left out of the URL (an admin's `--db` is visible in `ps`) comes from
    // PGPASSWORD, which only the user and root can read in /proc, else from the user's
    // password file (libpq's ~/.pgpass, or PGPASSFILE), as psql would find it.
    if config.get_password().is_none() {
        password_from_env(&mut config);
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    // A server that goes away mid-command (its host down, the network cut) is noticed in
    // about a minute instead of the kernel's two hours (keepalives) or fifteen minutes
    // (unacknowledged data): libpq's own parameters, unless the URL sets them.
    let unset = |key: &str| !given.iter().any(|g| g == key);
    if unset("keepalives_idle") {
        config.keepalives_idle(Duration::from_secs(30));
    }
    if unset("keepalives_interval") {
        config.keepalives_interval(Duration::from_secs(10));
    }
    if unset("keepalives_retries") {
        config.keepalives_retries(3);
    }
    match user_timeout {
        // 0: the system's default, as libpq's.
        Some(d) if d.is_zero() => {}
        Some(d) => {
            config.tcp_user_timeout(d);
        }
        None => {
            config.tcp_user_timeout(Duration::from_secs(60));
        }
    }
    if config.get_application_name().is_none() {
        config.application_name("desk");
    }
    config.ssl_mode(match mode {
        SslMode::Disable => postgres::config::SslMode::Disable,
        SslMode::Prefer => postgres::config::SslMode::Prefer,
        _ => postgres::config::SslMode::Require,
    });
    Ok(Target {
        config,
        mode,
        root_cert,
        answer,
    })
}

/// PGPASSWORD, else the user's password file, as the password of a URL that gives none.
fn password_from_env(config: &mut postgres::Config) {
    if let Some(pw) = std::env::var_os("PGPASSWORD") {
        config.password(pw.as_encoded_bytes());
    } else if let Some(pw) = passfile_password(config) {
        config.password(pw);
    }
}

/// The password for `config`'s user, database and first matching host in the user's password
/// file, as libpq reads it: PGPASSFILE, else `~/.pgpass`; lines `host:port:database:user:password`
/// (`*` matches anything, `\:` and `\\` are a colon and a backslash, `#` starts a comment),
/// the first that matches wins. A file others may read or write is ignored, as libpq does: it
/// holds passwords. A privileged (set-id) run keeps neither variable, so it reads none.
fn passfile_password(config: &postgres::Config) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let path = match std::env::var_os("PGPASSFILE") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".pgpass"),
    };
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file() || meta.mode() & 0o077 != 0 {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let user = config.get_user()?;
    let database = config.get_dbname().unwrap_or(user);
    let ports = config.get_ports();
    let hosts: Vec<(String, String)> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                postgres::config::Host::Tcp(name) => name.clone(),
                // libpq names the default socket directory's server "localhost".
                postgres::config::Host::Unix(dir) => match dir.to_str() {
                    Some("/var/run/postgresql" | "/run/postgresql" | "/tmp") => {
                        "localhost".to_string()
                    }
                    _ => dir.display().to_string(),
                },
            };
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            (host, port.to_string())
        })
        .collect();
    passfile_lookup(&text, &hosts, database, user)
}

/// The password of the first line of a password file that matches one of `hosts` (host,
/// port), `database` and `user`.
fn passfile_lookup(
    text: &str,
    hosts: &[(String, String)],
    database: &str,
    user: &str,
) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let fields = passfile_fields(line);
        let [host, port, db, who, password] = fields.as_slice() else {
            continue;
        };
        let fits = |field: &str, value: &str| field == "*" || field == value;
        if hosts.iter().any(|(h, p)| fits(host, h) && fits(port, p))
            && fits(db, database)
            && fits(who, user)
        {
            return Some(password.clone());
        }
    }
    None
}

/// A password file's line cut at its unescaped colons (the last field takes the rest).
fn passfile_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

/// How long a connection may take, the server's answer to the startup included, unless the
/// URL says (`connect_timeout`, in seconds, as libpq's).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `url` with the TLS it asks for, within `connect_timeout` from the first packet
/// to the server's "ready": the client's own timeout covers only the TCP connect, so a server
/// that accepts and never answers (stopped, wedged, or not PostgreSQL at all) would keep the
/// desk waiting for ever. The connection is made on a thread of its own; past the deadline it
/// is left behind (the command ends with a message) and its socket closed when it gives up.
pub fn connect(url: &str) -> Result<postgres::Client, ConnectError> {
    open(url).map(|c| c.client)
}

/// A connection made, with what its watch needs (pg_watch).
pub struct Connected {
    pub client: postgres::Client,
    /// Its sockets (descriptor, inode).
    pub sockets: Vec<(std::os::fd::RawFd, u64)>,
    /// The URL's `answer_timeout`.
    pub answer: Option<Duration>,
}

/// `connect`, with the connection's sockets and its answer timeout.
pub fn open(url: &str) -> Result<Connected, ConnectError> {
    let (deadline, answer) = start(url)?;
    match answer.recv_timeout(deadline) {
        Ok(r) => r,
        Err(_) => Err(ConnectError::NoAnswer(deadline)),
    }
}

/// A connection being made on a thread of its own: its deadline, and where its outcome
/// arrives (a running desk polls it while the server is away, and goes on meanwhile).
pub fn start(
    url: &str,
) -> Result<
    (
        Duration,
        std::sync::mpsc::Receiver<Result<Connected, ConnectError>>,
    ),
    ConnectError,
> {
    let t = parse(url)?;
    let tls = tls(t.mode, t.root_cert.as_deref())?;
    let deadline = t
        .config
        .get_connect_timeout()
        .copied()
        .unwrap_or(CONNECT_TIMEOUT);
    let (send, answer) = std::sync::mpsc::channel();
    let config = t.config;
    let limit = t.answer;
    let ports = match config.get_ports() {
        [] => vec![5432],
        p => p.to_vec(),
    };
    std::thread::Builder::new()
        .name("pg-connect".into())
        .spawn(move || {
            let before = super::pg_watch::sockets();
            let made = config.connect(tls).map_err(ConnectError::Server);
            let made = made.map(|client| Connected {
                client,
                sockets: super::pg_watch::sockets_since(&before, &ports),
                answer: limit,
            });
            let _ = send.send(made);
        })
        .map_err(|e| ConnectError::Url(format!("cannot start a thread: {e}")))?;
    Ok((deadline, answer))
}

/// `url` without its password, and connecting as `user` (the URL's user replaced, or given
/// when it names none): what a configuration written for the running program holds.
pub fn as_user(url: &str, user: &str) -> String {
    let shown = super::redact_url(url);
    let Some((scheme, rest)) = shown.split_once("://") else {
        return shown;
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // Only what would end the user's part of the URL is encoded.
    const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'/')
        .add(b':')
        .add(b'?')
        .add(b'@')
        .add(b'[')
        .add(b']');
    let user = percent_encoding::utf8_percent_encode(user, USERINFO);
    format!("{scheme}://{user}@{host}{tail}")
}

/// A client error with what caused it: postgres::Error's Display says only "error connecting
/// to server" or "invalid configuration", its source says what happened.
pub fn said(e: &postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(s) => format!("{e}: {s}"),
        None => e.to_string(),
    }
}

/// Percent-decoding as libpq's (`+` stays a plus sign).
fn decode(s: &str) -> std::borrow::Cow<'_, str> {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy()
}

/// Whether a failure to connect is the server's passing state — it answered that it is
/// starting, stopping or recovering (a restart, a failover under way), or it dropped the
/// connection during its startup — so that trying again in a moment may succeed. Nothing
/// listening at all is not: that is `refused`, said at once unless the server is known to
/// be restarting.
pub fn transient(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    if let Some(db) = e.as_db_error() {
        let c = db.code();
        return *c == SqlState::CANNOT_CONNECT_NOW
            || *c == SqlState::ADMIN_SHUTDOWN
            || *c == SqlState::CRASH_SHUTDOWN;
    }
    io_kind(e).is_some_and(|k| {
        matches!(
            k,
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::UnexpectedEof
        )
    })
}

/// Whether nothing listens where the URL points (the connection was refused).
pub fn refused(e: &postgres::Error) -> bool {
    io_kind(e) == Some(std::io::ErrorKind::ConnectionRefused)
}

/// The kind of the operating system's error behind a client error, if one is.
fn io_kind(e: &postgres::Error) -> Option<std::io::ErrorKind> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}

/// Whether a server's Unix socket named by the URL is there: a server that refuses on a
/// socket it left behind is starting or stopping, not absent (a stopped server removes it).
pub fn socket_present(url: &str) -> bool {
    let Ok(t) = parse(url) else { return false };
    let ports = t.config.get_ports();
    t.config.get_hosts().iter().enumerate().any(|(i, h)| {
        let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
        match h {
            postgres::config::Host::Unix(dir) => dir.join(format!(".s.PGSQL.{port}")).exists(),
            postgres::config::Host::Tcp(_) => false,
        }
    })
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The CA certificates to check a server against: `sslrootcert`'s, or the system's.
fn roots(root_cert: Option<&Path>) -> Result<RootCertStore, ConnectError> {
    let mut roots = RootCertStore::empty();
    match root_cert {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| ConnectError::RootCert(path.into(), e.to_string()))?;
            for cert in certs {
                let cert = cert.map_err(|e| ConnectError::RootCert(path.into(), e.to_string()))?;
                roots
                    .add(cert)
                    .map_err(|e| ConnectError::RootCert(path.into(), e.to_string()))?;
            }
            if roots.is_empty() {
                return Err(ConnectError::RootCert(
                    path.into(),
                    "no certificate in it".into(),
                ));
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
        }
    }
    Ok(roots)
}

/// The TLS connector for `mode`.
pub fn tls(
    mode: SslMode,
    root_cert: Option<&Path>,
) -> Result<tokio_postgres_rustls::MakeRustlsConnect, ConnectError> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match (mode, root_cert) {
        (SslMode::Disable | SslMode::Prefer, _) | (SslMode::Require, None) => {
            Arc::new(AnyServer(provider.clone()))
        }
        (SslMode::Require | SslMode::VerifyCa, _) => {
            Arc::new(AnyName(webpki(root_cert, &provider)?, provider.clone()))
        }
        (SslMode::VerifyFull, _) => webpki(root_cert, &provider)?,
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConnectError::Url(format!("TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn webpki(
    root_cert: Option<&Path>,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, ConnectError> {
    let roots = Arc::new(roots(root_cert)?);
    WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| match root_cert {
            Some(p) => ConnectError::RootCert(p.into(), e.to_string()),
            None => ConnectError::Url(format!("TLS: the system's CA certificates: {e}")),
        })
}

/// The handshake's signatures, checked with the provider's algorithms: the same in every
/// verifier here (WebPkiServerVerifier checks them with these algorithms too), whatever it
/// makes of the certificate itself.
macro_rules! handshake_signatures {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider().signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider().signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider()
                .signature_verification_algorithms
                .supported_schemes()
        }
    };
}

/// `require` without a CA: any certificate (libpq's meaning), the handshake's signatures
/// still checked.
#[derive(Debug)]
struct AnyServer(Arc<CryptoProvider>);

impl AnyServer {
    fn provider(&self) -> &CryptoProvider {
        &self.0
    }
}

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

/// `verify-ca`: the chain is checked, the name is not.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>, Arc<CryptoProvider>);

impl AnyName {
    fn provider(&self) -> &CryptoProvider {
        &self.1
    }
}

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    handshake_signatures!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_handed_on_as_written() {
        let t = parse("postgres://u@h/d?options=-c%20statement_timeout%3D1&sslmode=require")
            .expect("a good URL");
        assert_eq!(t.config.get_options(), Some("-c statement_timeout=1"));
        assert_eq!(t.mode, SslMode::Require);
        let t =
            parse("postgres://u@h/d?options=a+b&sslrootcert=%2Ftmp%2Fa+b.pem").expect("a good URL");
        assert_eq!(t.config.get_options(), Some("a+b"), "'+' is a plus sign");
        assert_eq!(t.root_cert, Some(PathBuf::from("/tmp/a+b.pem")));
    }

    #[test]
    fn every_wait_is_bounded_unless_the_url_says() {
        let t = parse("postgres://u@h/d").expect("a good URL");
        assert_eq!(t.config.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
        assert_eq!(
            t.config.get_tcp_user_timeout(),
            Some(&Duration::from_secs(60))
        );
        assert_eq!(t.config.get_keepalives_idle(), Duration::from_secs(30));
        let t =
            parse("postgres://u@h/d?keepalives_idle=300&tcp_user_timeout=5000&connect_timeout=3")
                .expect("a good URL");
        assert_eq!(t.config.get_keepalives_idle(), Duration::from_secs(300));
        assert_eq!(
            t.config.get_tcp_user_timeout(),
            Some(&Duration::from_millis(5000))
        );
        assert_eq!(
            t.config.get_connect_timeout(),
            Some(&Duration::from_secs(3))
        );
    }

    #[test]
    fn a_url_for_another_user_has_no_password() {
        for (url, want) in [
            (
                "postgres://desk_owner:s3cret@db1:5432/desk?sslmode=verify-full&password=x",
                "postgres://desk_app@db1:5432/desk?sslmode=verify-full",
            ),
            ("postgres://db1/desk", "postgres://desk_app@db1/desk"),
            (
                "postgresql://o@h1,h2/desk?target_session_attrs=read-write",
                "postgresql://desk_app@h1,h2/desk?target_session_attrs=read-write",
            ),
        ] {
            assert_eq!(as_user(url, "desk_app"), want);
        }
    }

    #[test]
    fn a_password_file_is_read_as_libpq_reads_it() {
        let text = "# comment\n\
                    db1:5432:other:desk_app:no\n\
                    db1:*:desk:desk_app:pa\\:ss\\\\w:rd\n\
                    *:*:*:desk_owner:owners\n";
        let hosts = vec![("db1".to_string(), "5432".to_string())];
        assert_eq!(
            passfile_lookup(text, &hosts, "desk", "desk_app").as_deref(),
            Some("pa:ss\\w:rd"),
            "escapes, a wildcard port, the first that fits"
        );
        assert_eq!(
            passfile_lookup(text, &hosts, "any", "desk_owner").as_deref(),
            Some("owners")
        );
        assert_eq!(passfile_lookup(text, &hosts, "desk", "someone"), None);
        let elsewhere = vec![("db2".to_string(), "5432".to_string())];
        assert_eq!(passfile_lookup(text, &elsewhere, "desk", "desk_app"), None);
    }

    #[test]
    fn a_wrong_url_says_what_is_wrong() {
        for (url, said) in [
            ("postgres://u@h/d?sslmode=bogus", "sslmode"),
            ("postgres:///d", "names no host"),
        ] {
            match parse(url) {
                Err(ConnectError::Url(why)) => assert!(why.contains(said), "{why}"),
                _ => panic!("{url} taken"),
            }
        }
    }
}
