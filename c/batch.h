/* batch.h - session:batch over the multi interface. */
#ifndef COMPSHARE_BATCH_H
#define COMPSHARE_BATCH_H

#include "compat.h"
#include "session.h"

/* session:batch(reqs, concurrency) -> results in request order; reqs is a list of request
 * tables or a function giving the next one (nil when done), see batch.c. */
int cs_session_batch(lua_State *L);

/* Frees the batch's handle pool, multi handle and socket watch (session close and __gc). */
void cs_batch_free(cs_session *s);

#endif
