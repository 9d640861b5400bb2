/* sign.c - SHA1 signature over the sorted pairs, and the form body in the same pass. */
#include <string.h>

#include <openssl/evp.h>

#include "form.h"
#include "sign.h"

#define DIGEST_MT "compshare.digest"

/* Every byte as two lowercase hex digits. */
static const char HEX2[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";

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

/* Sign the flat pairs with d; writes 40 hex chars and a NUL into hex. When bodylen is not
 * NULL, the form body (without Signature, with room for it) is then written to f->out and
 * its length returned through bodylen. */
static void sign_flat(lua_State *L, const digest *d, cs_flat *f, const char *key, size_t keylen,
                      char hex[CS_SIG_HEX + 1], size_t *bodylen)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, j;
    size_t i, room = f->bytes + keylen, form;
    char *text, *out;
    int ok;

    if (bodylen && (form = cs_form_room(f) + sizeof "&Signature=" + CS_SIG_HEX) > room)
        room = form;
    text = out = cs_flat_out(L, f, room);
    for (i = 0; i < f->npairs; i++) {
        const cs_pair *p = CS_PAIR(f, i);
        out = cs_put(cs_put(out, p->key, p->klen), p->val, p->vlen);
    }
    memcpy(out, key, keylen);
    ok = EVP_DigestInit_ex(d->ctx, d->md, NULL) &&
         EVP_DigestUpdate(d->ctx, text, (size_t)(out - text) + keylen) &&
         EVP_DigestFinal_ex(d->ctx, md, &mdlen);
    memset(out, 0, keylen); /* no copy of the private key stays in the scratch */
    if (!ok || mdlen * 2 != CS_SIG_HEX)
        luaL_error(L, "compshare: SHA1 failed");
    for (j = 0; j < CS_SIG_HEX / 2; j++)
        memcpy(hex + j * 2, HEX2 + md[j] * 2, 2);
    hex[CS_SIG_HEX] = '\0';
    if (bodylen)
        *bodylen = cs_form_write_pairs(f, text); /* the body overwrites the string to sign */
}

/* Check (params, private_key), flatten params into the state's scratch and sign them. */
static cs_flat *sign_args(lua_State *L, char hex[CS_SIG_HEX + 1], size_t *bodylen)
{
    size_t keylen;
    const char *key;
    cs_flat *f;

    luaL_checktype(L, 1, LUA_TTABLE);
    key = luaL_checklstring(L, 2, &keylen);
    f = cs_flat_scratch(L);
    cs_flatten(L, 1, f);
    sign_flat(L, (const digest *)lua_touserdata(L, lua_upvalueindex(2)), f, key, keylen, hex, bodylen);
    return f;
}

/* core.sign(params, private_key) -> hex */
int cs_lua_sign(lua_State *L)
{
    char hex[CS_SIG_HEX + 1];

    cs_flat_trim(sign_args(L, hex, NULL));
    lua_pushlstring(L, hex, CS_SIG_HEX);
    return 1;
}

/* core.encode(params, private_key) -> body (with Signature), signature */
int cs_lua_encode(lua_State *L)
{
    size_t bodylen;
    char hex[CS_SIG_HEX + 1];
    cs_flat *f = sign_args(L, hex, &bodylen);
    const char *sep = f->npairs ? "&Signature=" : "Signature=";
    size_t seplen = strlen(sep);

    memcpy(f->out + bodylen, sep, seplen);
    bodylen += seplen;
    memcpy(f->out + bodylen, hex, CS_SIG_HEX);
    bodylen += CS_SIG_HEX;
    cs_flat_push_out(L, f, bodylen);
    cs_flat_trim(f);
    lua_pushlstring(L, hex, CS_SIG_HEX);
    return 2;
}
