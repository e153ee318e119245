#!/bin/bash
# The SIP far ends of the SIP channel tests, checked without faxgate: every
# t/sipp/uas-*.xml scenario of t/lib/sipua.sh against a SIPp caller that
# plays faxgate's part (uac-invite.xml, selftest-*.xml), on the flow it
# scripts (both exit 0) and on a wrong one (the far end exits non-zero);
# then linphonec as a G.711 phone: it answers a PCMU call, records the tone
# it is sent, refuses a T.38 re-INVITE with 488 and stays in the call.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/faxgate.sh"
. "$TOP/t/lib/sipua.sh"
command -v sipp >/dev/null || skip_all "sipp (sip-tester) is not installed"
command -v linphonec >/dev/null || skip_all "linphonec (linphone-cli) is not installed"

fg_workdir
export SIPP_TIMEOUT=15

# pair UAS UAC NAME [UAC-ARGS...] - one call from sipp_uac to sipp_uas;
# sets UAS_RC and UAC_RC, and MSGS (the far end's message log)
pair() {
	local uas=$1 uac=$2 dir=$W/$3 port
	shift 3
	port=$(udp_port_pair)
	sipp_uas "$uas" "$port" "$dir"
	sipp_uac "$uac" "$port" "$dir" "$@"
	UAC_RC=$?
	sipp_wait 25
	UAS_RC=$?
	MSGS=$(sipp_msgs)
}

# good UAS UAC NAME [UAC-ARGS...] - the scripted flow: both succeed
good() {
	pair "$@"
	is "$UAS_RC $UAC_RC" "0 0" "$3: $1 and $2 both end as scripted"
}

# bad UAS UAC NAME WHY [UAC-ARGS...] - a wrong flow: the far end fails
bad() {
	local uas=$1 uac=$2 name=$3 why=$4
	shift 4
	pair "$uas" "$uac" "$name" "$@"
	[ "$UAS_RC" != 0 ]
	ok $? "$name: $uas fails when $why (exit $UAS_RC)"
}

# sent MSGS REGEX - 0 when the far end sent a message whose first line
# matches REGEX
sent() { awk '/message sent/ { getline; getline; print }' "$1" | grep -Eq -- "$2"; }
# received MSGS REGEX - the same for the messages it received
received() { awk '/message received/ { getline; getline; print }' "$1" | grep -Eq -- "$2"; }

# --- refusals: the status, then the caller's ACK
for c in 404 480 486 503; do
	good uas-$c uac-invite refuse-$c -key expect $c
	received "$MSGS" '^ACK '; ok $? "refuse-$c: the far end got the ACK of its $c"
done
good uas-503-q850 selftest-q850 q850
grep -q '^Reason: Q.850;cause=34;text="No circuit/channel available"' "$MSGS"
ok $? "q850: the 503 carried the Q.850 Reason"
SIPP_TIMEOUT=2 bad uas-486 selftest-noack noack "the refusal is never ACKed" -key expect 486
pair uas-486 uac-invite expect-200 -key expect 200
is "$UAS_RC $UAC_RC" "0 1" "expect-200: uac-invite fails when the status is not the one expected"
pair uas-503 selftest-q850 no-reason
is "$UAS_RC $UAC_RC" "0 1" "no-reason: selftest-q850 fails when the 503 has no Reason header"

# --- no answer: ringing until the CANCEL
good uas-noanswer selftest-noanswer noanswer
sent "$MSGS" '^SIP/2.0 487 ' && received "$MSGS" '^CANCEL '
ok $? "noanswer: CANCEL answered, INVITE ended with 487"
SIPP_TIMEOUT=2 bad uas-noanswer uac-invite no-cancel "the caller never cancels" -key expect 487

# --- T.38 refused with 488, the call goes on
good uas-488-t38 selftest-488-t38 t38-488
sent "$MSGS" '^SIP/2.0 488 ' && received "$MSGS" '^BYE '
ok $? "t38-488: 488 to the T.38 re-INVITE, the BYE came later"
bad uas-488-t38 selftest-no-t38 no-t38 "the re-INVITE offers no m=image"
bad uas-488-t38 selftest-488-t38 bye-at-once "the caller hangs up right after the 488" -d 0

# --- the far end switches to T.38 itself
good uas-reinvite-t38 selftest-reinvite-t38 far-t38
sent "$MSGS" '^INVITE ' && grep -q '^a=T38FaxUdpEC:t38UDPRedundancy' "$MSGS"
ok $? "far-t38: the far end's re-INVITE offered T.38"
bad uas-reinvite-t38 selftest-refresh far-t38-refused "its T.38 offer is answered with audio"

# --- session refresh, in G.711 and after a switch to T.38
good uas-refresh selftest-refresh refresh-g711 -d 200
[ "$(grep -c '^o=far 4711 1 ' "$MSGS")" -ge 2 ]
ok $? "refresh-g711: the refresh repeated the 200's SDP (same o= version)"
good uas-refresh selftest-refresh-t38 refresh-t38 -d 200
grep -q '^o=far 4711 2 ' "$MSGS" && ! grep -q '^o=far 4711 3 ' "$MSGS"
ok $? "refresh-t38: the refresh repeated the T.38 answer (same o= version)"
bad uas-refresh selftest-refresh-nosdp refresh-nosdp "the refresh is answered without SDP" -d 0

# --- linphonec: G.711 only, 488 to T.38, the call goes on
LP=$W/linphone
LPORT=$(udp_port_pair)
linphone_start "$LP" "$LPORT"
ok 0 "linphonec listens on UDP 127.0.0.1:$LPORT"
sipp_uac uac-invite "$LPORT" "$LP" -d 300
is $? 0 "uac-invite: linphonec answers 200, the caller hangs up"
pcmu_pcap "$LP/tone.pcap" 4 1000
sipp_uac selftest-linphone "$LPORT" "$LP"
is $? 0 "linphonec: answered PCMU, 488 to the T.38 re-INVITE, BYE answered 200"
LMSGS=$LP/selftest-linphone-uac-msg.log
answer=$(sed -n '/^SIP\/2.0 200 /,/^---/p' "$LMSGS" | sed -n '1,/^---/p')
like "$answer" 'm=audio [1-9][0-9]* RTP/AVP 0 101' "linphonec: its answer is PCMU with telephone-event"
unlike "$answer" 'm=image|T38' "linphonec: its answer has no T.38"
received "$LMSGS" '^SIP/2.0 488 '; ok $? "linphonec: the T.38 re-INVITE got 488"
linphone_stop
is $? 0 "linphonec quits cleanly"

WAV=$(linphone_wav)
read -r frames rate peak rms <<<"$(wav_level "$WAV")"
is "$rate" 8000 "the recording is 8 kHz"
[ "${frames:-0}" -ge $((3 * 8000)) ]
ok $? "the recording holds both calls: $frames frames (want >= 3 s)"
# The first call (0.3 s, no RTP from uac-invite) is silence; in the second
# (3.5 s) the re-INVITE came 1 s after the answer: from 2 s to 3.5 s into
# the file is well after the 488.
read -r _ _ peak rms <<<"$(wav_level "$WAV" 2 3.5)"
[ "${rms:-0}" -gt 2000 ]
ok $? "after the 488 the tone still comes through: RMS $rms (want > 2000; sent about 5000)"
hz=$(wav_hz "$WAV" 2 3.5)
[ "${hz:-0}" -ge 950 ] && [ "$hz" -le 1050 ]
ok $? "and it is the 1000 Hz tone sent: $hz Hz"

done_testing
