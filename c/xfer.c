/* xfer.c - one HTTP transfer: request table -> easy handle options, response -> Lua. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xfer.h"

#define SMALL_BUFFER ((size_t)256 * 1024) /* larger buffers are freed after each use */

/* ---- buffers and callbacks ---------------------------------------------------- */

/* Room in b for `need` bytes in all; -1 when out of memory. */
static int buf_reserve(cs_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 16384;
    char *data;
    if (need <= b->cap)
        return 0;
    while (cap < need)
        cap *= 2;
    data = realloc(b->data, cap);
    if (!data)
        return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

static int buf_append(cs_xfer *x, cs_buf *b, const char *p, size_t len)
{
    if (len > CS_MAX_BODY - b->len) {
        x->too_big = 1;
        return -1;
    }
    if (buf_reserve(b, b->len + len) != 0) {
        x->no_memory = 1;
        return -1;
    }
    memcpy(b->data + b->len, p, len);
    b->len += len;
    return 0;
}

static void buf_free(cs_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    cs_xfer *x = ud;
    return buf_append(x, &x->body, p, size * n) == 0 ? size * n : 0;
}

/* A Content-Length sizes the body buffer once (no doubling and copying while it arrives);
 * the claim is trusted only up to CS_MAX_BODY, past which on_body refuses the body anyway. */
static void presize_body(cs_xfer *x, const char *p, const char *end)
{
    size_t n = 0;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (size_t)(*p - '0');
        if (n > CS_MAX_BODY)
            return;
    }
    if (!x->nobody && n > x->body.cap) {
        char *data = realloc(x->body.data, n);
        if (data) { /* else on_body grows it as usual, or fails */
            x->body.data = data;
            x->body.cap = n;
        }
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    cs_xfer *x = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
        x->head.len = 0; /* a new response (after 100 Continue): forget the last one */
    else if (len > 15 && (p[0] == 'C' || p[0] == 'c') && strncasecmp(p, "content-length:", 15) == 0)
        presize_body(x, p + 15, p + len);
    return buf_append(x, &x->head, p, len) == 0 ? len : 0;
}

/* ---- the request table ---------------------------------------------------------- */

static int bad_request(lua_State *L, int pos, const char *what)
{
    if (pos > 0)
        return luaL_error(L, "compshare: request %d: %s", pos, what);
    return luaL_error(L, "compshare: request: %s", what);
}

/* The string field `name` of the table at idx (pushed), or NULL when absent. */
static const char *opt_string(lua_State *L, int idx, int pos, const char *name, size_t *len)
{
    const char *s;
    lua_getfield(L, idx, name);
    if (lua_isnil(L, -1))
        return NULL;
    if (lua_type(L, -1) != LUA_TSTRING)
        bad_request(L, pos, lua_pushfstring(L, "%s must be a string, got %s", name, luaL_typename(L, -1)));
    s = lua_tolstring(L, -1, len);
    return s;
}

static int is_token(const char *s, size_t len)
{
    size_t i;
    if (len == 0)
        return 0;
    for (i = 0; i < len; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("!#$%&'*+-.^_`|~", s[i]))
            return 0;
    return 1;
}

static int is_header_value(const char *s, size_t len)
{
    return strlen(s) == len && !strpbrk(s, "\r\n");
}

/* Puts the NUL-terminated line of len bytes at x->tail, the next place in x's header list, which
 * is kept from the last request: a node holding a line of the same length is rewritten in place
 * (the lines are mostly the last request's, and U-Timestamp-Ms keeps its length), which saves a
 * malloc and a free per line; otherwise the rest of the old list goes and the line is appended. */
static int put_line(cs_xfer *x, const char *line, size_t len)
{
    struct curl_slist *n = *x->tail;
    if (n && strlen(n->data) == len) {
        memcpy(n->data, line, len);
    } else {
        *x->tail = NULL;
        curl_slist_free_all(n);
        n = curl_slist_append(NULL, line);
        if (!n)
            return -1;
        *x->tail = n;
    }
    x->tail = &n->next;
    return 0;
}

/* Puts "Name: value" in x's header list ("Name;" is curl's way to send an empty value), built
 * in a stack buffer when it fits (no Lua string per header). */
static void add_header_line(lua_State *L, cs_xfer *x, const char *name, size_t nlen, const char *value,
                            size_t vlen)
{
    char small[256], *line;
    size_t len = nlen + (vlen ? 2 + vlen : 1);
    int rc;
    line = len < sizeof small ? small : malloc(len + 1);
    if (!line)
        luaL_error(L, "compshare: out of memory");
    memcpy(line, name, nlen);
    if (vlen) {
        memcpy(line + nlen, ": ", 2);
        memcpy(line + nlen + 2, value, vlen);
    } else {
        line[nlen] = ';';
    }
    line[len] = '\0';
    rc = put_line(x, line, len);
    if (line != small)
        free(line);
    if (rc != 0)
        luaL_error(L, "compshare: out of memory");
}

/* Checks the headers table at t (nil or {name = value}) and, when x is not NULL, appends its
 * "Name: value" lines to x->headers in the same pass; tells whether it names a User-Agent. */
static int read_headers(lua_State *L, int t, int pos, cs_xfer *x)
{
    int user_agent = 0;
    if (lua_isnil(L, t))
        return 0;
    if (!lua_istable(L, t))
        bad_request(L, pos, "headers must be a table of name = value");
    lua_pushnil(L);
    while (lua_next(L, t)) {
        size_t nlen, vlen;
        const char *name, *value;
        int vt = lua_type(L, -1);
        if (lua_type(L, -2) != LUA_TSTRING)
            bad_request(L, pos, "header names must be strings");
        if (vt != LUA_TSTRING && vt != LUA_TNUMBER)
            bad_request(L, pos, "header values must be strings or numbers");
        lua_pushvalue(L, -1); /* tolstring on a copy keeps lua_next's number keys intact */
        value = lua_tolstring(L, -1, &vlen);
        name = lua_tolstring(L, -3, &nlen);
        if (!is_token(name, nlen))
            bad_request(L, pos, lua_pushfstring(L, "bad header name '%s'", name));
        if (!is_header_value(value, vlen))
            bad_request(L, pos, lua_pushfstring(L, "header '%s' has a line break or NUL in its value", name));
        if (nlen == 10 && strncasecmp(name, "user-agent", 10) == 0)
            user_agent = 1;
        if (x)
            add_header_line(L, x, name, nlen, value, vlen);
        lua_pop(L, 2);
    }
    return user_agent;
}

/* The method options. The handle keeps options between requests, so every path sets all
 * of them: POST state, NOBODY and CUSTOMREQUEST (HTTPGET clears POST and NOBODY). */
static void set_method(CURL *e, const char *method, const char *body, size_t blen)
{
    if (body || strcmp(method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") != 0 ? method : NULL);
        return;
    }
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, NULL); /* no pointer to an earlier request's body */
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST,
                     strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 ? method : NULL);
}

/* The options that are the same for every request of the session, set once per handle. */
static void set_constant(const cs_xfer_opts *s, cs_xfer *x)
{
    CURL *e = x->easy;
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, s->verify ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, s->verify ? 2L : 0L);
    if (s->cainfo)
        curl_easy_setopt(e, CURLOPT_CAINFO, s->cainfo);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L); /* the default, said: a redirect is never followed */
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    x->configured = 1;
}

/* A request that is not retry-safe gets a new connection (never a kept-alive one: libcurl
 * resends a request by itself only when a reused connection died before answering) and
 * HTTP/1.1 (no HTTP/2 stream of it shares a connection that another transfer reuses). */
static void set_fresh(cs_xfer *x, int fresh)
{
    if (fresh == x->fresh)
        return;
    curl_easy_setopt(x->easy, CURLOPT_FRESH_CONNECT, fresh ? 1L : 0L);
    curl_easy_setopt(x->easy, CURLOPT_HTTP_VERSION,
                     fresh ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_NONE);
    x->fresh = fresh;
}

/* The session's User-Agent, for a request whose headers name none. libcurl formats the option
 * into a header line before every request even when a header of the request replaces it (~4 k
 * instructions), so it is set only while it is used. */
static void set_user_agent(const cs_xfer_opts *s, cs_xfer *x, int needed)
{
    if (needed == x->user_agent)
        return;
    curl_easy_setopt(x->easy, CURLOPT_USERAGENT, needed ? s->user_agent : NULL);
    x->user_agent = needed;
}

/* The per-request options: timeout (when it changed), header list, URL, method. */
static void set_request(cs_xfer *x, long timeout_ms, const char *url, const char *method, const char *body,
                        size_t blen)
{
    CURL *e = x->easy;
    if (timeout_ms != x->timeout_ms) {
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
        x->timeout_ms = timeout_ms;
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
    curl_easy_setopt(e, CURLOPT_URL, url);
    set_method(e, method, body, blen);
}

/* The fields of a request table, checked. Their Lua values stay pushed (see read_request). */
typedef struct {
    const char *url, *method, *body;
    size_t blen;
    long timeout_ms;
    int fresh;      /* retry_safe = false: a new connection (set_fresh) */
    int user_agent; /* the headers name a User-Agent (set_user_agent) */
} request;

/* Reads and checks the request table at idx: pushes its url, method, timeout, headers and
 * body (5 values, so the strings stay alive) and fills r; raises on a mistake. With x, the
 * header lines go to x->headers as they are checked. */
static void read_request(lua_State *L, int idx, int pos, request *r, cs_xfer *x)
{
    size_t ulen = 0, mlen = 0;
    double timeout;

    if (!lua_istable(L, idx))
        bad_request(L, pos, lua_pushfstring(L, "expected a table, got %s", luaL_typename(L, idx)));
    r->url = opt_string(L, idx, pos, "url", &ulen);
    if (!r->url || strlen(r->url) != ulen || ulen == 0)
        bad_request(L, pos, "url must be a non-empty string");
    r->method = opt_string(L, idx, pos, "method", &mlen);
    if (!r->method)
        r->method = "POST";
    else if (mlen > 16 || !is_token(r->method, mlen))
        bad_request(L, pos, "method must be an HTTP method name such as \"POST\"");
    lua_getfield(L, idx, "timeout");
    if (!lua_isnil(L, -1) && (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) > 0)))
        bad_request(L, pos, "timeout must be a positive number of seconds");
    timeout = lua_isnil(L, -1) ? CS_DEFAULT_TIMEOUT : lua_tonumber(L, -1);
    if (timeout > 86400.0 * 365)
        timeout = 86400.0 * 365;
    r->timeout_ms = (long)(timeout * 1000.0 + 0.5) > 0 ? (long)(timeout * 1000.0 + 0.5) : 1L;
    lua_getfield(L, idx, "retry_safe"); /* a boolean, so popped: the 5 pushed values stay as they are */
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
        bad_request(L, pos, "retry_safe must be a boolean");
    r->fresh = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, idx, "headers");
    r->user_agent = read_headers(L, lua_gettop(L), pos, x);
    r->blen = 0;
    r->body = opt_string(L, idx, pos, "body", &r->blen);
}

static int absolute(lua_State *L, int idx)
{
    return idx < 0 ? lua_gettop(L) + idx + 1 : idx;
}

void cs_xfer_check(lua_State *L, int idx, int pos)
{
    int top = lua_gettop(L);
    request r;
    read_request(L, absolute(L, idx), pos, &r, NULL);
    lua_settop(L, top);
}

CURLcode cs_xfer_prepare(lua_State *L, int idx, int pos, const cs_xfer_opts *o, cs_xfer *x)
{
    int top = lua_gettop(L);
    request r;

    x->tail = &x->headers;
    if (put_line(x, "Expect:", 7) != 0) /* no 100-continue round trip */
        luaL_error(L, "compshare: out of memory");
    read_request(L, absolute(L, idx), pos, &r, x); /* on a mistake, the next prepare rewrites the list */
    curl_slist_free_all(*x->tail); /* what is left of the last request's list */
    *x->tail = NULL;
    if (!x->configured)
        set_constant(o, x);
    x->body.len = x->head.len = 0;
    x->too_big = x->no_memory = 0;
    x->nobody = !r.body && strcmp(r.method, "HEAD") == 0; /* set_method sets NOBODY for it */
    x->errbuf[0] = '\0';
    lua_replace(L, top + 1); /* the body (or nil) stays referenced */
    lua_settop(L, top + 1);
    if (r.blen > CS_MAX_BODY) {
        snprintf(x->errbuf, sizeof x->errbuf, "request body of %lu bytes is over the %lu MB limit",
                 (unsigned long)r.blen, (unsigned long)(CS_MAX_BODY >> 20));
        return CURLE_FILESIZE_EXCEEDED;
    }
    set_fresh(x, r.fresh);
    set_user_agent(o, x, !r.user_agent);
    set_request(x, r.timeout_ms, r.url, r.method, r.body, r.blen);
    return CURLE_OK;
}

/* ---- results ------------------------------------------------------------------ */

/* Number of lines in the header buffer: at most one header each (sizes the table once). */
static int count_lines(const char *p, const char *end)
{
    int n = 0;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* Pushes the headers of the response head p[0..len) (a copy, lower-cased in place) as
 * {lower-case name = value}; repeated names are joined by ", ". */
static void push_headers(lua_State *L, char *p, size_t len)
{
    char *end = p + len;
    lua_createtable(L, 0, count_lines(p, end));
    while (p < end) {
        char *eol = memchr(p, '\n', (size_t)(end - p)), *colon, *v, *ve, *c;
        if (!eol)
            eol = end;
        colon = memchr(p, ':', (size_t)(eol - p));
        if (colon && colon > p) {
            for (c = p; c < colon; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c + ('a' - 'A')); /* ASCII only: no locale lookup per byte */
            for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
                ;
            for (ve = eol; ve > v && isspace((unsigned char)ve[-1]); ve--)
                ;
            lua_pushlstring(L, p, (size_t)(colon - p));
            lua_pushvalue(L, -1);
            lua_rawget(L, -3);
            if (lua_isstring(L, -1)) {
                lua_pushliteral(L, ", ");
                lua_pushlstring(L, v, (size_t)(ve - v));
                lua_concat(L, 3);
            } else {
                lua_pop(L, 1);
                lua_pushlstring(L, v, (size_t)(ve - v));
            }
            lua_rawset(L, -3);
        }
        p = eol + 1;
    }
}

/* __index of a response: res.headers, made from the raw head (the response's metatable's [1])
 * on first access and stored in res as a plain table; any other missing field is nil. Most
 * callers read no header of a successful answer, so most answers never pay for the table. */
static int response_index(lua_State *L)
{
    size_t len;
    const char *head, *key = lua_tostring(L, 2);
    char *copy;
    if (!key || lua_type(L, 2) != LUA_TSTRING || strcmp(key, "headers") != 0 || !lua_getmetatable(L, 1))
        return 0;
    lua_rawgeti(L, -1, 1);
    head = lua_tolstring(L, -1, &len);
    if (!head)
        return 0;
    copy = lua_newuserdata(L, len + 1); /* push_headers lower-cases the names in place */
    memcpy(copy, head, len);
    push_headers(L, copy, len);
    lua_pushvalue(L, -1);
    lua_setfield(L, 1, "headers");
    return 1;
}

/* The response {status, body, headers}: headers on first access (response_index). */
static void push_response(lua_State *L, cs_xfer *x)
{
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)status);
    lua_setfield(L, -2, "status");
    lua_pushlstring(L, x->body.data ? x->body.data : "", x->body.len);
    lua_setfield(L, -2, "body");
    lua_createtable(L, 1, 1);
    lua_pushlstring(L, x->head.data ? x->head.data : "", x->head.len);
    lua_rawseti(L, -2, 1);
    lua_pushcfunction(L, response_index);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

/* What went wrong: kind, message and whether the request may have reached the server. */
static const char *failure(cs_xfer *x, CURLcode rc, const char **message, int *sent)
{
    curl_off_t pretransfer = 0;
    const char *kind = "transport";
    curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    *sent = pretransfer > 0; /* the connection was up and the request about to go */
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        kind = "timeout";
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        kind = "connect";
        *sent = 0;
        break;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        kind = "reset";
        *sent = 1;
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
        kind = "tls";
        *sent = 0;
        break;
    case CURLE_FILESIZE_EXCEEDED: /* cs_xfer_prepare refused the request body */
        *sent = 0;
        break;
    case CURLE_WRITE_ERROR:
        if (x->too_big)
            snprintf(x->errbuf, sizeof x->errbuf, "response is over the %lu MB limit",
                     (unsigned long)(CS_MAX_BODY >> 20));
        else if (x->no_memory)
            snprintf(x->errbuf, sizeof x->errbuf, "out of memory reading the response");
        break;
    default:
        break;
    }
    *message = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
    return kind;
}

int cs_xfer_result(lua_State *L, cs_xfer *x, CURLcode rc)
{
    const char *kind, *message;
    int sent;
    if (rc == CURLE_OK) {
        push_response(L, x);
        return 1;
    }
    kind = failure(x, rc, &message, &sent);
    lua_pushnil(L);
    lua_pushstring(L, kind);
    lua_pushstring(L, message);
    lua_pushboolean(L, sent);
    return 4;
}

void cs_xfer_result_entry(lua_State *L, cs_xfer *x, CURLcode rc)
{
    const char *kind, *message;
    int sent;
    if (rc == CURLE_OK) {
        push_response(L, x);
        return;
    }
    kind = failure(x, rc, &message, &sent);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "error");
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
    lua_pushboolean(L, sent);
    lua_setfield(L, -2, "sent");
}

/* ---- lifetime ----------------------------------------------------------------- */

int cs_xfer_init(cs_xfer *x)
{
    x->easy = curl_easy_init();
    return x->easy ? 0 : -1;
}

void cs_xfer_release(cs_xfer *x)
{
    if (x->body.cap > SMALL_BUFFER)
        buf_free(&x->body);
    if (x->head.cap > SMALL_BUFFER)
        buf_free(&x->head);
    x->body.len = x->head.len = 0;
}

void cs_xfer_free(cs_xfer *x, CURLM *multi)
{
    if (x->easy) {
        if (x->in_multi && multi)
            curl_multi_remove_handle(multi, x->easy);
        curl_easy_cleanup(x->easy);
    }
    x->easy = NULL;
    x->in_multi = 0;
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    buf_free(&x->body);
    buf_free(&x->head);
}
