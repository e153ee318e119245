/*
 * render.c - unit tests for dialer/render.c
 *
 * Inputs are made on the spot: TIFFs with libtiff (or byte by byte
 * when they must lie about their size), PDFs with Ghostscript's
 * pdfwrite device (which also encrypts), text with stdio. Every
 * render runs with a private temporary directory that must be empty
 * again afterwards.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tiffio.h>

#include "render.h"
#include "tap.h"

static char dir[256];			/* inputs and outputs */
static char tmp[300];			/* the renderer's tmpdir */
static char out[300];			/* the result */

/* path - a file name in the test directory, returns a static buffer (4 in turn) */
static const char *path(const char *name)
{
	static char buf[4][300];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

/* put - write len bytes (strlen when len < 0) to the file name, returns its path */
static const char *put(const char *name, const char *data, long len)
{
	const char *p = path(name);
	FILE   *fp = fopen(p, "wb");

	fwrite(data, 1, len < 0 ? strlen(data) : (size_t) len, fp);
	fclose(fp);
	return p;
}

/* entries - count the entries of directory d, returns them (-1 when unreadable) */
static int entries(const char *d)
{
	DIR    *dp = opendir(d);
	struct dirent *e;
	int	n = 0;

	if (dp == NULL)
		return -1;
	while ((e = readdir(dp)) != NULL)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(dp);
	return n;
}

/* gs_pdf - turn the PostScript ps into the PDF name with pdfwrite, returns its path */
static const char *gs_pdf(const char *name, const char *ps, const char *extra)
{
	char	cmd[1024];
	const char *in = put("in.ps", ps, -1), *p = path(name);

	snprintf(cmd, sizeof(cmd), "gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite "
	    "-dAutoRotatePages=/None %s -sOutputFile=%s %s", extra, p, in);
	if (system(cmd) != 0)
		diag("failed: %s", cmd);
	return p;
}

/* Pages drawn by PostScript: A4 with a frame and the page number. */
static const char a4_ps[] =
    "%!PS\n<< /PageSize [595 842] >> setpagedevice /Helvetica findfont 24 scalefont setfont\n"
    "1 1 3 { 72 700 moveto (Page ) show 10 string cvs show\n"
    " 20 20 555 802 rectstroke showpage } for\n";

struct info {
	unsigned pages;
	uint32_t w[8], h[8];
	float	xres, yres;
	uint16_t comp, photo, pn[2];
};

/* info - describe the TIFF at p, returns 0 or -1 */
static int info(const char *p, struct info *in)
{
	TIFF   *t = TIFFOpen(p, "r");

	memset(in, 0, sizeof(*in));
	if (t == NULL)
		return -1;
	do {
		if (in->pages < 8) {
			TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &in->w[in->pages]);
			TIFFGetField(t, TIFFTAG_IMAGELENGTH, &in->h[in->pages]);
		}
		if (in->pages++ == 0) {
			TIFFGetField(t, TIFFTAG_XRESOLUTION, &in->xres);
			TIFFGetField(t, TIFFTAG_YRESOLUTION, &in->yres);
			TIFFGetField(t, TIFFTAG_COMPRESSION, &in->comp);
			TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &in->photo);
			TIFFGetField(t, TIFFTAG_PAGENUMBER, &in->pn[0], &in->pn[1]);
		}
	} while (TIFFReadDirectory(t));
	TIFFClose(t);
	return 0;
}

/* render - render n documents with fine and cover into out, returns the result code */
static int render(const render_doc_t *docs, size_t n, int fine,
		  const render_cover_t *cover, unsigned *pages, char *err)
{
	render_opts_t o;

	render_opts_default(&o);
	o.fine = fine;
	o.cover = cover;
	o.tmpdir = tmp;
	o.time_limit = 30;
	unlink(out);
	*pages = 0;
	return render_documents(docs, n, &o, out, pages, err, 256);
}

/* pattern - the known bits of row y, byte x, of page p */
static unsigned char pattern(unsigned p, uint32_t y, uint32_t x)
{
	/* Runs of varying length, different on each page; no blank rows. */
	return (unsigned char) ((x * 7 + y * 3 + p * 5) % 11 < 4 ? 0xff : (x + y) % 5 ? 0 : 0x18);
}

/* make_tiff - write a TIFF of pages pages w x h, bps bits, compression comp, returns its path */
static const char *make_tiff(const char *name, unsigned pages, uint32_t w, uint32_t h,
			     uint16_t bps, uint16_t comp, float xres, float yres)
{
	const char *p = path(name);
	TIFF   *t = TIFFOpen(p, "w");
	tmsize_t ln;
	unsigned char *row;
	uint32_t y, x;
	unsigned pg;

	for (pg = 0; pg < pages; pg++) {
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bps);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_COMPRESSION, comp);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, bps == 1 ? PHOTOMETRIC_MINISWHITE : PHOTOMETRIC_MINISBLACK);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, bps == 1 ? h : 64);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, xres);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, yres);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(t, TIFFTAG_PAGENUMBER, pg, pages);
		ln = TIFFScanlineSize(t);
		row = malloc((size_t) ln);
		for (y = 0; y < h; y++) {
			for (x = 0; x < (uint32_t) ln; x++)
				row[x] = bps == 1 ? pattern(pg, y, x)
				    /* gray: white paper, a black box 1/4 in from top-left, 1 in square */
				    : (y >= h / 44 && y < h / 44 + h / 11 && x >= w / 33 && x < w / 33 + w / 8) ? 0 : 255;
			TIFFWriteScanline(t, row, y, 0);
		}
		free(row);
		TIFFWriteDirectory(t);
	}
	TIFFClose(t);
	return p;
}

/* rows_equal - compare every row of out's pages with pattern(), returns mismatches */
static long rows_equal(unsigned pages, uint32_t h)
{
	TIFF   *t = TIFFOpen(out, "r");
	unsigned char row[216];
	long	bad = 0;
	uint32_t y, x;
	unsigned pg;

	for (pg = 0; t && pg < pages; pg++) {
		if (pg && !TIFFReadDirectory(t))
			return -1;
		for (y = 0; y < h; y++) {
			if (TIFFReadScanline(t, row, y, 0) < 0)
				return -1;
			for (x = 0; x < 216; x++)
				bad += row[x] != pattern(pg, y, x);
		}
	}
	if (t)
		TIFFClose(t);
	return t ? bad : -1;
}

/* black_at - whether out's page 1 has a black pixel at x, y, returns 1 or 0 */
static int black_at(uint32_t x, uint32_t y)
{
	TIFF   *t = TIFFOpen(out, "r");
	unsigned char row[216];
	uint32_t i;
	int	r = 0;

	for (i = 0; t && i <= y; i++)
		TIFFReadScanline(t, row, i, 0);
	if (t)
		r = (row[x / 8] >> (7 - x % 8)) & 1, TIFFClose(t);
	return r;
}

/*
 * lying_tiff - a TIFF whose one directory claims width x height 8-bit
 * gray with a strip of 16 bytes: libtiff will not write such a file
 */
static const char *lying_tiff(const char *name, uint32_t width, uint32_t height)
{
	unsigned char b[8 + 2 + 9 * 12 + 4 + 16];
	static const uint16_t tags[9] = {256, 257, 258, 259, 262, 273, 277, 278, 279};
	uint32_t vals[9] = {width, height, 8, 1, 1, 8 + 2 + 9 * 12 + 4, 1, height, 16};
	size_t	i, o = 10;

	memset(b, 0, sizeof(b));
	memcpy(b, "II*\0\x08\0\0\0\x09\0", 10);
	for (i = 0; i < 9; i++, o += 12) {
		b[o] = (unsigned char) tags[i], b[o + 1] = (unsigned char) (tags[i] >> 8);
		b[o + 2] = 4;		/* LONG */
		b[o + 4] = 1;		/* count */
		memcpy(b + o + 8, &vals[i], 4);	/* little-endian host */
	}
	return put(name, (const char *) b, (long) sizeof(b));
}

int	main(void)
{
	render_doc_t d[3];
	render_cover_t cover = {"Alice (a@example.org)", "+49 30 1234567",
	    "Contract \\ draft (v2) \xc3\xa9t\xc3\xa9 \xe2\x80\x94 \xe4\xb8\xad", "Mon, 1 Jan 2024"};
	struct info in;
	char	err[256], *text;
	unsigned pages;
	size_t	i;
	int	rc;
	struct timespec t0, t1;

	snprintf(dir, sizeof(dir), "/tmp/render-test-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	snprintf(out, sizeof(out), "%s/out.tif", dir);
	mkdir(tmp, 0700);
	TIFFSetWarningHandler(NULL);
	memset(d, 0, sizeof(d));

	/* Text: 60 lines a page; escaping and Latin-1 must not upset gs. */
	text = malloc(300000);
	for (text[0] = 0, i = 0; i < 150; i++)
		sprintf(text + strlen(text), "line %zu (paren) back\\slash caf\xc3\xa9\n", i + 1);
	d[0] = (render_doc_t) {RENDER_TEXT, put("t150.txt", text, -1), "t150.txt"};
	rc = render(d, 1, 1, NULL, &pages, err);
	is_int(rc, 0, "text renders (%s)", err);
	is_int(pages, 3, "150 lines are 3 pages");
	info(out, &in);
	ok(in.w[0] == 1728 && in.h[0] == 2292, "text page is 1728x2292 (%ux%u)", in.w[0], in.h[0]);
	is_int(in.comp, COMPRESSION_CCITTFAX4, "G4");
	is_int(entries(tmp), 0, "no temporary files left");

	for (text[0] = 0, i = 0; i < 59; i++)
		strcat(text, "short\n");
	for (i = 0; i < 200; i++)	/* 200 characters: three lines */
		strcat(text, i % 10 == 9 ? " " : "x");
	strcat(text, "\n\n\n\n");
	d[0].path = put("wrap.txt", text, -1);
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == 0 && pages == 2, "59 lines and a wrapped one of 3 lines are 2 pages (%d, %u)", rc, pages);

	d[0].path = put("ff.txt", "page one\n\fpage two\n\f\n\n", -1);
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == 0 && pages == 2, "a form feed starts a page, a trailing one does not (%u)", pages);

	d[0].path = put("odd.txt", "((( ))) \\\\ \\( ) \xe9 \xc3\xa9\t\xe2\x82\xac\x01\r\n", -1);
	rc = render(d, 1, 0, NULL, &pages, err);
	ok(rc == 0 && pages == 1, "parentheses, backslashes, Latin-1 and invalid UTF-8 render (%s)", err);
	info(out, &in);
	ok(in.h[0] == 1146 && in.yres == 98, "standard text page is 1146 rows at 98 dpi (%u, %.0f)", in.h[0], in.yres);

	d[0].path = put("empty.txt", "", 0);
	rc = render(d, 1, 1, NULL, &pages, err);
	is_int(rc, RENDER_EBAD, "an empty text alone: nothing to send");
	ok(strstr(err, "no pages") != NULL, "  says so: %s", err);
	ok(access(out, F_OK) != 0, "  and writes no output");
	d[1] = (render_doc_t) {RENDER_TEXT, path("t150.txt"), NULL};
	rc = render(d, 2, 1, NULL, &pages, err);
	ok(rc == 0 && pages == 3, "an empty text adds no page (%u)", pages);

	/* A fax TIFF at the target resolution comes through bit for bit. */
	d[0] = (render_doc_t) {RENDER_TIFF, make_tiff("fax.tif", 2, 1728, 2292, 1, COMPRESSION_CCITTFAX4, 204, 196), "fax.tif"};
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == 0 && pages == 2, "2-page fax TIFF renders (%s)", err);
	is_int(rows_equal(2, 2292), 0, "every row of both pages is unchanged");
	info(out, &in);
	ok(in.pn[0] == 0 && in.pn[1] == 2, "PageNumber 0/2 (%u/%u)", in.pn[0], in.pn[1]);
	make_tiff("fax3.tif", 1, 1728, 2292, 1, COMPRESSION_CCITTFAX3, 203, 195.58f);
	d[0].path = path("fax3.tif");
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == 0 && rows_equal(1, 2292) == 0, "G3 at 203x195.58 dpi (8 lines/mm) is taken as fine, bit for bit");
	d[0].path = path("fax.tif");
	rc = render(d, 1, 0, NULL, &pages, err);
	info(out, &in);
	ok(rc == 0 && in.h[0] == 1146 && in.h[1] == 1146, "fine to standard halves the rows (%u)", in.h[0]);

	/* An A4 grayscale scan at 300 dpi lands at its physical size. */
	d[0] = (render_doc_t) {RENDER_TIFF, make_tiff("gray.tif", 1, 2480, 3508, 8, COMPRESSION_ADOBE_DEFLATE, 300, 300), NULL};
	rc = render(d, 1, 1, NULL, &pages, err);
	is_int(rc, 0, "300 dpi grayscale renders (%s)", err);
	info(out, &in);
	is_int(in.w[0], 1728, "  width 1728");
	ok(in.h[0] >= 2290 && in.h[0] <= 2294, "  %u rows, about 3508 x 196 / 300 = 2292", in.h[0]);
	ok(in.xres == 204 && in.yres == 196, "  resolution 204x196 (%.1f, %.1f)", in.xres, in.yres);
	ok(black_at(21 + 100, 52 + 100) && !black_at(21 + 300, 52 + 100) && !black_at(10, 10),
	    "  the black square is where it belongs");
	is_int(in.photo, PHOTOMETRIC_MINISWHITE, "  min-is-white");

	/* Limits are checked before anything is decoded. */
	d[0] = (render_doc_t) {RENDER_TIFF, lying_tiff("wide.tif", 4000000000u, 50000), "wide.tif"};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = render(d, 1, 1, NULL, &pages, err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(rc == RENDER_EBAD && strstr(err, "pixels wide (limit 10000)"), "huge width refused: %s", err);
	ok(t1.tv_sec - t0.tv_sec < 2, "  fast");
	d[0].path = lying_tiff("high.tif", 100, 50000);
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == RENDER_EBAD && strstr(err, "pixels high (limit 20000)"), "huge height refused: %s", err);
	d[0].path = make_tiff("many.tif", 201, 16, 2, 1, COMPRESSION_NONE, 204, 196);
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == RENDER_EBAD && strstr(err, "201 pages (limit 200)"), "201 pages refused: %s", err);
	d[0].path = put("junk.tif", "II*\0garbage", 11);
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == RENDER_EBAD && strstr(err, "TIFF"), "junk TIFF: %s", err);
	is_int(entries(tmp), 0, "no temporary files left");

	/* PDF, at both resolutions. */
	d[0] = (render_doc_t) {RENDER_PDF, gs_pdf("a4.pdf", a4_ps, ""), "a4.pdf"};
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == 0 && pages == 3, "3-page PDF gives 3 pages (%d %s)", rc, err);
	info(out, &in);
	ok(in.w[0] == 1728 && in.w[2] == 1728 && in.h[0] == 2292, "  1728x2292 (%ux%u)", in.w[0], in.h[0]);
	ok(in.comp == COMPRESSION_CCITTFAX4 && in.xres == 204 && in.yres == 196, "  G4 at 204x196");
	rc = render(d, 1, 0, NULL, &pages, err);
	info(out, &in);
	ok(rc == 0 && pages == 3 && in.h[0] == 1146 && in.yres == 98, "  standard: 1146 rows at 98 dpi");

	d[0] = (render_doc_t) {RENDER_PDF, gs_pdf("mixed.pdf",
	    "%!PS\n/pg { /h exch def /w exch def << /PageSize [w h] >> setpagedevice 10 10 moveto 100 100 lineto stroke showpage } def\n"
	    "612 792 pg 842 595 pg 595 3000 pg\n", ""), "mixed.pdf"};
	rc = render(d, 1, 1, NULL, &pages, err);
	info(out, &in);
	ok(rc == 0 && pages == 6, "Letter, landscape A4, a 3000 pt page: 6 pages (%u)", pages);
	ok(in.h[0] >= 2147 && in.h[0] <= 2151, "  Letter is shrunk to the line: %u rows", in.h[0]);
	is_int(in.h[1], 2292, "  landscape A4 is turned to portrait");
	ok(in.h[2] + in.h[3] + in.h[4] + in.h[5] == 8167 && in.h[2] <= 2292 && in.h[5] <= 2292,
	    "  the 8167 rows of the long page are cut in 4 (%u, %u, %u, %u)", in.h[2], in.h[3], in.h[4], in.h[5]);

	/* PostScript. */
	d[0] = (render_doc_t) {RENDER_PS, put("a4.ps", a4_ps, -1), "a4.ps"};
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == 0 && pages == 3, "PostScript: 3 pages (%s)", err);
	d[0].path = put("bad.ps", "%!PS\n/foo nosuchthing\n", -1);
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == RENDER_EBAD && strstr(err, "PostScript could not be rendered: /undefined"), "broken PostScript: %s", err);

	/* Broken and encrypted PDF. */
	d[0] = (render_doc_t) {RENDER_PDF, put("junk.pdf", "%PDF-1.4\n1 0 obj << /Type /Catalog >>\n%%EOF\n", -1), "junk.pdf"};
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == RENDER_EBAD && strstr(err, "document 1 (junk.pdf): PDF could not be rendered: "), "broken PDF: %s", err);
	d[0].path = put("zero.pdf", "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
	    "2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", -1);
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == RENDER_EBAD && strstr(err, "PDF has no pages"), "PDF without pages: %s", err);
	d[1] = (render_doc_t) {RENDER_PDF, gs_pdf("contract.pdf", a4_ps, "-sOwnerPassword=o -sUserPassword=u"), "contract.pdf"};
	d[0] = (render_doc_t) {RENDER_TEXT, path("t150.txt"), NULL};
	rc = render(d, 2, 1, NULL, &pages, err);
	is_int(rc, RENDER_EBAD, "encrypted PDF is refused");
	is_str(err, "document 2 (contract.pdf): PDF is encrypted (password required)", "  with the reason");
	ok(access(out, F_OK) != 0, "  and no output");
	d[0] = (render_doc_t) {RENDER_PDF, gs_pdf("owner.pdf", a4_ps, "-sOwnerPassword=o"), NULL};
	rc = render(d, 1, 1, NULL, &pages, err);
	ok(rc == 0 && pages == 3, "a PDF with only an owner password renders (%s)", err);
	is_int(entries(tmp), 0, "no temporary files left");

	/* The cover page comes first and counts the document pages. */
	d[0] = (render_doc_t) {RENDER_PDF, path("a4.pdf"), NULL};
	d[1] = (render_doc_t) {RENDER_TEXT, path("ff.txt"), NULL};
	rc = render(d, 2, 1, &cover, &pages, err);
	ok(rc == 0 && pages == 6, "cover page adds one page (%u, %s)", pages, err);
	info(out, &in);
	ok(in.pn[0] == 0 && in.pn[1] == 6 && in.h[0] == 2292, "  it is page 0 of 6, A4");
	is_int(entries(tmp), 0, "no temporary files left");

	/* Limits on gs: CPU time and output size. */
	{
		render_opts_t o;

		render_opts_default(&o);
		o.tmpdir = tmp;
		o.cpu_limit = 1;
		d[0] = (render_doc_t) {RENDER_PS, put("loop.ps", "%!PS\n{ 1 pop } loop\n", -1), "loop.ps"};
		rc = render_documents(d, 1, &o, out, &pages, err, sizeof(err));
		is_str(err, "document 1 (loop.ps): rendering used more than 1 s of CPU time", "endless loop: CPU limit");
		o.cpu_limit = 0;
		o.file_limit = 1 << 20;
		for (text[0] = 0, i = 0; i < 3000; i++) {
			size_t	k, n = strlen(text);

			for (k = 0; k < 79; k++)
				text[n + k] = (char) ('!' + (i * 31 + k * k * 7) % 94);
			strcpy(text + n + 79, "\n");
		}
		d[0] = (render_doc_t) {RENDER_TEXT, put("noise.txt", text, -1), "noise.txt"};
		rc = render_documents(d, 1, &o, out, &pages, err, sizeof(err));
		is_str(err, "document 1 (noise.txt): rendering wrote more than 1 MiB", "50 dense pages: output limit");
	}
	is_int(entries(tmp), 0, "no temporary files left");

	/* Local trouble is temporary. */
	{
		render_opts_t o;

		render_opts_default(&o);
		o.tmpdir = tmp;
		o.gs_path = "/nonexistent/gs";
		rc = render_documents(d, 1, &o, out, &pages, err, sizeof(err));
		ok(rc == RENDER_ETEMP && strstr(err, "cannot be run"), "missing gs: %s", err);
		d[0].path = path("nonexistent.pdf");
		rc = render_documents(d, 1, &o, out, &pages, err, sizeof(err));
		ok(rc == RENDER_ETEMP, "missing input: %s", err);
		o.tmpdir = "/nonexistent";
		rc = render_documents(d, 1, &o, out, &pages, err, sizeof(err));
		ok(rc == RENDER_ETEMP, "unusable tmpdir: %s", err);
	}
	is_int(entries(tmp), 0, "no temporary files left");
	{
		char	cmd[400];

		snprintf(cmd, sizeof(cmd), "ls %s | grep -q '^out.tif.'", dir);
		ok(system(cmd) != 0, "no temporary output file left beside the output");
	}

	free(text);
	if (getenv("KEEP") == NULL) {
		char	cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("cannot remove %s", dir);
	}
	return done_testing();
}
