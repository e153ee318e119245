/*
 * faxgate-render - render a message's documents into one fax TIFF.
 *
 * The dialer runs this as a child so that rendering (Ghostscript,
 * libtiff) never blocks its event loop; see the usage text below and
 * render.h. One line of diagnostics at most goes to stderr, so the
 * dialer can take it as the reason of a failed job.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <tiffio.h>

#include "render.h"

#define MAX_DOCS 64

static const char usage_text[] =
    "usage: faxgate-render [-f|-s] [-F FROM] [-T TO] [-S SUBJECT] [-D DATE]\n"
    "                      [-C 'FROM|TO|SUBJECT|DATE'] [-t SECONDS] [-m MIB]\n"
    "                      [-g GS] [-d TMPDIR] -o OUT.tif KIND:PATH[:NAME] ...\n"
    "\n"
    "Renders the documents, in order, into one multi-page fax TIFF (1728\n"
    "pixels wide, G4) at OUT.tif, written atomically, and prints pages=N.\n"
    "\n"
    "  KIND:PATH[:NAME]  KIND is pdf, ps, tiff or text (UTF-8); PATH must not\n"
    "                    contain ':'; NAME (may contain ':') names the document\n"
    "                    in messages\n"
    "  -o OUT.tif        the output file (required)\n"
    "  -f                fine resolution, 204x196 dpi (default)\n"
    "  -s                standard resolution, 204x98 dpi\n"
    "  -F FROM, -T TO, -S SUBJECT, -D DATE\n"
    "                    add a cover page showing these (UTF-8) and the page count\n"
    "  -C 'F|T|S|D'      the same in one argument: FROM up to the first '|', TO up\n"
    "                    to the second, DATE after the last, SUBJECT in between\n"
    "  -t SECONDS        wall-clock limit for each Ghostscript run (default 120)\n"
    "  -m MIB            address-space limit for Ghostscript in MiB (default 1024)\n"
    "  -g GS             the Ghostscript program (default gs, found in PATH)\n"
    "  -d TMPDIR         where the private work directory goes (default $TMPDIR\n"
    "                    or /tmp)\n"
    "\n"
    "Exit status: 0 done; 64 usage error; 65 a document cannot be rendered\n"
    "(permanent, the reason on stderr); 75 local trouble, try again later.\n"
    "SIGTERM, SIGINT or SIGHUP stop the rendering and exit 75.\n";

/* usage - print the usage text and exit with status */
static void usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

/* die_usage - print one usage error line and exit 64 */
static void die_usage(const char *what, const char *arg)
{
	fprintf(stderr, "faxgate-render: %s: %s (see -h)\n", what, arg);
	exit(EX_USAGE);
}

/* on_signal - ask the renderer to stop */
static void on_signal(int sig)
{
	render_stop();
}

/* number - parse a positive decimal option value, returns it or exits 64 */
static unsigned long number(const char *s, int opt)
{
	char   *end;
	unsigned long v;
	char	name[3] = {'-', (char) opt, 0};

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || s[0] == '-')
		die_usage(name, s);
	return v;
}

/* parse_doc - split KIND:PATH[:NAME] in place into d, exits 64 when bad */
static void parse_doc(char *arg, render_doc_t *d)
{
	static const struct {
		const char *kind;
		enum render_kind k;
	} kinds[] = {{"pdf", RENDER_PDF}, {"ps", RENDER_PS}, {"postscript", RENDER_PS},
	    {"tiff", RENDER_TIFF}, {"tif", RENDER_TIFF}, {"text", RENDER_TEXT},
	    {"txt", RENDER_TEXT}};
	char   *path = strchr(arg, ':'), *name;
	size_t	i;

	if (path == NULL || path[1] == 0 || path[1] == ':')
		die_usage("document must be KIND:PATH[:NAME]", arg);
	*path++ = 0;
	if ((name = strchr(path, ':')) != NULL)
		*name++ = 0;
	d->path = path;
	d->name = name && *name ? name : NULL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(arg, kinds[i].kind) == 0) {
			d->kind = kinds[i].k;
			return;
		}
	die_usage("unknown document kind (pdf, ps, tiff, text)", arg);
}

/* parse_cover - split FROM|TO|SUBJECT|DATE in place into c, exits 64 when bad */
static void parse_cover(char *spec, render_cover_t *c)
{
	char   *a = strchr(spec, '|'), *b = a ? strchr(a + 1, '|') : NULL;
	char   *z = strrchr(spec, '|');

	if (b == NULL || z == b)
		die_usage("-C needs FROM|TO|SUBJECT|DATE", spec);
	*a = *b = *z = 0;
	c->from = spec;
	c->to = a + 1;
	c->subject = b + 1;
	c->date = z + 1;
}

int	main(int argc, char **argv)
{
	render_doc_t docs[MAX_DOCS];
	render_cover_t cover = {0};
	render_opts_t o;
	struct sigaction sa;
	const char *out = NULL;
	char	err[512];
	unsigned pages = 0;
	int	c, ndocs = 0, want_cover = 0, rc, fd;

	/* Descriptors 0-2 must be taken, or a pipe could become gs's stdout. */
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	render_opts_default(&o);
	while ((c = getopt(argc, argv, "fsF:T:S:D:C:t:m:g:d:o:h")) != -1) {
		switch (c) {
		case 'f':
		case 's':
			o.fine = c == 'f';
			break;
		case 'F':
			cover.from = optarg, want_cover = 1;
			break;
		case 'T':
			cover.to = optarg, want_cover = 1;
			break;
		case 'S':
			cover.subject = optarg, want_cover = 1;
			break;
		case 'D':
			cover.date = optarg, want_cover = 1;
			break;
		case 'C':
			parse_cover(optarg, &cover), want_cover = 1;
			break;
		case 't':
			o.time_limit = (unsigned) number(optarg, c);
			break;
		case 'm':
			o.mem_limit = number(optarg, c) << 20;
			break;
		case 'g':
			o.gs_path = optarg;
			break;
		case 'd':
			o.tmpdir = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(EX_USAGE);
		}
	}
	if (out == NULL)
		die_usage("missing", "-o OUT.tif");
	if (optind >= argc)
		die_usage("missing", "KIND:PATH");
	for (; optind < argc; optind++) {
		if (ndocs == MAX_DOCS)
			die_usage("too many documents", argv[optind]);
		parse_doc(argv[optind], &docs[ndocs++]);
	}
	if (want_cover)
		o.cover = &cover;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: the wait loop must see it */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* An ignored SIGCHLD inherited from the parent would make waitpid() fail. */
	signal(SIGCHLD, SIG_DFL);
	/* libtiff's global handlers print; the library reports through err. */
	TIFFSetErrorHandler(NULL);
	TIFFSetWarningHandler(NULL);

	rc = render_documents(docs, (size_t) ndocs, &o, out, &pages, err, sizeof(err));
	if (rc == 0) {
		printf("pages=%u\n", pages);
		return fflush(stdout) == 0 ? 0 : EX_TEMPFAIL;
	}
	fprintf(stderr, "faxgate-render: %s\n", err[0] ? err : "rendering failed");
	return rc == RENDER_EBAD ? EX_DATAERR : EX_TEMPFAIL;
}
