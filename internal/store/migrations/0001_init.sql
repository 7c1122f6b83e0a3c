-- ROAd schema v1. Every change to published state happens in one transaction
-- with its history record, so the database is the single truth that the
-- publication is rebuilt from after a crash.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- One row per CA instance ("ta" = testbed trust anchor, "ca" = the resource
-- holder's CA). The private key never leaves the database and is never logged.
CREATE TABLE cas (
  name             TEXT PRIMARY KEY,
  key_der          BLOB NOT NULL,           -- PKCS#8
  cert_der         BLOB NOT NULL,
  cert_uri         TEXT NOT NULL,           -- where the CA certificate is published
  repo_uri         TEXT NOT NULL,           -- SIA caRepository (publication point)
  next_serial      INTEGER NOT NULL,        -- RFC 6487 §4.2: unique per CA
  manifest_number  INTEGER NOT NULL,        -- RFC 9286 §4.2.1: monotonic
  crl_number       INTEGER NOT NULL,
  last_this_update INTEGER NOT NULL,        -- unix seconds of the last manifest thisUpdate
  mft_next_update  INTEGER NOT NULL,        -- unix seconds
  updated_at       INTEGER NOT NULL
);

-- The configured ROAs (the holder's intent to authorize).
CREATE TABLE roas (
  id          INTEGER PRIMARY KEY,
  prefix      TEXT NOT NULL,
  max_length  INTEGER NOT NULL,
  asn         INTEGER NOT NULL,
  comment     TEXT NOT NULL DEFAULT '',
  exception   TEXT NOT NULL DEFAULT '',   -- recorded reason for a deliberate loose maxLength
  created_at  INTEGER NOT NULL,
  UNIQUE (prefix, max_length, asn)
);

-- Every object currently published, with the metadata expiry tracking needs.
CREATE TABLE objects (
  uri          TEXT PRIMARY KEY,
  ca           TEXT NOT NULL REFERENCES cas(name),
  kind         TEXT NOT NULL,               -- cer, crl, mft, roa
  der          BLOB NOT NULL,
  ee_serial    TEXT NOT NULL DEFAULT '',    -- decimal serial of the EE (or child CA) certificate
  not_after    INTEGER NOT NULL,            -- unix seconds: EE notAfter, or nextUpdate for mft/crl
  signing_time INTEGER NOT NULL,            -- unix seconds, the rsync file mtime (RFC 9589 §2)
  roa_id       INTEGER REFERENCES roas(id) ON DELETE SET NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX objects_ca ON objects(ca);

-- Revoked certificates, kept on the CRL until they expire (RFC 6487 §5).
CREATE TABLE revoked (
  ca          TEXT NOT NULL REFERENCES cas(name),
  serial      TEXT NOT NULL,
  revoked_at  INTEGER NOT NULL,
  not_after   INTEGER NOT NULL,
  PRIMARY KEY (ca, serial)
);

-- Intended announcements (the holder's own routing plan).
CREATE TABLE intents (
  id         INTEGER PRIMARY KEY,
  prefix     TEXT NOT NULL,
  origin     INTEGER NOT NULL,
  note       TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  UNIQUE (prefix, origin)
);

-- Append-only log of every change: who, when, what, findings, overrides.
CREATE TABLE history (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      INTEGER NOT NULL,
  actor   TEXT NOT NULL,
  action  TEXT NOT NULL,
  summary TEXT NOT NULL,
  detail  TEXT NOT NULL DEFAULT '{}'        -- JSON
);
CREATE TRIGGER history_no_update BEFORE UPDATE ON history
  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_no_delete BEFORE DELETE ON history
  BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
