/* fsinfo.c - the file system calls the Lua side cannot make portably: permission
 * bits (core.file_mode, for the "credential file readable by other users" warning),
 * a private directory (core.mkdir_private) and a private file replaced atomically
 * (core.write_private), for `compshare-lua configure`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsinfo.h"

int cs_push_path_error(lua_State *L, const char *path, int e)
{
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", path, strerror(e));
    return 2;
}

int cs_open_retrying(const char *path, int flags, mode_t mode)
{
    int fd;
    do {
        fd = open(path, flags, mode);
    } while (fd < 0 && errno == EINTR);
    return fd;
}

int cs_lua_file_mode(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (stat(path, &st) != 0)
        return cs_push_path_error(L, path, errno);
    lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
    return 1;
}

int cs_lua_mkdir_private(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (mkdir(path, 0700) == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        lua_pushboolean(L, 0);
        return 1;
    }
    return cs_push_path_error(L, path, errno == EEXIST ? ENOTDIR : errno);
}

/* Writes all of data to fd; 0 or an errno. */
static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int cs_lua_write_private(lua_State *L)
{
    size_t len;
    const char *path = luaL_checkstring(L, 1);
    const char *data = luaL_checklstring(L, 2, &len);
    const char *tmp = lua_pushfstring(L, "%s.tmp", path);
    int e = 0;
    int fd = cs_open_retrying(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return cs_push_path_error(L, tmp, errno);
    if (fchmod(fd, 0600) != 0)
        e = errno;
    if (e == 0)
        e = write_all(fd, data, len);
    if (e == 0 && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tmp, path) != 0)
        e = errno;
    if (e != 0) {
        unlink(tmp);
        return cs_push_path_error(L, path, e);
    }
    lua_pushboolean(L, 1);
    return 1;
}
