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
-- signed); a call that fails validation gets its error and is not sent, the
-- others still are. The prepared requests go through the transport's
-- `batch(reqs, concurrency)` when it has one (libcurl multi outside nginx,
-- cosockets inside), else one after the other. Over libcurl the first calls
-- are sent while the rest are still being prepared, and answers are
-- interpreted while the batch waits for the others; elsewhere every call is
-- prepared first. A malformed call (not a table, no action) raises before
-- anything is sent. Each
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

-- A transport that says so (batch_feeds, its own field: not one a wrapper's __index shows)
-- takes a function giving the next request instead of the list, and starts sending the first
-- requests while the rest are still being prepared; it may also give each answer, as it comes,
-- to a digest function (its third argument).
local function feeds(transport)
  return type(transport) == "table" and rawget(transport, "batch_feeds") == true and transport.batch ~= nil
end

-- A batch entry (a response, { error = err }, or nil) as res, terr.
local function unwrap(r)
  if r == nil then return nil, "the transport's batch gave no answer for this call" end
  if r.error ~= nil then return nil, r.error end
  return r
end

-- Sends the list reqs; returns a list of {res, err} in the same order.
local function send_all(transport, reqs, concurrency)
  local answers = {}
  if type(transport) == "table" and transport.batch then
    local out = transport.batch(reqs, concurrency)
    for i = 1, #reqs do answers[i] = { unwrap(out[i]) } end
  else
    for i, req in ipairs(reqs) do answers[i] = { transport(req) } end
  end
  return answers
end

-- The answer (res or terr) of fed.reqs[j], interpreted into its call's result.
local function take(client, fed, results, j, res, terr)
  local action = fed.reqs[j].action
  if fed.logger then client:log_response(action, res, terr) end
  local data, err = Client.interpret(action, res, terr)
  if data then
    results[fed.index[j]] = { ok = true, response = data }
  else
    err.attempts = 1
    err.retryable = retry.should_retry(err, client.retry_safe(action))
    results[fed.index[j]] = { ok = false, error = client:scrub(err) }
  end
end

-- Through a transport that feeds: the requests go as fed.feed prepares them, and each answer
-- is interpreted when the transport gives it to digest (as the batch goes, between the network's
-- events) or else once the batch is back. An error raised doing so is kept in fed.failed.
local function send_fed(client, transport, fed, results, concurrency)
  local done = {}
  local function digest(j, r)
    if fed.failed == nil and not done[j] then
      done[j] = true
      local ok, e = pcall(take, client, fed, results, j, unwrap(r))
      if not ok then fed.failed = e end
    end
    return true
  end
  local out = transport.batch(fed.feed, concurrency, digest)
  for j = 1, #fed.reqs do digest(j, out[j]) end
end

-- fed.feed() gives the next signed request of calls (nil after the last), preparing (and
-- logging) them one by one: fed.reqs[j] is the j-th request given, fed.index[j] its call's
-- position; a refused call's result goes in results. An error raised while preparing is kept
-- in fed.failed (the feed then gives nil) for run to raise once what was sent is back.
local function feeder(client, calls, timeout, results)
  -- rawget, once: a client made without a logger has no such field, and client.logger would go
  -- on to the class's handler for missing names (compshare.api) twice a call
  local fed, i = { reqs = {}, index = {}, logger = rawget(client, "logger") }, 0
  local function next_request()
    while i < #calls do
      i = i + 1
      local req, err = prepare(client, unpack_call(i, calls[i]))
      if req then
        req.timeout = timeout
        if fed.logger then client:log_request(req) end
        local n = #fed.reqs + 1
        fed.reqs[n], fed.index[n] = req, i
        return req
      end
      results[i] = { ok = false, error = client:scrub(err) }
    end
  end
  function fed.feed()
    if fed.failed ~= nil then return nil end
    local ok, req = pcall(next_request)
    if ok then return req end
    fed.failed = req
  end
  return fed
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
  for i = 1, #calls do unpack_call(i, calls[i]) end  -- raise on a malformed call before anything is sent
  local results, transport = {}, client.transport
  local fed = feeder(client, calls, opts.timeout or client.timeout, results)
  if feeds(transport) then
    if #calls > 0 then  -- never more in flight than calls (the transport sets up that many slots)
      send_fed(client, transport, fed, results, math.min(concurrency, #calls))
    end
  else
    for _ in fed.feed do end
    if fed.failed == nil and #fed.reqs > 0 then
      for j, answer in ipairs(send_all(transport, fed.reqs, concurrency)) do
        take(client, fed, results, j, answer[1], answer[2])
      end
    end
  end
  if fed.failed ~= nil then error(fed.failed, 0) end
  return results
end

Client.batch = batch.run

return batch
