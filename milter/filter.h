/*
 * NAME
 *	filter - the milter callbacks of faxgate-milter
 * SYNOPSIS
 *	#include "filter.h"
 *	void filter_init(const config_t *cf);
 *	struct smfiDesc *filter_desc(void);
 * DESCRIPTION
 *	filter_init gives the callbacks their configuration (read-only, for
 *	the life of the process). filter_desc returns the description to
 *	pass to smfi_register.
 *
 *	Per SMTP transaction: MAIL FROM keeps the sender, RET, ENVID and the
 *	auth macros; each RCPT TO in a fax domain is parsed, checked against
 *	the sender policy, the dial plan and the rate limit, and refused at
 *	once with its own reply (553 5.1.3, 550 5.7.1, 450 4.7.1); other
 *	recipients pass untouched. With fax recipients, the message is
 *	collected (552 5.3.4 beyond max_message_size) and at end of message
 *	its MIME is read (554 5.6.1 nothing faxable, 554 5.6.0 broken), then
 *	the message and one job per fax recipient are committed to the store
 *	(451 4.3.0 on any store error, nothing half-stored), and only then
 *	are the fax recipients removed from the envelope, or the whole
 *	message discarded when no other recipient is left.
 */
#ifndef FAXGATE_FILTER_H
#define FAXGATE_FILTER_H

#include <libmilter/mfapi.h>

#include "config.h"

void filter_init(const config_t *cf);
struct smfiDesc *filter_desc(void);

#endif
