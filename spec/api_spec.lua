-- Typed client:<Action> methods: one per action of compshare.json, validated
-- before anything is sent.
local cjson = require "cjson"
local compshare = require "compshare"
local stub = require "compshare.stub"

local SHARED = os.getenv("SHARED") or "../shared"

local function source_actions()
  local f = assert(io.open(SHARED .. "/api/compshare.json", "rb"))
  local data = cjson.decode(f:read("*a"))
  f:close()
  return data.actions
end

local function client_with(answers, opts)
  local t = stub.new(answers)
  local o = { public_key = "pub-key-0001", private_key = "priv-key-0001", region = "cn-wlcb",
              zone = "cn-wlcb-01", transport = t, sleep = function() end }
  for k, v in pairs(opts or {}) do o[k] = v end
  return compshare.new(o), t
end

local instance = require("support.fixtures").instance

describe("client:<Action>", function()
  it("exists for each of the actions of compshare.json and sends that action", function()
    local actions = source_actions()
    assert.equal(81, #actions)
    local c, t = client_with(nil, { project_id = "org-1" })
    for _, a in ipairs(actions) do
      assert.is_function(c[a.name], a.name)
      t:push({})
      -- Required fields filled with values of the right type, to reach the wire.
      local params = {}
      for _, f in ipairs(a.request) do
        if f.required and not f.common then
          params[f.name] = ({ string = "x", int = 1, float = 1, bool = true, ["array-of-string"] = { "x" },
            ["array-of-int"] = { 1 } })[f.type]
          if f.enum then params[f.name] = f.enum[1] end
        end
      end
      if a.name == "CreateCompShareInstance" then params = instance() end
      local res, err = c[a.name](c, params)
      assert.is_table(res, a.name .. ": " .. tostring(err))
      assert.equal(a.name, t.requests[#t.requests].params.Action)
    end
    assert.equal(81, #t.requests)
  end)

  it("raises on a misspelled action, naming the closest real one", function()
    local c = client_with()
    local ok, err = pcall(function() return c:CreateCompShareInstanse {} end)
    assert.is_false(ok)
    assert.matches('no action named "CreateCompShareInstanse"; did you mean "CreateCompShareInstance"', err, 1, true)
    assert.is_false((pcall(function() return c:describecompshareimages {} end)))
    err = select(2, pcall(function() return c:DescribeCompShareImage {} end))
    assert.matches('did you mean "DescribeCompShareImages"', err, 1, true)
    err = select(2, pcall(function() return c:FooBar {} end))        -- nothing is near: no guess
    assert.matches('no action named "FooBar"$', err)
    err = select(2, pcall(function() return c[("X"):rep(5000)](c, {}) end))
    assert.matches('no action named "XXXX', err, 1, true)
  end)

  it("leaves other missing fields nil", function()
    local c = client_with()
    assert.is_nil(c.no_such_field)
    assert.is_function(c.call)
    assert.is_function(c.paginate)
  end)

  it("refuses an unknown parameter, naming it and the closest field", function()
    local c, t = client_with()
    local res, err = c:CreateCompShareInstance(instance { GpuTyep = "4090" })
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.equal("GpuTyep", err.problems[1].path)
    assert.matches('did you mean "GpuType"', err.message, 1, true)
    assert.equal(0, #t.requests)
  end)

  it("takes Region/Zone/ProjectId from the client and sends the seed defaults", function()
    local c, t = client_with({ { UHostIds = { "uhost-1" } } }, { project_id = "org-1" })
    local params = instance { Name = "训练机-1" }
    local res = assert(c:CreateCompShareInstance(params))
    assert.same({ "uhost-1" }, res.UHostIds)
    local sent = t.requests[1].params
    assert.equal("cn-wlcb", sent.Region)
    assert.equal("cn-wlcb-01", sent.Zone)
    assert.equal("org-1", sent.ProjectId)
    assert.equal("G", sent.MachineType)
    assert.equal("true", sent["Disks.0.IsBoot"])
    assert.equal("训练机-1", sent.Name)
    assert.is_nil(params.MachineType, "the caller's table is not changed")
  end)

  it("requires Zone when neither the call nor the client has it", function()
    local c, t = client_with(nil, { zone = false })
    c.defaults.Zone = nil
    local _, err = c:StartCompShareInstance { UHostId = "u" }
    assert.equal("validation", err.kind)
    assert.equal("Zone", err.problems[1].path)
    assert.equal(0, #t.requests)
  end)

  it("sends AutoStart as true/false and seed-only fields as given", function()
    local c, t = client_with({ {}, {} })
    assert(c:PublishCompShareImage { CompShareImageId = "i", AutoStart = true, VersionName = "v1.0",
      SupportedGpuTypes = { "4090", "A800" }, Price = 0 })
    local sent = t.requests[1].params
    assert.equal("true", sent.AutoStart)
    assert.equal("v1.0", sent.VersionName)
    assert.equal("A800", sent["SupportedGpuTypes.1"])
    assert(c:UpdateCompShareImage { CompShareImageId = "i", AutoStart = "false" })
    assert.equal("false", t.requests[2].params.AutoStart)
  end)

  it("never retries an action the spec marks unsafe once it may have been applied", function()
    local c, t = client_with({ { status = 503, headers = {}, body = "busy" }, {} }, { max_retries = 2 })
    local _, err = c:ReinstallCompShareInstance { UHostId = "u", CompShareImageId = "i" }
    assert.equal("http", err.kind)
    assert.equal(1, #t.requests)
    local c2, t2 = client_with({ { status = 503, headers = {}, body = "busy" }, {} }, { max_retries = 2 })
    assert(c2:StopCompShareInstance { UHostId = "u" })
    assert.equal(2, #t2.requests)
  end)

  describe("bad inputs: a validation error and zero requests", function()
    local cyclic = {}
    cyclic[1] = cyclic
    local self_obj = {}
    self_obj.x = self_obj
    local huge = ("a"):rep(64 * 1024 + 1)
    local disk = { IsBoot = true, Size = 200, Type = "CLOUD_SSD" }
    local cases = {
      -- wrong types
      { "CreateCompShareInstance", instance { CPU = 1.5 }, "CPU" },
      { "CreateCompShareInstance", instance { CPU = "16" }, "CPU" },
      { "CreateCompShareInstance", instance { GPU = true }, "GPU" },
      { "CreateCompShareInstance", instance { Memory = 0 / 0 }, "Memory" },
      { "CreateCompShareInstance", instance { GpuType = 4090 }, "GpuType" },
      { "CreateCompShareInstance", instance { EnableUS3 = "yes" }, "EnableUS3" },
      { "CreateCompShareInstance", instance { Disks = "CLOUD_SSD" }, "Disks" },
      { "CreateCompShareInstance", instance { Disks = { disk, "x" } }, "Disks[2]" },
      { "DescribeCompShareInstance", { UHostIds = "uhost-1" }, "UHostIds" },
      { "DescribeCompShareInstance", { UHostIds = { a = "x" } }, "UHostIds" },
      { "PublishCompShareImage", { CompShareImageId = "i", Price = "free" }, "Price" },
      { "PublishCompShareImage", { CompShareImageId = "i", Softwares = "cuda" }, "Softwares" },
      { "StopCompShareInstance", "uhost-1", "" },
      -- missing required fields
      { "CreateCompShareInstance", { GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536, Disks = { disk } },
        "CompShareImageId" },
      { "StopCompShareInstance", {}, "UHostId" },
      { "CreateCompShareTeam", { Description = "d" }, "Name" },
      { "CreateCompShareInstance", instance { Disks = { { IsBoot = true, Type = "CLOUD_SSD" } } }, "Disks[1].Size" },
      -- out-of-range values and broken rules
      { "CreateCompShareInstance", instance { Memory = 1000 }, "Memory" },
      { "CreateCompShareInstance", instance { GPU = 0 }, "GPU" },
      { "CreateCompShareInstance", instance { GPU = 11 }, "GPU" },
      { "CreateCompShareInstance", instance { GpuType = "A800", ChargeType = "Spot" }, "GpuType" },
      { "CreateCompShareInstance", instance { Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_RSSD" } } }, "Disks[1].Type" },
      { "CreateCompShareInstance", instance { GpuType = "H20", MinimalCpuPlatform = "Amd/Auto" }, "MinimalCpuPlatform" },
      { "CreateCompShareInstance", instance { Disks = { { IsBoot = false, Size = 200, Type = "CLOUD_SSD" } } }, "Disks" },
      { "CreateCompShareInstance", instance { Quantity = 0 }, "Quantity" },
      { "CreateCompShareInstance", instance { Name = ("n"):rep(64) }, "Name" },
      { "CreateCompShareInstance", instance { Name = "rm -rf /" }, "Name" },
      { "CreateCompShareInstance", instance { ChargeType = "Yearly" }, "ChargeType" },
      { "DescribeCompShareImages", { Limit = 0 }, "Limit" },
      { "DescribeCompShareImages", { Limit = 101 }, "Limit" },
      { "DescribeCompShareImages", { Offset = -20 }, "Offset" },
      { "DescribeCompShareImages", { ImageType = "Custom" }, "ImageType" },
      { "PublishCompShareImage", { CompShareImageId = "i", VersionName = "1.0" }, "VersionName" },
      { "UpdateCompShareImage", { CompShareImageId = "i", Visibility = 3 }, "Visibility" },
      { "PublishCompShareImage", { CompShareImageId = "i", Price = -1 }, "Price" },
      { "PublishCompShareImage", { CompShareImageId = "i", AutoStart = "True" }, "AutoStart" },
      -- unknown fields
      { "CreateCompShareInstance", instance { Gpu = 1 }, "Gpu" },
      { "StopCompShareInstance", { UHostId = "u", Force = true }, "Force" },
      { "CreateCompShareInstance", instance { Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD", Iops = 3 } } },
        "Disks[1].Iops" },
      -- nested garbage
      { "CreateCompShareTeamRelation", { TeamId = 1, UserInfo = { { UserCompanyId = { {} } } } }, "UserInfo[1].UserCompanyId" },
      { "DescribeCommunityImages", { SortCondition = { Field = { "PubTime" } } }, "SortCondition.Field" },
      { "CreateCompShareInstance", instance { Disks = { { { IsBoot = true } } } }, nil },
      -- cyclic tables
      { "CreateCompShareInstance", instance { Disks = cyclic }, "Disks[1]" },
      { "CheckCompShareResourceCapacity", { Extra = self_obj }, "Extra.x" },
      -- functions and other non-data values
      { "StopCompShareInstance", { UHostId = function() return "u" end }, "UHostId" },
      { "CheckCompShareResourceCapacity", { Extra = coroutine.create(print) }, "Extra" },
      { "CheckCompShareResourceCapacity", { Extra = io.stderr }, "Extra" },
      -- huge strings
      { "StopCompShareInstance", { UHostId = huge }, "UHostId" },
      { "CreateCompShareCustomImage", { UHostId = "u", Name = "n", Description = huge }, "Description" },
      -- invalid UTF-8
      { "StopCompShareInstance", { UHostId = "uhost-\255" }, "UHostId" },
      { "CreateCompShareInstance", instance { Name = "\228\184" }, "Name" },
      { "ModifyCompShareInstanceName", { UHostId = "u", Name = "\192\175" }, "Name" },
    }

    it("has at least 40 cases", function()
      assert.is_true(#cases >= 40, #cases .. " cases")
    end)

    for i, case in ipairs(cases) do
      local action, params, path = case[1], case[2], case[3]
      it(("#%d %s %s"):format(i, action, path or "(any path)"), function()
        local c, t = client_with({ {} })
        local res, err = c[action](c, params)
        assert.is_nil(res)
        assert.equal("validation", err.kind)
        assert.is_true(#err.problems >= 1)
        if path then
          local found = false
          for _, p in ipairs(err.problems) do found = found or p.path == path end
          assert.is_true(found, "no problem at " .. path .. ": " .. err.message)
        end
        assert.equal(0, #t.requests)
        assert.is_true(#tostring(err) < 4096, "the message stays short")
        assert.falsy(tostring(err):find("priv-key-0001", 1, true))
      end)
    end
  end)
end)
