-- core.json_decode (c/json.c) decodes as lua-cjson (with compshare.json's old settings: depth
-- 128, no NaN/Infinity/hex) did: the same values, the same types (numbers are floats), the same
-- texts refused. compshare.json.decode uses it.
local core = require "compshare.core"
local json = require "compshare.json"
local cjson = require("cjson.safe").new()
cjson.decode_max_depth(128)
if cjson.decode_invalid_numbers then cjson.decode_invalid_numbers(false) end

local function same(a, b, path)
  if type(a) ~= type(b) then return false, path .. ": " .. type(a) .. " vs " .. type(b) end
  if type(a) == "number" then
    if math.type and math.type(a) ~= math.type(b) then return false, path .. ": integer vs float" end
    if a ~= b then return false, ("%s: %.17g vs %.17g"):format(path, a, b) end
    if a == 0 and 1 / a ~= 1 / b then return false, path .. ": the sign of zero" end
    return true
  end
  if type(a) ~= "table" then return a == b, path end
  for k, v in pairs(a) do
    local ok, where = same(v, b[k], path .. "." .. tostring(k))
    if not ok then return false, where end
  end
  for k in pairs(b) do if a[k] == nil then return false, path .. "." .. tostring(k) .. " is extra" end end
  return true
end

local function agrees(text)
  local want, werr = cjson.decode(text)
  local got, gerr = core.json_decode(text)
  if want == nil then
    assert.is_nil(got, ("accepted what lua-cjson refuses (%s): %q"):format(tostring(werr), text:sub(1, 80)))
    assert.is_string(gerr)
    assert.is_nil(gerr:find("[\r\n]"))
    return
  end
  assert(got ~= nil, ("refused what lua-cjson accepts (%s): %q"):format(tostring(gerr), text:sub(1, 80)))
  local ok, where = same(want, got, "$")
  assert(ok, ("differs at %s for %q"):format(tostring(where), text:sub(1, 80)))
end

describe("core.json_decode", function()
  it("agrees with lua-cjson on values, escapes, numbers and what it refuses", function()
    for _, text in ipairs {
      '{"RetCode":0,"Message":"ok","Set":[{"Id":"a","Size":40,"Price":1.5,"On":true,"Off":false,"X":null}]}',
      '"a\tb"', '"a\1b"', '"\\/\\b\\f\\n\\r\\t\\"\\\\"', '"\\u00e9\\u4e2d"', '"\\ud83d\\ude00"', '"\\ud800"',
      '"\\udc00"', '"\\u12"', '"\\x"', '"unterminated', '01', '-01', '1.', '.5', '-', '-0', '-0.0', '0', '1E2',
      '-12.5e-3', '1e400', '1e-400', '0x10', 'Infinity', 'NaN', '-Infinity', '123456789012345',
      '1234567890123456', '12345678901234567890', '0.1', '[0.1,0.2,0.3]', '[1,]', '{"a":1,}', '[1 2]',
      '{"a" 1}', '{"a":}', '{1:2}', '[', '{', '{"a"', '', '   ', 'nul', 'tru', 'true', 'false', 'null',
      ' [1] x', '[] []', '[]', '{}', '  {"k" : [ ] , "m":{ } }  ', '{"a":1,"a":2}', '{"a":{"b":[1,{"c":[]}]}}',
      ("["):rep(128) .. ("]"):rep(128), ("["):rep(129) .. ("]"):rep(129), '"\0inside"', '[1,"\0"]', '[1] \0 garbage',
      '"abc\\', '"\\', '"', '{"a\0":1}', '{"a":"b\0"}', '["a\\"]', '["\\\\"]', '{"\\u0041":1}',
    } do agrees(text) end
    -- members pending on the stack at every level: 127 levels of 40 members before the next one
    local open = ('1,'):rep(40)
    agrees(("[" .. open):rep(127) .. "1" .. ("]"):rep(127))
    agrees(('{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"z":'):rep(100)
      .. "0" .. ("}"):rep(100))
  end)

  it("agrees on large arrays and objects (tables made at their size past the stack batch)", function()
    local items, keys = {}, {}
    for i = 1, 5000 do
      items[i] = ('{"i":%d,"s":"v%d","f":%.17g,"e":"\\u00e9%d"}'):format(i, i, i / 7, i)
      keys[i] = ('"k%d":%d'):format(i, i)
    end
    agrees("[" .. table.concat(items, ",") .. "]")
    agrees("{" .. table.concat(keys, ",") .. ',"k5":"last","k1024":"again"}')  -- repeats: the last wins
    local nested = {}
    for i = 1, 1500 do nested[i] = "[" .. i .. ",[" .. i .. "]]" end
    agrees("[" .. table.concat(nested, ",") .. "]")
  end)

  it("agrees on random documents", function()
    math.randomseed(14)
    local function gen(depth)
      local r = math.random(depth > 4 and 5 or 7)
      if r == 1 then return tostring(math.random(-1e6, 1e6)) end
      if r == 2 then return ("%.17g"):format((math.random() - 0.5) * 10 ^ math.random(-30, 30)) end
      if r == 3 then
        local s = {}
        for i = 1, math.random(0, 6) do
          s[i] = ({ "a", "\\n", "\\u0041", "\\ud834\\udd1e", "é", " ", "\\\"", "\t" })[math.random(8)]
        end
        return '"' .. table.concat(s) .. '"'
      end
      if r == 4 then return ({ "true", "false", "null" })[math.random(3)] end
      if r == 5 then return '""' end
      local parts = {}
      for i = 1, math.random(0, 5) do
        parts[i] = r == 6 and gen(depth + 1) or ('"k%d" : %s'):format(math.random(4), gen(depth + 1))
      end
      return (r == 6 and "[%s]" or "{%s}"):format(table.concat(parts, " , "))
    end
    for _ = 1, 2000 do
      local text = gen(0)
      agrees(text)
      if #text > 2 then agrees(text:sub(1, math.random(#text - 1))) end  -- cut short: refused by both
    end
  end)

  it("is what compshare.json.decode uses, with json.null for null", function()
    local v = assert(json.decode('{"a":null,"b":[null]}'))
    assert.equal(json.null, v.a)
    assert.equal(json.null, v.b[1])
    assert.same({ nil, "body is not a string" }, { json.decode(42) })
    local bad, err = json.decode("{")
    assert.is_nil(bad)
    assert.is_truthy(err:find("at character", 1, true))
  end)
end)
