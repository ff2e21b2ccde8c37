-- The embeddings of inputs, for visual search: one vector per input and
-- model version, as 4-byte little-endian floats. They go with their input
-- (and so with their app's space when it is purged). Also the indexes that
-- searches and the embeddings' backfill use.
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
-- The backfill looks for an input's job of a kind.
CREATE INDEX jobs_kind_input ON jobs(space_id, input_id, kind);
-- Searches test an input's concepts by input and concept.
CREATE INDEX annotation_concepts_input ON annotation_concepts(space_id, input_id, concept_id);
