/* fsync.h - make a file's (or a directory's) contents durable: core.fsync. */
#ifndef COMPSHARE_FSYNC_H
#define COMPSHARE_FSYNC_H

#include "compat.h"

/* core.fsync(path) -> true, or nil, message. path may be a file or a directory
 * (fsync on a directory makes a rename inside it durable). */
int cs_lua_fsync(lua_State *L);

#endif
