# memcheck.mk - fuzzing (libFuzzer), the ASan+UBSan spec run, valgrind memcheck.
#   make fuzz         each fuzz target for FUZZ_SECONDS (default 300) s
#   make fuzz-smoke   each fuzz target for FUZZ_SMOKE_SECONDS (default 8) s; part of make test
#   make sanitize     the whole spec suite (Lua 5.4) against an ASan+UBSan build of compshare.core
#   make valgrind     valgrind memcheck of the specs that drive the C module (VALGRIND_SPECS)
# Fuzz corpora grow in build/fuzz/corpus/fuzz_<name>; c/fuzz/corpus/<name> holds the small seeds.

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 300
FUZZ_SMOKE_SECONDS ?= 8
FUZZ_TARGETS       := fuzz_encode fuzz_form fuzz_response
FUZZ_BINS          := $(addprefix build/fuzz/,$(FUZZ_TARGETS))
# The core as the Makefile builds it, with the libcurl session swapped for a stub (no I/O here).
FUZZ_CURL_SRC      := c/session.c c/batch.c c/xfer.c
FUZZ_COMMON        := $(filter-out $(FUZZ_CURL_SRC),$(CORE_SRC)) c/fuzz/session_stub.c c/fuzz/harness.c
FUZZ_FLAGS         := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                      -std=c99 -D_POSIX_C_SOURCE=200809L -DFUZZ_ROOT='"$(CURDIR)"'
# -print_final_stats prints stat::number_of_executed_units, the execs count.
FUZZ_RUN_FLAGS     := -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                      -artifact_prefix=build/fuzz/

SAN_CC      ?= clang
SAN_FLAGS   := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CORE_ASAN   := build/asan/5.4/compshare/core.so
# lua5.4 is not instrumented: the specs run in c/sanitize/lua_host.c, a small
# interpreter built with the sanitizers and named build/asan/bin/lua5.4, first
# on PATH, so the examples the specs start run under it too. No LD_PRELOAD:
# other helper processes (sh, ps, nginx, openssl) are untouched.
# use_tls=0: LeakSanitizer 14 crashes reading the dynamic TLS of dlopen'ed modules.
LUA_ASAN    := build/asan/bin/lua5.4
SAN_ENV     := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
               LSAN_OPTIONS=use_tls=0 \
               UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
BUSTED_BIN  := $(shell command -v $(BUSTED))

# The specs that drive compshare.core's C code: signing, forms, the client, and
# libcurl over HTTP, TLS, batches and faults. No suppressions are needed.
VALGRIND_SPECS ?= $(wildcard spec/sign_spec.lua spec/form_spec.lua spec/client_spec.lua spec/http_spec.lua \
                             spec/tls_spec.lua spec/batch_spec.lua spec/faults_spec.lua)
VALGRIND_FLAGS := --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
                  --show-leak-kinds=definite --num-callers=30

# clang + compiler-rt for libFuzzer and the sanitizers; openssl makes the test certificates.
DEBIAN_PKGS  += clang libclang-rt-14-dev openssl
# sanitize takes about 15 s, fuzz-smoke about 2 x FUZZ_SMOKE_SECONDS.
TEST_TARGETS += fuzz-smoke sanitize

.PHONY: fuzz fuzz-smoke fuzz-build sanitize valgrind valgrind-specs

fuzz-build: $(FUZZ_BINS)

build/fuzz/%: c/fuzz/%.c $(FUZZ_COMMON) $(CORE_HDR) c/fuzz/harness.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) -I$(LUA54_INC) $(PKG_CFLAGS) -o $@ $< $(FUZZ_COMMON) -llua5.4 $(PKG_LIBS) -lm -ldl

# $(call fuzz_run,seconds): run every target in turn on its grown corpus plus the seeds.
define fuzz_run
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t; \
	  echo "== $$t for $(1) s"; \
	  dict=c/fuzz/$${t#fuzz_}.dict; [ -f $$dict ] && dict=-dict=$$dict || dict=; \
	  build/fuzz/$$t $(FUZZ_RUN_FLAGS) $$dict -max_total_time=$(1) build/fuzz/corpus/$$t c/fuzz/corpus/$${t#fuzz_} 2>build/fuzz/$$t.log \
	    || { tail -n 60 build/fuzz/$$t.log; exit 1; }; \
	  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|stat::new_units_added)' build/fuzz/$$t.log; \
	done
endef

fuzz: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-smoke: $(FUZZ_BINS)
	$(call fuzz_run,$(FUZZ_SMOKE_SECONDS))

$(CORE_ASAN): $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(SAN_CC) $(SAN_FLAGS) $(WARN) $(MODFLAGS) -I$(LUA54_INC) $(PKG_CFLAGS) -shared -o $@ $(CORE_SRC) $(PKG_LIBS)

$(LUA_ASAN): c/sanitize/lua_host.c
	@mkdir -p $(@D)
	$(SAN_CC) $(SAN_FLAGS) $(WARN) -std=c99 -I$(LUA54_INC) -o $@ $< -llua5.4 -lm -ldl

sanitize: $(CORE_ASAN) $(LUA_ASAN)
	$(SAN_ENV) PATH="$(CURDIR)/build/asan/bin:$$PATH" LUA_PATH='$(LPATH)' LUA_CPATH='build/asan/5.4/?.so;;' \
	  $(LUA_ASAN) $(BUSTED_BIN) -o utfTerminal spec

# mk/valgrind.mk may add its own recipe to `valgrind`; this one only adds a prerequisite.
valgrind: valgrind-specs

valgrind-specs: $(CORE_54)
	LUA_PATH='$(LPATH)' LUA_CPATH='build/5.4/?.so;;' valgrind $(VALGRIND_FLAGS) \
	  $(LUA54) $(BUSTED_BIN) -o utfTerminal $(VALGRIND_SPECS)
