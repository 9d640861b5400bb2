/* sign.c - SHA1 signature over the sorted pairs, and the form body in the same pass. */
#include <string.h>

#include <openssl/evp.h>

#include "form.h"
#include "sign.h"

#define DIGEST_MT "compshare.digest"

/* The state's SHA1: one context reused by every signature, and the digest fetched once
 * (OpenSSL 3: EVP_sha1() makes every EVP_DigestInit_ex fetch it again). */
typedef struct {
    EVP_MD_CTX *ctx;
    EVP_MD *fetched; /* freed with the state; NULL before OpenSSL 3 */
    const EVP_MD *md;
} digest;

static int digest_gc(lua_State *L)
{
    digest *d = (digest *)lua_touserdata(L, 1);
    EVP_MD_CTX_free(d->ctx);
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    EVP_MD_free(d->fetched);
#endif
    memset(d, 0, sizeof *d);
    return 0;
}

void cs_sign_push_digest(lua_State *L)
{
    digest *d = (digest *)lua_newuserdata(L, sizeof *d);
    memset(d, 0, sizeof *d);
    if (luaL_newmetatable(L, DIGEST_MT)) {
        lua_pushcfunction(L, digest_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    d->md = d->fetched = EVP_MD_fetch(NULL, "SHA1", NULL);
#endif
    if (d->md == NULL)
        d->md = EVP_sha1();
    if (d->md == NULL)
        luaL_error(L, "compshare: OpenSSL has no SHA1");
    if ((d->ctx = EVP_MD_CTX_new()) == NULL)
        luaL_error(L, "compshare: out of memory");
}

/* Sign the flat pairs with d; writes 40 hex chars and a NUL into hex. When body is not
 * NULL, the form body (without Signature) is then written to f's arena and its offset and
 * length returned through body/bodylen. */
static void sign_flat(lua_State *L, const digest *d, cs_flat *f, const char *key, size_t keylen,
                      char hex[CS_SIG_HEX + 1], size_t *body, size_t *bodylen)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, j;
    size_t i, text, room = 0;
    char *out;
    int ok;

    /* reserve the worst case once, so the arena does not move mid-loop: the string to sign
     * (every key and value, then the key), then the form body when asked for */
    for (i = 0; i < f->npairs; i++)
        room += f->pairs[i].klen + f->pairs[i].vlen + (body ? CS_FORM_MAX(f->pairs[i].klen + f->pairs[i].vlen) + 2 : 0);
    room += keylen + (body ? sizeof "&Signature=" + CS_SIG_HEX : 0);
    cs_flat_reserve(L, f, room);
    text = f->used;
    out = f->arena + text;
    for (i = 0; i < f->npairs; i++) {
        memcpy(out, CS_KEY(f, i), f->pairs[i].klen);
        out += f->pairs[i].klen;
        memcpy(out, CS_VAL(f, i), f->pairs[i].vlen);
        out += f->pairs[i].vlen;
    }
    memcpy(out, key, keylen);
    ok = EVP_DigestInit_ex(d->ctx, d->md, NULL) &&
         EVP_DigestUpdate(d->ctx, f->arena + text, (size_t)(out - (f->arena + text)) + keylen) &&
         EVP_DigestFinal_ex(d->ctx, md, &mdlen);
    memset(out, 0, keylen); /* no copy of the private key stays in the arena */
    if (!ok)
        luaL_error(L, "compshare: SHA1 failed");
    for (j = 0; j < mdlen && j * 2 < CS_SIG_HEX; j++) {
        hex[j * 2] = digits[md[j] >> 4];
        hex[j * 2 + 1] = digits[md[j] & 15];
    }
    hex[CS_SIG_HEX] = '\0';
    if (!body)
        return;
    *body = f->used = text; /* the body overwrites the string to sign */
    cs_form_append_pairs(f);
    *bodylen = f->used - *body;
}

/* Check (params, private_key), flatten params into the state's scratch and sign them. */
static cs_flat *sign_args(lua_State *L, char hex[CS_SIG_HEX + 1], size_t *body, size_t *bodylen)
{
    size_t keylen;
    const char *key;
    cs_flat *f;

    luaL_checktype(L, 1, LUA_TTABLE);
    key = luaL_checklstring(L, 2, &keylen);
    f = cs_flat_scratch(L);
    cs_flatten(L, 1, f);
    sign_flat(L, (const digest *)lua_touserdata(L, lua_upvalueindex(2)), f, key, keylen, hex, body, bodylen);
    return f;
}

/* core.sign(params, private_key) -> hex */
int cs_lua_sign(lua_State *L)
{
    char hex[CS_SIG_HEX + 1];

    cs_flat_trim(sign_args(L, hex, NULL, NULL));
    lua_pushlstring(L, hex, CS_SIG_HEX);
    return 1;
}

/* core.encode(params, private_key) -> body (with Signature), signature */
int cs_lua_encode(lua_State *L)
{
    size_t body, bodylen;
    char hex[CS_SIG_HEX + 1];
    cs_flat *f = sign_args(L, hex, &body, &bodylen);
    const char *sep = f->npairs ? "&Signature=" : "Signature=";
    size_t seplen = strlen(sep);

    memcpy(f->arena + body + bodylen, sep, seplen);
    bodylen += seplen;
    memcpy(f->arena + body + bodylen, hex, CS_SIG_HEX);
    bodylen += CS_SIG_HEX;
    lua_pushlstring(L, f->arena + body, bodylen); /* copied before a GC step can run */
    cs_flat_trim(f);
    lua_pushlstring(L, hex, CS_SIG_HEX);
    return 2;
}
