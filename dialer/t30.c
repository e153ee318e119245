/*
 * t30.c - one T.30 endpoint on SpanDSP 0.0.6, audio or T.38.
 *
 * SpanDSP does the protocol; this file configures it, keeps it quiet,
 * counts confirmed pages as they happen, and turns phase E into a
 * fax_result_t. Everything here runs inside the caller's thread and
 * stack: SpanDSP calls our handlers from deep inside fax_rx() or
 * t38_terminal_send_timeout(), so handlers only record.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>
#include <spandsp.h>

#include "t30.h"

_Static_assert(T30_EP_V27TER == T30_SUPPORT_V27TER, "modem bit V.27ter");
_Static_assert(T30_EP_V29 == T30_SUPPORT_V29, "modem bit V.29");
_Static_assert(T30_EP_V17 == T30_SUPPORT_V17, "modem bit V.17");
_Static_assert(T30_EP_T4_1D == T30_SUPPORT_T4_1D_COMPRESSION, "T.4 1D bit");
_Static_assert(T30_EP_T4_2D == T30_SUPPORT_T4_2D_COMPRESSION, "T.4 2D bit");
_Static_assert(T30_EP_T6 == T30_SUPPORT_T6_COMPRESSION, "T.6 bit");

/* SpanDSP copies file names into fixed 256-byte buffers and truncates. */
#define T30_EP_PATH_MAX	255

struct t30_ep {
	t30_ep_config_t cfg;		/* strings not valid after t30_ep_new */
	char tag[32];			/* span_log_set_tag keeps the pointer */
	fax_state_t *fax;		/* audio front end, or NULL */
	t38_terminal_state_t *t38;	/* T.38 front end, or NULL */
	t30_state_t *t30;
	int done;			/* phase E has run */
	int pages;			/* confirmed (tx) / received (rx) so far */
	long bytes;			/* image bytes of those pages */
	int bit_rate, ecm;		/* as of the last page */
	int x_res, y_res;		/* pixels per metre, last page */
	int rx_dcn;			/* the far end sent DCN */
	fax_result_t result;
};

/*
 * SpanDSP's message handler gets no user pointer, so the endpoint being
 * served is kept here for the duration of each t30_ep_* call.
 */
static t30_ep_t *cur_ep;
static int tiff_hooked;
static TIFFErrorHandler prev_tiff_error, prev_tiff_warning;

/* enter - make ep the endpoint logs belong to, returns the previous one */
static t30_ep_t *enter(t30_ep_t *ep)
{
	t30_ep_t *prev = cur_ep;

	cur_ep = ep;
	return prev;
}

/* leave - restore the endpoint saved by enter(), returns nothing */
static void leave(t30_ep_t *prev)
{
	cur_ep = prev;
}

/* emit - hand one log line to the current endpoint, returns nothing */
static void emit(int level, const char *text)
{
	char line[512];
	size_t n;

	if (cur_ep == NULL || cur_ep->cfg.log == NULL ||
	    level > cur_ep->cfg.log_level)
		return;
	snprintf(line, sizeof(line), "%s", text);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	cur_ep->cfg.log(cur_ep->cfg.user, level, line);
}

/* span_message - SpanDSP message handler, returns nothing */
static void span_message(int level, const char *text)
{
	emit(level & SPAN_LOG_SEVERITY_MASK, text);
}

/* tiff_route - libtiff message: ours inside an endpoint call, else chain */
static void tiff_route(int level, TIFFErrorHandler prev, const char *module,
    const char *fmt, va_list ap)
{
	char buf[400];

	if (cur_ep == NULL) {
		if (prev != NULL)
			prev(module, fmt, ap);
		return;
	}
	vsnprintf(buf, sizeof(buf), fmt, ap);
	{
		char line[480];

		snprintf(line, sizeof(line), "libtiff: %s: %s",
		    module ? module : "-", buf);
		emit(level, line);
	}
}

/* tiff_error - global libtiff error handler, returns nothing */
static void tiff_error(const char *module, const char *fmt, va_list ap)
{
	tiff_route(SPAN_LOG_ERROR, prev_tiff_error, module, fmt, ap);
}

/* tiff_warning - global libtiff warning handler, returns nothing */
static void tiff_warning(const char *module, const char *fmt, va_list ap)
{
	tiff_route(SPAN_LOG_WARNING, prev_tiff_warning, module, fmt, ap);
}

/* set_logging - route and level one SpanDSP logging state, returns nothing */
static void set_logging(t30_ep_t *ep, logging_state_t *ls)
{
	if (ls == NULL)
		return;
	span_log_set_message_handler(ls, span_message);
	if (ep->cfg.log != NULL && ep->cfg.log_level > 0) {
		span_log_set_level(ls, (ep->cfg.log_level & SPAN_LOG_SEVERITY_MASK) |
		    SPAN_LOG_SHOW_TAG | SPAN_LOG_SHOW_PROTOCOL);
		span_log_set_tag(ls, ep->tag);
	} else {
		span_log_set_level(ls, SPAN_LOG_NONE);
	}
}

/* record_stats - note rate, ECM and resolution of the current page */
static void record_stats(t30_ep_t *ep, const t30_stats_t *st)
{
	ep->bit_rate = st->bit_rate;
	ep->ecm = st->error_correcting_mode ? 1 : 0;
	ep->x_res = st->x_resolution;
	ep->y_res = st->y_resolution;
}

/* phase_d - a page was confirmed or received; returns T30_ERR_OK */
static int phase_d(t30_state_t *t, void *user, int fcf)
{
	t30_ep_t *ep = user;
	t30_stats_t st;
	int n;

	t30_get_transfer_statistics(t, &st);
	n = ep->cfg.transmit ? st.pages_tx : st.pages_rx;
	/* Phase D also runs for responses that confirm nothing (RTN, PIN):
	 * only a grown count is progress worth persisting. */
	if (n > ep->pages) {
		ep->bytes += st.image_size;
		ep->pages = n;
		record_stats(ep, &st);
		if (ep->cfg.on_page != NULL)
			ep->cfg.on_page(ep->cfg.user, n);
	}
	return T30_ERR_OK;
}

/*
 * phase_b_refuse - the receiver was told to refuse (an onramp caller
 * turned away after DTMF): when the caller's DCS arrives, a non-zero
 * status makes SpanDSP answer DCN, the T.30 way for a fax machine to
 * learn that the document is not wanted, rather than a dead line.
 */
static int phase_b_refuse(t30_state_t *t, void *user, int fcf)
{
	(void)t;
	(void)user;
	(void)fcf;
	return T30_ERR_PWD_UNACCEPTABLE;
}

/* ppm_to_dpi - pixels per metre to the nearest dots per inch */
static int ppm_to_dpi(int ppm)
{
	return (int)((ppm * 254L + 5000) / 10000);
}

/* phase_e - the call is over; build the result, returns nothing */
static void phase_e(t30_state_t *t, void *user, int code)
{
	t30_ep_t *ep = user;
	t30_stats_t st;
	fax_result_t *r = &ep->result;
	int n;

	if (ep->done)
		return;
	ep->done = 1;
	/*
	 * SpanDSP 0.0.6 files a DCN in answer to DCS under "bad response
	 * to DCS or training", which invites a slower or ECM-less retry.
	 * A receiver that sends DCN there has refused the fax (an onramp
	 * that turned the caller away): say that, and suggest nothing.
	 */
	if (code == T30_ERR_TX_BADDCS && ep->rx_dcn)
		code = T30_ERR_TX_GOTDCN;
	t30_get_transfer_statistics(t, &st);
	n = ep->cfg.transmit ? st.pages_tx : st.pages_rx;
	if (n < ep->pages)
		n = ep->pages;
	fax_result_init(r);
	fax_result_from_t30(r, code, n, !ep->cfg.transmit);
	r->bytes = ep->bytes;
	/* Before any page the statistics hold the initial offer, not what
	 * was used; report nothing rather than a guess. */
	if (ep->pages > 0) {
		int xd = ppm_to_dpi(ep->x_res), yd = ppm_to_dpi(ep->y_res);

		/* Bounded so the text always fits resolution[16]. */
		if (xd > 0 && yd > 0 && xd < 100000 && yd < 100000)
			snprintf(r->resolution, sizeof(r->resolution), "%dx%d",
			    xd, yd);
		r->bit_rate = ep->bit_rate;
		r->ecm = ep->ecm;
	}
}

/* frame - T.30 real-time frame hook, returns nothing */
static void frame(t30_state_t *t, void *user, int incoming, const uint8_t *msg,
    int len)
{
	t30_ep_t *ep = user;

	/* msg[2] is the FCF; its low bit only says who called. */
	if (incoming && len >= 3 && (msg[2] & 0xFE) == T30_DCN)
		ep->rx_dcn = 1;
	if (ep->cfg.on_frame != NULL)
		ep->cfg.on_frame(ep->cfg.user, incoming ? 1 : 0, msg, len);
}

/* t38_tx - SpanDSP wants an IFP sent; returns the channel's answer */
static int t38_tx(t38_core_state_t *s, void *user, const uint8_t *buf, int len,
    int count)
{
	t30_ep_t *ep = user;

	return ep->cfg.tx_ifp(ep->cfg.user, buf, len, count);
}

typedef struct tiff_msg {
	char text[200];
} tiff_msg_t;

/* tiff_open_error - keep libtiff's first message, returns 1 (handled) */
static int tiff_open_error(TIFF *tif, void *user, const char *module,
    const char *fmt, va_list ap)
{
	tiff_msg_t *m = user;

	if (m->text[0] == '\0')
		vsnprintf(m->text, sizeof(m->text), fmt, ap);
	return 1;
}

/* tiff_open_warning - swallow libtiff warnings, returns 1 (handled) */
static int tiff_open_warning(TIFF *tif, void *user, const char *module,
    const char *fmt, va_list ap)
{
	return 1;
}

/* t30_ep_tiff_pages - count the pages of a TIFF, returns it or -1 */
int t30_ep_tiff_pages(const char *path, char *err, size_t errlen)
{
	tiff_msg_t msg = { "" };
	TIFFOpenOptions *opts;
	TIFF *tif;
	int n;

	opts = TIFFOpenOptionsAlloc();
	if (opts == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_open_error, &msg);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_open_warning, NULL);
	tif = TIFFOpenExt(path, "r", opts);
	TIFFOpenOptionsFree(opts);
	if (tif == NULL) {
		/* libtiff's messages already name the file. */
		if (msg.text[0] != '\0')
			snprintf(err, errlen, "%s", msg.text);
		else
			snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	n = TIFFNumberOfDirectories(tif);
	TIFFClose(tif);
	return n;
}

/* check_config - validate what SpanDSP would not, returns 0 or -1 */
static int check_config(const t30_ep_config_t *c, char *err, size_t errlen)
{
	const char *file = c->transmit ? c->tx_file : c->rx_file;
	int pages, first;

	if (c->transport != T30_EP_AUDIO && c->transport != T30_EP_T38) {
		snprintf(err, errlen, "unknown transport %d", (int)c->transport);
		return -1;
	}
	if (c->transport == T30_EP_T38 && c->tx_ifp == NULL) {
		snprintf(err, errlen, "T.38 endpoint needs a tx_ifp callback");
		return -1;
	}
	if (file == NULL || *file == '\0') {
		snprintf(err, errlen, "no %s file", c->transmit ? "tx" : "rx");
		return -1;
	}
	if (strlen(file) > T30_EP_PATH_MAX) {
		snprintf(err, errlen, "file name longer than %d bytes", T30_EP_PATH_MAX);
		return -1;
	}
	if (c->ident != NULL && strlen(c->ident) > T30_MAX_IDENT_LEN) {
		snprintf(err, errlen, "ident longer than %d characters",
		    T30_MAX_IDENT_LEN);
		return -1;
	}
	if (c->header != NULL && strlen(c->header) > T30_MAX_PAGE_HEADER_INFO) {
		snprintf(err, errlen, "page header longer than %d characters",
		    T30_MAX_PAGE_HEADER_INFO);
		return -1;
	}
	if (!c->transmit)
		return 0;
	first = c->first_page > 0 ? c->first_page : 1;
	if (c->last_page != 0 && c->last_page < first) {
		snprintf(err, errlen, "last page %d before first page %d",
		    c->last_page, first);
		return -1;
	}
	/* SpanDSP 0.0.6 would only notice at phase B, after dialling, and
	 * call it FILEERROR, which reads as a bad attachment. */
	if ((pages = t30_ep_tiff_pages(file, err, errlen)) < 0)
		return -1;
	if (first > pages) {
		snprintf(err, errlen, "%s has %d page%s, cannot start at page %d",
		    file, pages, pages == 1 ? "" : "s", first);
		return -1;
	}
	return 0;
}

/* setup_t30 - apply the configuration to the T.30 engine, returns 0 or -1 */
static int setup_t30(t30_ep_t *ep, char *err, size_t errlen)
{
	const t30_ep_config_t *c = &ep->cfg;
	t30_state_t *t = ep->t30;
	int modems = c->modems ? c->modems : (T30_EP_V27TER | T30_EP_V29 | T30_EP_V17);
	int comp = c->compressions;

	if (comp == 0)
		comp = T30_EP_T4_1D | T30_EP_T4_2D | (c->ecm ? T30_EP_T6 : 0);
	if (!c->ecm)
		comp &= ~T30_EP_T6;
	if (comp == 0)
		comp = T30_EP_T4_1D;
	if (t30_set_tx_ident(t, c->ident ? c->ident : "") < 0) {
		snprintf(err, errlen, "SpanDSP refused the ident");
		return -1;
	}
	if (c->transmit && c->header != NULL && *c->header != '\0' &&
	    t30_set_tx_page_header_info(t, c->header) < 0) {
		snprintf(err, errlen, "SpanDSP refused the page header");
		return -1;
	}
	/* T.33 subaddressing (the SUB frame): an onramp routes on it. */
	t30_set_supported_t30_features(t, T30_SUPPORT_SUB_ADDRESSING);
	if (c->transmit && c->sub_address && *c->sub_address) {
		if (strlen(c->sub_address) > T30_MAX_IDENT_LEN ||
		    strspn(c->sub_address, "0123456789") != strlen(c->sub_address) ||
		    t30_set_tx_sub_address(t, c->sub_address) < 0) {
			snprintf(err, errlen, "subaddress '%.30s' is not 1 to %d digits",
			    c->sub_address, T30_MAX_IDENT_LEN);
			return -1;
		}
	}
	t30_set_ecm_capability(t, c->ecm ? 1 : 0);
	t30_set_supported_modems(t, modems);
	t30_set_supported_compressions(t, comp);
	if (c->transmit) {
		int first = c->first_page > 0 ? c->first_page : 1;

		/* SpanDSP pages are 0-based and the stop page is inclusive. */
		t30_set_tx_file(t, c->tx_file, first - 1,
		    c->last_page > 0 ? c->last_page - 1 : -1);
	} else {
		t30_set_rx_file(t, c->rx_file, -1);
	}
	if (!c->transmit && c->refuse)
		t30_set_phase_b_handler(t, phase_b_refuse, ep);
	t30_set_phase_d_handler(t, phase_d, ep);
	t30_set_phase_e_handler(t, phase_e, ep);
	t30_set_real_time_frame_handler(t, frame, ep);
	set_logging(ep, t30_get_logging_state(t));
	return 0;
}

/* t30_ep_new - create one endpoint, returns it or NULL with err set */
t30_ep_t *t30_ep_new(const t30_ep_config_t *cfg, char *err, size_t errlen)
{
	t30_ep_t *ep, *prev;

	if (check_config(cfg, err, errlen) < 0)
		return NULL;
	if (!tiff_hooked) {
		prev_tiff_error = TIFFSetErrorHandler(tiff_error);
		prev_tiff_warning = TIFFSetWarningHandler(tiff_warning);
		tiff_hooked = 1;
	}
	if ((ep = calloc(1, sizeof(*ep))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ep->cfg = *cfg;
	snprintf(ep->tag, sizeof(ep->tag), "%s", cfg->log_tag ? cfg->log_tag : "t30");
	fax_result_init(&ep->result);

	prev = enter(ep);
	if (cfg->transport == T30_EP_AUDIO) {
		ep->fax = fax_init(NULL, cfg->calling ? 1 : 0);
		if (ep->fax != NULL) {
			/* Without this fax_tx() returns short blocks when idle. */
			fax_set_transmit_on_idle(ep->fax, 1);
			ep->t30 = fax_get_t30_state(ep->fax);
			set_logging(ep, fax_get_logging_state(ep->fax));
		}
	} else {
		ep->t38 = t38_terminal_init(NULL, cfg->calling ? 1 : 0, t38_tx, ep);
		if (ep->t38 != NULL) {
			t38_core_state_t *core = t38_terminal_get_t38_core_state(ep->t38);

			if (cfg->t38_unpaced)
				t38_terminal_set_config(ep->t38,
				    T38_TERMINAL_OPTION_NO_PACING);
			if (cfg->t38_max_datagram > 0)
				t38_set_max_datagram_size(core, cfg->t38_max_datagram);
			ep->t30 = t38_terminal_get_t30_state(ep->t38);
			set_logging(ep, t38_terminal_get_logging_state(ep->t38));
			set_logging(ep, t38_core_get_logging_state(core));
		}
	}
	if (ep->t30 == NULL) {
		snprintf(err, errlen, "SpanDSP initialisation failed");
		leave(prev);
		t30_ep_free(ep);
		return NULL;
	}
	if (setup_t30(ep, err, errlen) < 0) {
		leave(prev);
		t30_ep_free(ep);
		return NULL;
	}
	/* SpanDSP copied what it needs; the caller's strings may go now. */
	ep->cfg.tx_file = ep->cfg.rx_file = ep->cfg.ident = ep->cfg.header = NULL;
	ep->cfg.sub_address = NULL;
	ep->cfg.log_tag = NULL;
	leave(prev);
	return ep;
}

/* t30_ep_tx_audio - produce n samples to send, returns n */
int t30_ep_tx_audio(t30_ep_t *ep, int16_t *buf, int n)
{
	t30_ep_t *prev;
	int got = 0;

	if (ep->fax != NULL && !ep->done) {
		prev = enter(ep);
		got = fax_tx(ep->fax, buf, n);
		leave(prev);
		if (got < 0)
			got = 0;
	}
	if (got < n)
		memset(buf + got, 0, (size_t)(n - got) * sizeof(*buf));
	return n;
}

/* t30_ep_rx_audio - consume n received samples, returns nothing */
void t30_ep_rx_audio(t30_ep_t *ep, const int16_t *buf, int n)
{
	int16_t tmp[160];
	t30_ep_t *prev;

	if (ep->fax == NULL)
		return;
	prev = enter(ep);
	/* fax_rx() takes a non-const buffer; do not hand it the caller's. */
	while (n > 0 && !ep->done) {
		int k = n < 160 ? n : 160;

		memcpy(tmp, buf, (size_t)k * sizeof(*buf));
		fax_rx(ep->fax, tmp, k);
		buf += k;
		n -= k;
	}
	leave(prev);
}

/* t30_ep_rx_ifp - consume one received IFP, returns 0 or -1 */
int t30_ep_rx_ifp(t30_ep_t *ep, const uint8_t *buf, int len, uint16_t seq)
{
	t30_ep_t *prev;
	int rc;

	if (ep->t38 == NULL || ep->done)
		return 0;
	prev = enter(ep);
	rc = t38_core_rx_ifp_packet(t38_terminal_get_t38_core_state(ep->t38),
	    buf, len, seq);
	leave(prev);
	return rc < 0 ? -1 : 0;
}

/* t30_ep_tick - advance T.38 time by samples, returns nothing */
void t30_ep_tick(t30_ep_t *ep, int samples)
{
	t30_ep_t *prev;

	if (ep->t38 == NULL || ep->done)
		return;
	prev = enter(ep);
	t38_terminal_send_timeout(ep->t38, samples);
	leave(prev);
}

/* t30_ep_hangup - the line is gone: end T.30 now, returns nothing */
void t30_ep_hangup(t30_ep_t *ep)
{
	t30_ep_t *prev;

	if (ep == NULL || ep->done || ep->t30 == NULL)
		return;
	prev = enter(ep);
	t30_terminate(ep->t30);
	leave(prev);
	if (!ep->done) {
		/* t30_terminate() skips phase E when T.30 thinks the call
		 * already finished; still, the caller needs a result. */
		phase_e(ep->t30, ep, T30_ERR_CALLDROPPED);
	}
}

/* t30_ep_done - has phase E run, returns 1 or 0 */
int t30_ep_done(const t30_ep_t *ep)
{
	return ep->done;
}

/* t30_ep_pages - pages confirmed or received so far, returns the count */
int t30_ep_pages(const t30_ep_t *ep)
{
	return ep->pages;
}

/* t30_ep_result - the call's result, returns it or NULL before phase E */
const fax_result_t *t30_ep_result(const t30_ep_t *ep)
{
	return ep->done ? &ep->result : NULL;
}

/* t30_ep_free - hang up if needed and release everything, returns nothing */
void t30_ep_free(t30_ep_t *ep)
{
	t30_ep_t *prev;

	if (ep == NULL)
		return;
	t30_ep_hangup(ep);
	prev = enter(ep);
	if (ep->fax != NULL)
		fax_free(ep->fax);
	if (ep->t38 != NULL)
		t38_terminal_free(ep->t38);
	leave(prev);
	free(ep);
}

/* t30_ep_remote_ident - the far end's TSI or CSI, "" when not yet known */
const char *t30_ep_remote_ident(t30_ep_t *ep)
{
	const char *id = ep && ep->t30 ? t30_get_rx_ident(ep->t30) : NULL;

	return id ? id : "";
}

/* t30_ep_remote_sub - the T.33 subaddress received in SUB, "" when none */
const char *t30_ep_remote_sub(t30_ep_t *ep)
{
	const char *sub = ep && ep->t30 ? t30_get_rx_sub_address(ep->t30) : NULL;

	return sub ? sub : "";
}
