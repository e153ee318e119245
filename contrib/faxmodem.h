/*
 * NAME
 *	faxmodem - what faxmodem.c (the modem, its loop and its in-process
 *	faxgate end) and faxmodem_sip.c (call control on the SIP line)
 *	share; internal to those two files
 * SYNOPSIS
 *	#include "faxmodem.h"
 *
 *	void	fm_trace(const modem_t *m, int level, const char *fmt, ...);
 *	void	fm_sip_events(modem_t *m);
 *	void	fm_sip_line(modem_t *m);
 *	void	fm_far_end_gone(modem_t *m);
 * DESCRIPTION
 *	A modem_t is one faxmodem run (see faxmodem.c for the program).
 *	Time is counted in 20 ms ticks of line time. fm_trace() writes one
 *	line on standard error, with the line time, when m->verbose is at
 *	least level. With --sip, fm_sip_events() is called from the loop
 *	after SpanDSP's callbacks have recorded the DTE's ATA or ATD: it
 *	answers or places the SIP call and raises T.31's call events from
 *	the SIP call's state; fm_sip_line() runs each tick during the call
 *	and ends it, from either side. fm_far_end_gone() runs each tick
 *	once the far end (in process or over SIP) is done, from m->done_at:
 *	the run ends when the DTE has hung up, or the line is dropped under
 *	it DROP_TICKS later.
 */
#ifndef FAXGATE_FAXMODEM_H
#define FAXGATE_FAXMODEM_H

#include <stddef.h>
#include <stdint.h>

#include <spandsp.h>

#include "fmpty.h"
#include "fmsip.h"
#include "outcome.h"
#include "t30.h"

#define TICK_SAMPLES	160		/* 20 ms at 8 kHz */
#define TICK_NS		20000000L
#define AT_CHUNK	128		/* DTE bytes per t31_at_rx() call */
#define RING_TICKS	150		/* 3 s between RINGs */
#define QUIET_TICKS	50		/* DTE silence before the first RING */
#define SETTLE_TICKS	100		/* line time after the DTE hangs up */
#define DROP_TICKS	250		/* we drop the line 5 s after phase E */
#define LINGER_TICKS	50		/* DTE quiet time before we exit */
#define LINGER_MAX	500		/* but at most 10 s of it */
#define MAX_CATCHUP	50		/* ticks run at once after a stall */

enum call_state { C_IDLE, C_RINGING, C_DIALLING, C_LINE, C_DONE };

typedef struct modem {
	/* configuration */
	const char *device;
	const char *file;
	const char *ident;
	int	sending;		/* 1: faxgate sends; 0: receives */
	int	verbose;
	long	timeout_ticks;
	size_t	bulk_in, bulk_out;	/* data bytes not traced one by one */
	uint64_t bytes_in, bytes_out;	/* DTE traffic, for the summary */
	long	cts_offs;		/* times T.31 stopped the DTE */

	/* the serial port */
	fmpty_t	pty;
	int	ev_dte_closed;		/* its last descriptor went ("DTR drop") */

	/* the modem and the far end */
	t31_state_t *t31;
	t30_ep_t *ep;
	fmsip_t	*sip;			/* --sip: the line is a SIP call */
	fmsip_config_t sipcf;
	int	answer_pending;		/* --sip: ATA came before the INVITE */
	int	sip_up;			/* --sip: the call was answered */
	unsigned long sip_late;		/* --sip: late packets traced so far */
	enum call_state state;
	int	cts;			/* DTE may send */

	/* raised by SpanDSP callbacks, acted on by the loop */
	int	ev_answer, ev_call, ev_hangup;
	char	dialled[64];

	/* time, in ticks */
	uint64_t ticks;
	uint64_t last_dte;		/* last tick with DTE input */
	uint64_t next_ring;
	uint64_t done_at;		/* phase E, or 0 */
	uint64_t dte_hangup_at;		/* DTE hung up during the call, or 0 */
	int	seen_dte;		/* any DTE input at all */
	int	dropped;		/* we raised AT_CALL_EVENT_HANGUP */
	int	rings;
	int	timed_out;
	fax_result_t result;
} modem_t;

void fm_trace(const modem_t *m, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fm_sip_events(modem_t *m);
void fm_sip_line(modem_t *m);
void fm_far_end_gone(modem_t *m);

#endif
