/*
 * NAME
 *	counters - the milter's SMTP decisions, counted for /metrics
 * SYNOPSIS
 *	#include "counters.h"
 *	void counters_add(counter_t c);
 *	long counters_get(counter_t c);
 *	int counters_fill(metrics_buf_t *b, void *arg);
 * DESCRIPTION
 *	One counter per decision the milter makes, by result and reason:
 *	at RCPT TO for each fax recipient (accepted, or the reply it got)
 *	and for each message with fax recipients (stored, duplicate, or
 *	the reply it got). counters_add counts one; it is safe from every
 *	libmilter thread (relaxed C11 atomics: each counter is exact, the
 *	set is not one snapshot). counters_get reads one.
 *	counters_fill is a metrics_fill_fn: faxgate_recipients_total and
 *	faxgate_messages_total, every counter including zeros. Counts start
 *	at 0 when the milter starts, as Prometheus counters do.
 */
#ifndef FAXGATE_COUNTERS_H
#define FAXGATE_COUNTERS_H

#include "metrics.h"

typedef enum counter {
	/* RCPT TO of a fax address */
	C_RCPT_ACCEPTED,
	C_RCPT_ADDRESS,		/* 553 5.1.3 bad fax address */
	C_RCPT_TOO_MANY,	/* 452 4.5.3 */
	C_RCPT_SENDER,		/* 550 5.7.1 sender policy */
	C_RCPT_DIALPLAN,	/* 550 5.7.1 dial plan */
	C_RCPT_RATE,		/* 450 4.7.1 rate limit */
	C_RCPT_STORE,		/* 451 4.3.0 store unavailable */
	/* end of a message with fax recipients */
	C_MSG_ACCEPTED,		/* stored, at least one new job */
	C_MSG_DUPLICATE,	/* every recipient already had its job */
	C_MSG_SIZE,		/* 552 5.3.4 */
	C_MSG_NOFAX,		/* 554 5.6.1 nothing to fax */
	C_MSG_CONTENT,		/* 554 5.6.0 content refused */
	C_MSG_UNREADABLE,	/* 451 4.3.0 could not parse */
	C_MSG_STORE,		/* 451 4.3.0 store unavailable */
	C_MSG_ENVELOPE,		/* 451 4.3.0 delrcpt failed */
	C_NCOUNTERS
} counter_t;

void counters_add(counter_t c);
long counters_get(counter_t c);
int counters_fill(metrics_buf_t *b, void *arg);

#endif
