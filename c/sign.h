/* sign.h - the CompShare request signature: SHA1 (OpenSSL EVP) over the sorted
 * key+value pairs followed by the private key, as lowercase hex. */
#ifndef COMPSHARE_SIGN_H
#define COMPSHARE_SIGN_H

#include "flatten.h"

#define CS_SIG_HEX 40

/* core.sign(params, private_key) and core.encode(params, private_key): closures whose
 * upvalues are the state's cs_flat scratch (cs_flat_scratch) and its digest context. */
int cs_lua_sign(lua_State *L);
int cs_lua_encode(lua_State *L);

/* Called once from luaopen: fetch the SHA1 implementation. */
void cs_sign_init(lua_State *L);

/* Push the state's reusable SHA1 context (a userdata; __gc frees it). */
void cs_sign_push_digest(lua_State *L);

#endif
