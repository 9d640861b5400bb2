local compshare = require "compshare"
local stub = require "compshare.stub"

local SECRET = "stub-spec-private-key"

local function client_for(transport)
  return compshare.new { transport = transport, public_key = "stub-public", private_key = SECRET,
    region = "cn-wlcb", zone = "cn-wlcb-01" }
end

describe("compshare.stub", function()
  it("answers a Lua table as a RetCode 0 JSON body and records the decoded request", function()
    local t = stub.new { { UHostIds = { "uhost-1" } } }
    local res, err = client_for(t):call("CreateCompShareInstance",
      { GPU = 1, Disks = { { IsBoot = true, Size = 200 } }, Name = "a b&c" })
    assert.is_nil(err)
    assert.equal(0, res.RetCode)
    assert.equal("CreateCompShareInstanceResponse", res.Action)
    assert.same({ "uhost-1" }, res.UHostIds)
    assert.equal(1, #t.requests)
    local p = t.requests[1].params
    assert.equal("CreateCompShareInstance", p.Action)
    assert.equal("1", p.GPU)
    assert.equal("true", p["Disks.0.IsBoot"])
    assert.equal("200", p["Disks.0.Size"])
    assert.equal("a b&c", p.Name)
    assert.equal("stub-public", p.PublicKey)
    assert.matches("^%x+$", p.Signature)
    assert.equal("CreateCompShareInstance", t.requests[1].action)
  end)

  it("never records the private key", function()
    local t = stub.new { {} }
    client_for(t):call("DescribeCompShareInstance", {})
    for _, v in pairs(t.requests[1].params) do assert.is_nil(tostring(v):find(SECRET, 1, true)) end
    assert.is_nil(t.requests[1].body:find(SECRET, 1, true))
  end)

  it("passes a RetCode answer through as an api error", function()
    local t = stub.new { { RetCode = 8000, Message = "no stock" } }
    local res, err = client_for(t):call("CreateCompShareInstance", {})
    assert.is_nil(res)
    assert.equal("api", err.kind)
    assert.equal(8000, err.code)
    assert.equal("no stock", err.message)
  end)

  it("sends a raw answer as it is", function()
    local t = stub.new { { status = 503, headers = { ["retry-after"] = "1" }, body = "busy" } }
    local _, err = client_for(t):call("DescribeCompShareInstance", {})
    assert.equal("http", err.kind)
    assert.equal(503, err.code)
  end)

  it("turns { error = ... } into a transport failure", function()
    local t = stub.new { { error = { kind = "timeout", message = "too slow", sent = true } } }
    local _, err = client_for(t):call("DescribeCompShareInstance", {})
    assert.equal("timeout", err.kind)
    assert.equal("too slow", err.message)
    assert.is_true(err.maybe_applied)
  end)

  it("calls a function answer with the request, decoded params included", function()
    local t = stub.new { function(req) return { Echo = req.params.UHostId } end }
    local res = client_for(t):call("StopCompShareInstance", { UHostId = "uhost-9" })
    assert.equal("uhost-9", res.Echo)
  end)

  it("answers in order and raises a clear error when the queue runs dry", function()
    local t = stub.new { { N = 1 } }
    t:push { N = 2 }
    assert.equal(2, t:remaining())
    local c = client_for(t)
    assert.equal(1, c:call("DescribeCompShareInstance", {}).N)
    assert.equal(2, c:call("DescribeCompShareInstance", {}).N)
    assert.equal(0, t:remaining())
    assert.has_error(function() c:call("StartCompShareInstance", { UHostId = "u" }) end,
      "compshare.stub: no scripted answer left for request #3 (Action=StartCompShareInstance)")
  end)

  it("rejects answers that are neither tables nor functions", function()
    assert.has_error(function() stub.new { "nope" } end)
    assert.has_error(function() stub.new(42) end)
  end)
end)
