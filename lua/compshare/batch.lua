--- client:batch(calls [, opts]): many calls at once, results in order.
--
--   local results = client:batch({
--     { "DescribeCompShareImages", { ImageType = "System" } },
--     { action = "DescribeCompShareInstance", params = { UHostIds = { "uhost-1" } } },
--   }, { concurrency = 10 })
--   for i, r in ipairs(results) do
--     if r.ok then use(r.response) else print(i, r.error) end
--   end
--
-- Every call is prepared (validated when the spec knows the action, then
-- signed) before anything is sent; a call that fails validation gets its
-- error and is not sent, the others still are. The prepared requests go
-- through the transport's `batch(reqs, concurrency)` when it has one (libcurl
-- multi outside nginx, cosockets inside), else one after the other. Each
-- answer is mapped like a single call's, so results[i] is
-- `{ ok = true, response = <decoded body> }` or `{ ok = false, error = <compshare error> }`.
-- A batch makes one attempt per call and never retries by itself: a failed
-- call's `error.retryable` says (by the client's retry policy) whether it is
-- safe and worth sending again, e.g. in a second batch.
-- opts: concurrency (default core.DEFAULTS.concurrency, 8: at most that many calls in flight),
-- timeout (seconds per call, default the client's).
-- Loading this module installs client:batch on the client class.
-- @module compshare.batch
local Client = require "compshare.client"
local api = require "compshare.api"
local core = require "compshare.core"
local retry = require "compshare.retry"
local spec = require "compshare.spec"

local batch = {}

local function check_concurrency(k)
  if k == nil then return core.DEFAULTS.concurrency end
  if type(k) ~= "number" or k < 1 or k ~= math.floor(k) then
    error("compshare: batch concurrency must be a positive integer, got " .. tostring(k), 3)
  end
  return k
end

local function unpack_call(i, call)
  if type(call) ~= "table" then
    error(("compshare: batch call #%d must be a table {action, params}, got %s"):format(i, type(call)), 3)
  end
  local action, params = call.action or call[1], call.params or call[2]
  if type(action) ~= "string" or action == "" then
    error(("compshare: batch call #%d needs an action name (a string)"):format(i), 3)
  end
  return action, params
end

-- The signed request, or nil, validation error. Actions the spec knows are
-- validated first, as their typed wrappers do; others go as given.
local function prepare(client, action, params)
  if spec.actions[action] then
    local checked, err = api.prepare(client, action, params)
    if not checked then return nil, err end
    params = checked
  end
  return client:prepare(action, params)
end

-- Send every request; returns a list of {res, err} in the same order.
local function send_all(transport, reqs, concurrency)
  local answers = {}
  if type(transport) == "table" and transport.batch then
    local out = transport.batch(reqs, concurrency)
    for i = 1, #reqs do
      local r = out[i]
      if r == nil then
        answers[i] = { nil, "the transport's batch gave no answer for this call" }
      elseif r.error ~= nil then
        answers[i] = { nil, r.error }
      else
        answers[i] = { r }
      end
    end
  else
    for i, req in ipairs(reqs) do answers[i] = { transport(req) } end
  end
  return answers
end

--- run(client, calls [, opts]) -> results (see above). Also `client:batch`.
-- @tparam compshare.client client
-- @tparam {table,...} calls each `{ "Action", params }` or `{ action = "Action", params = {...} }`
-- @tparam[opt] table opts `concurrency` (default 8, at most that many requests in flight),
--   `timeout` (seconds per request)
-- @treturn {table,...} results in the order of calls, each one of:
--
--  * `{ ok = true, response = <the decoded response> }`
--  * `{ ok = false, error = <compshare.errors table> }` (a validation error when the call was refused
--    before sending, else what the call got; `maybe_applied` when it may have taken effect)
-- @raise when calls is not a list of calls, opts not a table, or concurrency not a positive integer
function batch.run(client, calls, opts)
  if type(calls) ~= "table" then
    error("compshare: batch expects a list of calls, got " .. type(calls), 2)
  end
  opts = opts or {}
  if type(opts) ~= "table" then error("compshare: batch options must be a table", 2) end
  local concurrency = check_concurrency(opts.concurrency)
  local results, reqs, index = {}, {}, {}
  for i = 1, #calls do
    local action, params = unpack_call(i, calls[i])
    local req, err = prepare(client, action, params)
    if req then
      req.timeout = opts.timeout or client.timeout
      local n = #reqs + 1
      reqs[n], index[n] = req, i
    else
      results[i] = { ok = false, error = client:scrub(err) }
    end
  end
  if #reqs > 0 then
    for _, req in ipairs(reqs) do client:log_request(req) end
    for j, answer in ipairs(send_all(client.transport, reqs, concurrency)) do
      local action = reqs[j].action
      client:log_response(action, answer[1], answer[2])
      local data, err = Client.interpret(action, answer[1], answer[2])
      if data then
        results[index[j]] = { ok = true, response = data }
      else
        err.attempts = 1
        err.retryable = retry.should_retry(err, client.retry_safe(action))
        results[index[j]] = { ok = false, error = client:scrub(err) }
      end
    end
  end
  return results
end

Client.batch = batch.run

return batch
