/* harness.c - the Lua state shared by the fuzz targets (see harness.h). */
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lualib.h>

#include "harness.h"

#ifndef FUZZ_ROOT
#define FUZZ_ROOT "."
#endif

int luaopen_compshare_core(lua_State *L);

static lua_State *state;
static int checker_ref = LUA_NOREF;

static void die(lua_State *L, const char *what)
{
    fprintf(stderr, "fuzz harness: %s: %s\n", what, lua_tostring(L, -1));
    abort();
}

lua_State *fuzz_state(const char *checker)
{
    if (state)
        return state;
    state = luaL_newstate();
    luaL_openlibs(state);
    luaL_getsubtable(state, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(state, luaopen_compshare_core);
    lua_setfield(state, -2, "compshare.core");
    lua_pop(state, 1);
    if (luaL_dostring(state, "package.path = '" FUZZ_ROOT "/lua/?.lua;" FUZZ_ROOT "/lua/?/init.lua;' .. package.path"))
        die(state, "package.path");
    lua_pushfstring(state, "%s/c/fuzz/%s.lua", FUZZ_ROOT, checker);
    if (luaL_loadfile(state, lua_tostring(state, -1)) || lua_pcall(state, 0, 1, 0))
        die(state, "loading the checker");
    if (!lua_isfunction(state, -1))
        die(state, "the checker file must return a function");
    checker_ref = luaL_ref(state, LUA_REGISTRYINDEX);
    lua_pop(state, 1);
    return state;
}

void fuzz_push_checker(lua_State *L)
{
    lua_rawgeti(L, LUA_REGISTRYINDEX, checker_ref);
}

void fuzz_run_checker(lua_State *L, int nargs)
{
    if (lua_pcall(L, nargs, 0, 0) != LUA_OK)
        die(L, "property violated");
    /* keep memory flat across millions of runs */
    lua_gc(L, LUA_GCSTEP, 0);
}
