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

/* Push the state's reusable SHA1 context and digest (a userdata; __gc frees them);
 * raises when OpenSSL has no SHA1. */
void cs_sign_push_digest(lua_State *L);

#endif
