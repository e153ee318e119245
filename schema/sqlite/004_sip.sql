-- faxgate store, migration 4: the SIP channel.

-- Whether a destination takes T.38. A destination that refused the T.38
-- re-INVITE (488, or no answer to it) is called with G.711 at once the
-- next time, instead of losing the first seconds of every call to it.
-- A row may now exist for T.38 alone; its ecm and modems keep their defaults.
ALTER TABLE destinations ADD COLUMN t38 INTEGER CHECK (t38 IN (0, 1));   -- NULL: not known yet
ALTER TABLE destinations ADD COLUMN t38_updated_at INTEGER;

-- One fax received from the phone side. Written once, when the call has
-- ended; state is for the onramp that mails it on.
CREATE TABLE inbound (
    id            INTEGER PRIMARY KEY,
    received_at   INTEGER NOT NULL,        -- call start, unix time
    ended_at      INTEGER,
    channel       TEXT,                    -- driver and line, e.g. sip/3
    call_id       TEXT,                    -- SIP Call-ID
    did           TEXT NOT NULL,           -- the number dialled, as received; '' if none
    caller        TEXT,                    -- calling number, may be ''
    remote_ident  TEXT,                    -- the far end's TSI
    transport     TEXT CHECK (transport IN ('t38', 't38-dtls', 'g711', 'sim')),
    pages         INTEGER NOT NULL DEFAULT 0 CHECK (pages >= 0),
    bytes         INTEGER NOT NULL DEFAULT 0 CHECK (bytes >= 0),
    resolution    TEXT,                    -- e.g. 204x196
    bit_rate      INTEGER,
    ecm           INTEGER CHECK (ecm IN (0, 1)),
    -- partial: some pages arrived, then the call failed
    outcome       TEXT CHECK (outcome IN ('ok', 'partial', 'failed')),
    status        TEXT,                    -- RFC 3463, e.g. 2.0.0, 4.4.2
    error_code    TEXT,                    -- e.g. T30_ERR_RX_NOCARRIER
    error_text    TEXT,
    dtmf          TEXT,                    -- digits collected during the call
    state         TEXT NOT NULL DEFAULT 'new' CHECK (state IN
                    ('new', 'mailing', 'mailed', 'failed', 'held')),
    tiff          BLOB                     -- the pages, multi-page TIFF; NULL if none arrived
);
CREATE INDEX inbound_state ON inbound (state, received_at);
CREATE INDEX inbound_did ON inbound (did);

-- Operator view (documented in README): everything but the pages themselves.
CREATE VIEW inbound_overview AS
SELECT id, datetime(received_at, 'unixepoch') AS received,
       datetime(ended_at, 'unixepoch') AS ended, did, caller, remote_ident,
       pages, outcome, status, state, transport, bytes, resolution, bit_rate,
       ecm, error_code, error_text, dtmf, channel, call_id,
       length(tiff) AS tiff_size
  FROM inbound;
