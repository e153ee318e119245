/*
 * filter.c - the milter callbacks; see filter.h.
 *
 * libmilter runs one thread per SMTP connection, so all state lives in the
 * per-connection private data and the configuration is read-only. The
 * order at end of message is what makes the gateway safe: commit the jobs
 * durably first, remove the fax recipients second. A crash between the two
 * leaves the message in the MTA (it retries) and the jobs in the store (the
 * retry is a duplicate and is not queued again), so nothing is lost and
 * nothing is faxed twice.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "counters.h"
#include "faxaddr.h"
#include "filter.h"
#include "intake.h"
#include "log.h"
#include "policy.h"
#include "smime.h"
#include "store.h"
#include "wake.h"
#include "xtext.h"

static const config_t *cf;
static const smime_t *smime;	/* CA store; NULL when no domain requires S/MIME */

/*
 * Group commit. SQLite allows one writer at a time, and each commit costs
 * an fsync. Left to SQLite, concurrent sessions meet its busy handler,
 * which sleeps in steps of up to 100 ms while the lock is already free
 * again (bench/milter: p99 of end-of-message ~1 s). Instead, sessions
 * queue their message here; whoever finds no commit running becomes the
 * committer and writes everything queued in one transaction and one
 * fsync, while the others wait on the condition variable for their
 * result. Other processes (the dialer) still meet the busy handler.
 */
struct pending {
	store_submission_t sub;
	int rc;
	int full;		/* failed for want of space (ENOSPC, store.h) */
	char err[512];
	int done;
	struct pending *next;
};

static pthread_mutex_t commit_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t commit_done = PTHREAD_COND_INITIALIZER;
static struct pending *queue_head, **queue_tail = &queue_head;
static int committing;

#define GROUP_MAX 64

/* One accepted fax recipient of the message at hand. */
struct frcpt {
	char *arg;		/* RCPT TO argument as the MTA gave it, for delrcpt */
	char *addr;		/* without <> */
	faxaddr_t fa;
	char dial[64];
	const char *domain;	/* the config's name for it */
	int smime;		/* its domain requires an S/MIME signature */
	char *notify;
	char *orcpt;
};

/* Per connection; the message part is reset at each MAIL FROM. */
struct conn {
	char client_addr[64];
	store_t *store;
	/* message */
	char *sender;
	char *envid;
	char ret[5];
	char *auth_user;
	struct frcpt *rcpts;
	size_t nrcpts;
	unsigned nother;	/* recipients we let through */
	char *raw;
	size_t rawlen, rawcap, body_off;
	int too_big;
};

/* reply - set an SMTP reply; the text is made safe for libmilter */
__attribute__((format(printf, 4, 5)))
static void reply(SMFICTX *ctx, const char *code, const char *xcode, const char *fmt, ...)
{
	char text[400], safe[800];
	size_t o = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Reply text must be printable ASCII on one line; '%' is special
	 * to the MTA's reply formatting. */
	for (const unsigned char *p = (const unsigned char *)text; *p && o + 3 < sizeof(safe); p++) {
		if (*p == '%')
			safe[o++] = '%', safe[o++] = '%';
		else
			safe[o++] = (*p < 0x20 || *p >= 0x7f) ? '?' : (char)*p;
	}
	safe[o] = '\0';
	smfi_setreply(ctx, (char *)code, (char *)xcode, safe);
}

/* macro - a macro's value or NULL */
static const char *macro(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *)name);
	return v && *v ? v : NULL;
}

/* qid - the queue id for log lines */
static const char *qid(SMFICTX *ctx)
{
	const char *q = macro(ctx, "i");
	return q ? q : "NOQUEUE";
}

/* message_reset - forget the message, keep the connection */
static void message_reset(struct conn *c)
{
	for (size_t i = 0; i < c->nrcpts; i++) {
		free(c->rcpts[i].arg);
		free(c->rcpts[i].addr);
		free(c->rcpts[i].notify);
		free(c->rcpts[i].orcpt);
	}
	free(c->rcpts);
	free(c->sender);
	free(c->envid);
	free(c->auth_user);
	free(c->raw);
	c->rcpts = NULL;
	c->nrcpts = 0;
	c->nother = 0;
	c->sender = c->envid = c->auth_user = c->raw = NULL;
	c->ret[0] = '\0';
	c->rawlen = c->rawcap = c->body_off = 0;
	c->too_big = 0;
}

/* strip_angle - copy of an SMTP path without its <> */
static char *strip_angle(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '<' && s[n - 1] == '>')
		return strndup(s + 1, n - 2);
	return strdup(s);
}

/* conn_store - the connection's store, opened on first use */
static store_t *conn_store(struct conn *c, char *err, size_t errlen)
{
	if (!c->store)
		c->store = store_open(cf->store, err, errlen);
	return c->store;
}

/* store_failed - drop a store handle after an error so the next try reopens */
static void store_failed(struct conn *c)
{
	store_close(c->store);
	c->store = NULL;
}

/* group_submit - commit p with whatever else is queued; 0 or -1 (p->err) */
static int group_submit(struct conn *c, struct pending *p)
{
	pthread_mutex_lock(&commit_lock);
	p->done = 0;
	p->next = NULL;
	*queue_tail = p;
	queue_tail = &p->next;
	while (!p->done) {
		if (committing) {
			pthread_cond_wait(&commit_done, &commit_lock);
			continue;
		}
		/* Become the committer for up to GROUP_MAX queued messages. */
		struct pending *batch = queue_head, *q;
		store_submission_t subs[GROUP_MAX];
		size_t n = 0;
		char err[512];
		for (q = batch; q && n < GROUP_MAX; q = q->next)
			subs[n++] = q->sub;
		queue_head = q;
		if (!queue_head)
			queue_tail = &queue_head;
		committing = 1;
		pthread_mutex_unlock(&commit_lock);

		errno = 0;
		store_t *st = conn_store(c, err, sizeof(err));
		int rc = st ? store_submit_batch(st, subs, n, err, sizeof(err)) : -1;
		int full = rc < 0 && errno == ENOSPC;
		if (rc < 0)
			store_failed(c);

		pthread_mutex_lock(&commit_lock);
		q = batch;
		for (size_t i = 0; i < n; i++, q = q->next) {
			q->rc = rc;
			q->full = full;
			if (rc < 0)
				snprintf(q->err, sizeof(q->err), "%s", err);
			q->done = 1;
		}
		committing = 0;
		pthread_cond_broadcast(&commit_done);
	}
	pthread_mutex_unlock(&commit_lock);
	return p->rc;
}

static sfsistat fg_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	struct conn *c = calloc(1, sizeof(*c));
	const char *addr;

	if (!c)
		return SMFIS_TEMPFAIL;
	/* No socket address means local submission (sendmail(1) through
	 * non_smtpd_milters): treat it as loopback. */
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, c->client_addr, sizeof(c->client_addr));
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, c->client_addr, sizeof(c->client_addr));
	else if ((addr = macro(ctx, "{client_addr}")) != NULL)
		snprintf(c->client_addr, sizeof(c->client_addr), "%s", addr);
	else
		strcpy(c->client_addr, "127.0.0.1");
	smfi_setpriv(ctx, c);
	return SMFIS_CONTINUE;
}

static sfsistat fg_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	const char *auth;

	if (!c)
		return SMFIS_TEMPFAIL;
	message_reset(c);
	c->sender = strip_angle(argv[0]);
	for (int i = 1; argv[i]; i++) {
		if (strncasecmp(argv[i], "RET=", 4) == 0) {
			if (strcasecmp(argv[i] + 4, "FULL") == 0)
				strcpy(c->ret, "FULL");
			else if (strcasecmp(argv[i] + 4, "HDRS") == 0)
				strcpy(c->ret, "HDRS");
		} else if (strncasecmp(argv[i], "ENVID=", 6) == 0) {
			char buf[256];
			if (xtext_decode(argv[i] + 6, buf, sizeof(buf)) >= 0)
				c->envid = strdup(buf);
		}
	}
	auth = macro(ctx, "{auth_authen}");
	if (auth)
		c->auth_user = strdup(auth);
	return SMFIS_CONTINUE;
}

/* rcpt_params - NOTIFY and ORCPT from the RCPT TO parameters */
static void rcpt_params(char **argv, struct frcpt *r)
{
	for (int i = 1; argv[i]; i++) {
		if (strncasecmp(argv[i], "NOTIFY=", 7) == 0) {
			free(r->notify);
			r->notify = strdup(argv[i] + 7);
			for (char *p = r->notify; p && *p; p++)
				*p = (char)toupper((unsigned char)*p);
		} else if (strncasecmp(argv[i], "ORCPT=", 6) == 0) {
			char buf[512];
			if (xtext_decode(argv[i] + 6, buf, sizeof(buf)) >= 0) {
				free(r->orcpt);
				r->orcpt = strdup(buf);
			}
		}
	}
}

static sfsistat fg_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = smfi_getpriv(ctx);
	/* Sized for the longest line an MTA passes (Postfix: 2048), so an
	 * over-long fax address is refused here, not waved through. */
	char local[2100], domain[2100], why[512], quoted[600];
	struct frcpt r;
	const fax_domain_t *fd;
	size_t dl;
	int rc;

	if (!c)
		return SMFIS_TEMPFAIL;
	/* Not ours, or not an address at all: the MTA decides. A trailing
	 * dot still names our domain (MTAs route it there); the parser
	 * then refuses the address. */
	if (faxaddr_split(argv[0], local, sizeof(local), domain, sizeof(domain), why, sizeof(why)) < 0) {
		c->nother++;
		return SMFIS_CONTINUE;
	}
	if ((dl = strlen(domain)) > 1 && domain[dl - 1] == '.')
		domain[dl - 1] = '\0';
	if ((fd = config_fax_domain(cf, domain)) == NULL) {
		c->nother++;
		return SMFIS_CONTINUE;
	}
	log_quote(quoted, sizeof(quoted), argv[0]);
	memset(&r, 0, sizeof(r));
	if (faxaddr_parse(argv[0], &r.fa, why, sizeof(why)) < 0) {
		log_msg(LOG_INFO, "%s: reject=rcpt, rcpt=\"%s\", reply=553, reason=\"%s\"", qid(ctx), quoted, why);
		counters_add(C_RCPT_ADDRESS);
		if (faxaddr_is_fax_local(local))
			reply(ctx, "553", "5.1.3", "Bad fax address syntax: %s", why);
		else
			reply(ctx, "553", "5.1.3", "Not a fax address: use FAX=+<number>@%s", fd->name);
		return SMFIS_REJECT;
	}
	if (c->nrcpts >= cf->max_fax_recipients) {
		log_msg(LOG_INFO, "%s: reject=rcpt, rcpt=\"%s\", reply=452, reason=too_many", qid(ctx), quoted);
		counters_add(C_RCPT_TOO_MANY);
		reply(ctx, "452", "4.5.3", "Too many fax recipients in one message (limit %u)", cf->max_fax_recipients);
		return SMFIS_TEMPFAIL;
	}
	if (policy_sender(cf, c->client_addr, c->auth_user, c->sender, why, sizeof(why)) < 0) {
		log_msg(LOG_INFO, "%s: reject=rcpt, rcpt=\"%s\", reply=550, reason=\"%s\"", qid(ctx), quoted, why);
		reply(ctx, "550", "5.7.1", "Sender not allowed to send faxes: %s", why);
		counters_add(C_RCPT_SENDER);
		return SMFIS_REJECT;
	}
	if (dialplan_check(fd->dialplan, r.fa.number, why, sizeof(why)) != DIALPLAN_ALLOW) {
		log_msg(LOG_INFO, "%s: reject=rcpt, rcpt=\"%s\", reply=550, reason=\"%s\"", qid(ctx), quoted, why);
		reply(ctx, "550", "5.7.1", "Destination %s not allowed by the dial plan (%s)", r.fa.number, why);
		counters_add(C_RCPT_DIALPLAN);
		return SMFIS_REJECT;
	}
	if (cf->rate_per_hour) {
		/* A read: WAL readers need no lock against the writer. */
		store_t *st = conn_store(c, why, sizeof(why));
		rc = st ? policy_rate(cf, st, c->sender, (unsigned)c->nrcpts, (long)time(NULL), why, sizeof(why)) : -1;
		if (rc < 0) {
			store_failed(c);
			log_msg(LOG_ERR, "%s: tempfail=rcpt, rcpt=\"%s\", reply=451, reason=\"%s\"", qid(ctx), quoted, why);
			counters_add(C_RCPT_STORE);
			reply(ctx, "451", "4.3.0", "Fax gateway store unavailable, try again later");
			return SMFIS_TEMPFAIL;
		}
		if (rc > 0) {
			log_msg(LOG_INFO, "%s: reject=rcpt, rcpt=\"%s\", reply=450, reason=rate_limit", qid(ctx), quoted);
			counters_add(C_RCPT_RATE);
			reply(ctx, "450", "4.7.1", "%s", why);
			return SMFIS_TEMPFAIL;
		}
	}
	if (dialplan_rewrite(fd->dialplan, r.fa.number, r.dial, sizeof(r.dial)) < 0) {
		log_msg(LOG_ERR, "%s: reject=rcpt, rcpt=\"%s\", reply=550, reason=\"dial string from [dialplan] rewrite longer than %zu\"",
		    qid(ctx), quoted, sizeof(r.dial) - 1);
		reply(ctx, "550", "5.7.1", "Destination %s not allowed by the dial plan (its rewritten dial string is too long)", r.fa.number);
		counters_add(C_RCPT_DIALPLAN);
		return SMFIS_REJECT;
	}
	struct frcpt *nr = realloc(c->rcpts, (c->nrcpts + 1) * sizeof(*nr));
	if (!nr)
		return SMFIS_TEMPFAIL;
	c->rcpts = nr;
	r.arg = strdup(argv[0]);
	r.addr = strip_angle(argv[0]);
	r.domain = fd->name;
	r.smime = fd->smime_required;
	rcpt_params(argv, &r);
	c->rcpts[c->nrcpts++] = r;
	counters_add(C_RCPT_ACCEPTED);
	return SMFIS_CONTINUE;
}

/* raw_append - add to the collected message; 0, or -1 when over the limit */
static int raw_append(struct conn *c, const char *data, size_t len)
{
	if (c->too_big || c->rawlen + len > cf->max_message_size) {
		c->too_big = 1;
		return -1;
	}
	if (c->rawlen + len + 1 > c->rawcap) {
		size_t cap = c->rawcap ? c->rawcap : 65536;
		while (cap < c->rawlen + len + 1)
			cap *= 2;
		char *n = realloc(c->raw, cap);
		if (!n)
			return -1;
		c->raw = n;
		c->rawcap = cap;
	}
	memcpy(c->raw + c->rawlen, data, len);
	c->rawlen += len;
	c->raw[c->rawlen] = '\0';
	return 0;
}

/* too_big - the 552 reply */
static sfsistat too_big(SMFICTX *ctx)
{
	log_msg(LOG_INFO, "%s: reject=message, reply=552, reason=size, limit=%zu", qid(ctx), cf->max_message_size);
	reply(ctx, "552", "5.3.4", "Message too big for the fax gateway (limit %zu bytes)", cf->max_message_size);
	counters_add(C_MSG_SIZE);
	return SMFIS_REJECT;
}

static sfsistat fg_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = smfi_getpriv(ctx);

	if (!c || c->nrcpts == 0)
		return SMFIS_CONTINUE;
	/* Folded values arrive with bare LF; store CRLF throughout. */
	if (raw_append(c, name, strlen(name)) < 0 || raw_append(c, ": ", 2) < 0)
		return too_big(ctx);
	for (const char *p = value; *p; p++) {
		if (*p == '\n' && (p == value || p[-1] != '\r')) {
			if (raw_append(c, "\r\n", 2) < 0)
				return too_big(ctx);
		} else if (raw_append(c, p, 1) < 0)
			return too_big(ctx);
	}
	if (raw_append(c, "\r\n", 2) < 0)
		return too_big(ctx);
	return SMFIS_CONTINUE;
}

static sfsistat fg_eoh(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (!c)
		return SMFIS_TEMPFAIL;
	if (c->nrcpts == 0)
		return SMFIS_ACCEPT;	/* no fax recipient: nothing for us */
	if (raw_append(c, "\r\n", 2) < 0)
		return too_big(ctx);
	c->body_off = c->rawlen;
	return SMFIS_CONTINUE;
}

static sfsistat fg_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = smfi_getpriv(ctx);

	if (!c)
		return SMFIS_TEMPFAIL;
	if (raw_append(c, (const char *)chunk, len) < 0)
		return too_big(ctx);
	return SMFIS_CONTINUE;
}

/*
 * dedup_key - "mid:<Message-ID>" or "sha256:<hex of the body>".
 *
 * A Message-ID that contains this transaction's queue id was added by the
 * MTA (Postfix and Sendmail both build it from the queue id when the client
 * sent none): it differs on every retry, so it cannot identify a retry.
 * The body stands in for it then.
 */
static void dedup_key(const struct conn *c, const char *message_id,
    const char *queue_id, char *out, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (message_id && *message_id && !(queue_id && strstr(message_id, queue_id))) {
		snprintf(out, len, "mid:%s", message_id);
		return;
	}
	EVP_Digest(c->raw + c->body_off, c->rawlen - c->body_off, md, &mdlen, EVP_sha256(), NULL);
	size_t o = (size_t)snprintf(out, len, "sha256:");
	for (unsigned i = 0; i < mdlen && o + 3 <= len; i++)
		o += (size_t)snprintf(out + o, len - o, "%02x", md[i]);
}

static const char *const kind_names[] = { "", "tiff", "pdf", "ps", "text" };

static const char *const smime_names[] = { "verified", "unsigned", "malformed",
	"bad_signature", "untrusted", "expired", "error" };

/* signer_mismatch - the 550 for a signer who is not addr (what names it) */
static sfsistat signer_mismatch(SMFICTX *ctx, const smime_result_t *res, const char *what, const char *addr)
{
	char why[400], qs[500];

	if (!res->signers || !res->signers[0])
		snprintf(why, sizeof(why), "S/MIME signer certificate names no e-mail address");
	else
		snprintf(why, sizeof(why), "S/MIME signer <%.100s> does not match %s %s%.100s%s",
		    res->signers[0], what, addr ? "<" : "(", addr ? addr : "there is none", addr ? ">" : ")");
	log_quote(qs, sizeof(qs), why);
	log_msg(LOG_INFO, "%s: reject=message, reply=550, status=5.7.1, smime=mismatch, reason=\"%s\"", qid(ctx), qs);
	reply(ctx, "550", "5.7.1", "%s", why);
	return SMFIS_REJECT;
}

/*
 * smime_check - when a fax recipient's domain requires it, verify the
 * message's S/MIME signature and that the signer is the envelope sender
 * (the From: address is checked once intake has read it). Returns
 * SMFIS_CONTINUE with *checked set when res holds the verified message,
 * SMFIS_CONTINUE with *checked 0 when no check is required, or the
 * status of the reply already set.
 */
static sfsistat smime_check(SMFICTX *ctx, struct conn *c, smime_result_t *res, int *checked)
{
	char why[400], qs[500];
	int rc, need = 0;

	*checked = 0;
	for (size_t i = 0; i < c->nrcpts; i++)
		need |= c->rcpts[i].smime;
	if (!need)
		return SMFIS_CONTINUE;
	if (!smime) {
		/* main() loads the CA store whenever a domain requires it. */
		log_msg(LOG_ERR, "%s: tempfail=message, reply=451, reason=\"no S/MIME CA store loaded\"", qid(ctx));
		reply(ctx, "451", "4.3.0", "Fax gateway cannot check signatures now, try again later");
		return SMFIS_TEMPFAIL;
	}
	rc = smime_verify(smime, c->raw, c->rawlen, res, why, sizeof(why));
	log_quote(qs, sizeof(qs), why);
	if (rc == SMIME_ERROR) {
		log_msg(LOG_ERR, "%s: tempfail=message, reply=451, smime=error, reason=\"%s\"", qid(ctx), qs);
		reply(ctx, "451", "4.3.0", "Fax gateway could not check the signature, try again later");
		return SMFIS_TEMPFAIL;
	}
	if (rc != SMIME_OK) {
		log_msg(LOG_INFO, "%s: reject=message, reply=550, status=5.7.1, smime=%s, reason=\"%s\"",
		    qid(ctx), smime_names[rc], qs);
		reply(ctx, "550", "5.7.1", "%s", why);
		return SMFIS_REJECT;
	}
	if (!smime_signer_is(res, c->sender))
		return signer_mismatch(ctx, res, "the envelope sender", c->sender);
	*checked = 1;
	return SMFIS_CONTINUE;
}

static sfsistat fg_eom(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	char err[512], key[600], qs[300];
	intake_limits_t lim;
	intake_t in;
	int rc, *queued = NULL;
	store_doc_t *docs = NULL;
	store_rcpt_t *rcpts = NULL;
	sfsistat ret = SMFIS_TEMPFAIL, sv;
	size_t nnew = 0;
	smime_result_t sres = { 0 };
	int verified;

	if (!c)
		return SMFIS_TEMPFAIL;
	if (c->nrcpts == 0)
		return SMFIS_CONTINUE;
	if (c->too_big)
		return too_big(ctx);
	if ((sv = smime_check(ctx, c, &sres, &verified)) != SMFIS_CONTINUE) {
		smime_result_free(&sres);
		return sv;
	}
	intake_limits_default(&lim);
	lim.max_docs = cf->max_documents;
	lim.tiff.max_pages = cf->tiff_max_pages;
	lim.tiff.max_width = cf->tiff_max_width;
	lim.tiff.max_height = cf->tiff_max_height;
	memset(&in, 0, sizeof(in));
	/* A signed message is faxed as verified: only the signed entity. */
	rc = intake_parse(verified ? sres.content : c->raw, verified ? sres.len : c->rawlen,
	    &lim, &in, err, sizeof(err));
	if (rc == INTAKE_ERROR) {
		log_quote(qs, sizeof(qs), err);
		log_msg(LOG_ERR, "%s: tempfail=message, reply=451, reason=\"%s\"", qid(ctx), qs);
		reply(ctx, "451", "4.3.0", "Fax gateway could not read the message, try again later");
		counters_add(C_MSG_UNREADABLE);
		intake_free(&in);
		smime_result_free(&sres);
		return SMFIS_TEMPFAIL;
	}
	if (rc != INTAKE_OK) {
		const char *xcode = rc == INTAKE_NOFAX ? "5.6.1" : "5.6.0";
		log_quote(qs, sizeof(qs), err);
		log_msg(LOG_INFO, "%s: reject=message, reply=554, status=%s, reason=\"%s\"", qid(ctx), xcode, qs);
		reply(ctx, "554", xcode, "%s", err);
		counters_add(rc == INTAKE_NOFAX ? C_MSG_NOFAX : C_MSG_CONTENT);
		intake_free(&in);
		smime_result_free(&sres);
		return SMFIS_REJECT;
	}
	/* RFC 8550 section 3: the From: address must be the signer's too. */
	if (verified && !smime_signer_is(&sres, in.from)) {
		sv = signer_mismatch(ctx, &sres, "the From: address", in.from);
		intake_free(&in);
		smime_result_free(&sres);
		return sv;
	}
	if (verified) {
		char qsig[300];
		log_quote(qsig, sizeof(qsig), sres.signers[0]);
		log_msg(LOG_INFO, "%s: smime=verified, signer=<%s>", qid(ctx), qsig);
	}
	dedup_key(c, in.message_id, macro(ctx, "i"), key, sizeof(key));
	docs = calloc(in.ndocs ? in.ndocs : 1, sizeof(*docs));
	rcpts = calloc(c->nrcpts, sizeof(*rcpts));
	queued = calloc(c->nrcpts, sizeof(*queued));
	if (!docs || !rcpts || !queued)
		goto out;
	for (size_t i = 0; i < in.ndocs; i++) {
		docs[i].kind = kind_names[in.docs[i].type];
		docs[i].content_type = in.docs[i].content_type;
		docs[i].filename = in.docs[i].filename;
		docs[i].pages = in.docs[i].pages;
		docs[i].data = in.docs[i].data;
		docs[i].len = in.docs[i].len;
	}
	for (size_t i = 0; i < c->nrcpts; i++) {
		struct frcpt *r = &c->rcpts[i];
		rcpts[i] = (store_rcpt_t){ .recipient = r->addr, .number = r->fa.number,
		    .subaddress = r->fa.subaddr, .qualifiers = r->fa.qualifiers,
		    .dial = r->dial, .domain = r->domain, .notify = r->notify, .orcpt = r->orcpt };
	}
	store_msg_t msg = {
		.dedup_key = key, .message_id = in.message_id, .queue_id = macro(ctx, "i"),
		.sender = c->sender, .envid = c->envid, .ret = c->ret[0] ? c->ret : NULL,
		.client_addr = c->client_addr, .auth_user = c->auth_user, .subject = in.subject,
		.mdn_to = in.mdn_to,
		.received_at = (long)time(NULL), .raw = c->raw, .rawlen = c->rawlen,
	};
	struct pending p = { .sub = { &msg, docs, in.ndocs, rcpts, c->nrcpts, queued } };
	/* The commit may wait for the store's lock (busy timeout): say so,
	 * so an operator (and t/43) can tell a slow end-of-message apart. */
	log_msg(LOG_DEBUG, "%s: commit=start, fax_rcpts=%zu, size=%zu", qid(ctx), c->nrcpts, c->rawlen);
	if (group_submit(c, &p) < 0) {
		snprintf(err, sizeof(err), "%s", p.err);
		log_quote(qs, sizeof(qs), err);
		/* RFC 5321 452 / RFC 3463 4.3.1: the client knows it is space. */
		log_msg(LOG_ERR, "%s: tempfail=message, reply=%s, reason=\"%s\"", qid(ctx), p.full ? "452" : "451", qs);
		if (p.full)
			reply(ctx, "452", "4.3.1", "Fax gateway store is full, try again later");
		else
			reply(ctx, "451", "4.3.0", "Fax gateway store unavailable, try again later");
		counters_add(C_MSG_STORE);
		goto out;
	}
	/* Committed. Only now may the fax recipients leave the envelope. */
	for (size_t i = 0; i < c->nrcpts; i++) {
		char qa[300], qsnd[300];
		nnew += (size_t)queued[i];
		log_quote(qa, sizeof(qa), c->rcpts[i].addr);
		log_quote(qsnd, sizeof(qsnd), c->sender);
		log_msg(LOG_INFO, "%s: from=<%s>, fax_rcpt=<%s>, number=%s, subaddress=%s, dial=%s, docs=%zu, size=%zu, %s",
		    qid(ctx), qsnd, qa, c->rcpts[i].fa.number, c->rcpts[i].fa.subaddr[0] ? c->rcpts[i].fa.subaddr : "-",
		    c->rcpts[i].dial, in.ndocs, c->rawlen, queued[i] ? "status=queued" : "status=duplicate");
		if (smfi_delrcpt(ctx, c->rcpts[i].arg) != MI_SUCCESS) {
			/* The jobs are safe; a retry by the client is a duplicate. */
			log_msg(LOG_ERR, "%s: tempfail=message, reply=451, reason=\"delrcpt failed\"", qid(ctx));
			reply(ctx, "451", "4.3.0", "Fax gateway could not update the envelope, try again later");
			counters_add(C_MSG_ENVELOPE);
			goto out;
		}
	}
	counters_add(nnew ? C_MSG_ACCEPTED : C_MSG_DUPLICATE);
	if (nnew)
		wake_send(cf->dialer_socket);
	ret = c->nother ? SMFIS_CONTINUE : SMFIS_DISCARD;
out:
	free(docs);
	free(rcpts);
	free(queued);
	intake_free(&in);
	smime_result_free(&sres);
	message_reset(c);
	return ret;
}

static sfsistat fg_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c)
		message_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat fg_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c) {
		message_reset(c);
		store_close(c->store);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "faxgate",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_DELRCPT,
	.xxfi_connect = fg_connect,
	.xxfi_envfrom = fg_envfrom,
	.xxfi_envrcpt = fg_envrcpt,
	.xxfi_header = fg_header,
	.xxfi_eoh = fg_eoh,
	.xxfi_body = fg_body,
	.xxfi_eom = fg_eom,
	.xxfi_abort = fg_abort,
	.xxfi_close = fg_close,
};

/* filter_init - set the configuration and the S/MIME CA store the callbacks use */
void filter_init(const config_t *config, const smime_t *sm)
{
	cf = config;
	smime = sm;
}

/* filter_desc - the callbacks, for smfi_register */
struct smfiDesc *filter_desc(void)
{
	return &desc;
}
