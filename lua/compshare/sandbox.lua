--- An in-process, stateful emulator of the CompShare service, usable as a
-- transport: compshare.new{ transport = require("compshare.sandbox").new(opts) }.
-- `compshare-lua sandbox --listen` serves the same over HTTP (sandbox/server.lua).
--
-- opts:
--   keys       {[public_key] = private_key}; default { my_public_key = "my_private_key" }
--   clock      function() -> seconds; the sandbox adds the time given to advance()/sleep()
--   durations  seconds per simulated step (see sandbox.DURATIONS)
--   seed       makes the ids differ from another sandbox's (default: ids like uhost-sbx00001)
--   account_level  0..4: how many instances the account may keep (default 2: 20)
--   fail       failure injection, read when the thing happens (so it may be changed later):
--     instance = "Install Fail" | function(fields) -> state or nil      -- the state a new instance ends in
--     image    = { status = "UnAvailable", reason = "...", at = 40 }      -- a new image fails at 40 %
--                | function(fields) -> such a table or nil
--     review   = "reason" | function(fields) -> reason or nil             -- a published image is rejected
--     actions  = { [Action] = answer | function(params) -> answer or nil }
--        answer: { RetCode = n, Message = "..." }  an API error
--              | { status = 503, body = "..." }    an HTTP answer
--              | { error = { kind = "timeout", message = "...", sent = true } }  a transport failure
--        plus  times = n (only the next n calls; default every call) and
--              apply = true (carry the action out first: "done, but the answer was lost")
--
-- Every request is checked as the client checks it (compshare.validate with the
-- same spec), then against what only the service knows (states, quotas, stock,
-- ownership). sb.clock() and sb.sleep(s) run on the simulated time, so code
-- given them as `now`/`sleep` runs instantly; sb:advance(s) moves time on;
-- sb:inject(fault) queues a fault (sandbox/faults.lua); sb.calls lists every
-- call ({ action =, params = }) after signature checking.
-- @module compshare.sandbox
local core = require "compshare.core"
local spec = require "compshare.spec"
local stub = require "compshare.stub"
local validate = require "compshare.validate"
local world = require "compshare.sandbox.world"
local wire = require "compshare.sandbox.wire"
local shape = require "compshare.sandbox.shape"
local actions = require "compshare.sandbox.actions"
local faults = require "compshare.sandbox.faults"

local sandbox = {
  CODES = world.CODES,
  DURATIONS = world.DURATIONS,
  DEFAULT_KEYS = { my_public_key = "my_private_key" },
  -- Short steps for a sandbox that runs on the wall clock (the HTTP server's default).
  QUICK_DURATIONS = { instance_boot = 2, instance_start = 1, instance_stop = 1, instance_reboot = 1,
    instance_reinstall = 2, instance_resize = 1, image_make = 5, image_copy = 3, image_review = 5 },
  unflatten = wire.unflatten,
  MAX_CALLS = 10000,   -- sb.calls keeps the latest this many
}

local Sandbox = {}
Sandbox.__index = Sandbox

-- Go's JSON mode signs nested values without index keys (FACTS.md (a)).
local function any2string(v)
  if type(v) ~= "table" then
    if type(v) == "number" and v % 1 == 0 and math.abs(v) < 2 ^ 53 then return ("%d"):format(v) end
    return tostring(v)
  end
  local parts = {}
  if #v > 0 then
    for i, x in ipairs(v) do parts[i] = any2string(x) end
  else
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do parts[#parts + 1] = k .. any2string(v[k]) end
  end
  return table.concat(parts)
end

--- The service's signature check: re-sign everything but Signature with the
-- private key of the sender's PublicKey (flattened as a form is; a JSON body
-- may also be signed as Go's JSON mode does). Returns true or false, reason.
function Sandbox:verify(flat, obj)
  local given, public = flat.Signature, flat.PublicKey
  if not public or public == "" then return false, "missing PublicKey" end
  if not given or given == "" then return false, "missing Signature" end
  local secret = self.keys[public]
  if not secret then return false, "unknown PublicKey" end
  local signed = {}
  for k, v in pairs(flat) do if k ~= "Signature" then signed[k] = v end end
  if core.sign(signed, secret) == given then return true end
  if obj then
    local top = {}
    for k, v in pairs(obj) do if k ~= "Signature" then top[k] = v end end
    if core.sign({ [any2string(top)] = "" }, secret) == given then return true end
  end
  return false, "signature does not match the parameters"
end

function Sandbox:answer(action, fields)
  self.serial = self.serial + 1
  fields.Action = (action or "Unknown") .. "Response"
  if fields.RetCode == nil then fields.RetCode = 0 end
  return {
    status = 200,
    headers = { ["content-type"] = "application/json", ["x-ucloud-request-uuid"] = ("sandbox-%s-%06d"):format(
      self.world.data.tag, self.serial) },
    body = shape.encode(action, fields),
  }
end

function Sandbox:refusal(action, code, message)
  return self:answer(action, { RetCode = code, Message = message })
end

--- An injected failure for `action` from opts.fail.actions (consumed when it has `times`), or nil.
function Sandbox:injected(action, params)
  local list = self.fail and self.fail.actions
  local rule = list and list[action]
  if type(rule) == "function" then rule = rule(params) end
  if type(rule) ~= "table" then return nil end
  if rule.times then
    if rule.times <= 0 then return nil end
    rule.times = rule.times - 1
  end
  local answer = {}
  for k, v in pairs(rule) do if k ~= "times" and k ~= "apply" then answer[k] = v end end
  return answer, rule.apply
end

--- The validator's problems as one refusal: 230 when the first is a missing field, else 231.
local function problems_refusal(problems)
  local lines = {}
  for i, p in ipairs(problems) do
    if i > 5 then lines[#lines + 1] = ("and %d more"):format(#problems - 5) break end
    lines[#lines + 1] = (p.path and p.path ~= "" and (p.path .. ": ") or "") .. tostring(p.message)
  end
  local first = tostring(problems[1].message)
  local name = (first:find("^required") or first:find("is missing")) and "missing_param" or "invalid_param"
  world.refuse(name, "invalid parameters: %s", table.concat(lines, "; "))
end

--- Run one action against the world: the validator's rules, then the world's; returns the response fields.
function Sandbox:execute(action, params)
  local problems = validate.check(spec.actions[action], params, nil)
  if problems and #problems > 0 then problems_refusal(problems) end
  self.world:settle()
  local out = actions.run(self.world, action, params)
  self.world:settle()
  return out
end

local function header(headers, name)
  for k, v in pairs(headers or {}) do
    if type(k) == "string" and k:lower() == name then return v end
  end
end

--- True when `action` has a request field `name`.
local function declared(action, name)
  for _, f in ipairs(spec.actions[action].request) do if f.name == name then return true end end
  return false
end

local TRANSPORT_KEYS = { Action = true, Signature = true, PublicKey = true, SecurityToken = true }

--- Decode, check the signature and the action; returns action, params, or nil, refusal answer.
function Sandbox:admit(req)
  local flat, how, obj = wire.decode(req.body, header(req.headers, "content-type"))
  if not flat then return nil, self:refusal(nil, world.CODES.missing_action, "cannot read the request: " .. how) end
  local action = flat.Action
  if not action or action == "" then return nil, self:refusal(nil, world.CODES.missing_action, "missing Action") end
  local ok, why = self:verify(flat, obj)
  if not ok then return nil, self:refusal(action, world.CODES.signature, "Signature VerifyAC Error: " .. why) end
  if not spec.actions[action] then
    local near = validate.suggest(action, spec.action_names)
    return nil, self:refusal(action, world.CODES.unknown_action, ("Action %s does not exist%s"):format(action,
      near and (" (did you mean " .. near .. "?)") or ""))
  end
  local params, conflict
  if how == "json" then params = wire.json_params(action, obj) else params, conflict = wire.params(action, flat) end
  if not params then
    return nil, self:refusal(action, world.CODES.invalid_param,
      ("invalid parameters: %s is given both as a value and as a list or object"):format(conflict))
  end
  for k in pairs(TRANSPORT_KEYS) do params[k] = nil end
  for _, k in ipairs(spec.common_fields) do      -- the Go SDK sends them with every action
    if not declared(action, k) then params[k] = nil end
  end
  self.calls[#self.calls + 1] = { action = action, params = params }
  if #self.calls > sandbox.MAX_CALLS then table.remove(self.calls, 1) end   -- a long-running server stays small
  return action, params
end

--- Carry the action out; returns the answer (a refusal when a rule says no).
function Sandbox:perform(action, params)
  local done, out = pcall(self.execute, self, action, params)
  if not done then
    if not world.is_refusal(out) then error(out, 0) end
    return self:refusal(action, out.code, out.message)
  end
  return self:answer(action, out)
end

--- The transport: one signed request in, one HTTP answer out.
function Sandbox:__call(req)
  local action, params = self:admit(req)
  if not action then return params end
  local fault = faults.take(self.faults, action)
  local delay = 0
  if fault and fault.kind == "slow" then          -- served over HTTP: the server waits for real
    delay, fault = tonumber(fault.delay) or 1, nil
    if not self.serving then self.sleep(delay) end
  end
  if fault and not fault.apply then return faults.answer(fault, function(f) return self:answer(action, f) end) end
  local rule, apply = self:injected(action, params)
  if rule and not apply then return stub.answer(rule, req) end
  local res = self:perform(action, params)
  if fault then return faults.answer(fault, function(f) return self:answer(action, f) end) end
  if rule then return stub.answer(rule, req) end
  if delay > 0 then res.delay = delay end
  return res
end

--- Queue a fault for the next request(s) (see sandbox/faults.lua).
function Sandbox:inject(fault)
  self.faults[#self.faults + 1] = faults.check(fault)
end

--- Move simulated time on by `seconds`.
function Sandbox:advance(seconds)
  if type(seconds) ~= "number" or seconds < 0 or seconds ~= seconds then
    error("sandbox:advance expects seconds >= 0", 2)
  end
  self.offset = self.offset + seconds
  self.world:settle()
end

--- Forget every instance, image, disk, team and fault (keys, clock and durations stay).
function Sandbox:reset(seed)
  self.world:reset(seed or self.seed, self.account_level)
  self.faults, self.calls = {}, {}
end

--- The world as plain data (for --state), and back.
function Sandbox:snapshot()
  return { version = 1, data = self.world.data, now = self.clock(), serial = self.serial }
end

function Sandbox:restore(snap)
  if type(snap) ~= "table" or snap.version ~= 1 or type(snap.data) ~= "table" then
    return nil, "not a sandbox state (version 1)"
  end
  self.world.data, self.serial = snap.data, tonumber(snap.serial) or 0
  if tonumber(snap.now) then self.offset = self.offset + (tonumber(snap.now) - self.clock()) end
  return true
end

function Sandbox.close() end

local EPOCH = 1767225600  -- 2026-01-01T00:00:00Z, the default start of simulated time

--- new(opts) -> a sandbox transport. See the top of this file for opts.
-- @tparam[opt] table opts see the module
-- @treturn table the sandbox: a transport, with `clock()`, `sleep(s)`, `advance(s)`, `calls`, `keys`
-- @raise when opts is not a table
function sandbox.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("compshare.sandbox.new expects a table of options", 2) end
  local self = setmetatable({
    keys = opts.keys or sandbox.DEFAULT_KEYS, fail = opts.fail or {}, seed = opts.seed,
    account_level = opts.account_level, offset = 0, serial = 0, calls = {}, faults = {},
  }, Sandbox)
  local base = opts.clock or function() return EPOCH end
  self.clock = function() return base() + self.offset end
  self.sleep = function(s) if type(s) == "number" and s > 0 then self.offset = self.offset + s end end
  self.world = world.new { now = self.clock, durations = opts.durations, fail = self.fail, seed = opts.seed,
    account_level = opts.account_level }
  for _, fn in ipairs(actions.settlers) do self.world:on_settle(fn) end
  return self
end

--- A client wired to a fresh sandbox, and the sandbox. opts go to sandbox.new;
-- opts.client adds client options (region/zone default to cn-wlcb / cn-wlcb-01).
-- @tparam[opt] table opts
-- @treturn compshare.client the client
-- @treturn table the sandbox
function sandbox.client(opts)
  opts = opts or {}
  local sb = sandbox.new(opts)
  local public, secret = next(sb.keys)
  local copts = { transport = sb, public_key = public, private_key = secret,
    region = "cn-wlcb", zone = "cn-wlcb-01" }
  for k, v in pairs(opts.client or {}) do copts[k] = v end
  return require("compshare").new(copts), sb
end

--- For scripts and examples: a client on the real service when
-- UCLOUD_PUBLIC_KEY and UCLOUD_PRIVATE_KEY are set, else on a fresh sandbox.
-- Returns client, timing, where: timing is { sleep =, now = } for the workflow
-- options (the sandbox's instant clock; empty for the service, which then uses
-- real time), where is "service" or "sandbox". opts: as for sandbox.client,
-- plus getenv (default os.getenv).
-- @tparam[opt] table opts
-- @treturn compshare.client the client
-- @treturn table timing `{ sleep =, now = }`
-- @treturn string "service" or "sandbox"
function sandbox.connect(opts)
  opts = opts or {}
  local getenv = opts.getenv or os.getenv
  local public, secret = getenv("UCLOUD_PUBLIC_KEY"), getenv("UCLOUD_PRIVATE_KEY")
  if public and public ~= "" and secret and secret ~= "" then
    return require("compshare").new(opts.client or {}), {}, "service"
  end
  local client, sb = sandbox.client(opts)
  return client, { sleep = sb.sleep, now = sb.clock }, "sandbox"
end

return sandbox
