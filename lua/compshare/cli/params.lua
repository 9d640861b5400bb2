--- Request parameters from the command line: `Key=Value` words (dotted keys such as
-- `Disks.0.Size=200` build nested tables; indexes count from 0 as in the API) on top
-- of an optional `--json '{...}'` object. Values are coerced by the field type the
-- spec gives (int/float -> number, bool -> boolean); without a spec, `true`/`false`
-- become booleans and plain integers numbers. A key given twice is an error (which one was meant?).
local json = require "compshare.json"

local params = {}

local function coerce(value, ftype)
  if ftype == "int" or ftype == "float" or ftype == "number" then
    return tonumber(value) or value          -- left as text: validation names the field
  elseif ftype == "bool" or ftype == "boolean" then
    if value == "true" then return true elseif value == "false" then return false end
    return value
  elseif ftype ~= nil then
    return value
  end
  if value == "true" then return true elseif value == "false" then return false end
  if value:find("^%-?[1-9]%d*$") and #value < 16 or value == "0" then return tonumber(value) end
  return value
end

local function split(key)
  local parts = {}
  for part in (key .. "."):gmatch("([^.]*)%.") do parts[#parts + 1] = part end
  return parts
end

--- Sets `value` at the dotted path `parts` inside `t`; nil, message on a clash.
local function set_path(t, parts, value, key)
  for i = 1, #parts do
    local p = parts[i]
    if p == "" then return nil, ("bad key %q: empty segment"):format(key) end
    local k = p
    if p:find("^%d+$") then k = tonumber(p) + 1 end
    if i == #parts then
      t[k] = value
    else
      if t[k] == nil then t[k] = {} end
      if type(t[k]) ~= "table" then
        return nil, ("key %q clashes with the value already given for %s"):format(key, table.concat(parts, ".", 1, i))
      end
      t = t[k]
    end
  end
  return true
end

--- build(words, json_text, type_at) -> params table, or nil, message.
-- words: list of "Key=Value"; type_at(parts) -> field type or nil.
function params.build(words, json_text, type_at)
  local out = {}
  if json_text then
    local decoded, err = json.decode(json_text)
    if type(decoded) ~= "table" or decoded[1] ~= nil then
      return nil, "--json needs a JSON object" .. (err and (": " .. err) or "")
    end
    out = decoded
  end
  local given = {}
  for _, word in ipairs(words) do
    local key, value = word:match("^([^=]+)=(.*)$")
    if not key then return nil, ("expected Key=Value, got %q"):format(word) end
    if given[key] then return nil, ("%s is given twice; give each field once"):format(key) end
    given[key] = true         -- (values are not repeated in the message: one may be a password)
    local parts = split(key)
    local ok, err = set_path(out, parts, coerce(value, type_at and type_at(parts)), key)
    if not ok then return nil, err end
  end
  return out
end

return params
