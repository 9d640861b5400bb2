-- recover.create_instance: after a create with an unknown outcome, look for
-- the instance by Name before sending the create again, and send it at most
-- once more.
local compshare = require "compshare"
local core = require "compshare.core"
local json = require "compshare.json"
local recover = require "compshare.recover"

local PARAMS = { MachineType = "G", CompShareImageId = "compshareImage-xxxx", GpuType = "4090", GPU = 1,
                 CPU = 16, Memory = 65536, ChargeType = "Dynamic", Name = "job-1",
                 Disks = { { IsBoot = true, Size = 200, Type = "CLOUD_SSD" } } }

-- A small service: instances in a list, creates that fail as scripted.
-- outcomes: per create, "ok" | "applied" (times out after the work) |
--           "lost" (times out before the work) | "nostock" (RetCode 8000)
local function service(outcomes, existing)
  local s = { instances = {}, creates = 0, describes = 0, offsets = {}, fail_describe = false }
  for i, inst in ipairs(existing or {}) do s.instances[i] = inst end
  local function answer(data)
    data.RetCode = data.RetCode or 0
    return { status = 200, headers = {}, body = assert(json.encode(data)) }
  end
  function s.transport(req)
    local p = core.form_decode(req.body)
    if p.Action == "DescribeCompShareInstance" then
      s.describes = s.describes + 1
      if s.fail_describe then return { status = 500, headers = {}, body = "down" } end
      local offset, limit = tonumber(p.Offset) or 0, tonumber(p.Limit) or 20
      s.offsets[#s.offsets + 1] = offset
      local page = {}
      for i = offset + 1, math.min(offset + limit, #s.instances) do page[#page + 1] = s.instances[i] end
      return answer { TotalCount = #s.instances, UHostSet = page }
    end
    assert(p.Action == "CreateCompShareInstance", p.Action)
    s.creates = s.creates + 1
    local outcome = outcomes[s.creates] or "ok"
    if outcome == "nostock" then return answer { RetCode = 8000, Message = "no stock" } end
    local id = "uhost-new-" .. s.creates
    if outcome ~= "lost" then s.instances[#s.instances + 1] = { UHostId = id, Name = p.Name } end
    if outcome == "ok" then return answer { UHostIds = { id } } end
    return nil, { kind = "timeout", message = "timed out", sent = true }
  end
  return s
end

local function client_for(s)
  local slept = {}
  local c = compshare.new { public_key = "pk", private_key = "sk", region = "cn-wlcb", zone = "cn-wlcb-01",
    transport = s.transport, max_retries = 3, sleep = function(x) slept[#slept + 1] = x end,
    random = function() return 0 end }
  return c, slept
end

describe("recover.create_instance", function()
  it("returns the create's answer when it works", function()
    local s = service { "ok" }
    local res, err = recover.create_instance(client_for(s), PARAMS)
    assert.is_nil(err)
    assert.same({ "uhost-new-1" }, res.UHostIds)
    assert.is_nil(res.recovered)
    assert.equal(1, s.creates)
  end)

  it("finds the instance a timed-out create made, and does not create again", function()
    local s = service { "applied" }
    local c, slept = client_for(s)
    local res, err = recover.create_instance(c, PARAMS, { settle = 5 })
    assert.is_nil(err)
    assert.same({ "uhost-new-1" }, res.UHostIds)
    assert.is_true(res.recovered)
    assert.equal(1, s.creates)
    assert.same({ 5 }, slept)
  end)

  it("does not mistake an older instance with the same Name for the new one", function()
    local s = service({ "lost", "ok" }, { { UHostId = "uhost-old", Name = "job-1" } })
    local res = recover.create_instance(client_for(s), PARAMS)
    assert.same({ "uhost-new-2" }, res.UHostIds)
    assert.is_nil(res.recovered)
    assert.equal(2, s.creates)
  end)

  it("sends the create at most twice", function()
    local s = service { "lost", "lost", "ok" }
    local res, err = recover.create_instance(client_for(s), PARAMS)
    assert.is_nil(res)
    assert.equal("timeout", err.kind)
    assert.is_true(err.maybe_applied)
    assert.equal(2, s.creates)
  end)

  it("looks through every page", function()
    local existing = {}
    for i = 1, 250 do existing[i] = { UHostId = "uhost-" .. i, Name = "other-" .. i } end
    local s = service({ "applied" }, existing)
    local res = recover.create_instance(client_for(s), PARAMS)
    assert.same({ "uhost-new-1" }, res.UHostIds)
    assert.same({ 0, 100, 200, 0, 100, 200 }, s.offsets)
    assert.equal(1, s.creates)
  end)

  it("does not look again after a definite failure", function()
    local s = service { "nostock" }
    local res, err = recover.create_instance(client_for(s), PARAMS)
    assert.is_nil(res)
    assert.equal(8000, err.code)
    assert.equal(1, s.creates)
    assert.equal(1, s.describes)
  end)

  it("returns the create's error, and the lookup's, when the lookup fails", function()
    local s = service { "applied" }
    local c = client_for(s)
    local orig = s.transport
    c.transport = function(req)
      local res, terr = orig(req)
      if s.creates == 1 then s.fail_describe = true end
      return res, terr
    end
    local res, err = recover.create_instance(c, PARAMS)
    assert.is_nil(res)
    assert.equal("timeout", err.kind)
    assert.equal(500, err.lookup_error.code)
    assert.matches("looking for \"job-1\" failed", err.hint, 1, true)
    assert.equal(1, s.creates)
  end)

  it("needs a Name, and sends nothing without one", function()
    local s = service {}
    local p = {}
    for k, v in pairs(PARAMS) do p[k] = v end
    p.Name = nil
    local res, err = recover.create_instance(client_for(s), p)
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.equal("Name", err.problems[1].path)
    assert.equal(0, s.creates + s.describes)
  end)
end)
