/* batch.c - session:batch(reqs, concurrency): many requests at once over the multi interface,
 * on a pool of easy handles kept in the session. Results come back in request order. */
#include <stdio.h>
#include <stdlib.h>

#include "batch.h"
#include "defaults.h"
#include "session.h"


/* The multi handle and at least `want` pooled easy handles, none still attached; 0 on success. */
static int ready_pool(cs_session *s, int want)
{
    int i;
    if (!s->multi && !(s->multi = curl_multi_init()))
        return -1;
    for (i = 0; i < s->npool; i++) {
        if (s->pool[i]->in_multi) /* left over from a batch a Lua error cut short */
            curl_multi_remove_handle(s->multi, s->pool[i]->easy);
        s->pool[i]->in_multi = 0;
    }
    if (s->npool < want) {
        cs_xfer **pool = realloc(s->pool, (size_t)want * sizeof *pool);
        if (!pool)
            return -1;
        s->pool = pool;
    }
    while (s->npool < want) {
        cs_xfer *x = calloc(1, sizeof *x);
        if (!x || cs_xfer_init(x) != 0) {
            free(x);
            return -1;
        }
        s->pool[s->npool++] = x;
    }
    /* Keep a connection for every pooled handle between batches. libcurl's default keeps 4 per
     * handle still attached, so the last transfers of a batch, as they detach, closed all but a
     * few of them and the next batch connected anew. */
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, (long)s->npool);
    return 0;
}

static cs_xfer *idle_handle(cs_session *s)
{
    int i;
    for (i = 0; i < s->npool; i++)
        if (!s->pool[i]->in_multi)
            return s->pool[i];
    return NULL;
}

typedef struct {
    lua_State *L;
    cs_session *s;
    int reqs, results, anchors; /* stack indexes */
    int active;
} batch_state;

/* Stores the result of x at its position and frees what the transfer held. */
static void finish(batch_state *b, cs_xfer *x, CURLcode rc)
{
    cs_xfer_result_entry(b->L, x, rc);
    lua_rawseti(b->L, b->results, x->index);
    lua_pushnil(b->L);
    lua_rawseti(b->L, b->anchors, x->index);
    cs_xfer_release(x);
}

static void start(batch_state *b, int i)
{
    lua_State *L = b->L;
    cs_xfer *x = idle_handle(b->s);
    CURLcode rc;
    lua_rawgeti(L, b->reqs, i);
    rc = cs_xfer_prepare(L, -1, i, &b->s->opts, x);
    lua_rawseti(L, b->anchors, i); /* the body stays alive until the transfer ends */
    lua_pop(L, 1);
    x->index = i;
    if (rc == CURLE_OK) {
        if (curl_multi_add_handle(b->s->multi, x->easy) == CURLM_OK) {
            x->in_multi = 1;
            b->active++;
            return;
        }
        rc = CURLE_OUT_OF_MEMORY;
    }
    finish(b, x, rc);
}

/* Collects the finished transfers. */
static void collect(batch_state *b)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(b->s->multi, &left))) {
        char *p = NULL;
        cs_xfer *x;
        CURLcode rc = msg->data.result;
        CURL *easy = msg->easy_handle;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
        x = (cs_xfer *)p;
        curl_multi_remove_handle(b->s->multi, easy);
        x->in_multi = 0;
        b->active--;
        finish(b, x, rc);
    }
}

/* The multi interface itself failed: every transfer still running ends with that error. */
static void abort_active(batch_state *b, CURLMcode mc)
{
    int i;
    for (i = 0; i < b->s->npool; i++) {
        cs_xfer *x = b->s->pool[i];
        if (!x->in_multi)
            continue;
        curl_multi_remove_handle(b->s->multi, x->easy);
        x->in_multi = 0;
        b->active--;
        snprintf(x->errbuf, sizeof x->errbuf, "curl multi interface: %s", curl_multi_strerror(mc));
        finish(b, x, CURLE_FAILED_INIT);
    }
}

int cs_session_batch(lua_State *L)
{
    cs_session *s = cs_check_session(L);
    batch_state b;
    int n, k, i, next = 1;
    luaL_checktype(L, 2, LUA_TTABLE);
    n = (int)cs_rawlen(L, 2);
    k = (int)luaL_optinteger(L, 3, CS_DEFAULT_CONCURRENCY);
    luaL_argcheck(L, k >= 1, 3, "concurrency must be at least 1");
    if (k > n)
        k = n;
    lua_settop(L, 3);
    for (i = 1; i <= n; i++) { /* raise on a bad request before anything is sent */
        lua_rawgeti(L, 2, i);
        cs_xfer_check(L, -1, i);
        lua_pop(L, 1);
    }
    lua_createtable(L, n, 0);
    lua_createtable(L, n, 0);
    b.L = L;
    b.s = s;
    b.reqs = 2;
    b.results = 4;
    b.anchors = 5;
    b.active = 0;
    if (n > 0 && ready_pool(s, k) != 0)
        return luaL_error(L, "compshare: out of memory setting up the batch");
    while (next <= n || b.active > 0) {
        int running;
        CURLMcode mc;
        while (next <= n && b.active < k)
            start(&b, next++);
        mc = curl_multi_perform(s->multi, &running);
        collect(&b);
        if (mc == CURLM_OK && b.active > 0 && (next > n || b.active >= k))
            mc = curl_multi_poll(s->multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK)
            abort_active(&b, mc);
    }
    lua_settop(L, 4);
    return 1;
}
