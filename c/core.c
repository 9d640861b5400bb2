/* core.c - the compshare.core module: signing, form encoding, libcurl session. */
#include "compat.h"
#include "form.h"
#include "session.h"
#include "sign.h"

#ifndef COMPSHARE_VERSION
#define COMPSHARE_VERSION "0.1.0"
#endif

#if defined(__GNUC__)
#define CS_EXPORT __attribute__((visibility("default")))
#else
#define CS_EXPORT
#endif

static const luaL_Reg funcs[] = {
    {"sign", cs_lua_sign},
    {"encode", cs_lua_encode},
    {"flatten", cs_lua_flatten},
    {"form_encode", cs_lua_form_encode},
    {"form_decode", cs_lua_form_decode},
    {NULL, NULL},
};

CS_EXPORT int luaopen_compshare_core(lua_State *L);
CS_EXPORT int luaopen_compshare_core(lua_State *L)
{
    cs_sign_init(L);
    cs_newlib(L, funcs);
    lua_pushliteral(L, COMPSHARE_VERSION);
    lua_setfield(L, -2, "VERSION");
    cs_session_open(L);
    return 1;
}
