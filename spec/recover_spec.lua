-- recover: one rule for a create whose outcome is unknown. It carries a claim
-- token (the instance's Remark); after an unknown outcome the instance that
-- carries it is adopted, and the create is never sent again.
local compshare = require "compshare"
local core = require "compshare.core"
local json = require "compshare.json"
local recover = require "compshare.recover"

local fixtures = require "support.fixtures"

local PARAMS = fixtures.named_instance()

local with = fixtures.with

-- A small service: instances in a list (with the Remark they were created with),
-- creates that fail as scripted.
-- outcomes: per create, "ok" | "applied" (times out after the work) | "twice" (the work done
--           twice, then a timeout) | "lost" (times out before the work) | "nostock" (RetCode 8000)
local function service(outcomes, existing)
  local s = { instances = {}, creates = 0, describes = 0, offsets = {}, fail_describe = false, remarks = {} }
  for i, inst in ipairs(existing or {}) do s.instances[i] = inst end
  local function answer(data)
    data.RetCode = data.RetCode or 0
    return { status = 200, headers = {}, body = assert(json.encode(data)) }
  end
  local function make(p)
    local id = ("uhost-new-%d"):format(#s.instances + 1)
    s.instances[#s.instances + 1] = { UHostId = id, Name = p.Name, Remark = p.Remark }
    return id
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
    s.remarks[s.creates] = p.Remark
    local outcome = outcomes[s.creates] or "ok"
    if outcome == "nostock" then return answer { RetCode = 8000, Message = "no stock" } end
    if outcome == "ok" then return answer { UHostIds = { make(p) } } end
    if outcome == "applied" or outcome == "twice" then make(p) end
    if outcome == "twice" then make(p) end
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
  it("returns the create's answer when it works; the Remark carries a claim after the caller's own text", function()
    local s = service { "ok", "ok" }
    local c = client_for(s)
    local res, err = recover.create_instance(c, PARAMS)
    assert.is_nil(err)
    assert.same({ "uhost-new-1" }, res.UHostIds)
    assert.is_nil(res.recovered)
    assert.matches("^cs%-claim:%x+$", s.remarks[1])
    assert.equal(16, #s.remarks[1] - #"cs-claim:")
    assert(recover.create_instance(c, with(PARAMS, { Remark = "driver:535" })))
    assert.matches("^driver:535 cs%-claim:%x+$", s.remarks[2])
    assert.not_equal(s.remarks[1], s.remarks[2]:match("cs%-claim:%x+"))
    assert.equal(2, s.creates)
    assert.equal(0, s.describes)
  end)

  it("finds the instance a timed-out create made by its claim, and does not create again", function()
    local s = service { "applied" }
    local c, slept = client_for(s)
    local res, err = recover.create_instance(c, PARAMS, { settle = 5 })
    assert.is_nil(err)
    assert.same({ "uhost-new-1" }, res.UHostIds)
    assert.is_true(res.recovered)
    assert.equal(1, s.creates)
    assert.same({ 5 }, slept)
  end)

  it("never sends the create again when nothing carries the claim (a lost or a slow create)", function()
    local s = service { "lost", "ok" }
    local c = client_for(s)
    local res, err = recover.create_instance(c, PARAMS)
    assert.is_nil(res)
    assert.equal("timeout", err.kind)
    assert.is_true(err.maybe_applied)
    assert.same({}, err.found)
    assert.equal(s.remarks[1], err.claim)
    assert.matches("no instance whose Remark carries " .. err.claim:gsub("%-", "%%-") .. " is listed %(0 listed%)", err.hint)
    assert.matches("never sent again", err.hint)
    assert.equal(1, s.creates)
  end)

  it("does not adopt an older instance with the same Name", function()
    local s = service({ "lost" }, { { UHostId = "uhost-old", Name = "job-1", Remark = "" } })
    local res, err = recover.create_instance(client_for(s), PARAMS)
    assert.is_nil(res)
    assert.matches("%(1 listed%)", err.hint)
    assert.not_matches("uhost%-old", err.hint)
    assert.equal(1, s.creates)
  end)

  it("stops and names them when several instances carry the claim", function()
    local s = service { "twice" }
    local _, err = recover.create_instance(client_for(s), PARAMS)
    assert.is_true(err.maybe_applied)
    assert.same({ "uhost-new-1", "uhost-new-2" }, err.found)
    assert.matches("2 instances carry cs%-claim:%x+ in their Remark %(uhost%-new%-1, uhost%-new%-2%)", err.hint)
    assert.equal(1, s.creates)
  end)

  it("looks through every page, once", function()
    local existing = {}
    for i = 1, 250 do existing[i] = { UHostId = "uhost-" .. i, Name = "other-" .. i, Remark = "cs-claim:00" } end
    local s = service({ "applied" }, existing)
    local res = recover.create_instance(client_for(s), PARAMS)
    assert.same({ "uhost-new-251" }, res.UHostIds)
    assert.same({ 0, 100, 200 }, s.offsets)
    assert.equal(1, s.creates)
  end)

  it("does not look after a definite failure", function()
    local s = service { "nostock" }
    local res, err = recover.create_instance(client_for(s), PARAMS)
    assert.is_nil(res)
    assert.equal(8000, err.code)
    assert.equal(1, s.creates)
    assert.equal(0, s.describes)
  end)

  it("returns the create's error, and the lookup's, when the lookup fails", function()
    local s = service { "applied" }
    s.fail_describe = true
    local res, err = recover.create_instance(client_for(s), PARAMS)
    assert.is_nil(res)
    assert.equal("timeout", err.kind)
    assert.is_true(err.maybe_applied)
    assert.equal(500, err.lookup_error.code)
    assert.matches("looking for the one whose Remark carries cs%-claim:%x+ failed", err.hint)
    assert.equal(1, s.creates)
  end)

  it("makes one instance per create, and sends nothing otherwise", function()
    local s = service {}
    local res, err = recover.create_instance(client_for(s), with(PARAMS, { MaxCount = 2 }))
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.equal("MaxCount", err.problems[1].path)
    res, err = recover.create_instance(client_for(s), "params")
    assert.is_nil(res)
    assert.equal("validation", err.kind)
    assert.equal(0, s.creates + s.describes)
  end)

  it("leaves a Remark that is not a string for the validator, and sends nothing", function()
    local s = service {}
    local _, err = recover.create_instance(client_for(s), with(PARAMS, { Remark = { "x" } }))
    assert.equal("validation", err.kind)
    assert.equal(0, s.creates)
  end)
end)

describe("recover.timing", function()
  it("uses the caller's sleep and now, else the transport's, else the client's sleep and real time", function()
    local function sl() end
    local function ck() return 5 end
    local c = { transport = { sleep = sl, clock = ck } }
    local s, n, t = recover.timing(c, {})
    assert.equal(sl, s)
    assert.equal(ck, n)
    assert.equal(ck, t)
    local mine = function() return 1 end
    s, n = recover.timing(c, { now = mine })
    assert.equal(sl, s)
    assert.equal(mine, n)
    s, n, t = recover.timing({ transport = function() end, sleep = sl }, {})
    assert.equal(sl, s)
    assert.equal(require("compshare.util").monotonic, n)
    assert.equal(os.time, t)
  end)
end)
