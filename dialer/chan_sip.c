/*
 * chan_sip - the SIP fax call: signalling (sipua) and SDP (sdpfax) on
 * top of the media path (media), for outgoing channels and incoming
 * calls alike (see chan_sip.h).
 *
 * One scall_t is one call in either direction. Its life: media ports are
 * bound first (the SDP needs them); signalling runs; media starts with
 * the answer; the call ends when the media reports (phase E, a hang-up,
 * a DTLS failure) or when signalling fails before there was media. Then
 * scall_end() hangs up what is still up, reports once, and releases
 * everything; sipua and media free their parts asynchronously.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sipcall.h"

struct sipchan {
	chan_t base;
	sipline_t *line;
	scall_t *call;
	chan_page_cb on_page;
	chan_done_cb on_done;
	void *user;
	int closing;
};


/* ---- SDP -------------------------------------------------------------- */

static void fp_to_text(const uint8_t *fp, size_t len, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < len && n + 4 <= size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%02X", i ? ":" : "", fp[i]);
}

static void local_init(scall_t *c)
{
	sipline_t *l = c->line;
	const config_t *cf = l->cf;
	sdp_fax_local_t *lo = &c->local;
	uint8_t rnd[16];

	memset(lo, 0, sizeof(*lo));
	if (getrandom(rnd, sizeof(rnd), 0) < (ssize_t)sizeof(rnd))
		memset(rnd, 7, sizeof(rnd));
	memcpy(&lo->sess_id, rnd, sizeof(lo->sess_id));
	lo->sess_id &= 0x7fffffffffffffffULL;
	c->version = 1;
	lo->addr = cf->sip_media_address;
	lo->audio_port = media_audio_port(c->media);
	lo->te_pt = 101;
	lo->image_port = cf->sip_t38 ? media_image_port(c->media) : 0;
	lo->version = 0;
	lo->max_bit_rate = 14400;
	lo->max_buffer = 2000;
	lo->max_datagram = 1400;
	lo->nec = l->nec;
	memcpy(lo->ec_order, l->ec_order, sizeof(lo->ec_order));
	lo->dtls_policy = l->dtls;
	if (l->dtls != SDP_FAX_DTLS_OFF) {
		static const char b64[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		uint8_t id[32];

		lo->fp_alg = "sha-256";
		lo->fp = l->fp;
		lo->fp_len = sizeof(l->fp);
		/* RFC 8842 tls-id: 32 random characters of its alphabet */
		if (getrandom(id, sizeof(id), 0) < (ssize_t)sizeof(id))
			memset(id, 7, sizeof(id));
		for (size_t i = 0; i < sizeof(id); i++)
			c->tls_id[i] = b64[id[i] & 63];
		c->tls_id[sizeof(id)] = '\0';
		lo->tls_id = c->tls_id;
	}
}

/* offer - write a new offer of media into local_sdp, 0 or -1 */
static int offer(scall_t *c, unsigned media)
{
	char err[160];

	c->local.sess_version = c->version++;
	if (sdp_fax_write_offer(&c->local, media, c->local_sdp, sizeof(c->local_sdp),
	    err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "call=%s: status=sdp_error, reason=\"%s\"", c->call_id, err);
		return -1;
	}
	return 0;
}

static void t38_of(const sdp_fax_t *d, int our_setup_known, sdp_fax_setup_t our_setup,
    media_t38_t *t, char *fp, size_t fplen)
{
	memset(t, 0, sizeof(*t));
	t->addr = d->image.addr;
	t->port = d->image.port;
	t->version = d->image.version;
	t->ec = (enum udptl_ec)d->image.ec;
	t->far_max_datagram = (int)d->image.max_datagram;
	t->local_max_datagram = 1400;
	t->dtls = d->image.dtls;
	if (t->dtls) {
		sdp_fax_setup_t mine = our_setup;
		if (!our_setup_known)	/* from the far end's a=setup */
			mine = d->dtls.setup == SDP_FAX_SETUP_ACTIVE ?
			    SDP_FAX_SETUP_PASSIVE : SDP_FAX_SETUP_ACTIVE;
		t->role = mine == SDP_FAX_SETUP_ACTIVE ? DTLS_ACTIVE : DTLS_PASSIVE;
		t->fp_alg = d->dtls.fp_alg;
		fp_to_text(d->dtls.fp, d->dtls.fp_len, fp, fplen);
		t->fp = fp;
	}
}

/* ---- results ---------------------------------------------------------- */

void scall_result_sip(scall_t *c, int status, const char *phrase, int q850)
{
	char text[160];

	fax_result_init(&c->result);
	snprintf(text, sizeof(text), "SIP %d %.140s", status, phrase ? phrase : "");
	fax_result_callctl(&c->result, q850 > 0 ? q850 : sipua_q850_of_status(status), text);
	c->have_result = 1;
}

static void result_final(scall_t *c, const char *status, const char *code, const char *text)
{
	fax_result_init(&c->result);
	c->result.cls = FAX_FINAL;
	snprintf(c->result.status, sizeof(c->result.status), "%s", status);
	snprintf(c->result.diag, sizeof(c->result.diag), "X-FAXGATE; %s", code);
	snprintf(c->result.error_code, sizeof(c->result.error_code), "%s", code);
	snprintf(c->result.error_text, sizeof(c->result.error_text), "%s", text);
	c->have_result = 1;
}

/* fail - end the call now with the result already set */
void scall_fail(scall_t *c)
{
	if (c->media && !media_done(c->media))
		media_fail(c->media, &c->result);	/* on_done follows */
	else
		scall_end(c);
}

/* ---- media events ------------------------------------------------------ */

static void on_media_page(void *user, int pages)
{
	scall_t *c = user;

	if (c->outgoing && c->chan && c->chan->on_page && !c->silent)
		c->chan->on_page(c->chan->user, pages);
}

#define REFUSE_LINGER_MS 1000	/* after the DCN of a refusal, before BYE */

static void on_refuse_linger(uv_timer_t *t)
{
	scall_end(t->data);
}

static void on_media_done(void *user)
{
	scall_t *c = user;

	if (c->refusing) {	/* keep the refusal; say how T.30 ended */
		log_msg(LOG_INFO, "call=%s: t30=refused, error=%s", c->call_id,
		    media_result(c->media)->error_code);
		/* On G.711 the DCN's last audio is still in the far end's
		 * jitter buffer: a BYE now would drop the call under it. */
		uv_timer_start(&c->t38_timer, on_refuse_linger, REFUSE_LINGER_MS, 0);
		return;
	}
	c->result = *media_result(c->media);
	c->have_result = 1;
	scall_end(c);
}

static void on_t38_timer(uv_timer_t *t);
static void send_t38_reinvite(scall_t *c);

/* on_media_dtmf - the DTMF phase is over: digits sent, or collected */
static void on_media_dtmf(void *user, const char *digits, const char *end, const char *via)
{
	scall_t *c = user;
	sipline_t *l = c->line;
	const config_t *cf = l->cf;
	char err[200], why[256] = "";

	if (c->outgoing) {
		log_msg(LOG_INFO, "call=%s: dtmf=sent, digits=%s, mode=%s", c->call_id, digits,
		    cf->sip_dtmf_mode);
		if (cf->sip_t38 && c->t38_known != 0 && c->t38 == T38_NONE)
			uv_timer_start(&c->t38_timer, on_t38_timer, cf->sip_t38_reinvite_delay, 0);
		return;
	}
	snprintf(c->digits, sizeof(c->digits), "%s", digits);
	int go = l->hooks.after_dtmf ? l->hooks.after_dtmf(l->hooks.user, c->did, c->caller, digits,
	    end, c->targets, sizeof(c->targets), why, sizeof(why)) : 1;
	snprintf(c->decision, sizeof(c->decision), "%s", why);
	log_msg(LOG_INFO, "call=%s: dtmf=collected, digits=%s, end=%s, via=%s, decision=%s, reason=\"%s\"",
	    c->call_id, *digits ? digits : "none", end, *via ? via : "none", go ? "accept" : "refuse", why);
	if (!go) {
		/*
		 * RFC 4161 3.1: a clear end. The caller is a fax machine in
		 * the middle of its call: T.30 answers and refuses its DCS
		 * with DCN, which it understands, and the BYE that follows
		 * says "call rejected" (Q.850 21) to a gateway. T.38 first,
		 * as for a fax we take: SpanDSP answers DCS with DCN at once,
		 * which on audio reaches a caller still sending its training
		 * (half duplex, not listening); as a T.38 message it arrives.
		 * If T.30 cannot start, hang up.
		 */
		result_final(c, "5.7.1", "REFUSED", *why ? why : "refused after DTMF");
		c->refusing = 1;
		if (media_start_fax(c->media, 1, err, sizeof(err)) == 0) {
			send_t38_reinvite(c);
			return;
		}
		if (c->sc && !c->sip_over) {
			sipua_hangup(c->sc, 21);
			c->sip_over = 1;
		}
		scall_fail(c);
		return;
	}
	if (media_start_fax(c->media, 0, err, sizeof(err)) < 0) {
		fax_result_init(&c->result);
		fax_result_internal(&c->result, "MEDIA", err);
		c->have_result = 1;
		scall_fail(c);
		return;
	}
	send_t38_reinvite(c);
}

/* ---- T.38 -------------------------------------------------------------- */

int scall_start_t38(scall_t *c, const sdp_fax_t *d, int setup_known, sdp_fax_setup_t mine)
{
	char err[200], fp[DTLS_FP_MAX];
	media_t38_t t;

	t38_of(d, setup_known, mine, &t, fp, sizeof(fp));
	if (media_start_t38(c->media, &t, err, sizeof(err)) < 0) {
		log_msg(LOG_ERR, "call=%s: status=media_error, reason=\"%s\"", c->call_id, err);
		fax_result_init(&c->result);
		fax_result_internal(&c->result, "MEDIA", err);
		c->have_result = 1;
		return -1;
	}
	c->t38 = T38_ON;
	log_msg(LOG_INFO, "call=%s: t38=on, transport=%s, remote=%s:%u, ec=%s, max_datagram=%ld",
	    c->call_id, media_transport(c->media), d->image.addr, d->image.port,
	    d->image.ec == SDP_FAX_EC_FEC ? "fec" : d->image.ec == SDP_FAX_EC_REDUNDANCY ?
	    "redundancy" : "none", d->image.max_datagram);
	return 0;
}

static void send_t38_reinvite(scall_t *c)
{
	unsigned form = strcmp(c->line->cf->sip_t38_reinvite_form, "audio0") == 0 ?
	    (SDP_FAX_IMAGE | SDP_FAX_AUDIO0) : SDP_FAX_IMAGE;

	if (c->t38 != T38_NONE || c->sip_over || c->ended || !c->line->cf->sip_t38)
		return;
	if (offer(c, form) < 0 || sipua_reinvite(c->sc, c->local_sdp) < 0)
		return;
	c->t38 = T38_ASKED;
	log_msg(LOG_INFO, "call=%s: t38=asked", c->call_id);
}

static void on_t38_timer(uv_timer_t *t)
{
	send_t38_reinvite(t->data);
}

static void t38_refused(scall_t *c, int status, const char *phrase)
{
	c->t38 = T38_REFUSED;
	c->result.t38 = 0;
	log_msg(LOG_INFO, "call=%s: t38=refused, sip_status=%d, reason=\"%s\"%s", c->call_id,
	    status, phrase, c->line->dtls == SDP_FAX_DTLS_REQUIRE ? "" : ", fallback=g711");
	if (c->line->dtls == SDP_FAX_DTLS_REQUIRE) {
		result_final(c, "5.7.10", "DTLS_REQUIRED",
		    "DTLS is required for T.38 and the far end refused T.38");
		c->result.t38 = 0;
		scall_fail(c);
	}
}

/* answered_reinvite - the answer to our T.38 re-INVITE */
static void answered_reinvite(scall_t *c, const sipua_event_t *ev)
{
	sdp_fax_t d;
	char err[200];

	if (c->t38 != T38_ASKED)
		return;
	if (ev->status < 200 || ev->status >= 300) {
		if (ev->status == 491 && c->glare++ < 3) {
			/* Both sides asked at once (or the far end is busy with
			 * a DTMF phase). RFC 3261 14.1: ask again after a random
			 * wait, 2.1-4 s for the caller, 0-2 s for the called
			 * side, unless the far end's re-INVITE comes first. */
			unsigned r = 0, delay;
			(void)getrandom(&r, sizeof(r), 0);
			delay = c->outgoing ? 2100 + r % 1900 : r % 2000;
			c->t38 = T38_NONE;
			uv_timer_start(&c->t38_timer, on_t38_timer, delay, 0);
			log_msg(LOG_INFO, "call=%s: t38=glare, retry_ms=%u", c->call_id, delay);
			return;
		}
		t38_refused(c, ev->status, ev->phrase);
		return;
	}
	if (sdp_fax_parse(ev->sdp, strlen(ev->sdp), &d, err, sizeof(err)) < 0 ||
	    !(d.active & SDP_FAX_IMAGE)) {
		t38_refused(c, ev->status, d.active & SDP_FAX_IMAGE ? err : "image stream rejected");
		return;
	}
	c->remote_version = d.sess_version;
	if (c->line->dtls == SDP_FAX_DTLS_REQUIRE && !d.image.dtls) {
		result_final(c, "5.7.10", "DTLS_REQUIRED",
		    "DTLS is required for T.38 and the far end answered plain UDPTL");
		scall_fail(c);
		return;
	}
	if (scall_start_t38(c, &d, 0, SDP_FAX_SETUP_NONE) < 0)
		scall_fail(c);
}

/* on_offer - the far end's re-INVITE */
static void on_offer(scall_t *c, const sipua_event_t *ev)
{
	char err[200], answer[SDP_MAX];
	sdp_fax_t d, agreed;
	int n;

	if (*ev->sdp == '\0') {
		/* An offer is wanted from us: the current session again. */
		sipua_respond(c->sc, 200, NULL, c->local_sdp);
		return;
	}
	if (sdp_fax_parse(ev->sdp, strlen(ev->sdp), &d, err, sizeof(err)) < 0) {
		log_msg(LOG_NOTICE, "call=%s: status=bad_reoffer, reason=\"%s\"", c->call_id, err);
		sipua_respond(c->sc, 488, NULL, NULL);
		return;
	}
	if (media_in_dtmf(c->media)) {
		/* The DTMF address comes first, on the audio leg; the far end
		 * may ask again (we re-INVITE ourselves once it is decided). */
		log_msg(LOG_INFO, "call=%s: reinvite=deferred, reason=\"DTMF phase\"", c->call_id);
		sipua_respond(c->sc, 491, NULL, NULL);
		return;
	}
	if (c->have_remote && d.sess_version == c->remote_version) {
		/* RFC 4028 refresh (or a repeat): same session, change
		 * nothing; T.38 media is not touched. */
		log_msg(LOG_INFO, "call=%s: reinvite=refresh", c->call_id);
		sipua_respond(c->sc, 200, NULL, c->local_sdp);
		return;
	}
	if (c->t38 == T38_ON) {
		/* Mid-fax, only the image stream may stay. */
		if (!(d.active & SDP_FAX_IMAGE)) {
			sipua_respond(c->sc, 488, NULL, NULL);
			return;
		}
		c->remote_version = d.sess_version;
		sipua_respond(c->sc, 200, NULL, c->local_sdp);
		return;
	}
	c->local.sess_version = c->version++;
	c->local.image_port = (d.active & SDP_FAX_IMAGE) && c->line->cf->sip_t38 ?
	    media_image_port(c->media) : 0;
	n = sdp_fax_write_answer(&d, &c->local, answer, sizeof(answer), &agreed, err, sizeof(err));
	c->local.image_port = c->line->cf->sip_t38 ? media_image_port(c->media) : 0;
	if (n < 0) {
		log_msg(LOG_NOTICE, "call=%s: status=reoffer_refused, reason=\"%s\"", c->call_id, err);
		sipua_respond(c->sc, 488, NULL, NULL);
		if (n == SDP_FAX_EPOLICY) {
			result_final(c, "5.7.10", "DTLS_REQUIRED",
			    "DTLS is required for T.38 and the far end offered plain UDPTL");
			scall_fail(c);
		}
		return;
	}
	c->remote_version = d.sess_version;
	c->have_remote = 1;
	memcpy(c->local_sdp, answer, (size_t)n + 1);
	sipua_respond(c->sc, 200, NULL, c->local_sdp);
	if (agreed.active & SDP_FAX_IMAGE) {
		uv_timer_stop(&c->t38_timer);
		c->t38 = T38_NONE;
		if (scall_start_t38(c, &agreed, 1, agreed.dtls.setup) < 0)
			scall_fail(c);
	}
}

/* ---- the end ----------------------------------------------------------- */

static void on_timer_closed(uv_handle_t *h)
{
	scall_t *c = h->data;

	if (--c->timers_open == 0)
		free(c);
}

static void report_inbound(scall_t *c, const char *remote_ident, const char *sub)
{
	sipline_t *l = c->line;
	sipline_inbound_t in = {
		.call_id = c->call_id, .did = c->did, .caller = c->caller,
		.remote_ident = remote_ident, .subaddress = sub, .dtmf = c->digits, .targets = c->targets,
		.decision = c->decision,
		.channel = "sip/in", .tiff = c->rx_file, .pages = c->result.pages_sent,
		.started = c->started, .ended = (long)time(NULL), .result = &c->result,
	};

	if (l->on_inbound && !c->silent)
		l->on_inbound(l->user, &in);
	unlink(c->rx_file);
}

void scall_end(scall_t *c)
{
	sipline_t *l = c->line;

	if (c->ended)
		return;
	c->ended = 1;
	uv_timer_stop(&c->timer);
	uv_timer_stop(&c->t38_timer);
	if (!c->have_result) {
		fax_result_init(&c->result);
		fax_result_internal(&c->result, "ENDED", "the call ended without a result");
	}
	snprintf(c->result.call_id, sizeof(c->result.call_id), "%.95s", c->call_id);
	if (c->media && *c->result.transport == '\0' && c->answered)
		snprintf(c->result.transport, sizeof(c->result.transport), "%s",
		    media_transport(c->media));
	if (c->t38 == T38_ON)
		c->result.t38 = 1;
	else if (c->t38 == T38_REFUSED)
		c->result.t38 = 0;
	if (c->sc) {
		if (!c->sip_over)	/* BYE right after phase E */
			sipua_hangup(c->sc, c->refusing ? 21 : c->result.cls == FAX_OK ? 16 : 0);
		sipua_release(c->sc);
		c->sc = NULL;
	}
	char stats[200] = "media=none";
	if (c->media)
		media_stats(c->media, stats, sizeof(stats));
	log_msg(LOG_INFO, "call=%s: direction=%s, status=%s, outcome=%s, pages=%d, transport=%s, t38=%d, error=%s, %s",
	    c->call_id, c->outgoing ? "out" : "in", c->result.status,
	    fax_class_name(c->result.cls), c->result.pages_sent,
	    *c->result.transport ? c->result.transport : "none", c->result.t38,
	    c->result.error_code, stats);
	if (c->outgoing) {
		sipchan_t *ch = c->chan;

		if (ch) {
			ch->call = NULL;
			if (!c->silent && ch->on_done)
				ch->on_done(ch->user, &c->result);
		}
	} else {
		scall_t **pp;

		for (pp = &l->incoming; *pp && *pp != c; pp = &(*pp)->next)
			;
		char ident[24] = "", sub[24] = "";

		if (*pp)
			*pp = c->next;
		l->ninbound--;
		if (c->media) {
			snprintf(ident, sizeof(ident), "%s", media_remote_ident(c->media));
			snprintf(sub, sizeof(sub), "%s", media_remote_sub(c->media));
		}
		/* Closing the media closes the TIFF T.30 was writing. */
		media_close(c->media);
		c->media = NULL;
		report_inbound(c, ident, sub);
	}
	media_close(c->media);
	c->media = NULL;
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
	uv_close((uv_handle_t *)&c->t38_timer, on_timer_closed);
}

void scall_on_limit(uv_timer_t *t)
{
	scall_t *c = t->data;

	if (!c->answered) {	/* ring timeout */
		scall_result_sip(c, 408, "no answer", 19);
		snprintf(c->result.error_text, sizeof(c->result.error_text),
		    "no answer within %u seconds", c->line->cf->sip_ring_timeout);
		scall_end(c);
		return;
	}
	if (c->media && !media_done(c->media))
		media_hangup(c->media, "the call exceeded the time limit and was hung up");
}

/* ---- signalling events ------------------------------------------------- */

int scall_start_audio(scall_t *c, const sdp_fax_t *d)
{
	char err[200];
	const config_t *cf = c->line->cf;
	media_audio_t a = {
		.addr = d->audio.addr, .port = d->audio.port,
		.pt = d->audio.first, .te_pt = d->audio.te_pt,
		.fax = c->line->dtls != SDP_FAX_DTLS_REQUIRE,
		.dtmf_send = c->post_dial, .dtmf_inband = strcmp(cf->sip_dtmf_mode, "inband") == 0,
		.dtmf_delay_ms = (int)cf->sip_dtmf_delay, .dtmf_collect = c->collect,
		.collect = { .prompt_ms = (int)cf->sip_dtmf_prompt, .first_ms = (int)cf->sip_dtmf_first,
			.inter_ms = (int)cf->sip_dtmf_inter, .total_ms = (int)cf->sip_dtmf_total },
	};

	if (media_start_audio(c->media, &a, err, sizeof(err)) < 0) {
		fax_result_init(&c->result);
		fax_result_internal(&c->result, "MEDIA", err);
		c->have_result = 1;
		return -1;
	}
	return 0;
}

static void answered(scall_t *c, const sipua_event_t *ev)
{
	const config_t *cf = c->line->cf;
	char err[200];
	sdp_fax_t d;

	c->answered = 1;
	uv_timer_stop(&c->timer);
	uv_timer_start(&c->timer, scall_on_limit, (uint64_t)cf->call_limit * 1000, 0);
	if (sdp_fax_parse(ev->sdp, strlen(ev->sdp), &d, err, sizeof(err)) < 0 ||
	    !(d.active & (SDP_FAX_AUDIO | SDP_FAX_IMAGE))) {
		result_final(c, "5.3.3", "SDP", "the far end's answer has no usable media");
		snprintf(c->result.error_text, sizeof(c->result.error_text),
		    "the far end's SDP answer is unusable: %.100s", *err ? err : "no media");
		c->result.cls = FAX_RETRY;
		snprintf(c->result.status, sizeof(c->result.status), "4.3.0");
		scall_end(c);
		return;
	}
	c->remote_version = d.sess_version;
	c->have_remote = 1;
	if (d.active & SDP_FAX_IMAGE) {
		if (c->line->dtls == SDP_FAX_DTLS_REQUIRE && !d.image.dtls) {
			result_final(c, "5.7.10", "DTLS_REQUIRED",
			    "DTLS is required for T.38 and the far end answered plain UDPTL");
			scall_end(c);
			return;
		}
		if (scall_start_t38(c, &d, 0, SDP_FAX_SETUP_NONE) < 0)
			scall_end(c);
		return;
	}
	if (scall_start_audio(c, &d) < 0) {
		scall_end(c);
		return;
	}
	if (media_in_dtmf(c->media)) {
		/* T.38 after the digits: on_media_dtmf arms it. */
	} else if (cf->sip_t38 && c->t38_known != 0) {
		unsigned delay = c->line->dtls == SDP_FAX_DTLS_REQUIRE ? 0 : cf->sip_t38_reinvite_delay;
		uv_timer_start(&c->t38_timer, on_t38_timer, delay, 0);
	} else if (c->line->dtls == SDP_FAX_DTLS_REQUIRE) {
		result_final(c, "5.7.10", "DTLS_REQUIRED",
		    "DTLS is required and the destination is known to refuse T.38");
		scall_fail(c);
	}
}

void scall_on_sip(void *user, sipua_call_t *sc, const sipua_event_t *ev)
{
	scall_t *c = user;

	(void)sc;
	if (c->ended)
		return;
	switch (ev->kind) {
	case SIPUA_EV_PROGRESS:
		return;
	case SIPUA_EV_ANSWERED:
		answered(c, ev);
		return;
	case SIPUA_EV_FAILED:
		c->sip_over = 1;
		scall_result_sip(c, ev->status, ev->phrase, ev->q850);
		scall_end(c);
		return;
	case SIPUA_EV_REINVITE_DONE:
		answered_reinvite(c, ev);
		return;
	case SIPUA_EV_OFFER:
		on_offer(c, ev);
		return;
	case SIPUA_EV_ACK:
		/* The receiving side asks for T.38 first. */
		if (!c->outgoing && c->t38 == T38_NONE && c->line->cf->sip_t38 && c->answered &&
		    !media_in_dtmf(c->media))
			send_t38_reinvite(c);
		return;
	case SIPUA_EV_REFRESH:
		log_msg(LOG_INFO, "call=%s: session=refreshed, by=%s, t38=%s", c->call_id, ev->phrase,
		    c->t38 == T38_ON ? "on" : "off");
		return;
	case SIPUA_EV_ENDED:
		c->sip_over = 1;
		if (c->media && c->answered && !media_done(c->media)) {
			media_hangup(c->media, "the far end hung up");
		} else if (!c->have_result) {
			scall_result_sip(c, ev->status, ev->phrase, ev->q850);
			scall_end(c);
		}
		return;
	}
}

/* ---- calls ------------------------------------------------------------- */

scall_t *scall_new(sipline_t *l, const media_config_t *mc, char *err, size_t errlen)
{
	scall_t *c = calloc(1, sizeof(*c));
	media_config_t m = *mc;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->line = l;
	c->t38_known = -1;
	m.addr = l->cf->sip_media_address;
	m.port_min = l->cf->sip_port_min;
	m.port_max = l->cf->sip_port_max;
	m.speed = (int)l->cf->sip_speed;
	m.loss_percent = (int)l->cf->sip_loss_percent;
	m.loss_seed = l->cf->sip_loss_seed;
	m.conceal = (int)l->cf->sip_rtp_conceal;
	m.depth = (int)l->cf->sip_jitter_buffer / 20;
	m.cert = l->cert;
	m.on_page = on_media_page;
	m.on_done = on_media_done;
	m.on_dtmf = on_media_dtmf;
	m.user = c;
	if ((c->media = media_new(l->loop, &m, err, errlen)) == NULL) {
		free(c);
		return NULL;
	}
	uv_timer_init(l->loop, &c->timer);
	uv_timer_init(l->loop, &c->t38_timer);
	c->timer.data = c->t38_timer.data = c;
	c->timers_open = 2;
	fax_result_init(&c->result);
	local_init(c);
	return c;
}

/* expand - the trunk URI with {dial} and {number}, 0 or -1 */
static int expand(const char *tmpl, const chan_call_params_t *p, char *out, size_t size)
{
	size_t n = 0;

	for (const char *s = tmpl; *s; ) {
		const char *rep = NULL;
		size_t skip = 1;

		if (strncmp(s, "{dial}", 6) == 0)
			rep = p->dial, skip = 6;
		else if (strncmp(s, "{number}", 8) == 0)
			rep = p->number, skip = 8;
		if (rep) {
			size_t k = strlen(rep);
			if (n + k >= size)
				return -1;
			memcpy(out + n, rep, k);
			n += k;
		} else {
			if (n + 1 >= size)
				return -1;
			out[n++] = *s;
		}
		s += skip;
	}
	out[n] = '\0';
	return 0;
}

static int sip_call(chan_t *ch, const chan_call_params_t *p, chan_page_cb on_page,
    chan_done_cb on_done, void *user, char *err, size_t errlen)
{
	sipchan_t *sc = (sipchan_t *)ch;
	sipline_t *l = sc->line;
	const config_t *cf = l->cf;
	char uri[512];
	scall_t *c;
	int pages;

	if (sc->call || sc->closing || l->stopping) {
		snprintf(err, errlen, "channel busy");
		return -1;
	}
	if ((pages = t30_ep_tiff_pages(p->tiff, err, errlen)) < 0)
		return -1;
	if (pages < (p->first_page > 0 ? p->first_page : 1)) {
		snprintf(err, errlen, "%s has %d pages, cannot start at page %d", p->tiff, pages, p->first_page);
		return -1;
	}
	if (p->dtmf && *p->dtmf && !dtmf_valid(p->dtmf)) {
		snprintf(err, errlen, "DTMF '%.70s' is not 1 to %d of 0-9 * # A-D", p->dtmf, DTMF_MAX);
		return -1;
	}
	if (expand(cf->sip_trunk, p, uri, sizeof(uri)) < 0) {
		snprintf(err, errlen, "trunk URI too long for %s", p->dial);
		return -1;
	}
	media_config_t mc = {
		.calling = 1, .transmit = 1, .tx_file = p->tiff, .first_page = p->first_page,
		.ident = p->ident, .header = p->header, .ecm = p->ecm, .modems = p->modems,
		.sub_address = p->subaddress,
	};
	if ((c = scall_new(l, &mc, err, errlen)) == NULL)
		return -1;
	c->outgoing = 1;
	c->chan = sc;
	c->t38_known = p->t38;
	if (p->dtmf && *p->dtmf)
		snprintf(c->post_dial, sizeof(c->post_dial), "%s", p->dtmf);
	sc->call = c;
	sc->on_page = on_page;
	sc->on_done = on_done;
	sc->user = user;
	unsigned media = SDP_FAX_AUDIO;
	/* Digits need the audio leg: no T.38 in the offer then. */
	if (cf->sip_t38 && (cf->sip_t38_offer_first || l->dtls == SDP_FAX_DTLS_REQUIRE) && p->t38 != 0 &&
	    !*c->post_dial)
		media |= SDP_FAX_IMAGE;
	if (offer(c, media) < 0 ||
	    (c->sc = sipua_invite(l->ua, uri, c->local_sdp, scall_on_sip, c, err, errlen)) == NULL) {
		if (*err == '\0')
			snprintf(err, errlen, "cannot write the SDP offer");
		c->silent = 1;
		scall_end(c);
		return -1;
	}
	snprintf(c->call_id, sizeof(c->call_id), "%s", sipua_call_id(c->sc));
	if (media & SDP_FAX_IMAGE)
		c->t38 = T38_NONE;
	uv_timer_start(&c->timer, scall_on_limit, (uint64_t)cf->sip_ring_timeout * 1000, 0);
	log_msg(LOG_INFO, "call=%s: direction=out, job=%ld, attempt=%d, to=%s, media_port=%u, t38_known=%d",
	    c->call_id, p->job_id, p->attempt, uri, media_audio_port(c->media), p->t38);
	return 0;
}

static void sip_hangup_op(chan_t *ch)
{
	sipchan_t *sc = (sipchan_t *)ch;
	scall_t *c = sc->call;

	if (c == NULL || c->ended)
		return;
	if (c->media && c->answered && !media_done(c->media)) {
		media_hangup(c->media, "hung up by the dialer");
		return;
	}
	fax_result_init(&c->result);
	fax_result_internal(&c->result, "HANGUP", "hung up by the dialer before the answer");
	c->have_result = 1;
	scall_end(c);
}

static void sip_close_op(chan_t *ch)
{
	sipchan_t *sc = (sipchan_t *)ch;

	sc->closing = 1;
	if (sc->call) {
		sc->call->silent = 1;
		scall_end(sc->call);
	}
	free(sc);
}

static const chan_ops_t sip_ops = {
	.name = "sip", .call = sip_call, .hangup = sip_hangup_op, .close = sip_close_op,
};

chan_t *chan_sip_new(sipline_t *line)
{
	sipchan_t *sc = calloc(1, sizeof(*sc));

	if (sc == NULL)
		return NULL;
	sc->base.ops = &sip_ops;
	sc->line = line;
	return &sc->base;
}
