-- Exactly once through cosockets inside a real nginx (run by `make test-openresty`):
-- the drop server (spec/support/drop_server.lua) counts a request, so commits it,
-- then drops the kept-alive connection without answering. spec/openresty/drop_app.lua,
-- on the same nginx, warms the cosocket pool with concurrent reads and then sends
-- an action that is not retry-safe: it must arrive once, whatever the pool size, and
-- fail with maybe_applied. Each pool size gets its own port, so its own nginx pool.
-- (The same through libcurl: spec/dropped_connection_spec.lua.)
local socket = require "socket"
local json = require "cjson"
local nginx = require "support.nginx"

local UNSAFE = { "CreateCompShareInstance", "CreateCompShareCustomImage", "PublishCompShareImage" }
local READ = "DescribeCompShareInstance"

local function get(port, path)
  local c = assert(socket.connect("127.0.0.1", port))
  c:settimeout(30)
  c:send(("GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"):format(path))
  local raw = c:receive("*a") or ""
  c:close()
  local body = raw:match("\r\n\r\n(.*)$") or ""
  local ok, data = pcall(json.decode, body)
  assert(ok, "not JSON: " .. raw:sub(1, 500))
  return data
end

describe("a kept-alive connection that dies after the server committed the request (cosockets)", function()
  local srv, ports, runs = nil, {}, 0

  -- One /run on the app; returns its answer and what the server counted.
  local function run(q)
    runs = runs + 1
    local id = ("o%d_%d"):format(math.floor(socket.gettime() * 1000) % 1000000, runs)
    local path = ("/run?run=%s&port=%d&pool=%d&warm=%d&mode=%s&action=%s&retries=%d&count=%d&batch=%s")
      :format(id, ports[q.port], q.pool, q.warm or q.pool, q.mode, q.action, q.retries or 0, q.count or 1,
        q.batch and "1" or "0")
    local out = get(srv.port, path)
    return out, get(srv.port, "/_counts?run=" .. id)
  end

  setup(function()
    local listens = {}
    for _, name in ipairs { "pool1", "pool32", "batch", "reads" } do
      ports[name] = nginx.free_port()
      listens[#listens + 1] = ("    listen 127.0.0.1:%d;"):format(ports[name])
    end
    srv = nginx.start {
      tmpdir = "build",
      http = "  lua_shared_dict drops 4m;",
      server = table.concat(listens, "\n") .. [[

    keepalive_requests 10000;
    location = /_counts { content_by_lua_block { require("support.drop_server").counts() } }
    location = /run { content_by_lua_block { require("openresty.drop_app").run() } }
    location / { content_by_lua_block { require("support.drop_server").handle() } }
]],
    }
  end)

  teardown(function()
    if srv then srv.stop() end
  end)

  for _, pool in ipairs { 1, 32 } do
    for _, action in ipairs(UNSAFE) do
      for _, retries in ipairs { 0, 3 } do
        it(("%s, pool of %d, max_retries = %d: one arrival, maybe_applied"):format(action, pool, retries), function()
          local out, n = run { port = "pool" .. pool, pool = pool, mode = "drop", action = action, retries = retries }
          assert.equal(pool, out.warm_ok)
          assert.equal(1, n.arrivals[action])
          local r = out.results[1]
          assert.is_false(r.ok)
          assert.equal("transport", r.kind)
          assert.equal("reset", r.reason)
          assert.is_true(r.maybe_applied)
          assert.equal(1, r.attempts)
          for _, conn in ipairs(n.conns[READ]) do assert.not_equal(conn, n.conns[action][1]) end
        end)
      end
    end

    it(("a create when only reused connections are dropped, pool of %d: once, a success"):format(pool), function()
      local out, n = run { port = "pool" .. pool, pool = pool, mode = "reused", action = UNSAFE[1] }
      assert.is_true(out.results[1].ok, out.results[1].text)
      assert.equal(1, n.arrivals[UNSAFE[1]])
    end)

    it(("a read on a dead pooled connection is sent again: one success, pool of %d"):format(pool), function()
      local out, n = run { port = "pool" .. pool, pool = pool, warm = 1, mode = "reused", action = READ }
      assert.is_true(out.results[1].ok, out.results[1].text)
      -- the warm-up, then each pooled connection (others left by the cases before) is
      -- dropped and the read goes on to the next, then to a new one: bounded by the pool
      local arrived = n.arrivals[READ]
      assert.is_true(arrived >= 3 and arrived <= pool + 2, arrived .. " arrivals")
    end)
  end

  it("client:batch of 20 creates on a warm pool of 4: each arrives once", function()
    local out, n = run { port = "batch", pool = 4, mode = "drop", action = UNSAFE[1], count = 20, batch = true }
    assert.equal(4, out.warm_ok)
    assert.equal(20, n.arrivals[UNSAFE[1]])
    for i = 1, 20 do
      assert.equal(1, n.names[UNSAFE[1] .. " n" .. i], "create n" .. i)
      assert.is_false(out.results[i].ok)
      assert.is_true(out.results[i].maybe_applied)
    end
  end)

  it("reads reuse one pooled connection", function()
    local out, n = run { port = "reads", pool = 8, warm = 1, mode = "ok", action = READ, count = 10 }
    for i = 1, 10 do assert.is_true(out.results[i].ok, out.results[i].text) end
    assert.equal(11, n.arrivals[READ])
    assert.equal(1, n.connections)
  end)
end)
