-- Every action of the spec on the sandbox: answered with the spec's shape, and
-- refused exactly when the validator refuses (the sandbox checks with it).
local spec = require "compshare.spec"
local validate = require "compshare.validate"
local sandbox = require "compshare.sandbox"
local actions = require "compshare.sandbox.actions"
local fx = require "support.sandbox_fixtures"

local CODES = sandbox.CODES
local DEFAULTS = { Region = "cn-wlcb", Zone = "cn-wlcb-01" }

-- With only their required fields, these answer a rule error of the world, not 0 (and why).
local EXPECTED = {
  AttachCompshareDisk = { CODES.missing_param, "needs UHostId" },          -- optional in the spec; the server needs it
  UpdateCompShareInstancePorts = { CODES.missing_param, "needs UHostId" },
  CreateCompShareTeam = { CODES.duplicate, "already owns team" },          -- one team per account
  DeleteCompshareDisk = { CODES.wrong_state, "detach it before deleting" },
  ReinstallCompShareInstance = { CODES.wrong_state, "is Running" },        -- needs Stopped
  ResizeCompShareInstance = { CODES.wrong_state, "is Running" },
  StartCompShareInstance = { CODES.wrong_state, "is Running" },
  ReinstallULHostInstance = { CODES.wrong_state, "is Running" },
  ResetULHostInstancePassword = { CODES.wrong_state, "is Running" },
  StartULHostInstance = { CODES.wrong_state, "is Running" },
  SetCompShareTeamRelation = { CODES.not_found, "is not a member" },       -- names no member
}

local function documented(code)
  for name, c in pairs(CODES) do
    if c == code and name ~= "signature" and name ~= "missing_action" and name ~= "unknown_action" then return true end
  end
  return false
end

local JSON_TYPE = { string = "string", int = "number", float = "number", bool = "boolean", object = "table" }

describe("the sandbox answers every action", function()
  it("models all 81 actions of the spec", function()
    assert.equal(81, #spec.action_names)
    local missing = {}
    for _, name in ipairs(spec.action_names) do
      if not actions.handlers[name] then missing[#missing + 1] = name end
    end
    assert.same({}, missing)
  end)

  for _, name in ipairs(spec.action_names) do
    it(name .. " with its required fields: RetCode 0 in the spec's shape, or a documented rule error", function()
      local c, sb, ids = fx.world()
      local params = fx.required(name, ids, sb.clock())
      assert.is_nil(validate.check(name, params, DEFAULTS))       -- the input is valid for the client
      local res, err = c:call(name, params)
      local want = EXPECTED[name]
      if want then
        assert.is_nil(res)
        assert.equal("api", err.kind)
        assert.equal(want[1], err.code)
        assert.is_true(documented(err.code))
        assert.matches(want[2], err.message, 1, true)
        return
      end
      assert(res, tostring(err))
      assert.equal(0, res.RetCode)
      for _, f in ipairs(spec.actions[name].response) do
        local v = res[f.name]
        assert(v ~= nil, name .. " answers no " .. f.name)
        local t = f.type:match("^array%-of") and "table" or JSON_TYPE[f.type]
        if t then assert.equal(t, type(v), name .. "." .. f.name) end
      end
    end)
  end
end)

describe("the sandbox refuses what the validator refuses", function()
  local checked, kinds = 0, {}
  for _, name in ipairs(spec.action_names) do
    it(name .. ": one input per rule, refused by both with the same field", function()
      local c, sb, ids = fx.world()
      local base = fx.required(name, ids, sb.clock())
      local cases = fx.violations(name, base)
      for _, case in ipairs(cases) do
        local what = name .. " " .. case.rule.kind .. " " .. tostring(case.rule.field)
        local problems = validate.check(name, case.params, DEFAULTS)
        assert(problems, what .. ": the validator accepts it")
        local res, err = c:call(name, case.params)
        assert(res == nil, what .. ": the sandbox accepts it")
        assert.equal("api", err.kind, what)
        assert(err.code == CODES.missing_param or err.code == CODES.invalid_param, what .. ": " .. tostring(err))
        local top = problems[1].path:match("^[^.%[]+")
        assert(err.message:find(top, 1, true), what .. ": " .. err.message)
        checked = checked + 1
        kinds[case.rule.kind] = true
      end
    end)
  end

  it("covered every kind of rule the spec has", function()
    local want = {}
    for _, name in ipairs(spec.action_names) do
      for _, r in ipairs(spec.actions[name].rules or {}) do want[r.kind] = true end
    end
    for kind in pairs(want) do assert(kinds[kind], "no input broke a " .. kind .. " rule") end
    assert(checked > 200, "only " .. checked .. " inputs checked")
  end)

  it("accepts the common fields the Go SDK sends with every action, even where the spec has none", function()
    local c = fx.world()
    assert(c:call("DescribeCompShareSupportZone", { Region = "cn-wlcb", Zone = "cn-wlcb-01", ProjectId = "org-x" }))
  end)
end)

describe("the sandbox's answer from a response model", function()
  local shape = require "compshare.sandbox.shape"
  for _, name in ipairs(spec.action_names) do
    it(name .. ": every documented field, of its type, nested models filled", function()
      local out = shape.response(name, 1767225600)
      for _, f in ipairs(spec.actions[name].response) do
        local v = out[f.name]
        assert(v ~= nil, f.name)
        local t = f.type:match("^array%-of") and "table" or JSON_TYPE[f.type]
        if t then assert.equal(t, type(v), f.name) end
        if f.type == "array-of-object" and f.model then
          for _, mf in ipairs(spec.models[f.model].fields) do assert(v[1][mf.name] ~= nil, f.name .. "." .. mf.name) end
        end
      end
      assert.is_string(shape.encode(name, out))
    end)
  end
end)
