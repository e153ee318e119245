/*
 * fmsip.c - faxmodem's SIP line (contrib/fmsip.c) over loopback: one
 * fmsip calls another, which rings and answers; the audio arrives sample
 * for sample (G.711 round trip); a second caller gets 486; hang-up from
 * either side; a plain sipua(3) UA's T.38 re-INVITE gets 488 and the
 * call stays up, an audio re-INVITE gets 200; no common codec is 488.
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>
#include <spandsp.h>

#include "contrib/fmsip.h"
#include "sipua.h"
#include "tap.h"
#include "nettest.h"

#define MAXF 4

static fmsip_t *live[MAXF];	/* the lines spin() drives */
static uv_loop_t *loop;		/* the plain UA's */

/* the plain UA C: its events */
static int c_kind[32], c_status[32], c_n;
static char c_sdp[2048];

static void on_c(void *user, sipua_call_t *c, const sipua_event_t *ev)
{
	(void)user;
	(void)c;
	if (c_n < 32) {
		c_kind[c_n] = ev->kind;
		c_status[c_n++] = ev->status;
	}
	if (*ev->sdp)
		snprintf(c_sdp, sizeof(c_sdp), "%s", ev->sdp);
}

static int c_saw(int kind, int status)
{
	for (int i = 0; i < c_n; i++)
		if (c_kind[i] == kind && (status == 0 || c_status[i] == status))
			return 1;
	return 0;
}

/* spin - run every loop until cond(arg) holds or secs pass; returns cond */
static int spin(int (*cond)(void *), void *arg, double secs)
{
	uint64_t end = uv_hrtime() + (uint64_t)(secs * 1e9);

	while (!cond(arg) && uv_hrtime() < end) {
		struct pollfd p[MAXF + 1];
		int n = 0;

		for (int i = 0; i < MAXF; i++)
			if (live[i])
				p[n++] = (struct pollfd){ .fd = fmsip_fd(live[i]), .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = uv_backend_fd(loop), .events = POLLIN };
		poll(p, (nfds_t)n, 5);
		for (int i = 0; i < MAXF; i++)
			if (live[i])
				fmsip_run(live[i]);
		uv_run(loop, UV_RUN_NOWAIT);
	}
	return cond(arg);
}

static int never(void *x) { (void)x; return 0; }
static int is_state_ringing(void *s) { return fmsip_state(s) == FMSIP_RINGING; }
static int is_state_up(void *s) { return fmsip_state(s) == FMSIP_UP; }
static int is_state_ended(void *s) { return fmsip_state(s) == FMSIP_ENDED; }
static int c_done(void *want) { return c_saw(((int *)want)[0], ((int *)want)[1]); }

/*
 * line - a line in slot on a free port, its SIP port in *port; NULL when
 * none would bind. A port nettest_free_port() found may be taken before we bind
 * it (our own RTP sockets take ephemeral ports too): try a few.
 */
static fmsip_t *line(int slot, int *port, const char *call, int codec)
{
	char bind[64], err[256] = "";
	fmsip_config_t cf = { .bind = bind, .call = call, .media_addr = "127.0.0.1",
		.codec = codec, .jitter_ms = 40 };

	for (int i = 0; i < 5 && live[slot] == NULL; i++) {
		*port = nettest_free_port();
		snprintf(bind, sizeof(bind), "sip:127.0.0.1:%d", *port);
		live[slot] = fmsip_new(&cf, err, sizeof(err));
	}
	if (live[slot] == NULL)
		diag("fmsip_new: %s", err);
	return live[slot];
}

/* plain_ua - a sipua(3) UA of its own on a free port, NULL when none would bind */
static sipua_t *plain_ua(void)
{
	char bind[64], err[256] = "";
	sipua_config_t cc = { .bind = bind, .from = "sip:c@127.0.0.1" };
	sipua_t *ua = NULL;

	for (int i = 0; i < 5 && ua == NULL; i++) {
		snprintf(bind, sizeof(bind), "sip:127.0.0.1:%d", nettest_free_port());
		ua = sipua_new(loop, &cc, err, sizeof(err));
	}
	if (ua == NULL)
		diag("sipua_new: %s", err);
	return ua;
}

static void drop(int slot)
{
	fmsip_free(live[slot]);
	live[slot] = NULL;
}

static int g_freed;
static void on_freed(void *arg)
{
	(void)arg;
	g_freed = 1;
}

/* ua_free - shut the plain UA down and wait for it */
static void ua_free(sipua_t *ua)
{
	g_freed = 0;
	sipua_free(ua, on_freed, NULL);
	while (!g_freed)
		uv_run(loop, UV_RUN_ONCE);
}

/* test_call - A calls B: ring, answer, audio both ways, busy, hang-up */
static void test_call(void)
{
	char uri[96], err[256], sum[600];
	int pb, pa;
	fmsip_t *a, *b;

	b = line(1, &pb, NULL, FMSIP_ANY);
	snprintf(uri, sizeof(uri), "sip:{dial}@127.0.0.1:%d", pb);
	a = line(0, &pa, uri, FMSIP_ANY);
	ok(a && b, "two lines listen");
	if (!a || !b) {
		drop(0);
		drop(1);
		return;
	}
	is_int(fmsip_answer(b, err, sizeof(err)), -1, "nothing to answer before a call");
	is_int(fmsip_dial(b, "1", err, sizeof(err)), -1, "no dialling without --call: %s", err);
	is_int(fmsip_dial(a, "5550100", err, sizeof(err)), 0, "A dials 5550100");
	is_int(fmsip_state(a), FMSIP_CALLING, "A is calling");
	ok(spin(is_state_ringing, b, 5), "B rings");
	is_int(fmsip_dial(a, "5550100", err, sizeof(err)), -1, "A cannot dial twice");

	/* A plain UA calls B while it rings: one line, one call. */
	char target[96];
	snprintf(target, sizeof(target), "sip:x@127.0.0.1:%d", pb);
	sipua_t *ua = plain_ua();
	sipua_call_t *call = ua ? sipua_invite(ua, target,
	    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=audio 4000 RTP/AVP 0\r\n", on_c, NULL, err, sizeof(err)) : NULL;
	int busy[2] = { SIPUA_EV_FAILED, 486 };
	ok(call && spin(c_done, busy, 5), "a second caller gets 486 while B rings");
	if (call)
		sipua_release(call);

	is_int(fmsip_answer(b, err, sizeof(err)), 0, "B answers");
	ok(spin(is_state_up, a, 5), "A hears the answer: the call is up");

	/* A 1 kHz tone from A must reach B as its G.711 round trip. */
	int16_t tone[FMSIP_SAMPLES], want[FMSIP_SAMPLES], rx[FMSIP_SAMPLES], quiet[FMSIP_SAMPLES];
	int got = 0, same = 0, ticks;
	memset(quiet, 0, sizeof(quiet));
	for (int i = 0; i < FMSIP_SAMPLES; i++) {
		tone[i] = (int16_t)(i % 8 < 4 ? 8000 : -8000);
		want[i] = ulaw_to_linear(linear_to_ulaw(tone[i]));
	}
	for (ticks = 0; ticks < 50 && got < 5; ticks++) {
		fmsip_audio(a, tone, rx);
		fmsip_audio(b, quiet, rx);
		if (memcmp(rx, quiet, sizeof(rx)) != 0) {
			got++;
			same += memcmp(rx, want, sizeof(rx)) == 0;
		}
		spin(never, NULL, 0.02);	/* 20 ms of every loop */
	}
	ok(got == 5 && same == 5, "B plays A's audio sample for sample, PCMU (%d of %d blocks)",
	    same, got);
	fmsip_summary(b, sum, sizeof(sum));
	ok(strstr(sum, "direction=in codec=PCMU t38_refused=0") != NULL, "B's summary: %s", sum);

	fmsip_hangup(a);
	ok(spin(is_state_ended, b, 5), "A hangs up: B's call ends");
	fmsip_summary(b, sum, sizeof(sum));
	ok(strstr(sum, "ended=remote status=0") != NULL, "B: ended by the far end");
	fmsip_summary(a, sum, sizeof(sum));
	ok(strstr(sum, "direction=out") && strstr(sum, "ended=local"), "A: ended by us");
	drop(0);
	drop(1);
	if (ua)
		ua_free(ua);
}

/* test_reinvite - a plain UA's re-INVITEs: T.38 refused, audio taken */
static void test_reinvite(void)
{
	static const char audio[] =
	    "v=0\r\no=- 7 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=audio 4000 RTP/AVP 8 0\r\nm=image 4002 udptl t38\r\n";
	static const char t38[] =
	    "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=image 4002 udptl t38\r\na=T38FaxVersion:0\r\n";
	static const char audio2[] =
	    "v=0\r\no=- 7 3 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
	    "m=audio 4010 RTP/AVP 8\r\n";
	char target[96], err[256], sum[600];
	int pb;
	fmsip_t *b = line(1, &pb, NULL, FMSIP_ANY);

	snprintf(target, sizeof(target), "sip:5550100@127.0.0.1:%d", pb);
	sipua_t *ua = plain_ua();
	c_n = 0;
	sipua_call_t *call = ua ? sipua_invite(ua, target, audio, on_c, NULL, err, sizeof(err)) : NULL;
	ok(b && call && spin(is_state_ringing, b, 5), "a plain UA's call rings the line");
	if (!b || !call) {
		if (call)
			sipua_release(call);
		if (ua)
			ua_free(ua);
		drop(1);
		return;
	}
	is_int(fmsip_answer(b, err, sizeof(err)), 0, "the line answers");
	int answered[2] = { SIPUA_EV_ANSWERED, 0 };
	ok(spin(c_done, answered, 5), "the UA has the answer");
	ok(strstr(c_sdp, "m=audio ") && strstr(c_sdp, "RTP/AVP 8"),
	    "the answer takes the offer's first codec, PCMA");
	ok(strstr(c_sdp, "m=image 0 ") != NULL, "and refuses the offered T.38 stream (port 0)");

	sipua_reinvite(call, t38);
	int refused[2] = { SIPUA_EV_REINVITE_DONE, 488 };
	ok(spin(c_done, refused, 5), "a re-INVITE to T.38 gets 488");
	is_int(fmsip_state(b), FMSIP_UP, "the call stays up");
	c_n = 0;
	sipua_reinvite(call, audio2);
	int moved[2] = { SIPUA_EV_REINVITE_DONE, 200 };
	ok(spin(c_done, moved, 5), "an audio re-INVITE gets 200");
	fmsip_summary(b, sum, sizeof(sum));
	ok(strstr(sum, "codec=PCMA t38_refused=1") != NULL, "the summary counts the refusal: %s", sum);

	sipua_hangup(call, 0);
	ok(spin(is_state_ended, b, 5), "the UA's BYE ends the line's call");
	sipua_release(call);
	drop(1);
	ua_free(ua);
}

/* test_codec - PCMA only calling PCMU only: 488 */
static void test_codec(void)
{
	char uri[96], err[256];
	int pa, pb;
	fmsip_t *a, *b;

	b = line(1, &pb, NULL, FMSIP_PCMU);
	snprintf(uri, sizeof(uri), "sip:{dial}@127.0.0.1:%d", pb);
	a = line(0, &pa, uri, FMSIP_PCMA);
	if (!a || !b) {
		drop(0);
		drop(1);
		return;
	}
	fmsip_dial(a, "1", err, sizeof(err));
	ok(spin(is_state_ringing, b, 5), "PCMA only calls PCMU only: it rings");
	is_int(fmsip_answer(b, err, sizeof(err)), -1, "no common codec, no answer: %s", err);
	spin(is_state_ended, a, 5);
	is_int(fmsip_end_status(a), 488, "the caller's INVITE fails with 488");
	drop(0);
	drop(1);
}

int main(void)
{
	loop = uv_default_loop();
	test_call();
	test_reinvite();
	test_codec();
	uv_loop_close(loop);
	return done_testing();
}
