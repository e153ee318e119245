/*
 * Unit tests: the PostgreSQL store (common/store_pg*.c) against a real
 * server. FAXGATE_PG_DSN names an empty database (t/80-pg-store.t starts
 * a private server and runs this); without it the test is skipped.
 * Several store handles (and forked processes) stand for several hosts.
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "claimtest.h"
#include "inboundtest.h"
#include "pgtest.h"

/* count - one number from a query run directly on the database */
static long count(const char *sql)
{
	return pgtest_count(sql);
}

static store_msg_t msg(const char *key)
{
	store_msg_t m = { .dedup_key = key, .message_id = key + 4, .queue_id = "4QX",
		.sender = "alice@example.com", .envid = "E1", .ret = "HDRS",
		.client_addr = "127.0.0.1", .subject = "hello", .received_at = (long)time(NULL),
		.raw = "Subject: hello\r\n\r\nbody\r\n", .rawlen = 25, .mdn_to = NULL };
	return m;
}

static store_rcpt_t rcpt(const char *number)
{
	store_rcpt_t r = { .recipient = "FAX@fax.test", .number = number, .subaddress = "",
		.dial = number + 1, .domain = "fax.test", .notify = "SUCCESS,FAILURE" };
	return r;
}

/* race - n processes submit the same message at once; the jobs queued */
static long race(const char *spec, int n)
{
	for (int i = 0; i < n; i++) {
		if (fork() == 0) {
			char err[512];
			int q[2];
			store_t *st = store_open(spec, err, sizeof(err));
			store_msg_t m = msg("mid:race@example.com");
			store_rcpt_t r[2] = { rcpt("+12025550170"), rcpt("+12025550171") };
			_exit(!st || store_submit(st, &m, NULL, 0, r, 2, q, err, sizeof(err)) < 0);
		}
	}
	int bad = 0, status;
	while (wait(&status) > 0)
		bad += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	return bad ? -1 : count("SELECT count(*) FROM jobs WHERE dedup_key = 'mid:race@example.com'");
}

/* claim_race - n processes (hosts) claim fax id at once; how many got it,
 * or -1 if one failed */
static long claim_race(const char *spec, long id, long now, int n)
{
	int got = 0, bad = 0, status;

	for (int i = 0; i < n; i++) {
		if (fork() == 0) {
			char err[512];
			store_t *st = store_open(spec, err, sizeof(err));
			int rc = st ? store_inbound_claim(st, id, now, now + 600, err, sizeof(err)) : -1;
			_exit(rc < 0 ? 1 : rc ? 10 : 11);
		}
	}
	while (wait(&status) > 0) {
		got += WIFEXITED(status) && WEXITSTATUS(status) == 10;
		bad += !WIFEXITED(status) || WEXITSTATUS(status) < 10;
	}
	return bad ? -1 : got;
}

/* test_inbound - received faxes: the checks every backend gets
 * (t/inboundtest.h), two hosts claiming one at once, and what only
 * PostgreSQL stores so (bytea, timestamps) */
static void test_inbound(const char *spec, store_t *a, store_t *b)
{
	inboundtest_db_t pg = { pgtest_count, pgtest_exec };
	inboundtest_ids_t ids;
	char q[256];

	inboundtest_rows(a, b, &pg, &ids);
	snprintf(q, sizeof(q), "SELECT count(*) FROM inbound WHERE id = %ld AND octet_length(tiff)"
	    " = %d AND substr(tiff, 1, 4) = '\\x49492a00'::bytea", ids.full, INBOUNDTEST_TIFFLEN);
	is_int(count(q), 1, "its TIFF as bytea");
	is_int(count("SELECT tiff_size FROM inbound_overview WHERE received = to_timestamp(1700001000)"
	    " AND did = '+12025550199'"), INBOUNDTEST_TIFFLEN,
	    "inbound_overview: times as dates, the TIFF's size");
	inboundtest_due(a, &ids);
	is_int(claim_race(spec, ids.full, 1700004000, 6), 1,
	    "six hosts claim one fax at once: one gets it");
	inboundtest_leases(a, b, &pg, &ids);
	inboundtest_bounces(a, b, &pg, &ids);
}

int main(void)
{
	char spec[512], err[512];
	int conn;
	store_t *a, *b;
	int queued[4];
	long now = (long)time(NULL);

	if ((conn = pgtest_connect(spec, sizeof(spec))) <= 0)
		return conn < 0;

	a = store_open("postgresql:host=127.0.0.1 port=1 connect_timeout=2", err, sizeof(err));
	ok(a == NULL && strstr(err, "cannot connect"), "no server: %s", err);
	a = store_open(spec, err, sizeof(err));
	ok(a != NULL, "open creates the schema: %s", a ? "" : err);
	if (!a)
		return done_testing();
	b = store_open(spec, err, sizeof(err));
	ok(b != NULL, "a second host opens the migrated store");
	is_int(count("SELECT max(version) FROM schema_version"), 2, "schema version 2");
	is_int(count("SELECT count(*) FROM information_schema.tables WHERE table_name IN ('messages',"
	    "'documents','jobs','attempts','renders','destinations','notices','inbound','did_map',"
	    "'dtmf_index','routes','callers','users','auth_failures','job_overview','attempt_log',"
	    "'inbound_overview')"), 17, "tables and views exist");

	/* Intake and dedup. */
	store_msg_t m = msg("mid:abc@example.com");
	store_doc_t d = { .kind = "pdf", .content_type = "application/pdf", .filename = "a.pdf",
		.data = "%PDF-1.4\0x", .len = 10 };
	store_rcpt_t r[3] = { rcpt("+12025550100"), rcpt("+12025550101"), rcpt("+12025550100") };
	ok(store_submit(a, &m, &d, 1, r, 3, queued, err, sizeof(err)) == 0, "submit: %s", err);
	ok(queued[0] == 1 && queued[1] == 1 && queued[2] == 0, "repeated number in one envelope is one job");
	is_int(count("SELECT count(*) FROM jobs"), 2, "two jobs");
	is_int(count("SELECT count(*) FROM documents WHERE data = '\\x255044462d312e340078'::bytea"), 1,
	    "document stored byte for byte (with a NUL)");
	ok(store_submit(b, &m, &d, 1, r, 2, queued, err, sizeof(err)) == 0 && !queued[0] && !queued[1],
	    "the same message at another host: both duplicates");
	is_int(count("SELECT count(*) FROM messages"), 1, "still one message");
	is_int(race(spec, 6), 2, "six hosts submitting one message at once queue it once");
	is_int(count("SELECT count(*) FROM messages WHERE dedup_key = 'mid:race@example.com'"), 1,
	    "and keep one copy of it");
	long n = -1;
	ok(store_sender_count(a, "alice@example.com", now - 3600, &n, err, sizeof(err)) == 0 && n == 4,
	    "sender count: %ld", n);

	/* Claims: leases, SKIP LOCKED, one call per number across hosts. */
	now = (long)time(NULL) + 1;	/* the racers' jobs may be a second newer */
	store_job_t ja[8], jb[8];
	size_t na = 0, nb = 0;
	store_msg_t m2 = msg("mid:second@example.com");
	store_rcpt_t r2 = rcpt("+12025550100");	/* the same number as a job of m */
	ok(store_submit(a, &m2, NULL, 0, &r2, 1, queued, err, sizeof(err)) == 0 && queued[0],
	    "a second message to the same number");
	ok(store_claim(a, "hostA", now, now + 60, 8, 1, ja, &na, err, sizeof(err)) == 0, "claim A: %s", err);
	ok(store_claim(b, "hostB", now, now + 60, 8, 1, jb, &nb, err, sizeof(err)) == 0, "claim B: %s", err);
	is_int((long)(na + nb), 4, "four numbers, four jobs claimed between the hosts");
	is_int(count("SELECT count(*) FROM jobs WHERE number = '+12025550100' AND state = 'rendering'"),
	    1, "one job per number in a call; the second waits");
	is_int(count("SELECT count(DISTINCT lease_owner) FROM jobs WHERE state = 'rendering'"),
	    (na && nb) ? 2 : 1, "leases name their owner");
	size_t nc = 9;
	store_claim(b, "hostB", now, now + 60, 8, 1, jb + nb, &nc, err, sizeof(err));
	is_int((long)nc, 0, "nothing more to claim while those calls run");

	store_job_t *j = na ? &ja[0] : &jb[0];
	const char *own = na ? "hostA" : "hostB";
	store_attempt_t at = { .attempt = 1, .started_at = now, .channel = "sim/0", .first_page = 1 };
	ok(store_attempt_begin(a, j->id, "intruder", &at, err, sizeof(err)) < 0 && strstr(err, "lease lost"),
	    "attempt_begin by a non-owner refused: %s", err);
	ok(store_attempt_begin(a, j->id, own, &at, err, sizeof(err)) == 0, "attempt_begin: %s", err);
	ok(store_job_progress(a, j->id, own, 1, err, sizeof(err)) == 0, "progress");
	at.ended_at = now + 5;
	at.pages_sent = 1;
	at.outcome = "ok";
	at.status = "2.0.0";
	at.resolution = "204x196";
	at.bit_rate = 14400;
	at.ecm = 1;
	store_job_update_t u = { .state = "done", .pages_confirmed = 1, .pages_total = 1,
		.status = "2.0.0", .diagnostic = "smtp; 250", .notice_due = "delivered" };
	ok(store_attempt_end(a, j->id, own, &at, &u, err, sizeof(err)) == 0, "attempt_end: %s", err);
	char q[256];
	snprintf(q, sizeof(q), "SELECT count(*) FROM attempts WHERE job = %ld AND outcome = 'ok'"
	    " AND pages_sent = 1 AND bit_rate = 14400 AND ended_at = %ld", j->id, now + 5);
	is_int(count(q), 1, "attempt row complete");
	snprintf(q, sizeof(q), "SELECT count(*) FROM jobs WHERE id = %ld AND state = 'done'"
	    " AND lease_owner IS NULL AND notice_due = 'delivered' AND attempts = 1", j->id);
	is_int(count(q), 1, "job done, lease released, notice owed");
	ok(store_attempt_end(a, j->id, own, NULL, &u, err, sizeof(err)) < 0, "a second end is refused");

	/* A dead dialer: its lease runs out and another host takes the job over. */
	long when = 0;
	err[0] = '\0';
	ok(store_next_due(b, now, &when, err, sizeof(err)) == 0 && when == now + 61,
	    "next due is the end of the live leases: %ld %s", when - now, err);
	nc = 0;
	ok(store_claim(b, "hostC", now + 61, now + 120, 8, 1, jb, &nc, err, sizeof(err)) == 0 && nc == 4,
	    "after the leases ran out, another host takes over (%zu)", nc);
	is_int(count("SELECT count(*) FROM jobs WHERE lease_owner = 'hostC'"), 4, "all held by hostC");
	ok(store_lease_renew(b, "hostC", now + 500, err, sizeof(err)) == 0, "lease renew");
	snprintf(q, sizeof(q), "SELECT count(*) FROM jobs WHERE lease_until = %ld", now + 500);
	is_int(count(q), 4, "every lease of hostC renewed");

	/* Documents, renders, destinations. */
	store_doc_data_t *docs;
	size_t nd;
	ok(store_get_docs(b, j->message, &docs, &nd, err, sizeof(err)) == 0 &&
	    nd == 1 && docs[0].len == 10 && memcmp(docs[0].data, "%PDF-1.4\0x", 10) == 0 &&
	    strcmp(docs[0].filename, "a.pdf") == 0, "documents read back");
	store_docs_free(docs, nd);
	unsigned char *rd;
	size_t rl;
	unsigned pages = 0;
	is_int(store_get_render(a, j->message, &rd, &rl, &pages, err, sizeof(err)), 0, "no render yet");
	ok(store_put_render(a, j->message, "II*\0render1", 11, 2, "204x196", err, sizeof(err)) == 0 &&
	    store_put_render(b, j->message, "II*\0other", 9, 3, "204x98", err, sizeof(err)) == 0,
	    "two hosts render");
	ok(store_get_render(b, j->message, &rd, &rl, &pages, err, sizeof(err)) == 1 && rl == 11 &&
	    pages == 2 && memcmp(rd, "II*\0render1", 11) == 0, "the first render wins");
	free(rd);
	int ecm = -1, t38 = 5;
	char modems[16];
	is_int(store_dest_get(a, "+12025550100", &ecm, modems, sizeof(modems), err, sizeof(err)), 0,
	    "unknown destination");
	store_dest_set(a, "+12025550100", 0, "v29", now, err, sizeof(err));
	ok(store_dest_get(b, "+12025550100", &ecm, modems, sizeof(modems), err, sizeof(err)) == 1 &&
	    ecm == 0 && strcmp(modems, "v29") == 0, "destination remembered");
	store_dest_get_t38(a, "+12025550100", &t38, err, sizeof(err));
	is_int(t38, -1, "T.38 not known");
	store_dest_set_t38(a, "+12025550100", 0, now, err, sizeof(err));
	store_dest_get_t38(a, "+12025550100", &t38, err, sizeof(err));
	is_int(t38, 0, "T.38 refusal remembered");

	/* Notices. */
	long msgs[8];
	size_t nm = 0;
	ok(store_notice_due(a, now + 10, 0, msgs, 8, &nm, err, sizeof(err)) == 0 && nm == 1 &&
	    msgs[0] == j->message, "a notice is due for the message");
	store_message_t mm;
	store_notice_job_t *nj;
	size_t nn = 0;
	ok(store_notice_load(b, j->message, now + 10, 0, &mm, &nj, &nn, err, sizeof(err)) == 0 &&
	    nn == 1 && nj[0].job.id == j->id && strcmp(nj[0].notice_due, "delivered") == 0 &&
	    mm.rawlen == 25 && strcmp(mm.sender, "alice@example.com") == 0 &&
	    nj[0].last_attempt_at == now + 5, "notice loaded with its message");
	nm = 0;
	store_notice_due(a, now + 10, 1, msgs, 8, &nm, err, sizeof(err));
	is_int((long)nm, 0, "gathered: waits for the message's other job");
	/* b holds the notice while it injects it: another host gets nothing. */
	store_message_t m4;
	store_notice_job_t *nj4;
	size_t nn4 = 9;
	ok(store_notice_load(a, j->message, now + 10, 0, &m4, &nj4, &nn4, err, sizeof(err)) == 0 &&
	    nn4 == 0, "another host loading the same notice meanwhile gets nothing");
	store_message_free(&m4);
	free(nj4);
	ok(store_notice_retry(b, &j->id, 1, now + 100, err, sizeof(err)) == 0, "notice retry");
	is_int(count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0,
	    "the retry lets the notice go");
	ok(store_notice_load(a, j->message, now + 100, 0, &m4, &nj4, &nn4, err, sizeof(err)) == 0 &&
	    nn4 == 1 && nj4[0].notice_tries == 1, "then the other host has it, with its failed try");
	store_message_free(&m4);
	free(nj4);
	ok(store_notice_sent(a, j->message, &j->id, 1, "dsn", "delivered", "<n1@gw>", now + 11,
	    err, sizeof(err)) == 0, "notice sent");
	is_int(count("SELECT count(*) FROM notices WHERE kind = 'dsn' AND jobs <> ''"), 1, "notice logged");
	is_int(count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"), 0,
	    "and let go once sent");
	snprintf(q, sizeof(q), "SELECT count(*) FROM jobs WHERE id = %ld AND notice_due IS NULL", j->id);
	is_int(count(q), 1, "nothing owed any more");
	store_message_free(&mm);
	free(nj);
	size_t nmdn = 9;
	long mj[4];
	ok(store_mdn_due(a, now, mj, 4, &nmdn, err, sizeof(err)) == 0 && nmdn == 0, "no MDN due");

	/* Operators (faxgatectl). */
	store_msg_t m3 = msg("mid:third@example.com");
	store_rcpt_t r3 = rcpt("+12025550190");
	ok(store_submit(b, &m3, NULL, 0, &r3, 1, queued, err, sizeof(err)) == 0 && queued[0],
	    "a sixth job, queued");
	store_job_info_t *ji;
	size_t nji = 0;
	store_job_filter_t f = { 0 };
	ok(store_job_list(a, &f, &ji, &nji, err, sizeof(err)) == 0 && nji == 6 &&
	    ji[0].job.id > ji[5].job.id, "job list: all six, newest first");
	free(ji);
	static const char *const sending[] = { "rendering", "sending", NULL };
	f.states = sending;
	f.sender = "ALICE@example.com";
	f.number = "+12025550100";
	ok(store_job_list(a, &f, &ji, &nji, err, sizeof(err)) == 0 && nji == 1 &&
	    strcmp(ji[0].lease_owner, "hostC") == 0 && strcmp(ji[0].sender, "alice@example.com") == 0,
	    "job list by state, sender (any case) and number, with its lease: %s", nji ? "" : err);
	free(ji);
	store_job_detail_t dt;
	is_int(store_job_detail(b, 999999, &dt, err, sizeof(err)), 0, "no such job: 0");
	ok(store_job_detail(b, j->id, &dt, err, sizeof(err)) == 1 && dt.ndocs == 1 &&
	    dt.docs[0].size == 10 && dt.nattempts == 1 && dt.attempts[0].bit_rate == 14400 &&
	    dt.nnotices == 1 && strcmp(dt.notices[0].message_id, "<n1@gw>") == 0 &&
	    dt.msg.rawlen == 25 && strcmp(dt.client_addr, "127.0.0.1") == 0,
	    "job detail: documents, attempts, notices, message");
	store_job_detail_free(&dt);
	store_stats_t ss;
	ok(store_stats(a, now + 10, &ss, err, sizeof(err)) == 0 && ss.all.attempts_ok == 1 &&
	    ss.nstates == 3 && ss.all.notices == 1, "stats: %zu states, %ld ok", ss.nstates,
	    ss.all.attempts_ok);
	store_metrics_t mt;
	ok(store_metrics(b, now + 10, &mt, err, sizeof(err)) == 0 && mt.stats.all.attempts_ok == 1,
	    "metrics: %s", err);
	char from[16];
	long held = count("SELECT min(id) FROM jobs WHERE state = 'queued'");
	is_int(store_job_change(a, held, STORE_HOLD, now, from, sizeof(from), err, sizeof(err)), 1,
	    "hold a queued job");
	ok(strcmp(from, "queued") == 0, "it was queued");
	is_int(store_job_change(a, held, STORE_CANCEL, now, from, sizeof(from), err, sizeof(err)), 1,
	    "cancel the held job");
	is_int(store_job_change(a, held, STORE_HOLD, now, from, sizeof(from), err, sizeof(err)), 0,
	    "a cancelled job cannot be held");
	ok(strcmp(from, "cancelled") == 0, "and says why: %s", from);
	held = count("SELECT min(id) FROM jobs WHERE lease_owner = 'hostC'");
	is_int(store_job_change(b, held, STORE_RETRY, now, from, sizeof(from), err, sizeof(err)), 0,
	    "a job in a live call is not retried under its dialer");
	is_int(store_job_change(b, 999999, STORE_RETRY, now, from, sizeof(from), err, sizeof(err)), 0,
	    "no such job");
	ok(from[0] == '\0', "no state for it");

	/* Received faxes. */
	test_inbound(spec, a, b);

	/* Calls at once per number, two hosts (last: it claims what is due). */
	claimtest_limits(a, b, (long)time(NULL) + 5);

	/* A store from a newer program is refused. */
	PQclear(PQexec(pgtest_db, "UPDATE schema_version SET version = 99"));
	store_t *c = store_open(spec, err, sizeof(err));
	ok(c == NULL && strstr(err, "schema version 99 is newer"), "newer schema refused: %s", err);
	PQclear(PQexec(pgtest_db, "UPDATE schema_version SET version = 2"));
	store_close(a);
	store_close(b);
	PQfinish(pgtest_db);
	return done_testing();
}
