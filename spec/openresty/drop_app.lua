--- Runs INSIDE nginx (spec/openresty/drop_e2e.lua): calls through the cosocket
-- transport to the drop server (spec/support/drop_server.lua, served by this same
-- nginx on another port) and answers what happened as JSON.
--
-- GET /run?port=P&pool=N&warm=W&mode=M&run=R&action=A&retries=K&count=C
--   a transport with pool_size N; W concurrent reads to /ok/R first (they leave up
--   to W kept-alive connections in the pool), then C calls of A (one by one with
--   client:call and max_retries K; with batch=1 as one client:batch at concurrency
--   W, each with its own Name) to /M/R.
local compshare = require "compshare"
local fixtures = require "support.fixtures"
local ngx_transport = require "compshare.transport.ngx"
local json = require "cjson.safe"

local app = {}

local READ = "DescribeCompShareInstance"

local function client(t, mode, max_retries)
  local a = ngx.var
  return compshare.new {
    public_key = "drop-public", private_key = "drop-private", region = "cn-wlcb", zone = "cn-wlcb-01",
    base_url = ("http://127.0.0.1:%d/%s/%s"):format(tonumber(a.arg_port), mode, a.arg_run),
    timeout = 5, max_retries = max_retries or 0, transport = t,
    sleep = function() end, random = function() return 0 end,
  }
end

local function params(action, i)
  local name = "n" .. i
  if action == "CreateCompShareInstance" then return fixtures.instance { Name = name } end
  return { UHostId = "uhost-1", CompShareImageId = "compshareImage-1", Name = name }
end

local function outcome(ok, err)
  if ok then return { ok = true } end
  return { ok = false, kind = err.kind, reason = err.reason, maybe_applied = err.maybe_applied,
           attempts = err.attempts, retryable = err.retryable, text = tostring(err) }
end

function app.run()
  local a = ngx.var
  local t = ngx_transport.new { pool_size = tonumber(a.arg_pool) }
  local warm_n, count = tonumber(a.arg_warm) or 1, tonumber(a.arg_count) or 1
  local out = { warm_ok = 0, results = {} }
  local reads = {}
  for i = 1, warm_n do reads[i] = { READ, {} } end
  for _, r in ipairs(client(t, "ok"):batch(reads, { concurrency = warm_n })) do
    if r.ok then out.warm_ok = out.warm_ok + 1 end
  end
  local c = client(t, a.arg_mode, tonumber(a.arg_retries))
  if a.arg_batch == "1" then
    local calls = {}
    for i = 1, count do calls[i] = { a.arg_action, params(a.arg_action, i) } end
    for i, r in ipairs(c:batch(calls, { concurrency = warm_n })) do out.results[i] = outcome(r.ok, r.error) end
  else
    for i = 1, count do
      local res, err = c:call(a.arg_action, params(a.arg_action, i))
      out.results[i] = outcome(res ~= nil, err)
    end
  end
  ngx.header["Content-Type"] = "application/json"
  ngx.say(json.encode(out))
end

return app
