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
  local srv = lib.server()
  local client = lib.client { base_url = srv.url }
  local ways = { { name = "client:call", call = function() return client:call("DescribeCompShareImages", PARAMS) end } }
  if client.DescribeCompShareImages then  -- the typed wrapper: validation on top
    ways[2] = { name = "client:DescribeCompShareImages (validated)",
                call = function() return client:DescribeCompShareImages(PARAMS) end }
  end
  for _, way in ipairs(ways) do
    local res, err = way.call()
    assert(res and #res.ImageSet == 2, "unexpected answer from the bench nginx: " .. tostring(err))
  end

  -- Our side too keeps one connection: nginx numbers each one (X-Connection).
  local req = assert(client:prepare("DescribeCompShareImages", PARAMS))
  local conns = {}
  for i = 1, 3 do conns[i] = assert(client.transport(req)).headers["x-connection"] end
  assert(conns[1] and conns[1] == conns[2] and conns[2] == conns[3], "the client did not reuse its connection")

  local dir = lib.capture("mktemp -d /tmp/compshare-bench.XXXXXX")
  local body = req.body
  check_floor(srv.url, body, dir)
  local cfg = dir .. "/floor.cfg"
  curl_config(cfg, srv.url, body, ctx.calls)
  -- bash's `time` gives curl's wall and CPU (user + sys) seconds.
  local curl_cmd = ("bash -c %s 2>&1"):format(lib.sh_quote(
    "TIMEFORMAT='%R %U %S'; time curl --config " .. lib.sh_quote(cfg)))
  local function run_floor()
    local wall, user, sys = lib.capture(curl_cmd):match("([%d.]+) ([%d.]+) ([%d.]+)%s*$")
    return tonumber(wall), tonumber(user) + tonumber(sys)
  end
  local function run_ours(call)
    local cpu0, t0 = os.clock(), lib.clock()
    for _ = 1, ctx.calls do
      local res, err = call()
      if not res then error("call failed: " .. tostring(err)) end
    end
    return lib.clock() - t0, os.clock() - cpu0
  end

  -- Interleaved, so drift on a shared machine hits all alike; medians of the repeats.
  local floor = { wall = {}, cpu = {} }
  local ours = {}
  for r = 1, ctx.repeats do
    floor.wall[r], floor.cpu[r] = run_floor()
    for i, way in ipairs(ways) do
      ours[i] = ours[i] or { wall = {}, cpu = {} }
      ours[i].wall[r], ours[i].cpu[r] = run_ours(way.call)
    end
  end
  os.execute("rm -rf " .. lib.sh_quote(dir))
  local f_wall, f_cpu = lib.median(floor.wall), lib.median(floor.cpu)
  local us = 1e6 / ctx.calls
  local rows = {}
  for i, way in ipairs(ways) do
    local wall, cpu = lib.median(ours[i].wall), lib.median(ours[i].cpu)
    rows[#rows + 1] = { what = ("%d x %s, wall (s)"):format(ctx.calls, way.name), value = wall,
                        base_what = "curl --config, same requests (s)", base = f_wall,
                        ratio = wall / f_wall, ratio_means = "x the floor", target = "<= 1.0", pass = wall <= f_wall }
    rows[#rows + 1] = { what = "  per call: wall (us)", value = wall * us,
                        base_what = "curl per request (us)", base = f_wall * us }
    rows[#rows + 1] = { what = "  per call: client CPU (us)", value = cpu * us,
                        base_what = "curl's CPU per request (us)", base = f_cpu * us,
                        ratio = cpu / f_cpu, ratio_means = "x curl's" }
  end
  return rows
end
