/* The floor under `desk show` in C (bench/floor.sh): bench/show_floor.rs's program against the
 * system's SQLite (Debian's libsqlite3, linked dynamically): the same opening, pragmas and
 * statements, the values printed as plain lines.
 *   cc -O2 -o show_floor_c bench/show_floor.c -lsqlite3
 *   show_floor_c DESK.db NUMBER     (exit 0: shown, 1: not found, 2: a database error) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *TICKET =
    "SELECT t.id, t.number, t.subject, t.body, t.requester, t.contact, t.channel, t.category, "
    "t.priority, t.status, t.outcome, t.reason, t.answer, t.assignee_id, a.login, a.name, a.role, "
    "t.group_code, t.created_at, c.login, t.updated_at, u.login, t.due_at, t.first_response_at, "
    "t.resolved_at, t.closed_at, t.satisfaction, t.reassignments, t.version, t.scope, t.seq, "
    "t.risk_at, t.merged_into FROM tickets t LEFT JOIN agents a ON a.id = t.assignee_id LEFT JOIN "
    "agents c ON c.id = t.created_by LEFT JOIN agents u ON u.id = t.updated_by WHERE t.number = ?1";
static const char *BY_ID[] = {
    "SELECT e.id, e.at, a.login, v.login, e.kind, e.from_value, e.to_value, e.text FROM events e "
    "LEFT JOIN agents a ON a.id = e.actor_id LEFT JOIN agents v ON v.id = e.via_id WHERE "
    "e.ticket_id = ?1 ORDER BY e.id",
    "SELECT number, subject, requester, contact, channel, body, created_at FROM tickets WHERE "
    "merged_into = ?1 ORDER BY id",
    "SELECT l.a, l.kind, o.number, o.subject, o.status FROM links l JOIN tickets o ON o.id = CASE "
    "WHEN l.a = ?1 THEN l.b ELSE l.a END WHERE l.a = ?1 OR l.b = ?1 ORDER BY o.id",
    "SELECT x.name, x.hash, x.size, x.added_at, a.login FROM attachments x LEFT JOIN agents a ON "
    "a.id = x.added_by WHERE x.ticket_id = ?1 ORDER BY x.id",
    "SELECT access_code, language FROM requester WHERE ticket_id = ?1",
    "SELECT o.id, o.ticket_id, t.number, o.kind, o.state, o.created_at, o.recipient, o.subject, "
    "o.message_id, o.attempts, o.next_at, o.last_error, o.done_at FROM outbox o JOIN tickets t ON "
    "t.id = o.ticket_id WHERE o.ticket_id = ?1 ORDER BY o.id",
};

static sqlite3 *db;

static void fail(void) {
  fprintf(stderr, "show_floor_c: %s\n", sqlite3_errmsg(db));
  exit(2);
}

static void line(sqlite3_stmt *st) {
  int n = sqlite3_column_count(st);
  for (int i = 0; i < n; i++) {
    const unsigned char *t = sqlite3_column_text(st, i);
    printf("%s%s", i ? "  " : "", t ? (const char *)t : "-");
  }
  putchar('\n');
}

/* Runs sql with ?1 bound to text (or id when text is null); prints its rows when show. */
static void one(const char *sql, const char *text, sqlite3_int64 id, int show) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, 0)) fail();
  if (text) sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
  else sqlite3_bind_int64(st, 1, id);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    if (show) line(st);
  if (rc != SQLITE_DONE) fail();
  sqlite3_finalize(st);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: show_floor_c DESK.db NUMBER\n");
    return 2;
  }
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, 0)) fail();
  sqlite3_busy_timeout(db, 5000);
  int on = 1;
  sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &on);
  if (sqlite3_exec(db, "PRAGMA temp_store = MEMORY", 0, 0, 0)) fail();
  one("SELECT (SELECT application_id FROM pragma_application_id), (SELECT user_version FROM "
      "pragma_user_version), (SELECT count(*) FROM sqlite_master)", 0, 0, 0);
  if (sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                       "PRAGMA foreign_keys = ON", 0, 0, 0)) fail();
  sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)0);
  if (sqlite3_exec(db, "PRAGMA journal_size_limit = 1048576", 0, 0, 0)) fail();
  one("SELECT value FROM meta WHERE key = ?1", "sla_fingerprint", 0, 0);
  one("SELECT value FROM meta WHERE key = ?1", "sla_all", 0, 0);
  const char *me = getenv("USER");
  one("SELECT id, login, role, active FROM agents WHERE login = ?1", me ? me : "", 0, 0);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, TICKET, -1, &st, 0)) fail();
  sqlite3_bind_text(st, 1, argv[2], -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_ROW) return 1;
  sqlite3_int64 id = sqlite3_column_int64(st, 0);
  line(st);
  for (unsigned i = 0; i < sizeof BY_ID / sizeof *BY_ID; i++) one(BY_ID[i], 0, id, 1);
  fflush(stdout);
  _exit(0);
}
