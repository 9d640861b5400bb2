/* compat.h - the few Lua C API differences between Lua 5.1/LuaJIT and 5.4. */
#ifndef COMPSHARE_COMPAT_H
#define COMPSHARE_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502
#define cs_rawlen(L, i) lua_objlen((L), (i))
#define cs_newlib(L, l) (lua_newtable(L), luaL_register((L), NULL, (l)))
#define cs_setfuncs(L, l) luaL_register((L), NULL, (l))
#else
#define cs_rawlen(L, i) lua_rawlen((L), (i))
#define cs_newlib(L, l) luaL_newlib((L), (l))
#define cs_setfuncs(L, l) luaL_setfuncs((L), (l), 0)
#endif

/* True when the number at index i has an integer representation (5.3+). */
#if LUA_VERSION_NUM >= 503
#define cs_isinteger(L, i) lua_isinteger((L), (i))
#define cs_tointeger(L, i) lua_tointeger((L), (i))
#else
#define cs_isinteger(L, i) 0
#define cs_tointeger(L, i) ((long long)lua_tonumber((L), (i)))
#endif

#endif
