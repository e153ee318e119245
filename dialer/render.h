/*
 * NAME
 *	render - turn a message's documents into one fax TIFF
 *
 * SYNOPSIS
 *	#include "render.h"
 *
 *	void	render_opts_default(render_opts_t *o);
 *
 *	int	render_documents(const render_doc_t *docs, size_t n,
 *			const render_opts_t *o, const char *out_path,
 *			unsigned *pages, char *err, size_t errlen);
 *
 *	void	render_stop(void);
 *
 * DESCRIPTION
 *	render_documents() renders the n documents in docs, in order, and
 *	an optional cover page in front of them, into ONE multi-page TIFF
 *	at out_path that SpanDSP's t30_set_tx_file() can send as it is:
 *	every page 1728 pixels wide, 1 bit (min-is-white), 204x196 dpi
 *	(o->fine) or 204x98 dpi, CCITT T.6 (G4), one strip per page,
 *	FillOrder 1, ResolutionUnit inch, NewSubFileType page, PageNumber
 *	n/total (n counting from 0, as TIFF 6.0 says). The file is written
 *	under a temporary name beside out_path, synced and renamed, so
 *	out_path is either absent or complete.
 *
 *	Pages keep their physical size: an A4 page is 2292 rows at fine
 *	resolution (1146 at standard), Letter 2149. A page wider than the
 *	fax line (215 mm) is scaled down to fit it; a narrower one is
 *	centred and never enlarged. A PDF or PostScript page in landscape
 *	that is too wide is turned a quarter counter-clockwise instead.
 *	A page longer than twice A4 is cut into equal pages no longer
 *	than A4. The whole result is limited to RENDER_MAX_PAGES pages.
 *
 *	Document kinds:
 *
 *	RENDER_PDF	rendered by Ghostscript (o->gs_path) with a small
 *			PostScript driver that sizes each page as above.
 *	RENDER_PS	converted to PDF by Ghostscript's pdfwrite device,
 *			then rendered as a PDF (page sizes are only known
 *			per page after that conversion).
 *	RENDER_TIFF	read with libtiff, any page of any common TIFF
 *			(bilevel G3/G4/uncompressed, grayscale, palette,
 *			RGB, JPEG); scaled by box filter using the source's
 *			resolution, thresholded at 50%. A 1728-wide page at
 *			the target resolution passes through bit for bit.
 *			Refused before decoding: more than 200 pages, a
 *			page wider than 10000 or higher than 20000 pixels.
 *	RENDER_TEXT	UTF-8 plain text typeset in Courier-Bold 10 pt, 80
 *			columns, 60 lines a page, words wrapped, tabs every
 *			8 columns, form feed starts a page; characters
 *			outside Latin-1 print as '?' (common punctuation
 *			such as curly quotes and dashes is mapped to ASCII).
 *			An empty text gives no page. At most 4 MiB.
 *
 *	With o->cover, a cover page with the From, To, Subject and Date
 *	strings (any may be NULL) and the count of document pages comes
 *	first; it is rendered after the documents so the count is known.
 *
 *	Every Ghostscript run is a child process (fork and execvpe, no
 *	shell) in its own process group, with -dSAFER, working in a
 *	private directory under o->tmpdir with TMPDIR pointing there,
 *	stdin from /dev/null, and the limits RLIMIT_AS o->mem_limit,
 *	RLIMIT_CPU o->cpu_limit, RLIMIT_FSIZE o->file_limit, RLIMIT_CORE
 *	0; it dies with its parent (PR_SET_PDEATHSIG). The parent kills
 *	the process group when o->time_limit seconds of wall-clock time
 *	have passed. Its stdout and stderr (the first 8 KiB) explain a
 *	failure. The private directory is removed on return whatever
 *	happens.
 *
 *	render_opts_default() fills o with the defaults: fine, no cover,
 *	"gs", 120 s wall clock, 60 s CPU, 1 GiB address space, 256 MiB
 *	per file written, $TMPDIR or /tmp. A zero time_limit, mem_limit,
 *	cpu_limit or file_limit and a NULL gs_path or tmpdir also mean
 *	the default; o itself may be NULL for all defaults.
 *
 *	render_stop() may be called from a signal handler: the running
 *	Ghostscript is killed and render_documents() cleans up and returns
 *	RENDER_ETEMP ("interrupted"), as does every later call (the
 *	process is meant to exit).
 *
 * RETURN VALUE
 *	0 on success, and *pages (when pages is not NULL) is the number of
 *	pages written, cover included. RENDER_EBAD when a document cannot
 *	be rendered (permanent: sending it again fails again), and
 *	RENDER_ETEMP on local trouble (Ghostscript missing, fork failure,
 *	disk full, a file that cannot be read): try again later.
 *
 * DIAGNOSTICS
 *	Nothing is printed. On failure err (always NUL-terminated when
 *	errlen > 0) holds one line naming the document (1-based, with its
 *	name when it has one) and the reason, for example:
 *
 *	    document 2 (contract.pdf): PDF is encrypted (password required)
 *	    document 1 (x.pdf): PDF could not be rendered: <gs's first error>
 *	    document 1 (x.pdf): PDF has no pages
 *	    document 3 (loop.ps): rendering took longer than 120 s
 *	    document 3 (hog.ps): rendering needs more than 1024 MiB of memory
 *	    document 1 (scan.tif): TIFF page 2 is 30000 pixels wide (limit 10000)
 *	    ghostscript (gs) cannot be run: No such file or directory
 */
#ifndef FAXGATE_RENDER_H
#define FAXGATE_RENDER_H

#include <stddef.h>

#define RENDER_EBAD	1		/* the document cannot be rendered */
#define RENDER_ETEMP	2		/* local trouble: try again later */

#define RENDER_MAX_PAGES 500		/* pages in one result, cover included */

enum render_kind { RENDER_TIFF = 1, RENDER_PDF, RENDER_PS, RENDER_TEXT };

typedef struct render_doc {
	enum render_kind kind;
	const char *path;
	const char *name;		/* for messages, may be NULL */
} render_doc_t;

typedef struct render_cover {
	const char *from, *to, *subject, *date;	/* UTF-8, each may be NULL */
} render_cover_t;

typedef struct render_opts {
	int	fine;			/* 1: 204x196, 0: 204x98 */
	const render_cover_t *cover;	/* NULL: no cover page */
	const char *gs_path;		/* default "gs" */
	unsigned time_limit;		/* wall-clock seconds per gs run, default 120 */
	unsigned long mem_limit;	/* bytes of address space, default 1 GiB */
	const char *tmpdir;		/* default $TMPDIR or /tmp */
	unsigned cpu_limit;		/* CPU seconds per gs run, default 60 */
	unsigned long file_limit;	/* bytes per file gs writes, default 256 MiB */
} render_opts_t;

extern void render_opts_default(render_opts_t *o);
extern int render_documents(const render_doc_t *docs, size_t n,
			    const render_opts_t *o, const char *out_path,
			    unsigned *pages, char *err, size_t errlen);
extern void render_stop(void);

#endif
