/* flatten.h - a nested Lua table of request parameters as sorted flat pairs.
 *
 * {Disks = {{IsBoot = true}}} becomes "Disks.0.IsBoot" = "true". Arrays count
 * from 0, objects join with '.', booleans are true/false, integral numbers
 * carry no fraction and no number is ever written with an exponent. Pairs are
 * sorted by key bytes. Bad input (functions, userdata, cycles, nesting deeper
 * than CS_MAX_DEPTH, non-string keys, NaN) raises a Lua error; all memory
 * lives in a userdata, so an error leaks nothing. */
#ifndef COMPSHARE_FLATTEN_H
#define COMPSHARE_FLATTEN_H

#include <stddef.h>
#include "compat.h"

#define CS_MAX_DEPTH 32

typedef struct {
    size_t key, klen, val, vlen; /* offsets into the arena */
} cs_pair;

typedef struct {
    char *arena;
    size_t used, cap;
    cs_pair *pairs, *spare; /* spare: the merge sort's second buffer */
    size_t npairs, paircap, sparecap;
    char *prefix; /* the key being built while walking */
    size_t pcap;
} cs_flat;

/* Push a new, empty cs_flat userdata (freed by __gc) and return it. */
cs_flat *cs_flat_push(lua_State *L);

/* The per-state cs_flat that core.c gives sign, encode and form_encode as their first upvalue,
 * emptied, its buffers kept from the last call (they are freed when they grew over 1 MB).
 * Its contents are valid until the next use, so a caller copies what it needs out before any
 * Lua API call that allocates (a GC step may run a finalizer that signs in turn). */
cs_flat *cs_flat_scratch(lua_State *L);

/* Frees the scratch's buffers if they grew large; called after a use. */
void cs_flat_trim(cs_flat *f);

/* Flatten the table at index idx into f and sort the pairs. */
void cs_flatten(lua_State *L, int idx, cs_flat *f);

/* Make room for n more arena bytes (and a NUL) without moving later. */
void cs_flat_reserve(lua_State *L, cs_flat *f, size_t n);

/* Append n bytes to the arena; returns the offset of the copy. A NUL follows the copy
 * until the next append overwrites it: strings in the arena end at their length (klen,
 * vlen), not at a NUL, so print them with their length. */
size_t cs_flat_append(lua_State *L, cs_flat *f, const char *s, size_t n);

/* core.flatten(params) -> { {key, value}, ... } sorted */
int cs_lua_flatten(lua_State *L);

#define CS_KEY(f, i) ((f)->arena + (f)->pairs[i].key)
#define CS_VAL(f, i) ((f)->arena + (f)->pairs[i].val)

#endif
