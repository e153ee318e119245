/*
 * NAME
 *	faxmodem - a virtual Class 1 fax modem on a pseudo-terminal, whose
 *	phone line ends in a faxgate T.30 endpoint or a SIP G.711 call
 *	(test peer for efax)
 * SYNOPSIS
 *	faxmodem --device PATH (--send FILE.tif | --receive OUT.tif)
 *		[--timeout SECONDS] [--ident TEXT] [--verbose]...
 *	faxmodem --device PATH --sip URI [--call URI] [--from URI]
 *		[--codec pcmu|pcma] [--media ADDR] [--jitter MS]
 *		[--timeout SECONDS] [--verbose]...
 * DESCRIPTION
 *	faxmodem lets an independent fax program (efax, or anything that
 *	speaks Class 1 to a serial modem) be the fax machine at the other
 *	end of faxgate's T.30 endpoint (dialer/t30.c):
 *
 *	    efax --pty-- SpanDSP T.31 modem ==audio== t30_ep (faxgate)
 *
 *	It creates a pseudo-terminal and a symbolic link PATH to its slave
 *	side (efax -d PATH). SpanDSP's T.31 emulation (t31_init) runs on
 *	the master side and turns AT commands into modem audio; that audio
 *	is one end of a simulated phone line, 160 samples each way every
 *	20 ms of real time, whose other end is a t30_ep_t created for the
 *	call, exactly as the dialer's simulated channel uses it.
 *
 *	--send FILE.tif: the faxgate end calls and sends FILE.tif. The call
 *	is answered when the DTE says ATA, whenever it does: efax in answer
 *	mode ("efax -d PATH -r PREFIX") sends ATA as soon as it has set the
 *	modem up. For a DTE that waits for RING, faxmodem rings (RING every
 *	3 s, once the DTE has been quiet for a second after its set-up
 *	commands); with ATS0=1 the modem answers by itself on the first
 *	RING ("efax -d PATH -iS0=1 -w -r PREFIX").
 *
 *	--receive OUT.tif: any ATD is a call to the faxgate end, which
 *	answers and writes the pages it receives to OUT.tif (run
 *	"efax -d PATH -t NUMBER FILES..." to send). A second ATD in the
 *	same run finds the line busy.
 *
 *	The faxgate end offers T.4 1D without ECM: that is all efax does.
 *	The call ends when the DTE hangs up (ATH) or closes the device (a
 *	pty has no DTR: faxmodem watches the slave's opens and closes with
 *	inotify, and the last close during a call is a DTR drop), after 2 s
 *	more of line time for the faxgate end to finish on its own, or when
 *	the faxgate end has finished and the DTE is still off hook 5 s
 *	later (then the line goes dead under it: NO CARRIER). faxmodem then
 *	answers the DTE's closing commands until the DTE closes the device
 *	or has been quiet for a second, prints the faxgate end's result on
 *	standard output as one line
 *
 *	    result: class=ok status=2.0.0 code=OK pages=3 rate=14400 ecm=0
 *		resolution=204x196 text=...
 *
 *	(the fields of fax_result_t, see dialer/outcome.h) and exits,
 *	removing PATH. --timeout (default 300 s) bounds the whole run; then
 *	the call is dropped and the result says so. --ident sets the
 *	faxgate end's TSI/CSI (default "+1 555 0100"). --verbose
 *	(repeatable) traces call events on standard error; twice adds the
 *	AT commands, responses and HDLC frames (page data as byte counts),
 *	three times SpanDSP's T.30 and T.31 flow messages, four times
 *	their debug messages.
 *
 *	--sip URI: the line is a SIP call instead (fmsip(3)), to or from
 *	faxgate-dialer's SIP channel: faxmodem listens on URI (e.g.
 *	sip:127.0.0.1:5070) and carries the modem's audio as G.711 RTP
 *	(--codec: only PCMU or only PCMA; default both) from --media ADDR
 *	(default 127.0.0.1) through a fixed playout delay of --jitter ms
 *	(default 160), on the same 20 ms clock. T.38 is refused (488). An
 *	INVITE rings the DTE (RING as above; an ATA given before the INVITE
 *	answers it at once); the DTE's ATD places an INVITE to --call with
 *	{dial} replaced by the digits (486 gives BUSY, other failures NO
 *	ANSWER). The far end's BYE counts as the faxgate end finishing;
 *	the DTE hanging up sends BYE 2 s later. The result line describes
 *	the call ("result: sip call_id=... codec=... t38_refused=N ...");
 *	whether the fax went through is the DTE's and the far end's to say.
 * DIAGNOSTICS
 *	Exit status 0 when the fax went through (class ok), with --sip when
 *	a call was answered and ended by a BYE; 1 when the call failed or
 *	timed out, 2 for bad usage or a set-up failure.
 * NOTES
 *	What SpanDSP 0.0.6's T.31 needs from its host (see the notes in
 *	contrib/README-faxmodem.md): DTE data is fed at most 128 bytes at a
 *	time and not read at all while T.31 holds CTS off (its non-ECM
 *	transmit buffer is 4 KB and breaks silently when overrun); call
 *	events are raised from the loop, never from inside a SpanDSP
 *	callback; a slave descriptor stays open so the master never sees
 *	EIO between the DTE's opens and closes. Only one call per run.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Only for t31_state_t.rx_queue: SpanDSP 0.0.6's t31_free() leaks it. */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>

#include "faxmodem.h"

static volatile sig_atomic_t stop_signal;

/* now_ns - the monotonic clock in nanoseconds, returns it */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* fm_trace - one line on stderr with the line time, when verbose >= level */
void fm_trace(const modem_t *m, int level, const char *fmt, ...)
{
	va_list ap;

	if (m->verbose < level)
		return;
	fprintf(stderr, "faxmodem %7.2f ", (double)m->ticks / 50.0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* fm_far_end_gone - the far end is done: end with the DTE's hang-up, or
 * drop the line under a DTE that still listens; see faxmodem.h */
void fm_far_end_gone(modem_t *m)
{
	if (m->dte_hangup_at != 0) {
		m->state = C_DONE;
	} else if (m->ticks - m->done_at >= DROP_TICKS) {
		fm_trace(m, 1, "dropping the line under the DTE");
		m->dropped = 1;
		t31_call_event(m->t31, AT_CALL_EVENT_HANGUP);
		m->state = C_DONE;
	}
}

/*
 * trace_bytes - show DTE traffic when verbose >= 2: commands, responses
 * and HDLC frames as text; long runs of page data only as byte counts.
 */
static void trace_bytes(modem_t *m, int in, const uint8_t *buf, size_t len)
{
	char text[200];
	size_t i, n = 0;
	size_t *bulk = in ? &m->bulk_in : &m->bulk_out;

	if (m->verbose < 2)
		return;
	if (len > 40) {
		*bulk += len;
		return;
	}
	if (m->bulk_in > 0 || m->bulk_out > 0) {
		fm_trace(m, 2, "   (%zu data bytes from the DTE, %zu to it)",
		    m->bulk_in, m->bulk_out);
		m->bulk_in = m->bulk_out = 0;
	}
	/* T.31 writes "\r\n", "OK", "\r\n" separately: show the words. */
	while (len > 0 && (buf[len - 1] == '\r' || buf[len - 1] == '\n'))
		len--;
	while (len > 0 && (buf[0] == '\r' || buf[0] == '\n')) {
		buf++;
		len--;
	}
	if (len == 0)
		return;
	for (i = 0; i < len && n + 8 < sizeof(text); i++) {
		if (buf[i] >= 0x20 && buf[i] < 0x7F && buf[i] != '\\')
			text[n++] = (char)buf[i];
		else if (buf[i] == '\r')
			n += (size_t)snprintf(text + n, sizeof(text) - n, "\\r");
		else if (buf[i] == '\n')
			n += (size_t)snprintf(text + n, sizeof(text) - n, "\\n");
		else
			n += (size_t)snprintf(text + n, sizeof(text) - n, "\\x%02x", buf[i]);
	}
	text[n] = '\0';
	fm_trace(m, 2, "%s %s", in ? "->" : "<-", text);
}

/* span_msg - SpanDSP's T.31 log line to stderr, returns nothing */
static void span_msg(int level, const char *text)
{
	fprintf(stderr, "faxmodem t31: %s", text);
}

/* ep_log - the faxgate end's log line to stderr, returns nothing */
static void ep_log(void *user, int level, const char *text)
{
	fprintf(stderr, "faxmodem faxgate: %s\n", text);
}

/* ---- the DTE side ----------------------------------------------------- */

/* at_tx - T.31 has bytes for the DTE: queue and write them, returns 0 */
static int at_tx(at_state_t *s, void *user, const uint8_t *buf, size_t len)
{
	modem_t *m = user;

	trace_bytes(m, 0, buf, len);
	m->bytes_out += len;
	fmpty_queue(&m->pty, buf, len);
	return 0;
}

/* control_name - a modem control operation's name, returns it */
static const char *control_name(int op)
{
	switch (op) {
	case AT_MODEM_CONTROL_CALL:	return "call";
	case AT_MODEM_CONTROL_ANSWER:	return "answer";
	case AT_MODEM_CONTROL_HANGUP:	return "hangup";
	case AT_MODEM_CONTROL_OFFHOOK:	return "off hook";
	case AT_MODEM_CONTROL_ONHOOK:	return "on hook";
	case AT_MODEM_CONTROL_DTR:	return "DTR";
	case AT_MODEM_CONTROL_RTS:	return "RTS";
	case AT_MODEM_CONTROL_CTS:	return "CTS";
	case AT_MODEM_CONTROL_CAR:	return "CAR";
	case AT_MODEM_CONTROL_RNG:	return "RNG";
	case AT_MODEM_CONTROL_DSR:	return "DSR";
	case AT_MODEM_CONTROL_SETID:	return "set id";
	case AT_MODEM_CONTROL_RESTART:	return "restart";
	case AT_MODEM_CONTROL_DTE_TIMEOUT: return "DTE timeout";
	default:			return "?";
	}
}

/* modem_control - T.31 asks the "hardware" for something; records only */
static int modem_control(t31_state_t *s, void *user, int op, const char *num)
{
	modem_t *m = user;

	switch (op) {
	case AT_MODEM_CONTROL_CALL:
		snprintf(m->dialled, sizeof(m->dialled), "%s", num ? num : "");
		m->ev_call = 1;
		break;
	case AT_MODEM_CONTROL_ANSWER:
		m->ev_answer = 1;
		break;
	case AT_MODEM_CONTROL_HANGUP:
		m->ev_hangup = 1;
		break;
	case AT_MODEM_CONTROL_CTS:
		/* The pointer is the new state: NULL is off. */
		if (m->cts && num == NULL)
			m->cts_offs++;
		m->cts = num != NULL;
		return 0;
	default:
		break;
	}
	/* Call, answer and hangup are the story; the rest is detail. */
	fm_trace(m, op == AT_MODEM_CONTROL_CALL || op == AT_MODEM_CONTROL_ANSWER ||
	    op == AT_MODEM_CONTROL_HANGUP ? 1 : 2,
	    "modem control: %s%s%s", control_name(op),
	    op == AT_MODEM_CONTROL_CALL ? " " : "",
	    op == AT_MODEM_CONTROL_CALL ? m->dialled : "");
	return 0;
}

/* read_dte - feed what the DTE wrote to T.31 while CTS allows, returns nothing */
static void read_dte(modem_t *m)
{
	char buf[AT_CHUNK];
	int rounds;

	/* Bounded so one burst cannot starve the line's clock. */
	for (rounds = 0; rounds < 64 && m->cts; rounds++) {
		ssize_t n = read(m->pty.master, buf, sizeof(buf));

		if (n <= 0)
			return;
		trace_bytes(m, 1, (const uint8_t *)buf, (size_t)n);
		m->seen_dte = 1;
		m->bytes_in += (uint64_t)n;
		m->last_dte = m->ticks;
		t31_at_rx(m->t31, buf, (int)n);
	}
}

/* watch_dte - the DTE's opens and closes of the device, returns nothing */
static void watch_dte(modem_t *m)
{
	int before = m->pty.dte_opens;

	if (fmpty_watch(&m->pty))
		m->ev_dte_closed = 1;
	if (m->pty.dte_opens != before)
		fm_trace(m, 2, "the DTE has the device open %d time%s",
		    m->pty.dte_opens, m->pty.dte_opens == 1 ? "" : "s");
}

/* ---- the call --------------------------------------------------------- */

/* start_ep - the faxgate end of the call, returns 0 or -1 */
static int start_ep(modem_t *m)
{
	t30_ep_config_t c = {
		.transport = T30_EP_AUDIO,
		.calling = m->sending,
		.transmit = m->sending,
		.tx_file = m->sending ? m->file : NULL,
		.rx_file = m->sending ? NULL : m->file,
		.ident = m->ident,
		/* efax does neither ECM nor 2D. */
		.ecm = 0,
		.compressions = T30_EP_T4_1D,
		.log = ep_log,
		.log_level = m->verbose >= 4 ? 8 : m->verbose >= 3 ? 5 : 0,
		.log_tag = "faxgate",
		.user = m,
	};
	char err[256];

	if ((m->ep = t30_ep_new(&c, err, sizeof(err))) == NULL) {
		fprintf(stderr, "faxmodem: %s\n", err);
		return -1;
	}
	return 0;
}

/* handle_events - act on what the callbacks recorded, returns 0 or -1 */
static int handle_events(modem_t *m)
{
	if (m->sip != NULL)
		fm_sip_events(m);		/* takes ev_answer and ev_call */
	if (m->ev_answer) {
		m->ev_answer = 0;
		/* efax answers at once (ATA right after its set-up); other
		 * DTEs wait for RING. Either way the caller is there. */
		if (m->sending && (m->state == C_IDLE || m->state == C_RINGING)) {
			if (start_ep(m) < 0)
				return -1;
			m->state = C_LINE;
			fm_trace(m, 1, "answered after %d ring%s: faxgate sends %s",
			    m->rings, m->rings == 1 ? "" : "s", m->file);
			t31_call_event(m->t31, AT_CALL_EVENT_ANSWERED);
		}
	}
	if (m->ev_call) {
		m->ev_call = 0;
		if (!m->sending && m->state == C_IDLE) {
			if (start_ep(m) < 0)
				return -1;
			m->state = C_LINE;
			fm_trace(m, 1, "call to \"%s\": faxgate answers into %s",
			    m->dialled, m->file);
			t31_call_event(m->t31, AT_CALL_EVENT_CONNECTED);
		} else {
			/* Only --receive takes a call, one per run: the line is busy. */
			t31_call_event(m->t31, AT_CALL_EVENT_BUSY);
		}
	}
	if (m->ev_dte_closed) {
		m->ev_dte_closed = 0;
		/* As a modem does when DTR drops: the call is over. Before a
		 * call it means nothing (a DTE may open the device again). */
		if (m->state == C_LINE && m->dte_hangup_at == 0) {
			fm_trace(m, 1, "the DTE closed the device during the call");
			m->dte_hangup_at = m->ticks;
			m->dropped = 1;
			t31_call_event(m->t31, AT_CALL_EVENT_HANGUP);
		}
	}
	if (m->ev_hangup) {
		m->ev_hangup = 0;
		if (m->state == C_LINE && m->dte_hangup_at == 0) {
			fm_trace(m, 1, "the DTE hung up");
			m->dte_hangup_at = m->ticks;
		}
	}
	return 0;
}

/* tick - 20 ms of line time both ways and the call's clock, returns nothing */
static void tick(modem_t *m)
{
	int16_t a[TICK_SAMPLES], b[TICK_SAMPLES];
	int n;

	m->ticks++;
	n = t31_tx(m->t31, a, TICK_SAMPLES);
	if (n < 0)
		n = 0;
	if (n < TICK_SAMPLES)
		memset(a + n, 0, (size_t)(TICK_SAMPLES - n) * sizeof(*a));
	if (m->ep != NULL && m->state == C_LINE) {
		t30_ep_tx_audio(m->ep, b, TICK_SAMPLES);
		t30_ep_rx_audio(m->ep, a, TICK_SAMPLES);
	} else if (m->sip != NULL) {
		fmsip_audio(m->sip, a, b);
		if (fmsip_late(m->sip) != m->sip_late) {
			/* Each one is 20 ms of silence in the modem's ear. */
			fm_trace(m, 1, "RTP: %lu packet%s too late to play",
			    fmsip_late(m->sip) - m->sip_late,
			    fmsip_late(m->sip) - m->sip_late == 1 ? "" : "s");
			m->sip_late = fmsip_late(m->sip);
		}
	} else {
		memset(b, 0, sizeof(b));
	}
	t31_rx(m->t31, b, TICK_SAMPLES);
	span_log_bump_samples(t31_get_logging_state(m->t31), TICK_SAMPLES);

	switch (m->state) {
	case C_IDLE:
		/* A call for the DTE: ring once it has set itself up and waits. */
		if ((m->sip ? fmsip_state(m->sip) == FMSIP_RINGING : m->sending) && m->seen_dte &&
		    m->ticks - m->last_dte >= QUIET_TICKS) {
			m->state = C_RINGING;
			m->next_ring = m->ticks;
		}
		break;
	case C_RINGING:
		if (m->ticks >= m->next_ring) {
			m->rings++;
			fm_trace(m, 1, "RING %d", m->rings);
			t31_call_event(m->t31, AT_CALL_EVENT_ALERTING);
			m->next_ring = m->ticks + RING_TICKS;
		}
		break;
	case C_LINE:
		if (m->sip != NULL) {
			fm_sip_line(m);
			break;
		}
		/* The DTE hung up: let the last audio reach our end, then
		 * end T.30 there (a no-op when it already finished). */
		if (m->dte_hangup_at != 0 && !t30_ep_done(m->ep) &&
		    m->ticks - m->dte_hangup_at >= SETTLE_TICKS) {
			fm_trace(m, 1, "terminating the faxgate end");
			t30_ep_hangup(m->ep);
		}
		if (t30_ep_done(m->ep)) {
			if (m->done_at == 0) {
				m->done_at = m->ticks;
				m->result = *t30_ep_result(m->ep);
				fm_trace(m, 1, "faxgate end done: %s, %d page%s",
				    m->result.error_code, m->result.pages_sent,
				    m->result.pages_sent == 1 ? "" : "s");
			}
			fm_far_end_gone(m);
		}
		break;
	case C_DIALLING:	/* sip_events() follows the INVITE */
	case C_DONE:
		break;
	}
}

/* finish_call - end the call wherever it is (timeout, signal), returns nothing */
static void finish_call(modem_t *m, const char *why)
{
	if (m->sip != NULL) {
		fm_trace(m, 1, "%s", why);
		if (m->state == C_LINE && m->dte_hangup_at == 0 && !m->dropped) {
			m->dropped = 1;
			t31_call_event(m->t31, AT_CALL_EVENT_HANGUP);
		}
		fmsip_hangup(m->sip);
		m->state = C_DONE;
		return;
	}
	if (m->ep != NULL && m->done_at == 0) {
		t30_ep_hangup(m->ep);
		m->result = *t30_ep_result(m->ep);
		m->done_at = m->ticks;
		snprintf(m->result.error_text, sizeof(m->result.error_text), "%s", why);
	} else if (m->ep == NULL) {
		fax_result_init(&m->result);
		fax_result_internal(&m->result, "NOCALL", why);
	}
	if (m->ep != NULL && m->dte_hangup_at == 0 && !m->dropped) {
		m->dropped = 1;
		t31_call_event(m->t31, AT_CALL_EVENT_HANGUP);
	}
	m->state = C_DONE;
}

/* free_t31 - t31_free() and what 0.0.6's t31_release() forgets, returns nothing */
static void free_t31(t31_state_t *t)
{
	if (t == NULL)
		return;
	if (t->rx_queue != NULL) {
		queue_free(t->rx_queue);
		t->rx_queue = NULL;
	}
	t31_free(t);
}

/* on_signal - note SIGINT/SIGTERM for the loop, returns nothing */
static void on_signal(int sig)
{
	stop_signal = sig;
}

/* run - the loop: pty I/O as it comes, a tick every 20 ms; 0 or -1 */
static int run(modem_t *m)
{
	int64_t next = now_ns() + TICK_NS;
	uint64_t done_tick = 0;

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = m->pty.master, .events = 0 },
			{ .fd = m->pty.watch, .events = POLLIN },
			{ .fd = m->sip ? fmsip_fd(m->sip) : -1, .events = POLLIN },
		};
		int64_t wait = next - now_ns();
		int behind = 0, ms = (int)((wait + 999999) / 1000000);

		if (m->cts)
			p[0].events |= POLLIN;
		if (m->pty.out_len > 0)
			p[0].events |= POLLOUT;
		if (m->sip != NULL && fmsip_timeout(m->sip) >= 0 && fmsip_timeout(m->sip) < ms)
			ms = fmsip_timeout(m->sip);
		if (wait > 0 && poll(p, 3, ms) > 0) {
			if (p[0].revents & POLLOUT)
				fmpty_flush(&m->pty);
			if (p[0].revents & POLLIN)
				read_dte(m);
			if (p[1].revents & POLLIN)
				watch_dte(m);
		}
		if (m->sip != NULL)
			fmsip_run(m->sip);	/* SIP and RTP, never blocking */
		if (handle_events(m) < 0)
			return -1;
		while (now_ns() >= next) {
			/* After a stall (a loaded machine), catch up a little,
			 * then let the line slip rather than burst. */
			if (behind++ < MAX_CATCHUP)
				tick(m);
			next += TICK_NS;
			if (handle_events(m) < 0)
				return -1;
		}
		if (behind > MAX_CATCHUP)
			next = now_ns() + TICK_NS;

		if (stop_signal && m->state != C_DONE) {
			finish_call(m, "faxmodem was stopped by a signal");
			if (m->ep == NULL)
				return 0;
		}
		if (m->state != C_DONE && (long)m->ticks >= m->timeout_ticks) {
			m->timed_out = 1;
			fm_trace(m, 1, "timeout");
			finish_call(m, "faxmodem timed out");
			if (m->ep == NULL)
				return 0;
		}
		if (m->state == C_DONE) {
			/* Serve the DTE's closing commands (ATH, reset) until it
			 * has been quiet for a while. */
			if (done_tick == 0)
				done_tick = m->ticks;
			if ((m->pty.dte_seen_open && m->pty.dte_opens == 0) ||
			    (m->ticks - m->last_dte >= LINGER_TICKS &&
			    m->ticks - done_tick >= LINGER_TICKS) ||
			    m->ticks - done_tick >= LINGER_MAX || stop_signal)
				return 0;
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: faxmodem --device PATH (--send FILE.tif | "
	    "--receive OUT.tif)\n"
	    "                [--timeout SECONDS] [--ident TEXT] [--verbose]...\n"
	    "       faxmodem --device PATH --sip URI [--call URI] [--from URI]\n"
	    "                [--codec pcmu|pcma] [--media ADDR] [--jitter MS]\n"
	    "                [--timeout SECONDS] [--verbose]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "send", required_argument, NULL, 's' },
		{ "receive", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "ident", required_argument, NULL, 'i' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "sip", required_argument, NULL, 'S' },
		{ "call", required_argument, NULL, 'C' },
		{ "from", required_argument, NULL, 'F' },
		{ "codec", required_argument, NULL, 'c' },
		{ "media", required_argument, NULL, 'm' },
		{ "jitter", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	modem_t m;
	struct sigaction sa;
	long timeout = 300;
	int c, rc;
	char *end, err[256];

	memset(&m, 0, sizeof(m));
	m.pty.master = m.pty.slave = m.pty.watch = -1;
	m.ident = "+1 555 0100";
	m.sending = -1;
	m.sipcf.codec = FMSIP_ANY;
	/* The dialer's default ([sip] jitter_buffer): 60 ms lost pages to
	 * scheduling stalls on a loaded test machine. */
	m.sipcf.jitter_ms = 160;
	while ((c = getopt_long(argc, argv, "d:s:r:t:i:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			m.device = optarg;
			break;
		case 's':
		case 'r':
			if (m.sending != -1)
				usage();
			m.sending = c == 's';
			m.file = optarg;
			break;
		case 't':
			timeout = strtol(optarg, &end, 10);
			if (*end != '\0' || timeout <= 0 || timeout > 86400)
				usage();
			break;
		case 'i':
			m.ident = optarg;
			break;
		case 'v':
			m.verbose++;
			break;
		case 'S':
			m.sipcf.bind = optarg;
			break;
		case 'C':
			m.sipcf.call = optarg;
			break;
		case 'F':
			m.sipcf.from = optarg;
			break;
		case 'c':
			if (strcmp(optarg, "pcmu") != 0 && strcmp(optarg, "pcma") != 0)
				usage();
			m.sipcf.codec = optarg[3] == 'u' ? FMSIP_PCMU : FMSIP_PCMA;
			break;
		case 'm':
			m.sipcf.media_addr = optarg;
			break;
		case 'j':
			m.sipcf.jitter_ms = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || m.sipcf.jitter_ms < 20 ||
			    m.sipcf.jitter_ms > 320 || m.sipcf.jitter_ms % 20)
				usage();
			break;
		default:
			usage();
		}
	}
	/* Either the in-process faxgate end (--send, --receive) or SIP. */
	if (optind != argc || m.device == NULL ||
	    (m.sipcf.bind == NULL) == (m.sending == -1))
		usage();
	m.timeout_ticks = timeout * 50;
	m.cts = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (m.sipcf.bind != NULL) {
		if ((m.sip = fmsip_new(&m.sipcf, err, sizeof(err))) == NULL) {
			fprintf(stderr, "faxmodem: %s\n", err);
			return 2;
		}
	} else if (m.sending) {
		/* Checked now, not when the DTE answers. */
		if (t30_ep_tiff_pages(m.file, err, sizeof(err)) < 1) {
			fprintf(stderr, "faxmodem: %s\n", err);
			return 2;
		}
	}
	if (fmpty_open(&m.pty, m.device, err, sizeof(err)) == 0 &&
	    (m.t31 = t31_init(NULL, at_tx, &m, modem_control, &m, NULL, NULL)) == NULL)
		snprintf(err, sizeof(err), "t31_init failed");
	if (m.t31 == NULL) {
		fprintf(stderr, "faxmodem: %s\n", err);
		fmpty_close(&m.pty);
		fmsip_free(m.sip);
		return 2;
	}
	t31_set_transmit_on_idle(m.t31, 1);
	span_log_set_message_handler(t31_get_logging_state(m.t31), span_msg);
	if (m.verbose >= 3)
		span_log_set_level(t31_get_logging_state(m.t31),
		    (m.verbose >= 4 ? SPAN_LOG_DEBUG : SPAN_LOG_FLOW) |
		    SPAN_LOG_SHOW_TAG | SPAN_LOG_SHOW_SAMPLE_TIME);
	fm_trace(&m, 1, "%s -> %s: waiting for the DTE (%s)", m.device,
	    m.pty.slave_name, m.sip ? "SIP line" : m.sending ? "it must answer" :
	    "it must dial");

	rc = run(&m);
	fmpty_close(&m.pty);
	fm_trace(&m, 1, "DTE sent %llu bytes, received %llu; CTS went off %ld times",
	    (unsigned long long)m.bytes_in, (unsigned long long)m.bytes_out,
	    m.cts_offs);
	if (rc == 0 && m.sip != NULL) {
		char sum[600];

		fmsip_summary(m.sip, sum, sizeof(sum));
		printf("result: sip %s\n", sum);
		fflush(stdout);
		rc = m.sip_up && fmsip_state(m.sip) == FMSIP_ENDED && !m.timed_out &&
		    !stop_signal ? 0 : 1;
	} else if (rc == 0) {
		printf("result: class=%s status=%s code=%s pages=%d rate=%d "
		    "ecm=%d resolution=%s text=%s\n", fax_class_name(m.result.cls),
		    m.result.status, m.result.error_code, m.result.pages_sent,
		    m.result.bit_rate, m.result.ecm,
		    m.result.resolution[0] ? m.result.resolution : "-",
		    m.result.error_text);
		fflush(stdout);
		rc = m.result.cls == FAX_OK && m.ep != NULL && !m.timed_out ? 0 : 1;
	} else {
		rc = 2;
	}
	t30_ep_free(m.ep);
	fmsip_free(m.sip);
	free_t31(m.t31);
	return rc;
}
