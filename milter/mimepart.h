/*
 * NAME
 *	mimepart - the content of one MIME leaf part, decoded and checked
 *
 * SYNOPSIS
 *	#include "mimepart.h"
 *
 *	unsigned char *mimepart_decode(GMimePart *part, size_t *len);
 *	const char *mimepart_base64_problem(GMimePart *part);
 *
 * DESCRIPTION
 *	mimepart_decode() returns the content of part with its
 *	Content-Transfer-Encoding removed, in a malloc()ed buffer of *len
 *	bytes followed by a NUL byte (so text is a C string too); a part
 *	without content gives an empty buffer.
 *
 *	mimepart_base64_problem() checks the raw text of a part whose
 *	Content-Transfer-Encoding is base64, which GMime would decode
 *	leniently: it skips characters it does not understand and drops a
 *	trailing partial quantum. Whitespace and line ends are allowed
 *	anywhere. Other encodings are not checked.
 *
 * RETURN VALUE
 *	mimepart_decode() returns NULL (and *len 0) when out of memory.
 *	mimepart_base64_problem() returns NULL when the part is sound,
 *	else one of the static strings "base64 data has an invalid
 *	character" (also for more than two '='), "base64 data continues
 *	after its padding" or "base64 data is truncated" (the characters
 *	do not make whole 4-character groups, or a group would have one
 *	character of data only).
 *
 * MEMORY
 *	part stays owned by its message; both calls rewind its raw stream.
 */
#ifndef FAXGATE_MIMEPART_H
#define FAXGATE_MIMEPART_H

#include <stddef.h>

#include <gmime/gmime.h>

extern unsigned char *mimepart_decode(GMimePart *part, size_t *len);
extern const char *mimepart_base64_problem(GMimePart *part);

#endif
