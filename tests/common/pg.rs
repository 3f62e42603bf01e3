//! A throw-away PostgreSQL cluster for the tests (issue 18).
//!
//! `pg::db()` hands a test a fresh, empty database on a cluster started once per test process:
//! PostgreSQL 15's `initdb` + `pg_ctl` in a temporary directory, listening on a free loopback
//! port only, run as an unprivileged user (`initdb` refuses root, and CI runs the tests as
//! root: then everything PostgreSQL runs goes through `runuser -u postgres --`, the user
//! Debian's package creates, and the directory is given to that user). Host connections need
//! a password (scram-sha-256); the Unix socket lives in the cluster's own 0700 directory.
//!
//! Three roles exist in every cluster, as in a deployment (README: "Deployment on
//! PostgreSQL"): the superuser `postgres` (the DBA: creates databases and roles), `desk_owner`
//! (owns each test database and its schema, runs migrations) and `desk_app` (what the running
//! program holds; owns nothing). `Db` has a URL for each.
//!
//! The cluster stops when the test process ends, however it ends: a watchdog started in its
//! own session waits for the test process to go, then stops the server and removes the
//! directory. Without PostgreSQL the test says so on stderr and returns (`pg::db()` gives
//! `None`) — never a silent pass. `DESK_TEST_PG_BIN` names another bin directory;
//! `DESK_TEST_PG=require` turns the skip into a failure (CI, where PostgreSQL is installed).
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The role that owns the schema and runs migrations.
pub const OWNER: &str = "desk_owner";
/// The role the running program holds.
pub const APP: &str = "desk_app";
/// The Unix user PostgreSQL runs as when the tests run as root.
pub const PG_USER: &str = "postgres";

/// The major version the tests are written for (Debian 12's `postgresql-15`).
const VERSION: &str = "15";

/// How a cluster is started: `Options::default()` is the shared test cluster's.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `fsync` on (a durability test kills the server); off by default: the tests only ever
    /// crash the server process, never the machine, so written data is in the kernel anyway.
    pub fsync: bool,
    /// Extra `postgresql.conf` lines.
    pub conf: Vec<String>,
    /// `pg_hba.conf` lines written before the default ones (e.g. `hostssl` only, replication).
    pub hba: Vec<String>,
    /// Files to copy into the data directory (name, contents), readable by the server only:
    /// a TLS key and certificate.
    pub files: Vec<(String, Vec<u8>)>,
}

/// A running cluster. Dropping it stops the server (the shared one lives until the process
/// ends and its watchdog stops it).
pub struct Cluster {
    /// The directory of `initdb`, `pg_ctl`, `psql`, `pg_dump`.
    pub bin: PathBuf,
    /// Owned by the server's user: `data/` (the cluster), the socket, `log`.
    pub dir: PathBuf,
    pub port: u16,
    /// Run PostgreSQL's programs through `runuser -u postgres --` (the tests run as root).
    pub as_user: Option<String>,
    /// The superuser's password (also `desk_owner`'s and `desk_app`'s, each its own).
    secret: String,
    next: AtomicUsize,
    stop_on_drop: bool,
}

/// A fresh, empty database of a cluster, owned by `desk_owner`.
pub struct Db {
    pub name: String,
    pub port: u16,
    /// `desk_owner`'s URL: what `desk init` / `desk migrate` run with.
    pub url: String,
    /// `desk_app`'s URL: what the running program holds.
    pub app_url: String,
    /// The superuser's: for a test that must look behind the desk's back.
    pub admin_url: String,
}

static SHARED: OnceLock<Option<Cluster>> = OnceLock::new();

/// The PostgreSQL 15 bin directory, or why there is none.
pub fn bin_dir() -> Result<PathBuf, String> {
    let dir = match std::env::var_os("DESK_TEST_PG_BIN") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(format!("/usr/lib/postgresql/{VERSION}/bin")),
    };
    for tool in ["initdb", "pg_ctl", "psql", "postgres"] {
        if !dir.join(tool).is_file() {
            return Err(format!(
                "{} not found (install postgresql-{VERSION}, or set DESK_TEST_PG_BIN)",
                dir.join(tool).display()
            ));
        }
    }
    Ok(dir)
}

/// Says on stderr that a test is skipped, and why (or fails when DESK_TEST_PG=require).
pub fn skip(why: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("this test")
        .to_string();
    if std::env::var("DESK_TEST_PG").is_ok_and(|v| v == "require") {
        panic!("{test}: PostgreSQL is required (DESK_TEST_PG=require): {why}");
    }
    eprintln!("SKIPPED {test}: no PostgreSQL test server: {why}");
}

/// The cluster shared by the tests of this process, started at the first call; `None` (said
/// on stderr) when PostgreSQL is not installed or would not start.
pub fn cluster() -> Option<&'static Cluster> {
    let c = SHARED.get_or_init(|| match Cluster::start(Options::default()) {
        Ok(mut c) => {
            c.stop_on_drop = false;
            Some(c)
        }
        Err(e) => {
            eprintln!("PostgreSQL test cluster: {e}");
            None
        }
    });
    match c {
        Some(c) => Some(c),
        None => {
            skip("it would not start (see above)");
            None
        }
    }
}

/// A fresh, empty database on the shared cluster; `None` (the test is skipped, said on
/// stderr) without PostgreSQL.
pub fn db() -> Option<Db> {
    let c = cluster()?;
    Some(c.create_db())
}

/// Runs a PostgreSQL program of the bin directory as the server's user.
fn pg_command(bin: &Path, as_user: &Option<String>, tool: &str) -> Command {
    let exe = bin.join(tool);
    let mut c = match as_user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", u, "--"]).arg(exe);
            c
        }
        None => Command::new(exe),
    };
    c.env_remove("PGDATA")
        .env_remove("PGHOST")
        .env_remove("PGPORT")
        .env_remove("PGUSER")
        .env_remove("PGDATABASE")
        .env_remove("PGPASSWORD")
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null());
    c
}

fn checked(what: &str, out: std::io::Result<Output>) -> Result<Output, String> {
    let out = out.map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{what} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A port nobody listens on now (the server may still lose a race for it: `start` retries).
fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("a free port: {e}"))?;
    l.local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("a free port: {e}"))
}

/// A secret for this cluster's passwords: loopback only and gone with the cluster, but not
/// the same in every run.
fn secret() -> String {
    let mut b = [0u8; 12];
    let _ = getrandom::fill(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Cluster {
    /// Initialises and starts a new cluster with `opts`; stopped when dropped and, whatever
    /// happens, when this process ends.
    pub fn start(opts: Options) -> Result<Cluster, String> {
        let bin = bin_dir()?;
        let as_user = if nix::unistd::geteuid().is_root() {
            match nix::unistd::User::from_name(PG_USER) {
                Ok(Some(_)) => Some(PG_USER.to_string()),
                _ => {
                    return Err(format!(
                        "running as root and there is no user {PG_USER} to run PostgreSQL as \
                         (initdb refuses root)"
                    ));
                }
            }
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("desk-pg-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?
            .keep();
        let mut c = Cluster {
            bin,
            dir,
            port: 0,
            as_user,
            secret: secret(),
            next: AtomicUsize::new(0),
            stop_on_drop: true,
        };
        // From here on the watchdog removes the directory whatever happens.
        c.watch()?;
        c.init(&opts)?;
        c.start_on_a_free_port()?;
        c.roles()?;
        Ok(c)
    }

    /// Starts the server on a port nobody listens on; another process may take the port
    /// between our look and the server's bind, so up to five ports are tried.
    fn start_on_a_free_port(&mut self) -> Result<(), String> {
        let mut last = String::new();
        for _ in 0..5 {
            self.port = free_port()?;
            match self.pg_ctl_start() {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The data directory.
    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A PostgreSQL program of this cluster's bin directory, run as the server's user.
    pub fn tool(&self, tool: &str) -> Command {
        pg_command(&self.bin, &self.as_user, tool)
    }

    fn give_to_server_user(&self, path: &Path) -> Result<(), String> {
        if let Some(u) = &self.as_user
            && let Ok(Some(user)) = nix::unistd::User::from_name(u)
        {
            nix::unistd::chown(path, Some(user.uid), Some(user.gid))
                .map_err(|e| format!("chown {}: {e}", path.display()))?;
        }
        Ok(())
    }

    fn write_private(&self, path: &Path, bytes: &[u8]) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        self.give_to_server_user(path)
    }

    /// A process in its own session that waits for this test process to end, then stops the
    /// server and removes the directory (a panic, an abort or a SIGKILL of the test included).
    fn watch(&self) -> Result<(), String> {
        use std::os::unix::process::CommandExt;
        let script = r#"
            while [ -d "/proc/$1" ]; do sleep 0.3; done
            if [ -f "$2/data/postmaster.pid" ]; then
              if [ -n "$4" ]; then runuser -u "$4" -- "$3/pg_ctl" stop -D "$2/data" -m immediate
              else "$3/pg_ctl" stop -D "$2/data" -m immediate; fi
            fi
            rm -rf "$2"
        "#;
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("desk-pg-watchdog")
            .arg(std::process::id().to_string())
            .arg(&self.dir)
            .arg(&self.bin)
            .arg(self.as_user.clone().unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map(|_| ())
            .map_err(|e| format!("watchdog: {e}"))
    }

    fn init(&self, opts: &Options) -> Result<(), String> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("{}: {e}", self.dir.display()))?;
        self.give_to_server_user(&self.dir)?;
        let pw = self.dir.join("pw");
        self.write_private(&pw, self.secret.as_bytes())?;
        checked(
            "initdb",
            self.tool("initdb")
                .arg("-D")
                .arg(self.data())
                .args(["-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"])
                .args([
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--no-sync",
                ])
                .arg(format!("--pwfile={}", pw.display()))
                .output(),
        )?;
        let _ = std::fs::remove_file(&pw);
        let mut conf = vec![
            "listen_addresses = '127.0.0.1'".to_string(),
            format!("unix_socket_directories = '{}'", self.dir.display()),
            format!("fsync = {}", if opts.fsync { "on" } else { "off" }),
            "shared_buffers = 32MB".into(),
            "max_connections = 60".into(),
        ];
        conf.extend(opts.conf.iter().cloned());
        let auto = self.data().join("postgresql.auto.conf");
        let old = std::fs::read_to_string(&auto).unwrap_or_default();
        self.write_private(&auto, format!("{old}\n{}\n", conf.join("\n")).as_bytes())?;
        if !opts.hba.is_empty() {
            let hba = self.data().join("pg_hba.conf");
            let old = std::fs::read_to_string(&hba).map_err(|e| format!("pg_hba.conf: {e}"))?;
            self.write_private(&hba, format!("{}\n{old}", opts.hba.join("\n")).as_bytes())?;
        }
        for (name, bytes) in &opts.files {
            self.write_private(&self.data().join(name), bytes)?;
        }
        Ok(())
    }

    fn pg_ctl_start(&self) -> Result<(), String> {
        checked(
            "pg_ctl start",
            self.tool("pg_ctl")
                .args(["start", "-w", "-t", "60", "-D"])
                .arg(self.data())
                .arg("-l")
                .arg(self.dir.join("log"))
                .arg("-o")
                .arg(format!("-p {}", self.port))
                .output(),
        )
        .map_err(|e| format!("{e}\n{}", self.log()))
        .map(|_| ())
    }

    /// The server's log so far (for a failure's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// Stops the server now: `mode` is smart, fast or immediate (a crash: no shutdown
    /// checkpoint, recovery at the next start).
    pub fn stop(&self, mode: &str) -> Result<(), String> {
        checked(
            "pg_ctl stop",
            self.tool("pg_ctl")
                .args(["stop", "-w", "-t", "60", "-m", mode, "-D"])
                .arg(self.data())
                .output(),
        )
        .map(|_| ())
    }

    /// Starts the stopped server again on the same port.
    pub fn restart(&self) -> Result<(), String> {
        self.pg_ctl_start()
    }

    /// The superuser's password (the same for `desk_owner` and `desk_app`'s own, see `url`).
    fn password(&self, role: &str) -> String {
        format!("{role}-{}", self.secret)
    }

    /// A URL for `role` on `db` over TCP.
    pub fn url(&self, role: &str, db: &str) -> String {
        format!(
            "postgres://{role}:{}@127.0.0.1:{}/{db}",
            self.password(role),
            self.port
        )
    }

    /// Runs SQL with `psql` as `role` on `db` (stops at the first error); its output, or the
    /// error PostgreSQL gave.
    pub fn psql(&self, role: &str, db: &str, sql: &str) -> Result<String, String> {
        // psql is a client: it runs as whoever runs the tests.
        let out = Command::new(self.bin.join("psql"))
            .env("PGPASSWORD", self.password(role))
            .env("PGCONNECT_TIMEOUT", "10")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", role, "-d", db, "-c", sql])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("psql: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }

    /// The superuser's `psql`, which must succeed.
    #[track_caller]
    pub fn admin(&self, db: &str, sql: &str) -> String {
        match self.psql("postgres", db, sql) {
            Ok(out) => out,
            Err(e) => panic!("psql as postgres on {db}: {e}\n{sql}"),
        }
    }

    /// A streaming replica of this cluster (a hot standby: read-only, following the primary's
    /// WAL as it is written), on its own free port; stopped when dropped. Its roles and
    /// passwords are the primary's.
    pub fn standby(&self) -> Result<Cluster, String> {
        let dir = tempfile::Builder::new()
            .prefix("desk-pg-standby-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?
            .keep();
        let mut s = Cluster {
            bin: self.bin.clone(),
            dir,
            port: 0,
            as_user: self.as_user.clone(),
            secret: self.secret.clone(),
            next: AtomicUsize::new(0),
            stop_on_drop: true,
        };
        s.watch()?;
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&s.dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("{}: {e}", s.dir.display()))?;
        }
        s.give_to_server_user(&s.dir)?;
        // -R: standby.signal and primary_conninfo; -X stream: the WAL of the copy itself.
        checked(
            "pg_basebackup",
            s.tool("pg_basebackup")
                .arg("-D")
                .arg(s.data())
                .args(["-R", "-X", "stream", "-c", "fast", "--no-sync"])
                .arg(format!("--dbname={}", self.url("postgres", "postgres")))
                .output(),
        )?;
        let auto = s.data().join("postgresql.auto.conf");
        let old = std::fs::read_to_string(&auto).map_err(|e| format!("{}: {e}", auto.display()))?;
        s.write_private(
            &auto,
            format!(
                "{old}\nunix_socket_directories = '{}'\nhot_standby = on\n",
                s.dir.display()
            )
            .as_bytes(),
        )?;
        s.start_on_a_free_port()?;
        Ok(s)
    }

    /// Waits until this standby has replayed everything its primary had written when called
    /// (`lsn` from `primary_lsn`), up to a minute.
    pub fn caught_up(&self, lsn: &str) -> Result<(), String> {
        for _ in 0..600 {
            let done = self.psql(
                "postgres",
                "postgres",
                &format!("SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"),
            )?;
            if done == "t" {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Err(format!("the standby did not reach {lsn} in a minute"))
    }

    /// Where the primary's WAL is now.
    pub fn primary_lsn(&self) -> String {
        self.admin("postgres", "SELECT pg_current_wal_lsn()")
    }

    /// The deployment's two roles (README): neither a superuser, nor able to create
    /// databases or roles; `desk_app` owns nothing.
    fn roles(&self) -> Result<(), String> {
        let sql = format!(
            "SET password_encryption = 'scram-sha-256';
             ALTER ROLE postgres PASSWORD '{su}';
             CREATE ROLE {OWNER} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{o}';
             CREATE ROLE {APP} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD '{a}';",
            su = self.password("postgres"),
            o = self.password(OWNER),
            a = self.password(APP),
        );
        // The superuser's password in initdb's pwfile was the bare secret.
        let out = Command::new(self.bin.join("psql"))
            .env("PGPASSWORD", &self.secret)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-U", "postgres", "-d", "postgres", "-c", &sql])
            .stdin(Stdio::null())
            .output();
        checked("creating the roles", out).map(|_| ())
    }

    /// A fresh, empty database owned by `desk_owner` (its `public` schema too, so the owner
    /// may create the desk's schema there and nobody else can).
    pub fn create_db(&self) -> Db {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let name = format!("desk_test_{n}");
        self.admin(
            "postgres",
            &format!("CREATE DATABASE {name} OWNER {OWNER} TEMPLATE template0 ENCODING 'UTF8'"),
        );
        self.admin(
            &name,
            &format!("ALTER SCHEMA public OWNER TO {OWNER}; REVOKE ALL ON DATABASE {name} FROM PUBLIC; GRANT CONNECT ON DATABASE {name} TO {APP}"),
        );
        Db {
            url: self.url(OWNER, &name),
            app_url: self.url(APP, &name),
            admin_url: self.url("postgres", &name),
            port: self.port,
            name,
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.stop_on_drop {
            let _ = self.stop("immediate");
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Certificates a TLS test makes with `openssl`: a CA (`ca.pem`), a server certificate for
/// `localhost` it signed (`server.crt`, `server.key`), and an unrelated CA (`other-ca.pem`).
pub struct Certificates {
    pub server_cert: Vec<u8>,
    pub server_key: Vec<u8>,
}

/// Makes them in `dir`; `None` when openssl is missing or fails.
pub fn test_certificates(dir: &Path) -> Option<Certificates> {
    let p = |f: &str| dir.join(f).display().to_string();
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n",
    )
    .ok()?;
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let ca = |name: &str| -> Vec<String> {
        let mut a: Vec<String> = ["req", "-x509", "-days", "2", "-subj"]
            .map(String::from)
            .into();
        a.push(format!("/CN=desk test {name}"));
        a.extend(ec.map(String::from));
        a.extend([
            "-keyout".into(),
            p(&format!("{name}.key")),
            "-out".into(),
            p(&format!("{name}.pem")),
        ]);
        a
    };
    let mut req: Vec<String> = ["req", "-subj", "/CN=localhost"].map(String::from).into();
    req.extend(ec.map(String::from));
    req.extend([
        "-keyout".into(),
        p("server.key"),
        "-out".into(),
        p("server.csr"),
    ]);
    let sign: Vec<String> = [
        "x509",
        "-req",
        "-days",
        "2",
        "-CAcreateserial",
        "-in",
        &p("server.csr"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-extfile",
        &p("server.ext"),
        "-out",
        &p("server.crt"),
    ]
    .map(String::from)
    .into();
    for args in [ca("ca"), ca("other-ca"), req, sign] {
        let ok = Command::new("openssl")
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("openssl {}: failed", args.join(" "));
            return None;
        }
    }
    Some(Certificates {
        server_cert: std::fs::read(dir.join("server.crt")).ok()?,
        server_key: std::fs::read(dir.join("server.key")).ok()?,
    })
}
