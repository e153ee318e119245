/*
 * NAME
 *	policy - who may send faxes, and how many
 * SYNOPSIS
 *	#include "policy.h"
 *	int policy_sender(const config_t *cf, const char *client_addr,
 *	    const char *auth_user, const char *sender, char *why, size_t len);
 *	int policy_rate(const config_t *cf, store_t *st, const char *sender,
 *	    unsigned pending, long now, char *why, size_t len);
 * DESCRIPTION
 *	policy_sender returns 0 when the sender may send faxes: the client
 *	is inside [policy] networks, or it authenticated (auth_user set) and
 *	[policy] authenticated is on; and, when [policy] sender_domains is
 *	set, the envelope sender's domain is one of them. Otherwise -1 with
 *	the reason.
 *	policy_rate returns 0 when the sender, with pending more fax
 *	recipients in the message at hand, stays within [policy]
 *	rate_per_hour over the last hour; 1 when the limit is reached (why
 *	says so); -1 when the store could not be read (why holds the store
 *	error).
 */
#ifndef FAXGATE_POLICY_H
#define FAXGATE_POLICY_H

#include <stddef.h>

#include "config.h"
#include "store.h"

int policy_sender(const config_t *cf, const char *client_addr,
    const char *auth_user, const char *sender, char *why, size_t len);
int policy_rate(const config_t *cf, store_t *st, const char *sender,
    unsigned pending, long now, char *why, size_t len);

#endif
