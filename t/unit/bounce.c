/*
 * bounce.c - delivery reports about the mail of a received fax: found by
 * envelope id, by the returned Message-ID, every recipient block read;
 * what is not such a report is refused with its reason.
 */
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "bounce.h"
#include "tap.h"

/* A report as Postfix writes it, ENVID given, two recipients. */
static const char postfix_dsn[] =
    "From: MAILER-DAEMON@postfix.faxgate.test (Mail Delivery System)\r\n"
    "Subject: Undelivered Mail Returned to Sender\r\n"
    "To: fax-bounces@gw.faxgate.test\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "\tboundary=\"B1\"\r\n"
    "\r\n"
    "--B1\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "I'm sorry to have to inform you that your message could not be delivered.\r\n"
    "\r\n"
    "--B1\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Reporting-MTA: dns; postfix.faxgate.test\r\n"
    "Original-Envelope-Id: faxgate.inbound.42.1795000000\r\n"
    "Arrival-Date: Mon, 23 Nov 2026 04:00:00 +0000 (UTC)\r\n"
    "\r\n"
    "Final-Recipient: rfc822; nobody-here@sender.test\r\n"
    "Original-Recipient: rfc822;nobody-here@sender.test\r\n"
    "Action: failed\r\n"
    "Status: 5.1.1\r\n"
    "Diagnostic-Code: X-Postfix; unknown user: \"nobody-here@sender.test\"\r\n"
    "\r\n"
    "Final-Recipient: rfc822; slow@sender.test\r\n"
    "Action: Delayed\r\n"
    "Status: 4.4.1\r\n"
    "Diagnostic-Code: smtp; connection refused\r\n"
    "  (folded onto a second line)\r\n"
    "\r\n"
    "--B1\r\n"
    "Content-Type: text/rfc822-headers\r\n"
    "\r\n"
    "Message-ID: <faxgate.inbound.42.1795000000@gw.faxgate.test>\r\n"
    "Subject: Fax from +12025550000\r\n"
    "\r\n"
    "--B1--\r\n";

/* A report by a mail system that dropped the ENVID: found by Message-ID. */
static const char no_envid[] =
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"x\"\n"
    "MIME-Version: 1.0\n"
    "\n"
    "--x\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.org\n"
    "\n"
    "Final-Recipient: RFC822; bob@example.org\n"
    "Action: FAILED\n"
    "Status: 5.2.2 (mailbox full)\n"
    "\n"
    "--x\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "Message-ID: <faxgate.inbound.7.1795000123@gw.faxgate.test>\n"
    "Subject: Fax\n"
    "\n"
    "the fax\n"
    "--x--\n";

/* A report about some other mail. */
static const char not_ours[] =
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"x\"\n"
    "MIME-Version: 1.0\n"
    "\n"
    "--x\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.org\n"
    "Original-Envelope-Id: something-else.42\n"
    "\n"
    "Final-Recipient: rfc822; bob@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "\n"
    "--x\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "Message-ID: <12345@elsewhere.example>\n"
    "\n"
    "--x--\n";

static const char plain[] =
    "From: someone@example.org\nSubject: re: your fax\n\nThanks, got it.\n";

/* Control characters in a value must not survive (log lines, ctl). */
static const char hostile[] =
    "Content-Type: multipart/report; boundary=\"x\"\n"
    "\n"
    "--x\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Original-Envelope-Id: faxgate.inbound.3.100\n"
    "\n"
    "Final-Recipient: rfc822; evil@example.org\x1b[2J\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp; line\x01one\n"
    "\n"
    "Final-Recipient: rfc822; nostatus@example.org\n"
    "Action: failed\n"
    "Status: 9.9.9\n"
    "\n"
    "--x--\n";

/* Bytes that are not UTF-8, and a valid character. */
static const char not_utf8[] =
    "Content-Type: multipart/report; boundary=\"x\"\n"
    "\n"
    "--x\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Original-Envelope-Id: faxgate.inbound.3.100\n"
    "\n"
    "Final-Recipient: rfc822; rene@example.org\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Diagnostic-Code: smtp; caf\xc3\xa9 \xff\xfe bo\xc3\n"
    "\n"
    "--x--\n";

int main(void)
{
	bounce_t b;
	char err[256];
	long id, at;

	is_int(bounce_parse(postfix_dsn, strlen(postfix_dsn), &b, err, sizeof(err)), 0,
	    "a Postfix report is read");
	is_int(b.id, 42, "the fax by its envelope id");
	is_int(b.received_at, 1795000000L, "and its time of arrival");
	is_str(b.found_by, "envelope id", "found by envelope id");
	is_str(b.reporting_mta ? b.reporting_mta : "", "postfix.faxgate.test", "reporting MTA");
	is_int((long)b.n, 2, "two recipient blocks");
	if (b.n == 2) {
		is_str(b.rcpts[0].recipient, "nobody-here@sender.test", "final recipient, no type");
		is_str(b.rcpts[0].action, "failed", "action");
		is_str(b.rcpts[0].status, "5.1.1", "status");
		is_str(b.rcpts[0].diagnostic, "X-Postfix; unknown user: \"nobody-here@sender.test\"",
		    "diagnostic code, as given");
		is_str(b.rcpts[1].action, "delayed", "action in lower case");
		is_str(b.rcpts[1].diagnostic, "smtp; connection refused  (folded onto a second line)",
		    "a folded field is unfolded");
	}
	bounce_free(&b);

	is_int(bounce_parse(no_envid, strlen(no_envid), &b, err, sizeof(err)), 0,
	    "a report without ENVID is read");
	is_int(b.id, 7, "the fax by the returned Message-ID");
	is_str(b.found_by, "message id", "found by message id");
	is_str(b.n ? b.rcpts[0].status : "", "5.2.2", "status without its comment");
	is_str(b.n ? b.rcpts[0].action : "", "failed", "FAILED read as failed");
	bounce_free(&b);

	is_int(bounce_parse(not_ours, strlen(not_ours), &b, err, sizeof(err)), -1,
	    "a report about other mail is refused");
	ok(strstr(err, "about no fax this gateway mailed") != NULL, "with its reason: %s", err);
	is_int(bounce_parse(plain, strlen(plain), &b, err, sizeof(err)), -1, "a plain mail is refused");
	ok(strstr(err, "not a delivery report") != NULL, "with its reason: %s", err);
	is_int(bounce_parse("", 0, &b, err, sizeof(err)), -1, "nothing is refused");

	is_int(bounce_parse(hostile, strlen(hostile), &b, err, sizeof(err)), 0,
	    "a report with control characters is read");
	is_int((long)b.n, 1, "a block with an impossible status is skipped");
	ok(b.n && strpbrk(b.rcpts[0].recipient, "\x1b\x01") == NULL &&
	    strpbrk(b.rcpts[0].diagnostic, "\x1b\x01") == NULL, "no control character survives");
	bounce_free(&b);

	is_int(bounce_parse(not_utf8, strlen(not_utf8), &b, err, sizeof(err)), 0,
	    "a report with bytes that are not UTF-8 is read");
	ok(b.n == 1 && g_utf8_validate(b.rcpts[0].diagnostic, -1, NULL),
	    "its diagnostic is made valid UTF-8: %s", b.n ? b.rcpts[0].diagnostic : "");
	is_str(b.n ? b.rcpts[0].diagnostic : "", "smtp; caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd bo\xef\xbf\xbd",
	    "a valid character is kept, each bad byte becomes U+FFFD");
	bounce_free(&b);

	ok(bounce_token("faxgate.inbound.12.345", &id, &at) == 0 && id == 12 && at == 345,
	    "token: envelope id");
	ok(bounce_token("faxgate.inbound.12.345@host>", &id, &at) == 0, "token: message id");
	ok(bounce_token("faxgate.inbound.12", &id, &at) < 0, "token: no time is refused");
	ok(bounce_token("faxgate.inbound.0.5", &id, &at) < 0, "token: id 0 is refused");
	ok(bounce_token("faxgate.inbound.1.5x", &id, &at) < 0, "token: trailing junk is refused");
	ok(bounce_token("faxgate.outbound.1.5", &id, &at) < 0, "token: another prefix is refused");
	return done_testing();
}
