/*
 * faxgatectl - the operator's tool: list, show, retry, cancel, hold and
 * release fax jobs, and count them; list and show received faxes; keep
 * the onramp's numbers, indexes, routes, callers and users.
 *
 * usage: faxgatectl [-c FILE] [--json] COMMAND [ARGS]   (faxgatectl -h)
 *
 * Exit status: 0 done; 1 no such job or received fax, a job or fax in the
 * wrong state, a received fax without pages, or no such row to remove;
 * 64 usage; 74 output could not be written; 75 the store; 78 the
 * configuration.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define DEFAULT_CONFIG "/etc/faxgate/faxgate.conf"

static const struct {
	const char *name;
	int (*run)(ctl_t *, int, char **);
	int change;		/* for the state changes, run is NULL */
} commands[] = {
	{ "list", ctl_list, 0 },
	{ "show", ctl_show, 0 },
	{ "stats", ctl_stats, 0 },
	{ "retry", NULL, STORE_RETRY },
	{ "cancel", NULL, STORE_CANCEL },
	{ "hold", NULL, STORE_HOLD },
	{ "release", NULL, STORE_RELEASE },
	{ "inbound", ctl_inbound, 0 },
	{ "did", ctl_onramp, 0 },
	{ "index", ctl_onramp, 0 },
	{ "route", ctl_onramp, 0 },
	{ "caller", ctl_onramp, 0 },
	{ "user", ctl_onramp, 0 },
	{ "check-config", ctl_check_config, 0 },
	{ "migrate", ctl_migrate, 0 },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	ctl_t c = { .config_path = DEFAULT_CONFIG, .out = stdout, .err = stderr };
	int opt, rc = -1;

	c.now = (long)time(NULL);
	opterr = 0;
	/* "+": the command's own options are the command's business. */
	while ((opt = getopt_long(argc, argv, "+:c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': c.config_path = optarg; break;
		case 'j': c.json = 1; break;
		case 'h': ctl_usage(stdout); return 0;
		default: return ctl_bad_option(&c, "faxgatectl", opt, argv);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(&c, "which command?");
	if (strcmp(argv[optind], "help") == 0) {
		ctl_usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		if (commands[i].run)
			rc = commands[i].run(&c, argc - optind, argv + optind);
		else
			rc = ctl_change(&c, (store_change_t)commands[i].change, argc - optind, argv + optind);
		break;
	}
	if (rc < 0)
		return ctl_usage_error(&c, "unknown command '%s'", argv[optind]);
	ctl_close(&c);
	/* A full disk or a closed pipe must not look like success to a script. */
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "faxgatectl: cannot write the output\n");
		return rc ? rc : CTL_EIO;
	}
	return rc;
}
