/*
 * bgwrite.c - the dialer's store writes that may wait, on a thread of
 * their own; see bgwrite.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgwrite.h"
#include "log.h"
#include "store.h"

typedef struct progress {
	long job;
	int pages;
	int forgotten;		/* the attempt ended: a failure is expected */
} progress_t;

struct bgwrite {
	store_t *st;			/* used by the thread only, once it runs */
	char owner[160];
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Waiting writes, under mu. */
	long lease_until;		/* 0: none */
	progress_t *prog;
	size_t nprog, cap;
	int stop;
	/* Being written by the thread, under mu (bgwrite_forget marks them). */
	progress_t *busy;
	size_t nbusy;
};

/* take - move the waiting writes out (under mu); 1 if there were any.
 * With none the array stays: bgwrite_forget may have emptied it, and
 * taking it then would lose it (bgwrite_free frees the one left here). */
static int take(bgwrite_t *w, long *lease, progress_t **prog, size_t *n)
{
	if (w->lease_until == 0 && w->nprog == 0)
		return 0;
	*lease = w->lease_until;
	*prog = w->prog;
	*n = w->nprog;
	w->lease_until = 0;
	w->prog = NULL;
	w->nprog = w->cap = 0;
	return 1;
}

static void *run(void *arg)
{
	bgwrite_t *w = arg;
	char err[512];

	pthread_mutex_lock(&w->mu);
	for (;;) {
		long lease;
		progress_t *prog;
		size_t n;

		if (!take(w, &lease, &prog, &n)) {
			if (w->stop)
				break;
			pthread_cond_wait(&w->cv, &w->mu);
			continue;
		}
		w->busy = prog;
		w->nbusy = n;
		pthread_mutex_unlock(&w->mu);
		for (size_t i = 0; i < n; i++) {
			int failed = store_job_progress(w->st, prog[i].job, w->owner,
			    prog[i].pages, err, sizeof(err)) < 0, forgotten;

			pthread_mutex_lock(&w->mu);
			forgotten = prog[i].forgotten;
			pthread_mutex_unlock(&w->mu);
			if (failed && !forgotten)
				log_msg(LOG_ERR, "job=%ld: status=store_error, reason=\"%s\"",
				    prog[i].job, err);
		}
		if (lease && store_lease_renew(w->st, w->owner, lease, err, sizeof(err)) < 0)
			log_msg(LOG_ERR, "status=store_error, reason=\"lease renewal: %s\"", err);
		pthread_mutex_lock(&w->mu);
		w->busy = NULL;
		w->nbusy = 0;
		free(prog);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

bgwrite_t *bgwrite_new(const char *spec, const char *owner, char *err, size_t errlen)
{
	bgwrite_t *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(w->owner, sizeof(w->owner), "%s", owner);
	if ((w->st = store_open(spec, err, errlen)) == NULL) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		snprintf(err, errlen, "cannot start the store writer thread");
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		store_close(w->st);
		free(w);
		return NULL;
	}
	return w;
}

void bgwrite_lease(bgwrite_t *w, long until)
{
	pthread_mutex_lock(&w->mu);
	if (until > w->lease_until)
		w->lease_until = until;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void bgwrite_progress(bgwrite_t *w, long job, int pages)
{
	size_t i;

	pthread_mutex_lock(&w->mu);
	for (i = 0; i < w->nprog && w->prog[i].job != job; i++)
		;
	if (i < w->nprog) {
		if (pages > w->prog[i].pages)
			w->prog[i].pages = pages;
	} else {
		if (w->nprog == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 8;
			progress_t *p = realloc(w->prog, cap * sizeof(*p));
			if (p == NULL) {	/* the attempt's end records it */
				pthread_mutex_unlock(&w->mu);
				log_msg(LOG_ERR, "job=%ld: status=store_error, reason=\"out of memory"
				    " for the pages confirmed\"", job);
				return;
			}
			w->prog = p;
			w->cap = cap;
		}
		w->prog[w->nprog++] = (progress_t){ job, pages, 0 };
	}
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void bgwrite_forget(bgwrite_t *w, long job)
{
	pthread_mutex_lock(&w->mu);
	for (size_t i = 0; i < w->nprog; i++)
		if (w->prog[i].job == job)
			w->prog[i] = w->prog[--w->nprog];
	for (size_t i = 0; i < w->nbusy; i++)
		if (w->busy[i].job == job)
			w->busy[i].forgotten = 1;
	pthread_mutex_unlock(&w->mu);
}

void bgwrite_free(bgwrite_t *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->prog);
	store_close(w->st);
	free(w);
}
