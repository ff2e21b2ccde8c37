-- Blob content, in the database so that every replica serves it. A blob's
-- content goes with its reference (blobs), so none outlives it. Images do
-- not compress: the content is stored out of line uncompressed.
CREATE TABLE blob_data (
    space_id TEXT NOT NULL,
    sha256   TEXT NOT NULL,
    data     BYTEA NOT NULL,
    PRIMARY KEY (space_id, sha256),
    FOREIGN KEY (space_id, sha256) REFERENCES blobs(space_id, sha256) ON DELETE CASCADE
);
ALTER TABLE blob_data ALTER COLUMN data SET STORAGE EXTERNAL;
