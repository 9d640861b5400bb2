-- compshare.core signing: the FACTS.md vectors, the flatten rules, sorting and bad arguments.
local core = require "compshare.core"
local vectors = require "support.vectors"

-- The string to sign, rebuilt from core.flatten (sorted key/value pairs).
local function string_to_sign(params)
  local parts = {}
  for _, kv in ipairs(core.flatten(params)) do parts[#parts + 1] = kv[1] .. kv[2] end
  return table.concat(parts)
end

-- The flattened pairs as one table {key = value}.
local function flat(params)
  local t = {}
  for _, kv in ipairs(core.flatten(params)) do t[kv[1]] = kv[2] end
  return t
end

local function keys(params)
  local list = {}
  for i, kv in ipairs(core.flatten(params)) do list[i] = kv[1] end
  return list
end

describe("core.sign reproduces FACTS.md", function()
  for _, v in ipairs(vectors) do
    it(v.name, function()
      assert.are.equal(v.string_to_sign, string_to_sign(v.params))
      assert.are.equal(v.signature, core.sign(v.params, v.private_key))
    end)
  end

  it("core.encode gives the same signature and a body that decodes back to the signed fields", function()
    for _, v in ipairs(vectors) do
      local body, sig = core.encode(v.params, v.private_key)
      assert.are.equal(v.signature, sig)
      assert.are.equal("&Signature=" .. v.signature, body:sub(-(#sig + 11)))
      local decoded = core.form_decode(body)
      assert.are.equal(v.signature, decoded.Signature)
      decoded.Signature = nil
      assert.are.same(flat(v.params), decoded)
    end
  end)

  it("a different private key or value changes the signature", function()
    local v = vectors[1]
    assert.are_not.equal(v.signature, core.sign(v.params, v.private_key .. "x"))
    local p = {}
    for k, val in pairs(v.params) do p[k] = val end
    p.Limit = 21
    assert.are_not.equal(v.signature, core.sign(p, v.private_key))
  end)

  it("signs the sorted fields exactly as sent: key order in the body is byte order", function()
    local body = core.encode({ b = "1", B = "2", a = "3", Tags = { "x", "y" } }, "k")
    assert.are.equal("B=2&Tags.0=x&Tags.1=y&a=3&b=1&Signature=", body:match("^(.-Signature=)"))
  end)
end)

describe("core.flatten", function()
  it("numbers arrays from 0 and joins object keys with dots", function()
    assert.are.same({ ["Tags.0"] = "a", ["Tags.1"] = "b", ["Soft.CUDA"] = "12.1" },
      flat { Tags = { "a", "b" }, Soft = { CUDA = "12.1" } })
  end)

  it("flattens arrays of objects and recurses", function()
    assert.are.same({
      ["Disks.0.IsBoot"] = "true", ["Disks.0.Size"] = "200", ["Disks.1.IsBoot"] = "false",
      ["S.Application.0"] = "x", ["S.Deep.0.A.0.B"] = "c",
    }, flat {
      Disks = { { IsBoot = true, Size = 200 }, { IsBoot = false } },
      S = { Application = { "x" }, Deep = { { A = { { B = "c" } } } } },
    })
  end)

  it("writes booleans in lower case", function()
    assert.are.same({ T = "true", F = "false" }, flat { T = true, F = false })
  end)

  it("writes integral numbers without a fraction and never with an exponent", function()
    local cases = {
      { 0.0, "0" }, { -0.0, "0" }, { 42.0, "42" }, { 65536, "65536" }, { 65536.0, "65536" },
      { 1.5, "1.5" }, { -2.5, "-2.5" }, { 0.1, "0.1" }, { 123456.789, "123456.789" },
      { 1 / 3, "0.3333333333333333" }, { 1e-7, "0.0000001" }, { 1.25e-10, "0.000000000125" },
      { 1e21, "1000000000000000000000" }, { 2 ^ 53, "9007199254740992" }, { -1e16, "-10000000000000000" },
    }
    for _, c in ipairs(cases) do
      local got = flat({ N = c[1] }).N
      assert.are.equal(c[2], got, ("%.17g"):format(c[1]))
      assert.is_nil(got:find("[eE]"))
    end
  end)

  it("keeps strings as they are (UTF-8, spaces, empty)", function()
    assert.are.same({ A = "深度 学习", E = "", S = "a&b=c" }, flat { A = "深度 学习", E = "", S = "a&b=c" })
  end)

  it("sorts keys by bytes: Tags.10 before Tags.2, upper case before lower case", function()
    local tags = {}
    for i = 1, 11 do tags[i] = "t" .. i end
    local k = keys { Tags = tags }
    assert.are.same({ "Tags.0", "Tags.1", "Tags.10", "Tags.2", "Tags.3" }, { k[1], k[2], k[3], k[4], k[5] })
    assert.are.same({ "CPU", "ChargeType", "CompShareImageId", "a" },
      keys { a = 1, CompShareImageId = "x", ChargeType = "y", CPU = 2 })
  end)

  it("sends nothing for an empty nested table", function()
    assert.are.same({ A = "1" }, flat { A = 1, Empty = {} })
  end)
end)

describe("bad arguments raise a clear error", function()
  local function raises(params, pattern)
    local ok, err = pcall(core.sign, params, "secret-key")
    assert.is_false(ok)
    assert.is_truthy(tostring(err):find(pattern), tostring(err))
    assert.is_nil(tostring(err):find("secret-key", 1, true))
  end

  it("for a function or userdata value", function()
    raises({ F = print }, "parameter 'F' is a function")
    raises({ U = io.stdout }, "parameter 'U' is a userdata")
    raises({ T = { 1, print } }, "parameter 'T.1' is a function")
  end)

  it("for a cyclic table", function()
    local t = { A = {} }
    t.A.Back = t.A
    raises(t, "cyclic")
  end)

  it("for nesting deeper than 32 levels, while 30 levels are fine", function()
    local function nest(n)
      local t = { Leaf = "x" }
      for _ = 1, n do t = { N = t } end
      return t
    end
    assert.are.equal(40, #core.sign(nest(30), "k"))
    raises(nest(40), "deeper than 32")
  end)

  it("for a table mixing array items and named fields", function()
    raises({ M = { 1, 2, x = 3 } }, "mixes array items and named fields")
    raises({ S = { [1] = "a", [3] = "c" } }, "mixes array items")
    raises({ "top", "level" }, "top level")
  end)

  it("for a key given twice, naming exactly that key", function()
    for _, params in ipairs { { A = { "x" }, ["A.0"] = "y" }, { ["A.0"] = "y", A = { "xyz" } },
                              { B = { C = "long value" }, ["B.C"] = "v" } } do
      local ok, err = pcall(core.sign, params, "secret-key")
      assert.is_false(ok)
      local key = tostring(err):match("parameter '([^']*)' is given twice")
      assert.is_truthy(key == "A.0" or key == "B.C", tostring(err))
    end
  end)

  it("for NaN and infinity", function()
    raises({ N = 0 / 0 }, "NaN")
    raises({ I = math.huge }, "infinity")
  end)

  it("for params that are not a table or a private key that is not a string", function()
    assert.has_error(function() core.sign("Action=x", "k") end)
    assert.has_error(function() core.sign({ Action = "x" }) end)
    assert.has_error(function() core.encode({ Action = "x" }, {}) end)
  end)
end)

-- sign, encode and form_encode reuse one scratch buffer per Lua state (no allocation per call).
describe("the reused signing scratch", function()
  local params = { Action = "CreateCompShareInstance", Name = "scratch", Disks = { { IsBoot = true, Size = 40 } },
                   Tags = { "a", "b" }, Price = 1.5, Count = 3 }
  local expected_body, expected_sig = core.encode(params, "secret-key")

  it("gives the same answer after a large table, after an error and after form_encode", function()
    local big = {}
    for i = 1, 20000 do big["K" .. i] = ("v"):rep(100) end
    assert.are.equal(40, #core.sign(big, "secret-key"))      -- the scratch grows past its cap and is trimmed
    assert.is_false(pcall(core.sign, { A = { "x" }, ["A.0"] = "y" }, "secret-key"))
    assert.is_false(pcall(core.encode, { F = print }, "secret-key"))
    assert.is_truthy(core.form_encode({ Z = "last" }):find("Z=last", 1, true))
    local body, sig = core.encode(params, "secret-key")
    assert.are.same({ expected_body, expected_sig }, { body, sig })
    assert.are.equal(expected_sig, core.sign(params, "secret-key"))
  end)

  it("never leaves the private key in what form_encode or encode return next", function()
    core.sign(params, "PRIVATE-KEY-XYZ")
    assert.is_nil(core.form_encode({ A = "1" }):find("PRIVATE", 1, true))
    assert.is_nil((core.encode({ A = "1" }, "k")):find("PRIVATE", 1, true))
  end)

  it("is not corrupted by a finalizer that signs while a call is copying its answer out", function()
    local finalizing = require("support.sh").on_collect
    local inner_ok = true
    for _ = 1, 200 do
      for _ = 1, 20 do
        finalizing(function()
          local b = core.encode({ Other = ("x"):rep(300) }, "other-key")
          inner_ok = inner_ok and b:find("Other=xxx", 1, true) ~= nil
        end)
      end
      local body, sig = core.encode(params, "secret-key")
      assert.are.same({ expected_body, expected_sig }, { body, sig })
      assert.are.equal("Count=3&Name=x", core.form_encode({ Name = "x", Count = 3 }))
    end
    collectgarbage()
    assert.is_true(inner_ok)
  end)
end)
