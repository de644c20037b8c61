# traj: build, test, install. `make help` lists the targets.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

BUILD   ?= build
CC      ?= cc
PKGS     = libzstd libcjson openblas zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

VERSION  = 0.1.0
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wvla
DEFS     = -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DTRAJ_VERSION='"$(VERSION)"'
ALL_CFLAGS = $(WARN) $(DEFS) $(CFLAGS) $(SAN) $(PKG_CFLAGS) -Ilib -MMD -MP
LDLIBS   = $(PKG_LIBS) -lm -lpthread

LIB_SRC  = $(wildcard lib/*/*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
BIN_SRC  = $(wildcard bin/*.c)
BINS     = $(BIN_SRC:bin/%.c=$(BUILD)/bin/%)
TEST_SRC = $(wildcard tests/unit/test_*.c)
TESTS    = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
MANS     = $(wildcard man/*.1 man/*.5)

.PHONY: all deps check check-asan demo bench bench-emerge bench-early bench-tick install uninstall clean help fmt \
	fuzz fuzz-build valgrind
all: $(BINS) $(TESTS)

help:
	@echo "make            build tools into $(BUILD)/bin and unit tests"
	@echo "make deps       install missing Debian packages (needs root or sudo)"
	@echo "make check      install deps, build, run every test"
	@echo "make check-asan the whole suite under ASan+UBSan"
	@echo "make fuzz       each libFuzzer target for FUZZ_SECONDS (clang-14)"
	@echo "make valgrind   train | score under valgrind: no errors, no leaks"
	@echo "make demo       train an MLP on a+b mod 97 and find the grokking delay"
	@echo "make bench      benchmarks against PyTorch and encodings (see bench/)"
	@echo "make bench-emerge  traj-emerge's error rates on synthetic series"
	@echo "make bench-early   how early, and how falsely, a change under way is printed"
	@echo "make bench-tick    a cron tick (traj score --state) against a rescan"
	@echo "make install    PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)"

deps:
	@./scripts/deps.sh build test plot

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libtraj.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/bin/%: bin/%.c $(BUILD)/libtraj.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libtraj.a $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/harness.h $(BUILD)/libtraj.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-unused-function -o $@ $< $(BUILD)/libtraj.a $(LDLIBS)

check: deps
	$(MAKE) all
	TRAJ_BUILD=$(BUILD) ./tests/run

check-asan: deps
	$(MAKE) BUILD=build/asan OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" all
	TRAJ_BUILD=build/asan TRAJ_SANITIZED=1 ./tests/run

# Fuzzing: libFuzzer targets in fuzz/, built with clang against a
# libtraj instrumented for coverage; `make fuzz FUZZ_SECONDS=N` runs each.
FUZZ_CC      ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_TARGETS  = $(patsubst fuzz/%.c,build/fuzz/%,$(wildcard fuzz/fuzz_*.c))
build/fuzz/libtraj.a: $(LIB_SRC) $(wildcard lib/*/*.h)
	$(MAKE) BUILD=build/fuzz-lib CC=$(FUZZ_CC) OPT=-O1 WARN="-std=c11 -Wall" \
		SAN="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" build/fuzz-lib/libtraj.a
	@mkdir -p $(@D)
	cp build/fuzz-lib/libtraj.a $@
build/fuzz/fuzz_%: fuzz/fuzz_%.c build/fuzz/libtraj.a
	$(FUZZ_CC) -std=c11 -Wall -Wextra -Werror $(DEFS) -g -O1 $(FUZZ_SAN) \
		-fsanitize=fuzzer $(PKG_CFLAGS) -Ilib -o $@ $< build/fuzz/libtraj.a $(LDLIBS)
fuzz-build: $(FUZZ_TARGETS)
fuzz: fuzz-build
	./fuzz/run.sh $(FUZZ_SECONDS)

# valgrind over a whole train | score pipeline: no errors, no leaks.
valgrind: all
	./tests/valgrind.sh

demo: deps
	$(MAKE) all
	./pipelines/grokking-demo.sh

BENCH_BINS = $(BUILD)/bench/mlp_step $(BUILD)/bench/stream_sizes \
	$(BUILD)/bench/transformer_step $(BUILD)/bench/probe_speed \
	$(BUILD)/bench/masked_step $(BUILD)/bench/sgld_step \
	$(BUILD)/bench/pgd_products
$(BUILD)/bench/%: bench/%.c $(BUILD)/libtraj.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libtraj.a $(LDLIBS)

bench: all $(BENCH_BINS)
	@./scripts/deps.sh bench
	./bench/run.sh
	$(MAKE) bench-emerge
	$(MAKE) bench-early
	$(MAKE) bench-tick

# traj-emerge's error rates on synthetic series (docs/emergence.md)
bench-emerge: $(BUILD)/bench/emerge_rates
	$(BUILD)/bench/emerge_rates $(EMERGE_SEEDS)

# traj-emerge --early (cron ticks): provisional lines, how early, how
# often false, how often withdrawn; at the default warmup and at 4, for
# short runs (docs/cron.md)
bench-early: $(BUILD)/bench/emerge_early
	$(BUILD)/bench/emerge_early $(EMERGE_SEEDS)
	$(BUILD)/bench/emerge_early $(or $(EMERGE_SEEDS),1000) 4

# a cron tick on a 1000-checkpoint stream, one checkpoint new, against a
# rescan (docs/cron.md)
bench-tick: all
	./bench/tick.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(wildcard man/*.5) $(DESTDIR)$(MANDIR)/man5

uninstall:
	rm -f $(BINS:$(BUILD)/bin/%=$(DESTDIR)$(BINDIR)/%)
	rm -f $(patsubst %,$(DESTDIR)$(MANDIR)/man1/%,$(notdir $(wildcard man/*.1)))
	rm -f $(patsubst %,$(DESTDIR)$(MANDIR)/man5/%,$(notdir $(wildcard man/*.5)))

clean:
	rm -rf $(BUILD) build

-include $(LIB_OBJ:.o=.d) $(BINS:=.d) $(TESTS:=.d) $(BENCH_BINS:=.d)
