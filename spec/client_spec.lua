-- The client over a stub transport: request shape, common parameters, error mapping, secrecy.
local compshare = require "compshare"
local core = require "compshare.core"
local json = require "cjson"

local PRIVATE = "client-spec-private-key-0123456789"
local BASE = "http://127.0.0.1:9/api"

-- A transport answering from `answers` in turn (a res table, or {nil, err}); records requests.
local function stub(...)
  local answers = { ... }
  local t = { requests = {} }
  return setmetatable(t, { __call = function(_, req)
    t.requests[#t.requests + 1] = req
    local a = answers[math.min(#t.requests, #answers)]
    if a.status then return a end
    return nil, a[2]
  end })
end

local function ok_body(extra)
  local b = { RetCode = 0, Action = "DescribeCompShareImagesResponse" }
  for k, v in pairs(extra or {}) do b[k] = v end
  return { status = 200, headers = { ["x-ucloud-request-uuid"] = "req-123" }, body = json.encode(b) }
end

local function client(transport, opts)
  local o = { public_key = "my_public_key", private_key = PRIVATE, region = "cn-wlcb", zone = "cn-wlcb-01",
              project_id = "org-xyz", base_url = BASE, timeout = 7, transport = transport, sleep = function() end }
  for k, v in pairs(opts or {}) do o[k] = v end
  return compshare.new(o)
end

-- Every string reachable from v, joined (to look for the private key anywhere).
local function all_strings(v, out, seen)
  out, seen = out or {}, seen or {}
  if type(v) == "string" then out[#out + 1] = v end
  if type(v) == "table" and not seen[v] then
    seen[v] = true
    for k, x in pairs(v) do
      all_strings(k, out, seen)
      all_strings(x, out, seen)
    end
  end
  return table.concat(out, "\n")
end

local function without_key(s)
  assert.is_nil(s:find(PRIVATE, 1, true), "private key leaked: " .. s)
end

describe("client request shape", function()
  it("POSTs a signed form to the base URL with the SDK headers", function()
    local t = stub(ok_body())
    local before = os.time() * 1000
    assert.is_table(client(t):call("DescribeCompShareImages", { ImageType = "System", Limit = 20 }))
    local req = t.requests[1]
    assert.are.equal("POST", req.method)
    assert.are.equal(BASE, req.url)
    assert.are.equal(7, req.timeout)
    assert.are.equal("application/x-www-form-urlencoded", req.headers["Content-Type"])
    local lua_version = (jit and jit.version) or _VERSION
    local ua = req.headers["User-Agent"]
    assert.are.equal("compshare-lua/" .. compshare._VERSION, ua:match("^%S+"))
    assert.is_truthy(ua:find(lua_version, 1, true), ua)
    local ms = tonumber(req.headers["U-Timestamp-Ms"])
    assert.is_number(ms)
    assert.is_true(ms >= before - 1000 and ms <= os.time() * 1000 + 1000)

    local form = core.form_decode(req.body)
    local signature = form.Signature
    form.Signature = nil
    assert.are.same({ Action = "DescribeCompShareImages", ImageType = "System", Limit = "20",
                      PublicKey = "my_public_key", Region = "cn-wlcb", Zone = "cn-wlcb-01",
                      ProjectId = "org-xyz" }, form)
    assert.are.equal(core.sign(form, PRIVATE), signature)
    assert.are_not.equal(core.sign(form, PRIVATE .. "x"), signature)
  end)

  it("lets a call give its own Region, Zone and ProjectId", function()
    local t = stub(ok_body())
    client(t):call("DescribeCompShareImages", { Region = "cn-sh2", Zone = "cn-sh2-02", ProjectId = "org-other" })
    local form = core.form_decode(t.requests[1].body)
    assert.are.same({ "cn-sh2", "cn-sh2-02", "org-other" }, { form.Region, form.Zone, form.ProjectId })
  end)

  it("leaves out common parameters that are not configured", function()
    local t = stub(ok_body())
    -- compshare.client directly: compshare.new would also look at UCLOUD_* and ~/.ucloud.
    local c = require("compshare.client").new({ public_key = "my_public_key", private_key = PRIVATE,
                                                region = "cn-wlcb", base_url = BASE, transport = t }, "0.0.0")
    c:call("DescribeCompShareImages", {})
    local form = core.form_decode(t.requests[1].body)
    assert.are.equal("cn-wlcb", form.Region)
    assert.is_nil(form.Zone)
    assert.is_nil(form.ProjectId)
  end)

  it("uses a per-call timeout", function()
    local t = stub(ok_body())
    client(t):call("DescribeCompShareImages", {}, { timeout = 2.5 })
    assert.are.equal(2.5, t.requests[1].timeout)
  end)

  it("returns the decoded response on RetCode 0, also when RetCode is a string", function()
    local res = client(stub(ok_body { TotalCount = 3 })):call("DescribeCompShareImages", {})
    assert.are.same({ 0, 3 }, { res.RetCode, res.TotalCount })
    local t = stub({ status = 200, headers = {}, body = '{"RetCode":"0","ImageSet":[]}' })
    res = client(t):call("DescribeCompShareImages", {})
    assert.are.equal(0, res.RetCode)
  end)
end)

describe("client error mapping", function()
  local function fails(answer, call_opts)
    local res, err = client(stub(answer)):call("DescribeCompShareImages", { Limit = 1 }, call_opts)
    assert.is_nil(res)
    assert.is_table(err)
    assert.are.equal("DescribeCompShareImages", err.action)
    assert.is_nil(tostring(err):find("\n"))
    return err
  end

  it("RetCode != 0 is an api error with the code, message and request id", function()
    local err = fails { status = 200, headers = { ["x-ucloud-request-uuid"] = "uuid-1" },
                        body = '{"RetCode":171,"Message":"Signature VerifyAC Error"}' }
    assert.are.same({ "api", 171, "Signature VerifyAC Error", "uuid-1" },
      { err.kind, err.code, err.message, err.request_id })
    assert.is_false(err.retryable)
    assert.is_truthy(tostring(err):find("171", 1, true))
  end)

  it("a RetCode sent as a string still counts", function()
    local err = fails { status = 200, headers = {}, body = '{"RetCode":"8039","Message":"no quota"}' }
    assert.are.same({ "api", 8039 }, { err.kind, err.code })
  end)

  it("HTTP >= 400 is an http error with the status", function()
    local err = fails { status = 503, headers = { ["X-UCLOUD-REQUEST-UUID"] = "uuid-2" }, body = "busy" }
    assert.are.same({ "http", 503, "uuid-2" }, { err.kind, err.code, err.request_id })
    assert.are.same({ "http", 404 }, { fails { status = 404, headers = {}, body = "" }.kind,
                                       fails { status = 404, headers = {}, body = "" }.code })
  end)

  it("bad JSON, a non-object and an empty body are decode errors", function()
    assert.are.equal("decode", fails { status = 200, headers = {}, body = "<html>oops</html>" }.kind)
    assert.are.equal("decode", fails { status = 200, headers = {}, body = "[1,2]" }.kind)
    assert.are.equal("decode", fails { status = 200, headers = {}, body = '{"Message":"no RetCode"}' }.kind)
    local err = fails { status = 200, headers = {}, body = "" }
    assert.are.equal("decode", err.kind)
    assert.is_truthy(err.message:find("empty"))
  end)

  it("transport failures keep whether the request was sent", function()
    local err = fails { nil, { kind = "transport", reason = "connect", message = "refused", sent = false } }
    assert.are.same({ "transport", "refused", false }, { err.kind, err.message, err.maybe_applied })
    err = fails { nil, { kind = "transport", reason = "reset", message = "reset by peer", sent = true } }
    assert.are.same({ "transport", true }, { err.kind, err.maybe_applied })
  end)

  it("timeouts are timeout errors, from a table or a plain message", function()
    assert.are.equal("timeout", fails({ nil, { kind = "timeout", message = "took too long", sent = true } }).kind)
    assert.are.equal("timeout", fails({ nil, "operation timed out" }).kind)
    assert.are.equal("transport", fails({ nil, "connection refused" }).kind)
  end)

  it("sends once by default (max_retries = 0)", function()
    local t = stub({ status = 503, headers = {}, body = "" })
    client(t):call("DescribeCompShareImages", {})
    assert.are.equal(1, #t.requests)
  end)
end)

describe("the private key", function()
  it("is not in tostring(client) nor in any field of the client", function()
    local c = client(stub(ok_body()))
    without_key(tostring(c))
    without_key(all_strings(c))
  end)

  it("is in no error, even when the transport or the server repeats it", function()
    local answers = {
      { status = 200, headers = {}, body = json.encode { RetCode = 171, Message = "bad key " .. PRIVATE } },
      { status = 500, headers = {}, body = "echo " .. PRIVATE },
      { status = 200, headers = {}, body = "not json " .. PRIVATE },
      { nil, { kind = "transport", message = "failed with " .. PRIVATE, sent = false } },
      { nil, "timed out " .. PRIVATE },
    }
    for _, a in ipairs(answers) do
      local res, err = client(stub(a)):call("DescribeCompShareImages", { Name = "x" })
      assert.is_nil(res)
      without_key(tostring(err))
      without_key(all_strings(err))
    end
  end)

  it("is in no validation error", function()
    local _, err = client(stub(ok_body())):call("DescribeCompShareImages", { Bad = print })
    assert.are.equal("validation", err.kind)
    without_key(tostring(err))
    without_key(all_strings(err))
  end)
end)
