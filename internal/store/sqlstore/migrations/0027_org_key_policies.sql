-- An organization's expiry policy for its members' PATs and its apps' keys:
-- lifetimes in microseconds (0: no bound), stop_at in Unix microseconds
-- (NULL: keys breaking it keep working).
CREATE TABLE org_key_policies (
  org_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  pat_max_lifetime BIGINT NOT NULL DEFAULT 0,
  pat_expiry_required BOOLEAN NOT NULL DEFAULT FALSE,
  app_max_lifetime BIGINT NOT NULL DEFAULT 0,
  app_expiry_required BOOLEAN NOT NULL DEFAULT FALSE,
  stop_at BIGINT,
  updated_at BIGINT NOT NULL
);
