#!/bin/bash
# Every fuzz target replays its seed corpus (t/fuzz/corpus/NAME/) with the
# normal build: fast and deterministic. A target aborts on a broken
# promise, which fails its line here. "make fuzz" searches for new inputs.
. "$(dirname "$0")/lib/tap.sh"

for src in "$TOP"/t/fuzz/*_fuzz.c; do
	n=$(basename "$src" _fuzz.c)
	bin="$FAXGATE_BUILD/fuzz/$n-replay"
	dir="$TOP/t/fuzz/corpus/$n"
	if [ ! -d "$dir" ]; then
		ok 1 "$n: has a seed corpus in t/fuzz/corpus/$n"
		continue
	fi
	out=$("$bin" "$dir" 2>&1)
	rc=$?
	ok $rc "$n: replays its $(ls "$dir" | wc -l) seed inputs without a fault"
	[ $rc = 0 ] || diag "$(tail -5 <<<"$out")"
done
done_testing
