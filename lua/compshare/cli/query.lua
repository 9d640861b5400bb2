--- `--query PATH`: a dotted path into a response, with `[]` projecting over a list and `[N]` or
-- `.N` picking an item (from 0, as on the wire). `UHostSet[].UHostId` gives every instance's id,
-- `UHostSet[0].State` the first one's state, `TotalCount` a number.
-- @module compshare.cli.query
local query = {}

--- compile(path) -> list of steps `{ key = "UHostSet" }`, `{ index = 0 }`, `{ each = true }`,
-- or nil, message.
function query.compile(path)
  if type(path) ~= "string" or path == "" then return nil, "an empty query" end
  local steps, pos = {}, 1
  while pos <= #path do
    local name, e = path:match("^([%a_][%w_%-]*)()", pos)
    if name then
      steps[#steps + 1] = { key = name }
      pos = e
    else
      local n
      n, e = path:match("^(%d+)()", pos)
      if not n then return nil, ("bad query %q at character %d"):format(path, pos) end
      steps[#steps + 1] = { index = tonumber(n) }
      pos = e
    end
    while path:sub(pos, pos) == "[" do
      local inner, close = path:match("^%[(%d*)%]()", pos)
      if not inner then return nil, ("bad query %q at character %d: expected [] or [N]"):format(path, pos) end
      steps[#steps + 1] = inner == "" and { each = true } or { index = tonumber(inner) }
      pos = close
    end
    if pos <= #path then
      if path:sub(pos, pos) ~= "." or pos == #path then
        return nil, ("bad query %q at character %d"):format(path, pos)
      end
      pos = pos + 1
    end
  end
  local later = false              -- does a projection follow step i? (its results are then flattened)
  for i = #steps, 1, -1 do
    steps[i].projects_after = later
    later = later or steps[i].each == true
  end
  return steps
end

local function apply(steps, i, v)
  if i > #steps or v == nil then return v end
  local s = steps[i]
  if type(v) ~= "table" then return nil end
  if s.key then return apply(steps, i + 1, v[s.key]) end
  if s.index then return apply(steps, i + 1, v[s.index + 1]) end
  local out = {}
  for _, item in ipairs(v) do
    local r = apply(steps, i + 1, item)
    if r ~= nil then
      if s.projects_after and type(r) == "table" then
        for _, x in ipairs(r) do out[#out + 1] = x end   -- a projection inside a projection: flattened
      else
        out[#out + 1] = r
      end
    end
  end
  return out
end

--- run(path, value) -> the selected part (nil when the path leads nowhere), or nil, message for a
-- path that does not parse.
function query.run(path, value)
  local steps, err = query.compile(path)
  if not steps then return nil, err end
  return apply(steps, 1, value), nil
end

return query
