/*
 * NAME
 *	metrics - a Prometheus text endpoint on a loopback port
 * SYNOPSIS
 *	#include "metrics.h"
 *	int metrics_addr_parse(const char *spec, struct sockaddr_storage *ss,
 *	    char *err, size_t errlen);
 *	metrics_server_t *metrics_start(const char *spec, metrics_fill_fn fill,
 *	    void *arg, char *err, size_t errlen);
 *	void metrics_stop(metrics_server_t *m);
 *
 *	void metrics_buf_init(metrics_buf_t *b);
 *	void metrics_buf_free(metrics_buf_t *b);
 *	void metrics_family(metrics_buf_t *b, const char *name, const char *type,
 *	    const char *help);
 *	void metrics_sample(metrics_buf_t *b, const char *name, long value,
 *	    [const char *label, const char *value,]... NULL);
 *	void metrics_store(metrics_buf_t *b, const store_metrics_t *m, long now);
 * DESCRIPTION
 *	metrics_addr_parse checks a [milter] or [dialer] "metrics" value:
 *	IPV4:PORT or [IPV6]:PORT, numeric, on a loopback address (127.0.0.0/8
 *	or ::1), port 1-65535. "" (the default) is valid and means no
 *	endpoint: it returns 0 and leaves ss zeroed; otherwise 1.
 *
 *	metrics_start serves GET (and HEAD) /metrics on spec with
 *	libmicrohttpd. Each scrape calls fill(b, arg) with an empty buffer;
 *	fill returns 0 and the text is sent as "text/plain; version=0.0.4",
 *	or -1 with a reason in b->err and the scrape gets 503 with it (and
 *	it is logged). Any other path is 404, any other method 405.
 *	metrics_stop closes the listener and waits for a scrape in
 *	progress; NULL is allowed.
 *
 *	metrics_family writes the # HELP and # TYPE lines of a metric;
 *	metrics_sample one sample, its labels given as name, value pairs
 *	ending with NULL (label values are escaped as the format wants).
 *	metrics_store writes what the store shows (store_metrics): jobs by
 *	state (every state, 0 included), calls by outcome and those not
 *	ended, pages sent and
 *	received, notices sent and owed, received faxes by state, the age
 *	of the oldest queued job.
 *
 * Which process serves what.
 *	The store is shared by every faxgate process, so what it holds
 *	(jobs, attempts, pages, notices, received faxes) is read from it at
 *	scrape time, in one read transaction, and is the same whichever
 *	dialer is asked. Counters that only a process knows live in that
 *	process: the milter's SMTP decisions ([milter] metrics) and the
 *	dialer's channel occupancy ([dialer] metrics, with the store's
 *	figures). faxgate-onramp serves none: what it does is in the store
 *	(received faxes by state). With several dialers every one reports
 *	the store's figures; aggregate them with max(), not sum().
 *
 * Threads.
 *	libmicrohttpd runs its own thread (MHD_USE_INTERNAL_POLLING_THREAD,
 *	no thread per connection), so the dialer's libuv loop and the
 *	milter's sessions never wait for a scrape, and every fill call runs
 *	on that one thread: a store handle that fill opens there is used by
 *	one thread only, as a store_t must be. Process counters are C11
 *	atomics written by their owner and read by fill.
 *
 * Loopback only.
 *	The endpoint has no authentication and shows mail volumes, so a
 *	non-loopback address is a configuration error, not an option. To
 *	scrape from another host, put a reverse proxy with TLS and
 *	authentication in front of it (the way the Prometheus project
 *	recommends for exporters); that keeps secrets and certificates out
 *	of faxgate.
 * DIAGNOSTICS
 *	metrics_addr_parse: -1 with a reason naming the value. metrics_start:
 *	NULL with a reason (bad address, port in use).
 */
#ifndef FAXGATE_METRICS_H
#define FAXGATE_METRICS_H

#include <stddef.h>
#include <sys/socket.h>

struct store_metrics;

typedef struct metrics_buf {
	char *text;		/* NUL-terminated; NULL while empty */
	size_t len, cap;
	int nomem;		/* an append failed: the text is incomplete */
	char err[256];		/* fill's reason for failing */
} metrics_buf_t;

typedef int (*metrics_fill_fn)(metrics_buf_t *b, void *arg);
typedef struct metrics_server metrics_server_t;

int metrics_addr_parse(const char *spec, struct sockaddr_storage *ss, char *err, size_t errlen);
metrics_server_t *metrics_start(const char *spec, metrics_fill_fn fill, void *arg,
    char *err, size_t errlen);
void metrics_stop(metrics_server_t *m);

void metrics_buf_init(metrics_buf_t *b);
void metrics_buf_free(metrics_buf_t *b);
void metrics_family(metrics_buf_t *b, const char *name, const char *type, const char *help);
void metrics_sample(metrics_buf_t *b, const char *name, long value, ...)
    __attribute__((sentinel));
void metrics_store(metrics_buf_t *b, const struct store_metrics *m, long now);

#endif
