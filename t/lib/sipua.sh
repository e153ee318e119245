# sipua.sh - SIP far ends for the SIP channel tests: SIPp scenarios
# (t/sipp/*.xml) and a real softphone (linphonec). Source after tap.sh.
# Everything listens and talks on 127.0.0.1 only (sipp's remote-control
# socket, UDP 8888 or the next free port, is the exception: sipp 3.6 always
# binds it to all addresses), and every process started here is killed at
# exit (on_exit).
#
#   sipp_uas SCENARIO PORT DIR [SIPP-ARGS...]
#                       start sipp in the background as a UAS on
#                       127.0.0.1:PORT playing SCENARIO (a path, or a name
#                       in t/sipp/ with or without .xml) for one call (-m 1),
#                       bounded by -timeout ${SIPP_TIMEOUT:-60} -timeout_error,
#                       with -d 1000 for bare <pause/>s (SIPP-ARGS come last
#                       and win: -d 0, -rtp_echo, -key NAME VALUE...).
#                       Logs in DIR, NAME being the scenario's: NAME-msg.log
#                       (every SIP message), NAME-err.log (unexpected ones),
#                       NAME-log.log (<log> actions), NAME-out.log (its
#                       screen, start-up errors). Returns once sipp listens
#                       on the port; sets SIPP_PID, SIPP_MSGS and
#                       SIPP_MEDIA_PORT (its [media_port]). Bails out if
#                       sipp does not start.
#   sipp_wait [SECS]    wait up to SECS (default ${SIPP_TIMEOUT:-60} + 5) for
#                       the last sipp_uas to exit and return its exit status:
#                       0 the call went exactly as scripted; 1 it did not
#                       (see NAME-err.log, NAME-msg.log); 255 no call, or the
#                       -timeout passed; 124 still running at SECS (it is
#                       then killed).
#   sipp_msgs           print the path of its message log, to grep what
#                       faxgate sent.
#   sipp_uac SCENARIO PORT DIR [SIPP-ARGS...]
#                       run sipp in the foreground as a UAC that calls
#                       127.0.0.1:PORT, with -s service and -key expect 200
#                       unless SIPP-ARGS say otherwise, the same bounds and
#                       -d, logs NAME-uac-*.log in DIR; sipp runs in DIR, so
#                       a play_pcap_audio file is looked for there (after the
#                       scenario's directory; sipp notes that in the error
#                       log). Returns sipp's exit status (as sipp_wait).
#   udp_port_pair       print an even port P, 40000 <= P < 60000, with UDP
#                       P..P+3 free on this machine (RTP and RTCP; sipp also
#                       binds P+2).
#   udp_listening PORT  0 when a UDP socket is bound to 127.0.0.1:PORT.
#   pcmu_pcap FILE [SECS] [HZ]
#                       write a pcap of SECS (default 3) seconds of a HZ
#                       (default 1000) tone at -10 dBm0 as RTP PCMU (payload
#                       type 0, 20 ms packets), for sipp's play_pcap_audio
#                       (which sends it to the port of the peer's SDP).
#   wav_level FILE [FROM [TO]]
#                       print "FRAMES RATE PEAK RMS" of a 16-bit mono WAV:
#                       its length in frames, its rate, and the peak and RMS
#                       of the samples from FROM to TO seconds (default: all).
#   silence_wav FILE SECS
#                       write SECS seconds of silence as an 8 kHz mono 16-bit
#                       WAV.
#   wav_hz FILE [FROM [TO]]
#                       print the frequency in Hz of the tone in that part
#                       (from zero crossings: meaningful for one tone only).
#
#   linphone_start DIR PORT [PLAY.wav]
#                       start linphonec (liblinphone 5.1) as a phone on UDP
#                       127.0.0.1:PORT that answers every call at once, for
#                       any user part in the Request-URI. It accepts PCMU and
#                       PCMA only (with telephone-event 101; any other offer
#                       gets 488) and has no T.38. It plays PLAY.wav (8 kHz
#                       mono 16-bit; default: silence) to the caller, RTP
#                       going on after the file's end, and records what it
#                       receives to DIR/linphone-rx.wav (8 kHz mono 16-bit;
#                       one call after the other when there are several). At
#                       the start of a call it
#                       also sends a 20-byte STUN request to the caller's RTP
#                       and RTCP ports. Logs: DIR/linphone.log (debug),
#                       DIR/linphonec.out (its console). Returns when it
#                       listens and has taken its settings; sets
#                       LINPHONE_PID. It lives at most
#                       ${LINPHONE_TIMEOUT:-300} s. Bails out if it does not
#                       start.
#   linphone_stop       make it quit; 0 if it quit cleanly (a second call
#                       does nothing). The WAV is complete once the call has
#                       ended; read it after this.
#   linphone_wav        print the path of the recorded WAV.
#
# What linphonec does with a T.38 re-INVITE, both with m=image alone and
# with m=audio 0 plus m=image: 488 Not Acceptable Here, and the call goes on
# in G.711 on the same dialog (it keeps receiving and recording audio, and
# answers a later BYE with 200). Why not baresip 1.0.0 (baresip-core), which
# is much smaller: it hangs up (BYE) as soon as its audio source file ends,
# its endless source (ausine) plays a tone, never silence, it answers only
# its account's user part (404 otherwise), and it answers a re-INVITE of
# m=audio 0 plus m=image with 200 OK and both ports 0 (a call without media)
# instead of 488; it does answer m=image alone with 488 and keep the call.

SIPP_DIR_T=$TOP/t/sipp

# udp_port_pair - print an even port P with UDP P..P+3 free on 127.0.0.1
udp_port_pair() {
	local used p i
	used=" $(ss -Huan 2>/dev/null | awk '{ sub(/.*:/, "", $4); printf "%s ", $4 }')"
	for ((i = 0; i < 500; i++)); do
		p=$((40000 + 2 * (RANDOM % 10000)))
		case $used in
		*" $p "* | *" $((p + 1)) "* | *" $((p + 2)) "* | *" $((p + 3)) "*) continue ;;
		esac
		echo "$p"
		return 0
	done
	echo "sipua.sh: no free UDP port pair" >&2
	return 1
}

# udp_listening PORT - 0 when something has a UDP socket on 127.0.0.1:PORT
udp_listening() { ss -Huln "sport = :$1" 2>/dev/null | grep -q "127\.0\.0\.1:$1\b"; }

# sipp_scenario NAME - print the path of a scenario given by path or name
sipp_scenario() {
	local s=$1
	[ -f "$s" ] || s=$SIPP_DIR_T/${1%.xml}.xml
	[ -f "$s" ] || { echo "sipua.sh: no scenario '$1'" >&2; return 1; }
	(cd "$(dirname "$s")" && echo "$PWD/$(basename "$s")")
}

# sipp_common_args DIR NAME - set SIPP_ARGS, the options sipp_uas and
# sipp_uac share
sipp_common_args() {
	SIPP_ARGS=(-i 127.0.0.1 -mi 127.0.0.1 -t u1 -m 1 -nostdin
	    -timeout "${SIPP_TIMEOUT:-60}" -timeout_error -d 1000
	    -trace_msg -message_file "$1/$2-msg.log"
	    -trace_err -error_file "$1/$2-err.log"
	    -trace_logs -log_file "$1/$2-log.log")
}

sipp_uas() {
	local scen=$1 port=$2 dir=$3 name
	shift 3
	scen=$(sipp_scenario "$scen") || bail "sipp_uas: no scenario $1"
	name=$(basename "$scen" .xml)
	mkdir -p "$dir"
	SIPP_MEDIA_PORT=$(udp_port_pair) || bail "sipp_uas: no free media port"
	sipp_common_args "$dir" "$name"
	SIPP_MSGS=$dir/$name-msg.log
	SIPP_OUT=$dir/$name-out.log
	rm -f "$SIPP_MSGS" "$dir/$name-err.log" "$dir/$name-log.log"
	sipp -sf "$scen" -p "$port" -mp "$SIPP_MEDIA_PORT" "${SIPP_ARGS[@]}" "$@" \
	    </dev/null >"$SIPP_OUT" 2>&1 &
	SIPP_PID=$!
	on_exit "kill -9 $SIPP_PID"
	wait_until 10 eval "udp_listening $port || ! kill -0 $SIPP_PID 2>/dev/null"
	if ! udp_listening "$port" || ! kill -0 "$SIPP_PID" 2>/dev/null; then
		tail -n 20 "$SIPP_OUT" >&2
		bail "sipp_uas: sipp ($name) did not start on UDP 127.0.0.1:$port"
	fi
}

sipp_wait() {
	local secs=${1:-$((${SIPP_TIMEOUT:-60} + 5))}
	if ! wait_until "$secs" eval '! kill -0 $SIPP_PID 2>/dev/null'; then
		kill -TERM "$SIPP_PID" 2>/dev/null
		wait_until 5 eval '! kill -0 $SIPP_PID 2>/dev/null' || kill -9 "$SIPP_PID" 2>/dev/null
		wait "$SIPP_PID" 2>/dev/null
		return 124
	fi
	wait "$SIPP_PID" 2>/dev/null
}

sipp_msgs() { echo "$SIPP_MSGS"; }

sipp_uac() {
	local scen=$1 port=$2 dir=$3 name mp lport
	shift 3
	scen=$(sipp_scenario "$scen") || return 2
	name=$(basename "$scen" .xml)-uac
	mkdir -p "$dir"
	# sipp binds mp and mp + 2; mp + 1 is free for its SIP socket.
	mp=$(udp_port_pair) || return 2
	lport=$((mp + 1))
	sipp_common_args "$dir" "$name"
	local expect=(-key expect 200)
	case " $* " in *" -key expect "*) expect=() ;; esac
	rm -f "$dir/$name-msg.log" "$dir/$name-err.log" "$dir/$name-log.log"
	(cd "$dir" && exec sipp -sf "$scen" "127.0.0.1:$port" -p "$lport" -mp "$mp" \
	    -s service "${expect[@]}" "${SIPP_ARGS[@]}" "$@" \
	    </dev/null >"$dir/$name-out.log" 2>&1)
}

pcmu_pcap() {
	python3 - "$1" "${2:-3}" "${3:-1000}" <<'PY'
import math, struct, sys
out, secs, hz = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])

def ulaw(x):
    # G.711 mu-law of a 16-bit linear sample
    sign = 0x80 if x < 0 else 0
    x = min(abs(x), 32635) + 0x84
    exp = 7
    while exp > 0 and not x & (0x4000 >> (7 - exp)):
        exp -= 1
    return ~(sign | exp << 4 | (x >> (exp + 3)) & 0x0F) & 0xFF

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

amp = 32767 * 10 ** (-13.17 / 20)   # -10 dBm0 (3.17 dBm0 is full scale)
src, dst = bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    n = int(secs * 50)
    for i in range(n):
        pcm = bytes(ulaw(int(amp * math.sin(2 * math.pi * hz * (i * 160 + k) / 8000)))
                    for k in range(160))
        rtp = struct.pack("!BBHII", 0x80, 0x80 if i == 0 else 0, i & 0xFFFF, i * 160, 0x46415847) + pcm
        # sipp sends the payloads to the peer's SDP address and port
        udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        frame = b"\0" * 12 + b"\x08\x00" + ip + udp
        t = i * 0.02
        f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(frame), len(frame)) + frame)
PY
}

wav_level() {
	python3 - "$@" <<'PY'
import array, math, sys, wave
with wave.open(sys.argv[1]) as w:
    if w.getsampwidth() != 2 or w.getnchannels() != 1:
        raise SystemExit("wav_level: not 16-bit mono PCM")
    rate, n = w.getframerate(), w.getnframes()
    a = array.array("h", w.readframes(n))
if sys.byteorder == "big":
    a.byteswap()
t0 = float(sys.argv[2]) if len(sys.argv) > 2 else 0
t1 = float(sys.argv[3]) if len(sys.argv) > 3 else n / rate
a = a[int(t0 * rate):int(t1 * rate)]
peak = max((abs(x) for x in a), default=0)
rms = math.sqrt(sum(x * x for x in a) / len(a)) if a else 0
print(n, rate, peak, int(rms))
PY
}

wav_hz() {
	python3 - "$@" <<'PY'
import array, sys, wave
with wave.open(sys.argv[1]) as w:
    if w.getsampwidth() != 2 or w.getnchannels() != 1:
        raise SystemExit("wav_hz: not 16-bit mono PCM")
    rate, n = w.getframerate(), w.getnframes()
    a = array.array("h", w.readframes(n))
if sys.byteorder == "big":
    a.byteswap()
t0 = float(sys.argv[2]) if len(sys.argv) > 2 else 0
t1 = float(sys.argv[3]) if len(sys.argv) > 3 else n / rate
a = a[int(t0 * rate):int(t1 * rate)]
# Zero crossings with a little hysteresis, so that low noise does not count.
th, state, cross = 300, 0, 0
for x in a:
    s = 1 if x > th else -1 if x < -th else 0
    if s and s != state:
        cross += state != 0
        state = s
print(int(cross / 2 / (len(a) / rate)) if a else 0)
PY
}

# sipua_le32 N - the four bytes of N, little-endian, as \xHH escapes
sipua_le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# silence_wav FILE SECS - write SECS seconds of silence, 8 kHz mono 16-bit
silence_wav() {
	local n=$(($2 * 16000))
	{
		printf '%b' "RIFF$(sipua_le32 $((36 + n)))WAVEfmt $(sipua_le32 16)"
		printf '%b' "\\x01\\x00\\x01\\x00$(sipua_le32 8000)$(sipua_le32 16000)\\x02\\x00\\x10\\x00"
		printf '%b' "data$(sipua_le32 "$n")"
		head -c "$n" /dev/zero
	} >"$1"
}

# linphone_cmd COMMAND - send one console command to linphonec
linphone_cmd() { echo "$*" >&"$LINPHONE_FD"; }

linphone_start() {
	local dir=$1 port=$2 play=${3:-} rtp
	# linphonec keeps its databases under $HOME/.local/share/linphone and
	# never listens when it cannot create them.
	mkdir -p "$dir/home/.local/share/linphone"
	LINPHONE_DIR=$dir
	rtp=$(udp_port_pair) || bail "linphone_start: no free RTP port"
	# Only PCMU and PCMA (add_missing_audio_codecs=0 keeps liblinphone from
	# adding the others it knows); telephone-event comes with use_rfc2833.
	cat >"$dir/linphonerc" <<EOF
[sip]
sip_port=$port
sip_tcp_port=0
sip_tls_port=0
bind_address=127.0.0.1
guess_hostname=0
contact="faxtest" <sip:faxtest@127.0.0.1:$port>
use_ipv6=0
inc_timeout=60
in_call_timeout=0
use_rfc2833=1
use_info=0
register_only_when_network_is_up=0
ping_with_options=0
keepalive_period=0

[rtp]
bind_address=127.0.0.1
audio_rtp_port=$rtp
audio_jitt_comp=60
nortp_timeout=60

[net]
mtu=1300

[sound]
echocancellation=0

[video]
enabled=0
capture=0
display=0
automatically_initiate=0
automatically_accept=0

[misc]
add_missing_audio_codecs=0
add_missing_video_codecs=0
version_check_url_root=

[audio_codec_0]
mime=PCMU
rate=8000
channels=1
enabled=1

[audio_codec_1]
mime=PCMA
rate=8000
channels=1
enabled=1
EOF
	rm -f "$dir/linphonec.cmd" "$dir/linphone-rx.wav"
	mkfifo "$dir/linphonec.cmd"
	# timeout bounds its life even if this shell is killed; it passes a
	# SIGTERM on to linphonec, and follows it with SIGKILL after 3 s.
	HOME=$dir/home timeout -k 3 "${LINPHONE_TIMEOUT:-300}" \
	    linphonec -c "$dir/linphonerc" -a -d 6 -l "$dir/linphone.log" \
	    <"$dir/linphonec.cmd" >"$dir/linphonec.out" 2>&1 &
	LINPHONE_PID=$!
	on_exit "kill $LINPHONE_PID"
	# Holding the FIFO open keeps linphonec's standard input from ending.
	exec {LINPHONE_FD}>"$dir/linphonec.cmd"
	rm -f "$dir/linphonec.cmd"	# both ends are open: no FIFO left to trip a grep -r
	if ! wait_until 15 udp_listening "$port"; then
		tail -n 20 "$dir/linphonec.out" >&2
		bail "linphone_start: linphonec did not start on UDP 127.0.0.1:$port"
	fi
	linphone_cmd "soundcard use files"
	linphone_cmd "record $dir/linphone-rx.wav"
	# Without a file to play it sends no RTP at all; a phone sends silence.
	if [ -z "$play" ]; then
		play=$dir/silence.wav
		silence_wav "$play" 1
	fi
	linphone_cmd "play $play"
	linphone_cmd "autoanswer enable"
	wait_until 10 grep -q 'Auto answer enabled' "$dir/linphonec.out" ||
	    { tail -n 20 "$dir/linphonec.out" >&2; bail "linphone_start: linphonec ignored its commands"; }
	grep -q 'Using wav files instead of soundcard' "$dir/linphonec.out" ||
	    bail "linphone_start: linphonec did not switch to wav files"
}

linphone_stop() {
	local pid=${LINPHONE_PID:-}
	[ -n "$pid" ] || return 0
	LINPHONE_PID=
	# At the end of its input linphonec spins: quit first, then close.
	linphone_cmd "quit" 2>/dev/null
	exec {LINPHONE_FD}>&-
	if ! wait_until 10 eval "! kill -0 $pid 2>/dev/null"; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 1
	fi
	wait "$pid" 2>/dev/null
}

linphone_wav() { echo "$LINPHONE_DIR/linphone-rx.wav"; }
