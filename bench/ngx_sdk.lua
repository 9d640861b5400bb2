--- Runs inside the front nginx of bench/nginx.lua: GET /sdk makes one DescribeCompShareImages call
-- with the SDK over cosockets to the bench's upstream ($back_url), GET /capture the same call
-- through compshare.transport.capture (a subrequest to /compshare_api, a proxy_pass to the same
-- upstream); each answers a body of the same size as the upstream's, so /sdk, /capture and
-- /proxy write the same bytes. One client of each kind per worker.
local M = {}

local PARAMS = { ImageType = "System", Limit = 20, Offset = 0 }
local clients, answer = {}, nil

local function client(kind)
  local c = clients[kind]
  if not c then
    c = require("compshare").new {
      public_key = "my_public_key", private_key = "my_private_key", region = "cn-wlcb", zone = "cn-wlcb-01",
      base_url = ngx.var.back_url, max_retries = 0,
      transport = kind == "capture" and require("compshare.transport.capture").new { location = "/compshare_api" } or nil,
    }
    clients[kind] = c
  end
  return c
end

local function handle(kind)
  local res, err = client(kind):call("DescribeCompShareImages", PARAMS)
  if not res or #res.ImageSet ~= 2 then
    ngx.status = 502
    ngx.say(tostring(err))
    return
  end
  answer = answer or ("x"):rep(tonumber(ngx.var.answer_bytes))
  ngx.header["Content-Length"] = #answer
  ngx.print(answer)
end

function M.handle() return handle("cosocket") end
function M.handle_capture() return handle("capture") end

return M
