--- Runs INSIDE nginx: an API stand-in that commits a request and then drops the
-- kept-alive connection without answering, as a server (or a load balancer whose
-- idle timeout races the next request) does. The path picks what it does:
--   /ok/<run>      answers every request (200, RetCode 0)
--   /drop/<run>    counts the request (it is committed), then closes the connection
--                  without a byte of answer
--   /reused/<run>  like /drop for a request that is not the first on its connection,
--                  answers the first one
-- Every arrival is counted per run: by Action, by "Action Name" (the request's Name
-- param, so a batch can tell its calls apart), and by the nginx connection it came
-- on. GET /_counts?run=<run> -> { arrivals = { Action = n }, names = { ["Action Name"] = n },
-- conns = { Action = { "<connection serial>", ... } }, connections = <distinct connections> }.
local json = require "cjson.safe"

local drop = {}

local function bump(key)
  return ngx.shared.drops:incr(key, 1, 0)
end

function drop.handle()
  ngx.req.read_body()
  local args = ngx.req.get_post_args() or {}
  local action = type(args.Action) == "string" and args.Action or "?"
  local name = type(args.Name) == "string" and args.Name or "-"
  local mode, run = ngx.var.uri:match("^/(%a+)/([%w_-]+)")
  if not mode then return ngx.exit(404) end
  local conn = ngx.var.connection
  bump(run .. "\tA\t" .. action)
  bump(run .. "\tN\t" .. action .. " " .. name)
  if bump(run .. "\tC\t" .. action .. "\t" .. conn) == 1 then bump(run .. "\tD\t" .. conn) end
  if mode == "drop" or (mode == "reused" and tonumber(ngx.var.connection_requests) > 1) then
    return ngx.exit(444)  -- nginx closes the connection, nothing is sent
  end
  ngx.header["Content-Type"] = "application/json"
  ngx.print(json.encode { Action = action .. "Response", RetCode = 0, UHostIds = { "uhost-" .. conn },
                          CompShareImageId = "compshareImage-" .. conn, TotalCount = 0,
                          UHostSet = json.empty_array, Connection = conn })
end

--- GET /_counts?run=<run>
function drop.counts()
  local run = ngx.var.arg_run or ""
  local dict = ngx.shared.drops
  local out = { arrivals = {}, names = {}, conns = {}, connections = 0 }
  for _, k in ipairs(dict:get_keys(0)) do
    local r, kind, a, b = k:match("^([^\t]*)\t(%u)\t([^\t]*)\t?(.*)$")
    if r == run then
      if kind == "A" then out.arrivals[a] = dict:get(k)
      elseif kind == "N" then out.names[a] = dict:get(k)
      elseif kind == "C" then
        out.conns[a] = out.conns[a] or {}
        table.insert(out.conns[a], b)
      elseif kind == "D" then out.connections = out.connections + 1 end
    end
  end
  ngx.header["Content-Type"] = "application/json"
  ngx.print(json.encode(out))
end

return drop
