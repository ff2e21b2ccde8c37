-- Request counts of rate limits shared by the replicas: one row per subject
-- (such as a key) and fixed window (its start, Unix microseconds). UNLOGGED:
-- counts are worth nothing after a crash, and skipping the WAL keeps the
-- per-request UPSERT cheap.
CREATE UNLOGGED TABLE rate_counters (
  subject TEXT NOT NULL,
  window_start BIGINT NOT NULL,
  n BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (subject, window_start)
);
CREATE INDEX rate_counters_expires ON rate_counters (expires_at);
