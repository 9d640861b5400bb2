/* xfer.h - one HTTP transfer on a reusable curl easy handle, and the session that owns them.
 *
 * Everything a transfer allocates (header list, response buffers) lives in a cs_xfer
 * inside the session userdata, so a Lua error can never leak it: the next transfer or
 * the session's close/__gc frees it. */
#ifndef COMPSHARE_XFER_H
#define COMPSHARE_XFER_H

#include <curl/curl.h>

#include "compat.h"

#define CS_SESSION_MT "compshare.session"
/* Request and response bodies (and response headers) larger than this are refused. */
#define CS_MAX_BODY ((size_t)64 * 1024 * 1024)
#define CS_DEFAULT_TIMEOUT 30.0

typedef struct {
    char *data;
    size_t len, cap;
} cs_buf;

typedef struct {
    CURL *easy;
    struct curl_slist *headers;
    cs_buf body, head;
    int too_big, no_memory; /* why a write callback stopped the transfer */
    int in_multi;           /* added to the session's multi handle */
    int index;              /* batch: 1-based position of the request */
    int configured;         /* the session's constant options are set on the handle */
    long timeout_ms;        /* the timeout last set on the handle (0: none yet) */
    char errbuf[CURL_ERROR_SIZE];
} cs_xfer;

typedef struct {
    cs_xfer main;   /* request(): the one keep-alive handle */
    cs_xfer **pool; /* batch(): handles reused across batches */
    int npool;
    CURLM *multi; /* created on the first batch */
    int verify;
    char *cainfo, *user_agent;
    int closed;
} cs_session;

/* The request table at `idx` (request number `pos` of a batch, 0 for request()) checked;
 * raises on a programming mistake. With x == NULL it only checks; otherwise it also sets
 * up x for the transfer and pushes the body string (or nil), which must stay referenced
 * until the transfer ends. Returns CURLE_OK, or an error code (with the message in
 * x->errbuf) when the request cannot be sent, e.g. a body over CS_MAX_BODY. */
CURLcode cs_xfer_prepare(lua_State *L, int idx, int pos, cs_session *s, cs_xfer *x);

/* After the transfer: pushes the response table and returns 1, or pushes
 * nil, kind, message, sent and returns 4. */
int cs_xfer_result(lua_State *L, cs_xfer *x, CURLcode rc);

/* Pushes {error=kind, message=, sent=} or the response: the batch form of a result. */
void cs_xfer_result_entry(lua_State *L, cs_xfer *x, CURLcode rc);

/* Frees buffers that grew large and the header list; keeps the handle. */
void cs_xfer_release(cs_xfer *x);

/* Creates the easy handle of a zeroed x; 0 on success. */
int cs_xfer_init(cs_xfer *x);

/* Frees everything, including the easy handle (removing it from `multi` if needed). */
void cs_xfer_free(cs_xfer *x, CURLM *multi);

/* session:batch(reqs, concurrency) (batch.c). */
int cs_session_batch(lua_State *L);

/* The open session at index 1, or a Lua error. */
cs_session *cs_check_session(lua_State *L);

#endif
