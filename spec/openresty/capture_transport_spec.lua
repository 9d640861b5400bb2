-- compshare.transport.capture against a scripted `ngx` (the same inside a real nginx:
-- spec/openresty/capture_e2e.lua).
describe("compshare.transport.capture", function()
  local capture, phase, captured, answer, fallback_got

  local fallback = setmetatable({
    batch = function(reqs) fallback_got = reqs return { "batched" } end,
    close = function() fallback_got = "closed" end,
  }, { __call = function(_, req) fallback_got = req return { status = 200, body = "fallback" } end })

  before_each(function()
    phase, captured, fallback_got = "content", nil, nil
    answer = { status = 200, header = { ["X-UCLOUD-Request-UUID"] = "id-1", ["Set-Thing"] = { "1", "2" } }, body = "{}" }
    _G.ngx = {
      HTTP_POST = 8, HTTP_GET = 2, HTTP_PUT = 4, HTTP_DELETE = 32, HTTP_HEAD = 1,
      get_phase = function() return phase end,
      location = { capture = function(uri, opts) captured = { uri = uri, opts = opts } return answer end },
    }
    package.loaded["compshare.transport.capture"] = nil
    capture = require "compshare.transport.capture"
  end)

  after_each(function() _G.ngx = nil end)

  local function req(over)
    local r = { url = "https://api.compshare.cn", method = "POST", body = "Action=X&Signature=abc",
                headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["U-Timestamp-Ms"] = 123 },
                retry_safe = true, timeout = 5 }
    for k, v in pairs(over or {}) do r[k] = v end
    return r
  end

  it("needs the URI of a location, and knows two places for unsafe requests", function()
    assert.has_error(function() capture.new {} end)
    assert.has_error(function() capture.new { location = "compshare_api", fallback = fallback } end)
    assert.has_error(function() capture.new { location = "/a", unsafe = "sometimes", fallback = fallback } end)
    assert.is_table(capture.new { location = "/a", unsafe = "capture", fallback = fallback })
  end)

  it("sends the body to the location with the headers as variables; names lower-case, repeats joined", function()
    local t = capture.new { location = "/compshare_api", fallback = fallback }
    local res = assert(t(req()))
    assert.equal("/compshare_api", captured.uri)
    assert.equal(8, captured.opts.method)
    assert.equal("Action=X&Signature=abc", captured.opts.body)
    assert.same({ compshare_header_content_type = "application/x-www-form-urlencoded",
                  compshare_header_u_timestamp_ms = "123" }, captured.opts.vars)
    assert.same({ status = 200, body = "{}", headers = { ["x-ucloud-request-uuid"] = "id-1", ["set-thing"] = "1, 2" } }, res)
    assert.is_nil(fallback_got)
  end)

  it("gives a cut answer (nginx's upstream failed) and one over max_body as transport failures, sent", function()
    local t = capture.new { location = "/a", fallback = fallback, max_body = 4 }
    answer = { status = 502, header = {}, body = "", truncated = true }
    local res, err = t(req())
    assert.is_nil(res)
    assert.same({ "transport", "transport", true }, { err.kind, err.reason, err.sent })
    assert.matches("nginx's upstream for /a failed", err.message, 1, true)
    answer = { status = 504, header = {}, body = "", truncated = true }
    res, err = t(req())
    assert.is_nil(res)
    assert.same({ "timeout", "timeout", true }, { err.kind, err.reason, err.sent })
    answer = { status = 200, header = {}, body = "12345" }
    res, err = t(req())
    assert.is_nil(res)
    assert.matches("larger than 4 bytes", err.message, 1, true)
  end)

  it("hands what a subrequest cannot carry to the fallback: no request (a timer), unsafe requests", function()
    local t = capture.new { location = "/a", fallback = fallback }
    phase = "timer"
    assert.equal("fallback", t(req()).body)
    assert.same({ "batched" }, t.batch({ req() }, 2))
    phase = "content"
    local unsafe = req { retry_safe = false }
    assert.equal("fallback", t(unsafe).body)
    assert.equal(unsafe, fallback_got)
    assert.is_nil(captured)
    t = capture.new { location = "/a", fallback = fallback, unsafe = "capture" }
    assert.equal("{}", t(unsafe).body)
    assert.equal("/a", captured.uri)
    t.close()
    assert.equal("closed", fallback_got)
  end)

  it("raises on a header that would split the request, drops the ones nginx writes", function()
    local t = capture.new { location = "/a", fallback = fallback }
    assert.has_error(function() t(req { headers = { ["X-A"] = "1\r\nX-Injected: 1" } }) end)
    assert.has_error(function() t(req { headers = { ["Bad Name"] = "1" } }) end)
    assert.has_error(function() t(req { headers = { ["X-A"] = "a\0b" } }) end)
    assert.is_nil(captured)
    assert(t(req { headers = { Host = "evil", ["Content-Length"] = "9", ["X-A"] = "1" } }))
    assert.same({ compshare_header_x_a = "1" }, captured.opts.vars)
  end)

  it("refuses a method it cannot map, before sending", function()
    local t = capture.new { location = "/a", fallback = fallback }
    local res, err = t(req { method = "PATCH" })
    assert.is_nil(res)
    assert.is_false(err.sent)
    assert.is_nil(captured)
  end)
end)
