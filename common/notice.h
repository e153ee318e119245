/*
 * NAME
 *	notice 3h - delivery status notices (DSN) and disposition notices
 *	(MDN) for faxes
 * SYNOPSIS
 *	#include "notice.h"
 *
 *	void	notice_init(void);
 *	int	notice_wanted(const char *notify, const char *action);
 *	int	notice_build_dsn(const notice_msg_t *m,
 *			const notice_rcpt_t *r, size_t n,
 *			char **out, size_t *outlen, char *err, size_t errlen);
 *	int	notice_build_mdn(const notice_msg_t *m,
 *			const notice_rcpt_t *r,
 *			char **out, size_t *outlen, char *err, size_t errlen);
 *	int	notice_mdn_allowed(const char *disposition_notification_to,
 *			const char *return_path);
 * DESCRIPTION
 *	This module writes the notices that go back to the sender of a
 *	fax: an RFC 3464 delivery status notification and an RFC 8098
 *	message disposition notification (the "processed/error" of RFC
 *	3249 section 4.4.1.2). It only builds the message. Sending it
 *	(with MAIL FROM:<>), deciding when, and re-queueing a notice that
 *	could not be sent are the caller's business. The MIME structure
 *	is GMime's; this module writes only the field lines of the
 *	report parts and the readable text.
 *
 *	notice_init() initialises GMime once per process (pthread_once).
 *	Call it before the second thread starts: g_mime_init() is not
 *	thread-safe. The other calls run it too, so a single-threaded
 *	program may skip it.
 *
 *	notice_wanted() says whether NOTIFY (RFC 3461 section 4.1, as
 *	given, NULL when absent) asks for a notice with this action; it
 *	returns 1 or 0. Keywords are case-insensitive and comma
 *	separated, blanks around them are ignored. NEVER anywhere: 0.
 *	"failed": FAILURE given, or NOTIFY absent (section 5.2.6).
 *	"delivered": SUCCESS given (5.2.3).
 *	"delayed": DELAY given (5.2.5); policy: 0 when NOTIFY is absent,
 *	because RFC 4161 section 2.3 wants the one error notice after
 *	the last retry, not one per retry. A NOTIFY with no keyword we
 *	know counts as absent. Any other action: 0.
 *
 *	notice_build_dsn() writes one multipart/report; report-type=
 *	delivery-status message for the n recipients at r (1 to
 *	NOTICE_RCPT_MAX; a gathered notice lists them in order). The
 *	caller picks the recipients with notice_wanted(); this call does
 *	not look at notify. The top-level header is exactly From, To,
 *	Subject, Date, Message-ID, Auto-Submitted: auto-replied,
 *	MIME-Version and Content-Type. From is m->from_addr (a mailbox,
 *	optionally with a display name; NULL means
 *	MAILER-DAEMON@reporting_mta), To is m->return_path (surrounding
 *	<> allowed). Subject is "Fax delivery report: " and the actions
 *	("failed", "delayed", "delivered", in that order, comma
 *	separated), then ": " and the original subject, RFC 2047 encoded
 *	by GMime. Date is m->now (0: the current time). Message-ID is a
 *	fresh <...@reporting_mta>. The parts are:
 *	1. text/plain; charset=utf-8 for people: a summary and, per
 *	   recipient, the fields of the gateway protocol draft section
 *	   3.3.3 (transmission start, number dialled, total pages, pages
 *	   sent, cause, attempts, retry start time = the last attempt's
 *	   start when there was more than one attempt).
 *	2. message/delivery-status (7bit): Reporting-MTA, then
 *	   Original-Envelope-Id only when m->envid is not NULL, then
 *	   Arrival-Date when known; per recipient a block with
 *	   Original-Recipient only when orcpt is not NULL,
 *	   Final-Recipient, Action, Status, Diagnostic-Code when given,
 *	   Last-Attempt-Date when known, Will-Retry-Until when known and
 *	   the action is "delayed".
 *	3. the original, chosen by m->ret: "FULL" message/rfc822, "HDRS"
 *	   text/rfc822-headers (the header block, without the blank line
 *	   and body). Policy when RET is absent (RFC 3461 section 4.3
 *	   leaves it to us): FULL when any recipient failed, else HDRS.
 *	   A FULL that cannot be returned (longer than m->ret_max, or
 *	   with a line over 998 octets) falls back to HDRS, and the text
 *	   part says so. No third part when m->orig is NULL or empty.
 *	Times are written as RFC 5322 dates in UTC; 0 or a negative time
 *	means unknown (the field is left out or reads "unknown").
 *
 *	notice_build_mdn() writes one multipart/report; report-type=
 *	disposition-notification message (RFC 8098) about one recipient:
 *	From is r->recipient, To is m->return_path; the parts are a
 *	readable text, message/disposition-notification with
 *	Reporting-UA (reporting_mta; faxgate), Original-Recipient when
 *	orcpt is given, Final-Recipient, Original-Message-ID only when
 *	m->orig_message_id is not NULL, Disposition:
 *	automatic-action/MDN-sent-automatically; processed/error and
 *	Error: (r->cause, else r->diagnostic) for action "failed", or
 *	"; dispatched" and no Error for "delivered" (RFC 3249); and the
 *	original's header as text/rfc822-headers when m->orig is given.
 *	Other actions are an error. The caller checks
 *	notice_mdn_allowed() first and must not answer an MDN with one.
 *
 *	notice_mdn_allowed() returns 1 when an automatic MDN may go to
 *	the Disposition-Notification-To header value (RFC 8098 section
 *	2.1): it holds at least one mailbox, no group, and every mailbox
 *	equals return_path (local part exactly, domain case-insensitive,
 *	<> around return_path ignored); 0 otherwise (NULL or empty
 *	arguments, the null sender "<>", unparsable text).
 *
 *	Hostile input. Every value is cleaned before it reaches a header
 *	or a report field, so no input can add a header line, a field or
 *	a MIME part:
 *	- report fields (7bit): an identifier the sender matches against
 *	  its records (ENVID, ORCPT's address, recipient) is written as
 *	  is when it is printable ASCII, else as a whole in xtext (RFC
 *	  3461 section 4: "+0D+0A" for CR LF), which is how the client
 *	  sent it. Other text (Diagnostic-Code, Error) gets '?' for each
 *	  character outside printable ASCII. Each value is cut at
 *	  NOTICE_VALUE_MAX octets (at a character or xtext unit);
 *	  Diagnostic-Code without a "type;" gets "X-Faxgate; " in front.
 *	- readable text and Subject: invalid UTF-8 becomes U+FFFD; a run
 *	  of control characters (C0, DEL, C1, U+2028/9, bidi controls)
 *	  becomes one space; the original subject is cut at
 *	  NOTICE_SUBJECT_MAX octets and other values at NOTICE_VALUE_MAX,
 *	  with "..." added. In Subject and in the From display name each
 *	  "=?" becomes "= ?": GMime writes text that looks like an RFC
 *	  2047 encoded word as is, and a reader would decode it (into
 *	  CR LF, say).
 *	- Original-Message-ID: surrounding blanks and <> are dropped and
 *	  our own <> put around it; unprintable characters become '?'.
 *	- the original: CR LF and LF end lines; a bare CR and a NUL
 *	  become a space (a bare CR could otherwise turn into a line end
 *	  and split a header). The header block is cut at a field
 *	  boundary after NOTICE_HDRS_MAX octets.
 *	- addresses that go into From and To must be an addr-spec
 *	  (dot-atom or quoted-string local part, host name or [literal]
 *	  domain, UTF-8 allowed) of at most 320 octets; anything else is
 *	  an error, because GMime writes an addr-spec verbatim.
 *	The result has CR LF line ends only and no line over 998
 *	octets. It is 7bit unless a returned original holds 8-bit data
 *	(message/rfc822 is then marked 8bit: send with BODY=8BITMIME) or
 *	an address has a UTF-8 local part (GMime writes it raw and the
 *	domain as an A-label: send with SMTPUTF8).
 *
 *	Both builders return 0 and a malloc()ed, NUL-terminated message
 *	in *out (length in *outlen, without the NUL) for the caller to
 *	free(); on error they return -1, write a reason into err and
 *	leave *out alone.
 * DIAGNOSTICS
 *	Errors (-1 and a short printable reason in err): a NULL argument,
 *	n of 0 or over NOTICE_RCPT_MAX, a null or malformed return path
 *	(no notice goes to "<>", RFC 5321 section 4.5.5), a malformed
 *	from_addr, reporting_mta (not a host name) or recipient, an
 *	action other than failed, delayed or delivered (a gateway neither
 *	relays nor expands), a Status that is not class.subject.detail
 *	or whose class does not fit the action (2 for delivered, 4 for
 *	delayed, 4 or 5 for failed). GMime aborts when memory runs out.
 */
#ifndef FAXGATE_NOTICE_H
#define FAXGATE_NOTICE_H

#include <stddef.h>

#define NOTICE_RCPT_MAX		1000		/* recipients in one notice */
#define NOTICE_SUBJECT_MAX	200		/* original subject, octets */
#define NOTICE_VALUE_MAX	256		/* one field value, octets */
#define NOTICE_HDRS_MAX		(64 * 1024)	/* returned header block */
#define NOTICE_RET_MAX		(10 * 1024 * 1024)	/* RET=FULL default */

typedef struct notice_rcpt {
	const char *recipient;	/* fax address as written: Final-Recipient */
	const char *orcpt;	/* "rfc822;addr" decoded, or NULL: none */
	const char *notify;	/* NOTIFY as given, or NULL (absent) */
	const char *action;	/* "failed", "delivered", "delayed" */
	const char *status;	/* "5.1.1" */
	const char *diagnostic;	/* "X-T30; T30_ERR_T0_EXPIRED", or NULL */
	const char *number;	/* the number dialled */
	const char *cause;	/* human text for the readable part */
	long	start_time;	/* first attempt's start, 0 unknown */
	long	last_attempt_time;	/* Last-Attempt-Date, 0 unknown */
	long	will_retry_until;	/* delayed only, 0 unknown */
	int	pages_total;	/* <= 0 unknown */
	int	pages_sent, attempts;	/* < 0 unknown */
} notice_rcpt_t;

typedef struct notice_msg {
	const char *reporting_mta;	/* gateway FQDN: Reporting-MTA */
	const char *from_addr;	/* From: of the notice, NULL default */
	const char *return_path;	/* original envelope sender: To */
	const char *envid;	/* decoded ENVID, or NULL */
	const char *ret;	/* "FULL", "HDRS" or NULL (absent) */
	long	arrival_date;	/* Arrival-Date, 0 unknown */
	const char *orig_message_id;	/* with or without <>, or NULL */
	const char *orig_subject;	/* decoded UTF-8, or NULL */
	const void *orig;	/* the original as received, or NULL */
	size_t	origlen;
	long	now;		/* Date:, 0 the current time */
	size_t	ret_max;	/* largest RET=FULL, 0 NOTICE_RET_MAX */
	const char *message_id;	/* the notice's own, without <>; NULL: a new
				 * unique one. A caller that may inject the
				 * same notice twice (a crash between the MTA
				 * taking it and the store recording that)
				 * passes a stable one, so the copies are
				 * recognisably one message. */
} notice_msg_t;

void	notice_init(void);
int	notice_wanted(const char *notify, const char *action);
int	notice_build_dsn(const notice_msg_t *m, const notice_rcpt_t *r,
		size_t n, char **out, size_t *outlen, char *err, size_t errlen);
int	notice_build_mdn(const notice_msg_t *m, const notice_rcpt_t *r,
		char **out, size_t *outlen, char *err, size_t errlen);
int	notice_mdn_allowed(const char *disposition_notification_to,
		const char *return_path);

#endif
