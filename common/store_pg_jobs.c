/*
 * store_pg_jobs.c - the dialer's and the notices' side of the PostgreSQL
 * store; see store.h for the contract.
 *
 * Several dialer hosts claim from one table. A claim selects due jobs
 * FOR UPDATE SKIP LOCKED, so concurrent claims pass each other's rows by
 * instead of queueing behind them, and leases them: a dialer that dies
 * leaves jobs whose lease runs out, and the next claim takes them over.
 *
 * At most per_number calls at a time per number (1 by default), across
 * every host: before taking jobs the claim takes a transaction-scoped
 * advisory lock on each one's number and then, in a new statement (so a
 * new snapshot, taken after any other claimer of those numbers has
 * committed and let its lock go), counts the other jobs of them that are
 * rendering or sending under a live lease. A claim is seven round trips
 * however many jobs it takes.
 * Row locks alone cannot do this: two hosts could each lock a different
 * job of the same number.
 */
#include <stdio.h>
#include <string.h>

#include "store_pg_int.h"

/* array - a PostgreSQL array literal of n strings (quoted) or numbers;
 * 0, or -1 if it does not fit */
static int array(char *buf, size_t len, const store_job_t *jobs, size_t n, int ids)
{
	size_t o = 0;

	o += (size_t)snprintf(buf + o, len - o, "{");
	for (size_t i = 0; i < n && o < len; i++) {
		if (ids)
			o += (size_t)snprintf(buf + o, len - o, "%s%ld", i ? "," : "", jobs[i].id);
		else	/* +E.164 numbers: no quote or backslash to escape */
			o += (size_t)snprintf(buf + o, len - o, "%s\"%s\"", i ? "," : "", jobs[i].number);
	}
	if (o < len)
		o += (size_t)snprintf(buf + o, len - o, "}");
	return o < len ? 0 : -1;
}

/* keep - drop the jobs whose number is not in the rows of r (column 0) */
static size_t keep(store_job_t *jobs, size_t n, const PGresult *r)
{
	size_t got = 0;

	for (size_t i = 0; i < n; i++) {
		int found = 0;
		for (int k = 0; k < PQntuples(r) && !found; k++)
			found = strcmp(PQgetvalue(r, k, 0), jobs[i].number) == 0;
		if (found)
			jobs[got++] = jobs[i];
	}
	return got;
}

/* cap - keep, in order, the jobs whose number has fewer than limit calls:
 * those in the rows of r (number, count) and those kept before them */
static size_t cap(store_job_t *jobs, size_t n, const PGresult *r, unsigned limit)
{
	size_t got = 0;

	for (size_t i = 0; i < n; i++) {
		long calls = 0;
		for (int k = 0; k < PQntuples(r); k++)
			if (strcmp(PQgetvalue(r, k, 0), jobs[i].number) == 0)
				calls += pgs_long(r, k, 1);
		for (size_t k = 0; k < got; k++)
			calls += strcmp(jobs[k].number, jobs[i].number) == 0;
		if (calls < (long)limit)
			jobs[got++] = jobs[i];
	}
	return got;
}

/* numbers_free - of the candidates (at most limit per number), keep those
 * whose number this transaction could lock and which fit under limit with
 * the calls in progress; their count, or -1. Two statements: the count
 * must see the commits of the claims that held those locks before us, so
 * its snapshot is taken after the locks are ours. */
static long numbers_free(pg_store_t *s, store_job_t *jobs, size_t n, long now,
    unsigned limit, char *err, size_t errlen)
{
	char nums[16384], ids[8192];
	PGresult *r;
	pgp_t p = { 0 };

	if (n == 0)
		return 0;
	if (array(nums, sizeof(nums), jobs, n, 0) < 0 || array(ids, sizeof(ids), jobs, n, 1) < 0) {
		snprintf(err, errlen, "store %s: claim: too many jobs at once", s->name);
		return -1;
	}
	pgp_text(&p, nums);
	if (!(r = pgs_query(s, "SELECT n FROM unnest($1::text[]) AS n"
	    " WHERE pg_try_advisory_xact_lock(hashtext('faxgate:' || n))", &p, 0, err, errlen)))
		return -1;
	/* A number not locked: another host is claiming it right now. */
	n = keep(jobs, n, r);
	PQclear(r);
	if (n == 0 || array(nums, sizeof(nums), jobs, n, 0) < 0)
		return 0;
	pgp_text(&p, ids);
	pgp_long(&p, now);
	if (!(r = pgs_query(s, "SELECT number, count(*)::text FROM jobs"
	    " WHERE number = ANY($1::text[]) AND NOT id = ANY($2::bigint[])"
	    " AND state IN ('rendering', 'sending') AND lease_until >= $3 GROUP BY number",
	    &p, 0, err, errlen)))
		return -1;
	n = cap(jobs, n, r, limit);
	PQclear(r);
	return (long)n;
}

int pgs_claim(store_t *base, const char *owner, long now, long lease_until,
    size_t max, unsigned per_number, store_job_t *jobs, size_t *n, char *err, size_t errlen)
{
	char ids[8192];
	pg_store_t *s = (pg_store_t *)base;
	PGresult *r;
	pgp_t p = { 0 };
	size_t got = 0;
	long nfree;

	*n = 0;
	if (max == 0)
		return 0;
	if (max > 256)
		max = 256;	/* the arrays below; a dialer asks for its free lines */
	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	pgp_long(&p, now);
	pgp_long(&p, (long)max * 4);
	pgp_long(&p, per_number);
	if (!(r = pgs_query(s, "SELECT " PGS_JOB_COLS " FROM jobs j WHERE"
	    " ((j.state IN ('queued', 'ready', 'retry_wait') AND j.next_attempt_at <= $1)"
	    "  OR (j.state IN ('rendering', 'sending') AND j.lease_until < $1))"
	    " AND ($3 = 0 OR (SELECT count(*) FROM jobs b WHERE b.number = j.number"
	    "  AND b.id <> j.id AND b.state IN ('rendering', 'sending')"
	    "  AND b.lease_until >= $1) < $3)"
	    " ORDER BY j.next_attempt_at, j.id LIMIT $2 FOR UPDATE OF j SKIP LOCKED",
	    &p, 0, err, errlen)))
		return pgs_rollback(s);
	/* At most per_number candidates per number, the longest waiting. */
	for (int i = 0; i < PQntuples(r) && got < max; i++) {
		store_job_t j;
		unsigned same = 0;
		pgs_read_job(r, i, &j);
		for (size_t k = 0; k < got; k++)
			same += strcmp(jobs[k].number, j.number) == 0;
		if (per_number == 0 || same < per_number)
			jobs[got++] = j;
	}
	PQclear(r);
	if (per_number > 0) {
		if ((nfree = numbers_free(s, jobs, got, now, per_number, err, errlen)) < 0)
			return pgs_rollback(s);
		got = (size_t)nfree;
	}
	if (got > 0) {
		if (array(ids, sizeof(ids), jobs, got, 1) < 0)
			return pgs_rollback(s);
		memset(&p, 0, sizeof(p));
		pgp_text(&p, ids);
		pgp_long(&p, now);
		pgp_text(&p, owner);
		pgp_long(&p, lease_until);
		/* The jobs' rows are ours already (FOR UPDATE): jobs, then attempts,
		 * the order every writer keeps. Jobs taken over from a dead dialer
		 * get their open attempt closed. */
		if (pgs_cmd(s, "UPDATE jobs SET state = 'rendering', lease_owner = $3,"
		    " lease_until = $4, updated_at = $2 WHERE id = ANY($1::bigint[])", &p, NULL,
		    err, errlen) < 0)
			return pgs_rollback(s);
		p.n = 2;
		if (pgs_cmd(s, "UPDATE attempts SET ended_at = $2, outcome = 'retry',"
		    " error_code = 'LEASE_EXPIRED', error_text = 'the dialer handling this call stopped'"
		    " WHERE job = ANY($1::bigint[]) AND ended_at IS NULL", &p, NULL, err, errlen) < 0)
			return pgs_rollback(s);
	}
	if (pgs_commit(s, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < got; i++)
		strcpy(jobs[i].state, "rendering");
	*n = got;
	return 0;
}

int pgs_lease_renew(store_t *base, const char *owner, long lease_until,
    char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_text(&p, owner);
	pgp_long(&p, lease_until);
	return pgs_cmd((pg_store_t *)base, "UPDATE jobs SET lease_until = $2 WHERE lease_owner = $1"
	    " AND state IN ('rendering', 'sending')", &p, NULL, err, errlen);
}

/* owned - an UPDATE bound with (job, owner, ...) that must hit the job; 0 or -1 */
static int owned(pg_store_t *s, const char *sql, const pgp_t *p, long job,
    char *err, size_t errlen)
{
	long changed;

	if (pgs_cmd(s, sql, p, &changed, err, errlen) < 0)
		return -1;
	if (changed == 0) {
		snprintf(err, errlen, "store %s: job %ld is not held by this dialer (lease lost)",
		    s->name, job);
		return -1;
	}
	return 0;
}

int pgs_job_progress(store_t *base, long job, const char *owner,
    int pages_confirmed, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	pgp_t p = { 0 }, q = { 0 };

	pgp_long(&p, job);
	pgp_text(&p, owner);
	pgp_long(&p, pages_confirmed);
	pgp_long(&q, job);
	pgp_long(&q, pages_confirmed);
	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	if (owned(s, "UPDATE jobs SET pages_confirmed = $3,"
	    " updated_at = extract(epoch FROM now())::bigint WHERE id = $1 AND lease_owner = $2",
	    &p, job, err, errlen) < 0 ||
	    pgs_cmd(s, "UPDATE attempts SET pages_sent = $2 - first_page + 1 WHERE job = $1"
	    " AND ended_at IS NULL", &q, NULL, err, errlen) < 0)
		return pgs_rollback(s);
	return pgs_commit(s, err, errlen);
}

int pgs_attempt_begin(store_t *base, long job, const char *owner,
    const store_attempt_t *a, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	pgp_t p = { 0 }, q = { 0 };

	pgp_long(&p, job);
	pgp_long(&p, a->attempt);
	pgp_long(&p, a->started_at);
	pgp_text(&p, owner);
	pgp_long(&q, job);
	pgp_long(&q, a->attempt);
	pgp_long(&q, a->started_at);
	pgp_text(&q, a->channel);
	pgp_long(&q, a->first_page);
	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	/* The job first: a dialer that lost its lease must not log a call. */
	if (owned(s, "UPDATE jobs SET attempts = $2, state = 'sending',"
	    " first_attempt_at = coalesce(first_attempt_at, $3), last_attempt_at = $3,"
	    " updated_at = $3 WHERE id = $1 AND lease_owner = $4", &p, job, err, errlen) < 0 ||
	    pgs_cmd(s, "INSERT INTO attempts (job, attempt, started_at, channel, first_page)"
	    " VALUES ($1, $2, $3, $4, $5)", &q, NULL, err, errlen) < 0)
		return pgs_rollback(s);
	return pgs_commit(s, err, errlen);
}

int pgs_attempt_end(store_t *base, long job, const char *owner,
    const store_attempt_t *a, const store_job_update_t *u, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	pgp_t p = { 0 };

	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	pgp_long(&p, job);
	pgp_text(&p, owner);
	pgp_text(&p, u->state);
	pgp_long(&p, u->next_attempt_at);
	pgp_long(&p, u->pages_confirmed);
	pgp_long(&p, u->pages_total);
	pgp_text(&p, u->status);
	pgp_text(&p, u->diagnostic);
	pgp_text(&p, u->notice_due);
	/* The job's row before its attempt's, as every writer here does (the
	 * dialer's progress writer runs on a connection of its own): the
	 * other order deadlocks against it. A final state makes a pending
	 * "delayed" notice obsolete. */
	if (owned(s, "UPDATE jobs SET state = $3, next_attempt_at = $4, pages_confirmed = $5,"
	    " pages_total = CASE WHEN $6::integer > 0 THEN $6::integer ELSE pages_total END,"
	    " status = $7, diagnostic = $8,"
	    " notice_due = CASE WHEN $9::text IS NOT NULL THEN $9::text"
	    "   WHEN $3::text IN ('done', 'failed', 'cancelled') THEN NULL ELSE notice_due END,"
	    " notice_next_at = CASE WHEN $9::text IS NOT NULL THEN 0 ELSE notice_next_at END,"
	    " delay_notified = CASE WHEN $9::text = 'delayed' THEN 1 ELSE delay_notified END,"
	    " mdn_due = CASE WHEN $3::text = 'failed' AND (SELECT m.mdn_to FROM messages m"
	    "   WHERE m.id = jobs.message) IS NOT NULL THEN 1 ELSE mdn_due END,"
	    " lease_owner = NULL, lease_until = NULL,"
	    " updated_at = extract(epoch FROM now())::bigint"
	    " WHERE id = $1 AND lease_owner = $2", &p, job, err, errlen) < 0)
		return pgs_rollback(s);
	if (a) {
		memset(&p, 0, sizeof(p));
		pgp_long(&p, job);
		pgp_long(&p, a->attempt);
		pgp_long(&p, a->ended_at);
		pgp_text(&p, a->call_id && *a->call_id ? a->call_id : NULL);
		pgp_long(&p, a->pages_sent);
		pgp_long(&p, a->bytes);
		pgp_text(&p, a->resolution && *a->resolution ? a->resolution : NULL);
		pgp_long(&p, a->bit_rate);
		pgp_long(&p, a->ecm);
		pgp_text(&p, a->outcome);
		pgp_text(&p, a->status);
		pgp_text(&p, a->error_code);
		pgp_text(&p, a->error_text);
		if (pgs_cmd(s, "UPDATE attempts SET ended_at = $3, call_id = $4, pages_sent = $5,"
		    " bytes = $6, resolution = $7, bit_rate = $8, ecm = $9, outcome = $10,"
		    " status = $11, error_code = $12, error_text = $13"
		    " WHERE job = $1 AND attempt = $2", &p, NULL, err, errlen) < 0)
			return pgs_rollback(s);
	}
	/* A job put back to wait is due again: the dialers' timers know when,
	 * but a host with free lines should hear that its number is free. */
	if (pgs_notify(s, err, errlen) < 0)
		return pgs_rollback(s);
	return pgs_commit(s, err, errlen);
}

int pgs_next_due(store_t *base, long now, long *when, char *err, size_t errlen)
{
	PGresult *r;
	pgp_t p = { 0 };

	pgp_long(&p, now);
	if (!(r = pgs_query((pg_store_t *)base, "SELECT coalesce(least("
	    " (SELECT min(next_attempt_at) FROM jobs WHERE state IN ('queued', 'ready', 'retry_wait')"
	    "  AND next_attempt_at > $1),"
	    " (SELECT min(lease_until) + 1 FROM jobs WHERE state IN ('rendering', 'sending')"
	    "  AND lease_until >= $1),"
	    " (SELECT min(notice_next_at) FROM jobs WHERE notice_due IS NOT NULL"
	    "  AND notice_next_at > $1)), 0)::text", &p, 0, err, errlen)))
		return -1;
	*when = pgs_long(r, 0, 0);
	PQclear(r);
	return 0;
}

int pgs_get_docs(store_t *base, long message, store_doc_data_t **docs, size_t *n,
    char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	PGresult *r;
	pgp_t p = { 0 };
	store_doc_data_t *d;
	int rows;

	*docs = NULL;
	*n = 0;
	pgp_long(&p, message);
	if (!(r = pgs_query(s, "SELECT kind, content_type, coalesce(filename, ''), data FROM documents"
	    " WHERE message = $1 ORDER BY seq", &p, 1, err, errlen)))
		return -1;
	rows = PQntuples(r);
	if ((d = pgs_rows(s, r, sizeof(*d), err, errlen)) == NULL)
		goto oom;	/* its own message below, naming the message */
	for (int i = 0; i < rows; i++) {
		pgs_copy(d[i].kind, sizeof(d[i].kind), r, i, 0);
		pgs_copy(d[i].content_type, sizeof(d[i].content_type), r, i, 1);
		pgs_copy(d[i].filename, sizeof(d[i].filename), r, i, 2);
		if ((d[i].data = pgs_blob(r, i, 3, &d[i].len)) == NULL) {
			store_docs_free(d, (size_t)i);
			goto oom;
		}
	}
	PQclear(r);
	*docs = d;
	*n = (size_t)rows;
	return 0;
oom:
	PQclear(r);
	snprintf(err, errlen, "store %s: out of memory reading documents of message %ld",
	    s->name, message);
	return -1;
}

int pgs_get_render(store_t *base, long message, unsigned char **data, size_t *len,
    unsigned *pages, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	PGresult *r;
	pgp_t p = { 0 };

	*data = NULL;
	*len = 0;
	pgp_long(&p, message);
	if (!(r = pgs_query(s, "SELECT data, pages::text FROM renders WHERE message = $1",
	    &p, 1, err, errlen)))
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	*pages = (unsigned)pgs_long(r, 0, 1);
	*data = pgs_blob(r, 0, 0, len);
	PQclear(r);
	if (!*data) {
		snprintf(err, errlen, "store %s: out of memory reading a render", s->name);
		return -1;
	}
	return 1;
}

int pgs_put_render(store_t *base, long message, const void *data, size_t len,
    unsigned pages, const char *resolution, char *err, size_t errlen)
{
	pg_store_t *s = (pg_store_t *)base;
	pgp_t p = { 0 };

	pgp_long(&p, message);
	pgp_long(&p, (long)pages);
	pgp_text(&p, resolution);
	pgp_blob(&p, data, len);
	if (pgs_exec(s, "BEGIN", err, errlen) < 0)
		return -1;
	/* The first render wins: every job and host must send the same pages. */
	if (pgs_cmd(s, "INSERT INTO renders (message, pages, resolution, data, created_at)"
	    " VALUES ($1, $2, $3, $4, extract(epoch FROM now())::bigint)"
	    " ON CONFLICT (message) DO NOTHING", &p, NULL, err, errlen) < 0)
		return pgs_rollback(s);
	p.n = 1;
	if (pgs_cmd(s, "UPDATE jobs SET pages_total = (SELECT pages FROM renders WHERE message = $1)"
	    " WHERE message = $1", &p, NULL, err, errlen) < 0)
		return pgs_rollback(s);
	return pgs_commit(s, err, errlen);
}

int pgs_dest_get(store_t *base, const char *number, int *ecm, char *modems,
    size_t mlen, char *err, size_t errlen)
{
	PGresult *r;
	pgp_t p = { 0 };
	int found;

	pgp_text(&p, number);
	if (!(r = pgs_query((pg_store_t *)base, "SELECT ecm::text, modems FROM destinations"
	    " WHERE number = $1 AND updated_at > 0", &p, 0, err, errlen)))
		return -1;
	if ((found = PQntuples(r) > 0)) {
		*ecm = (int)pgs_long(r, 0, 0);
		pgs_copy(modems, mlen, r, 0, 1);
	}
	PQclear(r);
	return found;
}

int pgs_dest_set(store_t *base, const char *number, int ecm, const char *modems,
    long now, char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_text(&p, number);
	pgp_long(&p, ecm);
	pgp_text(&p, modems);
	pgp_long(&p, now);
	return pgs_cmd((pg_store_t *)base, "INSERT INTO destinations (number, ecm, modems, updated_at)"
	    " VALUES ($1, $2, $3, $4) ON CONFLICT (number) DO UPDATE SET ecm = $2,"
	    " modems = $3, updated_at = $4", &p, NULL, err, errlen);
}

int pgs_dest_get_t38(store_t *base, const char *number, int *t38, char *err, size_t errlen)
{
	PGresult *r;
	pgp_t p = { 0 };

	*t38 = -1;
	pgp_text(&p, number);
	if (!(r = pgs_query((pg_store_t *)base, "SELECT t38::text FROM destinations WHERE number = $1"
	    " AND t38 IS NOT NULL", &p, 0, err, errlen)))
		return -1;
	if (PQntuples(r) > 0)
		*t38 = (int)pgs_long(r, 0, 0);
	PQclear(r);
	return 0;
}

int pgs_dest_set_t38(store_t *base, const char *number, int t38, long now,
    char *err, size_t errlen)
{
	pgp_t p = { 0 };

	pgp_text(&p, number);
	if (t38 < 0)
		pgp_text(&p, NULL);
	else
		pgp_long(&p, t38 ? 1 : 0);
	pgp_long(&p, now);
	/* updated_at 0: a row made for T.38 alone is not "seen" by dest_get. */
	return pgs_cmd((pg_store_t *)base, "INSERT INTO destinations (number, updated_at, t38,"
	    " t38_updated_at) VALUES ($1, 0, $2, $3) ON CONFLICT (number) DO UPDATE SET t38 = $2,"
	    " t38_updated_at = $3", &p, NULL, err, errlen);
}
