/*
 * faxgate-onramp - mails the faxes received from the phone side.
 *
 * usage: faxgate-onramp [-f] [-1] [-c FILE]
 *   -c FILE  configuration (default /etc/faxgate/faxgate.conf)
 *   -f       stay in the foreground and log to stderr
 *   -1       mail what is due now, then exit (for cron or a test)
 *
 * The dialer stores every received fax in the store (table inbound);
 * this program mails them on (mailer.h), one at a time, as a program of
 * its own: a broken MTA or a hostile TIFF never touches a call in
 * progress. It looks at the store every [onramp] poll seconds, and at
 * once when a datagram arrives on [onramp] socket, and when a retry falls
 * due. SIGTERM or SIGINT stop it after the fax in hand; SIGHUP reloads
 * the configuration.
 *
 * Exit status: 0 stopped, 64 usage, 75 the store, 78 the configuration.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "config.h"
#include "log.h"
#include "mailer.h"
#include "onramp.h"
#include "pgwake.h"
#include "store.h"
#include "wake.h"

#define DEFAULT_CONFIG "/etc/faxgate/faxgate.conf"

static volatile sig_atomic_t stop, reload;

static void on_stop(int sig)
{
	stop = sig;
}

static void on_hup(int sig)
{
	reload = 1;
}

/* wake_open - the datagram socket others wake us on; its fd or -1 */
static int wake_open(const char *path)
{
	char err[256];
	int fd;

	if (!*path)
		return -1;
	if ((fd = wake_listen(path, err, sizeof(err))) < 0)
		log_msg(LOG_WARNING, "socket=%s: %s; polling only", path, err);
	return fd;
}

/* signals - handlers that only set flags, so a fax in hand is finished
 * first; *block is the set to block around the last check before a wait */
static void signals(sigset_t *block)
{
	struct sigaction sa = { 0 };

	sigemptyset(block);
	sigaddset(block, SIGTERM);
	sigaddset(block, SIGINT);
	sigaddset(block, SIGHUP);
	/* SQLite and stdio calls resume; poll(2) returns, which is wanted. */
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	/* A helper that exits early must not kill us through its pipe. */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* do_reload - a new configuration, or the old one kept; returns the one in use */
static config_t *do_reload(config_t *cf, const char *path, mailer_t *m)
{
	char err[1024];
	config_t *n = config_load(path, err, sizeof(err));

	if (!n) {
		log_msg(LOG_ERR, "reload: status=failed, reason=\"%s\", keeping the old configuration",
		    err);
		return cf;
	}
	if (strcmp(n->store, cf->store) != 0 || strcmp(n->onramp_socket, cf->onramp_socket) != 0)
		log_msg(LOG_WARNING, "reload: store and socket changes take a restart");
	mailer_set_config(m, n);
	log_set_level(n->log_level);
	config_free(cf);
	log_msg(LOG_INFO, "reload: status=ok, config=%s", path);
	return n;
}

int main(int argc, char **argv)
{
	const char *config_path = DEFAULT_CONFIG;
	int foreground = 0, once = 0, opt, fd;
	char err[1024];
	sigset_t block, waitmask;
	config_t *cf;
	store_t *st;
	mailer_t *m;
	pgwake_t *pgw = NULL;

	while ((opt = getopt(argc, argv, "c:f1")) != -1) {
		switch (opt) {
		case 'c': config_path = optarg; break;
		case 'f': foreground = 1; break;
		case '1': once = 1; break;
		default:
			fprintf(stderr, "usage: faxgate-onramp [-f] [-1] [-c FILE]\n");
			return 64;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usage: faxgate-onramp [-f] [-1] [-c FILE]\n");
		return 64;
	}
	if ((cf = config_load(config_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "faxgate-onramp: %s\n", err);
		return 78;
	}
	/* Defaults derived from the host name are checked here, where they
	 * are used, not when every program reads the file. */
	if (onramp_check(ONRAMP_F_DOMAIN, cf->onramp_domain, err, sizeof(err)) < 0 ||
	    onramp_check(ONRAMP_F_ADDRESS, cf->onramp_from_no_caller, err, sizeof(err)) < 0 ||
	    onramp_check(ONRAMP_F_ADDRESS, cf->onramp_envelope_from, err, sizeof(err)) < 0) {
		fprintf(stderr, "faxgate-onramp: %s: [onramp] %s (set [onramp] domain,"
		    " from_no_caller and envelope_from)\n", config_path, err);
		config_free(cf);
		return 78;
	}
	log_open("faxgate-onramp", foreground || once);
	log_set_level(cf->log_level);
	/* GMime is initialised once, before anything uses it. */
	g_mime_init();
	if ((st = store_open(cf->store, err, sizeof(err))) == NULL) {
		fprintf(stderr, "faxgate-onramp: %s\n", err);
		config_free(cf);
		return 75;
	}
	if ((m = mailer_new(st, cf)) == NULL) {
		fprintf(stderr, "faxgate-onramp: out of memory\n");
		return 75;
	}
	signals(&block);
	fd = once ? -1 : wake_open(cf->onramp_socket);
	/* With PostgreSQL the dialer that stored a fax may be on another
	 * host: its commit NOTIFYs us as well as (or instead of) the socket. */
	if (!once && (pgw = pgwake_open(cf->store, PGWAKE_INBOUND, err, sizeof(err))) != NULL)
		log_msg(LOG_INFO, "store notifications: status=listening");
	else if (!once && *err)
		log_msg(LOG_WARNING, "store notifications: status=failed, reason=\"%s\"; polling only",
		    err);
	log_msg(LOG_INFO, "start: store=%s, poll=%us, wake=%s, pdf=%s", cf->store, cf->onramp_poll,
	    fd >= 0 ? cf->onramp_socket : pgw ? "notify" : "poll-only", cf->onramp_pdf ? "yes" : "no");
	while (!stop) {
		struct pollfd pf[2] = { { .fd = fd, .events = POLLIN },
			{ .fd = pgw ? pgwake_fd(pgw) : -1, .events = POLLIN } };
		struct timespec ts = { .tv_sec = cf->onramp_poll };
		long start = (long)time(NULL), when = 0;
		int rc;
		char buf[64];

		if (reload) {
			reload = 0;
			cf = do_reload(cf, config_path, m);
		}
		/* A signal sets its flag at once; mailer_run looks between faxes. */
		rc = mailer_run(m, &stop);
		if (once || stop)
			break;
		/* A retry due before the next poll is not left waiting for it.
		 * Asked from the start of the run: one that fell due during it
		 * (after the store was last asked) means no wait at all. */
		if (rc >= 0 && store_inbound_next_due(st, start, &when, err, sizeof(err)) < 0)
			log_msg(LOG_ERR, "status=store_error, reason=\"%s\"", err);
		else if (rc >= 0 && when > 0) {
			long left = when - (long)time(NULL);
			if (left < (long)cf->onramp_poll)
				ts.tv_sec = left > 0 ? left : 0;
		}
		/* Blocked from the last look at the flags into the wait, which
		 * lets them in atomically: a signal now cannot be slept through. */
		sigprocmask(SIG_BLOCK, &block, &waitmask);
		/* poll() skips an entry whose fd is negative. */
		if (!stop && !reload && ppoll(pf, 2, &ts, &waitmask) > 0) {
			while (fd >= 0 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				;	/* many wake-ups, one look at the store */
			if (pgw && (pf[1].revents & POLLIN) && pgwake_drain(pgw) < 0) {
				log_msg(LOG_WARNING, "store notifications: status=lost; polling only");
				pgwake_close(pgw);
				pgw = NULL;
			}
		}
		sigprocmask(SIG_SETMASK, &waitmask, NULL);
	}
	if (pgw)
		pgwake_close(pgw);
	if (fd >= 0) {
		close(fd);
		unlink(cf->onramp_socket);
	}
	log_msg(LOG_INFO, "stop: status=done%s", stop ? ", signal=received" : "");
	mailer_free(m);
	store_close(st);
	config_free(cf);
	g_mime_shutdown();
	return 0;
}
