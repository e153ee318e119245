/*
 * NAME
 *	mail - the mail a received fax becomes (RFC 3965 simple mode)
 * SYNOPSIS
 *	#include "mail.h"
 *	int mail_build(const mail_fax_t *f, char **out, size_t *outlen,
 *		char *err, size_t errlen);
 *	int mail_from(const char *caller, const char *domain, const char *no_caller,
 *		char *buf, size_t len);
 * DESCRIPTION
 *	mail_build writes one multipart/mixed message with GMime:
 *	From: f->from; To: every address of f->targets (space-separated);
 *	Subject "Fax from CALLER (TSI "IDENT"), N pages" (", incomplete"
 *	for an outcome other than "ok"; "unknown caller" and no TSI part
 *	when absent); Date: f->date; Message-ID: f->message_id;
 *	Auto-Submitted: auto-generated (so no vacation reply goes back to
 *	FAX=+caller, which would be faxed); MIME-Version.
 *	The parts: text/plain (UTF-8) for people, with the RFC 4161 3.2
 *	log fields (start and end of reception, pages, bytes, resolution,
 *	caller and station ID, the number dialled, recipients, when mailed,
 *	attempts, status; "incomplete: the call ended after N pages" and
 *	the error for a partial fax); then f->tiff as image/tiff;
 *	application=faxbw (RFC 3250/3302), attachment "fax-ID.tif",
 *	base64; then f->pdf, if any, as application/pdf, "fax-ID.pdf". When
 *	f->pdf_error is set instead, the text says why there is no PDF.
 *	Text from the phone side (caller, TSI, error text) is reduced to
 *	printable ASCII, '?' for the rest, and "=?" cannot start an encoded
 *	word in the Subject. The result has CR LF line ends; it is
 *	malloc()ed and NUL-terminated for the caller to free().
 *
 *	mail_from writes the From address: FAX=+DIGITS@domain when caller
 *	is digits (a leading '+' allowed, at most 20), else no_caller; it
 *	returns 1 when the caller was used, 0 when not.
 * DIAGNOSTICS
 *	-1 and a reason in err: a target or From that is not an address,
 *	no target, no TIFF. GMime aborts when memory runs out.
 */
#ifndef FAXGATE_MAIL_H
#define FAXGATE_MAIL_H

#include <stddef.h>

typedef struct mail_fax {
	long id;			/* the inbound row */
	const char *hostname;		/* the gateway, for the text */
	const char *from;		/* mail_from's result */
	const char *targets;		/* space-separated recipients */
	const char *message_id;		/* with <> */
	long date;			/* Date: */
	const char *did, *caller, *tsi;	/* NULL or "" if unknown */
	int pages;
	const char *outcome;		/* "ok", "partial", "failed" */
	const char *status, *error_code, *error_text;	/* may be NULL */
	long received_at, ended_at;	/* ended_at 0: unknown */
	long bytes;
	const char *resolution;		/* as received, may be NULL */
	unsigned attempt;		/* this injection, from 1 */
	const void *tiff;		/* Profile S */
	size_t tifflen;
	const void *pdf;		/* NULL: none */
	size_t pdflen;
	const char *pdf_error;		/* why there is no PDF, or NULL */
} mail_fax_t;

int mail_build(const mail_fax_t *f, char **out, size_t *outlen, char *err, size_t errlen);
int mail_from(const char *caller, const char *domain, const char *no_caller,
    char *buf, size_t len);

#endif
