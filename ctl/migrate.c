/*
 * migrate.c - faxgatectl migrate --from sqlite:PATH --to postgresql:DSN:
 * move a site's store to PostgreSQL (store_copy.h does the work). Needs
 * no configuration file: both stores are named on the command line.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "store_copy.h"

/* progress - one line per table copied */
static void progress(const char *table, long rows, void *arg)
{
	ctl_t *c = arg;

	fprintf(c->out, "  %-16s %ld\n", table, rows);
}

int ctl_migrate(ctl_t *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *to = NULL;
	char err[1024];
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (opt) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'h':
			fprintf(c->out, "usage: faxgatectl migrate --from sqlite:PATH --to postgresql:DSN\n");
			return 0;
		default: return ctl_bad_option(c, "migrate", opt, argv);
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "migrate: unexpected '%s'", argv[optind]);
	if (!from || strncmp(from, "sqlite:", 7) != 0 || !to || strncmp(to, "postgresql:", 11) != 0)
		return ctl_usage_error(c, "migrate: want --from sqlite:PATH --to postgresql:DSN");
	fprintf(c->out, "copying %s to postgresql:\n", from);
	if (store_copy(from, to, progress, c, err, sizeof(err)) < 0) {
		fprintf(c->err, "faxgatectl: migrate: %s\n", err);
		return CTL_ETEMP;
	}
	fprintf(c->out, "done: point [general] store of every host at the new store\n");
	return 0;
}
