/* xfer.h - one HTTP transfer on a reusable curl easy handle: a request table to the
 * handle's options, the response back to Lua.
 *
 * Everything a transfer allocates (header list, response buffers) lives in its cs_xfer,
 * which lives in the session userdata (session.h), so a Lua error can never leak it: the
 * next transfer or the session's close/__gc frees it. */
#ifndef COMPSHARE_XFER_H
#define COMPSHARE_XFER_H

#include <curl/curl.h>

#include "compat.h"
#include "defaults.h" /* CS_MAX_BODY, CS_DEFAULT_TIMEOUT */

typedef struct {
    char *data;
    size_t len, cap;
} cs_buf;

/* The options every transfer of a session shares (set once per easy handle). */
typedef struct {
    int verify;
    char *cainfo, *user_agent;
} cs_xfer_opts;

typedef struct {
    CURL *easy;
    struct curl_slist *headers; /* kept between requests, rewritten by the next (xfer.c, put_line) */
    struct curl_slist **tail;   /* while a request is prepared: where its next header line goes */
    int nobody;             /* a HEAD request: its Content-Length sizes no buffer */
    cs_buf body, head;
    int too_big, no_memory; /* why a write callback stopped the transfer */
    int in_multi;           /* added to the session's multi handle */
    int index;              /* batch: 1-based position of the request */
    int configured;         /* the session's constant options are set on the handle */
    long timeout_ms;        /* the timeout last set on the handle (0: none yet) */
    int fresh;              /* FRESH_CONNECT + HTTP/1.1 are set on the handle (a request not retry-safe) */
    int user_agent;         /* the session's CURLOPT_USERAGENT is set on the handle */
    char errbuf[CURL_ERROR_SIZE];
} cs_xfer;

/* Checks the request table at `idx` (request number `pos` of a batch, 0 for request());
 * raises on a programming mistake (a missing url, a bad header, ...). Sets nothing up. */
void cs_xfer_check(lua_State *L, int idx, int pos);

/* Checks the request table at `idx` as cs_xfer_check does, then sets up x for the
 * transfer and pushes the body string (or nil), which must stay referenced until the
 * transfer ends. retry_safe = false in it sends the request on a new HTTP/1.1 connection
 * of its own, so libcurl never resends it after a reused connection died (see
 * docs/RELIABILITY.md). Returns CURLE_OK, or an error code (with the message in x->errbuf)
 * when the request cannot be sent, e.g. a body over CS_MAX_BODY. */
CURLcode cs_xfer_prepare(lua_State *L, int idx, int pos, const cs_xfer_opts *o, cs_xfer *x);

/* After the transfer: pushes the response table and returns 1, or pushes
 * nil, kind, message, sent and returns 4. */
int cs_xfer_result(lua_State *L, cs_xfer *x, CURLcode rc);

/* Pushes {error=kind, message=, sent=} or the response: the batch form of a result. */
void cs_xfer_result_entry(lua_State *L, cs_xfer *x, CURLcode rc);

/* Frees buffers that grew large; keeps the handle and the header list. */
void cs_xfer_release(cs_xfer *x);

/* Creates the easy handle of a zeroed x; 0 on success. */
int cs_xfer_init(cs_xfer *x);

/* Frees everything, including the easy handle (removing it from `multi` if needed). */
void cs_xfer_free(cs_xfer *x, CURLM *multi);

#endif
