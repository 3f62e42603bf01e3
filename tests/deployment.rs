//! PostgreSQL deployment (issue 18): the test cluster itself, the two roles, TLS, the report
//! replica, a server restart mid-load. Each test skips with a printed message without
//! PostgreSQL (tests/common/pg.rs).

mod common;

use common::pg;

/// The harness: each test gets its own empty database, owned by desk_owner, which desk_app
/// may connect to and nothing more; the server listens on loopback only.
#[test]
fn each_test_gets_a_fresh_empty_database() {
    let Some(a) = pg::db() else { return };
    let b = pg::db().expect("a second database");
    let c = pg::cluster().expect("the cluster that gave the databases");
    assert_ne!(a.name, b.name);
    assert!(a.url.starts_with("postgres://desk_owner:"), "{}", a.url);
    assert!(
        a.app_url.starts_with("postgres://desk_app:"),
        "{}",
        a.app_url
    );
    for db in [&a, &b] {
        let tables = c.admin(
            &db.name,
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
        );
        assert_eq!(tables, "0", "a fresh database is empty");
        let owner = c.admin(
            &db.name,
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()",
        );
        assert_eq!(owner, pg::OWNER);
    }
    // The owner creates; the other database does not see it.
    c.psql(
        pg::OWNER,
        &a.name,
        "CREATE TABLE t (x int); INSERT INTO t VALUES (1)",
    )
    .expect("the owner creates a table");
    assert!(c.psql(pg::OWNER, &b.name, "SELECT * FROM t").is_err());
    // desk_app connects but creates nothing in the owner's schema.
    assert_eq!(
        c.psql(pg::APP, &a.name, "SELECT 1")
            .expect("desk_app connects"),
        "1"
    );
    let e = c
        .psql(pg::APP, &a.name, "CREATE TABLE mine (x int)")
        .expect_err("desk_app may not create tables");
    assert!(e.contains("permission denied"), "{e}");
    // Passwords are checked on TCP.
    let wrong = std::process::Command::new(c.bin.join("psql"))
        .env("PGPASSWORD", "wrong")
        .args([
            "-X",
            "-h",
            "127.0.0.1",
            "-p",
            &a.port.to_string(),
            "-U",
            pg::APP,
            "-d",
            &a.name,
            "-c",
            "SELECT 1",
        ])
        .output()
        .expect("psql");
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("password authentication failed"));
    // Loopback only, as an unprivileged user.
    let listen = c.admin("postgres", "SHOW listen_addresses");
    assert_eq!(listen, "127.0.0.1");
    let data = c.admin("postgres", "SHOW data_directory");
    assert!(data.starts_with(&c.dir.display().to_string()), "{data}");
    let meta = std::fs::metadata(&data).expect("data dir");
    use std::os::unix::fs::MetadataExt;
    if nix::unistd::geteuid().is_root() {
        assert_ne!(meta.uid(), 0, "the server's files are not root's");
    }
}
