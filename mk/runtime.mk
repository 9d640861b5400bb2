# The compshare runtime (issue 4): a Lua 5.4 host with compshare.core linked in
# and every lua/compshare/**/*.lua embedded (build/embedded.c, generated).
#   make                  also builds build/bin/compshare
#   make demo             deps + build + examples/snapshot_and_publish.lua on the sandbox
#   make rock-check       luarocks make for Lua 5.4 and 5.1 into a temp tree, then loads both

RUNTIME      := build/bin/compshare
EMBED_SRC    := $(sort $(shell find lua/compshare -name '*.lua'))
LUA54_LIB    ?= -llua5.4

.PHONY: runtime demo rock-check
build: $(RUNTIME)
runtime: $(RUNTIME)

build/embedded.c: tools/embed.lua $(EMBED_SRC)
	@mkdir -p $(@D)
	$(LUA54) tools/embed.lua lua $@ $(EMBED_SRC)

$(RUNTIME): c/main.c c/embedded.h build/embedded.c $(CORE_SRC) $(CORE_HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(WARN) -std=c99 -D_POSIX_C_SOURCE=200809L -DCOMPSHARE_VERSION='"$(VERSION)"' \
	  -Ic -I$(LUA54_INC) $(PKG_CFLAGS) -o $@ c/main.c build/embedded.c $(CORE_SRC) \
	  $(LUA54_LIB) $(PKG_LIBS) -lm $(LDFLAGS)

demo: deps build
	$(RUNTIME) run --sandbox examples/snapshot_and_publish.lua
