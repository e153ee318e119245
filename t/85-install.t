#!/bin/bash
# make install lays out the documented tree (README, Operations); every man
# page renders without a warning; faxgate.conf(5) documents every key
# config.c accepts, with the defaults of contrib/faxgate.conf; faxgatectl(1)
# every command; the systemd units pass systemd-analyze verify, keep their
# hardening and stay able to run sendmail(8); make uninstall removes it all
# but the configuration.
. "$(dirname "$0")/lib/tap.sh"

B=$FAXGATE_BUILD
PROGS="faxgate-milter faxgate-dialer faxgate-onramp faxgate-render faxgatectl"
for p in $PROGS; do
	[ -x "$B/$p" ] || skip_all "$B/$p not built (make BUILD=$B)"
done
command -v man >/dev/null && command -v groff >/dev/null || skip_all "man and groff needed"

W=$(mktemp -d /tmp/faxgate-t85.XXXXXX)
on_exit "rm -rf '$W'"

# make install without rebuilding: this test is about the layout.
fg_make() {
	local o=() p
	for p in $PROGS; do o+=(-o "$B/$p"); done
	make -s -C "$TOP" BUILD="$B" "${o[@]}" "$@" >"$W/make.out" 2>&1
}

# ---------------------------------------------------------------- the tree
D=$W/dest
fg_make DESTDIR="$D" install
ok $? "make install DESTDIR=... PREFIX=/usr/local" || diag "$(cat "$W/make.out")"

want="etc/faxgate/faxgate.conf 644
usr/local/bin/faxgate-render 755
usr/local/bin/faxgatectl 755
usr/local/lib/systemd/system/faxgate-dialer.service 644
usr/local/lib/systemd/system/faxgate-milter.service 644
usr/local/lib/systemd/system/faxgate-onramp.service 644
usr/local/lib/sysusers.d/faxgate.conf 644
usr/local/lib/tmpfiles.d/faxgate.conf 644
usr/local/sbin/faxgate-dialer 755
usr/local/sbin/faxgate-milter 755
usr/local/sbin/faxgate-onramp 755
usr/local/share/faxgate/faxgate.conf.sample 644
usr/local/share/faxgate/postfix-main.cf 644
usr/local/share/faxgate/sendmail.mc 644
usr/local/share/man/man1/faxgate-render.1 644
usr/local/share/man/man1/faxgatectl.1 644
usr/local/share/man/man5/faxgate.conf.5 644
usr/local/share/man/man8/faxgate-dialer.8 644
usr/local/share/man/man8/faxgate-milter.8 644
usr/local/share/man/man8/faxgate-onramp.8 644"
got=$(cd "$D" && find . -type f -printf '%P %m\n' | LC_ALL=C sort)
is "$got" "$want" "the installed files and their modes are the documented ones"

cmp -s "$D/usr/local/sbin/faxgate-milter" "$B/faxgate-milter"
ok $? "the installed faxgate-milter is the built one"
cmp -s "$D/etc/faxgate/faxgate.conf" "$TOP/contrib/faxgate.conf"
ok $? "a first install puts the sample in place as the configuration"

is "$(grep -h '^ExecStart=' "$D"/usr/local/lib/systemd/system/*.service | sort)" \
"ExecStart=/usr/local/sbin/faxgate-dialer -c /etc/faxgate/faxgate.conf
ExecStart=/usr/local/sbin/faxgate-milter -c /etc/faxgate/faxgate.conf
ExecStart=/usr/local/sbin/faxgate-onramp -c /etc/faxgate/faxgate.conf" \
	"the units start the installed programs with the installed configuration"

# Another prefix: the units follow it.
fg_make DESTDIR="$W/usr" PREFIX=/usr SYSCONFDIR=/etc install
is "$(grep -h '^ExecStart=' "$W"/usr/usr/lib/systemd/system/faxgate-dialer.service)" \
	"ExecStart=/usr/sbin/faxgate-dialer -c /etc/faxgate/faxgate.conf" \
	"PREFIX=/usr: the dialer unit runs /usr/sbin/faxgate-dialer"

# An operator's configuration survives a second install.
echo "# edited" >>"$D/etc/faxgate/faxgate.conf"
fg_make DESTDIR="$D" install
is "$(tail -1 "$D/etc/faxgate/faxgate.conf")" "# edited" "make install never replaces faxgate.conf"

# ---------------------------------------------------------------- man pages
for m in "$D"/usr/local/share/man/man?/*; do
	n=${m##*/}
	warn=$( { man -l -Tutf8 -Z "$m" >/dev/null; } 2>&1; groff -t -man -ww -z "$m" 2>&1)
	is "$warn" "" "$n renders without warnings (man -l, groff -ww)"
done
for name in faxgate-milter faxgate-dialer faxgate-onramp faxgatectl faxgate-render faxgate.conf; do
	page=$(MANPATH=$D/usr/local/share/man MANWIDTH=80 man "$name" 2>/dev/null | col -b)
	like "$page" "^NAME" "man $name finds the installed page (MANPATH)"
done

# Every key config.c knows is documented in faxgate.conf(5), in its section.
# Keys of the man page: ".B key" or ".B \"key = default\"" under .SS "[section]".
doc=$(awk '/^\.SS /{ s = $0; gsub(/^\.SS "?\[|\]"?$/, "", s); sub(/ .*/, "", s) }
	/^\.B /{ k = $0; sub(/^\.B "?/, "", k); sub(/[ "].*/, "", k); print s "." k }' \
	"$TOP/man/faxgate.conf.5" | sort -u)
keys=$(sed -n 's/^[[:space:]]*{ "\([a-z]*\)", "\([a-z0-9_]*\)", K_.*/\1.\2/p' "$TOP/common/config.c" | sort -u)
domkeys=$(sed -n '/^static int handler/,/^}/p' "$TOP/common/config.c" |
	grep -o 'strcmp(name, "[a-z_]*")' | sed 's/.*"\(.*\)".*/domain.\1/' | sort -u)
[ "$(echo "$keys" | wc -l)" -gt 50 ] && [ -n "$domkeys" ]
ok $? "the keys of config.c are found ($(echo "$keys" | wc -l) and [domain] $(echo $domkeys))"
missing=$(comm -23 <(printf '%s\n' "$keys" "$domkeys" | sort -u) <(echo "$doc"))
is "$missing" "" "faxgate.conf(5) documents every key config.c accepts"

# Every "key = value" of the sample is in the page with the same default.
defaults=$(awk '/^\[/{ s = $0; gsub(/[][]/, "", s) }
	/^[a-z_0-9]+ =/{ k = $1; v = $0; sub(/^[^=]*= ?/, "", v); print s "." k " = " v }' \
	"$TOP/contrib/faxgate.conf" | sort)
mandefaults=$(awk '/^\.SS /{ s = $0; gsub(/^\.SS "?\[|\]"?$/, "", s) }
	/^\.B "[a-z_0-9]+ =/{ k = $0; sub(/^\.B "/, "", k); sub(/"$/, "", k); sub(/ =$/, " = ", k); print s "." k }' \
	"$TOP/man/faxgate.conf.5" | sort)
[ "$(echo "$defaults" | wc -l)" -gt 50 ]
ok $? "contrib/faxgate.conf has its defaults ($(echo "$defaults" | wc -l))"
is "$(comm -23 <(echo "$defaults") <(echo "$mandefaults"))" "" \
	"every default in contrib/faxgate.conf is the one faxgate.conf(5) gives"
sample_keys=$(awk '/^;?\[/{ s = $0; gsub(/[];[]/, "", s); sub(/ .*/, "", s) }
	/^;?[a-z_0-9]+ =/{ k = $1; sub(/^;/, "", k); print s "." k }' "$TOP/contrib/faxgate.conf" |
	sed 's/^domain\./domain./' | sort -u)
is "$(comm -13 <(echo "$sample_keys") <(printf '%s\n' "$keys" | sort -u))" "" \
	"contrib/faxgate.conf shows every key config.c accepts"

# faxgatectl(1) has every command of ctl/main.c.
cmds=$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", [a-z_A-Z]*, [A-Z_0-9]* },.*/\1/p' "$TOP/ctl/main.c")
[ "$(echo "$cmds" | wc -l)" -ge 10 ]
ok $? "ctl/main.c has its commands ($(echo $cmds))"
page=$(sed -n 's/^\.B[A-Z]* "\{0,1\}\([a-z\\-]*\).*/\1/p' "$TOP/man/faxgatectl.1" | sed 's/\\-/-/g' | sort -u)
is "$(comm -23 <(echo "$cmds" | sort -u) <(echo "$page"))" "" "faxgatectl(1) documents every command"

# ---------------------------------------------------------------- units
U=$D/usr/local/lib/systemd/system
for u in milter dialer onramp; do
	f=$U/faxgate-$u.service
	for want in 'User=faxgate' 'ProtectSystem=strict' 'PrivateTmp=yes' 'ProtectHome=yes' \
	    'CapabilityBoundingSet=$' 'RuntimeDirectoryPreserve=yes'; do
		grep -q "^$want" "$f" || { diag "faxgate-$u.service lacks $want"; break; }
	done
	ok $? "faxgate-$u.service: its own user, ProtectSystem=strict, PrivateTmp, no capabilities"
done
grep -q '^NoNewPrivileges=yes' "$U/faxgate-milter.service"
ok $? "faxgate-milter.service: NoNewPrivileges=yes (it runs no other program)"
# The dialer and the onramp run the MTA's set-group-ID sendmail/postdrop:
# nothing that turns no_new_privs on may be set (systemd.exec(5)).
nnp='^(NoNewPrivileges=yes|DynamicUser=yes|SystemCallFilter|SystemCallArchitectures|RestrictAddressFamilies|RestrictNamespaces|PrivateDevices=yes|ProtectKernel|ProtectClock=yes|MemoryDenyWriteExecute=yes|RestrictRealtime=yes|RestrictSUIDSGID=yes|LockPersonality=yes)'
for u in dialer onramp; do
	bad=$(grep -E "$nnp" "$U/faxgate-$u.service")
	is "$bad" "" "faxgate-$u.service sets nothing that stops set-group-ID sendmail(8)"
	grep -q '^ReadWritePaths=.*-/var/spool/postfix/maildrop' "$U/faxgate-$u.service"
	ok $? "faxgate-$u.service lets postdrop write the Postfix maildrop"
done
# What that rule protects: under no_new_privs a set-group-ID program loses
# its group (chage, set-group-ID shadow like postdrop is postdrop).
if command -v setpriv >/dev/null && [ -g /usr/bin/chage ]; then
	setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/chage -l nobody >/dev/null 2>&1
	a=$?
	setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs /usr/bin/chage -l nobody >/dev/null 2>&1
	b=$?
	is "$a/$b" "0/1" "a set-group-ID program works, and fails under no_new_privs"
else
	ok 0 "# SKIP setpriv or a set-group-ID chage missing"
fi

if command -v systemd-analyze >/dev/null; then
	# Installed under a real prefix so that the programs and pages exist.
	P=$W/pfx
	fg_make PREFIX="$P/usr" SYSCONFDIR="$P/etc" install
	out=$(MANPATH=$P/usr/share/man systemd-analyze verify "$P"/usr/lib/systemd/system/*.service 2>&1)
	rc=$?
	is "$rc:$out" "0:" "systemd-analyze verify: the three units, their programs and man pages"
	# It does catch a broken unit.
	sed 's/^PrivateTmp=yes/PrivateTmpp=yes/' "$P/usr/lib/systemd/system/faxgate-milter.service" \
		>"$W/broken.service"
	out=$(systemd-analyze verify "$W/broken.service" 2>&1)
	like "$out" "PrivateTmpp" "systemd-analyze verify reports a misspelt directive"
else
	ok 0 "# SKIP systemd-analyze not installed"
	ok 0 "# SKIP systemd-analyze not installed"
fi
if command -v systemd-sysusers >/dev/null && command -v systemd-tmpfiles >/dev/null; then
	R=$W/root
	mkdir -p "$R/etc"
	systemd-sysusers --root="$R" "$D/usr/local/lib/sysusers.d/faxgate.conf" >/dev/null 2>&1
	like "$(cat "$R/etc/passwd" 2>/dev/null)" '^faxgate:x:[0-9]+:[0-9]+:[^:]*:/var/lib/faxgate:' \
		"faxgate.sysusers creates the user faxgate (systemd-sysusers --root)"
	systemd-tmpfiles --root="$R" --create "$D/usr/local/lib/tmpfiles.d/faxgate.conf" >/dev/null 2>&1
	is "$(stat -c %a "$R/var/spool/faxgate" 2>&1)" "750" \
		"faxgate.tmpfiles creates the spool, mode 0750 (systemd-tmpfiles --root)"
else
	ok 0 "# SKIP systemd-sysusers not installed"
	ok 0 "# SKIP systemd-tmpfiles not installed"
fi

# ---------------------------------------------------------------- uninstall
fg_make DESTDIR="$D" uninstall
ok $? "make uninstall"
is "$(cd "$D" && find . -type f -printf '%P\n')" "etc/faxgate/faxgate.conf" \
	"make uninstall leaves only the configuration"

done_testing
