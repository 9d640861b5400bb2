--- The benchmark runner: `make bench` (full sizes) and `make bench-smoke` (tiny sizes).
--   lua5.4 bench/run.lua [--smoke] [section ...]     sections: sign sequential concurrency memory workflow large nginx
-- Prints one table; every figure is a ratio against a baseline measured in the
-- same run. Each section runs in a fresh process of the same interpreter
-- (`--section NAME`, which prints its rows as JSON), so one section's heap
-- never slows the next. Exits non-zero when a section fails to run (not when a
-- target is missed: the machine is shared and noisy, the table says MISS).
local json = require "cjson"
local lib = require "lib"

local SECTIONS = { "sign", "sequential", "concurrency", "memory", "workflow", "large", "nginx" }
-- Sections run on one CPU (with everything they start: nginx, the C floors): a sequential
-- client and its local server waking each other across CPUs pay ~40 us per call for it.
local PINNED = { sign = true, sequential = true, large = true }

local function parse(argv)
  local ctx = { smoke = false, only = {} }
  local i = 1
  while argv[i] do
    local a = argv[i]
    if a == "--smoke" then ctx.smoke = true
    elseif a == "--section" then ctx.section, i = argv[i + 1], i + 1
    else ctx.only[#ctx.only + 1] = a end
    i = i + 1
  end
  if #ctx.only == 0 then ctx.only = SECTIONS end
  -- Sizes: the issue's in a full run, tiny ones that still exercise every path in a smoke run.
  ctx.seconds = ctx.smoke and 0.02 or 0.3      -- per timing round of the rate measurements
  ctx.repeats = ctx.smoke and 1 or 5           -- rounds; the median is reported
  ctx.rounds = ctx.smoke and 1 or 7            -- rotated rounds of the floor comparisons; medians
  ctx.calls = ctx.smoke and 50 or 10000        -- section 2, per contender and round
  ctx.batch = ctx.smoke and 20 or 200          -- section 3
  ctx.memory = ctx.smoke and { 100, 400 } or { 1000, 20000 } -- section 4
  return ctx
end

local function fmt(x)
  if type(x) ~= "number" then return tostring(x or "") end
  if x == math.floor(x) and math.abs(x) < 1e12 then return ("%d"):format(x) end
  if x >= 100 then return ("%.0f"):format(x) end
  if x >= 10 then return ("%.1f"):format(x) end
  return ("%.3g"):format(x)
end

local function print_table(all)
  local head = { "#", "measurement", "result", "baseline", "baseline value", "ratio", "target", "" }
  local lines = { head }
  for _, r in ipairs(all) do
    if r.skipped then
      lines[#lines + 1] = { r.section, r.what, "skipped: " .. r.skipped, "", "", "", "", "" }
    else
      local verdict = r.pass == nil and "" or (r.pass and "ok" or "MISS")
      lines[#lines + 1] = { r.section, r.what, fmt(r.value), r.base_what or "", fmt(r.base),
                            r.ratio and (fmt(r.ratio) .. " " .. (r.ratio_means or "")) or "", r.target or "", verdict }
    end
  end
  local width = {}
  for _, l in ipairs(lines) do
    for i, cell in ipairs(l) do width[i] = math.max(width[i] or 0, #cell) end
  end
  for n, l in ipairs(lines) do
    local cells = {}
    for i, cell in ipairs(l) do cells[i] = cell .. (" "):rep(width[i] - #cell) end
    print("| " .. table.concat(cells, " | ") .. " |")
    if n == 1 then
      local rule = {}
      for i = 1, #l do rule[i] = ("-"):rep(width[i]) end
      print("|-" .. table.concat(rule, "-|-") .. "-|")
    end
  end
end

-- Child: run one section here and print its rows.
local function run_section(ctx)
  local ok, rows = xpcall(function() return require(ctx.section)(ctx) end, debug.traceback)
  lib.cleanup()
  if not ok then
    io.stderr:write(("bench: section %s failed: %s\n"):format(ctx.section, tostring(rows)))
    os.exit(1)
  end
  io.write(json.encode(rows), "\n")
  os.exit(0)
end

-- Parent: each wanted section in its own process, rows gathered into one table.
local function run_all(ctx)
  local all, failed = {}, false
  for i, name in ipairs(SECTIONS) do
    local wanted = false
    for _, o in ipairs(ctx.only) do wanted = wanted or o == name end
    if wanted then
      local ok, out = pcall(lib.capture, ("%s%s bench/run.lua --section %s%s"):format(
        PINNED[name] and lib.pin() or "", lib.interpreter(), name, ctx.smoke and " --smoke" or ""))
      local rows = ok and json.decode(out:match("[^\n]*$"))
      if not rows then
        failed = true
        io.stderr:write(("bench: section %s failed\n%s\n"):format(name, tostring(out)))
        rows = { { what = name, skipped = "FAILED (see stderr)" } }
      end
      for _, r in ipairs(rows) do
        r.section = tostring(i)
        all[#all + 1] = r
      end
    end
  end
  print(("compshare-lua benchmark (%s, %s, %s, load average %s, pinned sections on %s)"):format(
    ctx.smoke and "smoke sizes" or "full sizes", (jit and jit.version) or _VERSION, os.date("!%Y-%m-%d %H:%M UTC"),
    lib.loadavg(), lib.pin() ~= "" and ("CPU " .. lib.pin():match("%-c (%d+)")) or "no CPU (no taskset)"))
  print_table(all)
  os.exit(failed and 1 or 0)
end

local ctx = parse(arg)
if ctx.section then run_section(ctx) else run_all(ctx) end
