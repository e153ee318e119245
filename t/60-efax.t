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
. "$TOP/t/lib/efax.sh"
efax_require

fg_workdir
efax_pages "faxgate <-> efax"
is "${#SRC[@]} $(tiff_pages "$W/doc.tif")" "3 3" "the document has 3 pages"

RESULT='class=ok status=2\.0\.0 code=OK pages=3 rate=14400 ecm=0 resolution=204x196 '

# --- 1. faxgate sends, efax receives -----------------------------------
# Without -w efax answers at once (ATA); faxmodem takes that as picking
# up the faxgate end's call.
run_pair send --send "$W/doc.tif" -- -r "$W/rx/page"
ok $EFAX_RC "faxgate -> efax: efax receives and exits 0 (${SECS} s)"
is "$FM_RC" 0 "faxgate -> efax: faxmodem exits 0"
like "$(cat "$W/send.result")" "$RESULT" "faxgate -> efax: the faxgate end reports 3 pages at 14400, 1D, no ECM, fine"
efax_check_rx

# --- 2. efax sends, faxgate receives -----------------------------------
# efax puts a header band above each page; -h "" leaves it white.
run_pair recv --receive "$W/got.tif" -- -h "" -t 5550100 "$W"/doc-1.pbm "$W"/doc-2.pbm "$W"/doc-3.pbm
ok $EFAX_RC "efax -> faxgate: efax sends and exits 0 (${SECS} s)"
is "$FM_RC" 0 "efax -> faxgate: faxmodem exits 0"
like "$(cat "$W/recv.result")" "$RESULT" "efax -> faxgate: the faxgate end reports 3 pages at 14400, 1D, no ECM, fine"
is "$(tiff_pages "$W/got.tif")" 3 "efax -> faxgate: the received TIFF has 3 pages"
efax_check_got "$W/got.tif"
# A wrong page must not compare equal (the comparison can fail).
efax_check_differ

done_testing
