/* fsinfo.h - file system calls the Lua side cannot make portably. */
#ifndef COMPSHARE_FSINFO_H
#define COMPSHARE_FSINFO_H

#include <sys/types.h>

#include "compat.h"

/* Push nil, "<path>: <strerror(e)>" and return 2: the Lua results of a failed file call. */
int cs_push_path_error(lua_State *L, const char *path, int e);

/* open(2), again when a signal interrupts it. */
int cs_open_retrying(const char *path, int flags, mode_t mode);

/* core.file_mode(path) -> permission bits (e.g. 384 for 0600), or nil, message. */
int cs_lua_file_mode(lua_State *L);

/* core.mkdir_private(path) -> true (made, mode 0700), false (a directory already), or nil, message. */
int cs_lua_mkdir_private(lua_State *L);

/* core.write_private(path, data) -> true, or nil, message: writes PATH.tmp with mode 0600,
 * fsyncs it and renames it over path, so readers see the old file or the new one. */
int cs_lua_write_private(lua_State *L);

#endif
