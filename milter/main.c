/*
 * faxgate-milter - the intake: a milter that turns mail to fax addresses
 * into durable fax jobs.
 *
 * usage: faxgate-milter [-f] [-t] [-c FILE]
 *   -c FILE  configuration (default /etc/faxgate/faxgate.conf)
 *   -f       stay in the foreground and log to stderr
 *   -t       check the configuration and the store, then exit
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "counters.h"
#include "filter.h"
#include "intake.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

#define DEFAULT_CONFIG "/etc/faxgate/faxgate.conf"

/*
 * nodelay_listeners - TCP_NODELAY on libmilter's listening socket.
 *
 * The milter answers end-of-message with two small writes (delete
 * recipient, then accept/discard); with Nagle the second waits for the
 * MTA's delayed ACK, 40 ms per message. Linux copies TCP_NODELAY from the
 * listening socket to the accepted ones. libmilter does not expose its
 * socket, so find it: the listening TCP sockets among our descriptors.
 */
static void nodelay_listeners(void)
{
	for (int fd = 0; fd < 1024; fd++) {
		int listening = 0, type = 0, on = 1;
		socklen_t len = sizeof(int);
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 || !listening)
			continue;
		len = sizeof(int);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
		    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	}
}

/* drop_privileges - become the configured user when started as root */
static int drop_privileges(const config_t *cf)
{
	struct passwd *pw;

	if (getuid() != 0 || !cf->milter_user || !*cf->milter_user)
		return 0;
	if ((pw = getpwnam(cf->milter_user)) == NULL) {
		fprintf(stderr, "faxgate-milter: %s: [milter] user '%s' does not exist\n",
		    cf->path, cf->milter_user);
		return -1;
	}
	if (setgid(pw->pw_gid) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		fprintf(stderr, "faxgate-milter: cannot become user %s: %s\n",
		    cf->milter_user, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	int foreground = 0, test = 0, opt;
	char err[1024];
	config_t *cf;
	store_t *st;
	smime_t *sm = NULL;

	while ((opt = getopt(argc, argv, "c:ft")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'f': foreground = 1; break;
		case 't': test = 1; break;
		default:
			fprintf(stderr, "usage: faxgate-milter [-f] [-t] [-c FILE]\n");
			return 64;
		}
	}
	if ((cf = config_load(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "faxgate-milter: %s\n", err);
		return 78;	/* EX_CONFIG */
	}
	log_open("faxgate-milter", foreground || test);
	log_set_level(cf->log_level);
	/* Every way out frees what it holds: a leak checker run over the
	 * start-up refusals (t/24 under check-asan) must see none. */
	int rc = 0;
	if (drop_privileges(cf) < 0) {
		rc = 77;
		goto out;
	}
	/* Open the store once at start-up: creates it, applies migrations,
	 * and proves it is writable before any mail is accepted. */
	if ((st = store_open(cf->store, err, sizeof(err))) == NULL) {
		fprintf(stderr, "faxgate-milter: %s\n", err);
		rc = 75;
		goto out;
	}
	store_close(st);
	/* The CA store is loaded once, as the milter user, so that a bad
	 * smime_ca stops the start (and -t) rather than every fax. */
	for (size_t i = 0; i < cf->ndomains && !sm; i++)
		if (cf->domains[i].smime_required &&
		    (sm = smime_open(cf->smime_ca, err, sizeof(err))) == NULL) {
			fprintf(stderr, "faxgate-milter: [policy] smime_ca: %s\n", err);
			rc = 78;
			goto out;
		}
	if (test) {
		printf("faxgate-milter: %s: configuration and store OK\n", path);
		goto out;
	}
	intake_init();
	filter_init(cf, sm);
	if (smfi_setconn(cf->milter_socket) == MI_FAILURE ||
	    smfi_register(*filter_desc()) == MI_FAILURE) {
		fprintf(stderr, "faxgate-milter: cannot set up milter socket %s\n", cf->milter_socket);
		rc = 71;
		goto out;
	}
	umask(007);
	if (smfi_opensocket(1) == MI_FAILURE) {
		fprintf(stderr, "faxgate-milter: cannot listen on %s (in use, or no permission)\n",
		    cf->milter_socket);
		rc = 71;
		goto out;
	}
	nodelay_listeners();
	if (!foreground && daemon(0, 0) < 0) {
		fprintf(stderr, "faxgate-milter: daemon: %s\n", strerror(errno));
		rc = 71;
		goto out;
	}
	/* After daemon(): a fork keeps only the calling thread, and the
	 * metrics server runs its own. Its counters restart with the milter. */
	metrics_server_t *metrics = NULL;
	if (*cf->milter_metrics &&
	    !(metrics = metrics_start(cf->milter_metrics, counters_fill, NULL, err, sizeof(err)))) {
		log_msg(LOG_ERR, "start: status=failed, reason=\"%s\"", err);
		rc = 71;
		goto out;
	}
	log_msg(LOG_INFO, "start: socket=%s, store=%s, domains=%zu, metrics=%s", cf->milter_socket,
	    cf->store, cf->ndomains, *cf->milter_metrics ? cf->milter_metrics : "off");
	rc = smfi_main() == MI_SUCCESS ? 0 : 1;
	metrics_stop(metrics);
	log_msg(LOG_INFO, "stop: status=%d", rc);
out:
	smime_close(sm);
	config_free(cf);
	return rc;
}
