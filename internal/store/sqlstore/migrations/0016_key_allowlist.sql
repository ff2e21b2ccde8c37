-- The client address allowlist of a key: space-separated CIDRs; '' means
-- any address.
ALTER TABLE keys ADD COLUMN allow_cidrs TEXT NOT NULL DEFAULT '';
