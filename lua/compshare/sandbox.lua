--- An in-process, stateful emulator of the CompShare service, usable as a
-- transport: compshare.new{ transport = require("compshare.sandbox").new(opts) }.
--
-- opts:
--   keys       {[public_key] = private_key}; default { my_public_key = "my_private_key" }
--   clock      function() -> seconds; the sandbox adds the time given to advance()/sleep()
--   durations  { instance_boot=, instance_start=, instance_stop=, instance_reboot=, image_make= } seconds
--   fail       failure injection, read when the thing happens (so it may be changed later):
--     instance = "Install Fail" | function(fields) -> state or nil      -- the state a new instance ends in
--     image    = { status = "UnAvailable", reason = "...", at = 40 }      -- a new image fails at 40 %
--                | function(fields) -> such a table or nil
--     actions  = { [Action] = answer | function(params) -> answer or nil }
--        answer: { RetCode = n, Message = "..." }  an API error
--              | { status = 503, body = "..." }    an HTTP answer
--              | { error = { kind = "timeout", message = "...", sent = true } }  a transport failure
--        plus  times = n (only the next n calls; default every call) and
--              apply = true (carry the action out first: "done, but the answer was lost")
--
-- sb.clock() and sb.sleep(s) run on the simulated time, so code given them as
-- `now`/`sleep` runs instantly; sb:advance(s) moves time on; sb.calls lists
-- every call ({ action =, params = }) after signature checking.
local core = require "compshare.core"
local json = require "compshare.json"
local stub = require "compshare.stub"
local world = require "compshare.sandbox.world"
local actions = require "compshare.sandbox.actions"

local sandbox = {
  CODES = world.CODES,
  DURATIONS = world.DURATIONS,
  DEFAULT_KEYS = { my_public_key = "my_private_key" },
}

local Sandbox = {}
Sandbox.__index = Sandbox

--- Flat form params (`Disks.0.Size`) -> nested tables (lists from 0-based indexes).
function sandbox.unflatten(flat)
  local out = {}
  for key, value in pairs(flat) do
    local node, parts = out, {}
    for part in key:gmatch("[^.]+") do
      local n = tonumber(part)
      parts[#parts + 1] = (n and part:match("^%d+$")) and n + 1 or part
    end
    for i = 1, #parts - 1 do
      local k = parts[i]
      if type(node[k]) ~= "table" then node[k] = {} end
      node = node[k]
    end
    node[parts[#parts]] = value
  end
  return out
end

--- The service's signature check: re-sign everything but Signature with the
-- private key of the sender's PublicKey. Returns true or false, reason.
function Sandbox:verify(flat)
  local given, public = flat.Signature, flat.PublicKey
  if not public or public == "" then return false, "missing PublicKey" end
  if not given or given == "" then return false, "missing Signature" end
  local secret = self.keys[public]
  if not secret then return false, "unknown PublicKey" end
  local signed = {}
  for k, v in pairs(flat) do if k ~= "Signature" then signed[k] = v end end
  if core.sign(signed, secret) ~= given then return false, "signature does not match the parameters" end
  return true
end

function Sandbox:answer(action, fields)
  self.serial = self.serial + 1
  fields.Action = (action or "Unknown") .. "Response"
  if fields.RetCode == nil then fields.RetCode = 0 end
  return {
    status = 200,
    headers = { ["content-type"] = "application/json", ["x-ucloud-request-uuid"] = ("sandbox-%06d"):format(self.serial) },
    body = assert(json.encode(fields)),
  }
end

function Sandbox:refusal(action, code, message)
  return self:answer(action, { RetCode = code, Message = message })
end

--- An injected failure for `action` (consumed when it has `times`), or nil.
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

--- Run one action against the world; returns the response fields.
function Sandbox:execute(action, params)
  local entry = actions[action]
  for _, name in ipairs(entry.required) do
    if params[name] == nil or params[name] == "" then
      world.refuse("missing_param", "missing required parameter %s", name)
    end
  end
  self.world:settle()
  local out = entry.run(self.world, params, action)
  self.world:settle()
  return out
end

--- The transport: one signed request in, one HTTP answer out.
function Sandbox:__call(req)
  local flat = core.form_decode(req.body or "")
  local action = flat.Action
  if not action or action == "" then return self:refusal(nil, world.CODES.missing_action, "missing Action") end
  local ok, why = self:verify(flat)
  if not ok then return self:refusal(action, world.CODES.signature, "Signature VerifyAC Error: " .. why) end
  local params = sandbox.unflatten(flat)
  params.Signature, params.PublicKey = nil, nil
  self.calls[#self.calls + 1] = { action = action, params = params }
  if not actions[action] then
    return self:refusal(action, world.CODES.unsupported_action,
      ("action %s is not supported by the sandbox"):format(action))
  end
  local rule, apply = self:injected(action, params)
  if rule and not apply then return stub.answer(rule, req) end
  local done, out = pcall(self.execute, self, action, params)
  if not done then
    if not world.is_refusal(out) then error(out, 0) end
    return self:refusal(action, out.code, out.message)
  end
  if rule then return stub.answer(rule, req) end
  return self:answer(action, out)
end

--- Move simulated time on by `seconds`.
function Sandbox:advance(seconds)
  if type(seconds) ~= "number" or seconds < 0 then error("sandbox:advance expects seconds >= 0", 2) end
  self.offset = self.offset + seconds
  self.world:settle()
end

function Sandbox.close() end

local EPOCH = 1767225600  -- 2026-01-01T00:00:00Z, the default start of simulated time

--- new(opts) -> a sandbox transport. See the top of this file for opts.
function sandbox.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then error("compshare.sandbox.new expects a table of options", 2) end
  local self = setmetatable({
    keys = opts.keys or sandbox.DEFAULT_KEYS, fail = opts.fail or {},
    offset = 0, serial = 0, calls = {},
  }, Sandbox)
  local base = opts.clock or function() return EPOCH end
  self.clock = function() return base() + self.offset end
  self.sleep = function(s) if s and s > 0 then self.offset = self.offset + s end end
  self.world = world.new { now = self.clock, durations = opts.durations, fail = self.fail }
  return self
end

--- A client wired to a fresh sandbox, and the sandbox. opts go to sandbox.new;
-- opts.client adds client options (region/zone default to cn-wlcb / cn-wlcb-01).
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
