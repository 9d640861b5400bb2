/* lua_host.c - a minimal Lua 5.4 interpreter for `make sanitize`:
 *   lua_host script.lua [args...]
 * runs the script with the standard `arg` table. Built with ASan+UBSan, it
 * carries the sanitizer runtime itself, so compshare.core (built the same
 * way) is checked without LD_PRELOAD, and the helper processes the specs start
 * (sh, ps, nginx, openssl) run as usual. The state is closed at the end (and
 * by os.exit(code, true), which busted uses), so LeakSanitizer sees only
 * memory that was really lost. */
#include <stdio.h>
#include <stdlib.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

static int traceback(lua_State *L)
{
    luaL_traceback(L, L, luaL_tolstring(L, 1, NULL), 1);
    return 1;
}

int main(int argc, char **argv)
{
    lua_State *L;
    int i, status;

    if (argc < 2) {
        fprintf(stderr, "usage: %s script.lua [args...]\n", argv[0]);
        return 2;
    }
    L = luaL_newstate();
    if (L == NULL)
        return 1;
    luaL_openlibs(L);
    lua_createtable(L, argc - 2, 2);
    for (i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1); /* arg[-1] = host, arg[0] = script, arg[1..] = args */
    }
    lua_setglobal(L, "arg");

    lua_pushcfunction(L, traceback);
    status = luaL_loadfile(L, argv[1]);
    if (status == LUA_OK) {
        for (i = 2; i < argc; i++)
            lua_pushstring(L, argv[i]);
        status = lua_pcall(L, argc - 2, 0, 1);
    }
    if (status != LUA_OK)
        fprintf(stderr, "%s: %s\n", argv[0], lua_tostring(L, -1));
    lua_close(L);
    return status == LUA_OK ? 0 : 1;
}
