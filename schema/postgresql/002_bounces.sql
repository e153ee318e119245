-- faxgate store, PostgreSQL, migration 2: SQLite's migration 6 (delivery
-- reports about the mail a received fax became).
CREATE TABLE inbound_bounces (
    inbound        bigint NOT NULL REFERENCES inbound (id) ON DELETE CASCADE,
    recipient      text NOT NULL,
    action         text NOT NULL,
    status         text NOT NULL,
    diagnostic     text,
    reporting_mta  text,
    reported_at    bigint NOT NULL
);
CREATE INDEX inbound_bounces_inbound ON inbound_bounces (inbound);

DROP VIEW inbound_overview;
CREATE VIEW inbound_overview AS
SELECT id, to_timestamp(received_at) AS received,
       to_timestamp(ended_at) AS ended, did, caller, remote_ident,
       pages, outcome, status, state, transport, bytes, resolution, bit_rate,
       ecm, error_code, error_text, dtmf, channel, call_id,
       octet_length(tiff) AS tiff_size, targets, decision,
       to_timestamp(mailed_at) AS mailed, mail_tries, mail_error,
       (SELECT string_agg(recipient || ' ' || status, ', ') FROM inbound_bounces b
         WHERE b.inbound = inbound.id AND b.action = 'failed') AS bounced
  FROM inbound;
