--- Data in the shape of the spec's response models: a sample for any field
-- or model (what an action the sandbox does not model answers), and the JSON
-- encoder for answers, which writes every array field of the spec as a JSON
-- array even when it is empty (strict decoders such as Go's need that).
local spec = require "compshare.spec"
local json = require "compshare.json"

local shape = {}

local MAX_DEPTH = 4   -- models may nest; samples stop there

--- A sample scalar for a field: its first enum value, else by type and name.
local function scalar(f, t, now)
  if f.enum and f.enum[1] ~= nil then return f.enum[1] end
  local name = f.name or ""
  if t == "string" then
    if name:find("Time$") then return tostring(math.floor(now)) end
    if name:find("Id$") or name:find("ID$") then return "sandbox-" .. name:lower() end
    return "sandbox"
  elseif t == "int" then
    if name:find("Time$") then return math.floor(now) end
    return 0
  elseif t == "float" then
    return 0
  elseif t == "bool" then
    return false
  end
  return "sandbox"
end

local ARRAY_OF = { ["array-of-string"] = "string", ["array-of-int"] = "int", ["array-of-float"] = "float",
  ["array-of-bool"] = "bool", ["array-of-object"] = "object" }

--- A sample value for one field declaration.
function shape.value(f, now, depth)
  depth = depth or 0
  local t = f.type
  local elem = ARRAY_OF[t]
  if elem == "object" then
    if depth >= MAX_DEPTH then return {} end
    return { shape.model(f.model, now, depth + 1) }
  elseif elem then
    return { scalar(f, elem, now) }
  elseif t == "object" then
    if depth >= MAX_DEPTH then return {} end
    return shape.model(f.model, now, depth + 1)
  end
  return scalar(f, t, now)
end

--- A sample of model `name` (every field filled), with `over` laid on top.
function shape.model(name, now, depth, over)
  local out = {}
  local m = name and spec.models[name]
  for _, f in ipairs(m and m.fields or {}) do out[f.name] = shape.value(f, now or 0, depth or 0) end
  for k, v in pairs(over or {}) do out[k] = v end
  return out
end

--- The sample answer of an action: every response field filled.
function shape.response(action, now)
  local a = spec.actions[action]
  local out = {}
  for _, f in ipairs(a and a.response or {}) do out[f.name] = shape.value(f, now or 0, 0) end
  return out
end

----------------------------------------------------------------------------
-- Encoding

local function fields_of(list)
  local by = {}
  for _, f in ipairs(list or {}) do by[f.name] = f end
  return by
end

local model_fields = setmetatable({}, { __mode = "k" })
local function fields_of_model(name)
  local m = name and spec.models[name]
  if not m then return nil end
  local by = model_fields[m]
  if not by then by = fields_of(m.fields) model_fields[m] = by end
  return by
end

local encode

local function is_list(v)
  local n = #v
  if n == 0 then return false end
  for k in pairs(v) do
    if type(k) ~= "number" or k < 1 or k > n or k % 1 ~= 0 then return false end
  end
  return true
end

local function encode_list(v, elem_fields, out)
  out[#out + 1] = "["
  for i = 1, #v do
    if i > 1 then out[#out + 1] = "," end
    encode(v[i], nil, elem_fields, out)
  end
  out[#out + 1] = "]"
end

local function encode_object(v, fields, out)
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  out[#out + 1] = "{"
  for i, k in ipairs(keys) do
    if i > 1 then out[#out + 1] = "," end
    out[#out + 1] = assert(json.encode(k))
    out[#out + 1] = ":"
    local f = fields and fields[k]
    local val = v[k]
    if val == nil then val = v[tonumber(k)] end
    encode(val, f, nil, out)
  end
  out[#out + 1] = "}"
end

-- `f`: the field declaration of v (or nil); `fields`: the fields of the object v is (or nil).
function encode(v, f, fields, out)
  if type(v) ~= "table" or v == json.null then
    out[#out + 1] = assert(json.encode(v))
    return
  end
  local t = f and f.type
  if t and ARRAY_OF[t] then
    return encode_list(v, ARRAY_OF[t] == "object" and fields_of_model(f.model) or nil, out)
  end
  if t == "object" then return encode_object(v, fields_of_model(f.model), out) end
  if fields then return encode_object(v, fields, out) end
  if is_list(v) then return encode_list(v, nil, out) end
  return encode_object(v, nil, out)
end

--- The JSON text of an answer of `action` (arrays of the spec always as arrays).
function shape.encode(action, fields)
  local a = spec.actions[action]
  local out = {}
  encode(fields, nil, a and fields_of(a.response) or {}, out)
  return table.concat(out)
end

return shape
