-- chatrec store, PostgreSQL schema version 2: a counter that grows whenever the catalog or
-- the set of users changes, so every server sharing the database can tell, with one cheap
-- read, that the data its recommender was built from is stale (item edits, deletions,
-- forgotten users). Statement-level triggers bump it once per statement, in the same
-- transaction as the change.

CREATE TABLE data_revision (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    revision   BIGINT  NOT NULL
);
INSERT INTO data_revision (singleton, revision) VALUES (1, 0);

CREATE FUNCTION bump_data_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_revision SET revision = revision + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER items_changed AFTER INSERT OR UPDATE OR DELETE ON items
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_revision();
CREATE TRIGGER users_deleted AFTER DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_data_revision();
