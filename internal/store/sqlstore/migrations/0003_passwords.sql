-- Portal passwords, one per user, apart from users so that the hash is read
-- only where passwords are checked. hash is the encoded argon2id hash with
-- its parameters; must_change is set when an admin chose the password.
CREATE TABLE passwords (
    user_id     TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    must_change BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at  BIGINT NOT NULL
);
