/*
 * NAME
 *	t30 - one T.30 fax endpoint (sender or receiver) on SpanDSP,
 *	over 8 kHz audio or over T.38 IFP packets
 * SYNOPSIS
 *	#include "t30.h"
 *
 *	t30_ep_t *t30_ep_new(const t30_ep_config_t *cfg, char *err, size_t errlen);
 *	void	t30_ep_free(t30_ep_t *ep);
 *
 *	int	t30_ep_tx_audio(t30_ep_t *ep, int16_t *buf, int n);
 *	void	t30_ep_rx_audio(t30_ep_t *ep, const int16_t *buf, int n);
 *
 *	int	t30_ep_rx_ifp(t30_ep_t *ep, const uint8_t *buf, int len, uint16_t seq);
 *	void	t30_ep_tick(t30_ep_t *ep, int samples);
 *
 *	void	t30_ep_hangup(t30_ep_t *ep);
 *	int	t30_ep_done(const t30_ep_t *ep);
 *	int	t30_ep_pages(const t30_ep_t *ep);
 *	const fax_result_t *t30_ep_result(const t30_ep_t *ep);
 *	int	t30_ep_tiff_pages(const char *path, char *err, size_t errlen);
 *	const char *t30_ep_remote_ident(t30_ep_t *ep);
const char *t30_ep_remote_sub(t30_ep_t *ep);
 *	const char *t30_ep_remote_sub(t30_ep_t *ep);
 * DESCRIPTION
 *	A t30_ep_t is one end of one fax call: SpanDSP's T.30 engine with
 *	either its audio front end (fax_state_t: V.21, V.27ter, V.29, V.17
 *	modems on 8 kHz 16-bit linear samples) or its T.38 terminal front
 *	end (t38_terminal_state_t: IFP packets, no UDPTL). The channel owns
 *	the transport (RTP, UDPTL, a simulated line) and moves samples or
 *	packets; this module owns everything about the fax itself and turns
 *	phase E into a fax_result_t (see outcome(3)). One endpoint serves one
 *	call; make a new one for the next call.
 *
 *	t30_ep_new() creates an endpoint from *cfg (copied; the strings are
 *	used during the call only for what SpanDSP copies at once, so they
 *	need not outlive the call). The fields:
 *	    transport	T30_EP_AUDIO or T30_EP_T38.
 *	    calling	1 when we placed the call (we send CNG and wait for
 *			DIS), 0 when we answered (we send CED and DIS).
 *	    transmit	1: send tx_file; 0: receive into rx_file.
 *	    tx_file	TIFF/F to send; first_page is 1-based (0 means 1),
 *			last_page 0 means to the end. A retry resumes by
 *			setting first_page to the first unconfirmed page.
 *			The file must hold first_page (checked here: SpanDSP
 *			0.0.6 would dial and then report FILEERROR).
 *	    rx_file	TIFF written as pages arrive (receiving only).
 *	    ident	TSI/CSI, at most 20 characters ("" none).
 *	    header	page header text sent at the top of each page
 *			(sending only; NULL or "" for none). SpanDSP 0.0.6
 *			adds it as extra rows above the image (32 rows at
 *			fine resolution); the document itself is untouched.
 *	    sub_address	sending only: a T.33 subaddress (digits, at most 20)
 *			sent in the SUB frame when the receiver supports
 *			subaddressing; NULL or "" for none. Every endpoint
 *			announces that it receives subaddresses.
 *	    ecm		1 to offer/accept ECM.
 *	    modems	T30_EP_V27TER | T30_EP_V29 | T30_EP_V17; 0 = all three.
 *	    compressions T30_EP_T4_1D | T30_EP_T4_2D | T30_EP_T6; 0 = 1D and
 *			2D, plus T.6 when ecm is on. T.6 is dropped without
 *			ECM (T.30 allows it only with ECM).
 *	    t38_unpaced	T.38 only: 1 sets T38_TERMINAL_OPTION_NO_PACING, so
 *			SpanDSP emits image data as fast as it is asked for
 *			(simulations, TCP); 0 paces it as a real modem would.
 *	    t38_max_datagram T.38 only: far end's T38FaxMaxDatagram; 0 keeps
 *			SpanDSP's default (100).
 *	    tx_ifp	T.38 only, required: called with each IFP to send;
 *			count is how many copies SpanDSP asks for (indicators
 *			are sent more than once on UDPTL). Return 0.
 *	    on_page	optional: called when the number of pages confirmed
 *			(sending: MCF received) or received grows, with that
 *			count for this call; the absolute page just confirmed
 *			is first_page - 1 + pages.
 *	    on_frame	optional: every T.30 HDLC frame, incoming (1) or
 *			outgoing (0), raw (address, control, FCF, FIF).
 *	    log, log_level, log_tag optional: SpanDSP's messages at or
 *			below log_level (1 error .. 5 flow .. 8 debug) go to
 *			log() without the trailing newline. log_level 0 (the
 *			default) keeps SpanDSP silent. Nothing is ever
 *			written to stderr, libtiff's messages included while
 *			SpanDSP runs on behalf of an endpoint.
 *	    user	passed to every callback.
 *	All callbacks run inside the t30_ep_* call that caused them (from
 *	deep inside SpanDSP): they must not call t30_ep_hangup() or
 *	t30_ep_free() on the same endpoint, nor feed it. Record and act
 *	after the call returns.
 *
 *	Audio: t30_ep_tx_audio() fills buf with the next n samples and
 *	returns n (silence when idle). t30_ep_rx_audio() feeds n received
 *	samples. Audio time is the sample count: feed both directions at the
 *	same pace, 8000 samples per second of line time.
 *
 *	T.38: t30_ep_rx_ifp() feeds one received IFP with its UDPTL sequence
 *	number (after the channel's own loss recovery), returning 0 or -1
 *	for a packet SpanDSP rejects. t30_ep_tick() advances T.38 time by
 *	samples (160 = 20 ms); call it every 20 ms of line time. It is a
 *	no-op for audio endpoints, whose time is the samples themselves.
 *
 *	t30_ep_hangup() tells the endpoint the line is gone: T.30 is
 *	terminated and phase E reports it (T30_ERR_CALLDROPPED, or OK when
 *	the call was only waiting for the final DCN). It is idempotent.
 *
 *	t30_ep_done() returns 1 once phase E has run; from then on the
 *	feeding functions do nothing. t30_ep_pages() returns the pages
 *	confirmed (or received) so far in this call. t30_ep_result() returns
 *	the result once done, else NULL; it stays valid until t30_ep_free().
 *	t30_ep_free() hangs up if needed and frees; NULL is allowed. Output
 *	TIFFs are complete and closed once the endpoint is done.
 *
 *	t30_ep_remote_ident() returns the far end's identifier (its TSI
 *	when it sends, its CSI when it receives) as received, "" until
 *	it is known; valid until the next t30_ep_* call on ep.
 *
 *	t30_ep_remote_sub() returns the T.33 subaddress the sender gave in
 *	its SUB frame (receiving side), "" when none.
 *
 *	t30_ep_tiff_pages() returns the number of pages (directories) in a
 *	TIFF file, or -1 with the reason in err, without libtiff printing.
 *
 *	Not thread-safe: SpanDSP's log handler has no user pointer, so the
 *	endpoint being served is kept in a static while a t30_ep_* call runs.
 *	Use endpoints from one thread (the dialer's uv loop).
 * DIAGNOSTICS
 *	t30_ep_new() returns NULL with the reason in err: bad configuration,
 *	an unreadable tx_file or one with fewer than first_page pages, ident
 *	too long, or SpanDSP failing to initialise.
 */
#ifndef FAXGATE_T30_H
#define FAXGATE_T30_H

#include <stddef.h>
#include <stdint.h>

#include "outcome.h"

/* Values equal SpanDSP's T30_SUPPORT_*; t30.c checks that at compile time. */
#define T30_EP_V27TER	0x01
#define T30_EP_V29	0x02
#define T30_EP_V17	0x04
#define T30_EP_T4_1D	0x02
#define T30_EP_T4_2D	0x04
#define T30_EP_T6	0x08

enum t30_ep_transport { T30_EP_AUDIO = 0, T30_EP_T38 = 1 };

typedef struct t30_ep t30_ep_t;

typedef int (*t30_ep_ifp_fn)(void *user, const uint8_t *ifp, int len, int count);
typedef void (*t30_ep_page_fn)(void *user, int pages);
typedef void (*t30_ep_frame_fn)(void *user, int incoming, const uint8_t *msg, int len);
typedef void (*t30_ep_log_fn)(void *user, int level, const char *text);

typedef struct t30_ep_config {
	enum t30_ep_transport transport;
	int calling;
	int transmit;
	const char *tx_file;
	int first_page;
	int last_page;
	const char *rx_file;
	const char *ident;
	const char *header;
	const char *sub_address;	/* T.33 subaddress to send (SUB), NULL none */
	int refuse;			/* receiver: answer, then DCN at phase B */
	int ecm;
	int modems;
	int compressions;
	int t38_unpaced;
	int t38_max_datagram;
	t30_ep_ifp_fn tx_ifp;
	t30_ep_page_fn on_page;
	t30_ep_frame_fn on_frame;
	t30_ep_log_fn log;
	int log_level;
	const char *log_tag;
	void *user;
} t30_ep_config_t;

t30_ep_t *t30_ep_new(const t30_ep_config_t *cfg, char *err, size_t errlen);
void t30_ep_free(t30_ep_t *ep);
int t30_ep_tx_audio(t30_ep_t *ep, int16_t *buf, int n);
void t30_ep_rx_audio(t30_ep_t *ep, const int16_t *buf, int n);
int t30_ep_rx_ifp(t30_ep_t *ep, const uint8_t *buf, int len, uint16_t seq);
void t30_ep_tick(t30_ep_t *ep, int samples);
void t30_ep_hangup(t30_ep_t *ep);
int t30_ep_done(const t30_ep_t *ep);
int t30_ep_pages(const t30_ep_t *ep);
const fax_result_t *t30_ep_result(const t30_ep_t *ep);
int t30_ep_tiff_pages(const char *path, char *err, size_t errlen);
const char *t30_ep_remote_ident(t30_ep_t *ep);
const char *t30_ep_remote_sub(t30_ep_t *ep);

#endif
