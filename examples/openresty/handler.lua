--- Content handlers for examples/openresty/nginx.conf.
--
-- COST on the real service: GET /images nothing; POST /publish creates a GPU instance (billed
-- until it is stopped) and a custom image (its storage is billed), as publish_job.lua says.
--
--   GET  /images?type=System&limit=20&offset=0  -> {"TotalCount": n, "Images": [...]}
--   POST /publish   body: a snapshot_and_publish spec as JSON, e.g.
--        {"instance": {<CreateCompShareInstance params>} or "uhost_id": "uhost-...",
--         "image": {"Name": "my-env"}, "publish": {"Price": 0}, "cleanup": "stop"}
--        -> 202 {"job": 1}; the workflow runs in an ngx.timer (publish_job.lua)
--   GET  /jobs?id=1 -> {"state": "running"|"done"|"failed", "steps": [...], "progress": 40, ...}
--        (progress: the image's percentage; when failed, "partial" has the ids made so far)
--
-- Credentials and region come from the UCLOUD_* environment, which nginx
-- passes to its workers only for the variables named by `env` lines.
local compshare = require "compshare"
local json = require "compshare.json"
local publish_job = require "publish_job"

local handler = {}

local client

--- The worker's client, made on first use (making it does no I/O). Inside a
-- handler or timer it talks through cosockets, so a call never blocks the worker.
function handler.client()
  client = client or compshare.new { max_retries = 2 }
  return client
end

local function reply(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.say(json.encode(body))
end

local STATUS_FOR = { validation = 400, timeout = 504 }

local function fail(err)
  return reply(STATUS_FOR[err.kind] or 502, {
    error = tostring(err), kind = err.kind, code = err.code, request_id = err.request_id,
  })
end

function handler.images()
  local res, err = handler.client():DescribeCompShareImages {
    ImageType = ngx.var.arg_type or "System",
    Limit = tonumber(ngx.var.arg_limit) or 20,
    Offset = tonumber(ngx.var.arg_offset) or 0,
  }
  if not res then return fail(err) end
  reply(200, { TotalCount = res.TotalCount, Images = res.ImageSet or {} })
end

function handler.publish()
  if ngx.req.get_method() ~= "POST" then return reply(405, { error = "POST a snapshot_and_publish spec" }) end
  ngx.req.read_body()
  local spec = json.decode(ngx.req.get_body_data() or "")
  if type(spec) ~= "table" then return reply(400, { error = "the body must be a JSON object" }) end
  local id, err = publish_job.start(spec)
  if not id then return reply(500, { error = err }) end
  reply(202, { job = id })
end

function handler.job()
  local status = publish_job.status(ngx.var.arg_id)
  if not status then return reply(404, { error = "no such job" }) end
  reply(200, status)
end

return handler
