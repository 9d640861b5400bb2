-- c/xfer.c keeps one easy handle's options between requests (only the per-request ones are set
-- again): a request must never inherit the method, body, NOBODY, timeout or fresh connection
-- of the one before.
local core = require "compshare.core"
local nginx = require "support.nginx"

local SERVER = [==[
    location = /echo {
      content_by_lua_block {
        ngx.req.read_body()
        local body = ngx.req.get_body_data() or ""
        ngx.header["X-Method"] = ngx.req.get_method()
        ngx.header["X-Body-Length"] = #body
        local h = ngx.req.get_headers()
        ngx.header["X-Long-Length"] = h["x-long"] and #h["x-long"] or "none"
        ngx.header["X-Empty"] = h["x-empty"] == "" and "empty" or tostring(h["x-empty"])
        ngx.header["X-Connection"] = ngx.var.connection
        local ua = h["user-agent"]
        ngx.header["X-Agent"] = type(ua) == "table" and table.concat(ua, " | ") or ua or "none"
        ngx.print("got:" .. body)
      }
    }
    location = /sized {
      content_by_lua_block {
        local n = tonumber(ngx.var.arg_n)
        ngx.header["Content-Length"] = n
        if ngx.req.get_method() ~= "HEAD" then ngx.print(("0123456789"):rep(math.floor(n / 10) + 1):sub(1, n)) end
      }
    }
    location = /headers {
      content_by_lua_block {
        local lines = {}
        for k, v in pairs(ngx.req.get_headers()) do
          if k:find("^x%-") then lines[#lines + 1] = k .. "=" .. (type(v) == "table" and table.concat(v, "|") or v) end
        end
        table.sort(lines)
        ngx.print(table.concat(lines, "\n"))
      }
    }
    location = /wait { content_by_lua_block { ngx.sleep(0.3) ngx.print("late") } }
]==]

describe("a reused easy handle", function()
  local srv, session

  lazy_setup(function() srv = nginx.start { log_level = "warn", server = SERVER } end)
  lazy_teardown(function() if srv then srv.stop() end end)
  before_each(function() session = core.session {} end)
  after_each(function() session:close() end)

  local function echo(req)
    req.url = srv.url .. "echo"
    local res = assert(session:request(req))
    return { res.headers["x-method"], res.headers["x-body-length"], res.body }
  end

  -- The echo location's answer header `name` for a GET with the fields of req.
  local function echoed(name, req)
    req.url, req.method = srv.url .. "echo", "GET"
    return assert(session:request(req)).headers[name]
  end

  it("sends each request with its own method and body, whatever came before", function()
    assert.are.same({ "HEAD", "0", "" }, echo { method = "HEAD" })
    assert.are.same({ "GET", "0", "got:" }, echo { method = "GET" })           -- NOBODY cleared
    assert.are.same({ "POST", "3", "got:abc" }, echo { body = "abc" })
    assert.are.same({ "DELETE", "0", "got:" }, echo { method = "DELETE" })     -- no earlier body
    assert.are.same({ "PUT", "2", "got:xy" }, echo { method = "PUT", body = "xy" })
    assert.are.same({ "POST", "0", "got:" }, echo { method = "POST" })         -- no custom method left
    assert.are.same({ "GET", "0", "got:" }, echo { method = "GET" })
  end)

  it("receives bodies sized from Content-Length whole, large after small and small after large", function()
    for _, n in ipairs { 10, 300000, 5, 2000000, 0, 70000 } do
      local res = assert(session:request { url = srv.url .. "sized?n=" .. n, method = "GET" })
      assert.are.equal(n, #res.body)
      assert.are.equal(("0123456789"):rep(math.floor(n / 10) + 1):sub(1, n), res.body)
    end
    -- a HEAD's Content-Length (here 60 MB) describes a body that never comes: no buffer for it
    local res = assert(session:request { url = srv.url .. "sized?n=60000000", method = "HEAD" })
    assert.are.same({ 200, "60000000", "" }, { res.status, res.headers["content-length"], res.body })
  end)

  it("sends short, long and empty header values", function()
    local res = assert(session:request { url = srv.url .. "echo", method = "GET",
                                         headers = { ["X-Long"] = ("v"):rep(1000), ["X-Empty"] = "" } })
    assert.are.same({ "1000", "empty" }, { res.headers["x-long-length"], res.headers["x-empty"] })
    res = assert(session:request { url = srv.url .. "echo", method = "GET", headers = { ["X-Long"] = "short" } })
    assert.are.same({ "5", "nil" }, { res.headers["x-long-length"], res.headers["x-empty"] })
  end)

  it("sends the session's User-Agent only when the request names none, in any case and order", function()
    local function agent(headers) return echoed("x-agent", { headers = headers }) end
    local session_agent = agent(nil)
    assert.matches("^compshare%-lua/", session_agent)
    assert.equal("mine/1", agent { ["User-Agent"] = "mine/1" })
    assert.equal(session_agent, agent { ["X-Other"] = "1" })
    assert.equal("mine/2", agent { ["user-agent"] = "mine/2" })
    assert.equal("mine/3", agent { ["USER-AGENT"] = "mine/3" })
    assert.equal(session_agent, agent(nil))
    local own = core.session { user_agent = "own/9" }
    local res = assert(own:request { url = srv.url .. "echo", method = "GET" })
    own:close()
    assert.equal("own/9", res.headers["x-agent"])
    res = assert(session:batch({ { url = srv.url .. "echo", method = "GET" },
                                 { url = srv.url .. "echo", method = "GET", headers = { ["User-Agent"] = "b/1" } } }))
    assert.are.same({ session_agent, "b/1" }, { res[1].headers["x-agent"], res[2].headers["x-agent"] })
  end)

  it("sends each request's own header lines, however they differ from the last request's", function()
    local function sent(headers)
      local res = assert(session:request { url = srv.url .. "headers", method = "GET", headers = headers })
      return res.body
    end
    local long = ("L"):rep(300)
    local steps = {
      { { ["X-A"] = "1", ["X-B"] = "22" }, "x-a=1\nx-b=22" },
      { { ["X-A"] = "2", ["X-B"] = "33" }, "x-a=2\nx-b=33" },                  -- same lengths: rewritten
      { { ["X-A"] = "2" }, "x-a=2" },                                        -- shorter list
      { nil, "" },
      { { ["X-A"] = "9", ["X-B"] = long, ["X-C"] = "" }, "x-a=9\nx-b=" .. long .. "\nx-c=" },
      { { ["X-B"] = "1", ["X-Ab"] = "0" }, "x-ab=0\nx-b=1" },                   -- other names, other lengths
      { { ["X-A"] = 7, ["X-D"] = "four" }, "x-a=7\nx-d=four" },
    }
    for i, step in ipairs(steps) do assert.are.equal(step[2], sent(step[1]), "step " .. i) end
    -- a refused header leaves no half-written list behind for the next request
    assert.has_error(function() sent { ["X-A"] = "1", ["Bad Name"] = "x" } end)
    assert.are.equal("x-a=5", sent { ["X-A"] = "5" })
    for i, step in ipairs(steps) do assert.are.equal(step[2], sent(step[1]), "again, step " .. i) end
  end)

  it("applies each request's timeout, also when it goes back to an earlier one", function()
    local url = srv.url .. "wait"
    local res, kind = session:request { url = url, timeout = 0.1 }
    assert.are.same({ nil, "timeout" }, { res, kind })
    res = assert(session:request { url = url, timeout = 5 })
    assert.are.equal("late", res.body)
    res, kind = session:request { url = url, timeout = 0.1 }
    assert.are.same({ nil, "timeout" }, { res, kind })
  end)

  it("gives each request with retry_safe = false a new connection, and the next read the kept one", function()
    local function conn(retry_safe) return echoed("x-connection", { retry_safe = retry_safe }) end
    local kept = conn(nil)
    assert.equal(kept, conn(true))
    local seen = { [kept] = true }
    for _ = 1, 3 do
      local c = conn(false)
      assert.is_nil(seen[c], "a connection used before: " .. c)
      seen[c] = true
      assert.is_true(seen[conn(true)] == true, "a read made a new connection")
    end
  end)

  it("refuses a retry_safe that is not a boolean, in a request and in a batch", function()
    assert.has_error(function() session:request { url = srv.url .. "echo", retry_safe = "no" } end,
      "compshare: request: retry_safe must be a boolean")
    assert.has_error(function()
      session:batch({ { url = srv.url .. "echo" }, { url = srv.url .. "echo", retry_safe = 0 } })
    end, "compshare: request 2: retry_safe must be a boolean")
  end)
end)
