/* policy.c - sender policy and rate limit; see policy.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

/* policy_sender - may this client/user/sender send faxes? 0 or -1 */
int policy_sender(const config_t *cf, const char *client_addr,
    const char *auth_user, const char *sender, char *why, size_t len)
{
	int authed = auth_user && *auth_user;

	if (!cidr_list_match(&cf->networks, client_addr) &&
	    !(authed && cf->allow_authenticated)) {
		snprintf(why, len, "client %s is not in the fax networks and %s",
		    client_addr && *client_addr ? client_addr : "(unknown)",
		    cf->allow_authenticated ? "did not authenticate" :
		    "authenticated senders are not allowed");
		return -1;
	}
	if (cf->sender_domains && cf->sender_domains[0]) {
		const char *at = sender ? strrchr(sender, '@') : NULL;
		for (char **d = cf->sender_domains; at && *d; d++)
			if (strcasecmp(at + 1, *d) == 0)
				return 0;
		snprintf(why, len, "sender domain of <%.100s> may not send faxes",
		    sender ? sender : "");
		return -1;
	}
	return 0;
}

/* policy_rate - within the hourly limit? 0, 1 (over) or -1 (store error) */
int policy_rate(const config_t *cf, store_t *st, const char *sender,
    unsigned pending, long now, char *why, size_t len)
{
	long count = 0;

	if (cf->rate_per_hour == 0)
		return 0;
	if (store_sender_count(st, sender ? sender : "", now - 3600, &count, why, len) < 0)
		return -1;
	if (count + (long)pending >= (long)cf->rate_per_hour) {
		snprintf(why, len, "fax rate limit of %u recipients per hour reached for this sender, try later",
		    cf->rate_per_hour);
		return 1;
	}
	return 0;
}
