--- A scripted transport for unit specs: answers come from a queue, and every
-- request is recorded with its form parameters decoded.
--
--   local stub = require("compshare.stub").new{
--     { UHostIds = { "uhost-1" } },                        -- JSON body, RetCode 0 added
--     { RetCode = 8000, Message = "no stock" },           -- JSON body as given
--     { status = 503, headers = {}, body = "busy" },     -- raw HTTP answer
--     { error = { kind = "timeout", message = "slow", sent = true } }, -- transport failure
--     function(req) return { Echo = req.params.Action } end,          -- computed answer
--   }
--   local client = compshare.new{ transport = stub, ... }
--   stub.requests[1].params.Action --> "CreateCompShareInstance"
-- @module compshare.stub
local core = require "compshare.core"
local json = require "compshare.json"

local stub = {}

local Stub = {}
Stub.__index = Stub

--- A raw answer has a numeric `status`; API bodies only use CamelCase names.
local function is_raw(answer)
  return type(answer.status) == "number"
end

--- Turn one scripted answer into what a transport returns: res, or nil, err.
-- (Also used by the sandbox for injected failures.)
function stub.answer(answer, req)
  if type(answer) == "function" then
    local res, err = answer(req)
    if res == nil then return nil, err end
    return stub.answer(res, req)
  end
  if type(answer) ~= "table" then
    error(("compshare.stub: a scripted answer must be a table or a function, got %s"):format(type(answer)), 0)
  end
  if answer.error ~= nil then return nil, answer.error end
  if is_raw(answer) then
    return { status = answer.status, headers = answer.headers or {}, body = answer.body or "" }
  end
  local data = {}
  for k, v in pairs(answer) do data[k] = v end
  if data.RetCode == nil then data.RetCode = 0 end
  if data.Action == nil and req.action then data.Action = req.action .. "Response" end
  return { status = 200, headers = { ["content-type"] = "application/json" }, body = assert(json.encode(data)) }
end

--- new(answers) -> a transport (callable table) answering from `answers` in order.
-- @tparam[opt] {table|function,...} answers the scripted answers (above)
-- @treturn table the transport: call it with a request; `requests` lists what it got
function stub.new(answers)
  if answers ~= nil and type(answers) ~= "table" then
    error("compshare.stub.new expects a list of scripted answers", 2)
  end
  local self = setmetatable({ queue = {}, requests = {} }, Stub)
  for _, a in ipairs(answers or {}) do self:push(a) end
  return self
end

--- Add one more scripted answer at the end of the queue.
function Stub:push(answer)
  if type(answer) ~= "table" and type(answer) ~= "function" then
    error("compshare.stub: a scripted answer must be a table or a function", 2)
  end
  self.queue[#self.queue + 1] = answer
  return self
end

--- How many scripted answers are still waiting.
function Stub:remaining()
  return #self.queue
end

--- The transport call: record the request, answer with the next scripted answer.
function Stub:__call(req)
  local record = {}
  for k, v in pairs(req) do record[k] = v end
  record.params = type(req.body) == "string" and core.form_decode(req.body) or {}
  self.requests[#self.requests + 1] = record
  local answer = table.remove(self.queue, 1)
  if answer == nil then
    error(("compshare.stub: no scripted answer left for request #%d (Action=%s)"):format(
      #self.requests, tostring(record.params.Action or req.action)), 0)
  end
  return stub.answer(answer, record)
end

function Stub.close() end

return stub
