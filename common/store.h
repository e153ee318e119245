/*
 * NAME
 *	store - the job store: messages, documents, jobs, attempts, notices,
 *	received faxes
 * SYNOPSIS
 *	#include "store.h"
 *	store_t *store_open(const char *spec, char *err, size_t errlen);
 *	void store_close(store_t *st);
 *
 *	Intake (faxgate-milter):
 *	int store_submit(st, msg, docs, ndocs, rcpts, nrcpts, queued, err, errlen);
 *	int store_submit_batch(st, subs, n, err, errlen);
 *	int store_sender_count(st, sender, since, &count, err, errlen);
 *
 *	Dialer:
 *	int store_claim(st, owner, now, lease_until, max, per_number, jobs, &n, err, errlen);
 *	int store_lease_renew(st, owner, lease_until, err, errlen);
 *	int store_job_progress(st, job, owner, pages_confirmed, err, errlen);
 *	int store_attempt_begin(st, job, owner, attempt, err, errlen);
 *	int store_attempt_end(st, job, owner, attempt, update, err, errlen);
 *	int store_next_due(st, now, &when, err, errlen);
 *	int store_get_docs(st, message, &docs, &n, err, errlen);
 *	int store_get_render(st, message, &data, &len, &pages, err, errlen);
 *	int store_put_render(st, message, data, len, pages, resolution, err, errlen);
 *	int store_dest_get(st, number, &ecm, modems, mlen, err, errlen);
 *	int store_dest_set(st, number, ecm, modems, now, err, errlen);
 *	int store_dest_get_t38(st, number, &t38, err, errlen);
 *	int store_dest_set_t38(st, number, t38, now, err, errlen);
 *
 *	Received faxes (the SIP channel; faxgatectl inbound):
 *	int store_inbound_add(st, in, &id, err, errlen);
 *	int store_inbound_list(st, limit, state, &rows, &n, err, errlen);
 *	int store_inbound_get(st, id, &row, with_tiff, err, errlen);
 *	void store_inbound_row_free(row);
 *	void store_inbound_rows_free(rows, n);
 *
 *	Onramp (faxgate-onramp; the dialer at call time; faxgatectl):
 *	int store_did_add(st, did, err, errlen);	and _remove, _list, _get
 *	int store_index_add(st, index, err, errlen);	and _remove, _list, _get
 *	int store_route_add(st, route, err, errlen);	and _remove, _list, _lookup
 *	int store_caller_add(st, caller, err, errlen);	and _remove, _list, _find
 *	int store_user_add(st, name, secret, now, err, errlen); and _remove, _list, _get
 *	int store_auth_failure_add(st, caller, now, err, errlen);
 *	int store_auth_failure_count(st, caller, since, &count, err, errlen);
 *	int store_inbound_due(st, now, ids, max, &n, err, errlen);
 *	int store_inbound_next_due(st, now, &when, err, errlen);
 *	int store_inbound_claim(st, id, now, lease_until, err, errlen);
 *	int store_inbound_decide(st, id, targets, decision, err, errlen);
 *	int store_inbound_mark(st, id, state, error, next_at, tried, now, err, errlen);
 *	int store_inbound_requeue(st, id, now, from, fromlen, err, errlen);
 *	int store_inbound_bounce(st, id, received_at, bounces, n, now, err, errlen);
 *
 *	Notices:
 *	int store_notice_due(st, now, gathered, messages, max, &n, err, errlen);
 *	int store_notice_load(st, message, now, gathered, &msg, &jobs, &n, err, errlen);
 *	int store_notice_sent(st, message, jobs, n, kind, action, msgid, now, err, errlen);
 *	int store_notice_retry(st, jobs, n, next_at, err, errlen);
 *
 *	Metrics (faxgate-dialer's /metrics; see the comment above the type):
 *	int store_metrics(st, now, &m, err, errlen);
 * DESCRIPTION
 *	The store is the only state shared between faxgate processes. spec is
 *	"sqlite:PATH" or a plain PATH, or "postgresql:DSN" (a libpq conninfo
 *	string or URI, for several hosts sharing one store); the backend is
 *	chosen here and hidden behind store_ops_t. store_open
 *	opens (creating if needed) and brings the schema up to date with the
 *	numbered migrations in schema/. A store_t is for one thread at a time.
 *
 *	store_submit stores one message, its documents and one job per fax
 *	recipient in one transaction, committed durably (fsync) before it
 *	returns 0. Jobs whose (dedup_key, number, subaddress) already exist
 *	are not queued again: queued[i] is 1 if recipient i got a new job, 0
 *	for a duplicate. If every recipient is a duplicate nothing is written.
 *	store_submit_batch does the same for n messages in one transaction
 *	and one fsync (group commit), all or nothing.
 *	store_sender_count counts the fax jobs of sender since a unix time.
 *
 *	store_claim takes up to max due jobs for owner, leased until
 *	lease_until: queued or retry_wait jobs whose next attempt is due, and
 *	rendering or sending jobs whose lease ran out (their dialer died).
 *	Never more than per_number jobs of one number under a live lease at
 *	once, counting those of every owner (0: no limit); the longest
 *	waiting go first. Claimed jobs are "rendering".
 *	store_lease_renew extends every lease owner holds. store_job_progress
 *	records the pages confirmed so far, so a dialer that dies resumes at the first
 *	unconfirmed page. store_attempt_begin records a call's start, counts
 *	the attempt on the job and moves it to "sending", if owner still holds
 *	its lease; store_attempt_end records its end
 *	and, in the same transaction, the job's new state, the release of its
 *	lease and the notice now owed. store_next_due gives the earliest time
 *	after now at which a job becomes due or a lease runs out (0: none).
 *
 *	store_get_docs returns a message's documents (free them with
 *	store_docs_free). store_get_render returns 1 and the rendered fax
 *	(malloc'ed) if there is one, 0 if not; store_put_render stores it once
 *	(a second render of the same message is ignored, so every job and
 *	host sends the same pages). store_dest_get returns 1 and what a
 *	destination was last seen to need (ECM, fastest modem), 0 if unknown;
 *	store_dest_set remembers it. store_dest_get_t38 sets *t38 to 1 if the
 *	destination last took T.38, 0 if it refused it (488, or no answer to
 *	the re-INVITE: call it with G.711 at once), -1 if not known.
 *	store_dest_set_t38 remembers that (-1 forgets it); it creates the
 *	destination with the default ECM and modems if there is none (which
 *	store_dest_get then returns), and never changes those of one that
 *	exists.
 *
 *	store_inbound_add stores one fax received from the phone side,
 *	committed durably (fsync) before it returns 0 with its id in *id (id
 *	may be NULL). NULL strings are stored as NULL, except did (NULL is
 *	""); an empty TIFF is stored as none. outcome and transport must be
 *	NULL or one of the values store_inbound_t lists; a wrong one, a
 *	received_at that is not a time, a negative count or a tifflen without
 *	tiff is refused with the field named in err. store_inbound_list
 *	returns up to limit (0: all) received faxes, in state (NULL: any),
 *	newest first, without their TIFF (free with store_inbound_rows_free).
 *	store_inbound_get returns 1 and one of them (with its TIFF if
 *	with_tiff; free with store_inbound_row_free), 0 if there is no such id.
 *
 *	The onramp's tables (see the comment above their types below) are
 *	kept with *_add (insert or replace: 1 if a row was replaced, 0 if
 *	new), *_remove (1 removed, 0 no such row) and *_list (every row,
 *	sorted; free() the array). store_did_get, store_index_get and
 *	store_user_get return 1 and the row with exactly that key, 0 if none.
 *	store_route_lookup returns 1 and the route with the longest prefix
 *	of number (digits; prefix "" is the default), 0 if none matches.
 *	store_caller_find returns the rows of one kind for did or for "*"
 *	(free() the array); matching them is the caller's business.
 *	store_auth_failure_add records a failed credential check of caller
 *	("" when there is no caller ID) and prunes those older than a day;
 *	store_auth_failure_count counts them since a time.
 *	store_inbound_due lists up to max received faxes due for the mailer,
 *	oldest first: state "new" with mail_next_at <= now, and "mailing"
 *	whose lease (mail_next_at) ran out (their mailer died).
 *	store_inbound_next_due gives the earliest time after now at which
 *	one becomes due (0: none), for the mailer's sleep.
 *	store_inbound_claim moves one of them to "mailing" until lease_until
 *	(1), or returns 0 if it is no longer due (another mailer took it, an
 *	operator held it). store_inbound_decide records the onramp's choice
 *	(targets may be NULL for a refusal). store_inbound_mark moves a "new"
 *	or "mailing" fax to state ("new": try again at next_at; "mailed";
 *	"failed"), sets mail_error to error (NULL clears it), counts a
 *	failed injection when tried, and sets mailed_at for "mailed"; 1, or
 *	0 when the fax was in neither state. store_inbound_requeue puts a
 *	"failed" or "held" fax back to "new", due at now, tries cleared (1),
 *	or returns 0 and the current state in from ("" if no such fax).
 *	store_inbound_bounce records what a delivery report said about the
 *	mail of received fax id, one row per recipient in b[0..n-1], and
 *	returns 1; 0 (nothing written) when no fax has that id and
 *	received_at, the pair the mail's envelope id and Message-ID carry,
 *	so a report cannot be filed against a fax by guessing its number.
 *	store_inbound_get's row->bounces lists the failed recipients.
 *
 *	store_notice_due lists messages with a notice due now: in gathered
 *	mode "failed"/"delivered" notices wait until every job of the message
 *	has ended, "delayed" ones go at once. store_notice_load reads the
 *	message and the jobs owing the notice (free with store_message_free
 *	and free()). store_notice_sent clears what was owed and logs the
 *	notice; store_notice_retry postpones it after a failed injection.
 *	A job that fails owes an MDN too (mdn_due) when its message asked
 *	for one (Disposition-Notification-To); store_mdn_due lists such jobs,
 *	store_mdn_load reads one with its message, store_notice_sent with
 *	kind "mdn" clears it and store_notice_retry postpones it.
 * DIAGNOSTICS
 *	-1 with a reason in err. A failed call has written nothing.
 *	When store_open, store_submit or store_submit_batch fail because the
 *	store has no room left (file system full, quota), errno is ENOSPC
 *	on return, so the caller can say so (the milter: 452 4.3.1); a
 *	backend that cannot tell leaves errno as it was.
 */
#ifndef FAXGATE_STORE_H
#define FAXGATE_STORE_H

#include <stddef.h>

typedef struct store_msg {
	const char *dedup_key;	/* "mid:..." or "sha256:..." */
	const char *message_id;	/* may be NULL */
	const char *queue_id;	/* may be NULL */
	const char *sender;	/* "" for the null reverse-path */
	const char *envid;	/* may be NULL */
	const char *ret;	/* "FULL", "HDRS" or NULL */
	const char *client_addr, *auth_user, *subject;	/* may be NULL */
	const char *mdn_to;	/* Disposition-Notification-To, may be NULL */
	long received_at;
	const void *raw;
	size_t rawlen;
} store_msg_t;

typedef struct store_doc {
	const char *kind;	/* "tiff", "pdf", "ps", "text" */
	const char *content_type;
	const char *filename;	/* may be NULL */
	unsigned pages;		/* 0 if unknown */
	const void *data;
	size_t len;
} store_doc_t;

typedef struct store_rcpt {
	const char *recipient;	/* RCPT TO without <> */
	const char *number;	/* +E.164 */
	const char *subaddress;	/* "" if none */
	const char *qualifiers;	/* "" if none */
	const char *dial;	/* rewritten for the trunk */
	const char *domain;
	const char *notify;	/* may be NULL */
	const char *orcpt;	/* decoded, may be NULL */
} store_rcpt_t;

/* A job as the dialer sees it; strings are bounded copies, "" if absent. */
typedef struct store_job {
	long id, message;
	char recipient[320], number[20], subaddress[24], qualifiers[72];
	char dial[64], domain[256], notify[64], orcpt[400], state[16];
	int attempts, pages_confirmed, pages_total;
	long created_at, first_attempt_at, next_attempt_at;
	char status[8], diagnostic[160];
} store_job_t;

/* One call (the RFC 4161 2.6 log fields). */
typedef struct store_attempt {
	int attempt;
	long started_at, ended_at;
	const char *channel, *call_id;
	int first_page, pages_sent;
	long bytes;
	const char *resolution;
	int bit_rate, ecm;
	const char *outcome;	/* "ok", "retry", "final" */
	const char *status, *error_code, *error_text;
} store_attempt_t;

/* The job after a call. */
typedef struct store_job_update {
	const char *state;	/* "done", "failed", "retry_wait" */
	long next_attempt_at;
	int pages_confirmed, pages_total;
	const char *status, *diagnostic;
	const char *notice_due;	/* "failed", "delivered", "delayed" or NULL */
} store_job_update_t;

/* A document, owned by the caller after store_get_docs. */
typedef struct store_doc_data {
	char kind[8], content_type[128], filename[256];
	unsigned char *data;
	size_t len;
} store_doc_data_t;

/* A stored message, owned by the caller (store_message_free). */
typedef struct store_message {
	long id;
	char *sender, *envid, *ret, *message_id, *subject, *queue_id, *mdn_to;
	long received_at;
	unsigned char *raw;
	size_t rawlen;
} store_message_t;

/* A job owing a notice, with its last attempt. */
typedef struct store_notice_job {
	store_job_t job;
	char notice_due[12];
	int notice_tries;	/* failed injections so far */
	long last_attempt_at;
	char last_error[160];
} store_notice_job_t;

/* One message of a batch (store_submit_batch); queued as in store_submit. */
typedef struct store_submission {
	const store_msg_t *msg;
	const store_doc_t *docs;
	size_t ndocs;
	const store_rcpt_t *rcpts;
	size_t nrcpts;
	int *queued;
} store_submission_t;

typedef struct store store_t;
/* Operators' types (faxgatectl), defined with their calls further down. */
struct store_job_filter;
struct store_job_info;
struct store_job_detail;
struct store_stats;
struct store_metrics;
struct store_inbound;
struct store_inbound_row;
struct store_bounce;
struct store_did;
struct store_index;
struct store_route;
struct store_caller;
struct store_user;
struct store_secret;

/* What a backend implements; the store_* calls dispatch here. */
typedef struct store_ops {
	int (*submit_batch)(store_t *, store_submission_t *, size_t, char *, size_t);
	int (*sender_count)(store_t *, const char *, long, long *, char *, size_t);
	int (*claim)(store_t *, const char *, long, long, size_t, unsigned, store_job_t *, size_t *,
	    char *, size_t);
	int (*lease_renew)(store_t *, const char *, long, char *, size_t);
	int (*job_progress)(store_t *, long, const char *, int, char *, size_t);
	int (*attempt_begin)(store_t *, long, const char *, const store_attempt_t *, char *, size_t);
	int (*attempt_end)(store_t *, long, const char *, const store_attempt_t *,
	    const store_job_update_t *, char *, size_t);
	int (*next_due)(store_t *, long, long *, char *, size_t);
	int (*get_docs)(store_t *, long, store_doc_data_t **, size_t *, char *, size_t);
	int (*get_render)(store_t *, long, unsigned char **, size_t *, unsigned *, char *, size_t);
	int (*put_render)(store_t *, long, const void *, size_t, unsigned, const char *, char *, size_t);
	int (*dest_get)(store_t *, const char *, int *, char *, size_t, char *, size_t);
	int (*dest_set)(store_t *, const char *, int, const char *, long, char *, size_t);
	int (*notice_due)(store_t *, long, int, long *, size_t, size_t *, char *, size_t);
	int (*notice_load)(store_t *, long, long, int, store_message_t *, store_notice_job_t **,
	    size_t *, char *, size_t);
	int (*notice_sent)(store_t *, long, const long *, size_t, const char *, const char *,
	    const char *, long, char *, size_t);
	int (*notice_retry)(store_t *, const long *, size_t, long, char *, size_t);
	int (*mdn_due)(store_t *, long, long *, size_t, size_t *, char *, size_t);
	int (*mdn_load)(store_t *, long, store_message_t *, store_notice_job_t *, char *, size_t);
	void (*close)(store_t *);
	/* Operators (faxgatectl). */
	int (*job_list)(store_t *, const struct store_job_filter *, struct store_job_info **,
	    size_t *, char *, size_t);
	int (*job_detail)(store_t *, long, struct store_job_detail *, char *, size_t);
	int (*stats)(store_t *, long, struct store_stats *, char *, size_t);
	int (*job_change)(store_t *, long, int, long, char *, size_t, char *, size_t);
	/* The SIP channel: T.38 per destination, received faxes. */
	int (*dest_get_t38)(store_t *, const char *, int *, char *, size_t);
	int (*dest_set_t38)(store_t *, const char *, int, long, char *, size_t);
	int (*inbound_add)(store_t *, const struct store_inbound *, long *, char *, size_t);
	int (*inbound_list)(store_t *, size_t, const char *, struct store_inbound_row **,
	    size_t *, char *, size_t);
	int (*inbound_get)(store_t *, long, struct store_inbound_row *, int, char *, size_t);
	/* The onramp. */
	int (*did_add)(store_t *, const struct store_did *, char *, size_t);
	int (*did_remove)(store_t *, const char *, char *, size_t);
	int (*did_list)(store_t *, struct store_did **, size_t *, char *, size_t);
	int (*did_get)(store_t *, const char *, struct store_did *, char *, size_t);
	int (*index_add)(store_t *, const struct store_index *, char *, size_t);
	int (*index_remove)(store_t *, const char *, char *, size_t);
	int (*index_list)(store_t *, struct store_index **, size_t *, char *, size_t);
	int (*index_get)(store_t *, const char *, struct store_index *, char *, size_t);
	int (*route_add)(store_t *, const struct store_route *, char *, size_t);
	int (*route_remove)(store_t *, const char *, char *, size_t);
	int (*route_list)(store_t *, struct store_route **, size_t *, char *, size_t);
	int (*route_lookup)(store_t *, const char *, struct store_route *, char *, size_t);
	int (*caller_add)(store_t *, const struct store_caller *, char *, size_t);
	int (*caller_remove)(store_t *, const struct store_caller *, char *, size_t);
	int (*caller_list)(store_t *, struct store_caller **, size_t *, char *, size_t);
	int (*caller_find)(store_t *, const char *, const char *, struct store_caller **,
	    size_t *, char *, size_t);
	int (*user_add)(store_t *, const char *, const struct store_secret *, long, char *, size_t);
	int (*user_remove)(store_t *, const char *, char *, size_t);
	int (*user_list)(store_t *, struct store_user **, size_t *, char *, size_t);
	int (*user_get)(store_t *, const char *, struct store_secret *, char *, size_t);
	int (*auth_failure_add)(store_t *, const char *, long, char *, size_t);
	int (*auth_failure_count)(store_t *, const char *, long, long *, char *, size_t);
	int (*inbound_due)(store_t *, long, long *, size_t, size_t *, char *, size_t);
	int (*inbound_next_due)(store_t *, long, long *, char *, size_t);
	int (*inbound_claim)(store_t *, long, long, long, char *, size_t);
	int (*inbound_decide)(store_t *, long, const char *, const char *, char *, size_t);
	int (*inbound_mark)(store_t *, long, const char *, const char *, long, int, long,
	    char *, size_t);
	int (*inbound_requeue)(store_t *, long, long, char *, size_t, char *, size_t);
	int (*inbound_bounce)(store_t *, long, long, const struct store_bounce *, size_t, long,
	    char *, size_t);
	/* Metrics (the dialer's /metrics); NULL: the backend has none. */
	int (*metrics)(store_t *, long, struct store_metrics *, char *, size_t);
} store_ops_t;

struct store {
	const store_ops_t *ops;
};

store_t *store_open(const char *spec, char *err, size_t errlen);
void store_close(store_t *st);

int store_submit(store_t *st, const store_msg_t *msg, const store_doc_t *docs,
    size_t ndocs, const store_rcpt_t *rcpts, size_t nrcpts, int *queued,
    char *err, size_t errlen);
int store_submit_batch(store_t *st, store_submission_t *subs, size_t n,
    char *err, size_t errlen);
int store_sender_count(store_t *st, const char *sender, long since,
    long *count, char *err, size_t errlen);

int store_claim(store_t *st, const char *owner, long now, long lease_until,
    size_t max, unsigned per_number, store_job_t *jobs, size_t *n, char *err, size_t errlen);
int store_lease_renew(store_t *st, const char *owner, long lease_until,
    char *err, size_t errlen);
int store_job_progress(store_t *st, long job, const char *owner,
    int pages_confirmed, char *err, size_t errlen);
int store_attempt_begin(store_t *st, long job, const char *owner,
    const store_attempt_t *a, char *err, size_t errlen);
int store_attempt_end(store_t *st, long job, const char *owner,
    const store_attempt_t *a, const store_job_update_t *u, char *err, size_t errlen);
int store_next_due(store_t *st, long now, long *when, char *err, size_t errlen);
int store_get_docs(store_t *st, long message, store_doc_data_t **docs, size_t *n,
    char *err, size_t errlen);
void store_docs_free(store_doc_data_t *docs, size_t n);
int store_get_render(store_t *st, long message, unsigned char **data, size_t *len,
    unsigned *pages, char *err, size_t errlen);
int store_put_render(store_t *st, long message, const void *data, size_t len,
    unsigned pages, const char *resolution, char *err, size_t errlen);
int store_dest_get(store_t *st, const char *number, int *ecm, char *modems,
    size_t mlen, char *err, size_t errlen);
int store_dest_set(store_t *st, const char *number, int ecm, const char *modems,
    long now, char *err, size_t errlen);
int store_dest_get_t38(store_t *st, const char *number, int *t38, char *err, size_t errlen);
int store_dest_set_t38(store_t *st, const char *number, int t38, long now,
    char *err, size_t errlen);

int store_notice_due(store_t *st, long now, int gathered, long *messages,
    size_t max, size_t *n, char *err, size_t errlen);
int store_notice_load(store_t *st, long message, long now, int gathered,
    store_message_t *m, store_notice_job_t **jobs, size_t *n, char *err, size_t errlen);
void store_message_free(store_message_t *m);
int store_notice_sent(store_t *st, long message, const long *jobs, size_t n,
    const char *kind, const char *action, const char *message_id, long now,
    char *err, size_t errlen);
int store_notice_retry(store_t *st, const long *jobs, size_t n, long next_at,
    char *err, size_t errlen);
int store_mdn_due(store_t *st, long now, long *jobs, size_t max, size_t *n,
    char *err, size_t errlen);
int store_mdn_load(store_t *st, long job, store_message_t *m, store_notice_job_t *j,
    char *err, size_t errlen);

/* Operators (faxgatectl).
 *
 * store_open_existing is store_open for tools: it never creates a store,
 * so a mistyped path is an error instead of a new, empty store.
 *
 * store_job_list returns the jobs matching f, newest first (free() the
 * array). store_job_detail returns 1 and everything about one job (free
 * with store_job_detail_free), 0 if there is no such job.
 * store_stats counts jobs by state (only states that have jobs), and
 * attempts, pages and notices over the day before now and overall.
 *
 * store_job_change applies an operator's change in one transaction that
 * checks the state and writes it, so it cannot race a dialer: it returns
 * 1 and the state before in from, or 0 and the current state in from
 * ("" if there is no such job) when the job is not in one of the states
 * store_change_states lists. RETRY and RELEASE make the job due at now
 * and drop a pending "failed" notice (the job is no longer failed);
 * CANCEL also takes a rendering or sending job whose lease ran out
 * before now (its dialer died: the open attempt is closed as claim
 * would), and owes the sender a "failed" notice in place of a pending
 * "delayed" one, with STORE_CANCEL_STATUS and STORE_CANCEL_DIAG as the
 * job's status and diagnostic: a cancelled fax is one the sender must
 * not wait for (the caller asks for CANCEL_QUIET instead when NOTIFY
 * does not want failures, or the operator wants no report). CANCEL_QUIET
 * only drops a pending "delayed" notice, as any final state does.
 */
typedef struct store_job_filter {
	const char *const *states;	/* NULL-terminated; NULL: any */
	const char *sender;		/* exact, case-insensitive; NULL: any */
	const char *number;		/* +E.164; NULL: any */
	long since, until;		/* created_at >= since, < until; 0: open */
	size_t limit;			/* 0: no limit */
} store_job_filter_t;

/* A job as an operator sees it. Times are unix times, 0 if never. */
typedef struct store_job_info {
	store_job_t job;
	char sender[320];
	long updated_at, last_attempt_at, lease_until, notice_next_at, notice_sent_at;
	char lease_owner[64], notice_due[12];
	int notice_tries, delay_notified;
} store_job_info_t;

typedef struct store_doc_info {
	int seq;
	char kind[8], content_type[128], filename[256];
	unsigned pages;		/* 0 if unknown */
	long size;		/* bytes, decoded */
} store_doc_info_t;

/* One call as logged (RFC 4161 2.6); bit_rate and ecm are -1 if unknown. */
typedef struct store_attempt_info {
	int attempt, first_page, pages_sent, bit_rate, ecm;
	long started_at, ended_at, bytes, notice_at;	/* ended_at 0: in progress */
	char channel[64], call_id[256], resolution[16], outcome[8], status[8];
	char error_code[64], error_text[256];
} store_attempt_info_t;

/* A notice handed to the MTA for a message. */
typedef struct store_notice_info {
	char kind[8], action[16], jobs[256], message_id[256];
	long sent_at;
} store_notice_info_t;

/* Everything about one job; msg.raw is not loaded, msg.rawlen is its size. */
typedef struct store_job_detail {
	store_job_info_t info;
	store_message_t msg;
	char client_addr[64], auth_user[256];
	store_doc_info_t *docs;
	size_t ndocs;
	store_attempt_info_t *attempts;
	size_t nattempts;
	store_notice_info_t *notices;
	size_t nnotices;
} store_job_detail_t;

typedef struct store_period {
	long attempts_ok, attempts_retry, attempts_final, attempts_open;
	long pages_sent, notices;
} store_period_t;

typedef struct store_stats {
	struct store_state_count {
		char state[16];
		long jobs;
	} states[16];
	size_t nstates;
	store_period_t day, all;	/* started (sent) in the 24 h before now; ever */
	long oldest_queued, oldest_queued_at;	/* job id and created_at; 0: none */
} store_stats_t;

typedef enum store_change {
	STORE_RETRY, STORE_CANCEL, STORE_HOLD, STORE_RELEASE,
	STORE_CANCEL_QUIET	/* cancel, owing the sender no report */
} store_change_t;

/* What a cancelled job's failure report says (Status, Diagnostic-Code). */
#define STORE_CANCEL_STATUS	"5.0.0"
#define STORE_CANCEL_DIAG	"X-Faxgate; cancelled by the fax operator"

store_t *store_open_existing(const char *spec, char *err, size_t errlen);
int store_job_list(store_t *st, const store_job_filter_t *f, store_job_info_t **jobs,
    size_t *n, char *err, size_t errlen);
int store_job_detail(store_t *st, long job, store_job_detail_t *d, char *err, size_t errlen);
void store_job_detail_free(store_job_detail_t *d);
int store_stats(store_t *st, long now, store_stats_t *s, char *err, size_t errlen);
int store_job_change(store_t *st, long job, store_change_t change, long now,
    char *from, size_t fromlen, char *err, size_t errlen);
const char *const *store_change_states(store_change_t change);
const char *store_change_target(store_change_t change);
const char *store_change_name(store_change_t change);

/* Metrics (faxgate-dialer's /metrics, common/metrics.h).
 *
 * store_metrics reads in one snapshot what store_stats reads (stats, with
 * the same meaning) and what an operator watches besides: the notices
 * owed and not yet handed to the MTA, and the received faxes by state
 * with their pages. It writes nothing.
 */
typedef struct store_metrics {
	store_stats_t stats;
	long notices_due;		/* jobs owing a DSN (notice_due set) */
	long notices_failing;		/* of those, with a failed injection */
	long mdn_due;			/* jobs owing an MDN */
	struct store_state_count inbound[8];	/* received faxes by state */
	size_t ninbound;
	long pages_received;		/* pages of every received fax */
} store_metrics_t;

int store_metrics(store_t *st, long now, store_metrics_t *m, char *err, size_t errlen);

/* Received faxes (see the top comment). Times are unix times. */
typedef struct store_inbound {
	long received_at;		/* call start, > 0 */
	long ended_at;			/* 0: not known */
	const char *channel, *call_id;	/* "sip/3", the SIP Call-ID */
	const char *did;		/* the number dialled as received; NULL is "" */
	const char *caller;		/* calling number, may be "" */
	const char *remote_ident;	/* the far end's TSI */
	const char *transport;		/* "t38", "t38-dtls", "g711", "sim" */
	int pages;			/* pages received, >= 0 */
	long bytes;			/* >= 0 */
	const char *resolution;		/* e.g. "204x196" */
	int bit_rate;			/* <= 0: not known */
	int ecm;			/* 0, 1, or < 0: not known */
	const char *outcome;		/* "ok", "partial" (pages, then a failure), "failed" */
	const char *status, *error_code, *error_text;	/* status: RFC 3463, "2.0.0" */
	const char *dtmf;		/* digits collected, may be NULL */
	const void *tiff;		/* the pages as a multi-page TIFF; NULL if none */
	size_t tifflen;
	/* What the onramp decided at call time (onramp_decide), or NULL:
	 * faxgate-onramp then decides itself before mailing. */
	const char *targets;		/* space-separated recipients */
	const char *decision;		/* "allow CODE: why" / "refuse CODE: why" */
} store_inbound_t;

/* A received fax as stored. Strings are malloc'ed, NULL for SQL NULL
 * (did and state never are); tifflen is the TIFF's size even when tiff
 * was not loaded (0: no TIFF). */
typedef struct store_inbound_row {
	long id, received_at, ended_at;	/* ended_at 0: not known */
	char *channel, *call_id, *did, *caller, *remote_ident, *transport;
	int pages;
	long bytes;
	char *resolution;
	int bit_rate, ecm;		/* -1: not known */
	char *outcome, *status, *error_code, *error_text, *dtmf, *state;
	unsigned char *tiff;		/* NULL unless loaded and present */
	size_t tifflen;
	char *targets, *decision, *mail_error;	/* the onramp's; NULL if none */
	long mailed_at;			/* 0: not mailed */
	int mail_tries;			/* failed injections */
	long mail_next_at;		/* due ("new"), or lease end ("mailing") */
	char *bounces;			/* "RCPT ACTION STATUS, ..." reported; NULL none */
} store_inbound_row_t;

/* One recipient of a delivery report about the mail of a received fax. */
typedef struct store_bounce {
	const char *recipient;		/* the address */
	const char *action;		/* failed, delayed, delivered, relayed, expanded */
	const char *status;		/* d.d.d */
	const char *diagnostic;		/* NULL or "" none */
	const char *reporting_mta;	/* NULL or "" none */
} store_bounce_t;
#define STORE_BOUNCE_TEXT_MAX 1000	/* diagnostic and MTA are cut to this */

int store_inbound_add(store_t *st, const store_inbound_t *in, long *id,
    char *err, size_t errlen);
int store_inbound_list(store_t *st, size_t limit, const char *state,
    store_inbound_row_t **rows, size_t *n, char *err, size_t errlen);
int store_inbound_get(store_t *st, long id, store_inbound_row_t *row, int with_tiff,
    char *err, size_t errlen);
void store_inbound_row_free(store_inbound_row_t *row);
int store_inbound_bounce(store_t *st, long id, long received_at, const store_bounce_t *b,
    size_t n, long now, char *err, size_t errlen);
void store_inbound_rows_free(store_inbound_row_t *rows, size_t n);

/*
 * The onramp's tables. Values are bounded: a longer one, an empty key, a
 * control character or a space where none belongs is refused with the
 * field named in err (store.c checks, for every backend). Their syntax
 * (digits, addresses) is the onramp's business (onramp.h).
 */
#define STORE_KEY_MAX	32	/* a DID, index, prefix or user name, with its NUL */
#define STORE_LIST_MAX	2048	/* space-separated addresses or targets */
#define STORE_DOMAIN_MAX 256
#define STORE_PATTERN_MAX 64
#define STORE_SECRET_MAX 64	/* salt and hash, bytes */

/* A number faxes are received on. did "*": every DID without a row. */
typedef struct store_did {
	char did[STORE_KEY_MAX];
	char addresses[STORE_LIST_MAX];	/* space-separated mail addresses */
	char policy[24];		/* open, callerid, credentials, callerid+credentials */
	int dtmf;			/* 1: collect DTMF addressing */
} store_did_t;

/* Indirect addressing: an index keyed on the phone and its recipients. */
typedef struct store_index {
	char idx[STORE_KEY_MAX];	/* digits */
	char targets[STORE_LIST_MAX];	/* addresses and +E.164 numbers */
} store_index_t;

/* The offramp for direct fax numbers beginning with prefix ("": default). */
typedef struct store_route {
	char prefix[STORE_KEY_MAX];
	char domain[STORE_DOMAIN_MAX];
} store_route_t;

/* An allowed caller: kind "callerid" or "tsi", for did or "*". */
typedef struct store_caller {
	char pattern[STORE_PATTERN_MAX];	/* '*' any run, '?' one character */
	char did[STORE_KEY_MAX];
	char kind[12];
} store_caller_t;

/* A DTMF user as listed (never the hash). */
typedef struct store_user {
	char name[STORE_KEY_MAX];
	long created_at;
} store_user_t;

/* A password as stored: PBKDF2-HMAC-SHA256(password, salt, iterations). */
typedef struct store_secret {
	unsigned char salt[STORE_SECRET_MAX], hash[STORE_SECRET_MAX];
	size_t saltlen, hashlen;
	unsigned iterations;
} store_secret_t;

int store_did_add(store_t *st, const store_did_t *d, char *err, size_t errlen);
int store_did_remove(store_t *st, const char *did, char *err, size_t errlen);
int store_did_list(store_t *st, store_did_t **rows, size_t *n, char *err, size_t errlen);
int store_did_get(store_t *st, const char *did, store_did_t *d, char *err, size_t errlen);
int store_index_add(store_t *st, const store_index_t *x, char *err, size_t errlen);
int store_index_remove(store_t *st, const char *idx, char *err, size_t errlen);
int store_index_list(store_t *st, store_index_t **rows, size_t *n, char *err, size_t errlen);
int store_index_get(store_t *st, const char *idx, store_index_t *x, char *err, size_t errlen);
int store_route_add(store_t *st, const store_route_t *r, char *err, size_t errlen);
int store_route_remove(store_t *st, const char *prefix, char *err, size_t errlen);
int store_route_list(store_t *st, store_route_t **rows, size_t *n, char *err, size_t errlen);
int store_route_lookup(store_t *st, const char *number, store_route_t *r,
    char *err, size_t errlen);
int store_caller_add(store_t *st, const store_caller_t *c, char *err, size_t errlen);
int store_caller_remove(store_t *st, const store_caller_t *c, char *err, size_t errlen);
int store_caller_list(store_t *st, store_caller_t **rows, size_t *n, char *err, size_t errlen);
int store_caller_find(store_t *st, const char *did, const char *kind, store_caller_t **rows,
    size_t *n, char *err, size_t errlen);
int store_user_add(store_t *st, const char *name, const store_secret_t *s, long now,
    char *err, size_t errlen);
int store_user_remove(store_t *st, const char *name, char *err, size_t errlen);
int store_user_list(store_t *st, store_user_t **rows, size_t *n, char *err, size_t errlen);
int store_user_get(store_t *st, const char *name, store_secret_t *s, char *err, size_t errlen);
int store_auth_failure_add(store_t *st, const char *caller, long now, char *err, size_t errlen);
int store_auth_failure_count(store_t *st, const char *caller, long since, long *count,
    char *err, size_t errlen);
int store_inbound_due(store_t *st, long now, long *ids, size_t max, size_t *n,
    char *err, size_t errlen);
int store_inbound_next_due(store_t *st, long now, long *when, char *err, size_t errlen);
int store_inbound_claim(store_t *st, long id, long now, long lease_until,
    char *err, size_t errlen);
int store_inbound_decide(store_t *st, long id, const char *targets, const char *decision,
    char *err, size_t errlen);
int store_inbound_mark(store_t *st, long id, const char *state, const char *error,
    long next_at, int tried, long now, char *err, size_t errlen);
int store_inbound_requeue(store_t *st, long id, long now, char *from, size_t fromlen,
    char *err, size_t errlen);

/* Backends. */
store_t *store_sqlite_open(const char *path, char *err, size_t errlen);
store_t *store_pg_open(const char *dsn, char *err, size_t errlen);

#endif
