/*
 * chan_sim.c - a simulated line: our sender, a wire, a SpanDSP far end.
 *
 * One tick is 20 ms of line time. Ticks run from a uv timer (paced) or a
 * uv_idle handle in batches (unpaced), never in a loop that holds the uv
 * loop for a whole call. User callbacks run only between ticks, never
 * while SpanDSP is on the stack, and on_done always goes through a zero
 * timer so it never runs inside call() or hangup().
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spandsp.h>

#include "chan_sim.h"

#define TICK_SAMPLES	160	/* 20 ms at 8 kHz */
#define TICK_MS		20
#define BATCH_TICKS	50	/* unpaced: line time per loop iteration, 1 s */
#define BATCH_NS	5000000	/* and at most 5 ms of CPU per iteration */
#define DRAIN_TICKS	100	/* far end's grace after the sender is done */
#define CALLCTL_MS	1000	/* paced: time to a busy/congestion signal */
#define TF_PERIOD	15	/* trainfail: ticks between phase hits */

enum sim_beh {
	B_ANSWER, B_BUSY, B_NOANSWER, B_CONGESTION, B_INVALID, B_VOICE,
	B_NOTFAX, B_DROP, B_TRAINFAIL
};

struct chan_sim_number {
	char key[32];		/* number without "+", or "*" */
	enum sim_beh beh;
	int page;		/* drop:N */
	int times;		/* applies to the first `times` calls; 0 = all */
	int calls;		/* calls made to this number so far */
};

static const struct {
	const char *name;
	enum sim_beh beh;
	int nargs;		/* numeric arguments before the optional :M */
} beh_names[] = {
	{ "answer", B_ANSWER, -1 }, { "busy", B_BUSY, 0 },
	{ "noanswer", B_NOANSWER, 0 }, { "congestion", B_CONGESTION, 0 },
	{ "invalid", B_INVALID, 0 }, { "voice", B_VOICE, 0 },
	{ "notfax", B_NOTFAX, 0 }, { "drop", B_DROP, 1 },
	{ "trainfail", B_TRAINFAIL, 0 },
};

/* A byte queue of IFPs, each stored as a 2-byte length and the packet. */
typedef struct ifpq {
	uint8_t *buf;
	size_t len, cap;
} ifpq_t;

enum sim_state { S_IDLE, S_RINGING, S_LINE, S_DONE };

typedef struct sim_chan {
	chan_t base;
	uv_loop_t *loop;
	const chan_sim_config_t *cfg;
	uv_timer_t timer;	/* pacing, ring delays, on_done deferral */
	uv_idle_t idle;		/* unpaced ticks */
	int open_handles;
	int closing;
	enum sim_state state;
	chan_page_cb on_page;
	chan_done_cb on_done;
	void *user;
	chan_sim_number_t how;	/* this call's far-end behaviour */
	int q850;
	t30_ep_t *near, *far;
	uint64_t ticks, limit, t0_ms;
	int drain;
	int pages_seen, pages_told;
	fax_result_t result;
	int tf_open, tf_train;	/* trainfail: TCF window, training ticks */
	uint64_t tf_from;
	double vphase;		/* voice generator */
	ifpq_t q_nf, q_fn;	/* T.38 near->far, far->near */
	uint16_t seq_nf, seq_fn;
	char far_path[PATH_MAX];
} sim_chan_t;

/* ---- configuration ---------------------------------------------------- */

/* number_key - the table key for a number: without "+", returns 0 or -1 */
static int number_key(const char *number, char *key, size_t size)
{
	if (number == NULL)
		return -1;
	if (*number == '+')
		number++;
	if (*number == '\0' || strlen(number) >= size)
		return -1;
	snprintf(key, size, "%s", number);
	return 0;
}

/* parse_beh - parse "name[:N][:M]" into *out, returns 0 or -1 with err */
static int parse_beh(const char *text, chan_sim_number_t *out, char *err,
    size_t errlen)
{
	size_t n = strcspn(text, ":"), i;
	int args[2] = { 0, 0 }, nargs = 0;
	const char *p = text + n;

	for (i = 0; i < sizeof(beh_names) / sizeof(beh_names[0]); i++)
		if (strlen(beh_names[i].name) == n &&
		    strncmp(beh_names[i].name, text, n) == 0)
			break;
	if (i == sizeof(beh_names) / sizeof(beh_names[0])) {
		snprintf(err, errlen, "unknown sim behaviour \"%s\"", text);
		return -1;
	}
	while (*p == ':') {
		char *end;
		long v = strtol(p + 1, &end, 10);

		if (nargs == 2 || end == p + 1 || v < 1 || v > INT_MAX) {
			snprintf(err, errlen, "bad count in sim behaviour \"%s\"", text);
			return -1;
		}
		args[nargs++] = (int)v;
		p = end;
	}
	if (*p != '\0' || (beh_names[i].nargs < 0 && nargs > 0) ||
	    (beh_names[i].nargs >= 0 && (nargs < beh_names[i].nargs ||
	    nargs > beh_names[i].nargs + 1))) {
		snprintf(err, errlen, "bad arguments in sim behaviour \"%s\"", text);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->beh = beh_names[i].beh;
	if (out->beh == B_DROP) {
		out->page = args[0];
		out->times = nargs > 1 ? args[1] : 0;
	} else if (nargs > 0) {
		out->times = args[0];
	}
	return 0;
}

/* chan_sim_config_init - defaults, returns nothing */
void chan_sim_config_init(chan_sim_config_t *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mode = CHAN_SIM_AUDIO;
	cfg->ring_timeout = 30;
	cfg->speed = 1;
	cfg->call_limit = 1800;
	cfg->far_ecm = 1;
	cfg->far_ident = "+1 555 0100";
}

/* find - the table entry for key, returns it or NULL */
static chan_sim_number_t *find(const chan_sim_config_t *cfg, const char *key)
{
	size_t i;

	for (i = 0; i < cfg->nnumbers; i++)
		if (strcmp(cfg->numbers[i].key, key) == 0)
			return &cfg->numbers[i];
	return NULL;
}

/* set_number - check one entry and, if commit, store it; 0 or -1 */
static int set_number(chan_sim_config_t *cfg, const char *number,
    const char *behaviour, int commit, char *err, size_t errlen)
{
	chan_sim_number_t e, *old, *grown;

	if (parse_beh(behaviour, &e, err, errlen) < 0)
		return -1;
	if (number_key(number, e.key, sizeof(e.key)) < 0) {
		snprintf(err, errlen, "bad sim number \"%s\"", number ? number : "");
		return -1;
	}
	if (!commit)
		return 0;
	if ((old = find(cfg, e.key)) != NULL) {
		e.calls = old->calls;
		*old = e;
		return 0;
	}
	grown = realloc(cfg->numbers, (cfg->nnumbers + 1) * sizeof(*grown));
	if (grown == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	cfg->numbers = grown;
	cfg->numbers[cfg->nnumbers++] = e;
	return 0;
}

/* chan_sim_config_add - set one number's behaviour, returns 0 or -1 */
int chan_sim_config_add(chan_sim_config_t *cfg, const char *number,
    const char *behaviour, char *err, size_t errlen)
{
	return set_number(cfg, number, behaviour, 1, err, errlen);
}

/* chan_sim_config_add_list - add "NUMBER=BEHAVIOUR ..." entries, 0 or -1 */
int chan_sim_config_add_list(chan_sim_config_t *cfg, const char *list,
    char *err, size_t errlen)
{
	char item[96], *eq;
	const char *p;
	size_t n;
	int pass;

	/* Pass 0 only checks, so a bad entry leaves the table unchanged. */
	for (pass = 0; pass < 2; pass++) {
		for (p = list + strspn(list, " \t\r\n,"); *p != '\0';
		    p += strspn(p, " \t\r\n,")) {
			n = strcspn(p, " \t\r\n,");
			snprintf(item, sizeof(item), "%.*s", (int)n, p);
			p += n;
			if (n >= sizeof(item) || (eq = strchr(item, '=')) == NULL) {
				snprintf(err, errlen, "sim entry \"%.40s\" is not "
				    "NUMBER=BEHAVIOUR", item);
				return -1;
			}
			*eq = '\0';
			if (set_number(cfg, item, eq + 1, pass, err, errlen) < 0)
				return -1;
		}
	}
	return 0;
}

/* chan_sim_config_calls - calls made to a configured number, returns it */
int chan_sim_config_calls(const chan_sim_config_t *cfg, const char *number)
{
	char key[32];
	chan_sim_number_t *e;

	if (number_key(number, key, sizeof(key)) < 0 || (e = find(cfg, key)) == NULL)
		return 0;
	return e->calls;
}

/* chan_sim_config_free - free the number table, returns nothing */
void chan_sim_config_free(chan_sim_config_t *cfg)
{
	free(cfg->numbers);
	cfg->numbers = NULL;
	cfg->nnumbers = 0;
}

/* chan_sim_far_path - the far end's TIFF name for an attempt, 0 or -1 */
int chan_sim_far_path(const chan_sim_config_t *cfg, const char *number,
    long job_id, int attempt, char *buf, size_t size)
{
	char key[32];
	size_t i;
	int n;

	if (cfg->outdir == NULL || number_key(number, key, sizeof(key)) < 0)
		return -1;
	/* The number names a file: keep it a plain name whatever it holds. */
	for (i = 0; key[i] != '\0'; i++)
		if (!isalnum((unsigned char)key[i]) && key[i] != '*' && key[i] != '#')
			key[i] = '_';
	n = snprintf(buf, size, "%s/%s-%ld-%d.tif", cfg->outdir, key, job_id, attempt);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* ---- the line --------------------------------------------------------- */

/* ifpq_push - append one IFP to a queue, returns nothing (drops on ENOMEM) */
static void ifpq_push(ifpq_t *q, const uint8_t *buf, int len)
{
	if (len <= 0 || len > 65535)
		return;
	if (q->len + 2 + (size_t)len > q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 4096;
		uint8_t *nb;

		while (cap < q->len + 2 + (size_t)len)
			cap *= 2;
		if ((nb = realloc(q->buf, cap)) == NULL)
			return;		/* a lost packet, as on a real network */
		q->buf = nb;
		q->cap = cap;
	}
	q->buf[q->len++] = (uint8_t)(len >> 8);
	q->buf[q->len++] = (uint8_t)len;
	memcpy(q->buf + q->len, buf, (size_t)len);
	q->len += (size_t)len;
}

/* sim_log - route an endpoint's log line to the configuration's hook */
static void sim_log(void *user, int level, const char *text)
{
	sim_chan_t *sc = user;

	if (sc->cfg->log != NULL)
		sc->cfg->log(sc->cfg->log_user, level, text);
}

/* near_ifp - our sender emits an IFP: queue it, returns 0 */
static int near_ifp(void *user, const uint8_t *buf, int len, int count)
{
	ifpq_push(&((sim_chan_t *)user)->q_nf, buf, len);
	return 0;
}

/* far_ifp - the far end emits an IFP: queue it, returns 0 */
static int far_ifp(void *user, const uint8_t *buf, int len, int count)
{
	ifpq_push(&((sim_chan_t *)user)->q_fn, buf, len);
	return 0;
}

/* near_page - the sender has one more page confirmed; note it only */
static void near_page(void *user, int pages)
{
	((sim_chan_t *)user)->pages_seen = pages;
}

/*
 * far_frame - watch the far end's T.30 frames for trainfail: the window
 * from an incoming DCS to the far end's reply is when TCF is on the line.
 * The DCS rate bits (FIF octet 2, as SpanDSP 0.0.6 codes them) say how
 * long the modem trains, so phase hits start only after training: a hit
 * during training makes the far end stay silent (PHBDEAD), not say FTT.
 */
static void far_frame(void *user, int incoming, const uint8_t *msg, int len)
{
	sim_chan_t *sc = user;

	if (incoming && len >= 5 && (msg[2] & 0xFE) == T30_DCS) {
		sc->tf_open = 1;
		sc->tf_from = sc->ticks;
		/* V.17 long train 1.4 s, V.29 0.25 s, V.27ter up to 0.95 s */
		sc->tf_train = (msg[4] & 0x20) ? 70 : (msg[4] & 0x04) ? 13 : 50;
	} else if (!incoming) {
		sc->tf_open = 0;
	}
}

/* impair_audio - trainfail: 180-degree phase hits during TCF only */
static void impair_audio(sim_chan_t *sc, int16_t *a)
{
	int64_t k = (int64_t)(sc->ticks - sc->tf_from) - sc->tf_train - 4;
	int i;

	if (!sc->tf_open || k <= 0 || ((k / TF_PERIOD) & 1) == 0)
		return;
	for (i = 0; i < TICK_SAMPLES; i++)
		a[i] = (int16_t)(a[i] == INT16_MIN ? INT16_MAX : -a[i]);
}

/*
 * impair_ifp - trainfail on T.38: invert the bits of every high-speed
 * data field while TCF is expected, so the far end counts no zeros.
 * Walks the T.38 version 0 IFP layout as SpanDSP 0.0.6 encodes it.
 */
static void impair_ifp(uint8_t *p, size_t len)
{
	size_t i = 2, f, nfields;

	if (len < 2 || (p[0] & 0xC0) != 0xC0 || (p[0] & 0x20) != 0 ||
	    ((p[0] >> 1) & 0x0F) == T38_DATA_V21 || p[1] >= 0x80)
		return;
	nfields = p[1];
	for (f = 0; f < nfields && i < len; f++) {
		size_t n, k;

		if ((p[i++] & 0x80) == 0)
			continue;
		if (i + 2 > len)
			return;
		n = ((size_t)p[i] << 8 | p[i + 1]) + 1;
		i += 2;
		for (k = 0; k < n && i + k < len; k++)
			p[i + k] ^= 0xFF;
		i += n;
	}
}

/* voice_audio - a talker: voiced syllables and pauses, never a fax tone */
static void voice_audio(sim_chan_t *sc, int16_t *b)
{
	int pos = (int)(sc->ticks % 16), i, h;
	double f0 = 100.0 + (double)((sc->ticks / 16 * 37) % 90);

	if (pos >= 11) {
		memset(b, 0, TICK_SAMPLES * sizeof(*b));
		return;
	}
	for (i = 0; i < TICK_SAMPLES; i++) {
		double v = 0, env = sin(M_PI * (pos * TICK_SAMPLES + i) /
		    (11.0 * TICK_SAMPLES));

		sc->vphase += 2 * M_PI * f0 / 8000.0;
		if (sc->vphase > 2 * M_PI)
			sc->vphase -= 2 * M_PI;
		for (h = 1; h * f0 < 3400.0; h++)
			v += sin(h * sc->vphase) / h;
		b[i] = (int16_t)(3000.0 * env * v);
	}
}

/* tick_audio - 20 ms of audio both ways, returns nothing */
static void tick_audio(sim_chan_t *sc)
{
	int16_t a[TICK_SAMPLES], b[TICK_SAMPLES];

	t30_ep_tx_audio(sc->near, a, TICK_SAMPLES);
	if (sc->far != NULL)
		t30_ep_tx_audio(sc->far, b, TICK_SAMPLES);
	else if (sc->how.beh == B_VOICE)
		voice_audio(sc, b);
	else
		memset(b, 0, sizeof(b));
	if (sc->how.beh == B_TRAINFAIL)
		impair_audio(sc, a);
	if (sc->far != NULL)
		t30_ep_rx_audio(sc->far, a, TICK_SAMPLES);
	t30_ep_rx_audio(sc->near, b, TICK_SAMPLES);
}

/* deliver - hand one queue's IFPs to an endpoint (NULL: the void) */
static void deliver(sim_chan_t *sc, ifpq_t *q, t30_ep_t *to, uint16_t *seq,
    int impair)
{
	ifpq_t cur = *q;
	size_t i = 0;

	/* Taken out first: delivering may queue replies. */
	memset(q, 0, sizeof(*q));
	while (i + 2 <= cur.len) {
		size_t n = (size_t)cur.buf[i] << 8 | cur.buf[i + 1];

		i += 2;
		if (impair)
			impair_ifp(cur.buf + i, n);
		if (to != NULL)
			t30_ep_rx_ifp(to, cur.buf + i, (int)n, (*seq)++);
		i += n;
	}
	if (q->buf == NULL) {
		cur.len = 0;	/* keep the buffer for next time */
		*q = cur;
	} else {
		free(cur.buf);
	}
}

/* tick_t38 - 20 ms of T.38 time, then move the packets, returns nothing */
static void tick_t38(sim_chan_t *sc)
{
	int round;

	t30_ep_tick(sc->near, TICK_SAMPLES);
	if (sc->far != NULL)
		t30_ep_tick(sc->far, TICK_SAMPLES);
	/* Replies to replies within one tick are rare; bound it anyway. */
	for (round = 0; round < 16 && (sc->q_nf.len > 0 || sc->q_fn.len > 0); round++) {
		deliver(sc, &sc->q_nf, sc->far, &sc->seq_nf,
		    sc->how.beh == B_TRAINFAIL && sc->tf_open);
		deliver(sc, &sc->q_fn, sc->near, &sc->seq_fn, 0);
	}
}

/* on_done_timer - deliver the result from the loop, returns nothing */
static void on_done_timer(uv_timer_t *t)
{
	sim_chan_t *sc = t->data;
	fax_result_t r = sc->result;
	chan_done_cb cb = sc->on_done;
	void *user = sc->user;

	/* Idle before the callback: it may start the next call or close. */
	sc->state = S_IDLE;
	sc->on_done = NULL;
	sc->on_page = NULL;
	if (cb != NULL)
		cb(user, &r);
}

/* defer_done - stop the line and schedule on_done, returns nothing */
static void defer_done(sim_chan_t *sc)
{
	sc->state = S_DONE;
	uv_idle_stop(&sc->idle);
	uv_timer_stop(&sc->timer);
	uv_timer_start(&sc->timer, on_done_timer, 0, 0);
}

/* free_eps - release both endpoints, far first, returns nothing */
static void free_eps(sim_chan_t *sc)
{
	/* The far end goes first so its TIFF is closed with what it got. */
	t30_ep_free(sc->far);
	t30_ep_free(sc->near);
	sc->far = sc->near = NULL;
}

/* end_line - hang up both ends and report, returns nothing */
static void end_line(sim_chan_t *sc, const char *why)
{
	const fax_result_t *r;

	if (sc->far != NULL)
		t30_ep_hangup(sc->far);
	t30_ep_hangup(sc->near);
	r = t30_ep_result(sc->near);
	sc->result = *r;
	if (why != NULL && r->cls != FAX_OK)
		snprintf(sc->result.error_text, sizeof(sc->result.error_text),
		    "%s", why);
	free_eps(sc);
	defer_done(sc);
}

/* after_tick - report progress, end the call when due; returns 1 if over */
static int after_tick(sim_chan_t *sc)
{
	sc->ticks++;
	while (sc->pages_told < sc->pages_seen) {
		sc->pages_told++;
		if (sc->on_page != NULL)
			sc->on_page(sc->user, sc->pages_told);
		/* on_page may have hung up or closed the channel. */
		if (sc->closing || sc->state != S_LINE)
			return 1;
	}
	if (sc->how.beh == B_DROP && sc->pages_seen >= sc->how.page) {
		end_line(sc, NULL);
		return 1;
	}
	if (t30_ep_done(sc->near)) {
		if (sc->far == NULL || t30_ep_done(sc->far) || sc->drain-- <= 0) {
			end_line(sc, NULL);
			return 1;
		}
	} else if (sc->ticks >= sc->limit) {
		end_line(sc, "the call exceeded the time limit and was hung up");
		return 1;
	}
	return 0;
}

/* run_ticks - advance the line by up to n ticks, returns nothing */
static void run_ticks(sim_chan_t *sc, int n)
{
	uint64_t t0 = uv_hrtime();

	/* Also bounded in time, for slow machines (valgrind, sanitizers). */
	while (n-- > 0 && sc->state == S_LINE && !sc->closing &&
	    uv_hrtime() - t0 < BATCH_NS) {
		if (sc->cfg->mode == CHAN_SIM_T38)
			tick_t38(sc);
		else
			tick_audio(sc);
		if (after_tick(sc))
			return;
	}
}

/* on_idle - unpaced: one batch per loop iteration, returns nothing */
static void on_idle(uv_idle_t *h)
{
	run_ticks(h->data, BATCH_TICKS);
}

/* on_pace - paced: catch up with real time, at most one batch */
static void on_pace(uv_timer_t *t)
{
	sim_chan_t *sc = t->data;
	/* speed > 1 runs line time faster than the clock (tests that must
	 * catch a call mid-page without waiting minutes). */
	uint64_t due = (uv_hrtime() / 1000000 - sc->t0_ms) * (uint64_t)sc->cfg->speed / TICK_MS;

	if (due > sc->ticks)
		run_ticks(sc, due - sc->ticks > BATCH_TICKS ? BATCH_TICKS :
		    (int)(due - sc->ticks));
}

/* on_callctl - the network's answer arrives, returns nothing */
static void on_callctl(uv_timer_t *t)
{
	sim_chan_t *sc = t->data;

	fax_result_init(&sc->result);
	fax_result_callctl(&sc->result, sc->q850, NULL);
	defer_done(sc);
}

/* start_line - answer: create both ends and start ticking, 0 or -1 */
static int start_line(sim_chan_t *sc, const chan_call_params_t *p,
    const char *number, char *err, size_t errlen)
{
	const chan_sim_config_t *cfg = sc->cfg;
	t30_ep_config_t nc = {
		.transport = cfg->mode == CHAN_SIM_T38 ? T30_EP_T38 : T30_EP_AUDIO,
		.calling = 1, .transmit = 1, .tx_file = p->tiff,
		.first_page = p->first_page, .ident = p->ident, .header = p->header,
		.ecm = p->ecm, .modems = p->modems, .t38_unpaced = !cfg->paced,
		.tx_ifp = near_ifp, .on_page = near_page, .log = sim_log,
		.log_level = cfg->log_level, .log_tag = "near", .user = sc,
	}, fc;

	if ((sc->near = t30_ep_new(&nc, err, errlen)) == NULL)
		return -1;
	if (sc->how.beh == B_ANSWER || sc->how.beh == B_DROP ||
	    sc->how.beh == B_TRAINFAIL) {
		if (chan_sim_far_path(cfg, number, p->job_id, p->attempt,
		    sc->far_path, sizeof(sc->far_path)) < 0) {
			snprintf(err, errlen, "sim: far-end file name too long");
			free_eps(sc);
			return -1;
		}
		fc = (t30_ep_config_t){
			.transport = nc.transport, .rx_file = sc->far_path,
			.ident = cfg->far_ident, .ecm = cfg->far_ecm,
			.t38_unpaced = !cfg->paced, .tx_ifp = far_ifp,
			.on_frame = far_frame, .log = sim_log,
			.log_level = cfg->log_level, .log_tag = "far", .user = sc,
		};
		if ((sc->far = t30_ep_new(&fc, err, errlen)) == NULL) {
			free_eps(sc);
			return -1;
		}
	}
	sc->state = S_LINE;
	sc->ticks = 0;
	sc->limit = (uint64_t)(cfg->call_limit > 0 ? cfg->call_limit : 1800) *
	    (1000 / TICK_MS);
	sc->drain = DRAIN_TICKS;
	sc->pages_seen = sc->pages_told = 0;
	sc->tf_open = 0;
	sc->vphase = 0;
	sc->q_nf.len = sc->q_fn.len = 0;
	sc->seq_nf = sc->seq_fn = 0;
	sc->t0_ms = uv_hrtime() / 1000000;	/* uv_now() may be stale here */
	if (cfg->paced)
		uv_timer_start(&sc->timer, on_pace, TICK_MS, TICK_MS);
	else
		uv_idle_start(&sc->idle, on_idle);
	return 0;
}

/* sim_call - chan_ops.call for the simulated line, returns 0 or -1 */
static int sim_call(chan_t *ch, const chan_call_params_t *p,
    chan_page_cb on_page, chan_done_cb on_done, void *user, char *err,
    size_t errlen)
{
	sim_chan_t *sc = (sim_chan_t *)ch;
	const chan_sim_config_t *cfg = sc->cfg;
	const char *number;
	chan_sim_number_t *e;
	char key[32];
	int pages, first, delay;

	if (sc->closing || sc->state != S_IDLE) {
		snprintf(err, errlen, "sim: channel busy with another call");
		return -1;
	}
	number = p->number != NULL && *p->number ? p->number : p->dial;
	if (number_key(number, key, sizeof(key)) < 0 || p->tiff == NULL) {
		snprintf(err, errlen, "sim: no number or no TIFF");
		return -1;
	}
	if (cfg->outdir == NULL) {
		snprintf(err, errlen, "sim: outdir is not set");
		return -1;
	}
	/* The document is checked whatever the number does, so a bad job
	 * fails the same way on every line. */
	first = p->first_page > 0 ? p->first_page : 1;
	if ((pages = t30_ep_tiff_pages(p->tiff, err, errlen)) < 0)
		return -1;
	if (first > pages) {
		snprintf(err, errlen, "%s has %d pages, cannot start at page %d",
		    p->tiff, pages, first);
		return -1;
	}
	memset(&sc->how, 0, sizeof(sc->how));
	sc->how.beh = B_ANSWER;
	if ((e = find(cfg, key)) != NULL || (e = find(cfg, "*")) != NULL) {
		e->calls++;
		if (e->times == 0 || e->calls <= e->times)
			sc->how = *e;
	}
	sc->on_page = on_page;
	sc->on_done = on_done;
	sc->user = user;
	switch (sc->how.beh) {
	case B_BUSY:
		sc->q850 = 17;
		delay = CALLCTL_MS;
		break;
	case B_NOANSWER:
		sc->q850 = 19;
		delay = (cfg->ring_timeout > 0 ? cfg->ring_timeout : 30) * 1000;
		break;
	case B_CONGESTION:
		sc->q850 = 34;
		delay = CALLCTL_MS / 2;
		break;
	case B_INVALID:
		sc->q850 = 1;
		delay = CALLCTL_MS / 2;
		break;
	default:
		if (start_line(sc, p, number, err, errlen) < 0) {
			sc->on_page = NULL;
			sc->on_done = NULL;
			return -1;
		}
		return 0;
	}
	sc->state = S_RINGING;
	uv_timer_start(&sc->timer, on_callctl, cfg->paced ? (uint64_t)delay : 0, 0);
	return 0;
}

/* sim_hangup - chan_ops.hangup: abort, on_done follows, returns nothing */
static void sim_hangup(chan_t *ch)
{
	sim_chan_t *sc = (sim_chan_t *)ch;

	switch (sc->state) {
	case S_RINGING:
		/* Q.850 16, normal clearing: we gave up before an answer. */
		fax_result_init(&sc->result);
		fax_result_callctl(&sc->result, 16,
		    "the call was hung up locally before it was answered");
		defer_done(sc);
		break;
	case S_LINE:
		end_line(sc, "the call was hung up locally");
		break;
	default:
		break;
	}
}

/* on_handle_closed - free the channel after its last handle, returns nothing */
static void on_handle_closed(uv_handle_t *h)
{
	sim_chan_t *sc = h->data;

	if (--sc->open_handles == 0) {
		free(sc->q_nf.buf);
		free(sc->q_fn.buf);
		free(sc);
	}
}

/* sim_close - chan_ops.close: abort silently and free, returns nothing */
static void sim_close(chan_t *ch)
{
	sim_chan_t *sc = (sim_chan_t *)ch;

	if (sc->closing)
		return;
	sc->closing = 1;
	sc->on_page = NULL;
	sc->on_done = NULL;
	free_eps(sc);
	sc->state = S_IDLE;
	uv_close((uv_handle_t *)&sc->timer, on_handle_closed);
	uv_close((uv_handle_t *)&sc->idle, on_handle_closed);
}

static const chan_ops_t sim_ops = {
	.name = "sim",
	.call = sim_call,
	.hangup = sim_hangup,
	.close = sim_close,
};

/* chan_sim_new - a simulated line on loop, returns it or NULL */
chan_t *chan_sim_new(uv_loop_t *loop, const chan_sim_config_t *cfg)
{
	sim_chan_t *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		return NULL;
	sc->base.ops = &sim_ops;
	sc->loop = loop;
	sc->cfg = cfg;
	sc->state = S_IDLE;
	uv_timer_init(loop, &sc->timer);
	uv_idle_init(loop, &sc->idle);
	sc->timer.data = sc;
	sc->idle.data = sc;
	sc->open_handles = 2;
	return &sc->base;
}
