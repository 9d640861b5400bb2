--- What the CLI prints: errors (each problem once, field paths as on the wire: `Disks.0.Size`),
-- responses as JSON or as tables, and the exit code of an error.
-- @module compshare.cli.output
local errors = require "compshare.errors"
local json = require "compshare.json"

local output = {}

output.PROGRAM = "compshare-lua"

--- Exit codes by error kind; usage errors exit 2 too.
output.EXIT = { ok = 0, other = 1, validation = 2, usage = 2, api = 3,
                transport = 4, timeout = 4, http = 4, decode = 4 }

--- Exit code for an error value (an errors table or anything else).
function output.exit_code(err)
  if errors.is(err) then
    if err.usage then return output.EXIT.usage end
    return output.EXIT[err.kind] or output.EXIT.other
  end
  return output.EXIT.other
end

--- `Disks[1].Size` (Lua, from 1) -> `Disks.0.Size` (the wire, from 0), anywhere in `text`.
function output.wire_path(text)
  return (tostring(text):gsub("([%w_%]])%[(%d+)%]", function(before, n)
    return before .. "." .. (tonumber(n) - 1)
  end))
end

-- A library message without the library's own "compshare ...:" prefix (the CLI adds its name).
local function bare(msg)
  return (tostring(msg):gsub("^compshare config: ", ""):gsub("^compshare: ", ""))
end

--- The lines an error prints as: one line, or a head line and one line per problem.
function output.error_lines(err)
  if not errors.is(err) then return { output.PROGRAM .. ": " .. output.wire_path(bare(err)) } end
  if err.usage then return { output.PROGRAM .. ": " .. output.wire_path(bare(err.message)) } end
  local problems = type(err.problems) == "table" and err.problems or {}
  if #problems <= 1 then
    return { output.PROGRAM .. ": " .. output.wire_path(tostring(err):gsub("^compshare ", "")) }
  end
  local head = ("%s: %s error%s: %d problems"):format(output.PROGRAM, err.kind,
    err.action and (" in " .. err.action) or "", #problems)
  local lines = { head }
  for _, p in ipairs(problems) do
    local path = p.path and p.path ~= "" and (output.wire_path(p.path) .. ": ") or ""
    lines[#lines + 1] = "  " .. path .. output.wire_path(p.message)
  end
  return lines
end

--- Prints `err` on stderr; returns its exit code.
function output.report(err, out)
  out = out or io.stderr
  out:write(table.concat(output.error_lines(err), "\n"), "\n")
  return output.exit_code(err)
end

---------------------------------------------------------------------------------------------------
-- Tables

local function is_scalar(v)
  local t = type(v)
  return t == "string" or t == "number" or t == "boolean"
end

-- Wide (two-column) code points: CJK, Hangul, fullwidth forms.
local WIDE = { { 0x1100, 0x115F }, { 0x2E80, 0xA4CF }, { 0xAC00, 0xD7A3 }, { 0xF900, 0xFAFF },
               { 0xFE30, 0xFE4F }, { 0xFF00, 0xFF60 }, { 0xFFE0, 0xFFE6 }, { 0x20000, 0x3FFFD } }

local function is_wide(cp)
  for _, r in ipairs(WIDE) do if cp >= r[1] and cp <= r[2] then return true end end
  return false
end

-- Terminal columns a UTF-8 string takes (wide characters count 2); LuaJIT has no utf8 library.
local function width(s)
  local n = 0
  for lead, rest in s:gmatch("([%z\1-\127\194-\244])([\128-\191]*)") do
    local cp = lead:byte()
    if #rest > 0 then
      cp = cp % (2 ^ (6 - #rest))
      for i = 1, #rest do cp = cp * 64 + rest:byte(i) % 64 end
    end
    n = n + (is_wide(cp) and 2 or 1)
  end
  return n
end

--- A value as one cell of text: integral numbers without ".0", tables as compact JSON.
function output.cell(v)
  if v == nil or v == json.null then return "" end
  if type(v) == "number" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then return ("%d"):format(v) end
  if is_scalar(v) then return (tostring(v):gsub("[\r\n\t]", " ")) end
  return (json.encode(v) or "?")
end
local cell = output.cell

-- Column order: ids first, then names, states, the rest as the keys sort.
local function rank(key)
  if key:find("Id$") or key:find("Ids$") then return 0 end
  if key == "Name" or key:find("Name$") then return 1 end
  if key == "State" or key == "Status" then return 2 end
  return 3
end

output.MAX_COLUMNS = 8

--- The columns for a list of objects: the scalar fields the items have, ids first, at most
-- MAX_COLUMNS.
function output.columns(items)
  local seen, keys = {}, {}
  for _, item in ipairs(items) do
    if type(item) == "table" then
      for k, v in pairs(item) do
        if type(k) == "string" and not seen[k] and is_scalar(v) then seen[k] = true keys[#keys + 1] = k end
      end
    end
  end
  table.sort(keys, function(a, b)
    local ra, rb = rank(a), rank(b)
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  while #keys > output.MAX_COLUMNS do keys[#keys] = nil end
  return keys
end

--- Text of a table: a header and one row per item, columns padded.
function output.table(items, columns)
  columns = columns or output.columns(items)
  if #columns == 0 then
    local rows = {}
    for i, v in ipairs(items) do rows[i] = cell(v) end
    return table.concat(rows, "\n") .. (#rows > 0 and "\n" or "")
  end
  local widths, rows = {}, { columns }
  for _, item in ipairs(items) do
    local row = {}
    for j, c in ipairs(columns) do row[j] = cell(type(item) == "table" and item[c] or nil) end
    rows[#rows + 1] = row
  end
  for _, row in ipairs(rows) do
    for j, v in ipairs(row) do widths[j] = math.max(widths[j] or 0, width(v)) end
  end
  local lines = {}
  for i, row in ipairs(rows) do
    local parts = {}
    for j, v in ipairs(row) do
      parts[j] = j < #row and (v .. (" "):rep(widths[j] - width(v))) or v
    end
    lines[i] = table.concat(parts, "  ")
  end
  return table.concat(lines, "\n") .. "\n"
end

local function is_list(v)
  return type(v) == "table" and (v[1] ~= nil or next(v) == nil)
end

-- The `*Set` lists of a response, by name, sorted.
local function sets(res)
  local names = {}
  for k, v in pairs(res) do
    if type(k) == "string" and k:find("Set$") and is_list(v) then names[#names + 1] = k end
  end
  table.sort(names)
  return names
end

--- A response as tables: each `*Set` list as a table, the other scalar fields as `Key: value`.
function output.response_table(res)
  if type(res) ~= "table" then return cell(res) .. "\n" end
  if is_list(res) then return output.table(res) end
  local out, lists = {}, sets(res)
  local keys = {}
  for k, v in pairs(res) do
    if type(k) == "string" and k ~= "Action" and k ~= "RetCode" and not (k:find("Set$") and is_list(v)) then
      keys[#keys + 1] = k
    end
  end
  table.sort(keys)
  for _, k in ipairs(keys) do out[#out + 1] = k .. ": " .. cell(res[k]) .. "\n" end
  for _, name in ipairs(lists) do
    if #out > 0 then out[#out + 1] = "\n" end
    out[#out + 1] = ("%s (%d)\n"):format(name, #res[name])
    out[#out + 1] = output.table(res[name])
  end
  return table.concat(out)
end

--- Prints `value` in `format` ("json" or "table") on `out`.
function output.print(value, format, out)
  out = out or io.stdout
  if format == "table" then
    out:write(output.response_table(value))
  else
    out:write(assert(json.pretty(value == nil and json.null or value)), "\n")
  end
end

return output
