-- Users, apps and keys.
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    email       TEXT UNIQUE,
    first_name  TEXT NOT NULL DEFAULT '',
    last_name   TEXT NOT NULL DEFAULT '',
    admin       INTEGER NOT NULL DEFAULT 0,
    disabled    INTEGER NOT NULL DEFAULT 0,
    system      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE apps (
    owner_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL DEFAULT '',
    default_language TEXT NOT NULL DEFAULT '',
    notes            TEXT NOT NULL DEFAULT '',
    visibility       INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (owner_id, id)
);

CREATE TABLE keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    app_owner_id TEXT,
    app_id       TEXT,
    digest       BLOB NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    scopes       TEXT NOT NULL,
    endpoints    TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    FOREIGN KEY (app_owner_id, app_id) REFERENCES apps(owner_id, id) ON DELETE CASCADE
);
CREATE INDEX keys_user ON keys(user_id, created_at);
CREATE INDEX keys_app ON keys(app_owner_id, app_id);
