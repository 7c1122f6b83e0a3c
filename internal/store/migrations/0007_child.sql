-- road as a delegated CA (issue 11, child side): the parents whose
-- <parent_response> was imported (RFC 8183 §5.2.2), the repositories whose
-- <repository_response> was imported (§5.2.4), and the certificates the
-- parents issued to road's CA (RFC 6492 §3.4.2), one per resource class.
CREATE TABLE parents (
  name              TEXT PRIMARY KEY,        -- the operator's name for the parent
  response_xml      BLOB NOT NULL,           -- the <parent_response> as imported
  service_uri       TEXT NOT NULL,           -- RFC 6492 endpoint
  child_handle      TEXT NOT NULL,           -- sender of our messages
  parent_handle     TEXT NOT NULL,           -- recipient of our messages
  bpki_der          BLOB NOT NULL,           -- the parent's BPKI TA (verifies its responses)
  last_signing_time INTEGER NOT NULL DEFAULT 0, -- latest accepted CMS signing-time (replay bound)
  last_contact      INTEGER NOT NULL DEFAULT 0, -- unix seconds of the last good exchange
  last_error        TEXT NOT NULL DEFAULT '',
  added_at          INTEGER NOT NULL
);

CREATE TABLE repositories (
  name              TEXT PRIMARY KEY,
  response_xml      BLOB NOT NULL,           -- the <repository_response> as imported
  service_uri       TEXT NOT NULL,           -- RFC 8181 endpoint
  publisher_handle  TEXT NOT NULL,
  sia_base          TEXT NOT NULL,           -- rsync URI of road's space
  rrdp_notify       TEXT NOT NULL DEFAULT '',
  bpki_der          BLOB NOT NULL,
  last_signing_time INTEGER NOT NULL DEFAULT 0,
  last_contact      INTEGER NOT NULL DEFAULT 0,
  last_error        TEXT NOT NULL DEFAULT '',
  added_at          INTEGER NOT NULL
);

-- One row per resource class of each parent, as the last list_response or
-- issue_response gave it; cert_der is the certificate issued to road's CA
-- key in that class ('' before one was issued).
CREATE TABLE parent_classes (
  parent      TEXT NOT NULL REFERENCES parents(name) ON DELETE CASCADE,
  class       TEXT NOT NULL,
  resources   TEXT NOT NULL,                 -- "AS64500, 192.0.2.0/25" as the parent listed them
  not_after   INTEGER NOT NULL,              -- resource_set_notafter
  cert_der    BLOB,
  cert_uri    TEXT NOT NULL DEFAULT '',
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (parent, class)
);
