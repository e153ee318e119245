-- faxgate store, migration 1: messages, their documents, jobs and attempts.
-- Applied inside one transaction at start-up; PRAGMA user_version records
-- the last migration applied.

-- One stored email. raw is the message as the milter saw it (for RET=FULL).
CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    dedup_key    TEXT NOT NULL,            -- 'mid:<Message-ID>' or 'sha256:<hex of body>'
    message_id   TEXT,                     -- without <>, NULL if the mail had none
    queue_id     TEXT,                     -- the MTA's queue id
    sender       TEXT NOT NULL,            -- envelope MAIL FROM, '' for <>
    envid        TEXT,                     -- ENVID, xtext-decoded
    ret          TEXT CHECK (ret IN ('FULL', 'HDRS')),
    client_addr  TEXT,
    auth_user    TEXT,
    subject      TEXT,                     -- decoded to UTF-8
    received_at  INTEGER NOT NULL,         -- unix time
    size         INTEGER NOT NULL,
    raw          BLOB NOT NULL
);
CREATE INDEX messages_sender ON messages (sender, received_at);

-- The faxable parts of a message, decoded, in order.
CREATE TABLE documents (
    id           INTEGER PRIMARY KEY,
    message      INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('tiff', 'pdf', 'ps', 'text')),
    content_type TEXT NOT NULL,
    filename     TEXT,
    pages        INTEGER,                  -- known for TIFF at intake
    data         BLOB NOT NULL,
    UNIQUE (message, seq)
);

-- One fax recipient of a message.
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    message         INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    dedup_key       TEXT NOT NULL,
    recipient       TEXT NOT NULL,         -- RCPT TO as given (without <>)
    number          TEXT NOT NULL,         -- canonical +E.164
    subaddress      TEXT NOT NULL DEFAULT '',
    qualifiers      TEXT NOT NULL DEFAULT '',
    dial            TEXT NOT NULL,         -- what the trunk dials, after rewriting
    domain          TEXT NOT NULL,
    notify          TEXT,                  -- NOTIFY as given, NULL if absent
    orcpt           TEXT,                  -- ORCPT, xtext-decoded, 'type;addr'
    state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN
                      ('queued', 'rendering', 'ready', 'sending', 'retry_wait',
                       'done', 'failed', 'held', 'cancelled')),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    pages_total     INTEGER,
    pages_confirmed INTEGER NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     INTEGER,
    status          TEXT,                  -- last RFC 3463 status, e.g. 4.4.1
    diagnostic      TEXT,                  -- last Diagnostic-Code
    -- Dedup (RFC 4161 2.1): one job per message, number and subaddress.
    UNIQUE (dedup_key, number, subaddress)
);
CREATE INDEX jobs_due ON jobs (state, next_attempt_at);
CREATE INDEX jobs_message ON jobs (message);

-- One call. The RFC 4161 2.6 log fields.
CREATE TABLE attempts (
    id            INTEGER PRIMARY KEY,
    job           INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt       INTEGER NOT NULL,        -- 1, 2, ...
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    channel       TEXT,                    -- driver and line, e.g. sim/0
    call_id       TEXT,                    -- SIP Call-ID when there is one
    first_page    INTEGER NOT NULL DEFAULT 1,
    pages_sent    INTEGER NOT NULL DEFAULT 0,
    bytes         INTEGER NOT NULL DEFAULT 0,
    resolution    TEXT,                    -- e.g. 204x196
    bit_rate      INTEGER,
    ecm           INTEGER,
    outcome       TEXT CHECK (outcome IN ('ok', 'retry', 'final')),
    status        TEXT,
    error_code    TEXT,                    -- e.g. T30_ERR_GOTDCN, Q850:17
    error_text    TEXT,
    notice_at     INTEGER,                 -- when the notice for it was sent
    UNIQUE (job, attempt)
);

-- Operator views: plain SQL over the tables above (documented in README).
CREATE VIEW job_overview AS
SELECT j.id AS job, j.state, m.sender, j.recipient, j.number, j.subaddress,
       j.dial, j.attempts, j.pages_confirmed, j.pages_total, j.status,
       j.diagnostic, datetime(j.created_at, 'unixepoch') AS created,
       datetime(j.next_attempt_at, 'unixepoch') AS next_attempt,
       m.message_id, m.queue_id, m.subject
  FROM jobs j JOIN messages m ON m.id = j.message;

CREATE VIEW attempt_log AS
SELECT a.job, a.attempt, m.sender, j.recipient, j.number,
       datetime(a.started_at, 'unixepoch') AS started,
       datetime(a.ended_at, 'unixepoch') AS ended,
       a.first_page, a.pages_sent, a.bytes, a.resolution, a.bit_rate, a.ecm,
       a.outcome, a.status, a.error_code, a.error_text, a.channel, a.call_id,
       datetime(a.notice_at, 'unixepoch') AS notice_sent
  FROM attempts a JOIN jobs j ON j.id = a.job JOIN messages m ON m.id = j.message;
