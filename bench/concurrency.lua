--- Section 3: client:batch of M calls against an upstream answering after
-- 20 ms, at concurrency K, against the ideal (M / K * 20 ms) and against the
-- same M calls made one after the other.
local lib = require "lib"

local DELAY = 0.02   -- seconds, the upstream's answer time (ngx.sleep in /slow)

return function(ctx)
  local srv = lib.server()
  local client = lib.client { base_url = srv.url .. "slow" }
  local m = ctx.batch
  local calls = {}
  for i = 1, m do calls[i] = { "DescribeCompShareImages", { ImageType = "System", Offset = i - 1 } } end

  local function run_batch(k)
    local results = client:batch(calls, { concurrency = k })
    for i = 1, m do
      if not results[i].ok then error(("batch call %d failed: %s"):format(i, tostring(results[i].error))) end
    end
  end
  local sequential = lib.time(function()
    for i = 1, m do assert(client:call(calls[i][1], calls[i][2])) end
  end)

  local rows = {}
  for _, k in ipairs { 10, 50 } do
    run_batch(k)   -- warm: connections opened
    local t = lib.time(function() run_batch(k) end, ctx.repeats)
    local ideal = math.ceil(m / k) * DELAY
    rows[#rows + 1] = { what = ("batch %d calls, concurrency %d (s)"):format(m, k), value = t,
                        base_what = "ideal ceil(M/K) x 20 ms (s)", base = ideal,
                        ratio = t / ideal, ratio_means = "x ideal", target = "<= 1.5", pass = t / ideal <= 1.5 }
    -- At K = 10 even a perfect batch is only ~10x faster than sequential calls,
    -- so the ">= 10x" target is judged where K leaves room for it.
    local judged = k > 10
    rows[#rows + 1] = { what = "  same batch", value = t, base_what = "sequential calls (s)", base = sequential,
                        ratio = sequential / t, ratio_means = "x faster",
                        target = judged and ">= 10" or "(at most ~K)", pass = judged and sequential / t >= 10 or nil }
  end
  -- 1,000 calls at K = 200: five waves against the 20 ms server, where what a batch does between
  -- the waves (preparing, starting, collecting, interpreting) shows.
  local big, kbig = {}, ctx.smoke and 8 or 200
  for i = 1, ctx.smoke and 40 or 1000 do big[i] = { "DescribeCompShareImages", { ImageType = "System", Offset = i - 1 } } end
  local function run_big()
    local results = client:batch(big, { concurrency = kbig })
    for i = 1, #big do
      if not results[i].ok then error(("batch call %d failed: %s"):format(i, tostring(results[i].error))) end
    end
  end
  run_big()   -- warm: K connections opened
  local t_big, ideal_big = lib.time(run_big, ctx.repeats), math.ceil(#big / kbig) * DELAY
  rows[#rows + 1] = { what = ("batch %d calls, concurrency %d (s)"):format(#big, kbig), value = t_big,
                      base_what = "ideal ceil(M/K) x 20 ms (s)", base = ideal_big,
                      ratio = t_big / ideal_big, ratio_means = "x ideal", target = "<= 1.15", pass = t_big / ideal_big <= 1.15 }
  for _, k in ipairs { 10, 50 } do   -- the same batch inside nginx, over cosockets
    local runs = {}
    for r = 1, ctx.repeats do
      local out = lib.capture(("curl -s --max-time 60 %s"):format(lib.sh_quote(("%sngx_batch?m=%d&k=%d"):format(srv.url, m, k))))
      local elapsed, ok = out:match('"elapsed":([%d.]+),"ok":(%d+)')
      if tonumber(ok) ~= m then error("batch inside nginx failed: " .. out .. "\n" .. srv.error_log():sub(-2000)) end
      runs[r] = tonumber(elapsed)
    end
    local t, ideal = lib.median(runs), math.ceil(m / k) * DELAY
    rows[#rows + 1] = { what = ("batch %d calls inside nginx (cosockets), K=%d (s)"):format(m, k), value = t,
                        base_what = "ideal ceil(M/K) x 20 ms (s)", base = ideal,
                        ratio = t / ideal, ratio_means = "x ideal", target = "<= 1.5", pass = t / ideal <= 1.5 }
  end
  return rows
end
