--- Typed per-action methods and pagination, all driven by the generated spec.
-- client:<Action>(params [, call_opts]) validates, then client:call.
-- client:paginate(action, params) iterates the items of every page.
local spec = require "compshare.spec"
local validate = require "compshare.validate"
local errors = require "compshare.errors"

local api = {}

--- "no action named X; did you mean Y?" for a name that is not an action.
local function unknown_action(name)
  local best = validate.closest(tostring(name), spec.action_names)
  return ("compshare: no action named %q%s"):format(tostring(name):sub(1, 80),
    best and ("; did you mean %q?"):format(best) or "")
end

local function action_spec(name, level)
  local a = spec.actions[name]          -- nil for any name that is not an action's, strings or not
  if not a then error(unknown_action(name), level + 1) end
  return a
end

-- The client's common defaults, which satisfy required common fields: per client, a view
-- of its current region/zone/project_id (read when asked; it holds the client weakly).
local COMMON = { Region = "region", Zone = "zone", ProjectId = "project_id" }
local VIEW = {
  __mode = "v",
  __index = function(view, name)
    local key = COMMON[name]
    return key and view[1] and rawget(view[1], key)
  end,
}
local views = setmetatable({}, { __mode = "k" })
local function defaults(client)
  local view = views[client]
  if not view then
    view = setmetatable({ client }, VIEW)
    views[client] = view
  end
  return view
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
function api.prepare(client, action, params)
  local a = action_spec(action, 2)
  local out = params
  if type(params) == "table" then
    out = {}
    for k, v in next, params do out[k] = v end
  end
  local problems = validate.check(a, out, views[client] or defaults(client))
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
function api.call(client, action, params, call_opts)
  local p, err = api.prepare(client, action, params)
  if not p then return nil, err end
  return client:call(action, p, call_opts)
end

--- Iterator over the items of every page of a paginated action.
-- Each step gives one item; on failure it gives `false, err` once (false, not
-- nil, so that a for loop sees it) and then ends.
function api.paginate(client, action, params)
  local a = action_spec(action, 2)
  local pg = a.pagination
  if not pg then error(("compshare: %s is not paginated"):format(action), 2) end
  local base = {}
  if type(params) == "table" then
    for k, v in pairs(params) do base[k] = v end
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

-- One closure per action, made on first use and shared by all clients.
local methods = {}
local function method(name)
  local m = methods[name]
  if not m then
    m = function(client, params, call_opts) return api.call(client, name, params, call_opts) end
    methods[name] = m
  end
  return m
end

--- What client[key] resolves to after the client's own methods.
-- Action names give their method; any other capitalised name is a misspelled
-- action and raises with the closest real one; other keys are plain nil.
function api.lookup(key)
  if key == "paginate" then return api.paginate end
  if type(key) ~= "string" then return nil end
  if spec.actions[key] then return method(key) end
  if key:match("^%u") then error(unknown_action(key), 3) end
  return nil
end

-- Client metatables extended with the action methods, by original metatable.
local extended = setmetatable({}, { __mode = "k" })

local function extend(base)
  local mt = {}
  for k, v in pairs(base) do mt[k] = v end
  local index = base.__index
  if type(index) == "function" then
    mt.__index = function(self, key)
      local v = index(self, key)
      if v ~= nil then return v end
      return api.lookup(key)
    end
    return mt
  end
  -- What a lookup found (a method of the client's class, a typed method) is kept in `found`,
  -- the same for every client (a class's methods do not change): the next lookup of that name
  -- reads it without calling a function.
  local found = {}
  mt.__index = setmetatable(found, { __index = function(_, key)
    local v = index and index[key]
    if v == nil then v = api.lookup(key) end
    if v ~= nil then found[key] = v end
    return v
  end })
  return mt
end

--- Give `client` the typed methods and paginate. Returns the client.
function api.attach(client)
  local base = getmetatable(client) or {}
  local mt = extended[base]
  if not mt then
    mt = extend(base)
    extended[base] = mt
  end
  return setmetatable(client, mt)
end

return api
