-- The requests-per-minute limit of a key; 0 means none.
ALTER TABLE keys ADD COLUMN rate_limit BIGINT NOT NULL DEFAULT 0;
