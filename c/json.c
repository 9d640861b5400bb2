/* json.c - core.json_decode(text): a JSON text to Lua values, as lua-cjson decodes them (what
 * compshare.json used before): numbers as floats, null as the light userdata NULL (cjson.null),
 * strings as their bytes (raw control bytes kept, \u escapes as UTF-8, surrogate pairs joined, a
 * lone surrogate refused), at most 128 levels of nesting, a repeated key keeps its last value,
 * nothing but white space after the value, no leading zeros, no hex, NaN or Infinity, and the
 * text ends at its first NUL byte.
 *
 * What makes it cheaper than lua-cjson: the members of an object or array are collected on the
 * Lua stack and each table is made once at its final size (no rehash while it fills; past 1,024
 * members it is made then and filled directly, so the stack stays bounded), strings without
 * escapes are pushed straight from the text, and whole numbers of up to 15 digits are read
 * without strtod. */
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_DEPTH 128
#define FLUSH 1024 /* members collected on the stack before the table is made */

typedef struct {
    lua_State *L;
    const char *start, *p, *end; /* *end is a NUL: the text's, or the first one in it */
    int depth;
    const char *err; /* the first problem, or NULL */
} dec;

/* The bytes that end an escape-free run of a string: the quote, a backslash and NUL (the text
 * ends in one), so a scan needs one table look-up per byte and no bounds check. */
static const unsigned char STOP[256] = {[0] = 1, ['"'] = 1, ['\\'] = 1};

static int fail(dec *d, const char *what)
{
    if (!d->err)
        d->err = what;
    return 0;
}

static void skip_space(dec *d)
{
    while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r'))
        d->p++;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return 0;
    }
    *out = v;
    return 1;
}

static void add_utf8(luaL_Buffer *b, unsigned c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    luaL_addlstring(b, u, n);
}

/* The escapes of a string whose first backslash is at d->p; s is its first byte. */
static int escaped_string(dec *d, const char *s)
{
    luaL_Buffer b;
    const char *p = d->p;
    luaL_buffinit(d->L, &b);
    luaL_addlstring(&b, s, (size_t)(p - s));
    while (p < d->end && *p != '"') {
        const char *run = p;
        unsigned c, lo;
        while (!STOP[(unsigned char)*p])
            p++;
        luaL_addlstring(&b, run, (size_t)(p - run));
        if (p >= d->end || *p == '"')
            break;
        if (++p >= d->end)
            break;
        switch (*p++) {
        case '"': luaL_addchar(&b, '"'); break;
        case '\\': luaL_addchar(&b, '\\'); break;
        case '/': luaL_addchar(&b, '/'); break;
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'u':
            if (d->end - p < 4 || !hex4(p, &c))
                goto bad_unicode;
            p += 4;
            if (c >= 0xDC00 && c <= 0xDFFF)
                goto bad_unicode;
            if (c >= 0xD800 && c <= 0xDBFF) {
                if (d->end - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    goto bad_unicode;
                p += 6;
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
            }
            add_utf8(&b, c);
            break;
        default:
            luaL_pushresult(&b);
            lua_pop(d->L, 1);
            return fail(d, "invalid escape code");
        }
    }
    luaL_pushresult(&b);
    if (p >= d->end) {
        lua_pop(d->L, 1);
        return fail(d, "unterminated string");
    }
    d->p = p + 1;
    return 1;
bad_unicode:
    luaL_pushresult(&b);
    lua_pop(d->L, 1);
    return fail(d, "invalid unicode escape code");
}

/* A string at d->p (its opening quote); pushes it. */
static int string(dec *d)
{
    const char *s = ++d->p, *p = s;
    while (!STOP[(unsigned char)*p])
        p++;
    if (*p == '"') { /* no escapes: straight from the text */
        lua_pushlstring(d->L, s, (size_t)(p - s));
        d->p = p + 1;
        return 1;
    }
    if (p >= d->end)
        return fail(d, "unterminated string");
    d->p = p;
    return escaped_string(d, s);
}

static int number(dec *d)
{
    const char *p = d->p, *digits;
    char *stop;
    double v;
    if (*p == '-')
        p++;
    digits = p;
    if (p >= d->end || *p < '0' || *p > '9')
        return fail(d, "invalid number");
    if (*p == '0' && p + 1 < d->end && ((p[1] >= '0' && p[1] <= '9') || p[1] == 'x' || p[1] == 'X'))
        return fail(d, "invalid number");
    while (p < d->end && *p >= '0' && *p <= '9')
        p++;
    if (p - digits <= 15 && (p >= d->end || (*p != '.' && *p != 'e' && *p != 'E'))) {
        double n = 0; /* a whole number of up to 15 digits is exact as a double */
        const char *q;
        for (q = digits; q < p; q++)
            n = n * 10 + (*q - '0');
        lua_pushnumber(d->L, (lua_Number)(*d->p == '-' ? -n : n));
        d->p = p;
        return 1;
    }
    v = strtod(d->p, &stop); /* the text ends in a NUL, so strtod stops inside it */
    if (stop == d->p)
        return fail(d, "invalid number");
    lua_pushnumber(d->L, (lua_Number)v);
    d->p = stop;
    return 1;
}

static int literal(dec *d, const char *word, size_t n)
{
    if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n) != 0)
        return fail(d, "invalid token");
    d->p += n;
    return 1;
}

static int value(dec *d);

/* Moves the n members collected above `base` into a table made at their size, leaving only
 * the table above base; returns its index. Objects set their key/value pairs in order, so a
 * repeated key keeps its last value. */
static int make_table(lua_State *L, int base, int n, int object)
{
    int i, t;
    if (object)
        lua_createtable(L, 0, n);
    else
        lua_createtable(L, n, 0);
    t = lua_gettop(L);
    for (i = 0; i < n; i++) {
        if (object) {
            lua_pushvalue(L, base + 1 + 2 * i);
            lua_pushvalue(L, base + 2 + 2 * i);
            lua_rawset(L, t);
        } else {
            lua_pushvalue(L, base + 1 + i);
            lua_rawseti(L, t, i + 1);
        }
    }
    lua_replace(L, base + 1);
    lua_settop(L, base + 1);
    return base + 1;
}

/* An object or array at d->p; pushes its table. */
static int container(dec *d, int object)
{
    lua_State *L = d->L;
    int base = lua_gettop(L), n = 0, t = 0;
    char close = object ? '}' : ']';
    if (++d->depth > MAX_DEPTH)
        return fail(d, "too many nested data structures");
    d->p++;
    skip_space(d);
    if (d->p < d->end && *d->p == close) {
        d->p++;
        d->depth--;
        lua_createtable(L, 0, 0);
        return 1;
    }
    for (;;) {
        if ((n & 15) == 0) /* room for the next 16 members (2 slots each) and a string's buffer */
            luaL_checkstack(L, 40, "compshare: JSON text too deeply nested");
        if (object) {
            skip_space(d);
            if (d->p >= d->end || *d->p != '"')
                return fail(d, "expected an object key string");
            if (!string(d))
                return 0;
            skip_space(d);
            if (d->p >= d->end || *d->p != ':')
                return fail(d, "expected a colon");
            d->p++;
        }
        if (!value(d))
            return 0;
        if (t) { /* the table exists already: straight in */
            if (object)
                lua_rawset(L, t);
            else
                lua_rawseti(L, t, n + 1);
        }
        n++;
        if (!t && n == FLUSH)
            t = make_table(L, base, n, object);
        skip_space(d);
        if (d->p < d->end && *d->p == ',') {
            d->p++;
            continue;
        }
        if (d->p < d->end && *d->p == close) {
            d->p++;
            break;
        }
        return fail(d, object ? "expected a comma or an object end" : "expected a comma or an array end");
    }
    if (!t)
        make_table(L, base, n, object);
    d->depth--;
    return 1;
}

static int value(dec *d)
{
    skip_space(d);
    if (d->p >= d->end)
        return fail(d, "expected a value but found the end");
    switch (*d->p) {
    case '{':
        return container(d, 1);
    case '[':
        return container(d, 0);
    case '"':
        return string(d);
    case 't':
        if (!literal(d, "true", 4))
            return 0;
        lua_pushboolean(d->L, 1);
        return 1;
    case 'f':
        if (!literal(d, "false", 5))
            return 0;
        lua_pushboolean(d->L, 0);
        return 1;
    case 'n':
        if (!literal(d, "null", 4))
            return 0;
        lua_pushlightuserdata(d->L, NULL);
        return 1;
    default:
        if (*d->p == '-' || (*d->p >= '0' && *d->p <= '9'))
            return number(d);
        return fail(d, "invalid token");
    }
}

int cs_lua_json_decode(lua_State *L)
{
    size_t len;
    dec d;
    int top;
    d.start = d.p = luaL_checklstring(L, 1, &len);
    d.end = memchr(d.start, '\0', len); /* a NUL byte ends the text, as for lua-cjson */
    if (!d.end)
        d.end = d.start + len;
    d.L = L;
    d.depth = 0;
    d.err = NULL;
    lua_settop(L, 1);
    top = lua_gettop(L);
    if (value(&d)) {
        skip_space(&d);
        if (d.p == d.end)
            return 1;
        fail(&d, "expected the end");
    }
    lua_settop(L, top);
    lua_pushnil(L);
    lua_pushfstring(L, "%s at character %d", d.err, (int)(d.p - d.start) + 1);
    return 2;
}
