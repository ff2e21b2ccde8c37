-- The whole schema, mirroring the SQLite engine's: times are unix
-- microseconds, scopes and endpoints space-separated names. Organizations are
-- rows of users with kind 'org', so users and orgs share one id namespace and
-- apps of either reference users(id).
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    email       TEXT UNIQUE,
    first_name  TEXT NOT NULL DEFAULT '',
    last_name   TEXT NOT NULL DEFAULT '',
    admin       BOOLEAN NOT NULL DEFAULT FALSE,
    disabled    BOOLEAN NOT NULL DEFAULT FALSE,
    system      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'user',
    name        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE apps (
    owner_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id               TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL DEFAULT '',
    default_language TEXT NOT NULL DEFAULT '',
    notes            TEXT NOT NULL DEFAULT '',
    visibility       INTEGER NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (owner_id, id)
);

CREATE TABLE keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type         TEXT NOT NULL,
    app_owner_id TEXT,
    app_id       TEXT,
    digest       BYTEA NOT NULL UNIQUE,
    hint         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    scopes       TEXT NOT NULL,
    endpoints    TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    FOREIGN KEY (app_owner_id, app_id) REFERENCES apps(owner_id, id) ON DELETE CASCADE
);
CREATE INDEX keys_user ON keys(user_id, created_at);
CREATE INDEX keys_app ON keys(app_owner_id, app_id);

CREATE TABLE collaborators (
    id           TEXT NOT NULL UNIQUE,
    app_owner_id TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scopes       TEXT NOT NULL,
    endpoints    TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    deleted_at   BIGINT,
    PRIMARY KEY (app_owner_id, app_id, user_id),
    FOREIGN KEY (app_owner_id, app_id) REFERENCES apps(owner_id, id) ON DELETE CASCADE
);
CREATE INDEX collaborators_user ON collaborators(user_id);

CREATE TABLE org_members (
    org_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members(user_id);

CREATE TABLE teams (
    org_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE team_members (
    org_id  TEXT NOT NULL,
    team_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (org_id, team_id, user_id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams(org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES org_members(org_id, user_id) ON DELETE CASCADE
);

CREATE TABLE team_apps (
    org_id  TEXT NOT NULL,
    team_id TEXT NOT NULL,
    app_id  TEXT NOT NULL,
    PRIMARY KEY (org_id, team_id, app_id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams(org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, app_id) REFERENCES apps(owner_id, id) ON DELETE CASCADE
);
