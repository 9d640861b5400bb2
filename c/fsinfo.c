/* fsinfo.c - core.file_mode: the permission bits of a file, for the
 * "credential file readable by other users" warning. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fsinfo.h"

int cs_lua_file_mode(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        lua_pushnil(L);
        lua_pushfstring(L, "%s: %s", path, strerror(e));
        return 2;
    }
    lua_pushinteger(L, (lua_Integer)(st.st_mode & 07777));
    return 1;
}
