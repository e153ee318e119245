/*
 * NAME
 *	faxmodem - a virtual Class 1 fax modem on a pseudo-terminal, whose
 *	phone line ends in a faxgate T.30 endpoint (test peer for efax)
 * SYNOPSIS
 *	faxmodem --device PATH (--send FILE.tif | --receive OUT.tif)
 *		[--timeout SECONDS] [--ident TEXT] [--verbose]...
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
 * DIAGNOSTICS
 *	Exit status 0 when the fax went through (class ok), 1 when the call
 *	failed or timed out, 2 for bad usage or a set-up failure.
 * NOTES
 *	What SpanDSP 0.0.6's T.31 needs from its host (see the notes in
 *	contrib/README-faxmodem.md): DTE data is fed at most 128 bytes at a
 *	time and not read at all while T.31 holds CTS off (its non-ECM
 *	transmit buffer is 4 KB and breaks silently when overrun); call
 *	events are raised from the loop, never from inside a SpanDSP
 *	callback; a slave descriptor stays open so the master never sees
 *	EIO between the DTE's opens and closes. Only one call per run.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* Only for t31_state_t.rx_queue: SpanDSP 0.0.6's t31_free() leaks it. */
#define SPANDSP_EXPOSE_INTERNAL_STRUCTURES
#include <spandsp.h>

#include "t30.h"
#include "outcome.h"

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

enum call_state { C_IDLE, C_RINGING, C_LINE, C_DONE };

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

	/* the pseudo-terminal */
	int	master, slave;
	char	slave_name[PATH_MAX];
	int	watch;			/* inotify on the slave: the DTE's opens */
	int	dte_opens;		/* slave descriptors the DTE holds */
	int	dte_seen_open;		/* it opened the slave at least once */
	int	ev_dte_closed;		/* its last descriptor went ("DTR drop") */
	uint8_t *out;			/* bytes for the DTE not yet written */
	size_t	out_len, out_cap;

	/* the modem and the far end */
	t31_state_t *t31;
	t30_ep_t *ep;
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

static volatile sig_atomic_t stop_signal;

/* now_ns - the monotonic clock in nanoseconds, returns it */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* trace - one line on stderr with the line time, when verbose >= level */
static void trace(const modem_t *m, int level, const char *fmt, ...)
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
		trace(m, 2, "   (%zu data bytes from the DTE, %zu to it)",
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
	trace(m, 2, "%s %s", in ? "->" : "<-", text);
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

/* flush_out - write what the DTE has not been given yet, returns nothing */
static void flush_out(modem_t *m)
{
	while (m->out_len > 0) {
		ssize_t n = write(m->master, m->out, m->out_len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN: the pty is full; poll() says when to go on. */
			return;
		}
		memmove(m->out, m->out + n, m->out_len - (size_t)n);
		m->out_len -= (size_t)n;
	}
}

/* at_tx - T.31 has bytes for the DTE: queue and write them, returns 0 */
static int at_tx(at_state_t *s, void *user, const uint8_t *buf, size_t len)
{
	modem_t *m = user;

	trace_bytes(m, 0, buf, len);
	m->bytes_out += len;
	if (m->out_len + len > m->out_cap) {
		size_t cap = m->out_cap ? m->out_cap : 4096;
		uint8_t *nb;

		while (cap < m->out_len + len)
			cap *= 2;
		if ((nb = realloc(m->out, cap)) == NULL)
			return 0;	/* lost, as on a real serial line */
		m->out = nb;
		m->out_cap = cap;
	}
	memcpy(m->out + m->out_len, buf, len);
	m->out_len += len;
	flush_out(m);
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
	trace(m, op == AT_MODEM_CONTROL_CALL || op == AT_MODEM_CONTROL_ANSWER ||
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
		ssize_t n = read(m->master, buf, sizeof(buf));

		if (n <= 0)
			return;
		trace_bytes(m, 1, (const uint8_t *)buf, (size_t)n);
		m->seen_dte = 1;
		m->bytes_in += (uint64_t)n;
		m->last_dte = m->ticks;
		t31_at_rx(m->t31, buf, (int)n);
	}
}

/* read_watch - count the DTE's opens and closes of the slave, returns nothing */
static void read_watch(modem_t *m)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(m->watch, buf, sizeof(buf))) > 0) {
		char *p;

		for (p = buf; p < buf + n;
		    p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->mask & IN_OPEN) {
				m->dte_opens++;
				m->dte_seen_open = 1;
				trace(m, 2, "the DTE opened the device (%d open)",
				    m->dte_opens);
			}
			if ((e->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) &&
			    m->dte_opens > 0) {
				m->dte_opens--;
				trace(m, 2, "the DTE closed the device (%d open)",
				    m->dte_opens);
				if (m->dte_opens == 0)
					m->ev_dte_closed = 1;
			}
		}
	}
}

/* open_pty - the pseudo-terminal and the link to its slave, 0 or -1 */
static int open_pty(modem_t *m)
{
	struct termios tio;
	struct stat st;
	const char *name;

	if ((m->master = posix_openpt(O_RDWR | O_NOCTTY)) < 0 ||
	    grantpt(m->master) < 0 || unlockpt(m->master) < 0 ||
	    (name = ptsname(m->master)) == NULL) {
		fprintf(stderr, "faxmodem: pseudo-terminal: %s\n", strerror(errno));
		return -1;
	}
	snprintf(m->slave_name, sizeof(m->slave_name), "%s", name);
	/* Held open for the whole run: without it the master reads EIO
	 * whenever the DTE has the slave closed. */
	if ((m->slave = open(m->slave_name, O_RDWR | O_NOCTTY)) < 0) {
		fprintf(stderr, "faxmodem: %s: %s\n", m->slave_name, strerror(errno));
		return -1;
	}
	/* Raw until the DTE sets its own modes: a cooked slave would echo
	 * our RINGs back to T.31 as commands. */
	if (tcgetattr(m->slave, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(m->slave, TCSANOW, &tio);
	}
	fcntl(m->master, F_SETFL, fcntl(m->master, F_GETFL) | O_NONBLOCK);
	/* A pty has no DTR: the DTE closing the slave is the nearest thing.
	 * Our own descriptor keeps the master quiet, so watch the opens and
	 * closes instead (ours came before the watch and is not counted). */
	if ((m->watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(m->watch, m->slave_name,
	    IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0) {
		fprintf(stderr, "faxmodem: inotify on %s: %s\n", m->slave_name,
		    strerror(errno));
		return -1;
	}
	if (lstat(m->device, &st) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			fprintf(stderr, "faxmodem: %s exists and is not a symbolic "
			    "link; not replacing it\n", m->device);
			return -1;
		}
		unlink(m->device);
	}
	if (symlink(m->slave_name, m->device) < 0) {
		fprintf(stderr, "faxmodem: symlink %s: %s\n", m->device, strerror(errno));
		return -1;
	}
	return 0;
}

/* remove_link - remove PATH if it is still our link, returns nothing */
static void remove_link(const modem_t *m)
{
	char target[PATH_MAX];
	ssize_t n = readlink(m->device, target, sizeof(target) - 1);

	if (n > 0) {
		target[n] = '\0';
		if (strcmp(target, m->slave_name) == 0)
			unlink(m->device);
	}
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
	if (m->ev_answer) {
		m->ev_answer = 0;
		/* efax answers at once (ATA right after its set-up); other
		 * DTEs wait for RING. Either way the caller is there. */
		if (m->sending && (m->state == C_IDLE || m->state == C_RINGING)) {
			if (start_ep(m) < 0)
				return -1;
			m->state = C_LINE;
			trace(m, 1, "answered after %d ring%s: faxgate sends %s",
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
			trace(m, 1, "call to \"%s\": faxgate answers into %s",
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
			trace(m, 1, "the DTE closed the device during the call");
			m->dte_hangup_at = m->ticks;
			m->dropped = 1;
			t31_call_event(m->t31, AT_CALL_EVENT_HANGUP);
		}
	}
	if (m->ev_hangup) {
		m->ev_hangup = 0;
		if (m->state == C_LINE && m->dte_hangup_at == 0) {
			trace(m, 1, "the DTE hung up");
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
	} else {
		memset(b, 0, sizeof(b));
	}
	t31_rx(m->t31, b, TICK_SAMPLES);
	span_log_bump_samples(t31_get_logging_state(m->t31), TICK_SAMPLES);

	switch (m->state) {
	case C_IDLE:
		/* Sending: ring once the DTE has set itself up and waits. */
		if (m->sending && m->seen_dte &&
		    m->ticks - m->last_dte >= QUIET_TICKS) {
			m->state = C_RINGING;
			m->next_ring = m->ticks;
		}
		break;
	case C_RINGING:
		if (m->ticks >= m->next_ring) {
			m->rings++;
			trace(m, 1, "RING %d", m->rings);
			t31_call_event(m->t31, AT_CALL_EVENT_ALERTING);
			m->next_ring = m->ticks + RING_TICKS;
		}
		break;
	case C_LINE:
		/* The DTE hung up: let the last audio reach our end, then
		 * end T.30 there (a no-op when it already finished). */
		if (m->dte_hangup_at != 0 && !t30_ep_done(m->ep) &&
		    m->ticks - m->dte_hangup_at >= SETTLE_TICKS) {
			trace(m, 1, "terminating the faxgate end");
			t30_ep_hangup(m->ep);
		}
		if (t30_ep_done(m->ep)) {
			if (m->done_at == 0) {
				m->done_at = m->ticks;
				m->result = *t30_ep_result(m->ep);
				trace(m, 1, "faxgate end done: %s, %d page%s",
				    m->result.error_code, m->result.pages_sent,
				    m->result.pages_sent == 1 ? "" : "s");
			}
			if (m->dte_hangup_at != 0) {
				m->state = C_DONE;
			} else if (m->ticks - m->done_at >= DROP_TICKS) {
				/* The DTE still listens: the line goes dead. */
				trace(m, 1, "dropping the line under the DTE");
				m->dropped = 1;
				t31_call_event(m->t31, AT_CALL_EVENT_HANGUP);
				m->state = C_DONE;
			}
		}
		break;
	case C_DONE:
		break;
	}
}

/* finish_call - end the call wherever it is (timeout, signal), returns nothing */
static void finish_call(modem_t *m, const char *why)
{
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
		struct pollfd p[2] = {
			{ .fd = m->master, .events = 0 },
			{ .fd = m->watch, .events = POLLIN },
		};
		int64_t wait = next - now_ns();
		int behind = 0;

		if (m->cts)
			p[0].events |= POLLIN;
		if (m->out_len > 0)
			p[0].events |= POLLOUT;
		if (wait > 0 && poll(p, 2, (int)((wait + 999999) / 1000000)) > 0) {
			if (p[0].revents & POLLOUT)
				flush_out(m);
			if (p[0].revents & POLLIN)
				read_dte(m);
			if (p[1].revents & POLLIN)
				read_watch(m);
		}
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
			trace(m, 1, "timeout");
			finish_call(m, "faxmodem timed out");
			if (m->ep == NULL)
				return 0;
		}
		if (m->state == C_DONE) {
			/* Serve the DTE's closing commands (ATH, reset) until it
			 * has been quiet for a while. */
			if (done_tick == 0)
				done_tick = m->ticks;
			if ((m->dte_seen_open && m->dte_opens == 0) ||
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
	    "                [--timeout SECONDS] [--ident TEXT] [--verbose]...\n");
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	modem_t m;
	struct sigaction sa;
	long timeout = 300;
	int c, rc;
	char *end;

	memset(&m, 0, sizeof(m));
	m.master = m.slave = m.watch = -1;
	m.ident = "+1 555 0100";
	m.sending = -1;
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
		default:
			usage();
		}
	}
	if (optind != argc || m.device == NULL || m.sending == -1)
		usage();
	m.timeout_ticks = timeout * 50;
	m.cts = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (m.sending) {
		char err[256];

		/* Checked now, not when the DTE answers. */
		if (t30_ep_tiff_pages(m.file, err, sizeof(err)) < 1) {
			fprintf(stderr, "faxmodem: %s\n", err);
			return 2;
		}
	}
	if (open_pty(&m) < 0)
		return 2;
	m.t31 = t31_init(NULL, at_tx, &m, modem_control, &m, NULL, NULL);
	if (m.t31 == NULL) {
		fprintf(stderr, "faxmodem: t31_init failed\n");
		remove_link(&m);
		return 2;
	}
	t31_set_transmit_on_idle(m.t31, 1);
	span_log_set_message_handler(t31_get_logging_state(m.t31), span_msg);
	if (m.verbose >= 3)
		span_log_set_level(t31_get_logging_state(m.t31),
		    (m.verbose >= 4 ? SPAN_LOG_DEBUG : SPAN_LOG_FLOW) |
		    SPAN_LOG_SHOW_TAG | SPAN_LOG_SHOW_SAMPLE_TIME);
	trace(&m, 1, "%s -> %s: waiting for the DTE (%s)", m.device,
	    m.slave_name, m.sending ? "it must answer" : "it must dial");

	rc = run(&m);
	remove_link(&m);
	trace(&m, 1, "DTE sent %llu bytes, received %llu; CTS went off %ld times",
	    (unsigned long long)m.bytes_in, (unsigned long long)m.bytes_out,
	    m.cts_offs);
	if (rc == 0) {
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
	free_t31(m.t31);
	close(m.watch);
	close(m.slave);
	close(m.master);
	free(m.out);
	return rc;
}
