/*
 * NAME
 *	filter - the milter callbacks of faxgate-milter
 * SYNOPSIS
 *	#include "filter.h"
 *	void filter_init(const config_t *cf, const smime_t *sm);
 *	struct smfiDesc *filter_desc(void);
 * DESCRIPTION
 *	filter_init gives the callbacks their configuration and the S/MIME
 *	CA store (NULL when no fax domain requires S/MIME), both read-only
 *	for the life of the process. filter_desc returns the description to
 *	pass to smfi_register.
 *
 *	Per SMTP transaction: MAIL FROM keeps the sender, RET, ENVID and the
 *	auth macros; each RCPT TO in a fax domain is parsed, checked against
 *	the sender policy, the dial plan and the rate limit, and refused at
 *	once with its own reply (553 5.1.3, 550 5.7.1, 450 4.7.1); other
 *	recipients pass untouched. With fax recipients, the message is
 *	collected (552 5.3.4 beyond max_message_size) and at end of message
 *	when a fax recipient's domain requires S/MIME ([policy] smime), the
 *	top-level signature is verified and its signer must be both the
 *	envelope sender and the From: address (550 5.7.1 with the reason;
 *	see smime.h), and only the signed entity is read further; then
 *	its MIME is read (554 5.6.1 nothing faxable, 554 5.6.0 broken), then
 *	the message and one job per fax recipient are committed to the store
 *	(452 4.3.1 when the store has no room, 451 4.3.0 on any other store
 *	error; nothing half-stored), and only then
 *	are the fax recipients removed from the envelope, or the whole
 *	message discarded when no other recipient is left.
 */
#ifndef FAXGATE_FILTER_H
#define FAXGATE_FILTER_H

#include <libmilter/mfapi.h>

#include "config.h"
#include "smime.h"

void filter_init(const config_t *cf, const smime_t *sm);
struct smfiDesc *filter_desc(void);

#endif
