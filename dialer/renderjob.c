/* renderjob.c - render a message to its fax, off the dialer's loop; see renderjob.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "render.h"
#include "renderjob.h"

#define RENDER_NICE 10
#include "store.h"

/* renderjob_path - where the local copy of a message's render lives */
void renderjob_path(const config_t *cf, long message, char *buf, size_t len)
{
	snprintf(buf, len, "%s/render-%ld.tif", cf->spool, message);
}

/*
 * write_file - write data to path atomically (rename); 0 or -1. No fsync:
 * these files are copies of what the store holds, and a lost one is made
 * again; the store's own commit is what must be durable.
 */
static int write_file(const char *path, const void *data, size_t len)
{
	char tmp[4300];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
		return -1;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, (const char *)data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* kind_of - the render kind for a stored document kind */
static enum render_kind kind_of(const char *kind)
{
	if (strcmp(kind, "tiff") == 0)
		return RENDER_TIFF;
	if (strcmp(kind, "pdf") == 0)
		return RENDER_PDF;
	if (strcmp(kind, "ps") == 0)
		return RENDER_PS;
	return RENDER_TEXT;
}

/* render_now - render the documents and put the result in the store */
static int render_now(const config_t *cf, store_t *st, long message, char *err, size_t errlen)
{
	store_doc_data_t *docs = NULL;
	size_t ndocs = 0;
	render_doc_t *rd = NULL;
	render_opts_t o;
	char dir[1024], out[1100];
	unsigned pages = 0;
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = RENDERJOB_TEMP;

	snprintf(dir, sizeof(dir), "%s/render-%ld.%d.d", cf->spool, message, (int)getpid());
	if (mkdir(dir, 0700) < 0) {
		snprintf(err, errlen, "cannot create %.300s: %s", dir, strerror(errno));
		return RENDERJOB_TEMP;
	}
	if (store_get_docs(st, message, &docs, &ndocs, err, errlen) < 0)
		goto out;
	if (ndocs == 0) {
		snprintf(err, errlen, "message %ld has no documents to fax", message);
		rc = RENDERJOB_BAD;
		goto out;
	}
	if ((rd = calloc(ndocs, sizeof(*rd))) == NULL)
		goto out;
	for (size_t i = 0; i < ndocs; i++) {
		char *path = malloc(1200);
		if (!path)
			goto out;
		snprintf(path, 1200, "%s/doc%zu.%s", dir, i + 1, docs[i].kind);
		rd[i].kind = kind_of(docs[i].kind);
		rd[i].path = path;
		rd[i].name = docs[i].filename[0] ? docs[i].filename : NULL;
		if (write_file(path, docs[i].data, docs[i].len) < 0) {
			snprintf(err, errlen, "cannot write %.300s: %s", path, strerror(errno));
			goto out;
		}
	}
	render_opts_default(&o);
	o.fine = cf->fine;
	o.time_limit = cf->render_time_limit;
	o.mem_limit = cf->render_mem_limit;
	o.tmpdir = dir;
	snprintf(out, sizeof(out), "%s/fax.tif", dir);
	switch (render_documents(rd, ndocs, &o, out, &pages, err, errlen)) {
	case 0:
		break;
	case RENDER_EBAD:
		rc = RENDERJOB_BAD;
		goto out;
	default:
		goto out;
	}
	if (file_read(out, 0, &data, &len, err, errlen) < 0) {
		snprintf(err, errlen, "cannot read %.300s", out);
		goto out;
	}
	if (store_put_render(st, message, data, len, pages, cf->fine ? "204x196" : "204x98",
	    err, errlen) < 0)
		goto out;
	rc = RENDERJOB_OK;
out:
	for (size_t i = 0; rd && i < ndocs; i++) {
		if (rd[i].path)
			unlink(rd[i].path);
		free((void *)rd[i].path);
	}
	unlink(out);
	rmdir(dir);
	free(rd);
	free(data);
	store_docs_free(docs, ndocs);
	return rc;
}

/* renderjob_do - see renderjob.h */
int renderjob_do(const config_t *cf, long message, unsigned *pages,
    char *err, size_t errlen)
{
	/* Renders run in libuv's thread pool beside the loop that paces
	 * every call's media in real time: a render may wait, a modem
	 * cannot. Linux nices threads one by one (and Ghostscript, a child
	 * of this thread, inherits it). */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), RENDER_NICE);
	char path[4200];
	unsigned char *data = NULL;
	size_t len = 0;
	struct stat sb;
	store_t *st;
	int rc, found;

	*pages = 0;
	renderjob_path(cf, message, path, sizeof(path));
	/* Renders never change once stored, so a local copy is current. */
	if (stat(path, &sb) == 0)
		return RENDERJOB_OK;
	if ((st = store_open(cf->store, err, errlen)) == NULL)
		return RENDERJOB_TEMP;
	mkdir(cf->spool, 0750);
	found = store_get_render(st, message, &data, &len, pages, err, errlen);
	if (found == 0) {
		rc = render_now(cf, st, message, err, errlen);
		if (rc != RENDERJOB_OK) {
			store_close(st);
			return rc;
		}
		/* Read back what the store holds: another host may have won. */
		found = store_get_render(st, message, &data, &len, pages, err, errlen);
	}
	store_close(st);
	if (found <= 0) {
		if (found == 0)
			snprintf(err, errlen, "render of message %ld vanished from the store", message);
		return RENDERJOB_TEMP;
	}
	rc = write_file(path, data, len) < 0 ? RENDERJOB_TEMP : RENDERJOB_OK;
	if (rc != RENDERJOB_OK)
		snprintf(err, errlen, "cannot write %.300s: %s", path, strerror(errno));
	free(data);
	return rc;
}

/* renderjob_run - see renderjob.h */
int renderjob_run(const config_t *cf, long message)
{
	char err[1024];
	unsigned pages = 0;
	int rc = renderjob_do(cf, message, &pages, err, sizeof(err));

	if (rc == RENDERJOB_OK)
		printf("pages=%u\n", pages);
	else
		fprintf(stderr, "%s\n", err);
	return rc;
}
