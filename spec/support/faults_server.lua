--- Runs INSIDE nginx: an API stand-in that fails on purpose, chosen by the path.
--   /ok                      200 {"RetCode":0,...}
--   /status/<code>           that HTTP status (429 and 503 with Retry-After: 1)
--   /close_before            reads the request, then drops the connection before any work
--   /close_after             does the work, then drops the connection without answering
--   /stall/<seconds>         answers after that long
--   /malformed               200 with broken JSON
--   /truncated               200 whose Content-Length promises more than is sent (raw socket)
--   /html                    200 text/html
--   /empty                   200 with no body
--   /big                     200 with a valid 10 MB JSON body
--   /retcode_string/<code>   200 with "RetCode" as a string
-- Anything after the case (/status/503/<nonce>) only makes the counters unique.
-- Counters in lua_shared_dict faults: "<uri> <Action> arrived" for every request
-- that reached the handler, "<uri> <Action> processed" when the work was done.
-- GET /_counts returns them all as JSON.
local json = require "cjson.safe"

local faults = {}

local function bump(what, action)
  ngx.shared.faults:incr(ngx.var.uri .. " " .. action .. " " .. what, 1, 0)
end

local function reply(status, body, content_type)
  ngx.status = status
  ngx.header["Content-Type"] = content_type or "application/json"
  ngx.header["X-UCLOUD-REQUEST-UUID"] = "fault-" .. (ngx.var.request_id or "0")
  if body ~= "" then ngx.print(body) end
  return ngx.exit(status)
end

local function ok_body(action)
  return json.encode { Action = action .. "Response", RetCode = 0, UHostIds = { "uhost-fault" },
                       TotalCount = 0, UHostSet = json.empty_array }
end

function faults.handle()
  ngx.req.read_body()
  local args = ngx.req.get_post_args() or {}
  local action = type(args.Action) == "string" and args.Action or "?"
  local case, arg = ngx.var.uri:match("^/([%w_]+)/?([^/]*)")
  bump("arrived", action)

  if case == "close_before" then return ngx.exit(444) end
  if case == "status" and (arg == "429") then
    ngx.header["Retry-After"] = "1"
    return reply(429, "slow down", "text/plain")
  end
  bump("processed", action)

  if case == "ok" then return reply(200, ok_body(action)) end
  if case == "status" then
    local code = tonumber(arg) or 500
    if code == 503 then ngx.header["Retry-After"] = "1" end
    return reply(code, "<html><body>" .. code .. " from the gateway</body></html>", "text/html")
  end
  if case == "close_after" then return ngx.exit(444) end
  if case == "stall" then
    ngx.sleep(tonumber(arg) or 2)
    return reply(200, ok_body(action))
  end
  if case == "malformed" then return reply(200, '{"RetCode":0,"UHostIds":["uhost-') end
  if case == "html" then return reply(200, "<html><body>Service temporarily unavailable</body></html>", "text/html") end
  if case == "empty" then return reply(200, "") end
  if case == "big" then
    return reply(200, '{"RetCode":0,"UHostIds":["uhost-big"],"Pad":"' .. ("x"):rep(10 * 1024 * 1024) .. '"}')
  end
  if case == "retcode_string" then
    return reply(200, json.encode { RetCode = arg, Message = "as a string", UHostIds = { "uhost-str" } })
  end
  if case == "truncated" then
    local sock = assert(ngx.req.socket(true))
    sock:send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n"
      .. "Connection: close\r\n\r\n" .. '{"RetCode":0,"UHostIds":["uh')
    return ngx.exit(444)
  end
  return reply(404, "no such fault: " .. tostring(case), "text/plain")
end

--- GET /_counts: every counter as a JSON object.
function faults.counts()
  local dict = ngx.shared.faults
  local out = {}
  for _, k in ipairs(dict:get_keys(0)) do out[k] = dict:get(k) end
  ngx.header["Content-Type"] = "application/json"
  ngx.print(json.encode(out))
end

return faults
