/*
 * NAME
 *	wake - tell the dialers that new jobs are ready
 * SYNOPSIS
 *	#include "wake.h"
 *	#include <stddef.h>

void wake_dialer(const char *path);
int wake_listen(const char *path, char *err, size_t errlen);
 *	int wake_listen(const char *path, char *err, size_t errlen);
 * DESCRIPTION
 *	Sends one datagram to the unix datagram socket at path, without
 *	blocking. The dialer treats any datagram as "look at the store now";
 *	it also polls, so a lost wake-up (no dialer running, queue full) only
 *	delays a job, which is why errors are ignored here.
 *
 *	wake_listen() is the receiving side (faxgate-dialer, faxgate-onramp):
 *	it binds a non-blocking datagram socket at path (replacing a stale
 *	one), readable by every user, and returns its descriptor, or -1 with
 *	the reason in err (then the program polls the store only).
 */
#ifndef FAXGATE_WAKE_H
#define FAXGATE_WAKE_H

#include <stddef.h>

void wake_dialer(const char *path);
int wake_listen(const char *path, char *err, size_t errlen);

#endif
