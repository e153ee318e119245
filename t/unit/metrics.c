/* metrics.c - the Prometheus text: addresses, formatting, the store's
 * figures, the milter's counters, and the HTTP endpoint itself. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "config.h"
#include "counters.h"
#include "metrics.h"
#include "store.h"

static char dir[] = "/tmp/faxgate-metrics-XXXXXX";
static char dbpath[300];

/* exec - run SQL on the store from another connection */
static void exec(const char *sql)
{
	sqlite3 *db;

	sqlite3_open(dbpath, &db);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
}

/* addr - metrics_addr_parse's result, its error in err */
static int addr(const char *spec, char *err, size_t len)
{
	struct sockaddr_storage ss;

	err[0] = '\0';
	return metrics_addr_parse(spec, &ss, err, len);
}

static void addresses(void)
{
	struct sockaddr_storage ss;
	char err[512];

	is_int(metrics_addr_parse("127.0.0.1:9464", &ss, err, sizeof(err)), 1, "127.0.0.1:9464");
	ok(ss.ss_family == AF_INET && ntohs(((struct sockaddr_in *)&ss)->sin_port) == 9464,
	    "IPv4, port 9464");
	is_int(metrics_addr_parse("[::1]:9465", &ss, err, sizeof(err)), 1, "[::1]:9465");
	ok(ss.ss_family == AF_INET6 && ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == 9465,
	    "IPv6, port 9465");
	is_int(addr("127.8.9.10:1", err, sizeof(err)), 1, "anywhere in 127.0.0.0/8");
	is_int(addr("", err, sizeof(err)), 0, "empty: no endpoint");
	static const char *const remote[] = { "0.0.0.0:9464", "192.0.2.1:9464", "[::]:9464",
		"[2001:db8::1]:9464", "[::ffff:127.0.0.1]:9464", NULL };
	for (int i = 0; remote[i]; i++)
		ok(addr(remote[i], err, sizeof(err)) == -1 && strstr(err, "not a loopback address"),
		    "%s refused: %s", remote[i], err);
	static const char *const bad[] = { "localhost:9464", "127.0.0.1", "9464", ":9464",
		"[::1]9464", "::1:9464", "[127.0.0.1]:9464", "127.0.0.1 :9464", NULL };
	for (int i = 0; bad[i]; i++)
		ok(addr(bad[i], err, sizeof(err)) == -1 && strstr(err, "must be IPV4:PORT"),
		    "'%s' refused: %s", bad[i], err);
	static const char *const port[] = { "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:+80",
		"127.0.0.1:80x", "127.0.0.1:", "[::1]:-1", "127.0.0.1: 80", NULL };
	for (int i = 0; port[i]; i++)
		ok(addr(port[i], err, sizeof(err)) == -1 && strstr(err, "port must be a number"),
		    "'%s' refused: %s", port[i], err);
}

/* conf - load a configuration with [fax] domains and extra; NULL and err on failure */
static config_t *conf(const char *extra, char *err, size_t len)
{
	char path[350];
	FILE *fp;
	config_t *cf;

	snprintf(path, sizeof(path), "%s/faxgate.conf", dir);
	if (!(fp = fopen(path, "w")))
		return NULL;
	fprintf(fp, "[fax]\ndomains = fax.test\n%s", extra);
	fclose(fp);
	cf = config_load(path, err, len);
	return cf;
}

static void configuration(void)
{
	char err[1024];
	config_t *cf = conf("", err, sizeof(err));

	ok(cf && strcmp(cf->milter_metrics, "") == 0 && strcmp(cf->dialer_metrics, "") == 0,
	    "default: no endpoint");
	config_free(cf);
	cf = conf("[milter]\nmetrics = 127.0.0.1:9464\n[dialer]\nmetrics = [::1]:9465\n", err, sizeof(err));
	ok(cf && strcmp(cf->milter_metrics, "127.0.0.1:9464") == 0 &&
	    strcmp(cf->dialer_metrics, "[::1]:9465") == 0, "both set: %s", cf ? "" : err);
	config_free(cf);
	cf = conf("[milter]\nmetrics = 10.0.0.1:9464\n", err, sizeof(err));
	ok(!cf && strstr(err, "faxgate.conf: [milter] metrics '10.0.0.1:9464': not a loopback address"),
	    "[milter] on 10.0.0.1 refused: %s", err);
	config_free(cf);
	cf = conf("[dialer]\nmetrics = 127.0.0.1:http\n", err, sizeof(err));
	ok(!cf && strstr(err, "[dialer] metrics '127.0.0.1:http': the port must be a number"),
	    "[dialer] with a port name refused: %s", err);
	config_free(cf);
}

static void formatting(void)
{
	metrics_buf_t b;

	metrics_buf_init(&b);
	metrics_family(&b, "x_total", "counter", "Things.");
	metrics_sample(&b, "x_total", 0, NULL);
	metrics_sample(&b, "x_total", -3, "a", "1", NULL);
	metrics_sample(&b, "x_total", 1234567890123L, "a", "q\"b\\s\nn", "b", "", NULL);
	is_str(b.text, "# HELP x_total Things.\n# TYPE x_total counter\n"
	    "x_total 0\n"
	    "x_total{a=\"1\"} -3\n"
	    "x_total{a=\"q\\\"b\\\\s\\nn\",b=\"\"} 1234567890123\n",
	    "HELP, TYPE, samples; label values escaped");
	is_int((long long)b.len, (long long)strlen(b.text), "length kept");
	metrics_buf_free(&b);
	ok(b.text == NULL && b.len == 0, "freed");

	/* Past the first allocation: the buffer grows, nothing is lost. */
	for (int i = 0; i < 2000; i++)
		metrics_sample(&b, "faxgate_a_rather_long_metric_name", i, "label", "value", NULL);
	ok(!b.nomem && b.len > 4096 && strstr(b.text, "faxgate_a_rather_long_metric_name{label=\"value\"} 1999\n") &&
	    b.text[b.len] == '\0', "grows past 4 KiB (%zu bytes)", b.len);
	metrics_buf_free(&b);
}

/* The store's figures as text, from a made-up snapshot. */
static void store_text(void)
{
	store_metrics_t m;
	metrics_buf_t b;

	memset(&m, 0, sizeof(m));
	strcpy(m.stats.states[0].state, "done"); m.stats.states[0].jobs = 7;
	strcpy(m.stats.states[1].state, "queued"); m.stats.states[1].jobs = 2;
	strcpy(m.stats.states[2].state, "paused"); m.stats.states[2].jobs = 1;	/* a newer schema's */
	m.stats.nstates = 3;
	m.stats.all = (store_period_t){ .attempts_ok = 7, .attempts_retry = 3, .attempts_final = 1,
		.attempts_open = 2, .pages_sent = 15, .notices = 4 };
	m.stats.day.attempts_ok = 99;	/* not shown: counters are since the start */
	m.stats.oldest_queued = 12;
	m.stats.oldest_queued_at = 1000;
	m.notices_due = 3;
	m.notices_failing = 1;
	m.mdn_due = 2;
	strcpy(m.inbound[0].state, "mailed"); m.inbound[0].jobs = 5;
	m.ninbound = 1;
	m.pages_received = 9;
	metrics_buf_init(&b);
	metrics_store(&b, &m, 1090);
	is_str(b.text,
	    "# HELP faxgate_jobs Fax jobs (one per recipient) by state.\n"
	    "# TYPE faxgate_jobs gauge\n"
	    "faxgate_jobs{state=\"queued\"} 2\n"
	    "faxgate_jobs{state=\"rendering\"} 0\n"
	    "faxgate_jobs{state=\"ready\"} 0\n"
	    "faxgate_jobs{state=\"sending\"} 0\n"
	    "faxgate_jobs{state=\"retry_wait\"} 0\n"
	    "faxgate_jobs{state=\"done\"} 7\n"
	    "faxgate_jobs{state=\"failed\"} 0\n"
	    "faxgate_jobs{state=\"held\"} 0\n"
	    "faxgate_jobs{state=\"cancelled\"} 0\n"
	    "faxgate_jobs{state=\"paused\"} 1\n"
	    "# HELP faxgate_attempts_total Calls ended, by outcome.\n"
	    "# TYPE faxgate_attempts_total counter\n"
	    "faxgate_attempts_total{outcome=\"ok\"} 7\n"
	    "faxgate_attempts_total{outcome=\"retry\"} 3\n"
	    "faxgate_attempts_total{outcome=\"final\"} 1\n"
	    "# HELP faxgate_attempts_open Calls begun and not ended.\n"
	    "# TYPE faxgate_attempts_open gauge\n"
	    "faxgate_attempts_open 2\n"
	    "# HELP faxgate_pages_total Fax pages sent (confirmed by the far end) and received.\n"
	    "# TYPE faxgate_pages_total counter\n"
	    "faxgate_pages_total{direction=\"sent\"} 15\n"
	    "faxgate_pages_total{direction=\"received\"} 9\n"
	    "# HELP faxgate_notices_sent_total Delivery notices (DSN, MDN) handed to the MTA.\n"
	    "# TYPE faxgate_notices_sent_total counter\n"
	    "faxgate_notices_sent_total 4\n"
	    "# HELP faxgate_notices_pending Notices owed and not yet handed to the MTA (failing: an injection failed).\n"
	    "# TYPE faxgate_notices_pending gauge\n"
	    "faxgate_notices_pending{kind=\"dsn\"} 3\n"
	    "faxgate_notices_pending{kind=\"mdn\"} 2\n"
	    "faxgate_notices_pending{kind=\"dsn_failing\"} 1\n"
	    "# HELP faxgate_inbound_faxes Received faxes by state.\n"
	    "# TYPE faxgate_inbound_faxes gauge\n"
	    "faxgate_inbound_faxes{state=\"new\"} 0\n"
	    "faxgate_inbound_faxes{state=\"mailing\"} 0\n"
	    "faxgate_inbound_faxes{state=\"mailed\"} 5\n"
	    "faxgate_inbound_faxes{state=\"failed\"} 0\n"
	    "faxgate_inbound_faxes{state=\"held\"} 0\n"
	    "# HELP faxgate_queue_oldest_age_seconds Age of the oldest job in state queued (0: none).\n"
	    "# TYPE faxgate_queue_oldest_age_seconds gauge\n"
	    "faxgate_queue_oldest_age_seconds 90\n",
	    "the store's figures, every known state listed");
	metrics_buf_free(&b);
	m.stats.oldest_queued = 0;
	metrics_store(&b, &m, 1090);
	ok(strstr(b.text, "\nfaxgate_queue_oldest_age_seconds 0\n") != NULL, "no queued job: age 0");
	metrics_buf_free(&b);
}

/* store_metrics on a real SQLite store against what SQL counts. */
static void store_read(void)
{
	char err[512], spec[320];
	store_metrics_t m;
	int queued[2];
	long id;

	snprintf(spec, sizeof(spec), "sqlite:%s", dbpath);
	store_t *st = store_open(spec, err, sizeof(err));
	ok(st != NULL, "open a store: %s", st ? "" : err);
	if (!st)
		return;
	ok(store_metrics(st, 1000, &m, err, sizeof(err)) == 0, "metrics of an empty store: %s", err);
	ok(m.stats.nstates == 0 && m.ninbound == 0 && m.notices_due == 0 && m.mdn_due == 0 &&
	    m.pages_received == 0 && m.stats.oldest_queued == 0, "all zero");

	store_msg_t msg = { .dedup_key = "mid:m@t", .message_id = "m@t", .sender = "a@t",
		.received_at = 900, .raw = "x", .rawlen = 1 };
	store_doc_t d = { .kind = "text", .content_type = "text/plain", .data = "hi", .len = 2 };
	store_rcpt_t r[2] = {
		{ .recipient = "FAX=+12025550100@f.t", .number = "+12025550100", .subaddress = "",
		  .dial = "12025550100", .domain = "f.t" },
		{ .recipient = "FAX=+12025550101@f.t", .number = "+12025550101", .subaddress = "",
		  .dial = "12025550101", .domain = "f.t" },
	};
	ok(store_submit(st, &msg, &d, 1, r, 2, queued, err, sizeof(err)) == 0, "two jobs: %s", err);
	exec("UPDATE jobs SET created_at = 900");
	exec("UPDATE jobs SET state = 'failed', notice_due = 'failed', notice_tries = 2, mdn_due = 1"
	    " WHERE number = '+12025550101'");
	exec("INSERT INTO attempts (job, attempt, started_at, ended_at, outcome, pages_sent)"
	    " SELECT id, 1, 950, 960, 'final', 0 FROM jobs WHERE number = '+12025550101'");
	exec("INSERT INTO attempts (job, attempt, started_at, outcome, pages_sent)"
	    " SELECT id, 1, 970, NULL, 3 FROM jobs WHERE number = '+12025550100'");
	store_inbound_t in = { .received_at = 990, .pages = 4, .outcome = "ok" };
	ok(store_inbound_add(st, &in, &id, err, sizeof(err)) == 0, "a received fax: %s", err);
	in.pages = 1;
	ok(store_inbound_add(st, &in, &id, err, sizeof(err)) == 0, "another: %s", err);
	exec("UPDATE inbound SET state = 'mailed' WHERE pages = 1");

	ok(store_metrics(st, 1000, &m, err, sizeof(err)) == 0, "metrics: %s", err);
	ok(m.stats.nstates == 2 && strcmp(m.stats.states[0].state, "failed") == 0 &&
	    m.stats.states[0].jobs == 1 && strcmp(m.stats.states[1].state, "queued") == 0 &&
	    m.stats.states[1].jobs == 1, "jobs by state: failed 1, queued 1");
	ok(m.stats.all.attempts_final == 1 && m.stats.all.attempts_open == 1 &&
	    m.stats.all.attempts_ok == 0 && m.stats.all.pages_sent == 3, "attempts and pages sent");
	ok(m.stats.oldest_queued > 0 && m.stats.oldest_queued_at == 900, "oldest queued created at 900");
	is_int(m.notices_due, 1, "one DSN owed");
	is_int(m.notices_failing, 1, "and its injection failed");
	is_int(m.mdn_due, 1, "one MDN owed");
	ok(m.ninbound == 2 && strcmp(m.inbound[0].state, "mailed") == 0 && m.inbound[0].jobs == 1 &&
	    strcmp(m.inbound[1].state, "new") == 0 && m.inbound[1].jobs == 1,
	    "received faxes: mailed 1, new 1");
	is_int(m.pages_received, 5, "pages received 4 + 1");

	store_stats_t s;
	ok(store_stats(st, 1000, &s, err, sizeof(err)) == 0 && memcmp(&s, &m.stats, sizeof(s)) == 0,
	    "the same figures as store_stats (faxgatectl stats)");
	store_close(st);
}

static void milter_counters(void)
{
	metrics_buf_t b;

	counters_add(C_MSG_SIZE);
	counters_add(C_MSG_SIZE);
	counters_add(C_RCPT_ACCEPTED);
	counters_add(C_NCOUNTERS);	/* out of range: ignored */
	is_int(counters_get(C_MSG_SIZE), 2, "counted twice");
	metrics_buf_init(&b);
	is_int(counters_fill(&b, NULL), 0, "fill");
	ok(strstr(b.text, "# TYPE faxgate_messages_total counter\n") &&
	    strstr(b.text, "\nfaxgate_messages_total{result=\"rejected\",reason=\"size\"} 2\n") &&
	    strstr(b.text, "\nfaxgate_messages_total{result=\"accepted\"} 0\n") &&
	    strstr(b.text, "\nfaxgate_recipients_total{result=\"accepted\"} 1\n") &&
	    strstr(b.text, "\nfaxgate_recipients_total{result=\"rejected\",reason=\"dialplan\"} 0\n"),
	    "the milter's counters, zeros included");
	int lines = 0;
	for (const char *p = b.text; *p; p++)
		lines += *p == '\n';
	is_int(lines, C_NCOUNTERS + 4, "one line per counter, HELP and TYPE per family");
	metrics_buf_free(&b);
}

/* http - one request to 127.0.0.1:port; the response in buf, its length */
static size_t http(unsigned short port, const char *req, char *buf, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	size_t got = 0;
	ssize_t n;

	buf[0] = '\0';
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (got + 1 < len && (n = read(fd, buf + got, len - got - 1)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	return got;
}

static int fill_calls;

static int fill_test(metrics_buf_t *b, void *arg)
{
	fill_calls++;
	if (arg) {
		snprintf(b->err, sizeof(b->err), "store is down");
		return -1;
	}
	metrics_family(b, "t_up", "gauge", "Up.");
	metrics_sample(b, "t_up", 1, NULL);
	return 0;
}

static void server(void)
{
	char err[512], spec[64], resp[4096];
	unsigned short port = 0;
	metrics_server_t *m = NULL, *m2;

	/* A free port: bind 0, note it, close, then listen there. */
	for (int tries = 0; tries < 5 && !m; tries++) {
		struct sockaddr_in a = { .sin_family = AF_INET };
		socklen_t al = sizeof(a);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		bind(fd, (struct sockaddr *)&a, sizeof(a));
		getsockname(fd, (struct sockaddr *)&a, &al);
		port = ntohs(a.sin_port);
		close(fd);
		snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
		m = metrics_start(spec, fill_test, NULL, err, sizeof(err));
	}
	ok(m != NULL, "listening on %s: %s", spec, m ? "" : err);
	if (!m)
		return;
	http(port, "GET /metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	ok(strncmp(resp, "HTTP/1.0 200", 12) == 0 || strncmp(resp, "HTTP/1.1 200", 12) == 0,
	    "GET /metrics: 200");
	ok(strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL,
	    "the text format's content type");
	const char *body = strstr(resp, "\r\n\r\n");
	is_str(body ? body + 4 : NULL, "# HELP t_up Up.\n# TYPE t_up gauge\nt_up 1\n", "the body is fill's text");
	is_int(fill_calls, 1, "fill called once per scrape");
	http(port, "GET /other HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	ok(strstr(resp, " 404 ") != NULL, "another path: 404");
	http(port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n", resp, sizeof(resp));
	ok(strstr(resp, " 405 ") != NULL, "POST: 405");
	is_int(fill_calls, 1, "neither calls fill");

	m2 = metrics_start(spec, fill_test, NULL, err, sizeof(err));
	ok(m2 == NULL && strstr(err, "cannot listen on") && strstr(err, spec),
	    "a port in use: %s", err);
	metrics_stop(m2);
	metrics_stop(m);
	ok(http(port, "GET /metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp)) == 0, "stopped: no listener");

	/* fill fails: 503 with the reason. */
	m = metrics_start(spec, fill_test, (void *)1, err, sizeof(err));
	ok(m != NULL, "listening again: %s", m ? "" : err);
	http(port, "GET /metrics HTTP/1.0\r\n\r\n", resp, sizeof(resp));
	ok(strstr(resp, " 503 ") && strstr(resp, "metrics unavailable: store is down"),
	    "fill fails: 503 and the reason");
	metrics_stop(m);
	ok(metrics_start("0.0.0.0:9464", fill_test, NULL, err, sizeof(err)) == NULL &&
	    strstr(err, "not a loopback address"), "never on a public address: %s", err);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/fax.db", dir);
	addresses();
	configuration();
	formatting();
	store_text();
	store_read();
	milter_counters();
	server();
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
