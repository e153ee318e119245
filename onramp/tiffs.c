/*
 * tiffs.c - a received fax as one TIFF Profile S file; see tiffs.h.
 *
 * libtiff writes a directory after its data unless told otherwise;
 * Profile S wants it before (RFC 3949 3.5, so a reader can stream the
 * file). The strip arrays are the one part of a directory that depends on
 * the data, so each page's directory is written with them deferred
 * (TIFFDeferStrileArrayWriting), the page's strip after it, and the
 * arrays last (TIFFForceStrileArrayWriting): the sequence libtiff
 * documents for that purpose. The handle is opened "w+" to go back to
 * the directory it just wrote.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "tiffs.h"

#define STRIDE_OUT	(TIFFS_WIDTH / 8)

/* libtiff's first error text for one file. */
struct diag {
	char text[160];
	int n;
};

/* A page in memory: 1 is black, most significant bit first. */
typedef struct page {
	uint32_t w, h;
	size_t stride;
	uint8_t *bits;
} page_t;

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	struct diag *d = user;

	if (d->n++ == 0)
		vsnprintf(d->text, sizeof(d->text), fmt, ap);
	/* Non-zero: libtiff does not also print it. */
	return 1;
}

static int on_warning(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
	return 1;
}

/* open_tiff - libtiff's handle on path with our handlers, or NULL */
static TIFF *open_tiff(const char *path, const char *mode, struct diag *d)
{
	TIFFOpenOptions *o = TIFFOpenOptionsAlloc();
	TIFF *t;

	if (!o)
		return NULL;
	TIFFOpenOptionsSetErrorHandlerExtR(o, on_error, d);
	TIFFOpenOptionsSetWarningHandlerExtR(o, on_warning, d);
	t = TIFFOpenExt(path, mode, o);
	TIFFOpenOptionsFree(o);
	return t;
}

/* fail - a reason with libtiff's words when it has some; returns -1 */
__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, const struct diag *d, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	n = strlen(err);
	if (d && d->text[0] && n + 3 < errlen)
		snprintf(err + n, errlen - n, ": %s", d->text);
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	return -1;
}

/* dpi - a resolution tag in dots per inch, 0 if absent or without unit */
static double dpi(TIFF *t, ttag_t tag)
{
	float v = 0;
	uint16_t unit = RESUNIT_INCH;

	if (!TIFFGetField(t, tag, &v) || !(v > 0) || v > 10000)
		return 0;
	TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
	if (unit == RESUNIT_CENTIMETER)
		return v * 2.54;
	return unit == RESUNIT_INCH ? v : 0;
}

/* read_page - the current directory of in into p, 1 = black; 0 or -1 */
static int read_page(TIFF *in, unsigned no, page_t *p, struct diag *d, char *err, size_t errlen)
{
	uint16_t bps = 1, spp = 1, photo = PHOTOMETRIC_MINISWHITE;
	tmsize_t line;

	memset(p, 0, sizeof(*p));
	TIFFGetFieldDefaulted(in, TIFFTAG_BITSPERSAMPLE, &bps);
	TIFFGetFieldDefaulted(in, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetField(in, TIFFTAG_PHOTOMETRIC, &photo);
	if (!TIFFGetField(in, TIFFTAG_IMAGEWIDTH, &p->w) || !TIFFGetField(in, TIFFTAG_IMAGELENGTH,
	    &p->h) || p->w == 0 || p->h == 0)
		return fail(err, errlen, d, "page %u: no width or height", no);
	if (bps != 1 || spp != 1)
		return fail(err, errlen, NULL, "page %u: not black and white (%u bits, %u samples"
		    " per pixel)", no, bps, spp);
	if (photo != PHOTOMETRIC_MINISWHITE && photo != PHOTOMETRIC_MINISBLACK)
		return fail(err, errlen, NULL, "page %u: photometric interpretation %u is not"
		    " bilevel", no, photo);
	if (TIFFIsTiled(in))
		return fail(err, errlen, NULL, "page %u: tiled pages are not fax pages", no);
	if ((line = TIFFScanlineSize(in)) <= 0 || (size_t)line != (p->w + 7) / 8)
		return fail(err, errlen, d, "page %u: unexpected line size", no);
	p->stride = (size_t)line;
	if ((p->bits = calloc(p->h, p->stride)) == NULL)
		return fail(err, errlen, NULL, "page %u: out of memory", no);
	for (uint32_t y = 0; y < p->h; y++)
		if (TIFFReadScanline(in, p->bits + y * p->stride, y, 0) < 0) {
			free(p->bits);
			p->bits = NULL;
			return fail(err, errlen, d, "page %u: line %u cannot be decoded", no, y + 1);
		}
	if (photo == PHOTOMETRIC_MINISBLACK)
		for (size_t i = 0; i < p->stride * p->h; i++)
			p->bits[i] = (uint8_t)~p->bits[i];
	/* Padding bits after the last pixel stay white. */
	if (p->w % 8) {
		uint8_t keep = (uint8_t)(0xff << (8 - p->w % 8));
		for (uint32_t y = 0; y < p->h; y++)
			p->bits[y * p->stride + p->stride - 1] &= keep;
	}
	return 0;
}

/* any_black - is a pixel set in [x0, x1) of row */
static int any_black(const uint8_t *row, uint32_t x0, uint32_t x1)
{
	for (uint32_t x = x0; x < x1; x++)
		if (row[x >> 3] & (0x80 >> (x & 7)))
			return 1;
	return 0;
}

/* span - the source range [*a, *b) under target index o at scale f, clamped to n */
static void span(uint32_t o, double f, uint32_t n, uint32_t *a, uint32_t *b)
{
	*a = (uint32_t)floor(o / f);
	*b = (uint32_t)floor((o + 1) / f);
	if (*a >= n)
		*a = n - 1;
	if (*b <= *a)
		*b = *a + 1;
	if (*b > n)
		*b = n;
}

/*
 * fit - src as a fax page: 1728 wide, 204 dpi across, yres lines per
 * inch; 0 or -1. *same says whether every pixel was kept.
 */
static int fit(const page_t *src, double xres, double yres, unsigned *out_yres, page_t *dst,
    int *same)
{
	double xr = xres > 0 ? xres : 204, yr = yres > 0 ? yres : 196, fx = 1, fy = 1, k = 1;
	unsigned want = yr < 150 ? 98 : 196;
	int keep_x = src->w == TIFFS_WIDTH && xr >= 196 && xr <= 212;
	int keep_y = fabs(yr - want) <= want * 0.05;
	uint32_t cw, x0, *sx;
	uint8_t *row;

	*out_yres = want;
	dst->w = TIFFS_WIDTH;
	dst->stride = STRIDE_OUT;
	*same = keep_x && keep_y;
	if (*same) {
		dst->h = src->h;
		if ((dst->bits = malloc(src->stride * src->h)) == NULL)
			return -1;
		memcpy(dst->bits, src->bits, src->stride * src->h);
		return 0;
	}
	if (!keep_x)
		fx = 204.0 / xr;
	/* Wider than a fax line (B4, A3, or too many dots): shrink all of it. */
	if (src->w * fx > TIFFS_WIDTH) {
		k = TIFFS_WIDTH / (src->w * fx);
		fx *= k;
	}
	fy = want / yr * k;
	cw = (uint32_t)lround(src->w * fx);
	cw = cw < 1 ? 1 : cw > TIFFS_WIDTH ? TIFFS_WIDTH : cw;
	x0 = (TIFFS_WIDTH - cw) / 2;
	dst->h = (uint32_t)lround(src->h * fy);
	dst->h = dst->h < 1 ? 1 : dst->h > 20000 ? 20000 : dst->h;
	dst->bits = calloc(dst->h, STRIDE_OUT);
	sx = malloc(2 * cw * sizeof(*sx));
	row = malloc(src->stride);
	if (!dst->bits || !sx || !row) {
		free(dst->bits);
		free(sx);
		free(row);
		dst->bits = NULL;
		return -1;
	}
	for (uint32_t ox = 0; ox < cw; ox++)
		span(ox, fx, src->w, &sx[2 * ox], &sx[2 * ox + 1]);
	for (uint32_t oy = 0; oy < dst->h; oy++) {
		uint32_t a, b;
		uint8_t *out = dst->bits + (size_t)oy * STRIDE_OUT;

		span(oy, fy, src->h, &a, &b);
		memcpy(row, src->bits + (size_t)a * src->stride, src->stride);
		for (uint32_t y = a + 1; y < b; y++)
			for (size_t i = 0; i < src->stride; i++)
				row[i] |= src->bits[(size_t)y * src->stride + i];
		for (uint32_t ox = 0; ox < cw; ox++)
			if (any_black(row, sx[2 * ox], sx[2 * ox + 1]))
				out[(x0 + ox) >> 3] |= (uint8_t)(0x80 >> ((x0 + ox) & 7));
	}
	free(sx);
	free(row);
	return 0;
}

/* set_tags - the fields of one fax page */
static void set_tags(TIFF *o, const page_t *p, unsigned yres, uint16_t compression,
    uint16_t fill, unsigned no, unsigned total)
{
	TIFFSetField(o, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
	TIFFSetField(o, TIFFTAG_IMAGEWIDTH, p->w);
	TIFFSetField(o, TIFFTAG_IMAGELENGTH, p->h);
	TIFFSetField(o, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(o, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(o, TIFFTAG_COMPRESSION, compression);
	if (compression == COMPRESSION_CCITTFAX3)
		TIFFSetField(o, TIFFTAG_GROUP3OPTIONS, 0);	/* 1-D, no fill bits */
	TIFFSetField(o, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(o, TIFFTAG_FILLORDER, fill);
	TIFFSetField(o, TIFFTAG_XRESOLUTION, 204.0f);
	TIFFSetField(o, TIFFTAG_YRESOLUTION, (float)yres);
	TIFFSetField(o, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	TIFFSetField(o, TIFFTAG_ROWSPERSTRIP, p->h);
	TIFFSetField(o, TIFFTAG_PAGENUMBER, (uint16_t)no, (uint16_t)total);
}

/* write_s - one Profile S page, its directory before its data; 0 or -1 */
static int write_s(TIFF *o, const page_t *p, unsigned yres, unsigned no, unsigned total)
{
	/* The page before was left current (TIFFSetDirectory), not written
	 * with TIFFWriteDirectory, which would have released its codec and
	 * strip arrays: a change of compression releases the codec's state,
	 * TIFFFreeDirectory the rest. */
	if (no > 0) {
		TIFFSetField(o, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
		TIFFFreeDirectory(o);
		if (TIFFCreateDirectory(o) != 0)
			return -1;
	}
	set_tags(o, p, yres, COMPRESSION_CCITTFAX3, FILLORDER_LSB2MSB, no, total);
	if (!TIFFDeferStrileArrayWriting(o) || !TIFFWriteCheck(o, 0, "tiffs") ||
	    !TIFFWriteDirectory(o) || !TIFFSetDirectory(o, (tdir_t)no) ||
	    TIFFWriteEncodedStrip(o, 0, p->bits, (tmsize_t)(p->stride * p->h)) < 0 ||
	    !TIFFForceStrileArrayWriting(o))
		return -1;
	return 0;
}

/* write_g4 - one T.6 page, the ordinary way; 0 or -1 */
static int write_g4(TIFF *o, const page_t *p, unsigned yres, unsigned no, unsigned total)
{
	set_tags(o, p, yres, COMPRESSION_CCITTFAX4, FILLORDER_MSB2LSB, no, total);
	if (TIFFWriteEncodedStrip(o, 0, p->bits, (tmsize_t)(p->stride * p->h)) < 0 ||
	    !TIFFWriteDirectory(o))
		return -1;
	return 0;
}

/* tiffs_convert - every page of in as Profile S (and T.6); 0 or -1 */
int tiffs_convert(const char *in, const char *out_s, const char *out_g4, tiffs_info_t *info,
    char *err, size_t errlen)
{
	struct diag din = { "", 0 }, ds = { "", 0 }, dg = { "", 0 };
	TIFF *ti = NULL, *ts = NULL, *tg = NULL;
	page_t src = { 0 }, dst = { 0 };
	unsigned total, no = 0;
	int rc = -1;

	memset(info, 0, sizeof(*info));
	if ((ti = open_tiff(in, "r", &din)) == NULL)
		return fail(err, errlen, &din, "cannot read the received TIFF");
	total = TIFFNumberOfDirectories(ti);
	if (total == 0 || total > 65535) {
		fail(err, errlen, &din, "the received TIFF has %u pages", total);
		goto out;
	}
	/* "w+": write_s reads back the directory it has just written. */
	if ((ts = open_tiff(out_s, "w+l", &ds)) == NULL) {
		fail(err, errlen, &ds, "cannot write %s", out_s);
		goto out;
	}
	if (out_g4 && (tg = open_tiff(out_g4, "w", &dg)) == NULL) {
		fail(err, errlen, &dg, "cannot write %s", out_g4);
		goto out;
	}
	do {
		unsigned yres;
		int same;

		if (read_page(ti, no + 1, &src, &din, err, errlen) < 0)
			goto out;
		if (fit(&src, dpi(ti, TIFFTAG_XRESOLUTION), dpi(ti, TIFFTAG_YRESOLUTION), &yres,
		    &dst, &same) < 0) {
			fail(err, errlen, NULL, "page %u: out of memory", no + 1);
			goto out;
		}
		if (no == 0)
			info->yres = yres;
		info->resampled |= !same;
		if (write_s(ts, &dst, yres, no, total) < 0) {
			fail(err, errlen, &ds, "page %u: cannot write it as Profile S", no + 1);
			goto out;
		}
		if (tg && write_g4(tg, &dst, yres, no, total) < 0) {
			fail(err, errlen, &dg, "page %u: cannot write it as T.6", no + 1);
			goto out;
		}
		free(src.bits);
		free(dst.bits);
		src.bits = dst.bits = NULL;
		no++;
	} while (no < total && TIFFReadDirectory(ti));
	if (no != total) {
		fail(err, errlen, &din, "page %u of %u cannot be read", no + 1, total);
		goto out;
	}
	info->pages = no;
	rc = 0;
out:
	free(src.bits);
	free(dst.bits);
	if (ti)
		TIFFClose(ti);
	/* TIFFClose flushes: a full disk shows up here. */
	if (ts) {
		TIFFClose(ts);
		if (rc == 0 && ds.n)
			rc = fail(err, errlen, &ds, "cannot write %s", out_s);
	}
	if (tg) {
		TIFFClose(tg);
		if (rc == 0 && dg.n)
			rc = fail(err, errlen, &dg, "cannot write %s", out_g4);
	}
	return rc;
}
