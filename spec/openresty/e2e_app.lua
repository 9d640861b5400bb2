--- Runs INSIDE the nginx under test (spec/openresty/nginx_e2e.lua): locations
-- that call the API stand-in through compshare and answer what happened as JSON.
-- The stand-in's base URL comes from the environment (`env E2E_VERIFY_URL=...;`);
-- UCLOUD_API_BASE_URL points at the sandbox, for the example handler. Every ngx.socket.tcp() made is counted, so the
-- driver can tell cosocket calls from libcurl ones.
local compshare = require "compshare"
local json = require "cjson.safe"

local app = {}

-- sockets made, sockets open now (made and not yet given back by setkeepalive or close),
-- and the most open at once since the last reset: the driver tells overlap from these
-- counts, never from a clock.
local sockets_made, sockets_open, sockets_peak = 0, 0, 0
local function given_back(method)
  return function(sock, ...)
    sockets_open = sockets_open - 1
    return method(sock, ...)
  end
end
local function count_cosockets()
  local tcp = ngx.socket.tcp
  ngx.socket.tcp = function(...)  -- luacheck: ignore 122
    sockets_made, sockets_open = sockets_made + 1, sockets_open + 1
    if sockets_open > sockets_peak then sockets_peak = sockets_open end
    local sock, err = tcp(...)
    if not sock then return sock, err end
    local methods = {}  -- the socket's methods, bound to it; setkeepalive and close counted
    return setmetatable({}, { __index = function(_, name)
      local method = sock[name]
      if type(method) ~= "function" then return method end
      if name == "setkeepalive" or name == "close" then method = given_back(method) end
      methods[name] = methods[name] or function(_, ...) return method(sock, ...) end
      return methods[name]
    end })
  end
  -- every real (blocking) sleep of the SDK's, counted for /ping
  local core = require "compshare.core"
  local sleep = core.sleep
  core.sleep = function(s)
    ngx.shared.e2e:incr("real_sleeps", 1, 0)
    return sleep(s)
  end
end

local function elapsed_since(t0)
  ngx.update_time()
  return ngx.now() - t0
end

local function reply(t)
  ngx.header["Content-Type"] = "application/json"
  ngx.say(json.encode(t))
end

local function error_fields(err)
  if not err then return nil end
  return { kind = err.kind, message = err.message, text = tostring(err), maybe_applied = err.maybe_applied }
end

-- One DescribeCompShareImages; its outcome as a JSON-able table.
local function describe_images(client)
  ngx.update_time()
  local t0, before = ngx.now(), sockets_made
  local res, err = client:call("DescribeCompShareImages", { ImageType = "System", Limit = 5 })
  return { ok = res ~= nil, response = res, error = error_fields(err),
           cosockets = sockets_made - before, elapsed = elapsed_since(t0) }
end

local function client_for(path, opts)
  opts = opts or {}
  opts.base_url = (opts.base_url or os.getenv("E2E_VERIFY_URL")) .. (path or "")
  return compshare.new(opts)
end

--- init_by_lua: count cosockets, and make one call there (cosockets cannot
-- run in init, so this one must go through libcurl).
function app.init(base_url)
  count_cosockets()
  local outcome = describe_images(client_for("", { base_url = base_url }))
  outcome.phase = ngx.get_phase()
  ngx.shared.e2e:set("init_call", json.encode(outcome))
end

function app.init_call()
  ngx.say(ngx.shared.e2e:get("init_call"))
end

--- GET /call?n=N&path=P&key=K&timeout=S&base=URL: N calls in a row with one
-- client (signing with private key K, timing out after S seconds, to another
-- base URL when given); their outcomes.
function app.call()
  local client = client_for(ngx.var.arg_path, { private_key = ngx.var.arg_key,
    timeout = tonumber(ngx.var.arg_timeout), base_url = ngx.var.arg_base })
  local out = {}
  for i = 1, tonumber(ngx.var.arg_n) or 1 do out[i] = describe_images(client) end
  reply { phase = ngx.get_phase(), calls = out }
end

--- GET /slow: one call to the upstream's slow location, counted as in flight.
function app.slow()
  local dict = ngx.shared.e2e
  dict:incr("inflight", 1, 0)
  local outcome = describe_images(client_for("slow"))
  dict:incr("inflight", -1, 0)
  reply(outcome)
end

--- GET /ping: answers at once with the number of calls in flight.
function app.ping()
  reply { inflight = ngx.shared.e2e:get("inflight") or 0, real_sleeps = ngx.shared.e2e:get("real_sleeps") or 0 }
end

--- GET /batch?n=N: client:batch of N slow calls, all at once.
function app.batch()
  local n = tonumber(ngx.var.arg_n) or 20
  local calls = {}
  for i = 1, n do calls[i] = { "DescribeCompShareImages", { ImageType = "System", Offset = i } } end
  ngx.update_time()
  local t0, before, open = ngx.now(), sockets_made, sockets_open
  sockets_peak = open
  local results = client_for("slow"):batch(calls, { concurrency = tonumber(ngx.var.arg_concurrency) or n })
  local out = { n = #results, ok = 0, offsets = {}, errors = {}, elapsed = elapsed_since(t0),
                cosockets = sockets_made - before, most_open = sockets_peak - open }
  for i, r in ipairs(results) do
    if r.ok then
      out.ok = out.ok + 1
      out.offsets[i] = tonumber(r.response.Params.Offset)
    else
      out.errors[#out.errors + 1] = tostring(r.error)
    end
  end
  reply(out)
end

--- GET /tls?insecure=1: one call to the upstream's https port.
function app.tls()
  local insecure = ngx.var.arg_insecure == "1"
  reply(describe_images(client_for("", { base_url = os.getenv("E2E_TLS_URL"), insecure = insecure })))
end

return app
