/*
 * fmpty - faxmodem's serial port: pseudo-terminal, link, DTE opens and
 * closes (see fmpty.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "fmpty.h"

void fmpty_flush(fmpty_t *p)
{
	while (p->out_len > 0) {
		ssize_t n = write(p->master, p->out, p->out_len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* EAGAIN: the pty is full; poll() says when to go on. */
			return;
		}
		memmove(p->out, p->out + n, p->out_len - (size_t)n);
		p->out_len -= (size_t)n;
	}
}

void fmpty_queue(fmpty_t *p, const uint8_t *buf, size_t len)
{
	if (p->out_len + len > p->out_cap) {
		size_t cap = p->out_cap ? p->out_cap : 4096;
		uint8_t *nb;

		while (cap < p->out_len + len)
			cap *= 2;
		if ((nb = realloc(p->out, cap)) == NULL)
			return;		/* lost, as on a real serial line */
		p->out = nb;
		p->out_cap = cap;
	}
	memcpy(p->out + p->out_len, buf, len);
	p->out_len += len;
	fmpty_flush(p);
}

int fmpty_watch(fmpty_t *p)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;
	int dropped = 0;

	while ((n = read(p->watch, buf, sizeof(buf))) > 0) {
		char *e;

		for (e = buf; e < buf + n;
		    e += sizeof(struct inotify_event) + ((struct inotify_event *)e)->len) {
			const struct inotify_event *ev = (const struct inotify_event *)e;

			if (ev->mask & IN_OPEN) {
				p->dte_opens++;
				p->dte_seen_open = 1;
			}
			if ((ev->mask & (IN_CLOSE_WRITE | IN_CLOSE_NOWRITE)) &&
			    p->dte_opens > 0 && --p->dte_opens == 0)
				dropped = 1;
		}
	}
	return dropped;
}

int fmpty_open(fmpty_t *p, const char *link, char *err, size_t errlen)
{
	struct termios tio;
	struct stat st;
	const char *name;

	p->link = link;
	if ((p->master = posix_openpt(O_RDWR | O_NOCTTY)) < 0 ||
	    grantpt(p->master) < 0 || unlockpt(p->master) < 0 ||
	    (name = ptsname(p->master)) == NULL) {
		snprintf(err, errlen, "pseudo-terminal: %s", strerror(errno));
		return -1;
	}
	snprintf(p->slave_name, sizeof(p->slave_name), "%s", name);
	/* Held open for the whole run: without it the master reads EIO
	 * whenever the DTE has the slave closed. */
	if ((p->slave = open(p->slave_name, O_RDWR | O_NOCTTY)) < 0) {
		snprintf(err, errlen, "%s: %s", p->slave_name, strerror(errno));
		return -1;
	}
	/* Raw until the DTE sets its own modes: a cooked slave would echo
	 * our RINGs back to T.31 as commands. */
	if (tcgetattr(p->slave, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(p->slave, TCSANOW, &tio);
	}
	fcntl(p->master, F_SETFL, fcntl(p->master, F_GETFL) | O_NONBLOCK);
	/* Our own descriptor keeps the master quiet, so watch the opens and
	 * closes instead (ours came before the watch and is not counted). */
	if ((p->watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
	    inotify_add_watch(p->watch, p->slave_name,
	    IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE) < 0) {
		snprintf(err, errlen, "inotify on %s: %s", p->slave_name, strerror(errno));
		return -1;
	}
	if (lstat(link, &st) == 0) {
		if (!S_ISLNK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a symbolic link; "
			    "not replacing it", link);
			p->link = NULL;
			return -1;
		}
		unlink(link);
	}
	if (symlink(p->slave_name, link) < 0) {
		snprintf(err, errlen, "symlink %s: %s", link, strerror(errno));
		p->link = NULL;
		return -1;
	}
	return 0;
}

void fmpty_close(fmpty_t *p)
{
	char target[PATH_MAX];
	ssize_t n;

	if (p->link != NULL &&
	    (n = readlink(p->link, target, sizeof(target) - 1)) > 0) {
		target[n] = '\0';
		if (strcmp(target, p->slave_name) == 0)
			unlink(p->link);
	}
	p->link = NULL;
	if (p->watch >= 0)
		close(p->watch);
	if (p->slave >= 0)
		close(p->slave);
	if (p->master >= 0)
		close(p->master);
	p->watch = p->slave = p->master = -1;
	free(p->out);
	p->out = NULL;
	p->out_len = p->out_cap = 0;
}
