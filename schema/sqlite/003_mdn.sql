-- faxgate store, migration 3: message disposition notifications.
-- A message that asked for an MDN (Disposition-Notification-To) gets a
-- processed/error MDN for each job that fails, when that address is the
-- envelope sender (RFC 8098 2.1), independently of its DSN.
ALTER TABLE messages ADD COLUMN mdn_to TEXT;
ALTER TABLE jobs ADD COLUMN mdn_due INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_mdn ON jobs (mdn_due, notice_next_at);
