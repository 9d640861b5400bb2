--- Retry policy: what may be retried, and how long to wait before trying again.
local retry = {}

retry.BASE = 0.1   -- seconds, first backoff ceiling
retry.CAP = 10     -- seconds, largest backoff ceiling

local RETRYABLE_STATUS = { [429] = true, [502] = true, [503] = true, [504] = true }

--- Is this HTTP status worth another try?
function retry.status_retryable(status)
  return RETRYABLE_STATUS[status] == true
end

--- Is this RetCode worth another try? (RetCode >= 2000, as the Go SDK does.)
function retry.retcode_retryable(code)
  return type(code) == "number" and code >= 2000
end

--- Exponential backoff with full jitter: uniform in [0, min(CAP, BASE * 2^attempt)].
-- A Retry-After (seconds) from the server wins when it is larger.
function retry.delay(attempt, retry_after, random)
  local ceiling = math.min(retry.CAP, retry.BASE * 2 ^ attempt)
  local d = (random or math.random)() * ceiling
  if retry_after and retry_after > d then d = math.min(retry_after, 60) end
  return d
end

--- Seconds from a Retry-After header value (delta-seconds only; dates are ignored).
function retry.parse_retry_after(v)
  local n = tonumber(v)
  if n and n >= 0 then return n end
  return nil
end

--- May this failed call be sent again?
-- err: the error; idempotent: whether the action is safe to repeat.
function retry.should_retry(err, idempotent)
  if not err.retryable then return false end
  if not idempotent and err.maybe_applied then return false end
  return true
end

return retry
