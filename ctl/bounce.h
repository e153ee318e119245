/*
 * NAME
 *	bounce - read a delivery report about the mail of a received fax
 * SYNOPSIS
 *	#include "bounce.h"
 *	int  bounce_parse(const char *text, size_t len, bounce_t *b,
 *		char *err, size_t errlen);
 *	void bounce_free(bounce_t *b);
 *	int  bounce_token(const char *s, long *id, long *received_at);
 * DESCRIPTION
 *	faxgate-onramp mails a received fax with envelope sender [onramp]
 *	envelope_from, envelope id (ENVID) "faxgate.inbound.ID.RECEIVED" and
 *	Message-ID <faxgate.inbound.ID.RECEIVED@host>. A mail system that
 *	cannot deliver it sends a delivery report (RFC 3464: multipart/report
 *	with a message/delivery-status part) to that sender; the mail
 *	administrator pipes it into "faxgatectl inbound bounce".
 *
 *	bounce_parse() reads one such message (GMime finds the parts; the
 *	delivery-status fields, RFC 822-style blocks, are read here) into b:
 *	the fax (id, received_at) from the Original-Envelope-Id, or failing
 *	that from the Message-ID of the returned message or headers (a
 *	report by a mail system that dropped the ENVID); the Reporting-MTA;
 *	and each recipient block's Final-Recipient address, Action, Status
 *	and Diagnostic-Code. Values are made printable (control characters
 *	become '?') and bounded, so a report cannot forge a log line.
 *
 *	bounce_token() reads "faxgate.inbound.ID.RECEIVED" at the start of s
 *	(an envelope id, or a Message-ID without its '<'); 0 or -1.
 * DIAGNOSTICS
 *	bounce_parse() returns 0, or -1 with the reason in err: not a MIME
 *	message, no message/delivery-status part, no recipient block, or a
 *	report that names no fax this gateway mailed.
 */
#ifndef FAXGATE_BOUNCE_H
#define FAXGATE_BOUNCE_H

#include <stddef.h>

typedef struct bounce_rcpt {
	char *recipient, *action, *status, *diagnostic;
} bounce_rcpt_t;

typedef struct bounce {
	long id, received_at;		/* the fax the report is about */
	const char *found_by;		/* "envelope id" or "message id" */
	char *reporting_mta;		/* NULL if none */
	bounce_rcpt_t *rcpts;
	size_t n;
} bounce_t;

int bounce_parse(const char *text, size_t len, bounce_t *b, char *err, size_t errlen);
void bounce_free(bounce_t *b);
int bounce_token(const char *s, long *id, long *received_at);

#endif
