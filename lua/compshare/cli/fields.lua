--- A read-only view of the generated spec (compshare.spec) for the command line:
-- action names, an action's fields (nested ones included) and the scalar type
-- expected at a dotted path such as `Disks.0.Size`. It reads the shapes that
-- tools/gen_spec.lua writes (fields are lists, models have `fields`), nothing else.
local fields = {}

--- The spec table (generated and committed: always there).
function fields.load()
  return require "compshare.spec"
end

--- Sorted list of action names (a copy).
function fields.action_names(spec)
  local names = {}
  for i, name in ipairs(spec.action_names) do names[i] = name end
  return names
end

--- The action's entry, or nil.
function fields.action(spec, name)
  return spec.actions[name]
end

--- The request fields of an action.
function fields.request(spec, action)
  local a = fields.action(spec, action)
  return a and a.request or {}
end

--- The response fields of an action.
function fields.response(spec, action)
  local a = fields.action(spec, action)
  return a and a.response or {}
end

--- The closest of `candidates` to `name` when it is near enough (validate.suggest), else nil.
function fields.suggest(name, candidates)
  return require("compshare.validate").suggest(name, candidates)
end

--- The usage error for a name that is not an action, with a suggestion when one is near.
function fields.unknown_action(spec, name)
  local best = fields.suggest(name, fields.action_names(spec))
  return require("compshare.errors").new { kind = "validation", usage = true,
    message = ("unknown action %q%s"):format(name, best and ("; did you mean " .. best .. "?") or
      " (`compshare-lua actions` lists them)") }
end

--- The fields inside an object or array-of-object field (from the field or its model).
function fields.children(spec, field)
  local model = field.model and spec.models[field.model]
  return model and model.fields or {}
end

local function find(list, name)
  for _, f in ipairs(list) do if f.name == name then return f end end
  return nil
end

--- The scalar type ("string", "int", "float", "bool") expected at `parts`
-- (a list of path segments, indexes as strings), or nil when unknown.
function fields.type_at(spec, action, parts)
  local list, i = fields.request(spec, action), 1
  while i <= #parts do
    local f = find(list, parts[i])
    if not f then return nil end
    local t = f.type
    local elem = t:match("^array%-of%-(.+)$")
    if elem then
      if not tonumber(parts[i + 1] or "") then return nil end
      i = i + 1
      t = elem
    end
    if t == "object" then
      list = fields.children(spec, f)
    elseif i == #parts then
      return t
    else
      return nil
    end
    i = i + 1
  end
  return nil
end

-- The description of field `f` at `path`: its own, else the action's for a nested path.
local function doc_of(f, path, docs)
  return f.doc or (docs and (docs[path] or docs[path .. ".N"])) or nil
end

--- Lines describing every field of `list` (nested ones as `Disks.N.Size`), each with its type,
-- flags (required, common, enum, default) and, on the next line, its description; for help.
-- `docs`: the action's descriptions of nested paths (spec `nested_docs`).
function fields.describe(spec, list, prefix, out, docs, depth)
  out, prefix, depth = out or {}, prefix or "", depth or 0
  if depth > 8 then return out end                -- models do not nest that deep; never loop
  for _, f in ipairs(list) do
    local t = f.type
    local notes = {}
    if f.required then notes[#notes + 1] = "required" end
    if f.common then notes[#notes + 1] = "common" end
    if f.enum then notes[#notes + 1] = "one of " .. table.concat(f.enum, "|") end
    if f.default ~= nil then notes[#notes + 1] = "default " .. tostring(f.default) end
    local path = prefix .. f.name
    out[#out + 1] = (("  %-34s %-18s %s"):format(path, t, table.concat(notes, ", ")):gsub("%s+$", ""))
    local doc = doc_of(f, path, docs)
    if doc then out[#out + 1] = "      " .. doc end
    local nested = fields.children(spec, f)
    if #nested > 0 then
      local sub = t:find("^array") and (path .. ".N.") or (path .. ".")
      fields.describe(spec, nested, sub, out, docs, depth + 1)
    end
  end
  return out
end

--- Every request field of an action as `{ path = "Disks.N.Size", doc = "..." }`, nested ones too.
function fields.paths(spec, action)
  local a = fields.action(spec, action)
  local out = {}
  local function walk(list, prefix, depth)
    for _, f in ipairs(list) do
      local path = prefix .. f.name
      out[#out + 1] = { path = path, doc = doc_of(f, path, a and a.nested_docs) }
      local nested = depth < 8 and fields.children(spec, f) or {}
      if #nested > 0 then
        walk(nested, f.type:find("^array") and (path .. ".N.") or (path .. "."), depth + 1)
      end
    end
  end
  walk(fields.request(spec, action), "", 0)
  return out
end

local function show(v)
  if type(v) ~= "table" then return tostring(v) end
  local parts, keys = {}, {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do
    parts[#parts + 1] = type(k) == "number" and show(v[k]) or (tostring(k) .. "=" .. show(v[k]))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

--- Lines describing an action's documented rules (constraints), for help.
function fields.rules(spec, action)
  local a = fields.action(spec, action)
  local out = {}
  for _, r in ipairs(a and a.rules or {}) do
    local words, keys = {}, {}
    for k in pairs(r) do
      if k ~= "kind" and k ~= "field" and k ~= "source" then keys[#keys + 1] = k end
    end
    table.sort(keys)
    for _, k in ipairs(keys) do words[#words + 1] = k .. "=" .. show(r[k]) end
    out[#out + 1] = ("  - %s: %s%s"):format(r.field, r.kind, #words > 0 and (" (" .. table.concat(words, "; ") .. ")") or "")
  end
  return out
end

return fields
