-- The durable queue of background jobs. A running job is leased to
-- lease_owner until lease_until; a job succeeding is deleted, one failing for
-- good stays with state 'failed'. A job of an input goes with the input, and
-- one of an app with the app's space.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    space_id    TEXT REFERENCES app_spaces(id) ON DELETE CASCADE,
    input_id    TEXT,
    payload     TEXT NOT NULL DEFAULT '',
    state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'failed')),
    attempts    BIGINT NOT NULL DEFAULT 0,
    run_after   BIGINT NOT NULL,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    FOREIGN KEY (space_id, input_id) REFERENCES inputs(space_id, id) ON DELETE CASCADE
);
CREATE INDEX jobs_queued ON jobs(run_after) WHERE state = 'queued';
CREATE INDEX jobs_running ON jobs(lease_until) WHERE state = 'running';
CREATE INDEX jobs_lease_owner ON jobs(lease_owner) WHERE state = 'running';
CREATE INDEX jobs_input ON jobs(space_id, input_id);
