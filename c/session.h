/* session.h - the libcurl session userdata (keep-alive, timeouts, TLS, batch). */
#ifndef COMPSHARE_SESSION_H
#define COMPSHARE_SESSION_H

#include "compat.h"

/* Registers the session metatable and sets core.session / core.curl_version
 * in the module table at the top of the stack. */
void cs_session_open(lua_State *L);

#endif
