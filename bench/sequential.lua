--- Section 2: N sequential DescribeCompShareImages calls over HTTP to a local nginx answering a
-- fixed JSON body, against three floors sending the SDK's exact request to the same URL:
--   * a raw C socket loop writing the prebuilt request bytes (bench/c/socket_loop.c);
--   * a C program on one reused libcurl easy handle (bench/c/curl_loop.c): the floor the
--     targets are judged against, since the SDK is a libcurl program too;
--   * the curl command line (`curl --config` with N urls), a soft floor: timed as a whole process;
--   * optionally the official Python SDK's client.invoke (bench/pysdk.lua: COMPSHARE_BENCH_PYSDK).
-- Every contender keeps one connection (checked). Rounds are rotated (round r starts with
-- contender r), so drift on a shared machine hits all alike; the medians of the rounds are
-- reported. bench/run.lua pins this section (client, nginx, floors) to one CPU.
local lib = require "lib"
local pysdk = require "pysdk"

local PARAMS = { ImageType = "System", Limit = 20, Offset = 0 }

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

-- A curl config sending `body` to `url` n times; `extra` lines go first.
local function curl_config(path, url, body, n, extra)
  local f = assert(io.open(path, "wb"))
  f:write("silent\n", extra or "", ("data = %q\n"):format(body))
  local entry = ("url = %q\noutput = \"/dev/null\"\n"):format(url)
  for _ = 1, n do f:write(entry) end
  f:close()
end

-- The curl floor really is n POSTs answered 200 over a single connection.
local function check_cli(url, body, dir)
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

-- The request line and headers as libcurl writes them for the SDK (same order, same values).
local function raw_request(srv, req)
  local lines = { "POST / HTTP/1.1", "Host: 127.0.0.1:" .. srv.port, "User-Agent: " .. req.headers["User-Agent"],
                  "Accept: */*" }
  for k, v in pairs(req.headers) do
    if k ~= "User-Agent" then lines[#lines + 1] = k .. ": " .. v end
  end
  lines[#lines + 1] = "Content-Length: " .. #req.body
  return table.concat(lines, "\r\n") .. "\r\n\r\n" .. req.body
end

-- The contenders: name, and run(n) -> seconds for n calls.
local function contenders(ctx, srv, client, req, dir)
  local body_file, raw_file, cfg = dir .. "/body", dir .. "/request", dir .. "/floor.cfg"
  write(body_file, req.body)
  write(raw_file, raw_request(srv, req))
  curl_config(cfg, srv.url, req.body, ctx.calls)
  local curl_args = { lib.sh_quote(srv.url), lib.sh_quote(body_file), "%d", "'Expect:'" }
  for k, v in pairs(req.headers) do curl_args[#curl_args + 1] = lib.sh_quote(k .. ": " .. v) end
  local curl_loop = lib.C_DIR .. "curl_loop " .. table.concat(curl_args, " ")
  local function c_floor(cmd, n)
    local secs, count = lib.capture(cmd:format(n)):match("^([%d.]+) (%d+)")
    return tonumber(secs), tonumber(count)
  end
  local function in_process(call)
    return function(n)
      local t0 = lib.clock()
      for _ = 1, n do
        local res, err = call()
        if not res then error("call failed: " .. tostring(err)) end
      end
      return lib.clock() - t0
    end
  end
  local cli = ("bash -c %s 2>&1"):format(lib.sh_quote("TIMEFORMAT='%R'; time curl --config " .. lib.sh_quote(cfg)))
  local list = {
    { key = "socket", name = "raw C socket, prebuilt request",
      run = function(n) return (c_floor(lib.C_DIR .. "socket_loop " .. lib.sh_quote(raw_file) .. " " .. srv.port .. " %d", n)) end },
    { key = "libcurl", name = "libcurl C, one reused easy handle",
      run = function(n)
        local secs, connects = c_floor(curl_loop, n)
        assert(connects == 0, "the libcurl floor did not reuse its connection")
        return secs
      end },
    { key = "cli", name = "curl CLI --config (soft floor, whole process)",
      run = function(n)
        assert(n == ctx.calls)
        return tonumber(lib.capture(cli):match("([%d.]+)%s*$"))
      end },
    { key = "call", name = "client:call", run = in_process(function()
        return client:call("DescribeCompShareImages", PARAMS) end) },
    { key = "typed", name = "client:DescribeCompShareImages (validated)", run = in_process(function()
        return client:DescribeCompShareImages(PARAMS) end) },
  }
  local py, py_skipped = pysdk.contender(srv.url)
  list[#list + 1] = py
  return list, py_skipped
end

return function(ctx)
  local srv = lib.server()
  local client = lib.client { base_url = srv.url }
  for _, call in ipairs { client.call, client.DescribeCompShareImages } do
    local res, err
    if call == client.call then res, err = client:call("DescribeCompShareImages", PARAMS)
    else res, err = client:DescribeCompShareImages(PARAMS) end
    assert(res and #res.ImageSet == 2, "unexpected answer from the bench nginx: " .. tostring(err))
  end
  -- Our side too keeps one connection: nginx numbers each one (X-Connection).
  local req = assert(client:prepare("DescribeCompShareImages", PARAMS))
  local conns = {}
  for i = 1, 3 do conns[i] = assert(client.transport(req)).headers["x-connection"] end
  assert(conns[1] and conns[1] == conns[2] and conns[2] == conns[3], "the client did not reuse its connection")

  local dir = lib.capture("mktemp -d /tmp/compshare-bench.XXXXXX")
  check_cli(srv.url, req.body, dir)
  local list, py_skipped = contenders(ctx, srv, client, req, dir)
  local per_call = {}
  for _, c in ipairs(list) do per_call[c.key] = {} end
  for r = 1, ctx.rounds do
    for j = 0, #list - 1 do
      local c = list[(r - 1 + j) % #list + 1]
      per_call[c.key][r] = c.run(ctx.calls) / ctx.calls * 1e6
    end
  end
  os.execute("rm -rf " .. lib.sh_quote(dir))
  local us = {}
  for key, runs in pairs(per_call) do us[key] = lib.median(runs) end

  local jit_ = jit ~= nil
  local targets = { call = jit_ and 1.1 or 1.15, typed = jit_ and 1.1 or 1.2 }
  local rows = {}
  local names = {}
  for _, c in ipairs(list) do names[c.key] = c.name end
  for _, key in ipairs { "socket", "libcurl", "cli" } do
    rows[#rows + 1] = { what = ("floor: %s (us/call)"):format(names[key]), value = us[key],
                        base_what = "libcurl C (us/call)", base = us.libcurl,
                        ratio = us[key] / us.libcurl, ratio_means = "x libcurl C" }
  end
  if us.pysdk then
    rows[#rows + 1] = { what = ("floor: %s (us/call)"):format(names.pysdk), value = us.pysdk,
                        base_what = "libcurl C (us/call)", base = us.libcurl,
                        ratio = us.pysdk / us.libcurl, ratio_means = "x libcurl C" }
  else
    rows[#rows + 1] = { what = "floor: official Python SDK", skipped = py_skipped }
  end
  for _, key in ipairs { "call", "typed" } do
    rows[#rows + 1] = { what = ("%d x %s (us/call)"):format(ctx.calls, names[key]), value = us[key],
                        base_what = "libcurl C, one reused easy handle", base = us.libcurl,
                        ratio = us[key] / us.libcurl, ratio_means = "x libcurl C",
                        target = "<= " .. targets[key], pass = us[key] / us.libcurl <= targets[key] }
    rows[#rows + 1] = { what = "  the same", value = us[key], base_what = "raw C socket", base = us.socket,
                        ratio = us[key] / us.socket, ratio_means = "x raw socket" }
    rows[#rows + 1] = { what = "  the same", value = us[key], base_what = "curl CLI (soft floor)", base = us.cli,
                        ratio = us[key] / us.cli, ratio_means = "x curl CLI" }
    if us.pysdk then
      rows[#rows + 1] = { what = "  the same", value = us[key], base_what = "official Python SDK", base = us.pysdk,
                          ratio = us[key] / us.pysdk, ratio_means = "x Python SDK" }
    end
  end
  return rows
end
