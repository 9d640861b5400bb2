-- opts.logger sees every request and response with secrets redacted, and the
-- private key never shows up in logs, errors, tostring(client) or a dump.
local compshare = require "compshare"
local log = require "compshare.log"
local stub = require "compshare.stub"
local dump = require "support.faults_dump"

local PRIVATE = "PRIV-46f09bb9fab4f12dfc160dae12273d53+/="
local PUBLIC = "ucloudsomeone@example.com1296235120854146120"

local function client_with(answers, opts)
  local lines = {}
  local t = stub.new(answers)
  local o = { public_key = PUBLIC, private_key = PRIVATE, region = "cn-wlcb", zone = "cn-wlcb-01",
              transport = t, sleep = function() end, random = function() return 0 end,
              logger = function(line) lines[#lines + 1] = line end }
  for k, v in pairs(opts or {}) do o[k] = v end
  return compshare.new(o), t, lines
end

local function no_secret(text)
  assert.is_nil(text:find(PRIVATE, 1, true), "private key found in: " .. text)
  assert.is_nil(text:find("46f09bb9fab4f12dfc160dae12273d53", 1, true), "private key found in: " .. text)
end

describe("logger", function()
  it("sees each request and each response, once per attempt", function()
    local c, _, lines = client_with({ { status = 503, headers = {}, body = "busy" }, { TotalCount = 0 } },
      { max_retries = 1 })
    assert.truthy(c:call("DescribeCompShareInstance", { Limit = 5 }))
    local requests, responses = 0, 0
    for _, l in ipairs(lines) do
      if l:find("^compshare %->") then requests = requests + 1 end
      if l:find("^compshare <%-") then responses = responses + 1 end
    end
    assert.equal(2, requests)
    assert.equal(2, responses)
    local all = table.concat(lines, "\n")
    assert.matches("DescribeCompShareInstance attempt 1", all, 1, true)
    assert.matches("Limit=5", all, 1, true)
    assert.matches("HTTP 503", all, 1, true)
    assert.matches("retrying in", all, 1, true)
    assert.matches('"TotalCount":0', all, 1, true)
  end)

  it("sees the requests and answers of a batch too, redacted", function()
    local c, t, lines = client_with { { TotalCount = 1 }, { status = 502, headers = {}, body = "bad gateway" } }
    local results = c:batch { { "DescribeCompShareInstance", { Limit = 1 } },
                              { "DescribeCompShareInstance", { Limit = 2 } } }
    assert.equal(2, #results)
    local all = table.concat(lines, "\n")
    assert.matches("Limit=1", all, 1, true)
    assert.matches("Limit=2", all, 1, true)
    assert.matches("HTTP 200", all, 1, true)
    assert.matches("HTTP 502", all, 1, true)
    assert.is_nil(all:find(t.requests[1].params.Signature, 1, true))
    assert.is_nil(all:find(PUBLIC, 1, true))
    no_secret(all)
  end)

  it("redacts Signature, PublicKey and Password in requests", function()
    local c, t, lines = client_with { { UHostIds = { "uhost-1" } } }
    c:call("CreateCompShareInstance", { Name = "n", Password = "SuperSecret1", Disks = { { Password = "DiskPw9" } } })
    local sent = t.requests[1].params
    local all = table.concat(lines, "\n")
    assert.truthy(sent.Signature and #sent.Signature == 40)
    assert.is_nil(all:find(sent.Signature, 1, true))
    assert.is_nil(all:find(PUBLIC, 1, true))
    assert.is_nil(all:find("ucloudsomeone", 1, true))
    assert.is_nil(all:find("SuperSecret1", 1, true))
    assert.is_nil(all:find("DiskPw9", 1, true))
    assert.matches("Signature=***", all, 1, true)
    assert.matches("PublicKey=***", all, 1, true)
    assert.matches("Password=***", all, 1, true)
    assert.matches("Name=n", all, 1, true)
    no_secret(all)
  end)

  it("redacts Password in JSON responses, escaped quotes included", function()
    local c, _, lines = client_with { { status = 200, headers = {},
      body = '{"RetCode":0,"UHostSet":[{"Name":"a","Password":"pa\\"ss word"}]}' } }
    assert.truthy(c:call("DescribeCompShareInstance", {}))
    local all = table.concat(lines, "\n")
    assert.is_nil(all:find("ss word", 1, true))
    assert.matches('"Password":"***"', all, 1, true)
    assert.matches('"Name":"a"', all, 1, true)
  end)

  it("shortens long bodies after redacting them", function()
    local big = '{"RetCode":0,"X":"' .. ("a"):rep(20000) .. '","Password":"' .. PRIVATE .. '"}'
    local line = log.body(big, PRIVATE)
    assert.is_true(#line < log.MAX_BODY + 64)
    assert.matches("(%d+ bytes)", line)
    -- a secret that straddles the cut is masked before the cut
    local straddle = ("b"):rep(log.MAX_BODY - 5) .. PRIVATE
    local cut = log.body(straddle, PRIVATE)
    assert.is_nil(cut:find(PRIVATE:sub(1, 5), 1, true))
  end)

  it("cuts a 10 MB body (a scan that is not linear would not finish; nothing here is timed)", function()
    local line = log.body(("x"):rep(10 * 1024 * 1024) .. "=y&Password=p" .. ("\"a"):rep(1000), PRIVATE)
    assert.matches("(%d+ bytes)", line)
    assert.is_true(#line < log.MAX_BODY + 64)
  end)

  it("masks form secrets at any depth and only those", function()
    assert.equal("A=1&Signature=***&Disks.0.Password=***&PublicKeyX=2",
      log.redact_form("A=1&Signature=abc&Disks.0.Password=p&PublicKeyX=2"))
  end)

  it("scrubs the private key in raw and percent-encoded form", function()
    assert.equal("x *** y *** z", log.scrub("x " .. PRIVATE .. " y PRIV-46f09bb9fab4f12dfc160dae12273d53%2B%2F%3D z",
      PRIVATE))
  end)
end)

describe("the private key", function()
  local bad = {
    { "an HTTP error whose body echoes it", { status = 500, headers = {}, body = "key " .. PRIVATE } },
    { "a RetCode whose Message echoes it", { RetCode = 171, Message = "bad sig for " .. PRIVATE } },
    { "a transport failure mentioning it", { error = { kind = "transport", message = "oops " .. PRIVATE,
      sent = false } } },
    { "a timeout", { error = { kind = "timeout", message = "timed out", sent = true } } },
    { "a body that is not JSON", { status = 200, headers = {}, body = PRIVATE } },
    { "an empty body", { status = 200, headers = {}, body = "" } },
    { "a 429 with Retry-After", { status = 429, headers = { ["retry-after"] = "1" }, body = PRIVATE } },
  }
  for _, case in ipairs(bad) do
    it("stays out of errors and logs on " .. case[1], function()
      local c, _, lines = client_with({ case[2], case[2] }, { max_retries = 1 })
      local res, err = c:call("CreateCompShareInstance", { Name = "x" })
      assert.is_nil(res)
      no_secret(tostring(err))
      no_secret(dump(err))
      no_secret(table.concat(lines, "\n"))
      assert.is_true(#lines >= 2)
    end)
  end

  it("stays out of validation errors", function()
    local c = client_with {}
    local _, err = c:call("DescribeCompShareInstance", { Bad = function() end })
    assert.equal("validation", err.kind)
    no_secret(tostring(err))
    no_secret(dump(err))
  end)

  it("is not in tostring(client) nor anywhere in a dump of the client", function()
    local c = client_with { { TotalCount = 0 } }
    assert.truthy(c:call("DescribeCompShareInstance", {}))
    no_secret(tostring(c))
    no_secret(dump(c))
    for k, v in pairs(c) do
      assert.is_false(v == PRIVATE, "client field " .. tostring(k) .. " holds the private key")
    end
  end)

  it("is not kept by the default transport", function()
    local c = compshare.new { public_key = PUBLIC, private_key = PRIVATE, region = "cn-wlcb" }
    no_secret(dump(c))
    -- the transport is built from a copy of the options without the private key
    for i = 1, 10 do
      local name, value = debug.getupvalue(getmetatable(c.transport).__call, i)
      if not name then break end
      no_secret(dump(value))
    end
  end)
end)
