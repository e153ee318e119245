/*
 * NAME
 *	chan - the channel driver interface: one outgoing fax call at a time
 * SYNOPSIS
 *	#include "chan.h"
 *
 *	int	chan_call(chan_t *ch, const chan_call_params_t *p,
 *			chan_page_cb on_page, chan_done_cb on_done, void *user,
 *			char *err, size_t errlen);
 *	void	chan_hangup(chan_t *ch);
 *	void	chan_close(chan_t *ch);
 *	const char *chan_name(const chan_t *ch);
 * DESCRIPTION
 *	A channel is one line: a simulated one (chan_sim), later a SIP
 *	trunk leg. Each driver provides a constructor of its own that
 *	returns a chan_t *, and fills in the operations below. The dialer
 *	makes N channels and gives each one call at a time. Everything runs
 *	on the dialer's uv loop; no operation blocks it.
 *
 *	chan_call() places a call to p->dial and sends the fax p->tiff from
 *	page p->first_page (1-based) on. It returns 0 when the call is under
 *	way, or -1 with the reason in err (channel busy with another call,
 *	bad parameters); then no callback will follow. The parameters are
 *	copied; nothing in *p need outlive chan_call().
 *	    dial	the digits to dial, after the dial plan's rewriting
 *	    number	the canonical number ("+" and digits), for logs and
 *			for drivers that route on it
 *	    tiff	TIFF/F file to send
 *	    first_page	first page to send, 1-based; a retry after pages
 *			were confirmed passes the first unconfirmed page
 *	    ecm		1 to offer ECM
 *	    modems	T30_EP_V27TER | T30_EP_V29 | T30_EP_V17, 0 = all
 *	    fine	1 when the document was rendered at fine resolution
 *			(the TIFF carries the resolution; informational)
 *	    ident	our TSI, at most 20 characters
 *	    header	page header line, at most 50 characters
 *	    job_id, attempt identify the attempt in logs and file names
 *	    t38		what the destination showed before: -1 unknown,
 *			0 refused T.38 (do not ask again), 1 took it
 *	    subaddress	T.33 subaddress (the /T33S= of the fax address) sent
 *			in the SUB frame; NULL or "" for none
 *	    dtmf	digits to send after the answer, before T.30 (an
 *			onramp gateway's address, the /DTMF= qualifier of
 *			the fax address); NULL or "" for none
 *	After a successful chan_call(), on_page(user, pages) is called each
 *	time the far end confirms a page, with the number of pages confirmed
 *	in this call so far (the page number is first_page - 1 + pages), so
 *	the caller can persist progress; then on_done(user, result) is
 *	called exactly once, whatever happens (see outcome(3) for the
 *	result). Callbacks always run from the uv loop and never from inside
 *	chan_call(), chan_hangup() or chan_close(). The result pointer is
 *	valid only during on_done. Once on_done starts the channel is idle:
 *	on_done may call chan_call() again, or chan_close().
 *
 *	chan_hangup() aborts the call in progress (no-op when idle); on_done
 *	still follows, once, normally with a FAX_RETRY result.
 *
 *	chan_close() aborts any call without calling its callbacks, and
 *	releases the channel (its uv handles close asynchronously; the
 *	memory goes when they have). ch is invalid afterwards.
 *
 *	An answering side (incoming faxes) will be added as another
 *	operation by the SIP driver; drivers without it leave it NULL.
 * DIAGNOSTICS
 *	chan_call() returns -1 with the reason in err.
 */
#ifndef FAXGATE_CHAN_H
#define FAXGATE_CHAN_H

#include <stddef.h>

#include "outcome.h"

typedef struct chan chan_t;

typedef struct chan_call_params {
	const char *dial;
	const char *number;
	const char *tiff;
	int first_page;
	int ecm;
	int modems;
	int fine;
	const char *ident;
	const char *header;
	long job_id;
	int attempt;
	int t38;
	const char *dtmf;
	const char *subaddress;
} chan_call_params_t;

typedef void (*chan_done_cb)(void *user, const fax_result_t *r);
typedef void (*chan_page_cb)(void *user, int pages_confirmed);

typedef struct chan_ops {
	const char *name;	/* driver name, "sim", "sip" */
	int (*call)(chan_t *, const chan_call_params_t *, chan_page_cb,
	    chan_done_cb, void *user, char *err, size_t errlen);
	void (*hangup)(chan_t *);
	void (*close)(chan_t *);
} chan_ops_t;

struct chan {
	const chan_ops_t *ops;
};

/* chan_call - start a call on ch, returns 0 or -1 with err set */
static inline int chan_call(chan_t *ch, const chan_call_params_t *p,
    chan_page_cb on_page, chan_done_cb on_done, void *user, char *err,
    size_t errlen)
{
	return ch->ops->call(ch, p, on_page, on_done, user, err, errlen);
}

/* chan_hangup - abort the call in progress, returns nothing */
static inline void chan_hangup(chan_t *ch)
{
	ch->ops->hangup(ch);
}

/* chan_close - abort silently and release the channel, returns nothing */
static inline void chan_close(chan_t *ch)
{
	ch->ops->close(ch);
}

/* chan_name - the driver's name, returns a constant */
static inline const char *chan_name(const chan_t *ch)
{
	return ch->ops->name;
}

#endif
