--- From the wire to typed parameters: a form body (`Disks.0.Size=200`) or a
-- JSON body becomes the nested table the client was given, each value turned
-- into the type the spec declares for it (the form carries only strings), so
-- the validator judges exactly what the client judged. A value that does not
-- convert is left as it came, and the validator names it.
local core = require "compshare.core"
local json = require "compshare.json"
local spec = require "compshare.spec"
local world = require "compshare.sandbox.world"

local wire = {}

--- Flat form params (`Disks.0.Size`) -> nested tables (lists from 0-based indexes).
-- A key that is both a value and a container (`A=1` and `A.0=2`) makes the
-- result depend on nothing but hash order, so it is returned as the second value.
function wire.unflatten(flat)
  local out, conflict = {}, nil
  local keys = {}
  for key in pairs(flat) do keys[#keys + 1] = key end
  table.sort(keys)                      -- the same result whatever the hash order
  for _, key in ipairs(keys) do
    local node, parts = out, {}
    for part in key:gmatch("[^.]+") do
      local n = tonumber(part)
      parts[#parts + 1] = (n and part:match("^%d+$") and #part < 10) and n + 1 or part
    end
    for i = 1, #parts - 1 do
      local k = parts[i]
      if node[k] ~= nil and type(node[k]) ~= "table" then conflict = conflict or key end
      if type(node[k]) ~= "table" then node[k] = {} end
      node = node[k]
    end
    local last = parts[#parts]
    if last ~= nil then
      if type(node[last]) == "table" then conflict = conflict or key else node[last] = flat[key] end
    end
  end
  return out, conflict
end

local SCALAR = {
  int = function(v)
    local n = type(v) == "string" and v:match("^%-?%d+$") and #v <= 16 and world.whole(v)
    return n or v
  end,
  float = function(v)
    local n = type(v) == "string" and v:match("^%-?[%d.]+$") and tonumber(v)
    return n or v
  end,
  bool = function(v)
    if v == "true" then return true elseif v == "false" then return false end
    return v
  end,
}

local typed

--- A value of field `f` (a spec field declaration), typed.
local function value_of(f, v)
  local t = f.type
  if f.numeric_string then return SCALAR.int(v) end
  local elem = t:match("^array%-of%-(.+)$")
  if elem then
    if type(v) ~= "table" then return v end
    local out = {}
    for k, x in pairs(v) do
      out[k] = elem == "object" and typed(f.model, x) or (SCALAR[elem] and SCALAR[elem](x) or x)
    end
    return out
  end
  if t == "object" then return typed(f.model, v) end
  if SCALAR[t] then return SCALAR[t](v) end
  return v
end

-- params of model `model` (a name) or of a field list.
function typed(model, params)
  if type(params) ~= "table" then return params end
  local fields = type(model) == "table" and model or (spec.models[model] or {}).fields or {}
  local by = {}
  for _, f in ipairs(fields) do by[f.name] = f end
  local out = {}
  for k, v in pairs(params) do
    local f = by[k]
    out[k] = f and value_of(f, v) or v
  end
  return out
end

--- The typed params of `action` from flat form params; nil, key when a key is
-- both a value and a container.
function wire.params(action, flat)
  local a = spec.actions[action]
  local nested, conflict = wire.unflatten(flat)
  if conflict then return nil, conflict end
  return typed(a and a.request or {}, nested)
end

--- The typed params of `action` from a JSON object (values may be strings, as a form's).
function wire.json_params(action, obj)
  local a = spec.actions[action]
  return typed(a and a.request or {}, obj)
end

--- Decode a request body: (flat, how) where flat maps every signed key to its
-- string (a JSON body is flattened as a form would be), or nil, reason.
function wire.decode(body, content_type)
  body = body or ""
  if (content_type or ""):lower():find("json", 1, true) then
    local obj, err = json.decode(body)
    if type(obj) ~= "table" then return nil, "body is not a JSON object" .. (err and (": " .. err) or "") end
    local ok, pairs_ = pcall(core.flatten, obj)
    if not ok then return nil, "body cannot be flattened: " .. tostring(pairs_) end
    local flat = {}
    for _, p in ipairs(pairs_) do flat[p[1]] = p[2] end
    return flat, "json", obj
  end
  local ok, flat = pcall(core.form_decode, body)
  if not ok then return nil, "body is not a form: " .. tostring(flat) end
  return flat, "form"
end

return wire
