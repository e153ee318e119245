#!/bin/bash
# Proof against the outside world: efax, a fax program with its own T.30
# and T.4 code, is the fax machine at the other end of faxgate's T.30
# endpoint. contrib/faxmodem runs SpanDSP's T.31 Class 1 modem on a
# pseudo-terminal for efax and puts the modem's audio on a simulated line
# to a t30_ep in the same process (see contrib/README-faxmodem.md).
#   1. faxgate sends 3 pages, efax receives them (efax answers with ATA);
#   2. efax sends 3 pages, faxgate receives them (efax dials, ATD).
# Pages are 1728 wide, fine (204x196), T.4 1D without ECM: all efax does.
# Both runs are paced in real time, about a minute each: keep it to these.
. "$(dirname "$0")/lib/tap.sh"
. "$TOP/t/lib/faxgate.sh"

command -v efax >/dev/null || skip_all "efax is not installed (apt-get install efax)"
for t in gs tiffcmp tiffcrop tiffsplit tiffinfo; do
	command -v $t >/dev/null || skip_all "$t is not installed"
done
FM=${FAXMODEM:-$FAXGATE_BUILD/faxmodem}
# A missing build product fails here, without stopping the other tests.
if [ ! -x "$FM" ]; then
	ok 1 "$FM is built (make)"
	done_testing
	exit
fi

fg_workdir
ROWS=2200
TMO=150		# seconds, per program and run

# Three different pages, first ink well below the top (efax's header band
# must land on white), light enough for ~15 s a page at 14400 bit/s.
cat >"$W/doc.ps" <<'PS'
%!PS
1 1 3 {
  /p exch def
  /Helvetica-Bold findfont 40 scalefont setfont
  72 720 moveto (faxgate <-> efax) show
  72 670 moveto (page ) show p 3 string cvs show ( of 3) show
  /Courier findfont 11 scalefont setfont
  0 1 7 { /i exch def 72 620 i 14 mul sub moveto
    (The quick brown fox jumps over the lazy dog, line ) show
    i p add 3 string cvs show } for
  2 setlinewidth
  72 p 40 mul add 200 200 120 rectstroke
  newpath 420 260 p 15 mul 30 add 0 360 arc fill
  showpage
} for
PS
# Same rasteriser, same pixels: a TIFF for faxgate, PBM pages for efax
# (efax cannot read Ghostscript's G3 TIFFs: they end without RTC).
GS=(gs -q -dSAFER -dBATCH -dNOPAUSE -r204x196 -g1728x$ROWS)
"${GS[@]}" -sDEVICE=tiffg4 -sOutputFile="$W/doc.tif" "$W/doc.ps" &&
    "${GS[@]}" -sDEVICE=pbmraw -sOutputFile="$W/doc-%d.pbm" "$W/doc.ps" ||
    bail "gs cannot make the pages"
mkdir -p "$W/src" "$W/rx" "$W/got"
tiffsplit "$W/doc.tif" "$W/src/p" >/dev/null || bail "tiffsplit doc.tif"
SRC=($(ls "$W"/src/p*))
is "${#SRC[@]} $(tiff_pages "$W/doc.tif")" "3 3" "the document has 3 pages"

# dims FILE - "WIDTHxLENGTH" of a one-page TIFF
dims() { tiffinfo "$1" 2>/dev/null |
    sed -n 's/.*Image Width: \([0-9]*\) Image Length: \([0-9]*\).*/\1x\2/p' | head -1; }

DEV=$W/ttyFAX0
FM_PID=
EFAX_PID=
on_exit 'kill $FM_PID $EFAX_PID 2>/dev/null'

# run_pair FAXMODEM-ARGS... -- EFAX-ARGS...: run both to the end (each
# bounded), set FM_RC, EFAX_RC, SECS; logs in $W/<tag>.{fm,efax}.log
run_pair() {
	local tag=$1; shift
	local fm=() t0=$SECONDS
	while [ "$1" != -- ]; do fm+=("$1"); shift; done
	shift
	rm -f "$DEV"
	"$FM" --device "$DEV" --timeout $TMO -v "${fm[@]}" \
	    >"$W/$tag.result" 2>"$W/$tag.fm.log" &
	FM_PID=$!
	wait_until 5 test -L "$DEV" || diag "faxmodem did not create $DEV"
	timeout $((TMO + 10)) efax -d "$DEV" -l "+1 555 0199" -v ewin "$@" \
	    >/dev/null 2>"$W/$tag.efax.log" &
	EFAX_PID=$!
	wait $EFAX_PID
	EFAX_RC=$?
	EFAX_PID=
	wait $FM_PID
	FM_RC=$?
	FM_PID=
	SECS=$((SECONDS - t0))
	if [ $EFAX_RC != 0 ] || [ $FM_RC != 0 ]; then
		diag "efax exit $EFAX_RC, faxmodem exit $FM_RC; the ends of the logs:"
		diag "$(tail -15 "$W/$tag.efax.log")"
		diag "$(tail -15 "$W/$tag.fm.log")"
	fi
}

RESULT='class=ok status=2\.0\.0 code=OK pages=3 rate=14400 ecm=0 resolution=204x196 '

# --- 1. faxgate sends, efax receives -----------------------------------
# Without -w efax answers at once (ATA); faxmodem takes that as picking
# up the faxgate end's call.
run_pair send --send "$W/doc.tif" -- -r "$W/rx/page"
ok $EFAX_RC "faxgate -> efax: efax receives and exits 0 (${SECS} s)"
is "$FM_RC" 0 "faxgate -> efax: faxmodem exits 0"
like "$(cat "$W/send.result")" "$RESULT" "faxgate -> efax: the faxgate end reports 3 pages at 14400, 1D, no ECM, fine"
RX=($(ls "$W"/rx/page.* 2>/dev/null))
is "${#RX[@]}" 3 "faxgate -> efax: efax wrote 3 pages"
for i in 0 1 2; do
	f=${RX[$i]:-none}
	is "$(dims "$f")" "1728x$ROWS" "faxgate -> efax: page $((i + 1)) is 1728x$ROWS"
	tiffcmp -t "${SRC[$i]}" "$f" >/dev/null 2>&1
	ok $? "faxgate -> efax: page $((i + 1)) arrives pixel for pixel"
done

# --- 2. efax sends, faxgate receives -----------------------------------
# efax puts a header band above each page; -h "" leaves it white.
run_pair recv --receive "$W/got.tif" -- -h "" -t 5550100 "$W"/doc-1.pbm "$W"/doc-2.pbm "$W"/doc-3.pbm
ok $EFAX_RC "efax -> faxgate: efax sends and exits 0 (${SECS} s)"
is "$FM_RC" 0 "efax -> faxgate: faxmodem exits 0"
like "$(cat "$W/recv.result")" "$RESULT" "efax -> faxgate: the faxgate end reports 3 pages at 14400, 1D, no ECM, fine"
is "$(tiff_pages "$W/got.tif")" 3 "efax -> faxgate: the received TIFF has 3 pages"
tiffsplit "$W/got.tif" "$W/got/p" >/dev/null 2>&1
GOT=($(ls "$W"/got/p* 2>/dev/null))
for i in 0 1 2; do
	f=${GOT[$i]:-none}
	d=$(dims "$f")
	extra=$(( ${d#*x} - ROWS ))
	[ "${d%x*}" = 1728 ] && [ $extra -gt 0 ] && [ $extra -le 50 ]
	ok $? "efax -> faxgate: page $((i + 1)) is 1728 wide, $ROWS rows plus efax's header band ($d)"
	[ $extra -gt 0 ] || extra=1
	rm -f "$W/band.tif" "$W/srcband.tif" "$W/body.tif"
	tiffcrop -U px -X 1728 -Y $extra "$f" "$W/band.tif" >/dev/null 2>&1 &&
	    tiffcrop -U px -X 1728 -Y $extra "${SRC[$i]}" "$W/srcband.tif" >/dev/null 2>&1 &&
	    tiffcmp -t "$W/srcband.tif" "$W/band.tif" >/dev/null 2>&1
	ok $? "efax -> faxgate: page $((i + 1))'s header band is white"
	tiffcrop -U px -m $extra,0,0,0 "$f" "$W/body.tif" >/dev/null 2>&1 &&
	    [ "$(dims "$W/body.tif")" = "1728x$ROWS" ] &&
	    tiffcmp -t "${SRC[$i]}" "$W/body.tif" >/dev/null 2>&1
	ok $? "efax -> faxgate: page $((i + 1)) arrives pixel for pixel below the band"
done

# A wrong page must not compare equal (the comparison can fail).
tiffcmp -t "${SRC[0]}" "${RX[1]:-none}" >/dev/null 2>&1
[ $? != 0 ]
ok $? "different pages do not compare equal"

done_testing
