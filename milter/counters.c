/* counters.c - the milter's decisions for /metrics; see counters.h. */
#include <stdatomic.h>
#include <string.h>

#include "counters.h"

static atomic_long counts[C_NCOUNTERS];

/* What each counter is called: its family, result and reason ("" none). */
static const struct {
	const char *family, *result, *reason;
} names[C_NCOUNTERS] = {
	[C_RCPT_ACCEPTED] = { "faxgate_recipients_total", "accepted", "" },
	[C_RCPT_ADDRESS] = { "faxgate_recipients_total", "rejected", "bad_address" },
	[C_RCPT_TOO_MANY] = { "faxgate_recipients_total", "tempfail", "too_many_recipients" },
	[C_RCPT_SENDER] = { "faxgate_recipients_total", "rejected", "sender_policy" },
	[C_RCPT_DIALPLAN] = { "faxgate_recipients_total", "rejected", "dialplan" },
	[C_RCPT_RATE] = { "faxgate_recipients_total", "tempfail", "rate_limit" },
	[C_RCPT_STORE] = { "faxgate_recipients_total", "tempfail", "store" },
	[C_MSG_ACCEPTED] = { "faxgate_messages_total", "accepted", "" },
	[C_MSG_DUPLICATE] = { "faxgate_messages_total", "duplicate", "" },
	[C_MSG_SIZE] = { "faxgate_messages_total", "rejected", "size" },
	[C_MSG_NOFAX] = { "faxgate_messages_total", "rejected", "no_fax_content" },
	[C_MSG_CONTENT] = { "faxgate_messages_total", "rejected", "content" },
	[C_MSG_UNREADABLE] = { "faxgate_messages_total", "tempfail", "unreadable" },
	[C_MSG_STORE] = { "faxgate_messages_total", "tempfail", "store" },
	[C_MSG_ENVELOPE] = { "faxgate_messages_total", "tempfail", "envelope" },
};

/* counters_add - count one decision */
void counters_add(counter_t c)
{
	if (c < C_NCOUNTERS)
		atomic_fetch_add_explicit(&counts[c], 1, memory_order_relaxed);
}

/* counters_get - one counter's value */
long counters_get(counter_t c)
{
	return c < C_NCOUNTERS ? atomic_load_explicit(&counts[c], memory_order_relaxed) : 0;
}

/* family - one family's HELP, TYPE and samples */
static void family(metrics_buf_t *b, const char *name, const char *help)
{
	metrics_family(b, name, "counter", help);
	for (int i = 0; i < C_NCOUNTERS; i++) {
		if (strcmp(names[i].family, name) != 0)
			continue;
		if (*names[i].reason)
			metrics_sample(b, name, counters_get((counter_t)i), "result", names[i].result,
			    "reason", names[i].reason, NULL);
		else
			metrics_sample(b, name, counters_get((counter_t)i), "result", names[i].result,
			    NULL);
	}
}

/* counters_fill - the milter's /metrics; always 0 */
int counters_fill(metrics_buf_t *b, void *arg)
{
	(void)arg;
	family(b, "faxgate_recipients_total",
	    "Fax recipients (RCPT TO) since the milter started, by result and reason.");
	family(b, "faxgate_messages_total",
	    "Messages with fax recipients since the milter started, by result and reason.");
	return 0;
}
