/* fsinfo.h - file system calls the Lua side cannot make portably. */
#ifndef COMPSHARE_FSINFO_H
#define COMPSHARE_FSINFO_H

#include "compat.h"

/* core.file_mode(path) -> permission bits (e.g. 384 for 0600), or nil, message. */
int cs_lua_file_mode(lua_State *L);

/* core.mkdir_private(path) -> true (made, mode 0700), false (a directory already), or nil, message. */
int cs_lua_mkdir_private(lua_State *L);

/* core.write_private(path, data) -> true, or nil, message: writes PATH.tmp with mode 0600,
 * fsyncs it and renames it over path, so readers see the old file or the new one. */
int cs_lua_write_private(lua_State *L);

#endif
