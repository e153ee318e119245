/*
 * NAME
 *	tiffcheck - prove that a TIFF held in memory is sane and decodable
 *
 * SYNOPSIS
 *	#include "tiffcheck.h"
 *
 *	void	tiffcheck_limits_default(tiffcheck_limits_t *lim);
 *
 *	int	tiffcheck_mem(const void *data, size_t len,
 *			const tiffcheck_limits_t *lim, tiffcheck_info_t *info,
 *			char *err, size_t errlen);
 *
 * DESCRIPTION
 *	tiffcheck_limits_default() fills lim with the default limits:
 *	4864 pixels wide (a B4 fax line at 400 dpi is 4864 pixels),
 *	10000 pixels high and 200 pages.
 *
 *	tiffcheck_mem() opens the len bytes at data with libtiff through
 *	TIFFClientOpenExt() on the memory itself (no temporary file, no
 *	memory mapping), counts the pages (image file directories) and
 *	refuses more than lim->max_pages. It then reads each directory and
 *	checks its width and height against the limits before a single
 *	pixel is decoded, so that a file of a few bytes claiming a huge
 *	image (a decompression bomb) is refused without allocating for
 *	it. Finally it decodes every strip or tile of every page with
 *	TIFFReadEncodedStrip()/TIFFReadEncodedTile() into one bounded
 *	buffer, so that a TIFF which passes can later be rendered.
 *
 *	Besides lim, fixed limits bound the work for any file: one
 *	decoded strip or tile at most 64 MiB, one page at most 256 MiB
 *	decoded, the whole file at most 1 GiB decoded and 2,000,000
 *	strips/tiles. A bilevel fax page is well under 1 MiB.
 *
 *	lim may be NULL for the defaults; a zero member of lim also means
 *	the default for that member. info may be NULL. On success info
 *	receives the page count and, of page 1, the width and height in
 *	pixels, the resolution in dots per inch (converted from pixels
 *	per centimetre when ResolutionUnit says so; 0 when the tag is
 *	absent or the unit is "none") and the libtiff COMPRESSION_* code.
 *
 *	libtiff's error and warning text never reaches stderr: handlers
 *	are installed per handle with TIFFOpenOptionsSetErrorHandlerExtR()
 *	(libtiff >= 4.5), so nothing process-global is changed and the
 *	call is safe to use from several threads at once.
 *
 * RETURN VALUE
 *	0 when the TIFF is within the limits and fully decodable, -1
 *	otherwise. On -1 err holds one line of ASCII text without CR or LF
 *	(at most 120 characters, always NUL-terminated when errlen > 0),
 *	fit for an SMTP reply, for example:
 *
 *	    TIFF has 300 pages (limit 200)
 *	    TIFF page 2 is 90000 pixels wide (limit 4864)
 *	    TIFF page 1 is 20000 pixels high (limit 10000)
 *	    TIFF page 1 decodes to 371 MB (limit 256 MB)
 *	    TIFF is not decodable: page 1: <libtiff's first error text>
 *	    TIFF is not decodable: <text>     (before any page is read)
 *
 *	Text coming from libtiff is reduced to printable ASCII ('%'
 *	included, which libmilter's smfi_setreply() would choke on,
 *	becomes '?') and truncated.
 *
 * MEMORY
 *	The caller owns data, lim, info and err; nothing is retained
 *	after the call returns.
 *
 * DIAGNOSTICS
 *	None are printed; every problem is reported through err.
 */
#ifndef FAXGATE_TIFFCHECK_H
#define FAXGATE_TIFFCHECK_H

#include <stddef.h>

typedef struct tiffcheck_limits {
	unsigned max_width;		/* pixels, default 4864 */
	unsigned max_height;		/* pixels, default 10000 */
	unsigned max_pages;		/* default 200 */
} tiffcheck_limits_t;

typedef struct tiffcheck_info {
	unsigned pages;			/* number of pages */
	unsigned width, height;		/* of page 1, in pixels */
	double	xres, yres;		/* of page 1, dots per inch, 0 = unknown */
	int	compression;		/* of page 1, COMPRESSION_* */
} tiffcheck_info_t;

#define TIFFCHECK_DEF_MAX_WIDTH		4864
#define TIFFCHECK_DEF_MAX_HEIGHT	10000
#define TIFFCHECK_DEF_MAX_PAGES		200

extern void tiffcheck_limits_default(tiffcheck_limits_t *lim);
extern int tiffcheck_mem(const void *data, size_t len,
			 const tiffcheck_limits_t *lim,
			 tiffcheck_info_t *info, char *err, size_t errlen);

#endif
