/* main.c - the compshare-lua runtime: Lua 5.4 with compshare.core linked in and the
 * Lua sources embedded, so it runs with no LUA_PATH. The front end is the Lua
 * module compshare.cli; this file only sets up the state and hands over argv. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include "embedded.h"
#include "sigwatch.h"

int luaopen_compshare_core(lua_State *L);

/* package.preload loader for one embedded module (the entry is upvalue 1). */
static int embedded_loader(lua_State *L)
{
    const struct cs_embedded *m = (const struct cs_embedded *)lua_touserdata(L, lua_upvalueindex(1));
    if (luaL_loadbuffer(L, (const char *)m->src, m->len, m->chunkname) != LUA_OK)
        return lua_error(L);
    lua_pushstring(L, m->name);
    lua_pushstring(L, m->chunkname + 1);
    lua_call(L, 2, 1);
    return 1;
}

/* compshare.host.isatty(fd) -> boolean */
static int host_isatty(lua_State *L)
{
    lua_Integer fd = luaL_checkinteger(L, 1);
    lua_pushboolean(L, fd >= 0 && fd <= 1024 && isatty((int)fd));
    return 1;
}

static int luaopen_compshare_host(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"isatty", host_isatty},
        {NULL, NULL},
    };
    luaL_newlib(L, funcs);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "embedded");
    return 1;
}

/* Registers compshare.core, compshare.host and every embedded module in package.preload. */
static void preload_all(lua_State *L)
{
    const struct cs_embedded *m;
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_compshare_core);
    lua_setfield(L, -2, "compshare.core");
    lua_pushcfunction(L, luaopen_compshare_host);
    lua_setfield(L, -2, "compshare.host");
    lua_pushcfunction(L, luaopen_compshare_sigwatch);
    lua_setfield(L, -2, "compshare.sigwatch");
    for (m = cs_embedded; m->name != NULL; m++) {
        lua_pushlightuserdata(L, (void *)m);
        lua_pushcclosure(L, embedded_loader, 1);
        lua_setfield(L, -2, m->name);
    }
    lua_pop(L, 1);
}

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL)
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* Runs require("compshare.cli").main(arg) and returns its exit code. */
static int pmain(lua_State *L)
{
    int argc = (int)lua_tointeger(L, 1);
    char **argv = (char **)lua_touserdata(L, 2);
    int i;
    luaL_openlibs(L);
    preload_all(L);
    lua_createtable(L, argc, 1);
    for (i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i);
    }
    lua_pushvalue(L, -1);
    lua_setglobal(L, "arg");
    lua_getglobal(L, "require");
    lua_pushliteral(L, "compshare.cli");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "main");
    lua_pushvalue(L, -3);
    lua_call(L, 1, 1);
    lua_pushinteger(L, lua_isinteger(L, -1) ? lua_tointeger(L, -1) : 1);
    return 1;
}

int main(int argc, char **argv)
{
    int status, code;
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        fputs("compshare-lua: cannot create the Lua state (out of memory)\n", stderr);
        return 1;
    }
    lua_pushcfunction(L, traceback);
    lua_pushcfunction(L, pmain);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    status = lua_pcall(L, 2, 1, 1);
    if (status != LUA_OK) {
        fprintf(stderr, "compshare-lua: %s\n", lua_tostring(L, -1));
        code = 1;
    } else {
        code = (int)lua_tointeger(L, -1);
    }
    lua_close(L);
    return code;
}
