-- chatrec store, SQLite schema version 2: a counter that grows whenever the catalog or the
-- set of users changes, so every server sharing the database can tell, with one cheap read,
-- that the data its recommender was built from is stale (item edits, deletions, forgotten
-- users). Triggers keep it in the same transaction as the change itself.

CREATE TABLE data_revision (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    revision   INTEGER NOT NULL
);
INSERT INTO data_revision (singleton, revision) VALUES (1, 0);

CREATE TRIGGER items_inserted AFTER INSERT ON items
BEGIN UPDATE data_revision SET revision = revision + 1; END;
CREATE TRIGGER items_updated AFTER UPDATE ON items
BEGIN UPDATE data_revision SET revision = revision + 1; END;
CREATE TRIGGER items_deleted AFTER DELETE ON items
BEGIN UPDATE data_revision SET revision = revision + 1; END;
CREATE TRIGGER users_deleted AFTER DELETE ON users
BEGIN UPDATE data_revision SET revision = revision + 1; END;
