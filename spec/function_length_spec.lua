-- No hand-written function is over 60 lines: this spec tokenizes every module under
-- lua/compshare/ (all but the generated compshare.spec) and the tools, matches each `function`
-- to its `end`, and fails on one whose lines, from the `function` line to the `end` line, are
-- more than LIMIT. A small tokenizer, not line patterns, so that "end" in a string, a long
-- string or a comment is not a block's end, and nested functions are measured on their own.
local LIMIT = 60

-- Known, being split: "path:name" = why. Each entry must still be over LIMIT (the spec fails
-- when one is not, so the list cannot go stale); empty when nothing is waiting.
-- Functions allowed over the limit for now, with the reason (an entry that is no longer over fails).
local KNOWN = {}

local KEYWORD = {}
for word in ([[and break do else elseif end false for function goto if in local nil not or
  repeat return then true until while]]):gmatch("%a+") do KEYWORD[word] = true end

--- The tokens of a Lua source: { kind = "name"|"keyword"|"string"|"number"|"op", text, line }.
-- Comments are dropped.
local function tokenize(src)
  local out, pos, line, n = {}, 1, 1, #src
  local function emit(kind, text, at) out[#out + 1] = { kind = kind, text = text, line = at } end
  local function count_lines(s) local _, k = s:gsub("\n", "") line = line + k end
  local function long_bracket(at)
    local eq = src:match("^%[(=*)%[", at)
    if not eq then return nil end
    local close = "]" .. eq .. "]"
    local stop = select(2, src:find(close, at + #eq + 2, true))
    assert(stop, ("unfinished long bracket at line %d"):format(line))
    return stop
  end
  while pos <= n do
    local c = src:sub(pos, pos)
    if c == "\n" then
      line, pos = line + 1, pos + 1
    elseif c:find("%s") then
      pos = pos + 1
    elseif src:sub(pos, pos + 1) == "--" then
      local stop = long_bracket(pos + 2)
      if not stop then stop = (src:find("\n", pos, true) or n + 1) - 1 end
      count_lines(src:sub(pos, stop))
      pos = stop + 1
    elseif c == "[" and long_bracket(pos) then
      local stop, at = long_bracket(pos), line
      count_lines(src:sub(pos, stop))
      emit("string", src:sub(pos, stop), at)
      pos = stop + 1
    elseif c == '"' or c == "'" then
      local i, at = pos + 1, line
      while true do
        local d = src:sub(i, i)
        assert(d ~= "" and d ~= "\n", ("unfinished string at line %d"):format(at))
        if d == "\\" then
          local e = src:sub(i + 1, i + 1)
          if e == "\n" then line = line + 1 end
          if e == "z" then
            local ws = src:match("^%s*", i + 2)
            count_lines(ws)
            i = i + 2 + #ws
          else
            i = i + 2
          end
        elseif d == c then
          break
        else
          i = i + 1
        end
      end
      emit("string", src:sub(pos, i), at)
      pos = i + 1
    elseif c:find("[%a_]") then
      local word = src:match("^[%w_]+", pos)
      emit(KEYWORD[word] and "keyword" or "name", word, line)
      pos = pos + #word
    elseif c:find("%d") or (c == "." and src:sub(pos + 1, pos + 1):find("%d")) then
      local num = src:match("^0[xX][%x%.]*[pP][%+%-]?%d+", pos) or src:match("^0[xX][%x%.]*", pos)
        or src:match("^[%d%.]*[eE][%+%-]?%d+", pos) or src:match("^[%d%.]+", pos)
      emit("number", num, line)
      pos = pos + #num
    else
      local op = src:match("^%.%.%.", pos) or src:match("^[=~<>]=", pos) or src:match("^%.%.", pos)
        or src:match("^::", pos) or src:match("^//", pos) or src:match("^<<", pos)
        or src:match("^>>", pos) or c
      emit("op", op, line)
      pos = pos + #op
    end
  end
  return out
end

--- The name a function is known by: `function a.b:c`, `local function f`, `f = function`,
-- `key = function` in a table; "(anonymous)" otherwise.
local function name_at(tokens, i)
  local parts, j = {}, i + 1
  while tokens[j] and (tokens[j].kind == "name" or tokens[j].text == "." or tokens[j].text == ":") do
    parts[#parts + 1] = tokens[j].text
    j = j + 1
  end
  if #parts > 0 then return table.concat(parts) end
  local prev, before = tokens[i - 1], tokens[i - 2]
  if prev and prev.text == "=" and before and before.kind == "name" then return before.text end
  return "(anonymous)"
end

--- Every function of a source: { name, first, last, lines }. A block opens at `function`,
-- `do` (also the one of `while` and `for`), `if` and `repeat`; `end` closes the innermost,
-- `until` closes a `repeat`.
local function functions_of(src)
  local tokens, stack, out = tokenize(src), {}, {}
  for i, t in ipairs(tokens) do
    if t.kind == "keyword" then
      local w = t.text
      if w == "function" then
        stack[#stack + 1] = { fn = true, name = name_at(tokens, i), first = t.line }
      elseif w == "do" or w == "if" or w == "repeat" then
        stack[#stack + 1] = { opener = w }
      elseif w == "end" or w == "until" then
        local top = table.remove(stack)
        assert(top, ("unmatched '%s' at line %d"):format(w, t.line))
        assert((w == "until") == (top.opener == "repeat"), ("'%s' closes the wrong block at line %d"):format(w, t.line))
        if top.fn then
          out[#out + 1] = { name = top.name, first = top.first, last = t.line, lines = t.line - top.first + 1 }
        end
      end
    end
  end
  assert(#stack == 0, "unclosed block at the end of the source")
  return out
end

local read = require("support.sh").read

local function sources()
  local out = {}
  local p = assert(io.popen("find lua/compshare tools -name '*.lua' | sort"))
  for path in p:lines() do
    if path ~= "lua/compshare/spec.lua" then out[#out + 1] = path end
  end
  p:close()
  return out
end

describe("the function-length tokenizer", function()
  it("measures a function from its line to the line of its end", function()
    local fns = functions_of("local function f()\n  return 1\nend\n")
    assert.same({ { name = "f", first = 1, last = 3, lines = 3 } }, fns)
  end)

  it("is not fooled by end in strings, long strings and comments", function()
    local src = table.concat({
      "function M.a(x)",
      "  local s = 'end' .. \"end \\\" end\"",
      "  local l = [==[",
      "end ]] end",
      "]==]",
      "  --[[ end",
      "  end ]]",
      "  -- end end end",
      "  return s, l",
      "end",
    }, "\n")
    local fns = functions_of(src)
    assert.equal(1, #fns)
    assert.same({ name = "M.a", first = 1, last = 10, lines = 10 }, fns[1])
  end)

  it("measures nested functions and blocks on their own", function()
    local src = table.concat({
      "local obj = {}",
      "function obj:m()",
      "  local inner = function()",
      "    for i = 1, 2 do if i then repeat until true end end",
      "    while false do end",
      "  end",
      "  return { cb = function() end }",
      "end",
    }, "\n")
    local by = {}
    for _, f in ipairs(functions_of(src)) do by[f.name] = f end
    assert.same({ name = "obj:m", first = 2, last = 8, lines = 7 }, by["obj:m"])
    assert.same({ name = "inner", first = 3, last = 6, lines = 4 }, by.inner)
    assert.same({ name = "cb", first = 7, last = 7, lines = 1 }, by.cb)
  end)

  it("refuses a source whose blocks do not match", function()
    assert.has_error(function() functions_of("function f() if x then end") end)
    assert.has_error(function() functions_of("do end end") end)
    assert.has_error(function() functions_of("local s = 'open") end)
  end)
end)

describe("hand-written functions", function()
  it("are " .. LIMIT .. " lines or fewer", function()
    local over, listed = {}, {}
    for _, path in ipairs(sources()) do
      for _, f in ipairs(functions_of(read(path))) do
        local key = path .. ":" .. f.name
        if f.lines > LIMIT then
          if KNOWN[key] then
            listed[key] = true
          else
            over[#over + 1] = ("%s:%d %s is %d lines"):format(path, f.first, f.name, f.lines)
          end
        end
      end
    end
    assert.same({}, over)
    for key in pairs(KNOWN) do
      assert(listed[key], key .. " is in KNOWN but is no longer over " .. LIMIT .. " lines: take it out")
    end
  end)
end)
