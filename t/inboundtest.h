/*
 * inboundtest.h - for the store's unit tests (header-only): received
 * faxes (the store_inbound_* calls) checked the same way on every
 * backend: in and out byte for byte, NULLs, refusals, lists, the
 * mailer's claims, leases, marks and requeues, and delivery reports.
 *
 * SYNOPSIS
 *	#include "tap.h"
 *	#include "inboundtest.h"
 *	void inboundtest_rows(store_t *a, store_t *b, const inboundtest_db_t *db,
 *	    inboundtest_ids_t *ids);
 *	void inboundtest_due(store_t *a, const inboundtest_ids_t *ids);
 *	void inboundtest_leases(store_t *a, store_t *b, const inboundtest_db_t *db,
 *	    const inboundtest_ids_t *ids);
 *	void inboundtest_bounces(store_t *a, store_t *b, const inboundtest_db_t *db,
 *	    const inboundtest_ids_t *ids);
 *
 * DESCRIPTION
 *	a and b are two handles on one store (two hosts); db->count runs a
 *	query directly on the database and returns column 0 of its one row
 *	(or -1), db->exec runs a statement (0 or -1), both in SQL that SQLite
 *	and PostgreSQL accept. Table inbound must start empty.
 *
 *	inboundtest_rows adds four faxes (ids->full, bare, part, dtls: every
 *	field, only a time, a partial call, a failed one over t38-dtls), sets
 *	part "held" and dtls "mailed" directly, and checks gets and lists.
 *	inboundtest_due checks what is due at 1700004000 (full, then bare).
 *	Then the caller claims ids->full from 1700004000 until 1700004600,
 *	once (with as many racing hosts as it likes), and checks that itself;
 *	inboundtest_leases goes on from there: leases, decide, mark, requeue.
 *	inboundtest_bounces records delivery reports about ids->full.
 */
#ifndef FAXGATE_INBOUNDTEST_H
#define FAXGATE_INBOUNDTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

#define INBOUNDTEST_TIFFLEN 70001

typedef struct {
	long (*count)(const char *sql);
	int (*exec)(const char *sql);
} inboundtest_db_t;

typedef struct {
	long full, bare, part, dtls;
} inboundtest_ids_t;

/* inboundtest_fine - ok() for a store call meant to succeed; its error as
 * a diag if not */
__attribute__((unused))
static int inboundtest_fine(int pass, const char *err, const char *name)
{
	if (!ok(pass, "%s", name))
		diag("%s", err);
	return pass;
}

/* inboundtest_row_is - every field of a row read back against what was added */
__attribute__((unused))
static void inboundtest_row_is(const store_inbound_row_t *r, const store_inbound_t *in,
    const char *what)
{
	ok(r->received_at == in->received_at && r->ended_at == in->ended_at &&
	    r->pages == in->pages && r->bytes == in->bytes && r->bit_rate == in->bit_rate &&
	    r->ecm == in->ecm, "%s: times and numbers", what);
	is_str(r->channel, in->channel, "%s: channel", what);
	is_str(r->call_id, in->call_id, "%s: call id", what);
	is_str(r->did, in->did, "%s: did", what);
	is_str(r->caller, in->caller, "%s: caller", what);
	is_str(r->remote_ident, in->remote_ident, "%s: remote ident", what);
	is_str(r->transport, in->transport, "%s: transport", what);
	is_str(r->resolution, in->resolution, "%s: resolution", what);
	is_str(r->outcome, in->outcome, "%s: outcome", what);
	is_str(r->status, in->status, "%s: status", what);
	is_str(r->error_code, in->error_code, "%s: error code", what);
	is_str(r->error_text, in->error_text, "%s: error text", what);
	is_str(r->dtmf, in->dtmf, "%s: dtmf", what);
	is_str(r->targets, in->targets, "%s: targets", what);
	is_str(r->decision, in->decision, "%s: decision", what);
	is_str(r->state, "new", "%s: state new", what);
}

/* inboundtest_full - the fax with every field; *tiff is a TIFF-sized
 * buffer with every byte value (NULs included), for the caller to free */
__attribute__((unused))
static store_inbound_t inboundtest_full(unsigned char **tiff)
{
	unsigned x = 12345;

	*tiff = malloc(INBOUNDTEST_TIFFLEN);
	memcpy(*tiff, "II*\0", 4);
	for (size_t i = 4; i < INBOUNDTEST_TIFFLEN; i++)
		(*tiff)[i] = (unsigned char)((x = x * 1103515245 + 12345) >> 16);
	return (store_inbound_t){ .received_at = 1700001000, .ended_at = 1700001095,
		.channel = "sip/3", .call_id = "a84b4c76e66710@gw.example.test",
		.did = "+12025550199", .caller = "+33142868200", .remote_ident = "+33 1 42 86 82 00",
		.transport = "t38", .pages = 3, .bytes = 51234, .resolution = "204x196",
		.bit_rate = 14400, .ecm = 1, .outcome = "ok", .status = "2.0.0",
		.error_code = "OK", .error_text = "OK", .dtmf = "1234#",
		.tiff = *tiff, .tifflen = INBOUNDTEST_TIFFLEN,
		.targets = "alice@sender.test bob@sender.test",
		.decision = "allow ok: did +12025550199" };
}

__attribute__((unused))
static void inboundtest_rows(store_t *a, store_t *b, const inboundtest_db_t *db,
    inboundtest_ids_t *ids)
{
	unsigned char *tiff;
	store_inbound_t full = inboundtest_full(&tiff);
	store_inbound_row_t r, *rows = NULL;
	char err[512], q[1024];
	long id;
	size_t n = 0;

	memset(ids, 0, sizeof(*ids));
	inboundtest_fine(store_inbound_add(a, &full, &ids->full, err, sizeof(err)) == 0 &&
	    ids->full > 0, err, "add a received fax with every field, get its id");
	snprintf(q, sizeof(q), "SELECT count(*) FROM inbound WHERE id = %ld AND length(tiff) = %d",
	    ids->full, INBOUNDTEST_TIFFLEN);
	is_int(db->count(q), 1, "committed: another connection sees it and its TIFF's length");
	ok(store_inbound_get(b, ids->full, &r, 1, err, sizeof(err)) == 1,
	    "another host gets it with its TIFF");
	inboundtest_row_is(&r, &full, "full");
	ok(r.id == ids->full && r.tifflen == INBOUNDTEST_TIFFLEN && r.tiff &&
	    memcmp(r.tiff, tiff, INBOUNDTEST_TIFFLEN) == 0, "the TIFF back byte for byte (%d bytes)",
	    INBOUNDTEST_TIFFLEN);
	ok(r.mail_error == NULL && r.mailed_at == 0 && r.mail_tries == 0 && r.mail_next_at == 0 &&
	    r.bounces == NULL, "not mailed, no bounce");
	store_inbound_row_free(&r);
	ok(store_inbound_get(b, ids->full, &r, 0, err, sizeof(err)) == 1 && r.tiff == NULL &&
	    r.tifflen == INBOUNDTEST_TIFFLEN, "get without the TIFF: only its size");
	store_inbound_row_free(&r);

	/* Nothing known: every NULL pointer stored as NULL, did as "". */
	store_inbound_t bare = { .received_at = 1700002000, .bit_rate = 0, .ecm = -1 };
	inboundtest_fine(store_inbound_add(a, &bare, &ids->bare, err, sizeof(err)) == 0, err,
	    "add one with only a time");
	snprintf(q, sizeof(q), "SELECT count(*) FROM inbound WHERE id = %ld AND did = ''"
	    " AND ended_at IS NULL AND channel IS NULL AND call_id IS NULL AND caller IS NULL"
	    " AND remote_ident IS NULL AND transport IS NULL AND pages = 0 AND bytes = 0"
	    " AND resolution IS NULL AND bit_rate IS NULL AND ecm IS NULL AND outcome IS NULL"
	    " AND status IS NULL AND error_code IS NULL AND error_text IS NULL AND dtmf IS NULL"
	    " AND tiff IS NULL AND targets IS NULL AND decision IS NULL AND state = 'new'", ids->bare);
	is_int(db->count(q), 1, "stored as NULLs, did ''");
	ok(store_inbound_get(a, ids->bare, &r, 1, err, sizeof(err)) == 1, "get it");
	bare.did = "";
	bare.bit_rate = -1;
	inboundtest_row_is(&r, &bare, "bare");
	ok(r.tiff == NULL && r.tifflen == 0, "no TIFF");
	store_inbound_row_free(&r);

	/* A failed call after one page, with an empty TIFF and a caller ''. */
	store_inbound_t part = { .received_at = 1700003000, .ended_at = 1700003040,
		.channel = "sip/0", .did = "+12025550198", .caller = "", .transport = "g711",
		.pages = 1, .bytes = 9000, .ecm = 0, .outcome = "partial", .status = "4.4.2",
		.error_code = "T30_ERR_RX_NOCARRIER", .error_text = "the far end hung up",
		.tiff = "", .tifflen = 0 };
	inboundtest_fine(store_inbound_add(b, &part, &ids->part, err, sizeof(err)) == 0, err,
	    "add a partial one");
	snprintf(q, sizeof(q), "SELECT count(*) FROM inbound WHERE id = %ld AND caller = ''"
	    " AND tiff IS NULL AND ecm = 0 AND outcome = 'partial'", ids->part);
	is_int(db->count(q), 1, "caller '' kept, an empty TIFF stored as none");

	/* Refused values: a precise reason, nothing written. */
	store_inbound_t bad = full;
	bad.outcome = "done";
	ok(store_inbound_add(a, &bad, &id, err, sizeof(err)) < 0, "outcome 'done' refused");
	is_str(err, "inbound fax: outcome 'done' is not ok, partial or failed", "with its reason");
	bad = full;
	bad.transport = "sip";
	ok(store_inbound_add(a, &bad, &id, err, sizeof(err)) < 0, "transport 'sip' refused");
	is_str(err, "inbound fax: transport 'sip' is not t38, t38-dtls, g711 or sim", "with its reason");
	bad = full;
	bad.received_at = 0;
	ok(store_inbound_add(a, &bad, &id, err, sizeof(err)) < 0, "no time refused");
	is_str(err, "inbound fax: received_at 0 is not a time", "with its reason");
	bad = full;
	bad.pages = -1;
	ok(store_inbound_add(a, &bad, &id, err, sizeof(err)) < 0, "negative pages refused");
	is_str(err, "inbound fax: -1 pages, 51234 bytes: not a count", "with its reason");
	bad = full;
	bad.tiff = NULL;
	ok(store_inbound_add(a, &bad, &id, err, sizeof(err)) < 0, "a TIFF length without data refused");
	is_str(err, "inbound fax: a TIFF of 70001 bytes without its data", "with its reason");
	bad = full;
	bad.targets = "   ";
	ok(store_inbound_add(a, &bad, &id, err, sizeof(err)) < 0 && strstr(err, "targets"),
	    "blank targets refused: %s", err);
	bad = full;
	bad.transport = "t38-dtls";
	bad.outcome = "failed";
	bad.received_at = 1690000000;
	inboundtest_fine(store_inbound_add(a, &bad, &ids->dtls, err, sizeof(err)) == 0, err,
	    "t38-dtls and failed accepted");
	is_int(db->count("SELECT count(*) FROM inbound"), 4, "nothing written by the refusals");

	/* Lists: newest first (by call start), limited, by state. */
	inboundtest_fine(store_inbound_list(b, 0, NULL, &rows, &n, err, sizeof(err)) == 0, err,
	    "list all");
	ok(n == 4 && rows[0].id == ids->part && rows[1].id == ids->bare && rows[2].id == ids->full &&
	    rows[3].id == ids->dtls, "four, newest first");
	ok(n == 4 && rows[2].tiff == NULL && rows[2].tifflen == INBOUNDTEST_TIFFLEN &&
	    rows[0].tifflen == 0, "without TIFFs, with their sizes");
	if (n == 4)
		inboundtest_row_is(&rows[2], &full, "listed");
	store_inbound_rows_free(rows, n);
	ok(store_inbound_list(b, 2, NULL, &rows, &n, err, sizeof(err)) == 0 && n == 2 &&
	    rows[0].id == ids->part && rows[1].id == ids->bare, "a limit of 2: the newest two");
	store_inbound_rows_free(rows, n);
	snprintf(q, sizeof(q), "UPDATE inbound SET state = 'held' WHERE id = %ld", ids->part);
	db->exec(q);
	snprintf(q, sizeof(q), "UPDATE inbound SET state = 'mailed' WHERE id = %ld", ids->dtls);
	db->exec(q);
	ok(store_inbound_list(a, 0, "held", &rows, &n, err, sizeof(err)) == 0 && n == 1 &&
	    rows[0].id == ids->part && strcmp(rows[0].state, "held") == 0, "by state: held");
	store_inbound_rows_free(rows, n);
	ok(store_inbound_list(a, 0, "mailed", &rows, &n, err, sizeof(err)) == 0 && n == 1 &&
	    rows[0].id == ids->dtls && strcmp(rows[0].state, "mailed") == 0, "by state: mailed");
	store_inbound_rows_free(rows, n);
	ok(store_inbound_list(a, 0, "new", &rows, &n, err, sizeof(err)) == 0 && n == 2 &&
	    rows[0].id == ids->bare && rows[1].id == ids->full, "by state: the two new");
	store_inbound_rows_free(rows, n);
	ok(store_inbound_list(a, 0, "failed", &rows, &n, err, sizeof(err)) == 0 && n == 0 &&
	    rows == NULL, "by state: none failed, no array");
	store_inbound_rows_free(rows, n);
	is_int(store_inbound_get(a, 999999, &r, 1, err, sizeof(err)), 0, "get an unknown id: 0");
	store_inbound_row_free(&r);
	free(tiff);
}

__attribute__((unused))
static void inboundtest_due(store_t *a, const inboundtest_ids_t *ids)
{
	long got[8];
	size_t n = 0;
	char err[512];

	ok(store_inbound_due(a, 1700004000, got, 8, &n, err, sizeof(err)) == 0 && n == 2 &&
	    got[0] == ids->full && got[1] == ids->bare,
	    "due: the two new ones, oldest call first (not the held or the mailed)");
	ok(store_inbound_due(a, 1700004000, got, 1, &n, err, sizeof(err)) == 0 && n == 1 &&
	    got[0] == ids->full, "due: at most max");
}

__attribute__((unused))
static void inboundtest_leases(store_t *a, store_t *b, const inboundtest_db_t *db,
    const inboundtest_ids_t *ids)
{
	store_inbound_row_t r;
	char err[512], q[512], from[16];
	long got[8], when = -1, id1 = ids->full, id2 = ids->bare;
	size_t n = 0;

	snprintf(q, sizeof(q), "SELECT count(*) FROM inbound WHERE id = %ld AND state = 'mailing'"
	    " AND mail_next_at = 1700004600", id1);
	is_int(db->count(q), 1, "it is 'mailing', leased until its lease end");
	is_int(store_inbound_claim(b, id1, 1700004000, 1700004600, err, sizeof(err)), 0,
	    "a second claim of it (another mailer) gets nothing");
	ok(store_inbound_due(a, 1700004000, got, 8, &n, err, sizeof(err)) == 0 && n == 1 &&
	    got[0] == id2, "and it is no longer due");
	ok(store_inbound_next_due(a, 1700004000, &when, err, sizeof(err)) == 0 && when == 1700004600,
	    "next due: its lease end");
	ok(store_inbound_due(a, 1700004600, got, 8, &n, err, sizeof(err)) == 0 && n == 2,
	    "  due again once its lease runs out (its mailer died)");
	is_int(store_inbound_claim(b, id1, 1700004600, 1700005200, err, sizeof(err)), 1,
	    "after the lease ran out another host claims it");
	is_int(store_inbound_decide(b, id1, "carol@sender.test", "allow ok: decided late", err,
	    sizeof(err)), 1, "decide records targets and decision");
	is_int(store_inbound_decide(b, 999999, NULL, "refuse no_route: x", err, sizeof(err)), 0,
	    "decide on an unknown fax: 0");
	ok(store_inbound_decide(b, id1, "  ", "allow ok: x", err, sizeof(err)) < 0 &&
	    strstr(err, "targets"), "decide with blank targets refused: %s", err);
	is_int(store_inbound_mark(b, id1, "new", "sendmail: exit 75", 1700004900, 1, 1700004610, err,
	    sizeof(err)), 1, "mark new: a retry");
	ok(store_inbound_get(a, id1, &r, 0, err, sizeof(err)) == 1 && strcmp(r.state, "new") == 0 &&
	    r.mail_tries == 1 && r.mail_next_at == 1700004900 && r.mail_error &&
	    strcmp(r.mail_error, "sendmail: exit 75") == 0 && r.targets &&
	    strcmp(r.targets, "carol@sender.test") == 0 && r.decision &&
	    strcmp(r.decision, "allow ok: decided late") == 0, "  tries 1, due later, the error kept");
	store_inbound_row_free(&r);
	ok(store_inbound_due(a, 1700004899, got, 8, &n, err, sizeof(err)) == 0 && n == 1 &&
	    got[0] == id2, "  not due before its time");
	ok(store_inbound_next_due(a, 1700004610, &when, err, sizeof(err)) == 0 && when == 1700004900,
	    "next due: the retry's time");
	ok(store_inbound_next_due(a, 1700004900, &when, err, sizeof(err)) == 0 && when == 0,
	    "  nothing after it: 0");
	is_int(store_inbound_claim(a, id1, 1700004900, 1700005500, err, sizeof(err)), 1, "claim again");
	is_int(store_inbound_mark(a, id1, "mailed", NULL, 0, 0, 1700004901, err, sizeof(err)), 1,
	    "mark mailed");
	ok(store_inbound_get(b, id1, &r, 0, err, sizeof(err)) == 1 && strcmp(r.state, "mailed") == 0 &&
	    r.mailed_at == 1700004901 && r.mail_tries == 1 && r.mail_error == NULL,
	    "  mailed_at set, the error cleared");
	store_inbound_row_free(&r);
	is_int(store_inbound_mark(a, id1, "failed", "late", 0, 0, 1700004902, err, sizeof(err)), 0,
	    "a mailed fax cannot be marked again");
	ok(store_inbound_mark(a, id1, "mailing", NULL, 0, 0, 1, err, sizeof(err)) < 0 &&
	    strstr(err, "state 'mailing' is not new, mailed or failed"), "mark only to new, mailed or"
	    " failed: %s", err);
	is_int(store_inbound_mark(a, id2, "failed", "refuse no_route: x", 0, 0, 1700004950, err,
	    sizeof(err)), 1, "mark a new fax failed");
	is_int(store_inbound_requeue(b, id2, 1700005000, from, sizeof(from), err, sizeof(err)), 1,
	    "requeue the failed fax");
	is_str(from, "failed", "  it was failed");
	ok(store_inbound_get(a, id2, &r, 0, err, sizeof(err)) == 1 && strcmp(r.state, "new") == 0 &&
	    r.mail_next_at == 1700005000 && r.mail_error == NULL && r.mail_tries == 0,
	    "  new, due now, error and tries cleared");
	store_inbound_row_free(&r);
	is_int(store_inbound_requeue(b, ids->part, 1700005000, from, sizeof(from), err, sizeof(err)),
	    1, "requeue the held fax");
	ok(store_inbound_requeue(b, id2, 1, from, sizeof(from), err, sizeof(err)) == 0 &&
	    strcmp(from, "new") == 0, "requeue a new fax: 0, and its state");
	ok(store_inbound_requeue(b, 999999, 1, from, sizeof(from), err, sizeof(err)) == 0 &&
	    from[0] == '\0', "requeue an unknown fax: 0 and \"\"");
}

__attribute__((unused))
static void inboundtest_bounces(store_t *a, store_t *b, const inboundtest_db_t *db,
    const inboundtest_ids_t *ids)
{
	store_inbound_row_t r;
	char err[512], q[512], diag1[1200];
	long id1 = ids->full;

	memset(diag1, 'x', sizeof(diag1) - 1);
	diag1[sizeof(diag1) - 1] = '\0';
	store_bounce_t bo[2] = {
		{ .recipient = "carol@sender.test", .action = "failed", .status = "5.1.1",
		  .diagnostic = diag1, .reporting_mta = "dns; mx.sender.test" },
		{ .recipient = "dave@sender.test", .action = "delayed", .status = "4.4.1",
		  .diagnostic = "", .reporting_mta = NULL } };
	is_int(store_inbound_bounce(a, id1, 1700001001, bo, 2, 1700006000, err, sizeof(err)), 0,
	    "a report naming the fax with the wrong time: 0");
	is_int(store_inbound_bounce(a, 999999, 1700001000, bo, 2, 1700006000, err, sizeof(err)), 0,
	    "a report about an unknown fax: 0");
	is_int(db->count("SELECT count(*) FROM inbound_bounces"), 0, "  nothing written");
	is_int(store_inbound_bounce(a, id1, 1700001000, bo, 2, 1700006000, err, sizeof(err)), 1,
	    "a report about fax %ld recorded", id1);
	/* length() of text counts characters in both databases. */
	snprintf(q, sizeof(q), "SELECT count(*) FROM inbound_bounces WHERE inbound = %ld AND"
	    " reported_at = 1700006000 AND ((recipient = 'carol@sender.test' AND"
	    " length(diagnostic) = %d AND reporting_mta = 'dns; mx.sender.test') OR"
	    " (recipient = 'dave@sender.test' AND diagnostic IS NULL AND reporting_mta IS NULL))",
	    id1, STORE_BOUNCE_TEXT_MAX);
	is_int(db->count(q), 2, "  one row per recipient, the diagnostic cut, '' stored as NULL");
	ok(store_inbound_get(b, id1, &r, 0, err, sizeof(err)) == 1, "get the fax");
	is_str(r.bounces, "carol@sender.test failed 5.1.1, dave@sender.test delayed 4.4.1",
	    "  its bounces, in the report's order");
	store_inbound_row_free(&r);
	snprintf(q, sizeof(q), "SELECT count(*) FROM inbound_overview WHERE id = %ld"
	    " AND bounced = 'carol@sender.test 5.1.1'", id1);
	is_int(db->count(q), 1, "inbound_overview: the failed recipients");
	bo[1].action = "bounced";
	ok(store_inbound_bounce(a, id1, 1700001000, bo, 2, 1700006000, err, sizeof(err)) < 0,
	    "a bad action refused");
	snprintf(q, sizeof(q), "bounce of inbound fax %ld: recipient 2: bad recipient, action or"
	    " status", id1);
	is_str(err, q, "  with its reason");
	is_int(db->count("SELECT count(*) FROM inbound_bounces"), 2, "  nothing written by it");
}

#endif
