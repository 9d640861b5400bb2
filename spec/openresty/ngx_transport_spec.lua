-- The cosocket transport's HTTP/1.1 handling, against a scripted fake `ngx`.
-- The same transport inside a real nginx: spec/openresty/nginx_e2e.lua.
local fake_ngx = require "openresty.fake_ngx"

local function ok_response(body, extra)
  return "HTTP/1.1 200 OK\r\nContent-Length: " .. #body .. "\r\n" .. (extra or "") .. "\r\n" .. body
end

describe("compshare.transport.ngx", function()
  local fake, transport, answers

  local function serve(...)
    answers = { ... }
  end

  before_each(function()
    answers = {}
    fake = fake_ngx.new(function(bytes, conn)
      local a = table.remove(answers, 1)
      if type(a) == "function" then return a(bytes, conn) end
      if not a then return nil, "closed" end  -- false: the server closes without answering
      return a
    end)
    _G.ngx = fake.ngx
    package.loaded["compshare.transport.ngx"] = nil
    transport = require "compshare.transport.ngx"
  end)

  after_each(function()
    _G.ngx = nil
  end)

  local function req(over)
    local r = { url = "http://127.0.0.1:8080/", method = "POST", body = "Action=X&Signature=abc",
                headers = { ["Content-Type"] = "application/x-www-form-urlencoded", ["User-Agent"] = "t/1" },
                timeout = 5 }
    for k, v in pairs(over or {}) do r[k] = v end
    return r
  end

  describe("parse_url", function()
    it("fills in default ports, paths and the Host authority", function()
      local u = transport.parse_url("https://api.compshare.cn")
      assert.same({ tls = true, host = "api.compshare.cn", port = 443, path = "/", authority = "api.compshare.cn" }, u)
      u = transport.parse_url("http://127.0.0.1:9000/x/y?a=1#frag")
      assert.same({ tls = false, host = "127.0.0.1", port = 9000, path = "/x/y?a=1", authority = "127.0.0.1:9000" }, u)
      assert.equal("/?q", transport.parse_url("HTTP://h?q").path)
      assert.equal("[::1]", transport.parse_url("http://[::1]:81/").host)
    end)

    it("rejects what it cannot speak, with the reason", function()
      for url, why in pairs {
        ["ftp://h/"] = "unsupported URL", ["api.compshare.cn"] = "unsupported URL",
        ["http://h:0/"] = "bad port", ["http://h:99999/"] = "bad port", ["http://h:x/"] = "bad port",
        ["http:///path"] = "no host", ["http://u:p@h/"] = "user info",
      } do
        local u, err = transport.parse_url(url)
        assert.is_nil(u, url)
        assert.matches(why, err, 1, true)
      end
    end)
  end)

  it("writes an HTTP/1.1 request with Host, Content-Length and the caller's headers", function()
    serve(ok_response("{}"))
    local t = transport.new()
    local res = assert(t(req { headers = { Host = "evil", ["X-A"] = "1", ["Content-Length"] = "999" } }))
    assert.equal(200, res.status)
    local sent = fake.conns[1].requests[1]
    local head, body = sent:match("^(.-)\r\n\r\n(.*)$")
    assert.equal("Action=X&Signature=abc", body)
    assert.matches("^POST / HTTP/1%.1\r\n", head)
    assert.matches("\r\nHost: 127%.0%.0%.1:8080", head .. "\r\n")
    assert.matches("\r\nContent%-Length: 22\r?\n?", head .. "\r\n")
    assert.matches("\r\nX%-A: 1\r?\n?", head .. "\r\n")
    assert.not_matches("evil", head)
    assert.not_matches("999", head)
  end)

  it("raises on a header that would split the request (a programming mistake)", function()
    local t = transport.new()
    assert.has_error(function() t(req { headers = { ["X-A"] = "1\r\nX-Injected: 1" } }) end)
    assert.has_error(function() t(req { headers = { ["Bad Name"] = "1" } }) end)
    assert.has_error(function() t(req { headers = { ["X-A"] = "a\0b" } }) end)
    assert.equal(0, #fake.conns)  -- raised before connecting
  end)

  it("reads a Content-Length body and lower-cases header names, joining repeats", function()
    serve(ok_response('{"RetCode":0}', "X-UCloud-Request-UUID: abc\r\nSet-Thing: 1\r\nset-thing: 2\r\n"))
    local res = assert(transport.new()(req()))
    assert.equal('{"RetCode":0}', res.body)
    assert.equal("abc", res.headers["x-ucloud-request-uuid"])
    assert.equal("1, 2", res.headers["set-thing"])
    assert.is_nil(res.headers["X-UCloud-Request-UUID"])
  end)

  it("parses the head read in one piece: spaces around values, empty values, a bare status line", function()
    serve(ok_response("a", "X-Pad:   v  w \t\r\nX-Empty:\r\nX-Tab:\tt\r\n"),
          "HTTP/1.1 204 No Content\r\n\r\n", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nb")
    local t = transport.new()
    local res = assert(t(req()))
    assert.same({ "v  w", "", "t", "a" }, { res.headers["x-pad"], res.headers["x-empty"], res.headers["x-tab"], res.body })
    res = assert(t(req()))
    assert.same({ 204, "" }, { res.status, res.body })
    res = assert(t(req()))
    assert.same({ 200, "b" }, { res.status, res.body })
  end)

  it("refuses a head that is not HTTP: a bad status line, a header line without a colon, a folded line", function()
    for _, head in ipairs { "SMTP ready\r\nX: 1", "HTTP/1.1 200 OK\r\nNo colon here",
                            "HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded" } do
      serve(head .. "\r\n\r\nbody")
      local res, err = transport.new()(req())
      assert.is_nil(res)
      assert.equal("transport", err.kind)
      assert.is_truthy(err.message:find("bad status line", 1, true) or err.message:find("bad header line", 1, true),
                       err.message)
    end
  end)

  -- The header lines as the pattern parse (the one kept for unusual shapes) reads them: the
  -- oracle for the plain-find parse that reads the common shape.
  local function pattern_parse(head)
    local _, _, pos = head:find("^HTTP/%d%.%d %d%d%d[^\r\n]*()")
    local headers = {}
    while pos <= #head do
      local _, e, name, value = head:find("^\r?\n([^:%s]+)[ \t]*:[ \t]*([^\r\n]*)", pos)
      if not e then return nil end
      local last = value:byte(-1)
      if last == 32 or last == 9 then value = value:match("^(.-)%s*$") end
      name = name:lower()
      headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
      pos = e + 1
    end
    return headers
  end

  it("reads any head as the pattern parse does (random heads of awkward pieces)", function()
    local pieces = { "\r\n", "\n", "\r", "X-A", "x-a", "B", ":", ": ", " ", "\t", "v", "\1", "\v", "\0" }
    local rng = 12345
    local function pick()
      rng = (rng * 1103515245 + 12345) % 2147483648
      return pieces[rng % #pieces + 1]
    end
    local t, checked, refused = transport.new(), 0, 0
    for _ = 1, 4000 do
      local junk = {}
      for j = 1, 2 + checked % 9 do junk[j] = pick() end
      local head = "HTTP/1.1 200 OK" .. (checked % 3 == 0 and "\r\nX-A: 1" or "") .. table.concat(junk)
        .. "\r\nContent-Length: 2"
      if not head:find("\r\n\r\n", 1, true) then
        checked = checked + 1
        serve(head .. "\r\n\r\n{}")
        local want = pattern_parse(head)
        local res, err = t(req())
        if want then
          assert(res, ("%q: %s"):format(head, err and err.message))
          assert.same(want, res.headers, ("%q"):format(head))
          assert.equal("{}", res.body)
        else
          refused = refused + 1
          assert.is_nil(res, ("%q"):format(head))
          assert.matches("bad header line", err.message, 1, true)
        end
      end
    end
    assert.is_true(checked > 3000 and refused > 100 and checked - refused > 100, checked .. " " .. refused)
  end)

  it("reads a chunked body with chunk extensions and trailers, and keeps the connection", function()
    serve("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      .. "5;name=x\r\nhello\r\n1A\r\n" .. ("z"):rep(26) .. "\r\n0\r\nX-Trailer: t\r\n\r\n", ok_response("again"))
    local t = transport.new()
    local res = assert(t(req()))
    assert.equal("hello" .. ("z"):rep(26), res.body)
    assert.equal("again", assert(t(req())).body)
    assert.equal(1, #fake.conns)
  end)

  it("reports a truncated chunked body as a transport error", function()
    serve("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nshort")
    local res, err = transport.new()(req())
    assert.is_nil(res)
    assert.equal("transport", err.kind)
    assert.is_true(err.sent)
  end)

  it("reads to the end when the body has no length, and does not pool that connection", function()
    serve("HTTP/1.0 200 OK\r\n\r\nuntil close", ok_response("x"))
    local t = transport.new()
    assert.equal("until close", assert(t(req())).body)
    assert.is_nil(fake.sockets[1].keepalive)
    assert.is_true(fake.sockets[1].closed)
    assert(t(req()))
    assert.equal(2, #fake.conns)
  end)

  it("reuses connections from a pool named by host, port and TLS mode", function()
    serve(ok_response("1"), ok_response("2"), ok_response("3", "Connection: close\r\n"), ok_response("4"))
    local t = transport.new { pool_size = 7, keepalive_timeout = 3 }
    for i = 1, 4 do assert.equal(tostring(i), assert(t(req())).body) end
    assert.equal("compshare:127.0.0.1:8080:plain", fake.sockets[1].pool)
    assert.same({ 3000, 7 }, fake.sockets[1].keepalive)
    assert.equal(1, fake.sockets[2]:getreusedtimes() > 0 and 1 or 0)
    assert.is_nil(fake.sockets[3].keepalive)  -- Connection: close
    assert.equal(2, #fake.conns)
  end)

  it("skips an interim 100 Continue answer", function()
    serve("HTTP/1.1 100 Continue\r\n\r\n" .. ok_response("final"))
    assert.equal("final", assert(transport.new()(req())).body)
  end)

  it("turns the call's timeout into connect/send/read timeouts", function()
    serve(ok_response("x"))
    assert(transport.new { connect_timeout = 2 }(req { timeout = 5 }))
    assert.same({ 2000, 5000, 5000 }, fake.sockets[1].timeouts)
  end)

  it("keeps one deadline for the whole call: each read gets the time left", function()
    serve("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nok")
    fake.tick = 1
    assert(transport.new()(req { timeout = 5 }))
    -- send; the interim head, the final head (each read whole), the body: 1 s per read
    assert.same({ 5000, 5000, 4000, 3000 }, fake.sockets[1].timeout_log)
  end)

  it("gives reads past the deadline 1 ms, never 0 (which would mean no timeout)", function()
    serve("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    fake.tick = 3
    assert(transport.new()(req { timeout = 5 }))
    assert.same({ 5000, 5000, 2000, 1 }, fake.sockets[1].timeout_log)
  end)

  it("reports a read timeout as kind timeout, sent", function()
    serve(function() return nil, "timeout" end)
    local res, err = transport.new()(req())
    assert.is_nil(res)
    assert.equal("timeout", err.kind)
    assert.is_true(err.sent)
    assert.matches("127.0.0.1:8080", err.message, 1, true)
  end)

  it("reports a refused connection as not sent", function()
    fake.refuse = "connection refused"
    local res, err = transport.new()(req())
    assert.is_nil(res)
    assert.same({ kind = "transport", reason = "connect", sent = false,
                  message = "connect to 127.0.0.1:8080: connection refused" }, err)
  end)

  it("reports a bad URL as not sent", function()
    local res, err = transport.new()(req { url = "gopher://x" })
    assert.is_nil(res)
    assert.equal("transport", err.kind)
    assert.is_false(err.sent)
    assert.matches("unsupported URL", err.message)
  end)

  it("sends again on a fresh connection when a pooled one was closed by the server", function()
    serve(ok_response("first"), false, ok_response("fresh"))
    local t = transport.new()
    assert(t(req()))
    local res = assert(t(req()))
    assert.equal("fresh", res.body)
    assert.equal(2, #fake.conns)
  end)

  it("does not send again when a fresh connection is closed before the answer", function()
    serve(false, ok_response("never"))
    local res, err = transport.new()(req())
    assert.is_nil(res)
    assert.equal("reset", err.reason)
    assert.is_true(err.sent)
    assert.equal(1, #fake.conns)
  end)

  describe("a request that is not retry-safe (retry_safe = false)", function()
    it("takes a new connection though one is pooled, and does not pool it after", function()
      serve(ok_response("read"), ok_response("create"), ok_response("read again"))
      local t = transport.new()
      assert(t(req()))
      assert.equal("create", assert(t(req { retry_safe = false })).body)
      assert.equal(2, #fake.conns)
      assert.equal("compshare:127.0.0.1:8080:plain:fresh", fake.sockets[2].pool)
      assert.is_nil(fake.sockets[2].keepalive)
      assert.is_true(fake.sockets[2].closed)
      assert.equal("read again", assert(t(req())).body)
      assert.equal(2, #fake.conns)  -- the read is back on the pooled connection
      assert.equal(fake.conns[1], fake.sockets[3].conn)
    end)

    it("is sent once: a drop after sending is an error with sent = true", function()
      serve(ok_response("read"), false, ok_response("never"))
      local t = transport.new { pool_size = 4 }
      assert(t(req()))
      local res, err = t(req { retry_safe = false })
      assert.is_nil(res)
      assert.equal("reset", err.reason)
      assert.is_true(err.sent)
      assert.equal(2, #fake.conns)
      assert.equal(1, #fake.conns[2].requests)
      assert.equal(1, #answers)  -- "never" was never asked for
    end)

    it("is sent once in a batch too, on connections of their own", function()
      serve(ok_response("read"), false, false, ok_response("never"))
      local t = transport.new()
      assert(t(req()))
      local out = t.batch({ req { retry_safe = false }, req { retry_safe = false } }, 2)
      for i = 1, 2 do
        assert.is_true(out[i].error.sent)
        assert.equal("reset", out[i].error.reason)
      end
      assert.equal(3, #fake.conns)
      assert.equal(1, #answers)
    end)
  end)

  it("refuses a body larger than max_body", function()
    serve(ok_response(("x"):rep(100)))
    local res, err = transport.new { max_body = 10 }(req())
    assert.is_nil(res)
    assert.matches("larger than 10 bytes", err.message)
  end)

  describe("TLS", function()
    it("verifies by default and sends SNI, once per connection", function()
      serve(ok_response("a"), ok_response("b"))
      local t = transport.new()
      assert(t(req { url = "https://api.example.test:8443/" }))
      assert(t(req { url = "https://api.example.test:8443/" }))
      assert.same({ reused = false, name = "api.example.test", verify = true }, fake.sockets[1].handshake)
      assert.is_nil(fake.sockets[2].handshake)
      assert.equal("compshare:api.example.test:8443:tls", fake.sockets[1].pool)
      assert.same({}, fake.logs)
    end)

    it("insecure = true turns verification off, logs a warning and uses its own pool", function()
      serve(ok_response("a"))
      local logged = {}
      local t = transport.new { insecure = true, logger = function(m) logged[#logged + 1] = m end }
      assert(t(req { url = "https://h/" }))
      assert.is_false(fake.sockets[1].handshake.verify)
      assert.equal("compshare:h:443:tls-noverify", fake.sockets[1].pool)
      assert.matches("TLS verification is off", logged[1])
    end)

    it("logs to ngx.log by default, and explains that cainfo needs lua_ssl_trusted_certificate", function()
      transport.new { insecure = true, cainfo = "/tmp/ca.pem" }
      assert.matches("TLS verification is off", fake.logs[1])
      assert.matches("lua_ssl_trusted_certificate", fake.logs[2])
    end)

    it("reports a failed handshake as a tls failure, not sent", function()
      fake.tls_error = "20: unable to get local issuer certificate"
      local res, err = transport.new()(req { url = "https://h/" })
      assert.is_nil(res)
      assert.equal("tls", err.reason)
      assert.is_false(err.sent)
      assert.matches("unable to get local issuer", err.message)
    end)

    it("treats a handshake that 'succeeds' on a closed socket as a tls failure", function()
      fake.tls_closes = true
      local res, err = transport.new()(req { url = "https://h/" })
      assert.is_nil(res)
      assert.equal("tls", err.reason)
      assert.is_false(err.sent)
      assert.matches("certificate verification failed?", err.message, 1, true)
    end)
  end)

  describe("batch", function()
    it("returns answers in order with per-call errors, on at most `concurrency` threads", function()
      local t = transport.new()
      local reqs = {}
      for i = 1, 5 do
        reqs[i] = req { body = "n=" .. i }
        answers[i] = function(bytes)
          local n = bytes:match("n=(%d)")
          if n == "3" then return nil, "timeout" end
          return ok_response("r" .. n)
        end
      end
      local out = t.batch(reqs, 2)
      assert.equal(5, #out)
      for i, r in ipairs(out) do
        if i == 3 then assert.equal("timeout", r.error.kind) else assert.equal("r" .. i, r.body) end
      end
      assert.equal(2, fake.spawned)
    end)

    it("raises a programming mistake from a call", function()
      local t = transport.new()
      assert.has_error(function() t.batch({ req { headers = { ["X"] = "a\nb" } } }, 4) end)
    end)
  end)
end)
