local compshare = require "compshare"
local core = require "compshare.core"
local sandbox = require "compshare.sandbox"

local CODES = sandbox.CODES
local CONTAINER = "compshareImage-sys-ubuntu2204-cuda121"
local VM = "compshareImage-sys-ubuntu2204-vm"
local DURATIONS = { instance_boot = 10, instance_start = 5, instance_stop = 4, instance_reboot = 6, image_make = 100 }

local function new(opts)
  opts = opts or {}
  opts.durations = opts.durations or DURATIONS
  return sandbox.client(opts)
end

local function create(c, image, extra)
  local p = { CompShareImageId = image or CONTAINER, GpuType = "4090", GPU = 1, CPU = 16, Memory = 65536,
    Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" } } }
  for k, v in pairs(extra or {}) do p[k] = v end
  local res, err = c:call("CreateCompShareInstance", p)
  assert(res, tostring(err))
  return res.UHostIds[1], res
end

local function state(c, id)
  local res = assert(c:call("DescribeCompShareInstance", { UHostIds = { id } }))
  return res.UHostSet[1] and res.UHostSet[1].State, res
end

local function running(c, sb, image)
  local id = create(c, image)
  sb:advance(DURATIONS.instance_boot)
  assert.equal("Running", state(c, id))
  return id
end

local function image_of(c, id)
  local res = assert(c:call("DescribeCompShareCustomImages", { CompShareImageId = id }))
  return res.ImageSet[1]
end

local function refused(code, res, err)
  assert.is_nil(res)
  assert.equal("api", err.kind)
  assert.equal(code, err.code)
  return err
end

describe("compshare.sandbox", function()
  describe("signature check", function()
    it("accepts a correctly signed call", function()
      local c = new()
      assert.is_table(c:call("DescribeCompShareInstance", {}))
    end)

    it("refuses a wrong private key with RetCode 171 and never echoes a key", function()
      local sb = sandbox.new()
      local c = compshare.new { transport = sb, public_key = "my_public_key", private_key = "not-the-key",
        region = "cn-wlcb", zone = "cn-wlcb-01" }
      local err = refused(CODES.signature, c:call("DescribeCompShareInstance", {}))
      assert.matches("Signature VerifyAC Error", err.message)
      assert.is_nil(tostring(err):find("my_private_key", 1, true))
      assert.is_nil(tostring(err):find("not-the-key", 1, true))
    end)

    it("refuses an unknown PublicKey, and uses opts.keys", function()
      local sb = sandbox.new { keys = { alice = "alice-secret" } }
      local c = compshare.new { transport = sb, public_key = "my_public_key", private_key = "my_private_key",
        region = "r", zone = "z" }
      local err = refused(CODES.signature, c:call("DescribeCompShareInstance", {}))
      assert.matches("unknown PublicKey", err.message)
      local alice = compshare.new { transport = sb, public_key = "alice", private_key = "alice-secret",
        region = "r", zone = "z" }
      assert.is_table(alice:call("DescribeCompShareInstance", {}))
    end)

    local function raw(sb, body)
      local res = sb { body = body }
      return require("compshare.json").decode(res.body)
    end

    it("refuses a tampered body and a missing Signature", function()
      local sb = sandbox.new()
      local body = core.encode({ Action = "DescribeCompShareInstance", Limit = 5, PublicKey = "my_public_key" },
        "my_private_key")
      assert.equal(0, raw(sb, body).RetCode)
      assert.equal(CODES.signature, raw(sb, (body:gsub("Limit=5", "Limit=6"))).RetCode)
      assert.equal(CODES.signature, raw(sb, "Action=DescribeCompShareInstance&PublicKey=my_public_key").RetCode)
      assert.equal(CODES.missing_action, raw(sb, "PublicKey=my_public_key").RetCode)
    end)
  end)

  it("answers an action the spec does not have with RetCode 160, and missing parameters with 230", function()
    local c = new()
    local err = refused(CODES.unknown_action, c:call("DescribeCompShareInstances", {}))
    assert.matches("does not exist %(did you mean DescribeCompShareInstance%?%)", err.message)
    err = refused(CODES.missing_param, c:call("StopCompShareInstance", {}))
    assert.matches("UHostId", err.message)
  end)

  describe("instances", function()
    it("go Initializing -> Running after instance_boot", function()
      local c, sb = new()
      local id = create(c)
      assert.equal("Initializing", state(c, id))
      sb:advance(DURATIONS.instance_boot - 1)
      assert.equal("Initializing", state(c, id))
      sb:advance(1)
      local s, res = state(c, id)
      assert.equal("Running", s)
      local inst = res.UHostSet[1]
      assert.equal("4090", inst.GpuType)
      assert.equal(CONTAINER, inst.CompShareImageId)
      assert.equal(200, inst.DiskSet[1].Size)
    end)

    it("stop, start, reboot and terminate through their intermediate states", function()
      local c, sb = new()
      local id = running(c, sb)
      local steps = {
        { "StopCompShareInstance", "Stopping", "Stopped", DURATIONS.instance_stop },
        { "StartCompShareInstance", "Starting", "Running", DURATIONS.instance_start },
        { "RebootCompShareInstance", "Rebooting", "Running", DURATIONS.instance_reboot },
      }
      for _, s in ipairs(steps) do
        local res = assert(c:call(s[1], { UHostId = id }))
        assert.equal(id, res.UHostId)
        assert.equal(s[2], state(c, id))
        sb:advance(s[4])
        assert.equal(s[3], state(c, id))
      end
      assert(c:call("TerminateCompShareInstance", { UHostId = id }))
      local _, res = state(c, id)
      assert.equal(0, res.TotalCount)
    end)

    it("refuse operations in the wrong state and unknown ids", function()
      local c, sb = new()
      local id = create(c)
      local err = refused(CODES.wrong_state, c:call("StopCompShareInstance", { UHostId = id }))
      assert.matches("is Initializing", err.message)
      refused(CODES.wrong_state, c:call("TerminateCompShareInstance", { UHostId = id }))
      sb:advance(DURATIONS.instance_boot)
      refused(CODES.wrong_state, c:call("StartCompShareInstance", { UHostId = id }))
      refused(CODES.not_found, c:call("StopCompShareInstance", { UHostId = "uhost-nope" }))
    end)

    it("boot only from existing Available images", function()
      local c = new()
      refused(CODES.not_found, c:call("CreateCompShareInstance", { CompShareImageId = "img-nope", GpuType = "4090",
        GPU = 1, CPU = 16, Memory = 65536, Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" } } }))
      -- client:call does not validate: what the validator refuses, the sandbox refuses too
      refused(CODES.invalid_param, c:call("CreateCompShareInstance", { CompShareImageId = CONTAINER,
        GpuType = "4090", GPU = 1, CPU = 16, Memory = 1000, Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" } } }))
    end)

    it("make MaxCount instances at once", function()
      local c = new()
      local _, res = create(c, nil, { MaxCount = 3 })
      assert.equal(3, #res.UHostIds)
      assert.equal(3, assert(c:call("DescribeCompShareInstance", {})).TotalCount)
    end)

    it("end in the injected state (a value or a function of the instance)", function()
      local c, sb = new { fail = { instance = function(f) return f.Name == "bad" and "Install Fail" or nil end } }
      local good = create(c)
      local bad = create(c, nil, { Name = "bad" })
      sb:advance(DURATIONS.instance_boot)
      assert.equal("Running", state(c, good))
      assert.equal("Install Fail", state(c, bad))
      sb.fail.instance = "Install Fail"
      local later = create(c)
      sb:advance(DURATIONS.instance_boot)
      assert.equal("Install Fail", state(c, later))
    end)
  end)

  describe("custom images", function()
    it("go Making -> Available while Process rises to 100", function()
      local c, sb = new()
      local id = running(c, sb)
      local res = assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "env", Description = "d" }))
      local img = res.CompShareImageId
      local last = -1
      for _ = 1, 4 do
        local p = assert(c:call("GetCompShareImageCreateProgress", { CompShareImageId = img }))
        assert.is_true(p.Process > last)
        assert.is_true(p.Process < 100)
        last = p.Process
        assert.equal("Making", image_of(c, img).Status)
        sb:advance(DURATIONS.image_make / 5)
      end
      sb:advance(DURATIONS.image_make / 5)
      local p = assert(c:call("GetCompShareImageCreateProgress", { CompShareImageId = img }))
      assert.equal(100, p.Process)
      assert.equal("0", p.RemainingDuration)
      local info = image_of(c, img)
      assert.equal("Available", info.Status)
      assert.equal("Custom", info.ImageType)
      assert.equal("True", info.Container)
      assert.equal("env", info.Name)
    end)

    it("need a container instance to be Running", function()
      local c, sb = new()
      local id = create(c)
      local err = refused(CODES.wrong_state, c:call("CreateCompShareCustomImage", { UHostId = id, Name = "a" }))
      assert.matches("container instance must be Running", err.message)
      sb:advance(DURATIONS.instance_boot)
      assert(c:call("StopCompShareInstance", { UHostId = id }))
      sb:advance(DURATIONS.instance_stop)
      refused(CODES.wrong_state, c:call("CreateCompShareCustomImage", { UHostId = id, Name = "a" }))
    end)

    it("accept a VM instance that is Running or Stopped", function()
      local c, sb = new()
      local a, b = running(c, sb, VM), running(c, sb, VM)
      assert(c:call("StopCompShareInstance", { UHostId = b }))
      refused(CODES.wrong_state, c:call("CreateCompShareCustomImage", { UHostId = b, Name = "b" }))
      sb:advance(DURATIONS.instance_stop)
      assert.is_table(c:call("CreateCompShareCustomImage", { UHostId = a, Name = "a" }))
      local res = assert(c:call("CreateCompShareCustomImage", { UHostId = b, Name = "b" }))
      assert.equal("False", image_of(c, res.CompShareImageId).Container)
    end)

    it("allow one image task per instance at a time, and unique names", function()
      local c, sb = new()
      local id = running(c, sb)
      assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "one" }))
      local err = refused(CODES.busy, c:call("CreateCompShareCustomImage", { UHostId = id, Name = "two" }))
      assert.matches("already has an image task", err.message)
      sb:advance(DURATIONS.image_make)
      refused(CODES.duplicate, c:call("CreateCompShareCustomImage", { UHostId = id, Name = "one" }))
      assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "two" }))
      refused(CODES.not_found, c:call("CreateCompShareCustomImage", { UHostId = "uhost-nope", Name = "x" }))
    end)

    it("end UnAvailable with a FailedReason when a failure is injected", function()
      local c, sb = new { fail = { image = { reason = "disk full", at = 40 } } }
      local id = running(c, sb)
      local img = assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "x" })).CompShareImageId
      sb:advance(DURATIONS.image_make * 0.3)
      assert.equal("Making", image_of(c, img).Status)
      sb:advance(DURATIONS.image_make)
      local info = image_of(c, img)
      assert.equal("UnAvailable", info.Status)
      assert.equal("disk full", info.FailedReason)
      assert.equal(40, assert(c:call("GetCompShareImageCreateProgress", { CompShareImageId = img })).Process)
      -- the instance is free for another try
      assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "y" }))
    end)

    it("publish only custom, container, Available images, which then go Reviewing", function()
      local c, sb = new()
      local err = refused(CODES.not_owner, c:call("PublishCompShareImage", { CompShareImageId = CONTAINER, Price = 0 }))
      assert.matches("System image of CompShare, not one of this account's", err.message)
      refused(CODES.not_found, c:call("PublishCompShareImage", { CompShareImageId = "nope", Price = 0 }))

      local vm = running(c, sb, VM)
      local vm_img = assert(c:call("CreateCompShareCustomImage", { UHostId = vm, Name = "vm" })).CompShareImageId
      local id = running(c, sb)
      local img = assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "ct" })).CompShareImageId
      err = refused(CODES.wrong_state, c:call("PublishCompShareImage", { CompShareImageId = img, Price = 0 }))
      assert.matches("is Making", err.message)
      sb:advance(DURATIONS.image_make)
      err = refused(CODES.not_allowed, c:call("PublishCompShareImage", { CompShareImageId = vm_img, Price = 0 }))
      assert.matches("VM instance", err.message)
      refused(CODES.invalid_param, c:call("PublishCompShareImage",
        { CompShareImageId = img, Price = 0, Tags = { "a", "b", "c", "d" } }))
      refused(CODES.invalid_param, c:call("PublishCompShareImage",
        { CompShareImageId = img, Price = 0, VersionName = "1.0" }))
      assert(c:call("PublishCompShareImage", { CompShareImageId = img, Price = 0.5, Tags = { "llm" },
        VersionName = "v1.0" }))
      local info = image_of(c, img)
      assert.equal("Reviewing", info.Status)
      assert.equal(0.5, info.Price)
      assert.same({ "llm" }, info.Tags)
      refused(CODES.duplicate, c:call("PublishCompShareImage", { CompShareImageId = img, Price = 0 }))
    end)

    it("update an image's fields by the rules", function()
      local c, sb = new()
      local id = running(c, sb)
      local img = assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "u" })).CompShareImageId
      refused(CODES.wrong_state, c:call("UpdateCompShareImage", { CompShareImageId = img, Description = "x" }))
      sb:advance(DURATIONS.image_make)
      refused(CODES.missing_param, c:call("UpdateCompShareImage", { CompShareImageId = img, Visibility = 1 }))
      refused(CODES.invalid_param, c:call("UpdateCompShareImage", { CompShareImageId = img, Visibility = 2 }))
      assert(c:call("UpdateCompShareImage", { CompShareImageId = img, Description = "new", Visibility = 1, Price = 0 }))
      local info = image_of(c, img)
      assert.equal("new", info.Description)
      assert.equal(1, info.Visibility)
      refused(CODES.not_found, c:call("UpdateCompShareImage", { CompShareImageId = "nope" }))
    end)

    it("terminate a custom image", function()
      local c, sb = new()
      local id = running(c, sb)
      local img = assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "t" })).CompShareImageId
      assert(c:call("TerminateCompShareCustomImage", { CompShareImageId = img }))
      assert.is_nil(image_of(c, img))
      refused(CODES.not_found, c:call("TerminateCompShareCustomImage", { CompShareImageId = img }))
      assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "t2" }))
    end)
  end)

  describe("Describe actions", function()
    it("page with Offset/Limit and report TotalCount", function()
      local c = new()
      local first = assert(c:call("DescribeCompShareImages", { Limit = 4 }))
      assert.equal(6, first.TotalCount)
      assert.equal(4, #first.ImageSet)
      local second = assert(c:call("DescribeCompShareImages", { Limit = 4, Offset = 4 }))
      assert.equal(2, #second.ImageSet)
      assert.are_not.equal(first.ImageSet[1].CompShareImageId, second.ImageSet[1].CompShareImageId)
      assert.equal(0, assert(c:call("DescribeCompShareInstance", {})).TotalCount)
      refused(CODES.invalid_param, c:call("DescribeCompShareImages", { Limit = 101 }))
      refused(CODES.invalid_param, c:call("DescribeCompShareImages", { Limit = 0 }))
      refused(CODES.invalid_param, c:call("DescribeCompShareImages", { Offset = -1 }))
    end)

    it("filter images by ImageType, id, name and tag", function()
      local c = new()
      local apps = assert(c:call("DescribeCompShareImages", { ImageType = "App" }))
      assert.equal(4, apps.TotalCount)
      for _, img in ipairs(apps.ImageSet) do assert.equal("App", img.ImageType) end
      assert.equal(1, assert(c:call("DescribeCompShareImages", { CompShareImageId = VM })).TotalCount)
      assert.equal(3, assert(c:call("DescribeCompShareImages", { Name = "(vm)" })).TotalCount)
      assert.equal(3, assert(c:call("DescribeCompShareImages", { Tag = "cuda" })).TotalCount)
      assert.equal(1, assert(c:call("DescribeCompShareImages", { Tag = "windows" })).TotalCount)
      refused(CODES.invalid_param, c:call("DescribeCompShareImages", { ImageType = "Custom" }))
    end)

    it("filter and page instances", function()
      local c = new()
      local _, res = create(c, nil, { MaxCount = 5 })
      local ids = res.UHostIds
      local some = assert(c:call("DescribeCompShareInstance", { UHostIds = { ids[2], ids[4] } }))
      assert.equal(2, some.TotalCount)
      assert.equal(ids[2], some.UHostSet[1].UHostId)
      assert.equal(ids[4], some.UHostSet[2].UHostId)
      local page = assert(c:call("DescribeCompShareInstance", { Offset = 3, Limit = 10 }))
      assert.equal(5, page.TotalCount)
      assert.same({ ids[4], ids[5] }, { page.UHostSet[1].UHostId, page.UHostSet[2].UHostId })
      refused(CODES.invalid_param, c:call("DescribeCompShareInstance", { UHostIds = ids[1] }))
    end)

    it("page custom images through the client's paginate", function()
      local c, sb = new()
      local id = running(c, sb)
      for i = 1, 5 do
        assert(c:call("CreateCompShareCustomImage", { UHostId = id, Name = "p" .. i }))
        sb:advance(DURATIONS.image_make)
      end
      local names = {}
      for img, err in c:paginate("DescribeCompShareCustomImages", { Limit = 2 }) do
        assert(img, tostring(err))
        names[#names + 1] = img.Name
      end
      assert.same({ "p1", "p2", "p3", "p4", "p5" }, names)
    end)
  end)

  describe("failure injection on actions", function()
    it("answers with an injected RetCode the given number of times", function()
      local c = new { fail = { actions = { DescribeCompShareImages = { RetCode = 8000, Message = "busy", times = 1 } } } }
      local err = refused(8000, c:call("DescribeCompShareImages", {}))
      assert.equal("busy", err.message)
      assert.is_table(c:call("DescribeCompShareImages", {}))
    end)

    it("can apply the action and lose the answer", function()
      local c, sb = new { fail = { actions = { CreateCompShareInstance = {
        error = { kind = "timeout", message = "answer lost", sent = true }, apply = true, times = 1 } } } }
      local res, err = c:call("CreateCompShareInstance", { CompShareImageId = CONTAINER, GpuType = "4090", GPU = 1,
        CPU = 16, Memory = 65536, Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" } } })
      assert.is_nil(res)
      assert.equal("timeout", err.kind)
      assert.is_true(err.maybe_applied)
      assert.equal(1, #sb.world:list("instances"))
    end)

    it("takes a function that decides per call, and HTTP answers", function()
      local c = new { fail = { actions = { StopCompShareInstance = function(p)
        return p.UHostId == "uhost-x" and { status = 503, body = "down" } or nil
      end } } }
      local _, err = c:call("StopCompShareInstance", { UHostId = "uhost-x" })
      assert.equal("http", err.kind)
      assert.equal(503, err.code)
      refused(CODES.not_found, c:call("StopCompShareInstance", { UHostId = "uhost-y" }))
    end)
  end)

  describe("simulated time", function()
    it("runs on opts.clock plus advance() and sleep()", function()
      local t = 1000
      local sb = sandbox.new { clock = function() return t end }
      assert.equal(1000, sb.clock())
      sb:advance(5)
      sb.sleep(2.5)
      assert.equal(1007.5, sb.clock())
      t = 2000
      assert.equal(2007.5, sb.clock())
      assert.has_error(function() sb:advance(-1) end)
    end)

    it("rejects unknown or negative durations", function()
      assert.has_error(function() sandbox.new { durations = { boot = 1 } } end)
      assert.has_error(function() sandbox.new { durations = { image_make = -1 } } end)
    end)

    it("records calls without their signature", function()
      local c, sb = new()
      c:call("DescribeCompShareImages", { Limit = 2 })
      assert.equal("DescribeCompShareImages", sb.calls[1].action)
      assert.equal(2, sb.calls[1].params.Limit)     -- typed as the spec says
      assert.is_nil(sb.calls[1].params.Signature)
    end)
  end)

  describe("connect", function()
    it("picks the sandbox without keys and the service with them", function()
      local _, timing, where = sandbox.connect { getenv = function() return nil end }
      assert.equal("sandbox", where)
      assert.is_function(timing.sleep)
      local env = { UCLOUD_PUBLIC_KEY = "pk", UCLOUD_PRIVATE_KEY = "sk" }
      local client, t2, where2 = sandbox.connect { getenv = function(k) return env[k] end,
        client = { public_key = "pk", private_key = "sk", transport = function() end } }
      assert.equal("service", where2)
      assert.same({}, t2)
      assert.is_table(client)
    end)
  end)
end)

describe("compshare.sandbox on hostile wire input", function()
  local json = require "compshare.json"

  -- A form body signed by hand: every value a string, as it travels.
  local function raw(sb, flat)
    local signed = { PublicKey = "my_public_key" }
    for k, v in pairs(flat) do signed[k] = v end
    signed.Signature = core.sign(signed, "my_private_key")
    local res = sb { body = core.form_encode(signed) }
    return assert(json.decode(res.body)), res
  end

  local CREATE = { Action = "CreateCompShareInstance", Region = "cn-wlcb", Zone = "cn-wlcb-01", GpuType = "4090",
    CompShareImageId = CONTAINER, GPU = "1", CPU = "16", Memory = "65536", ["Disks.0.IsBoot"] = "true",
    ["Disks.0.Size"] = "200", ["Disks.0.Type"] = "CLOUD_SSD" }

  local function with(over)
    local t = {}
    for k, v in pairs(CREATE) do t[k] = v end
    for k, v in pairs(over) do t[k] = v end
    return t
  end

  it("types what the form carries as the spec says, and the valid create goes through", function()
    local sb = sandbox.new()
    assert.equal(0, raw(sb, CREATE).RetCode)
  end)

  it("refuses numbers that are not numbers, with the field named", function()
    local sb = sandbox.new()
    for _, bad in ipairs { "nan", "NaN", "inf", "1e309", "-0x10", "1.5", "99999999999999999999", "", " 1", "1 " } do
      local res = raw(sb, with { GPU = bad })
      assert(res.RetCode == CODES.invalid_param or res.RetCode == CODES.missing_param, bad .. ": " .. tostring(res.RetCode))
      assert.matches("GPU", res.Message)
    end
    local res = raw(sb, with { Memory = "-65536" })
    assert.equal(CODES.invalid_param, res.RetCode)
  end)

  it("refuses bad booleans, unknown and deep keys, invalid UTF-8 and sparse lists", function()
    local sb = sandbox.new()
    assert.equal(CODES.invalid_param, raw(sb, with { ["Disks.0.IsBoot"] = "yes" }).RetCode)
    local both = raw(sb, with { ["Disks.0.Size.0.0.0"] = "1" })      -- Disks.0.Size is a value too
    assert.equal(CODES.invalid_param, both.RetCode)
    assert.matches("Disks.0.Size.0.0.0 is given both as a value and as a list or object", both.Message, 1, true)
    assert.equal(CODES.invalid_param, raw(sb, with { ["GpuType.x"] = "1" }).RetCode)
    assert.equal(CODES.invalid_param, raw(sb, with { ["Nope.0.x"] = "1" }).RetCode)
    assert.equal(CODES.invalid_param, raw(sb, with { Name = "bad\255utf8" }).RetCode)
    assert.equal(CODES.invalid_param, raw(sb, with { ["Disks.5.Size"] = "1" }).RetCode)
    assert.equal(CODES.invalid_param, raw(sb, with { ["Disks.999999999999.Size"] = "1" }).RetCode)
    local deep = "Disks" .. (".0"):rep(2000)
    assert.equal(CODES.invalid_param, raw(sb, with { [deep] = "1" }).RetCode)
    assert.equal(0, #sb.world:list("instances"))
  end)

  it("answers without crashing a request with no body, no headers or a body that is not a form", function()
    local sb = sandbox.new()
    for _, req in ipairs { {}, { body = "" }, { body = "%%%" }, { body = "a=b", headers = { ["Content-Type"] = "application/json" } },
      { body = "[1,2]", headers = { ["content-type"] = "application/json" } } } do
      local res = sb(req)
      assert.equal(200, res.status)
      assert.equal(CODES.missing_action, json.decode(res.body).RetCode)
    end
  end)

  it("writes every array of the spec as a JSON array, also when empty", function()
    local sb = sandbox.new()
    local _, res = raw(sb, { Action = "DescribeCompShareInstance", Region = "cn-wlcb", Zone = "cn-wlcb-01" })
    assert.matches('"UHostSet":%[%]', res.body)
    local _, res2 = raw(sb, { Action = "DescribeCompShareSharingImages", Region = "cn-wlcb", Zone = "cn-wlcb-01" })
    assert.matches('"ImageSet":%[%]', res2.body)
  end)
end)

describe("compshare.sandbox and the official SDKs' signatures", function()
  local json = require "compshare.json"
  local vectors = require "support.vectors"

  it("accepts every FACTS.md vector, signed by the Python SDK's own functions, with its signature as given", function()
    local sb = sandbox.new()
    local seen = 0
    for _, v in ipairs(vectors) do
      if v.private_key == "my_private_key" then
        local flat = {}
        for _, p in ipairs(core.flatten(v.params)) do flat[p[1]] = p[2] end
        flat.Signature = v.signature
        local res = json.decode(sb { body = core.form_encode(flat) }.body)
        assert(res.RetCode ~= CODES.signature, v.name .. ": " .. tostring(res.Message))
        if v.params.Action == "DescribeCompShareImages" then assert.equal(0, res.RetCode) end
        seen = seen + 1
        flat.Signature = v.signature:gsub("^.", function(c) return c == "0" and "1" or "0" end)
        assert.equal(CODES.signature, json.decode(sb { body = core.form_encode(flat) }.body).RetCode)
      end
    end
    assert.is_true(seen >= 5)
  end)

  it("suggests only a near action name", function()
    local c = new()
    local _, err = c:call("DescribeCompShareImage", {})
    assert.matches("did you mean DescribeCompShareImages%?", err.message)
    _, err = c:call("Zzzzzzzzzz", {})
    assert.is_nil(err.message:find("did you mean", 1, true))
  end)
end)
