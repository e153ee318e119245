/*
 * NAME
 *	mailer - mail the received faxes that are due
 * SYNOPSIS
 *	#include "mailer.h"
 *	mailer_t *mailer_new(store_t *st, const config_t *cf);
 *	void mailer_set_config(mailer_t *m, const config_t *cf);
 *	int mailer_run(mailer_t *m, const volatile sig_atomic_t *stop);
 *	mailer_result_t mailer_one(mailer_t *m, long id, long now);
 *	void mailer_free(mailer_t *m);
 * DESCRIPTION
 *	mailer_run takes every received fax the store says is due
 *	(store_inbound_due) and hands each to mailer_one, until none is
 *	left or *stop is set; it returns how many it handled, or -1 when
 *	the store fails.
 *
 *	mailer_one claims fax id (store_inbound_claim, a lease of
 *	MAILER_LEASE seconds: a mailer that dies leaves it to the next
 *	one) and then:
 *	- without a stored decision (decision NULL, or an allowing one
 *	  without targets) decides now with onramp_decide from the stored
 *	  DID, caller, TSI and digits, and records the decision
 *	  (store_inbound_decide); a stored refusal stands;
 *	- a refusal, a fax without pages, pages that cannot be converted
 *	  or a bad recipient: state "failed", the reason in mail_error,
 *	  one log line; never retried (faxgatectl inbound retry ID after a
 *	  fix);
 *	- otherwise it converts the pages to TIFF Profile S (tiffs.h), and
 *	  to a PDF with [onramp] tiff2pdf when [onramp] pdf is set (a PDF
 *	  that cannot be made is left out and the text says why), builds
 *	  the mail (mail.h) and runs the MTA's [notices] sendmail (with -C
 *	  [notices] sendmail_config when set) as
 *	      sendmail -f ENVELOPE_FROM -i -- TARGET...
 *	  with the mail on its standard input, no shell. Exit 0: "mailed",
 *	  with one log line holding the RFC 4161 3.2 fields. Anything else
 *	  is a failed injection: the fax is due again after [onramp] retry
 *	  seconds, doubled at each failure up to an hour; at the
 *	  [onramp] alert_after-th failure it is logged at alert level and
 *	  becomes "failed" (RFC 4161 2.5: re-queue, then tell the
 *	  administrator).
 *	The Message-ID is made from the fax's id and reception time, so a
 *	mail injected twice (a mailer that died after sendmail took it) is
 *	recognisable as one.
 * DIAGNOSTICS
 *	mailer_one returns what happened; MAILER_ERROR means the store
 *	failed (logged; the lease brings the fax back later).
 */
#ifndef FAXGATE_MAILER_H
#define FAXGATE_MAILER_H

#include <signal.h>

#include "config.h"
#include "store.h"

#define MAILER_LEASE	600	/* seconds a claimed fax stays ours */
#define MAILER_TIMEOUT	120	/* seconds for sendmail or tiff2pdf */

typedef enum mailer_result {
	MAILER_MAILED, MAILER_RETRY, MAILER_FAILED, MAILER_SKIPPED, MAILER_ERROR
} mailer_result_t;

typedef struct mailer mailer_t;

mailer_t *mailer_new(store_t *st, const config_t *cf);
void mailer_set_config(mailer_t *m, const config_t *cf);
int mailer_run(mailer_t *m, const volatile sig_atomic_t *stop);
mailer_result_t mailer_one(mailer_t *m, long id, long now);
void mailer_free(mailer_t *m);

#endif
