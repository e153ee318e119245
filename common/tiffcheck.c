/*
 * tiffcheck - prove that a TIFF held in memory is sane and decodable.
 *
 * See tiffcheck.h for the interface. The order of the checks matters:
 * everything that can be learned from the directories (page count,
 * dimensions, the size of the decode) is checked before the first
 * strip is decoded, so hostile input costs little.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

#include "tiffcheck.h"

/*
 * Fixed bounds on the work one file may cause, whatever the limits
 * say. They are far above any real fax (a 1728x2292 bilevel page
 * decodes to 495 KB) and low enough that a compressed bomb cannot
 * tie up a milter thread for long.
 */
#define TC_MAX_CHUNK_BYTES	(64u << 20)	/* one strip or tile */
#define TC_MAX_PAGE_BYTES	(256ull << 20)	/* one page decoded */
#define TC_MAX_FILE_BYTES	(1ull << 30)	/* all pages decoded */
#define TC_MAX_FILE_CHUNKS	2000000ull	/* strips/tiles in all */
#define TC_MAX_LIBTIFF_ALLOC	(128 << 20)	/* any one libtiff malloc */

#define TC_ERR_MAX		120	/* an SMTP reply line must stay short */
#define TC_LIBTIFF_TEXT_MAX	80	/* room left for our own prefix */

/* The memory "file" that the libtiff client procedures read. */
struct tc_mem {
	const unsigned char *data;
	uint64_t size;
	uint64_t pos;
};

/* Per-call state reached from libtiff's per-handle error handler. */
struct tc_diag {
	char	text[256];		/* first error since the last reset */
	char	warning[256];		/* first warning, when there is no error */
	int	nerrors;
};

/* tc_mem_read - read procedure over memory, returns bytes read */
static tmsize_t tc_mem_read(thandle_t h, void *buf, tmsize_t n)
{
	struct tc_mem *m = (struct tc_mem *) h;
	uint64_t avail;

	if (n <= 0 || m->pos >= m->size)
		return 0;
	avail = m->size - m->pos;
	if ((uint64_t) n > avail)
		n = (tmsize_t) avail;
	memcpy(buf, m->data + m->pos, (size_t) n);
	m->pos += (uint64_t) n;
	return n;
}

/* tc_mem_write - the buffer is read-only, returns -1 */
static tmsize_t tc_mem_write(thandle_t h, void *buf, tmsize_t n)
{
	return -1;
}

/* tc_mem_seek - seek procedure over memory, returns the new offset or -1 */
static toff_t tc_mem_seek(thandle_t h, toff_t off, int whence)
{
	struct tc_mem *m = (struct tc_mem *) h;
	uint64_t base;
	int64_t delta;

	switch (whence) {
	case SEEK_SET:
		m->pos = off;
		return m->pos;
	case SEEK_CUR:
		base = m->pos;
		break;
	case SEEK_END:
		base = m->size;
		break;
	default:
		errno = EINVAL;
		return (toff_t) -1;
	}
	/* libtiff passes a negative relative offset as a wrapped toff_t. */
	delta = (int64_t) off;
	if (delta < 0) {
		uint64_t back = (uint64_t) 0 - (uint64_t) delta;

		if (back > base) {
			errno = EINVAL;
			return (toff_t) -1;
		}
		m->pos = base - back;
	} else {
		if ((uint64_t) delta > UINT64_MAX - base) {
			errno = EINVAL;
			return (toff_t) -1;
		}
		m->pos = base + (uint64_t) delta;
	}
	return m->pos;
}

/* tc_mem_close - nothing to release, returns 0 */
static int tc_mem_close(thandle_t h)
{
	return 0;
}

/* tc_mem_size - returns the length of the buffer */
static toff_t tc_mem_size(thandle_t h)
{
	return ((struct tc_mem *) h)->size;
}

/* tc_mem_map - refuses mapping so libtiff copies, returns 0 */
static int tc_mem_map(thandle_t h, void **base, toff_t *size)
{
	return 0;
}

/* tc_mem_unmap - nothing was mapped */
static void tc_mem_unmap(thandle_t h, void *base, toff_t size)
{
}

/* tc_on_error - keeps libtiff's first error text, returns 1 to stop it */
static int tc_on_error(TIFF *tif, void *user_data, const char *module,
		       const char *fmt, va_list ap)
{
	struct tc_diag *d = user_data;

	if (d->nerrors++ == 0)
		vsnprintf(d->text, sizeof(d->text), fmt, ap);
	/* Non-zero keeps libtiff from also calling the global handler. */
	return 1;
}

/*
 * tc_on_warning - keeps the first warning, returns 1 to stop libtiff
 * printing it. Some codecs (G3 among them) warn about the very data
 * that makes them give up, so the warning explains a failure that
 * comes without an error.
 */
static int tc_on_warning(TIFF *tif, void *user_data, const char *module,
			 const char *fmt, va_list ap)
{
	struct tc_diag *d = user_data;

	if (d->warning[0] == 0)
		vsnprintf(d->warning, sizeof(d->warning), fmt, ap);
	return 1;
}

/* tc_diag_reset - forget earlier errors before a new operation */
static void tc_diag_reset(struct tc_diag *d)
{
	d->text[0] = 0;
	d->warning[0] = 0;
	d->nerrors = 0;
}

/*
 * tc_clean - copy src as printable ASCII of at most max bytes into dst
 * (dstlen > max), replacing anything else by '?', returns dst
 */
static char *tc_clean(char *dst, size_t dstlen, const char *src, size_t max)
{
	size_t i, n = 0;

	if (dstlen == 0)
		return dst;
	if (max >= dstlen)
		max = dstlen - 1;
	for (i = 0; src[i] && n < max; i++) {
		unsigned char c = (unsigned char) src[i];

		/* '%' too: libmilter's smfi_setreply() drops a text with one. */
		dst[n++] = (c >= 0x20 && c < 0x7f && c != '%') ? (char) c : '?';
	}
	if (src[i] && max >= 3) {
		n = max - 3;
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	/* A libtiff message may end in a period; the reply reads better without. */
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '.') && !src[i])
		n--;
	dst[n] = 0;
	return dst;
}

/* tc_fail - format the reason into err, returns -1 */
__attribute__((format(printf, 3, 4)))
static int tc_fail(char *err, size_t errlen, const char *fmt, ...)
{
	char	buf[512];
	va_list	ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tc_clean(err, errlen, buf, TC_ERR_MAX);
	return -1;
}

/* tc_undecodable - report libtiff's text for a failed step, returns -1 */
static int tc_undecodable(char *err, size_t errlen, unsigned page,
			  const struct tc_diag *d, const char *fallback)
{
	char	why[TC_LIBTIFF_TEXT_MAX + 1];
	const char *text = d->text[0] ? d->text :
	    d->warning[0] ? d->warning : fallback;

	/* libtiff prefixes some texts with the handle name, which says nothing. */
	if (strncmp(text, "TIFF: ", 6) == 0)
		text += 6;
	tc_clean(why, sizeof(why), text, TC_LIBTIFF_TEXT_MAX);
	if (page == 0)
		return tc_fail(err, errlen, "TIFF is not decodable: %s", why);
	return tc_fail(err, errlen, "TIFF is not decodable: page %u: %s",
		       page, why);
}

/* tiffcheck_limits_default - fill lim with the default limits */
void tiffcheck_limits_default(tiffcheck_limits_t *lim)
{
	lim->max_width = TIFFCHECK_DEF_MAX_WIDTH;
	lim->max_height = TIFFCHECK_DEF_MAX_HEIGHT;
	lim->max_pages = TIFFCHECK_DEF_MAX_PAGES;
}

/* tc_resolution - one resolution of the current page in dpi, 0 if unknown */
static double tc_resolution(TIFF *tif, ttag_t tag)
{
	float	res = 0;
	uint16_t unit = RESUNIT_INCH;

	if (!TIFFGetField(tif, tag, &res) || !(res > 0))
		return 0;
	TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
	if (unit == RESUNIT_CENTIMETER)
		return res * 2.54;
	if (unit == RESUNIT_NONE)
		return 0;
	return res;
}

/*
 * tc_check_page - check and decode the current directory (page number
 * page), returns 0 or -1 with err set
 */
static int tc_check_page(TIFF *tif, unsigned page,
			 const tiffcheck_limits_t *lim, struct tc_diag *diag,
			 unsigned char **buf, uint64_t *bufsize,
			 uint64_t *file_bytes, uint64_t *file_chunks,
			 char *err, size_t errlen)
{
	uint32_t width = 0, height = 0;
	uint64_t chunk_size, nchunks, page_bytes, i;
	int	tiled;

	if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &width) || width == 0)
		return tc_fail(err, errlen, "TIFF page %u has no image width",
			       page);
	if (!TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &height) || height == 0)
		return tc_fail(err, errlen, "TIFF page %u has no image height",
			       page);
	if (width > lim->max_width)
		return tc_fail(err, errlen,
			       "TIFF page %u is %lu pixels wide (limit %u)",
			       page, (unsigned long) width, lim->max_width);
	if (height > lim->max_height)
		return tc_fail(err, errlen,
			       "TIFF page %u is %lu pixels high (limit %u)",
			       page, (unsigned long) height, lim->max_height);

	tiled = TIFFIsTiled(tif);
	tc_diag_reset(diag);
	if (tiled) {
		chunk_size = (uint64_t) TIFFTileSize64(tif);
		nchunks = TIFFNumberOfTiles(tif);
	} else {
		chunk_size = (uint64_t) TIFFStripSize64(tif);
		nchunks = TIFFNumberOfStrips(tif);
	}
	if (chunk_size == 0 || nchunks == 0)
		return tc_undecodable(err, errlen, page, diag,
				      tiled ? "invalid tile layout"
				      : "invalid strip layout");
	if (chunk_size > TC_MAX_CHUNK_BYTES)
		return tc_fail(err, errlen,
			       "TIFF page %u has %llu-byte %s (limit %u)",
			       page, (unsigned long long) chunk_size,
			       tiled ? "tiles" : "strips", TC_MAX_CHUNK_BYTES);
	/* chunk_size <= 2^26 and nchunks < 2^32: no overflow. */
	page_bytes = chunk_size * nchunks;
	if (page_bytes > TC_MAX_PAGE_BYTES)
		return tc_fail(err, errlen,
			       "TIFF page %u decodes to %llu MB (limit %llu MB)",
			       page, (unsigned long long) (page_bytes >> 20),
			       (unsigned long long) (TC_MAX_PAGE_BYTES >> 20));
	*file_bytes += page_bytes;
	*file_chunks += nchunks;
	if (*file_bytes > TC_MAX_FILE_BYTES)
		return tc_fail(err, errlen,
			       "TIFF decodes to more than %llu MB in all",
			       (unsigned long long) (TC_MAX_FILE_BYTES >> 20));
	if (*file_chunks > TC_MAX_FILE_CHUNKS)
		return tc_fail(err, errlen,
			       "TIFF has more than %llu strips or tiles in all",
			       (unsigned long long) TC_MAX_FILE_CHUNKS);

	if (chunk_size > *bufsize) {
		unsigned char *nbuf = realloc(*buf, (size_t) chunk_size);

		if (nbuf == NULL)
			return tc_fail(err, errlen,
				       "TIFF page %u: out of memory", page);
		*buf = nbuf;
		*bufsize = chunk_size;
	}

	for (i = 0; i < nchunks; i++) {
		tmsize_t got;

		tc_diag_reset(diag);
		if (tiled)
			got = TIFFReadEncodedTile(tif, (uint32_t) i, *buf,
						  (tmsize_t) chunk_size);
		else
			got = TIFFReadEncodedStrip(tif, (uint32_t) i, *buf,
						   (tmsize_t) chunk_size);
		/*
		 * Some decoders report corrupt data and still return a
		 * byte count; an error is an error for a fax we must
		 * render, so either sign fails the page.
		 */
		if (got < 0 || diag->nerrors > 0)
			return tc_undecodable(err, errlen, page, diag,
					      tiled ? "cannot decode tile"
					      : "cannot decode strip");
	}
	return 0;
}

/* tiffcheck_mem - check the TIFF in data, returns 0 ok, -1 bad (see .h) */
int	tiffcheck_mem(const void *data, size_t len,
		      const tiffcheck_limits_t *lim_in, tiffcheck_info_t *info,
		      char *err, size_t errlen)
{
	tiffcheck_limits_t lim;
	struct tc_mem mem;
	struct tc_diag diag;
	TIFFOpenOptions *opts;
	TIFF   *tif;
	unsigned char *buf = NULL;
	uint64_t bufsize = 0, file_bytes = 0, file_chunks = 0;
	tdir_t	ndirs;
	unsigned page;
	int	ret = -1;

	if (err && errlen)
		err[0] = 0;
	if (info)
		memset(info, 0, sizeof(*info));
	tiffcheck_limits_default(&lim);
	if (lim_in) {
		if (lim_in->max_width)
			lim.max_width = lim_in->max_width;
		if (lim_in->max_height)
			lim.max_height = lim_in->max_height;
		if (lim_in->max_pages)
			lim.max_pages = lim_in->max_pages;
	}
	if (data == NULL || len < 8)
		return tc_fail(err, errlen, "TIFF is not decodable: "
			       "file is %zu bytes, too short for a TIFF",
			       data ? len : 0);

	mem.data = data;
	mem.size = len;
	mem.pos = 0;
	tc_diag_reset(&diag);

	if ((opts = TIFFOpenOptionsAlloc()) == NULL)
		return tc_fail(err, errlen, "TIFF check: out of memory");
	TIFFOpenOptionsSetErrorHandlerExtR(opts, tc_on_error, &diag);
	TIFFOpenOptionsSetWarningHandlerExtR(opts, tc_on_warning, &diag);
	TIFFOpenOptionsSetMaxSingleMemAlloc(opts, TC_MAX_LIBTIFF_ALLOC);
	/* "m": never map, the procedures above only copy. */
	tif = TIFFClientOpenExt("TIFF", "rm", (thandle_t) &mem,
				tc_mem_read, tc_mem_write, tc_mem_seek,
				tc_mem_close, tc_mem_size, tc_mem_map,
				tc_mem_unmap, opts);
	TIFFOpenOptionsFree(opts);
	if (tif == NULL)
		return tc_undecodable(err, errlen, 0, &diag,
				      "cannot read the TIFF header");

	/*
	 * Counting walks only the chain of directory offsets (with loop
	 * detection), so a file claiming a million pages is refused
	 * before any of them is read.
	 */
	tc_diag_reset(&diag);
	ndirs = TIFFNumberOfDirectories(tif);
	/* A broken link in the chain means pages went missing: refuse. */
	if (ndirs == 0 || diag.nerrors > 0) {
		tc_undecodable(err, errlen, ndirs + 1, &diag,
			       "cannot find the next page");
		goto out;
	}
	if (ndirs > lim.max_pages) {
		tc_fail(err, errlen, "TIFF has %lu pages (limit %u)",
			(unsigned long) ndirs, lim.max_pages);
		goto out;
	}
	/* Counting leaves page 1 current, as TIFFClientOpenExt() did. */
	for (page = 1; page <= ndirs; page++) {
		if (page > 1) {
			tc_diag_reset(&diag);
			if (!TIFFReadDirectory(tif)) {
				tc_undecodable(err, errlen, page, &diag,
					       "cannot read directory");
				goto out;
			}
		}
		if (page == 1 && info) {
			uint16_t comp = COMPRESSION_NONE;
			uint32_t w = 0, h = 0;

			TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
			TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
			TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &comp);
			info->width = w;
			info->height = h;
			info->compression = comp;
			info->xres = tc_resolution(tif, TIFFTAG_XRESOLUTION);
			info->yres = tc_resolution(tif, TIFFTAG_YRESOLUTION);
		}
		if (tc_check_page(tif, page, &lim, &diag, &buf, &bufsize,
				  &file_bytes, &file_chunks, err, errlen) < 0)
			goto out;
	}
	if (info)
		info->pages = ndirs;
	ret = 0;

out:
	if (ret < 0 && info)
		memset(info, 0, sizeof(*info));
	free(buf);
	TIFFClose(tif);
	return ret;
}
