/* session.c - libcurl session (placeholder until the transport lands). */
#include "session.h"

void cs_session_open(lua_State *L)
{
    (void)L;
}
