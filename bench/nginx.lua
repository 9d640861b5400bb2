--- Section 7: inside nginx. A front nginx (one worker) answers /sdk with one SDK call over
-- cosockets to the bench's upstream nginx, and /proxy with a bare proxy_pass to the same
-- upstream (kept-alive upstream connections, as the SDK's pool keeps them). A load generator
-- (bench/c/socket_loop.c) keeps C requests in flight over C kept-alive connections; requests per
-- second of /sdk (and of /capture: the same call through compshare.transport.capture) against
-- /proxy, rotated rounds, medians. The front worker is pinned to one CPU,
-- the upstream and the load generator to another (when there are two).
local lib = require "lib"
local nginx = require "support.nginx"
local capture_location = require "support.capture_location"

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
    }
    location = /capture {
      set $back_url %s;
      set $answer_bytes %d;
      content_by_lua_block { require("ngx_sdk").handle_capture() }
    }
    # compshare.transport.capture's location, as docs/OPENRESTY.md declares it (plain http here)
%s]]):format(back.url, #lib.IMAGES_BODY, back.url, #lib.IMAGES_BODY, capture_location("http://back/")),
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
    local ways = { { "proxy", loader("proxy") }, { "sdk", loader("sdk") }, { "capture", loader("capture") } }
    local rate, cpu = {}, {}
    for _, w in ipairs(ways) do rate[w[1]], cpu[w[1]] = {}, {} end
    for r = 1, ctx.rounds do
      for j = 0, #ways - 1 do
        local w = ways[(r + j) % #ways + 1]
        rate[w[1]][r], cpu[w[1]][r] = w[2]()
      end
    end
    os.execute("rm -rf " .. lib.sh_quote(dir))
    local proxy, proxy_us = lib.median(rate.proxy), lib.median(cpu.proxy) * 1e6
    local rows = {}
    for _, way in ipairs { { "sdk", "SDK call per request inside nginx (cosockets)" },
                           { "capture", "the same through compshare.transport.capture" } } do
      local got, us = lib.median(rate[way[1]]), lib.median(cpu[way[1]]) * 1e6
      rows[#rows + 1] = { what = ("%s, %d connections (req/s)"):format(way[2], CONNECTIONS), value = got,
        base_what = "bare proxy_pass to the same upstream (req/s)", base = proxy,
        ratio = got / proxy, ratio_means = "x proxy_pass", target = ">= 0.6", pass = got / proxy >= 0.6 }
      -- The worker is saturated, so its CPU per request is what sets the rate; it moves much
      -- less than the rate with the other load on a shared machine.
      -- (at smoke sizes the worker's CPU can read 0 ticks: no ratio to give then)
      if us > 0 and proxy_us > 0 then rows[#rows + 1] = { what = "  front worker CPU per request (us)", value = us,
        base_what = "the same for proxy_pass (us)", base = proxy_us,
        ratio = proxy_us / us, ratio_means = "x proxy_pass (rate it allows)", target = ">= 0.6",
        pass = proxy_us / us >= 0.6 } end
    end
    return rows
  end)
  front.stop()
  if not ok then error(rows, 0) end
  return rows
end
