# The compshare-lua runtime (issue 4): a Lua 5.4 host with compshare.core linked in
# and every lua/compshare/**/*.lua embedded (build/embedded.c, generated).
#   make                  also builds build/bin/compshare-lua
#   make demo             deps + build + examples/snapshot_and_publish.lua on the sandbox
#   make rock-check       luarocks make for Lua 5.4 and 5.1 into a temp tree, then loads both

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

# --- luarocks (rockspec/compshare-scm-1.rockspec runs these through its make backend,
# passing LUA_INCDIR, LIBFLAG, CFLAGS, ... for the Lua it builds for). The module gets no
# -llua, so the 5.1 build loads in LuaJIT; the runtime is built only for Lua 5.4.
ROCK_DIR     = build/rock/$(notdir $(LUA_INCDIR))
ROCK_IS_54   = $(shell grep -qE 'define LUA_VERSION_NUM[[:space:]]+504' $(LUA_INCDIR)/lua.h && echo yes)
ROCK_INC     = $(if $(CURL_INCDIR),-I$(CURL_INCDIR)) $(if $(OPENSSL_INCDIR),-I$(OPENSSL_INCDIR))
ROCK_LIBS    = $(if $(CURL_LIBDIR),-L$(CURL_LIBDIR)) $(if $(OPENSSL_LIBDIR),-L$(OPENSSL_LIBDIR)) $(PKG_LIBS)

.PHONY: rock-build rock-install
rock-build:
	@test -n "$(LUA_INCDIR)" || { echo "rock-build: run through luarocks (LUA_INCDIR unset)"; exit 2; }
	@mkdir -p $(ROCK_DIR)
	$(CC) $(CFLAGS) $(WARN) $(MODFLAGS) -I$(LUA_INCDIR) $(ROCK_INC) $(PKG_CFLAGS) $(LIBFLAG) \
	  -o $(ROCK_DIR)/core.so $(CORE_SRC) $(ROCK_LIBS)
	$(if $(ROCK_IS_54),$(MAKE) --no-print-directory $(RUNTIME) LUA54=$(LUA) LUA54_INC=$(LUA_INCDIR) \
	  $(if $(LUA_LIBDIR),LUA54_LIB="-L$(LUA_LIBDIR) -llua5.4"))

rock-install:
	install -d $(INST_LIBDIR)/compshare
	install -m 755 $(ROCK_DIR)/core.so $(INST_LIBDIR)/compshare/core.so
	for f in $(EMBED_SRC); do install -D -m 644 $$f $(INST_LUADIR)/$${f#lua/} || exit 1; done
	$(if $(ROCK_IS_54),install -D -m 755 $(RUNTIME) $(INST_BINDIR)/compshare-lua)

# Both luarocks builds into a temp tree, then load compshare + compshare.core from it
# with lua5.4 and luajit, and run the installed runtime.
ROCK_CHECK_LOAD = local c = require "compshare"; local core = require "compshare.core"; \
  local tree = os.getenv("TREE"); \
  assert(package.searchpath("compshare.core", package.cpath):find(tree, 1, true)); \
  assert(package.searchpath("compshare.cli", package.path):find(tree, 1, true)); \
  assert(core.sign({ Action = "A", PublicKey = "p" }, "k"):match("^%x+$$")); \
  print(_VERSION, (jit and jit.version or ""), c._VERSION, package.searchpath("compshare.core", package.cpath))

rock-check:
	@set -e; TREE=$$(mktemp -d /tmp/compshare-rock.XXXXXX); export TREE; trap 'rm -rf "$$TREE"' EXIT; \
	for v in 5.4 5.1; do \
	  luarocks --lua-version=$$v --tree "$$TREE" make --deps-mode=none rockspec/compshare-scm-1.rockspec >"$$TREE/log-$$v" 2>&1 \
	    || { cat "$$TREE/log-$$v"; exit 1; }; \
	done; \
	( cd "$$TREE"; eval "$$(luarocks --lua-version=5.4 --tree "$$TREE" path)"; $(LUA54) -e '$(ROCK_CHECK_LOAD)' ); \
	( cd "$$TREE"; eval "$$(luarocks --lua-version=5.1 --tree "$$TREE" path)"; $(LUAJIT) -e '$(ROCK_CHECK_LOAD)' ); \
	! ldd "$$TREE/lib/lua/5.1/compshare/core.so" | grep -q liblua || { echo "rock-check: the 5.1 core.so links liblua"; exit 1; }; \
	env -i PATH=/usr/bin:/bin HOME="$$TREE" "$$TREE/bin/compshare-lua" --version; test ! -e "$$TREE/bin/compshare"; \
	echo "rock-check: ok"
