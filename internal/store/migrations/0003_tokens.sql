-- Named API tokens and their roles (admin, operator, approver, read-only).
-- Only the SHA-256 of a secret is kept; the secret is shown once when the
-- token is added. A revoked token's row is deleted (history records it).
CREATE TABLE tokens (
  name        TEXT PRIMARY KEY,
  role        TEXT NOT NULL,
  secret_hash BLOB NOT NULL UNIQUE,        -- SHA-256 of the secret
  created_at  INTEGER NOT NULL,            -- unix seconds
  created_by  TEXT NOT NULL                -- the token name that added it ("road" for admin.token's)
);
