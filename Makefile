# ngx_cerebro: build the dynamic module against Debian's nginx, run it, test it.
#
#   make          build build/nginx/ngx_cerebro_module.so
#   make run      build, render build/run/ and start nginx in the foreground
#   make test     the layering check, unit tests (cmocka), then integration
#                 tests (pytest)
#   make fuzz     run every libFuzzer target for FUZZ_SECONDS each
#   make bench    build the benchmark programs under build/bench/
#   make valgrind-redis   Redis traffic, reconnects included, under valgrind
#   make cli      build build/cli/cerebro, the operator tool
#   make deb      build the Debian packages under build/deb/
#   make image-test   build the Docker image with podman and run it

SHELL := /bin/bash

NGX_SRC      ?= /usr/share/nginx/src
NGINX        ?= /usr/sbin/nginx
BUILD        := build
NGX_BUILD    := $(CURDIR)/build/nginx
MODULE       := $(NGX_BUILD)/ngx_cerebro_module.so
PYTEST       ?= /usr/bin/python3 -m pytest
FUZZ_SECONDS ?= 20

MOD_DIR      := ngx_cerebro_module
MOD_SRCS     := $(shell find $(MOD_DIR) -name '*.c' | sort)
MOD_HDRS     := $(shell find $(MOD_DIR) -name '*.h' | sort)

# The pure core, and the nginx-free parts of the store (store/cerebro_*.c),
# built alone for unit tests, fuzzers and benchmarks.
CORE_SRCS    := $(sort $(wildcard $(MOD_DIR)/core/*.c)) \
                $(sort $(wildcard $(MOD_DIR)/store/cerebro_*.c))
CORE_OBJS    := $(patsubst $(MOD_DIR)/%.c,$(BUILD)/pure/%.o,$(CORE_SRCS))
CORE_HDRS    := $(wildcard $(MOD_DIR)/core/*.h $(MOD_DIR)/store/cerebro_*.h)
CORE_LIBS    := -lsqlite3 -lcjson -lcrypto -lm
CORE_CFLAGS  := -std=gnu99 -O2 -g -Wall -Wextra -Werror \
                -I$(MOD_DIR)/core -I$(MOD_DIR)/store

UNIT_SRCS    := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/unit/%,$(UNIT_SRCS))

# The span finder again with SSE2 only (a CPU without AVX2) and without
# SIMD (off x86-64).
UNIT_BINS    += $(BUILD)/unit/test_json_spans_sse2 \
                $(BUILD)/unit/test_json_spans_scalar

FUZZ_SRCS    := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))

BENCH_SRCS   := $(sort $(wildcard bench/*.c))
BENCH_BINS   := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all module deps run test layers unit integration fuzz bench clean \
        valgrind-redis cli deb deb-test image-test

# Keep the core objects: every test, fuzzer and benchmark links them.
.SECONDARY: $(CORE_OBJS)

all: module cli

deps:
	@scripts/setup.sh --if-needed all

module: $(MODULE)

# config finds the module's sources by globbing, so configure runs again
# whenever a source file is added or removed (scripts/build-module).
SRC_LIST     := $(BUILD)/sources.list
$(shell mkdir -p $(BUILD); echo $(MOD_SRCS) $(MOD_HDRS) \
    | cmp -s - $(SRC_LIST) 2>/dev/null \
    || echo $(MOD_SRCS) $(MOD_HDRS) > $(SRC_LIST))

$(MODULE): config scripts/build-module $(SRC_LIST) $(MOD_SRCS) $(MOD_HDRS)
	@scripts/setup.sh --if-needed build
	flock $(BUILD)/.build.lock scripts/build-module $(BUILD) $(NGX_SRC)

run: $(MODULE)
	@scripts/setup.sh --if-needed runtime
	@scripts/run

test: deps layers unit integration

# channels -> tools -> messaging -> store -> net -> core, never up
layers:
	scripts/check-layers

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$(basename $$t)"; $$t; done

integration: $(MODULE) cli
	$(PYTEST) -q tests/scripts tests/fakes tests/integration tests/cli

$(BUILD)/pure/%.o: $(MOD_DIR)/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -c $< -o $@

$(BUILD)/unit/%: tests/unit/%.c $(CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $< $(CORE_OBJS) -o $@ -lcmocka $(CORE_LIBS)

$(BUILD)/unit/test_json_spans_sse2: SPANS_FLAGS := -DCEREBRO_JSON_NO_AVX2
$(BUILD)/unit/test_json_spans_scalar: SPANS_FLAGS := -DCEREBRO_JSON_NO_SIMD

$(BUILD)/unit/test_json_spans_sse2 $(BUILD)/unit/test_json_spans_scalar: \
        tests/unit/test_json_spans.c $(MOD_DIR)/core/cerebro_json_spans.c \
        $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $(SPANS_FLAGS) $(filter %.c,$^) -o $@ \
	    -lcmocka -lcjson

# Fuzzers and their core objects are built by clang with sanitizers, apart
# from the gcc objects above.
$(BUILD)/fuzz/%: tests/fuzz/%.c $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined \
	    -I$(MOD_DIR)/core -I$(MOD_DIR)/store \
	    $< $(CORE_SRCS) -o $@ $(CORE_LIBS)

fuzz: deps $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do \
	    n=$$(basename $$f); mkdir -p $(BUILD)/fuzz/corpus-$$n; \
	    echo "== $$n ($(FUZZ_SECONDS) s)"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -max_len=10240 \
	        -print_final_stats=1 $(BUILD)/fuzz/corpus-$$n \
	        $$( [ -f tests/fuzz/$$n.dict ] && echo -dict=tests/fuzz/$$n.dict ) \
	        $$( [ -d tests/fuzz/seeds/$$n ] && echo tests/fuzz/seeds/$$n ) \
	        2>&1 | tail -n 12; \
	    test "$${PIPESTATUS[0]}" -eq 0; \
	done

$(BUILD)/bench/%: bench/%.c $(CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) $< $(CORE_OBJS) -o $@ $(CORE_LIBS)

bench: $(BENCH_BINS)

# The Redis tests' traffic against one nginx process under memcheck.
valgrind-redis: deps $(MODULE)
	scripts/valgrind-redis

# ---- cerebro, the operator tool, and the packages ---------------------------
# It links the pure core as the tests do; libcurl for HTTPS, hiredis for
# its one Redis check.  Its messages are snprintf'd into fixed buffers on
# purpose (a cut message beats a failed one): no truncation warnings.
CEREBRO_VERSION := 1.0.0
CLI          := $(BUILD)/cli/cerebro
CLI_SRCS     := $(sort $(wildcard cli/*.c))
CLI_HDRS     := $(wildcard cli/*.h)
CLI_CFLAGS   := $(CORE_CFLAGS) -Wno-format-truncation -Icli \
                -DCEREBRO_VERSION='"$(CEREBRO_VERSION)"'

cli: $(CLI)

$(CLI): $(CLI_SRCS) $(CLI_HDRS) $(CORE_OBJS)
	@scripts/setup.sh --if-needed build
	@mkdir -p $(@D)
	$(CC) $(CLI_CFLAGS) $(CPPFLAGS) $(CFLAGS) $(CLI_SRCS) $(CORE_OBJS) \
	    -o $@ $(LDFLAGS) -lcurl -lhiredis $(CORE_LIBS)

# libnginx-mod-http-cerebro and cerebro, built by dpkg-buildpackage from a
# copy of the tree (it writes its results next to the source directory).
deb:
	@scripts/setup.sh --if-needed build package
	scripts/build-deb $(BUILD)/deb

# The packages installed into a fresh Debian root: nginx -t, cerebro
# --version.
deb-test: deb
	@scripts/setup.sh --if-needed package
	$(PYTEST) -q tests/image/test_deb.py

# The Dockerfile built and run with podman, as Coolify runs it.
image-test:
	@scripts/setup.sh --if-needed package
	$(PYTEST) -q tests/image/test_image.py
# ---- end of the operator tool's part ---------------------------------------

clean:
	rm -rf $(BUILD)
