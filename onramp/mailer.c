/*
 * mailer.c - one received fax at a time, from the store to the MTA; see
 * mailer.h.
 *
 * Everything here is synchronous: faxgate-onramp does nothing else, and a
 * fax is a few hundred kilobytes. The pages pass through files in a
 * private temporary directory because libtiff and tiff2pdf read files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "fileio.h"
#include "log.h"
#include "mail.h"
#include "mailer.h"
#include "onramp.h"
#include "tiffcheck.h"
#include "tiffs.h"

#define BATCH		32
#define FILE_MAX	(256L << 20)	/* a converted fax or its PDF */
#define BACKOFF_MAX	3600

struct mailer {
	store_t *st;
	const config_t *cf;
};

/* The temporary files of one fax. */
typedef struct work {
	char dir[256], in[300], s[300], g4[300], pdf[300];
} work_t;

/* iso - a unix time as 2023-11-14T22:13:20Z ("-" for 0) */
static const char *iso(long t, char *buf, size_t len)
{
	time_t v = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&v, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
	return buf;
}

/* q - v quoted for a log value (static buffers, four in turn) */
static const char *q(const char *v)
{
	static char buf[4][300];
	static int i;

	i = (i + 1) % 4;
	log_quote(buf[i], sizeof(buf[i]), v ? v : "");
	return buf[i];
}

/* work_open - a private directory for one fax's files; 0 or -1 */
static int work_open(work_t *w, char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(w->dir, sizeof(w->dir), "%s/faxgate-onramp.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(w->dir)) {
		snprintf(err, errlen, "temporary directory %s: %s", w->dir, strerror(errno));
		return -1;
	}
	snprintf(w->in, sizeof(w->in), "%s/received.tif", w->dir);
	snprintf(w->s, sizeof(w->s), "%s/profile-s.tif", w->dir);
	snprintf(w->g4, sizeof(w->g4), "%s/g4.tif", w->dir);
	snprintf(w->pdf, sizeof(w->pdf), "%s/fax.pdf", w->dir);
	return 0;
}

/* work_close - remove the files and the directory */
static void work_close(work_t *w)
{
	unlink(w->in);
	unlink(w->s);
	unlink(w->g4);
	unlink(w->pdf);
	rmdir(w->dir);
}

/* put_file - write len bytes to a new file; 0 or -1 */
static int put_file(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t off = 0;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd) == 0 ? 0 : (snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1);
}

/* make_pdf - the pages as a PDF through tiff2pdf; 0 or -1 with why */
static int make_pdf(mailer_t *m, const work_t *w, unsigned char **pdf, size_t *len,
    char *err, size_t errlen)
{
	const char *argv[] = { m->cf->onramp_tiff2pdf, "-o", w->pdf, w->g4, NULL };
	child_result_t r;

	if (child_run(argv, NULL, 0, MAILER_TIMEOUT, &r) != 0) {
		snprintf(err, errlen, "%s failed (exit %d)%s%s", m->cf->onramp_tiff2pdf, r.status,
		    r.message[0] ? ": " : "", r.message);
		return -1;
	}
	if (file_read(w->pdf, FILE_MAX, pdf, len, err, errlen) < 0)
		return -1;
	if (*len < 5 || memcmp(*pdf, "%PDF-", 5) != 0) {
		snprintf(err, errlen, "%s wrote no PDF", m->cf->onramp_tiff2pdf);
		free(*pdf);
		*pdf = NULL;
		return -1;
	}
	return 0;
}

/* give_up - the fax will not be mailed: state "failed" with why */
static mailer_result_t give_up(mailer_t *m, const store_inbound_row_t *r, const char *status,
    const char *why, long now)
{
	char err[512];

	if (store_inbound_mark(m->st, r->id, "failed", why, 0, 0, now, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "inbound=%ld: status=store_error, reason=\"%s\"", r->id, q(err));
		return MAILER_ERROR;
	}
	log_msg(strcmp(status, "refused") == 0 ? LOG_NOTICE : LOG_ERR,
	    "inbound=%ld: status=%s, did=%s, caller=%s, tsi=\"%s\", pages=%d, reason=\"%s\"",
	    r->id, status, q(r->did), q(r->caller), q(r->remote_ident), r->pages, q(why));
	return MAILER_FAILED;
}

/* decide - make sure r has a decision, deciding now if needed; 0 or -1 */
static int decide(mailer_t *m, store_inbound_row_t *r, long now)
{
	onramp_decision_t d;
	char err[512];

	/* A refusal has no targets; an allowed fax needs them. */
	if (r->decision && (r->targets || onramp_decision_allowed(r->decision) == 0))
		return 0;
	if (onramp_decide(m->st, r->did, r->caller, r->remote_ident, r->dtmf, now, &d, err,
	    sizeof(err)) < 0 ||
	    store_inbound_decide(m->st, r->id, d.allowed ? d.targets : NULL, d.decision, err,
	    sizeof(err)) < 0) {
		log_msg(LOG_ERR, "inbound=%ld: status=store_error, reason=\"%s\"", r->id, q(err));
		return -1;
	}
	free(r->targets);
	free(r->decision);
	r->targets = d.allowed ? strdup(d.targets) : NULL;
	r->decision = strdup(d.decision);
	if ((d.allowed && !r->targets) || !r->decision) {
		log_msg(LOG_ERR, "inbound=%ld: status=error, reason=\"out of memory\"", r->id);
		return -1;
	}
	log_msg(LOG_INFO, "inbound=%ld: decided=%s, did=%s, caller=%s, reason=\"%s\"", r->id,
	    d.allowed ? "allow" : "refuse", q(r->did), q(r->caller), q(d.reason));
	return 0;
}

/* inject - hand the mail to the MTA; the child's status, its words in why */
static int inject(mailer_t *m, const store_inbound_row_t *r, const char *text, size_t len,
    char *why, size_t whylen)
{
	const char **argv;
	char *list = strdup(r->targets), *save = NULL;
	size_t a = 0, n = 11;	/* 9 fixed, a target per blank + 1, the NULL */
	child_result_t res;
	char envid[64];

	snprintf(envid, sizeof(envid), "faxgate.inbound.%ld.%ld", r->id, r->received_at);

	for (const char *p = r->targets; *p; p++)
		n += *p == ' ';
	if (!list || (argv = calloc(n, sizeof(*argv))) == NULL) {
		free(list);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	argv[a++] = m->cf->sendmail;
	if (m->cf->sendmail_config[0]) {
		argv[a++] = "-C";
		argv[a++] = m->cf->sendmail_config;
	}
	argv[a++] = "-f";
	argv[a++] = m->cf->onramp_envelope_from;
	/* The envelope id comes back in a delivery report (RFC 3461), so
	 * "faxgatectl inbound bounce" knows which fax a bounce is about. */
	argv[a++] = "-V";
	argv[a++] = envid;
	argv[a++] = "-i";
	/* "--": no recipient can be read as an option, whatever it is. */
	argv[a++] = "--";
	for (char *t = strtok_r(list, " \t", &save); t && a + 1 < n; t = strtok_r(NULL, " \t", &save))
		argv[a++] = t;
	argv[a] = NULL;
	child_run(argv, text, len, MAILER_TIMEOUT, &res);
	if (res.status != 0)
		snprintf(why, whylen, "%s %s%s%s", m->cf->sendmail, res.status < 0 ? "not run" :
		    res.timed_out ? "timed out" : "failed", res.message[0] ? ": " : "", res.message);
	if (res.status > 0 && !res.timed_out)
		snprintf(why + strlen(why), whylen - strlen(why), " (exit %d)", res.status);
	free(argv);
	free(list);
	return res.status;
}

/* injection_failed - re-queue with backoff, or alert and give up */
static mailer_result_t injection_failed(mailer_t *m, const store_inbound_row_t *r,
    const char *why, long now)
{
	unsigned tries = (unsigned)r->mail_tries + 1, retry = m->cf->onramp_retry;
	long delay = retry, cap = retry > BACKOFF_MAX ? retry : BACKOFF_MAX;
	char err[512];

	for (unsigned i = 1; i < tries && delay < cap; i++)
		delay *= 2;
	if (delay > cap)
		delay = cap;
	if (tries >= m->cf->onramp_alert_after) {
		if (store_inbound_mark(m->st, r->id, "failed", why, 0, 1, now, err, sizeof(err)) < 0) {
			log_msg(LOG_ERR, "inbound=%ld: status=store_error, reason=\"%s\"", r->id, q(err));
			return MAILER_ERROR;
		}
		/* RFC 4161 2.5: re-queued, and now the administrator must know. */
		log_msg(LOG_ALERT, "inbound=%ld: status=alert, failures=%u, reason=\"received fax"
		    " not mailed after %u attempts: %s; it is kept in the store (faxgatectl inbound"
		    " retry %ld)\"", r->id, tries, tries, q(why), r->id);
		return MAILER_FAILED;
	}
	if (store_inbound_mark(m->st, r->id, "new", why, now + delay, 1, now, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "inbound=%ld: status=store_error, reason=\"%s\"", r->id, q(err));
		return MAILER_ERROR;
	}
	log_msg(LOG_WARNING, "inbound=%ld: status=deferred, failures=%u, retry_in=%lds, reason=\"%s\"",
	    r->id, tries, delay, q(why));
	return MAILER_RETRY;
}

/* mailed - record and log the mail (the RFC 4161 3.2 fields) */
static mailer_result_t mailed(mailer_t *m, const store_inbound_row_t *r, const mail_fax_t *f,
    size_t size, long now)
{
	char err[512], t1[32], t2[32], t3[32], to[STORE_LIST_MAX + 64];
	size_t o = 0;

	if (store_inbound_mark(m->st, r->id, "mailed", NULL, 0, 0, now, err, sizeof(err)) < 0) {
		/* It went out: the lease will send it again, once more. */
		log_msg(LOG_ERR, "inbound=%ld: status=store_error, reason=\"mailed, but: %s\"", r->id,
		    q(err));
		return MAILER_ERROR;
	}
	for (const char *p = r->targets; *p && o + 4 < sizeof(to);) {
		size_t n = strcspn(p, " \t");
		if (n)
			o += (size_t)snprintf(to + o, sizeof(to) - o, "%s<%.*s>", o ? "," : "", (int)n, p);
		p += n;
		p += strspn(p, " \t");
	}
	to[o < sizeof(to) ? o : sizeof(to) - 1] = '\0';
	log_msg(LOG_INFO, "inbound=%ld: status=mailed, from=<%s>, to=%s, did=%s, caller=%s,"
	    " tsi=\"%s\", start=%s, end=%s, pages=%d, bytes=%ld, resolution=%s, outcome=%s,"
	    " mailed=%s, attempts=%u, message_id=%s, size=%zu", r->id, f->from, to, q(r->did),
	    q(r->caller), q(r->remote_ident), iso(r->received_at, t1, sizeof(t1)),
	    iso(r->ended_at, t2, sizeof(t2)), r->pages, r->bytes,
	    r->resolution ? q(r->resolution) : "-", r->outcome ? r->outcome : "-",
	    iso(now, t3, sizeof(t3)), f->attempt, f->message_id, size);
	return MAILER_MAILED;
}

/* to_offramp - 1 when a recipient in the space-separated list is a fax
 * address (RFC 3192, FAX=...), 0 when not */
static int to_offramp(const char *targets)
{
	for (const char *t = targets; t && *t; ) {
		t += strspn(t, " ");
		if (strncasecmp(t, "FAX=", 4) == 0)
			return 1;
		t += strcspn(t, " ");
	}
	return 0;
}

/* deliver - convert, build and inject a decided, allowed fax */
static mailer_result_t deliver(mailer_t *m, store_inbound_row_t *r, long now)
{
	tiffcheck_limits_t lim = { m->cf->tiff_max_width, m->cf->tiff_max_height,
		m->cf->tiff_max_pages };
	unsigned char *tiff = NULL, *pdf = NULL;
	char err[512], pdf_err[300] = "", from[400], msgid[300], *text = NULL;
	size_t tifflen = 0, pdflen = 0, textlen = 0;
	mailer_result_t res;
	tiffs_info_t info;
	work_t w;
	/* A fax routed on to an offramp (a FAX= recipient) gets the TIFF
	 * only: the offramp faxes every attachment, and a PDF of the same
	 * pages would be sent twice. */
	int want_pdf = m->cf->onramp_pdf && !to_offramp(r->targets);

	if (tiffcheck_mem(r->tiff, r->tifflen, &lim, NULL, err, sizeof(err)) < 0)
		return give_up(m, r, "unconvertible", err, now);
	if (work_open(&w, err, sizeof(err)) < 0) {
		/* Our disk, not the fax: try again later. */
		return injection_failed(m, r, err, now);
	}
	if (put_file(w.in, r->tiff, r->tifflen, err, sizeof(err)) < 0) {
		work_close(&w);
		return injection_failed(m, r, err, now);
	}
	if (tiffs_convert(w.in, w.s, want_pdf ? w.g4 : NULL, &info, err, sizeof(err)) < 0) {
		work_close(&w);
		return give_up(m, r, "unconvertible", err, now);
	}
	if (file_read(w.s, FILE_MAX, &tiff, &tifflen, err, sizeof(err)) < 0) {
		work_close(&w);
		return injection_failed(m, r, err, now);
	}
	if (want_pdf && make_pdf(m, &w, &pdf, &pdflen, pdf_err, sizeof(pdf_err)) < 0)
		log_msg(LOG_WARNING, "inbound=%ld: pdf=none, reason=\"%s\"", r->id, q(pdf_err));
	work_close(&w);

	mail_from(r->caller, m->cf->onramp_domain, m->cf->onramp_from_no_caller, from, sizeof(from));
	snprintf(msgid, sizeof(msgid), "<faxgate.inbound.%ld.%ld@%s>", r->id, r->received_at,
	    m->cf->hostname);
	mail_fax_t f = {
		.id = r->id, .hostname = m->cf->hostname, .from = from, .targets = r->targets,
		.message_id = msgid, .date = now, .did = r->did, .caller = r->caller,
		.tsi = r->remote_ident, .pages = (int)info.pages, .outcome = r->outcome,
		.status = r->status, .error_code = r->error_code, .error_text = r->error_text,
		.received_at = r->received_at, .ended_at = r->ended_at, .bytes = r->bytes,
		.resolution = r->resolution, .attempt = (unsigned)r->mail_tries + 1,
		.tiff = tiff, .tifflen = tifflen, .pdf = pdf, .pdflen = pdflen,
		.pdf_error = m->cf->onramp_pdf && !pdf ? pdf_err : NULL,
	};
	if (mail_build(&f, &text, &textlen, err, sizeof(err)) < 0)
		res = give_up(m, r, "unmailable", err, now);
	else if (inject(m, r, text, textlen, err, sizeof(err)) != 0)
		res = injection_failed(m, r, err, now);
	else
		res = mailed(m, r, &f, textlen, now);
	free(text);
	free(tiff);
	free(pdf);
	return res;
}

/* mailer_one - claim one fax and take it as far as it goes */
mailer_result_t mailer_one(mailer_t *m, long id, long now)
{
	store_inbound_row_t r;
	mailer_result_t res;
	char err[512];
	int rc;

	if ((rc = store_inbound_claim(m->st, id, now, now + MAILER_LEASE, err, sizeof(err))) <= 0) {
		if (rc < 0)
			log_msg(LOG_ERR, "inbound=%ld: status=store_error, reason=\"%s\"", id, q(err));
		return rc < 0 ? MAILER_ERROR : MAILER_SKIPPED;
	}
	if ((rc = store_inbound_get(m->st, id, &r, 1, err, sizeof(err))) <= 0) {
		if (rc < 0)
			log_msg(LOG_ERR, "inbound=%ld: status=store_error, reason=\"%s\"", id, q(err));
		return rc < 0 ? MAILER_ERROR : MAILER_SKIPPED;
	}
	if (decide(m, &r, now) < 0)
		res = MAILER_ERROR;
	else if (onramp_decision_allowed(r.decision) != 1)
		res = give_up(m, &r, "refused", r.decision, now);
	else if (!r.targets || !r.targets[0])
		res = give_up(m, &r, "refused", "allowed, but no recipient was recorded", now);
	else if (!r.tiff)
		res = give_up(m, &r, "no_pages", "no page was received: nothing to mail", now);
	else
		res = deliver(m, &r, now);
	store_inbound_row_free(&r);
	return res;
}

/* mailer_run - everything due, until none is left or *stop; how many, or -1 */
int mailer_run(mailer_t *m, const volatile sig_atomic_t *stop)
{
	long ids[BATCH];
	size_t n;
	int done = 0, progress;
	char err[512];

	do {
		long now = (long)time(NULL);
		progress = 0;
		if (store_inbound_due(m->st, now, ids, BATCH, &n, err, sizeof(err)) < 0) {
			log_msg(LOG_ERR, "status=store_error, reason=\"%s\"", q(err));
			return -1;
		}
		for (size_t i = 0; i < n && !(stop && *stop); i++) {
			mailer_result_t res = mailer_one(m, ids[i], (long)time(NULL));
			if (res == MAILER_ERROR)
				return -1;
			progress += res != MAILER_SKIPPED;
			done += res != MAILER_SKIPPED;
		}
		/* A full batch may have more behind it; a batch of skips does not
		 * (they are someone else's now). */
	} while (n == BATCH && progress && !(stop && *stop));
	return done;
}

/* mailer_new - a mailer on st with cf */
mailer_t *mailer_new(store_t *st, const config_t *cf)
{
	mailer_t *m = calloc(1, sizeof(*m));

	if (m) {
		m->st = st;
		m->cf = cf;
	}
	return m;
}

/* mailer_set_config - use a reloaded configuration from now on */
void mailer_set_config(mailer_t *m, const config_t *cf)
{
	m->cf = cf;
}

/* mailer_free - release it (not the store or the configuration) */
void mailer_free(mailer_t *m)
{
	free(m);
}
