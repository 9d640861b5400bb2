--- Check call parameters against the generated spec before anything is sent.
-- validate.check(action_spec, params, defaults) -> nil, or a list of every
-- problem found: { {path = "Disks[1].Type", message = "..."}, ... }.
-- Never raises on bad input (cycles, functions, huge or broken strings are
-- problems like any other) and never walks more than MAX_DEPTH levels.
local spec = require "compshare.spec"

local validate = {}

validate.MAX_STRING = 64 * 1024   -- bytes per string value
validate.MAX_DEPTH = 32           -- nesting of tables
validate.MAX_ITEMS = 10000        -- entries per table
validate.MAX_PROBLEMS = 50        -- problems listed; the rest are counted

----------------------------------------------------------------------------
-- Small helpers

--- Edit distance (Levenshtein) between two strings.
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

--- Number of entries of t (no __pairs), or nil, reason when there are too many.
local function count(t)
  local n = 0
  for _ in next, t do
    n = n + 1
    if n > validate.MAX_ITEMS then return nil, "has more than " .. validate.MAX_ITEMS .. " entries" end
  end
  return n
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

----------------------------------------------------------------------------
-- Types

local HUGE = math.huge

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

----------------------------------------------------------------------------
-- The state of one check: the problems found; the path to the value being
-- checked, kept as a stack of keys (st[1..d]) and joined into "Disks[1].Type"
-- only when a problem is reported; and the tables being checked, by depth
-- (st.inside[1..d], the ancestors: a value among them is a cycle). Calling the
-- state adds a problem at a path given as a string (the rules' `add`). States
-- are reused: a check takes one from the pool and gives it back, so a check on
-- the happy path allocates nothing.

local State = {}
State.__index = State

--- Add a problem at `path` (a string).
function State:__call(path, message)
  local problems = self.problems
  if not problems then
    problems = {}
    self.problems = problems
  end
  if #problems < validate.MAX_PROBLEMS then
    problems[#problems + 1] = { path = path, message = message }
  else
    self.more = self.more + 1
  end
end

--- Add a problem at the value whose key is st[d].
local function add_at(st, d, message)
  local path = ""
  for i = 1, d do path = join(path, st[i]) end
  st(path, message)
end

local pool = {}

local function take_state()
  local n = #pool
  if n == 0 then return setmetatable({ inside = {}, problems = false, more = 0 }, State) end
  local st = pool[n]
  pool[n] = nil
  return st
end

--- Give the state back; returns its problems (nil when there are none).
local function give_back(st)
  local problems, more = st.problems, st.more
  st.problems, st.more = false, 0
  pool[#pool + 1] = st
  if more > 0 then problems[#problems + 1] = { path = "", message = ("and %d more problem(s)"):format(more) } end
  if problems and #problems > 0 then return problems end
  return nil
end

--- Forget the problems added since the state had `listed` of them and `more` beyond.
local function forget(st, listed, more)
  local problems = st.problems
  if problems then
    for i = #problems, listed + 1, -1 do problems[i] = nil end
  end
  st.more = more
end

----------------------------------------------------------------------------
-- Checkers: a function (st, v, d) per field, made once from the spec.

--- May the table at st[d] be entered: not one of its ancestors, not too deep?
local function reachable(st, t, d)
  local inside = st.inside
  for i = 1, d do
    if inside[i] == t then
      add_at(st, d, "cyclic table (it contains itself)")
      return false
    end
  end
  if d >= validate.MAX_DEPTH then
    add_at(st, d, "nested deeper than " .. validate.MAX_DEPTH .. " levels")
    return false
  end
  return true
end

--- The number of entries of t (at st[d]), or nil when it cannot be checked (reported).
local function size(st, t, d)
  local n, why = count(t)
  if not n then add_at(st, d, why) end
  return n
end

--- Enter a table at st[d]: cycle, depth and size checks. Returns its entry count or nil.
local function enter(st, t, d)
  if not reachable(st, t, d) then return nil end
  return size(st, t, d)
end

local check_object, check_table, object_of, NO_FIELDS_OPEN

--- Any value without a declared type: scalars, or tables of such.
local function check_any(st, v, d)
  local tv = type(v)
  if tv == "string" then
    local m = string_problem(v)
    if m then add_at(st, d, m) end
  elseif tv == "number" then
    if not finite(v) then add_at(st, d, "expected a finite number, got " .. tostring(v)) end
  elseif tv == "table" then
    local n = enter(st, v, d)
    if not n then return end
    if not is_sequence(v, n) then return check_table(st, v, d, NO_FIELDS_OPEN, nil, n) end
    st.inside[d + 1] = v
    for i = 1, n do
      st[d + 1] = i
      check_any(st, rawget(v, i), d + 1)
    end
    st.inside[d + 1] = nil
  elseif tv ~= "boolean" then
    add_at(st, d, "a " .. tv .. " cannot be sent as a parameter")
  end
end

--- Report a key that is not a declared field (or check it, when the object is open).
local function check_extra(st, t, k, d, obj)
  local v = rawget(t, k)
  if type(k) ~= "string" then
    st[d + 1] = type(k) == "number" and k or show(k)
    add_at(st, d + 1, "parameter names must be strings, got a " .. type(k))
  elseif obj.open then
    if string_problem(k) then
      st[d + 1] = show(k)
      add_at(st, d + 1, "invalid parameter name")
    else
      st[d + 1] = k
      check_any(st, v, d + 1)
    end
  else
    local names = obj.names
    local best, dist = validate.closest(k, names)
    local hint = ""
    if best and dist <= math.max(2, math.floor(#k / 3)) then
      hint = (" (did you mean %q?)"):format(best)
    elseif best then
      hint = " (known fields: " .. table.concat(names, ", ") .. ")"
    end
    st[d + 1] = show(k):gsub('^"(.*)"$', "%1")
    add_at(st, d + 1, "unknown field" .. hint)
  end
end

--- The quick check of the table t (at st[d]) for the common case, all its keys being fields:
-- each checked in the order of t's keys (counting them on the way), then the required fields
-- looked up. Returns false at a key that is not a field, a scalar that is not plainly fine or
-- a missing required field; the caller also looks whether the nested checks added problems.
local function check_quickly(st, t, d, obj, defaults)
  local by_name, n, max = obj.by_name, 0, validate.MAX_ITEMS
  for k, v in next, t do
    local f = by_name[k]
    n = n + 1
    if not f or n > max then return false end
    local want = f.scalar
    if want then
      -- A scalar is judged here, without a call of its checker, when it is plainly fine (a short
      -- ASCII string, a whole number within 2^53, a finite number, a boolean) and in its enum.
      -- Anything else is no verdict: the checker then says whether and why it is wrong.
      local fine
      if want == "bool" then
        fine = v == true or v == false or v == "true" or v == "false"
      elseif want == "string" then
        fine = type(v) == "string" and #v <= validate.MAX_STRING and not find(v, "[\128-\255]")
          and not (f.nonempty and v == "")
      elseif type(v) == "number" then
        if want == "int" then fine = v % 1 == 0 and v >= -2 ^ 53 and v <= 2 ^ 53
        else fine = v == v and v ~= HUGE and v ~= -HUGE end
      end
      if not fine or (f.allowed and not f.allowed[v]) then return false end
    else
      st[d + 1] = k
      f.check(st, v, d + 1)
    end
  end
  local required, plain = obj.required, getmetatable(t) == nil
  for i = 1, #required do
    local f = required[i]
    local name = f.name
    local v
    if plain then v = t[name] else v = rawget(t, name) end
    if v == nil and not (f.common and defaults and defaults[name] ~= nil) then return false end
  end
  return true
end

--- Check the table t (at st[d]) against a compiled object, in the spec's order: each present
-- field checked, each missing required one reported, then the keys that are not fields.
-- n: its entry count when already known. Without it the quick check comes first; only when
-- it finds something is that forgotten and t checked in order, so problems come in that order.
function check_table(st, t, d, obj, defaults, n)
  if not n and not reachable(st, t, d) then return end
  local inside = st.inside
  inside[d + 1] = t
  if not n then
    local listed, more = st.problems and #st.problems or 0, st.more
    if check_quickly(st, t, d, obj, defaults) and st.more == more
       and (st.problems and #st.problems or 0) == listed then
      inside[d + 1] = nil
      return
    end
    forget(st, listed, more)
    n = size(st, t, d)
  end
  if n then
    local known, fields = 0, obj.fields
    local plain = getmetatable(t) == nil  -- then t[name] is rawget(t, name), without the call
    for i = 1, #fields do
      local f = fields[i]
      local name = f.name
      local v
      if plain then v = t[name] else v = rawget(t, name) end
      if v ~= nil then
        known = known + 1
        st[d + 1] = name
        f.check(st, v, d + 1)
      elseif f.required and not (f.common and defaults and defaults[name] ~= nil) then
        st[d + 1] = name
        add_at(st, d + 1, "required field is missing")
      end
    end
    if known < n then
      for _, k in ipairs(extra_keys(t, obj.by_name)) do check_extra(st, t, k, d, obj) end
    end
  end
  inside[d + 1] = nil
end

--- check_table for any value: one that is not a table is reported.
function check_object(st, t, d, obj, defaults)
  if type(t) ~= "table" then
    add_at(st, d, "expected an object (a table), got " .. type(t))
    return
  end
  return check_table(st, t, d, obj, defaults)
end

local function array_checker(check_elem)
  return function(st, v, d)
    if type(v) ~= "table" then
      add_at(st, d, "expected an array (a list table), got " .. type(v))
      return
    end
    local n = enter(st, v, d)
    if not n then return end
    if not is_sequence(v, n) then
      add_at(st, d, "expected an array (a list table with keys 1..n)")
      return
    end
    st.inside[d + 1] = v
    for i = 1, n do
      st[d + 1] = i
      check_elem(st, rawget(v, i), d + 1)
    end
    st.inside[d + 1] = nil
  end
end

local function object_checker(model)
  return function(st, v, d) return check_object(st, v, d, object_of(model)) end
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
  return function(st, v, d)
    local m = scalar(v, field)
    if m then return add_at(st, d, m) end
    if empty and v == "" then return add_at(st, d, empty) end
    if allowed and not allowed[v] then add_at(st, d, ("%s is not one of %s"):format(show(v), shown)) end
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

-- Compiled objects: { fields = { {name, required, common, check, scalar = type or false, allowed = enum set} },
-- by_name, names, required, open }, by field list.
local objects = setmetatable({}, { __mode = "k" })

local function compile(fields, open)
  local obj = { fields = {}, by_name = {}, names = {}, required = {}, open = open }
  objects[fields] = obj                 -- before its fields: a model may contain itself
  for i, f in ipairs(fields) do
    local c = { name = f.name, required = f.required, common = f.common, check = checker(f),
                nonempty = empty_message(f) ~= nil,
                scalar = SCALAR[f.type] and not f.numeric_string and f.type, allowed = enum_of(f) }
    obj.fields[i], obj.by_name[f.name], obj.names[i] = c, c, f.name
    if f.required then obj.required[#obj.required + 1] = c end
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

----------------------------------------------------------------------------
-- Rules: the documented constraints, by kind. Each gets (rule, params, st), st being the
-- check's state: st(path, message) adds a problem, and rules on a dotted path ("Disks.N.Type")
-- push the keys of the value they check on its stack, like the field checks. params is always
-- a table here (validate.check reports anything else), so rules read it with rawget.

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

--- Call fn(r, params, st, value, d) for each value at parts[i..] under v, where "N" walks a
-- list; the keys of the value's path are pushed on the state's stack (st[1..d]).
local function walk(r, params, st, fn, parts, v, i)
  if i > #parts then return fn(r, params, st, v, i - 1) end
  local key = parts[i]
  if key == "N" then
    if type(v) ~= "table" then return end
    for n = 1, validate.MAX_ITEMS do
      local item = rawget(v, n)
      if item == nil then break end
      st[i] = n
      walk(r, params, st, fn, parts, item, i + 1)
    end
  else
    local x = get(v, key)
    if x ~= nil then
      st[i] = key
      walk(r, params, st, fn, parts, x, i + 1)
    end
  end
end

--- Call fn(r, params, st, value, d) for each value at the rule's dotted field path.
local function each(r, params, st, fn, parts)
  parts = parts or split(r.field)
  if #parts > 1 then return walk(r, params, st, fn, parts, params, 1) end
  local key = parts[1]                  -- a plain field: no walk needed
  local v = rawget(params, key)         -- params: always a table
  if v ~= nil then
    st[1] = key
    fn(r, params, st, v, 1)
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

local FORMATS = {
  -- v1, v1.0, v2.10.3: "v", then dot-separated digit groups
  version = function(s)
    return s:match("^v%d+[%d.]*$") ~= nil and not s:find("%.%.") and not s:find("%.$")
  end,
}

local RULES = {}

local function in_range(r, params, st, v, d)
  local n = as_number(v)
  if not n then return end
  local max = r.max
  if r.max_by then
    local by = rawget(params, r.max_by.field)
    max = r.max_by.values[by] or max
  end
  if r.min and n < r.min then add_at(st, d, ("%s is below the minimum %s"):format(tostring(v), tostring(r.min))) end
  if max and n > max then
    add_at(st, d, ("%s is above the maximum %s%s"):format(tostring(v), tostring(max),
      r.max_by and (" for " .. r.max_by.field .. " " .. tostring(rawget(params, r.max_by.field))) or ""))
  end
end

local function a_multiple(r, _, st, v, d)
  local n = as_number(v)
  if n and n % r.value ~= 0 then add_at(st, d, ("%s is not a multiple of %d"):format(tostring(v), r.value)) end
end

local function under_max_by(r, params, st, v, d)
  local by = rawget(params, r.by)
  local max = r.max[by]
  local n = as_number(v)
  if n and n > max * r.scale then
    add_at(st, d, ("%s is above the maximum %s%s for %s %s"):format(tostring(v), tostring(max * r.scale),
      r.scale ~= 1 and (" (" .. max .. " " .. (r.unit or "") .. ")") or "", r.by, by))
  end
end
function RULES.max_by(r, params, st)
  local by = rawget(params, r.by)
  if type(by) ~= "string" or not r.max[by] then return end
  each(r, params, st, under_max_by)
end

function RULES.forbidden_when(r, params, add)
  if not matches(params, r.when) then return end
  local v = rawget(params, r.field)
  if in_list(r.values, v) then
    add(r.field, ("%s cannot be used with %s"):format(show(v), describe_when(r.when)))
  end
end

local function not_the_value(r, _, st, v, d)
  if v == r.value then
    add_at(st, d, ("%s is only available with %s %s"):format(show(v), r.by, table.concat(r.values, "/")))
  end
end
function RULES.only_with(r, params, st)
  local by = rawget(params, r.by)
  if in_list(r.values, by) then return end
  each(r, params, st, not_the_value)
end

function RULES.allowed_when(r, params, add)
  local by = rawget(params, r.by)
  local v = rawget(params, r.field)
  if v == nil or not in_list(r.when_in, by) or in_list(r.values, v) then return end
  add(r.field, ("%s is not available for %s %s (use %s)"):format(show(v), r.by, tostring(by),
    table.concat(r.values, " or ")))
end

local function unequal(r, _, st, v, d)
  if as_number(v) == r.value or v == r.value then add_at(st, d, ("%s is not allowed"):format(tostring(v))) end
end

function RULES.min_items_where(r, params, add)
  local list = rawget(params, r.field)
  if type(list) ~= "table" then return end
  local n = 0
  for i = 1, validate.MAX_ITEMS do
    local item = rawget(list, i)
    if item == nil then break end
    if type(item) == "table" and matches(item, r.where) then n = n + 1 end
  end
  if n < r.min then
    add(r.field, ("needs at least %d item(s) with %s"):format(r.min, describe_when(r.where)))
  elseif r.max and n > r.max then
    add(r.field, ("has %d items with %s; at most %d allowed"):format(n, describe_when(r.where), r.max))
  end
end

function RULES.max_items(r, params, add)
  local list = rawget(params, r.field)
  if type(list) ~= "table" then return end
  local n = 0
  while n <= r.max and rawget(list, n + 1) ~= nil do n = n + 1 end
  if n > r.max then add(r.field, ("has more than %d items"):format(r.max)) end
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

local function short_enough(r, _, st, v, d)
  if type(v) ~= "string" then return end
  if not v:find("[\128-\255]") and #v <= r.max and not (r.allowed and v:find(outside_pattern(r.allowed))) then
    return                              -- the common case: short and plain ASCII
  end
  local cps = codepoints(v)
  if not cps then return end            -- reported as invalid UTF-8 already
  if #cps > r.max then add_at(st, d, ("is %d characters long, at most %d are allowed"):format(#cps, r.max)) end
  if r.allowed then
    for i, cp in ipairs(cps) do
      if not allowed_char(cp, r.allowed) then
        add_at(st, d, ("character %d (U+%04X) is not allowed; use %s"):format(i, cp, table.concat(r.allowed, " ")))
        break
      end
    end
  end
end

local function well_formed(r, _, st, v, d)
  if type(v) == "string" and not FORMATS[r.format](v) then
    add_at(st, d, ("%s is not shaped like %s"):format(show(v), r.example or r.format))
  end
end

function RULES.required_when(r, params, add)
  if matches(params, r.when) and rawget(params, r.field) == nil then
    add(r.field, "required when " .. describe_when(r.when))
  end
end

-- The rules whose whole work is a check of each value at their field path, by kind.
local EACH = { range = in_range, multiple_of = a_multiple, not_equal = unequal, max_length = short_enough,
  format = well_formed }
for kind, fn in pairs(EACH) do
  RULES[kind] = function(r, params, st) each(r, params, st, fn) end
end

validate.RULES = RULES

----------------------------------------------------------------------------


-- Compiled requests, by action spec entry and by action name, with `rules`: { rule, its EACH
-- function (or false), its split field path }.
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
      obj.rules[i] = { r, EACH[r.kind] or false, EACH[r.kind] and split(r.field) }
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
function validate.check(a, params, defaults)
  local request = requests[a] or request_of(a)
  if params == nil then params = NO_PARAMS end
  local st = take_state()
  if type(params) ~= "table" then
    st("", "params must be a table, got " .. type(params))
    return give_back(st)
  end
  check_table(st, params, 0, request, defaults)
  local rules = request.rules
  for i = 1, #rules do
    local rule = rules[i]
    local r, fn = rule[1], rule[2]
    if fn then each(r, params, st, fn, rule[3]) else RULES[r.kind](r, params, st) end
  end
  return give_back(st)
end

return validate
