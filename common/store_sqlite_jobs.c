/*
 * store_sqlite_jobs.c - the dialer's and the notices' side of the SQLite
 * store; see store.h for the contract.
 *
 * Every state change that belongs together is one transaction: a call's
 * end writes the attempt row, the job's new state, the release of its lease
 * and the notice it now owes, or none of them. Writers take the lock up
 * front (BEGIN IMMEDIATE) so two dialers never claim the same job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite_int.h"


/* sqs_read_job - a row selected with SQS_JOB_COLS into *j */
void sqs_read_job(sqlite3_stmt *st, store_job_t *j)
{
	memset(j, 0, sizeof(*j));
	j->id = (long)sqlite3_column_int64(st, 0);
	j->message = (long)sqlite3_column_int64(st, 1);
	sqs_copy(j->recipient, sizeof(j->recipient), st, 2);
	sqs_copy(j->number, sizeof(j->number), st, 3);
	sqs_copy(j->subaddress, sizeof(j->subaddress), st, 4);
	sqs_copy(j->qualifiers, sizeof(j->qualifiers), st, 5);
	sqs_copy(j->dial, sizeof(j->dial), st, 6);
	sqs_copy(j->domain, sizeof(j->domain), st, 7);
	sqs_copy(j->notify, sizeof(j->notify), st, 8);
	sqs_copy(j->orcpt, sizeof(j->orcpt), st, 9);
	sqs_copy(j->state, sizeof(j->state), st, 10);
	j->attempts = sqlite3_column_int(st, 11);
	j->pages_confirmed = sqlite3_column_int(st, 12);
	j->pages_total = sqlite3_column_int(st, 13);
	j->created_at = (long)sqlite3_column_int64(st, 14);
	j->first_attempt_at = (long)sqlite3_column_int64(st, 15);
	j->next_attempt_at = (long)sqlite3_column_int64(st, 16);
	sqs_copy(j->status, sizeof(j->status), st, 17);
	sqs_copy(j->diagnostic, sizeof(j->diagnostic), st, 18);
}

/* prepare - prepare or fail with the statement named */
static int prepare(sqlite_store_t *s, const char *sql, sqlite3_stmt **st,
    char *err, size_t errlen)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return sqs_err(s, "prepare", err, errlen);
	}
	return 0;
}

/* step_done - step a statement that returns no rows, finalize it; 0 or -1 */
static int step_done(sqlite_store_t *s, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		sqs_err(s, "write", err, errlen);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* rollback - undo the transaction, returns -1 for the caller to pass on */
static int rollback(sqlite_store_t *s)
{
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int sqs_claim(store_t *base, const char *owner, long now, long lease_until,
    size_t max, unsigned per_number, store_job_t *jobs, size_t *n, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	size_t got = 0;
	int rc;

	*n = 0;
	if (max == 0)
		return 0;
	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	/* At most per_number calls at a time per number (0: no limit): the
	 * jobs under a live lease are the calls in progress. BEGIN IMMEDIATE
	 * makes this claim the only writer, so the count stays true. */
	if (prepare(s, "SELECT " SQS_JOB_COLS ", (SELECT count(*) FROM jobs b"
	    "  WHERE b.number = j.number AND b.id != j.id"
	    "  AND b.state IN ('rendering', 'sending') AND b.lease_until >= ?1) AS busy"
	    " FROM jobs j WHERE"
	    " ((j.state IN ('queued', 'ready', 'retry_wait') AND j.next_attempt_at <= ?1)"
	    "  OR (j.state IN ('rendering', 'sending') AND j.lease_until < ?1))"
	    " AND (?3 = 0 OR busy < ?3)"
	    " ORDER BY j.next_attempt_at, j.id LIMIT ?2", &st, err, errlen) < 0)
		return rollback(s);
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max * 4);
	sqlite3_bind_int64(st, 3, per_number);
	while (got < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_job_t j;
		long calls = sqlite3_column_int64(st, SQS_JOB_NCOLS);
		sqs_read_job(st, &j);
		for (size_t i = 0; i < got; i++)
			calls += strcmp(jobs[i].number, j.number) == 0;
		if (per_number == 0 || calls < (long)per_number)
			jobs[got++] = j;
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < got; i++) {
		/* A job taken over from a dead dialer: close its open attempt. */
		if (prepare(s, "UPDATE attempts SET ended_at = ?2, outcome = 'retry',"
		    " error_code = 'LEASE_EXPIRED', error_text = 'the dialer handling this call stopped'"
		    " WHERE job = ?1 AND ended_at IS NULL", &st, err, errlen) < 0)
			return rollback(s);
		sqlite3_bind_int64(st, 1, jobs[i].id);
		sqlite3_bind_int64(st, 2, now);
		if (step_done(s, st, err, errlen) < 0)
			return rollback(s);
		if (prepare(s, "UPDATE jobs SET state = 'rendering', lease_owner = ?2,"
		    " lease_until = ?3, updated_at = ?4 WHERE id = ?1", &st, err, errlen) < 0)
			return rollback(s);
		sqlite3_bind_int64(st, 1, jobs[i].id);
		sqs_bind_text(st, 2, owner);
		sqlite3_bind_int64(st, 3, lease_until);
		sqlite3_bind_int64(st, 4, now);
		if (step_done(s, st, err, errlen) < 0)
			return rollback(s);
		strcpy(jobs[i].state, "rendering");
	}
	if (sqs_exec(s, "COMMIT", err, errlen) < 0)
		return rollback(s);
	*n = got;
	return 0;
}

int sqs_lease_renew(store_t *base, const char *owner, long lease_until,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;

	if (prepare(s, "UPDATE jobs SET lease_until = ?2 WHERE lease_owner = ?1"
	    " AND state IN ('rendering', 'sending')", &st, err, errlen) < 0)
		return -1;
	sqs_bind_text(st, 1, owner);
	sqlite3_bind_int64(st, 2, lease_until);
	return step_done(s, st, err, errlen);
}

/* owned_update - run an UPDATE bound with (job, owner, ...) that must hit the job */
static int owned_update(sqlite_store_t *s, sqlite3_stmt *st, long job,
    char *err, size_t errlen)
{
	if (step_done(s, st, err, errlen) < 0)
		return -1;
	if (sqlite3_changes(s->db) == 0) {
		snprintf(err, errlen, "store %s: job %ld is not held by this dialer (lease lost)",
		    s->path, job);
		return -1;
	}
	return 0;
}

int sqs_job_progress(store_t *base, long job, const char *owner,
    int pages_confirmed, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if (prepare(s, "UPDATE jobs SET pages_confirmed = ?3, updated_at = strftime('%s', 'now')"
	    " WHERE id = ?1 AND lease_owner = ?2", &st, err, errlen) < 0)
		return rollback(s);
	sqlite3_bind_int64(st, 1, job);
	sqs_bind_text(st, 2, owner);
	sqlite3_bind_int(st, 3, pages_confirmed);
	if (owned_update(s, st, job, err, errlen) < 0)
		return rollback(s);
	if (prepare(s, "UPDATE attempts SET pages_sent = ?2 - first_page + 1 WHERE job = ?1"
	    " AND ended_at IS NULL", &st, err, errlen) < 0)
		return rollback(s);
	sqlite3_bind_int64(st, 1, job);
	sqlite3_bind_int(st, 2, pages_confirmed);
	if (step_done(s, st, err, errlen) < 0)
		return rollback(s);
	return sqs_exec(s, "COMMIT", err, errlen) < 0 ? rollback(s) : 0;
}

int sqs_attempt_begin(store_t *base, long job, const char *owner,
    const store_attempt_t *a, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if (prepare(s, "INSERT INTO attempts (job, attempt, started_at, channel, first_page)"
	    " VALUES (?1, ?2, ?3, ?4, ?5)", &st, err, errlen) < 0)
		return rollback(s);
	sqlite3_bind_int64(st, 1, job);
	sqlite3_bind_int(st, 2, a->attempt);
	sqlite3_bind_int64(st, 3, a->started_at);
	sqs_bind_text(st, 4, a->channel);
	sqlite3_bind_int(st, 5, a->first_page);
	if (step_done(s, st, err, errlen) < 0)
		return rollback(s);
	if (prepare(s, "UPDATE jobs SET attempts = ?2, state = 'sending',"
	    " first_attempt_at = ifnull(first_attempt_at, ?3), last_attempt_at = ?3,"
	    " updated_at = ?3 WHERE id = ?1 AND lease_owner = ?4", &st, err, errlen) < 0)
		return rollback(s);
	sqlite3_bind_int64(st, 1, job);
	sqlite3_bind_int(st, 2, a->attempt);
	sqlite3_bind_int64(st, 3, a->started_at);
	sqs_bind_text(st, 4, owner);
	if (owned_update(s, st, job, err, errlen) < 0)
		return rollback(s);
	return sqs_exec(s, "COMMIT", err, errlen) < 0 ? rollback(s) : 0;
}

int sqs_attempt_end(store_t *base, long job, const char *owner,
    const store_attempt_t *a, const store_job_update_t *u, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	if (a) {
		if (prepare(s, "UPDATE attempts SET ended_at = ?3, call_id = ?4, pages_sent = ?5,"
		    " bytes = ?6, resolution = ?7, bit_rate = ?8, ecm = ?9, outcome = ?10,"
		    " status = ?11, error_code = ?12, error_text = ?13"
		    " WHERE job = ?1 AND attempt = ?2", &st, err, errlen) < 0)
			return rollback(s);
		sqlite3_bind_int64(st, 1, job);
		sqlite3_bind_int(st, 2, a->attempt);
		sqlite3_bind_int64(st, 3, a->ended_at);
		sqs_bind_text(st, 4, a->call_id && *a->call_id ? a->call_id : NULL);
		sqlite3_bind_int(st, 5, a->pages_sent);
		sqlite3_bind_int64(st, 6, a->bytes);
		sqs_bind_text(st, 7, a->resolution && *a->resolution ? a->resolution : NULL);
		sqlite3_bind_int(st, 8, a->bit_rate);
		sqlite3_bind_int(st, 9, a->ecm);
		sqs_bind_text(st, 10, a->outcome);
		sqs_bind_text(st, 11, a->status);
		sqs_bind_text(st, 12, a->error_code);
		sqs_bind_text(st, 13, a->error_text);
		if (step_done(s, st, err, errlen) < 0)
			return rollback(s);
	}
	/* A final state makes a pending "delayed" notice obsolete. */
	if (prepare(s, "UPDATE jobs SET state = ?3, next_attempt_at = ?4, pages_confirmed = ?5,"
	    " pages_total = CASE WHEN ?6 > 0 THEN ?6 ELSE pages_total END, status = ?7,"
	    " diagnostic = ?8,"
	    " notice_due = CASE WHEN ?9 IS NOT NULL THEN ?9"
	    "   WHEN ?3 IN ('done', 'failed', 'cancelled') THEN NULL ELSE notice_due END,"
	    " notice_next_at = CASE WHEN ?9 IS NOT NULL THEN 0 ELSE notice_next_at END,"
	    " delay_notified = CASE WHEN ?9 = 'delayed' THEN 1 ELSE delay_notified END,"
	    " mdn_due = CASE WHEN ?3 = 'failed' AND (SELECT m.mdn_to FROM messages m"
	    "   WHERE m.id = jobs.message) IS NOT NULL THEN 1 ELSE mdn_due END,"
	    " lease_owner = NULL, lease_until = NULL, updated_at = strftime('%s', 'now')"
	    " WHERE id = ?1 AND lease_owner = ?2", &st, err, errlen) < 0)
		return rollback(s);
	sqlite3_bind_int64(st, 1, job);
	sqs_bind_text(st, 2, owner);
	sqs_bind_text(st, 3, u->state);
	sqlite3_bind_int64(st, 4, u->next_attempt_at);
	sqlite3_bind_int(st, 5, u->pages_confirmed);
	sqlite3_bind_int(st, 6, u->pages_total);
	sqs_bind_text(st, 7, u->status);
	sqs_bind_text(st, 8, u->diagnostic);
	sqs_bind_text(st, 9, u->notice_due);
	if (owned_update(s, st, job, err, errlen) < 0)
		return rollback(s);
	return sqs_exec(s, "COMMIT", err, errlen) < 0 ? rollback(s) : 0;
}

int sqs_next_due(store_t *base, long now, long *when, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	if (prepare(s, "SELECT min(t) FROM ("
	    " SELECT min(next_attempt_at) AS t FROM jobs WHERE state IN ('queued', 'ready', 'retry_wait')"
	    "  AND next_attempt_at > ?1"
	    " UNION ALL SELECT min(lease_until) + 1 FROM jobs WHERE state IN ('rendering', 'sending')"
	    "  AND lease_until >= ?1"
	    " UNION ALL SELECT min(notice_next_at) FROM jobs WHERE notice_due IS NOT NULL"
	    "  AND notice_next_at > ?1)", &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	rc = sqlite3_step(st);
	*when = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : sqs_err(s, "next due", err, errlen);
}

int sqs_get_docs(store_t *base, long message, store_doc_data_t **docs, size_t *n,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	store_doc_data_t *d = NULL;
	size_t got = 0;
	int rc;

	*docs = NULL;
	*n = 0;
	if (prepare(s, "SELECT kind, content_type, ifnull(filename, ''), data FROM documents"
	    " WHERE message = ?1 ORDER BY seq", &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, message);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_doc_data_t *nd = realloc(d, (got + 1) * sizeof(*d));
		size_t len = (size_t)sqlite3_column_bytes(st, 3);
		if (!nd)
			break;
		d = nd;
		memset(&d[got], 0, sizeof(d[got]));
		sqs_copy(d[got].kind, sizeof(d[got].kind), st, 0);
		sqs_copy(d[got].content_type, sizeof(d[got].content_type), st, 1);
		sqs_copy(d[got].filename, sizeof(d[got].filename), st, 2);
		d[got].data = malloc(len + 1);
		if (!d[got].data)
			break;
		memcpy(d[got].data, sqlite3_column_blob(st, 3), len);
		d[got].len = len;
		got++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		store_docs_free(d, got);
		snprintf(err, errlen, "store %s: reading documents of message %ld failed", s->path, message);
		return -1;
	}
	*docs = d;
	*n = got;
	return 0;
}

int sqs_get_render(store_t *base, long message, unsigned char **data, size_t *len,
    unsigned *pages, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc, found = 0;

	*data = NULL;
	*len = 0;
	if (prepare(s, "SELECT data, pages FROM renders WHERE message = ?1", &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, message);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*len = (size_t)sqlite3_column_bytes(st, 0);
		*pages = (unsigned)sqlite3_column_int(st, 1);
		if ((*data = malloc(*len ? *len : 1)) != NULL) {
			memcpy(*data, sqlite3_column_blob(st, 0), *len);
			found = 1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqs_err(s, "read render", err, errlen);
	if (rc == SQLITE_ROW && !found) {
		snprintf(err, errlen, "store %s: out of memory reading a render", s->path);
		return -1;
	}
	return found;
}

int sqs_put_render(store_t *base, long message, const void *data, size_t len,
    unsigned pages, const char *resolution, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	/* The first render wins: every job and host must send the same pages. */
	if (prepare(s, "INSERT OR IGNORE INTO renders (message, pages, resolution, data, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, strftime('%s', 'now'))", &st, err, errlen) < 0)
		return rollback(s);
	sqlite3_bind_int64(st, 1, message);
	sqlite3_bind_int(st, 2, (int)pages);
	sqs_bind_text(st, 3, resolution);
	sqlite3_bind_blob64(st, 4, data, len, SQLITE_STATIC);
	if (step_done(s, st, err, errlen) < 0)
		return rollback(s);
	if (prepare(s, "UPDATE jobs SET pages_total = (SELECT pages FROM renders WHERE message = ?1)"
	    " WHERE message = ?1", &st, err, errlen) < 0)
		return rollback(s);
	sqlite3_bind_int64(st, 1, message);
	if (step_done(s, st, err, errlen) < 0)
		return rollback(s);
	return sqs_exec(s, "COMMIT", err, errlen) < 0 ? rollback(s) : 0;
}

int sqs_dest_get(store_t *base, const char *number, int *ecm, char *modems,
    size_t mlen, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	if (prepare(s, "SELECT ecm, modems FROM destinations WHERE number = ?1 AND updated_at > 0", &st, err, errlen) < 0)
		return -1;
	sqs_bind_text(st, 1, number);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ecm = sqlite3_column_int(st, 0);
		sqs_copy(modems, mlen, st, 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sqs_err(s, "read destination", err, errlen);
	return rc == SQLITE_ROW;
}

int sqs_dest_set(store_t *base, const char *number, int ecm, const char *modems,
    long now, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;

	if (prepare(s, "INSERT INTO destinations (number, ecm, modems, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (number) DO UPDATE SET ecm = ?2,"
	    " modems = ?3, updated_at = ?4", &st, err, errlen) < 0)
		return -1;
	sqs_bind_text(st, 1, number);
	sqlite3_bind_int(st, 2, ecm);
	sqs_bind_text(st, 3, modems);
	sqlite3_bind_int64(st, 4, now);
	return step_done(s, st, err, errlen);
}

/* Final notices of a message wait, in gathered mode, until no job is still running. */
#define ALL_ENDED "NOT EXISTS (SELECT 1 FROM jobs o WHERE o.message = j.message" \
	" AND o.state NOT IN ('done', 'failed', 'cancelled'))"

int sqs_notice_due(store_t *base, long now, int gathered, long *messages,
    size_t max, size_t *n, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	*n = 0;
	if (prepare(s, "SELECT DISTINCT j.message FROM jobs j WHERE j.notice_due IS NOT NULL"
	    " AND j.notice_next_at <= ?1 AND (?2 = 0 OR j.notice_due = 'delayed' OR " ALL_ENDED ")"
	    " ORDER BY j.message LIMIT ?3", &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, gathered);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW)
		messages[(*n)++] = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/* sqs_read_message - a row selected with SQS_MSG_COLS into *m */
void sqs_read_message(sqlite3_stmt *st, store_message_t *m)
{
	m->id = (long)sqlite3_column_int64(st, 0);
	m->sender = sqs_dup(st, 1);
	m->envid = sqs_dup(st, 2);
	m->ret = sqs_dup(st, 3);
	m->message_id = sqs_dup(st, 4);
	m->subject = sqs_dup(st, 5);
	m->queue_id = sqs_dup(st, 6);
	m->received_at = (long)sqlite3_column_int64(st, 7);
}

/* load_message - a stored message with its raw text; 0 or -1 */
static int load_message(sqlite_store_t *s, long message, store_message_t *m,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	memset(m, 0, sizeof(*m));
	if (prepare(s, "SELECT " SQS_MSG_COLS ", raw, mdn_to FROM messages WHERE id = ?1",
	    &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, message);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqs_read_message(st, m);
		m->rawlen = (size_t)sqlite3_column_bytes(st, SQS_MSG_NCOLS);
		if ((m->raw = malloc(m->rawlen + 1)) != NULL) {
			memcpy(m->raw, sqlite3_column_blob(st, SQS_MSG_NCOLS), m->rawlen);
			m->raw[m->rawlen] = '\0';
		}
		m->mdn_to = sqs_dup(st, SQS_MSG_NCOLS + 1);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW || !m->raw) {
		store_message_free(m);
		snprintf(err, errlen, "store %s: message %ld not found", s->path, message);
		return -1;
	}
	return 0;
}

int sqs_notice_load(store_t *base, long message, long now, int gathered,
    store_message_t *m, store_notice_job_t **jobs, size_t *n, char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	store_notice_job_t *nj = NULL;
	size_t got = 0;
	int rc;

	*jobs = NULL;
	*n = 0;
	if (load_message(s, message, m, err, errlen) < 0)
		return -1;
	if (prepare(s, "SELECT " SQS_JOB_COLS ", j.notice_due, j.notice_tries,"
	    " (SELECT max(a.ended_at) FROM attempts a WHERE a.job = j.id),"
	    " (SELECT a.error_text FROM attempts a WHERE a.job = j.id ORDER BY a.attempt DESC LIMIT 1)"
	    " FROM jobs j WHERE j.message = ?1 AND j.notice_due IS NOT NULL AND j.notice_next_at <= ?2"
	    " AND (?3 = 0 OR j.notice_due = 'delayed' OR " ALL_ENDED ") ORDER BY j.id",
	    &st, err, errlen) < 0) {
		store_message_free(m);
		return -1;
	}
	sqlite3_bind_int64(st, 1, message);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, gathered);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		store_notice_job_t *t = realloc(nj, (got + 1) * sizeof(*nj));
		if (!t)
			break;
		nj = t;
		sqs_read_job(st, &nj[got].job);
		sqs_copy(nj[got].notice_due, sizeof(nj[got].notice_due), st, SQS_JOB_NCOLS);
		nj[got].notice_tries = sqlite3_column_int(st, SQS_JOB_NCOLS + 1);
		nj[got].last_attempt_at = (long)sqlite3_column_int64(st, SQS_JOB_NCOLS + 2);
		sqs_copy(nj[got].last_error, sizeof(nj[got].last_error), st, SQS_JOB_NCOLS + 3);
		got++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(nj);
		store_message_free(m);
		return sqs_err(s, "read notice jobs", err, errlen);
	}
	*jobs = nj;
	*n = got;
	return 0;
}

int sqs_notice_sent(store_t *base, long message, const long *jobs, size_t n,
    const char *kind, const char *action, const char *message_id, long now,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	char list[1024];
	size_t o = 0;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (o < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%ld", i ? "," : "", jobs[i]);
		if (prepare(s, strcmp(kind, "mdn") == 0 ?
		    "UPDATE jobs SET mdn_due = 0, notice_tries = 0 WHERE id = ?1" :
		    "UPDATE jobs SET notice_due = NULL, notice_tries = 0, notice_sent_at = ?2"
		    " WHERE id = ?1", &st, err, errlen) < 0)
			return rollback(s);
		sqlite3_bind_int64(st, 1, jobs[i]);
		sqlite3_bind_int64(st, 2, now);
		if (step_done(s, st, err, errlen) < 0)
			return rollback(s);
		if (prepare(s, "UPDATE attempts SET notice_at = ?2 WHERE job = ?1 AND attempt ="
		    " (SELECT max(attempt) FROM attempts WHERE job = ?1)", &st, err, errlen) < 0)
			return rollback(s);
		sqlite3_bind_int64(st, 1, jobs[i]);
		sqlite3_bind_int64(st, 2, now);
		if (step_done(s, st, err, errlen) < 0)
			return rollback(s);
	}
	if (prepare(s, "INSERT INTO notices (message, kind, action, jobs, sent_at, message_id)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &st, err, errlen) < 0)
		return rollback(s);
	sqlite3_bind_int64(st, 1, message);
	sqs_bind_text(st, 2, kind);
	sqs_bind_text(st, 3, action);
	sqs_bind_text(st, 4, list);
	sqlite3_bind_int64(st, 5, now);
	sqs_bind_text(st, 6, message_id);
	if (step_done(s, st, err, errlen) < 0)
		return rollback(s);
	return sqs_exec(s, "COMMIT", err, errlen) < 0 ? rollback(s) : 0;
}

int sqs_notice_retry(store_t *base, const long *jobs, size_t n, long next_at,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;

	if (sqs_exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (prepare(s, "UPDATE jobs SET notice_tries = notice_tries + 1, notice_next_at = ?2"
		    " WHERE id = ?1", &st, err, errlen) < 0)
			return rollback(s);
		sqlite3_bind_int64(st, 1, jobs[i]);
		sqlite3_bind_int64(st, 2, next_at);
		if (step_done(s, st, err, errlen) < 0)
			return rollback(s);
	}
	return sqs_exec(s, "COMMIT", err, errlen) < 0 ? rollback(s) : 0;
}

int sqs_mdn_due(store_t *base, long now, long *jobs, size_t max, size_t *n,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;

	*n = 0;
	if (prepare(s, "SELECT id FROM jobs WHERE mdn_due = 1 AND notice_next_at <= ?1"
	    " ORDER BY id LIMIT ?2", &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)max);
	while (*n < max && sqlite3_step(st) == SQLITE_ROW)
		jobs[(*n)++] = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int sqs_mdn_load(store_t *base, long job, store_message_t *m, store_notice_job_t *nj,
    char *err, size_t errlen)
{
	sqlite_store_t *s = (sqlite_store_t *)base;
	sqlite3_stmt *st;
	int rc;

	memset(nj, 0, sizeof(*nj));
	if (prepare(s, "SELECT " SQS_JOB_COLS ", j.notice_tries,"
	    " (SELECT max(a.ended_at) FROM attempts a WHERE a.job = j.id),"
	    " (SELECT a.error_text FROM attempts a WHERE a.job = j.id ORDER BY a.attempt DESC LIMIT 1)"
	    " FROM jobs j WHERE j.id = ?1", &st, err, errlen) < 0)
		return -1;
	sqlite3_bind_int64(st, 1, job);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqs_read_job(st, &nj->job);
		strcpy(nj->notice_due, "failed");
		nj->notice_tries = sqlite3_column_int(st, SQS_JOB_NCOLS);
		nj->last_attempt_at = (long)sqlite3_column_int64(st, SQS_JOB_NCOLS + 1);
		sqs_copy(nj->last_error, sizeof(nj->last_error), st, SQS_JOB_NCOLS + 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		snprintf(err, errlen, "store %s: job %ld not found", s->path, job);
		return -1;
	}
	return load_message(s, nj->job.message, m, err, errlen);
}
