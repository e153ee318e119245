/* store.c - backend selection and dispatch; see store.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"

/* store_open - open the backend named by spec, returns it or NULL */
store_t *store_open(const char *spec, char *err, size_t errlen)
{
	if (strncmp(spec, "sqlite:", 7) == 0)
		return store_sqlite_open(spec + 7, err, errlen);
	if (strncmp(spec, "postgresql:", 11) == 0)
		return store_pg_open(spec + 11, err, errlen);
	if (strchr(spec, ':') == NULL || spec[0] == '/')
		return store_sqlite_open(spec, err, errlen);
	snprintf(err, errlen, "store '%s': unknown backend (want sqlite:PATH or postgresql:DSN)",
	    spec);
	return NULL;
}

/* store_close - close any backend */
void store_close(store_t *st)
{
	if (st)
		st->ops->close(st);
}

/* The rest only dispatch to the backend; store.h documents them. */

int store_submit(store_t *st, const store_msg_t *msg, const store_doc_t *docs,
    size_t ndocs, const store_rcpt_t *rcpts, size_t nrcpts, int *queued,
    char *err, size_t errlen)
{
	store_submission_t one = { msg, docs, ndocs, rcpts, nrcpts, queued };
	return st->ops->submit_batch(st, &one, 1, err, errlen);
}

int store_submit_batch(store_t *st, store_submission_t *subs, size_t n,
    char *err, size_t errlen)
{
	return st->ops->submit_batch(st, subs, n, err, errlen);
}

int store_sender_count(store_t *st, const char *sender, long since,
    long *count, char *err, size_t errlen)
{
	return st->ops->sender_count(st, sender, since, count, err, errlen);
}

int store_claim(store_t *st, const char *owner, long now, long lease_until,
    size_t max, unsigned per_number, store_job_t *jobs, size_t *n, char *err, size_t errlen)
{
	return st->ops->claim(st, owner, now, lease_until, max, per_number, jobs, n, err, errlen);
}

int store_lease_renew(store_t *st, const char *owner, long lease_until,
    char *err, size_t errlen)
{
	return st->ops->lease_renew(st, owner, lease_until, err, errlen);
}

int store_job_progress(store_t *st, long job, const char *owner,
    int pages_confirmed, char *err, size_t errlen)
{
	return st->ops->job_progress(st, job, owner, pages_confirmed, err, errlen);
}

int store_attempt_begin(store_t *st, long job, const char *owner,
    const store_attempt_t *a, char *err, size_t errlen)
{
	return st->ops->attempt_begin(st, job, owner, a, err, errlen);
}

int store_attempt_end(store_t *st, long job, const char *owner,
    const store_attempt_t *a, const store_job_update_t *u, char *err, size_t errlen)
{
	return st->ops->attempt_end(st, job, owner, a, u, err, errlen);
}

int store_next_due(store_t *st, long now, long *when, char *err, size_t errlen)
{
	return st->ops->next_due(st, now, when, err, errlen);
}

int store_get_docs(store_t *st, long message, store_doc_data_t **docs, size_t *n,
    char *err, size_t errlen)
{
	return st->ops->get_docs(st, message, docs, n, err, errlen);
}

void store_docs_free(store_doc_data_t *docs, size_t n)
{
	for (size_t i = 0; docs && i < n; i++)
		free(docs[i].data);
	free(docs);
}

int store_get_render(store_t *st, long message, unsigned char **data, size_t *len,
    unsigned *pages, char *err, size_t errlen)
{
	return st->ops->get_render(st, message, data, len, pages, err, errlen);
}

int store_put_render(store_t *st, long message, const void *data, size_t len,
    unsigned pages, const char *resolution, char *err, size_t errlen)
{
	return st->ops->put_render(st, message, data, len, pages, resolution, err, errlen);
}

int store_dest_get(store_t *st, const char *number, int *ecm, char *modems,
    size_t mlen, char *err, size_t errlen)
{
	return st->ops->dest_get(st, number, ecm, modems, mlen, err, errlen);
}

int store_dest_set(store_t *st, const char *number, int ecm, const char *modems,
    long now, char *err, size_t errlen)
{
	return st->ops->dest_set(st, number, ecm, modems, now, err, errlen);
}

int store_notice_due(store_t *st, long now, int gathered, long *messages,
    size_t max, size_t *n, char *err, size_t errlen)
{
	return st->ops->notice_due(st, now, gathered, messages, max, n, err, errlen);
}

int store_notice_load(store_t *st, long message, long now, int gathered,
    store_message_t *m, store_notice_job_t **jobs, size_t *n, char *err, size_t errlen)
{
	return st->ops->notice_load(st, message, now, gathered, m, jobs, n, err, errlen);
}

void store_message_free(store_message_t *m)
{
	free(m->sender);
	free(m->envid);
	free(m->ret);
	free(m->message_id);
	free(m->subject);
	free(m->queue_id);
	free(m->mdn_to);
	free(m->raw);
	memset(m, 0, sizeof(*m));
}

int store_notice_sent(store_t *st, long message, const long *jobs, size_t n,
    const char *kind, const char *action, const char *message_id, long now,
    char *err, size_t errlen)
{
	return st->ops->notice_sent(st, message, jobs, n, kind, action, message_id, now, err, errlen);
}

int store_notice_retry(store_t *st, const long *jobs, size_t n, long next_at,
    char *err, size_t errlen)
{
	return st->ops->notice_retry(st, jobs, n, next_at, err, errlen);
}

int store_mdn_due(store_t *st, long now, long *jobs, size_t max, size_t *n,
    char *err, size_t errlen)
{
	return st->ops->mdn_due(st, now, jobs, max, n, err, errlen);
}

int store_mdn_load(store_t *st, long job, store_message_t *m, store_notice_job_t *j,
    char *err, size_t errlen)
{
	return st->ops->mdn_load(st, job, m, j, err, errlen);
}

/* Operators (faxgatectl). */

/* store_open_existing - store_open that never creates a store; the store or NULL */
store_t *store_open_existing(const char *spec, char *err, size_t errlen)
{
	const char *path = NULL;
	struct stat sb;

	if (strncmp(spec, "sqlite:", 7) == 0)
		path = spec + 7;
	else if (strchr(spec, ':') == NULL || spec[0] == '/')
		path = spec;
	/* SQLite would quietly create an empty store at a mistyped path. */
	if (path && stat(path, &sb) < 0) {
		snprintf(err, errlen, "store %s: %s", path, strerror(errno));
		return NULL;
	}
	return store_open(spec, err, errlen);
}

int store_job_list(store_t *st, const store_job_filter_t *f, store_job_info_t **jobs,
    size_t *n, char *err, size_t errlen)
{
	return st->ops->job_list(st, f, jobs, n, err, errlen);
}

int store_job_detail(store_t *st, long job, store_job_detail_t *d, char *err, size_t errlen)
{
	return st->ops->job_detail(st, job, d, err, errlen);
}

/* store_job_detail_free - free what store_job_detail filled in */
void store_job_detail_free(store_job_detail_t *d)
{
	store_message_free(&d->msg);
	free(d->docs);
	free(d->attempts);
	free(d->notices);
	memset(d, 0, sizeof(*d));
}

int store_stats(store_t *st, long now, store_stats_t *s, char *err, size_t errlen)
{
	return st->ops->stats(st, now, s, err, errlen);
}

int store_metrics(store_t *st, long now, store_metrics_t *m, char *err, size_t errlen)
{
	if (!st->ops->metrics) {
		snprintf(err, errlen, "this store backend has no metrics");
		return -1;
	}
	return st->ops->metrics(st, now, m, err, errlen);
}

int store_job_change(store_t *st, long job, store_change_t change, long now,
    char *from, size_t fromlen, char *err, size_t errlen)
{
	return st->ops->job_change(st, job, (int)change, now, from, fromlen, err, errlen);
}

/* The one definition of what each operator change applies to and does. */
static const char *const change_retry[] = { "failed", "retry_wait", "held", "cancelled", NULL };
static const char *const change_cancel[] = { "queued", "retry_wait", "held", NULL };
static const char *const change_hold[] = { "queued", "retry_wait", NULL };
static const char *const change_release[] = { "held", NULL };

/* store_change_states - the states a change applies to, NULL-terminated */
const char *const *store_change_states(store_change_t change)
{
	switch (change) {
	case STORE_RETRY: return change_retry;
	case STORE_CANCEL: case STORE_CANCEL_QUIET: return change_cancel;
	case STORE_HOLD: return change_hold;
	case STORE_RELEASE: return change_release;
	}
	return NULL;
}

/* store_change_target - the state a change moves a job to */
const char *store_change_target(store_change_t change)
{
	switch (change) {
	case STORE_RETRY: return "queued";
	case STORE_CANCEL: case STORE_CANCEL_QUIET: return "cancelled";
	case STORE_HOLD: return "held";
	case STORE_RELEASE: return "queued";
	}
	return NULL;
}

/* store_change_name - the operator's word for a change ("retry", ...) */
const char *store_change_name(store_change_t change)
{
	switch (change) {
	case STORE_RETRY: return "retry";
	case STORE_CANCEL: case STORE_CANCEL_QUIET: return "cancel";
	case STORE_HOLD: return "hold";
	case STORE_RELEASE: return "release";
	}
	return NULL;
}

/* The SIP channel: T.38 per destination, received faxes. The values are
 * checked here, for every backend, so a caller learns which field is
 * wrong instead of reading a constraint's text. */

int store_dest_get_t38(store_t *st, const char *number, int *t38, char *err, size_t errlen)
{
	return st->ops->dest_get_t38(st, number, t38, err, errlen);
}

/* store_dest_set_t38 - remember whether a destination takes T.38; 0 or -1 */
int store_dest_set_t38(store_t *st, const char *number, int t38, long now,
    char *err, size_t errlen)
{
	if (!number || !*number) {
		snprintf(err, errlen, "destination T.38: no number");
		return -1;
	}
	if (t38 < -1 || t38 > 1) {
		snprintf(err, errlen, "destination %s: T.38 %d is not -1 (unknown), 0 or 1", number, t38);
		return -1;
	}
	return st->ops->dest_set_t38(st, number, t38, now, err, errlen);
}

/* one_of - 1 if v is NULL or one of the NULL-terminated words */
static int one_of(const char *v, const char *const *words)
{
	for (int i = 0; v && words[i]; i++)
		if (strcmp(v, words[i]) == 0)
			return 1;
	return v == NULL;
}

static int text_ok(const char *v, size_t max, int spaces, int empty);
static int list_ok(const char *v);

/* store_inbound_add - check a received fax and store it durably; 0 or -1 */
int store_inbound_add(store_t *st, const store_inbound_t *in, long *id,
    char *err, size_t errlen)
{
	static const char *const outcomes[] = { "ok", "partial", "failed", NULL };
	static const char *const transports[] = { "t38", "t38-dtls", "g711", "sim", NULL };

	if (in->received_at <= 0)
		snprintf(err, errlen, "inbound fax: received_at %ld is not a time", in->received_at);
	else if (!one_of(in->outcome, outcomes))
		snprintf(err, errlen, "inbound fax: outcome '%s' is not ok, partial or failed",
		    in->outcome);
	else if (!one_of(in->transport, transports))
		snprintf(err, errlen, "inbound fax: transport '%s' is not t38, t38-dtls, g711 or sim",
		    in->transport);
	else if (in->pages < 0 || in->bytes < 0)
		snprintf(err, errlen, "inbound fax: %d pages, %ld bytes: not a count", in->pages,
		    in->bytes);
	else if (!in->tiff && in->tifflen)
		snprintf(err, errlen, "inbound fax: a TIFF of %zu bytes without its data", in->tifflen);
	else if (in->targets && !list_ok(in->targets))
		snprintf(err, errlen, "inbound fax: targets: 1 to %d printable characters",
		    STORE_LIST_MAX - 1);
	else if (in->decision && !text_ok(in->decision, 1024, 1, 0))
		snprintf(err, errlen, "inbound fax: decision: 1 to 1023 printable characters");
	else
		return st->ops->inbound_add(st, in, id, err, errlen);
	return -1;
}

int store_inbound_list(store_t *st, size_t limit, const char *state,
    store_inbound_row_t **rows, size_t *n, char *err, size_t errlen)
{
	return st->ops->inbound_list(st, limit, state, rows, n, err, errlen);
}

int store_inbound_get(store_t *st, long id, store_inbound_row_t *row, int with_tiff,
    char *err, size_t errlen)
{
	return st->ops->inbound_get(st, id, row, with_tiff, err, errlen);
}

/* store_inbound_row_free - free what a row holds (not the row itself) */
void store_inbound_row_free(store_inbound_row_t *r)
{
	char *const strs[] = { r->channel, r->call_id, r->did, r->caller, r->remote_ident,
		r->transport, r->resolution, r->outcome, r->status, r->error_code, r->error_text,
		r->dtmf, r->state, r->targets, r->decision, r->mail_error, r->bounces };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(strs[i]);
	free(r->tiff);
	memset(r, 0, sizeof(*r));
}

/* store_inbound_rows_free - free store_inbound_list's rows and the array */
void store_inbound_rows_free(store_inbound_row_t *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		store_inbound_row_free(&rows[i]);
	free(rows);
}

/*
 * The onramp. The shape of every value is checked here, for every
 * backend, so that a caller learns which field is wrong; the syntax of
 * numbers and addresses is onramp.c's business.
 */

/* text_ok - v is set, shorter than max, printable ASCII (spaces only if
 * spaces), and not empty unless empty; returns 0/1 */
static int text_ok(const char *v, size_t max, int spaces, int empty)
{
	size_t n = 0;

	if (!v)
		return 0;
	for (; v[n]; n++)
		if ((unsigned char)v[n] < 0x20 + !spaces || (unsigned char)v[n] > 0x7e)
			return 0;
	return n < max && (n > 0 || empty);
}

/* bad - write a refusal naming the field, returns -1 */
__attribute__((format(printf, 3, 4)))
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* list_ok - a space-separated list with at least one entry, bounded */
static int list_ok(const char *v)
{
	return text_ok(v, STORE_LIST_MAX, 1, 0) && strspn(v, " ") < strlen(v);
}

int store_did_add(store_t *st, const store_did_t *d, char *err, size_t errlen)
{
	static const char *const policies[] = { "open", "callerid", "credentials",
		"callerid+credentials", NULL };

	if (!text_ok(d->did, STORE_KEY_MAX, 0, 0))
		return bad(err, errlen, "DID '%.40s': 1 to %d printable characters without spaces",
		    d->did, STORE_KEY_MAX - 1);
	if (!list_ok(d->addresses))
		return bad(err, errlen, "DID %s: addresses: 1 to %d printable characters",
		    d->did, STORE_LIST_MAX - 1);
	if (!d->policy[0] || !one_of(d->policy, policies))
		return bad(err, errlen, "DID %s: policy '%.40s' is not open, callerid, credentials"
		    " or callerid+credentials", d->did, d->policy);
	if (d->dtmf != 0 && d->dtmf != 1)
		return bad(err, errlen, "DID %s: dtmf %d is not 0 or 1", d->did, d->dtmf);
	return st->ops->did_add(st, d, err, errlen);
}

int store_did_remove(store_t *st, const char *did, char *err, size_t errlen)
{
	return st->ops->did_remove(st, did, err, errlen);
}

int store_did_list(store_t *st, store_did_t **rows, size_t *n, char *err, size_t errlen)
{
	return st->ops->did_list(st, rows, n, err, errlen);
}

int store_did_get(store_t *st, const char *did, store_did_t *d, char *err, size_t errlen)
{
	return st->ops->did_get(st, did, d, err, errlen);
}

int store_index_add(store_t *st, const store_index_t *x, char *err, size_t errlen)
{
	if (!text_ok(x->idx, STORE_KEY_MAX, 0, 0))
		return bad(err, errlen, "index '%.40s': 1 to %d printable characters without spaces",
		    x->idx, STORE_KEY_MAX - 1);
	if (!list_ok(x->targets))
		return bad(err, errlen, "index %s: targets: 1 to %d printable characters",
		    x->idx, STORE_LIST_MAX - 1);
	return st->ops->index_add(st, x, err, errlen);
}

int store_index_remove(store_t *st, const char *idx, char *err, size_t errlen)
{
	return st->ops->index_remove(st, idx, err, errlen);
}

int store_index_list(store_t *st, store_index_t **rows, size_t *n, char *err, size_t errlen)
{
	return st->ops->index_list(st, rows, n, err, errlen);
}

int store_index_get(store_t *st, const char *idx, store_index_t *x, char *err, size_t errlen)
{
	return st->ops->index_get(st, idx, x, err, errlen);
}

int store_route_add(store_t *st, const store_route_t *r, char *err, size_t errlen)
{
	/* The default route has the empty prefix. */
	if (!text_ok(r->prefix, STORE_KEY_MAX, 0, 1))
		return bad(err, errlen, "route prefix '%.40s': at most %d printable characters"
		    " without spaces", r->prefix, STORE_KEY_MAX - 1);
	if (!text_ok(r->domain, STORE_DOMAIN_MAX, 0, 0))
		return bad(err, errlen, "route %s: domain: 1 to %d printable characters without"
		    " spaces", r->prefix, STORE_DOMAIN_MAX - 1);
	return st->ops->route_add(st, r, err, errlen);
}

int store_route_remove(store_t *st, const char *prefix, char *err, size_t errlen)
{
	return st->ops->route_remove(st, prefix, err, errlen);
}

int store_route_list(store_t *st, store_route_t **rows, size_t *n, char *err, size_t errlen)
{
	return st->ops->route_list(st, rows, n, err, errlen);
}

int store_route_lookup(store_t *st, const char *number, store_route_t *r,
    char *err, size_t errlen)
{
	return st->ops->route_lookup(st, number, r, err, errlen);
}

/* caller_ok - check a caller row; 0 or -1 */
static int caller_ok(const store_caller_t *c, char *err, size_t errlen)
{
	static const char *const kinds[] = { "callerid", "tsi", NULL };

	/* A station ID may hold spaces ("+1 202 555 0100"). */
	if (!text_ok(c->pattern, STORE_PATTERN_MAX, 1, 0))
		return bad(err, errlen, "caller pattern '%.70s': 1 to %d printable characters",
		    c->pattern, STORE_PATTERN_MAX - 1);
	if (!text_ok(c->did, STORE_KEY_MAX, 0, 0))
		return bad(err, errlen, "caller %s: DID '%.40s': 1 to %d printable characters"
		    " without spaces", c->pattern, c->did, STORE_KEY_MAX - 1);
	if (!c->kind[0] || !one_of(c->kind, kinds))
		return bad(err, errlen, "caller %s: kind '%.20s' is not callerid or tsi",
		    c->pattern, c->kind);
	return 0;
}

int store_caller_add(store_t *st, const store_caller_t *c, char *err, size_t errlen)
{
	if (caller_ok(c, err, errlen) < 0)
		return -1;
	return st->ops->caller_add(st, c, err, errlen);
}

int store_caller_remove(store_t *st, const store_caller_t *c, char *err, size_t errlen)
{
	return st->ops->caller_remove(st, c, err, errlen);
}

int store_caller_list(store_t *st, store_caller_t **rows, size_t *n, char *err, size_t errlen)
{
	return st->ops->caller_list(st, rows, n, err, errlen);
}

int store_caller_find(store_t *st, const char *did, const char *kind, store_caller_t **rows,
    size_t *n, char *err, size_t errlen)
{
	return st->ops->caller_find(st, did, kind, rows, n, err, errlen);
}

int store_user_add(store_t *st, const char *name, const store_secret_t *s, long now,
    char *err, size_t errlen)
{
	if (!text_ok(name, STORE_KEY_MAX, 0, 0))
		return bad(err, errlen, "user '%.40s': 1 to %d printable characters without spaces",
		    name ? name : "", STORE_KEY_MAX - 1);
	if (s->saltlen < 8 || s->saltlen > STORE_SECRET_MAX || s->hashlen < 16 ||
	    s->hashlen > STORE_SECRET_MAX || s->iterations < 1)
		return bad(err, errlen, "user %s: a secret needs 8 to %d bytes of salt, 16 to %d"
		    " of hash and an iteration count", name, STORE_SECRET_MAX, STORE_SECRET_MAX);
	return st->ops->user_add(st, name, s, now, err, errlen);
}

int store_user_remove(store_t *st, const char *name, char *err, size_t errlen)
{
	return st->ops->user_remove(st, name, err, errlen);
}

int store_user_list(store_t *st, store_user_t **rows, size_t *n, char *err, size_t errlen)
{
	return st->ops->user_list(st, rows, n, err, errlen);
}

int store_user_get(store_t *st, const char *name, store_secret_t *s, char *err, size_t errlen)
{
	return st->ops->user_get(st, name, s, err, errlen);
}

int store_auth_failure_add(store_t *st, const char *caller, long now, char *err, size_t errlen)
{
	return st->ops->auth_failure_add(st, caller ? caller : "", now, err, errlen);
}

int store_auth_failure_count(store_t *st, const char *caller, long since, long *count,
    char *err, size_t errlen)
{
	return st->ops->auth_failure_count(st, caller ? caller : "", since, count, err, errlen);
}

int store_inbound_due(store_t *st, long now, long *ids, size_t max, size_t *n,
    char *err, size_t errlen)
{
	return st->ops->inbound_due(st, now, ids, max, n, err, errlen);
}

int store_inbound_next_due(store_t *st, long now, long *when, char *err, size_t errlen)
{
	return st->ops->inbound_next_due(st, now, when, err, errlen);
}

int store_inbound_claim(store_t *st, long id, long now, long lease_until,
    char *err, size_t errlen)
{
	return st->ops->inbound_claim(st, id, now, lease_until, err, errlen);
}

int store_inbound_decide(store_t *st, long id, const char *targets, const char *decision,
    char *err, size_t errlen)
{
	if (targets && !list_ok(targets))
		return bad(err, errlen, "inbound fax %ld: targets: 1 to %d printable characters",
		    id, STORE_LIST_MAX - 1);
	if (!text_ok(decision, 1024, 1, 0))
		return bad(err, errlen, "inbound fax %ld: decision: 1 to 1023 printable characters",
		    id);
	return st->ops->inbound_decide(st, id, targets, decision, err, errlen);
}

/* store_inbound_mark - check the new state and record it; 1, 0 or -1 */
int store_inbound_mark(store_t *st, long id, const char *state, const char *error,
    long next_at, int tried, long now, char *err, size_t errlen)
{
	static const char *const states[] = { "new", "mailed", "failed", NULL };

	if (!state || !one_of(state, states))
		return bad(err, errlen, "inbound fax %ld: state '%s' is not new, mailed or failed",
		    id, state ? state : "(null)");
	return st->ops->inbound_mark(st, id, state, error, next_at, tried, now, err, errlen);
}

int store_inbound_requeue(store_t *st, long id, long now, char *from, size_t fromlen,
    char *err, size_t errlen)
{
	return st->ops->inbound_requeue(st, id, now, from, fromlen, err, errlen);
}

int store_inbound_bounce(store_t *st, long id, long received_at, const store_bounce_t *b,
    size_t n, long now, char *err, size_t errlen)
{
	static const char *const actions[] = { "failed", "delayed", "delivered", "relayed",
		"expanded", NULL };

	for (size_t i = 0; i < n; i++) {
		const char *const *a = actions;

		while (*a && strcmp(*a, b[i].action ? b[i].action : "") != 0)
			a++;
		if (!b[i].recipient || !*b[i].recipient || strlen(b[i].recipient) > 512 ||
		    !b[i].status || strlen(b[i].status) > 16 || !*a) {
			snprintf(err, errlen, "bounce of inbound fax %ld: recipient %zu: bad recipient,"
			    " action or status", id, i + 1);
			return -1;
		}
	}
	if (st->ops->inbound_bounce == NULL) {
		snprintf(err, errlen, "this store cannot record bounces");
		return -1;
	}
	return st->ops->inbound_bounce(st, id, received_at, b, n, now, err, errlen);
}
