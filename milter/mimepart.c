/*
 * mimepart - the content of one MIME leaf part, decoded and checked.
 *
 * See mimepart.h for the interface. GMime decodes a transfer encoding
 * leniently, which is right for reading mail and wrong for faxing it:
 * a damaged attachment would be sent as a quietly different document.
 * So the raw encoded text is checked here, before anything is decoded.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <gmime/gmime.h>

#include "mimepart.h"

/* mimepart_decode - malloc()ed decoded content of part plus a NUL, NULL on ENOMEM */
unsigned char *mimepart_decode(GMimePart *part, size_t *len)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *ms;
	GByteArray *ba;
	unsigned char *data;

	*len = 0;
	if (w == NULL)
		return calloc(1, 1);
	ms = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, ms);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(ms));
	if ((data = malloc(ba->len + 1)) != NULL) {
		if (ba->len)
			memcpy(data, ba->data, ba->len);
		data[ba->len] = 0;
		*len = ba->len;
	}
	g_object_unref(ms);
	return data;
}

/*
 * mimepart_base64_problem - check the raw base64 text of part, returns NULL
 * when it is sound, else why not. GMime's decoder skips what it does
 * not understand and drops a trailing partial quantum, which would
 * turn a damaged attachment into a quietly shorter one.
 */
const char *mimepart_base64_problem(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	GMimeStream *raw;
	char	buf[4096];
	ssize_t	n, i;
	size_t	nchars = 0, npad = 0;

	if (w == NULL
	    || g_mime_data_wrapper_get_encoding(w) != GMIME_CONTENT_ENCODING_BASE64
	    || (raw = g_mime_data_wrapper_get_stream(w)) == NULL)
		return NULL;
	g_mime_stream_reset(raw);
	while ((n = g_mime_stream_read(raw, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			unsigned char ch = (unsigned char) buf[i];

			if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
				continue;
			if (ch == '=') {
				if (++npad > 2)
					return "base64 data has an invalid character";
				continue;
			}
			if (!(g_ascii_isalnum(ch) || ch == '+' || ch == '/'))
				return "base64 data has an invalid character";
			if (npad)
				return "base64 data continues after its padding";
			nchars++;
		}
	}
	g_mime_stream_reset(raw);
	if ((nchars + npad) % 4 != 0 || (npad && nchars % 4 == 1))
		return "base64 data is truncated";
	return NULL;
}
