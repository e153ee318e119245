# faxgate.sh - start and inspect faxgate programs in integration tests.
# Source after tap.sh (and mta.sh when a Postfix is needed).
#
#   fg_workdir                  make $W, a private directory removed at exit
#   fg_conf FILE KEY=VALUE...   write a faxgate.conf for tests: fax domain
#                               fax.example.test, store in $W/store, user nobody;
#                               "section.key=value" arguments override
#   milter_start CONF PORT      start faxgate-milter in the foreground on
#                               inet:PORT@127.0.0.1 (log: $W/milter.log),
#                               wait until it listens; sets MILTER_PID
#   milter_kill                 SIGKILL it (libmilter lingers ~5 s on TERM)
#   sql QUERY                   run QUERY on the test store, print the rows
#   fixtures                    make $W/fx/{one.pdf,two.pdf,one.tif,text.txt,
#                               page.png}
#   port_open PORT              0 when something listens on 127.0.0.1:PORT

fg_workdir() {
	W=$(mktemp -d /tmp/faxgate-t.XXXXXX)
	chmod 755 "$W"
	mkdir -p "$W/store"
	chown nobody:nogroup "$W/store"
	on_exit "rm -rf '$W'"
}

fg_conf() {
	local file=$1; shift
	local -A kv=(
		[general.store]="sqlite:$W/store/faxgate.db"
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
	)
	local a
	for a in "$@"; do kv[${a%%=*}]=${a#*=}; done
	local sections=$(printf '%s\n' "${!kv[@]}" | cut -d. -f1 | sort -u)
	: >"$file"
	for s in $sections; do
		echo "[$s]" >>"$file"
		for k in "${!kv[@]}"; do
			[ "${k%%.*}" = "$s" ] && echo "${k#*.} = ${kv[$k]}" >>"$file"
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

sql() { sqlite3 -batch -noheader "$W/store/faxgate.db" "$1"; }

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
