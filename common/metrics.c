/* metrics.c - the Prometheus text endpoint; see metrics.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "store.h"

/* libmicrohttpd before 0.9.71 returned int from its callbacks. */
#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

struct metrics_server {
	struct MHD_Daemon *d;
	metrics_fill_fn fill;
	void *arg;
	char spec[64];
};

/* metrics_addr_parse - check a "metrics" value; 1 (an address), 0 ("") or -1 */
int metrics_addr_parse(const char *spec, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	char host[64];
	const char *colon, *h = spec;
	size_t hl;
	char *end;
	unsigned long port;

	memset(ss, 0, sizeof(*ss));
	if (!*spec)
		return 0;
	if (*spec == '[') {
		const char *rb = strchr(spec, ']');
		if (!rb || rb[1] != ':')
			goto syntax;
		h = spec + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		if (!(colon = strrchr(spec, ':')))
			goto syntax;
		hl = (size_t)(colon - spec);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto syntax;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || port == 0 || port > 65535) {
		snprintf(err, errlen, "metrics '%s': the port must be a number from 1 to 65535", spec);
		return -1;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (*spec != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		if ((ntohl(s4->sin_addr.s_addr) >> 24) == 127)
			return 1;
	} else if (*spec == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		if (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return 1;
	} else
		goto syntax;
	memset(ss, 0, sizeof(*ss));
	snprintf(err, errlen, "metrics '%s': not a loopback address; the endpoint has no"
	    " authentication, so it listens on 127.0.0.0/8 or [::1] only"
	    " (scrape from elsewhere through a reverse proxy)", spec);
	return -1;
syntax:
	memset(ss, 0, sizeof(*ss));
	snprintf(err, errlen, "metrics '%s' must be IPV4:PORT or [IPV6]:PORT on a loopback"
	    " address, e.g. 127.0.0.1:9464", spec);
	return -1;
}

/* metrics_buf_init - an empty buffer */
void metrics_buf_init(metrics_buf_t *b)
{
	memset(b, 0, sizeof(*b));
}

/* metrics_buf_free - release the text */
void metrics_buf_free(metrics_buf_t *b)
{
	free(b->text);
	metrics_buf_init(b);
}

/* append - printf onto the buffer; on failure mark it incomplete */
__attribute__((format(printf, 2, 3)))
static void append(metrics_buf_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->nomem)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		n = vsnprintf(b->text ? b->text + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->nomem = 1;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap : 4096;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *t = realloc(b->text, cap);
		if (!t) {
			b->nomem = 1;
			return;
		}
		b->text = t;
		b->cap = cap;
	}
}

/* metrics_family - the HELP and TYPE lines */
void metrics_family(metrics_buf_t *b, const char *name, const char *type, const char *help)
{
	append(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* metrics_sample - one sample line; labels are NULL-terminated name, value pairs */
void metrics_sample(metrics_buf_t *b, const char *name, long value, ...)
{
	const char *label, *v;
	va_list ap;
	int first = 1;

	append(b, "%s", name);
	va_start(ap, value);
	while ((label = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		append(b, "%s%s=\"", first ? "{" : ",", label);
		first = 0;
		/* The text format escapes exactly these three in label values. */
		for (const char *p = v ? v : ""; *p; p++) {
			if (*p == '\\' || *p == '"')
				append(b, "\\%c", *p);
			else if (*p == '\n')
				append(b, "\\n");
			else
				append(b, "%c", *p);
		}
		append(b, "\"");
	}
	va_end(ap);
	append(b, "%s %ld\n", first ? "" : "}", value);
}

static const char *const job_states[] = {
	"queued", "rendering", "ready", "sending", "retry_wait", "done", "failed", "held",
	"cancelled", NULL
};
static const char *const inbound_states[] = { "new", "mailing", "mailed", "failed", "held", NULL };

/* states - one sample per known state (0 if absent), then any unknown */
static void states(metrics_buf_t *b, const char *name, const char *const *known,
    const struct store_state_count *c, size_t n)
{
	for (int i = 0; known[i]; i++) {
		long v = 0;
		for (size_t j = 0; j < n; j++)
			if (strcmp(c[j].state, known[i]) == 0)
				v = c[j].jobs;
		metrics_sample(b, name, v, "state", known[i], NULL);
	}
	/* A newer schema's state still shows, so the total stays right. */
	for (size_t j = 0; j < n; j++) {
		int seen = 0;
		for (int i = 0; known[i]; i++)
			seen |= strcmp(c[j].state, known[i]) == 0;
		if (!seen)
			metrics_sample(b, name, c[j].jobs, "state", c[j].state, NULL);
	}
}

/* metrics_store - the store's figures */
void metrics_store(metrics_buf_t *b, const store_metrics_t *m, long now)
{
	const store_stats_t *s = &m->stats;

	metrics_family(b, "faxgate_jobs", "gauge", "Fax jobs (one per recipient) by state.");
	states(b, "faxgate_jobs", job_states, s->states, s->nstates);
	metrics_family(b, "faxgate_attempts_total", "counter", "Calls ended, by outcome.");
	metrics_sample(b, "faxgate_attempts_total", s->all.attempts_ok, "outcome", "ok", NULL);
	metrics_sample(b, "faxgate_attempts_total", s->all.attempts_retry, "outcome", "retry", NULL);
	metrics_sample(b, "faxgate_attempts_total", s->all.attempts_final, "outcome", "final", NULL);
	/* Not an outcome: it goes down as calls end, so a gauge of its own. */
	metrics_family(b, "faxgate_attempts_open", "gauge", "Calls begun and not ended.");
	metrics_sample(b, "faxgate_attempts_open", s->all.attempts_open, NULL);
	metrics_family(b, "faxgate_pages_total", "counter",
	    "Fax pages sent (confirmed by the far end) and received.");
	metrics_sample(b, "faxgate_pages_total", s->all.pages_sent, "direction", "sent", NULL);
	metrics_sample(b, "faxgate_pages_total", m->pages_received, "direction", "received", NULL);
	metrics_family(b, "faxgate_notices_sent_total", "counter",
	    "Delivery notices (DSN, MDN) handed to the MTA.");
	metrics_sample(b, "faxgate_notices_sent_total", s->all.notices, NULL);
	metrics_family(b, "faxgate_notices_pending", "gauge",
	    "Notices owed and not yet handed to the MTA (failing: an injection failed).");
	metrics_sample(b, "faxgate_notices_pending", m->notices_due, "kind", "dsn", NULL);
	metrics_sample(b, "faxgate_notices_pending", m->mdn_due, "kind", "mdn", NULL);
	metrics_sample(b, "faxgate_notices_pending", m->notices_failing, "kind", "dsn_failing", NULL);
	metrics_family(b, "faxgate_inbound_faxes", "gauge", "Received faxes by state.");
	states(b, "faxgate_inbound_faxes", inbound_states, m->inbound, m->ninbound);
	metrics_family(b, "faxgate_queue_oldest_age_seconds", "gauge",
	    "Age of the oldest job in state queued (0: none).");
	metrics_sample(b, "faxgate_queue_oldest_age_seconds",
	    s->oldest_queued && now > s->oldest_queued_at ? now - s->oldest_queued_at : 0, NULL);
}

/* reply - queue a response; MHD_NO if it could not be made */
static mhd_result reply(struct MHD_Connection *conn, unsigned status, char *text,
    size_t len, const char *type)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	mhd_result rc;

	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* plain - a short text response */
static mhd_result plain(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	char *t = strdup(msg);

	return t ? reply(conn, status, t, strlen(t), "text/plain; charset=utf-8") : MHD_NO;
}

static mhd_result on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data, size_t *data_size,
    void **state)
{
	metrics_server_t *m = cls;
	metrics_buf_t b;
	char msg[400];

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return plain(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET /metrics\n");
	if (strcmp(url, "/metrics") != 0)
		return plain(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	metrics_buf_init(&b);
	if (m->fill(&b, m->arg) < 0 || b.nomem) {
		log_msg(LOG_ERR, "metrics: status=503, listen=%s, reason=\"%s\"", m->spec,
		    b.nomem ? "out of memory" : b.err);
		snprintf(msg, sizeof(msg), "metrics unavailable: %s\n", b.nomem ? "out of memory" : b.err);
		metrics_buf_free(&b);
		return plain(conn, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
	}
	if (!b.text && !(b.text = strdup("")))
		return MHD_NO;
	return reply(conn, MHD_HTTP_OK, b.text, b.len, "text/plain; version=0.0.4; charset=utf-8");
}

/* metrics_start - listen on spec; the server or NULL */
metrics_server_t *metrics_start(const char *spec, metrics_fill_fn fill, void *arg,
    char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	metrics_server_t *m;
	int rc = metrics_addr_parse(spec, &ss, err, errlen);

	if (rc <= 0) {
		if (rc == 0)
			snprintf(err, errlen, "metrics: no address");
		return NULL;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	m->fill = fill;
	m->arg = arg;
	snprintf(m->spec, sizeof(m->spec), "%s", spec);
	/* Few, short scrapes: a small connection limit and timeout keep a
	 * stuck client from holding the thread's descriptors. */
	errno = 0;
	m->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
	    (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL, NULL, on_request, m,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, 16u, MHD_OPTION_CONNECTION_TIMEOUT, 10u,
	    MHD_OPTION_END);
	if (!m->d) {
		snprintf(err, errlen, "metrics: cannot listen on %s: %s", spec,
		    errno ? strerror(errno) : "libmicrohttpd failed to start");
		free(m);
		return NULL;
	}
	return m;
}

/* metrics_stop - close the listener, wait for a scrape in progress */
void metrics_stop(metrics_server_t *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d);
	free(m);
}
