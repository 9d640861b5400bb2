/* form.h - application/x-www-form-urlencoded encoding and decoding. */
#ifndef COMPSHARE_FORM_H
#define COMPSHARE_FORM_H

#include <stddef.h>
#include "flatten.h"

/* Worst-case encoded size of n bytes. */
#define CS_FORM_MAX(n) ((n) * 3)

/* Percent-encode s[0..n) into out (room for CS_FORM_MAX(n)); returns length.
 * Unreserved bytes (A-Z a-z 0-9 - _ . ~) stay, space becomes '+', the rest %XX. */
size_t cs_form_escape(const char *s, size_t n, char *out);

/* Decode s[0..n) in place semantics into out (room for n); returns length. */
size_t cs_form_unescape(const char *s, size_t n, char *out);

/* Room for f's sorted pairs as a form body: CS_FORM_MAX of all their bytes, 2 more a pair. */
size_t cs_form_room(const cs_flat *f);

/* Write f's sorted pairs into out (cs_form_room bytes) as the form body: key=value joined
 * by '&', escaped; returns its length. */
size_t cs_form_write_pairs(const cs_flat *f, char *out);

/* core.form_encode: a closure whose upvalue 1 is the state's cs_flat scratch. */
int cs_lua_form_encode(lua_State *L);
int cs_lua_form_decode(lua_State *L);

#endif
