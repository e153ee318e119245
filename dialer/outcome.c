/*
 * outcome.c - map SpanDSP completion codes and Q.850 causes to DSN results.
 *
 * The table below is standards.md section 10. It is indexed by the SpanDSP
 * 0.0.6 enum value with designated initialisers, so each row is tied to a
 * name, not to a position; t/unit/t30_sim.c checks that no code between
 * T30_ERR_OK and T30_ERR_CSA_UNACCEPTABLE is missing.
 */
#include <stdio.h>
#include <string.h>

#include <spandsp.h>

#include "outcome.h"

/* How a row is classified; the status and class follow from it. */
enum t30_kind {
	K_NONE = 0,	/* hole in the table: treated as K_UNKNOWN */
	K_OK,		/* 2.0.0 */
	K_LINK,		/* 4.4.2 retry: DCN, training, drop, protocol trouble */
	K_NOTREADY,	/* 4.2.2 final: far end not ready / out of paper */
	K_NOTFAX,	/* 5.1.1 final: nobody speaks T.30 there */
	K_ADDR,		/* 5.1.1 final: sub-address or address refused */
	K_AUTH,		/* 5.7.1 final: ident or password refused */
	K_INCOMPAT,	/* 5.3.3 final: far end cannot do it at all */
	K_CONVERT,	/* 5.6.3 final: resolution/size not receivable */
	K_TIFF,		/* 5.6.1 final sending; 4.3.0 retry receiving */
	K_INTERNAL,	/* 4.3.0 retry */
	K_UNKNOWN	/* 4.4.2 retry */
};

typedef struct t30_row {
	const char *name;
	enum t30_kind kind;
	int hint;		/* fallback_hint: try without ECM / slower */
	const char *text;
} t30_row_t;

#define ROW(code, kind, hint, text) [code] = { #code, kind, hint, text }

static const t30_row_t t30_rows[] = {
	ROW(T30_ERR_OK, K_OK, 0, "all pages were confirmed by the far end"),

	ROW(T30_ERR_CEDTONE, K_NOTFAX, 0,
	    "the far end is not a fax machine (answer tone longer than 5 s)"),
	ROW(T30_ERR_T0_EXPIRED, K_NOTFAX, 0,
	    "the far end is not a fax machine (no answer tone)"),
	ROW(T30_ERR_T1_EXPIRED, K_NOTFAX, 0,
	    "the far end is not a fax machine (no fax handshake)"),
	ROW(T30_ERR_T3_EXPIRED, K_LINK, 0,
	    "timed out waiting for a procedural interrupt"),
	ROW(T30_ERR_HDLC_CARRIER, K_LINK, 1,
	    "the far end's signalling carrier did not stop"),
	ROW(T30_ERR_CANNOT_TRAIN, K_LINK, 1,
	    "could not train with any modem speed (line too poor)"),
	ROW(T30_ERR_OPER_INT_FAIL, K_NOTREADY, 0,
	    "the far end asked for an operator and none responded"),
	ROW(T30_ERR_INCOMPATIBLE, K_INCOMPAT, 0,
	    "the far end fax machine is not compatible"),
	ROW(T30_ERR_RX_INCAPABLE, K_INCOMPAT, 0,
	    "the far end cannot receive faxes"),
	ROW(T30_ERR_TX_INCAPABLE, K_INCOMPAT, 0,
	    "the far end cannot send faxes"),
	ROW(T30_ERR_NORESSUPPORT, K_CONVERT, 0,
	    "the far end cannot receive at the resolution of the document"),
	ROW(T30_ERR_NOSIZESUPPORT, K_CONVERT, 0,
	    "the far end cannot receive the page size of the document"),
	ROW(T30_ERR_UNEXPECTED, K_LINK, 0,
	    "unexpected message from the far end"),

	ROW(T30_ERR_TX_BADDCS, K_LINK, 1,
	    "bad response to the transmission settings or training"),
	ROW(T30_ERR_TX_BADPG, K_LINK, 0,
	    "the far end disconnected after a page"),
	ROW(T30_ERR_TX_ECMPHD, K_LINK, 1,
	    "invalid error-correction response from the far end"),
	ROW(T30_ERR_TX_GOTDCN, K_LINK, 0,
	    "the far end disconnected before the transfer started"),
	ROW(T30_ERR_TX_INVALRSP, K_LINK, 0,
	    "invalid response from the far end after a page"),
	ROW(T30_ERR_TX_NODIS, K_LINK, 0,
	    "the far end did not announce its capabilities"),
	ROW(T30_ERR_TX_PHBDEAD, K_LINK, 1,
	    "no response to the transmission settings or training"),
	ROW(T30_ERR_TX_PHDDEAD, K_LINK, 1,
	    "no response from the far end after a page"),
	ROW(T30_ERR_TX_T5EXP, K_NOTREADY, 0,
	    "the far end stayed not ready (out of paper or memory)"),

	/* Receive-side codes: the sender is expected to call again. */
	ROW(T30_ERR_RX_ECMPHD, K_LINK, 1,
	    "invalid error-correction response from the sender"),
	ROW(T30_ERR_RX_GOTDCS, K_LINK, 0,
	    "settings received while waiting for a poll command"),
	ROW(T30_ERR_RX_INVALCMD, K_LINK, 0,
	    "unexpected command after a page"),
	ROW(T30_ERR_RX_NOCARRIER, K_LINK, 0,
	    "carrier lost during the fax transfer"),
	ROW(T30_ERR_RX_NOEOL, K_LINK, 0,
	    "timed out waiting for the end of a line"),
	ROW(T30_ERR_RX_NOFAX, K_LINK, 0,
	    "timed out waiting for the first line"),
	ROW(T30_ERR_RX_T2EXPDCN, K_LINK, 0,
	    "timer T2 expired waiting for the disconnect"),
	ROW(T30_ERR_RX_T2EXPD, K_LINK, 0,
	    "timer T2 expired waiting for the post-page command"),
	ROW(T30_ERR_RX_T2EXPFAX, K_LINK, 0,
	    "timer T2 expired waiting for a page"),
	ROW(T30_ERR_RX_T2EXPMPS, K_LINK, 0,
	    "timer T2 expired waiting for the next page"),
	ROW(T30_ERR_RX_T2EXPRR, K_LINK, 0,
	    "timer T2 expired waiting for a receive-ready command"),
	ROW(T30_ERR_RX_T2EXP, K_LINK, 0,
	    "timer T2 expired waiting for settings or a confirmation"),
	ROW(T30_ERR_RX_DCNWHY, K_LINK, 0,
	    "the sender disconnected before the transfer started"),
	ROW(T30_ERR_RX_DCNDATA, K_LINK, 0,
	    "the sender disconnected while sending image data"),
	ROW(T30_ERR_RX_DCNFAX, K_LINK, 0,
	    "the sender disconnected before the end-of-page command"),
	ROW(T30_ERR_RX_DCNPHD, K_LINK, 0,
	    "the sender disconnected after an end-of-page command"),
	ROW(T30_ERR_RX_DCNRRD, K_LINK, 0,
	    "the sender disconnected after a receive-ready exchange"),
	ROW(T30_ERR_RX_DCNNORTN, K_LINK, 0,
	    "the sender disconnected after a retransmission request"),

	ROW(T30_ERR_FILEERROR, K_TIFF, 0, "the TIFF file cannot be opened"),
	ROW(T30_ERR_NOPAGE, K_TIFF, 0, "the TIFF page was not found"),
	ROW(T30_ERR_BADTIFF, K_TIFF, 0, "the TIFF file is not usable for fax"),
	ROW(T30_ERR_BADPAGE, K_TIFF, 0, "the TIFF page number tag is missing"),
	ROW(T30_ERR_BADTAG, K_TIFF, 0, "the TIFF file has wrong tag values"),
	ROW(T30_ERR_BADTIFFHDR, K_TIFF, 0, "the TIFF header is bad"),
	ROW(T30_ERR_NOMEM, K_INTERNAL, 0, "out of memory for more pages"),

	ROW(T30_ERR_RETRYDCN, K_LINK, 0,
	    "disconnected after the permitted retries"),
	ROW(T30_ERR_CALLDROPPED, K_LINK, 0, "the call dropped prematurely"),

	ROW(T30_ERR_NOPOLL, K_INCOMPAT, 0, "polling was not accepted"),
	ROW(T30_ERR_IDENT_UNACCEPTABLE, K_AUTH, 0,
	    "the far end did not accept our identity"),
	ROW(T30_ERR_SUB_UNACCEPTABLE, K_ADDR, 0,
	    "the far end did not accept the sub-address"),
	ROW(T30_ERR_SEP_UNACCEPTABLE, K_ADDR, 0,
	    "the far end did not accept the selective polling address"),
	ROW(T30_ERR_PSA_UNACCEPTABLE, K_ADDR, 0,
	    "the far end did not accept the polled sub-address"),
	ROW(T30_ERR_SID_UNACCEPTABLE, K_AUTH, 0,
	    "the far end did not accept the sender identification"),
	ROW(T30_ERR_PWD_UNACCEPTABLE, K_AUTH, 0,
	    "the far end did not accept the password"),
	ROW(T30_ERR_TSA_UNACCEPTABLE, K_ADDR, 0,
	    "the far end did not accept the transmitting internet address"),
	ROW(T30_ERR_IRA_UNACCEPTABLE, K_ADDR, 0,
	    "the far end did not accept the internet routing address"),
	ROW(T30_ERR_CIA_UNACCEPTABLE, K_ADDR, 0,
	    "the far end did not accept the calling internet address"),
	ROW(T30_ERR_ISP_UNACCEPTABLE, K_ADDR, 0,
	    "the far end did not accept the selective polling internet address"),
	ROW(T30_ERR_CSA_UNACCEPTABLE, K_ADDR, 0,
	    "the far end did not accept the called internet address"),
};

/* A new SpanDSP adding codes at the end shows up here at compile time. */
_Static_assert(sizeof(t30_rows) / sizeof(t30_rows[0]) ==
    T30_ERR_CSA_UNACCEPTABLE + 1, "t30_rows must cover every T30_ERR_* code");

/* copy - bounded string copy that always terminates, returns nothing */
static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* fax_result_init - clear a result to "nothing happened yet", returns nothing */
void fax_result_init(fax_result_t *r)
{
	memset(r, 0, sizeof(*r));
	r->cls = FAX_RETRY;
	copy(r->status, sizeof(r->status), "4.3.0");
	copy(r->error_code, sizeof(r->error_code), "NONE");
	copy(r->error_text, sizeof(r->error_text), "no result was recorded");
	r->t38 = -1;
}

/* fax_t30_code_name - symbolic name of a T30_ERR_* code, returns a constant */
const char *fax_t30_code_name(int code)
{
	if (code < 0 || (size_t)code >= sizeof(t30_rows) / sizeof(t30_rows[0]) ||
	    t30_rows[code].name == NULL)
		return "T30_ERR_UNKNOWN";
	return t30_rows[code].name;
}

/* fax_class_name - "ok", "retry" or "final", returns a constant */
const char *fax_class_name(enum fax_class cls)
{
	switch (cls) {
	case FAX_OK:
		return "ok";
	case FAX_FINAL:
		return "final";
	default:
		return "retry";
	}
}

/* set_class - fill the class and the status, returns nothing */
static void set_class(fax_result_t *r, enum fax_class cls, const char *status)
{
	r->cls = cls;
	copy(r->status, sizeof(r->status), status);
}

/* fax_result_from_t30 - map a phase E completion code, returns nothing */
void fax_result_from_t30(fax_result_t *r, int code, int pages, int receiving)
{
	const t30_row_t *row = NULL;
	enum t30_kind kind = K_UNKNOWN;

	if (code >= 0 && (size_t)code < sizeof(t30_rows) / sizeof(t30_rows[0]) &&
	    t30_rows[code].name != NULL) {
		row = &t30_rows[code];
		kind = row->kind;
	}
	r->pages_sent = pages;
	r->fallback_hint = row ? row->hint : 0;
	switch (kind) {
	case K_OK:
		set_class(r, FAX_OK, "2.0.0");
		break;
	case K_LINK:
		set_class(r, FAX_RETRY, "4.4.2");
		break;
	case K_NOTREADY:
		/* standards.md 10: RFC 4161 says do not retry, yet the
		 * condition (paper, memory) is transient; hence a 4.x.x
		 * status on a final failure. */
		set_class(r, FAX_FINAL, "4.2.2");
		break;
	case K_NOTFAX:
	case K_ADDR:
		set_class(r, FAX_FINAL, "5.1.1");
		break;
	case K_AUTH:
		set_class(r, FAX_FINAL, "5.7.1");
		break;
	case K_INCOMPAT:
		set_class(r, FAX_FINAL, "5.3.3");
		break;
	case K_CONVERT:
		set_class(r, FAX_FINAL, "5.6.3");
		break;
	case K_TIFF:
		/* Sending, the attachment is at fault and will not get
		 * better; receiving, it is our disk or our bug. */
		if (receiving)
			set_class(r, FAX_RETRY, "4.3.0");
		else
			set_class(r, FAX_FINAL, "5.6.1");
		break;
	case K_INTERNAL:
		set_class(r, FAX_RETRY, "4.3.0");
		break;
	case K_NONE:
	case K_UNKNOWN:
		/* A code we have no row for comes from a SpanDSP newer than
		 * this table. Retrying is the safe guess: the retry budget
		 * bounds the cost, while a wrong permanent failure loses the
		 * fax for good. */
		set_class(r, FAX_RETRY, "4.4.2");
		break;
	}
	if (row == NULL) {
		snprintf(r->error_code, sizeof(r->error_code), "T30_ERR_#%d", code);
		snprintf(r->error_text, sizeof(r->error_text),
		    "unknown T.30 completion code %d", code);
	} else {
		copy(r->error_code, sizeof(r->error_code),
		    kind == K_OK ? "OK" : row->name);
		copy(r->error_text, sizeof(r->error_text),
		    kind == K_OK && receiving ? "all pages were received" : row->text);
	}
	if (kind == K_OK)
		snprintf(r->diag, sizeof(r->diag), "X-T30; OK, %d page%s",
		    pages, pages == 1 ? "" : "s");
	else if (pages > 0)
		snprintf(r->diag, sizeof(r->diag), "X-T30; %s, %d page%s sent",
		    r->error_code, pages, pages == 1 ? "" : "s");
	else
		snprintf(r->diag, sizeof(r->diag), "X-T30; %s", r->error_code);
}

/* fax_result_callctl - map a Q.850 cause of a failed call, returns nothing */
void fax_result_callctl(fax_result_t *r, int cause, const char *text)
{
	const char *builtin;

	switch (cause) {
	case 17:
		set_class(r, FAX_RETRY, "4.4.1");
		builtin = "the line is busy";
		break;
	case 18:
	case 19:
	case 20:
		set_class(r, FAX_RETRY, "4.4.1");
		builtin = "no answer";
		break;
	case 34:
	case 38:
	case 41:
	case 42:
	case 44:
	case 47:
		set_class(r, FAX_RETRY, "4.4.5");
		builtin = "network congestion, no circuit available";
		break;
	case 1:
		set_class(r, FAX_FINAL, "5.1.1");
		builtin = "the number does not exist (unallocated)";
		break;
	case 22:
		set_class(r, FAX_FINAL, "5.1.1");
		builtin = "the number has changed";
		break;
	case 28:
		set_class(r, FAX_FINAL, "5.1.3");
		builtin = "invalid number format";
		break;
	default:
		set_class(r, FAX_RETRY, "4.4.0");
		builtin = "the call failed";
		break;
	}
	r->fallback_hint = 0;
	snprintf(r->diag, sizeof(r->diag), "X-Q850; %d", cause);
	snprintf(r->error_code, sizeof(r->error_code), "Q850:%d", cause);
	if (text != NULL && *text != '\0')
		copy(r->error_text, sizeof(r->error_text), text);
	else
		snprintf(r->error_text, sizeof(r->error_text), "%s (Q.850 cause %d)",
		    builtin, cause);
}

/* fax_result_internal - a fault on our side, retry later, returns nothing */
void fax_result_internal(fax_result_t *r, const char *code, const char *text)
{
	set_class(r, FAX_RETRY, "4.3.0");
	r->fallback_hint = 0;
	copy(r->error_code, sizeof(r->error_code), code);
	copy(r->error_text, sizeof(r->error_text), text);
	snprintf(r->diag, sizeof(r->diag), "X-FAXGATE; %s", r->error_code);
}
