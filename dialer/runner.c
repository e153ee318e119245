/*
 * runner.c - claim jobs, render, call, record; see runner.h.
 *
 * Everything here runs on the dialer's one libuv loop. Blocking work is
 * elsewhere: rendering in libuv's thread pool (Ghostscript as a child of
 * the worker), the fax itself inside the channel driver, notices in
 * sendmail children. The store calls are short SQLite transactions; the
 * two that come while calls are running, the lease renewal and the pages
 * confirmed, are committed by bgwrite(3) on a thread of its own, so a slow
 * fsync does not stall the media clock. XXX the others (claim, attempt
 * begin and end, received faxes) are still on the loop, between calls
 * of that channel but not of the others.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bgwrite.h"
#include "chan.h"
#include "chan_sim.h"
#include "chan_sip.h"
#include "fileio.h"
#include "log.h"
#include "notice.h"
#include "notices.h"
#include "onramp.h"
#include "renderjob.h"
#include "runner.h"
#include "store.h"
#include "t30.h"
#include "wake.h"

#define CLAIM_BATCH 64

typedef struct slot {
	struct runner *r;
	chan_t *chan;
	int busy;		/* holds a job */
	int in_call;		/* the channel is calling */
	int rendering;		/* its render runs in the thread pool */
	store_job_t job;
	int attempt, first_page;
	long started;
	char channel[32];
	char tiff[4200];
	/* rendering in the thread pool */
	uv_work_t work;
	const config_t *render_cf;	/* the configuration the render started with */
	char errbuf[600];
	int exit_status;
} slot_t;

struct runner {
	uv_loop_t *loop;
	const config_t *cf;
	store_t *st;
	bgwrite_t *bg;		/* lease renewals and pages confirmed */
	char owner[160];
	slot_t *slots;
	size_t nslots;
	chan_sim_config_t sim;	/* shared by the sim channels: call counters */
	sipline_t *sip;		/* driver sip: the SIP agent, incoming calls */
	notices_t *notices;
	uv_timer_t kick_timer, due_timer, lease_timer;
	int stopping;
	void (*stop_done)(void *);
	void *stop_arg;
	int closing_handles;
	atomic_uint nbusy;	/* slots holding a job, for runner_channels */
};

static void job_call(slot_t *s);
static void do_kick(uv_timer_t *t);

/* set_busy - a slot takes or leaves a job; keeps the count other threads read */
static void set_busy(slot_t *s, int busy)
{
	if (busy && !s->busy)
		atomic_fetch_add_explicit(&s->r->nbusy, 1, memory_order_relaxed);
	else if (!busy && s->busy)
		atomic_fetch_sub_explicit(&s->r->nbusy, 1, memory_order_relaxed);
	s->busy = busy;
}

/* dtmf_of - the /DTMF=digits qualifier of a fax address (an onramp
 * gateway's DTMF address, sent after the answer) into buf, "" if none */
static void dtmf_of(const char *qualifiers, char *buf, size_t size)
{
	const char *q = qualifiers;

	buf[0] = '\0';
	while (q && (q = strchr(q, '/')) != NULL) {
		q++;
		if (strncasecmp(q, "DTMF=", 5) == 0) {
			size_t n = strcspn(q + 5, "/");
			snprintf(buf, size, "%.*s", (int)n, q + 5);
			return;
		}
	}
}

/* modems_of - the SpanDSP modem set for the fastest family a destination takes */
static int modems_of(const char *name)
{
	if (strcmp(name, "v27ter") == 0)
		return T30_EP_V27TER;
	if (strcmp(name, "v29") == 0)
		return T30_EP_V29 | T30_EP_V27TER;
	return T30_EP_V17 | T30_EP_V29 | T30_EP_V27TER;
}

/* now_s - the time in seconds */
static long now_s(void)
{
	return (long)time(NULL);
}

/* contains_word - does a comma list (NOTIFY) contain word? */
static int contains_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; p && *p; p += strcspn(p, ","), p += *p == ',') {
		if (strncasecmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/* retry_interval - seconds to wait after a recoverable outcome */
static unsigned retry_interval(const config_t *cf, const fax_result_t *res)
{
	if (strcmp(res->error_code, "Q850:17") == 0)
		return cf->retry_busy;
	if (strcmp(res->error_code, "Q850:18") == 0 || strcmp(res->error_code, "Q850:19") == 0)
		return cf->retry_no_answer;
	if (strcmp(res->error_code, "Q850:34") == 0)
		return cf->retry_congestion;
	if (strncmp(res->error_code, "T30_", 4) == 0)
		return cf->retry_dropped;
	return cf->retry_error;
}

/* notice_for - which notice the sender asked for, given the job's new state */
static const char *notice_for(const runner_t *r, const store_job_t *j, const char *action)
{
	const char *notify = j->notify[0] ? j->notify : NULL;

	if (strcmp(action, "delayed") == 0) {
		/* "delayed" is optional (RFC 3461 5.2.5): sent when asked for,
		 * or when NOTIFY is absent and [notices] delayed is on. */
		if (notify)
			return contains_word(notify, "DELAY") ? "delayed" : NULL;
		return r->cf->delayed ? "delayed" : NULL;
	}
	return notice_wanted(notify, action) ? action : NULL;
}

/* slot_free - the slot's job is over; look for more work */
static void slot_free(slot_t *s)
{
	set_busy(s, 0);
	s->in_call = s->rendering = 0;
	runner_kick(s->r);
	notices_kick(s->r->notices);
	if (s->r->stopping && s->r->stop_done)
		runner_stop(s->r, s->r->stop_done, s->r->stop_arg);
}

/* job_end - record the outcome of a call (res) or of a render failure */
static void job_end(slot_t *s, const fax_result_t *res, int was_call)
{
	runner_t *r = s->r;
	store_job_t *j = &s->job;
	long now = now_s();
	char err[512];
	int pages = s->first_page - 1 + (res->pages_sent > 0 ? res->pages_sent : 0);
	const char *outcome = res->cls == FAX_OK ? "ok" : res->cls == FAX_RETRY ? "retry" : "final";
	store_job_update_t u = { .pages_confirmed = pages, .pages_total = j->pages_total,
		.status = res->status, .diagnostic = res->diag };
	store_attempt_t a = { .attempt = s->attempt, .ended_at = now, .call_id = res->call_id,
		.pages_sent = res->pages_sent, .bytes = res->bytes, .resolution = res->resolution,
		.bit_rate = res->bit_rate, .ecm = res->ecm, .outcome = outcome,
		.status = res->status, .error_code = res->error_code, .error_text = res->error_text };

	bgwrite_forget(r->bg, j->id);	/* this end records the pages */
	if (res->cls == FAX_OK) {
		u.state = "done";
		if (j->pages_total > 0)
			u.pages_confirmed = j->pages_total;
		u.notice_due = notice_for(r, j, "delivered");
	} else if (res->cls == FAX_RETRY && r->stopping) {
		/* Handed back at shutdown: not the destination's fault. */
		u.state = "retry_wait";
		u.next_attempt_at = now;
	} else if (res->cls == FAX_RETRY && s->attempt < (int)r->cf->max_attempts) {
		u.state = "retry_wait";
		u.next_attempt_at = now + (long)retry_interval(r->cf, res);
		if (s->attempt == 1)
			u.notice_due = notice_for(r, j, "delayed");
	} else {
		u.state = "failed";
		u.notice_due = notice_for(r, j, "failed");
	}
	if (was_call && res->t38 >= 0 &&
	    store_dest_set_t38(r->st, j->number, res->t38, now, err, sizeof(err)) < 0)
		log_msg(LOG_ERR, "job=%ld: status=store_error, reason=\"%s\"", j->id, err);
	if (was_call && res->fallback_hint) {
		/* Remember what this destination needs: ECM off first, then
		 * slower modems, so later attempts (and later jobs) start there. */
		int ecm = 1;
		char modems[16] = "v17";
		if (store_dest_get(r->st, j->number, &ecm, modems, sizeof(modems), err, sizeof(err)) <= 0)
			ecm = r->cf->ecm, strcpy(modems, "v17");
		if (ecm)
			ecm = 0;
		else if (strcmp(modems, "v17") == 0)
			strcpy(modems, "v29");
		else
			strcpy(modems, "v27ter");
		if (store_dest_set(r->st, j->number, ecm, modems, now, err, sizeof(err)) < 0)
			log_msg(LOG_ERR, "job=%ld: status=store_error, reason=\"%s\"", j->id, err);
	}
	if (store_attempt_end(r->st, j->id, r->owner, was_call ? &a : NULL, &u, err, sizeof(err)) < 0)
		log_msg(LOG_ERR, "job=%ld: status=store_error, reason=\"%s\"", j->id, err);
	char qe[400];
	log_quote(qe, sizeof(qe), res->error_text);
	log_msg(LOG_INFO, "job=%ld: attempt=%d, number=%s, dial=%s, channel=%s, pages=%d/%d, outcome=%s,"
	    " state=%s, status=%s, error=%s, text=\"%s\"%s", j->id, s->attempt, j->number, j->dial,
	    s->channel, u.pages_confirmed, j->pages_total, outcome, u.state, res->status,
	    res->error_code, qe, u.notice_due ? ", notice=due" : "");
	slot_free(s);
}

/* fail_local - end a job without a call (render failure, local trouble) */
static void fail_local(slot_t *s, int permanent, const char *reason)
{
	fax_result_t res;

	memset(&res, 0, sizeof(res));
	/* No call was made, so no attempt row will carry the reason: the
	 * Diagnostic-Code does, and the DSN shows it. */
	if (permanent) {
		res.cls = FAX_FINAL;
		strcpy(res.status, "5.6.1");
		strcpy(res.error_code, "RENDER");
	} else {
		res.cls = FAX_RETRY;
		strcpy(res.status, "4.3.0");
		strcpy(res.error_code, "LOCAL");
	}
	snprintf(res.diag, sizeof(res.diag), "X-Faxgate; %.80s", reason);
	snprintf(res.error_text, sizeof(res.error_text), "%.150s", reason);
	s->attempt = s->job.attempts;	/* no call: the attempt count stands */
	if (!permanent && s->attempt < 1)
		s->attempt = 1;
	job_end(s, &res, 0);
}

static void on_page(void *arg, int pages)
{
	slot_t *s = arg;

	bgwrite_progress(s->r->bg, s->job.id, s->first_page - 1 + pages);
}

static void on_done(void *arg, const fax_result_t *res)
{
	slot_t *s = arg;

	s->in_call = 0;
	job_end(s, res, 1);
}

/* job_call - place the call for the slot's job */
static void job_call(slot_t *s)
{
	runner_t *r = s->r;
	store_job_t *j = &s->job;
	char err[512], modems[16] = "v17";
	int ecm = r->cf->ecm;
	long now = now_s();

	if (r->stopping) {
		fax_result_t res = { .cls = FAX_RETRY };
		strcpy(res.status, "4.3.0");
		strcpy(res.error_code, "STOPPING");
		strcpy(res.error_text, "the dialer is stopping");
		s->attempt = j->attempts;
		job_end(s, &res, 0);
		return;
	}
	s->first_page = j->pages_confirmed + 1;
	if (j->pages_total > 0 && s->first_page > j->pages_total) {
		/* Every page was confirmed before a dialer died: it is done. */
		fax_result_t res = { .cls = FAX_OK, .pages_sent = 0 };
		strcpy(res.status, "2.0.0");
		snprintf(res.diag, sizeof(res.diag), "X-T30; OK, %d pages", j->pages_total);
		strcpy(res.error_code, "OK");
		s->attempt = j->attempts;
		job_end(s, &res, 0);
		return;
	}
	if (store_dest_get(r->st, j->number, &ecm, modems, sizeof(modems), err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, "job=%ld: reason=\"%s\"", j->id, err);
	if (!r->cf->ecm)
		ecm = 0;
	int t38 = -1;
	char dtmf[80];
	dtmf_of(j->qualifiers, dtmf, sizeof(dtmf));
	if (r->sip && store_dest_get_t38(r->st, j->number, &t38, err, sizeof(err)) < 0)
		log_msg(LOG_WARNING, "job=%ld: reason=\"%s\"", j->id, err);
	s->attempt = j->attempts + 1;
	s->started = now;
	store_attempt_t a = { .attempt = s->attempt, .started_at = now, .channel = s->channel,
		.first_page = s->first_page };
	if (store_attempt_begin(r->st, j->id, r->owner, &a, err, sizeof(err)) < 0) {
		/* Lease lost (or the store failed): the job is not ours to call. */
		log_msg(LOG_ERR, "job=%ld: status=not_called, reason=\"%s\"", j->id, err);
		set_busy(s, 0);
		runner_kick(r);
		return;
	}
	chan_call_params_t p = {
		.dial = j->dial, .number = j->number, .tiff = s->tiff, .first_page = s->first_page,
		.ecm = ecm, .modems = modems_of(modems), .fine = r->cf->fine,
		.ident = r->cf->ident, .header = r->cf->page_header, .job_id = j->id,
		.attempt = s->attempt, .t38 = t38, .dtmf = dtmf, .subaddress = j->subaddress,
	};
	s->in_call = 1;
	log_msg(LOG_INFO, "job=%ld: dial=%s, number=%s, attempt=%d, first_page=%d, ecm=%d, modems=%s, channel=%s",
	    j->id, j->dial, j->number, s->attempt, s->first_page, ecm, modems, s->channel);
	if (chan_call(s->chan, &p, on_page, on_done, s, err, sizeof(err)) < 0) {
		s->in_call = 0;
		log_msg(LOG_ERR, "job=%ld: status=channel_error, reason=\"%s\"", j->id, err);
		fax_result_t res = { .cls = FAX_RETRY };
		strcpy(res.status, "4.3.0");
		strcpy(res.error_code, "CHANNEL");
		snprintf(res.error_text, sizeof(res.error_text), "%.150s", err);
		job_end(s, &res, 1);
	}
}

/* render_work - in the thread pool: make sure the fax is rendered */
static void render_work(uv_work_t *w)
{
	slot_t *s = w->data;
	unsigned pages = 0;

	s->errbuf[0] = '\0';
	s->exit_status = renderjob_do(s->render_cf, s->job.message, &pages, s->errbuf,
	    sizeof(s->errbuf));
}

/* render_done - back on the loop: call, or end the job */
static void render_done(uv_work_t *w, int status)
{
	slot_t *s = w->data;

	s->rendering = 0;
	if (status == UV_ECANCELED) {
		s->exit_status = RENDERJOB_TEMP;
		snprintf(s->errbuf, sizeof(s->errbuf), "rendering was cancelled (the dialer is stopping)");
	}
	s->errbuf[strcspn(s->errbuf, "\n")] = '\0';
	if (s->exit_status == RENDERJOB_OK) {
		job_call(s);	/* the attempt's start moves the job to "sending" */
	} else if (s->exit_status == RENDERJOB_BAD) {
		log_msg(LOG_INFO, "job=%ld: render=failed, reason=\"%s\"", s->job.id, s->errbuf);
		fail_local(s, 1, s->errbuf[0] ? s->errbuf : "the document cannot be rendered");
	} else {
		log_msg(LOG_WARNING, "job=%ld: render=deferred, reason=\"%s\"", s->job.id, s->errbuf);
		fail_local(s, 0, s->errbuf[0] ? s->errbuf : "rendering failed, will retry");
	}
}

/*
 * job_render - make sure the message's fax is rendered, then call.
 *
 * In libuv's thread pool: reading the store, writing files and waiting for
 * Ghostscript block, and a child process per job cost more than the fax
 * itself (bench/dialer). Ghostscript still runs as a child of the worker,
 * under its limits. XXX libtiff's error handler is process-global and
 * t30.c routes it to the endpoint being served: a warning from a render
 * could reach that hook from the worker thread (it only records).
 */
static void job_render(slot_t *s)
{
	runner_t *r = s->r;
	int rc;

	renderjob_path(r->cf, s->job.message, s->tiff, sizeof(s->tiff));
	s->render_cf = r->cf;
	s->work.data = s;
	s->rendering = 1;
	if ((rc = uv_queue_work(r->loop, &s->work, render_work, render_done)) != 0) {
		s->rendering = 0;
		log_msg(LOG_ERR, "job=%ld: render=deferred, reason=\"%s\"", s->job.id, uv_strerror(rc));
		fail_local(s, 0, "the renderer could not be started");
	}
}

/* job_start - a claimed job enters a slot */
static void job_start(slot_t *s, const store_job_t *j)
{
	set_busy(s, 1);
	s->job = *j;
	log_msg(LOG_INFO, "job=%ld: claimed, message=%ld, number=%s, attempts=%d, pages_confirmed=%d",
	    j->id, j->message, j->number, j->attempts, j->pages_confirmed);
	/* Always through the thread pool: it reuses the local copy or the
	 * store's render, and keeps every file access off the loop. */
	job_render(s);
}

/* arm_due_timer - wake up when the next job is due, or after poll seconds */
static void arm_due_timer(runner_t *r)
{
	long when = 0, now = now_s();
	uint64_t ms = (uint64_t)r->cf->poll * 1000;
	char err[512];

	if (store_next_due(r->st, now, &when, err, sizeof(err)) < 0)
		log_msg(LOG_ERR, "status=store_error, reason=\"%s\"", err);
	else if (when > 0 && (uint64_t)(when - now) * 1000 < ms)
		ms = (uint64_t)(when - now) * 1000;
	uv_timer_start(&r->due_timer, do_kick, ms, 0);
}

/* do_kick - claim work for the free channels */
static void do_kick(uv_timer_t *t)
{
	runner_t *r = t->data;
	store_job_t jobs[CLAIM_BATCH];
	size_t nfree = 0, n = 0, k = 0;
	long now = now_s();
	char err[512];

	if (r->stopping)
		return;
	for (size_t i = 0; i < r->nslots; i++)
		nfree += !r->slots[i].busy;
	if (nfree > CLAIM_BATCH)
		nfree = CLAIM_BATCH;
	if (nfree && store_claim(r->st, r->owner, now, now + (long)r->cf->lease, nfree,
	    r->cf->calls_per_number, jobs, &n, err, sizeof(err)) < 0)
		log_msg(LOG_ERR, "status=store_error, reason=\"%s\"", err);
	for (size_t i = 0; i < r->nslots && k < n; i++)
		if (!r->slots[i].busy)
			job_start(&r->slots[i], &jobs[k++]);
	arm_due_timer(r);
	notices_kick(r->notices);
}

/* runner_kick - look for work soon (coalesced: many kicks, one claim) */
void runner_kick(runner_t *r)
{
	if (!r->stopping && !uv_is_active((uv_handle_t *)&r->kick_timer))
		uv_timer_start(&r->kick_timer, do_kick, 0, 0);
}

static void on_lease_timer(uv_timer_t *t)
{
	runner_t *r = t->data;

	bgwrite_lease(r->bg, now_s() + (long)r->cf->lease);
}

/* runner_new - see runner.h */
/* on_inbound - store a fax received on the SIP line (durable before the
 * file goes), returns nothing */
static void on_inbound(void *user, const sipline_inbound_t *in)
{
	runner_t *r = user;
	const fax_result_t *res = in->result;
	char err[512];
	unsigned char *data = NULL;
	size_t len = 0;
	long id = 0;
	char masked[128] = "";
	onramp_dtmf_t dt;

	/* Never store a keyed password: the digits go in masked. */
	if (*in->dtmf) {
		if (onramp_parse_dtmf(in->dtmf, &dt, err, sizeof(err)) == 0)
			onramp_format_dtmf(&dt, 1, masked, sizeof(masked));
		else
			snprintf(masked, sizeof(masked), "(%zu digits, not an address)", strlen(in->dtmf));
	}
	if (in->pages > 0 && file_read(in->tiff, 0, &data, &len, err, sizeof(err)) < 0)
		len = 0;	/* logged below, the call is stored without pages */
	/* Direct addressing carries the sender's T.33 subaddress on
	 * (draft-ietf-fax-gateway-protocol 4.2.1): FAX=+N/T33S=SUB@domain. */
	char targets[2048];
	snprintf(targets, sizeof(targets), "%s", in->targets);
	if (*in->subaddress && *in->dtmf && in->dtmf[0] != '*' &&
	    strncasecmp(targets, "FAX=", 4) == 0 && strchr(targets, ' ') == NULL &&
	    strchr(targets, '/') == NULL && strchr(targets, '@') != NULL) {
		char *at = strchr(targets, '@');
		char tail[1024];
		snprintf(tail, sizeof(tail), "%s", at);
		snprintf(at, sizeof(targets) - (size_t)(at - targets), "/T33S=%s%s",
		    in->subaddress, tail);
	}
	store_inbound_t row = {
		.received_at = in->started, .ended_at = in->ended, .channel = in->channel,
		.call_id = in->call_id, .did = in->did, .caller = in->caller,
		.remote_ident = in->remote_ident,
		.transport = *res->transport ? res->transport : NULL,
		.pages = in->pages, .bytes = res->bytes,
		.resolution = *res->resolution ? res->resolution : NULL,
		.bit_rate = res->bit_rate, .ecm = res->ecm,
		.outcome = res->cls == FAX_OK ? "ok" : in->pages > 0 ? "partial" : "failed",
		.status = res->status, .error_code = res->error_code, .error_text = res->error_text,
		.tiff = len ? data : NULL, .tifflen = len,
		.dtmf = *masked ? masked : NULL,
		.targets = *targets ? targets : NULL,
		.decision = *in->decision ? in->decision : NULL,
	};
	if (in->pages > 0 && len == 0)
		log_msg(LOG_ERR, "call=%s: status=store_error, reason=\"cannot read %s\"",
		    in->call_id, in->tiff);
	if (store_inbound_add(r->st, &row, &id, err, sizeof(err)) < 0)
		log_msg(LOG_ERR, "call=%s: status=store_error, reason=\"%s\"", in->call_id, err);
	else {
		log_msg(LOG_INFO, "inbound=%ld: call=%s, did=%s, caller=%s, subaddress=%s, pages=%d, "
		    "outcome=%s, status=%s", id, in->call_id, in->did, in->caller,
		    *in->subaddress ? in->subaddress : "none", in->pages, row.outcome, res->status);
		/* Mail it now rather than at the onramp's next poll (with
		 * PostgreSQL the store also NOTIFYs onramps on other hosts). */
		wake_send(r->cf->onramp_socket);
	}
	free(data);
}

/* admit - an incoming call, before the answer: the DID and the caller */
static int admit(void *user, const char *did, const char *caller, char *why, size_t whylen)
{
	runner_t *r = user;
	onramp_decision_t d;
	char err[512];
	int dtmf;

	if (onramp_decide_early(r->st, did, caller, &d, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "store error: %s", err);
		return SIPLINE_REFUSE;
	}
	if (!d.allowed) {
		snprintf(why, whylen, "%s", d.decision);
		return SIPLINE_REFUSE;
	}
	if ((dtmf = onramp_wants_dtmf(r->st, did, err, sizeof(err))) < 0) {
		snprintf(why, whylen, "store error: %s", err);
		return SIPLINE_REFUSE;
	}
	return dtmf ? SIPLINE_DTMF : SIPLINE_ANSWER;
}

/* after_dtmf - the digits are in: decide now (credentials, address) */
static int after_dtmf(void *user, const char *did, const char *caller, const char *digits,
    const char *end, char *targets, size_t tlen, char *why, size_t whylen)
{
	runner_t *r = user;
	onramp_decision_t d;
	char err[512];

	/* The address must be complete: a caller who stopped keying (or
	 * never began) is refused, not sent to a default. */
	if (strcmp(end, "terminated") != 0) {
		snprintf(why, whylen, "refuse dtmf_timeout: the digits ended with %s", end);
		return 0;
	}
	if (onramp_decide(r->st, did, caller, NULL, digits, now_s(), &d, err, sizeof(err)) < 0) {
		snprintf(why, whylen, "refuse store_error: %s", err);
		return 0;
	}
	snprintf(why, whylen, "%s", d.decision);
	if (!d.allowed)
		return 0;
	snprintf(targets, tlen, "%s", d.targets);
	return 1;
}

runner_t *runner_new(uv_loop_t *loop, const config_t *cf, char *err, size_t errlen)
{
	runner_t *r = calloc(1, sizeof(*r));
	char host[128] = "localhost";

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->loop = loop;
	r->cf = cf;
	atomic_init(&r->nbusy, 0);
	gethostname(host, sizeof(host) - 1);
	snprintf(r->owner, sizeof(r->owner), "%s:%d:%lx", host, (int)getpid(), (unsigned long)random());
	if ((r->st = store_open(cf->store, err, errlen)) == NULL) {
		free(r);
		return NULL;
	}
	if ((r->bg = bgwrite_new(cf->store, r->owner, err, errlen)) == NULL) {
		store_close(r->st);
		free(r);
		return NULL;
	}
	chan_sim_config_init(&r->sim);
	r->sim.mode = strcmp(cf->sim_mode, "audio") == 0 ? CHAN_SIM_AUDIO : CHAN_SIM_T38;
	r->sim.paced = cf->sim_paced;
	r->sim.speed = (int)cf->sim_speed;
	r->sim.outdir = cf->sim_outdir;
	r->sim.ring_timeout = (int)cf->sim_ring_timeout;
	r->sim.call_limit = (int)cf->call_limit;
	if (cf->sim_behaviour && chan_sim_config_add_list(&r->sim, cf->sim_behaviour, err, errlen) < 0) {
		char tmp[512];
		snprintf(tmp, sizeof(tmp), "%s: [sim] behaviour: %s", cf->path, err);
		snprintf(err, errlen, "%s", tmp);
		chan_sim_config_free(&r->sim);
		bgwrite_free(r->bg);
		store_close(r->st);
		free(r);
		return NULL;
	}
	if (strcmp(cf->driver, "sip") == 0 &&
	    (r->sip = sipline_new(loop, cf, on_inbound, r, err, errlen)) == NULL) {
		chan_sim_config_free(&r->sim);
		bgwrite_free(r->bg);
		store_close(r->st);
		free(r);
		return NULL;
	}
	if (r->sip) {
		sipline_hooks_t h = { .admit = admit, .after_dtmf = after_dtmf, .user = r };
		sipline_set_hooks(r->sip, &h);
	}
	r->nslots = cf->channels;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	for (size_t i = 0; r->slots && i < r->nslots; i++) {
		slot_t *s = &r->slots[i];
		s->r = r;
		snprintf(s->channel, sizeof(s->channel), "%s/%zu", r->sip ? "sip" : "sim", i);
		s->chan = r->sip ? chan_sip_new(r->sip) : chan_sim_new(loop, &r->sim);
		if (s->chan == NULL) {
			snprintf(err, errlen, "out of memory making channel %zu", i);
			/* XXX channels made so far are not closed: start-up fails anyway */
			return NULL;
		}
	}
	r->notices = notices_new(loop, r->st, cf);
	uv_timer_init(loop, &r->kick_timer);
	uv_timer_init(loop, &r->due_timer);
	uv_timer_init(loop, &r->lease_timer);
	r->kick_timer.data = r->due_timer.data = r->lease_timer.data = r;
	uv_timer_start(&r->lease_timer, on_lease_timer, (uint64_t)cf->lease * 1000 / 3,
	    (uint64_t)cf->lease * 1000 / 3);
	runner_kick(r);
	return r;
}

/* runner_channels - slots holding a job and slots in all; from any thread */
void runner_channels(runner_t *r, unsigned *busy, unsigned *total)
{
	*busy = atomic_load_explicit(&r->nbusy, memory_order_relaxed);
	*total = (unsigned)r->nslots;
}

/* runner_incoming - incoming calls in progress; from any thread */
unsigned runner_incoming(runner_t *r)
{
	return r->sip ? sipline_incoming(r->sip) : 0;
}

/* runner_reload - new calls use cf */
void runner_reload(runner_t *r, const config_t *cf)
{
	r->cf = cf;
	notices_set_config(r->notices, cf);
	/* XXX the sim line keeps its configuration (and call counters);
	 * channel count and driver changes need a restart. */
	uv_timer_start(&r->lease_timer, on_lease_timer, (uint64_t)cf->lease * 1000 / 3,
	    (uint64_t)cf->lease * 1000 / 3);
	runner_kick(r);
}

static void runner_free(void *arg)
{
	runner_t *r = arg;
	void (*done)(void *) = r->stop_done;
	void *darg = r->stop_arg;

	chan_sim_config_free(&r->sim);
	bgwrite_free(r->bg);
	store_close(r->st);
	free(r->slots);
	free(r);
	done(darg);
}

static void on_runner_closed(uv_handle_t *h)
{
	runner_t *r = h->data;

	if (--r->closing_handles > 0)
		return;
	for (size_t i = 0; i < r->nslots; i++)
		chan_close(r->slots[i].chan);
	if (r->sip)	/* incoming calls end, the SIP agent shuts down */
		sipline_free(r->sip, runner_free, r);
	else
		runner_free(r);
}

/* runner_stop - see runner.h; called again as calls end, until idle */
void runner_stop(runner_t *r, void (*done)(void *), void *arg)
{
	int active = 0;

	if (!r->stopping) {
		r->stopping = 1;
		r->stop_done = done;
		r->stop_arg = arg;
		uv_timer_stop(&r->kick_timer);
		uv_timer_stop(&r->due_timer);
		for (size_t i = 0; i < r->nslots; i++) {
			slot_t *s = &r->slots[i];
			if (s->in_call)
				chan_hangup(s->chan);
			else if (s->rendering)
				uv_cancel((uv_req_t *)&s->work);	/* a running render finishes */
		}
	}
	for (size_t i = 0; i < r->nslots; i++)
		active += r->slots[i].busy;
	if (active || r->closing_handles)
		return;
	notices_close(r->notices);
	r->closing_handles = 3;
	uv_close((uv_handle_t *)&r->kick_timer, on_runner_closed);
	uv_close((uv_handle_t *)&r->due_timer, on_runner_closed);
	uv_close((uv_handle_t *)&r->lease_timer, on_runner_closed);
}
