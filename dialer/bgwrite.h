/*
 * NAME
 *	bgwrite - the dialer's store writes that may wait, off its loop
 * SYNOPSIS
 *	#include "bgwrite.h"
 *	bgwrite_t *bgwrite_new(const char *spec, const char *owner,
 *		char *err, size_t errlen);
 *	void bgwrite_lease(bgwrite_t *w, long until);
 *	void bgwrite_progress(bgwrite_t *w, long job, int pages);
 *	void bgwrite_forget(bgwrite_t *w, long job);
 *	void bgwrite_free(bgwrite_t *w);
 * DESCRIPTION
 *	The lease renewal (every [dialer] lease/3 seconds) and the pages
 *	confirmed after each page of a call are durable SQLite commits: an
 *	fsync each. On the dialer's loop a slow one stopped the 20 ms media
 *	clock, and the far end's playout buffer ran dry in the middle of a
 *	page (efax over G.711 lost lines without knowing). bgwrite commits
 *	them on a thread of its own with a store handle of its own; the loop
 *	only hands them over. Not libuv's thread pool: renders fill it for
 *	seconds, and a renewal must not queue behind them.
 *
 *	Both writes are idempotent and superseded by later ones, so waiting
 *	ones are merged: one lease time, one page count per job (the
 *	largest). The attempt's end is written by the loop itself, which
 *	first calls bgwrite_forget(): a waiting count for the job is dropped
 *	(the end records it), and one being written that lands after the end
 *	fails quietly (the store requires the job's lease, which the end
 *	released). Other failures are logged, as they were on the loop.
 *
 *	bgwrite_free() writes what is waiting, stops the thread (joining
 *	it: at most one commit) and closes the handle.
 * DIAGNOSTICS
 *	bgwrite_new() returns NULL with the reason in err (the store cannot
 *	be opened, no thread).
 */
#ifndef FAXGATE_BGWRITE_H
#define FAXGATE_BGWRITE_H

#include <stddef.h>

typedef struct bgwrite bgwrite_t;

bgwrite_t *bgwrite_new(const char *spec, const char *owner, char *err, size_t errlen);
void bgwrite_lease(bgwrite_t *w, long until);
void bgwrite_progress(bgwrite_t *w, long job, int pages);
void bgwrite_forget(bgwrite_t *w, long job);
void bgwrite_free(bgwrite_t *w);

#endif
