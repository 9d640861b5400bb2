--- Section 2: N sequential DescribeCompShareImages calls over HTTP to a local
-- nginx answering a fixed JSON body, against the floor: the curl command line
-- sending the same N requests over one kept-alive connection (`curl --config`).
local lib = require "lib"

local PARAMS = { ImageType = "System", Limit = 20, Offset = 0 }

-- A curl config sending `body` to `url` n times; `extra` lines go first.
local function curl_config(path, url, body, n, extra)
  local f = assert(io.open(path, "wb"))
  f:write("silent\n", extra or "", ("data = %q\n"):format(body))
  local entry = ("url = %q\noutput = \"/dev/null\"\n"):format(url)
  for _ = 1, n do f:write(entry) end
  f:close()
end

-- The curl floor really is n POSTs answered 200 over a single connection.
local function check_floor(url, body, dir)
  local n = 5
  curl_config(dir .. "/check.cfg", url, body, n, 'write-out = "%{http_code} %{num_connects}\\n"\n')
  local out = lib.capture("curl --config " .. lib.sh_quote(dir .. "/check.cfg"))
  local codes, connects = 0, 0
  for code, c in out:gmatch("(%d+) (%d+)") do
    if code == "200" then codes = codes + 1 end
    connects = connects + tonumber(c)
  end
  assert(codes == n and connects == 1, "curl floor check failed (want 5 x 200 on 1 connection): " .. out)
end

return function(ctx)
  if not lib.has_http() then
    return { { what = "sequential calls over HTTP", skipped = "core.session (libcurl) not built yet" } }
  end
  local srv = lib.server()
  local client = lib.client { base_url = srv.url }
  local typed = client.DescribeCompShareImages ~= nil
  local function one()
    local res, err
    if typed then res, err = client:DescribeCompShareImages(PARAMS)
    else res, err = client:call("DescribeCompShareImages", PARAMS) end
    if not res then error("call failed: " .. tostring(err)) end
    return res
  end
  assert(#one().ImageSet == 2, "unexpected answer from the bench nginx")

  local dir = lib.capture("mktemp -d /tmp/compshare-bench.XXXXXX")
  local body = assert(client:prepare("DescribeCompShareImages", PARAMS)).body
  check_floor(srv.url, body, dir)
  local cfg = dir .. "/floor.cfg"
  curl_config(cfg, srv.url, body, ctx.calls)
  local curl_cmd = "curl --config " .. lib.sh_quote(cfg)

  local ours, floor = {}, {}
  for i = 1, ctx.repeats do   -- interleaved, so drift on a shared machine hits both alike
    floor[i] = lib.time(function() lib.capture(curl_cmd) end)
    ours[i] = lib.time(function() for _ = 1, ctx.calls do one() end end)
  end
  os.execute("rm -rf " .. lib.sh_quote(dir))
  local t_ours, t_floor = lib.median(ours), lib.median(floor)
  return {
    { what = ("%d x %s, one client (s)"):format(ctx.calls, typed and "client:DescribeCompShareImages" or "client:call"),
      value = t_ours, base_what = "curl --config, same requests (s)", base = t_floor,
      ratio = t_ours / t_floor, ratio_means = "x the floor", target = "<= 1.0", pass = t_ours <= t_floor },
    { what = "  per call (us)", value = t_ours / ctx.calls * 1e6,
      base_what = "curl per request (us)", base = t_floor / ctx.calls * 1e6 },
  }
end
