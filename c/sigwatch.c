/* sigwatch.c - compshare.sigwatch, linked into the runtime only: SIGINT and
 * SIGTERM set a flag instead of killing the process, so a long-running loop
 * (the sandbox server) can notice, save its state and stop cleanly.
 *   sigwatch.watch()   install the handlers (idempotent)
 *   sigwatch.caught()  the name of the first signal caught ("SIGINT"/"SIGTERM"), or nil */
#include <signal.h>
#include <string.h>

#include "lauxlib.h"
#include "lua.h"

#include "sigwatch.h"

static volatile sig_atomic_t caught_signal = 0;

static void on_signal(int sig)
{
    if (caught_signal == 0)
        caught_signal = sig;
}

static int sigwatch_watch(lua_State *L)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;               /* no SA_RESTART: a blocking wait returns early */
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return luaL_error(L, "compshare.sigwatch: sigaction failed");
    lua_pushboolean(L, 1);
    return 1;
}

static int sigwatch_caught(lua_State *L)
{
    int sig = (int)caught_signal;
    if (sig == SIGINT)
        lua_pushliteral(L, "SIGINT");
    else if (sig == SIGTERM)
        lua_pushliteral(L, "SIGTERM");
    else
        lua_pushnil(L);
    return 1;
}

int luaopen_compshare_sigwatch(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"watch", sigwatch_watch},
        {"caught", sigwatch_caught},
        {NULL, NULL},
    };
    lua_createtable(L, 0, 2);
    luaL_setfuncs(L, funcs, 0);
    return 1;
}
