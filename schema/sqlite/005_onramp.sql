-- faxgate store, migration 5: the onramp (received faxes become mail).

-- The numbers faxes are received on (DIDs) and where their faxes go.
-- did '*' stands for every DID without a row of its own (a trunk that
-- gives no DID, or one catch-all number).
CREATE TABLE did_map (
    did        TEXT PRIMARY KEY,          -- as the trunk gives it, e.g. +12025550100
    addresses  TEXT NOT NULL,             -- space-separated mail addresses
    policy     TEXT NOT NULL DEFAULT 'open' CHECK (policy IN
                 ('open', 'callerid', 'credentials', 'callerid+credentials')),
    dtmf       INTEGER NOT NULL DEFAULT 0 CHECK (dtmf IN (0, 1))  -- 1: DTMF addressing
);

-- Indirect addressing (gateway protocol draft 4.2): *<index># on the keypad.
CREATE TABLE dtmf_index (
    idx      TEXT PRIMARY KEY,            -- digits
    targets  TEXT NOT NULL                -- space-separated addresses and +E.164 numbers
);

-- Which offramp takes a direct fax number (draft 4.3): the longest prefix
-- wins; prefix '' is the default.
CREATE TABLE routes (
    prefix  TEXT PRIMARY KEY,             -- digits, '' = default
    domain  TEXT NOT NULL                 -- the offramp's fax domain
);

-- Callers allowed by caller ID or by station ID (TSI), RFC 4161 3.1.1 and
-- 3.1.2: '*' any run of characters, '?' one; per DID, or '*' for all.
CREATE TABLE callers (
    pattern  TEXT NOT NULL,
    did      TEXT NOT NULL DEFAULT '*',
    kind     TEXT NOT NULL CHECK (kind IN ('callerid', 'tsi')),
    PRIMARY KEY (pattern, did, kind)
);

-- DTMF credentials (RFC 4161 3.1.3): the password only as a salted
-- PBKDF2-HMAC-SHA256 hash.
CREATE TABLE users (
    name        TEXT PRIMARY KEY,         -- digits
    salt        BLOB NOT NULL,
    hash        BLOB NOT NULL,
    iterations  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Failed credential checks, for the rate limit; old rows are pruned.
CREATE TABLE auth_failures (
    caller  TEXT NOT NULL,                -- caller ID, '' if none
    at      INTEGER NOT NULL
);
CREATE INDEX auth_failures_caller ON auth_failures (caller, at);

-- What the onramp decided for a received fax, and its mail.
ALTER TABLE inbound ADD COLUMN targets TEXT;          -- space-separated recipients
ALTER TABLE inbound ADD COLUMN decision TEXT;         -- 'allow CODE: why' or 'refuse CODE: why'
ALTER TABLE inbound ADD COLUMN mailed_at INTEGER;
ALTER TABLE inbound ADD COLUMN mail_tries INTEGER NOT NULL DEFAULT 0;  -- failed injections
ALTER TABLE inbound ADD COLUMN mail_next_at INTEGER NOT NULL DEFAULT 0; -- due; in 'mailing': lease end
ALTER TABLE inbound ADD COLUMN mail_error TEXT;

-- The operators' view, with the onramp's columns at the end.
DROP VIEW inbound_overview;
CREATE VIEW inbound_overview AS
SELECT id, datetime(received_at, 'unixepoch') AS received,
       datetime(ended_at, 'unixepoch') AS ended, did, caller, remote_ident,
       pages, outcome, status, state, transport, bytes, resolution, bit_rate,
       ecm, error_code, error_text, dtmf, channel, call_id,
       length(tiff) AS tiff_size, targets, decision,
       datetime(mailed_at, 'unixepoch') AS mailed, mail_tries, mail_error
  FROM inbound;
