--- The signing algorithm of FACTS.md (a) in plain Lua, with a pure-Lua SHA1:
-- the baseline `make bench` measures `core.sign` against. Runs on Lua 5.4
-- (native integer operators) and LuaJIT (the `bit` library).
--   ref.sign(params, private_key) -> 40 hex chars
--   ref.string_to_sign(params)    -> "k1v1k2v2..." (without the private key)
--   ref.sha1_hex(s)               -> 40 hex chars
local ref = {}

-- 32-bit operations: values stay in [0, 2^32) on 5.4, signed 32-bit on LuaJIT.
local band, bor, bxor, bnot, rol, norm
local ok, bit = pcall(require, "bit")
if ok then
  band, bor, bxor, bnot, rol, norm = bit.band, bit.bor, bit.bxor, bit.bnot, bit.rol, bit.tobit
else
  -- Lua 5.4 syntax hidden in a string so LuaJIT can still parse this file.
  band, bor, bxor, bnot, rol, norm = assert(load([[
    return function(a, b) return a & b end,
           function(a, b) return a | b end,
           function(a, b) return a ~ b end,
           function(a) return ~a & 0xffffffff end,
           function(x, n) return ((x << n) | (x >> (32 - n))) & 0xffffffff end,
           function(x) return x & 0xffffffff end
  ]]))()
end

local byte, char, floor = string.byte, string.char, math.floor

--- SHA1 of `s` (FIPS 180-4), as 40 lowercase hex characters.
function ref.sha1_hex(s)
  local bits = #s * 8
  local tail = {}
  for i = 7, 0, -1 do tail[#tail + 1] = char(floor(bits / 256 ^ i) % 256) end
  s = s .. "\128" .. string.rep("\0", (55 - #s) % 64) .. table.concat(tail)

  local h0, h1, h2, h3, h4 = 0x67452301, norm(0xEFCDAB89), norm(0x98BADCFE), 0x10325476, norm(0xC3D2E1F0)
  local w = {}
  for block = 1, #s, 64 do
    for t = 0, 15 do
      local a, b, c, d = byte(s, block + 4 * t, block + 4 * t + 3)
      w[t] = norm(((a * 256 + b) * 256 + c) * 256 + d)
    end
    for t = 16, 79 do
      w[t] = rol(bxor(bxor(w[t - 3], w[t - 8]), bxor(w[t - 14], w[t - 16])), 1)
    end
    local a, b, c, d, e = h0, h1, h2, h3, h4
    for t = 0, 79 do
      local f, k
      if t < 20 then
        f, k = bor(band(b, c), band(bnot(b), d)), 0x5A827999
      elseif t < 40 then
        f, k = bxor(bxor(b, c), d), 0x6ED9EBA1
      elseif t < 60 then
        f, k = bor(bor(band(b, c), band(b, d)), band(c, d)), 0x8F1BBCDC
      else
        f, k = bxor(bxor(b, c), d), 0xCA62C1D6
      end
      a, b, c, d, e = norm(rol(a, 5) + f + e + k + w[t]), a, rol(b, 30), c, d
    end
    h0, h1, h2, h3, h4 = norm(h0 + a), norm(h1 + b), norm(h2 + c), norm(h3 + d), norm(h4 + e)
  end
  local M = 4294967296
  return ("%08x%08x%08x%08x%08x"):format(h0 % M, h1 % M, h2 % M, h3 % M, h4 % M)
end

-- Numbers as the gateway reads them: integral without fraction, otherwise
-- the shortest digits that read back exactly, never an exponent.
local function format_number(v)
  if math.type and math.type(v) == "integer" then return ("%d"):format(v) end
  if v ~= v or v == math.huge or v == -math.huge then error("cannot sign NaN or infinity", 3) end
  if v == floor(v) then return ("%.0f"):format(v == 0 and 0 or v) end
  local digits, prec
  for p = 1, 17 do
    digits, prec = ("%." .. p .. "g"):format(v), p
    if tonumber(digits) == v then break end
  end
  local exp10 = digits:match("e([-+]%d+)$")
  if not exp10 then return digits end
  return ("%." .. math.max(0, prec - 1 - tonumber(exp10)) .. "f"):format(v)
end

local function is_array(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

local function flatten(prefix, v, out)
  local tv = type(v)
  if tv == "table" then
    if prefix ~= "" and is_array(v) then
      for i = 1, #v do flatten(prefix .. "." .. (i - 1), v[i], out) end
    else
      for k, item in pairs(v) do
        flatten(prefix == "" and k or (prefix .. "." .. k), item, out)
      end
    end
  elseif tv == "string" then out[prefix] = v
  elseif tv == "number" then out[prefix] = format_number(v)
  elseif tv == "boolean" then out[prefix] = v and "true" or "false"
  else error("cannot sign a " .. tv .. " (" .. prefix .. ")", 3) end
end

--- Sorted keys and values concatenated with no separator (FACTS.md steps 2-5).
function ref.string_to_sign(params)
  local flat, keys = {}, {}
  flatten("", params, flat)
  for k in pairs(flat) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = k .. flat[k] end
  return table.concat(parts)
end

--- The request signature: SHA1 of the string to sign plus the private key.
function ref.sign(params, private_key)
  return ref.sha1_hex(ref.string_to_sign(params) .. private_key)
end

return ref
