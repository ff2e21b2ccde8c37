-- The client address of a key's last recorded use, written with
-- last_used_at; '' for a key never used, or used before this migration.
ALTER TABLE keys ADD COLUMN last_used_addr TEXT NOT NULL DEFAULT '';
CREATE INDEX keys_user_last_used ON keys(user_id, last_used_at);
