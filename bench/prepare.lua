--- Cost of preparing one validated call: validate + encode + sign, against
-- encode + sign alone (client:prepare), for a small and a large request.
--   LUA_PATH='lua/?.lua;lua/?/init.lua;spec/?.lua;;' LUA_CPATH='build/5.4/?.so;;' lua5.4 bench/prepare.lua [seconds]
local compshare = require "compshare"
local api = require "compshare.api"

local SECONDS = tonumber(arg and arg[1]) or 0.5

local client = compshare.new { public_key = "pub-key-0001", private_key = "priv-key-0001", region = "cn-wlcb",
  zone = "cn-wlcb-01", transport = function() error("bench/prepare.lua sends nothing") end }

local CASES = {
  { "DescribeCompShareImages", { ImageType = "System", Limit = 20, Offset = 0 } },
  { "CreateCompShareInstance", {
      GpuType = "4090", GPU = 2, CPU = 32, Memory = 131072, CompShareImageId = "compshareImage-1",
      ChargeType = "Dynamic", Name = "bench-instance", MinimalCpuPlatform = "Auto",
      Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" }, { IsBoot = false, Size = 500, Type = "CLOUD_SSD" } },
  } },
}

--- Calls per second of fn, run for about SECONDS of CPU time.
local function rate(fn)
  local n, batch = 0, 200
  local start = os.clock()
  repeat
    for _ = 1, batch do fn() end
    n = n + batch
  until os.clock() - start >= SECONDS
  return n / (os.clock() - start)
end

print(("%-26s %16s %16s %12s"):format("action", "encode+sign/s", "validated/s", "validate us"))
for _, case in ipairs(CASES) do
  local action, params = case[1], case[2]
  assert(api.prepare(client, action, params))
  local plain = rate(function() assert(client:prepare(action, params)) end)
  local full = rate(function() assert(client:prepare(action, assert(api.prepare(client, action, params)))) end)
  print(("%-26s %16.0f %16.0f %12.2f"):format(action, plain, full, (1 / full - 1 / plain) * 1e6))
end

-- validate on a synthetic chain of nested models against a flat list of as many objects
-- (spec/support/deep_model.lua): the cost per object should not grow with the depth.
local validate = require "compshare.validate"
local deep = require "support.deep_model"
print()
print(("%-44s %14s %14s"):format("synthetic model (validate.check only)", "checks/s", "us per object"))
for _, case in ipairs {
  { "flat list of 20 objects", function(o) return deep.flat(20, o) end, 20 },
  { "chain depth 1", function(o) return deep.chain(1, o) end, 1 },
  { "chain depth 10", function(o) return deep.chain(10, o) end, 10 },
  { "chain depth 20", function(o) return deep.chain(20, o) end, 20 },
} do
  for _, missing in ipairs { false, true } do
    local action, params = case[2] { missing_leaf = missing }
    validate.check(action, params, {})
    local r = rate(function() validate.check(action, params, {}) end)
    print(("%-44s %14.0f %14.3f"):format(case[1] .. (missing and ", leaf missing" or ""), r, 1e6 / r / case[3]))
  end
  deep.remove()
end
