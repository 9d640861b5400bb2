/* fsync.c - the journal's file primitives. core.fsync(path): Lua's io library can
 * flush a file to the kernel but not to the disk; the workflow journal needs the
 * disk (write a temp file, fsync it, rename it over the journal, fsync the
 * directory). core.lock(path): one run per journal at a time. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/types.h>
#include <unistd.h>

#include "fsinfo.h"
#include "fsync.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif
#ifndef O_NOFOLLOW
#define O_NOFOLLOW 0
#endif

int cs_lua_fsync(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int fd, rc, e;
    fd = cs_open_retrying(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        return cs_push_path_error(L, path, errno);
    do {
        rc = fsync(fd);
    } while (rc != 0 && errno == EINTR);
    e = errno;
    close(fd);
    if (rc != 0) {
        lua_pushnil(L);
        lua_pushfstring(L, "fsync %s: %s", path, strerror(e));
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* ---- core.lock: one run per journal ---------------------------------------------- */

#define LOCK_MT "compshare.lock"

static int lock_release(lua_State *L)
{
    int *fd = (int *)luaL_checkudata(L, 1, LOCK_MT);
    if (*fd >= 0) {
        close(*fd); /* closing the only descriptor drops the flock */
        *fd = -1;
    }
    return 0;
}

/* core.lock(path) -> lock, or nil, message, busy, refused. An exclusive flock(2) on path
 * (made with mode 0600 when missing, never through a symlink), held until lock:unlock(), the
 * lock's collection, or the process's end (kill -9 too: the kernel drops it). busy is true
 * when another holder has it (another process, or another open in this one); refused is
 * true when path is there but cannot be locked (a symlink, a directory, ...), as opposed to
 * a directory that is missing or not writable (then nothing can be written there at all). */
int cs_lua_lock(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int fd, rc, e, *ud;
    ud = (int *)lua_newuserdata(L, sizeof *ud);
    *ud = -1;
    if (luaL_newmetatable(L, LOCK_MT)) {
        lua_pushcfunction(L, lock_release);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, lock_release);
        lua_setfield(L, -2, "__close");
        lua_newtable(L);
        lua_pushcfunction(L, lock_release);
        lua_setfield(L, -2, "unlock");
        lua_setfield(L, -2, "__index");
    }
    lua_setmetatable(L, -2);
    fd = cs_open_retrying(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        e = errno;
        cs_push_path_error(L, path, e);
        lua_pushboolean(L, 0);
        lua_pushboolean(L, e != ENOENT && e != ENOTDIR && e != EACCES && e != EROFS);
        return 4;
    }
    do {
        rc = flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        e = errno;
        close(fd);
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", path, e == EWOULDBLOCK ? "held by another run" : strerror(e));
        lua_pushboolean(L, e == EWOULDBLOCK);
        return 3;
    }
    *ud = fd;
    return 1;
}
