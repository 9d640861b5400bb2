/* sign.h - the CompShare request signature: SHA1 (OpenSSL EVP) over the sorted
 * key+value pairs followed by the private key, as lowercase hex. */
#ifndef COMPSHARE_SIGN_H
#define COMPSHARE_SIGN_H

#include "flatten.h"

#define CS_SIG_HEX 40

/* Sign the flat pairs; writes 40 hex chars and a NUL into hex. When body is
 * not NULL, the form body (without Signature) is appended to f's arena in the
 * same pass and its offset/length returned through body/bodylen. */
void cs_sign_flat(lua_State *L, cs_flat *f, const char *key, size_t keylen,
                  char hex[CS_SIG_HEX + 1], size_t *body, size_t *bodylen);

int cs_lua_sign(lua_State *L);
int cs_lua_encode(lua_State *L);

/* Called once from luaopen: fetch the SHA1 implementation. */
void cs_sign_init(lua_State *L);

#endif
