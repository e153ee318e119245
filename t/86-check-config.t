#!/bin/bash
# faxgatectl check-config: a good setup (a private Postfix wired to a
# running faxgate-milter) passes with exit 0; each broken thing prints its
# one precise line and exits non-zero: a bad key, an unknown user, an
# unreadable store, a missing sendmail, a fax domain Postfix does not relay,
# an error: transport, the milter missing from smtpd_milters, a chrooted
# smtpd that cannot reach a unix socket, milter_default_action = accept, an
# unreachable milter, and the same wiring in a Sendmail sendmail.cf.
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/mta.sh"
. "$(dirname "$0")/lib/faxgate.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (private Postfix, checks as another user)"
command -v postconf >/dev/null || skip_all "postfix not installed (contrib/install-deps)"
[ -x "$FAXGATE_BUILD/faxgatectl" ] && [ -x "$FAXGATE_BUILD/faxgate-milter" ] ||
	skip_all "faxgatectl and faxgate-milter not built in $FAXGATE_BUILD"

fg_workdir
PF=$W/pf
PF_PORT=$(free_port)
M_PORT=$(free_port)
postfix_start "$PF" "$PF_PORT" "inet:127.0.0.1:$M_PORT" || bail "postfix did not start"
mkdir -p "$W/spool" && chown nobody "$W/spool"

# conf FILE KEY=VALUE...: a configuration wired to this Postfix and milter.
conf() {
	local f=$1; shift
	fg_conf "$f" "notices.sendmail_config=$PF/conf" "milter.socket=inet:$M_PORT@127.0.0.1" "$@"
}
# check [ARGS...]: run check-config; $out (stdout), $rc
check() {
	out=$("$FAXGATE_BUILD/faxgatectl" -c "${CONF:-$W/good.conf}" check-config "$@" 2>"$W/check.err")
	rc=$?
}

conf "$W/good.conf"
milter_start "$W/good.conf" "$M_PORT"
MILTER_LOG_LINES=$(wc -l <"$W/milter.log")

# ---------------------------------------------------------------- good
check
is "$rc:$out" "0:$W/good.conf: no problems (store, programs, milter, postfix $PF/conf)" \
	"a good setup: exit 0, one line naming what was checked (Postfix from notices.sendmail_config)"
is "$(cat "$W/check.err")" "" "nothing on stderr"
ok "$(kill -0 "$MILTER_PID" 2>/dev/null; echo $?)" "the milter is still running after the probe"
check --postfix "$PF/conf"
is "$rc" 0 "--postfix DIR names the same Postfix"

# ---------------------------------------------------------------- config
cp "$W/good.conf" "$W/bad.conf"
printf '[milter]\nsokcet = unix:/x\n' >>"$W/bad.conf"
CONF=$W/bad.conf check
is "$rc:$out" "78:config: $W/bad.conf:$(wc -l <"$W/bad.conf"): unknown key 'sokcet' in [milter]" \
	"a misspelt key: its FILE:LINE line alone, exit 78"

conf "$W/user.conf" milter.user=nosuchuser
CONF=$W/user.conf check
is "$rc:$out" "1:milter: [milter] user 'nosuchuser' does not exist" "an unknown [milter] user"

# ---------------------------------------------------------------- files
conf "$W/sendmail.conf" notices.sendmail=/nonexistent/sendmail
CONF=$W/sendmail.conf check
is "$rc:$out" "1:notices: sendmail /nonexistent/sendmail: No such file or directory" \
	"a missing sendmail: one line"
like "$(cat "$W/check.err")" "^faxgatectl: check-config: 1 problem in $W/sendmail.conf\$" \
	"stderr counts the problems"

printf '#!/bin/sh\n' >"$W/notexec" && chmod 744 "$W/notexec"
conf "$W/notexec.conf" notices.sendmail="$W/notexec"
CONF=$W/notexec.conf check
is "$rc:$out" "1:notices: sendmail $W/notexec: not executable by user nobody: Permission denied" \
	"a sendmail the daemons' user cannot run (checked as [milter] user)"

DB=$W/store/faxgate.db
chown root:root "$DB" && chmod 600 "$DB"
check
is "$rc:$out" "1:store: $DB: cannot open: unable to open database file" \
	"a store the [milter] user cannot open (checked as that user, not as root)"
chown nobody "$DB" && chmod 644 "$DB"
chmod 755 "$W/store" && chown root "$W/store"
check
is "$rc:$out" "1:store: $DB: user nobody cannot create the -wal and -shm files beside it: Permission denied" \
	"a store directory the [milter] user cannot write"
chown nobody "$W/store"

conf "$W/nostore.conf" general.store="sqlite:$W/store/missing.db"
CONF=$W/nostore.conf check
is "$rc:$out" "1:store: $W/store/missing.db: No such file or directory" \
	"a store that does not exist (never created by the check)"
[ ! -e "$W/store/missing.db" ]
ok $? "... and still does not"

# ---------------------------------------------------------------- Postfix
conf "$W/domain.conf" fax.domains=other.example.test
CONF=$W/domain.conf check
is "$rc:$out" "1:postfix: fax domain other.example.test is not in relay_domains (fax.example.test): smtpd refuses its recipients before the milter sees them" \
	"a fax domain Postfix does not relay"

TM=$(postconf -c "$PF/conf" -h transport_maps)
postconf -c "$PF/conf" -e 'transport_maps = inline:{ { fax.example.test = error:5.1.1 gone } }'
check
is "$rc:$out" "1:postfix: transport for fax domain fax.example.test is error:5.1.1 gone: smtpd refuses its recipients before the milter sees them (use a deferred transport)" \
	"an error: transport for the fax domain"
postconf -c "$PF/conf" -e 'transport_maps ='
check
like "$rc:$out" "^1:postfix: transport_maps has no entry for fax domain fax.example.test: " \
	"no transport for the fax domain"
postconf -c "$PF/conf" -e "transport_maps = $TM"

postconf -c "$PF/conf" -e "smtpd_milters = inet:127.0.0.1:1"
check
is "$rc:$out" "1:postfix: smtpd_milters (inet:127.0.0.1:1) does not name the milter at inet:$M_PORT@127.0.0.1" \
	"smtpd_milters without our milter"
postconf -c "$PF/conf" -e "smtpd_milters = { inet:localhost:$M_PORT, connect_timeout=10s }"
check
is "$rc" 0 "smtpd_milters with settings and localhost for 127.0.0.1 is ours"

postconf -c "$PF/conf" -e "milter_default_action = accept"
check
is "$rc:$out" "1:postfix: milter_default_action = accept: while the milter is down, fax mail is accepted without a job (use tempfail)" \
	"milter_default_action = accept"
postconf -c "$PF/conf" -e "milter_default_action = tempfail"

# A unix socket and an smtpd chrooted in the queue directory.
Q=$(postconf -c "$PF/conf" -h queue_directory)
SVC=127.0.0.1:$PF_PORT/inet
conf "$W/unix.conf" "milter.socket=unix:$W/m.sock"
postconf -c "$PF/conf" -e "smtpd_milters = unix:$W/m.sock" "non_smtpd_milters = unix:$W/m.sock"
postconf -c "$PF/conf" -F "$SVC/chroot = y"
CONF=$W/unix.conf check
is "$rc:$out" "1:milter: unix:$W/m.sock: nothing listens (connect: No such file or directory)
postfix: smtpd_milters names unix:$W/m.sock, but master.cf runs $SVC chrooted in $Q, where that path is $Q$W/m.sock: set chroot = n for $SVC, or put the socket inside $Q" \
	"a chrooted smtpd cannot reach a unix socket outside its queue directory"
postconf -c "$PF/conf" -F "$SVC/chroot = n"
CONF=$W/unix.conf check
is "$rc:$out" "1:milter: unix:$W/m.sock: nothing listens (connect: No such file or directory)" \
	"without the chroot only the absent milter remains"

# A milter on that unix socket: it runs as nobody (socket mode 0770, group
# nogroup), so Postfix's user cannot connect until it may.
mkdir -p "$W/run" && chown nobody "$W/run" && chmod 755 "$W/run"
conf "$W/unix2.conf" "milter.socket=unix:$W/run/m.sock"
postconf -c "$PF/conf" -e "smtpd_milters = unix:$W/run/m.sock" "non_smtpd_milters = unix:$W/run/m.sock"
"$FAXGATE_BUILD/faxgate-milter" -f -c "$W/unix2.conf" >>"$W/milter-unix.log" 2>&1 &
UPID=$!
on_exit "kill -9 $UPID"
wait_until 20 test -S "$W/run/m.sock"
ok $? "faxgate-milter listens on unix:$W/run/m.sock" || diag "$(cat "$W/milter-unix.log")"
CONF=$W/unix2.conf check
is "$rc:$out" "1:milter: unix:$W/run/m.sock: user postfix (the MTA) cannot connect: Permission denied (mode 770, group nogroup: usermod -a -G nogroup postfix)" \
	"a unix socket Postfix's user may not connect to"
chmod 666 "$W/run/m.sock"
CONF=$W/unix2.conf check
is "$rc:$out" "0:$W/unix2.conf: no problems (store, programs, milter, postfix $PF/conf)" \
	"once it may, the unix socket setup passes"
{ kill -9 "$UPID"; wait "$UPID"; } 2>/dev/null
postconf -c "$PF/conf" -e "smtpd_milters = inet:127.0.0.1:$M_PORT" "non_smtpd_milters = inet:127.0.0.1:$M_PORT"
check
is "$rc" 0 "the Postfix configuration is back to good"

check --postfix /nonexistent
like "$rc:$out" "^1:postfix: postconf -c /nonexistent failed: .*" "a Postfix directory that is not one"

# ---------------------------------------------------------------- Sendmail
if sendmail_available; then
	sendmail_write_cf "$W/sm" 2525 "$M_PORT" >/dev/null 2>&1
	check --sendmail-cf "$W/sm/sendmail.cf"
	is "$rc:$out" "0:$W/good.conf: no problems (store, programs, milter, sendmail $W/sm/sendmail.cf)" \
		"Sendmail: INPUT_MAIL_FILTER with our socket and F=T, the fax domain in class R"
	CONF=$W/domain.conf check --sendmail-cf "$W/sm/sendmail.cf"
	is "$rc:$out" "1:sendmail: $W/sm/sendmail.cf: fax domain other.example.test is not in class R (RELAY_DOMAIN or /etc/mail/relay-domains): Sendmail refuses its recipients (Relaying denied)" \
		"Sendmail: a fax domain not relayed"
	sed -i 's/^\(Xfaxgate.*\), F=T/\1/' "$W/sm/sendmail.cf"
	check --sendmail-cf "$W/sm/sendmail.cf"
	is "$rc:$out" "1:sendmail: $W/sm/sendmail.cf: filter faxgate has no F=: while the milter is down, fax mail is accepted without a job (use F=T)" \
		"Sendmail: a filter without F=T"
else
	for i in 1 2 3; do ok 0 "# SKIP no unpacked sendmail (contrib/install-deps)"; done
fi

# ---------------------------------------------------------------- the milter
# The probe spoke the milter protocol and said goodbye: the milter, probed
# some twenty times, logged nothing at all.
is "$(tail -n +"$((MILTER_LOG_LINES + 1))" "$W/milter.log")" "" \
	"the probes left nothing in the milter's log"
milter_kill
check
is "$rc:$out" "1:milter: inet:$M_PORT@127.0.0.1: nothing listens (connect: Connection refused)" \
	"a milter that does not run: one line"
# Something that is not a milter on the port.
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("up", flush=True)
c, _ = s.accept(); c.sendall(b"220 not a milter\r\n"); c.recv(100); c.close()
' "$M_PORT" >"$W/fake.out" 2>&1 &
FAKE=$!
on_exit "kill $FAKE"
wait_until 30 grep -q up "$W/fake.out"
ok $? "a program that is not a milter listens on the port" || diag "$(cat "$W/fake.out")"
check
is "$rc:$out" "1:milter: inet:$M_PORT@127.0.0.1: connected, but what answers is not a milter" \
	"something else on the milter's port"

done_testing
