#!/bin/bash
# A real SIP phone as the far end: linphonec answers faxgate's call, refuses
# the T.38 re-INVITE with 488 and stays in the call on G.711. The fax
# tones reach it (its recording holds the calling tone, CNG: 1100 Hz), it
# is no fax machine, so the fax fails as "not a fax" (5.1.1) without a
# retry, the refusal of T.38 is remembered for the number, and faxgate
# hangs up itself.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/mta.sh"
. "$TOP/t/lib/faxgate.sh"
. "$TOP/t/lib/sipua.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root for a private Postfix"
command -v linphonec >/dev/null || skip_all "linphonec (linphone-cli) is not installed"

export MTA_USERS="alice"
fg_workdir
MPORT=$(free_port)
SPORT=$(free_port)
APORT=$(free_port)
LPORT=$(free_port)
FD=fax.example.test
MB=$((24000 + ($$ % 150) * 40))

# The phone says something back: a 440 Hz tone for a minute.
python3 - "$W/tone.wav" <<'PY'
import math, struct, sys, wave
with wave.open(sys.argv[1], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * 440 * i / 8000)))
                           for i in range(8000 * 60)))
PY
linphone_start "$W/lp" "$LPORT" "$W/tone.wav"
# Real time (speed 1): the phone plays and records at 8 kHz.
fg_conf "$W/faxgate.conf" dialer.driver=sip "sip.listen=sip:127.0.0.1:$APORT" \
    "sip.trunk=sip:{dial}@127.0.0.1:$LPORT" "sip.from=sip:+12025550000@127.0.0.1" \
    "sip.media_ports=$MB-$((MB + 39))" sip.t38_reinvite_delay=1000 \
    "notices.sendmail_config=$W/pf/conf"
milter_start "$W/faxgate.conf" "$MPORT"
postfix_start "$W/pf" "$SPORT" "inet:127.0.0.1:$MPORT"
dialer_start "$W/faxgate.conf"

out=$(smtp_send "$SPORT" <<SMTP
MAIL FROM:<alice@sender.test>
RCPT TO:<FAX=+12025550150@$FD> NOTIFY=FAILURE
DATA
Subject: to a phone
Message-ID: <phone@t>

This goes to a telephone, not to a fax machine.
.
SMTP
)
like "$out" '^250 2\.0\.0' "mail accepted"
J=$(job_of +12025550150)
wait_state "$J" failed 90
is "$(job_field "$J" state)" failed "the job failed, with no retry"
is "$(sql "SELECT count(*) FROM attempts WHERE job = $J")" 1 "after one attempt"
is "$(sql "SELECT status || ' ' || error_code FROM attempts WHERE job = $J")" \
    "5.1.1 T30_ERR_T0_EXPIRED" "not a fax machine: 5.1.1"
CID=$(sql "SELECT call_id FROM attempts WHERE job = $J")
is "$(sql "SELECT t38 FROM destinations WHERE number = '+12025550150'")" 0 \
    "the phone's refusal of T.38 is remembered"
grep "call=$CID" "$W/dialer.log" | grep -q 't38=refused, sip_status=488'
ok $? "linphone answered the T.38 re-INVITE with 488"
grep "call=$CID" "$W/dialer.log" | grep 'direction=out, status' | grep -q 'transport=g711'
ok $? "the call went on in G.711 to the end"
grep "call=$CID" "$W/dialer.log" | grep 'direction=out, status' | grep -Eq 'rtp_received=[1-9][0-9]{2}'
ok $? "audio came back from the phone"
grep -q 'the far end hung up' <<<"$(sql "SELECT error_text FROM attempts WHERE job = $J")"
[ $? != 0 ]; ok $? "the phone did not hang up on the refusal: faxgate ended the call"
maildir_wait "$(postfix_mailbox "$W/pf" alice@sender.test)" 1 30
like "$(cat "$(postfix_mailbox "$W/pf" alice@sender.test)"/new/* 2>/dev/null)" 'Status: 5\.1\.1' \
    "the sender got a failure report with 5.1.1"

linphone_stop
WAV=$(linphone_wav)
[ -s "$WAV" ]; ok $? "the phone recorded the call"
# CNG is 1100 Hz, 0.5 s on, 3 s off: some half second of the recording
# must be mostly that tone.
cng=$(python3 - "$WAV" <<'PY'
import array, math, sys, wave
with wave.open(sys.argv[1]) as w:
    rate = w.getframerate()
    a = array.array("h", w.readframes(w.getnframes()))
if sys.byteorder == "big":
    a.byteswap()
if w.getnchannels() == 2:
    a = a[::2]
def goertzel(x, f):
    k = 2 * math.cos(2 * math.pi * f / rate)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + k * s1 - s2, s1
    return s1 * s1 + s2 * s2 - k * s1 * s2
best = 0.0
n = rate // 4
for i in range(0, len(a) - n, n):
    blk = a[i:i + n]
    energy = sum(v * v for v in blk) * len(blk) / 2
    if energy > 1e6 * len(blk):
        best = max(best, goertzel(blk, 1100) / energy)
print("%.2f" % best)
PY
)
awk -v c="${cng:-0}" 'BEGIN { exit !(c > 0.5) }'
ok $? "the recording holds faxgate's calling tone (1100 Hz share $cng)"
dialer_stop; ok $? "the dialer stops cleanly"
done_testing
