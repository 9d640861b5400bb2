/* fsync.c - core.fsync(path): Lua's io library can flush a file to the kernel
 * but not to the disk; the workflow journal needs the disk (write a temp file,
 * fsync it, rename it over the journal, fsync the directory). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "fsync.h"

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

int cs_lua_fsync(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int fd, rc, e;
    do {
        fd = open(path, O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        e = errno;
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", path, strerror(e));
        return 2;
    }
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
