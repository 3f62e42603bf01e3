//! The store's seam on PostgreSQL (`store::db`, issue 18): a statement's first run goes to the
//! server unprepared — parsed, bound and run in one round trip, its parameters sent as text for
//! the server to read as the types it infers — and its second run prepares it. Every kind of
//! value reads back the same either way. Without the test PostgreSQL cluster the test says
//! SKIPPED on stderr (a failure under `DESK_TEST_PG=require`).

mod common;

use common::pg;
use desk::store::db::{Connection, params};
use rusqlite::types::Value;

fn connect() -> Option<Connection> {
    let db = pg::db()?;
    let client = postgres::Client::connect(&db.url, postgres::NoTls).expect("a connection");
    Some(Connection::postgres(client))
}

#[test]
fn a_statement_runs_unprepared_once_then_prepared_with_the_same_values() {
    let Some(c) = connect() else { return };
    c.execute_batch(
        "CREATE TABLE kinds (id BIGINT PRIMARY KEY, n INTEGER, r DOUBLE PRECISION, t TEXT, \
         b BYTEA, f BIGINT)",
    )
    .expect("the table");
    let insert = "INSERT INTO kinds (id, n, r, t, b, f) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    let blob: &[u8] = &[0, 1, 0xff, b'\\', b'\'', 0];
    let text = "a 'quoted' \\ back\tslash, ё, 🙂";
    for id in [1i64, 2] {
        let n = c
            .execute(
                insert,
                params![id, -7i64, 2.5f64, text, blob, Option::<i64>::None],
            )
            .expect("an insert");
        assert_eq!(n, 1, "rows changed, run {id}");
        assert_eq!(c.changes(), 1);
        // The first run prepared nothing; the second prepared the statement.
        assert_eq!(c.prepared_statements(), id as usize - 1, "after run {id}");
    }
    let read = "SELECT n, r, t, b, f, n + ?1 FROM kinds WHERE id = ?2 AND t = ?3";
    let rows: Vec<Vec<Value>> = [1i64, 2]
        .iter()
        .map(|id| {
            c.query_row(read, params![40i64, id, text], |r| {
                (0..6).map(|i| r.get::<_, Value>(i)).collect()
            })
            .expect("a row")
        })
        .collect();
    let want = vec![
        Value::Integer(-7),
        Value::Real(2.5),
        Value::Text(text.into()),
        Value::Blob(blob.to_vec()),
        Value::Null,
        Value::Integer(33),
    ];
    assert_eq!(rows, vec![want.clone(), want], "unprepared, then prepared");
    // An UPDATE's count of rows, unprepared (a new statement), then prepared.
    for (run, prepared) in [(1, 2), (2, 3)] {
        let n = c
            .execute("UPDATE kinds SET f = ?1 WHERE id >= ?2", params![run, 1i64])
            .expect("an update");
        assert_eq!((n, c.changes()), (2, 2), "run {run}");
        assert_eq!(c.prepared_statements(), prepared);
    }
    // A mistake in the SQL is said on its first run, as preparing it said it.
    let e = c
        .query_row("SELECT nosuch FROM kinds WHERE id = ?1", [1i64], |r| {
            r.get::<_, i64>(0)
        })
        .expect_err("no such column");
    assert!(e.to_string().contains("nosuch"), "{e}");
}

/// Inside a write transaction nothing is prepared however often it runs: preparing is a round
/// trip of its own, and there it would be spent holding the desk-wide write lock every other
/// writer waits for. Outside one, the second run prepares as before.
#[test]
fn a_write_transaction_prepares_nothing() {
    let Some(c) = connect() else { return };
    c.execute_batch("CREATE TABLE items (id BIGINT PRIMARY KEY, v TEXT)")
        .expect("the table");
    let tx = c.transaction().expect("a write transaction");
    for id in 1..=3i64 {
        tx.execute(
            "INSERT INTO items (id, v) VALUES (?1, ?2)",
            params![id, "x"],
        )
        .expect("an insert");
    }
    assert_eq!(
        tx.prepared_statements(),
        0,
        "run three times, never prepared"
    );
    tx.commit().expect("committed");
    for id in [1i64, 2] {
        let v: String = c
            .query_row("SELECT v FROM items WHERE id = ?1", [id], |r| r.get(0))
            .expect("a row");
        assert_eq!(v, "x");
    }
    assert_eq!(c.prepared_statements(), 1, "read twice outside: prepared");
}
