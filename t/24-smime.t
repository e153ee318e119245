#!/bin/bash
# S/MIME sender check ([policy] smime = require) behind a real, private
# Postfix: what the SMTP client is told at end of data, and what the store
# holds. Certificates and signatures are made here with openssl(1)
# (t/lib/smime-certs.sh); Postfix passes the body with CRLF line ends,
# which is what the signature check has to cope with.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"
command -v openssl >/dev/null || skip_all "openssl(1) is not installed"

fg_workdir
fixtures
S=$W/smime
mkdir -p "$S"
bash "$TOP/t/lib/smime-certs.sh" "$S" || bail "t/lib/smime-certs.sh failed"
chmod -R o+rX "$S"	# the milter runs as nobody
FD=fax.example.test
MPORT=$(free_port)
SPORT=$(free_port)

# --- configuration refusals (faxgate-milter -t checks without starting)
fg_conf "$W/nocafile.conf" policy.smime=require
out=$("$FAXGATE_BUILD/faxgate-milter" -t -c "$W/nocafile.conf" 2>&1)
is "$?" 78 "smime = require without smime_ca: the milter refuses to start (78)"
like "$out" "smime = require for $FD needs \[policy\] smime_ca" "and says why"
fg_conf "$W/badca.conf" policy.smime=require policy.smime_ca="$S/content"
out=$("$FAXGATE_BUILD/faxgate-milter" -t -c "$W/badca.conf" 2>&1)
is "$?" 78 "a CA file without a certificate: exit 78 (EX_CONFIG)"
like "$out" 'smime_ca: .*/content: no usable CA certificate' "and says why"

# Required for every fax domain but open.example.test, which opts out.
OPEN=open.example.test
fg_conf "$W/faxgate.conf" policy.smime=require policy.smime_ca="$S/ca.pem" fax.domains="$FD $OPEN"
printf '[domain %s]\nsmime = off\n' "$OPEN" >>"$W/faxgate.conf"
milter_start "$W/faxgate.conf" "$MPORT"
POSTFIX_MAIN_EXTRA="relay_domains = $FD, $OPEN
transport_maps = inline:{ { $FD = faxhold:[127.0.0.1]:9 }, { $OPEN = faxhold:[127.0.0.1]:9 } }"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"

# send FROM FILE [RCPT] - the message in FILE through Postfix; prints the replies
send() {
	{
		echo "MAIL FROM:<$1>"
		echo "RCPT TO:<${3:-FAX=+12025550100@$FD}>"
		echo DATA
		cat "$2"
		echo .
		echo QUIT
	} | smtp_send "$SPORT"
}
# msg NAME FILE MESSAGE-ID [SED] - FILE with its own Message-ID (and SED applied)
msg() {
	sed -e "s/^Message-ID: .*/Message-ID: <$3@sender.test>/" -e "${4:-}" "$S/$2" >"$W/$1"
	echo "$W/$1"
}
stored() { sql "SELECT count(*) FROM messages WHERE message_id = '$1@sender.test'"; }
nmsgs() { sql "SELECT count(*) FROM messages"; }

# --- a good detached signature: accepted, queued, only the signed part faxed
out=$(send alice@sender.test "$(msg good.eml good.eml good)")
like "$out" '^250 2\.0\.0 Ok: queued' "multipart/signed by alice from alice: 250"
is "$(sql "SELECT j.number, j.state FROM jobs j JOIN messages m ON m.id = j.message WHERE m.message_id = 'good@sender.test'")" \
    "+12025550100|queued" "its job is in the store, queued"
is "$(sql "SELECT group_concat(d.kind || ':' || d.content_type, ' ') FROM documents d JOIN messages m ON m.id = d.message WHERE m.message_id = 'good@sender.test'")" \
    "text:text/plain" "one document, the signed text (the signature part is no page)"
is "$(sql "SELECT CAST(d.data AS TEXT) FROM documents d JOIN messages m ON m.id = d.message WHERE m.message_id = 'good@sender.test'")" \
    "Hello fax
second line" "its text is the signed text"
grep -q 'smime=verified, signer=<alice@sender.test>' "$W/milter.log"
ok $? "the milter logs the verified signer"

# --- a signed PDF (multipart/mixed inside multipart/signed)
{
	printf 'Content-Type: multipart/mixed; boundary="mix"\r\n\r\n--mix\r\n'
	printf 'Content-Type: text/plain\r\n\r\nSee the attachment.\r\n--mix\r\n'
	printf 'Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n'
	printf 'Content-Disposition: attachment; filename="one.pdf"\r\n\r\n'
	base64 "$W/fx/one.pdf" | sed 's/$/\r/'
	printf '\r\n--mix--\r\n'
} >"$W/pdf.entity"
{
	printf 'From: alice@sender.test\nSubject: signed pdf\nMessage-ID: <pdf@sender.test>\n'
	openssl smime -sign -in "$W/pdf.entity" -signer "$S/alice.pem" -inkey "$S/alice.key"
} >"$W/pdf.eml"
out=$(send alice@sender.test "$W/pdf.eml")
like "$out" '^250 2\.0\.0 Ok: queued' "a signed PDF: 250"
is "$(sql "SELECT d.kind, d.filename, length(d.data) = $(stat -c %s "$W/fx/one.pdf") FROM documents d JOIN messages m ON m.id = d.message WHERE m.message_id = 'pdf@sender.test'")" \
    "pdf|one.pdf|1" "the PDF is the one document stored, intact"

# --- opaque signed-data
out=$(send alice@sender.test "$(msg opaque.eml opaque.eml opaque)")
like "$out" '^250 2\.0\.0 Ok: queued' "application/pkcs7-mime signed-data: 250"
is "$(sql "SELECT CAST(d.data AS TEXT) FROM documents d JOIN messages m ON m.id = d.message WHERE m.message_id = 'opaque@sender.test'")" \
    "Hello fax
second line" "its encapsulated text is stored"

# --- refusals: the reply, and nothing stored
before=$(nmsgs)
out=$(send alice@sender.test "$(msg tampered.eml good.eml tampered 's/^Hello fax/Hello fay/')")
like "$out" '^550 5\.7\.1 S/MIME signature does not verify: the message was changed after it was signed$' \
    "tampered text: 550 5.7.1 with the reason"
is "$(stored tampered)" 0 "nothing stored"

out=$(send alice@sender.test "$(msg untrusted.eml untrusted.eml untrusted)")
like "$out" '^550 5\.7\.1 S/MIME signer certificate not trusted: unable to get local issuer certificate$' \
    "signer from an unknown CA: 550 5.7.1 with the reason"
is "$(stored untrusted)" 0 "nothing stored"

out=$(send bob@sender.test "$(msg mismatch.eml good.eml mismatch)")
like "$out" '^550 5\.7\.1 S/MIME signer <alice@sender\.test> does not match the envelope sender <bob@sender\.test>$' \
    "alice's signature, bob's envelope: 550 5.7.1 with the reason"
is "$(stored mismatch)" 0 "nothing stored"

out=$(send alice@sender.test "$(msg fromhdr.eml good.eml fromhdr 's/^From: .*/From: Bob <bob@sender.test>/')")
like "$out" '^550 5\.7\.1 S/MIME signer <alice@sender\.test> does not match the From: address <bob@sender\.test>$' \
    "alice's signature and envelope, bob's From: 550 5.7.1 with the reason"
is "$(stored fromhdr)" 0 "nothing stored"

# (Postfix adds a missing From: for local clients; an empty group stays.)
out=$(send alice@sender.test "$(msg nofrom.eml good.eml nofrom 's/^From: .*/From: undisclosed-senders:;/')")
like "$out" '^550 5\.7\.1 S/MIME signer <alice@sender\.test> does not match the From: address \(there is none\)$' \
    "From: without an address: 550 5.7.1 with the reason"
is "$(stored nofrom)" 0 "nothing stored"

out=$(send ALICE@Sender.Test "$(msg case.eml good.eml case)")
like "$out" '^250 2\.0\.0 Ok: queued' "the sender matches the certificate's address in any case"

out=$(send alice@sender.test "$(msg expired.eml expired.eml expired)")
like "$out" '^550 5\.7\.1 S/MIME signer certificate has expired$' "expired certificate: 550 5.7.1 with the reason"
is "$(stored expired)" 0 "nothing stored"

printf 'From: alice@sender.test\nSubject: plain\nMessage-ID: <plain@sender.test>\n\nHello\n' >"$W/plain.eml"
out=$(send alice@sender.test "$W/plain.eml")
like "$out" '^550 5\.7\.1 S/MIME signature required for faxes: the message is not signed$' \
    "unsigned when required: 550 5.7.1 with the reason"
is "$(stored plain)" 0 "nothing stored"

# --- per fax domain: the one that opts out takes unsigned mail, but a
# message that also goes to a domain requiring S/MIME is refused whole
out=$(send alice@sender.test "$W/plain.eml" "FAX=+12025550111@$OPEN")
like "$out" '^250 2\.0\.0 Ok: queued' "unsigned mail to a domain with smime = off: 250"
is "$(stored plain)" 1 "and stored"
sed 's/^Message-ID: .*/Message-ID: <both@sender.test>/' "$W/plain.eml" >"$W/both.eml"
out=$({
	echo "MAIL FROM:<alice@sender.test>"
	echo "RCPT TO:<FAX=+12025550112@$OPEN>"
	echo "RCPT TO:<FAX=+12025550113@$FD>"
	echo DATA
	cat "$W/both.eml"
	echo .
} | smtp_send "$SPORT")
like "$out" '^550 5\.7\.1 S/MIME signature required for faxes: the message is not signed$' \
    "unsigned mail to both domains: 550 5.7.1 for the message"
is "$(stored both)" 0 "nothing stored"
is "$(nmsgs)" "$((before + 2))" "of the refused messages none is in the store (only the two accepted ones)"
is "$(grep -c 'reject=message, reply=550, status=5.7.1, smime=' "$W/milter.log")" 8 "each refusal logged once"
postfix_wait_queue_empty "$W/pf" 10
ok $? "nothing waits in the Postfix queue"

done_testing
