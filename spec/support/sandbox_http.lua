--- A sandbox behind HTTP, inside the test nginx (one process, so one sandbox),
-- for specs whose client runs in another process (the kill -9 spec):
--
--   location / { content_by_lua_block { require("support.sandbox_http").serve() } }
--
-- POST /         a signed API request, answered by the sandbox
-- GET  /_state   JSON: every instance and custom image (with State/Status)
--                and how many calls of each action arrived
-- POST /_reset   a fresh sandbox
-- The sandbox runs on real time (ngx.now) with short durations, so a real
-- client's waits take a fraction of a second.
local json = require "compshare.json"
local sandbox = require "compshare.sandbox"

local front = {
  DURATIONS = { instance_boot = 0.15, instance_start = 0.1, instance_stop = 0.1, instance_reboot = 0.1,
                image_make = 0.25 },
}

local sb

local function now()
  ngx.update_time()
  return ngx.now()
end

local function fresh()
  sb = sandbox.new { durations = front.DURATIONS, clock = now }   -- Unix time, as the child's os.time
  return sb
end

local function state()
  sb.world:settle()
  local out = { instances = {}, images = {}, calls = {} }
  for _, inst in ipairs(sb.world:list("instances")) do
    out.instances[#out.instances + 1] = { UHostId = inst.fields.UHostId, State = inst.fields.State,
      Remark = inst.fields.Remark }
  end
  for _, img in ipairs(sb.world:list("images")) do
    out.images[#out.images + 1] = { CompShareImageId = img.fields.CompShareImageId, Status = img.fields.Status }
  end
  for _, call in ipairs(sb.calls) do out.calls[call.action] = (out.calls[call.action] or 0) + 1 end
  out.ncalls = #sb.calls
  return out
end

function front.serve()
  if not sb then fresh() end
  local uri = ngx.var.uri
  if uri == "/_state" then return ngx.say(assert(json.encode(state()))) end
  if uri == "/_reset" then
    fresh()
    return ngx.say("{}")
  end
  ngx.req.read_body()
  local res = sb { body = ngx.req.get_body_data() or "" }
  ngx.status = res.status
  for k, v in pairs(res.headers or {}) do ngx.header[k] = v end
  ngx.print(res.body)
end

return front
