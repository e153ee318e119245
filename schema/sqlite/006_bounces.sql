-- faxgate store, migration 6: what the mail side said about the mail a
-- received fax became. A delivery report (RFC 3464) that comes back to
-- [onramp] envelope_from is fed to "faxgatectl inbound bounce", which
-- keeps one row per recipient the report names.
CREATE TABLE inbound_bounces (
    inbound        INTEGER NOT NULL REFERENCES inbound (id) ON DELETE CASCADE,
    recipient      TEXT NOT NULL,         -- Final-Recipient, the address part
    action         TEXT NOT NULL,         -- failed, delayed, delivered, relayed, expanded
    status         TEXT NOT NULL,         -- e.g. 5.1.1
    diagnostic     TEXT,                  -- Diagnostic-Code, as reported
    reporting_mta  TEXT,
    reported_at    INTEGER NOT NULL
);
CREATE INDEX inbound_bounces_inbound ON inbound_bounces (inbound);

-- The operators' view: the failed recipients of each fax at the end.
DROP VIEW inbound_overview;
CREATE VIEW inbound_overview AS
SELECT id, datetime(received_at, 'unixepoch') AS received,
       datetime(ended_at, 'unixepoch') AS ended, did, caller, remote_ident,
       pages, outcome, status, state, transport, bytes, resolution, bit_rate,
       ecm, error_code, error_text, dtmf, channel, call_id,
       length(tiff) AS tiff_size, targets, decision,
       datetime(mailed_at, 'unixepoch') AS mailed, mail_tries, mail_error,
       (SELECT group_concat(recipient || ' ' || status, ', ') FROM inbound_bounces b
         WHERE b.inbound = inbound.id AND b.action = 'failed') AS bounced
  FROM inbound;
