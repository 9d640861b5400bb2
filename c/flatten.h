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
#include <stdint.h>
#include <string.h>
#include "compat.h"

#define CS_MAX_DEPTH 32

/* One flat pair. Its bytes are not copied when they already exist: a top-level key and every
 * string value point into the Lua strings of the table being flattened (alive while it is on
 * the stack, and no Lua code runs until the pairs are used), "true"/"false" at literals; only
 * composed keys (prefix.key) and formatted numbers are written to the arena. */
typedef struct {
    const char *key, *val;
    size_t klen, vlen;
    size_t koff, voff; /* while walking: key/val are NULL and the bytes are in the arena here */
} cs_pair;

typedef struct {
    uint64_t head; /* the key's first 8 bytes, big-endian, zero-padded: orders most keys alone */
    const cs_pair *pair;
} cs_sorted;

typedef struct {
    char *arena; /* composed keys and formatted numbers */
    size_t used, cap;
    cs_pair *pairs; /* in walk order */
    size_t npairs, paircap, bytes; /* bytes: of every key and value, once sorted */
    cs_sorted *sorted, *spare; /* the pairs by key bytes; spare: the merge sort's second buffer */
    size_t sortcap;
    char *prefix; /* the key being built while walking */
    size_t pcap;
    char *out; /* what is made of the sorted pairs: the string to sign, a form body */
    size_t outcap;
    int busy; /* cs_flat_push_out is copying f->out */
} cs_flat;

/* Push a new, empty cs_flat userdata (freed by __gc) and return it. */
cs_flat *cs_flat_push(lua_State *L);

/* The per-state cs_flat that core.c gives sign, encode and form_encode as their first upvalue,
 * emptied, its buffers kept from the last call (they are freed when they grew over 1 MB).
 * Its contents are valid until the next use, so a caller copies what it needs out before any
 * other Lua API call that allocates (a GC step may run a finalizer that signs in turn), or
 * with cs_flat_push_out. While that copies, this pushes and returns a new cs_flat instead. */
cs_flat *cs_flat_scratch(lua_State *L);

/* Push f->out[0..n) as a Lua string. */
void cs_flat_push_out(lua_State *L, cs_flat *f, size_t n);

/* Frees the scratch's buffers if they grew large; called after a use. */
void cs_flat_trim(cs_flat *f);

/* Flatten the table at index idx into f and sort the pairs (f->sorted). The pairs' bytes stay
 * valid while that table is unchanged and f is not flattened into again. */
void cs_flatten(lua_State *L, int idx, cs_flat *f);

/* f->out with room for n bytes (its contents are not kept when it grows). */
char *cs_flat_out(lua_State *L, cs_flat *f, size_t n);

/* core.flatten(params) -> { {key, value}, ... } sorted */
int cs_lua_flatten(lua_State *L);

/* Copy n bytes from s to o and return o + n. Keys and values are mostly a few bytes long:
 * those are copied as two overlapping words (or three bytes), without a call. */
static inline char *cs_put(char *o, const char *s, size_t n)
{
    uint64_t a, b;
    uint32_t c, d;
    if (n >= 8 && n <= 16) {
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(o, &a, 8);
        memcpy(o + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(&c, s, 4);
        memcpy(&d, s + n - 4, 4);
        memcpy(o, &c, 4);
        memcpy(o + n - 4, &d, 4);
    } else if (n > 16) {
        memcpy(o, s, n);
    } else if (n > 0) {
        o[0] = s[0];
        o[n / 2] = s[n / 2];
        o[n - 1] = s[n - 1];
    }
    return o + n;
}

/* The i-th pair in key order. */
#define CS_PAIR(f, i) ((f)->sorted[i].pair)

#endif
