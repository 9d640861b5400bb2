--- Section 7: inside nginx. A front nginx (one worker) answers /sdk with one SDK call over
-- cosockets to the bench's upstream nginx, and /proxy with a bare proxy_pass to the same
-- upstream (kept-alive upstream connections, as the SDK's pool keeps them). A load generator
-- (bench/c/socket_loop.c) keeps C requests in flight over C kept-alive connections; requests per
-- second of /sdk against /proxy, rotated rounds, medians. The front worker is pinned to one CPU,
-- the upstream and the load generator to another (when there are two).
local lib = require "lib"
local nginx = require "support.nginx"

local CONNECTIONS = 16

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
        local secs, got = lib.capture(("%s%ssocket_loop %s %d %d %d"):format(lib.pin(), lib.C_DIR,
          lib.sh_quote(file), front.port, n, CONNECTIONS)):match("^([%d.]+) (%d+)")
        assert(tonumber(got) == n, "the load generator lost answers")
        return n / tonumber(secs)
      end
    end
    local ways = { { "proxy", loader("proxy") }, { "sdk", loader("sdk") } }
    local rate = { proxy = {}, sdk = {} }
    for r = 1, ctx.rounds do
      for j = 0, 1 do
        local w = ways[(r + j) % 2 + 1]
        rate[w[1]][r] = w[2]()
      end
    end
    os.execute("rm -rf " .. lib.sh_quote(dir))
    local sdk, proxy = lib.median(rate.sdk), lib.median(rate.proxy)
    return {
      { what = ("SDK call per request inside nginx, %d connections (req/s)"):format(CONNECTIONS), value = sdk,
        base_what = "bare proxy_pass to the same upstream (req/s)", base = proxy,
        ratio = sdk / proxy, ratio_means = "x proxy_pass", target = ">= 0.6", pass = sdk / proxy >= 0.6 },
    }
  end)
  front.stop()
  if not ok then error(rows, 0) end
  return rows
end
