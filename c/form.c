/* form.c - application/x-www-form-urlencoded, as Go's url.QueryEscape does it. */
#include <stdlib.h>
#include <string.h>

#include "form.h"

static const char HEX[] = "0123456789ABCDEF";

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

size_t cs_form_escape(const char *s, size_t n, char *out)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) {
            out[o++] = (char)c;
        } else if (c == ' ') {
            out[o++] = '+';
        } else {
            out[o++] = '%';
            out[o++] = HEX[c >> 4];
            out[o++] = HEX[c & 15];
        }
    }
    return o;
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

/* Append f's pairs to its arena as key=value&key=value, escaped; the caller reserved
 * sum(CS_FORM_MAX(klen + vlen) + 2) bytes past f->used. */
void cs_form_append_pairs(cs_flat *f)
{
    size_t i;
    for (i = 0; i < f->npairs; i++) {
        char *o = f->arena + f->used;
        size_t n = 0;
        if (i)
            o[n++] = '&';
        n += cs_form_escape(CS_KEY(f, i), f->pairs[i].klen, o + n);
        o[n++] = '=';
        n += cs_form_escape(CS_VAL(f, i), f->pairs[i].vlen, o + n);
        f->used += n;
    }
}

/* core.form_encode{key = value, ...} -> body, keys sorted by bytes (upvalue 1: the scratch). */
int cs_lua_form_encode(lua_State *L)
{
    size_t i, room = 0, start;
    cs_flat *f;
    luaL_checktype(L, 1, LUA_TTABLE);
    f = cs_flat_scratch(L);
    cs_flatten(L, 1, f);
    for (i = 0; i < f->npairs; i++)
        room += CS_FORM_MAX(f->pairs[i].klen + f->pairs[i].vlen) + 2;
    cs_flat_reserve(L, f, room);
    start = f->used;
    cs_form_append_pairs(f);
    lua_pushlstring(L, f->arena + start, f->used - start);
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
