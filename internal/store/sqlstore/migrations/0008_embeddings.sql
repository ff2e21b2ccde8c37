-- The embeddings of inputs: one vector per input and model version, as
-- 4-byte little-endian floats. They go with their input (and so with their
-- app's space when it is purged).
CREATE TABLE input_embeddings (
    space_id         TEXT NOT NULL,
    input_id         TEXT NOT NULL,
    model_version_id TEXT NOT NULL,
    vector           BYTEA NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (space_id, model_version_id, input_id),
    FOREIGN KEY (space_id, input_id) REFERENCES inputs(space_id, id) ON DELETE CASCADE
);
CREATE INDEX input_embeddings_input ON input_embeddings(space_id, input_id);
CREATE INDEX jobs_kind_input ON jobs(space_id, input_id, kind);
