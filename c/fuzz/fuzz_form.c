/* fuzz_form.c - libFuzzer target for core.form_decode on any bytes (a body
 * from anywhere, not only ours), checked by c/fuzz/fuzz_form.lua against
 * core.form_encode. */
#include <stdint.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lua_State *L = fuzz_state("fuzz_form");
    fuzz_push_checker(L);
    lua_pushlstring(L, (const char *)data, size);
    fuzz_run_checker(L, 1);
    return 0;
}
