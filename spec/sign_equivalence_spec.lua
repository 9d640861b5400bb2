-- core.sign / core.encode / core.flatten against bench/ref_sign.lua (the algorithm in plain
-- Lua) on thousands of random nested tables: keys of every length around the 8-byte head the
-- C sort compares first, shared prefixes, NUL and high bytes; strings, integers, floats,
-- booleans, arrays, objects, empty tables; keys given twice through dots; metatables.
local core = require "compshare.core"
local ref = dofile("bench/ref_sign.lua")
local consistent = dofile("c/fuzz/fuzz_encode.lua") -- encode, sign, flatten and form_decode agree

-- Park-Miller: the same numbers on Lua 5.4 and LuaJIT (products stay below 2^53).
local function rng(seed)
  local x = seed
  return function(n)
    x = x * 16807 % 2147483647
    return x % n + 1
  end
end

local KEY_PARTS = { "A", "a", "B", "Disks", "Disks0", "Disks-", "CPU", "CompShareImageId", "ChargeType",
                    "GpuType", "Name", "Zone", "x", "", "\0", "A\0", "\255", "é", "-", "_", "~", "1", "10",
                    "Abcdefg", "Abcdefgh", "Abcdefghi", "AbcdefghAbcdefgh", "Abcdefg\0", "AbcdefgH" }
local FLOATS = { 1.5, 0.1, -2.25, 1e-7, 123456.789, 1e21, 2 ^ 53, 2 ^ 63, -0.0, 0.0, 3.0, 1 / 3, 1.5e-60, 1e300 }

local function random_key(pick, dots)
  local k = KEY_PARTS[pick(#KEY_PARTS)]
  if pick(3) == 1 then k = k .. KEY_PARTS[pick(#KEY_PARTS)] end
  if dots and pick(6) == 1 then k = k .. "." .. ({ "A", "0", "1", "Disks", "" })[pick(5)] end
  return k
end

local function random_string(pick)
  local n, bytes = pick(20) - 1, {}
  for i = 1, n do bytes[i] = pick(4) == 1 and string.char(pick(256) - 1) or string.char(96 + pick(26)) end
  return table.concat(bytes)
end

local random_value
local function random_table(pick, depth, dots)
  local t = {}
  if pick(2) == 1 then
    for i = 1, pick(5) - 1 do t[i] = random_value(pick, depth + 1, dots) end
  else
    for _ = 1, pick(8) - 1 do t[random_key(pick, dots)] = random_value(pick, depth + 1, dots) end
  end
  return t
end

function random_value(pick, depth, dots)
  local r = pick(depth < 3 and 10 or 7)
  if r <= 2 then return random_string(pick)
  elseif r == 3 then return pick(2000000) - 1000000
  elseif r == 4 then return ({ 0, 1, 9, 10, 99, -1, -10, 2 ^ 31, -(2 ^ 40), math.maxinteger or 2 ^ 52 })[pick(10)]
  elseif r == 5 then return FLOATS[pick(#FLOATS)]
  elseif r == 6 or r == 7 then return pick(2) == 1
  else return random_table(pick, depth, dots) end
end

-- The top level: an object (a table value under "" would be read differently by ref_sign).
local function random_params(pick, dots)
  local t = {}
  for _ = 1, pick(25) - 1 do
    local k = random_key(pick, dots)
    local v = random_value(pick, 0, dots)
    if k ~= "" or type(v) ~= "table" then t[k] = v end
  end
  return t
end

-- The flattened keys, as a list with any repeats (the C rules: arrays below the top level).
local function flat_keys(v, prefix, depth, out)
  if type(v) ~= "table" then
    out[#out + 1] = prefix
    return out
  end
  local n, count = #v, 0
  for _ in pairs(v) do count = count + 1 end
  local join = function(k) return prefix == "" and k or prefix .. "." .. k end
  if depth > 0 and count == n then
    for i = 1, n do flat_keys(v[i], join(tostring(i - 1)), depth + 1, out) end
  else
    for k, item in pairs(v) do flat_keys(item, join(k), depth + 1, out) end
  end
  return out
end

local function repeated(keys)
  local seen = {}
  for _, k in ipairs(keys) do
    if seen[k] then return k end
    seen[k] = true
  end
end

describe("core.sign against the plain-Lua reference", function()
  it("agrees on 3,000 random nested tables without repeated keys", function()
    local pick = rng(20261201)
    for i = 1, 3000 do
      local params = random_params(pick, false)
      local sig = core.sign(params, "key" .. i)
      assert.are.equal(ref.sign(params, "key" .. i), sig)
      consistent(ref.sha1_hex, "key" .. i, params)
    end
  end)

  it("refuses exactly the random tables whose flattened keys repeat, naming a repeated key", function()
    local pick, refused = rng(7), 0
    for _ = 1, 3000 do
      local params = random_params(pick, true)
      local keys = flat_keys(params, "", 0, {})
      local twice = repeated(keys)
      local ok, err = pcall(core.sign, params, "k")
      if twice then
        refused = refused + 1
        assert.is_false(ok)
        local named = tostring(err):match("parameter '(.*)' is given twice")
        assert.is_truthy(named, tostring(err))
        local seen, found = {}, false -- the message names a repeated key (up to a NUL in it)
        for _, k in ipairs(keys) do
          local shown = k:sub(1, (k:find("\0", 1, true) or #k + 1) - 1)
          found = found or (seen[k] and shown == named)
          seen[k] = true
        end
        assert.is_true(found, named)
      else
        assert.is_true(ok, tostring(err))
        assert.are.equal(ref.sign(params, "k"), err)
      end
      consistent(ref.sha1_hex, "k", params)
    end
    assert.is_true(refused > 20, "too few repeated keys generated: " .. refused)
  end)

  it("agrees on large tables (2,000 top-level fields, 1,000-item arrays of objects)", function()
    local pick, params = rng(99), { Items = {} }
    for i = 1, 2000 do params["K" .. random_string(pick) .. i] = random_string(pick) end
    for i = 1, 1000 do params.Items[i] = { Size = i, Type = random_string(pick), On = i % 2 == 0 } end
    assert.are.equal(ref.sign(params, "k"), core.sign(params, "k"))
    consistent(ref.sha1_hex, "k", params)
  end)

  it("agrees on empty parameters, empty keys and values, and an empty private key", function()
    for _, params in ipairs { {}, { A = "" }, { [""] = "x" }, { A = {} }, { A = { {}, {} } }, { A = { [""] = "" } } } do
      for _, key in ipairs { "", "k" } do
        assert.are.equal(ref.sign(params, key), core.sign(params, key))
        consistent(ref.sha1_hex, key, params)
      end
    end
  end)

  it("reads tables raw: metatables change nothing", function()
    local pick = rng(5)
    local mt = { __index = function() return "x" end, __len = function() return 7 end,
                 __pairs = function() return function() end end, __newindex = function() end }
    for _ = 1, 200 do
      local params = random_params(pick, false)
      local plain = core.sign(params, "k")
      for _, v in pairs(params) do
        if type(v) == "table" then setmetatable(v, mt) end
      end
      assert.are.equal(plain, core.sign(setmetatable(params, mt), "k"))
    end
  end)
end)
