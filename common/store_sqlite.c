/*
 * store_sqlite.c - the embedded SQLite backend of the store; see store.h.
 *
 * WAL mode with synchronous=FULL: a commit returns only after the WAL is
 * fsynced, which is what lets the milter say 250 and mean it. Writers take
 * the lock up front (BEGIN IMMEDIATE) so a busy store shows up as a wait
 * (busy_timeout) and then an error, never as a half-done transaction.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_sqlite_int.h"

extern const char *const store_sqlite_migrations[];

#define BUSY_TIMEOUT_MS 5000

/*
 * sqs_err - copy SQLite's error text for the current failure, returns -1.
 * errno becomes ENOSPC when the store has no room left (store.h): SQLite
 * says SQLITE_FULL for a full database file, but a WAL index (-shm) that
 * cannot grow is an I/O error whose system errno is ENOSPC.
 */
int sqs_err(sqlite_store_t *s, const char *what, char *err, size_t errlen)
{
	int sys = sqlite3_system_errno(s->db);
	int full = sqlite3_errcode(s->db) == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT;

	snprintf(err, errlen, "store %s: %s: %s%s", s->path, what, sqlite3_errmsg(s->db),
	    full && sqlite3_errcode(s->db) != SQLITE_FULL ? " (no space left)" : "");
	errno = full ? ENOSPC : EIO;
	return -1;
}

/* sqs_exec - run SQL without results, returns 0 or -1 */
int sqs_exec(sqlite_store_t *s, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sqs_err(s, sql, err, errlen);
	return 0;
}

/* sqs_copy - copy a text column into a bounded buffer ("" for NULL) */
void sqs_copy(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	snprintf(dst, len, "%s", v ? (const char *)v : "");
}

/* sqs_dup - a malloc'ed copy of a text column, NULL for NULL */
char *sqs_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);
	return v ? strdup((const char *)v) : NULL;
}

/* user_version - the last migration applied, or -1 */
static int user_version(sqlite_store_t *s)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* migrate - apply the migrations not applied yet, in one transaction */
static int migrate(sqlite_store_t *s, char *err, size_t errlen)
{
	int have, want = 0;
	char sql[64];

	while (store_sqlite_migrations[want])
		want++;
	have = user_version(s);
	if (have == want)
		return 0;
	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	/* Another process may have migrated while we waited for the lock. */
	have = user_version(s);
	if (have < 0 || have > want) {
		sqs_exec(s, "ROLLBACK", err, errlen);
		snprintf(err, errlen, "store %s: schema version %d is newer than this program's %d",
		    s->path, have, want);
		return -1;
	}
	for (int i = have; i < want; i++) {
		if (sqlite3_exec(s->db, store_sqlite_migrations[i], NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "store %s: migration %d: %s", s->path, i + 1,
			    sqlite3_errmsg(s->db));
			sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", want);
	if (sqs_exec(s, sql, err, errlen) < 0 || sqs_exec(s, "COMMIT", err, errlen) < 0) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

/* sqs_bind_text - bind a string or NULL */
void sqs_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* job_exists - is there a job for this dedup key, number and subaddress? */
static int job_exists(sqlite_store_t *s, const char *key, const store_rcpt_t *r)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM jobs WHERE dedup_key = ?1 AND number = ?2"
	    " AND subaddress = ?3", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqs_bind_text(st, 1, key);
	sqs_bind_text(st, 2, r->number);
	sqs_bind_text(st, 3, r->subaddress ? r->subaddress : "");
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* submit_one - one message, its documents and new jobs, inside the
 * caller's transaction; 0, or -1 (the caller rolls back) */
static int submit_one(sqlite_store_t *s, const store_msg_t *m, const store_doc_t *docs,
    size_t ndocs, const store_rcpt_t *rcpts, size_t nrcpts, int *queued,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 msgid;
	size_t nnew = 0;
	long now = (long)time(NULL);

	for (size_t i = 0; i < nrcpts; i++) {
		int dup = 0;
		/* The same recipient twice in one envelope is one job. */
		for (size_t j = 0; j < i && !dup; j++)
			dup = queued[j] && strcmp(rcpts[j].number, rcpts[i].number) == 0 &&
			    strcmp(rcpts[j].subaddress ? rcpts[j].subaddress : "",
				rcpts[i].subaddress ? rcpts[i].subaddress : "") == 0;
		if (!dup) {
			int e = job_exists(s, m->dedup_key, &rcpts[i]);
			if (e < 0)
				goto fail;
			dup = e;
		}
		queued[i] = !dup;
		nnew += !dup;
	}
	if (nnew == 0)
		return 0;	/* every recipient a duplicate: nothing to write */
	if (sqlite3_prepare_v2(s->db, "INSERT INTO messages (dedup_key, message_id, queue_id,"
	    " sender, envid, ret, client_addr, auth_user, subject, received_at, size, raw, mdn_to)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqs_bind_text(st, 1, m->dedup_key);
	sqs_bind_text(st, 2, m->message_id);
	sqs_bind_text(st, 3, m->queue_id);
	sqs_bind_text(st, 4, m->sender ? m->sender : "");
	sqs_bind_text(st, 5, m->envid);
	sqs_bind_text(st, 6, m->ret);
	sqs_bind_text(st, 7, m->client_addr);
	sqs_bind_text(st, 8, m->auth_user);
	sqs_bind_text(st, 9, m->subject);
	sqlite3_bind_int64(st, 10, m->received_at);
	sqlite3_bind_int64(st, 11, (sqlite3_int64)m->rawlen);
	sqlite3_bind_blob64(st, 12, m->raw, m->rawlen, SQLITE_STATIC);
	sqs_bind_text(st, 13, m->mdn_to);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	msgid = sqlite3_last_insert_rowid(s->db);

	if (sqlite3_prepare_v2(s->db, "INSERT INTO documents (message, seq, kind, content_type,"
	    " filename, pages, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < ndocs; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, msgid);
		sqlite3_bind_int(st, 2, (int)i + 1);
		sqs_bind_text(st, 3, docs[i].kind);
		sqs_bind_text(st, 4, docs[i].content_type);
		sqs_bind_text(st, 5, docs[i].filename);
		if (docs[i].pages)
			sqlite3_bind_int(st, 6, (int)docs[i].pages);
		else
			sqlite3_bind_null(st, 6);
		sqlite3_bind_blob64(st, 7, docs[i].data, docs[i].len, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;

	if (sqlite3_prepare_v2(s->db, "INSERT INTO jobs (message, dedup_key, recipient, number,"
	    " subaddress, qualifiers, dial, domain, notify, orcpt, created_at, updated_at,"
	    " next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?11)",
	    -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < nrcpts; i++) {
		const store_rcpt_t *r = &rcpts[i];
		if (!queued[i])
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, msgid);
		sqs_bind_text(st, 2, m->dedup_key);
		sqs_bind_text(st, 3, r->recipient);
		sqs_bind_text(st, 4, r->number);
		sqs_bind_text(st, 5, r->subaddress ? r->subaddress : "");
		sqs_bind_text(st, 6, r->qualifiers ? r->qualifiers : "");
		sqs_bind_text(st, 7, r->dial);
		sqs_bind_text(st, 8, r->domain);
		sqs_bind_text(st, 9, r->notify);
		sqs_bind_text(st, 10, r->orcpt);
		sqlite3_bind_int64(st, 11, now);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(st);
	return 0;
fail:
	sqs_err(s, "submit", err, errlen);
	sqlite3_finalize(st);
	return -1;
}

/*
 * sq_submit_batch - several messages in one transaction and one fsync
 * (the milter's group commit). All or nothing: if one fails, none is
 * stored and every sender gets a temporary failure.
 */
static int sq_submit_batch(store_t *base, store_submission_t *subs, size_t n,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	int saved;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		store_submission_t *b = &subs[i];
		if (submit_one(s, b->msg, b->docs, b->ndocs, b->rcpts, b->nrcpts, b->queued,
		    err, errlen) < 0)
			goto fail;
	}
	if (sqs_exec(s, "COMMIT", err, errlen) == 0)
		return 0;
fail:
	saved = errno;		/* sqs_err's verdict, not the rollback's */
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	errno = saved;
	return -1;
}

/* sq_sender_count - fax jobs of a sender since a time */
static int sq_sender_count(store_t *base, const char *sender, long since,
    long *count, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM jobs j JOIN messages m ON"
	    " m.id = j.message WHERE m.sender = ?1 AND j.created_at >= ?2", -1, &st, NULL) != SQLITE_OK)
		return sqs_err(s, "sender count", err, errlen);
	sqs_bind_text(st, 1, sender);
	sqlite3_bind_int64(st, 2, since);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*count = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sqs_err(s, "sender count", err, errlen);
}

/* sq_close - close the database */
static void sq_close(store_t *base)
{
	sqlite_store_t *s = (sqlite_store_t *)base;

	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

static const store_ops_t sqlite_ops = {
	.submit_batch = sq_submit_batch,
	.sender_count = sq_sender_count,
	.claim = sqs_claim,
	.lease_renew = sqs_lease_renew,
	.job_progress = sqs_job_progress,
	.attempt_begin = sqs_attempt_begin,
	.attempt_end = sqs_attempt_end,
	.next_due = sqs_next_due,
	.get_docs = sqs_get_docs,
	.get_render = sqs_get_render,
	.put_render = sqs_put_render,
	.dest_get = sqs_dest_get,
	.dest_set = sqs_dest_set,
	.notice_due = sqs_notice_due,
	.notice_load = sqs_notice_load,
	.notice_sent = sqs_notice_sent,
	.notice_retry = sqs_notice_retry,
	.mdn_due = sqs_mdn_due,
	.mdn_load = sqs_mdn_load,
	.close = sq_close,
	.job_list = sqs_ctl_list,
	.job_detail = sqs_ctl_detail,
	.stats = sqs_ctl_stats,
	.metrics = sqs_ctl_metrics,
	.job_change = sqs_ctl_change,
	.dest_get_t38 = sqs_dest_get_t38,
	.dest_set_t38 = sqs_dest_set_t38,
	.inbound_add = sqs_inbound_add,
	.inbound_list = sqs_inbound_list,
	.inbound_get = sqs_inbound_get,
	.did_add = sqs_did_add,
	.did_remove = sqs_did_remove,
	.did_list = sqs_did_list,
	.did_get = sqs_did_get,
	.index_add = sqs_index_add,
	.index_remove = sqs_index_remove,
	.index_list = sqs_index_list,
	.index_get = sqs_index_get,
	.route_add = sqs_route_add,
	.route_remove = sqs_route_remove,
	.route_list = sqs_route_list,
	.route_lookup = sqs_route_lookup,
	.caller_add = sqs_caller_add,
	.caller_remove = sqs_caller_remove,
	.caller_list = sqs_caller_list,
	.caller_find = sqs_caller_find,
	.user_add = sqs_user_add,
	.user_remove = sqs_user_remove,
	.user_list = sqs_user_list,
	.user_get = sqs_user_get,
	.auth_failure_add = sqs_auth_failure_add,
	.auth_failure_count = sqs_auth_failure_count,
	.inbound_due = sqs_inbound_due,
	.inbound_next_due = sqs_inbound_next_due,
	.inbound_claim = sqs_inbound_claim,
	.inbound_decide = sqs_inbound_decide,
	.inbound_mark = sqs_inbound_mark,
	.inbound_requeue = sqs_inbound_requeue,
	.inbound_bounce = sqs_inbound_bounce,
};

/* store_sqlite_open - open PATH, migrate, returns the store or NULL */
store_t *store_sqlite_open(const char *path, char *err, size_t errlen)
{
	sqlite_store_t *s = calloc(1, sizeof(*s));
	int saved;

	if (!s || !(s->path = strdup(path))) {
		free(s);
		snprintf(err, errlen, "store %s: out of memory", path);
		return NULL;
	}
	s->base.ops = &sqlite_ops;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "store %s: cannot open: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		errno = s->db && sqlite3_system_errno(s->db) == ENOSPC ? ENOSPC : EIO;
		goto fail;
	}
	/* SQLite silently falls back to read-only; a store we cannot write
	 * must fail here, where the caller can turn it into a 4xx. */
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		snprintf(err, errlen, "store %s: read-only (check owner and permissions)", path);
		errno = EROFS;
		goto fail;
	}
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	/* Connections are short-lived (one per SMTP session in the milter).
	 * By default the last one to close checkpoints and deletes the WAL:
	 * five fsyncs per message instead of one. Checkpoints then happen
	 * as the WAL grows (wal_autocheckpoint) instead. */
	int one = 1;
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	sqlite3_file_control(s->db, "main", SQLITE_FCNTL_PERSIST_WAL, &one);
	if (sqs_exec(s, "PRAGMA journal_mode = WAL", err, errlen) < 0 ||
	    sqs_exec(s, "PRAGMA synchronous = FULL", err, errlen) < 0 ||
	    sqs_exec(s, "PRAGMA foreign_keys = ON", err, errlen) < 0 ||
	    migrate(s, err, errlen) < 0)
		goto fail;
	return &s->base;
fail:
	saved = errno;		/* sqs_err's verdict survives the clean-up */
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
	errno = saved;
	return NULL;
}
