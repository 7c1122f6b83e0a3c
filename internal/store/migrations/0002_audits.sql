-- Audit results (expiry, consistency, bgp), newest read first. Rows are only
-- appended; the list read back is bounded.
CREATE TABLE audits (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  kind        TEXT NOT NULL,
  started_at  INTEGER NOT NULL,            -- unix milliseconds
  finished_at INTEGER NOT NULL,            -- unix milliseconds
  ok          INTEGER NOT NULL,            -- 1 when there were no findings
  summary     TEXT NOT NULL,
  detail      TEXT NOT NULL DEFAULT '{}'   -- JSON
);
CREATE INDEX audits_kind ON audits(kind, id);
