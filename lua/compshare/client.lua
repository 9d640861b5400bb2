--- The client: prepares one call (the params over the client's defaults, signed), sends it
-- with the retry policy, and interprets the answer. It knows no action: compshare.api, the layer
-- above, installs the typed methods, paginate, retry_safe and the "did you mean" for a misspelled
-- action on this class when it loads; compshare.batch installs batch.
-- Made by `compshare.new`.
-- @classmod compshare.client
local config = require "compshare.config"
local core = require "compshare.core"
local errors = require "compshare.errors"
local json = require "compshare.json"
local log = require "compshare.log"
local retry = require "compshare.retry"
local util = require "compshare.util"

local Client = {}
Client.__index = Client

-- Private keys live in this module-level table with weak keys, keyed by client, never as a
-- field a dump could show.
local secrets = setmetatable({}, { __mode = "k" })

local function user_agent(version)
  local luav = (jit and jit.version) or _VERSION
  return ("compshare-lua/%s (%s; +https://github.com/compshare-lua)"):format(version, luav)
end

-- The U-Timestamp-Ms value: wall-clock milliseconds as a decimal string.
local timestamp_ms = core.timestamp_ms

--- retry_safe(action) -> may this action be sent twice? The spec's retry_safe flag says, once
-- compshare.api has installed its answer here; until then no action is (the safe answer).
-- @function retry_safe
-- @treturn boolean true when a repeat has no effect of its own (never for creates, copies, publishes)
function Client.retry_safe(_) return false end

local function check_retries(n)
  if n ~= nil and (type(n) ~= "number" or n < 0 or n ~= math.floor(n)) then
    error("compshare: max_retries must be a whole number >= 0, got " .. tostring(n), 0)
  end
  return n
end

--- new(opts) -> client. See compshare.new for the options.
-- client.defaults is the one table of the client's Region/Zone/ProjectId: what prepare puts
-- under the call's params, and what the validator takes for missing common fields.
-- @tparam table opts resolved options (see `compshare.new`)
-- @treturn compshare.client
-- @raise when max_retries is not a whole number >= 0
function Client.new(opts)
  local self = setmetatable({
    public_key = opts.public_key,
    defaults = { Region = opts.region, Zone = opts.zone, ProjectId = opts.project_id },
    base_url = opts.base_url or config.DEFAULTS.base_url,
    timeout = opts.timeout or core.DEFAULTS.timeout,
    max_retries = check_retries(opts.max_retries) or 0,
    user_agent = opts.user_agent or user_agent(core.VERSION),
    logger = opts.logger,
    sleep = opts.sleep or util.sleep,
    random = opts.random or math.random,
    -- the message for keys that are missing (false when both are there): the typed methods
    -- give it before anything else about a call
    no_credentials = config.missing_credentials(opts.public_key, opts.private_key) or false,
  }, Client)
  secrets[self] = opts.private_key
  if opts.transport then
    self.transport = opts.transport
  else
    local topts = {}  -- the transport never needs, so never holds, the private key
    for k, v in pairs(opts) do if k ~= "private_key" then topts[k] = v end end
    self.transport = require("compshare.transport").default(topts)
  end
  return self
end

function Client:__tostring()
  local pk = self.public_key or ""
  return ("compshare.client{public_key=%s, region=%s, zone=%s, base_url=%s}"):format(
    #pk > 8 and (pk:sub(1, 4) .. "…" .. pk:sub(-4)) or "***",
    tostring(self.defaults.Region), tostring(self.defaults.Zone), tostring(self.base_url))
end

--- The signed request for one call, or nil, validation error.
-- @tparam string action the action name
-- @tparam[opt] table params the request fields (not validated here: the typed methods do that)
-- @treturn[1] table the request `{ url, method, headers, body, action }` (body signed)
-- @treturn[2] nil
-- @treturn[2] compshare.errors the error (`kind`, `message`, ...; see `compshare.errors`)
-- @raise when action is not a non-empty string
function Client:prepare(action, params)
  if type(action) ~= "string" or action == "" then
    error("compshare: call needs an action name (a string)", 3)
  end
  if params ~= nil and type(params) ~= "table" then
    return nil, errors.validation(action, { { path = "", message = "params must be a table, got " .. type(params) } })
  end
  -- The client's defaults first (a constructor sizes the table once), the call's params over them.
  local d = self.defaults
  local p = { Action = action, Region = d.Region, Zone = d.Zone, ProjectId = d.ProjectId,
              PublicKey = self.public_key }
  -- next, not pairs: the fields sent are the table's own (as the validator reads them), never
  -- what a __pairs metamethod shows.
  if params then
    for k, v in next, params do
      if v == "" and p[k] ~= nil then
        return nil, errors.validation(action, { { path = k,
          message = "must not be empty (leave it out to use the client's default)" } })
      end
      p[k] = v
    end
  end
  p.Action = action
  if self.no_credentials then   -- worked out once, by new
    return nil, errors.new { kind = "validation", action = action, message = self.no_credentials }
  end
  local secret = secrets[self]
  p.PublicKey = self.public_key
  local ok, body = pcall(core.encode, p, secret)
  if not ok then
    return nil, errors.validation(action, { { path = "", message = tostring(body):gsub("^.-compshare: ", "") } })
  end
  return {
    url = self.base_url,
    method = "POST",
    headers = {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["User-Agent"] = self.user_agent,
      ["U-Timestamp-Ms"] = timestamp_ms(),
    },
    body = body,
    action = action,
    retry_safe = self.retry_safe(action),  -- false: transports never reuse a connection for it nor resend it
  }
end

-- name in lower case, as transports give header names.
local function header(res, name)
  local h = res.headers
  if not h then return nil end
  return h[name] or h[name:upper()]
end

-- nil, the error made of fields for an answer that came back: the request id is read here
-- only, from the answer's headers, when there is an error to carry it.
local function answer_error(res, fields)
  fields.request_id = header(res, "x-ucloud-request-uuid")
  return nil, errors.new(fields)
end

--- Map a transport answer (or failure) to response, or nil, err.
-- The headers are read only for an error (its request_id, retry_after): a successful answer
-- never makes the curl transport build its header table (c/xfer.c makes it on first access).
function Client.interpret(action, res, terr)
  if not res then
    local kind, msg, sent, reason = "transport", tostring(terr), true, nil
    if type(terr) == "table" then
      kind = terr.kind == "timeout" and "timeout" or "transport"
      msg = terr.message or msg
      reason = terr.reason -- the transport's finer kind: "tls", "connect", "reset", ...
      if terr.sent ~= nil then sent = terr.sent end
    elseif msg:find("timeout") or msg:find("timed out") then
      kind = "timeout"
    end
    return nil, errors.new { kind = kind, reason = reason, action = action, message = msg,
      sent = sent, maybe_applied = sent }
  end
  local status = tonumber(res.status) or 0
  if status >= 400 then
    return answer_error(res, { kind = "http", code = status, action = action,
      message = "HTTP " .. status .. (res.body and #res.body > 0 and (": " .. res.body:sub(1, 200):gsub("%s+", " ")) or ""),
      retryable = retry.status_retryable(status), maybe_applied = status >= 500,
      retry_after = retry.parse_retry_after(header(res, "retry-after"), util.now()) })
  end
  local body = res.body
  if body == nil or body == "" then
    return answer_error(res, { kind = "decode", code = status, action = action,
      message = "empty response body", maybe_applied = true })
  end
  local data, derr = json.decode(body)
  if type(data) ~= "table" then
    return answer_error(res, { kind = "decode", code = status, action = action,
      message = "response is not a JSON object: " .. tostring(derr or type(data)), maybe_applied = true })
  end
  local code = json.number(data.RetCode)
  if code == nil then
    return answer_error(res, { kind = "decode", code = status, action = action,
      message = "response has no RetCode", maybe_applied = true })
  end
  data.RetCode = code
  if code ~= 0 then
    return answer_error(res, { kind = "api", code = code, action = action,
      message = tostring(data.Message or ""), retryable = retry.retcode_retryable(code), response = data })
  end
  return data
end

--- Give opts.logger the line for a request about to be sent (secrets redacted).
function Client:log_request(req, attempt)
  if self.logger then self.logger(log.request(req, attempt or 1, secrets[self])) end
end

--- Give opts.logger the line for an answer or a transport failure (secrets redacted).
function Client:log_response(action, res, terr, elapsed)
  if self.logger then self.logger(log.response(action, res, terr, elapsed, secrets[self])) end
end

local NO_OPTS = {}  -- read-only stand-in for absent call options

--- Send a prepared request with the retry policy (see compshare.retry).
-- Returns response or nil, err. A failure of an action that is not safe to
-- repeat, which may have reached the server, comes back with maybe_applied.
-- @tparam table req a request from `prepare`
-- @tparam[opt] table call_opts `{ timeout =, max_retries = }` for this call
-- @treturn[1] table the decoded response (RetCode 0)
-- @treturn[2] nil
-- @treturn[2] compshare.errors the error (`kind`, `message`, ...; see `compshare.errors`)
-- @raise when call_opts.max_retries is not a whole number >= 0
function Client:send(req, call_opts)
  call_opts = call_opts or NO_OPTS
  local action = req.action
  local max = check_retries(call_opts.max_retries) or self.max_retries
  local safe = self.retry_safe(action)
  req.retry_safe = safe
  -- rawget: a client made without a logger has no such field, and self.logger would go on to
  -- the class's handler for missing names (compshare.api) on every call
  local secret, logger = secrets[self], rawget(self, "logger")
  req.timeout = call_opts.timeout or self.timeout
  local attempt = 1
  while true do
    if logger then self:log_request(req, attempt) end
    local started = logger and util.monotonic()
    local res, terr = self.transport(req)
    if logger then self:log_response(action, res, terr, util.monotonic() - started) end
    local data, err = Client.interpret(action, res, terr)
    if data then return data end
    log.scrub_table(err, secret)
    err.attempts = attempt
    err.retryable = retry.should_retry(err, safe)
    local wait = err.retryable and attempt <= max and retry.wait(attempt, err, self.random)
    if logger then logger(log.outcome(err, wait or nil, secret)) end
    if not wait then
      if not safe and err.maybe_applied then
        err.hint = err.hint or ("%s is not safe to repeat and may have been applied; "
          .. "look for the resource before trying again"):format(action)
      end
      return nil, err
    end
    self.sleep(wait)
    attempt = attempt + 1
    req.headers["U-Timestamp-Ms"] = timestamp_ms()
  end
end

--- call(action, params [, call_opts]) -> response table, or nil, err.
-- Untyped: the params are sent as given (the typed `client:<Action>` methods validate first).
-- @tparam string action
-- @tparam[opt] table params
-- @tparam[opt] table call_opts `{ timeout =, max_retries = }`
-- @treturn[1] table the response
-- @treturn[2] nil
-- @treturn[2] compshare.errors the error (`kind`, `message`, ...; see `compshare.errors`)
function Client:call(action, params, call_opts)
  local req, err = self:prepare(action, params)
  if not req then return nil, err end
  return self:send(req, call_opts)
end

--- scrub(err) -> err, with this client's private key masked wherever it appears.
-- @tparam table err any table (scrubbed in place)
-- @treturn table err
function Client:scrub(err)
  return log.scrub_table(err, secrets[self])
end

return Client
