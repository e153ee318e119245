/*
 * claimtest.h - for the store's unit tests (header-only): the per-number
 * limit of store_claim, checked the same way on every backend.
 *
 * SYNOPSIS
 *	#include "tap.h"
 *	#include "claimtest.h"
 *	void claimtest_limits(store_t *a, store_t *b, long now);
 *
 * DESCRIPTION
 *	Queues five jobs for one number (+12025559900, subaddresses 1 to 5)
 *	and claims with two handles (two hosts) and limits 1, 3 and 0 (none),
 *	then again once every lease has run out; each check counts the jobs
 *	of that number a claim took. Other due jobs in the store may be
 *	claimed along the way, so call it last.
 */
#ifndef FAXGATE_CLAIMTEST_H
#define FAXGATE_CLAIMTEST_H

#include <stdio.h>
#include <string.h>

#include "store.h"

#define CLAIMTEST_NUMBER "+12025559900"

/* claimtest_take - claim for owner with limit; how many jobs of
 * CLAIMTEST_NUMBER it took, -1 if the claim failed */
__attribute__((unused))
static long claimtest_take(store_t *st, const char *owner, long now, long lease_until,
    unsigned limit)
{
	store_job_t jobs[32];
	size_t n = 0;
	long mine = 0;
	char err[512];

	if (store_claim(st, owner, now, lease_until, 32, limit, jobs, &n, err, sizeof(err)) < 0) {
		diag("claim: %s", err);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		mine += strcmp(jobs[i].number, CLAIMTEST_NUMBER) == 0;
	return mine;
}

__attribute__((unused))
static void claimtest_limits(store_t *a, store_t *b, long now)
{
	static const char *const sub[] = { "1", "2", "3", "4", "5" };
	store_rcpt_t r[5];
	int queued[5];
	char err[512];
	store_msg_t m = { .dedup_key = "mid:limits@claim.test", .message_id = "limits@claim.test",
		.queue_id = "4QL", .sender = "carol@example.com", .envid = "", .ret = "HDRS",
		.client_addr = "127.0.0.1", .subject = "limits", .received_at = now - 10,
		.raw = "Subject: limits\r\n\r\nbody\r\n", .rawlen = 26 };
	store_doc_t d = { .kind = "pdf", .content_type = "application/pdf", .filename = "l.pdf",
		.data = "%PDF-1.4", .len = 8 };

	for (int i = 0; i < 5; i++)
		r[i] = (store_rcpt_t){ .recipient = "FAX=+12025559900@fax.test",
			.number = CLAIMTEST_NUMBER, .subaddress = sub[i], .dial = "12025559900",
			.domain = "fax.test" };
	ok(store_submit(a, &m, &d, 1, r, 5, queued, err, sizeof(err)) == 0 &&
	    queued[0] + queued[1] + queued[2] + queued[3] + queued[4] == 5,
	    "claim limits: five jobs for one number queued: %s", err);
	is_int(claimtest_take(a, "hostA", now, now + 60, 1), 1,
	    "claim limits: per_number 1 takes one job of the number");
	is_int(claimtest_take(b, "hostB", now, now + 60, 1), 0,
	    "claim limits: per_number 1, another host: none while that call lasts");
	is_int(claimtest_take(b, "hostB", now, now + 60, 3), 2,
	    "claim limits: per_number 3, another host: two more (three calls at once)");
	is_int(claimtest_take(a, "hostA", now, now + 60, 3), 0,
	    "claim limits: per_number 3 again: none, three are in calls");
	is_int(claimtest_take(a, "hostA", now, now + 60, 0), 2,
	    "claim limits: per_number 0 (no limit): the last two");
	is_int(claimtest_take(b, "hostB", now + 61, now + 120, 2), 2,
	    "claim limits: every lease run out: per_number 2 takes two back");
}

#endif
