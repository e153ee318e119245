/* Unit tests: the SQLite store (submit, dedup, counts, migrations, claim limits). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "sqltest.h"
#include "claimtest.h"

extern const char *const store_sqlite_migrations[];

static char dir[] = "/tmp/faxgate-store-XXXXXX";
static char dbpath[256];

/* count - run a count(*) query against the file directly */
static long count(const char *sql)
{
	return sqltest_count(dbpath, sql);
}

int main(void)
{
	char err[512];
	store_t *st;
	int queued[4];

	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/fax.db", dir);

	st = store_open("mysql:foo", err, sizeof(err));
	ok(st == NULL && strstr(err, "unknown backend"), "unknown backend refused: %s", err);
	st = store_open("sqlite:/nonexistent/dir/fax.db", err, sizeof(err));
	ok(st == NULL && strstr(err, "cannot open"), "missing directory: %s", err);

	char spec[300];
	snprintf(spec, sizeof(spec), "sqlite:%s", dbpath);
	st = store_open(spec, err, sizeof(err));
	ok(st != NULL, "open creates and migrates: %s", st ? "" : err);
	if (!st)
		return done_testing();
	int nmig = 0;
	while (store_sqlite_migrations[nmig])
		nmig++;
	is_int(count("PRAGMA user_version"), nmig, "schema at the latest migration (%d)", nmig);
	is_int(count("SELECT count(*) FROM sqlite_master WHERE name IN ('messages','documents','jobs','attempts','renders','destinations','notices','job_overview','attempt_log')"), 9, "tables and views exist");

	store_msg_t m = { .dedup_key = "mid:abc@example.com", .message_id = "abc@example.com",
		.queue_id = "4QX", .sender = "alice@example.com", .envid = "E1", .ret = "HDRS",
		.client_addr = "127.0.0.1", .subject = "hello", .received_at = (long)time(NULL),
		.raw = "Subject: hello\r\n\r\nbody\r\n", .rawlen = 25 };
	store_doc_t d = { .kind = "pdf", .content_type = "application/pdf", .filename = "a.pdf",
		.data = "%PDF-1.4", .len = 8 };
	store_rcpt_t r[3] = {
		{ .recipient = "FAX=+12025550100@fax.test", .number = "+12025550100", .subaddress = "",
		  .dial = "12025550100", .domain = "fax.test", .notify = "SUCCESS,FAILURE", .orcpt = "rfc822;FAX=+12025550100@fax.test" },
		{ .recipient = "FAX=+12025550101@fax.test", .number = "+12025550101", .subaddress = "7",
		  .dial = "12025550101", .domain = "fax.test" },
		{ .recipient = "FAX=+1-202-555-0100@fax.test", .number = "+12025550100", .subaddress = "",
		  .dial = "12025550100", .domain = "fax.test" },
	};
	ok(store_submit(st, &m, &d, 1, r, 3, queued, err, sizeof(err)) == 0, "submit: %s", err);
	ok(queued[0] == 1 && queued[1] == 1 && queued[2] == 0, "repeated number in one envelope is one job");
	is_int(count("SELECT count(*) FROM jobs"), 2, "two jobs");
	is_int(count("SELECT count(*) FROM messages"), 1, "one message");
	is_int(count("SELECT count(*) FROM documents WHERE kind='pdf' AND data = CAST('%PDF-1.4' AS BLOB)"), 1, "document stored");
	is_int(count("SELECT count(*) FROM jobs WHERE state='queued' AND notify='SUCCESS,FAILURE' AND orcpt LIKE 'rfc822;FAX=+1%'"), 1, "NOTIFY and ORCPT stored");
	is_int(count("SELECT count(*) FROM messages WHERE envid='E1' AND ret='HDRS' AND sender='alice@example.com'"), 1, "ENVID, RET, sender stored");

	/* The same message again: nothing new is written. */
	ok(store_submit(st, &m, &d, 1, r, 2, queued, err, sizeof(err)) == 0, "resubmit ok");
	ok(queued[0] == 0 && queued[1] == 0, "both duplicates");
	is_int(count("SELECT count(*) FROM messages"), 1, "still one message");

	/* Same Message-ID, one new number: only that job is new. */
	store_rcpt_t r2 = { .recipient = "FAX=+12025550102@fax.test", .number = "+12025550102",
		.subaddress = "", .dial = "12025550102", .domain = "fax.test" };
	store_rcpt_t both[2] = { r[0], r2 };
	ok(store_submit(st, &m, &d, 1, both, 2, queued, err, sizeof(err)) == 0 && !queued[0] && queued[1],
	    "new number for a known message is queued");
	is_int(count("SELECT count(*) FROM jobs"), 3, "three jobs");

	/* Same number, different subaddress: a different job. */
	store_rcpt_t r3 = r[0];
	r3.subaddress = "12";
	ok(store_submit(st, &m, &d, 1, &r3, 1, queued, err, sizeof(err)) == 0 && queued[0],
	    "subaddress makes a different job");

	long n = -1;
	ok(store_sender_count(st, "alice@example.com", (long)time(NULL) - 3600, &n, err, sizeof(err)) == 0, "sender count");
	is_int(n, 4, "four jobs for alice in the last hour");
	store_sender_count(st, "bob@example.com", 0, &n, err, sizeof(err));
	is_int(n, 0, "none for bob");
	is_int(count("SELECT count(*) FROM job_overview WHERE sender='alice@example.com'"), 4, "job_overview view");
	store_close(st);

	/* Reopening does not migrate again, and data persists. */
	st = store_open(dbpath, err, sizeof(err));
	ok(st != NULL, "reopen with a plain path");
	store_close(st);
	is_int(count("SELECT count(*) FROM jobs"), 4, "jobs persist");

	/* A store from a newer program is refused. */
	sqlite3 *db;
	sqlite3_open(dbpath, &db);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	st = store_open(dbpath, err, sizeof(err));
	ok(st == NULL && strstr(err, "schema version 99 is newer"), "newer schema refused: %s", err);

	/* Calls at once per number, two handles on one file standing for
	 * two dialer processes. */
	snprintf(spec, sizeof(spec), "sqlite:%s/claims.db", dir);
	store_t *c1 = store_open(spec, err, sizeof(err)), *c2 = store_open(spec, err, sizeof(err));
	ok(c1 && c2, "two handles on a fresh store: %s", c1 && c2 ? "" : err);
	if (c1 && c2)
		claimtest_limits(c1, c2, (long)time(NULL) + 5);
	store_close(c1);
	store_close(c2);

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cleanup failed");
	return done_testing();
}
