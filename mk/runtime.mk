# The compshare-lua runtime (issue 4): a Lua 5.4 host with compshare.core linked in
# and every lua/compshare/**/*.lua embedded (build/embedded.c, generated).
#   make                  also builds build/bin/compshare-lua
#   make demo             deps + build + examples/snapshot_and_publish.lua on the sandbox
#   make rock             build/rock/compshare-VERSION-1.src.rock from the tree (see below)
#   make rock-check       luarocks make (scm-1) and luarocks install (the .src.rock) for Lua 5.4
#                         and 5.1 into temp trees, then loads both (part of make test)

RUNTIME      := build/bin/compshare-lua
OLD_RUNTIME  := build/bin/compshare
EMBED_SRC    := $(sort $(shell find lua/compshare -name '*.lua'))
LUA54_LIB    ?= -llua5.4
RUNTIME_SRC  := c/main.c c/sigwatch.c

.PHONY: runtime demo rock-check
TEST_TARGETS += rock-check
build: $(RUNTIME)
runtime: $(RUNTIME)

build/embedded.c: tools/embed.lua $(EMBED_SRC)
	@mkdir -p $(@D)
	$(LUA54) tools/embed.lua lua $@ $(EMBED_SRC)

$(RUNTIME): $(RUNTIME_SRC) c/embedded.h build/embedded.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=c99 -D_POSIX_C_SOURCE=200809L \
	  -Ic -I$(LUA54_INC) $(PKG_CFLAGS) -o $@ $(RUNTIME_SRC) build/embedded.c $(CORE_SRC) \
	  $(LUA54_LIB) $(PKG_LIBS) -lm $(LDFLAGS)
	@rm -f $(OLD_RUNTIME)   # the runtime was called compshare before; that name belongs to compshare-cli

demo: deps build
	$(RUNTIME) run --sandbox examples/snapshot_and_publish.lua

# --- luarocks (rockspec/compshare-*.rockspec run these through its make backend,
# passing LUA_INCDIR, LIBFLAG, CFLAGS, ... for the Lua it builds for). The module gets no
# -llua, so the 5.1 build loads in LuaJIT; the runtime is built only for Lua 5.4, and always
# afresh into ROCK_DIR (never build/bin/compshare-lua, which `make` may have built with other
# flags or from older sources).
ROCK_DIR     = build/rock/$(notdir $(LUA_INCDIR))
ROCK_IS_54   = $(shell grep -qE 'define LUA_VERSION_NUM[[:space:]]+504' $(LUA_INCDIR)/lua.h && echo yes)
ROCK_INC     = $(if $(CURL_INCDIR),-I$(CURL_INCDIR)) $(if $(OPENSSL_INCDIR),-I$(OPENSSL_INCDIR))
ROCK_LIBS    = $(if $(CURL_LIBDIR),-L$(CURL_LIBDIR)) $(if $(OPENSSL_LIBDIR),-L$(OPENSSL_LIBDIR)) $(PKG_LIBS)
ROCK_RUNTIME = $(ROCK_DIR)/compshare-lua
ROCK_LUA_LIB = $(if $(LUA_LIBDIR),-L$(LUA_LIBDIR)) -llua5.4

.PHONY: rock-build rock-install rock
rock-build:
	@test -n "$(LUA_INCDIR)" || { echo "rock-build: run through luarocks (LUA_INCDIR unset)"; exit 2; }
	@mkdir -p $(ROCK_DIR)
	$(CC) $(CFLAGS) $(WARN) $(MODFLAGS) -I$(LUA_INCDIR) $(ROCK_INC) $(PKG_CFLAGS) $(LIBFLAG) \
	  -o $(ROCK_DIR)/core.so $(CORE_SRC) $(ROCK_LIBS)
	@rm -f $(ROCK_RUNTIME) $(ROCK_DIR)/embedded.c
	$(if $(ROCK_IS_54),$(LUA) tools/embed.lua lua $(ROCK_DIR)/embedded.c $(EMBED_SRC))
	$(if $(ROCK_IS_54),$(CC) $(CFLAGS) $(WARN) -std=c99 -D_POSIX_C_SOURCE=200809L \
	  -Ic -I$(LUA_INCDIR) $(ROCK_INC) $(PKG_CFLAGS) -o $(ROCK_RUNTIME) $(RUNTIME_SRC) $(ROCK_DIR)/embedded.c $(CORE_SRC) \
	  $(ROCK_LUA_LIB) $(ROCK_LIBS) -lm)

rock-install:
	install -d $(INST_LIBDIR)/compshare
	install -m 755 $(ROCK_DIR)/core.so $(INST_LIBDIR)/compshare/core.so
	for f in $(EMBED_SRC); do install -D -m 644 $$f $(INST_LUADIR)/$${f#lua/} || exit 1; done
	$(if $(ROCK_IS_54),install -D -m 755 $(ROCK_RUNTIME) $(INST_BINDIR)/compshare-lua)

# make rock: build/rock/compshare-$(ROCK_VERSION)-1.src.rock from the tree (the files git tracks, as
# they are on disk), beside the versioned rockspec, which names the release tarball
# .../v$(ROCK_VERSION).tar.gz; the rock holds that tarball, so it installs with no network:
#   luarocks --lua-version=5.4 install --deps-mode=none build/rock/compshare-$(ROCK_VERSION)-1.src.rock
ROCK_VERSION := $(shell sed -n 's/^\#define COMPSHARE_VERSION "\(.*\)"$$/\1/p' c/defaults.h)
ROCKSPEC_REL := rockspec/compshare-$(ROCK_VERSION)-1.rockspec
SRC_ROCK     := build/rock/compshare-$(ROCK_VERSION)-1.src.rock
DEBIAN_PKGS  += zip git

rock:
	@grep -q '^version = "$(ROCK_VERSION)-1"' $(ROCKSPEC_REL) || { echo "rock: $(ROCKSPEC_REL) is not version $(ROCK_VERSION)-1"; exit 1; }
	@test -n "$(ROCK_VERSION)" || { echo "rock: no COMPSHARE_VERSION in c/defaults.h"; exit 1; }
	@grep -q '^MIT License' LICENSE && grep -q 'license = "MIT"' $(ROCKSPEC_REL) || { echo "rock: LICENSE and the rockspec disagree"; exit 1; }
	@grep -q 'v$(ROCK_VERSION)\.tar\.gz' $(ROCKSPEC_REL) || { echo "rock: $(ROCKSPEC_REL) does not name v$(ROCK_VERSION).tar.gz"; exit 1; }
	@rm -rf build/rock/pack $(SRC_ROCK) && mkdir -p build/rock/pack
	git ls-files -z | tar --null --files-from=- --transform 's,^,compshare-lua-$(ROCK_VERSION)/,' \
	  -czf build/rock/pack/v$(ROCK_VERSION).tar.gz
	cp $(ROCKSPEC_REL) build/rock/pack/
	cd build/rock/pack && zip -q -X ../$(notdir $(SRC_ROCK)) $(notdir $(ROCKSPEC_REL)) v$(ROCK_VERSION).tar.gz
	@echo "rock: $(SRC_ROCK)"

# rock-check: `luarocks make` of the scm rockspec (with a stale runtime planted where the rock build
# puts its own: it must be rebuilt), then `make rock` and `luarocks install` of the .src.rock, each
# for Lua 5.4 and 5.1 into a temp tree; then compshare + compshare.core are loaded from each tree
# with lua5.4 and luajit, and the installed runtime runs.
ROCK_CHECK_LOAD = local c = require "compshare"; local core = require "compshare.core"; \
  local tree = os.getenv("TREE"); \
  assert(package.searchpath("compshare.core", package.cpath):find(tree, 1, true)); \
  assert(package.searchpath("compshare.cli", package.path):find(tree, 1, true)); \
  assert(core.sign({ Action = "A", PublicKey = "p" }, "k"):match("^%x+$$")); \
  print(_VERSION, (jit and jit.version or ""), c._VERSION, package.searchpath("compshare.core", package.cpath))

define rock_tree_check
( cd "$$TREE"; eval "$$(luarocks --lua-version=5.4 --tree "$$TREE" path)"; $(LUA54) -e '$(ROCK_CHECK_LOAD)' ); \
( cd "$$TREE"; eval "$$(luarocks --lua-version=5.1 --tree "$$TREE" path)"; $(LUAJIT) -e '$(ROCK_CHECK_LOAD)' ); \
! ldd "$$TREE/lib/lua/5.1/compshare/core.so" | grep -q liblua || { echo "rock-check: the 5.1 core.so links liblua"; exit 1; }; \
env -i PATH=/usr/bin:/bin HOME="$$TREE" "$$TREE/bin/compshare-lua" --version | grep -qx 'compshare-lua $(ROCK_VERSION)' \
  || { echo "rock-check: $$TREE/bin/compshare-lua is not the runtime just built"; exit 1; }; \
test ! -e "$$TREE/bin/compshare"
endef

rock-check:
	@set -e; TREE=$$(mktemp -d /tmp/compshare-rock.XXXXXX); export TREE; trap 'rm -rf "$$TREE"' EXIT; \
	mkdir -p build/rock/lua5.4; printf '#!/bin/sh\necho stale\n' >build/rock/lua5.4/compshare-lua; \
	chmod 755 build/rock/lua5.4/compshare-lua; touch -d '+1 day' build/rock/lua5.4/compshare-lua; \
	for v in 5.4 5.1; do \
	  luarocks --lua-version=$$v --tree "$$TREE" make --deps-mode=none rockspec/compshare-scm-1.rockspec >"$$TREE/log-$$v" 2>&1 \
	    || { cat "$$TREE/log-$$v"; exit 1; }; \
	done; \
	$(rock_tree_check); \
	echo "rock-check: luarocks make (scm-1) ok"; \
	rm -rf "$$TREE"/*; $(MAKE) --no-print-directory rock; \
	for v in 5.4 5.1; do \
	  luarocks --lua-version=$$v --tree "$$TREE" install --deps-mode=none $(SRC_ROCK) >"$$TREE/log-$$v" 2>&1 \
	    || { cat "$$TREE/log-$$v"; exit 1; }; \
	done; \
	$(rock_tree_check); \
	echo "rock-check: $(SRC_ROCK) installs for 5.4 and 5.1: ok"
