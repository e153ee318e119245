# faxgate - Internet fax gateway.
#
#   make                 build the programs into $(BUILD)/
#   make check           install missing Debian packages, build, run every test with prove
#   make check-asan      the same under AddressSanitizer and UBSan (in build-asan/)
#   make install         PREFIX=/usr/local DESTDIR= (layout: README.md, Operations)
#   make uninstall       all of it but $(SYSCONFDIR)/faxgate/faxgate.conf
#   make bench           run the benchmarks in bench/ (see BENCHMARKS.md)

CC       ?= cc
BUILD    ?= build
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
BINDIR   ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
DATADIR  ?= $(PREFIX)/share/faxgate
MANDIR   ?= $(PREFIX)/share/man
# systemd looks in /usr/local/lib/... as well as /usr/lib/...
UNITDIR  ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d

PKGS     := gmime-3.0 sqlite3 inih libtiff-4 openssl libuv spandsp sofia-sip-ua libmicrohttpd libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS   ?= -O2 -g
WFLAGS   := -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -I. -It -Icommon -Imilter -Idialer -Ictl -Ionramp -I$(BUILD) $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lmilter -lpthread -lm

ALL_CFLAGS = $(WFLAGS) $(CFLAGS) $(EXTRA_CFLAGS)

COMMON_SRC := $(sort $(wildcard common/*.c))
MILTER_SRC := $(filter-out milter/main.c,$(sort $(wildcard milter/*.c)))
DIALER_SRC := $(filter-out dialer/main.c dialer/render_main.c,$(sort $(wildcard dialer/*.c)))
CTL_SRC    := $(filter-out ctl/main.c,$(sort $(wildcard ctl/*.c)))
ONRAMP_SRC := $(filter-out onramp/main.c,$(sort $(wildcard onramp/*.c)))
SCHEMA_SQL := $(sort $(wildcard schema/sqlite/*.sql))
SCHEMA_PG  := $(sort $(wildcard schema/postgresql/*.sql))

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o) $(BUILD)/schema_sqlite.o $(BUILD)/schema_pg.o
MILTER_OBJ := $(MILTER_SRC:%.c=$(BUILD)/%.o)
DIALER_OBJ := $(DIALER_SRC:%.c=$(BUILD)/%.o)
CTL_OBJ    := $(CTL_SRC:%.c=$(BUILD)/%.o)
ONRAMP_OBJ := $(ONRAMP_SRC:%.c=$(BUILD)/%.o)

LIBCOMMON := $(BUILD)/libfaxcommon.a
LIBMILTER := $(BUILD)/libfaxmilter.a
LIBDIALER := $(BUILD)/libfaxdialer.a
LIBCTL    := $(BUILD)/libfaxctl.a
LIBONRAMP := $(BUILD)/libfaxonramp.a

PROGS := $(BUILD)/faxgate-milter $(if $(wildcard ctl/main.c),$(BUILD)/faxgatectl) \
	 $(if $(wildcard dialer/main.c),$(BUILD)/faxgate-dialer) \
	 $(if $(wildcard dialer/render_main.c),$(BUILD)/faxgate-render) \
	 $(if $(wildcard onramp/main.c),$(BUILD)/faxgate-onramp)
UNIT_SRC := $(sort $(wildcard t/unit/*.c))
UNIT_BIN := $(UNIT_SRC:t/unit/%.c=$(BUILD)/t/%.t)
FUZZ_SRC := $(sort $(wildcard t/fuzz/*_fuzz.c))
FUZZ_NAMES := $(FUZZ_SRC:t/fuzz/%_fuzz.c=%)
FUZZ_REPLAY := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%-replay)

.PHONY: all check check-asan test deps install clean bench fuzz
all: $(PROGS) $(UNIT_BIN) $(FUZZ_REPLAY) $(BUILD)/faxmodem

# make V=1 shows the full command lines.
Q = $(if $(V),,@)
$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# The SQL migrations are compiled in, so a binary never runs against a
# schema it does not know.
$(BUILD)/schema_sqlite.c: $(SCHEMA_SQL) schema/embed.sh
	@mkdir -p $(dir $@)
	sh schema/embed.sh store_sqlite_migrations $(SCHEMA_SQL) > $@.tmp && mv $@.tmp $@
$(BUILD)/schema_sqlite.o: $(BUILD)/schema_sqlite.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@
$(BUILD)/schema_pg.c: $(SCHEMA_PG) schema/embed.sh
	@mkdir -p $(dir $@)
	sh schema/embed.sh store_pg_migrations $(SCHEMA_PG) > $@.tmp && mv $@.tmp $@
$(BUILD)/schema_pg.o: $(BUILD)/schema_pg.c
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(LIBCOMMON): $(COMMON_OBJ)
	@rm -f $@; $(AR) rcs $@ $^
$(LIBMILTER): $(MILTER_OBJ)
	@rm -f $@; $(AR) rcs $@ $^
$(LIBDIALER): $(DIALER_OBJ)
	@rm -f $@; $(AR) rcs $@ $^
$(LIBCTL): $(CTL_OBJ)
	@rm -f $@; $(AR) rcs $@ $^
$(LIBONRAMP): $(ONRAMP_OBJ)
	@rm -f $@; $(AR) rcs $@ $^

LIBS_ALL := $(LIBMILTER) $(LIBDIALER) $(LIBCTL) $(LIBONRAMP) $(LIBCOMMON)

$(BUILD)/faxgate-milter: $(BUILD)/milter/main.o $(LIBMILTER) $(LIBCOMMON)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/faxgatectl: $(BUILD)/ctl/main.o $(LIBCTL) $(LIBCOMMON)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/faxgate-dialer: $(BUILD)/dialer/main.o $(LIBDIALER) $(LIBCOMMON)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/faxgate-render: $(BUILD)/dialer/render_main.o $(LIBDIALER) $(LIBCOMMON)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/faxgate-onramp: $(BUILD)/onramp/main.o $(LIBONRAMP) $(LIBCOMMON)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/t/%.t: $(BUILD)/t/unit/%.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The test peer's SIP line has a unit test of its own.
$(BUILD)/t/fmsip.t: $(BUILD)/t/unit/fmsip.o $(BUILD)/contrib/fmsip.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# A test peer, not installed: a virtual Class 1 modem for efax (t/60-efax.t,
# t/61-efax-sip.t).
$(BUILD)/faxmodem: $(BUILD)/contrib/faxmodem.o $(BUILD)/contrib/faxmodem_sip.o \
    $(BUILD)/contrib/fmpty.o $(BUILD)/contrib/fmsip.o $(LIBDIALER) $(LIBCOMMON)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Each fuzz target also links with t/fuzz/driver.c, which replays its seed
# corpus (t/fuzz/corpus/NAME/) without libFuzzer: t/15-fuzz-corpora.t.
$(BUILD)/fuzz/%-replay: $(BUILD)/t/fuzz/%_fuzz.o $(BUILD)/t/fuzz/driver.o $(LIBS_ALL)
	@mkdir -p $(dir $@)
	@$(if $(V),,echo "  LINK    $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# make fuzz: every target under libFuzzer (clang) for FUZZ_SECONDS each,
# starting from a copy of its corpus; new inputs stay in build-fuzz/corpus.
# FUZZ_NAMES="config dtmf" picks targets. A crash, leak, UBSan report (fatal
# here) or an input over the memory limit (512 MB for tiffcheck: a TIFF
# bomb must be refused, not decoded) fails the run; the whole output is in
# build-fuzz/NAME.log, a failing input in build-fuzz/NAME-crash-*.
FUZZ_SECONDS ?= 60
FUZZ_SAN := -fsanitize=address,undefined
fuzz: deps
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link" \
	    LDFLAGS="$(FUZZ_SAN)" build-fuzz/libfaxcommon.a build-fuzz/libfaxmilter.a \
	    build-fuzz/libfaxdialer.a build-fuzz/libfaxctl.a build-fuzz/libfaxonramp.a
	@set -e; failed=; for n in $(FUZZ_NAMES); do \
	    clang -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer $(CPPFLAGS) -Ibuild-fuzz t/fuzz/$${n}_fuzz.c \
	        build-fuzz/libfaxmilter.a build-fuzz/libfaxdialer.a build-fuzz/libfaxctl.a \
	        build-fuzz/libfaxonramp.a build-fuzz/libfaxcommon.a $(LDLIBS) -o build-fuzz/$$n-fuzzer; \
	    mkdir -p build-fuzz/corpus/$$n; cp -n t/fuzz/corpus/$$n/* build-fuzz/corpus/$$n/ 2>/dev/null || true; \
	    case $$n in tiffcheck) rss=512;; *) rss=2048;; esac; \
	    echo "fuzz $$n for $(FUZZ_SECONDS) s"; rc=0; \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 build-fuzz/$$n-fuzzer \
	        -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -rss_limit_mb=$$rss \
	        -artifact_prefix=build-fuzz/$$n- build-fuzz/corpus/$$n > build-fuzz/$$n.log 2>&1 || rc=$$?; \
	    grep -E '^(stat::number_of_executed_units|stat::peak_rss|#[0-9]+[[:space:]]+DONE)|ERROR|runtime error' \
	        build-fuzz/$$n.log || true; \
	    [ $$rc = 0 ] || { echo "fuzz $$n: FAILED (exit $$rc), see build-fuzz/$$n.log"; failed="$$failed $$n"; }; \
	done; [ -z "$$failed" ] || { echo "fuzz targets that failed:$$failed"; exit 1; }

deps:
	@contrib/install-deps --check >/dev/null 2>&1 || contrib/install-deps

# Every test, C unit tests first, then the integration tests that start
# real servers. TESTS= narrows the set, e.g. make check TESTS=t/20-milter.t
TESTS ?= $(BUILD)/t/*.t t/*.t
# --timer: each test's time in the log, to keep the suite's budget in view.
PROVE_FLAGS ?= --timer
check: deps
	$(MAKE) all
	FAXGATE_BUILD=$(abspath $(BUILD)) prove $(PROVE_FLAGS) $(TESTS)

SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
check-asan: deps
	$(MAKE) check BUILD=build-asan CFLAGS="-O1 -g $(SAN)" LDFLAGS="$(SAN)" \
	    TESTS='build-asan/t/*.t t/*.t' \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 UBSAN_OPTIONS=print_stacktrace=1 \
	    LSAN_OPTIONS=suppressions=$(abspath t/lsan.supp)

# make install: the layout is in README.md (Operations) and t/85-install.t.
# An existing $(SYSCONFDIR)/faxgate/faxgate.conf is never replaced.
UNITS := faxgate-milter.service faxgate-dialer.service faxgate-onramp.service
MAN1  := man/faxgatectl.1 man/faxgate-render.1
MAN5  := man/faxgate.conf.5
MAN8  := man/faxgate-milter.8 man/faxgate-dialer.8 man/faxgate-onramp.8
install: $(PROGS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/faxgate
	install -m 755 $(BUILD)/faxgate-milter $(BUILD)/faxgate-dialer $(BUILD)/faxgate-onramp \
	    $(DESTDIR)$(SBINDIR)/
	install -m 755 $(BUILD)/faxgatectl $(BUILD)/faxgate-render $(DESTDIR)$(BINDIR)/
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	@set -e; for u in $(UNITS); do \
	    echo "sed ... contrib/$$u > $(DESTDIR)$(UNITDIR)/$$u"; \
	    sed -e 's|/usr/local/sbin/|$(SBINDIR)/|' -e 's|/etc/faxgate/|$(SYSCONFDIR)/faxgate/|' \
	        contrib/$$u > $(DESTDIR)$(UNITDIR)/$$u; chmod 644 $(DESTDIR)$(UNITDIR)/$$u; done
	install -m 644 contrib/faxgate.sysusers $(DESTDIR)$(SYSUSERSDIR)/faxgate.conf
	install -m 644 contrib/faxgate.tmpfiles $(DESTDIR)$(TMPFILESDIR)/faxgate.conf
	install -m 644 contrib/faxgate.conf $(DESTDIR)$(DATADIR)/faxgate.conf.sample
	install -m 644 contrib/postfix-main.cf contrib/sendmail.mc $(DESTDIR)$(DATADIR)/
	test -e $(DESTDIR)$(SYSCONFDIR)/faxgate/faxgate.conf || \
	    install -m 644 contrib/faxgate.conf $(DESTDIR)$(SYSCONFDIR)/faxgate/faxgate.conf

# Everything install put there but the configuration.
.PHONY: uninstall
uninstall:
	rm -f $(addprefix $(DESTDIR)$(SBINDIR)/,faxgate-milter faxgate-dialer faxgate-onramp) \
	    $(addprefix $(DESTDIR)$(BINDIR)/,faxgatectl faxgate-render) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5))) \
	    $(addprefix $(DESTDIR)$(MANDIR)/man8/,$(notdir $(MAN8))) \
	    $(addprefix $(DESTDIR)$(UNITDIR)/,$(UNITS)) \
	    $(DESTDIR)$(SYSUSERSDIR)/faxgate.conf $(DESTDIR)$(TMPFILESDIR)/faxgate.conf
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/,faxgate.conf.sample postfix-main.cf sendmail.mc)
	-rmdir $(DESTDIR)$(DATADIR)

bench: all
	bench/milter
	bench/dialer

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
