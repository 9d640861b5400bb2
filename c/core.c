/* core.c - the compshare.core module: flattening, signing, form encoding, clocks, libcurl session. */
#include <errno.h>
#include <math.h>
#include <time.h>

#include "compat.h"
#include "flatten.h"
#include "form.h"
#include "fsinfo.h"
#include "json.h"
#include "fsync.h"
#include "session.h"
#include "sign.h"

#include "defaults.h"

#if defined(__GNUC__)
#define CS_EXPORT __attribute__((visibility("default")))
#else
#define CS_EXPORT
#endif

/* core.sleep(seconds): block the calling thread (never used inside nginx). */
static int cs_lua_sleep(lua_State *L)
{
    double s = luaL_checknumber(L, 1);
    struct timespec ts, rem;
    if (!(s > 0))
        return 0;
    if (s > 86400)
        s = 86400;
    ts.tv_sec = (time_t)floor(s);
    ts.tv_nsec = (long)((s - floor(s)) * 1e9);
    while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
        ts = rem;
    return 0;
}

/* core.now(): wall-clock seconds with sub-second precision. */
static int cs_lua_now(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

/* core.monotonic(): seconds from an arbitrary start, never going backwards. */
static int cs_lua_monotonic(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
    return 1;
}

/* core.timestamp_ms(): the wall clock in whole milliseconds since the epoch, as a decimal
 * string (the U-Timestamp-Ms header). Formatted here: tostring of the integer goes through
 * snprintf, ~2 k instructions per call. */
static int cs_lua_timestamp_ms(lua_State *L)
{
    struct timespec ts;
    char buf[24], *p = buf + sizeof buf;
    unsigned long long ms;
    clock_gettime(CLOCK_REALTIME, &ts);
    ms = (unsigned long long)ts.tv_sec * 1000u + (unsigned long long)(ts.tv_nsec / 1000000);
    do {
        *--p = (char)('0' + ms % 10);
        ms /= 10;
    } while (ms);
    lua_pushlstring(L, p, (size_t)(buf + sizeof buf - p));
    return 1;
}

/* These share the state's flatten scratch and SHA1 context as upvalues 1 and 2. */
static const luaL_Reg scratch_funcs[] = {
    {"sign", cs_lua_sign},
    {"encode", cs_lua_encode},
    {"form_encode", cs_lua_form_encode},
    {NULL, NULL},
};

static const luaL_Reg funcs[] = {
    {"flatten", cs_lua_flatten},
    {"json_decode", cs_lua_json_decode},
    {"form_decode", cs_lua_form_decode},
    {"sleep", cs_lua_sleep},
    {"now", cs_lua_now},
    {"monotonic", cs_lua_monotonic},
    {"timestamp_ms", cs_lua_timestamp_ms},
    {"file_mode", cs_lua_file_mode},
    {"mkdir_private", cs_lua_mkdir_private},
    {"write_private", cs_lua_write_private},
    {"fsync", cs_lua_fsync},
    {"lock", cs_lua_lock},
    {NULL, NULL},
};

CS_EXPORT int luaopen_compshare_core(lua_State *L);
CS_EXPORT int luaopen_compshare_core(lua_State *L)
{
    const luaL_Reg *r;
    cs_newlib(L, funcs);
    cs_flat_push(L);
    cs_sign_push_digest(L);
    for (r = scratch_funcs; r->name; r++) {
        lua_pushvalue(L, -2);
        lua_pushvalue(L, -2);
        lua_pushcclosure(L, r->func, 2);
        lua_setfield(L, -4, r->name);
    }
    lua_pop(L, 2);
    lua_pushliteral(L, COMPSHARE_VERSION);
    lua_setfield(L, -2, "VERSION");
    lua_createtable(L, 0, 3); /* core.DEFAULTS: read by the Lua library, not copied there */
    lua_pushnumber(L, CS_DEFAULT_TIMEOUT);
    lua_setfield(L, -2, "timeout");
    lua_pushinteger(L, CS_DEFAULT_CONCURRENCY);
    lua_setfield(L, -2, "concurrency");
    lua_pushinteger(L, (lua_Integer)CS_MAX_BODY);
    lua_setfield(L, -2, "max_body");
    lua_setfield(L, -2, "DEFAULTS");
    cs_session_open(L);
    return 1;
}
