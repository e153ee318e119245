/*
 * Unit tests: faxgate-onramp's modules. tiffs (received pages to TIFF
 * Profile S: tags, pixels kept, resampling, inversion, centring, refusals),
 * mail (headers, parts, hostile station IDs, From), child (exit status,
 * standard error, deadline, a program that is not there).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <tiffio.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "child.h"
#include "faxtest.h"
#include "mail.h"
#include "tap.h"
#include "tiffs.h"

static char dir[] = "/tmp/faxgate-onramp-mail-XXXXXX";
static char in[300], out[300], g4[300];

/* A page with a frame and a diagonal, different on each page. */
static void row_fn(int page, int y, uint8_t *row)
{
	int x = (y * 3 + page * 100) % FAXTEST_W;

	row[x / 8] |= (uint8_t)(0x80 >> (x % 8));
	if (y < 4)
		memset(row, 0xff, FAXTEST_ROWB);
	row[0] |= 0x80;
}

/* write_custom - one page of w x h, bits from fill, with these tags */
static int write_custom(const char *path, uint32_t w, uint32_t h, float xres, float yres,
    uint16_t unit, uint16_t photo, uint16_t bps, int black_x)
{
	TIFF *t = TIFFOpen(path, "w");
	size_t stride = bps == 1 ? (w + 7) / 8 : w;
	uint8_t *buf = calloc(1, stride);

	if (!t || !buf)
		return -1;
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bps);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_COMPRESSION, bps == 1 ? COMPRESSION_CCITTFAX4 : COMPRESSION_LZW);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, photo);
	TIFFSetField(t, TIFFTAG_XRESOLUTION, xres);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, yres);
	TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, unit);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, h);
	for (uint32_t y = 0; y < h; y++) {
		/* min-is-black: white is 1, so the page is all ones but one pixel */
		memset(buf, photo == PHOTOMETRIC_MINISBLACK && bps == 1 ? 0xff : 0, stride);
		if (black_x >= 0 && y == h / 2 && bps == 1) {
			if (photo == PHOTOMETRIC_MINISBLACK)
				buf[black_x / 8] &= (uint8_t)~(0x80 >> (black_x % 8));
			else
				buf[black_x / 8] |= (uint8_t)(0x80 >> (black_x % 8));
		}
		TIFFWriteScanline(t, buf, y, 0);
	}
	TIFFClose(t);
	free(buf);
	return 0;
}

/* black_at - is pixel (x, y) of page 0 of path black (min-is-white data) */
static int black_at(const char *path, uint32_t x, uint32_t y)
{
	TIFF *t = TIFFOpen(path, "r");
	uint8_t buf[FAXTEST_ROWB];
	int b = -1;

	/* G3 reads lines in order only. */
	for (uint32_t i = 0; t && TIFFScanlineSize(t) == FAXTEST_ROWB && i <= y; i++)
		if (TIFFReadScanline(t, buf, i, 0) < 0)
			break;
		else if (i == y)
			b = (buf[x / 8] >> (7 - x % 8)) & 1;
	if (t)
		TIFFClose(t);
	return b;
}

/* count_black - black pixels on page 0 */
static long count_black(const char *path)
{
	TIFF *t = TIFFOpen(path, "r");
	uint8_t buf[FAXTEST_ROWB];
	uint32_t h = 0;
	long n = 0;

	if (!t)
		return -1;
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	for (uint32_t y = 0; y < h; y++) {
		if (TIFFReadScanline(t, buf, y, 0) < 0)
			break;
		for (int i = 0; i < FAXTEST_ROWB; i++)
			n += __builtin_popcount(buf[i]);
	}
	TIFFClose(t);
	return n;
}

static void test_profile_s(void)
{
	tiffs_info_t info;
	char err[256];
	TIFF *a, *b;
	int same = 1, pages = 0, tags = 1;

	faxtest_write_tiff(in, 3, 300, row_fn);
	ok(tiffs_convert(in, out, g4, &info, err, sizeof(err)) == 0, "a 3-page fine fax converts");
	ok(info.pages == 3 && info.yres == 196 && !info.resampled, "  3 pages, 196 lpi, pixels kept");
	a = TIFFOpen(in, "r");
	b = TIFFOpen(out, "r");
	do {
		uint16_t comp = 0, fill = 0, photo = 9, unit = 0, pn = 9, pt = 0;
		uint32_t w = 0, g3 = 99, sft = 0, rps = 0;
		float xr = 0, yr = 0;
		uint8_t ra[FAXTEST_ROWB], rb[FAXTEST_ROWB];

		TIFFGetField(b, TIFFTAG_COMPRESSION, &comp);
		TIFFGetField(b, TIFFTAG_GROUP3OPTIONS, &g3);
		TIFFGetField(b, TIFFTAG_FILLORDER, &fill);
		TIFFGetField(b, TIFFTAG_PHOTOMETRIC, &photo);
		TIFFGetField(b, TIFFTAG_IMAGEWIDTH, &w);
		TIFFGetField(b, TIFFTAG_XRESOLUTION, &xr);
		TIFFGetField(b, TIFFTAG_YRESOLUTION, &yr);
		TIFFGetField(b, TIFFTAG_RESOLUTIONUNIT, &unit);
		TIFFGetField(b, TIFFTAG_SUBFILETYPE, &sft);
		TIFFGetField(b, TIFFTAG_PAGENUMBER, &pn, &pt);
		TIFFGetField(b, TIFFTAG_ROWSPERSTRIP, &rps);
		tags &= comp == COMPRESSION_CCITTFAX3 && g3 == 0 && fill == FILLORDER_LSB2MSB &&
		    photo == PHOTOMETRIC_MINISWHITE && w == 1728 && xr == 204 && yr == 196 &&
		    unit == RESUNIT_INCH && sft == FILETYPE_PAGE && pn == pages && pt == 3 &&
		    rps == 300 && TIFFNumberOfStrips(b) == 1;
		for (uint32_t y = 0; y < 300; y++) {
			TIFFReadScanline(a, ra, y, 0);
			TIFFReadScanline(b, rb, y, 0);
			same &= memcmp(ra, rb, sizeof(ra)) == 0;
		}
		pages++;
	} while (TIFFReadDirectory(a) && TIFFReadDirectory(b));
	ok(tags, "every page: MH, T4Options 0, FillOrder 2, white is zero, 1728 at 204x196 dpi,"
	    " a page, PageNumber n of 3, one strip");
	ok(same && pages == 3, "every pixel of every page kept");
	TIFFClose(a);
	TIFFClose(b);
	{
		FILE *f = fopen(out, "rb");
		unsigned char h[8] = { 0 };
		if (f) {
			if (fread(h, 1, 8, f) != 8)
				h[0] = 0;
			fclose(f);
		}
		ok(memcmp(h, "II*\0\x08\0\0\0", 8) == 0, "\"II\", and the first IFD at offset 8");
	}
	b = TIFFOpen(g4, "r");
	{
		uint16_t comp = 0;
		TIFFGetField(b, TIFFTAG_COMPRESSION, &comp);
		ok(comp == COMPRESSION_CCITTFAX4 && TIFFNumberOfDirectories(b) == 3,
		    "the copy for the PDF is T.6, 3 pages");
	}
	TIFFClose(b);
	unlink(g4);
	ok(tiffs_convert(in, out, NULL, &info, err, sizeof(err)) == 0, "without a T.6 copy");
	ok(access(g4, F_OK) != 0, "  none is written");
}

static void test_resample(void)
{
	tiffs_info_t info;
	char err[256];
	TIFF *t;
	uint32_t w = 0, h = 0;
	float yr = 0;

	write_custom(in, 1728, 500, 204, 98, RESUNIT_INCH, PHOTOMETRIC_MINISWHITE, 1, 100);
	ok(tiffs_convert(in, out, NULL, &info, err, sizeof(err)) == 0 && info.yres == 98 &&
	    !info.resampled, "204x98: kept at standard resolution");
	write_custom(in, 1728, 500, 80.3f, 38.5f, RESUNIT_CENTIMETER, PHOTOMETRIC_MINISWHITE, 1, 100);
	ok(tiffs_convert(in, out, NULL, &info, err, sizeof(err)) == 0 && info.yres == 98 &&
	    !info.resampled, "pixels per centimetre (8 x 3.85 l/mm): kept");
	write_custom(in, 1728, 500, 200, 200, RESUNIT_INCH, PHOTOMETRIC_MINISWHITE, 1, 100);
	ok(tiffs_convert(in, out, NULL, &info, err, sizeof(err)) == 0 && info.yres == 196 &&
	    !info.resampled, "200x200 dpi: within the tolerance, kept, written as 204x196");
	write_custom(in, 2550, 600, 300, 300, RESUNIT_INCH, PHOTOMETRIC_MINISWHITE, 1, 1275);
	ok(tiffs_convert(in, out, NULL, &info, err, sizeof(err)) == 0 && info.resampled &&
	    info.yres == 196, "300 dpi, 2550 wide: resampled to 196 lpi");
	t = TIFFOpen(out, "r");
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	TIFFGetField(t, TIFFTAG_YRESOLUTION, &yr);
	TIFFClose(t);
	/* 2550 at 300 dpi is 1734 at 204: scaled by 1728/1734 both ways. */
	ok(w == 1728 && h == 391 && yr == 196, "  1728 wide, 600 lines of 1/300 in -> 391 of 1/196 in"
	    " (got %ux%u at %.0f)", w, h, yr);
	is_int(count_black(out), 1, "  the one black pixel survives downscaling (OR)");
	write_custom(in, 864, 100, 204, 196, RESUNIT_INCH, PHOTOMETRIC_MINISWHITE, 1, 0);
	ok(tiffs_convert(in, out, NULL, &info, err, sizeof(err)) == 0 && info.resampled,
	    "a half-width page converts");
	ok(black_at(out, 432, 50) == 1 && count_black(out) == 1, "  centred on white");
	write_custom(in, 1728, 100, 204, 196, RESUNIT_INCH, PHOTOMETRIC_MINISBLACK, 1, 77);
	ok(tiffs_convert(in, out, NULL, &info, err, sizeof(err)) == 0, "a min-is-black page converts");
	ok(black_at(out, 77, 50) == 1 && count_black(out) == 1, "  inverted: its one black pixel");
	write_custom(in, 1728, 100, 0, 0, RESUNIT_NONE, PHOTOMETRIC_MINISWHITE, 1, 5);
	ok(tiffs_convert(in, out, NULL, &info, err, sizeof(err)) == 0 && info.yres == 196 &&
	    !info.resampled, "no resolution: taken as 204x196");
	write_custom(in, 1728, 100, 204, 196, RESUNIT_INCH, PHOTOMETRIC_MINISBLACK, 8, -1);
	ok(tiffs_convert(in, out, NULL, &info, err, sizeof(err)) < 0 &&
	    strcmp(err, "page 1: not black and white (8 bits, 1 samples per pixel)") == 0,
	    "grey is refused: %s", err);
	{
		FILE *f = fopen(in, "wb");
		fputs("II*\0 this is not a TIFF", f);
		fclose(f);
	}
	ok(tiffs_convert(in, out, NULL, &info, err, sizeof(err)) < 0 &&
	    strncmp(err, "cannot read the received TIFF", 29) == 0, "garbage is refused: %s", err);
	for (char *c = err; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			ok(0, "  printable reason");
}

/* has - does the mail hold s */
static int has(const char *m, const char *s)
{
	return strstr(m, s) != NULL;
}

static void test_mail(void)
{
	static const char tiff[] = "II*\0fake";
	mail_fax_t f = {
		.id = 7, .hostname = "gw.faxgate.test", .from = "FAX=+17035550123@onramp.test",
		.targets = "alice@sender.test  FAX=+442079460000@offramp.test",
		.message_id = "<faxgate.inbound.7.1700000000@gw.faxgate.test>", .date = 1700000100,
		.did = "+12025550100", .caller = "+17035550123",
		.tsi = "=?utf-8?q?=0D=0AX-Evil:_1?=\r\nBcc: eve@evil.test", .pages = 2,
		.outcome = "partial", .status = "4.4.2", .error_code = "T30_ERR_RX_NOCARRIER",
		.error_text = "carrier\x1b[31m lost", .received_at = 1700000000, .ended_at = 1700000090,
		.bytes = 1234, .resolution = "204x196", .attempt = 2, .tiff = tiff,
		.tifflen = sizeof(tiff) - 1, .pdf = "%PDF-1.4", .pdflen = 8,
	};
	char *m = NULL, err[256], from[128];
	size_t len;

	g_mime_init();
	ok(mail_build(&f, &m, &len, err, sizeof(err)) == 0 && m && strlen(m) == len, "a mail is built");
	if (!m)
		return;
	ok(has(m, "\r\nFrom: FAX=+17035550123@onramp.test\r\n"), "From");
	ok(has(m, "To: alice@sender.test, FAX=+442079460000@offramp.test\r\n"), "To: both targets");
	/* GMime folds the long Subject after "2". */
	ok(has(m, "\r\nSubject: Fax from +17035550123 (TSI \"= ?utf-8?q?=0D=0AX-Evil:_1?=??Bcc\"),"
	    " 2\r\n pages, incomplete\r\n"), "Subject: a hostile TSI defused (no encoded word,"
	    " no line break, 32 characters), and it says incomplete");
	ok(!has(m, "\nX-Evil:") && !has(m, "\nBcc:"), "no header was injected");
	ok(has(m, "\r\nDate: Tue, 14 Nov 2023 22:15:00 +0000\r\n"), "Date");
	ok(has(m, "\r\nMessage-ID: <faxgate.inbound.7.1700000000@gw.faxgate.test>\r\n"), "Message-ID");
	ok(has(m, "\r\nAuto-Submitted: auto-generated\r\n"), "Auto-Submitted");
	ok(has(m, "Content-Type: multipart/mixed"), "multipart/mixed");
	ok(has(m, "Content-Type: image/tiff; name=fax-7.tif; application=faxbw\r\n"
	    "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=fax-7.tif"),
	    "the TIFF part");
	ok(has(m, "Content-Type: application/pdf; name=fax-7.pdf"), "the PDF part");
	ok(has(m, "The fax is incomplete: the call ended after 2 pages.") &&
	    has(m, "  Status:               incomplete: the call ended after 2 pages (4.4.2)"),
	    "the text: incomplete after 2 pages");
	ok(has(m, "  Error:                T30_ERR_RX_NOCARRIER: carrier?[31m lost"),
	    "  the error, its escape shown as ?");
	ok(has(m, "  Attempts:             2\r\n") && has(m, "  Bytes received:       1234\r\n"),
	    "  attempts and bytes");
	ok(!has(m, "\x1b"), "no escape character anywhere");
	{
		size_t col = 0, worst = 0;
		int bare = 0;
		for (size_t i = 0; i < len; i++) {
			if (m[i] == '\n') {
				bare |= i == 0 || m[i - 1] != '\r';
				col = 0;
			} else if (++col > worst)
				worst = col;
		}
		ok(!bare && worst <= 998, "CR LF line ends only, no line over 998");
	}
	free(m);

	f.pdf = NULL;
	f.pdf_error = "tiff2pdf failed (exit 1)";
	f.tsi = NULL;
	f.outcome = "ok";
	ok(mail_build(&f, &m, &len, err, sizeof(err)) == 0, "without a PDF");
	ok(!has(m, "application/pdf") && has(m, "There is no PDF: tiff2pdf failed (exit 1).") &&
	    has(m, "Subject: Fax from +17035550123, 2 pages\r\n"), "  the text says why; no TSI part");
	free(m);
	f.targets = "alice@sender.test -oQ/tmp/x";
	ok(mail_build(&f, &m, &len, err, sizeof(err)) < 0 && has(err, "'-oQ/tmp/x' is not a mail"),
	    "a bad target is refused: %s", err);
	f.targets = "  ";
	ok(mail_build(&f, &m, &len, err, sizeof(err)) < 0 && strcmp(err, "no recipient") == 0,
	    "no target: refused");
	f.targets = "alice@sender.test";
	f.tiff = NULL;
	ok(mail_build(&f, &m, &len, err, sizeof(err)) < 0 && strcmp(err, "no pages to attach") == 0,
	    "no TIFF: refused");

	ok(mail_from("+17035550123", "onramp.test", "none@x.test", from, sizeof(from)) == 1 &&
	    strcmp(from, "FAX=+17035550123@onramp.test") == 0, "From: FAX=+caller");
	ok(mail_from("17035550123", "onramp.test", "none@x.test", from, sizeof(from)) == 1 &&
	    strcmp(from, "FAX=+17035550123@onramp.test") == 0, "  also without the +");
	static const char *const nope[] = { "", "anonymous", "+1 703", "+", "+123456789012345678901",
		NULL };
	for (int i = 0; nope[i]; i++)
		ok(mail_from(nope[i], "onramp.test", "none@x.test", from, sizeof(from)) == 0 &&
		    strcmp(from, "none@x.test") == 0, "caller '%s': the no-caller address", nope[i]);
	ok(mail_from(NULL, "onramp.test", "none@x.test", from, sizeof(from)) == 0, "  and NULL");
}

/* ms_since - milliseconds since t0 */
static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void test_child(void)
{
	const char *fail[] = { "/bin/sh", "-c", "wc -c >&2; echo second line >&2; exit 3", NULL };
	const char *slow[] = { "/bin/sh", "-c", "exec sleep 30", NULL };
	const char *deaf[] = { "/bin/sh", "-c", "exit 0", NULL };
	const char *linger[] = { "/bin/sh", "-c", "sleep 3 & exit 0", NULL };
	const char *none[] = { "/nonexistent/sendmail", NULL };
	static char big[1 << 20];
	struct timespec t0;
	child_result_t r;

	is_int(child_run(fail, "hello\n", 6, 10, &r), 3, "exit status 3");
	is_str(r.message, "6", "  its first line on stderr (it read all 6 bytes)");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	child_run(slow, NULL, 0, 1, &r);
	ok(r.timed_out && r.status == 128 + 9 && ms_since(&t0) < 5000,
	    "a child past its deadline is killed (status %d, %ld ms)", r.status, ms_since(&t0));
	ok(strstr(r.message, "did not finish in 1 s") != NULL, "  and says so: %s", r.message);
	memset(big, 'x', sizeof(big));
	is_int(child_run(deaf, big, sizeof(big), 10, &r), 0,
	    "a child that reads nothing of 1 MiB: no hang, its status");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(child_run(linger, NULL, 0, 10, &r), 0, "a child that leaves a process on its stderr");
	ok(ms_since(&t0) < 2500, "  is done when it exits (%ld ms)", ms_since(&t0));
	is_int(child_run(none, NULL, 0, 10, &r), -1, "a program that is not there: -1");
	ok(strncmp(r.message, "cannot run /nonexistent/sendmail: ", 34) == 0, "  %s", r.message);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(in, sizeof(in), "%s/in.tif", dir);
	snprintf(out, sizeof(out), "%s/out.tif", dir);
	snprintf(g4, sizeof(g4), "%s/g4.tif", dir);
	TIFFSetWarningHandler(NULL);
	test_profile_s();
	test_resample();
	test_mail();
	test_child();
	unlink(in);
	unlink(out);
	unlink(g4);
	rmdir(dir);
	return done_testing();
}
