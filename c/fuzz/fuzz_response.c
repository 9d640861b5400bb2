/* fuzz_response.c - libFuzzer target for response decoding: the input is a
 * response body handed to compshare.client.interpret (lua-cjson from the
 * system decodes it). c/fuzz/fuzz_response.lua checks that the answer is a
 * response or a decode/api error, and that nothing raises. */
#include <stdint.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L = fuzz_state("fuzz_response");
    fuzz_push_checker(L);
    lua_pushlstring(L, (const char *)data, size);
    fuzz_run_checker(L, 1);
    return 0;
}
