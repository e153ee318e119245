/*
 * NAME
 *	outcome - the result of one fax call, and how it maps to a DSN
 * SYNOPSIS
 *	#include "outcome.h"
 *
 *	void	fax_result_init(fax_result_t *r);
 *	void	fax_result_from_t30(fax_result_t *r, int t30_code, int pages,
 *			int receiving);
 *	void	fax_result_callctl(fax_result_t *r, int q850_cause,
 *			const char *text);
 *	void	fax_result_internal(fax_result_t *r, const char *code,
 *			const char *text);
 *	const char *fax_t30_code_name(int t30_code);
 *	const char *fax_class_name(enum fax_class cls);
 * DESCRIPTION
 *	A fax_result_t says what happened to one call attempt: the class
 *	(delivered, try again later, give up), the RFC 3463 status and the
 *	Diagnostic-Code for the DSN, a short error code for the log and the
 *	store, a sentence for humans, and the transfer figures.
 *
 *	fax_result_init() clears *r to "nothing happened yet": FAX_RETRY,
 *	4.3.0, error_code "NONE", t38 -1 (not tried). Every other function starts from it, so
 *	no field is ever left undefined.
 *
 *	fax_result_from_t30() fills the class, status, diag, error_code,
 *	error_text and fallback_hint from a SpanDSP phase E completion code
 *	(T30_ERR_*), and sets pages_sent = pages (pages the far end
 *	confirmed in this call, or pages received when receiving). It leaves
 *	bytes, bit_rate, ecm, resolution and call_id alone: the T.30 endpoint
 *	fills those from its statistics. receiving is 1 when we were the
 *	receiving side; then TIFF errors are our own fault (4.3.0, retry)
 *	rather than a bad attachment (5.6.1, final).
 *	The mapping is the table in standards.md section 10:
 *	    OK                                  FAX_OK    2.0.0
 *	    DCN, training, dropped, protocol    FAX_RETRY 4.4.2 (resume at
 *	        the first unconfirmed page)
 *	    T5EXP, OPER_INT_FAIL (not ready)    FAX_FINAL 4.2.2
 *	    T0/T1 expired, CEDTONE (not a fax)  FAX_FINAL 5.1.1
 *	    SUB/SEP/PSA/address unacceptable    FAX_FINAL 5.1.1
 *	    IDENT/SID/PWD unacceptable          FAX_FINAL 5.7.1
 *	    INCOMPATIBLE, RX/TX_INCAPABLE, NOPOLL FAX_FINAL 5.3.3
 *	    NORESSUPPORT, NOSIZESUPPORT         FAX_FINAL 5.6.3
 *	    FILEERROR, BADTIFF and friends      FAX_FINAL 5.6.1
 *	    NOMEM                               FAX_RETRY 4.3.0
 *	    a code this table does not know     FAX_RETRY 4.4.2
 *	The diag is "X-T30; T30_ERR_NAME" (", N pages sent" appended when
 *	pages > 0), or "X-T30; OK, N pages".
 *
 *	fax_result_callctl() fills *r for a call that never reached T.30,
 *	from its Q.850 cause: 17 busy 4.4.1; 18, 19, 20 no answer 4.4.1;
 *	34, 38, 41, 42, 44, 47 congestion 4.4.5 (all FAX_RETRY); 1 and 22
 *	5.1.1, 28 5.1.3 (FAX_FINAL); any other cause FAX_RETRY 4.4.0.
 *	diag is "X-Q850; N", error_code "Q850:N". text, when not NULL or
 *	empty, replaces the built-in error_text (e.g. a SIP reason phrase).
 *
 *	fax_result_internal() fills *r for a fault on our side (4.3.0,
 *	FAX_RETRY), with the given short code and text; diag is
 *	"X-FAXGATE; CODE".
 *
 *	fax_t30_code_name() returns the symbolic name of a T30_ERR_* code,
 *	exactly as SpanDSP 0.0.6's enum spells it, e.g. "T30_ERR_TX_GOTDCN"
 *	(there is no T30_ERR_GOTDCN in 0.0.6), or "T30_ERR_UNKNOWN" for a
 *	code it does not know (error_code is then "T30_ERR_#N").
 *	fallback_hint is set for training and ECM trouble: CANNOT_TRAIN,
 *	HDLC_CARRIER, TX_BADDCS, TX_PHBDEAD, TX_PHDDEAD, TX_ECMPHD, RX_ECMPHD.
 *	fax_class_name() returns "ok", "retry" or "final".
 * DIAGNOSTICS
 *	None; every input maps to some result.
 */
#ifndef FAXGATE_OUTCOME_H
#define FAXGATE_OUTCOME_H

enum fax_class { FAX_OK = 0, FAX_RETRY, FAX_FINAL };

typedef struct fax_result {
	enum fax_class cls;
	char status[8];		/* RFC 3463, e.g. "2.0.0", "4.4.1", "5.1.1" */
	char diag[96];		/* Diagnostic-Code value, "X-T30; ..." or "X-Q850; 17" */
	char error_code[40];	/* short code for the log/store, "T30_ERR_TX_GOTDCN", "Q850:17", "OK" */
	char error_text[160];	/* human text */
	int pages_sent;		/* pages the far end confirmed in this call */
	long bytes;		/* image bytes sent (or received) */
	int bit_rate;		/* e.g. 14400; 0 when no image phase was reached */
	int ecm;		/* 1 if ECM was used */
	char resolution[16];	/* e.g. "204x196"; "" when unknown */
	char call_id[96];	/* channel's call identifier, "" for sim */
	int fallback_hint;	/* 1: next attempt should try without ECM / slower modems */
	int t38;		/* SIP: -1 not tried, 0 the far end refused T.38, 1 used */
	char transport[12];	/* "t38", "t38-dtls", "g711", "sim"; "" before media */
} fax_result_t;

void fax_result_init(fax_result_t *r);
void fax_result_from_t30(fax_result_t *r, int t30_code, int pages, int receiving);
void fax_result_callctl(fax_result_t *r, int q850_cause, const char *text);
void fax_result_internal(fax_result_t *r, const char *code, const char *text);
const char *fax_t30_code_name(int t30_code);
const char *fax_class_name(enum fax_class cls);

#endif
