/* sigwatch.h - compshare.sigwatch (runtime only): SIGINT/SIGTERM as a flag. */
#ifndef CS_SIGWATCH_H
#define CS_SIGWATCH_H

#include "lua.h"

int luaopen_compshare_sigwatch(lua_State *L);

#endif
