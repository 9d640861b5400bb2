-- Fault injection through the real libcurl transport against nginx on
-- 127.0.0.1 (spec/support/faults_server.lua). For every fault: the right error
-- kind, no crash, no hang past the timeout, and the exact number of calls that
-- reached the server, with max_retries = 3 on the client.
local compshare = require "compshare"
local nginx = require "support.nginx"
local socket = require "socket"
local json = require "cjson.safe"

local PRIVATE = "faults-private-key-6c0ffee"
local CREATE, READ = "CreateCompShareInstance", "DescribeCompShareInstance"
local TIMEOUT = 0.5   -- seconds, per attempt

local unpack_ = table.unpack or unpack
local srv
local nonce = 0

local function counts()
  local c = assert(socket.connect("127.0.0.1", srv.port))
  c:settimeout(5)
  c:send("GET /_counts HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
  local raw = c:receive("*a") or ""
  c:close()
  return json.decode(raw:match("\r\n\r\n(.*)$") or "") or {}
end

-- Run one call against /<path>/<nonce>; returns what happened and what the server saw.
local function run(path, action, opts)
  opts = opts or {}
  nonce = nonce + 1
  local uri = ("/%s/n%d"):format(path, nonce)
  local lines, waits = {}, {}
  local c = compshare.new {
    public_key = "faults-public", private_key = PRIVATE, region = "cn-wlcb", zone = "cn-wlcb-01",
    base_url = opts.base_url or ("http://127.0.0.1:%d%s"):format(srv.port, uri),
    timeout = opts.timeout or TIMEOUT, max_retries = 3,
    sleep = function(s) waits[#waits + 1] = s end, random = function() return 0 end,
    logger = function(l) lines[#lines + 1] = l end,
  }
  local ok, res, err = pcall(c.call, c, action, { Name = "fault-test", Limit = 10 })
  c.transport.close()
  assert(ok, "the call raised: " .. tostring(res))
  local n = counts()
  local log = table.concat(lines, "\n")
  assert(not log:find(PRIVATE, 1, true), "private key in the log")
  if err then assert(not tostring(err):find(PRIVATE, 1, true), "private key in the error") end
  return {
    res = res, err = err, waits = waits, log = log,
    arrived = n[uri .. " " .. action .. " arrived"] or 0,
    processed = n[uri .. " " .. action .. " processed"] or 0,
  }
end

describe("faults through libcurl", function()
  setup(function()
    srv = nginx.start {
      http = "  lua_shared_dict faults 1m;",
      server = [[
    location = /_counts { content_by_lua_block { require("support.faults_server").counts() } }
    location / { content_by_lua_block { require("support.faults_server").handle() } }
]],
    }
  end)

  teardown(function()
    if srv then srv.stop() end
  end)

  it("answers a good call once (the server works)", function()
    local r = run("ok", CREATE)
    assert.is_nil(r.err)
    assert.same({ "uhost-fault" }, r.res.UHostIds)
    assert.equal(1, r.arrived)
  end)

  describe("a create (never sent twice once it may have arrived)", function()
    local cases = {
      -- path, kind, code, arrived, processed, maybe_applied
      { "status/500", "http", 500, 1, 1, true },
      { "status/502", "http", 502, 1, 1, true },
      { "status/503", "http", 503, 1, 1, true },
      { "status/504", "http", 504, 1, 1, true },
      { "close_before", "transport", nil, 1, 0, true },
      { "close_after", "transport", nil, 1, 1, true },
      { "stall/3", "timeout", nil, 1, 1, true },
      { "malformed", "decode", 200, 1, 1, true },
      { "truncated", "transport", nil, 1, 1, true },
      { "html", "decode", 200, 1, 1, true },
      { "empty", "decode", 200, 1, 1, true },
      { "retcode_string/2000", "api", 2000, 1, 1, false },
      { "retcode_string/8000", "api", 8000, 1, 1, false },
    }
    for _, case in ipairs(cases) do
      local path, kind, code, arrived, processed, maybe = unpack_(case)
      it(("%s: %s error, %d arrived, no hang"):format(path, kind, arrived), function()
        local r = run(path, CREATE)
        assert.is_nil(r.res)
        assert.equal(kind, r.err.kind)
        if code then assert.equal(code, r.err.code) end
        assert.equal(arrived, r.arrived)
        assert.equal(processed, r.processed)
        assert.equal(1, r.err.attempts)
        assert.same({}, r.waits)
        assert.equal(maybe, r.err.maybe_applied == true)
        if maybe then assert.matches("not safe to repeat", r.err.hint) end
      end)
    end

    it("status/429: rejected before any work, so retried, honouring Retry-After", function()
      local r = run("status/429", CREATE)
      assert.equal("http", r.err.kind)
      assert.equal(429, r.err.code)
      assert.equal(4, r.arrived)
      assert.equal(0, r.processed)
      assert.same({ 1, 1, 1 }, r.waits)
      assert.is_false(r.err.maybe_applied)
    end)

    it("a refused connection: never sent, so retried", function()
      local r = run("ok", CREATE, { base_url = ("http://127.0.0.1:%d/"):format(nginx.free_port()) })
      assert.equal("transport", r.err.kind)
      assert.equal(4, r.err.attempts)
      assert.is_false(r.err.maybe_applied)
      assert.equal(3, #r.waits)
    end)

    it("big: a 10 MB answer is read whole", function()
      local r = run("big", CREATE)
      assert.is_nil(r.err)
      assert.same({ "uhost-big" }, r.res.UHostIds)
      assert.equal(10 * 1024 * 1024, #r.res.Pad)
      assert.equal(1, r.arrived)
      assert.is_true(#r.log < 64 * 1024, "the log line of a 10 MB body is shortened")
    end)

    it("retcode_string/0: a RetCode sent as a string still means success", function()
      local r = run("retcode_string/0", CREATE)
      assert.is_nil(r.err)
      assert.equal(0, r.res.RetCode)
      assert.same({ "uhost-str" }, r.res.UHostIds)
    end)
  end)

  describe("a read (safe to repeat)", function()
    local cases = {
      { "status/502", "http", 4 }, { "status/503", "http", 4 }, { "status/504", "http", 4 },
      { "status/500", "http", 1 }, { "close_after", "transport", 4 }, { "truncated", "transport", 4 },
      { "retcode_string/2000", "api", 4 }, { "malformed", "decode", 1 }, { "empty", "decode", 1 },
    }
    for _, case in ipairs(cases) do
      it(("%s: %s error after %d arrivals"):format(case[1], case[2], case[3]), function()
        local r = run(case[1], READ)
        assert.equal(case[2], r.err.kind)
        assert.equal(case[3], r.arrived)
        assert.equal(case[3], r.err.attempts)
        assert.equal(case[3] - 1, #r.waits)
      end)
    end

    it("stall: each attempt ends at its timeout", function()
      -- the server answers after 3 s, ten times the limit: every attempt (1 + 3 retries) is
      -- cut by its own timeout, which 4 arrivals, 4 attempts and 3 waits between them show
      local r = run("stall/3", READ, { timeout = 0.3 })
      assert.equal("timeout", r.err.kind)
      assert.equal(4, r.arrived)
      assert.equal(4, r.err.attempts)
      assert.equal(3, #r.waits)
    end)
  end)
end)
