//! The schema, as an ordered list of migrations. Never edit a migration that has shipped:
//! add a new one. `PRAGMA user_version` records how many have run.

use rusqlite_migration::{M, Migrations};

/// `PRAGMA application_id` of a desk database: "DESK".
pub const APPLICATION_ID: i64 = 0x4445_534B;

pub const V1: &str = r#"
CREATE TABLE agents (
    id               INTEGER PRIMARY KEY,
    login            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
    capacity         INTEGER NOT NULL DEFAULT 20 CHECK (capacity >= 0),
    active           INTEGER NOT NULL DEFAULT 1,
    away             INTEGER NOT NULL DEFAULT 0,
    last_assigned_at INTEGER,
    created_at       INTEGER NOT NULL
);

CREATE TABLE groups (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    auto_assign INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE members (
    agent_id   INTEGER NOT NULL REFERENCES agents(id),
    group_code TEXT NOT NULL REFERENCES groups(code),
    PRIMARY KEY (agent_id, group_code)
) WITHOUT ROWID;

-- The last value issued in each numbering scope.
CREATE TABLE sequences (
    scope TEXT PRIMARY KEY,
    last  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE tickets (
    id                INTEGER PRIMARY KEY,
    number            TEXT NOT NULL UNIQUE,
    number_key        TEXT NOT NULL UNIQUE,
    scope             TEXT NOT NULL,
    seq               INTEGER NOT NULL,
    subject           TEXT NOT NULL,
    body              TEXT NOT NULL DEFAULT '',
    requester         TEXT NOT NULL DEFAULT '',
    contact           TEXT NOT NULL DEFAULT '',
    channel           TEXT NOT NULL,
    category          TEXT NOT NULL,
    priority          INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 3),
    status            TEXT NOT NULL,
    is_open           INTEGER NOT NULL,
    outcome           TEXT CHECK (outcome IN ('granted', 'refused', 'partial', 'clarification', 'invalid')),
    reason            TEXT,
    answer            TEXT,
    assignee_id       INTEGER REFERENCES agents(id),
    group_code        TEXT REFERENCES groups(code),
    created_at        INTEGER NOT NULL,
    created_by        INTEGER REFERENCES agents(id),
    updated_at        INTEGER NOT NULL,
    updated_by        INTEGER REFERENCES agents(id),
    due_at            INTEGER,
    first_response_at INTEGER,
    resolved_at       INTEGER,
    closed_at         INTEGER,
    satisfaction      INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    reassignments     INTEGER NOT NULL DEFAULT 0,
    version           INTEGER NOT NULL DEFAULT 1,
    -- Queues sort most urgent first: an ascending key lets them page with one index seek
    -- ((urgency, created_at, id) > (?, ?, ?)) instead of OFFSET.
    urgency           INTEGER GENERATED ALWAYS AS (3 - priority) VIRTUAL,
    UNIQUE (scope, seq)
);

CREATE INDEX tickets_queue    ON tickets (is_open, urgency, created_at, id);
CREATE INDEX tickets_status   ON tickets (status, urgency, created_at, id);
CREATE INDEX tickets_assignee ON tickets (assignee_id, is_open, urgency, created_at, id);
CREATE INDEX tickets_group    ON tickets (group_code, is_open, urgency, created_at, id);
CREATE INDEX tickets_created  ON tickets (created_at);
CREATE INDEX tickets_resolved ON tickets (resolved_at) WHERE resolved_at IS NOT NULL;

-- The history: append-only. Nothing in desk updates or deletes an event, and these triggers
-- refuse it to anyone else too (the sqlite3 shell included).
CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets(id),
    at         INTEGER NOT NULL,
    actor_id   INTEGER REFERENCES agents(id),
    via_id     INTEGER REFERENCES agents(id),
    kind       TEXT NOT NULL,
    from_value TEXT,
    to_value   TEXT,
    text       TEXT
);

CREATE INDEX events_ticket ON events (ticket_id, id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'desk: the history is append-only; events cannot be changed');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'desk: the history is append-only; events cannot be deleted');
END;

CREATE TRIGGER tickets_no_delete BEFORE DELETE ON tickets
BEGIN
    SELECT RAISE(ABORT, 'desk: tickets are never deleted; reject or close them instead');
END;
"#;

/// Full-text search over what people type to find a ticket, kept in sync by triggers
/// (tickets are never deleted, so inserts and edits are all there is).
pub const V2: &str = r#"
CREATE VIRTUAL TABLE tickets_fts USING fts5 (
    number, subject, requester, contact, body,
    content = 'tickets', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO tickets_fts (rowid, number, subject, requester, contact, body)
    VALUES (new.id, new.number, new.subject, new.requester, new.contact, new.body);
END;

CREATE TRIGGER tickets_fts_update AFTER UPDATE OF number, subject, requester, contact, body ON tickets
BEGIN
    INSERT INTO tickets_fts (tickets_fts, rowid, number, subject, requester, contact, body)
    VALUES ('delete', old.id, old.number, old.subject, old.requester, old.contact, old.body);
    INSERT INTO tickets_fts (rowid, number, subject, requester, contact, body)
    VALUES (new.id, new.number, new.subject, new.requester, new.contact, new.body);
END;

INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild');
"#;

/// The unassigned open tickets of each group, counted from an index that holds only them
/// (the assignment pane and `desk group list` ask for this on every refresh).
pub const V3: &str = r#"
CREATE INDEX tickets_unassigned ON tickets (group_code) WHERE is_open = 1 AND assignee_id IS NULL;
"#;

/// A reference from outside (an e-mail's Message-ID, a web form's submission id): importing
/// the same request twice finds the ticket it already became.
pub const V4: &str = r#"
ALTER TABLE tickets ADD COLUMN external_ref TEXT;
CREATE UNIQUE INDEX tickets_external_ref ON tickets (external_ref) WHERE external_ref IS NOT NULL;
"#;

/// Service levels and analysis. Each ticket's clocks are computed by core from its whole
/// history after every change, in the same transaction; these columns keep the results where
/// queues and reports can index them. They are derived data: `desk check` recomputes and
/// compares them, and `desk sla --recompute` rebuilds them.
pub const V5: &str = r#"
ALTER TABLE tickets ADD COLUMN risk_at INTEGER;
CREATE INDEX tickets_due ON tickets (is_open, due_at);
CREATE INDEX tickets_risk ON tickets (risk_at) WHERE is_open = 1 AND risk_at IS NOT NULL;
CREATE TABLE ticket_stats (
    ticket_id           INTEGER PRIMARY KEY REFERENCES tickets(id),
    first_response_secs INTEGER,
    resolution_secs     INTEGER,
    status_secs         TEXT NOT NULL DEFAULT '',
    sla_state           TEXT NOT NULL DEFAULT 'none'
);
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX events_kind_at ON events (kind, at);
"#;

/// Reports read one narrow row per ticket instead of the tickets themselves (whose subjects
/// and bodies make every row wide): `facts` holds the dimensions and derived figures a report
/// needs, written in the same transaction as every change (and checked by `desk check`).
/// Reassignment events get an index of their own that holds all a report reads of them. The old per-ticket figures are rebuilt.
pub const V6: &str = r#"
DROP TABLE ticket_stats;
CREATE TABLE facts (
    ticket_id           INTEGER PRIMARY KEY REFERENCES tickets(id),
    is_open             INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    resolved_at         INTEGER,
    category            TEXT NOT NULL,
    group_code          TEXT,
    assignee            TEXT,
    channel             TEXT NOT NULL,
    priority            INTEGER NOT NULL,
    outcome             TEXT,
    refusal             TEXT,
    satisfaction        INTEGER,
    reassignments       INTEGER NOT NULL,
    first_response_secs INTEGER,
    first_response_due  INTEGER,
    resolution_secs     INTEGER,
    status_secs         TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT '',
    status_since        INTEGER
);
CREATE INDEX facts_created ON facts (created_at);
CREATE INDEX facts_resolved ON facts (resolved_at) WHERE resolved_at IS NOT NULL;
CREATE INDEX facts_open ON facts (ticket_id) WHERE is_open = 1;
CREATE INDEX events_reassigned ON events (at, ticket_id, from_value, text)
    WHERE kind = 'assigned' AND from_value IS NOT NULL AND to_value IS NOT NULL;
DELETE FROM meta WHERE key IN ('sla_all', 'sla_fingerprint');
"#;

/// Roles for viewers and background services (mail, web, system). SQLite cannot change a
/// CHECK constraint in place, so the agents table is rebuilt the documented way (copy, drop,
/// rename); the migration runs with foreign keys off and is followed by
/// `PRAGMA foreign_key_check`, so every ticket and event still points at its agent.
pub const V7: &str = r#"
CREATE TABLE agents_v7 (
    id               INTEGER PRIMARY KEY,
    login            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin', 'viewer', 'mail', 'web', 'system')),
    capacity         INTEGER NOT NULL DEFAULT 20 CHECK (capacity >= 0),
    active           INTEGER NOT NULL DEFAULT 1,
    away             INTEGER NOT NULL DEFAULT 0,
    last_assigned_at INTEGER,
    created_at       INTEGER NOT NULL
);
INSERT INTO agents_v7 (id, login, name, role, capacity, active, away, last_assigned_at, created_at)
    SELECT id, login, name, role, capacity, active, away, last_assigned_at, created_at FROM agents;
DROP TABLE agents;
ALTER TABLE agents_v7 RENAME TO agents;
"#;

/// The history's hash chain (`core::chain`): every event carries the hash that chains it
/// after the one before. The events already written are chained by the migration's hook in
/// id order; the trigger that keeps events unchangeable is set aside for that and put back,
/// word for word, by the hook (`EVENTS_NO_UPDATE`).
pub const V8: &str = r#"
ALTER TABLE events ADD COLUMN hash BLOB;
DROP TRIGGER events_no_update;
"#;

/// The append-only trigger of V1, recreated by V8's hook.
pub const EVENTS_NO_UPDATE: &str = r#"
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'desk: the history is append-only; events cannot be changed');
END;
"#;

/// Runs store code written on the seam (`db::Connection`) over a migration's own SQLite
/// transaction (the hooks below).
fn on_seam<T>(
    tx: &rusqlite::Transaction<'_>,
    f: impl FnOnce(&super::db::Connection) -> T,
) -> rusqlite::Result<T> {
    // SAFETY: the handle is `tx`'s open connection, which outlives this call; a connection
    // made by `from_handle` never closes the handle it was given, and it is dropped here,
    // before `tx` can end.
    let conn = unsafe { rusqlite::Connection::from_handle(tx.handle())? };
    Ok(f(&super::db::Connection::from(conn)))
}

fn chain_existing(tx: &rusqlite::Transaction<'_>) -> rusqlite_migration::HookResult {
    on_seam(tx, super::chain::chain_existing)??;
    tx.execute_batch(EVENTS_NO_UPDATE)?;
    Ok(())
}

/// Numbering. Each series (scope) records the check algorithm of its first number, so numbers
/// already given stay valid whatever the configuration says later, and the template that
/// started it. Series keys become letters and digits only (the hook, `store::numbers::
/// upgrade_series`), so a template that changes only separators or padding continues its
/// series. Every number a series skips is recorded with who, when and why: the only gaps
/// `desk check` accepts. Append-only, like the history.
pub const V9: &str = r#"
ALTER TABLE sequences ADD COLUMN algo TEXT;
ALTER TABLE sequences ADD COLUMN template TEXT;
CREATE TABLE number_gaps (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    via    TEXT,
    scope  TEXT NOT NULL,
    first  INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('restore', 'taken', 'upgrade')),
    detail TEXT NOT NULL DEFAULT '',
    CHECK (first >= 1 AND last >= first)
);
CREATE INDEX number_gaps_scope ON number_gaps (scope, first);
CREATE TRIGGER number_gaps_no_update BEFORE UPDATE ON number_gaps
BEGIN
    SELECT RAISE(ABORT, 'desk: skipped numbers are a record; they cannot be changed');
END;
CREATE TRIGGER number_gaps_no_delete BEFORE DELETE ON number_gaps
BEGIN
    SELECT RAISE(ABORT, 'desk: skipped numbers are a record; they cannot be deleted');
END;
"#;

/// Duplicates and related requests. A duplicate keeps its number and its history and points
/// at the ticket it was merged into, so every look-up of its number leads there (`desk check`
/// proves that the ticket pointed at exists). Links join
/// two tickets as related (stored once, the lower id first) or as parent and child (the parent
/// first). Both are what the history's `merged`, `linked` and `unlinked` events say, and
/// `desk check` compares them.
pub const V10: &str = r#"
ALTER TABLE tickets ADD COLUMN merged_into INTEGER;
CREATE INDEX tickets_merged_into ON tickets (merged_into) WHERE merged_into IS NOT NULL;
CREATE TABLE links (
    a          INTEGER NOT NULL REFERENCES tickets(id),
    b          INTEGER NOT NULL REFERENCES tickets(id),
    kind       TEXT NOT NULL CHECK (kind IN ('related', 'parent')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a != b)
) WITHOUT ROWID;
CREATE INDEX links_b ON links (b);
"#;

/// Attachments, kept in the database (measured against files beside it: README, "Attachments"):
/// each content once, by its SHA-256 (`blobs`), and each file attached to a ticket with the
/// name it came with, made safe (`attachments`). Both are a record like the history: never
/// changed, never deleted. `desk check` hashes every content again and compares each file
/// with the history's `attached` event, which carries its hash into the hash chain.
pub const V11: &str = r#"
CREATE TABLE blobs (
    id   INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL CHECK (size >= 0),
    data BLOB NOT NULL
);
CREATE TABLE attachments (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    name      TEXT NOT NULL,
    hash      TEXT NOT NULL REFERENCES blobs(hash),
    size      INTEGER NOT NULL,
    added_at  INTEGER NOT NULL,
    added_by  INTEGER REFERENCES agents(id),
    UNIQUE (ticket_id, name)
);
CREATE TRIGGER blobs_no_update BEFORE UPDATE ON blobs
BEGIN
    SELECT RAISE(ABORT, 'desk: attached files are a record; they cannot be changed');
END;
CREATE TRIGGER blobs_no_delete BEFORE DELETE ON blobs
BEGIN
    SELECT RAISE(ABORT, 'desk: attached files are a record; they cannot be deleted');
END;
CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments
BEGIN
    SELECT RAISE(ABORT, 'desk: attached files are a record; they cannot be changed');
END;
CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments
BEGIN
    SELECT RAISE(ABORT, 'desk: attached files are a record; they cannot be deleted');
END;
"#;

/// Search over everything written on a ticket (issue 16). One document per ticket, its row
/// id the ticket's: the ticket's own fields, and in `note`, `reply` and `message` the texts
/// of its history — notes and the reasons given with changes, answers to the requester, the
/// requester's own messages — in the order they were written (`search_doc`, the index's
/// external content). Triggers keep it in step in the transaction of every change: a new
/// ticket, an edit of its fields (only when one of them changes), an event with text. The
/// number is indexed as written and as typed without separators (`hsg261100042a`). FTS5
/// takes a document out by its old text, so each trigger hands it exactly what was indexed.
/// Prefixes of two and three letters are indexed of their own, so that a word being typed
/// finds its first page at once on a large desk. V2's index of five columns goes.
pub const V12: &str = r#"
DROP TRIGGER tickets_fts_insert;
DROP TRIGGER tickets_fts_update;
DROP TABLE tickets_fts;

CREATE VIEW search_doc AS
SELECT t.id, t.number || ' ' || t.number_key AS number, t.subject, t.requester, t.contact,
    t.body,
    coalesce((SELECT group_concat(text, char(10)) FROM (
        SELECT e.text FROM events e WHERE e.ticket_id = t.id AND e.text IS NOT NULL
            AND e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
        ORDER BY e.id)), '') AS note,
    coalesce((SELECT group_concat(text, char(10)) FROM (
        SELECT e.text FROM events e WHERE e.ticket_id = t.id AND e.text IS NOT NULL
            AND e.kind = 'reply'
        ORDER BY e.id)), '') AS reply,
    coalesce((SELECT group_concat(text, char(10)) FROM (
        SELECT e.text FROM events e WHERE e.ticket_id = t.id AND e.text IS NOT NULL
            AND e.kind = 'message'
        ORDER BY e.id)), '') AS message
FROM tickets t;

CREATE VIRTUAL TABLE search USING fts5 (
    number, subject, requester, contact, body, note, reply, message,
    content = 'search_doc', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER search_ticket_insert AFTER INSERT ON tickets
BEGIN
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    VALUES (new.id, new.number || ' ' || new.number_key, new.subject, new.requester, new.contact,
            new.body, '', '', '');
END;

CREATE TRIGGER search_ticket_update
AFTER UPDATE OF number, number_key, subject, requester, contact, body ON tickets
WHEN old.number IS NOT new.number OR old.number_key IS NOT new.number_key
    OR old.subject IS NOT new.subject OR old.requester IS NOT new.requester
    OR old.contact IS NOT new.contact OR old.body IS NOT new.body
BEGIN
    INSERT INTO search (search, rowid, number, subject, requester, contact, body, note, reply, message)
    SELECT 'delete', old.id, old.number || ' ' || old.number_key, old.subject, old.requester,
           old.contact, old.body, d.note, d.reply, d.message
    FROM search_doc d WHERE d.id = old.id;
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    SELECT id, number, subject, requester, contact, body, note, reply, message
    FROM search_doc WHERE id = new.id;
END;

CREATE TRIGGER search_event AFTER INSERT ON events
WHEN new.text IS NOT NULL AND new.text <> ''
    AND new.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply', 'message')
BEGIN
    INSERT INTO search (search, rowid, number, subject, requester, contact, body, note, reply, message)
    SELECT 'delete', t.id, t.number || ' ' || t.number_key, t.subject, t.requester, t.contact,
        t.body,
        coalesce((SELECT group_concat(text, char(10)) FROM (
            SELECT e.text FROM events e WHERE e.ticket_id = t.id AND e.id <> new.id
                AND e.text IS NOT NULL
                AND e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
            ORDER BY e.id)), ''),
        coalesce((SELECT group_concat(text, char(10)) FROM (
            SELECT e.text FROM events e WHERE e.ticket_id = t.id AND e.id <> new.id
                AND e.text IS NOT NULL AND e.kind = 'reply'
            ORDER BY e.id)), ''),
        coalesce((SELECT group_concat(text, char(10)) FROM (
            SELECT e.text FROM events e WHERE e.ticket_id = t.id AND e.id <> new.id
                AND e.text IS NOT NULL AND e.kind = 'message'
            ORDER BY e.id)), '')
    FROM tickets t WHERE t.id = new.ticket_id;
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    SELECT id, number, subject, requester, contact, body, note, reply, message
    FROM search_doc WHERE id = new.ticket_id;
END;

INSERT INTO search (search) VALUES ('rebuild');
"#;

/// The requester's side (DESIGN §9). `requester`: each ticket's access code — what proves a
/// requester's right to read or add to it, since numbers are guessable — and the language its
/// notices are written in (NULL: the desk's). `outbox`: notices to requesters, written in the
/// transaction of the change that causes them and delivered later by `desk mail send`; the
/// Message-ID is fixed when the notice is written, so a message sent again after a crash is
/// the same message. `inbox`: every message that came in, by Message-ID, so a re-delivered
/// one registers once. Tickets registered before get their codes from the migration's hook.
pub const V13: &str = r#"
CREATE TABLE requester (
    ticket_id   INTEGER PRIMARY KEY REFERENCES tickets(id),
    access_code TEXT NOT NULL UNIQUE,
    language    TEXT CHECK (language IN ('en', 'ru', 'uk'))
);
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    kind        TEXT NOT NULL CHECK (kind IN ('acknowledgement', 'question', 'decision', 'reply')),
    -- The ticket's version a status change made, so undoing it withdraws its notice.
    undo_version INTEGER,
    created_at  INTEGER NOT NULL,
    recipient   TEXT,
    language    TEXT NOT NULL,
    message_id  TEXT NOT NULL UNIQUE,
    in_reply_to TEXT,
    refs        TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    automatic   INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN
                    ('pending', 'sent', 'failed', 'manual', 'informed', 'withdrawn', 'suppressed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    last_error  TEXT,
    done_at     INTEGER,
    lease       TEXT
);
CREATE INDEX outbox_due ON outbox (next_at, id) WHERE state = 'pending';
CREATE INDEX outbox_ticket ON outbox (ticket_id, id);
CREATE INDEX outbox_attention ON outbox (ticket_id) WHERE state IN ('failed', 'manual');
CREATE INDEX outbox_recipient ON outbox (recipient, created_at) WHERE recipient IS NOT NULL;
CREATE TABLE inbox (
    message_id  TEXT PRIMARY KEY,
    ticket_id   INTEGER REFERENCES tickets(id),
    received_at INTEGER NOT NULL,
    sender      TEXT,
    disposition TEXT NOT NULL CHECK (disposition IN ('new', 'joined', 'bounce', 'loop', 'ignored'))
) WITHOUT ROWID;
CREATE INDEX inbox_ticket ON inbox (ticket_id) WHERE ticket_id IS NOT NULL;
"#;

fn codes_for_existing(tx: &rusqlite::Transaction<'_>) -> rusqlite_migration::HookResult {
    on_seam(tx, super::requester::codes_for_existing)??;
    Ok(())
}

/// The desk's own changes in the history's hash chain: a change to an agent or a group, and
/// a configuration installed, is a desk-level event carrying the new state (`store::roster`),
/// in the same sequence of ids as the tickets' events. Before, the chain covered the tickets
/// only: a role given with `sqlite3` by anyone holding the file went unnoticed. Agents and
/// groups already there are recorded as found by the hook.
pub const V14: &str = r#"
CREATE TABLE desk_events (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_id   INTEGER REFERENCES agents(id),
    via_id     INTEGER REFERENCES agents(id),
    kind       TEXT NOT NULL,
    from_value TEXT,
    to_value   TEXT,
    text       TEXT,
    hash       BLOB
);
CREATE INDEX desk_events_subject ON desk_events (kind, from_value, id);
CREATE TRIGGER desk_events_no_update BEFORE UPDATE ON desk_events
BEGIN
    SELECT RAISE(ABORT, 'desk: the history is append-only; events cannot be changed');
END;
CREATE TRIGGER desk_events_no_delete BEFORE DELETE ON desk_events
BEGIN
    SELECT RAISE(ABORT, 'desk: the history is append-only; events cannot be deleted');
END;
"#;

/// Alerts to agents (`desk tick`'s escalations tell a group's supervisors): each points at
/// the event that caused it, which says what happened; the agent marks it seen.
pub const V15: &str = r#"
CREATE TABLE alerts (
    id        INTEGER PRIMARY KEY,
    agent_id  INTEGER NOT NULL REFERENCES agents(id),
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    event_id  INTEGER NOT NULL REFERENCES events(id),
    at        INTEGER NOT NULL,
    seen_at   INTEGER
);
CREATE INDEX alerts_unseen ON alerts (agent_id, id) WHERE seen_at IS NULL;
CREATE INDEX alerts_agent ON alerts (agent_id, at);
"#;

/// A round-robin group's turn: the id of the agent who got its last ticket automatically
/// (`[[group]] assign = "round_robin"`), kept like an agent's last assignment time, for
/// automatic assignment only (an id no longer among the members just starts the round again).
pub const V16: &str = r#"
ALTER TABLE groups ADD COLUMN turn_agent_id INTEGER;
"#;

/// Search, one document per part (issue 16): V12 kept one document per ticket, so a note on a
/// ticket with a long history took the whole history out of the index and put it back (2.1 s
/// for a 25 MB history, under the write lock). Now the ticket's own fields are one document
/// and each text of its history — a note or a reason given with a change, an answer to the
/// requester, a message of theirs — one of its own, so a write costs what it adds: a note
/// indexes the note. A part's row id says whose it is: the ticket's id times 2³² (its fields),
/// plus the event's distance from the ticket's first event (its history), so a ticket's parts
/// are next to each other in the index's order, newest ticket last; a query joins its words
/// ticket by ticket (`store::query`). `search_doc` is the index's external content, one row
/// per part.
pub const V17: &str = r#"
DROP TRIGGER search_ticket_insert;
DROP TRIGGER search_ticket_update;
DROP TRIGGER search_event;
DROP TABLE search;
DROP VIEW search_doc;

CREATE VIEW search_doc AS
SELECT t.id << 32 AS id, t.number || ' ' || t.number_key AS number, t.subject, t.requester,
    t.contact, t.body, '' AS note, '' AS reply, '' AS message
FROM tickets t
UNION ALL
SELECT (e.ticket_id << 32) + e.id + 1
        - (SELECT min(f.id) FROM events f WHERE f.ticket_id = e.ticket_id),
    '', '', '', '', '',
    CASE WHEN e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
        THEN e.text ELSE '' END,
    CASE WHEN e.kind = 'reply' THEN e.text ELSE '' END,
    CASE WHEN e.kind = 'message' THEN e.text ELSE '' END
FROM events e
WHERE e.text IS NOT NULL AND e.text <> ''
    AND e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply', 'message');

CREATE VIRTUAL TABLE search USING fts5 (
    number, subject, requester, contact, body, note, reply, message,
    content = 'search_doc', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER search_ticket_insert AFTER INSERT ON tickets
BEGIN
    SELECT RAISE(ABORT, 'desk: the search index holds 2147483647 tickets at most')
    WHERE new.id >= 2147483648 OR new.id < 0;
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    VALUES (new.id << 32, new.number || ' ' || new.number_key, new.subject, new.requester,
            new.contact, new.body, '', '', '');
END;

CREATE TRIGGER search_ticket_update
AFTER UPDATE OF number, number_key, subject, requester, contact, body ON tickets
WHEN old.number IS NOT new.number OR old.number_key IS NOT new.number_key
    OR old.subject IS NOT new.subject OR old.requester IS NOT new.requester
    OR old.contact IS NOT new.contact OR old.body IS NOT new.body
BEGIN
    INSERT INTO search (search, rowid, number, subject, requester, contact, body, note, reply, message)
    VALUES ('delete', old.id << 32, old.number || ' ' || old.number_key, old.subject,
            old.requester, old.contact, old.body, '', '', '');
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    VALUES (new.id << 32, new.number || ' ' || new.number_key, new.subject, new.requester,
            new.contact, new.body, '', '', '');
END;

CREATE TRIGGER search_event AFTER INSERT ON events
WHEN new.text IS NOT NULL AND new.text <> ''
    AND new.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply', 'message')
BEGIN
    SELECT RAISE(ABORT, 'desk: a ticket''s history is too far apart for the search index')
    WHERE new.id + 1 - (SELECT min(f.id) FROM events f WHERE f.ticket_id = new.ticket_id)
        >= 4294967296;
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    SELECT (new.ticket_id << 32) + new.id + 1 - min(f.id), '', '', '', '', '',
        CASE WHEN new.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
            THEN new.text ELSE '' END,
        CASE WHEN new.kind = 'reply' THEN new.text ELSE '' END,
        CASE WHEN new.kind = 'message' THEN new.text ELSE '' END
    FROM events f WHERE f.ticket_id = new.ticket_id;
END;

INSERT INTO search (search) VALUES ('rebuild');
"#;

/// Escalations reach supervisors by mail too (issue 15): an agent's optional mail address
/// (`desk agent add|set --mail`), and the outbox takes a fifth kind, `alert` — a notice to a
/// supervisor of the ticket's group, never threaded with the requester's mail. SQLite cannot
/// change a CHECK, so the outbox is copied into a table that allows it, row for row, with
/// its indexes.
pub const V18: &str = r#"
ALTER TABLE agents ADD COLUMN mail TEXT;
CREATE TABLE outbox_v18 (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
    kind        TEXT NOT NULL CHECK (kind IN ('acknowledgement', 'question', 'decision', 'reply', 'alert')),
    undo_version INTEGER,
    created_at  INTEGER NOT NULL,
    recipient   TEXT,
    language    TEXT NOT NULL,
    message_id  TEXT NOT NULL UNIQUE,
    in_reply_to TEXT,
    refs        TEXT NOT NULL DEFAULT '',
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    automatic   INTEGER NOT NULL,
    state       TEXT NOT NULL CHECK (state IN
                    ('pending', 'sent', 'failed', 'manual', 'informed', 'withdrawn', 'suppressed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    last_error  TEXT,
    done_at     INTEGER,
    lease       TEXT
);
INSERT INTO outbox_v18 SELECT * FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v18 RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (next_at, id) WHERE state = 'pending';
CREATE INDEX outbox_ticket ON outbox (ticket_id, id);
CREATE INDEX outbox_attention ON outbox (ticket_id) WHERE state IN ('failed', 'manual');
CREATE INDEX outbox_recipient ON outbox (recipient, created_at) WHERE recipient IS NOT NULL;
"#;

/// Version 19: nothing changes on SQLite. PostgreSQL's search documents are folded and cut
/// into words as FTS5 does (`pg_schema::V19`); the number is shared so that a version means
/// the same tables on both.
pub const V19: &str =
    "-- V19: PostgreSQL's search documents (pg_schema::V19); nothing on SQLite.\n";

/// Version 20: nothing changes on SQLite. PostgreSQL's search documents keep only the words
/// as written (`pg_schema::V20`).
pub const V20: &str =
    "-- V20: PostgreSQL's search documents (pg_schema::V20); nothing on SQLite.\n";

/// The open queue sorted by any column reads a page, not every open ticket (issue 17): one
/// partial index per order whose key is a column or an expression of the ticket's own row,
/// over open tickets only (a few thousand on a desk of a million), each key written exactly
/// as the query reader orders by it. Priority already has one (tickets_queue); status (the
/// lifecycle's order, from the configuration) and assignee (another table's login) cannot.
pub const V21: &str = r#"
CREATE INDEX tickets_open_number    ON tickets (number, id) WHERE is_open = 1;
CREATE INDEX tickets_open_subject   ON tickets (lower(subject), id) WHERE is_open = 1;
CREATE INDEX tickets_open_requester ON tickets (lower(requester), id) WHERE is_open = 1;
CREATE INDEX tickets_open_age       ON tickets (id) WHERE is_open = 1;
CREATE INDEX tickets_open_updated   ON tickets (-updated_at, -id) WHERE is_open = 1;
CREATE INDEX tickets_open_due       ON tickets (coalesce(due_at, 9223372036854775807), urgency, id)
    WHERE is_open = 1;
"#;

/// A year's report reads days, not tickets (issue 17): `report_days` holds, per calendar day of
/// the desk's zone, side (`received`: tickets registered that day; `finished`: tickets whose
/// last finishing fell on it), group and breakdown value (`dim` '' for the group's own row,
/// else `category`, `agent`, `channel` or `priority`), how many tickets and their additive
/// figures (`name=count;…`: outcomes, ratings, time in each status, the durations' histograms,
/// targets met), keyed by the breakdown first so that a report reads one breakdown's days as
/// one range. Kept from each ticket's row of facts in the transaction that writes it
/// (`store::rollup`); valid while `meta.rollups` names the zone and `[sla]` they were built
/// under, rebuilt from the facts otherwise. First responses still awaited get a small index
/// of their own (a report counts those already past their due time as misses), and each duration an
/// index by its value, from which a median or 90th percentile reads only the histogram's
/// bucket that holds it.
pub const V22: &str = r#"
CREATE TABLE report_days (
    day        INTEGER NOT NULL,
    side       TEXT NOT NULL,
    group_code TEXT NOT NULL,
    dim        TEXT NOT NULL,
    value      TEXT NOT NULL,
    tickets    INTEGER NOT NULL,
    figures    TEXT NOT NULL,
    PRIMARY KEY (dim, day, side, group_code, value)
) WITHOUT ROWID;
CREATE INDEX facts_awaited ON facts (first_response_due)
    WHERE first_response_secs IS NULL AND first_response_due IS NOT NULL;
CREATE INDEX facts_first_response ON facts (first_response_secs, created_at)
    WHERE first_response_secs IS NOT NULL;
CREATE INDEX facts_resolution ON facts (resolution_secs, resolved_at)
    WHERE resolution_secs IS NOT NULL;
"#;

/// A query over the open tickets' fields reads one small index (issue 16): for each open
/// ticket, the working order's key (urgency, registration, id) and every field a query compares
/// (status, assignee, group, category, priority, channel, the times), so that `is:open
/// category:X`, `updated<7d` or `sla:breached` count and page the open tickets without reading
/// one ticket's row (a few thousand entries on a desk of a million, against as many rows).
pub const V23: &str = r#"
CREATE INDEX tickets_open_fields ON tickets (urgency, created_at, id, status, assignee_id,
    group_code, category, priority, channel, updated_at, due_at, risk_at, first_response_at,
    is_open)
    WHERE is_open = 1;
"#;

/// A year's reassignments read from the report's days (issue 17): each ticket's owner changes
/// (`facts.reassigned`: every change of owner from one agent to another, oldest first, as
/// `instant:+agent` — the agent who passed it on — or `instant:-agent` for an undo, which
/// takes a step back; `%` and `;` escaped), so that the days count them on the day they
/// happened under the ticket's current group, category, owner, channel and priority, and a
/// ticket's change of category moves them with it. The index of owner changes holds every
/// column a report reads of them. The days already built lack the reassignments' rows: their
/// mark says so (`v23:`), and the first writer or report under the same settings adds those
/// rows from the facts (`store::report::rollup`).
pub const V24: &str = r#"
ALTER TABLE facts ADD COLUMN reassigned TEXT;
UPDATE facts SET reassigned = (
    SELECT group_concat(e.at || ':' || CASE WHEN e.text IS NOT DISTINCT FROM 'undo'
            THEN '-' || replace(replace(e.to_value, '%', '%25'), ';', '%3B')
            ELSE '+' || replace(replace(e.from_value, '%', '%25'), ';', '%3B') END,
        ';' ORDER BY e.id)
    FROM events e
    WHERE e.ticket_id = facts.ticket_id AND e.kind = 'assigned'
      AND e.from_value IS NOT NULL AND e.to_value IS NOT NULL)
WHERE ticket_id IN (SELECT ticket_id FROM events INDEXED BY events_reassigned
    WHERE kind = 'assigned' AND from_value IS NOT NULL AND to_value IS NOT NULL);
DROP INDEX events_reassigned;
CREATE INDEX events_reassigned ON events (at, ticket_id, text, from_value, to_value, kind)
    WHERE kind = 'assigned' AND from_value IS NOT NULL AND to_value IS NOT NULL;
UPDATE meta SET value = 'v23:' || value WHERE key = 'rollups';
"#;

/// The closing time is indexed (issue 16): `closed>DAY` over the whole desk read every ticket (571 ms on a
/// million), where the registration and resolution times have had their indexes since V1.
/// Only closed tickets are in it; a writer pays one entry when a ticket is closed.
pub const V25: &str = r#"
CREATE INDEX tickets_closed ON tickets (closed_at) WHERE closed_at IS NOT NULL;
"#;

/// What the search index holds of a text: the text with the six letters the desk folds
/// (`core::query::words::fold_char`) but FTS5's `unicode61 remove_diacritics 2` keeps as they
/// are — ł ø đ ħ ŀ ŧ, which have no decomposition — written as their base letters (schema
/// V26). The tokenizer folds every other diacritic itself.
macro_rules! index_fold {
    ($x:literal) => {
        concat!(
            "replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(",
            "replace(replace(",
            $x,
            ", 'ł', 'l'), 'Ł', 'L'), 'ø', 'o'), 'Ø', 'O'), 'đ', 'd'), 'Đ', 'D'), 'ħ', 'h'), ",
            "'Ħ', 'H'), 'ŀ', 'l'), 'Ŀ', 'L'), 'ŧ', 't'), 'Ŧ', 'T')"
        )
    };
}

/// The six letters of [`index_fold`], as a GLOB that finds a text holding any of them.
macro_rules! unfolded {
    ($x:literal) => {
        concat!($x, " GLOB '*[łŁøØđĐħĦŀĿŧŦ]*'")
    };
}

/// Łukasz is found as typed, and as `lukasz` (a bug since V12): the desk folds what a person
/// types as it folds letters everywhere (`fold_char`: Łódź is `lodz`), but FTS5's tokenizer
/// keeps the six letters that have no decomposition (ł ø đ ħ ŀ ŧ), so a word holding one was in
/// the index as written and no typed form of it — not even the same word — matched. The index
/// now holds its texts folded by [`index_fold`] (the external content `search_doc` and the
/// three triggers that keep it in step), and the parts already indexed that hold one of the
/// six letters are indexed again: removed with the texts they were indexed with, added
/// folded. A desk without such a letter does not change.
pub const V26: &str = concat!(
    "
CREATE TEMP TABLE search_refold AS
SELECT t.id << 32 AS id, t.number || ' ' || t.number_key AS number, t.subject, t.requester,
    t.contact, t.body, '' AS note, '' AS reply, '' AS message
FROM tickets t
WHERE ",
    unfolded!("t.number"),
    " OR ",
    unfolded!("t.subject"),
    " OR ",
    unfolded!("t.requester"),
    " OR ",
    unfolded!("t.contact"),
    " OR ",
    unfolded!("t.body"),
    "
UNION ALL
SELECT (e.ticket_id << 32) + e.id + 1
        - (SELECT min(f.id) FROM events f WHERE f.ticket_id = e.ticket_id),
    '', '', '', '', '',
    CASE WHEN e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
        THEN e.text ELSE '' END,
    CASE WHEN e.kind = 'reply' THEN e.text ELSE '' END,
    CASE WHEN e.kind = 'message' THEN e.text ELSE '' END
FROM events e
WHERE e.text IS NOT NULL AND e.text <> ''
    AND e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply', 'message')
    AND ",
    unfolded!("e.text"),
    ";
INSERT INTO search (search, rowid, number, subject, requester, contact, body, note, reply, message)
SELECT 'delete', id, number, subject, requester, contact, body, note, reply, message
FROM search_refold;

DROP TRIGGER search_ticket_insert;
DROP TRIGGER search_ticket_update;
DROP TRIGGER search_event;
DROP VIEW search_doc;

CREATE VIEW search_doc AS
SELECT t.id << 32 AS id, ",
    index_fold!("t.number || ' ' || t.number_key"),
    " AS number,
    ",
    index_fold!("t.subject"),
    " AS subject, ",
    index_fold!("t.requester"),
    " AS requester,
    ",
    index_fold!("t.contact"),
    " AS contact, ",
    index_fold!("t.body"),
    " AS body,
    '' AS note, '' AS reply, '' AS message
FROM tickets t
UNION ALL
SELECT (e.ticket_id << 32) + e.id + 1
        - (SELECT min(f.id) FROM events f WHERE f.ticket_id = e.ticket_id),
    '', '', '', '', '',
    CASE WHEN e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
        THEN ",
    index_fold!("e.text"),
    " ELSE '' END,
    CASE WHEN e.kind = 'reply' THEN ",
    index_fold!("e.text"),
    " ELSE '' END,
    CASE WHEN e.kind = 'message' THEN ",
    index_fold!("e.text"),
    " ELSE '' END
FROM events e
WHERE e.text IS NOT NULL AND e.text <> ''
    AND e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply', 'message');

CREATE TRIGGER search_ticket_insert AFTER INSERT ON tickets
BEGIN
    SELECT RAISE(ABORT, 'desk: the search index holds 2147483647 tickets at most')
    WHERE new.id >= 2147483648 OR new.id < 0;
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    VALUES (new.id << 32, ",
    index_fold!("new.number || ' ' || new.number_key"),
    ",
            ",
    index_fold!("new.subject"),
    ",
            ",
    index_fold!("new.requester"),
    ",
            ",
    index_fold!("new.contact"),
    ",
            ",
    index_fold!("new.body"),
    ", '', '', '');
END;

CREATE TRIGGER search_ticket_update
AFTER UPDATE OF number, number_key, subject, requester, contact, body ON tickets
WHEN old.number IS NOT new.number OR old.number_key IS NOT new.number_key
    OR old.subject IS NOT new.subject OR old.requester IS NOT new.requester
    OR old.contact IS NOT new.contact OR old.body IS NOT new.body
BEGIN
    INSERT INTO search (search, rowid, number, subject, requester, contact, body, note, reply, message)
    VALUES ('delete', old.id << 32, ",
    index_fold!("old.number || ' ' || old.number_key"),
    ",
            ",
    index_fold!("old.subject"),
    ",
            ",
    index_fold!("old.requester"),
    ",
            ",
    index_fold!("old.contact"),
    ",
            ",
    index_fold!("old.body"),
    ", '', '', '');
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    VALUES (new.id << 32, ",
    index_fold!("new.number || ' ' || new.number_key"),
    ",
            ",
    index_fold!("new.subject"),
    ",
            ",
    index_fold!("new.requester"),
    ",
            ",
    index_fold!("new.contact"),
    ",
            ",
    index_fold!("new.body"),
    ", '', '', '');
END;

CREATE TRIGGER search_event AFTER INSERT ON events
WHEN new.text IS NOT NULL AND new.text <> ''
    AND new.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply', 'message')
BEGIN
    SELECT RAISE(ABORT, 'desk: a ticket''s history is too far apart for the search index')
    WHERE new.id + 1 - (SELECT min(f.id) FROM events f WHERE f.ticket_id = new.ticket_id)
        >= 4294967296;
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    SELECT (new.ticket_id << 32) + new.id + 1 - min(f.id), '', '', '', '', '',
        CASE WHEN new.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
            THEN ",
    index_fold!("new.text"),
    " ELSE '' END,
        CASE WHEN new.kind = 'reply' THEN ",
    index_fold!("new.text"),
    " ELSE '' END,
        CASE WHEN new.kind = 'message' THEN ",
    index_fold!("new.text"),
    " ELSE '' END
    FROM events f WHERE f.ticket_id = new.ticket_id;
END;

INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
SELECT id, ",
    index_fold!("number"),
    ", ",
    index_fold!("subject"),
    ", ",
    index_fold!("requester"),
    ", ",
    index_fold!("contact"),
    ",
    ",
    index_fold!("body"),
    ", ",
    index_fold!("note"),
    ", ",
    index_fold!("reply"),
    ", ",
    index_fold!("message"),
    "
FROM search_refold;
DROP TABLE search_refold;
"
);

/// The whole desk's orders and the times a query compares are indexed (issue 16): a page of
/// `desk list --all` by subject, requester, update or due time walks its order's index and
/// tests the condition ticket by ticket (it read and sorted every ticket a condition kept:
/// 0.5 s on a million for `status:closed --sort subject`), and `updated<7d`, `due<now` or
/// `responded<1d` over the whole desk read their time's index instead of every ticket
/// (250-290 ms). The due times are only the open tickets' (a small index); a writer pays an
/// entry in each of the others per ticket, and one when its time changes.
pub const V27: &str = r#"
CREATE INDEX tickets_subject    ON tickets (lower(subject), id);
CREATE INDEX tickets_requester  ON tickets (lower(requester), id);
CREATE INDEX tickets_updated    ON tickets (updated_at);
CREATE INDEX tickets_due_order  ON tickets (coalesce(due_at, 9223372036854775807), urgency, id);
CREATE INDEX tickets_due_at     ON tickets (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX tickets_responded  ON tickets (first_response_at) WHERE first_response_at IS NOT NULL;
"#;

/// The open tickets' due index holds each one's time of risk too (issue 17): the at-risk
/// queue (open tickets whose time of risk has come, soonest due first) walks that index and
/// reads a ticket's row only for the rows it shows. Its last page (End) walked the index from
/// its far end — the tickets with no due time or a distant one, none at risk — reading each
/// one's row for its time of risk (3,478 rows on the 1M demo before the first ticket at risk).
pub const V28: &str = r#"
DROP INDEX tickets_open_due;
CREATE INDEX tickets_open_due ON tickets (coalesce(due_at, 9223372036854775807), urgency, id,
    risk_at, is_open)
    WHERE is_open = 1;
"#;

/// A ticket's category and its number are indexed together (issue 16): the whole desk's
/// tickets of a category in number order are one seek and a walk of a page (numbers begin
/// with their category's code on most desks, so a walk of every number met the category's
/// tickets only after every earlier category's: `category:HSG --all --sort number` read and
/// sorted its 165,897 tickets of a million, 0.65-1.7 s), and a category that holds few tickets
/// is counted and read through it in any order. A writer pays an entry per ticket, and one
/// when its category changes.
pub const V29: &str = r#"
CREATE INDEX tickets_category ON tickets (category, number, id);
"#;

/// The search index's folding (V26) is written once per text, in a generated column of the
/// ticket's and the history's rows (computed when read, nothing stored), instead of 26 times
/// over in the index's external content and its three triggers: SQLite parses every view and
/// trigger of the schema at each process's first statement, and those 26 chains of twelve
/// `replace` calls were about a third of what `desk show` spends (2.5 of 7.4 million
/// instructions), paid again when an intake compiled the triggers. The index holds the same
/// texts; nothing is indexed again.
pub const V30: &str = concat!(
    "
DROP TRIGGER search_ticket_insert;
DROP TRIGGER search_ticket_update;
DROP TRIGGER search_event;
DROP VIEW search_doc;

ALTER TABLE tickets ADD COLUMN search_number TEXT GENERATED ALWAYS AS (",
    index_fold!("number || ' ' || number_key"),
    ") VIRTUAL;
ALTER TABLE tickets ADD COLUMN search_subject TEXT GENERATED ALWAYS AS (",
    index_fold!("subject"),
    ") VIRTUAL;
ALTER TABLE tickets ADD COLUMN search_requester TEXT GENERATED ALWAYS AS (",
    index_fold!("requester"),
    ") VIRTUAL;
ALTER TABLE tickets ADD COLUMN search_contact TEXT GENERATED ALWAYS AS (",
    index_fold!("contact"),
    ") VIRTUAL;
ALTER TABLE tickets ADD COLUMN search_body TEXT GENERATED ALWAYS AS (",
    index_fold!("body"),
    ") VIRTUAL;
ALTER TABLE events ADD COLUMN search_text TEXT GENERATED ALWAYS AS (",
    index_fold!("text"),
    ") VIRTUAL;

CREATE VIEW search_doc AS
SELECT t.id << 32 AS id, t.search_number AS number, t.search_subject AS subject,
    t.search_requester AS requester, t.search_contact AS contact, t.search_body AS body,
    '' AS note, '' AS reply, '' AS message
FROM tickets t
UNION ALL
SELECT (e.ticket_id << 32) + e.id + 1
        - (SELECT min(f.id) FROM events f WHERE f.ticket_id = e.ticket_id),
    '', '', '', '', '',
    CASE WHEN e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
        THEN e.search_text ELSE '' END,
    CASE WHEN e.kind = 'reply' THEN e.search_text ELSE '' END,
    CASE WHEN e.kind = 'message' THEN e.search_text ELSE '' END
FROM events e
WHERE e.text IS NOT NULL AND e.text <> ''
    AND e.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply', 'message');

CREATE TRIGGER search_ticket_insert AFTER INSERT ON tickets
BEGIN
    SELECT RAISE(ABORT, 'desk: the search index holds 2147483647 tickets at most')
    WHERE new.id >= 2147483648 OR new.id < 0;
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    VALUES (new.id << 32, new.search_number, new.search_subject, new.search_requester,
        new.search_contact, new.search_body, '', '', '');
END;

CREATE TRIGGER search_ticket_update
AFTER UPDATE OF number, number_key, subject, requester, contact, body ON tickets
WHEN old.number IS NOT new.number OR old.number_key IS NOT new.number_key
    OR old.subject IS NOT new.subject OR old.requester IS NOT new.requester
    OR old.contact IS NOT new.contact OR old.body IS NOT new.body
BEGIN
    INSERT INTO search (search, rowid, number, subject, requester, contact, body, note, reply, message)
    VALUES ('delete', old.id << 32, old.search_number, old.search_subject, old.search_requester,
        old.search_contact, old.search_body, '', '', '');
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    VALUES (new.id << 32, new.search_number, new.search_subject, new.search_requester,
        new.search_contact, new.search_body, '', '', '');
END;

CREATE TRIGGER search_event AFTER INSERT ON events
WHEN new.text IS NOT NULL AND new.text <> ''
    AND new.kind IN ('comment', 'status', 'outcome', 'assigned', 'group', 'reply', 'message')
BEGIN
    SELECT RAISE(ABORT, 'desk: a ticket''s history is too far apart for the search index')
    WHERE new.id + 1 - (SELECT min(f.id) FROM events f WHERE f.ticket_id = new.ticket_id)
        >= 4294967296;
    INSERT INTO search (rowid, number, subject, requester, contact, body, note, reply, message)
    SELECT (new.ticket_id << 32) + new.id + 1 - min(f.id), '', '', '', '', '',
        CASE WHEN new.kind IN ('comment', 'status', 'outcome', 'assigned', 'group')
            THEN new.search_text ELSE '' END,
        CASE WHEN new.kind = 'reply' THEN new.search_text ELSE '' END,
        CASE WHEN new.kind = 'message' THEN new.search_text ELSE '' END
    FROM events f WHERE f.ticket_id = new.ticket_id;
END;
"
);

/// A ticket's group and its number indexed together (issue 16), open or not first: the whole
/// desk's tickets of a group in number order are two seeks (its open tickets and the others)
/// and a walk of a page, as a category's are (V29), and its open tickets one. A group's
/// tickets are in every category (a supervisor passes a ticket on), so their numbers are
/// spread over the whole number order, and a walk of every number tested each ticket's row for
/// the group: `group:HOUSING priority>=high --all --sort number` met one in 300 among the first
/// category's numbers and was read by SQLite's own plan, the group's 168,000 tickets of a
/// million sorted (0.2 s). `is_open` leads so that SQLite, without statistics, never takes
/// this index for a group alone, in the order of numbers, where the group's own index walks
/// its tickets by urgency (an index led by the group made it count `group:HOUSING
/// priority>=high` in number order, 8 -> 15 ms, and read the group's every row for its open
/// tickets by number, 5 -> 45 ms). A writer pays an entry per ticket, and one when its group
/// changes or it closes or opens again.
pub const V31: &str = r#"
CREATE INDEX tickets_group_number ON tickets (is_open, group_code, number, id);
"#;

/// The whole desk's subject index holds each ticket's category after its key (issue 16): a
/// walk in subject order tests a condition on categories in the index's entries instead of
/// each ticket's row. Most subjects are one category's, so a category's tickets (or those
/// outside one) lie past every other subject's: `-category:HSG --all --sort subject` read the
/// rows of the 20,571 tickets of the first subject, all HSG, before its page (40 ms of
/// processor time on a million), `category:SOC` those of 130,000 (0.5 s). The same entries,
/// one column longer; nothing more for a writer.
pub const V32: &str = r#"
DROP INDEX tickets_subject;
CREATE INDEX tickets_subject ON tickets (lower(subject), id, category);
"#;

/// Every migration, oldest first.
pub const ALL: &[&str] = &[
    V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15, V16, V17, V18, V19, V20, V21,
    V22, V23, V24, V25, V26, V27, V28, V29, V30, V31, V32,
];

pub fn migrations() -> Migrations<'static> {
    Migrations::new(
        ALL.iter()
            .enumerate()
            .map(|(i, sql)| match i + 1 {
                // Rebuilds a table: proves that every reference still holds.
                7 => M::up(sql).foreign_key_check(),
                // Chains the events already written.
                8 => M::up_with_hook(sql, chain_existing),
                // Series keys without separators, each with its algorithm.
                9 => M::up_with_hook(sql, |tx: &rusqlite::Transaction<'_>| {
                    on_seam(tx, super::numbers::upgrade_series)?.map_err(Into::into)
                }),
                // Gives every ticket already registered its access code.
                13 => M::up_with_hook(sql, codes_for_existing),
                // Records the agents and groups found.
                14 => M::up_with_hook(sql, |tx: &rusqlite::Transaction<'_>| {
                    on_seam(tx, super::roster::record_found)?.map_err(Into::into)
                }),
                _ => M::up(sql),
            })
            .collect(),
    )
}

/// How many migrations this build knows.
pub fn latest_version() -> i64 {
    ALL.len() as i64
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// FNV-1a: the fingerprint of a migration's text.
    pub(crate) fn fnv(s: &str) -> u64 {
        s.bytes().fold(0xcbf29ce484222325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        })
    }

    /// A migration that has shipped must never change: desks already past it would not run
    /// it again. (FNV-1a of each text; add the next one when it ships.)
    #[test]
    fn shipped_migrations_never_change() {
        let shipped = [
            0x69fabbe37a2d70cb,
            0x6eab777340a19fb6,
            0xc76a2e5dd8b1d8a0,
            0x721810b6bd81034d,
            0xca726ed4361ff21d,
            0x5de39abb36931c13,
            0x3bf45ff003d5f185,
            0x0b79d19ad79dd52a,
            0xd3103d8691a271b6,
            0x95811de7cc812f94,
            0x36490c8b8db61979,
            0xb22f0e9d211aba30,
            0xd98e794cfe35abcc,
            0xffad63f92fb95453,
            0x6ddb848254c07531,
            0x8fd1c1ba44898a48,
            0xa9b4ff3149260fe6,
            0x46b15117b93549da,
            0xda6ec39a3c071ffc,
            0xc94b11e8bc2c7a88,
            0xa66791eb4891a84f,
            0x4ae3525495bbd112,
            0x6884e8bed74c67e1,
            0xc5ea4c93f2419a67,
            0x9107965d0b73a7a0,
            0x698351cf7a860745,
            0x7ab3180b8246e0ce,
            0x93600ff88c4f8851,
            0xa9378ea556a78ddf,
            0xef6e2612027ad51c,
            0x29d950251efda8b2,
            0xfda6f47294534fd0,
        ];
        for (i, want) in shipped.iter().enumerate() {
            assert_eq!(fnv(ALL[i]), *want, "migration V{} changed", i + 1);
        }
        // V8's hook puts this trigger back; a backup's schema is compared with it.
        assert_eq!(fnv(EVENTS_NO_UPDATE), 0x9c2d_8013_27ff_0a2c);
    }

    #[test]
    fn migrations_are_valid() {
        assert!(migrations().validate().is_ok());
    }

    #[test]
    fn latest_version_matches_the_list() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("memory db");
        migrations().to_latest(&mut conn).expect("migrate");
        let v: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(v, latest_version());
    }

    /// SQLite parses every view and trigger at each process's first statement: the search
    /// index's folding is written once per text, in the rows' generated columns (V30), and the
    /// index's view and triggers only name those columns.
    #[test]
    fn the_search_folding_is_parsed_once_per_text() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("memory db");
        migrations().to_latest(&mut conn).expect("migrate");
        let chains = |types: &str| -> i64 {
            conn.query_row(
                &format!(
                    "SELECT coalesce(sum((length(sql) - length(replace(sql, 'replace(', '')))
                         / length('replace(')), 0)
                     FROM sqlite_schema WHERE type IN ({types})"
                ),
                [],
                |r| r.get(0),
            )
            .expect("schema")
        };
        assert_eq!(chains("'view', 'trigger'"), 0);
        // Twelve calls for each of the six texts: the ticket's five and the history's one.
        assert_eq!(chains("'table'"), 6 * 12);
    }
}
