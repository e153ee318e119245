/*
 * NAME
 *	msghdr - the header fields intake keeps of a message
 *
 * SYNOPSIS
 *	#include "msghdr.h"
 *
 *	int	msghdr_fill(GMimeMessage *msg, intake_t *out);
 *
 * DESCRIPTION
 *	msghdr_fill() sets out->message_id, out->subject, out->mdn_to and
 *	out->from from the header of msg, each as intake.h describes it
 *	(Message-ID only when printable ASCII of at most 998 bytes;
 *	Subject as valid UTF-8 with controls as spaces; the
 *	Disposition-Notification-To value, at most 998 bytes, controls as
 *	spaces; the addr-spec of the first mailbox of From:, looking into
 *	groups, only when it has no whitespace or controls and is valid
 *	UTF-8). A field that is absent or unusable is left alone (NULL in
 *	a zeroed out).
 *
 * RETURN VALUE
 *	0, or -1 when out of memory; the fields set before that stay set,
 *	and intake_free() releases them either way.
 *
 * MEMORY
 *	Every field set is malloc()ed and owned by out.
 */
#ifndef FAXGATE_MSGHDR_H
#define FAXGATE_MSGHDR_H

#include <gmime/gmime.h>

#include "intake.h"

extern int msghdr_fill(GMimeMessage *msg, intake_t *out);

#endif
