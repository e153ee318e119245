/*
 * NAME
 *	notices - hand delivery reports to the MTA
 * SYNOPSIS
 *	#include "notices.h"
 *	notices_t *notices_new(uv_loop_t *loop, store_t *st, const config_t *cf);
 *	void notices_kick(notices_t *n);
 *	void notices_set_config(notices_t *n, const config_t *cf);
 *	int notices_busy(const notices_t *n);
 *	void notices_close(notices_t *n);
 * DESCRIPTION
 *	The store says which jobs owe a notice (store_notice_due). notices_kick
 *	takes the next message that owes one, builds the DSN (notice.c) and
 *	submits it by running the MTA's sendmail -f "" -t -oi (no shell) as a
 *	child of the loop, the message on its stdin. Exit 0 means queued: the
 *	store records the notice as sent. Anything else postpones it by
 *	[notices] retry seconds; after [notices] alert_after failures each
 *	further failure is logged at alert level for the administrator. One
 *	injection runs at a time; when it ends the next is taken, so a kick
 *	drains everything due. A message whose sender is the null
 *	reverse-path never gets a notice (RFC 3461 5.2.6 of the null sender:
 *	no reports about reports).
 *
 *	In gathered mode one notice covers every recipient of a message that
 *	owes a final report; "delayed" reports always go per recipient.
 *	When the DSNs are done, a failed job whose message asked for an MDN
 *	(Disposition-Notification-To) gets one (processed/error), if that
 *	address is the envelope sender (RFC 8098 2.1); otherwise it is
 *	skipped and the log says why.
 */
#ifndef FAXGATE_NOTICES_H
#define FAXGATE_NOTICES_H

#include <uv.h>

#include "config.h"
#include "store.h"

typedef struct notices notices_t;

notices_t *notices_new(uv_loop_t *loop, store_t *st, const config_t *cf);
void notices_kick(notices_t *n);
void notices_set_config(notices_t *n, const config_t *cf);
int notices_busy(const notices_t *n);
void notices_close(notices_t *n);

#endif
