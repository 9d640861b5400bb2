# compshare-lua - build, test, lint.
#   make          build compshare.core for Lua 5.4 and LuaJIT into build/
#   make test     deps + build + specs on Lua 5.4 and LuaJIT
#   make demo     deps + build + the snapshot-and-publish demo on the sandbox
#   make lint     luacheck + cppcheck
#   make deps     install the Debian packages that are missing (needs root)
# Areas add their own targets in mk/*.mk.

# The version is written once, in c/defaults.h: the C core and, through core.VERSION, the Lua library read it.
CC          ?= cc
CFLAGS      ?= -O2 -g
WARN        := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
PKG_CFLAGS  := $(shell pkg-config --cflags libcurl openssl 2>/dev/null)
PKG_LIBS    := $(shell pkg-config --libs libcurl openssl 2>/dev/null || echo -lcurl -lcrypto)
LUA54_INC   ?= /usr/include/lua5.4
LUAJIT_INC  ?= /usr/include/luajit-2.1
LUA54       ?= lua5.4
LUAJIT      ?= luajit
BUSTED      ?= busted

CORE_SRC    := c/core.c c/flatten.c c/json.c c/sign.c c/form.c c/session.c c/xfer.c c/batch.c c/fsinfo.c c/fsync.c
CORE_HDR    := $(wildcard c/*.h)
CORE_54     := build/5.4/compshare/core.so
CORE_JIT    := build/jit/compshare/core.so
MODFLAGS    := -std=c99 -D_POSIX_C_SOURCE=200809L -fPIC -fvisibility=hidden

DEBIAN_PKGS := lua5.4 liblua5.4-dev luajit2 libluajit2-5.1-dev liblua5.1-0-dev lua-cjson lua-busted lua-socket \
               luarocks lua-check libcurl4-openssl-dev libssl-dev nginx libnginx-mod-http-lua \
               cppcheck valgrind pkg-config curl

# Specs run from the tree: these paths make require "compshare" find lua/ and build/.
LPATH       := lua/?.lua;lua/?/init.lua;spec/?.lua;;
TEST_TARGETS := test-lua54 test-luajit

.PHONY: all build deps test test-lua54 test-luajit lint clean
all: build
build: $(CORE_54) $(CORE_JIT)

$(CORE_54): $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(MODFLAGS) -I$(LUA54_INC) $(PKG_CFLAGS) -shared -o $@ $(CORE_SRC) $(PKG_LIBS) $(LDFLAGS)

$(CORE_JIT): $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) $(MODFLAGS) -I$(LUAJIT_INC) $(PKG_CFLAGS) -shared -o $@ $(CORE_SRC) $(PKG_LIBS) $(LDFLAGS)

deps:
	@missing=""; for p in $(DEBIAN_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	else echo "make deps: all Debian packages present"; fi

test: deps build
	@$(MAKE) --no-print-directory $(TEST_TARGETS)

test-lua54: $(CORE_54)
	LUA_PATH='$(LPATH)' LUA_CPATH='build/5.4/?.so;;' $(BUSTED) --lua=$(LUA54) -o utfTerminal spec

test-luajit: $(CORE_JIT)
	LUA_PATH='$(LPATH)' LUA_CPATH='build/jit/?.so;;' $(BUSTED) --lua=$(LUAJIT) -o utfTerminal spec

lint:
	luacheck -q lua spec examples tools bench
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c99 \
	  --suppress=missingIncludeSystem -I c -I $(LUA54_INC) c

clean:
	rm -rf build luacov.* *.rock

-include mk/*.mk
