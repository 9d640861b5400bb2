--- Runs INSIDE the nginx under test of spec/openresty/capture_e2e.lua: locations that call the
-- API stand-in through compshare.transport.capture and answer what happened as JSON. Every
-- ngx.socket.tcp() made is counted, so the driver can tell subrequests from cosocket calls.
local compshare = require "compshare"
local capture = require "compshare.transport.capture"
local json = require "cjson.safe"

local app = {}

local sockets_made = 0
local settings

--- init{ public_key =, private_key =, base_url = } from init_by_lua.
function app.init(opts)
  settings = opts
  local tcp = ngx.socket.tcp
  ngx.socket.tcp = function(...)  -- luacheck: ignore 122
    sockets_made = sockets_made + 1
    return tcp(...)
  end
end

local function client(q)
  return compshare.new {
    public_key = settings.public_key, private_key = settings.private_key, region = "cn-wlcb", zone = "cn-wlcb-01",
    base_url = settings.base_url, max_retries = 0,
    transport = capture.new { location = q.location or "/compshare_api", unsafe = q.unsafe, max_body = tonumber(q.max_body) },
  }
end

local function outcome(res, err, before)
  return { ok = res ~= nil, response = res, cosockets = sockets_made - before,
           error = err and { kind = err.kind, message = err.message, text = tostring(err),
                             maybe_applied = err.maybe_applied } }
end

-- `n` calls of `action` (default DescribeCompShareImages) with one client.
local function calls(q)
  local c, out = client(q), {}
  for i = 1, tonumber(q.n) or 1 do
    local before = sockets_made
    local res, err = c:call(q.action or "DescribeCompShareImages", { Limit = 5, Name = q.name })
    out[i] = outcome(res, err, before)
  end
  return out
end

--- GET /capture?n=&action=&unsafe=&max_body=&location=
function app.call()
  local q = ngx.req.get_uri_args()
  ngx.header["Content-Type"] = "application/json"
  ngx.say(json.encode { phase = ngx.get_phase(), calls = calls(q) })
end

--- GET /capture-timer: the same call made in a timer (no request to hang a subrequest on).
function app.timer()
  local q, done = ngx.req.get_uri_args(), nil
  assert(ngx.timer.at(0, function() done = { phase = ngx.get_phase(), calls = calls(q) } end))
  for _ = 1, 500 do
    if done then break end
    ngx.sleep(0.01)
  end
  ngx.header["Content-Type"] = "application/json"
  ngx.say(json.encode(done or { error = "the timer did not finish" }))
end

--- For the API stand-in's `reply`: the request headers that it must never see (the end user's).
function app.reply()
  local h = ngx.req.get_headers()
  return { Cookie = h["cookie"] or false, Secret = h["x-user-secret"] or false }
end

return app
