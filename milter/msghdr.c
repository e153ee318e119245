/*
 * msghdr - the header fields intake keeps of a message.
 *
 * See msghdr.h for the interface. Each field ends up in a log line, a
 * store row, a cover page or a notice, so each is kept only in a form
 * that is safe there: an odd Message-ID is dropped rather than
 * repaired (it is a key for deduplication), text has its controls
 * blanked, and a From address with anything odd in it is not used.
 */
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "intake.h"
#include "msghdr.h"
#include "textconv.h"

#define MH_LINE_MAX		998	/* RFC 5322 line length */

/* mh_printable_id - is s a usable Message-ID, returns 1 or 0 */
static int mh_printable_id(const char *s)
{
	size_t	n;

	for (n = 0; s[n]; n++)
		if ((unsigned char) s[n] < 0x21 || (unsigned char) s[n] > 0x7e
		    || s[n] == '<' || s[n] == '>')
			return 0;
	return n > 0 && n <= MH_LINE_MAX;
}

/* mh_first_mailbox - addr-spec of the first mailbox in list, or NULL */
static const char *mh_first_mailbox(InternetAddressList *list, int depth)
{
	int	i, n = list ? internet_address_list_length(list) : 0;

	for (i = 0; i < n; i++) {
		InternetAddress *a = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
			const char *addr = internet_address_mailbox_get_addr(
					       INTERNET_ADDRESS_MAILBOX(a));

			if (addr && *addr)
				return addr;
		} else if (INTERNET_ADDRESS_IS_GROUP(a) && depth < 2) {
			const char *addr = mh_first_mailbox(
			    internet_address_group_get_members(
				INTERNET_ADDRESS_GROUP(a)), depth + 1);

			if (addr)
				return addr;
		}
	}
	return NULL;
}

/* msghdr_fill - fill the header fields of out from msg, returns 0 or -1 */
int	msghdr_fill(GMimeMessage *msg, intake_t *out)
{
	const char *mid = g_mime_message_get_message_id(msg);
	const char *subj = g_mime_message_get_subject(msg);
	const char *from = mh_first_mailbox(g_mime_message_get_from(msg), 0);

	if (mid && mh_printable_id(mid)
	    && (out->message_id = strdup(mid)) == NULL)
		return -1;
	if (subj) {
		size_t	len = strlen(subj), i;

		if ((out->subject = (char *) textconv_valid_utf8(
			 (const unsigned char *) subj, len, &len)) == NULL)
			return -1;
		/* A subject may end up on a cover page or in a log line. */
		for (i = 0; i < len; i++)
			if ((unsigned char) out->subject[i] < 0x20
			    || out->subject[i] == 0x7f)
				out->subject[i] = ' ';
	}
	const char *dnt = g_mime_object_get_header((GMimeObject *) msg,
	    "Disposition-Notification-To");
	if (dnt && strlen(dnt) <= MH_LINE_MAX) {
		if ((out->mdn_to = strdup(dnt)) == NULL)
			return -1;
		for (char *q = out->mdn_to; *q; q++)
			if ((unsigned char) *q < 0x20 || *q == 0x7f)
				*q = ' ';
	}
	if (from) {
		const char *p;

		for (p = from; *p; p++)
			if ((unsigned char) *p <= 0x20 || *p == 0x7f)
				break;
		if (*p == 0 && g_utf8_validate(from, -1, NULL)
		    && (out->from = strdup(from)) == NULL)
			return -1;
	}
	return 0;
}
