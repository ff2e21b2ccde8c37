-- Portal sessions, by the SHA-256 of the session id (the id itself is only
-- in the browser's cookie), and failed log-ins counted per subject (an
-- account or a client address) in fixed windows.
CREATE TABLE sessions (
    digest        BYTEA PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    must_change   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE INDEX sessions_expires ON sessions(expires_at);

CREATE TABLE login_failures (
    subject      TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures     INTEGER NOT NULL
);
CREATE INDEX login_failures_window ON login_failures(window_start);
