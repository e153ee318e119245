/*
 * checkconfig.c - faxgatectl check-config: read the configuration with
 * config.c, then check what it points at, one line per problem: the store,
 * the programs and files the daemons use (as the [milter] user the daemons
 * run as), the milter socket (a milter must answer on it), and the MTA's
 * wiring (mtacheck.h). Exit 0 only when there is no problem; see ctl.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl.h"
#include "mtacheck.h"

#define PROBE_MS 5000		/* connect to and hear from the milter */

/* report - one problem line on out; returns 1 to be added up */
__attribute__((format(printf, 2, 3)))
static int report(FILE *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	return 1;
}

/* store_path - the file of a sqlite store spec, or NULL */
static const char *store_path(const char *spec)
{
	if (strncmp(spec, "sqlite:", 7) == 0)
		return spec + 7;
	return strchr(spec, ':') ? NULL : spec;
}

/* writable_dir - can we create files in path's directory? 1 or 0, errno */
static int writable_dir(const char *path)
{
	char *copy = strdup(path);
	int ok = copy && access(dirname(copy), W_OK | X_OK) == 0;

	free(copy);
	return ok;
}

/* check_store - opens, and the file and its directory are writable */
static int check_store(FILE *out, const config_t *cf, const char *who)
{
	const char *path = store_path(cf->store);
	char err[1024];
	store_t *st;

	/* The store's messages begin "store PATH: "; say it once. */
	if ((st = store_open_existing(cf->store, err, sizeof(err))) == NULL)
		return report(out, "store: %s", strncmp(err, "store ", 6) == 0 ? err + 6 : err);
	store_close(st);
	if (!path)
		return 0;
	/* SQLite opens a read-only file without complaint, and its -wal and
	 * -shm files go beside the database: both must be writable. */
	if (access(path, R_OK | W_OK) < 0)
		return report(out, "store: %s: not writable by %s: %s", path, who, strerror(errno));
	if (!writable_dir(path))
		return report(out, "store: %s: %s cannot create the -wal and -shm files beside it: %s",
		    path, who, strerror(errno));
	return 0;
}

/* check_program - an executable file, for who */
static int check_program(FILE *out, const char *what, const char *path, const char *who)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return report(out, "%s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return report(out, "%s %s: not a file", what, path);
	if (access(path, X_OK) < 0)
		return report(out, "%s %s: not executable by %s: %s", what, path, who, strerror(errno));
	return 0;
}

/* check_readable - a file who can read */
static int check_readable(FILE *out, const char *what, const char *path, const char *who)
{
	if (access(path, R_OK) < 0)
		return report(out, "%s %s: not readable by %s: %s", what, path, who, strerror(errno));
	return 0;
}

/* check_files - what the daemons open at run time; the number of problems */
static int check_files(FILE *out, const config_t *cf, const char *who)
{
	char path[1200];
	int n = check_store(out, cf, who);
	struct stat sb;

	n += check_program(out, "notices: sendmail", cf->sendmail, who);
	if (cf->sendmail_config[0] && stat(cf->sendmail_config, &sb) < 0)
		n += report(out, "notices: sendmail_config %s: %s", cf->sendmail_config, strerror(errno));
	if (cf->onramp_pdf)
		n += check_program(out, "onramp: tiff2pdf", cf->onramp_tiff2pdf, who);
	if (stat(cf->spool, &sb) == 0 ? access(cf->spool, W_OK | X_OK) < 0 : !writable_dir(cf->spool))
		n += report(out, "dialer: spool %s: not writable by %s: %s", cf->spool, who,
		    strerror(errno));
	/* The TLS files only matter when SIP over TLS is in use. */
	if (strcmp(cf->driver, "sip") == 0 &&
	    (cf->sip_tls_listen[0] || strncmp(cf->sip_trunk, "sips:", 5) == 0)) {
		snprintf(path, sizeof(path), "%s/agent.pem", cf->sip_tls_dir);
		n += check_readable(out, "sip: tls_dir", path, who);
		snprintf(path, sizeof(path), "%s/cafile.pem", cf->sip_tls_dir);
		n += check_readable(out, "sip: tls_dir", path, who);
	}
	return n;
}

/*
 * as_user - check_files as the user the daemons run as: a child that takes
 * on the [milter] user when we are root (as faxgate-milter does), so that
 * access() answers for that user. Returns the number of problems.
 */
static int as_user(FILE *out, const config_t *cf)
{
	struct passwd *pw = NULL;
	char who[160];
	int status;
	pid_t pid;

	if (getuid() == 0 && cf->milter_user[0]) {
		if ((pw = getpwnam(cf->milter_user)) == NULL) {
			/* Still check the files, as ourselves. */
			struct passwd *me = getpwuid(geteuid());
			snprintf(who, sizeof(who), "user %s", me ? me->pw_name : "root");
			int n = report(out, "milter: [milter] user '%s' does not exist", cf->milter_user);
			return n + check_files(out, cf, who);
		}
		snprintf(who, sizeof(who), "user %s", pw->pw_name);
	} else {
		struct passwd *me = getpwuid(geteuid());
		snprintf(who, sizeof(who), "user %s", me ? me->pw_name : "(this user)");
	}
	if (!pw)
		return check_files(out, cf, who);
	fflush(out);
	if ((pid = fork()) < 0)
		return report(out, "check-config: fork: %s", strerror(errno));
	if (pid == 0) {
		if (setgid(pw->pw_gid) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0 ||
		    setuid(pw->pw_uid) < 0) {
			report(out, "milter: cannot become user %s: %s", pw->pw_name, strerror(errno));
			fflush(out);
			_exit(1);
		}
		int n = check_files(out, cf, who);
		fflush(out);
		_exit(n > 100 ? 100 : n);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return report(out, "check-config: waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : report(out, "check-config: the check as %s died", who);
}

/* milter_connect - a connected socket to spec, or -1 with err set */
static int milter_connect(const mtacheck_sock_t *s, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = -1, rc, e;

	if (s->is_unix) {
		if (strlen(s->path) >= sizeof(sun.sun_path))
			return snprintf(err, errlen, "path too long"), -1;
		memcpy(sun.sun_path, s->path, strlen(s->path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			snprintf(err, errlen, "connect: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		return fd;
	}
	/* A milter bound to every address answers on loopback. */
	hints.ai_family = s->inet6 ? AF_INET6 : AF_INET;
	rc = getaddrinfo(s->host[0] ? s->host : (s->inet6 ? "::1" : "127.0.0.1"), s->port, &hints, &ai);
	if (rc != 0)
		return snprintf(err, errlen, "%s: %s", s->host, gai_strerror(rc)), -1;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		e = errno;
	else if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		e = 0;
	else if ((e = errno) == EINPROGRESS) {
		struct pollfd pf = { .fd = fd, .events = POLLOUT };
		socklen_t sl = sizeof(e);
		if (poll(&pf, 1, PROBE_MS) <= 0)
			e = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) < 0)
			e = errno;
	}
	freeaddrinfo(ai);
	if (e) {
		snprintf(err, errlen, "connect: %s", strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* put32 - a milter protocol integer, network order */
static void put32(unsigned char *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

/*
 * check_milter - something must answer a milter option negotiation on the
 * socket (as an MTA opens every connection), so a port taken by another
 * program is caught too. After SMFIC_QUIT libmilter closes quietly.
 */
static int check_milter(FILE *out, const config_t *cf)
{
	mtacheck_sock_t s;
	unsigned char pkt[17], reply[5];
	char err[512];
	size_t got = 0;
	int fd;

	if (mtacheck_sock_parse(cf->milter_socket, &s) < 0)
		return report(out, "milter: socket %s: cannot read it", cf->milter_socket);
	if ((fd = milter_connect(&s, err, sizeof(err))) < 0)
		return report(out, "milter: %s: nothing listens (%s)", cf->milter_socket, err);
	/* SMFIC_OPTNEG: version 6, every action and protocol step offered. */
	put32(pkt, 13);
	pkt[4] = 'O';
	put32(pkt + 5, 6);
	put32(pkt + 9, 0x1ff);
	put32(pkt + 13, 0x1fffff);
	if (write(fd, pkt, sizeof(pkt)) != (ssize_t)sizeof(pkt)) {
		close(fd);
		return report(out, "milter: %s: cannot write: %s", cf->milter_socket, strerror(errno));
	}
	while (got < sizeof(reply)) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t r;
		if (poll(&pf, 1, PROBE_MS) <= 0 || (r = read(fd, reply + got, sizeof(reply) - got)) <= 0)
			break;
		got += (size_t)r;
	}
	if (got == sizeof(reply) && reply[4] == 'O') {
		put32(pkt, 1);
		pkt[4] = 'Q';	/* SMFIC_QUIT */
		/* It answered; a lost goodbye does not matter. */
		ssize_t w = write(fd, pkt, 5);
		(void)w;
		close(fd);
		return 0;
	}
	close(fd);
	if (got == 0)
		return report(out, "milter: %s: connected, but no milter answered within %d s",
		    cf->milter_socket, PROBE_MS / 1000);
	return report(out, "milter: %s: connected, but what answers is not a milter",
	    cf->milter_socket);
}

/*
 * check_mta_user - can the MTA's user (Postfix's smtpd runs as mail_owner,
 * "postfix") reach a unix milter socket? Asked the only exact way: a child
 * that becomes that user and connects. Only as root, where we can.
 */
static int check_mta_user(FILE *out, const config_t *cf, const char *user)
{
	mtacheck_sock_t s;
	struct passwd *pw;
	struct stat sb;
	struct group *gr;
	char err[512], grp[64];
	int status, fd;
	pid_t pid;

	if (getuid() != 0 || mtacheck_sock_parse(cf->milter_socket, &s) < 0 || !s.is_unix ||
	    (pw = getpwnam(user)) == NULL || stat(s.path, &sb) < 0)
		return 0;
	fflush(out);
	if ((pid = fork()) < 0)
		return report(out, "check-config: fork: %s", strerror(errno));
	if (pid == 0) {
		if (setgid(pw->pw_gid) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0 ||
		    setuid(pw->pw_uid) < 0)
			_exit(2);
		fd = milter_connect(&s, err, sizeof(err));
		_exit(fd < 0 && strstr(err, strerror(EACCES)) ? 1 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return report(out, "check-config: waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 0)
		return 0;
	if (WEXITSTATUS(status) == 2)
		return report(out, "check-config: cannot become user %s", user);
	gr = getgrgid(sb.st_gid);
	snprintf(grp, sizeof(grp), "%s", gr ? gr->gr_name : "?");
	return report(out, "milter: %s: user %s (the MTA) cannot connect: %s (mode %03o, group %s:"
	    " usermod -a -G %s %s)", cf->milter_socket, user, strerror(EACCES),
	    (unsigned)(sb.st_mode & 0777), grp, grp, user);
}

/* choose_mta - which MTA to check: 'p' Postfix, 's' Sendmail, 0 none */
static int choose_mta(const config_t *cf, const char **where)
{
	struct stat sb;

	/* The private instance the notices go to is the one the mail comes from. */
	if (cf->sendmail_config[0] && stat(cf->sendmail_config, &sb) == 0) {
		*where = cf->sendmail_config;
		return S_ISDIR(sb.st_mode) ? 'p' : 's';
	}
	*where = NULL;
	if (access("/usr/sbin/postconf", X_OK) == 0)
		return 'p';
	if (access("/etc/mail/sendmail.cf", R_OK) == 0) {
		*where = "/etc/mail/sendmail.cf";
		return 's';
	}
	return 0;
}

/* ctl_check_config - faxgatectl check-config; an exit status */
int ctl_check_config(ctl_t *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "postfix", required_argument, NULL, 'p' },
		{ "sendmail-cf", required_argument, NULL, 's' },
		{ "no-mta", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *where = NULL;
	char err[1024];
	int opt, mta = -1, n = 0;
	config_t *cf;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': mta = 'p'; where = optarg; break;
		case 's': mta = 's'; where = optarg; break;
		case 'n': mta = 0; break;
		case 'h':
			fputs("usage: faxgatectl [-c FILE] check-config [--postfix DIR |"
			    " --sendmail-cf FILE | --no-mta]\n", c->out);
			return 0;
		default: return ctl_bad_option(c, "check-config", opt, argv);
		}
	}
	if (optind < argc)
		return ctl_usage_error(c, "check-config: unexpected argument '%s'", argv[optind]);
	/* A configuration that does not load is the one problem to report. */
	if ((cf = config_load(c->config_path, err, sizeof(err))) == NULL) {
		fprintf(c->out, "config: %s\n", err);
		return CTL_ECONFIG;
	}
	n += as_user(c->out, cf);
	n += check_milter(c->out, cf);
	if (mta < 0 && (mta = choose_mta(cf, &where)) == 0)
		n += report(c->out, "mta: neither %s nor /etc/mail/sendmail.cf found (--postfix DIR,"
		    " --sendmail-cf FILE or --no-mta)", "/usr/sbin/postconf");
	else if (mta == 'p') {
		n += mtacheck_postfix(where, cf, c->out);
		n += check_mta_user(c->out, cf, "postfix");
	}
	else if (mta == 's')
		n += mtacheck_sendmail(where, cf, c->out);
	if (n == 0)
		fprintf(c->out, "%s: no problems (store, programs, milter%s%s)\n", c->config_path,
		    mta == 'p' ? ", postfix " : mta == 's' ? ", sendmail " : "",
		    mta == 'p' ? (where ? where : "/etc/postfix") : mta == 's' ? where : "");
	else
		fprintf(c->err, "faxgatectl: check-config: %d problem%s in %s\n", n, n == 1 ? "" : "s",
		    c->config_path);
	config_free(cf);
	return n ? CTL_EFAIL : 0;
}
