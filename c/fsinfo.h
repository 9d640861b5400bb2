/* fsinfo.h - file metadata the Lua side cannot get portably (permission bits). */
#ifndef COMPSHARE_FSINFO_H
#define COMPSHARE_FSINFO_H

#include "compat.h"

/* core.file_mode(path) -> permission bits (e.g. 384 for 0600), or nil, message. */
int cs_lua_file_mode(lua_State *L);

#endif
