# memcheck.mk - fuzzing (libFuzzer), the ASan+UBSan spec run, valgrind memcheck.
#   make fuzz         each fuzz target for FUZZ_SECONDS (default 300) s
#   make fuzz-smoke   each fuzz target for FUZZ_SMOKE_SECONDS (default 12) s; part of make test
#   make sanitize     the whole spec suite (Lua 5.4) against an ASan+UBSan build of compshare.core
#   make valgrind     valgrind memcheck of the specs that drive the C module (VALGRIND_SPECS)
# Fuzz corpora grow in build/fuzz/corpus/fuzz_<name>; c/fuzz/corpus/<name> holds the small seeds.

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 300
FUZZ_SMOKE_SECONDS ?= 12
FUZZ_TARGETS       := fuzz_encode fuzz_response
FUZZ_BINS          := $(addprefix build/fuzz/,$(FUZZ_TARGETS))
FUZZ_COMMON        := c/core.c c/flatten.c c/sign.c c/form.c c/fuzz/session_stub.c c/fuzz/harness.c
FUZZ_FLAGS         := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                      -std=c99 -D_POSIX_C_SOURCE=200809L -DFUZZ_ROOT='"$(CURDIR)"'
# -print_final_stats prints stat::number_of_executed_units, the execs count.
FUZZ_RUN_FLAGS     := -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
                      -artifact_prefix=build/fuzz/

SAN_CC      ?= gcc
CORE_ASAN   := build/asan/5.4/compshare/core.so
SAN_FLAGS   := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# lua5.4 is not instrumented, so the ASan runtime has to be preloaded into it.
# Leaks are checked by valgrind (make valgrind): LeakSanitizer would also judge
# the helper processes (sh, nginx, openssl) the specs start under the preload.
SAN_ENV     = LD_PRELOAD="$$($(SAN_CC) -print-file-name=libasan.so)" \
              ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1 \
              UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
BUSTED_BIN  := $(shell command -v $(BUSTED))

VALGRIND_SPECS ?= $(wildcard spec/sign_spec.lua spec/form_spec.lua spec/client_spec.lua spec/http_spec.lua \
                             spec/tls_spec.lua)
VALGRIND_FLAGS := --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
                  --show-leak-kinds=definite --suppressions=tools/valgrind.supp --num-callers=30

TEST_TARGETS += fuzz-smoke

.PHONY: fuzz fuzz-smoke fuzz-build sanitize valgrind valgrind-specs

fuzz-build: $(FUZZ_BINS)

build/fuzz/%: c/fuzz/%.c $(FUZZ_COMMON) $(CORE_HDR) c/fuzz/harness.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) -I$(LUA54_INC) $(PKG_CFLAGS) -o $@ $< $(FUZZ_COMMON) -llua5.4 -lcrypto -lm -ldl

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

sanitize: $(CORE_ASAN)
	$(SAN_ENV) LUA_PATH='$(LPATH)' LUA_CPATH='build/asan/5.4/?.so;;' $(LUA54) $(BUSTED_BIN) -o utfTerminal spec

# mk/valgrind.mk may add its own recipe to `valgrind`; this one only adds a prerequisite.
valgrind: valgrind-specs

valgrind-specs: $(CORE_54)
	LUA_PATH='$(LPATH)' LUA_CPATH='build/5.4/?.so;;' valgrind $(VALGRIND_FLAGS) \
	  $(LUA54) $(BUSTED_BIN) -o utfTerminal $(VALGRIND_SPECS)
