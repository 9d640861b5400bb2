-- Real HTTP through libcurl (core.session and the client's default transport) to nginx on
-- 127.0.0.1, where support.verify_server checks signatures independently of compshare.core.
local compshare = require "compshare"
local core = require "compshare.core"
local nginx = require "support.nginx"
local json = require "cjson"

local PUBLIC, PRIVATE = "http-spec-public", "http-spec-private-key-abcdef"

local EXTRA = [==[
    location = /slow { content_by_lua_block { ngx.sleep(2) ngx.say("late") } }
    location = /drop { return 444; }
    location = /echo {
      content_by_lua_block {
        ngx.req.read_body()
        local body = ngx.req.get_body_data()
        local file = not body and ngx.req.get_body_file()
        if file then local f = io.open(file, "rb") body = f:read("*a") f:close() end
        ngx.header["X-Method"] = ngx.req.get_method()
        ngx.header["X-Foo"] = ngx.req.get_headers()["x-foo"] or "none"
        ngx.header["X-Twice"] = { "a", "b" }
        ngx.print(body or "")
      }
    }
    location = /huge { content_by_lua_block { ngx.print(string.rep("z", 65 * 1024 * 1024)) } }
]==]

describe("HTTP through libcurl", function()
  local srv

  lazy_setup(function()
    srv = nginx.start_verify { keys = { [PUBLIC] = PRIVATE }, server = EXTRA }
  end)

  lazy_teardown(function()
    if srv then srv.stop() end
  end)

  local function client(opts)
    local o = { public_key = PUBLIC, private_key = PRIVATE, region = "cn-wlcb", zone = "cn-wlcb-01",
                base_url = srv.url, timeout = 5 }
    for k, v in pairs(opts or {}) do o[k] = v end
    return compshare.new(o)
  end

  describe("the client", function()
    it("sends a call whose signature verifies on the server", function()
      srv.reset()
      local res, err = client():call("DescribeCompShareImages", { ImageType = "System", Limit = 20,
                                                                 Tags = { "深度学习", "a b&c" } })
      assert.is_nil(err)
      assert.are.equal(0, res.RetCode)
      assert.are.same({ "DescribeCompShareImages", "System", "20", "深度学习", "a b&c", "cn-wlcb" },
        { res.Params.Action, res.Params.ImageType, res.Params.Limit, res.Params["Tags.0"], res.Params["Tags.1"],
          res.Params.Region })
      local calls = srv.calls()
      assert.are.equal(1, #calls)
      assert.is_true(calls[1].verified)
      assert.is_truthy(calls[1].headers["user-agent"]:find("^compshare%-lua/"))
      assert.is_truthy(calls[1].headers["u-timestamp-ms"]:find("^%d+$"))
    end)

    it("reuses one connection for two calls", function()
      local c = client()
      local a = assert(c:call("DescribeCompShareImages", {}))
      local b = assert(c:call("DescribeCompShareImages", {}))
      assert.are.equal(a.Connection, b.Connection)
      assert.are.equal(a.ConnectionRequests + 1, b.ConnectionRequests)
    end)

    it("gets kind api with the server's RetCode for a wrong private key", function()
      local res, err = client({ private_key = "not-the-key" }):call("DescribeCompShareImages", {})
      assert.is_nil(res)
      assert.are.same({ "api", 171, "Signature VerifyAC Error" }, { err.kind, err.code, err.message })
      assert.is_truthy(err.request_id:find("^%x+%-%x+%-%x+%-%x+%-%x+$"), err.request_id)
    end)

    it("reports a timeout as kind timeout", function()
      -- /slow answers "late" after 2 s: a client that waited for it would get a decode error,
      -- so kind timeout says the 0.2 s limit ended the call (no clock is read here).
      local res, err = client({ base_url = srv.url .. "slow", timeout = 0.2, max_retries = 0 })
        :call("DescribeCompShareImages", {})
      assert.is_nil(res)
      assert.are.equal("timeout", err.kind)
      assert.are.equal(1, err.attempts)
    end)

    it("reports a refused port as kind transport, not sent", function()
      local res, err = client({ base_url = ("http://127.0.0.1:%d/"):format(nginx.free_port()) })
        :call("DescribeCompShareImages", {})
      assert.is_nil(res)
      assert.are.same({ "transport", false, false }, { err.kind, err.sent, err.maybe_applied })
    end)
  end)

  describe("core.session", function()
    local session
    before_each(function() session = core.session {} end)
    after_each(function() session:close() end)

    it("returns status, lower-case headers (repeats joined) and the body", function()
      local res = assert(session:request { url = srv.url .. "echo", method = "PUT", body = "hello",
                                           headers = { ["X-Foo"] = "bar" } })
      assert.are.same({ 200, "hello", "PUT", "bar", "a, b" },
        { res.status, res.body, res.headers["x-method"], res.headers["x-foo"], res.headers["x-twice"] })
      assert.is_nil(res.headers["X-Foo"])
    end)

    it("makes res.headers on first access: a plain table, the same one on every read", function()
      local res = assert(session:request { url = srv.url .. "echo", method = "GET" })
      local fields = {}
      for k in pairs(res) do fields[#fields + 1] = k end
      table.sort(fields)
      assert.are.same({ "body", "status" }, fields)          -- not made yet
      assert.is_nil(res.nothing)
      assert.is_nil(res[1])
      local h = res.headers
      assert.are.equal("table", type(h))
      assert.is_nil(getmetatable(h))
      assert.are.equal(h, res.headers)
      assert.are.equal(h, rawget(res, "headers"))            -- stored: a plain field from now on
      local names = {}
      for k, v in pairs(h) do
        assert.are.equal(k:lower(), k)
        assert.are.equal("string", type(v))
        names[k] = true
      end
      assert.is_true(names["x-method"] and names["x-twice"] and names["content-type"] and names.server)
      assert.is_nil(h["http/1.1 200 ok"])                     -- the status line is no header
      res.headers = { mine = "1" }                            -- a field like any other
      assert.are.same({ mine = "1" }, res.headers)
    end)

    it("makes the headers of each batch answer on first access too", function()
      local out = session:batch({ { url = srv.url .. "echo", method = "GET", headers = { ["X-Foo"] = "1" } },
                                  { url = srv.url .. "echo", method = "GET", headers = { ["X-Foo"] = "2" } } })
      assert.are.same({ "2", "1" }, { out[2].headers["x-foo"], out[1].headers["x-foo"] })
      assert.are.same({ "a, b", "a, b" }, { out[1].headers["x-twice"], out[2].headers["x-twice"] })
    end)

    it("does not carry headers or method over to the next request on the reused handle", function()
      assert(session:request { url = srv.url .. "echo", method = "PUT", headers = { ["X-Foo"] = "bar" } })
      local res = assert(session:request { url = srv.url .. "echo", method = "GET" })
      assert.are.same({ "GET", "none" }, { res.headers["x-method"], res.headers["x-foo"] })
    end)

    it("moves bodies of tens of MB both ways", function()
      local big = ("0123456789abcdef"):rep(20 * 65536) -- 20 MB
      local res = assert(session:request { url = srv.url .. "echo", body = big, timeout = 30 })
      assert.are.equal(#big, #res.body)
      assert.is_true(res.body == big)
    end)

    it("refuses a request body over 64 MB before sending it", function()
      local res, kind, message, sent = session:request { url = srv.url .. "echo",
                                                         body = ("x"):rep(64 * 1024 * 1024 + 1) }
      assert.are.same({ nil, "transport", false }, { res, kind, sent })
      assert.is_truthy(message:find("64 MB"))
    end)

    it("stops reading a response over 64 MB", function()
      local res, kind, message = session:request { url = srv.url .. "huge", method = "GET", timeout = 30 }
      assert.are.same({ nil, "transport" }, { res, kind })
      assert.is_truthy(message:find("64 MB"))
    end)

    it("tells timeout, connect and reset apart, with sent", function()
      local function fail(req)
        return { select(2, session:request(req)) }
      end
      local t = fail { url = srv.url .. "slow", timeout = 0.1 }
      assert.are.same({ "timeout", true }, { t[1], t[3] })
      t = fail { url = ("http://127.0.0.1:%d/"):format(nginx.free_port()), timeout = 2 }
      assert.are.same({ "connect", false }, { t[1], t[3] })
      t = fail { url = srv.url .. "drop", timeout = 2 }
      assert.are.same({ "reset", true }, { t[1], t[3] })
      assert.is_string(t[2])
    end)

    it("raises on a bad request table", function()
      assert.has_error(function() session:request { url = 42 } end, "compshare: request: url must be a string, got number")
      assert.has_error(function() session:request { url = srv.url, method = "NOT A METHOD" } end)
      assert.has_error(function() session:request { url = srv.url, timeout = -1 } end,
        "compshare: request: timeout must be a positive number of seconds")
      assert.has_error(function() session:request { url = srv.url, headers = { ["X-A"] = "1\r\nX-B: 2" } } end)
      assert.has_error(function() session:request { url = srv.url, body = {} } end)
      assert.has_error(function() core.session { verify = "yes" } end)
    end)

    it("batch returns results in order, errors in place, over at most `concurrency` connections", function()
      local reqs = {}
      for i = 1, 12 do
        reqs[i] = { url = srv.url, timeout = 5,
                    body = core.encode({ Action = "Call" .. i, PublicKey = PUBLIC }, PRIVATE) }
      end
      reqs[5] = { url = ("http://127.0.0.1:%d/"):format(nginx.free_port()), timeout = 2 }
      reqs[9] = { url = srv.url .. "slow", timeout = 0.1 }
      local out = session:batch(reqs, 3)
      assert.are.equal(12, #out)
      local connections, distinct = {}, 0
      for i, r in ipairs(out) do
        if i == 5 then
          assert.are.same({ "connect", false }, { r.error, r.sent })
        elseif i == 9 then
          assert.are.same({ "timeout", true }, { r.error, r.sent })
        else
          local body = json.decode(r.body)
          assert.are.same({ 200, 0, "Call" .. i .. "Response" }, { r.status, body.RetCode, body.Action })
          if not connections[body.Connection] then distinct = distinct + 1 end
          connections[body.Connection] = true
        end
      end
      assert.is_true(distinct <= 3, distinct .. " connections")
      -- the pooled handles keep their connections for the next batch
      local again = session:batch({ reqs[1], reqs[2] }, 2)
      assert.is_true(connections[json.decode(again[1].body).Connection])
    end)

    it("batch raises on a bad request before sending any", function()
      srv.reset()
      local good = { url = srv.url, body = core.encode({ Action = "X", PublicKey = PUBLIC }, PRIVATE) }
      assert.has_error(function() session:batch({ good, { url = srv.url, timeout = "soon" } }, 2) end,
        "compshare: request 2: timeout must be a positive number of seconds")
      assert.are.equal(0, #srv.calls())
      assert.are.same({}, session:batch({}, 4))
    end)

    it("batch takes a function giving the requests: results in the order given, errors in place", function()
      local reqs = {}
      for i = 1, 9 do
        reqs[i] = { url = srv.url, timeout = 5, body = core.encode({ Action = "Fed" .. i, PublicKey = PUBLIC }, PRIVATE) }
      end
      reqs[4] = { url = ("http://127.0.0.1:%d/"):format(nginx.free_port()), timeout = 2 }
      local given = 0
      local out = session:batch(function()
        given = given + 1
        return reqs[given]
      end, 2)
      assert.are.equal(10, given)  -- asked once more, for the nil that ends it
      assert.are.equal(9, #out)
      for i, r in ipairs(out) do
        if i == 4 then
          assert.are.same({ "connect", false }, { r.error, r.sent })
        else
          assert.are.same({ 200, "Fed" .. i .. "Response" }, { r.status, json.decode(r.body).Action })
        end
      end
      assert.are.same({}, session:batch(function() return nil end, 3))
    end)

    it("batch from a function that raises, or gives a bad request, raises; the session goes on", function()
      local good = { url = srv.url .. "slow", timeout = 5, body = core.encode({ Action = "X", PublicKey = PUBLIC }, PRIVATE) }
      local n = 0
      assert.has_error(function()
        session:batch(function()
          n = n + 1
          if n > 3 then error("feed broke", 0) end
          return good
        end, 4)
      end, "feed broke")
      n = 0
      assert.has_error(function()
        session:batch(function()
          n = n + 1
          return n == 3 and { url = srv.url, timeout = "soon" } or good
        end, 4)
      end, "compshare: request 3: timeout must be a positive number of seconds")
      local fast = { url = srv.url, timeout = 5, body = good.body }
      local out = session:batch({ fast, fast }, 2)  -- the transfers cut off above are detached first
      assert.are.same({ 200, 200 }, { out[1].status, out[2].status })
    end)

    it("batch gives each result to digest once, as it goes, and keeps what it answers", function()
      local reqs = {}
      for i = 1, 6 do
        reqs[i] = { url = srv.url, timeout = 5, body = core.encode({ Action = "D" .. i, PublicKey = PUBLIC }, PRIVATE) }
      end
      reqs[3] = { url = ("http://127.0.0.1:%d/"):format(nginx.free_port()), timeout = 2 }
      local seen, calls = {}, 0
      local out = session:batch(reqs, 2, function(i, r)
        calls = calls + 1
        seen[i] = r.error or json.decode(r.body).Action
        return "digested " .. i
      end)
      assert.are.equal(6, calls)
      assert.are.same({ "D1Response", "D2Response", "connect", "D4Response", "D5Response", "D6Response" }, seen)
      for i = 1, 6 do assert.are.equal("digested " .. i, out[i]) end
      assert.has_error(function() session:batch(reqs, 2, "not a function") end)
      assert.has_error(function() session:batch(reqs, 2, function() error("digest broke", 0) end) end, "digest broke")
      local again = session:batch({ reqs[1] }, 1)  -- the session goes on
      assert.are.equal(200, again[1].status)
    end)

    it("close is idempotent and a closed session raises", function()
      session:close()
      session:close()
      assert.has_error(function() session:request { url = srv.url } end, "compshare: the session is closed")
      assert.has_error(function() session:batch({}, 1) end, "compshare: the session is closed")
      assert.is_truthy(tostring(session):find("closed"))
    end)

    if _VERSION == "Lua 5.4" and not jit then
      it("closes a to-be-closed session at the end of its scope", function()
        local kept
        assert(load [[
          local core, keep = ...
          local s <close> = core.session {}
          keep(s)
        ]])(core, function(s) kept = s end)
        assert.has_error(function() kept:request { url = srv.url } end, "compshare: the session is closed")
      end)
    end
  end)
end)
