-- The audit log: who did what, when, from where. Append-only: entries are
-- never updated (each engine's 0013 refuses it), and deleted only by the
-- retention sweep. No foreign keys: an entry outlives the user, key, app or
-- org it names. Keys are named by their public id, never by their secret.
CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    at            BIGINT NOT NULL,
    event         TEXT NOT NULL,
    success       BOOLEAN NOT NULL,
    actor_id      TEXT NOT NULL DEFAULT '',
    actor_key_id  TEXT NOT NULL DEFAULT '',
    subject_id    TEXT NOT NULL DEFAULT '',
    key_id        TEXT NOT NULL DEFAULT '',
    org_id        TEXT NOT NULL DEFAULT '',
    app_owner_id  TEXT NOT NULL DEFAULT '',
    app_id        TEXT NOT NULL DEFAULT '',
    details       TEXT NOT NULL DEFAULT '',
    source_ip     TEXT NOT NULL DEFAULT '',
    req_id        TEXT NOT NULL DEFAULT '',
    count         BIGINT NOT NULL DEFAULT 1,
    until         BIGINT
);
CREATE INDEX audit_log_at ON audit_log(at, id);
CREATE INDEX audit_log_actor ON audit_log(actor_id, at);
CREATE INDEX audit_log_subject ON audit_log(subject_id, at);
CREATE INDEX audit_log_key ON audit_log(key_id, at);
