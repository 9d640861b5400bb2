--- Check call parameters against the generated spec before anything is sent.
-- validate.check(action_spec, params, defaults) -> nil, or a list of every
-- problem found: { {path = "Disks[1].Type", message = "..."}, ... }.
-- Never raises on bad input (cycles, functions, huge or broken strings are
-- problems like any other), never walks more than MAX_DEPTH levels nor MAX_VALUES
-- entries, and reads tables raw (next/rawget: a metatable is never consulted).
-- @module compshare.validate
-- Each field list is compiled once into checkers; a check walks each table once, in the
-- spec's field order, so its cost is linear in the size of the params.
local spec = require "compshare.spec"

local validate = {}

validate.MAX_STRING = 64 * 1024   -- bytes per string value
validate.MAX_DEPTH = 32           -- nesting of tables
validate.MAX_ITEMS = 10000        -- entries per table
validate.MAX_PROBLEMS = 50        -- problems listed; the rest are counted
validate.MAX_VALUES = 100000      -- table entries walked in all (shared subtables count each time)

-- --------------------------------------------------------------------------
-- Small helpers

--- Edit distance (Levenshtein) between two strings.
-- @tparam string a
-- @tparam string b
-- @treturn int the number of single-character insertions, deletions and substitutions
function validate.distance(a, b)
  if a == b then return 0 end
  local la, lb = #a, #b
  if la == 0 then return lb end
  if lb == 0 then return la end
  local prev, cur = {}, {}
  for j = 0, lb do prev[j] = j end
  for i = 1, la do
    cur[0] = i
    local ca = a:byte(i)
    for j = 1, lb do
      local cost = (ca == b:byte(j)) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev, cur = cur, prev
  end
  return prev[lb]
end

--- The candidate closest to `name` (case-insensitive edit distance), and that distance.
-- @tparam string name
-- @tparam {string,...} candidates
-- @treturn string|nil the closest candidate (nil for a name over 100 characters)
-- @treturn int its distance
function validate.closest(name, candidates)
  if #name > 100 then return nil end    -- nothing is that long; keep the work bounded
  local best, best_d
  local lname = name:lower()
  for _, c in ipairs(candidates) do
    local d = validate.distance(lname, c:lower())
    if not best_d or d < best_d then best, best_d = c, d end
  end
  return best, best_d
end

--- The candidate near enough to `name` to suggest ("did you mean"): the closest, when its edit
-- distance is at most max(2, a third of the name's length); nil otherwise.
-- @tparam string name
-- @tparam {string,...} candidates
-- @treturn string|nil
function validate.suggest(name, candidates)
  local best, d = validate.closest(name, candidates)
  if best and d <= math.max(2, math.floor(#name / 3)) then return best end
  return nil
end

-- Byte lengths of UTF-8 sequences by lead byte, with the allowed second-byte range.
local function utf8_len(s, i)
  local c = s:byte(i)
  if c < 0x80 then return 1, c end
  local n, lo, hi, cp
  if c >= 0xC2 and c <= 0xDF then n, lo, hi, cp = 2, 0x80, 0xBF, c - 0xC0
  elseif c == 0xE0 then n, lo, hi, cp = 3, 0xA0, 0xBF, 0
  elseif c == 0xED then n, lo, hi, cp = 3, 0x80, 0x9F, 0xD
  elseif c >= 0xE1 and c <= 0xEF then n, lo, hi, cp = 3, 0x80, 0xBF, c - 0xE0
  elseif c == 0xF0 then n, lo, hi, cp = 4, 0x90, 0xBF, 0
  elseif c >= 0xF1 and c <= 0xF3 then n, lo, hi, cp = 4, 0x80, 0xBF, c - 0xF0
  elseif c == 0xF4 then n, lo, hi, cp = 4, 0x80, 0x8F, 4
  else return nil end
  for k = 1, n - 1 do
    local b = s:byte(i + k)
    if not b or b < (k == 1 and lo or 0x80) or b > (k == 1 and hi or 0xBF) then return nil end
    cp = cp * 64 + (b - 0x80)
  end
  return n, cp
end

--- Code points of `s`, or nil when it is not valid UTF-8.
local function codepoints(s)
  local cps, i = {}, 1
  while i <= #s do
    local n, cp = utf8_len(s, i)
    if not n then return nil end
    cps[#cps + 1] = cp
    i = i + n
  end
  return cps
end

local find = string.find

local function valid_utf8(s)
  if not find(s, "[\128-\255]") then return true end
  return codepoints(s) ~= nil
end

--- A value or key as it may appear in a message: short, printable, never huge.
local function show(v)
  if type(v) ~= "string" then return tostring(v) end
  if #v > 40 or not valid_utf8(v) or v:find("[%c\"]") then
    return ("%q"):format(v:sub(1, 40)):gsub("\\\n", "\\n"):gsub("[\128-\255]", "?") .. (#v > 40 and "..." or "")
  end
  return '"' .. v .. '"'
end

local function join(path, key)
  if type(key) == "number" then return path .. "[" .. key .. "]" end
  if path == "" then return key end
  return path .. "." .. key
end

local function in_list(list, v)
  for i = 1, #list do
    if list[i] == v then return true end
  end
  return false
end

--- Are the n entries of t exactly the keys 1..n?
local function is_sequence(t, n)
  for i = 1, n do
    if rawget(t, i) == nil then return false end
  end
  return true
end

--- Keys of t that are not in `known`, in a stable order.
local function extra_keys(t, known)
  local keys = {}
  for k in next, t do
    if type(k) ~= "string" or not known[k] then keys[#keys + 1] = k end
  end
  table.sort(keys, function(x, y)
    if type(x) == type(y) and (type(x) == "string" or type(x) == "number") then return x < y end
    return type(x) < type(y)
  end)
  return keys
end

-- --------------------------------------------------------------------------
-- Types

local HUGE = math.huge

-- ascii_len(s) is #s exactly when s is all ASCII: utf8.len counts a character per byte only then
-- (Lua 5.3+; a C loop, ~1/5 of the pattern's cost on a 40-byte string); Lua 5.1 and LuaJIT
-- have no utf8 and use the pattern.
local ascii_len = utf8 and utf8.len or function(s) return find(s, "[\128-\255]") and -1 or #s end

local function finite(v)
  return v == v and v ~= HUGE and v ~= -HUGE
end

-- A number that is a whole value within +-2^53 (v % 1 is NaN for NaN and +-inf).
-- No math.abs: it overflows on math.mininteger in Lua 5.4.
local function is_int(v)
  return v % 1 == 0 and v >= -2 ^ 53 and v <= 2 ^ 53
end

--- Check a string value; returns a message or nil.
local function string_problem(v)
  if #v > validate.MAX_STRING then
    return ("string of %d bytes is longer than the %d allowed"):format(#v, validate.MAX_STRING)
  end
  if find(v, "[\128-\255]") and not codepoints(v) then return "string is not valid UTF-8" end
end

local SCALAR = {
  string = function(v)
    if type(v) ~= "string" then return "expected a string, got " .. type(v) end
    return string_problem(v)
  end,
  int = function(v, field)
    if field and field.numeric_string and type(v) == "string" then
      if v:match("^%d+$") and #v <= 15 then return nil end
      return "expected an integer or a decimal string, got " .. show(v)
    end
    if type(v) ~= "number" then return "expected an integer, got " .. type(v) end
    if not is_int(v) then return "expected an integer, got " .. tostring(v) end
  end,
  float = function(v)
    if type(v) ~= "number" then return "expected a number, got " .. type(v) end
    if not finite(v) then return "expected a finite number, got " .. tostring(v) end
  end,
  bool = function(v)
    if type(v) == "boolean" or v == "true" or v == "false" then return nil end
    return "expected a boolean (true/false), got " .. (type(v) == "string" and show(v) or type(v))
  end,
}

-- --------------------------------------------------------------------------
-- Problems. A check collects them in `out`, a list with two counters: `more`, the problems
-- found beyond MAX_PROBLEMS, and `left`, the table entries the check may still walk.

local function add(out, path, message)
  if #out < validate.MAX_PROBLEMS then
    out[#out + 1] = { path = path, message = message }
  else
    out.more = out.more + 1
  end
end

-- --------------------------------------------------------------------------
-- Where a value is. A table being checked has a node: { up = the enclosing table's node,
-- key = its key there, t = the table, depth = its nesting }. A value is checked with the node of
-- the table holding it and its key; the path ("Disks[1].Type") is spelled out only for a problem,
-- and the nodes above are its ancestors (a table among them is a cycle).

local function path_of(node, key)
  local keys = { key }
  while node and node.key ~= nil do
    keys[#keys + 1] = node.key
    node = node.up
  end
  local path = ""
  for i = #keys, 1, -1 do path = join(path, keys[i]) end
  return path
end

local function report(out, node, key, message)
  add(out, path_of(node, key), message)
end

--- The number of entries of t (at node/key), or nil when it has too many (reported).
local function entries(t, node, key, out)
  local n, max = 0, validate.MAX_ITEMS
  for _ in next, t do
    n = n + 1
    if n > max then
      report(out, node, key, "has more than " .. max .. " entries")
      return nil
    end
  end
  local left = out.left - n
  out.left = left
  if left < 0 then
    if left + n >= 0 then   -- reported once, where the budget ran out; the walk then stops
      report(out, node, key, "the parameters hold more than " .. validate.MAX_VALUES .. " values in all")
    end
    return nil
  end
  return n
end

--- Enter the table t found at node/key: not one of its ancestors, not too deep, not too big.
-- Returns t's node and its entry count, or nil (reported).
local function enter(t, node, key, out)
  if out.left < 0 then return nil end
  local up = node
  while up do
    if up.t == t then
      report(out, node, key, "cyclic table (it contains itself)")
      return nil
    end
    up = up.up
  end
  local depth = node.depth + 1
  if depth >= validate.MAX_DEPTH then
    report(out, node, key, "nested deeper than " .. validate.MAX_DEPTH .. " levels")
    return nil
  end
  local n = entries(t, node, key, out)
  if not n then return nil end
  return { up = node, key = key, t = t, depth = depth }, n
end

-- --------------------------------------------------------------------------
-- Checkers: a function (v, node, key, out) per field declaration, made once from the spec.
-- Each table is walked once, so a check costs time in proportion to the size of the input,
-- however deeply the models nest.

local check_fields, object_of, NO_FIELDS_OPEN

--- Any value without a declared type: scalars, or tables of such.
local function check_any(v, node, key, out)
  local tv = type(v)
  if tv == "string" then
    local m = string_problem(v)
    if m then report(out, node, key, m) end
  elseif tv == "number" then
    if not finite(v) then report(out, node, key, "expected a finite number, got " .. tostring(v)) end
  elseif tv == "table" then
    local inner, n = enter(v, node, key, out)
    if not inner then return end
    if not is_sequence(v, n) then return check_fields(v, inner, n, NO_FIELDS_OPEN, nil, out) end
    for i = 1, n do check_any(rawget(v, i), inner, i, out) end
  elseif tv ~= "boolean" then
    report(out, node, key, "a " .. tv .. " cannot be sent as a parameter")
  end
end

--- Report a key of t that is not a declared field (or check it, when the object is open).
local function check_extra(t, node, k, obj, out)
  if type(k) ~= "string" then
    report(out, node, type(k) == "number" and k or show(k), "parameter names must be strings, got a " .. type(k))
  elseif obj.open then
    if string_problem(k) then
      report(out, node, show(k), "invalid parameter name")
    else
      check_any(rawget(t, k), node, k, out)
    end
  else
    local names = obj.names
    local best = validate.suggest(k, names)
    local hint = ""
    if best then
      hint = (" (did you mean %q?)"):format(best)
    elseif #names > 0 then
      hint = " (known fields: " .. table.concat(names, ", ") .. ")"
    end
    report(out, node, (show(k):gsub('^"(.*)"$', "%1")), "unknown field" .. hint)
  end
end

--- Check the table t (its node and entry count known) against a compiled object, in the spec's
-- order: each present field checked, each missing required one reported, then the keys that are
-- not fields, sorted. defaults: values of the common fields that stand in for missing ones.
function check_fields(t, node, n, obj, defaults, out)
  local known, fields = 0, obj.fields
  local plain = getmetatable(t) == nil   -- then t[name] is rawget(t, name), without the call
  for i = 1, #fields do
    local f = fields[i]
    local name = f.name
    local v
    if plain then v = t[name] else v = rawget(t, name) end
    if v ~= nil then
      known = known + 1
      -- A scalar that is plainly fine (a short ASCII string, a whole number within 2^53, a finite
      -- number, a boolean) and in its enum needs no call of its checker; for anything else the
      -- checker says whether and why it is wrong.
      local want, fine = f.scalar, false
      if want == "string" then
        fine = type(v) == "string" and #v <= validate.MAX_STRING and ascii_len(v) == #v and not (v == "" and f.nonempty)
      elseif want == "bool" then
        fine = v == true or v == false or v == "true" or v == "false"
      elseif want and type(v) == "number" then
        if want == "int" then fine = v % 1 == 0 and v >= -2 ^ 53 and v <= 2 ^ 53
        else fine = v == v and v ~= HUGE and v ~= -HUGE end
      end
      local allowed = f.allowed
      if not fine or (allowed and not allowed[v]) then f.check(v, node, name, out) end
    elseif f.required and not (f.common and defaults and defaults[name] ~= nil) then
      report(out, node, name, "required field is missing")
    end
  end
  if known < n then
    for _, k in ipairs(extra_keys(t, obj.by_name)) do check_extra(t, node, k, obj, out) end
  end
end

local function check_object(v, node, key, obj, out)
  if type(v) ~= "table" then
    return report(out, node, key, "expected an object (a table), got " .. type(v))
  end
  local inner, n = enter(v, node, key, out)
  if inner then check_fields(v, inner, n, obj, nil, out) end
end

local function array_checker(check_elem)
  return function(v, node, key, out)
    if type(v) ~= "table" then
      return report(out, node, key, "expected an array (a list table), got " .. type(v))
    end
    local inner, n = enter(v, node, key, out)
    if not inner then return end
    if not is_sequence(v, n) then
      return report(out, node, key, "expected an array (a list table with keys 1..n)")
    end
    for i = 1, n do check_elem(rawget(v, i), inner, i, out) end
  end
end

local function object_checker(model)
  return function(v, node, key, out) return check_object(v, node, key, object_of(model), out) end
end

--- The enum of a field as a set, and as the text listing it; nil without an enum.
local function enum_of(field)
  if not field.enum then return nil end
  local allowed, shown = {}, {}
  for i, e in ipairs(field.enum) do allowed[e], shown[i] = true, tostring(e) end
  return allowed, table.concat(shown, ", ")
end

--- The message for an empty string where one is not allowed, or nil when it is allowed: a
-- required string field needs a value, and a common field (Region, Zone, ProjectId) given as ""
-- would replace the client's default with nothing.
local function empty_message(field)
  if field.type ~= "string" then return nil end
  if field.common then return "must not be empty (leave it out to use the client's default)" end
  if field.required then return "must not be empty" end
end

local function scalar_checker(field)
  local scalar = SCALAR[field.type]
  local allowed, shown = enum_of(field)
  local empty = empty_message(field)
  return function(v, node, key, out)
    local m = scalar(v, field)
    if m then return report(out, node, key, m) end
    if empty and v == "" then return report(out, node, key, empty) end
    if allowed and not allowed[v] then report(out, node, key, ("%s is not one of %s"):format(show(v), shown)) end
  end
end

local ARRAY_OF = {}   -- "array-of-int" -> "int"
for _, t in ipairs { "string", "int", "float", "bool", "object" } do ARRAY_OF["array-of-" .. t] = t end

--- The checker for one field declaration.
local function checker(field)
  local t = field.type
  local elem = ARRAY_OF[t]
  if elem == "object" then return array_checker(object_checker(field.model)) end
  if elem then return array_checker(scalar_checker { type = elem }) end
  if t == "object" then
    if field.model == nil then return check_any end
    return object_checker(field.model)
  end
  if SCALAR[t] then return scalar_checker(field) end
  return check_any
end

-- Compiled objects, by field list: { fields = { {name, required, common, check, scalar = type
-- or false, allowed = enum set, nonempty} }, by_name, names, open }.
local objects = setmetatable({}, { __mode = "k" })

local function compile(fields, open)
  local obj = { fields = {}, by_name = {}, names = {}, open = open }
  objects[fields] = obj                 -- before its fields: a model may contain itself
  for i, f in ipairs(fields) do
    local c = { name = f.name, required = f.required, common = f.common, check = checker(f),
                nonempty = empty_message(f) ~= nil,
                scalar = SCALAR[f.type] and not f.numeric_string and f.type, allowed = enum_of(f) }
    obj.fields[i], obj.by_name[f.name], obj.names[i] = c, c, f.name
  end
  return obj
end

local NO_FIELDS_CLOSED = compile({}, false)
NO_FIELDS_OPEN = compile({}, true)

--- The compiled object for a model name (no name: no fields, closed; a name the spec does not know: open).
function object_of(model)
  if model == nil then return NO_FIELDS_CLOSED end
  local m = spec.models[model]
  if not m or not m.fields then return NO_FIELDS_OPEN end
  return objects[m.fields] or compile(m.fields, false)
end

-- --------------------------------------------------------------------------
-- Rules: the documented constraints, by kind. RULES[kind](rule, params, out) adds a problem for
-- each way params break the rule. params is always a table here (validate.check reports anything
-- else), so rules read it with rawget. Most rules test each value at a field path ("Memory",
-- "Disks.N.Type"): they are written as a test (rule, params, value) -> message(s) or nil, which
-- `each` runs on every value at the path.

local function get(t, k)
  if type(t) ~= "table" then return nil end
  return rawget(t, k)
end

local function as_number(v)
  local tv = type(v)
  if tv == "number" and v == v and v ~= HUGE and v ~= -HUGE then return v end
  if tv == "string" and v:match("^%-?%d+%.?%d*$") then return tonumber(v) end
end

local function same(a, b)
  if a == b then return true end
  if type(b) == "boolean" then return a == tostring(b) end
  return false
end

local function matches(params, when)
  for k, want in pairs(when) do
    if not same(rawget(params, k), want) then return false end
  end
  return true
end

local function describe_when(when)
  local parts = {}
  for k, v in pairs(when) do parts[#parts + 1] = k .. "=" .. tostring(v) end
  table.sort(parts)
  return table.concat(parts, ", ")
end

-- Dotted rule paths split once: "Disks.N.Type" -> { "Disks", "N", "Type" }.
local split_cache = {}
local function split(path)
  local parts = split_cache[path]
  if not parts then
    parts = {}
    for p in path:gmatch("[^.]+") do parts[#parts + 1] = p end
    split_cache[path] = parts
  end
  return parts
end

--- Report the messages a test gave for the value whose path is keys[1..d].
local function report_at(out, keys, d, m1, m2)
  local path = ""
  for i = 1, d do path = join(path, keys[i]) end
  add(out, path, m1)
  if m2 then add(out, path, m2) end
end

--- Run test(r, params, value) on each value at parts[i..] under v, where "N" walks a list;
-- keys[1..i-1] holds the path walked so far.
local function walk(r, params, out, test, parts, v, i, keys)
  if i > #parts then
    local m1, m2 = test(r, params, v)
    if m1 then report_at(out, keys, i - 1, m1, m2) end
    return
  end
  local key = parts[i]
  if key == "N" then
    if type(v) ~= "table" then return end
    for n = 1, validate.MAX_ITEMS do
      local item = rawget(v, n)
      if item == nil then break end
      keys[i] = n
      walk(r, params, out, test, parts, item, i + 1, keys)
    end
  else
    local x = get(v, key)
    if x ~= nil then
      keys[i] = key
      walk(r, params, out, test, parts, x, i + 1, keys)
    end
  end
end

local KEYS = {}   -- the keys walked by `each`, reused: a check never yields nor runs inside another

--- Run test(r, params, value) on each value at the rule's field path.
local function each(r, params, out, test, parts)
  parts = parts or split(r.field)
  if #parts > 1 then return walk(r, params, out, test, parts, params, 1, KEYS) end
  local key = parts[1]                  -- a plain field: no walk needed
  local v = rawget(params, key)
  if v == nil then return end
  local m1, m2 = test(r, params, v)
  if m1 then
    add(out, key, m1)
    if m2 then add(out, key, m2) end
  end
end

local CJK = { { 0x3400, 0x4DBF }, { 0x4E00, 0x9FFF }, { 0xF900, 0xFAFF }, { 0x20000, 0x2FA1F } }

--- Is code point cp in one of the allowed classes ("CJK", "A-Z", "_", ...)?
local function allowed_char(cp, allowed)
  for _, class in ipairs(allowed) do
    if class == "CJK" then
      for _, r in ipairs(CJK) do
        if cp >= r[1] and cp <= r[2] then return true end
      end
    elseif #class == 3 and class:sub(2, 2) == "-" then
      if cp >= class:byte(1) and cp <= class:byte(3) then return true end
    elseif cp == class:byte(1) and #class == 1 then
      return true
    end
  end
  return false
end

--- The named formats of the spec's `format` rules: name -> predicate. The only implementation of
-- each (tools/gen_spec.lua maps the JSON's pattern to the name; the sandbox asks this table).
validate.FORMATS = {
  -- v1, v1.0, v2.10.3: "v", then dot-separated digit groups
  version = function(s)
    return s:match("^v%d+[%d.]*$") ~= nil and not s:find("%.%.") and not s:find("%.$")
  end,
}
local FORMATS = validate.FORMATS

local RULES = {}

-- Tests of one value, for the rules whose whole work is a test of each value at their path.
local TESTS = {}

function TESTS.range(r, params, v)
  local n = as_number(v)
  if not n then return end
  local max = r.max
  if r.max_by then max = r.max_by.values[rawget(params, r.max_by.field)] or max end
  if r.min and n < r.min then return ("%s is below the minimum %s"):format(tostring(v), tostring(r.min)) end
  if max and n > max then
    return ("%s is above the maximum %s%s"):format(tostring(v), tostring(max),
      r.max_by and (" for " .. r.max_by.field .. " " .. tostring(rawget(params, r.max_by.field))) or "")
  end
end

function TESTS.multiple_of(r, _, v)
  local n = as_number(v)
  if n and n % r.value ~= 0 then return ("%s is not a multiple of %d"):format(tostring(v), r.value) end
end

function TESTS.not_equal(r, _, v)
  if as_number(v) == r.value or v == r.value then return ("%s is not allowed"):format(tostring(v)) end
end

-- Per allowed-set: a Lua pattern matching the first ASCII character outside it.
local ascii_outside = setmetatable({}, { __mode = "k" })
local function outside_pattern(allowed)
  local pat = ascii_outside[allowed]
  if not pat then
    local set = {}
    for _, class in ipairs(allowed) do
      if #class == 3 and class:sub(2, 2) == "-" then set[#set + 1] = class
      elseif #class == 1 then set[#set + 1] = class:match("%w") and class or ("%" .. class) end
    end
    pat = "[^" .. table.concat(set) .. "]"
    ascii_outside[allowed] = pat
  end
  return pat
end

function TESTS.max_length(r, _, v)
  if type(v) ~= "string" then return end
  if not v:find("[\128-\255]") and #v <= r.max and not (r.allowed and v:find(outside_pattern(r.allowed))) then
    return                              -- the common case: short and plain ASCII
  end
  local cps = codepoints(v)
  if not cps then return end            -- reported as invalid UTF-8 already
  local long = #cps > r.max and ("is %d characters long, at most %d are allowed"):format(#cps, r.max) or nil
  local bad
  if r.allowed then
    for i, cp in ipairs(cps) do
      if not allowed_char(cp, r.allowed) then
        bad = ("character %d (U+%04X) is not allowed; use %s"):format(i, cp, table.concat(r.allowed, " "))
        break
      end
    end
  end
  if long then return long, bad end
  return bad
end

function TESTS.format(r, _, v)
  if type(v) == "string" and not FORMATS[r.format](v) then
    return ("%s is not shaped like %s"):format(show(v), r.example or r.format)
  end
end

local function under_max_by(r, params, v)
  local by = rawget(params, r.by)
  local max = r.max[by]
  local n = as_number(v)
  if n and n > max * r.scale then
    return ("%s is above the maximum %s%s for %s %s"):format(tostring(v), tostring(max * r.scale),
      r.scale ~= 1 and (" (" .. max .. " " .. (r.unit or "") .. ")") or "", r.by, by)
  end
end
function RULES.max_by(r, params, out)
  local by = rawget(params, r.by)
  if type(by) ~= "string" or not r.max[by] then return end
  each(r, params, out, under_max_by)
end

local function not_the_value(r, _, v)
  if v == r.value then
    return ("%s is only available with %s %s"):format(show(v), r.by, table.concat(r.values, "/"))
  end
end
function RULES.only_with(r, params, out)
  if in_list(r.values, rawget(params, r.by)) then return end
  each(r, params, out, not_the_value)
end

function RULES.forbidden_when(r, params, out)
  if not matches(params, r.when) then return end
  local v = rawget(params, r.field)
  if in_list(r.values, v) then
    add(out, r.field, ("%s cannot be used with %s"):format(show(v), describe_when(r.when)))
  end
end

function RULES.allowed_when(r, params, out)
  local by = rawget(params, r.by)
  local v = rawget(params, r.field)
  if v == nil or not in_list(r.when_in, by) or in_list(r.values, v) then return end
  add(out, r.field, ("%s is not available for %s %s (use %s)"):format(show(v), r.by, tostring(by),
    table.concat(r.values, " or ")))
end

function RULES.min_items_where(r, params, out)
  local list = rawget(params, r.field)
  if type(list) ~= "table" then return end
  local n = 0
  for i = 1, validate.MAX_ITEMS do
    local item = rawget(list, i)
    if item == nil then break end
    if type(item) == "table" and matches(item, r.where) then n = n + 1 end
  end
  if n < r.min then
    add(out, r.field, ("needs at least %d item(s) with %s"):format(r.min, describe_when(r.where)))
  elseif r.max and n > r.max then
    add(out, r.field, ("has %d items with %s; at most %d allowed"):format(n, describe_when(r.where), r.max))
  end
end

function RULES.max_items(r, params, out)
  local list = rawget(params, r.field)
  if type(list) ~= "table" then return end
  local n = 0
  while n <= r.max and rawget(list, n + 1) ~= nil do n = n + 1 end
  if n > r.max then add(out, r.field, ("has more than %d items"):format(r.max)) end
end

function RULES.required_when(r, params, out)
  if matches(params, r.when) and rawget(params, r.field) == nil then
    add(out, r.field, "required when " .. describe_when(r.when))
  end
end

for kind, test in pairs(TESTS) do
  RULES[kind] = function(r, params, out) each(r, params, out, test) end
end

validate.RULES = RULES

-- --------------------------------------------------------------------------
-- validate.check

-- Compiled requests, by action spec entry and by action name: the compiled object of its
-- fields, with `rules`: { rule, its test (or false), its split field path }.
local requests = setmetatable({}, { __mode = "k" })
local function request_of(a)
  local entry = a
  if type(a) == "string" then
    entry = spec.actions[a]
    if not entry then error("compshare: unknown action " .. a, 0) end
  end
  local obj = requests[entry]
  if not obj then
    obj = compile(entry.request or {}, entry.open)
    obj.rules = {}
    for i, r in ipairs(entry.rules or {}) do
      obj.rules[i] = { r, TESTS[r.kind] or false, TESTS[r.kind] and split(r.field) }
    end
    requests[entry] = obj
  end
  requests[a] = obj
  return obj
end

local NO_PARAMS = {}

--- Check params for one action. `a`: the action's spec entry (or its name);
-- defaults: client-level values of common fields ({Region=, Zone=, ProjectId=}).
-- Returns nil when all is well, else the list of problems.
-- @tparam table|string a the action's spec entry, or its name
-- @param params the request fields (anything: a non-table is a problem, not an error)
-- @tparam[opt] table defaults `{ Region =, Zone =, ProjectId = }` that satisfy required common fields
-- @treturn[1] nil when the params are fine
-- @treturn[2] {table,...} every problem `{ path = "Disks[1].Size", message = "..." }` (at most MAX_PROBLEMS,
--   then one "and N more")
-- @raise when `a` names no action
function validate.check(a, params, defaults)
  local request = requests[a] or request_of(a)
  if params == nil then params = NO_PARAMS end
  local out = { more = 0, left = validate.MAX_VALUES }
  if type(params) ~= "table" then
    add(out, "", "params must be a table, got " .. type(params))
  else
    local root = { t = params, depth = 0 }
    local n = entries(params, nil, nil, out)
    if n then check_fields(params, root, n, request, defaults, out) end
    local rules = request.rules
    for i = 1, #rules do
      local rule = rules[i]
      local r, test = rule[1], rule[2]
      if test then each(r, params, out, test, rule[3]) else RULES[r.kind](r, params, out) end
    end
  end
  local more = out.more
  out.more, out.left = nil, nil
  if more > 0 then out[#out + 1] = { path = "", message = ("and %d more problem(s)"):format(more) } end
  if #out > 0 then return out end
  return nil
end

return validate
