# faxgate.sh - start and inspect faxgate programs in integration tests.
# Source after tap.sh (and mta.sh when a Postfix is needed).
#
#   fg_workdir                  make $W, a private directory removed at exit
#                               (kept, and named on stderr, with FAXGATE_KEEP=1)
#   fg_conf FILE KEY=VALUE...   write a faxgate.conf for tests: fax domain
#                               fax.example.test, store in $W/store, user nobody;
#                               "section.key=value" arguments override
#   milter_start CONF PORT      start faxgate-milter in the foreground on
#                               inet:PORT@127.0.0.1 (log: $W/milter.log),
#                               wait until it listens; sets MILTER_PID
#   milter_kill                 SIGKILL it (libmilter lingers ~5 s on TERM)
#   sql QUERY                   run QUERY on the test store, print the rows
#
# One suite, two backends: with FAXGATE_TEST_STORE=pg and FAXGATE_TEST_PG_DSN
# (a libpq conninfo of an empty database, see t/lib/pg.sh and t/82-pg-suite.t)
# fg_conf's store and sql use that PostgreSQL database instead of SQLite.
#   fixtures                    make $W/fx/{one.pdf,two.pdf,one.tif,text.txt,
#                               page.png}
#   port_open PORT              0 when something listens on 127.0.0.1:PORT
#   dialer_start CONF           start faxgate-dialer in the foreground (log:
#                               $W/dialer.log), wait until it runs; DIALER_PID
#   dialer_stop                 SIGTERM it, wait for it to exit; its exit status
#   dialer_kill9                SIGKILL it
#   job_of NUMBER               the id of the newest job for a number
#   job_field JOB COLUMN        one column of a job
#   wait_state JOB STATE SECS   wait until the job reaches STATE
#   page_same A PA B PB         0 when page PA of TIFF A has the same pixels
#                               as page PB of TIFF B (tiffsplit + tiffcmp)
#   tiff_pages FILE             number of pages of a TIFF

fg_workdir() {
	W=$(mktemp -d /tmp/faxgate-t.XXXXXX)
	chmod 755 "$W"
	mkdir -p "$W/store"
	chown nobody:nogroup "$W/store"
	if [ -n "${FAXGATE_KEEP:-}" ]; then
		echo "# work directory kept: $W" >&2
	else
		on_exit "rm -rf '$W'"
	fi
}

fg_conf() {
	local file=$1; shift
	local -A kv=(
		[general.store]="$(fg_store_spec)"
		[general.dialer_socket]="$W/dialer.sock"
		[general.hostname]="gw.faxgate.test"
		[general.log_level]="info"
		[milter.user]="nobody"
		[milter.socket]="inet:0@127.0.0.1"
		[fax.domains]="fax.example.test"
		[dialplan.allow]="+1 +44 +33 +39"
		[dialplan.deny]="+1900"
		[dialplan.rewrite]="+1=1 +=011"
		[policy.networks]="127.0.0.0/8"
		[policy.rate_per_hour]="0"
		[dialer.spool]="$W/spool"
		[dialer.poll]="1"
		[dialer.lease]="10"
		[dialer.channels]="4"
		[dialer.ident]="+1 202 555 0000"
		[dialer.page_header]=""
		[retry.busy]="1"
		[retry.no_answer]="1"
		[retry.congestion]="1"
		[retry.dropped]="1"
		[retry.error]="1"
		[retry.max_attempts]="4"
		[notices.retry]="1"
		[sim.outdir]="$W/sim"
		[sim.mode]="t38"
	)
	local a
	for a in "$@"; do kv[${a%%=*}]=${a#*=}; done
	local sections=$(printf '%s\n' "${!kv[@]}" | cut -d. -f1 | sort -u)
	: >"$file"
	for s in $sections; do
		echo "[$s]" >>"$file"
		for k in "${!kv[@]}"; do
			[ "${k%%.*}" = "$s" ] || continue
			# Long lists go on indented continuation lines (inih's
			# lines are at most 198 characters).
			echo "${k#*.} = ${kv[$k]}" | fold -s -w 150 | sed '2,$s/^/    /' >>"$file"
		done
	done
	chmod 644 "$file"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

milter_start() {
	local conf=$1 port=$2
	sed -i "s|^socket = .*|socket = inet:$port@127.0.0.1|" "$conf"
	"$FAXGATE_BUILD/faxgate-milter" -f -c "$conf" >>"$W/milter.log" 2>&1 &
	MILTER_PID=$!
	on_exit "kill -9 $MILTER_PID"
	wait_until 10 port_open "$port" || { cat "$W/milter.log" >&2; bail "faxgate-milter did not start"; }
}

milter_kill() { kill -9 "$MILTER_PID" 2>/dev/null; wait "$MILTER_PID" 2>/dev/null; true; }

fg_store_spec() {
	if [ "${FAXGATE_TEST_STORE:-}" = pg ]; then
		echo "postgresql:$FAXGATE_TEST_PG_DSN"
	else
		echo "sqlite:$W/store/faxgate.db"
	fi
}

sql() {
	if [ "${FAXGATE_TEST_STORE:-}" = pg ]; then
		# SQLite's readfile() reads a file on the client: inlined here as
		# a bytea literal (the server cannot read the test's files), and
		# last_insert_rowid() is lastval(). Sent on stdin (a TIFF is
		# long); ON_ERROR_STOP keeps a failed statement a failed exit.
		local q=$1 f
		while [[ $q =~ readfile\(\'([^\']*)\'\) ]]; do
			f=${BASH_REMATCH[1]}
			q=${q//"readfile('$f')"/"'\\x$(od -An -v -tx1 "$f" | tr -d ' \n')'::bytea"}
		done
		q=${q//last_insert_rowid()/lastval()}
		psql -X -q -A -t -F '|' -v ON_ERROR_STOP=1 "$FAXGATE_TEST_PG_DSN" -f - <<<"$q"
	else
		sqlite3 -batch -noheader "$W/store/faxgate.db" "$1"
	fi
}

fixtures() {
	mkdir -p "$W/fx"
	local ps='/Helvetica findfont 36 scalefont setfont'
	gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sPAPERSIZE=a4 -o "$W/fx/one.pdf" \
	    -c "$ps 72 700 moveto (faxgate page 1) show showpage" >/dev/null
	gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pdfwrite -sPAPERSIZE=a4 -o "$W/fx/two.pdf" \
	    -c "$ps 72 700 moveto (page 1 of 2) show showpage 72 700 moveto (page 2 of 2) show showpage" >/dev/null
	gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=tiffg3 -r204x196 -g1728x2292 -o "$W/fx/one.tif" \
	    -c "$ps 72 700 moveto (tiff page) show showpage" >/dev/null
	gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=png16m -r10 -o "$W/fx/page.png" \
	    -c "showpage" >/dev/null
	printf 'Hello,\n\nthis is a text fax.\n' >"$W/fx/text.txt"
}

dialer_start() {
	local conf=$1 n
	mkdir -p "$W/sim" "$W/spool"
	n=$(grep -c 'start: store' "$W/dialer.log" 2>/dev/null)
	"$FAXGATE_BUILD/faxgate-dialer" -f -c "$conf" >>"$W/dialer.log" 2>&1 &
	DIALER_PID=$!
	on_exit "kill -9 $DIALER_PID"
	wait_until 10 eval '[ "$(grep -c "start: store" "$W/dialer.log")" -gt "${n:-0}" ]' ||
	    { cat "$W/dialer.log" >&2; bail "faxgate-dialer did not start"; }
}

# dialer_stop - SIGTERM, wait; returns the dialer's exit status (so a
# sanitizer report at exit fails the test)
dialer_stop() {
	kill -TERM "$DIALER_PID" 2>/dev/null
	wait_until 20 eval '! kill -0 $DIALER_PID 2>/dev/null'
	wait "$DIALER_PID" 2>/dev/null
}

dialer_kill9() { kill -9 "$DIALER_PID" 2>/dev/null; wait "$DIALER_PID" 2>/dev/null; true; }

job_of() { sql "SELECT max(id) FROM jobs WHERE number = '$1'"; }
job_field() { sql "SELECT $2 FROM jobs WHERE id = $1"; }
wait_state() { wait_until "$3" eval "[ \"\$(job_field $1 state)\" = \"$2\" ]"; }

tiff_pages() { tiffinfo "$1" 2>/dev/null | grep -c '^TIFF Directory'; }

page_same() {
	local d
	d=$(mktemp -d "$W/cmp.XXXXXX")
	tiffsplit "$1" "$d/a_" >/dev/null 2>&1 && tiffsplit "$3" "$d/b_" >/dev/null 2>&1 || return 2
	local pa pb
	pa=$(ls "$d"/a_* | sed -n "${2}p")
	pb=$(ls "$d"/b_* | sed -n "${4}p")
	[ -n "$pa" ] && [ -n "$pb" ] && tiffcmp -t "$pa" "$pb" >/dev/null 2>&1
	local rc=$?
	rm -rf "$d"
	return $rc
}
