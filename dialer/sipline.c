/*
 * sipline - the SIP line of a dialer: its agent, its certificate, and the
 * calls that come in (see chan_sip.h). The calls themselves are
 * sipcall.h's, shared with the outgoing channels of chan_sip.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sipcall.h"

/* ---- incoming ----------------------------------------------------------- */

static void on_incoming(void *user, sipua_call_t *sc, const sipua_incoming_t *in)
{
	sipline_t *l = user;
	const config_t *cf = l->cf;
	char err[200], answer[SDP_MAX];
	sdp_fax_t d, agreed;
	scall_t *c;
	int n;

	if (!cf->sip_inbound || l->stopping || l->ninbound >= (int)cf->sip_inbound_channels) {
		log_msg(LOG_NOTICE, "call=%s: direction=in, status=refused, reason=\"%s\"", in->call_id,
		    !cf->sip_inbound ? "inbound is off" : "all inbound channels busy");
		sipua_respond(sc, cf->sip_inbound ? 486 : 403, NULL, NULL);
		sipua_release(sc);
		return;
	}
	int admit = SIPLINE_ANSWER;
	char why[256] = "";
	if (l->hooks.admit)
		admit = l->hooks.admit(l->hooks.user, sipua_pick_did(in), in->caller, why, sizeof(why));
	if (admit == SIPLINE_REFUSE) {
		log_msg(LOG_NOTICE, "call=%s: direction=in, did=%s, caller=%s, status=refused, reason=\"%s\"",
		    in->call_id, sipua_pick_did(in), in->caller, why);
		sipua_respond(sc, 403, NULL, NULL);
		sipua_release(sc);
		return;
	}
	if (sdp_fax_parse(in->sdp, strlen(in->sdp), &d, err, sizeof(err)) < 0) {
		log_msg(LOG_NOTICE, "call=%s: direction=in, status=refused, reason=\"bad SDP: %s\"",
		    in->call_id, err);
		sipua_respond(sc, 488, NULL, NULL);
		sipua_release(sc);
		return;
	}
	media_config_t mc = { .calling = 0, .transmit = 0, .ident = cf->sip_inbound_ident,
		.ecm = cf->ecm };
	char path[512];
	snprintf(path, sizeof(path), "%s/in-%ld-%d-%u.tif", cf->spool, (long)time(NULL),
	    (int)getpid(), l->seq++);
	mc.rx_file = path;
	if ((c = scall_new(l, &mc, err, sizeof(err))) == NULL) {
		log_msg(LOG_ERR, "call=%s: direction=in, status=refused, reason=\"%s\"", in->call_id, err);
		sipua_respond(sc, 503, NULL, NULL);
		sipua_release(sc);
		return;
	}
	snprintf(c->rx_file, sizeof(c->rx_file), "%s", path);
	snprintf(c->call_id, sizeof(c->call_id), "%s", in->call_id);
	snprintf(c->did, sizeof(c->did), "%s", sipua_pick_did(in));
	snprintf(c->caller, sizeof(c->caller), "%s", in->caller);
	c->started = (long)time(NULL);
	c->collect = admit == SIPLINE_DTMF;
	c->sc = sc;
	c->next = l->incoming;
	l->incoming = c;
	l->ninbound++;
	sipua_set_handler(sc, scall_on_sip, c);
	log_msg(LOG_INFO, "call=%s: direction=in, did=%s, caller=%s, transport=%s, remote=%s",
	    c->call_id, c->did, c->caller, in->transport, in->remote);
	c->local.sess_version = c->version++;
	if (!cf->sip_t38 || c->collect)	/* DTMF needs the audio leg first */
		c->local.image_port = 0;
	n = sdp_fax_write_answer(&d, &c->local, answer, sizeof(answer), &agreed, err, sizeof(err));
	if (n < 0) {
		log_msg(LOG_NOTICE, "call=%s: status=refused, reason=\"%s\"", c->call_id, err);
		sipua_respond(sc, 488, NULL, NULL);
		c->sip_over = 1;
		scall_result_sip(c, 488, err, 0);
		scall_end(c);
		return;
	}
	c->local.image_port = cf->sip_t38 ? media_image_port(c->media) : 0;
	memcpy(c->local_sdp, answer, (size_t)n + 1);
	c->remote_version = d.sess_version;
	c->have_remote = 1;
	c->answered = 1;
	if (sipua_respond(sc, 200, NULL, c->local_sdp) < 0) {
		scall_end(c);
		return;
	}
	uv_timer_start(&c->timer, scall_on_limit, (uint64_t)cf->call_limit * 1000, 0);
	if (agreed.active & SDP_FAX_IMAGE) {
		if (scall_start_t38(c, &agreed, 1, agreed.dtls.setup) < 0)
			scall_fail(c);
	} else if (scall_start_audio(c, &agreed) < 0) {
		scall_fail(c);
	}
}

/* ---- the line ----------------------------------------------------------- */

static int parse_ec(const char *list, sdp_fax_ec_t *order, int *n)
{
	char *copy = strdup(list), *save = NULL;

	*n = 0;
	if (copy == NULL)
		return -1;
	for (char *w = strtok_r(copy, " \t,", &save); w && *n < 3; w = strtok_r(NULL, " \t,", &save))
		order[(*n)++] = strcmp(w, "fec") == 0 ? SDP_FAX_EC_FEC :
		    strcmp(w, "redundancy") == 0 ? SDP_FAX_EC_REDUNDANCY : SDP_FAX_EC_NONE;
	free(copy);
	return 0;
}

sipline_t *sipline_new(uv_loop_t *loop, const config_t *cf, sipline_inbound_fn on_inbound,
    void *user, char *err, size_t errlen)
{
	sipline_t *l = calloc(1, sizeof(*l));
	char uerr[256];

	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->loop = loop;
	l->cf = cf;
	l->on_inbound = on_inbound;
	l->user = user;
	l->dtls = strcmp(cf->sip_dtls, "require") == 0 ? SDP_FAX_DTLS_REQUIRE :
	    strcmp(cf->sip_dtls, "offer") == 0 ? SDP_FAX_DTLS_OFFER : SDP_FAX_DTLS_OFF;
	parse_ec(cf->sip_t38_ec, l->ec_order, &l->nec);
	if (l->dtls != SDP_FAX_DTLS_OFF) {
		/* One ephemeral certificate per process: RFC 8842 wants
		 * its fingerprint in SDP, not a CA signature. */
		if ((l->cert = dtls_cert_new_selfsigned(DTLS_KEY_RSA2048, uerr, sizeof(uerr))) == NULL) {
			snprintf(err, errlen, "DTLS certificate: %s", uerr);
			free(l);
			return NULL;
		}
		dtls_cert_fingerprint(l->cert, "sha-256", l->fp_text, sizeof(l->fp_text));
		/* RFC 7345: the fingerprint is only as safe as the SDP. */
		if (!*cf->sip_tls_listen && strncmp(cf->sip_trunk, "sips:", 5) != 0 &&
		    strstr(cf->sip_trunk, "transport=tls") == NULL)
			log_msg(LOG_WARNING, "sip: dtls=%s without SIP over TLS: the certificate "
			    "fingerprint travels in clear SDP and could be replaced on the way",
			    cf->sip_dtls);
		for (size_t i = 0; i < sizeof(l->fp); i++)
			l->fp[i] = (uint8_t)strtoul(l->fp_text + 3 * i, NULL, 16);
	}
	sipua_config_t sc = {
		.bind = cf->sip_listen, .tls_bind = cf->sip_tls_listen,
		.tls_dir = *cf->sip_tls_listen || strncmp(cf->sip_trunk, "sips:", 5) == 0 ?
		    cf->sip_tls_dir : NULL,
		.tls_verify = cf->sip_tls_verify, .from = cf->sip_from,
		.proxy = cf->sip_proxy, .registrar = cf->sip_registrar,
		.auth_user = cf->sip_username, .auth_password = cf->sip_password,
		.session_expires = cf->sip_session_expires, .user_agent = "faxgate",
		.on_incoming = on_incoming, .user = l,
	};
	if ((l->ua = sipua_new(loop, &sc, uerr, sizeof(uerr))) == NULL) {
		snprintf(err, errlen, "%s", uerr);
		dtls_cert_free(l->cert);
		free(l);
		return NULL;
	}
	return l;
}

/* sipline_incoming - incoming calls in progress; from any thread */
unsigned sipline_incoming(const sipline_t *l)
{
	int n = atomic_load_explicit(&((sipline_t *)l)->ninbound, memory_order_relaxed);

	return n > 0 ? (unsigned)n : 0;
}

void sipline_set_hooks(sipline_t *l, const sipline_hooks_t *hooks)
{
	l->hooks = *hooks;
}

static void on_ua_freed(void *arg)
{
	sipline_t *l = arg;
	void (*done)(void *) = l->done;
	void *darg = l->done_arg;

	dtls_cert_free(l->cert);
	free(l);
	if (done)
		done(darg);
}

void sipline_free(sipline_t *l, void (*done)(void *), void *arg)
{
	l->stopping = 1;
	l->done = done;
	l->done_arg = arg;
	while (l->incoming) {
		scall_t *c = l->incoming;

		fax_result_init(&c->result);
		fax_result_internal(&c->result, "STOPPED", "the dialer stopped during the call");
		c->have_result = 1;
		scall_end(c);
	}
	sipua_free(l->ua, on_ua_freed, l);
}
