/* sign.c - SHA1 signature over the sorted pairs, and the form body in the same pass. */
#include <string.h>

#include <openssl/evp.h>

#include "form.h"
#include "sign.h"

static const EVP_MD *sha1_md;

void cs_sign_init(lua_State *L)
{
    if (sha1_md == NULL)
        sha1_md = EVP_sha1();
    if (sha1_md == NULL)
        luaL_error(L, "compshare: OpenSSL has no SHA1");
}

void cs_sign_flat(lua_State *L, cs_flat *f, const char *key, size_t keylen,
                  char hex[CS_SIG_HEX + 1], size_t *body, size_t *bodylen)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, j;
    size_t i, start = 0, room = 0;
    EVP_MD_CTX *ctx;

    if (body) {
        /* reserve the worst case once, so the arena does not move mid-loop */
        for (i = 0; i < f->npairs; i++)
            room += CS_FORM_MAX(f->pairs[i].klen + f->pairs[i].vlen) + 2;
        room += sizeof "&Signature=" + CS_SIG_HEX;
        start = f->used;
        cs_flat_reserve(L, f, room);
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL || !EVP_DigestInit_ex(ctx, sha1_md, NULL)) {
        EVP_MD_CTX_free(ctx);
        luaL_error(L, "compshare: cannot start SHA1");
    }
    for (i = 0; i < f->npairs; i++) {
        const char *k = CS_KEY(f, i), *v = CS_VAL(f, i);
        size_t klen = f->pairs[i].klen, vlen = f->pairs[i].vlen;
        EVP_DigestUpdate(ctx, k, klen);
        EVP_DigestUpdate(ctx, v, vlen);
        if (body) {
            char *out = f->arena + f->used;
            size_t o = 0;
            if (i)
                out[o++] = '&';
            o += cs_form_escape(k, klen, out + o);
            out[o++] = '=';
            o += cs_form_escape(v, vlen, out + o);
            f->used += o;
        }
    }
    EVP_DigestUpdate(ctx, key, keylen);
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    for (j = 0; j < mdlen && j * 2 < CS_SIG_HEX; j++) {
        hex[j * 2] = digits[md[j] >> 4];
        hex[j * 2 + 1] = digits[md[j] & 15];
    }
    hex[CS_SIG_HEX] = '\0';
    if (body) {
        *body = start;
        *bodylen = f->used - start;
    }
}

/* Check (params, private_key), flatten params and sign them. */
static cs_flat *sign_args(lua_State *L, char hex[CS_SIG_HEX + 1], size_t *body, size_t *bodylen)
{
    size_t keylen;
    const char *key;
    cs_flat *f;

    luaL_checktype(L, 1, LUA_TTABLE);
    key = luaL_checklstring(L, 2, &keylen);
    f = cs_flat_push(L);
    cs_flatten(L, 1, f);
    cs_sign_flat(L, f, key, keylen, hex, body, bodylen);
    return f;
}

/* core.sign(params, private_key) -> hex */
int cs_lua_sign(lua_State *L)
{
    char hex[CS_SIG_HEX + 1];

    sign_args(L, hex, NULL, NULL);
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
    lua_pushlstring(L, f->arena + body, bodylen);
    lua_pushlstring(L, hex, CS_SIG_HEX);
    return 2;
}
