--- Shared helpers of the benchmark: timing, medians, memory, commands.
local core = require "compshare.core"

local lib = {}

lib.KEYS = { public = "my_public_key", private = "my_private_key" }

--- Where make builds the C floors (bench/c/*.c).
lib.C_DIR = "build/bench/"

--- The command prefix pinning a process (and its children) to one CPU: BENCH_CPU, else the
-- last one; "" without taskset.
function lib.pin()
  if lib.pin_prefix == nil then
    local cpu = os.getenv("BENCH_CPU")
    if not cpu then
      local p = io.popen("nproc 2>/dev/null")
      cpu = tostring(math.max(0, (tonumber(p and p:read("*l") or "") or 1) - 1))
      if p then p:close() end
    end
    local ok = os.execute("command -v taskset >/dev/null 2>&1")
    lib.pin_prefix = (ok == true or ok == 0) and ("taskset -c " .. cpu .. " ") or ""
  end
  return lib.pin_prefix
end

--- The 1-, 5- and 15-minute load averages, as /proc/loadavg gives them.
function lib.loadavg()
  local f = io.open("/proc/loadavg")
  local text = f and f:read("*l") or "?"
  if f then f:close() end
  return (text:match("^(%S+ %S+ %S+)") or text)
end

--- Seconds since an arbitrary start (monotonic).
lib.clock = core.monotonic

--- The median of a list of numbers.
function lib.median(xs)
  local s = {}
  for i, x in ipairs(xs) do s[i] = x end
  table.sort(s)
  local n = #s
  if n == 0 then return nil end
  if n % 2 == 1 then return s[(n + 1) / 2] end
  return (s[n / 2] + s[n / 2 + 1]) / 2
end

--- Median wall time (seconds) of `repeats` runs of fn().
function lib.time(fn, repeats)
  local runs = {}
  for i = 1, repeats or 1 do
    local t0 = lib.clock()
    fn()
    runs[i] = lib.clock() - t0
  end
  return lib.median(runs)
end

-- Calls of fn() that take about `seconds`.
local function calibrate(fn, seconds)
  local n = 1
  while true do
    local t0 = lib.clock()
    for _ = 1, n do fn() end
    if lib.clock() - t0 >= seconds / 4 then return n * 4 end
    n = n * 2
  end
end

--- Operations per second of each function in `fns`: rounds of about `seconds`
-- each, the functions' rounds interleaved (so drift on a shared machine hits
-- them alike), the median of `repeats` rounds. Returns the rates in order.
function lib.rates(fns, seconds, repeats)
  local ns, runs = {}, {}
  for i, fn in ipairs(fns) do ns[i], runs[i] = calibrate(fn, seconds), {} end
  for r = 1, repeats do
    for i, fn in ipairs(fns) do
      local n = ns[i]
      runs[i][r] = n / lib.time(function() for _ = 1, n do fn() end end)
    end
  end
  local out = {}
  for i = 1, #fns do out[i] = lib.median(runs[i]) end
  return out
end

--- A field of /proc/self/status in kB (e.g. "VmHWM", "VmRSS").
function lib.status_kb(field)
  local f = assert(io.open("/proc/self/status"))
  local text = f:read("*a")
  f:close()
  return tonumber(text:match(field .. ":%s*(%d+)"))
end

--- Output of a shell command, trailing space removed; raises when it fails.
function lib.capture(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("*a")
  local ok, _, code = p:close()
  if not ok then error(("command failed (%s): %s\n%s"):format(tostring(code), cmd, out), 2) end
  return (out:gsub("%s+$", ""))
end

function lib.sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

--- The interpreter running this script (for child processes of the same kind).
function lib.interpreter()
  local i = -1
  while arg and arg[i - 1] do i = i - 1 end
  return arg and arg[i] or "lua5.4"
end

--- A client of the SDK with the FACTS.md placeholder keys.
function lib.client(opts)
  local o = { public_key = lib.KEYS.public, private_key = lib.KEYS.private,
              region = "cn-wlcb", zone = "cn-wlcb-01", max_retries = 0 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return require("compshare").new(o)
end

-- A canned DescribeCompShareImages answer (about 0.7 kB, two images).
lib.IMAGES_BODY = '{"Action":"DescribeCompShareImagesResponse","RetCode":0,"TotalCount":2,"ImageSet":['
  .. '{"CompShareImageId":"compshareImage-aaaa1111","Name":"Ubuntu 22.04 CUDA 12.1","ImageType":"System",'
  .. '"Status":"Available","Size":40,"Author":"compshare","Price":0,"Tags":["CUDA","PyTorch"],'
  .. '"Softwares":{"CUDAVersion":"12.1","Applications":["JupyterLab"]},"CreateTime":1700000000},'
  .. '{"CompShareImageId":"compshareImage-bbbb2222","Name":"Ubuntu 20.04 CUDA 11.8","ImageType":"System",'
  .. '"Status":"Available","Size":40,"Author":"compshare","Price":0,"Tags":["CUDA"],'
  .. '"Softwares":{"CUDAVersion":"11.8","Applications":[]},"CreateTime":1690000000}]}'

--- The bench's nginx (started once per run, stopped by lib.cleanup):
-- "/" answers IMAGES_BODY at once, "/slow" answers after 20 ms (ngx.sleep),
-- "/ngx_batch?m=M&k=K" runs client:batch over cosockets inside nginx (bench/ngx_batch.lua).
function lib.server()
  if lib.srv then return lib.srv end
  local bench_dir = lib.capture("pwd -P") .. "/bench/"
  lib.files = lib.capture("mktemp -d /tmp/compshare-bench-files.XXXXXX")
  lib.srv = require("support.nginx").start {
    log_level = "warn",
    server = ([[
    access_log off;
    keepalive_requests 1000000;  # one connection for every call of a run (the default closes after 1000)
    location = / {
      default_type application/json;
      add_header X-UCLOUD-REQUEST-UUID bench-fixed;
      add_header X-Connection $connection;
      return 200 '%s';
    }
    location = /slow {
      default_type application/json;
      content_by_lua_block {
        ngx.sleep(0.02)
        ngx.print('{"Action":"DescribeCompShareImagesResponse","RetCode":0,"TotalCount":0,"ImageSet":[]}')
      }
    }
    location = /ngx_batch {
      content_by_lua_block { dofile("%sngx_batch.lua").handle() }
    }
    location /files/ {
      alias %s/;
      default_type application/json;
      error_page 405 =200 $uri;  # static files answer a POST too
    }]]):format(lib.IMAGES_BODY, bench_dir, lib.files),
  }
  return lib.srv
end

--- Stops what the run started.
function lib.cleanup()
  if lib.srv then lib.srv.stop() end
  if lib.files then os.execute("rm -rf " .. lib.sh_quote(lib.files)) end
  lib.srv, lib.files = nil, nil
end

--- A DescribeCompShareImages answer of about `bytes` bytes (images like IMAGES_BODY's).
function lib.images_body(bytes)
  local parts, size, i = {}, 0, 0
  while size < bytes do
    i = i + 1
    local item = ('{"CompShareImageId":"compshareImage-%08d","Name":"Image %d CUDA 12.1","ImageType":"Custom",'
      .. '"Status":"Available","Size":%d,"Author":"user-%d","Price":%d.5,"Tags":["CUDA","PyTorch","n%d"],'
      .. '"Softwares":{"CUDAVersion":"12.1","Applications":["JupyterLab","ComfyUI"]},"CreateTime":%d}')
      :format(i, i, 40 + i % 7, i % 97, i % 5, i, 1700000000 + i)
    parts[i] = item
    size = size + #item + 1
  end
  return ('{"Action":"DescribeCompShareImagesResponse","RetCode":0,"TotalCount":%d,"ImageSet":[%s]}')
    :format(i, table.concat(parts, ","))
end

--- Writes `text` as the file `name` that the bench nginx serves at /files/<name>; returns its URL.
function lib.serve_file(name, text)
  local srv = lib.server()
  local f = assert(io.open(lib.files .. "/" .. name, "wb"))
  f:write(text)
  f:close()
  return srv.url .. "files/" .. name
end

return lib
