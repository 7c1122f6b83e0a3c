-- road as an RFC 6492 parent and an RFC 8181 publication server (issue 11).

-- The CAs road's CA issues certificates to: the BPKI identity certificate
-- of each (RFC 8183 §5.2.1) verifies its up-down messages; the entitlement
-- is what the operator gave it; last_signing_time is the RFC 6492 §3.1.2 (5)
-- replay bound (unix seconds of the last accepted message, 0 = none yet).
CREATE TABLE children (
  name              TEXT PRIMARY KEY,
  id_cert           BLOB NOT NULL,
  resources         TEXT NOT NULL,          -- "192.0.2.0/25, 2001:db8:1::/48, AS64500"
  last_signing_time INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL
);

-- The current certificates issued to each child, one per key (the object,
-- kind "cer" of CA "ca", is in objects at uri).
CREATE TABLE child_certs (
  uri        TEXT PRIMARY KEY,
  child      TEXT NOT NULL REFERENCES children(name) ON DELETE CASCADE,
  class      TEXT NOT NULL,
  ski        TEXT NOT NULL,                 -- hex SHA-1 key identifier of the child's key
  issued_at  INTEGER NOT NULL
);
CREATE INDEX child_certs_child ON child_certs(child);

-- The publishers road's repository serves (RFC 8181): sia_base is their
-- space, last_signing_time their replay bound.
CREATE TABLE publishers (
  name              TEXT PRIMARY KEY,
  id_cert           BLOB NOT NULL,
  sia_base          TEXT NOT NULL,
  last_signing_time INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL
);

-- The objects publishers published; road's RRDP and rsync serve them
-- beside its own. hash is the lower-case hex SHA-256 of der (RFC 8181 §2.2).
CREATE TABLE published (
  uri        TEXT PRIMARY KEY,
  publisher  TEXT NOT NULL REFERENCES publishers(name) ON DELETE CASCADE,
  der        BLOB NOT NULL,
  hash       TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX published_publisher ON published(publisher);
