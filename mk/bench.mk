# bench.mk - the benchmark suite (issue 7); see BENCHMARKS.md.
#   make bench         full sizes: every section on Lua 5.4; signing and sequential calls also on LuaJIT
#   make bench-smoke   tiny sizes, a few seconds: proves every section still runs; part of make test
# The floors the figures are measured against are small C programs (bench/c/), built here.
# Optional floor of section 2, the official Python SDK (ucloud-sdk-python3, not part of this
# project): COMPSHARE_BENCH_PYSDK=DIR, DIR a directory from which python3 imports ucloud (with
# requests), times its client.invoke in bench/pysdk_loop.py beside the others and adds
# "x Python SDK" ratios; without it the section says it skipped that floor.

BENCH_PATH := bench/?.lua;$(LPATH)
BENCH_54   := LUA_PATH='$(BENCH_PATH)' LUA_CPATH='build/5.4/?.so;;' $(LUA54) bench/run.lua
BENCH_JIT  := LUA_PATH='$(BENCH_PATH)' LUA_CPATH='build/jit/?.so;;' $(LUAJIT) bench/run.lua

TEST_TARGETS += bench-smoke
DEBIAN_PKGS  += lua-socket curl nginx libnginx-mod-http-lua   # the bench's nginx harness and curl floor

BENCH_C    := build/bench/curl_loop build/bench/socket_loop build/bench/sha1_loop

.PHONY: bench bench-smoke

build/bench/%: bench/c/%.c bench/c/slurp.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c99 -D_GNU_SOURCE $(WARN) $(PKG_CFLAGS) -o $@ $< $(PKG_LIBS)

bench: build $(BENCH_C)
	@$(BENCH_54)
	@echo
	@$(BENCH_JIT) sign sequential
	@echo; echo "bench/prepare.lua (validated call preparation):"
	@LUA_PATH='$(BENCH_PATH)' LUA_CPATH='build/5.4/?.so;;' $(LUA54) bench/prepare.lua

bench-smoke: build $(BENCH_C)
	@$(BENCH_54) --smoke
	@$(BENCH_JIT) --smoke sign sequential
