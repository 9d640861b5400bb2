# valgrind.mk - make valgrind also runs valgrind-smoke: memcheck of one short Lua 5.4 script
# (spec/support/valgrind_smoke.lua) through every path of compshare.core that owns C memory:
# sign/encode/form, session request/batch on success and each error kind, raises, close, __gc.
# Not part of make test (about 30 s under valgrind).

VALGRIND_SMOKE := spec/support/valgrind_smoke.lua

.PHONY: valgrind valgrind-smoke
valgrind: valgrind-smoke

valgrind-smoke: $(CORE_54)
	LUA_PATH='$(LPATH)' LUA_CPATH='build/5.4/?.so;;' valgrind --leak-check=full --error-exitcode=1 \
	  $(LUA54) $(VALGRIND_SMOKE)
