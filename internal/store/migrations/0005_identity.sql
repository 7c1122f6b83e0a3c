-- The BPKI identities of this road instance (RFC 8183 §5.1, RFC 6492 §3.1):
-- a self-signed certificate and its key per role. state 'active' is the one
-- in use; an identity roll adds a 'next' row that replaces it once the
-- parent and repository know the new certificate.
CREATE TABLE identities (
  handle     TEXT NOT NULL,
  state      TEXT NOT NULL CHECK (state IN ('active', 'next')),
  key_der    BLOB NOT NULL,               -- PKCS#8; never logged
  cert_der   BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (state)
);
