/*
 * NAME
 *	intake - find the faxable parts of a raw RFC 5322 message
 *
 * SYNOPSIS
 *	#include "intake.h"
 *
 *	void	intake_init(void);
 *	void	intake_limits_default(intake_limits_t *lim);
 *	int	intake_parse(const char *raw, size_t len,
 *			const intake_limits_t *lim, intake_t *out,
 *			char *err, size_t errlen);
 *	void	intake_free(intake_t *in);
 *
 * DESCRIPTION
 *	intake_init() initialises GMime. It must run before the second
 *	thread starts, because g_mime_init() is not thread-safe; it is
 *	idempotent (pthread_once), and intake_parse() calls it too, so a
 *	single-threaded program may skip it.
 *
 *	intake_limits_default() fills lim with max_depth 20, max_parts
 *	100, max_docs 20 and the tiffcheck defaults (tiffcheck.h).
 *
 *	intake_parse() parses the len bytes at raw (header and body, LF or
 *	CRLF line ends) with GMime and fills out with the documents to
 *	fax, in order of appearance, and a few header fields. lim may be
 *	NULL for the defaults; a zero member means its default. The work
 *	is done in two passes, so the reply does not depend on which
 *	problem comes first in the message: a structural pass (limits,
 *	broken multiparts) and then an extraction pass. max_depth is
 *	capped at 500, so that GMime's own nesting limit (1024 of its
 *	levels, two per message/rfc822) is never what stops the walk.
 *
 *	Header fields (each NULL when absent or unusable):
 *	message_id	the Message-ID without "<>", kept only when it is
 *			printable ASCII (0x21-0x7e) of at most 998 bytes.
 *	subject		the Subject, RFC 2047 decoded and unfolded, valid
 *			UTF-8; raw 8-bit bytes are taken as UTF-8, else
 *			windows-1252, else ISO-8859-1; control characters
 *			become spaces.
 *	mdn_to		the Disposition-Notification-To value (an MDN was
 *			requested), unfolded, control characters as spaces,
 *			at most 998 bytes.
 *	from		the addr-spec of the first mailbox of From: (the
 *			first member when it is a group); NULL when it
 *			has whitespace, controls or invalid UTF-8.
 *
 *	What is faxable, for each leaf part:
 *	image/tiff, image/tiff-fx
 *		INTAKE_TIFF; must pass tiffcheck_mem() with lim->tiff.
 *	application/pdf
 *		INTAKE_PDF; "%PDF-" must occur in the first 1024 bytes.
 *	application/postscript
 *		INTAKE_PS; must start with "%!".
 *	application/octet-stream, application/x-pdf, image/x-tiff,
 *	application/x-postscript, and an attachment without Content-Type
 *		sniffed: "II*\0" or "MM\0*" at the start is a TIFF, "%PDF-"
 *		in the first 1024 bytes a PDF, "%!" at the start PostScript;
 *		anything else is ignored. An invalid Content-Type counts as
 *		application/octet-stream (GMime's rule).
 *	text/plain with Content-Disposition: attachment
 *		INTAKE_TEXT document.
 *	text/plain otherwise (also a part without Content-Type, which
 *	RFC 2045 makes text/plain), i.e. the body text
 *		INTAKE_TEXT, but only when the message has no other
 *		faxable document; then every such body text is one.
 *		The body text of an attached message/rfc822 is body
 *		text too.
 *	multipart/alternative
 *		only the first text/plain child is used; without one,
 *		the first child that yields a document.
 *	message/rfc822, message/global, message/news
 *		descended into.
 *	everything else (text/html, images other than TIFF, archives,
 *	signatures, message/partial, ...)
 *		ignored.
 *	Text that is empty or whitespace only (Unicode spaces, BOM and
 *	zero-width space included) is never a document.
 *
 *	Document data is the decoded content (Content-Transfer-Encoding
 *	removed). Text is converted to UTF-8 from its charset parameter
 *	(none or unknown: UTF-8 if valid, else windows-1252, else
 *	ISO-8859-1); bytes invalid in the declared charset become U+FFFD;
 *	CRLF becomes LF and NUL bytes are dropped, so text is a C string.
 *	data always has a NUL byte after len bytes, text or not.
 *	content_type is the declared type/subtype in lower case, without
 *	parameters: "text/plain" for body text without Content-Type,
 *	"application/octet-stream" for a sniffed attachment without one.
 *	filename is the Content-Disposition filename, else the
 *	Content-Type name (RFC 2231 and 2047 decoded), with directories
 *	and leading dots and blanks removed, control characters and invalid
 *	UTF-8 replaced by '_', at most 200 bytes; NULL when none is left.
 *
 * RETURN VALUE
 *	INTAKE_OK (0): out->ndocs >= 1 and <= max_docs.
 *	INTAKE_MALFORMED, checked first over the whole message:
 *	  "message has more than 100 MIME parts (limit 100)" (every
 *	  multipart, leaf and message/rfc822 counts);
 *	  "MIME nesting is deeper than 20 levels (limit 20)" (the body is
 *	  level 1, each multipart child and message/rfc822 body one more);
 *	  "multipart/mixed (part 3) has no boundary parameter";
 *	  "multipart/mixed (part 3) has no body parts: its boundary never
 *	  appears" (GMime quietly makes such a multipart with zero children;
 *	  a missing END boundary, on the other hand, is tolerated, as GMime
 *	  does, and the last part runs to the end of the message);
 *	  "message could not be parsed" (GMime gave up);
 *	  "message has more than 20 faxable documents (limit 20)" (found
 *	  during the second pass).
 *	  Part numbers here count the entities in depth-first order, the
 *	  top-level body being part 1.
 *	INTAKE_BADDOC: the first faxable part that is broken, named as
 *	  "attachment 'scan.tif' (part 2): ..." or "part 2 (application/pdf):
 *	  ..." or "body text (part 1): ...", where the number counts
 *	  only leaf parts, in order of appearance, from 1; then one of
 *	  "TIFF ..." (the tiffcheck reason), "not a PDF: no PDF header in
 *	  its first 1024 bytes", "not PostScript: it does not begin with a
 *	  PostScript header", "base64 data is truncated", "base64 data has
 *	  an invalid character" or "base64 data continues after its
 *	  padding". The base64 checks come first; the text is the raw
 *	  encoded content, which GMime would otherwise decode leniently.
 *	INTAKE_NOFAX: "no faxable content: send a PDF, PostScript, TIFF or
 *	  plain-text body", followed by " (ignored: text/html, image/png)"
 *	  naming up to three ignored types (as many as fit in 120
 *	  characters) when there were some, else by " (the text is blank)"
 *	  when the only text was blank.
 *	INTAKE_ERROR: out of memory; err says so. Not the sender's fault:
 *	  map it to a temporary failure.
 *	On every return other than INTAKE_OK, out has no documents (docs
 *	NULL, ndocs 0), but message_id, subject and from are filled when
 *	the header could be parsed, for logging. Call intake_free() after
 *	every intake_parse(), whatever it returned.
 *
 *	err (errlen > 0) always receives a NUL-terminated line, empty on
 *	INTAKE_OK, otherwise at most 120 characters of printable ASCII
 *	with no CR, LF or '%' (libmilter's smfi_setreply() drops a text
 *	with a single '%'): fit to be sent verbatim in an SMTP reply.
 *	Names taken from the message (filenames, MIME types) are reduced
 *	to printable ASCII (other characters and '%' become '?') and
 *	truncated to 40 characters.
 *
 * MEMORY
 *	The caller owns raw, lim, out and err. Every pointer in *out is
 *	malloc()ed and owned by out until intake_free(), which frees
 *	them all and zeroes *out; a caller may take a pointer (and then
 *	NULL it in *out) and release it later with free().
 *
 * THREADS
 *	intake_parse() may run in several threads at once on different
 *	messages, once intake_init() has returned.
 *
 * DIAGNOSTICS
 *	None are printed: GMime's parser warnings are collected by a
 *	callback and libtiff's by per-handle handlers (see tiffcheck.h).
 */
#ifndef FAXGATE_INTAKE_H
#define FAXGATE_INTAKE_H

#include <stddef.h>

#include "tiffcheck.h"

#define INTAKE_OK		0
#define INTAKE_NOFAX		1	/* nothing faxable in the message */
#define INTAKE_BADDOC		2	/* a faxable part is broken */
#define INTAKE_MALFORMED	3	/* MIME beyond limits or unparsable */
#define INTAKE_ERROR		4	/* local trouble, e.g. out of memory */

enum intake_doc_type {
	INTAKE_TIFF = 1,
	INTAKE_PDF,
	INTAKE_PS,
	INTAKE_TEXT,
};

typedef struct intake_doc {
	enum intake_doc_type type;
	char   *content_type;		/* declared, lower-case, no parameters */
	char   *filename;		/* sanitised UTF-8, may be NULL */
	unsigned char *data;		/* decoded content; text is UTF-8 */
	size_t	len;			/* bytes at data (a NUL follows) */
	unsigned pages;			/* TIFF only (from tiffcheck), else 0 */
} intake_doc_t;

typedef struct intake {
	intake_doc_t *docs;
	size_t	ndocs;
	char   *message_id;		/* without <>, NULL if absent */
	char   *subject;		/* decoded to UTF-8, NULL if absent */
	char   *from;			/* addr-spec of From:, NULL if absent */
	char   *mdn_to;			/* Disposition-Notification-To, NULL if absent */
} intake_t;

typedef struct intake_limits {
	unsigned max_depth;		/* MIME nesting levels, default 20 */
	unsigned max_parts;		/* MIME entities, default 100 */
	unsigned max_docs;		/* documents to fax, default 20 */
	tiffcheck_limits_t tiff;	/* per TIFF document */
} intake_limits_t;

#define INTAKE_DEF_MAX_DEPTH	20
#define INTAKE_DEF_MAX_PARTS	100
#define INTAKE_DEF_MAX_DOCS	20

extern void intake_init(void);
extern void intake_limits_default(intake_limits_t *lim);
extern int intake_parse(const char *raw, size_t len,
			const intake_limits_t *lim, intake_t *out,
			char *err, size_t errlen);
extern void intake_free(intake_t *in);

#endif
