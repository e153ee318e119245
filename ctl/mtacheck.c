/*
 * mtacheck.c - is Postfix or Sendmail wired to faxgate-milter and routing
 * the fax domains? Asks postconf and postmap, reads sendmail.cf; see
 * mtacheck.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mtacheck.h"

#define POSTCONF "/usr/sbin/postconf"
#define POSTMAP "/usr/sbin/postmap"
#define RUN_SECONDS 20		/* a lookup table on a dead LDAP server must not hang us */
#define MAX_ITEMS 64

/* mtacheck_run - run argv[0] without a shell, collect its output; exit status or -1 */
int mtacheck_run(char *const argv[], char *out, size_t outlen, char *err, size_t errlen)
{
	int po[2], pe[2], status;
	size_t no = 0, ne = 0;
	pid_t pid;
	time_t deadline = time(NULL) + RUN_SECONDS;

	out[0] = err[0] = '\0';
	if (pipe2(po, O_CLOEXEC) < 0)
		return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
	if (pipe2(pe, O_CLOEXEC) < 0) {
		close(po[0]); close(po[1]);
		return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
	}
	if ((pid = fork()) < 0) {
		close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
		return snprintf(err, errlen, "fork: %s", strerror(errno)), -1;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
			_exit(127);
		execv(argv[0], argv);
		dprintf(2, "cannot run %s: %s", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	/* Both pipes at once: a chatty stderr must not block the child. */
	struct pollfd pf[2] = { { .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN } };
	while ((pf[0].fd >= 0 || pf[1].fd >= 0) && time(NULL) < deadline) {
		if (poll(pf, 2, 1000) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			char junk[512], *buf = i ? err : out;
			size_t *n = i ? &ne : &no, cap = i ? errlen : outlen;
			ssize_t r;

			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (*n + 1 < cap)
				r = read(pf[i].fd, buf + *n, cap - 1 - *n);
			else
				r = read(pf[i].fd, junk, sizeof(junk));
			if (r <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
			} else if (*n + 1 < cap) {
				*n += (size_t)r;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (pf[i].fd >= 0) {
			close(pf[i].fd);
			kill(pid, SIGKILL);
		}
	out[no] = '\0';
	err[ne] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return snprintf(err, errlen, "waitpid: %s", strerror(errno)), -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) != 127)
		return WEXITSTATUS(status);
	if (WIFEXITED(status))
		return -1;	/* err holds "cannot run" */
	snprintf(err, errlen, "%s killed by signal %d (more than %d s?)", argv[0],
	    WTERMSIG(status), RUN_SECONDS);
	return -1;
}

/* first_line - cut s at its first newline, for a one-line report */
static char *first_line(char *s)
{
	s[strcspn(s, "\n")] = '\0';
	return s;
}

/* mtacheck_sock_parse - a libmilter socket spec into its parts; 0 or -1 */
int mtacheck_sock_parse(const char *spec, mtacheck_sock_t *s)
{
	const char *at;

	memset(s, 0, sizeof(*s));
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		s->is_unix = 1;
		snprintf(s->path, sizeof(s->path), "%s", strchr(spec, ':') + 1);
		return s->path[0] ? 0 : -1;
	}
	if (strncmp(spec, "inet:", 5) == 0)
		spec += 5;
	else if (strncmp(spec, "inet6:", 6) == 0)
		spec += 6, s->inet6 = 1;
	else
		return -1;
	at = strchr(spec, '@');
	snprintf(s->port, sizeof(s->port), "%.*s", (int)(at ? at - spec : (long)strlen(spec)), spec);
	if (at)
		snprintf(s->host, sizeof(s->host), "%s", at + 1);
	return s->port[0] ? 0 : -1;
}

/* same_host - do two host names or addresses name one address? */
static int same_host(const char *a, const char *b)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ra = NULL, *rb = NULL;
	int same = 0;

	if (strcasecmp(a, b) == 0)
		return 1;
	if (getaddrinfo(a, NULL, &hints, &ra) != 0)
		return 0;
	if (getaddrinfo(b, NULL, &hints, &rb) == 0) {
		for (struct addrinfo *x = ra; x && !same; x = x->ai_next)
			for (struct addrinfo *y = rb; y && !same; y = y->ai_next)
				same = x->ai_addrlen == y->ai_addrlen &&
				    memcmp(x->ai_addr, y->ai_addr, x->ai_addrlen) == 0;
		freeaddrinfo(rb);
	}
	freeaddrinfo(ra);
	return same;
}

/* inet_match - does host:port reach a milter listening as ours? */
static int inet_match(const mtacheck_sock_t *ours, const char *host, const char *port)
{
	if (strcmp(ours->port, port) != 0)
		return 0;
	/* Listening on every address: any host of ours will do; trust it. */
	if (!ours->host[0] || strcmp(ours->host, "0.0.0.0") == 0 || strcmp(ours->host, "::") == 0)
		return 1;
	return same_host(ours->host, host);
}

/*
 * split - Postfix's list syntax: items separated by spaces or commas, where
 * "{ ... }" groups (inline: tables, milter settings) stay one item. Works
 * in place; returns the number of items.
 */
static size_t split(char *s, char **items, size_t max)
{
	size_t n = 0;

	while (*s && n < max) {
		while (*s && strchr(" \t\r\n,", *s))
			s++;
		if (!*s)
			break;
		char *start = s;
		int depth = 0;
		while (*s && (depth > 0 || !strchr(" \t\r\n,", *s))) {
			if (*s == '{')
				depth++;
			else if (*s == '}' && depth > 0)
				depth--;
			s++;
		}
		if (*s)
			*s++ = '\0';
		items[n++] = start;
	}
	return n;
}

/* A Postfix configuration: its directory, and the values asked for. */
struct pf {
	const char *confdir;	/* NULL: the system's */
	FILE *out;
	int problems;
	char relay_domains[4096], relay_recipient_maps[1024], transport_maps[4096];
	char smtpd_milters[1024], non_smtpd_milters[1024], default_action[64];
	char queue_directory[512];
	char services[65536];	/* postconf -F: about 230 bytes a service */
};

/* problem - one line of the report */
__attribute__((format(printf, 2, 3)))
static void problem(struct pf *p, const char *fmt, ...)
{
	va_list ap;

	fputs("postfix: ", p->out);
	va_start(ap, fmt);
	vfprintf(p->out, fmt, ap);
	va_end(ap);
	fputc('\n', p->out);
	p->problems++;
}

/* postconf - run postconf [-c DIR] ARGS...; its exit status, output in out */
static int postconf(struct pf *p, const char *a1, const char *a2, const char *a3,
    char *out, size_t outlen, char *err, size_t errlen)
{
	char *argv[8];
	int n = 0;

	argv[n++] = (char *)POSTCONF;
	if (p->confdir) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)p->confdir;
	}
	argv[n++] = (char *)a1;
	if (a2)
		argv[n++] = (char *)a2;
	if (a3)
		argv[n++] = (char *)a3;
	argv[n] = NULL;
	return mtacheck_run(argv, out, outlen, err, errlen);
}

/* lookup - postmap -q key table; 1 found (value in val), 0 not, -1 trouble */
static int lookup(struct pf *p, const char *table, const char *key, char *val, size_t vlen)
{
	char *argv[8], err[512];
	int n = 0, rc;

	argv[n++] = (char *)POSTMAP;
	if (p->confdir) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)p->confdir;
	}
	argv[n++] = (char *)"-q";
	argv[n++] = (char *)key;
	argv[n++] = (char *)table;
	argv[n] = NULL;
	rc = mtacheck_run(argv, val, vlen, err, sizeof(err));
	first_line(val);
	if (rc == 0)
		return 1;
	if (rc == 1 && !err[0])
		return 0;
	problem(p, "postmap -q %s %s: %s", key, table, err[0] ? first_line(err) : "failed");
	return -1;
}

/* file_has - does a Postfix /file/name list hold the domain? */
static int file_has(const char *path, const char *domain)
{
	FILE *f = fopen(path, "r");
	char line[1024], *items[MAX_ITEMS];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "#")] = '\0';
		size_t n = split(line, items, MAX_ITEMS);
		for (size_t i = 0; i < n && !found; i++)
			found = strcasecmp(items[i], domain) == 0;
	}
	fclose(f);
	return found;
}

/* in_list - is domain in a domain list (names, /files, type:table)? */
static int in_list(struct pf *p, const char *value, const char *domain)
{
	char copy[4096], *items[MAX_ITEMS], val[512];
	size_t n;

	snprintf(copy, sizeof(copy), "%s", value);
	n = split(copy, items, MAX_ITEMS);
	for (size_t i = 0; i < n; i++) {
		if (items[i][0] == '/') {
			if (file_has(items[i], domain))
				return 1;
		} else if (strchr(items[i], ':')) {
			if (lookup(p, items[i], domain, val, sizeof(val)) == 1)
				return 1;
		} else if (strcasecmp(items[i], domain) == 0) {
			return 1;
		}
	}
	return 0;
}

/* first_in_tables - the first value any table of a list has for key; 1, 0 */
static int first_in_tables(struct pf *p, const char *list, const char *key, char *val, size_t vlen)
{
	char copy[4096], *items[MAX_ITEMS];
	size_t n;

	snprintf(copy, sizeof(copy), "%s", list);
	n = split(copy, items, MAX_ITEMS);
	for (size_t i = 0; i < n; i++)
		if (strchr(items[i], ':') && lookup(p, items[i], key, val, vlen) == 1)
			return 1;
	return 0;
}

/* check_domain - one fax domain: accepted for relay, with a safe transport */
static void check_domain(struct pf *p, const char *domain)
{
	char val[512], key[300];

	if (!in_list(p, p->relay_domains, domain)) {
		problem(p, "fax domain %s is not in relay_domains (%s): smtpd refuses its"
		    " recipients before the milter sees them", domain,
		    p->relay_domains[0] ? p->relay_domains : "empty");
		return;
	}
	snprintf(key, sizeof(key), "@%s", domain);
	if (p->relay_recipient_maps[0] &&
	    !first_in_tables(p, p->relay_recipient_maps, key, val, sizeof(val)))
		problem(p, "relay_recipient_maps (%s) has no %s entry: smtpd refuses FAX="
		    " recipients as unknown before the milter sees them", p->relay_recipient_maps, key);
	if (!first_in_tables(p, p->transport_maps, domain, val, sizeof(val)))
		problem(p, "transport_maps has no entry for fax domain %s: mail that bypasses"
		    " the milter would be relayed to its MX (use a deferred transport,"
		    " see contrib/postfix-main.cf)", domain);
	else if (strncmp(val, "error:", 6) == 0 || strncmp(val, "retry:", 6) == 0)
		problem(p, "transport for fax domain %s is %s: smtpd refuses its recipients"
		    " before the milter sees them (use a deferred transport)", domain, val);
}

/* chrooted - does master.cf run this command (smtpd, cleanup) chrooted? */
static int chrooted(struct pf *p, const char *command, char *svc, size_t svclen)
{
	char *copy = strdup(p->services), *line, *save = NULL;
	char name[128];
	int found = 0;

	/* Lines are NAME/TYPE/FIELD = VALUE; find the services running
	 * command, then their chroot field. */
	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line && !found;
	    line = strtok_r(NULL, "\n", &save)) {
		char *eq = strstr(line, "/command = ");
		if (!eq)
			continue;
		const char *cmd = eq + 11;
		size_t cl = strcspn(cmd, " \t");
		if (cl != strlen(command) || strncmp(cmd, command, cl) != 0)
			continue;
		snprintf(name, sizeof(name), "\n%.*s/chroot = y\n", (int)(eq - line), line);
		if (strstr(p->services, name) || strncmp(p->services, name + 1, strlen(name + 1)) == 0) {
			snprintf(svc, svclen, "%.*s", (int)(eq - line), line);
			found = 1;
		}
	}
	free(copy);
	return found;
}

/* check_milters - does param (run by command's service) name our socket? */
static void check_milters(struct pf *p, const char *param, const char *value,
    const char *command, const char *spec, const mtacheck_sock_t *ours)
{
	char copy[1024], *items[MAX_ITEMS], svc[128] = "";
	size_t n;
	int jailed = chrooted(p, command, svc, sizeof(svc)), outside = 0;
	size_t ql = strlen(p->queue_directory);

	snprintf(copy, sizeof(copy), "%s", value);
	n = split(copy, items, MAX_ITEMS);
	for (size_t i = 0; i < n; i++) {
		char *it = items[i], path[600];
		if (*it == '{') {	/* { inet:..., connect_timeout=... } */
			it++;
			it += strspn(it, " \t");
			it[strcspn(it, " \t,}")] = '\0';
		}
		if (ours->is_unix && (strncmp(it, "unix:", 5) == 0 || strncmp(it, "local:", 6) == 0)) {
			const char *pp = strchr(it, ':') + 1;
			/* Postfix resolves the path in its queue directory (its
			 * chroot when the service is chrooted). */
			if (pp[0] != '/' || jailed)
				snprintf(path, sizeof(path), "%s/%s", p->queue_directory, pp + (pp[0] == '/'));
			else
				snprintf(path, sizeof(path), "%s", pp);
			if (strcmp(path, ours->path) == 0)
				return;
			if (jailed && strcmp(pp, ours->path) == 0)
				outside = 1;
		} else if (!ours->is_unix && strncmp(it, "inet:", 5) == 0) {
			char *port = strrchr(it + 5, ':'), host[256];
			if (!port)
				continue;
			snprintf(host, sizeof(host), "%.*s", (int)(port - it - 5), it + 5);
			if (host[0] == '[' && host[strlen(host) - 1] == ']') {
				memmove(host, host + 1, strlen(host));
				host[strlen(host) - 1] = '\0';
			}
			if (inet_match(ours, host, port + 1))
				return;
		}
	}
	if (outside)
		problem(p, "%s names %s, but master.cf runs %s chrooted in %s, where that path is"
		    " %s%s: set chroot = n for %s, or put the socket inside %s", param, spec,
		    svc, p->queue_directory, p->queue_directory, ours->path, svc,
		    ql ? p->queue_directory : "the queue directory");
	else
		problem(p, "%s (%s) does not name the milter at %s", param,
		    value[0] ? value : "empty", spec);
}

/* get_params - the main.cf values we need, in one postconf run; 0 or -1 */
static int get_params(struct pf *p)
{
	char out[16384], err[1024], *line;
	char *dst[] = { p->relay_domains, p->relay_recipient_maps, p->transport_maps,
	    p->smtpd_milters, p->non_smtpd_milters, p->default_action, p->queue_directory };
	size_t len[] = { sizeof(p->relay_domains), sizeof(p->relay_recipient_maps),
	    sizeof(p->transport_maps), sizeof(p->smtpd_milters), sizeof(p->non_smtpd_milters),
	    sizeof(p->default_action), sizeof(p->queue_directory) };
	char *argv[16];
	int n = 0, rc;

	argv[n++] = (char *)POSTCONF;
	if (p->confdir) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)p->confdir;
	}
	argv[n++] = (char *)"-xh";
	argv[n++] = (char *)"relay_domains";
	argv[n++] = (char *)"relay_recipient_maps";
	argv[n++] = (char *)"transport_maps";
	argv[n++] = (char *)"smtpd_milters";
	argv[n++] = (char *)"non_smtpd_milters";
	argv[n++] = (char *)"milter_default_action";
	argv[n++] = (char *)"queue_directory";
	argv[n] = NULL;
	rc = mtacheck_run(argv, out, sizeof(out), err, sizeof(err));
	if (rc != 0) {
		problem(p, "postconf%s%s failed: %s", p->confdir ? " -c " : "",
		    p->confdir ? p->confdir : "", err[0] ? first_line(err) : "no reason given");
		return -1;
	}
	/* One value per line, in the order asked; an empty value is an empty line. */
	line = out;
	for (size_t i = 0; i < sizeof(dst) / sizeof(dst[0]); i++) {
		char *nl = line ? strchr(line, '\n') : NULL;
		if (nl)
			*nl = '\0';
		snprintf(dst[i], len[i], "%s", line ? line : "");
		line = nl ? nl + 1 : NULL;
	}
	rc = postconf(p, "-F", NULL, NULL, p->services, sizeof(p->services), err, sizeof(err));
	if (rc != 0)
		p->services[0] = '\0';
	return 0;
}

/* mtacheck_postfix - Postfix's wiring for cf; the number of problems printed */
int mtacheck_postfix(const char *confdir, const config_t *cf, FILE *out)
{
	struct pf *p = calloc(1, sizeof(*p));
	mtacheck_sock_t ours;
	int n;

	if (!p) {
		fprintf(out, "postfix: out of memory\n");
		return 1;
	}
	p->confdir = confdir;
	p->out = out;
	if (access(POSTCONF, X_OK) < 0) {
		problem(p, "%s: %s (is Postfix installed? else use --sendmail-cf or --no-mta)",
		    POSTCONF, strerror(errno));
		goto done;
	}
	if (get_params(p) < 0)
		goto done;
	for (size_t i = 0; i < cf->ndomains; i++)
		check_domain(p, cf->domains[i].name);
	if (mtacheck_sock_parse(cf->milter_socket, &ours) == 0) {
		check_milters(p, "smtpd_milters", p->smtpd_milters, "smtpd", cf->milter_socket, &ours);
		/* Mail submitted with sendmail(1): faxgate-onramp's own mail to
		 * an offramp, and local users. */
		check_milters(p, "non_smtpd_milters", p->non_smtpd_milters, "cleanup",
		    cf->milter_socket, &ours);
	}
	if (strcasecmp(p->default_action, "accept") == 0)
		problem(p, "milter_default_action = accept: while the milter is down, fax mail is"
		    " accepted without a job (use tempfail)");
done:
	n = p->problems;
	free(p);
	return n;
}

/* ---------------------------------------------------------------- Sendmail */

/* has_word - is word among the space-separated words of s? */
static int has_word(const char *s, const char *word)
{
	size_t wl = strlen(word);

	while (*s) {
		s += strspn(s, " \t\r\n");
		size_t l = strcspn(s, " \t\r\n");
		if (l == wl && strncasecmp(s, word, wl) == 0)
			return 1;
		s += l;
	}
	return 0;
}

/* sm_field - the value of FIELD= in an X line ("S", "F"), "" if absent */
static void sm_field(const char *line, const char *field, char *val, size_t vlen)
{
	const char *s = line;
	size_t fl = strlen(field);

	val[0] = '\0';
	while ((s = strchr(s, ',')) != NULL) {
		s++;
		s += strspn(s, " \t");
		if (strncmp(s, field, fl) == 0 && s[fl] == '=') {
			s += fl + 1;
			snprintf(val, vlen, "%.*s", (int)strcspn(s, ",\r\n"), s);
			return;
		}
	}
}

/* sm_same - is a Sendmail S= the socket we listen on? */
static int sm_same(const char *s, const mtacheck_sock_t *ours)
{
	mtacheck_sock_t t;

	if (mtacheck_sock_parse(s, &t) < 0 || t.is_unix != ours->is_unix)
		return 0;
	if (t.is_unix)
		return strcmp(t.path, ours->path) == 0;
	return inet_match(ours, t.host[0] ? t.host : "127.0.0.1", t.port);
}

/* mtacheck_sendmail - a sendmail.cf's wiring for cf; the number of problems */
int mtacheck_sendmail(const char *path, const config_t *cf, FILE *out)
{
	FILE *f = fopen(path, "r");
	char line[2048], name[128] = "", flags[64] = "", filters[2048] = "";
	char *classr = NULL, rfile[512] = "";
	size_t rlen = 0;
	mtacheck_sock_t ours;
	int problems = 0, have_ours = mtacheck_sock_parse(cf->milter_socket, &ours) == 0;

	if (!f) {
		fprintf(out, "sendmail: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == 'X' && have_ours && !name[0]) {
			char s[512];
			sm_field(line, "S", s, sizeof(s));
			if (sm_same(s, &ours)) {
				snprintf(name, sizeof(name), "%.*s", (int)strcspn(line + 1, ", \t"), line + 1);
				sm_field(line, "F", flags, sizeof(flags));
			}
		} else if (strncmp(line, "O InputMailFilters=", 19) == 0) {
			snprintf(filters, sizeof(filters), "%s", line + 19);
			for (char *c = filters; *c; c++)
				if (*c == ',')
					*c = ' ';
		} else if (strncmp(line, "CR", 2) == 0 || strncmp(line, "C{R}", 4) == 0) {
			const char *words = line + (line[1] == '{' ? 4 : 2);
			size_t l = strlen(words);
			char *nc = realloc(classr, rlen + l + 2);
			if (nc) {
				classr = nc;
				snprintf(classr + rlen, l + 2, "%s ", words);
				rlen += l + 1;
			}
		} else if (strncmp(line, "FR", 2) == 0 || strncmp(line, "F{R}", 4) == 0) {
			/* FR-o /etc/mail/relay-domains, perhaps with a scanf format. */
			char *sl = strchr(line, '/');
			if (sl)
				snprintf(rfile, sizeof(rfile), "%.*s", (int)strcspn(sl, " \t"), sl);
		}
	}
	fclose(f);
	if (have_ours && !name[0]) {
		fprintf(out, "sendmail: %s: no INPUT_MAIL_FILTER has S=%s\n", path, cf->milter_socket);
		problems++;
	} else if (have_ours) {
		if (!has_word(filters, name)) {
			fprintf(out, "sendmail: %s: filter %s (S=%s) is not in InputMailFilters (%s)\n",
			    path, name, cf->milter_socket, filters[0] ? filters : "empty");
			problems++;
		}
		if (!strchr(flags, 'T') && !strchr(flags, 'R')) {
			fprintf(out, "sendmail: %s: filter %s has %s%s: while the milter is down, fax"
			    " mail is accepted without a job (use F=T)\n", path, name,
			    flags[0] ? "F=" : "no F=", flags);
			problems++;
		}
	}
	for (size_t i = 0; i < cf->ndomains; i++) {
		const char *d = cf->domains[i].name;
		if ((classr && has_word(classr, d)) || (rfile[0] && file_has(rfile, d)))
			continue;
		fprintf(out, "sendmail: %s: fax domain %s is not in class R (RELAY_DOMAIN%s%s):"
		    " Sendmail refuses its recipients (Relaying denied)\n", path, d,
		    rfile[0] ? " or " : "", rfile);
		problems++;
	}
	free(classr);
	return problems;
}
