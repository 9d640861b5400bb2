--- The typed API, driven by the generated spec, installed on the client class when this module
-- loads (as lua-resty-aws does): one method per action, client:<Action>(params [, call_opts]),
-- which validates then calls; client:paginate(action, params), which iterates the items of every
-- page; Client.retry_safe from the spec's retry_safe flags; and, for a key the class does not
-- have, "no action named X; did you mean Y?" when X is capitalised (Region, Zone and ProjectId,
-- the names of the client's defaults, read nil).
-- @module compshare.api
local Client = require "compshare.client"
local errors = require "compshare.errors"
local spec = require "compshare.spec"
local validate = require "compshare.validate"

local api = {}

--- "no action named X; did you mean Y?" for a name that is not an action.
local function unknown_action(name)
  local best = validate.suggest(tostring(name), spec.action_names)
  return ("compshare: no action named %q%s"):format(tostring(name):sub(1, 80),
    best and ("; did you mean %q?"):format(best) or "")
end

local function action_spec(name, level)
  local a = spec.actions[name]          -- nil for any name that is not an action's, strings or not
  if not a then error(unknown_action(name), level + 1) end
  return a
end

-- Per action spec: the fields the wrapper fills in when absent, { {name, value}, ... }, made once.
local fills = setmetatable({}, { __mode = "k" })
local function fills_of(a)
  local list = fills[a]
  if not list then
    list = {}
    for _, f in ipairs(a.request) do
      if f.fill ~= nil then list[#list + 1] = { f.name, f.fill } end
    end
    fills[a] = list
  end
  return list
end

--- Validate params for `action` and return the table to send, or nil, err.
-- The params are first copied with `next` into a plain table, which is what is checked and
-- what is sent: a metatable's __pairs or __index cannot show the validator one set of fields
-- and the encoder another (nested tables are read raw by both). A missing seed default
-- (`fill`) is added to that copy; the caller's table is never changed.
-- @tparam compshare.client client
-- @tparam string action
-- @tparam[opt] table params
-- @treturn[1] table the params to send
-- @treturn[2] nil
-- @treturn[2] compshare.errors the error (`kind`, `message`, ...; see `compshare.errors`)
-- @raise when action is not an action of the spec (the message suggests the closest)
function api.prepare(client, action, params)
  local a = action_spec(action, 2)
  if client.no_credentials then   -- first: no fix to the params would get this call through
    return nil, errors.new { kind = "validation", action = action, message = client.no_credentials }
  end
  local out = params
  if type(params) == "table" then
    out = {}
    for k, v in next, params do out[k] = v end
  end
  local problems = validate.check(a, out, client.defaults)
  if problems then return nil, errors.validation(action, problems) end
  out = out or {}
  local list = fills[a] or fills_of(a)
  for i = 1, #list do
    local name, value = list[i][1], list[i][2]
    if out[name] == nil then out[name] = value end
  end
  return out
end

--- Validated call: the body of every client:<Action>.
-- `client:CreateCompShareInstance(params, call_opts)` and every other action's method is this.
-- @tparam compshare.client client
-- @tparam string action
-- @tparam[opt] table params checked against the spec first: nothing is sent when they are wrong
-- @tparam[opt] table call_opts `{ timeout =, max_retries = }`
-- @treturn[1] table the response
-- @treturn[2] nil
-- @treturn[2] compshare.errors the error (`kind`, `message`, ...; see `compshare.errors`)
function api.call(client, action, params, call_opts)
  local p, err = api.prepare(client, action, params)
  if not p then return nil, err end
  return client:call(action, p, call_opts)
end

--- Iterator over the items of every page of a paginated action.
-- Each step gives one item; on failure it gives `false, err` once (false, not
-- nil, so that a for loop sees it) and then ends.
-- `for item, err in client:paginate("DescribeCompShareImages", { ImageType = "System" }) do ... end`
-- @tparam compshare.client client
-- @tparam string action a paginated action (Offset/Limit)
-- @tparam[opt] table params the first page's params (Limit sets the page size)
-- @treturn function the iterator: each step gives an item, or `false, err` once on failure
-- @raise when action is not paginated
function api.paginate(client, action, params)
  local a = action_spec(action, 2)
  local pg = a.pagination
  if not pg then error(("compshare: %s is not paginated"):format(action), 2) end
  local base = {}
  if type(params) == "table" then
    for k, v in next, params do base[k] = v end   -- raw, as api.prepare reads them
  elseif params ~= nil then
    base = params                       -- let validation report it
  end
  local limit = type(base) == "table" and base[pg.limit] or pg.limit_default
  local offset = type(base) == "table" and base[pg.offset] or pg.offset_default or 0
  local page, i, done = {}, 0, false
  return function()
    while true do
      if i < #page then
        i = i + 1
        return page[i]
      end
      if done then return nil end
      if type(base) == "table" then base[pg.offset], base[pg.limit] = offset, limit end
      local res, err = api.call(client, action, base)
      if not res then
        done = true
        return false, err
      end
      page, i = res[pg.items], 0
      if type(page) ~= "table" then page = {} end
      offset = offset + #page
      local total = pg.total and tonumber(res[pg.total])
      if #page == 0 or (total and offset >= total) or (not total and #page < (tonumber(limit) or 0)) then
        done = true
      end
    end
  end
end

-- --------------------------------------------------------------------------
-- Installed on the client class, once.

for _, name in ipairs(spec.action_names) do
  Client[name] = function(client, params, call_opts) return api.call(client, name, params, call_opts) end
end
Client.paginate = api.paginate

--- The spec's answer: an action it does not know is not safe to send twice.
function Client.retry_safe(action)
  local a = spec.actions[action]
  return a ~= nil and a.retry_safe
end

local DEFAULT_NAMES = { Region = true, Zone = true, ProjectId = true }
setmetatable(Client, { __index = function(_, key)
  if type(key) == "string" and key:find("^%u") and not DEFAULT_NAMES[key] then error(unknown_action(key), 2) end
end })

return api
