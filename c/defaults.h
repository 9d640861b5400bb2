/* defaults.h - the facts the C core and the Lua library share, written once. The Makefile reads
 * the version from here; Lua reads them all through compshare.core (core.VERSION and
 * core.DEFAULTS = { timeout, concurrency, max_body }). */
#ifndef COMPSHARE_DEFAULTS_H
#define COMPSHARE_DEFAULTS_H

#define COMPSHARE_VERSION "0.1.0"

/* Seconds a call may take, when its request names no timeout. */
#define CS_DEFAULT_TIMEOUT 30.0

/* Calls in flight at once in a batch, when the caller names no concurrency. */
#define CS_DEFAULT_CONCURRENCY 8

/* Request and response bodies (and response headers) larger than this are refused. */
#define CS_MAX_BODY ((size_t)64 * 1024 * 1024)

#endif
