/* batch.h - session:batch over the multi interface. */
#ifndef COMPSHARE_BATCH_H
#define COMPSHARE_BATCH_H

#include "compat.h"

/* session:batch(reqs, concurrency) -> results in request order; reqs is a list of request
 * tables or a function giving the next one (nil when done), see batch.c. */
int cs_session_batch(lua_State *L);

#endif
