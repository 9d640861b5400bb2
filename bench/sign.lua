--- Section 1: signing in C against plain Lua, and the client's per-call cost
-- without any network (a transport that answers at once from memory).
local core = require "compshare.core"
local lib = require "lib"
local ref = require "ref_sign"
local vectors = require "vectors"

local ANSWER = { status = 200, headers = {}, body = '{"RetCode":0,"Action":"CreateCompShareInstanceResponse"}' }
local function instant_transport() return ANSWER end

-- V2 without what the client adds itself (Action, Region, Zone, PublicKey).
local function call_params()
  local p = {}
  for k, v in pairs(vectors.V2.params) do p[k] = v end
  p.Action, p.Region, p.Zone, p.PublicKey = nil, nil, nil, nil
  return p
end

return function(ctx)
  local v2, key = vectors.V2.params, vectors.private_key
  for _, name in ipairs { "V1", "V2", "V3" } do
    local v = vectors[name]
    assert(core.sign(v.params, key) == v.signature, "core.sign disagrees with FACTS.md " .. name)
    assert(ref.sign(v.params, key) == v.signature, "ref_sign disagrees with FACTS.md " .. name)
  end
  local client = lib.client { transport = instant_transport }
  local params = call_params()
  local fns = {
    function() core.sign(v2, key) end,
    function() ref.sign(v2, key) end,
    function() core.encode(v2, key) end,
    function() client:prepare("CreateCompShareInstance", params) end,
    function() assert(client:call("CreateCompShareInstance", params)) end,
  }
  fns[6] = function() assert(client:CreateCompShareInstance(params)) end
  local r = lib.rates(fns, ctx.seconds, ctx.repeats)
  local c_rate, lua_rate, encode_rate, prepare_rate, call_rate, typed_rate = r[1], r[2], r[3], r[4], r[5], r[6]

  -- The floor of signing: OpenSSL's SHA1 of the same bytes (string-to-sign + key), in C.
  local dir = lib.capture("mktemp -d /tmp/compshare-bench.XXXXXX")
  local f = assert(io.open(dir .. "/s", "wb"))
  local to_hash = ref.string_to_sign(v2) .. key
  f:write(to_hash)
  f:close()
  local n, sha_runs = ctx.smoke and 1000 or 200000, {}
  for round = 1, ctx.rounds do
    local secs, hex = lib.capture(("%ssha1_loop %s %d"):format(lib.C_DIR, lib.sh_quote(dir .. "/s"), n)):match("^([%d.]+) (%x+)")
    assert(hex == core.sign(v2, key), "sha1_loop hashed other bytes than core.sign")
    sha_runs[round] = tonumber(secs) / n * 1e6
  end
  os.execute("rm -rf " .. lib.sh_quote(dir))
  local sha_us, sign_us = lib.median(sha_runs), 1e6 / c_rate
  local rows = {
    { what = ("core.sign, FACTS V2: %d fields, %d bytes hashed (us)"):format(#core.flatten(v2), #to_hash),
      value = sign_us, base_what = "OpenSSL SHA1 of the same bytes, C (us)", base = sha_us,
      ratio = sign_us / sha_us, ratio_means = "x SHA1", target = "<= 3", pass = sign_us / sha_us <= 3 },
    { what = "core.sign, FACTS V2 (signatures/s)", value = c_rate,
      base_what = "bench/ref_sign.lua (plain Lua)", base = lua_rate, ratio = c_rate / lua_rate, ratio_means = "x faster" },
    { what = "client:prepare V2 (calls/s)", value = prepare_rate,
      base_what = "core.encode alone", base = encode_rate, ratio = encode_rate / prepare_rate, ratio_means = "x the cost" },
    { what = "client:call V2, no network (calls/s)", value = call_rate,
      base_what = "core.encode alone", base = encode_rate, ratio = encode_rate / call_rate, ratio_means = "x the cost" },
  }
  rows[#rows + 1] = { what = "typed CreateCompShareInstance, no network (calls/s)", value = typed_rate,
                      base_what = "client:call (not validated)", base = call_rate,
                      ratio = call_rate / typed_rate, ratio_means = "x the cost" }
  rows[#rows + 1] = { what = "validate+encode+sign+interpret per typed call (us)", value = 1e6 / typed_rate,
                      base_what = "core.sign (us)", base = 1e6 / c_rate,
                      ratio = c_rate / typed_rate, ratio_means = "x the cost" }
  return rows
end
