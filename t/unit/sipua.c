/*
 * sipua.c - two SIP user agents (each with its own Sofia thread) on one
 * libuv loop, talking over loopback UDP: calls, re-INVITEs both ways, a
 * refused re-INVITE that keeps the call, CANCEL, BYE with a Q.850
 * reason, refusals, Call-IDs, shutdown.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "sipua.h"
#include "tap.h"
#include "nettest.h"

#define MAXEV 64

typedef struct {
	int kind, status, q850;
	char sdp[512], phrase[64], call_id[128];
} rec_t;

typedef struct {
	const char *name;
	rec_t ev[MAXEV];
	int nev;
	sipua_call_t *call;
	sipua_incoming_t in;
	char in_call_id[128], in_did[64], in_caller[64], in_sdp[512];
	int nincoming;
	int answer;		/* what to do with an incoming call: 0 = 200 */
} side_t;

static uv_loop_t *loop;
static side_t A = { .name = "A" }, B = { .name = "B" };
static int freed;

static const char SDP1[] =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n";
static const char SDP2[] =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=image 4002 udptl t38\r\na=T38FaxVersion:0\r\n";

static void on_event(void *user, sipua_call_t *c, const sipua_event_t *ev)
{
	side_t *sd = user;
	rec_t *r;

	(void)c;
	if (sd->nev >= MAXEV)
		return;
	r = &sd->ev[sd->nev++];
	r->kind = ev->kind;
	r->status = ev->status;
	r->q850 = ev->q850;
	snprintf(r->sdp, sizeof(r->sdp), "%s", ev->sdp);
	snprintf(r->phrase, sizeof(r->phrase), "%s", ev->phrase);
	snprintf(r->call_id, sizeof(r->call_id), "%s", ev->call_id);
}

static void on_incoming(void *user, sipua_call_t *c, const sipua_incoming_t *in)
{
	side_t *sd = user;

	sd->nincoming++;
	snprintf(sd->in_call_id, sizeof(sd->in_call_id), "%s", in->call_id);
	snprintf(sd->in_did, sizeof(sd->in_did), "%s", sipua_pick_did(in));
	snprintf(sd->in_caller, sizeof(sd->in_caller), "%s", in->caller);
	snprintf(sd->in_sdp, sizeof(sd->in_sdp), "%s", in->sdp);
	if (sd->answer >= 300) {
		sipua_respond(c, sd->answer, NULL, NULL);
		sipua_release(c);
		return;
	}
	sipua_set_handler(c, on_event, sd);
	sd->call = c;
	if (sd->answer == 180)
		sipua_respond(c, 180, NULL, NULL);
	else
		sipua_respond(c, 200, NULL, SDP1);
}

static void on_deadline(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* wait_for - run the loop until *cond is true or secs pass, returns *cond */
static int wait_for(int (*cond)(void), double secs)
{
	uv_timer_t t;
	int expired = 0;

	uv_timer_init(loop, &t);
	t.data = &expired;
	uv_timer_start(&t, on_deadline, (uint64_t)(secs * 1000), 0);
	while (!cond() && !expired)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return cond();
}

static int find(side_t *sd, int kind)
{
	for (int i = 0; i < sd->nev; i++)
		if (sd->ev[i].kind == kind)
			return i;
	return -1;
}

static int want_kind_a, want_kind_b;
static int a_has(void) { return find(&A, want_kind_a) >= 0; }
static int b_has(void) { return find(&B, want_kind_b) >= 0; }
static int b_incoming(void) { return B.nincoming > 0; }
static int both_freed(void) { return freed == 2; }

static void reset(side_t *sd)
{
	sd->nev = 0;
	sd->nincoming = 0;
}

static void on_freed(void *arg)
{
	(void)arg;
	freed++;
}

static void test_pick_did(void)
{
	sipua_incoming_t in = { .request_user = "100", .to_user = "200" };

	is_str(sipua_pick_did(&in), "100", "DID: Request-URI user before To");
	in.request_user = "";
	is_str(sipua_pick_did(&in), "200", "DID: To when the Request-URI has no user");
	in.diversion_user = "300";
	is_str(sipua_pick_did(&in), "300", "DID: Diversion before Request-URI");
	in.history_user = "400";
	is_str(sipua_pick_did(&in), "400", "DID: History-Info before Diversion");
	in.pcpid_user = "500";
	is_str(sipua_pick_did(&in), "500", "DID: P-Called-Party-ID first");
	sipua_incoming_t none = { 0 };
	is_str(sipua_pick_did(&none), "", "DID: empty when nothing says");
	is_int(sipua_q850_of_status(486), 17, "486 is Q.850 17 (busy)");
	is_int(sipua_q850_of_status(480), 19, "480 is Q.850 19 (no answer)");
	is_int(sipua_q850_of_status(404), 1, "404 is Q.850 1 (unallocated)");
	is_int(sipua_q850_of_status(484), 28, "484 is Q.850 28 (incomplete)");
	is_int(sipua_q850_of_status(503), 34, "503 is Q.850 34 (congestion)");
	is_int(sipua_q850_of_status(488), 88, "488 is Q.850 88 (incompatible)");
}

int main(void)
{
	char err[256], a_bind[64], b_bind[64], b_uri[96];
	int pa = nettest_free_port(), pb = nettest_free_port();
	sipua_t *sa, *sb;
	int i;

	test_pick_did();
	loop = uv_default_loop();
	snprintf(a_bind, sizeof(a_bind), "sip:127.0.0.1:%d", pa);
	snprintf(b_bind, sizeof(b_bind), "sip:127.0.0.1:%d", pb);
	snprintf(b_uri, sizeof(b_uri), "sip:+15550100@127.0.0.1:%d", pb);
	/* Session timers of 2 s (below RFC 4028's 90 s, which sipua allows
	 * for tests): refreshes come within a call of a few seconds. */
	sipua_config_t ca = { .bind = a_bind, .from = "sip:+15559999@127.0.0.1",
		.session_expires = 2, .on_incoming = on_incoming, .user = &A };
	sipua_config_t cb = { .bind = b_bind, .from = "sip:fax@127.0.0.1",
		.session_expires = 2, .on_incoming = on_incoming, .user = &B };

	sa = sipua_new(loop, &ca, err, sizeof(err));
	ok(sa != NULL, "agent A listens on %s%s%s", a_bind, sa ? "" : ": ", sa ? "" : err);
	sb = sipua_new(loop, &cb, err, sizeof(err));
	ok(sb != NULL, "agent B listens on %s", b_bind);
	if (!sa || !sb)
		return done_testing();
	{
		sipua_config_t cc = ca;
		ok(sipua_new(loop, &cc, err, sizeof(err)) == NULL && strstr(err, "cannot listen"),
		    "a second agent on a port in use fails: %s", err);
		uv_run(loop, UV_RUN_NOWAIT);
	}

	/* 1. A call, answered with SDP */
	A.call = sipua_invite(sa, b_uri, SDP1, on_event, &A, err, sizeof(err));
	ok(A.call != NULL, "invite placed");
	ok(strlen(sipua_call_id(A.call)) > 10, "Call-ID known at once: %s", sipua_call_id(A.call));
	ok(wait_for(b_incoming, 5), "B sees the INVITE");
	is_str(B.in_did, "+15550100", "B's DID from the Request-URI");
	is_str(B.in_caller, "+15559999", "B's caller from From");
	ok(strstr(B.in_sdp, "m=audio 4000") != NULL, "B gets the offer");
	is_str(B.in_call_id, sipua_call_id(A.call), "both sides see the same Call-ID");
	want_kind_a = SIPUA_EV_ANSWERED;
	ok(wait_for(a_has, 5), "A sees the answer");
	i = find(&A, SIPUA_EV_ANSWERED);
	is_int(A.ev[i].status, 200, "answer is 200");
	ok(strstr(A.ev[i].sdp, "m=audio 4000") != NULL, "answer carries B's SDP");
	want_kind_b = SIPUA_EV_ACK;
	ok(wait_for(b_has, 5), "B gets the ACK");

	/* 2. A's re-INVITE refused with 488: the call stays */
	reset(&A); reset(&B);
	ok(sipua_reinvite(A.call, SDP2) == 0, "A sends a T.38 re-INVITE");
	want_kind_b = SIPUA_EV_OFFER;
	ok(wait_for(b_has, 5), "B gets the re-INVITE as an offer");
	ok(strstr(B.ev[find(&B, SIPUA_EV_OFFER)].sdp, "m=image 4002") != NULL, "with the image offer");
	sipua_respond(B.call, 488, NULL, NULL);
	want_kind_a = SIPUA_EV_REINVITE_DONE;
	ok(wait_for(a_has, 5), "A hears how its re-INVITE ended");
	is_int(A.ev[find(&A, SIPUA_EV_REINVITE_DONE)].status, 488, "with 488");
	ok(find(&A, SIPUA_EV_ENDED) < 0 && find(&B, SIPUA_EV_ENDED) < 0, "the call is still up");

	/* 3. again, accepted */
	reset(&A); reset(&B);
	ok(sipua_reinvite(A.call, SDP2) == 0, "A re-INVITEs again");
	ok(wait_for(b_has, 5), "B gets it");
	sipua_respond(B.call, 200, NULL, SDP2);
	ok(wait_for(a_has, 5), "A hears the answer");
	i = find(&A, SIPUA_EV_REINVITE_DONE);
	is_int(A.ev[i].status, 200, "200 this time");
	ok(strstr(A.ev[i].sdp, "m=image 4002") != NULL, "with the image answer");

	/* 4. B (the called side) re-INVITEs */
	reset(&A); reset(&B);
	ok(sipua_reinvite(B.call, SDP1) == 0, "B sends a re-INVITE");
	want_kind_a = SIPUA_EV_OFFER;
	ok(wait_for(a_has, 5), "A gets it as an offer");
	sipua_respond(A.call, 200, NULL, SDP1);
	want_kind_b = SIPUA_EV_REINVITE_DONE;
	ok(wait_for(b_has, 5), "B hears the answer");
	is_int(B.ev[find(&B, SIPUA_EV_REINVITE_DONE)].status, 200, "200 from the caller side");

	/* 4b. session refreshes while the call is up */
	reset(&A); reset(&B);
	want_kind_a = SIPUA_EV_REFRESH;
	want_kind_b = SIPUA_EV_REFRESH;
	ok(wait_for(a_has, 5) && wait_for(b_has, 5), "both sides see a session refresh");
	ok(find(&A, SIPUA_EV_ENDED) < 0 && find(&B, SIPUA_EV_ENDED) < 0, "and the call stays up");
	i = find(&A, SIPUA_EV_REFRESH);
	ok(i >= 0 && A.ev[i].status == 200 && strcmp(A.ev[i].phrase, "us") == 0,
	    "the caller refreshed (UPDATE answered 200)");
	i = find(&B, SIPUA_EV_REFRESH);
	ok(i >= 0 && strcmp(B.ev[i].phrase, "peer") == 0, "the called side saw the peer's refresh");

	/* 5. BYE with a Q.850 reason */
	reset(&A); reset(&B);
	sipua_hangup(A.call, 16);
	want_kind_b = SIPUA_EV_ENDED;
	ok(wait_for(b_has, 5), "B hears the BYE");
	is_int(B.ev[find(&B, SIPUA_EV_ENDED)].q850, 16, "with Reason Q.850 cause 16");
	want_kind_a = SIPUA_EV_ENDED;
	ok(wait_for(a_has, 5), "A's call ends too");
	sipua_release(A.call);
	sipua_release(B.call);

	/* 6. refused with 486 */
	reset(&A); reset(&B);
	B.answer = 486;
	A.call = sipua_invite(sa, b_uri, SDP1, on_event, &A, err, sizeof(err));
	want_kind_a = SIPUA_EV_FAILED;
	ok(wait_for(a_has, 5), "a refused call fails");
	i = find(&A, SIPUA_EV_FAILED);
	is_int(A.ev[i].status, 486, "with 486");
	is_str(A.ev[i].phrase, "Busy Here", "and its phrase");
	ok(find(&A, SIPUA_EV_ENDED) < 0, "FAILED is the only end event");
	sipua_release(A.call);

	/* 7. CANCEL while ringing */
	reset(&A); reset(&B);
	B.answer = 180;
	A.call = sipua_invite(sa, b_uri, SDP1, on_event, &A, err, sizeof(err));
	want_kind_a = SIPUA_EV_PROGRESS;
	ok(wait_for(a_has, 5), "A hears ringing");
	is_int(A.ev[find(&A, SIPUA_EV_PROGRESS)].status, 180, "180");
	sipua_hangup(A.call, 0);
	want_kind_b = SIPUA_EV_ENDED;
	ok(wait_for(b_has, 5), "B hears the CANCEL");
	want_kind_a = SIPUA_EV_FAILED;
	ok(wait_for(a_has, 5), "A's INVITE ends");
	is_int(A.ev[find(&A, SIPUA_EV_FAILED)].status, 487, "487 Request Terminated");
	sipua_release(A.call);
	sipua_release(B.call);

	/* 8. nobody there: a dead port times out (Sofia's timer B is 32 s,
	 * so only check the call can be released while trying) */
	{
		char dead[96];
		snprintf(dead, sizeof(dead), "sip:1@127.0.0.1:%d", nettest_free_port());
		reset(&A);
		A.call = sipua_invite(sa, dead, SDP1, on_event, &A, err, sizeof(err));
		sipua_release(A.call);
	}

	sipua_free(sa, on_freed, NULL);
	sipua_free(sb, on_freed, NULL);
	ok(wait_for(both_freed, 10), "both agents shut down");
	uv_run(loop, UV_RUN_DEFAULT);
	ok(uv_loop_close(loop) == 0, "no handle left on the loop");
	return done_testing();
}
