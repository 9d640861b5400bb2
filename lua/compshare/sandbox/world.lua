--- The sandbox's world: its clock, ids, refusals, durations and the state the
-- domain modules keep (all of it plain data in `w.data`, so it can be saved
-- and loaded). Every rule violation raises a refusal (world.refuse) that the
-- transport front turns into a RetCode answer.
local world = {}

--- RetCodes the sandbox answers with. The service documents only 0 (success)
-- and, through its SDKs, that codes >= 2000 are worth retrying; every other
-- code is the sandbox's own, all below 2000 so clients do not retry them.
world.CODES = {
  missing_action = 160, unknown_action = 160,
  signature = 171, missing_param = 230, invalid_param = 231,
  not_found = 250, wrong_state = 251, busy = 252, not_allowed = 253, duplicate = 254,
  quota = 255, not_offered = 256, not_owner = 257,
}

--- Seconds each simulated step takes (override any with opts.durations).
world.DURATIONS = {
  instance_boot = 60, instance_start = 30, instance_stop = 20, instance_reboot = 40,
  instance_reinstall = 60, instance_resize = 30, image_make = 120, image_copy = 60, image_review = 600,
}

local Refusal = {}
Refusal.__index = Refusal
Refusal.__tostring = function(r) return ("sandbox refusal %d: %s"):format(r.code, r.message) end

--- Stop the current action with RetCode CODES[name] and `message`.
function world.refuse(name, message, ...)
  local code = assert(world.CODES[name], "unknown refusal " .. tostring(name))
  error(setmetatable({ code = code, name = name, message = message:format(...) }, Refusal), 0)
end

function world.is_refusal(v)
  return getmetatable(v) == Refusal
end

function world.contains(list, v)
  for _, x in ipairs(list or {}) do if x == v then return true end end
  return false
end

--- v as a whole number (an integer on Lua 5.4), or nil when it is none.
local tointeger = math.tointeger or function(n) return n end
function world.whole(v)
  local n = tonumber(v)
  if n and n % 1 == 0 and math.abs(n) < 2 ^ 53 then return tointeger(n) end
  return nil
end

--- A deep copy of plain data.
function world.copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = world.copy(x) end
  return out
end

--- An id tag from a seed (so two sandboxes with different seeds never share ids).
local function tag_of(seed)
  if seed == nil then return "sbx" end
  local h = 5381
  for c in tostring(seed):gmatch(".") do h = (h * 33 + c:byte()) % 0x1000000 end
  return ("%06x"):format(h)
end

local World = {}
World.__index = World

--- The durations with `over` laid on top (unknown names and bad values raise).
function world.durations(over)
  local d = {}
  for k, v in pairs(world.DURATIONS) do d[k] = v end
  for k, v in pairs(over or {}) do
    if d[k] == nil then error("compshare.sandbox: unknown duration " .. tostring(k), 4) end
    if type(v) ~= "number" or v < 0 or v ~= v then error("compshare.sandbox: duration " .. k .. " must be seconds >= 0", 4) end
    d[k] = v
  end
  return d
end

--- The entity `id` of w's table `name`; refuses not_found ("<label> <id> does not exist")
-- when there is none.
function world.existing(w, name, id, label)
  local e = w:get(name, id)
  if not e then world.refuse("not_found", "%s %s does not exist", label, tostring(id)) end
  return e
end

--- The instance `id` of world w (refuses when there is none).
function world.instance(w, id)
  return world.existing(w, "instances", id, "instance")
end

--- Refuse unless the instance is in one of `states`.
function world.require_state(inst, states, what)
  if not world.contains(states, inst.fields.State) then
    world.refuse("wrong_state", "instance %s is %s; %s needs it to be %s", inst.fields.UHostId, inst.fields.State,
      what, table.concat(states, " or "))
  end
end

--- new{ now = function() -> seconds, durations =, fail =, seed =, account_level = }
function world.new(opts)
  local self = setmetatable({
    now = opts.now, durations = world.durations(opts.durations), fail = opts.fail or {},
    settlers = {},
  }, World)
  self:reset(opts.seed, opts.account_level)
  return self
end

--- Forget everything: a fresh world (same clock and durations).
function World:reset(seed, level)
  self.data = { serial = 0, tag = tag_of(seed), account = { level = level or 2, id = 10000001 } }
end

function World:next_id(prefix)
  self.data.serial = self.data.serial + 1
  return ("%s-%s%05d"):format(prefix, self.data.tag, self.data.serial)
end

--- The table `name` inside the state ({ items = {id -> entity}, order = {ids} }).
function World:table(name)
  local t = self.data[name]
  if not t then t = { items = {}, order = {} } self.data[name] = t end
  return t
end

function World:add(name, id, entity)
  local t = self:table(name)
  t.items[id] = entity
  t.order[#t.order + 1] = id
  return entity
end

function World:get(name, id)
  return id ~= nil and self:table(name).items[id] or nil
end

function World:remove(name, id)
  local t = self:table(name)
  t.items[id] = nil
  for i, x in ipairs(t.order) do if x == id then table.remove(t.order, i) break end end
end

--- Live entities of table `name` in creation order.
function World:list(name)
  local t, out = self:table(name), {}
  for _, id in ipairs(t.order) do
    if t.items[id] then out[#out + 1] = t.items[id] end
  end
  return out
end

--- A failure plan from opts.fail[key]: a value, or a function of the entity's fields.
function World:plan(key, fields)
  local f = self.fail and self.fail[key]
  if type(f) == "function" then return f(fields) end
  return f
end

--- Register fn(world, now), run by settle() to bring one domain up to date.
function World:on_settle(fn)
  self.settlers[#self.settlers + 1] = fn
end

--- Bring every entity up to the current simulated time.
function World:settle()
  local now = self.now()
  for _, fn in ipairs(self.settlers) do fn(self, now) end
end

--- Put `e.fields.State` into `via` now and into `to` after durations[duration] seconds.
function World:transition(e, via, to, duration)
  local wait = self.durations[duration] or 0
  if wait == 0 then
    e.fields.State, e.pending = to, nil
  else
    e.fields.State = via
    e.pending = { to = to, at = self.now() + wait }
  end
end

--- Finish a pending transition whose time has come (true when it did).
function world.arrive(e, now)
  if e.pending and now >= e.pending.at then
    e.fields.State = e.pending.to
    e.pending = nil
    return true
  end
  return false
end

return world
