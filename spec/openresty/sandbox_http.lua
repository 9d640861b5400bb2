--- Runs INSIDE the upstream nginx of spec/openresty/nginx_e2e.lua: serves
-- compshare.sandbox (a transport function req -> res) over HTTP, so a client in
-- another nginx talks to it through real sockets. One sandbox per nginx
-- process, on nginx's clock, with lifecycles shortened for the test.
local sandbox = require "compshare.sandbox"

local sandbox_http = {}

local instance

local function clock()
  ngx.update_time()
  return ngx.now()
end

--- The location's content handler. durations: seconds per lifecycle step.
function sandbox_http.serve(durations)
  instance = instance or sandbox.new { clock = clock, durations = durations }
  ngx.req.read_body()
  local res, err = instance {
    url = ngx.var.scheme .. "://" .. ngx.var.http_host .. ngx.var.request_uri,
    method = ngx.req.get_method(),
    headers = ngx.req.get_headers(),
    body = ngx.req.get_body_data() or "",
  }
  if not res then
    ngx.status = 502
    return ngx.say(type(err) == "table" and tostring(err.message) or tostring(err))
  end
  ngx.status = res.status
  for name, value in pairs(res.headers or {}) do ngx.header[name] = value end
  ngx.print(res.body or "")
end

return sandbox_http
