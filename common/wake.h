/*
 * NAME
 *	wake - tell a dialer that new jobs are ready, or faxgate-onramp that
 *	a received fax is
 * SYNOPSIS
 *	#include "wake.h"
 *	#include <stddef.h>

void wake_send(const char *path);
int wake_listen(const char *path, char *err, size_t errlen);
 *	int wake_listen(const char *path, char *err, size_t errlen);
 * DESCRIPTION
 *	wake_send() sends one datagram to the unix datagram socket at path
 *	(nothing if path is empty), without blocking. The dialer and the
 *	onramp treat any datagram as "look at the store now"; they also
 *	poll, so a lost wake-up (nobody listening, queue full) only delays
 *	the work, which is why errors are ignored here.
 *
 *	wake_listen() is the receiving side (faxgate-dialer, faxgate-onramp):
 *	it binds a non-blocking datagram socket at path (replacing a stale
 *	one), readable by every user, and returns its descriptor, or -1 with
 *	the reason in err (then the program polls the store only).
 */
#ifndef FAXGATE_WAKE_H
#define FAXGATE_WAKE_H

#include <stddef.h>

void wake_send(const char *path);
int wake_listen(const char *path, char *err, size_t errlen);

#endif
