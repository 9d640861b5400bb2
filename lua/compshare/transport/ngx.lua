--- The OpenResty transport: HTTP/1.1 over `ngx.socket.tcp` cosockets, so a call
-- yields to nginx's event loop instead of blocking the worker.
--
--   local t = require("compshare.transport.ngx").new{ insecure = false }
--   local res, err = t{ url = "https://api.compshare.cn", method = "POST",
--                       headers = {...}, body = "...", timeout = 30 }
--
-- opts: insecure (skip TLS verification; logs a warning), cainfo (cannot be set
-- per socket in nginx: use `lua_ssl_trusted_certificate`; a note is logged),
-- logger (function(msg); default ngx.log at WARN), pool_size (connections kept
-- per host:port:tls, default 32), keepalive_timeout (idle seconds in the pool,
-- default 10), connect_timeout (seconds, default: the call's timeout),
-- max_body (bytes, default core.DEFAULTS.max_body: 64 MB).
--
-- A request with `retry_safe = false` (an action not safe to repeat) is sent once,
-- on a new connection of its own, never over a pooled one (docs/RELIABILITY.md).
--
-- Only usable where cosockets may yield (rewrite, access, content, timer):
-- `compshare.transport` picks it there and libcurl elsewhere.
local ngx_transport = {}

local core = require "compshare.core"   -- core.DEFAULTS: timeout, concurrency, max_body (c/defaults.h)

local DEFAULT_PORT = { http = 80, https = 443 }
-- Headers the transport writes itself; a caller's copy is dropped.
local OWN_HEADERS = { host = true, ["content-length"] = true, connection = true, ["transfer-encoding"] = true }

local function now()
  ngx.update_time()
  return ngx.now()
end

-- Milliseconds left before `deadline` (at least 1: a cosocket timeout of 0 means none). nginx's
-- cached clock (no ngx.update_time): it is refreshed after every wait for a socket, and being
-- behind only gives a read a little more time; the deadline itself is set from an updated clock.
local function left_ms(deadline)
  return math.max(1, math.floor((deadline - ngx.now()) * 1000))
end

--- `sock` for reading, with the time left before `deadline` as the timeout of each read.
local function reader(sock, deadline)
  return {
    receive = function(_, pattern)
      sock:settimeout(left_ms(deadline))
      return sock:receive(pattern)
    end,
    receiveany = function(_, max)
      sock:settimeout(left_ms(deadline))
      return sock:receiveany(max)
    end,
  }
end

-- The peer closed or reset the connection.
local function dropped(err)
  return err == "closed" or err == "broken pipe" or tostring(err):find("reset", 1, true) ~= nil
end

--- url -> { tls, host, port, path, authority } or nil, message.
function ngx_transport.parse_url(url)
  if type(url) ~= "string" then return nil, "URL must be a string, got " .. type(url) end
  local scheme, rest = url:match("^(%a[%w+.-]*)://(.*)$")
  scheme = scheme and scheme:lower()
  if not DEFAULT_PORT[scheme] then
    return nil, "unsupported URL (need http:// or https://): " .. url
  end
  local authority, path = rest:match("^([^/?#]*)([^#]*)")
  if authority:find("@", 1, true) then return nil, "user info in URLs is not supported: " .. url end
  local host, port
  if authority:sub(1, 1) == "[" then
    host, port = authority:match("^(%[[%x:.]+%])(.*)$")
  else
    host, port = authority:match("^([^:]+)(.*)$")
  end
  if not host then return nil, "URL has no host: " .. url end
  if port == "" then
    port = DEFAULT_PORT[scheme]
  else
    port = tonumber(port:match("^:(%d+)$"))
    if not port or port < 1 or port > 65535 then return nil, "URL has a bad port: " .. url end
  end
  if path == "" then path = "/" elseif path:sub(1, 1) == "?" then path = "/" .. path end
  return {
    tls = scheme == "https", host = host, port = port, path = path,
    authority = port == DEFAULT_PORT[scheme] and host or (host .. ":" .. port),
  }
end

local find, byte, sub, lower = string.find, string.byte, string.sub, string.lower

-- Header names and values already checked, so the same few that a client sends with every
-- call are checked once (LuaJIT runs the pattern matcher interpreted in nginx: checking a
-- 70-byte User-Agent with a pattern took ~11k instructions, a lookup ~50). A name maps to
-- false for the headers the transport writes itself. Bounded: both are forgotten together
-- past CHECKED_MAX entries.
local CHECKED_MAX = 256
local checked_names, checked_values, n_checked = {}, {}, 0

local function remember(t, k, v)
  if n_checked >= CHECKED_MAX then checked_names, checked_values, n_checked = {}, {}, 0 end
  n_checked = n_checked + 1
  t[k] = v
end

--- name, value (strings) -> true for a header to write, false for one the transport writes
-- itself (Host, Content-Length, ...). Raises on a name or value that would split the request (a
-- programming mistake). compshare.transport.capture checks its headers with it too.
function ngx_transport.check_header(name, value)
  local keep = checked_names[name]
  if keep == nil then
    if find(name, "[%c:%s]") then error("compshare: bad HTTP header " .. ("%q"):format(name), 0) end
    keep = not OWN_HEADERS[lower(name)]
    remember(checked_names, name, keep)
  end
  if not checked_values[value] then
    if find(value, "\r", 1, true) or find(value, "\n", 1, true) or find(value, "\0", 1, true) then
      error("compshare: bad HTTP header " .. ("%q"):format(name), 0)
    end
    remember(checked_values, value, true)
  end
  return keep
end
local check_header = ngx_transport.check_header

--- The request head: request line, Host, the caller's headers, Content-Length.
local function request_head(u, req, body)
  local method = req.method or "POST"
  local lines = { method .. " " .. u.path .. " HTTP/1.1", "Host: " .. u.authority }
  for name, value in pairs(req.headers or {}) do
    name, value = tostring(name), tostring(value)
    if check_header(name, value) then lines[#lines + 1] = name .. ": " .. value end
  end
  if #body > 0 or method == "POST" or method == "PUT" then
    lines[#lines + 1] = "Content-Length: " .. #body
  end
  lines[#lines + 1] = "\r\n"
  return table.concat(lines, "\r\n")
end

-- A failure in the transport contract's shape. `reason` mirrors the libcurl
-- transport's kinds: connect, tls, reset, timeout, transport.
local function failure(reason, what, err, sent)
  if err == "timeout" then reason = "timeout" end
  if reason == "transport" and dropped(err) then reason = "reset" end
  return { kind = reason == "timeout" and "timeout" or "transport", reason = reason,
           message = what .. ": " .. tostring(err), sent = sent }
end

--- Header lines up to the blank line -> { lower-case name = value }.
local function read_headers(sock)
  local headers = {}
  while true do
    local line, err = sock:receive("*l")
    if not line then return nil, err end
    if line == "" then return headers end
    local name, value = line:match("^([^:%s]+)%s*:%s*(.-)%s*$")
    if not name then return nil, "bad header line" end
    name = name:lower()
    headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
  end
end

-- Response header names seen before -> their lower-case form (bounded like checked_names).
local field_names, n_field_names = {}, 0

-- headers[lname] = value, its trailing blanks cut; a repeated name is joined by ", ".
local function add_field(headers, lname, value)
  local last = byte(value, -1)
  if last == 32 or last == 9 then value = value:match("^(.-)%s*$") end
  local seen = headers[lname]
  headers[lname] = seen and (seen .. ", " .. value) or value
end

--- The header lines after the status line, from `pos` (at the status line's end), in the
-- common shape only: "\r\n" or "\n" before each line, a name of no spaces or control
-- characters followed at once by ":", no CR inside a line. Plain finds and byte tests, no
-- pattern per line. -> { lower-case name = value }, or nil for anything else (which the
-- pattern-based fields_exact below then reads, with its answer or its error).
local function fields_fast(text, pos, n)
  local headers = {}
  while pos <= n do
    local b = byte(text, pos)
    if b == 13 then pos = pos + 1; b = byte(text, pos) end
    if b ~= 10 then return nil end
    local start = pos + 1
    local nl = find(text, "\n", start, true)
    local colon = find(text, ":", start, true)
    if not colon or colon == start or (nl and colon > nl) then return nil end
    local name = sub(text, start, colon - 1)
    local lname = field_names[name]
    if not lname then
      if find(name, "[%c%s]") then return nil end
      if n_field_names >= CHECKED_MAX then field_names, n_field_names = {}, 0 end
      lname, n_field_names = lower(name), n_field_names + 1
      field_names[name] = lname
    end
    local v = colon + 1
    b = byte(text, v)
    while b == 32 or b == 9 do v = v + 1; b = byte(text, v) end
    local stop = n   -- the value's last byte
    if nl then stop = byte(text, nl - 1) == 13 and nl - 2 or nl - 1 end
    local cr = find(text, "\r", v, true)
    if cr and cr <= stop then return nil end
    add_field(headers, lname, sub(text, v, stop))
    pos = stop + 1
  end
  return headers
end

--- The same, any shape: -> headers, or nil when a line is not a header line.
local function fields_exact(text, pos, n)
  local headers = {}
  while pos <= n do
    local _, e, name, value = find(text, "^\r?\n([^:%s]+)[ \t]*:[ \t]*([^\r\n]*)", pos)
    if not e then return nil end
    add_field(headers, name:lower(), value)
    pos = e + 1
  end
  return headers
end

--- One response head (status line and header lines) read with a single `receiveuntil` and
-- parsed in one pass -> version, status, { lower-case name = value }. When a read fails:
-- nil, err, partial (what came before the failure); when the head is not HTTP: nil, message,
-- nil, "status" or "header".
local function read_head(sock, deadline)
  sock:settimeout(left_ms(deadline))
  local text, err, partial = sock:receiveuntil("\r\n\r\n")()
  if not text then return nil, err, partial end
  local version, status, pos = text:match("^HTTP/(%d%.%d) (%d%d%d)[^\r\n]*()")
  if not version then return nil, ("%q"):format(text:match("^[^\r\n]*"):sub(1, 80)), nil, "status" end
  local n = #text
  local headers = fields_fast(text, pos, n) or fields_exact(text, pos, n)
  if not headers then return nil, "bad header line", nil, "header" end
  return version, tonumber(status), headers
end

local function read_chunked(sock, max_body)
  local parts, total = {}, 0
  while true do
    local line, err = sock:receive("*l")
    if not line then return nil, err end
    local size = tonumber(line:match("^%s*(%x+)%s*[;]?") or "", 16)
    if not size then return nil, "bad chunk size line" end
    if size == 0 then break end
    total = total + size
    if total > max_body then return nil, "response body larger than " .. max_body .. " bytes" end
    local data
    data, err = sock:receive(size)
    if not data then return nil, err end
    parts[#parts + 1] = data
    local crlf
    crlf, err = sock:receive(2)
    if crlf ~= "\r\n" then return nil, err or "chunk not followed by CRLF" end
  end
  local trailers, err = read_headers(sock)
  if not trailers then return nil, err end
  return table.concat(parts)
end

local function read_until_close(sock, max_body)
  local parts, total = {}, 0
  while true do
    local data, err = sock:receiveany(65536)
    if not data then
      if err == "closed" then return table.concat(parts) end
      return nil, err
    end
    total = total + #data
    if total > max_body then return nil, "response body larger than " .. max_body .. " bytes" end
    parts[#parts + 1] = data
  end
end

--- Body per RFC 7230 §3.3.3 -> body, delimited (true when the connection may be reused).
-- A Content-Length body is one read; chunked and read-until-close bodies go through a
-- reader that gives each of their reads the time left.
local function read_body(sock, deadline, method, status, headers, max_body)
  if method == "HEAD" or status == 204 or status == 304 or status < 200 then return "", true end
  local te = headers["transfer-encoding"]
  if te and te:lower():find("chunked", 1, true) then
    local body, err = read_chunked(reader(sock, deadline), max_body)
    return body, err or true
  end
  local len = headers["content-length"]
  if len then
    local n = len:match("^%d+$") and tonumber(len)
    if not n then return nil, "bad Content-Length " .. len end
    if n > max_body then return nil, "response body larger than " .. max_body .. " bytes" end
    if n == 0 then return "", true end
    sock:settimeout(left_ms(deadline))
    local body, err = sock:receive(n)
    return body, err or true
  end
  local body, err = read_until_close(reader(sock, deadline), max_body)
  return body, err or false
end

-- An exchange that failed after connecting: the socket closed, the error, and whether a pooled
-- connection was found dead before it answered a byte (`stale_ok`: the failure is of that kind).
local function fail(sock, u, reused, reason, what, err, stale_ok)
  sock:close()
  return nil, failure(reason, what .. " " .. u.authority, err, true), reused and stale_ok and dropped(err)
end

local function keep_alive(version, headers)
  local conn = (headers.connection or ""):lower()
  if version == "1.0" then return conn:find("keep-alive", 1, true) ~= nil end
  return not conn:find("close", 1, true)
end

--- The settings of one transport, from new's opts (the logger warns about unsafe ones once).
local function settings(opts)
  local c = {
    verify = not opts.insecure,
    log = opts.logger or function(msg) ngx.log(ngx.WARN, msg) end,
    pool_size = opts.pool_size or 32,
    idle_ms = math.floor((opts.keepalive_timeout or 10) * 1000),
    max_body = opts.max_body or core.DEFAULTS.max_body,
    connect_timeout = opts.connect_timeout,
    urls = {},   -- url -> parsed url with its connect options
  }
  if not c.verify then c.log("compshare: WARNING: TLS verification is off (insecure = true)") end
  if opts.cainfo then
    c.log("compshare: cainfo is ignored inside nginx; trust " .. tostring(opts.cainfo)
      .. " with the lua_ssl_trusted_certificate directive instead")
  end
  return c
end

--- The parsed url with its connect options (made once per URL), or nil, message.
local function parsed(c, url)
  local u = c.urls[url]
  if u then return u end
  local err
  u, err = ngx_transport.parse_url(url)
  if u then
    local pool = ("compshare:%s:%d:%s"):format(u.host, u.port, u.tls and (c.verify and "tls" or "tls-noverify") or "plain")
    u.pooled = { pool = pool, pool_size = c.pool_size }
    u.fresh = { pool = pool .. ":fresh" }
    c.urls[url] = u
  end
  return u, err
end

-- Connect (or take a pooled connection) and do the TLS handshake once per connection.
-- `fresh`: always a new connection. Its pool name gets ":fresh" and no connection is
-- ever put back under that name, so nginx finds none idle there and connects.
local function open(c, u, deadline, connect_s, fresh)
  local sock = ngx.socket.tcp()
  local left = left_ms(deadline)
  sock:settimeouts(math.min(left, math.floor(connect_s * 1000)), left, left)
  local ok, err = sock:connect(u.host, u.port, fresh and u.fresh or u.pooled)
  if not ok then return nil, failure("connect", "connect to " .. u.authority, err, false) end
  if u.tls and sock:getreusedtimes() == 0 then
    ok, err = sock:sslhandshake(false, (u.host:gsub("^%[(.*)%]$", "%1")), c.verify)
    -- ngx_lua 0.10.23 + resty.core 0.1.25 at times report a failed
    -- verification as success and close the socket: check it is still open.
    if ok and not sock:getreusedtimes() then
      ok, err = nil, "connection closed during the handshake (certificate verification failed?"
        .. " the nginx error log has the reason)"
    end
    if not ok then
      sock:close()
      return nil, failure("tls", "TLS handshake with " .. u.authority, err, false)
    end
  end
  return sock
end

-- One exchange on one connection. The third result is true when a pooled
-- connection turned out to be closed by the server before answering a byte:
-- a safe request may be sent again (the server may have processed it anyway).
-- `fresh` (a request that is not retry-safe): a new connection, closed after.
local function exchange(c, u, req, head, body, deadline, connect_s, fresh)
  local sock, ferr = open(c, u, deadline, connect_s, fresh)
  if not sock then return nil, ferr end
  local reused = sock:getreusedtimes() > 0
  sock:settimeout(left_ms(deadline))
  local _, err = sock:send({ head, body })
  if err then return fail(sock, u, reused, "transport", "sending to", err, true) end
  local version, status, headers, what
  local first = true
  repeat  -- an interim 1xx answer is skipped
    version, status, headers, what = read_head(sock, deadline)
    if not version then  -- status: the error; headers: what came before a failed read
      if what == "status" then return fail(sock, u, reused, "transport", "bad status line from", status) end
      if what == "header" then return fail(sock, u, reused, "transport", "reading headers from", status) end
      return fail(sock, u, reused, "transport", "reading from", status, first and headers == "")
    end
    first = false
  until status >= 200
  local res_body, delimited = read_body(sock, deadline, req.method or "POST", status, headers, c.max_body)
  if not res_body then return fail(sock, u, reused, "transport", "reading body from", delimited) end
  if delimited and not fresh and keep_alive(version, headers) then
    sock:setkeepalive(c.idle_ms, c.pool_size)
  else
    sock:close()
  end
  return { status = status, headers = headers, body = res_body }
end

--- One request: response, or nil, err. Only a retry-safe request is sent again, and only
-- when a pooled connection was found dead before it answered a byte.
local function send(c, req)
  local u, uerr = parsed(c, req.url)
  if not u then return nil, { kind = "transport", reason = "transport", message = uerr, sent = false } end
  local timeout = req.timeout or core.DEFAULTS.timeout
  local deadline = now() + timeout
  local connect_s = math.min(timeout, c.connect_timeout or timeout)
  local body = req.body or ""
  local head = request_head(u, req, body)
  if req.retry_safe == false then  -- sent once, on a connection of its own (docs/RELIABILITY.md)
    return exchange(c, u, req, head, body, deadline, connect_s, true)
  end
  -- Each stale pooled connection is closed when found, so this ends.
  for _ = 1, c.pool_size do
    local res, err, stale = exchange(c, u, req, head, body, deadline, connect_s)
    if not stale then return res, err end
  end
  return exchange(c, u, req, head, body, deadline, connect_s)
end

--- send_one(reqs[i]) for every request, from `concurrency` light threads (ngx.thread):
-- results in order, a response or `{ error = err }`; an error raised in a thread is raised
-- once every thread is done. Shared by this transport and `compshare.transport.capture`.
function ngx_transport.run_threads(send_one, reqs, concurrency)
  local n, next_i, out = #reqs, 0, {}
  local function worker()
    while next_i < n do
      next_i = next_i + 1
      local i = next_i
      local res, err = send_one(reqs[i])
      out[i] = res or { error = err }
    end
  end
  local threads = {}
  for j = 1, math.max(1, math.min(concurrency or core.DEFAULTS.concurrency, n)) do threads[j] = ngx.thread.spawn(worker) end
  local first_error
  for _, th in ipairs(threads) do
    local ok, err = ngx.thread.wait(th)
    if not ok and not first_error then first_error = err end
  end
  if first_error then error(first_error, 0) end
  return out
end

--- new(opts) -> transport: callable with a request; t.batch(reqs, concurrency); t.close().
function ngx_transport.new(opts)
  local c = settings(opts or {})
  local t = {}
  function t.batch(reqs, concurrency)
    return ngx_transport.run_threads(function(req) return send(c, req) end, reqs, concurrency)
  end
  --- Pooled connections belong to nginx; nothing to release here.
  function t.close() end
  return setmetatable(t, { __call = function(_, req) return send(c, req) end })
end

return ngx_transport
