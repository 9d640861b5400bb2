/* flatten.c - nested Lua parameters to sorted flat key/value strings. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flatten.h"

#define FLAT_MT "compshare.flat"
#define NUMBER_MAX 400 /* room for any number format_number writes */

static int flat_gc(lua_State *L)
{
    cs_flat *f = (cs_flat *)lua_touserdata(L, 1);
    free(f->arena);
    free(f->pairs);
    free(f->sorted);
    free(f->spare);
    free(f->prefix);
    free(f->out);
    memset(f, 0, sizeof *f);
    return 0;
}

cs_flat *cs_flat_push(lua_State *L)
{
    cs_flat *f = (cs_flat *)lua_newuserdata(L, sizeof *f);
    memset(f, 0, sizeof *f);
    if (luaL_newmetatable(L, FLAT_MT)) {
        lua_pushcfunction(L, flat_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return f;
}

cs_flat *cs_flat_scratch(lua_State *L)
{
    cs_flat *f = (cs_flat *)lua_touserdata(L, lua_upvalueindex(1));
    if (f->busy) /* a finalizer signing while a call copies its answer out of f */
        f = cs_flat_push(L);
    f->used = f->npairs = 0;
    return f;
}

void cs_flat_push_out(lua_State *L, cs_flat *f, size_t n)
{
    f->busy = 1; /* LuaJIT may run a GC step, and so finalizers, before it copies */
    lua_pushlstring(L, f->out, n);
    f->busy = 0;
}

#define KEEP ((size_t)1024 * 1024) /* scratch buffers larger than this are freed after a use */

void cs_flat_trim(cs_flat *f)
{
    if (f->cap > KEEP) {
        free(f->arena);
        f->arena = NULL;
        f->cap = 0;
    }
    if (f->outcap > KEEP) {
        free(f->out);
        f->out = NULL;
        f->outcap = 0;
    }
    if (f->paircap * sizeof *f->pairs > KEEP) {
        free(f->pairs);
        f->pairs = NULL;
        f->paircap = 0;
    }
    if (f->sortcap * sizeof *f->sorted > KEEP) {
        free(f->sorted);
        free(f->spare);
        f->sorted = f->spare = NULL;
        f->sortcap = 0;
    }
    f->used = f->npairs = 0;
}

static void *grow(lua_State *L, void *p, size_t *cap, size_t need, size_t size)
{
    size_t ncap = *cap ? *cap : 16;
    void *np;
    while (ncap < need) {
        if (ncap > ((size_t)-1) / 2 / size)
            luaL_error(L, "compshare: parameters too large");
        ncap *= 2;
    }
    np = realloc(p, ncap * size);
    if (np == NULL)
        luaL_error(L, "compshare: out of memory");
    *cap = ncap;
    return np;
}

/* Room for n more arena bytes (and one spare); the arena may move, which is why pairs keep
 * offsets into it until the walk is over. */
static char *arena_room(lua_State *L, cs_flat *f, size_t n)
{
    if (f->used + n + 1 > f->cap)
        f->arena = (char *)grow(L, f->arena, &f->cap, f->used + n + 1, 1);
    return f->arena + f->used;
}

char *cs_flat_out(lua_State *L, cs_flat *f, size_t n)
{
    if (n >= f->outcap) { /* at least one byte: never a NULL buffer */
        free(f->out); /* nothing to keep: no realloc copy */
        f->out = NULL;
        f->outcap = 0;
        f->out = (char *)grow(L, NULL, &f->outcap, n, 1);
    }
    return f->out;
}

/* Decimal digits of v into out (room for 21); returns the length. No snprintf: signing
 * formats an integer for every number and array index. */
static size_t format_integer(long long v, char *out)
{
    char tmp[24];
    size_t n = 0, len = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    if (v >= 0 && v < 10) { /* array indexes and small counts */
        out[0] = (char)('0' + v);
        return 1;
    }
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        out[len++] = '-';
    while (n)
        out[len++] = tmp[--n];
    return len;
}

/* Write a number the way the API gateway reads it: integral values with no
 * fraction, others in the shortest form that reads back exactly, and never
 * with an exponent (Go's strconv.FormatFloat(v, 'f', -1, 64)). */
static size_t format_number(lua_State *L, int idx, char *out, size_t outsz)
{
    double v;
    char tmp[64];
    int prec, exp10, decimals;
    const char *e;

    if (cs_isinteger(L, idx))
        return format_integer((long long)cs_tointeger(L, idx), out);
    v = (double)lua_tonumber(L, idx);
    if (isnan(v) || isinf(v))
        luaL_error(L, "compshare: cannot encode %s as a parameter", isnan(v) ? "NaN" : "infinity");
    if (v == floor(v)) {
        if (fabs(v) < 9007199254740992.0) /* 2^53: exact as an integer; -0.0 is "0" */
            return format_integer((long long)v, out);
        return (size_t)snprintf(out, outsz, "%.0f", v);
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    e = strchr(tmp, 'e');
    if (e == NULL)
        return (size_t)snprintf(out, outsz, "%s", tmp);
    exp10 = atoi(e + 1);
    decimals = prec - 1 - exp10;
    if (decimals < 0)
        decimals = 0;
    return (size_t)snprintf(out, outsz, "%.*f", decimals, v);
}

/* Is the table at idx a sequence 1..n with no other keys? Empty counts as one.
 * Every key must be an integer in 1..#t: with holes, #t is any border, and
 * counting keys alone would take {1, 2, [4] = x, [3.5] = y} for 1..4.
 * With #t == 0 the answer is no: an empty table walked as an object gives the
 * same nothing, and a table with other keys is an object. */
static int is_array(lua_State *L, int idx, size_t *n)
{
    size_t len = cs_rawlen(L, idx), count = 0;
    if (len == 0)
        return 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_Number k;
        lua_pop(L, 1);
        count++;
        k = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : 0;
        if (!(k >= 1 && k <= (lua_Number)len && k == floor(k))) {
            lua_pop(L, 1);
            return 0;
        }
    }
    *n = len;
    return count == len;
}

typedef struct {
    lua_State *L;
    cs_flat *f;
    const void *stack[CS_MAX_DEPTH + 1];
    size_t plen; /* length of the key prefix in f->prefix */
} walker;

/* Append '.' (unless the prefix is empty) and s to the prefix; it stays NUL-terminated. */
static void push_prefix(walker *w, const char *s, size_t n)
{
    size_t need = w->plen + n + 2;
    if (need > w->f->pcap)
        w->f->prefix = (char *)grow(w->L, w->f->prefix, &w->f->pcap, need, 1);
    if (w->plen)
        w->f->prefix[w->plen++] = '.';
    memcpy(w->f->prefix + w->plen, s, n);
    w->plen += n;
    w->f->prefix[w->plen] = '\0';
}

/* Room for one more pair, at f->pairs[f->npairs]. */
static inline cs_pair *add_pair(walker *w)
{
    cs_flat *f = w->f;
    if (f->npairs == f->paircap)
        f->pairs = (cs_pair *)grow(w->L, f->pairs, &f->paircap, f->npairs + 1, sizeof *f->pairs);
    return &f->pairs[f->npairs++];
}

/* A new pair for key k under the current prefix, its value still to be set. The key is k
 * itself when there is no prefix and k is a Lua string (lua_key); otherwise prefix.k is
 * written to the arena. */
static cs_pair *new_pair(walker *w, const char *k, size_t klen, int lua_key)
{
    cs_flat *f = w->f;
    cs_pair *p = add_pair(w);
    if (lua_key && w->plen == 0) {
        p->key = k;
        p->klen = klen;
    } else {
        size_t dot = w->plen ? 1 : 0;
        char *o = arena_room(w->L, f, w->plen + dot + klen);
        o = cs_put(o, f->prefix, w->plen);
        if (dot)
            *o++ = '.';
        cs_put(o, k, klen);
        p->key = NULL;
        p->koff = f->used;
        p->klen = w->plen + dot + klen;
        f->used += p->klen;
    }
    return p;
}

static void walk(walker *w, int idx, int depth);

/* The value at idx, of Lua type type, under key k: a pair, or a nested table walked. */
static void walk_value(walker *w, int idx, int type, const char *k, size_t klen, int lua_key, int depth)
{
    lua_State *L = w->L;
    size_t saved = w->plen;
    cs_pair *p;

    switch (type) {
    case LUA_TSTRING:
        p = new_pair(w, k, klen, lua_key);
        p->val = lua_tolstring(L, idx, &p->vlen);
        break;
    case LUA_TNUMBER:
        p = new_pair(w, k, klen, lua_key);
        p->val = NULL;
        p->voff = w->f->used;
        p->vlen = format_number(L, idx, arena_room(L, w->f, NUMBER_MAX), NUMBER_MAX);
        w->f->used += p->vlen;
        break;
    case LUA_TBOOLEAN:
        p = new_pair(w, k, klen, lua_key);
        p->val = lua_toboolean(L, idx) ? "true" : "false";
        p->vlen = strlen(p->val);
        break;
    case LUA_TTABLE:
        push_prefix(w, k, klen);
        walk(w, idx, depth + 1);
        w->plen = saved;
        break;
    default:
        push_prefix(w, k, klen);
        luaL_error(L, "compshare: parameter '%s' is a %s; only strings, numbers, booleans and tables can be sent",
                   w->plen ? w->f->prefix : "?", luaL_typename(L, idx));
    }
}

/* Refuse nesting too deep and cycles; the prefix is NUL-terminated for the messages. */
static void enter(walker *w, int idx, int depth)
{
    lua_State *L = w->L;
    const void *self = lua_topointer(L, idx);
    int d;

    if (w->plen + 1 > w->f->pcap) /* only the top level: push_prefix leaves room for the NUL */
        w->f->prefix = (char *)grow(L, w->f->prefix, &w->f->pcap, w->plen + 1, 1);
    w->f->prefix[w->plen] = '\0';
    if (depth > CS_MAX_DEPTH)
        luaL_error(L, "compshare: parameter '%s' is nested deeper than %d levels", w->f->prefix, CS_MAX_DEPTH);
    for (d = 0; d < depth; d++)
        if (w->stack[d] == self)
            luaL_error(L, "compshare: parameter '%s' is a cyclic table", w->f->prefix);
    w->stack[depth] = self;
    luaL_checkstack(L, 4, "compshare: parameters nested too deeply");
}

static void walk(walker *w, int idx, int depth)
{
    lua_State *L = w->L;
    size_t n, i;
    int top;

    enter(w, idx, depth);
    if (depth > 0 && is_array(L, idx, &n)) {
        char num[24];
        top = lua_gettop(L) + 1;
        for (i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, (int)i);
            walk_value(w, top, lua_type(L, top), num, format_integer((long long)(i - 1), num), 0, depth);
            lua_settop(L, top - 1);
        }
        return;
    }
    lua_pushnil(L);
    top = lua_gettop(L); /* lua_next leaves the key here and the value above it */
    while (lua_next(L, idx)) {
        size_t klen;
        const char *k;
        int type;
        if (lua_type(L, top) != LUA_TSTRING) {
            w->f->prefix[w->plen] = '\0';
            luaL_error(L, "compshare: parameter table '%s' mixes array items and named fields (or has a %s key)",
                       w->plen ? w->f->prefix : "(top level)", luaL_typename(L, top));
        }
        k = lua_tolstring(L, top, &klen);
        type = lua_type(L, top + 1);
        if (type == LUA_TSTRING && w->plen == 0) { /* most fields: a string at the top level */
            cs_pair *p = add_pair(w);
            p->key = k;
            p->klen = klen;
            p->val = lua_tolstring(L, top + 1, &p->vlen);
        } else {
            walk_value(w, top + 1, type, k, klen, 1, depth);
        }
        lua_settop(L, top);
    }
}

static uint64_t load_be32(const unsigned char *u)
{
    return (uint64_t)u[0] << 24 | (uint64_t)u[1] << 16 | (uint64_t)u[2] << 8 | (uint64_t)u[3];
}

/* The first 8 bytes of s, big-endian, zero-padded: when two heads differ, they order the
 * keys as their bytes do. Shorter keys are read as two overlapping words (or three bytes),
 * every byte in its place, without a loop and without reading past the key. */
static uint64_t key_head(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    if (n >= 8) /* compilers make these two loads and byte swaps */
        return load_be32(u) << 32 | load_be32(u + 4);
    if (n >= 4)
        return load_be32(u) << 32 | load_be32(u + n - 4) << (8 * (8 - n));
    if (n > 0)
        return (uint64_t)u[0] << 56 | (uint64_t)u[n / 2] << (56 - 8 * (n / 2)) | (uint64_t)u[n - 1] << (64 - 8 * n);
    return 0;
}

/* Is x's key before y's in byte order? */
static int key_less(const cs_sorted *x, const cs_sorted *y)
{
    size_t n;
    int c;
    if (x->head != y->head)
        return x->head < y->head;
    n = x->pair->klen < y->pair->klen ? x->pair->klen : y->pair->klen;
    c = memcmp(x->pair->key, y->pair->key, n);
    return c < 0 || (c == 0 && x->pair->klen < y->pair->klen);
}

#define RUN 32 /* runs this short are insertion-sorted, then merged */

static void insertion_sort(cs_sorted *a, size_t n)
{
    size_t i, j;
    for (i = 1; i < n; i++) {
        cs_sorted x = a[i];
        for (j = i; j > 0 && key_less(&x, &a[j - 1]); j--)
            a[j] = a[j - 1];
        a[j] = x;
    }
}

/* Stable sort of f->sorted by key bytes: insertion-sorted runs, then bottom-up merges
 * (qsort has no context pointer and is not stable). */
static void sort_pairs(cs_flat *f)
{
    size_t n = f->npairs, width, i;
    cs_sorted *a = f->sorted, *b = f->spare, *t;
    for (i = 0; i < n; i += RUN)
        insertion_sort(a + i, n - i < RUN ? n - i : RUN);
    for (width = RUN; width < n; width *= 2) {
        for (i = 0; i < n; i += 2 * width) {
            size_t lo = i, mid = i + width < n ? i + width : n;
            size_t hi = i + 2 * width < n ? i + 2 * width : n, l = lo, r = mid, k = lo;
            while (l < mid && r < hi)
                b[k++] = key_less(&a[r], &a[l]) ? a[r++] : a[l++];
            while (l < mid)
                b[k++] = a[l++];
            while (r < hi)
                b[k++] = a[r++];
        }
        t = a;
        a = b;
        b = t;
    }
    if (a != f->sorted)
        memcpy(f->sorted, a, n * sizeof *a);
}

/* The walk is over and the arena stays where it is: point the pairs at their bytes. */
static void resolve(lua_State *L, cs_flat *f)
{
    size_t i;
    if (f->npairs > f->sortcap) { /* spare first: sortcap never exceeds what both hold */
        size_t cap = f->sortcap;
        f->spare = (cs_sorted *)grow(L, f->spare, &cap, f->npairs, sizeof *f->spare);
        f->sorted = (cs_sorted *)grow(L, f->sorted, &f->sortcap, f->npairs, sizeof *f->sorted);
    }
    f->bytes = 0;
    for (i = 0; i < f->npairs; i++) {
        cs_pair *p = &f->pairs[i];
        f->bytes += p->klen + p->vlen;
        if (p->key == NULL)
            p->key = f->arena + p->koff;
        if (p->val == NULL)
            p->val = f->arena + p->voff;
        f->sorted[i].head = key_head(p->key, p->klen);
        f->sorted[i].pair = p;
    }
}

void cs_flatten(lua_State *L, int idx, cs_flat *f)
{
    walker w;
    size_t i;

    idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
    luaL_checktype(L, idx, LUA_TTABLE);
    w.L = L;
    w.f = f;
    w.plen = 0;
    walk(&w, idx, 0);
    resolve(L, f);
    sort_pairs(f);
    for (i = 1; i < f->npairs; i++) {
        const cs_pair *a = f->sorted[i - 1].pair, *b = f->sorted[i].pair;
        if (f->sorted[i - 1].head == f->sorted[i].head && a->klen == b->klen && memcmp(a->key, b->key, a->klen) == 0) {
            lua_pushlstring(L, b->key, b->klen); /* keys end at klen, not at a NUL */
            luaL_error(L, "compshare: parameter '%s' is given twice", lua_tostring(L, -1));
        }
    }
}

/* Copy the pairs' bytes into f->out and point them there: core.flatten allocates while it
 * builds its answer, and a finalizer run by that could change the table the pairs point into. */
static void own_bytes(lua_State *L, cs_flat *f)
{
    size_t i;
    char *o = cs_flat_out(L, f, f->bytes + 1);
    for (i = 0; i < f->npairs; i++) {
        cs_pair *p = &f->pairs[i];
        memcpy(o, p->key, p->klen);
        p->key = o;
        o += p->klen;
        memcpy(o, p->val, p->vlen);
        p->val = o;
        o += p->vlen;
    }
}

/* core.flatten(params) -> { {key, value}, ... } sorted */
int cs_lua_flatten(lua_State *L)
{
    size_t i;
    cs_flat *f;

    luaL_checktype(L, 1, LUA_TTABLE);
    f = cs_flat_push(L);
    cs_flatten(L, 1, f);
    own_bytes(L, f);
    lua_createtable(L, (int)f->npairs, 0);
    for (i = 0; i < f->npairs; i++) {
        const cs_pair *p = CS_PAIR(f, i);
        lua_createtable(L, 2, 0);
        lua_pushlstring(L, p->key, p->klen);
        lua_rawseti(L, -2, 1);
        lua_pushlstring(L, p->val, p->vlen);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, -2, (int)i + 1);
    }
    return 1;
}
