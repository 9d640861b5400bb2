/* form.c - application/x-www-form-urlencoded, as Go's url.QueryEscape does it. */
#include <stdlib.h>
#include <string.h>

#include "form.h"

static const char HEX[] = "0123456789ABCDEF";

/* How each byte is written: 0 as it is (A-Z a-z 0-9 - _ . ~), 1 as '+' (space), 2 as %XX. */
static const unsigned char ESCAPE[256] = {
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, /* ' ' .. '?' */
    2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 0, /* '@' .. '_' */
    2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 0, 2, /* '`' .. DEL */
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

size_t cs_form_escape(const char *s, size_t n, char *out)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    unsigned char any = 0;
    char *o = out;
    for (; p + 4 <= end; p += 4) /* most keys and values have nothing to escape: one copy then */
        any |= ESCAPE[p[0]] | ESCAPE[p[1]] | ESCAPE[p[2]] | ESCAPE[p[3]];
    while (p < end)
        any |= ESCAPE[*p++];
    if (!any) {
        cs_put(out, s, n);
        return n;
    }
    for (p = (const unsigned char *)s; p < end; p++) {
        if (ESCAPE[*p] == 0) {
            *o++ = (char)*p;
        } else if (ESCAPE[*p] == 1) {
            *o++ = '+';
        } else {
            *o++ = '%';
            *o++ = HEX[*p >> 4];
            *o++ = HEX[*p & 15];
        }
    }
    return (size_t)(o - out);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t cs_form_unescape(const char *s, size_t n, char *out)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%' && i + 2 < n &&
                   (hi = hexval(s[i + 1])) >= 0 && (lo = hexval(s[i + 2])) >= 0) {
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i]; /* a stray '%' is kept as it is */
        }
    }
    return o;
}

size_t cs_form_room(const cs_flat *f)
{
    return CS_FORM_MAX(f->bytes) + 2 * f->npairs; /* '=' and '&' for each pair */
}

size_t cs_form_write_pairs(const cs_flat *f, char *out)
{
    size_t i, n = 0;
    for (i = 0; i < f->npairs; i++) {
        const cs_pair *p = CS_PAIR(f, i);
        if (i)
            out[n++] = '&';
        n += cs_form_escape(p->key, p->klen, out + n);
        out[n++] = '=';
        n += cs_form_escape(p->val, p->vlen, out + n);
    }
    return n;
}

/* core.form_encode{key = value, ...} -> body, keys sorted by bytes (upvalue 1: the scratch). */
int cs_lua_form_encode(lua_State *L)
{
    cs_flat *f;
    char *out;
    luaL_checktype(L, 1, LUA_TTABLE);
    f = cs_flat_scratch(L);
    cs_flatten(L, 1, f);
    out = cs_flat_out(L, f, cs_form_room(f) + 1);
    cs_flat_push_out(L, f, cs_form_write_pairs(f, out));
    cs_flat_trim(f);
    return 1;
}

/* core.form_decode(body) -> {key = value}; a repeated key keeps its last value. */
int cs_lua_form_decode(lua_State *L)
{
    size_t n, start = 0, i;
    const char *s = luaL_checklstring(L, 1, &n);
    char *buf = (char *)lua_newuserdata(L, n + 1);
    lua_newtable(L);
    for (i = 0; i <= n; i++) {
        if (i == n || s[i] == '&') {
            if (i > start) {
                const char *eq = (const char *)memchr(s + start, '=', i - start);
                size_t klen = eq ? (size_t)(eq - (s + start)) : i - start;
                size_t k = cs_form_unescape(s + start, klen, buf);
                lua_pushlstring(L, buf, k);
                if (eq) {
                    size_t v = cs_form_unescape(eq + 1, (size_t)(s + i - eq - 1), buf);
                    lua_pushlstring(L, buf, v);
                } else {
                    lua_pushliteral(L, "");
                }
                lua_rawset(L, -3);
            }
            start = i + 1;
        }
    }
    return 1;
}
