/* flatten.c - nested Lua parameters to sorted flat key/value strings. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flatten.h"

#define FLAT_MT "compshare.flat"

static int flat_gc(lua_State *L)
{
    cs_flat *f = (cs_flat *)lua_touserdata(L, 1);
    free(f->arena);
    free(f->pairs);
    free(f->spare);
    free(f->prefix);
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
    f->used = f->npairs = 0;
    return f;
}

#define KEEP ((size_t)1024 * 1024) /* scratch buffers larger than this are freed after a use */

void cs_flat_trim(cs_flat *f)
{
    if (f->cap > KEEP) {
        free(f->arena);
        f->arena = NULL;
        f->cap = 0;
    }
    if (f->paircap * sizeof *f->pairs > KEEP || f->sparecap * sizeof *f->spare > KEEP) {
        free(f->pairs);
        free(f->spare);
        f->pairs = f->spare = NULL;
        f->paircap = f->sparecap = 0;
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

void cs_flat_reserve(lua_State *L, cs_flat *f, size_t n)
{
    if (f->used + n + 1 > f->cap)
        f->arena = (char *)grow(L, f->arena, &f->cap, f->used + n + 1, 1);
}

size_t cs_flat_append(lua_State *L, cs_flat *f, const char *s, size_t n)
{
    size_t off = f->used;
    cs_flat_reserve(L, f, n);
    if (n)
        memcpy(f->arena + off, s, n);
    f->used += n;
    f->arena[f->used] = '\0'; /* a NUL after the last string only: the next append overwrites it */
    return off;
}

/* Decimal digits of v into out (room for 21); returns the length. No snprintf: signing
 * formats an integer for every number and array index. */
static size_t format_integer(long long v, char *out)
{
    char tmp[24];
    size_t n = 0, len = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
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
 * counting keys alone would take {1, 2, [4] = x, [3.5] = y} for 1..4. */
static int is_array(lua_State *L, int idx, size_t *n)
{
    size_t len = cs_rawlen(L, idx), count = 0;
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

static void add_pair(walker *w, const char *v, size_t vlen)
{
    cs_flat *f = w->f;
    cs_pair *p;
    if (f->npairs + 1 > f->paircap)
        f->pairs = (cs_pair *)grow(w->L, f->pairs, &f->paircap, f->npairs + 1, sizeof *f->pairs);
    cs_flat_reserve(w->L, f, w->plen + vlen); /* key and value in one reservation */
    p = &f->pairs[f->npairs++];
    p->key = f->used;
    p->klen = w->plen;
    memcpy(f->arena + f->used, w->f->prefix, w->plen);
    f->used += w->plen;
    p->val = f->used;
    p->vlen = vlen;
    memcpy(f->arena + f->used, v, vlen);
    f->used += vlen;
    f->arena[f->used] = '\0';
}

static void walk(walker *w, int idx, int depth);

static void walk_value(walker *w, int idx, int depth)
{
    lua_State *L = w->L;
    char num[400];
    size_t n;
    const char *s;

    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
        s = lua_tolstring(L, idx, &n);
        add_pair(w, s, n);
        break;
    case LUA_TNUMBER:
        n = format_number(L, idx, num, sizeof num);
        add_pair(w, num, n);
        break;
    case LUA_TBOOLEAN:
        if (lua_toboolean(L, idx))
            add_pair(w, "true", 4);
        else
            add_pair(w, "false", 5);
        break;
    case LUA_TTABLE:
        walk(w, idx, depth + 1);
        break;
    default:
        luaL_error(L, "compshare: parameter '%s' is a %s; only strings, numbers, booleans and tables can be sent",
                   w->plen ? w->f->prefix : "?", luaL_typename(L, idx));
    }
}

static void walk(walker *w, int idx, int depth)
{
    lua_State *L = w->L;
    const void *self = lua_topointer(L, idx);
    size_t saved = w->plen, n, i;
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

    if (depth > 0 && is_array(L, idx, &n)) {
        char num[24];
        for (i = 1; i <= n; i++) {
            size_t len = format_integer((long long)(i - 1), num);
            lua_rawgeti(L, idx, (int)i);
            push_prefix(w, num, len);
            walk_value(w, lua_gettop(L), depth);
            w->plen = saved;
            lua_pop(L, 1);
        }
        return;
    }
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        size_t klen;
        const char *k;
        if (lua_type(L, -2) != LUA_TSTRING) {
            w->f->prefix[saved] = '\0';
            luaL_error(L, "compshare: parameter table '%s' mixes array items and named fields (or has a %s key)",
                       saved ? w->f->prefix : "(top level)", luaL_typename(L, -2));
        }
        k = lua_tolstring(L, -2, &klen);
        push_prefix(w, k, klen);
        walk_value(w, lua_gettop(L), depth);
        w->plen = saved;
        lua_pop(L, 1);
    }
}

static int key_less(const cs_flat *f, const cs_pair *x, const cs_pair *y)
{
    const unsigned char *a = (const unsigned char *)f->arena + x->key, *b = (const unsigned char *)f->arena + y->key;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c;
    if (n && a[0] != b[0]) /* most keys differ in their first byte: no memcmp call */
        return a[0] < b[0];
    c = memcmp(a, b, n);
    return c < 0 || (c == 0 && x->klen < y->klen);
}

/* Stable bottom-up merge sort by key bytes (qsort has no context pointer). */
static void sort_pairs(lua_State *L, cs_flat *f)
{
    size_t n = f->npairs, width, i;
    cs_pair *a, *b, *t;
    if (n < 2)
        return;
    if (n > f->sparecap)
        f->spare = (cs_pair *)grow(L, f->spare, &f->sparecap, n, sizeof *f->spare);
    a = f->pairs;
    b = f->spare;
    for (width = 1; width < n; width *= 2) {
        for (i = 0; i < n; i += 2 * width) {
            size_t lo = i, mid = i + width < n ? i + width : n;
            size_t hi = i + 2 * width < n ? i + 2 * width : n, l = lo, r = mid, k = lo;
            while (l < mid && r < hi)
                b[k++] = key_less(f, &a[r], &a[l]) ? a[r++] : a[l++];
            while (l < mid)
                b[k++] = a[l++];
            while (r < hi)
                b[k++] = a[r++];
        }
        t = a;
        a = b;
        b = t;
    }
    if (a != f->pairs)
        memcpy(f->pairs, a, n * sizeof *a);
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
    sort_pairs(L, f);
    for (i = 1; i < f->npairs; i++)
        if (f->pairs[i].klen == f->pairs[i - 1].klen &&
            (f->pairs[i].klen == 0 || CS_KEY(f, i)[0] == CS_KEY(f, i - 1)[0]) &&
            memcmp(CS_KEY(f, i), CS_KEY(f, i - 1), f->pairs[i].klen) == 0) {
            lua_pushlstring(L, CS_KEY(f, i), f->pairs[i].klen); /* arena keys end at klen, not at a NUL */
            luaL_error(L, "compshare: parameter '%s' is given twice", lua_tostring(L, -1));
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
    lua_createtable(L, (int)f->npairs, 0);
    for (i = 0; i < f->npairs; i++) {
        lua_createtable(L, 2, 0);
        lua_pushlstring(L, CS_KEY(f, i), f->pairs[i].klen);
        lua_rawseti(L, -2, 1);
        lua_pushlstring(L, CS_VAL(f, i), f->pairs[i].vlen);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, -2, (int)i + 1);
    }
    return 1;
}
