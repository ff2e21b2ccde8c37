-- Collaborators, organizations and teams. Organizations are rows of users
-- with kind 'org', so users and orgs share one id namespace and apps of
-- either reference users(id).
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'user';
ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT '';

CREATE TABLE collaborators (
    id           TEXT NOT NULL UNIQUE,
    app_owner_id TEXT NOT NULL,
    app_id       TEXT NOT NULL,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    scopes       TEXT NOT NULL,
    endpoints    TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER,
    PRIMARY KEY (app_owner_id, app_id, user_id),
    FOREIGN KEY (app_owner_id, app_id) REFERENCES apps(owner_id, id) ON DELETE CASCADE
);
CREATE INDEX collaborators_user ON collaborators(user_id);

CREATE TABLE org_members (
    org_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members(user_id);

CREATE TABLE teams (
    org_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    scopes     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
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
