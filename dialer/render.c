/*
 * render - turn a message's documents into one fax TIFF.
 *
 * See render.h for the interface. Every page, whatever its source,
 * goes through one sink: packed 1728-pixel rows are collected into a
 * page, a long page is cut, and each page is written G4 into body.tif
 * in a private directory. Ghostscript's output is just a TIFF read
 * back through the same importer as a user's TIFF, so there is one
 * path to get right. The result is assembled last by copying the
 * compressed strips, because only then is the total known for
 * PageNumber and for the cover page, which shows the count.
 *
 * Running Ghostscript under limits is gsrun.c's job, and laying out
 * text and cover values as PostScript is textps.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tiffio.h>

#include "gsrun.h"
#include "render.h"
#include "textps.h"

#define FAX_W		1728
#define ROW_BYTES	(FAX_W / 8)
#define A4_ROWS(fine)	((fine) ? 2292u : 1146u)	/* 297 mm */
#define TIFF_MAX_W	10000u
#define TIFF_MAX_H	20000u
#define TIFF_MAX_PAGES	200u
#define PAGE_MAX_ROWS	40000u		/* 200 in at 196 dpi, PDF's largest page */
#define TEXT_MAX	(4u << 20)
#define DECODE_MAX	(256u << 20)	/* one RGBA band, one libtiff allocation */
#define TEXT_COLS	80
#define COVER_COLS	54

static volatile sig_atomic_t stop_flag;

struct job {
	render_opts_t o;
	char	dir[PATH_MAX - 64];	/* the private directory */
	char	label[160];		/* "document 2 (x.pdf)" or "" */
	char   *err;
	size_t	errlen;
	TIFF   *sink;			/* where finished pages go */
	unsigned pages;			/* pages written so far */
	unsigned char *pg;		/* the page being collected */
	size_t	rows, cap;
	gsrun_t run;			/* the Ghostscript runs */
	char	tmsg[256];		/* libtiff's first error */
	char	gsabs[PATH_MAX];	/* gs_path made absolute */
};

/* fail - put "label: message" into err, returns code */
__attribute__((format(printf, 3, 4)))
static int fail(struct job *j, int code, const char *fmt, ...)
{
	va_list ap;
	size_t	n = 0;

	if (j->errlen > 0 && j->label[0])
		n = (size_t) snprintf(j->err, j->errlen, "%s: ", j->label);
	if (n < j->errlen) {
		va_start(ap, fmt);
		vsnprintf(j->err + n, j->errlen - n, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* in_dir - the path of name in the private directory, returns buf */
static const char *in_dir(struct job *j, const char *name, char *buf)
{
	snprintf(buf, PATH_MAX, "%s/%s", j->dir, name);
	return buf;
}


/* ---------------- Ghostscript ---------------- */

/*
 * gs_run - gsrun_run() in the private directory with the job's
 * limits, returns 0 or RENDER_E* with err set
 */
static int gs_run(struct job *j, const char *const *args, const char *what)
{
	char	msg[PATH_MAX + 256];
	int	rc = gsrun_run(&j->run, args, what, msg, sizeof(msg));

	if (rc == 0)
		return 0;
	return fail(j, rc == GSRUN_EBAD ? RENDER_EBAD : RENDER_ETEMP, "%s", msg);
}

/* ---------------- the page sink ---------------- */

/* tiff_msg - keep libtiff's first error (not warnings), returns 1 so nothing is printed */
static int tiff_msg(TIFF *t, void *user, const char *module, const char *fmt, va_list ap)
{
	struct job *j = user;

	if (j && j->tmsg[0] == 0)
		vsnprintf(j->tmsg, sizeof(j->tmsg), fmt, ap);
	return 1;
}

/* tiff_open - open path (or fd when >= 0) with diagnostics into j->tmsg, returns it or NULL */
static TIFF *tiff_open(struct job *j, const char *path, const char *mode, int fd)
{
	TIFFOpenOptions *oo = TIFFOpenOptionsAlloc();
	TIFF   *t;

	if (oo == NULL)
		return NULL;
	TIFFOpenOptionsSetErrorHandlerExtR(oo, tiff_msg, j);
	TIFFOpenOptionsSetWarningHandlerExtR(oo, tiff_msg, NULL);
	TIFFOpenOptionsSetMaxSingleMemAlloc(oo, DECODE_MAX);
	j->tmsg[0] = 0;
	t = fd >= 0 ? TIFFFdOpenExt(fd, path, mode, oo) : TIFFOpenExt(path, mode, oo);
	TIFFOpenOptionsFree(oo);
	return t;
}

/* page_tags - set the tags of one fax page of rows rows, page no of total */
static void page_tags(TIFF *t, uint32_t rows, int fine, unsigned no, unsigned total)
{
	TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t) FAX_W);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, rows);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows);
	TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0f);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, fine ? 196.0f : 98.0f);
	TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	TIFFSetField(t, TIFFTAG_PAGENUMBER, (uint16_t) no, (uint16_t) total);
	TIFFSetField(t, TIFFTAG_SOFTWARE, "faxgate");
}

/* sink_row - add one packed row to the page being collected, returns 0 or RENDER_E* */
static int sink_row(struct job *j, const unsigned char *row)
{
	unsigned char *p;

	if (j->rows == j->cap) {
		if (j->cap >= PAGE_MAX_ROWS)
			return fail(j, RENDER_EBAD, "a page is longer than %u rows", PAGE_MAX_ROWS);
		if ((p = realloc(j->pg, (j->cap + 2048) * ROW_BYTES)) == NULL)
			return fail(j, RENDER_ETEMP, "out of memory");
		j->pg = p;
		j->cap += 2048;
	}
	memcpy(j->pg + j->rows++ * ROW_BYTES, row, ROW_BYTES);
	return 0;
}

/* sink_page - write the page, cut in equal pages of at most A4 when over 2 x A4, returns 0 or RENDER_E* */
static int sink_page(struct job *j)
{
	size_t	rows = j->rows, a4 = A4_ROWS(j->o.fine), n = 1, k, r0, r1;

	j->rows = 0;
	if (rows > 2 * a4)
		n = (rows + a4 - 1) / a4;
	for (k = 0; k < n && rows > 0; k++) {
		if (j->pages >= RENDER_MAX_PAGES)
			return fail(j, RENDER_EBAD, "more than %u pages", RENDER_MAX_PAGES);
		r0 = rows * k / n;
		r1 = rows * (k + 1) / n;
		page_tags(j->sink, (uint32_t) (r1 - r0), j->o.fine, 0, 0);
		if (TIFFWriteEncodedStrip(j->sink, 0, j->pg + r0 * ROW_BYTES,
		    (tmsize_t) ((r1 - r0) * ROW_BYTES)) < 0 || !TIFFWriteDirectory(j->sink))
			return fail(j, RENDER_ETEMP, "cannot write a page: %s", j->tmsg);
		j->pages++;
	}
	return 0;
}

/* ---------------- TIFF import and scaling ---------------- */

/*
 * A box filter: output pixel X of output row Y is the mean of source
 * pixels [cb[X], cb[X+1]) x [rb(Y), rb(Y+1)), at least one of each,
 * black below half. Source rows arrive in order; each is reduced
 * across once into v and summed down in acc until its row is done.
 */
struct scaler {
	uint32_t w, h, outw, outh, off;	/* off: left margin of the output */
	uint32_t y, Y;			/* next source row, next output row */
	uint32_t *cb, *acc, cnt;
	unsigned char *v, *g;		/* reduced row, gray source row */
};

/* rb - first source row of output row Y, returns it */
static uint32_t rb(const struct scaler *s, uint32_t Y)
{
	return Y < s->outh ? (uint32_t) ((uint64_t) Y * s->h / s->outh) : s->h;
}

/* sc_feed - take the gray source row s->g, emitting finished rows, returns 0 or RENDER_E* */
static int sc_feed(struct job *j, struct scaler *s)
{
	unsigned char row[ROW_BYTES];
	uint32_t X, i, a, b, sum;
	int	rc;

	for (X = 0; X < s->outw; X++) {
		a = s->cb[X];
		b = s->cb[X + 1] > a ? s->cb[X + 1] : a + 1;
		for (sum = 0, i = a; i < b; i++)
			sum += s->g[i];
		s->v[X] = (unsigned char) (sum / (b - a));
	}
	while (s->Y < s->outh && rb(s, s->Y) <= s->y) {
		for (X = 0; X < s->outw; X++)
			s->acc[X] += s->v[X];
		s->cnt++;
		if (s->y + 1 < rb(s, s->Y + 1))
			break;			/* more source rows to come */
		memset(row, 0, sizeof(row));
		for (X = 0; X < s->outw; X++)
			if (s->acc[X] / s->cnt < 128)
				row[(s->off + X) >> 3] |= (unsigned char) (0x80 >> ((s->off + X) & 7));
		memset(s->acc, 0, s->outw * sizeof(*s->acc));
		s->cnt = 0;
		s->Y++;
		if ((rc = sink_row(j, row)) != 0)
			return rc;
	}
	s->y++;
	return 0;
}

/* rgba_page - decode any page through TIFFRGBAImage in bands of rows, returns 0 or RENDER_E* */
static int rgba_page(struct job *j, TIFF *t, struct scaler *s, unsigned no)
{
	TIFFRGBAImage img;
	char	emsg[1024] = "";
	uint32_t band = 0, y0, r, x, n, *ras = NULL, p, a, gy;
	int	rc = 0;

	if (!TIFFRGBAImageOK(t, emsg) || !TIFFRGBAImageBegin(&img, t, 1, emsg))
		return fail(j, RENDER_EBAD, "TIFF page %u cannot be decoded: %s", no, emsg);
	TIFFGetFieldDefaulted(t, TIFFIsTiled(t) ? TIFFTAG_TILELENGTH : TIFFTAG_ROWSPERSTRIP, &band);
	band = band < 64 ? 64 : band > s->h ? s->h : band;
	img.req_orientation = ORIENTATION_TOPLEFT;
	if ((uint64_t) band * s->w * 4 > DECODE_MAX)
		rc = fail(j, RENDER_EBAD, "TIFF page %u needs too much memory to decode", no);
	else if ((ras = malloc((size_t) band * s->w * 4)) == NULL)
		rc = fail(j, RENDER_ETEMP, "out of memory");
	for (y0 = 0; y0 < s->h && rc == 0; y0 += band) {
		n = s->h - y0 < band ? s->h - y0 : band;
		img.row_offset = (int) y0;
		img.col_offset = 0;
		if (!TIFFRGBAImageGet(&img, ras, s->w, n))
			rc = fail(j, RENDER_EBAD, "TIFF page %u is not decodable: %s", no, j->tmsg);
		for (r = 0; r < n && rc == 0; r++) {
			for (x = 0; x < s->w; x++) {
				p = ras[(size_t) r * s->w + x];
				a = TIFFGetA(p);
				gy = (TIFFGetR(p) * 299 + TIFFGetG(p) * 587 + TIFFGetB(p) * 114) / 1000;
				/* Transparent is paper. */
				s->g[x] = (unsigned char) ((gy * a + 255 * (255 - a)) / 255);
			}
			rc = sc_feed(j, s);
		}
	}
	free(ras);
	TIFFRGBAImageEnd(&img);
	return rc;
}

/* bilevel_page - decode a stripped bilevel page strip by strip (fast), returns 0 or RENDER_E* */
static int bilevel_page(struct job *j, TIFF *t, struct scaler *s, unsigned no, int black1)
{
	tmsize_t ssz = TIFFStripSize(t), ln = TIFFScanlineSize(t);
	uint32_t rps = 0, st, r, x, y = 0;
	unsigned char *buf, *row, inv[ROW_BYTES];
	int	same = s->w == FAX_W && s->outw == FAX_W && s->outh == s->h, rc = 0;

	TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rps);
	rps = rps > s->h ? s->h : rps;
	if (ssz <= 0 || ln <= 0 || rps == 0 || (buf = malloc((size_t) ssz)) == NULL)
		return fail(j, RENDER_EBAD, "TIFF page %u cannot be decoded", no);
	for (st = 0; y < s->h && rc == 0; st++) {
		if (TIFFReadEncodedStrip(t, st, buf, -1) < 0)
			rc = fail(j, RENDER_EBAD, "TIFF page %u is not decodable: %s", no, j->tmsg);
		for (r = 0; r < rps && y < s->h && rc == 0; r++, y++) {
			row = buf + (size_t) r * (size_t) ln;
			if (same) {	/* the fax case: bit for bit */
				for (x = 0; x < ROW_BYTES && !black1; x++)
					inv[x] = (unsigned char) ~row[x];
				rc = sink_row(j, black1 ? row : inv);
				continue;
			}
			for (x = 0; x < s->w; x++)
				s->g[x] = ((row[x >> 3] >> (7 - (x & 7))) & 1) == black1 ? 0 : 255;
			rc = sc_feed(j, s);
		}
	}
	free(buf);
	return rc;
}

/* res_dpi - a resolution tag in dots per inch, 0 when unknown, returns it */
static double res_dpi(TIFF *t, ttag_t tag, uint16_t unit)
{
	float	v = 0;

	if (!TIFFGetField(t, tag, &v) || !(v > 1 && v < 100000) || unit == RESUNIT_NONE)
		return 0;
	return unit == RESUNIT_CENTIMETER ? v * 2.54 : v;
}

/*
 * import_page - scale the current page of t to the fax line and the
 * target resolution, keeping its physical size unless it is wider
 * than the line, returns 0 or RENDER_E*
 */
static int import_page(struct job *j, TIFF *t, unsigned no)
{
	static const double ysnap[] = {98, 196, 392};
	struct scaler s;
	uint16_t bps = 1, spp = 1, photo = 0, unit = RESUNIT_INCH;
	double	xr, yr, dw, k = 1;
	uint32_t X;
	int	i, rc;

	memset(&s, 0, sizeof(s));
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &s.w);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &s.h);
	TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
	TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
	TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
	xr = res_dpi(t, TIFFTAG_XRESOLUTION, unit);
	yr = res_dpi(t, TIFFTAG_YRESOLUTION, unit);
	/* Without a resolution a page fills the line; pixels are square. */
	if (xr == 0)
		xr = s.w <= FAX_W ? 204 : s.w / (FAX_W / 204.0);
	/* Fax software writes 200, 203 or 8/mm for 204 dpi, 195.58 (7.7/mm) for 196. */
	if (xr > 204 * 0.98 && xr < 204 * 1.02)
		xr = 204;
	if (yr == 0)
		yr = xr == 204 ? 196 : xr;
	for (i = 0; i < 3 && xr == 204; i++)
		if (yr > ysnap[i] * 0.975 && yr < ysnap[i] * 1.025)
			yr = ysnap[i];
	if ((dw = s.w * 204 / xr) > FAX_W)
		k = FAX_W / dw, dw = FAX_W;
	s.outw = dw < 1 ? 1 : (uint32_t) (dw + 0.5);
	if ((dw = s.h * (j->o.fine ? 196 : 98) / yr * k) > PAGE_MAX_ROWS)
		return fail(j, RENDER_EBAD, "TIFF page %u is too long (%.0f inches)", no, s.h / yr);
	s.outh = dw < 1 ? 1 : (uint32_t) (dw + 0.5);
	s.off = (FAX_W - s.outw) / 2;
	s.cb = malloc((s.outw + 1) * sizeof(*s.cb));
	s.acc = calloc(s.outw, sizeof(*s.acc));
	s.v = malloc(s.outw);
	s.g = malloc(s.w);
	rc = s.cb && s.acc && s.v && s.g ? 0 : fail(j, RENDER_ETEMP, "out of memory");
	for (X = 0; rc == 0 && X <= s.outw; X++)
		s.cb[X] = (uint32_t) ((uint64_t) X * s.w / s.outw);
	j->rows = 0;
	if (rc == 0 && bps == 1 && spp == 1 && !TIFFIsTiled(t)
	    && (photo == PHOTOMETRIC_MINISWHITE || photo == PHOTOMETRIC_MINISBLACK))
		rc = bilevel_page(j, t, &s, no, photo == PHOTOMETRIC_MINISWHITE);
	else if (rc == 0)
		rc = rgba_page(j, t, &s, no);
	if (rc == 0)
		rc = sink_page(j);
	free(s.cb), free(s.acc), free(s.v), free(s.g);
	return rc;
}

/* import_tiff - put every page of the TIFF at path on fax pages, returns 0 or RENDER_E* */
static int import_tiff(struct job *j, const char *path, unsigned max_pages, uint32_t max_h)
{
	TIFF   *t = tiff_open(j, path, "r", -1);
	uint32_t w = 0, h = 0;
	unsigned n, d;
	int	rc = 0;

	if (t == NULL)
		return fail(j, RENDER_EBAD, "TIFF cannot be read: %s", j->tmsg[0] ? j->tmsg : strerror(errno));
	/* All that the directories tell is checked before a pixel is decoded. */
	if ((n = TIFFNumberOfDirectories(t)) > max_pages)
		rc = fail(j, RENDER_EBAD, "TIFF has %u pages (limit %u)", n, max_pages);
	for (d = 0; d < 2 * n && rc == 0; d++)
		if (!TIFFSetDirectory(t, (tdir_t) (d % n)))
			rc = fail(j, RENDER_EBAD, "TIFF page %u cannot be read: %s", d % n + 1, j->tmsg);
		else if (d >= n)
			rc = import_page(j, t, d - n + 1);
		else if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h) || !w || !h)
			rc = fail(j, RENDER_EBAD, "TIFF page %u has no size", d + 1);
		else if (w > TIFF_MAX_W)
			rc = fail(j, RENDER_EBAD, "TIFF page %u is %u pixels wide (limit %u)", d + 1, w, TIFF_MAX_W);
		else if (h > max_h)
			rc = fail(j, RENDER_EBAD, "TIFF page %u is %u pixels high (limit %u)", d + 1, h, max_h);
	if (rc == 0 && n == 0)
		rc = fail(j, RENDER_EBAD, "TIFF has no pages");
	TIFFClose(t);
	return rc;
}

/* ---------------- documents ---------------- */

/*
 * The PDF driver. Each page gets a page one fax line wide and as high
 * as its box (CropBox, else MediaBox) after /Rotate, scaled down to
 * the line when wider, never up; a landscape page too wide for the
 * line is turned a quarter to portrait instead. The interpreter's own
 * page procedure draws it, centred by our transformation.
 */
static const char pdf_driver[] =
    "/FaxW 1728 72 mul 204 div def FaxIn (r) file runpdfbegin\n"
    "1 1 pdfpagecount { pdfgetpage dup null eq { /pdfgetpage cvx /undefinedresult signalerror } if\n"
    " /Pg exch def Pg /MediaBox get Pg /CropBox known { pop Pg /CropBox get } if\n"
    " aload pop 3 -1 roll 2 copy gt { exch } if /Y1 exch def /Y0 exch def\n"
    " 2 copy gt { exch } if /X1 exch def /X0 exch def\n"
    " X1 X0 sub 1 lt Y1 Y0 sub 1 lt or { /X0 0 def /Y0 0 def /X1 595 def /Y1 842 def } if\n"
    " /Q Pg /Rotate known { Pg /Rotate get cvi 90 idiv } { 0 } ifelse 4 mod 4 add 4 mod def\n"
    " Q 2 mod 1 eq { Y1 Y0 sub X1 X0 sub } { X1 X0 sub Y1 Y0 sub } ifelse /EH exch def /EW exch def\n"
    " EW EH gt EW FaxW gt and { /Q Q 3 add 4 mod def EW EH /EW exch def /EH exch def } if\n"
    " /S FaxW EW div dup 1 gt { pop 1 } if def /PH EH S mul dup 14400 gt { pop 14400 } if def\n"
    " gsave << /PageSize [FaxW PH] /PageUsesTransparency Pg /UsesTransparency 2 copy known\n"
    "   { get } { pop pop false } ifelse >> setpagedevice\n"
    " FaxW 2 div PH 2 div translate Q -90 mul rotate S S scale\n"
    " X0 X1 add -2 div Y0 Y1 add -2 div translate X0 Y0 X1 X0 sub Y1 Y0 sub rectclip\n"
    " Pg pdfshowpage_finish } for runpdfend\n";

/*
 * gs_raster - run gs into gs.tif with extra arguments, import the pages,
 * returns 0 or RENDER_E*. gs writes PackBits, not G4: every page is
 * decoded and encoded to G4 once here anyway, and G4 from gs would be
 * compressed twice (bench/dialer: the render ran at 0.58 of gs alone).
 */
static int gs_raster(struct job *j, const char *const *extra, const char *what)
{
	const char *args[16] = {"-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-dNOINTERPOLATE",
	    "-sDEVICE=tiffpack", j->o.fine ? "-r204x196" : "-r204x98", "-sOutputFile=gs.tif"};
	char	path[PATH_MAX];
	size_t	n = 8;
	struct stat sb;
	int	rc;

	while (*extra && n < 15)
		args[n++] = *extra++;
	unlink(in_dir(j, "gs.tif", path));
	if ((rc = gs_run(j, args, what)) != 0)
		return rc;
	/* No page, no file: the caller says why. */
	if (stat(path, &sb) == 0 && sb.st_size > 0)
		rc = import_tiff(j, path, RENDER_MAX_PAGES, PAGE_MAX_ROWS);
	unlink(path);
	return rc;
}

/* pdf_doc - render file (a PDF in the private directory), returns 0 or RENDER_E* */
static int pdf_doc(struct job *j, const char *file, const char *what)
{
	char	in[64], permit[64], reason[112];
	const char *extra[] = {in, permit, "-c", pdf_driver, NULL};
	unsigned before = j->pages;
	int	rc;

	snprintf(in, sizeof(in), "-sFaxIn=%s", file);
	snprintf(permit, sizeof(permit), "--permit-file-read=%s", file);
	if ((rc = gs_raster(j, extra, what)) != 0 || j->pages > before)
		return rc;
	if (gsrun_reason(&j->run, reason, 100)[0] && strstr(reason, "no pages") == NULL)
		return fail(j, RENDER_EBAD, "%s could not be rendered: %s", what, reason);
	return fail(j, RENDER_EBAD, "%s has no pages", what);
}

/* ps_doc - convert in.ps to PDF, which gives each page its size, and render it, returns 0 or RENDER_E* */
static int ps_doc(struct job *j)
{
	static const char *const args[] = {"-q", "-dSAFER", "-dBATCH", "-dNOPAUSE",
	    "-sDEVICE=pdfwrite", "-sPAPERSIZE=a4", "-dAutoRotatePages=/None",
	    "-sOutputFile=ps.pdf", "in.ps", NULL};
	char	path[PATH_MAX];
	struct stat sb;
	int	rc;

	if ((rc = gs_run(j, args, "PostScript")) != 0)
		return rc;
	if (stat(in_dir(j, "ps.pdf", path), &sb) < 0 || sb.st_size == 0)
		return fail(j, RENDER_EBAD, "PostScript has no pages");
	return pdf_doc(j, "ps.pdf", "PostScript");
}

/* ps_open - create doc.ps in the private directory with the prolog, returns it or NULL */
static FILE *ps_open(struct job *j)
{
	char	path[PATH_MAX];
	FILE   *fp = fopen(in_dir(j, "doc.ps", path), "w");

	if (fp == NULL)
		fail(j, RENDER_ETEMP, "cannot create %s: %s", path, strerror(errno));
	else
		fputs(textps_prolog, fp);
	return fp;
}

/* ps_render - close doc.ps and render it, returns 0 or RENDER_E* */
static int ps_render(struct job *j, FILE *fp, const char *what)
{
	static const char *const extra[] = {"doc.ps", NULL};
	int	bad = ferror(fp);

	if (fclose(fp) != 0 || bad)
		return fail(j, RENDER_ETEMP, "cannot write %s/doc.ps: %s", j->dir, strerror(errno));
	return gs_raster(j, (const char **) extra, what);
}

/* text_doc - typeset a UTF-8 text file, returns 0 or RENDER_E* */
static int text_doc(struct job *j, const char *path)
{
	unsigned char *data = malloc(TEXT_MAX + 1);
	FILE   *in = fopen(path, "rb"), *fp;
	textps_t t;
	size_t	n = 0;
	int	rc;

	if (data && in)
		n = fread(data, 1, TEXT_MAX + 1, in);
	if (data == NULL || in == NULL || ferror(in))
		rc = fail(j, RENDER_ETEMP, "cannot read %s: %s", path, strerror(errno));
	else if (n > TEXT_MAX)
		rc = fail(j, RENDER_EBAD, "text is longer than %u MiB", TEXT_MAX >> 20);
	else if ((fp = ps_open(j)) == NULL)
		rc = RENDER_ETEMP;
	else {
		textps_init(&t, fp, TEXT_COLS, 0, RENDER_MAX_PAGES);
		textps_utf8(&t, data, n);
		if (t.pages > 0 && t.pages <= RENDER_MAX_PAGES)
			rc = ps_render(j, fp, "text");
		else if (fclose(fp), t.pages > 0)
			rc = fail(j, RENDER_EBAD, "text has more than %u pages", RENDER_MAX_PAGES);
		else
			rc = 0;		/* an empty text: no page */
	}
	if (in)
		fclose(in);
	free(data);
	return rc;
}

/* cover_page - typeset the cover page for docpages pages, returns 0 or RENDER_E* */
static int cover_page(struct job *j, unsigned docpages)
{
	const render_cover_t *c = j->o.cover;
	const char *lab[] = {"From:", "To:", "Subject:", "Date:"};
	const char *val[] = {c->from, c->to, c->subject, c->date};
	FILE   *fp = ps_open(j);
	textps_t t;
	int	i;

	if (fp == NULL)
		return RENDER_ETEMP;
	fputs(textps_cover_prolog, fp);
	for (i = 0; i < 4; i++) {
		if (val[i] == NULL || val[i][0] == 0)
			continue;
		fprintf(fp, "(%s) K\n", lab[i]);
		textps_init(&t, fp, COVER_COLS, 1, RENDER_MAX_PAGES);
		textps_utf8(&t, (const unsigned char *) val[i], strlen(val[i]));
		fputs(t.lines ? "G\n" : "() V G\n", fp);
	}
	fprintf(fp, "(Pages:) K (%u, plus this cover page) V\nshowpage\n", docpages);
	return ps_render(j, fp, "cover page");
}

/* one_doc - render one document into the sink, returns 0 or RENDER_E* */
static int one_doc(struct job *j, const render_doc_t *d)
{
	char	real[PATH_MAX], link[PATH_MAX];
	const char *name = d->kind == RENDER_PDF ? "in.pdf" : "in.ps";
	int	fd, rc;

	if (d->path == NULL || (fd = open(d->path, O_RDONLY)) < 0)
		return fail(j, RENDER_ETEMP, "cannot open %s: %s", d->path ? d->path : "(null)", strerror(errno));
	close(fd);
	if (d->kind == RENDER_TIFF)
		return import_tiff(j, d->path, TIFF_MAX_PAGES, TIFF_MAX_H);
	if (d->kind == RENDER_TEXT)
		return text_doc(j, d->path);
	if (d->kind != RENDER_PDF && d->kind != RENDER_PS)
		return fail(j, RENDER_EBAD, "unknown document kind %d", (int) d->kind);
	/* gs sees a fixed relative name: nothing to quote, no ':' in --permit-file-read. */
	if (realpath(d->path, real) == NULL || symlink(real, in_dir(j, name, link)) < 0)
		return fail(j, RENDER_ETEMP, "cannot link %s: %s", d->path, strerror(errno));
	rc = d->kind == RENDER_PDF ? pdf_doc(j, name, "PDF") : ps_doc(j);
	unlink(link);
	unlink(in_dir(j, "ps.pdf", link));
	return rc;
}

/* ---------------- the result ---------------- */

/* copy_page - copy the current page of in to out as page no, returns 0 or RENDER_ETEMP */
static int copy_page(struct job *j, TIFF *in, TIFF *out, unsigned no)
{
	uint64_t n = TIFFGetStrileByteCount(in, 0);
	uint32_t h = 0;
	void   *buf = NULL;
	int	ok;

	TIFFGetField(in, TIFFTAG_IMAGELENGTH, &h);
	ok = n > 0 && n < DECODE_MAX && (buf = malloc((size_t) n)) != NULL
	    && TIFFReadRawStrip(in, 0, buf, (tmsize_t) n) == (tmsize_t) n;
	if (ok) {
		page_tags(out, h, j->o.fine, no - 1, j->pages);	/* PageNumber counts from 0 */
		ok = TIFFWriteRawStrip(out, 0, buf, (tmsize_t) n) == (tmsize_t) n && TIFFWriteDirectory(out);
	}
	free(buf);
	return ok ? 0 : fail(j, RENDER_ETEMP, "cannot write page %u: %s", no, j->tmsg);
}

/* assemble - write the cover and body pages to out_path atomically, returns 0 or RENDER_ETEMP */
static int assemble(struct job *j, const char *out_path, int cover)
{
	char	tmp[PATH_MAX], path[PATH_MAX];
	unsigned no = 0;
	int	fd, rc = 0, k;
	TIFF   *out, *in;

	if ((size_t) snprintf(tmp, sizeof(tmp), "%s.XXXXXX", out_path) >= sizeof(tmp))
		return fail(j, RENDER_ETEMP, "output path too long");
	if ((fd = mkstemp(tmp)) < 0)
		return fail(j, RENDER_ETEMP, "cannot create %s: %s", tmp, strerror(errno));
	if ((out = tiff_open(j, tmp, "w", fd)) == NULL)
		rc = fail(j, RENDER_ETEMP, "cannot write %s: %s", tmp, j->tmsg), close(fd);
	for (k = !cover; k < 2 && rc == 0; k++) {
		if ((in = tiff_open(j, in_dir(j, k ? "body.tif" : "cover.tif", path), "r", -1)) == NULL)
			rc = fail(j, RENDER_ETEMP, "cannot read %s: %s", path, j->tmsg);
		do
			rc = rc ? rc : copy_page(j, in, out, ++no);
		while (rc == 0 && TIFFReadDirectory(in));
		if (in)
			TIFFClose(in);
	}
	if (rc == 0 && (!TIFFFlush(out) || fsync(fd) < 0))
		rc = fail(j, RENDER_ETEMP, "cannot write %s: %s", tmp, j->tmsg[0] ? j->tmsg : strerror(errno));
	if (out)
		TIFFClose(out);
	if (rc == 0 && rename(tmp, out_path) < 0)
		rc = fail(j, RENDER_ETEMP, "cannot rename %s: %s", tmp, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

/* sink_switch - finish the current sink file and open name (NULL: none), returns rc or RENDER_ETEMP */
static int sink_switch(struct job *j, const char *name, int rc)
{
	char	path[PATH_MAX];

	if (j->sink && !TIFFFlush(j->sink) && rc == 0)
		rc = fail(j, RENDER_ETEMP, "cannot write in %s: %s", j->dir, j->tmsg);
	if (j->sink)
		TIFFClose(j->sink);
	j->sink = NULL;
	if (rc == 0 && name && (j->sink = tiff_open(j, in_dir(j, name, path), "w", -1)) == NULL)
		rc = fail(j, RENDER_ETEMP, "cannot create %s: %s", path, j->tmsg);
	return rc;
}

/* render_opts_default - fill o with the defaults */
void	render_opts_default(render_opts_t *o)
{
	memset(o, 0, sizeof(*o));
	o->fine = 1;
	o->gs_path = "gs";
	o->time_limit = 120;
	o->mem_limit = 1UL << 30;
	o->cpu_limit = 60;
	o->file_limit = 256UL << 20;
}

/* render_stop - make render_documents() give up; async-signal-safe */
void	render_stop(void)
{
	stop_flag = 1;
}

/* render_documents - render docs into out_path, returns 0 or RENDER_E* */
int	render_documents(const render_doc_t *docs, size_t n, const render_opts_t *o,
			 const char *out_path, unsigned *pages, char *err, size_t errlen)
{
	struct job *j = calloc(1, sizeof(*j));
	struct dirent *e;
	render_opts_t def;
	DIR    *d;
	const char *tmp = o && o->tmpdir ? o->tmpdir : getenv("TMPDIR");
	char	name[64];
	unsigned docpages = 0;
	size_t	i;
	int	rc;

	if (errlen > 0)
		err[0] = 0;
	if (j == NULL)
		return snprintf(err, errlen, "out of memory"), RENDER_ETEMP;
	j->err = err;
	j->errlen = errlen;
	render_opts_default(&def);
	j->o = o ? *o : def;
	j->o.gs_path = j->o.gs_path ? j->o.gs_path : def.gs_path;
	/* gs runs in the private directory: "./gs" must not mean a file there. */
	if (strchr(j->o.gs_path, '/') && j->o.gs_path[0] != '/' && realpath(j->o.gs_path, j->gsabs))
		j->o.gs_path = j->gsabs;
	j->o.time_limit = j->o.time_limit ? j->o.time_limit : def.time_limit;
	j->o.mem_limit = j->o.mem_limit ? j->o.mem_limit : def.mem_limit;
	j->o.cpu_limit = j->o.cpu_limit ? j->o.cpu_limit : def.cpu_limit;
	j->o.file_limit = j->o.file_limit ? j->o.file_limit : def.file_limit;
	j->run.gs_path = j->o.gs_path;
	j->run.dir = j->dir;
	j->run.time_limit = j->o.time_limit;
	j->run.cpu_limit = j->o.cpu_limit;
	j->run.mem_limit = j->o.mem_limit;
	j->run.file_limit = j->o.file_limit;
	j->run.stop = &stop_flag;
	snprintf(j->dir, sizeof(j->dir), "%s/faxgate-render.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(j->dir) == NULL) {
		rc = fail(j, RENDER_ETEMP, "cannot create %s: %s", j->dir, strerror(errno));
		free(j);
		return rc;
	}
	rc = n ? sink_switch(j, "body.tif", 0) : fail(j, RENDER_EBAD, "no documents");
	for (i = 0; i < n && rc == 0; i++) {
		gsrun_line(name, 60, docs[i].name ? docs[i].name : "", SIZE_MAX);
		snprintf(j->label, sizeof(j->label), "document %zu%s%s%s", i + 1,
		    name[0] ? " (" : "", name, name[0] ? ")" : "");
		rc = stop_flag ? fail(j, RENDER_ETEMP, "interrupted") : one_doc(j, &docs[i]);
	}
	j->label[0] = 0;
	if ((rc = sink_switch(j, NULL, rc)) == 0 && (docpages = j->pages) == 0)
		rc = fail(j, RENDER_EBAD, "the documents have no pages");
	if (rc == 0 && j->o.cover) {
		snprintf(j->label, sizeof(j->label), "cover page");
		/* Our own page failing is local trouble, whatever gs said. */
		if ((rc = sink_switch(j, "cover.tif", 0)) == 0)
			rc = sink_switch(j, NULL, cover_page(j, docpages)) ? RENDER_ETEMP : 0;
		j->label[0] = 0;
	}
	if (rc == 0 && (rc = assemble(j, out_path, j->o.cover != NULL)) == 0 && pages)
		*pages = j->pages;
	/* Whatever gs left (temporary files of a killed run too) goes. */
	d = opendir(j->dir);
	while (d && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(j->dir);
	free(j->pg);
	free(j);
	return rc;
}
