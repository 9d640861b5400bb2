-- compshare.validate: types, required fields, enums and every documented rule,
-- each with a passing and a failing case; hostile input never raises.
local validate = require "compshare.validate"

local DEFAULTS = { Region = "cn-wlcb", Zone = "cn-wlcb-01" }

local instance = require("support.fixtures").instance

local function check(action, params, defaults)
  return validate.check(action, params, defaults or DEFAULTS)
end

--- The problem at `path`, or nil.
local function problem_at(problems, path)
  for _, p in ipairs(problems or {}) do
    if p.path == path then return p end
  end
end

local function fails(action, params, path, pattern)
  local problems = check(action, params)
  assert.is_table(problems, "expected a problem at " .. path)
  local p = problem_at(problems, path)
  assert.is_table(p, "no problem at " .. path .. "; got " .. require("compshare.errors").validation(action, problems).message)
  if pattern then assert.matches(pattern, p.message, 1, true) end
end

local function passes(action, params)
  local problems = check(action, params)
  assert.is_nil(problems, problems and require("compshare.errors").validation(action, problems).message)
end

describe("validate", function()
  it("accepts a complete CreateCompShareInstance", function()
    passes("CreateCompShareInstance", instance())
  end)

  describe("types", function()
    it("int refuses 1.5, a string, NaN and inf; accepts 16", function()
      fails("CreateCompShareInstance", instance { CPU = 1.5 }, "CPU", "integer")
      fails("CreateCompShareInstance", instance { CPU = "16" }, "CPU", "integer")
      fails("CreateCompShareInstance", instance { CPU = 0 / 0 }, "CPU")
      fails("CreateCompShareInstance", instance { CPU = math.huge }, "CPU")
      passes("CreateCompShareInstance", instance { CPU = 16 })
    end)
    it("float accepts 1.5 and 0, refuses a string", function()
      passes("PublishCompShareImage", { CompShareImageId = "i", Price = 1.5 })
      passes("PublishCompShareImage", { CompShareImageId = "i", Price = 0 })
      fails("PublishCompShareImage", { CompShareImageId = "i", Price = "1.5" }, "Price", "number")
    end)
    it("string refuses a number and a table", function()
      fails("CreateCompShareInstance", instance { Name = 5 }, "Name", "string")
      fails("CreateCompShareInstance", instance { Name = {} }, "Name", "string")
    end)
    it("bool accepts true/false and \"true\"/\"false\", refuses others", function()
      passes("CreateCompShareInstance", instance { EnableUS3 = false })
      passes("CreateCompShareInstance", instance { Disks = { { IsBoot = "true", Size = 200, Type = "CLOUD_SSD" } } })
      fails("CreateCompShareInstance", instance { EnableUS3 = 1 }, "EnableUS3", "boolean")
      fails("CreateCompShareInstance", instance { EnableUS3 = "True" }, "EnableUS3", "boolean")
    end)
    it("arrays must be lists of the element type", function()
      passes("DescribeCompShareInstance", { UHostIds = { "a", "b" } })
      fails("DescribeCompShareInstance", { UHostIds = "a" }, "UHostIds", "array")
      fails("DescribeCompShareInstance", { UHostIds = { x = "a" } }, "UHostIds", "array")
      fails("DescribeCompShareInstance", { UHostIds = { "a", 2 } }, "UHostIds[2]", "string")
      fails("UpdateCompShareInstancePorts", { HttpPorts = { 80, 8.5 } }, "HttpPorts[2]", "integer")
    end)
    it("objects are checked against their model", function()
      passes("PublishCompShareImage", { CompShareImageId = "i", Softwares = { CUDAVersion = "12.1", Applications = { "x" } } })
      fails("PublishCompShareImage", { CompShareImageId = "i", Softwares = { Application = { "x" } } },
        "Softwares.Application", "did you mean \"Applications\"")
      fails("PublishCompShareImage", { CompShareImageId = "i", Softwares = "x" }, "Softwares", "object")
    end)
    it("params that are not a table", function()
      fails("DescribeCompShareInstance", "x", "", "table")
    end)
  end)

  describe("required fields", function()
    it("reports each missing one, including in nested objects", function()
      local problems = check("CreateCompShareInstance", { Disks = { { IsBoot = true } } })
      for _, path in ipairs { "GpuType", "GPU", "CPU", "Memory", "CompShareImageId", "Disks[1].Size", "Disks[1].Type" } do
        assert.is_table(problem_at(problems, path), path)
      end
    end)
    it("common fields are satisfied by the client defaults", function()
      local problems = validate.check("StartCompShareInstance", { UHostId = "u" }, {})
      assert.matches("required", problem_at(problems, "Region").message)
      assert.matches("required", problem_at(problems, "Zone").message)
      assert.is_nil(validate.check("StartCompShareInstance", { UHostId = "u" }, { Region = "r", Zone = "z" }))
      passes("StartCompShareInstance", { UHostId = "u", Region = "r", Zone = "z" })
    end)
    it("MachineType is optional and Disks required (seed page)", function()
      passes("CreateCompShareInstance", instance { MachineType = nil })
      local p = instance()
      p.Disks = nil
      fails("CreateCompShareInstance", p, "Disks", "required")
    end)
  end)

  describe("unknown fields", function()
    it("are errors naming the field and the closest real one", function()
      fails("CreateCompShareInstance", instance { GpuTpye = "4090" }, "GpuTpye", "did you mean \"GpuType\"")
      fails("CreateCompShareInstance", instance { Disks = { { IsBoot = true, Size = 1, Type = "CLOUD_SSD", Sise = 2 } } },
        "Disks[1].Sise", "did you mean \"Size\"")
    end)
    it("without a close match, lists the known fields", function()
      fails("StopCompShareInstance", { UHostId = "u", Turbo = true }, "Turbo", "known fields: Region, Zone, ProjectId, UHostId")
    end)
    it("seed-only fields are known", function()
      passes("CreateCompShareInstance", instance { Remark = "driver:535", MaxCount = 2 })
      passes("PublishCompShareImage", { CompShareImageId = "i", GroupId = "g", VersionName = "v1.0",
        VersionDesc = "d", SupportedGpuTypes = { "4090" } })
    end)
  end)

  describe("enums", function()
    it("disk Type and ChargeType", function()
      fails("CreateCompShareInstance", instance { ChargeType = "Weekly" }, "ChargeType", "not one of")
      passes("CreateCompShareInstance", instance { ChargeType = "Day" })
      fails("CreateCompShareInstance", instance { Disks = { { IsBoot = true, Size = 1, Type = "SSD" } } },
        "Disks[1].Type", "not one of")
    end)
    it("GpuType from the seed table", function()
      fails("CreateCompShareInstance", instance { GpuType = "K80" }, "GpuType", "not one of")
      passes("CreateCompShareInstance", instance { GpuType = "H20", MinimalCpuPlatform = "Intel/Auto" })
    end)
    it("DescribeCompShareImages ImageType System|App", function()
      passes("DescribeCompShareImages", { ImageType = "App" })
      fails("DescribeCompShareImages", { ImageType = "Custom" }, "ImageType", "not one of")
    end)
    it("Visibility 0 or 1", function()
      passes("UpdateCompShareImage", { CompShareImageId = "i", Visibility = 0 })
      fails("UpdateCompShareImage", { CompShareImageId = "i", Visibility = 2 }, "Visibility", "not one of")
    end)
  end)

  describe("documented rules", function()
    it("Memory is a multiple of 1024", function()
      fails("CreateCompShareInstance", instance { Memory = 65537 }, "Memory", "multiple of 1024")
      passes("CreateCompShareInstance", instance { Memory = 32768 })
    end)
    it("GPU from 1 to the per-GpuType maximum", function()
      fails("CreateCompShareInstance", instance { GPU = 0 }, "GPU", "minimum 1")
      fails("CreateCompShareInstance", instance { GPU = 11 }, "GPU", "maximum 10")
      passes("CreateCompShareInstance", instance { GPU = 10, CPU = 140, Memory = 680 * 1024 })
      fails("CreateCompShareInstance", instance { GpuType = "A100", GPU = 9, MinimalCpuPlatform = "Auto" }, "GPU", "maximum 8")
    end)
    it("CPU and Memory up to the per-GpuType maximum", function()
      fails("CreateCompShareInstance", instance { GpuType = "3080Ti", CPU = 16 }, "CPU", "maximum 12")
      fails("CreateCompShareInstance", instance { Memory = 681 * 1024 }, "Memory", "maximum")
      passes("CreateCompShareInstance", instance { GpuType = "H20", CPU = 188, Memory = 1800 * 1024 })
    end)
    it("Spot is refused for 4090_48G, A800, H20, P40 and 2080", function()
      for _, g in ipairs { "4090_48G", "A800", "H20", "P40", "2080" } do
        fails("CreateCompShareInstance", instance { GpuType = g, ChargeType = "Spot" }, "GpuType", "ChargeType=Spot")
      end
      passes("CreateCompShareInstance", instance { GpuType = "4090", ChargeType = "Spot" })
      passes("CreateCompShareInstance", instance { GpuType = "A800", ChargeType = "Dynamic" })
    end)
    it("CLOUD_RSSD only with A800", function()
      local rssd = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" }, { IsBoot = false, Size = 500, Type = "CLOUD_RSSD" } }
      fails("CreateCompShareInstance", instance { GpuType = "4090", Disks = rssd }, "Disks[2].Type", "A800")
      passes("CreateCompShareInstance", instance { GpuType = "A800", Disks = rssd })
    end)
    it("Intel-only GPU types refuse Amd/Auto", function()
      fails("CreateCompShareInstance", instance { GpuType = "A100", MinimalCpuPlatform = "Amd/Auto" },
        "MinimalCpuPlatform", "Intel/Auto")
      passes("CreateCompShareInstance", instance { GpuType = "A100", MinimalCpuPlatform = "Auto" })
      passes("CreateCompShareInstance", instance { GpuType = "3090", MinimalCpuPlatform = "Amd/Auto" })
    end)
    it("at least one boot disk", function()
      fails("CreateCompShareInstance", instance { Disks = { { IsBoot = false, Size = 200, Type = "CLOUD_SSD" } } },
        "Disks", "IsBoot=true")
      fails("CreateCompShareInstance", instance { Disks = {} }, "Disks", "IsBoot=true")
      passes("CreateCompShareInstance", instance { Disks = { { IsBoot = false, Size = 20, Type = "CLOUD_SSD" },
        { IsBoot = "true", Size = 200, Type = "CLOUD_SSD" } } })
    end)
    it("Quantity is at least 1 (0, buy to the end of the month, is not supported)", function()
      fails("CreateCompShareInstance", instance { Quantity = 0 }, "Quantity", "below the minimum 1")
      passes("CreateCompShareInstance", instance { Quantity = 3 })
    end)
    it("Name: at most 63 characters from the allowed set, CJK included", function()
      passes("CreateCompShareInstance", instance { Name = "gpu-01_a.b,c:d" })
      passes("CreateCompShareInstance", instance { Name = "训练机-1" })
      passes("CreateCompShareInstance", instance { Name = ("名"):rep(63) })
      fails("CreateCompShareInstance", instance { Name = ("a"):rep(64) }, "Name", "at most 63")
      fails("CreateCompShareInstance", instance { Name = ("名"):rep(64) }, "Name", "at most 63")
      fails("CreateCompShareInstance", instance { Name = "my host" }, "Name", "not allowed")
      fails("CreateCompShareInstance", instance { Name = "a/b" }, "Name", "U+002F")
    end)
    it("DescribeCompShareImages Limit 1..100 and Offset >= 0", function()
      passes("DescribeCompShareImages", { Limit = 1, Offset = 0 })
      passes("DescribeCompShareImages", { Limit = 100 })
      fails("DescribeCompShareImages", { Limit = 0 }, "Limit", "minimum 1")
      fails("DescribeCompShareImages", { Limit = 101 }, "Limit", "maximum 100")
      fails("DescribeCompShareImages", { Offset = -1 }, "Offset", "minimum 0")
    end)
    it("VersionName shaped like v1.0", function()
      for _, good in ipairs { "v1.0", "v2", "v10.2.3" } do
        passes("PublishCompShareImage", { CompShareImageId = "i", VersionName = good })
      end
      for _, bad in ipairs { "1.0", "v", "v1..0", "v1.", "version1", "v1.0-beta" } do
        fails("PublishCompShareImage", { CompShareImageId = "i", VersionName = bad }, "VersionName", "v1.0")
      end
      fails("UpdateCompShareImage", { CompShareImageId = "i", VersionName = "x" }, "VersionName", "v2.0")
    end)
    it("Price >= 0", function()
      fails("PublishCompShareImage", { CompShareImageId = "i", Price = -0.5 }, "Price", "minimum 0")
      fails("UpdateCompShareImage", { CompShareImageId = "i", Price = -1 }, "Price", "minimum 0")
      passes("UpdateCompShareImage", { CompShareImageId = "i", Price = 0 })
    end)
    it("UpdateCompShareImage: Price required when Visibility=1", function()
      fails("UpdateCompShareImage", { CompShareImageId = "i", Visibility = 1 }, "Price", "Visibility=1")
      passes("UpdateCompShareImage", { CompShareImageId = "i", Visibility = 1, Price = 2 })
    end)
    it("AutoStart is true/false (bool or the SDK's string), never True", function()
      passes("PublishCompShareImage", { CompShareImageId = "i", AutoStart = true })
      passes("PublishCompShareImage", { CompShareImageId = "i", AutoStart = "false" })
      fails("PublishCompShareImage", { CompShareImageId = "i", AutoStart = "True" }, "AutoStart", "boolean")
      fails("UpdateCompShareImage", { CompShareImageId = "i", AutoStart = 1 }, "AutoStart", "boolean")
    end)
    it("Tags at most 3", function()
      passes("PublishCompShareImage", { CompShareImageId = "i", Tags = { "a", "b", "c" } })
      fails("PublishCompShareImage", { CompShareImageId = "i", Tags = { "a", "b", "c", "d" } }, "Tags", "3")
    end)
    it("string-typed Limit takes an integer or a decimal string", function()
      passes("DescribeCommunityImages", { Limit = 10 })
      passes("DescribeCommunityImages", { Limit = "10" })
      fails("DescribeCommunityImages", { Limit = "ten" }, "Limit", "decimal string")
      fails("DescribeCommunityImages", { Limit = "500" }, "Limit", "maximum 100")
    end)
  end)

  describe("hostile input", function()
    it("reports every problem at once", function()
      local problems = check("CreateCompShareInstance", instance { CPU = 1.5, Memory = 3, ChargeType = "x", Foo = 1 })
      assert.is_true(#problems >= 4)
      for _, path in ipairs { "CPU", "Memory", "ChargeType", "Foo" } do assert.is_table(problem_at(problems, path), path) end
    end)
    it("cyclic tables", function()
      local disk = { IsBoot = true, Size = 1, Type = "CLOUD_SSD" }
      local disks = { disk }
      disks[2] = disks
      fails("CreateCompShareInstance", instance { Disks = disks }, "Disks[2]", "cyclic")
      local open = {}
      open.x = open
      fails("CheckCompShareResourceCapacity", { Anything = open }, "Anything.x", "cyclic")
    end)
    it("functions, userdata and threads as values", function()
      fails("StopCompShareInstance", { UHostId = print }, "UHostId", "function")
      fails("CheckCompShareResourceCapacity", { X = coroutine.create(print) }, "X", "thread")
      fails("CheckCompShareResourceCapacity", { X = io.stdout }, "X", "userdata")
    end)
    it("huge strings and invalid UTF-8", function()
      fails("StopCompShareInstance", { UHostId = ("u"):rep(validate.MAX_STRING + 1) }, "UHostId", "longer")
      passes("StopCompShareInstance", { UHostId = ("u"):rep(100) })
      for _, bad in ipairs { "\255", "a\192\128", "\237\160\128", "\244\144\128\128", "\226\130" } do
        fails("StopCompShareInstance", { UHostId = bad }, "UHostId", "UTF-8")
      end
      passes("StopCompShareInstance", { UHostId = "ユーザー€😀" })
    end)
    it("lists at most MAX_PROBLEMS problems and counts the rest", function()
      local ids = {}
      for i = 1, 500 do ids[i] = i end
      local problems = check("DescribeCompShareInstance", { UHostIds = ids })
      assert.equal(validate.MAX_PROBLEMS + 1, #problems)
      assert.equal("and 450 more problem(s)", problems[#problems].message)
    end)
    it("a huge unknown key gets no suggestion and no edit distance worked out", function()
      local distance, calls = validate.distance, 0
      local function counted(params)
        calls = 0
        validate.distance = function(...) calls = calls + 1; return distance(...) end
        local ok, problems = pcall(check, "StopCompShareInstance", params)
        validate.distance = distance
        assert(ok, problems)
        return problems[1].message .. (problems[1].hint or ""), problems[1].path
      end
      local message, path = counted { UHostId = "u", [("k"):rep(70000)] = 1 }
      assert.equal(0, calls)   -- it would be 70,000 x each field name's length cells
      assert.is_true(#path < 100)
      assert.is_nil(message:find("did you mean", 1, true))
      -- a near miss does work it out, so the count above could fail
      message = counted { UHostId = "u", UHostld = 1 }
      assert.is_true(calls > 0)
      assert.matches("did you mean", message)
    end)
    it("deep nesting stops at MAX_DEPTH", function()
      local t = {}
      local cur = t
      for _ = 1, validate.MAX_DEPTH + 5 do
        cur.x = {}
        cur = cur.x
      end
      local problems = check("CheckCompShareResourceCapacity", { Deep = t })
      assert.is_table(problems)
      assert.matches("deeper", problems[1].message)
    end)
    it("non-string keys and an open action's own checks", function()
      fails("StopCompShareInstance", { UHostId = "u", [1] = "x" }, "[1]", "strings")
      passes("CheckCompShareResourceCapacity", { GpuType = "4090", Whatever = { 1, "a" } })
      fails("CheckCompShareResourceCapacity", { GpuType = "K80" }, "GpuType", "not one of")
    end)
    it("never raises on random garbage", function()
      local values = { 1, 1.5, -1, 0 / 0, "", "\255", true, false, {}, { 1, 2 }, { a = {} }, print,
        coroutine.create(print), io.stdout, ("x"):rep(70000) }
      math.randomseed(7)
      local spec = require "compshare.spec"
      for _, name in ipairs(spec.action_names) do
        local fields = spec.actions[name].request
        for _ = 1, 5 do
          local p = {}
          for _, f in ipairs(fields) do
            if math.random() < 0.6 then p[f.name] = values[math.random(#values)] end
          end
          local ok, res = pcall(validate.check, name, p, DEFAULTS)
          assert.is_true(ok, name .. ": " .. tostring(res))
        end
      end
    end)
  end)

  describe("closest", function()
    it("uses edit distance", function()
      assert.equal(0, validate.distance("abc", "abc"))
      assert.equal(1, validate.distance("abc", "abd"))
      assert.equal(3, validate.distance("", "abc"))
      assert.equal("GpuType", (validate.closest("gputype", { "GPU", "GpuType", "CPU" })))
    end)
  end)
end)
