--- A scripted stand-in for the parts of `ngx` the cosocket transport uses, so
-- its HTTP handling can be specified without nginx (the real thing runs in
-- spec/openresty/nginx_e2e.lua).
--
--   local fake = require("openresty.fake_ngx").new(function(request_bytes, conn)
--     return "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"  -- or nil, "closed"/"timeout"
--   end)
--   _G.ngx = fake.ngx
--
-- fake.clock: ngx.now(), moved on by fake.tick at every receive;
-- fake.sockets: every socket made (timeouts/timeout_log: what was set); fake.conns: every server-side connection
-- ({ id, requests = {bytes...}, uses }); fake.logs: ngx.log lines;
-- fake.refuse / fake.tls_error: make connect / sslhandshake fail; fake.tls_closes:
-- sslhandshake reports success but closes the socket (seen with ngx_lua 0.10.23).
local fake_ngx = {}
local unpack = table.unpack or unpack

function fake_ngx.new(handler)
  local fake = { sockets = {}, conns = {}, logs = {}, pools = {}, clock = 1000, spawned = 0 }

  local Sock = {}
  Sock.__index = Sock

  function Sock:settimeouts(c, s, r) self.timeouts = { c, s, r } end

  function Sock:settimeout(ms)
    self.timeout_log = self.timeout_log or {}
    self.timeout_log[#self.timeout_log + 1] = ms
  end

  function Sock:connect(host, port, o)
    self.host, self.port, self.pool = host, port, o and o.pool
    local pooled = fake.pools[self.pool] and table.remove(fake.pools[self.pool])
    if pooled then self.conn = pooled return 1 end
    if fake.refuse then return nil, fake.refuse end
    self.conn = { id = #fake.conns + 1, requests = {}, uses = 0, inbuf = "" }
    fake.conns[#fake.conns + 1] = self.conn
    return 1
  end

  function Sock:getreusedtimes()
    if self.closed then return nil, "closed" end
    return self.conn.uses
  end

  function Sock:sslhandshake(reused, name, verify)
    self.handshake = { reused = reused, name = name, verify = verify }
    if fake.tls_error then return nil, fake.tls_error end
    if fake.tls_closes then self.closed = true end  -- "success", yet the socket is gone
    return true
  end

  function Sock:send(data)
    local bytes = type(data) == "table" and table.concat(data) or data
    local conn = self.conn
    if conn.dead then return nil, "broken pipe" end
    conn.requests[#conn.requests + 1] = bytes
    local answer, err = handler(bytes, conn)
    conn.inbuf, conn.err = answer or "", err or "closed"
    return #bytes
  end

  local function take(conn, n)
    local out = conn.inbuf:sub(1, n)
    conn.inbuf = conn.inbuf:sub(n + 1)
    return out
  end

  function Sock:receive(pattern)
    fake.clock = fake.clock + (fake.tick or 0)  -- time each read takes
    local conn = self.conn
    if pattern == "*l" then
      local i = conn.inbuf:find("\n", 1, true)
      if not i then return nil, conn.err, take(conn, #conn.inbuf) end
      return (take(conn, i):gsub("\r?\n$", ""))
    end
    if #conn.inbuf < pattern then return nil, conn.err, take(conn, #conn.inbuf) end
    return take(conn, pattern)
  end

  function Sock:receiveuntil(pattern)
    return function()
      fake.clock = fake.clock + (fake.tick or 0)
      local conn = self.conn
      local i = conn.inbuf:find(pattern, 1, true)
      if not i then return nil, conn.err, take(conn, #conn.inbuf) end
      local data = take(conn, i - 1)
      take(conn, #pattern)
      return data
    end
  end

  function Sock:receiveany(max)
    local conn = self.conn
    if conn.inbuf == "" then return nil, conn.err end
    return take(conn, math.min(max, #conn.inbuf))
  end

  function Sock:setkeepalive(idle_ms, size)
    self.keepalive = { idle_ms, size }
    self.conn.uses = self.conn.uses + 1
    fake.pools[self.pool] = fake.pools[self.pool] or {}
    table.insert(fake.pools[self.pool], self.conn)
    return 1
  end

  function Sock:close() self.closed = true return 1 end

  fake.ngx = {
    WARN = 5,
    log = function(_, ...) fake.logs[#fake.logs + 1] = table.concat({ ... }) end,
    now = function() return fake.clock end,
    update_time = function() end,
    get_phase = function() return fake.phase or "content" end,
    socket = { tcp = function()
      local s = setmetatable({}, Sock)
      fake.sockets[#fake.sockets + 1] = s
      return s
    end },
    -- Threads run to completion when spawned; enough to check order and errors.
    thread = {
      spawn = function(f, ...)
        fake.spawned = fake.spawned + 1
        return { pcall(f, ...) }
      end,
      wait = function(th) return unpack(th) end,
    },
  }
  return fake
end

return fake_ngx
