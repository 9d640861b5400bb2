/* fuzz_encode.c - libFuzzer target for the flatten / encode / sign path.
 *
 * The input bytes are read as a little program that builds a nested parameter
 * table: strings with any bytes, integers, raw doubles (NaN, infinities,
 * subnormals), booleans, arrays, objects, odd keys (empty, dotted, '&', '=',
 * '%', NUL, UTF-8, numbers, booleans) and references back to an enclosing
 * table (cycles). c/fuzz/fuzz_encode.lua then checks core.encode, core.sign
 * and core.flatten against each other and against core.form_decode. */
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>
#include <openssl/evp.h>

#include "harness.h"

#define MAX_NEST 40 /* a little past CS_MAX_DEPTH, to reach the depth check */

typedef struct {
    const uint8_t *p;
    size_t n;
} reader;

static uint8_t next_byte(reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static void push_bytes(lua_State *L, reader *r, size_t len)
{
    if (len > r->n)
        len = r->n;
    lua_pushlstring(L, (const char *)r->p, len);
    r->p += len;
    r->n -= len;
}

static uint64_t next_u64(reader *r)
{
    uint64_t v = 0;
    int i;
    for (i = 0; i < 8; i++)
        v = (v << 8) | next_byte(r);
    return v;
}

static const char *const odd_keys[] = {
    "", ".", "..", "a.b", "Signature", "Action", "Disks", "0", "1", "Tags.10", "Tags.2",
    "&", "=", "%", "%4", "%zz", "+", " ", "\xc3\xa9", "\xff", "Name\n",
};

static void push_key(lua_State *L, reader *r)
{
    uint8_t b = next_byte(r);
    switch (b % 8) {
    case 5:
        lua_pushstring(L, odd_keys[next_byte(r) % (sizeof odd_keys / sizeof *odd_keys)]);
        break;
    case 6:
        lua_pushinteger(L, (int8_t)next_byte(r)); /* a number key: arrays or mixed tables */
        break;
    case 7:
        if (next_byte(r) & 1)
            lua_pushnumber(L, 1.5);
        else
            lua_pushboolean(L, 1);
        break;
    default:
        push_bytes(L, r, next_byte(r) % 16);
    }
}

/* Push one value built from the reader. `top` is the stack index of the
 * outermost table (for cycles); depth counts enclosing tables. */
static void push_value(lua_State *L, reader *r, int top, int depth)
{
    uint8_t op = next_byte(r) % 12;
    int i, count;
    uint64_t bits;
    double d;

    if (depth >= MAX_NEST && op >= 7)
        op = 0;
    luaL_checkstack(L, 4, "fuzz: nesting");
    switch (op) {
    case 0:
    case 1:
        push_bytes(L, r, next_byte(r) % 64);
        break;
    case 2:
        lua_pushinteger(L, (lua_Integer)next_u64(r));
        break;
    case 3:
        lua_pushinteger(L, (int8_t)next_byte(r));
        break;
    case 4:
        bits = next_u64(r);
        memcpy(&d, &bits, sizeof d);
        lua_pushnumber(L, d);
        break;
    case 5: /* a fraction with a scale, e.g. -1234 / 2^17 */
        bits = next_u64(r);
        lua_pushnumber(L, (double)(int16_t)bits / (double)(1u << (bits >> 16) % 31));
        break;
    case 6:
        lua_pushboolean(L, next_byte(r) & 1);
        break;
    case 7:
    case 8:
        count = next_byte(r) % 8;
        lua_createtable(L, count, 0);
        for (i = 1; i <= count; i++) {
            push_value(L, r, top, depth + 1);
            lua_rawseti(L, -2, i);
        }
        break;
    case 9:
    case 10:
        count = next_byte(r) % 8;
        lua_createtable(L, 0, count);
        for (i = 0; i < count; i++) {
            push_key(L, r);
            push_value(L, r, top, depth + 1);
            lua_rawset(L, -3); /* push_key never gives nil or NaN */
        }
        break;
    default: /* the outermost table again: a cycle once it is nested */
        lua_pushvalue(L, top);
    }
}

/* sha1hex(s): an independent SHA1, to check the signature from core.flatten. */
static int sha1hex(lua_State *L)
{
    static const char digits[] = "0123456789abcdef";
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;
    char hex[2 * EVP_MAX_MD_SIZE];
    if (!EVP_Digest(s, n, md, &len, EVP_sha1(), NULL))
        return luaL_error(L, "SHA1 failed");
    for (i = 0; i < len; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    lua_pushlstring(L, hex, 2 * len);
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L = fuzz_state("fuzz_encode");
    reader r = {data, size};
    int count, i, top;

    fuzz_push_checker(L);
    lua_pushcfunction(L, sha1hex);
    push_bytes(L, &r, next_byte(&r) % 32); /* the private key */
    count = next_byte(&r) % 16;
    lua_createtable(L, 0, count);
    top = lua_gettop(L);
    for (i = 0; i < count; i++) {
        push_key(L, &r);
        push_value(L, &r, top, 1);
        lua_rawset(L, top);
    }
    fuzz_run_checker(L, 3);
    return 0;
}
