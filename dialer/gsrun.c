/*
 * gsrun - run Ghostscript as a contained child and say why it failed.
 *
 * See gsrun.h for the interface. Ghostscript interprets whatever a
 * sender attached, so it runs as a child with hard limits rather than
 * in-process: a PostScript loop or a memory bomb costs one killed
 * process group, never the caller. Its stdout and stderr share one
 * pipe, read while it runs (a full pipe would stall it), and the
 * first few KiB are kept because that is where gs says what went
 * wrong.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gsrun.h"

extern char **environ;

/* gs_fail - put the message into err, returns code */
__attribute__((format(printf, 4, 5)))
static int gs_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* gsrun_line - copy s (n bytes) as one line of at most max bytes, returns dst */
char *gsrun_line(char *dst, size_t max, const char *s, size_t n)
{
	size_t	k;

	for (k = 0; k < n && s[k] && k < max; k++)
		dst[k] = ((unsigned char) s[k] < 0x20 || s[k] == 0x7f) ? '?' : s[k];
	/* A cut must not leave half a UTF-8 character. */
	while (k < n && k > 0 && ((unsigned char) s[k] & 0xc0) == 0x80)
		k--;
	dst[k] = 0;
	return dst;
}

/* gs_child - set up the limits and exec gs in the child, never returns */
static void gs_child(const gsrun_t *g, char **argv, char **envp, int outfd,
		     int errfd, pid_t parent)
{
	static const int sigs[] = {SIGXCPU, SIGXFSZ, SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD};
	const struct {
		int	res;
		rlim_t	cur, max;
	} lim[] = {
		{RLIMIT_AS, g->mem_limit, g->mem_limit},
		/* The soft limit sends SIGXCPU, which is what we report. */
		{RLIMIT_CPU, g->cpu_limit, g->cpu_limit + 5},
		{RLIMIT_FSIZE, g->file_limit, g->file_limit},
		{RLIMIT_CORE, 0, 0},
	};
	struct sigaction sa;
	struct rlimit rl;
	sigset_t none;
	size_t	i;
	int	fd, e;

	setpgid(0, 0);
	/* A runaway gs must not outlive faxgate-render. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (chdir(g->dir) < 0 || (fd = open("/dev/null", O_RDONLY)) < 0
	    || dup2(fd, 0) < 0 || dup2(outfd, 1) < 0 || dup2(outfd, 2) < 0)
		goto out;
	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		rl.rlim_cur = lim[i].cur;
		rl.rlim_max = lim[i].max;
		if (setrlimit(lim[i].res, &rl) < 0)
			goto out;
	}
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	execvpe(argv[0], argv, envp);
out:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

/* now_ms - monotonic milliseconds, returns them */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* gs_drain - keep the first GSRUN_OUT_CAP bytes gs writes, returns 1 data, 0 EOF, -1 none yet */
static int gs_drain(gsrun_t *g, int fd)
{
	char	buf[4096];
	ssize_t	r = read(fd, buf, sizeof(buf));
	size_t	k = GSRUN_OUT_CAP - g->outlen;

	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? -1 : 0;
	k = (size_t) r < k ? (size_t) r : k;
	memcpy(g->out + g->outlen, buf, k);
	g->out[g->outlen += k] = 0;
	return r > 0;
}

/*
 * gsrun_reason - the most telling line gs wrote, into buf, returns buf
 * ("" when there is none). Boilerplate is passed over; the generic
 * lines at the end of the list are used only when nothing better was
 * said.
 */
char   *gsrun_reason(const gsrun_t *g, char *buf, size_t max)
{
	static const char *const skip[] = {"Output may be", "No pages will",
	    "Operand stack", "Execution stack", "Dictionary stack", "Current allocation",
	    "Last OS error", "Current file position", "VM status", "Please notify",
	    "file that it does", "specification", "Couldn't initialise", "Unrecoverable",
	"This file had errors", NULL};
	const char *p, *e, *s, *weak = NULL;
	size_t	i, wl = 0;

	for (buf[0] = 0, p = g->out; *p; p = *e ? e + 1 : e) {
		e = p + strcspn(p, "\n");
		s = strncmp(p, "GPL Ghostscript", 15) ? p : p + strcspn(p, ":\n");
		s += strspn(s, ": *\t");
		if (strncmp(s, "Error:", 6) == 0)
			s += 6 + strspn(s + 6, " ");
		for (i = 0; s < e && skip[i] && strncmp(s, skip[i], strlen(skip[i])); i++)
			;
		if (s < e && skip[i] == NULL)
			return gsrun_line(buf, max, s, (size_t) (e - s));
		if (s < e && i >= 12 && weak == NULL)
			weak = s, wl = (size_t) (e - s);
	}
	if (weak)
		gsrun_line(buf, max, weak, wl);
	for (i = strlen(buf); i > 0 && (buf[i - 1] == '.' || buf[i - 1] == ' '); i--)
		buf[i - 1] = 0;
	return buf;
}

/*
 * gsrun_run - run gs with args (after argv[0]) in g->dir under the
 * limits; what names the input kind for messages. Returns 0 when gs
 * exited 0, else GSRUN_EBAD or GSRUN_ETEMP with err set.
 */
int	gsrun_run(gsrun_t *g, const char *const *args, const char *what,
		  char *err, size_t errlen)
{
	const char *argv[24];
	char  **envp, reason[112];
	size_t	n, k;
	int	outp[2] = {-1, -1}, errp[2] = {-1, -1}, e, st = 0, done = 0, eof = 0, late = 0;
	pid_t	pid, me = getpid();
	siginfo_t si;
	long long deadline = now_ms() + 1000LL * g->time_limit;

	argv[0] = g->gs_path;
	for (n = 0; args[n] && n < 22; n++)
		argv[n + 1] = args[n];
	argv[n + 1] = NULL;
	/* gs's own temporary files must land in the directory we remove. */
	for (n = 0; environ[n]; n++)
		;
	if ((envp = calloc(n + 2, sizeof(*envp))) == NULL)
		return gs_fail(err, errlen, GSRUN_ETEMP, "out of memory");
	for (n = k = 0; environ[n]; n++)
		if (strncmp(environ[n], "TMPDIR=", 7) && strncmp(environ[n], "GS_OPTIONS=", 11))
			envp[k++] = environ[n];
	envp[k] = "TMPDIR=.";
	g->out[g->outlen = 0] = 0;
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		e = errno;
		if (errp[0] < 0 && outp[0] >= 0)
			close(outp[0]), close(outp[1]);
		free(envp);
		return gs_fail(err, errlen, GSRUN_ETEMP, "pipe: %s", strerror(e));
	}
	if ((pid = fork()) == 0)
		gs_child(g, (char **) argv, envp, outp[1], errp[1], me);
	e = errno;
	free(envp);
	close(outp[1]), close(errp[1]);
	if (pid < 0) {
		close(outp[0]), close(errp[0]);
		return gs_fail(err, errlen, GSRUN_ETEMP, "fork: %s", strerror(e));
	}
	setpgid(pid, pid);		/* whichever of us runs first */
	if (read(errp[0], &e, sizeof(e)) == (ssize_t) sizeof(e)) {
		close(outp[0]), close(errp[0]);
		waitpid(pid, &st, 0);
		return gs_fail(err, errlen, GSRUN_ETEMP, "ghostscript (%s) cannot be run: %s", g->gs_path, strerror(e));
	}
	close(errp[0]);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	while (!done) {
		struct pollfd pfd = {outp[0], POLLIN, 0};
		struct timespec ts = {0, 20 * 1000000};

		if (!eof && poll(&pfd, 1, 100) > 0)
			eof = gs_drain(g, outp[0]) == 0;
		else if (eof)
			nanosleep(&ts, NULL);
		/* WNOWAIT: the zombie keeps the process group alive for the kill below. */
		si.si_pid = 0;
		if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
			done = 1;
		else if ((g->stop && *g->stop) || now_ms() >= deadline)
			done = late = 1;
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	while (!eof && gs_drain(g, outp[0]) > 0)
		;
	close(outp[0]);
	gsrun_reason(g, reason, 100);
	if (g->stop && *g->stop)
		return gs_fail(err, errlen, GSRUN_ETEMP, "interrupted");
	if (late)
		return gs_fail(err, errlen, GSRUN_EBAD, "rendering took longer than %u s", g->time_limit);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGXCPU)
		return gs_fail(err, errlen, GSRUN_EBAD, "rendering used more than %u s of CPU time", g->cpu_limit);
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGXFSZ)
		return gs_fail(err, errlen, GSRUN_EBAD, "rendering wrote more than %lu MiB", g->file_limit >> 20);
	/* pdfi gives up on an encrypted file with exit status 0 and no page. */
	if (strstr(g->out, "requires a password"))
		return gs_fail(err, errlen, GSRUN_EBAD, "PDF is encrypted (password required)");
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (strstr(g->out, "VMerror") || strstr(g->out, "ut of memory") || strstr(g->out, "annot allocate"))
		return gs_fail(err, errlen, GSRUN_EBAD, "rendering needs more than %lu MiB of memory", g->mem_limit >> 20);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return gs_fail(err, errlen, GSRUN_ETEMP, "ghostscript (%s) could not start: %s", g->gs_path, reason);
	if (WIFSIGNALED(st))
		return gs_fail(err, errlen, GSRUN_EBAD, "%s could not be rendered: ghostscript died of signal %d", what, WTERMSIG(st));
	return gs_fail(err, errlen, GSRUN_EBAD, "%s could not be rendered: %s", what, reason[0] ? reason : "ghostscript failed");
}
