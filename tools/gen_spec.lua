--- Generate lua/compshare/spec.lua from ../shared/api/compshare.json and field_docs.json.
-- usage: lua5.4 tools/gen_spec.lua <compshare.json> <out spec.lua> <field_docs.json>
-- The output is a pure data table, keys sorted, one function per action and
-- per model (so no single function holds too many constants for LuaJIT).
-- Everything the JSON says is kept; where the seed page and the SDKs disagree
-- the seed page wins and the choice is written into the action's `notes`.
local cjson = require "cjson"

local src_path, out_path, docs_path = arg[1], arg[2], arg[3]
if not (src_path and out_path and docs_path) then
  io.stderr:write("usage: gen_spec.lua <compshare.json> <out.lua> <field_docs.json>\n")
  os.exit(2)
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local NULL = cjson.null

--- JSON -> plain Lua: cjson.null becomes nil, empty JSON objects/arrays become {}.
local function plain(v)
  if v == NULL then return nil end
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = plain(x) end
  return t
end

local data = plain(cjson.decode(read(src_path)))
local field_docs = plain(cjson.decode(read(docs_path)))

local function copy(t)
  if type(t) ~= "table" then return t end
  local r = {}
  for k, v in pairs(t) do r[k] = copy(v) end
  return r
end

local function find_field(fields, name)
  for _, f in ipairs(fields) do
    if f.name == name then return f end
  end
end

local function list_has(list, v)
  for _, x in ipairs(list or {}) do
    if x == v then return true end
  end
  return false
end

-- Formats the validator knows by name; a new pattern in the JSON stops the generator.
local FORMATS = { ["^v[0-9]+(\\.[0-9]+)*$"] = "version" }

-- Actions that are not safe to send twice although the Go SDK retries them:
-- every repeat has a visible effect of its own.
local EXTRA_UNSAFE = {
  RebootCompShareInstance = "each call reboots the instance again",
  RebootULHostInstance = "each call reboots the host again",
  ReinstallCompShareInstance = "each call wipes and reinstalls the system disk again",
  ReinstallULHostInstance = "each call wipes and reinstalls the system disk again",
}

local function retry_policy(a)
  if a.go_retryable_default == false then
    return false, "Go SDK marks it non-retryable (creates or publishes something)"
  end
  local verb = a.name:match("^(%u%l+)")
  if verb == "Create" or verb == "Copy" or verb == "Publish" then
    return false, verb .. " makes a new resource on every call"
  end
  if EXTRA_UNSAFE[a.name] then return false, EXTRA_UNSAFE[a.name] end
  return true, nil
end

----------------------------------------------------------------------------
-- Spending: which actions cost money on the real service. compshare.json has no such flag, so
-- these documented rules decide, first match winning. The CLI asks before sending these.

local READ_VERBS = { Describe = true, Get = true, Check = true, List = true, Download = true }

local SPEND_RULES = {
  { match = function(a) return READ_VERBS[a.name:match("^(%u%l+)")] end, spends = false },
  { match = function(a) return a.name:find("^Create.*Instance$") end,
    reason = "it creates an instance, billed from the moment it exists" },
  { match = function(a) return a.name:find("^Create.*Image$") or a.name:find("^Copy.*Image$") end,
    reason = "it makes an image, whose storage is billed" },
  { match = function(a) return a.name:find("^Resize") end, reason = "it changes the size, and so the price" },
  { match = function(a) return a.name:find("^Reinstall") end,
    reason = "it reinstalls the system disk, which can change the image and its price" },
  { match = function(a) return a.name == "StartCompShareInstance" end,
    reason = "a started pay-as-you-go instance is billed again" },
  { match = function(a)
      for _, f in ipairs(a.request or {}) do
        if f.name == "ChargeType" or f.name == "Quantity" or f.name == "CouponId" then return true end
      end
    end, reason = "it sets a charge (ChargeType/Quantity)" },
}

--- spends, reason for an action of compshare.json.
local function spend_policy(a)
  for _, rule in ipairs(SPEND_RULES) do
    if rule.match(a) then
      if rule.spends == false then return false, nil end
      return true, rule.reason
    end
  end
  return false, nil
end

----------------------------------------------------------------------------
-- Field docs (field_docs.json): a summary per action, a description per field (units included).

--- Adds `summary`, each field's `doc`, and `nested_docs` (`Disks.N.Size` -> text) to `act`.
local function add_docs(act)
  local d = field_docs.actions[act.name] or {}
  act.summary = d.summary
  local req, nested = d.request or {}, {}
  for _, f in ipairs(act.request) do
    f.doc = req[f.name] or (f.common and field_docs.common[f.name]) or nil
  end
  for path, text in pairs(req) do
    if path:find(".", 1, true) then nested[path] = text end
  end
  if next(nested) then act.nested_docs = nested end
  for _, f in ipairs(act.response) do f.doc = (d.response or {})[f.name] end
end

--- One request/response field, as the spec keeps it.
local function field_of(f)
  local sdk = f.sdk
  if sdk and #sdk == 0 then sdk = nil end
  return {
    name = f.name, type = f.type, required = f.required or nil, common = f.common,
    enum = f.enum, model = f.model, default = f.default, seed_only = f.seed_only,
    sdk = sdk, required_python = f.required_python, required_unknown = f.required_unknown,
    seed_type = f.seed_type,
  }
end

local function num(n)
  if n == math.floor(n) and math.abs(n) < 2 ^ 53 then return ("%d"):format(n) end
  return ("%.17g"):format(n)
end

local function show(v)
  if type(v) == "number" then return num(v) end
  if type(v) ~= "table" then return tostring(v) end
  local parts = {}
  if #v > 0 then
    for i, x in ipairs(v) do parts[i] = show(x) end
    return table.concat(parts, ",")
  end
  for k, x in pairs(v) do parts[#parts + 1] = k .. "=" .. show(x) end
  table.sort(parts)
  return table.concat(parts, ",")
end

--- A documented constraint the validator does not execute, as one line for the docs.
local function describe(c)
  local details = {}
  for k, v in pairs(c) do
    if k ~= "kind" and k ~= "field" and k ~= "source" and k ~= "rule" then
      details[#details + 1] = k .. "=" .. show(v)
    end
  end
  table.sort(details)
  return ("%s%s%s (%s; not checked locally%s)"):format(c.field and (c.field .. ": ") or "", c.kind,
    c.rule and (" - " .. c.rule) or "", c.source or "?", #details > 0 and ("; " .. table.concat(details, "; ")) or "")
end

-- Bounds on paid quantities that the seed page states in its field table or prose rather than
-- as a constraint: each becomes a range rule (or tightens one) and a decision in the docs.
-- max = "account_quota" is the largest "max_instances" of the seed's account-quota table.
local SEED_BOUNDS = {
  CreateCompShareInstance = {
    { field = "CPU", min = 1, why = "a count of virtual CPU cores (seed 004 field table)" },
    { field = "Quantity", min = 1, why = "a number of months or days; 0 is not supported (seed 004)" },
    { field = "MaxCount", min = 1, max = "account_quota", why = "how many instances one call creates; "
      .. "the seed's account quota table allows at most that many instances" },
    { field = "Disks.N.Size", min = 1, why = "a disk size in GB (seed 004 field table)" },
  },
  -- Paid quantities of other actions that spend (field docs: a target count, a size, a
  -- purchase length): at least 1, as for a create.
  ResizeCompShareInstance = {
    { field = "Cpu", min = 1, source = "field docs", why = "a target count of virtual CPU cores" },
    { field = "Gpu", min = 1, source = "field docs", why = "a target count of GPU cards (a create has GPU >= 1)" },
    { field = "Memory", min = 1, source = "field docs", why = "a target memory size in MB" },
  },
  ResizeCompShareDisk = {
    { field = "Size", min = 1, source = "field docs", why = "a disk size in GB" },
  },
  CreateULHostInstance = {
    { field = "Quantity", min = 1, source = "field docs",
      why = "a purchase length in ChargeType periods (default 1)" },
  },
}

-- "exactly one": the count of items matching `where` that a min_items_where rule also caps.
local EXACTLY = { ["CreateCompShareInstance Disks"] = { max = 1, why = "exactly one boot disk (SDK comment)" } }

local function quota_max()
  local q, best = data.seed_tables.account_quota, nil
  local col
  for i, c in ipairs(q.columns) do if c == "max_instances" then col = i end end
  for _, row in ipairs(q.rows) do best = math.max(best or row[col], row[col]) end
  return assert(best, "gen_spec: the account quota table has no max_instances")
end

--- The SEED_BOUNDS of action a as ranges (through `range`, which merges them with the JSON's),
-- each with its decision; then the not_equal rules a range already covers are dropped.
local function seed_bounds(a, rules, ranges, range, decisions)
  for _, b in ipairs(SEED_BOUNDS[a.name] or {}) do
    local max = b.max == "account_quota" and quota_max() or b.max
    range(b.field, b.min, max, b.source or ("seed:" .. a.seed_doc.file))
    decisions[#decisions + 1] = ("%s from %s%s: %s"):format(b.field, num(b.min),
      max and (" to " .. num(max)) or " up", b.why)
  end
  for i = #rules, 1, -1 do
    local r, rg = rules[i], ranges[rules[i].field]
    if r.kind == "not_equal" and rg and ((rg.min and r.value < rg.min) or (rg.max and r.value > rg.max)) then
      table.remove(rules, i)
    end
  end
end

--- The translators of the JSON's constraint kinds, one a kind: each adds the rules, notes and
-- decisions of constraint c to the translation state t (see `translate`).
local CONSTRAINT = {}

function CONSTRAINT.multiple_of(c, t)
  t.rule { kind = "multiple_of", field = c.field, value = c.value, source = c.source }
end

function CONSTRAINT.range(c, t)
  if c.max_by_GpuType then
    local r = t.range(c.field, c.min, nil, c.source)
    r.max_by = { field = "GpuType", values = c.max_by_GpuType }
    return
  end
  local max = c.max
  if t.max_by[c.field] and c.source:find("^sdk") then
    max = nil
    t.decide(("%s upper bound %s from the SDK comment is not enforced; "
      .. "the seed's per-GpuType maximum is (it is larger for several types)"):format(c.field, num(c.max)))
  end
  t.range(c.field, c.min, max, c.source)
end

function CONSTRAINT.max_by_GpuType(c, t)
  t.rule { kind = "max_by", field = c.field, by = "GpuType", max = c.max,
    scale = (c.unit == "GB" and c.field == "Memory") and 1024 or 1, unit = c.unit, source = c.source }
end

function CONSTRAINT.forbidden_combination(c, t)
  t.rule { kind = "forbidden_when", field = c.field, values = c.not_in, when = c.when, source = c.source }
end

function CONSTRAINT.only_for(c, t)
  local by, values = next(c.requires)
  t.rule { kind = "only_with", field = c.field, value = c.value, by = by, values = values, source = c.source }
end

function CONSTRAINT.intel_only(c, t)
  local target, allowed = next(c.implies)
  t.rule { kind = "allowed_when", field = target, values = allowed, by = c.field, when_in = c.values,
    source = c.source }
  if c.note then t.decide("Intel-only list follows the seed prose (" .. c.note .. ")") end
end

function CONSTRAINT.not_equal(c, t)
  t.rule { kind = "not_equal", field = c.field, value = c.value, source = c.source }
  if c.note then t.decide(c.field .. " ~= " .. num(c.value) .. " (" .. c.note .. ")") end
end

function CONSTRAINT.min_items_where(c, t)
  local exactly = EXACTLY[t.a.name .. " " .. c.field]
  t.rule { kind = "min_items_where", field = c.field, where = c.where, min = c.min,
    max = exactly and exactly.max, source = c.source }
  if exactly then
    t.decide(("%s has at most %d item(s) with %s: %s"):format(c.field, exactly.max, show(c.where), exactly.why))
  end
end

function CONSTRAINT.max_items(c, t)
  t.rule { kind = "max_items", field = c.field, max = c.max, source = c.source }
end

function CONSTRAINT.max_length(c, t)
  t.rule { kind = "max_length", field = c.field, max = c.max, allowed = c.allowed_chars, source = c.source }
end

function CONSTRAINT.format(c, t)
  local name = assert(FORMATS[c.pattern_inferred], "gen_spec: unknown pattern " .. tostring(c.pattern_inferred))
  t.rule { kind = "format", field = c.field, format = name, example = c.example, source = c.source }
end

function CONSTRAINT.conditional_required(c, t)
  t.rule { kind = "required_when", field = c.field, when = c.when, source = c.source }
  if c.zero_means then
    t.range(c.field, 0, nil, c.source)
    t.decide(("%s >= 0 (the seed says 0 means %s)"):format(c.field, c.zero_means))
  end
end

function CONSTRAINT.enum(c, t)
  local f = t.field_at(c.field)
  assert(f, "gen_spec: enum for unknown field " .. t.a.name .. "." .. c.field)
  if not f.enum then f.enum = c.values end
end

function CONSTRAINT.required_mismatch(c, t)
  local f = assert(find_field(t.act.request, c.field), "gen_spec: required_mismatch " .. c.field)
  -- false when the seed page omits it or does not require it
  local req = c.seed_required ~= nil and c.seed_required or false
  f.required = req or nil
  t.decide(("%s is %s (seed page) although the SDK says %s%s"):format(
    c.field, req and "required" or "optional", c.sdk_required and "required" or "optional",
    c.note and (" - " .. c.note) or ""))
  if not req and c.seed_default ~= nil then
    f.fill = c.seed_default
    t.decide(("when %s is omitted the wrapper sends the seed default %q"):format(c.field, c.seed_default))
  end
end

function CONSTRAINT.type_mismatch(c, t)
  local f = assert(find_field(t.act.request, c.field))
  f.type, f.enum = c.seed_type, nil
  t.decide(("%s is a %s (seed) sent as %s; the SDK's string form %s is accepted too"):format(
    c.field, c.seed_type, table.concat(c.wire_values, "/"), table.concat(c.wire_values, "/")))
end

--- The translation state of action a (its JSON) into act (its spec entry): the rules so far,
-- one range rule a field (`range` merges bounds into it), and what the translators call.
local function translation(a, act)
  local t = { a = a, act = act, rules = {}, ranges = {}, max_by = {} }
  function t.rule(r) t.rules[#t.rules + 1] = r end
  function t.decide(text) act.decisions[#act.decisions + 1] = text end
  function t.note(text) act.notes[#act.notes + 1] = text end
  function t.range(fieldname, min, max, source)
    local r = t.ranges[fieldname]
    if not r then
      r = { kind = "range", field = fieldname, source = source }
      t.ranges[fieldname] = r
      t.rule(r)
    end
    if min ~= nil then r.min = r.min and math.max(r.min, min) or min end
    if max ~= nil then r.max = r.max and math.min(r.max, max) or max end
    return r
  end
  function t.field_at(path)          -- "Disks.N.Type" -> the model field
    local top, rest = path:match("^([^.]+)%.N%.(.+)$")
    if not top then return find_field(act.request, path) end
    local f = find_field(act.request, top)
    local m = f and f.model and data.models[f.model]
    return m and find_field(m.fields, rest)
  end
  for _, c in ipairs(a.constraints or {}) do
    if c.kind == "max_by_GpuType" then t.max_by[c.field] = true end
  end
  return t
end

--- Pagination fields: Offset >= 0 and Limit from 1 to its documented maximum.
local function pagination_rules(t)
  local p = t.act.pagination
  if not p then return end
  t.range(p.offset, 0, nil, "pagination")
  local limit = find_field(t.act.request, p.limit)
  t.range(p.limit, 1, p.limit_max, "pagination")
  if limit and limit.type == "string" then
    limit.type, limit.numeric_string = "int", true
    t.decide(("%s is typed string in both SDKs; an integer or a decimal string is "
      .. "accepted and sent as decimal"):format(p.limit))
  end
end

--- Translate the JSON constraints into rules the validator executes,
-- and everything else into notes for the docs.
local function translate(a, act)
  local t = translation(a, act)
  for _, c in ipairs(a.constraints or {}) do
    local kind = c.kind
    if c.direction == "response" or (c.field and c.field:find("^UHostSet")) then
      t.note("response " .. describe(c))
    elseif CONSTRAINT[kind] then
      CONSTRAINT[kind](c, t)
    else
      t.note(describe(c))
    end
  end
  seed_bounds(a, t.rules, t.ranges, t.range, act.decisions)
  pagination_rules(t)
  return t.rules
end

--- Paths of the bool fields of a field list and of its models ("Disks[n].IsBoot").
local function bool_fields(fields, prefix, seen)
  local out = {}
  seen = seen or {}
  for _, f in ipairs(fields) do
    if f.type == "bool" or f.type == "array-of-bool" then out[#out + 1] = prefix .. f.name end
    local m = f.model and not seen[f.model] and data.models[f.model]
    if m then
      seen[f.model] = true
      local sub = prefix .. f.name .. (f.type:find("^array") and "[n]." or ".")
      for _, p in ipairs(bool_fields(m.fields, sub, seen)) do out[#out + 1] = p end
    end
  end
  table.sort(out)
  return out
end

--- The request fields of action a into act, with the decisions and notes they carry.
local function request_fields(a, act)
  for _, f in ipairs(a.request or {}) do
    local x = field_of(f)
    act.request[#act.request + 1] = x
    if f.common and f.required_python == false and f.required then
      x.required = nil
      act.decisions[#act.decisions + 1] = ("%s optional (required in Go, optional in Python: the union)")
        :format(f.name)
    end
    if f.seed_only then
      act.decisions[#act.decisions + 1] = ("seed-only field %s accepted and sent (absent from both SDKs)")
        :format(f.name)
    elseif f.sdk and #f.sdk > 0 and list_has(a.sdk, "python") and not list_has(f.sdk, "python") then
      act.notes[#act.notes + 1] = ("%s is only in the %s SDK"):format(f.name, table.concat(f.sdk, "+"))
    end
  end
  if a.seed_doc then
    for _, name in ipairs(a.seed_doc.sdk_only_request_fields or {}) do
      act.decisions[#act.decisions + 1] = ("SDK-only field %s accepted (the union)"):format(name)
    end
  end
end

--- An action whose request fields are not documented is open (unknown fields accepted); the
-- fields its seed page names are typed as in CreateCompShareInstance.
local function open_fields(a, act)
  if not a.request_fields_unknown then return end
  act.open = true
  act.decisions[#act.decisions + 1] = "request fields are not documented; unknown fields are accepted "
    .. "(still checked for type, size and UTF-8)"
  local donor = a.request_fields_mentioned_by_seed and "CreateCompShareInstance"
  for _, d in ipairs(data.actions) do
    if d.name == donor then
      for _, name in ipairs(a.request_fields_mentioned_by_seed) do
        local f = field_of(assert(find_field(d.request, name)))
        f.required = nil
        act.request[#act.request + 1] = f
      end
      act.decisions[#act.decisions + 1] = "fields named by the seed ("
        .. table.concat(a.request_fields_mentioned_by_seed, ", ")
        .. ") are typed as in " .. donor .. " and optional"
    end
  end
end

local function build_action(a)
  local act = {
    name = a.name,
    sdk = a.sdk,
    seed = a.seed_doc and a.seed_doc.file or nil,
    request = {},
    response = {},
    notes = copy(a.notes) or {},
    decisions = {},
  }
  act.retry_safe, act.retry_reason = retry_policy(a)
  act.spends, act.spends_reason = spend_policy(a)
  request_fields(a, act)
  for _, f in ipairs(a.response or {}) do act.response[#act.response + 1] = field_of(f) end
  if a.pagination then
    local p = a.pagination
    act.pagination = { offset = p.offset, limit = p.limit, items = p.items, total = p.total or false,
      limit_default = p.limit_default, limit_max = p.limit_max, offset_default = p.offset_default }
  end
  open_fields(a, act)
  act.rules = translate(a, act)
  -- Booleans: the validator accepts the strings "true"/"false" (the seed examples send them) for
  -- every bool field, so every action with one says so.
  local bools = bool_fields(act.request, "")
  if #bools > 0 then
    act.decisions[#act.decisions + 1] = "bool fields (" .. table.concat(bools, ", ") .. ") also accept the "
      .. "strings \"true\"/\"false\" (the seed examples send them)"
  end
  add_docs(act)
  table.sort(act.notes)
  table.sort(act.decisions)
  return act
end

----------------------------------------------------------------------------
-- Deterministic serializer.

local function is_ident(k)
  return type(k) == "string" and k:match("^[%a_][%w_]*$") and not ({
    ["and"] = 1, ["break"] = 1, ["do"] = 1, ["else"] = 1, ["elseif"] = 1, ["end"] = 1, ["false"] = 1,
    ["for"] = 1, ["function"] = 1, ["goto"] = 1, ["if"] = 1, ["in"] = 1, ["local"] = 1, ["nil"] = 1,
    ["not"] = 1, ["or"] = 1, ["repeat"] = 1, ["return"] = 1, ["then"] = 1, ["true"] = 1, ["until"] = 1,
    ["while"] = 1 })[k]
end

local function is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true, n
end

local function ser(v, indent)
  local tv = type(v)
  if tv == "string" then return ("%q"):format(v):gsub("\\\n", "\\n") end
  if tv == "number" then return num(v) end
  if tv == "boolean" then return tostring(v) end
  assert(tv == "table", "gen_spec: cannot serialize " .. tv)
  local arr, n = is_array(v)
  if arr and n == 0 then return "{}" end
  local inner = indent .. "  "
  local parts = {}
  if arr then
    local flat = true
    for i = 1, n do
      if type(v[i]) == "table" then flat = false end
      parts[i] = ser(v[i], inner)
    end
    if flat then return "{ " .. table.concat(parts, ", ") .. " }" end
    return "{\n" .. inner .. table.concat(parts, ",\n" .. inner) .. ",\n" .. indent .. "}"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(x, y)
    if type(x) == type(y) then return x < y end
    return type(x) == "number"
  end)
  local flat = true
  for _, k in ipairs(keys) do
    if type(v[k]) == "table" then flat = false end
    local key = is_ident(k) and k or ("[" .. ser(k, inner) .. "]")
    parts[#parts + 1] = key .. " = " .. ser(v[k], inner)
  end
  if flat and #parts <= 6 then return "{ " .. table.concat(parts, ", ") .. " }" end
  return "{\n" .. inner .. table.concat(parts, ",\n" .. inner) .. ",\n" .. indent .. "}"
end

----------------------------------------------------------------------------

local actions, names = {}, {}
for _, a in ipairs(data.actions) do
  actions[a.name] = build_action(a)
  names[#names + 1] = a.name
end
table.sort(names)

local models, model_names = {}, {}
for name, m in pairs(data.models) do
  local fields = {}
  local docs = field_docs.models[name] or {}
  for _, f in ipairs(m.fields) do
    local x = field_of(f)
    x.doc = docs[f.name]
    fields[#fields + 1] = x
  end
  models[name] = { kind = m.kind, fields = fields }
  model_names[#model_names + 1] = name
end
table.sort(model_names)

--- A seed table ({columns, rows}) as a list of records keyed by column.
local function seed_rows(name)
  local t = data.seed_tables[name]
  local out = {}
  for _, row in ipairs(t.rows) do
    local r = {}
    for i, col in ipairs(t.columns) do r[col] = row[i] end
    out[#out + 1] = r
  end
  return out
end

local gpu_types = seed_rows("gpu_types")
local account_quota = seed_rows("account_quota")   -- the sandbox's quotas by account level

local out = {}
local function emit(s) out[#out + 1] = s end
emit("-- GENERATED by tools/gen_spec.lua from compshare.json and field_docs.json - do not edit; run `make spec`.")
emit("-- Go SDK " .. data.source.go_sdk.version .. " (" .. data.source.go_sdk.commit .. "), Python SDK "
  .. data.source.python_sdk.version .. " (" .. data.source.python_sdk.commit .. "), seed pages.")
emit("local spec = { actions = {}, models = {} }")
emit("local A, M = spec.actions, spec.models")
emit("spec.service = " .. ser(data.service, ""))
emit("spec.action_names = " .. ser(names, ""))
emit("spec.common_fields = " .. ser(data.conventions.common_request_fields, ""))
emit("spec.gpu_types = (function() return " .. ser(gpu_types, "") .. " end)()")
emit("spec.account_quota = " .. ser(account_quota, ""))
emit("spec.state_enums = (function() return " .. ser(data.state_enums, "") .. " end)()")
for _, name in ipairs(names) do
  emit(("A[%q] = (function() return %s end)()"):format(name, ser(actions[name], "")))
end
for _, name in ipairs(model_names) do
  emit(("M[%q] = (function() return %s end)()"):format(name, ser(models[name], "")))
end
emit("return spec")

local f = assert(io.open(out_path, "wb"))
f:write(table.concat(out, "\n"), "\n")
f:close()
