--- Runs INSIDE nginx: a stand-in for the CompShare API that checks signatures the way
-- FACTS.md describes, independently of compshare.core:
--   form fields except Signature, sorted by bytes, concatenated key..value, + private key,
--   SHA-1 (ngx.sha1_bin), lowercase hex, compared with the Signature field.
-- Good call:  {"Action":"<Action>Response","RetCode":0,"Connection":n,"ConnectionRequests":n,
--              "Params":{...received fields except Signature...}, ...reply(params)}
-- Bad signature or unknown PublicKey: {"RetCode":171,"Message":"Signature VerifyAC Error"}
-- No Action: {"RetCode":160,"Message":"Missing Action"}. Every answer carries X-UCLOUD-REQUEST-UUID.
-- Every POST is recorded in lua_shared_dict verify_calls; GET /_calls lists them, DELETE forgets.
-- Used through support.nginx.start_verify.
local json = require "cjson.safe"

local verify = {}

local function hex(bin)
  return (bin:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

local function request_uuid()
  local id = ngx.var.request_id or ("%032x"):format(math.random(0, 2 ^ 31))
  return ("%s-%s-%s-%s-%s"):format(id:sub(1, 8), id:sub(9, 12), id:sub(13, 16), id:sub(17, 20), id:sub(21, 32))
end

--- The FACTS.md signature of form fields `args` (Signature excluded) with `private_key`.
function verify.signature(args, private_key)
  local keys = {}
  for k in pairs(args) do
    if k ~= "Signature" then keys[#keys + 1] = k end
  end
  table.sort(keys)
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = k .. args[k] end
  return hex(ngx.sha1_bin(table.concat(parts) .. private_key))
end

local function record(call)
  local dict = ngx.shared.verify_calls
  local n = dict:incr("n", 1, 0)
  dict:set("call:" .. n, json.encode(call))
end

--- GET /_calls -> JSON list of recorded calls; DELETE /_calls forgets them.
function verify.calls()
  local dict = ngx.shared.verify_calls
  if ngx.req.get_method() == "DELETE" then
    dict:flush_all()
    return ngx.say("[]")
  end
  local list = {}
  for i = 1, dict:get("n") or 0 do
    list[i] = json.decode(dict:get("call:" .. i) or "null")
  end
  ngx.say(#list == 0 and "[]" or json.encode(list))
end

local function answer(status, body)
  ngx.status = status
  ngx.header["Content-Type"] = "application/json"
  ngx.header["X-UCLOUD-REQUEST-UUID"] = request_uuid()
  ngx.say(json.encode(body))
end

--- Handle one API call. keys: {public_key = private_key}; reply(params) -> extra response fields.
function verify.handle(keys, reply)
  if ngx.req.get_method() ~= "POST" then
    return answer(405, { RetCode = 405, Message = "POST only" })
  end
  ngx.req.read_body()
  local raw, err = ngx.req.get_post_args(0)
  if not raw then return answer(400, { RetCode = 400, Message = tostring(err) }) end
  local args, duplicated = {}, nil
  for k, v in pairs(raw) do
    if type(v) == "table" then duplicated = k end
    args[k] = v == true and "" or v
  end
  local params = {}
  for k, v in pairs(args) do
    if k ~= "Signature" then params[k] = v end
  end
  local secret = keys[args.PublicKey or ""]
  local ok = not duplicated and secret ~= nil and type(args.Signature) == "string"
    and verify.signature(args, secret) == args.Signature
  local h = ngx.req.get_headers()
  record {
    params = params, verified = ok, connection = tonumber(ngx.var.connection),
    headers = { ["user-agent"] = h["user-agent"], ["content-type"] = h["content-type"],
                ["u-timestamp-ms"] = h["u-timestamp-ms"] },
  }
  if not args.Action or args.Action == "" then
    return answer(200, { RetCode = 160, Message = "Missing Action" })
  end
  if not ok then
    return answer(200, { Action = args.Action .. "Response", RetCode = 171, Message = "Signature VerifyAC Error" })
  end
  local body = { Action = args.Action .. "Response", RetCode = 0, Params = params,
                 Connection = tonumber(ngx.var.connection),
                 ConnectionRequests = tonumber(ngx.var.connection_requests) }
  for k, v in pairs(reply and reply(params) or {}) do body[k] = v end
  answer(200, body)
end

return verify
