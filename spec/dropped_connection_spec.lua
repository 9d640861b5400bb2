-- Exactly once on a kept-alive connection that dies: the server (nginx on
-- 127.0.0.1, spec/support/drop_server.lua) counts and so commits a request, then
-- closes the connection without answering. After a warm-up call has left a
-- connection in the libcurl session, every action that is not retry-safe must
-- reach the server once, through client:call (with and without retries) and
-- client:batch, and come back as an error with maybe_applied = true. A read on a
-- dead reused connection is still sent again transparently, and reads still
-- reuse their connections. (The same through cosockets: spec/openresty/drop_e2e.lua.)
local compshare = require "compshare"
local client_mod = require "compshare.client"
local curl = require "compshare.transport.curl"
local fixtures = require "support.fixtures"
local nginx = require "support.nginx"
local socket = require "socket"
local json = require "cjson.safe"

local READ = "DescribeCompShareInstance"
local UNSAFE = {
  CreateCompShareInstance = fixtures.instance { Name = "once" },
  CreateCompShareCustomImage = { UHostId = "uhost-1", Name = "once" },
  PublishCompShareImage = { CompShareImageId = "compshareImage-1", Name = "once" },
}
local UNSAFE_NAMES = { "CreateCompShareInstance", "CreateCompShareCustomImage", "PublishCompShareImage" }

local srv
local runs = 0

local function new_run()
  runs = runs + 1
  return ("c%d_%d"):format(math.floor(socket.gettime() * 1000) % 1000000, runs)
end

-- What the server saw for one run.
local function counts(run)
  local c = assert(socket.connect("127.0.0.1", srv.port))
  c:settimeout(5)
  c:send(("GET /_counts?run=%s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"):format(run))
  local raw = c:receive("*a") or ""
  c:close()
  return assert(json.decode(raw:match("\r\n\r\n(.*)$") or ""), raw)
end

-- A client on transport `t` (shared: one libcurl session, one set of connections)
-- whose calls go to /<mode>/<run>.
local function client(t, mode, run, max_retries)
  return compshare.new {
    public_key = "drop-public", private_key = "drop-private", region = "cn-wlcb", zone = "cn-wlcb-01",
    base_url = ("http://127.0.0.1:%d/%s/%s"):format(srv.port, mode, run),
    timeout = 5, max_retries = max_retries or 0, transport = t,
    sleep = function() end, random = function() return 0 end,
  }
end

local function set_of(list)
  local s, n = {}, 0
  for _, v in ipairs(list or {}) do
    if not s[v] then s[v], n = true, n + 1 end
  end
  return s, n
end

describe("a kept-alive connection that dies after the server committed the request (libcurl)", function()
  setup(function()
    srv = nginx.start {
      http = "  lua_shared_dict drops 4m;",
      server = [[
    keepalive_requests 10000;
    location = /_counts { content_by_lua_block { require("support.drop_server").counts() } }
    location / { content_by_lua_block { require("support.drop_server").handle() } }
]],
    }
  end)

  teardown(function()
    if srv then srv.stop() end
  end)

  it("knows the three creates as not retry-safe (what the rest relies on)", function()
    for _, action in ipairs(UNSAFE_NAMES) do assert.is_false(client_mod.retry_safe(action)) end
    assert.is_true(client_mod.retry_safe(READ))
  end)

  for _, action in ipairs(UNSAFE_NAMES) do
    for _, retries in ipairs { 0, 3 } do
      it(("%s with max_retries = %d: one arrival, an error with maybe_applied"):format(action, retries), function()
        local t, run = curl.new {}, new_run()
        local warm = assert(client(t, "ok", run):call(READ, {}))  -- leaves a kept-alive connection
        local res, err = client(t, "drop", run, retries):call(action, UNSAFE[action])
        t.close()
        local n = counts(run)
        assert.equal(1, n.arrivals[action])
        assert.is_nil(res)
        assert.equal("transport", err.kind)
        assert.equal("reset", err.reason)
        assert.is_true(err.maybe_applied)
        assert.equal(1, err.attempts)
        assert.matches("not safe to repeat", err.hint)
        assert.same({ warm.Connection }, n.conns[READ])
        assert.not_equal(warm.Connection, n.conns[action][1])  -- a connection of its own
      end)
    end

    it(("%s when only a reused connection is dropped: sent once, on its own connection"):format(action), function()
      local t, run = curl.new {}, new_run()
      assert(client(t, "ok", run):call(READ, {}))
      local res, err = client(t, "reused", run):call(action, UNSAFE[action])
      t.close()
      assert.is_nil(err)
      assert.equal(0, res.RetCode)
      assert.equal(1, counts(run).arrivals[action])
    end)
  end

  describe("client:batch of 20 creates on a warm pool of 4", function()
    local function creates(run)
      local calls = {}
      for i = 1, 20 do calls[i] = { "CreateCompShareInstance", fixtures.instance { Name = "b" .. i } } end
      local t = curl.new {}
      local reads = {}
      for i = 1, 4 do reads[i] = { READ, {} } end
      for _, r in ipairs(client(t, "ok", run):batch(reads, { concurrency = 4 })) do assert.is_true(r.ok) end
      return t, calls
    end

    -- The 20 creates as one batch through the server's `mode`; each arrives exactly once.
    local function batch_through(mode)
      local run = new_run()
      local t, calls = creates(run)
      local results = client(t, mode, run):batch(calls, { concurrency = 4 })
      t.close()
      local n = counts(run)
      assert.equal(20, n.arrivals.CreateCompShareInstance)
      for i = 1, 20 do assert.equal(1, n.names["CreateCompShareInstance b" .. i], "create b" .. i) end
      return results
    end

    it("every create arrives once and fails with maybe_applied when each is dropped", function()
      local results = batch_through("drop")
      for i = 1, 20 do
        assert.is_false(results[i].ok)
        assert.is_true(results[i].error.maybe_applied)
        assert.is_false(results[i].error.retryable)
      end
    end)

    it("every create arrives once and succeeds when reused connections are dropped", function()
      local results = batch_through("reused")
      for i = 1, 20 do
        assert.is_true(results[i].ok, results[i].error and tostring(results[i].error))
      end
    end)
  end)

  describe("reads", function()
    it("a read on a dead reused connection is sent again by libcurl: one success", function()
      local t, run = curl.new {}, new_run()
      local warm = assert(client(t, "ok", run):call(READ, {}))
      local res, err = client(t, "reused", run, 0):call(READ, {})
      t.close()
      assert.is_nil(err)
      assert.equal(0, res.RetCode)
      assert.not_equal(warm.Connection, res.Connection)
      assert.equal(3, counts(run).arrivals[READ])  -- warm-up, dropped on the reused connection, again
    end)

    it("reuse one kept-alive connection, also around a create", function()
      local t, run = curl.new {}, new_run()
      local c = client(t, "ok", run)
      for _ = 1, 5 do assert(c:call(READ, {})) end
      assert(c:call("CreateCompShareInstance", UNSAFE.CreateCompShareInstance))
      for _ = 1, 5 do assert(c:call(READ, {})) end
      t.close()
      local n = counts(run)
      assert.equal(10, n.arrivals[READ])
      assert.equal(2, n.connections)  -- the reads' connection, and the create's own
      assert.not_same(n.conns[READ], n.conns.CreateCompShareInstance)
    end)

    it("batches of reads reuse the pool's connections", function()
      local t, run = curl.new {}, new_run()
      local reads = {}
      for i = 1, 20 do reads[i] = { READ, {} } end
      local c = client(t, "ok", run)
      for _ = 1, 3 do
        for _, r in ipairs(c:batch(reads, { concurrency = 4 })) do assert.is_true(r.ok) end
      end
      t.close()
      local n = counts(run)
      assert.equal(60, n.arrivals[READ])
      local _, distinct = set_of(n.conns[READ])
      assert.is_true(distinct <= 4, distinct .. " connections for 60 reads at concurrency 4")
    end)

    it("batches at a larger concurrency keep every connection of the pool between them", function()
      local t, run = curl.new {}, new_run()
      local reads = {}
      for i = 1, 48 do reads[i] = { READ, {} } end
      local c = client(t, "ok", run)
      for _ = 1, 3 do
        for _, r in ipairs(c:batch(reads, { concurrency = 12 })) do assert.is_true(r.ok) end
      end
      t.close()
      local n = counts(run)
      assert.equal(144, n.arrivals[READ])
      local _, distinct = set_of(n.conns[READ])
      assert.is_true(distinct <= 12, distinct .. " connections for 144 reads at concurrency 12")
    end)
  end)
end)

describe("the request a transport gets says whether it may be sent twice", function()
  local function capture()
    local seen = {}
    local t = setmetatable({
      batch = function(reqs)
        local out = {}
        for i, r in ipairs(reqs) do
          seen[#seen + 1] = { r.action, r.retry_safe }
          out[i] = { status = 200, headers = {}, body = '{"RetCode":0}' }
        end
        return out
      end,
    }, { __call = function(_, r)
      seen[#seen + 1] = { r.action, r.retry_safe }
      return { status = 200, headers = {}, body = '{"RetCode":0}' }
    end })
    local c = compshare.new { public_key = "pk", private_key = "sk", region = "cn-wlcb", zone = "cn-wlcb-01",
                              transport = t }
    return c, seen
  end

  it("client:call, the typed methods and client:send set retry_safe from the spec", function()
    local c, seen = capture()
    assert(c:call(READ, {}))
    assert(c:call("CreateCompShareInstance", UNSAFE.CreateCompShareInstance))
    assert(c:CreateCompShareInstance(fixtures.instance()))
    local req = assert(c:prepare("PublishCompShareImage", UNSAFE.PublishCompShareImage))
    req.retry_safe = nil  -- a request table changed by hand is still marked when sent
    assert(c:send(req))
    assert.same({ { READ, true }, { "CreateCompShareInstance", false }, { "CreateCompShareInstance", false },
                  { "PublishCompShareImage", false } }, seen)
  end)

  it("client:batch entries carry it too", function()
    local c, seen = capture()
    for _, r in ipairs(c:batch { { READ, {} }, { "CreateCompShareInstance", UNSAFE.CreateCompShareInstance } }) do
      assert.is_true(r.ok, r.error and tostring(r.error))
    end
    assert.same({ { READ, true }, { "CreateCompShareInstance", false } }, seen)
  end)
end)
