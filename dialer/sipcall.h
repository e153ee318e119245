/*
 * NAME
 *	sipcall - one SIP fax call in either direction: what chan_sip.c
 *	(the call and outgoing channels) and sipline.c (the line and
 *	incoming calls) share; internal to those two files
 * DESCRIPTION
 *	A scall_t binds a sipua(3) dialog to a media(3) path. scall_new()
 *	binds the media ports and prepares our SDP; scall_on_sip() is the
 *	sipua event handler; scall_start_audio() and scall_start_t38() start
 *	media from an agreed description; scall_result_sip() and
 *	scall_fail() set and deliver an end; scall_end() reports once
 *	(on_done of the channel, or the line's on_inbound) and releases
 *	everything. See chan_sip.h for the behaviour.
 */
#ifndef FAXGATE_SIPCALL_H
#define FAXGATE_SIPCALL_H

#include <stdatomic.h>
#include <stdint.h>
#include <uv.h>

#include "chan_sip.h"
#include "dtls.h"
#include "dtmf.h"
#include "media.h"
#include "sdpfax.h"
#include "sipua.h"

#define SDP_MAX 4096

enum { T38_NONE = 0, T38_ASKED, T38_ON, T38_REFUSED };

typedef struct scall scall_t;
typedef struct sipchan sipchan_t;

struct sipline {
	uv_loop_t *loop;
	const config_t *cf;
	sipua_t *ua;
	dtls_cert_t *cert;
	uint8_t fp[32];			/* SHA-256 of cert */
	char fp_text[DTLS_FP_MAX];
	sdp_fax_ec_t ec_order[3];
	int nec;
	sdp_fax_policy_t dtls;
	sipline_inbound_fn on_inbound;
	void *user;
	sipline_hooks_t hooks;
	atomic_int ninbound;		/* incoming calls; read by the metrics thread */
	int stopping;
	unsigned seq;			/* inbound file names */
	void (*done)(void *);
	void *done_arg;
	scall_t *incoming;		/* list of incoming calls */
};

struct scall {
	sipline_t *line;
	sipchan_t *chan;		/* outgoing: its channel */
	scall_t *next;			/* incoming list */
	int outgoing;
	sipua_call_t *sc;
	media_t *media;
	uv_timer_t timer;		/* ring timeout, then call limit */
	uv_timer_t t38_timer;		/* our T.38 re-INVITE */
	int timers_open;
	int answered;
	int sip_over;			/* SIP dialog ended or failed */
	int ended;
	int silent;			/* chan_close(): no callbacks */
	int refusing;			/* refused after DTMF: T.30 ends with DCN */
	int t38;			/* T38_* */
	int t38_known;			/* from the store, -1/0/1 */
	int glare;			/* our re-INVITEs answered 491 */
	sdp_fax_local_t local;
	uint64_t version;
	char local_sdp[SDP_MAX];
	uint64_t remote_version;
	int have_remote;
	fax_result_t result;
	int have_result;
	char call_id[128];
	char tls_id[40];
	/* incoming */
	char did[64], caller[64], rx_file[512];
	long started;
	int collect;			/* collect DTMF before T.30 */
	char digits[DTMF_MAX + 1], targets[1024], decision[256];
	/* outgoing */
	char post_dial[DTMF_MAX + 1];	/* DTMF to send after the answer */
};

scall_t *scall_new(sipline_t *l, const media_config_t *mc, char *err, size_t errlen);
void scall_on_sip(void *user, sipua_call_t *sc, const sipua_event_t *ev);
int scall_start_audio(scall_t *c, const sdp_fax_t *d);
int scall_start_t38(scall_t *c, const sdp_fax_t *d, int setup_known, sdp_fax_setup_t mine);
void scall_result_sip(scall_t *c, int status, const char *phrase, int q850);
void scall_fail(scall_t *c);
void scall_end(scall_t *c);
void scall_on_limit(uv_timer_t *t);

#endif
