/*
 * store_pg_notice.c - the notices' side of the PostgreSQL store (DSNs
 * and MDNs owed by jobs); see store.h for the contract.
 *
 * Notices are sent by whichever dialer host finds them due first. So that
 * two hosts do not both send one, store_notice_load (store_mdn_load) takes
 * a session advisory lock on the message (the job) and gives nothing
 * (an error) to a host that cannot have it; the lock is held while the
 * notice is injected and let go by store_notice_sent or
 * store_notice_retry, or by the server when the dialer's connection
 * ends (it died: the notice is then sent by another host).
 */
#include <stdio.h>
#include <string.h>

#include "store_pg_int.h"

/* Advisory lock keys: one space for messages' DSNs, one for jobs' MDNs. */
#define KEY_DSN(message) ((1L << 48) | (message))
#define KEY_MDN(job) ((2L << 48) | (job))

/* lock - try to take a notice's lock for this session; 1, 0 (another
 * host has it) or -1 */
static int lock(pg_store_t *s, long key, char *err, size_t errlen)
{
	PGresult *r;
	pgp_t p = { 0 };
	int got;

	pgp_long(&p, key);
	if (!(r = pgs_query(s, "SELECT pg_try_advisory_lock($1)::text", &p, 0, err, errlen)))
		return -1;
	got = strcmp(PQgetvalue(r, 0, 0), "true") == 0;
	PQclear(r);
	return got;
}

/* unlock - let a notice's lock go, however often this session took it */
static void unlock(pg_store_t *s, long key)
{
	PGresult *r;
	pgp_t p = { 0 };
	char e[256];
	int more = 1;

	pgp_long(&p, key);
	/* Session locks stack: a host that loaded a notice twice holds it twice. */
	for (int i = 0; i < 16 && more; i++) {
		if (!(r = pgs_query(s, "SELECT pg_advisory_unlock($1)::text", &p, 0, e, sizeof(e))))
			return;
		more = strcmp(PQgetvalue(r, 0, 0), "true") == 0;
		PQclear(r);
	}
}

/* Final notices of a message wait, in gathered mode, until no job is still running. */
#define ALL_ENDED "NOT EXISTS (SELECT 1 FROM jobs o WHERE o.message = j.message" \
	" AND o.state NOT IN ('done', 'failed', 'cancelled'))"

/* The last attempt of job j: its end and its error, after the job's columns. */
#define LAST_ATTEMPT "coalesce((SELECT max(a.ended_at) FROM attempts a" \
	" WHERE a.job = j.id), 0)::text," \
	" (SELECT a.error_text FROM attempts a WHERE a.job = j.id ORDER BY a.attempt DESC LIMIT 1)"

int pgs_notice_due(store_t *base, long now, int gathered, long *messages,
    size_t max, size_t *n, char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_long(&p, now);
	pgp_long(&p, gathered);
	pgp_long(&p, (long)max);
	return pgs_ids((pg_store_t *)base, "SELECT DISTINCT j.message::text, j.message FROM jobs j"
	    " WHERE j.notice_due IS NOT NULL AND j.notice_next_at <= $1"
	    " AND ($2 = 0 OR j.notice_due = 'delayed' OR " ALL_ENDED ")"
	    " ORDER BY j.message LIMIT $3", &p, messages, max, n, err, errlen);
}

/* load_message - a stored message with its raw text; 0 or -1 */
static int load_message(pg_store_t *s, long message, store_message_t *m,
    char *err, size_t errlen)
{
	PGresult *r;
	pgp_t p = { 0 };

	memset(m, 0, sizeof(*m));
	pgp_long(&p, message);
	if (!(r = pgs_query(s, "SELECT " PGS_MSG_COLS ", raw, mdn_to FROM messages WHERE id = $1",
	    &p, 1, err, errlen)))
		return -1;
	if (PQntuples(r) == 1) {
		pgs_read_message(r, 0, m);
		m->raw = pgs_blob(r, 0, PGS_MSG_NCOLS, &m->rawlen);
		m->mdn_to = pgs_dup(r, 0, PGS_MSG_NCOLS + 1);
	}
	PQclear(r);
	if (!m->raw) {
		store_message_free(m);
		snprintf(err, errlen, "store %s: message %ld not found", s->name, message);
		return -1;
	}
	return 0;
}

int pgs_notice_load(store_t *base, long message, long now, int gathered,
    store_message_t *m, store_notice_job_t **jobs, size_t *n, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	PGresult *r;
	pgp_t p = { 0 };
	store_notice_job_t *nj;
	int rows;

	*jobs = NULL;
	*n = 0;
	memset(m, 0, sizeof(*m));
	switch (lock(s, KEY_DSN(message), err, errlen)) {
	case -1: return -1;
	case 0: return 0;	/* another host is sending it */
	}
	if (load_message(s, message, m, err, errlen) < 0) {
		unlock(s, KEY_DSN(message));
		return -1;
	}
	pgp_long(&p, message);
	pgp_long(&p, now);
	pgp_long(&p, gathered);
	if ((nj = pgs_select(s, "SELECT " PGS_JOB_COLS ", j.notice_due, j.notice_tries::text, "
	    LAST_ATTEMPT " FROM jobs j WHERE j.message = $1 AND j.notice_due IS NOT NULL"
	    " AND j.notice_next_at <= $2 AND ($3 = 0 OR j.notice_due = 'delayed' OR " ALL_ENDED ")"
	    " ORDER BY j.id", &p, 0, sizeof(*nj), &r, err, errlen)) == NULL) {
		store_message_free(m);
		unlock(s, KEY_DSN(message));
		return -1;
	}
	rows = PQntuples(r);
	for (int i = 0; i < rows; i++) {
		pgs_read_job(r, i, &nj[i].job);
		pgs_copy(nj[i].notice_due, sizeof(nj[i].notice_due), r, i, PGS_JOB_NCOLS);
		nj[i].notice_tries = (int)pgs_long(r, i, PGS_JOB_NCOLS + 1);
		nj[i].last_attempt_at = pgs_long(r, i, PGS_JOB_NCOLS + 2);
		pgs_copy(nj[i].last_error, sizeof(nj[i].last_error), r, i, PGS_JOB_NCOLS + 3);
	}
	PQclear(r);
	if (rows == 0)
		unlock(s, KEY_DSN(message));	/* sent meanwhile by another host */
	*jobs = nj;
	*n = (size_t)rows;
	return 0;
}

int pgs_notice_sent(store_t *base, long message, const long *jobs, size_t n,
    const char *kind, const char *action, const char *message_id, long now,
    char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	pgp_t p;
	char list[1024];
	size_t o = 0;

	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	list[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (o < sizeof(list))
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%ld", i ? "," : "", jobs[i]);
		memset(&p, 0, sizeof(p));
		pgp_long(&p, jobs[i]);
		pgp_long(&p, now);
		if ((strcmp(kind, "mdn") == 0 ?
		    pgs_cmd(s, "UPDATE jobs SET mdn_due = 0, notice_tries = 0 WHERE id = $1",
		    &(pgp_t){ .n = 1, .v = { p.v[0] } }, NULL, err, errlen) :
		    pgs_cmd(s, "UPDATE jobs SET notice_due = NULL, notice_tries = 0, notice_sent_at = $2"
		    " WHERE id = $1", &p, NULL, err, errlen)) < 0 ||
		    pgs_cmd(s, "UPDATE attempts SET notice_at = $2 WHERE job = $1 AND attempt ="
		    " (SELECT max(attempt) FROM attempts WHERE job = $1)", &p, NULL, err, errlen) < 0)
			return pgs_rollback(s);
	}
	memset(&p, 0, sizeof(p));
	pgp_long(&p, message);
	pgp_text(&p, kind);
	pgp_text(&p, action);
	pgp_text(&p, list);
	pgp_long(&p, now);
	pgp_text(&p, message_id);
	if (pgs_cmd(s, "INSERT INTO notices (message, kind, action, jobs, sent_at, message_id)"
	    " VALUES ($1, $2, $3, $4, $5, $6)", &p, NULL, err, errlen) < 0)
		return pgs_rollback(s);
	if (pgs_commit(s, err, errlen) < 0)
		return -1;
	/* After the commit: another host that takes the lock now sees it sent. */
	if (strcmp(kind, "mdn") == 0)
		for (size_t i = 0; i < n; i++)
			unlock(s, KEY_MDN(jobs[i]));
	else
		unlock(s, KEY_DSN(message));
	return 0;
}

int pgs_notice_retry(store_t *base, const long *jobs, size_t n, long next_at,
    char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	pgp_t p;

	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		memset(&p, 0, sizeof(p));
		pgp_long(&p, jobs[i]);
		pgp_long(&p, next_at);
		if (pgs_cmd(s, "UPDATE jobs SET notice_tries = notice_tries + 1, notice_next_at = $2"
		    " WHERE id = $1", &p, NULL, err, errlen) < 0)
			return pgs_rollback(s);
	}
	if (pgs_commit(s, err, errlen) < 0)
		return -1;
	/* Whichever kind was tried (the call does not say), let it go. */
	for (size_t i = 0; i < n; i++) {
		PGresult *r;
		pgp_t q = { 0 };
		pgp_long(&q, jobs[i]);
		unlock(s, KEY_MDN(jobs[i]));
		if ((r = pgs_query(s, "SELECT message::text FROM jobs WHERE id = $1", &q, 0,
		    err, errlen)) != NULL) {
			if (PQntuples(r) == 1)
				unlock(s, KEY_DSN(pgs_long(r, 0, 0)));
			PQclear(r);
		}
	}
	return 0;
}

int pgs_mdn_due(store_t *base, long now, long *jobs, size_t max, size_t *n,
    char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_long(&p, now);
	pgp_long(&p, (long)max);
	return pgs_ids((pg_store_t *)base, "SELECT id::text FROM jobs WHERE mdn_due = 1"
	    " AND notice_next_at <= $1 ORDER BY id LIMIT $2", &p, jobs, max, n, err, errlen);
}

int pgs_mdn_load(store_t *base, long job, store_message_t *m, store_notice_job_t *nj,
    char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	PGresult *r;
	pgp_t p = { 0 };
	int found;

	memset(nj, 0, sizeof(*nj));
	memset(m, 0, sizeof(*m));
	switch (lock(s, KEY_MDN(job), err, errlen)) {
	case -1: return -1;
	case 0:
		snprintf(err, errlen, "store %s: the MDN of job %ld is being sent by another dialer",
		    s->name, job);
		return -1;
	}
	pgp_long(&p, job);
	if (!(r = pgs_query(s, "SELECT " PGS_JOB_COLS ", j.notice_tries::text, " LAST_ATTEMPT
	    " FROM jobs j WHERE j.id = $1 AND j.mdn_due = 1", &p, 0, err, errlen))) {
		unlock(s, KEY_MDN(job));
		return -1;
	}
	if ((found = PQntuples(r) == 1)) {
		pgs_read_job(r, 0, &nj->job);
		strcpy(nj->notice_due, "failed");
		nj->notice_tries = (int)pgs_long(r, 0, PGS_JOB_NCOLS);
		nj->last_attempt_at = pgs_long(r, 0, PGS_JOB_NCOLS + 1);
		pgs_copy(nj->last_error, sizeof(nj->last_error), r, 0, PGS_JOB_NCOLS + 2);
	}
	PQclear(r);
	if (!found) {
		unlock(s, KEY_MDN(job));
		snprintf(err, errlen, "store %s: job %ld owes no MDN (sent meanwhile?)", s->name, job);
		return -1;
	}
	if (load_message(s, nj->job.message, m, err, errlen) < 0) {
		unlock(s, KEY_MDN(job));
		return -1;
	}
	return 0;
}
