-- chatrec store, SQLite schema version 1.
-- JSON values are stored as TEXT; times are milliseconds since the Unix epoch.

CREATE TABLE items (
    id          TEXT    PRIMARY KEY NOT NULL,
    title       TEXT    NOT NULL,
    year        INTEGER,
    categories  TEXT    NOT NULL DEFAULT '[]',  -- JSON array of strings
    text        TEXT    NOT NULL DEFAULT '',
    attributes  TEXT    NOT NULL DEFAULT '{}'   -- JSON object
);

CREATE TABLE users (
    id          TEXT    PRIMARY KEY NOT NULL,
    attributes  TEXT    NOT NULL DEFAULT '{}'   -- JSON object
);

-- AUTOINCREMENT (not a plain rowid) so that ids are never reused after deletes: replicas
-- catch up by "id > last seen", which a reused id would break.
CREATE TABLE feedback (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    item_id       TEXT    NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,
    value         REAL    NOT NULL,
    timestamp_ms  INTEGER NOT NULL
);
CREATE INDEX feedback_by_user ON feedback (user_id, id);
CREATE INDEX feedback_by_item ON feedback (item_id);

CREATE TABLE sessions (
    id             TEXT    PRIMARY KEY NOT NULL,
    user_id        TEXT,   -- not a foreign key: a chat user need not be a catalog user
    created_at_ms  INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id, id);

CREATE TABLE turns (
    session_id     TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    turn_number    INTEGER NOT NULL CHECK (turn_number >= 1),
    user_text      TEXT    NOT NULL,
    reply          TEXT    NOT NULL,               -- JSON
    created_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (session_id, turn_number)
);

CREATE TABLE model_versions (
    version        INTEGER PRIMARY KEY AUTOINCREMENT,
    metadata       TEXT    NOT NULL,               -- JSON
    artifact       BLOB    NOT NULL,
    size_bytes     INTEGER NOT NULL,
    sha256         TEXT    NOT NULL,
    created_at_ms  INTEGER NOT NULL
);

-- At most one row: the version every server should serve.
CREATE TABLE active_model (
    singleton        INTEGER PRIMARY KEY CHECK (singleton = 1),
    version          INTEGER NOT NULL REFERENCES model_versions (version),
    activated_at_ms  INTEGER NOT NULL
);
