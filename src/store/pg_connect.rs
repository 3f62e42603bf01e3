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
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Url(why) => write!(f, "the database URL: {why}"),
            ConnectError::RootCert(path, why) => {
                write!(f, "sslrootcert {}: {why}", path.display())
            }
            ConnectError::Server(e) => {
                // postgres::Error's Display says only "error connecting to server" or "db
                // error": its source says what happened.
                match std::error::Error::source(e) {
                    Some(s) => write!(f, "{e}: {s}"),
                    None => write!(f, "{e}"),
                }
            }
        }
    }
}

impl std::error::Error for ConnectError {}

/// A URL taken apart: the client's configuration, and the TLS it asks for.
pub struct Target {
    pub config: postgres::Config,
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
}

/// Reads a `postgres://` (or `postgresql://`) URL: `sslmode` and `sslrootcert` are ours (the
/// client knows only disable, prefer and require, and no CA file), the rest the client's.
pub fn parse(url: &str) -> Result<Target, ConnectError> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut mode = SslMode::Prefer;
    let mut root_cert = None;
    let mut rest = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "sslmode" => {
                mode = match &*v {
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
            "sslrootcert" => root_cert = Some(PathBuf::from(&*v)),
            _ => {
                rest.append_pair(&k, &v);
            }
        }
    }
    let rest = rest.finish();
    let plain = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{rest}")
    };
    let mut config: postgres::Config = plain
        .parse()
        .map_err(|e: postgres::Error| ConnectError::Url(e.to_string()))?;
    if config.get_hosts().is_empty() {
        return Err(ConnectError::Url("it names no host".into()));
    }
    // A password left out of the URL (an admin's `--db` is visible in `ps`) comes from
    // PGPASSWORD, which only the user and root can read in /proc.
    if config.get_password().is_none()
        && let Some(pw) = std::env::var_os("PGPASSWORD")
    {
        config.password(pw.as_encoded_bytes());
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
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
    })
}

/// Connects to `url` with the TLS it asks for.
pub fn connect(url: &str) -> Result<postgres::Client, ConnectError> {
    let t = parse(url)?;
    let tls = tls(t.mode, t.root_cert.as_deref())?;
    t.config.connect(tls).map_err(ConnectError::Server)
}

/// Whether a failure to connect is the server's passing state — refusing connections while
/// it starts, stops or recovers (a restart, a failover under way) — so that trying again in
/// a moment may succeed.
pub fn transient(e: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    if let Some(db) = e.as_db_error() {
        let c = db.code();
        return *c == SqlState::CANNOT_CONNECT_NOW
            || *c == SqlState::ADMIN_SHUTDOWN
            || *c == SqlState::CRASH_SHUTDOWN;
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
                    | std::io::ErrorKind::UnexpectedEof
            );
        }
        source = s.source();
    }
    false
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
