-- Inputs, their blobs' references, annotations, concepts and add jobs.
--
-- An app's data lives in a storage space. Deleting the app (or its owner)
-- sets the space's app columns to NULL: its data is unreachable at once and
-- purged in batches in the background, and an app created again with the
-- same id gets a new space. inputs and bytes count what the space stores.
CREATE TABLE app_spaces (
    id           TEXT PRIMARY KEY,
    app_owner_id TEXT,
    app_id       TEXT,
    inputs       BIGINT NOT NULL DEFAULT 0,
    bytes        BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    UNIQUE (app_owner_id, app_id),
    FOREIGN KEY (app_owner_id, app_id) REFERENCES apps(owner_id, id) ON DELETE SET NULL
);
CREATE INDEX app_spaces_deleted ON app_spaces(created_at) WHERE app_id IS NULL;

-- A blob a space stores (its content is in the blob store), referenced by
-- the space's inputs, or reserved by a writer until reserved_until.
CREATE TABLE blobs (
    space_id       TEXT NOT NULL REFERENCES app_spaces(id) ON DELETE CASCADE,
    sha256         TEXT NOT NULL,
    size           BIGINT NOT NULL,
    reserved_until BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (space_id, sha256)
);
CREATE INDEX blobs_reserved ON blobs(reserved_until) WHERE reserved_until > 0;

CREATE TABLE input_add_jobs (
    space_id   TEXT NOT NULL REFERENCES app_spaces(id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    refused    BIGINT NOT NULL DEFAULT 0,
    cancelled  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (space_id, id)
);
CREATE INDEX input_add_jobs_created ON input_add_jobs(space_id, created_at);

-- metadata is a JSON object; blob_sha256 is NULL until the image is stored.
CREATE TABLE inputs (
    space_id       TEXT NOT NULL REFERENCES app_spaces(id) ON DELETE CASCADE,
    id             TEXT NOT NULL,
    status         BIGINT NOT NULL,
    status_details TEXT NOT NULL DEFAULT '',
    url            TEXT NOT NULL DEFAULT '',
    blob_sha256    TEXT,
    size           BIGINT NOT NULL DEFAULT 0,
    width          BIGINT NOT NULL DEFAULT 0,
    height         BIGINT NOT NULL DEFAULT 0,
    format         TEXT NOT NULL DEFAULT '',
    metadata       TEXT NOT NULL DEFAULT '{}',
    add_job_id     TEXT NOT NULL DEFAULT '',
    user_id        TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (space_id, id),
    FOREIGN KEY (space_id, blob_sha256) REFERENCES blobs(space_id, sha256)
);
CREATE INDEX inputs_created ON inputs(space_id, created_at, id);
CREATE INDEX inputs_status ON inputs(space_id, status);
CREATE INDEX inputs_add_job ON inputs(space_id, add_job_id);
CREATE INDEX inputs_blob ON inputs(space_id, blob_sha256);
CREATE INDEX inputs_url ON inputs(space_id, url);

-- An annotation of an input by a user (user_id) or a model (model_*).
-- data holds its concepts and regions as JSON; annotation_concepts repeats
-- every concept of it, with its region, for filtering by concept.
CREATE TABLE annotations (
    space_id         TEXT NOT NULL,
    id               TEXT NOT NULL,
    input_id         TEXT NOT NULL,
    user_id          TEXT NOT NULL DEFAULT '',
    model_owner_id   TEXT NOT NULL DEFAULT '',
    model_app_id     TEXT NOT NULL DEFAULT '',
    model_id         TEXT NOT NULL DEFAULT '',
    model_version_id TEXT NOT NULL DEFAULT '',
    input_level      BOOLEAN NOT NULL,
    data             TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (space_id, id),
    FOREIGN KEY (space_id, input_id) REFERENCES inputs(space_id, id) ON DELETE CASCADE
);
CREATE INDEX annotations_input ON annotations(space_id, input_id, created_at);
CREATE UNIQUE INDEX annotations_user_input_level ON annotations(space_id, input_id, user_id)
    WHERE input_level AND model_id = '';

CREATE TABLE annotation_concepts (
    space_id      TEXT NOT NULL,
    annotation_id TEXT NOT NULL,
    input_id      TEXT NOT NULL,
    region_id     TEXT NOT NULL,
    concept_id    TEXT NOT NULL,
    value         DOUBLE PRECISION NOT NULL,
    by_model      BOOLEAN NOT NULL,
    PRIMARY KEY (space_id, annotation_id, region_id, concept_id),
    FOREIGN KEY (space_id, annotation_id) REFERENCES annotations(space_id, id) ON DELETE CASCADE
);
CREATE INDEX annotation_concepts_concept ON annotation_concepts(space_id, concept_id, value);

CREATE TABLE concepts (
    space_id   TEXT NOT NULL REFERENCES app_spaces(id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (space_id, id)
);
