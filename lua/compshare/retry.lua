--- Retry policy: which failures may be sent again, and how long to wait first.
--
-- The rule that matters most: an action that is not safe to repeat (a create,
-- copy, publish, ...) is sent again only when the server certainly did not
-- process it: the connection failed before the request was sent, or the
-- server answered 429 (a rate limiter rejects a request before any work is
-- done). Everything else that reached the server - a timeout after sending, a
-- reset, any 5xx, a RetCode, an unreadable answer - is final for such actions.
local retry = {}

retry.BASE = 0.1          -- seconds: the first backoff ceiling
retry.CAP = 10            -- seconds: the largest backoff ceiling
retry.MAX_RETRY_AFTER = 60 -- seconds: a longer Retry-After ends the retries instead

local RETRYABLE_STATUS = { [429] = true, [502] = true, [503] = true, [504] = true }

--- Is this HTTP status worth another try (for an action that is safe to repeat)?
function retry.status_retryable(status)
  return RETRYABLE_STATUS[status] == true
end

--- Is this RetCode worth another try? (RetCode >= 2000, as the Go SDK does.)
function retry.retcode_retryable(code)
  return type(code) == "number" and code >= 2000
end

--- True when the server certainly did no work for this failed call.
function retry.not_processed(err)
  if err.kind == "transport" or err.kind == "timeout" then return err.sent == false end
  return err.kind == "http" and err.code == 429
end

--- May this failed call be sent again? safe: the action is safe to repeat.
function retry.should_retry(err, safe)
  if retry.not_processed(err) then return true end
  if not safe then return false end
  if err.kind == "transport" or err.kind == "timeout" then return true end
  if err.kind == "http" then return retry.status_retryable(err.code) end
  if err.kind == "api" then return retry.retcode_retryable(err.code) end
  return false
end

--- Exponential backoff with full jitter: uniform in [0, min(CAP, BASE * 2^(attempt-1))].
-- attempt: 1 for the first retry. A larger Retry-After (seconds) wins.
function retry.delay(attempt, retry_after, random)
  local ceiling = math.min(retry.CAP, retry.BASE * 2 ^ (attempt - 1))
  local d = (random or math.random)() * ceiling
  if retry_after and retry_after > d then d = retry_after end
  return d
end

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6,
                 Jul = 7, Aug = 8, Sep = 9, Oct = 10, Nov = 11, Dec = 12 }

-- Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
local function days_from_civil(y, m, d)
  local floor = math.floor
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local doy = floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- Seconds to wait from a Retry-After value: delta-seconds, or an HTTP date
-- ("Sun, 06 Nov 1994 08:49:37 GMT") compared with `now` (epoch seconds).
-- nil when absent or unreadable.
function retry.parse_retry_after(v, now)
  if type(v) ~= "string" and type(v) ~= "number" then return nil end
  v = tostring(v):match("^%s*(.-)%s*$")
  if v:match("^%d+$") then return tonumber(v) end
  local d, mon, y, hh, mm, ss = v:match("^%a+, (%d%d?) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  if not d or not MONTHS[mon] then return nil end
  local at = days_from_civil(tonumber(y), MONTHS[mon], tonumber(d)) * 86400
    + tonumber(hh) * 3600 + tonumber(mm) * 60 + tonumber(ss)
  return math.max(0, at - (now or os.time()))
end

--- The wait before retry number `attempt` of `err`, or nil when it must not be retried
-- (the server asked for a longer pause than MAX_RETRY_AFTER).
function retry.wait(attempt, err, random)
  if err.retry_after and err.retry_after > retry.MAX_RETRY_AFTER then return nil end
  return retry.delay(attempt, err.retry_after, random)
end

return retry
