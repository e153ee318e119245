/*
 * NAME
 *	runner - the dialer's job runner: claim, render, call, record
 * SYNOPSIS
 *	#include "runner.h"
 *	runner_t *runner_new(uv_loop_t *loop, const config_t *cf,
 *	    char *err, size_t errlen);
 *	void runner_kick(runner_t *r);
 *	void runner_reload(runner_t *r, const config_t *cf);
 *	void runner_stop(runner_t *r, void (*done)(void *), void *arg);
 *	void runner_channels(runner_t *r, unsigned *busy, unsigned *total);
 *	unsigned runner_incoming(runner_t *r);
 * DESCRIPTION
 *	runner_new opens the store and [dialer] channels channels of the
 *	configured driver on loop.
 *	runner_kick claims due jobs for the free channels (the milter's
 *	wake-up, the poll timer and every finished call kick it). For each
 *	job: render the message once (shared by its jobs; in libuv's thread
 *	pool), pick the
 *	destination's known fallbacks, record the attempt, place the call
 *	from the first page not yet confirmed, persist each confirmed page,
 *	and at the end record the outcome, the job's next state and the
 *	notice it owes, all in one store transaction; then kick the notices.
 *	A timer wakes it when the next job is due; leases are renewed every
 *	lease/3 seconds so a live dialer never loses its jobs.
 *	runner_reload switches to a new configuration for new calls.
 *	runner_stop hangs up the calls in progress, hands their jobs back
 *	(due at once, resuming at the first unconfirmed page), waits for the
 *	notice in flight, closes every handle and calls done(arg).
 *	runner_channels tells how many channels hold a job (rendering or
 *	calling) and how many there are; runner_incoming how many incoming
 *	calls are in progress (0 without the SIP driver). Unlike the others
 *	these two may be called from any thread (the metrics server's),
 *	until runner_stop is done.
 */
#ifndef FAXGATE_RUNNER_H
#define FAXGATE_RUNNER_H

#include <stddef.h>
#include <uv.h>

#include "config.h"

typedef struct runner runner_t;

runner_t *runner_new(uv_loop_t *loop, const config_t *cf, char *err, size_t errlen);
void runner_kick(runner_t *r);
void runner_reload(runner_t *r, const config_t *cf);
void runner_stop(runner_t *r, void (*done)(void *), void *arg);
void runner_channels(runner_t *r, unsigned *busy, unsigned *total);
unsigned runner_incoming(runner_t *r);

#endif
