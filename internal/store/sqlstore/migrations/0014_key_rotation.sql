-- Rotation: a rotated-out key names its replacement and when it was
-- rotated; its expires_at is the end of its grace period. It is refused
-- after that as rotated out, and audited.
ALTER TABLE keys ADD COLUMN replaced_by TEXT NOT NULL DEFAULT '';
ALTER TABLE keys ADD COLUMN rotated_at BIGINT;
