# tap.sh - TAP helpers for the shell integration tests.
#
#   . "$(dirname "$0")/lib/tap.sh"
#   ok COND_STATUS "name"        ok $? "name"  (0 = pass)
#   is GOT WANT "name"           string equality, shows both on failure
#   like GOT REGEX "name"        extended regex match (grep -E)
#   unlike GOT REGEX "name"
#   wait_until SECONDS CMD...    run CMD every 50 ms until it succeeds or the
#                                deadline passes; returns CMD's last status
#   skip_all "reason"            the whole file is skipped (prints 1..0)
#   bail "reason"                abort the whole run (set-up failed)
#   done_testing                 prints the plan; exit status 1 on any failure
#   on_exit CMD                  run CMD at exit (cleanup, LIFO)
#   tap_fold PREFIX <<<"$TAP"    another test's TAP as points of ours, each
#                                named PREFIX and its own name; its comments
#                                pass through, a bail-out becomes a comment
#
# Tests run as root on loopback only. FAXGATE_BUILD points at the build dir.

TAP_N=0
TAP_FAILED=0
TAP_EXIT_CMDS=()
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FAXGATE_BUILD=${FAXGATE_BUILD:-$TOP/build}

tap_run_exit() {
	local i
	for ((i = ${#TAP_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${TAP_EXIT_CMDS[$i]}" >/dev/null 2>&1 || true
	done
}
trap tap_run_exit EXIT
on_exit() { TAP_EXIT_CMDS+=("$*"); }

diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$*"; }

ok() {
	TAP_N=$((TAP_N + 1))
	if [ "$1" = 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
	[ "$1" = 0 ]
}

is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; diag "got:  '$1'"; diag "want: '$2'"; return 1
	fi
}

like() {
	if grep -Eq -- "$2" <<<"$1"; then ok 0 "$3"; else
		ok 1 "$3"; diag "got:  '$1'"; diag "want match: /$2/"; return 1
	fi
}

unlike() {
	if grep -Eq -- "$2" <<<"$1"; then
		ok 1 "$3"; diag "got:  '$1'"; diag "want no match: /$2/"; return 1
	else ok 0 "$3"; fi
}

wait_until() {
	local secs=$1; shift
	local deadline=$((SECONDS + secs)) rc
	while :; do
		"$@" && return 0
		rc=$?
		[ $SECONDS -ge $deadline ] && return $rc
		sleep 0.05
	done
}

tap_fold() {
	local line
	while IFS= read -r line; do
		case $line in
		"ok "*) ok 0 "$1${line#ok [0-9]* - }" ;;
		"not ok "*) ok 1 "$1${line#not ok [0-9]* - }" ;;
		"#"*) echo "$line" ;;
		"Bail out!"*) echo "# $1$line" ;;
		esac
	done
}

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
bail() { echo "Bail out! $*"; exit 255; }

done_testing() {
	echo "1..$TAP_N"
	[ $TAP_FAILED -eq 0 ]
}

# free_port - print a loopback TCP port nobody listens on.
free_port() {
	python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}
