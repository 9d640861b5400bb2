-- Checks no table slips past (issue 10, item 5): what is validated is what is sent, paid
-- quantities have bounds, empty strings never stand in for a value. Every bad input is refused
-- with a validation error and zero requests reach the transport.
local compshare = require "compshare"
local stub = require "compshare.stub"
local instance = require("support.fixtures").instance

local function client_with(answers)
  local t = stub.new(answers or { {}, {}, {} })
  return compshare.new { public_key = "pub-key-0001", private_key = "priv-key-0001", region = "cn-wlcb",
    zone = "cn-wlcb-01", transport = t, sleep = function() end }, t
end

--- A table whose __pairs shows `shown` while its own fields are `raw`.
local function two_faced(raw, shown)
  return setmetatable(raw, { __pairs = function() return next, shown, nil end })
end

local function refused(action, params, path, pattern)
  local c, t = client_with()
  local res, err = c[action](c, params)
  assert.is_nil(res, action .. " was accepted")
  assert.equal("validation", err.kind)
  local found
  for _, p in ipairs(err.problems) do
    if p.path == path and (not pattern or p.message:find(pattern, 1, true)) then found = p end
  end
  assert.is_table(found, ("no problem at %s%s: %s"):format(path, pattern and (" saying " .. pattern) or "",
    err.message))
  assert.equal(0, #t.requests)
  return err
end

local MININT = math.mininteger or -2 ^ 63   -- LuaJIT has no integer subtype: the same value as a float

describe("checks no table slips past", function()
  describe("a metatable cannot show the validator one table and the encoder another", function()
    it("a __pairs that hides A800 + Spot, Memory 1000 and MaxCount 50 is refused, 0 requests", function()
      local bad = instance { GpuType = "A800", ChargeType = "Spot", Memory = 1000, MaxCount = 50 }
      bad.MaxCount = 500
      local params = two_faced(bad, instance())
      local c, t = client_with()
      local res, err = c:CreateCompShareInstance(params)
      assert.is_nil(res)
      assert.equal("validation", err.kind)
      local paths = {}
      for _, p in ipairs(err.problems) do paths[p.path] = true end
      assert.is_true(paths.GpuType and paths.Memory and paths.MaxCount, err.message)
      assert.equal(0, #t.requests)
    end)
    it("the same through client:batch", function()
      local c, t = client_with()
      local params = two_faced(instance { GpuType = "A800", ChargeType = "Spot" }, instance())
      local results = c:batch { { "CreateCompShareInstance", params } }
      assert.is_false(results[1].ok)
      assert.equal("validation", results[1].error.kind)
      assert.equal(0, #t.requests)
    end)
    it("what is sent is the table's own fields, never what __pairs or __index shows", function()
      local c, t = client_with()
      local params = two_faced({ UHostId = "uhost-real" }, { UHostId = "uhost-shown", Extra = "x" })
      assert(c:StopCompShareInstance(params))
      assert.equal("uhost-real", t.requests[1].params.UHostId)
      assert.is_nil(t.requests[1].params.Extra)
      -- the untyped client:call reads the same raw fields
      assert(c:call("StopCompShareInstance", params))
      assert.equal("uhost-real", t.requests[2].params.UHostId)
      assert.is_nil(t.requests[2].params.Extra)
    end)
    it("a field only an __index provides is missing", function()
      refused("StopCompShareInstance", setmetatable({}, { __index = { UHostId = "u" } }), "UHostId", "required")
    end)
    it("a nested table's __pairs does not hide a second boot disk", function()
      local disks = two_faced({ { IsBoot = true, Size = 200, Type = "CLOUD_SSD" },
                                { IsBoot = true, Size = 100, Type = "CLOUD_SSD" } },
                              { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" } })
      refused("CreateCompShareInstance", instance { Disks = disks }, "Disks", "at most 1")
    end)
    it("the caller's table is left as it was", function()
      local c = client_with()
      local p = instance()
      assert(c:CreateCompShareInstance(p))
      assert.is_nil(rawget(p, "MachineType"))   -- the seed default is added to the copy only
    end)
  end)

  describe("bounds on paid quantities", function()
    it("GPU from 1 to the per-type maximum", function()
      refused("CreateCompShareInstance", instance { GPU = 0 }, "GPU", "below the minimum 1")
      refused("CreateCompShareInstance", instance { GPU = -1 }, "GPU", "below the minimum 1")
      refused("CreateCompShareInstance", instance { GPU = 11 }, "GPU", "above the maximum 10")
      refused("CreateCompShareInstance", instance { GpuType = "A800", GPU = 9 }, "GPU", "above the maximum 8")
      local c = client_with()
      assert(c:CreateCompShareInstance(instance { GPU = 10, CPU = 16 }))
    end)
    it("CPU at least 1: -1, 0, -0.0 and the most negative integer are refused", function()
      for _, v in ipairs { -1, 0, -0.0, MININT } do
        refused("CreateCompShareInstance", instance { CPU = v }, "CPU", "below the minimum 1")
      end
    end)
    it("integer checks cannot overflow: NaN, inf, 2^63 and huge floats are not integers", function()
      for _, v in ipairs { 0 / 0, math.huge, -math.huge, 2 ^ 63, -2 ^ 63 - 2 ^ 12, 1e300, 2 ^ 53 + 2 } do
        refused("CreateCompShareInstance", instance { CPU = v }, "CPU")
        refused("CreateCompShareInstance", instance { MaxCount = v }, "MaxCount")
      end
      if math.maxinteger then
        refused("CreateCompShareInstance", instance { CPU = math.maxinteger }, "CPU", "integer")
      end
    end)
    it("MaxCount from 1 to 100 (the seed's largest account quota)", function()
      for _, v in ipairs { 0, -1 } do
        refused("CreateCompShareInstance", instance { MaxCount = v }, "MaxCount", "below the minimum 1")
      end
      for _, v in ipairs { 101, 1000000 } do
        refused("CreateCompShareInstance", instance { MaxCount = v }, "MaxCount", "above the maximum 100")
      end
      local c = client_with()
      assert(c:CreateCompShareInstance(instance { MaxCount = 100 }))
      assert(c:CreateCompShareInstance(instance { MaxCount = 1 }))
    end)
    it("Quantity at least 1", function()
      refused("CreateCompShareInstance", instance { Quantity = 0 }, "Quantity", "below the minimum 1")
      refused("CreateCompShareInstance", instance { Quantity = -3 }, "Quantity", "below the minimum 1")
      assert(client_with():CreateCompShareInstance(instance { Quantity = 1 }))
    end)
    it("Disks.N.Size at least 1", function()
      refused("CreateCompShareInstance", instance { Disks = { { IsBoot = true, Size = 0, Type = "CLOUD_SSD" } } },
        "Disks[1].Size", "below the minimum 1")
      refused("CreateCompShareInstance", instance { Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" },
        { IsBoot = false, Size = -5, Type = "CLOUD_SSD" } } }, "Disks[2].Size", "below the minimum 1")
    end)
    it("exactly one boot disk", function()
      refused("CreateCompShareInstance", instance { Disks = { { IsBoot = false, Size = 200, Type = "CLOUD_SSD" } } },
        "Disks", "at least 1")
      refused("CreateCompShareInstance", instance { Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" },
        { IsBoot = "true", Size = 200, Type = "CLOUD_SSD" } } }, "Disks", "at most 1")
    end)
  end)

  describe("empty strings", function()
    it("do not satisfy a required field", function()
      refused("CreateCompShareInstance", instance { CompShareImageId = "" }, "CompShareImageId", "must not be empty")
      refused("StopCompShareInstance", { UHostId = "" }, "UHostId", "must not be empty")
    end)
    it("never replace the client's Region, Zone or ProjectId: they are refused", function()
      refused("StopCompShareInstance", { UHostId = "u", Zone = "" }, "Zone", "client's default")
      refused("StopCompShareInstance", { UHostId = "u", Region = "" }, "Region", "client's default")
      refused("StopCompShareInstance", { UHostId = "u", ProjectId = "" }, "ProjectId", "client's default")
    end)
    it("the same on the untyped client:call path", function()
      local c, t = client_with()
      local res, err = c:call("StopCompShareInstance", { UHostId = "u", Zone = "" })
      assert.is_nil(res)
      assert.equal("validation", err.kind)
      assert.equal(0, #t.requests)
    end)
    it("an optional string may still be empty", function()
      local c, t = client_with()
      assert(c:CreateCompShareInstance(instance { Remark = "" }))
      assert.equal("", t.requests[1].params.Remark)
    end)
  end)
end)
