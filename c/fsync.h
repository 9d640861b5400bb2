/* fsync.h - the journal's file primitives: core.fsync (durable contents), core.lock (one run). */
#ifndef COMPSHARE_FSYNC_H
#define COMPSHARE_FSYNC_H

#include "compat.h"

/* core.fsync(path) -> true, or nil, message. path may be a file or a directory
 * (fsync on a directory makes a rename inside it durable). */
int cs_lua_fsync(lua_State *L);

/* core.lock(path) -> lock, or nil, message, busy, refused: an exclusive flock(2) on path,
 * released by lock:unlock(), the lock's collection or the process's end; refused when path
 * is there but cannot be locked (a symlink, a directory). */
int cs_lua_lock(lua_State *L);

#endif
