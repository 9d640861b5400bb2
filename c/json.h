/* json.h - core.json_decode (json.c). */
#ifndef COMPSHARE_JSON_H
#define COMPSHARE_JSON_H

#include "compat.h"

/* core.json_decode(text) -> value, or nil, message (see json.c for what it accepts). */
int cs_lua_json_decode(lua_State *L);

#endif
