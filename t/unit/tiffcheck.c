/*
 * tiffcheck.c - unit tests for common/tiffcheck.c
 *
 * Real TIFFs are written with libtiff into a temporary file and read
 * back; hostile ones are put together byte by byte, because libtiff
 * will not write a file that lies about its size.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tiffio.h>

#include "tap.h"
#include "tiffcheck.h"

/* slurp - read a whole file into malloc()ed memory, returns it or NULL */
static unsigned char *slurp(const char *path, size_t *len)
{
	FILE   *fp = fopen(path, "rb");
	unsigned char *buf;
	long	n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc(n > 0 ? (size_t) n : 1);
	if (buf && fread(buf, 1, (size_t) n, fp) != (size_t) n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	*len = (size_t) n;
	return buf;
}

/*
 * make_fax_tiff - write a bilevel TIFF of npages pages of width x
 * height with libtiff, returns it in malloc()ed memory or NULL
 */
static unsigned char *make_fax_tiff(unsigned npages, uint32_t width,
				    uint32_t height, uint16_t comp,
				    size_t *len)
{
	char	path[] = "/tmp/tiffcheck-test-XXXXXX";
	unsigned char *row, *data;
	TIFF   *tif;
	int	fd;
	unsigned p;
	uint32_t y, x;

	if ((fd = mkstemp(path)) < 0)
		return NULL;
	close(fd);
	if ((tif = TIFFOpen(path, "w")) == NULL) {
		unlink(path);
		return NULL;
	}
	row = calloc(1, (width + 7) / 8);
	for (p = 0; p < npages; p++) {
		TIFFSetField(tif, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width);
		TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height);
		TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(tif, TIFFTAG_COMPRESSION, comp);
		if (comp == COMPRESSION_CCITTFAX3)
			TIFFSetField(tif, TIFFTAG_GROUP3OPTIONS,
				     GROUP3OPT_FILLBITS);
		TIFFSetField(tif, TIFFTAG_PHOTOMETRIC,
			     PHOTOMETRIC_MINISWHITE);
		TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
		TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
		TIFFSetField(tif, TIFFTAG_XRESOLUTION, 204.0);
		TIFFSetField(tif, TIFFTAG_YRESOLUTION, 196.0);
		TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, height);
		TIFFSetField(tif, TIFFTAG_PAGENUMBER, p, npages);
		for (y = 0; y < height; y++) {
			/* Some black runs, so the codes are not all white. */
			memset(row, 0, (width + 7) / 8);
			for (x = (y * 7 + p) % 64; x < width; x += 97)
				row[x / 8] |= (unsigned char) (0x80 >> (x % 8));
			if (TIFFWriteScanline(tif, row, y, 0) < 0)
				break;
		}
		TIFFWriteDirectory(tif);
	}
	TIFFClose(tif);
	free(row);
	data = slurp(path, len);
	unlink(path);
	return data;
}

/* A TIFF put together by hand: little-endian, one strip block per page. */
struct cpage {
	uint32_t width, height, bps, spp, comp, rps, nstrips;
	const unsigned char *strip;	/* every strip points here */
	uint32_t striplen;
};

struct cbuf {
	unsigned char *p;
	size_t	len, cap;
};

/* cb_put - append n bytes to b */
static void cb_put(struct cbuf *b, const void *src, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
	}
	if (src)
		memcpy(b->p + b->len, src, n);
	else
		memset(b->p + b->len, 0, n);
	b->len += n;
}

/* le16 - store a 16-bit value little-endian at b->p + off */
static void le16(struct cbuf *b, size_t off, uint32_t v)
{
	b->p[off] = (unsigned char) v;
	b->p[off + 1] = (unsigned char) (v >> 8);
}

/* le32 - store a 32-bit value little-endian at b->p + off */
static void le32(struct cbuf *b, size_t off, uint32_t v)
{
	le16(b, off, v & 0xffff);
	le16(b, off + 2, v >> 16);
}

struct centry {
	uint16_t tag, type;		/* type 3 = SHORT, 4 = LONG */
	uint32_t count;
	uint32_t value;			/* every element has this value */
};

/* craft_tiff - build a TIFF from the page descriptions, returns malloc()ed bytes */
static unsigned char *craft_tiff(const struct cpage *pages, unsigned npages,
				 size_t *len)
{
	struct cbuf b = { 0 };
	size_t	next_ptr;
	unsigned p;

	cb_put(&b, "II*\0", 4);
	next_ptr = b.len;
	cb_put(&b, NULL, 4);
	for (p = 0; p < npages; p++) {
		const struct cpage *pg = &pages[p];
		uint32_t data_off;
		struct centry e[9];
		size_t	ifd, i, n = 0;

		/* The strip data first, so the IFD can point back at it. */
		while (b.len % 2)
			cb_put(&b, NULL, 1);
		data_off = (uint32_t) b.len;
		cb_put(&b, pg->strip, pg->striplen);
		while (b.len % 2)
			cb_put(&b, NULL, 1);

		e[n++] = (struct centry) { 256, 4, 1, pg->width };
		e[n++] = (struct centry) { 257, 4, 1, pg->height };
		e[n++] = (struct centry) { 258, 3, pg->spp, pg->bps };
		e[n++] = (struct centry) { 259, 3, 1, pg->comp };
		e[n++] = (struct centry) { 262, 3, 1, 0 };
		e[n++] = (struct centry) { 273, 4, pg->nstrips, data_off };
		e[n++] = (struct centry) { 277, 3, 1, pg->spp };
		e[n++] = (struct centry) { 278, 4, 1, pg->rps };
		e[n++] = (struct centry) { 279, 4, pg->nstrips, pg->striplen };

		le32(&b, next_ptr, (uint32_t) b.len);
		ifd = b.len;
		cb_put(&b, NULL, 2 + n * 12 + 4);
		le16(&b, ifd, (uint32_t) n);
		next_ptr = ifd + 2 + n * 12;
		for (i = 0; i < n; i++) {
			size_t	at = ifd + 2 + i * 12;
			size_t	esize = e[i].type == 3 ? 2 : 4;
			size_t	total = esize * e[i].count, k, where;

			le16(&b, at, e[i].tag);
			le16(&b, at + 2, e[i].type);
			le32(&b, at + 4, e[i].count);
			if (total <= 4) {
				where = at + 8;
			} else {
				where = b.len;
				le32(&b, at + 8, (uint32_t) where);
				cb_put(&b, NULL, total);
			}
			for (k = 0; k < e[i].count; k++) {
				if (esize == 2)
					le16(&b, where + k * 2, e[i].value);
				else
					le32(&b, where + k * 4, e[i].value);
			}
		}
	}
	*len = b.len;
	return b.p;
}

/* contains - does s contain sub, returns 1 or 0 */
static int contains(const char *s, const char *sub)
{
	return s && strstr(s, sub) != NULL;
}

/* now - monotonic seconds */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct thread_job {
	const unsigned char *data;
	size_t	len;
	const char *want;
	int	mismatches;
};

/* check_thread - run the same bad file many times, count wrong reasons */
static void *check_thread(void *arg)
{
	struct thread_job *job = arg;
	char	err[256];
	int	i;

	for (i = 0; i < 200; i++) {
		if (tiffcheck_mem(job->data, job->len, NULL, NULL, err,
				  sizeof(err)) != -1
		    || strcmp(err, job->want) != 0)
			job->mismatches++;
	}
	return NULL;
}

/* main - the cases, returns the TAP exit status */
int	main(void)
{
	tiffcheck_info_t info;
	tiffcheck_limits_t lim;
	unsigned char *tif, *bad;
	size_t	len = 0, blen;
	char	err[256];
	int	rc;

	/* A real two-page G3 fax. */
	tif = make_fax_tiff(2, 1728, 200, COMPRESSION_CCITTFAX3, &len);
	ok(tif != NULL, "libtiff wrote a 2-page G3 TIFF (%zu bytes)", len);
	rc = tiffcheck_mem(tif, len, NULL, &info, err, sizeof(err));
	is_int(rc, 0, "2-page G3 TIFF passes");
	is_str(err, "", "no reason on success");
	is_int(info.pages, 2, "2 pages");
	is_int(info.width, 1728, "page 1 is 1728 wide");
	is_int(info.height, 200, "page 1 is 200 high");
	is_int(info.compression, COMPRESSION_CCITTFAX3, "G3 compression");
	ok(info.xres > 203.9 && info.xres < 204.1, "xres 204 dpi (%g)",
	   info.xres);
	ok(info.yres > 195.9 && info.yres < 196.1, "yres 196 dpi (%g)",
	   info.yres);
	is_int(tiffcheck_mem(tif, len, NULL, NULL, NULL, 0), 0,
	       "info and err may be NULL");

	/* Page limit from the caller. */
	memset(&lim, 0, sizeof(lim));
	lim.max_pages = 1;
	rc = tiffcheck_mem(tif, len, &lim, &info, err, sizeof(err));
	is_int(rc, -1, "2 pages refused with max_pages 1");
	is_str(err, "TIFF has 2 pages (limit 1)", "page limit reason");
	is_int(info.pages, 0, "info cleared on failure");

	/* Width limit from the caller; zero members mean the defaults. */
	memset(&lim, 0, sizeof(lim));
	lim.max_width = 1000;
	rc = tiffcheck_mem(tif, len, &lim, NULL, err, sizeof(err));
	is_int(rc, -1, "1728 wide refused with max_width 1000");
	is_str(err, "TIFF page 1 is 1728 pixels wide (limit 1000)",
	       "width limit reason");

	/* Truncated file. */
	rc = tiffcheck_mem(tif, len / 2, NULL, NULL, err, sizeof(err));
	is_int(rc, -1, "truncated TIFF refused");
	ok(contains(err, "TIFF is not decodable: "), "truncated: %s", err);

	/* Corrupt the compressed data of page 1 but keep the structure. */
	bad = malloc(len);
	memcpy(bad, tif, len);
	for (blen = 16; blen < len / 3; blen++)
		bad[blen] = (unsigned char) (blen * 151 + 7);
	rc = tiffcheck_mem(bad, len, NULL, NULL, err, sizeof(err));
	is_int(rc, -1, "G3 TIFF with scrambled data refused");
	ok(contains(err, "TIFF is not decodable: page 1: "), "scrambled: %s",
	   err);
	free(bad);
	free(tif);

	/* Other codecs decode too. */
	tif = make_fax_tiff(1, 1728, 100, COMPRESSION_CCITTFAX4, &len);
	rc = tiffcheck_mem(tif, len, NULL, &info, err, sizeof(err));
	is_int(rc, 0, "G4 TIFF passes");
	is_int(info.compression, COMPRESSION_CCITTFAX4, "G4 compression");
	free(tif);
	tif = make_fax_tiff(1, 1728, 100, COMPRESSION_NONE, &len);
	is_int(tiffcheck_mem(tif, len, NULL, NULL, err, sizeof(err)), 0,
	       "uncompressed TIFF passes");
	free(tif);

	/* 300 tiny pages against the default limit of 200. */
	tif = make_fax_tiff(300, 8, 1, COMPRESSION_NONE, &len);
	rc = tiffcheck_mem(tif, len, NULL, NULL, err, sizeof(err));
	is_int(rc, -1, "300 pages refused");
	is_str(err, "TIFF has 300 pages (limit 200)", "default page limit");
	free(tif);

	/* Not a TIFF at all. */
	rc = tiffcheck_mem("hello, world, this is text", 26, NULL, NULL, err,
			   sizeof(err));
	is_int(rc, -1, "text refused");
	ok(contains(err, "TIFF is not decodable: ") &&
	   contains(err, "Not a TIFF"), "text: %s", err);
	rc = tiffcheck_mem("", 0, NULL, NULL, err, sizeof(err));
	is_int(rc, -1, "empty buffer refused");
	is_str(err, "TIFF is not decodable: file is 0 bytes, too short for a TIFF",
	       "empty buffer reason");
	rc = tiffcheck_mem("II*\0\x08\0\0\0\xff\xff\xff\xff", 12, NULL, NULL,
			   err, sizeof(err));
	is_int(rc, -1, "bogus IFD refused");
	ok(contains(err, "TIFF is not decodable: "), "bogus IFD: %s", err);

	/* Hand-made files: first one that is honest, to trust the builder. */
	{
		static const unsigned char zeros[8 * 16];
		struct cpage pg = { 64, 16, 1, 1, 1, 16, 1, zeros,
				    sizeof(zeros) };

		tif = craft_tiff(&pg, 1, &len);
		rc = tiffcheck_mem(tif, len, NULL, &info, err, sizeof(err));
		is_int(rc, 0, "hand-made 64x16 uncompressed TIFF passes");
		if (rc)
			diag("%s", err);
		is_int(info.xres, 0, "no resolution tag gives 0");
		free(tif);
	}

	/* Decompression bomb: one byte claiming a 1e6 x 1e6 page. */
	{
		static const unsigned char one[1] = { 0 };
		struct cpage pg = { 1000000, 1000000, 1, 1, 4, 1000000, 1,
				    one, 1 };
		double	t0;

		tif = craft_tiff(&pg, 1, &len);
		t0 = now();
		rc = tiffcheck_mem(tif, len, NULL, NULL, err, sizeof(err));
		is_int(rc, -1, "1e6 x 1e6 G4 page refused");
		is_str(err, "TIFF page 1 is 1000000 pixels wide (limit 4864)",
		       "bomb reason names the width");
		ok(now() - t0 < 0.5, "refused quickly (%.3f s)", now() - t0);
		free(tif);
	}

	/* The limit is checked on every page, not just the first. */
	{
		static const unsigned char one[1] = { 0 };
		static const unsigned char zeros[8 * 16];
		struct cpage pg[2] = {
			{ 64, 16, 1, 1, 1, 16, 1, zeros, sizeof(zeros) },
			{ 90000, 100, 1, 1, 4, 100, 1, one, 1 },
		};

		tif = craft_tiff(pg, 2, &len);
		rc = tiffcheck_mem(tif, len, NULL, NULL, err, sizeof(err));
		is_int(rc, -1, "page 2 too wide refused");
		is_str(err, "TIFF page 2 is 90000 pixels wide (limit 4864)",
		       "reason names page 2");
		free(tif);

		pg[1].width = 1728;
		pg[1].height = pg[1].rps = 20000;
		tif = craft_tiff(pg, 2, &len);
		rc = tiffcheck_mem(tif, len, NULL, NULL, err, sizeof(err));
		is_int(rc, -1, "page 2 too high refused");
		is_str(err, "TIFF page 2 is 20000 pixels high (limit 10000)",
		       "height reason");
		free(tif);
	}

	/* G3 page within limits whose data is noise. */
	{
		unsigned char noise[4096];
		struct cpage pg = { 1728, 100, 1, 1, 3, 100, 1, noise,
				    sizeof(noise) };
		size_t	i;

		for (i = 0; i < sizeof(noise); i++)
			noise[i] = (unsigned char) ((i * 2654435761u) >> 13);
		tif = craft_tiff(&pg, 1, &len);
		rc = tiffcheck_mem(tif, len, NULL, NULL, err, sizeof(err));
		is_int(rc, -1, "G3 noise refused");
		ok(contains(err, "TIFF is not decodable: page 1: "),
		   "noise: %s", err);
		ok(strlen(err) <= 120, "reason is at most 120 chars");
		free(tif);
	}

	/* Strip data missing: the offsets point past the end. */
	{
		static const unsigned char zeros[8];
		struct cpage pg = { 1728, 100, 1, 1, 1, 100, 1, zeros,
				    sizeof(zeros) };

		tif = craft_tiff(&pg, 1, &len);
		rc = tiffcheck_mem(tif, len, NULL, NULL, err, sizeof(err));
		is_int(rc, -1, "short uncompressed strip refused");
		ok(contains(err, "TIFF is not decodable: page 1: "),
		   "short strip: %s", err);
		free(tif);
	}

	/* Within the pixel limits but 8 samples of 8 bits: too much to decode. */
	{
		static const unsigned char one[1] = { 0 };
		struct cpage pg = { 4864, 10000, 8, 8, 1, 1, 10000, one, 1 };

		tif = craft_tiff(&pg, 1, &len);
		rc = tiffcheck_mem(tif, len, NULL, NULL, err, sizeof(err));
		is_int(rc, -1, "371 MB page refused");
		is_str(err, "TIFF page 1 decodes to 371 MB (limit 256 MB)",
		       "decode size reason");
		free(tif);
	}

	/* Reasons are per call even with threads, and nothing hits stderr. */
	{
		static const char want[] = "TIFF page 1 is 1000000 pixels wide (limit 4864)";
		static const unsigned char one[1] = { 0 };
		struct cpage pg = { 1000000, 1000000, 1, 1, 4, 1000000, 1,
				    one, 1 };
		char	path[] = "/tmp/tiffcheck-stderr-XXXXXX";
		struct thread_job jobs[4];
		pthread_t tids[4];
		unsigned char *text = (unsigned char *) "II*\0garbage-garbage";
		int	fd, saved, i, mism = 0;
		struct stat st;

		fflush(stderr);
		fd = mkstemp(path);
		saved = dup(2);
		dup2(fd, 2);

		tif = craft_tiff(&pg, 1, &len);
		tiffcheck_mem(text, strlen((char *) text), NULL, NULL, err,
			      sizeof(err));
		{
			char	want2[256];

			snprintf(want2, sizeof(want2), "%s", err);
			for (i = 0; i < 4; i++) {
				jobs[i].data = i % 2 ? tif : text;
				jobs[i].len = i % 2 ? len
					: strlen((char *) text);
				jobs[i].want = i % 2 ? want : want2;
				jobs[i].mismatches = 0;
				pthread_create(&tids[i], NULL, check_thread,
					       &jobs[i]);
			}
			for (i = 0; i < 4; i++) {
				pthread_join(tids[i], NULL);
				mism += jobs[i].mismatches;
			}
		}
		fflush(stderr);
		dup2(saved, 2);
		close(saved);
		fstat(fd, &st);
		close(fd);
		unlink(path);
		is_int(mism, 0, "4 threads x 200 calls all got their own reason");
		is_int(st.st_size, 0, "libtiff wrote nothing to stderr");
		free(tif);
	}

	return done_testing();
}
