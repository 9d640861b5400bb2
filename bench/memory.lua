--- Section 4: peak RSS (VmHWM) of one process after N1 and after N2 calls over
-- HTTP, and the `compshare` runtime's peak RSS for one call against plain Lua
-- running the same script.
local lib = require "lib"

local RUNTIME = "build/bin/compshare-lua"

local function peak_of(cmd)
  return tonumber(lib.capture(cmd):match("VmHWM (%d+)"))
end

return function(ctx)
  local srv = lib.server()
  local lua = lib.interpreter()
  local n1, n2 = ctx.memory[1], ctx.memory[2]
  local out = lib.capture(("%s bench/memory_child.lua %s %d %d"):format(lua, lib.sh_quote(srv.url), n1, n2))
  local kb1, kb2 = out:match("VmHWM (%d+) (%d+)")
  kb1, kb2 = assert(tonumber(kb1), out), tonumber(kb2)
  local rows = {
    { what = ("peak RSS after %d calls (kB)"):format(n2), value = kb2,
      base_what = ("after %d calls (kB)"):format(n1), base = kb1,
      ratio = kb2 / kb1, ratio_means = ("x, +%d kB"):format(kb2 - kb1),
      target = "+ <= 1024 kB", pass = kb2 - kb1 <= 1024 },
  }
  local script = "bench/one_call.lua " .. lib.sh_quote(srv.url)
  local runtime_kb = peak_of(("env -u LUA_PATH -u LUA_CPATH %s run %s"):format(RUNTIME, script))
  local plain_kb = peak_of(("env LUA_CPATH='build/5.4/?.so;;' lua5.4 %s"):format(script))
  rows[#rows + 1] = { what = "compshare runtime, one call: peak RSS (kB)", value = runtime_kb,
                      base_what = "lua5.4 + compshare.core, same script (kB)", base = plain_kb,
                      ratio = runtime_kb / plain_kb, ratio_means = "x" }
  return rows
end
