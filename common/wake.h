/*
 * NAME
 *	wake - tell the dialers that new jobs are ready
 * SYNOPSIS
 *	#include "wake.h"
 *	void wake_dialer(const char *path);
 * DESCRIPTION
 *	Sends one datagram to the unix datagram socket at path, without
 *	blocking. The dialer treats any datagram as "look at the store now";
 *	it also polls, so a lost wake-up (no dialer running, queue full) only
 *	delays a job, which is why errors are ignored here.
 */
#ifndef FAXGATE_WAKE_H
#define FAXGATE_WAKE_H

void wake_dialer(const char *path);

#endif
