/* harness.h - what the libFuzzer targets share: a Lua 5.4 state with
 * compshare.core linked in, the repo's lua/ on package.path, and a Lua
 * "checker" function loaded from c/fuzz/<name>.lua that asserts properties. */
#ifndef COMPSHARE_FUZZ_HARNESS_H
#define COMPSHARE_FUZZ_HARNESS_H

#include <lua.h>

/* Make the state (once) and leave the checker from c/fuzz/<checker>.lua in
 * the registry; the checker file returns a function. */
lua_State *fuzz_state(const char *checker);

/* Push the checker function loaded by fuzz_state. */
void fuzz_push_checker(lua_State *L);

/* lua_pcall the checker (already pushed, with nargs arguments above it);
 * abort() with the Lua message when it raises, so libFuzzer records a crash.
 * Leaves the stack as it was before the checker was pushed. */
void fuzz_run_checker(lua_State *L, int nargs);

#endif
