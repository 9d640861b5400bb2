--- Runs inside the bench's nginx: GET /ngx_batch?m=M&k=K makes M calls to
-- /slow on the same server with client:batch over cosockets, concurrency K,
-- and answers {"elapsed": seconds, "ok": calls that succeeded}.
local M = {}

function M.handle()
  local args = ngx.req.get_uri_args()
  local m, k = tonumber(args.m), tonumber(args.k)
  local client = require("compshare").new {
    public_key = "my_public_key", private_key = "my_private_key", region = "cn-wlcb", zone = "cn-wlcb-01",
    base_url = ("http://127.0.0.1:%s/slow"):format(ngx.var.server_port),
  }
  local calls = {}
  for i = 1, m do calls[i] = { "DescribeCompShareImages", { ImageType = "System", Offset = i - 1 } } end
  client:batch(calls, { concurrency = k })   -- warm: connections in the pool
  ngx.update_time()
  local t0 = ngx.now()
  local results = client:batch(calls, { concurrency = k })
  ngx.update_time()
  local ok = 0
  for _, r in ipairs(results) do if r.ok then ok = ok + 1 end end
  ngx.say(('{"elapsed":%.6f,"ok":%d}'):format(ngx.now() - t0, ok))
end

return M
