/* session.c - core.session(opts): a libcurl session userdata with one keep-alive handle. */
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "session.h"

#include "defaults.h"

cs_session *cs_check_session(lua_State *L)
{
    cs_session *s = luaL_checkudata(L, 1, CS_SESSION_MT);
    if (s->closed)
        luaL_error(L, "compshare: the session is closed");
    return s;
}

static char *copy_string(const char *s)
{
    char *c = malloc(strlen(s) + 1);
    if (c)
        strcpy(c, s);
    return c;
}

/* The string option `name` of the table at index 1 (or `fallback`), copied to *out. */
static void string_option(lua_State *L, const char *name, const char *fallback, char **out)
{
    size_t len = 0;
    const char *v = fallback;
    lua_getfield(L, 1, name);
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "compshare: session option %s must be a string, got %s", name, luaL_typename(L, -1));
        v = lua_tolstring(L, -1, &len);
        if (strlen(v) != len)
            luaL_error(L, "compshare: session option %s contains a NUL byte", name);
    }
    if (v && !(*out = copy_string(v)))
        luaL_error(L, "compshare: out of memory");
    lua_pop(L, 1);
}

/* core.session{verify=true, cainfo=nil, user_agent=nil} -> session */
static int session_new(lua_State *L)
{
    cs_session *s;
    if (lua_isnoneornil(L, 1))
        lua_newtable(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    s = lua_newuserdata(L, sizeof *s);
    memset(s, 0, sizeof *s);
    s->closed = 1; /* until fully set up: __gc frees whatever exists */
    luaL_getmetatable(L, CS_SESSION_MT);
    lua_setmetatable(L, -2);
    lua_getfield(L, 1, "verify");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
        luaL_error(L, "compshare: session option verify must be a boolean, got %s", luaL_typename(L, -1));
    s->opts.verify = lua_isnil(L, -1) || lua_toboolean(L, -1);
    lua_pop(L, 1);
    string_option(L, "cainfo", NULL, &s->opts.cainfo);
    string_option(L, "user_agent", "compshare-lua/" COMPSHARE_VERSION, &s->opts.user_agent);
    if (cs_xfer_init(&s->main) != 0)
        luaL_error(L, "compshare: curl_easy_init failed");
    s->closed = 0;
    return 1;
}

/* session:request{url=, method=, headers=, body=, timeout=} -> res | nil, kind, message, sent */
static int session_request(lua_State *L)
{
    cs_session *s = cs_check_session(L);
    CURLcode rc;
    int n;
    lua_settop(L, 2);
    rc = cs_xfer_prepare(L, 2, 0, &s->opts, &s->main);
    if (rc == CURLE_OK)
        rc = curl_easy_perform(s->main.easy);
    n = cs_xfer_result(L, &s->main, rc);
    cs_xfer_release(&s->main);
    return n;
}

static void session_free(cs_session *s)
{
    cs_batch_free(s);
    cs_xfer_free(&s->main, NULL);
    free(s->opts.cainfo);
    free(s->opts.user_agent);
    s->opts.cainfo = s->opts.user_agent = NULL;
    s->closed = 1;
}

/* session:close(), __gc and __close: idempotent. */
static int session_close(lua_State *L)
{
    session_free(luaL_checkudata(L, 1, CS_SESSION_MT));
    return 0;
}

static int session_tostring(lua_State *L)
{
    cs_session *s = luaL_checkudata(L, 1, CS_SESSION_MT);
    lua_pushfstring(L, "compshare.session (%s%s)", s->closed ? "closed" : "open",
                    s->closed || s->opts.verify ? "" : ", TLS verification off");
    return 1;
}

static const luaL_Reg methods[] = {
    {"request", session_request},
    {"batch", cs_session_batch},
    {"close", session_close},
    {NULL, NULL},
};

void cs_session_open(lua_State *L)
{
    static int initialised = 0;
    if (!initialised) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            luaL_error(L, "compshare: curl_global_init failed");
        initialised = 1;
    }
    if (luaL_newmetatable(L, CS_SESSION_MT)) {
        lua_newtable(L);
        cs_setfuncs(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, session_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, session_close);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, session_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushliteral(L, "compshare.session");
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);
    lua_pushcfunction(L, session_new);
    lua_setfield(L, -2, "session");
    lua_pushstring(L, curl_version_info(CURLVERSION_NOW)->version);
    lua_setfield(L, -2, "curl_version");
}
