/*
 * child.c - a helper program with input, a deadline and its first error
 * line; see child.h.
 *
 * posix_spawn, not fork: the mailer holds a SQLite handle and GMime's
 * state, and a forked copy of them is best never to exist. The pidfd
 * (Linux 5.3) lets one poll(2) wait for the pipes and the exit at once;
 * without it the child is reaped after its standard error closes, still
 * within the deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

extern char **environ;

/* now_ms - a monotonic clock in milliseconds */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* keep_line - append what the child wrote on stderr, up to its first line end */
static void keep_line(child_result_t *r, const char *buf, size_t n, int *done)
{
	size_t have = strlen(r->message);

	for (size_t i = 0; i < n && !*done; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c == '\n') {
			*done = have > 0;	/* a leading blank line is skipped */
			continue;
		}
		if (have + 1 < sizeof(r->message))
			r->message[have++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	r->message[have] = '\0';
}

/* spawn - start argv with stdin from in_r and stderr to err_w; 0 or errno */
static int spawn(const char *const argv[], int in_r, int err_w, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int rc;

	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	/* dup2 clears close-on-exec on 0 and 2; every other descriptor of
	 * ours is close-on-exec already. */
	posix_spawn_file_actions_adddup2(&fa, in_r, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, err_w, 2);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawn(pid, argv[0], &fa, &at, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

/* child_run - run argv fed with in, within timeout_s; its status */
int child_run(const char *const argv[], const void *in, size_t inlen, unsigned timeout_s,
    child_result_t *r)
{
	int inp[2] = { -1, -1 }, errp[2] = { -1, -1 }, pidfd = -1, line_done = 0;
	int exited = 0, wstatus = 0, rc;
	long long deadline = now_ms() + (long long)timeout_s * 1000;
	size_t off = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->status = -1;
	if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		snprintf(r->message, sizeof(r->message), "pipe: %s", strerror(errno));
		goto out;
	}
	if ((rc = spawn(argv, inp[0], errp[1], &pid)) != 0) {
		snprintf(r->message, sizeof(r->message), "cannot run %s: %s", argv[0], strerror(rc));
		goto out;
	}
	close(inp[0]);
	close(errp[1]);
	inp[0] = errp[1] = -1;
	fcntl(inp[1], F_SETFL, O_NONBLOCK);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (inlen == 0) {
		close(inp[1]);
		inp[1] = -1;
	}
	/* With a pidfd the exit ends the wait: a grandchild left holding
	 * stderr open must not hold us up. */
	while (pidfd >= 0 ? !exited : inp[1] >= 0 || errp[0] >= 0) {
		struct pollfd pf[3];
		nfds_t n = 0;
		long long left = deadline - now_ms();

		if (left <= 0) {
			kill(pid, SIGKILL);
			r->timed_out = 1;
			break;
		}
		if (inp[1] >= 0)
			pf[n++] = (struct pollfd){ .fd = inp[1], .events = POLLOUT };
		if (errp[0] >= 0)
			pf[n++] = (struct pollfd){ .fd = errp[0], .events = POLLIN };
		if (pidfd >= 0 && !exited)
			pf[n++] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
		if (poll(pf, n, (int)(left > 60000 ? 60000 : left)) < 0) {
			if (errno == EINTR)
				continue;
			kill(pid, SIGKILL);
			break;
		}
		for (nfds_t i = 0; i < n; i++) {
			if (!pf[i].revents)
				continue;
			if (pf[i].fd == inp[1]) {
				ssize_t w = write(inp[1], (const char *)in + off, inlen - off);
				if (w > 0)
					off += (size_t)w;
				/* EPIPE: it stopped reading; its exit status says why. */
				if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == inlen) {
					close(inp[1]);
					inp[1] = -1;
				}
			} else if (pf[i].fd == errp[0]) {
				char buf[512];
				ssize_t got = read(errp[0], buf, sizeof(buf));
				if (got > 0)
					keep_line(r, buf, (size_t)got, &line_done);
				else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
					close(errp[0]);
					errp[0] = -1;
				}
			} else
				exited = 1;
		}
	}
	/* What it wrote before it exited is in the pipe still. */
	if (errp[0] >= 0 && !line_done) {
		char buf[512];
		ssize_t got;
		fcntl(errp[0], F_SETFL, O_NONBLOCK);
		while (!line_done && (got = read(errp[0], buf, sizeof(buf))) > 0)
			keep_line(r, buf, (size_t)got, &line_done);
	}
	/* After an exit (or a kill) this returns at once; without a pidfd,
	 * stderr closed at the exit in all but odd cases. */
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	if (r->timed_out)
		snprintf(r->message, sizeof(r->message), "%s did not finish in %u s", argv[0],
		    timeout_s);
out:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			close(inp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (pidfd >= 0)
		close(pidfd);
	return r->status;
}
