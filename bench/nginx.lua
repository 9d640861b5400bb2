--- Section 7: inside nginx. A front nginx (one worker) answers /sdk with one SDK call over
-- cosockets to the bench's upstream nginx, and /proxy with a bare proxy_pass to the same
-- upstream (kept-alive upstream connections, as the SDK's pool keeps them). A load generator
-- (bench/c/socket_loop.c) keeps C requests in flight over C kept-alive connections; requests per
-- second of /sdk against /proxy, rotated rounds, medians. The front worker is pinned to one CPU,
-- the upstream and the load generator to another (when there are two).
local lib = require "lib"
local nginx = require "support.nginx"

local CONNECTIONS = 16

-- CPU seconds (user + system) the process has used: /proc/PID/stat fields 14 and 15, in ticks.
local function cpu_seconds(pid)
  local f = assert(io.open("/proc/" .. pid .. "/stat"))
  local stat = f:read("*a")
  f:close()
  local fields = {}
  for x in stat:match("%) (.*)$"):gmatch("%S+") do fields[#fields + 1] = x end
  local hz = tonumber(lib.capture("getconf CLK_TCK")) or 100
  return (tonumber(fields[12]) + tonumber(fields[13])) / hz   -- utime, stime (fields 14, 15 of the line)
end

local function pin(pid, cpu)
  if lib.pin() ~= "" then os.execute(("taskset -pc %d %d >/dev/null"):format(cpu, pid)) end
end

return function(ctx)
  local back = lib.server()
  local bench_dir = lib.capture("pwd -P") .. "/bench/"
  local front = nginx.start {
    log_level = "warn",
    http = ([[
  init_by_lua_block { package.path = "%s?.lua;" .. package.path }
  upstream back { server 127.0.0.1:%d; keepalive 32; }]]):format(bench_dir, back.port),
    server = ([[
    access_log off;
    keepalive_requests 1000000;
    location = /proxy {
      proxy_pass http://back/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    location = /sdk {
      set $back_url %s;
      set $answer_bytes %d;
      content_by_lua_block { require("ngx_sdk").handle() }
    }]]):format(back.url, #lib.IMAGES_BODY),
  }
  local ok, rows = pcall(function()
    local cpus = tonumber(lib.capture("nproc")) or 1
    local other = tonumber(lib.pin():match("%-c (%d+)")) or 0
    pin(front.pid, cpus > 1 and (other == 0 and 1 or 0) or 0)
    local dir = lib.capture("mktemp -d /tmp/compshare-bench.XXXXXX")
    local n = ctx.smoke and 200 or 20000
    local function loader(path)
      local file = dir .. "/" .. path
      local f = assert(io.open(file, "wb"))
      f:write(("GET /%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"):format(path, front.port))
      f:close()
      return function()
        local cpu0 = cpu_seconds(front.pid)
        local secs, got = lib.capture(("%s%ssocket_loop %s %d %d %d"):format(lib.pin(), lib.C_DIR,
          lib.sh_quote(file), front.port, n, CONNECTIONS)):match("^([%d.]+) (%d+)")
        assert(tonumber(got) == n, "the load generator lost answers")
        return n / tonumber(secs), (cpu_seconds(front.pid) - cpu0) / n
      end
    end
    local ways = { { "proxy", loader("proxy") }, { "sdk", loader("sdk") } }
    local rate, cpu = { proxy = {}, sdk = {} }, { proxy = {}, sdk = {} }
    for r = 1, ctx.rounds do
      for j = 0, 1 do
        local w = ways[(r + j) % 2 + 1]
        rate[w[1]][r], cpu[w[1]][r] = w[2]()
      end
    end
    os.execute("rm -rf " .. lib.sh_quote(dir))
    local sdk, proxy = lib.median(rate.sdk), lib.median(rate.proxy)
    local sdk_us, proxy_us = lib.median(cpu.sdk) * 1e6, lib.median(cpu.proxy) * 1e6
    return {
      { what = ("SDK call per request inside nginx, %d connections (req/s)"):format(CONNECTIONS), value = sdk,
        base_what = "bare proxy_pass to the same upstream (req/s)", base = proxy,
        ratio = sdk / proxy, ratio_means = "x proxy_pass", target = ">= 0.6", pass = sdk / proxy >= 0.6 },
      -- The worker is saturated, so its CPU per request is what sets the rate; it moves much
      -- less than the rate with the other load on a shared machine.
      { what = "  front worker CPU per request (us)", value = sdk_us,
        base_what = "the same for proxy_pass (us)", base = proxy_us,
        ratio = proxy_us / sdk_us, ratio_means = "x proxy_pass (rate it allows)", target = ">= 0.6",
        pass = proxy_us / sdk_us >= 0.6 },
    }
  end)
  front.stop()
  if not ok then error(rows, 0) end
  return rows
end
