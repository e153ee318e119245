/*
 * NAME
 *	child - run a helper program, feed it, and wait for it with a deadline
 * SYNOPSIS
 *	#include "child.h"
 *	int child_run(const char *const argv[], const void *in, size_t inlen,
 *		unsigned timeout_s, child_result_t *r);
 * DESCRIPTION
 *	child_run starts argv[0] (an absolute path; no shell, no PATH
 *	search) with argv, writes the inlen bytes at in to its standard
 *	input and closes it, sends its standard output to /dev/null and
 *	keeps the first line of its standard error, and waits until it has
 *	exited. The child gets the default disposition of every signal and
 *	an empty signal mask, whatever the caller blocks or ignores, and
 *	none of the caller's descriptors but the three. A child still
 *	running after timeout_s seconds is killed (SIGKILL). Nothing here
 *	sleeps: the wait is poll(2) on the pipes and on a pidfd.
 *
 *	r->status is the exit status, 128 + N when signal N ended it, or -1
 *	when it could not be started (r->message says why); r->timed_out is
 *	1 when the deadline killed it; r->message is the first line the
 *	child wrote on its standard error (printable ASCII, '?' for the
 *	rest; "" if none).
 * DIAGNOSTICS
 *	child_run returns r->status. A child that stops reading its input
 *	early is not an error here; its exit status tells.
 */
#ifndef FAXGATE_CHILD_H
#define FAXGATE_CHILD_H

#include <stddef.h>

typedef struct child_result {
	int status;		/* exit status; 128 + signal; -1 not started */
	int timed_out;
	char message[256];	/* the first line of its standard error */
} child_result_t;

int child_run(const char *const argv[], const void *in, size_t inlen, unsigned timeout_s,
    child_result_t *r);

#endif
