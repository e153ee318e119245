/*
 * faxgate-dialer - faxes the jobs in the store and reports back.
 *
 * usage: faxgate-dialer [-f] [-c FILE]
 *        faxgate-dialer -R MESSAGE [-c FILE]    (render one message now, for diagnosis)
 *   -c FILE  configuration (default /etc/faxgate/faxgate.conf)
 *   -f       stay in the foreground and log to stderr
 *
 * One libuv loop drives every channel. The milter wakes it with a datagram
 * on [general] dialer_socket (with a PostgreSQL store, milters on any host
 * also wake it through the store's notifications, pgwake.h); a timer
 * polls the store as a fallback and wakes it when the next retry is due. SIGTERM (or SIGINT) hangs up the
 * calls in progress and hands their jobs back; SIGHUP reloads the
 * configuration. With [dialer] metrics set it serves /metrics (see
 * metrics.h): the store's figures and this dialer's channels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "wake.h"
#include "pgwake.h"
#include "renderjob.h"
#include "runner.h"

#define DEFAULT_CONFIG "/etc/faxgate/faxgate.conf"

static uv_loop_t *loop;
static runner_t *runner;
static config_t *cf;
static const char *config_path = DEFAULT_CONFIG;
static uv_signal_t sig_term, sig_int, sig_hup;
static uv_poll_t wake_poll;
static int wake_fd = -1;
/* With a PostgreSQL store: its notifications, from milters on any host. */
static uv_poll_t pg_poll;
static pgwake_t *pgw;
/* Configurations replaced by SIGHUP: calls in progress may still use
 * them, so they are freed only at exit. */
static config_t **retired;
static size_t nretired;
/* The metrics server and its own store handle, used only on its thread
 * (opened at the first scrape, again after a failed one). */
static metrics_server_t *metrics;
static store_t *metrics_st;
static char *metrics_spec;

/* metrics_fill - /metrics: the store's figures, then this dialer's channels */
static int metrics_fill(metrics_buf_t *b, void *arg)
{
	long now = (long)time(NULL);
	unsigned busy, total;
	store_metrics_t m;

	if (!metrics_st && !(metrics_st = store_open_existing(metrics_spec, b->err, sizeof(b->err))))
		return -1;
	if (store_metrics(metrics_st, now, &m, b->err, sizeof(b->err)) < 0) {
		store_close(metrics_st);
		metrics_st = NULL;
		return -1;
	}
	metrics_store(b, &m, now);
	runner_channels(runner, &busy, &total);
	metrics_family(b, "faxgate_channels", "gauge", "Outgoing channels of this dialer.");
	metrics_sample(b, "faxgate_channels", (long)total, NULL);
	metrics_family(b, "faxgate_channels_busy", "gauge",
	    "Channels of this dialer holding a job (rendering or calling).");
	metrics_sample(b, "faxgate_channels_busy", (long)busy, NULL);
	metrics_family(b, "faxgate_incoming_calls", "gauge",
	    "Incoming calls in progress on this dialer (SIP; at most [sip] inbound_channels).");
	metrics_sample(b, "faxgate_incoming_calls", (long)runner_incoming(runner), NULL);
	return 0;
}

/* wake_open - the datagram socket the milter writes to; its fd or -1 */
static int wake_open(const char *path)
{
	char err[256];
	int fd;

	if (!*path)
		return -1;
	if ((fd = wake_listen(path, err, sizeof(err))) < 0)
		log_msg(LOG_WARNING, "dialer_socket %s: %s; polling only", path, err);
	return fd;
}

static void on_wake(uv_poll_t *h, int status, int events)
{
	char buf[64];

	/* Drain: many wake-ups, one look at the store. */
	while (recv(wake_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	runner_kick(runner);
}

static void on_pgwake(uv_poll_t *h, int status, int events)
{
	int n = status < 0 ? -1 : pgwake_drain(pgw);

	if (n > 0)
		runner_kick(runner);
	else if (n < 0) {
		log_msg(LOG_WARNING, "store notifications: status=lost; polling only");
		uv_poll_stop(&pg_poll);
	}
}

static void on_stopped(void *arg)
{
	uv_signal_stop(&sig_term);
	uv_signal_stop(&sig_int);
	uv_signal_stop(&sig_hup);
	uv_close((uv_handle_t *)&sig_term, NULL);
	uv_close((uv_handle_t *)&sig_int, NULL);
	uv_close((uv_handle_t *)&sig_hup, NULL);
	if (wake_fd >= 0) {
		uv_poll_stop(&wake_poll);
		uv_close((uv_handle_t *)&wake_poll, NULL);
	}
	if (pgw) {
		uv_poll_stop(&pg_poll);
		uv_close((uv_handle_t *)&pg_poll, NULL);
	}
}

static void on_term(uv_signal_t *h, int sig)
{
	log_msg(LOG_INFO, "stop: signal=%d, calls=handed_back", sig);
	/* Before the runner goes: the scrapes read its channel count. */
	metrics_stop(metrics);
	metrics = NULL;
	runner_stop(runner, on_stopped, NULL);
}

static void on_hup(uv_signal_t *h, int sig)
{
	char err[1024];
	config_t *n = config_load(config_path, err, sizeof(err));

	if (!n) {
		log_msg(LOG_ERR, "reload: status=failed, reason=\"%s\", keeping the old configuration", err);
		return;
	}
	config_t **r = realloc(retired, (nretired + 1) * sizeof(*r));
	if (!r) {
		log_msg(LOG_ERR, "reload: status=failed, reason=\"out of memory\"");
		config_free(n);
		return;
	}
	retired = r;
	retired[nretired++] = cf;
	runner_reload(runner, n);
	log_set_level(n->log_level);
	cf = n;
	log_msg(LOG_INFO, "reload: status=ok, config=%s", config_path);
}

int main(int argc, char **argv)
{
	int foreground = 0, opt;
	long render_msg = 0;
	char err[1024];

	while ((opt = getopt(argc, argv, "c:fR:")) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'f': foreground = 1; break;
		case 'R': render_msg = strtol(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: faxgate-dialer [-f] [-c FILE]\n");
			return 64;
		}
	}
	if ((cf = config_load(config_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "faxgate-dialer: %s\n", err);
		return 78;
	}
	if (render_msg > 0) {
		int rc = renderjob_run(cf, render_msg);
		config_free(cf);
		return rc;
	}
	log_open("faxgate-dialer", foreground);
	log_set_level(cf->log_level);
	if (mkdir(cf->spool, 0750) < 0 && errno != EEXIST) {
		fprintf(stderr, "faxgate-dialer: spool %s: %s\n", cf->spool, strerror(errno));
		return 73;
	}
	loop = uv_default_loop();
	if ((runner = runner_new(loop, cf, err, sizeof(err))) == NULL) {
		fprintf(stderr, "faxgate-dialer: %s\n", err);
		return 75;
	}
	uv_signal_init(loop, &sig_term);
	uv_signal_init(loop, &sig_int);
	uv_signal_init(loop, &sig_hup);
	uv_signal_start(&sig_term, on_term, SIGTERM);
	uv_signal_start(&sig_int, on_term, SIGINT);
	uv_signal_start(&sig_hup, on_hup, SIGHUP);
	/* The address is kept from the start: a reload does not move it. */
	if (*cf->dialer_metrics) {
		if (!(metrics_spec = strdup(cf->store)) ||
		    !(metrics = metrics_start(cf->dialer_metrics, metrics_fill, NULL, err, sizeof(err)))) {
			fprintf(stderr, "faxgate-dialer: %s\n", metrics_spec ? err : "out of memory");
			return 71;
		}
	}
	if ((wake_fd = wake_open(cf->dialer_socket)) >= 0) {
		uv_poll_init(loop, &wake_poll, wake_fd);
		uv_poll_start(&wake_poll, UV_READABLE, on_wake);
	}
	if ((pgw = pgwake_open(cf->store, PGWAKE_JOBS, err, sizeof(err))) != NULL) {
		uv_poll_init(loop, &pg_poll, pgwake_fd(pgw));
		uv_poll_start(&pg_poll, UV_READABLE, on_pgwake);
		log_msg(LOG_INFO, "store notifications: status=listening");
	} else if (*err)
		log_msg(LOG_WARNING, "store notifications: status=failed, reason=\"%s\"; polling only", err);
	log_msg(LOG_INFO, "start: store=%s, channels=%u, driver=%s, wake=%s, metrics=%s", cf->store,
	    cf->channels, cf->driver, wake_fd >= 0 ? cf->dialer_socket : "poll-only",
	    metrics ? cf->dialer_metrics : "off");
	uv_run(loop, UV_RUN_DEFAULT);
	metrics_stop(metrics);
	store_close(metrics_st);
	free(metrics_spec);
	if (wake_fd >= 0) {
		close(wake_fd);
		unlink(cf->dialer_socket);
	}
	pgwake_close(pgw);
	uv_loop_close(loop);
	log_msg(LOG_INFO, "stop: status=done");
	for (size_t i = 0; i < nretired; i++)
		config_free(retired[i]);
	free(retired);
	config_free(cf);
	return 0;
}
