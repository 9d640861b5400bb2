# OpenResty: the cosocket transport inside a real nginx (spec/openresty/nginx_e2e.lua).
# The driver runs on Lua 5.4 (luasocket); nginx runs LuaJIT with build/jit/compshare/core.so.
.PHONY: test-openresty
TEST_TARGETS += test-openresty
DEBIAN_PKGS += openssl ca-certificates lua-socket

test-openresty: $(CORE_JIT) build/bin/compshare-lua
	LUA_PATH='$(LPATH)' LUA_CPATH='build/5.4/?.so;;' $(BUSTED) --lua=$(LUA54) -o utfTerminal -p _e2e spec/openresty
