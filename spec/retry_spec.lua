-- Retry policy: what is retried, how often, how long it waits, and that
-- actions which are not safe to repeat are never sent twice once they may
-- have reached the server.
local compshare = require "compshare"
local retry = require "compshare.retry"
local stub = require "compshare.stub"

local CREATE = "CreateCompShareInstance"
local READ = "DescribeCompShareInstance"

-- A client over a scripted transport; sleeps are recorded, never taken.
local function client_with(answers, opts)
  local t = stub.new(answers)
  local waits = {}
  local o = { public_key = "pub-key-0001", private_key = "priv-key-0001", region = "cn-wlcb",
              zone = "cn-wlcb-01", transport = t, random = function() return 0 end,
              sleep = function(s) waits[#waits + 1] = s end }
  for k, v in pairs(opts or {}) do o[k] = v end
  return compshare.new(o), t, waits
end

local function http(status, headers)
  return { status = status, headers = headers or {}, body = "busy" }
end

local rep = require("support.fixtures").rep

describe("retry policy", function()
  it("does not retry by default (max_retries = 0)", function()
    local c, t = client_with { http(503) }
    local res, err = c:call(READ, {})
    assert.is_nil(res)
    assert.equal("http", err.kind)
    assert.equal(503, err.code)
    assert.equal(1, #t.requests)
    assert.equal(1, err.attempts)
    assert.is_true(err.retryable)
  end)

  for _, status in ipairs { 429, 502, 503, 504 } do
    it("retries HTTP " .. status .. " for a read, then succeeds", function()
      local answers = rep(http(status), 3)
      answers[4] = { TotalCount = 0, UHostSet = {} }
      local c, t, waits = client_with(answers, { max_retries = 3 })
      local res, err = c:call(READ, {})
      assert.is_nil(err)
      assert.equal(0, res.TotalCount)
      assert.equal(4, #t.requests)
      assert.equal(3, #waits)
    end)
  end

  for _, status in ipairs { 400, 403, 404, 500, 501 } do
    it("never retries HTTP " .. status, function()
      local c, t = client_with({ http(status), http(status) }, { max_retries = 3 })
      local _, err = c:call(READ, {})
      assert.equal(status, err.code)
      assert.is_false(err.retryable)
      assert.equal(1, #t.requests)
    end)
  end

  it("stops after max_retries and reports the attempts", function()
    local c, t = client_with(rep(http(502), 5), { max_retries = 2 })
    local _, err = c:call(READ, {})
    assert.equal(502, err.code)
    assert.equal(3, #t.requests)
    assert.equal(3, err.attempts)
  end)

  it("takes max_retries per call over the client's", function()
    local c, t = client_with(rep(http(503), 5), { max_retries = 0 })
    c:call(READ, {}, { max_retries = 2 })
    assert.equal(3, #t.requests)

    local c2, t2 = client_with(rep(http(503), 5), { max_retries = 3 })
    c2:call(READ, {}, { max_retries = 0 })
    assert.equal(1, #t2.requests)
  end)

  it("passes call options through the typed wrappers", function()
    local c, t = client_with(rep(http(503), 5))
    assert.is_function(c[READ])
    local _, err = c[READ](c, {}, { max_retries = 1 })
    assert.equal(503, err.code)
    assert.equal(2, #t.requests)
  end)

  it("raises on a max_retries that is not a whole number >= 0", function()
    assert.has_error(function() client_with({}, { max_retries = -1 }) end)
    local c = client_with { http(503) }
    assert.has_error(function() c:call(READ, {}, { max_retries = 1.5 }) end)
    assert.has_error(function() c:call(READ, {}, { max_retries = "3" }) end)
  end)

  it("retries RetCode >= 2000 for a read, not below", function()
    local c, t = client_with({ { RetCode = 2000, Message = "busy" }, { TotalCount = 1, UHostSet = {} } },
      { max_retries = 3 })
    local res = c:call(READ, {})
    assert.equal(1, res.TotalCount)
    assert.equal(2, #t.requests)

    local c2, t2 = client_with({ { RetCode = 1999, Message = "no" }, { TotalCount = 1 } }, { max_retries = 3 })
    local _, err = c2:call(READ, {})
    assert.equal("api", err.kind)
    assert.equal(1999, err.code)
    assert.is_false(err.retryable)
    assert.equal(1, #t2.requests)
  end)

  it("retries a connection that failed before sending, even for a create", function()
    local c, t = client_with({
      { error = { kind = "transport", reason = "connect", message = "refused", sent = false } },
      { UHostIds = { "uhost-1" } },
    }, { max_retries = 3 })
    local res = c:call(CREATE, { Name = "a" })
    assert.same({ "uhost-1" }, res.UHostIds)
    assert.equal(2, #t.requests)
  end)

  it("retries a timeout after sending for a read (safe to repeat)", function()
    local c, t = client_with({
      { error = { kind = "timeout", message = "slow", sent = true } },
      { TotalCount = 0 },
    }, { max_retries = 3 })
    assert.truthy(c:call(READ, {}))
    assert.equal(2, #t.requests)
  end)

  it("retries a 429 for a create: a rate limiter rejects before any work", function()
    local c, t = client_with({ http(429), { UHostIds = { "uhost-9" } } }, { max_retries = 3 })
    local res = c:call(CREATE, { Name = "a" })
    assert.same({ "uhost-9" }, res.UHostIds)
    assert.equal(2, #t.requests)
  end)

  describe("a create that may have reached the server", function()
    local cases = {
      { "a timeout after sending", { error = { kind = "timeout", message = "slow", sent = true } }, "timeout" },
      { "a reset connection", { error = { kind = "transport", reason = "reset", message = "reset", sent = true } },
        "transport" },
      { "HTTP 500", http(500), "http" },
      { "HTTP 502", http(502), "http" },
      { "HTTP 503", http(503), "http" },
      { "HTTP 504", http(504), "http" },
      { "a 200 with a body that is not JSON", { status = 200, headers = {}, body = "<html>oops</html>" }, "decode" },
      { "a 200 with an empty body", { status = 200, headers = {}, body = "" }, "decode" },
    }
    for _, case in ipairs(cases) do
      it("is sent once on " .. case[1] .. ", with maybe_applied and a hint", function()
        local c, t, waits = client_with(rep(case[2], 4), { max_retries = 3 })
        local res, err = c:call(CREATE, { Name = "a" })
        assert.is_nil(res)
        assert.equal(case[3], err.kind)
        assert.equal(1, #t.requests)
        assert.equal(0, #waits)
        assert.is_true(err.maybe_applied)
        assert.is_false(err.retryable)
        assert.matches("not safe to repeat", err.hint)
        assert.matches("may have been applied", tostring(err))
      end)
    end

    it("is not retried on RetCode >= 2000 either (the server answered)", function()
      local c, t = client_with(rep({ RetCode = 2001, Message = "internal" }, 4), { max_retries = 3 })
      local _, err = c:call(CREATE, { Name = "a" })
      assert.equal("api", err.kind)
      assert.equal(1, #t.requests)
      assert.is_false(err.retryable)
      assert.falsy(err.maybe_applied)
    end)
  end)
end)

describe("backoff", function()
  it("grows exponentially up to the cap, with full jitter", function()
    local c, _, waits = client_with(rep(http(503), 12),
      { max_retries = 10, random = function() return 1 end })
    c:call(READ, {})
    assert.equal(10, #waits)
    for i = 1, 10 do
      assert.near(math.min(retry.CAP, retry.BASE * 2 ^ (i - 1)), waits[i], 1e-9)
    end
    assert.equal(retry.CAP, waits[10])
  end)

  it("draws each wait uniformly below the ceiling", function()
    assert.equal(0, retry.delay(3, nil, function() return 0 end))
    assert.near(0.2, retry.delay(3, nil, function() return 0.5 end), 1e-9)
    for _ = 1, 100 do
      local d = retry.delay(5, nil, math.random)
      assert.is_true(d >= 0 and d <= retry.BASE * 16)
    end
  end)

  it("honours Retry-After in seconds", function()
    local c, t, waits = client_with({ http(429, { ["retry-after"] = "3" }), { TotalCount = 0 } },
      { max_retries = 1 })
    assert.truthy(c:call(READ, {}))
    assert.equal(2, #t.requests)
    assert.same({ 3 }, waits)
  end)

  it("gives up when Retry-After asks for more than MAX_RETRY_AFTER", function()
    local c, t, waits = client_with({ http(503, { ["retry-after"] = "3600" }), { TotalCount = 0 } },
      { max_retries = 3 })
    local _, err = c:call(READ, {})
    assert.equal(503, err.code)
    assert.equal(3600, err.retry_after)
    assert.equal(1, #t.requests)
    assert.equal(0, #waits)
  end)

  it("reads Retry-After as delta-seconds or an HTTP date", function()
    assert.equal(120, retry.parse_retry_after("120"))
    assert.equal(7, retry.parse_retry_after(" 7 "))
    local at = 784111777 -- Sun, 06 Nov 1994 08:49:37 GMT
    assert.equal(30, retry.parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at - 30))
    assert.equal(0, retry.parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + 30))
    assert.equal(951868800, retry.parse_retry_after("Wed, 01 Mar 2000 00:00:00 GMT", 0))
    assert.equal(1835438400, retry.parse_retry_after("Tue, 29 Feb 2028 12:00:00 GMT", 0))
    assert.is_nil(retry.parse_retry_after("soon"))
    assert.is_nil(retry.parse_retry_after("-5"))
    assert.is_nil(retry.parse_retry_after(nil))
  end)
end)
