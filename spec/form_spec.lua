-- compshare.core form encoding (application/x-www-form-urlencoded, as Go's url.Values.Encode).
local core = require "compshare.core"

describe("core.form_encode", function()
  it("sorts keys by bytes and joins key=value with &", function()
    assert.are.equal("B=1&a=2&b=3", core.form_encode { b = "3", a = "2", B = "1" })
  end)

  it("percent-encodes UTF-8 bytes in upper-case hex", function()
    assert.are.equal("Name=%E6%88%91%E7%9A%84AI%E7%8E%AF%E5%A2%83", core.form_encode { Name = "我的AI环境" })
  end)

  it("escapes every reserved character and keeps only A-Z a-z 0-9 - _ . ~", function()
    local reserved = "!#$%&'()*+,/:;=?@[]\"<>\\^`{|}"
    local expected = reserved:gsub(".", function(c) return ("%%%02X"):format(c:byte()) end)
    assert.are.equal("R=" .. expected, core.form_encode { R = reserved })
    assert.are.equal("U=AZaz09-_.~", core.form_encode { U = "AZaz09-_.~" })
  end)

  it("writes a space as + and control bytes as %XX", function()
    assert.are.equal("S=a+b+%0A%00", core.form_encode { S = "a b \n\0" })
  end)

  it("writes each of the 256 bytes the same wherever it falls in a value (the check reads 4 at a time)", function()
    for c = 0, 255 do
      local ch = string.char(c)
      local want = ch:find("^[A-Za-z0-9_.~-]$") and ch or (ch == " " and "+" or ("%%%02X"):format(c))
      for pad = 0, 5 do
        local before, after = ("a"):rep(pad), ("b"):rep(5 - pad)
        assert.are.equal("V=" .. before .. want .. after, core.form_encode { V = before .. ch .. after })
      end
    end
  end)

  it("keeps empty strings as key=", function()
    assert.are.equal("A=&B=x", core.form_encode { A = "", B = "x" })
  end)

  it("escapes keys too", function()
    assert.are.equal("a+b%3D=1", core.form_encode { ["a b="] = "1" })
  end)

  it("encodes a 5000-item array in order and decodes it back", function()
    local tags = {}
    for i = 1, 5000 do tags[i] = "标签 " .. i end
    local body = core.encode({ Action = "X", Tags = tags }, "k")
    local decoded = core.form_decode(body)
    local count = 0
    for k in pairs(decoded) do
      if k:find("^Tags%.") then count = count + 1 end
    end
    assert.are.equal(5000, count)
    assert.are.equal("标签 1", decoded["Tags.0"])
    assert.are.equal("标签 5000", decoded["Tags.4999"])
    assert.is_truthy(body:find("Tags.0=%E6%A0%87%E7%AD%BE+1&Tags.1=", 1, true))
    assert.is_truthy(body:find("Tags.10=.-&Tags.100=.-&Tags.1000=.-&Tags.1001=")) -- byte order
  end)
end)

describe("core.form_decode", function()
  it("decodes + and %XX in either case", function()
    assert.are.same({ a = "x y", ["b c"] = "深", d = "/" }, core.form_decode("a=x+y&b+c=%E6%b7%B1&d=%2f"))
  end)

  it("keeps a stray % and reads a key without = as empty", function()
    assert.are.same({ p = "100%", q = "%zz", flag = "" }, core.form_decode("p=100%&q=%zz&flag"))
  end)

  it("skips empty pairs and keeps the last of repeated keys", function()
    assert.are.same({ a = "2", b = "" }, core.form_decode("&a=1&&a=2&b=&"))
  end)

  it("round-trips every byte value", function()
    local chars, values = {}, {}
    for b = 0, 255 do chars[#chars + 1] = string.char(b) end
    local all = table.concat(chars)
    for i = 1, 40 do
      local from = (i * 37) % 256 + 1
      values["K" .. i] = all:sub(from) .. all:sub(1, from - 1) .. "=&+% " .. i
    end
    values.Empty = ""
    assert.are.same(values, core.form_decode(core.form_encode(values)))
  end)
end)
