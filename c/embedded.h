/* embedded.h - Lua sources compiled into the compshare-lua runtime (build/embedded.c, made by tools/embed.lua). */
#ifndef COMPSHARE_EMBEDDED_H
#define COMPSHARE_EMBEDDED_H

#include <stddef.h>

struct cs_embedded {
    const char *name;          /* module name, e.g. "compshare.client" */
    const char *chunkname;     /* "@lua/compshare/client.lua", for error messages */
    const unsigned char *src;  /* the source text */
    size_t len;
};

/* Ended by an entry whose name is NULL. */
extern const struct cs_embedded cs_embedded[];

#endif
