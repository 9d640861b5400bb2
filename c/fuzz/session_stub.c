/* session_stub.c - stands in for c/session.c in the fuzz targets: they never
 * do I/O, and this keeps them independent of libcurl. */
#include "../session.h"

void cs_session_open(lua_State *L)
{
    (void)L;
}
