/* batch.h - session:batch over the multi interface. */
#ifndef COMPSHARE_BATCH_H
#define COMPSHARE_BATCH_H

#include "compat.h"
#include "session.h"

/* session:batch(reqs, concurrency [, digest]) -> results in request order; reqs is a list of
 * request tables or a function giving the next one (nil when done); digest(i, result), when
 * given, is called once for each result as the batch goes and its answer kept; see batch.c. */
int cs_session_batch(lua_State *L);

/* Frees the batch's handle pool, multi handle and socket watch (session close and __gc). */
void cs_batch_free(cs_session *s);

#endif
