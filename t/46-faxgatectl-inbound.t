#!/bin/bash
# faxgatectl inbound against a store holding received faxes written with
# sqlite3 (no SIP channel needed): the list, show and tiff commands, human
# and --json, every error text and exit status; and a version-3 store that
# faxgatectl upgrades in place.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/faxgate.sh"
[ -x "$FAXGATE_BUILD/faxgatectl" ] || skip_all "faxgatectl not built"
command -v gs >/dev/null || skip_all "no Ghostscript to make a fax TIFF"

export TZ=UTC	# the human times are local time
fg_workdir
fg_conf "$W/faxgate.conf"
"$FAXGATE_BUILD/faxgate-milter" -t -c "$W/faxgate.conf" >/dev/null 2>&1 ||
    bail "faxgate-milter -t could not create the store"

CTL="$FAXGATE_BUILD/faxgatectl"
# run ARGS... - faxgatectl with the test configuration; sets OUT, ERR, RC
run() {
	OUT=$("$CTL" -c "$W/faxgate.conf" "$@" 2>"$W/stderr")
	RC=$?
	ERR=$(cat "$W/stderr")
}
# mlike GOT REGEX NAME - like, but REGEX may span lines (bash ERE on the whole text)
mlike() {
	if [[ $1 =~ $2 ]]; then ok 0 "$3"; else
		ok 1 "$3"; diag "got:  '$1'"; diag "want match: /$2/"; return 1
	fi
}
# py EXPR - EXPR over the JSON in $OUT (as d), printed (strings as they are)
py() {
	printf '%s\n' "$OUT" >"$W/cur.json"
	python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1], encoding="utf-8"))
    v = eval(sys.argv[2])
    print(v if isinstance(v, str) else repr(v))
except Exception as e:
    print("ERROR %s: %s" % (type(e).__name__, e))
' "$W/cur.json" "$1"
}
line_of() { awk -v id="$1" '$1 == id' <<<"$OUT"; }
ids() { awk 'NR > 1 { print $1 }' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//'; }

# --- an empty store ---
run inbound
is "$RC:$OUT" "0:no received faxes" "inbound on an empty store: says so, exit 0"
run --json inbound
is "$RC:$OUT" "0:[]" "inbound --json on an empty store: []"

# --- four received faxes: ok with pages, partial, failed without pages, mailed ---
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=tiffg4 -r204x196 -g1728x2292 -o "$W/fax.tif" \
    -c '/Helvetica findfont 36 scalefont setfont 72 700 moveto (page 1) show showpage
        72 700 moveto (page 2) show showpage' >/dev/null 2>&1 || bail "gs could not make a TIFF"
head -c 3000 /dev/urandom >"$W/part.tif"
NOW=$(date +%s)
T0=$(date -d '2024-03-10 12:00:00' +%s)
sql "
INSERT INTO inbound (id, received_at, ended_at, channel, call_id, did, caller, remote_ident,
  transport, pages, bytes, resolution, bit_rate, ecm, outcome, status, error_code, error_text,
  dtmf, state, tiff) VALUES
 (1, $((NOW - 7200)), $((NOW - 7200 + 95)), 'sip/3', 'a84b4c76e66710@gw.example.test', '+12025550199',
  '+33142868200', '+33 1 42 86 82 00', 't38', 2, 51234, '204x196', 14400, 1, 'ok', '2.0.0', 'OK', 'OK',
  '1234#', 'new', readfile('$W/fax.tif')),
 (2, $((NOW - 3600)), $((NOW - 3600 + 40)), 'sip/0', NULL, '+12025550198', '', 'Evil' || char(27) || '[31mTSI',
  'g711', 1, 9000, '204x98', 9600, 0, 'partial', '4.4.2', 'T30_ERR_RX_NOCARRIER', 'the far end hung up',
  NULL, 'new', readfile('$W/part.tif')),
 (3, $((NOW - 600)), NULL, NULL, NULL, '', NULL, NULL, NULL, 0, 0, NULL, NULL, NULL, 'failed', '4.4.1',
  'T30_ERR_T0_EXPIRED', 'not a fax machine', NULL, 'failed', NULL),
 (4, $T0, $((T0 + 60)), 'sim/1', NULL, '+12025550197', '+12025550100', 'faxgate sim', 'sim', 1, 4000,
  '204x196', 14400, 1, 'ok', '2.0.0', 'OK', 'OK', NULL, 'mailed', readfile('$W/part.tif'));
" || bail "could not fill the store"

# --- inbound: the list ---
run inbound
is "$RC" 0 "inbound: exit 0"
like "$(head -1 <<<"$OUT")" '^ID +RECEIVED +DID +CALLER +REMOTE-IDENT +PAGES +OUTCOME +STATUS +STATE$' \
    "inbound: header"
is "$(ids)" "3 2 1 4" "inbound: every received fax, newest first"
like "$(line_of 1)" '^ +1 +[-0-9]+ [:0-9]+ +\+12025550199 +\+33142868200 +\+33 1 42 86 82 00 +2 +ok +2\.0\.0 +new$' \
    "inbound: a fax received: did, caller, remote ident, pages, outcome, status, state"
like "$(line_of 2)" '^ +2 .* \+12025550198 +- +Evil\?\[31mTSI +1 +partial +4\.4\.2 +new$' \
    "inbound: an empty caller is '-', controls in the TSI shown as ?"
like "$(line_of 3)" '^ +3 +[-0-9]+ [:0-9]+ +- +- +- +0 +failed +4\.4\.1 +failed$' "inbound: no did, caller or ident"
like "$(line_of 4)" '^ +4 +2024-03-10 12:00:00 ' "inbound: the time received, local time"
unlike "$OUT" $'\e' "inbound: no escape character reaches the terminal"

run inbound -n 2
is "$(ids)" "3 2" "-n 2: the newest two"
is "$ERR" "faxgatectl: showing the newest 2 received faxes; -n 0 shows all" "-n: says the list was cut"
run inbound --limit 0
is "$(ids)" "3 2 1 4" "--limit 0: all"
run inbound --state mailed
is "$(ids)" 4 "--state mailed"
run inbound --state new -n 1
is "$(ids)" 2 "--state new -n 1"
run inbound --state held
is "$OUT" "no received faxes" "--state held: none"

run --json inbound
is "$(py 'len(d)')" 4 "inbound --json: an array of four"
is "$(py '[r["id"] for r in d]')" "[3, 2, 1, 4]" "inbound --json: newest first"
is "$(py '[(r["did"], r["caller"], r["remote_ident"], r["pages"], r["outcome"], r["state"], r["tiff_size"] > 0) for r in d if r["id"] == 1][0]')" \
    "('+12025550199', '+33142868200', '+33 1 42 86 82 00', 2, 'ok', 'new', True)" "inbound --json: the fields"
is "$(py '[(r["did"], r["caller"], r["ended_at"], r["bit_rate"], r["ecm"], r["transport"], r["tiff_size"]) for r in d if r["id"] == 3][0]')" \
    "('', None, None, None, None, None, 0)" "inbound --json: NULLs are null, an empty did is ''"
is "$(py 'd[1]["remote_ident"]')" "$(printf 'Evil\e[31mTSI')" "inbound --json: the TSI escaped and back intact"
run inbound --json --state failed
is "$(py '[r["id"] for r in d]')" "[3]" "--json after inbound works too"

# --- inbound show ---
run inbound show 1
is "$RC" 0 "show: exit 0"
mlike "$OUT" '^inbound fax 1
  received +[-0-9]+ [:0-9]+ \(2h 0m ago\)
  ended +[-0-9]+ [:0-9]+ \(took 1m 35s\)
  did +\+12025550199
  caller +\+33142868200
  remote ident +\+33 1 42 86 82 00
  pages +2
  outcome +ok
  status +2\.0\.0
  error code +OK
  error text +OK
  state +new
  transport +t38
  bytes +51234
  resolution +204x196
  bit rate +14400
  ecm +yes
  dtmf +1234#
  channel +sip/3
  call id +a84b4c76e66710@gw\.example\.test
  tiff +[.0-9]+ (B|KiB) \(faxgatectl inbound tiff 1 FILE\)$' "show: every field, in order"
run inbound show 3
mlike "$OUT" '  ended +-
  did +-
  caller +-
  remote ident +-
  pages +0
  outcome +failed' "show: a fax without an end, did, caller or ident"
mlike "$OUT" '  bit rate +-
  ecm +-
  dtmf +-
  channel +-
  call id +-
  tiff +- \(no page received\)$' "show: unknown fields are -, no TIFF"
run inbound show 2
like "$OUT" '  remote ident +Evil\?\[31mTSI' "show: controls in the TSI shown as ?"
like "$OUT" '  ecm +no' "show: ECM off"

run inbound show 1 --json
is "$(py 'd["id"], d["did"], d["transport"], d["bit_rate"], d["ecm"], d["dtmf"], d["ended_at"] - d["received_at"]')" \
    "(1, '+12025550199', 't38', 14400, 1, '1234#', 95)" "show --json: the fields"
is "$(py 'd["tiff_size"]')" "$(stat -c %s "$W/fax.tif")" "show --json: the TIFF's size"
run --json inbound show 3
is "$(py 'd["caller"], d["remote_ident"], d["transport"], d["channel"], d["error_code"], d["tiff_size"]')" \
    "(None, None, None, None, 'T30_ERR_T0_EXPIRED', 0)" "show --json: NULLs are null"

run inbound show 999
is "$RC:$ERR" "1:faxgatectl: inbound fax 999: no such fax" "show: an unknown id -> exit 1, one line"
is "$OUT" "" "show: nothing on stdout for an unknown id"

# --- inbound tiff ---
run inbound tiff 1 "$W/out.tif"
is "$RC:$OUT" "0:inbound fax 1: 2 pages, $(stat -c %s "$W/fax.tif" | awk '{ printf "%s", ($1 < 1024) ? $1 " B" : sprintf("%.1f KiB", $1 / 1024) }') written to $W/out.tif" \
    "tiff ID FILE: says what it wrote"
cmp -s "$W/fax.tif" "$W/out.tif"
ok $? "tiff ID FILE: the TIFF byte for byte"
is "$(tiff_pages "$W/out.tif")" 2 "tiff ID FILE: a TIFF with its two pages"
"$CTL" -c "$W/faxgate.conf" inbound tiff 2 - >"$W/stdout.tif" 2>"$W/stderr"
is "$?:$(cat "$W/stderr")" "0:" "tiff ID -: exit 0, nothing on stderr"
cmp -s "$W/part.tif" "$W/stdout.tif"
ok $? "tiff ID -: the TIFF alone on standard output, byte for byte"
run --json inbound tiff 4 "$W/four.tif"
is "$(py 'd["id"], d["file"] == "'"$W/four.tif"'", d["pages"], d["bytes"]')" "(4, True, 1, 3000)" "tiff --json: id, file, pages, bytes"
cmp -s "$W/part.tif" "$W/four.tif"
ok $? "tiff --json: the file written"

run inbound tiff 3 "$W/none.tif"
is "$RC:$ERR" "1:faxgatectl: inbound fax 3: no TIFF, no page was received (outcome failed)" \
    "tiff of a fax without pages: exit 1, says why"
[ ! -e "$W/none.tif" ]
ok $? "and no file is created"
run inbound tiff 999 "$W/none.tif"
is "$RC:$ERR" "1:faxgatectl: inbound fax 999: no such fax" "tiff of an unknown id: exit 1"
[ ! -e "$W/none.tif" ]
ok $? "and no file is created"
run inbound tiff 1 "$W/nowhere/out.tif"
is "$RC:$ERR" "74:faxgatectl: $W/nowhere/out.tif: No such file or directory" "tiff to a file that cannot be made: exit 74"
"$CTL" -c "$W/faxgate.conf" inbound tiff 1 - >/dev/full 2>"$W/stderr"
is "$?:$(cat "$W/stderr")" "74:faxgatectl: cannot write the output" "tiff - to a full disk: exit 74"

# --- usage errors ---
run inbound show
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound show: which received fax?" "show without an id: 64"
run inbound show 1x
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound show: '1x' is not a received fax id" "show with a bad id: 64"
run inbound show 1 2
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound show: unexpected argument '2'" "show with two ids: 64"
run inbound tiff 1
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound tiff: which file? (- for standard output)" "tiff without a file: 64"
run inbound tiff
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound tiff: which received fax?" "tiff without an id: 64"
run inbound tiff 1 a b
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound tiff: unexpected argument 'b'" "tiff with two files: 64"
run --json inbound tiff 1 -
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound tiff: --json and FILE -: standard output is the TIFF" \
    "tiff --json to standard output: 64"
run inbound --state sent
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound: --state: unknown state 'sent' (new, mailing, mailed, failed, held)" \
    "unknown state: 64"
run inbound -n -1
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound: -n: '-1' is not a number of faxes" "negative -n: 64"
run inbound list
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound: unexpected argument 'list'" "unknown subcommand: 64"
run inbound --bogus
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound: unknown option --bogus" "unknown option: 64"
run inbound show 1 --bogus
is "$RC:$(head -1 <<<"$ERR")" "64:faxgatectl: inbound show: unknown option --bogus" "show: unknown option: 64"
run inbound --help
like "$RC:$OUT" '^0:usage: faxgatectl ' "inbound --help: usage on stdout, exit 0"
like "$OUT" 'inbound tiff ID FILE' "the usage text names the inbound commands"

# --- the operators' view ---
is "$(sql "SELECT received, did, pages, state, tiff_size FROM inbound_overview WHERE id = 4")" \
    "2024-03-10 12:00:00|+12025550197|1|mailed|3000" "inbound_overview: times as dates, the TIFF's size"

# --- a version-3 store, made from the first three migrations, upgraded in place ---
mkdir -p "$W/v3"
cat "$TOP"/schema/sqlite/00[123]_*.sql | sqlite3 "$W/v3/faxgate.db" || bail "could not make a v3 store"
sqlite3 "$W/v3/faxgate.db" "PRAGMA user_version = 3;
INSERT INTO messages (id, dedup_key, sender, received_at, size, raw)
 VALUES (1, 'mid:v3@example.test', 'carol@example.test', $NOW, 3, 'raw');
INSERT INTO jobs (message, dedup_key, recipient, number, dial, domain, created_at, updated_at,
 next_attempt_at) VALUES (1, 'mid:v3@example.test', 'FAX=+12025550100@fax.example.test',
 '+12025550100', '12025550100', 'fax.example.test', $NOW, $NOW, $NOW);
INSERT INTO destinations (number, ecm, modems, updated_at) VALUES ('+12025550100', 0, 'v29', $NOW);" ||
    bail "could not fill the v3 store"
fg_conf "$W/v3.conf" general.store="sqlite:$W/v3/faxgate.db"
OUT=$("$CTL" -c "$W/v3.conf" inbound 2>&1); RC=$?
is "$RC:$OUT" "0:no received faxes" "a version-3 store: inbound works on it"
NMIG=$(ls "$TOP"/schema/sqlite/[0-9]*.sql | wc -l)
is "$(sqlite3 "$W/v3/faxgate.db" 'PRAGMA user_version')" "$NMIG" "and it is at the newest version ($NMIG) now"
OUT=$("$CTL" -c "$W/v3.conf" list 2>&1)
like "$OUT" '^ +1 +queued +\+12025550100 +carol@example\.test ' "its job is still there"
is "$(sqlite3 "$W/v3/faxgate.db" "SELECT ecm, modems, ifnull(t38, 'NULL') FROM destinations")" "0|v29|NULL" \
    "its destination too, T.38 not known"

done_testing
