--- The official Python SDK as an optional floor of section 2 (bench/sequential.lua).
-- COMPSHARE_BENCH_PYSDK names a directory from which python3 can `import ucloud` (the SDK is
-- not part of this project, nor fetched by it). Without it, or when that import fails, the
-- section prints one skipped row saying how to enable it; it never fails for it.
local lib = require "lib"

local pysdk = {}

local HOW = "set COMPSHARE_BENCH_PYSDK=DIR, DIR where python3 imports ucloud"

-- The SDK pays a new connection and a Python request stack per call (~60x a libcurl call here):
-- it is timed on a tenth of the section's calls, so its rounds take about as long as the others'.
local SHARE = 10

--- The contender timing client.invoke of the SDK in DIR against `url`, or nil and why not.
function pysdk.contender(url)
  local dir = os.getenv("COMPSHARE_BENCH_PYSDK")
  if not dir or dir == "" then return nil, HOW end
  local env = "PYTHONPATH=" .. lib.sh_quote(dir) .. " python3 "
  local ok = pcall(lib.capture, env .. "-c 'import ucloud.core.client, requests' 2>&1")
  if not ok then return nil, "python3 cannot import ucloud and requests from COMPSHARE_BENCH_PYSDK" end
  local cmd = env .. "bench/pysdk_loop.py " .. lib.sh_quote(url) .. " %d"
  local c = { key = "pysdk", name = "official Python SDK, client.invoke" }
  function c.run(n)
    local m = math.max(1, math.floor(n / SHARE))
    local secs, conns = lib.capture(cmd:format(m)):match("^([%d.]+) (%d+)")
    local reuse = ({ ["1"] = "one connection", ["3"] = "new connection per call" })[conns]
    c.name = ("official Python SDK, client.invoke (%s)"):format(reuse or (conns .. " connections for 3 calls"))
    return tonumber(secs) * n / m
  end
  return c
end

return pysdk
