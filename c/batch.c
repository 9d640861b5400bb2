/* batch.c - session:batch(reqs, concurrency): many requests at once over the multi interface,
 * on a pool of easy handles kept in the session. Results come back in request order.
 *
 * reqs is a list of request tables, checked before anything is sent, or a function that gives
 * the next one (nil when there are no more): the batch then starts sending the first requests
 * while the caller is still preparing the rest, and asks for more in the time it would otherwise
 * spend waiting for answers (it sets up `concurrency` handles: the caller, knowing how many
 * requests there can be, passes no more). A bad request from a function raises when started; the
 * transfers still running are then left attached, and the next batch (or close) detaches them.
 * With a digest function, each finished result is given to digest(i, result) once nothing is
 * left to start (or at the end), and what it answers is the result.
 *
 * The multi handle is driven by curl_multi_socket_action over our own poll() of the sockets
 * libcurl asks us to watch: each turn runs only the transfers whose socket is ready or whose
 * timer is due (curl_multi_perform walks every attached transfer each time). */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "batch.h"
#include "defaults.h"
#include "session.h"

#if LIBCURL_VERSION_NUM >= 0x075400
#define CS_POLL_FAILED CURLM_UNRECOVERABLE_POLL
#else
#define CS_POLL_FAILED CURLM_INTERNAL_ERROR
#endif

/* The sockets and the timer libcurl asks the batch to watch (CURLMOPT_SOCKETFUNCTION and
 * CURLMOPT_TIMERFUNCTION); lives in the session, as long as the multi handle. */
struct cs_watch {
    CURLM *multi;
    struct pollfd *fds; /* fds[i] is assigned to its socket in libcurl as i + 1 */
    int nfds, cap;
    struct pollfd *ready; /* a copy of the ready entries of one wake-up (acting changes fds) */
    long long deadline;   /* ms on the monotonic clock when libcurl's timer expires; -1: none */
};

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int on_timer(CURLM *multi, long ms, void *ud)
{
    cs_watch *w = ud;
    (void)multi;
    w->deadline = ms < 0 ? -1 : now_ms() + ms;
    return 0;
}

/* Room for one more socket; -1 when out of memory. */
static int watch_reserve(cs_watch *w)
{
    int cap = w->cap ? w->cap * 2 : 64;
    struct pollfd *fds, *ready;
    if (w->nfds < w->cap)
        return 0;
    if (!(fds = realloc(w->fds, (size_t)cap * sizeof *fds)))
        return -1;
    w->fds = fds;
    if (!(ready = realloc(w->ready, (size_t)cap * sizeof *ready)))
        return -1;
    w->ready = ready;
    w->cap = cap;
    return 0;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *ud, void *socketp)
{
    cs_watch *w = ud;
    int i = (int)(intptr_t)socketp - 1; /* -1: not watched yet */
    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (i >= 0 && i < w->nfds && --w->nfds > i) { /* the last entry takes its place */
            w->fds[i] = w->fds[w->nfds];
            curl_multi_assign(w->multi, w->fds[i].fd, (void *)(intptr_t)(i + 1));
        }
        return 0;
    }
    if (i < 0 || i >= w->nfds || w->fds[i].fd != fd) {
        if (watch_reserve(w) != 0)
            return -1;
        i = w->nfds++;
        w->fds[i].fd = fd;
        curl_multi_assign(w->multi, fd, (void *)(intptr_t)(i + 1));
    }
    w->fds[i].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) | ((what & CURL_POLL_OUT) ? POLLOUT : 0));
    return 0;
}

/* The multi handle, driven through w; 0 on success. */
static int ready_multi(cs_session *s)
{
    cs_watch *w = s->watch;
    if (!w && !(w = s->watch = calloc(1, sizeof *w)))
        return -1;
    if (!s->multi) {
        if (!(s->multi = curl_multi_init()))
            return -1;
        w->multi = s->multi;
        w->nfds = 0;
        w->deadline = -1;
        curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, w);
        curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, on_timer);
        curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, w);
    }
    return 0;
}

/* The socket_action mask for what poll() saw on a socket. */
static int ready_mask(short r)
{
    return ((r & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) | ((r & POLLOUT) ? CURL_CSELECT_OUT : 0) |
           ((r & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
}

/* Waits at most `most` ms (0: not at all) for a watched socket or libcurl's timer, then lets
 * libcurl act on each socket that is ready and on its timer when due. */
static CURLMcode wait_and_act(cs_watch *w, int most)
{
    int i, n = 0, running, wait = most;
    CURLMcode mc = CURLM_OK;
    if (w->deadline >= 0) {
        long long left = w->deadline - now_ms();
        wait = left <= 0 ? 0 : left < wait ? (int)left : wait;
    }
    if (poll(w->fds, (nfds_t)w->nfds, wait) < 0 && errno != EINTR)
        return CS_POLL_FAILED;
    for (i = 0; i < w->nfds; i++) /* acting on one socket may change fds: act on a copy */
        if (w->fds[i].revents)
            w->ready[n++] = w->fds[i];
    for (i = 0; i < n && mc == CURLM_OK; i++)
        mc = curl_multi_socket_action(w->multi, w->ready[i].fd, ready_mask(w->ready[i].revents), &running);
    if (mc == CURLM_OK && w->deadline >= 0 && w->deadline <= now_ms())
        mc = curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    return mc;
}

void cs_batch_free(cs_session *s)
{
    int i;
    for (i = 0; i < s->npool; i++) {
        cs_xfer_free(s->pool[i], s->multi);
        free(s->pool[i]);
    }
    free(s->pool);
    s->pool = NULL;
    s->npool = 0;
    if (s->multi)
        curl_multi_cleanup(s->multi); /* its last socket callbacks still find the watch */
    s->multi = NULL;
    if (s->watch) {
        free(s->watch->fds);
        free(s->watch->ready);
        free(s->watch);
    }
    s->watch = NULL;
}


/* The multi handle and at least `want` pooled easy handles, none still attached; 0 on success. */
static int ready_pool(cs_session *s, int want)
{
    int i;
    if (ready_multi(s) != 0)
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
    /* Keep a connection for every pooled handle between batches, with room for those being set
     * up or given up (a failed connect, a request that needs a fresh connection). libcurl's
     * default keeps 4 per handle still attached, so the last transfers of a batch, as they
     * detached, closed all but a few connections and the next batch connected anew. */
    curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS, 2L * s->npool);
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
    int reqs, results, anchors, feed; /* stack indexes (feed: 0 for a list) */
    int digest, queue;                /* stack indexes (digest: 0 when none) */
    int fetched, next;                /* requests in reqs so far; the next one to start */
    int queued, digested;             /* results in queue so far; those given to digest */
    int active;
} batch_state;

/* Requests started together before libcurl is asked to send them. */
#define CS_BATCH_CHUNK 32
/* Results given to digest between two looks at the network. */
#define CS_DIGEST_CHUNK 8

/* Appends the feed's next request to reqs; 0 when it has no more (and is then dropped). */
static int fetch(batch_state *b)
{
    lua_State *L = b->L;
    if (!b->feed)
        return 0;
    lua_pushvalue(L, b->feed);
    lua_call(L, 0, 1);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        b->feed = 0;
        return 0;
    }
    lua_rawseti(L, b->reqs, ++b->fetched); /* checked when started: a bad one raises then */
    return 1;
}

/* True when a request is there to start, fetching it from the feed if needed. */
static int has_next(batch_state *b)
{
    return b->next <= b->fetched || fetch(b);
}

/* Stores the result of x at its position and frees what the transfer held. */
static void finish(batch_state *b, cs_xfer *x, CURLcode rc)
{
    cs_xfer_result_entry(b->L, x, rc);
    lua_rawseti(b->L, b->results, x->index);
    lua_pushnil(b->L);
    lua_rawseti(b->L, b->anchors, x->index);
    cs_xfer_release(x);
    if (b->digest) {
        lua_pushinteger(b->L, x->index);
        lua_rawseti(b->L, b->queue, ++b->queued);
    }
}

/* Gives digest(i, result) at most `most` finished results; its answer replaces the result. */
static void digest_some(batch_state *b, int most)
{
    lua_State *L = b->L;
    for (; most > 0 && b->digested < b->queued; most--) {
        int i;
        lua_rawgeti(L, b->queue, ++b->digested);
        i = (int)lua_tointeger(L, -1);
        lua_pushvalue(L, b->digest);
        lua_insert(L, -2);
        lua_rawgeti(L, b->results, i);
        lua_call(L, 2, 1);
        lua_rawseti(L, b->results, i);
    }
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

/* One turn: starts what the free slots allow (a chunk at most), lets libcurl send and receive,
 * collects what finished. Waits for the network only when there is nothing else to do; else,
 * once every slot is busy, fetches a chunk of the feed's requests ahead, or when there is
 * nothing left to start, digests a few finished results. */
static void turn(batch_state *b, int k)
{
    int i, more;
    CURLMcode mc = CURLM_OK;
    for (i = 0; i < CS_BATCH_CHUNK && b->active < k && has_next(b); i++)
        start(b, b->next++);
    more = b->active < k ? has_next(b) : b->feed != 0;
    if (b->active > 0)
        mc = wait_and_act(b->s->watch, more || b->digested < b->queued ? 0 : 1000);
    collect(b);
    if (mc == CURLM_OK && b->active >= k && b->feed)
        for (i = 0; i < CS_BATCH_CHUNK && fetch(b); i++)
            ;
    else if (!more)
        digest_some(b, CS_DIGEST_CHUNK);
    if (mc != CURLM_OK)
        abort_active(b, mc);
}

/* Reads the arguments: reqs (checked up front when a list), concurrency, digest. */
static int batch_args(lua_State *L, batch_state *b)
{
    int i, k;
    b->feed = lua_isfunction(L, 2) ? 2 : 0;
    if (!b->feed)
        luaL_checktype(L, 2, LUA_TTABLE);
    k = (int)luaL_optinteger(L, 3, CS_DEFAULT_CONCURRENCY);
    luaL_argcheck(L, k >= 1, 3, "concurrency must be at least 1");
    if (!lua_isnoneornil(L, 4))
        luaL_checktype(L, 4, LUA_TFUNCTION);
    b->digest = lua_isnoneornil(L, 4) ? 0 : 4;
    lua_settop(L, 4);
    if (b->feed) {
        lua_newtable(L); /* 5: the requests fetched so far */
        b->reqs = 5;
        b->fetched = 0;
        return k;
    }
    lua_pushnil(L); /* 5: unused */
    b->reqs = 2;
    b->fetched = (int)cs_rawlen(L, 2);
    for (i = 1; i <= b->fetched; i++) { /* raise on a bad request before anything is sent */
        lua_rawgeti(L, 2, i);
        cs_xfer_check(L, -1, i);
        lua_pop(L, 1);
    }
    return k < b->fetched ? k : b->fetched;
}

int cs_session_batch(lua_State *L)
{
    cs_session *s = cs_check_session(L);
    batch_state b;
    int k = batch_args(L, &b);
    lua_createtable(L, b.fetched, 0); /* 6: results */
    lua_createtable(L, b.fetched, 0); /* 7: anchors */
    lua_newtable(L);                  /* 8: queue, the finished results not digested yet */
    b.L = L;
    b.s = s;
    b.results = 6;
    b.anchors = 7;
    b.queue = 8;
    b.next = 1;
    b.queued = b.digested = b.active = 0;
    if (has_next(&b) && ready_pool(s, k) != 0)
        return luaL_error(L, "compshare: out of memory setting up the batch");
    while (b.active > 0 || has_next(&b))
        turn(&b, k);
    digest_some(&b, b.queued);
    lua_settop(L, 6);
    return 1;
}
