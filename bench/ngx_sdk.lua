--- Runs inside the front nginx of bench/nginx.lua: GET /sdk makes one DescribeCompShareImages call
-- with the SDK over cosockets to the bench's upstream ($back_url) and answers a body of the same
-- size as the upstream's, so /sdk and /proxy write the same bytes. One client per worker.
local M = {}

local PARAMS = { ImageType = "System", Limit = 20, Offset = 0 }
local client, answer

function M.handle()
  if not client then
    client = require("compshare").new {
      public_key = "my_public_key", private_key = "my_private_key", region = "cn-wlcb", zone = "cn-wlcb-01",
      base_url = ngx.var.back_url, max_retries = 0,
    }
  end
  local res, err = client:call("DescribeCompShareImages", PARAMS)
  if not res or #res.ImageSet ~= 2 then
    ngx.status = 502
    ngx.say(tostring(err))
    return
  end
  answer = answer or ("x"):rep(tonumber(ngx.var.answer_bytes))
  ngx.header["Content-Length"] = #answer
  ngx.print(answer)
end

return M
