-- ROA changes (issue 12): every applied change has an id, and a change the
-- approval policy holds waits here, pending, for a second token. detail is
-- JSON: the request, its findings, its impact and why it needs approval.
CREATE TABLE changes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  state       TEXT NOT NULL,               -- pending, applied, rejected, expired, reverted
  proposer    TEXT NOT NULL,               -- the proposing token's name
  proposed_by TEXT NOT NULL,               -- the actor as history writes it (token and remark)
  approver    TEXT NOT NULL DEFAULT '',    -- the actor that approved, rejected or '' (no approval needed)
  created_at  INTEGER NOT NULL,            -- unix milliseconds
  expires_at  INTEGER NOT NULL DEFAULT 0,  -- unix milliseconds; 0 unless pending
  decided_at  INTEGER NOT NULL DEFAULT 0,  -- unix milliseconds of approve, reject, expiry or apply
  reverted_by INTEGER NOT NULL DEFAULT 0,  -- the change that reverted this one
  serial      INTEGER NOT NULL DEFAULT 0,  -- the RRDP serial that published it
  history_id  INTEGER NOT NULL DEFAULT 0,  -- its history record once applied
  detail      TEXT NOT NULL DEFAULT '{}'   -- JSON
);
CREATE INDEX changes_state ON changes(state, id);

-- The timeline of a change: one row per stage reached (proposed, approved,
-- rejected, expired, signed, published, validated, rtr), detail is JSON
-- (serials, connected routers).
CREATE TABLE change_events (
  change_id INTEGER NOT NULL REFERENCES changes(id),
  stage     TEXT NOT NULL,
  at        INTEGER NOT NULL,              -- unix milliseconds
  actor     TEXT NOT NULL DEFAULT '',
  detail    TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (change_id, stage)
);

-- A flagged token's every change needs a second approver.
ALTER TABLE tokens ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
