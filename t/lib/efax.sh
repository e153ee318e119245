# efax.sh - efax, a fax program with its own T.30 and T.4 code, on
# contrib/faxmodem (SpanDSP's T.31 Class 1 modem on a pseudo-terminal) as
# the far end of faxgate, for t/60-efax.t (simulated line) and
# t/61-efax-sip.t (SIP, G.711). Source after tap.sh and faxgate.sh.
# Pages are 1728 wide, fine (204x196), T.4 1D without ECM: all efax does.
#
#   efax_require [TOOL...]      skip the file without efax, gs, tiffcmp,
#                               tiffcrop, tiffsplit, tiffinfo or a TOOL; set
#                               FM (faxmodem, $FAXMODEM or the build's); if
#                               it is not built, fail one test and exit
#   efax_pages TITLE            (after fg_workdir; TITLE plain text, no
#                               parentheses or backslashes) 3 different pages,
#                               TITLE on top, $ROWS rows, first ink well below
#                               the top (efax's header band must land on
#                               white), ~15 s a page at 14400 bit/s:
#                               $W/doc.tif (G4, for faxgate), $W/doc-{1,2,3}.pbm
#                               (for efax: it cannot read Ghostscript's G3
#                               TIFFs, they end without RTC), one TIFF a page
#                               in SRC; makes $W/rx and $W/got; bails on error
#   dims FILE                   "WIDTHxLENGTH" of a one-page TIFF
#   run_pair TAG FAXMODEM-ARGS... -- EFAX-ARGS...
#                               start faxmodem on $W/ttyFAX0 (with $FM_ARGS
#                               first, then FAXMODEM-ARGS), then efax, then
#                               eval $THEN (if set) while they work; wait for
#                               both, each bounded by $TMO s; set FM_RC,
#                               EFAX_RC, SECS. Logs: $W/TAG.{fm,efax}.log,
#                               faxmodem's result line in $W/TAG.result.
#                               Both are killed at exit if still running.
#   efax_check_rx [TIFF SUFFIX] what efax received ($W/rx/page.*, into RX):
#                               7 tests: 3 pages, each 1728x$ROWS and equal to
#                               SRC's pixel for pixel; with TIFF (faxgate's
#                               rendering) each page must equal TIFF's too,
#                               and SUFFIX ends the pixel tests' names
#   efax_check_got TIFF         what faxgate received from efax (into GOT):
#                               9 tests, for each of 3 pages: 1728 wide, $ROWS
#                               rows plus efax's header band (1 to 50 rows,
#                               efax -h ""), the band white, the rest SRC's
#                               page pixel for pixel
#   efax_check_differ           1 test: SRC's page 1 and RX's page 2 differ
#                               (the comparisons above can fail)

ROWS=2200	# rows of a page
TMO=150		# seconds, per program and run
FM_ARGS=()	# faxmodem arguments for every run_pair
EFAX_PID=
FM_PID=

efax_require() {
	local t
	command -v efax >/dev/null || skip_all "efax is not installed (apt-get install efax)"
	for t in gs tiffcmp tiffcrop tiffsplit tiffinfo "$@"; do
		command -v "$t" >/dev/null || skip_all "$t is not installed"
	done
	FM=${FAXMODEM:-$FAXGATE_BUILD/faxmodem}
	# A missing build product fails here, without stopping the other tests.
	if [ ! -x "$FM" ]; then
		ok 1 "$FM is built (make)"
		done_testing
		exit
	fi
}

efax_pages() {
	local gs=(gs -q -dSAFER -dBATCH -dNOPAUSE -r204x196 -g1728x$ROWS)
	cat >"$W/doc.ps" <<PS
%!PS
1 1 3 {
  /p exch def
  /Helvetica-Bold findfont 40 scalefont setfont
  72 720 moveto ($1) show
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
	# Same rasteriser, same pixels for both ends.
	"${gs[@]}" -sDEVICE=tiffg4 -sOutputFile="$W/doc.tif" "$W/doc.ps" &&
	    "${gs[@]}" -sDEVICE=pbmraw -sOutputFile="$W/doc-%d.pbm" "$W/doc.ps" ||
	    bail "gs cannot make the pages"
	mkdir -p "$W/src" "$W/rx" "$W/got"
	tiffsplit "$W/doc.tif" "$W/src/p" >/dev/null || bail "tiffsplit doc.tif"
	SRC=($(ls "$W"/src/p*))
}

dims() { tiffinfo "$1" 2>/dev/null |
    sed -n 's/.*Image Width: \([0-9]*\) Image Length: \([0-9]*\).*/\1x\2/p' | head -1; }

run_pair() {
	local tag=$1; shift
	local fm=() t0=$SECONDS dev=$W/ttyFAX0
	while [ "$1" != -- ]; do fm+=("$1"); shift; done
	shift
	if [ -z "${EFAX_ON_EXIT:-}" ]; then
		on_exit 'kill $FM_PID $EFAX_PID 2>/dev/null'
		EFAX_ON_EXIT=1
	fi
	rm -f "$dev"
	"$FM" --device "$dev" "${FM_ARGS[@]}" --timeout $TMO -v "${fm[@]}" \
	    >"$W/$tag.result" 2>"$W/$tag.fm.log" &
	FM_PID=$!
	wait_until 5 test -L "$dev" || diag "faxmodem did not create $dev"
	timeout $((TMO + 10)) efax -d "$dev" -l "+1 555 0199" -v ewin "$@" \
	    >/dev/null 2>"$W/$tag.efax.log" &
	EFAX_PID=$!
	[ -z "${THEN:-}" ] || eval "$THEN"
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

efax_check_rx() {
	local i f sent=()
	RX=($(ls "$W"/rx/page.* 2>/dev/null))
	is "${#RX[@]}" 3 "faxgate -> efax: efax wrote 3 pages"
	if [ -n "${1:-}" ]; then
		mkdir -p "$W/sent"
		tiffsplit "$1" "$W/sent/p" >/dev/null 2>&1
		sent=($(ls "$W"/sent/p* 2>/dev/null))
	fi
	for i in 0 1 2; do
		f=${RX[$i]:-none}
		is "$(dims "$f")" "1728x$ROWS" "faxgate -> efax: page $((i + 1)) is 1728x$ROWS"
		{ [ -z "${1:-}" ] || tiffcmp -t "${sent[$i]:-none}" "$f" >/dev/null 2>&1; } &&
		    tiffcmp -t "${SRC[$i]}" "$f" >/dev/null 2>&1
		ok $? "faxgate -> efax: page $((i + 1)) arrives pixel for pixel${2:-}"
	done
}

efax_check_got() {
	local i f d extra
	tiffsplit "$1" "$W/got/p" >/dev/null 2>&1
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
}

efax_check_differ() {
	tiffcmp -t "${SRC[0]}" "${RX[1]:-none}" >/dev/null 2>&1
	[ $? != 0 ]
	ok $? "different pages do not compare equal"
}
