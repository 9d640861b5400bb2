-- Paid quantities of the actions that spend besides the instance create: a resize's target
-- Cpu/Gpu/Memory, a disk's new Size, a lighthouse host's purchase Quantity. Zero, negative
-- and -0.0 values are refused before anything is sent (they went out unchecked); 1 and up go.
local compshare = require "compshare"
local stub = require "compshare.stub"

local function client()
  local s = stub.new {}
  return compshare.new { transport = s, public_key = "pk", private_key = "sk", region = "cn-wlcb",
    zone = "cn-wlcb-01" }, s
end

local ULHOST = { BundleId = "ulh.c1m1s40b30t800", ImageId = "img-1", Password = "UGFzc3dvcmQx" }

local function with(base, extra)
  local o = {}
  for k, v in pairs(base) do o[k] = v end
  for k, v in pairs(extra) do o[k] = v end
  return o
end

local CASES = {
  { "ResizeCompShareInstance", { UHostId = "uhost-1" }, { "Cpu", "Gpu", "Memory" } },
  { "ResizeCompShareDisk", { UDiskId = "disk-1" }, { "Size" } },
  { "CreateULHostInstance", ULHOST, { "Quantity" } },
}

describe("paid quantities of the other spending actions", function()
  for _, case in ipairs(CASES) do
    local action, base, fields = case[1], case[2], case[3]
    for _, field in ipairs(fields) do
      it(("%s refuses %s below 1 with 0 requests, and sends 1"):format(action, field), function()
        local c, s = client()
        for _, bad in ipairs { 0, -1, -0.0, -2 ^ 31, -2 ^ 53 } do
          local res, err = c[action](c, with(base, { [field] = bad }))
          assert.is_nil(res)
          assert.equal("validation", err.kind)
          assert.equal(field, err.problems[1].path)
          assert.matches("below the minimum 1", err.problems[1].message)
        end
        assert.equal(0, #s.requests)
        s:push { }
        assert(c[action](c, with(base, { [field] = 1 })))
        assert.equal(1, #s.requests)
      end)
    end
  end
end)
