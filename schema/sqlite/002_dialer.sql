-- faxgate store, migration 2: what the dialer needs.

-- A message's documents rendered once to fax form, shared by its jobs and
-- by every dialer host (a retry on another host resumes on the same pages).
CREATE TABLE renders (
    message     INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    pages       INTEGER NOT NULL,
    resolution  TEXT NOT NULL,             -- e.g. 204x196
    data        BLOB NOT NULL,             -- multi-page TIFF, 1728 wide
    created_at  INTEGER NOT NULL
);

-- What a destination has shown it can do; later attempts start from here.
CREATE TABLE destinations (
    number      TEXT PRIMARY KEY,
    ecm         INTEGER NOT NULL DEFAULT 1,
    modems      TEXT NOT NULL DEFAULT 'v17',   -- fastest modem family to offer: v17, v29, v27ter
    updated_at  INTEGER NOT NULL
);

-- Notices: a job owes one when it reaches a state its NOTIFY asks to hear
-- about. notice_due is the action owed ('failed', 'delivered', 'delayed');
-- cleared when the notice was handed to the MTA.
ALTER TABLE jobs ADD COLUMN notice_due TEXT;
ALTER TABLE jobs ADD COLUMN notice_tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN notice_next_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN notice_sent_at INTEGER;
ALTER TABLE jobs ADD COLUMN delay_notified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN first_attempt_at INTEGER;
ALTER TABLE jobs ADD COLUMN last_attempt_at INTEGER;
CREATE INDEX jobs_notice ON jobs (notice_due, notice_next_at);

-- Every notice handed to the MTA, for operators (faxgatectl show).
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    message     INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('dsn', 'mdn')),
    action      TEXT NOT NULL,
    jobs        TEXT NOT NULL,            -- the job ids it reports on
    sent_at     INTEGER NOT NULL,
    message_id  TEXT
);

DROP VIEW job_overview;
CREATE VIEW job_overview AS
SELECT j.id AS job, j.state, m.sender, j.recipient, j.number, j.subaddress,
       j.dial, j.attempts, j.pages_confirmed, j.pages_total, j.status,
       j.diagnostic, datetime(j.created_at, 'unixepoch') AS created,
       datetime(j.next_attempt_at, 'unixepoch') AS next_attempt,
       j.notice_due, datetime(j.notice_sent_at, 'unixepoch') AS notice_sent,
       m.message_id, m.queue_id, m.subject
  FROM jobs j JOIN messages m ON m.id = j.message;
