#!/bin/bash
# 30-render.t - faxgate-render: exit codes, messages, the TIFF it writes,
# and the limits on Ghostscript (wall clock, memory, SIGTERM) with no gs
# process or temporary file left behind.

. "$(dirname "$0")/lib/tap.sh"

R=$FAXGATE_BUILD/faxgate-render
[ -x "$R" ] || skip_all "$R not built"
GS=$(command -v gs) || skip_all "no gs"
command -v tiffinfo >/dev/null || skip_all "no tiffinfo (libtiff-tools)"

W=$(mktemp -d /tmp/30-render.XXXXXX) || bail "mktemp"
on_exit rm -rf "$W"
mkdir "$W/tmp"
# A gs under a name of its own, so pgrep finds exactly our children
# (anchored: faxgate-render's own command line names it too).
MARK=gs-faxgate-30-render-$$
ln -s "$GS" "$W/$MARK"
GSPAT="^$W/$MARK "

# run ARGS... - run faxgate-render, sets RC, OUT (stdout), ERR (stderr)
run() {
	OUT=$("$R" -d "$W/tmp" "$@" 2>"$W/err")
	RC=$?
	ERR=$(cat "$W/err")
}

# pdf NAME PS [GS ARGS...] - make NAME.pdf from PostScript text
pdf() {
	local name=$1 ps=$2
	shift 2
	printf '%s\n' "$ps" >"$W/$name.ps"
	gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite "$@" \
		-sOutputFile="$W/$name.pdf" "$W/$name.ps" || bail "gs pdfwrite $name"
}

A4='%!PS
<< /PageSize [595 842] >> setpagedevice /Helvetica findfont 24 scalefont setfont
1 1 3 { 72 700 moveto (Page ) show 10 string cvs show 20 20 555 802 rectstroke showpage } for'
pdf a4 "$A4"
pdf contract "$A4" -sOwnerPassword=o -sUserPassword=secret
head -c 300 "$W/a4.pdf" >"$W/broken.pdf"
for i in $(seq 1 70); do echo "line $i (with) \\ back slash caf$(printf '\303\251')"; done >"$W/note.txt"
printf '%%!PS\n%% endless\n{ 1 pop } loop\n' >"$W/loop.ps"
printf '%%!PS\n/keep 100000 array def\n0 1 99999 { keep exch 10000000 string put } for\nshowpage\n' >"$W/hog.ps"

# --- success ---
run -o "$W/out.tif" "pdf:$W/a4.pdf:a4.pdf"
is "$RC" 0 "PDF: exit 0"
is "$OUT" "pages=3" "PDF: pages=3 on stdout"
is "$ERR" "" "PDF: nothing on stderr"
TI=$(tiffinfo "$W/out.tif" 2>&1)
is "$(grep -c 'Image Width: 1728 ' <<<"$TI")" 3 "tiffinfo: 3 pages, Image Width: 1728"
like "$TI" "Resolution: 204, 196 pixels/inch" "tiffinfo: Resolution: 204, 196 pixels/inch"
like "$TI" "Compression Scheme: CCITT Group 4" "tiffinfo: Compression Scheme: CCITT Group 4"
like "$TI" "Page Number: 2-3" "tiffinfo: Page Number set"

run -s -o "$W/std.tif" "pdf:$W/a4.pdf"
like "$(tiffinfo "$W/std.tif" 2>&1)" "Resolution: 204, 98 pixels/inch" "-s: Resolution: 204, 98"

run -F 'Alice <alice@example.org>' -T '+49 30 1234567' -S 'Offer (v2) | \ draft' \
	-D 'Mon, 1 Jan 2024' -o "$W/cover.tif" "text:$W/note.txt:note.txt" "ps:$W/a4.ps"
is "$RC:$OUT" "0:pages=6" "cover page + 2 text pages + 3 PostScript pages"
run -C 'Alice|Bob|A | in the subject|today' -o "$W/cover2.tif" "text:$W/note.txt"
is "$RC:$OUT" "0:pages=3" "-C FROM|TO|SUBJECT|DATE"

# --- permanent failures: 65 and one line ---
run -o "$W/x.tif" "text:$W/note.txt" "pdf:$W/contract.pdf:contract.pdf"
is "$RC" 65 "encrypted PDF: exit 65"
is "$ERR" "faxgate-render: document 2 (contract.pdf): PDF is encrypted (password required)" \
	"encrypted PDF: the reason"
ok "$([ ! -e "$W/x.tif" ]; echo $?)" "no output on failure"

run -o "$W/x.tif" "pdf:$W/broken.pdf:broken.pdf"
is "$RC" 65 "broken PDF: exit 65"
like "$ERR" "^faxgate-render: document 1 \(broken.pdf\): PDF could not be rendered: .+" "broken PDF: the reason"
is "$(wc -l <"$W/err")" 1 "broken PDF: one line"

printf 'II*\0junk' >"$W/junk.tif"
run -o "$W/x.tif" "tiff:$W/junk.tif:junk.tif"
is "$RC" 65 "junk TIFF: exit 65"
like "$ERR" "^faxgate-render: document 1 \(junk.tif\): TIFF cannot be read" "junk TIFF: the reason"

: >"$W/empty.txt"
run -o "$W/x.tif" "text:$W/empty.txt"
is "$RC:$ERR" "65:faxgate-render: the documents have no pages" "empty text: no pages"

# --- limits ---
SECONDS=0
run -t 2 -g "$W/$MARK" -o "$W/x.tif" "ps:$W/loop.ps:loop.ps"
T=$SECONDS
is "$RC" 65 "endless PostScript: exit 65"
is "$ERR" "faxgate-render: document 1 (loop.ps): rendering took longer than 2 s" "endless PostScript: the reason"
ok "$([ $T -le 5 ]; echo $?)" "endless PostScript: stopped in ${T}s"
ok "$(! pgrep -f "$GSPAT" >/dev/null; echo $?)" "endless PostScript: no gs left"

run -m 200 -g "$W/$MARK" -o "$W/x.tif" "ps:$W/hog.ps:hog.ps"
is "$RC" 65 "memory hog: exit 65"
is "$ERR" "faxgate-render: document 1 (hog.ps): rendering needs more than 200 MiB of memory" "memory hog: the reason"
ok "$(! pgrep -f "$GSPAT" >/dev/null; echo $?)" "memory hog: no gs left"

"$R" -d "$W/tmp" -t 60 -g "$W/$MARK" -o "$W/x.tif" "ps:$W/loop.ps" 2>"$W/err" &
PID=$!
wait_until 10 pgrep -f "$GSPAT" >/dev/null
kill -TERM $PID
wait $PID
RC=$?
is "$RC:$(cat "$W/err")" "75:faxgate-render: document 1: interrupted" "SIGTERM: exit 75"
ok "$(! pgrep -f "$GSPAT" >/dev/null; echo $?)" "SIGTERM: no gs left"

# --- temporary failures: 75 ---
run -o "$W/x.tif" "pdf:$W/nonexistent.pdf"
is "$RC" 75 "missing input: exit 75"
like "$ERR" "cannot open .*nonexistent.pdf" "missing input: the reason"
run -g "$W/no-such-gs" -o "$W/x.tif" "pdf:$W/a4.pdf"
is "$RC" 75 "missing gs: exit 75"
like "$ERR" "ghostscript \(.*no-such-gs\) cannot be run: No such file or directory" "missing gs: the reason"

# --- usage: 64 ---
run "pdf:$W/a4.pdf"
is "$RC" 64 "no -o: exit 64"
run -o "$W/x.tif"
is "$RC" 64 "no document: exit 64"
run -o "$W/x.tif" "doc:$W/a4.pdf"
is "$RC" 64 "unknown kind: exit 64"
run -t soon -o "$W/x.tif" "pdf:$W/a4.pdf"
is "$RC" 64 "bad -t: exit 64"
run -C 'only|two' -o "$W/x.tif" "pdf:$W/a4.pdf"
is "$RC" 64 "bad -C: exit 64"
run -h
is "$RC" 0 "-h: exit 0"
like "$OUT" "^usage: faxgate-render" "-h: usage text"

is "$(ls -A "$W/tmp")" "" "no temporary files left"
is "$(ls -A "$W" | grep -c '\.tif\.')" 0 "no temporary output files left"

done_testing
