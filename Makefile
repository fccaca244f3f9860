# sipwire - one GNU Makefile, no autotools.
#   make            build ./sipwire
#   make test       install deps, build, run every test layer (SAN=1: under ASan+UBSan;
#                   tests/e2e/threads.sh and test_sip_shards always run a
#                   ThreadSanitizer build too, TSAN=1)
#   make help       list targets
# V=1 shows full commands. CC=clang works as well as gcc.

CC      ?= cc
SAN     ?= 0
WERROR  ?= 0
V       ?= 0

PKGS_LIBS := libpcap libpcre2-8 yaml-0.1
CFLAGS_BASE := -std=gnu11 -O2 -g -D_GNU_SOURCE -fno-strict-aliasing \
	-Wall -Wextra -Wshadow -Wformat=2 -Wpointer-arith -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wno-unused-parameter -Iengine
ifeq ($(WERROR),1)
CFLAGS_BASE += -Werror
endif

ifeq ($(TSAN),1)
# ThreadSanitizer (inline mode's worker threads): make TSAN=1 ./sipwire-tsan
BUILD   := build/tsan
CFLAGS_BASE += -O1 -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
else ifeq ($(SAN),1)
BUILD   := build/san
CFLAGS_BASE += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
BUILD   := build/rel
endif

CFLAGS  ?=
CFLAGS  += $(CFLAGS_BASE)
LDLIBS  += -lpcap -lpcre2-8 -lyaml -lhs -lcrypto -lnetfilter_queue -lmnl -lcap -lm

ifeq ($(V),1)
Q :=
else
Q := @
endif

ENGINE_SRC  := $(sort $(wildcard engine/*.c))
ENGINE_OBJ  := $(patsubst engine/%.c,$(BUILD)/engine/%.o,$(ENGINE_SRC))
LIB_OBJ     := $(filter-out $(BUILD)/engine/main.o,$(ENGINE_OBJ))
LIB         := $(BUILD)/libsipwire.a
UNIT_SRC    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
CONF_SRC    := $(sort $(wildcard tests/conformance/*.c))
CONF_BIN    := $(patsubst tests/conformance/%.c,$(BUILD)/tests/conf_%,$(CONF_SRC))
FUZZ_SRC    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN    := $(patsubst tests/fuzz/%.c,$(BUILD)/tests/%,$(FUZZ_SRC))
# The sharded call state's tests again under ThreadSanitizer (their threads
# drive shards side by side): make test builds it, tests/run.sh runs it.
TSAN_UNIT   := build/tsan/tests/test_sip_shards
TOOL_SRC    := $(sort $(wildcard tools/*.c))
TOOL_BIN    := $(patsubst tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

.PHONY: all help deps test unit check-build tools fuzz bench demo demo-offline clean format sipwire

all: sipwire

help:
	@echo "make            build ./sipwire (release; SAN=1 for ASan+UBSan, CC=clang)"
	@echo "make deps       install Debian build and test dependencies (apt-get, idempotent)"
	@echo "make test       deps + build + every test layer; ends with 'N passed, N failed, N skipped'"
	@echo "make test SAN=1 the same under AddressSanitizer + UndefinedBehaviorSanitizer"
	@echo "make TSAN=1 build/tsan/sipwire   a ThreadSanitizer build (make test builds it for tests/e2e/threads.sh)"
	@echo "make TSAN=1 $(TSAN_UNIT)   the sharded call state's unit tests under ThreadSanitizer"
	@echo "make unit       unit tests only"
	@echo "make fuzz       build libFuzzer targets (clang) and run each for FUZZ_SECONDS"
	@echo "make bench      benchmarks (prints figures, never fails on a number)"
	@echo "make demo       inline: sipwire on a bridge in front of Kamailio, SIPp calls, SIPVicious blocked"
	@echo "make demo-offline  replay a generated capture and print a summary"
	@echo "make tools      build the generators in tools/"
	@echo "make engine/x.o build one object"

# Always copied: after `make test SAN=1`, a plain `make` must put the
# release binary back even though the sanitizer one is newer.
sipwire: $(BUILD)/sipwire
	$(Q)cp $< $@.tmp && mv -f $@.tmp $@

$(LIB): $(LIB_OBJ)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/sipwire: $(BUILD)/engine/main.o $(LIB)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/engine/%.o: engine/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# `make engine/x.o` builds one file.
engine/%.o: $(BUILD)/engine/%.o
	@:

$(BUILD)/tests/%: tests/unit/%.c $(LIB) tests/unit/test_util.h
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -Itests/unit -MMD -MP -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) -lcmocka

# Conformance programs (tests/conformance/*.c), run by tests/conformance/*.sh.
$(BUILD)/tests/conf_%: tests/conformance/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -Itests/unit -MMD -MP -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

# Fuzz targets built with the standalone driver (replays the seed corpus and
# bounded random mutations; runs under gcc in make test). `make fuzz` builds
# the same targets with clang's libFuzzer instead.
$(BUILD)/tests/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/driver.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -o $@ $< tests/fuzz/driver.c $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tools/%: tools/%.c $(LIB)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS) $(EXTRA_LIBS)

# Per-tool extra libraries.
$(BUILD)/tools/bench_parse: EXTRA_LIBS := -lh2o-evloop
# (sipgen needs libcrypto too: in LDLIBS)

tools: $(TOOL_BIN)

# tests/run.sh runs $(TSAN_UNIT) whenever it exists: once built (by make
# test), it is kept up to date here too, never run stale.
unit: $(UNIT_BIN)
	$(Q)if [ -e $(TSAN_UNIT) ]; then $(MAKE) --no-print-directory TSAN=1 $(TSAN_UNIT); fi
	$(Q)BUILD=$(BUILD) tests/run.sh unit

deps:
	$(Q)tools/deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory sipwire tools $(UNIT_BIN) $(CONF_BIN) $(FUZZ_BIN) WERROR=1
	$(Q)$(MAKE) --no-print-directory TSAN=1 build/tsan/sipwire $(TSAN_UNIT) WERROR=1
	$(Q)BUILD=$(BUILD) SAN=$(SAN) tests/run.sh all

fuzz:
	$(Q)BUILD=$(BUILD) tests/fuzz/run.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory sipwire tools
	$(Q)BUILD=$(BUILD) tools/bench.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory sipwire tools
	$(Q)BUILD=$(BUILD) tools/demo_inline.sh

demo-offline: deps
	$(Q)$(MAKE) --no-print-directory sipwire tools
	$(Q)BUILD=$(BUILD) tools/demo.sh

format:
	clang-format -i engine/*.c engine/*.h tests/unit/*.c tools/*.c

clean:
	rm -rf build sipwire

-include $(wildcard $(BUILD)/engine/*.d $(BUILD)/tests/*.d $(BUILD)/tools/*.d)
