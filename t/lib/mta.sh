# mta.sh - private Postfix and Sendmail instances and SMTP helpers for the
# integration tests. Source it after tap.sh:
#
#   . "$(dirname "$0")/lib/tap.sh"
#   . "$(dirname "$0")/lib/mta.sh"
#
# Every instance lives in its own directory and listens on 127.0.0.1 only;
# nothing in /etc/postfix or /etc/mail is read or written. Start functions
# register the matching stop with on_exit, so a failing test still cleans up.
# The start functions give DIR's ancestors search permission for others
# (o+x), which the unprivileged daemons need (mktemp -d makes them 0700).
# Every wait has a deadline. Needs root (see contrib/install-deps).
#
# Postfix (the system one in /usr/sbin, run with -c DIR/conf)
#   postfix_start DIR PORT [MILTER]
#       create DIR (conf/ queue/ data/ mail/ maillog) and start a Postfix
#       whose smtpd listens on 127.0.0.1:PORT; return when the port listens.
#       MILTER (e.g. inet:127.0.0.1:12345 or unix:/path) becomes
#       smtpd_milters and non_smtpd_milters; milter_default_action=tempfail.
#       Domains: sender.test = virtual Maildir boxes under DIR/mail for
#       $MTA_USERS (default "alice bob carol") plus postmaster, who also gets
#       Postfix's own notices; fax.example.test = relay domain whose
#       transport is faxhold:[127.0.0.1]:9, listed in defer_transports (as
#       in contrib/postfix-main.cf): mail that gets past the milter stays
#       deferred ("deferred transport"), never lost or bounced; postfix_flush
#       makes it try port 9 (connection refused: deferred again). Not
#       retry:/error:, because then smtpd refuses the RCPT (450/550) before
#       the milter sees it. Every other domain is refused at RCPT
#       (550 5.7.1). DSN advertised; XCLIENT allowed from 127.0.0.1
#       (swaks --xclient-login bob gives {auth_authen}=bob);
#       message_size_limit 50 MiB. $POSTFIX_MAIN_EXTRA: more "name = value"
#       lines (newline-separated) for main.cf, applied last;
#       $POSTFIX_MASTER_EXTRA: "service/type=entry" lines for master.cf.
#       The log is DIR/maillog.
#   postfix_stop DIR            stop it and wait until the master is gone
#   postfix_mailbox DIR USER@sender.test   print that user's Maildir path
#   postfix_sendmail DIR ARGS...  /usr/sbin/sendmail -C DIR/conf ARGS...
#                               (the path the gateway injects notices with)
#   postfix_postqueue DIR ARGS... postqueue -c DIR/conf ARGS... (-p lists)
#   postfix_flush DIR           postqueue -f: retry the deferred mail now
#   postfix_wait_queue_empty DIR SECONDS
#                               wait until maildrop/incoming/active/deferred/
#                               hold are all empty; status 1 on timeout
#
# Sendmail (the .debs unpacked by contrib/install-deps into
# ${FAXGATE_CACHE:-/var/cache/faxgate-test}/sendmail/root, run from there)
#   sendmail_available          status 0 if the unpacked sendmail can run
#   sendmail_start DIR PORT [MILTER_PORT]
#       build DIR/sendmail.cf with m4 and start "sendmail -bD" on
#       127.0.0.1:PORT in new UTS and PID namespaces (hostname
#       sendmail.faxgate.test); return when the port listens. MILTER_PORT: a
#       port number (-> S=inet:PORT@127.0.0.1) or a full socket spec
#       (unix:/path, inet:PORT@HOST); empty = no milter. The filter is
#       INPUT_MAIL_FILTER(`faxgate', `S=..., F=T, T=C:5s;S:10s;R:10s;E:30s'):
#       F=T means that when the milter cannot be reached, Sendmail answers
#       the SMTP client with a temporary failure (4xx) instead of accepting
#       unfiltered mail. Domains: sender.test is local, every user is
#       delivered to DIR/mail/USER/Maildir/new by a shell mailer;
#       fax.example.test is relayed to a mailer that exits 75 (EX_TEMPFAIL),
#       so such mail stays queued in DIR/mqueue (sendmail_sendmail DIR -bp
#       shows "Deferred: faxq mailer ..."); other domains are accepted and
#       then bounce at once (5.1.2 host unknown: no DNS, hosts come from
#       /etc/hosts only). DIR/traffic.log has the SMTP and mailer traffic
#       (-X), DIR/sendmail.out the daemon's stderr (there is no syslog).
#       What a milter sees that differs from Postfix: the queue id i is set
#       already at MAIL; {daemon_name}=MTA; a sender in the local domain
#       sender.test gives {mail_addr}=carol {mail_host}= {mail_mailer}=local;
#       a fax recipient gives {rcpt_mailer}=faxq and {rcpt_addr} with its
#       case kept. A null sender is "Return-Path: <MAILER-DAEMON>" in the
#       delivered file.
#   sendmail_stop DIR           SIGTERM, wait until gone (SIGKILL after 10 s)
#   sendmail_mailbox DIR USER@sender.test  print that user's Maildir path
#   sendmail_sendmail DIR ARGS... run the unpacked sendmail -C DIR/sendmail.cf
#                               ARGS (e.g. -bp lists the queue, -q runs it;
#                               -t submission bypasses the milters)
#
# Maildirs
#   maildir_count MAILDIR       number of messages in new/ and cur/
#   maildir_wait MAILDIR N SECONDS  wait until it holds at least N messages
#   maildir_last MAILDIR        path of the newest message (empty if none)
#
# SMTP
#   smtp_send PORT              scripted SMTP client, for what swaks cannot
#       do (DSN parameters). Reads a script on stdin, one command a line:
#           MAIL FROM:<a@sender.test> RET=HDRS ENVID=x
#           RCPT TO:<b@sender.test> NOTIFY=SUCCESS ORCPT=rfc822;b@sender.test
#           DATA
#           Subject: hi
#
#           body (a leading "." is doubled when sent)
#           .
#           QUIT
#       Sends EHLO first unless the script starts with EHLO/HELO/LHLO; sends
#       QUIT at the end if the script did not; STARTTLS is supported (no
#       certificate checks). Prints every server reply line ("250 2.1.0 Ok")
#       on stdout; with SMTP_SEND_TRACE=1 also the commands ("> ...") on
#       stderr. Talks to ${SMTP_SEND_HOST:-127.0.0.1}; 30 s in all.
#       Status: 0 if the dialogue completed, 1 on a connection error or
#       timeout (what was received so far is still printed).
#   mta_port_listening PORT     status 0 if something listens on 127.0.0.1:PORT
#                               (checked with ss: no connection is made, so
#                               a milter behind the port sees nothing)
#   mta_pid_alive PID / mta_pid_gone PID   is the process running? (a zombie
#                               waiting for init to reap it counts as gone)

MTA_USERS=${MTA_USERS:-alice bob carol}
MTA_SENDMAIL_ROOT=${FAXGATE_CACHE:-/var/cache/faxgate-test}/sendmail/root
MTA_SENDMAIL_BIN=$MTA_SENDMAIL_ROOT/usr/libexec/sendmail/sendmail
MTA_SENDMAIL_HOSTNAME=sendmail.faxgate.test
declare -gA MTA_ON_EXIT_DONE=()

_mta_abs() { mkdir -p "$1" && (cd "$1" && pwd); }

# Postfix daemons, virtual(8) (as nobody) and Sendmail's mailers must be able
# to reach DIR: give every ancestor that lacks it search permission for
# others (mktemp -d makes 0700 directories).
_mta_searchable() {
	local d=$1
	while [ -n "$d" ] && [ "$d" != / ]; do
		[ -n "$(find "$d" -maxdepth 0 -perm -o+x)" ] || chmod o+x "$d" || return 1
		d=${d%/*}
	done
}

# Register CMD with on_exit only once per key (restarting an instance must not
# stack up cleanups).
_mta_on_exit_once() {
	local key=$1; shift
	[ -n "${MTA_ON_EXIT_DONE[$key]:-}" ] && return 0
	MTA_ON_EXIT_DONE[$key]=1
	on_exit "$(printf '%q ' "$@")"
}

mta_port_listening() {
	ss -Hltn "sport = :$1" 2>/dev/null |
		awk -v port="$1" '$4 == "127.0.0.1:" port || $4 == "0.0.0.0:" port || $4 == "*:" port { f = 1 } END { exit !f }'
}

# A daemon that has exited stays a zombie until init reaps it, which takes up
# to ~1 s here: count zombies as gone.
mta_pid_alive() {
	local st
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
	st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null) || return 1
	[ "${st:1:1}" != Z ]
}
mta_pid_gone() { ! mta_pid_alive "$1"; }

# ---------------------------------------------------------------- Postfix

postfix_start() {
	local dir=$1 port=$2 milter=${3:-} conf u boxes="" master line
	if [ -z "$dir" ] || [ -z "$port" ]; then
		echo "usage: postfix_start DIR PORT [MILTER]" >&2
		return 2
	fi
	dir=$(_mta_abs "$dir") || return 1
	conf=$dir/conf
	mkdir -p "$conf" "$dir/queue" "$dir/data" "$dir/mail" || return 1
	_mta_searchable "$dir" || return 1
	chmod 755 "$dir"
	chown postfix "$dir/data" && chmod 700 "$dir/data"
	chown 65534:65534 "$dir/mail"
	: >"$dir/maillog"

	for u in $MTA_USERS postmaster; do
		boxes+="${boxes:+, }$u@sender.test=$u/Maildir/"
	done
	master=/usr/share/postfix/master.cf.dist
	[ -f "$master" ] || master=/etc/postfix/master.cf.proto
	cp "$master" "$conf/master.cf" || return 1
	cat >"$conf/main.cf" <<EOF
# private test instance written by t/lib/mta.sh
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
myhostname = postfix.faxgate.test
mydomain = faxgate.test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
recipient_delimiter =
relayhost =
biff = no
smtpd_banner = \$myhostname ESMTP Postfix (faxgate test)
smtpd_discard_ehlo_keywords =
smtpd_authorized_xclient_hosts = 127.0.0.1
smtpd_authorized_xforward_hosts = 127.0.0.1
message_size_limit = 52428800
header_size_limit = 1048576
mailbox_size_limit = 0
virtual_mailbox_limit = 0
virtual_mailbox_domains = sender.test
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = inline:{ $boxes }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
relay_domains = fax.example.test
# Safety net if the milter is bypassed: a transport that is never run
# (defer_transports), so such mail waits in the queue. A retry: or error:
# transport would make smtpd refuse the RCPT before the milter sees it.
transport_maps = inline:{ { fax.example.test = faxhold:[127.0.0.1]:9 } }
defer_transports = faxhold
default_transport = error:5.7.1 delivery outside the test domains is disabled
bounce_notice_recipient = postmaster@sender.test
2bounce_notice_recipient = postmaster@sender.test
delay_notice_recipient = postmaster@sender.test
error_notice_recipient = postmaster@sender.test
milter_default_action = tempfail
milter_connect_timeout = 10s
milter_connect_macros = j {daemon_name} {daemon_addr} v _ {client_addr} {client_name} {client_port}
milter_mail_macros = i {auth_type} {auth_authen} {auth_author} {mail_addr} {mail_host} {mail_mailer}
milter_rcpt_macros = i {rcpt_addr} {rcpt_host} {rcpt_mailer}
smtpd_milters = ${milter}
non_smtpd_milters = ${milter}
EOF
	if [ -n "${POSTFIX_MAIN_EXTRA:-}" ]; then
		while IFS= read -r line; do
			[ -n "${line//[[:space:]]/}" ] || continue
			postconf -c "$conf" -e "$line" || return 1
		done <<<"$POSTFIX_MAIN_EXTRA"
	fi
	if [ -n "${POSTFIX_MASTER_EXTRA:-}" ]; then
		while IFS= read -r line; do
			[ -n "${line//[[:space:]]/}" ] || continue
			postconf -c "$conf" -M "$line" || return 1
		done <<<"$POSTFIX_MASTER_EXTRA"
	fi
	postconf -c "$conf" -M# smtp/inet &&
	postconf -c "$conf" -M "127.0.0.1:$port/inet=127.0.0.1:$port inet n - n - - smtpd" &&
	postconf -c "$conf" -M "faxhold/unix=faxhold unix - - n - - smtp" &&
	postconf -c "$conf" -F '*/*/chroot = n' || return 1

	_mta_on_exit_once "postfix:$dir" postfix_stop "$dir"
	# "postfix start" first runs post-install create-missing and its
	# permission checks (~3 s). Create the queue directories as postfix-files
	# has them and skip the checks with quick-start (~0.4 s); if that start
	# fails, start again the slow way.
	_postfix_make_queue "$dir/queue" && touch "$dir/queue/quick-start"
	if ! postfix -c "$conf" start >"$dir/start.log" 2>&1; then
		rm -f "$dir/queue/quick-start"
		if ! postfix -c "$conf" start >>"$dir/start.log" 2>&1; then
			echo "postfix_start: postfix start failed:" >&2
			cat "$dir/start.log" "$dir/maillog" >&2
			return 1
		fi
	fi
	if ! wait_until 20 mta_port_listening "$port"; then
		echo "postfix_start: nothing listens on 127.0.0.1:$port after 20 s" >&2
		tail -20 "$dir/maillog" >&2
		return 1
	fi
}

_postfix_make_queue() {
	local q=$1 d dirs=()
	for d in active bounce corrupt defer deferred flush hold incoming private saved trace; do
		dirs+=("$q/$d")
	done
	mkdir -p "${dirs[@]}" && chown postfix:root "${dirs[@]}" && chmod 700 "${dirs[@]}" &&
	install -d -o postfix -g postdrop -m 730 "$q/maildrop" &&
	install -d -o postfix -g postdrop -m 710 "$q/public" &&
	install -d -o root -g root -m 755 "$q/pid"
}

_postfix_master_pid() { tr -dc 0-9 <"$1/queue/pid/master.pid" 2>/dev/null; }

# The master runs in its own session (pgid = its pid) with its daemons.
_mta_group_gone() {
	local p
	for p in $(pgrep -g "$1" 2>/dev/null); do
		mta_pid_alive "$p" && return 1
	done
	return 0
}

# Like "postfix stop" (SIGTERM to the master, which passes it on to its
# daemons) without its one-second polling; then wait until the master and
# every daemon are gone, so the port and the queue are free.
postfix_stop() {
	local dir=$1 pid
	[ -f "$dir/conf/main.cf" ] || return 0
	pid=$(_postfix_master_pid "$dir")
	mta_pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	wait_until 15 mta_pid_gone "$pid" && wait_until 5 _mta_group_gone "$pid" && return 0
	postfix -c "$dir/conf" abort >/dev/null 2>&1
	wait_until 5 mta_pid_gone "$pid" && return 0
	kill -KILL "$pid" 2>/dev/null
	wait_until 5 mta_pid_gone "$pid"
}

postfix_mailbox() { echo "$1/mail/${2%%@*}/Maildir"; }
postfix_sendmail() { local dir=$1; shift; /usr/sbin/sendmail -C "$dir/conf" "$@"; }
postfix_postqueue() { local dir=$1; shift; postqueue -c "$dir/conf" "$@"; }
postfix_flush() { postqueue -c "$1/conf" -f; }

_postfix_queue_empty() {
	[ -z "$(find "$1/queue/maildrop" "$1/queue/incoming" "$1/queue/active" \
		"$1/queue/deferred" "$1/queue/hold" -type f 2>/dev/null | head -1)" ]
}
postfix_wait_queue_empty() { wait_until "${2:-10}" _postfix_queue_empty "$1"; }

# ---------------------------------------------------------------- Maildir

maildir_count() {
	local n=0 f
	for f in "$1"/new/* "$1"/cur/*; do [ -f "$f" ] && n=$((n + 1)); done
	echo $n
}
_maildir_at_least() { [ "$(maildir_count "$1")" -ge "$2" ]; }
maildir_wait() { wait_until "${3:-10}" _maildir_at_least "$1" "$2"; }
maildir_last() {
	# shellcheck disable=SC2012 # names are Maildir-safe
	ls -t "$1"/new/* "$1"/cur/* 2>/dev/null | head -1
}

# ---------------------------------------------------------------- SMTP

smtp_send() {
	local port=$1 py=python3
	[ -x /usr/bin/python3 ] && py=/usr/bin/python3
	if [ -z "$port" ]; then echo "usage: smtp_send PORT <script" >&2; return 2; fi
	"$py" -c '
import os, socket, ssl, sys, time

host, port = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 30
trace = os.environ.get("SMTP_SEND_TRACE") == "1"
lines = [l.rstrip("\r\n") for l in sys.stdin]

class Fail(Exception):
    pass

def left():
    t = deadline - time.monotonic()
    if t <= 0:
        raise Fail("timeout (30 s)")
    return t

sock = None
buf = b""

def send(data):
    sock.settimeout(left())
    sock.sendall(data)

def cmd(line):
    if trace:
        print("> " + line, file=sys.stderr, flush=True)
    send(line.encode("utf-8", "surrogateescape") + b"\r\n")

def reply():
    """Read one (possibly multi-line) reply, print it, return its code."""
    global buf
    while True:
        while b"\n" not in buf:
            sock.settimeout(left())
            try:
                data = sock.recv(65536)
            except socket.timeout:
                raise Fail("timeout (30 s)")
            if not data:
                raise Fail("connection closed by server")
            buf += data
        raw, buf = buf.split(b"\n", 1)
        line = raw.rstrip(b"\r").decode("utf-8", "replace")
        print(line, flush=True)
        if len(line) < 4 or line[3] != "-":
            return line[:3]

try:
    try:
        sock = socket.create_connection((host, port), timeout=left())
    except OSError as e:
        raise Fail("cannot connect to %s:%d: %s" % (host, port, e))
    code = reply()
    i = 0
    first = next((l for l in lines if l.strip()), "")
    if first.split(" ")[0].upper() not in ("EHLO", "HELO", "LHLO"):
        cmd("EHLO smtp-send.test")
        reply()
    quit_sent = False
    while i < len(lines):
        line = lines[i]; i += 1
        if not line.strip():
            continue
        verb = line.split(" ")[0].upper()
        cmd(line)
        code = reply()
        if verb == "DATA":
            body = []
            while i < len(lines) and lines[i] != ".":
                body.append(lines[i]); i += 1
            i += 1  # the "."
            if code == "354":
                out = b""
                for b in body:
                    if b.startswith("."):
                        b = "." + b
                    out += b.encode("utf-8", "surrogateescape") + b"\r\n"
                send(out + b".\r\n")
                if trace:
                    print("> (%d lines) ." % len(body), file=sys.stderr, flush=True)
                reply()
        elif verb == "STARTTLS" and code == "220":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock.settimeout(left())
            sock = ctx.wrap_socket(sock, server_hostname=host)
            buf = b""
        elif verb == "QUIT":
            quit_sent = True
            break
    if not quit_sent:
        cmd("QUIT")
        reply()
except Fail as e:
    print("smtp_send: %s" % e, file=sys.stderr)
    sys.exit(1)
except OSError as e:
    print("smtp_send: %s" % e, file=sys.stderr)
    sys.exit(1)
finally:
    if sock is not None:
        sock.close()
' "${SMTP_SEND_HOST:-127.0.0.1}" "$port"
}

# ---------------------------------------------------------------- Sendmail

sendmail_available() {
	[ -x "$MTA_SENDMAIL_BIN" ] &&
		[ -f "$MTA_SENDMAIL_ROOT/usr/share/sendmail/cf/m4/cf.m4" ] &&
		command -v m4 >/dev/null && command -v unshare >/dev/null &&
		! ldd "$MTA_SENDMAIL_BIN" 2>/dev/null | grep -q 'not found'
}

# Run the unpacked sendmail with a fully qualified hostname in a private UTS
# namespace: with the machine's short name it sleeps 60 s at start-up trying
# to qualify it ("WHO AM I").
_sendmail_run() {
	# shellcheck disable=SC2016 # expanded by that sh
	unshare -u sh -c 'hostname "$0" && exec "$@"' "$MTA_SENDMAIL_HOSTNAME" \
		"$MTA_SENDMAIL_BIN" "$@"
}

sendmail_sendmail() {
	local dir=$1; shift
	_sendmail_run -C "$dir/sendmail.cf" "$@"
}

sendmail_mailbox() { echo "$1/mail/${2%%@*}/Maildir"; }

# sendmail_write_cf DIR PORT [MILTER_PORT] - write DIR/sendmail.mc and the
# files it names, and build DIR/sendmail.cf (used by sendmail_start).
sendmail_write_cf() {
	local dir=$1 port=$2 milter=${3:-} cfdir=$MTA_SENDMAIL_ROOT/usr/share/sendmail/cf
	local filter=""
	case $milter in
		"") ;;
		*:*) filter="INPUT_MAIL_FILTER(\`faxgate', \`S=$milter, F=T, T=C:5s;S:10s;R:10s;E:30s')dnl" ;;
		*) filter="INPUT_MAIL_FILTER(\`faxgate', \`S=inet:$milter@127.0.0.1, F=T, T=C:5s;S:10s;R:10s;E:30s')dnl" ;;
	esac
	mkdir -p "$dir/mqueue" "$dir/mail" || return 1
	_mta_searchable "$dir" || return 1
	chmod 755 "$dir"
	chmod 700 "$dir/mqueue"
	# No DNS: host names come from /etc/hosts only.
	printf 'hosts files\naliases files\n' >"$dir/service.switch"
	printf 'mailer-daemon: postmaster\nroot: postmaster\n' >"$dir/aliases"

	# The local mailer: deliver USER - one message on stdin into
	# DIR/mail/USER/Maildir/new (runs as root: mailer flag S).
	cat >"$dir/deliver" <<EOF
#!/bin/sh
# local mailer of the test Sendmail in $dir (written by t/lib/mta.sh)
u=\$(printf '%s' "\$1" | tr 'A-Z' 'a-z')
case \$u in ''|*/*|.*) echo "bad user '\$1'" >&2; exit 67 ;; esac
md=$dir/mail/\$u/Maildir
mkdir -p "\$md/tmp" "\$md/new" "\$md/cur" || exit 75
f=\$(date +%s).M\$(date +%N)P\$\$.sendmail.faxgate.test
cat >"\$md/tmp/\$f" && mv "\$md/tmp/\$f" "\$md/new/\$f" || { rm -f "\$md/tmp/\$f"; exit 75; }
EOF
	# The fax domain's mailer without a gateway: always "try again later".
	cat >"$dir/tempfail" <<'EOF'
#!/bin/sh
cat >/dev/null
echo "4.3.0 fax gateway not reached" >&2
exit 75
EOF
	chmod 755 "$dir/deliver" "$dir/tempfail"

	# m4 quoting: `...' ; the rules in LOCAL_RULE_0 need tabs between
	# left- and right-hand side.
	cat >"$dir/sendmail.mc" <<EOF
divert(-1)
# private test instance written by t/lib/mta.sh
divert(0)dnl
VERSIONID(\`faxgate test instance')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$MTA_SENDMAIL_HOSTNAME')dnl
define(\`QUEUE_DIR', \`$dir/mqueue')dnl
define(\`confPID_FILE', \`$dir/sendmail.pid')dnl
define(\`STATUS_FILE', \`$dir/statistics')dnl
define(\`ALIAS_FILE', \`$dir/aliases')dnl
define(\`HELP_FILE', \`$MTA_SENDMAIL_ROOT/etc/mail/helpfile')dnl
define(\`confSERVICE_SWITCH_FILE', \`$dir/service.switch')dnl
define(\`confHOSTS_FILE', \`/etc/hosts')dnl
define(\`confDEAD_LETTER_DROP', \`$dir/dead.letter')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confREFUSE_LA', \`999')dnl
define(\`confQUEUE_LA', \`999')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`confMAX_DAEMON_CHILDREN', \`0')dnl
define(\`confCONNECTION_RATE_THROTTLE', \`0')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confMAX_MESSAGE_SIZE', \`52428800')dnl
define(\`confPRIVACY_FLAGS', \`authwarnings')dnl
define(\`confMILTER_MACROS_CONNECT', \`\`j, _, v, {daemon_name}, {if_name}, {if_addr}, {client_addr}, {client_name}, {client_port}'')dnl
define(\`confMILTER_MACROS_EOM', \`\`i, {msg_id}'')dnl
define(\`LOCAL_MAILER_PATH', \`$dir/deliver')dnl
define(\`LOCAL_MAILER_ARGS', \`deliver \$u')dnl
define(\`LOCAL_MAILER_FLAGS', \`PSn9')dnl
MODIFY_MAILER_FLAGS(\`LOCAL', \`-w')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`accept_unqualified_senders')dnl
DAEMON_OPTIONS(\`Port=$port, Addr=127.0.0.1, Name=MTA')dnl
LOCAL_DOMAIN(\`sender.test')dnl
RELAY_DOMAIN(\`fax.example.test')dnl
$filter
MAILER(\`local')dnl
MAILER(\`smtp')dnl
LOCAL_RULE_0
R\$* < @ fax.example.test . > \$*	\$#faxq \$@ fax.example.test \$: \$1 < @ fax.example.test . > \$2
R\$* < @ fax.example.test > \$*	\$#faxq \$@ fax.example.test \$: \$1 < @ fax.example.test > \$2
MAILER_DEFINITIONS
Mfaxq,	P=$dir/tempfail, F=DFMnquS, S=EnvFromSMTP/HdrFromSMTP, R=EnvToSMTP, T=DNS/RFC822/SMTP, A=tempfail \$u
EOF
	m4 -D_CF_DIR_="$cfdir/" "$cfdir/m4/cf.m4" "$dir/sendmail.mc" >"$dir/sendmail.cf.new" 2>"$dir/m4.err" ||
		{ cat "$dir/m4.err" >&2; return 1; }
	if [ -s "$dir/m4.err" ] || grep -q '^\*\*\* ERROR' "$dir/sendmail.cf.new"; then
		echo "sendmail_write_cf: m4 complained:" >&2
		cat "$dir/m4.err" >&2
		grep '^\*\*\* ERROR' "$dir/sendmail.cf.new" >&2
		return 1
	fi
	mv "$dir/sendmail.cf.new" "$dir/sendmail.cf"
	sendmail_sendmail "$dir" -bi >"$dir/newaliases.out" 2>&1 ||
		{ cat "$dir/newaliases.out" >&2; return 1; }
}

sendmail_start() {
	local dir=$1 port=$2 milter=${3:-} upid spid
	if [ -z "$dir" ] || [ -z "$port" ]; then
		echo "usage: sendmail_start DIR PORT [MILTER_PORT]" >&2
		return 2
	fi
	if ! sendmail_available; then
		echo "sendmail_start: no usable sendmail in $MTA_SENDMAIL_ROOT (run contrib/install-deps)" >&2
		return 1
	fi
	dir=$(_mta_abs "$dir") || return 1
	sendmail_write_cf "$dir" "$port" "$milter" || return 1

	_mta_on_exit_once "sendmail:$dir" sendmail_stop "$dir"
	# A PID namespace: when the daemon (its init) exits, every delivery
	# process it left behind goes with it. setsid: no terminal signals.
	# shellcheck disable=SC2016 # expanded by that sh
	setsid unshare -u -p -f --kill-child=SIGTERM \
		sh -c 'hostname "$0" && exec "$@"' "$MTA_SENDMAIL_HOSTNAME" \
		"$MTA_SENDMAIL_BIN" -C "$dir/sendmail.cf" -bD -X "$dir/traffic.log" \
		</dev/null >"$dir/sendmail.out" 2>&1 &
	upid=$!
	echo "$upid" >"$dir/unshare.pid"
	# The daemon is unshare's only child.
	wait_until 5 _sendmail_child "$upid" >/dev/null
	spid=$(_sendmail_child "$upid")
	echo "$spid" >"$dir/daemon.pid"
	# Stop waiting early if the daemon dies (a bad sendmail.cf, say) or
	# cannot bind (it would retry for minutes).
	# shellcheck disable=SC2016 # expanded by eval
	wait_until 20 eval 'mta_port_listening "$port" || mta_pid_gone "$upid" ||
		grep -q opendaemonsocket "$dir/sendmail.out"'
	if ! mta_port_listening "$port"; then
		echo "sendmail_start: nothing listens on 127.0.0.1:$port; sendmail said:" >&2
		cat "$dir/sendmail.out" >&2
		return 1
	fi
}

_sendmail_child() {
	local c
	c=$(cat "/proc/$1/task/$1/children" 2>/dev/null) || return 1
	c=${c%% *}
	[ -n "$c" ] && echo "$c"
}

sendmail_stop() {
	local dir=$1 upid spid
	upid=$(cat "$dir/unshare.pid" 2>/dev/null)
	spid=$(cat "$dir/daemon.pid" 2>/dev/null)
	mta_pid_alive "$upid" || mta_pid_alive "$spid" || return 0
	if mta_pid_alive "$spid"; then
		kill -TERM "$spid" 2>/dev/null
		wait_until 10 mta_pid_gone "$spid" || kill -KILL "$spid" 2>/dev/null
	else
		kill -TERM "$upid" 2>/dev/null
	fi
	wait_until 5 mta_pid_gone "$upid" || kill -KILL "$upid" 2>/dev/null
	wait_until 5 mta_pid_gone "$upid"
}
