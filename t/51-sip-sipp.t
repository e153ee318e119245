#!/bin/bash
# faxgate's SIP channel against SIPp as the far end: every SIP refusal
# becomes its outcome (busy, invalid number, no answer, congestion, a
# Q.850 Reason), a trunk that wants digest authentication, registration,
# a 488 to the T.38 re-INVITE (the call goes on in G.711, and the next call
# to that number does not ask again), a T.38 re-INVITE sent by the far
# end, a session refresh mid-call, and incoming calls with the dialled
# number in P-Called-Party-ID, History-Info, Diversion or the Request-URI.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
. "$TOP/t/lib/sipua.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"
command -v sipp >/dev/null || skip_all "sipp (sip-tester) is not installed"

export MTA_USERS="alice"
fg_workdir
MPORT=$(free_port)
SPORT=$(free_port)
APORT=$(free_port)
UPORT=$(free_port)	# SIPp's SIP port
FD=fax.example.test
MB=$((22000 + ($$ % 150) * 100))
export SIPP_TIMEOUT=90

conf() {
	fg_conf "$W/faxgate.conf" dialer.driver=sip "sip.listen=sip:127.0.0.1:$APORT" \
	    "sip.trunk=sip:{dial}@127.0.0.1:$UPORT" "sip.from=sip:+12025550000@127.0.0.1" \
	    "sip.media_ports=$MB-$((MB + 99))" sip.speed=4 sip.t38_reinvite_delay=500 \
	    sip.ring_timeout=3 "notices.sendmail_config=$W/pf/conf" retry.max_attempts=1 "$@"
}
fax() {
	smtp_send "$SPORT" <<SMTP
MAIL FROM:<alice@sender.test>
RCPT TO:<FAX=$1@$FD>
DATA
Subject: sipp $2
Message-ID: <$2@t>

A one-page text fax for $2.
.
SMTP
}
att() { sql "SELECT $2 FROM attempts WHERE job = $1"; }
ended() { local s; s=$(job_field "$1" state); [ "$s" = failed ] || [ "$s" = done ]; }

# refused SCENARIO NUMBER STATUS ERROR_CODE TEXT_REGEX - the far end
# refuses the call; the attempt records it, the job fails (one attempt)
refused() {
	local scen=$1 number=$2 status=$3 code=$4 text=$5 j
	sipp_uas "$scen" "$UPORT" "$W/sipp" "${SIPP_EXTRA[@]}"
	like "$(fax "$number" "$scen")" '^250 2\.0\.0' "$scen: mail accepted"
	j=$(job_of "$number")
	wait_until 60 ended "$j"
	is "$(att "$j" "status || ' ' || error_code")" "$status $code" "$scen: attempt $status, $code"
	like "$(att "$j" error_text)" "$text" "$scen: the text says why"
	sipp_wait; is $? 0 "$scen: SIPp saw the call go as scripted"
	like "$(att "$j" call_id)" '@faxgate$' "$scen: the Call-ID is stored"
	LAST_JOB=$j
}

SIPP_EXTRA=()
conf
milter_start "$W/faxgate.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"
dialer_start "$W/faxgate.conf"

refused uas-486 +12025550101 4.4.1 Q850:17 '^SIP 486 Busy Here$'
refused uas-404 +12025550102 5.1.1 Q850:1 '^SIP 404 Not Found$'
refused uas-480 +12025550103 4.4.1 Q850:19 '^SIP 480 Temporarily Unavailable$'
refused uas-503 +12025550104 4.4.5 Q850:34 '^SIP 503 Service Unavailable$'
refused uas-503-q850 +12025550105 4.4.5 Q850:34 '^SIP 503 '
grep -q 'Reason: Q.850;cause=34' "$(sipp_msgs)"; ok $? "uas-503-q850: the 503 carried the Reason header"
refused uas-noanswer +12025550106 4.4.1 Q850:19 '^no answer within 3 seconds$'
grep -q '^CANCEL ' "$(sipp_msgs)"; ok $? "uas-noanswer: faxgate sent CANCEL"

# --- digest authentication and registration
dialer_stop
conf sip.username=fax sip.password=secret
dialer_start "$W/faxgate.conf"
SIPP_EXTRA=(-key user fax -key password secret)
refused uas-auth +12025550107 4.4.1 Q850:17 '^SIP 486 Busy Here$'
grep -q '^Authorization: Digest username="fax"' "$(sipp_msgs)"
ok $? "uas-auth: the second INVITE carried the credentials"
dialer_stop
sipp_uas uas-register "$UPORT" "$W/sipp" "${SIPP_EXTRA[@]}"
conf sip.username=fax sip.password=secret "sip.registrar=sip:127.0.0.1:$UPORT"
dialer_start "$W/faxgate.conf"
sipp_wait 20; is $? 0 "uas-register: faxgate registered, answering the challenge"
dialer_stop
conf
dialer_start "$W/faxgate.conf"

# --- a far end that refuses T.38: 488, the call goes on in G.711
sipp_uas uas-488-t38 "$UPORT" "$W/sipp"
like "$(fax +12025550110 t38-488)" '^250 2\.0\.0' "488: mail accepted"
J=$(job_of +12025550110)
wait_until 90 ended "$J"
sipp_wait; is $? 0 "488: SIPp saw one T.38 re-INVITE, the call kept up and a BYE later"
is "$(att "$J" error_code)" T30_ERR_T0_EXPIRED "488: on G.711 T.30 found no fax machine"
is "$(att "$J" status)" 5.1.1 "488: reported as 5.1.1"
is "$(sql "SELECT t38 FROM destinations WHERE number = '+12025550110'")" 0 "488: the refusal is remembered"
grep 'direction=out' "$W/dialer.log" | grep "$(att "$J" call_id)" | grep -q 'transport=g711'
ok $? "488: the call ended on G.711"
# the next call to that number does not ask for T.38 again
sipp_uas uas-g711 "$UPORT" "$W/sipp"
like "$(fax +12025550110 t38-488-again)" '^250 2\.0\.0' "488 again: mail accepted"
J=$(job_of +12025550110)
wait_until 90 ended "$J"
sipp_wait; is $? 0 "488 again: no T.38 offer, neither first nor by re-INVITE"

# --- the far end switches to T.38 itself
sipp_uas uas-reinvite-t38 "$UPORT" "$W/sipp"
dialer_stop
conf sip.t38_reinvite_delay=5000
dialer_start "$W/faxgate.conf"
like "$(fax +12025550111 far-t38)" '^250 2\.0\.0' "far re-INVITE: mail accepted"
J=$(job_of +12025550111)
wait_until 60 ended "$J"
sipp_wait; is $? 0 "far re-INVITE: faxgate answered it with m=image"
grep "$(att "$J" call_id)" "$W/dialer.log" | grep -q 't38=on'; ok $? "far re-INVITE: T.38 ran"
is "$(att "$J" error_code)" T30_ERR_CALLDROPPED "far re-INVITE: the far end's BYE dropped the call"
is "$(sql "SELECT t38 FROM destinations WHERE number = '+12025550111'")" 1 "far re-INVITE: T.38 remembered"

# --- a session refresh (re-INVITE with the same SDP) in the middle of T.38
dialer_stop
conf
dialer_start "$W/faxgate.conf"
sipp_uas uas-refresh "$UPORT" "$W/sipp"
like "$(fax +12025550112 refresh)" '^250 2\.0\.0' "refresh: mail accepted"
J=$(job_of +12025550112)
wait_until 90 ended "$J"
sipp_wait; is $? 0 "refresh: answered with the same session, then faxgate hung up"
grep "$(att "$J" call_id)" "$W/dialer.log" | grep -q 'reinvite=refresh'; ok $? "refresh: logged as a refresh"
grep "$(att "$J" call_id)" "$W/dialer.log" | grep -q 't38=on'; ok $? "refresh: while T.38 ran"

# --- incoming calls: where the dialled number is
dialer_stop
XPORT=$(free_port)	# the dialer's /metrics
conf sip.t38=no "dialer.metrics=127.0.0.1:$XPORT"
"$FAXGATE_BUILD/faxgatectl" -c "$W/faxgate.conf" did add '*' faxes@example.test >/dev/null
dialer_start "$W/faxgate.conf"
did_case() {	# did_case NAME SERVICE PCPID HIST DIV1 DIV2 WANT
	local none=sip:127.0.0.1
	sipp_uac uac-did "$APORT" "$W/sipp" -s "$2" -key pcpid "${3:-$none}" \
	    -key hist "${4:-$none}" -key div1 "${5:-$none}" -key div2 "${6:-$none}"
	is $? 0 "did $1: the call was answered"
	wait_until 10 eval "[ -n \"\$(sql \"SELECT id FROM inbound WHERE did = '$7'\")\" ]"
	is "$(sql "SELECT did || ' ' || caller || ' ' || outcome FROM inbound ORDER BY id DESC LIMIT 1")" \
	    "$7 +12025550177 failed" "did $1: stored with DID $7 (no fax came: failed)"
}
did_case pcpid 15550009 sip:+15550003@x sip:+15550004@x sip:+15550005@x sip:+15550006@x +15550003
did_case history 15550009 "" sip:+15550004@x sip:+15550005@x sip:+15550006@x +15550004
did_case diversion 15550009 "" "" sip:+15550005@x sip:+15550006@x +15550006
did_case request-uri 15550009 "" "" "" "" 15550009

# --- /metrics counts an incoming call while it lasts (SIPp holds it 4 s)
incoming() { curl -s "http://127.0.0.1:$XPORT/metrics" | sed -n 's/^faxgate_incoming_calls //p'; }
is "$(incoming)" 0 "metrics: no incoming call"
n=$(grep -c 'direction=in, did=' "$W/dialer.log")
sipp_uac uac-did "$APORT" "$W/sipp" -s 15550009 -d 4000 -key pcpid sip:127.0.0.1 \
    -key hist sip:127.0.0.1 -key div1 sip:127.0.0.1 -key div2 sip:127.0.0.1 &
HOLD=$!
wait_until 10 eval '[ "$(grep -c "direction=in, did=" "$W/dialer.log")" -gt "$n" ]'
is "$(incoming)" 1 "metrics: faxgate_incoming_calls 1 while a call is answered"
wait "$HOLD"; is $? 0 "metrics: SIPp held the call and hung up"
wait_until 10 eval '[ "$(incoming)" = 0 ]'
is "$(incoming)" 0 "metrics: 0 again once it ended"
# a number the onramp does not serve is refused before the answer
"$FAXGATE_BUILD/faxgatectl" -c "$W/faxgate.conf" did remove '*' >/dev/null
"$FAXGATE_BUILD/faxgatectl" -c "$W/faxgate.conf" did add 15550009 faxes@example.test >/dev/null
sipp_uac uac-invite "$APORT" "$W/sipp" -s 15550010 -key expect 403
is $? 0 "an unknown DID gets 403 before the answer"
grep -q 'did=15550010, caller=+12025550100, status=refused, reason="refuse no_such_number' "$W/dialer.log"
ok $? "and a log line that says why"

dialer_stop; ok $? "the dialer stops cleanly"
done_testing
