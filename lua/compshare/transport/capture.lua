--- A transport over `ngx.location.capture`: the request goes to an internal location you
-- declare (a `proxy_pass` to the API host with keep-alive upstream connections), so nginx's
-- own upstream module does the HTTP and the TLS (docs/OPENRESTY.md has the location to copy).
--
--   local capture = require "compshare.transport.capture"
--   local client = compshare.new { transport = capture.new { location = "/compshare_api" } }
--
-- opts: location (the internal location's URI, required), max_body (bytes, default
-- core.DEFAULTS.max_body), fallback (the transport for what a subrequest cannot carry;
-- default `compshare.transport.default(opts)`: cosockets where they can yield, else libcurl),
-- unsafe ("fallback" (default) or "capture": where a request with `retry_safe = false` goes).
-- The other options (insecure, cainfo, logger, pool_size, ...) are the fallback's.
--
-- The request's headers reach the location as variables, `compshare_header_` and the name in
-- lower case with "-" as "_" (U-Timestamp-Ms -> $compshare_header_u_timestamp_ms); the
-- location declares them and sets the headers from them. A header that would split the
-- request raises, as with the cosocket transport; Host, Content-Length, Connection and
-- Transfer-Encoding are nginx's to write and are dropped. Its URL only matters to the fallback
-- (the location's proxy_pass names the host), and its timeout is the location's proxy_*_timeout.
--
-- What goes to the fallback: requests made where there is no request to hang a subrequest on
-- (a timer, ssl_* phases; and outside nginx), and, unless unsafe = "capture", every request
-- that is not retry-safe: only the cosocket transport promises that such a request goes on a
-- fresh connection of its own and is never sent twice (nginx's upstream reuses its kept-alive
-- connections for any request).
local capture = {}

local core = require "compshare.core"
local ngx_transport = require "compshare.transport.ngx"
local check_header = ngx_transport.check_header

-- Phases where ngx.location.capture works.
local CAPTURE_PHASES = { rewrite = true, access = true, content = true }

local METHODS  -- name -> ngx.HTTP_* (filled on first use: ngx is not there at require time)

-- header name -> the variable carrying it (bounded: names are few)
local var_names, n_var_names = {}, 0

local function var_name(name)
  local v = var_names[name]
  if not v then
    if n_var_names >= 256 then var_names, n_var_names = {}, 0 end
    v = "compshare_header_" .. name:lower():gsub("-", "_")
    var_names[name], n_var_names = v, n_var_names + 1
  end
  return v
end

--- The answer's headers with lower-case names, repeated ones joined with ", ".
local function lower_headers(header)
  local out = {}
  for name, value in pairs(header or {}) do
    if type(value) == "table" then value = table.concat(value, ", ") end
    out[name:lower()] = value
  end
  return out
end

local function failure(reason, message, sent)
  return { kind = reason == "timeout" and "timeout" or "transport", reason = reason, message = message, sent = sent }
end

--- One request through the subrequest: response, or nil, err.
local function send_capture(c, req)
  METHODS = METHODS or { POST = ngx.HTTP_POST, GET = ngx.HTTP_GET, PUT = ngx.HTTP_PUT,
                         DELETE = ngx.HTTP_DELETE, HEAD = ngx.HTTP_HEAD }
  local method = METHODS[req.method or "POST"]
  if not method then return nil, failure("transport", "method not supported over capture: " .. tostring(req.method), false) end
  local vars = {}
  for name, value in pairs(req.headers or {}) do
    name, value = tostring(name), tostring(value)
    if check_header(name, value) then vars[var_name(name)] = value end   -- raises on a bad one
  end
  local res = ngx.location.capture(c.location, { method = method, body = req.body or "", vars = vars })
  if res.truncated then   -- nginx's upstream failed (connect, TLS, timeout, a dropped connection)
    local timeout = res.status == 504
    return nil, failure(timeout and "timeout" or "transport", ("nginx's upstream for %s %s before a whole answer"
      .. " (the error log says why)"):format(c.location, timeout and "timed out" or "failed"), true)
  end
  local body = res.body or ""
  if #body > c.max_body then
    return nil, failure("transport", "response body larger than " .. c.max_body .. " bytes", true)
  end
  return { status = res.status, headers = lower_headers(res.header), body = body }
end

--- One request: through the location, or through the fallback (see the top of this file).
local function send(c, req)
  if not CAPTURE_PHASES[ngx and ngx.get_phase and ngx.get_phase()]
    or (req.retry_safe == false and not c.unsafe_capture) then
    return c.fallback(req)
  end
  return send_capture(c, req)
end

--- reqs sent by `concurrency` light threads (ngx_transport.run_threads), or by the fallback
-- outside the phases where a subrequest can be made.
local function batch(c, reqs, concurrency)
  if not CAPTURE_PHASES[ngx and ngx.get_phase and ngx.get_phase()] then return c.fallback.batch(reqs, concurrency) end
  return ngx_transport.run_threads(function(req) return send(c, req) end, reqs, concurrency)
end

--- new(opts) -> transport: callable with a request; t.batch(reqs, concurrency); t.close().
function capture.new(opts)
  opts = opts or {}
  if type(opts.location) ~= "string" or opts.location:sub(1, 1) ~= "/" then
    error("compshare.transport.capture: opts.location must be the URI of an internal location, like \"/compshare_api\"", 2)
  end
  if opts.unsafe ~= nil and opts.unsafe ~= "fallback" and opts.unsafe ~= "capture" then
    error("compshare.transport.capture: opts.unsafe must be \"fallback\" or \"capture\"", 2)
  end
  local c = {
    location = opts.location,
    max_body = opts.max_body or core.DEFAULTS.max_body,
    unsafe_capture = opts.unsafe == "capture",
    fallback = opts.fallback or require("compshare.transport").default(opts),
  }
  local t = {}
  function t.batch(reqs, concurrency) return batch(c, reqs, concurrency) end
  function t.close() if c.fallback.close then c.fallback.close() end end
  return setmetatable(t, { __call = function(_, req) return send(c, req) end })
end

return capture
