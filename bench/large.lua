--- Section 6: large answers. A DescribeCompShareImages call answered with a 0.5 MB and a 5 MB
-- body (a file the bench nginx serves), against lua-cjson's decode alone of the same body in the
-- same process (rotated rounds, medians): what the transfer, the buffers and the client add to
-- the decode that any client must do (the client itself decodes with core.json_decode). Then
-- the peak RSS one such call adds to a fresh process (bench/large_child.lua), against what the
-- body plus decoding it with json.decode add to a fresh process, measured the same way.
local cjson = require("cjson.safe").new()
local lib = require "lib"

local SIZES = { { "0.5 MB", 512 * 1024 }, { "5 MB", 5 * 1024 * 1024 } }

local function per_call(fn, reps)
  local t0 = lib.clock()
  for _ = 1, reps do fn() end
  return (lib.clock() - t0) / reps
end

return function(ctx)
  lib.server()
  local rows = {}
  for _, size in ipairs(SIZES) do
    local label, bytes = size[1], ctx.smoke and size[2] / 64 or size[2]
    local body = lib.images_body(bytes)
    local name = ("images-%d.json"):format(#body)
    local url = lib.serve_file(name, body)
    local client = lib.client { base_url = url }
    local function call()
      local res = assert(client:call("DescribeCompShareImages", {}))
      assert(res.TotalCount == #res.ImageSet)
    end
    local function decode() assert(cjson.decode(body)) end
    call()
    local reps = ctx.smoke and 2 or math.max(2, math.floor(8 * 1024 * 1024 / #body))
    local t = { call = {}, decode = {} }
    local order = { { "call", call }, { "decode", decode } }
    for r = 1, ctx.rounds do
      for j = 0, 1 do
        local c = order[(r + j) % 2 + 1]
        t[c[1]][r] = per_call(c[2], reps)
      end
    end
    local ours, base = lib.median(t.call), lib.median(t.decode)
    rows[#rows + 1] = { what = ("client:call, %s answer (%d bytes) (ms)"):format(label, #body), value = ours * 1e3,
                        base_what = "lua-cjson decode of the same body alone (ms)", base = base * 1e3,
                        ratio = ours / base, ratio_means = "x cjson", target = "<= 1.05", pass = ours / base <= 1.05 }
    local function child(mode, arg)
      local out = lib.capture(("%s bench/large_child.lua %s %s"):format(lib.interpreter(), mode, lib.sh_quote(arg)))
      return assert(tonumber(out:match("grew (%d+)")), out)
    end
    local grew, table_kb = child("call", url), child("decode", lib.files .. "/" .. name)
    local base_kb = math.floor(#body / 1024) + table_kb
    rows[#rows + 1] = { what = ("  peak RSS one call adds, %s (kB)"):format(label), value = grew,
                        base_what = "body + its decoded table, fresh process (kB)", base = base_kb,
                        ratio = grew / base_kb, ratio_means = "x", target = "<= 1.1", pass = grew <= 1.1 * base_kb }
  end
  return rows
end
