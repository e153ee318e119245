/*
 * sipua - Sofia-SIP's nua in its own thread, behind a command queue and an
 * event queue (see sipua.h).
 *
 * Two threads, two queues. The loop thread appends commands and writes
 * the eventfd that Sofia's su_root watches; the Sofia thread appends
 * events and calls uv_async_send(). Each queue has its own mutex, held
 * only to link or unlink. A call object is shared: fields marked "sofia"
 * are touched only by the Sofia thread, "loop" only by the loop thread,
 * and the rest are written before the object is published. The object is
 * freed by the loop thread when the GONE event arrives, which the Sofia
 * thread posts after it has destroyed the handle: events are FIFO, so no
 * event for the call can come after it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>

#include "sipua.h"

#define FIELD_MAX 128

enum { C_INVITE = 1, C_REINVITE, C_RESPOND, C_HANGUP, C_RELEASE, C_SHUTDOWN };
enum { E_INCOMING = 100, E_GONE, E_SHUTDOWN };
enum { S_NEW = 0, S_CALLING, S_RECEIVED, S_UP, S_DEAD };

struct sipua_call {
	sipua_t *s;
	char call_id[FIELD_MAX];
	int incoming;
	/* sofia */
	nua_handle_t *nh;
	int st;
	int reinvite_out;	/* our re-INVITE awaits its final response */
	int offer_in;		/* a far-end (re-)INVITE awaits our answer */
	int auth_tries;
	int release_wanted;
	int ended;		/* FAILED or ENDED posted */
	/* loop */
	sipua_event_fn fn;
	void *user;
	int released;
};

typedef struct cmd {
	struct cmd *next;
	int kind;
	sipua_call_t *c;
	int status, q850;
	char *to, *sdp, *phrase;
} cmd_t;

typedef struct ev {
	struct ev *next;
	int kind;
	sipua_call_t *c;
	int status, q850;
	char *phrase, *sdp;
	/* E_INCOMING */
	char caller[FIELD_MAX], request_user[FIELD_MAX], to_user[FIELD_MAX];
	char pcpid_user[FIELD_MAX], history_user[FIELD_MAX];
	char diversion_user[FIELD_MAX], transport[8], remote[64];
} ev_t;

struct sipua {
	uv_loop_t *loop;
	uv_async_t async;
	sipua_config_t cfg;
	char *bind, *tls_bind, *tls_dir, *from, *proxy, *registrar;
	char *auth_user, *auth_password, *user_agent;
	pthread_t thread;
	int started;		/* 1 ok, -1 failed (startup handshake) */
	char start_err[256];
	pthread_mutex_t start_mu;
	pthread_cond_t start_cv;
	int efd;		/* commands pending */
	pthread_mutex_t cmd_mu;
	cmd_t *cmd_head, **cmd_tail;
	pthread_mutex_t ev_mu;
	ev_t *ev_head, **ev_tail;
	/* sofia */
	su_root_t *root;
	su_home_t home[1];
	nua_t *nua;
	nua_handle_t *reg;
	int reg_auth_tries;
	su_wait_t wait[1];
	int wait_index;		/* su_root_register()'s, for deregistering */
	int shutting;
	/* loop */
	void (*done)(void *);
	void *done_arg;
};

static char *dupz(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* copy_user - the user part of a URL into buf, "" when none */
static void copy_user(char *buf, size_t size, const url_t *url)
{
	snprintf(buf, size, "%s", url && url->url_user ? url->url_user : "");
}

/* ---- Sofia thread ---------------------------------------------------- */

static void post(sipua_t *s, ev_t *e)
{
	pthread_mutex_lock(&s->ev_mu);
	e->next = NULL;
	*s->ev_tail = e;
	s->ev_tail = &e->next;
	pthread_mutex_unlock(&s->ev_mu);
	uv_async_send(&s->async);
}

static ev_t *ev_make(int kind, sipua_call_t *c, int status, const char *phrase,
    const sip_t *sip)
{
	ev_t *e = calloc(1, sizeof(*e));

	if (e == NULL)
		abort();	/* no way to report it; see BUGS in sipua.h */
	e->kind = kind;
	e->c = c;
	e->status = status;
	e->phrase = strdup(phrase ? phrase : "");
	if (sip && sip->sip_payload && sip->sip_payload->pl_data)
		e->sdp = strndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
	else
		e->sdp = strdup("");
	if (sip && sip->sip_reason && sip->sip_reason->re_protocol &&
	    strcasecmp(sip->sip_reason->re_protocol, "Q.850") == 0 &&
	    sip->sip_reason->re_cause)
		e->q850 = atoi(sip->sip_reason->re_cause);
	if (e->phrase == NULL || e->sdp == NULL)
		abort();
	return e;
}

/* header_user - the user of the first name-addr in an unknown header */
static void header_user(const sip_t *sip, const char *name, int last,
    char *buf, size_t size)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	const char *value = NULL;

	buf[0] = '\0';
	for (sip_unknown_t *u = sip->sip_unknown; u; u = u->un_next)
		if (u->un_name && strcasecmp(u->un_name, name) == 0) {
			value = u->un_value;
			if (!last)
				break;
		}
	if (value == NULL)
		return;
	/* Both headers are comma-separated lists of name-addr; the To
	 * parser reads one name-addr with its parameters. Cut at the first
	 * comma outside <> and quotes. */
	char tmp[512];
	size_t i = 0;
	int angle = 0, quote = 0;
	for (; value[i] && i < sizeof(tmp) - 1; i++) {
		char ch = value[i];
		if (ch == '"')
			quote = !quote;
		else if (!quote && ch == '<')
			angle = 1;
		else if (!quote && ch == '>')
			angle = 0;
		else if (!quote && !angle && ch == ',')
			break;
		tmp[i] = ch;
	}
	tmp[i] = '\0';
	sip_to_t *to = sip_to_make(home, tmp);
	if (to)
		copy_user(buf, size, to->a_url);
	su_home_deinit(home);
}

static void post_incoming(sipua_t *s, sipua_call_t *c, const sip_t *sip)
{
	ev_t *e = ev_make(E_INCOMING, c, 0, "", sip);

	if (sip->sip_request)
		copy_user(e->request_user, sizeof(e->request_user), sip->sip_request->rq_url);
	if (sip->sip_to)
		copy_user(e->to_user, sizeof(e->to_user), sip->sip_to->a_url);
	if (sip->sip_from)
		copy_user(e->caller, sizeof(e->caller), sip->sip_from->a_url);
	header_user(sip, "P-Called-Party-ID", 0, e->pcpid_user, sizeof(e->pcpid_user));
	header_user(sip, "History-Info", 0, e->history_user, sizeof(e->history_user));
	header_user(sip, "Diversion", 1, e->diversion_user, sizeof(e->diversion_user));
	{
		char pai[FIELD_MAX];
		header_user(sip, "P-Asserted-Identity", 0, pai, sizeof(pai));
		if (pai[0] && !e->caller[0])
			snprintf(e->caller, sizeof(e->caller), "%s", pai);
	}
	if (sip->sip_via) {
		const char *proto = sip->sip_via->v_protocol;
		const char *slash = proto ? strrchr(proto, '/') : NULL;
		snprintf(e->transport, sizeof(e->transport), "%s", slash ? slash + 1 : "udp");
		for (char *p = e->transport; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		snprintf(e->remote, sizeof(e->remote), "%s",
		    sip->sip_via->v_received ? sip->sip_via->v_received :
		    sip->sip_via->v_host ? sip->sip_via->v_host : "");
	}
	post(s, e);
}

/* finish - the dialog is over for us: destroy the handle, free the call */
static void finish(sipua_t *s, sipua_call_t *c)
{
	if (c->nh) {
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
		c->nh = NULL;
	}
	post(s, ev_make(E_GONE, c, 0, "", NULL));
}

static void post_end(sipua_t *s, sipua_call_t *c, int kind, int status,
    const char *phrase, const sip_t *sip)
{
	if (c->ended)
		return;
	c->ended = 1;
	post(s, ev_make(kind, c, status, phrase, sip));
}

/* auth - answer a 401/407 challenge once or twice, 1 if retried */
static int auth(sipua_t *s, nua_handle_t *nh, const sip_t *sip, int *tries)
{
	const msg_param_t *params = NULL;
	const char *realm;
	char buf[512];

	if (!s->auth_user || !s->auth_password || (*tries)++ >= 2 || sip == NULL)
		return 0;
	if (sip->sip_www_authenticate)
		params = sip->sip_www_authenticate->au_params;
	else if (sip->sip_proxy_authenticate)
		params = sip->sip_proxy_authenticate->au_params;
	if (params == NULL || (realm = msg_params_find(params, "realm=")) == NULL)
		return 0;
	/* realm is quoted in the header, which is the form NUTAG_AUTH wants */
	snprintf(buf, sizeof(buf), "Digest:%s:%s:%s", realm, s->auth_user, s->auth_password);
	nua_authenticate(nh, NUTAG_AUTH(buf), TAG_END());
	return 1;
}

static void on_nua(nua_event_t event, int status, char const *phrase,
    nua_t *nua, nua_magic_t *magic, nua_handle_t *nh,
    nua_hmagic_t *hmagic, sip_t const *sip, tagi_t tags[])
{
	sipua_t *s = (sipua_t *)magic;
	sipua_call_t *c = (sipua_call_t *)hmagic;
	int state = -1;

	(void)nua;
	switch (event) {
	case nua_i_invite:
		if (c == NULL) {
			if (s->shutting || s->cfg.on_incoming == NULL) {
				nua_respond(nh, SIP_403_FORBIDDEN, TAG_END());
				nua_handle_destroy(nh);
				return;
			}
			if ((c = calloc(1, sizeof(*c))) == NULL) {
				nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, TAG_END());
				nua_handle_destroy(nh);
				return;
			}
			c->s = s;
			c->incoming = 1;
			c->nh = nh;
			c->st = S_RECEIVED;
			c->offer_in = 1;
			if (sip && sip->sip_call_id)
				snprintf(c->call_id, sizeof(c->call_id), "%s", sip->sip_call_id->i_id);
			nua_handle_bind(nh, c);
			post_incoming(s, c, sip);
		} else if (!c->ended) {
			c->offer_in = 1;
			post(s, ev_make(SIPUA_EV_OFFER, c, 0, "", sip));
		}
		return;
	case nua_i_update:
		/* Sofia answers an UPDATE itself; without SDP it is an RFC
		 * 4028 refresh, which is all a fax call expects. */
		if (c && !c->ended)
			post(s, ev_make(SIPUA_EV_REFRESH, c, 0, "peer", sip));
		return;
	case nua_r_update:
		if (c && !c->ended && status >= 200)
			post(s, ev_make(SIPUA_EV_REFRESH, c, status, "us", sip));
		return;
	case nua_r_invite:
		if (c == NULL || c->ended)
			return;
		if (status == 401 || status == 407) {
			if (auth(s, nh, sip, &c->auth_tries))
				return;
		}
		if (c->reinvite_out) {
			if (status >= 200) {
				c->reinvite_out = 0;
				post(s, ev_make(SIPUA_EV_REINVITE_DONE, c, status, phrase, sip));
			}
			return;
		}
		if (c->st != S_CALLING)
			return;
		if (status < 200) {
			if (status > 100)
				post(s, ev_make(SIPUA_EV_PROGRESS, c, status, phrase, sip));
		} else if (status < 300) {
			c->st = S_UP;
			post(s, ev_make(SIPUA_EV_ANSWERED, c, status, phrase, sip));
		} else {
			c->st = S_DEAD;
			post_end(s, c, SIPUA_EV_FAILED, status, phrase, sip);
		}
		return;
	case nua_i_ack:
		if (c && !c->ended)
			post(s, ev_make(SIPUA_EV_ACK, c, 0, "", sip));
		return;
	case nua_i_bye:
		if (c)
			post_end(s, c, SIPUA_EV_ENDED, 200, "BYE received", sip);
		return;
	case nua_i_cancel:
		if (c)
			post_end(s, c, SIPUA_EV_ENDED, 487, "CANCEL received", sip);
		return;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(state), TAG_END());
		if (c == NULL || state != nua_callstate_terminated)
			return;
		if (c->st == S_CALLING)
			post_end(s, c, SIPUA_EV_FAILED, status >= 300 ? status : 408,
			    phrase, sip);
		else
			post_end(s, c, SIPUA_EV_ENDED, status, phrase, sip);
		c->st = S_DEAD;
		if (c->release_wanted)
			finish(s, c);
		return;
	case nua_r_register:
		if ((status == 401 || status == 407) &&
		    auth(s, nh, sip, &s->reg_auth_tries))
			return;
		if (status >= 200)
			s->reg_auth_tries = 0;
		return;
	case nua_r_shutdown:
		if (status >= 200) {
			/* Sofia's handles, ours included, go with the nua. */
			su_root_break(s->root);
		}
		return;
	default:
		return;
	}
}

/* phrase_of - a reason phrase that outlives the call: nua_respond() sends
 * later, from its own queue, and keeps the pointer rather than a copy
 * (possibly after the call's memory is gone) */
static const char *phrase_of(int status)
{
	const char *p = sip_status_phrase(status);

	return p ? p : "Unknown";
}

static void do_cmd(sipua_t *s, cmd_t *k)
{
	sipua_call_t *c = k->c;

	switch (k->kind) {
	case C_INVITE:
		c->nh = nua_handle(s->nua, c, SIPTAG_TO_STR(k->to),
		    SIPTAG_CALL_ID_STR(c->call_id), TAG_END());
		if (c->nh == NULL) {
			post_end(s, c, SIPUA_EV_FAILED, 500, "cannot create a SIP handle", NULL);
			return;
		}
		c->st = S_CALLING;
		nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(k->sdp), TAG_END());
		return;
	case C_REINVITE:
		if (c->nh == NULL || c->ended || c->st != S_UP || c->reinvite_out) {
			post(s, ev_make(SIPUA_EV_REINVITE_DONE, c, 491,
			    "re-INVITE not possible now", NULL));
			return;
		}
		c->reinvite_out = 1;
		nua_invite(c->nh, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(k->sdp), TAG_END());
		return;
	case C_RESPOND:
		if (c->nh == NULL || c->ended || !c->offer_in)
			return;
		if (k->status >= 200)
			c->offer_in = 0;
		if (k->sdp && *k->sdp)
			nua_respond(c->nh, k->status, phrase_of(k->status),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(k->sdp), TAG_END());
		else
			nua_respond(c->nh, k->status, phrase_of(k->status), TAG_END());
		if (k->status >= 200 && k->status < 300)
			c->st = S_UP;
		else if (k->status >= 300 && c->st == S_RECEIVED)
			c->st = S_DEAD;
		return;
	case C_HANGUP:
	case C_RELEASE: {
		char reason[64] = "";

		if (k->kind == C_RELEASE)
			c->release_wanted = 1;
		if (k->q850 > 0)
			snprintf(reason, sizeof(reason), "Q.850;cause=%d", k->q850);
		if (c->nh == NULL || c->st == S_DEAD || c->st == S_NEW) {
			if (k->kind == C_RELEASE)
				finish(s, c);
			return;
		}
		if (c->st == S_CALLING)
			nua_cancel(c->nh, TAG_IF(*reason, SIPTAG_REASON_STR(reason)), TAG_END());
		else if (c->st == S_RECEIVED)
			nua_respond(c->nh, SIP_480_TEMPORARILY_UNAVAILABLE,
			    TAG_IF(*reason, SIPTAG_REASON_STR(reason)), TAG_END());
		else
			nua_bye(c->nh, TAG_IF(*reason, SIPTAG_REASON_STR(reason)), TAG_END());
		/* terminated follows (and finishes a released call). */
		return;
	}
	case C_SHUTDOWN:
		s->shutting = 1;
		nua_shutdown(s->nua);
		return;
	}
}

static int on_cmd(su_root_magic_t *magic, su_wait_t *w, su_wakeup_arg_t *arg)
{
	sipua_t *s = (sipua_t *)arg;
	uint64_t n;
	cmd_t *k;

	(void)magic;
	(void)w;
	if (read(s->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	for (;;) {
		pthread_mutex_lock(&s->cmd_mu);
		k = s->cmd_head;
		if (k && (s->cmd_head = k->next) == NULL)
			s->cmd_tail = &s->cmd_head;
		pthread_mutex_unlock(&s->cmd_mu);
		if (k == NULL)
			break;
		do_cmd(s, k);
		free(k->to);
		free(k->sdp);
		free(k->phrase);
		free(k);
	}
	return 0;
}

static void started(sipua_t *s, int ok, const char *why)
{
	pthread_mutex_lock(&s->start_mu);
	s->started = ok ? 1 : -1;
	if (why)
		snprintf(s->start_err, sizeof(s->start_err), "%s", why);
	pthread_cond_signal(&s->start_cv);
	pthread_mutex_unlock(&s->start_mu);
}

static void *sofia_main(void *arg)
{
	sipua_t *s = arg;
	char why[256];

	/* Sofia keeps per-thread state; su_deinit() at the end frees it. */
	su_init();
	su_home_init(s->home);
	if ((s->root = su_root_create(s)) == NULL) {
		started(s, 0, "su_root_create failed");
		su_home_deinit(s->home);
		su_deinit();
		return NULL;
	}
	if (su_wait_create(s->wait, s->efd, SU_WAIT_IN) < 0 ||
	    (s->wait_index = su_root_register(s->root, s->wait, on_cmd, (su_wakeup_arg_t *)s, 0)) < 0) {
		started(s, 0, "cannot watch the command queue");
		su_root_destroy(s->root);
		su_home_deinit(s->home);
		su_deinit();
		return NULL;
	}
	s->nua = nua_create(s->root, on_nua, (nua_magic_t *)s,
	    NUTAG_URL(s->bind),
	    TAG_IF(s->tls_bind, NUTAG_SIPS_URL(s->tls_bind)),
	    TAG_IF(s->tls_dir, TPTAG_CERTIFICATE(s->tls_dir)),
	    TAG_IF(s->tls_bind, TPTAG_TLS_VERIFY_POLICY(s->cfg.tls_verify ?
	        TPTLS_VERIFY_ALL : TPTLS_VERIFY_NONE)),
	    TAG_IF(s->proxy, NUTAG_PROXY(s->proxy)),
	    TAG_END());
	if (s->nua == NULL) {
		snprintf(why, sizeof(why), "cannot listen on %s%s%s (address in use, "
		    "or a bad URI or certificate directory)", s->bind,
		    s->tls_bind ? " and " : "", s->tls_bind ? s->tls_bind : "");
		su_root_deregister(s->root, s->wait_index);
		su_root_destroy(s->root);
		su_home_deinit(s->home);
		su_deinit();
		started(s, 0, why);
		return NULL;
	}
	nua_set_params(s->nua,
	    NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOACK(1),
	    NUTAG_AUTOALERT(0), NUTAG_ENABLEINVITE(1),
	    NUTAG_ALLOW("INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE"),
	    NUTAG_SUPPORTED("timer"),
	    NUTAG_SESSION_TIMER(s->cfg.session_expires),
	    TAG_IF(s->cfg.session_expires && s->cfg.session_expires < 90,
	        NUTAG_MIN_SE(s->cfg.session_expires)),
	    NUTAG_UPDATE_REFRESH(1),
	    NUTAG_USER_AGENT(s->user_agent ? s->user_agent : "faxgate"),
	    TAG_IF(s->from, SIPTAG_FROM_STR(s->from)),
	    TAG_END());
	if (s->registrar) {
		s->reg = nua_handle(s->nua, NULL, TAG_IF(s->from, SIPTAG_TO_STR(s->from)), TAG_END());
		if (s->reg)
			nua_register(s->reg, NUTAG_REGISTRAR(s->registrar), TAG_END());
	}
	started(s, 1, NULL);
	su_root_run(s->root);
	/* Shut down: nua_r_shutdown broke the loop. */
	if (s->reg)
		nua_handle_destroy(s->reg);
	nua_destroy(s->nua);
	su_root_deregister(s->root, s->wait_index);
	su_root_destroy(s->root);
	su_home_deinit(s->home);
	su_deinit();
	post(s, ev_make(E_SHUTDOWN, NULL, 0, "", NULL));
	return NULL;
}

/* ---- loop thread ----------------------------------------------------- */

static void quiet(void *stream, char const *fmt, va_list ap)
{
	(void)stream;
	(void)fmt;
	(void)ap;
}

static void init_su(void)
{
	su_init();
	/* Sofia writes its log to stderr; every failure that matters comes
	 * back to the caller as an event with its SIP status instead. */
	su_log_redirect(NULL, quiet, NULL);
}

static void send_cmd(sipua_t *s, cmd_t *k)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->cmd_mu);
	k->next = NULL;
	*s->cmd_tail = k;
	s->cmd_tail = &k->next;
	pthread_mutex_unlock(&s->cmd_mu);
	if (write(s->efd, &one, sizeof(one)) < 0) {
		/* An eventfd write fails only on counter overflow; the
		 * reader is then already due to run. */
	}
}

static cmd_t *cmd_new(int kind, sipua_call_t *c)
{
	cmd_t *k = calloc(1, sizeof(*k));

	if (k) {
		k->kind = kind;
		k->c = c;
	}
	return k;
}

static void free_ev(ev_t *e)
{
	free(e->phrase);
	free(e->sdp);
	free(e);
}

static void on_async_closed(uv_handle_t *h)
{
	sipua_t *s = h->data;
	void (*done)(void *) = s->done;
	void *arg = s->done_arg;

	close(s->efd);
	pthread_mutex_destroy(&s->cmd_mu);
	pthread_mutex_destroy(&s->ev_mu);
	pthread_mutex_destroy(&s->start_mu);
	pthread_cond_destroy(&s->start_cv);
	free(s->bind); free(s->tls_bind); free(s->tls_dir); free(s->from);
	free(s->proxy); free(s->registrar); free(s->auth_user); free(s->auth_password);
	free(s->user_agent);
	free(s);
	if (done)
		done(arg);
}

static void dispatch(sipua_t *s, ev_t *e)
{
	sipua_call_t *c = e->c;

	switch (e->kind) {
	case E_SHUTDOWN:
		pthread_join(s->thread, NULL);
		uv_close((uv_handle_t *)&s->async, on_async_closed);
		return;
	case E_GONE:
		free(c);
		return;
	case E_INCOMING: {
		sipua_incoming_t in = {
			.call_id = c->call_id, .sdp = e->sdp, .caller = e->caller,
			.request_user = e->request_user, .to_user = e->to_user,
			.pcpid_user = e->pcpid_user, .history_user = e->history_user,
			.diversion_user = e->diversion_user,
			.transport = e->transport, .remote = e->remote,
		};
		s->cfg.on_incoming(s->cfg.user, c, &in);
		return;
	}
	default: {
		sipua_event_t ev = {
			.kind = (enum sipua_ev_kind)e->kind, .status = e->status,
			.phrase = e->phrase, .q850 = e->q850, .sdp = e->sdp,
			.call_id = c->call_id,
		};
		if (!c->released && c->fn)
			c->fn(c->user, c, &ev);
		return;
	}
	}
}

static void on_async(uv_async_t *h)
{
	sipua_t *s = h->data;
	ev_t *list;

	pthread_mutex_lock(&s->ev_mu);
	list = s->ev_head;
	s->ev_head = NULL;
	s->ev_tail = &s->ev_head;
	pthread_mutex_unlock(&s->ev_mu);
	while (list) {
		ev_t *next = list->next;
		int last = list->kind == E_SHUTDOWN;
		dispatch(s, list);
		free_ev(list);
		if (last)
			return;	/* s is being freed */
		list = next;
	}
}

sipua_t *sipua_new(uv_loop_t *loop, const sipua_config_t *cfg, char *err, size_t errlen)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	sipua_t *s;

	if (cfg->bind == NULL || *cfg->bind == '\0') {
		snprintf(err, errlen, "no SIP address to listen on");
		return NULL;
	}
	pthread_once(&once, init_su);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->cfg = *cfg;
#define DUP(f) s->f = (cfg->f && *cfg->f) ? strdup(cfg->f) : NULL
	DUP(bind); DUP(tls_bind); DUP(tls_dir); DUP(from); DUP(proxy);
	DUP(registrar); DUP(auth_user); DUP(auth_password); DUP(user_agent);
#undef DUP
	s->cmd_tail = &s->cmd_head;
	s->ev_tail = &s->ev_head;
	pthread_mutex_init(&s->cmd_mu, NULL);
	pthread_mutex_init(&s->ev_mu, NULL);
	pthread_mutex_init(&s->start_mu, NULL);
	pthread_cond_init(&s->start_cv, NULL);
	if ((s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (uv_async_init(loop, &s->async, on_async) < 0) {
		snprintf(err, errlen, "uv_async_init failed");
		close(s->efd);
		goto fail;
	}
	s->async.data = s;
	if (pthread_create(&s->thread, NULL, sofia_main, s) != 0) {
		snprintf(err, errlen, "cannot start the SIP thread");
		goto fail_async;
	}
	/* Binding is quick; waiting here keeps startup errors synchronous. */
	pthread_mutex_lock(&s->start_mu);
	while (s->started == 0)
		pthread_cond_wait(&s->start_cv, &s->start_mu);
	pthread_mutex_unlock(&s->start_mu);
	if (s->started < 0) {
		pthread_join(s->thread, NULL);
		snprintf(err, errlen, "SIP: %s", s->start_err);
		goto fail_async;
	}
	return s;
fail_async:
	/* Closing needs a loop turn; the struct goes in its callback. */
	uv_close((uv_handle_t *)&s->async, on_async_closed);
	return NULL;
fail:
	free(s->bind); free(s->tls_bind); free(s->tls_dir); free(s->from);
	free(s->proxy); free(s->registrar); free(s->auth_user); free(s->auth_password);
	free(s->user_agent);
	free(s);
	return NULL;
}

void sipua_free(sipua_t *s, void (*done)(void *), void *arg)
{
	cmd_t *k = cmd_new(C_SHUTDOWN, NULL);

	s->done = done;
	s->done_arg = arg;
	if (k == NULL)
		abort();
	send_cmd(s, k);
}

sipua_call_t *sipua_invite(sipua_t *s, const char *to, const char *sdp,
    sipua_event_fn fn, void *user, char *err, size_t errlen)
{
	sipua_call_t *c = calloc(1, sizeof(*c));
	cmd_t *k = cmd_new(C_INVITE, c);
	uint8_t rnd[12];

	if (c == NULL || k == NULL || (k->to = strdup(to)) == NULL ||
	    (k->sdp = strdup(sdp)) == NULL) {
		snprintf(err, errlen, "out of memory");
		if (k) {
			free(k->to);
			free(k);
		}
		free(c);
		return NULL;
	}
	c->s = s;
	c->fn = fn;
	c->user = user;
	/* Our own Call-ID, so that it is known (and stored with the
	 * attempt) even when no response ever comes. */
	if (getentropy(rnd, sizeof(rnd)) < 0)
		memset(rnd, 0, sizeof(rnd));
	int n = 0;
	for (size_t i = 0; i < sizeof(rnd); i++)
		n += snprintf(c->call_id + n, sizeof(c->call_id) - (size_t)n, "%02x", rnd[i]);
	snprintf(c->call_id + n, sizeof(c->call_id) - (size_t)n, "@faxgate");
	send_cmd(s, k);
	return c;
}

static int call_cmd(sipua_call_t *c, int kind, int status, const char *phrase,
    const char *sdp, int q850)
{
	cmd_t *k;

	if (c->released)
		return -1;
	if ((k = cmd_new(kind, c)) == NULL)
		return -1;
	k->status = status;
	k->q850 = q850;
	k->phrase = dupz(phrase);
	k->sdp = dupz(sdp);
	send_cmd(c->s, k);
	return 0;
}

int sipua_reinvite(sipua_call_t *c, const char *sdp)
{
	return call_cmd(c, C_REINVITE, 0, NULL, sdp, 0);
}

int sipua_respond(sipua_call_t *c, int status, const char *phrase, const char *sdp)
{
	if (phrase == NULL)
		phrase = sip_status_phrase(status);
	return call_cmd(c, C_RESPOND, status, phrase ? phrase : "", sdp, 0);
}

void sipua_set_handler(sipua_call_t *c, sipua_event_fn fn, void *user)
{
	c->fn = fn;
	c->user = user;
}

void sipua_hangup(sipua_call_t *c, int q850)
{
	call_cmd(c, C_HANGUP, 0, NULL, NULL, q850);
}

void sipua_release(sipua_call_t *c)
{
	if (c->released)
		return;
	call_cmd(c, C_RELEASE, 0, NULL, NULL, 0);
	c->released = 1;
}

const char *sipua_call_id(const sipua_call_t *c)
{
	return c->call_id;
}

const char *sipua_pick_did(const sipua_incoming_t *in)
{
	const char *order[] = {
		in->pcpid_user, in->history_user, in->diversion_user,
		in->request_user, in->to_user,
	};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (order[i] && *order[i])
			return order[i];
	return "";
}

int sipua_q850_of_status(int status)
{
	switch (status) {
	case 486: case 600: return 17;
	case 480: return 19;
	case 408: return 18;
	case 404: case 604: return 1;
	case 484: return 28;
	case 503: return 34;
	case 500: return 41;
	case 504: return 102;
	case 403: case 603: return 21;
	case 410: return 22;
	case 488: case 415: case 606: return 88;
	default: return 31;
	}
}
