/* session.h - the libcurl session userdata: one keep-alive handle for request(), a pool of
 * handles and a multi handle for batch() (batch.h), the shared TLS and user-agent options. */
#ifndef COMPSHARE_SESSION_H
#define COMPSHARE_SESSION_H

#include "compat.h"
#include "xfer.h"

#define CS_SESSION_MT "compshare.session"

typedef struct cs_watch cs_watch; /* batch.c: the sockets and timer of the multi handle */

typedef struct {
    cs_xfer main;   /* request(): the one keep-alive handle */
    cs_xfer **pool; /* batch(): handles reused across batches */
    int npool;
    CURLM *multi; /* created on the first batch */
    cs_watch *watch;
    cs_xfer_opts opts;
    int closed;
} cs_session;

/* The open session at index 1, or a Lua error. */
cs_session *cs_check_session(lua_State *L);

/* Registers the session metatable and sets core.session / core.curl_version
 * in the module table at the top of the stack. */
void cs_session_open(lua_State *L);

#endif
